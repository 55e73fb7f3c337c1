"""Robustness across futures: how often a policy beats the reference, its regret against the
best policy in each future, and satisficing (the probability of staying under a threshold).

A *future* is one parameter draw of the batch's ensemble (at one design point): every scenario
meets the same futures, with the same random streams, so futures pair policies as replicates
do. A scenario's value in a future is the mean over that draw's replicates. Without an
ensemble the parameters are held fixed and each replicate is its own future (chance only).

The functions on plain tables (:func:`future_means`, :func:`win_shares`, :func:`regret`,
:func:`satisfied`) take one row per run; :func:`robustness` and :func:`satisficing` read a
stored batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.analysis.compare.names import (
    Results,
    _compared,
    _numeric_summary,
    check_scenarios,
    open_results,
    split_names,
)
from model.analysis.compare.tables import _cached_monthly, _summary, wilson
from model.files.errors import ConfigError, suggest
from model.files.months import month_index
from model.simulation.outcomes import MONTHLY, SUMMARY

__all__ = [
    "DEFAULT_SATISFICE",
    "Threshold",
    "direction_of",
    "future_means",
    "parse_ranked",
    "parse_threshold",
    "regret",
    "robustness",
    "satisficing",
    "satisfied",
    "win_shares",
]

DEFAULT_SATISFICE: tuple[str, ...] = (
    "battle_deaths_final_year < 1000",
    "battle_deaths_12m[36:] < 1000",
)
"""Thresholds shown when none are given: below war level (1,000 battle-related deaths a year)
in the last year, and in every month from the fourth year on."""


# ---- directions -------------------------------------------------------------------------------


def direction_of(name: str) -> str:
    """``"lower"`` or ``"higher"`` (the better side of an outcome), or ``""`` if neutral."""
    higher_is = SUMMARY[name].higher_is
    return {"worse": "lower", "better": "higher"}.get(higher_is, "")


def parse_ranked(
    names: str | Iterable[str] | None, key: str = "rank_by"
) -> tuple[list[str], dict[str, str]]:
    """Run-level outcomes to rank on, each optionally ``name:min`` or ``name:max``.

    Returns:
        The names and their better side (``"lower"``, ``"higher"``; ``""`` for a neutral
        outcome without a suffix: shown, not ranked).

    Raises:
        ConfigError: an unknown outcome or suffix.
    """
    known = _numeric_summary()
    out: list[str] = []
    sides: dict[str, str] = {}
    items = split_names(names)
    if items == []:  # given, but without a name (None is the default)
        raise ConfigError(
            "no outcome named", key=key, allowed="run-level outcomes, e.g. resurgence,idps_final"
        )
    for item in items or []:
        name, _, side = item.partition(":")
        name, side = name.strip(), side.strip()
        if name not in known:
            raise ConfigError(
                f"unknown run-level outcome '{name}'",
                key=key,
                allowed="numeric outcomes of the run summary (`stabsim outcomes`)",
                suggestion=suggest(name, known),
            )
        if side not in ("", "min", "max"):
            raise ConfigError(
                f"unknown direction '{side}' for {name}",
                key=key,
                allowed="name, name:min, name:max",
            )
        out.append(name)
        sides[name] = {"min": "lower", "max": "higher"}.get(side, direction_of(name))
    return out, sides


# ---- futures ----------------------------------------------------------------------------------


def future_keys(frame: pd.DataFrame) -> pd.Series:
    """Each run's future: ``design point/draw`` (``design point/replicate`` without draws)."""
    inner = frame["draw"] if "draw" in frame.columns else frame["replicate"]
    return frame["design_point"].astype(str) + "/" + inner.astype(str)


