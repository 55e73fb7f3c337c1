"""Faults while working: signals, kill -9, a full disk, a read-only folder, damaged parts, two
writers, an executor that cannot start, and late failures of validate and calibrate.

Each ends in one line that says what happened (and how to resume), an honest exit status (143
SIGTERM, 129 SIGHUP, 74 a file-system fault, 2 bad input, 1 nothing better found), no process
left behind and nothing half-written; a resumed batch ends with the results of an uninterrupted
one. Real faults (a small tmpfs that fills up, a folder remounted read-only) need root and
``mount``; where that is impossible those tests are skipped with the reason, and the same faults
are injected (``os.fsync`` failing with ENOSPC, EROFS or EACCES) so the behaviour is tested
everywhere. Small on purpose: 3-month runs at 20,000 persons per agent.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from model.cli import main
from model.experiments.batchfiles import STATUS, read_manifest, read_status
from model.experiments.results import open_batch

ROOT = Path(__file__).resolve().parent.parent
LINUX = Path("/proc/self/stat").exists()
BATCH = """\
batch: faults
seed: 11
replicates: {replicates}
scenarios:
  - {{name: a, horizon: 3, parameters: {{persons_per_agent: 20000}}}}
  - {{name: b, horizon: 3, parameters: {{persons_per_agent: 20000}}, levers: {{aid: 0}}}}
