"""The ``stabsim batch`` and ``stabsim status`` commands, and ``run_batch`` for notebooks.

``stabsim batch FILE`` expands a batch file (scenarios x design points x replicates), runs what is
not done yet on the chosen executor and streams every run to ``runs/<batch-id>/``; it ends with a
summary and exits with 1 if any run failed (2 for a mistake in the input, 130 if interrupted).
``stabsim status runs/<batch-id>`` shows the progress of a batch, running or not.

Registered in ``model.cli`` as ``stabsim batch`` and ``stabsim status``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.experiments.results import BatchResults
    from model.files.config import Batch

__all__ = [
    "batch_arguments",
    "cmd_batch",
    "cmd_status",
    "run_batch",
    "status_arguments",
]

EXIT_OK = 0
EXIT_RUNS_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
BATCH_HELP = "run a batch (scenarios x design points x replicates), stored as runs finish"
STATUS_HELP = "show the progress of a batch folder: done, failed and missing runs"


# ---- parsers ----------------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {n}")
    return n


def batch_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``batch`` command's arguments to a parser."""
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="batch YAML file (may be left out with --resume: the batch recorded there is used)",
    )
    p.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default=None,
        help="where runs execute: this process, local processes (default), or a Dask cluster",
    )
    p.add_argument(
        "--workers", type=_positive, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://host:8786 (implies --executor dask)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        metavar="DIR",
        help="batch folder (default runs/<batch>-<YYYYmmdd-HHMMSS>); if it holds this batch, "
        "only the missing runs are made",
    )
    where.add_argument(
        "--resume", metavar="DIR", help="complete the missing runs of the batch in DIR"
    )
    p.add_argument(
        "--retry-failed", action="store_true", help="also run again the runs that failed"
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar (also when CI=true is set)"
    )
    p.add_argument(
        "--replicates", type=_positive, metavar="N", help="replicates per scenario (override)"
    )
    p.add_argument("--horizon", type=_positive, metavar="N", help="months simulated (override)")
    p.add_argument("--dry-run", action="store_true", help="validate and list the runs, run nothing")


def status_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``status`` command's arguments to a parser."""
    p.add_argument("folder", metavar="DIR", help="a batch folder, e.g. runs/demo-20250101-120000")
    p.add_argument(
        "--errors", action="store_true", help="print the full traceback of every failed run"
    )


# ---- helpers ----------------------------------------------------------------------------------


def _error(message: str) -> int:
    print(f"stabsim: error: {' '.join(str(message).split())}", file=sys.stderr)
    return EXIT_USER_ERROR


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def _with_overrides(batch: Batch, replicates: int | None, horizon: int | None) -> Batch:
    import dataclasses

    if replicates is None and horizon is None:
        return batch
    changes: dict[str, int] = {}
    if replicates is not None:
        changes["replicates"] = replicates
    if horizon is not None:
        changes["horizon"] = horizon
    scenarios = tuple(s.with_changes(**changes) for s in batch.scenarios)
    reps = replicates if replicates is not None else batch.replicates
    return dataclasses.replace(batch, scenarios=scenarios, replicates=reps)


def _load(
    file: str | os.PathLike[str] | Batch | None,
    resume: str | os.PathLike[str] | None,
    replicates: int | None,
    horizon: int | None,
) -> Batch:
    from model.experiments.store import (
        MANIFEST,
        StoreError,
        batch_from_manifest,
        is_batch_folder,
        read_manifest,
    )
    from model.files.config import Batch, load_batch

    if isinstance(file, Batch):
        batch = file
    elif file is not None:
        batch = load_batch(file)
    elif resume is not None:
        if replicates is not None or horizon is not None:
            raise StoreError(
                "--replicates and --horizon cannot change a batch being resumed (they are "
                "recorded in it); leave them out, or give FILE with the same ones"
            )
        if not is_batch_folder(resume):
            raise StoreError(f"{resume}: nothing to resume ({MANIFEST} not found)")
        batch = batch_from_manifest(read_manifest(resume))
    else:
        raise StoreError("give a batch FILE, or --resume DIR")
    return _with_overrides(batch, replicates, horizon)


def _plan_text(batch: Batch, design: Any, n_runs: int) -> str:
    reps = sorted({s.replicates for s in batch.scenarios})
    rep_text = f"{reps[0]}" if len(reps) == 1 else f"{reps[0]}-{reps[-1]}"
    return (
        f"batch {batch.name}: {n_runs} runs = {len(batch.scenarios)} scenarios x "
        f"{len(design)} design points x {rep_text} replicates; master seed {batch.seed}; "
        f"design: {design.describe()}"
    )


