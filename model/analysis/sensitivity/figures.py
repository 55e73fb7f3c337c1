"""Figures of an analysed study: Morris (mu* against sigma, labels that never overlap), Sobol'
(S1 and ST with intervals), the one-at-a-time tornado, and indices per year of the horizon."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.discovery.common import fmt, new_figure
from model.simulation.parameters import REGISTRY

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from model.analysis.sensitivity.outputs import Output
    from model.analysis.sensitivity.runner import StudyResult

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def study_figures(result: StudyResult, outputs: Sequence[Output]) -> list[tuple[str, Figure]]:
    """The figures of an analysed study: (file name, figure) pairs."""
    s = result.study
    idx = result.indices
    figs: list[tuple[str, Figure]] = []
    if idx.empty:
        return figs
    title_n = f"{s.method}, n={s.n}, {int(result.outputs['runs'].sum())} runs, {s.scenario.horizon} months"
    for o in outputs:
        if o.year is not None:
            continue
        rows = idx[(idx["outcome"] == o.outcome) & idx["year"].isna()].set_index("name")
        if rows["note"].iloc[0]:
            continue
        title = f"{o.outcome} ({o.unit})\n{s.name}: {title_n}"
        if s.method == "morris":
            figs.append(
                (
                    f"morris_{_slug(o.outcome)}.png",
                    plot_morris(rows, title, o.unit, s.options["conf_level"]),
                )
            )
        elif s.method == "sobol":
            figs.append(
                (f"sobol_{_slug(o.outcome)}.png", plot_sobol(rows, title, s.options["conf_level"]))
            )
        elif s.method == "oat":
            figs.append(
                (f"tornado_{_slug(o.outcome)}.png", plot_tornado(rows, o.outcome, o.unit, title))
            )
    for outcome in s.series_outcomes:
        rows = idx[idx["outcome"] == outcome]
        if rows.empty:
            continue
        unit = rows["unit"].iloc[0]
        title = f"{outcome} ({unit}) per year of the horizon\n{s.name}: {title_n}"
        figs.append(
            (
                f"{s.method}_over_time_{_slug(outcome)}.png",
                plot_over_time(rows, s.method, title, s.options["conf_level"]),
            )
        )
    return figs


def _place_labels(
    fig: Figure,
    ax: Any,
    xs: Sequence[float],
    ys: Sequence[float],
    labels: Sequence[str],
    fontsize: float = 8,
) -> list[Any]:
    """Label points so that no label overlaps another label, a marker or the axes' edge.

    Greedy: the points are labelled in order of distance from the origin; each label takes the
    first free spot on rings of growing radius around its point; a label set away from its point
    gets a leader line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox, IdentityTransform

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lay out the figure once, then freeze it: label positions depend on it
    fig.set_layout_engine("none")
    renderer = canvas.get_renderer()
    pts = ax.transData.transform(np.column_stack([xs, ys]))
    frame = ax.get_window_extent(renderer)
    r = 4.0 * fig.dpi / 72  # marker half-size in pixels
    taken = [Bbox.from_bounds(px - r, py - r, 2 * r, 2 * r) for px, py in pts]
    order = np.argsort(-np.hypot(pts[:, 0] - frame.x0, pts[:, 1] - frame.y0))
    probe = ax.text(0, 0, "", fontsize=fontsize, transform=IdentityTransform())
    angles = np.deg2rad(
        [45, 315, 135, 225, 0, 180, 90, 270, 22.5, 337.5, 157.5, 202.5, 67.5, 292.5, 112.5, 247.5]
    )
    placed = []
    step = 6.0 * fig.dpi / 72
    for i in order:
        px, py = pts[i]
        probe.set_text(labels[i])
        best, best_cost = None, math.inf
        for radius in (1, 2, 3, 4, 6, 8, 11, 15, 20, 26):
            for a in angles:
                dx, dy = radius * step * math.cos(a), radius * step * math.sin(a)
                ha = "left" if dx > 1e-6 else "right" if dx < -1e-6 else "center"
                va = "bottom" if dy > 1e-6 else "top" if dy < -1e-6 else "center"
                probe.set_position((px + dx, py + dy))
                probe.set_ha(ha)
                probe.set_va(va)
                box = probe.get_window_extent(renderer).expanded(1.05, 1.1)
                cost = sum(_overlap(box, t) for t in taken)
                outside = box.width * box.height - _overlap(box, frame)
                cost += 10 * outside
                if cost < best_cost:
                    best, best_cost = (dx, dy, ha, va, box, radius), cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        dx, dy, ha, va, box, radius = best
        taken.append(box)
        k = 72 / fig.dpi
        arrow = (
            {"arrowstyle": "-", "color": "0.5", "lw": 0.6, "shrinkA": 0, "shrinkB": 3}
            if radius > 2
            else None
        )
        placed.append(
            ax.annotate(
                labels[i],
                (xs[i], ys[i]),
                xytext=(dx * k, dy * k),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                arrowprops=arrow,
            )
        )
    probe.remove()
    return placed


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def plot_morris(rows: pd.DataFrame, title: str, unit: str, conf_level: float = 0.95) -> Figure:
    """Morris mu* against sigma, every name labelled (labels never overlap), and mu* with its
    confidence interval as bars.

    Args:
        rows: indexed by name, with ``mu_star``, ``mu_star_conf`` and ``sigma``.
        title: the figure title.
        unit: the outcome's unit (mu* and sigma are in it, per whole range of the input).
        conf_level: the intervals' confidence level (for the axis label).
    """
    n = len(rows)
    fig = new_figure(12.5, max(6.0, 1.2 + 0.22 * n))
    grid = fig.add_gridspec(1, 2, width_ratios=(1.7, 1))
    ax = fig.add_subplot(grid[0, 0])
    x = rows["mu_star"].to_numpy(dtype=float)
    y = rows["sigma"].to_numpy(dtype=float)
    xmax = float(np.nanmax(x)) if n and np.nanmax(x) > 0 else 1.0
    ymax = float(np.nanmax(y)) if n and np.nanmax(y) > 0 else 1.0
    line = np.array([0, max(xmax, ymax) * 1.5])
    ax.plot(line, line, ls="--", color="0.6", lw=0.8, label="σ = μ*: non-linear or interacting")
    ax.plot(line, 0.1 * line, ls=":", color="0.6", lw=0.8, label="σ = 0.1 μ*: almost linear")
    ax.plot(x, y, "o", ms=5, color=_COLORS[0])
    ax.set_xlim(0, xmax * 1.35)
    ax.set_ylim(0, ymax * 1.35)
    ax.set_xlabel(f"μ*: mean |elementary effect| ({unit}, per whole range of the input)")
    ax.set_ylabel(f"σ: spread of the elementary effects ({unit})")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    bars = fig.add_subplot(grid[0, 1])
    order = rows.sort_values("mu_star", ascending=True)
    pos = np.arange(n)
    bars.barh(
        pos,
        order["mu_star"],
        xerr=order["mu_star_conf"],
        color=_COLORS[0],
        error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.3"},
    )
    bars.set_yticks(pos, list(order.index), fontsize=8 if n <= 20 else 7)
    bars.set_xlabel(f"μ* ({unit}); whiskers: {conf_level:.0%} CI")
    bars.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    _place_labels(fig, ax, x, y, list(rows.index))
    return fig


