"""A pinned short run: the tables of a 24-month coarse baseline run, as recorded in
``tests/pinned/baseline_coarse_24m.json``.

Speed work on the model must not change its results: the same seed must give the same random
draws in the same order and the same tables. This test compares a fresh run with tables recorded
before the optimisations of the performance issue. Counts (incidents, deaths, fighters, persons)
must match exactly; shares and means to 1e-12 relative, because the tables sum areas with a
matrix product whose last bits may differ between CPUs. Any change in the draws changes the counts.

A documented model change (docs/ODD.md) is the only reason to record the file again::

    PYTHONPATH=. python -m tests.test_pinned
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments.run import run_model

PINNED = Path(__file__).resolve().parent / "pinned" / "baseline_coarse_24m.json"
HORIZON, SEED, RESOLUTION = 24, 20170401, 20000
RTOL = 1e-12


def _scenario():
    from model.files.scenario import load_scenario

    root = Path(__file__).resolve().parent.parent
    base = load_scenario(root / "scenarios" / "baseline_historical.yaml")
    return base.with_changes(horizon=HORIZON, parameters={"persons_per_agent": RESOLUTION})


def _record(monthly: pd.DataFrame, summary: pd.DataFrame) -> dict:
    """The figures kept: every national value, governorate column sums, the summary."""
    nat = monthly[monthly["level"] == "national"]
    gov = monthly[monthly["level"] == "governorate"]
    values = [c for c in monthly.columns if c not in ("month", "level", "unit")]
    row = summary.iloc[0]
    return {
        "run": {
            "scenario": "baseline_historical",
            "horizon": HORIZON,
            "seed": SEED,
            "persons_per_agent": RESOLUTION,
        },
        "months": [str(m.date()) for m in nat["month"]],
        "national": {c: [float(x) for x in nat[c]] for c in values},
        "governorate_units": sorted(set(gov["unit"])),
        "governorate_sums": {c: float(gov[c].sum(min_count=1)) for c in values},
        "summary": {
            c: (
                str(row[c].date())
                if isinstance(row[c], pd.Timestamp)
                else None
                if pd.isna(row[c])
                else float(row[c])
            )
            for c in summary.columns
        },
    }


def _same(name: str, got, want) -> None:
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, name
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{name}: missing values differ"
    ok = ~np.isnan(want)
    if np.all(want[ok] == np.round(want[ok])):  # a count: exactly
        np.testing.assert_array_equal(got[ok], want[ok], err_msg=name)
    else:
        np.testing.assert_allclose(got[ok], want[ok], rtol=RTOL, atol=0, err_msg=name)


def test_short_run_matches_the_pinned_tables(state):
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    got = _record(*run_model(_scenario(), SEED, state))
    assert got["run"] == want["run"]
    assert got["months"] == want["months"]
    assert set(got["national"]) == set(want["national"])
    for c, v in want["national"].items():
        _same(f"national {c}", got["national"][c], v)
    assert got["governorate_units"] == want["governorate_units"]
    for c, v in want["governorate_sums"].items():
        _same(f"governorate sum {c}", got["governorate_sums"][c], math.nan if v is None else v)
    assert set(got["summary"]) == set(want["summary"])
    for c, v in want["summary"].items():
        if isinstance(v, str) or v is None:
            assert got["summary"][c] == v, c
        else:
            _same(f"summary {c}", got["summary"][c], v)


if __name__ == "__main__":
    table = _record(*run_model(_scenario(), SEED))
    PINNED.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {PINNED}")


def test_kept_sums_match_a_recount_every_month(state):
    """The sums the processes keep from month to month (``model.simulation.cohorts``) equal a
    plain recount, and the invariants they rely on hold, in every scenario."""
    from model.experiments.run import build_model, initial_state_for
    from model.files.scenario import load_scenario
    from model.simulation.agents import DISPLACED, HOME
    from model.simulation.cohorts import cohort_keys
    from model.simulation.outcomes import GROUPS

    g = len(GROUPS)
    root = Path(__file__).resolve().parent.parent / "scenarios"
    for path in sorted(root.glob("*.yaml")):
        if path.name == "demo_batch.yaml":
            continue
        sc = load_scenario(path).with_changes(horizon=12, parameters={"persons_per_agent": 20000})
        model = build_model(sc, 3, initial_state_for(sc) if sc.initial_data else state)
        for _ in range(sc.horizon):
            model.step()
            pop = model.pop
            home = pop.status == HOME
            assert np.array_equal(pop.loc[home], pop.home[home]), path.name
            assert not np.any(pop.under_is & (pop.status == DISPLACED)), path.name
            key = pop.loc * g + pop.group
            assert np.array_equal(cohort_keys(model), key), path.name
            recount = np.bincount(key, pop.size, model.n * g).reshape(model.n, g)
            assert np.array_equal(model.persons_area_group, recount), path.name
            assert np.array_equal(model.residents, np.maximum(recount.sum(axis=1), 1.0))
            by_home = np.bincount(pop.home * g + pop.group, pop.size, model.n * g)
            assert np.array_equal(model.persons_home_group.ravel(), by_home), path.name
            if model.sizef is not None:  # (the NumPy path's float copy of the sizes)
                assert np.array_equal(model.sizef, pop.size), path.name


def test_blocks_and_paths_do_not_change_results(state, monkeypatch):
    """Many small blocks, and the home-segment path used for a million cohorts, give the same
    tables as the default (how the sums are taken, not what they are)."""
    from model.simulation import cohorts

    sc = _scenario().with_changes(horizon=12)
    want = run_model(sc, 5, state)
    monkeypatch.setattr(cohorts, "BLOCK", 97)
    monkeypatch.setattr(cohorts, "SEGMENTS_FROM", 0)
    got = run_model(sc, 5, state)
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True)
    pd.testing.assert_frame_equal(got[1], want[1], check_exact=True)
