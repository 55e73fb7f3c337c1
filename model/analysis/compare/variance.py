"""How much of the spread of an outcome comes from the uncertain parameters and how much from
chance (the replicates), per scenario: a one-way random-effects analysis of variance with the
parameter draws as groups.

With D draws of R replicates each (or unequal numbers), y = mu + a_d + e: the variance of the
draws' effects a_d is the parameter part, the variance of e within a draw the replicate part.
The ANOVA estimates (Searle, Casella & McCulloch 1992, ch. 3): MSW = within-draw mean square,
MSB = between-draw mean square, n0 = (N - sum n_d^2 / N) / (D - 1), parameter variance
max(0, (MSB - MSW) / n0), replicate variance MSW. Without an ensemble the parameters are held
fixed: all the variance is the replicates'. With one replicate per draw the parts cannot be
told apart (NaN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from model.analysis.compare.names import Results, _only_summary, check_scenarios, open_results
from model.analysis.compare.tables import _summary, read_monthly
from model.experiments.results import BatchResults

__all__ = [
    "ensemble_shape",
    "interval_covers",
    "monthly_variance_split",
    "variance_components",
    "variance_split",
]


def variance_components(values: Sequence[float], groups: Sequence[object]) -> dict[str, float]:
    """Parameter (between-group) and replicate (within-group) variance of ``values``.

    Args:
        values: one value per run (NaN left out).
        groups: the run's parameter draw (any hashable label).

    Returns:
        ``runs, draws, total, parameters, replicates, parameter_share`` (variances in the
        values' unit squared; the share of the two parts from the parameters, NaN if it cannot
        be estimated).
    """
    frame = pd.DataFrame({"k": 0, "g": list(groups), "y": np.asarray(values, dtype=float)})
    row = _split(frame, ["k"], "g", ["y"]).iloc[0]
    return {c: float(row[c]) for c in _COLUMNS}


_COLUMNS = ("runs", "draws", "total", "parameters", "replicates", "parameter_share")


def _split(
    frame: pd.DataFrame, keys: list[str], group: str, columns: Sequence[str]
) -> pd.DataFrame:
    """The variance split of ``columns`` within each combination of ``keys``, the runs of one
    ``group`` value sharing a parameter set (vectorized one-way ANOVA).

    Returns:
        One row per key combination and column: the keys, ``outcome`` and ``_COLUMNS``.
    """
    long = frame.melt(id_vars=[*keys, group], value_vars=list(columns), var_name="outcome")
    long = long[np.isfinite(long["value"].to_numpy(dtype=float))]
    by = [*keys, "outcome"]
    cells = long.groupby([*by, group], sort=False)["value"].agg(["count", "mean", "var"])
    cells["ss"] = cells["var"].fillna(0.0) * (cells["count"] - 1)
    cells["sum"] = cells["count"] * cells["mean"]
    cells["sq"] = cells["count"] ** 2
    top = cells.groupby(level=by, sort=False).agg(
        runs=("count", "sum"), draws=("count", "size"), ssw=("ss", "sum"), total_sum=("sum", "sum"),
        sq=("sq", "sum"),
    )  # fmt: skip
    grand = top["total_sum"] / top["runs"]
    dev = cells["mean"] - grand.reindex(cells.index.droplevel(group)).to_numpy()
    top["ssb"] = (cells["count"] * dev**2).groupby(level=by, sort=False).sum()
    n, d = top["runs"].astype(float), top["draws"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        msw = top["ssw"] / (n - d)
        msb = top["ssb"] / (d - 1)
        n0 = (n - top["sq"] / n) / (d - 1)
        between = ((msb - msw) / n0).clip(lower=0.0)
        total = (top["ssw"] + top["ssb"]) / (n - 1)
    one_set = d < 2  # one parameter set: every bit of spread is chance
    no_split = (~one_set) & (n - d < 1)  # one run per draw: the parts cannot be told apart
    between = between.where(~one_set, 0.0).where(~no_split, np.nan)
    msw = msw.where(~one_set, total).where(~no_split, np.nan)
    both = between + msw
    out = pd.DataFrame(
        {
            "runs": n.astype(int),
            "draws": d.astype(int),
            "total": total.where(n >= 2, np.nan),
            "parameters": between.where(n >= 2, np.nan),
            "replicates": msw.where(n >= 2, np.nan),
            "parameter_share": (between / both).where(both > 0, np.nan),
        }
    )
    return out.reset_index()


def ensemble_shape(res: BatchResults) -> dict[str, object]:
    """What the runs of a batch cover: ``draws`` (0 without an ensemble), replicates per draw
    (the smallest over scenarios), and a label for intervals over runs."""
    ens = res.ensemble or {}
    draws = int(ens.get("draws") or 0)
    reps = min(int(sd.get("replicates") or 1) for sd in res.manifest["batch"]["scenarios"])
    return {
        "draws": draws,
        "replicates": reps,
        "covers": interval_covers(draws),
        "design_points": int((res.manifest.get("design") or {}).get("points") or 1),
    }


def interval_covers(draws: int) -> str:
    """What an interval over runs covers: both sources, or chance with parameters fixed."""
    if draws:
        return "parameters and replicates"
    return "replicates only (parameters held fixed)"


def _groups(frame: pd.DataFrame) -> pd.Series:
    """A run's parameter set: its design point and draw (each run its own set of replicates
    when the batch has no ensemble: one group per design point)."""
    draw = frame["draw"] if "draw" in frame.columns else 0
    return frame["design_point"].astype(str) + "/" + pd.Series(draw, index=frame.index).astype(str)


def variance_split(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """The variance of each run-level outcome split into parameter and replicate parts.

    Runs of different design points are never pooled into one draw: a design point's runs of
    draw d form one group.

    Returns:
        One row per scenario and outcome: ``scenario, outcome, runs, draws, total,
        parameters, replicates, parameter_share, replicate_share``.
    """
    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    names = _only_summary(res, outcomes, chosen)
    frame = _summary(res, chosen)
    frame = frame.assign(_g=_groups(frame))
    out = _split(frame, ["scenario"], "_g", names)
    out["replicate_share"] = 1.0 - out["parameter_share"]
    return _ordered(out, chosen, names)


def _ordered(table: pd.DataFrame, scenarios: Sequence[str], names: Sequence[str]) -> pd.DataFrame:
    order = {s: i for i, s in enumerate(scenarios)}
    rank = {n: i for i, n in enumerate(names)}
    table = table.assign(_s=table["scenario"].map(order), _o=table["outcome"].map(rank))
    by = ["_s", "_o", *(["month"] if "month" in table.columns else [])]
    return table.sort_values(by, kind="stable").drop(columns=["_s", "_o"]).reset_index(drop=True)


def monthly_variance_split(
    results: Results,
    outcomes: str | Iterable[str] | None = None,
    scenarios: str | Iterable[str] | None = None,
    level: str = "national",
    unit: str | None = None,
) -> pd.DataFrame:
    """The parameter share of the variance of monthly outcomes, month by month.

    Returns:
        One row per scenario, outcome and month: ``scenario, outcome, month, runs,
        parameter_share``.
    """
    from model.analysis.compare.names import _only_monthly

    res = open_results(results)
    chosen = check_scenarios(res, scenarios)
    names = _only_monthly(res, outcomes, chosen, level)
    frame = read_monthly(res, chosen, names, level, unit)
    frame = frame.assign(_g=_groups(frame))
    out = _split(frame, ["scenario", "month"], "_g", names)
    return _ordered(out[["scenario", "outcome", "month", "runs", "parameter_share"]], chosen, names)
