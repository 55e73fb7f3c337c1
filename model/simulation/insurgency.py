"""Insurgency: docs/ODD.md section 7.5 (schedule step 9 of section 3).

One month of IS, in this order: leadership losses, attacks, detection of cells, recruitment,
the havens, the border (infiltration and cross-border offensives), attrition, sorties from the
sanctuaries, cell movement and the seizure of territory. Each process updates the fighter
counts ``model.F`` in place; the support share is last month's and the residents are those
counted at the start of the month.

IS has a social base: cells hide among the communities it recruits from (Sunni Arabs and
Turkmen) and in refuge terrain; elsewhere residents report them. Refuges without residents can
be held as sanctuaries. The havens in Syria are a state of their own: capacity with a ceiling set
by the ground IS holds there, fighters growing toward what that capacity houses, strength that
feeds recruitment and attacks in Iraq, and forces large enough to cross the border in force.
"""

from __future__ import annotations

import numpy as np

from model.simulation import rules
from model.simulation.agents import CLANDESTINE, HOLDING, HOME
from model.simulation.cohorts import cohort_index, home_segment, living_in, scratch
from model.simulation.insurgency_compiled import (
    _attacks_compiled,
    _border_scalars,
    _detection_scalars,
    _haven_scalars,
    _partial,
    _static,
    _step_compiled,
)
from model.simulation.kernels import rng_pointers

_NONE = np.zeros(0, dtype=np.int64)
_NONE.flags.writeable = False  # (shared: no households)


def step(model) -> None:
    """All processes of section 7.5, in the documented order."""
    support = model.support_share
    if model._kernels is not None:  # the same processes, draws and arithmetic, compiled
        _step_compiled(model, support)
        return
    leadership(model)
    boost_attack, boost_recruit = haven_boosts(model)
    attacks(model, support, boost_attack)
    p_det = detection(model, support)
    recruitment(model, boost_recruit)
    havens(model)
    border(model)
    attrition(model)
    sorties(model, p_det)
    movement(model, p_det)
    seizure(model, support)


def leadership(model) -> None:
    """A top leader may be killed (coalition intelligence and air); attack capacity dips and
    recovers (Johnston 2012)."""
    p = model.p
    model.leadership += (1.0 - model.leadership) / p["leadership_recovery_months"]
    chance = p["leadership_strike_rate"] * model.support * model.air * model.intel
    model.m_leader_lost = bool(model.rng.random() < chance)
    if model.m_leader_lost:
        model.leadership *= 1.0 - p["leadership_loss_effect"]
        model.leaders_lost += 1


def haven_strength(model) -> float:
    """Fighters the havens can put to use: capacity x fighters, summed over the havens."""
    return float((model.haven_capacity * model.F.sum(axis=0) * model.haven).sum())


def haven_boosts(model) -> tuple[float, float]:
    """Relative attack and recruitment capacity in Iraq from the havens' strength (1 at the
    start)."""
    p = model.p
    ratio = haven_strength(model) / model.haven_strength0 if model.haven_strength0 > 0 else 0.0
    a, r = p["haven_attack_boost"], p["haven_recruit_boost"]
    return (1.0 + a * ratio) / (1.0 + a), (1.0 + r * ratio) / (1.0 + r)


