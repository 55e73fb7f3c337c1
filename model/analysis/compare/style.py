"""The look shared by every figure and table: scenario colours and line styles, number and
month formatting, date and value axes, and legends."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, MaxNLocator

from model.analysis.compare.names import Results, open_results
from model.experiments.results import BatchResults

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow: last, it is faint on white
)
"""Okabe & Ito (2008) colour-blind-safe palette, in the order scenarios get them."""

_STEPS = (1, 2, 2.5, 5, 10)


KNOWN_SCENARIOS: dict[str, int] = {
    "baseline_historical": 0,
    "sustained_presence": 1,
    "early_withdrawal": 2,
    "military_only": 3,
    "political_track": 4,
    "havens_unchecked": 5,
    "withdrawal_timing": 6,
}
"""Palette slots of the scenarios in scenarios/ (the same colour in every report)."""


def scenario_colours(results: Results) -> dict[str, str]:
    """A colour per scenario of the batch, the same for a name in every batch (see
    :func:`colour_slots`)."""
    return {name: colour for name, (colour, _dash) in _styles(open_results(results)).items()}


def colour_slots(names: Sequence[str]) -> dict[str, int]:
    """Each name's slot in the palette: the scenarios of scenarios/ have their own; any other
    name takes the slot its CRC-32 points to, or the next free one if a name before it in
    ``names`` holds that. So a name keeps its colour across batches unless two names of one
    batch meet on a slot; past the palette's end, slots repeat (drawn dashed)."""
    size = len(OKABE_ITO) - 1  # yellow is left for the ninth scenario on: faint on white
    taken: dict[int, str] = {}
    out: dict[str, int] = {}
    for name in names:
        if name in KNOWN_SCENARIOS:
            out[name] = KNOWN_SCENARIOS[name]
            taken.setdefault(out[name], name)
    for name in names:
        if name in out:
            continue
        slot = zlib.crc32(name.encode("utf-8")) % size
        for step in range(len(names) + size):
            candidate = (slot + step) % size if len(taken) < size else slot + step
            if candidate not in taken:
                slot = candidate
                break
        out[name] = slot
        taken[slot] = name
    return out


