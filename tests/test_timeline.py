"""Time-varying inputs (force schedules, deployments, dated events), area-event targets and the
conflict course of a run that starts without IS territory (the 2011 hindcast's needs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.cli import main
from model.experiments import scoring
from model.files.errors import ConfigError
from model.files.scenario import load_scenario
from model.files.targets import load_targets
from model.simulation import rules, timeline
from model.simulation.agents import CLANDESTINE, FORCES, HOLDING
from model.simulation.model import StabilizationModel

from .conftest import SCENARIOS

COARSE = {"persons_per_agent": 20000}


def _model(state, timeline, horizon=3):
    return StabilizationModel(
        initial_state=state, horizon=horizon, seed=1, timeline=timeline, **COARSE
    )


def _troops(m, f):
    groups = sum(float(g.strength[f]) for g in m.groups)
    return float(m.garrison[f].sum() + m.pool[f] + m.border_force[f]) + groups


def test_force_schedule_sets_the_national_strength(state):
    army, pmf = FORCES.index("ARMY"), FORCES.index("PMF")
    nan = np.nan
    m = _model(
        state,
        {"forces": {"ARMY": [nan, 40000.0, nan], "PMF": [nan, nan, 90000.0]}},
    )
    m.step()  # month 0: nothing scheduled
    before_army, before_pmf = _troops(m, army), _troops(m, pmf)
    share = m.garrison[army] / before_army
    m.t = 1
    timeline.step(m)  # month 1: the army scaled to 40,000 wherever it stands
    assert _troops(m, army) == pytest.approx(40000.0, rel=1e-9)
    assert np.allclose(m.garrison[army] / 40000.0, share)
    assert _troops(m, pmf) == pytest.approx(before_pmf)
    m.t = 2
    timeline.step(m)
    assert _troops(m, pmf) == pytest.approx(90000.0, rel=1e-9)


def test_deployment_moves_troops_between_garrison_and_pool(state):
    army = FORCES.index("ARMY")
    m = _model(state, {"deployments": {("A2", "ARMY"): [np.nan, 100.0, np.nan]}})
    a = m.aidx["A2"]
    m.step()
    garrison, total, pool = m.garrison[army, a], _troops(m, army), m.pool[army]
    m.t = 1
    timeline.step(m)
    assert m.garrison[army, a] == 100.0 and garrison > 100.0
    assert m.pool[army] == pytest.approx(pool + garrison - 100.0)
    assert _troops(m, army) == pytest.approx(total)  # moved to the pool, not lost


def test_events_change_fighters_legitimacy_hardship_control_and_leadership(state):
    events = (
        (1, "fighters", ("A1",), "all", 700.0),
        (1, "legitimacy", ("A1",), "sunni_arab", -0.2),
        (1, "grievance", ("A1",), "sunni_arab", 0.1),
        (1, "control", ("Y4",), "all", 0.9),
        (1, "leadership_loss", (), "all", 0.0),
    )
    m = _model(state, {"events": events})
    m.step()
    a, y = m.aidx["A1"], m.aidx["Y4"]
    fighters = int(m.F[:, a].sum())
    sa = (m.pop.group == 0) & (m.pop.loc == a)
    legit, hard = m.pop.legitimacy[sa].copy(), m.pop.hardship_base[sa].copy()
    lead, lost = m.leadership, m.leaders_lost
    m.t = 1  # apply month 1's events alone
    timeline.step(m)
    assert int(m.F[:, a].sum()) == fighters + 700
    assert np.allclose(m.pop.legitimacy[sa], np.clip(legit - 0.2, 0, 1))
    assert np.allclose(m.pop.hardship_base[sa], np.clip(hard + 0.1, 0, 1))
    assert m.is_share[y] == 0.9 and m.F[CLANDESTINE, y] == 0 and m.F[HOLDING, y] > 0
    assert m.leadership == pytest.approx(lead * (1 - m.p["leadership_loss_effect"]))
    assert m.leaders_lost == lost + 1


def test_a_scenario_without_timeline_is_unchanged(baseline, state):
    """The default timeline is empty: the run is the same with or without the empty inputs."""
    from model.experiments.run import build_model

    sc = baseline.with_changes(horizon=6, parameters=COARSE)
    a = build_model(sc, 3, state)
    b = StabilizationModel(
        start=sc.start,
        horizon=sc.horizon,
        levers=sc.lever_series(),
        initial_state=state,
        record_levels=sc.levels,
        seed=3,
        **sc.parameter_values(),
    )
    a.run()
    b.run()
    pd.testing.assert_frame_equal(a.results()[0], b.results()[0])


_SCENARIO = """name: t
extends: {base}
horizon: 6
forces:
  PMF: {{2017-04: 0, 2017-07: 50000}}
  COALITION_OTHER: 2000
