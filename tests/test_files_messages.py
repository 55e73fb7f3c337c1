"""Every mistake in a user file reads as one exact line (scenario, batch, design, study, targets).

The expected lines are those of the file readers; ``<tmp>`` stands for the test's folder and
``<B>`` for the baseline scenario. A mistake is reported where it is written: the first one in
document order when a file has several.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from model.experiments.design import parse_design
from model.files.batch import load_any, load_batch
from model.files.conditions import parse_condition
from model.files.scenario import load_scenario
from model.files.study import load_study, study_from_dict
from model.files.targets import load_targets
from model.simulation.outcomes import MONTHLY_NAMES as _MONTHLY_NAMES
from model.simulation.parameters import LEVERS as _ALL_LEVERS
from model.simulation.parameters import PARAMETERS as _PARAMETERS

# registry-derived parts of the messages (they grow with the registry and the catalogue)
_NP = len(_PARAMETERS)
_NO = len(_MONTHLY_NAMES)
_LEVERS = ", ".join(_ALL_LEVERS)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "baseline_historical.yaml")
S = "s.yaml"
P = {"p.yaml": "name: p\n"}
STUDY = (
    "study: st\ndescription: A study.\nscenario: <B>\nmethod: sobol\nn: 8\nseed: 11\nhorizon: 24\n"
    "parameters:\n  persons_per_agent: 20000\nvary:\n  us_troops: null\n  reconciliation: null\n"
    "  attack_rate: [0.02, 0.1]\noutcomes: [cumulative_deaths, incidents]\n"
    'discover: ["cumulative_deaths > 4000"]\n'
)
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcde", "bcdef", strict=True)
    )
    + "g: [*f, *f]\n"
)
_101 = "[" + ", ".join(str(i) for i in range(101)) + "]"
_99 = "[" + ", ".join(f"{1 + 0.03 * i:.2f}" for i in range(99)) + "]"
HUGE = f"{{kind: grid, levers: {{us_troops: {_101}, aid: {_101}}}, vary: {{arrest_k: {_99}}}}}"


def CASE(id: str, kind: str, files: dict, arg: Any, expected: str) -> Any:  # noqa: N802
    return pytest.param(kind, files, arg, expected, id=id)


def SC(id: str, text: str, expected: str) -> Any:  # noqa: N802
    return CASE(id, "scenario", {S: text}, S, expected)


def DS(id: str, design: str, expected: str) -> Any:  # noqa: N802
    text = f"batch: t\nseed: 3\nscenarios:\n  - p.yaml\n\n\ndesign: {design}\n"
    return CASE(id, "design", {"d.yaml": text, **P}, "d.yaml", expected)


def DSB(id: str, body: str, expected: str) -> Any:  # noqa: N802
    text = "batch: t\nseed: 3\nscenarios:\n  - p.yaml\ndesign:\n" + body
    return CASE(id, "design", {"d.yaml": text, **P}, "d.yaml", expected)


def ST(id: str, old: str, new: str, *rest: Any) -> Any:  # noqa: N802
    *extra, expected = rest
    assert old in STUDY, old
    files = {"st.yaml": STUDY.replace(old, new, 1), **(extra[0] if extra else {})}
    return CASE(id, "study", files, "st.yaml", expected)


def TG(id: str, text: str, expected: str) -> Any:  # noqa: N802
    return CASE(id, "targets", {"t.yaml": text}, "t.yaml", expected)


def CHANGE(id: str, changes: dict, expected: str) -> Any:  # noqa: N802
    return CASE(id, "change", {}, changes, expected)


def COND(id: str, text: Any, expected: str) -> Any:  # noqa: N802
    return CASE(id, "condition", {}, text, expected)


CASES = [
    CASE('read-missing', 'scenario', {}, 's.yaml', 'ConfigError: s.yaml: file not found (<tmp>/s.yaml)'),
    CASE('read-dir', 'scenario', {'s.yaml': None}, 's.yaml', 'ConfigError: s.yaml: is a directory, not a YAML file'),
    CASE('read-utf8', 'scenario', {'s.yaml': b'name: \xff\xfe\n'}, 's.yaml', 'ConfigError: s.yaml:1: not UTF-8 text (invalid start byte)'),
    SC('read-empty', '# nothing\n', "ConfigError: s.yaml: file is empty; allowed: a mapping of keys, e.g. 'name: my_scenario' (see docs/scenarios.md)"),
    SC('read-syntax', 'name: x\nlevers: [1, 2\n', "ConfigError: s.yaml:3: YAML syntax error: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'"),
    SC('read-list', '- a\n- b\n', "ConfigError: s.yaml:1: the top level must be a mapping of keys, got a list; allowed: 'key: value' lines (see docs/scenarios.md)"),
    SC('read-scalar', 'hello\n', "ConfigError: s.yaml:1: the top level must be a mapping of keys, got 'hello'; allowed: 'key: value' lines (see docs/scenarios.md)"),
    SC('read-dup-nested', 'levers:\n  aid: 1\n  aid: 2\n', "ConfigError: s.yaml:3: levers.aid: duplicate key 'aid' (first written at line 2); allowed: each key once in a mapping"),
    SC('read-dup-flow', 'levers: {aid: 1, aid: 2}\n', "ConfigError: s.yaml:1: levers.aid: duplicate key 'aid' (first written at line 1); allowed: each key once in a mapping"),
    SC('read-complex-key-nested', 'levers:\n  ? [a, b]\n  : 1\n', 'ConfigError: s.yaml:2: levers: a key must be a plain word or number'),
    SC('read-recursive', 'levers: &a\n  aid: *a\n', 'ConfigError: s.yaml:1: levers.aid: recursive YAML alias'),
    SC('read-bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f]\n', 'ConfigError: s.yaml: f: more than 200,000 values once aliases are expanded'),
    SC('start-day', 'start: 2017-02-30\n', "ConfigError: s.yaml:1: start: '2017-02-30' is not a date: day is out of range for month"),
    SC('key-unknown', 'name: x\nhorizn: 12\n', "ConfigError: s.yaml:2: horizn: unknown key 'horizn'; allowed: name, description, extends, start, horizon, seed, replicates, levers, parameters, initial, outcomes, levels, forces, deployments, events, uncertainty; did you mean 'horizon'?"),
    SC('key-batch', 'name: y\nbatch: x\n', 'ConfigError: s.yaml:2: batch: this is a batch file, not a scenario; allowed: a scenario file (load batches with load_batch or load_any)'),
    SC('read-int-key', '1: 2\n', "ConfigError: s.yaml:1: [1]: unknown key '1'; allowed: name, description, extends, start, horizon, seed, replicates, levers, parameters, initial, outcomes, levels, forces, deployments, events, uncertainty"),
    SC('name-bad', 'name: My Name\n', "ConfigError: s.yaml:1: name: 'My Name' is not a valid name; allowed: lower-case letters, digits, '_' and '-'"),
    SC('name-int', 'name: 5\n', "ConfigError: s.yaml:1: name: expected text, got 5; allowed: lower-case letters, digits, '_' and '-'"),
    SC('name-null', 'name:\n', "ConfigError: s.yaml:1: name: expected text, got nothing (null); allowed: lower-case letters, digits, '_' and '-'"),
    SC('desc-int', 'description: 5\n', 'ConfigError: s.yaml:1: description: expected text, got 5; allowed: a sentence of text'),
    SC('start-13', 'start: 2017-13\n', "ConfigError: s.yaml:1: start: '2017-13' is not a month: month 13 does not exist; allowed: a month as YYYY-MM, e.g. 2017-04"),
    SC('start-int', 'start: 5\n', 'ConfigError: s.yaml:1: start: expected a month, got 5; allowed: a month as YYYY-MM, e.g. 2017-04'),
    SC('start-str-day', "start: '2017-02-30'\n", "ConfigError: s.yaml:1: start: '2017-02-30' is not a date: day 30 does not exist; allowed: a month as YYYY-MM, e.g. 2017-04"),
    SC('start-nextline', 'start:\n  2017-13\n', "ConfigError: s.yaml:2: start: '2017-13' is not a month: month 13 does not exist; allowed: a month as YYYY-MM, e.g. 2017-04"),
    SC('horizon-text', 'horizon: five\n', "ConfigError: s.yaml:1: horizon: expected a number, got 'five'; allowed: a whole number of months in 1 - 600"),
    SC('horizon-frac', 'horizon: 2.5\n', 'ConfigError: s.yaml:1: horizon: 2.5 is not a whole number; allowed: a whole number of months in 1 - 600'),
    SC('horizon-bool', 'horizon: true\n', 'ConfigError: s.yaml:1: horizon: expected a number, got true (a yes/no value); allowed: a whole number of months in 1 - 600'),
    SC('horizon-inf', 'horizon: .inf\n', 'ConfigError: s.yaml:1: horizon: inf is not a whole number; allowed: a whole number of months in 1 - 600'),
    SC('horizon-date', 'horizon: 2017-01-01\n', 'ConfigError: s.yaml:1: horizon: expected a number, got 2017-01-01; allowed: a whole number of months in 1 - 600'),
    SC('seed-big', 'seed: 9223372036854775808\n', 'ConfigError: s.yaml:1: seed: 9223372036854775808 is out of range; allowed: a whole number >= 0'),
    SC('reps-zero', 'replicates: 0\n', 'ConfigError: s.yaml:1: replicates: 0 is out of range; allowed: a whole number of runs in 1 - 10000'),
    SC('levers-int', 'levers: 5\n', 'ConfigError: s.yaml:1: levers: expected a mapping, got 5; allowed: lever: schedule lines'),
    SC('lever-unknown', 'levers:\n  aid: 3\n  us_troop: 5\n', f"ConfigError: s.yaml:3: levers.us_troop: unknown lever 'us_troop'; allowed: {_LEVERS}; did you mean 'us_troops'?"),
    SC('lever-unknown-int', 'levers:\n  5: 5\n', f"ConfigError: s.yaml:2: levers[5]: unknown lever '5'; allowed: {_LEVERS}"),
    SC('lever-initial', 'levers:\n  strike_force: 3\n', 'ConfigError: s.yaml:2: levers.strike_force: strike_force is an initial, not a lever: put it under parameters:'),
    SC('lever-technical', 'levers:\n  persons_per_agent: 3\n', 'ConfigError: s.yaml:2: levers.persons_per_agent: persons_per_agent is a technical, not a lever: put it under parameters:'),
    SC('lever-text', 'levers:\n  aid: abc\n', "ConfigError: s.yaml:2: levers.aid: expected a number, got 'abc'; allowed: a number in 0 - 500 (million USD per month)"),
    SC('lever-strnum', 'levers:\n  aid: 5e3\n', 'ConfigError: s.yaml:2: levers.aid: 5000 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    SC('lever-null', 'levers:\n  aid:\n', 'ConfigError: s.yaml:2: levers.aid: expected a number, got nothing (null); allowed: a number in 0 - 500 (million USD per month)'),
    SC('lever-choice', 'levers:\n  family_policy: punsh\n', "ConfigError: s.yaml:2: levers.family_policy: unknown choice 'punsh' for family_policy; allowed: a number in 0 - 1 (index 0-1) or one of punish, screen, reintegrate; did you mean 'punish'?"),
    SC('lever-choice-bad-num', 'levers:\n  family_policy: 3\n', 'ConfigError: s.yaml:2: levers.family_policy: 3 is out of range; allowed: a number in 0 - 1 (index 0-1) or one of punish, screen, reintegrate'),
    SC('lever-inf', 'levers:\n  us_troops: .inf\n', 'ConfigError: s.yaml:2: levers.us_troops: inf is out of range; allowed: a whole number in 0 - 20000 (troops)'),
    SC('sched-empty', 'levers:\n  aid: []\n', 'ConfigError: s.yaml:2: levers.aid: empty schedule; allowed: at least one {from: YYYY-MM, value: x}'),
    SC('sched-item', 'levers:\n  aid: [5]\n', 'ConfigError: s.yaml:2: levers.aid[0]: expected a point {from: YYYY-MM, value: x}, got 5; allowed: {from: YYYY-MM, value: x}'),
    SC('sched-point-key', 'levers:\n  aid:\n    - {form: 2017-04, value: 1}\n', "ConfigError: s.yaml:3: levers.aid[0].form: unknown key 'form'; allowed: from, value; did you mean 'from'?"),
    SC('sched-missing-from', 'levers:\n  aid:\n    - value: 1\n', "ConfigError: s.yaml:3: levers.aid[0]: missing required key 'from'; allowed: {from: YYYY-MM, value: x}"),
    SC('sched-from-null', 'levers:\n  aid:\n    - {from: null, value: 1}\n', 'ConfigError: s.yaml:3: levers.aid[0].from: expected a month, got nothing (null); allowed: a month as YYYY-MM, e.g. 2017-04'),
    SC('sched-value-list', 'levers:\n  aid:\n    - {from: 2017-04, value: [1]}\n', 'ConfigError: s.yaml:3: levers.aid[0].value: expected a number, got a list; allowed: a number in 0 - 500 (million USD per month)'),
    SC('sched-dup', 'levers:\n  us_troops:\n    - {from: 2018-01, value: 1}\n    - {from: 2018-01-05, value: 2}\n', 'ConfigError: s.yaml:4: levers.us_troops[1].from: 2018-01 is given twice; allowed: one value per month'),
    SC('sched-multi', 'levers:\n  us_troops:\n    - from: 2018-01\n      value: 1\n    - from: 2017-01\n      value: 2\n', 'ConfigError: s.yaml:5: levers.us_troops[1].from: 2017-01 comes after 2018-01: points must be in increasing date order; allowed: a month after 2018-01'),
    SC('schedmap-empty', 'levers:\n  aid: {}\n', "ConfigError: s.yaml:2: levers.aid: empty schedule; allowed: at least one 'YYYY-MM: value' entry"),
    SC('schedmap-bad-key', 'levers:\n  aid:\n    2017-13: 1\n', "ConfigError: s.yaml:3: levers.aid.2017-13: '2017-13' is not a month: month 13 does not exist; allowed: a month as YYYY-MM, e.g. 2017-04"),
    SC('schedmap-text-key', 'levers:\n  aid:\n    soon: 1\n', "ConfigError: s.yaml:3: levers.aid.soon: 'soon' is not a month; allowed: a month as YYYY-MM, e.g. 2017-04"),
    SC('schedmap-int-key', 'levers:\n  aid:\n    5: 1\n', 'ConfigError: s.yaml:3: levers.aid[5]: expected a month, got 5; allowed: a month as YYYY-MM, e.g. 2017-04'),
    SC('schedmap-bad-value', 'levers:\n  aid:\n    2017-04: 900\n', 'ConfigError: s.yaml:3: levers.aid.2017-04: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    SC('schedmap-order', 'levers:\n  aid:\n    2018-01: 1\n    2017-01: 2\n', 'ConfigError: s.yaml:4: levers.aid.2017-01: 2017-01 comes after 2018-01: points must be in increasing date order; allowed: a month after 2018-01'),
    SC('params-int', 'parameters: 5\n', 'ConfigError: s.yaml:1: parameters: expected a mapping, got 5; allowed: name: value lines'),
    SC('param-unknown', 'parameters:\n  arest_k: 2\n', f"ConfigError: s.yaml:2: parameters.arest_k: unknown parameter 'arest_k'; allowed: one of {_NP} registry parameters (stabsim params); did you mean 'arrest_k'?"),
    SC('param-unknown-int', 'parameters:\n  5: 2\n', f"ConfigError: s.yaml:2: parameters[5]: unknown parameter '5'; allowed: one of {_NP} registry parameters (stabsim params)"),
    SC('param-event', 'parameters:\n  kurdish_referendum: 1\n', 'ConfigError: s.yaml:2: parameters.kurdish_referendum: kurdish_referendum is an event: put it under levers:'),
    SC('param-map', 'parameters:\n  arrest_k: {a: 1}\n', 'ConfigError: s.yaml:2: parameters.arrest_k: expected a number, got a mapping (only levers and events take schedules); allowed: a number in 1 - 4 (dimensionless)'),
    SC('param-null', 'parameters:\n  arrest_k:\n', 'ConfigError: s.yaml:2: parameters.arrest_k: expected a number, got nothing (null); allowed: a number in 1 - 4 (dimensionless)'),
    SC('initial-int', 'initial: 5\n', 'ConfigError: s.yaml:1: initial: expected a mapping, got 5; allowed: data, areas, forces'),
    SC('initial-typo', 'initial:\n  area: {N2: {is_share: 0.5}}\n', "ConfigError: s.yaml:2: initial.area: unknown key 'area'; allowed: data, areas, forces; did you mean 'areas'?"),
    SC('initial-data-int', 'initial:\n  data: 5\n', 'ConfigError: s.yaml:2: initial.data: expected text, got 5; allowed: a directory path, relative to this file'),
    SC('initial-data-missing', 'initial:\n  data: nothere\n', 'ConfigError: s.yaml:2: initial.data: directory not found: nothere (<tmp>/nothere); allowed: an existing directory, relative to this file'),
    SC('initial-data-file', 'initial:\n  data: s.yaml\n', 'ConfigError: s.yaml:2: initial.data: s.yaml is not a directory'),
    SC('initial-areas-int', 'initial:\n  areas: 5\n', 'ConfigError: s.yaml:2: initial.areas: expected a mapping, got 5; allowed: area id: {column: value}'),
    SC('initial-area-int-id', 'initial:\n  areas: {1: {is_share: 0.5}}\n', 'ConfigError: s.yaml:2: initial.areas[1]: area id must be text, got 1'),
    SC('initial-area-not-map', 'initial:\n  areas: {N2: 5}\n', 'ConfigError: s.yaml:2: initial.areas.N2: expected a mapping, got 5; allowed: column: value lines'),
    SC('initial-area-col-int', 'initial:\n  areas: {N2: {1: 0.5}}\n', 'ConfigError: s.yaml:2: initial.areas.N2[1]: column name must be text, got 1'),
    SC('initial-area-val-null', 'initial:\n  areas: {N2: {is_share: null}}\n', 'ConfigError: s.yaml:2: initial.areas.N2.is_share: expected a number or text, got nothing (null); allowed: a number or text'),
    SC('initial-area-val-date', 'initial:\n  areas: {N2: {is_share: 2017-01-01}}\n', 'ConfigError: s.yaml:2: initial.areas.N2.is_share: expected a number or text, got 2017-01-01; allowed: a number or text'),
    SC('initial-forces-bad', 'initial:\n  forces: {PMF: {strength: {a: 1}}}\n', 'ConfigError: s.yaml:2: initial.forces.PMF.strength: expected a number or text, got a mapping; allowed: a number or text'),
    SC('outcomes-int', 'outcomes: 5\n', f"ConfigError: s.yaml:1: outcomes: expected 'all' or a list of outcomes, got 5; allowed: 'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({_NO} outcomes)"),
    SC('outcomes-empty', 'outcomes: []\n', f"ConfigError: s.yaml:1: outcomes: expected 'all' or a list of outcomes, got a list; allowed: 'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({_NO} outcomes)"),
    SC('outcomes-str-bad', 'outcomes: incidnts\n', f"ConfigError: s.yaml:1: outcomes[0]: unknown outcome 'incidnts'; allowed: 'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({_NO} outcomes); did you mean 'incidents'?"),
    SC('outcomes-twice', 'outcomes: [incidents, incidents]\n', 'ConfigError: s.yaml:1: outcomes[1]: incidents is listed twice'),
    SC('outcomes-item-int', 'outcomes: [5]\n', f"ConfigError: s.yaml:1: outcomes[0]: unknown outcome 5; allowed: 'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({_NO} outcomes)"),
    SC('outcomes-item-list', 'outcomes: [[a]]\n', f"ConfigError: s.yaml:1: outcomes[0]: unknown outcome a list; allowed: 'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({_NO} outcomes)"),
    SC('levels-map', 'levels: {a: 1}\n', "ConfigError: s.yaml:1: levels: expected 'all' or a list of levels, got a mapping; allowed: 'all' or a list of national, governorate, area"),
    SC('levels-twice', 'levels: [national, national]\n', 'ConfigError: s.yaml:1: levels[1]: national is listed twice'),
    CASE('ext-int', 'scenario', {'s.yaml': 'extends: 5\n'}, 's.yaml', 'ConfigError: s.yaml:1: extends: expected text, got 5; allowed: a scenario file path, relative to this file'),
    CASE('ext-cycle', 'scenario', {'a.yaml': 'extends: b.yaml\n', 'b.yaml': 'name: b\nextends: a.yaml\n'}, 'a.yaml', 'ConfigError: b.yaml:2: extends: cycle: a.yaml -> b.yaml -> a.yaml; allowed: a chain without cycles'),
    CASE('ext-self', 'scenario', {'s.yaml': 'extends: s.yaml\n'}, 's.yaml', 'ConfigError: s.yaml:1: extends: cycle: s.yaml -> s.yaml; allowed: a chain without cycles'),
    CASE('ext-dir', 'scenario', {'s.yaml': 'extends: d\n', 'd': None}, 's.yaml', 'ConfigError: s.yaml:1: extends: d is a directory, not a scenario file'),
    CASE('ext-batch', 'scenario', {'s.yaml': 'extends: b.yaml\n', 'b.yaml': 'batch: b\nscenarios: [s.yaml]\n'}, 's.yaml', 'ConfigError: s.yaml:1: extends: b.yaml is a batch file, not a scenario'),
    CASE('ext-parent-unknown', 'scenario', {'p.yaml': 'name: p\nhorizn: 3\n', 'c.yaml': 'extends: p.yaml\n'}, 'c.yaml', "ConfigError: p.yaml:2: horizn: unknown key 'horizn'; allowed: name, description, extends, start, horizon, seed, replicates, levers, parameters, initial, outcomes, levels, forces, deployments, events, uncertainty; did you mean 'horizon'?"),
    CASE('ext-parent-syntax', 'scenario', {'p.yaml': 'name: [p\n', 'c.yaml': 'extends: p.yaml\n'}, 'c.yaml', "ConfigError: p.yaml:2: YAML syntax error: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'"),
    CASE('ext-parent-empty', 'scenario', {'p.yaml': '', 'c.yaml': 'extends: p.yaml\n'}, 'c.yaml', "ConfigError: p.yaml: file is empty; allowed: a mapping of keys, e.g. 'name: my_scenario' (see docs/scenarios.md)"),
    CASE('ext-nested-display', 'scenario', {'p.yaml': 'name: p\nlevers:\n  aid: 900\n', 'sub/c.yaml': 'extends: ../p.yaml\n'}, 'sub/c.yaml', 'ConfigError: p.yaml:3: levers.aid: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    CASE('ext-grand', 'scenario', {'g.yaml': 'parameters:\n  arrest_k: 99\n', 'p.yaml': 'extends: g.yaml\n', 'c.yaml': 'extends: p.yaml\nlevers: {aid: 3}\n'}, 'c.yaml', 'ConfigError: g.yaml:2: parameters.arrest_k: 99 is out of range; allowed: a number in 1 - 4 (dimensionless)'),
    CASE('ext-child-and-parent', 'scenario', {'p.yaml': 'levers:\n  aid: 900\n', 'c.yaml': 'extends: p.yaml\nhorizon: 0\n'}, 'c.yaml', 'ConfigError: c.yaml:2: horizon: 0 is out of range; allowed: a whole number of months in 1 - 600'),
    CASE('ext-merge-initial', 'scenario', {'p.yaml': 'initial:\n  areas: {N2: {is_share: 0.5}}\n', 'c.yaml': 'extends: p.yaml\ninitial:\n  areas: {N2: {is_share: [1]}}\n'}, 'c.yaml', 'ConfigError: c.yaml:3: initial.areas.N2.is_share: expected a number or text, got a list; allowed: a number or text'),
    CASE('b-no-batch', 'batch', {'b.yaml': 'name: x\n'}, 'b.yaml', "ConfigError: b.yaml:1: missing required key 'batch' (a batch file starts with 'batch: <name>'); allowed: batch: <a-z0-9_->"),
    CASE('b-unknown', 'batch', {'b.yaml': 'batch: t\nscenario: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', "ConfigError: b.yaml:2: scenario: unknown key 'scenario'; allowed: batch, description, seed, replicates, scenarios, design, uncertainty; did you mean 'scenarios'?"),
    CASE('b-name', 'batch', {'b.yaml': 'batch: T T\nscenarios: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', "ConfigError: b.yaml:1: batch: 'T T' is not a valid name; allowed: lower-case letters, digits, '_' and '-'"),
    CASE('b-desc', 'batch', {'b.yaml': 'batch: t\ndescription: [a]\nscenarios: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:2: description: expected text, got a list; allowed: a sentence of text'),
    CASE('b-seed', 'batch', {'b.yaml': 'batch: t\nseed: -4\nscenarios: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:2: seed: -4 is out of range; allowed: a whole number >= 0'),
    CASE('b-reps-null', 'batch', {'b.yaml': 'batch: t\nreplicates:\nscenarios: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:2: replicates: expected a number, got nothing (null); allowed: a whole number of runs in 1 - 10000'),
    CASE('b-no-scenarios', 'batch', {'b.yaml': 'batch: t\n'}, 'b.yaml', "ConfigError: b.yaml:1: missing required key 'scenarios'; allowed: scenarios: [file.yaml, ...]"),
    CASE('b-scen-empty', 'batch', {'b.yaml': 'batch: t\nscenarios: []\n'}, 'b.yaml', 'ConfigError: b.yaml:2: scenarios: expected a non-empty list, got a list; allowed: a list of scenario files (relative to this file) or inline scenario mappings'),
    CASE('b-scen-str', 'batch', {'b.yaml': 'batch: t\nscenarios: p.yaml\n', 'p.yaml': 'name: p\n'}, 'b.yaml', "ConfigError: b.yaml:2: scenarios: expected a non-empty list, got 'p.yaml'; allowed: a list of scenario files (relative to this file) or inline scenario mappings"),
    CASE('b-entry-missing', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - p.yaml\n  - q.yaml\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:4: scenarios[1]: file not found: q.yaml (<tmp>/q.yaml); allowed: a list of scenario files (relative to this file) or inline scenario mappings'),
    CASE('b-entry-dir', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - d\n', 'd': None}, 'b.yaml', 'ConfigError: b.yaml:3: scenarios[0]: d is a directory, not a scenario file'),
    CASE('b-entry-self', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - b.yaml\n'}, 'b.yaml', 'ConfigError: b.yaml:3: scenarios[0]: a batch cannot list itself; allowed: a list of scenario files (relative to this file) or inline scenario mappings'),
    CASE('b-entry-batch', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - c.yaml\n', 'c.yaml': 'batch: c\nscenarios: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:3: scenarios[0]: c.yaml is a batch file, not a scenario; allowed: a list of scenario files (relative to this file) or inline scenario mappings'),
    CASE('b-entry-int', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - 5\n'}, 'b.yaml', 'ConfigError: b.yaml:3: scenarios[0]: expected a file name or a mapping, got 5; allowed: a list of scenario files (relative to this file) or inline scenario mappings'),
    CASE('b-entry-error', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - q.yaml\n', 'q.yaml': 'levers:\n  aid: 900\n'}, 'b.yaml', 'ConfigError: q.yaml:2: levers.aid: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    CASE('b-inline-noname', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - {extends: p.yaml}\n', 'p.yaml': 'name: p\n'}, 'b.yaml', "ConfigError: b.yaml:3: scenarios[0]: missing required key 'name'; allowed: name: <a-z0-9_->"),
    CASE('b-inline-error', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - p.yaml\n  - {name: q, extends: p.yaml, levers: {us_troops: -1}}\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:4: scenarios[1].levers.us_troops: -1 is out of range; allowed: a whole number in 0 - 20000 (troops)'),
    CASE('b-inline-unknown', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - {name: q, horizn: 3}\n'}, 'b.yaml', "ConfigError: b.yaml:3: scenarios[0].horizn: unknown key 'horizn'; allowed: name, description, extends, start, horizon, seed, replicates, levers, parameters, initial, outcomes, levels, forces, deployments, events, uncertainty; did you mean 'horizon'?"),
    CASE('b-inline-batch', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - {name: q, batch: 3}\n'}, 'b.yaml', 'ConfigError: b.yaml:3: scenarios[0].batch: this is a batch file, not a scenario; allowed: a scenario file (load batches with load_batch or load_any)'),
    CASE('b-inline-ext-missing', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - name: q\n    extends: nothere.yaml\n'}, 'b.yaml', 'ConfigError: b.yaml:4: scenarios[0].extends: file not found: nothere.yaml (<tmp>/nothere.yaml)'),
    CASE('b-inline-ext-error', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - name: q\n    extends: r.yaml\n', 'r.yaml': 'horizon: 0\n'}, 'b.yaml', 'ConfigError: r.yaml:1: horizon: 0 is out of range; allowed: a whole number of months in 1 - 600'),
    CASE('b-dup-names', 'batch', {'b.yaml': 'batch: t\nscenarios: [p.yaml, p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', "ConfigError: b.yaml:2: scenarios[1]: scenario name 'p' is used twice (also scenarios[0]); allowed: unique scenario names (set 'name:' in one of them)"),
    CASE('b-dup-inline', 'batch', {'b.yaml': 'batch: t\nscenarios:\n  - {name: p}\n  - {name: p}\n'}, 'b.yaml', "ConfigError: b.yaml:4: scenarios[1]: scenario name 'p' is used twice (also scenarios[0]); allowed: unique scenario names (set 'name:' in one of them)"),
    CASE('b-design-list', 'batch', {'b.yaml': 'batch: t\nscenarios: [p.yaml]\ndesign: [5]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:3: design: expected a mapping, got a list; allowed: a mapping describing the experimental design'),
    CASE('b-sub-display', 'batch', {'sub/b.yaml': 'batch: t\nscenarios: [../q.yaml]\n', 'q.yaml': 'levers: {aid: 900}\n'}, 'sub/b.yaml', 'ConfigError: q.yaml:1: levers.aid: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    CASE('scen-on-batch', 'scenario', {'b.yaml': 'batch: t\nscenarios: [p.yaml]\n', 'p.yaml': 'name: p\n'}, 'b.yaml', 'ConfigError: b.yaml:1: batch: this is a batch file, not a scenario; allowed: a scenario file (load batches with load_batch or load_any)'),
    CASE('any-batch-error', 'any', {'b.yaml': 'batch: t\nscenarios: [q.yaml]\n'}, 'b.yaml', 'ConfigError: b.yaml:2: scenarios[0]: file not found: q.yaml (<tmp>/q.yaml); allowed: a list of scenario files (relative to this file) or inline scenario mappings'),
    CASE('any-scen-error', 'any', {'b.yaml': 'horizon: 0\n'}, 'b.yaml', 'ConfigError: b.yaml:1: horizon: 0 is out of range; allowed: a whole number of months in 1 - 600'),
    DS('d-no-kind', '{levers: {aid: [1]}}', "ConfigError: d.yaml:7: design: missing required key 'kind'; allowed: grid, lhs, sobol, morris"),
    DS('d-kind-typo', '{kind: grd, levers: {us_troops: [0]}}', "ConfigError: d.yaml:7: design.kind: unknown design kind 'grd'; allowed: grid, lhs, sobol, morris; did you mean 'grid'?"),
    DS('d-kind-int', '{kind: 5}', 'ConfigError: d.yaml:7: design.kind: unknown design kind 5; allowed: grid, lhs, sobol, morris'),
    DS('d-kind-null', '{kind: null}', 'ConfigError: d.yaml:7: design.kind: unknown design kind nothing (null); allowed: grid, lhs, sobol, morris'),
    DS('d-unknown-key', '{kind: grid, levers: {aid: [1]}, foo: 1}', "ConfigError: d.yaml:7: design.foo: unknown key 'foo'; allowed: kind, levers, parameters, vary, schedules"),
    DS('d-unknown-key2', '{kind: grid, lever: {aid: [1]}}', "ConfigError: d.yaml:7: design.lever: unknown key 'lever'; allowed: kind, levers, parameters, vary, schedules; did you mean 'levers'?"),
    DS('d-key-other-kind', '{kind: grid, n: 3, levers: {aid: [1]}}', 'ConfigError: d.yaml:7: design.n: n does not apply to a grid design; allowed: kind, levers, parameters, vary, schedules'),
    DS('d-key-other-kind2', '{kind: lhs, n: 3, levels: 4, vary: {aid: null}}', 'ConfigError: d.yaml:7: design.levels: levels does not apply to a lhs design; allowed: kind, n, seed, levers, parameters, vary, schedules'),
    DS('d-nothing', '{kind: grid}', 'ConfigError: d.yaml:7: design: nothing to vary; allowed: levers:, parameters:, vary: or schedules: with at least one name'),
    DS('d-levers-int', '{kind: grid, levers: 5}', 'ConfigError: d.yaml:7: design.levers: expected a mapping of name: values, got 5; allowed: name: [values] (grid) or name: [low, high] / null (samples)'),
    DS('d-lever-unknown', '{kind: grid, levers: {us_tropps: [1]}}', f"ConfigError: d.yaml:7: design.levers.us_tropps: unknown lever 'us_tropps'; allowed: {_LEVERS}; did you mean 'us_troops'?"),
    DS('d-lever-param', '{kind: grid, levers: {arrest_k: [2, 3]}}', 'ConfigError: d.yaml:7: design.levers.arrest_k: arrest_k is a parameter, not a lever: put it under parameters:'),
    DS('d-param-lever', '{kind: grid, parameters: {us_troops: [2, 3]}}', 'ConfigError: d.yaml:7: design.parameters.us_troops: us_troops is a lever: put it under levers:'),
    DS('d-param-event', '{kind: grid, parameters: {kurdish_referendum: [1]}}', 'ConfigError: d.yaml:7: design.parameters.kurdish_referendum: kurdish_referendum is an event: put it under levers:'),
    DS('d-param-unknown', '{kind: grid, parameters: {arest_k: [2]}}', "ConfigError: d.yaml:7: design.parameters.arest_k: unknown parameter 'arest_k'; allowed: registry names (stabsim params); did you mean 'arrest_k'?"),
    DS('d-vary-unknown', '{kind: lhs, n: 8, vary: {us_tropps: [0, 100]}}', "ConfigError: d.yaml:7: design.vary.us_tropps: unknown name 'us_tropps'; allowed: registry names (stabsim params); did you mean 'us_troops'?"),
    DS('d-vary-int-name', '{kind: lhs, n: 8, vary: {5: [0, 100]}}', "ConfigError: d.yaml:7: design.vary[5]: unknown name '5'; allowed: registry names (stabsim params)"),
    DS('d-twice', '{kind: grid, levers: {aid: [1]}, vary: {aid: [2]}}', 'ConfigError: d.yaml:7: design.vary.aid: aid is varied twice (also under levers:); allowed: each name once'),
    DS('d-grid-empty', '{kind: grid, levers: {aid: []}}', 'ConfigError: d.yaml:7: design.levers.aid: expected a non-empty list, got a list; allowed: a list of numbers in 0 - 500 (million USD per month)'),
    DS('d-grid-null', '{kind: grid, levers: {aid: null}}', 'ConfigError: d.yaml:7: design.levers.aid: expected a non-empty list, got nothing (null); allowed: a list of numbers in 0 - 500 (million USD per month)'),
    DS('d-grid-nested', '{kind: grid, levers: {aid: [[1]]}}', 'ConfigError: d.yaml:7: design.levers.aid[0]: expected a number, got a list (a grid value is a constant); allowed: a list of numbers in 0 - 500 (million USD per month)'),
    DS('d-grid-map', '{kind: grid, levers: {aid: [{a: 1}]}}', 'ConfigError: d.yaml:7: design.levers.aid[0]: expected a number, got a mapping (a grid value is a constant); allowed: a list of numbers in 0 - 500 (million USD per month)'),
    DS('d-grid-choice', '{kind: grid, levers: {family_policy: [scren]}}', "ConfigError: d.yaml:7: design.levers.family_policy[0]: unknown choice 'scren' for family_policy; allowed: a list of numbers in 0 - 1 (index 0-1) or punish, screen, reintegrate; did you mean 'screen'?"),
    DS('d-grid-frac', '{kind: grid, levers: {us_troops: [2.5]}}', 'ConfigError: d.yaml:7: design.levers.us_troops[0]: 2.5 is not a whole number; allowed: a list of whole numbers in 0 - 20000 (troops)'),
    DS('d-grid-dup', '{kind: grid, levers: {aid: [1, 1.0]}}', 'ConfigError: d.yaml:7: design.levers.aid[1]: 1 is listed twice; allowed: distinct values'),
    DS('d-grid-scalar-bad', '{kind: grid, levers: {aid: 900}}', 'ConfigError: d.yaml:7: design.levers.aid: 900 is out of range; allowed: a list of numbers in 0 - 500 (million USD per month)'),
    DS('d-grid-text', '{kind: grid, levers: {aid: [lots]}}', "ConfigError: d.yaml:7: design.levers.aid[0]: expected a number, got 'lots'; allowed: a list of numbers in 0 - 500 (million USD per month)"),
    DS('d-grid-date', '{kind: grid, levers: {aid: [2017-01-01]}}', 'ConfigError: d.yaml:7: design.levers.aid[0]: expected a number, got 2017-01-01; allowed: a list of numbers in 0 - 500 (million USD per month)'),
    DS('d-grid-too-large', HUGE, 'ConfigError: d.yaml:7: design: the grid has 1,009,899 points; allowed: at most 1,000,000'),
    DS('d-s-no-n', '{kind: lhs, vary: {aid: null}}', "ConfigError: d.yaml:7: design: missing required key 'n'; allowed: n: the sample size (SALib's N)"),
    DS('d-s-n-zero', '{kind: lhs, n: 0, vary: {aid: null}}', 'ConfigError: d.yaml:7: design.n: 0 is out of range; allowed: a whole number in 1 - 1,000,000'),
    DS('d-s-n-frac', '{kind: lhs, n: 2.5, vary: {aid: null}}', 'ConfigError: d.yaml:7: design.n: expected a whole number, got 2.5; allowed: a whole number in 1 - 1,000,000'),
    DS('d-s-n-bool', '{kind: lhs, n: true, vary: {aid: null}}', 'ConfigError: d.yaml:7: design.n: expected a whole number, got true (a yes/no value); allowed: a whole number in 1 - 1,000,000'),
    DS('d-s-n-big', '{kind: lhs, n: 1000001, vary: {aid: null}}', 'ConfigError: d.yaml:7: design.n: 1000001 is out of range; allowed: a whole number in 1 - 1,000,000'),
    DS('d-s-seed-neg', '{kind: lhs, n: 4, seed: -1, vary: {aid: null}}', 'ConfigError: d.yaml:7: design.seed: -1 is out of range; allowed: a whole number >= 0'),
    DS('d-s-seed-text', '{kind: lhs, n: 4, seed: x, vary: {aid: null}}', "ConfigError: d.yaml:7: design.seed: expected a whole number, got 'x'; allowed: a whole number >= 0"),
    DS('d-s-bounds-int', '{kind: lhs, n: 4, vary: {aid: 5}}', 'ConfigError: d.yaml:7: design.vary.aid: expected [low, high], got 5; allowed: [low, high] with numbers in 0 - 500 (million USD per month), or null for the registry range'),
    DS('d-s-bounds-3', '{kind: lhs, n: 4, vary: {aid: [1, 2, 3]}}', 'ConfigError: d.yaml:7: design.vary.aid: expected [low, high], got a list; allowed: [low, high] with numbers in 0 - 500 (million USD per month), or null for the registry range'),
    DS('d-s-bounds-order', '{kind: lhs, n: 4, vary: {aid: [5, 1]}}', 'ConfigError: d.yaml:7: design.vary.aid: low 5 is not below high 1; allowed: low < high'),
    DS('d-s-bounds-equal', '{kind: lhs, n: 4, vary: {aid: [5, 5]}}', 'ConfigError: d.yaml:7: design.vary.aid: low 5 is not below high 5; allowed: low < high'),
    DS('d-s-bounds-range', '{kind: lhs, n: 4, vary: {us_troops: [0, 30000]}}', 'ConfigError: d.yaml:7: design.vary.us_troops[1]: 30000 is out of range; allowed: [low, high] with whole numbers in 0 - 20000 (troops), or null for the registry range'),
    DS('d-s-bounds-text', '{kind: lhs, n: 4, vary: {family_policy: [scren, 1]}}', "ConfigError: d.yaml:7: design.vary.family_policy[0]: unknown choice 'scren' for family_policy; allowed: [low, high] with numbers in 0 - 1 (index 0-1) or punish, screen, reintegrate, or null for the registry range; did you mean 'screen'?"),
    DS('d-s-bounds-frac', '{kind: lhs, n: 4, vary: {us_troops: [0.5, 3]}}', 'ConfigError: d.yaml:7: design.vary.us_troops[0]: 0.5 is not a whole number; allowed: [low, high] with whole numbers in 0 - 20000 (troops), or null for the registry range'),
    DS('d-sobol-pow', '{kind: sobol, n: 10, vary: {arrest_k: null}}', "ConfigError: d.yaml:7: design.n: 10 is not a power of 2 (Sobol' sequences need one); allowed: a power of 2, e.g. 8 or 16"),
    DS('d-sobol-so', '{kind: sobol, n: 8, second_order: yes please, vary: {arrest_k: null}}', "ConfigError: d.yaml:7: design.second_order: expected true or false, got 'yes please'; allowed: true, false"),
    DS('d-sobol-too-many', '{kind: sobol, n: 262144, vary: {arrest_k: null, aid: null}}', 'ConfigError: d.yaml:7: design.n: the sample has 1,572,864 points; allowed: at most 1,000,000'),
    DS('d-morris-too-many', '{kind: morris, n: 600000, vary: {arrest_k: null}}', 'ConfigError: d.yaml:7: design.n: the sample has 1,200,000 points; allowed: at most 1,000,000'),
    DS('d-morris-odd', '{kind: morris, n: 4, levels: 3, vary: {arrest_k: null}}', 'ConfigError: d.yaml:7: design.levels: 3 is odd; allowed: an even whole number in 2 - 100'),
    DS('d-morris-levels', '{kind: morris, n: 4, levels: 1, vary: {arrest_k: null}}', 'ConfigError: d.yaml:7: design.levels: 1 is out of range; allowed: an even whole number in 2 - 100'),
    DS('d-morris-levels-text', '{kind: morris, n: 4, levels: x, vary: {arrest_k: null}}', "ConfigError: d.yaml:7: design.levels: expected a whole number, got 'x'; allowed: an even whole number in 2 - 100"),
    DS('d-multi', '{kind: lhs, n: 0, vary: {us_troops: [0, 30000]}}', 'ConfigError: d.yaml:7: design.n: 0 is out of range; allowed: a whole number in 1 - 1,000,000'),
    DSB('d-block-lines', '  kind: lhs\n  n: 4\n  vary:\n    aid: [1,\n      900]\n', 'ConfigError: d.yaml:10: design.vary.aid[1]: 900 is out of range; allowed: [low, high] with numbers in 0 - 500 (million USD per month), or null for the registry range'),
    DSB('d-block-unknown', '  kind: lhs\n  n: 4\n  vary:\n    aid: null\n  extra: 3\n', "ConfigError: d.yaml:10: design.extra: unknown key 'extra'; allowed: kind, n, seed, levers, parameters, vary, schedules"),
    DSB('d-block-missing-n', '  kind: lhs\n  vary:\n    aid: null\n', "ConfigError: d.yaml:5: design: missing required key 'n'; allowed: n: the sample size (SALib's N)"),
    DSB('d-block-twice', '  kind: grid\n  levers:\n    aid: [1]\n  vary:\n    aid: [2]\n', 'ConfigError: d.yaml:10: design.vary.aid: aid is varied twice (also under levers:); allowed: each name once'),
    DSB('d-block-grid-item', '  kind: grid\n  levers:\n    aid:\n      - 1\n      - 900\n', 'ConfigError: d.yaml:10: design.levers.aid[1]: 900 is out of range; allowed: a list of numbers in 0 - 500 (million USD per month)'),
    CASE('st-missing', 'study', {}, 'st.yaml', 'ConfigError: st.yaml: file not found (<tmp>/st.yaml)'),
    CASE('st-dir', 'study', {'st.yaml': None}, 'st.yaml', 'ConfigError: st.yaml: is a directory, not a study file'),
    CASE('st-empty', 'study', {'st.yaml': ''}, 'st.yaml', "ConfigError: st.yaml: file is empty; allowed: 'key: value' lines, starting with 'study: <name>' (docs/sensitivity.md)"),
    CASE('st-list', 'study', {'st.yaml': '- a\n'}, 'st.yaml', "ConfigError: st.yaml:1: the top level must be a mapping of keys, got a list; allowed: 'key: value' lines, starting with 'study: <name>' (docs/sensitivity.md)"),
    CASE('st-syntax', 'study', {'st.yaml': 'study: [x\n'}, 'st.yaml', "ConfigError: st.yaml:2: YAML syntax error: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'"),
    CASE('st-utf8', 'study', {'st.yaml': b'study: \xff\n'}, 'st.yaml', 'ConfigError: st.yaml:1: not UTF-8 text (invalid start byte)'),
    ST('st-dup', 'seed: 11\n', 'seed: 11\nseed: 12\n', "ConfigError: st.yaml:7: seed: duplicate key 'seed' (first written at line 6); allowed: each key once in a mapping"),
    ST('st-dup-nested', '  us_troops: null\n', '  us_troops: null\n  us_troops: null\n', "ConfigError: st.yaml:12: vary.us_troops: duplicate key 'us_troops' (first written at line 11); allowed: each key once in a mapping"),
    CASE('st-bomb', 'study', {'st.yaml': BOMB}, 'st.yaml', 'ConfigError: st.yaml: f: more than 200,000 values once aliases are expanded'),
    ST('st-unknown', 'seed: 11', 'replicate: 2', "ConfigError: st.yaml:6: replicate: unknown key 'replicate'; allowed: study, description, scenario, method, n, vary, outcomes, replicates, seed, horizon, parameters, levers, per_year, conf_level, resamples, discover, prim, levels, second_order; did you mean 'replicates'?"),
    ST('st-unknown2', 'seed: 11', 'whatever: 2', "ConfigError: st.yaml:6: whatever: unknown key 'whatever'; allowed: study, description, scenario, method, n, vary, outcomes, replicates, seed, horizon, parameters, levers, per_year, conf_level, resamples, discover, prim, levels, second_order"),
    ST('st-missing-study', 'study: st\n', '', "ConfigError: st.yaml: missing required key 'study'; allowed: study: <name> (a-z, 0-9, _ and -)"),
    ST('st-missing-scenario', 'scenario: <B>\n', '', "ConfigError: st.yaml: missing required key 'scenario'; allowed: scenario: <scenario file, relative to the study file>"),
    ST('st-missing-vary', 'vary:\n  us_troops: null\n  reconciliation: null\n  attack_rate: [0.02, 0.1]\n', '', "ConfigError: st.yaml: missing required key 'vary'; allowed: vary: {name: null or [low, high], ...} with registry names (stabsim params)"),
    ST('st-null-n', 'n: 8', 'n:', "ConfigError: st.yaml: missing required key 'n'; allowed: the sample size (morris: trajectories; sobol: N; oat: steps; lhs: points)"),
    ST('st-name', 'study: st', 'study: S T', "ConfigError: st.yaml:1: study: 'S T' is not a valid name; allowed: a-z, 0-9, _ and -"),
    ST('st-name-int', 'study: st', 'study: 5', 'ConfigError: st.yaml:1: study: expected text, got 5; allowed: a-z, 0-9, _ and -'),
    ST('st-method', 'method: sobol', 'method: sobl', "ConfigError: st.yaml:4: method: unknown method 'sobl'; allowed: morris, sobol, oat, lhs; did you mean 'sobol'?"),
    ST('st-method-int', 'method: sobol', 'method: 5', 'ConfigError: st.yaml:4: method: unknown method 5; allowed: morris, sobol, oat, lhs'),
    ST('st-levels-sobol', 'seed: 11', 'levels: 4', 'ConfigError: st.yaml:6: levels: levels does not apply to a sobol study (only morris)'),
    ST('st-so-morris', 'method: sobol', 'method: morris\nsecond_order: true', 'ConfigError: st.yaml:5: second_order: second_order does not apply to a morris study (only sobol)'),
    ST('st-desc', 'description: A study.', 'description: [a]', 'ConfigError: st.yaml:2: description: expected text, got a list'),
    ST('st-n-text', 'n: 8', 'n: x', "ConfigError: st.yaml:5: n: expected a whole number, got 'x'; allowed: SALib's N: a power of 2 (8, 16, ..., 65536)"),
    ST('st-n-pow', 'n: 8', 'n: 10', "ConfigError: st.yaml:5: n: 10 is not a power of 2 (Sobol' sequences need one); allowed: a power of 2, e.g. 8 or 16"),
    ST('st-n-big', 'n: 8', 'n: 131072', "ConfigError: st.yaml:5: n: 131072 is out of range; allowed: SALib's N: a power of 2 (8, 16, ..., 65536)"),
    ST('st-n-morris', 'method: sobol\nn: 8', 'method: morris\nn: 10001', 'ConfigError: st.yaml:5: n: 10001 is out of range; allowed: trajectories: a whole number in 2 - 10000'),
    ST('st-n-oat', 'method: sobol\nn: 8', 'method: oat\nn: 102', 'ConfigError: st.yaml:5: n: 102 is out of range; allowed: steps from low to high: a whole number in 2 - 101'),
    ST('st-reps', 'seed: 11', 'replicates: 0', 'ConfigError: st.yaml:6: replicates: 0 is out of range; allowed: a whole number in 1 - 10000'),
    ST('st-reps-frac', 'seed: 11', 'replicates: 1.5', 'ConfigError: st.yaml:6: replicates: expected a whole number, got 1.5; allowed: a whole number in 1 - 10000'),
    ST('st-levels-odd', 'method: sobol', 'method: morris\nlevels: 5', 'ConfigError: st.yaml:5: levels: 5 is odd; allowed: an even whole number in 2 - 100'),
    ST('st-levels-big', 'method: sobol', 'method: morris\nlevels: 102', 'ConfigError: st.yaml:5: levels: 102 is out of range; allowed: an even whole number in 2 - 100'),
    ST('st-so-text', 'method: sobol', 'method: sobol\nsecond_order: maybe', "ConfigError: st.yaml:5: second_order: expected true or false, got 'maybe'; allowed: true, false"),
    ST('st-per-year', 'seed: 11', 'per_year: median', "ConfigError: st.yaml:6: per_year: unknown summary 'median'; allowed: mean, sum, last, max; did you mean 'mean'?"),
    ST('st-conf', 'seed: 11', 'conf_level: 0.3', 'ConfigError: st.yaml:6: conf_level: 0.3 is not allowed; allowed: a number in 0.5 - 0.999'),
    ST('st-conf-text', 'seed: 11', 'conf_level: high', "ConfigError: st.yaml:6: conf_level: 'high' is not allowed; allowed: a number in 0.5 - 0.999"),
    ST('st-resamples', 'seed: 11', 'resamples: 5', 'ConfigError: st.yaml:6: resamples: 5 is out of range; allowed: a whole number in 10 - 100000'),
    ST('st-vary-int', 'vary:\n  us_troops: null\n  reconciliation: null\n  attack_rate: [0.02, 0.1]\n', 'vary: 5\n', 'ConfigError: st.yaml:10: vary: expected a mapping of name: [low, high] or null, got 5; allowed: registry names (stabsim params), each with null (its registry range) or [low, high]'),
    ST('st-vary-empty', 'vary:\n  us_troops: null\n  reconciliation: null\n  attack_rate: [0.02, 0.1]\n', 'vary: {}\n', 'ConfigError: st.yaml:10: vary: expected a mapping of name: [low, high] or null, got a mapping; allowed: registry names (stabsim params), each with null (its registry range) or [low, high]'),
    ST('st-vary-unknown', '  us_troops: null', '  us_tropps: null', "ConfigError: st.yaml:11: vary.us_tropps: unknown name 'us_tropps'; allowed: registry names (stabsim params); did you mean 'us_troops'?"),
    ST('st-vary-int-name', '  us_troops: null', '  5: null', "ConfigError: st.yaml:11: vary[5]: unknown name '5'; allowed: registry names (stabsim params)"),
    ST('st-vary-technical', '  us_troops: null', '  persons_per_agent: null', 'ConfigError: st.yaml:11: vary.persons_per_agent: persons_per_agent is a technical setting (resolution), not an uncertainty'),
    ST('st-vary-3', '  us_troops: null', '  us_troops: [1, 2, 3]', 'ConfigError: st.yaml:11: vary.us_troops: expected [low, high], got a list; allowed: [low, high] with whole numbers in 0 - 20000 (troops), or null for the registry range'),
    ST('st-vary-range', '  us_troops: null', '  us_troops: [0, 30000]', 'ConfigError: st.yaml:11: vary.us_troops[1]: 30000 is out of range; allowed: [low, high] with whole numbers in 0 - 20000 (troops), or null for the registry range'),
    ST('st-vary-text', '  us_troops: null', '  family_policy: [scren, 1]', "ConfigError: st.yaml:11: vary.family_policy[0]: unknown choice 'scren' for family_policy; allowed: [low, high] with numbers in 0 - 1 (index 0-1) or punish, screen, reintegrate, or null for the registry range; did you mean 'screen'?"),
    ST('st-vary-order', '  us_troops: null', '  us_troops: [5, 1]', 'ConfigError: st.yaml:11: vary.us_troops: low 5 is not below high 1; allowed: low < high'),
    ST('st-vary-frac', '  us_troops: null', '  us_troops: [0.5, 3]', 'ConfigError: st.yaml:11: vary.us_troops[0]: 0.5 is not a whole number; allowed: [low, high] with whole numbers in 0 - 20000 (troops), or null for the registry range'),
    ST('st-vary-few', '  us_troops: null\n  reconciliation: null\n  attack_rate: [0.02, 0.1]\n', '  us_troops: null\n', 'ConfigError: st.yaml:10: vary: 1 names varied; allowed: at least 2 registry names'),
    ST('st-fixed-int', '  persons_per_agent: 20000', '  persons_per_agent: 20000\nlevers: 5', 'ConfigError: st.yaml:10: levers: expected a mapping of name: value, got 5'),
    ST('st-fixed-unknown', '  persons_per_agent: 20000', '  persns_per_agent: 20000', "ConfigError: st.yaml:9: parameters.persns_per_agent: unknown parameter 'persns_per_agent'; allowed: registry names (stabsim params); did you mean 'persons_per_agent'?"),
    ST('st-fixed-lever', '  persons_per_agent: 20000', '  aid: 20', 'ConfigError: st.yaml:9: parameters.aid: aid is a lever: put it under levers:'),
    ST('st-fixed-param-lever', '  persons_per_agent: 20000', '  persons_per_agent: 20000\nlevers:\n  arrest_k: 3', 'ConfigError: st.yaml:11: levers.arrest_k: arrest_k is a parameter, not a lever: put it under parameters:'),
    ST('st-fixed-lever-unknown', '  persons_per_agent: 20000', '  persons_per_agent: 20000\nlevers:\n  ad: 3', "ConfigError: st.yaml:11: levers.ad: unknown lever 'ad'; allowed: registry names (stabsim params); did you mean 'aid'?"),
    ST('st-fixed-both', '  persons_per_agent: 20000', '  attack_rate: 0.05', 'ConfigError: st.yaml:9: parameters.attack_rate: attack_rate is both varied (vary:) and fixed (parameters:); allowed: one of the two'),
    ST('st-fixed-range', '  persons_per_agent: 20000', '  persons_per_agent: 10', 'ConfigError: st.yaml:9: parameters.persons_per_agent: 10 is out of range; allowed: a whole number in 250 - 50000 (persons)'),
    ST('st-fixed-lever-sched', '  persons_per_agent: 20000', '  persons_per_agent: 20000\nlevers:\n  aid: [{from: 2017-04, value: 900}]', 'ConfigError: st.yaml:11: levers.aid[0].value: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    ST('st-scen-int', 'scenario: <B>', 'scenario: 5', 'ConfigError: st.yaml:3: scenario: expected a scenario file, got 5; allowed: scenario: <scenario file, relative to the study file>'),
    ST('st-scen-missing', 'scenario: <B>', 'scenario: nowhere.yaml', 'ConfigError: st.yaml:3: scenario: scenario file not found: nowhere.yaml (<tmp>/nowhere.yaml); allowed: a scenario file, relative to the study file'),
    ST('st-scen-near', 'scenario: <B>', 'scenario: scen.yaml', {'scen1.yaml': 'name: x\n'}, "ConfigError: st.yaml:3: scenario: scenario file not found: scen.yaml (<tmp>/scen.yaml); allowed: a scenario file, relative to the study file; did you mean 'scen1.yaml'?"),
    ST('st-scen-error', 'scenario: <B>', 'scenario: q.yaml', {'q.yaml': 'horizon: 0\n'}, 'ConfigError: <tmp>/q.yaml:1: horizon: 0 is out of range; allowed: a whole number of months in 1 - 600'),
    ST('st-horizon', 'horizon: 24', 'horizon: 0', 'ConfigError: st.yaml:7: horizon: 0 is out of range; allowed: a whole number of months in 1 - 600'),
    ST('st-horizon-text', 'horizon: 24', 'horizon: x', "ConfigError: st.yaml:7: horizon: expected a whole number, got 'x'; allowed: a whole number of months in 1 - 600"),
    ST('st-seed', 'seed: 11', 'seed: -1', 'ConfigError: st.yaml:6: seed: -1 is out of range; allowed: a whole number >= 0'),
    ST('st-outcomes-int', 'outcomes: [cumulative_deaths, incidents]', 'outcomes: 5', 'ConfigError: st.yaml:14: outcomes: expected a list of outcomes, got 5; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes'),
    ST('st-outcomes-empty', 'outcomes: [cumulative_deaths, incidents]', 'outcomes: []', 'ConfigError: st.yaml:14: outcomes: expected a list of outcomes, got a list; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes'),
    ST('st-outcomes-str', 'outcomes: [cumulative_deaths, incidents]', 'outcomes: resurgnce', "ConfigError: st.yaml:14: outcomes: unknown outcome 'resurgnce'; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes; did you mean 'resurgence'?"),
    ST('st-outcomes-item', 'outcomes: [cumulative_deaths, incidents]', 'outcomes: [5]', 'ConfigError: st.yaml:14: outcomes[0]: expected an outcome name, got 5; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes'),
    ST('st-outcomes-date', '[cumulative_deaths,', '[defeat_month,', "ConfigError: st.yaml:14: outcomes[0]: defeat_month is a date, not a number; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes; did you mean 'months_to_defeat'?"),
    ST('st-outcomes-date2', '[cumulative_deaths,', '[kirkuk_crisis_month,', 'ConfigError: st.yaml:14: outcomes[0]: kirkuk_crisis_month is a date, not a number; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes'),
    ST('st-outcomes-unknown', '[cumulative_deaths,', '[cumulative_deths,', "ConfigError: st.yaml:14: outcomes[0]: unknown outcome 'cumulative_deths'; allowed: run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. incidents), each optionally as log10(name): stabsim outcomes; did you mean 'cumulative_deaths'?"),
    ST('st-outcomes-twice', '[cumulative_deaths, incidents]', '[incidents, incidents]', 'ConfigError: st.yaml:14: outcomes[1]: incidents is listed twice'),
    ST('st-outcomes-log-twice', '[cumulative_deaths, incidents]', '[log10(incidents), log10( incidents )]', 'ConfigError: st.yaml:14: outcomes[1]: log10(incidents) is listed twice'),
    ST('st-discover-int', '["cumulative_deaths > 4000"]', '5', "ConfigError: st.yaml:15: discover: expected a list of conditions, got 5; allowed: conditions such as 'resurgence == 1' or 'is_held_areas[36] > 0'"),
    ST('st-discover-bad', '["cumulative_deaths > 4000"]', '["is_held_areas > 0"]', "ConfigError: st.yaml:15: discover[0]: is_held_areas is monthly: give a month, e.g. is_held_areas[36] > 0 (36 months after the start); allowed: conditions such as 'resurgence == 1' or 'is_held_areas[36] > 0'"),
    ST('st-discover-item', '["cumulative_deaths > 4000"]', '[5]', "ConfigError: st.yaml:15: discover[0]: expected a condition as text, got 5; allowed: conditions such as 'resurgence == 1' or 'is_held_areas[36] > 0'"),
    ST('st-discover-oat', 'method: sobol\nn: 8', 'method: oat\nn: 3', 'ConfigError: st.yaml:15: discover: scenario discovery needs a sampled design; allowed: method lhs, sobol or morris'),
    ST('st-discover-horizon', '["cumulative_deaths > 4000"]', '["incidents[30] > 2"]', "ConfigError: st.yaml:15: discover[0]: month 30 is beyond the horizon (months 0 - 23); allowed: conditions such as 'resurgence == 1' or 'is_held_areas[36] > 0'"),
    ST('st-prim-int', 'seed: 11', 'seed: 11\nprim: 5', 'ConfigError: st.yaml:7: prim: expected a mapping, got 5; allowed: alpha, threshold, min_mass, boxes, paste'),
    ST('st-prim-unknown', 'seed: 11', 'seed: 11\nprim: {alpah: 0.1}', "ConfigError: st.yaml:7: prim.alpah: unknown key 'alpah'; allowed: alpha, threshold, min_mass, boxes, paste; did you mean 'alpha'?"),
    ST('st-prim-paste', 'seed: 11', 'seed: 11\nprim: {paste: yes please}', "ConfigError: st.yaml:7: prim.paste: expected true or false, got 'yes please'; allowed: true, false"),
    ST('st-prim-boxes', 'seed: 11', 'seed: 11\nprim: {boxes: 0}', 'ConfigError: st.yaml:7: prim.boxes: 0 is out of range; allowed: a whole number in 1 - 10'),
    ST('st-prim-alpha', 'seed: 11', 'seed: 11\nprim: {alpha: 0.9}', 'ConfigError: st.yaml:7: prim.alpha: 0.9 is not allowed; allowed: a number in 0.01 - 0.5'),
    ST('st-prim-threshold', 'seed: 11', 'seed: 11\nprim: {threshold: x}', "ConfigError: st.yaml:7: prim.threshold: 'x' is not allowed; allowed: a number in 0 - 1"),
    ST('st-too-many', 'method: sobol\nn: 8', 'method: lhs\nn: 1000000\nreplicates: 2', 'ConfigError: st.yaml:5: n: the study has 2,000,000 runs; allowed: at most 1,000,000'),
    ST('st-multi', 'study: st', 'study: S T\nbogus: 1', "ConfigError: st.yaml:1: study: 'S T' is not a valid name; allowed: a-z, 0-9, _ and -"),
    ST('st-multi2', 'n: 8', 'n: 10\nper_year: x', "ConfigError: st.yaml:5: n: 10 is not a power of 2 (Sobol' sequences need one); allowed: a power of 2, e.g. 8 or 16"),
    CASE('sd-unknown', 'study_dict', {}, {'study': 'm', 'scenario': '<B>', 'method': 'oat', 'n': 3, 'vary': {'aid': [0, 100]}, 'outcomes': ['resurgence'], 'bogus': 1}, "ConfigError: bogus: unknown key 'bogus'; allowed: study, description, scenario, method, n, vary, outcomes, replicates, seed, horizon, parameters, levers, per_year, conf_level, resamples, discover, prim, levels, second_order"),
    CASE('sd-vary', 'study_dict', {}, {'study': 'm', 'scenario': '<B>', 'method': 'oat', 'n': 3, 'vary': {'ad': [0, 100]}, 'outcomes': ['resurgence']}, "ConfigError: vary.ad: unknown name 'ad'; allowed: registry names (stabsim params); did you mean 'aid'?"),
    CASE('sd-vary-range', 'study_dict', {}, {'study': 'm', 'scenario': '<B>', 'method': 'oat', 'n': 3, 'vary': {'aid': [0, 1000]}, 'outcomes': ['resurgence']}, 'ConfigError: vary.aid[1]: 1000 is out of range; allowed: [low, high] with numbers in 0 - 500 (million USD per month), or null for the registry range'),
    CASE('sd-missing', 'study_dict', {}, {'study': 'm', 'scenario': '<B>', 'method': 'oat', 'vary': {'aid': [0, 100]}, 'outcomes': ['resurgence']}, "ConfigError: missing required key 'n'; allowed: the sample size (morris: trajectories; sobol: N; oat: steps; lhs: points)"),
    CASE('sd-fixed', 'study_dict', {}, {'study': 'm', 'scenario': '<B>', 'method': 'oat', 'n': 3, 'vary': {'aid': [0, 100]}, 'outcomes': ['resurgence'], 'parameters': {'arrest_k': 99}}, 'ConfigError: parameters.arrest_k: 99 is out of range; allowed: a number in 1 - 4 (dimensionless)'),
    CASE('t-missing', 'targets', {}, 't.yaml', 'ConfigError: t.yaml: file not found (<tmp>/t.yaml)'),
    TG('t-empty', '', "ConfigError: t.yaml: file is empty; allowed: a mapping of keys, e.g. 'name: my_scenario' (see docs/scenarios.md)"),
    TG('t-no-targets', 'foo: 1\n', "ConfigError: t.yaml:1: targets: expected a list under 'targets:'"),
    TG('t-null', 'targets:\n', "ConfigError: t.yaml:1: targets: expected a list under 'targets:'"),
    TG('t-not-list', 'targets: 5\n', "ConfigError: t.yaml:1: targets: expected a list under 'targets:'"),
    TG('t-extra', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\nmore: 1\n', "ConfigError: t.yaml:3: more: unknown key 'more'; allowed: targets"),
    TG('t-item-int', 'targets:\n  - 5\n', 'ConfigError: t.yaml:2: targets[0]: each target must be a mapping; allowed: id, kind, observed, tolerance, use, source, ...'),
    TG('t-unknown', 'targets:\n  - {id: a, kind: level, outcom: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].outcom: unknown key 'outcom'; allowed: area, areas, base_period, control, draws, event, id, kind, level, match, note, observed, outcome, period, source, start, statistic, threshold, tolerance, unit, use, within; did you mean 'outcome'?"),
    TG('t-missing-id', 'targets:\n  - {kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].id: missing key 'id'"),
    TG('t-missing-source', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation}\n', "ConfigError: t.yaml:2: targets[0].source: missing key 'source'"),
    TG('t-kind', 'targets:\n  - {id: a, kind: evnt, observed: 2017-07, tolerance: 1, use: calibration, source: x}\n', "ConfigError: t.yaml:2: targets[0].kind: 'evnt' is not allowed; allowed: event, level, ratio, rank, base_rate; did you mean 'event'?"),
    TG('t-use', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: calib, source: x}\n', "ConfigError: t.yaml:2: targets[0].use: 'calib' is not allowed; allowed: calibration, validation, plausibility; did you mean 'calibration'?"),
    TG('t-tol-text', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: x, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].tolerance: tolerance must be a number, got 'x'"),
    TG('t-tol-neg', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: -1, use: validation, source: x}\n', 'ConfigError: t.yaml:2: targets[0].tolerance: tolerance must not be negative'),
    TG('t-tol-list', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: [1], use: validation, source: x}\n', 'ConfigError: t.yaml:2: targets[0].tolerance: tolerance must be a number, got a list'),
    TG('t-ev-month', 'targets:\n  - {id: a, kind: event, event: retaken, observed: 2017-13, tolerance: 1, use: calibration, source: x, area: N2}\n', "ConfigError: t.yaml:2: targets[0].observed: '2017-13' is not a month; allowed: YYYY-MM, e.g. 2017-07"),
    TG('t-ev-month-int', 'targets:\n  - {id: a, kind: event, event: defeat, observed: 5, tolerance: 1, use: calibration, source: x}\n', 'ConfigError: t.yaml:2: targets[0].observed: 5 is not a month; allowed: YYYY-MM, e.g. 2017-07'),
    TG('t-ev-bad', 'targets:\n  - {id: a, kind: event, event: retakn, observed: 2017-07, tolerance: 1, use: calibration, source: x}\n', "ConfigError: t.yaml:2: targets[0].event: 'retakn' is not allowed; allowed: retaken, lost, defeat, kirkuk_crisis; did you mean 'retaken'?"),
    TG('t-ev-missing', 'targets:\n  - {id: a, kind: event, observed: 2017-07, tolerance: 1, use: calibration, source: x}\n', "ConfigError: t.yaml:2: targets[0].event: 'None' is not allowed; allowed: retaken, lost, defeat, kirkuk_crisis"),
    TG('t-ev-area', 'targets:\n  - {id: a, kind: event, event: retaken, observed: 2017-07, tolerance: 1, use: calibration, source: x}\n', "ConfigError: t.yaml:2: targets[0].areas: an event 'retaken' needs an area id (area: X) or a list (areas: [X, Y])"),
    TG('t-outcome', 'targets:\n  - {id: a, kind: level, outcome: incidnets, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].outcome: unknown outcome 'incidnets'; allowed: an outcome of docs/outputs.md; did you mean 'incidents'?"),
    TG('t-outcome-missing', 'targets:\n  - {id: a, kind: level, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].outcome: unknown outcome 'None'; allowed: an outcome of docs/outputs.md"),
    TG('t-level', 'targets:\n  - {id: a, kind: level, outcome: idps, level: nation, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].level: 'nation' is not allowed; allowed: national, governorate, area; did you mean 'national'?"),
    TG('t-stat', 'targets:\n  - {id: a, kind: level, outcome: idps, statistic: median, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].statistic: 'median' is not allowed; allowed: mean, sum, last; did you mean 'mean'?"),
    TG('t-no-period', 'targets:\n  - {id: a, kind: level, outcome: idps, observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].period: missing key 'period'"),
    TG('t-period-int', 'targets:\n  - {id: a, kind: level, outcome: idps, period: 5, observed: 5, tolerance: 1, use: validation, source: x}\n', 'ConfigError: t.yaml:2: targets[0].period: a period is [first month, last month]; allowed: [YYYY-MM, YYYY-MM]'),
    TG('t-period-month', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-13, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].period: '2018-13' is not a month; allowed: YYYY-MM, e.g. 2017-07"),
    TG('t-period-rev', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2019-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', 'ConfigError: t.yaml:2: targets[0].period: the period ends before it starts'),
    TG('t-rank-short', 'targets:\n  - {id: a, kind: rank, outcome: idps, level: governorate, period: [2018-01, 2018-12], observed: [a, b], tolerance: 1, use: validation, source: x}\n', 'ConfigError: t.yaml:2: targets[0].observed: a rank target observes a list of at least 3 units, highest first'),
    TG('t-rank-national', 'targets:\n  - {id: a, kind: rank, outcome: idps, period: [2018-01, 2018-12], observed: [a, b, c], tolerance: 1, use: validation, source: x}\n', 'ConfigError: t.yaml:2: targets[0].level: a rank target ranks governorates or areas; allowed: governorate, area'),
    TG('t-obs-text', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: lots, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].observed: observed must be a number, got 'lots'"),
    TG('t-ratio-base', 'targets:\n  - {id: a, kind: ratio, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:2: targets[0].base_period: a ratio target needs 'base_period'"),
    TG('t-dup', 'targets:\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n  - {id: a, kind: level, outcome: idps, period: [2018-01, 2018-12], observed: 5, tolerance: 1, use: validation, source: x}\n', "ConfigError: t.yaml:3: targets[1].id: duplicate target id 'a'"),
    TG('t-block', 'targets:\n  - id: a\n    kind: level\n    outcome: idps\n    period: [2018-01, 2018-12]\n    observed: 5\n    tolerance: -1\n    use: validation\n    source: x\n', 'ConfigError: t.yaml:7: targets[0].tolerance: tolerance must not be negative'),
    TG('t-block-unknown', 'targets:\n  - id: a\n    kind: level\n    outcom: idps\n    period: [2018-01, 2018-12]\n', "ConfigError: t.yaml:4: targets[0].outcom: unknown key 'outcom'; allowed: area, areas, base_period, control, draws, event, id, kind, level, match, note, observed, outcome, period, source, start, statistic, threshold, tolerance, unit, use, within; did you mean 'outcome'?"),
    TG('t-block-missing', 'targets:\n  - id: a\n    kind: level\n', "ConfigError: t.yaml:2: targets[0].observed: missing key 'observed'"),
    CHANGE('wc-0', {'bogus': 1}, "ConfigError: bogus: unknown field 'bogus'; allowed: name, description, path, start, horizon, seed, replicates, levers, parameters, initial_data, initial_areas, initial_forces, outcomes, levels, forces, deployments, events, uncertainty"),
    CHANGE('wc-1', {'levers': 5}, 'ConfigError: levers: expected a mapping, got 5'),
    CHANGE('wc-2', {'parameters': {'arest_k': 1}}, f"ConfigError: parameters.arest_k: unknown parameter 'arest_k'; allowed: one of {_NP} registry parameters (stabsim params); did you mean 'arrest_k'?"),
    CHANGE('wc-3', {'horizon': 0}, 'ConfigError: horizon: 0 is out of range; allowed: a whole number of months in 1 - 600'),
    CHANGE('wc-4', {'initial_areas': 5}, 'ConfigError: initial_areas: expected a mapping, got 5'),
    CHANGE('wc-5', {'start': '2017-13'}, "ConfigError: start: '2017-13' is not a month: month 13 does not exist; allowed: a month as YYYY-MM, e.g. 2017-04"),
    CHANGE('wc-6', {'outcomes': ['x']}, f"ConfigError: outcomes[0]: unknown outcome 'x'; allowed: 'all' or names from model.simulation.outcomes.MONTHLY_NAMES ({_NO} outcomes)"),
    CHANGE('wc-7', {'name': 'A B'}, "ConfigError: name: 'A B' is not a valid name; allowed: lower-case letters, digits, '_' and '-'"),
    CHANGE('wc-8', {'levers': {'aid': 900}}, 'ConfigError: levers.aid: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    CHANGE('wc-9', {'levers': {'aid': [{'from': '2017-04', 'value': 900}]}}, 'ConfigError: levers.aid[0].value: 900 is out of range; allowed: a number in 0 - 500 (million USD per month)'),
    CHANGE('wc-10', {'initial_data': '/nonexistent'}, 'ConfigError: initial.data: directory not found: /nonexistent; allowed: an existing directory, relative to this file'),
    CHANGE('wc-11', {'initial_areas': {'N2': {'x': [1]}}}, 'ConfigError: initial.areas.N2.x: expected a number or text, got a list; allowed: a number or text'),
    CHANGE('wc-13', {'parameters': {'us_troops': 3}}, 'ConfigError: parameters.us_troops: us_troops is a lever: put it under levers:'),
    CHANGE('wc-14', {'seed': -1}, 'ConfigError: seed: -1 is out of range; allowed: a whole number >= 0'),
    CHANGE('wc-15', {'description': 5}, 'ConfigError: description: expected text, got 5; allowed: a sentence of text'),
    CHANGE('wc-17', {'initial_forces': {'PMF': 5}}, 'ConfigError: initial.forces.PMF: expected a mapping, got 5; allowed: column: value lines'),
    COND('cond-0', 'resurgence = 1', "ValueError: cannot read the condition 'resurgence = 1'"),
    COND('cond-1', 'is_held_areas > 0', 'ValueError: is_held_areas is monthly: give a month, e.g. is_held_areas[36] > 0 (36 months after the start)'),
    COND('cond-2', 'resurgence[3] == 1', 'ValueError: resurgence is a run summary: it takes no month'),
    COND('cond-3', 'defeat_month > 3', 'ValueError: defeat_month is a date; use months_to_defeat'),
    COND('cond-4', 'kirkuk_crisis_month > 3', 'ValueError: kirkuk_crisis_month is a date; use a number outcome'),
    COND('cond-5', 'resurgnce == 1', "ValueError: unknown outcome 'resurgnce'; did you mean 'resurgence'?"),
    COND('cond-6', 'resurgence == x', "ValueError: expected a number after ==, got 'x'"),
    COND('cond-7', 'incidents[99] > 1', 'ValueError: month 99 is beyond the horizon (months 0 - 23)'),
    COND('cond-8', 'incidents[abc] > 1', 'ValueError: expected months after the start or YYYY-MM in brackets, got [abc]'),
    COND('cond-10', 5, 'ValueError: expected a condition as text, got 5'),
    COND('cond-12', 'resurgence == inf', "ValueError: expected a number after ==, got 'inf'"),
]  # fmt: skip


def _load(kind: str, arg: Any) -> None:
    if kind == "scenario":
        load_scenario(arg)
    elif kind == "batch":
        load_batch(arg)
    elif kind == "any":
        load_any(arg)
    elif kind == "design":
        parse_design(load_batch(arg))
    elif kind == "study":
        load_study(arg)
    elif kind == "study_dict":
        study_from_dict(
            {k: v.replace("<B>", BASELINE) if k == "scenario" else v for k, v in arg.items()}
        )
    elif kind == "targets":
        load_targets([arg])
    elif kind == "change":
        load_scenario(BASELINE).with_changes(**arg)
    else:
        parse_condition(arg, horizon=24)


@pytest.mark.parametrize(("kind", "files", "arg", "expected"), CASES)
def test_the_mistake_reads_as_one_exact_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, files: dict, arg: Any, expected: str
) -> None:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            target.mkdir()
        elif isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text.replace("<B>", BASELINE))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception) as info:  # noqa: PT011 - the type is part of the expected line
        _load(kind, arg)
    line = f"{type(info.value).__name__}: {info.value}".replace(str(tmp_path.resolve()), "<tmp>")
    assert line == expected


# The names other layers import from the file layer's modules (each from the module defining it).
PUBLIC_NAMES = {
    "model.files.batch": "Batch load_any load_batch",
    "model.files.scenario": "DEFAULTS Scenario load_scenario",
    "model.files.errors": "ConfigError suggest describe as_number key_path",
    "model.files.frozen": "FrozenMap freeze thaw",
    "model.files.months": "month_range parse_month",
    "model.files.schedules": "Schedule",
    "model.files.yaml_reader": "read",
    "model.files.study": "Study load_study study_from_dict study_from_record",
    "model.files.conditions": "DATE_OUTCOMES Condition base_outcome parse_condition",
    "model.files.study_file": "METHODS PER_YEAR",
    "model.files.targets": "DEFAULT_TARGETS EVENTS KINDS STATISTICS USES Target load_targets",
    "model.files.design": "DESIGN_KINDS",
    "model.experiments.design": "Design RunSpec design_table expand parse_design part_name run_id",
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_the_public_names_import(module: str) -> None:
    imported = __import__(module, fromlist=["x"])
    missing = [n for n in PUBLIC_NAMES[module].split() if not hasattr(imported, n)]
    assert not missing
