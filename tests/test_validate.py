"""Validation and calibration: targets, measurement, the commands' outputs, recovery of a
synthetic target."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from model.cli import main
from model.experiments import scoring
from model.experiments.run import replicate_seed, run_model
from model.files.errors import ConfigError
from model.files.months import month_str
from model.files.targets import load_targets

from .conftest import SCENARIOS


def test_packaged_targets_load_and_cite_sources():
    import yaml

    targets = load_targets()
    assert {"mosul-west-retaken", "territorial-defeat-iraq", "baghouz-lost"} <= {
        t.id for t in targets
    }
    refs = {
        e["id"]
        for e in yaml.safe_load((SCENARIOS.parent / "seeds" / "references.yaml").read_text())
    }
    assert all(t.source in refs for t in targets)
    assert {t.use for t in targets} == {"calibration", "validation", "plausibility"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "targets:\n  - {id: a, kind: evnt, observed: 2017-07, tolerance: 1, use: calibration, source: x}\n",
            "did you mean 'event'",
        ),
        (
            "targets:\n  - {id: a, kind: event, event: retaken, observed: 2017-13, tolerance: 1, use: calibration, source: x, area: N2}\n",
            "not a month",
        ),
        (
            "targets:\n  - {id: a, kind: level, outcome: incidnets, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n",
            "did you mean 'incidents'",
        ),
        (
            "targets:\n  - {id: a, kind: event, event: retaken, observed: 2017-07, tolerance: 1, use: calibration, source: x}\n",
            "needs an area",
        ),
        (
            "targets:\n  - {id: a, kind: level, outcome: idps, period: [2019-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n",
            "ends before it starts",
        ),
    ],
)
def test_bad_target_files_give_one_clear_error(tmp_path, text, needle):
    f = tmp_path / "t.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_targets([f])
    msg = str(e.value)
    assert needle in msg and "t.yaml:2" in msg and "\n" not in msg


def _runs(scenario, n, state):
    sc = scoring.prepare(scenario, load_targets())
    return [
        (m, s.iloc[0])
        for m, s in (run_model(sc, replicate_seed(sc.seed, r), state) for r in range(n))
    ]


def test_measurements_from_tables(baseline, state):
    ((monthly, summary),) = _runs(
        baseline.with_changes(horizon=30, parameters={"persons_per_agent": 20000}), 1, state
    )
    targets = {t.id: t for t in load_targets()}
    mosul = scoring.measure(targets["mosul-west-retaken"], monthly, summary)
    assert month_str(mosul) == pd.Timestamp(
        monthly.loc[
            (monthly.level == "area") & (monthly.unit == "N2") & (monthly.is_held_areas == 0),
            "month",
        ].min()
    ).strftime("%Y-%m")
    defeat = scoring.measure(targets["territorial-defeat-iraq"], monthly, summary)
    assert month_str(defeat) == pd.Timestamp(summary["defeat_month"]).strftime("%Y-%m")
    idps = scoring.measure(targets["idps-end-2018"], monthly, summary)
    assert (
        idps
        == monthly.loc[
            (monthly.level == "national") & (monthly.month == "2018-12-01"), "idps"
        ].iloc[0]
    )
    ratio = scoring.measure(targets["idps-2018-over-2019"], monthly, summary)
    assert ratio > 1


def test_rank_target(baseline, state, tmp_path):
    f = tmp_path / "rank.yaml"
    f.write_text(
        "targets:\n  - {id: pop-rank, kind: rank, outcome: population, level: governorate, period: [2017-04, 2017-06], observed: [Baghdad, Nineveh, Basra, Muthanna], tolerance: 0.8, use: validation, source: P2}\n"
    )
    (t,) = load_targets([f])
    run = run_model(
        baseline.with_changes(horizon=3, parameters={"persons_per_agent": 20000}), 1, state
    )
    rho = scoring.measure(t, run[0], run[1].iloc[0])
    assert rho == pytest.approx(1.0)


def test_validate_command_writes_report_and_exits_zero(tmp_path, capsys):
    code = main(
        [
            "validate",
            str(SCENARIOS / "baseline_historical.yaml"),
            "--replicates",
            "2",
            "--workers",
            "1",
            "--runs-dir",
            str(tmp_path),
            "--draws",
            "2",
            "--quiet",
        ]
    )
    assert code == 0
    (folder,) = tmp_path.iterdir()
    table = pd.read_csv(folder / "validation.csv")
    assert {"target", "observed", "model_median", "model_90", "passed", "use", "source"} <= set(
        table.columns
    )
    from model.files.scenario import load_scenario

    baseline = load_scenario(SCENARIOS / "baseline_historical.yaml")
    assert len(table) == len([t for t in load_targets() if t.applies_to(baseline)])
    assert (folder / "validation.png").stat().st_size > 10_000
    score = json.loads((folder / "score.json").read_text())
    assert set(score) == {"calibration", "validation", "plausibility", "all"}
    out = capsys.readouterr().out
    assert "mosul-west-retaken" in out and "targets within tolerance" in out


def test_calibration_recovers_a_synthetic_target(baseline, state, tmp_path, capsys, monkeypatch):
    """Targets generated by the model at a known value; calibration must lower the loss."""
    monkeypatch.chdir(tmp_path)  # the project folder: the calibrated file extends ../../start.yaml
    truth = {"return_rate": 0.12}
    sc = baseline.with_changes(horizon=24, parameters={"persons_per_agent": 20000})
    monthly, _ = run_model(sc.with_changes(parameters=truth), replicate_seed(sc.seed, 0), state)
    nat = monthly[monthly.level == "national"].set_index("month")
    f = tmp_path / "synthetic.yaml"
    f.write_text(
        "targets:\n"
        f"  - {{id: idps-2018, kind: level, outcome: idps, period: [2018-06, 2018-06], observed: {nat.loc['2018-06-01', 'idps']:.0f}, tolerance: 0.05, use: calibration, source: synthetic}}\n"
        f"  - {{id: idps-2019, kind: level, outcome: idps, period: [2019-03, 2019-03], observed: {nat.loc['2019-03-01', 'idps']:.0f}, tolerance: 0.05, use: calibration, source: synthetic}}\n"
    )
    scenario_file = tmp_path / "start.yaml"
    scenario_file.write_text(
        f"name: start\nextends: {SCENARIOS / 'baseline_historical.yaml'}\nparameters: {{persons_per_agent: 20000, return_rate: 0.02}}\n"
    )
    code = main([
        "calibrate", str(scenario_file), "--parameters", "return_rate", "--targets", str(f),
        "--samples", "8", "--replicates", "1", "--accept", "0.25", "--workers", "1", "--runs-dir", str(tmp_path / "runs"), "--quiet",
    ])  # fmt: skip
    assert code == 0
    (folder,) = (tmp_path / "runs").iterdir()
    info = json.loads((folder / "calibration.json").read_text())
    assert info["best_loss"] < info["start_loss"]
    assert abs(info["best"]["return_rate"] - truth["return_rate"]) < abs(
        0.02 - truth["return_rate"]
    )
    samples = pd.read_csv(folder / "samples.csv")
    assert len(samples) == 8 and samples["accepted"].sum() == 2
    assert (folder / "loss.png").exists()
    from model.files.scenario import load_scenario

    written = load_scenario(folder / "start_calibrated.yaml")
    assert written.parameters["return_rate"] == pytest.approx(
        info["posterior_median"]["return_rate"]
    )
