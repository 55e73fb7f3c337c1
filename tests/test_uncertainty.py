"""Decisions under uncertainty: parameter ensembles (files, draws, store), the variance split,
robustness (win shares, regret, satisficing), survival curves, CART, the base-rate measure and
run folders compared like batches."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.analysis.compare.robustness import (
    future_means,
    parse_threshold,
    regret,
    satisfied,
    win_shares,
)
from model.analysis.compare.survival import kaplan_meier
from model.analysis.compare.variance import variance_components
from model.analysis.discovery.cart import cart
from model.cli import main
from model.experiments.batches import plan_batch
from model.experiments.run import run_model
from model.experiments.scoring import relapse_within
from model.files.batch import load_batch
from model.files.errors import ConfigError
from model.files.months import month_index
from model.files.uncertainty import EFFECT_SIZES, HELD_FIXED, uncertain_names
from model.simulation.parameters import REGISTRY

COARSE = "persons_per_agent: 20000"
ROOT = Path(__file__).resolve().parent.parent

BATCH = f"""\
batch: ens
seed: 11
replicates: 2
uncertainty:
  draws: 3
  screen: none                 # history matching has its own tests
  distributions:
    arrest_k: [1.5, 3.0]
    recruit_rate: {{distribution: loguniform}}
  schedules:
    exit:
      from: [2017-06, 2017-12]
      set: {{us_troops: [0, 2500], coalition_air: 0.2}}
      scenarios: [withdraw]
scenarios:
  - {{name: base, horizon: 3, parameters: {{{COARSE}}}}}
  - {{name: withdraw, horizon: 3, parameters: {{{COARSE}}}}}
  - {{name: fixed, horizon: 3, parameters: {{{COARSE}, tension0: 0.3}}}}
