"""Scenario and batch files: YAML -> frozen, validated objects with one-line errors.

A scenario file sets the start, horizon, seeds, replicates, lever schedules, parameters and
initial-state overrides of a run; a batch file lists scenarios to run together. Every value
is checked against the parameter registry (``model.simulation.parameters``) and the outcome catalogue
(``model.simulation.outcomes``). A mistake raises :class:`ConfigError`, whose text is one line naming the
file, the line, the key path, what is allowed and, for typos, the closest valid name. The file
formats are documented in ``docs/scenarios.md``. Loading never writes to disk. No Mesa here.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import math
import os
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from model.simulation import outcomes as _outcomes
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY, Parameter

__all__ = [
    "DEFAULTS",
    "Batch",
    "ConfigError",
    "FrozenMap",
    "Scenario",
    "Schedule",
    "load_any",
    "load_batch",
    "load_scenario",
    "month_range",
    "parse_month",
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

SCENARIO_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "extends",
    "start",
    "horizon",
    "seed",
    "replicates",
    "levers",
    "parameters",
    "initial",
    "outcomes",
    "levels",
)
BATCH_KEYS: tuple[str, ...] = ("batch", "description", "seed", "replicates", "scenarios", "design")
INITIAL_KEYS: tuple[str, ...] = ("data", "areas", "forces")
POINT_KEYS: tuple[str, ...] = ("from", "value")

HORIZON_RANGE = (1, 600)
REPLICATES_RANGE = (1, 10000)
SEED_RANGE = (0, 2**63 - 1)

_NAME_RE = re.compile(r"^[a-z0-9_-]+$")
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")
_FOREVER = "0001-01"  # date of the single point of a constant schedule
# Keys whose mappings are merged through `extends` (depth = mapping levels merged); all other
# keys, and lists everywhere, are replaced by the child's value.
_MERGE_DEPTH = {"levers": 1, "parameters": 1, "initial": 3}
_NOT_INHERITED = ("name", "description", "extends")
_MONTH_ALLOWED = "a month as YYYY-MM, e.g. 2017-04"
_MAX_NODES = 1_000_000


# ---- errors -----------------------------------------------------------------------------------


class ConfigError(Exception):
    """A mistake in a scenario or batch file, reported as one line.

    ``str(error)`` is ``"<file>:<line>: <key>: <what is wrong>; allowed: <...>; did you mean
    '<x>'?"``; parts that are unknown are left out.

    Attributes:
        file: path of the file where the offending key is written (None if not from a file).
        line: 1-based line number, or None.
        key: dotted key path such as ``levers.us_troops[1].value`` (None for the whole file).
        message: what is wrong.
        allowed: what would be accepted (text), or None.
        suggestion: the closest valid name for a typo, or None.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        allowed: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.allowed = allowed
        self.suggestion = suggestion
        super().__init__(message)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        text = where + (f"{self.key}: " if self.key else "") + self.message
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        return " ".join(text.splitlines())

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {k: getattr(self, k) for k in ("file", "line", "key", "allowed", "suggestion")}
        return (_rebuild_error, (self.message, kwargs))


def _rebuild_error(message: str, kwargs: dict[str, Any]) -> ConfigError:
    return ConfigError(message, **kwargs)


