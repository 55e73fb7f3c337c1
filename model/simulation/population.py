"""Population (civil violence): docs/ODD.md section 7.6 (schedule steps 5, 11, 13 of section 3).

Epstein's civil violence model (2002) in real units, for all cohorts at once: births, aid and
services, reconstruction, militia abuse, hardship, the legitimacy target and its asymmetric
relaxation, grievance, arrest probability, mobilization (with memory) and the support IS finds among
the communities it recruits from. ``count_residents`` gives the persons located in every area,
used by most processes. The policy terms use the perceived (lagged) policy stocks of
``levers``, never the month's lever values directly.

How it is computed (not what): the cohorts' columns are updated in place, block by block so that
the temporaries stay in the processor's cache; the few households a term concerns (displaced,
IS-affiliated families, under IS rule, in the disputed territories) are updated by index rather
than by multiplying every cohort by 0 or 1; and persons per area are whole numbers summed by home
area over the fixed cohort order, corrected for the households living away from home. Every
floating-point operation on a cohort is the one of the equations, in the same order, so results
are identical to the plain column formulas.
"""

from __future__ import annotations

import numpy as np

from model.simulation import kernels, rules
from model.simulation.agents import DISPLACED, FORCES, SHIA_ARAB, SUNNI_ARAB, YAZIDI
from model.simulation.cohorts import (
    BLOCK,
    blocks,
    cohort_index,
    cohort_keys,
    displaced_now,
    persons_by_area_group,
    persons_by_home_and_area,
    scratch,
    sunni_mask,
)
from model.simulation.operations import security_effective
from model.simulation.outcomes import GROUPS

_NG = len(GROUPS)
_PMF = FORCES.index("PMF")
__all__ = ["births", "count_residents", "services", "sunni_mask", "update"]


def count_residents(model, sums: tuple | None = None) -> np.ndarray:
    """Persons living in each area now (at home or hosted), at least 1; kept as residents.

    Also kept: the persons by area and group (``model.persons_area_group``), by home area and
    group (``model.persons_home_group``) and by home area (``model.persons_home``), which the
    recording of the month reads. ``sums``: the recording's sums, made in the same pass on the
    compiled path (``Recorder.sums_for``).
    """
    totals = np.empty(model.n), np.empty(model.n, dtype=np.int64)
    model.persons_home_group, model.persons_area_group = persons_by_home_and_area(
        model, totals, sums
    )
    model.residents, model.persons_home = totals
    return model.residents


def births(model, sizef: np.ndarray | None = None) -> None:
    """Natural growth of Iraq's population: births join their household cohort.

    Each cohort accrues its expected births, size x the monthly rate, and gains the whole
    persons accrued (the fractions carry over): growth is not a contingent process.
    ``sizef`` (optional): the cohorts' sizes as floats, updated too.
    """
    pop = model.pop
    ix = cohort_index(model)
    carry = model._birth_carry
    if sizef is None:
        sizef = pop.size.astype(float)
    for s in blocks(len(pop)):
        born = np.multiply(sizef[s], ix.birth_rate * model._iraq_home[s])
        carry[s] += born
        np.floor(carry[s], out=born)
        carry[s] -= born
        model.born += int(born.sum())
        sizef[s] += born
        np.copyto(pop.size[s], sizef[s], casting="unsafe")


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


def _group_terms(model) -> np.ndarray:
    """The policy terms of legitimacy by group (inclusion, tension, foreign presence,
    hardliners, reconciliation)."""
    p, perceived = model.p, model.perceived
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
    return g


def _legitimacy_table(model) -> np.ndarray:
    """Legitimacy target by (area, group) before a household's own circumstances."""
    p = model.p
    g = _group_terms(model)
    sa = model._group_is_sa[None, :]
    policy = model.iraq[:, None] * (
        g[None, :] - p["legit_abuse_effect"] * model.abuse[:, None] * sa
    )
    local = (
        p["legit_services_effect"] * (model.services - p["services_reference"])
        - p["legit_civ_harm_effect"] * model.harm_gov
        + p["legit_is_harm_effect"] * model.harm_is
    )
    return model._legit_base_table + policy + local[:, None]


