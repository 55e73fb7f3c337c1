"""Stored tables of a batch, read and summarised: monthly rows of one unit, run summaries,
monthly quantiles over runs and the summary table of run-level outcomes per scenario."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from model.analysis.compare.names import (
    DATE_UNIT,
    Results,
    _levels,
    _only_monthly,
    check_scenarios,
    open_results,
)
from model.experiments.results import BatchResults
from model.files.errors import ConfigError, suggest
from model.simulation.outcomes import SUMMARY

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_Q_NAMES = ("p5", "p25", "median", "p75", "p95")
_WILSON_Z = 1.959963984540054  # 95%


def read_monthly(
    res: BatchResults,
    scenarios: Sequence[str],
    columns: Sequence[str],
    level: str = "national",
    unit: str | None = None,
) -> pd.DataFrame:
    """Monthly rows of one unit, for the chosen scenarios; a clear error if there is nothing."""
    if level not in ("national", "governorate", "area"):
        raise ConfigError(
            f"unknown level '{level}'", key="level", allowed="national, governorate, area"
        )
    if level not in _levels(res, scenarios):
        raise ConfigError(
            f"the {level} level is not recorded by every chosen scenario",
            key="level",
            allowed=", ".join(sorted(_levels(res, scenarios))),
        )
    frame = _cached_monthly(res, level, scenarios, columns)
    if frame.empty:
        raise _no_runs(res, scenarios)
    if level == "national":
        if unit not in (None, "Iraq"):
            raise ConfigError(
                f"unit '{unit}' needs a level", key="unit", allowed="--level governorate or area"
            )
        return frame
    units = sorted(frame["unit"].unique())
    if unit is None:
        raise ConfigError(f"the {level} level needs a unit", key="unit", allowed=", ".join(units))
    if unit not in units:
        raise ConfigError(
            f"no {level} '{unit}' in this batch",
            key="unit",
            allowed=", ".join(units),
            suggestion=suggest(unit, units),
        )
    return frame[frame["unit"] == unit].reset_index(drop=True)


_CACHE = "_compare_cache"


def _cache(res: BatchResults) -> dict:
    """Tables already read from this batch, valid while its done runs stay the same (a report
    reads the same tables for many figures)."""
    status = res.path / "status.jsonl"  # grows with every run recorded: a cheap validity key
    key = (status.stat().st_size, status.stat().st_mtime_ns) if status.exists() else None
    cache = getattr(res, _CACHE, None)
    if cache is None or cache.get("key") != key:
        cache = {"key": key}
        setattr(res, _CACHE, cache)
    return cache


def prime_monthly(res: BatchResults, scenarios: Sequence[str], columns: Sequence[str],
                  level: str = "national") -> None:  # fmt: skip
    """Read the monthly columns a report needs at once (later reads of fewer columns or
    scenarios are taken from them)."""
    _cached_monthly(res, level, scenarios, columns)


def _cached_monthly(
    res: BatchResults, level: str, scenarios: Sequence[str], columns: Sequence[str]
) -> pd.DataFrame:
    cache = _cache(res)
    for (lv, scen, cols), frame in cache.get("monthly", {}).items():
        if lv == level and set(scenarios) <= set(scen) and set(columns) <= set(cols):
            keep = [c for c in frame.columns if c not in cols or c in columns]
            part = frame[frame["scenario"].isin(scenarios)]
            return part[keep].reset_index(drop=True)
    frame = res.monthly(level=level, scenarios=scenarios, columns=list(columns))
    cache.setdefault("monthly", {})[(level, tuple(scenarios), tuple(columns))] = frame
    return frame


def read_summary(res: BatchResults, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """The run summaries of the done runs (``BatchResults.summary``), also when the parts
    disagree on the unit of a date column.

    A date column in which every value is missing may be stored as ``timestamp[ms]`` in one
    part and ``timestamp[us]`` in another, which ``pyarrow`` refuses to unify; the parts are
    then read one by one and pandas unifies the units.
    """
    cache = _cache(res)
    if "summary" not in cache:
        cache["summary"] = _read_summary(res)
    frame = cache["summary"]
    if scenarios is None:
        return frame.copy()
    return frame[frame["scenario"].isin(list(scenarios))].reset_index(drop=True)


def _read_summary(res: BatchResults, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    import pyarrow as pa

    try:
        return res.summary(scenarios=scenarios)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        files = res.files("summary", scenarios)
        frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        order = frame["scenario"].map({s: i for i, s in enumerate(res.scenarios)})
        frame = frame.assign(_order=order).sort_values(
            ["_order", "design_point", "replicate"], kind="stable"
        )
        return frame.drop(columns="_order").reset_index(drop=True)


def _summary(res: BatchResults, scenarios: Sequence[str]) -> pd.DataFrame:
    frame = read_summary(res, scenarios)
    if frame.empty:
        raise _no_runs(res, scenarios)
    return frame


def _no_runs(res: BatchResults, scenarios: Sequence[str]) -> ConfigError:
    return ConfigError(
        f"batch {res.manifest.get('batch_id')} has no finished runs for {', '.join(scenarios)} yet",
        allowed="a batch with done runs (see `stabsim status`)",
    )


def monthly_quantiles(
    results: Results,
    outcome: str,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Median and 50%/90% bands of a monthly outcome over the runs of each scenario.

    Runs of every design point are pooled.

    Returns:
        One row per scenario and month: ``scenario, month, runs, p5, p25, median, p75, p95``.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    _only_monthly(res, [outcome], chosen, level)
    if frame is None:
        frame = read_monthly(res, chosen, [outcome], level, unit)
    frame = frame[frame["scenario"].isin(chosen)]
    grouped = frame.groupby(["scenario", "month"], sort=False)[outcome]
    q = grouped.quantile(list(_QUANTILES)).unstack()
    q.columns = list(_Q_NAMES)
    q.insert(0, "runs", grouped.count())
    q = q.reset_index()
    q["_order"] = q["scenario"].map({s: i for i, s in enumerate(chosen)})
    q = q.sort_values(["_order", "month"], kind="stable").drop(columns="_order")
    return q.reset_index(drop=True)


def _months(values: pd.Series) -> np.ndarray:
    """Dates as month numbers (year * 12 + month - 1); missing dates as +inf (never)."""
    dt = pd.to_datetime(values)
    out = (dt.dt.year * 12 + dt.dt.month - 1).to_numpy(dtype=float, na_value=np.inf)
    return out


def _month_date(x: float) -> pd.Timestamp:
    if not np.isfinite(x):
        return pd.NaT
    m = int(np.floor(x + 0.5))
    return pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1)


def _quantiles_never(x: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Quantiles where +inf means "never within the horizon" (a quantile past it is NaN)."""
    if len(x) == 0:
        return [np.nan] * len(qs)
    with np.errstate(invalid="ignore"):
        vals = np.quantile(x, qs)
    return [float(v) if np.isfinite(v) else np.nan for v in vals]