def _suggest(word: Any, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


# ---- immutable mapping ------------------------------------------------------------------------


class FrozenMap(Mapping):
    """A read-only, hashable, picklable mapping (keeps insertion order)."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping | Iterable[tuple[Any, Any]] = ()) -> None:
        object.__setattr__(self, "_d", dict(data))

    def __getitem__(self, key: Any) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        return hash(frozenset(self._d.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._d,))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenMap((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


# ---- months -----------------------------------------------------------------------------------


def parse_month(value: Any) -> str:
    """Normalise a month to ``"YYYY-MM"``.

    Args:
        value: a ``date``/``datetime`` or a string ``YYYY-MM`` or ``YYYY-MM-DD`` (any day of
            the month stands for the month).

    Returns:
        The month as ``"YYYY-MM"``.

    Raises:
        ValueError: if ``value`` is not a month.
    """
    if isinstance(value, _dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if not isinstance(value, str):
        raise ValueError(f"expected a month, got {_describe(value)}")
    m = _MONTH_RE.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a month")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{value!r} is not a month: month {month} does not exist")
    if m.group(3) is not None:
        try:
            _dt.date(year, month, int(m.group(3)))
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date: day {int(m.group(3))} does not exist"
            ) from None
    if year < 1:
        raise ValueError(f"{value!r} is not a month: year 0 does not exist")
    return f"{year:04d}-{month:02d}"


def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_str(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(start: str, horizon: int) -> list[str]:
    """The ``horizon`` months from ``start`` as ``"YYYY-MM"`` strings."""
    first = _month_index(parse_month(start))
    return [_month_str(first + i) for i in range(int(horizon))]


def _add_months(month: str, n: int) -> str:
    return _month_str(_month_index(month) + n)


# ---- schedules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A lever's dated values: the value at month t is that of the latest point at or before t.

    Attributes:
        points: ``("YYYY-MM", value)`` pairs in increasing date order, without duplicates. A
            constant is one point dated ``0001-01``.
        default: value before the first point (the registry default), or None if unknown.
    """

    points: tuple[tuple[str, float], ...]
    default: float | None = None

    def __post_init__(self) -> None:
        pts = tuple((parse_month(m), float(v)) for m, v in self.points)
        if not pts:
            raise ValueError("a schedule needs at least one point")
        months = [m for m, _ in pts]
        if any(a >= b for a, b in zip(months, months[1:], strict=False)):
            raise ValueError(f"schedule dates must increase strictly: {months}")
        object.__setattr__(self, "points", pts)
        if self.default is not None:
            object.__setattr__(self, "default", float(self.default))

    @classmethod
    def constant(cls, value: float, default: float | None = None) -> Schedule:
        """A schedule holding ``value`` in every month."""
        return cls(((_FOREVER, value),), default)

    @property
    def is_constant(self) -> bool:
        """Whether the schedule is one value for all months."""
        return len(self.points) == 1 and self.points[0][0] == _FOREVER

    def value_at(self, month: Any, default: float | None = None) -> float:
        """The value in ``month`` (``"YYYY-MM"`` or a date).

        Before the first point it is ``default``, else the schedule's own default; a
        ValueError is raised if neither is known.
        """
        key = parse_month(month)
        i = bisect_right([m for m, _ in self.points], key)
        if i:
            return self.points[i - 1][1]
        fallback = default if default is not None else self.default
        if fallback is None:
            raise ValueError(f"{key} is before the schedule's first point and no default is known")
        return float(fallback)

    def series(self, start: str, horizon: int, default: float | None = None) -> np.ndarray:
        """One value per month for ``horizon`` months from ``start`` (float64 array)."""
        return np.array([self.value_at(m, default) for m in month_range(start, horizon)], float)

    def to_yaml(self, integer: bool = False) -> Any:
        """The schedule as a scenario file writes it (a number or a list of points)."""
        conv = _int_if(integer)
        if self.is_constant:
            return conv(self.points[0][1])
        return [{"from": m, "value": conv(v)} for m, v in self.points]

    def describe(self, choices: Mapping[str, float] | None = None, integer: bool = False) -> str:
        """Short text, e.g. ``"5200 from 2017-04, 3000 from 2020-09"``."""

        def fmt(v: float) -> str:
            text = f"{v:g}" if not integer else str(round(v))
            names = [k for k, c in (choices or {}).items() if c == v]
            return f"{text} ({names[0]})" if names else text

        if self.is_constant:
            return fmt(self.points[0][1])
        return ", ".join(f"{fmt(v)} from {m}" for m, v in self.points)


def _int_if(integer: bool) -> Any:
    def conv(v: float) -> float | int:
        return int(round(v)) if integer and float(v).is_integer() else v

    return conv


# ---- scenario and batch objects ---------------------------------------------------------------


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

    def __post_init__(self) -> None:
        for name in ("levers", "parameters", "initial_areas", "initial_forces"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        object.__setattr__(self, "outcomes", tuple(self.outcomes))
        object.__setattr__(self, "levels", tuple(self.levels))

    @property
    def end(self) -> str:
        """The last simulated month, ``"YYYY-MM"``."""
        return _add_months(self.start, self.horizon - 1)

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
                levers[name] = _int_if(p.integer)(p.default)
        for name in PARAMETERS:
            p = REGISTRY[name]
            if name in self.parameters:
                params[name] = _int_if(p.integer)(self.parameters[name])
            elif full:
                params[name] = _int_if(p.integer)(p.default)
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
            initial["areas"] = _thaw(self.initial_areas)
        if self.initial_forces:
            initial["forces"] = _thaw(self.initial_forces)
        if initial:
            out["initial"] = initial
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
                suggestion=_suggest(unknown[0], _CHANGEABLE),
            )
        for key in ("levers", "parameters"):
            if key in changes:
                extra = changes.pop(key)
                if not isinstance(extra, Mapping):
                    raise ConfigError(f"expected a mapping, got {_describe(extra)}", key=key)
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
                    raise ConfigError(f"expected a mapping, got {_describe(extra)}", key=key)
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
        src = _Source(None, os.getcwd())
        tree = _from_plain(raw, src)
        return _build_scenario(tree, default_name=None, path=path)


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
)


