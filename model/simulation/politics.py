"""Politics: docs/ODD.md section 7.8 (schedule step 14 of section 3).

The Kirkuk crisis (a monthly hazard once disputed-territory tension is above its threshold,
lowered by a settlement), remembered civilian harm by government fire, sectarian tension (with
the costs of the policy levers: hardliner mobilization against inclusion and reconciliation,
militia attacks on the coalition, the return of IS-affiliated families) and disputed-territory
tension.
"""

from __future__ import annotations

import math

import numpy as np

from model.simulation.agents import FORCES


def step(model) -> None:
    """The month's politics, after the population and displacement."""
    p, lev = model.p, model.lev
    if model.kirkuk_crisis_month is None:
        excess = max(0.0, model.kirkuk - p["kirkuk_crisis_threshold"])
        protection = 1.0 - p["kirkuk_settlement_protection"] * lev["kirkuk_settlement"]
        chance = 1.0 - math.exp(-p["kirkuk_hazard"] * excess * protection)
        if excess > 0 and model.rng.random() < chance:
            _kirkuk_crisis(model)
    pop_iq, deaths, abuse, any_gov = _national_sums(model)
    abuse /= pop_iq  # (the residents-weighted mean)
    harm = model.harm_gov * p["harm_memory"]
    if any_gov:  # (adding 1000 x 0 / residents changes no value)
        harm += 1000.0 * model.m_civ_gov / np.maximum(model.residents, 1.0)
    model.harm_gov = harm
    decay = p["tension_decay"] + p["tension_reconciliation"] * model.perceived["reconciliation"]
    model.tension = _unit(
        model.tension
        + p["tension_violence"] * deaths / pop_iq * 1e5
        + p["tension_abuse"] * abuse
        + p["hardliner_tension"] * model.hardliners
        + p["tension_militia"] * model.militia_attacks
        + p["family_return_tension"] * model.m_family_returns / 1e4
        - decay * model.tension
    )
    floor = p["kirkuk_decay_floor"]
    model.kirkuk = _unit(
        model.kirkuk
        + p["kirkuk_shock"] * lev["kurdish_referendum"]
        - p["kirkuk_decay"] * (floor + (1 - floor) * lev["kirkuk_settlement"]) * model.kirkuk
    )


def _national_sums(model) -> tuple[float, float, float, bool]:
    """Over Iraq's areas: residents, deaths of the month (civilians and security forces) and
    residents x abuse; and whether anyone was killed by government fire this month (with the
    compiled kernels in one call: the same sums)."""
    kern = model._kernels
    if kern is not None:
        iraq = model.__dict__.get("_iraq_index")
        if iraq is None:
            iraq = model._iraq_index = np.flatnonzero(model.iraq)
        pop_iq, deaths, weighted, any_gov = kern.national_sums(
            iraq, model.residents, model.m_civ, model.m_sec, model.abuse, model.m_civ_gov
        )
        return pop_iq, deaths, weighted, bool(any_gov)
    iq = model.iraq
    res_iq = model.residents[iq]
    return (
        float(res_iq.sum()),
        float((model.m_civ + model.m_sec)[iq].sum()),
        float((model.abuse[iq] * res_iq).sum()),
        bool(model.m_civ_gov.any()),
    )


def _unit(x: float) -> float:
    """``x`` clipped to [0, 1] exactly as ``np.clip`` does it (NaN stays NaN)."""
    x = float(x)
    if x != x:
        return x
    x = x if x >= 0.0 else 0.0
    return x if x <= 1.0 else 1.0


def _kirkuk_crisis(model) -> None:
    """Federal forces take the disputed areas; the Peshmerga withdraw to the Kurdistan Region."""
    p = model.p
    model.kirkuk_crisis_month = model.t
    pesh = FORCES.index("PESHMERGA")
    moved = model.disputed & model.krg
    departed = float(model.garrison[pesh, moved].sum())
    core = model.krg & ~model.disputed
    if core.any() and departed > 0:
        model.garrison[pesh, core] += (
            departed * model.garrison[pesh, core] / max(model.garrison[pesh, core].sum(), 1.0)
        )
    model.garrison[pesh, moved] = 0.0
    # federal replacements come out of the mobile forces
    total = model.pool + sum(g.strength for g in model.groups)
    take = min(
        p["kirkuk_replacement_share"] * departed, p["kirkuk_replacement_cap"] * float(total.sum())
    )
    if take > 0 and total.sum() > 0:
        frac = take / float(total.sum())
        repl = total * frac
        model.pool *= 1 - frac
        for g in model.groups:
            g.strength *= 1 - frac
        residents = np.bincount(model.pop.loc, model.pop.size, model.n) * moved
        model.garrison += np.outer(repl, residents / max(residents.sum(), 1.0))
    model.krg = model.krg & ~moved
