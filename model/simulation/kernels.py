"""Optional compiled kernels for a month's work (how, not what, is computed).

Births, the population's monthly update, persons by area and group, placing deaths and recruits
on households, choosing the households that flee or return, and the recording of the
persons-weighted sums touch every cohort; the insurgency's processes, security and policing,
services and the legitimacy table are many small steps over the areas. The NumPy path
(``population``, ``insurgency``, ``operations``, ``displacement``, ``recording``) does them in
array operations; the kernels here do the same arithmetic in a few compiled loops (numba), which
saves most of the passes over memory and of the per-call overhead of small arrays.

Which path runs is chosen when a model is built (``select``), from the environment variable
``STABSIM_KERNELS``:

- ``auto`` (the default): the compiled kernels when numba can be imported, else NumPy;
- ``numpy``: always the NumPy path;
- ``compiled``: the kernels, or an error if numba is missing.

numba is an optional dependency (the ``fast`` extra of pyproject.toml). The two paths give
bit-identical results: every floating-point operation is the one of the NumPy path, in the same
order (IEEE arithmetic; no fast-math, no fused multiply-add), sums by area add the cohorts in
the same order as ``np.bincount``, float sums are NumPy's pairwise summation, the exponentials
and BLAS products are left to NumPy, and the random draws are NumPy's algorithms on the model's
own bit generator (``rng_pointers``), in the same order. docs/ARCHITECTURE.md ("Two paths")
gives the rules; ``tests/test_kernels.py`` checks that runs under both are equal.
"""

from __future__ import annotations

import ctypes
import importlib
import os
from types import SimpleNamespace

import numpy as np

ENV = "STABSIM_KERNELS"
MODES = ("auto", "numpy", "compiled")
_compiled: SimpleNamespace | None = None
_import_error: str | None = None


