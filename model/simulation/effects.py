"""The documented direction of effect of every lever (docs/ODD.md, section 7.9).

Each entry names an outcome of the national monthly table (or the run summary), the statistic
taken over the horizon, and the sign of its change when the lever goes from ``low`` to
``high``. ``tests/test_levers.py`` checks every entry with common random numbers; docs and
sensitivity analysis read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Effect:
    """An expected effect: ``statistic`` of ``outcome`` moves in direction ``sign``."""

    outcome: str
    statistic: str  # "mean" | "sum" | "last" over the national series, or "summary"
    sign: int  # +1 rises, -1 falls when the lever rises

    def measure(self, monthly: pd.DataFrame, summary: pd.DataFrame) -> float:
        """The statistic for one run."""
        if self.statistic == "summary":
            return float(summary[self.outcome].iloc[0])
        series = monthly.loc[monthly["level"] == "national", self.outcome].to_numpy(dtype=float)
        return float(
            {"mean": np.mean, "sum": np.sum, "last": lambda x: x[-1]}[self.statistic](series)
        )


@dataclass(frozen=True)
class LeverTest:
    """A lever's low and high settings and the effects expected between them."""

    low: float
    high: float
    effects: tuple[Effect, ...]


E = Effect
LEVER_EFFECTS: dict[str, tuple[LeverTest, ...]] = {
    "us_troops": (
        LeverTest(
            0,
            5200,
            (
                E("incidents", "mean", -1),
                E("is_fighters", "mean", -1),
                E("coalition_support", "mean", +1),
            ),
        ),
        # the costs of a large foreign presence: militia attacks, nationalist backlash
        LeverTest(
            5200, 20000, (E("militia_attacks", "sum", +1), E("legitimacy_shia_arab", "mean", -1))
        ),
    ),
    "coalition_air": (
        LeverTest(
            0.0, 1.0, (E("civilian_deaths_by_government", "sum", -1), E("is_fighters", "mean", -1))
        ),
    ),
    "aid": (
        LeverTest(0, 200, (E("active_share_sunni_arab", "mean", -1), E("stability", "mean", +1))),
    ),
    "aid_targeting": (LeverTest(0.0, 1.0, (E("active_share_sunni_arab", "mean", -1),)),),
    "reconciliation": (
        LeverTest(
            0.0, 0.8, (E("active_share", "mean", -1), E("legitimacy_sunni_arab", "mean", +1))
        ),
        # the cost: hardliners mobilize, victims see impunity
        LeverTest(0.0, 0.8, (E("hardliner_mobilization", "mean", +1),)),
    ),
    "sunni_inclusion": (
        LeverTest(
            0.0,
            0.8,
            (E("legitimacy_sunni_arab", "mean", +1), E("active_share_sunni_arab", "mean", -1)),
        ),
        LeverTest(
            0.0,
            0.8,
            (E("hardliner_mobilization", "mean", +1), E("legitimacy_shia_arab", "mean", -1)),
        ),
    ),
    "militia_discipline": (
        LeverTest(
            0.0,
            1.0,
            (
                E("grievance_sunni_arab", "mean", -1),
                E("legitimacy_sunni_arab", "mean", +1),
                E("militia_attacks", "sum", -1),
            ),
        ),
    ),
    "family_policy": (LeverTest(0.0, 1.0, (E("recruits", "sum", -1),)),),
    "border_control": (
        LeverTest(0.0, 1.0, (E("border_inflow", "sum", -1), E("is_fighters", "mean", -1))),
    ),
    "syria_campaign": (
        LeverTest(0.0, 1.0, (E("syria_is_fighters", "mean", -1), E("is_fighters", "mean", -1))),
    ),
    "kirkuk_settlement": (
        LeverTest(0.0, 1.0, (E("kirkuk_tension", "mean", -1), E("legitimacy_kurd", "mean", +1))),
    ),
    "kurdish_referendum": (LeverTest(0.0, 1.0, (E("kirkuk_tension", "mean", +1),)),),
    "haven_limit": (
        LeverTest(0.0, 1.0, (E("border_inflow", "sum", +1), E("is_fighters", "mean", +1))),
    ),
}
"""Lever -> settings and the effects expected between them; a lever with a cost has a second
pair, so non-monotonic shapes are documented. The referendum is a one-month pulse (2017-09)."""

_SYRIA_3_TO_1 = (
    "docs/ODD.md 7.4: the 3:1 rule in Syria; below about a quarter of the 2017 campaign intensity the "
    "partners clear nothing, above it they retake the havens' towns"
)
_KIRKUK = (
    "docs/ODD.md 7.8: no Kirkuk crisis is possible while disputed-territory tension stays under "
    "kirkuk_crisis_threshold; a referendum shock of about 0.5 or more takes it over"
)
THRESHOLDS: dict[tuple[str, str], str] = {
    **{
        ("syria_campaign", o): _SYRIA_3_TO_1
        for o in (
            "cumulative_deaths",
            "cumulative_battle_deaths",
            "mean_incidents_last24",
            "is_fighters_final",
            "mean_stability_last24",
        )
    },
    **{
        ("kurdish_referendum", o): _KIRKUK
        for o in (
            "cumulative_deaths",
            "cumulative_battle_deaths",
            "mean_incidents_last24",
            "is_fighters_final",
            "mean_stability_last24",
        )
    },
}
"""(lever, outcome) pairs whose response may jump between neighbouring lever values, each with
the docs/ODD.md section that documents the threshold. ``tests/test_lever_response.py`` allows
a jump only for these."""
