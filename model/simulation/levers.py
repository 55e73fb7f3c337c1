"""Levers, events and the coalition: docs/ODD.md section 7.1 (schedule step 2 of section 3).

Each month every lever and event takes its value for the month (``model.lev``); the coalition's
support, effectiveness multiplier, precision and intelligence follow from them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.simulation import rules
from model.simulation.parameters import LEVERS, REGISTRY


def lever_paths(model, levers: Mapping[str, object]) -> dict[str, np.ndarray]:
    """One value per month of the horizon for every lever (missing levers: registry default).

    Raises:
        TypeError: an unknown lever.
        ValueError: fewer values than months.
    """
    unknown = sorted(set(levers) - set(LEVERS))
    if unknown:
        raise TypeError(f"unknown lever(s): {', '.join(unknown)}")
    out = {}
    for name in LEVERS:
        v = levers.get(name, REGISTRY[name].default)
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 0:
            arr = np.full(model.horizon, float(arr))
        if len(arr) < model.horizon:
            raise ValueError(f"lever {name}: {len(arr)} values for a horizon of {model.horizon}")
        out[name] = arr[: model.horizon]
    return out


def step(model) -> None:
    """Set the levers of month ``model.t`` and the coalition terms that follow from them."""
    model.lev = {k: float(v[model.t]) for k, v in model.lever_paths.items()}
    coalition(model)


def coalition(model) -> None:
    """Coalition support S, multiplier M, precision and intelligence from the month's levers."""
    p, lev = model.p, model.lev
    model.support = rules.coalition_support(
        lev["us_troops"] + p["coalition_partners"] * (lev["us_troops"] > 0),
        p["us_troops_scale"],
    )
    model.air = lev["coalition_air"]
    model.multiplier = 1.0 + p["coalition_effect"] * model.support * (0.5 + 0.5 * model.air)
    model.precision = min(
        1.0, p["precision_base"] + p["precision_coalition"] * model.air * model.support
    )
    model.intel = min(1.0, p["intel_base"] + p["intel_coalition"] * model.support)