def attacks(model, support: np.ndarray, boost: float) -> None:
    """Incidents, the civilians and security forces they kill, and remembered harm by IS.

    Civilian deaths come from ordinary attacks (Poisson) and from mass-casualty attacks (a few
    attacks with a geometric, heavy-tailed number of deaths each), with the same mean.
    """
    if model._kernels is not None:  # the same draws and arithmetic, compiled
        _attacks_compiled(model, support, boost)
        return
    p, rng = model.p, model.rng
    residents = model.residents
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    lam = (
        p["attack_rate"]
        * boost
        * model.leadership
        * (
            C * (p["support_floor"] + (1 - p["support_floor"]) * support)
            + p["holding_attack_share"] * H
        )
    )
    inc = rng.poisson(lam)
    model.m_incidents += inc
    per_incident = p["civ_deaths_per_incident"]
    mass = p["mass_casualty_share"]
    size = p["mass_casualty_size"]
    # mass-casualty attacks: events chosen among the incidents so that their deaths make up
    # the share ``mass`` of the expected total, each with a geometric number of deaths
    events = rng.binomial(inc, min(1.0, per_incident * mass / size))
    big = np.zeros(model.n)
    hit = events.nonzero()[0]
    n_big = 0
    if len(hit):  # the events' deaths, area after area (one draw per event)
        e = events[hit]
        n_big = int(e.sum())
        deaths = rng.geometric(1.0 / size, n_big)
        starts = e.cumsum()
        starts -= e  # where each area's events begin among the draws
        big[hit] = np.add.reduceat(deaths, starts)
        n_big = int(deaths.sum())
    # ordinary deaths (Poisson) and the mass-casualty deaths placed together on the cohorts
    civ = _kill_residents(model, per_incident * (1.0 - mass) * inc / residents, big, n_big)
    model.m_civ += civ
    killed = int(civ.sum())
    model.killed += killed
    harm = model.harm_is * p["harm_memory"]
    if killed:  # (adding 1000 x 0 / residents changes no value)
        harm += 1000.0 * civ / residents
    model.harm_is = harm
    sec = rng.poisson(p["sec_deaths_per_incident"] * inc)
    model.m_sec += sec
    if sec.any():  # (no losses: every factor would be 1)
        tot = model.garrison.sum(axis=0)
        lose = np.minimum(sec, tot)
        model.garrison *= np.where(tot > 0, 1.0 - lose / np.maximum(tot, 1.0), 1.0)


def detection(model, support: np.ndarray) -> np.ndarray:
    """Cells caught this month; returns the detection probability of every area.

    Iraq: Iraqi forces with coalition intelligence, and coalition strikes. Security density is
    counted against the residents, or against the search burden of a refuge's terrain. Local
    support hides cells; where no resident belongs to the communities IS recruits from, cells
    are exposed. Syria: the campaign.
    """
    p, rng = model.p, model.rng
    C = model.F[CLANDESTINE]
    st = _static(model)
    if model._kernels is not None:  # the same draws and arithmetic, compiled
        p_det = np.empty(model.n)
        search, *scalars = _detection_scalars(model)
        model._kernels.detection(
            rng_pointers(model), C, model.refuge, model.residents, search, model.policing,
            model._cover, model.sunni_share, st.exposure, support, st.syria, st.syria_cover,
            tuple(scalars), p_det, model.m_isd, model.m_is_killed,
        )  # fmt: skip
        return p_det
    burden = np.where(
        model.refuge, np.maximum(model.residents, p["refuge_search_persons"]), model.residents
    )
    density = 1000.0 * model.policing / burden
    cover = model._cover
    # (exposure_detection x not a refuge, kept: x 1 or x 0 is exact in either order)
    exposure = 1.0 - model.sunni_share
    exposure *= st.exposure
    exposure += 1.0
    p_det = p["detect_rate"] * model.intel * rules.saturating(density, p["security_density_half"])
    p_det *= cover
    p_det *= exposure
    p_det *= 1.0 - p["support_concealment"] * support
    p_det += p["strike_rate"] * model.air * model.support * cover
    # Syria: the campaign
    p_det[st.syria] = p["detect_rate"] * model.lev["syria_campaign"] * model.air * st.syria_cover
    p_det.clip(0.0, 1.0, out=p_det)
    caught = rng.binomial(C, p_det)
    C -= caught
    model.m_isd += caught
    model.m_is_killed += rng.binomial(caught, p["detect_kill_share"])
    return p_det


