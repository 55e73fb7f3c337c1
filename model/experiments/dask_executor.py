"""The Dask executor: runs on a Dask distributed cluster (``scheduler="tcp://host:8786"``), or on
a LocalCluster of worker processes started here. ``model.experiments.executors.execute`` calls
it with the runs still to do; every output is handed on as it arrives."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from model.experiments.interrupts import deferred
from model.experiments.worker import (
    ExecutorError,
    RunOutput,
    _lost,
    _main_hidden,
    default_workers,
    run_one,
)

if TYPE_CHECKING:
    from model.experiments.design import RunSpec

__all__ = ["run_dask"]


def run_dask(
    todo: Iterable[RunSpec],
    workers: int | None,
    scheduler: str | None,
    fail_runs: Sequence[str],
    handle: Callable[[RunOutput], None],
) -> None:
    """Run ``todo`` on Dask, at most two runs per worker thread in flight; ``handle`` each output.

    Raises:
        ExecutorError: no Dask installed, or the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ExecutorError(
            "the dask executor needs dask[distributed]: pip install 'stabsim[dask]'"
        ) from exc
    cluster = None
    client = None
    try:
        if scheduler:
            try:
                # timeout: dask's distributed.comm.timeouts.connect (30 s unless configured)
                client = Client(scheduler, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from None
        else:
            # A SIGTERM while the local cluster starts waits until it can be closed again.
            with deferred(), _main_hidden():
                cluster = LocalCluster(
                    n_workers=workers or default_workers(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.CRITICAL,  # a stopped batch: one line, no logs
                )
                client = Client(cluster, set_as_default=False)
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
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
