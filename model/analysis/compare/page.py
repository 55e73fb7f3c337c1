"""The report's HTML page: its stylesheet, the tables and figures as HTML (figures embedded as
base64 PNG, so the page needs no network), the provenance table and the page itself."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from model.analysis.compare import sections as S
from model.analysis.compare.decision import Decision
from model.analysis.compare.display import (
    differences_display,
    lever_differences,
    provenance,
    summary_display,
)
from model.analysis.compare.markup import CSS, e, img, scenario_header, table_html
from model.analysis.compare.names import place_name, title
from model.analysis.compare.style import month_text
from model.experiments.results import BatchResults
from model.simulation.outcomes import MONTHLY


@dataclass
class Uncertain:
    """What the report shows on comparison under uncertainty (``build_report`` fills it)."""

    shape: dict[str, Any]
    decision: Decision | None = None
    shares: pd.DataFrame | None = None
    regret: pd.DataFrame | None = None
    relapse: pd.DataFrame | None = None
    responses: list[str] = field(default_factory=list)


def _differs(table: pd.DataFrame, ref: str) -> set[tuple[Any, Any]]:
    """Cells that differ from the reference scenario's column."""
    if ref not in table.columns:
        return set()
    return {
        (i, c) for i in table.index for c in table.columns if table.at[i, c] != table.at[i, ref]
    }


