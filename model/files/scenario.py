"""Scenario files: their schema, and the validated, immutable :class:`Scenario` they load to.

A scenario file sets the start, horizon, seeds, replicates, lever schedules, parameters and
initial-state overrides of a run (``docs/scenarios.md``); it may ``extends`` another one
(``model.files.extends``). Every value is checked against the parameter registry
(``model.simulation.parameters``) and the outcome catalogue (``model.simulation.outcomes``).
Loading never writes to disk. No Mesa here.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import PlainValidator

from model.files import timeline as _timeline
from model.files.errors import ConfigError, Problem, below, describe, names_text, suggest
from model.files.extends import EXTENDS_ALLOWED, resolve
from model.files.frozen import FrozenMap, freeze, thaw
from model.files.months import month_range
from model.files.registry import RegistrySection, range_text, registry_value
from model.files.schedules import Schedule, int_if, schedule
from model.files.schema import Section, check, checked
from model.files.timeline import Event, area_problems
from model.files.values import SEED_RANGE, identifier, mapping, month, name_list, text, whole
from model.files.yaml_reader import Node, Source, abs_note, abspath, error_at, from_plain, read
from model.simulation import outcomes as _outcomes
from model.simulation.months import month_add
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY, Parameter

__all__ = [
    "DEFAULTS",
    "HORIZON_RANGE",
    "REPLICATES_RANGE",
    "SCENARIO_KEYS",
    "Scenario",
    "ScenarioFile",
    "load_scenario",
]

DEFAULTS: Mapping[str, Any] = {
    "start": "2017-04",
    "horizon": 120,
    "seed": 0,
    "replicates": 10,
    "outcomes": "all",
    "levels": ("national", "governorate"),
}
"""Values a scenario gets when neither it nor any file it extends sets them."""
HORIZON_RANGE = (1, 600)
REPLICATES_RANGE = (1, 10000)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (immutable; picklable).

    Attributes:
        name: identifier ``[a-z0-9_-]+``, used in result tables and folders.
        description: what the scenario represents.
        path: absolute path of the scenario file, or None for an inline scenario.
        start: first simulated month, ``"YYYY-MM"``.
        horizon: months simulated.
        seed: seed of the first replicate's random streams (runs derive theirs from it).
        replicates: runs with different random streams.
        levers: schedules of the levers and events the file(s) set (others take defaults).
        parameters: registry parameters the file(s) set (others take defaults).
        initial_data: absolute directory with replacement data files, or None.
        initial_areas: per-area column overrides of the initial state.
        initial_forces: per-force column overrides of the initial state.
        outcomes: monthly outcomes to record.
        levels: levels of the monthly table to record.
        forces: schedules of national force strengths (troops), by force.
        deployments: schedules of garrisons (troops), by area and force.
        events: dated events (``model.files.timeline.Event``).
    """

    name: str
    description: str = ""
    path: str | None = None
    start: str = DEFAULTS["start"]
    horizon: int = DEFAULTS["horizon"]
    seed: int = DEFAULTS["seed"]
    replicates: int = DEFAULTS["replicates"]
    levers: Mapping[str, Schedule] = field(default_factory=FrozenMap)
    parameters: Mapping[str, float] = field(default_factory=FrozenMap)
    initial_data: str | None = None
    initial_areas: Mapping[str, Mapping[str, float | str | int]] = field(default_factory=FrozenMap)
    initial_forces: Mapping[str, Mapping[str, float | str | int]] = field(default_factory=FrozenMap)
    outcomes: tuple[str, ...] = _outcomes.MONTHLY_NAMES
    levels: tuple[str, ...] = tuple(DEFAULTS["levels"])
    forces: Mapping[str, Schedule] = field(default_factory=FrozenMap)
    deployments: Mapping[str, Mapping[str, Schedule]] = field(default_factory=FrozenMap)
    events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        for name in ("levers", "parameters", "initial_areas", "initial_forces"):
            object.__setattr__(self, name, freeze(getattr(self, name)))
        for name in ("forces", "deployments"):
            object.__setattr__(self, name, freeze(getattr(self, name)))
        object.__setattr__(self, "outcomes", tuple(self.outcomes))
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "events", tuple(self.events))

    @property
    def end(self) -> str:
        """The last simulated month, ``"YYYY-MM"``."""
        return month_add(self.start, self.horizon - 1)

    @property
    def months(self) -> list[str]:
        """Every simulated month, ``"YYYY-MM"``."""
        return month_range(self.start, self.horizon)

    def lever_series(self) -> dict[str, np.ndarray]:
        """Every lever and event of the registry: one value per month (defaults filled)."""
        out = {}
        for name in LEVERS:
            default = float(REGISTRY[name].default)
            if name in self.levers:
                out[name] = self.levers[name].series(self.start, self.horizon, default)
            else:
                out[name] = np.full(self.horizon, default)
        return out

    def timeline(self) -> dict[str, Any]:
        """The time-varying inputs as the model takes them: ``forces`` (force -> one strength
        per month), ``deployments`` ((area, force) -> one garrison per month) and ``events``
        (``(month index, kind, areas, group, value)`` tuples in file order, for the months of
        the horizon)."""
        months = self.months
        index = {m: i for i, m in enumerate(months)}
        return {
            "forces": {
                name: sched.series(self.start, self.horizon, np.nan)
                for name, sched in self.forces.items()
            },
            "deployments": {
                (area, name): sched.series(self.start, self.horizon, np.nan)
                for area, row in self.deployments.items()
                for name, sched in row.items()
            },
            "events": tuple(
                (index[e.month], e.kind, e.areas, e.group, e.value)
                for e in self.events
                if e.month in index
            ),
        }

    def parameter_values(self) -> dict[str, float]:
        """Every registry entry that is not a lever: its value (defaults filled; ints as int)."""
        out: dict[str, float] = {}
        for name in PARAMETERS:
            p = REGISTRY[name]
            value = self.parameters.get(name, p.default)
            out[name] = int(round(value)) if p.integer else float(value)
        return out

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The resolved scenario as plain data (JSON/YAML-serialisable).

        The ``extends`` chain is flattened and named choices are numbers; written to a YAML
        file, the result loads back as an equal scenario.

        Args:
            full: also write every lever and parameter the scenario leaves at its registry
                default, so that the record does not depend on the registry's defaults.
        """
        levers: dict[str, Any] = {}
        params: dict[str, Any] = {}
        for name in LEVERS:
            p = REGISTRY[name]
            if name in self.levers:
                levers[name] = self.levers[name].to_yaml(p.integer)
            elif full:
                levers[name] = int_if(p.integer)(p.default)
        for name in PARAMETERS:
            p = REGISTRY[name]
            if name in self.parameters:
                params[name] = int_if(p.integer)(self.parameters[name])
            elif full:
                params[name] = int_if(p.integer)(p.default)
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "start": self.start,
            "horizon": self.horizon,
            "seed": self.seed,
            "replicates": self.replicates,
            "levers": levers,
            "parameters": params,
        }
        initial: dict[str, Any] = {}
        if self.initial_data is not None:
            initial["data"] = self.initial_data
        if self.initial_areas:
            initial["areas"] = thaw(self.initial_areas)
        if self.initial_forces:
            initial["forces"] = thaw(self.initial_forces)
        if initial:
            out["initial"] = initial
        if self.forces:
            out["forces"] = {name: sched.to_yaml(True) for name, sched in self.forces.items()}
        if self.deployments:
            out["deployments"] = {
                area: {name: sched.to_yaml(True) for name, sched in row.items()}
                for area, row in self.deployments.items()
            }
        if self.events:
            out["events"] = [e.to_yaml() for e in self.events]
        out["outcomes"] = list(self.outcomes)
        out["levels"] = list(self.levels)
        return out

    def with_changes(self, **fields: Any) -> Scenario:
        """A validated copy with some fields changed.

        ``levers``, ``parameters``, ``initial_areas`` and ``initial_forces`` are merged into the
        current ones (levers as schedules, numbers, named choices, point lists or month
        mappings); any other field is replaced, e.g. ``with_changes(replicates=3, horizon=12)``.

        Raises:
            ConfigError: if a change is not valid (the key path names it; no file or line).
        """
        raw = self.to_dict()
        changes = dict(fields)
        unknown = [k for k in changes if k not in _CHANGEABLE]
        if unknown:
            raise ConfigError(
                f"unknown field {unknown[0]!r}",
                key=unknown[0],
                allowed=", ".join(_CHANGEABLE),
                suggestion=suggest(unknown[0], _CHANGEABLE),
            )
        for key in ("levers", "parameters"):
            if key in changes:
                extra = changes.pop(key)
                if not isinstance(extra, Mapping):
                    raise ConfigError(f"expected a mapping, got {describe(extra)}", key=key)
                merged = dict(raw[key])
                for name, value in extra.items():
                    merged[name] = value.to_yaml() if isinstance(value, Schedule) else value
                raw[key] = merged
        initial = dict(raw.pop("initial", {}))
        if "initial_data" in changes:
            data = changes.pop("initial_data")
            if data is None:
                initial.pop("data", None)
            else:
                initial["data"] = os.fspath(data) if isinstance(data, os.PathLike) else data
        for key, sub in (("initial_areas", "areas"), ("initial_forces", "forces")):
            if key in changes:
                extra = changes.pop(key)
                if not isinstance(extra, Mapping):
                    raise ConfigError(f"expected a mapping, got {describe(extra)}", key=key)
                merged = {k: dict(v) for k, v in initial.get(sub, {}).items()}
                for unit, cols in extra.items():
                    if isinstance(cols, Mapping):
                        merged.setdefault(unit, {}).update(cols)
                    else:
                        merged[unit] = cols
                initial[sub] = merged
        if initial:
            raw["initial"] = initial
        path = changes.pop("path", self.path)
        raw.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items()})
        data, here = thaw(raw), os.getcwd()
        return _scenario(data, lambda: from_plain(data, Source(None, here)), here, path)


_CHANGEABLE = (
    "name",
    "description",
    "path",
    "start",
    "horizon",
    "seed",
    "replicates",
    "levers",
    "parameters",
    "initial_data",
    "initial_areas",
    "initial_forces",
    "outcomes",
    "levels",
    "forces",
    "deployments",
    "events",
)


# ---- the file -----------------------------------------------------------------------------------


def _parameter(value: Any, p: Parameter) -> float:
    if isinstance(value, list | dict):
        raise Problem(
            f"expected a number, got {describe(value)} (only levers and events take schedules)",
            allowed=range_text(p),
        )
    x = registry_value(value, p)
    return int(x) if p.integer else x


LEVER_SECTION = RegistrySection(
    names=LEVERS,
    what="lever",
    allowed=", ".join(LEVERS),
    near=LEVERS,
    entry=schedule,
    misplaced="parameters",
    shape="lever: schedule lines",
)
PARAMETER_SECTION = RegistrySection(
    names=PARAMETERS,
    what="parameter",
    allowed=names_text(PARAMETERS, what="registry parameters (stabsim params)"),
    near=PARAMETERS,
    entry=_parameter,
    misplaced="levers",
    shape="name: value lines",
)
_OUTCOMES_ALLOWED = (
    "'all' or names from model.simulation.outcomes.MONTHLY_NAMES"
    f" ({len(_outcomes.MONTHLY_NAMES)} outcomes)"
)
_LEVELS_ALLOWED = "'all' or a list of " + ", ".join(_outcomes.LEVELS)


def _data_dir(value: Any, base: str) -> str:
    written = text(value, "a directory path, relative to this file")
    target = Path(base, written)
    if not target.exists():
        raise Problem(
            f"directory not found: {written}{abs_note(written, target)}",
            allowed="an existing directory, relative to this file",
        )
    if not target.is_dir():
        raise Problem(f"{written} is not a directory")
    return abspath(target)


def _overrides(value: Any, what: str) -> FrozenMap:
    """Per-unit column overrides of the initial state: ``{unit id: {column: value}}``."""
    out = {}
    for unit, cols in mapping(value, f"{what} id: {{column: value}}").items():
        if not isinstance(unit, str):
            raise Problem(f"{what} id must be text, got {unit!r}", on_key=True, at=(unit,))
        row = {}
        for col, val in below(unit, mapping, cols, "column: value lines").items():
            if not isinstance(col, str):
                raise Problem(f"column name must be text, got {col!r}", on_key=True, at=(unit, col))
            if val is None or isinstance(val, dict | list | _dt.date):
                raise Problem(
                    f"expected a number or text, got {describe(val)}",
                    allowed="a number or text",
                    at=(unit, col),
                )
            row[col] = val
        out[unit] = row
    return freeze(out)


class Initial(Section):
    """``initial:``: replacement data files and per-unit overrides of the initial state."""

    shape: ClassVar[str | None] = "data, areas, forces"

    data: Annotated[
        str | None, PlainValidator(lambda value, info: _data_dir(value, info.context["base"]))
    ] = None
    areas: Annotated[Mapping, checked(_overrides, "area")] = FrozenMap()
    forces: Annotated[Mapping, checked(_overrides, "force")] = FrozenMap()


class ScenarioFile(Section):
    """A scenario file (or a scenario written inside a batch file), after ``extends``."""

    required: ClassVar[Mapping[str, str]] = {"name": "name: <a-z0-9_->"}

    name: Annotated[str, checked(identifier)]
    description: Annotated[str, checked(text, "a sentence of text")] = ""
    extends: Annotated[str | None, checked(text, EXTENDS_ALLOWED)] = None
    start: Annotated[str, checked(month)] = DEFAULTS["start"]
    horizon: Annotated[int, checked(whole, *HORIZON_RANGE, "months")] = DEFAULTS["horizon"]
    seed: Annotated[int, checked(whole, *SEED_RANGE)] = DEFAULTS["seed"]
    replicates: Annotated[int, checked(whole, *REPLICATES_RANGE, "runs")] = DEFAULTS["replicates"]
    levers: Annotated[Mapping[str, Schedule], checked(LEVER_SECTION.check)] = FrozenMap()
    parameters: Annotated[Mapping[str, float], checked(PARAMETER_SECTION.check)] = FrozenMap()
    initial: Initial | None = None
    outcomes: Annotated[
        tuple[str, ...],
        checked(name_list, _outcomes.MONTHLY_NAMES, "outcome", _OUTCOMES_ALLOWED),
    ] = _outcomes.MONTHLY_NAMES
    levels: Annotated[
        tuple[str, ...], checked(name_list, _outcomes.LEVELS, "level", _LEVELS_ALLOWED)
    ] = tuple(DEFAULTS["levels"])
    forces: Annotated[Mapping[str, Schedule], checked(_timeline.forces)] = FrozenMap()
    deployments: Annotated[Mapping[str, Mapping[str, Schedule]], checked(_timeline.deployments)] = (
        FrozenMap()
    )
    events: Annotated[tuple[Event, ...], checked(_timeline.events)] = ()

    @classmethod
    def unknown(cls, key: Any) -> Problem:
        if key == "batch":
            return Problem(
                "this is a batch file, not a scenario",
                allowed="a scenario file (load batches with load_batch or load_any)",
                on_key=True,
                at=(key,),
            )
        return super().unknown(key)


_NO_INITIAL = Initial()
SCENARIO_KEYS: tuple[str, ...] = ScenarioFile.keys()
INITIAL_KEYS: tuple[str, ...] = Initial.keys()


def scenario_from_tree(
    tree: Node, default_name: str | None = None, path: str | None = None
) -> Scenario:
    """Validate a merged scenario mapping (after ``extends``) into a Scenario."""
    data = tree.plain()
    if "name" not in data and default_name is not None:
        data["name"] = default_name
    where, _ = tree.find(["initial", "data"])
    return _scenario(data, tree, where.src.directory, path)


def _scenario(data: dict, tree: Node | Callable[[], Node], base: str, path: str | None) -> Scenario:
    """Validate scenario data (``tree``: where it is written); ``base``: where ``initial.data``
    starts from."""
    spec = check(ScenarioFile, tree, data=data, context={"base": base})
    initial = spec.initial or _NO_INITIAL
    if spec.deployments or spec.events:
        _check_areas(spec, initial, tree)
    return Scenario(
        name=spec.name,
        description=spec.description.strip(),
        path=path,
        start=spec.start,
        horizon=spec.horizon,
        seed=spec.seed,
        replicates=spec.replicates,
        levers=spec.levers,
        parameters=spec.parameters,
        initial_data=initial.data,
        initial_areas=initial.areas,
        initial_forces=initial.forces,
        outcomes=spec.outcomes,
        levels=spec.levels,
        forces=spec.forces,
        deployments=spec.deployments,
        events=spec.events,
    )


def _check_areas(spec: ScenarioFile, initial: Initial, tree: Node | Callable[[], Node]) -> None:
    """Deployments and events must name areas of the scenario's initial state."""
    from model.data import DataError, default_state, load_initial_state

    try:
        state = load_initial_state(initial.data) if initial.data else default_state()
    except DataError:
        return  # the data's own mistake is reported when the run reads it
    problem = area_problems(spec.forces, spec.deployments, spec.events, state.areas.index)
    if problem is not None:
        located = tree if isinstance(tree, Node) else tree()
        raise error_at(located, [], problem)


def _stem_name(path: str | os.PathLike[str]) -> str:
    stem = Path(path).stem.lower()
    return re.sub(r"[^a-z0-9_-]+", "_", stem) or "scenario"


def scenario_from_file(tree: Node, file: Path) -> Scenario:
    """The scenario of a file already read: its ``extends`` chain merged, then validated."""
    real = os.path.realpath(file)
    merged = resolve(tree, (real,))
    return scenario_from_tree(merged, default_name=_stem_name(file), path=abspath(file))


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario file (following ``extends``).

    Raises:
        ConfigError: for any mistake, with file, line, key path and what is allowed.
    """
    return scenario_from_file(read(path), Path(path))
