"""The compiled kernels (model.simulation.kernels) give the NumPy path's results bit for bit.

Both paths run the same scenarios with the same seeds; every table must be exactly equal
(values, NaN where NaN, dtypes). The scenarios cover both directions of every asymmetric rate
(gain slower and faster than loss), households displaced, under IS rule and of IS-affiliated
families, the Kirkuk term, and a resolution with more cohorts than a block of the NumPy path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.experiments.run import run_model
from model.simulation import kernels, rules

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba is not installed")


def _run(monkeypatch, scenario, mode: str, seed: int = 7):
    monkeypatch.setenv(kernels.ENV, mode)
    return run_model(scenario, seed)


def _assert_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(a.dtypes) == list(b.dtypes)
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind in "fM":  # (NaN and NaT are not equal to themselves)
            same = (x == y) | (pd.isna(x) & pd.isna(y))
            assert same.all(), f"{c}: {np.count_nonzero(~same)} values differ"
        else:
            assert (x == y).all(), c


CASES = {
    # the historical baseline at a coarse resolution
    "baseline": {"persons_per_agent": 20000},
    # rates in the other direction: legitimacy gained faster than lost, demobilization faster
    # than mobilization (the minimum of the two steps instead of the maximum)
    "rates_swapped": {
        "persons_per_agent": 20000,
        "legitimacy_gain_rate": 0.2,
        "legitimacy_loss_rate": 0.05,
        "mobilization_rate": 0.05,
        "demobilization_rate": 0.3,
    },
    # Epstein's all-or-nothing rule (no spread): the NumPy path under either mode
    "no_spread": {"persons_per_agent": 20000, "activation_spread": 0.0},
    # more cohorts than one block of the NumPy path (cohorts.BLOCK)
    "fine": {"persons_per_agent": 1000},
    # the insurgency's rarer branches: many mass-casualty attacks and security-force deaths,
    # crossings in force from the havens, mobile cells and seizures
    "violent": {
        "persons_per_agent": 20000,
        "attack_rate": 0.2,
        "mass_casualty_share": 0.8,
        "mass_casualty_size": 5.0,
        "sec_deaths_per_incident": 2.0,
        "haven_offensive_ratio": 1.0,
        "haven_resupply": 0.2,
        "cell_mobility": 0.8,
        "seize_ratio": 0.05,
    },
}


@needs_numba
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_equals_numpy(monkeypatch, baseline, case):
    scenario = baseline.with_changes(horizon=18, parameters=CASES[case])
    fast_m, fast_s = _run(monkeypatch, scenario, "compiled")
    slow_m, slow_s = _run(monkeypatch, scenario, "numpy")
    _assert_identical(fast_m, slow_m)
    _assert_identical(fast_s, slow_s)
    # the run did something to compare: every kernel's work happened (deaths placed, recruits
    # drawn, households fled and returned, mobilization moved)
    nat = slow_m[slow_m["level"] == "national"]
    assert nat["civilian_deaths"].sum() > 0 and nat["recruits"].sum() > 0
    assert nat["idps"].iloc[-1] > 0 and nat["returnees"].iloc[-1] > nat["returnees"].iloc[0]
    assert nat["active_share"].nunique() > 1


@needs_numba
def test_compiled_columns_equal_numpy_month_by_month(monkeypatch, baseline):
    """The cohorts' own columns (not only the tables) agree after every month."""
    from model.experiments.run import build_model

    scenario = baseline.with_changes(horizon=6, parameters={"persons_per_agent": 20000})
    models = {}
    for mode in ("compiled", "numpy"):
        monkeypatch.setenv(kernels.ENV, mode)
        models[mode] = build_model(scenario, 11)
    assert models["compiled"]._kernels is not None and models["numpy"]._kernels is None
    for _ in range(6):
        for model in models.values():
            model.step()
        a, b = models["compiled"], models["numpy"]
        for col in ("size", "legitimacy", "active", "engaged", "loc", "status"):
            assert np.array_equal(getattr(a.pop, col), getattr(b.pop, col)), col
        assert np.array_equal(a.grievance, b.grievance)
        assert np.array_equal(a.support_share, b.support_share)
        # the area terms of the month (services, destruction, abuse, aid, security)
        for name in (
            "services",
            "destruction",
            "abuse",
            "pmf_share",
            "sunni_share",
            "policing",
            "security_raw",
            "sweep_force",
            "coordination",
            "security_eff",
            "residents",
            "harm_gov",
        ):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert a.tension == b.tension and a.kirkuk == b.kirkuk
        assert a.aid_captured == b.aid_captured
        assert a.born == b.born


