"""Batches: designs, seeds, executors, storage, crash and resume, failures, status, benchmark.

Small on purpose (12 months, a few replicates) so the file runs in well under two minutes on two
cores. Results of different executors and of an interrupted-then-resumed batch are compared with
exact equality.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

from model.cli import main as batch_main
from model.experiments.batchfiles import STATUS, read_manifest, read_status
from model.experiments.design import expand, parse_design
from model.experiments.executors import progress_enabled
from model.experiments.manifest import batch_from_manifest, batch_hash
from model.experiments.results import open_batch
from model.experiments.run import replicate_seed
from model.experiments.worker import FAIL_ENV
from model.files.batch import load_batch
from model.files.errors import ConfigError
from model.simulation.parameters import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
RUNS = 2 * 2 * 5  # scenarios x design points x replicates

BATCH = """\
batch: crn
seed: 20170401
replicates: 5
scenarios:
  - name: stay
    horizon: 12
  - name: leave
    horizon: 12
    levers:
      us_troops:
        - {from: 2017-04, value: 5200}
        - {from: 2017-08, value: 0}
design:
  kind: grid
  parameters:
    arrest_k: [2.0, 3.0]
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("batch") / "crn.yaml", BATCH)


@pytest.fixture(scope="module")
def reference(batch_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch run serially, uninterrupted: the results every other way must reproduce."""
    out = tmp_path_factory.mktemp("ref") / "serial"
    code = batch_main(
        ["batch", str(batch_file), "--executor", "serial", "--out", str(out), "--quiet"]
    )
    assert code == 0
    return out


def _tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    results = open_batch(folder)
    return results.monthly(level=None), results.summary()


def _raw(folder: Path, table: str) -> pd.DataFrame:
    """A stored table read with pyarrow.dataset alone (no stabsim), sorted."""
    frame = ds.dataset(folder / table, format="parquet").to_table().to_pandas()
    keys = ["run_id", *(c for c in ("month", "level", "unit") if c in frame.columns)]
    return frame.sort_values(keys).reset_index(drop=True)


def _assert_same(a: Path, b: Path) -> None:
    for x, y in zip(_tables(a), _tables(b), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    for table in ("monthly", "summary"):
        pd.testing.assert_frame_equal(_raw(a, table), _raw(b, table), check_exact=True)


# ---- designs and seeds ------------------------------------------------------------------------


def _design_batch(tmp_path: Path, design: str, name: str = "d.yaml") -> Path:
    text = f"batch: d\nseed: 7\nreplicates: 2\nscenarios:\n  - {{name: a, horizon: 6}}\n  - {{name: b, horizon: 6}}\ndesign: {design}\n"
    return _write(tmp_path / name, text)


def test_grid_design_is_the_full_product(tmp_path: Path) -> None:
    path = _design_batch(
        tmp_path,
        "{kind: grid, levers: {us_troops: [0, 2500, 5200], family_policy: [punish, reintegrate]},"
        " parameters: {arrest_k: [2.0, 2.3]}}",
    )
    batch = load_batch(path)
    design = parse_design(batch)
    assert len(design) == 12
    assert design.names == ("us_troops", "family_policy", "arrest_k")
    assert design.values(0) == {"us_troops": 0.0, "family_policy": 0.0, "arrest_k": 2.0}
    assert design.values(11) == {"us_troops": 5200.0, "family_policy": 1.0, "arrest_k": 2.3}
    specs = expand(batch, design)
    assert len(specs) == 2 * 12 * 2
    spec = specs[5]  # scenario a, point 2, replicate 1
    assert (spec.scenario_name, spec.design_point, spec.replicate) == ("a", 2, 1)
    assert spec.scenario.parameters["arrest_k"] == 2.0
    assert spec.scenario.levers["us_troops"].is_constant
    assert spec.scenario.lever_series()["us_troops"][0] == 0.0
    assert spec.scenario.lever_series()["family_policy"][0] == 1.0


@pytest.mark.parametrize(
    ("kind", "extra", "points"),
    [
        ("lhs", "", 16),
        ("sobol", "", 16 * (2 * 3 + 2)),
        ("sobol", ", second_order: false", 16 * (3 + 2)),
        ("morris", ", levels: 6", 16 * (3 + 1)),
    ],
)
def test_sampled_designs_have_the_expected_points_in_range(
    tmp_path: Path, kind: str, extra: str, points: int
) -> None:
    path = _design_batch(
        tmp_path,
        f"{{kind: {kind}, n: 16{extra}, vary: {{us_troops: [1000, 9000], arrest_k: null,"
        " op_max_concurrent: null}}",
    )
    batch = load_batch(path)
    design = parse_design(batch)
    assert len(design) == points
    table = pd.DataFrame(design.points, columns=design.names)
    assert table["us_troops"].between(1000, 9000).all()
    for name in ("arrest_k", "op_max_concurrent"):  # null: the registry range
        assert table[name].between(REGISTRY[name].low, REGISTRY[name].high).all()
    for name in ("us_troops", "op_max_concurrent"):  # whole-number entries are rounded
        assert (table[name] == table[name].round()).all()
    assert table["arrest_k"].nunique() > 1
    # The sample is drawn with the master seed: expanding again gives the same runs.
    a, b = expand(batch), expand(load_batch(path))
    assert [s.run_id for s in a] == [s.run_id for s in b]
    assert [dict(s.values) for s in a] == [dict(s.values) for s in b]
    assert len({s.run_id for s in a}) == len(a) == 2 * points * 2


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        (
            "{kind: lhs, n: 8, vary: {us_tropps: [0, 100]}}",
            "design.vary.us_tropps: unknown name 'us_tropps'",
        ),
        ("{kind: lhs, n: 8, vary: {us_troops: [0, 30000]}}", "30000 is out of range"),
        ("{kind: sobol, n: 10, vary: {arrest_k: null}}", "10 is not a power of 2"),
        ("{kind: grd, levers: {us_troops: [0]}}", "did you mean 'grid'?"),
        ("{kind: grid, levers: {arrest_k: [2, 3]}}", "arrest_k is a parameter, not a lever"),
        ("{kind: grid, levers: {family_policy: [scren]}}", "did you mean 'screen'?"),
    ],
)
def test_design_mistakes_are_one_clear_line(tmp_path: Path, design: str, expected: str) -> None:
    batch = load_batch(_design_batch(tmp_path, design))
    with pytest.raises(ConfigError) as err:
        parse_design(batch)
    text = str(err.value)
    assert expected in text
    assert "d.yaml:7: design" in text  # file, line and key
    assert "\n" not in text


def test_same_replicate_has_the_same_seed_everywhere(batch_file: Path) -> None:
    batch = load_batch(batch_file)
    specs = expand(batch)
    assert len(specs) == RUNS
    by_rep: dict[int, set[int]] = {}
    for spec in specs:
        by_rep.setdefault(spec.replicate, set()).add(spec.seed)
        assert spec.seed == replicate_seed(batch.seed, spec.replicate)
    assert all(len(seeds) == 1 for seeds in by_rep.values())  # common random numbers
    assert len({next(iter(s)) for s in by_rep.values()}) == 5  # replicates differ
    assert [s.run_id for s in specs] == [s.run_id for s in expand(load_batch(batch_file))]
    assert specs[0].run_id == "stay/00000/r0000"


def test_progress_bar_is_quiet_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled(True)
    monkeypatch.setenv("CI", "false")
    assert progress_enabled(True)
    assert not progress_enabled(False)


# ---- executors --------------------------------------------------------------------------------


def test_reference_batch_is_stored_with_keys_and_manifest(reference: Path) -> None:
    results = open_batch(reference)
    summary = results.summary()
    assert len(summary) == RUNS and summary["run_id"].is_unique
    assert list(summary.columns[:6]) == [
        "run_id",
        "scenario",
        "design_point",
        "replicate",
        "seed",
        "arrest_k",
    ]
    assert summary["seed"].dtype == np.uint64
    assert set(summary["arrest_k"]) == {2.0, 3.0}
    monthly = results.monthly()
    assert set(monthly["level"]) == {"national"}
    assert len(monthly) == RUNS * 12
    assert len(results.monthly(level="governorate", scenarios=["leave"], columns=["idps"])) > 0
    m = results.manifest
    assert m["master_seed"] == 20170401 and m["status"] == "complete"
    assert {"stabsim", "mesa", "numpy", "pandas", "pyarrow", "python"} <= set(m["versions"])
    assert "git_revision" in m and m["sessions"][0]["finished"]
    assert all(r["status"] == "ok" for r in m["runs"])
    assert {r["seed"] for r in m["runs"]} == {replicate_seed(20170401, r) for r in range(5)}
    status = results.status()
    assert (status["status"] == "ok").all() and status["duration_s"].gt(0).all()
    # The manifest's batch rebuilds to the same batch: `--resume DIR` needs no YAML file.
    rebuilt = batch_from_manifest(m)
    assert batch_hash(rebuilt, expand(rebuilt)) == m["batch_hash"]


def test_two_processes_give_identical_results(
    batch_file: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "proc"
    args = ["batch", str(batch_file), "--workers", "2", "--out", str(out), "--quiet"]
    assert batch_main(args) == 0
    _assert_same(reference, out)


def test_dask_local_cluster_gives_identical_results(
    batch_file: Path, reference: Path, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    args = ["batch", str(batch_file), "--executor", "dask", "--workers", "2", "--out", str(out)]
    assert batch_main([*args, "--quiet"]) == 0
    _assert_same(reference, out)


# ---- crash, resume, failures ------------------------------------------------------------------


def test_kill_9_then_resume_gives_the_uninterrupted_results(
    batch_file: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "model.cli", "batch", str(batch_file), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2", "--quiet"],
        cwd=ROOT,
        start_new_session=True,  # its own process group: the kill takes the workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    status = out / STATUS
    deadline = time.monotonic() + 60
    try:
        while not (status.exists() and status.read_bytes().count(b"\n") >= 3):
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = len(read_status(out))
    assert 3 <= done < RUNS, "the kill should leave runs missing"
    # What a kill can leave behind: a half-written part and a half-written status line.
    orphan = out / "monthly" / "stay" / ".00001-r0004.parquet.12345.tmp"
    orphan.write_bytes(b"PAR1 half a file")
    with open(status, "ab") as fh:
        fh.write(b'{"run_id": "stay/00001/r0004", "sta')
    # Readers see only complete runs, never the temporary file.
    assert len(open_batch(out).summary()) == done
    # Resume from the folder alone (the batch is rebuilt from the manifest).
    assert batch_main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
    assert not orphan.exists()
    lines = [json.loads(x) for x in status.read_text().splitlines()]
    assert len(lines) == RUNS and len({x["run_id"] for x in lines}) == RUNS  # nothing twice
    _assert_same(reference, out)
    assert read_manifest(out)["status"] == "complete"
    assert len(read_manifest(out)["sessions"]) == 2


def test_a_killed_worker_does_not_stop_the_batch(
    batch_file: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "worker-killed"
    cmd = [sys.executable, "-m", "model.cli", "batch", str(batch_file), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    status = out / STATUS
    deadline = time.monotonic() + 60
    while not (status.exists() and status.read_bytes().count(b"\n") >= 2):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    first = json.loads(status.read_text().splitlines()[0])
    os.kill(int(first["worker"].rsplit(":", 1)[1]), signal.SIGKILL)  # like the OOM killer
    # The runs lost with the worker are tried once more in a new pool; the batch completes.
    assert proc.wait(timeout=120) == 0
    _assert_same(reference, out)


def test_a_failing_run_is_recorded_and_can_be_retried(
    batch_file: Path,
    reference: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "failing"
    args = ["batch", str(batch_file), "--replicates", "2", "--out", str(out), "--quiet"]
    monkeypatch.setenv(FAIL_ENV, "leave/00001/r0001")
    assert batch_main([*args, "--workers", "2"]) == 1
    assert "leave/00001/r0001" in capsys.readouterr().out
    results = open_batch(out)
    status = results.status().set_index("run_id")
    assert status.loc["leave/00001/r0001", "status"] == "failed"
    assert "InjectedFailure" in status.loc["leave/00001/r0001", "error"]
    assert "Traceback" in status.loc["leave/00001/r0001", "error"]
    assert (status.drop("leave/00001/r0001")["status"] == "ok").all()
    assert len(results.summary()) == 7
    assert batch_main(["status", str(out)]) == 0
    assert "failed" in capsys.readouterr().out
    # A plain resume leaves failed runs alone; --retry-failed runs them again.
    monkeypatch.delenv(FAIL_ENV)
    assert batch_main([*args, "--executor", "serial"]) == 1
    assert batch_main([*args, "--executor", "serial", "--retry-failed"]) == 0
    summary = open_batch(out).summary()
    assert len(summary) == 8 and summary["run_id"].is_unique
    # Common random numbers: replicates 0-1 of this batch are those of the 5-replicate batch.
    ref = open_batch(reference).summary()
    ref = ref[ref["replicate"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(summary, ref, check_exact=True)


def test_resume_refuses_a_different_batch(
    batch_file: Path, reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ref"
    shutil.copytree(reference, out)
    before = (out / STATUS).read_bytes()
    assert batch_main(["batch", str(batch_file), "--out", str(out), "--horizon", "13"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "holds a different batch" in err and "horizon: 12 -> 13" in err
    assert (out / STATUS).read_bytes() == before
    # The same batch again: nothing to do, nothing duplicated.
    assert batch_main(["batch", str(batch_file), "--out", str(out), "--quiet"]) == 0
    assert (out / STATUS).read_bytes() == before
    assert batch_main(["batch", "--resume", str(tmp_path / "nothing")]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_status_shows_progress_per_scenario(
    reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch_main(["status", str(reference)]) == 0
    out = capsys.readouterr().out
    assert "complete" in out
    assert any(line.split()[:5] == ["stay", "10", "0", "0", "10"] for line in out.splitlines())
    assert any(line.split()[:5] == ["all", "20", "0", "0", "20"] for line in out.splitlines())


# ---- benchmark --------------------------------------------------------------------------------


def test_benchmark_quick_appends_its_results(tmp_path: Path) -> None:
    script = tmp_path / "bench_batch.py"
    shutil.copy(ROOT / "benchmarks" / "bench_batch.py", script)
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, str(script), "--quick", "--results", str(results)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = results.read_text()
    assert text.startswith("# Benchmark results")
    assert "runs/min" in text and "parallel efficiency" in text and "cores" in text