def wilson(successes: int, n: int, z: float = _WILSON_Z) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default); NaN for n = 0."""
    if n == 0:
        return np.nan, np.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def summary_table(results: Results, scenarios: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Run-level outcomes per scenario: median and 5-95% range, and event probabilities.

    For every numeric outcome of model.simulation.outcomes.SUMMARY: ``<name>_median``,
    ``<name>_p5``, ``<name>_p95``. For resurgence: ``resurgence_probability`` with its 95% Wilson interval
    (``resurgence_low``, ``resurgence_high``). For the dated events (territorial defeat,
    resurgence, Kirkuk crisis): the share of runs where it happened (``<name>_share``) and the
    median and 5-95% range of its month, counting runs without it as "later than the horizon"
    (a quantile that falls among those is NaT/NaN: "never"). ``months_to_defeat`` likewise.

    Returns:
        One row per scenario (index ``scenario``), starting with ``runs``.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    frame = _summary(res, chosen)
    rows = []
    for scen in chosen:
        part = frame[frame["scenario"] == scen]
        row: dict[str, object] = {"scenario": scen, "runs": len(part)}
        for o in SUMMARY.values():
            if o.name not in part.columns:
                continue
            col = part[o.name]
            if o.name == "resurgence":
                k = int((col.astype(float) == 1).sum())
                n = int(col.notna().sum())
                low, high = wilson(k, n)
                row["resurgence_probability"] = k / n if n else np.nan
                row["resurgence_low"], row["resurgence_high"] = low, high
                continue
            if o.unit == DATE_UNIT:
                x = _months(col)
                row[f"{o.name}_share"] = float(np.isfinite(x).mean()) if len(x) else np.nan
                qs = _quantiles_never(x, (0.5, 0.05, 0.95))
                for suffix, v in zip(("median", "p5", "p95"), qs, strict=True):
                    row[f"{o.name}_{suffix}"] = _month_date(v)
                continue
            x = col.astype(float).to_numpy()
            if o.name == "months_to_defeat":
                x = np.where(np.isnan(x), np.inf, x)
            else:
                x = x[np.isfinite(x)]
            qs = _quantiles_never(x, (0.5, 0.05, 0.95))
            for suffix, v in zip(("median", "p5", "p95"), qs, strict=True):
                row[f"{o.name}_{suffix}"] = v
        rows.append(row)
    return pd.DataFrame(rows).set_index("scenario")