def update(model, initial: bool = False) -> None:
    """One month of the population; ``initial`` sets the starting legitimacy and stance.

    At the start legitimacy takes its target at once (from the initial policy stocks, the same
    for every scenario) and destruction is the data's.
    """
    p, pop = model.p, model.pop
    n = model.n
    loc = pop.loc
    ix = cohort_index(model)
    # the compiled kernels (model.simulation.kernels) or None: the same results either way
    kern = None if initial or p["activation_spread"] <= 0 else model._kernels
    m = len(pop)
    if kern is not None:  # births, and the active persons by area for the arrest risk below
        # (the compiled passes read the sizes as they are: no float copy is kept)
        model.sizef = None
        actives = np.zeros(n)
        born = kern.births_actives(
            pop.size,
            ix.birth_rate,
            model._iraq_home,
            model._birth_carry,
            pop.active,
            loc,
            actives,
        )
        model.born += int(born)
    elif initial:  # (set-up: no births, so no float copy of the sizes is needed)
        sizef = model.sizef = None
    else:  # the sizes as floats, for this month's weighted sums (and the recording's: sizes
        # do not change again before the month is recorded)
        sizef = model.sizef = pop.size.astype(float)
    if initial:
        model.m_incidents = np.zeros(n)
        security_effective(model)
    elif kern is None:
        births(model, sizef)
    residents = model.residents if not initial else count_residents(model)
    if kern is not None:  # the area terms in two compiled passes around NumPy's exp
        h_area, table, arrest = _terms_compiled(model, kern, residents, actives)
        fam_pol = model.perceived["family_policy"]
        sunni_persons = _update_compiled(model, kern, h_area, table, arrest, fam_pol)
        model.sunni_share = sunni_persons / residents
        return
    pmf = model.garrison[_PMF]
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
    # every term but a household's own circumstances depends only on (area, group): computed
    # on the small area x group table and gathered once per household
    h_area = p["hardship_destruction"] * model.destruction + p["hardship_services"] * (
        1 - model.services
    )
    table = _legitimacy_table(model).ravel()
    # the arrest risk of an area counts last month's active persons
    if initial:  # (nobody is active yet: every area's sum is 0)
        actives = np.zeros(n)
    else:
        weights = np.empty(m)
        np.multiply(sizef, pop.active, out=weights)
        actives = np.bincount(loc, weights, n)
    arrest = rules.arrest_probability(
        model.policing * model.intel,
        actives,
        residents,
        p["arrest_k"],
        p["arrest_ratio_scale"],
        p["active_floor"],
    )
    displaced = displaced_now(model)  # (nobody moves during the update)
    _update_numpy(model, h_area, table, arrest, fam_pol, displaced, initial)
    persons = persons_by_area_group(model, displaced=displaced)
    sunni_persons = persons[:, ix.sunni_groups].sum(axis=1).astype(float)
    model.sunni_share = sunni_persons / residents


def _terms_compiled(model, kern, residents: np.ndarray, actives: np.ndarray):
    """``update``'s area terms with the compiled kernels (the same arithmetic, NumPy's exp):
    services, destruction, abuse (kept on the model), and the area's hardship, the legitimacy
    table by (area, group) and the arrest probability (returned)."""
    p, n, perceived = model.p, model.n, model.perceived
    total = model.aid_delivered * 1e6
    pmf_share, exponent = np.empty(n), np.empty(n)
    model.aid_captured = kern.services_before_exp(
        model.garrison, _PMF, model.destruction, residents, model.iraq, model.m_incidents,
        kernels.floats(
            total * model.aid_targeting,
            total * (1 - model.aid_targeting),
            p["aid_capture_base"],
            p["aid_capture_militia"] * (1.0 - perceived["militia_discipline"]),
            p["aid_security_half"],
            p["aid_half_saturation"],
        ),
        pmf_share, np.empty(n), exponent,
    )  # fmt: skip
    model.pmf_share = pmf_share
    np.exp(exponent, out=exponent)
    w = p["abuse_tension_weight"]
    model.services, model.abuse, h_area = np.empty(n), np.empty(n), np.empty(n)
    table, arrest = np.empty(n * _NG), np.empty(n)
    kern.terms_after_exp(
        exponent, model.destruction, float(p["reconstruction_rate"]), pmf_share,
        kernels.floats(
            p["abuse_rate"] * (1 - perceived["militia_discipline"]), 1 - w + w * model.tension
        ),
        _group_terms(model), SUNNI_ARAB, model.iraq, model._legit_base_table,
        kernels.fixed_floats(
            model, "hardship_destruction", "hardship_services", "legit_abuse_effect",
            "legit_services_effect", "services_reference", "legit_civ_harm_effect",
            "legit_is_harm_effect",
        ),
        model.harm_gov, model.harm_is, model.services, model.abuse, h_area, table,
        (
            model.policing, float(model.intel), actives, residents,
            *kernels.fixed_floats(model, "arrest_k", "arrest_ratio_scale", "active_floor"),
        ),
        arrest,
    )  # fmt: skip
    np.exp(arrest, out=arrest)
    return h_area, table, np.subtract(1.0, arrest, out=arrest)