"""


def _batch_file(tmp_path: Path, text: str = BATCH) -> Path:
    path = tmp_path / "ens.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---- the default uncertain set and the file -------------------------------------------------


def test_default_uncertain_set_follows_the_rule() -> None:
    names = set(uncertain_names())
    for name in names:
        p = REGISTRY[name]
        assert p.kind in ("initial", "parameter") and p.group != "outcomes", name
        assert "calibration-2017" not in p.sources and name not in HELD_FIXED, name
    for p in REGISTRY.values():
        if p.kind == "parameter" and p.source == "assumption" and p.group != "outcomes":
            assert p.name in names or p.name in HELD_FIXED, p.name
    assert set(EFFECT_SIZES) <= names


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("draws: 3", "draws: 0", "uncertainty.draws: 0 is out of range"),
        ("arrest_k: [1.5, 3.0]", "arest_k: [1.5, 3.0]", "did you mean 'arrest_k'?"),
        ("{distribution: loguniform}", "{distribution: lognormal}", "unknown distribution"),
        ("arrest_k: [1.5, 3.0]", "arrest_k: [3.0, 1.5]", "low 3 is not below high 1.5"),
        ("from: [2017-06, 2017-12]", "from: [2017-12, 2017-06]", "not after the first"),
        ("us_troops: [0, 2500]", "us_trops: [0, 2500]", "did you mean 'us_troops'?"),
    ],
)
def test_mistakes_in_uncertainty_are_one_line(tmp_path, old, new, needle) -> None:
    path = _batch_file(tmp_path, BATCH.replace(old, new))
    with pytest.raises(ConfigError) as exc:
        load_batch(path)
    text = str(exc.value)
    assert needle in text and "ens.yaml:" in text and "\n" not in text


def test_a_scope_naming_no_scenario_is_refused(tmp_path) -> None:
    path = _batch_file(tmp_path, BATCH.replace("scenarios: [withdraw]", "scenarios: [withdrw]"))
    with pytest.raises(ConfigError, match="did you mean 'withdraw'"):
        plan_batch(path)


# ---- the draws ----------------------------------------------------------------------------------


def test_draws_are_reproducible_paired_and_applied(tmp_path) -> None:
    path = _batch_file(tmp_path)
    a, b = plan_batch(path), plan_batch(path)
    assert [(s.run_id, s.seed, dict(s.drawn)) for s in a.specs] == [
        (s.run_id, s.seed, dict(s.drawn)) for s in b.specs
    ]
    assert len(a.specs) == 3 * 3 * 2 and len(a.ensemble) == 3
    by = {(s.scenario_name, s.replicate): s for s in a.specs}
    for k in range(6):  # run k: draw k // 2, the same draw and seed in every scenario
        runs = [by[(name, k)] for name in ("base", "withdraw", "fixed")]
        assert {r.draw for r in runs} == {k // 2}
        assert len({r.seed for r in runs}) == 1 and len({tuple(r.drawn.items()) for r in runs}) == 1
        base, withdraw, fixed = runs
        assert base.scenario.parameters["arrest_k"] == base.drawn["arrest_k"]
        assert 1.5 <= base.drawn["arrest_k"] <= 3.0
        assert fixed.scenario.parameters["tension0"] == 0.3  # set by the scenario: kept
        assert "us_troops" not in base.scenario.levers  # the step applies to withdraw only
        month, troops = withdraw.drawn["exit_from"], withdraw.drawn["exit_us_troops"]
        assert month_index("2017-06") <= month <= month_index("2017-12") and month.is_integer()
        series = withdraw.scenario.lever_series()["us_troops"]
        step = int(month - month_index("2017-04"))
        assert (series[:step] == REGISTRY["us_troops"].default).all()
        assert (series[step:] == round(troops)).all()
    # the Latin hypercube puts each draw of a dimension in its own third of the range
    thirds = sorted(int((d["arrest_k"] - 1.5) / 0.5) for d in map(a.ensemble.draw, range(3)))
    assert thirds == [0, 1, 2]
    other = plan_batch(_batch_file(tmp_path, BATCH.replace("seed: 11", "seed: 12")))
    assert other.ensemble.values != a.ensemble.values
    assert plan_batch(path, draws=0).ensemble is None
    assert len(plan_batch(path, draws=5).specs) == 3 * 5 * 2


def test_ensemble_batch_is_stored_identically_by_every_executor(tmp_path, capsys) -> None:
    from model.experiments.batches import run_batch

    text = BATCH.replace("draws: 3", "draws: 2").replace("replicates: 2", "replicates: 1")
    path = _batch_file(tmp_path, text)
    serial = run_batch(path, out=tmp_path / "s", executor="serial", progress=False)
    pooled = run_batch(path, out=tmp_path / "p", executor="process", workers=2, progress=False)
    assert pooled.counts() == serial.counts() == {"ok": 6, "failed": 0, "missing": 0}  # 3 x 2 x 1
    for table in ("monthly", "summary"):
        for f in sorted((tmp_path / "s" / table).rglob("*.parquet")):
            twin = tmp_path / "p" / f.relative_to(tmp_path / "s")
            pd.testing.assert_frame_equal(pd.read_parquet(f), pd.read_parquet(twin))
    summary = serial.summary()
    assert list(summary.columns[:6]) == ["run_id", "scenario", "design_point", "replicate",
                                         "seed", "draw"]  # fmt: skip
    draws = serial.draws().set_index("draw")
    for _, row in summary.iterrows():
        assert row["arrest_k"] == draws.at[row["draw"], "arrest_k"]
    assert serial.manifest["uncertainty"]["draws"] == 2
    assert {r["draw"] for r in serial.manifest["runs"]} == {0, 1}
    # resuming finds the same plan (the draws hash the same) and nothing to run
    assert main(["batch", "--resume", str(tmp_path / "s"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "nothing left to run" in out and "Decision summary: reference base" in out


# ---- variance split -------------------------------------------------------------------------


def test_variance_split_of_a_toy_model() -> None:
    rng = np.random.default_rng(3)
    draws, reps, sd_par, sd_noise = 400, 5, 2.0, 1.0
    effect = rng.normal(0.0, sd_par, draws)
    y = np.repeat(effect, reps) + rng.normal(0.0, sd_noise, draws * reps)
    split = variance_components(y, np.repeat(np.arange(draws), reps))
    assert split["parameters"] == pytest.approx(np.var(effect, ddof=1), rel=0.05)
    assert split["replicates"] == pytest.approx(sd_noise**2, rel=0.05)
    assert split["parameter_share"] == pytest.approx(0.8, abs=0.03)
    # no parameter effect: the parameter part is (close to) nothing
    noise = variance_components(rng.normal(0, 1, 2000), np.repeat(np.arange(400), 5))
    assert noise["parameter_share"] < 0.05
    # one parameter set: all chance; one run per draw: cannot be told apart
    assert variance_components([1.0, 2.0, 4.0], [0, 0, 0])["parameter_share"] == 0.0
    assert np.isnan(variance_components([1.0, 2.0, 4.0], [0, 1, 2])["parameter_share"])


# ---- robustness -----------------------------------------------------------------------------


def _runs() -> pd.DataFrame:
    """Three policies, three futures (draws) of two replicates; deaths per run."""
    deaths = {
        "a": [10, 12, 20, 20, 5, 7],  # future means 11, 20, 6
        "b": [8, 8, 25, 25, 6, 6],  # 8, 25, 6
        "c": [9, 11, 15, 17, 9, 9],  # 10, 16, 9
    }
    rows = []
    for scen, values in deaths.items():
        for k, v in enumerate(values):
            rows.append({"run_id": f"{scen}/{k}", "scenario": scen, "design_point": 0,
                         "replicate": k, "draw": k // 2, "cumulative_deaths": float(v),
                         "battle_deaths_final_year": float(v * 100)})  # fmt: skip
    return pd.DataFrame(rows)


def test_win_shares_regret_and_satisficing_by_hand() -> None:
    means = future_means(_runs(), ["cumulative_deaths"])
    assert means.loc[means["scenario"] == "a", "cumulative_deaths"].tolist() == [11, 20, 6]
    wins = win_shares(means, "a", ["cumulative_deaths"]).set_index("scenario")
    # b vs a: 8 < 11 better, 25 > 20 worse, 6 = 6 tie; c vs a: better, better, worse
    assert wins.loc["b", ["better", "ties", "worse"]].tolist() == pytest.approx([1 / 3] * 3)
    assert wins.loc["c", ["better", "ties", "worse"]].tolist() == pytest.approx([2 / 3, 0, 1 / 3])
    reg = regret(means, ["cumulative_deaths"]).set_index("scenario")
    # best per future: 8 (b), 16 (c), 6 (a and b tie)
    assert reg.loc["a", "mean_regret"] == pytest.approx((3 + 4 + 0) / 3)
    assert reg.loc["b", "max_regret"] == 9 and reg.loc["c", "max_regret"] == 3
    assert reg["best_share"].tolist() == pytest.approx([0.5 / 3, 1.5 / 3, 1 / 3])
    frame = _runs()
    ok = satisfied(frame, parse_threshold("battle_deaths_final_year < 1000"), None)
    # under 1,000 means fewer than 10 deaths: a has 5 and 7, b four runs, c three 9s
    assert ok.groupby(frame["scenario"]).mean().tolist() == pytest.approx([2 / 6, 4 / 6, 3 / 6])


def test_thresholds_over_months() -> None:
    t = parse_threshold("battle_deaths_12m[2:] < 1000")
    assert t.onward and t.month == 2 and "every month from month 2" in t.label()
    months = pd.to_datetime(["2017-04-01", "2017-05-01", "2017-06-01", "2017-07-01"] * 2)
    monthly = pd.DataFrame({"run_id": ["x"] * 4 + ["y"] * 4, "month": months,
                            "battle_deaths_12m": [5000, 3000, 900, 800, 5000, 900, 900, 1200]})  # fmt: skip
    runs = pd.DataFrame({"run_id": ["x", "y"]})
    assert satisfied(runs, t, monthly).tolist() == [True, False]
    at = parse_threshold("battle_deaths_12m[2017-05] < 1000")
    assert satisfied(runs, at, monthly).tolist() == [False, True]
    with pytest.raises(ConfigError, match="did you mean 'battle_deaths_12m'"):
        parse_threshold("battle_deaths_12 < 5")


# ---- survival, CART, base rate ----------------------------------------------------------------


def test_kaplan_meier_by_hand() -> None:
    # times 2, 3+, 4, 4, 6+: S(2) = 4/5, S(4) = 4/5 * (1 - 2/3)
    km = kaplan_meier([2, 3, 4, 4, 6, np.nan], [True, False, True, True, False, True])
    assert km["time"].tolist() == [0, 2, 4]
    assert km["at_risk"].tolist() == [5, 5, 3]
    assert km["survival"].tolist() == pytest.approx([1, 0.8, 0.8 / 3])
    assert ((km["low"] <= km["survival"]) & (km["survival"] <= km["high"])).all()


def test_cart_finds_the_box() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.uniform(0, 1, (400, 3)), columns=["p", "q", "r"])
    holds = (x["p"] > 0.6) & (x["q"] < 0.4)
    tree = cart(x, holds.to_numpy(), max_depth=2)
    top = tree.leaves.iloc[0]
    assert top["density"] == 1.0 and top["coverage"] > 0.9
    assert "p >" in top["rule"] and "q <=" in top["rule"] and "r" not in top["rule"]
    assert set(tree.importance.head(2)["name"]) == {"p", "q"}


def test_relapse_within_ten_years() -> None:
    held = np.array([1, 0, 0, 0, 0, 0, 0, 0])
    war = np.array([3000, 2000, 800, 700, 1500, 600, 600, 600])
    assert relapse_within(war, held, within=2, threshold=1000) == 1.0  # back 2 months later
    assert relapse_within(war, held, within=1, threshold=1000) == 0.0  # not within 1
    calm = np.array([3000, 2000, 800, 700, 600, 600, 600, 600])
    assert relapse_within(calm, held, within=5, threshold=1000) == 0.0
    assert np.isnan(relapse_within(calm, held, within=6, threshold=1000))  # seen 5 months only
    assert np.isnan(relapse_within(war, np.ones(8), within=2, threshold=1000))  # never defeated


# ---- run folders ------------------------------------------------------------------------------


def test_a_run_folder_is_compared_like_a_batch(tmp_path, capsys) -> None:
    scenario = tmp_path / "one.yaml"
    scenario.write_text(
        f"name: one\nhorizon: 6\nreplicates: 2\nparameters: {{{COARSE}}}\n"
        "uncertainty: {draws: 1, screen: none}\n"  # --draws 2 below keeps screen: none
    )
    runs = tmp_path / "runs"
    args = ["run", str(scenario), "--runs-dir", str(runs), "--workers", "1", "--quiet"]
    assert main([*args, "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "4 runs (2 draws of" in out and "parameters and replicates" in out
    (folder,) = runs.iterdir()
    assert (folder / "manifest.json").exists() and (folder / "scenario.yaml").exists()
    assert (folder / "overview.png").exists()
    compare = ["compare", str(folder), "--out", str(tmp_path / "cmp"), "--quiet"]
    assert main([*compare, "--outcomes", "stability,cumulative_deaths"]) == 0
    html = (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")
    assert "2 parameter draws" in html and 'id="variance"' in html
    summary = pd.read_parquet(next((folder / "summary").rglob("*.parquet")))
    assert list(summary.columns[:5]) == ["run_id", "scenario", "design_point", "replicate", "seed"]
    assert re.match(r"one/00000/r000\d", summary["run_id"].iloc[0])


# ---- history matching --------------------------------------------------------------------------


def test_screening_keeps_the_first_candidates_that_reproduce_the_record(monkeypatch) -> None:
    """Kept draws are the first candidates, in order, whose run passes the least share of the
    calibration targets of the start month; the result does not depend on the workers."""
    from model.experiments import screening
    from model.experiments.ensemble import draw_ensemble
    from model.experiments.scoring import evaluate
    from model.files.scenario import load_scenario
    from model.files.uncertainty import read_uncertainty

    base = load_scenario(ROOT / "scenarios" / "baseline_historical.yaml")
    base = base.with_changes(parameters={"persons_per_agent": 20000})
    spec = read_uncertainty({"draws": 2, "parameters": ["arrest_k", "recruit_rate"]})
    pool = draw_ensemble(spec.distributions, 6, 5)
    targets = screening.screening_targets(base)
    assert targets and {t.use for t in targets} == {"calibration"}
    kept = screening.screen_draws(pool, base, 2, 0.7)
    record = kept.screen
    assert record["least_passed"] == 10 and list(record["targets"]) == [t.id for t in targets]
    passing = [d for d, p in enumerate(record["passed"]) if p >= 10]
    assert list(record["kept"]) == passing[:2]
    assert kept.values == tuple(pool.values[d] for d in record["kept"])
    # a kept draw's own run passes (measured again, outside the screening)
    d = record["kept"][0]
    trial = screening.prepare_trial(base, targets)
    monthly, summary = run_model(pool.apply(trial, d), screening.screen_seed(pool.seed, d))
    assert int(evaluate(targets, [(monthly, summary.iloc[0])])["passed"].sum()) >= 10
    assert trial.horizon == 27  # April 2017 to June 2019: Baghouz (March 2019) and its tolerance
    # the same draws with another number of workers (the cache cleared)
    screening._CACHE.clear()
    monkeypatch.setattr(screening.os, "cpu_count", lambda: 1)
    assert screening.screen_draws(pool, base, 2, 0.7).values == kept.values
    # too few pass: one clear error
    screening._CACHE.clear()
    with pytest.raises(ConfigError, match="calibration targets of 2017-04 .history matching."):
        screening.screen_draws(pool, base, 6, 1.0)
    # a start month without calibration targets: nothing to screen against
    hind = load_scenario(ROOT / "scenarios" / "hindcast_2011.yaml")
    assert screening.screen_draws(pool, hind, 2, 0.7) is pool


def test_screen_none_keeps_every_draw(tmp_path) -> None:
    from model.experiments.batches import plan_batch

    path = _batch_file(tmp_path)
    plan = plan_batch(path)
    assert not plan.ensemble.screen and len(plan.ensemble) == 3
    screened = BATCH.replace("  screen: none", "  screen: {share: 0.5, candidates: 1}")
    with pytest.raises(ConfigError, match="only . of 1 candidate draws"):
        plan_batch(_batch_file(tmp_path, screened))


def test_a_resumed_ensemble_batch_runs_the_same_draws(tmp_path) -> None:
    """The manifest records every parameter's value; resuming must still apply the draws."""
    from model.experiments.batches import run_batch

    text = BATCH.replace("draws: 3", "draws: 2").replace("replicates: 2", "replicates: 1")
    path = _batch_file(tmp_path, text)
    run_batch(path, out=tmp_path / "b", executor="serial", progress=False)
    fresh, resumed = plan_batch(path), plan_batch(None, resume=tmp_path / "b")
    assert [s.run_id for s in fresh.specs] == [s.run_id for s in resumed.specs]
    for a, b in zip(fresh.specs, resumed.specs, strict=True):
        assert b.scenario.parameters["arrest_k"] == a.drawn["arrest_k"] == b.drawn["arrest_k"]
        assert a.scenario.parameter_values() == b.scenario.parameter_values()