def _state(model) -> dict[str, np.ndarray]:
    """Everything the insurgency's processes write, as arrays."""
    out = {
        name: np.asarray(getattr(model, name)).copy()
        for name in (
            "F", "garrison", "harm_is", "haven_capacity", "is_share", "m_incidents", "m_civ",
            "m_sec", "m_isd", "m_is_killed", "m_recruits", "killed", "recruited", "m_inflow",
        )
    }  # fmt: skip
    for col in ("size", "under_is", "status", "loc"):
        out["pop." + col] = getattr(model.pop, col).copy()
    out["next draw"] = np.array(model.rng.random())  # (and the generator is where it was)
    return out


@needs_numba
@pytest.mark.parametrize("months", [1, 6, 14])
def test_compiled_processes_equal_numpy_one_by_one(monkeypatch, baseline, months):
    """Each compiled process of the insurgency, from the same state, writes the same values as
    the NumPy one: every float (probabilities, capacities, harm, garrisons) bit for bit, not
    only the whole numbers the tables show."""
    from model.experiments.run import build_model
    from model.simulation import insurgency

    scenario = baseline.with_changes(horizon=months + 1, parameters=CASES["violent"])
    models = {}
    for mode in ("compiled", "numpy"):
        monkeypatch.setenv(kernels.ENV, mode)
        models[mode] = model = build_model(scenario, 5)
        for _ in range(months):
            model.step()
    a, b = models["compiled"], models["numpy"]
    boosts = insurgency.haven_boosts(a)
    assert boosts == insurgency.haven_boosts(b)
    support = a.support_share
    assert np.array_equal(support, b.support_share)
    p_det = {}
    steps = [
        ("attacks", lambda m: insurgency.attacks(m, m.support_share, boosts[0])),
        ("detection", lambda m: p_det.__setitem__(m, insurgency.detection(m, m.support_share))),
        ("recruitment", lambda m: insurgency.recruitment(m, boosts[1])),
        ("havens", insurgency.havens),
        ("border", insurgency.border),
        ("attrition", insurgency.attrition),
        ("sorties", lambda m: insurgency.sorties(m, p_det[m])),
        ("movement", lambda m: insurgency.movement(m, p_det[m])),
        ("seizure", lambda m: insurgency.seizure(m, m.support_share)),
    ]
    for name, process in steps:
        process(a)
        process(b)
        if name == "detection":
            assert np.array_equal(p_det[a], p_det[b])
        sa, sb = _state(a), _state(b)
        for key in sa:
            assert np.array_equal(sa[key], sb[key]), f"{name}: {key}"


