"""No lever moves a run outcome by a jump between two nearby values (docs/ODD.md 7.9).

Every lever is swept over its registry range in steps of 5% of the range, with common random
numbers (the same replicate seeds at every level). ``model.analysis.lever_response.jumps``
flags a step that is both large (over a quarter of the outcome's whole response, over 5% of its
magnitude and over three standard errors of the paired step) and isolated (over 2.5 times both
neighbouring steps). A flagged step is then swept again at five levels between its ends with
twice the replicates (``confirm``): it is a jump if one sub-step still carries most of the
change, clear of noise (a step function), not if the change spreads (a steep stretch of a
smooth response). A jump is allowed only where ``model.simulation.effects.THRESHOLDS`` names
the ODD section that documents the threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis.lever_response import DEFAULT_OUTCOMES, confirm, jumps, levels, sweep
from model.simulation.effects import THRESHOLDS
from model.simulation.parameters import LEVERS

REPLICATES = 6
STEPS = 20  # 5% of the range each
# least changes that can count as a jump: a month of defeat, a quarter of the runs relapsing
FLOORS = {"months_to_defeat": 1.0, "resurgence": 0.25}
# the displaced at the horizon are left out at this coarse resolution: every return moves a
# whole cohort of 20,000 persons, so neighbouring levels differ by +-150,000 from replicate
# noise alone (the ODD's lever-response curves use 10,000 persons per agent)
OUTCOMES = tuple(o for o in DEFAULT_OUTCOMES if o != "idps_final")
PULSES = {"kurdish_referendum": "2017-09"}  # an event: a one-month pulse of each size


@pytest.fixture(scope="module")
def coarse(baseline):
    return baseline.with_changes(
        horizon=48, parameters={"persons_per_agent": 20000}, levels=("national",)
    )


@pytest.mark.parametrize("lever", LEVERS)
def test_no_jump_between_nearby_lever_values(lever, coarse):
    pulse = PULSES.get(lever)
    table = sweep(coarse, lever, levels(lever, STEPS), REPLICATES, OUTCOMES, pulse=pulse)
    flagged = [
        j for j in jumps(table, OUTCOMES, floors=FLOORS) if (lever, j.outcome) not in THRESHOLDS
    ]
    # a flagged step is looked at again between its two levels, with more replicates
    found = [j for j in flagged if confirm(coarse, j, 2 * REPLICATES, pulse=pulse)]
    assert not found, "; ".join(
        f"{j.outcome}: {j.change:+.4g} between {j.low:g} and {j.high:g} (bound {j.bound:.4g})"
        for j in found
    )


def test_confirm_passes_a_steep_smooth_response(coarse):
    """``confirm`` on real runs: the aid response near zero is steep (services saturate) but
    smooth, so a finer sweep spreads its change and does not call it a jump."""
    from model.analysis.lever_response import Jump

    smooth = Jump("aid", "mean_stability_last24", 0.0, 25.0, 0.0, 0.0)
    assert not confirm(coarse, smooth, REPLICATES)


def test_jumps_finds_a_step_function():
    """The check can fail: a step in one outcome between two levels is found; a smooth,
    steep response and pure noise are not."""
    rng = np.random.default_rng(1)
    lv = np.linspace(0, 1, 21)
    rows = []
    for r in range(REPLICATES):
        noise = rng.normal(0, 0.5, len(lv))
        for x, e in zip(lv, noise, strict=True):
            rows.append(
                {
                    "lever": "x",
                    "level": x,
                    "replicate": r,
                    "step": 100.0 + 50.0 * (x > 0.5) + e,
                    "smooth": 100.0 * np.exp(-4 * x) + e,
                    "noise": 100.0 + 3 * e,
                }
            )
    found = jumps(pd.DataFrame(rows), outcomes=("step", "smooth", "noise"))
    assert [(j.outcome, j.low, j.high) for j in found] == [("step", 0.5, 0.55)]


def test_one_troop_is_not_a_regime_change(coarse):
    """The old artefact: partners counted in full whenever one US troop was present. Now 0 and
    1 troop give the same run (up to replicate noise), and the first troops matter little."""
    table = sweep(coarse, "us_troops", [0, 1, 100, 1000], REPLICATES, DEFAULT_OUTCOMES)
    wide = table.pivot(index="replicate", columns="level", values="cumulative_deaths")

    def paired(a, b):
        d = (wide[b] - wide[a]).to_numpy()
        return abs(d.mean()), d.std(ddof=1) / np.sqrt(len(d))

    whole, _ = paired(0, 1000)
    one, se_one = paired(0, 1)
    hundred, se_hundred = paired(0, 100)
    assert one <= 3 * se_one + 0.02 * whole
    assert hundred <= 3 * se_hundred + 0.25 * whole
