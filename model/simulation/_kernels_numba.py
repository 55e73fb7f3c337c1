"""The compiled kernels (numba); imported only through ``model.simulation.kernels``.

Each loop does, cohort by cohort, the operations of the NumPy path it replaces, in the same
order; the comments name that path. Comparisons are written as NumPy's element functions are:
``clip`` keeps x when x > lo (else lo), then when x < hi (else hi); ``maximum`` keeps the first
argument when it is >= the second, ``minimum`` when it is <=. ``cache=True`` keeps the machine
code beside this file (or in numba's user cache) so that later processes skip the compilation.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")


@_jit
def births_actives(size, sizef, birth_rate, iraq, carry, active, loc, actives):
    """population.births and the active persons by area (np.bincount(loc, sizef x active)).

    ``birth_rate`` (a month, per person) applies to households whose home is in Iraq
    (``iraq``). Writes the sizes (whole persons) and their float copy ``sizef``; adds to
    ``actives``; returns the persons born (a whole number).
    """
    born_total = 0.0
    for i in range(size.shape[0]):
        s = float(size[i])
        c = carry[i] + s * (birth_rate if iraq[i] else 0.0)
        born = math.floor(c)
        carry[i] = c - born
        born_total += born
        s = s + born
        sizef[i] = s
        size[i] = np.int64(s)
        actives[loc[i]] += s * active[i]
    return born_total


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
    griev_out,
    x_engaged,
    x_active,
):
    """population._update_block up to the logistic's exponent.

    ``terms``: hardship of the displaced, of families and under IS rule, the Kirkuk and family
    legitimacy terms, the arrest risk under IS rule. ``rates``: legitimacy gain and loss.
    ``thresholds``: sympathiser and active thresholds and -spread. Writes grievance, legitimacy
    and the exponents -(N - T) / spread of the engaged and active shares.
    """
    h_disp, h_fam, h_rule, l_kirk, l_fam, rule_risk = terms
    up, down = rates
    up_faster = up >= down
    t_symp, t_active, neg_spread = thresholds
    for i in range(loc.shape[0]):
        a = loc[i]
        fam = family[i]
        und = under[i]
        # hardship: own + area's, then the terms of the households concerned, clipped (adding
        # 0 to the others changes no value; written without branches, which the flags and the
        # clips would mispredict)
        h = hardship_base[i] + h_area[a]
        h = h + (h_disp if status[i] == displaced_code else 0.0)
        h = h + (h_fam if fam else 0.0)
        h = h + (h_rule if und else 0.0)
        h = h if h > 0.0 else 0.0  # (clips and steps written out: a call per cohort costs)
        h = h if h < 1.0 else 1.0
        # legitimacy target: the (area, group) table less the Kirkuk and family terms, clipped
        t = table[a * n_groups + group[i]]
        t = t - (l_kirk if kirkuk[i] else 0.0)
        t = t - (l_fam if fam else 0.0)
        t = t if t > 0.0 else 0.0
        t = t if t < 1.0 else 1.0
        # relaxation (rules.relax_asymmetric), clipped
        cur = legit[i]
        gap = t - cur
        x = gap * up
        y = gap * down
        if up_faster:  # noqa: SIM108 - one comparison per branch, as NumPy
            step = x if x >= y else y
        else:
            step = x if x <= y else y
        lg = cur + step
        lg = lg if lg > 0.0 else 0.0
        lg = lg if lg < 1.0 else 1.0
        legit[i] = lg
        g = h * (1.0 - lg)  # rules.grievance
        griev_out[i] = g
        # rules.mobilization: N = G - R P; exponents (N - T) / -spread
        risk = rule_risk if und else arrest[a]
        net = g - risk_aversion[i] * risk
        x_engaged[i] = (net - t_symp) / neg_spread
        x_active[i] = (net - t_active) / neg_spread


@_jit
def mobilization_pass(
    e_engaged, e_active, active, engaged, rates, sunni, loc, sizef, support, sunni_persons
):
    """The rest of rules.mobilization (1 / (1 + exp)) and the memory of mobilization.

    ``e_*``: exp of the exponents; ``rates``: mobilization and demobilization rates. Adds the
    engaged persons of the Sunni communities by area to ``support``, and their persons to
    ``sunni_persons`` (whole numbers, exact in any order).
    """
    up, down = rates
    up_faster = up >= down
    for i in range(active.shape[0]):
        e = 1.0 / (e_engaged[i] + 1.0)
        a = 1.0 / (e_active[i] + 1.0)
        e = e if e >= a else a
        # rules.relax_asymmetric of both shares (written out: a call per cohort costs)
        ca = active[i]
        gap_a = a - ca
        xa, ya = gap_a * up, gap_a * down
        ce = engaged[i]
        gap_e = e - ce
        xe, ye = gap_e * up, gap_e * down
        if up_faster:
            ca = ca + (xa if xa >= ya else ya)
            ce = ce + (xe if xe >= ye else ye)
        else:
            ca = ca + (xa if xa <= ya else ya)
            ce = ce + (xe if xe <= ye else ye)
        ce = ce if ce >= ca else ca
        active[i] = ca
        engaged[i] = ce
        if sunni[i]:
            support[loc[i]] += sizef[i] * ce
            sunni_persons[loc[i]] += sizef[i]


@_jit
def group_sums(
    loc, home, group, status, under, n_groups, displaced_code, sizef, active, engaged, legit,
    griev, out, idps, under_is,
):  # fmt: skip
    """recording: persons active, sympathising, x legitimacy, x grievance by (area, group);
    the displaced persons by home area; the persons under IS rule by area.

    ``out`` has 4 values per (area, group) bin, summed in cohort order. ``idps`` and
    ``under_is`` add whole persons (exact in any order).
    """
    # (running sums while the bin stays the same: the same additions in the same order as
    # adding to ``out`` each time, without waiting for the last store)
    cur = -1
    a0 = a1 = a2 = a3 = 0.0
    for i in range(loc.shape[0]):
        b = (loc[i] * n_groups + group[i]) * 4
        if b != cur:
            if cur >= 0:
                out[cur], out[cur + 1], out[cur + 2], out[cur + 3] = a0, a1, a2, a3
            cur = b
            a0, a1, a2, a3 = out[b], out[b + 1], out[b + 2], out[b + 3]
        s = sizef[i]
        a = active[i]
        a0 += s * a
        a1 += s * (engaged[i] - a)
        a2 += s * legit[i]
        a3 += s * griev[i]
        if status[i] == displaced_code:
            idps[home[i]] += s
        if under[i]:
            under_is[loc[i]] += s
    if cur >= 0:
        out[cur], out[cur + 1], out[cur + 2], out[cur + 3] = a0, a1, a2, a3


@_jit
def persons_counts(home, loc, group, size, n_groups, by_home, by_area):
    """cohorts.persons_by_home_group and persons_by_area_group in one pass (whole numbers)."""
    for i in range(size.shape[0]):
        s = size[i]
        by_home[home[i] * n_groups + group[i]] += s
        by_area[loc[i] * n_groups + group[i]] += s


@_jit
def area_weight_total(size, loc, per_person):
    """The total weight of insurgency._place for households of size x their area's
    ``per_person`` (areas at 0 or less skipped, as living_in does): the last partial sum of
    np.cumsum, added in cohort order."""
    cum = 0.0
    for i in range(size.shape[0]):
        rate = per_person[loc[i]]
        if rate > 0.0:
            cum = cum + size[i] * rate
    return cum


@_jit
def place_walk(size, loc, per_person, draws, chosen, counts):
    """insurgency._place's counts: the draws (sorted) below each partial sum of the weights,
    less those below the previous one (np.searchsorted(draws, cum, "left")), walked together.

    Writes the households with draws and their counts; returns how many households and how
    many draws fell below the last partial sum.
    """
    k = draws.shape[0]
    p = 0
    found = 0
    cum = 0.0
    for i in range(size.shape[0]):
        rate = per_person[loc[i]]
        if rate > 0.0:
            cum = cum + size[i] * rate
            start = p
            while p < k and draws[p] < cum:
                p += 1
            if p > start:
                chosen[found] = i
                counts[found] = p - start
                found += 1
    return found, p


@_jit
def at_home_count(status, under, size, home_code):
    """How many households are at home, not under IS rule and not empty (displacement.step)."""
    k = 0
    for i in range(status.shape[0]):
        if status[i] == home_code and not under[i] and size[i] > 0:
            k += 1
    return k


@_jit
def fleeing(status, under, size, home_code, home, chance, draws, out):
    """displacement.step: the households of ``at_home_count``, in cohort order, whose draw is
    below their home area's chance of fleeing; writes them to ``out`` and returns how many."""
    j = 0
    found = 0
    for i in range(status.shape[0]):
        if status[i] == home_code and not under[i] and size[i] > 0:
            if draws[j] < chance[home[i]]:
                out[found] = i
                found += 1
            j += 1
    return found


