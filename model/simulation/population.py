"""Population (civil violence): docs/ODD.md section 7.6 (schedule steps 5, 11, 13 of section 3).

Epstein's civil violence model (2002) in real units, for all cohorts at once: births, aid and
services, reconstruction, militia abuse, hardship, the legitimacy target and its asymmetric
relaxation, grievance, arrest probability, mobilization (with memory) and the support IS finds among
the communities it recruits from. ``count_residents`` gives the persons located in every area,
used by most processes. The policy terms use the perceived (lagged) policy stocks of
``levers``, never the month's lever values directly.
"""

from __future__ import annotations

import numpy as np

from model.simulation import rules
from model.simulation.agents import DISPLACED, FORCES, SHIA_ARAB, SUNNI_ARAB, TURKMEN, YAZIDI
from model.simulation.operations import security_effective
from model.simulation.outcomes import GROUPS

_NG = len(GROUPS)


def count_residents(model) -> np.ndarray:
    """Persons living in each area now (at home or hosted), at least 1; kept as residents."""
    model.residents = np.maximum(np.bincount(model.pop.loc, model.pop.size, model.n), 1.0)
    return model.residents


def births(model) -> None:
    """Natural growth of Iraq's population: births join their household cohort.

    Each cohort accrues its expected births, size x the monthly rate, and gains the whole
    persons accrued (the fractions carry over): growth is not a contingent process.
    """
    pop, p = model.pop, model.p
    monthly = (1.0 + p["population_growth"]) ** (1.0 / 12.0) - 1.0
    model._birth_carry += pop.size * (monthly * model._iraq_home)
    born = np.floor(model._birth_carry)
    model._birth_carry -= born
    born = born.astype(np.int64)
    pop.size += born
    model.born += int(born.sum())


def services(model, residents: np.ndarray, initial: bool) -> np.ndarray:
    """Public services per area from the aid delivered; returns aid per resident (USD).

    Aid is allocated by need (destruction x residents) and by population, loses a share to
    waste and to capture by undisciplined militias, and turns into services less where
    violence is high (Berman et al. 2013).
    """
    p = model.p
    total = model.aid_delivered * 1e6
    need = model.destruction * residents * model.iraq
    by_need = rules.allocate(total * model.aid_targeting, need)
    by_pop = rules.allocate(total * (1 - model.aid_targeting), residents * model.iraq)
    capture = (
        p["aid_capture_base"]
        + p["aid_capture_militia"] * (1.0 - model.perceived["militia_discipline"]) * model.pmf_share
    )
    violence = 1e6 * model.m_incidents / residents
    absorb = 1.0 / (1.0 + violence / p["aid_security_half"])
    aid_pc = (by_need + by_pop) * np.clip(1.0 - capture, 0.0, 1.0) * absorb / residents
    model.aid_captured = float(((by_need + by_pop) * np.clip(capture, 0.0, 1.0)).sum())
    model.services = rules.services(model.destruction, aid_pc, p["aid_half_saturation"])
    if not initial:  # month 0 starts from the data's destruction
        model.destruction *= 1.0 - p["reconstruction_rate"] * (
            1.0 - np.exp(-aid_pc / p["aid_half_saturation"])
        )
    return aid_pc


