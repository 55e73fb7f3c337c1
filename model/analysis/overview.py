"""A quick multi-panel overview of one scenario's replicates (national series).

Median and 50%/90% bands over dated months, units on every axis. Uses stored tables only.
"""

from __future__ import annotations

import matplotlib.dates as mdates  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from model.simulation.outcomes import MONTHLY  # noqa: E402

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


def label(name: str) -> str:
    """A readable title for an outcome column ("is_fighters" -> "IS fighters")."""
    words = name.replace("_", " ")
    for a, b in (
        ("is ", "IS "),
        ("idps", "displaced persons (IDPs)"),
        ("pop ", "population "),
        ("us ", "US "),
    ):
        words = words.replace(a, b) if words.startswith(a) or a == "idps" else words
    words = words.replace(" is", " IS") if words.endswith(" is") else words
    for g in ("sunni arab", "shia arab", "kurd", "turkmen", "yazidi", "christian"):
        words = words.replace(g, g.title())
    return words[0].upper() + words[1:]


def _tick(x: float, _pos) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:g}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:g}k"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:g}"
