"""Comparing scenarios of a stored batch: fan charts, paired differences, summary table, map.

Every function reads stored results only (a :class:`~model.experiments.results.BatchResults` or a batch
folder) and returns a pandas DataFrame or a matplotlib ``Figure`` (built without pyplot, so it
works headless and in notebooks alike). ``write_report`` puts them all in one self-contained
HTML page (``model/report.py``); ``stabsim compare`` is its command line. No Mesa here.

Paired differences use the batch's common random numbers: replicate *r* of a design point has
the same seed in every scenario, so run (scenario, point, r) is compared with run (reference,
point, r) and the luck of the draw cancels out. Confidence intervals are percentile bootstraps
over these pairs, drawn from NumPy generators with fixed seeds, so a report is reproducible.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import textwrap
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, PowerNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import Formatter, MaxNLocator

from model.experiments.results import BatchResults, open_batch
from model.experiments.store import StoreError
from model.files.config import ConfigError, _suggest
from model.simulation.outcomes import MONTHLY, SUMMARY


@contextlib.contextmanager
def _keep_backend() -> Iterator[None]:
    # model.analysis.overview selects the Agg backend when imported; a notebook must keep its own.
    raw = dict.__getitem__(matplotlib.rcParams, "backend")
    pyplot = sys.modules.get("matplotlib.pyplot")
    current = matplotlib.get_backend() if pyplot is not None else None
    try:
        yield
    finally:
        if pyplot is not None and matplotlib.get_backend() != current:
            pyplot.switch_backend(current)
        elif pyplot is None:
            dict.__setitem__(matplotlib.rcParams, "backend", raw)


with _keep_backend():
    from model.analysis.overview import label

__all__ = [
    "BOOTSTRAP_SEED",
    "DEFAULT_OUTCOMES",
    "OKABE_ITO",
    "Readable",
    "Results",
    "check_months",
    "check_outcomes",
    "check_reference",
    "check_scenarios",
    "default_map_months",
    "difference_chart",
    "fan_chart",
    "fan_grid",
    "forest_plot",
    "format_number",
    "map_values",
    "monthly_differences",
    "monthly_quantiles",
    "network_map",
    "open_results",
    "paired_differences",
    "place_name",
    "read_monthly",
    "read_summary",
    "scenario_colours",
    "split_names",
    "summary_table",
    "title",
    "wilson",
    "write_report",
]

Results = BatchResults | str | os.PathLike
"""A batch: its ``BatchResults`` or its folder."""

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

DEFAULT_OUTCOMES: tuple[str, ...] = (
    "is_fighters",
    "incidents",
    "civilian_deaths",
    "idps",
    "legitimacy_sunni_arab",
    "stability",
)
"""Monthly outcomes shown when none are chosen."""

BOOTSTRAP_SEED = 20170401
"""Seed of every bootstrap (with the scenario and outcome names mixed in)."""
N_BOOT = 2000
MAP_COLOUR_BY: tuple[str, ...] = ("control", "incidents")
DATE_UNIT = "month (date)"
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_Q_NAMES = ("p5", "p25", "median", "p75", "p95")
_WILSON_Z = 1.959963984540054  # 95%
_STEPS = (1, 2, 2.5, 5, 10)


# ---- names and checks -------------------------------------------------------------------------


_TITLES = {
    "is_held_areas": "IS-held areas",
    "syria_is_fighters": "IS fighters in Syria",
    "pop_under_is": "Population under IS rule",
    "defeat_month": "Month of territorial defeat",
    "months_to_defeat": "Months to territorial defeat",
    "resurgence": "Probability of resurgence",
}


def title(name: str) -> str:
    """A readable title for an outcome ("mean_incidents_last24" -> "Incidents, mean of the
    last 24 months")."""
    if name in _TITLES:
        return _TITLES[name]
    if name.startswith("mean_") and name.endswith("_last24"):
        return f"{title(name[5:-7])}, mean of the last 24 months"
    if name.endswith("_final"):
        return f"{title(name[:-6])} at the horizon"
    return label(name)


def open_results(results: Results) -> BatchResults:
    """A ``BatchResults`` for a batch or its folder.

    Raises:
        ConfigError: the folder does not exist or holds no batch.
    """
    if isinstance(results, BatchResults):
        return results
    path = Path(results)
    if not path.exists():
        raise ConfigError(
            f"{path}: no such folder", allowed="a batch folder such as runs/<batch-id>"
        )
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder", allowed="a batch folder such as runs/<batch-id>")
    try:
        return open_batch(path)
    except StoreError as exc:
        raise ConfigError(str(exc), allowed="a batch folder written by `stabsim batch`") from None


def split_names(names: str | Iterable[str] | None) -> list[str] | None:
    """Names from ``"a,b"`` or a list, stripped, without repeats (None stays None)."""
    if names is None:
        return None
    if isinstance(names, str):
        names = names.split(",")
    out = [n.strip() for n in names if n and n.strip()]
    return list(dict.fromkeys(out))


def check_scenarios(
    res: BatchResults, scenarios: str | Iterable[str] | None, key: str = "scenarios"
) -> list[str]:
    """The chosen scenarios in batch order (all by default).

    Raises:
        ConfigError: a name is not a scenario of the batch.
    """
    names = split_names(scenarios)
    if not names:
        return res.scenarios
    for name in names:
        if name not in res.scenarios:
            raise ConfigError(
                f"no scenario '{name}' in batch {res.manifest.get('batch_id')}",
                key=key,
                allowed=", ".join(res.scenarios),
                suggestion=_suggest(name, res.scenarios),
            )
    return [s for s in res.scenarios if s in names]


def check_reference(res: BatchResults, reference: str | None, key: str = "reference") -> str:
    """The reference scenario (default: the batch's first).

    Raises:
        ConfigError: not a scenario of the batch.
    """
    if reference is None:
        return res.scenarios[0]
    return check_scenarios(res, [reference], key)[0]


def _recorded(res: BatchResults, scenarios: Sequence[str]) -> set[str]:
    """Monthly outcomes every chosen scenario records."""
    recorded = None
    for sd in res.manifest["batch"]["scenarios"]:
        if sd["name"] in scenarios:
            names = set(sd.get("outcomes") or MONTHLY)
            recorded = names if recorded is None else recorded & names
    return recorded if recorded is not None else set(MONTHLY)


def _levels(res: BatchResults, scenarios: Sequence[str]) -> set[str]:
    """Monthly-table levels every chosen scenario records."""
    levels = None
    for sd in res.manifest["batch"]["scenarios"]:
        if sd["name"] in scenarios:
            names = set(sd.get("levels") or ("national", "governorate"))
            levels = names if levels is None else levels & names
    return levels or {"national"}


def check_outcomes(
    res: BatchResults,
    outcomes: str | Iterable[str] | None,
    scenarios: Sequence[str] | None = None,
    level: str = "national",
    key: str = "outcomes",
) -> tuple[list[str], list[str]]:
    """Split chosen outcome names into monthly and run-level (summary) ones.

    Without a choice: the default monthly outcomes that the batch records at ``level``, and every
    numeric run-level outcome.

    Raises:
        ConfigError: an unknown name, or a monthly outcome not recorded at ``level``.
    """
    scenarios = list(scenarios or res.scenarios)
    recorded = _recorded(res, scenarios)
    names = split_names(outcomes)
    if not names:
        monthly = [o for o in DEFAULT_OUTCOMES if o in recorded and level in MONTHLY[o].levels]
        return monthly, list(_numeric_summary())
    monthly, summary = [], []
    for name in names:
        if name in MONTHLY:
            if name not in recorded:
                raise ConfigError(
                    f"outcome '{name}' is not recorded by every chosen scenario (their "
                    "`outcomes:` leave it out)",
                    key=key,
                    allowed=", ".join(o for o in MONTHLY if o in recorded),
                )
            if level not in MONTHLY[name].levels:
                raise ConfigError(
                    f"outcome '{name}' has no {level} level (it has: "
                    f"{', '.join(MONTHLY[name].levels)})",
                    key=key,
                    allowed=", ".join(o for o in MONTHLY if level in MONTHLY[o].levels),
                )
            monthly.append(name)
        elif name in SUMMARY:
            if SUMMARY[name].unit == DATE_UNIT:
                raise ConfigError(
                    f"outcome '{name}' is a date; its run-level comparison is in the summary "
                    "table (use months_to_defeat for a paired difference)",
                    key=key,
                    allowed=", ".join(_numeric_summary()),
                )
            summary.append(name)
        else:
            known = [*MONTHLY, *SUMMARY]
            raise ConfigError(
                f"unknown outcome '{name}'",
                key=key,
                allowed="the names listed by `stabsim outcomes`",
                suggestion=_suggest(name, known),
            )
    return monthly, summary or list(_numeric_summary())


def _only_monthly(
    res: BatchResults, outcomes: str | Iterable[str] | None, scenarios: Sequence[str], level: str
) -> list[str]:
    monthly, _ = check_outcomes(res, outcomes, scenarios, level)
    other = [n for n in split_names(outcomes) or [] if n not in MONTHLY]
    if other or not monthly:
        raise ConfigError(
            f"'{other[0]}' is a run-level outcome (see paired_differences)"
            if other
            else "no monthly outcome recorded at this level",
            key="outcomes",
            allowed="monthly outcomes: "
            + ", ".join(o for o in MONTHLY if level in MONTHLY[o].levels),
        )
    return monthly


def _only_summary(
    res: BatchResults, outcomes: str | Iterable[str] | None, scenarios: Sequence[str]
) -> list[str]:
    _, summary = check_outcomes(res, outcomes, scenarios)
    other = [n for n in split_names(outcomes) or [] if n in MONTHLY]
    if other:
        raise ConfigError(
            f"'{other[0]}' is a monthly outcome (see monthly_differences)",
            key="outcomes",
            allowed="run-level outcomes: " + ", ".join(_numeric_summary()),
        )
    return summary


def _numeric_summary() -> list[str]:
    return [o.name for o in SUMMARY.values() if o.unit != DATE_UNIT]


def scenario_colours(results: Results) -> dict[str, str]:
    """A colour per scenario of the batch (Okabe-Ito, by batch order; stable across figures)."""
    names = open_results(results).scenarios
    return {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(names)}


def _styles(res: BatchResults) -> dict[str, tuple[str, str]]:
    dashes = ("-", "--", ":", "-.")
    return {
        name: (OKABE_ITO[i % len(OKABE_ITO)], dashes[(i // len(OKABE_ITO)) % len(dashes)])
        for i, name in enumerate(res.scenarios)
    }


def place_name(level: str, unit: str | None) -> str:
    """Where a chart's numbers come from, for titles ("Iraq", "Nineveh governorate")."""
    if level == "national":
        return "Iraq"
    if level == "governorate":
        return f"{unit} governorate"
    return f"area {unit}"


# ---- reading ----------------------------------------------------------------------------------


def read_monthly(
    res: BatchResults,
    scenarios: Sequence[str],
    columns: Sequence[str],
    level: str = "national",
    unit: str | None = None,
) -> pd.DataFrame:
    """Monthly rows of one unit, for the chosen scenarios; a clear error if there is nothing."""
    if level not in ("national", "governorate", "area"):
        raise ConfigError(
            f"unknown level '{level}'", key="level", allowed="national, governorate, area"
        )
    if level not in _levels(res, scenarios):
        raise ConfigError(
            f"the {level} level is not recorded by every chosen scenario",
            key="level",
            allowed=", ".join(sorted(_levels(res, scenarios))),
        )
    frame = res.monthly(level=level, scenarios=scenarios, columns=list(columns))
    if frame.empty:
        raise ConfigError(
            f"batch {res.manifest.get('batch_id')} has no finished runs for "
            f"{', '.join(scenarios)} yet",
            allowed="a batch with done runs (see `stabsim status`)",
        )
    if level == "national":
        if unit not in (None, "Iraq"):
            raise ConfigError(
                f"unit '{unit}' needs a level", key="unit", allowed="--level governorate or area"
            )
        return frame
    units = sorted(frame["unit"].unique())
    if unit is None:
        raise ConfigError(f"the {level} level needs a unit", key="unit", allowed=", ".join(units))
    if unit not in units:
        raise ConfigError(
            f"no {level} '{unit}' in this batch",
            key="unit",
            allowed=", ".join(units),
            suggestion=_suggest(unit, units),
        )
    return frame[frame["unit"] == unit].reset_index(drop=True)


def read_summary(res: BatchResults, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """The run summaries of the done runs (``BatchResults.summary``), also when the parts
    disagree on the unit of a date column.

    A date column in which every value is missing may be stored as ``timestamp[ms]`` in one
    part and ``timestamp[us]`` in another, which ``pyarrow`` refuses to unify; the parts are
    then read one by one and pandas unifies the units.
    """
    import pyarrow as pa

    try:
        return res.summary(scenarios=scenarios)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        files = res.files("summary", scenarios)
        frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        order = frame["scenario"].map({s: i for i, s in enumerate(res.scenarios)})
        frame = frame.assign(_order=order).sort_values(
            ["_order", "design_point", "replicate"], kind="stable"
        )
        return frame.drop(columns="_order").reset_index(drop=True)


def _summary(res: BatchResults, scenarios: Sequence[str]) -> pd.DataFrame:
    frame = read_summary(res, scenarios)
    if frame.empty:
        raise ConfigError(
            f"batch {res.manifest.get('batch_id')} has no finished runs for "
            f"{', '.join(scenarios)} yet",
            allowed="a batch with done runs (see `stabsim status`)",
        )
    return frame


# ---- quantiles and fan charts -----------------------------------------------------------------


def monthly_quantiles(
    results: Results,
    outcome: str,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Median and 50%/90% bands of a monthly outcome over the runs of each scenario.

    Runs of every design point are pooled.

    Returns:
        One row per scenario and month: ``scenario, month, runs, p5, p25, median, p75, p95``.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    _only_monthly(res, [outcome], chosen, level)
    if frame is None:
        frame = read_monthly(res, chosen, [outcome], level, unit)
    frame = frame[frame["scenario"].isin(chosen)]
    grouped = frame.groupby(["scenario", "month"], sort=False)[outcome]
    q = grouped.quantile(list(_QUANTILES)).unstack()
    q.columns = list(_Q_NAMES)
    q.insert(0, "runs", grouped.count())
    q = q.reset_index()
    q["_order"] = q["scenario"].map({s: i for i, s in enumerate(chosen)})
    q = q.sort_values(["_order", "month"], kind="stable").drop(columns="_order")
    return q.reset_index(drop=True)


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


def _runs_note(q: pd.DataFrame) -> str:
    runs = sorted(set(q.groupby("scenario")["runs"].max()))
    text = f"{runs[0]}" if len(runs) == 1 else f"{runs[0]}-{runs[-1]}"
    return f"{text} runs per scenario"


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
    ax.set_title(
        f"{title(outcome)}, {place_name(level, unit)}\nmedian and bands over runs ({_runs_note(q)})",
        fontsize=11,
    )
    handles, labels = _legend_handles(chosen, styles, bands=False)
    fig.legend(handles, labels, loc="outside right upper", fontsize=9, title="scenario")
    fig.legend(
        _band_handles(), list(_BAND_LABELS), loc="outside right lower", fontsize=9, title="bands"
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
    ncols = max(1, min(ncols, len(monthly)))
    nrows = -(-len(monthly) // ncols)
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
        f"Scenarios compared, {place_name(level, unit)}: median and bands over runs ({note})",
        fontsize=12,
    )
    bands = list(zip(_band_handles(), _BAND_LABELS, strict=True))
    _legend_rows(fig, _scenario_rows(chosen, styles, bands))
    return fig


# ---- paired differences -----------------------------------------------------------------------


def _rng(seed: int, *names: str) -> np.random.Generator:
    """A generator for one (scenario, outcome): the same draws whatever else is compared."""
    key = tuple(zlib.crc32(n.encode("utf-8")) for n in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


_STATS: dict[str, Callable[..., np.ndarray]] = {"mean": np.mean, "median": np.median}


def _bootstrap(
    x: np.ndarray,
    statistic: str,
    confidence: float,
    rng: np.random.Generator,
    n_boot: int = N_BOOT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Statistic of each row of ``x`` (rows x pairs) and its percentile bootstrap interval.

    Pairs (columns) are resampled with replacement, the same resamples for every row. With
    fewer than two pairs the interval is NaN.
    """
    stat = _STATS[statistic]
    x = np.atleast_2d(np.asarray(x, dtype=float))
    rows, n = x.shape
    est = stat(x, axis=1) if n else np.full(rows, np.nan)
    lo = np.full(rows, np.nan)
    hi = np.full(rows, np.nan)
    if n < 2:
        return est, lo, hi
    idx = rng.integers(0, n, size=(n_boot, n))
    alpha = (1.0 - confidence) / 2.0
    chunk = max(1, int(8_000_000 // (n_boot * n)))
    for start in range(0, rows, chunk):
        block = x[start : start + chunk][:, idx]  # rows x n_boot x n
        boot = stat(block, axis=2)
        lo[start : start + chunk], hi[start : start + chunk] = np.quantile(
            boot, [alpha, 1.0 - alpha], axis=1
        )
    return est, lo, hi


def _paired(
    frame: pd.DataFrame, columns: Sequence[str], scenario: str, reference: str, keys: list[str]
) -> pd.DataFrame:
    """Scenario minus reference, run by run (same design point and replicate)."""
    cur = frame.loc[frame["scenario"] == scenario, [*keys, *columns]].set_index(keys)
    ref = frame.loc[frame["scenario"] == reference, [*keys, *columns]].set_index(keys)
    cur, ref = cur.align(ref, join="inner")
    return cur.astype(float) - ref.astype(float)


def paired_differences(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    confidence: float = 0.95,
    n_boot: int = N_BOOT,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Run-level outcomes of each scenario minus the reference, paired by common random numbers.

    Run (scenario, design point, replicate r) is compared with (reference, design point, r).
    Pairs where either run has no value (e.g. months_to_defeat of a run never defeated) are left
    out; ``pairs`` counts those kept.

    Args:
        results: the batch (``BatchResults`` or its folder).
        reference: the scenario compared against (default: the batch's first).
        outcomes: numeric run-level outcomes (default: all of model.simulation.outcomes.SUMMARY but dates).
        scenarios: scenarios compared (default: all but the reference; include the reference to
            get its zero row).
        confidence: level of the bootstrap interval of the mean difference.
        n_boot: bootstrap resamples.
        seed: bootstrap seed.

    Returns:
        One row per scenario and outcome: ``scenario, reference, outcome, unit, higher_is,
        pairs, mean, ci_low, ci_high, median, reference_mean``.
    """
    res = open_results(results)
    ref = check_reference(res, reference)
    if scenarios is None:
        chosen = [s for s in res.scenarios if s != ref]
    else:
        chosen = check_scenarios(res, scenarios)
    names = _only_summary(res, outcomes, chosen)
    frame = _summary(res, list(dict.fromkeys([ref, *chosen])))
    rows = []
    for scen in chosen:
        diffs = _paired(frame, names, scen, ref, ["design_point", "replicate"])
        ref_vals = frame.loc[frame["scenario"] == ref]
        for name in names:
            d = diffs[name].to_numpy()
            d = d[np.isfinite(d)]
            est, lo, hi = _bootstrap(
                d[None, :], "mean", confidence, _rng(seed, scen, ref, name), n_boot
            )
            rows.append(
                {
                    "scenario": scen,
                    "reference": ref,
                    "outcome": name,
                    "unit": SUMMARY[name].unit,
                    "higher_is": SUMMARY[name].higher_is,
                    "pairs": len(d),
                    "mean": est[0],
                    "ci_low": lo[0],
                    "ci_high": hi[0],
                    "median": float(np.median(d)) if len(d) else np.nan,
                    "reference_mean": float(ref_vals[name].astype(float).mean()),
                }
            )
    return pd.DataFrame(rows)


def monthly_differences(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
    statistic: str = "median",
    confidence: float = 0.90,
    n_boot: int = N_BOOT,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Monthly outcomes of each scenario minus the reference, month by month, paired by run.

    Args:
        results: the batch (``BatchResults`` or its folder).
        reference: the scenario compared against (default: the batch's first).
        outcomes: monthly outcomes (default: ``DEFAULT_OUTCOMES`` that the batch records).
        scenarios: scenarios compared (default: all but the reference).
        level: ``"national"``, ``"governorate"`` or ``"area"``.
        unit: the governorate or area (with those levels).
        statistic: ``"median"`` or ``"mean"`` of the paired differences.
        confidence: level of the bootstrap interval of that statistic.
        n_boot: bootstrap resamples.
        seed: bootstrap seed.

    Returns:
        One row per scenario, outcome and month: ``scenario, reference, outcome, unit, month,
        pairs, difference, ci_low, ci_high``.
    """
    if statistic not in _STATS:
        raise ConfigError(
            f"unknown statistic '{statistic}'", key="statistic", allowed="median, mean"
        )
    res = open_results(results)
    ref = check_reference(res, reference)
    if scenarios is None:
        chosen = [s for s in res.scenarios if s != ref]
    else:
        chosen = check_scenarios(res, scenarios)
    both = list(dict.fromkeys([ref, *chosen]))
    monthly = _only_monthly(res, outcomes, both, level)
    frame = read_monthly(res, both, monthly, level, unit)
    out = []
    for scen in chosen:
        diffs = _paired(frame, monthly, scen, ref, ["design_point", "replicate", "month"])
        for name in monthly:
            wide = diffs[name].unstack(["design_point", "replicate"]).sort_index()
            wide = wide.dropna(axis=1, how="any")
            est, lo, hi = _bootstrap(
                wide.to_numpy(),
                statistic,
                confidence,
                _rng(seed, scen, ref, name, "monthly"),
                n_boot,
            )
            out.append(
                pd.DataFrame(
                    {
                        "scenario": scen,
                        "reference": ref,
                        "outcome": name,
                        "unit": MONTHLY[name].unit,
                        "month": wide.index,
                        "pairs": wide.shape[1],
                        "difference": est,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
            )
    if not out:
        return pd.DataFrame(
            columns=[
                "scenario",
                "reference",
                "outcome",
                "unit",
                "month",
                "pairs",
                "difference",
                "ci_low",
                "ci_high",
            ]
        )
    return pd.concat(out, ignore_index=True)


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
    ref = str(data["reference"].iloc[0]) if len(data) else check_reference(res, reference)
    names = list(dict.fromkeys(data["outcome"]))
    if not names:
        raise ConfigError("no scenario to compare with the reference", key="scenarios")
    shown = [s for s in res.scenarios if s in set(data["scenario"])]
    styles = _styles(res)
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
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
    pairs = sorted(set(data["pairs"]))
    pair_text = f"{pairs[0]}" if len(pairs) == 1 else f"{pairs[0]}-{pairs[-1]}"
    fig.suptitle(
        f"Difference from {ref}, {place_name(level, unit)}: {stat} of paired runs "
        f"({pair_text} pairs, same seeds) with its {confidence:.0%} bootstrap interval",
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
    """Mean paired difference from the reference of each run-level outcome, with its 95%
    bootstrap interval: one panel per outcome, a row per scenario.

    A filled marker: the interval excludes zero; a hollow one: it includes zero.

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
    ref = str(data["reference"].iloc[0]) if len(data) else check_reference(res, reference)
    names = list(dict.fromkeys(data["outcome"]))
    if not names:
        raise ConfigError("no scenario to compare with the reference", key="scenarios")
    shown = [s for s in res.scenarios if s in set(data["scenario"])]
    styles = _styles(res)
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    height = 0.32 * len(shown) + 1.45
    fig = Figure(figsize=(3.5 * ncols + 1.0, height * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    ypos = {s: len(shown) - 1 - i for i, s in enumerate(shown)}
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        part = data[data["outcome"] == name]
        ax.axvline(0.0, color="0.25", lw=0.9)
        for _, row in part.iterrows():
            colour, _dash = styles[row["scenario"]]
            y = ypos[row["scenario"]]
            if np.isfinite(row["ci_low"]):
                ax.plot([row["ci_low"], row["ci_high"]], [y, y], color=colour, lw=2.2)
            excludes = np.isfinite(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)
            ax.plot(
                row["mean"],
                y,
                "o",
                ms=7,
                color=colour,
                mfc=colour if excludes else "white",
                mew=1.8,
            )
        ax.set_yticks(list(ypos.values()), list(ypos.keys()) if i % ncols == 0 else [])
        ax.set_ylim(-0.7, len(shown) - 0.3)
        ax.xaxis.set_major_formatter(Readable())
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=_STEPS))
        o = SUMMARY[name]
        unit_text = "share of runs" if o.unit == "0/1" else o.unit
        ax.set_xlabel(f"difference, {unit_text}", fontsize=9)
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
    fig.suptitle(
        f"Run-level outcomes: mean paired difference from {ref} with its 95% bootstrap "
        "interval (filled: the interval excludes 0)",
        fontsize=12,
    )
    return fig


def _pad_symmetric(ax) -> None:
    """Keep 0 inside the axis with some room on both sides."""
    lo, hi = ax.get_xlim()
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = hi - lo or 1.0
    ax.set_xlim(lo - 0.05 * span, hi + 0.05 * span)


# ---- summary table ----------------------------------------------------------------------------


def _months(values: pd.Series) -> np.ndarray:
    """Dates as month numbers (year * 12 + month - 1); missing dates as +inf (never)."""
    dt = pd.to_datetime(values)
    out = (dt.dt.year * 12 + dt.dt.month - 1).to_numpy(dtype=float, na_value=np.inf)
    return out


def _month_date(x: float) -> pd.Timestamp:
    if not np.isfinite(x):
        return pd.NaT
    m = int(np.floor(x + 0.5))
    return pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1)


def _quantiles_never(x: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Quantiles where +inf means "never within the horizon" (a quantile past it is NaN)."""
    if len(x) == 0:
        return [np.nan] * len(qs)
    with np.errstate(invalid="ignore"):
        vals = np.quantile(x, qs)
    return [float(v) if np.isfinite(v) else np.nan for v in vals]


def wilson(successes: int, n: int, z: float = _WILSON_Z) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default); NaN for n = 0."""
    if n == 0:
        return np.nan, np.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


_EVENTS = ("defeat_month", "resurgence_month", "kirkuk_crisis_month")


def summary_table(results: Results, scenarios: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Run-level outcomes per scenario: median and 5-95% range, and event probabilities.

    For every numeric outcome of model.simulation.outcomes.SUMMARY: ``<name>_median``, ``<name>_p5``,
    ``<name>_p95``. For resurgence: ``resurgence_probability`` with its 95% Wilson interval
    (``resurgence_low``, ``resurgence_high``). For the dated events (territorial defeat,
    resurgence, Kirkuk crisis): the share of runs where it happened (``<name>_share``) and the
    median and 5-95% range of its month, counting runs without it as "later than the horizon"
    (a quantile that falls among those is NaT/NaN: "never"). ``months_to_defeat`` likewise.

    Returns:
        One row per scenario (index ``scenario``), starting with ``runs``.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    frame = _summary(res, chosen)
    rows = []
    for scen in chosen:
        part = frame[frame["scenario"] == scen]
        row: dict[str, object] = {"scenario": scen, "runs": len(part)}
        for o in SUMMARY.values():
            if o.name not in part.columns:
                continue
            col = part[o.name]
            if o.name == "resurgence":
                k = int((col.astype(float) == 1).sum())
                n = int(col.notna().sum())
                low, high = wilson(k, n)
                row["resurgence_probability"] = k / n if n else np.nan
                row["resurgence_low"], row["resurgence_high"] = low, high
                continue
            if o.unit == DATE_UNIT:
                x = _months(col)
                row[f"{o.name}_share"] = float(np.isfinite(x).mean()) if len(x) else np.nan
                qs = _quantiles_never(x, (0.5, 0.05, 0.95))
                for suffix, v in zip(("median", "p5", "p95"), qs, strict=True):
                    row[f"{o.name}_{suffix}"] = _month_date(v)
                continue
            x = col.astype(float).to_numpy()
            if o.name == "months_to_defeat":
                x = np.where(np.isnan(x), np.inf, x)
            else:
                x = x[np.isfinite(x)]
            qs = _quantiles_never(x, (0.5, 0.05, 0.95))
            for suffix, v in zip(("median", "p5", "p95"), qs, strict=True):
                row[f"{o.name}_{suffix}"] = v
        rows.append(row)
    return pd.DataFrame(rows).set_index("scenario")


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


# ---- network map ------------------------------------------------------------------------------

# Approximate border of Iraq (lon, lat), traced by hand for orientation only: it is a drawing
# aid, not data (no basemap can be downloaded where reports are built).
_IRAQ_OUTLINE: tuple[tuple[float, float], ...] = (
    (42.36, 37.11), (42.78, 37.38), (43.15, 37.37), (43.60, 37.23), (44.00, 37.32),
    (44.23, 37.28), (44.79, 37.15), (45.00, 36.75), (45.40, 36.20), (45.75, 35.85),
    (46.15, 35.60), (46.15, 35.20), (45.90, 35.00), (45.60, 34.60), (45.50, 34.40),
    (45.75, 33.75), (46.10, 33.10), (46.60, 32.90), (47.25, 32.45), (47.70, 31.90),
    (47.70, 31.40), (47.85, 31.00), (48.00, 30.50), (48.55, 29.95), (47.95, 29.98),
    (47.70, 30.10), (47.15, 30.00), (46.55, 29.10), (44.72, 29.20), (43.00, 30.10),
    (42.08, 31.10), (40.41, 31.95), (39.20, 32.15), (38.79, 33.38), (40.98, 34.42),
    (41.22, 34.80), (41.22, 35.60), (41.30, 36.05), (41.40, 36.50), (42.10, 36.80),
)  # fmt: skip


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
            suggestion=_suggest(colour_by, MAP_COLOUR_BY),
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
    ax.add_patch(
        Polygon(_IRAQ_OUTLINE, closed=True, facecolor="#f4f4f1", edgecolor="0.55", lw=0.8, zorder=0)
    )
    known = edges[edges["a"].isin(areas.index) & edges["b"].isin(areas.index)]
    for kind, style in (("road", "-"), ("border", ":")):
        part = known[known["kind"] == kind]
        segments = [
            [(areas.at[a, "lon"], areas.at[a, "lat"]), (areas.at[b, "lon"], areas.at[b, "lat"])]
            for a, b in part[["a", "b"]].itertuples(index=False)
        ]
        ax.add_collection(
            LineCollection(segments, colors="0.55", linewidths=0.5, alpha=0.55, linestyles=style)
        )
    if country_names:
        ax.text(43.3, 30.4, "IRAQ", fontsize=8, color="0.55", ha="center", zorder=1)
        ax.text(39.3, 36.9, "SYRIA", fontsize=8, color="0.55", ha="center", zorder=1)
    ax.set_xlim(37.8, 48.8)
    ax.set_ylim(29.3, 37.6)
    ax.set_aspect(1.0 / np.cos(np.radians(33.5)))  # degrees of longitude shrink with latitude
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("0.8")


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

    Areas sit at their coordinates, the network's links drawn faintly, inside an approximate
    outline of Iraq; a key map on top names the governorates. ``colour_by="control"``: the share
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
    heading = f"{what}: a row per scenario, a column per month"
    if note:
        heading += "\n" + textwrap.fill(note, width=int(width * 13))
    fig.suptitle(heading, fontsize=11)
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
        )
    ax.set_title("Key: governorates and the model's areas", fontsize=10)
    ax.set_xlabel(
        "Dots: the areas of the network at their coordinates (size: population); lines: its "
        "road links (dotted: border crossings);\ngrey shape: approximate outline of Iraq, for "
        "orientation only." + ("  Circles: the governorates' centres." if centres else ""),
        fontsize=7.5,
        color="0.3",
    )


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


# ---- report -----------------------------------------------------------------------------------


def write_report(
    results: Results,
    out_dir: str | os.PathLike | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    reference: str | None = None,
    months: str | Iterable[object] | None = None,
    level: str = "national",
    unit: str | None = None,
    colour_by: str = "control",
) -> Path:
    """Write every figure, the tables and a self-contained HTML report; return report.html.

    See :func:`model.analysis.report.write_report`.
    """
    from model.analysis.report import write_report as _write

    return _write(results, out_dir, outcomes, scenarios, reference, months, level, unit, colour_by)
