"""Sensitivity analysis and scenario discovery, from stored batch results.

A *study* (a YAML file, ``docs/sensitivity.md``) names the levers and parameters to vary, the
method, the sample size, the outcomes, the scenario to start from, replicates and a master seed.
``run_study`` turns it into a batch (``model.experiments.design``), runs it through the batch machinery
(``model.experiments.executors.execute`` into a ``model.experiments.store.BatchStore``: same executors, seeds and resume)
and then analyses the stored results:

    morris   screening: SALib's Morris elementary effects (mu*, sigma), ``n`` trajectories.
    sobol    variance decomposition: SALib's Saltelli/Sobol' sampling and estimators (S1, ST
             with bootstrap confidence intervals), ``N = n``.
    oat      one at a time: each name from low to high in ``n`` steps, the others at the
             scenario's value; a tornado chart of the outcome at low vs high.
    lhs      a Latin hypercube of ``n`` points for scenario discovery (PRIM).

Time-series outcomes (national monthly table) are summarised per year of the horizon and
analysed year by year. Scenario discovery (``discover``) finds boxes of lever and parameter
space where a binary outcome holds, with PRIM (Friedman & Fisher 1999), implemented here.

Everything here reads stored results only and never imports Mesa; ``run_study`` imports the
runner (which does) only when it runs the model.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.files.config import (  # the shared error-message helpers
    FrozenMap,
    _suggest,
)
from model.files.study import (  # noqa: F401  (re-exported: the study file's API)
    _DATE_OUTCOMES,
    METHODS,
    PER_YEAR,
    Condition,
    Study,
    _as_number,
    base_outcome,
    load_study,
    parse_condition,
    study_from_dict,
    study_from_record,
)
from model.simulation import outcomes as _outcomes
from model.simulation.parameters import REGISTRY

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from model.experiments.design import Design, RunSpec
    from model.experiments.executors import Report
    from model.experiments.results import BatchResults
    from model.files.config import Batch

__all__ = [
    "METHODS",
    "Condition",
    "DiscoveryResult",
    "Output",
    "PrimResult",
    "Study",
    "StudyError",
    "StudyResult",
    "StudyRun",
    "analyze_study",
    "base_outcome",
    "condition_values",
    "discover",
    "load_study",
    "morris_indices",
    "oat_design",
    "oat_effects",
    "open_study",
    "parse_condition",
    "plot_morris",
    "plot_over_time",
    "plot_prim",
    "plot_sobol",
    "plot_tornado",
    "prim",
    "record_study",
    "run_study",
    "sobol_indices",
    "study_from_dict",
    "study_outputs",
]

STUDY_FILE = "study.json"
OUTPUT_DIR = "sensitivity"


def study_design(study: Study, batch: Batch | None = None) -> Design:
    """The design points of a study (SALib's sample, or the one-at-a-time sweep)."""
    if study.method == "oat":
        return oat_design(study.names, list(study.vary.values()), study.centre(), study.n)
    from model.experiments.design import parse_design

    return parse_design(batch if batch is not None else study.batch())


def study_plan(study: Study) -> tuple[Batch, Design, list[RunSpec]]:
    """The batch, its design and its run specs (imports the model to derive seeds)."""
    from model.experiments.design import expand

    batch = study.batch()
    design = study_design(study, batch)
    return batch, design, expand(batch, design)


# ---- the one-at-a-time design -----------------------------------------------------------------


def oat_design(
    names: Sequence[str],
    bounds: Sequence[Sequence[float]],
    centre: Mapping[str, float],
    steps: int,
) -> Design:
    """The one-at-a-time sweep: each name from low to high, the others at the centre.

    Point 0 is the centre (every name at its ``centre`` value); then, for the i-th name, points
    ``1 + i * steps ... i * steps + steps`` move it from low to high in ``steps`` equal steps.
    Whole-number entries are rounded.

    Args:
        names: the varied registry names.
        bounds: (low, high) per name.
        centre: each name's value when another name moves.
        steps: values per name (at least 2: low and high).

    Returns:
        A design of kind ``"oat"`` with ``1 + len(names) * steps`` points.
    """
    from model.experiments.design import Design

    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    base = [float(centre[n]) for n in names]
    points = [tuple(base)]
    for i, name in enumerate(names):
        low, high = (float(b) for b in bounds[i])
        for v in np.linspace(low, high, steps):
            value = float(round(v)) if REGISTRY[name].integer else float(v)
            row = list(base)
            row[i] = value
            points.append(tuple(row))
    return Design(
        "oat",
        tuple(names),
        tuple(points),
        tuple((float(b[0]), float(b[1])) for b in bounds),
        n=None,
        options=FrozenMap({"steps": steps, "centre": tuple(base)}),
    )


# ---- indices (SALib) --------------------------------------------------------------------------


def sobol_indices(
    problem: Mapping[str, Any],
    y: Sequence[float] | np.ndarray,
    *,
    second_order: bool = False,
    conf_level: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Sobol' first-order and total indices (SALib's estimators) with confidence intervals.

    Args:
        problem: SALib problem (``names``, ``bounds``, ``num_vars``).
        y: the output at each point of ``SALib.sample.sobol.sample(problem, N,
            calc_second_order=second_order)``, in sample order.
        second_order: whether the sample has the second-order block.
        conf_level: confidence level of the bootstrap intervals.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        One row per name: ``S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of the interval).
        With ``second_order``, ``result.attrs["S2"]`` holds the pairs (``S2, S2_conf``). A
        constant output gives NaN indices.
    """
    from SALib.analyze import sobol

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(
        index=pd.Index(names, name="name"), columns=["S1", "S1_conf", "ST", "ST_conf"], dtype=float
    )
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        out.attrs["note"] = "constant output" if np.all(np.isfinite(y)) else "missing values"
        return out
    si = sobol.analyze(
        dict(problem),
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=conf_level,
        seed=seed,
    )
    for key in out.columns:
        out[key] = np.asarray(si[key], dtype=float)
    if second_order:
        rows = []
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                rows.append(
                    {
                        "name": a,
                        "other": names[j],
                        "S2": si["S2"][i, j],
                        "S2_conf": si["S2_conf"][i, j],
                    }
                )
        out.attrs["S2"] = pd.DataFrame(rows)
    return out


def morris_indices(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    levels: int = 4,
    conf_level: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Morris elementary-effect statistics (SALib's estimators).

    SALib divides each elementary effect by the step as a share of the range, so ``mu_star``
    is in the outcome's unit per whole range of the input: for a linear effect, the change of
    the outcome from the input's low to its high.

    Args:
        problem: SALib problem.
        x: the sample (``SALib.sample.morris.sample``), one row per point.
        y: the output at each point, in sample order.
        levels: the grid levels of the sample.
        conf_level: confidence level of the bootstrap interval of ``mu_star``.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        One row per name: ``mu, mu_star, mu_star_conf, sigma``.
    """
    from SALib.analyze import morris

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(
        index=pd.Index(names, name="name"),
        columns=["mu", "mu_star", "mu_star_conf", "sigma"],
        dtype=float,
    )
    if not np.all(np.isfinite(y)):
        out.attrs["note"] = "missing values"
        return out
    si = morris.analyze(
        dict(problem),
        np.asarray(x, dtype=float),
        y,
        num_resamples=resamples,
        conf_level=conf_level,
        num_levels=levels,
        seed=seed,
    )
    for key in out.columns:
        out[key] = np.asarray(si[key], dtype=float)
    return out


