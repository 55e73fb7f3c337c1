"""Population (civil violence): docs/ODD.md section 7.6 (schedule steps 5, 11, 13 of section 3).

Epstein's civil violence model (2002) in real units, for all cohorts at once: aid and services,
reconstruction, militia abuse, hardship, the legitimacy target and its relaxation, grievance,
arrest probability, stance and the support share. ``count_residents`` gives the persons located
in every area, used by most processes.
"""

from __future__ import annotations

import numpy as np

from model.simulation import rules
from model.simulation.agents import DISPLACED, FORCES
from model.simulation.operations import security_effective
from model.simulation.outcomes import GROUPS


def count_residents(model) -> np.ndarray:
    """Persons living in each area now (at home or hosted), at least 1; kept as residents."""
    model.residents = np.maximum(np.bincount(model.pop.loc, model.pop.size, model.n), 1.0)
    return model.residents


def update(model, initial: bool = False) -> None:
    """One month of the population; ``initial`` sets the starting legitimacy and stance.

    At the start legitimacy takes its target at once and destruction is the data's.
    """
    p, pop, lev = model.p, model.pop, model.lev
    n = model.n
    loc = pop.loc
    if initial:
        security_effective(model)
    residents = model.residents if not initial else count_residents(model)
    # services from aid (Iraq only), allocated by need and by population
    need = model.destruction * residents * model.iraq
    by_need = rules.allocate(lev["aid"] * 1e6 * lev["aid_targeting"], need)
    by_pop = rules.allocate(lev["aid"] * 1e6 * (1 - lev["aid_targeting"]), residents * model.iraq)
    aid_pc = (by_need + by_pop) / residents
    model.services = rules.services(model.destruction, aid_pc, p["aid_half_saturation"])
    if not initial:  # month 0 starts from the data's destruction
        model.destruction *= 1.0 - p["reconstruction_rate"] * (
            1.0 - np.exp(-aid_pc / p["aid_half_saturation"])
        )
    # militia abuse where undisciplined PMF hold ground
    pmf = model.garrison[FORCES.index("PMF")]
    pmf_share = pmf / np.maximum(model.garrison.sum(axis=0), 1.0)
    model.abuse = (
        p["abuse_rate"] * (1 - lev["militia_discipline"]) * pmf_share * (1 + model.tension) / 2
    )
    fam_pol = lev["family_policy"]
    # every term but a household's own circumstances depends only on (area, group): compute
    # those on the small area x group table and gather once per household
    key = loc * len(GROUPS) + model.group64
    h_area = p["hardship_destruction"] * model.destruction + p["hardship_services"] * (
        1 - model.services
    )
    hard = pop.hardship_base + h_area[loc]
    hard += p["hardship_displaced"] * (pop.status == DISPLACED)
    hard += (p["hardship_family"] * (1 - fam_pol)) * model._family
    hard += p["hardship_is_rule"] * pop.under_is
    np.clip(hard, 0, 1, out=hard)
    sa = model._group_is_sa[None, :]
    policy = model.iraq[:, None] * (
        p["legit_inclusion_effect"] * lev["sunni_inclusion"] * sa
        + p["legit_reconciliation_effect"] * lev["reconciliation"]
        - p["legit_abuse_effect"] * model.abuse[:, None] * sa
        - p["legit_tension_effect"] * model.tension * sa
    )
    local = (
        p["legit_services_effect"] * (model.services - 0.5)
        - p["legit_civ_harm_effect"] * model.harm_gov
        + p["legit_is_harm_effect"] * model.harm_is
    )
    table = model._legit_base_table + policy + local[:, None]
    target = table.ravel()[key]
    target -= (p["legit_kirkuk_effect"] * model.kirkuk) * model._kirkuk_exposed
    target -= (p["legit_family_effect"] * (1 - fam_pol)) * model._family
    np.clip(target, 0, 1, out=target)
    pop.legitimacy = (
        target
        if initial
        else np.clip(rules.relax(pop.legitimacy, target, p["legitimacy_rate"]), 0, 1)
    )
    g = rules.grievance(hard, pop.legitimacy)
    model.grievance = g
    actives = np.bincount(loc, pop.size * (pop.stance == 2), n)
    arrest = rules.arrest_probability(
        model.policing * model.intel,
        actives,
        residents,
        p["arrest_k"],
        p["arrest_ratio_scale"],
        p["active_floor"],
    )
    risk = np.where(pop.under_is, p["is_rule_risk"], arrest[loc])
    pop.stance = rules.stance(
        g, pop.risk_aversion, risk, p["active_threshold"], p["sympathiser_threshold"]
    )
    model.hardship = hard
    engaged = np.bincount(loc, pop.size * (pop.stance > 0), n)
    model.support_share = engaged / residents
