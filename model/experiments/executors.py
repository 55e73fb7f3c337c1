"""Running many runs: the executors that map ``run_one`` over a batch, and ``map_runs`` that maps
``run_job`` over (scenario, seed) pairs in memory.

``execute`` streams every finished run to a store (``model.experiments.store``) at once, keeps a
bounded number of runs in flight (memory stays flat), and shows a progress bar. What runs in a
worker (``run_one``, ``RunOutput``, ...) lives in ``model.experiments.worker``.

Executors:
    serial    one run after another in this process (debugging, tiny batches).
    process   local worker processes (the default; all cores), started with the "forkserver"
              method (or "spawn"), so it works the same from a script and from a notebook.
    dask      a Dask distributed cluster: ``scheduler="tcp://host:8786"``, or a LocalCluster
              (``model.experiments.dask_executor``).

``map_runs`` is for callers that need every run's tables in memory and in order (validation,
calibration); nothing is stored.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from model.experiments.dask_executor import run_dask
from model.experiments.store import write_parts
from model.experiments.worker import (
    RunOutput,
    _lost,
    _main_hidden,
    _mp_context,
    default_workers,
    failing_runs,
    new_pool,
    run_job,
    run_one,
    stop_workers,
)

if TYPE_CHECKING:
    from model.experiments.design import RunSpec

__all__ = [
    "EXECUTORS",
    "RUNS_PER_WORKER",
    "Report",
    "execute",
    "map_runs",
    "progress_enabled",
]

EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")
RUNS_PER_WORKER = 50
"""Local worker processes are replaced after about this many runs each, so that memory a run
leaves behind in its process (e.g. Mesa 3.3 keeps every finished model, mesa#3179) cannot pile
up over a long batch. Results do not depend on it. (``max_tasks_per_child`` is not used: it
can deadlock on Python 3.11-3.12, cpython#115634.)"""


class Store(Protocol):
    """What ``execute`` needs from a store (``model.experiments.store.BatchStore``)."""

    def pending(self, specs: Sequence[RunSpec], retry_failed: bool = False) -> list[RunSpec]: ...

    def record(self, output: RunOutput) -> None: ...

    def begin_session(self, **info: Any) -> None: ...

    def end_session(self, interrupted: bool = False) -> None: ...

    def counts(self, specs: Sequence[RunSpec]) -> dict[str, int]: ...

    def failures(self) -> dict[str, str]: ...


@dataclass
class Report:
    """The outcome of ``execute``.

    Attributes:
        total: runs in the batch.
        skipped: runs already done (or failed, without ``retry_failed``) before this session.
        ran: runs attempted in this session.
        ok: runs of this session that succeeded.
        failed: runs of this session that failed.
        elapsed_s: wall time of the session.
        counts: the whole batch after the session: ``ok``, ``failed``, ``missing``.
        failures: run id -> last line of the error, for every failed run of the batch.
        interrupted: whether the session was interrupted.
    """

    total: int
    skipped: int
    ran: int = 0
    ok: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        """Every run of the batch is done and none failed."""
        return self.counts.get("ok", 0) == self.total


def progress_enabled(progress: bool = True) -> bool:
    """Whether to show a progress bar: asked for, and not under ``CI=true``."""
    return progress and os.environ.get("CI", "").strip().lower() not in ("1", "true", "yes")


def execute(
    specs: Sequence[RunSpec],
    store: Store,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
) -> Report:
    """Run the specs not yet done, storing each as it finishes.

    Args:
        specs: every run of the batch (``model.experiments.design.expand``).
        store: where results go (``model.experiments.store.BatchStore``); it says which runs are done.
        executor: ``"serial"``, ``"process"`` (local processes) or ``"dask"``.
        workers: worker processes (default: all cores; for Dask, those of a LocalCluster).
        scheduler: a Dask scheduler address such as ``tcp://host:8786`` (executor "dask").
        progress: show a progress bar (never under the environment variable ``CI=true``).
        retry_failed: also run again the runs that failed before.

    Returns:
        A report of the session and of the whole batch.

    Raises:
        ValueError: for an unknown executor or a scheduler without the Dask executor.
        ExecutorError: the executor cannot start (no Dask, scheduler out of reach).
        KeyboardInterrupt: after recording the session, if interrupted.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; allowed: {', '.join(EXECUTORS)}")
    if scheduler and executor != "dask":
        raise ValueError("a scheduler address needs the dask executor")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    todo = store.pending(specs, retry_failed=retry_failed)
    n_workers = 1 if executor == "serial" else (workers or default_workers())
    report = Report(total=len(specs), skipped=len(specs) - len(todo))
    fail_runs = failing_runs()  # read here: workers may not share this environment
    store.begin_session(
        executor=executor,
        workers=None if scheduler else n_workers,
        scheduler=scheduler,
        todo=len(todo),
        retry_failed=retry_failed,
    )
    from tqdm import tqdm

    bar = tqdm(
        total=len(todo),
        unit="run",
        desc="runs",
        disable=not progress_enabled(progress) or not todo,
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
        smoothing=0.05,
    )

    def handle(output: RunOutput) -> None:
        store.record(output)
        report.ran += 1
        if output.ok:
            report.ok += 1
        else:
            report.failed += 1
            bar.set_postfix(failed=report.failed, refresh=False)
        bar.update(1)

    t0 = time.perf_counter()
    try:
        if todo:
            if executor == "serial":
                for spec in todo:
                    handle(run_one(spec, fail_runs=fail_runs))
            elif executor == "process":
                _run_processes(todo, n_workers, fail_runs, handle, getattr(store, "root", None))
            else:
                run_dask(todo, workers, scheduler, fail_runs, handle)
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        bar.close()
        report.elapsed_s = time.perf_counter() - t0
        store.end_session(interrupted=report.interrupted)
        report.counts = store.counts(specs)
        report.failures = store.failures()
    return report


def _run_processes(
    todo: Iterable[RunSpec],
    workers: int,
    fail_runs: Sequence[str],
    handle: Callable[[RunOutput], None],
    root: Path | None = None,
) -> None:
    with _main_hidden():
        _process_loop(todo, workers, fail_runs, handle, root)


def _run_stored(spec: RunSpec, fail_runs: Sequence[str], root: str | None) -> RunOutput:
    """``run_one`` in a worker that also writes the run's Parquet parts into the batch folder
    ``root`` (if given), and sends back the output without its tables: the parent only
    records the status line, so it stays idle while the workers compute."""
    output = run_one(spec, fail_runs=fail_runs)
    if output.ok and root is not None:
        try:
            write_parts(Path(root), output)
        except Exception:  # noqa: BLE001 - a disk error fails this run, not the batch
            output.status, output.error = "failed", traceback.format_exc()
        output.monthly = output.summary = None
    return output


def _process_loop(
    todo: Iterable[RunSpec],
    workers: int,
    fail_runs: Sequence[str],
    handle: Callable[[RunOutput], None],
    root: Path | None = None,
) -> None:
    """Keep ``2 x workers`` runs in flight and hand each finished output on.

    The parent blocks in ``wait`` until a run finishes (no polling); the workers write the
    results (``_run_stored``), so the parent's work per run is one status line.
    """
    ctx = _mp_context()
    max_in_flight = 2 * workers
    pool_runs = RUNS_PER_WORKER * workers
    where = str(root) if root is not None else None
    specs = iter(todo)
    again: deque[RunSpec] = deque()  # runs lost once with a dead worker get one more try
    lost_once: set[str] = set()
    pending: dict[Any, RunSpec] = {}
    pool = new_pool(workers, ctx)
    submitted = 0
    clean = False
    try:
        while True:
            broken = False
            if submitted >= pool_runs and not pending:
                # Fresh workers now and then: memory a model run leaves behind is given back.
                pool.shutdown(wait=True)
                pool = new_pool(workers, ctx)
                submitted = 0
            while len(pending) < max_in_flight and submitted < pool_runs:
                spec = again.popleft() if again else next(specs, None)
                if spec is None:
                    break
                try:
                    pending[pool.submit(_run_stored, spec, fail_runs, where)] = spec
                    submitted += 1
                except BrokenProcessPool:
                    again.appendleft(spec)  # never started: not counted as lost
                    broken = True
                    break
            if not broken:
                if not pending:
                    if submitted >= pool_runs:
                        continue
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = any(isinstance(f.exception(), BrokenProcessPool) for f in done)
                if not broken:
                    for fut in done:
                        _collect(fut, pending.pop(fut), handle)
                    continue
            # A dead worker (killed, out of memory, crashed) breaks the whole pool: every run
            # in it is lost. Each gets one more try in a new pool; lost twice, it fails.
            rest, _ = wait(pending)
            for fut in rest:
                spec = pending.pop(fut)
                if isinstance(fut.exception(), BrokenProcessPool) and spec.run_id not in lost_once:
                    lost_once.add(spec.run_id)
                    again.append(spec)
                else:
                    _collect(fut, spec, handle)
            pool.shutdown(wait=True, cancel_futures=True)
            pool = new_pool(workers, ctx)
            submitted = 0
        clean = True
    finally:
        if not clean:  # interrupted, or a fault: stop the workers now
            stop_workers(pool)
        pool.shutdown(wait=clean, cancel_futures=True)


def _collect(fut: Any, spec: RunSpec, handle: Callable[[RunOutput], None]) -> None:
    """Hand a finished future's output on (a failed output if its worker never answered)."""
    try:
        output = fut.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker, or an output that cannot be sent
        output = _lost(spec, f"{type(exc).__name__}: {exc}")
    handle(output)


def map_runs(
    jobs: Sequence[tuple[Any, int]],
    workers: int = 1,
    progress: bool = False,
    desc: str = "runs",
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Run ``(scenario, seed)`` pairs and yield their (monthly, summary) tables in job order.

    Nothing is stored and a model error is raised, not recorded. Results do not depend on
    ``workers``: each job carries its own seed.

    Args:
        jobs: the runs, each a scenario and its model seed.
        workers: local worker processes; 1 runs them one after another in this process.
        progress: show a progress bar (never under the environment variable ``CI=true``).
        desc: the progress bar's label.
    """
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc=desc, unit="run", disable=not progress_enabled(progress))
    try:
        if workers <= 1:
            for job in jobs:
                yield run_job(job)
                bar.update()
            return
        pool = new_pool(workers, _mp_context())
        clean = False
        try:
            with _main_hidden():  # workers start here, as the jobs are submitted
                outputs = pool.map(run_job, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
            for out in outputs:
                yield out
                bar.update()
            clean = True
        finally:
            if not clean:  # interrupted or failed: do not wait for the jobs still queued
                stop_workers(pool)
            pool.shutdown(wait=clean)
    finally:
        bar.close()