@needs_numba
def test_compiled_draws_are_numpys(monkeypatch):
    """The compiled processes draw from the model's generator through its published function
    pointers; each distribution gives NumPy's numbers and leaves the stream where NumPy would,
    over thousands of arguments (Poisson means across both of NumPy's algorithms and 0,
    binomials across inversion and BTPE, p of 0 and 1, n of 0; geometric; uniform; sorted
    uniform draws)."""
    import numba
    from numba.np.random.distributions import random_geometric

    from model.simulation import _kernels_numba as K

    @numba.njit
    def poisson(ptrs, lam, out):
        bg = K._bitgen(ptrs)
        for i in range(lam.shape[0]):
            out[i] = K._poisson(bg, lam[i])

    @numba.njit
    def binomial(ptrs, n, p, out):
        bg = K._bitgen(ptrs)
        for i in range(n.shape[0]):
            out[i] = K._binomial(bg, n[i], p[i])

    @numba.njit
    def geometric(ptrs, p, out):
        bg = K._bitgen(ptrs)
        for i in range(out.shape[0]):
            out[i] = random_geometric(bg, p)

    @numba.njit
    def sorted_uniform(ptrs, total, out):
        out[:] = K._sorted_draws(K._bitgen(ptrs), ptrs, out.shape[0], total)

    @numba.njit
    def uniform_with_gaps(ptrs, gaps, out):
        # draws taken after skipping gaps[i] draws (unneeded ones), as the flight and the
        # returns do
        bg = K._bitgen(ptrs)
        fast, state, inc = K._stream_open(ptrs)
        for i in range(out.shape[0]):
            state = K._skip(bg, fast, state, inc, gaps[i])
            state, out[i] = K._uniform(bg, fast, state, inc)
        K._stream_close(ptrs, fast, state)

    meta = np.random.default_rng(2017)
    holder = type("Holder", (), {})
    for trial in range(400):
        seed = int(meta.integers(2**62))
        # NumPy's default PCG64 (stepped inline), and another generator (through its pointers)
        make = (
            np.random.default_rng
            if trial % 4
            else (lambda s: np.random.Generator(np.random.Philox(s)))
        )
        ours, numpys = holder(), make(seed)
        ours.rng = make(seed)
        ptrs = kernels.rng_pointers(ours)
        assert (ptrs[4] != 0) == (trial % 4 != 0)
        m = int(meta.integers(1, 120))
        lam = meta.exponential(10.0 ** meta.uniform(-3, 4), m) * (meta.random(m) < 0.8)
        out = np.empty(m, dtype=np.int64)
        poisson(ptrs, lam, out)
        assert np.array_equal(out, numpys.poisson(lam))
        n = meta.integers(0, 10 ** int(meta.integers(1, 7)), m)
        p = meta.random(m) * (meta.random(m) < 0.9)
        p[meta.random(m) < 0.1] = 1.0
        binomial(ptrs, n, p, out)
        assert np.array_equal(out, numpys.binomial(n, p))
        q = float(meta.uniform(0.005, 1.0))
        k = int(meta.integers(0, 60))
        g = np.empty(k, dtype=np.int64)
        geometric(ptrs, q, g)
        assert np.array_equal(g, numpys.geometric(q, k))
        total = float(10.0 ** meta.uniform(-3, 9))
        u = np.empty(int(meta.integers(0, 3000)))
        sorted_uniform(ptrs, total, u)
        assert np.array_equal(u, np.sort(numpys.random(len(u)) * total))
        gaps = meta.integers(0, 2 ** int(meta.integers(1, 12)), int(meta.integers(0, 40)))
        gaps[meta.random(len(gaps)) < 0.3] = 0
        u = np.empty(len(gaps))
        uniform_with_gaps(ptrs, gaps, u)
        expected = numpys.random(int(gaps.sum()) + len(gaps))
        assert np.array_equal(u, expected[np.cumsum(gaps + 1) - 1])
        assert ours.rng.random() == numpys.random()  # the streams stay in step
    # NumPy's checks of the arguments are kept
    ours = holder()
    ours.rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="lam"):
        poisson(kernels.rng_pointers(ours), np.array([-1.0]), np.empty(1, dtype=np.int64))
    with pytest.raises(ValueError, match="p < 0"):
        binomial(kernels.rng_pointers(ours), np.array([3]), np.array([np.nan]), out)


@needs_numba
def test_compiled_draws_are_numpys_in_long_streams():
    """Hundreds of thousands of draws in one stream, where a rare difference would show (numba's
    own Poisson draw for means of 10 or more returns 0 about once in 40,000 draws where NumPy
    draws again; the kernels use NumPy's algorithm)."""
    import numba
    from numba.np.random.distributions import random_geometric

    from model.simulation import _kernels_numba as K

    @numba.njit
    def draws(ptrs, lam, n, p, q, out):
        bg = K._bitgen(ptrs)
        for i in range(lam.shape[0]):
            out[0, i] = K._poisson(bg, lam[i])
        for i in range(n.shape[0]):
            out[1, i] = K._binomial(bg, n[i], p[i])
        for i in range(q.shape[0]):
            out[2, i] = random_geometric(bg, q[i])

    meta = np.random.default_rng(40_000)
    size = 300_000
    # (means just above 10 most, where that difference is most frequent)
    lam = np.where(
        meta.random(size) < 0.8, meta.uniform(10.0, 11.0, size), meta.uniform(0, 60, size)
    )
    n = meta.integers(0, 2_000, size)
    p, q = meta.random(size), meta.uniform(0.001, 1.0, size)
    holder = type("Holder", (), {})()
    holder.rng, numpys = np.random.default_rng(17), np.random.default_rng(17)
    out = np.empty((3, size), dtype=np.int64)
    draws(kernels.rng_pointers(holder), lam, n, p, q, out)
    assert np.array_equal(out[0], numpys.poisson(lam))
    assert np.array_equal(out[1], numpys.binomial(n, p))
    assert np.array_equal(out[2], numpys.geometric(q))


