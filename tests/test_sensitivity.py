"""Sensitivity analysis: SALib wiring on functions with known indices, study files, small model
studies (Sobol', Morris, OAT) with their tables and figures, resume, and PRIM discovery.

Model studies are small on purpose (3 names, 24 months, 1 replicate, 20,000 persons per agent) so
the file runs in about a minute on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from model.analysis.discovery.prim import prim
from model.analysis.sensitivity import (
    morris_indices,
    oat_design,
    oat_effects,
    open_study,
    plot_morris,
    sobol_indices,
)
from model.cli import main as sa_main
from model.experiments.batchfiles import STATUS, read_manifest
from model.files.conditions import parse_condition
from model.files.study import load_study, study_from_dict

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline_historical.yaml"

STUDY = f"""\
study: small_sobol
description: A small Sobol' study for the tests.
scenario: {BASELINE}
method: sobol
n: 8
seed: 11
horizon: 24
parameters:
  persons_per_agent: 20000
vary:
  us_troops: null
  reconciliation: null
  attack_rate: [0.02, 0.1]
outcomes: [cumulative_deaths, mean_stability_last24, incidents, log10(cumulative_deaths)]
resamples: 100
discover: ["cumulative_deaths > 4000"]
"""
RUNS = 8 * (3 + 2)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    out = folder / "sensitivity"
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in ("indices", "outputs")}


def _assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = _tables(a), _tables(b)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name])


# ---- SALib wiring: functions with known indices ----------------------------------------------


def _ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def test_sobol_indices_recover_the_ishigami_values() -> None:
    # The same function the model's studies use, fed the Ishigami function on the same design.
    x = sobol_sample.sample(ISHIGAMI, 1024, calc_second_order=False, seed=3)
    table = sobol_indices(ISHIGAMI, _ishigami(x), seed=3)
    np.testing.assert_allclose(table["S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(table["ST"], [0.558, 0.442, 0.244], atol=0.05)
    assert (table["ST_conf"] > 0).all() and (table["ST_conf"] < 0.15).all()


def test_sobol_second_order_finds_the_ishigami_interaction() -> None:
    x = sobol_sample.sample(ISHIGAMI, 512, calc_second_order=True, seed=4)
    table = sobol_indices(ISHIGAMI, _ishigami(x), second_order=True, seed=4, resamples=100)
    s2 = table.attrs["S2"].set_index(["name", "other"])["S2"]
    assert s2[("x1", "x3")] == pytest.approx(0.244, abs=0.1)
    assert abs(s2[("x1", "x2")]) < 0.1


def test_constant_output_gives_nan_indices_with_a_note() -> None:
    x = sobol_sample.sample(ISHIGAMI, 16, calc_second_order=False, seed=1)
    table = sobol_indices(ISHIGAMI, np.ones(len(x)))
    assert table["ST"].isna().all() and table.attrs["note"] == "constant output"


def test_morris_mu_star_is_the_change_over_the_whole_range() -> None:
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 10], [5, 6]]}
    x = morris_sample.sample(problem, 10, num_levels=4, seed=2)
    y = 3 * x[:, 0] - 0.5 * x[:, 1]
    table = morris_indices(problem, x, y, seed=2)
    np.testing.assert_allclose(table["mu_star"], [3.0, 5.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["mu"], [3.0, -5.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)


def test_oat_design_moves_one_name_at_a_time() -> None:
    names = ("us_troops", "arrest_k")
    design = oat_design(names, [(0, 10000), (1.0, 4.0)], {"us_troops": 5200, "arrest_k": 2.3}, 3)
    assert len(design) == 1 + 2 * 3
    assert design.points[0] == (5200.0, 2.3)
    assert [p[0] for p in design.points[1:4]] == [0.0, 5000.0, 10000.0]
    assert all(p[1] == 2.3 for p in design.points[1:4])
    assert [p[1] for p in design.points[4:]] == [1.0, 2.5, 4.0]
    x = np.array(design.points)
    effects, curves = oat_effects(names, 3, x, 2 * x[:, 0] / 1000 - x[:, 1])
    assert effects.loc["us_troops", "swing"] == pytest.approx(20.0)
    assert effects.loc["arrest_k", "swing"] == pytest.approx(-3.0)
    assert effects.loc["us_troops", "baseline"] == pytest.approx(10.4 - 2.3)
    assert len(curves) == 6


# ---- study files ------------------------------------------------------------------------------


def test_study_file_loads_with_defaults(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path / "s.yaml", STUDY))
    assert study.names == ("us_troops", "reconciliation", "attack_rate")
    assert study.vary["us_troops"] == (0.0, 20000.0)  # null: the registry range
    assert study.vary["attack_rate"] == (0.02, 0.1)
    assert study.summary_outcomes == (
        "cumulative_deaths",
        "mean_stability_last24",
        "log10(cumulative_deaths)",
    )
    assert study.series_outcomes == ("incidents",)
    assert study.replicates == 1 and study.seed == 11 and study.runs() == RUNS
    assert study.scenario.horizon == 24 and study.scenario.levels == ("national",)
    assert study.scenario.parameters["persons_per_agent"] == 20000
    assert study.options["second_order"] is False and study.options["per_year"] == "mean"
    # The same study given as a mapping.
    data = {
        "study": "m",
        "scenario": str(BASELINE),
        "method": "oat",
        "n": 3,
        "vary": {"aid": [0, 100]},
        "outcomes": ["resurgence"],
    }
    oat = study_from_dict(data)
    assert oat.runs() == 1 + 3 and oat.centre() == {"aid": 25.0}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  us_troops: null", "  us_tropps: null", "vary.us_tropps: unknown name 'us_tropps'"),
        ("method: sobol", "method: sobl", "did you mean 'sobol'?"),
        ("n: 8", "n: 10", "n: 10 is not a power of 2"),
        ("  us_troops: null", "  us_troops: [0, 30000]", "30000 is out of range"),
        ("[cumulative_deaths,", "[cumulative_deths,", "did you mean 'cumulative_deaths'?"),
        ("[cumulative_deaths,", "[defeat_month,", "defeat_month is a date"),
        ("seed: 11", "levels: 4", "levels does not apply to a sobol study"),
        ("seed: 11", "replicate: 2", "did you mean 'replicates'?"),
        (f"scenario: {BASELINE}", "scenario: nowhere.yaml", "scenario file not found"),
        ('["cumulative_deaths > 4000"]', '["is_held_areas > 0"]', "give a month"),
        ("  persons_per_agent: 20000", "  attack_rate: 0.05", "both varied"),
        ("  persons_per_agent: 20000", "  persons_per_agent: 10", "10 is out of range"),
    ],
)
def test_study_mistakes_are_one_clear_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    assert old in STUDY
    path = _write(tmp_path / "study.yaml", STUDY.replace(old, new, 1))
    runs = tmp_path / "runs"
    code = sa_main(["sensitivity", str(path), "--runs-dir", str(runs), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("stabsim: error: ") and err.count("\n") == 1, err
    assert expected in err
    line = next(
        i for i, text in enumerate(STUDY.replace(old, new, 1).splitlines(), 1) if new in text
    )
    assert f"study.yaml:{line}: " in err  # file and line of the mistake
    assert not runs.exists()  # nothing written


def test_dry_run_shows_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "s.yaml", STUDY)
    assert sa_main(["sensitivity", str(path), "--dry-run", "--n", "16"]) == 0
    out = capsys.readouterr().out
    assert "80 design points x 1 replicate(s) = 80 runs" in out and "N=16" in out


# ---- a small Sobol' study on the model ---------------------------------------------------------


@pytest.fixture(scope="module")
def sobol_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The study run on two worker processes, uninterrupted: the reference."""
    base = tmp_path_factory.mktemp("sobol")
    path = _write(base / "study.yaml", STUDY)
    out = base / "run"
    code = sa_main(["sensitivity", str(path), "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 0
    return out


def test_sobol_study_writes_tables_and_figures(sobol_study: Path) -> None:
    out = sobol_study / "sensitivity"
    for name in ("indices", "outputs"):
        assert (out / f"{name}.parquet").is_file() and (out / f"{name}.csv").is_file()
    for fig in ("sobol_cumulative_deaths.png", "sobol_over_time_incidents.png"):
        assert (out / fig).stat().st_size > 10_000
    assert (out / "summary.md").read_text().startswith("# Study small_sobol")
    manifest = read_manifest(sobol_study)
    assert manifest["status"] == "complete" and manifest["design"]["kind"] == "sobol"
    indices = pd.read_parquet(out / "indices.parquet")
    run_level = indices[indices["year"].isna()]
    assert set(run_level["outcome"]) == {
        "cumulative_deaths",
        "mean_stability_last24",
        "log10(cumulative_deaths)",
    }
    assert len(run_level) == 3 * 3
    assert set(indices.loc[indices["outcome"] == "incidents", "year"]) == {1, 2}
    deaths = run_level[run_level["outcome"] == "cumulative_deaths"].set_index("name")
    assert deaths["ST"].notna().all() and (deaths["ST_conf"] > 0).all()
    assert sorted(deaths["rank"]) == [1, 2, 3]
    outputs = pd.read_parquet(out / "outputs.parquet")
    assert len(outputs) == RUNS and (outputs["runs"] == 1).all()
    assert {"incidents_year1", "incidents_year2"} <= set(outputs.columns)
    logs = np.log10(1 + outputs["cumulative_deaths"])
    np.testing.assert_allclose(outputs["log10_cumulative_deaths"], logs)  # 1 replicate
    assert (out / "sobol_log10_cumulative_deaths.png").is_file()
    # The study's own discovery condition was run too.
    disc = out / "discovery" / "cumulative_deaths_gt_4000"
    assert (disc / "boxes.csv").is_file() and (disc / "prim.png").is_file()
    study = open_study(sobol_study)
    assert study.n == 8 and study.method == "sobol"
    assert json.loads((sobol_study / "study.json").read_text())["vary"]["attack_rate"] == [
        0.02,
        0.1,
    ]


def test_an_interrupted_study_resumes_to_the_same_tables(
    sobol_study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First session: some runs fail (as if their worker died); the study is not analysed.
    path = _write(tmp_path / "study.yaml", STUDY)
    out = tmp_path / "run"
    monkeypatch.setenv("STABSIM_FAIL_RUNS", "*/0000[3-6]/r0000")
    args = ["sensitivity", str(path), "--out", str(out), "--executor", "serial", "--quiet"]
    assert sa_main(args) == 1
    assert not (out / "sensitivity").exists()
    monkeypatch.delenv("STABSIM_FAIL_RUNS")
    # Lose a finished run's part file and the last status lines as well (a kill mid-write).
    (out / "summary" / "baseline_historical" / "00010-r0000.parquet").unlink()
    lines = (out / STATUS).read_text().splitlines()
    (out / STATUS).write_text("\n".join(lines[:-5]) + "\n" + lines[-5][:20])
    # Resume from the folder alone: only the missing and failed runs are made.
    resume = ["sensitivity", "--resume", str(out), "--executor", "serial", "--quiet"]
    assert sa_main([*resume, "--retry-failed"]) == 0
    status = [json.loads(x) for x in (out / STATUS).read_text().splitlines()]
    assert len(status) == RUNS - 5 + 4 + 5 + 1  # kept + failed once + lost lines + lost part
    _assert_same_tables(sobol_study, out)
    # Nothing left to run: a further resume only analyses again, to the same tables.
    assert sa_main(resume) == 0
    _assert_same_tables(sobol_study, out)


def test_resume_refuses_a_changed_study(
    sobol_study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "copy"
    shutil.copytree(sobol_study, out)
    path = _write(tmp_path / "study.yaml", STUDY.replace("seed: 11", "seed: 12"))
    assert sa_main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 2
    assert "holds a different batch" in capsys.readouterr().err


def test_discover_command_on_a_stored_study(
    sobol_study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deaths = pd.read_parquet(sobol_study / "sensitivity" / "outputs.parquet")["cumulative_deaths"]
    cut = float(deaths.median())
    out = tmp_path / "disc"
    args = ["discover", str(sobol_study), "--outcome", f"cumulative_deaths>{cut:g}"]
    assert sa_main([*args, "--out", str(out), "--threshold", "0.7"]) == 0
    printed = capsys.readouterr().out
    assert "box 1: coverage" in printed
    boxes = pd.read_csv(out / "boxes.csv")
    assert boxes.loc[0, "density"] > 0.5 and (out / "prim.png").is_file()
    limits = pd.read_csv(out / "limits.csv")
    assert set(limits["name"]) == {"us_troops", "reconciliation", "attack_rate"}
    # Mistakes: one line, status 2.
    for bad, text in (
        ("cumulative_deths>1", "did you mean 'cumulative_deaths'?"),
        ("is_held_areas>0", "give a month"),
    ):
        assert sa_main(["discover", str(sobol_study), "--outcome", bad]) == 2
        err = capsys.readouterr().err
        assert text in err and err.count("\n") == 1
    assert sa_main(["discover", str(tmp_path), "--outcome", "resurgence==1"]) == 2
    assert "not a batch folder" in capsys.readouterr().err


# ---- small Morris and OAT studies -------------------------------------------------------------


def test_small_morris_study_labels_every_name(tmp_path: Path) -> None:
    text = (
        STUDY.replace("method: sobol", "method: morris")
        .replace("n: 8", "n: 3\nlevels: 4")
        .replace('discover: ["cumulative_deaths > 4000"]', "")
    )
    path = _write(tmp_path / "morris.yaml", text)
    out = tmp_path / "run"
    assert (
        sa_main(["sensitivity", str(path), "--out", str(out), "--executor", "serial", "--quiet"])
        == 0
    )
    indices = pd.read_parquet(out / "sensitivity" / "indices.parquet")
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(indices.columns)
    assert len(pd.read_parquet(out / "sensitivity" / "outputs.parquet")) == 3 * (3 + 1)
    assert (out / "sensitivity" / "morris_cumulative_deaths.png").is_file()
    assert (out / "sensitivity" / "morris_over_time_incidents.png").is_file()


def test_small_oat_study_draws_a_tornado(tmp_path: Path) -> None:
    text = (
        STUDY.replace("method: sobol", "method: oat")
        .replace("n: 8", "n: 3")
        .replace('discover: ["cumulative_deaths > 4000"]', "")
    )
    path = _write(tmp_path / "oat.yaml", text)
    out = tmp_path / "run"
    assert (
        sa_main(["sensitivity", str(path), "--out", str(out), "--executor", "serial", "--quiet"])
        == 0
    )
    sens = out / "sensitivity"
    indices = pd.read_parquet(sens / "indices.parquet")
    deaths = indices[(indices["outcome"] == "cumulative_deaths") & indices["year"].isna()]
    outputs = pd.read_parquet(sens / "outputs.parquet")
    assert (deaths["baseline"] == outputs.loc[0, "cumulative_deaths"]).all()
    assert (deaths["swing"] == deaths["y_high"] - deaths["y_low"]).all()
    row = deaths.set_index("name").loc["attack_rate"]
    assert (row["low"], row["high"]) == (0.02, 0.1)
    assert len(pd.read_parquet(sens / "oat_curves.parquet")) == 3 * 3 * (3 + 2)
    assert (sens / "tornado_cumulative_deaths.png").is_file()
    assert (sens / "oat_over_time_incidents.png").is_file()


def test_small_lhs_study_runs_its_discovery(tmp_path: Path) -> None:
    text = (
        STUDY.replace("method: sobol", "method: lhs")
        .replace("n: 8", "n: 12")
        .replace("cumulative_deaths > 4000", "is_held_areas[3] > 0")
    )
    path = _write(tmp_path / "lhs.yaml", text)
    out = tmp_path / "run"
    args = ["sensitivity", str(path), "--out", str(out), "--executor", "serial", "--quiet"]
    assert sa_main(args) == 0
    sens = out / "sensitivity"
    assert not (sens / "indices.csv").exists()  # a Latin hypercube gives no indices
    assert len(pd.read_csv(sens / "outputs.csv")) == 12
    cases = pd.read_csv(sens / "discovery" / "is_held_areas_m3_gt_0" / "cases.csv")
    assert len(cases) == 12 and cases["holds"].dtype == bool


def test_morris_labels_never_overlap() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation, Text

    rng = np.random.default_rng(0)
    names = [f"parameter_{i:02d}" for i in range(16)]
    rows = pd.DataFrame(
        {
            "mu_star": np.r_[rng.uniform(0, 0.05, 12), [1.0, 0.9, 0.5, 0.52]],
            "sigma": np.r_[rng.uniform(0, 0.05, 12), [0.8, 0.85, 0.3, 0.31]],
            "mu_star_conf": 0.01,
        },
        index=names,
    )
    fig = plot_morris(rows, "test", "deaths")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # places the annotations' text
    renderer = canvas.get_renderer()
    labels = [a for a in fig.axes[0].texts if isinstance(a, Annotation)]
    assert sorted(a.get_text() for a in labels) == names
    boxes = [Text.get_window_extent(a, renderer) for a in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


# ---- PRIM -------------------------------------------------------------------------------------


def _cases(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(n, 4)), columns=["a", "b", "c", "d"])
    x["d"] = rng.integers(0, 4, n).astype(float)  # a whole-number dimension (ties)
    y = (x["a"] > 0.6) & (x["b"] < 0.3)
    return x, y.to_numpy()


def test_prim_finds_the_box_where_the_condition_holds() -> None:
    x, y = _cases()
    found = prim(x, y, bounds={c: (0, 1) if c != "d" else (0, 3) for c in x}, threshold=0.95)
    box = found.boxes.iloc[0]
    assert box["density"] >= 0.95 and box["coverage"] >= 0.95
    lim = found.limits.set_index("name")
    assert lim.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert lim.loc["b", "high"] == pytest.approx(0.3, abs=0.05)
    assert lim["restricted"].tolist() == [True, True, False, False]  # c and d play no part
    assert lim.loc["a", "qp"] < 1e-6
    traj = found.trajectory
    assert traj["mass"].is_monotonic_decreasing and traj["chosen"].sum() == 1
    assert traj.loc[0, "coverage"] == 1.0 and traj.loc[0, "res_dim"] == 0


def test_prim_peels_whole_numbers_and_pastes_and_covers() -> None:
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"k": rng.integers(0, 5, 1500).astype(float), "u": rng.uniform(size=1500)})
    y = ((x["k"] == 4) | (x["u"] > 0.9)).to_numpy()
    found = prim(x, y, alpha=0.1, threshold=0.95, max_boxes=2, paste=True)
    assert len(found.boxes) == 2  # two separate regions: k == 4, then u > 0.9 elsewhere
    first = found.limits[found.limits["box"] == 1].set_index("name")
    second = found.limits[found.limits["box"] == 2].set_index("name")
    regions = {
        (first.loc["k", "low"] == 4, second.loc["u", "low"] > 0.85),
        (second.loc["k", "low"] == 4, first.loc["u", "low"] > 0.85),
    }
    assert (True, True) in regions
    assert found.boxes["coverage"].sum() == pytest.approx(1.0, abs=0.05)


def test_conditions_read_summary_and_monthly_outcomes() -> None:
    c = parse_condition("resurgence==1")
    assert (c.outcome, c.op, c.value, c.month) == ("resurgence", "==", 1.0, None)
    m = parse_condition(" is_held_areas[36] >0 ", horizon=120)
    assert (
        m.text == "is_held_areas[36] > 0" and m.month == 36 and m.slug == "is_held_areas_m36_gt_0"
    )
    assert parse_condition("incidents[2019-04] >= 250").month == "2019-04"
    never = parse_condition("months_to_defeat > 12").holds(pd.Series([np.nan, 10.0, 13.0]))
    assert list(never) == [True, False, True]  # never defeated: later than any month
    for bad in ("resurgence = 1", "is_held_areas > 0", "resurgence[3] == 1", "defeat_month > 3"):
        with pytest.raises(ValueError):
            parse_condition(bad)
    with pytest.raises(ValueError, match="beyond the horizon"):
        parse_condition("is_held_areas[36] > 0", horizon=24)


def test_analysis_modules_do_not_import_mesa() -> None:
    code = "import sys, model.analysis.sensitivity, model.cli.sensitivity; print('mesa' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.strip() == "False"


def test_a_script_runs_at_its_small_size(tmp_path: Path) -> None:
    # The scripts use the public API; the OAT one is the quickest (13 runs).
    done = subprocess.run(
        [sys.executable, "scripts/oat_example.py", "--small", "--runs-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "cumulative_deaths (deaths), scenario value" in done.stdout
    (folder,) = tmp_path.iterdir()
    assert (folder / "sensitivity" / "tornado_cumulative_deaths.png").is_file()
