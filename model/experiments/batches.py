"""Batches end to end: load a batch (or the one recorded in a folder), plan its runs, open its
store and execute it (``run_batch``, for scripts and notebooks), and read how far a batch
folder has got (``batch_progress``). The ``stabsim batch`` and ``stabsim status`` commands print
what these return.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.experiments.design import Design, RunSpec
    from model.experiments.ensemble import Ensemble
    from model.experiments.results import BatchResults
    from model.experiments.store import BatchStore
    from model.files.batch import Batch

__all__ = [
    "MAX_BATCH_RUNS",
    "BatchPlan",
    "BatchProgress",
    "batch_progress",
    "load_for_run",
    "open_store",
    "plan_batch",
    "recorded_batch",
    "run_batch",
    "run_scenario",
    "scenario_batch",
    "session_seconds",
    "with_overrides",
]


# ---- planning ---------------------------------------------------------------------------------

MAX_BATCH_RUNS = 1_000_000
"""Most runs of one batch (its plan and manifest are held in memory; a study has the same
limit)."""


def check_size(batch: Batch, design: Design, ensemble: Ensemble | None = None) -> int:
    """The number of runs of a batch; ConfigError (naming the file) over :data:`MAX_BATCH_RUNS`
    or with a name both in the design and the ensemble.

    Counted, not expanded, so that an enormous design is refused at once.
    """
    from model.experiments.design import check_overlap
    from model.files.errors import ConfigError
    from model.files.yaml_reader import relative_display

    check_overlap(batch, design, ensemble)
    draws = len(ensemble) if ensemble is not None else 1
    runs = len(design) * draws * sum(s.replicates for s in batch.scenarios)
    if runs > MAX_BATCH_RUNS:
        what = "design points x parameter draws" if ensemble is not None else "design points"
        raise ConfigError(
            f"the batch has {runs:,} runs (scenarios x {what} x replicates)",
            file=relative_display(batch.path) if batch.path else None,
            allowed=f"at most {MAX_BATCH_RUNS:,}: fewer points, draws or replicates, or several "
            "batches",
        )
    return runs


@dataclass(frozen=True)
class BatchPlan:
    """A batch ready to run: the batch (overrides applied), its design, its parameter draws
    (None without ``uncertainty:``) and its run specs."""

    batch: Batch
    design: Design
    specs: list[RunSpec]
    overrides: dict[str, int]
    ensemble: Ensemble | None = None


def with_overrides(
    batch: Batch, replicates: int | None, horizon: int | None, draws: int | None = None
) -> Batch:
    """The batch with every scenario's replicates and/or horizon replaced, and its number of
    parameter draws (0: none; see ``model.experiments.ensemble.with_draws``)."""
    from model.experiments.ensemble import with_draws

    batch = with_draws(batch, draws)
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


def load_for_run(
    source: str | os.PathLike[str] | Batch | None,
    resume: str | os.PathLike[str] | None,
    replicates: int | None,
    horizon: int | None,
    draws: int | None = None,
) -> Batch:
    """The batch to run: a file, a loaded batch, or the one recorded in the folder to resume.

    Raises:
        ConfigError: a mistake in the batch file.
        StoreError: nothing to resume, or overrides for a batch being resumed.
    """
    from model.experiments.batchfiles import MANIFEST, StoreError, is_batch_folder
    from model.files.batch import Batch, load_batch

    if isinstance(source, Batch):
        batch = source
    elif source is not None:
        batch = load_batch(source)
    elif resume is not None:
        if replicates is not None or horizon is not None or draws is not None:
            raise StoreError(
                "--replicates, --horizon and --draws cannot change a batch being resumed (they "
                "are recorded in it); leave them out, or give FILE with the same ones"
            )
        if not is_batch_folder(resume):
            raise StoreError(f"{resume}: nothing to resume ({MANIFEST} not found)")
        batch = recorded_batch(resume)
    else:
        raise StoreError("give a batch FILE, or --resume DIR")
    return with_overrides(batch, replicates, horizon, draws)


def recorded_batch(folder: str | os.PathLike[str]) -> Batch:
    """The batch recorded in a folder's manifest (to resume without the YAML files).

    Raises:
        StoreError: no manifest, or one that was damaged or edited (the message names it).
    """
    from pathlib import Path

    from model.experiments.batchfiles import MANIFEST, StoreError, read_manifest
    from model.experiments.design import parse_design
    from model.experiments.manifest import batch_from_manifest
    from model.files.errors import ConfigError, Problem
    from model.files.values import SEED_RANGE, whole

    manifest = read_manifest(folder)
    where = str(Path(folder) / MANIFEST)
    try:
        raw = manifest["batch"]
        checks = {"seed": SEED_RANGE, "replicates": (1, SEED_RANGE[1])}
        for key, (lo, hi) in checks.items():
            if key == "seed" or raw.get(key) is not None:
                try:
                    whole(raw.get(key), lo, hi)
                except Problem as exc:
                    raise StoreError(exc.message, file=where, key=f"batch.{key}") from None
        batch = _drawn_left_free(batch_from_manifest(manifest), manifest.get("uncertainty"))
        parse_design(batch)  # a design that no longer parses is named here
        return batch
    except ConfigError as exc:
        if isinstance(exc, StoreError):
            raise
        problem = " ".join(str(exc).split())
        raise StoreError(
            f"the recorded batch is no longer valid ({problem})", file=where, key="batch"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise StoreError(
            f"cannot rebuild the recorded batch ({type(exc).__name__}: {exc})",
            file=where,
            key="batch",
            allowed="the manifest as stabsim wrote it (restore it, or start the batch anew)",
        ) from None


def _drawn_left_free(batch: Batch, recorded: Any) -> Batch:
    """The recorded batch with the drawn parameters left to the draws again.

    The manifest records every parameter's value (registry defaults included), but a parameter
    a scenario sets itself keeps its value under an ensemble: a drawn parameter recorded at its
    registry default was not set by the scenario, so it is left out and drawn as before. (One
    that a scenario set to its default on purpose is drawn now: the plan then differs and the
    folder is refused with a message, never run with other values.)"""
    from model.files.frozen import FrozenMap
    from model.simulation.parameters import REGISTRY

    if not recorded:
        return batch
    drawn = {n for n, kind in recorded.get("kinds", {}).items() if kind != "schedule"}
    scenarios = tuple(
        dataclasses.replace(
            sc,
            parameters=FrozenMap(
                {
                    k: v
                    for k, v in sc.parameters.items()
                    if not (k in drawn and k in REGISTRY and v == REGISTRY[k].default)
                }
            ),
        )
        for sc in batch.scenarios
    )
    return dataclasses.replace(batch, scenarios=scenarios)


def plan_batch(
    source: str | os.PathLike[str] | Batch | None,
    *,
    resume: str | os.PathLike[str] | None = None,
    replicates: int | None = None,
    horizon: int | None = None,
    draws: int | None = None,
    progress: bool = True,
    screen: bool = True,
) -> BatchPlan:
    """Load a batch (see :func:`load_for_run`), parse its design, draw its parameter ensemble
    and expand its runs (``progress``: a bar while the draws are screened; ``screen=False``:
    the draws as drawn, unscreened, e.g. to list a batch without running anything)."""
    from model.experiments.design import expand, parse_design
    from model.experiments.ensemble import ensemble_for
    from model.experiments.screening import screened_ensemble

    batch = load_for_run(source, resume, replicates, horizon, draws)
    design = parse_design(batch)
    ensemble = ensemble_for(batch)
    check_size(batch, design, ensemble)  # before any screening run
    if screen:
        ensemble = screened_ensemble(batch, progress)
    specs = expand(batch, design, ensemble)
    given = (("replicates", replicates), ("horizon", horizon), ("draws", draws))
    overrides = {k: v for k, v in given if v is not None}
    return BatchPlan(batch, design, specs, overrides, ensemble)


def open_store(
    plan: BatchPlan,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    runs_dir: str | os.PathLike[str] = "runs",
) -> BatchStore:
    """Open (create or reopen) the batch folder of a plan; see ``BatchStore.open``."""
    from model.experiments.store import BatchStore

    return BatchStore.open(
        plan.batch,
        plan.specs,
        plan.design,
        out=out,
        resume=resume,
        runs_dir=runs_dir,
        overrides=plan.overrides,
        ensemble=plan.ensemble,
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
    draws: int | None = None,
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
        replicates: replicates per scenario (per draw, with an ensemble; override).
        horizon: months simulated (override).
        runs_dir: parent of new batch folders.
        draws: parameter draws of the ensemble (override; 0: none).

    Returns:
        The stored results (``.status()`` lists failed runs, if any).

    Raises:
        ConfigError: a mistake in the batch file.
        StoreError: the folder holds another batch or is in use.
    """
    from model.experiments.executors import execute
    from model.experiments.results import open_batch

    plan = plan_batch(
        source,
        resume=resume,
        replicates=replicates,
        horizon=horizon,
        draws=draws,
        progress=progress,
    )
    with open_store(plan, out=out, resume=resume, runs_dir=runs_dir) as store:
        execute(plan.specs, store, executor, workers, scheduler, progress, retry_failed)
        root = store.root
    return open_batch(root)


