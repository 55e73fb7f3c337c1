"""Tests of scenario and batch files (model.files.scenario, .batch) and the `stabsim` commands."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from model import cli
from model.cli.common import is_user_error
from model.files.batch import Batch, load_any, load_batch
from model.files.errors import ConfigError
from model.files.months import month_range, parse_month
from model.files.scenario import Scenario, load_scenario
from model.files.schedules import Schedule
from model.simulation import outcomes
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY, markdown_table

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))


def _tree(folder: Path) -> set[str]:
    if not folder.exists():
        return set()
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ---- the scenario files -----------------------------------------------------------------------


def test_there_are_scenario_files():
    names = {p.name for p in SCENARIO_FILES}
    assert {
        "baseline_historical.yaml",
        "sustained_presence.yaml",
        "early_withdrawal.yaml",
        "military_only.yaml",
        "political_track.yaml",
        "havens_unchecked.yaml",
        "demo_batch.yaml",
    } <= names


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_scenario_file_validates(path, capsys):
    obj = load_any(path)
    assert isinstance(obj, Scenario | Batch)
    scenarios = obj.scenarios if isinstance(obj, Batch) else (obj,)
    for s in scenarios:
        assert s.description, f"{s.name} needs a description"
        for series in s.lever_series().values():
            assert series.shape == (s.horizon,)
            assert np.isfinite(series).all()
    assert cli.main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert obj.name in out


def test_baseline_schedules():
    s = load_scenario(SCENARIOS / "baseline_historical.yaml")
    assert (s.name, s.start, s.horizon, s.seed, s.replicates) == (
        "baseline_historical",
        "2017-04",
        120,
        20170401,
        20,
    )
    months = s.months
    troops = s.lever_series()["us_troops"]
    at = {m: troops[i] for i, m in enumerate(months)}
    assert at["2017-04"] == 5200
    assert at["2020-08"] == 5200
    assert at["2020-09"] == 3000
    assert at["2020-12"] == 3000
    assert at["2021-01"] == 2500
    assert at[months[-1]] == 2500
    ref = s.lever_series()["kurdish_referendum"]
    assert [months[i] for i in np.flatnonzero(ref)] == ["2017-09"]
    assert s.levers["us_troops"].value_at("2020-09") == 3000
    # every lever of the registry is present, defaults filled
    assert set(s.lever_series()) == set(LEVERS)
    assert set(s.parameter_values()) == set(PARAMETERS)


def test_extends_overrides_and_inherits():
    base = load_scenario(SCENARIOS / "baseline_historical.yaml")
    sus = load_scenario(SCENARIOS / "sustained_presence.yaml")
    mil = load_scenario(SCENARIOS / "military_only.yaml")
    pol = load_scenario(SCENARIOS / "political_track.yaml")
    # names and descriptions are not inherited
    assert sus.name == "sustained_presence" and sus.description != base.description
    # the child's schedule replaces the parent's
    assert (sus.lever_series()["us_troops"] == 5500).all()
    air = dict(zip(sus.months, sus.lever_series()["coalition_air"], strict=True))
    assert air["2018-12"] == 1.0 and air["2019-01"] == 0.7
    # everything else is inherited, through two levels for military_only
    assert sus.levers["reconciliation"] == base.levers["reconciliation"]
    assert (sus.seed, sus.horizon, sus.replicates) == (base.seed, base.horizon, base.replicates)
    assert mil.levers["coalition_air"] == sus.levers["coalition_air"]
    assert (mil.lever_series()["us_troops"] == 5500).all()
    assert mil.levers["family_policy"].value_at("2020-01") == 0.0  # "punish"
    assert mil.levers["syria_campaign"] == base.levers["syria_campaign"]
    fam = dict(zip(pol.months, pol.lever_series()["family_policy"], strict=True))
    assert fam["2017-12"] == 0.5 and fam["2018-01"] == 1.0


def test_demo_batch():
    b = load_batch(SCENARIOS / "demo_batch.yaml")
    assert b.name == "demo" and b.seed == 2017 and b.replicates == 2
    assert [s.name for s in b.scenarios] == [
        "baseline_historical",
        "sustained_presence",
        "early_withdrawal",
        "military_only",
        "political_track",
        "havens_unchecked",
        "withdrawal_timing",
    ]
    # over an ensemble: 20 parameter draws x 2 replicates per scenario
    assert b.uncertainty["draws"] == 20
    assert b.runs == 7 * 20 * 2
    assert b.scenario("military_only").replicates == 2


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def test_deep_merge_initial_and_levers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the project folder: references may point anywhere below it
    (tmp_path / "data2011").mkdir()
    for csv in (ROOT / "model" / "data").glob("*.csv"):  # data files are checked on loading
        shutil.copy(csv, tmp_path / "data2011")
    _write(
        tmp_path,
        {
            "parent.yaml": (
                "start: 2011-01\nhorizon: 24\nseed: 5\n"
                "levers:\n  aid: 10\n  us_troops: {2011-01: 40000}\n"
                "parameters:\n  arrest_k: 3.0\n"
                "initial:\n  data: data2011\n  areas: {N2: {is_share: 0.5}, N3: {is_share: 0.1}}\n"
                "  forces: {PMF: {strength: 80000}}\n"
            ),
            "sub/child.yaml": (
                "extends: ../parent.yaml\nreplicates: 3\n"
                "levers:\n  us_troops: [{from: 2011-06, value: 1000}]\n"
                "parameters:\n  op_max_concurrent: 3\n"
                "initial:\n  areas: {N2: {is_fighters: 2500}}\n"
                "outcomes: [incidents, stability]\nlevels: [national]\n"
            ),
        },
    )
    with pytest.raises(ConfigError, match=r"parent\.yaml:6: levers\.us_troops"):
        load_scenario(tmp_path / "parent.yaml")  # 40000 troops is out of range
    (tmp_path / "parent.yaml").write_text(
        (tmp_path / "parent.yaml").read_text().replace("40000", "4000")
    )
    s = load_scenario(tmp_path / "sub" / "child.yaml")
    assert s.name == "child" and s.start == "2011-01" and s.horizon == 24 and s.seed == 5
    assert s.replicates == 3
    assert dict(s.parameters) == {"arrest_k": 3.0, "op_max_concurrent": 3}
    assert s.parameter_values()["op_max_concurrent"] == 3
    assert isinstance(s.parameter_values()["op_max_concurrent"], int)
    assert s.levers["aid"].value_at("2011-01") == 10
    troops = s.lever_series()["us_troops"]
    assert troops[0] == REGISTRY["us_troops"].default  # before the child's first point
    assert troops[5] == 1000
    assert s.initial_data == str((tmp_path / "data2011").resolve())
    assert {k: dict(v) for k, v in s.initial_areas.items()} == {
        "N2": {"is_share": 0.5, "is_fighters": 2500},
        "N3": {"is_share": 0.1},
    }
    assert dict(s.initial_forces["PMF"]) == {"strength": 80000}
    assert s.outcomes == ("incidents", "stability")
    assert s.levels == ("national",)


def test_defaults_and_dates(tmp_path):
    _write(tmp_path, {"My Scenario.yaml": "start: 2017-06-15\n"})
    s = load_scenario(tmp_path / "My Scenario.yaml")
    assert s.name == "my_scenario"
    assert (s.start, s.horizon, s.seed, s.replicates) == ("2017-06", 120, 0, 10)
    assert s.outcomes == outcomes.MONTHLY_NAMES
    assert s.levels == ("national", "governorate")
    assert not s.levers and not s.parameters
    assert s.end == "2027-05"
    assert month_range("2017-11", 3) == ["2017-11", "2017-12", "2018-01"]
    assert parse_month("2017-4") == "2017-04"
    with pytest.raises(ValueError):
        parse_month("2017-13")


def test_inline_batch_scenarios_and_override(tmp_path):
    _write(
        tmp_path,
        {
            "base.yaml": "name: base\nreplicates: 7\nlevers: {us_troops: 3000}\n",
            "b.yaml": (
                "batch: t\nseed: 9\nscenarios:\n  - base.yaml\n"
                "  - {name: none, extends: base.yaml, levers: {us_troops: 0}}\n"
            ),
            "c.yaml": "batch: t2\nreplicates: 2\nscenarios: [base.yaml]\n",
        },
    )
    b = load_batch(tmp_path / "b.yaml")
    assert b.replicates is None and b.runs == 14
    assert b.scenario("none").levers["us_troops"].value_at("2020-01") == 0
    assert b.scenario("none").path is None
    assert load_batch(tmp_path / "c.yaml").scenarios[0].replicates == 2
    assert isinstance(load_any(tmp_path / "b.yaml"), Batch)
    assert isinstance(load_any(tmp_path / "base.yaml"), Scenario)


def test_schedule_semantics():
    s = Schedule((("2017-04", 1.0), ("2018-01", 0.5)), default=0.9)
    assert s.value_at("2017-03") == 0.9
    assert s.value_at("2017-04") == 1.0
    assert s.value_at("2017-12") == 1.0
    assert s.value_at("2018-01") == 0.5
    assert list(s.series("2017-03", 12, default=0.2)) == [0.2] + [1.0] * 9 + [0.5, 0.5]
    assert Schedule.constant(3.0).value_at("1990-01") == 3.0
    with pytest.raises(ValueError):
        Schedule((("2018-01", 1.0), ("2017-01", 2.0)))


def test_with_changes_to_dict_and_pickle(tmp_path):
    s = load_scenario(SCENARIOS / "political_track.yaml")
    c = s.with_changes(replicates=3, horizon=12, parameters={"arrest_k": 3.0}, levers={"aid": 50})
    assert (c.replicates, c.horizon, c.parameters["arrest_k"]) == (3, 12, 3.0)
    assert c.levers["aid"].value_at("2017-04") == 50
    assert c.levers["family_policy"] == s.levers["family_policy"]
    assert s.replicates == 20  # the original is unchanged
    with pytest.raises(ConfigError, match="did you mean 'arrest_k'"):
        s.with_changes(parameters={"arest_k": 1})
    with pytest.raises(ConfigError, match="out of range"):
        s.with_changes(horizon=0)
    # to_dict round-trips through a YAML file
    target = tmp_path / "political_track.yaml"
    target.write_text(yaml.safe_dump(s.to_dict(), sort_keys=False))
    again = load_scenario(target)
    assert again.to_dict() == s.to_dict()
    full = s.to_dict(full=True)
    assert set(full["levers"]) == set(LEVERS) and set(full["parameters"]) == set(PARAMETERS)
    assert pickle.loads(pickle.dumps(s)) == s
    b = load_batch(SCENARIOS / "demo_batch.yaml")
    assert pickle.loads(pickle.dumps(b)) == b
    with pytest.raises((AttributeError, TypeError)):
        s.levers["aid"] = Schedule.constant(1.0)  # type: ignore[index]


# ---- bad input: one clear line, nothing written -----------------------------------------------

# (id, files, file checked, file named in the error, line, key path, text, suggestion)
BAD = [
    ("unknown-top-key", {"s.yaml": "name: x\nhorizn: 12\n"}, "s.yaml", "s.yaml", 2, "horizn",
     "unknown key", "horizon"),
    ("unknown-lever", {"s.yaml": "levers:\n  aid: 3\n  us_troop: 5\n"}, "s.yaml", "s.yaml", 3,
     "levers.us_troop", "unknown lever", "us_troops"),
    ("unknown-parameter", {"s.yaml": "parameters:\n  arest_k: 2\n"}, "s.yaml", "s.yaml", 2,
     "parameters.arest_k", "unknown parameter", "arrest_k"),
    ("unknown-outcome", {"s.yaml": "outcomes:\n  - incidents\n  - stabilty\n"}, "s.yaml", "s.yaml",
     3, "outcomes[1]", "unknown outcome", "stability"),
    ("unknown-level", {"s.yaml": "levels: [nationl]\n"}, "s.yaml", "s.yaml", 1, "levels[0]",
     "unknown level", "national"),
    ("unknown-choice", {"s.yaml": "levers:\n  family_policy: punsh\n"}, "s.yaml", "s.yaml", 2,
     "levers.family_policy", "unknown choice", "punish"),
    ("wrong-type-text", {"s.yaml": "horizon: five\n"}, "s.yaml", "s.yaml", 1, "horizon",
     "expected a number", None),
    ("wrong-type-list", {"s.yaml": "parameters:\n  arrest_k: [1, 2]\n"}, "s.yaml", "s.yaml", 2,
     "parameters.arrest_k", "got a list", None),
    ("out-of-range", {"s.yaml": "levers:\n  us_troops:\n    - {from: 2017-04, value: 5200}\n"
     "    - {from: 2018-01, value: 50000}\n"}, "s.yaml", "s.yaml", 4, "levers.us_troops[1].value",
     "0 - 20000 (troops)", None),
    ("not-whole", {"s.yaml": "parameters:\n  op_max_concurrent: 2.5\n"}, "s.yaml", "s.yaml", 2,
     "parameters.op_max_concurrent", "not a whole number", None),
    ("bad-month-13", {"s.yaml": "start: 2017-13\n"}, "s.yaml", "s.yaml", 1, "start",
     "month 13 does not exist", None),
    ("bad-month-words", {"s.yaml": "name: x\nstart: April 2017\n"}, "s.yaml", "s.yaml", 2, "start",
     "YYYY-MM", None),
    ("schedule-order", {"s.yaml": "levers:\n  us_troops:\n    - {from: 2018-01, value: 1}\n"
     "    - {from: 2017-01, value: 2}\n"}, "s.yaml", "s.yaml", 4, "levers.us_troops[1].from",
     "increasing date order", None),
    ("schedule-duplicate", {"s.yaml": "levers:\n  coalition_air:\n    2017-04: 1.0\n"
     "    2017-04-01: 0.5\n"}, "s.yaml", "s.yaml", 4, "levers.coalition_air.2017-04",
     "given twice", None),
    ("point-typo", {"s.yaml": "levers:\n  aid:\n    - {form: 2017-04, value: 1}\n"}, "s.yaml",
     "s.yaml", 3, "levers.aid[0].form", "unknown key", "from"),
    ("point-missing-value", {"s.yaml": "levers:\n  aid:\n    - from: 2017-04\n"}, "s.yaml",
     "s.yaml", 3, "levers.aid[0]", "missing required key 'value'", None),
    ("lever-under-parameters", {"s.yaml": "parameters:\n  us_troops: 3000\n"}, "s.yaml", "s.yaml",
     2, "parameters.us_troops", "us_troops is a lever: put it under levers:", None),
    ("parameter-under-levers", {"s.yaml": "levers:\n  arrest_k: 3\n"}, "s.yaml", "s.yaml", 2,
     "levers.arrest_k", "put it under parameters:", None),
    ("negative-seed", {"s.yaml": "seed: -1\n"}, "s.yaml", "s.yaml", 1, "seed", "out of range",
     None),
    ("extends-cycle", {"a.yaml": "extends: b.yaml\n", "b.yaml": "name: b\nextends: a.yaml\n"},
     "a.yaml", "b.yaml", 2, "extends", "cycle: a.yaml -> b.yaml -> a.yaml", None),
    ("extends-missing", {"s.yaml": "name: x\nextends: nothere.yaml\n"}, "s.yaml", "s.yaml", 2,
     "extends", "file not found", None),
    ("error-in-parent", {"p.yaml": "name: p\nlevers:\n  aid: 900\n",
     "c.yaml": "extends: p.yaml\nlevers:\n  reconciliation: 0.5\n"}, "c.yaml", "p.yaml", 3,
     "levers.aid", "out of range", None),
    ("initial-data-missing", {"s.yaml": "initial:\n  data: ../data/iraq_2011\n"}, "s.yaml",
     "s.yaml", 2, "initial.data", "directory not found", None),
    ("initial-typo", {"s.yaml": "initial:\n  area: {N2: {is_share: 0.5}}\n"}, "s.yaml", "s.yaml",
     2, "initial.area", "unknown key", "areas"),
    ("duplicate-key", {"s.yaml": "horizon: 10\nseed: 1\nhorizon: 12\n"}, "s.yaml", "s.yaml", 3,
     "horizon", "duplicate key", None),
    ("yaml-syntax", {"s.yaml": "name: x\nlevers: [1, 2\n"}, "s.yaml", "s.yaml", 3, None,
     "YAML syntax error", None),
    ("yaml-tab", {"s.yaml": "name: x\n\thorizon: 3\n"}, "s.yaml", "s.yaml", 2, None,
     "YAML syntax error", None),
    ("empty-file", {"s.yaml": "# nothing yet\n"}, "s.yaml", "s.yaml", None, None, "empty", None),
    ("top-level-list", {"s.yaml": "- name: x\n- horizon: 3\n"}, "s.yaml", "s.yaml", 1, None,
     "must be a mapping", None),
    ("missing-file", {}, "s.yaml", "s.yaml", None, None, "file not found", None),
    ("batch-inline-no-name", {"b.yaml": "batch: t\nscenarios:\n  - {extends: p.yaml}\n",
     "p.yaml": "name: p\n"}, "b.yaml", "b.yaml", 3, "scenarios[0]",
     "missing required key 'name'", None),
    ("batch-inline-error", {"b.yaml": "batch: t\nscenarios:\n  - p.yaml\n"
     "  - {name: q, extends: p.yaml, levers: {us_troops: -1}}\n", "p.yaml": "name: p\n"}, "b.yaml",
     "b.yaml", 4, "scenarios[1].levers.us_troops", "out of range", None),
    ("batch-missing-scenario", {"b.yaml": "batch: t\nscenarios:\n  - p.yaml\n  - q.yaml\n",
     "p.yaml": "name: p\n"}, "b.yaml", "b.yaml", 4, "scenarios[1]", "file not found", None),
    ("batch-duplicate-names", {"b.yaml": "batch: t\nscenarios: [p.yaml, p.yaml]\n",
     "p.yaml": "name: p\n"}, "b.yaml", "b.yaml", 2, "scenarios[1]", "used twice", None),
    ("batch-typo", {"b.yaml": "batch: t\nscenario: [p.yaml]\n"}, "b.yaml", "b.yaml", 2,
     "scenario", "unknown key", "scenarios"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "checked", "named", "line", "key", "text", "suggestion"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD],
)
def test_bad_input_gives_one_clear_line(
    tmp_path, capsys, files, checked, named, line, key, text, suggestion
):
    _write(tmp_path, files)
    before, runs_before = _tree(tmp_path), _tree(ROOT / "runs")
    path = tmp_path / checked
    assert cli.main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    msg = lines[0]
    assert msg.startswith("stabsim: error: ")
    where = str(tmp_path / named) + (f":{line}: " if line else ": ")
    assert where in msg, msg
    if key:
        assert f"{where}{key}: " in msg, msg
    assert text in msg, msg
    if suggestion:
        assert msg.endswith(f"did you mean '{suggestion}'?"), msg
    assert "Traceback" not in err
    assert _tree(tmp_path) == before, "loading must not write files"
    assert _tree(ROOT / "runs") == runs_before


def test_enough_distinct_bad_cases():
    assert len({case[0] for case in BAD}) == len(BAD) >= 15


def test_config_error_fields(tmp_path):
    _write(tmp_path, {"s.yaml": "levers:\n  us_troop: 5\n"})
    with pytest.raises(ConfigError) as info:
        load_scenario(tmp_path / "s.yaml")
    e = info.value
    assert (e.file, e.line, e.key, e.suggestion) == (
        str(tmp_path / "s.yaml"),
        2,
        "levers.us_troop",
        "us_troops",
    )
    assert "us_troops" in e.allowed and e.message.startswith("unknown lever")
    assert str(pickle.loads(pickle.dumps(e))) == str(e)


def test_check_reports_every_bad_file(tmp_path, capsys):
    _write(tmp_path, {"a.yaml": "horizon: 0\n", "b.yaml": "seed: x\n", "c.yaml": "name: c\n"})
    paths = [str(tmp_path / n) for n in ("a.yaml", "b.yaml", "c.yaml")]
    assert cli.main(["check", *paths]) == 2
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 2
    assert "scenario c" in out


# ---- the command shell ------------------------------------------------------------------------


def test_params_lists_every_registry_name(capsys):
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    names = {line.split()[0] for line in out.splitlines()[2:] if line.strip()}
    assert names == set(REGISTRY)


def test_params_kind_filter(capsys):
    assert cli.main(["params", "--kind", "lever"]) == 0
    out = capsys.readouterr().out
    names = {line.split()[0] for line in out.splitlines()[2:] if line.strip()}
    assert names == {n for n, p in REGISTRY.items() if p.kind == "lever"}


def test_params_markdown_is_markdown_table(capsys):
    assert cli.main(["params", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown_table()


def test_docs_parameters_md_is_current():
    page = ROOT / "docs" / "parameters.md"
    assert page.exists(), "docs/parameters.md is missing: run `make docs`"
    assert page.read_text() == markdown_table(), (
        "docs/parameters.md is stale (the registry changed): regenerate it with `make docs`"
    )


def test_demo_lists_the_batch(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(["demo", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("baseline_historical", "havens_unchecked", "us_troops", "syria_campaign"):
        assert name in out
    assert "120" in out


def test_demo_default_works_from_elsewhere(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--list"]) == 0
    assert "political_track" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())  # listing writes nothing


def test_demo_runs_the_batch_and_writes_its_report(tmp_path, capsys):
    code = cli.main(
        [
            "demo",
            "--replicates",
            "1",
            "--horizon",
            "6",
            "--workers",
            "1",
            "--runs-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("demo-") and (folder / "manifest.json").exists()
    out = capsys.readouterr().out
    assert "batch stored in" in out and "report:" in out
    assert (folder / "compare" / "report.html").exists()


def test_usage_errors_return_2(capsys):
    assert cli.main([]) == 2
    assert cli.main(["nonsense"]) == 2
    capsys.readouterr()


def test_data_error_is_a_user_error(monkeypatch):
    class DataError(Exception):
        pass

    fake = type(sys)("model.data")
    fake.DataError = DataError
    monkeypatch.setitem(sys.modules, "model.data", fake)
    assert is_user_error(DataError("bad file"))
    assert not is_user_error(RuntimeError("bug"))


def test_python_dash_m(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "model", "check", str(SCENARIOS / "havens_unchecked.yaml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "havens_unchecked" in run.stdout
