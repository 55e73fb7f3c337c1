"""Batch designs: a batch file -> the list of runs to make (scenarios x design points x replicates).

A batch lists scenarios, a number of replicates and a master seed, and optionally a ``design:``
that varies levers and parameters over a grid or a sample drawn with SALib:

.. code-block:: yaml

    design:
      kind: grid                       # grid | lhs | sobol | morris
      levers: {us_troops: [0, 2500, 5200]}
      parameters: {arrest_k: [2.0, 2.3]}

    design:
      kind: sobol
      n: 64                            # SALib's N (sobol: a power of 2)
      vary: {us_troops: [0, 10000], arrest_k: null}   # null = the registry range

Every design point overrides, in every scenario, the levers and parameters it names (a lever
becomes a constant for the whole horizon). Replicate r of every scenario and design point gets
the same seed, ``model.experiments.run.replicate_seed(batch.seed, r)``: common random numbers.
The format is documented in ``docs/batches.md``.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.files.config import (
    Batch,
    ConfigError,
    FrozenMap,
    Scenario,
    _describe,  # the shared error-message helpers
    _suggest,
)
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY, Parameter

__all__ = [
    "DESIGN_KINDS",
    "Design",
    "RunSpec",
    "design_table",
    "expand",
    "parse_design",
    "part_name",
    "run_id",
]

DESIGN_KINDS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
SAMPLE_KINDS: tuple[str, ...] = ("lhs", "sobol", "morris")
_KEYS: dict[str, tuple[str, ...]] = {
    "grid": ("kind", "levers", "parameters", "vary"),
    "lhs": ("kind", "n", "seed", "levers", "parameters", "vary"),
    "sobol": ("kind", "n", "seed", "second_order", "levers", "parameters", "vary"),
    "morris": ("kind", "n", "seed", "levels", "levers", "parameters", "vary"),
}
_ALL_KEYS = tuple(dict.fromkeys(k for keys in _KEYS.values() for k in keys))
_SECTIONS = ("levers", "parameters", "vary")
MAX_POINTS = 1_000_000


def run_id(scenario: str, design_point: int, replicate: int) -> str:
    """The stable identifier of a run, e.g. ``baseline/00003/r0001``."""
    return f"{scenario}/{design_point:05d}/r{replicate:04d}"


def part_name(design_point: int, replicate: int) -> str:
    """The file stem of a run's Parquet parts, e.g. ``00003-r0001``."""
    return f"{design_point:05d}-r{replicate:04d}"


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch: everything a worker needs, and nothing that depends on the worker.

    Attributes:
        run_id: stable identifier ``<scenario>/<design point:05d>/r<replicate:04d>``.
        scenario: the resolved scenario, with the design point's values applied.
        scenario_name: the scenario's name.
        replicate: replicate number r (0-based).
        seed: the model seed, ``replicate_seed(batch.seed, r)``: the same for replicate r in
            every scenario and design point (common random numbers).
        design_point: index of the design point (0 when the batch has no design).
        values: the design point's lever and parameter values (empty without a design).
    """

    run_id: str
    scenario: Scenario
    scenario_name: str
    replicate: int
    seed: int
    design_point: int = 0
    values: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", FrozenMap(self.values))

    @property
    def part(self) -> str:
        """The file stem of this run's Parquet parts."""
        return part_name(self.design_point, self.replicate)


@dataclass(frozen=True)
class Design:
    """A resolved design: named inputs and the values of each design point.

    Attributes:
        kind: ``"none"`` (one point, nothing varied), ``"grid"``, ``"lhs"``, ``"sobol"`` or
            ``"morris"``.
        names: the varied levers and parameters, in column order.
        points: one tuple of values (in ``names`` order) per design point.
        bounds: per name, the sampled range (samples) or the smallest and largest grid value.
        n: SALib's N for samples, else None.
        seed: the seed the sample was drawn with (samples), else None.
        options: kind-specific settings (``second_order`` for sobol, ``levels`` for morris).
    """

    kind: str
    names: tuple[str, ...] = ()
    points: tuple[tuple[float, ...], ...] = ((),)
    bounds: tuple[tuple[float, float], ...] = ()
    n: int | None = None
    seed: int | None = None
    options: Mapping[str, Any] = field(default_factory=FrozenMap)

    def __len__(self) -> int:
        return len(self.points)

    def values(self, point: int) -> dict[str, float]:
        """The lever and parameter values of design point ``point``."""
        return dict(zip(self.names, self.points[point], strict=True))

    def problem(self) -> dict[str, Any]:
        """The SALib problem definition (names and bounds) of the design."""
        return {
            "num_vars": len(self.names),
            "names": list(self.names),
            "bounds": [list(b) for b in self.bounds],
        }

    def to_dict(self) -> dict[str, Any]:
        """The design as plain data (for the manifest; enough to run SALib's analysers)."""
        return {
            "kind": self.kind,
            "names": list(self.names),
            "kinds": {n: REGISTRY[n].kind for n in self.names},
            "bounds": [list(b) for b in self.bounds],
            "n": self.n,
            "seed": self.seed,
            "options": dict(self.options),
            "points": len(self.points),
            "values": [list(p) for p in self.points] if self.names else [],
        }

    def describe(self) -> str:
        """One line, e.g. ``sobol over us_troops, arrest_k: 384 points (N=64)``."""
        if not self.names:
            return "no design (1 point)"
        what = f"{self.kind} over {', '.join(self.names)}: {len(self.points)} points"
        return what + (f" (N={self.n})" if self.n is not None else "")


