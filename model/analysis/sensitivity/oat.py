"""The one-at-a-time method: its design (each name from low to high in ``steps`` steps, the
others at the scenario's value) and its analysis (the effect of each name, for a tornado chart)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.files.frozen import FrozenMap
from model.simulation.parameters import REGISTRY

if TYPE_CHECKING:
    from model.experiments.design import Design


def oat_design(
    names: Sequence[str],
    bounds: Sequence[Sequence[float]],
    centre: Mapping[str, float],
    steps: int,
) -> Design:
    """The one-at-a-time sweep: each name from low to high, the others at the centre.

    Point 0 is the centre (every name at its ``centre`` value); then, for the i-th name, points
    ``1 + i * steps ... i * steps + steps`` move it from low to high in ``steps`` equal steps.
    Whole-number entries are rounded.

    Args:
        names: the varied registry names.
        bounds: (low, high) per name.
        centre: each name's value when another name moves.
        steps: values per name (at least 2: low and high).

    Returns:
        A design of kind ``"oat"`` with ``1 + len(names) * steps`` points.
    """
    from model.experiments.design import Design

    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    base = [float(centre[n]) for n in names]
    points = [tuple(base)]
    for i, name in enumerate(names):
        low, high = (float(b) for b in bounds[i])
        for v in np.linspace(low, high, steps):
            value = float(round(v)) if REGISTRY[name].integer else float(v)
            row = list(base)
            row[i] = value
            points.append(tuple(row))
    return Design(
        "oat",
        tuple(names),
        tuple(points),
        tuple((float(b[0]), float(b[1])) for b in bounds),
        n=None,
        options=FrozenMap({"steps": steps, "centre": tuple(base)}),
    )


def oat_effects(
    names: Sequence[str], steps: int, x: np.ndarray, y: Sequence[float] | np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-at-a-time effects on the points of :func:`oat_design`.

    Args:
        names: the varied names, in design order.
        steps: values per name.
        x: the design points (``1 + len(names) * steps`` rows).
        y: the output at each point.

    Returns:
        ``(effects, curves)``: effects has one row per name with ``low, high, baseline, y_low,
        y_high, swing`` (``y_high - y_low``) and ``abs_swing``; curves has ``name, value, y``
        for every step.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    baseline = float(y[0])
    rows, curves = [], []
    for i, name in enumerate(names):
        idx = np.arange(1 + i * steps, 1 + (i + 1) * steps)
        values, ys = x[idx, i], y[idx]
        rows.append(
            {
                "name": name,
                "low": values[0],
                "high": values[-1],
                "baseline": baseline,
                "y_low": ys[0],
                "y_high": ys[-1],
                "swing": ys[-1] - ys[0],
                "abs_swing": abs(ys[-1] - ys[0]),
            }
        )
        curves += [
            {"name": name, "step": j, "value": v, "y": t}
            for j, (v, t) in enumerate(zip(values, ys, strict=True))
        ]
    effects = pd.DataFrame(rows).set_index("name")
    return effects, pd.DataFrame(curves)
