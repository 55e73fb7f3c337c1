"""Running a batch: ``run_one`` (one run spec -> tables) and the executors that map it over runs.

``run_one`` is a pure function of its :class:`~model.experiments.design.RunSpec`: the seed comes from the
spec, never from the worker, so results are bit-identical whatever the executor and the number
of workers. A run that raises is returned as a failed :class:`RunOutput` with its traceback;
the batch goes on. ``execute`` streams every finished run to a store (``model.experiments.store``) at once,
keeps a bounded number of runs in flight (memory stays flat), and shows a progress bar.

Executors:
    serial    one run after another in this process (debugging, tiny batches).
    process   local worker processes (the default; all cores), started with the "forkserver"
              method (or "spawn"), so it works the same from a script and from a notebook.
    dask      a Dask distributed cluster: ``scheduler="tcp://host:8786"``, or a LocalCluster.

Testing aid: the environment variable ``STABSIM_FAIL_RUNS`` (comma-separated run ids or
shell-style patterns such as ``baseline/*/r0001``) makes ``run_one`` raise for those runs.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fnmatch
import logging
import multiprocessing as mp
import os
import socket
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from model.experiments.run import initial_state_for, run_model

if TYPE_CHECKING:
    from model.experiments.design import RunSpec

__all__ = [
    "EXECUTORS",
    "FAIL_ENV",
    "RUNS_PER_WORKER",
    "ExecutorError",
    "InjectedFailure",
    "Report",
    "RunOutput",
    "default_workers",
    "execute",
    "failing_runs",
    "progress_enabled",
    "run_one",
]

EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")
FAIL_ENV = "STABSIM_FAIL_RUNS"
RUNS_PER_WORKER = 50
"""Local worker processes are replaced after about this many runs each, so that memory a run
leaves behind in its process (e.g. Mesa 3.3 keeps every finished model, mesa#3179) cannot pile
up over a long batch. Results do not depend on it. (``max_tasks_per_child`` is not used: it
can deadlock on Python 3.11-3.12, cpython#115634.)"""
KEY_COLUMNS: tuple[str, ...] = ("run_id", "scenario", "design_point", "replicate", "seed")
"""Columns put in front of every stored table (then one column per varied name)."""

_WORKER_DIED = (
    "the worker process running this run died twice ({what}); a run in the same pool may"
    " have crashed it: rerun with --retry-failed"
)


class ExecutorError(RuntimeError):
    """The executor cannot start (e.g. no Dask, or the scheduler cannot be reached)."""


class InjectedFailure(RuntimeError):
    """Raised by ``run_one`` for a run named in ``STABSIM_FAIL_RUNS`` (a testing aid)."""


@dataclass
class RunOutput:
    """What one run produced.

    Attributes:
        spec: the run spec.
        status: ``"ok"`` or ``"failed"``.
        monthly: the monthly table with the key and varied columns in front (None if failed).
        summary: the one-row summary with the key and varied columns in front (None if failed).
        error: the traceback text of a failed run, else None.
        started: when the run started (ISO 8601, UTC).
        duration_s: wall time of the run in seconds.
        worker: ``host:pid`` of the process that ran it.
        max_rss_mb: peak resident memory of that process so far (MB), if known.
    """

    spec: RunSpec
    status: str
    monthly: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    error: str | None = None
    started: str = ""
    duration_s: float = 0.0
    worker: str = ""
    max_rss_mb: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the run succeeded."""
        return self.status == "ok"


def failing_runs(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The run ids or patterns in ``STABSIM_FAIL_RUNS`` (a testing aid; empty normally)."""
    text = (environ if environ is not None else os.environ).get(FAIL_ENV, "")
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _utcnow() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def _max_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


_STATES: dict[Any, Any] = {}


def _initial_state(scenario: Any) -> Any:
    """The scenario's initial state, built once per process for each distinct data set."""
    key = (scenario.initial_data, scenario.initial_areas, scenario.initial_forces)
    try:
        hash(key)
    except TypeError:  # pragma: no cover - overrides are frozen, so hashable
        return initial_state_for(scenario)
    if key not in _STATES:
        if len(_STATES) >= 8:
            _STATES.pop(next(iter(_STATES)))
        _STATES[key] = initial_state_for(scenario)
    return _STATES[key]


def _decorate(table: pd.DataFrame, spec: RunSpec) -> pd.DataFrame:
    """The table with the run's key columns and varied values in front."""
    front: dict[str, Any] = {
        "run_id": spec.run_id,
        "scenario": spec.scenario_name,
        "design_point": np.int64(spec.design_point),
        "replicate": np.int64(spec.replicate),
        "seed": np.uint64(spec.seed),
    }
    for name, value in spec.values.items():
        # A varied lever that is also a monthly outcome (us_troops) is already recorded there.
        if name not in table.columns and name not in front:
            front[name] = np.float64(value)
    out = table.copy()
    for i, (name, value) in enumerate(front.items()):
        out.insert(i, name, value)
    return out


def run_one(spec: RunSpec, *, fail_runs: Sequence[str] | None = None) -> RunOutput:
    """Run one spec to its horizon; never raises for a model error.

    Args:
        spec: the run (scenario with design values applied, replicate, seed).
        fail_runs: run ids or patterns to fail on purpose (testing aid); None reads
            ``STABSIM_FAIL_RUNS`` from the environment.

    Returns:
        The output: tables on success; on failure, ``status="failed"`` and the traceback.
    """
    started = _utcnow()
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        patterns = failing_runs() if fail_runs is None else fail_runs
        if any(fnmatch.fnmatchcase(spec.run_id, p) for p in patterns):
            raise InjectedFailure(f"{spec.run_id}: failure injected by {FAIL_ENV}")
        monthly, summary = run_model(spec.scenario, spec.seed, _initial_state(spec.scenario))
        return RunOutput(
            spec,
            "ok",
            _decorate(monthly, spec),
            _decorate(summary, spec),
            started=started,
            duration_s=time.perf_counter() - t0,
            worker=worker,
            max_rss_mb=_max_rss_mb(),
        )
    except Exception:  # noqa: BLE001 - every model error is recorded; the batch goes on
        return RunOutput(
            spec,
            "failed",
            error=traceback.format_exc(),
            started=started,
            duration_s=time.perf_counter() - t0,
            worker=worker,
            max_rss_mb=_max_rss_mb(),
        )


def _lost(spec: RunSpec, what: str) -> RunOutput:
    """A failed output for a run whose worker never answered."""
    return RunOutput(spec, "failed", error=_WORKER_DIED.format(what=what), started=_utcnow())


# ---- executors --------------------------------------------------------------------------------


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


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


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
                _run_processes(todo, n_workers, fail_runs, handle)
            else:
                _run_dask(todo, workers, scheduler, fail_runs, handle)
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


def _mp_context() -> Any:
    """A start method that never inherits a notebook's threads or locks."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # Workers are forked from a server that has already imported the model.
        ctx.set_forkserver_preload(["model.experiments.executors"])
        return ctx
    return mp.get_context("spawn")  # pragma: no cover - Windows


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Start worker processes without re-running the user's ``__main__`` script in them.

    Workers need only ``model.experiments.executors``. Hiding the script's path means a script without an
    ``if __name__ == "__main__":`` guard, ``python - < script``, or an IDE console works too
    (a notebook has no path, so nothing changes there).
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _run_processes(
    todo: Iterable[RunSpec],
    workers: int,
    fail_runs: Sequence[str],
    handle: Callable[[RunOutput], None],
) -> None:
    with _main_hidden():
        _process_loop(todo, workers, fail_runs, handle)


def _process_loop(
    todo: Iterable[RunSpec],
    workers: int,
    fail_runs: Sequence[str],
    handle: Callable[[RunOutput], None],
) -> None:
    ctx = _mp_context()
    max_in_flight = 2 * workers
    pool_runs = RUNS_PER_WORKER * workers
    specs = iter(todo)
    again: deque[RunSpec] = deque()  # runs lost once with a dead worker get one more try
    lost_once: set[str] = set()
    pending: dict[Any, RunSpec] = {}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    submitted = 0
    clean = False
    try:
        while True:
            broken = False
            if submitted >= pool_runs and not pending:
                # Fresh workers now and then: memory a model run leaves behind is given back.
                pool.shutdown(wait=True)
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
                submitted = 0
            while len(pending) < max_in_flight and submitted < pool_runs:
                spec = again.popleft() if again else next(specs, None)
                if spec is None:
                    break
                try:
                    pending[pool.submit(run_one, spec, fail_runs=fail_runs)] = spec
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
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
            submitted = 0
        clean = True
    finally:
        pool.shutdown(wait=clean, cancel_futures=True)


def _collect(fut: Any, spec: RunSpec, handle: Callable[[RunOutput], None]) -> None:
    """Hand a finished future's output on (a failed output if its worker never answered)."""
    try:
        output = fut.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker, or an output that cannot be sent
        output = _lost(spec, f"{type(exc).__name__}: {exc}")
    handle(output)


def _run_dask(
    todo: Iterable[RunSpec],
    workers: int | None,
    scheduler: str | None,
    fail_runs: Sequence[str],
    handle: Callable[[RunOutput], None],
) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ExecutorError(
            "the dask executor needs dask[distributed]: pip install 'stabsim[dask]'"
        ) from exc
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, set_as_default=False, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    else:
        with _main_hidden():
            cluster = LocalCluster(
                n_workers=workers or default_workers(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(cluster, set_as_default=False)
    try:
        threads = sum(client.nthreads().values()) or (workers or 1)
        max_in_flight = 2 * threads
        specs = iter(todo)
        pending: dict[Any, RunSpec] = {}
        queue = as_completed(loop=client.loop)

        def fill() -> None:
            while len(pending) < max_in_flight:
                spec = next(specs, None)
                if spec is None:
                    return
                fut = client.submit(run_one, spec, fail_runs=fail_runs, pure=False)
                pending[fut] = spec
                queue.add(fut)

        fill()
        for fut in queue:
            spec = pending.pop(fut)
            try:
                output = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died (KilledWorker) or was lost
                output = _lost(spec, f"{type(exc).__name__}: {exc}")
            fut.release()
            handle(output)
            fill()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
