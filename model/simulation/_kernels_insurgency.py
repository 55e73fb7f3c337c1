"""Compiled kernels of the insurgency (numba), process by process and its whole month in two
calls; imported only through ``model.simulation.kernels``. The rules they keep are those of
``_kernels_numba`` (its docstring) and docs/ARCHITECTURE.md, "Two paths"."""

from __future__ import annotations

import numpy as np
from numba.np.random.distributions import random_binomial, random_geometric
from numba.np.random.generator_core import next_double

from model.simulation._kernels_numba import (
    _NO_IDX,
    _POISSON_LAM_MAX,
    _binomial,
    _bitgen,
    _clip,
    _column_sum,
    _jit,
    _np_sum,
    _poisson,
    _poisson_draw,
    _sel,
    _stream_close,
    _stream_open,
    _uniform,
    _walk_close,
    _walk_open,
    _walk_partials,
)

# The common parts these kernels were compiled with (sha256 of _kernels_numba.py, first 16 hex
# digits): numba's cache notices a change to this file only, so a change to the common parts must
# change this line too (tests/test_kernels.py checks it), or cached kernels keep the old code.
COMMON_PARTS = "d55bdb0463e21e35"


@_jit
def attack_draws(ptrs, C, H, support, scale, floor, holding_share, p_event, p_size, civ_rate,
                 residents, inc, big, rate, per_person):  # fmt: skip
    """insurgency.attacks up to the deaths' placing: incidents (Poisson), mass-casualty events
    among them (binomial) and their deaths (geometric, area after area), the ordinary deaths'
    rate per person and every area's expected deaths per person (``_kill_residents``).

    Writes ``inc``, ``big``, ``rate`` and ``per_person``; returns the mass-casualty deaths and
    whether any area expects deaths.
    """
    bg = _bitgen(ptrs)
    n = C.shape[0]
    rest = 1 - floor
    for a in range(n):
        lam = scale * (C[a] * (floor + rest * support[a]) + holding_share * H[a])
        inc[a] = _poisson(bg, lam)
    if not (p_event >= 0.0 and p_event <= 1.0):
        raise ValueError("p < 0, p > 1 or p is NaN")
    events = np.empty(n, dtype=np.int64)
    for a in range(n):
        events[a] = random_binomial(bg, inc[a], p_event)
    n_big = 0
    for a in range(n):
        deaths = 0
        for _ in range(events[a]):
            deaths += np.int64(random_geometric(bg, p_size))
        big[a] = deaths
        n_big += deaths
    any_deaths = False
    for a in range(n):
        r = civ_rate * inc[a] / residents[a]
        rate[a] = r
        x = r + big[a] / residents[a]
        per_person[a] = x
        if x != 0.0:
            any_deaths = True
    return n_big, any_deaths


@_jit
def attack_losses(ptrs, kill, mean, n_exact, size, loc, per_person, inc, residents, harm,
                  memory, sec_rate, garrison, m_civ, m_sec, partial):  # fmt: skip
    """The rest of insurgency.attacks: the deaths placed on households (Poisson with mean
    ``mean``, plus ``n_exact``; only if ``kill``), remembered harm, security-force deaths and
    the garrisons' losses. Returns the civilians killed. ``partial``: a float column of at
    least every household, for the partial sums of their weights (overwritten)."""
    bg = _bitgen(ptrs)
    n = inc.shape[0]
    civ = np.zeros(n, dtype=np.int64)
    if kill:
        k = _poisson(bg, mean) + n_exact
        if k > 0:  # (nobody to place: no draw either)
            # households weigh size x their area's deaths per person (areas at 0 add nothing,
            # as in insurgency.living_in): the partial sums, then the walk along them
            m = size.shape[0]
            total = 0.0
            for i in range(m):
                rate = per_person[loc[i]]
                total = total + _sel(rate > 0.0, size[i] * rate, 0.0)
                partial[i] = total
            if not total <= 0.0:
                draws, chosen, dead = _walk_open(bg, ptrs, k, total)
                p, found = _walk_partials(draws, partial, m, _NO_IDX, chosen, dead)
                found = _walk_close(p, chosen, dead, found, m - 1)
                for j in range(found):
                    i = chosen[j]
                    d = dead[j] if dead[j] <= size[i] else size[i]  # (at most the household)
                    size[i] -= d
                    civ[loc[i]] += d
    killed = 0
    for a in range(n):
        killed += civ[a]
        m_civ[a] += civ[a]
    for a in range(n):
        h = harm[a] * memory
        if killed:
            h = h + 1000.0 * civ[a] / residents[a]
        harm[a] = h
    sec = np.empty(n, dtype=np.int64)
    any_sec = False
    for a in range(n):
        sec[a] = _poisson(bg, sec_rate * inc[a])
        m_sec[a] += sec[a]
        if sec[a]:
            any_sec = True
    if any_sec:  # (no losses: every factor would be 1)
        for a in range(n):
            tot = _column_sum(garrison, a)
            if tot > 0:
                lose = np.float64(sec[a])
                lose = lose if lose <= tot else tot
                factor = 1.0 - lose / (tot if tot >= 1.0 else 1.0)
                for f in range(garrison.shape[0]):
                    garrison[f, a] *= factor
    return killed


