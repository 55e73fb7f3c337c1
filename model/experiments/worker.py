"""What runs in a worker process: ``run_one`` (one run spec -> tables) and ``run_job`` (one
(scenario, seed) pair -> tables), and the process plumbing every executor shares.

``run_one`` is a pure function of its :class:`~model.experiments.design.RunSpec`: the seed comes
from the spec, never from the worker, so results are bit-identical whatever the executor and the
number of workers. A run that raises is returned as a failed :class:`RunOutput` with its
traceback; the batch goes on.

Testing aid: the environment variable ``STABSIM_FAIL_RUNS`` (comma-separated run ids or
shell-style patterns such as ``baseline/*/r0001``) makes ``run_one`` raise for those runs.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fnmatch
import multiprocessing as mp
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.experiments.run import initial_state_for, run_model
from model.simulation.tables import text_column

if TYPE_CHECKING:
    from model.experiments.design import RunSpec

__all__ = [
    "FAIL_ENV",
    "ExecutorError",
    "InjectedFailure",
    "RunOutput",
    "default_workers",
    "failing_runs",
    "new_pool",
    "run_job",
    "run_one",
    "stop_workers",
    "watch_parent",
]

FAIL_ENV = "STABSIM_FAIL_RUNS"
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


def _decorate(table: pd.DataFrame, spec: RunSpec, drawn: bool = False) -> pd.DataFrame:
    """The table with the run's key columns and varied values in front (and, with
    ``drawn``, the values of its parameter draw)."""
    front: dict[str, Any] = {
        "run_id": spec.run_id,
        "scenario": spec.scenario_name,
        "design_point": np.int64(spec.design_point),
        "replicate": np.int64(spec.replicate),
        "seed": np.uint64(spec.seed),
    }
    if spec.draw is not None:
        front["draw"] = np.int64(spec.draw)
    values = {**spec.values, **(spec.drawn if drawn else {})}
    for name, value in values.items():
        # A varied lever that is also a monthly outcome (us_troops) is already recorded there.
        if name not in table.columns and name not in front:
            front[name] = np.float64(value)
    n = len(table)
    # one concat (not an insert per column): a run of an ensemble adds about 140 columns
    head = pd.DataFrame(
        {
            name: text_column([value], np.zeros(n, dtype=np.int64))
            if isinstance(value, str)
            else np.repeat(np.asarray([value]), n)
            for name, value in front.items()
        }
    )
    return pd.concat([head, table.reset_index(drop=True)], axis=1)


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
            _decorate(summary, spec, drawn=True),
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


def run_job(job: tuple[Any, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one ``(scenario, seed)`` pair to its horizon: (monthly table, one-row summary).

    Unlike ``run_one`` there is no run spec, no key columns and no error capture: a model
    error is raised to the caller.
    """
    scenario, seed = job
    return run_model(scenario, seed, _initial_state(scenario))


def _lost(spec: RunSpec, what: str) -> RunOutput:
    """A failed output for a run whose worker never answered."""
    return RunOutput(spec, "failed", error=_WORKER_DIED.format(what=what), started=_utcnow())


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _mp_context() -> Any:
    """A start method that never inherits a notebook's threads or locks."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # Workers are forked from a server that has already imported the model and loaded
        # its compiled kernels (model.experiments.preload).
        ctx.set_forkserver_preload(["model.experiments.preload"])
        return ctx
    return mp.get_context("spawn")  # pragma: no cover - Windows


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Start worker processes without re-running the user's ``__main__`` script in them.

    Workers need only ``model.experiments.worker``. Hiding the script's path means a script
    without an ``if __name__ == "__main__":`` guard, ``python - < script``, or an IDE console
    works too (a notebook has no path, so nothing changes there).
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


# ---- worker processes that never outlive the batch --------------------------------------------

WATCH_SECONDS = 0.5
"""How often a worker checks that the process that started it is still there."""


def _identity(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process from ``/proc`` (Linux), None if it is gone; elsewhere
    ("", "") while ``kill(pid, 0)`` finds it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), fields[19].decode()  # state, starttime
    except FileNotFoundError:
        return None
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "", ""


def watch_parent(parent: int) -> None:
    """Pool initializer: end this worker as soon as the process running the batch is gone.

    A ``kill -9`` of the batch gives its workers no notice; without this check they would wait
    for work forever (and keep the forkserver and resource tracker alive with them). A process
    that has died (a zombie) or whose pid was taken by another process counts as gone.
    """
    first = _identity(parent)

    def watch() -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            now = _identity(parent)
            if now is None or now[0] in ("Z", "X") or (first and now[1] != first[1]):
                os._exit(1)

    threading.Thread(target=watch, name="stabsim-watch-parent", daemon=True).start()


def new_pool(workers: int, ctx: Any) -> ProcessPoolExecutor:
    """A pool of worker processes that end when this process ends, however it ends."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=watch_parent, initargs=(os.getpid(),)
    )


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes now, without waiting for the runs in progress (after an
    interrupt or a fault: their results could not be stored anyway)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    deadline = time.monotonic() + 3
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
