"""Unit tests of the pure update rules (model/simulation/rules.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from model.simulation import rules
from model.simulation.months import month_add, months_between


def test_arrest_probability_rises_with_security_and_falls_with_actives():
    res = np.full(3, 100_000.0)
    p_sec = rules.arrest_probability(
        np.array([0.0, 500.0, 5000.0]), np.full(3, 1000.0), res, 2.3, 1.0, 0.01
    )
    assert p_sec[0] == 0 and np.all(np.diff(p_sec) > 0) and p_sec[-1] < 1
    p_act = rules.arrest_probability(
        np.full(3, 2000.0), np.array([1000.0, 5000.0, 50000.0]), res, 2.3, 1.0, 0.01
    )
    assert np.all(np.diff(p_act) < 0)


def test_epstein_reference_value():
    # one cop per active (C/A = 1) gives P = 1 - exp(-2.3) ~ 0.90 (Epstein 2002)
    p = rules.arrest_probability(
        np.array([1.0e6]), np.array([1.0e6 - 1]), np.array([1.0e6]), 2.3, 1.0, 0.0
    )
    assert abs(p[0] - (1 - np.exp(-2.3))) < 1e-6


def test_mobilization_thresholds():
    g = np.array([0.05, 0.15, 0.5])
    # without spread: Epstein's all-or-nothing rule
    a, e = rules.mobilization(g, np.zeros(3), np.zeros(3), t_active=0.1, t_symp=0.0, spread=0)
    assert a.tolist() == [0.0, 1.0, 1.0] and e.tolist() == [1.0, 1.0, 1.0]
    a, e = rules.mobilization(g, np.ones(3), np.ones(3), t_active=0.1, t_symp=0.0, spread=0)
    assert a.tolist() == [0.0, 0.0, 0.0] and e.tolist() == [0.0, 0.0, 0.0]  # deterred
    # with spread: half active at the threshold, rising smoothly, never above engaged
    a, e = rules.mobilization(
        np.array([0.07, 0.1, 0.13]), np.zeros(3), np.zeros(3), t_active=0.1, t_symp=0.0, spread=0.03
    )
    assert abs(a[1] - 0.5) < 1e-12
    assert a[0] < a[1] < a[2] and (e >= a).all()
    assert abs(a[0] - 1 / (1 + np.e)) < 1e-12


def test_grievance_is_epstein():
    assert abs(rules.grievance(np.array([0.5]), np.array([0.8]))[0] - 0.1) < 1e-12


@given(st.floats(0, 1), st.floats(0, 1e3), st.floats(0.01, 1), st.floats(0.1, 50))
def test_clearing_progress_bounded(held, ratio, rate, half):
    c = rules.clearing_progress(np.array([held]), np.array([ratio]), np.array([rate]), half)[0]
    assert 0 <= c <= held + 1e-12 and c <= rate + 1e-12


@given(st.integers(0, 10**9), st.integers(1, 1000))
def test_split_integer(total, n):
    parts = rules.split_integer(total, n)
    assert parts.sum() == total and parts.max() - parts.min() <= 1


def test_services_and_support():
    assert rules.services(np.array([0.0]), np.array([0.0]), 8.0)[0] == 1.0
    assert rules.services(np.array([1.0]), np.array([0.0]), 8.0)[0] == 0.0
    assert rules.services(np.array([1.0]), np.array([8.0]), 8.0)[0] > 0.6
    assert (
        rules.coalition_support(0, 4000, 1.5) == 0.0
        and rules.coalition_support(4000, 4000, 1.5) == 0.5
    )
    xs = np.linspace(0, 30000, 301)
    ys = np.array([rules.coalition_support(x, 4000, 1.5) for x in xs])
    assert (np.diff(ys) > 0).all() and ys[-1] < 1  # rising without a jump, saturating
    assert np.abs(np.diff(ys)).max() < 0.05


def test_stability_index_range():
    best = rules.stability_index(0, 0, 1.0, 0.0, 0, 1e6, 300)
    worst = rules.stability_index(5e6, 1e5, 0.0, 1.0, 1e6, 1e6, 300)
    assert best == 100.0 and 0 <= worst < 1


def test_month_arithmetic():
    assert months_between("2017-04", "2018-02") == 10
    assert months_between("2017-04", "2016-12") == -4
    assert month_add("2017-04", 9) == "2018-01"
    assert month_add("2017-04", -4) == "2016-12"
    for month in ("2016-12", "2017-04", "2030-11"):
        assert month_add("2017-04", months_between("2017-04", month)) == month


def test_in_place_forms_equal_the_plain_equations():
    """The in-place forms the population update uses give the plain formulas' values exactly
    (same rounding), including ties and equal rates."""
    rng = np.random.default_rng(7)
    for up, down in ((0.3, 0.1), (0.1, 0.3), (0.2, 0.2), (1.0, 0.0)):
        cur, tgt = rng.random(5000), rng.random(5000)
        tgt[:100] = cur[:100]
        plain = rules.relax(cur, tgt, np.where(tgt > cur, up, down))
        assert np.array_equal(rules.relax_asymmetric(cur.copy(), tgt.copy(), up, down), plain)
    g, ra, p = rng.random(5000), rng.random(5000), rng.random(5000)
    for spread in (0.0, 0.05):
        net = g - ra * p
        if spread > 0:
            want_a = 1.0 / (1.0 + np.exp(-(net - 0.1) / spread))
            want_e = np.maximum(1.0 / (1.0 + np.exp(-(net - 0.0) / spread)), want_a)
        else:
            want_a, want_e = (net > 0.1).astype(float), (net > 0.0).astype(float)
        work = (p.copy(), np.empty(5000))
        a, e = rules.mobilization(g, ra, work[0], 0.1, 0.0, spread, work=work)
        assert np.array_equal(a, want_a) and np.array_equal(e, want_e)