def run_batch(
    source: str | os.PathLike[str] | Batch | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    replicates: int | None = None,
    horizon: int | None = None,
    runs_dir: str | os.PathLike[str] = "runs",
) -> BatchResults:
    """Run a batch from Python (a script or a notebook) and open its results.

    Args:
        source: a batch file, a loaded ``Batch``, or None with ``resume``.
        out: the batch folder (resumed if it holds this batch).
        resume: a batch folder to complete.
        executor: ``"serial"``, ``"process"`` or ``"dask"``.
        workers: worker processes (default: all cores).
        scheduler: Dask scheduler address (with ``executor="dask"``).
        progress: show a progress bar.
        retry_failed: run again the runs that failed.
        replicates: replicates per scenario (override).
        horizon: months simulated (override).
        runs_dir: parent of new batch folders.

    Returns:
        The stored results (``.status()`` lists failed runs, if any).

    Raises:
        ConfigError: a mistake in the batch file.
        StoreError: the folder holds another batch or is in use.
    """
    from model.experiments.design import expand, parse_design
    from model.experiments.executors import execute
    from model.experiments.results import open_batch
    from model.experiments.store import BatchStore

    batch = _load(source, resume, replicates, horizon)
    design = parse_design(batch)
    specs = expand(batch, design)
    overrides = {k: v for k, v in (("replicates", replicates), ("horizon", horizon)) if v}
    with BatchStore.open(
        batch, specs, design, out=out, resume=resume, runs_dir=runs_dir, overrides=overrides
    ) as store:
        execute(specs, store, executor, workers, scheduler, progress, retry_failed)
        root = store.root
    return open_batch(root)


# ---- batch ------------------------------------------------------------------------------------