def _update_numpy(model, h_area, table, arrest, fam_pol, displaced, initial) -> None:
    """Hardship, legitimacy, grievance, mobilization and IS's social base, array by array."""
    p, pop, n = model.p, model.pop, model.n
    ix = cohort_index(model)
    m = len(pop)
    # the households a term concerns, by index (adding 0 to the others changes nothing)
    under = np.flatnonzero(pop.under_is)
    terms = {
        "displaced": (displaced, p["hardship_displaced"]),
        "family": (ix.family, p["hardship_family"] * (1 - fam_pol)),
        "is_rule": (under, p["hardship_is_rule"]),
        "kirkuk": (ix.kirkuk, p["legit_kirkuk_effect"] * model.kirkuk),
        "family_legit": (ix.family, p["legit_family_effect"] * (1 - fam_pol)),
        "risk": (under, p["is_rule_risk"]),
    }
    # (the kept scratch columns serve, as on the compiled path: the hardship of a block in
    # ``BLOCK`` cohorts; at set-up the keys are made block by block, not kept)
    hard = scratch(model, "x_engaged", min(m, BLOCK))
    griev = scratch(model, "grievance", m)
    key = None if initial else cohort_keys(model, displaced)
    # the legitimacy target of most households is their (area, group) value, clipped; those with
    # a term of their own get it from the unclipped table below
    clipped = np.clip(table, 0, 1)
    for s in blocks(m):
        _update_block(model, s, key, terms, h_area, (table, clipped), arrest, hard, griev, initial)
    model.grievance = griev
    # the social base IS finds: engaged persons of the communities it recruits from
    S = ix.sunni
    support = np.bincount(pop.loc[S], pop.size[S] * pop.engaged[S], n)  # (size as float)
    model.support_share = support / model.residents


def _update_compiled(model, kern, h_area, table, arrest, fam_pol) -> np.ndarray:
    """``_update_numpy`` (not at set-up) in compiled passes around NumPy's ``exp``, block by
    block (the logistic's exponents of a block in two columns of ``BLOCK`` cohorts); returns
    the persons of IS's communities by area where they live (counted on the way)."""
    p, pop, n = model.p, model.pop, model.n
    m = len(pop)
    # (the columns are kept from month to month: new ones would be paged in every month)
    griev = scratch(model, "grievance", m)
    room = min(m, BLOCK)
    e_engaged, e_active = scratch(model, "x_engaged", room), scratch(model, "x_active", room)
    # (floats, whatever a scenario wrote: one compiled signature)
    terms = kernels.floats(
        p["hardship_displaced"],
        p["hardship_family"] * (1 - fam_pol),
        p["hardship_is_rule"],
        p["legit_kirkuk_effect"] * model.kirkuk,
        p["legit_family_effect"] * (1 - fam_pol),
        p["is_rule_risk"],
    )
    rates = kernels.fixed_floats(model, "legitimacy_gain_rate", "legitimacy_loss_rate")
    thresholds = kernels.fixed_floats(model, "sympathiser_threshold", "active_threshold")
    mobilization = kernels.fixed_floats(model, "mobilization_rate", "demobilization_rate")
    neg_spread = float(-p["activation_spread"])
    for s in blocks(m):
        x_engaged, x_active = e_engaged[: s.stop - s.start], e_active[: s.stop - s.start]
        kern.legitimacy_pass(
            pop.loc[s],
            pop.group[s],
            pop.status[s],
            model._family[s],
            pop.under_is[s],
            model._kirkuk_exposed[s],
            pop.hardship_base[s],
            h_area,
            table,
            _NG,
            DISPLACED,
            terms,
            pop.legitimacy[s],
            rates,
            arrest,
            pop.risk_aversion[s],
            thresholds,
            neg_spread,
            griev[s],
            x_engaged,
            x_active,
        )
        # rules.mobilization's logistic, 1 / (1 + exp((N - T) / -spread)): its divisions in
        # the compiled passes' vectorised loops, NumPy's exp between them (the C library's can
        # differ in the last bit)
        np.exp(x_engaged, out=x_engaged)
        np.exp(x_active, out=x_active)
        kern.mobilization_pass(x_engaged, x_active, pop.active[s], pop.engaged[s], mobilization)
    support, sunni_persons = np.zeros(n), np.zeros(n)
    kern.social_base(
        cohort_index(model).sunni, pop.loc, pop.size, pop.engaged, support, sunni_persons
    )
    model.grievance = griev
    model.support_share = support / model.residents
    return sunni_persons


