"""Study outputs: the stored runs of a study turned into one value per design point and output
(replicates averaged; time-series outcomes summarised per year of the horizon)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.analysis.discovery.common import StudyError, month_start, months_after
from model.files.conditions import base_outcome
from model.files.study import Study
from model.simulation import outcomes as _outcomes

if TYPE_CHECKING:
    from model.experiments.results import BatchResults


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
        start = month_start(study.scenario.start)
        month = pd.to_datetime(monthly["month"])
        monthly["year"] = (months_after(month, start) // 12 + 1).astype(int)
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
