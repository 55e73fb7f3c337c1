"""The comparison report: every figure of model.analysis.compare, the tables and the batch's provenance
in one self-contained HTML page (figures as base64 PNG, no network needed), plus the PNG and
CSV files beside it.

Everything is checked and drawn in memory first and written to a temporary folder that is moved
into place at the end, so a mistake in the input leaves no files and a failure no half-written
report. No Mesa here.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from model.analysis import compare as C
from model.experiments.results import BatchResults
from model.simulation.outcomes import MONTHLY, SUMMARY
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY

__all__ = ["Report", "build_report", "lever_differences", "provenance", "write_report"]

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


# ---- provenance -------------------------------------------------------------------------------


def provenance(res: BatchResults) -> dict[str, Any]:
    """Where the numbers come from: batch, seeds, versions, git revision, sessions, run counts."""
    m = res.manifest
    batch = m.get("batch") or {}
    sessions = m.get("sessions") or []
    seeds: dict[int, int] = {}
    for run in m.get("runs", []):
        seeds.setdefault(int(run["replicate"]), int(run["seed"]))
    design = m.get("design") or {}
    return {
        "batch": batch.get("batch", m.get("batch_id")),
        "batch_id": m.get("batch_id"),
        "description": " ".join(str(batch.get("description") or "").split()),
        "folder": str(res.path.resolve()),
        "batch_file": m.get("batch_file"),
        "batch_hash": m.get("batch_hash"),
        "master_seed": m.get("master_seed"),
        "replicate_seeds": dict(sorted(seeds.items())),
        "overrides": m.get("overrides") or {},
        "design": {
            "kind": design.get("kind"),
            "names": design.get("names") or [],
            "points": design.get("points"),
        },
        "versions": m.get("versions") or {},
        "git_revision": m.get("git_revision"),
        "created": m.get("created"),
        "finished": m.get("finished"),
        "sessions": [
            {
                "started": s.get("started"),
                "finished": s.get("finished"),
                "host": s.get("host"),
                "executor": s.get("executor"),
                "workers": s.get("workers"),
            }
            for s in sessions
        ],
        "counts": res.counts(),
        "runs_total": len(m.get("runs", [])),
        "running": res.running,
        "host": m.get("host"),
    }


def _schedule_text(name: str, value: Any) -> str:
    p = REGISTRY[name]

    def one(v: float) -> str:
        v = float(v)
        text = str(round(v)) if p.integer else f"{v:g}"
        named = [k for k, c in (p.choices or {}).items() if c == v]
        return f"{text} ({named[0]})" if named else text

    if value is None:
        return f"{one(p.default)} (default)"
    if isinstance(value, list):
        if len(value) == 1:
            return one(value[0]["value"])
        return ", ".join(f"{one(pt['value'])} from {pt['from']}" for pt in value)
    return one(value)


def lever_differences(
    res: BatchResults, scenarios: Sequence[str], parameters: bool = False
) -> pd.DataFrame:
    """Levers (or, with ``parameters=True``, other parameters) that differ between scenarios.

    Returns:
        One row per differing name (index ``name (unit)``), one column of text per scenario.
    """
    specs = {sd["name"]: sd for sd in res.manifest["batch"]["scenarios"]}
    names = PARAMETERS if parameters else LEVERS
    key = "parameters" if parameters else "levers"
    rows: dict[str, dict[str, str]] = {}
    for name in names:
        texts = {s: _schedule_text(name, (specs[s].get(key) or {}).get(name)) for s in scenarios}
        if len(set(texts.values())) > 1:
            rows[f"{name} ({REGISTRY[name].unit})"] = texts
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(scenarios))


# ---- building ---------------------------------------------------------------------------------


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _month_text(x: Any) -> str:
    if x is None or pd.isna(x):
        return "never"
    return f"{pd.Timestamp(x):%Y-%m}"


def summary_display(table: pd.DataFrame) -> pd.DataFrame:
    """The summary table for reading: a row per outcome, a column per scenario, text cells
    ``median (5%-95%)`` (the range left out when every run agrees)."""
    rows: dict[str, dict[str, str]] = {}
    scen = list(table.index)
    rows["Runs"] = {s: str(int(table.at[s, "runs"])) for s in scen}
    for o in SUMMARY.values():
        name = o.name
        if name == "resurgence":
            if "resurgence_probability" not in table.columns:
                continue
            rows["Probability of resurgence (95% Wilson interval)"] = {
                s: f"{table.at[s, 'resurgence_probability']:.0%} "
                f"({table.at[s, 'resurgence_low']:.0%}\u2013{table.at[s, 'resurgence_high']:.0%})"
                for s in scen
            }
            continue
        if f"{name}_median" not in table.columns:
            continue
        if o.unit == C.DATE_UNIT:
            cells = {}
            for s in scen:
                share = table.at[s, name + "_share"]
                if not share:
                    cells[s] = "never"
                    continue
                text = _span(*(_month_text(table.at[s, f"{name}_{q}"]) for q in _QS), " to ")
                cells[s] = f"{text}; in {share:.0%} of runs"
            rows[f"{C.title(name)}: median (5%\u201395%)"] = cells
            continue
        never = name == "months_to_defeat"
        rows[f"{C.title(name)} [{_unit(name)}]"] = {
            s: _span(*(_num(table.at[s, f"{name}_{q}"], never) for q in _QS)) for s in scen
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=scen)


_QS = ("median", "p5", "p95")


def _span(median: str, low: str, high: str, sep: str = "\u2013") -> str:
    if low == high == median:
        return median
    return f"{median} ({low}{sep}{high})"


def _num(x: Any, never: bool = False) -> str:
    if x is None or pd.isna(x):
        return "never" if never else "n/a"
    return C.format_number(float(x))


def differences_display(diffs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences for reading: a row per outcome, a column per scenario, text cells
    ``mean [low, high]``; cells whose interval excludes zero are marked with a *, and cells
    with fewer pairs than the most show their number."""
    scen = list(dict.fromkeys(diffs["scenario"]))
    common = int(diffs["pairs"].max()) if len(diffs) else 0
    rows: dict[str, dict[str, str]] = {}
    for name in dict.fromkeys(diffs["outcome"]):
        part = diffs[diffs["outcome"] == name].set_index("scenario")
        cells = {}
        for s in scen:
            r = part.loc[s]
            if not np.isfinite(r["mean"]):
                cells[s] = "n/a"
                continue
            ci = (
                f" [{C.format_number(r['ci_low'])}, {C.format_number(r['ci_high'])}]"
                if np.isfinite(r["ci_low"])
                else ""
            )
            mark = "*" if np.isfinite(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0) else ""
            n = f" (n={int(r['pairs'])})" if int(r["pairs"]) != common else ""
            cells[s] = f"{_signed(r['mean'])}{ci}{mark}{n}"
        rows[f"{C.title(name)} [{_unit(name)}]"] = cells
    return pd.DataFrame.from_dict(rows, orient="index", columns=scen)