@_jit
def recruit_weights(idx, size, active, loc, rate, w):
    """insurgency.recruitment's weights of households ``idx``: size x active x their area's
    rate, written to ``w[idx]``."""
    for j in range(idx.shape[0]):
        i = idx[j]
        w[i] = size[i] * active[i] * rate[loc[i]]


@_jit
def subset_total(idx, w):
    """The last partial sum of np.cumsum(w[idx]) (added in the order of ``idx``)."""
    cum = 0.0
    for j in range(idx.shape[0]):
        cum = cum + w[idx[j]]
    return cum


@_jit
def subset_walk(idx, w, draws, chosen, counts):
    """``place_walk`` for households ``idx`` weighing ``w[idx]``.

    (The walk is written out in both: numba does not inline a helper returning two values,
    and the walk with one ran three times slower.)
    """
    k = draws.shape[0]
    p = 0
    found = 0
    cum = 0.0
    for j in range(idx.shape[0]):
        i = idx[j]
        cum = cum + w[i]
        start = p
        while p < k and draws[p] < cum:
            p += 1
        if p > start:
            chosen[found] = i
            counts[found] = p - start
            found += 1
    return found, p


@_jit
def status_count(status, code):
    """How many households have this status."""
    k = 0
    for i in range(status.shape[0]):
        if status[i] == code:
            k += 1
    return k


@_jit
def returns(
    status, home, loc, size, family, protracted, factors, by_area, draws, displaced_code,
    home_code, returnees,
):  # fmt: skip
    """displacement._returns: each displaced household (in cohort order, with the next draw)
    goes home if the draw is below its chance, its home area's ``by_area`` x its family factor
    x its protracted factor (``factors``). Adds the persons returning to ``returnees`` by home
    area (whole numbers); returns the persons of IS-affiliated families among them."""
    family_factor, protracted_factor = factors
    j = 0
    family_back = 0
    for i in range(status.shape[0]):
        if status[i] == displaced_code:
            h = home[i]
            f = family_factor if family[i] else 1.0
            f = f * (protracted_factor if protracted[i] else 1.0)
            if draws[j] < by_area[h] * f:
                status[i] = home_code
                loc[i] = h
                returnees[h] += size[i]
                if family[i]:
                    family_back += size[i]
            j += 1
    return family_back