# ---- parsing and validation -------------------------------------------------------------------


class _Where:
    """Locates key paths of the ``design:`` mapping in the batch file for error messages."""

    def __init__(self, batch: Batch) -> None:
        self.file = _display(batch.path) if batch.path else None
        self.tree = None
        if batch.path and os.path.exists(batch.path):
            try:
                from model.files.config import _read  # the located YAML tree (lines of every key)

                self.tree = _read(batch.path).value.get("design")
            except Exception:  # noqa: BLE001 - lines are a courtesy; the message stands without
                self.tree = None

    def line(self, path: Sequence[Any], on_key: bool) -> int | None:
        loc = self.tree
        for part in path:
            if loc is None:
                return None
            value = loc.value
            found = (isinstance(value, dict) and part in value) or (
                isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
            )
            if not found:
                return loc.at
            loc = value[part]
        if loc is None:
            return None
        return loc.key_at if on_key else loc.at

    def error(
        self,
        path: Sequence[Any],
        message: str,
        *,
        allowed: str | None = None,
        suggestion: str | None = None,
        on_key: bool = False,
    ) -> ConfigError:
        key = "design" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        return ConfigError(
            message,
            file=self.file,
            line=self.line(path, on_key),
            key=key,
            allowed=allowed,
            suggestion=suggestion,
        )