def oat_effects(
    names: Sequence[str], steps: int, x: np.ndarray, y: Sequence[float] | np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-at-a-time effects on the points of :func:`oat_design`.

    Args:
        names: the varied names, in design order.
        steps: values per name.
        x: the design points (``1 + len(names) * steps`` rows).
        y: the output at each point.

    Returns:
        ``(effects, curves)``: effects has one row per name with ``low, high, baseline, y_low,
        y_high, swing`` (``y_high - y_low``) and ``abs_swing``; curves has ``name, value, y``
        for every step.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    baseline = float(y[0])
    rows, curves = [], []
    for i, name in enumerate(names):
        idx = np.arange(1 + i * steps, 1 + (i + 1) * steps)
        values, ys = x[idx, i], y[idx]
        rows.append(
            {
                "name": name,
                "low": values[0],
                "high": values[-1],
                "baseline": baseline,
                "y_low": ys[0],
                "y_high": ys[-1],
                "swing": ys[-1] - ys[0],
                "abs_swing": abs(ys[-1] - ys[0]),
            }
        )
        curves += [
            {"name": name, "step": j, "value": v, "y": t}
            for j, (v, t) in enumerate(zip(values, ys, strict=True))
        ]
    effects = pd.DataFrame(rows).set_index("name")
    return effects, pd.DataFrame(curves)


# ---- outputs: stored runs -> one value per design point and output ---------------------------


class StudyError(Exception):
    """A study folder that cannot be analysed as asked (one line)."""


@dataclass(frozen=True)
class Output:
    """One analysed output: a run-summary outcome, or a time-series outcome in one year.

    Attributes:
        column: column name in the outputs table, e.g. ``resurgence`` or ``incidents_year2``.
        outcome: the outcome's name in the catalogue.
        year: year of the horizon (1 = the first 12 months), or None for a run summary.
        period: the months of that year, e.g. ``2018-04 to 2019-03`` ("" for a summary).
        start: the year's first month (None for a summary).
        unit: the unit of the analysed value.
    """

    column: str
    outcome: str
    year: int | None = None
    period: str = ""
    start: pd.Timestamp | None = None
    unit: str = ""


def _month_start(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"{text}-01")


def _outcome_unit(outcome: str, per_year: str = "mean", log: bool = False) -> str:
    if outcome == "resurgence":
        unit = "share of runs with a resurgence"
    elif outcome in _outcomes.SUMMARY:
        unit = _outcomes.SUMMARY[outcome].unit
    else:
        unit = _outcomes.MONTHLY[outcome].unit
        if per_year == "sum":
            unit = (
                unit.replace("per month", "per year") if "per month" in unit else f"{unit}-months"
            )
        else:
            unit += {"mean": ", yearly mean", "last": ", at year end", "max": ", yearly peak"}[
                per_year
            ]
    return f"log10(1 + {unit})" if log else unit


def _transform(x: np.ndarray, log: bool) -> np.ndarray:
    """``log10(1 + x)`` for a log-transformed outcome (a zero stays zero), else ``x``."""
    return np.log10(1.0 + np.clip(x, 0.0, None)) if log else x


def study_outputs(results: BatchResults, study: Study) -> tuple[pd.DataFrame, list[Output]]:
    """Every output of the study per design point, averaged over the finished replicates.

    ``months_to_defeat`` of a run without territorial defeat is the horizon (censored). A
    time-series outcome is the national monthly value summarised (``per_year``: mean, sum,
    last or max) over each year of the horizon.

    Returns:
        ``(table, outputs)``: one row per design point (``design_point``, the varied values,
        ``runs``: replicates averaged, then one column per output), and the outputs' list.

    Raises:
        StudyError: a design point has no finished run.
    """
    per_year = study.options.get("per_year", "mean")
    outputs: list[Output] = []
    keys = ["design_point", "replicate"]
    summary_bases = list(dict.fromkeys(base_outcome(o)[0] for o in study.summary_outcomes))
    series_bases = list(dict.fromkeys(base_outcome(o)[0] for o in study.series_outcomes))
    runs = results.summary(columns=summary_bases)
    if runs.empty:
        raise StudyError(f"{results.path}: no finished runs to analyse")
    runs = runs[keys + summary_bases].copy()
    if "months_to_defeat" in runs:
        runs["months_to_defeat"] = (
            runs["months_to_defeat"].astype(float).fillna(float(study.scenario.horizon))
        )
    values: dict[str, np.ndarray] = {}
    for o in study.summary_outcomes:
        base, log = base_outcome(o)
        column = f"log10_{base}" if log else base
        values[column] = _transform(runs[base].to_numpy(dtype=float), log)
        outputs.append(Output(column, o, unit=_outcome_unit(base, log=log)))
    if series_bases:
        monthly = results.monthly(level="national", columns=series_bases)
        start = _month_start(study.scenario.start)
        month = pd.to_datetime(monthly["month"])
        index = (month.dt.year - start.year) * 12 + (month.dt.month - start.month)
        monthly["year"] = (index // 12 + 1).astype(int)
        yearly = monthly.groupby([*keys, "year"], sort=True)[series_bases].agg(per_year)
        years = sorted(yearly.index.get_level_values("year").unique())
        end = start + pd.DateOffset(months=study.scenario.horizon - 1)
        unstacked = yearly.unstack("year")
        aligned = runs[keys].merge(
            unstacked.set_axis(range(unstacked.shape[1]), axis=1).reset_index(), on=keys, how="left"
        )
        position = {col: i for i, col in enumerate(unstacked.columns)}
        for o in study.series_outcomes:
            base, log = base_outcome(o)
            for k in years:
                first = start + pd.DateOffset(months=12 * (k - 1))
                last = min(first + pd.DateOffset(months=11), end)
                column = f"{'log10_' if log else ''}{base}_year{k}"
                period = f"{first:%Y-%m} to {last:%Y-%m}"
                unit = _outcome_unit(base, per_year, log)
                outputs.append(Output(column, o, k, period, first, unit))
                raw = aligned[position[(base, k)]].to_numpy(dtype=float)
                values[column] = _transform(raw, log)
    runs = pd.concat([runs[keys], pd.DataFrame(values, index=runs.index)], axis=1)
    columns = [o.column for o in outputs]
    grouped = runs.groupby("design_point")
    table = grouped[columns].mean()
    table.insert(0, "runs", grouped.size())
    design = results.design()
    table = design.merge(table.reset_index(), on="design_point", how="left")
    table["runs"] = table["runs"].fillna(0).astype(np.int64)
    empty = int((table["runs"] == 0).sum())
    if empty:
        raise StudyError(
            f"{results.path}: {empty} of {len(table)} design points have no finished run; complete "
            f"the study with `stabsim sensitivity --resume {results.path}` (add --retry-failed "
            "for failed runs)"
        )
    return table, outputs


def _index_rows(
    study: Study, outputs: Sequence[Output], frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The per-output index frames as one long table with the output's and name's details."""
    parts = []
    for o in outputs:
        frame = frames.get(o.column)
        if frame is None:
            continue
        f = frame.reset_index()
        f.insert(0, "outcome", o.outcome)
        f.insert(1, "year", o.year)
        f.insert(2, "period", o.period)
        f.insert(3, "unit", o.unit)
        f.insert(5, "kind", [REGISTRY[n].kind for n in f["name"]])
        f.insert(6, "name_unit", [REGISTRY[n].unit for n in f["name"]])
        if "low" not in f:
            f.insert(7, "low", [study.vary[n][0] for n in f["name"]])
            f.insert(8, "high", [study.vary[n][1] for n in f["name"]])
        key = {"sobol": "ST", "morris": "mu_star", "oat": "abs_swing"}[study.method]
        f["rank"] = f[key].rank(ascending=False, method="min").astype("Int64")
        f["note"] = frame.attrs.get("note", "")
        parts.append(f)
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    table["year"] = table["year"].astype("Int64")
    return table


@dataclass
class StudyResult:
    """The analysed study.

    Attributes:
        folder: the run folder.
        study: the study.
        outputs: one row per design point: varied values, runs averaged, outputs.
        indices: one row per output and name (empty for ``lhs``).
        curves: OAT only: the output at every step of every name.
        second_order: Sobol' with ``second_order``: the S2 pairs.
        files: tables and figures written, relative to ``folder``.
        discoveries: the scenario-discovery results of the study's ``discover`` conditions.
    """

    folder: Path
    study: Study
    outputs: pd.DataFrame
    indices: pd.DataFrame
    curves: pd.DataFrame | None = None
    second_order: pd.DataFrame | None = None
    files: list[str] = field(default_factory=list)
    discoveries: list[DiscoveryResult] = field(default_factory=list)

    def top(self, outcome: str, k: int = 3, year: int | None = None) -> pd.DataFrame:
        """The ``k`` most influential names for an outcome (by ST, mu* or swing)."""
        if self.indices.empty:
            return self.indices
        rows = self.indices[self.indices["outcome"] == outcome]
        rows = rows[rows["year"].isna()] if year is None else rows[rows["year"] == year]
        return rows.sort_values("rank").head(k)


def analyze_study(
    folder: str | os.PathLike[str], study: Study | None = None, *, figures: bool = True
) -> StudyResult:
    """Compute the study's indices from its stored runs; write tables and figures.

    Writes ``<folder>/sensitivity/``: ``outputs`` and ``indices`` (Parquet and CSV; OAT adds
    ``oat_curves``, second-order Sobol' ``sobol_s2``), figures (PNG) and ``summary.md``; each
    ``discover`` condition goes to ``sensitivity/discovery/<condition>/``.

    Args:
        folder: a study's run folder (``study.json`` and a batch).
        study: the study (read from ``study.json`` when not given).
        figures: also draw the figures.

    Raises:
        StudyError: no study here, or design points without a finished run.
    """
    from model.experiments.results import open_batch

    folder = Path(folder)
    study = study if study is not None else open_study(folder)
    results = open_batch(folder)
    table, outputs = study_outputs(results, study)
    problem = study.problem()
    x = table[list(study.names)].to_numpy(dtype=float)
    opts = study.options
    frames: dict[str, pd.DataFrame] = {}
    curves, s2 = [], []
    for o in outputs:
        y = table[o.column].to_numpy(dtype=float)
        if study.method == "sobol":
            frame = sobol_indices(
                problem,
                y,
                second_order=bool(opts.get("second_order")),
                conf_level=opts["conf_level"],
                resamples=opts["resamples"],
                seed=study.seed % 2**32,
            )
            if "S2" in frame.attrs:
                s2.append(frame.attrs.pop("S2").assign(outcome=o.outcome, year=o.year))
        elif study.method == "morris":
            frame = morris_indices(
                problem,
                x,
                y,
                levels=int(opts.get("levels", 4)),
                conf_level=opts["conf_level"],
                resamples=opts["resamples"],
                seed=study.seed % 2**32,
            )
        elif study.method == "oat":
            frame, curve = oat_effects(study.names, study.n, x, y)
            curves.append(curve.assign(outcome=o.outcome, year=o.year, period=o.period))
        else:
            continue
        frames[o.column] = frame
    indices = _index_rows(study, outputs, frames)
    result = StudyResult(folder, study, table, indices)
    if curves:
        result.curves = pd.concat(curves, ignore_index=True)
        result.curves["year"] = result.curves["year"].astype("Int64")
    if s2:
        result.second_order = pd.concat(s2, ignore_index=True)
    out = folder / OUTPUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    _clear_outputs(out)
    _write_table(table, out / "outputs", result)
    if not indices.empty:
        _write_table(indices, out / "indices", result)
    if result.curves is not None:
        _write_table(result.curves, out / "oat_curves", result)
    if result.second_order is not None:
        _write_table(result.second_order, out / "sobol_s2", result)
    if figures:
        for name, fig in study_figures(result, outputs):
            _save_figure(fig, out / name)
            result.files.append(f"{OUTPUT_DIR}/{name}")
    for text in study.discover:
        found = discover(folder, text, **_prim_kwargs(study.options.get("prim", {})))
        result.discoveries.append(found)
        result.files += found.files
    _write_text(summary_text(result), out / "summary.md")
    result.files.append(f"{OUTPUT_DIR}/summary.md")
    return result


def _prim_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    keys = {
        "alpha": "alpha",
        "threshold": "threshold",
        "min_mass": "min_mass",
        "boxes": "max_boxes",
        "paste": "paste",
    }
    return {keys[k]: v for k, v in options.items() if k in keys}


_OWNED = ("outputs.", "indices.", "oat_curves.", "sobol_s2.", "summary.md")


def _clear_outputs(out: Path) -> None:
    """Remove the files of an earlier analysis (never the discovery folder)."""
    for entry in out.iterdir():
        if entry.is_file() and (entry.name.startswith(_OWNED) or entry.suffix == ".png"):
            entry.unlink()


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_table(table: pd.DataFrame, stem: Path, result: StudyResult | None = None) -> list[str]:
    """``stem.parquet`` and ``stem.csv``, each written to a temporary file and renamed."""
    from model.experiments.store import write_parquet_atomic

    write_parquet_atomic(table, stem.with_suffix(".parquet"))
    csv = stem.with_suffix(".csv")
    tmp = _tmp(csv)
    table.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, csv)
    names = [_rel(stem.with_suffix(s), result) for s in (".parquet", ".csv")]
    if result is not None:
        result.files += names
    return names


def _rel(path: Path, result: StudyResult | None) -> str:
    if result is None:
        return str(path)
    try:
        return str(path.relative_to(result.folder))
    except ValueError:
        return str(path)


def _write_text(text: str, path: Path) -> None:
    tmp = _tmp(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _save_figure(fig: Figure, path: Path) -> None:
    tmp = _tmp(path)
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)


def _fmt(x: float, digits: int = 3) -> str:
    """A number for people: 3 significant digits, or whole with thousands separators."""
    if x is None or not np.isfinite(x):
        return "nan"
    return f"{x:.{digits}g}" if abs(x) < 10 ** max(digits, 4) else f"{x:,.0f}"


def summary_text(result: StudyResult) -> str:
    """A short Markdown summary: the study, and the three most influential names per outcome."""
    s = result.study
    runs = int(result.outputs["runs"].sum())
    lines = [
        f"# Study {s.name}",
        "",
        s.description or "",
        "",
        f"- method: {s.method}, n = {s.n}; {len(result.outputs)} design points x {s.replicates} replicate(s) = {runs} runs",
        f"- scenario: {s.scenario.name} ({s.scenario_file or s.scenario.path}), {s.scenario.start}, horizon {s.scenario.horizon} months",
        f"- master seed: {s.seed}; folder: {result.folder}",
        f"- varied: {', '.join(f'{n} [{lo:g}, {hi:g}]' for n, (lo, hi) in s.vary.items())}",
        "",
    ]
    if not result.indices.empty:
        metric = {
            "sobol": ("ST", "ST_conf"),
            "morris": ("mu_star", "mu_star_conf"),
            "oat": ("swing", None),
        }[s.method]
        lines += [f"## Most influential (by {metric[0]}; run-summary outcomes)", ""]
        for outcome in s.summary_outcomes:
            top = result.top(outcome)
            parts = []
            for _, row in top.iterrows():
                value = _fmt(row[metric[0]])
                if metric[1]:
                    value += f" ± {_fmt(row[metric[1]])}"
                parts.append(f"{row['name']} {value}")
            note = top["note"].iloc[0] if len(top) and top["note"].iloc[0] else ""
            lines.append(f"- {outcome}: {note or '; '.join(parts)}")
        lines.append("")
    for d in result.discoveries:
        lines += [f"## Discovery: {d.condition}", "", d.describe(), ""]
    lines += ["Files: " + ", ".join(f for f in result.files if not f.endswith(".parquet")), ""]
    return "\n".join(lines)


def open_study(folder: str | os.PathLike[str]) -> Study:
    """The study recorded in a run folder (``study.json`` and the manifest's scenario).

    Raises:
        StudyError: the folder holds no study.
    """
    from model.experiments.store import StoreError, batch_from_manifest, read_manifest

    folder = Path(folder)
    record_path = folder / STUDY_FILE
    try:
        manifest = read_manifest(folder)
    except StoreError as exc:
        raise StudyError(str(exc)) from None
    if not record_path.is_file():
        raise StudyError(
            f"{folder}: not a study folder ({STUDY_FILE} not found); for a batch, use stabsim discover"
        )
    record = json.loads(record_path.read_text(encoding="utf-8"))
    batch = batch_from_manifest(manifest)
    return study_from_record(record, batch.scenarios[0], record.get("path"))


def record_study(study: Study, folder: str | os.PathLike[str]) -> None:
    """Write ``study.json`` (the study as run) into its run folder."""
    folder = Path(folder)
    data = study.to_dict()
    data["written"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    _write_text(json.dumps(data, indent=1, default=str) + "\n", folder / STUDY_FILE)


# ---- running a study --------------------------------------------------------------------------


@dataclass
class StudyRun:
    """What ``run_study`` did.

    Attributes:
        folder: the run folder.
        study: the study.
        report: the execution report (runs done, failed, missing).
        result: the analysis, when every design point has a finished run; else None.
        resumed: whether the folder held the study already.
    """

    folder: Path
    study: Study
    report: Report
    result: StudyResult | None = None
    resumed: bool = False


def run_study(
    study: Study | str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    runs_dir: str | os.PathLike[str] = "runs",
    figures: bool = True,
) -> StudyRun:
    """Run a study through the batch machinery, then analyse it.

    Args:
        study: a :class:`Study`, a study file, or None with ``resume``.
        out: the run folder (resumed if it holds this study).
        resume: a study folder to complete (the study recorded there).
        executor: ``"serial"``, ``"process"`` or ``"dask"`` (``model.experiments.executors``).
        workers: worker processes (default: all cores).
        scheduler: Dask scheduler address.
        progress: show a progress bar.
        retry_failed: also run again runs that failed.
        runs_dir: where ``<study>-<YYYYmmdd-HHMMSS>/`` is created.
        figures: draw the figures.

    Returns:
        The run folder, the execution report and, when the study is complete, its analysis.

    Raises:
        ConfigError: a mistake in the study file.
        StoreError: the folder holds another study or batch, or is in use.
    """
    from model.experiments.executors import execute
    from model.experiments.store import BatchStore

    if study is None:
        if resume is None:
            raise StudyError("give a study, or resume=FOLDER")
        study = open_study(resume)
    elif not isinstance(study, Study):
        study = load_study(study)
    batch, design, specs = study_plan(study)
    with BatchStore.open(batch, specs, design, out=out, resume=resume, runs_dir=runs_dir) as store:
        record_study(study, store.root)
        report = execute(specs, store, executor, workers, scheduler, progress, retry_failed)
        root, resumed = store.root, store.resumed
    run = StudyRun(root, study, report, resumed=resumed)
    if report.complete:
        run.result = analyze_study(root, study, figures=figures)
    return run


# ---- figures ----------------------------------------------------------------------------------

_DPI = 120
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")


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
    fig = _figure(12.5, max(6.0, 1.2 + 0.22 * n))
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
    fig = _figure(7.5, 1.6 + 0.42 * n)
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
    fig = _figure(8.0, height)
    ax = fig.add_subplot()
    base = float(rows["baseline"].iloc[0])
    pos = np.arange(n)
    lo = rows["y_low"].to_numpy(dtype=float) - base
    hi = rows["y_high"].to_numpy(dtype=float) - base
    ax.barh(pos, lo, left=base, color="#6baed6", label="name at its low value")
    ax.barh(pos, hi, left=base, color="#fd8d3c", alpha=0.85, label="name at its high value")
    labels = [
        f"{name}\n{_fmt(r.low, 4)} – {_fmt(r.high, 4)} {REGISTRY[name].unit}"
        for name, r in rows.iterrows()
    ]
    ax.set_yticks(pos, labels, fontsize=8)
    ax.axvline(base, color="0.2", lw=1, label=f"every name at its scenario value: {_fmt(base, 4)}")
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
    fig = _figure(8.5, 5.0)
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


# ---- scenario discovery: conditions and PRIM --------------------------------------------------

WEAK_QP = 0.05
"""A restriction whose quasi-p-value exceeds this is reported as weak (not supported by the runs)."""


def condition_values(
    results: BatchResults, condition: Condition, scenario: str | None = None
) -> pd.DataFrame:
    """The outcome and whether the condition holds, per finished run.

    Returns:
        ``run_id, design_point, replicate, value, holds``, sorted like the batch.
    """
    keys = ["run_id", "design_point", "replicate"]
    scenarios = [scenario] if scenario else None
    if condition.month is None:
        table = results.summary(scenarios=scenarios, columns=[condition.outcome])
        table = table[[*keys, condition.outcome]]
    else:
        table = results.monthly(level="national", scenarios=scenarios, columns=[condition.outcome])
        month = pd.to_datetime(table["month"])
        if isinstance(condition.month, str):
            pick = month == _month_start(condition.month)
        else:
            first = month.groupby(table["run_id"]).transform("min")
            index = (month.dt.year - first.dt.year) * 12 + (month.dt.month - first.dt.month)
            pick = index == condition.month
        table = table.loc[pick, [*keys, condition.outcome]]
        runs = results.summary(scenarios=scenarios, columns=[])
        if len(table) < len(runs):
            raise StudyError(
                f"{condition.text}: month {condition.month} is not in every run's horizon"
            )
    table = table.rename(columns={condition.outcome: "value"}).reset_index(drop=True)
    table["holds"] = condition.holds(table["value"])
    return table


@dataclass
class PrimResult:
    """Boxes found by PRIM.

    Attributes:
        names: the dimensions (varied levers and parameters).
        boxes: one row per box: ``box, coverage, density, mass, res_dim, runs, cases, step,
            pasted``. Coverage: share of all cases (runs where the condition holds) inside the
            box; density: share of the box's runs that are cases; mass: share of all runs inside.
        limits: one row per box and name: ``low, high`` (inclusive), ``full_low, full_high``,
            ``restricted`` and ``qp`` (quasi-p-value of the restriction: one-sided binomial test
            that the box is denser than the box without it).
        trajectory: the peeling trajectory of each box: ``box, step, coverage, density, mass,
            res_dim, chosen``.
        cases: cases among all runs; total: all runs.
    """

    names: tuple[str, ...]
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    cases: int
    total: int

    def describe(self) -> str:
        """The boxes in a few lines of text."""
        lines = [
            f"{self.cases} of {self.total} runs are cases ({self.cases / max(self.total, 1):.1%})"
        ]
        for _, b in self.boxes.iterrows():
            lim = self.limits[(self.limits["box"] == b["box"]) & self.limits["restricted"]]
            where = "; ".join(
                f"{r['name']} {_fmt(r['low'], 4)} – {_fmt(r['high'], 4)} (qp {r['qp']:.2g}"
                + (", weak" if not r["qp"] <= WEAK_QP else "")
                + ")"
                for _, r in lim.sort_values("qp").iterrows()
            )
            lines.append(
                f"box {b['box']}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, mass {b['mass']:.2f} "
                f"({b['runs']} runs, {b['cases']} cases): {where or 'no restriction'}"
            )
        return "\n".join(lines)


def _in_box(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, skip: int | None = None) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for j in range(x.shape[1]):
        if j != skip:
            inside &= (x[:, j] >= lo[j]) & (x[:, j] <= hi[j])
    return inside


def _peel(
    x: np.ndarray,
    y: np.ndarray,
    avail: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    alpha: float,
    min_runs: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Friedman & Fisher's peeling: repeatedly remove the alpha-share slice (from one side of
    one dimension) whose removal leaves the box with the highest mean; stop at ``min_runs``."""
    boxes = [(lo.copy(), hi.copy())]
    mask = avail & _in_box(x, lo, hi)
    top = float(np.max(y[avail])) if avail.any() else 1.0
    while True:
        m = int(mask.sum())
        if m == 0 or float(y[mask].mean()) >= top:
            break
        k = max(1, int(math.floor(alpha * m)))
        best: tuple[float, int, int, str, float] | None = None
        for j in range(x.shape[1]):
            v = np.sort(x[mask, j])
            if v[0] == v[-1]:
                continue
            # Low side: drop the k smallest (at least the whole group tied at the minimum).
            t_low = v[min(k, m - 1)]
            if t_low == v[0]:
                t_low = v[np.searchsorted(v, v[0], side="right")]
            # High side: drop the k largest (at least the group tied at the maximum).
            t_high = v[max(m - 1 - k, 0)]
            if t_high == v[-1]:
                t_high = v[np.searchsorted(v, v[-1], side="left") - 1]
            for side, keep in (("low", x[:, j] >= t_low), ("high", x[:, j] <= t_high)):
                cand = mask & keep
                n_c = int(cand.sum())
                if n_c < min_runs or n_c == 0:
                    continue
                score = (float(y[cand].mean()), n_c)
                if best is None or score > best[:2]:
                    best = (*score, j, side, t_low if side == "low" else t_high)
        if best is None:
            break
        _, _, j, side, t = best
        if side == "low":
            lo[j] = t
        else:
            hi[j] = t
        mask = avail & _in_box(x, lo, hi)
        boxes.append((lo.copy(), hi.copy()))
    return boxes


def _paste(
    x: np.ndarray, y: np.ndarray, avail: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Friedman & Fisher's pasting: widen the box one alpha-share slice at a time while the
    box's mean rises."""
    lo, hi, changed = lo.copy(), hi.copy(), False
    while True:
        inside = avail & _in_box(x, lo, hi)
        m = int(inside.sum())
        if m == 0:
            break
        current = float(y[inside].mean())
        k = max(1, int(math.floor(alpha * m)))
        best: tuple[float, int, str, float] | None = None
        for j in range(x.shape[1]):
            others = avail & _in_box(x, lo, hi, skip=j)
            below = np.sort(x[others & (x[:, j] < lo[j]), j])[::-1]
            above = np.sort(x[others & (x[:, j] > hi[j]), j])
            for side, values in (("low", below), ("high", above)):
                if not len(values):
                    continue
                t = values[min(k, len(values)) - 1]
                new_lo = t if side == "low" else lo[j]
                new_hi = t if side == "high" else hi[j]
                cand = others & (x[:, j] >= new_lo) & (x[:, j] <= new_hi)
                mean = float(y[cand].mean())
                if mean > current and (best is None or mean > best[0]):
                    best = (mean, j, side, t)
        if best is None:
            break
        _, j, side, t = best
        if side == "low":
            lo[j] = t
        else:
            hi[j] = t
        changed = True
    return lo, hi, changed


def prim(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray | pd.Series,
    *,
    bounds: Mapping[str, Sequence[float]] | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    threshold: float = 0.8,
    paste: bool = False,
    max_boxes: int = 1,
) -> PrimResult:
    """The Patient Rule Induction Method (Friedman & Fisher 1999) for scenario discovery.

    Peels the box of all runs, alpha-share slice by slice, keeping the denser part; the chosen
    box on each peeling trajectory is the one with the largest coverage whose density reaches
    ``threshold`` (else the densest). Further boxes (covering) are sought among the runs outside
    the boxes found, while each box found reaches ``threshold``.

    Args:
        x: one row per run, one numeric column per dimension.
        y: whether each run is a case (the condition holds), or a value in [0, 1].
        bounds: name -> (low, high) of the full space (default: the data's range).
        alpha: share of the box's runs removed per peel (0.05 - 0.1 usual).
        min_mass: least share of all runs a box may hold.
        threshold: least density of the chosen box.
        paste: widen the chosen box by pasting where that raises its density.
        max_boxes: boxes to find at most.

    Returns:
        Boxes, their limits, and the peeling trajectories.
    """
    from scipy.stats import binom

    names = tuple(str(c) for c in x.columns)
    data = x.to_numpy(dtype=float)
    target = np.asarray(y, dtype=float)
    if len(data) != len(target):
        raise ValueError(f"x has {len(data)} rows but y has {len(target)}")
    if not 0 < alpha < 1 or not 0 < min_mass < 1:
        raise ValueError("alpha and min_mass must lie between 0 and 1")
    total = len(target)
    cases = float(target.sum())
    full_lo = np.array(
        [float(bounds[n][0]) if bounds else data[:, j].min() for j, n in enumerate(names)]
    )
    full_hi = np.array(
        [float(bounds[n][1]) if bounds else data[:, j].max() for j, n in enumerate(names)]
    )
    full_lo, full_hi = np.minimum(full_lo, data.min(axis=0)), np.maximum(full_hi, data.max(axis=0))
    min_runs = max(1, int(math.ceil(min_mass * total)))
    avail = np.ones(total, dtype=bool)
    boxes, limits, traj = [], [], []

    def stats(lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
        inside = avail & _in_box(data, lo, hi)
        n_in = int(inside.sum())
        hits = float(target[inside].sum())
        restricted = (lo > full_lo) | (hi < full_hi)
        return {
            "coverage": hits / cases if cases else np.nan,
            "density": hits / n_in if n_in else np.nan,
            "mass": n_in / total,
            "res_dim": int(restricted.sum()),
            "runs": n_in,
            "cases": int(round(hits)),
        }

    for b in range(1, max_boxes + 1):
        if not avail.any() or target[avail].sum() == 0:
            break
        trajectory = _peel(data, target, avail, full_lo.copy(), full_hi.copy(), alpha, min_runs)
        rows = [{"box": b, "step": i, **stats(lo, hi)} for i, (lo, hi) in enumerate(trajectory)]
        frame = pd.DataFrame(rows)
        ok = frame[frame["density"] >= threshold]
        step = (
            int(ok["coverage"].idxmax())
            if len(ok)
            else int(frame.sort_values(["density", "coverage"]).index[-1])
        )
        lo, hi = trajectory[step]
        pasted = False
        if paste:
            lo, hi, pasted = _paste(data, target, avail, lo, hi, alpha)
        frame["chosen"] = frame["step"] == step
        chosen = stats(lo, hi)
        if b > 1 and not chosen["density"] >= threshold:
            break
        traj.append(frame)
        boxes.append({"box": b, **chosen, "step": step, "pasted": pasted})
        inside = avail & _in_box(data, lo, hi)
        for j, name in enumerate(names):
            restricted = bool(lo[j] > full_lo[j] or hi[j] < full_hi[j])
            qp = np.nan
            if restricted:
                wider = avail & _in_box(data, lo, hi, skip=j)
                n_w, h_w = int(wider.sum()), float(target[wider].sum())
                n_b, h_b = int(inside.sum()), float(target[inside].sum())
                if n_w and n_b:
                    qp = float(binom.sf(h_b - 1, n_b, h_w / n_w))
            limits.append(
                {
                    "box": b,
                    "name": name,
                    "low": lo[j],
                    "high": hi[j],
                    "full_low": full_lo[j],
                    "full_high": full_hi[j],
                    "restricted": restricted,
                    "qp": qp,
                }
            )
        if not chosen["density"] >= threshold:
            break
        avail = avail & ~inside
    columns = {
        "boxes": [
            "box",
            "coverage",
            "density",
            "mass",
            "res_dim",
            "runs",
            "cases",
            "step",
            "pasted",
        ],
        "limits": ["box", "name", "low", "high", "full_low", "full_high", "restricted", "qp"],
        "trajectory": [
            "box",
            "step",
            "coverage",
            "density",
            "mass",
            "res_dim",
            "runs",
            "cases",
            "chosen",
        ],
    }
    return PrimResult(
        names,
        pd.DataFrame(boxes, columns=columns["boxes"]),
        pd.DataFrame(limits, columns=columns["limits"]),
        pd.concat(traj, ignore_index=True) if traj else pd.DataFrame(columns=columns["trajectory"]),
        int(round(cases)),
        total,
    )


def plot_prim(result: PrimResult, condition: str, box: int = 1) -> Figure:
    """The peeling trajectory (coverage against density) and the chosen box's limits.

    Left: every box of the trajectory, coloured by the number of restricted dimensions, the
    chosen one circled. Right: each dimension's full range (grey) and the box's range (colour),
    restricted dimensions first, with their limits and quasi-p-values.
    """
    traj = result.trajectory[result.trajectory["box"] == box]
    lim = result.limits[result.limits["box"] == box].copy()
    row = result.boxes[result.boxes["box"] == box].iloc[0]
    # Bottom to top: unrestricted names, then restrictions from the weakest to the strongest.
    lim["key"] = np.where(lim["restricted"], -lim["qp"].fillna(1.0), -2.0)
    lim = lim.sort_values(["key", "name"], ascending=[True, False])
    height = max(4.5, 1.4 + 0.38 * len(lim))
    fig = _figure(12.5, height)
    ax = fig.add_subplot(1, 2, 1)
    sc = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=16)
    chosen = traj[traj["chosen"]]
    ax.scatter(
        chosen["coverage"],
        chosen["density"],
        s=120,
        facecolors="none",
        edgecolors="#d62728",
        lw=1.5,
        label="chosen on the trajectory",
    )
    if row["pasted"]:
        ax.scatter(
            [row["coverage"]],
            [row["density"]],
            marker="*",
            s=120,
            color="#d62728",
            label="chosen, after pasting",
        )
    ax.set_xlabel("coverage: share of all cases inside the box")
    ax.set_ylabel("density: share of the box's runs that are cases")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.colorbar(sc, ax=ax, label="restricted dimensions", fraction=0.05)
    ax.set_title(f"peeling trajectory, box {box}", fontsize=10)
    ax2 = fig.add_subplot(1, 2, 2)
    pos = np.arange(len(lim))
    span = (lim["full_high"] - lim["full_low"]).replace(0, 1)
    lo_n = (lim["low"] - lim["full_low"]) / span
    hi_n = (lim["high"] - lim["full_low"]) / span
    ax2.barh(pos, 1, left=0, color="0.88", height=0.6)
    weak = lim["restricted"] & ~(lim["qp"] <= WEAK_QP)
    colors = np.where(weak, "#f4a582", np.where(lim["restricted"], "#d62728", "#9ecae1"))
    ax2.barh(pos, hi_n - lo_n, left=lo_n, color=colors, height=0.6)
    labels = []
    for _, r in lim.iterrows():
        unit = REGISTRY[r["name"]].unit if r["name"] in REGISTRY else ""
        qp = ""
        if r["restricted"] and np.isfinite(r["qp"]):
            qp = f", qp {r['qp']:.2g}" + (" (weak)" if r["qp"] > WEAK_QP else "")
        labels.append(
            f"{r['name']}\n{_fmt(r['low'], 4)} – {_fmt(r['high'], 4)} of "
            f"{_fmt(r['full_low'], 4)} – {_fmt(r['full_high'], 4)} {unit}{qp}"
        )
    ax2.set_yticks(pos, labels, fontsize=7)
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("position in the full range (0 = low, 1 = high)")
    ax2.set_title(
        f"box {box} limits: red restricted, light red weak (qp > {WEAK_QP})",
        fontsize=10,
    )
    fig.suptitle(
        f"{condition}: box {box}, coverage {row['coverage']:.2f}, density {row['density']:.2f}, mass {row['mass']:.2f} "
        f"({result.cases} of {result.total} runs are cases)",
        fontsize=11,
    )
    return fig


@dataclass
class DiscoveryResult:
    """Scenario discovery on a stored batch.

    Attributes:
        folder: the batch folder.
        condition: the condition, normalised.
        prim: the boxes found.
        cases: one row per run: varied values, ``value`` and ``holds``.
        out: where tables and the figure were written.
        files: the files written.
    """

    folder: Path
    condition: str
    prim: PrimResult
    cases: pd.DataFrame
    out: Path
    files: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The boxes in a few lines of text."""
        return self.prim.describe()


def discover(
    folder: str | os.PathLike[str],
    condition: str | Condition,
    *,
    names: Sequence[str] | None = None,
    scenario: str | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    threshold: float = 0.8,
    paste: bool = False,
    max_boxes: int = 2,
    out: str | os.PathLike[str] | None = None,
    figure: bool = True,
) -> DiscoveryResult:
    """Find where in the varied space a condition holds (PRIM), on a stored batch or study.

    Args:
        folder: a batch or study folder whose design varies levers or parameters (best a
            Latin hypercube; any sample works).
        condition: e.g. ``"resurgence == 1"`` or ``"is_held_areas[36] > 0"``.
        names: the dimensions to search (default: every varied name).
        scenario: the scenario to use when the batch has several.
        alpha, min_mass, threshold, paste, max_boxes: PRIM settings (:func:`prim`).
        out: output folder (default ``<folder>/sensitivity/discovery/<condition>/``).
        figure: draw ``prim.png``.

    Raises:
        StudyError: no design, no finished run, or an unknown name or scenario.
        ValueError: a condition that cannot be read.
    """
    from model.experiments.results import open_batch
    from model.experiments.store import StoreError

    folder = Path(folder)
    try:
        results = open_batch(folder)
    except StoreError as exc:
        raise StudyError(str(exc)) from None
    cond = condition if isinstance(condition, Condition) else parse_condition(condition)
    varied = results.varied
    if not varied:
        raise StudyError(
            f"{folder}: the batch varies nothing (no design): nothing to discover over"
        )
    dims = list(names) if names else varied
    for n in dims:
        if n not in varied:
            near = _suggest(n, varied)
            raise StudyError(
                f"{n!r} is not varied in {folder}; allowed: {', '.join(varied)}"
                + (f"; did you mean '{near}'?" if near else "")
            )
    if scenario is None and len(results.scenarios) > 1:
        raise StudyError(
            f"{folder} holds {len(results.scenarios)} scenarios: choose one ({', '.join(results.scenarios)})"
        )
    if scenario is not None and scenario not in results.scenarios:
        raise StudyError(
            f"no scenario {scenario!r} in {folder}; allowed: {', '.join(results.scenarios)}"
        )
    values = condition_values(results, cond, scenario)
    if values.empty:
        raise StudyError(f"{folder}: no finished runs")
    design = results.design()
    cases = values.merge(design, on="design_point", how="left")
    bounds_list = (results.manifest.get("design") or {}).get("bounds") or []
    bounds = {n: b for n, b in zip(varied, bounds_list, strict=False)}
    found = prim(
        cases[dims],
        cases["holds"].to_numpy(),
        bounds={n: bounds.get(n, (cases[n].min(), cases[n].max())) for n in dims},
        alpha=alpha,
        min_mass=min_mass,
        threshold=threshold,
        paste=paste,
        max_boxes=max_boxes,
    )
    target = Path(out) if out is not None else folder / OUTPUT_DIR / "discovery" / cond.slug
    target.mkdir(parents=True, exist_ok=True)
    result = DiscoveryResult(folder, cond.text, found, cases, target)
    for name, table in (
        ("boxes", found.boxes),
        ("limits", found.limits),
        ("trajectory", found.trajectory),
        ("cases", cases),
    ):
        result.files += [_rel_to(p, folder) for p in map(Path, _write_table(table, target / name))]
    if figure and not found.boxes.empty:
        _save_figure(plot_prim(found, cond.text), target / "prim.png")
        result.files.append(_rel_to(target / "prim.png", folder))
    _write_text(
        f"# {cond.text}\n\n{folder}\n\n" + found.describe().replace("\n", "\n\n") + "\n",
        target / "summary.md",
    )
    return result


def _rel_to(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)
