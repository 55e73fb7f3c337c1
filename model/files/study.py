"""Sensitivity studies: loading study files into a validated, immutable :class:`Study`.

A study file (``docs/sensitivity.md``) names the levers and parameters to vary, the method, the
sample size, the outcomes, the scenario to start from, replicates and a master seed; its schema
is ``model.files.study_file``. Running and analysing a study is ``model.analysis.sensitivity``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.files.batch import Batch
from model.files.conditions import (
    base_outcome,
    parse_condition,
)
from model.files.confine import reference
from model.files.errors import ConfigError, Problem, suggest
from model.files.frozen import FrozenMap
from model.files.scenario import Scenario, load_scenario
from model.files.schema import check
from model.files.study_file import (
    CONDITIONS,
    Prim,
    StudyFile,
    points,
)
from model.files.yaml_reader import Node, Source, error_at, from_plain, read, relative_display
from model.simulation import outcomes as _outcomes
from model.simulation.parameters import REGISTRY

__all__ = ["Study", "load_study", "study_from_dict", "study_from_record"]

_HINT = "'key: value' lines, starting with 'study: <name>' (docs/sensitivity.md)"


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
        return points(self.method, self.n, len(self.vary), self.options) * self.replicates

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


def load_study(path: str | os.PathLike[str]) -> Study:
    """Load and validate a study file.

    Raises:
        ConfigError: one line naming the file, line, key, what is allowed and, for a typo,
            the closest valid name. Nothing is written.
    """
    tree = read(path, relative_display(path), noun="study file", empty_hint=_HINT, top_hint=_HINT)
    return _validate(tree, Path(path).absolute().parent, os.path.abspath(path))


def study_from_dict(data: Mapping[str, Any], base: str | os.PathLike[str] = ".") -> Study:
    """Validate a study given as a mapping (the keys of a study file).

    Args:
        data: the study's keys; ``scenario`` may be a file path (relative to ``base``) or a
            loaded :class:`~model.files.scenario.Scenario`.
        base: the folder relative scenario paths start from.

    Raises:
        ConfigError: as for a study file, without file and line.
    """
    folder = Path(base).absolute()
    return _validate(from_plain(dict(data), Source(None, str(folder))), folder, None)


def _validate(tree: Node, base: Path, path: str | None) -> Study:
    spec = check(StudyFile, tree, root_line=False)

    def fail(where: list[Any], problem: Problem) -> ConfigError:
        return error_at(tree, where, problem, root_line=False)

    scenario, scenario_file = _base_scenario(spec.scenario, base, fail, path is not None)
    changes: dict[str, Any] = {"replicates": spec.replicates, "levels": ["national"]}
    if spec.horizon is not None:
        changes["horizon"] = spec.horizon
    if spec.parameters:
        changes["parameters"] = dict(spec.parameters)
    if spec.levers:
        changes["levers"] = dict(spec.levers)
    try:
        scenario = scenario.with_changes(**changes)
    except ConfigError as exc:
        parts = [int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]", exc.key or "") if p]
        problem = Problem(exc.message, allowed=exc.allowed, suggestion=exc.suggestion)
        raise fail(parts, problem) from None
    seed = spec.seed if spec.seed is not None else scenario.seed
    discover = _conditions(spec.discover, scenario.horizon, fail)
    options = spec.options()
    options["prim"] = (spec.prim or Prim()).model_dump()
    monthly = [base_outcome(o)[0] for o in spec.outcomes]
    monthly = [o for o in monthly if o in _outcomes.MONTHLY]
    monthly += [c.outcome for c in map(parse_condition, discover) if c.month is not None]
    missing = [o for o in dict.fromkeys(monthly) if o not in scenario.outcomes]
    if missing:
        scenario = scenario.with_changes(outcomes=[*scenario.outcomes, *missing])
    return Study(
        name=spec.study,
        method=spec.method,
        scenario=scenario,
        vary=spec.vary,
        outcomes=spec.outcomes,
        n=spec.n,
        replicates=spec.replicates,
        seed=seed,
        description=" ".join(spec.description.split()),
        path=path,
        options=options,
        discover=discover,
        scenario_file=scenario_file,
    )


def _base_scenario(
    value: Any, base: Path, fail: Any, confine: bool = True
) -> tuple[Scenario, str | None]:
    """The study's scenario; a file named in a study file must lie where references may point
    (a study given as a mapping from Python names its file on purpose)."""
    if isinstance(value, Scenario):
        return value, value.path
    target = base / value
    if not target.exists():
        near = None
        if target.parent.is_dir():
            near = suggest(target.name, [p.name for p in target.parent.glob("*.yaml")])
        raise fail(
            ["scenario"],
            Problem(
                f"scenario file not found: {value} ({target.resolve()})",
                allowed="a scenario file, relative to the study file",
                suggestion=near,
            ),
        )
    if confine:
        try:
            target = reference(value, base, what="scenario file")
        except Problem as exc:
            raise fail(["scenario"], exc) from None
    return load_scenario(target), value


def _conditions(value: Any, horizon: int, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    out = []
    for i, text_ in enumerate([value] if isinstance(value, str) else value):
        try:
            cond = parse_condition(text_, horizon=horizon)
        except ValueError as exc:
            where = ["discover", i] if isinstance(value, list) else ["discover"]
            raise fail(where, Problem(str(exc), allowed=CONDITIONS)) from None
        out.append(cond.text)
    return tuple(out)


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
    return dataclasses.replace(study, path=path, scenario_file=record.get("scenario"))