@_jit
def detection(ptrs, C, refuge, residents, search_persons, policing, cover, sunni_share,
              exposure_static, support, syria, syria_cover, scalars, p_det, m_isd,
              m_is_killed):  # fmt: skip
    """insurgency.detection: the detection probability of every area (written to ``p_det``),
    the cells caught (binomial) and those of them killed."""
    bg = _bitgen(ptrs)
    base, half, concealment, strike, syria_p, kill_share = scalars
    n = C.shape[0]
    for a in range(n):
        r = residents[a]
        if refuge[a]:
            r = r if r >= search_persons else search_persons
        density = 1000.0 * policing[a] / r
        exposure = 1.0 - sunni_share[a]
        exposure = exposure * exposure_static[a]
        exposure = exposure + 1.0
        p = base * (density / (density + half))
        p = p * cover[a]
        p = p * exposure
        p = p * (1.0 - concealment * support[a])
        p = p + strike * cover[a]
        p_det[a] = p
    for j in range(syria.shape[0]):
        p_det[syria[j]] = syria_p * syria_cover[j]
    for a in range(n):
        p = p_det[a]
        if p == p:  # (np.clip: NaN stays NaN)
            p = p if p > 0.0 else 0.0
            p = p if p < 1.0 else 1.0
        p_det[a] = p
    caught = np.empty(n, dtype=np.int64)
    for a in range(n):
        caught[a] = _binomial(bg, C[a], p_det[a])
    for a in range(n):
        C[a] -= caught[a]
        m_isd[a] += caught[a]
    if not (kill_share >= 0.0 and kill_share <= 1.0):
        raise ValueError("p < 0, p > 1 or p is NaN")
    for a in range(n):
        m_is_killed[a] += random_binomial(bg, caught[a], kill_share)


@_jit
def havens(ptrs, hv, kappa, is_share, C, H, scalars):
    """insurgency.havens: every haven's capacity, then its fighters' growth (Poisson)."""
    bg = _bitgen(ptrs)
    floor, limit, decay, regrowth, fighter_ceiling, growth = scalars
    m = hv.shape[0]
    lam = np.empty(m)
    for j in range(m):
        a = hv[j]
        k, c, h = kappa[a], C[a], H[a]
        ceiling = limit * (floor + (1.0 - floor) * is_share[a])
        k = _clip(k + (decay * k + regrowth * (ceiling - k)), 0.0, ceiling)
        kappa[a] = k
        room_for = fighter_ceiling * k
        room_for = room_for if room_for >= 1.0 or room_for != room_for else 1.0
        room = _clip(1.0 - (c + h) / room_for, 0.0, 1.0)
        lam[j] = growth * k * (c + h) * room
    for j in range(m):  # (NumPy checks every mean before the first draw)
        if not lam[j] >= 0.0 or lam[j] > _POISSON_LAM_MAX:
            raise ValueError("lam < 0, lam is NaN or lam is too large")
    for j in range(m):
        C[hv[j]] += _poisson_draw(bg, lam[j])


