"""The table helpers give the figures of the straightforward computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.simulation import rules
from model.simulation.initialization import _first_until
from model.simulation.tables import month_starts, unit_sums


def test_unit_sums_add_member_areas_in_area_order() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(8, 3, (7, 11, 3))
    unit = np.array([2, 0, 2, 1, 2, 0, 1, 2, 2, 0, 1])
    members = np.array([0, 1, 2, 4, 5, 6, 7, 9, 10])  # areas 3 and 8 are left out
    out = unit_sums(x, unit, 3, members)
    assert out.shape == (7, 3, 3)
    for u in range(3):
        expected = np.zeros((7, 3))
        for a in members[unit[members] == u]:
            expected = expected + x[:, a]
        assert np.array_equal(out[:, u], expected)
    # one unit, (T, n) arrays: the national shape
    flat = x[:, :, 0]
    total = unit_sums(flat, np.zeros(11, dtype=np.int64), 1, members)[:, 0]
    assert np.array_equal(total, sum((flat[:, a] for a in members), np.zeros(7)))


def test_stability_index_over_months_equals_month_by_month() -> None:
    rng = np.random.default_rng(4)
    T = 500
    args = (
        rng.uniform(0, 3e6, T) * (rng.random(T) < 0.5),
        rng.uniform(0, 2000, T),
        rng.random(T),
        rng.random(T),
        rng.uniform(0, 4e6, T),
        rng.uniform(0, 4e7, T),
    )
    scales = (300.0, 1.0e6, 0.1)
    series = rules.stability_index(*args, *scales)
    one_by_one = [rules.stability_index(*(a[t] for a in args), *scales) for t in range(T)]
    assert isinstance(one_by_one[0], float)
    assert np.array_equal(series, np.array(one_by_one))


def test_first_until_equals_a_full_stable_sort() -> None:
    rng = np.random.default_rng(5)
    for n, ties in ((3000, False), (3000, True), (40, False)):
        size = rng.integers(1, 50, n)
        cand = np.sort(rng.choice(n, n // 2, replace=False))
        keys = rng.random(len(cand))
        if ties:  # many equal keys, some at any cut-off
            keys = np.round(keys, 2)
        total = size[cand].sum()
        for target in (1, total * 0.01, total * 0.3, total * 0.97, total, total * 2):
            order = cand[np.argsort(keys, kind="stable")]
            cum = np.cumsum(size[order])
            expected = order[: int(np.searchsorted(cum, target)) + 1]
            assert np.array_equal(_first_until(cand, keys, size, target), expected)


def test_month_starts() -> None:
    months = month_starts("2017-11", 3)
    assert months.dtype == np.dtype("datetime64[ns]")
    assert [str(m)[:10] for m in months] == ["2017-11-01", "2017-12-01", "2018-01-01"]


def test_text_column_has_the_dtype_pandas_gives_text(monkeypatch) -> None:
    from model.simulation import tables

    labels = ["Iraq", "Anbar", "Nineveh"]
    codes = np.array([2, 0, 0, 1, 2])
    expected = pd.Series(np.asarray(labels, dtype=object)[codes])  # pandas' own inference
    got = pd.Series(tables.text_column(labels, codes))
    pd.testing.assert_series_equal(got, expected, check_exact=True)
    assert got.dtype == expected.dtype
    # where pandas keeps text as objects, an object array
    monkeypatch.setattr(tables, "_TEXT", np.dtype(object))
    kept = tables.text_column(labels, codes)
    assert kept.dtype == object and list(kept) == [labels[c] for c in codes]