def update(model, initial: bool = False) -> None:
    """One month of the population; ``initial`` sets the starting legitimacy and stance.

    At the start legitimacy takes its target at once (from the initial policy stocks, the same
    for every scenario) and destruction is the data's.
    """
    p, pop = model.p, model.pop
    n = model.n
    loc = pop.loc
    if initial:
        model.m_incidents = np.zeros(n)
        security_effective(model)
    else:
        births(model)
    residents = model.residents if not initial else count_residents(model)
    pmf = model.garrison[FORCES.index("PMF")]
    model.pmf_share = pmf / np.maximum(model.garrison.sum(axis=0), 1.0)
    services(model, residents, initial)
    perceived = model.perceived
    # militia abuse where undisciplined PMF hold ground, worse under sectarian tension
    w = p["abuse_tension_weight"]
    model.abuse = (
        p["abuse_rate"]
        * (1 - perceived["militia_discipline"])
        * model.pmf_share
        * (1 - w + w * model.tension)
    )
    fam_pol = perceived["family_policy"]
    # every term but a household's own circumstances depends only on (area, group): compute
    # those on the small area x group table and gather once per household
    key = loc * _NG + model.group64
    h_area = p["hardship_destruction"] * model.destruction + p["hardship_services"] * (
        1 - model.services
    )
    hard = pop.hardship_base + h_area[loc]
    hard += p["hardship_displaced"] * (pop.status == DISPLACED)
    hard += (p["hardship_family"] * (1 - fam_pol)) * model._family
    hard += p["hardship_is_rule"] * pop.under_is
    np.clip(hard, 0, 1, out=hard)
    g = np.zeros(_NG)
    g[SUNNI_ARAB] = (
        p["legit_inclusion_effect"] * perceived["sunni_inclusion"]
        - p["legit_tension_effect"] * model.tension
        - p["foreign_presence_backlash"] * model.foreign_presence
    )
    g[SHIA_ARAB] = (
        -p["legit_hardliner_effect"] * model.hardliners
        - p["foreign_presence_backlash"] * model.foreign_presence
    )
    g[YAZIDI] = -p["legit_reconciliation_backlash"] * perceived["reconciliation"]
    g += p["legit_reconciliation_effect"] * perceived["reconciliation"]
    sa = model._group_is_sa[None, :]
    policy = model.iraq[:, None] * (
        g[None, :] - p["legit_abuse_effect"] * model.abuse[:, None] * sa
    )
    local = (
        p["legit_services_effect"] * (model.services - p["services_reference"])
        - p["legit_civ_harm_effect"] * model.harm_gov
        + p["legit_is_harm_effect"] * model.harm_is
    )
    table = model._legit_base_table + policy + local[:, None]
    target = table.ravel()[key]
    target -= (p["legit_kirkuk_effect"] * model.kirkuk) * model._kirkuk_exposed
    target -= (p["legit_family_effect"] * (1 - fam_pol)) * model._family
    np.clip(target, 0, 1, out=target)
    if initial:
        pop.legitimacy = target
    else:
        rate = np.where(
            target > pop.legitimacy, p["legitimacy_gain_rate"], p["legitimacy_loss_rate"]
        )
        pop.legitimacy = np.clip(rules.relax(pop.legitimacy, target, rate), 0, 1)
    griev = rules.grievance(hard, pop.legitimacy)
    model.grievance = griev
    actives = np.bincount(loc, pop.size * pop.active, n)
    arrest = rules.arrest_probability(
        model.policing * model.intel,
        actives,
        residents,
        p["arrest_k"],
        p["arrest_ratio_scale"],
        p["active_floor"],
    )
    risk = np.where(pop.under_is, p["is_rule_risk"], arrest[loc])
    active, engaged = rules.mobilization(
        griev,
        pop.risk_aversion,
        risk,
        p["active_threshold"],
        p["sympathiser_threshold"],
        p["activation_spread"],
    )
    if initial:
        pop.active, pop.engaged = active, engaged
    else:
        # mobilization has memory: persons join faster than they leave
        up, down = p["mobilization_rate"], p["demobilization_rate"]
        pop.active = rules.relax(pop.active, active, np.where(active > pop.active, up, down))
        pop.engaged = rules.relax(pop.engaged, engaged, np.where(engaged > pop.engaged, up, down))
        np.maximum(pop.engaged, pop.active, out=pop.engaged)
    model.hardship = hard
    # the social base IS finds: engaged persons of the communities it recruits from
    sunni = model._sunni
    model.support_share = np.bincount(loc, pop.size * pop.engaged * sunni, n) / residents
    model.sunni_share = np.bincount(loc, pop.size * sunni, n) / residents


def sunni_mask(group: np.ndarray) -> np.ndarray:
    """Households of the communities IS recruits from: Sunni Arabs and (Tal Afar's mostly
    Sunni) Turkmen."""
    return (group == SUNNI_ARAB) | (group == TURKMEN)