@dataclass(frozen=True)
class Batch:
    """A validated batch: scenarios to run together (immutable; picklable).

    Attributes:
        name: identifier ``[a-z0-9_-]+`` (results go to ``runs/<name>/``).
        description: what the batch compares.
        path: absolute path of the batch file, or None.
        seed: master seed from which every run's seed is derived.
        replicates: replicates per scenario set by the batch (already applied to every
            scenario), or None when each scenario keeps its own.
        scenarios: the scenarios, in file order, with unique names.
        design: the ``design:`` mapping as written (plain data, validated by the design
            module), or None.
    """

    name: str
    description: str = ""
    path: str | None = None
    seed: int = 0
    replicates: int | None = None
    scenarios: tuple[Scenario, ...] = ()
    design: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scenarios", tuple(self.scenarios))
        if self.design is not None:
            object.__setattr__(self, "design", _freeze(self.design))

    @property
    def runs(self) -> int:
        """Total runs: the sum over scenarios of their replicates."""
        return sum(s.replicates for s in self.scenarios)

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name`` (KeyError if none)."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The resolved batch as plain data, scenarios inline (see Scenario.to_dict)."""
        out: dict[str, Any] = {
            "batch": self.name,
            "description": self.description,
            "seed": self.seed,
        }
        if self.replicates is not None:
            out["replicates"] = self.replicates
        out["scenarios"] = [s.to_dict(full) for s in self.scenarios]
        if self.design is not None:
            out["design"] = _thaw(self.design)
        return out


# ---- YAML with line numbers -------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A file: the path shown in messages and the directory relative paths start from."""

    display: str | None
    directory: str
    prefix: tuple[Any, ...] = ()


