"""Every lever moves its named outcomes in the documented direction (model/simulation/effects.py).

Common random numbers: replicate r of the low and the high setting share one seed, so each
difference is paired. A lever passes an effect when the mean paired difference has the
documented sign and is at least two standard errors from zero, over 20 replicates.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.experiments.run import replicate_seed, run_model
from model.simulation.effects import LEVER_EFFECTS
from model.simulation.parameters import LEVERS

REPLICATES = 20


def test_every_lever_has_a_documented_effect():
    assert set(LEVER_EFFECTS) == set(LEVERS)


def _setting(lever: str, value: float):
    if lever == "kurdish_referendum":  # a one-month pulse in September 2017
        return {"2017-04": 0.0, "2017-09": value, "2017-10": 0.0}
    return value


_CASES = [(lever, k) for lever, specs in sorted(LEVER_EFFECTS.items()) for k in range(len(specs))]


@pytest.mark.parametrize(("lever", "k"), _CASES, ids=[f"{lever}-{k}" for lever, k in _CASES])
def test_lever_direction_with_common_random_numbers(lever, k, baseline, state):
    spec = LEVER_EFFECTS[lever][k]
    base = baseline.with_changes(
        horizon=60, parameters={"persons_per_agent": 10000}, levels=("national",)
    )
    low = base.with_changes(levers={lever: _setting(lever, spec.low)})
    high = base.with_changes(levers={lever: _setting(lever, spec.high)})
    diffs = {e: [] for e in spec.effects}
    for r in range(REPLICATES):
        seed = replicate_seed(base.seed, r)
        lo = run_model(low, seed, state)
        hi = run_model(high, seed, state)
        for e in spec.effects:
            diffs[e].append(e.measure(*hi) - e.measure(*lo))
    for e, d in diffs.items():
        d = np.asarray(d)
        se = d.std(ddof=1) / np.sqrt(len(d))
        t = d.mean() / se if se > 0 else np.sign(d.mean()) * np.inf
        assert np.sign(d.mean()) == e.sign, (
            f"{lever} -> {e.outcome} ({e.statistic}): mean change {d.mean():+.4g}"
        )
        assert t * e.sign >= 2.0, f"{lever} -> {e.outcome}: t = {t:.2f}, not significant"