def run_scenario(
    scenario: Any,
    runs_dir: str | os.PathLike[str] = "runs",
    progress: bool = True,
    workers: int | None = 1,
    draws: int | None = None,
) -> BatchResults:
    """Run a scenario's replicates and store them like a batch of one scenario.

    The folder ``runs/<name>-<YYYYmmdd-HHMMSS>/`` has the batch layout (manifest, status, one
    Parquet part per run, ``docs/batches.md``) and ``scenario.yaml``, the resolved scenario, so
    ``stabsim compare`` and ``open_batch`` read it like any batch. The batch's master seed is
    the scenario's ``seed``: replicate r has the seed it has in ``stabsim run``.

    Args:
        scenario: a loaded scenario (its ``uncertainty:``, if any, gives the parameter draws).
        runs_dir: parent of the new folder.
        progress: show a progress bar.
        workers: worker processes (1: in this process; None: all cores).
        draws: parameter draws (override; 0: none).
    """
    from model.experiments.executors import execute
    from model.experiments.results import open_batch

    plan = plan_batch(scenario_batch(scenario), draws=draws, progress=progress)
    executor = "serial" if workers == 1 else "process"
    with open_store(plan, runs_dir=runs_dir) as store:
        write_scenario_file(store, plan)
        execute(plan.specs, store, executor, workers, None, progress)
        root = store.root
    return open_batch(root)