@needs_numba
def test_compiled_sum_is_numpys():
    """The compiled float sum is NumPy's ``sum`` bit for bit (its pairwise summation), for
    lengths on both sides of its blocks of 8 and 128 and of its halving."""
    from model.simulation import _kernels_numba as K

    rng = np.random.default_rng(8)
    for n in [*range(0, 300), 1000, 1031, 4096, 8193, 100_003]:
        for _ in range(3):
            a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
            assert K._np_sum(a) == a.sum()
    assert str(K._np_sum(np.array([-0.0]))) == str(np.array([-0.0]).sum())


@needs_numba
def test_compiled_walk_is_numpys_search():
    """Placing draws on households (``_walk_partials`` and ``_walk_close``, a galloping search
    over the partial sums) gives the households and counts of ``insurgency._place`` (NumPy's
    search) for the same draws. Cases: ties (whole weights, draws on whole numbers), households
    of weight 0 (none is ever drawn), draws at the total, candidates a subset of the cohorts
    or all of them."""
    from types import SimpleNamespace

    import numba

    from model.simulation import _kernels_numba as K
    from model.simulation import insurgency

    @numba.njit
    def walk(draws, partial, idx, last):
        k = draws.shape[0]
        chosen = np.zeros(k + 1, dtype=np.int64)
        counts = np.zeros(k + 1, dtype=np.int64)
        p, found = K._walk_partials(draws, partial, partial.shape[0], idx, chosen, counts)
        found = K._walk_close(p, chosen, counts, found, last)
        return chosen[:found].copy(), counts[:found].copy()

    class Cohorts:  # (households large enough that no count is cut to their size)
        def __init__(self, m):
            self.size = np.full(m, 10**9)

        def __len__(self):
            return len(self.size)

    rng = np.random.default_rng(24)
    for case in range(3000):
        m, k = int(rng.integers(1, 400)), int(rng.integers(1, 300))
        w = rng.random(m)
        if case % 4 == 1:
            w *= rng.random(m) < 0.2  # (mostly households of weight 0)
        elif case % 4 == 2:
            w = np.floor(rng.random(m) * 3)  # (whole weights)
        cum = np.cumsum(w)
        total = float(cum[-1])
        if total <= 0:
            continue
        u = rng.random(k)
        if case % 4 == 2:
            u[: k // 2] = np.floor(u[: k // 2] * total) / total  # (draws on whole numbers)
        elif case % 4 == 3:
            u[: k // 3] = 1.0 - 2.0**-53  # (draws that round to the total)
        subset = case % 2 == 1
        idx = np.sort(rng.choice(3 * m, m, replace=False)) if subset else np.arange(m)
        cohorts = Cohorts(3 * m + 1 if subset else m)
        model = SimpleNamespace(rng=SimpleNamespace(random=lambda n, u=u: u.copy()), pop=cohorts)
        chosen, counts = insurgency._place(model, idx, w, k)
        got = walk(np.sort(u * total), cum, idx if subset else K._NO_IDX, len(cohorts) - 1)
        assert got[0].tolist() == chosen.tolist() and got[1].tolist() == counts.tolist(), case


@needs_numba
def test_the_recording_makes_its_sums_when_the_count_did_not(monkeypatch, baseline):
    """On the compiled path the month's count of persons makes the recording's sums in its pass
    (``Recorder.sums_for``); a record with no such count makes them itself, the same values."""
    from model.experiments.run import build_model, initial_state_for

    monkeypatch.setenv(kernels.ENV, "compiled")
    scenario = baseline.with_changes(horizon=6, parameters={"persons_per_agent": 20000})
    model = build_model(scenario, 3, initial_state_for(scenario))
    model.run()
    rec, t = model.recorder, model.t - 1
    names = ("active", "symp", "legit", "griev")
    made = [rec.group[name][t].copy() for name in names]
    made += [rec.area["idps"][t].copy(), rec.area["pop_under_is"][t].copy()]
    for name in names:
        rec.group[name][t] = np.nan
    rec.area["idps"][t] = np.nan
    rec.area["pop_under_is"][t] = np.nan
    rec._summed = -1  # (as if no count had made them)
    rec.record(t)
    again = [rec.group[name][t] for name in names]
    again += [rec.area["idps"][t], rec.area["pop_under_is"][t]]
    for x, y in zip(made, again, strict=True):
        assert x.tobytes() == y.tobytes()
    assert np.isfinite(made[0]).all() and made[0].any()


def test_short_sums_are_numpys():
    """``rules.total`` (a loop for fewer than 8 values, NumPy's sum above) is NumPy's sum bit for
    bit: contiguous vectors, reversed views and the column of a table, of every length to 12."""
    rng = np.random.default_rng(9)
    for n in range(0, 13):
        for _ in range(300):
            a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
            assert rules.total(a) == a.sum()
            assert rules.total(a[::-1]) == a[::-1].sum()
            table = rng.standard_normal((n, 3))
            assert rules.total(table[:, 1]) == table[:, 1].sum()
    assert str(rules.total(np.array([-0.0]))) == str(float(np.array([-0.0]).sum()))
    assert type(rules.total(np.arange(9.0))) is float


@needs_numba
def test_rng_pointers_follow_the_generator():
    """A model given a new generator draws from the new one."""
    holder = type("Holder", (), {})()
    holder.rng = np.random.default_rng(1)
    first = kernels.rng_pointers(holder)
    assert kernels.rng_pointers(holder) is first
    holder.rng = np.random.default_rng(1)
    assert kernels.rng_pointers(holder) is not first


def test_cached_kernels_follow_their_common_parts():
    """numba's cache checks only the file a kernel is in: a change to the common parts
    (``_kernels_numba.py``) must change the files that use them, through their
    ``COMMON_PARTS`` line, so that cached kernels are compiled again."""
    import hashlib
    from pathlib import Path

    folder = Path(kernels.__file__).parent
    digest = hashlib.sha256((folder / "_kernels_numba.py").read_bytes()).hexdigest()[:16]
    for name in ("_kernels_population.py", "_kernels_insurgency.py"):
        line = f'COMMON_PARTS = "{digest}"'
        assert line in (folder / name).read_text(), (
            f"{name}: set {line} (the common parts changed; see the comment above it)"
        )


def test_mode_is_checked(monkeypatch):
    monkeypatch.setenv(kernels.ENV, "fastest")
    with pytest.raises(ValueError, match="auto, numpy, compiled"):
        kernels.select()
    monkeypatch.setenv(kernels.ENV, "NumPy ")
    assert kernels.select() is None


def test_compiled_without_numba_says_how_to_install(monkeypatch):
    monkeypatch.setattr(kernels, "_load", lambda: None)
    monkeypatch.setattr(kernels, "_import_error", "No module named 'numba'")
    monkeypatch.setenv(kernels.ENV, "compiled")
    with pytest.raises(RuntimeError, match=r"stabsim\[fast\]"):
        kernels.select()
    monkeypatch.setenv(kernels.ENV, "auto")
    assert kernels.select() is None  # auto falls back to NumPy


@needs_numba
def test_warm_up_compiles_the_signatures_a_run_uses(monkeypatch, baseline):
    """A run after ``warm_up`` adds no compiled signature (nothing is compiled mid-run), even
    with parameters written as whole numbers in a scenario."""
    monkeypatch.setenv(kernels.ENV, "compiled")
    assert kernels.warm_up() >= 0.0
    compiled = kernels.select()
    before = {name: len(getattr(compiled, name).signatures) for name in vars(compiled)}
    assert before["insurgency_rest"] and before["legitimacy_pass"]
    scenario = baseline.with_changes(
        horizon=3, parameters={"persons_per_agent": 20000, "hardship_is_rule": 0}
    )
    run_model(scenario, 3)
    after = {name: len(getattr(compiled, name).signatures) for name in vars(compiled)}
    assert after == before


def test_a_numba_that_cannot_load_the_kernels_leaves_the_numpy_path(monkeypatch):
    """Not only a missing numba: any failure to set the kernels up (a cache folder it may not
    write, say) falls back to NumPy under ``auto`` and is named under ``compiled``."""

    def broken(name):
        raise RuntimeError("cannot cache function: no locator available")

    monkeypatch.setattr(kernels, "_compiled", None)
    monkeypatch.setattr(kernels, "_import_error", None)
    monkeypatch.setattr(kernels.importlib, "import_module", broken)
    monkeypatch.setenv(kernels.ENV, "auto")
    assert kernels.select() is None
    monkeypatch.setenv(kernels.ENV, "compiled")
    with pytest.raises(RuntimeError, match="no locator available"):
        kernels.select()
