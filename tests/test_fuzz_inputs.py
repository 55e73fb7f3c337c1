"""Bad input, as a careless or hostile user writes it: every file kind and every command.

Each case runs ``stabsim`` in this process (``model.cli.main``) in a fresh folder and must end
with exit status 2, exactly one line on stderr naming the mistake (no traceback), and nothing
written: the folder's files are the same before and after. A few properties are then fuzzed with
hypothesis: any bytes as a scenario file, and a valid scenario with one value replaced by an
arbitrary one, give exit 0 or that one line, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.cli import main
from model.experiments.batchfiles import STATUS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline_historical.yaml"
OK_SCENARIO = "name: ok\nhorizon: 3\nreplicates: 1\nparameters: {persons_per_agent: 20000}\n"
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcde", "bcdef", strict=True)
    )
    + "g: [*f, *f]\n"
)
DEEP_FLOW = "[" * 3000 + "]" * 3000
DEEP_BLOCK = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n"
ALIAS_CHAIN = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 120))
MANY_ALIASES = "base: &b 1\nlist: [" + ", ".join(["*b"] * 1500) + "]\n"
HUGE_BATCH = (
    "batch: b\nreplicates: 10000\nscenarios: [{name: a}]\ndesign:\n  kind: grid\n  vary:\n"
    + "".join(
        f"    {n}: [{', '.join(str(v / 100) for v in range(100))}]\n"
        for n in ("aid", "reconciliation")
    )
)
STUDY = (
    "study: st\nscenario: s.yaml\nmethod: lhs\nn: 4\nvary:\n  aid: null\n  us_troops: null\n"
    "outcomes: [resurgence]\n"
)
TARGET = (
    "targets:\n  - {id: t1, kind: level, outcome: idps, period: [2017-06, 2017-08], "
    "observed: 3000000, tolerance: 0.5, use: calibration, source: x}\n"
)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``root`` with its size and modification time, and every folder."""
    out = {}
    for path in root.rglob("*"):
        info = path.lstat()
        folder = path.is_dir() and not path.is_symlink()
        out[str(path.relative_to(root))] = (0, 0) if folder else (info.st_size, info.st_mtime_ns)
    return out


