"""The network map: the model's areas at their coordinates on a map of Iraq and Syria (borders
and governorate lines from Natural Earth, ``geography``), coloured by IS control or incidents,
a row per scenario and a column per month, under a key map that names the governorates."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, PowerNorm
from matplotlib.figure import Figure

from model.analysis.compare.geography import (
    HALO,
    SOURCE_NOTE,
    country_outline,
    draw_boundaries,
)
from model.analysis.compare.names import (
    Results,
    _levels,
    _recorded,
    check_scenarios,
    open_results,
)
from model.analysis.compare.style import Readable
from model.experiments.results import BatchResults
from model.files.errors import ConfigError, suggest

MAP_COLOUR_BY: tuple[str, ...] = ("control", "incidents")
"""What the network map can be coloured by."""

_IRAQ_OUTLINE: tuple[tuple[float, float], ...] = tuple(
    (float(lon), float(lat)) for lon, lat in country_outline("Iraq")
)
"""The border of Iraq (lon, lat) from Natural Earth (public domain; ``geography``)."""


_NAME_PLACES: dict[str, tuple[float, float, str]] = {
    "Nineveh": (-0.2, -0.3, "right"),
    "Duhok": (0.0, 0.32, "center"),
    "Erbil": (0.25, 0.1, "left"),
    "Kirkuk": (0.3, 0.0, "left"),
    "Sulaymaniyah": (0.3, 0.0, "left"),
    "Salah ad-Din": (-0.3, 0.0, "right"),
    "Diyala": (0.3, 0.0, "left"),
    "Baghdad": (0.0, -0.33, "center"),
    "Anbar": (0.0, -0.32, "center"),
    "Karbala": (-0.3, 0.0, "right"),
    "Babil": (0.3, 0.05, "left"),
    "Najaf": (-0.3, -0.1, "right"),
    "Qadisiyah": (0.3, -0.1, "left"),
    "Wasit": (0.3, 0.0, "left"),
    "Muthanna": (-0.3, 0.0, "right"),
    "Dhi Qar": (0.3, 0.0, "left"),
    "Maysan": (0.3, 0.0, "left"),
    "Basra": (0.0, -0.35, "center"),
    "Raqqa": (0.0, 0.32, "center"),
    "Deir ez-Zor": (0.0, 0.32, "center"),
    "Homs": (0.0, -0.35, "center"),
}
"""Where each governorate's name goes in the key: (d lon, d lat, alignment)."""


def default_map_months(results: Results, scenarios: str | Iterable[str] | None = None) -> list:
    """The start, +12 and +36 months, and the end (those within the horizon)."""
    res = open_results(results)
    months = _batch_months(res, check_scenarios(res, scenarios))
    picks = [0, 12, 36, len(months) - 1]
    return [months[i] for i in sorted({p for p in picks if 0 <= p < len(months)})]


def _batch_months(res: BatchResults, scenarios: Sequence[str]) -> list[pd.Timestamp]:
    """Months every chosen scenario simulates."""
    common = None
    for sd in res.manifest["batch"]["scenarios"]:
        if sd["name"] in scenarios:
            start = pd.Timestamp(f"{sd['start']}-01")
            months = set(pd.date_range(start, periods=int(sd["horizon"]), freq="MS"))
            common = months if common is None else common & months
    return sorted(common or [])


def check_months(
    res: BatchResults,
    months: str | Iterable[object] | None,
    scenarios: Sequence[str],
    key: str = "months",
) -> list[pd.Timestamp]:
    """Months for the map: given as ``YYYY-MM`` (text or dates), or the defaults.

    Raises:
        ConfigError: a month that is not ``YYYY-MM`` or not simulated by every scenario.
    """
    available = _batch_months(res, scenarios)
    if months is None or (isinstance(months, str) and not months.strip()):
        return default_map_months(res, scenarios)
    items = months.split(",") if isinstance(months, str) else list(months)
    out = []
    span = f"{available[0]:%Y-%m} to {available[-1]:%Y-%m}" if available else "none"
    for item in items:
        text = item.strip() if isinstance(item, str) else item
        try:
            if isinstance(text, str) and not re.fullmatch(r"\d{4}-\d{2}", text):
                raise ValueError(text)
            ts = pd.Timestamp(f"{text}-01") if isinstance(text, str) else pd.Timestamp(text)
        except (ValueError, TypeError):
            raise ConfigError(
                f"bad month '{item}'", key=key, allowed=f"YYYY-MM months from {span}"
            ) from None
        ts = ts.to_period("M").to_timestamp()
        if ts not in available:
            raise ConfigError(
                f"month {ts:%Y-%m} is not simulated by every chosen scenario",
                key=key,
                allowed=f"YYYY-MM months from {span}",
            )
        out.append(ts)
    return list(dict.fromkeys(out))


