"""The report's HTML page: its stylesheet, the tables and figures as HTML (figures embedded as
base64 PNG, so the page needs no network), the provenance table and the page itself."""

from __future__ import annotations

import base64
import datetime as _dt
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from model.analysis.compare.display import (
    differences_display,
    lever_differences,
    provenance,
    summary_display,
)
from model.analysis.compare.names import place_name, title
from model.analysis.compare.style import month_text, scenario_colours
from model.experiments.results import BatchResults
from model.simulation.outcomes import MONTHLY

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1250px; margin: 0 auto; padding: 1.5em 2em 4em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2.2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.6em; }
p.lead { color: #444; margin-top: 0; }
p.note, div.note { background: #fff6df; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
table { border-collapse: collapse; font-size: 0.86em; margin: 0.6em 0 1em; }
th, td { border: 1px solid #d6d6d6; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.wide td { white-space: nowrap; }
table.wide tbody th { min-width: 12em; }
div.scroll { overflow-x: auto; max-width: 100%; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
          margin-right: 0.35em; vertical-align: -0.1em; }
code { background: #f3f3f3; padding: 0 0.25em; border-radius: 3px; }
details { margin: 0.5em 0; }
nav ol { columns: 2; font-size: 0.95em; }
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _img(figures: Mapping[str, bytes], name: str, alt: str, caption: str = "") -> str:
    data = base64.b64encode(figures[name]).decode("ascii")
    cap = f"<figcaption>{caption} <code>{_e(name)}</code></figcaption>" if caption else ""
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}" '
        f'title="{_e(name)}">{cap}</figure>'
    )


def _table_html(
    table: pd.DataFrame,
    css: str = "",
    header: Mapping[str, str] | None = None,
    cell: str = "num",
    bold: set[tuple[Any, Any]] | None = None,
) -> str:
    cols = list(table.columns)
    head = "".join(f"<th>{(header or {}).get(c, _e(c))}</th>" for c in cols)
    idx = table.index.name or ""
    lines = [
        f'<div class="scroll"><table class="{css}"><thead><tr><th>{_e(idx)}</th>{head}</tr>'
        "</thead><tbody>"
    ]
    for key, row in table.iterrows():
        cells = "".join(
            f'<td class="{cell}"><b>{_e(v)}</b></td>'
            if (key, col) in (bold or ())
            else f'<td class="{cell}">{_e(v)}</td>'
            for col, v in zip(cols, row.tolist(), strict=True)
        )
        lines.append(f"<tr><th>{_e(key)}</th>{cells}</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _scenario_header(res: BatchResults, names: Sequence[str]) -> dict[str, str]:
    colours = scenario_colours(res)
    return {
        n: f'<span class="swatch" style="background:{colours[n]}"></span>{_e(n)}' for n in names
    }


def _differs(table: pd.DataFrame, ref: str) -> set[tuple[Any, Any]]:
    """Cells that differ from the reference scenario's column."""
    if ref not in table.columns:
        return set()
    return {
        (i, c) for i in table.index for c in table.columns if table.at[i, c] != table.at[i, ref]
    }


def _kv(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
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
        f"{_e(s['started'])} to {_e(s['finished'] or 'unfinished')}: {_e(s['executor'])}, "
        f"{_e(s['workers'])} worker(s) on {_e(s['host'])}"
        for s in p["sessions"]
    )
    overrides = ", ".join(f"{k} = {v}" for k, v in p["overrides"].items()) or "none"
    rows = [
        ("batch", _e(p["batch"])),
        ("description", _e(p["description"]) or "&mdash;"),
        ("batch id / folder", f"{_e(p['batch_id'])} &mdash; <code>{_e(p['folder'])}</code>"),
        ("batch file", f"<code>{_e(p['batch_file'])}</code>"),
        ("command-line overrides", _e(overrides)),
        ("batch hash", f"<code>{_e(p['batch_hash'])}</code>"),
        ("runs", _e(runs)),
        ("design", _e(design_text)),
        (
            "master seed",
            f"{_e(p['master_seed'])} (replicate r's seed: NumPy SeedSequence(master seed, "
            "spawn_key=(r,)), the same in every scenario and design point)",
        ),
        (
            "replicate seeds",
            f"<details><summary>{len(p['replicate_seeds'])} seeds</summary>{_e(seeds)}</details>",
        ),
        ("started / finished", f"{_e(p['created'])} / {_e(p['finished'] or 'not finished')}"),
        ("sessions", sessions or "&mdash;"),
        ("git revision", f"<code>{_e(p['git_revision'] or 'unknown')}</code>"),
        ("package versions", _e(versions)),
    ]
    return _kv(rows)


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
) -> str:
    """The report page: figures (file name -> PNG bytes) embedded, the other files written
    beside it (``tables``) named, and the notes shown at the top."""
    p = provenance(res)
    where = place_name(level, unit)
    head = _scenario_header(res, chosen)
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Scenario comparison: {_e(p['batch'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Scenario comparison: {_e(p['batch'])}</h1>",
        f'<p class="lead">{_e(p["description"])}</p>',
        f"<p>Scenarios: {', '.join(head[s] for s in chosen)}. Reference for the differences: "
        f"<b>{_e(ref)}</b>. Monthly charts: {_e(where)}. Report made {_e(now)} from "
        f"<code>{_e(p['folder'])}</code>.</p>",
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
        parts.append(f'<p class="note">{_e(note)}</p>')
    parts.append(
        "<nav><ol>"
        '<li><a href="#summary">Summary table</a></li>'
        '<li><a href="#fans">Outcomes over time</a></li>'
        '<li><a href="#diff-time">Differences over time</a></li>'
        '<li><a href="#diff-runs">Differences in run outcomes</a></li>'
        '<li><a href="#map">Map of the network</a></li>'
        '<li><a href="#levers">Levers that differ</a></li>'
        '<li><a href="#each">Each outcome in detail</a></li>'
        '<li><a href="#provenance">Provenance</a></li>'
        "</ol></nav>"
    )

    parts += [
        '<h2 id="summary">Summary table</h2>',
        "<p>For each scenario: the median of every run-level outcome over its runs, with the "
        "range of the middle 90% of runs (5th to 95th percentile) in brackets; the probability "
        "of resurgence with its 95% Wilson interval; and the month of territorial defeat, of "
        "resurgence and of the Kirkuk crisis, where runs without the event count as later than "
        "the horizon (&ldquo;never&rdquo;: at least that share of runs never reached it).</p>",
        _table_html(summary_display(table), "wide", head),
        "<p>As CSV: <code>summary.csv</code>.</p>",
    ]

    parts += [
        '<h2 id="fans">Outcomes over time</h2>',
        "<p>Each line is the median over a scenario's runs; the darker band holds the middle "
        "50% of runs and the lighter band the middle 90%, month by month. The bands show how "
        "much runs differ by chance, not the uncertainty of the median; overlapping bands do "
        "not mean the scenarios are alike (see the paired differences below).</p>",
        _img(figures, "fan_grid.png", f"Fan charts of {', '.join(monthly)}", "All outcomes:"),
    ]

    parts.append('<h2 id="diff-time">Differences over time</h2>')
    if "differences_over_time.png" in figures:
        parts += [
            f"<p>Each scenario minus <b>{_e(ref)}</b>, run by run: replicate r of a scenario "
            f"is compared with replicate r of {_e(ref)}, which drew the same random numbers "
            "(common random numbers), so the difference is due to the policy, not to luck. The "
            "line is the median of these paired differences in each month; the band is its 90% "
            "bootstrap confidence interval (runs resampled with replacement, fixed seed). A band "
            "that stays clear of zero is a difference the runs support; one that straddles zero "
            "is not distinguishable from no difference with this many runs.</p>",
            _img(figures, "differences_over_time.png", "Paired differences over time", "Figure:"),
            "<p>As CSV: <code>differences_over_time.csv</code>.</p>",
        ]
    else:
        parts.append("<p>No scenario besides the reference is chosen.</p>")

    parts.append('<h2 id="diff-runs">Differences in run outcomes</h2>')
    if pdiff is not None:
        parts += [
            f"<p>For each run-level outcome, the mean of the paired differences (scenario minus "
            f"{_e(ref)}, replicate r against replicate r) with its 95% bootstrap confidence "
            "interval. Filled markers, and a * in the table: the interval excludes zero. "
            f"Each cell uses {int(pdiff['pairs'].max())} pairs unless it shows its own "
            "<i>n</i>: pairs where either run has no value (months to defeat of a run never "
            "defeated) are left out.</p>",
            _img(figures, "differences_forest.png", "Forest plot of paired differences", "Figure:"),
            _table_html(
                differences_display(pdiff), "wide", _scenario_header(res, list(pdiff["scenario"]))
            ),
            "<p>As CSV: <code>paired_differences.csv</code>.</p>",
        ]
    else:
        parts.append("<p>No scenario besides the reference is chosen.</p>")

    months_text = ", ".join(month_text(m) for m in wanted)
    shown = (
        "the share of runs in which IS holds each area"
        if colour_by == "control" and map_level == "area"
        else f"the median over runs of incidents per month by {map_level}"
    )
    parts += [
        '<h2 id="map">Map of the network</h2>',
        f"<p>The model's areas in Iraq and the Syrian havens at their coordinates, a row per "
        f"scenario and a column per month ({_e(months_text)}), coloured by {_e(shown)}. Faint "
        "lines are the network's road and border links; the grey shape is an approximate "
        "outline of Iraq for orientation.</p>",
    ]
    if map_note:
        parts.append(f'<p class="note">{_e(map_note)}</p>')
    parts.append(_img(figures, "network_map.png", "Map of the area network", "Figure:"))

    levers = lever_differences(res, chosen)
    params = lever_differences(res, chosen, parameters=True)
    parts.append('<h2 id="levers">Levers that differ between the scenarios</h2>')
    if levers.empty:
        parts.append("<p>The scenarios set every lever alike.</p>")
    else:
        parts += [
            f"<p>Values as scheduled (a value holds from its month until the next); in bold, "
            f"those that differ from {_e(ref)}.</p>",
            _table_html(
                levers.rename_axis("lever (unit)"), "", head, "text", _differs(levers, ref)
            ),
        ]
    if not params.empty:
        parts += [
            "<h3>Other parameters that differ</h3>",
            _table_html(
                params.rename_axis("parameter (unit)"), "", head, "text", _differs(params, ref)
            ),
        ]
    if p["design"]["names"]:
        parts.append(
            f"<p>The design varies {_e(', '.join(p['design']['names']))} in every scenario; "
            "charts pool all design points, differences pair runs of the same point.</p>"
        )

    parts.append('<h2 id="each">Each outcome in detail</h2>')
    for name in monthly:
        o = MONTHLY[name]
        parts.append(f"<h3>{_e(title(name))}</h3>")
        parts.append(f"<p>{_e(o.meaning)} Unit: {_e(o.unit)}; column <code>{_e(name)}</code>.</p>")
        parts.append(_img(figures, f"fan_{name}.png", f"Fan chart of {name}"))

    parts += [
        '<h2 id="provenance">Provenance</h2>',
        _provenance_html(p),
        "<p>Files written beside this page: "
        + ", ".join(f"<code>{_e(n)}</code>" for n in [*figures, *tables])
        + ".</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
