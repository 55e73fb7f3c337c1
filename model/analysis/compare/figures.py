"""Figures of stored runs: fan charts of monthly outcomes, paired differences over time, the
forest plot of run-level differences, and the overview of one scenario's replicates.

Every figure is a matplotlib ``Figure`` built without pyplot, so it works headless and in
notebooks alike.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from model.analysis.compare.differences import monthly_differences, paired_differences
from model.analysis.compare.names import (
    Results,
    _only_monthly,
    check_reference,
    check_scenarios,
    label,
    open_results,
    place_name,
    summary_unit,
    title,
)
from model.analysis.compare.style import (
    _BAND_LABELS,
    _STEPS,
    Readable,
    _band_handles,
    _date_axis,
    _legend_handles,
    _legend_rows,
    _pad_symmetric,
    _scenario_rows,
    _styles,
    _tick,
    _value_axis,
    format_number,
)
from model.analysis.compare.tables import monthly_quantiles, read_monthly
from model.analysis.compare.variance import ensemble_shape
from model.experiments.results import BatchResults
from model.files.errors import ConfigError
from model.simulation.outcomes import MONTHLY, SUMMARY


def _draw_fan(ax, q: pd.DataFrame, scenarios: Sequence[str], styles) -> None:
    for name in scenarios:
        part = q[q["scenario"] == name]
        if part.empty:
            continue
        colour, dash = styles[name]
        x = part["month"].to_numpy()
        ax.fill_between(x, part["p5"], part["p95"], color=colour, alpha=0.10, lw=0)
        ax.fill_between(x, part["p25"], part["p75"], color=colour, alpha=0.25, lw=0)
        ax.plot(x, part["median"], color=colour, ls=dash, lw=1.9, label=name)
    ax.set_xlim(q["month"].min(), q["month"].max())


def _runs_note(q: pd.DataFrame) -> str:
    return f"{_count_text(q.groupby('scenario')['runs'].max())} runs per scenario"


def _count_text(counts: Iterable[int]) -> str:
    """Counts as one number or a range ("20", "18-20")."""
    values = sorted(set(counts))
    return f"{values[0]}" if len(values) == 1 else f"{values[0]}-{values[-1]}"


def _grid(panels: int, ncols: int) -> tuple[int, int]:
    """Columns and rows of a grid of ``panels`` panels, at most ``ncols`` a row."""
    ncols = max(1, min(ncols, panels))
    return ncols, -(-panels // ncols)


def _shown(
    res: BatchResults, data: pd.DataFrame, reference: str | None
) -> tuple[str, list[str], list[str]]:
    """Reference, outcomes and scenarios (batch order) of a table of differences.

    Raises:
        ConfigError: the table is empty: no scenario besides the reference.
    """
    ref = str(data["reference"].iloc[0]) if len(data) else check_reference(res, reference)
    names = list(dict.fromkeys(data["outcome"]))
    if not names:
        raise ConfigError("no scenario to compare with the reference", key="scenarios")
    shown = [s for s in res.scenarios if s in set(data["scenario"])]
    return ref, names, shown


def fan_chart(
    results: Results,
    outcome: str,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
) -> Figure:
    """One monthly outcome, every scenario on one axis: median line, 50% and 90% bands.

    Args:
        results: the batch (``BatchResults`` or its folder).
        outcome: a monthly outcome (``stabsim outcomes``).
        scenarios: scenario names (default: all, in batch order).
        level: ``"national"``, ``"governorate"`` or ``"area"``.
        unit: the governorate or area (with those levels).
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    q = monthly_quantiles(res, outcome, chosen, level, unit)
    styles = _styles(res)
    fig = Figure(figsize=(9.5, 4.6), layout="constrained")
    ax = fig.add_subplot()
    _draw_fan(ax, q, chosen, styles)
    _date_axis(ax)
    _value_axis(ax, MONTHLY[outcome].unit)
    covers = ensemble_shape(res)["covers"]
    ax.set_title(
        f"{title(outcome)}, {place_name(level, unit)}\n"
        f"median and bands over runs ({_runs_note(q)}; runs span {covers})",
        fontsize=11,
    )
    handles, labels = _legend_handles(chosen, styles, bands=False)
    fig.legend(handles, labels, loc="outside right upper", fontsize=9, title="scenario")
    fig.legend(
        _band_handles(),
        list(_BAND_LABELS),
        loc="outside right lower",
        fontsize=9,
        title="bands over runs",
    )
    return fig