def kv(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _provenance_html(p: dict[str, Any]) -> str:
    c = p["counts"]
    state = "still running" if p["running"] else "not running"
    runs = (
        f"{c['ok']} done, {c['failed']} failed, {c['missing']} missing of {p['runs_total']} "
        f"({state})"
    )
    seeds = ", ".join(f"r{r}: {s}" for r, s in p["replicate_seeds"].items())
    design = p["design"]
    design_text = (
        "none (each scenario as written)"
        if design["kind"] in (None, "none")
        else f"{design['kind']}, {design['points']} points over {', '.join(design['names'])}"
    )
    versions = ", ".join(f"{k} {v}" for k, v in p["versions"].items() if v)
    sessions = "<br>".join(
        f"{e(s['started'])} to {e(s['finished'] or 'unfinished')}: {e(s['executor'])}, "
        f"{e(s['workers'])} worker(s) on {e(s['host'])}"
        for s in p["sessions"]
    )
    overrides = ", ".join(f"{k} = {v}" for k, v in p["overrides"].items()) or "none"
    rows = [
        ("batch", e(p["batch"])),
        ("description", e(p["description"]) or "&mdash;"),
        ("batch id / folder", f"{e(p['batch_id'])} &mdash; <code>{e(p['folder'])}</code>"),
        ("batch file", f"<code>{e(p['batch_file'])}</code>"),
        ("command-line overrides", e(overrides)),
        ("batch hash", f"<code>{e(p['batch_hash'])}</code>"),
        ("runs", e(runs)),
        ("design", e(design_text)),
        ("parameter ensemble", e(p["ensemble"])),
        (
            "master seed",
            f"{e(p['master_seed'])} (replicate r's seed: NumPy SeedSequence(master seed, "
            "spawn_key=(r,)), the same in every scenario and design point)",
        ),
        (
            "replicate seeds",
            f"<details><summary>{len(p['replicate_seeds'])} seeds</summary>{e(seeds)}</details>",
        ),
        ("started / finished", f"{e(p['created'])} / {e(p['finished'] or 'not finished')}"),
        ("sessions", sessions or "&mdash;"),
        ("git revision", f"<code>{e(p['git_revision'] or 'unknown')}</code>"),
        ("package versions", e(versions)),
    ]
    return kv(rows)


def render(
    res: BatchResults,
    figures: Mapping[str, bytes],
    tables: Iterable[str],
    notes: Iterable[str],
    *,
    chosen: list[str],
    ref: str,
    monthly: list[str],
    level: str,
    unit: str | None,
    table: pd.DataFrame,
    pdiff: pd.DataFrame | None,
    wanted: list[pd.Timestamp],
    colour_by: str,
    map_level: str,
    map_note: str,
    uncertain: Uncertain | None = None,
) -> str:
    """The report page: figures (file name -> PNG bytes) embedded, the other files written
    beside it (``tables``) named, and the notes shown at the top."""
    unc = uncertain or Uncertain({"draws": 0, "replicates": 0, "covers": "replicates"})
    p = provenance(res)
    where = place_name(level, unit)
    head = scenario_header(res, chosen)
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Scenario comparison: {e(p['batch'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Scenario comparison: {e(p['batch'])}</h1>",
        f'<p class="lead">{e(p["description"])}</p>',
        f"<p>Scenarios: {', '.join(head[s] for s in chosen)}. Reference for the differences: "
        f"<b>{e(ref)}</b>. Monthly charts: {e(where)}. Report made {e(now)} from "
        f"<code>{e(p['folder'])}</code>.</p>",
    ]
    c = p["counts"]
    if c["failed"] or c["missing"] or p["running"]:
        parts.append(
            f'<p class="note">This report uses the {c["ok"]} runs done of {p["runs_total"]} '
            f"({c['failed']} failed, {c['missing']} missing"
            + (", batch still running" if p["running"] else "")
            + ").</p>"
        )
    for note in notes:
        parts.append(f'<p class="note">{e(note)}</p>')
    parts.append(S.leaves_out_html())
    runs = int(table["runs"].max()) if len(table) else 0
    screen = (res.manifest.get("uncertainty") or {}).get("screen")
    parts.append(S.intervals_html(unc.shape, runs, screen))
    sections = [
        ("decision", "Decision summary", unc.decision is not None),
        ("summary", "Summary table", True),
        ("variance", "Parameters or chance", unc.shares is not None),
        ("fans", "Outcomes over time", True),
        ("diff-time", "Differences over time", True),
        ("diff-runs", "Differences in run outcomes", True),
        ("robustness", "Robustness across futures", unc.regret is not None),
        ("satisficing", "Satisficing", "satisficing.png" in figures),
        ("survival", "Time to relapse", unc.relapse is not None),
        ("response", "Lever response", True),
        ("map", "Map of the network", True),
        ("levers", "Levers that differ", True),
        ("each", "Each outcome in detail", True),
        ("provenance", "Provenance", True),
    ]
    parts.append(
        "<nav><ol>"
        + "".join(f'<li><a href="#{a}">{e(t)}</a></li>' for a, t, shown in sections if shown)
        + "</ol></nav>"
    )
    if unc.decision is not None:
        parts += ['<h2 id="decision">Decision summary</h2>', S.decision_html(unc.decision, head)]

    parts += [
        '<h2 id="summary">Summary table</h2>',
        "<p>For each scenario: the median of every run-level outcome over its runs, with the "
        "range of the middle 90% of runs (5th to 95th percentile; the runs span "
        f"{e(unc.shape['covers'])}) below it; the probability of resurgence with its 95% "
        "Wilson interval (the uncertainty of the share from the number of runs); and the month "
        "of territorial defeat, of resurgence and of the Kirkuk crisis, where runs without the "
        "event count as later than the horizon (&ldquo;never&rdquo;: at least that share of "
        "runs never reached it)."
        + (
            " The last line of a cell is the share of the variance between runs that comes "
            "from the parameters (see below)."
            if unc.shares is not None
            else ""
        )
        + "</p>",
        table_html(summary_display(table, unc.shares), "wide", head),
        "<p>As CSV: <code>summary.csv</code>.</p>",
    ]
    if unc.shares is not None:
        parts.append(S.variance_html(figures))

    parts += [
        '<h2 id="fans">Outcomes over time</h2>',
        "<p>Each line is the median over a scenario's runs; the darker band holds the middle "
        "50% of runs and the lighter band the middle 90%, month by month. The bands show how "
        f"much runs differ (they span {e(unc.shape['covers'])}), not the uncertainty of the "
        "median; overlapping bands do not mean the scenarios are alike (see the paired "
        "differences below).</p>",
        img(figures, "fan_grid.png", f"Fan charts of {', '.join(monthly)}", "All outcomes:"),
    ]

    parts.append('<h2 id="diff-time">Differences over time</h2>')
    if "differences_over_time.png" in figures:
        parts += [
            f"<p>Each scenario minus <b>{e(ref)}</b>, run by run: run k of a scenario is "
            f"compared with run k of {e(ref)}, which drew the same random numbers (common "
            "random numbers) and the same parameter draw, so the difference is due to the "
            "policy, not to luck or assumptions. The line is the median of these paired "
            "differences in each month; the band is the 90% bootstrap interval of that median "
            "(runs resampled with replacement, fixed seed): how sure the median is given the "
            "number of runs, not how much the difference varies between runs (the next section "
            "shows that).</p>",
            img(figures, "differences_over_time.png", "Paired differences over time", "Figure:"),
            "<p>As CSV: <code>differences_over_time.csv</code>.</p>",
        ]
    else:
        parts.append("<p>No scenario besides the reference is chosen.</p>")

    parts.append('<h2 id="diff-runs">Differences in run outcomes</h2>')
    if pdiff is not None:
        parts += [
            f"<p>For each run-level outcome, the paired differences (scenario minus "
            f"{e(ref)}, run k against run k): the thin line spans the middle 90% of them (how "
            f"much the difference varies between runs, which span {e(unc.shape['covers'])}); "
            "the thick line is the 95% bootstrap interval of their mean (how sure the mean is, "
            "given the number of runs); the dot is the mean. The table gives the mean, its "
            "interval in brackets and the middle 90% below. An interval of the mean that "
            "excludes zero says the runs are many, not that the difference is large or certain: "
            "read the middle 90% and the robustness section for that. "
            f"Each cell uses {int(pdiff['pairs'].max())} pairs unless it shows its own "
            "<i>n</i>: pairs where either run has no value (months to defeat of a run never "
            "defeated) are left out.</p>",
            img(figures, "differences_forest.png", "Forest plot of paired differences", "Figure:"),
            table_html(
                differences_display(pdiff), "wide", scenario_header(res, list(pdiff["scenario"]))
            ),
            "<p>As CSV: <code>paired_differences.csv</code>.</p>",
        ]
    else:
        parts.append("<p>No scenario besides the reference is chosen.</p>")

    if unc.regret is not None and len(unc.regret):
        parts.append(S.robustness_html(figures, unc.regret, ref, head))
    if "satisficing.png" in figures:
        parts.append(S.satisficing_html(figures))
    if unc.relapse is not None:
        parts.append(S.survival_html(figures, unc.relapse))
    parts.append(S.response_html(figures, unc.responses))

    months_text = ", ".join(month_text(m) for m in wanted)
    shown = (
        "the share of runs in which IS holds each area"
        if colour_by == "control" and map_level == "area"
        else f"the median over runs of incidents per month by {map_level}"
    )
    parts += [
        '<h2 id="map">Map of the network</h2>',
        f"<p>The model's areas in Iraq and the Syrian havens at their coordinates, a row per "
        f"scenario and a column per month ({e(months_text)}), coloured by {e(shown)}. Faint "
        "lines are the network's road and border links; the grey shape is an approximate "
        "outline of Iraq for orientation.</p>",
    ]
    if map_note:
        parts.append(f'<p class="note">{e(map_note)}</p>')
    parts.append(img(figures, "network_map.png", "Map of the area network", "Figure:"))

    levers = lever_differences(res, chosen)
    params = lever_differences(res, chosen, parameters=True)
    parts.append('<h2 id="levers">Levers that differ between the scenarios</h2>')
    if levers.empty:
        parts.append("<p>The scenarios set every lever alike.</p>")
    else:
        parts += [
            f"<p>Values as scheduled (a value holds from its month until the next); in bold, "
            f"those that differ from {e(ref)}.</p>",
            table_html(levers.rename_axis("lever (unit)"), "", head, "text", _differs(levers, ref)),
        ]
    if not params.empty:
        parts += [
            "<h3>Other parameters that differ</h3>",
            table_html(
                params.rename_axis("parameter (unit)"), "", head, "text", _differs(params, ref)
            ),
        ]
    if p["design"]["names"]:
        parts.append(
            f"<p>The design varies {e(', '.join(p['design']['names']))} in every scenario; "
            "charts pool all design points, differences pair runs of the same point.</p>"
        )

    parts.append('<h2 id="each">Each outcome in detail</h2>')
    for name in monthly:
        o = MONTHLY[name]
        parts.append(f"<h3>{e(title(name))}</h3>")
        parts.append(f"<p>{e(o.meaning)} Unit: {e(o.unit)}; column <code>{e(name)}</code>.</p>")
        parts.append(img(figures, f"fan_{name}.png", f"Fan chart of {name}"))

    parts += [
        '<h2 id="provenance">Provenance</h2>',
        _provenance_html(p),
        "<p>Files written beside this page: "
        + ", ".join(f"<code>{e(n)}</code>" for n in [*figures, *tables])
        + ".</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