def mode() -> str:
    """The kernel mode asked for by ``STABSIM_KERNELS`` (``auto`` if unset)."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(f"{ENV}={value!r} is not one of {', '.join(MODES)}")
    return value


def available() -> bool:
    """Whether the compiled kernels can be used here (numba imports)."""
    return _load() is not None


def select() -> SimpleNamespace | None:
    """The compiled kernels for a new model, or None for the NumPy path (see the module)."""
    wanted = mode()
    if wanted == "numpy":
        return None
    kernels = _load()
    if kernels is None and wanted == "compiled":
        raise RuntimeError(
            f"{ENV}=compiled but the compiled kernels cannot be loaded ({_import_error}); "
            "numba comes with: pip install 'stabsim[fast]'"
        )
    return kernels


def floats(*values) -> tuple[float, ...]:
    """Scalars as Python floats (a scenario may write 0 for 0.0; one compiled signature)."""
    return tuple(map(float, values))


def fixed_floats(model, *names: str) -> tuple[float, ...]:
    """``floats`` of the parameters ``names``, made once per model (parameters do not change
    during a run)."""
    kept = model.__dict__.setdefault("_fixed_floats", {})
    values = kept.get(names)
    if values is None:
        values = kept[names] = floats(*(model.p[name] for name in names))
    return values


def rng_pointers(model) -> np.ndarray:
    """The addresses of the model's bit generator that the compiled draws use: its state and
    its ``next_uint64``, ``next_uint32`` and ``next_double`` functions (NumPy publishes them as
    ``BitGenerator.ctypes``), and, for a PCG64 (NumPy's default), the address of its 128-bit
    state and increment, which the kernels step themselves (0 if the memory there is not that
    state). Kept on the model while its generator stays the same."""
    bitgen = model.rng.bit_generator
    kept = model.__dict__.get("_rng_pointers")
    if kept is None or kept[0] is not bitgen:
        c = bitgen.ctypes
        fn = [
            ctypes.cast(f, ctypes.c_void_p).value
            for f in (c.next_uint64, c.next_uint32, c.next_double)
        ]
        ptrs = np.array([c.state_address, *fn, _pcg64_state(bitgen)], dtype=np.int64)
        kept = model._rng_pointers = (bitgen, ptrs)
    return kept[1]


def _pcg64_state(bitgen) -> int:
    """The address of a PCG64's state and increment (two 128-bit words, low word first), after
    checking them against ``bitgen.state``; 0 for any other generator or layout."""
    if type(bitgen) is not np.random.PCG64:
        return 0
    address = ctypes.c_void_p.from_address(bitgen.ctypes.state_address).value
    if not address:
        return 0
    words = (ctypes.c_uint64 * 4).from_address(address)
    known = bitgen.state["state"]
    state = words[0] | (words[1] << 64)
    inc = words[2] | (words[3] << 64)
    return address if (state, inc) == (known["state"], known["inc"]) else 0


def warm_up() -> float:
    """Load (or compile) the compiled kernels a run calls now rather than in a model's first
    month; returns the seconds it took (0 on the NumPy path). Each process pays this once.
    (The kernels of the insurgency's processes one by one, which a run calls through the two
    kernels of its whole month, load when first called: each loaded kernel holds about a
    megabyte.)"""
    import time

    kern = select()
    if kern is None:
        return 0.0
    t0 = time.perf_counter()
    i64, i8, b, f = (np.zeros(1, dtype=d) for d in (np.int64, np.int8, bool, float))
    a = lambda: np.zeros(1)  # noqa: E731 - fresh float columns
    kern.births_actives(i64.copy(), 0.0, b, a(), a(), i64, a())
    terms, two = floats(0, 0, 0, 0, 0, 0), floats(0.1, 0.1)
    kern.legitimacy_pass(
        i64, i8, i8, b, b, b, f, a(), a(), 1, 1, terms, a(), two, a(), f, two, -1.0, a(), a(),
        a(),
    )  # fmt: skip
    kern.mobilization_pass(a(), a(), a(), a(), two)
    kern.social_base(i64, i64, i64, a(), a(), a())
    kern.persons_counts(
        i64, i64, i8, i64, 1, i64.copy(), i64.copy(), a(), i64.copy(), (i8, b, 1, f, f, f, f),
        tuple(a() for _ in range(6)),
    )  # fmt: skip
    kern.national_sums(i64, a(), a(), a(), a(), a())
    holder = SimpleNamespace(rng=np.random.default_rng(0))  # (kept alive: ptrs point into it)
    ptrs = rng_pointers(holder)
    kern.returns(
        ptrs, i8.copy(), i64, i64.copy(), i64, b, b, floats(1, 1), (f, f, f, f, *floats(0, 0, 0)),
        1, 0, a(),
    )  # fmt: skip
    kern.fleeing(ptrs, i8, b, i64, 0, i64, f, i64.copy())
    g6, f2 = np.zeros((6, 1)), np.zeros((1, 1))
    kern.services_before_exp(g6, 0, a(), a(), b, a(), floats(0, 0, 0, 0, 1, 1), a(), a(), a())
    kern.terms_after_exp(
        a(), a(), 0.0, a(), floats(0, 0), a(), 0, b, f2, floats(0, 0, 0, 0, 0, 0, 0), a(), a(),
        a(), a(), a(), a(), (a(), 1.0, a(), a(), *floats(1, 1, 0)), a(),
    )  # fmt: skip
    C, H, m2 = i64.copy(), i64.copy(), np.zeros((1, 1))
    kern.security(
        a(), g6, b, 0.0, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(6),
        np.zeros(6), 0.0, C, H, b, b, b, floats(1, 0, 1, 0, 0), a(), a(), a(), a(), a(), a(),
        a(),
    )  # fmt: skip
    per = floats(0, 0, 0, 0, 0.5, 0)
    # the whole month of the insurgency (insurgency._step_compiled)
    z = np.zeros(1, dtype=np.int64)
    lead, lost, b_recruit, n_big, kill = kern.insurgency_first(
        ptrs, 1.0, floats(1, 0, 0), a(), C, H, b, 0.0, floats(0, 0), a(), per, a(),
        i64.copy(), a(), a(), a(), a(),
    )  # fmt: skip
    kern.insurgency_rest(
        ptrs, kill, 0.0, n_big, b_recruit, (i64.copy(), i64, a(), i8, b.copy()), a(), a(), i64,
        a(), a(), floats(0, 0), m2, (a(), a(), a(), a(), a()), (b, a(), a(), a(), i64, a()),
        floats(0, 0, 1, 0, 0, 0, 0), a(), floats(0, 0), b, i64, a(), a(), i64, a(), a(),
        floats(0, 0, 0, 0, 0, 0), np.zeros((0, 2), dtype=np.int64), a(),
        floats(0, 0, 0, 0), 0.0, i64, np.zeros(2, dtype=np.int64), z, 0.0,
        np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1), dtype=bool), b, 0.0, b, b,
        np.zeros(2, dtype=np.int64), 0, floats(0, 0, 1, 0), C, H,
    )  # fmt: skip
    return time.perf_counter() - t0


_MODULES = ("model.simulation._kernels_population", "model.simulation._kernels_insurgency")


def _load() -> SimpleNamespace | None:
    global _compiled, _import_error
    if _compiled is None and _import_error is None:
        # numba is optional; a numba that imports but cannot set the kernels up (no cache
        # folder it may write, say) leaves the NumPy path too
        try:
            modules = [importlib.import_module(name) for name in _MODULES]
        except Exception as exc:  # noqa: BLE001 - any failure means: use NumPy
            _import_error = f"{type(exc).__name__}: {exc}"
        else:
            # every public compiled function of the modules
            _compiled = SimpleNamespace(
                **{
                    name: obj
                    for module in modules
                    for name, obj in vars(module).items()
                    if not name.startswith("_") and hasattr(obj, "py_func")
                }
            )
    return _compiled
