"""Sensitivity analysis and scenario discovery, from stored batch results.

A *study* (a YAML file, ``docs/sensitivity.md``) names the levers and parameters to vary, the
method, the sample size, the outcomes, the scenario to start from, replicates and a master seed.
``run_study`` turns it into a batch (``model.experiments.design``), runs it through the batch machinery
(``model.experiments.executors.execute`` into a ``model.experiments.store.BatchStore``: same executors, seeds and resume)
and then analyses the stored results:

    morris   screening: SALib's Morris elementary effects (mu*, sigma), ``n`` trajectories.
    sobol    variance decomposition: SALib's Saltelli/Sobol' sampling and estimators (S1, ST
             with bootstrap confidence intervals), ``N = n``.
    oat      one at a time: each name from low to high in ``n`` steps, the others at the
             scenario's value; a tornado chart of the outcome at low vs high.
    lhs      a Latin hypercube of ``n`` points for scenario discovery (PRIM).

Time-series outcomes (national monthly table) are summarised per year of the horizon and
analysed year by year. Scenario discovery (``discover``) finds boxes of lever and parameter
space where a binary outcome holds, with PRIM (Friedman & Fisher 1999), implemented here.

Everything here reads stored results only and never imports Mesa; ``run_study`` imports the
runner (which does) only when it runs the model.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from model.files.config import (  # the shared error-message helpers
    ConfigError,
    FrozenMap,
    Scenario,
    _describe,
    _suggest,
)
from model.simulation import outcomes as _outcomes
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from model.experiments.design import Design, RunSpec
    from model.experiments.executors import Report
    from model.experiments.results import BatchResults
    from model.files.config import Batch

__all__ = [
    "METHODS",
    "Condition",
    "DiscoveryResult",
    "Output",
    "PrimResult",
    "Study",
    "StudyError",
    "StudyResult",
    "StudyRun",
    "analyze_study",
    "base_outcome",
    "condition_values",
    "discover",
    "load_study",
    "morris_indices",
    "oat_design",
    "oat_effects",
    "open_study",
    "parse_condition",
    "plot_morris",
    "plot_over_time",
    "plot_prim",
    "plot_sobol",
    "plot_tornado",
    "prim",
    "record_study",
    "run_study",
    "sobol_indices",
    "study_from_dict",
    "study_outputs",
]

METHODS: tuple[str, ...] = ("morris", "sobol", "oat", "lhs")
PER_YEAR: tuple[str, ...] = ("mean", "sum", "last", "max")
STUDY_FILE = "study.json"
OUTPUT_DIR = "sensitivity"
MAX_RUNS = 1_000_000
_NAME_RE = re.compile(r"^[a-z0-9_-]+$")
_LOG_RE = re.compile(r"^\s*log10\(\s*([A-Za-z0-9_]+)\s*\)\s*$")

_COMMON_KEYS: tuple[str, ...] = (
    "study",
    "description",
    "scenario",
    "method",
    "n",
    "vary",
    "outcomes",
    "replicates",
    "seed",
    "horizon",
    "parameters",
    "levers",
    "per_year",
    "conf_level",
    "resamples",
    "discover",
    "prim",
)
_METHOD_KEYS: dict[str, tuple[str, ...]] = {
    "morris": ("levels",),
    "sobol": ("second_order",),
    "oat": (),
    "lhs": (),
}
_ALL_KEYS = _COMMON_KEYS + ("levels", "second_order")
_PRIM_KEYS: tuple[str, ...] = ("alpha", "threshold", "min_mass", "boxes", "paste")
_N_ALLOWED = {
    "morris": "trajectories: a whole number in 2 - 10000",
    "sobol": "SALib's N: a power of 2 (8, 16, ..., 65536)",
    "oat": "steps from low to high: a whole number in 2 - 101",
    "lhs": "points: a whole number in 2 - 1000000",
}
_N_RANGE = {"morris": (2, 10_000), "sobol": (2, 65_536), "oat": (2, 101), "lhs": (2, MAX_RUNS)}
# Summary outcomes that are dates: not numbers a sensitivity index can be computed on.
_DATE_OUTCOMES = {
    "defeat_month": "months_to_defeat",
    "resurgence_month": "resurgence",
    "kirkuk_crisis_month": None,
}


# ---- YAML with line numbers -------------------------------------------------------------------


class _Doc:
    """A YAML file's plain data and the lines of its keys and values, for error messages."""

    def __init__(self, data: Any, lines: dict[tuple[Any, ...], tuple[int, int]], file: str | None):
        self.data = data
        self.lines = lines
        self.file = file

    def line(self, path: Sequence[Any], on_key: bool = False) -> int | None:
        """The line of the key (``on_key``) or value at ``path``, or of its nearest parent."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        if path not in self.lines:
            return None
        key_line, value_line = self.lines[path]
        return (
            key_line
            if on_key or not isinstance(_get(self.data, path), str | int | float)
            else value_line
        )

    def error(
        self,
        path: Sequence[Any],
        message: str,
        *,
        allowed: str | None = None,
        suggestion: str | None = None,
        on_key: bool = False,
    ) -> ConfigError:
        return ConfigError(
            message,
            file=self.file,
            line=self.line(path, on_key) if self.file else None,
            key=_key_text(path) or None,
            allowed=allowed,
            suggestion=suggestion,
        )


def _get(data: Any, path: Sequence[Any]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _key_text(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _read_yaml(path: str | os.PathLike[str]) -> _Doc:
    display = _display(path)
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"file not found ({p.absolute()})", file=display)
    if p.is_dir():
        raise ConfigError("is a directory, not a study file", file=display)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", file=display) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = [s for s in (exc.context, exc.problem) if s]
        raise ConfigError(
            "YAML syntax error: " + ": ".join(parts),
            file=display,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=display) from None
    if node is None or not isinstance(data, dict):
        raise ConfigError(
            "the top level must be a mapping of keys",
            file=display,
            allowed="'key: value' lines, starting with 'study: <name>' (docs/sensitivity.md)",
        )
    lines: dict[tuple[Any, ...], tuple[int, int]] = {}

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
                k_line = k.start_mark.line + 1
                if key in seen:
                    raise ConfigError(
                        f"duplicate key {key!r} (first written at line {seen[key]})",
                        file=display,
                        line=k_line,
                        key=_key_text((*path, key)),
                        allowed="each key once in a mapping",
                    )
                seen[key] = k_line
                lines[(*path, key)] = (k_line, v.start_mark.line + 1)
                walk(v, (*path, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                line = item.start_mark.line + 1
                lines[(*path, i)] = (line, line)
                walk(item, (*path, i))

    walk(node, ())
    return _Doc(data, lines, display)


def _display(path: str | os.PathLike[str]) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return os.fspath(path)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace("_", ""))  # PyYAML reads 5e3 (no dot) as text
        except ValueError:
            return None
    return None


# ---- the study --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    """A validated sensitivity study (immutable).

    Attributes:
        name: identifier ``[a-z0-9_-]+``; results go to ``runs/<name>-<stamp>/``.
        method: ``"morris"``, ``"sobol"``, ``"oat"`` or ``"lhs"``.
        scenario: the scenario every run starts from, with the study's fixed changes
            (horizon, parameters, levers), the national level recorded and ``replicates`` set.
        vary: name -> (low, high): the levers and parameters varied and their ranges.
        outcomes: run-summary outcomes and monthly (time-series) outcomes to analyse.
        n: sample size: Morris trajectories, Sobol' N, OAT steps or LHS points.
        replicates: runs per design point (averaged; common random numbers).
        seed: master seed (sample and every run's seed derive from it).
        description: what the study asks.
        path: the study file, or None.
        options: ``levels`` (morris), ``second_order`` (sobol), ``per_year``, ``conf_level``,
            ``resamples``, ``prim`` (PRIM settings).
        discover: conditions for scenario discovery after the runs, e.g. ``"resurgence==1"``.
        scenario_file: the scenario file as written in the study (for the record).
    """

    name: str
    method: str
    scenario: Scenario
    vary: Mapping[str, tuple[float, float]]
    outcomes: tuple[str, ...]
    n: int
    replicates: int = 1
    seed: int = 0
    description: str = ""
    path: str | None = None
    options: Mapping[str, Any] = field(default_factory=FrozenMap)
    discover: tuple[str, ...] = ()
    scenario_file: str | None = None

    def __post_init__(self) -> None:
        vary = {k: (float(v[0]), float(v[1])) for k, v in self.vary.items()}
        object.__setattr__(self, "vary", FrozenMap(vary))
        object.__setattr__(self, "options", FrozenMap(self.options))
        object.__setattr__(self, "outcomes", tuple(self.outcomes))
        object.__setattr__(self, "discover", tuple(self.discover))

    @property
    def names(self) -> tuple[str, ...]:
        """The varied names, in file order."""
        return tuple(self.vary)

    @property
    def summary_outcomes(self) -> tuple[str, ...]:
        """The run-summary outcomes of the study."""
        return tuple(o for o in self.outcomes if base_outcome(o)[0] in _outcomes.SUMMARY)

    @property
    def series_outcomes(self) -> tuple[str, ...]:
        """The time-series (monthly, national) outcomes of the study."""
        return tuple(o for o in self.outcomes if base_outcome(o)[0] in _outcomes.MONTHLY)

    def problem(self) -> dict[str, Any]:
        """The SALib problem: names and bounds."""
        return {
            "num_vars": len(self.vary),
            "names": list(self.vary),
            "bounds": [list(b) for b in self.vary.values()],
        }

    def centre(self) -> dict[str, float]:
        """Each varied name's value in the scenario (OAT holds the others there).

        A lever the scenario schedules (its value changes over time) has no single value; the
        registry default stands in for it, as a constant like every varied lever.
        """
        params = self.scenario.parameter_values()
        out = {}
        for name in self.vary:
            p = REGISTRY[name]
            if p.is_schedulable:
                sched = self.scenario.levers.get(name)
                if sched is not None and sched.is_constant:
                    out[name] = float(sched.value_at(self.scenario.start, p.default))
                else:
                    out[name] = float(p.default)
            else:
                out[name] = float(params[name])
        return out

    def batch(self) -> Batch:
        """The study as a batch: one scenario, the design, replicates, the master seed."""
        from model.files.config import Batch

        design = None
        if self.method != "oat":
            design = {
                "kind": self.method,
                "n": self.n,
                "vary": {k: [v[0], v[1]] for k, v in self.vary.items()},
            }
            if self.method == "sobol":
                design["second_order"] = bool(self.options.get("second_order", False))
            if self.method == "morris":
                design["levels"] = int(self.options.get("levels", 4))
        return Batch(
            name=self.name,
            description=self.description,
            path=self.path,
            seed=self.seed,
            replicates=self.replicates,
            scenarios=(self.scenario,),
            design=design,
        )

    def design(self, batch: Batch | None = None) -> Design:
        """The design points (SALib's sample, or the one-at-a-time sweep)."""
        if self.method == "oat":
            names = self.names
            return oat_design(names, list(self.vary.values()), self.centre(), self.n)
        from model.experiments.design import parse_design

        return parse_design(batch if batch is not None else self.batch())

    def plan(self) -> tuple[Batch, Design, list[RunSpec]]:
        """The batch, its design and its run specs (imports the model to derive seeds)."""
        from model.experiments.design import expand

        batch = self.batch()
        design = self.design(batch)
        return batch, design, expand(batch, design)

    def runs(self) -> int:
        """How many runs the study makes."""
        return _points(self.method, self.n, len(self.vary), self.options) * self.replicates

    def to_dict(self) -> dict[str, Any]:
        """The study as plain data (``study.json`` in the run folder)."""
        return {
            "study": self.name,
            "description": self.description,
            "path": self.path,
            "scenario": self.scenario_file,
            "scenario_name": self.scenario.name,
            "method": self.method,
            "n": self.n,
            "replicates": self.replicates,
            "seed": self.seed,
            "horizon": self.scenario.horizon,
            "start": self.scenario.start,
            "vary": {k: list(v) for k, v in self.vary.items()},
            "centre": self.centre(),
            "outcomes": list(self.outcomes),
            "options": {
                k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.options.items()
            },
            "discover": list(self.discover),
        }

    def with_changes(self, **changes: Any) -> Study:
        """A re-validated copy with ``n``, ``replicates`` or ``horizon`` changed."""
        allowed = ("n", "replicates", "horizon")
        data = self.to_dict()
        for key, value in changes.items():
            if key not in allowed:
                raise ConfigError(f"unknown field {key!r}", key=key, allowed=", ".join(allowed))
            if value is not None:
                data[key] = value
        data["options"] = dict(self.options)
        return _study_from_record(data, self.scenario, self.path)


def _points(method: str, n: int, d: int, options: Mapping[str, Any]) -> int:
    if method == "sobol":
        return n * (2 * d + 2 if options.get("second_order") else d + 2)
    if method == "morris":
        return n * (d + 1)
    if method == "oat":
        return 1 + d * n
    return n


def load_study(path: str | os.PathLike[str]) -> Study:
    """Load and validate a study file.

    Raises:
        ConfigError: one line naming the file, line, key, what is allowed and, for a typo,
            the closest valid name. Nothing is written.
    """
    doc = _read_yaml(path)
    return _validate(doc, Path(path).absolute().parent, os.path.abspath(path))


def study_from_dict(data: Mapping[str, Any], base: str | os.PathLike[str] = ".") -> Study:
    """Validate a study given as a mapping (the keys of a study file).

    Args:
        data: the study's keys; ``scenario`` may be a file path (relative to ``base``) or a
            loaded :class:`~model.files.config.Scenario`.
        base: the folder relative scenario paths start from.

    Raises:
        ConfigError: as for a study file, without file and line.
    """
    doc = _Doc(dict(data), {}, None)
    return _validate(doc, Path(base).absolute(), None)


def _validate(doc: _Doc, base: Path, path: str | None) -> Study:
    d = doc.data
    for key in d:
        if key not in _ALL_KEYS:
            raise doc.error(
                [key],
                f"unknown key {str(key)!r}",
                allowed=", ".join(_COMMON_KEYS + ("levels", "second_order")),
                suggestion=_suggest(key, _ALL_KEYS),
                on_key=True,
            )
    for required in ("study", "scenario", "method", "n", "vary", "outcomes"):
        if required not in d or d[required] is None:
            raise doc.error(
                [], f"missing required key {required!r}", allowed=_REQUIRED_TEXT[required]
            )
    name = d["study"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise doc.error(
            ["study"], f"{_describe(name)} is not a valid name", allowed="a-z, 0-9, _ and -"
        )
    method = d["method"]
    if method not in METHODS:
        raise doc.error(
            ["method"],
            f"unknown method {_describe(method)}",
            allowed=", ".join(METHODS),
            suggestion=_suggest(method, METHODS),
        )
    for key in ("levels", "second_order"):
        if key in d and key not in _METHOD_KEYS[method]:
            owner = "morris" if key == "levels" else "sobol"
            raise doc.error(
                [key], f"{key} does not apply to a {method} study (only {owner})", on_key=True
            )
    description = d.get("description") or ""
    if not isinstance(description, str):
        raise doc.error(["description"], f"expected text, got {_describe(description)}")
    lo, hi = _N_RANGE[method]
    n = _whole(doc, ["n"], d["n"], lo, hi, _N_ALLOWED[method])
    if method == "sobol" and n & (n - 1):
        low = 1 << (n.bit_length() - 1)
        raise doc.error(
            ["n"],
            f"{n} is not a power of 2 (Sobol' sequences need one)",
            allowed=f"a power of 2, e.g. {low} or {low * 2}",
        )
    replicates = _whole(
        doc, ["replicates"], d.get("replicates", 1), 1, 10_000, "a whole number in 1 - 10000"
    )
    options: dict[str, Any] = {}
    if method == "morris":
        levels = _whole(
            doc, ["levels"], d.get("levels", 4), 2, 100, "an even whole number in 2 - 100"
        )
        if levels % 2:
            raise doc.error(
                ["levels"], f"{levels} is odd", allowed="an even whole number in 2 - 100"
            )
        options["levels"] = levels
    if method == "sobol":
        second = d.get("second_order", False)
        if not isinstance(second, bool):
            raise doc.error(
                ["second_order"],
                f"expected true or false, got {_describe(second)}",
                allowed="true, false",
            )
        options["second_order"] = second
    per_year = d.get("per_year", "mean")
    if per_year not in PER_YEAR:
        raise doc.error(
            ["per_year"],
            f"unknown summary {_describe(per_year)}",
            allowed=", ".join(PER_YEAR),
            suggestion=_suggest(per_year, PER_YEAR),
        )
    options["per_year"] = per_year
    conf = _as_number(d.get("conf_level", 0.95))
    if conf is None or not 0.5 <= conf < 1:
        raise doc.error(
            ["conf_level"],
            f"{_describe(d.get('conf_level'))} is not allowed",
            allowed="a number in 0.5 - 0.999",
        )
    options["conf_level"] = conf
    options["resamples"] = _whole(
        doc, ["resamples"], d.get("resamples", 1000), 10, 100_000, "a whole number in 10 - 100000"
    )
    vary = _vary(doc, d["vary"])
    if method == "oat" and len(vary) < 1 or method != "oat" and len(vary) < 2:
        need = 1 if method == "oat" else 2
        raise doc.error(
            ["vary"], f"{len(vary)} names varied", allowed=f"at least {need} registry names"
        )
    fixed_params = _fixed(doc, d, "parameters", vary)
    fixed_levers = _fixed(doc, d, "levers", vary)
    scenario, scenario_file = _base_scenario(doc, d["scenario"], base)
    changes: dict[str, Any] = {"replicates": replicates, "levels": ["national"]}
    if d.get("horizon") is not None:
        changes["horizon"] = _whole(
            doc, ["horizon"], d["horizon"], 1, 600, "a whole number of months in 1 - 600"
        )
    if fixed_params:
        changes["parameters"] = fixed_params
    if fixed_levers:
        changes["levers"] = fixed_levers
    try:
        scenario = scenario.with_changes(**changes)
    except ConfigError as exc:
        parts = [int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]", exc.key or "") if p]
        raise doc.error(
            parts, exc.message, allowed=exc.allowed, suggestion=exc.suggestion
        ) from None
    seed = d.get("seed", scenario.seed)
    seed = _whole(doc, ["seed"], seed, 0, 2**63 - 1, "a whole number >= 0")
    outcomes = _outcome_list(doc, d["outcomes"])
    discover = _conditions(doc, d.get("discover"), method, scenario.horizon)
    options["prim"] = _prim_options(doc, d.get("prim"))
    monthly = [base_outcome(o)[0] for o in outcomes]
    monthly = [o for o in monthly if o in _outcomes.MONTHLY]
    monthly += [c.outcome for c in map(parse_condition, discover) if c.month is not None]
    missing = [o for o in dict.fromkeys(monthly) if o not in scenario.outcomes]
    if missing:
        scenario = scenario.with_changes(outcomes=[*scenario.outcomes, *missing])
    points = _points(method, n, len(vary), options)
    if points * replicates > MAX_RUNS:
        raise doc.error(
            ["n"], f"the study has {points * replicates:,} runs", allowed=f"at most {MAX_RUNS:,}"
        )
    return Study(
        name=name,
        method=method,
        scenario=scenario,
        vary=vary,
        outcomes=outcomes,
        n=n,
        replicates=replicates,
        seed=seed,
        description=" ".join(description.split()),
        path=path,
        options=options,
        discover=discover,
        scenario_file=scenario_file,
    )


_REQUIRED_TEXT = {
    "study": "study: <name> (a-z, 0-9, _ and -)",
    "scenario": "scenario: <scenario file, relative to the study file>",
    "method": ", ".join(METHODS),
    "n": "the sample size (morris: trajectories; sobol: N; oat: steps; lhs: points)",
    "vary": "vary: {name: null or [low, high], ...} with registry names (stabsim params)",
    "outcomes": "a list of outcomes (stabsim outcomes), e.g. [cumulative_deaths, resurgence]",
}


def _whole(doc: _Doc, path: list[Any], value: Any, lo: int, hi: int, allowed: str) -> int:
    x = _as_number(value)
    if x is None or not math.isfinite(x) or not x.is_integer():
        raise doc.error(path, f"expected a whole number, got {_describe(value)}", allowed=allowed)
    if not lo <= int(x) <= hi:
        raise doc.error(path, f"{int(x)} is out of range", allowed=allowed)
    return int(x)


def _range_text(name: str) -> str:
    p = REGISTRY[name]
    text = f"{'whole numbers' if p.integer else 'numbers'} in {p.low:g} - {p.high:g} ({p.unit})"
    return text + (" or " + ", ".join(p.choices) if p.choices else "")


def _registry_number(doc: _Doc, path: list[Any], name: str, value: Any, allowed: str) -> float:
    p = REGISTRY[name]
    if isinstance(value, str) and value.strip() in p.choices:
        return float(p.choices[value.strip()])
    x = _as_number(value)
    if x is None:
        sug = _suggest(value, p.choices) if p.choices else None
        raise doc.error(
            path, f"expected a number, got {_describe(value)}", allowed=allowed, suggestion=sug
        )
    if not math.isfinite(x) or not p.low <= x <= p.high:
        raise doc.error(path, f"{x:g} is out of range", allowed=allowed)
    if p.integer and not x.is_integer():
        raise doc.error(path, f"{x:g} is not a whole number", allowed=allowed)
    return x


def _registry_name(doc: _Doc, path: list[Any], name: Any, what: str = "name") -> str:
    if not isinstance(name, str) or name not in REGISTRY:
        raise doc.error(
            path,
            f"unknown {what} {str(name)!r}",
            allowed="registry names (stabsim params)",
            suggestion=_suggest(name, REGISTRY),
            on_key=True,
        )
    return name


def _vary(doc: _Doc, body: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(body, Mapping) or not body:
        raise doc.error(
            ["vary"],
            f"expected a mapping of name: [low, high] or null, got {_describe(body)}",
            allowed="registry names (stabsim params), each with null (its registry range) or [low, high]",
        )
    out: dict[str, tuple[float, float]] = {}
    for name, value in body.items():
        path = ["vary", name]
        _registry_name(doc, path, name)
        p = REGISTRY[name]
        allowed = f"[low, high] with {_range_text(name)}, or null for the registry range"
        if p.kind == "technical":
            raise doc.error(
                path, f"{name} is a technical setting (resolution), not an uncertainty", on_key=True
            )
        if value is None:
            low, high = float(p.low), float(p.high)
        else:
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise doc.error(
                    path, f"expected [low, high], got {_describe(value)}", allowed=allowed
                )
            low = _registry_number(doc, [*path, 0], name, value[0], allowed)
            high = _registry_number(doc, [*path, 1], name, value[1], allowed)
        if not low < high:
            raise doc.error(path, f"low {low:g} is not below high {high:g}", allowed="low < high")
        out[name] = (low, high)
    return out


def _fixed(
    doc: _Doc, d: Mapping[str, Any], section: str, vary: Mapping[str, Any]
) -> dict[str, Any]:
    body = d.get(section)
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise doc.error([section], f"expected a mapping of name: value, got {_describe(body)}")
    names = LEVERS if section == "levers" else PARAMETERS
    for name in body:
        path = [section, name]
        if name not in names:
            p = REGISTRY.get(name) if isinstance(name, str) else None
            if p is not None:
                where = "parameters:" if section == "levers" else "levers:"
                raise doc.error(path, f"{name} is a {p.kind}: put it under {where}", on_key=True)
            raise doc.error(
                path,
                f"unknown {section[:-1]} {str(name)!r}",
                allowed="registry names (stabsim params)",
                suggestion=_suggest(name, names),
                on_key=True,
            )
        if name in vary:
            raise doc.error(
                path,
                f"{name} is both varied (vary:) and fixed ({section}:)",
                allowed="one of the two",
                on_key=True,
            )
    return dict(body)


def _base_scenario(doc: _Doc, value: Any, base: Path) -> tuple[Scenario, str | None]:
    from model.files.config import load_scenario

    if isinstance(value, Scenario):
        return value, value.path
    if not isinstance(value, str) or not value.strip():
        raise doc.error(
            ["scenario"],
            f"expected a scenario file, got {_describe(value)}",
            allowed=_REQUIRED_TEXT["scenario"],
        )
    target = base / value
    if not target.is_file():
        near = None
        if target.parent.is_dir():
            near = _suggest(target.name, [p.name for p in target.parent.glob("*.yaml")])
        raise doc.error(
            ["scenario"],
            f"scenario file not found: {value} ({target.resolve()})",
            allowed="a scenario file, relative to the study file",
            suggestion=near,
        )
    return load_scenario(target), value


def base_outcome(name: str) -> tuple[str, bool]:
    """The catalogue outcome of a study outcome, and whether it is analysed as
    ``log10(1 + value)`` (written ``log10(cumulative_deaths)`` in a study)."""
    m = _LOG_RE.match(name)
    return (m.group(1), True) if m else (name, False)


def _outcome_list(doc: _Doc, value: Any) -> tuple[str, ...]:
    allowed = (
        "run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. "
        "incidents), each optionally as log10(name): stabsim outcomes"
    )
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise doc.error(
            ["outcomes"], f"expected a list of outcomes, got {_describe(value)}", allowed=allowed
        )
    out: list[str] = []
    known = (*_outcomes.SUMMARY_NAMES, *_outcomes.MONTHLY_NAMES)
    for i, item in enumerate(items):
        path = ["outcomes", i] if isinstance(value, list) else ["outcomes"]
        if not isinstance(item, str):
            raise doc.error(
                path, f"expected an outcome name, got {_describe(item)}", allowed=allowed
            )
        name, log = base_outcome(item)
        if name in _DATE_OUTCOMES:
            alt = _DATE_OUTCOMES[name]
            raise doc.error(
                path,
                f"{name} is a date, not a number",
                allowed=allowed,
                suggestion=alt,
            )
        if name not in known:
            raise doc.error(
                path,
                f"unknown outcome {_describe(name)}",
                allowed=allowed,
                suggestion=_suggest(name, known),
            )
        if log:
            name = f"log10({name})"
        if name in out:
            raise doc.error(path, f"{name} is listed twice")
        out.append(name)
    return tuple(out)


def _conditions(doc: _Doc, value: Any, method: str, horizon: int) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    allowed = "conditions such as 'resurgence == 1' or 'is_held_areas[36] > 0'"
    if not isinstance(items, list):
        raise doc.error(
            ["discover"], f"expected a list of conditions, got {_describe(value)}", allowed=allowed
        )
    if method == "oat" and items:
        raise doc.error(
            ["discover"],
            "scenario discovery needs a sampled design",
            allowed="method lhs, sobol or morris",
        )
    out = []
    for i, text in enumerate(items):
        path = ["discover", i] if isinstance(value, list) else ["discover"]
        try:
            cond = parse_condition(text, horizon=horizon)
        except ValueError as exc:
            raise doc.error(path, str(exc), allowed=allowed) from None
        out.append(cond.text)
    return tuple(out)


def _prim_options(doc: _Doc, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "alpha": 0.05,
        "threshold": 0.8,
        "min_mass": 0.05,
        "boxes": 2,
        "paste": False,
    }
    if value is None:
        return out
    if not isinstance(value, Mapping):
        raise doc.error(
            ["prim"], f"expected a mapping, got {_describe(value)}", allowed=", ".join(_PRIM_KEYS)
        )
    for key, v in value.items():
        path = ["prim", key]
        if key not in _PRIM_KEYS:
            raise doc.error(
                path,
                f"unknown key {str(key)!r}",
                allowed=", ".join(_PRIM_KEYS),
                suggestion=_suggest(key, _PRIM_KEYS),
                on_key=True,
            )
        if key == "paste":
            if not isinstance(v, bool):
                raise doc.error(
                    path, f"expected true or false, got {_describe(v)}", allowed="true, false"
                )
            out[key] = v
        elif key == "boxes":
            out[key] = _whole(doc, path, v, 1, 10, "a whole number in 1 - 10")
        else:
            x = _as_number(v)
            lo, hi = (0.01, 0.5) if key in ("alpha", "min_mass") else (0.0, 1.0)
            if x is None or not lo <= x <= hi:
                raise doc.error(
                    path, f"{_describe(v)} is not allowed", allowed=f"a number in {lo:g} - {hi:g}"
                )
            out[key] = x
    return out


def _study_from_record(record: Mapping[str, Any], scenario: Scenario, path: str | None) -> Study:
    """Rebuild a study from ``study.json`` and its (resolved) scenario, re-validated."""
    data = {
        "study": record["study"],
        "description": record.get("description", ""),
        "scenario": scenario.with_changes(replicates=int(record["replicates"])),
        "method": record["method"],
        "n": record["n"],
        "replicates": record["replicates"],
        "seed": record["seed"],
        "horizon": record.get("horizon"),
        "vary": record["vary"],
        "outcomes": record["outcomes"],
        "discover": record.get("discover") or None,
    }
    options = dict(record.get("options") or {})
    for key in ("levels", "second_order", "per_year", "conf_level", "resamples", "prim"):
        if key in options:
            data[key] = options[key]
    study = study_from_dict(data)
    extra = {"path": path, "scenario_file": record.get("scenario")}
    return _replace(study, **extra)


def _replace(study: Study, **changes: Any) -> Study:
    import dataclasses

    return dataclasses.replace(study, **changes)


# ---- the one-at-a-time design -----------------------------------------------------------------


def oat_design(
    names: Sequence[str],
    bounds: Sequence[Sequence[float]],
    centre: Mapping[str, float],
    steps: int,
) -> Design:
    """The one-at-a-time sweep: each name from low to high, the others at the centre.

    Point 0 is the centre (every name at its ``centre`` value); then, for the i-th name, points
    ``1 + i * steps ... i * steps + steps`` move it from low to high in ``steps`` equal steps.
    Whole-number entries are rounded.

    Args:
        names: the varied registry names.
        bounds: (low, high) per name.
        centre: each name's value when another name moves.
        steps: values per name (at least 2: low and high).

    Returns:
        A design of kind ``"oat"`` with ``1 + len(names) * steps`` points.
    """
    from model.experiments.design import Design

    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    base = [float(centre[n]) for n in names]
    points = [tuple(base)]
    for i, name in enumerate(names):
        low, high = (float(b) for b in bounds[i])
        for v in np.linspace(low, high, steps):
            value = float(round(v)) if REGISTRY[name].integer else float(v)
            row = list(base)
            row[i] = value
            points.append(tuple(row))
    return Design(
        "oat",
        tuple(names),
        tuple(points),
        tuple((float(b[0]), float(b[1])) for b in bounds),
        n=None,
        options=FrozenMap({"steps": steps, "centre": tuple(base)}),
    )


# ---- indices (SALib) --------------------------------------------------------------------------


def sobol_indices(
    problem: Mapping[str, Any],
    y: Sequence[float] | np.ndarray,
    *,
    second_order: bool = False,
    conf_level: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Sobol' first-order and total indices (SALib's estimators) with confidence intervals.

    Args:
        problem: SALib problem (``names``, ``bounds``, ``num_vars``).
        y: the output at each point of ``SALib.sample.sobol.sample(problem, N,
            calc_second_order=second_order)``, in sample order.
        second_order: whether the sample has the second-order block.
        conf_level: confidence level of the bootstrap intervals.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        One row per name: ``S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of the interval).
        With ``second_order``, ``result.attrs["S2"]`` holds the pairs (``S2, S2_conf``). A
        constant output gives NaN indices.
    """
    from SALib.analyze import sobol

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(
        index=pd.Index(names, name="name"), columns=["S1", "S1_conf", "ST", "ST_conf"], dtype=float
    )
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        out.attrs["note"] = "constant output" if np.all(np.isfinite(y)) else "missing values"
        return out
    si = sobol.analyze(
        dict(problem),
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=conf_level,
        seed=seed,
    )
    for key in out.columns:
        out[key] = np.asarray(si[key], dtype=float)
    if second_order:
        rows = []
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                rows.append(
                    {
                        "name": a,
                        "other": names[j],
                        "S2": si["S2"][i, j],
                        "S2_conf": si["S2_conf"][i, j],
                    }
                )
        out.attrs["S2"] = pd.DataFrame(rows)
    return out


def morris_indices(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    levels: int = 4,
    conf_level: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Morris elementary-effect statistics (SALib's estimators).

    SALib divides each elementary effect by the step as a share of the range, so ``mu_star``
    is in the outcome's unit per whole range of the input: for a linear effect, the change of
    the outcome from the input's low to its high.

    Args:
        problem: SALib problem.
        x: the sample (``SALib.sample.morris.sample``), one row per point.
        y: the output at each point, in sample order.
        levels: the grid levels of the sample.
        conf_level: confidence level of the bootstrap interval of ``mu_star``.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        One row per name: ``mu, mu_star, mu_star_conf, sigma``.
    """
    from SALib.analyze import morris

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(
        index=pd.Index(names, name="name"),
        columns=["mu", "mu_star", "mu_star_conf", "sigma"],
        dtype=float,
    )
    if not np.all(np.isfinite(y)):
        out.attrs["note"] = "missing values"
        return out
    si = morris.analyze(
        dict(problem),
        np.asarray(x, dtype=float),
        y,
        num_resamples=resamples,
        conf_level=conf_level,
        num_levels=levels,
        seed=seed,
    )
    for key in out.columns:
        out[key] = np.asarray(si[key], dtype=float)
    return out


def oat_effects(
    names: Sequence[str], steps: int, x: np.ndarray, y: Sequence[float] | np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-at-a-time effects on the points of :func:`oat_design`.

    Args:
        names: the varied names, in design order.
        steps: values per name.
        x: the design points (``1 + len(names) * steps`` rows).
        y: the output at each point.

    Returns:
        ``(effects, curves)``: effects has one row per name with ``low, high, baseline, y_low,
        y_high, swing`` (``y_high - y_low``) and ``abs_swing``; curves has ``name, value, y``
        for every step.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    baseline = float(y[0])
    rows, curves = [], []
    for i, name in enumerate(names):
        idx = np.arange(1 + i * steps, 1 + (i + 1) * steps)
        values, ys = x[idx, i], y[idx]
        rows.append(
            {
                "name": name,
                "low": values[0],
                "high": values[-1],
                "baseline": baseline,
                "y_low": ys[0],
                "y_high": ys[-1],
                "swing": ys[-1] - ys[0],
                "abs_swing": abs(ys[-1] - ys[0]),
            }
        )
        curves += [
            {"name": name, "step": j, "value": v, "y": t}
            for j, (v, t) in enumerate(zip(values, ys, strict=True))
        ]
    effects = pd.DataFrame(rows).set_index("name")
    return effects, pd.DataFrame(curves)


# ---- outputs: stored runs -> one value per design point and output ---------------------------


class StudyError(Exception):
    """A study folder that cannot be analysed as asked (one line)."""


@dataclass(frozen=True)
class Output:
    """One analysed output: a run-summary outcome, or a time-series outcome in one year.

    Attributes:
        column: column name in the outputs table, e.g. ``resurgence`` or ``incidents_year2``.
        outcome: the outcome's name in the catalogue.
        year: year of the horizon (1 = the first 12 months), or None for a run summary.
        period: the months of that year, e.g. ``2018-04 to 2019-03`` ("" for a summary).
        start: the year's first month (None for a summary).
        unit: the unit of the analysed value.
    """

    column: str
    outcome: str
    year: int | None = None
    period: str = ""
    start: pd.Timestamp | None = None
    unit: str = ""


def _month_start(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"{text}-01")


def _outcome_unit(outcome: str, per_year: str = "mean", log: bool = False) -> str:
    if outcome == "resurgence":
        unit = "share of runs with a resurgence"
    elif outcome in _outcomes.SUMMARY:
        unit = _outcomes.SUMMARY[outcome].unit
    else:
        unit = _outcomes.MONTHLY[outcome].unit
        if per_year == "sum":
            unit = (
                unit.replace("per month", "per year") if "per month" in unit else f"{unit}-months"
            )
        else:
            unit += {"mean": ", yearly mean", "last": ", at year end", "max": ", yearly peak"}[
                per_year
            ]
    return f"log10(1 + {unit})" if log else unit


def _transform(x: np.ndarray, log: bool) -> np.ndarray:
    """``log10(1 + x)`` for a log-transformed outcome (a zero stays zero), else ``x``."""
    return np.log10(1.0 + np.clip(x, 0.0, None)) if log else x


def study_outputs(results: BatchResults, study: Study) -> tuple[pd.DataFrame, list[Output]]:
    """Every output of the study per design point, averaged over the finished replicates.

    ``months_to_defeat`` of a run without territorial defeat is the horizon (censored). A
    time-series outcome is the national monthly value summarised (``per_year``: mean, sum,
    last or max) over each year of the horizon.

    Returns:
        ``(table, outputs)``: one row per design point (``design_point``, the varied values,
        ``runs``: replicates averaged, then one column per output), and the outputs' list.

    Raises:
        StudyError: a design point has no finished run.
    """
    per_year = study.options.get("per_year", "mean")
    outputs: list[Output] = []
    keys = ["design_point", "replicate"]
    summary_bases = list(dict.fromkeys(base_outcome(o)[0] for o in study.summary_outcomes))
    series_bases = list(dict.fromkeys(base_outcome(o)[0] for o in study.series_outcomes))
    runs = results.summary(columns=summary_bases)
    if runs.empty:
        raise StudyError(f"{results.path}: no finished runs to analyse")
    runs = runs[keys + summary_bases].copy()
    if "months_to_defeat" in runs:
        runs["months_to_defeat"] = (
            runs["months_to_defeat"].astype(float).fillna(float(study.scenario.horizon))
        )
    values: dict[str, np.ndarray] = {}
    for o in study.summary_outcomes:
        base, log = base_outcome(o)
        column = f"log10_{base}" if log else base
        values[column] = _transform(runs[base].to_numpy(dtype=float), log)
        outputs.append(Output(column, o, unit=_outcome_unit(base, log=log)))
    if series_bases:
        monthly = results.monthly(level="national", columns=series_bases)
        start = _month_start(study.scenario.start)
        month = pd.to_datetime(monthly["month"])
        index = (month.dt.year - start.year) * 12 + (month.dt.month - start.month)
        monthly["year"] = (index // 12 + 1).astype(int)
        yearly = monthly.groupby([*keys, "year"], sort=True)[series_bases].agg(per_year)
        years = sorted(yearly.index.get_level_values("year").unique())
        end = start + pd.DateOffset(months=study.scenario.horizon - 1)
        unstacked = yearly.unstack("year")
        aligned = runs[keys].merge(
            unstacked.set_axis(range(unstacked.shape[1]), axis=1).reset_index(), on=keys, how="left"
        )
        position = {col: i for i, col in enumerate(unstacked.columns)}
        for o in study.series_outcomes:
            base, log = base_outcome(o)
            for k in years:
                first = start + pd.DateOffset(months=12 * (k - 1))
                last = min(first + pd.DateOffset(months=11), end)
                column = f"{'log10_' if log else ''}{base}_year{k}"
                period = f"{first:%Y-%m} to {last:%Y-%m}"
                unit = _outcome_unit(base, per_year, log)
                outputs.append(Output(column, o, k, period, first, unit))
                raw = aligned[position[(base, k)]].to_numpy(dtype=float)
                values[column] = _transform(raw, log)
    runs = pd.concat([runs[keys], pd.DataFrame(values, index=runs.index)], axis=1)
    columns = [o.column for o in outputs]
    grouped = runs.groupby("design_point")
    table = grouped[columns].mean()
    table.insert(0, "runs", grouped.size())
    design = results.design()
    table = design.merge(table.reset_index(), on="design_point", how="left")
    table["runs"] = table["runs"].fillna(0).astype(np.int64)
    empty = int((table["runs"] == 0).sum())
    if empty:
        raise StudyError(
            f"{results.path}: {empty} of {len(table)} design points have no finished run; complete "
            f"the study with `stabsim sensitivity --resume {results.path}` (add --retry-failed "
            "for failed runs)"
        )
    return table, outputs


def _index_rows(
    study: Study, outputs: Sequence[Output], frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The per-output index frames as one long table with the output's and name's details."""
    parts = []
    for o in outputs:
        frame = frames.get(o.column)
        if frame is None:
            continue
        f = frame.reset_index()
        f.insert(0, "outcome", o.outcome)
        f.insert(1, "year", o.year)
        f.insert(2, "period", o.period)
        f.insert(3, "unit", o.unit)
        f.insert(5, "kind", [REGISTRY[n].kind for n in f["name"]])
        f.insert(6, "name_unit", [REGISTRY[n].unit for n in f["name"]])
        if "low" not in f:
            f.insert(7, "low", [study.vary[n][0] for n in f["name"]])
            f.insert(8, "high", [study.vary[n][1] for n in f["name"]])
        key = {"sobol": "ST", "morris": "mu_star", "oat": "abs_swing"}[study.method]
        f["rank"] = f[key].rank(ascending=False, method="min").astype("Int64")
        f["note"] = frame.attrs.get("note", "")
        parts.append(f)
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    table["year"] = table["year"].astype("Int64")
    return table


@dataclass
class StudyResult:
    """The analysed study.

    Attributes:
        folder: the run folder.
        study: the study.
        outputs: one row per design point: varied values, runs averaged, outputs.
        indices: one row per output and name (empty for ``lhs``).
        curves: OAT only: the output at every step of every name.
        second_order: Sobol' with ``second_order``: the S2 pairs.
        files: tables and figures written, relative to ``folder``.
        discoveries: the scenario-discovery results of the study's ``discover`` conditions.
    """

    folder: Path
    study: Study
    outputs: pd.DataFrame
    indices: pd.DataFrame
    curves: pd.DataFrame | None = None
    second_order: pd.DataFrame | None = None
    files: list[str] = field(default_factory=list)
    discoveries: list[DiscoveryResult] = field(default_factory=list)

    def top(self, outcome: str, k: int = 3, year: int | None = None) -> pd.DataFrame:
        """The ``k`` most influential names for an outcome (by ST, mu* or swing)."""
        if self.indices.empty:
            return self.indices
        rows = self.indices[self.indices["outcome"] == outcome]
        rows = rows[rows["year"].isna()] if year is None else rows[rows["year"] == year]
        return rows.sort_values("rank").head(k)


def analyze_study(
    folder: str | os.PathLike[str], study: Study | None = None, *, figures: bool = True
) -> StudyResult:
    """Compute the study's indices from its stored runs; write tables and figures.

    Writes ``<folder>/sensitivity/``: ``outputs`` and ``indices`` (Parquet and CSV; OAT adds
    ``oat_curves``, second-order Sobol' ``sobol_s2``), figures (PNG) and ``summary.md``; each
    ``discover`` condition goes to ``sensitivity/discovery/<condition>/``.

    Args:
        folder: a study's run folder (``study.json`` and a batch).
        study: the study (read from ``study.json`` when not given).
        figures: also draw the figures.

    Raises:
        StudyError: no study here, or design points without a finished run.
    """
    from model.experiments.results import open_batch

    folder = Path(folder)
    study = study if study is not None else open_study(folder)
    results = open_batch(folder)
    table, outputs = study_outputs(results, study)
    problem = study.problem()
    x = table[list(study.names)].to_numpy(dtype=float)
    opts = study.options
    frames: dict[str, pd.DataFrame] = {}
    curves, s2 = [], []
    for o in outputs:
        y = table[o.column].to_numpy(dtype=float)
        if study.method == "sobol":
            frame = sobol_indices(
                problem,
                y,
                second_order=bool(opts.get("second_order")),
                conf_level=opts["conf_level"],
                resamples=opts["resamples"],
                seed=study.seed % 2**32,
            )
            if "S2" in frame.attrs:
                s2.append(frame.attrs.pop("S2").assign(outcome=o.outcome, year=o.year))
        elif study.method == "morris":
            frame = morris_indices(
                problem,
                x,
                y,
                levels=int(opts.get("levels", 4)),
                conf_level=opts["conf_level"],
                resamples=opts["resamples"],
                seed=study.seed % 2**32,
            )
        elif study.method == "oat":
            frame, curve = oat_effects(study.names, study.n, x, y)
            curves.append(curve.assign(outcome=o.outcome, year=o.year, period=o.period))
        else:
            continue
        frames[o.column] = frame
    indices = _index_rows(study, outputs, frames)
    result = StudyResult(folder, study, table, indices)
    if curves:
        result.curves = pd.concat(curves, ignore_index=True)
        result.curves["year"] = result.curves["year"].astype("Int64")
    if s2:
        result.second_order = pd.concat(s2, ignore_index=True)
    out = folder / OUTPUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    _clear_outputs(out)
    _write_table(table, out / "outputs", result)
    if not indices.empty:
        _write_table(indices, out / "indices", result)
    if result.curves is not None:
        _write_table(result.curves, out / "oat_curves", result)
    if result.second_order is not None:
        _write_table(result.second_order, out / "sobol_s2", result)
    if figures:
        for name, fig in study_figures(result, outputs):
            _save_figure(fig, out / name)
            result.files.append(f"{OUTPUT_DIR}/{name}")
    for text in study.discover:
        found = discover(folder, text, **_prim_kwargs(study.options.get("prim", {})))
        result.discoveries.append(found)
        result.files += found.files
    _write_text(summary_text(result), out / "summary.md")
    result.files.append(f"{OUTPUT_DIR}/summary.md")
    return result


def _prim_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    keys = {
        "alpha": "alpha",
        "threshold": "threshold",
        "min_mass": "min_mass",
        "boxes": "max_boxes",
        "paste": "paste",
    }
    return {keys[k]: v for k, v in options.items() if k in keys}


_OWNED = ("outputs.", "indices.", "oat_curves.", "sobol_s2.", "summary.md")


def _clear_outputs(out: Path) -> None:
    """Remove the files of an earlier analysis (never the discovery folder)."""
    for entry in out.iterdir():
        if entry.is_file() and (entry.name.startswith(_OWNED) or entry.suffix == ".png"):
            entry.unlink()


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_table(table: pd.DataFrame, stem: Path, result: StudyResult | None = None) -> list[str]:
    """``stem.parquet`` and ``stem.csv``, each written to a temporary file and renamed."""
    from model.experiments.store import write_parquet_atomic

    write_parquet_atomic(table, stem.with_suffix(".parquet"))
    csv = stem.with_suffix(".csv")
    tmp = _tmp(csv)
    table.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, csv)
    names = [_rel(stem.with_suffix(s), result) for s in (".parquet", ".csv")]
    if result is not None:
        result.files += names
    return names


def _rel(path: Path, result: StudyResult | None) -> str:
    if result is None:
        return str(path)
    try:
        return str(path.relative_to(result.folder))
    except ValueError:
        return str(path)


def _write_text(text: str, path: Path) -> None:
    tmp = _tmp(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _save_figure(fig: Figure, path: Path) -> None:
    tmp = _tmp(path)
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)


def _fmt(x: float, digits: int = 3) -> str:
    """A number for people: 3 significant digits, or whole with thousands separators."""
    if x is None or not np.isfinite(x):
        return "nan"
    return f"{x:.{digits}g}" if abs(x) < 10 ** max(digits, 4) else f"{x:,.0f}"


def summary_text(result: StudyResult) -> str:
    """A short Markdown summary: the study, and the three most influential names per outcome."""
    s = result.study
    runs = int(result.outputs["runs"].sum())
    lines = [
        f"# Study {s.name}",
        "",
        s.description or "",
        "",
        f"- method: {s.method}, n = {s.n}; {len(result.outputs)} design points x {s.replicates} replicate(s) = {runs} runs",
        f"- scenario: {s.scenario.name} ({s.scenario_file or s.scenario.path}), {s.scenario.start}, horizon {s.scenario.horizon} months",
        f"- master seed: {s.seed}; folder: {result.folder}",
        f"- varied: {', '.join(f'{n} [{lo:g}, {hi:g}]' for n, (lo, hi) in s.vary.items())}",
        "",
    ]
    if not result.indices.empty:
        metric = {
            "sobol": ("ST", "ST_conf"),
            "morris": ("mu_star", "mu_star_conf"),
            "oat": ("swing", None),
        }[s.method]
        lines += [f"## Most influential (by {metric[0]}; run-summary outcomes)", ""]
        for outcome in s.summary_outcomes:
            top = result.top(outcome)
            parts = []
            for _, row in top.iterrows():
                value = _fmt(row[metric[0]])
                if metric[1]:
                    value += f" ± {_fmt(row[metric[1]])}"
                parts.append(f"{row['name']} {value}")
            note = top["note"].iloc[0] if len(top) and top["note"].iloc[0] else ""
            lines.append(f"- {outcome}: {note or '; '.join(parts)}")
        lines.append("")
    for d in result.discoveries:
        lines += [f"## Discovery: {d.condition}", "", d.describe(), ""]
    lines += ["Files: " + ", ".join(f for f in result.files if not f.endswith(".parquet")), ""]
    return "\n".join(lines)


def open_study(folder: str | os.PathLike[str]) -> Study:
    """The study recorded in a run folder (``study.json`` and the manifest's scenario).

    Raises:
        StudyError: the folder holds no study.
    """
    from model.experiments.store import StoreError, batch_from_manifest, read_manifest

    folder = Path(folder)
    record_path = folder / STUDY_FILE
    try:
        manifest = read_manifest(folder)
    except StoreError as exc:
        raise StudyError(str(exc)) from None
    if not record_path.is_file():
        raise StudyError(
            f"{folder}: not a study folder ({STUDY_FILE} not found); for a batch, use stabsim discover"
        )
    record = json.loads(record_path.read_text(encoding="utf-8"))
    batch = batch_from_manifest(manifest)
    return _study_from_record(record, batch.scenarios[0], record.get("path"))


def record_study(study: Study, folder: str | os.PathLike[str]) -> None:
    """Write ``study.json`` (the study as run) into its run folder."""
    folder = Path(folder)
    data = study.to_dict()
    data["written"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    _write_text(json.dumps(data, indent=1, default=str) + "\n", folder / STUDY_FILE)


# ---- running a study --------------------------------------------------------------------------


@dataclass
class StudyRun:
    """What ``run_study`` did.

    Attributes:
        folder: the run folder.
        study: the study.
        report: the execution report (runs done, failed, missing).
        result: the analysis, when every design point has a finished run; else None.
        resumed: whether the folder held the study already.
    """

    folder: Path
    study: Study
    report: Report
    result: StudyResult | None = None
    resumed: bool = False


def run_study(
    study: Study | str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    runs_dir: str | os.PathLike[str] = "runs",
    figures: bool = True,
) -> StudyRun:
    """Run a study through the batch machinery, then analyse it.

    Args:
        study: a :class:`Study`, a study file, or None with ``resume``.
        out: the run folder (resumed if it holds this study).
        resume: a study folder to complete (the study recorded there).
        executor: ``"serial"``, ``"process"`` or ``"dask"`` (``model.experiments.executors``).
        workers: worker processes (default: all cores).
        scheduler: Dask scheduler address.
        progress: show a progress bar.
        retry_failed: also run again runs that failed.
        runs_dir: where ``<study>-<YYYYmmdd-HHMMSS>/`` is created.
        figures: draw the figures.

    Returns:
        The run folder, the execution report and, when the study is complete, its analysis.

    Raises:
        ConfigError: a mistake in the study file.
        StoreError: the folder holds another study or batch, or is in use.
    """
    from model.experiments.executors import execute
    from model.experiments.store import BatchStore

    if study is None:
        if resume is None:
            raise StudyError("give a study, or resume=FOLDER")
        study = open_study(resume)
    elif not isinstance(study, Study):
        study = load_study(study)
    batch, design, specs = study.plan()
    with BatchStore.open(batch, specs, design, out=out, resume=resume, runs_dir=runs_dir) as store:
        record_study(study, store.root)
        report = execute(specs, store, executor, workers, scheduler, progress, retry_failed)
        root, resumed = store.root, store.resumed
    run = StudyRun(root, study, report, resumed=resumed)
    if report.complete:
        run.result = analyze_study(root, study, figures=figures)
    return run


# ---- figures ----------------------------------------------------------------------------------

_DPI = 120
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def study_figures(result: StudyResult, outputs: Sequence[Output]) -> list[tuple[str, Figure]]:
    """The figures of an analysed study: (file name, figure) pairs."""
    s = result.study
    idx = result.indices
    figs: list[tuple[str, Figure]] = []
    if idx.empty:
        return figs
    title_n = f"{s.method}, n={s.n}, {int(result.outputs['runs'].sum())} runs, {s.scenario.horizon} months"
    for o in outputs:
        if o.year is not None:
            continue
        rows = idx[(idx["outcome"] == o.outcome) & idx["year"].isna()].set_index("name")
        if rows["note"].iloc[0]:
            continue
        title = f"{o.outcome} ({o.unit})\n{s.name}: {title_n}"
        if s.method == "morris":
            figs.append(
                (
                    f"morris_{_slug(o.outcome)}.png",
                    plot_morris(rows, title, o.unit, s.options["conf_level"]),
                )
            )
        elif s.method == "sobol":
            figs.append(
                (f"sobol_{_slug(o.outcome)}.png", plot_sobol(rows, title, s.options["conf_level"]))
            )
        elif s.method == "oat":
            figs.append(
                (f"tornado_{_slug(o.outcome)}.png", plot_tornado(rows, o.outcome, o.unit, title))
            )
    for outcome in s.series_outcomes:
        rows = idx[idx["outcome"] == outcome]
        if rows.empty:
            continue
        unit = rows["unit"].iloc[0]
        title = f"{outcome} ({unit}) per year of the horizon\n{s.name}: {title_n}"
        figs.append(
            (
                f"{s.method}_over_time_{_slug(outcome)}.png",
                plot_over_time(rows, s.method, title, s.options["conf_level"]),
            )
        )
    return figs


def _place_labels(
    fig: Figure,
    ax: Any,
    xs: Sequence[float],
    ys: Sequence[float],
    labels: Sequence[str],
    fontsize: float = 8,
) -> list[Any]:
    """Label points so that no label overlaps another label, a marker or the axes' edge.

    Greedy: the points are labelled in order of distance from the origin; each label takes the
    first free spot on rings of growing radius around its point; a label set away from its point
    gets a leader line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox, IdentityTransform

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lay out the figure once, then freeze it: label positions depend on it
    fig.set_layout_engine("none")
    renderer = canvas.get_renderer()
    pts = ax.transData.transform(np.column_stack([xs, ys]))
    frame = ax.get_window_extent(renderer)
    r = 4.0 * fig.dpi / 72  # marker half-size in pixels
    taken = [Bbox.from_bounds(px - r, py - r, 2 * r, 2 * r) for px, py in pts]
    order = np.argsort(-np.hypot(pts[:, 0] - frame.x0, pts[:, 1] - frame.y0))
    probe = ax.text(0, 0, "", fontsize=fontsize, transform=IdentityTransform())
    angles = np.deg2rad(
        [45, 315, 135, 225, 0, 180, 90, 270, 22.5, 337.5, 157.5, 202.5, 67.5, 292.5, 112.5, 247.5]
    )
    placed = []
    step = 6.0 * fig.dpi / 72
    for i in order:
        px, py = pts[i]
        probe.set_text(labels[i])
        best, best_cost = None, math.inf
        for radius in (1, 2, 3, 4, 6, 8, 11, 15, 20, 26):
            for a in angles:
                dx, dy = radius * step * math.cos(a), radius * step * math.sin(a)
                ha = "left" if dx > 1e-6 else "right" if dx < -1e-6 else "center"
                va = "bottom" if dy > 1e-6 else "top" if dy < -1e-6 else "center"
                probe.set_position((px + dx, py + dy))
                probe.set_ha(ha)
                probe.set_va(va)
                box = probe.get_window_extent(renderer).expanded(1.05, 1.1)
                cost = sum(_overlap(box, t) for t in taken)
                outside = box.width * box.height - _overlap(box, frame)
                cost += 10 * outside
                if cost < best_cost:
                    best, best_cost = (dx, dy, ha, va, box, radius), cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        dx, dy, ha, va, box, radius = best
        taken.append(box)
        k = 72 / fig.dpi
        arrow = (
            {"arrowstyle": "-", "color": "0.5", "lw": 0.6, "shrinkA": 0, "shrinkB": 3}
            if radius > 2
            else None
        )
        placed.append(
            ax.annotate(
                labels[i],
                (xs[i], ys[i]),
                xytext=(dx * k, dy * k),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                arrowprops=arrow,
            )
        )
    probe.remove()
    return placed


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def plot_morris(rows: pd.DataFrame, title: str, unit: str, conf_level: float = 0.95) -> Figure:
    """Morris mu* against sigma, every name labelled (labels never overlap), and mu* with its
    confidence interval as bars.

    Args:
        rows: indexed by name, with ``mu_star``, ``mu_star_conf`` and ``sigma``.
        title: the figure title.
        unit: the outcome's unit (mu* and sigma are in it, per whole range of the input).
        conf_level: the intervals' confidence level (for the axis label).
    """
    n = len(rows)
    fig = _figure(12.5, max(6.0, 1.2 + 0.22 * n))
    grid = fig.add_gridspec(1, 2, width_ratios=(1.7, 1))
    ax = fig.add_subplot(grid[0, 0])
    x = rows["mu_star"].to_numpy(dtype=float)
    y = rows["sigma"].to_numpy(dtype=float)
    xmax = float(np.nanmax(x)) if n and np.nanmax(x) > 0 else 1.0
    ymax = float(np.nanmax(y)) if n and np.nanmax(y) > 0 else 1.0
    line = np.array([0, max(xmax, ymax) * 1.5])
    ax.plot(line, line, ls="--", color="0.6", lw=0.8, label="σ = μ*: non-linear or interacting")
    ax.plot(line, 0.1 * line, ls=":", color="0.6", lw=0.8, label="σ = 0.1 μ*: almost linear")
    ax.plot(x, y, "o", ms=5, color=_COLORS[0])
    ax.set_xlim(0, xmax * 1.35)
    ax.set_ylim(0, ymax * 1.35)
    ax.set_xlabel(f"μ*: mean |elementary effect| ({unit}, per whole range of the input)")
    ax.set_ylabel(f"σ: spread of the elementary effects ({unit})")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    bars = fig.add_subplot(grid[0, 1])
    order = rows.sort_values("mu_star", ascending=True)
    pos = np.arange(n)
    bars.barh(
        pos,
        order["mu_star"],
        xerr=order["mu_star_conf"],
        color=_COLORS[0],
        error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.3"},
    )
    bars.set_yticks(pos, list(order.index), fontsize=8 if n <= 20 else 7)
    bars.set_xlabel(f"μ* ({unit}); whiskers: {conf_level:.0%} CI")
    bars.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    _place_labels(fig, ax, x, y, list(rows.index))
    return fig


def plot_sobol(rows: pd.DataFrame, title: str, conf_level: float = 0.95) -> Figure:
    """Sobol' first-order (S1) and total (ST) indices with confidence intervals, by ST.

    Args:
        rows: indexed by name, with ``S1, S1_conf, ST, ST_conf``.
        title: the figure title.
        conf_level: the intervals' confidence level (for the legend).
    """
    rows = rows.sort_values("ST", ascending=True)
    n = len(rows)
    fig = _figure(7.5, 1.6 + 0.42 * n)
    ax = fig.add_subplot()
    pos = np.arange(n)
    h = 0.38
    err = {"elinewidth": 0.9, "capsize": 3, "ecolor": "0.25"}
    ax.barh(
        pos + h / 2,
        rows["ST"],
        h,
        xerr=rows["ST_conf"],
        color=_COLORS[0],
        label="ST: total (with interactions)",
        error_kw=err,
    )
    ax.barh(
        pos - h / 2,
        rows["S1"],
        h,
        xerr=rows["S1_conf"],
        color="#9ecae1",
        label="S1: first order (alone)",
        error_kw=err,
    )
    ax.set_yticks(pos, list(rows.index))
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel(
        f"share of the output's variance (bars: index; whiskers: {conf_level:.0%} confidence interval)"
    )
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_tornado(rows: pd.DataFrame, outcome: str, unit: str, title: str) -> Figure:
    """One-at-a-time tornado: the outcome at each name's low and high value, by swing.

    Args:
        rows: indexed by name, with ``low, high, baseline, y_low, y_high, abs_swing``.
        outcome: the outcome's name.
        unit: its unit (the x axis).
        title: the figure title.
    """
    rows = rows.sort_values("abs_swing", ascending=True)
    n = len(rows)
    height = 1.6 + 0.45 * n
    fig = _figure(8.0, height)
    ax = fig.add_subplot()
    base = float(rows["baseline"].iloc[0])
    pos = np.arange(n)
    lo = rows["y_low"].to_numpy(dtype=float) - base
    hi = rows["y_high"].to_numpy(dtype=float) - base
    ax.barh(pos, lo, left=base, color="#6baed6", label="name at its low value")
    ax.barh(pos, hi, left=base, color="#fd8d3c", alpha=0.85, label="name at its high value")
    labels = [
        f"{name}\n{_fmt(r.low, 4)} – {_fmt(r.high, 4)} {REGISTRY[name].unit}"
        for name, r in rows.iterrows()
    ]
    ax.set_yticks(pos, labels, fontsize=8)
    ax.axvline(base, color="0.2", lw=1, label=f"every name at its scenario value: {_fmt(base, 4)}")
    ax.set_xlabel(f"{outcome} ({unit})")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_over_time(
    rows: pd.DataFrame, method: str, title: str, conf_level: float = 0.95, top: int = 6
) -> Figure:
    """Indices per year of the horizon (a time-series outcome), on a dated axis.

    Sobol': ST (solid, with its interval as a band) and S1 (dashed); Morris: mu* (band: its
    interval); OAT: the swing (outcome at high minus at low). The ``top`` names with the largest
    index in any year are drawn.
    """
    import matplotlib.dates as mdates

    metric, conf = {
        "sobol": ("ST", "ST_conf"),
        "morris": ("mu_star", "mu_star_conf"),
        "oat": ("swing", None),
    }[method]
    rows = rows[rows["year"].notna()].copy()
    rows["x"] = [
        pd.Timestamp(p.split(" to ")[0] + "-01") + pd.DateOffset(months=6) for p in rows["period"]
    ]
    strength = (
        rows.assign(a=rows[metric].abs()).groupby("name")["a"].max().sort_values(ascending=False)
    )
    names = list(strength.index[:top])
    fig = _figure(8.5, 5.0)
    ax = fig.add_subplot()
    for i, name in enumerate(names):
        r = rows[rows["name"] == name].sort_values("x")
        c = _COLORS[i % len(_COLORS)]
        ax.plot(r["x"], r[metric], "-o", ms=3, color=c, label=name)
        if conf:
            ax.fill_between(
                r["x"], r[metric] - r[conf], r[metric] + r[conf], color=c, alpha=0.12, lw=0
            )
        if method == "sobol":
            ax.plot(r["x"], r["S1"], "--", color=c, lw=1)
    ticks = rows.drop_duplicates("year").sort_values("year")
    ax.set_xticks(
        list(ticks["x"]),
        [
            f"y{int(k)}\n{p.split(' to ')[0]}"
            for k, p in zip(ticks["year"], ticks["period"], strict=True)
        ],
        fontsize=8,
    )
    ax.xaxis.set_minor_locator(mdates.YearLocator())
    ylabel = {
        "sobol": f"Sobol' index (solid ST, dashed S1; band {conf_level:.0%} CI of ST)",
        "morris": f"μ* ({rows['unit'].iloc[0]}; band {conf_level:.0%} CI)",
        "oat": f"swing: at high − at low ({rows['unit'].iloc[0]})",
    }[method]
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_xlabel("year of the horizon and the month it starts (points at mid-year)")
    if method == "oat":
        ax.axhline(0, color="0.3", lw=0.8)
    ax.set_title(title, fontsize=10)
    extra = (
        f"top {len(names)} of {rows['name'].nunique()}"
        if rows["name"].nunique() > len(names)
        else ""
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        title=extra or None,
        title_fontsize=8,
    )
    ax.grid(alpha=0.3)
    return fig


# ---- scenario discovery: conditions and PRIM --------------------------------------------------

WEAK_QP = 0.05
"""A restriction whose quasi-p-value exceeds this is reported as weak (not supported by the runs)."""
_OPS = {"==": "eq", "!=": "ne", ">=": "ge", "<=": "le", ">": "gt", "<": "lt"}
_COND_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]]*?)\s*\])?\s*(==|!=|>=|<=|>|<)\s*(\S+)\s*$"
)


@dataclass(frozen=True)
class Condition:
    """A yes/no question about a run: ``outcome OP value``, or ``outcome[month] OP value``.

    Attributes:
        text: the condition, normalised (e.g. ``is_held_areas[36] > 0``).
        outcome: a run-summary outcome, or a monthly one (national level) with ``month``.
        op: ``==``, ``!=``, ``>``, ``>=``, ``<`` or ``<=``.
        value: the number compared with.
        month: for a monthly outcome, months after the start (``36``: the 37th month) or a
            month ``YYYY-MM``; None for a run-summary outcome.
    """

    text: str
    outcome: str
    op: str
    value: float
    month: int | str | None = None

    @property
    def slug(self) -> str:
        """A file-name form, e.g. ``is_held_areas_m36_gt_0``."""
        month = "" if self.month is None else f"_m{str(self.month).replace('-', '')}"
        value = f"{self.value:g}".replace("-", "minus").replace(".", "p")
        return f"{self.outcome}{month}_{_OPS[self.op]}_{value}"

    def holds(self, values: pd.Series) -> pd.Series:
        """Whether the condition holds for each value (NaN never holds)."""
        v = values.astype(float)
        if self.outcome == "months_to_defeat":
            v = v.fillna(np.inf)  # never defeated within the horizon: later than any month
        result = {
            "==": v == self.value,
            "!=": v != self.value,
            ">": v > self.value,
            ">=": v >= self.value,
            "<": v < self.value,
            "<=": v <= self.value,
        }[self.op]
        return result & v.notna()


def parse_condition(text: str, horizon: int | None = None) -> Condition:
    """Parse a condition such as ``resurgence == 1`` or ``is_held_areas[36] > 0``.

    Args:
        text: ``outcome OP number``; a monthly (time-series) outcome needs a month in brackets:
            months after the start (``[36]``) or ``[YYYY-MM]``.
        horizon: the runs' horizon, to check a month offset (optional).

    Raises:
        ValueError: a one-line message saying what is wrong.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a condition as text, got {_describe(text)}")
    m = _COND_RE.match(text)
    if not m:
        raise ValueError(f"cannot read the condition {text!r}")
    outcome, month, op, number = m.groups()
    if outcome in _DATE_OUTCOMES:
        raise ValueError(
            f"{outcome} is a date; use {_DATE_OUTCOMES[outcome] or 'a number outcome'}"
        )
    known = (*_outcomes.SUMMARY_NAMES, *_outcomes.MONTHLY_NAMES)
    if outcome not in known:
        near = _suggest(outcome, known)
        raise ValueError(
            f"unknown outcome {outcome!r}" + (f"; did you mean '{near}'?" if near else "")
        )
    value = _as_number(number)
    if value is None or not math.isfinite(value):
        raise ValueError(f"expected a number after {op}, got {number!r}")
    when: int | str | None = None
    if outcome in _outcomes.MONTHLY:
        if month is None:
            raise ValueError(
                f"{outcome} is monthly: give a month, e.g. {outcome}[36] {op} {number} (36 months after the start)"
            )
        if re.fullmatch(r"\d{4}-\d{2}", month):
            when = month
        elif month.isdigit():
            when = int(month)
            if horizon is not None and when >= horizon:
                raise ValueError(f"month {when} is beyond the horizon (months 0 - {horizon - 1})")
        else:
            raise ValueError(
                f"expected months after the start or YYYY-MM in brackets, got [{month}]"
            )
    elif month is not None:
        raise ValueError(f"{outcome} is a run summary: it takes no month")
    shown = f"{outcome}[{when}]" if when is not None else outcome
    return Condition(f"{shown} {op} {value:g}", outcome, op, value, when)


def condition_values(
    results: BatchResults, condition: Condition, scenario: str | None = None
) -> pd.DataFrame:
    """The outcome and whether the condition holds, per finished run.

    Returns:
        ``run_id, design_point, replicate, value, holds``, sorted like the batch.
    """
    keys = ["run_id", "design_point", "replicate"]
    scenarios = [scenario] if scenario else None
    if condition.month is None:
        table = results.summary(scenarios=scenarios, columns=[condition.outcome])
        table = table[[*keys, condition.outcome]]
    else:
        table = results.monthly(level="national", scenarios=scenarios, columns=[condition.outcome])
        month = pd.to_datetime(table["month"])
        if isinstance(condition.month, str):
            pick = month == _month_start(condition.month)
        else:
            first = month.groupby(table["run_id"]).transform("min")
            index = (month.dt.year - first.dt.year) * 12 + (month.dt.month - first.dt.month)
            pick = index == condition.month
        table = table.loc[pick, [*keys, condition.outcome]]
        runs = results.summary(scenarios=scenarios, columns=[])
        if len(table) < len(runs):
            raise StudyError(
                f"{condition.text}: month {condition.month} is not in every run's horizon"
            )
    table = table.rename(columns={condition.outcome: "value"}).reset_index(drop=True)
    table["holds"] = condition.holds(table["value"])
    return table


@dataclass
class PrimResult:
    """Boxes found by PRIM.

    Attributes:
        names: the dimensions (varied levers and parameters).
        boxes: one row per box: ``box, coverage, density, mass, res_dim, runs, cases, step,
            pasted``. Coverage: share of all cases (runs where the condition holds) inside the
            box; density: share of the box's runs that are cases; mass: share of all runs inside.
        limits: one row per box and name: ``low, high`` (inclusive), ``full_low, full_high``,
            ``restricted`` and ``qp`` (quasi-p-value of the restriction: one-sided binomial test
            that the box is denser than the box without it).
        trajectory: the peeling trajectory of each box: ``box, step, coverage, density, mass,
            res_dim, chosen``.
        cases: cases among all runs; total: all runs.
    """

    names: tuple[str, ...]
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    cases: int
    total: int

    def describe(self) -> str:
        """The boxes in a few lines of text."""
        lines = [
            f"{self.cases} of {self.total} runs are cases ({self.cases / max(self.total, 1):.1%})"
        ]
        for _, b in self.boxes.iterrows():
            lim = self.limits[(self.limits["box"] == b["box"]) & self.limits["restricted"]]
            where = "; ".join(
                f"{r['name']} {_fmt(r['low'], 4)} – {_fmt(r['high'], 4)} (qp {r['qp']:.2g}"
                + (", weak" if not r["qp"] <= WEAK_QP else "")
                + ")"
                for _, r in lim.sort_values("qp").iterrows()
            )
            lines.append(
                f"box {b['box']}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, mass {b['mass']:.2f} "
                f"({b['runs']} runs, {b['cases']} cases): {where or 'no restriction'}"
            )
        return "\n".join(lines)


def _in_box(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, skip: int | None = None) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for j in range(x.shape[1]):
        if j != skip:
            inside &= (x[:, j] >= lo[j]) & (x[:, j] <= hi[j])
    return inside


def _peel(
    x: np.ndarray,
    y: np.ndarray,
    avail: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    alpha: float,
    min_runs: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Friedman & Fisher's peeling: repeatedly remove the alpha-share slice (from one side of
    one dimension) whose removal leaves the box with the highest mean; stop at ``min_runs``."""
    boxes = [(lo.copy(), hi.copy())]
    mask = avail & _in_box(x, lo, hi)
    top = float(np.max(y[avail])) if avail.any() else 1.0
    while True:
        m = int(mask.sum())
        if m == 0 or float(y[mask].mean()) >= top:
            break
        k = max(1, int(math.floor(alpha * m)))
        best: tuple[float, int, int, str, float] | None = None
        for j in range(x.shape[1]):
            v = np.sort(x[mask, j])
            if v[0] == v[-1]:
                continue
            # Low side: drop the k smallest (at least the whole group tied at the minimum).
            t_low = v[min(k, m - 1)]
            if t_low == v[0]:
                t_low = v[np.searchsorted(v, v[0], side="right")]
            # High side: drop the k largest (at least the group tied at the maximum).
            t_high = v[max(m - 1 - k, 0)]
            if t_high == v[-1]:
                t_high = v[np.searchsorted(v, v[-1], side="left") - 1]
            for side, keep in (("low", x[:, j] >= t_low), ("high", x[:, j] <= t_high)):
                cand = mask & keep
                n_c = int(cand.sum())
                if n_c < min_runs or n_c == 0:
                    continue
                score = (float(y[cand].mean()), n_c)
                if best is None or score > best[:2]:
                    best = (*score, j, side, t_low if side == "low" else t_high)
        if best is None:
            break
        _, _, j, side, t = best
        if side == "low":
            lo[j] = t
        else:
            hi[j] = t
        mask = avail & _in_box(x, lo, hi)
        boxes.append((lo.copy(), hi.copy()))
    return boxes


def _paste(
    x: np.ndarray, y: np.ndarray, avail: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Friedman & Fisher's pasting: widen the box one alpha-share slice at a time while the
    box's mean rises."""
    lo, hi, changed = lo.copy(), hi.copy(), False
    while True:
        inside = avail & _in_box(x, lo, hi)
        m = int(inside.sum())
        if m == 0:
            break
        current = float(y[inside].mean())
        k = max(1, int(math.floor(alpha * m)))
        best: tuple[float, int, str, float] | None = None
        for j in range(x.shape[1]):
            others = avail & _in_box(x, lo, hi, skip=j)
            below = np.sort(x[others & (x[:, j] < lo[j]), j])[::-1]
            above = np.sort(x[others & (x[:, j] > hi[j]), j])
            for side, values in (("low", below), ("high", above)):
                if not len(values):
                    continue
                t = values[min(k, len(values)) - 1]
                new_lo = t if side == "low" else lo[j]
                new_hi = t if side == "high" else hi[j]
                cand = others & (x[:, j] >= new_lo) & (x[:, j] <= new_hi)
                mean = float(y[cand].mean())
                if mean > current and (best is None or mean > best[0]):
                    best = (mean, j, side, t)
        if best is None:
            break
        _, j, side, t = best
        if side == "low":
            lo[j] = t
        else:
            hi[j] = t
        changed = True
    return lo, hi, changed


def prim(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray | pd.Series,
    *,
    bounds: Mapping[str, Sequence[float]] | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    threshold: float = 0.8,
    paste: bool = False,
    max_boxes: int = 1,
) -> PrimResult:
    """The Patient Rule Induction Method (Friedman & Fisher 1999) for scenario discovery.

    Peels the box of all runs, alpha-share slice by slice, keeping the denser part; the chosen
    box on each peeling trajectory is the one with the largest coverage whose density reaches
    ``threshold`` (else the densest). Further boxes (covering) are sought among the runs outside
    the boxes found, while each box found reaches ``threshold``.

    Args:
        x: one row per run, one numeric column per dimension.
        y: whether each run is a case (the condition holds), or a value in [0, 1].
        bounds: name -> (low, high) of the full space (default: the data's range).
        alpha: share of the box's runs removed per peel (0.05 - 0.1 usual).
        min_mass: least share of all runs a box may hold.
        threshold: least density of the chosen box.
        paste: widen the chosen box by pasting where that raises its density.
        max_boxes: boxes to find at most.

    Returns:
        Boxes, their limits, and the peeling trajectories.
    """
    from scipy.stats import binom

    names = tuple(str(c) for c in x.columns)
    data = x.to_numpy(dtype=float)
    target = np.asarray(y, dtype=float)
    if len(data) != len(target):
        raise ValueError(f"x has {len(data)} rows but y has {len(target)}")
    if not 0 < alpha < 1 or not 0 < min_mass < 1:
        raise ValueError("alpha and min_mass must lie between 0 and 1")
    total = len(target)
    cases = float(target.sum())
    full_lo = np.array(
        [float(bounds[n][0]) if bounds else data[:, j].min() for j, n in enumerate(names)]
    )
    full_hi = np.array(
        [float(bounds[n][1]) if bounds else data[:, j].max() for j, n in enumerate(names)]
    )
    full_lo, full_hi = np.minimum(full_lo, data.min(axis=0)), np.maximum(full_hi, data.max(axis=0))
    min_runs = max(1, int(math.ceil(min_mass * total)))
    avail = np.ones(total, dtype=bool)
    boxes, limits, traj = [], [], []

    def stats(lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
        inside = avail & _in_box(data, lo, hi)
        n_in = int(inside.sum())
        hits = float(target[inside].sum())
        restricted = (lo > full_lo) | (hi < full_hi)
        return {
            "coverage": hits / cases if cases else np.nan,
            "density": hits / n_in if n_in else np.nan,
            "mass": n_in / total,
            "res_dim": int(restricted.sum()),
            "runs": n_in,
            "cases": int(round(hits)),
        }

    for b in range(1, max_boxes + 1):
        if not avail.any() or target[avail].sum() == 0:
            break
        trajectory = _peel(data, target, avail, full_lo.copy(), full_hi.copy(), alpha, min_runs)
        rows = [{"box": b, "step": i, **stats(lo, hi)} for i, (lo, hi) in enumerate(trajectory)]
        frame = pd.DataFrame(rows)
        ok = frame[frame["density"] >= threshold]
        step = (
            int(ok["coverage"].idxmax())
            if len(ok)
            else int(frame.sort_values(["density", "coverage"]).index[-1])
        )
        lo, hi = trajectory[step]
        pasted = False
        if paste:
            lo, hi, pasted = _paste(data, target, avail, lo, hi, alpha)
        frame["chosen"] = frame["step"] == step
        chosen = stats(lo, hi)
        if b > 1 and not chosen["density"] >= threshold:
            break
        traj.append(frame)
        boxes.append({"box": b, **chosen, "step": step, "pasted": pasted})
        inside = avail & _in_box(data, lo, hi)
        for j, name in enumerate(names):
            restricted = bool(lo[j] > full_lo[j] or hi[j] < full_hi[j])
            qp = np.nan
            if restricted:
                wider = avail & _in_box(data, lo, hi, skip=j)
                n_w, h_w = int(wider.sum()), float(target[wider].sum())
                n_b, h_b = int(inside.sum()), float(target[inside].sum())
                if n_w and n_b:
                    qp = float(binom.sf(h_b - 1, n_b, h_w / n_w))
            limits.append(
                {
                    "box": b,
                    "name": name,
                    "low": lo[j],
                    "high": hi[j],
                    "full_low": full_lo[j],
                    "full_high": full_hi[j],
                    "restricted": restricted,
                    "qp": qp,
                }
            )
        if not chosen["density"] >= threshold:
            break
        avail = avail & ~inside
    columns = {
        "boxes": [
            "box",
            "coverage",
            "density",
            "mass",
            "res_dim",
            "runs",
            "cases",
            "step",
            "pasted",
        ],
        "limits": ["box", "name", "low", "high", "full_low", "full_high", "restricted", "qp"],
        "trajectory": [
            "box",
            "step",
            "coverage",
            "density",
            "mass",
            "res_dim",
            "runs",
            "cases",
            "chosen",
        ],
    }
    return PrimResult(
        names,
        pd.DataFrame(boxes, columns=columns["boxes"]),
        pd.DataFrame(limits, columns=columns["limits"]),
        pd.concat(traj, ignore_index=True) if traj else pd.DataFrame(columns=columns["trajectory"]),
        int(round(cases)),
        total,
    )


def plot_prim(result: PrimResult, condition: str, box: int = 1) -> Figure:
    """The peeling trajectory (coverage against density) and the chosen box's limits.

    Left: every box of the trajectory, coloured by the number of restricted dimensions, the
    chosen one circled. Right: each dimension's full range (grey) and the box's range (colour),
    restricted dimensions first, with their limits and quasi-p-values.
    """
    traj = result.trajectory[result.trajectory["box"] == box]
    lim = result.limits[result.limits["box"] == box].copy()
    row = result.boxes[result.boxes["box"] == box].iloc[0]
    # Bottom to top: unrestricted names, then restrictions from the weakest to the strongest.
    lim["key"] = np.where(lim["restricted"], -lim["qp"].fillna(1.0), -2.0)
    lim = lim.sort_values(["key", "name"], ascending=[True, False])
    height = max(4.5, 1.4 + 0.38 * len(lim))
    fig = _figure(12.5, height)
    ax = fig.add_subplot(1, 2, 1)
    sc = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=16)
    chosen = traj[traj["chosen"]]
    ax.scatter(
        chosen["coverage"],
        chosen["density"],
        s=120,
        facecolors="none",
        edgecolors="#d62728",
        lw=1.5,
        label="chosen on the trajectory",
    )
    if row["pasted"]:
        ax.scatter(
            [row["coverage"]],
            [row["density"]],
            marker="*",
            s=120,
            color="#d62728",
            label="chosen, after pasting",
        )
    ax.set_xlabel("coverage: share of all cases inside the box")
    ax.set_ylabel("density: share of the box's runs that are cases")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.colorbar(sc, ax=ax, label="restricted dimensions", fraction=0.05)
    ax.set_title(f"peeling trajectory, box {box}", fontsize=10)
    ax2 = fig.add_subplot(1, 2, 2)
    pos = np.arange(len(lim))
    span = (lim["full_high"] - lim["full_low"]).replace(0, 1)
    lo_n = (lim["low"] - lim["full_low"]) / span
    hi_n = (lim["high"] - lim["full_low"]) / span
    ax2.barh(pos, 1, left=0, color="0.88", height=0.6)
    weak = lim["restricted"] & ~(lim["qp"] <= WEAK_QP)
    colors = np.where(weak, "#f4a582", np.where(lim["restricted"], "#d62728", "#9ecae1"))
    ax2.barh(pos, hi_n - lo_n, left=lo_n, color=colors, height=0.6)
    labels = []
    for _, r in lim.iterrows():
        unit = REGISTRY[r["name"]].unit if r["name"] in REGISTRY else ""
        qp = ""
        if r["restricted"] and np.isfinite(r["qp"]):
            qp = f", qp {r['qp']:.2g}" + (" (weak)" if r["qp"] > WEAK_QP else "")
        labels.append(
            f"{r['name']}\n{_fmt(r['low'], 4)} – {_fmt(r['high'], 4)} of "
            f"{_fmt(r['full_low'], 4)} – {_fmt(r['full_high'], 4)} {unit}{qp}"
        )
    ax2.set_yticks(pos, labels, fontsize=7)
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("position in the full range (0 = low, 1 = high)")
    ax2.set_title(
        f"box {box} limits: red restricted, light red weak (qp > {WEAK_QP})",
        fontsize=10,
    )
    fig.suptitle(
        f"{condition}: box {box}, coverage {row['coverage']:.2f}, density {row['density']:.2f}, mass {row['mass']:.2f} "
        f"({result.cases} of {result.total} runs are cases)",
        fontsize=11,
    )
    return fig


@dataclass
class DiscoveryResult:
    """Scenario discovery on a stored batch.

    Attributes:
        folder: the batch folder.
        condition: the condition, normalised.
        prim: the boxes found.
        cases: one row per run: varied values, ``value`` and ``holds``.
        out: where tables and the figure were written.
        files: the files written.
    """

    folder: Path
    condition: str
    prim: PrimResult
    cases: pd.DataFrame
    out: Path
    files: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The boxes in a few lines of text."""
        return self.prim.describe()


def discover(
    folder: str | os.PathLike[str],
    condition: str | Condition,
    *,
    names: Sequence[str] | None = None,
    scenario: str | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    threshold: float = 0.8,
    paste: bool = False,
    max_boxes: int = 2,
    out: str | os.PathLike[str] | None = None,
    figure: bool = True,
) -> DiscoveryResult:
    """Find where in the varied space a condition holds (PRIM), on a stored batch or study.

    Args:
        folder: a batch or study folder whose design varies levers or parameters (best a
            Latin hypercube; any sample works).
        condition: e.g. ``"resurgence == 1"`` or ``"is_held_areas[36] > 0"``.
        names: the dimensions to search (default: every varied name).
        scenario: the scenario to use when the batch has several.
        alpha, min_mass, threshold, paste, max_boxes: PRIM settings (:func:`prim`).
        out: output folder (default ``<folder>/sensitivity/discovery/<condition>/``).
        figure: draw ``prim.png``.

    Raises:
        StudyError: no design, no finished run, or an unknown name or scenario.
        ValueError: a condition that cannot be read.
    """
    from model.experiments.results import open_batch
    from model.experiments.store import StoreError

    folder = Path(folder)
    try:
        results = open_batch(folder)
    except StoreError as exc:
        raise StudyError(str(exc)) from None
    cond = condition if isinstance(condition, Condition) else parse_condition(condition)
    varied = results.varied
    if not varied:
        raise StudyError(
            f"{folder}: the batch varies nothing (no design): nothing to discover over"
        )
    dims = list(names) if names else varied
    for n in dims:
        if n not in varied:
            near = _suggest(n, varied)
            raise StudyError(
                f"{n!r} is not varied in {folder}; allowed: {', '.join(varied)}"
                + (f"; did you mean '{near}'?" if near else "")
            )
    if scenario is None and len(results.scenarios) > 1:
        raise StudyError(
            f"{folder} holds {len(results.scenarios)} scenarios: choose one ({', '.join(results.scenarios)})"
        )
    if scenario is not None and scenario not in results.scenarios:
        raise StudyError(
            f"no scenario {scenario!r} in {folder}; allowed: {', '.join(results.scenarios)}"
        )
    values = condition_values(results, cond, scenario)
    if values.empty:
        raise StudyError(f"{folder}: no finished runs")
    design = results.design()
    cases = values.merge(design, on="design_point", how="left")
    bounds_list = (results.manifest.get("design") or {}).get("bounds") or []
    bounds = {n: b for n, b in zip(varied, bounds_list, strict=False)}
    found = prim(
        cases[dims],
        cases["holds"].to_numpy(),
        bounds={n: bounds.get(n, (cases[n].min(), cases[n].max())) for n in dims},
        alpha=alpha,
        min_mass=min_mass,
        threshold=threshold,
        paste=paste,
        max_boxes=max_boxes,
    )
    target = Path(out) if out is not None else folder / OUTPUT_DIR / "discovery" / cond.slug
    target.mkdir(parents=True, exist_ok=True)
    result = DiscoveryResult(folder, cond.text, found, cases, target)
    for name, table in (
        ("boxes", found.boxes),
        ("limits", found.limits),
        ("trajectory", found.trajectory),
        ("cases", cases),
    ):
        result.files += [_rel_to(p, folder) for p in map(Path, _write_table(table, target / name))]
    if figure and not found.boxes.empty:
        _save_figure(plot_prim(found, cond.text), target / "prim.png")
        result.files.append(_rel_to(target / "prim.png", folder))
    _write_text(
        f"# {cond.text}\n\n{folder}\n\n" + found.describe().replace("\n", "\n\n") + "\n",
        target / "summary.md",
    )
    return result


def _rel_to(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)
