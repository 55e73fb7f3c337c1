"""Compiled kernels of the population, displacement, recording and security (numba); imported
only through ``model.simulation.kernels``. The rules they keep are those of
``_kernels_numba`` (its docstring) and docs/ARCHITECTURE.md, "Two paths"."""

from __future__ import annotations

import math

import numpy as np

from model.simulation._kernels_numba import (
    _bitgen,
    _clip,
    _column_sum,
    _jit,
    _np_sum,
    _sel,
    _skip,
    _stream_close,
    _stream_open,
    _uniform,
)

# The common parts these kernels were compiled with (sha256 of _kernels_numba.py, first 16 hex
# digits): numba's cache notices a change to this file only, so a change to the common parts
# must change this line too (tests/test_kernels.py checks it), or cached kernels would keep the
# old code.
COMMON_PARTS = "d55bdb0463e21e35"


@_jit
def births_actives(size, birth_rate, iraq, carry, active, loc, actives):
    """population.births and the active persons by area (np.bincount(loc, size x active)).

    ``birth_rate`` (a month, per person) applies to households whose home is in Iraq
    (``iraq``). Writes the sizes (whole persons); adds to ``actives``; returns the persons
    born (a whole number)."""
    # the births first: no float sum carried from household to household (the persons born
    # are an integer, exact in any order)
    born_total = 0
    m = size.shape[0]
    for i in range(m):
        s = float(size[i])
        c = carry[i] + s * _sel(iraq[i], birth_rate, 0.0)
        born = math.floor(c)
        carry[i] = c - born
        born_total += born
        size[i] = np.int64(s + born)
    # then the active persons: a running sum while the area stays the same (the same
    # additions in the same order as adding to ``actives`` each time, without waiting for the
    # last store)
    if m:
        cur = loc[0]
        acc = actives[cur]
        for i in range(m):
            a = loc[i]
            if a != cur:
                actives[cur] = acc
                cur = a
                acc = actives[a]
            acc += float(size[i]) * active[i]
        actives[cur] = acc
    return float(born_total)


@_jit
def legitimacy_pass(
    loc,
    group,
    status,
    family,
    under,
    kirkuk,
    hardship_base,
    h_area,
    table,
    n_groups,
    displaced_code,
    terms,
    legit,
    rates,
    arrest,
    risk_aversion,
    thresholds,
    neg_spread,
    griev_out,
    x_engaged,
    x_active,
):
    """population._update_block up to the logistic's exponentials.

    ``terms``: hardship of the displaced, of families and under IS rule, the Kirkuk and family
    legitimacy terms, the arrest risk under IS rule. ``rates``: legitimacy gain and loss.
    ``thresholds``: sympathiser and active thresholds; ``neg_spread``: -activation spread.
    Writes grievance, legitimacy and the exponents of the logistic, (N - T) / -spread, of the
    engaged and active shares (the correctly rounded quotients of NumPy's division, several
    at a time in the vectorised loop, where the divider works beside the other arithmetic).
    """
    h_disp, h_fam, h_rule, l_kirk, l_fam, rule_risk = terms
    up, down = rates
    up_faster = up >= down
    t_symp, t_active = thresholds
    # first the (area, group) terms of every household, gathered into the output columns;
    # then the households' own arithmetic in a loop without gathers or branches, which the
    # compiler vectorises (the same operations on each household, several at a time)
    for i in range(loc.shape[0]):
        a = loc[i]
        x_engaged[i] = h_area[a]
        x_active[i] = table[a * n_groups + group[i]]
        griev_out[i] = arrest[a]
    for i in range(loc.shape[0]):
        fam = family[i]
        und = under[i]
        # hardship: own + area's, then the terms of the households concerned, clipped (adding
        # 0 to the others changes no value)
        h = hardship_base[i] + x_engaged[i]
        h = h + _sel(status[i] == displaced_code, h_disp, 0.0)
        h = h + _sel(fam, h_fam, 0.0)
        h = h + _sel(und, h_rule, 0.0)
        h = _sel(h > 0.0, h, 0.0)  # (np.clip: the lower bound, then the upper)
        h = _sel(h < 1.0, h, 1.0)
        # legitimacy target: the (area, group) table less the Kirkuk and family terms, clipped
        t = x_active[i]
        t = t - _sel(kirkuk[i], l_kirk, 0.0)
        t = t - _sel(fam, l_fam, 0.0)
        t = _sel(t > 0.0, t, 0.0)
        t = _sel(t < 1.0, t, 1.0)
        # relaxation (rules.relax_asymmetric: the larger step if gain is faster than loss,
        # else the smaller, one comparison each, as NumPy), clipped
        cur = legit[i]
        gap = t - cur
        x = gap * up
        y = gap * down
        lg = cur + _sel(up_faster, _sel(x >= y, x, y), _sel(x <= y, x, y))
        lg = _sel(lg > 0.0, lg, 0.0)
        lg = _sel(lg < 1.0, lg, 1.0)
        legit[i] = lg
        g = h * (1.0 - lg)  # rules.grievance
        # rules.mobilization: N = G - R P, less the thresholds
        risk = _sel(und, rule_risk, griev_out[i])
        griev_out[i] = g
        net = g - risk_aversion[i] * risk
        x_engaged[i] = (net - t_symp) / neg_spread
        x_active[i] = (net - t_active) / neg_spread


