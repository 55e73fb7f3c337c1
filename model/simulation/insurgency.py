"""Insurgency: docs/ODD.md section 7.5 (schedule step 9 of section 3).

One month of IS, in this order: attacks, detection of cells, recruitment, the havens, the
cross-border resupply, attrition, cell movement and the seizure of territory. Each process
updates the fighter counts ``model.F`` in place; the support share is last month's and the
residents are those counted at the start of the month.
"""

from __future__ import annotations

import numpy as np

from model.simulation import rules
from model.simulation.agents import CLANDESTINE, HOLDING, HOME, SUNNI_ARAB, TURKMEN


def step(model) -> None:
    """All processes of section 7.5, in the documented order."""
    support = model.support_share if hasattr(model, "support_share") else np.zeros(model.n)
    attacks(model, support)
    p_det = detection(model, support)
    recruitment(model)
    havens(model)
    border(model)
    attrition(model)
    movement(model, p_det)
    seizure(model, support)


def attacks(model, support: np.ndarray) -> None:
    """Incidents, the civilians and security forces they kill, and remembered harm by IS."""
    p, rng = model.p, model.rng
    residents = model.residents
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    lam = p["attack_rate"] * (
        C * (p["support_floor"] + (1 - p["support_floor"]) * support) + 0.5 * H
    )
    inc = rng.poisson(lam)
    model.m_incidents += inc
    civ = _kill_residents(model, p["civ_deaths_per_incident"] * inc / residents)
    model.m_civ += civ
    model.killed += int(civ.sum())
    model.harm_is = model.harm_is * p["harm_memory"] + 1000.0 * civ / residents
    sec = rng.poisson(p["sec_deaths_per_incident"] * inc)
    model.m_sec += sec
    tot = model.garrison.sum(axis=0)
    lose = np.minimum(sec, tot)
    model.garrison *= np.where(tot > 0, 1.0 - lose / np.maximum(tot, 1.0), 1.0)


def detection(model, support: np.ndarray) -> np.ndarray:
    """Cells caught this month; returns the detection probability of every area.

    Iraq: Iraqi forces with coalition intelligence, and coalition strikes; Syria: the campaign.
    """
    p, rng = model.p, model.rng
    C = model.F[CLANDESTINE]
    density = 1000.0 * model.policing / model.residents
    cover = 1.0 - p["refuge_cover"] * (model.refuge | model.haven)
    p_det = (
        p["detect_rate"]
        * model.intel
        * rules.saturating(density, p["security_density_half"])
        * cover
        * (1.0 - 0.5 * support)
    )
    p_det = p_det + p["strike_rate"] * model.air * model.support * cover
    p_det = np.where(
        model.syria, p["detect_rate"] * model.lev["syria_campaign"] * model.air * cover, p_det
    )
    caught = rng.binomial(C, np.clip(p_det, 0, 1))
    C -= caught
    model.m_isd += caught
    return p_det


def recruitment(model) -> None:
    """Recruits from active households join the fighters of the area they live in."""
    p, rng, pop, n = model.p, model.rng, model.pop, model.n
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    present = (C + H) > 0
    rate = p["recruit_rate"] * np.where(present, 1.0, p["recruit_remote"])
    # IS recruits from Sunni communities: Sunni Arabs and (Tal Afar's mostly Sunni) Turkmen
    # (in Syria the havens' growth, haven_growth, stands for local and foreign recruits)
    sunni = (pop.group == SUNNI_ARAB) | (pop.group == TURKMEN)
    act = np.flatnonzero((pop.stance == 2) & sunni & model.iraq[pop.loc])
    if len(act):
        r = rng.binomial(pop.size[act], rate[pop.loc[act]])
        pop.size[act] -= r
        per = np.bincount(pop.loc[act], r, n).astype(np.int64)
        model.recruited += int(r.sum())
        model.m_recruits += per
        under = np.bincount(pop.loc[act], r * pop.under_is[act], n).astype(np.int64)
        H += under
        C += per - under


