"""Survival curves of the time to relapse, per scenario: the Kaplan-Meier estimate of the share
of runs still without a relapse, months after the war ended (or after the territorial defeat,
if the war never ended).

A run's time at risk is ``months_at_risk`` of its summary; the event is ``resurgence`` (IS
retakes a governed area, or yearly battle-related deaths come back to war level); a run that
never relapses is censored at the horizon. Runs never defeated are never at risk and are left
out. The band is the pointwise 95% confidence interval of the estimate (Greenwood's variance
on the log(-log) scale): the uncertainty from the number of runs, which span parameters and
replicates alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from model.analysis.compare.names import Results, check_scenarios, open_results
from model.analysis.compare.style import _styles
from model.analysis.compare.tables import _summary
from model.analysis.compare.variance import ensemble_shape

__all__ = ["kaplan_meier", "survival_chart", "survival_table"]

_Z = 1.959963984540054


def kaplan_meier(durations: Sequence[float], events: Sequence[bool]) -> pd.DataFrame:
    """The Kaplan-Meier estimate of S(t), the share still without the event after t.

    Args:
        durations: time of the event or of censoring, per run (NaN left out).
        events: whether the run had the event (else it is censored at its duration).

    Returns:
        One row per distinct time with an event, after a first row at time 0:
        ``time, at_risk, events, survival, low, high``.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    keep = np.isfinite(t)
    t, e = t[keep], e[keep]
    rows = [{"time": 0.0, "at_risk": len(t), "events": 0, "survival": 1.0, "low": 1.0,
             "high": 1.0}]  # fmt: skip
    s, green = 1.0, 0.0
    for time in np.unique(t[e]):
        n = int((t >= time).sum())
        d = int(((t == time) & e).sum())
        s *= 1.0 - d / n
        green += d / (n * (n - d)) if n > d else np.inf
        low, high = _loglog(s, green)
        rows.append({"time": float(time), "at_risk": n, "events": d, "survival": s,
                     "low": low, "high": high})  # fmt: skip
    return pd.DataFrame(rows)


def _loglog(s: float, green: float) -> tuple[float, float]:
    """The 95% interval of S on the log(-log) scale (stays within 0-1)."""
    if s <= 0 or s >= 1 or not np.isfinite(green):
        return (0.0, 1.0) if s <= 0 or not np.isfinite(green) else (s, s)
    se = np.sqrt(green) / abs(np.log(s))
    c = np.log(-np.log(s))
    return float(np.exp(-np.exp(c + _Z * se))), float(np.exp(-np.exp(c - _Z * se)))


def survival_table(results: Results, scenarios: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The Kaplan-Meier curves of the time to relapse of every scenario.

    Returns:
        ``scenario, runs, time, at_risk, events, survival, low, high`` (``runs``: runs at risk
        at all, i.e. defeated within the horizon).
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    frame = _summary(res, chosen)
    parts = []
    for scen in chosen:
        part = frame[frame["scenario"] == scen]
        t = part["months_at_risk"].astype(float)
        km = kaplan_meier(t, part["resurgence"].astype(float) == 1)
        km.insert(0, "runs", int(t.notna().sum()))
        km.insert(0, "scenario", scen)
        parts.append(km)
    return pd.concat(parts, ignore_index=True)


def relapse_by(table: pd.DataFrame, months: float) -> pd.DataFrame:
    """The estimated share of runs relapsed within ``months`` (1 - S), per scenario, with its
    95% interval; NaN past the longest time observed."""
    rows = []
    for scen, part in table.groupby("scenario", sort=False):
        before = part[part["time"] <= months].iloc[-1]
        rows.append({"scenario": scen, "months": months, "relapsed": 1 - before["survival"],
                     "low": 1 - before["high"], "high": 1 - before["low"]})  # fmt: skip
    return pd.DataFrame(rows)


def survival_chart(
    results: Results,
    scenarios: str | Iterable[str] | None = None,
    data: pd.DataFrame | None = None,
    reference: str | None = None,
    ncols: int = 4,
) -> Figure:
    """Kaplan-Meier curves of the time to relapse: a panel per scenario with its 95% band,
    the reference's curve in grey in every other panel."""
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    table = data if data is not None else survival_table(res, chosen)
    ref = reference if reference is not None else chosen[0]
    styles = _styles(res)
    shape = ensemble_shape(res)
    horizon = max(int(sd.get("horizon") or 0) for sd in res.manifest["batch"]["scenarios"])
    ncols = max(1, min(ncols, len(chosen)))
    nrows = -(-len(chosen) // ncols)
    fig = Figure(figsize=(3.4 * ncols + 0.8, 2.7 * nrows + 1.3), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()

    def curve(scen: str) -> tuple[np.ndarray, ...]:
        part = table[table["scenario"] == scen]
        x = np.append(part["time"].to_numpy(), horizon)
        cols = [
            np.append(part[c].to_numpy(), part[c].iloc[-1]) for c in ("survival", "low", "high")
        ]
        return (x, *cols)

    for i, (ax, scen) in enumerate(zip(axes, chosen, strict=False)):
        if table[table["scenario"] == scen].empty:
            continue
        if scen != ref and not table[table["scenario"] == ref].empty:
            x, s, _, _ = curve(ref)
            ax.step(x, s, where="post", color="0.55", lw=1.4, ls="--")
        colour, dash = styles[scen]
        x, s, lo, hi = curve(scen)
        ax.fill_between(x, lo, hi, step="post", color=colour, alpha=0.18, lw=0)
        ax.step(x, s, where="post", color=colour, ls=dash, lw=2.0)
        runs = int(table.loc[table["scenario"] == scen, "runs"].iloc[0])
        ax.set_title(f"{scen} ({runs} runs at risk)", fontsize=9.5)
        ax.set_xlim(0, horizon)
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 3, 6, 10]))
        ax.grid(alpha=0.3, lw=0.6)
        ax.tick_params(labelsize=8)
        if i % ncols == 0:
            ax.set_ylabel("without a relapse", fontsize=9)
        if i >= len(chosen) - ncols:
            ax.set_xlabel("months since the war ended", fontsize=9)
    for ax in axes[len(chosen) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Time to relapse (Kaplan-Meier): share of runs without a relapse, months after the war "
        "ended (after the territorial defeat if it never did); runs never defeated are left out"
        f"\nband: 95% interval of the estimate; dashed grey: {ref}; runs span {shape['covers']}",
        fontsize=10.5,
    )
    return fig
