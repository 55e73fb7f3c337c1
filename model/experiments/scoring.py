"""Scoring the model against targets: measure a target in one run's tables, evaluate targets
over many runs (median, 90% interval, error, pass or miss, loss) and sum them up.

Every measurement is taken from the model's tables (monthly table and run summary), the same
tables stored under runs/, so analysts can score stored results and bring their own targets.
No Mesa here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from model.files.months import month_index, month_str
from model.files.targets import Target
from model.simulation.outcomes import LEVELS

__all__ = ["LOSS_CAP", "evaluate", "measure", "prepare", "relapse_within", "score"]

LOSS_CAP = 25.0  # a target's squared, tolerance-scaled error counts at most this much


# ---------------------------------------------------------------------------- measurement
def _series(monthly: pd.DataFrame, level: str, unit: str, outcome: str) -> pd.Series:
    rows = monthly[(monthly["level"] == level) & (monthly["unit"] == unit)]
    return pd.Series(rows[outcome].to_numpy(dtype=float), index=rows["month"].dt.strftime("%Y-%m"))


def _stat(s: pd.Series, period: tuple[str, str], statistic: str) -> float:
    part = s[(s.index >= period[0]) & (s.index <= period[1])]
    if part.empty:
        return float("nan")
    return float({"mean": part.mean, "sum": part.sum, "last": lambda: part.iloc[-1]}[statistic]())


def relapse_within(battle_deaths_12m: np.ndarray, held_areas: np.ndarray, within: int,
                   threshold: float) -> float:  # fmt: skip
    """Whether a run relapsed to war within ``within`` months of the war's end: 1, 0, or NaN
    when it cannot be told.

    The war ends in the first month, from IS's territorial defeat on, with yearly battle-related
    deaths (``battle_deaths_12m``) below ``threshold``; a relapse is a later month with them at
    ``threshold`` or more (the UCDP war threshold that Collier et al. 2008 and Walter 2004 use
    for recurrence). NaN: never defeated, the war never ended, or no relapse and fewer than
    ``within`` months seen after the end (censored).
    """
    deaths = np.asarray(battle_deaths_12m, dtype=float)
    held = np.asarray(held_areas, dtype=float)
    defeat = next((t for t in range(len(held)) if held[t] == 0), None)
    if defeat is None:
        return float("nan")
    ended = next((t for t in range(defeat, len(deaths)) if deaths[t] < threshold), None)
    if ended is None:
        return float("nan")
    back = np.flatnonzero(deaths[ended + 1 :] >= threshold)
    if len(back) and back[0] + 1 <= within:
        return 1.0
    return 0.0 if len(deaths) - 1 - ended >= within else float("nan")


def measure(target: Target, monthly: pd.DataFrame, summary: pd.Series) -> float:
    """The model's value for one target in one run (an event as a month index; a base rate as
    1, 0 or NaN; NaN if absent)."""
    if target.kind == "base_rate":
        nat = monthly[monthly["level"] == "national"].sort_values("month")
        return relapse_within(
            nat["battle_deaths_12m"].to_numpy(),
            nat["is_held_areas"].to_numpy(),
            target.within,
            target.relapse_deaths,
        )
    if target.kind == "event":
        if target.event in ("defeat", "kirkuk_crisis"):  # dates of the run summary
            d = summary.get(f"{target.event}_month")
            return (
                float(month_index(pd.Timestamp(d).strftime("%Y-%m")))
                if pd.notna(d)
                else float("nan")
            )
        series = [_series(monthly, "area", a, "is_share") for a in target.area_ids]
        if not series or any(x.empty for x in series):
            return float("nan")
        shares = np.vstack([x.to_numpy() for x in series])
        if target.event == "retaken":
            inside = shares <= target.threshold
        else:
            inside = shares >= target.threshold
        flag = inside.any(axis=0) if target.match == "any" else inside.all(axis=0)
        # the first month the areas change hands in the wanted direction (a change in the very
        # first month cannot be seen in the tables: the state before it is not recorded)
        hits = np.flatnonzero(~flag[:-1] & flag[1:]) + 1
        return float(month_index(series[0].index[hits[0]])) if len(hits) else float("nan")
    s = (
        _series(monthly, target.level, target.unit, target.outcome)
        if target.kind != "rank"
        else None
    )
    if target.kind == "level":
        return _stat(s, target.period, target.statistic)
    if target.kind == "ratio":
        base = _stat(s, target.base_period, target.statistic)
        return _stat(s, target.period, target.statistic) / base if base else float("nan")
    # rank: Spearman correlation of the model's order with the observed order
    vals = [
        _stat(_series(monthly, target.level, u, target.outcome), target.period, target.statistic)
        for u in target.observed
    ]
    obs_rank = np.arange(len(vals))
    model_rank = pd.Series(vals).rank(ascending=False).to_numpy() - 1
    return (
        float(np.corrcoef(obs_rank, model_rank)[0, 1])
        if np.nanstd(model_rank) > 0
        else float("nan")
    )


def evaluate(
    targets: Sequence[Target], runs: Iterable[tuple[pd.DataFrame, pd.Series]]
) -> pd.DataFrame:
    """Score targets over runs: model median and 90% interval, error, pass or miss."""
    values = {t.id: [] for t in targets}
    for monthly, summary in runs:
        for t in targets:
            values[t.id].append(measure(t, monthly, summary))
    rows = []
    for t in targets:
        v = np.asarray(values[t.id], dtype=float)
        ok = v[~np.isnan(v)]
        missing = len(v) - len(ok)
        if t.kind == "base_rate":
            rows.append(_base_rate_row(t, ok, missing))
            continue
        med = float(np.median(v)) if missing * 2 <= len(v) and len(ok) else float("nan")
        lo, hi = np.quantile(ok, [0.05, 0.95]) if len(ok) else (np.nan, np.nan)
        if t.kind == "event":
            err = med - month_index(str(t.observed)) if not np.isnan(med) else float("nan")
            show = lambda x: month_str(x) if not np.isnan(x) else "never"  # noqa: E731
            observed, model, interval = str(t.observed), show(med), f"{show(lo)} .. {show(hi)}"
            passed = bool(abs(err) <= t.tolerance) if not np.isnan(err) else False
            unit = "months"
        elif t.kind == "rank":
            err = med - t.tolerance if not np.isnan(med) else float("nan")
            observed, model, interval = (
                " > ".join(t.observed),
                f"rho {med:.2f}",
                f"{lo:.2f} .. {hi:.2f}",
            )
            passed = bool(med >= t.tolerance) if not np.isnan(med) else False
            unit = "Spearman rho"
        else:
            err = med / float(t.observed) - 1 if not np.isnan(med) else float("nan")
            observed, model, interval = _num(t.observed), _num(med), f"{_num(lo)} .. {_num(hi)}"
            passed = bool(abs(err) <= t.tolerance) if not np.isnan(err) else False
            unit = "relative"
        scaled = (
            (err / t.tolerance if t.tolerance > 0 else (0.0 if err == 0 else np.inf))
            if not np.isnan(err)
            else np.inf
        )
        if t.kind == "rank":
            scaled = min(0.0, err) / max(1.0 - t.tolerance, 1e-9) if not np.isnan(err) else np.inf
        rows.append(dict(
            target=t.id, kind=t.kind, use=t.use, observed=observed, model_median=model, model_90=interval,
            error=err, error_unit=unit, tolerance=t.tolerance, passed=passed,
            loss=float(min(LOSS_CAP, scaled**2)), runs_without=missing, source=t.source,
            median_value=med, q05_value=lo, q95_value=hi,
        ))  # fmt: skip
    return pd.DataFrame(rows)


def _base_rate_row(t: Target, ok: np.ndarray, missing: int) -> dict:
    """A base rate's row: the share of the runs that can be told, its 95% Wilson interval,
    and whether it lies in the literature's range (widened by the tolerance)."""
    from scipy.stats import norm

    n, k = len(ok), int(ok.sum())
    share = k / n if n else float("nan")
    z = float(norm.ppf(0.975))
    if n:
        centre = (share + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    else:
        lo = hi = float("nan")
    low, high = t.observed
    err = 0.0 if low <= share <= high else (share - high if share > high else share - low)
    passed = bool(n) and low - t.tolerance <= share <= high + t.tolerance
    width = max(high - low, 1e-9)
    return dict(
        target=t.id, kind=t.kind, use=t.use, observed=f"{low:.0%}-{high:.0%}",
        model_median=f"{share:.0%}" if n else "n/a",
        model_90=f"{lo:.0%} .. {hi:.0%} (95% Wilson)" if n else "n/a", error=err if n else np.nan,
        error_unit="share", tolerance=t.tolerance, passed=passed,
        loss=float(min(LOSS_CAP, (err / width) ** 2)) if n else LOSS_CAP, runs_without=missing,
        source=t.source, median_value=share, q05_value=lo, q95_value=hi,
    )  # fmt: skip


def _num(x) -> str:
    x = float(x)
    if np.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def score(table: pd.DataFrame, use: str | None = None) -> dict[str, float]:
    """Share of targets passed and mean loss (over targets of one use, or all)."""
    t = table if use is None else table[table["use"] == use]
    return {
        "targets": int(len(t)),
        "passed": int(t["passed"].sum()),
        "score": float(t["passed"].mean()) if len(t) else float("nan"),
        "loss": float(t["loss"].mean()) if len(t) else float("nan"),
    }


# ---------------------------------------------------------------------------- setup
def prepare(scenario, targets: Sequence[Target], horizon: int | None = None):
    """The scenario set to record what the targets need (levels, and a long enough horizon)."""
    levels = set(scenario.levels) | {"national"}
    if any(t.needs_areas for t in targets):
        levels.add("area")
    if any(t.level == "governorate" for t in targets):
        levels.add("governorate")
    need = max(
        (month_index(t.last_month) - month_index(scenario.start) + 1 for t in targets),
        default=scenario.horizon,
    )
    h = horizon or max(scenario.horizon, need)
    return scenario.with_changes(levels=tuple(lv for lv in LEVELS if lv in levels), horizon=h)
