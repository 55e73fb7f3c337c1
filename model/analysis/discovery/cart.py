"""A classification tree (CART; Breiman et al. 1984) for scenario discovery, beside PRIM: the
tree splits the varied space into boxes (its leaves), each with the share of its runs where the
condition holds. scikit-learn's ``DecisionTreeClassifier`` grows the tree; a shallow tree with
leaves of at least a few percent of the runs keeps the boxes readable (Lempert et al. 2008
compare CART and PRIM for scenario discovery).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.analysis.discovery.common import fmt, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class CartResult:
    """A classification tree of where a condition holds.

    Attributes:
        names: the dimensions the tree may split on.
        leaves: one row per leaf, densest first: ``leaf, runs, cases, density, coverage,
            mass, rule`` (density: share of the leaf's runs that are cases; coverage: share of
            all cases in the leaf; mass: share of all runs in it; rule: the leaf's box as
            text).
        limits: one row per leaf and restricted name: ``leaf, name, low, high``.
        importance: ``name, importance`` (scikit-learn's impurity decrease), largest first.
        text: the tree as text (``sklearn.tree.export_text``).
        cases: cases among all runs; total: all runs.
        accuracy: the share of runs the tree classifies right (on the runs it was grown on).
        depth, min_leaf: the settings the tree was grown with.
    """

    names: tuple[str, ...]
    leaves: pd.DataFrame
    limits: pd.DataFrame
    importance: pd.DataFrame
    text: str
    cases: int
    total: int
    accuracy: float
    depth: int
    min_leaf: int
    tree: object = None

    def describe(self, density: float = 0.5) -> str:
        """The leaves where the condition holds in at least ``density`` of the runs."""
        lines = [
            f"{self.cases} of {self.total} runs are cases ({self.cases / max(self.total, 1):.1%});"
            f" tree of depth {self.depth}, leaves of at least {self.min_leaf} runs, "
            f"{self.accuracy:.0%} of runs classified right"
        ]
        dense = self.leaves[self.leaves["density"] >= density]
        if dense.empty:
            lines.append(f"no leaf where the condition holds in {density:.0%} of its runs or more")
        for _, r in dense.iterrows():
            lines.append(
                f"leaf {r['leaf']}: density {r['density']:.2f}, coverage {r['coverage']:.2f}, "
                f"mass {r['mass']:.2f} ({r['runs']} runs, {r['cases']} cases): {r['rule']}"
            )
        top = self.importance[self.importance["importance"] > 0].head(5)
        if len(top):
            lines.append(
                "splits on: "
                + ", ".join(
                    f"{n} ({v:.2f})" for n, v in zip(top["name"], top["importance"], strict=True)
                )  # fmt: skip
            )
        return "\n".join(lines)


def cart(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray,
    max_depth: int = 3,
    min_leaf: int | None = None,
    seed: int = 0,
) -> CartResult:
    """Grow a classification tree of ``y`` (whether the condition holds) on ``x``.

    Args:
        x: one row per run, one column per varied name.
        y: whether the condition holds in each run.
        max_depth: the deepest split.
        min_leaf: the fewest runs in a leaf (default: 5% of the runs, at least 5).
        seed: scikit-learn's ``random_state`` (ties between equally good splits).
    """
    from sklearn.tree import DecisionTreeClassifier, export_text

    names = tuple(x.columns)
    X = x.to_numpy(dtype=float)
    target = np.asarray(y, dtype=bool)
    n = len(target)
    leaf_size = min_leaf if min_leaf is not None else max(5, int(np.ceil(0.05 * n)))
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=max(1, leaf_size), random_state=seed
    )
    tree.fit(X, target)
    t = tree.tree_
    leaf_of = tree.apply(X)
    cases = int(target.sum())
    rows, limits = [], []
    for leaf, (low, high) in _boxes(t, len(names)).items():
        inside = leaf_of == leaf
        k = int(inside.sum())
        c = int(target[inside].sum())
        restricted = [
            (names[j], low[j], high[j])
            for j in range(len(names))
            if np.isfinite([low[j], high[j]]).any()
        ]
        rule = " and ".join(_bound_text(nm, lo, hi) for nm, lo, hi in restricted) or "everywhere"
        rows.append({"leaf": int(leaf), "runs": k, "cases": c, "density": c / k if k else np.nan,
                     "coverage": c / cases if cases else np.nan, "mass": k / n if n else np.nan,
                     "rule": rule})  # fmt: skip
        limits += [
            {"leaf": int(leaf), "name": nm, "low": lo, "high": hi} for nm, lo, hi in restricted
        ]
    leaves = pd.DataFrame(rows).sort_values(["density", "runs"], ascending=False, kind="stable")
    importance = pd.DataFrame({"name": names, "importance": tree.feature_importances_})
    importance = importance.sort_values("importance", ascending=False, kind="stable")
    return CartResult(
        names,
        leaves.reset_index(drop=True),
        pd.DataFrame(limits, columns=["leaf", "name", "low", "high"]),
        importance.reset_index(drop=True),
        export_text(tree, feature_names=list(names), show_weights=True),
        cases,
        n,
        float((tree.predict(X) == target).mean()) if n else np.nan,
        int(tree.get_depth()),
        int(leaf_size),
        tree,
    )


def _boxes(t, d: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each leaf's box: the (low, high] limits the splits above it set (NaN: unrestricted)."""
    out = {}
    stack = [(0, np.full(d, np.nan), np.full(d, np.nan))]
    while stack:
        node, low, high = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # a leaf
            out[node] = (low, high)
            continue
        j, cut = t.feature[node], t.threshold[node]
        hi_left = high.copy()
        hi_left[j] = cut if np.isnan(hi_left[j]) else min(hi_left[j], cut)
        lo_right = low.copy()
        lo_right[j] = cut if np.isnan(lo_right[j]) else max(lo_right[j], cut)
        stack.append((right, lo_right, high.copy()))
        stack.append((left, low.copy(), hi_left))
    return dict(sorted(out.items()))


def _bound_text(name: str, low: float, high: float) -> str:
    if np.isnan(low):
        return f"{name} <= {fmt(high, 4)}"
    if np.isnan(high):
        return f"{name} > {fmt(low, 4)}"
    return f"{fmt(low, 4)} < {name} <= {fmt(high, 4)}"


def plot_cart(result: CartResult, condition: str) -> Figure:
    """The tree: each node's split, runs and share of cases (darker: more cases)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from sklearn.tree import plot_tree

    leaves = max(2, len(result.leaves))
    fig = new_figure(max(9.0, 2.3 * leaves), 2.2 * (result.depth + 1) + 1.0)
    FigureCanvasAgg(fig)  # scikit-learn measures text with the canvas's renderer (no pyplot)
    ax = fig.add_subplot()
    plot_tree(
        result.tree,
        feature_names=list(result.names),
        class_names=["does not hold", "holds"],
        filled=True,
        impurity=False,
        proportion=False,
        rounded=True,
        fontsize=8,
        ax=ax,
    )
    fig.suptitle(
        f"Classification tree (CART) for {condition}: {result.cases} of {result.total} runs are "
        f"cases; each node: its split, runs (samples) and runs per class (value)",
        fontsize=10,
    )
    return fig