def _files(folder: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:  # a folder
            path.mkdir(exist_ok=True)
        elif isinstance(content, tuple):  # ("link", target)
            path.symlink_to(content[1])
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def assert_one_line_error(capsys: pytest.CaptureFixture, argv: list[str], folder: Path) -> str:
    """Run ``stabsim argv`` in ``folder``: exit 2, one line on stderr, nothing written."""
    before = _snapshot(folder)
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, (code, err, out[-300:])
    assert len(lines) == 1, err
    assert lines[0].startswith("stabsim") and "error: " in lines[0], lines[0]
    assert "Traceback" not in err and len(lines[0]) < 1500
    assert _snapshot(folder) == before, "something was written"
    return lines[0]


# ---- the cases -------------------------------------------------------------------------------
# (id, files written first, command line, a part of the expected line). "<S>" in a file stands for
# a valid scenario's keys.


def S(body: str) -> str:  # noqa: N802 - reads as a template
    return "name: x\nhorizon: 3\n" + body


# fmt: off
SCENARIO_CASES = [
    ("nul-byte", {"s.yaml": b"name: x\x00\n"}, "character '\\x00'"),
    ("escape-char", {"s.yaml": b"name: x\x1b[2J\n"}, "is not allowed in YAML"),
    ("bad-utf8", {"s.yaml": b"name: \xff\xfe\n"}, "not UTF-8"),
    ("utf16", {"s.yaml": "name: x\n".encode("utf-16")}, "not UTF-8"),
    ("empty", {"s.yaml": ""}, "file is empty"),
    ("only-comment", {"s.yaml": "# nothing\n"}, "file is empty"),
    ("top-list", {"s.yaml": "- a\n- b\n"}, "top level must be a mapping"),
    ("top-scalar", {"s.yaml": "just words\n"}, "top level must be a mapping"),
    ("long-scalar-echo", {"s.yaml": "x" * 5000 + "\n"}, "..."),
    ("tab-indent", {"s.yaml": "name: x\nlevers:\n\taid: 1\n"}, "YAML syntax error"),
    ("unclosed", {"s.yaml": "name: [x\n"}, "YAML syntax error"),
    ("two-documents", {"s.yaml": "name: x\n---\nname: y\n"}, "YAML syntax error"),
    ("duplicate-key", {"s.yaml": "name: x\nname: y\n"}, "duplicate key"),
    ("recursive-alias", {"s.yaml": S("levers:\n  aid: &v {aid: *v}\n")}, "recursive"),
    ("alias-bomb", {"s.yaml": "name: x\n" + BOMB}, "once aliases are expanded"),
    ("deep-flow", {"s.yaml": "name: x\nparameters: " + DEEP_FLOW + "\n"}, "nested more than"),
    ("deep-block", {"s.yaml": "name: x\n" + DEEP_BLOCK}, "nested more than"),
    ("deep-aliases", {"s.yaml": "name: x\n" + ALIAS_CHAIN}, "nested more than"),
    ("many-aliases", {"s.yaml": "name: x\n" + MANY_ALIASES}, "aliases"),
    ("too-large", {"s.yaml": "name: x\n" + "# " + "x" * (5 * 1024 * 1024) + "\n"}, "too large"),
    ("python-tag", {"s.yaml": "name: !!python/object:os.system x\n"}, "YAML syntax error"),
    ("unknown-tag", {"s.yaml": "name: !secret x\n"}, "YAML syntax error"),
    ("binary-tag", {"s.yaml": "name: !!binary '%%%'\n"}, "expected text"),
    ("complex-key", {"s.yaml": "? [a, b]\n: 1\n"}, "a key must be a plain word"),
    ("impossible-date", {"s.yaml": S("start: 2017-02-30\n")}, "is not a date"),
    ("bad-hour", {"s.yaml": S("start: 2017-02-01 25:00:00\n")}, "is not a date"),
    ("year-zero", {"s.yaml": S("start: 0000-01-01\n")}, "is not a date"),
    ("year-2300", {"s.yaml": S("start: 2300-01\n")}, "years 1900-2200"),
    ("year-9999", {"s.yaml": S("start: 9999-12\n")}, "years 1900-2200"),
    ("year-1899", {"s.yaml": S("start: 1899-12\n")}, "years 1900-2200"),
    ("month-13", {"s.yaml": S("start: 2017-13\n")}, "month 13 does not exist"),
    ("start-number", {"s.yaml": S("start: 201704\n")}, "start"),
    ("huge-int", {"s.yaml": S("seed: " + "9" * 5000 + "\n")}, "seed"),
    ("seed-negative", {"s.yaml": S("seed: -1\n")}, "out of range"),
    ("seed-2**64", {"s.yaml": S(f"seed: {2**64}\n")}, "out of range"),
    ("horizon-zero", {"s.yaml": "name: x\nhorizon: 0\n"}, "out of range"),
    ("horizon-601", {"s.yaml": "name: x\nhorizon: 601\n"}, "out of range"),
    ("horizon-inf", {"s.yaml": "name: x\nhorizon: .inf\n"}, "not a whole number"),
    ("horizon-nan", {"s.yaml": "name: x\nhorizon: .nan\n"}, "not a whole number"),
    ("horizon-fraction", {"s.yaml": "name: x\nhorizon: 2.5\n"}, "not a whole number"),
    ("horizon-list", {"s.yaml": "name: x\nhorizon: [3]\n"}, "horizon"),
    ("replicates-zero", {"s.yaml": S("replicates: 0\n")}, "out of range"),
    ("name-upper", {"s.yaml": "name: Bad Name\n"}, "is not a valid name"),
    ("name-300", {"s.yaml": "name: " + "a" * 300 + "\n"}, "too long"),
    ("name-empty", {"s.yaml": "name: ''\n"}, "is not a valid name"),
    ("name-slash", {"s.yaml": "name: ../x\n"}, "is not a valid name"),
    ("unknown-key", {"s.yaml": S("levres: {}\n")}, "did you mean 'levers'"),
    ("unknown-lever", {"s.yaml": S("levers: {us_trops: 0}\n")}, "did you mean 'us_troops'"),
    ("lever-out-of-range", {"s.yaml": S("levers: {us_troops: -5}\n")}, "us_troops"),
    ("schedule-order", {"s.yaml": S("levers:\n  aid: {2018-01: 1, 2017-05: 2}\n")}, "order"),
    ("schedule-bad-month", {"s.yaml": S("levers:\n  aid: {2017-02-30: 1}\n")}, "not a date"),
    ("schedule-far-month", {"s.yaml": S("levers:\n  aid: [{from: 2999-01, value: 1}]\n")}, "1900"),
    ("parameter-string", {"s.yaml": S("parameters: {arrest_k: lots}\n")}, "arrest_k"),
    ("parameter-schedule", {"s.yaml": S("parameters: {arrest_k: [1, 2]}\n")}, "schedules"),
    ("outcome-unknown", {"s.yaml": S("outcomes: [incidnts]\n")}, "did you mean"),
    ("levels-bad", {"s.yaml": S("levels: [planet]\n")}, "level"),
    ("extends-dev-zero", {"s.yaml": S("extends: /dev/zero\n")}, "outside the working folder"),
    ("extends-passwd", {"s.yaml": S("extends: /etc/passwd\n")}, "outside the working folder"),
    ("extends-dotdot", {"s.yaml": S("extends: ../../../../../etc/hostname\n")}, "outside"),
    ("extends-link-out", {"l.yaml": ("link", "/etc/hostname"), "s.yaml": S("extends: l.yaml\n")}, "leads to"),
    ("extends-dev-local", {"z.yaml": ("link", "/dev/zero"), "s.yaml": S("extends: z.yaml\n")}, "outside"),
    ("extends-self", {"s.yaml": S("extends: s.yaml\n")}, "cycle"),
    ("extends-missing", {"s.yaml": S("extends: nothere.yaml\n")}, "file not found"),
    ("extends-folder", {"d": None, "s.yaml": S("extends: d\n")}, "is a directory"),
    ("extends-number", {"s.yaml": S("extends: 5\n")}, "expected text"),
    ("extends-nul", {"s.yaml": S('extends: "a\\0b"\n')}, "NUL"),
    ("extends-batch", {"b.yaml": "batch: b\nscenarios: [s.yaml]\n", "s.yaml": S("extends: b.yaml\n")}, "batch file"),
    ("data-outside", {"s.yaml": S("initial: {data: /etc}\n")}, "outside"),
    ("data-missing", {"s.yaml": S("initial: {data: nodata}\n")}, "directory not found"),
    ("data-file", {"f.csv": "x\n", "s.yaml": S("initial: {data: f.csv}\n")}, "not a directory"),
    ("data-empty-folder", {"d": None, "s.yaml": S("initial: {data: d}\n")}, "initial.data"),
    ("override-area", {"s.yaml": S("initial: {areas: {NOWHERE: {is_share: 0.1}}}\n")}, "initial.areas.NOWHERE"),
    ("override-column", {"s.yaml": S("initial: {areas: {N2: {colour: 1}}}\n")}, "s.yaml:3: initial.areas.N2.colour: unknown column"),
    ("override-value", {"s.yaml": S("initial: {forces: {US: {strength: lots}}}\n")}, "s.yaml:3: initial.forces.US.strength: 'lots' is not a number"),
    ("override-list", {"s.yaml": S("initial: {areas: {N2: [1]}}\n")}, "initial.areas.N2"),
    ("override-check", {"s.yaml": S("initial: {areas: {N2: {is_fighters: -5}}}\n")}, "s.yaml:3: initial.areas.N2.is_fighters: -5 is negative"),
]

BATCH_CASES = [
    ("b-dev-zero", {"b.yaml": "batch: b\nscenarios: [/dev/zero]\n"}, "outside"),
    ("b-passwd", {"b.yaml": "batch: b\nscenarios: [/etc/passwd]\n"}, "outside"),
    ("b-dotdot", {"b.yaml": "batch: b\nscenarios: [../../../../../../etc/hostname]\n"}, "outside"),
    ("b-fifo", {"b.yaml": "batch: b\nscenarios: [p.yaml]\n", "p.yaml": "FIFO"}, "not a regular file"),
    ("b-empty-list", {"b.yaml": "batch: b\nscenarios: []\n"}, "non-empty list"),
    ("b-not-list", {"b.yaml": "batch: b\nscenarios: s.yaml\n"}, "scenarios"),
    ("b-entry-number", {"b.yaml": "batch: b\nscenarios: [5]\n"}, "a file name or a mapping"),
    ("b-itself", {"b.yaml": "batch: b\nscenarios: [b.yaml]\n"}, "cannot list itself"),
    ("b-twice", {"b.yaml": "batch: b\nscenarios: [{name: a}, {name: a}]\n"}, "used twice"),
    ("b-name", {"b.yaml": "batch: B B\nscenarios: [{name: a}]\n"}, "not a valid name"),
    ("b-replicates", {"b.yaml": "batch: b\nreplicates: 0\nscenarios: [{name: a}]\n"}, "out of range"),
    ("b-design-kind", {"b.yaml": "batch: b\nscenarios: [{name: a}]\ndesign: {kind: magic}\n"}, "design"),
    ("b-inline-bad", {"b.yaml": "batch: b\nscenarios: [{name: a, horizon: -1}]\n"}, "scenarios[0].horizon"),
    ("b-bomb", {"b.yaml": "batch: b\nscenarios: [{name: a}]\n" + BOMB}, "once aliases"),
]

STUDY_CASES = [
    ("st-bomb", {"st.yaml": STUDY + BOMB.replace("a: &a", "za: &a"), "s.yaml": OK_SCENARIO}, "once aliases"),
    ("st-deep", {"st.yaml": STUDY + "x: " + DEEP_FLOW + "\n", "s.yaml": OK_SCENARIO}, "nested"),
    ("st-passwd", {"st.yaml": STUDY.replace("s.yaml", "/etc/passwd")}, "outside"),
    ("st-dotdot", {"st.yaml": STUDY.replace("s.yaml", "../../../../../../etc/hostname")}, "outside"),
    ("st-missing", {"st.yaml": STUDY}, "scenario file not found"),
    ("st-method", {"st.yaml": STUDY.replace("lhs", "lsh"), "s.yaml": OK_SCENARIO}, "did you mean 'lhs'"),
    ("st-sobol-n", {"st.yaml": STUDY.replace("lhs", "sobol").replace("n: 4", "n: 6"), "s.yaml": OK_SCENARIO}, "power of 2"),
    ("st-vary-empty", {"st.yaml": STUDY.replace("vary:\n  aid: null\n  us_troops: null\n", "vary: {}\n"), "s.yaml": OK_SCENARIO}, "vary"),
    ("st-outcome", {"st.yaml": STUDY.replace("resurgence", "resurgance"), "s.yaml": OK_SCENARIO}, "did you mean"),
    ("st-name", {"st.yaml": STUDY.replace("study: st", "study: " + "s" * 200), "s.yaml": OK_SCENARIO}, "too long"),
    ("st-nul", {"st.yaml": STUDY.encode() + b"\x00", "s.yaml": OK_SCENARIO}, "not allowed in YAML"),
    ("st-runs", {"st.yaml": STUDY.replace("n: 4", "n: 1000000").replace("outcomes", "replicates: 10\noutcomes"), "s.yaml": OK_SCENARIO}, "runs"),
]

TARGET_CASES = [
    ("t-empty", TARGET.split("\n")[0] + " []\n", "is empty"),
    ("t-not-list", "targets: 5\n", "expected a list"),
    ("t-missing-key", "other: 1\n", "targets"),
    ("t-bomb", "targets: []\n" + BOMB, "once aliases"),
    ("t-nul", "targets: []\x00\n", "not allowed in YAML"),
    ("t-kind", TARGET.replace("kind: level", "kind: levle"), "did you mean 'level'"),
    ("t-month", TARGET.replace("2017-06", "2017-13"), "is not a month"),
    ("t-month-far", TARGET.replace("2017-08", "2500-01"), "1900-2200"),
    ("t-tolerance", TARGET.replace("tolerance: 0.5", "tolerance: -1"), "negative"),
    ("t-duplicate", TARGET + TARGET.split("\n", 1)[1], "duplicate target id"),
    ("t-outcome", TARGET.replace("outcome: idps", "outcome: ipds"), "did you mean 'idps'"),
]



def U(body: str) -> str:  # noqa: N802 - reads as a template
    """A scenario with ``uncertainty:`` (draws 2 unless the body says)."""
    return S("uncertainty:\n  " + body.replace("\n", "\n  ") + "\n")


SCHEDULE = "schedules:\n  w: {from: [2018-01, 2019-01], set: {aid: 1}"
POSTERIOR = "draws: 2\nposterior: "
UNCERTAINTY_CASES = [
    ("u-unknown-key", {"s.yaml": U("draws: 2\ndrwas: 3")}, "did you mean 'draws'"),
    ("u-no-draws", {"s.yaml": U("parameters: default")}, "missing required key 'draws'"),
    ("u-draws-0", {"s.yaml": U("draws: 0")}, "uncertainty.draws: 0 is out of range"),
    ("u-draws-huge", {"s.yaml": U("draws: 100000000")}, "is out of range"),
    ("u-draws-float", {"s.yaml": U("draws: 2.5")}, "expected a whole number"),
    ("u-draws-text", {"s.yaml": U("draws: many")}, "expected a whole number"),
    ("u-draws-bool", {"s.yaml": U("draws: true")}, "yes/no"),
    ("u-not-mapping", {"s.yaml": S("uncertainty: [1]\n")}, "expected a mapping"),
    ("u-dist-reversed", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: [3, 1]}")}, "not below high"),
    ("u-dist-outside", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: [0, 1000]}")}, "arrest_k.low"),
    ("u-dist-nan", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: [.nan, 2]}")}, "out of range"),
    ("u-dist-three", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: [1, 2, 3]}")}, "a range or a mapping"),
    ("u-dist-kind", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: {distribution: normal}}")}, "unknown distribution"),
    ("u-dist-mode", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: {distribution: triangular, mode: 99}}")}, "mode"),
    ("u-dist-key", {"s.yaml": U("draws: 2\ndistributions: {arrest_k: {lo: 1}}")}, "did you mean 'low'"),
    ("u-dist-name", {"s.yaml": U("draws: 2\ndistributions: {arrest_kk: [1, 2]}")}, "did you mean 'arrest_k'"),
    ("u-dist-lever", {"s.yaml": U("draws: 2\ndistributions: {aid: [0, 1]}")}, "schedules:"),
    ("u-parameters", {"s.yaml": U("draws: 2\nparameters: [nosuch]")}, "unknown parameter"),
    ("u-exclude", {"s.yaml": U("draws: 2\nexclude: {a: 1}")}, "exclude"),
    ("u-seed", {"s.yaml": U("draws: 2\nseed: -1")}, "uncertainty.seed"),
    ("u-recursive", {"s.yaml": U("draws: 2\ndistributions: &d {arrest_k: *d}")}, "recursive"),
    ("u-recursive-top", {"s.yaml": S("uncertainty: &u {draws: 2, x: *u}\n")}, "recursive"),
    ("u-post-passwd", {"s.yaml": U(POSTERIOR + "/etc/passwd")}, "outside"),
    ("u-post-dotdot", {"s.yaml": U(POSTERIOR + "../../../../../etc/passwd")}, "outside"),
    ("u-post-dev-zero", {"s.yaml": U(POSTERIOR + "/dev/zero")}, "outside"),
    ("u-post-link-zero", {"z.csv": ("link", "/dev/zero"), "s.yaml": U(POSTERIOR + "z.csv")}, "leads to /dev/zero"),
    ("u-post-folder", {"d": None, "s.yaml": U(POSTERIOR + "d")}, "d/posterior.csv"),
    ("u-post-no-columns", {"p.csv": "a,b\n1,2\n", "s.yaml": U(POSTERIOR + "p.csv")}, "no column named"),
    ("u-post-text", {"p.csv": "arrest_k\nlots\n", "s.yaml": U(POSTERIOR + "p.csv")}, "p.csv:2: arrest_k"),
    ("u-post-range", {"p.csv": "arrest_k\n99\n", "s.yaml": U(POSTERIOR + "p.csv")}, "99 is out of range"),
    ("u-post-blank", {"p.csv": "arrest_k,loss\n,1\n", "s.yaml": U(POSTERIOR + "p.csv")}, "arrest_k"),
    ("u-post-no-rows", {"p.csv": "arrest_k\n", "s.yaml": U(POSTERIOR + "p.csv")}, "no (accepted) rows"),
    ("u-post-accepted", {"p.csv": "arrest_k,accepted\n2,maybe\n", "s.yaml": U(POSTERIOR + "p.csv")}, "accepted"),
    ("u-post-twice", {"p.csv": "arrest_k,arrest_k\n2,3\n", "s.yaml": U(POSTERIOR + "p.csv")}, "twice"),
    ("u-post-short-row", {"p.csv": "arrest_k,x\n2\n", "s.yaml": U(POSTERIOR + "p.csv")}, "columns"),
    ("u-post-utf8", {"p.csv": b"arrest_k\n\xff\n", "s.yaml": U(POSTERIOR + "p.csv")}, "not UTF-8"),
    ("u-post-long-name", {"s.yaml": U(POSTERIOR + "p" * 300)}, "uncertainty.posterior"),
    ("u-post-nul", {"s.yaml": U(POSTERIOR + '"a\\0b"')}, "NUL"),
    ("u-post-number", {"s.yaml": U(POSTERIOR + "5")}, "expected text"),
    ("u-sched-order", {"s.yaml": U("draws: 2\nschedules:\n  w: {from: [2018-01, 2017-01], set: {aid: 1}}")}, "not after the first"),
    ("u-sched-lever", {"s.yaml": U("draws: 2\n" + SCHEDULE.replace("aid", "ad") + "}")}, "did you mean 'aid'"),
    ("u-sched-fixed", {"s.yaml": U("draws: 2\nschedules:\n  w: {from: 2018-01, set: {aid: 1}}")}, "nothing varies"),
    ("u-sched-date", {"s.yaml": U("draws: 2\n" + SCHEDULE.replace("2018-01", "2017-02-30") + "}")}, "is not a date"),
    ("u-sched-far", {"s.yaml": U("draws: 2\n" + SCHEDULE.replace("2019-01", "9999-01") + "}")}, "1900-2200"),
    ("u-sched-values", {"s.yaml": U("draws: 2\nschedules:\n  w: {from: 2018-01, set: {us_troops: [5000, 100]}}")}, "not below high"),
    ("u-sched-name", {"s.yaml": U("draws: 2\nschedules:\n  W-x: {from: [2018-01, 2019-01], set: {aid: 1}}")}, "variable name"),
    ("u-sched-key", {"s.yaml": U("draws: 2\n" + SCHEDULE + ", when: 3}")}, "unknown key 'when'"),
    ("u-sched-recursive", {"s.yaml": U("draws: 2\nschedules: &s {w: *s}")}, "recursive"),
]
BATCH_UNCERTAINTY_CASES = [
    ("bu-scope", {"b.yaml": "batch: b\nscenarios: [{name: a}]\nuncertainty:\n  draws: 2\n  schedules:\n    w: {from: [2018-01, 2019-01], set: {aid: 1}, scenarios: [nosuch]}\n"}, "b.yaml:6: uncertainty.schedules.w.scenarios"),
    ("bu-two", {"b.yaml": "batch: b\nscenarios:\n  - {name: a, uncertainty: {draws: 2}}\n  - {name: c, uncertainty: {draws: 3}}\n"}, "b.yaml:1: uncertainty: the scenarios of a batch share"),
    ("bu-overlap", {"b.yaml": "batch: b\nscenarios: [{name: a}]\nuncertainty: {draws: 2, parameters: [arrest_k]}\ndesign: {kind: grid, vary: {arrest_k: [1, 2]}}\n"}, "b.yaml:3: uncertainty: arrest_k is both"),
    ("bu-posterior", {"b.yaml": "batch: b\nscenarios: [{name: a}]\nuncertainty: {draws: 2, posterior: /etc/passwd}\n"}, "outside"),
    ("bu-inline-draws", {"b.yaml": "batch: b\nscenarios: [{name: a, uncertainty: {draws: 0}}]\n"}, "scenarios[0].uncertainty.draws"),
]
BASE_RATE = (
    "targets:\n  - {id: r, start: 2017-04, kind: base_rate, observed: [0.23, 0.40], "
    "tolerance: 0.05, use: plausibility, source: x}\n"
)


def _rate(extra: str) -> str:
    return BASE_RATE.replace("source: x}", "source: x, " + extra + "}")


BASE_RATE_CASES = [
    ("t-within-0", _rate("within: 0"), "within must be a whole number above 0"),
    ("t-within-float", _rate("within: 2.5"), "within"),
    ("t-within-huge", _rate("within: 1000000000"), "at most 564"),
    ("t-within-bool", _rate("within: true"), "yes/no"),
    ("t-within-text", _rate("within: many"), "must be a number"),
    ("t-threshold-0", _rate("threshold: 0"), "threshold must be a number above 0"),
    ("t-threshold-nan", _rate("threshold: .nan"), "finite"),
    ("t-threshold-inf", _rate("threshold: .inf"), "finite"),
    ("t-draws-0", _rate("draws: 0"), "draws must be a whole number above 0"),
    ("t-draws-float", _rate("draws: 1.5"), "draws"),
    ("t-draws-huge", _rate("draws: 1000000000"), "at most 100,000"),
    ("t-draws-list", _rate("draws: [1]"), "must be a number"),
    ("t-rate-reversed", BASE_RATE.replace("[0.23, 0.40]", "[0.5, 0.2]"), "not a range of shares"),
    ("t-rate-scalar", BASE_RATE.replace("[0.23, 0.40]", "0.3"), "range of shares"),
    ("t-tolerance-nan", BASE_RATE.replace("tolerance: 0.05", "tolerance: .nan"), "finite"),
    ("t-rate-key", _rate("withn: 5"), "unknown key 'withn'"),
]

# (id, argv) for command-line mistakes; files: a valid scenario s.yaml and a plain file f.txt.
ARG_CASES = [
    ("no-command", []),
    ("unknown-command", ["rnu"]),
    ("run-no-file", ["run"]),
    ("run-replicates-0", ["run", "s.yaml", "--replicates", "0"]),
    ("run-replicates-neg", ["run", "s.yaml", "--replicates", "-3"]),
    ("run-replicates-huge", ["run", "s.yaml", "--replicates", "99999"]),
    ("run-horizon-0", ["run", "s.yaml", "--horizon", "0"]),
    ("run-horizon-text", ["run", "s.yaml", "--horizon", "abc"]),
    ("run-horizon-601", ["run", "s.yaml", "--horizon", "601"]),
    ("run-horizon-float", ["run", "s.yaml", "--horizon", "1.5"]),
    ("run-runs-dir-file", ["run", "s.yaml", "--runs-dir", "f.txt"]),
    ("run-runs-dir-under-file", ["run", "s.yaml", "--runs-dir", "f.txt/runs"]),
    ("run-runs-dir-long", ["run", "s.yaml", "--runs-dir", "r" * 300]),
    ("run-unknown-option", ["run", "s.yaml", "--replicatez", "2"]),
    ("run-missing-file", ["run", "nothere.yaml"]),
    ("run-folder", ["run", "."]),
    ("run-dev-zero", ["run", "/dev/zero"]),
    ("run-passwd", ["run", "/etc/passwd"]),
    ("check-no-file", ["check"]),
    ("demo-replicates-0", ["demo", "--replicates", "0", "--list"]),
    ("demo-horizon-0", ["demo", "--horizon", "0", "--list"]),
    ("demo-workers-0", ["demo", "--workers", "0"]),
    ("demo-runs-dir-file", ["demo", "--runs-dir", "f.txt"]),
    ("demo-batch-scenario", ["demo", "--batch", "s.yaml", "--list"]),
    ("batch-nothing", ["batch"]),
    ("batch-replicates-0", ["batch", "b.yaml", "--replicates", "0"]),
    ("batch-workers-0", ["batch", "b.yaml", "--workers", "0"]),
    ("batch-workers-huge", ["batch", "b.yaml", "--workers", "100000"]),
    ("batch-executor", ["batch", "b.yaml", "--executor", "proces"]),
    ("batch-scheduler-serial", ["batch", "b.yaml", "--executor", "serial", "--scheduler", "tcp://x:1"]),
    ("batch-out-file", ["batch", "b.yaml", "--out", "f.txt"]),
    ("batch-out-and-resume", ["batch", "b.yaml", "--out", "o", "--resume", "o"]),
    ("batch-resume-empty", ["batch", "--resume", "emptydir"]),
    ("batch-resume-file", ["batch", "--resume", "f.txt"]),
    ("batch-resume-overrides", ["batch", "--resume", "emptydir", "--horizon", "2"]),
    ("batch-scenario-file", ["batch", "s.yaml"]),
    ("status-missing", ["status", "nowhere"]),
    ("status-empty", ["status", "emptydir"]),
    ("status-no-folder", ["status"]),
    ("compare-missing", ["compare", "nowhere"]),
    ("compare-file", ["compare", "f.txt"]),
    ("compare-out-file", ["compare", "emptydir", "--out", "f.txt"]),
    ("compare-level", ["compare", "emptydir", "--level", "planet"]),
    ("validate-replicates-0", ["validate", "s.yaml", "--replicates", "0"]),
    ("validate-workers-0", ["validate", "s.yaml", "--workers", "0"]),
    ("validate-targets-missing", ["validate", "s.yaml", "--targets", "nothere.yaml"]),
    ("validate-targets-scenario", ["validate", "s.yaml", "--targets", "s.yaml"]),
    ("validate-runs-dir-file", ["validate", "s.yaml", "--runs-dir", "f.txt"]),
    ("calibrate-no-parameters", ["calibrate", "s.yaml"]),
    ("calibrate-empty-parameters", ["calibrate", "s.yaml", "--parameters", ","]),
    ("calibrate-lever", ["calibrate", "s.yaml", "--parameters", "aid"]),
    ("calibrate-range-reversed", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--range", "arrest_k=3:1"]),
    ("calibrate-range-garbage", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--range", "arrest_k"]),
    ("calibrate-range-outside", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--range", "arrest_k=0:100"]),
    ("calibrate-range-nan", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--range", "arrest_k=nan:2"]),
    ("calibrate-range-unfitted", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--range", "return_rate=0.02:0.05"]),
    ("calibrate-samples-1", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--samples", "1"]),
    ("calibrate-accept-0", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--accept", "0"]),
    ("calibrate-accept-2", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--accept", "2"]),
    ("calibrate-accept-inf", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--accept", "inf"]),
    ("calibrate-seed-neg", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--seed", "-1"]),
    ("calibrate-name", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--name", "Bad Name"]),
    ("calibrate-targets-empty", ["calibrate", "s.yaml", "--parameters", "arrest_k", "--targets", "t0.yaml"]),
    ("sensitivity-nothing", ["sensitivity"]),
    ("sensitivity-n-0", ["sensitivity", "st.yaml", "--n", "0"]),
    ("sensitivity-resume-empty", ["sensitivity", "--resume", "emptydir"]),
    ("sensitivity-scenario-file", ["sensitivity", "s.yaml", "--dry-run"]),
    ("discover-no-outcome", ["discover", "emptydir"]),
    ("discover-alpha-0", ["discover", "emptydir", "--outcome", "resurgence==1", "--alpha", "0"]),
    ("discover-boxes-0", ["discover", "emptydir", "--outcome", "resurgence==1", "--boxes", "0"]),
    ("discover-empty", ["discover", "emptydir", "--outcome", "resurgence==1"]),
    ("params-kind", ["params", "--kind", "magic"]),
    ("allow-path-missing-value", ["check", "s.yaml", "--allow-path"]),
    ("run-draws-negative", ["run", "s.yaml", "--draws", "-1"]),
    ("run-draws-float", ["run", "s.yaml", "--draws", "1.5"]),
    ("run-draws-huge", ["run", "s.yaml", "--draws", "100001"]),
    ("batch-draws-negative", ["batch", "b.yaml", "--draws", "-1"]),
    ("batch-draws-too-many", ["batch", "b.yaml", "--draws", "100000", "--replicates", "20", "--dry-run"]),
    ("demo-draws-float", ["demo", "--draws", "1.5", "--list"]),
    ("batch-rank-by-unknown", ["batch", "b.yaml", "--rank-by", "nosuch"]),
    ("batch-rank-by-empty", ["batch", "b.yaml", "--rank-by", ","]),
    ("batch-rank-by-side", ["batch", "b.yaml", "--rank-by", "resurgence:sideways"]),
    ("batch-satisfice-garbage", ["batch", "b.yaml", "--satisfice", "garbage"]),
    ("batch-satisfice-inf", ["batch", "b.yaml", "--satisfice", "resurgence<inf"]),
    ("batch-satisfice-nan", ["batch", "b.yaml", "--satisfice", "battle_deaths_final_year<nan"]),
    ("batch-satisfice-month", ["batch", "b.yaml", "--satisfice", "battle_deaths_12m[3:x]<1"]),
    ("batch-satisfice-unknown", ["batch", "b.yaml", "--satisfice", "nosuch<1"]),
    ("demo-rank-by-unknown", ["demo", "--rank-by", "nosuch", "--list"]),
    ("calibrate-parameters-blank", ["calibrate", "s.yaml", "--parameters", " "]),
]
# fmt: on
ARG_FILES = {
    "s.yaml": OK_SCENARIO,
    "f.txt": "a file\n",
    "emptydir": None,
    "b.yaml": "batch: b\nscenarios: [s.yaml]\n",
    "st.yaml": STUDY,
    "t0.yaml": "targets: []\n",
}

CASES = [
    *[pytest.param(f, ["check", "s.yaml"], want, id=i) for i, f, want in SCENARIO_CASES],
    *[pytest.param(f, ["check", "b.yaml"], want, id=i) for i, f, want in BATCH_CASES],
    *[
        pytest.param(f, ["sensitivity", "st.yaml", "--dry-run"], want, id=i)
        for i, f, want in STUDY_CASES
    ],
    *[
        pytest.param(
            {"t.yaml": t, "s.yaml": OK_SCENARIO},
            ["validate", "s.yaml", "--targets", "t.yaml"],
            want,
            id=i,
        )
        for i, t, want in TARGET_CASES
    ],
    *[pytest.param(ARG_FILES, argv, None, id=i) for i, argv in ARG_CASES],
    *[pytest.param(f, ["check", "s.yaml"], want, id=i) for i, f, want in UNCERTAINTY_CASES],
    *[pytest.param(f, ["check", "b.yaml"], want, id=i) for i, f, want in BATCH_UNCERTAINTY_CASES],
    *[
        pytest.param(
            {"t.yaml": t, "s.yaml": OK_SCENARIO},
            ["validate", "s.yaml", "--targets", "t.yaml"],
            want,
            id=i,
        )
        for i, t, want in BASE_RATE_CASES
    ],
    # odd file names, and a batch too large to plan
    pytest.param(
        {"\udcff.yaml": "name: Bad\n"}, ["check", "\udcff.yaml"], "\\udcff", id="name-undecodable"
    ),
    pytest.param(
        {"a\nb.yaml": "name: Bad\n"}, ["check", "a\nb.yaml"], "a b.yaml:1", id="name-newline"
    ),
    pytest.param(
        {"s.yaml": ("link", "s.yaml")}, ["check", "s.yaml"], "cannot read", id="link-loop"
    ),
    pytest.param(
        {"b.yaml": HUGE_BATCH},
        ["batch", "b.yaml", "--dry-run"],
        "at most 1,000,000",
        id="batch-huge",
    ),
    pytest.param({"b.yaml": HUGE_BATCH}, ["check", "b.yaml"], "at most 1,000,000", id="check-huge"),
]


@pytest.mark.parametrize(("files", "argv", "expected"), CASES)
def test_bad_input_is_one_line_and_writes_nothing(
    files: dict[str, Any],
    argv: list[str],
    expected: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CI", "true")
    special = {k: v for k, v in files.items() if v == "FIFO"}
    _files(tmp_path, {k: v for k, v in files.items() if v != "FIFO"})
    for name in special:
        os.mkfifo(tmp_path / name)  # reading it would block: it must not be opened
    line = assert_one_line_error(capsys, argv, tmp_path)
    if expected is not None:
        assert expected in line, line


def test_the_suite_has_over_a_hundred_distinct_bad_inputs() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 100
    inputs = {json.dumps([repr(c.values[0]), c.values[1]]) for c in CASES}
    assert len(inputs) == len(ids)  # no two cases are the same input


# ---- damaged and edited batch folders --------------------------------------------------------


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished batch of 2 runs (3 months each)."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "b.yaml").write_text(
        "batch: sm\nseed: 1\nreplicates: 1\nscenarios:\n"
        "  - {name: a, horizon: 3, parameters: {persons_per_agent: 20000}}\n"
        "  - {name: b, horizon: 3, parameters: {persons_per_agent: 20000}}\n"
    )
    out = folder / "done"
    code = main(
        ["batch", str(folder / "b.yaml"), "--out", str(out), "--executor", "serial", "--quiet"]
    )
    assert code == 0
    return out


def _edit_manifest(change: Any) -> Any:
    def edit(folder: Path) -> None:
        path = folder / "manifest.json"
        data = json.loads(path.read_text())
        path.write_text(json.dumps(change(data)))

    return edit


def _write(name: str, content: bytes) -> Any:
    return lambda folder: (folder / name).write_bytes(content)


def _replace_run(key: str, value: Any) -> Any:
    def change(m: dict) -> dict:
        m["runs"][0][key] = value
        return m

    return _edit_manifest(change)


# fmt: off
FOLDER_CASES = [
    ("m-not-json", _write("manifest.json", b"{not json"), "not valid JSON"),
    ("m-list", _write("manifest.json", b"[1, 2]"), "not a stabsim batch manifest"),
    ("m-empty", _write("manifest.json", b""), "not valid JSON"),
    ("m-nul", _write("manifest.json", b"\x00\x00"), "manifest.json"),
    ("m-deep", _write("manifest.json", b"[" * 100000 + b"]" * 100000), "manifest.json"),
    ("m-format", _edit_manifest(lambda m: {**m, "format": "other/9"}), "format"),
    ("m-no-runs", _edit_manifest(lambda m: {k: v for k, v in m.items() if k != "runs"}), "runs: missing"),
    ("m-no-batch", _edit_manifest(lambda m: {k: v for k, v in m.items() if k != "batch"}), "batch: missing"),
    ("m-runs-dict", _edit_manifest(lambda m: {**m, "runs": {}}), "runs: expected a list"),
    ("m-run-scenario", _replace_run("scenario", "zzz"), "unknown scenario"),
    ("m-run-id-list", _replace_run("run_id", ["a"]), "run_id: expected text"),
    ("m-run-negative", _replace_run("replicate", -1), "negative"),
    ("m-run-twice", _edit_manifest(lambda m: {**m, "runs": m["runs"] + m["runs"][:1]}), "listed twice"),
    ("m-scenarios", _edit_manifest(lambda m: {**m, "scenarios": "a"}), "scenarios"),
    ("m-folder", lambda f: ((f / "manifest.json").unlink(), (f / "manifest.json").mkdir()), "not found"),
    ("m-dev-zero", lambda f: ((f / "manifest.json").unlink(), (f / "manifest.json").symlink_to("/dev/zero")), "not found"),
]
# Damage that only rebuilding the batch finds (``--resume``): status and compare do not need it.
RESUME_CASES = [
    ("m-horizon", _edit_manifest(lambda m: (m["batch"]["scenarios"][0].update(horizon=9999), m)[1]), "no longer valid"),
    ("m-levers", _edit_manifest(lambda m: (m["batch"]["scenarios"][0].update(levers=[1]), m)[1]), "no longer valid"),
    ("m-seed", _edit_manifest(lambda m: (m["batch"].update(seed="x"), m)[1]), "batch"),
]
# fmt: on
FOLDER_PARAMS = [
    *[
        pytest.param(d, e, c, id=f"{i}-{c}")
        for i, d, e in FOLDER_CASES
        for c in ("status", "resume", "compare")
    ],
    *[pytest.param(d, e, "resume", id=f"{i}-resume") for i, d, e in RESUME_CASES],
]


@pytest.mark.parametrize(("damage", "expected", "command"), FOLDER_PARAMS)
def test_a_damaged_batch_folder_is_named_in_one_line(
    damage: Any,
    expected: str,
    command: str,
    small_batch: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    folder = tmp_path / "batch"
    shutil.copytree(small_batch, folder, symlinks=True)
    damage(folder)
    monkeypatch.chdir(tmp_path)
    argv = {
        "status": ["status", "batch"],
        "resume": ["batch", "--resume", "batch", "--executor", "serial", "--quiet"],
        "compare": ["compare", "batch", "--quiet"],
    }[command]
    line = assert_one_line_error(capsys, argv, tmp_path)
    assert "manifest.json" in line and expected in line, line


def _folder_instead(name: str) -> Any:
    def damage(folder: Path) -> None:
        (folder / name).unlink(missing_ok=True)
        (folder / name).mkdir()

    return damage


RESUME = ["batch", "--resume", "batch", "--executor", "serial"]


@pytest.mark.parametrize(
    ("damage", "argv", "expected"),
    [
        pytest.param(_folder_instead(STATUS), ["status", "batch"], STATUS, id="status-folder"),
        pytest.param(_folder_instead(STATUS), RESUME, STATUS, id="status-folder-resume"),
        pytest.param(_folder_instead(".lock"), RESUME, ".lock", id="lock-folder-resume"),
    ],
)
def test_other_damage_to_a_batch_folder_is_one_line(
    damage: Any,
    argv: list[str],
    expected: str,
    small_batch: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    shutil.copytree(small_batch, tmp_path / "batch")
    (tmp_path / "batch" / ".lock").unlink(missing_ok=True)
    damage(tmp_path / "batch")
    monkeypatch.chdir(tmp_path)
    line = assert_one_line_error(
        capsys,
        [*argv, "--executor", "serial"][: len(argv) + (2 if argv[0] == "batch" else 0)],
        tmp_path,
    )
    assert expected in line, line


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(["--satisfice", "battle_deaths_12m[3:]<1000"], "end before", id="past-end"),
        pytest.param(["--satisfice", "battle_deaths_12m[2030-01]<1"], "end before", id="past-date"),
        pytest.param(["--satisfice", "resurgence<inf"], "finite", id="infinite"),
        pytest.param(["--rank-by", ","], "--rank-by", id="rank-by-empty"),
        pytest.param(["--rank-by", "nosuch"], "unknown run-level outcome", id="rank-by-unknown"),
        pytest.param(["--outcomes", ","], "--outcomes", id="outcomes-empty"),
        pytest.param(["--scenarios", " , "], "--scenarios", id="scenarios-empty"),
    ],
)
def test_compare_refuses_decision_options_it_cannot_honour(
    options: list[str],
    expected: str,
    small_batch: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    shutil.copytree(small_batch, tmp_path / "batch")
    monkeypatch.chdir(tmp_path)
    line = assert_one_line_error(capsys, ["compare", "batch", "--quiet", *options], tmp_path)
    assert expected in line, line


def test_a_bad_study_record_is_named_on_resume(
    small_batch: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    for i, record in enumerate([b"{bad", b"[]", b'{"study": "x"}', b'{"study": 5, "method": []}']):
        folder = tmp_path / f"study{i}"
        shutil.copytree(small_batch, folder)
        (folder / "study.json").write_bytes(record)
        line = assert_one_line_error(capsys, ["sensitivity", "--resume", folder.name], tmp_path)
        assert "study.json" in line or "manifest.json" in line, line


# ---- hypothesis: arbitrary files and values --------------------------------------------------


def _check_file(content: bytes) -> tuple[int, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "s.yaml")
        path.write_bytes(content)
        old = os.getcwd()
        os.chdir(folder)
        try:
            import contextlib
            import io

            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["check", "s.yaml"])
        finally:
            os.chdir(old)
        return code, err.getvalue().splitlines()


def _fine(code: int, lines: list[str]) -> bool:
    if code == 0:
        return lines == []
    return code == 2 and len(lines) == 1 and lines[0].startswith("stabsim: error: ")


# fmt: off
FRAGMENTS = st.sampled_from(
    [
        "name: x\n", "horizon: 3\n", "extends: ", "levers:\n", "  aid: ", "  us_troops:\n",
        "    - {from: ", "2017-04", "2017-02-30", "9999-01", ", value: ", "}\n", "&a ", "*a",
        "[", "]", "{", "}", ": ", "- ", "\n", "  ", "\t", "'", '"', "!!str ", "!!int ",
        "<<: *a\n", "? ", "1e999", "-1", ".nan", "0x1F", "~", "null", "yes", "\x00", "\u202e",
        "initial:\n  data: ", "../", "/dev/zero", "parameters: {arrest_k: ", "seed: ",
        "start: ", "outcomes: [", "levels: all\n", "#", "%YAML 1.1\n", "---\n", "...\n",
    ]
)
# fmt: on


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, min_size=1, max_size=30).map("".join))
def test_any_scenario_text_is_accepted_or_one_line(text: str) -> None:
    code, lines = _check_file(text.encode("utf-8", "surrogatepass"))
    assert _fine(code, lines), (text, code, lines)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_accepted_or_one_line(content: bytes) -> None:
    code, lines = _check_file(content)
    assert _fine(code, lines), (content, code, lines)


ODD_VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.dates().map(lambda d: d.isoformat()),
)
KEYS = ["start", "horizon", "seed", "replicates", "name", "outcomes", "levels", "description"]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(KEYS), ODD_VALUES)
def test_any_value_of_a_key_is_accepted_or_one_line(key: str, value: Any) -> None:
    data = {"name": "x", "horizon": 3, key: value}
    code, lines = _check_file(json.dumps(data).encode())  # JSON is YAML
    assert _fine(code, lines), (data, code, lines)
