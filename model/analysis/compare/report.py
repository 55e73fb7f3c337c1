"""The comparison report: every figure of the comparison, the tables and the batch's provenance
in one self-contained HTML page (figures as base64 PNG, no network needed), plus the PNG and
CSV files beside it.

Everything is checked and drawn in memory first and written to a temporary folder that is moved
into place at the end, so a mistake in the input leaves no files and a failure no half-written
report. No Mesa here.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from model.analysis.compare.decision import Decision, decision_summary
from model.analysis.compare.differences import monthly_differences, paired_differences
from model.analysis.compare.display import (
    summary_csv,
    table_csv,
)
from model.analysis.compare.figures import difference_chart, fan_chart, fan_grid, forest_plot
from model.analysis.compare.maps import check_months, map_values, network_map
from model.analysis.compare.names import (
    Results,
    check_outcomes,
    check_reference,
    check_scenarios,
    open_results,
)
from model.analysis.compare.page import Uncertain, render
from model.analysis.compare.response import response_chart, response_table, response_variables
from model.analysis.compare.robustness import robustness
from model.analysis.compare.survival import relapse_by, survival_chart, survival_table
from model.analysis.compare.tables import monthly_quantiles, read_monthly, summary_table
from model.analysis.compare.uncertainty_figures import (
    robustness_chart,
    satisficing_chart,
    variance_chart,
    variance_over_time_chart,
)
from model.analysis.compare.variance import ensemble_shape, monthly_variance_split, variance_split
from model.files.errors import ConfigError
from model.simulation.outcomes import MONTHLY

__all__ = ["Report", "build_report", "write_report"]


DPI = 110
FEW_PAIRS = 10


@dataclass
class Report:
    """A report held in memory: figures (file name -> PNG bytes), tables (file name -> CSV
    text) and the HTML page."""

    figures: dict[str, bytes] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    html: str = ""
    notes: list[str] = field(default_factory=list)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def build_report(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    reference: str | None = None,
    months: str | Iterable[object] | None = None,
    level: str = "national",
    unit: str | None = None,
    colour_by: str = "control",
    rank_by: str | Iterable[str] | None = None,
    satisfice: str | Iterable[str] | None = None,
) -> Report:
    """Check the choices, compute every table and draw every figure, in memory.

    The reference scenario is always shown with the chosen ones.

    Raises:
        ConfigError: a folder that is not a batch, an unknown scenario, outcome, unit, month,
            ranked outcome or threshold.
    """
    res = open_results(results)
    ref = check_reference(res, reference)
    picked = check_scenarios(res, scenarios)
    chosen = [s for s in res.scenarios if s in {ref, *picked}]
    others = [s for s in chosen if s != ref]
    monthly, summary = check_outcomes(res, outcomes, chosen, level)
    if not monthly:
        raise ConfigError(
            "no monthly outcome to plot at this level",
            key="outcomes",
            allowed=", ".join(o for o in MONTHLY if level in MONTHLY[o].levels),
        )
    wanted = check_months(res, months, chosen)
    read_monthly(res, chosen, monthly, level, unit)  # checks the level and the unit; read once
    map_values(res, wanted[:1], colour_by, chosen[:1])  # checks the colouring
    decision = decision_summary(res, rank_by, ref, others or None, satisfice)

    rep = Report()
    figs: dict[str, Figure] = {}
    figs["fan_grid.png"] = fan_grid(res, monthly, chosen, level, unit)
    for name in monthly:
        figs[f"fan_{name}.png"] = fan_chart(res, name, chosen, level, unit)
    quant = pd.concat(
        [
            monthly_quantiles(res, name, chosen, level, unit).assign(outcome=name)
            for name in monthly
        ],
        ignore_index=True,
    )
    rep.tables["quantiles.csv"] = table_csv(quant[["outcome", *quant.columns[:-1]]])
    table = summary_table(res, chosen)
    rep.tables["summary.csv"] = summary_csv(table)
    mdiff = pdiff = None
    if others:
        mdiff = monthly_differences(res, ref, monthly, others, level, unit)
        figs["differences_over_time.png"] = difference_chart(
            res, ref, monthly, others, level, unit, data=mdiff
        )
        rep.tables["differences_over_time.csv"] = table_csv(mdiff)
        pdiff = paired_differences(res, ref, summary, others)
        figs["differences_forest.png"] = forest_plot(res, ref, summary, others, data=pdiff)
        rep.tables["paired_differences.csv"] = table_csv(pdiff)
        fewest = int(mdiff["pairs"].min()) if len(mdiff) else 0
        if fewest < FEW_PAIRS:
            rep.notes.append(
                f"Only {fewest} paired runs per scenario: bootstrap intervals from fewer than "
                f"about {FEW_PAIRS} pairs are too narrow to trust: run a batch with more "
                "replicates (--replicates 20 or more)."
            )
    else:
        rep.notes.append("Only the reference scenario is chosen: no paired differences.")
    unc = _uncertainty(res, rep, figs, chosen, ref, monthly, summary, level, unit, decision)
    values, map_level, map_note = map_values(res, wanted, colour_by, chosen)
    figs["network_map.png"] = network_map(res, wanted, colour_by, chosen)
    for name, fig in figs.items():
        rep.figures[name] = _png(fig)
    rep.html = render(
        res,
        rep.figures,
        rep.tables,
        rep.notes,
        chosen=chosen,
        ref=ref,
        monthly=monthly,
        level=level,
        unit=unit,
        table=table,
        pdiff=pdiff,
        wanted=wanted,
        colour_by=colour_by,
        map_level=map_level,
        map_note=map_note,
        uncertain=unc,
    )
    return rep


def _uncertainty(
    res: Results,
    rep: Report,
    figs: dict[str, Figure],
    chosen: list[str],
    ref: str,
    monthly: list[str],
    summary: list[str],
    level: str,
    unit: str | None,
    decision: Decision,
) -> Uncertain:
    """The views of comparison under uncertainty: their tables into ``rep``, their figures
    into ``figs``."""
    shape = ensemble_shape(res)
    unc = Uncertain(shape, decision)
    rep.tables["decision.csv"] = table_csv(decision.table)
    if shape["draws"]:
        rep.tables["draws.csv"] = table_csv(res.draws())
    shares = variance_split(res, summary, chosen)
    unc.shares = shares
    rep.tables["variance_split.csv"] = table_csv(shares)
    figs["variance_split.png"] = variance_chart(res, data=shares)
    over_time = monthly_variance_split(res, monthly, chosen, level, unit)
    rep.tables["variance_over_time.csv"] = table_csv(over_time)
    figs["variance_over_time.png"] = variance_over_time_chart(res, data=over_time)
    others = [s for s in chosen if s != ref]
    if others:
        wins, regret = robustness(res, ref, decision.outcomes, others)
        wins = wins.merge(
            pd.DataFrame({"outcome": decision.outcomes}), on="outcome", how="right"
        ).dropna(subset=["scenario"])
        unc.regret = regret
        rep.tables["robustness.csv"] = table_csv(wins)
        rep.tables["regret.csv"] = table_csv(regret)
        if len(wins):
            figs["robustness.png"] = robustness_chart(res, ref, data=wins)
    if len(decision.thresholds):
        rep.tables["satisficing.csv"] = table_csv(decision.thresholds)
        figs["satisficing.png"] = satisficing_chart(res, data=decision.thresholds)
    surv = survival_table(res, chosen)
    rep.tables["survival.csv"] = table_csv(surv)
    if surv["runs"].max() > 0:
        figs["survival.png"] = survival_chart(res, chosen, data=surv, reference=ref)
        horizon = max(int(sd.get("horizon") or 0) for sd in res.manifest["batch"]["scenarios"])
        unc.relapse = relapse_by(surv, 12 * max(1, (horizon - 12) // 12))
    for name, applies in response_variables(res).items():
        if not set(applies) & set(chosen):
            continue
        shown = [s for s in chosen if s in applies]
        figs[f"response_{name}.png"] = response_chart(res, name, RESPONSE_OUTCOMES, shown)
        rep.tables[f"response_{name}.csv"] = table_csv(
            pd.concat(
                [response_table(res, name, o, shown).assign(outcome=o) for o in RESPONSE_OUTCOMES]
            )
        )
        unc.responses.append(name)
    return unc


RESPONSE_OUTCOMES = ("cumulative_deaths", "battle_deaths_final_year", "resurgence")
"""Run-level outcomes drawn against a varied lever."""


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
    rank_by: str | Iterable[str] | None = None,
    satisfice: str | Iterable[str] | None = None,
) -> Path:
    """Write the report folder: report.html, every figure as PNG and the tables as CSV.

    Args:
        results: the batch (``BatchResults`` or its folder).
        out_dir: where to write (default: ``<batch folder>/compare``); files of the same names
            are replaced, others left alone.
        outcomes: monthly outcomes for the charts and/or run-level ones for the forest plot.
        scenarios: scenarios to show (default: all); the reference is always shown.
        reference: the scenario differences are taken from (default: the batch's first).
        months: ``YYYY-MM`` months for the map (default: start, +12, +36 months, end).
        level: ``"national"``, ``"governorate"`` or ``"area"`` for the monthly charts.
        unit: the governorate or area (with those levels).
        colour_by: the map's colouring, ``"control"`` or ``"incidents"``.
        rank_by: run-level outcomes the decision summary ranks on (``name``, ``name:min``,
            ``name:max``; default ``DEFAULT_RANK_BY``).
        satisfice: thresholds whose share of runs is shown (default ``DEFAULT_SATISFICE``).

    Returns:
        The path of report.html.

    Raises:
        ConfigError: bad input (nothing is written).
    """
    res = open_results(results)
    rep = build_report(
        res, outcomes, scenarios, reference, months, level, unit, colour_by, rank_by, satisfice
    )
    out = Path(out_dir) if out_dir is not None else res.path / "compare"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder", key="out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        for name, data in rep.figures.items():
            (tmp / name).write_bytes(data)
        for name, text in rep.tables.items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / "report.html").write_text(rep.html, encoding="utf-8")
        out.mkdir(exist_ok=True)
        for item in sorted(tmp.iterdir(), key=lambda p: p.name == "report.html"):
            os.replace(item, out / item.name)  # the page last: it names the rest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out / "report.html"