def map_values(
    results: Results,
    months: str | Iterable[object] | None = None,
    colour_by: str = "control",
    scenarios: str | Iterable[str] | None = None,
) -> tuple[pd.DataFrame, str, str]:
    """The values the network map shows.

    ``colour_by="control"`` needs the area level: the share of runs in which IS holds each area
    (``is_held_areas``). ``"incidents"``: the median over runs of incidents per month, by area,
    or by governorate when the batch did not record the area level (the control map falls back
    to that too).

    Returns:
        ``(values, level, note)``: a table ``scenario, month, unit, value``; the level used
        ("area" or "governorate"); a note saying what was shown instead, or "".
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    if colour_by not in MAP_COLOUR_BY:
        raise ConfigError(
            f"unknown colouring '{colour_by}'",
            key="colour_by",
            allowed=", ".join(MAP_COLOUR_BY),
            suggestion=suggest(colour_by, MAP_COLOUR_BY),
        )
    wanted = check_months(res, months, chosen)
    levels = _levels(res, chosen)
    has_area = "area" in levels
    if not has_area and "governorate" not in levels:
        raise ConfigError(
            "the map needs the area or governorate level, which the chosen scenarios do not "
            "all record",
            key="scenarios",
            allowed="scenarios with `levels: [national, governorate, area]`",
        )
    level = "area" if has_area else "governorate"
    column = "is_held_areas" if colour_by == "control" and has_area else "incidents"
    note = ""
    if not has_area:
        note = (
            "Area level not recorded by every scenario shown: governorates coloured by "
            "incidents. Record `levels: [national, governorate, area]` in the scenarios to map "
            "control by area."
        )
    if column not in _recorded(res, chosen):
        raise ConfigError(
            f"the map needs the outcome '{column}', which the chosen scenarios do not record",
            key="colour_by",
        )
    frame = res.monthly(level=level, scenarios=chosen, columns=[column])
    frame = frame[frame["month"].isin(wanted)]
    if frame.empty:
        raise ConfigError(
            f"batch {res.manifest.get('batch_id')} has no finished runs for the map yet"
        )
    grouped = frame.groupby(["scenario", "month", "unit"], sort=False)[column]
    values = (grouped.mean() if column == "is_held_areas" else grouped.median()).rename("value")
    values = values.reset_index()
    return values, level, note


def _geography() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Areas (lat/lon), edges and governorate centroids of the packaged network."""
    from model.data import default_state

    state = default_state()
    areas = state.areas[["name", "governorate", "country", "lat", "lon", "population"]]
    govs = areas.groupby("governorate")[["lat", "lon"]].mean()
    return areas, state.edges, govs


def _draw_base(ax, areas: pd.DataFrame, edges: pd.DataFrame, country_names: bool = True) -> None:
    draw_boundaries(ax, country_names=country_names)
    known = edges[edges["a"].isin(areas.index) & edges["b"].isin(areas.index)]
    for kind, style in (("road", "-"), ("border", ":")):
        part = known[known["kind"] == kind]
        segments = [
            [(areas.at[a, "lon"], areas.at[a, "lat"]), (areas.at[b, "lon"], areas.at[b, "lat"])]
            for a, b in part[["a", "b"]].itertuples(index=False)
        ]
        ax.add_collection(
            LineCollection(
                segments, colors="#7a9cc6", linewidths=0.5, alpha=0.6, linestyles=style, zorder=2
            )
        )


def _area_sizes(areas: pd.DataFrame, small: float = 12.0, large: float = 90.0) -> np.ndarray:
    pop = areas["population"].clip(lower=0).to_numpy(dtype=float)
    return small + large * np.sqrt(pop / pop.max())