def recruitment(model, boost: float) -> None:
    """Recruits from active households of IS's communities join the fighters where they live."""
    p, pop, n = model.p, model.pop, model.n
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    S = cohort_index(model).sunni
    if model._kernels is not None:  # the same rates, weights, sums and draws, compiled
        model.recruited += int(
            model._kernels.recruitment(
                rng_pointers(model), float(boost), _static(model).recruit, model.iraq, S,
                scratch(model, "grievance", len(pop)), pop.size, pop.active, pop.loc,
                pop.under_is, C, H, model.m_recruits, _partial(model),
            )
        )  # fmt: skip
        return
    present = (C + H) > 0
    rate = p["recruit_rate"] * boost * np.where(present, 1.0, p["recruit_remote"])
    # (in Syria the havens' growth, haven_growth, stands for local and foreign recruits);
    # the recruits of a month are Poisson and each is drawn from a household in proportion to
    # its active persons (binomial draws per household, for small rates)
    # (only the households of IS's communities weigh; the others' weights stay 0 in a kept
    # full-length array, whose sum is the mean number of recruits)
    w = _sunni_weights(model)
    w_s = pop.size[S] * pop.active[S]
    w_s *= (rate * model.iraq)[pop.loc[S]]
    w[S] = w_s
    idx, r = _place(model, S, w_s, model.rng.poisson(float(w.sum())))
    if len(idx):
        pop.size[idx] -= r
        per = np.bincount(pop.loc[idx], r, n).astype(np.int64)
        model.recruited += int(r.sum())
        model.m_recruits += per
        under = np.bincount(pop.loc[idx], r * pop.under_is[idx], n).astype(np.int64)
        H += under
        C += per - under


def haven_ceiling(model) -> np.ndarray:
    """The capacity each haven can reach: the Syrian ground IS holds (with a floor for desert
    hideouts) times the ``haven_limit`` event."""
    p = model.p
    ground = p["haven_ground_floor"] + (1.0 - p["haven_ground_floor"]) * model.is_share
    return np.where(model.haven, model.lev["haven_limit"] * ground, 0.0)


def havens(model) -> None:
    """Haven capacity shrinks under the Syria campaign and regrows toward its ceiling without
    it; fighters grow logistically toward what the capacity houses."""
    rng = model.rng
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    # (a handful of havens: plain floats, the same IEEE operations as the arrays would do;
    # elsewhere the capacity stays 0 and the fighters do not grow)
    hv = _static(model).havens
    terms = _haven_scalars(model)
    floor, limit, decay, regrowth, fighter_ceiling, growth = terms
    kappa = model.haven_capacity
    if model._kernels is not None:  # the same draws and arithmetic, compiled
        model._kernels.havens(
            rng_pointers(model), _static(model).haven_index, kappa, model.is_share, C, H, terms
        )
        return
    lam = np.zeros(model.n)
    for a, k, share, c, h in zip(
        hv,
        kappa[hv].tolist(),
        model.is_share[hv].tolist(),
        C[hv].tolist(),
        H[hv].tolist(),
        strict=True,
    ):
        ceiling = limit * (floor + (1.0 - floor) * share)
        k = _clip(k + (decay * k + regrowth * (ceiling - k)), 0.0, ceiling)
        kappa[a] = k
        room = _clip(1.0 - (c + h) / _at_least_1(fighter_ceiling * k), 0.0, 1.0)
        lam[a] = growth * k * (c + h) * room
    C += rng.poisson(lam)


def border(model) -> None:
    """Cross-border movement, link by link in edge order: infiltration that border control
    interdicts, and, where a haven's usable force outmatches the policing of the Iraqi side
    (``haven_offensive_ratio``), a crossing in force."""
    rng = model.rng
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    terms = _border_scalars(model)
    open_border, r0, resupply, offensive = terms
    if model._kernels is not None:  # the same draws and arithmetic, compiled
        model.m_inflow += int(
            model._kernels.border(
                rng_pointers(model), _static(model).border_links, C, H, model.haven_capacity,
                model.policing, terms,
            )
        )  # fmt: skip
        return
    for s, i in _static(model).border:  # (the Syrian side first)
        c, h = int(C[s]), int(H[s])
        capacity = float(model.haven_capacity[s])
        ratio = capacity * (c + h) / (float(model.policing[i]) + 1.0)
        share = resupply * capacity * open_border
        if ratio > r0:
            share += offensive * min(1.0, (ratio - r0) / r0)
        # the haven sends from all its fighters, its cells first
        send = int(rng.binomial(c + h, min(1.0, share)))
        from_c = min(send, c)
        C[s] = c - from_c
        H[s] = h - (send - from_c)
        C[i] += send
        model.m_inflow += send