"""
SMALL = 3  # replicates of the in-process batches: 6 runs
LONG = 40  # replicates of the batches stopped while running: 80 runs (never all done)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("faults")
    small = folder / "small.yaml"
    small.write_text(BATCH.format(replicates=SMALL))
    long = folder / "long.yaml"
    long.write_text(BATCH.format(replicates=LONG))
    return {"small": small, "long": long, "folder": folder}


@pytest.fixture(scope="module")
def reference(files: dict[str, Path]) -> Path:
    """The small batch run serially, uninterrupted."""
    out = files["folder"] / "reference"
    assert (
        main(["batch", str(files["small"]), "--out", str(out), "--executor", "serial", "--quiet"])
        == 0
    )
    return out


def _same_results(a: Path, b: Path) -> None:
    ra, rb = open_batch(a), open_batch(b)
    pd.testing.assert_frame_equal(ra.summary(), rb.summary(), check_exact=True)
    pd.testing.assert_frame_equal(ra.monthly(level=None), rb.monthly(level=None), check_exact=True)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _leftovers(folder: Path) -> list[Path]:
    """Temporary files and empty (half-written) files."""
    return [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and (p.name.endswith(".tmp") or (p.stat().st_size == 0 and p.name != ".lock"))
    ]


def _batch(files: dict[str, Path], out: Path, *extra: str) -> int:
    argv = ["batch", str(files["small"]), "--out", str(out), "--executor", "serial", "--quiet"]
    return main([*argv, *extra])


# ---- processes --------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            out.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    return out


def _descendants(pid: int) -> set[int]:
    children, found, todo = _children(), set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _survivors(pids: set[int], seconds: float = 10) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = {p for p in pids if _alive(p)}
        if not alive:
            return set()
        time.sleep(0.1)
    return {p for p in pids if _alive(p)}


@contextlib.contextmanager
def _running_batch(files: dict[str, Path], out: Path, runs: int = 2) -> Iterator[subprocess.Popen]:
    """A batch on 2 worker processes, once ``runs`` runs are stored; whatever it left running
    is killed at the end (only the processes it started)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "model.cli", "batch", str(files["long"]), "--out", str(out)]
        + ["--workers", "2", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        status = out / STATUS
        while not (status.exists() and status.read_bytes().count(b"\n") >= runs):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the batch did not start"
            time.sleep(0.02)
        family = _descendants(proc.pid)
        proc.family = family  # type: ignore[attr-defined]
        yield proc
    finally:
        for pid in [proc.pid, *family]:
            with contextlib.suppress(OSError):
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_sigterm_stops_a_batch_like_ctrl_c_and_a_second_writer_is_refused(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "stopped"
    with _running_batch(files, out) as proc:
        family = proc.family  # type: ignore[attr-defined]
        assert len(family) >= 3, "the forkserver, the resource tracker and workers"
        for argv in (  # meanwhile, a second writer is refused and writes nothing
            ["batch", str(files["long"]), "--out", str(out), "--quiet"],
            ["batch", "--resume", str(out), "--quiet"],
        ):
            assert main(argv) == 2
            line = _one_line(capsys.readouterr().err)
            assert f"another stabsim process (pid {proc.pid}) is writing" in line, line
        proc.send_signal(signal.SIGTERM)  # the main process only, as schedulers and `timeout` do
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143
        line = _one_line(err)
        assert "SIGTERM" in line and f"stabsim batch --resume {out}" in line, line
        assert _survivors(family) == set(), "processes outlived the batch"
    manifest = read_manifest(out)
    assert len(manifest["sessions"]) == 1 and manifest["sessions"][0]["interrupted"] is True
    assert _leftovers(out) == []
    # Every status line whole and once, every run it calls done stored: a resume (tested with
    # the other faults) goes on from here.
    lines = [json.loads(x) for x in (out / STATUS).read_text().splitlines()]
    assert len(lines) == len({x["run_id"] for x in lines}) < 2 * LONG
    assert open_batch(out).counts()["ok"] == len(lines) == manifest["counts"]["ok"]


def test_sighup_stops_a_batch_with_status_129(
    files: dict[str, Path],
    reference: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """The terminal closed (SIGHUP) after two runs: the same clean-up as Ctrl-C."""
    from model.experiments.store import BatchStore

    real = BatchStore.record
    recorded = []

    def record(self: BatchStore, output: object) -> None:
        real(self, output)
        recorded.append(1)
        if len(recorded) == 2:
            os.kill(os.getpid(), signal.SIGHUP)

    monkeypatch.setattr(BatchStore, "record", record)
    out = tmp_path / "hung-up"
    assert _batch(files, out) == 129
    line = _one_line(capsys.readouterr().err)
    assert "SIGHUP" in line and f"2 of {2 * SMALL} runs stored" in line and "--resume" in line
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL  # the handler is given back
    monkeypatch.setattr(BatchStore, "record", real)
    assert main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
    _same_results(reference, out)


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_no_process_outlives_a_batch_killed_with_kill_9(
    files: dict[str, Path], tmp_path: Path
) -> None:
    with _running_batch(files, tmp_path / "killed") as proc:
        family = proc.family  # type: ignore[attr-defined]
        proc.kill()  # the main process only (the OOM killer, kill -9 PID): no clean-up at all
        proc.wait()
        # The workers notice their batch is gone, and the forkserver and resource tracker end
        # with them.
        assert _survivors(family) == set()


# ---- a full disk ------------------------------------------------------------------------------


@contextlib.contextmanager
def _tmpfs(path: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs at ``path``, or a skip saying why there cannot be one."""
    if not LINUX or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount; the injected faults cover this")
    path.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); injected faults cover it")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def test_a_full_disk_stops_the_batch_in_one_line_and_it_resumes(
    files: dict[str, Path], reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with _tmpfs(tmp_path / "small-disk", "160k") as disk:
        out = disk / "b"
        assert _batch(files, out) == 74
        line = _one_line(capsys.readouterr().err)
        assert "the disk is full" in line and f"--resume {out}" in line, line
        assert _leftovers(out) == []  # no temporary or empty file
        read_manifest(out)  # still whole
        assert 0 < len(read_status(out)) < 2 * SMALL
        _remount(disk, "size=20m")  # space freed
        assert main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
        _same_results(reference, out)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_an_injected_write_fault_stops_the_batch_in_one_line_and_it_resumes(
    code: int,
    words: str,
    files: dict[str, Path],
    reference: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """Every write fails from the 9th fsync on (the second run's summary part), then again when
    the manifest is written at the end of the session."""
    calls = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 8:
            raise OSError(code, os.strerror(code))
        real(fd)

    out = tmp_path / "b"
    monkeypatch.setattr(os, "fsync", fsync)
    assert _batch(files, out) == 74
    monkeypatch.setattr(os, "fsync", real)
    line = _one_line(capsys.readouterr().err)
    assert words in line and f"--resume {out}" in line, line
    assert _leftovers(out) == []
    assert read_manifest(out)["sessions"]  # the manifest before the fault, whole
    assert main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
    _same_results(reference, out)


def test_run_leaves_no_folder_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "s.yaml").write_text(
        "name: s\nhorizon: 3\nreplicates: 3\nparameters: {persons_per_agent: 20000}\n"
    )
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    code = main(["run", str(tmp_path / "s.yaml"), "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    assert code == 74
    assert "the disk is full" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "runs").exists()


# ---- read-only --------------------------------------------------------------------------------


def test_a_read_only_output_folder_is_refused_before_any_work(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with _tmpfs(tmp_path / "ro", "1m", read_only=True) as ro:
        for argv in (
            ["batch", str(files["small"]), "--out", str(ro / "b")],
            ["run", str(files["folder"] / "small.yaml"), "--runs-dir", str(ro)],
            ["validate", "--runs-dir", str(ro / "v")],
        ):
            assert main(argv) == 2
            line = _one_line(capsys.readouterr().err)
            assert "read-only" in line, line
        assert list(ro.iterdir()) == []


def test_compare_into_a_read_only_batch_folder_is_refused_before_any_work(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with _tmpfs(tmp_path / "ro", "4m") as disk:
        shutil.copytree(reference, disk / "b")
        _remount(disk, "ro")  # results shared read-only: the default BATCH/compare is refused
        assert main(["compare", str(disk / "b"), "--quiet"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "--out" in line and "read-only" in line, line
        assert not (disk / "b" / "compare").exists()


def test_an_unwritable_output_folder_is_refused_before_any_work(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The same check where no read-only file system can be made (root ignores permissions)."""
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False)
    assert main(["batch", str(files["small"]), "--out", str(tmp_path / "b")]) == 2
    assert "not writable" in _one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_made_read_only_mid_batch_stops_it_in_one_line(
    files: dict[str, Path],
    reference: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    from model.experiments.store import BatchStore

    with _tmpfs(tmp_path / "disk", "20m") as disk:
        real = BatchStore.record
        recorded = []
        out = disk / "b"

        def record(self: BatchStore, output: object) -> None:
            real(self, output)
            recorded.append(1)
            if len(recorded) == 2:  # e.g. a storage fault, or an administrator
                subprocess.run(["mount", "--bind", str(out), str(out)], check=True)
                _remount(out, "bind,ro")

        monkeypatch.setattr(BatchStore, "record", record)
        try:
            assert _batch(files, out) == 74
        finally:
            monkeypatch.setattr(BatchStore, "record", real)
            subprocess.run(["umount", str(out)], check=False)
        line = _one_line(capsys.readouterr().err)
        assert "read-only" in line and f"--resume {out}" in line, line
        assert _leftovers(out) == []
        assert len(read_status(out)) == 2
        assert main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
        _same_results(reference, out)


# ---- damaged parts, status lines --------------------------------------------------------------


def test_cut_and_garbage_parts_are_found_and_run_again(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from model.analysis.compare import report

    out = tmp_path / "damaged"
    shutil.copytree(reference, out)
    cut = out / "monthly" / "a" / "00000-r0001.parquet"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # a crash or a full disk
    garbage = out / "summary" / "b" / "00000-r0002.parquet"
    garbage.write_bytes(os.urandom(garbage.stat().st_size))
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "incomplete" in text and "2 part file(s) cannot be read" in text, text
    assert f"stabsim batch --resume {out}" in text
    assert open_batch(out).counts() == {"ok": 4, "failed": 0, "missing": 2}
    # compare reports on the readable runs and names what it left out (the report itself is
    # not drawn here: tests/test_compare.py does that)
    monkeypatch.setattr(report, "write_report", lambda res, out_dir, **kw: Path("report.html"))
    assert main(["compare", str(out), "--quiet"]) == 0
    line = _one_line(capsys.readouterr().err)
    assert "2 part file(s) cannot be read" in line and f"batch --resume {out}" in line, line
    assert str(cut) in line or str(garbage) in line
    assert main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
    assert "this session 2 runs" in capsys.readouterr().out
    _same_results(reference, out)
    assert len(read_status(out)) == 2 * SMALL


def test_compare_names_a_part_it_cannot_read_and_how_to_repair_it(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "rotten"
    shutil.copytree(reference, out)
    part = out / "monthly" / "b" / "00000-r0000.parquet"
    data = bytearray(part.read_bytes())
    data[8 : len(data) // 2] = os.urandom(len(data) // 2 - 8)  # whole ends, damaged inside
    part.write_bytes(bytes(data))
    before = sorted(p.name for p in out.iterdir())
    assert main(["compare", str(out), "--quiet"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(part) in line and f"stabsim batch --resume {out}" in line, line
    assert sorted(p.name for p in out.iterdir()) == before  # no report folder


def test_damaged_status_lines_count_as_not_done(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "edited"
    shutil.copytree(reference, out)
    lines = (out / STATUS).read_text().splitlines()
    first = json.loads(lines[0])
    bad = [
        json.dumps({**first, "run_id": [first["run_id"]]}),  # a list run_id
        json.dumps({**first, "status": ["ok"]}),
        "[" * 50000 + "]" * 50000,
        "not json",
    ]
    (out / STATUS).write_text("\n".join([*bad, *lines[1:]]) + "\n")
    assert main(["status", str(out)]) == 0
    assert "incomplete" in capsys.readouterr().out
    assert main(["batch", "--resume", str(out), "--executor", "serial", "--quiet"]) == 0
    assert "this session 1 runs" in capsys.readouterr().out
    _same_results(reference, out)


# ---- simultaneous starts, failed starts ---------------------------------------------------------------


def test_two_batches_started_in_the_same_second_get_two_folders(files: dict[str, Path], tmp_path):
    from model.experiments.batches import open_store, plan_batch

    plan = plan_batch(files["small"])
    with open_store(plan, runs_dir=tmp_path) as one, open_store(plan, runs_dir=tmp_path) as two:
        assert one.root != two.root and one.root.parent == two.root.parent == tmp_path


def test_an_executor_that_cannot_start_leaves_no_folder(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import dask

    monkeypatch.chdir(tmp_path)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["batch", str(files["small"]), "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    assert code == 2
    assert "cannot reach the Dask scheduler" in _one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []  # no runs/ folder, no batch folder, no lock
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    assert main(["batch", str(files["small"]), "--executor", "dask", "--quiet"]) == 2
    assert "pip install 'stabsim[dask]'" in _one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


# ---- validate and calibrate -------------------------------------------------------------------

TARGETS = (
    "targets:\n  - {id: idps, kind: level, outcome: idps, period: [2017-05, 2017-06], "
    "observed: 3000000, tolerance: 0.5, use: calibration, source: x}\n"
)


def test_validate_writes_nothing_when_it_fails_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from matplotlib.figure import Figure

    (tmp_path / "s.yaml").write_text("name: s\nparameters: {persons_per_agent: 20000}\n")
    (tmp_path / "t.yaml").write_text(TARGETS)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full)
    argv = ["validate", str(tmp_path / "s.yaml"), "--targets", str(tmp_path / "t.yaml")]
    options = ["--replicates", "1", "--workers", "1", "--quiet", "--runs-dir", str(tmp_path / "v")]
    code = main([*argv, *options])
    assert code == 74
    assert "the disk is full" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "v").exists()


def test_calibrate_says_so_and_writes_no_scenario_when_nothing_is_better(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import numpy as np

    from model.analysis import calibration

    (tmp_path / "s.yaml").write_text("name: s\nparameters: {persons_per_agent: 20000}\n")
    (tmp_path / "t.yaml").write_text(TARGETS)
    # Every sampled set does worse than the scenario's own values (no run is needed for that).
    monkeypatch.setattr(
        calibration,
        "_losses",
        lambda sc, sets, *a: [(0.0 if not s else 1.0, np.zeros(1)) for s in sets],
    )
    argv = ["calibrate", str(tmp_path / "s.yaml"), "--parameters", "arrest_k", "--samples", "4"]
    code = main([*argv, "--targets", str(tmp_path / "t.yaml"), "--runs-dir", str(tmp_path / "c")])
    assert code == 1
    out = capsys.readouterr().out
    assert "no calibrated scenario written" in out
    (folder,) = (tmp_path / "c").iterdir()
    assert (folder / "samples.csv").exists() and not list(folder.glob("*.yaml"))
