"""The base map: Natural Earth borders, coast and governorate lines for Iraq and Syria, and a
map of one model state (control and incidents by area) for the app and notebooks.

The shapes are a small extract of Natural Earth's 1:10m layers (public domain), shipped as
``model/analysis/geodata/boundaries.json`` with its source and processing
(``scripts/extract_boundaries.py`` makes it). Natural Earth's lines layer lacks some governorate
boundaries in northern Iraq; the caption says so.
"""

from __future__ import annotations

import json
import textwrap
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.patheffects import withStroke

DATA = Path(__file__).resolve().parents[1] / "geodata" / "boundaries.json"
EXTENT = (37.8, 48.8, 29.3, 37.6)
"""lon min, lon max, lat min, lat max of every map."""
HALO = [withStroke(linewidth=2.2, foreground="white", alpha=0.85)]
"""A white edge around map labels, so they read over lines and markers."""
SOURCE_NOTE = (
    "Borders, coast and governorate lines: Natural Earth 1:10m (public domain); its lines "
    "layer lacks some governorate boundaries in northern Iraq."
)


@lru_cache(maxsize=1)
def boundaries() -> dict:
    """The packaged extract: ``countries`` (name -> outline), ``borders``,
    ``governorate_lines`` and ``coast`` (lists of lines of (lon, lat) points) and ``source``."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def country_outline(name: str = "Iraq") -> np.ndarray:
    """The outline of a country (``"Iraq"`` or ``"Syria"``, as far as the map shows it) as an
    (n, 2) array of lon, lat."""
    return np.asarray(boundaries()["countries"][name], dtype=float)


def draw_boundaries(ax, country_names: bool = True) -> None:
    """Draw the countries, borders, governorate lines and coast on ``ax`` and set its extent."""
    geo = boundaries()
    fills = {"Iraq": "#f4f4f1", "Syria": "#fafaf8"}
    for name, fill in fills.items():
        ax.add_patch(
            Polygon(geo["countries"][name], closed=True, facecolor=fill, edgecolor="none", zorder=0)
        )
    ax.add_collection(LineCollection(geo["governorate_lines"], colors="0.62", linewidths=0.5))
    ax.add_collection(LineCollection(geo["borders"], colors="0.35", linewidths=0.9))
    ax.add_collection(LineCollection(geo["coast"], colors="#5b8db8", linewidths=0.7))
    if country_names:
        for text, (lon, lat) in {"IRAQ": (43.0, 30.6), "SYRIA": (38.6, 36.9)}.items():
            ax.text(lon, lat, text, fontsize=8, color="0.5", ha="center", zorder=1)
        for text, (lon, lat) in {
            "TURKEY": (40.5, 37.45),
            "IRAN": (47.6, 34.3),
            "SAUDI ARABIA": (41.5, 29.6),
            "JORDAN": (38.3, 31.6),
        }.items():
            ax.text(lon, lat, text, fontsize=7, color="0.65", ha="center", zorder=1)
    lon0, lon1, lat0, lat1 = EXTENT
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1.0 / np.cos(np.radians(33.5)))  # degrees of longitude shrink with latitude
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("0.8")


def short_name(name: str) -> str:
    """An area's name without its parenthesised notes: "Tikrit (+Dur)" -> "Tikrit"."""
    return name.split("(")[0].split(";")[0].strip().rstrip(",") or name


def degrees_per_point(ax) -> float:
    """About how many degrees of longitude one typographic point spans on the map."""
    width_in = ax.figure.get_size_inches()[0] * ax.get_position().width
    lon0, lon1 = ax.get_xlim()
    return (lon1 - lon0) / (width_in * 72.0)


def circle_boxes(lon, lat, sizes, per_pt: float) -> list[tuple[float, float, float, float]]:
    """The boxes (in degrees) that scatter markers of area ``sizes`` (points squared) cover."""
    radius = np.sqrt(np.asarray(sizes, dtype=float)) / 2.0 * per_pt
    return [(x - r, y - r, x + r, y + r) for x, y, r in zip(lon, lat, radius, strict=True)]