def _bounds(idx: np.ndarray, s: slice) -> tuple[int, int]:
    """Where the indices in ``idx`` (sorted) that fall in block ``s`` begin and end."""
    if s.start == 0 and (len(idx) == 0 or idx[-1] < s.stop):
        return 0, len(idx)  # (all in the first block, as with one block: no search)
    lo, hi = np.searchsorted(idx, (s.start, s.stop))
    return int(lo), int(hi)


def _within(idx: np.ndarray, s: slice) -> np.ndarray:
    """The indices in ``idx`` (sorted) that fall in block ``s``, relative to its start."""
    lo, hi = _bounds(idx, s)
    if s.start == 0 and hi - lo == len(idx):
        return idx  # (all of them, as they are: only read, as an index)
    return idx[lo:hi] - s.start


def _update_block(
    model, s, key, terms, h_area, tables, arrest, hard_room, griev_all, initial
) -> None:
    """Hardship, legitimacy, grievance and mobilization of the cohorts of block ``s``
    (``hard_room``: a column of at least a block for the hardship)."""
    p, pop = model.p, model.pop
    loc = pop.loc[s]
    # hardship: the household's own, its area's, then the terms of the households concerned
    hard = hard_room[: s.stop - s.start]
    np.add(pop.hardship_base[s], h_area[loc], out=hard)
    for name in ("displaced", "family", "is_rule"):
        idx, value = terms[name]
        hard[_within(idx, s)] += value
    np.clip(hard, 0, 1, out=hard)
    # legitimacy target: the (area, group) table, less the Kirkuk and family terms, clipped
    table, clipped = tables
    k = key[s] if key is not None else pop.loc[s] * _NG + pop.group[s]  # (cohort_keys)
    target = clipped[k]
    ix = cohort_index(model)
    lo, hi = _bounds(ix.own_legit, s)
    if hi > lo:
        mine = ix.own_legit[lo:hi] - s.start
        t_own = table[k[mine]]
        t_own[ix.own_kirkuk[lo:hi]] -= terms["kirkuk"][1]
        t_own[ix.own_family[lo:hi]] -= terms["family_legit"][1]
        target[mine] = np.clip(t_own, 0, 1)
    legit = pop.legitimacy[s]
    if initial:
        legit[...] = target
    else:
        rules.relax_asymmetric(
            legit, target, p["legitimacy_gain_rate"], p["legitimacy_loss_rate"], work=target
        )
        np.clip(legit, 0, 1, out=legit)
    griev = griev_all[s]
    np.subtract(1.0, legit, out=griev)
    np.multiply(hard, griev, out=griev)  # rules.grievance: H (1 - L)
    risk = arrest[loc]
    idx, value = terms["risk"]
    risk[_within(idx, s)] = value
    active, engaged = rules.mobilization(
        griev,
        pop.risk_aversion[s],
        risk,
        p["active_threshold"],
        p["sympathiser_threshold"],
        p["activation_spread"],
        work=(risk, target),
    )
    if initial:
        pop.active[s] = active
        pop.engaged[s] = engaged
        return
    # mobilization has memory: persons join faster than they leave
    up, down = p["mobilization_rate"], p["demobilization_rate"]
    cur_a, cur_e = pop.active[s], pop.engaged[s]
    rules.relax_asymmetric(cur_a, active, up, down, work=active)
    rules.relax_asymmetric(cur_e, engaged, up, down, work=engaged)
    np.maximum(cur_e, cur_a, out=cur_e)