@_jit
def border(ptrs, links, C, H, kappa, policing, scalars):
    """insurgency.border: link after link (Syrian side, Iraqi side), infiltration and crossings
    in force (binomial). Returns the fighters who crossed."""
    bg = _bitgen(ptrs)
    open_border, r0, resupply, offensive = scalars
    inflow = 0
    for j in range(links.shape[0]):
        s, i = links[j, 0], links[j, 1]
        c, h = C[s], H[s]
        capacity = kappa[s]
        ratio = capacity * (c + h) / (policing[i] + 1.0)
        share = resupply * capacity * open_border
        if ratio > r0:
            x = (ratio - r0) / r0
            share += offensive * (x if x < 1.0 else 1.0)
        send = _binomial(bg, c + h, share if share < 1.0 else 1.0)
        from_c = c if c < send else send
        C[s] = c - from_c
        H[s] = h - (send - from_c)
        C[i] += send
        inflow += send
    return inflow


@_jit
def attrition(ptrs, C, H, share):
    """insurgency.attrition: cells, then holding fighters, each lose a binomial share."""
    bg = _bitgen(ptrs)
    for F in (C, H):
        if np.any(F != 0):
            if not (share >= 0.0 and share <= 1.0):
                raise ValueError("p < 0, p > 1 or p is NaN")
            for a in range(F.shape[0]):
                if F[a] < 0:
                    raise ValueError("n < 0")
            for a in range(F.shape[0]):
                F[a] -= random_binomial(bg, F[a], share)


@_jit
def movement(ptrs, C, p_det, nb_pad, nb_ok, nb_any, mobility):
    """insurgency.movement: every area's least risky neighbour (np.argmin: the first least, or
    the first NaN; no neighbour counts as an infinite risk), the cells moving to it, the moves."""
    bg = _bitgen(ptrs)
    n, width = nb_pad.shape
    best = np.empty(n, dtype=np.int64)
    share = np.empty(n)
    for a in range(n):
        jbest = 0
        low = p_det[nb_pad[a, 0]] if nb_ok[a, 0] else np.inf
        if low == low:
            for j in range(1, width):
                r = p_det[nb_pad[a, j]] if nb_ok[a, j] else np.inf
                if not r >= low:
                    low, jbest = r, j
                    if r != r:
                        break
        b = nb_pad[a, jbest]
        best[a] = b
        x = 0.0
        if nb_any[a]:
            gain = p_det[a] - p_det[b]
            if gain > 0:
                d = p_det[a]
                x = _clip(mobility * gain / (d if d >= 1e-9 or d != d else 1e-9), 0.0, 1.0)
        share[a] = x
    for a in range(n):
        if not (share[a] >= 0.0 and share[a] <= 1.0):
            raise ValueError("p < 0, p > 1 or p is NaN")
        if C[a] < 0:
            raise ValueError("n < 0")
    k = np.empty(n, dtype=np.int64)
    for a in range(n):
        k[a] = random_binomial(bg, C[a], share[a])
    for a in range(n):
        C[a] -= k[a]
        C[best[a]] += k[a]


@_jit
def _leadership_boosts(ptrs, lead, recovery, chance, loss, kappa, C, H, haven, strength0, boost):
    """insurgency.leadership and insurgency.haven_boosts: the leadership's recovery, the draw of
    a leader lost, the havens' attack and recruitment boosts: (lead, lost, attack, recruit)."""
    bg = _bitgen(ptrs)
    lead = lead + (1.0 - lead) / recovery
    lost = next_double(bg) < chance
    if lost:
        lead = lead * (1.0 - loss)
    n = C.shape[0]
    strength = np.empty(n)
    for a in range(n):
        strength[a] = (kappa[a] * (C[a] + H[a])) * (1.0 if haven[a] else 0.0)
    ratio = _np_sum(strength) / strength0 if strength0 > 0 else 0.0
    a_boost, r_boost = boost
    return (
        lead,
        lost,
        (1.0 + a_boost * ratio) / (1.0 + a_boost),
        (1.0 + r_boost * ratio) / (1.0 + r_boost),
    )