@dataclass
class _Loc:
    """A YAML value with where it is written.

    ``value`` is a dict of key -> _Loc, a list of _Loc, or a scalar. ``line`` is the line of the
    value; ``key_line`` the line of its key (None for list items and the document).
    """

    value: Any
    src: _Source
    line: int | None = None
    key_line: int | None = None

    @property
    def at(self) -> int | None:
        """Line to report for a problem with this value."""
        if isinstance(self.value, dict | list) and self.key_line is not None:
            return self.key_line
        return self.line if self.line is not None else self.key_line

    @property
    def key_at(self) -> int | None:
        """Line to report for a problem with this value's key."""
        return self.key_line if self.key_line is not None else self.line

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that rejects duplicate keys and keeps every node's line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        _check_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _find_duplicate(loader: yaml.SafeLoader, node: yaml.MappingNode) -> tuple[Any, int, int] | None:
    """The first repeated key of a mapping node: (key, its line, line of its first use)."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:  # pragma: no cover - scalar keys are hashable
            continue
        line = key_node.start_mark.line + 1
        if key in seen:
            return key, line, seen[key]
        seen[key] = line
    return None


def _check_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    dup = _find_duplicate(loader, node)
    if dup is not None:
        key, line, first = dup
        mark = next(k.start_mark for k, _ in node.value if k.start_mark.line + 1 == line)
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate key {key!s} (first at line {first})", mark
        )


def _locate(loader: _Loader, root: yaml.Node, src: _Source) -> _Loc:
    count = 0
    active: set[int] = set()

    def walk(node: yaml.Node, key_line: int | None, path: list[Any]) -> _Loc:
        nonlocal count
        count += 1
        if count > _MAX_NODES:
            raise ConfigError("too many YAML nodes (alias expansion?)", file=src.display)
        line = node.start_mark.line + 1
        if id(node) in active:
            raise ConfigError(
                "recursive YAML alias", file=src.display, line=line, key=_key_path(path) or None
            )
        if isinstance(node, yaml.ScalarNode):
            return _Loc(loader.construct_object(node), src, line, key_line)
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = [walk(item, None, [*path, i]) for i, item in enumerate(node.value)]
                return _Loc(items, src, line, key_line)
            dup = _find_duplicate(loader, node)
            if dup is not None:
                key, k_line, first = dup
                raise ConfigError(
                    f"duplicate key {str(key)!r} (first written at line {first})",
                    file=src.display,
                    line=k_line,
                    key=_key_path([*path, key]),
                    allowed="each key once in a mapping",
                )
            loader.flatten_mapping(node)
            out: dict[Any, _Loc] = {}
            for key_node, value_node in node.value:
                k_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ConfigError(
                        "a key must be a plain word or number",
                        file=src.display,
                        line=k_line,
                        key=_key_path(path) or None,
                    )
                key = loader.construct_object(key_node)
                out[key] = walk(value_node, k_line, [*path, key])
            return _Loc(out, src, line, key_line)
        finally:
            active.discard(id(node))

    return walk(root, None, [])


def _from_plain(value: Any, src: _Source) -> _Loc:
    """A _Loc tree (without lines) for plain data."""
    if isinstance(value, Mapping):
        return _Loc({k: _from_plain(v, src) for k, v in value.items()}, src)
    if isinstance(value, list | tuple):
        return _Loc([_from_plain(v, src) for v in value], src)
    return _Loc(value, src)


def _with_src(loc: _Loc, src: _Source) -> _Loc:
    """A copy of a tree attributed to ``src`` (e.g. an inline scenario inside a batch)."""
    value = loc.value
    if isinstance(value, dict):
        value = {k: _with_src(v, src) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_with_src(v, src) for v in value]
    return _Loc(value, src, loc.line, loc.key_line)


def _abspath(path: str | os.PathLike[str]) -> str:
    return os.path.normpath(os.path.abspath(path))


def _abs_note(shown: str, path: Path) -> str:
    """`` (/absolute/path)`` when the path as written is not already absolute."""
    full = _abspath(path)
    return "" if os.path.normpath(shown) == full else f" ({full})"


def _read(path: str | os.PathLike[str], display: str | None = None) -> _Loc:
    """Parse one YAML file into a located tree whose top level is a mapping."""
    display = display or os.fspath(path)
    p = Path(path)
    if not p.exists():
        raise ConfigError("file not found" + _abs_note(display, p), file=display)
    if p.is_dir():
        raise ConfigError("is a directory, not a YAML file", file=display)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=display) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=display) from None
    src = _Source(display, str(p.absolute().parent))
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(
                "file is empty",
                file=display,
                allowed="a mapping of keys, e.g. 'name: my_scenario' (see docs/scenarios.md)",
            )
        tree = _locate(loader, node, src)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        parts = [s for s in (exc.context, exc.problem) if s]
        raise ConfigError(
            "YAML syntax error: " + ": ".join(parts), file=display, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=display) from None
    finally:
        loader.dispose()
    if not isinstance(tree.value, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys, got {_describe(tree.value)}",
            file=display,
            line=tree.line,
            allowed="'key: value' lines (see docs/scenarios.md)",
        )
    return tree


# ---- validation helpers -----------------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, _Loc):
        value = value.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict | Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _key_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            text = part.isoformat()[:7] if isinstance(part, _dt.date) else str(part)
            out += ("." if out else "") + text
    return out


def _fail(
    loc: _Loc,
    path: Iterable[Any],
    message: str,
    *,
    allowed: str | None = None,
    suggestion: str | None = None,
    on_key: bool = False,
) -> ConfigError:
    return ConfigError(
        message,
        file=loc.src.display,
        line=loc.key_at if on_key else loc.at,
        key=_key_path([*loc.src.prefix, *path]) or None,
        allowed=allowed,
        suggestion=suggestion,
    )


def _names_text(names: Iterable[str], limit: int = 14, what: str = "names") -> str:
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return f"one of {len(names)} {what}"


def _check_keys(loc: _Loc, path: list[Any], allowed: tuple[str, ...], what: str = "key") -> None:
    for key, child in loc.value.items():
        if key not in allowed:
            raise _fail(
                child,
                [*path, key],
                f"unknown {what} {str(key)!r}",
                allowed=", ".join(allowed),
                suggestion=_suggest(key, allowed),
                on_key=True,
            )


def _mapping(loc: _Loc, path: list[Any], allowed: str = "a mapping of 'key: value' lines") -> dict:
    if loc.value is None:
        return {}
    if not isinstance(loc.value, dict):
        raise _fail(loc, path, f"expected a mapping, got {_describe(loc)}", allowed=allowed)
    return loc.value


def _number(loc: _Loc, path: list[Any], allowed: str) -> float:
    v = loc.value
    if isinstance(v, bool) or v is None or isinstance(v, dict | list | _dt.date):
        raise _fail(loc, path, f"expected a number, got {_describe(v)}", allowed=allowed)
    if isinstance(v, str):
        try:
            return float(v.replace("_", ""))  # PyYAML reads 5e3 (no dot) as a string
        except ValueError:
            raise _fail(loc, path, f"expected a number, got {v!r}", allowed=allowed) from None
    return float(v)


def _integer(loc: _Loc, path: list[Any], lo: int, hi: int, what: str) -> int:
    if hi >= SEED_RANGE[1]:
        allowed = f"a whole number >= {lo}"
    else:
        allowed = f"a whole number of {what} in {lo} - {hi}"
    x = _number(loc, path, allowed)
    if not math.isfinite(x) or not x.is_integer():
        raise _fail(loc, path, f"{_describe(loc)} is not a whole number", allowed=allowed)
    n = int(x)
    if not lo <= n <= hi:
        raise _fail(loc, path, f"{n} is out of range", allowed=allowed)
    return n


def _string(loc: _Loc, path: list[Any], allowed: str) -> str:
    if not isinstance(loc.value, str):
        raise _fail(loc, path, f"expected text, got {_describe(loc)}", allowed=allowed)
    return loc.value


def _name(loc: _Loc, path: list[Any]) -> str:
    allowed = "lower-case letters, digits, '_' and '-'"
    name = _string(loc, path, allowed)
    if not _NAME_RE.match(name):
        raise _fail(loc, path, f"{name!r} is not a valid name", allowed=allowed)
    return name


def _month(loc: _Loc, path: list[Any]) -> str:
    try:
        return parse_month(loc.value)
    except ValueError as exc:
        raise _fail(loc, path, str(exc), allowed=_MONTH_ALLOWED) from None


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_text(p: Parameter) -> str:
    text = f"{'a whole number' if p.integer else 'a number'} in {_fmt(p.low)} - {_fmt(p.high)}"
    text += f" ({p.unit})"
    if p.choices:
        text += " or one of " + ", ".join(p.choices)
    return text


def _registry_value(loc: _Loc, path: list[Any], p: Parameter) -> float:
    """A value for registry entry ``p``: a number (or named choice) in its range."""
    allowed = _range_text(p)
    v = loc.value
    if isinstance(v, str) and p.choices:
        word = v.strip()
        if word in p.choices:
            return float(p.choices[word])
        try:
            float(word)
        except ValueError:
            raise _fail(
                loc,
                path,
                f"unknown choice {word!r} for {p.name}",
                allowed=allowed,
                suggestion=_suggest(word, p.choices),
            ) from None
    if isinstance(v, list | dict) and not p.is_schedulable:
        raise _fail(
            loc,
            path,
            f"expected a number, got {_describe(v)} (only levers and events take schedules)",
            allowed=allowed,
        )
    x = _number(loc, path, allowed)
    if not math.isfinite(x) or not p.low <= x <= p.high:
        raise _fail(loc, path, f"{_fmt(x)} is out of range", allowed=allowed)
    if p.integer and not x.is_integer():
        raise _fail(loc, path, f"{_fmt(x)} is not a whole number", allowed=allowed)
    return x


def _schedule(loc: _Loc, path: list[Any], p: Parameter) -> Schedule:
    """A lever's value: a constant, a list of {from, value} points or a month -> value map."""
    default = float(p.default)
    if isinstance(loc.value, list):
        if not loc.value:
            raise _fail(
                loc, path, "empty schedule", allowed="at least one {from: YYYY-MM, value: x}"
            )
        points: list[tuple[str, float, _Loc, list[Any]]] = []
        for i, item in enumerate(loc.value):
            ipath = [*path, i]
            if not isinstance(item.value, dict):
                raise _fail(
                    item,
                    ipath,
                    f"expected a point {{from: YYYY-MM, value: x}}, got {_describe(item)}",
                    allowed="{from: YYYY-MM, value: x}",
                )
            _check_keys(item, ipath, POINT_KEYS)
            for required in POINT_KEYS:
                if required not in item.value:
                    raise _fail(
                        item,
                        ipath,
                        f"missing required key {required!r}",
                        allowed="{from: YYYY-MM, value: x}",
                    )
            frm = item.value["from"]
            month = _month(frm, [*ipath, "from"])
            value = _registry_value(item.value["value"], [*ipath, "value"], p)
            points.append((month, value, frm, [*ipath, "from"]))
    elif isinstance(loc.value, dict):
        if not loc.value:
            raise _fail(loc, path, "empty schedule", allowed="at least one 'YYYY-MM: value' entry")
        points = []
        for key, child in loc.value.items():
            kpath = [*path, key]
            month = _month(_Loc(key, child.src, child.key_at), kpath)
            value = _registry_value(child, kpath, p)
            points.append((month, value, _Loc(key, child.src, child.key_at), kpath))
    else:
        return Schedule.constant(_registry_value(loc, path, p), default)
    for (m0, _, _, _), (m1, _, where, wpath) in zip(points, points[1:], strict=False):
        if m1 == m0:
            raise _fail(where, wpath, f"{m1} is given twice", allowed="one value per month")
        if m1 < m0:
            raise _fail(
                where,
                wpath,
                f"{m1} comes after {m0}: points must be in increasing date order",
                allowed=f"a month after {m0}",
            )
    return Schedule(tuple((m, v) for m, v, _, _ in points), default)