def fan_grid(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    ncols: int = 2,
) -> Figure:
    """Small multiples of fan charts, one panel per monthly outcome, one legend for all.

    Args:
        results: the batch (``BatchResults`` or its folder).
        outcomes: monthly outcomes (default: ``DEFAULT_OUTCOMES`` that the batch records).
        scenarios: scenario names (default: all).
        level: ``"national"``, ``"governorate"`` or ``"area"``.
        unit: the governorate or area (with those levels).
        ncols: panels per row.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    monthly = _only_monthly(res, outcomes, chosen, level)
    frame = read_monthly(res, chosen, monthly, level, unit)
    styles = _styles(res)
    ncols, nrows = _grid(len(monthly), ncols)
    fig = Figure(figsize=(5.4 * ncols, 2.9 * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    note = ""
    for i, (ax, name) in enumerate(zip(axes, monthly, strict=False)):
        q = monthly_quantiles(res, name, chosen, level, unit, frame=frame)
        note = _runs_note(q)
        _draw_fan(ax, q, chosen, styles)
        _date_axis(ax, label_it=i >= len(monthly) - ncols)
        _value_axis(ax, MONTHLY[name].unit)
        ax.set_title(title(name), fontsize=10)
        ax.tick_params(axis="x", which="both", labelbottom=True)
    for ax in axes[len(monthly) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Scenarios compared, {place_name(level, unit)}: median and bands over runs ({note});"
        f"\nthe bands span {ensemble_shape(res)['covers']}",
        fontsize=12,
    )
    bands = list(zip(_band_handles(), _BAND_LABELS, strict=True))
    _legend_rows(fig, _scenario_rows(chosen, styles, bands))
    return fig


def _direction(higher_is: str) -> str:
    if higher_is == "worse":
        return "above 0: worse than the reference"
    if higher_is == "better":
        return "above 0: better than the reference"
    return ""


def difference_chart(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    statistic: str = "median",
    confidence: float = 0.90,
    data: pd.DataFrame | None = None,
    ncols: int = 2,
) -> Figure:
    """Paired differences from the reference over time: one panel per outcome, a line per
    scenario with its bootstrap confidence band, and the zero line.

    Args:
        results: the batch (``BatchResults`` or its folder).
        reference: the scenario compared against (default: the batch's first).
        outcomes: monthly outcomes (default: ``DEFAULT_OUTCOMES`` that the batch records).
        scenarios: scenarios compared (default: all but the reference).
        level: ``"national"``, ``"governorate"`` or ``"area"``.
        unit: the governorate or area (with those levels).
        statistic: ``"median"`` or ``"mean"`` of the paired differences.
        confidence: level of the band.
        data: ``monthly_differences(...)`` already computed with these arguments.
        ncols: panels per row.
    """
    res = open_results(results)
    if data is None:
        data = monthly_differences(
            res, reference, outcomes, scenarios, level, unit, statistic, confidence
        )
    ref, names, shown = _shown(res, data, reference)
    styles = _styles(res)
    ncols, nrows = _grid(len(names), ncols)
    fig = Figure(figsize=(5.4 * ncols, 3.0 * nrows + 1.3), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        part = data[data["outcome"] == name]
        ax.axhline(0.0, color="0.25", lw=0.9)
        for scen in shown:
            p = part[part["scenario"] == scen]
            colour, dash = styles[scen]
            ax.fill_between(p["month"], p["ci_low"], p["ci_high"], color=colour, alpha=0.2, lw=0)
            ax.plot(p["month"], p["difference"], color=colour, ls=dash, lw=1.8)
        ax.set_xlim(part["month"].min(), part["month"].max())
        _date_axis(ax, label_it=i >= len(names) - ncols)
        _value_axis(ax, f"difference, {MONTHLY[name].unit}")
        note = _direction(MONTHLY[name].higher_is)
        ax.set_title(title(name) + (f"\n({note})" if note else ""), fontsize=10)
        ax.tick_params(axis="x", which="both", labelbottom=True)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    stat = "median" if statistic == "median" else "mean"
    shape = ensemble_shape(res)
    same = "same seeds and parameter draws" if shape["draws"] else "same seeds"
    fig.suptitle(
        f"Difference from {ref}, {place_name(level, unit)}: {stat} of paired runs "
        f"({_count_text(data['pairs'])} pairs, {same}) with its {confidence:.0%} "
        f"bootstrap interval;\nthe runs span {shape['covers']}",
        fontsize=12,
    )
    key = [
        (Line2D([], [], color="0.35", lw=1.8), f"{stat} paired difference"),
        (Patch(color="0.35", alpha=0.3, lw=0), f"its {confidence:.0%} confidence interval"),
    ]
    _legend_rows(fig, _scenario_rows(shown, styles, key))
    return fig


def forest_plot(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    data: pd.DataFrame | None = None,
    ncols: int = 3,
) -> Figure:
    """Paired differences of run-level outcomes from the reference: one panel per outcome, a
    row per scenario. The thin line spans the middle 90% of the paired differences (how much
    the difference varies between runs); the thick line is the 95% bootstrap interval of
    their mean (how sure the mean is, given the number of runs); the dot is the mean.

    Args:
        results: the batch (``BatchResults`` or its folder).
        reference: the scenario compared against (default: the batch's first).
        outcomes: numeric run-level outcomes (default: all).
        scenarios: scenarios compared (default: all but the reference).
        data: ``paired_differences(...)`` already computed with these arguments.
        ncols: panels per row.
    """
    res = open_results(results)
    if data is None:
        data = paired_differences(res, reference, outcomes, scenarios)
    ref, names, shown = _shown(res, data, reference)
    styles = _styles(res)
    ncols, nrows = _grid(len(names), ncols)
    height = 0.32 * len(shown) + 1.45
    fig = Figure(figsize=(3.5 * ncols + 1.0, height * nrows + 1.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    ypos = {s: len(shown) - 1 - i for i, s in enumerate(shown)}
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        part = data[data["outcome"] == name]
        ax.axvline(0.0, color="0.25", lw=0.9)
        for _, row in part.iterrows():
            colour, _dash = styles[row["scenario"]]
            y = ypos[row["scenario"]]
            if "p5" in row and np.isfinite(row["p5"]):
                ax.plot([row["p5"], row["p95"]], [y, y], color=colour, lw=1.0, alpha=0.8)
            if np.isfinite(row["ci_low"]):
                ax.plot([row["ci_low"], row["ci_high"]], [y, y], color=colour, lw=4.0,
                        solid_capstyle="butt")  # fmt: skip
            ax.plot(row["mean"], y, "o", ms=5.5, color=colour, mec="white", mew=0.8)
        ax.set_yticks(list(ypos.values()), list(ypos.keys()) if i % ncols == 0 else [])
        ax.set_ylim(-0.7, len(shown) - 0.3)
        ax.xaxis.set_major_formatter(Readable())
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=_STEPS))
        o = SUMMARY[name]
        ax.set_xlabel(f"difference, {summary_unit(name)}", fontsize=9)
        note = {"worse": "right of 0: worse", "better": "right of 0: better"}.get(o.higher_is)
        ref_mean = part["reference_mean"].iloc[0] if len(part) else np.nan
        lines = [
            textwrap.fill(title(name), 40),
            textwrap.fill(f"{ref} mean {format_number(ref_mean)}", 44),
        ]
        if note:
            lines.append(f"({note})")
        ax.set_title("\n".join(lines), fontsize=9)
        ax.grid(axis="x", alpha=0.3, lw=0.6)
        ax.tick_params(labelsize=8)
        _pad_symmetric(ax)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    covers = ensemble_shape(res)["covers"]
    fig.suptitle(
        f"Run-level outcomes: paired differences from {ref} (same seeds and parameter draws)",
        fontsize=12,
    )
    key = [
        (Line2D([], [], color="0.35", lw=1.0), f"middle 90% of paired differences ({covers})"),
        (Line2D([], [], color="0.35", lw=4.0), "95% bootstrap interval of the mean (runs)"),
        (Line2D([], [], color="0.35", marker="o", ls="", ms=5.5), "mean"),
    ]
    fig.legend(*zip(*key, strict=True), loc="outside lower center", ncols=3, fontsize=9)
    return fig


PANELS = (
    "is_fighters",
    "pop_under_is",
    "incidents",
    "civilian_deaths",
    "idps",
    "legitimacy_sunni_arab",
    "active_share",
    "stability",
)


def overview_figure(monthly: pd.DataFrame, title: str = "", panels=PANELS):
    """Small multiples of national outcomes: median line with 50% and 90% bands."""
    nat = monthly[monthly["level"] == "national"]
    panels = [p for p in panels if p in nat.columns]
    ncol = 2
    nrow = (len(panels) + 1) // ncol
    fig = Figure(figsize=(11, 2.6 * nrow), layout="constrained")
    axes = fig.subplots(nrow, ncol, sharex=True, squeeze=False)
    for ax, name in zip(axes.ravel(), panels, strict=False):
        q = nat.groupby("month")[name].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.18, color="#0072B2", lw=0, label="90%")
        ax.fill_between(q.index, q[0.25], q[0.75], alpha=0.35, color="#0072B2", lw=0, label="50%")
        ax.plot(q.index, q[0.5], color="#0072B2", lw=1.6, label="median")
        o = MONTHLY[name]
        ax.set_title(label(name), fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(_tick))
        ax.set_ylabel(o.unit, fontsize=8)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper right")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
