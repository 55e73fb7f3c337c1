"""Paired differences between scenarios, with percentile-bootstrap confidence intervals.

Paired differences use the batch's common random numbers: replicate *r* of a design point has
the same seed in every scenario, so run (scenario, point, r) is compared with run (reference,
point, r) and the luck of the draw cancels out. Confidence intervals are percentile bootstraps
over these pairs, drawn from NumPy generators with fixed seeds, so a report is reproducible.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from model.analysis.compare.names import (
    Results,
    _compared,
    _only_monthly,
    _only_summary,
    open_results,
)
from model.analysis.compare.tables import _summary, read_monthly
from model.files.errors import ConfigError
from model.simulation.outcomes import MONTHLY, SUMMARY

BOOTSTRAP_SEED = 20170401
"""Seed of every bootstrap (with the scenario and outcome names mixed in)."""

N_BOOT = 2000
"""Bootstrap resamples of the run-level differences."""

N_BOOT_MONTHLY = 500
"""Bootstrap resamples of each month's differences (a report has thousands of months)."""


def _rng(seed: int, *names: str) -> np.random.Generator:
    """A generator for one (scenario, outcome): the same draws whatever else is compared."""
    key = tuple(zlib.crc32(n.encode("utf-8")) for n in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


_STATS: dict[str, Callable[..., np.ndarray]] = {"mean": np.mean, "median": np.median}


def _bootstrap(
    x: np.ndarray,
    statistic: str,
    confidence: float,
    rng: np.random.Generator,
    n_boot: int = N_BOOT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Statistic of each row of ``x`` (rows x pairs) and its percentile bootstrap interval.

    Pairs (columns) are resampled with replacement, the same resamples for every row. With
    fewer than two pairs the interval is NaN.
    """
    stat = _STATS[statistic]
    x = np.atleast_2d(np.asarray(x, dtype=float))
    rows, n = x.shape
    est = stat(x, axis=1) if n else np.full(rows, np.nan)
    lo = np.full(rows, np.nan)
    hi = np.full(rows, np.nan)
    if n < 2:
        return est, lo, hi
    idx = rng.integers(0, n, size=(n_boot, n))
    alpha = (1.0 - confidence) / 2.0
    chunk = max(1, int(8_000_000 // (n_boot * n)))
    for start in range(0, rows, chunk):
        block = x[start : start + chunk][:, idx]  # rows x n_boot x n
        boot = stat(block, axis=2)
        lo[start : start + chunk], hi[start : start + chunk] = np.quantile(
            boot, [alpha, 1.0 - alpha], axis=1
        )
    return est, lo, hi


def _paired(
    frame: pd.DataFrame, columns: Sequence[str], scenario: str, reference: str, keys: list[str]
) -> pd.DataFrame:
    """Scenario minus reference, run by run (same design point and replicate)."""
    cur = frame.loc[frame["scenario"] == scenario, [*keys, *columns]].set_index(keys)
    ref = frame.loc[frame["scenario"] == reference, [*keys, *columns]].set_index(keys)
    cur, ref = cur.align(ref, join="inner")
    return cur.astype(float) - ref.astype(float)


def paired_differences(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    confidence: float = 0.95,
    n_boot: int = N_BOOT,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Run-level outcomes of each scenario minus the reference, paired by common random numbers.

    Run (scenario, design point, replicate r) is compared with (reference, design point, r).
    Pairs where either run has no value (e.g. months_to_defeat of a run never defeated) are left
    out; ``pairs`` counts those kept.

    Args:
        results: the batch (``BatchResults`` or its folder).
        reference: the scenario compared against (default: the batch's first).
        outcomes: numeric run-level outcomes (default: all of model.simulation.outcomes.SUMMARY
            but dates).
        scenarios: scenarios compared (default: all but the reference; include the reference to
            get its zero row).
        confidence: level of the bootstrap interval of the mean difference.
        n_boot: bootstrap resamples.
        seed: bootstrap seed.

    Returns:
        One row per scenario and outcome: ``scenario, reference, outcome, unit, higher_is,
        pairs, mean, ci_low, ci_high, median, p5, p95, reference_mean``. ``ci_low`` and
        ``ci_high`` bound the mean (the uncertainty from the number of runs); ``p5`` and
        ``p95`` bound the middle 90% of the paired differences themselves (how much the
        difference varies between runs: parameters and replicates).
    """
    res = open_results(results)
    ref, chosen = _compared(res, reference, scenarios)
    names = _only_summary(res, outcomes, chosen)
    frame = _summary(res, list(dict.fromkeys([ref, *chosen])))
    rows = []
    for scen in chosen:
        diffs = _paired(frame, names, scen, ref, ["design_point", "replicate"])
        ref_vals = frame.loc[frame["scenario"] == ref]
        for name in names:
            d = diffs[name].to_numpy()
            d = d[np.isfinite(d)]
            est, lo, hi = _bootstrap(
                d[None, :], "mean", confidence, _rng(seed, scen, ref, name), n_boot
            )
            rows.append(
                {
                    "scenario": scen,
                    "reference": ref,
                    "outcome": name,
                    "unit": SUMMARY[name].unit,
                    "higher_is": SUMMARY[name].higher_is,
                    "pairs": len(d),
                    "mean": est[0],
                    "ci_low": lo[0],
                    "ci_high": hi[0],
                    "median": float(np.median(d)) if len(d) else np.nan,
                    "p5": float(np.quantile(d, 0.05)) if len(d) else np.nan,
                    "p95": float(np.quantile(d, 0.95)) if len(d) else np.nan,
                    "reference_mean": float(ref_vals[name].astype(float).mean()),
                }
            )
    return pd.DataFrame(rows)


def monthly_differences(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    statistic: str = "median",
    confidence: float = 0.90,
    n_boot: int = N_BOOT_MONTHLY,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Monthly outcomes of each scenario minus the reference, month by month, paired by run.

    Args:
        results: the batch (``BatchResults`` or its folder).
        reference: the scenario compared against (default: the batch's first).
        outcomes: monthly outcomes (default: ``DEFAULT_OUTCOMES`` that the batch records).
        scenarios: scenarios compared (default: all but the reference).
        level: ``"national"``, ``"governorate"`` or ``"area"``.
        unit: the governorate or area (with those levels).
        statistic: ``"median"`` or ``"mean"`` of the paired differences.
        confidence: level of the bootstrap interval of that statistic.
        n_boot: bootstrap resamples.
        seed: bootstrap seed.

    Returns:
        One row per scenario, outcome and month: ``scenario, reference, outcome, unit, month,
        pairs, difference, ci_low, ci_high``.
    """
    if statistic not in _STATS:
        raise ConfigError(
            f"unknown statistic '{statistic}'", key="statistic", allowed="median, mean"
        )
    res = open_results(results)
    ref, chosen = _compared(res, reference, scenarios)
    both = list(dict.fromkeys([ref, *chosen]))
    monthly = _only_monthly(res, outcomes, both, level)
    frame = read_monthly(res, both, monthly, level, unit)
    out = []
    for scen in chosen:
        diffs = _paired(frame, monthly, scen, ref, ["design_point", "replicate", "month"])
        for name in monthly:
            wide = diffs[name].unstack(["design_point", "replicate"]).sort_index()
            wide = wide.dropna(axis=1, how="any")
            est, lo, hi = _bootstrap(
                wide.to_numpy(),
                statistic,
                confidence,
                _rng(seed, scen, ref, name, "monthly"),
                n_boot,
            )
            out.append(
                pd.DataFrame(
                    {
                        "scenario": scen,
                        "reference": ref,
                        "outcome": name,
                        "unit": MONTHLY[name].unit,
                        "month": wide.index,
                        "pairs": wide.shape[1],
                        "difference": est,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
            )
    if not out:
        return pd.DataFrame(
            columns=[
                "scenario",
                "reference",
                "outcome",
                "unit",
                "month",
                "pairs",
                "difference",
                "ci_low",
                "ci_high",
            ]
        )
    return pd.concat(out, ignore_index=True)
