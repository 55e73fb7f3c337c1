"""Sensitivity-study files: the study schema, its validation and discovery conditions.

A study file (``docs/sensitivity.md``) names the levers and parameters to vary, the method, the
sample size, the outcomes, the scenario to start from, replicates and a master seed. This module
reads and validates it into a frozen :class:`Study`; running and analysing it is
``model.analysis.sensitivity``.
"""

from __future__ import annotations

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
    from model.files.config import Batch

__all__ = [
    "METHODS",
    "Condition",
    "Study",
    "base_outcome",
    "load_study",
    "parse_condition",
    "study_from_dict",
    "study_from_record",
]

METHODS: tuple[str, ...] = ("morris", "sobol", "oat", "lhs")
PER_YEAR: tuple[str, ...] = ("mean", "sum", "last", "max")
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
        return study_from_record(data, self.scenario, self.path)


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


def study_from_record(record: Mapping[str, Any], scenario: Scenario, path: str | None) -> Study:
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


# ---- conditions (scenario discovery) ----------------------------------------------------------

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