def attrition(model) -> None:
    """Cells and holding fighters of every area each lose a binomial share."""
    if model._kernels is not None:  # the same draws, compiled
        model._kernels.attrition(
            rng_pointers(model),
            model.F[CLANDESTINE],
            model.F[HOLDING],
            float(model.p["fighter_attrition"]),
        )
        return
    for F in (model.F[CLANDESTINE], model.F[HOLDING]):
        if F.any():  # (no fighters: the draw would be all zeros and use no random numbers)
            F -= model.rng.binomial(F, model.p["fighter_attrition"])


def sorties(model, p_det: np.ndarray) -> None:
    """Fighters holding a sanctuary go out as cells to the neighbouring governed area where
    they are least likely to be caught."""
    H, C = model.F[HOLDING], model.F[CLANDESTINE]
    share = model.p["sanctuary_sortie"]
    if model._kernels is not None:  # the same draws and choices, compiled
        _, areas, starts, flat, share = _static(model).after_border
        model._kernels.sorties(rng_pointers(model), H, C, p_det, areas, starts, flat, share)
        return
    for a, nb in _static(model).sorties:  # (sanctuaries with a governed Iraqi neighbour)
        if H[a] <= 0:
            continue
        k = int(model.rng.binomial(H[a], share))
        if k:
            H[a] -= k
            C[int(nb[p_det[nb].argmin()])] += k


def movement(model, p_det: np.ndarray) -> None:
    """Hunted cells move to safer neighbours in the same country.

    Crossing the border is ``border``, subject to border control.
    """
    p, n = model.p, model.n
    C = model.F[CLANDESTINE]
    if model._kernels is not None:  # the same choices and draws, compiled
        model._kernels.movement(
            rng_pointers(model), C, p_det, model._nb_pad, model._nb_ok, model._nb_any,
            float(p["cell_mobility"]),
        )  # fmt: skip
        return
    # (neighbours in a padded matrix, same country only, so the choice is vectorized)
    st = _static(model)
    st.risk_ext[:n] = p_det
    best = model._nb_pad.ravel()[st.nb_flat + st.risk_ext[st.nb_ext].argmin(axis=1)]
    # (an area without a same-country neighbour has an infinite least risk: no gain; a NaN
    # gain moves nobody either)
    gain = np.where(model._nb_any, p_det - p_det[best], 0.0)
    share = np.where(gain > 0, p["cell_mobility"] * gain / np.maximum(p_det, 1e-9), 0.0)
    k = model.rng.binomial(C, share.clip(0, 1, out=share))
    moves = np.bincount(best, k, n).astype(np.int64) - k
    C += moves


def seizure(model, support: np.ndarray) -> None:
    """Cells that outnumber the policing of an Iraqi area seize part of it: governed territory
    with its residents, or a refuge without residents as a sanctuary."""
    p = model.p
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    if model._kernels is not None:  # the same choices and draws, compiled
        st, pop = _static(model), model.pop
        model._kernels.seizure(
            rng_pointers(model), C, H, support, model.policing, st.can_seize, model.is_share,
            model.governed, cohort_index(model).home_starts, pop.status, pop.under_is, HOME,
            st.seize,
        )  # fmt: skip
        return
    thr = p["retaken_threshold"]
    ratio = C * (p["seize_support_base"] + support) / (model.policing + 1.0)
    # populated refuges (hills and desert towns) give cover but are governed like any area
    can = _static(model).can_seize
    for a in (can & (ratio > p["seize_ratio"]) & (C > 0)).nonzero()[0].tolist():
        grab = p["seize_rate"] * min(1.0, (ratio[a] - p["seize_ratio"]) / p["seize_ratio"])
        new = min(1.0, model.is_share[a] + grab)
        if new > thr:
            k = int(C[a] * grab / max(new, 1e-9))
            C[a] -= k
            H[a] += k
            if model.governed[a]:
                _occupy(model, a, (new - model.is_share[a]) / max(1.0 - model.is_share[a], 1e-9))
            model.is_share[a] = new