def havens(model) -> None:
    """Haven capacity shrinks under the Syria campaign and regrows without it; fighters grow."""
    p, rng = model.p, model.rng
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    camp = model.lev["syria_campaign"]
    model.haven_capacity += np.where(
        model.haven,
        -p["haven_decay"] * camp * model.haven_capacity
        + p["haven_regrowth"] * (1 - camp) * (1 - model.haven_capacity),
        0.0,
    )
    model.haven_capacity = np.clip(model.haven_capacity, 0, 1)
    grow = rng.poisson(p["haven_growth"] * model.haven_capacity * (C + H) * model.haven)
    C += grow


def border(model) -> None:
    """Cross-border resupply: each haven sends fighters over its border links, in edge order."""
    p, rng = model.p, model.rng
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    open_border = 1.0 - model.lev["border_control"]
    for s, i in model.border_pairs:
        if model.iraq[s]:
            s, i = i, s
        # the haven sends from all its fighters, its cells first
        send = rng.binomial(
            C[s] + H[s], min(1.0, p["haven_resupply"] * model.haven_capacity[s] * open_border)
        )
        from_c = min(send, C[s])
        C[s] -= from_c
        H[s] -= send - from_c
        C[i] += send
        model.m_inflow += int(send)


def attrition(model) -> None:
    """Cells and holding fighters of every area each lose a binomial share."""
    for F in (model.F[CLANDESTINE], model.F[HOLDING]):
        F -= model.rng.binomial(F, model.p["fighter_attrition"])


def movement(model, p_det: np.ndarray) -> None:
    """Hunted cells move to safer neighbours in the same country.

    Crossing the border is the resupply process (``border``), subject to border control.
    """
    p, n = model.p, model.n
    C = model.F[CLANDESTINE]
    # (neighbours in a padded matrix, same country only, so the choice is vectorized)
    risk_nb = np.where(model._nb_ok, p_det[model._nb_pad], np.inf)
    best = model._nb_pad[np.arange(n), np.argmin(risk_nb, axis=1)]
    gain = np.where(np.isfinite(risk_nb.min(axis=1)), p_det - p_det[best], 0.0)
    share = np.where(gain > 0, p["cell_mobility"] * gain / np.maximum(p_det, 1e-9), 0.0)
    k = model.rng.binomial(C, np.clip(share, 0, 1))
    moves = np.bincount(best, k, n).astype(np.int64) - k
    C += moves


def seizure(model, support: np.ndarray) -> None:
    """Cells that outnumber the policing of a governed Iraqi area seize part of it."""
    p = model.p
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    thr = p["retaken_threshold"]
    ratio = C * (0.5 + support) / (model.policing + 1.0)
    # hideouts in hills, deserts and havens are not governed territory: no seizure there
    can = model.iraq & ~model.refuge & (model.residents > 1000)
    for a in np.flatnonzero(can & (ratio > p["seize_ratio"]) & (C > 0)):
        grab = p["seize_rate"] * min(1.0, (ratio[a] - p["seize_ratio"]) / p["seize_ratio"])
        new = min(1.0, model.is_share[a] + grab)
        if new > thr:
            k = int(C[a] * grab / max(new, 1e-9))
            C[a] -= k
            H[a] += k
            _occupy(model, a, (new - model.is_share[a]) / max(1.0 - model.is_share[a], 1e-9))
            model.is_share[a] = new


def _kill_residents(model, rate: np.ndarray) -> np.ndarray:
    """Kill residents at ``rate[a]`` deaths per person in area a; return deaths per area.

    The month's deaths are Poisson with mean sum(size x rate); each death falls on a
    household drawn in proportion to size x rate (a multinomial split), whole persons only.
    """
    pop, rng = model.pop, model.rng
    w = pop.size * rate[pop.loc]
    cum = np.cumsum(w)
    total = float(cum[-1]) if len(cum) else 0.0
    if total <= 0:
        return np.zeros(model.n, dtype=np.int64)
    k = rng.poisson(total)
    picks = np.searchsorted(cum, rng.random(k) * total, side="right")
    d = np.minimum(np.bincount(picks, minlength=len(w)), pop.size)
    pop.size -= d
    return np.bincount(pop.loc, d, model.n).astype(np.int64)


def _occupy(model, a: int, fraction: float) -> None:
    """Households at home in area a come under IS rule with probability ``fraction``."""
    pop = model.pop
    idx = np.flatnonzero((pop.loc == a) & (pop.status == HOME) & ~pop.under_is)
    pop.under_is[idx[model.rng.random(len(idx)) < fraction]] = True