@_jit
def recruitment(ptrs, boost, scalars, iraq, idx, w, size, active, loc, under_is, C, H,
                m_recruits, partial):  # fmt: skip
    """insurgency.recruitment: every area's rate (where fighters are present or not), the weights
    of households ``idx`` (size x active x rate, in ``w``: a column of every cohort, set to 0
    here, as the mean number of recruits is NumPy's pairwise sum of the full column) and their
    partial sums (in ``partial``, at least as long as ``idx``), the month's recruits (Poisson)
    each drawn in proportion to the weights (``_place``); they leave their households and join
    the cells, or the holding fighters under IS rule."""
    bg = _bitgen(ptrs)
    w[:] = 0.0
    rate_base, remote = scalars
    n = C.shape[0]
    rate = np.empty(n)
    scale = rate_base * boost
    for a in range(n):
        r = scale * (1.0 if (C[a] + H[a]) > 0 else remote)
        rate[a] = r * (1.0 if iraq[a] else 0.0)
    m = idx.shape[0]
    total = 0.0
    for j in range(m):
        i = idx[j]
        x = size[i] * active[i] * rate[loc[i]]
        w[i] = x
        total = total + x
        partial[j] = total
    k = _poisson(bg, _np_sum(w))
    if k <= 0 or total <= 0.0:
        return 0
    draws, chosen, r = _walk_open(bg, ptrs, k, total)
    p, found = _walk_partials(draws, partial, m, idx, chosen, r)
    found = _walk_close(p, chosen, r, found, size.shape[0] - 1)
    recruited = 0
    for j in range(found):
        i = chosen[j]
        x = r[j] if r[j] <= size[i] else size[i]  # (at most the household)
        size[i] -= x
        a = loc[i]
        recruited += x
        m_recruits[a] += x
        if under_is[i]:
            H[a] += x
        else:
            C[a] += x
    return recruited


@_jit
def sorties(ptrs, H, C, p_det, areas, starts, neighbours, share):
    """insurgency.sorties: from each sanctuary (ascending) with holding fighters, a binomial
    share goes out as cells to the neighbour (of ``neighbours[starts[j]:starts[j + 1]]``) with
    the least detection probability (np.argmin: the first least, or the first NaN)."""
    bg = _bitgen(ptrs)
    for j in range(areas.shape[0]):
        a = areas[j]
        if H[a] <= 0:
            continue
        k = _binomial(bg, H[a], share)
        if k:
            H[a] -= k
            best = neighbours[starts[j]]
            low = p_det[best]
            if low == low:
                for m in range(starts[j] + 1, starts[j + 1]):
                    r = p_det[neighbours[m]]
                    if not r >= low:
                        low, best = r, neighbours[m]
                        if r != r:
                            break
            C[best] += k


@_jit
def seizure(ptrs, C, H, support, policing, can_seize, is_share, governed, home_starts, status,
            under_is, home_code, scalars):  # fmt: skip
    """insurgency.seizure: cells that outnumber the policing of an area they may seize take a
    share of it (the areas chosen before any is taken); in a governed area the households at
    home come under IS rule, each with a uniform draw (insurgency._occupy)."""
    bg = _bitgen(ptrs)
    thr, base, seize_ratio, seize_rate = scalars
    n = C.shape[0]
    ratio = np.empty(n)
    chosen = np.zeros(n, dtype=np.bool_)
    for a in range(n):
        ratio[a] = C[a] * (base + support[a]) / (policing[a] + 1.0)
        chosen[a] = can_seize[a] and ratio[a] > seize_ratio and C[a] > 0
    for a in range(n):
        if not chosen[a]:
            continue
        x = (ratio[a] - seize_ratio) / seize_ratio
        grab = seize_rate * (x if x < 1.0 else 1.0)
        new = is_share[a] + grab
        new = new if new < 1.0 else 1.0
        if new > thr:
            k = int(C[a] * grab / (1e-9 if new < 1e-9 else new))
            C[a] -= k
            H[a] += k
            if governed[a]:
                rest = 1.0 - is_share[a]
                fraction = (new - is_share[a]) / (1e-9 if rest < 1e-9 else rest)
                fast, state, inc = _stream_open(ptrs)
                for i in range(home_starts[a], home_starts[a + 1]):
                    if status[i] == home_code and not under_is[i]:
                        state, u = _uniform(bg, fast, state, inc)
                        if u < fraction:
                            under_is[i] = True
                _stream_close(ptrs, fast, state)
            is_share[a] = new


