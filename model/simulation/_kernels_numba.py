"""The compiled kernels' common parts (numba): decorators, select, the random draws and the
float sum; the kernels themselves are in ``_kernels_population`` and ``_kernels_insurgency``,
imported only through ``model.simulation.kernels``.

Each loop does the operations of the NumPy path it replaces, in the same order; the comments
name that path. Comparisons are written as NumPy's element functions are: ``clip`` keeps x when
x > lo (else lo), then when x < hi (else hi); ``maximum`` keeps the first argument when it is >=
the second, ``minimum`` when it is <=. ``cache=True`` keeps the machine code beside these files
(or in numba's user cache) so that later processes skip the compilation.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic
from numba.np.random.distributions import random_binomial, random_loggam, random_poisson_mult
from numba.np.random.generator_core import next_double

_jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")


_inline = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy", inline="always")


_POISSON_LAM_MAX = np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10


_NO_IDX = np.zeros(0, dtype=np.int64)  # (no subset: the candidates are the households)


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
def _clip(x, lo, hi):
    """np.clip for one float (NaN stays NaN)."""
    if x != x:
        return x
    x = x if x > lo else lo
    return x if x < hi else hi


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


def _u128_intrinsic(operation: str, doc: str):
    """An intrinsic doing ``operation`` ("mul" or "add") on two 128-bit words, modulo 2^128."""

    def impl(typingctx, a, b):
        def codegen(context, builder, sig, args):
            op = getattr(builder, operation)
            return _split(context, builder, op(_join(builder, args[0]), _join(builder, args[1])))

        return _U128(_U128, _U128), codegen

    impl.__name__ = impl.__qualname__ = f"_u128_{operation}"
    impl.__doc__ = doc
    return intrinsic(impl)


_u128_mul = _u128_intrinsic("mul", "a x b modulo 2^128.")
_u128_add = _u128_intrinsic("add", "a + b modulo 2^128.")


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
def _poisson_ptrs(bg, lam):
    """NumPy's random_poisson_ptrs (Hormann's transformed rejection, for means of 10 or more).
    numba's port truncates the candidate toward zero where NumPy takes its floor, and so
    returns 0 in about one draw in 40,000 where NumPy draws again; this is NumPy's."""
    slam = np.sqrt(lam)
    loglam = np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = next_double(bg) - 0.5
        v = next_double(bg)
        us = 0.5 - np.fabs(u)
        k = np.int64(np.floor((2 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b)) <= (
            -lam + k * loglam - random_loggam(k + 1)
        ):
            return k


@_jit
def _poisson_draw(bg, lam):
    """NumPy's random_poisson (no check of the mean)."""
    if lam >= 10:
        return _poisson_ptrs(bg, lam)
    if lam == 0:
        return np.int64(0)
    return np.int64(random_poisson_mult(bg, lam))


@_jit
def _poisson(bg, lam):
    """Generator.poisson(lam), with its check of the mean."""
    if not lam >= 0.0 or lam > _POISSON_LAM_MAX:
        raise ValueError("lam < 0, lam is NaN or lam is too large")
    return _poisson_draw(bg, lam)


@_jit
def _binomial(bg, n, p):
    """Generator.binomial(n, p), with its checks."""
    if n < 0:
        raise ValueError("n < 0")
    if not (p >= 0.0 and p <= 1.0):
        raise ValueError("p < 0, p > 1 or p is NaN")
    return random_binomial(bg, n, p)


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
def _walk_open(bg, ptrs, k, total):
    """The start of insurgency._place in compiled code, for ``k`` persons drawn among candidate
    households whose weights sum to ``total`` (a positive sum of their partial sums, taken in
    cohort order as np.cumsum does): the ``k`` draws below the total, sorted, and room for the
    households drawn and how many draws each gets. The caller kept the partial sums in a
    column as it added the weights; ``_walk_partials`` then finds the households where the
    draws fall, and ``_walk_close`` ends the walk."""
    chosen = np.empty(k + 1, dtype=np.int64)
    counts = np.empty(k + 1, dtype=np.int64)
    return _sorted_draws(bg, ptrs, k, total), chosen, counts


@_inline
def _walk_partials(draws, partial, m, idx, chosen, counts):
    """The households where the sorted ``draws`` fall: the ``j``-th of ``m`` candidates
    (household ``idx[j]``, or ``j`` if ``idx`` is empty) gets the draws below its partial sum
    ``partial[j]`` not taken by the ones before (np.searchsorted on the cumulative sums). A
    draw's household, the first whose partial sum is above it, is found from the last one by
    a galloping search (steps of 1, 2, 4, ..., then halving; a test at every household would
    mispredict a branch at every household drawn). Returns the next draw's position and how
    many households got draws (``chosen``: which, ``counts``: how many each)."""
    k = draws.shape[0]
    p, found, j = 0, 0, 0
    while p < k:
        d = draws[p]
        step, hi = 1, j
        while hi < m and not partial[hi] > d:  # (the first above d lies beyond hi)
            j = hi + 1
            hi = j + step
            step *= 2
        hi = hi if hi < m else m
        while j < hi:  # (the first above d in [j, hi), else hi)
            mid = (j + hi) >> 1
            if partial[mid] > d:
                hi = mid
            else:
                j = mid + 1
        if j >= m:  # (the draws left are at or above the total: _walk_close)
            break
        start, c = p, partial[j]
        while p < k and draws[p] < c:  # (d at least)
            p += 1
        chosen[found] = idx[j] if idx.shape[0] else j
        counts[found] = p - start
        found += 1
        j += 1
    return p, found


@_inline
def _walk_close(p, chosen, counts, found, last):
    """The end of a walk: the draws at or above the total (rounding) fall on the last cohort,
    ``last`` (insurgency._drawn). Returns how many households were drawn."""
    beyond = chosen.shape[0] - 1 - p
    if beyond:
        if found and chosen[found - 1] == last:
            counts[found - 1] += beyond
        else:
            chosen[found] = last
            counts[found] = beyond
            found += 1
    return found


@_inline
def _column_sum(table, a):
    """table[:, a].sum() for a 2-D table (e.g. garrisons: forces x areas): the rows added in
    order, as NumPy's sum over axis 0 does."""
    tot = table[0, a]
    for f in range(1, table.shape[0]):
        tot = tot + table[f, a]
    return tot


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