@_jit
def mobilization_pass(e_engaged, e_active, active, engaged, rates):
    """The rest of rules.mobilization and the memory of mobilization (a loop without branches,
    which the compiler vectorises). ``e_*``: NumPy's exp of the logistic's exponents, whose
    shares are 1 / (1 + exp); ``rates``: mobilization and demobilization rates."""
    up, down = rates
    up_faster = up >= down
    for i in range(active.shape[0]):
        e = 1.0 / (e_engaged[i] + 1.0)
        a = 1.0 / (e_active[i] + 1.0)
        e = _sel(e >= a, e, a)
        # rules.relax_asymmetric of both shares (written out: a call per cohort costs)
        ca = active[i]
        gap_a = a - ca
        xa, ya = gap_a * up, gap_a * down
        ce = engaged[i]
        gap_e = e - ce
        xe, ye = gap_e * up, gap_e * down
        ca = ca + _sel(up_faster, _sel(xa >= ya, xa, ya), _sel(xa <= ya, xa, ya))
        ce = ce + _sel(up_faster, _sel(xe >= ye, xe, ye), _sel(xe <= ye, xe, ye))
        ce = _sel(ce >= ca, ce, ca)
        active[i] = ca
        engaged[i] = ce


@_jit
def social_base(sunni, loc, size, engaged, support, sunni_persons):
    """The engaged persons of the Sunni communities (households ``sunni``, ascending) by area
    where they live, added to ``support`` in cohort order, and their persons to
    ``sunni_persons`` (whole numbers); running sums while the area stays the same."""
    k = sunni.shape[0]
    if k == 0:
        return
    cur = loc[sunni[0]]
    acc, persons = support[cur], 0
    for j in range(k):
        i = sunni[j]
        a = loc[i]
        if a != cur:
            support[cur] = acc
            sunni_persons[cur] += persons
            cur = a
            acc, persons = support[a], 0
        s = size[i]
        acc += float(s) * engaged[i]
        persons += s
    support[cur] = acc
    sunni_persons[cur] += persons