def network_map(
    results: Results,
    months: str | Iterable[object] | None = None,
    colour_by: str = "control",
    scenarios: str | Iterable[str] | None = None,
) -> Figure:
    """The area network of Iraq and the Syrian havens at chosen months, a row per scenario.

    Areas sit at their coordinates, the network's links drawn faintly, on Natural Earth's
    borders and governorate lines; a key map on top names the governorates. ``colour_by="control"``: the share
    of runs in which IS holds each area (needs the area level); ``"incidents"``: the median of
    incidents per month. Without the area level the map shows governorates coloured by
    incidents and says so.

    Args:
        results: the batch (``BatchResults`` or its folder).
        months: ``YYYY-MM`` months (default: the start, +12, +36 months, the end).
        colour_by: ``"control"`` or ``"incidents"``.
        scenarios: scenario names (default: all).
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    wanted = check_months(res, months, chosen)
    values, level, note = map_values(res, wanted, colour_by, chosen)
    areas, edges, govs = _geography()
    control = colour_by == "control" and level == "area"
    if control:
        cmap, norm = matplotlib.colormaps["OrRd"], Normalize(0.0, 1.0)
        bar_label = "share of runs in which IS holds the area"
    else:
        top = float(values["value"].max()) if len(values) else 1.0
        cmap, norm = matplotlib.colormaps["YlOrRd"], PowerNorm(0.5, 0.0, max(top, 1.0))
        bar_label = f"insurgent incidents per month (median of runs), by {level}; square-root scale"
    nrows, ncols = len(chosen), len(wanted)
    width = max(2.6 * ncols + 0.9, 7.0)
    key_h, grid_h = 5.2, 2.3 * nrows + 1.0
    fig = Figure(figsize=(width, key_h + grid_h + 0.9), layout="constrained")
    top_fig, grid_fig = fig.subfigures(2, 1, height_ratios=[key_h, grid_h])
    _draw_key(top_fig.add_subplot(), areas, edges, govs, centres=level == "governorate")
    axes = grid_fig.subplots(nrows, ncols, squeeze=False)
    size = _area_sizes(areas, 8.0, 70.0)
    for r, scen in enumerate(chosen):
        for c, month in enumerate(wanted):
            ax = axes[r, c]
            _draw_base(ax, areas, edges, country_names=False)
            part = values[(values["scenario"] == scen) & (values["month"] == month)]
            vals = part.set_index("unit")["value"]
            if level == "area":
                v = areas.index.map(vals).to_numpy(dtype=float)
                ax.scatter(
                    areas["lon"],
                    areas["lat"],
                    s=size,
                    c=np.nan_to_num(v),
                    cmap=cmap,
                    norm=norm,
                    edgecolors="0.3",
                    linewidths=0.5,
                    zorder=3,
                )
            else:
                ax.scatter(areas["lon"], areas["lat"], s=3, color="0.55", zorder=2)
                v = govs.index.map(vals).to_numpy(dtype=float)
                ax.scatter(
                    govs["lon"],
                    govs["lat"],
                    s=55,
                    c=np.nan_to_num(v),
                    cmap=cmap,
                    norm=norm,
                    edgecolors="0.3",
                    linewidths=0.6,
                    zorder=3,
                )
            if r == 0:
                ax.set_title(f"{month:%Y-%m}", fontsize=10)
            if c == 0:
                ax.set_ylabel(scen, fontsize=9)
    sm = ScalarMappable(norm=norm, cmap=cmap)
    bar = grid_fig.colorbar(sm, ax=axes, location="bottom", shrink=0.6, aspect=35, pad=0.02)
    bar.set_label(bar_label)
    if not control:
        bar.set_ticks(_sqrt_ticks(norm.vmax))
    bar.ax.xaxis.set_major_formatter(Readable())
    what = "IS control of the areas" if control else f"Insurgent incidents by {level}"
    fig.suptitle(f"{what}: a row per scenario, a column per month", fontsize=11)
    if note:  # what was shown instead, and how to get the area level: a caption, not the title
        grid_fig.supxlabel(textwrap.fill(note, width=int(width * 14)), fontsize=8.5, color="0.3")
    return fig


def _sqrt_ticks(top: float, gap: float = 0.1) -> list[float]:
    """Round ticks (0, 1, 2, 5, 10, 20, 50, ...) spread evenly on a square-root scale."""
    ticks, last = [0.0], 0.0
    for power in range(0, 9):
        for m in (1, 2, 5):
            v = m * 10.0**power
            pos = np.sqrt(v / top)
            if v <= top and pos - last >= gap:
                ticks.append(v)
                last = pos
    return ticks


def _draw_key(
    ax, areas: pd.DataFrame, edges: pd.DataFrame, govs: pd.DataFrame, centres: bool = False
) -> None:
    """The network with governorate names: the key to the small maps below it."""
    _draw_base(ax, areas, edges)
    if centres:
        ax.scatter(
            govs["lon"], govs["lat"], s=55, facecolors="none", edgecolors="0.2", lw=0.8, zorder=4
        )
    ax.scatter(
        areas["lon"],
        areas["lat"],
        s=_area_sizes(areas, 6.0, 60.0),
        color="0.75",
        edgecolors="0.35",
        linewidths=0.5,
        zorder=3,
    )
    for name, (lat, lon) in govs[["lat", "lon"]].iterrows():
        dx, dy, align = _NAME_PLACES.get(str(name), (0.0, 0.3, "center"))
        ax.text(
            lon + dx,
            lat + dy,
            str(name),
            fontsize=7,
            color="0.15",
            ha=align,
            va="center",
            zorder=4,
            path_effects=HALO,
        )
    ax.set_title("Key: governorates and the model's areas", fontsize=10)
    caption = (
        "Dots: the areas of the network at their coordinates (size: population); blue lines: "
        "its road links (dotted: border crossings)."
        + ("  Circles: the governorates' centres." if centres else "")
    )
    ax.set_xlabel(
        textwrap.fill(caption, width=110) + "\n" + textwrap.fill(SOURCE_NOTE, width=110),
        fontsize=7.5,
        color="0.3",
    )
