"""Parameter ensembles: the draws of a batch's ``uncertainty:`` (``model.files.uncertainty``).

Each draw is one set of values of the uncertain parameters (independently drawn parameters, the
rows of a calibration's posterior, the lever-schedule variables). Every scenario of a batch gets
the same draws (paired, like the replicates' common random numbers): run *k* of draw *d* has the
same parameter values and the same seed in every scenario and design point. The draws come from
a Latin hypercube seeded from the master seed (or ``uncertainty.seed``) alone, so they are
reproducible and do not depend on the executor; the batch's manifest records them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.files.errors import ConfigError, Problem, suggest
from model.files.frozen import FrozenMap, freeze, thaw
from model.files.steps import Step, apply_steps, step_dims
from model.files.uncertainty import Distribution, posterior_table, read_uncertainty
from model.simulation.parameters import REGISTRY

__all__ = [
    "ENSEMBLE_KEY",
    "Ensemble",
    "batch_uncertainty",
    "draw_ensemble",
    "ensemble_for",
    "with_draws",
]

ENSEMBLE_KEY = 0x656E73
"""Spawn key of the draws' random stream (replicate seeds use one-element keys)."""


@dataclass(frozen=True)
class Ensemble:
    """The parameter draws of a batch.

    Attributes:
        names: the drawn dimensions: parameters, then the varied parts of lever-schedule
            variables (``<variable>_from`` as month numbers, ``<variable>_<lever>``).
        values: one tuple of values (in ``names`` order) per draw.
        kinds: per name, ``"parameter"``, ``"posterior"`` or ``"schedule"``.
        bounds: per name, the range it is drawn from.
        distributions: per parameter drawn on its own, its distribution (plain data).
        steps: the lever-schedule variables.
        seed: the seed of the draws.
        posterior: the posterior table the joint rows come from, or None.
        written: the ``uncertainty:`` mapping as checked.
        screen: the history matching the draws passed (``model.experiments.screening``):
            targets, share, candidates tried and kept; empty if not screened.
    """

    names: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    kinds: Mapping[str, str] = field(default_factory=FrozenMap)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=FrozenMap)
    distributions: Mapping[str, Mapping[str, Any]] = field(default_factory=FrozenMap)
    steps: Mapping[str, Step] = field(default_factory=FrozenMap)
    seed: int = 0
    posterior: str | None = None
    written: Mapping[str, Any] = field(default_factory=FrozenMap)
    screen: Mapping[str, Any] = field(default_factory=FrozenMap)

    def __len__(self) -> int:
        return len(self.values)

    def draw(self, d: int) -> dict[str, float]:
        """The values of draw ``d``, by name."""
        return dict(zip(self.names, self.values[d], strict=True))

    def apply(self, scenario: Any, d: int) -> Any:
        """The scenario with draw ``d`` applied: its parameters, and the lever-schedule
        variables that apply to it. A parameter the scenario sets itself keeps its value."""
        values = self.draw(d)
        params = {
            n: (int(round(v)) if REGISTRY[n].integer else float(v))
            for n, v in values.items()
            if self.kinds[n] != "schedule" and n not in scenario.parameters
        }
        out = scenario
        if params:
            merged = {**scenario.parameters, **params}
            out = dataclasses.replace(scenario, parameters=FrozenMap(merged))
        return apply_steps(out, self.steps, values)

    def describe(self, screen: bool = True) -> str:
        """One line, e.g. ``40 draws of 135 parameters and 2 schedule variables`` (with how the
        draws were screened unless ``screen`` is False)."""
        n_par = sum(k != "schedule" for k in self.kinds.values())
        text = f"{len(self)} draws of {n_par} parameters"
        if self.steps:
            text += f" and {len(self.steps)} schedule variable{'s' if len(self.steps) > 1 else ''}"
        text += " (calibration posterior included)" if self.posterior else ""
        return text + (f", {self.screen_text()}" if screen and self.screen else "")

    def screen_text(self) -> str:
        """How the draws were screened against the record ('' if they were not)."""
        if not self.screen:
            return ""
        sc = self.screen
        return (
            f"kept from {sc['tried']} candidates for reproducing at least {sc['least_passed']} "
            f"of the {len(sc['targets'])} calibration targets of {sc['start']}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The ensemble as plain data (for the manifest: every draw's values)."""
        return {
            "draws": len(self),
            "seed": self.seed,
            "names": list(self.names),
            "kinds": dict(self.kinds),
            "bounds": {n: list(b) for n, b in self.bounds.items()},
            "distributions": thaw(self.distributions),
            "schedules": {n: s.to_dict() for n, s in self.steps.items()},
            "posterior": self.posterior,
            "values": [list(v) for v in self.values],
            "screen": thaw(self.screen) or None,
        }


def in_file(exc: ConfigError, path: str | None) -> ConfigError:
    """A mistake found after loading (no file named) placed at its key's line in the file it
    was read from, when that file is still there."""
    if exc.file is not None or not path or not os.path.isfile(path):
        return exc
    from model.files.yaml_reader import error_at, read, relative_display

    display = relative_display(path)
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", exc.key or "")]
    try:
        tree = read(path, display)
    except ConfigError:  # changed since: the file is named, without a line
        exc.file = display
        return exc
    problem = Problem(exc.message, allowed=exc.allowed, suggestion=exc.suggestion)
    return error_at(tree, parts, problem)


def batch_uncertainty(batch: Any) -> Mapping[str, Any] | None:
    """The ``uncertainty:`` a batch runs under: the batch's own, else the one its scenarios
    all declare (None if none does).

    Raises:
        ConfigError: the scenarios declare different ensembles (the draws are shared across
            the scenarios of a batch, so there can be only one).
    """
    if batch.uncertainty is not None:
        return batch.uncertainty
    declared = {s.name: s.uncertainty for s in batch.scenarios}
    kinds = {freeze(thaw(u)) for u in declared.values()}
    if len(kinds) > 1:
        some = [n for n, u in declared.items() if u is not None]
        raise ConfigError(
            "the scenarios of a batch share one parameter ensemble, but "
            f"{', '.join(some)} declare{'s' if len(some) == 1 else ''} different ones",
            key="uncertainty",
            allowed="one uncertainty: in the batch file (it applies to every scenario)",
        )
    return next(iter(declared.values()), None)


def with_draws(batch: Any, draws: int | None) -> Any:
    """The batch with its number of draws replaced (0: no ensemble; a batch without one gets
    the default uncertain set)."""
    if draws is None:
        return batch
    current = batch_uncertainty(batch)
    scenarios = tuple(
        dataclasses.replace(s, uncertainty=None) if s.uncertainty is not None else s
        for s in batch.scenarios
    )
    new = None if draws == 0 else {**thaw(current or {}), "draws": int(draws)}
    return dataclasses.replace(batch, scenarios=scenarios, uncertainty=new)


def ensemble_for(batch: Any) -> Ensemble | None:
    """The draws of a batch as drawn (None without ``uncertainty:``), before any screening
    against the record (``model.experiments.screening.screened_ensemble`` keeps those that
    reproduce it: batches run those).

    Raises:
        ConfigError: different ensembles in the scenarios, or a schedule variable scoped to a
            scenario the batch does not have.
    """
    try:
        written = batch_uncertainty(batch)
        if written is None:
            return None
        spec = read_uncertainty(written)
        names = [s.name for s in batch.scenarios]
        for step in spec.steps.values():
            for scen in step.scenarios or ():
                if scen not in names:
                    raise ConfigError(
                        f"schedule variable {step.name!r} names scenario {scen!r}, "
                        "not in the batch",
                        key=f"uncertainty.schedules.{step.name}.scenarios",
                        allowed=", ".join(names),
                        suggestion=suggest(scen, names),
                    )
    except ConfigError as exc:
        raise in_file(exc, batch.path) from None
    seed = spec.seed if spec.seed is not None else int(batch.seed)
    return draw_ensemble(spec.distributions, spec.draws, seed, spec.posterior, spec.steps, written)


def draw_ensemble(
    distributions: Mapping[str, Distribution],
    draws: int,
    seed: int,
    posterior: str | None = None,
    steps: Mapping[str, Step] | None = None,
    written: Mapping[str, Any] | None = None,
) -> Ensemble:
    """Draw ``draws`` parameter sets: a Latin hypercube over the distributions and the
    schedule variables, and posterior rows drawn with replacement.

    The same arguments always give the same draws.
    """
    from scipy.stats import qmc

    steps = steps or FrozenMap()
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(ENSEMBLE_KEY, 0)))
    dims = step_dims(steps)
    k = len(distributions) + len(dims)
    unit = qmc.LatinHypercube(d=k, seed=rng).random(draws) if k else np.zeros((draws, 0))
    columns: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for j, (name, dist) in enumerate(distributions.items()):
        columns[name] = _transform(unit[:, j], dist, REGISTRY[name].integer)
        kinds[name], bounds[name] = "parameter", (dist.low, dist.high)
    if posterior is not None:  # drawn after the hypercube, from the same stream
        post_names, rows = _posterior_rows(posterior)
        pick = rng.integers(0, len(rows), size=draws)
        for j, name in enumerate(post_names):
            columns[name] = rows[pick, j]
            kinds[name] = "posterior"
            bounds[name] = (float(rows[:, j].min()), float(rows[:, j].max()))
    for j, (dim, what, (low, high)) in enumerate(dims, start=len(distributions)):
        u = unit[:, j]
        if what == "month":  # whole months, each equally likely
            x = np.minimum(np.floor(low + u * (high - low + 1)), high)
        else:
            x = low + u * (high - low)
            x = np.clip(np.round(x), low, high) if REGISTRY[what].integer else x
        columns[dim] = x
        kinds[dim], bounds[dim] = "schedule", (low, high)
    names = tuple(columns)
    table = np.column_stack([columns[n] for n in names]) if names else np.zeros((draws, 0))
    values = tuple(tuple(float(v) for v in row) for row in table)
    return Ensemble(
        names,
        values,
        FrozenMap(kinds),
        FrozenMap(bounds),
        freeze({n: d.to_dict() for n, d in distributions.items()}),
        FrozenMap(steps),
        int(seed),
        posterior,
        freeze(thaw(written or {})),
    )


def _transform(u: np.ndarray, dist: Distribution, integer: bool) -> np.ndarray:
    """Uniform [0, 1) numbers -> the distribution (inverse CDF); whole numbers rounded."""
    lo, hi = dist.low, dist.high
    if dist.kind == "loguniform":
        x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    elif dist.kind == "triangular":
        from scipy.stats import triang

        mode = dist.mode if dist.mode is not None else (lo + hi) / 2
        x = triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    else:
        x = lo + u * (hi - lo)
    return np.clip(np.round(x), np.ceil(lo), np.floor(hi)) if integer else x


def _posterior_rows(path: str) -> tuple[list[str], np.ndarray]:
    """The parameter columns of a posterior table and its rows (accepted ones if marked),
    checked again: the file may have changed since the batch file was read."""
    try:
        return posterior_table(path)
    except Problem as exc:
        raise ConfigError(exc.message, key="uncertainty.posterior", allowed=exc.allowed) from None