@_jit
def persons_counts(home, loc, group, size, n_groups, by_home, by_area, residents, home_persons,
                   sums_in, sums_out):  # fmt: skip
    """cohorts.persons_by_home_group and persons_by_area_group in one pass (whole numbers), the
    persons living in each area, at least 1 (``residents``: population.count_residents), the
    persons by home area (``home_persons``) and, unless ``sums_out`` holds empty columns, the
    recording's sums in the same pass: persons active, sympathising, x legitimacy and
    x grievance by (area, group) bin (summed in cohort order from 0), the displaced persons by
    home area and the persons under IS rule by area (whole persons), each output set, not
    added to. ``sums_in``: status, under IS rule, the displaced status, active and engaged
    shares, legitimacy, grievance."""
    status, under, displaced_code, active, engaged, legit, griev = sums_in
    out_active, out_symp, out_legit, out_griev, idps, under_is = sums_out
    sums = out_active.shape[0] > 0
    for out in sums_out:
        out[:] = 0.0
    # (running sums while a bin stays the same: the same additions in the same order as adding
    # to the outputs each time, without waiting for the last store)
    cur_h = cur_a = -1
    acc_h = acc_a = 0
    a0 = a1 = a2 = a3 = 0.0
    for i in range(size.shape[0]):
        s = size[i]
        bh = home[i] * n_groups + group[i]
        ba = loc[i] * n_groups + group[i]
        if bh != cur_h:
            if cur_h >= 0:
                by_home[cur_h] = acc_h
            cur_h = bh
            acc_h = by_home[bh]
        if ba != cur_a:
            if cur_a >= 0:
                by_area[cur_a] = acc_a
                if sums:
                    out_active[cur_a], out_symp[cur_a] = a0, a1
                    out_legit[cur_a], out_griev[cur_a] = a2, a3
            cur_a = ba
            acc_a = by_area[ba]
            if sums:
                a0, a1, a2, a3 = out_active[ba], out_symp[ba], out_legit[ba], out_griev[ba]
        acc_h += s
        acc_a += s
        if sums:
            x = float(s)
            a = active[i]
            a0 += x * a
            a1 += x * (engaged[i] - a)
            a2 += x * legit[i]
            a3 += x * griev[i]
            if status[i] == displaced_code:
                idps[home[i]] += x
            if under[i]:
                under_is[loc[i]] += x
    if cur_h >= 0:
        by_home[cur_h] = acc_h
    if cur_a >= 0:
        by_area[cur_a] = acc_a
        if sums:
            out_active[cur_a], out_symp[cur_a], out_legit[cur_a], out_griev[cur_a] = a0, a1, a2, a3
    for a in range(residents.shape[0]):
        r = h = 0
        for g in range(n_groups):
            r += by_area[a * n_groups + g]
            h += by_home[a * n_groups + g]
        x = float(r)
        residents[a] = x if x >= 1.0 else 1.0
        home_persons[a] = h


@_jit
def national_sums(iraq, residents, m_civ, m_sec, abuse, m_civ_gov):
    """politics.step's sums over Iraq's areas (``iraq``: their indices, ascending), each
    NumPy's pairwise sum of the values gathered in that order: residents, deaths (civilians
    and security forces) and residents x abuse; and whether anyone was killed by government
    fire (any nonzero ``m_civ_gov``)."""
    k = iraq.shape[0]
    res, dead, weighted = np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        a = iraq[j]
        res[j] = residents[a]
        dead[j] = m_civ[a] + m_sec[a]
        weighted[j] = abuse[a] * residents[a]
    any_gov = False
    for a in range(m_civ_gov.shape[0]):
        any_gov = any_gov or m_civ_gov[a] != 0.0
    return _np_sum(res), _np_sum(dead), _np_sum(weighted), any_gov


@_jit
def fleeing(ptrs, status, under, size, home_code, home, chance, out):
    """displacement._flee: every household at home, not under IS rule and not empty, in cohort
    order, takes the next uniform draw and flees if it is below its home area's chance;
    writes them to ``out`` and returns how many. (Where the chance is 0 no draw can be below
    it: those draws are skipped, not made.)"""
    bg = _bitgen(ptrs)
    fast, state, inc = _stream_open(ptrs)
    found = 0
    pending = 0
    for i in range(status.shape[0]):
        if status[i] == home_code and not under[i] and size[i] > 0:
            c = chance[home[i]]
            if c > 0.0:
                state = _skip(bg, fast, state, inc, pending)
                pending = 0
                state, u = _uniform(bg, fast, state, inc)
                if u < c:
                    out[found] = i
                    found += 1
            else:
                pending += 1
    state = _skip(bg, fast, state, inc, pending)
    _stream_close(ptrs, fast, state)
    return found


