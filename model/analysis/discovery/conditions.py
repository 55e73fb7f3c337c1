"""Conditions evaluated over stored results: the outcome of each finished run and whether a
condition (``model.files.conditions.Condition``, e.g. ``is_held_areas[36] > 0``) holds in it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from model.analysis.discovery.common import StudyError, month_start, months_after

if TYPE_CHECKING:
    from model.experiments.results import BatchResults
    from model.files.conditions import Condition


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
            pick = month == month_start(condition.month)
        else:
            first = month.groupby(table["run_id"]).transform("min")
            pick = months_after(month, first) == condition.month
        table = table.loc[pick, [*keys, condition.outcome]]
        runs = results.summary(scenarios=scenarios, columns=[])
        if len(table) < len(runs):
            raise StudyError(
                f"{condition.text}: month {condition.month} is not in every run's horizon"
            )
    table = table.rename(columns={condition.outcome: "value"}).reset_index(drop=True)
    table["holds"] = condition.holds(table["value"])
    return table