def _kill_residents(
    model, rate: np.ndarray, exact: np.ndarray | None = None, n_exact: int | None = None
) -> np.ndarray:
    """Kill residents of every area; return deaths per area.

    ``rate[a]`` is deaths per person in area a: their number is Poisson with mean
    residents x rate. ``exact[a]`` deaths (if given; ``n_exact`` in all, summed if not given)
    are added as they are. Each death falls on a household drawn in proportion to its size x
    its area's expected deaths per person, whole persons only; in expectation each area gets its
    own deaths.
    """
    pop = model.pop
    per_person = rate if exact is None else rate + exact / model.residents
    if not per_person.any():
        return np.zeros(model.n, dtype=np.int64)
    k = model.rng.poisson(float(np.dot(model.residents, rate)))
    if exact is not None:
        k += int(round(exact.sum())) if n_exact is None else n_exact
    if k <= 0:  # (nobody to place: no draw either)
        return np.zeros(model.n, dtype=np.int64)
    # only households living in an area with deaths weigh
    idx = living_in(model, per_person > 0)
    idx, d = _place(model, idx, pop.size[idx] * per_person[pop.loc[idx]], k)
    pop.size[idx] -= d
    return np.bincount(pop.loc[idx], d, model.n).astype(np.int64)


def _place(model, idx: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``k`` persons, each from a household chosen in proportion to its weight; returns
    the households drawn (ascending) and how many persons each gives (at most its size).

    Households ``idx`` (ascending) have ``weights``; every other household weighs 0 and is
    skipped: it would change no partial sum of the weights in cohort order, and the household
    chosen is the first whose partial sum exceeds the draw (the last cohort if none does).
    """
    if k <= 0:
        return _NONE, _NONE
    cum = weights.cumsum()
    total = float(cum[-1]) if len(cum) else 0.0
    if total <= 0:
        return _NONE, _NONE
    # (only how many persons each household gives matters, not the draws' order: with the
    # draws sorted, the draws below each partial sum are counted by one search of the partial
    # sums among the draws)
    draws = model.rng.random(k) * total
    draws.sort()
    below = draws.searchsorted(cum, side="left")  # draws choosing this household or earlier
    counts = np.empty(len(below), dtype=below.dtype)
    counts[0] = below[0]
    np.subtract(below[1:], below[:-1], out=counts[1:])
    drawn = counts.nonzero()[0]
    return _drawn(model, idx[drawn], counts[drawn], k - int(below[-1]))


def _drawn(model, chosen: np.ndarray, counts: np.ndarray, beyond: int):
    """The households drawn and their persons, at most their size; ``beyond``: draws at or
    above the weights' total (rounding), which fall on the last cohort."""
    if beyond:
        last = len(model.pop) - 1
        if len(chosen) and chosen[-1] == last:
            counts[-1] += beyond
        else:
            chosen = np.append(chosen, last)
            counts = np.append(counts, beyond)
    return chosen, np.minimum(counts, model.pop.size[chosen])


def _sunni_weights(model) -> np.ndarray:
    """A full-length array of recruitment weights, 0 outside IS's communities (kept)."""
    w = getattr(model, "_recruit_w", None)
    if w is None or len(w) != len(model.pop):
        w = model._recruit_w = np.zeros(len(model.pop))
    return w


def _occupy(model, a: int, fraction: float) -> None:
    """Households at home in area a come under IS rule with probability ``fraction``."""
    pop = model.pop
    s = home_segment(model, a)  # households at home in a are those of its home segment
    idx = s.start + ((pop.status[s] == HOME) & ~pop.under_is[s]).nonzero()[0]
    pop.under_is[idx[model.rng.random(len(idx)) < fraction]] = True


def _clip(x: float, lo: float, hi: float) -> float:
    """``x`` clipped to [lo, hi] exactly as ``np.clip`` does it (NaN stays NaN)."""
    if x != x:
        return x
    x = x if x > lo else lo
    return x if x < hi or x != x else hi


def _at_least_1(x: float) -> float:
    """``np.maximum(x, 1.0)`` for a float (NaN stays NaN)."""
    return x if x >= 1.0 or x != x else 1.0