@_jit
def returns(
    ptrs, status, home, loc, size, family, protracted, factors, area_terms, displaced_code,
    home_code, returnees,
):  # fmt: skip
    """displacement._returns: each displaced household (in cohort order, with the next uniform
    draw) goes home if the draw is below its chance, its home area's chance x its family factor
    x its protracted factor (``factors``). An area's chance is the return rate x safety (0 where
    IS holds it, else exp(-incidents per 1000)) x services x (1 - destruction effect x
    destruction) (``area_terms``: the IS share, exp(-incidents per 1000), services, destruction,
    then the retaken threshold, the return rate and the destruction effect). Adds the persons
    returning to ``returnees`` by home area (whole numbers); returns the persons of IS-affiliated
    families among them."""
    is_share, e, services, destruction, thr, rate, effect = area_terms
    by_area = np.empty(is_share.shape[0])
    for a in range(is_share.shape[0]):
        safe = _sel(is_share[a] <= thr, 1.0, 0.0) * e[a]
        by_area[a] = rate * safe * services[a] * (1.0 - effect * destruction[a])
    bg = _bitgen(ptrs)
    fast, state, inc = _stream_open(ptrs)
    family_factor, protracted_factor = factors
    family_back = 0
    pending = 0
    for i in range(status.shape[0]):
        if status[i] == displaced_code:
            h = home[i]
            f = family_factor if family[i] else 1.0
            f = f * (protracted_factor if protracted[i] else 1.0)
            c = by_area[h] * f
            if not c > 0.0:  # (no draw can be below it: skipped)
                pending += 1
                continue
            state = _skip(bg, fast, state, inc, pending)
            pending = 0
            state, u = _uniform(bg, fast, state, inc)
            if u < c:
                status[i] = home_code
                loc[i] = h
                returnees[h] += size[i]
                if family[i]:
                    family_back += size[i]
    state = _skip(bg, fast, state, inc, pending)
    _stream_close(ptrs, fast, state)
    return family_back


# --- Population: the area terms of a month (docs/ODD.md section 7.6) -------------------------


@_jit
def _allocate(total, weights, out):
    """rules.allocate: ``total`` split in proportion to ``weights`` (zeros if they sum to 0 or
    less)."""
    s = _np_sum(weights)
    for a in range(weights.shape[0]):
        out[a] = 0.0 if s <= 0 else total * weights[a] / s


@_jit
def services_before_exp(garrison, pmf_row, destruction, residents, iraq, m_incidents,
                        scalars, pmf_share, aid_pc, exponent):  # fmt: skip
    """population.update and population.services up to the exponential: the PMF's share of
    the garrisons, the aid by need and by population, its capture and absorption, the aid per
    resident and the exponent -aid / half-saturation (written to ``exponent``). Returns the
    aid captured (USD)."""
    by_need_total, by_pop_total, capture_base, capture_pmf, security_half, half = scalars
    n = residents.shape[0]
    for a in range(n):
        tot = _column_sum(garrison, a)
        pmf_share[a] = garrison[pmf_row, a] / (tot if tot >= 1.0 or tot != tot else 1.0)
    need = np.empty(n)
    people = np.empty(n)
    for a in range(n):
        in_iraq = 1.0 if iraq[a] else 0.0
        need[a] = destruction[a] * residents[a] * in_iraq
        people[a] = residents[a] * in_iraq
    by_need = np.empty(n)
    by_pop = np.empty(n)
    _allocate(by_need_total, need, by_need)
    _allocate(by_pop_total, people, by_pop)
    captured = np.empty(n)
    for a in range(n):
        capture = capture_base + capture_pmf * pmf_share[a]
        violence = 1e6 * m_incidents[a] / residents[a]
        absorb = 1.0 / (1.0 + violence / security_half)
        aid = by_need[a] + by_pop[a]
        x = aid * _clip(1.0 - capture, 0.0, 1.0) * absorb / residents[a]
        aid_pc[a] = x
        exponent[a] = -x / half
        captured[a] = aid * _clip(capture, 0.0, 1.0)
    return _np_sum(captured)