def place_labels(
    ax,
    points: pd.DataFrame,
    fontsize: float = 7.0,
    color: str = "0.1",
    skip: list | None = None,
    per_pt: float | None = None,
) -> list[tuple[float, float, float, float]]:
    """Write ``points["label"]`` beside each point (``lon``, ``lat``, optional ``radius`` in
    degrees), in order, leaving out a label that would overlap a box already taken (a label or
    a marker); return the boxes taken.

    Args:
        ax: the map's axes.
        points: rows with ``lon``, ``lat`` and ``label``, the most important first.
        fontsize: text size in points.
        color: text colour.
        skip: boxes (lon0, lat0, lon1, lat1) already taken, e.g. by markers or other labels.
        per_pt: degrees per point (default: from the axes).
    """
    taken = list(skip or [])
    per_pt = per_pt or degrees_per_point(ax)
    char_w, height = 0.56 * fontsize * per_pt, 1.25 * fontsize * per_pt
    for row in points.itertuples(index=False):
        text = str(row.label)
        width = char_w * len(text)
        gap = float(getattr(row, "radius", 0.0)) + 2.5 * per_pt
        for dx, dy, ha in (
            (gap, 0.0, "left"),
            (-gap, 0.0, "right"),
            (0.0, gap + height / 2, "center"),
            (0.0, -gap - height / 2, "center"),
            (gap * 0.7, gap * 0.7 + height / 2, "left"),
            (-gap * 0.7, gap * 0.7 + height / 2, "right"),
            (gap * 0.7, -gap * 0.7 - height / 2, "left"),
            (-gap * 0.7, -gap * 0.7 - height / 2, "right"),
        ):
            x0 = {"left": row.lon + dx, "right": row.lon + dx - width}.get(ha, row.lon - width / 2)
            box = (x0, row.lat + dy - height / 2, x0 + width, row.lat + dy + height / 2)
            if not any(_overlap(box, other) for other in taken):
                ax.text(
                    row.lon + dx,
                    row.lat + dy,
                    text,
                    fontsize=fontsize,
                    color=color,
                    ha=ha,
                    va="center",
                    zorder=6,
                    path_effects=HALO,
                )
                taken.append(box)
                break
    return taken


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def state_map(
    areas: pd.DataFrame,
    month: str,
    title: str | None = None,
    width: float = 9.0,
) -> Figure:
    """A map of one model state: each area at its coordinates, coloured by the share of its
    territory IS holds and sized by its incidents this month.

    Args:
        areas: a row per area with ``name``, ``governorate``, ``lon``, ``lat``, ``is_share``
            (0-1) and ``incidents`` (per month).
        month: the month shown, ``YYYY-MM`` (in the title).
        title: the title (default: what is shown and the month).
        width: figure width in inches.
    """
    fig = Figure(figsize=(width, width * 0.82), layout="constrained")
    ax = fig.add_subplot()
    draw_boundaries(ax)
    cmap, norm = matplotlib.colormaps["OrRd"], Normalize(0.0, 1.0)
    incidents = areas["incidents"].clip(lower=0).to_numpy(dtype=float)
    sizes = 14.0 + 26.0 * np.sqrt(incidents)
    order = np.argsort(-sizes)  # big circles below small ones
    ax.scatter(
        areas["lon"].to_numpy()[order],
        areas["lat"].to_numpy()[order],
        s=sizes[order],
        c=areas["is_share"].to_numpy(dtype=float)[order],
        cmap=cmap,
        norm=norm,
        edgecolors="0.25",
        linewidths=0.6,
        zorder=4,
    )
    per_pt = degrees_per_point(ax) * 1.12  # the colour bar below narrows the map a little
    notable = areas.assign(
        score=areas["is_share"] * 100 + incidents,
        label=areas["name"].map(short_name),
        radius=np.sqrt(sizes) / 2.0 * per_pt,
    )
    notable = notable[(notable["is_share"] > 0.02) | (notable["incidents"] >= 1)]
    notable = notable.sort_values("score", ascending=False).head(12)
    # labels keep off the labelled markers (a label starts beyond its own); they may cover a
    # small unlabelled one, which their halo keeps visible
    markers = circle_boxes(
        notable["lon"], notable["lat"], np.square(notable["radius"] * 2 / per_pt), per_pt
    )
    taken = place_labels(
        ax, notable[["lon", "lat", "label", "radius"]], 7.5, skip=markers, per_pt=per_pt
    )
    govs = areas.groupby("governorate")[["lon", "lat"]].mean().reset_index()
    govs["label"] = govs["governorate"].str.upper()
    # governorate names may sit on markers (their halo keeps both readable), not on labels
    place_labels(ax, govs, fontsize=6.5, color="0.4", skip=taken[len(markers) :], per_pt=per_pt)
    bar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=cmap), ax=ax, location="bottom", shrink=0.55, pad=0.01
    )
    bar.set_label("share of the area's territory held by IS", fontsize=8)
    for n in (1, 10, 50):
        ax.scatter([], [], s=14.0 + 26.0 * np.sqrt(n), color="white", edgecolors="0.25", label=n)
    ax.legend(
        title="incidents this month",
        loc="lower left",
        fontsize=7,
        title_fontsize=7,
        frameon=True,
        labelspacing=1.1,
        borderpad=0.9,
    )
    ax.set_title(title or f"IS control and insurgent incidents by area, {month}", fontsize=11)
    ax.set_xlabel(
        "Circles: the model's areas (colour: IS-held share of territory; size: incidents). "
        "Grey capitals: governorates.\n" + textwrap.fill(SOURCE_NOTE, width=120),
        fontsize=7,
        color="0.35",
    )
    return fig
