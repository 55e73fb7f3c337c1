"""The app's figures of one run: live national charts and the map of the areas.

Matplotlib figures built without pyplot (the app sends them to the browser as PNG, so nothing
is fetched from a CDN); dated axes over the whole horizon, so a chart grows as the run steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from model.analysis.compare.geography import state_map
from model.analysis.compare.names import title
from model.analysis.compare.style import Readable
from model.app.session import CHART_OUTCOMES
from model.simulation.outcomes import MONTHLY


def live_charts(
    national: pd.DataFrame,
    start: str,
    horizon: int,
    outcomes: Sequence[str] = CHART_OUTCOMES,
    reference: pd.DataFrame | None = None,
    ncols: int = 3,
) -> Figure:
    """A panel per national outcome of the run so far, each in its unit, over dated months.

    Args:
        national: the run's national table so far (``month`` and outcome columns).
        start: first month of the run, ``YYYY-MM`` (the x axis spans the whole horizon).
        horizon: months in the run.
        outcomes: the outcomes to draw.
        reference: another run's national table to draw in grey behind (e.g. the base
            scenario's), or None.
        ncols: panels per row.
    """
    nrows = -(-len(outcomes) // ncols)
    fig = Figure(figsize=(4.0 * ncols, 2.55 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    first = pd.Timestamp(f"{start}-01")
    # the axis shows two years at least and grows with the run, up to the horizon, so the first
    # months are not squeezed into the corner of a ten-year axis
    shown = min(horizon - 1, max(23, len(national) + 5))
    last = first + pd.DateOffset(months=max(shown, 0))
    span = shown + 1
    for ax, name in zip(axes, outcomes, strict=False):
        if reference is not None and len(reference):
            ax.plot(reference["month"], reference[name], color="0.65", lw=1.2, label="base")
        if len(national):
            ax.plot(national["month"], national[name], color="#0072B2", lw=1.6, label="this run")
            ax.plot(national["month"].iloc[-1:], national[name].iloc[-1:], "o", color="#0072B2")
        ax.set_title(title(name), fontsize=10)
        ax.set_xlim(first - pd.Timedelta(days=10), last + pd.Timedelta(days=10))
        values = [frame[name].max() for frame in (national, reference) if frame is not None]
        top = max([v for v in values if pd.notna(v)] or [1.0])
        ax.set_ylim(0, 1.12 * top if top > 0 else 1.0)
        if span <= 36:  # quarters, the year on January and on the first tick
            ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
            ax.xaxis.set_major_formatter(FuncFormatter(_quarter))
        else:
            ax.xaxis.set_major_locator(mdates.YearLocator(base=max(1, span // 60)))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.yaxis.set_major_formatter(Readable())
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.set_ylabel(MONTHLY[name].unit, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, lw=0.6)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    if reference is not None and len(reference):
        axes[0].legend(fontsize=7, loc="upper right")
    month = f"{national['month'].iloc[-1]:%Y-%m}" if len(national) else "no month yet"
    fig.suptitle(f"Iraq, national figures by month, to {month}", fontsize=11)
    return fig


def _quarter(x: float, pos: int | None) -> str:
    month = mdates.num2date(x)
    if month.month == 1:
        return f"{month:%Y}"
    return f"{month:%b %Y}" if pos == 0 else f"{month:%b}"


def run_map(areas: pd.DataFrame, month: str) -> Figure:
    """The map of the areas in ``month``: colour by IS control, size by incidents."""
    return state_map(areas, month)
