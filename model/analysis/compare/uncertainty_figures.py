"""Figures of comparison under uncertainty: the variance split (by outcome, and over time),
robustness across futures (win shares against the reference) and satisficing (the share of
runs keeping to a threshold). Every figure is built without pyplot."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from model.analysis.compare.names import Results, check_scenarios, open_results, title
from model.analysis.compare.robustness import robustness, satisficing
from model.analysis.compare.style import (
    _date_axis,
    _legend_rows,
    _scenario_rows,
    _styles,
)
from model.analysis.compare.variance import ensemble_shape, monthly_variance_split, variance_split

__all__ = ["robustness_chart", "satisficing_chart", "variance_chart", "variance_over_time_chart"]

_BETTER, _TIE, _WORSE = "#009E73", "#BBBBBB", "#D55E00"


def _shape_note(res) -> str:
    shape = ensemble_shape(res)
    if shape["draws"]:
        return f"{shape['draws']} parameter draws x {shape['replicates']} replicates"
    return f"{shape['replicates']} replicates, parameters held fixed"


def variance_chart(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    data: pd.DataFrame | None = None,
) -> Figure:
    """The share of each run-level outcome's variance that comes from the parameters, per
    scenario (a heat map with the percentages written in)."""
    res = open_results(results)
    table = data if data is not None else variance_split(res, outcomes, scenarios)
    names = list(dict.fromkeys(table["outcome"]))
    shown = list(dict.fromkeys(table["scenario"]))
    grid = table.pivot(index="outcome", columns="scenario", values="parameter_share")
    grid = grid.reindex(index=names, columns=shown)
    fig = Figure(
        figsize=(1.25 * len(shown) + 4.6, max(3.6, 0.42 * len(names) + 2.3)), layout="constrained"
    )
    ax = fig.add_subplot()
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    totals = table.pivot(index="outcome", columns="scenario", values="total")
    totals = totals.reindex(index=names, columns=shown).to_numpy(dtype=float)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            text = "n/a" if not np.isfinite(v) else f"{v:.0%}"
            if totals[i, j] == 0:
                text = "no spread"
            colour = "white" if np.isfinite(v) and v > 0.6 else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8.5, color=colour)
    ax.set_xticks(range(len(shown)), shown, fontsize=8.5, rotation=25, ha="left")
    ax.set_yticks(range(len(names)), [textwrap.shorten(title(n), 46) for n in names], fontsize=8.5)
    ax.xaxis.tick_top()
    bar = fig.colorbar(image, ax=ax, shrink=0.8, format=PercentFormatter(1.0, decimals=0))
    bar.set_label("share from the parameters")
    fig.suptitle(
        f"Where the spread of each outcome comes from ({_shape_note(res)}): the share from the\n"
        "parameter draws; the rest is chance between replicates (n/a: one replicate per draw;\n"
        "no spread: every run has the same value)",
        fontsize=10,
    )
    return fig


def variance_over_time_chart(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    data: pd.DataFrame | None = None,
    ncols: int = 2,
) -> Figure:
    """The parameter share of the variance of monthly outcomes, month by month, a line per
    scenario (one panel per outcome)."""
    res = open_results(results)
    table = (
        data if data is not None else monthly_variance_split(res, outcomes, scenarios, level, unit)
    )
    names = list(dict.fromkeys(table["outcome"]))
    shown = list(dict.fromkeys(table["scenario"]))
    styles = _styles(res)
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    fig = Figure(figsize=(5.4 * ncols, 2.6 * nrows + 1.3), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        part = table[table["outcome"] == name]
        for scen in shown:
            p = part[part["scenario"] == scen]
            colour, dash = styles[scen]
            ax.plot(p["month"], p["parameter_share"], color=colour, ls=dash, lw=1.6)
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel("from parameters")
        ax.grid(alpha=0.3, lw=0.6)
        ax.set_title(title(name), fontsize=10)
        _date_axis(ax, label_it=i >= len(names) - ncols)
        ax.tick_params(axis="x", which="both", labelbottom=True)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Share of the variance between runs that comes from the parameters, month by month "
        f"({_shape_note(res)})",
        fontsize=11,
    )
    _legend_rows(fig, _scenario_rows(shown, styles))
    return fig


def robustness_chart(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    data: pd.DataFrame | None = None,
    ncols: int = 3,
) -> Figure:
    """For each outcome, the share of futures in which each scenario does better than, as
    well as, or worse than the reference (stacked bars)."""
    res = open_results(results)
    wins = data if data is not None else robustness(res, reference, outcomes, scenarios)[0]
    ref = reference or res.scenarios[0]
    names = list(dict.fromkeys(wins["outcome"]))
    shown = [s for s in res.scenarios if s in set(wins["scenario"])]
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    fig = Figure(
        figsize=(3.9 * ncols + 1.4, (0.34 * len(shown) + 1.1) * nrows + 1.3), layout="constrained"
    )
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    futures = "parameter draws" if ensemble_shape(res)["draws"] else "replicates"
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        part = wins[wins["outcome"] == name].set_index("scenario").reindex(shown)
        y = np.arange(len(shown))[::-1]
        left = np.zeros(len(shown))
        for col, colour in (("better", _BETTER), ("ties", _TIE), ("worse", _WORSE)):
            v = part[col].to_numpy(dtype=float)
            ax.barh(y, v, left=left, color=colour, height=0.7, lw=0)
            left = left + np.nan_to_num(v)
        for yy, b in zip(y, part["better"].to_numpy(dtype=float), strict=True):
            if np.isfinite(b) and b >= 0.12:
                ax.text(b / 2, yy, f"{b:.0%}", ha="center", va="center", fontsize=8, color="white")
        ax.axvline(0.5, color="0.3", lw=0.8, ls=":")
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_yticks(y, shown if i % ncols == 0 else [], fontsize=8.5)
        ax.set_title(textwrap.fill(title(name), 36), fontsize=9.5)
        ax.tick_params(labelsize=8)
        ax.set_xlabel(f"share of {futures}", fontsize=8.5)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Robustness: in how many futures ({futures}) each scenario does better than {ref} "
        f"({_shape_note(res)})",
        fontsize=11,
    )
    key = [(Patch(color=c, lw=0), t) for c, t in
           ((_BETTER, f"better than {ref}"), (_TIE, "as good"), (_WORSE, "worse"))]  # fmt: skip
    fig.legend(*zip(*key, strict=True), loc="outside lower center", ncols=3, fontsize=9)
    return fig


def satisficing_chart(
    results: Results,
    thresholds: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    data: pd.DataFrame | None = None,
) -> Figure:
    """For each threshold, the share of each scenario's runs that keep to it, with its 95%
    interval."""
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    table = data if data is not None else satisficing(res, thresholds, chosen)
    labels = list(dict.fromkeys(table["label"]))
    shown = [s for s in res.scenarios if s in set(table["scenario"])]
    styles = _styles(res)
    n = len(labels)
    fig = Figure(figsize=(5.2 * min(n, 2) + 1.6, (0.36 * len(shown) + 1.3) * -(-n // 2) + 1.0),
                 layout="constrained")  # fmt: skip
    axes = fig.subplots(-(-n // 2), min(n, 2), squeeze=False).ravel()
    for i, (ax, label) in enumerate(zip(axes, labels, strict=False)):
        part = table[table["label"] == label].set_index("scenario").reindex(shown)
        y = np.arange(len(shown))[::-1]
        colours = [styles[s][0] for s in shown]
        share = part["share"].to_numpy(dtype=float)
        ax.barh(y, share, color=colours, height=0.65, alpha=0.85)
        err = np.vstack([share - part["low"].to_numpy(float), part["high"].to_numpy(float) - share])
        ax.errorbar(share, y, xerr=err, fmt="none", ecolor="0.2", elinewidth=1.2, capsize=3)
        for yy, v in zip(y, share, strict=True):
            ax.text(min(v + 0.02, 0.9), yy + 0.3, f"{v:.0%}", fontsize=8, va="center")
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_yticks(y, shown if i % 2 == 0 else [], fontsize=8.5)
        ax.set_xlabel("share of runs", fontsize=8.5)
        ax.set_title(textwrap.fill(label, 48), fontsize=9.5)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(
        f"Satisficing: the share of runs that keep to each threshold ({_shape_note(res)}), "
        "with its 95% interval (Wilson)",
        fontsize=11,
    )
    return fig
