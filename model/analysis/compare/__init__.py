"""Comparing scenarios of a stored batch: fan charts, paired differences, summary table, map,
and the HTML report that holds them all.

Every function reads stored results only (a :class:`~model.experiments.results.BatchResults` or
a batch folder) and returns a pandas DataFrame or a matplotlib ``Figure`` (built without pyplot,
so it works headless and in notebooks alike). :func:`write_report` puts them all in one
self-contained HTML page; ``stabsim compare`` is its command line. No Mesa here.

Modules, from the bottom up (each imports only those above it):

- ``names``: the batch, scenario, outcome and place names, checked; readable titles.
- ``tables``: monthly rows, run summaries, quantiles and the summary table.
- ``differences``: paired differences by common random numbers, with bootstrap intervals.
- ``style``: colours, number and month formats, axes and legends.
- ``variance``: the variance split into parameter and replicate parts.
- ``robustness``: win shares, regret and satisficing across futures (parameter draws).
- ``decision``: the decision summary.
- ``figures``: fan charts, differences over time, the forest plot, a run's overview.
- ``survival``, ``response``, ``uncertainty_figures``: survival curves, lever-response curves,
  and the figures of the variance split, robustness and satisficing.
- ``maps``: the network map with the outline of Iraq and the governorates' names.
- ``display``: provenance, levers that differ, and the tables as text and CSV.
- ``markup``, ``sections``, ``page``: the HTML page.
- ``report``: builds the report in memory and writes its folder.
"""

from __future__ import annotations

from model.analysis.compare.decision import DEFAULT_RANK_BY, decision_summary

# Names in the form ``X as X`` are re-exported outside ``__all__``: notebooks and tests use
# them as ``compare.X``.
from model.analysis.compare.differences import (
    BOOTSTRAP_SEED,
    monthly_differences,
    paired_differences,
)
from model.analysis.compare.differences import N_BOOT as N_BOOT
from model.analysis.compare.figures import difference_chart, fan_chart, fan_grid, forest_plot
from model.analysis.compare.maps import _IRAQ_OUTLINE as _IRAQ_OUTLINE
from model.analysis.compare.maps import MAP_COLOUR_BY as MAP_COLOUR_BY
from model.analysis.compare.maps import (
    check_months,
    default_map_months,
    map_values,
    network_map,
)
from model.analysis.compare.names import DATE_UNIT as DATE_UNIT
from model.analysis.compare.names import (
    DEFAULT_OUTCOMES,
    Results,
    check_outcomes,
    check_reference,
    check_scenarios,
    open_results,
    place_name,
    split_names,
    title,
)
from model.analysis.compare.names import label as label
from model.analysis.compare.report import write_report
from model.analysis.compare.response import response_chart, response_table
from model.analysis.compare.robustness import (
    DEFAULT_SATISFICE,
    future_means,
    regret,
    robustness,
    satisficing,
    win_shares,
)
from model.analysis.compare.style import OKABE_ITO, Readable, format_number, scenario_colours
from model.analysis.compare.survival import kaplan_meier, survival_chart, survival_table
from model.analysis.compare.tables import (
    monthly_quantiles,
    read_monthly,
    read_summary,
    summary_table,
    wilson,
)
from model.analysis.compare.uncertainty_figures import (
    robustness_chart,
    satisficing_chart,
    variance_chart,
    variance_over_time_chart,
)
from model.analysis.compare.variance import monthly_variance_split, variance_split

__all__ = [
    "BOOTSTRAP_SEED",
    "DEFAULT_RANK_BY",
    "DEFAULT_SATISFICE",
    "DEFAULT_OUTCOMES",
    "OKABE_ITO",
    "Readable",
    "Results",
    "check_months",
    "check_outcomes",
    "check_reference",
    "check_scenarios",
    "decision_summary",
    "default_map_months",
    "difference_chart",
    "fan_chart",
    "fan_grid",
    "forest_plot",
    "format_number",
    "future_means",
    "kaplan_meier",
    "map_values",
    "monthly_differences",
    "monthly_quantiles",
    "monthly_variance_split",
    "network_map",
    "open_results",
    "paired_differences",
    "place_name",
    "read_monthly",
    "read_summary",
    "regret",
    "response_chart",
    "response_table",
    "robustness",
    "robustness_chart",
    "satisficing",
    "satisficing_chart",
    "scenario_colours",
    "split_names",
    "summary_table",
    "survival_chart",
    "survival_table",
    "title",
    "variance_chart",
    "variance_over_time_chart",
    "variance_split",
    "wilson",
    "win_shares",
    "write_report",
]