def cmd_batch(args: argparse.Namespace) -> int:
    """Run (or resume) a batch; 0 if every run is done, 1 if some failed, 2 for bad input."""
    from model.experiments.store import StoreError
    from model.files.config import ConfigError

    executor = args.executor
    if args.scheduler:
        if executor not in (None, "dask"):
            return _error(f"--scheduler needs --executor dask, not {executor}")
        executor = "dask"
    executor = executor or "process"
    if args.file is None and args.resume is None:
        return _error("give a batch FILE, or --resume DIR to complete a batch folder")
    try:
        from model.experiments.design import expand, parse_design
        from model.experiments.executors import (
            ExecutorError,
            default_workers,
            execute,
            progress_enabled,
        )
        from model.experiments.store import BatchStore

        batch = _load(args.file, args.resume, args.replicates, args.horizon)
        design = parse_design(batch)
        specs = expand(batch, design)
        quiet = args.quiet or not progress_enabled(True)
        if args.dry_run:
            print(_plan_text(batch, design, len(specs)))
            for spec in specs[:10]:
                values = f"  {dict(spec.values)}" if spec.values else ""
                print(f"  {spec.run_id}  seed {spec.seed}{values}")
            if len(specs) > 10:
                print(f"  ... and {len(specs) - 10} more")
            return EXIT_OK
        overrides = {
            k: v for k, v in (("replicates", args.replicates), ("horizon", args.horizon)) if v
        }
        store = BatchStore.open(
            batch, specs, design, out=args.out, resume=args.resume, overrides=overrides
        )
    except (ConfigError, StoreError) as exc:
        return _error(str(exc))
    with store:
        for note in store.warnings:
            print(f"stabsim: warning: {note}", file=sys.stderr)
        if not quiet:
            print(_plan_text(batch, design, len(specs)), file=sys.stderr)
            if store.resumed:
                c = store.counts(specs)
                print(
                    f"resuming {store.root}: {c['ok']} done, {c['failed']} failed, "
                    f"{c['missing']} missing" + (", retrying failed" if args.retry_failed else ""),
                    file=sys.stderr,
                )
            if store.removed_orphans:
                print(
                    f"removed {store.removed_orphans} temporary files of an interrupted run",
                    file=sys.stderr,
                )
            n_workers = 1 if executor == "serial" else (args.workers or default_workers())
            where = args.scheduler or f"{n_workers} {executor} worker(s)"
            print(f"writing {store.root} on {where}", file=sys.stderr)
        try:
            report = execute(
                specs,
                store,
                executor=executor,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=not quiet,
                retry_failed=args.retry_failed,
            )
        except ExecutorError as exc:
            return _error(str(exc))
        except KeyboardInterrupt:
            c = store.counts(specs)
            print(
                f"stabsim: interrupted: {c['ok']} of {len(specs)} runs stored in {store.root}; "
                f"continue with: stabsim batch --resume {store.root}",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        root = store.root
    return _report(batch.name, root, report)


def _report(name: str, root: Path, report: Any) -> int:
    c = report.counts
    rate = report.ran / report.elapsed_s * 60 if report.elapsed_s > 0 else 0.0
    session = (
        f"this session {report.ran} runs in {_duration(report.elapsed_s)} ({rate:.1f} runs/min)"
        if report.ran
        else "nothing left to run"
    )
    if report.complete:
        print(f"batch {name}: all {report.total} runs ok; {session}")
    else:
        print(
            f"batch {name}: {c['ok']} ok, {c['failed']} failed, {c['missing']} missing of "
            f"{report.total} runs; {session}"
        )
    if report.failures:
        print(f"failed runs ({len(report.failures)}):")
        for run_id, error in list(report.failures.items())[:20]:
            print(f"  {run_id}  {error}")
        if len(report.failures) > 20:
            print(f"  ... and {len(report.failures) - 20} more (stabsim status {root} --errors)")
        print(f"run them again with: stabsim batch --resume {root} --retry-failed")
    elif c.get("missing"):
        print(f"complete it with: stabsim batch --resume {root}")
    print(f"results: {root}")
    return EXIT_OK if report.complete else EXIT_RUNS_FAILED


# ---- status -----------------------------------------------------------------------------------


def _parse_time(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _elapsed(manifest: dict[str, Any], status: dict[str, dict[str, Any]], running: bool) -> float:
    """Seconds spent in sessions; a killed session ends at its last recorded run."""
    last: dict[int, _dt.datetime] = {}
    for line in status.values():
        t = _parse_time(line.get("finished"))
        s = line.get("session")
        if t is not None and isinstance(s, int):
            last[s] = max(last.get(s, t), t)
    now = _dt.datetime.now(_dt.UTC)
    total = 0.0
    sessions = manifest.get("sessions", [])
    for i, session in enumerate(sessions):
        start = _parse_time(session.get("started"))
        if start is None:
            continue
        end = _parse_time(session.get("finished"))
        if end is None:
            end = now if running and i == len(sessions) - 1 else last.get(i, start)
        total += max(0.0, (end - start).total_seconds())
    return total


def cmd_status(args: argparse.Namespace) -> int:
    """Print the progress of a batch folder: done, failed and missing runs per scenario."""
    from model.experiments.store import (
        StoreError,
        last_line,
        lock_holder,
        read_manifest,
        read_status,
        run_states,
    )

    try:
        manifest = read_manifest(args.folder)
    except StoreError as exc:
        return _error(str(exc))
    status = read_status(args.folder)
    states = run_states(args.folder, manifest, status)
    pid = lock_holder(args.folder)
    running = pid is not None
    table: dict[str, dict[str, int]] = {
        s: {"ok": 0, "failed": 0, "missing": 0} for s in manifest["scenarios"]
    }
    for run in manifest["runs"]:
        table[run["scenario"]][states[run["run_id"]]] += 1
    totals = {k: sum(row[k] for row in table.values()) for k in ("ok", "failed", "missing")}
    n = len(manifest["runs"])
    if running:
        state = f"running (pid {pid})" if pid and pid > 0 else "running"
    elif totals["ok"] == n:
        state = "complete"
    elif totals["missing"]:
        state = "incomplete"
    else:
        state = "done with failed runs"
    elapsed = _elapsed(manifest, status, running)
    sessions = manifest.get("sessions", [])
    print(f"batch {manifest['batch']['batch']} in {args.folder}: {state}")
    print(
        f"  master seed {manifest['master_seed']}, hash {manifest['batch_hash'][:12]}, "
        f"{len(sessions)} session(s), created {manifest.get('created')}, "
        f"elapsed {_duration(elapsed)}"
    )
    width = max(len("scenario"), len("all"), *(len(s) for s in table))
    print(f"  {'scenario'.ljust(width)}  {'done':>7}  {'failed':>7}  {'missing':>7}  {'total':>7}")
    for name, row in [*table.items(), ("all", totals)]:
        total = row["ok"] + row["failed"] + row["missing"]
        print(
            f"  {name.ljust(width)}  {row['ok']:>7}  {row['failed']:>7}  {row['missing']:>7}  "
            f"{total:>7}"
        )
    pct = 100.0 * totals["ok"] / n if n else 100.0
    line = f"  {pct:.1f}% done"
    done_now = sum(1 for v in status.values() if v.get("status") == "ok")
    if elapsed > 0 and done_now:
        rate = done_now / elapsed * 60
        line += f"; {rate:.1f} runs/min"
        if running and totals["missing"]:
            line += f"; about {_duration(totals['missing'] / rate * 60)} left"
    print(line)
    failed = [r["run_id"] for r in manifest["runs"] if states[r["run_id"]] == "failed"]
    if failed:
        print(f"failed runs ({len(failed)}):")
        shown = failed if args.errors else failed[:20]
        for run_id in shown:
            error = status[run_id].get("error")
            if args.errors:
                print(f"--- {run_id}\n{(error or '').rstrip()}")
            else:
                print(f"  {run_id}  {last_line(error)}")
        if len(failed) > len(shown):
            print(
                f"  ... and {len(failed) - len(shown)} more (--errors shows all, with tracebacks)"
            )
    if not running and totals["missing"]:
        print(f"complete it with: stabsim batch --resume {args.folder}")
    elif not running and failed:
        print(
            f"run the failed ones again with: stabsim batch --resume {args.folder} --retry-failed"
        )
    return EXIT_OK
