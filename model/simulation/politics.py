"""Politics: docs/ODD.md section 7.8 (schedule step 14 of section 3).

The Kirkuk crisis (once per run, when disputed-territory tension has crossed its threshold),
remembered civilian harm by government fire, sectarian tension and disputed-territory tension.
"""

from __future__ import annotations

import numpy as np

from model.simulation.agents import FORCES


def step(model) -> None:
    """The month's politics, after the population and displacement."""
    p, lev = model.p, model.lev
    # a crisis follows the month in which disputed-territory tension crossed the threshold
    if model.kirkuk_crisis_month is None and model.kirkuk > p["kirkuk_crisis_threshold"]:
        _kirkuk_crisis(model)
    iq = model.iraq
    pop_iq = float(model.residents[iq].sum())
    deaths = float((model.m_civ + model.m_sec)[iq].sum())
    abuse = float(np.average(model.abuse[iq], weights=model.residents[iq]))
    model.harm_gov = model.harm_gov * p["harm_memory"] + 1000.0 * model.m_civ_gov / np.maximum(
        model.residents, 1.0
    )
    decay = p["tension_decay"] + p["tension_reconciliation"] * lev["reconciliation"]
    model.tension = float(
        np.clip(
            model.tension
            + p["tension_violence"] * deaths / pop_iq * 1e5
            + p["tension_abuse"] * abuse
            - decay * model.tension,
            0,
            1,
        )
    )
    model.kirkuk = float(
        np.clip(
            model.kirkuk
            + p["kirkuk_shock"] * lev["kurdish_referendum"]
            - p["kirkuk_decay"] * (0.2 + 0.8 * lev["kirkuk_settlement"]) * model.kirkuk,
            0,
            1,
        )
    )


def _kirkuk_crisis(model) -> None:
    """Federal forces take the disputed areas; the Peshmerga withdraw to the Kurdistan Region."""
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
    take = min(0.5 * departed, 0.2 * float(total.sum()))
    if take > 0 and total.sum() > 0:
        frac = take / float(total.sum())
        repl = total * frac
        model.pool *= 1 - frac
        for g in model.groups:
            g.strength *= 1 - frac
        residents = np.bincount(model.pop.loc, model.pop.size, model.n) * moved
        model.garrison += np.outer(repl, residents / max(residents.sum(), 1.0))
    model.krg = model.krg & ~moved
