"""The Patient Rule Induction Method (Friedman & Fisher 1999) for scenario discovery: peeling,
pasting, covering with further boxes, the boxes' limits and quasi-p-values, and the figure of a
box (its peeling trajectory and limits)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.discovery.common import fmt, new_figure
from model.simulation.parameters import REGISTRY

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WEAK_QP = 0.05
"""A restriction whose quasi-p-value exceeds this is reported as weak (not supported by the runs)."""


@dataclass
class PrimResult:
    """Boxes found by PRIM.

    Attributes:
        names: the dimensions (varied levers and parameters).
        boxes: one row per box: ``box, coverage, density, mass, res_dim, runs, cases, step,
            pasted``. Coverage: share of all cases (runs where the condition holds) inside the
            box; density: share of the box's runs that are cases; mass: share of all runs inside.
        limits: one row per box and name: ``low, high`` (inclusive), ``full_low, full_high``,
            ``restricted`` and ``qp`` (quasi-p-value of the restriction: one-sided binomial test
            that the box is denser than the box without it).
        trajectory: the peeling trajectory of each box: ``box, step, coverage, density, mass,
            res_dim, chosen``.
        cases: cases among all runs; total: all runs.
    """

    names: tuple[str, ...]
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    cases: int
    total: int

    def describe(self) -> str:
        """The boxes in a few lines of text."""
        lines = [
            f"{self.cases} of {self.total} runs are cases ({self.cases / max(self.total, 1):.1%})"
        ]
        for _, b in self.boxes.iterrows():
            lim = self.limits[(self.limits["box"] == b["box"]) & self.limits["restricted"]]
            where = "; ".join(
                f"{r['name']} {fmt(r['low'], 4)} – {fmt(r['high'], 4)} (qp {r['qp']:.2g}"
                + (", weak" if not r["qp"] <= WEAK_QP else "")
                + ")"
                for _, r in lim.sort_values("qp").iterrows()
            )
            lines.append(
                f"box {b['box']}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, mass {b['mass']:.2f} "
                f"({b['runs']} runs, {b['cases']} cases): {where or 'no restriction'}"
            )
        return "\n".join(lines)


def _in_box(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, skip: int | None = None) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for j in range(x.shape[1]):
        if j != skip:
            inside &= (x[:, j] >= lo[j]) & (x[:, j] <= hi[j])
    return inside


def _peel(
    x: np.ndarray,
    y: np.ndarray,
    avail: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    alpha: float,
    min_runs: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Friedman & Fisher's peeling: repeatedly remove the alpha-share slice (from one side of
    one dimension) whose removal leaves the box with the highest mean; stop at ``min_runs``."""
    boxes = [(lo.copy(), hi.copy())]
    mask = avail & _in_box(x, lo, hi)
    top = float(np.max(y[avail])) if avail.any() else 1.0
    while True:
        m = int(mask.sum())
        if m == 0 or float(y[mask].mean()) >= top:
            break
        k = max(1, int(math.floor(alpha * m)))
        best: tuple[float, int, int, str, float] | None = None
        for j in range(x.shape[1]):
            v = np.sort(x[mask, j])
            if v[0] == v[-1]:
                continue
            # Low side: drop the k smallest (at least the whole group tied at the minimum).
            t_low = v[min(k, m - 1)]
            if t_low == v[0]:
                t_low = v[np.searchsorted(v, v[0], side="right")]
            # High side: drop the k largest (at least the group tied at the maximum).
            t_high = v[max(m - 1 - k, 0)]
            if t_high == v[-1]:
                t_high = v[np.searchsorted(v, v[-1], side="left") - 1]
            for side, keep in (("low", x[:, j] >= t_low), ("high", x[:, j] <= t_high)):
                cand = mask & keep
                n_c = int(cand.sum())
                if n_c < min_runs or n_c == 0:
                    continue
                score = (float(y[cand].mean()), n_c)
                if best is None or score > best[:2]:
                    best = (*score, j, side, t_low if side == "low" else t_high)
        if best is None:
            break
        _, _, j, side, t = best
        if side == "low":
            lo[j] = t
        else:
            hi[j] = t
        mask = avail & _in_box(x, lo, hi)
        boxes.append((lo.copy(), hi.copy()))
    return boxes


