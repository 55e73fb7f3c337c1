"""Batch designs: a batch file -> the list of runs to make (scenarios x design points x replicates).

A batch lists scenarios, a number of replicates and a master seed, and optionally a ``design:``
that varies levers and parameters over a grid or a sample drawn with SALib (its format and checks:
``model.files.design``; here the points are drawn). Every design point overrides, in every scenario, the levers and parameters it names (a lever
becomes a constant for the whole horizon). Replicate r of every scenario and design point gets
the same seed, ``model.experiments.run.replicate_seed(batch.seed, r)``: common random numbers.
The format is documented in ``docs/batches.md``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from model.files.batch import Batch
from model.files.design import (
    DesignSpec,
    read_design,
)
from model.files.errors import ConfigError
from model.files.frozen import FrozenMap
from model.files.scenario import Scenario
from model.files.steps import Step, apply_steps
from model.simulation.parameters import REGISTRY

if TYPE_CHECKING:
    from model.experiments.ensemble import Ensemble

__all__ = [
    "Design",
    "RunSpec",
    "design_table",
    "expand",
    "parse_design",
    "part_name",
    "run_id",
]


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
        draw: the parameter draw of the batch's ensemble (None without one); replicate r of
            draw d is run ``d * replicates + r`` (the ``replicate`` field holds that number).
        drawn: the draw's values (empty without an ensemble).
    """

    run_id: str
    scenario: Scenario
    scenario_name: str
    replicate: int
    seed: int
    design_point: int = 0
    values: Mapping[str, float] = field(default_factory=FrozenMap)
    draw: int | None = None
    drawn: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", FrozenMap(self.values))
        object.__setattr__(self, "drawn", FrozenMap(self.drawn))

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
        steps: the lever-schedule variables whose varied parts are among ``names``.
    """

    kind: str
    names: tuple[str, ...] = ()
    points: tuple[tuple[float, ...], ...] = ((),)
    bounds: tuple[tuple[float, float], ...] = ()
    n: int | None = None
    seed: int | None = None
    options: Mapping[str, Any] = field(default_factory=FrozenMap)
    steps: Mapping[str, Step] = field(default_factory=FrozenMap)

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
            "kinds": {n: REGISTRY[n].kind if n in REGISTRY else "schedule" for n in self.names},
            "bounds": [list(b) for b in self.bounds],
            "n": self.n,
            "seed": self.seed,
            "options": dict(self.options),
            "points": len(self.points),
            "values": [list(p) for p in self.points] if self.names else [],
            "schedules": {n: s.to_dict() for n, s in self.steps.items()},
        }

    def describe(self) -> str:
        """One line, e.g. ``sobol over us_troops, arrest_k: 384 points (N=64)``."""
        if not self.names:
            return "no design (1 point)"
        what = f"{self.kind} over {', '.join(self.names)}: {len(self.points)} points"
        return what + (f" (N={self.n})" if self.n is not None else "")


# ---- drawing the points -----------------------------------------------------------------------


def parse_design(batch: Batch) -> Design:
    """Check a batch's ``design:`` mapping (``model.files.design``) and draw its points.

    Args:
        batch: a loaded batch; ``batch.design`` is the mapping as written, or None.

    Returns:
        The design; ``kind == "none"`` with a single empty point when the batch has none.

    Raises:
        ConfigError: one line naming the batch file, line, key, what is allowed and, for a
            misspelt name, the closest valid one.
    """
    spec = read_design(batch)
    if spec is None:
        return Design("none")
    names = spec.names
    values = [value for _, _, value in spec.entries()]
    steps = FrozenMap(spec.steps)
    if spec.kind == "grid":
        points = tuple(itertools.product(*values))
        bounds = tuple((min(a), max(a)) for a in values)
        return Design("grid", names, points, bounds, steps=steps)
    return dataclasses.replace(_sample(spec, names, tuple(values), batch.seed), steps=steps)


def _sample(
    spec: DesignSpec,
    names: tuple[str, ...],
    bounds: tuple[tuple[float, float], ...],
    master_seed: int,
) -> Design:
    import numpy as np
    from SALib.sample import latin, morris, sobol

    seed = spec.seed if spec.seed is not None else master_seed
    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    options: dict[str, Any] = {}
    if spec.kind == "lhs":
        x = latin.sample(problem, spec.n, seed=seed)
    elif spec.kind == "sobol":
        options["second_order"] = spec.second_order
        x = sobol.sample(problem, spec.n, calc_second_order=spec.second_order, seed=seed)
    else:
        options["levels"] = spec.levels
        x = morris.sample(problem, spec.n, num_levels=options["levels"], seed=seed)
    integer = np.array([_integer(name, spec.steps) for name in names])
    lows = np.array([b[0] for b in bounds])
    highs = np.array([b[1] for b in bounds])
    # Whole-number entries (troops, operations) are rounded; the clip keeps rounding in range.
    x = np.where(integer, np.clip(np.round(x), np.ceil(lows), np.floor(highs)), x)
    points = tuple(tuple(float(v) for v in row) for row in x)
    return Design(spec.kind, names, points, bounds, spec.n, seed, FrozenMap(options))


def _integer(name: str, steps: Mapping[str, Step]) -> bool:
    """Whether a varied name takes whole numbers (months of schedule variables do)."""
    if name in REGISTRY:
        return REGISTRY[name].integer
    for _, dim, what in ((s, d, w) for s in steps.values() for d, w, _ in s.dims()):
        if dim == name:
            return what == "month" or REGISTRY[what].integer
    return False


# ---- expansion --------------------------------------------------------------------------------


def _apply(
    scenario: Scenario, values: Mapping[str, float], steps: Mapping[str, Step] | None = None
) -> Scenario:
    """The scenario with a design point's values (levers as constants, schedule variables as
    steps) applied."""
    if not values:
        return scenario
    named = {k: v for k, v in values.items() if k in REGISTRY}
    levers = {k: _as_registry(k, v) for k, v in named.items() if REGISTRY[k].is_schedulable}
    params = {k: _as_registry(k, v) for k, v in named.items() if not REGISTRY[k].is_schedulable}
    changes: dict[str, Any] = {}
    if levers:
        changes["levers"] = levers
    if params:
        changes["parameters"] = params
    out = scenario.with_changes(**changes) if changes else scenario
    return apply_steps(out, steps or {}, values)


def _as_registry(name: str, value: float) -> float | int:
    return int(round(value)) if REGISTRY[name].integer else float(value)


def check_overlap(batch: Batch, design: Design, ensemble: Any) -> None:
    """ConfigError (at the batch file's ``uncertainty:``) if a name is both varied by the design
    and drawn by the ensemble."""
    from model.experiments.ensemble import in_file

    overlap = set(design.names) & set(ensemble.names if ensemble is not None else ())
    if overlap:
        problem = ConfigError(
            f"{sorted(overlap)[0]} is both varied by the design and drawn by the ensemble",
            key="uncertainty",
            allowed="each name in one of design: and uncertainty:",
        )
        raise in_file(problem, batch.path)


def expand(
    batch: Batch, design: Design | None = None, ensemble: Ensemble | None = None
) -> list[RunSpec]:
    """The runs of a batch: every scenario x design point x draw x replicate, in a stable order.

    Args:
        batch: a loaded batch (replicates already resolved per scenario).
        design: the batch's parsed design (parsed from ``batch.design`` if not given).
        ensemble: the batch's parameter draws (drawn from its ``uncertainty:`` if not given).

    Returns:
        Run specs ordered by scenario (file order), design point, then run number. Without an
        ensemble run r is replicate r; with one, run ``d * replicates + r`` is replicate r of
        draw d. Run k has the same seed (and draw) in every scenario and design point.
        Expanding the same batch again gives equal specs with the same run ids and seeds.

    Raises:
        ConfigError: if the design or the uncertainty is not valid.
    """
    from model.experiments.ensemble import ensemble_for
    from model.experiments.run import replicate_seed

    design = design if design is not None else parse_design(batch)
    if ensemble is None:
        ensemble = ensemble_for(batch)
    draws = range(len(ensemble)) if ensemble is not None else [None]
    check_overlap(batch, design, ensemble)
    seeds: dict[int, int] = {}
    specs: list[RunSpec] = []
    for scenario in batch.scenarios:
        for point in range(len(design)):
            values = design.values(point)
            resolved = _apply(scenario, values, design.steps)
            frozen = FrozenMap(values)
            for d in draws:
                drawn = resolved if d is None else ensemble.apply(resolved, d)
                drawn_values = FrozenMap(ensemble.draw(d)) if d is not None else FrozenMap()
                for r in range(scenario.replicates):
                    k = r if d is None else d * scenario.replicates + r
                    if k not in seeds:
                        seeds[k] = replicate_seed(batch.seed, k)
                    specs.append(
                        RunSpec(
                            run_id=run_id(scenario.name, point, k),
                            scenario=drawn,
                            scenario_name=scenario.name,
                            replicate=k,
                            seed=seeds[k],
                            design_point=point,
                            values=frozen,
                            draw=d,
                            drawn=drawn_values,
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