def _display(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_text(p: Parameter) -> str:
    text = f"{'whole numbers' if p.integer else 'numbers'} in {_fmt(p.low)} - {_fmt(p.high)}"
    text += f" ({p.unit})"
    if p.choices:
        text += " or " + ", ".join(p.choices)
    return text


def _number(where: _Where, path: list[Any], value: Any, p: Parameter, allowed: str) -> float:
    """A registry value (number or named choice) in range, as a float."""
    if isinstance(value, str) and p.choices and value.strip() in p.choices:
        return float(p.choices[value.strip()])
    if isinstance(value, str):
        try:
            value = float(value.replace("_", ""))
        except ValueError:
            sug = _suggest(value, p.choices) if p.choices else None
            raise where.error(
                path, f"expected a number, got {value!r}", allowed=allowed, suggestion=sug
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.error(path, f"expected a number, got {_describe(value)}", allowed=allowed)
    x = float(value)
    if not math.isfinite(x) or not p.low <= x <= p.high:
        raise where.error(path, f"{_fmt(x)} is out of range", allowed=allowed)
    if p.integer and not x.is_integer():
        raise where.error(path, f"{_fmt(x)} is not a whole number", allowed=allowed)
    return x


def _entries(where: _Where, spec: Mapping[str, Any]) -> list[tuple[list[Any], str, Any]]:
    """The (path, name, value) of every varied name, from levers:, parameters: and vary:."""
    out: list[tuple[list[Any], str, Any]] = []
    seen: dict[str, str] = {}
    for section in _SECTIONS:
        if section not in spec or spec[section] is None:
            continue
        body = spec[section]
        if not isinstance(body, Mapping):
            raise where.error(
                [section],
                f"expected a mapping of name: values, got {_describe(body)}",
                allowed="name: [values] (grid) or name: [low, high] / null (samples)",
            )
        names = {"levers": LEVERS, "parameters": PARAMETERS}.get(section, LEVERS + PARAMETERS)
        for name, value in body.items():
            path = [section, name]
            p = REGISTRY.get(name) if isinstance(name, str) else None
            if p is None or name not in names:
                if p is not None and section == "levers":
                    msg = f"{name} is a{'n' if p.kind == 'initial' else ''} {p.kind}, not a lever: put it under parameters:"
                    raise where.error(path, msg, on_key=True)
                if p is not None and section == "parameters":
                    msg = f"{name} is a{'n' if p.kind == 'event' else ''} {p.kind}: put it under levers:"
                    raise where.error(path, msg, on_key=True)
                what = {"levers": "lever", "parameters": "parameter"}.get(section, "name")
                raise where.error(
                    path,
                    f"unknown {what} {str(name)!r}",
                    allowed=", ".join(LEVERS)
                    if section == "levers"
                    else "registry names (stabsim params)",
                    suggestion=_suggest(name, names),
                    on_key=True,
                )
            if name in seen:
                raise where.error(
                    path,
                    f"{name} is varied twice (also under {seen[name]}:)",
                    allowed="each name once",
                    on_key=True,
                )
            seen[name] = section
            out.append((path, name, value))
    return out


def _grid_values(where: _Where, path: list[Any], name: str, value: Any) -> tuple[float, ...]:
    p = REGISTRY[name]
    allowed = f"a list of {_range_text(p)}"
    items = value if isinstance(value, list | tuple) else [value]
    if not items or value is None:
        raise where.error(
            path, f"expected a non-empty list, got {_describe(value)}", allowed=allowed
        )
    out: list[float] = []
    for i, item in enumerate(items):
        ipath = [*path, i] if isinstance(value, list | tuple) else path
        if isinstance(item, list | tuple | Mapping):
            raise where.error(
                ipath,
                f"expected a number, got {_describe(item)} (a grid value is a constant)",
                allowed=allowed,
            )
        x = _number(where, ipath, item, p, allowed)
        if x in out:
            raise where.error(ipath, f"{_fmt(x)} is listed twice", allowed="distinct values")
        out.append(x)
    return tuple(out)


def _sample_bounds(where: _Where, path: list[Any], name: str, value: Any) -> tuple[float, float]:
    p = REGISTRY[name]
    allowed = f"[low, high] with {_range_text(p)}, or null for the registry range"
    if value is None:
        low, high = float(p.low), float(p.high)
    else:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise where.error(
                path, f"expected [low, high], got {_describe(value)}", allowed=allowed
            )
        low = _number(where, [*path, 0], value[0], p, allowed)
        high = _number(where, [*path, 1], value[1], p, allowed)
    if not low < high:
        raise where.error(
            path, f"low {_fmt(low)} is not below high {_fmt(high)}", allowed="low < high"
        )
    return low, high


def _int_option(
    where: _Where, spec: Mapping[str, Any], key: str, lo: int, hi: int, allowed: str
) -> int:
    value = spec[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not float(value).is_integer()
    ):
        raise where.error(
            [key], f"expected a whole number, got {_describe(value)}", allowed=allowed
        )
    n = int(value)
    if not lo <= n <= hi:
        raise where.error([key], f"{n} is out of range", allowed=allowed)
    return n


def parse_design(batch: Batch) -> Design:
    """Validate a batch's ``design:`` mapping and draw its points.

    Args:
        batch: a loaded batch; ``batch.design`` is the mapping as written, or None.

    Returns:
        The design; ``kind == "none"`` with a single empty point when the batch has none.

    Raises:
        ConfigError: one line naming the batch file, line, key, what is allowed and, for a
            misspelt name, the closest valid one.
    """
    raw = batch.design
    if raw is None:
        return Design("none")
    where = _Where(batch)
    spec = _plain(raw)
    if not isinstance(spec, Mapping):
        raise where.error([], f"expected a mapping, got {_describe(spec)}", allowed="kind: ...")
    kinds = ", ".join(DESIGN_KINDS)
    if "kind" not in spec:
        raise where.error([], "missing required key 'kind'", allowed=kinds)
    kind = spec["kind"]
    if kind not in DESIGN_KINDS:
        raise where.error(
            ["kind"],
            f"unknown design kind {_describe(kind)}",
            allowed=kinds,
            suggestion=_suggest(kind, DESIGN_KINDS),
        )
    for key in spec:
        if key not in _KEYS[kind]:
            why = f"unknown key {str(key)!r}"
            if key in _ALL_KEYS:
                why = f"{key} does not apply to a {kind} design"
            raise where.error(
                [key],
                why,
                allowed=", ".join(_KEYS[kind]),
                suggestion=_suggest(key, _KEYS[kind]) if key not in _ALL_KEYS else None,
                on_key=True,
            )
    entries = _entries(where, spec)
    if not entries:
        raise where.error(
            [],
            "nothing to vary",
            allowed="levers:, parameters: or vary: with at least one registry name",
        )
    names = tuple(name for _, name, _ in entries)
    if kind == "grid":
        return _grid(where, entries, names)
    return _sample(where, spec, kind, entries, names, batch.seed)


def _grid(
    where: _Where, entries: list[tuple[list[Any], str, Any]], names: tuple[str, ...]
) -> Design:
    axes = [_grid_values(where, path, name, value) for path, name, value in entries]
    count = math.prod(len(a) for a in axes)
    if count > MAX_POINTS:
        raise where.error([], f"the grid has {count:,} points", allowed=f"at most {MAX_POINTS:,}")
    points = tuple(itertools.product(*axes))
    bounds = tuple((min(a), max(a)) for a in axes)
    return Design("grid", names, points, bounds)


def _sample(
    where: _Where,
    spec: Mapping[str, Any],
    kind: str,
    entries: list[tuple[list[Any], str, Any]],
    names: tuple[str, ...],
    master_seed: int,
) -> Design:
    import numpy as np
    from SALib.sample import latin, morris, sobol

    bounds = tuple(_sample_bounds(where, path, name, value) for path, name, value in entries)
    if "n" not in spec:
        raise where.error([], "missing required key 'n'", allowed="n: the sample size (SALib's N)")
    n = _int_option(where, spec, "n", 1, MAX_POINTS, f"a whole number in 1 - {MAX_POINTS:,}")
    seed = master_seed
    if spec.get("seed") is not None:
        seed = _int_option(where, spec, "seed", 0, 2**63 - 1, "a whole number >= 0")
    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    options: dict[str, Any] = {}
    if kind == "lhs":
        x = latin.sample(problem, n, seed=seed)
    elif kind == "sobol":
        second = spec.get("second_order", True)
        if not isinstance(second, bool):
            raise where.error(
                ["second_order"],
                f"expected true or false, got {_describe(second)}",
                allowed="true, false",
            )
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise where.error(
                ["n"],
                f"{n} is not a power of 2 (Sobol' sequences need one)",
                allowed=f"a power of 2, e.g. {lower} or {lower * 2}",
            )
        options["second_order"] = second
        x = sobol.sample(problem, n, calc_second_order=second, seed=seed)
    else:
        levels = 4
        if spec.get("levels") is not None:
            levels = _int_option(where, spec, "levels", 2, 100, "an even whole number in 2 - 100")
            if levels % 2:
                raise where.error(
                    ["levels"], f"{levels} is odd", allowed="an even whole number in 2 - 100"
                )
        options["levels"] = levels
        x = morris.sample(problem, n, num_levels=levels, seed=seed)
    if len(x) > MAX_POINTS:
        raise where.error(
            ["n"], f"the sample has {len(x):,} points", allowed=f"at most {MAX_POINTS:,}"
        )
    integer = np.array([REGISTRY[name].integer for name in names])
    lows = np.array([b[0] for b in bounds])
    highs = np.array([b[1] for b in bounds])
    # Whole-number entries (troops, operations) are rounded; the clip keeps rounding in range.
    x = np.where(integer, np.clip(np.round(x), np.ceil(lows), np.floor(highs)), x)
    points = tuple(tuple(float(v) for v in row) for row in x)
    return Design(kind, names, points, bounds, n, seed, FrozenMap(options))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---- expansion --------------------------------------------------------------------------------


def _apply(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with a design point's values (levers as constants) applied."""
    if not values:
        return scenario
    levers = {k: _as_registry(k, v) for k, v in values.items() if REGISTRY[k].is_schedulable}
    params = {k: _as_registry(k, v) for k, v in values.items() if not REGISTRY[k].is_schedulable}
    changes: dict[str, Any] = {}
    if levers:
        changes["levers"] = levers
    if params:
        changes["parameters"] = params
    return scenario.with_changes(**changes)


def _as_registry(name: str, value: float) -> float | int:
    return int(round(value)) if REGISTRY[name].integer else float(value)


def expand(batch: Batch, design: Design | None = None) -> list[RunSpec]:
    """The runs of a batch: every scenario x design point x replicate, in a stable order.

    Args:
        batch: a loaded batch (replicates already resolved per scenario).
        design: the batch's parsed design (parsed from ``batch.design`` if not given).

    Returns:
        Run specs ordered by scenario (file order), design point, then replicate. Expanding the
        same batch again gives equal specs with the same run ids and seeds.

    Raises:
        ConfigError: if the design is not valid.
    """
    from model.experiments.run import replicate_seed

    design = design if design is not None else parse_design(batch)
    seeds: dict[int, int] = {}
    specs: list[RunSpec] = []
    for scenario in batch.scenarios:
        for point in range(len(design)):
            values = design.values(point)
            resolved = _apply(scenario, values)
            frozen = FrozenMap(values)
            for r in range(scenario.replicates):
                if r not in seeds:
                    seeds[r] = replicate_seed(batch.seed, r)
                specs.append(
                    RunSpec(
                        run_id=run_id(scenario.name, point, r),
                        scenario=resolved,
                        scenario_name=scenario.name,
                        replicate=r,
                        seed=seeds[r],
                        design_point=point,
                        values=frozen,
                    )
                )
    return specs


def design_table(batch: Batch, design: Design | None = None):
    """The design points as a pandas DataFrame: ``design_point`` and one column per name."""
    import pandas as pd

    design = design if design is not None else parse_design(batch)
    table = pd.DataFrame(list(design.points) if design.names else [()] * len(design))
    table.columns = list(design.names)
    table.insert(0, "design_point", range(len(design)))
    return table