def future_means(frame: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """The mean of each outcome over the runs of each scenario and future.

    Args:
        frame: one row per run with ``scenario``, ``design_point``, ``replicate`` (and
            ``draw``) and the outcomes.

    Returns:
        ``scenario, future`` and the outcomes, one row per scenario and future.
    """
    data = frame.assign(future=future_keys(frame))
    means = data.groupby(["scenario", "future"], sort=False)[list(outcomes)].mean()
    return means.reset_index()


def _wide(means: pd.DataFrame, outcome: str, scenarios: Sequence[str]) -> pd.DataFrame:
    """Futures x scenarios of one outcome, only futures where every scenario has a value."""
    wide = means.pivot(index="future", columns="scenario", values=outcome)
    return wide.reindex(columns=list(scenarios)).dropna(how="any")


def win_shares(
    means: pd.DataFrame,
    reference: str,
    outcomes: Sequence[str],
    sides: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The share of futures in which each scenario beats, ties or loses to the reference.

    Args:
        means: :func:`future_means`.
        reference: the scenario compared against.
        outcomes: the outcomes.
        sides: the better side per outcome (default: the catalogue's); neutral outcomes are
            left out.

    Returns:
        ``scenario, outcome, futures, better, ties, worse`` (shares of the futures where both
        have a value).
    """
    sides = dict(sides or {}) or {o: direction_of(o) for o in outcomes}
    others = [s for s in dict.fromkeys(means["scenario"]) if s != reference]
    rows = []
    for name in outcomes:
        side = sides.get(name, direction_of(name))
        if not side:
            continue
        for scen in others:
            wide = _wide(means, name, [reference, scen])
            d = (wide[scen] - wide[reference]).to_numpy(dtype=float)
            n = len(d)
            better = (d < 0) if side == "lower" else (d > 0)
            ties = d == 0
            rows.append(
                {
                    "scenario": scen,
                    "outcome": name,
                    "futures": n,
                    "better": better.mean() if n else np.nan,
                    "ties": ties.mean() if n else np.nan,
                    "worse": (~better & ~ties).mean() if n else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "outcome", "futures", "better", "ties", "worse"])


def regret(
    means: pd.DataFrame,
    outcomes: Sequence[str],
    sides: Mapping[str, str] | None = None,
    scenarios: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Regret against the best scenario in each future, and how often each scenario is best.

    In each future the best scenario is the one with the lowest value (``higher``: the
    highest); a scenario's regret there is how far it falls short of it, in the outcome's
    unit. A future where several scenarios tie for best counts 1/k for each.

    Returns:
        ``scenario, outcome, futures, mean_regret, p90_regret, max_regret, best_share``.
    """
    sides = dict(sides or {}) or {o: direction_of(o) for o in outcomes}
    scenarios = list(scenarios or dict.fromkeys(means["scenario"]))
    rows = []
    for name in outcomes:
        side = sides.get(name, direction_of(name))
        if not side:
            continue
        wide = _wide(means, name, scenarios)
        x = wide.to_numpy(dtype=float)
        if side == "higher":
            x = -x
        if len(x):
            best = x.min(axis=1, keepdims=True)
            gap = x - best
            winners = gap == 0
            share = (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)
        else:
            gap = np.empty((0, len(scenarios)))
            share = np.full(len(scenarios), np.nan)
        for j, scen in enumerate(scenarios):
            g = gap[:, j]
            rows.append(
                {
                    "scenario": scen,
                    "outcome": name,
                    "futures": len(g),
                    "mean_regret": float(g.mean()) if len(g) else np.nan,
                    "p90_regret": float(np.quantile(g, 0.9)) if len(g) else np.nan,
                    "max_regret": float(g.max()) if len(g) else np.nan,
                    "best_share": float(share[j]),
                }
            )
    return pd.DataFrame(rows)


# ---- satisficing ------------------------------------------------------------------------------

_THRESHOLD_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]:]*?)\s*(:)?\s*\])?\s*(<=|>=|<|>)\s*(\S+)\s*$"
)
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


@dataclass(frozen=True)
class Threshold:
    """A threshold a run stays under (or above).

    ``outcome OP value`` for a run-level outcome; ``outcome[m] OP value`` for a monthly one in
    one month; ``outcome[m:] OP value`` in every month from m on (m: months after the start,
    or ``YYYY-MM``).
    """

    text: str
    outcome: str
    op: str
    value: float
    month: int | str | None = None
    onward: bool = False

    def label(self) -> str:
        """The threshold in words, e.g. ``battle_deaths_12m < 1,000 in every month from 36``."""
        value = f"{self.value:,.0f}" if abs(self.value) >= 1000 else f"{self.value:g}"
        text = f"{self.outcome} {self.op} {value}"
        if self.month is None:
            return text
        when = f"month {self.month}" if isinstance(self.month, int) else str(self.month)
        return text + (f" in every month from {when} on" if self.onward else f" in {when}")


def parse_threshold(text: str, key: str = "satisfice") -> Threshold:
    """Read a threshold (:class:`Threshold`).

    Raises:
        ConfigError: a threshold that cannot be read, or an unknown outcome.
    """
    m = _THRESHOLD_RE.match(text) if isinstance(text, str) else None
    if not m:
        raise ConfigError(
            f"cannot read the threshold {text!r}",
            key=key,
            allowed="outcome < value, outcome[36] < value or outcome[36:] < value",
        )
    outcome, month, colon, op, number = m.groups()
    try:
        value = float(number.replace(",", "").replace("_", ""))
    except ValueError:
        raise ConfigError(f"expected a number after {op}, got {number!r}", key=key) from None
    if not math.isfinite(value):
        raise ConfigError(f"expected a finite number after {op}, got {number!r}", key=key)
    known = (*_numeric_summary(), *MONTHLY)
    if outcome not in known:
        raise ConfigError(
            f"unknown outcome '{outcome}'",
            key=key,
            allowed="the names listed by `stabsim outcomes`",
            suggestion=suggest(outcome, known),
        )
    when: int | str | None = None
    if outcome in MONTHLY:
        if month is None or month == "":
            month, colon = "0", ":"
        when = month if re.fullmatch(r"\d{4}-\d{2}", month) else _offset(month, key)
    elif month is not None:
        raise ConfigError(f"{outcome} is a run-level outcome: it takes no month", key=key)
    return Threshold(text.strip(), outcome, op, value, when, bool(colon))


