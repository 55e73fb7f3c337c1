"""The hindcast against the record: fan charts of a hindcast's runs with the record's points.

For a scenario scored on targets (``stabsim validate``), the figure shows, over the months of
the run: civilians killed per month (median and bands over replicates) with the record's yearly
totals as monthly averages, and the IS share of every area a territorial target names (the
fall of Fallujah, of Mosul) with the month the record gives. ``update_page`` rewrites the
generated part of docs/hindcast.md. No Mesa here.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from model.files.targets import Target

DOCS = Path(__file__).resolve().parents[2] / "docs"
START, END = "<!-- hindcast:start -->", "<!-- hindcast:end -->"
_BLUE, _ORANGE, _GREY = "#0072B2", "#E69F00", "#555555"


def _national(runs: Sequence[tuple[pd.DataFrame, pd.Series]], outcome: str) -> pd.DataFrame:
    cols = []
    for monthly, _ in runs:
        nat = monthly[monthly["level"] == "national"]
        cols.append(pd.Series(nat[outcome].to_numpy(float), index=nat["month"]))
    return pd.concat(cols, axis=1)


def _area_share(runs, area_ids: Sequence[str], match: str) -> pd.DataFrame:
    cols = []
    for monthly, _ in runs:
        rows = monthly[(monthly["level"] == "area") & monthly["unit"].isin(area_ids)]
        wide = rows.pivot(index="month", columns="unit", values="is_share")
        cols.append(wide.max(axis=1) if match == "any" else wide.min(axis=1))
    return pd.concat(cols, axis=1)


def _fan(ax, frame: pd.DataFrame, colour: str, label: str) -> None:
    x = frame.index
    q = frame.quantile([0.05, 0.25, 0.5, 0.75, 0.95], axis=1).T.to_numpy()
    ax.fill_between(x, q[:, 0], q[:, 4], color=colour, alpha=0.15, lw=0)
    ax.fill_between(x, q[:, 1], q[:, 3], color=colour, alpha=0.3, lw=0)
    ax.plot(x, q[:, 2], color=colour, lw=1.8, label=label)


def hindcast_figure(
    runs: Sequence[tuple[pd.DataFrame, pd.Series]], targets: Sequence[Target], title: str = ""
):
    """Civilian deaths per month and the IS share of the target areas, against the record."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    deaths = [t for t in targets if t.kind == "level" and t.outcome == "civilian_deaths"]
    areas = [t for t in targets if t.kind == "event" and t.event in ("lost", "retaken")]
    fig = Figure(figsize=(11, 4.2), dpi=110, layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _fan(ax1, _national(runs, "civilian_deaths"), _BLUE, "model: median")
    for i, t in enumerate(deaths):
        first, last = (pd.Timestamp(f"{m}-01") for m in t.period)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        per_month = float(t.observed) / months if t.statistic == "sum" else float(t.observed)
        ax1.hlines(
            per_month,
            first,
            last + pd.offsets.MonthEnd(0),
            color="black",
            lw=2.5,
            label="record (yearly total / 12)" if i == 0 else None,
        )
    ax1.set_title("Civilians killed per month in Iraq", fontsize=10)
    ax1.set_ylabel("deaths per month")
    for k, t in enumerate(areas):
        colour = (_ORANGE, _BLUE, _GREY)[k % 3]
        names = " or ".join(t.area_ids) if t.match == "any" else " and ".join(t.area_ids)
        share = _area_share(runs, t.area_ids, t.match)
        _fan(ax2, share, colour, f"{t.id} ({names}): model median")
        when = pd.Timestamp(f"{t.observed}-15")
        ax2.plot([when], [1.0], marker="D", ms=8, color=colour, mec="black", ls="none")
        ax2.annotate(
            f"record: {t.id} {t.observed}",
            (when, 1.0),
            xytext=(-6, -16 - 13 * k),
            textcoords="offset points",
            ha="right",
            fontsize=8,
        )
    ax2.axhline(0.5, color=_GREY, lw=0.8, ls=":")
    ax2.set_ylim(-0.02, 1.08)
    ax2.set_title("Share of the area held by IS (dotted: majority control)", fontsize=10)
    ax2.set_ylabel("IS share of the area")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_xlabel("month")
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=8, loc="upper left")
    ax2.legend(fontsize=8, loc="center left")
    n = len(runs)
    fig.suptitle(
        (title + "\n" if title else "")
        + f"bands: middle 50% and 90% of {n} replicates (random chance only; parameters at their "
        "defaults)",
        fontsize=9,
    )
    return fig


def update_page(fig, table: pd.DataFrame, scenario, replicates: int) -> None:
    """Rewrite the generated part of docs/hindcast.md and its figure."""
    from model.analysis.validation import markdown

    img = DOCS / "img"
    img.mkdir(parents=True, exist_ok=True)
    fig.savefig(img / "hindcast.png", dpi=100)
    where = os.path.relpath(scenario.path, DOCS.parent) if scenario.path else scenario.name
    lines = [
        START,
        f"Latest run: `stabsim validate {where} --replicates {replicates} --update-docs` on"
        f" {_dt.date.today().isoformat()}.",
        "",
        markdown(table),
        "",
        "![The hindcast against the record](img/hindcast.png)",
        END,
    ]
    page = DOCS / "hindcast.md"
    text = page.read_text() if page.exists() else f"# Hindcast\n\n{START}\n{END}\n"
    a, b = text.index(START), text.index(END) + len(END)
    page.write_text(text[:a] + "\n".join(lines) + text[b:])


def has_record_series(targets: Sequence[Target]) -> bool:
    """Whether the targets include what the hindcast figure draws."""
    return any(t.kind == "level" and t.outcome == "civilian_deaths" for t in targets) or any(
        t.kind == "event" and t.event in ("lost", "retaken") for t in targets
    )


__all__ = ["hindcast_figure", "has_record_series", "update_page"]