def _unit(name: str) -> str:
    unit = SUMMARY[name].unit
    return "share of runs" if unit == "0/1" else unit


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + C.format_number(x)


def _csv_table(table: pd.DataFrame, index: bool = False) -> str:
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(lambda x: "" if pd.isna(x) else f"{x:%Y-%m}")
    return out.to_csv(index=index, lineterminator="\n")


def _summary_csv(table: pd.DataFrame) -> str:
    out = table.copy()
    for col in out.columns:
        if out[col].map(lambda x: isinstance(x, pd.Timestamp) or x is pd.NaT).all():
            out[col] = out[col].map(lambda x: "never" if pd.isna(x) else f"{x:%Y-%m}")
    return out.to_csv(lineterminator="\n")


def build_report(
    results: C.Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    reference: str | None = None,
    months: str | Iterable[object] | None = None,
    level: str = "national",
    unit: str | None = None,
    colour_by: str = "control",
) -> Report:
    """Check the choices, compute every table and draw every figure, in memory.

    The reference scenario is always shown with the chosen ones.

    Raises:
        ConfigError: a folder that is not a batch, an unknown scenario, outcome, unit or month.
    """
    res = C.open_results(results)
    ref = C.check_reference(res, reference)
    picked = C.check_scenarios(res, scenarios)
    chosen = [s for s in res.scenarios if s in {ref, *picked}]
    others = [s for s in chosen if s != ref]
    monthly, summary = C.check_outcomes(res, outcomes, chosen, level)
    if not monthly:
        raise C.ConfigError(
            "no monthly outcome to plot at this level",
            key="outcomes",
            allowed=", ".join(o for o in MONTHLY if level in MONTHLY[o].levels),
        )
    wanted = C.check_months(res, months, chosen)
    C.read_monthly(res, chosen, monthly[:1], level, unit)  # checks the level and the unit
    C.map_values(res, wanted[:1], colour_by, chosen[:1])  # checks the colouring

    rep = Report()
    figs: dict[str, Figure] = {}
    figs["fan_grid.png"] = C.fan_grid(res, monthly, chosen, level, unit)
    for name in monthly:
        figs[f"fan_{name}.png"] = C.fan_chart(res, name, chosen, level, unit)
    quant = pd.concat(
        [
            C.monthly_quantiles(res, name, chosen, level, unit).assign(outcome=name)
            for name in monthly
        ],
        ignore_index=True,
    )
    rep.tables["quantiles.csv"] = _csv_table(quant[["outcome", *quant.columns[:-1]]])
    table = C.summary_table(res, chosen)
    rep.tables["summary.csv"] = _summary_csv(table)
    mdiff = pdiff = None
    if others:
        mdiff = C.monthly_differences(res, ref, monthly, others, level, unit)
        figs["differences_over_time.png"] = C.difference_chart(
            res, ref, monthly, others, level, unit, data=mdiff
        )
        rep.tables["differences_over_time.csv"] = _csv_table(mdiff)
        pdiff = C.paired_differences(res, ref, summary, others)
        figs["differences_forest.png"] = C.forest_plot(res, ref, summary, others, data=pdiff)
        rep.tables["paired_differences.csv"] = _csv_table(pdiff)
        fewest = int(mdiff["pairs"].min()) if len(mdiff) else 0
        if fewest < FEW_PAIRS:
            rep.notes.append(
                f"Only {fewest} paired runs per scenario: bootstrap intervals from fewer than "
                f"about {FEW_PAIRS} pairs are too narrow to trust: run a batch with more "
                "replicates (--replicates 20 or more)."
            )
    else:
        rep.notes.append("Only the reference scenario is chosen: no paired differences.")
    values, map_level, map_note = C.map_values(res, wanted, colour_by, chosen)
    figs["network_map.png"] = C.network_map(res, wanted, colour_by, chosen)
    for name, fig in figs.items():
        rep.figures[name] = _png(fig)
    rep.html = _html(
        res,
        rep,
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
    )
    return rep