def _levers(loc: _Loc) -> dict[str, Schedule]:
    out = {}
    for name, child in _mapping(loc, ["levers"], "lever: schedule lines").items():
        path = ["levers", name]
        p = REGISTRY.get(name) if isinstance(name, str) else None
        if p is None:
            raise _fail(
                child,
                path,
                f"unknown lever {str(name)!r}",
                allowed=", ".join(LEVERS),
                suggestion=_suggest(name, LEVERS),
                on_key=True,
            )
        if not p.is_schedulable:
            raise _fail(
                child,
                path,
                f"{name} is a{'n' if p.kind == 'initial' else ''} {p.kind}, not a lever:"
                " put it under parameters:",
                on_key=True,
            )
        out[name] = _schedule(child, path, p)
    return out


def _parameters(loc: _Loc) -> dict[str, float]:
    out = {}
    for name, child in _mapping(loc, ["parameters"], "name: value lines").items():
        path = ["parameters", name]
        p = REGISTRY.get(name) if isinstance(name, str) else None
        if p is None:
            raise _fail(
                child,
                path,
                f"unknown parameter {str(name)!r}",
                allowed=_names_text(PARAMETERS, what="registry parameters (stabsim params)"),
                suggestion=_suggest(name, PARAMETERS),
                on_key=True,
            )
        if p.is_schedulable:
            raise _fail(
                child,
                path,
                f"{name} is a{'n' if p.kind == 'event' else ''} {p.kind}: put it under levers:",
                on_key=True,
            )
        x = _registry_value(child, path, p)
        out[name] = int(x) if p.integer else x
    return out


