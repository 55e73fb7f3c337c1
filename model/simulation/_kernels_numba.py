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
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic
from numba.np.random.distributions import random_binomial, random_geometric, random_poisson
from numba.np.random.generator_core import next_double

_jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
_inline = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy", inline="always")
_POISSON_LAM_MAX = np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10
_NO_IDX = np.zeros(0, dtype=np.int64)  # (no subset: households weigh by area)


@intrinsic
def _sel(typingctx, cond, a, b):
    """``a if cond else b`` for floats, as one select instruction: no branch to mispredict
    (numba writes a conditional expression as a branch, which the flags and clips of the
    households mispredict). The value is the conditional expression's."""
    sig = types.float64(types.boolean, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        return builder.select(args[0], args[1], args[2])

    return sig, codegen


@_jit
def births_actives(size, birth_rate, iraq, carry, active, loc, actives):
    """population.births and the active persons by area (np.bincount(loc, size x active)).

    ``birth_rate`` (a month, per person) applies to households whose home is in Iraq
    (``iraq``). Writes the sizes (whole persons); adds to
    ``actives``; returns the persons born (a whole number).
    """
    born_total = 0.0
    for i in range(size.shape[0]):
        s = float(size[i])
        c = carry[i] + s * _sel(iraq[i], birth_rate, 0.0)
        born = math.floor(c)
        carry[i] = c - born
        born_total += born
        s = s + born
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
    ``thresholds``: sympathiser and active thresholds. Writes grievance, legitimacy and
    N - T of the engaged and active shares (the division by -spread is left to NumPy, whose
    vector division gives the same quotients several at a time).
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
        x_engaged[i] = net - t_symp
        x_active[i] = net - t_active


@_jit
def mobilization_pass(
    e_engaged, e_active, active, engaged, rates, sunni, loc, size, support, sunni_persons
):
    """The rest of rules.mobilization and the memory of mobilization.

    ``e_*``: the shares the logistic gives, 1 / (1 + exp(exponent)); ``rates``: mobilization
    and demobilization rates. Adds the engaged persons of the Sunni communities (households
    ``sunni``, ascending) by area to ``support``, and their persons to ``sunni_persons``
    (whole numbers, exact in any order).
    """
    up, down = rates
    up_faster = up >= down
    # (every household's arithmetic in a loop without branches, which the compiler
    # vectorises; then the sums of the Sunni households, in cohort order)
    for i in range(active.shape[0]):
        e = e_engaged[i]
        a = e_active[i]
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
    for j in range(sunni.shape[0]):
        i = sunni[j]
        s = float(size[i])
        support[loc[i]] += s * engaged[i]
        sunni_persons[loc[i]] += s


@_jit
def group_sums(
    loc, home, group, status, under, n_groups, displaced_code, size, active, engaged, legit,
    griev, out_active, out_symp, out_legit, out_griev, idps, under_is,
):  # fmt: skip
    """recording: persons active, sympathising, x legitimacy, x grievance by (area, group)
    bin (``out_*``, summed in cohort order from 0); the displaced persons by home area; the
    persons under IS rule by area (``idps`` and ``under_is``: whole persons, exact in any
    order). Every output is set, not added to."""
    out_active[:] = 0.0
    out_symp[:] = 0.0
    out_legit[:] = 0.0
    out_griev[:] = 0.0
    idps[:] = 0.0
    under_is[:] = 0.0
    # (running sums while the bin stays the same: the same additions in the same order as
    # adding to the outputs each time, without waiting for the last store)
    cur = -1
    a0 = a1 = a2 = a3 = 0.0
    for i in range(loc.shape[0]):
        b = loc[i] * n_groups + group[i]
        if b != cur:
            if cur >= 0:
                out_active[cur], out_symp[cur], out_legit[cur], out_griev[cur] = a0, a1, a2, a3
            cur = b
            a0, a1, a2, a3 = out_active[b], out_symp[b], out_legit[b], out_griev[b]
        s = float(size[i])
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
        out_active[cur], out_symp[cur], out_legit[cur], out_griev[cur] = a0, a1, a2, a3


@_jit
def persons_counts(home, loc, group, size, n_groups, by_home, by_area):
    """cohorts.persons_by_home_group and persons_by_area_group in one pass (whole numbers)."""
    # (running sums while a bin stays the same: whole numbers, the same totals)
    cur_h = cur_a = -1
    acc_h = acc_a = 0
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
            cur_a = ba
            acc_a = by_area[ba]
        acc_h += s
        acc_a += s
    if cur_h >= 0:
        by_home[cur_h] = acc_h
    if cur_a >= 0:
        by_area[cur_a] = acc_a


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
def recruit_weights(idx, size, active, loc, rate, w):
    """insurgency.recruitment's weights of households ``idx``: size x active x their area's
    rate, written to ``w[idx]``."""
    for j in range(idx.shape[0]):
        i = idx[j]
        w[i] = size[i] * active[i] * rate[loc[i]]


@_jit
def returns(
    ptrs, status, home, loc, size, family, protracted, factors, by_area, displaced_code,
    home_code, returnees,
):  # fmt: skip
    """displacement._returns: each displaced household (in cohort order, with the next uniform
    draw) goes home if the draw is below its chance, its home area's ``by_area`` x its family factor
    x its protracted factor (``factors``). Adds the persons returning to ``returnees`` by home
    area (whole numbers); returns the persons of IS-affiliated families among them."""
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


# --- Random draws in compiled code ---------------------------------------------------------
#
# The draws below are NumPy's own: numba's ports of NumPy's Generator algorithms (Poisson,
# binomial, geometric, uniform), called on the model's bit generator through the function
# pointers NumPy publishes for it (``BitGenerator.ctypes``). They take the same numbers from
# the same stream as ``model.rng.poisson`` etc. would; tests/test_kernels.py checks it over
# thousands of arguments. ``kernels.rng_pointers`` gives the pointers as four integers, which
# is far cheaper per call than handing numba the Generator itself (about 7 us a call).

_BITGEN = types.NumPyRandomBitGeneratorType("bit_generator")


@intrinsic
def _bitgen(typingctx, ptrs):
    """The bit generator whose state and ``next_uint64``, ``next_uint32`` and ``next_double``
    functions are at the addresses ``ptrs`` (an int64 array of 4)."""
    sig = _BITGEN(ptrs)

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        uintp = context.get_value_type(types.uintp)
        word = [
            builder.bitcast(
                builder.load(builder.gep(data, [context.get_constant(types.intp, i)])), uintp
            )
            for i in range(4)
        ]
        bg = cgutils.create_struct_proxy(_BITGEN)(context, builder)
        bg.parent = cgutils.get_null_value(context.get_value_type(types.pyobject))
        bg.state_address = word[0]
        bg.state = word[0]
        bg.fnptr_next_uint64 = word[1]
        bg.fnptr_next_uint32 = word[2]
        bg.fnptr_next_double = word[3]
        bg.bit_generator = word[0]
        return bg._getvalue()

    return sig, codegen


# PCG64, NumPy's default bit generator, stepped here with its state in registers: the same
# 128-bit state update and output as NumPy's pcg64.h (XSL-RR, then the top 53 bits as the
# double), about twice as fast as a call through ``next_double``, and able to jump over draws
# whose outcome is known (``_skip``, pcg64.h's advance) while leaving the stream where drawing
# them would. ``kernels.rng_pointers`` gives the address of the state as ``ptrs[4]`` only for a
# PCG64 whose memory it has checked against ``bit_generator.state``; otherwise ``ptrs[4]`` is
# 0 and the draws go through ``next_double``.

_U128 = types.UniTuple(types.uint64, 2)  # (low, high) words
_PCG_MULT = (np.uint64(4865540595714422341), np.uint64(2549297995355413924))
_U128_ONE = (np.uint64(1), np.uint64(0))
_U128_ZERO = (np.uint64(0), np.uint64(0))


def _join(builder, pair):
    i128 = ir.IntType(128)
    lo = builder.zext(builder.extract_value(pair, 0), i128)
    hi = builder.zext(builder.extract_value(pair, 1), i128)
    return builder.or_(lo, builder.shl(hi, ir.Constant(i128, 64)))


def _split(context, builder, value):
    i64, i128 = ir.IntType(64), ir.IntType(128)
    lo = builder.trunc(value, i64)
    hi = builder.trunc(builder.lshr(value, ir.Constant(i128, 64)), i64)
    return context.make_tuple(builder, _U128, [lo, hi])


@intrinsic
def _u128_mul(typingctx, a, b):
    """a x b modulo 2^128."""

    def codegen(context, builder, sig, args):
        return _split(
            context, builder, builder.mul(_join(builder, args[0]), _join(builder, args[1]))
        )

    return _U128(_U128, _U128), codegen


@intrinsic
def _u128_add(typingctx, a, b):
    """a + b modulo 2^128."""

    def codegen(context, builder, sig, args):
        return _split(
            context, builder, builder.add(_join(builder, args[0]), _join(builder, args[1]))
        )

    return _U128(_U128, _U128), codegen


@intrinsic
def _pcg64_next(typingctx, state, inc):
    """One PCG64 step: the new state and its uniform double in [0, 1)."""
    sig = types.Tuple((_U128, types.float64))(_U128, _U128)

    def codegen(context, builder, sig, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)
        mult = _join(builder, context.make_tuple(builder, _U128, [
            ir.Constant(i64, int(_PCG_MULT[0])), ir.Constant(i64, int(_PCG_MULT[1]))
        ]))  # fmt: skip
        new = builder.add(builder.mul(_join(builder, args[0]), mult), _join(builder, args[1]))
        lo = builder.trunc(new, i64)
        hi = builder.trunc(builder.lshr(new, ir.Constant(i128, 64)), i64)
        x = builder.xor(hi, lo)
        rot = builder.trunc(builder.lshr(new, ir.Constant(i128, 122)), i64)
        neg = builder.and_(builder.sub(ir.Constant(i64, 0), rot), ir.Constant(i64, 63))
        out = builder.or_(builder.lshr(x, rot), builder.shl(x, neg))
        top = builder.uitofp(builder.lshr(out, ir.Constant(i64, 11)), ir.DoubleType())
        u = builder.fmul(top, ir.Constant(ir.DoubleType(), 1.0 / 9007199254740992.0))
        return context.make_tuple(builder, sig.return_type, [_split(context, builder, new), u])

    return sig, codegen


@intrinsic
def _load_u128(typingctx, address):
    """The two words at ``address`` (an int64)."""

    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        ptr = builder.inttoptr(args[0], i64.as_pointer())
        lo = builder.load(ptr)
        hi = builder.load(builder.gep(ptr, [ir.Constant(i64, 1)]))
        return context.make_tuple(builder, _U128, [lo, hi])

    return _U128(types.int64), codegen


@intrinsic
def _store_u128(typingctx, address, value):
    """Write the two words of ``value`` at ``address``."""

    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        ptr = builder.inttoptr(args[0], i64.as_pointer())
        builder.store(builder.extract_value(args[1], 0), ptr)
        builder.store(builder.extract_value(args[1], 1), builder.gep(ptr, [ir.Constant(i64, 1)]))
        return context.get_dummy_value()

    return types.void(types.int64, _U128), codegen


@_jit
def _pcg64_advance(state, inc, delta):
    """The state ``delta`` steps on (pcg64.h's pcg_advance_lcg_128: O(log delta))."""
    acc_mult, acc_plus = _U128_ONE, _U128_ZERO
    cur_mult, cur_plus = _PCG_MULT, inc
    while delta > 0:
        if delta & 1:
            acc_mult = _u128_mul(acc_mult, cur_mult)
            acc_plus = _u128_add(_u128_mul(acc_plus, cur_mult), cur_plus)
        cur_plus = _u128_mul(_u128_add(cur_mult, _U128_ONE), cur_plus)
        cur_mult = _u128_mul(cur_mult, cur_mult)
        delta >>= 1
    return _u128_add(_u128_mul(acc_mult, state), acc_plus)


@_inline
def _stream_open(ptrs):
    """The uniform stream of ``ptrs``: (inline PCG64?, state, increment)."""
    if ptrs[4] != 0:
        return True, _load_u128(ptrs[4]), _load_u128(ptrs[4] + 16)
    return False, _U128_ZERO, _U128_ZERO


@_inline
def _stream_close(ptrs, fast, state):
    """Write the state back (before any other draw from the generator)."""
    if fast:
        _store_u128(ptrs[4], state)


@_inline
def _uniform(bg, fast, state, inc):
    """The next uniform draw: (state, draw)."""
    if fast:
        return _pcg64_next(state, inc)
    return state, next_double(bg)


@_inline
def _skip(bg, fast, state, inc, k):
    """The state after ``k`` uniform draws not needed (their outcome is known)."""
    if k <= 0:
        return state
    if fast:
        return _pcg64_advance(state, inc, k)
    for _ in range(k):
        next_double(bg)
    return state


@_jit
def _poisson(bg, lam):
    """Generator.poisson(lam), with its check of the mean."""
    if not lam >= 0.0 or lam > _POISSON_LAM_MAX:
        raise ValueError("lam < 0, lam is NaN or lam is too large")
    return random_poisson(bg, lam)


@_jit
def _binomial(bg, n, p):
    """Generator.binomial(n, p), with its checks."""
    if n < 0:
        raise ValueError("n < 0")
    if not (p >= 0.0 and p <= 1.0):
        raise ValueError("p < 0, p > 1 or p is NaN")
    return random_binomial(bg, n, p)


# --- Insurgency (docs/ODD.md section 7.5), process by process -------------------------------


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
def _sorted_draws(bg, ptrs, k, total):
    """``np.sort(rng.random(k) * total)``: the same draws, sorted by buckets (the draws are
    uniform below ``total``: each bucket holds about one) and insertion within them. Sorting
    gives the same array whatever the method; this one runs about five times faster than a
    quicksort here, which mispredicts a branch at every other comparison."""
    draws = np.empty(k)
    fast, state, inc = _stream_open(ptrs)
    for j in range(k):
        state, u = _uniform(bg, fast, state, inc)
        draws[j] = u * total
    _stream_close(ptrs, fast, state)
    if not (total < np.inf):  # (no buckets for an infinite total)
        draws.sort()
        return draws
    scale = k / total
    bucket = np.empty(k, dtype=np.int64)
    start = np.zeros(k + 1, dtype=np.int64)
    for j in range(k):  # (x -> x * scale is monotone, so bucket order is value order)
        b = int(draws[j] * scale)
        b = b if b < k else k - 1
        bucket[j] = b
        start[b + 1] += 1
    for b in range(k):
        start[b + 1] += start[b]
    out = np.empty(k)
    for j in range(k):
        b = bucket[j]
        out[start[b]] = draws[j]
        start[b] += 1
    for j in range(1, k):
        x = out[j]
        i = j - 1
        while i >= 0 and out[i] > x:
            out[i + 1] = out[i]
            i -= 1
        out[i + 1] = x
    return out


@_inline
def _draw_and_walk(bg, ptrs, k, cand, cum, m, last):
    """insurgency._place in compiled code, for ``k`` persons drawn among the ``m`` candidate
    households ``cand`` (ascending) whose weights have the partial sums ``cum`` (in cohort
    order, as np.cumsum): ``k`` draws below the total, sorted, walked along the partial sums
    (the draws below each, less those below the one before: np.searchsorted); draws at or
    above the total (rounding) fall on the last cohort, ``last`` (insurgency._drawn).
    Returns the households drawn and how many draws each got (``found`` of each)."""
    chosen = np.empty(k + 1, dtype=np.int64)
    counts = np.empty(k + 1, dtype=np.int64)
    total = cum[m - 1] if m else 0.0
    if total <= 0.0:
        return chosen, counts, 0
    draws = _sorted_draws(bg, ptrs, k, total)
    p = 0
    found = 0
    for j in range(m):
        c = cum[j]
        start = p
        while p < k and draws[p] < c:
            p += 1
        if p > start:
            chosen[found] = cand[j]
            counts[found] = p - start
            found += 1
    beyond = k - p
    if beyond:
        if found and chosen[found - 1] == last:
            counts[found - 1] += beyond
        else:
            chosen[found] = last
            counts[found] = beyond
            found += 1
    return chosen, counts, found


@_jit
def attack_losses(ptrs, kill, mean, n_exact, size, loc, per_person, inc, residents, harm,
                  memory, sec_rate, garrison, m_civ, m_sec, cand, cum):  # fmt: skip
    """The rest of insurgency.attacks: the deaths placed on households (Poisson with mean
    ``mean``, plus ``n_exact``; only if ``kill``), remembered harm, security-force deaths and
    the garrisons' losses. Returns the civilians killed. ``cand`` and ``cum``: room for a
    value per cohort (the households of areas with deaths and their partial sums)."""
    bg = _bitgen(ptrs)
    n = inc.shape[0]
    civ = np.zeros(n, dtype=np.int64)
    if kill:
        k = _poisson(bg, mean) + n_exact
        if k > 0:  # (nobody to place: no draw either)
            # households weigh size x their area's deaths per person (those of areas at 0
            # skipped, as insurgency.living_in does)
            m = 0
            total = 0.0
            for i in range(size.shape[0]):
                rate = per_person[loc[i]]
                if rate > 0.0:
                    total = total + size[i] * rate
                    cand[m] = i
                    cum[m] = total
                    m += 1
            chosen, dead, found = _draw_and_walk(bg, ptrs, k, cand, cum, m, size.shape[0] - 1)
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
            tot = garrison[0, a]
            for f in range(1, garrison.shape[0]):
                tot = tot + garrison[f, a]
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
def recruit_place(ptrs, mean, idx, w, size, loc, under_is, C, H, m_recruits, cum):
    """The rest of insurgency.recruitment (compiled path): the month's recruits (Poisson with
    mean ``mean``, the weights' sum), each drawn from a household of ``idx`` in proportion to
    its weight ``w`` (``_place``); they leave their households and join the cells, or the
    holding fighters under IS rule. Returns the recruits. ``cum``: room for the partial sums."""
    bg = _bitgen(ptrs)
    k = _poisson(bg, mean)
    if k <= 0:
        return 0
    m = idx.shape[0]
    total = 0.0
    for j in range(m):
        total = total + w[idx[j]]
        cum[j] = total
    chosen, r, found = _draw_and_walk(bg, ptrs, k, idx, cum, m, size.shape[0] - 1)
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
def _clip(x, lo, hi):
    """np.clip for one float (NaN stays NaN)."""
    if x != x:
        return x
    x = x if x > lo else lo
    return x if x < hi else hi


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
        C[hv[j]] += random_poisson(bg, lam[j])


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
    """insurgency.movement: every area's least risky neighbour (np.argmin: the first least,
    or the first NaN; no neighbour counts as an infinite risk), the cells moving to it
    (binomial), then the moves."""
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
def _pairwise_block(a, lo, n):
    """NumPy's pairwise sum of a[lo:lo + n] for n <= 128: eight running sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    end = lo + n - n % 8
    i = lo + 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@_jit
def _pairwise(a, lo, n):
    """NumPy's pairwise sum of a[lo:lo + n] (its float add reduction): blocks of up to 128
    values (``_pairwise_block``), larger ranges split in two halves (the first a multiple of
    8) summed left + right. The recursion is walked with a stack of frames (numba's cache
    cannot load recursive functions)."""
    if n <= 128:
        return _pairwise_block(a, lo, n)
    f_lo = np.empty(64, dtype=np.int64)
    f_n = np.empty(64, dtype=np.int64)
    f_left = np.empty(64)
    f_right_next = np.zeros(64, dtype=np.bool_)  # (the left half is summed)
    top = 0
    f_lo[0], f_n[0], f_right_next[0] = lo, n, False
    value = 0.0
    descend = True
    while True:
        if descend:
            m = f_n[top]
            if m <= 128:
                value = _pairwise_block(a, f_lo[top], m)
                top -= 1
                descend = False
            else:  # the left half first
                half = m // 2
                half -= half % 8
                f_right_next[top] = False
                f_lo[top + 1], f_n[top + 1] = f_lo[top], half
                top += 1
        elif top < 0:
            return value
        elif not f_right_next[top]:  # the left half's sum came back: now the right half
            f_left[top] = value
            f_right_next[top] = True
            m = f_n[top]
            half = m // 2
            half -= half % 8
            f_lo[top + 1], f_n[top + 1] = f_lo[top] + half, m - half
            top += 1
            descend = True
        else:  # both halves: left + right, back to the parent
            value = f_left[top] + value
            top -= 1


@_jit
def _np_sum(a):
    """``a.sum()`` of a float array, bit for bit (tests/test_kernels.py checks it)."""
    return 0.0 + _pairwise(a, 0, a.shape[0])


@_jit
def _leadership_boosts(ptrs, lead, recovery, chance, loss, kappa, C, H, haven, strength0, boost):
    """insurgency.leadership and insurgency.haven_boosts: the leadership's recovery, the
    month's draw of a leader lost, and the attack and recruitment boosts of the havens'
    strength. Returns (leadership, lost, attack boost, recruitment boost)."""
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
def _recruitment(ptrs, boost, scalars, iraq, idx, w, size, active, loc, under_is, C, H,
                m_recruits, cum):  # fmt: skip
    """insurgency.recruitment: every area's rate (where fighters are present or not), the
    households' weights, their sum (the mean number of recruits) and the recruits placed.
    Returns the recruits. ``w``: a column of every cohort, set to 0 here (the sum is NumPy's
    pairwise sum of the full column)."""
    w[:] = 0.0
    rate_base, remote = scalars
    n = C.shape[0]
    rate = np.empty(n)
    scale = rate_base * boost
    for a in range(n):
        r = scale * (1.0 if (C[a] + H[a]) > 0 else remote)
        rate[a] = r * (1.0 if iraq[a] else 0.0)
    recruit_weights(idx, size, active, loc, rate, w)
    return recruit_place(ptrs, _np_sum(w), idx, w, size, loc, under_is, C, H, m_recruits, cum)


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
    loss_scalars, garrison, m_cols, cand, cum, det_arrays, det_scalars, p_det, recruit_scalars,
    iraq, sunni, w, havens_index, kappa, is_share, haven_scalars, links, policing,
    border_scalars, attrition_share, sortie_areas, sortie_starts, sortie_neighbours,
    sortie_share, nb_pad, nb_ok, nb_any, mobility, can_seize, governed, home_starts,
    home_code, seize_scalars, C, H,
):  # fmt: skip
    """insurgency.step after the expected ordinary deaths, process after process in the
    documented order (the same kernels as each process alone). Returns (civilians killed,
    recruits, fighters who crossed the border)."""
    size, loc, active, status, under_is = pop_cols
    m_civ, m_sec, m_isd, m_is_killed, m_recruits = m_cols
    refuge, cover, sunni_share, exposure, syria, syria_cover = det_arrays
    memory, sec_rate = loss_scalars
    killed = attack_losses(
        ptrs, kill, mean, n_big, size, loc, per_person, inc, residents, harm, memory,
        sec_rate, garrison, m_civ, m_sec, cand, cum,
    )  # fmt: skip
    search, det = det_scalars[0], det_scalars[1:]
    detection(
        ptrs, C, refuge, residents, search, policing, cover, sunni_share, exposure, support,
        syria, syria_cover, det, p_det, m_isd, m_is_killed,
    )  # fmt: skip
    recruited = _recruitment(
        ptrs, b_recruit, recruit_scalars, iraq, sunni, w, size, active, loc, under_is, C, H,
        m_recruits, cum,
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
        tot = garrison[0, a]
        for f in range(1, garrison.shape[0]):
            tot = tot + garrison[f, a]
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
    population.update: services, destruction repaired (if ``reconstruction`` >= 0), militia
    abuse, the area's hardship, the legitimacy table by (area, group) (population.
    _legitimacy_table) and the exponent of the arrest probability (rules.arrest_probability,
    whose exp is NumPy's)."""
    h_destruction, h_services, abuse_effect, services_effect, services_ref = scalars[:5]
    harm_effect, is_harm_effect = scalars[5:]
    policing, intel, actives, residents, k, scale, floor = arrest_inputs
    n, n_groups = base_table.shape
    for a in range(n):
        services[a] = 1.0 - destruction[a] * e[a]
        if reconstruction >= 0.0:
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
        tot = garrison[0, a]
        for f in range(1, garrison.shape[0]):
            tot = tot + garrison[f, a]
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


@_jit
def logistic_exponents(x_engaged, x_active, neg_spread):
    """The exponents of rules.mobilization's logistic: (N - T) / -spread, for both shares (a
    loop the compiler vectorises: the same quotients)."""
    for i in range(x_engaged.shape[0]):
        x_engaged[i] = x_engaged[i] / neg_spread
        x_active[i] = x_active[i] / neg_spread


@_jit
def logistic_shares(e_engaged, e_active):
    """The logistic's shares 1 / (1 + exp) from the exponentials (NumPy's exp), in place."""
    for i in range(e_engaged.shape[0]):
        e_engaged[i] = 1.0 / (e_engaged[i] + 1.0)
        e_active[i] = 1.0 / (e_active[i] + 1.0)
