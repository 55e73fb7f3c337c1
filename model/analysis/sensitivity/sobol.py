"""Sobol' variance decomposition: SALib's estimators of the first-order, second-order and total
indices on a Saltelli/Sobol' sample.

The sample itself is a batch design of kind ``sobol`` (``model.experiments.design``), so batch
files can draw it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def sobol_indices(
    problem: Mapping[str, Any],
    y: Sequence[float] | np.ndarray,
    *,
    second_order: bool = False,
    conf_level: float = 0.95,
    resamples: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Sobol' first-order and total indices (SALib's estimators) with confidence intervals.

    Args:
        problem: SALib problem (``names``, ``bounds``, ``num_vars``).
        y: the output at each point of ``SALib.sample.sobol.sample(problem, N,
            calc_second_order=second_order)``, in sample order.
        second_order: whether the sample has the second-order block.
        conf_level: confidence level of the bootstrap intervals.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        One row per name: ``S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of the interval).
        With ``second_order``, ``result.attrs["S2"]`` holds the pairs (``S2, S2_conf``). A
        constant output gives NaN indices.
    """
    from SALib.analyze import sobol

    names = list(problem["names"])
    y = np.asarray(y, dtype=float)
    out = pd.DataFrame(
        index=pd.Index(names, name="name"), columns=["S1", "S1_conf", "ST", "ST_conf"], dtype=float
    )
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        out.attrs["note"] = "constant output" if np.all(np.isfinite(y)) else "missing values"
        return out
    si = sobol.analyze(
        dict(problem),
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=conf_level,
        seed=seed,
    )
    for key in out.columns:
        out[key] = np.asarray(si[key], dtype=float)
    if second_order:
        rows = []
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                rows.append(
                    {
                        "name": a,
                        "other": names[j],
                        "S2": si["S2"][i, j],
                        "S2_conf": si["S2_conf"][i, j],
                    }
                )
        out.attrs["S2"] = pd.DataFrame(rows)
    return out