def _overrides(loc: _Loc, path: list[Any], what: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for unit, cols in _mapping(loc, path, f"{what} id: {{column: value}}").items():
        upath = [*path, unit]
        if not isinstance(unit, str):
            raise _fail(cols, upath, f"{what} id must be text, got {unit!r}", on_key=True)
        row: dict[str, Any] = {}
        for col, val in _mapping(cols, upath, "column: value lines").items():
            cpath = [*upath, col]
            if not isinstance(col, str):
                raise _fail(val, cpath, f"column name must be text, got {col!r}", on_key=True)
            v = val.value
            if v is None or isinstance(v, dict | list | _dt.date):
                raise _fail(
                    val,
                    cpath,
                    f"expected a number or text, got {_describe(v)}",
                    allowed="a number or text",
                )
            row[col] = v
        out[unit] = row
    return out


def _initial(loc: _Loc) -> tuple[str | None, dict, dict]:
    _mapping(loc, ["initial"], "data, areas, forces")
    _check_keys(loc, ["initial"], INITIAL_KEYS)
    data = None
    if loc.value.get("data") is not None:
        d = loc.value["data"]
        text = _string(d, ["initial", "data"], "a directory path, relative to this file")
        target = Path(d.src.directory, text)
        if not target.exists():
            raise _fail(
                d,
                ["initial", "data"],
                f"directory not found: {text}{_abs_note(text, target)}",
                allowed="an existing directory, relative to this file",
            )
        if not target.is_dir():
            raise _fail(d, ["initial", "data"], f"{text} is not a directory")
        data = _abspath(target)
    areas = (
        _overrides(loc.value["areas"], ["initial", "areas"], "area") if "areas" in loc.value else {}
    )
    forces = (
        _overrides(loc.value["forces"], ["initial", "forces"], "force")
        if "forces" in loc.value
        else {}
    )
    return data, areas, forces


def _name_list(
    loc: _Loc, path: list[Any], names: tuple[str, ...], what: str, allowed: str
) -> tuple[str, ...]:
    if loc.value == "all":
        return names
    if isinstance(loc.value, str):
        loc = _Loc([_Loc(loc.value, loc.src, loc.line)], loc.src, loc.line, loc.key_line)
    if not isinstance(loc.value, list) or not loc.value:
        raise _fail(
            loc, path, f"expected 'all' or a list of {what}s, got {_describe(loc)}", allowed=allowed
        )
    chosen: set[str] = set()
    for i, item in enumerate(loc.value):
        if item.value not in names:
            raise _fail(
                item,
                [*path, i],
                f"unknown {what} {_describe(item)}",
                allowed=allowed,
                suggestion=_suggest(item.value, names),
            )
        if item.value in chosen:
            raise _fail(item, [*path, i], f"{item.value} is listed twice")
        chosen.add(item.value)
    return tuple(n for n in names if n in chosen)


# ---- scenarios --------------------------------------------------------------------------------


def _resolve_chain(tree: _Loc, abs_path: str | None, chain: tuple[str, ...]) -> _Loc:
    """Check a scenario mapping's keys and merge it over the file it extends, if any."""
    if "batch" in tree.value:
        raise _fail(
            tree.value["batch"],
            ["batch"],
            "this is a batch file, not a scenario",
            allowed="a scenario file (load batches with load_batch or load_any)",
            on_key=True,
        )
    _check_keys(tree, [], SCENARIO_KEYS)
    for section in _MERGE_DEPTH:  # an empty section is an empty mapping, not a reset
        if section in tree.value and tree.value[section].value is None:
            tree.value[section].value = {}
    ext = tree.value.get("extends")
    if ext is None:
        return tree
    rel = _string(ext, ["extends"], "a scenario file path, relative to this file")
    target = Path(ext.src.directory, rel)
    display = os.path.normpath(os.path.join(os.path.dirname(ext.src.display or ""), rel))
    real = os.path.realpath(target)
    names = [*chain, real]
    if real in chain:
        shown = " -> ".join(os.path.basename(c) for c in names)
        raise _fail(ext, ["extends"], f"cycle: {shown}", allowed="a chain without cycles")
    if not target.exists():
        raise _fail(ext, ["extends"], f"file not found: {rel}{_abs_note(rel, target)}")
    if target.is_dir():
        raise _fail(ext, ["extends"], f"{rel} is a directory, not a scenario file")
    parent_tree = _read(target, display)
    if "batch" in parent_tree.value:
        raise _fail(ext, ["extends"], f"{rel} is a batch file, not a scenario")
    parent = _resolve_chain(parent_tree, real, tuple(names))
    return _merge_scenarios(parent, tree)


def _merge(parent: _Loc, child: _Loc, depth: int) -> _Loc:
    if depth <= 0 or not isinstance(parent.value, dict) or not isinstance(child.value, dict):
        return child
    out = dict(parent.value)
    for key, value in child.value.items():
        out[key] = _merge(out[key], value, depth - 1) if key in out else value
    return _Loc(out, child.src, child.line, child.key_line)


def _merge_scenarios(parent: _Loc, child: _Loc) -> _Loc:
    out = {k: v for k, v in parent.value.items() if k not in _NOT_INHERITED}
    for key, value in child.value.items():
        if key in out and key in _MERGE_DEPTH:
            out[key] = _merge(out[key], value, _MERGE_DEPTH[key])
        else:
            out[key] = value
    return _Loc(out, child.src, child.line, child.key_line)


def _build_scenario(tree: _Loc, default_name: str | None, path: str | None) -> Scenario:
    """Validate a merged scenario mapping into a Scenario."""
    v = tree.value
    if "name" in v:
        name = _name(v["name"], ["name"])
    elif default_name is not None:
        name = default_name
    else:
        raise _fail(tree, [], "missing required key 'name'", allowed="name: <a-z0-9_->")
    description = ""
    if v.get("description") is not None:
        description = _string(v["description"], ["description"], "a sentence of text").strip()
    start = _month(v["start"], ["start"]) if "start" in v else DEFAULTS["start"]
    horizon = (
        _integer(v["horizon"], ["horizon"], *HORIZON_RANGE, "months")
        if "horizon" in v
        else DEFAULTS["horizon"]
    )
    seed = _integer(v["seed"], ["seed"], *SEED_RANGE, "") if "seed" in v else DEFAULTS["seed"]
    replicates = (
        _integer(v["replicates"], ["replicates"], *REPLICATES_RANGE, "runs")
        if "replicates" in v
        else DEFAULTS["replicates"]
    )
    levers = _levers(v["levers"]) if "levers" in v else {}
    parameters = _parameters(v["parameters"]) if "parameters" in v else {}
    data, areas, forces = _initial(v["initial"]) if "initial" in v else (None, {}, {})
    all_outcomes = _outcomes.MONTHLY_NAMES
    outcomes = (
        _name_list(
            v["outcomes"],
            ["outcomes"],
            all_outcomes,
            "outcome",
            f"'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({len(all_outcomes)} outcomes)",
        )
        if "outcomes" in v
        else all_outcomes
    )
    levels_all = _outcomes.LEVELS
    levels = (
        _name_list(
            v["levels"],
            ["levels"],
            levels_all,
            "level",
            "'all' or a list of " + ", ".join(levels_all),
        )
        if "levels" in v
        else tuple(DEFAULTS["levels"])
    )
    return Scenario(
        name=name,
        description=description,
        path=path,
        start=start,
        horizon=horizon,
        seed=seed,
        replicates=replicates,
        levers=levers,
        parameters=parameters,
        initial_data=data,
        initial_areas=areas,
        initial_forces=forces,
        outcomes=outcomes,
        levels=levels,
    )


def _stem_name(path: str | os.PathLike[str]) -> str:
    stem = Path(path).stem.lower()
    return re.sub(r"[^a-z0-9_-]+", "_", stem) or "scenario"


def _scenario_from_tree(tree: _Loc, file: Path | None) -> Scenario:
    real = os.path.realpath(file) if file is not None else None
    merged = _resolve_chain(tree, real, (real,) if real else ())
    return _build_scenario(
        merged,
        default_name=_stem_name(file) if file is not None else None,
        path=_abspath(file) if file is not None else None,
    )


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario file (following ``extends``).

    Raises:
        ConfigError: for any mistake, with file, line, key path and what is allowed.
    """
    tree = _read(path)
    return _scenario_from_tree(tree, Path(path))


def load_batch(path: str | os.PathLike[str]) -> Batch:
    """Load and validate a batch file and every scenario it lists.

    Raises:
        ConfigError: for any mistake, with file, line, key path and what is allowed.
    """
    tree = _read(path)
    return _batch_from_tree(tree, Path(path))


def load_any(path: str | os.PathLike[str]) -> Scenario | Batch:
    """Load a batch (a file with a top-level ``batch`` key) or else a scenario."""
    tree = _read(path)
    if "batch" in tree.value:
        return _batch_from_tree(tree, Path(path))
    return _scenario_from_tree(tree, Path(path))


def _batch_from_tree(tree: _Loc, file: Path) -> Batch:
    v = tree.value
    if "batch" not in v:
        raise _fail(
            tree,
            [],
            "missing required key 'batch' (a batch file starts with 'batch: <name>')",
            allowed="batch: <a-z0-9_->",
        )
    _check_keys(tree, [], BATCH_KEYS)
    name = _name(v["batch"], ["batch"])
    description = ""
    if v.get("description") is not None:
        description = _string(v["description"], ["description"], "a sentence of text").strip()
    seed = _integer(v["seed"], ["seed"], *SEED_RANGE, "") if "seed" in v else DEFAULTS["seed"]
    replicates = None
    if v.get("replicates") is not None:
        replicates = _integer(v["replicates"], ["replicates"], *REPLICATES_RANGE, "runs")
    if "scenarios" not in v:
        raise _fail(
            tree, [], "missing required key 'scenarios'", allowed="scenarios: [file.yaml, ...]"
        )
    entries = v["scenarios"]
    allowed = "a list of scenario files (relative to this file) or inline scenario mappings"
    if not isinstance(entries.value, list) or not entries.value:
        raise _fail(
            entries,
            ["scenarios"],
            f"expected a non-empty list, got {_describe(entries)}",
            allowed=allowed,
        )
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    real_batch = os.path.realpath(file)
    for i, entry in enumerate(entries.value):
        epath = ["scenarios", i]
        if isinstance(entry.value, str):
            target = Path(entry.src.directory, entry.value)
            display = os.path.normpath(
                os.path.join(os.path.dirname(entry.src.display or ""), entry.value)
            )
            if not target.exists():
                raise _fail(
                    entry,
                    epath,
                    f"file not found: {entry.value}{_abs_note(entry.value, target)}",
                    allowed=allowed,
                )
            if target.is_dir():
                raise _fail(entry, epath, f"{entry.value} is a directory, not a scenario file")
            if os.path.realpath(target) == real_batch:
                raise _fail(entry, epath, "a batch cannot list itself", allowed=allowed)
            sub = _read(target, display)
            if "batch" in sub.value:
                raise _fail(
                    entry, epath, f"{entry.value} is a batch file, not a scenario", allowed=allowed
                )
            scenario = _scenario_from_tree(sub, target)
        elif isinstance(entry.value, dict):
            inline = _with_src(entry, dataclasses.replace(entry.src, prefix=tuple(epath)))
            merged = _resolve_chain(inline, None, ())
            scenario = _build_scenario(merged, default_name=None, path=None)
        else:
            raise _fail(
                entry,
                epath,
                f"expected a file name or a mapping, got {_describe(entry)}",
                allowed=allowed,
            )
        if scenario.name in seen:
            raise _fail(
                entry,
                epath,
                f"scenario name {scenario.name!r} is used twice (also scenarios[{seen[scenario.name]}])",
                allowed="unique scenario names (set 'name:' in one of them)",
            )
        seen[scenario.name] = i
        if replicates is not None:
            scenario = dataclasses.replace(scenario, replicates=replicates)
        scenarios.append(scenario)
    design = None
    if "design" in v and v["design"].value is not None:
        _mapping(v["design"], ["design"], "a mapping describing the experimental design")
        design = v["design"].plain()
    return Batch(
        name=name,
        description=description,
        path=_abspath(file),
        seed=seed,
        replicates=replicates,
        scenarios=tuple(scenarios),
        design=design,
    )
