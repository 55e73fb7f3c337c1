"""The report's sections on comparison under uncertainty, as HTML: what the model leaves out,
what the intervals cover, the decision summary, the variance split, robustness across
futures, satisficing, survival curves and lever-response curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.compare.decision import Decision, cell_lines
from model.analysis.compare.markup import cell_html, e, img, table_html
from model.analysis.compare.names import summary_unit, title
from model.analysis.compare.style import format_number

LEAVES_OUT = Path(__file__).resolve().parents[3] / "docs" / "leaves_out.md"
"""The list of what the model leaves out (one ``- `` line per item)."""


def leaves_out_items(path: Path = LEAVES_OUT) -> list[str]:
    """The items of docs/leaves_out.md (empty if the file is not where the package is)."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    return [line[2:].strip() for line in text.splitlines() if line.startswith("- ")]


def leaves_out_html() -> str:
    """The box at the top of the report."""
    items = leaves_out_items()
    body = (
        "<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>"
        if items
        else "<p>See docs/leaves_out.md in the stabsim sources.</p>"
    )
    return (
        '<div class="leaves" id="leaves-out"><h2>What this model leaves out</h2>'
        "<p>Read every number below as what follows from the model's mechanisms, not as a "
        "forecast. These drove events after 2017 and are not in the model "
        "(<code>docs/leaves_out.md</code>):</p>" + body + "</div>"
    )


def intervals_html(shape: Mapping[str, object], runs: int, screen: Any = None) -> str:
    """What the runs of this batch span, and what each kind of interval in the report covers
    (``screen``: the manifest's record of the draws' history matching, if any)."""
    if shape["draws"]:
        kept = (
            f", kept from {screen['tried']} candidates for reproducing at least "
            f"{screen['least_passed']} of the {len(screen['targets'])} calibration targets of "
            "the start month (history matching)"
            if screen
            else ""
        )
        spans = (
            f"Each scenario has {runs} runs: {shape['draws']} parameter draws (the uncertain "
            f"parameters drawn from their ranges{kept}; the same draws in every scenario) x "
            f"{shape['replicates']} replicates (random streams, the same in every scenario)."
        )
    else:
        spans = (
            f"Each scenario has {runs} runs: {shape['replicates']} replicates with the "
            "parameters <b>held fixed</b> at the scenario's values. The ranges below show chance "
            "only; run the batch with <code>--draws N</code> (or an <code>uncertainty:</code> "
            "section) to see what the uncertain parameters do."
        )
    return (
        f'<div class="note"><p>{spans} Every interval says what it covers:</p><ul>'
        f"<li><b>% of runs</b> (5-95%, middle 50% and 90%): the spread between runs, "
        f"which spans {e(shape['covers'])};</li>"
        "<li><b>95% interval of a mean or a share</b> (bootstrap, Wilson, Greenwood): how sure "
        "the mean or share is, given the number of runs; more runs narrow it, however wide the "
        "spread;</li>"
        "<li><b>futures</b>: the parameter draws (without an ensemble: the replicates); a "
        "policy's value in a future is the mean over that draw's replicates.</li></ul></div>"
    )