def write_report(
    results: C.Results,
    out_dir: str | os.PathLike | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    reference: str | None = None,
    months: str | Iterable[object] | None = None,
    level: str = "national",
    unit: str | None = None,
    colour_by: str = "control",
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

    Returns:
        The path of report.html.

    Raises:
        ConfigError: bad input (nothing is written).
    """
    res = C.open_results(results)
    rep = build_report(res, outcomes, scenarios, reference, months, level, unit, colour_by)
    out = Path(out_dir) if out_dir is not None else res.path / "compare"
    if out.exists() and not out.is_dir():
        raise C.ConfigError(f"{out} exists and is not a folder", key="out")
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


# ---- HTML -------------------------------------------------------------------------------------

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


def _img(rep: Report, name: str, alt: str, caption: str = "") -> str:
    data = base64.b64encode(rep.figures[name]).decode("ascii")
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
    colours = C.scenario_colours(res)
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


def _html(
    res: BatchResults,
    rep: Report,
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
    p = provenance(res)
    where = C.place_name(level, unit)
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
    for note in rep.notes:
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
        _img(rep, "fan_grid.png", f"Fan charts of {', '.join(monthly)}", "All outcomes:"),
    ]

    parts.append('<h2 id="diff-time">Differences over time</h2>')
    if "differences_over_time.png" in rep.figures:
        parts += [
            f"<p>Each scenario minus <b>{_e(ref)}</b>, run by run: replicate r of a scenario "
            f"is compared with replicate r of {_e(ref)}, which drew the same random numbers "
            "(common random numbers), so the difference is due to the policy, not to luck. The "
            "line is the median of these paired differences in each month; the band is its 90% "
            "bootstrap confidence interval (runs resampled with replacement, fixed seed). A band "
            "that stays clear of zero is a difference the runs support; one that straddles zero "
            "is not distinguishable from no difference with this many runs.</p>",
            _img(rep, "differences_over_time.png", "Paired differences over time", "Figure:"),
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
            _img(rep, "differences_forest.png", "Forest plot of paired differences", "Figure:"),
            _table_html(
                differences_display(pdiff), "wide", _scenario_header(res, list(pdiff["scenario"]))
            ),
            "<p>As CSV: <code>paired_differences.csv</code>.</p>",
        ]
    else:
        parts.append("<p>No scenario besides the reference is chosen.</p>")

    months_text = ", ".join(f"{m:%Y-%m}" for m in wanted)
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
    parts.append(_img(rep, "network_map.png", "Map of the area network", "Figure:"))

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
        parts.append(f"<h3>{_e(C.title(name))}</h3>")
        parts.append(f"<p>{_e(o.meaning)} Unit: {_e(o.unit)}; column <code>{_e(name)}</code>.</p>")
        parts.append(_img(rep, f"fan_{name}.png", f"Fan chart of {name}"))

    parts += [
        '<h2 id="provenance">Provenance</h2>',
        _provenance_html(p),
        "<p>Files written beside this page: "
        + ", ".join(f"<code>{_e(n)}</code>" for n in [*rep.figures, *rep.tables])
        + ".</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