deployments:
  A2:
    ARMY: [{{from: 2017-04, value: 3000}}, {{from: 2017-06, value: 500}}]
events:
  - {{month: 2017-05, kind: fighters, areas: [A1, A2], add: 300, note: "a prison break"}}
  - {{month: 2017-06, kind: legitimacy, group: sunni_arab, areas: A1, change: -0.1}}
  - {{month: 2017-06, kind: leadership_loss}}
"""


def test_scenario_file_round_trip_and_run(tmp_path, state):
    f = tmp_path / "t.yaml"
    f.write_text(_SCENARIO.format(base=SCENARIOS / "baseline_historical.yaml"))
    sc = load_scenario(f)
    assert sc.forces["PMF"].value_at("2017-08") == 50000
    assert sc.deployments["A2"]["ARMY"].value_at("2017-06") == 500
    assert [e.kind for e in sc.events] == ["fighters", "legitimacy", "leadership_loss"]
    tl = sc.timeline()
    assert tl["events"][0][:3] == (1, "fighters", ("A1", "A2"))
    assert tl["forces"]["COALITION_OTHER"].tolist() == [2000.0] * 6
    again = sc.with_changes(horizon=6)
    assert again.events == sc.events and again.forces == sc.forces
    from model.experiments.run import run_model

    monthly, summary = run_model(sc.with_changes(parameters=COARSE), 1, state)
    assert len(summary) == 1


@pytest.mark.parametrize(
    ("lines", "needle", "line"),
    [
        (
            "events:\n  - {month: 2017-05, kind: fightrs, areas: [A1], add: 3}\n",
            "did you mean 'fighters'",
            3,
        ),
        ("events:\n  - {month: 2017-05, kind: fighters, areas: [A1]}\n", "needs 'add'", 3),
        (
            "events:\n  - {month: 2017-05, kind: fighters, areas: [A11], add: 3}\n",
            "unknown area 'A11'",
            3,
        ),
        ("events:\n  - {month: 2017-13, kind: leadership_loss}\n", "2017-13", 3),
        (
            "events:\n  - {month: 2017-05, kind: control, areas: [Y1], share: 2}\n",
            "out of range",
            3,
        ),
        (
            "events:\n  - {month: 2017-05, kind: legitimacy, areas: [A1], group: suni_arab, change: -0.1}\n",
            "did you mean 'sunni_arab'",
            3,
        ),
        (
            "events:\n  - {month: 2017-05, kind: leadership_loss, areas: [A1]}\n",
            "unknown key of a 'leadership_loss' event 'areas'",
            3,
        ),
        ("events: 5\n", "expected a list of events", 2),
        ("forces:\n  ARMMY: 3\n", "did you mean 'ARMY'", 3),
        ("forces:\n  ARMY: -3\n", "out of range", 3),
        ("deployments:\n  A2:\n    ARMY: {2017-05: 1, 2017-04: 2}\n", "increasing date order", 4),
        ("deployments:\n  A22:\n    ARMY: 3\n", "did you mean 'A2'", 3),
    ],
)
def test_bad_timeline_gives_one_line_and_writes_nothing(tmp_path, capsys, lines, needle, line):
    f = tmp_path / "bad.yaml"
    f.write_text("name: bad\n" + lines)
    with pytest.raises(ConfigError) as e:
        load_scenario(f)
    msg = str(e.value)
    assert needle in msg and f"bad.yaml:{line}" in msg and "\n" not in msg
    runs = tmp_path / "runs"
    assert main(["run", str(f), "--runs-dir", str(runs), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err
    assert not runs.exists() or not any(runs.iterdir())


def _table(shares: dict[str, list[float]]) -> pd.DataFrame:
    months = pd.date_range("2013-10-01", periods=len(next(iter(shares.values()))), freq="MS")
    rows = [
        {"month": m, "level": "area", "unit": a, "is_share": v}
        for a, vals in shares.items()
        for m, v in zip(months, vals, strict=True)
    ]
    return pd.DataFrame(rows)


def test_area_event_targets_any_all_and_control(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(
        "targets:\n"
        "  - {id: any, kind: event, event: lost, areas: [N1, N2], observed: 2013-12, tolerance: 1, use: validation, source: x}\n"
        "  - {id: all, kind: event, event: lost, areas: [N1, N2], match: all, observed: 2013-12, tolerance: 1, use: validation, source: x}\n"
        "  - {id: low, kind: event, event: lost, area: N1, control: 0.2, observed: 2013-12, tolerance: 1, use: validation, source: x}\n"
        "  - {id: back, kind: event, event: retaken, area: N1, observed: 2013-12, tolerance: 1, use: validation, source: x}\n"
    )
    t = {x.id: x for x in load_targets([f])}
    table = _table({"N1": [0.0, 0.3, 0.6, 0.6, 0.0], "N2": [0.0, 0.0, 0.1, 0.7, 0.7]})
    month = {k: scoring.measure(v, table, pd.Series(dtype=float)) for k, v in t.items()}
    from model.files.months import month_str

    assert month_str(month["any"]) == "2013-12"  # N1 reaches majority control first
    assert month_str(month["all"]) == "2014-01"  # both held at 0.5 or more
    assert month_str(month["low"]) == "2013-11"  # lost at 20% control
    assert month_str(month["back"]) == "2014-02"


def test_bad_area_targets(tmp_path):
    f = tmp_path / "t.yaml"
    for body, needle in [
        (
            "{id: a, kind: event, event: lost, area: N1, areas: [N2], observed: 2014-01, tolerance: 1, use: validation, source: x}",
            "not both",
        ),
        (
            "{id: a, kind: event, event: lost, areas: [N1], match: some, observed: 2014-01, tolerance: 1, use: validation, source: x}",
            "any, all",
        ),
        (
            "{id: a, kind: event, event: lost, area: N1, control: 1.5, observed: 2014-01, tolerance: 1, use: validation, source: x}",
            "out of range",
        ),
    ]:
        f.write_text(f"targets:\n  - {body}\n")
        with pytest.raises(ConfigError) as e:
            load_targets([f])
        assert needle in str(e.value) and "t.yaml:2" in str(e.value)


def test_no_territorial_defeat_where_none_was_held():
    held = np.zeros(24)
    bd = np.full(24, 500.0)
    course = rules.conflict_course(held, bd, np.zeros(24, bool), 1000, 25, held_at_start=0)
    assert course.defeat is None and course.outcome == 1  # low-level conflict, not a defeat
    back = np.zeros(24, bool)
    back[18:] = True  # IS takes a governed area in month 18
    seized = held.copy()
    seized[18:] = 1
    course = rules.conflict_course(seized, bd, back, 1000, 25, held_at_start=0)
    assert course.relapse == 18 and course.outcome == 3 and course.defeat is None
    # a run that starts with territory and keeps it is "never defeated"
    course = rules.conflict_course(np.ones(24), bd, back, 1000, 25, held_at_start=3)
    assert course.outcome == 4


def test_hindcast_scenario_validates_on_its_own_targets(tmp_path, capsys):
    code = main(
        [
            "validate",
            str(SCENARIOS / "hindcast_2011.yaml"),
            "--replicates",
            "2",
            "--workers",
            "1",
            "--runs-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    (folder,) = tmp_path.iterdir()
    table = pd.read_csv(folder / "validation.csv")
    assert set(table["target"]) == {
        "ibc-civilian-deaths-2012",
        "ibc-civilian-deaths-2013",
        "ibc-civilian-deaths-2014",
        "fallujah-lost",
        "mosul-lost",
    }
    assert (table["use"] == "validation").all()
    assert (folder / "record.png").stat().st_size > 10_000
    summary_first = load_scenario(SCENARIOS / "hindcast_2011.yaml")
    assert summary_first.start == "2011-12"