def _offset(text: str, key: str) -> int:
    if not text.isdigit():
        raise ConfigError(
            f"expected months after the start or YYYY-MM in brackets, got [{text}]", key=key
        )
    return int(text)


def satisfied(
    frame: pd.DataFrame,
    threshold: Threshold,
    monthly: pd.DataFrame | None,
    key: str = "satisfice",
) -> pd.Series:
    """Whether each run (row of ``frame``, by ``run_id``) keeps to the threshold; NaN values
    never do.

    Args:
        frame: run summaries (``run_id`` and run-level outcomes).
        threshold: the threshold.
        monthly: national monthly rows (``run_id``, ``month`` and the outcome) for a monthly
            threshold.
        key: the option or key the threshold came from, for messages.

    Raises:
        ConfigError: a monthly threshold with a month some runs do not reach.
    """
    op = _OPS[threshold.op]
    if threshold.month is None:
        v = frame[threshold.outcome].astype(float).to_numpy()
        return pd.Series(op(v, threshold.value) & np.isfinite(v), index=frame.index)
    if monthly is None:
        raise ValueError("a monthly threshold needs the monthly table")
    month = pd.to_datetime(monthly["month"])
    index = month.dt.year * 12 + month.dt.month - 1
    if isinstance(threshold.month, str):
        at = month_index(threshold.month)
    else:
        at = index.groupby(monthly["run_id"]).transform("min") + threshold.month
    pick = index >= at if threshold.onward else index == at
    v = monthly[threshold.outcome].astype(float).to_numpy()
    ok = pd.Series(op(v, threshold.value) & np.isfinite(v), index=monthly.index)
    seen = pick.groupby(monthly["run_id"]).any()
    if len(seen) and not seen.all():  # no run month to judge: a share of 0% would be made up
        raise ConfigError(
            f"{threshold.label()}: {seen.size - int(seen.sum())} run(s) end before that month",
            key=key,
            allowed="a month within the runs (months after the start, or YYYY-MM)",
        )
    per_run = (ok | ~pick).groupby(monthly["run_id"]).all() & seen
    return frame["run_id"].map(per_run).fillna(False).astype(bool)


def satisficing(
    results: Results,
    thresholds: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    key: str = "satisfice",
) -> pd.DataFrame:
    """The share of runs of each scenario that keep to each threshold, with its 95% Wilson
    interval (the uncertainty of the share from the number of runs). A default threshold in a
    month the runs do not reach is left out; one asked for is an error.

    Returns:
        ``scenario, threshold, label, runs, share, low, high``.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    texts = [thresholds] if isinstance(thresholds, str) else list(thresholds or DEFAULT_SATISFICE)
    parsed = [parse_threshold(t, key) for t in texts]
    frame = _summary(res, chosen)
    monthly_names = sorted({t.outcome for t in parsed if t.month is not None})
    monthly = None
    if monthly_names:
        from model.analysis.compare.names import _recorded

        missing = [n for n in monthly_names if n not in _recorded(res, chosen)]
        if missing:
            raise ConfigError(f"outcome '{missing[0]}' is not recorded by every scenario", key=key)
        monthly = _cached_monthly(res, "national", chosen, monthly_names)
    rows = []
    for t in parsed:
        try:
            ok = satisfied(frame, t, monthly, key)
        except ConfigError:
            if thresholds:  # asked for: say why it cannot be judged
                raise
            continue  # a default threshold in a month past the runs' horizon: left out
        for scen in chosen:
            mask = (frame["scenario"] == scen).to_numpy()
            n, k = int(mask.sum()), int(ok[mask].sum())
            low, high = wilson(k, n)
            rows.append({"scenario": scen, "threshold": t.text, "label": t.label(), "runs": n,
                         "share": k / n if n else np.nan, "low": low, "high": high})  # fmt: skip
    return pd.DataFrame(rows)


def robustness(
    results: Results,
    reference: str | None = None,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Win shares against the reference and regret against the best, over futures.

    Args:
        outcomes: run-level outcomes, each optionally ``name:min`` or ``name:max`` (default:
            every numeric one with a better side).

    Returns:
        (:func:`win_shares`, :func:`regret`) of the chosen scenarios and the reference.
    """
    res = open_results(results)
    ref, chosen = _compared(res, reference, scenarios)
    names, sides = parse_ranked(outcomes or [o for o in _numeric_summary() if direction_of(o)])
    shown = [s for s in res.scenarios if s in {ref, *chosen}]
    means = future_means(_summary(res, shown), names)
    return win_shares(means, ref, names, sides), regret(means, names, sides, shown)