@_jit
def insurgency_first(ptrs, lead, lead_scalars, kappa, C, H, haven, strength0, boost, support,
                     attack_scalars, residents, inc, big, rate, per_person, m_incidents):  # fmt: skip
    """insurgency.step up to the expected ordinary deaths of the attacks (a BLAS dot product
    that stays in NumPy): leadership, the havens' boosts and the attacks' draws. Returns
    (leadership, lost, recruitment boost, mass-casualty deaths, any deaths expected)."""
    recovery, chance, loss = lead_scalars
    lead, lost, b_attack, b_recruit = _leadership_boosts(
        ptrs, lead, recovery, chance, loss, kappa, C, H, haven, strength0, boost
    )
    attack_rate, floor, holding_share, p_event, p_size, civ_rate = attack_scalars
    n_big, kill = attack_draws(
        ptrs, C, H, support, attack_rate * b_attack * lead, floor, holding_share, p_event,
        p_size, civ_rate, residents, inc, big, rate, per_person,
    )  # fmt: skip
    for a in range(inc.shape[0]):
        m_incidents[a] += inc[a]
    return lead, lost, b_recruit, n_big, kill


@_jit
def insurgency_rest(
    ptrs, kill, mean, n_big, b_recruit, pop_cols, support, per_person, inc, residents, harm,
    loss_scalars, garrison, m_cols, det_arrays, det_scalars, p_det, recruit_scalars,
    iraq, sunni, w, partial, havens_index, kappa, is_share, haven_scalars, links, policing,
    border_scalars, attrition_share, sortie_areas, sortie_starts, sortie_neighbours,
    sortie_share, nb_pad, nb_ok, nb_any, mobility, can_seize, governed, home_starts,
    home_code, seize_scalars, C, H,
):  # fmt: skip
    """insurgency.step after the expected ordinary deaths, process after process in the
    documented order (the same kernels as each process alone). Returns (civilians killed,
    recruits, fighters who crossed the border). ``w``: a float column of every household, for
    the deaths' partial sums, then the recruits' weights; ``partial``: the recruits' partial
    sums (a float column as long as ``sunni``)."""
    size, loc, active, status, under_is = pop_cols
    m_civ, m_sec, m_isd, m_is_killed, m_recruits = m_cols
    refuge, cover, sunni_share, exposure, syria, syria_cover = det_arrays
    memory, sec_rate = loss_scalars
    killed = attack_losses(
        ptrs, kill, mean, n_big, size, loc, per_person, inc, residents, harm, memory,
        sec_rate, garrison, m_civ, m_sec, w,
    )  # fmt: skip
    search, det = det_scalars[0], det_scalars[1:]
    detection(
        ptrs, C, refuge, residents, search, policing, cover, sunni_share, exposure, support,
        syria, syria_cover, det, p_det, m_isd, m_is_killed,
    )  # fmt: skip
    recruited = recruitment(
        ptrs, b_recruit, recruit_scalars, iraq, sunni, w, size, active, loc, under_is, C, H,
        m_recruits, partial,
    )  # fmt: skip
    havens(ptrs, havens_index, kappa, is_share, C, H, haven_scalars)
    inflow = border(ptrs, links, C, H, kappa, policing, border_scalars)
    attrition(ptrs, C, H, attrition_share)
    sorties(ptrs, H, C, p_det, sortie_areas, sortie_starts, sortie_neighbours, sortie_share)
    movement(ptrs, C, p_det, nb_pad, nb_ok, nb_any, mobility)
    seizure(
        ptrs, C, H, support, policing, can_seize, is_share, governed, home_starts, status,
        under_is, home_code, seize_scalars,
    )  # fmt: skip
    return killed, recruited, inflow
