"""Morris screening: SALib's elementary-effect statistics (mu, mu*, sigma) on a Morris sample.

The sample itself is a batch design of kind ``morris`` (``model.experiments.design``), so batch
files can draw it too; the figure is ``figures.plot_morris``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def morris_indices(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    levels: int = 4,
    conf_level: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Morris elementary-effect statistics (SALib's estimators).

    SALib divides each elementary effect by the step as a share of the range, so ``mu_star``
    is in the outcome's unit per whole range of the input: for a linear effect, the change of
    the outcome from the input's low to its high.

    Args:
        problem: SALib problem.
        x: the sample (``SALib.sample.morris.sample``), one row per point.
        y: the output at each point, in sample order.
        levels: the grid levels of the sample.
        conf_level: confidence level of the bootstrap interval of ``mu_star``.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        One row per name: ``mu, mu_star, mu_star_conf, sigma``.
    """
    from SALib.analyze import morris

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(
        index=pd.Index(names, name="name"),
        columns=["mu", "mu_star", "mu_star_conf", "sigma"],
        dtype=float,
    )
    if not np.all(np.isfinite(y)):
        out.attrs["note"] = "missing values"
        return out
    si = morris.analyze(
        dict(problem),
        np.asarray(x, dtype=float),
        y,
        num_resamples=resamples,
        conf_level=conf_level,
        num_levels=levels,
        seed=seed,
    )
    for key in out.columns:
        out[key] = np.asarray(si[key], dtype=float)
    return out