def _paste(
    x: np.ndarray, y: np.ndarray, avail: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Friedman & Fisher's pasting: widen the box one alpha-share slice at a time while the
    box's mean rises."""
    lo, hi, changed = lo.copy(), hi.copy(), False
    while True:
        inside = avail & _in_box(x, lo, hi)
        m = int(inside.sum())
        if m == 0:
            break
        current = float(y[inside].mean())
        k = max(1, int(math.floor(alpha * m)))
        best: tuple[float, int, str, float] | None = None
        for j in range(x.shape[1]):
            others = avail & _in_box(x, lo, hi, skip=j)
            below = np.sort(x[others & (x[:, j] < lo[j]), j])[::-1]
            above = np.sort(x[others & (x[:, j] > hi[j]), j])
            for side, values in (("low", below), ("high", above)):
                if not len(values):
                    continue
                t = values[min(k, len(values)) - 1]
                new_lo = t if side == "low" else lo[j]
                new_hi = t if side == "high" else hi[j]
                cand = others & (x[:, j] >= new_lo) & (x[:, j] <= new_hi)
                mean = float(y[cand].mean())
                if mean > current and (best is None or mean > best[0]):
                    best = (mean, j, side, t)
        if best is None:
            break
        _, j, side, t = best
        if side == "low":
            lo[j] = t
        else:
            hi[j] = t
        changed = True
    return lo, hi, changed


def prim(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray | pd.Series,
    *,
    bounds: Mapping[str, Sequence[float]] | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    threshold: float = 0.8,
    paste: bool = False,
    max_boxes: int = 1,
) -> PrimResult:
    """The Patient Rule Induction Method (Friedman & Fisher 1999) for scenario discovery.

    Peels the box of all runs, alpha-share slice by slice, keeping the denser part; the chosen
    box on each peeling trajectory is the one with the largest coverage whose density reaches
    ``threshold`` (else the densest). Further boxes (covering) are sought among the runs outside
    the boxes found, while each box found reaches ``threshold``.

    Args:
        x: one row per run, one numeric column per dimension.
        y: whether each run is a case (the condition holds), or a value in [0, 1].
        bounds: name -> (low, high) of the full space (default: the data's range).
        alpha: share of the box's runs removed per peel (0.05 - 0.1 usual).
        min_mass: least share of all runs a box may hold.
        threshold: least density of the chosen box.
        paste: widen the chosen box by pasting where that raises its density.
        max_boxes: boxes to find at most.

    Returns:
        Boxes, their limits, and the peeling trajectories.
    """
    from scipy.stats import binom

    names = tuple(str(c) for c in x.columns)
    data = x.to_numpy(dtype=float)
    target = np.asarray(y, dtype=float)
    if len(data) != len(target):
        raise ValueError(f"x has {len(data)} rows but y has {len(target)}")
    if not 0 < alpha < 1 or not 0 < min_mass < 1:
        raise ValueError("alpha and min_mass must lie between 0 and 1")
    total = len(target)
    cases = float(target.sum())
    full_lo = np.array(
        [float(bounds[n][0]) if bounds else data[:, j].min() for j, n in enumerate(names)]
    )
    full_hi = np.array(
        [float(bounds[n][1]) if bounds else data[:, j].max() for j, n in enumerate(names)]
    )
    full_lo, full_hi = np.minimum(full_lo, data.min(axis=0)), np.maximum(full_hi, data.max(axis=0))
    min_runs = max(1, int(math.ceil(min_mass * total)))
    avail = np.ones(total, dtype=bool)
    boxes, limits, traj = [], [], []

    def stats(lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
        inside = avail & _in_box(data, lo, hi)
        n_in = int(inside.sum())
        hits = float(target[inside].sum())
        restricted = (lo > full_lo) | (hi < full_hi)
        return {
            "coverage": hits / cases if cases else np.nan,
            "density": hits / n_in if n_in else np.nan,
            "mass": n_in / total,
            "res_dim": int(restricted.sum()),
            "runs": n_in,
            "cases": int(round(hits)),
        }

    for b in range(1, max_boxes + 1):
        if not avail.any() or target[avail].sum() == 0:
            break
        trajectory = _peel(data, target, avail, full_lo.copy(), full_hi.copy(), alpha, min_runs)
        rows = [{"box": b, "step": i, **stats(lo, hi)} for i, (lo, hi) in enumerate(trajectory)]
        frame = pd.DataFrame(rows)
        ok = frame[frame["density"] >= threshold]
        step = (
            int(ok["coverage"].idxmax())
            if len(ok)
            else int(frame.sort_values(["density", "coverage"]).index[-1])
        )
        lo, hi = trajectory[step]
        pasted = False
        if paste:
            lo, hi, pasted = _paste(data, target, avail, lo, hi, alpha)
        frame["chosen"] = frame["step"] == step
        chosen = stats(lo, hi)
        if b > 1 and not chosen["density"] >= threshold:
            break
        traj.append(frame)
        boxes.append({"box": b, **chosen, "step": step, "pasted": pasted})
        inside = avail & _in_box(data, lo, hi)
        for j, name in enumerate(names):
            restricted = bool(lo[j] > full_lo[j] or hi[j] < full_hi[j])
            qp = np.nan
            if restricted:
                wider = avail & _in_box(data, lo, hi, skip=j)
                n_w, h_w = int(wider.sum()), float(target[wider].sum())
                n_b, h_b = int(inside.sum()), float(target[inside].sum())
                if n_w and n_b:
                    qp = float(binom.sf(h_b - 1, n_b, h_w / n_w))
            limits.append(
                {
                    "box": b,
                    "name": name,
                    "low": lo[j],
                    "high": hi[j],
                    "full_low": full_lo[j],
                    "full_high": full_hi[j],
                    "restricted": restricted,
                    "qp": qp,
                }
            )
        if not chosen["density"] >= threshold:
            break
        avail = avail & ~inside
    columns = {
        "boxes": [
            "box",
            "coverage",
            "density",
            "mass",
            "res_dim",
            "runs",
            "cases",
            "step",
            "pasted",
        ],
        "limits": ["box", "name", "low", "high", "full_low", "full_high", "restricted", "qp"],
        "trajectory": [
            "box",
            "step",
            "coverage",
            "density",
            "mass",
            "res_dim",
            "runs",
            "cases",
            "chosen",
        ],
    }
    return PrimResult(
        names,
        pd.DataFrame(boxes, columns=columns["boxes"]),
        pd.DataFrame(limits, columns=columns["limits"]),
        pd.concat(traj, ignore_index=True) if traj else pd.DataFrame(columns=columns["trajectory"]),
        int(round(cases)),
        total,
    )


def plot_prim(result: PrimResult, condition: str, box: int = 1) -> Figure:
    """The peeling trajectory (coverage against density) and the chosen box's limits.

    Left: every box of the trajectory, coloured by the number of restricted dimensions, the
    chosen one circled. Right: each dimension's full range (grey) and the box's range (colour),
    restricted dimensions first, with their limits and quasi-p-values.
    """
    traj = result.trajectory[result.trajectory["box"] == box]
    lim = result.limits[result.limits["box"] == box].copy()
    row = result.boxes[result.boxes["box"] == box].iloc[0]
    # Bottom to top: unrestricted names, then restrictions from the weakest to the strongest.
    lim["key"] = np.where(lim["restricted"], -lim["qp"].fillna(1.0), -2.0)
    lim = lim.sort_values(["key", "name"], ascending=[True, False])
    height = max(4.5, 1.4 + 0.38 * len(lim))
    fig = new_figure(12.5, height)
    ax = fig.add_subplot(1, 2, 1)
    sc = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=16)
    chosen = traj[traj["chosen"]]
    ax.scatter(
        chosen["coverage"],
        chosen["density"],
        s=120,
        facecolors="none",
        edgecolors="#d62728",
        lw=1.5,
        label="chosen on the trajectory",
    )
    if row["pasted"]:
        ax.scatter(
            [row["coverage"]],
            [row["density"]],
            marker="*",
            s=120,
            color="#d62728",
            label="chosen, after pasting",
        )
    ax.set_xlabel("coverage: share of all cases inside the box")
    ax.set_ylabel("density: share of the box's runs that are cases")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.colorbar(sc, ax=ax, label="restricted dimensions", fraction=0.05)
    ax.set_title(f"peeling trajectory, box {box}", fontsize=10)
    ax2 = fig.add_subplot(1, 2, 2)
    pos = np.arange(len(lim))
    span = (lim["full_high"] - lim["full_low"]).replace(0, 1)
    lo_n = (lim["low"] - lim["full_low"]) / span
    hi_n = (lim["high"] - lim["full_low"]) / span
    ax2.barh(pos, 1, left=0, color="0.88", height=0.6)
    weak = lim["restricted"] & ~(lim["qp"] <= WEAK_QP)
    colors = np.where(weak, "#f4a582", np.where(lim["restricted"], "#d62728", "#9ecae1"))
    ax2.barh(pos, hi_n - lo_n, left=lo_n, color=colors, height=0.6)
    labels = []
    for _, r in lim.iterrows():
        unit = REGISTRY[r["name"]].unit if r["name"] in REGISTRY else ""
        qp = ""
        if r["restricted"] and np.isfinite(r["qp"]):
            qp = f", qp {r['qp']:.2g}" + (" (weak)" if r["qp"] > WEAK_QP else "")
        labels.append(
            f"{r['name']}\n{fmt(r['low'], 4)} – {fmt(r['high'], 4)} of "
            f"{fmt(r['full_low'], 4)} – {fmt(r['full_high'], 4)} {unit}{qp}"
        )
    ax2.set_yticks(pos, labels, fontsize=7)
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("position in the full range (0 = low, 1 = high)")
    ax2.set_title(
        f"box {box} limits: red restricted, light red weak (qp > {WEAK_QP})",
        fontsize=10,
    )
    fig.suptitle(
        f"{condition}: box {box}, coverage {row['coverage']:.2f}, density {row['density']:.2f}, mass {row['mass']:.2f} "
        f"({result.cases} of {result.total} runs are cases)",
        fontsize=11,
    )
    return fig
