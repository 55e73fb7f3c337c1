"""Lever-response curves: a run-level outcome against the level of one lever (or of a part of
a lever-schedule variable: the month of a step, a value it sets), with its band.

The levels come from the batch: a design that varies the lever (each grid value is a level; a
sample is cut into bins of equal numbers of runs), or the lever-schedule variables drawn with
the ensemble (binned likewise). A band covers the runs at that level: their parameters and
replicates, and, for a sample, the other varied names and the width of the bin.
``model.analysis.lever_response.sweep`` runs a sweep of one lever with common random numbers
when no stored batch varies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from model.analysis.compare.names import (
    Results,
    _only_summary,
    check_scenarios,
    open_results,
    summary_unit,
    title,
)
from model.analysis.compare.style import (
    _legend_rows,
    _scenario_rows,
    _styles,
    _value_axis,
)
from model.analysis.compare.tables import _summary, wilson
from model.files.errors import ConfigError, suggest
from model.files.months import month_str
from model.simulation.outcomes import SUMMARY
from model.simulation.parameters import REGISTRY

__all__ = ["response_chart", "response_table", "response_variables"]

EXACT_LEVELS = 12
"""A variable with at most this many distinct values is shown level by level, else binned."""


def response_variables(res) -> dict[str, list[str]]:
    """The levers and schedule variables a batch varies, each with the scenarios it applies
    to: the design's levers and schedule parts (every scenario), and the ensemble's schedule
    parts (the scenarios each is scoped to)."""
    out: dict[str, list[str]] = {}
    design = res.manifest.get("design") or {}
    kinds = design.get("kinds") or {}
    for name in design.get("names") or []:
        if kinds.get(name) in ("lever", "event", "schedule"):
            out[name] = list(res.scenarios)
    ens = res.ensemble or {}
    for step, spec in (ens.get("schedules") or {}).items():
        scoped = spec.get("scenarios") or res.scenarios
        for name in ens.get("names") or []:
            if name.startswith(f"{step}_") and (ens.get("kinds") or {}).get(name) == "schedule":
                out[name] = [s for s in res.scenarios if s in scoped]
    return out


def _is_month(res, name: str) -> bool:
    steps = {**((res.ensemble or {}).get("schedules") or {}),
             **((res.manifest.get("design") or {}).get("schedules") or {})}  # fmt: skip
    return any(name == f"{s}_from" for s in steps)


def variable_label(res, name: str) -> str:
    """An axis label for a varied name, with its unit."""
    if name in REGISTRY:
        return f"{name} ({REGISTRY[name].unit})"
    if _is_month(res, name):
        return f"{name}: month of the step"
    for lever in REGISTRY:
        if name.endswith("_" + lever):
            return f"{name} ({REGISTRY[lever].unit})"
    return name


def _levels(res, name: str, frame: pd.DataFrame) -> pd.Series:
    design = res.design()
    if name in design.columns:
        return frame["design_point"].map(design.set_index("design_point")[name])
    draws = res.draws()
    return frame["draw"].map(draws.set_index("draw")[name])


def response_table(
    results: Results,
    variable: str,
    outcome: str,
    scenarios: str | Iterable[str] | None = None,
    bins: int = 6,
) -> pd.DataFrame:
    """An outcome's distribution over runs at each level of a varied lever.

    Returns:
        ``scenario, level, low, high, runs, median, p5, p25, p75, p95, mean, share_low,
        share_high`` (``low``/``high``: the bin's range; ``share_low``/``share_high``: the 95%
        Wilson interval of the mean of a 0/1 outcome, else NaN).

    Raises:
        ConfigError: the batch does not vary ``variable``, or an unknown outcome.
    """
    res = open_results(results)
    known = response_variables(res)
    if variable not in known:
        raise ConfigError(
            f"the batch varies no lever called '{variable}'",
            key="variable",
            allowed=", ".join(known) or "none: run a batch whose design or ensemble varies one",
            suggestion=suggest(variable, known),
        )
    chosen = [s for s in check_scenarios(res, scenarios) if s in known[variable]]
    (name,) = _only_summary(res, [outcome], chosen)
    frame = _summary(res, chosen)
    frame = frame.assign(_x=_levels(res, variable, frame).astype(float))
    frame = frame[np.isfinite(frame["_x"]) & np.isfinite(frame[name].astype(float))]
    if frame["_x"].nunique() <= EXACT_LEVELS:
        frame["_bin"] = frame["_x"]
    else:
        frame["_bin"] = pd.qcut(frame["_x"], bins, labels=False, duplicates="drop")
    binary = SUMMARY[name].unit == "0/1"
    rows = []
    for (scen, _), part in frame.groupby(["scenario", "_bin"], sort=True):
        y = part[name].astype(float).to_numpy()
        q = np.quantile(y, [0.05, 0.25, 0.5, 0.75, 0.95])
        lo, hi = wilson(int((y == 1).sum()), len(y)) if binary else (np.nan, np.nan)
        rows.append({"scenario": scen, "level": float(part["_x"].median()),
                     "low": float(part["_x"].min()), "high": float(part["_x"].max()),
                     "runs": len(y), "median": q[2], "p5": q[0], "p25": q[1], "p75": q[3],
                     "p95": q[4], "mean": float(y.mean()), "share_low": lo,
                     "share_high": hi})  # fmt: skip
    out = pd.DataFrame(rows)
    if not out.empty:
        order = {s: i for i, s in enumerate(chosen)}
        out = out.assign(_o=out["scenario"].map(order)).sort_values(["_o", "level"])
        out = out.drop(columns="_o").reset_index(drop=True)
    return out


def response_chart(
    results: Results,
    variable: str,
    outcomes: Sequence[str],
    scenarios: str | Iterable[str] | None = None,
    bins: int = 6,
    ncols: int = 3,
) -> Figure:
    """Outcomes against one varied lever: per scenario, the median over runs at each level
    with the middle 50% and 90% of runs (for a 0/1 outcome: the share of runs with its 95%
    interval)."""
    res = open_results(results)
    outcomes = list(outcomes)
    tables = {o: response_table(res, variable, o, scenarios, bins) for o in outcomes}
    shown = list(dict.fromkeys(s for t in tables.values() for s in t["scenario"]))
    styles = _styles(res)
    month = _is_month(res, variable)
    ncols = max(1, min(ncols, len(outcomes)))
    nrows = -(-len(outcomes) // ncols)
    fig = Figure(figsize=(4.6 * ncols + 0.6, 3.4 * nrows + 1.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    binned = False
    for ax, name in zip(axes, outcomes, strict=False):
        t = tables[name]
        binned |= bool((t["low"] != t["high"]).any())
        binary = SUMMARY[name].unit == "0/1"
        for scen in shown:
            p = t[t["scenario"] == scen]
            x = _x(p["level"], month)
            colour, dash = styles[scen]
            if binary:
                ax.fill_between(x, p["share_low"], p["share_high"], color=colour, alpha=0.15, lw=0)
                ax.plot(x, p["mean"], color=colour, ls=dash, lw=1.9, marker="o", ms=3.5)
            else:
                ax.fill_between(x, p["p5"], p["p95"], color=colour, alpha=0.10, lw=0)
                ax.fill_between(x, p["p25"], p["p75"], color=colour, alpha=0.22, lw=0)
                ax.plot(x, p["median"], color=colour, ls=dash, lw=1.9, marker="o", ms=3.5)
        _value_axis(ax, "share of runs" if binary else summary_unit(name))
        if binary:
            ax.set_ylim(-0.03, 1.03)
        ax.set_title(title(name), fontsize=10)
        ax.set_xlabel(variable_label(res, variable), fontsize=9)
        if month:
            import matplotlib.dates as mdates

            ax.xaxis.set_major_locator(mdates.YearLocator())
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    how = "bins of equal numbers of runs (dot: the bin's median level)" if binned else "each level"
    fig.suptitle(
        f"Lever response: outcomes against {variable}, at {how}\n"
        "bands: the middle 50% and 90% of the runs at a level (parameters and replicates); "
        "0/1 outcomes: share of runs with its 95% interval",
        fontsize=11,
    )
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    key = [
        (Line2D([], [], color="0.35", lw=1.9, marker="o", ms=3.5), "median (0/1: share)"),
        (Patch(color="0.35", alpha=0.35, lw=0), "middle 50% of runs"),
        (Patch(color="0.35", alpha=0.14, lw=0), "middle 90% (0/1: 95% interval)"),
    ]
    _legend_rows(fig, _scenario_rows(shown, styles, key))
    return fig


def _x(levels: pd.Series, month: bool) -> np.ndarray:
    if not month:
        return levels.to_numpy(dtype=float)
    return np.array([pd.Timestamp(f"{month_str(v)}-01") for v in levels])
