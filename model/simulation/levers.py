"""Levers, events and the coalition: docs/ODD.md section 7.1 (schedule step 2 of section 3).

Each month every lever and event takes its value for the month (``model.lev``). Levers do not
act at once: they move *policy stocks* that start from the historical state of the initial data
(``policy.csv``), whatever the scenario, and follow the levers with lags:

- the US presence follows the troop lever over months, the non-US partners follow the US
  presence, and coalition support builds up slowly and decays slowly after a drawdown;
- perceived political reforms (inclusion, reconciliation, militia discipline, the policy toward
  IS-affiliated families) are believed slowly and their reversal is felt fast;
- committed aid reaches people as services after an absorption delay.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.simulation import rules, timeline
from model.simulation.parameters import LEVERS, REGISTRY

REFORMS: tuple[str, ...] = (
    "sunni_inclusion",
    "reconciliation",
    "militia_discipline",
    "family_policy",
)
"""Levers whose effect runs through a perceived (lagged) policy stock."""


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


def initial_stocks(model) -> None:
    """The policy stocks at the start, from the initial state's ``policy`` table.

    Every scenario starting from the same data starts from the same stocks: its levers act only
    through the lags of :func:`step`, from the first month on.
    """
    p = model.p
    pol = model.state.policy["value"]
    model.us_present = float(pol["us_troops"])
    model.partners_present = model.partners_full * min(
        1.0, model.us_present / p["us_troops_reference"]
    )
    model.support = rules.coalition_support(
        model.us_present + model.partners_present,
        p["coalition_support_half"],
        p["coalition_support_shape"],
    )
    model.perceived = {name: float(pol[name]) for name in REFORMS}
    model.aid_delivered = float(pol["aid"])
    model.aid_targeting = float(pol["aid_targeting"])
    model.air = float(pol["coalition_air"])
    model.militia_attacks = 0.0
    policy_terms(model)


def step(model) -> None:
    """Set the levers of month ``model.t`` and move the policy stocks one month toward them
    (after the month's scheduled forces, deployments and events, ``timeline.step``)."""
    timeline.step(model)
    p = model.p
    kept = model.__dict__.get("_lever_lists")
    if kept is None or kept[0] is not model.lever_paths:
        # (the paths as lists of floats: the same values, cheaper to index)
        paths = model.lever_paths
        kept = model._lever_lists = (paths, {k: v.tolist() for k, v in paths.items()})
    lists, t = kept[1], model.t
    lev = model.lev = {k: v[t] for k, v in lists.items()}
    # the US presence and its partners (deployment and withdrawal take months)
    model.us_present += (lev["us_troops"] - model.us_present) / p["us_adjust_months"]
    partners = model.partners_full * min(1.0, model.us_present / p["us_troops_reference"])
    model.partners_present += (partners - model.partners_present) / p["partner_adjust_months"]
    # militia attacks on the coalition: more troops, less discipline, more tension
    model.militia_attacks = (
        p["militia_attack_rate"]
        * model.us_present
        / 1000.0
        * (1.0 - model.perceived["militia_discipline"])
        * model.tension
    )
    target = rules.coalition_support(
        model.us_present + model.partners_present,
        p["coalition_support_half"],
        p["coalition_support_shape"],
    ) / (1.0 + p["militia_force_protection"] * model.militia_attacks)
    months = p["support_build_months"] if target > model.support else p["support_decay_months"]
    model.support += (target - model.support) / months
    model.air = lev["coalition_air"]
    # perceived reforms: believed slowly, reversals felt fast
    for name in REFORMS:
        gap = lev[name] - model.perceived[name]
        months = p["reform_build_months"] if gap > 0 else p["reform_reversal_months"]
        model.perceived[name] += gap / months
    # committed aid reaches people after an absorption delay
    model.aid_delivered += (lev["aid"] - model.aid_delivered) / p["aid_delay_months"]
    model.aid_targeting += (lev["aid_targeting"] - model.aid_targeting) / p["aid_delay_months"]
    policy_terms(model)


def policy_terms(model) -> None:
    """What follows from the stocks: the coalition's multipliers, precision and intelligence,
    the visible foreign presence and the hardliners' mobilization against concessions."""
    p, s = model.p, model.support
    air_part = p["coalition_air_share"]
    model.multiplier = 1.0 + p["coalition_effect_offensive"] * s * (
        1 - air_part + air_part * model.air
    )
    model.policing_multiplier = 1.0 + p["coalition_effect_policing"] * s
    model.precision = min(1.0, p["precision_base"] + p["precision_coalition"] * model.air * s)
    model.intel = min(1.0, p["intel_base"] + p["intel_coalition"] * s)
    # the visible foreign presence relative to the 2017 reference (nationalist backlash)
    ref = p["us_troops_reference"] + p["coalition_partners"]
    model.foreign_presence = (model.us_present + model.partners_present) / ref
    # Shia hardliners mobilize against concessions to Sunni Arabs and against amnesty
    model.hardliners = min(
        1.0,
        p["hardliner_inclusion"] * model.perceived["sunni_inclusion"]
        + p["hardliner_reconciliation"] * model.perceived["reconciliation"],
    )