@_jit
def terms_after_exp(e, destruction, reconstruction, pmf_share, abuse_scale, g, sunni_arab,
                    iraq, base_table, scalars, harm_gov, harm_is, services, abuse, h_area,
                    table, arrest_inputs, arrest_exponent):  # fmt: skip
    """The rest of population.services (``e``: exp of the exponent) and the area terms of
    population.update: services, destruction repaired (``reconstruction``: its rate), militia
    abuse, the area's hardship, the legitimacy table by (area, group) (population.
    _legitimacy_table) and the exponent of the arrest probability (rules.arrest_probability,
    whose exp is NumPy's)."""
    h_destruction, h_services, abuse_effect, services_effect, services_ref = scalars[:5]
    harm_effect, is_harm_effect = scalars[5:]
    policing, intel, actives, residents, k, scale, floor = arrest_inputs
    n, n_groups = base_table.shape
    for a in range(n):
        services[a] = 1.0 - destruction[a] * e[a]
        destruction[a] *= 1.0 - reconstruction * (1.0 - e[a])
        abuse[a] = abuse_scale[0] * pmf_share[a] * abuse_scale[1]
        h_area[a] = h_destruction * destruction[a] + h_services * (1 - services[a])
        local = (
            services_effect * (services[a] - services_ref) - harm_effect * harm_gov[a]
            + is_harm_effect * harm_is[a]
        )  # fmt: skip
        in_iraq = 1.0 if iraq[a] else 0.0
        scaled = abuse_effect * abuse[a]
        for j in range(n_groups):
            policy = in_iraq * (g[j] - scaled * (1.0 if j == sunni_arab else 0.0))
            table[a * n_groups + j] = base_table[a, j] + policy + local
        floor_a = floor * residents[a]
        act = actives[a]
        denom = (act if act >= floor_a or act != act else floor_a) + 1.0
        arrest_exponent[a] = -k * (policing[a] * intel / scale) / denom


# --- Operations: effective security and policing (docs/ODD.md section 7.2) -----------------


@_jit
def security(sec, garrison, border_areas, border_add, group_areas, group_eff, group_raw,
             border_force, pool, pool_eff, C, H, sanctuary, iraq, disputed, scalars,
             residents, is_share, coordination, security_raw, sweep_force, security_eff,
             policing):  # fmt: skip
    """operations.security_effective after its BLAS products (``sec`` = eff @ garrison,
    ``border_add`` = eff @ border force / border areas, ``group_eff`` and ``pool_eff``):
    coordination, raw and effective security, the sweeps of the idle mobile forces, policing.
    """
    disputed_coord, posts, multiplier, police_per_1000, police_eff = scalars
    n = sec.shape[0]
    for a in range(n):
        coordination[a] = disputed_coord if disputed[a] else 1.0
    if posts > 0:
        for a in range(n):
            if border_areas[a]:
                sec[a] += border_add
    raw = np.empty(n)
    for a in range(n):
        tot = _column_sum(garrison, a)
        raw[a] = tot
    if group_areas.shape[0]:
        by_area = np.zeros(n)
        for j in range(group_areas.shape[0]):
            sec[group_areas[j]] += group_eff[j]
            by_area[group_areas[j]] += group_raw[j]
        for a in range(n):
            raw[a] = raw[a] + by_area[a]
    border_total = _np_sum(border_force)
    divisor = posts if posts > 1.0 else 1.0
    for a in range(n):
        security_raw[a] = raw[a] + border_total * (1.0 if border_areas[a] else 0.0) / divisor
        sweep_force[a] = 0.0
    pool_total = _np_sum(pool)
    if pool_total > 0:
        targets = np.empty(n, dtype=np.int64)
        total = 0
        for a in range(n):
            t = (C[a] + H[a] * (1 if sanctuary[a] else 0)) * (1 if iraq[a] else 0)
            targets[a] = t
            total += t
        if total > 0:
            for a in range(n):
                share = targets[a] / total
                sweep_force[a] = pool_eff * share
                sec[a] += sweep_force[a]
                security_raw[a] = security_raw[a] + pool_total * share
    for a in range(n):
        security_eff[a] = sec[a] * multiplier * coordination[a]
        police = police_per_1000 * residents[a] / 1000.0 * (1.0 if is_share[a] < 1.0 else 0.0)
        policing[a] = security_eff[a] + police_eff * police * (1.0 - is_share[a])
