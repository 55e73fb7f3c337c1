"""Lever-response curves: run outcomes against one lever's level, with common random numbers.

A sweep sets one lever to a constant at each of several levels (all other inputs as in the
scenario) and runs the same replicate seeds at every level, so the differences between levels
are paired. ``jumps`` finds the steps between neighbouring levels that move an outcome's mean
by more than a stated bound: the check behind ``tests/test_lever_response.py`` that no outcome
jumps between two nearby lever values unless docs/ODD.md documents the threshold
(``model.simulation.effects.THRESHOLDS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.experiments.executors import map_runs
from model.experiments.run import replicate_seed
from model.simulation.parameters import REGISTRY

DEFAULT_OUTCOMES: tuple[str, ...] = (
    "cumulative_deaths",
    "cumulative_battle_deaths",
    "mean_incidents_last24",
    "mean_stability_last24",
    "is_fighters_final",
    "idps_final",
    "months_to_defeat",
    "resurgence",
)


def levels(lever: str, steps: int = 20) -> np.ndarray:
    """``steps + 1`` evenly spaced levels over the lever's registry range (whole numbers for
    whole-number levers)."""
    p = REGISTRY[lever]
    values = np.linspace(p.low, p.high, steps + 1)
    return np.round(values) if p.integer else values


def sweep(
    scenario,
    lever: str,
    values: Sequence[float],
    replicates: int,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    workers: int = 1,
    progress: bool = False,
    pulse: str | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` with ``lever`` held at each of ``values`` for the whole horizon.

    Replicate r uses ``replicate_seed(scenario.seed, r)`` at every level (common random
    numbers). With ``pulse`` (a month "YYYY-MM"), the lever takes the value in that month only
    and 0 otherwise (an event such as the referendum). Returns one row per (level, replicate):
    ``lever``, ``level``, ``replicate`` and the run-summary ``outcomes``.
    """
    jobs, keys = [], []
    for value in values:
        if pulse is None:
            setting: object = float(value)
        else:
            after = f"{int(pulse[:4]) + (int(pulse[5:7]) // 12)}-{int(pulse[5:7]) % 12 + 1:02d}"
            setting = {scenario.start: 0.0, pulse: float(value), after: 0.0}
        changed = scenario.with_changes(levers={lever: setting})
        for r in range(replicates):
            jobs.append((changed, replicate_seed(scenario.seed, r)))
            keys.append((float(value), r))
    rows = []
    for (value, r), (_, summary) in zip(
        keys, map_runs(jobs, workers=workers, progress=progress, desc=lever), strict=True
    ):
        row = {"lever": lever, "level": value, "replicate": r}
        row.update({o: float(summary[o].iloc[0]) for o in outcomes})
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Jump:
    """A step between neighbouring levels larger than the bound."""

    lever: str
    outcome: str
    low: float
    high: float
    change: float
    bound: float


def jumps(
    table: pd.DataFrame,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    share: float = 0.25,
    ratio: float = 2.5,
    floors: dict[str, float] | None = None,
    noise: float = 3.0,
) -> list[Jump]:
    """Steps between neighbouring levels where an outcome's mean over replicates jumps.

    A step is a jump when it is both *large* and *isolated*:

    - large: it moves the mean by more than the largest of ``share`` of the range the mean
      covers over the whole sweep, a floor (``floors[outcome]``, else 5% of the outcome's mean
      magnitude) and ``noise`` standard errors of the step's paired (common random numbers)
      differences, so replicate noise is not taken for a jump;
    - isolated: it is more than ``ratio`` times the larger of its neighbouring steps, so a
      steep but smooth stretch of a response (several similar steps) is not a jump while a
      step function (one big step between flat ones) is.

    Runs where an outcome is undefined (NaN, e.g. no territorial defeat) count at the
    outcome's largest value.
    """
    floors = floors or {}
    out = []
    lever = str(table["lever"].iloc[0])
    for o in outcomes:
        wide = table.pivot(index="replicate", columns="level", values=o).sort_index(axis=1)
        top = np.nanmax(wide.to_numpy()) if wide.notna().any().any() else 0.0
        wide = wide.fillna(top)
        lv = wide.columns.to_numpy(dtype=float)
        y = wide.mean(axis=0).to_numpy(dtype=float)
        span = float(y.max() - y.min())
        floor = floors.get(o, 0.05 * float(np.abs(y).mean()))
        diffs = np.diff(wide.to_numpy(dtype=float), axis=1)
        n = len(wide)
        se = diffs.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(len(lv) - 1)
        steps = np.diff(y)
        for k, step in enumerate(steps):
            near = [abs(steps[j]) for j in (k - 1, k + 1) if 0 <= j < len(steps)]
            large = abs(step) > max(share * span, floor, noise * float(se[k]))
            isolated = abs(step) > ratio * max(near, default=0.0)
            if large and isolated:
                bound = max(
                    share * span, floor, noise * float(se[k]), ratio * max(near, default=0.0)
                )
                out.append(Jump(lever, o, float(lv[k]), float(lv[k + 1]), float(step), bound))
    return out


def confirm(
    scenario,
    jump: Jump,
    replicates: int,
    points: int = 5,
    share: float = 0.6,
    noise: float = 3.0,
    workers: int = 1,
    pulse: str | None = None,
) -> bool:
    """Whether a flagged step is a discontinuity when looked at more closely.

    The interval between the step's two levels is swept again at ``points`` levels, with more
    replicates; the step is a discontinuity if one of the finer sub-steps still carries more
    than ``share`` of the change and stands ``noise`` standard errors clear of zero. A steep
    but smooth response spreads its change over the sub-steps; a step function does not.
    """
    values = np.linspace(jump.low, jump.high, points)
    if REGISTRY[jump.lever].integer:
        values = np.unique(np.round(values))
    table = sweep(
        scenario, jump.lever, values, replicates, (jump.outcome,), workers=workers, pulse=pulse
    )
    wide = table.pivot(index="replicate", columns="level", values=jump.outcome).sort_index(axis=1)
    wide = wide.fillna(np.nanmax(wide.to_numpy()) if wide.notna().any().any() else 0.0)
    total = float(wide.iloc[:, -1].mean() - wide.iloc[:, 0].mean())
    if total == 0:
        return False
    diffs = np.diff(wide.to_numpy(dtype=float), axis=1)
    mean = diffs.mean(axis=0)
    se = diffs.std(axis=0, ddof=1) / np.sqrt(len(wide)) if len(wide) > 1 else np.zeros(len(mean))
    biggest = int(np.argmax(np.abs(mean)))
    return bool(
        abs(mean[biggest]) > share * abs(total) and abs(mean[biggest]) > noise * se[biggest]
    )