def scenario_batch(scenario: Any) -> Batch:
    """A scenario as a batch of one: its name, description and master seed."""
    from model.files.batch import Batch

    return Batch(
        name=scenario.name,
        description=scenario.description,
        path=scenario.path,
        seed=scenario.seed,
        scenarios=(scenario,),
    )


def write_scenario_file(store: BatchStore, plan: BatchPlan) -> None:
    """``scenario.yaml`` in a run folder: the resolved scenario of a batch of one. If it cannot
    be written, a folder that holds no run yet is removed (a failed start leaves nothing)."""
    import yaml

    from model.experiments.atomic import write_text_atomic

    text = yaml.safe_dump(plan.batch.scenarios[0].to_dict(), sort_keys=False)
    try:
        write_text_atomic(text, store.root / "scenario.yaml")
    except BaseException:
        store.discard_if_unused()
        raise


# ---- progress of a folder ---------------------------------------------------------------------


@dataclass(frozen=True)
class BatchProgress:
    """How far a batch folder has got.

    Attributes:
        manifest: the folder's manifest.
        status: the latest status line of every run recorded.
        states: ``"ok"``, ``"failed"`` or ``"missing"`` per run id.
        pid: the process holding the folder's lock (None if no session is running).
        table: counts of ``ok``, ``failed`` and ``missing`` runs per scenario.
        totals: the same counts over all scenarios.
        elapsed: seconds spent in sessions.
        unreadable: part files that are there but cannot be read (cut short or damaged); their
            runs count as missing.
    """

    manifest: dict[str, Any]
    status: dict[str, dict[str, Any]]
    states: dict[str, str]
    pid: int | None
    table: dict[str, dict[str, int]]
    totals: dict[str, int]
    elapsed: float
    unreadable: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        """Whether a session is running on the folder now."""
        return self.pid is not None

    @property
    def failed(self) -> list[str]:
        """The ids of the runs that failed, in the manifest's order."""
        return [r["run_id"] for r in self.manifest["runs"] if self.states[r["run_id"]] == "failed"]


def batch_progress(folder: str | os.PathLike[str]) -> BatchProgress:
    """Read a batch folder's manifest, status and lock; count its runs.

    Raises:
        StoreError: the folder is not a batch folder.
    """
    from model.experiments.batchfiles import list_parts, read_manifest, read_status, run_states
    from model.experiments.locking import lock_holder

    manifest = read_manifest(folder)
    status = read_status(folder)
    states = run_states(folder, manifest, status)
    unreadable: set[str] = set()
    list_parts(folder, unreadable)
    pid = lock_holder(folder)
    table: dict[str, dict[str, int]] = {
        s: {"ok": 0, "failed": 0, "missing": 0} for s in manifest["scenarios"]
    }
    for run in manifest["runs"]:
        table[run["scenario"]][states[run["run_id"]]] += 1
    totals = {k: sum(row[k] for row in table.values()) for k in ("ok", "failed", "missing")}
    elapsed = session_seconds(manifest, status, pid is not None)
    return BatchProgress(
        manifest, status, states, pid, table, totals, elapsed, tuple(sorted(unreadable))
    )


def _parse_time(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def session_seconds(
    manifest: dict[str, Any], status: dict[str, dict[str, Any]], running: bool
) -> float:
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