def _styles(res: BatchResults) -> dict[str, tuple[str, str]]:
    """Colour and line style per scenario (:func:`colour_slots`): past the palette's end,
    colours repeat dashed."""
    dashes = ("-", "--", ":", "-.")
    slots = colour_slots(res.scenarios)
    return {
        name: (OKABE_ITO[slot % len(OKABE_ITO)], dashes[(slot // len(OKABE_ITO)) % len(dashes)])
        for name, slot in slots.items()
    }


class Readable(Formatter):
    """Tick labels a reader takes in at a glance: 1.2M, 250k, 1,500, 0.35, a true minus sign;
    never an offset or a 1e6 factor. Every tick of an axis gets the same scale and decimals."""

    _ticks: tuple[float, ...] = ()

    def set_locs(self, locs: Sequence[float]) -> None:
        """Remember the axis's ticks (those in view) to choose one scale for all."""
        ticks = [float(v) for v in locs]
        axis = getattr(self, "axis", None)
        if axis is not None and ticks:
            lo, hi = sorted(axis.get_view_interval())
            pad = 1e-9 * max(abs(lo), abs(hi), 1.0)
            ticks = [v for v in ticks if lo - pad <= v <= hi + pad] or ticks
        self._ticks = tuple(ticks)

    def __call__(self, x: float, pos: object = None) -> str:
        locs = list(self._ticks) or [float(x)]
        top = max(abs(v) for v in locs)
        scale, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k") if top >= 1e4 else (1.0, "")
        return _number(x / scale, [v / scale for v in locs]) + (suffix if x else "")


def _number(v: float, locs: Sequence[float]) -> str:
    steps = np.diff(sorted(set(locs)))
    step = float(steps.min()) if len(steps) else abs(v)
    decimals = 0
    while step and decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    if not len(steps) and v and abs(v) < 1:
        decimals = 3
    if abs(v) < 0.5 * 10**-decimals:
        return "0"
    return f"{v:,.{decimals}f}".replace("-", "\u2212")


def _tick(x: float, _pos) -> str:
    """Tick labels of a run's overview figure: each tick on its own ("1.5M", "2M"), where
    :class:`Readable` gives every tick of an axis the same decimals."""
    if abs(x) >= 1e6:
        return f"{x / 1e6:g}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:g}k"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:g}"


def format_number(x: float) -> str:
    """A number for tables and titles: 21,952 / 745 / 74.5 / 0.404."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if not x:
        return "0"
    return np.format_float_positional(x, precision=3, unique=False, fractional=False, trim="-")


def month_text(x: Any, missing: str = "never") -> str:
    """A month as ``YYYY-MM``; ``missing`` for no date (an event that never happened)."""
    if x is None or pd.isna(x):
        return missing
    return f"{pd.Timestamp(x):%Y-%m}"


def _date_axis(ax, label_it: bool = True) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
    lo, hi = ax.get_xlim()
    if hi - lo < 3 * 365:  # a short horizon: name the quarters too, or few dates are readable
        ax.xaxis.set_minor_formatter(mdates.DateFormatter("%b"))
        ax.tick_params(axis="x", which="minor", labelsize=7, labelcolor="0.35")
    if label_it:
        ax.set_xlabel("month")


def _value_axis(ax, unit: str) -> None:
    ax.yaxis.set_major_formatter(Readable())
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=_STEPS))
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3, lw=0.6)


def _legend_handles(scenarios: Sequence[str], styles, bands: bool = True) -> tuple[list, list[str]]:
    handles: list = []
    labels: list[str] = []
    for name in scenarios:
        colour, dash = styles[name]
        handles.append(Line2D([], [], color=colour, ls=dash, lw=2.2))
        labels.append(name)
    if bands:
        handles += _band_handles()
        labels += list(_BAND_LABELS)
    return handles, labels


_BAND_LABELS = ("median of runs", "middle 50% of runs", "middle 90% of runs")


def _band_handles() -> list:
    return [
        Line2D([], [], color="0.35", lw=1.9),
        Patch(color="0.35", alpha=0.40, lw=0),
        Patch(color="0.35", alpha=0.16, lw=0),
    ]


def _legend_rows(fig: Figure, rows: Sequence[Sequence[tuple]], **kwargs) -> None:
    """One legend below the panels, filled row by row (matplotlib fills columns first)."""
    ncols = max(len(r) for r in rows)
    blank = (Line2D([], [], alpha=0.0), "")
    grid = [list(r) + [blank] * (ncols - len(r)) for r in rows]
    items = [grid[r][c] for c in range(ncols) for r in range(len(grid))]
    fig.legend(
        [h for h, _ in items],
        [lab for _, lab in items],
        loc="outside lower center",
        ncols=ncols,
        fontsize=9,
        **kwargs,
    )


def _scenario_rows(
    scenarios: Sequence[str], styles, extra: Sequence[tuple] = (), width: int = 5
) -> list[list[tuple]]:
    handles, labels = _legend_handles(scenarios, styles, bands=False)
    items = list(zip(handles, labels, strict=True))
    n = len(items)
    width = n if n <= width else -(-n // 2) if n <= 2 * width else width  # balanced rows
    width = max(width, len(extra), 1)
    rows = [items[i : i + width] for i in range(0, len(items), width)]
    if extra:
        rows.append(list(extra))
    return rows


def _pad_symmetric(ax) -> None:
    """Keep 0 inside the axis with some room on both sides."""
    lo, hi = ax.get_xlim()
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = hi - lo or 1.0
    ax.set_xlim(lo - 0.05 * span, hi + 0.05 * span)