def decision_html(dec: Decision, head: Mapping[str, str]) -> str:
    """The decision summary: the scenarios in rank order, a column per outcome and threshold."""
    cols = [f"{title(n)} [{summary_unit(n)}]" for n in dec.outcomes]
    sat = dec.thresholds
    labels = list(dict.fromkeys(sat["label"])) if len(sat) else []
    header = "".join(f"<th>{e(c)}</th>" for c in ["rank", "scenario", *cols, *labels])
    rows = []
    for _, r in dec.ranking.iterrows():
        scen = r["scenario"]
        cells = [f"<td>{int(r['rank'])}</td>", f"<td>{head.get(scen, e(scen))}</td>"]
        for name in dec.outcomes:
            text = "\n".join(cell_lines(dec, scen, name, short=True))
            cells.append(f'<td class="num">{cell_html(text)}</td>')
        for label in labels:
            t = sat[(sat["scenario"] == scen) & (sat["label"] == label)].iloc[0]
            cells.append(
                f'<td class="num">{t["share"]:.0%} of runs<br><small>95% interval '
                f"{t['low']:.0%}-{t['high']:.0%}</small></td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ranked = [n for n in dec.outcomes if dec.sides[n]]
    sides = ", ".join(
        f"{e(n)} ({'lower' if dec.sides[n] == 'lower' else 'higher'} is better)" for n in ranked
    )
    futures = "futures (parameter draws)" if dec.shape.get("draws") else "replicates"
    return (
        f"<p>The scenarios ranked on {sides}: by the mean of each over the runs, then the mean "
        f"of those ranks. Each cell: the median and the 5-95% range over runs; the paired "
        f"difference from <b>{e(dec.reference)}</b> (median and 5-95% of the paired runs, same "
        f"seeds and draws; for shares, the difference of the share in percentage points); in "
        f"how many {futures} the scenario does better than {e(dec.reference)}; and in how many "
        "it is the best of all the scenarios shown. The last columns give the share of runs "
        "that keep to each threshold (95% Wilson interval of the share).</p>"
        f'<div class="scroll"><table class="decision"><thead><tr>{header}</tr></thead><tbody>'
        + "\n".join(rows)
        + "</tbody></table></div><p>As CSV: <code>decision.csv</code>.</p>"
    )


def variance_html(figures: Mapping[str, bytes]) -> str:
    """The variance split: by outcome and over time."""
    out = [
        '<h2 id="variance">Where the spread comes from: parameters or chance</h2>',
        "<p>For each outcome and scenario, the share of the variance between runs that comes "
        "from the parameter draws; the rest is chance between replicates of the same draw "
        "(one-way analysis of variance with the draws as groups). A high share means the "
        "outcome depends on what the model assumes more than on luck: more replicates will not "
        "narrow it, better knowledge of the parameters would. With the parameters held fixed "
        "the share is 0 by construction; with one replicate per draw it cannot be told "
        "(n/a).</p>",
        img(figures, "variance_split.png", "Variance split by outcome", "Figure:"),
        "<p>As CSV: <code>variance_split.csv</code>. The same split month by month for the "
        "charted outcomes:</p>",
    ]
    if "variance_over_time.png" in figures:
        out.append(img(figures, "variance_over_time.png", "Variance split over time", "Figure:"))
    return "\n".join(out)


def robustness_html(
    figures: Mapping[str, bytes], regret: pd.DataFrame, ref: str, head: Mapping[str, str]
) -> str:
    """Win shares against the reference and regret against the best policy."""
    shown = list(dict.fromkeys(regret["scenario"]))
    rows: dict[str, dict[str, str]] = {}
    for name in dict.fromkeys(regret["outcome"]):
        part = regret[regret["outcome"] == name].set_index("scenario")
        rows[f"{title(name)} [{summary_unit(name)}]"] = {
            s: f"mean {format_number(part.at[s, 'mean_regret'])}\n90th pct. "
            f"{format_number(part.at[s, 'p90_regret'])}\nbest in {part.at[s, 'best_share']:.0%}"
            for s in shown
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=shown)
    return "\n".join(
        [
            '<h2 id="robustness">Robustness across futures</h2>',
            f"<p>In each future (parameter draw) every scenario meets the same parameters and "
            f"random streams. The bars give the share of futures in which a scenario does better "
            f"than <b>{e(ref)}</b>, as well, or worse, on each outcome.</p>",
            img(figures, "robustness.png", "Win shares against the reference", "Figure:"),
            "<p><b>Regret</b>: in each future, how far a scenario falls short of the best "
            "scenario in that future, in the outcome's unit; the table gives its mean and 90th "
            "percentile over futures, and the share of futures in which the scenario is the best "
            "(ties shared). A policy with low regret in most futures is robust even if it is "
            "rarely the best.</p>",
            table_html(table, "wide", head),
            "<p>As CSV: <code>robustness.csv</code>, <code>regret.csv</code>.</p>",
        ]
    )


def satisficing_html(figures: Mapping[str, bytes]) -> str:
    """The share of runs keeping to the thresholds."""
    return "\n".join(
        [
            '<h2 id="satisficing">Satisficing: staying under a threshold</h2>',
            "<p>The share of each scenario's runs that keep to a threshold (choose them with "
            "<code>stabsim compare --satisfice</code>), with the 95% Wilson interval of the "
            "share. A threshold on a monthly outcome with <code>[m:]</code> must hold in every "
            "month from m months after the start.</p>",
            img(figures, "satisficing.png", "Satisficing", "Figure:"),
            "<p>As CSV: <code>satisficing.csv</code>.</p>",
        ]
    )


def survival_html(figures: Mapping[str, bytes], relapse: pd.DataFrame) -> str:
    """Survival curves of the time to relapse and the relapse by fixed times."""
    text = []
    for _, r in relapse.iterrows():
        if np.isfinite(r["relapsed"]):
            text.append(f"{e(r['scenario'])} {r['relapsed']:.0%} ({r['low']:.0%}-{r['high']:.0%})")
    months = int(relapse["months"].iloc[0]) if len(relapse) else 0
    return "\n".join(
        [
            '<h2 id="survival">Time to relapse</h2>',
            "<p>Kaplan-Meier curves: the share of runs still without a relapse (IS retakes a "
            "governed area, or yearly battle-related deaths return to war level, 1,000), months "
            "after the war ended (after the territorial defeat, if it never did). Runs that do "
            "not relapse by the horizon are censored there; runs never defeated are left out. "
            "The band is the 95% interval of the estimate.</p>",
            img(figures, "survival.png", "Survival curves of the time to relapse", "Figure:"),
            f"<p>Estimated share relapsed within {months} months (95% interval): "
            + ("; ".join(text) or "n/a")
            + ". As CSV: <code>survival.csv</code>.</p>",
        ]
    )


def response_html(figures: Mapping[str, bytes], variables: Sequence[str]) -> str:
    """Lever-response curves of the varied levers (or a note saying none is varied)."""
    out = ['<h2 id="response">Lever response</h2>']
    if not variables:
        out.append(
            "<p>This batch varies no lever: add a <code>design:</code> over a lever or a "
            "schedule variable, or a <code>schedules:</code> variable to the ensemble "
            "(docs/batches.md), to see outcomes against a lever's level.</p>"
        )
        return "\n".join(out)
    out.append(
        "<p>Run-level outcomes against the level of a varied lever or schedule variable: at "
        "each level (a sample is cut into bins of equal numbers of runs), the median over runs "
        "with the middle 50% and 90% of runs; for 0/1 outcomes the share of runs with its 95% "
        "interval.</p>"
    )
    for name in variables:
        out.append(img(figures, f"response_{name}.png", f"Lever response: {name}", "Figure:"))
    return "\n".join(out)