def plot_sobol(rows: pd.DataFrame, title: str, conf_level: float = 0.95) -> Figure:
    """Sobol' first-order (S1) and total (ST) indices with confidence intervals, by ST.

    Args:
        rows: indexed by name, with ``S1, S1_conf, ST, ST_conf``.
        title: the figure title.
        conf_level: the intervals' confidence level (for the legend).
    """
    rows = rows.sort_values("ST", ascending=True)
    n = len(rows)
    fig = new_figure(7.5, 1.6 + 0.42 * n)
    ax = fig.add_subplot()
    pos = np.arange(n)
    h = 0.38
    err = {"elinewidth": 0.9, "capsize": 3, "ecolor": "0.25"}
    ax.barh(
        pos + h / 2,
        rows["ST"],
        h,
        xerr=rows["ST_conf"],
        color=_COLORS[0],
        label="ST: total (with interactions)",
        error_kw=err,
    )
    ax.barh(
        pos - h / 2,
        rows["S1"],
        h,
        xerr=rows["S1_conf"],
        color="#9ecae1",
        label="S1: first order (alone)",
        error_kw=err,
    )
    ax.set_yticks(pos, list(rows.index))
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel(
        f"share of the output's variance (bars: index; whiskers: {conf_level:.0%} confidence interval)"
    )
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_tornado(rows: pd.DataFrame, outcome: str, unit: str, title: str) -> Figure:
    """One-at-a-time tornado: the outcome at each name's low and high value, by swing.

    Args:
        rows: indexed by name, with ``low, high, baseline, y_low, y_high, abs_swing``.
        outcome: the outcome's name.
        unit: its unit (the x axis).
        title: the figure title.
    """
    rows = rows.sort_values("abs_swing", ascending=True)
    n = len(rows)
    height = 1.6 + 0.45 * n
    fig = new_figure(8.0, height)
    ax = fig.add_subplot()
    base = float(rows["baseline"].iloc[0])
    pos = np.arange(n)
    lo = rows["y_low"].to_numpy(dtype=float) - base
    hi = rows["y_high"].to_numpy(dtype=float) - base
    ax.barh(pos, lo, left=base, color="#6baed6", label="name at its low value")
    ax.barh(pos, hi, left=base, color="#fd8d3c", alpha=0.85, label="name at its high value")
    labels = [
        f"{name}\n{fmt(r.low, 4)} – {fmt(r.high, 4)} {REGISTRY[name].unit}"
        for name, r in rows.iterrows()
    ]
    ax.set_yticks(pos, labels, fontsize=8)
    ax.axvline(base, color="0.2", lw=1, label=f"every name at its scenario value: {fmt(base, 4)}")
    ax.set_xlabel(f"{outcome} ({unit})")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_over_time(
    rows: pd.DataFrame, method: str, title: str, conf_level: float = 0.95, top: int = 6
) -> Figure:
    """Indices per year of the horizon (a time-series outcome), on a dated axis.

    Sobol': ST (solid, with its interval as a band) and S1 (dashed); Morris: mu* (band: its
    interval); OAT: the swing (outcome at high minus at low). The ``top`` names with the largest
    index in any year are drawn.
    """
    import matplotlib.dates as mdates

    metric, conf = {
        "sobol": ("ST", "ST_conf"),
        "morris": ("mu_star", "mu_star_conf"),
        "oat": ("swing", None),
    }[method]
    rows = rows[rows["year"].notna()].copy()
    rows["x"] = [
        pd.Timestamp(p.split(" to ")[0] + "-01") + pd.DateOffset(months=6) for p in rows["period"]
    ]
    strength = (
        rows.assign(a=rows[metric].abs()).groupby("name")["a"].max().sort_values(ascending=False)
    )
    names = list(strength.index[:top])
    fig = new_figure(8.5, 5.0)
    ax = fig.add_subplot()
    for i, name in enumerate(names):
        r = rows[rows["name"] == name].sort_values("x")
        c = _COLORS[i % len(_COLORS)]
        ax.plot(r["x"], r[metric], "-o", ms=3, color=c, label=name)
        if conf:
            ax.fill_between(
                r["x"], r[metric] - r[conf], r[metric] + r[conf], color=c, alpha=0.12, lw=0
            )
        if method == "sobol":
            ax.plot(r["x"], r["S1"], "--", color=c, lw=1)
    ticks = rows.drop_duplicates("year").sort_values("year")
    ax.set_xticks(
        list(ticks["x"]),
        [
            f"y{int(k)}\n{p.split(' to ')[0]}"
            for k, p in zip(ticks["year"], ticks["period"], strict=True)
        ],
        fontsize=8,
    )
    ax.xaxis.set_minor_locator(mdates.YearLocator())
    ylabel = {
        "sobol": f"Sobol' index (solid ST, dashed S1; band {conf_level:.0%} CI of ST)",
        "morris": f"μ* ({rows['unit'].iloc[0]}; band {conf_level:.0%} CI)",
        "oat": f"swing: at high − at low ({rows['unit'].iloc[0]})",
    }[method]
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_xlabel("year of the horizon and the month it starts (points at mid-year)")
    if method == "oat":
        ax.axhline(0, color="0.3", lw=0.8)
    ax.set_title(title, fontsize=10)
    extra = (
        f"top {len(names)} of {rows['name'].nunique()}"
        if rows["name"].nunique() > len(names)
        else ""
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        title=extra or None,
        title_fontsize=8,
    )
    ax.grid(alpha=0.3)
    return fig
