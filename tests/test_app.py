"""The app's work without a browser (``model.app.session``, ``charts``, ``server``), the
``stabsim app`` command, the DataCollector view and the map's shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.app.session import Edits, Replicates, ScenarioModel, scenario_files
from model.cli import main
from model.experiments.batches import plan_batch
from model.experiments.run import replicate_seed, run_model
from model.files.errors import ConfigError
from model.files.scenario import load_scenario
from model.files.uncertainty import uncertain_names

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline_historical.yaml"
HORIZON = 8


def _national(monthly: pd.DataFrame) -> pd.DataFrame:
    return monthly[monthly["level"] == "national"].reset_index(drop=True)


@pytest.fixture(scope="module")
def edits() -> Edits:
    return Edits.load(BASELINE).with_run(horizon=HORIZON)


def test_the_scenario_list_holds_scenarios_not_batches() -> None:
    names = [p.name for p in scenario_files(ROOT / "scenarios")]
    assert "baseline_historical.yaml" in names and "early_withdrawal.yaml" in names
    assert "demo_batch.yaml" not in names


def test_a_lever_changed_in_the_app_equals_the_change_in_yaml(edits: Edits, tmp_path) -> None:
    app = edits.set_lever("us_troops", 0).set_lever("aid", [("2017-04", 25.0), ("2017-07", 150.0)])
    model = ScenarioModel(scenario=app.scenario())
    model.run()
    in_app, _ = model.results()
    written = tmp_path / "by_hand.yaml"
    written.write_text(
        f"name: by_hand\nextends: {BASELINE}\nhorizon: {HORIZON}\n"
        "levers:\n  us_troops: 0\n  aid:\n"
        "    - {from: 2017-04, value: 25}\n    - {from: 2017-07, value: 150}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(written)
    in_yaml, _ = run_model(scenario, replicate_seed(scenario.seed, 0))
    pd.testing.assert_frame_equal(in_app, in_yaml)
    base, _ = run_model(edits.scenario(), replicate_seed(scenario.seed, 0))
    assert not np.allclose(_national(base)["incidents"], _national(in_app)["incidents"])


def test_save_as_scenario_writes_a_file_stabsim_run_accepts(edits: Edits, tmp_path) -> None:
    app = edits.set_lever("reconciliation", 0.8)
    path = tmp_path / "saved.yaml"
    saved = app.save(path)
    text = path.read_text(encoding="utf-8")
    assert "extends:" in text and "reconciliation: 0.8" in text
    assert saved.levers["reconciliation"].value_at("2018-01") == 0.8
    assert saved.levers["us_troops"] == load_scenario(BASELINE).levers["us_troops"]
    runs = tmp_path / "runs"
    assert main(["run", str(path), "--replicates", "1", "--runs-dir", str(runs), "--quiet"]) == 0
    from model.experiments.results import open_batch

    stored = open_batch(next(runs.glob("saved-*"))).monthly()
    model = ScenarioModel(scenario=app.scenario())
    model.run()
    mine = _national(model.results()[0])
    pd.testing.assert_frame_equal(
        _national(stored)[list(mine.columns)].reset_index(drop=True),
        mine.reset_index(drop=True),
        check_dtype=False,
    )
    with pytest.raises(ConfigError, match="exists"):
        app.save(path)
    with pytest.raises(ConfigError, match=r"\.yaml"):
        app.save(tmp_path / "saved.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs", "saved.yaml"]


def test_a_bad_lever_value_is_refused(edits: Edits) -> None:
    with pytest.raises(ConfigError, match="us_troops"):
        edits.set_lever("us_troops", -5)
    with pytest.raises(ConfigError, match="unknown lever"):
        edits.set_lever("us_trops", 0)
    # one dated point at the start is a constant
    assert edits.set_lever("aid", [("2017-04", 40.0)]).levers["aid"] == 40.0


def test_the_live_run_is_replicate_0_and_steps_month_by_month(edits: Edits) -> None:
    model = ScenarioModel(scenario=edits.scenario())
    assert model.t == 0 and model.national().empty
    areas = model.areas()
    assert {"name", "governorate", "lon", "lat", "is_share", "incidents"} <= set(areas.columns)
    model.step()
    model.step()
    assert model.month == "2017-05"
    view = model.national()
    assert list(view["month"].dt.strftime("%Y-%m")) == ["2017-04", "2017-05"]
    iraq = model.areas().query("country == 'IQ'")
    assert iraq["incidents"].sum() == pytest.approx(view["incidents"].iloc[-1])


def test_the_datacollector_view_reads_as_mesa_expects() -> None:
    from model.simulation.model import StabilizationModel

    model = StabilizationModel(horizon=4, seed=3, persons_per_agent=20000)
    dc = model.datacollector
    assert dc is model.datacollector
    assert dc.get_model_vars_dataframe().empty
    model.run()
    frame = dc.get_model_vars_dataframe()
    national = _national(model.results()[0])
    assert list(frame.index) == [0, 1, 2, 3]  # Mesa's step index
    for name in ("incidents", "idps", "stability", "us_troops"):
        assert np.allclose(frame[name].to_numpy(), national[name].to_numpy(), equal_nan=True)
    assert dc.model_reporters["idps"] == "persons"
    assert dc.model_vars["incidents"] == list(frame["incidents"])
    # what mesa.visualization's plot components do with it
    assert "Step" in frame.reset_index().rename(columns={"index": "Step"}).columns
    assert len(frame.loc[:, "incidents"]) == 4
    assert dc.get_agent_vars_dataframe().empty
    with pytest.raises(Exception, match="no tables"):
        dc.get_table_dataframe("x")


def test_mesa_plot_component_draws_the_view() -> None:
    pytest.importorskip("solara")
    matplotlib_components = pytest.importorskip(
        "mesa.visualization.components.matplotlib_components"
    )
    import solara

    model = ScenarioModel(scenario=Edits.load(BASELINE).with_run(horizon=3).scenario())
    model.run()
    make, page = matplotlib_components.make_mpl_plot_component("incidents")
    box, rc = solara.render(make(model), handle_error=False)
    assert page == 0 and rc is not None


def test_replicates_run_in_the_background(edits: Edits, tmp_path) -> None:
    job = Replicates(edits.set_lever("aid", 0), 2, runs_dir=tmp_path, workers=1).start()
    job.wait(120)
    assert job.error is None and not job.running
    assert job.progress() == job.total == 4
    res = job.results()
    assert res.counts() == {"ok": 4, "failed": 0, "missing": 0}
    assert list(res.scenarios) == ["baseline_historical", "edited"]
    with pytest.raises(ConfigError, match="replicates"):
        Replicates(edits, 0)


def test_a_small_ensemble_pairs_the_draws_and_seeds(tmp_path) -> None:
    from model.app.session import COVERS

    coarse = load_scenario(BASELINE).with_changes(
        horizon=3, parameters={"persons_per_agent": 20000}
    )
    edits = Edits(coarse).set_lever("aid", 0)
    job = Replicates(edits, 1, runs_dir=tmp_path, workers=1, draws=2).start()
    job.wait(120)
    assert job.error is None and job.progress() == job.total == 4
    res = job.results()
    assert res.counts() == {"ok": 4, "failed": 0, "missing": 0}
    status = res.status().set_index(["scenario", "replicate"])["seed"]
    summary = res.summary().set_index(["scenario", "replicate"])
    drawn = list(job.ensemble.names)
    assert drawn == list(uncertain_names())  # the registry's uncertain set
    for k in (0, 1):  # run k = draw k (one replicate per draw): the same in both scenarios
        assert (
            status["baseline_historical", k]
            == status["edited", k]
            == replicate_seed(coarse.seed, k)
        )
        pair = summary.loc[[("baseline_historical", k), ("edited", k)], ["draw", *drawn]]
        assert (pair.iloc[0] == pair.iloc[1]).all() and pair["draw"].iloc[0] == k
        assert list(pair.iloc[0, 1:]) == pytest.approx(job.ensemble.values[k])
    assert job.ensemble.draw(0) != job.ensemble.draw(1)
    # the stored runs are run_model on the drawn scenarios with those seeds
    stored = res.monthly(scenarios=["edited"])
    for k in (0, 1):
        direct, _ = run_model(
            job.ensemble.apply(edits.scenario(), k), replicate_seed(coarse.seed, k)
        )
        direct = _national(direct)
        mine = stored[stored["replicate"] == k].reset_index(drop=True)
        for name in ("incidents", "idps", "civilian_deaths", "stability"):
            np.testing.assert_array_equal(mine[name].to_numpy(), direct[name].to_numpy())
    ref = res.monthly(scenarios=["baseline_historical"])
    assert not np.array_equal(ref["incidents"].to_numpy(), stored["incidents"].to_numpy())
    # what the bands cover, in the caption and in the charts' titles
    assert COVERS["ensemble"] == "parameter draws and replicates"
    assert re.match(
        r"The runs span parameter draws and replicates: 2 draws of 135 parameters \(the "
        r"registry's uncertain parameters; kept from \d+ candidates for reproducing at least 10 "
        r"of the 14 calibration targets of 2017-04\) x 1 replicate = 2 runs per scenario\.",
        job.caption(),
    ), job.caption()
    plain = Replicates(edits, 3, runs_dir=tmp_path, workers=1)
    assert plain.ensemble is None and plain.total == 6
    assert plain.caption().startswith(
        "The runs span replicates only; parameters held at their values: 3 replicates per"
    )
    from model.analysis.compare import difference_chart, fan_grid

    assert "span parameters and replicates" in fan_grid(res, ["incidents"]).get_suptitle()
    title = difference_chart(res, outcomes=["incidents"]).get_suptitle()
    assert "same seeds and parameter draws" in title and "span parameters and replicates" in title
    with pytest.raises(ConfigError, match="draws"):
        Replicates(edits, 1, draws=51)
    with pytest.raises(ConfigError, match="runs per scenario"):
        Replicates(edits, 20, draws=30)


def test_a_scenario_with_its_own_uncertainty_keeps_it_in_the_app(tmp_path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text(
        f"name: own\nextends: {BASELINE}\nhorizon: 3\nparameters: {{persons_per_agent: 20000}}\n"
        "uncertainty:\n  draws: 5\n  parameters: [arrest_k]\n"
        "  schedules:\n    exit:\n      from: [2017-05, 2017-06]\n"
        "      set: {us_troops: [0, 2500]}\n      scenarios: [own]\n",
        encoding="utf-8",
    )
    edits = Edits.load(own).set_lever("aid", 0)
    job = Replicates(edits, 1, runs_dir=tmp_path, workers=1, draws=3)
    assert len(job.ensemble) == 3 and "the scenario's own uncertainty:" in job.caption()
    specs = {(s.scenario_name, s.replicate): s for s in plan_batch(job.batch).specs}
    for k in range(3):  # the schedule variable changes the edited copy too
        a, b = specs["own", k].scenario, specs["edited", k].scenario
        assert a.levers["us_troops"] == b.levers["us_troops"]
        assert a.parameters["arrest_k"] == b.parameters["arrest_k"]
    plain = Replicates(edits, 2, runs_dir=tmp_path, workers=1)
    assert plain.ensemble is None and "held at their values" in plain.caption()


def test_live_charts_have_units_and_dates(edits: Edits) -> None:
    from model.app.charts import live_charts, run_map

    model = ScenarioModel(scenario=edits.scenario())
    for _ in range(3):
        model.step()
    fig = live_charts(model.national(), model.start, model.horizon)
    texts = {t.get_text() for ax in fig.axes for t in [ax.title, ax.yaxis.label]}
    assert {"Incidents", "incidents per month", "persons"} <= texts
    fig.canvas.draw()
    labels = {t.get_text() for t in fig.axes[0].get_xticklabels()}
    assert "Apr 2017" in labels
    title = run_map(model.areas(), model.month).axes[0].get_title()
    assert "2017-06" in title and "IS control" in title


def test_the_map_shapes_are_natural_earth_with_their_source() -> None:
    from model.analysis.compare.geography import DATA, boundaries

    geo = json.loads(DATA.read_text(encoding="utf-8"))
    assert "public domain" in geo["source"]["licence"]
    assert "Natural Earth" in geo["source"]["data"]
    assert set(boundaries()["countries"]) == {"Iraq", "Syria"}
    assert len(geo["governorate_lines"]) > 20 and DATA.stat().st_size < 100_000


# ---- the command ------------------------------------------------------------------------------


def test_app_command_checks_its_target(capsys, tmp_path) -> None:
    assert main(["app", str(tmp_path / "none.yaml")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nlevers: {us_troop: 1}\n", encoding="utf-8")
    assert main(["app", str(bad)]) == 2
    assert "us_troops" in capsys.readouterr().err  # the suggestion for the typo
    assert main(["app", str(tmp_path)]) == 2  # a folder that is not a batch
    assert main(["app", "--port", "0"]) == 2


def test_app_command_says_what_to_install(monkeypatch, capsys) -> None:
    from model.cli import app

    monkeypatch.setattr(app, "missing_packages", lambda: ["solara"])
    assert main(["app"]) == 2
    assert ".[app]" in capsys.readouterr().err


def test_the_server_is_set_up_offline() -> None:
    from model.app.server import OFFLINE, environment, solara_arguments
    from model.cli.app import server_command

    env = environment("scenarios/baseline_historical.yaml", base={"PATH": "/bin"})
    assert env["SOLARA_ASSETS_PROXY"] == "True"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    assert Path(env["STABSIM_APP_TARGET"]).is_absolute()
    assert set(OFFLINE) <= set(env)
    args = solara_arguments(8765)
    assert args[:2] == ["run", "model.app.page"] and "--production" in args
    assert server_command(None, 8765, "127.0.0.1")[1:3] == ["-m", "model.app.server"]


def test_the_datacollector_benchmark_runs_quick(tmp_path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_app", ROOT / "benchmarks" / "bench_app.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n", encoding="utf-8")
    assert bench.main(["--quick", "--results", str(results)]) == 0
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n")
    for row in ("run_model (build + run + frames)", "build + run + view after every month"):
        assert re.search(rf"\| {re.escape(row)} \| \d+\.\d+ \|", text)
