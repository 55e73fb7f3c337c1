"""The decision summary: the policies (scenarios) ranked on the outcomes the user names, with
their spread over runs, their paired differences from the reference, how often each beats the
reference and how often it is the best of all, and the probability of keeping to thresholds.

It heads the report and ends the output of ``stabsim batch``, ``demo`` and ``compare``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.analysis.compare.names import (
    Results,
    _compared,
    summary_unit,
    title,
)
from model.analysis.compare.robustness import (
    future_means,
    parse_ranked,
    regret,
    satisficing,
    win_shares,
)
from model.analysis.compare.style import format_number
from model.analysis.compare.tables import _summary
from model.analysis.compare.variance import ensemble_shape
from model.simulation.outcomes import SUMMARY

__all__ = ["DEFAULT_RANK_BY", "Decision", "cell_lines", "decision_summary", "decision_text"]

DEFAULT_RANK_BY: tuple[str, ...] = ("cumulative_deaths", "resurgence", "idps_final")
"""Run-level outcomes the policies are ranked on when none are named."""


@dataclass
class Decision:
    """A decision summary.

    Attributes:
        reference: the scenario differences are taken from.
        outcomes: the outcomes, in the order named.
        sides: the better side of each (``lower``, ``higher``; ``""``: shown, not ranked).
        table: one row per scenario and outcome: ``scenario, outcome, runs, median, p5, p95,
            mean, pairs, diff_median, diff_p5, diff_p95, diff_mean, futures, better, ties,
            worse, best_share, mean_regret, rank``.
        ranking: ``scenario, rank, mean_rank`` in rank order.
        thresholds: :func:`~model.analysis.compare.robustness.satisficing`.
        shape: draws, replicates per draw and what intervals over runs cover.
    """

    reference: str
    outcomes: list[str]
    sides: dict[str, str]
    table: pd.DataFrame
    ranking: pd.DataFrame
    thresholds: pd.DataFrame = field(default_factory=pd.DataFrame)
    shape: dict = field(default_factory=dict)

    def text(self) -> str:
        """The summary as lines of text for a terminal."""
        return decision_text(self)


def decision_summary(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    reference: str | None = None,
    scenarios: str | Iterable[str] | None = None,
    thresholds: str | Iterable[str] | None = None,
    key: str = "rank_by",
) -> Decision:
    """Rank the scenarios on ``outcomes`` (``name``, ``name:min`` or ``name:max``; default
    :data:`DEFAULT_RANK_BY`) by their mean over runs, averaging the ranks.

    Raises:
        ConfigError: an unknown scenario, outcome or threshold.
    """
    from model.analysis.compare.names import open_results

    res = open_results(results)
    ref, others = _compared(res, reference, scenarios)
    shown = [s for s in res.scenarios if s in {ref, *others}]
    names, sides = parse_ranked(outcomes or DEFAULT_RANK_BY, key)
    frame = _summary(res, shown)
    means = future_means(frame, names)
    wins = win_shares(means, ref, names, sides)
    reg = regret(means, names, sides, shown)
    rows = []
    for scen in shown:
        part = frame[frame["scenario"] == scen]
        base = frame[frame["scenario"] == ref]
        pairs = (
            part.set_index(["design_point", "replicate"])[names]
            .astype(float)
            .sub(base.set_index(["design_point", "replicate"])[names].astype(float))
        )
        for name in names:
            y = part[name].astype(float).to_numpy()
            y = y[np.isfinite(y)]
            d = pairs[name].to_numpy()
            d = d[np.isfinite(d)]
            q = np.quantile(y, [0.05, 0.5, 0.95]) if len(y) else [np.nan] * 3
            dq = np.quantile(d, [0.05, 0.5, 0.95]) if len(d) else [np.nan] * 3
            rows.append({"scenario": scen, "outcome": name, "runs": len(y), "median": q[1],
                         "p5": q[0], "p95": q[2], "mean": y.mean() if len(y) else np.nan,
                         "pairs": len(d), "diff_median": dq[1], "diff_p5": dq[0],
                         "diff_p95": dq[2], "diff_mean": d.mean() if len(d) else np.nan})  # fmt: skip
    table = pd.DataFrame(rows)
    table = table.merge(wins, on=["scenario", "outcome"], how="left")
    table = table.merge(
        reg[["scenario", "outcome", "best_share", "mean_regret"]],
        on=["scenario", "outcome"],
        how="left",
    )
    table["rank"] = np.nan
    for name in names:
        side = sides[name]
        if not side:
            continue
        sel = table["outcome"] == name
        table.loc[sel, "rank"] = table.loc[sel, "mean"].rank(ascending=side == "lower")
    ranked = [n for n in names if sides[n]]
    ranking = (
        table[table["outcome"].isin(ranked)]
        .groupby("scenario", sort=False)["rank"]
        .mean()
        .rename("mean_rank")
        .reset_index()
    )
    if ranked:
        first = table[table["outcome"] == ranked[0]].set_index("scenario")["mean"]
        sign = 1.0 if sides[ranked[0]] == "lower" else -1.0
        ranking["_tie"] = ranking["scenario"].map(first) * sign
        ranking = ranking.sort_values(["mean_rank", "_tie"], kind="stable").drop(columns="_tie")
    ranking.insert(1, "rank", np.arange(1, len(ranking) + 1))
    sat = satisficing(res, thresholds, shown) if thresholds != () else pd.DataFrame()
    return Decision(ref, names, sides, table, ranking.reset_index(drop=True), sat,
                    ensemble_shape(res))  # fmt: skip


def _side_text(side: str) -> str:
    return {"lower": "lower is better", "higher": "higher is better"}.get(side, "not ranked")


def cell_lines(dec: Decision, scenario: str, name: str, short: bool = False) -> list[str]:
    """What the summary says about one scenario and outcome, line by line: its spread over
    runs, its paired difference from the reference, how often it beats the reference and how
    often it is the best of all (``short``: without the words a table's headers give)."""
    sel = (dec.table["scenario"] == scenario) & (dec.table["outcome"] == name)
    if not sel.any():
        return ["n/a"]
    row = dec.table[sel].iloc[0]
    futures = "futures" if dec.shape.get("draws") else "replicates"
    binary = SUMMARY[name].unit == "0/1"
    if binary:
        lines = [f"{_pct(row['mean'])} of runs"]
    else:
        lines = [
            f"median {_n(row['median'])}",
            f"(5-95% of runs {_n(row['p5'])} to {_n(row['p95'])})"
            if not short
            else f"({_n(row['p5'])} to {_n(row['p95'])})",
        ]
    if scenario != dec.reference:
        if binary:
            points = row["diff_mean"] * 100 if np.isfinite(row["diff_mean"]) else np.nan
            lines.append(f"vs {'ref.' if short else dec.reference} {_signed(points)} points")
        else:
            lines.append(f"vs {'ref.' if short else dec.reference} {_signed(row['diff_median'])}")
            lines.append(
                f"({'' if short else '5-95% of paired runs '}{_signed(row['diff_p5'])} to "
                f"{_signed(row['diff_p95'])})"
            )
        if dec.sides[name]:
            lines.append(f"better in {_pct(row['better'])} of {futures}")
    if dec.sides[name]:
        lines.append(f"best of all in {_pct(row['best_share'])}")
    return lines


def decision_text(dec: Decision) -> str:
    """The decision summary as lines of text."""
    shape = dec.shape
    runs = int(dec.table["runs"].max()) if len(dec.table) else 0
    how = (
        f"{shape['draws']} parameter draws x {shape['replicates']} replicates"
        if shape.get("draws")
        else f"{shape.get('replicates')} replicates, parameters held fixed"
    )
    lines = [
        f"Decision summary: reference {dec.reference}; {runs} runs per scenario ({how}); "
        f"ranges cover {shape.get('covers')}",
        "ranked on "
        + ", ".join(f"{n} ({_side_text(dec.sides[n])})" for n in dec.outcomes)
        + ": the mean of the ranks of their means over runs",
    ]
    sat = dec.thresholds
    for _, r in dec.ranking.iterrows():
        scen = r["scenario"]
        lines.append(f"{int(r['rank'])}. {scen}")
        for name in dec.outcomes:
            body = "; ".join(cell_lines(dec, scen, name)).replace("; (", " (")
            lines.append(f"   {title(name)} [{summary_unit(name)}]: {body}")
        for _, t in (sat[sat["scenario"] == scen] if len(sat) else sat).iterrows():
            lines.append(
                f"   {t['label']}: {_pct(t['share'])} of runs (95% interval {_pct(t['low'])}"
                f"-{_pct(t['high'])})"
            )
    return "\n".join(lines)


def _n(x: float) -> str:
    return format_number(float(x)) if x is not None and np.isfinite(x) else "n/a"


def _signed(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return ("+" if x > 0 else "") + format_number(float(x))


def _pct(x: float) -> str:
    return f"{x:.0%}" if x is not None and np.isfinite(x) else "n/a"
