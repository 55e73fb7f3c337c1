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
from model.simulation import kernels

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
        assert a.born == b.born


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
    assert all(count >= 1 for count in before.values())
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
