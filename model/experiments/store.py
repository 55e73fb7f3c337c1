"""Batch results on disk: ``runs/<batch-id>/``, written as runs finish, resumable after a crash.

Layout::

    runs/<batch-id>/
      manifest.json                    the resolved batch, design, seeds, versions, sessions, runs
      status.jsonl                     one JSON line per finished run (append-only, fsync'ed)
      monthly/<scenario>/<point>-r<replicate>.parquet    e.g. monthly/baseline/00000-r0003.parquet
      summary/<scenario>/<point>-r<replicate>.parquet

Every Parquet part is written to a temporary file (``.<name>.<pid>.tmp``, which readers and
``pyarrow.dataset`` ignore) and renamed into place, so a reader never sees a half-written file.
A run counts as done only when its latest status line says ``ok`` AND both part files exist;
a ``kill -9`` loses at most the runs in flight. Re-opening the folder removes orphaned temporary
files and runs only what is missing. The manifest's per-run status is derived from
``status.jsonl``. No Mesa here.

This module holds :class:`BatchStore` (a folder open for writing). It builds on atomic writes
(``model.experiments.atomic``), the file layout and reading (``model.experiments.batchfiles``),
the manifest and provenance (``model.experiments.manifest``) and the lock
(``model.experiments.locking``); import those names from there.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shutil
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.experiments.atomic import (
    TMP_SUFFIX,
    named,
    write_json_atomic,
    write_parquet_atomic,
)
from model.experiments.batchfiles import (
    LOCK,
    MANIFEST,
    STATUS,
    TABLES,
    StoreError,
    _now,
    _parse_status,
    is_batch_folder,
    last_line,
    list_parts,
    read_manifest,
    read_status_bytes,
    run_parts,
)
from model.experiments.locking import _acquire_lock, _Lock
from model.experiments.manifest import (
    _difference,
    _new_manifest,
    _strip,
    batch_hash,
    git_revision,
    versions,
)

if TYPE_CHECKING:
    from model.experiments.design import Design, RunSpec
    from model.experiments.worker import RunOutput
    from model.files.batch import Batch

__all__ = ["BatchStore", "part_paths", "write_parts"]


def _remove_orphans(root: Path) -> int:
    """Delete temporary files left by a killed writer; return how many."""
    removed = 0
    for table in TABLES:
        base = root / table
        if not base.is_dir():
            continue
        for dirpath, _, files in os.walk(base):
            for name in files:
                if name.endswith(TMP_SUFFIX):
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(dirpath, name))
                        removed += 1
    for name in os.listdir(root):
        if name.startswith(".") and name.endswith(TMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.remove(root / name)
                removed += 1
    return removed


def _remove(paths: Sequence[Path]) -> None:
    """Remove files and (empty) folders, in order, as far as possible."""
    for path in paths:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()


def _new_root(runs_dir: Path, name: str) -> Path:
    """A new folder ``<name>-<YYYYmmdd-HHMMSS>[-n]``, created here (so that two batches started
    in the same second never share one)."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    runs_dir.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        root = runs_dir / (f"{name}-{stamp}" if n == 1 else f"{name}-{stamp}-{n}")
        try:
            root.mkdir()
            return root
        except FileExistsError:
            n += 1


def part_paths(spec: RunSpec) -> list[str]:
    """The run's Parquet parts, relative to the batch folder, in the order of ``TABLES``."""
    return [f"{t}/{spec.scenario_name}/{spec.part}.parquet" for t in TABLES]


def write_parts(root: Path, output: RunOutput) -> None:
    """Write an ok run's monthly and summary parts into the batch folder ``root`` (atomically;
    a status line is what makes them count: ``BatchStore.record``)."""
    monthly, summary = part_paths(output.spec)
    write_parquet_atomic(output.monthly, root / monthly)
    write_parquet_atomic(output.summary, root / summary)


class BatchStore:
    """A batch folder open for writing (holds a lock while open; use as a context manager).

    Open one with :meth:`open`; ``model.experiments.executors.execute`` then asks it which runs are pending
    and records each output as it arrives.

    Attributes:
        root: the batch folder.
        manifest: the manifest (per-run status is refreshed on each manifest write).
        resumed: whether the folder already held this batch.
        removed_orphans: temporary files of a killed writer removed on opening.
        warnings: notes for the user (e.g. the model version changed since the batch started).
    """

    def __init__(self, root: Path, manifest: dict[str, Any], resumed: bool) -> None:
        self.root = root
        self.manifest = manifest
        self.resumed = resumed
        self.removed_orphans = 0
        self.warnings: list[str] = []
        self._lock: _Lock | None = None
        self._status_fh: Any = None
        self._latest: dict[str, tuple[str, float | None]] = {}
        self._errors: dict[str, str] = {}
        self._parts: set[str] = set()
        self._session: dict[str, Any] | None = None
        self._created: list[Path] = []  # files and folders this store made (removed if unused)
        self._recorded = False

    # -- opening --

    @classmethod
    def open(
        cls,
        batch: Batch,
        specs: Sequence[RunSpec],
        design: Design | None = None,
        *,
        out: str | os.PathLike[str] | None = None,
        resume: str | os.PathLike[str] | None = None,
        runs_dir: str | os.PathLike[str] = "runs",
        overrides: Mapping[str, Any] | None = None,
        ensemble: Any = None,
    ) -> BatchStore:
        """Create a batch folder, or reopen one that holds the same batch.

        Args:
            batch: the resolved batch (overrides applied).
            specs: its runs (``model.experiments.design.expand``).
            design: its parsed design (for the manifest).
            out: the folder to use; if it holds this batch already, it is resumed.
            resume: a folder that must hold this batch already.
            runs_dir: where ``<batch>-<YYYYmmdd-HHMMSS>/`` is created when neither is given.
            overrides: command-line overrides (recorded in the manifest).
            ensemble: the parameter draws the specs carry (recorded in the manifest).

        Raises:
            StoreError: the folder holds another batch, is not a batch folder, or is in use.
        """
        h = batch_hash(batch, specs)
        created: list[Path] = []
        if resume is not None:
            root = Path(resume)
            if not is_batch_folder(root):
                raise StoreError(f"{root}: nothing to resume ({MANIFEST} not found)")
        elif out is not None:
            root = Path(out)
            if root.exists() and not root.is_dir():
                raise StoreError(f"{root}: exists and is not a folder")
            if (
                root.is_dir()
                and not is_batch_folder(root)
                and any(p.name != LOCK for p in root.iterdir())
            ):
                raise StoreError(
                    f"{root}: exists, is not empty and holds no batch; choose another --out"
                )
            if not root.exists():
                missing = [q for q in (root, *root.parents) if not q.exists()]
                root.mkdir(parents=True)
                created += missing
        else:
            runs = Path(runs_dir)
            missing = [q for q in (runs, *runs.parents) if not q.exists()]
            root = _new_root(runs, batch.name)
            created += [root, *missing]
        lock_existed = (root / LOCK).exists()
        try:
            lock = _acquire_lock(root)  # first: another writer may create the batch meanwhile
        except BaseException:
            _remove(created)
            raise
        if not lock_existed:
            created.insert(0, root / LOCK)
        try:
            if is_batch_folder(root):
                manifest = read_manifest(root)
                if manifest.get("batch_hash") != h:
                    diff = _difference(
                        _strip(manifest.get("batch")), _strip(batch.to_dict(full=True)), ""
                    )
                    raise StoreError(
                        f"{root} holds a different batch (hash "
                        f"{str(manifest.get('batch_hash'))[:12]}, this one {h[:12]}"
                        f"{'; ' + diff if diff else ''}): choose another --out, or continue "
                        f"that one with `stabsim batch --resume {root}`"
                    )
                store = cls(root, manifest, resumed=True)
            else:
                manifest = _new_manifest(root, batch, specs, design, h, overrides, ensemble)
                store = cls(root, manifest, False)
                created[:0] = [root / MANIFEST, root / STATUS]
        except BaseException:
            if lock is not None:
                lock.release()
            _remove(created)
            raise
        store._lock = lock
        store._created = created
        try:
            store._load()
            if store.resumed:
                store._check_provenance()
            else:
                store.write_manifest()
        except BaseException:
            store.close()
            if not store.discard_if_unused():
                _remove(created)  # a lock file made for a resume that could not start
            raise
        return store

    def _load(self) -> None:
        self.removed_orphans = _remove_orphans(self.root)
        path = self.root / STATUS
        if path.exists() or path.is_symlink():
            data = read_status_bytes(path)
            latest, end = _parse_status(data)
            if end < len(data):  # a line cut by a kill: drop it so the next one starts clean
                with open(path, "rb+") as fh:
                    fh.truncate(end)
                    fh.flush()
                    os.fsync(fh.fileno())
            for run_id, line in latest.items():
                self._latest[run_id] = (line.get("status", "failed"), line.get("duration_s"))
                if line.get("status") != "ok":
                    self._errors[run_id] = last_line(line.get("error"))
        unreadable: set[str] = set()
        self._parts = list_parts(self.root, unreadable)
        if unreadable:
            first = sorted(unreadable)[0]
            self.warnings.append(
                f"{len(unreadable)} part file(s) cannot be read (cut short or damaged, e.g. "
                f"{self.root / first}); their runs count as missing and run again"
            )
        self._status_fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the session

    def _check_provenance(self) -> None:
        first = self.manifest.get("versions", {})
        now = versions()
        changed = [f"{k} {first.get(k)} -> {v}" for k, v in now.items() if first.get(k) != v]
        if changed:
            self.warnings.append("versions changed since this batch started: " + ", ".join(changed))
        rev, old = git_revision(), self.manifest.get("git_revision")
        if old and rev and rev != old:
            self.warnings.append(
                f"the stabsim checkout changed since this batch started (git {old[:10]} -> {rev[:10]})"
            )

    # -- state --

    def state(self, run: Mapping[str, Any] | RunSpec) -> str:
        """``"ok"``, ``"failed"`` or ``"missing"`` for a run (a spec or a manifest entry)."""
        if isinstance(run, Mapping):
            run_id, rel = run["run_id"], run_parts(run)
        else:
            run_id = run.run_id
            rel = [f"{t}/{run.scenario_name}/{run.part}.parquet" for t in TABLES]
        status = self._latest.get(run_id)
        if status is None:
            return "missing"
        if status[0] == "ok":
            return "ok" if all(p in self._parts for p in rel) else "missing"
        return "failed"

    def pending(self, specs: Sequence[RunSpec], retry_failed: bool = False) -> list[RunSpec]:
        """The runs still to do: missing ones, and failed ones when ``retry_failed``."""
        todo = ("missing", "failed") if retry_failed else ("missing",)
        return [s for s in specs if self.state(s) in todo]

    def counts(self, specs: Sequence[RunSpec] | None = None) -> dict[str, int]:
        """Runs ``ok``, ``failed`` and ``missing`` (of ``specs``, or of the manifest's plan)."""
        runs: Iterable[Any] = specs if specs is not None else self.manifest["runs"]
        out = {"ok": 0, "failed": 0, "missing": 0}
        for run in runs:
            out[self.state(run)] += 1
        return out

    def failures(self) -> dict[str, str]:
        """Run id -> last line of the error, for the runs whose latest status is failed."""
        return {k: v for k, v in self._errors.items() if self._latest[k][0] != "ok"}

    # -- writing --

    def record(self, output: RunOutput) -> None:
        """Store a finished run: its Parquet parts (if ok), then its status line (fsync'ed).

        An ok output without tables had its parts written by the worker that ran it
        (``write_parts``); they must exist.
        """
        spec = output.spec
        rel = part_paths(spec)
        if output.ok:
            if output.monthly is not None:
                write_parts(self.root, output)
            elif not all((self.root / r).is_file() for r in rel):
                raise StoreError(f"{spec.run_id}: the worker wrote no parts to {self.root}")
            self._parts.update(rel)
        else:
            for r in rel:  # parts of an earlier attempt whose status line was lost
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.root / r)
                self._parts.discard(r)
        line = {
            "run_id": spec.run_id,
            "status": output.status,
            "scenario": spec.scenario_name,
            "design_point": spec.design_point,
            "replicate": spec.replicate,
            "seed": int(spec.seed),
            "duration_s": round(output.duration_s, 4),
            "started": output.started,
            "finished": _now("milliseconds"),
            "worker": output.worker,
            "max_rss_mb": output.max_rss_mb,
            "session": len(self.manifest["sessions"]) - 1,
            "error": output.error,
        }
        self._recorded = True
        try:
            self._status_fh.write(json.dumps(line) + "\n")
            self._status_fh.flush()
            os.fsync(self._status_fh.fileno())
        except OSError as exc:
            raise named(exc, self.root / STATUS) from None
        self._latest[spec.run_id] = (output.status, line["duration_s"])
        if output.ok:
            self._errors.pop(spec.run_id, None)
        else:
            self._errors[spec.run_id] = last_line(output.error)

    def begin_session(self, **info: Any) -> None:
        """Record the start of a session (executor, workers, ...) in the manifest."""
        self._session = {
            "started": _now(),
            "finished": None,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "argv": list(sys.argv),
            "git_revision": git_revision(),
            "versions": versions(),
            **info,
        }
        self.manifest["sessions"].append(self._session)
        self.manifest["status"] = "running"
        self.write_manifest()

    def end_session(self, interrupted: bool = False) -> None:
        """Record the end of the session and refresh the manifest's per-run status."""
        if self._session is None:
            return
        counts = self.counts()
        if interrupted:  # workers stopped in the middle of a write leave their temporary files
            with contextlib.suppress(OSError):
                _remove_orphans(self.root)
        self._session["finished"] = _now()
        self._session["interrupted"] = interrupted
        self._session["counts"] = counts
        self._session = None
        if counts["ok"] == len(self.manifest["runs"]):
            self.manifest["status"] = "complete"
            self.manifest["finished"] = _now()
        else:
            self.manifest["status"] = "failed runs" if not counts["missing"] else "incomplete"
            self.manifest["finished"] = None
        failing = sys.exc_info()[0] is not None  # called while an error or interrupt propagates
        try:
            self.write_manifest()
        except OSError:
            # The manifest is a summary (status.jsonl and the parts are the record): when the
            # session already failed (e.g. the disk is full), that first error is reported.
            if not failing:
                raise

    def write_manifest(self) -> None:
        """Write the manifest atomically, with the per-run status derived from status.jsonl."""
        for run in self.manifest["runs"]:
            run["status"] = self.state(run)
            latest = self._latest.get(run["run_id"])
            run["duration_s"] = latest[1] if latest else None
        self.manifest["counts"] = self.counts()
        write_json_atomic(self.manifest, self.root / MANIFEST)

    def discard_if_unused(self) -> bool:
        """Remove what opening this store created (folder, manifest, status file, lock) if no
        run was recorded in it: a start that failed leaves nothing behind.

        Returns:
            Whether the store was unused (and so removed, as far as it was new).
        """
        if self.resumed or self._recorded:
            return False
        self.close()
        if self.root in self._created:  # a folder made by this store: all in it is ours
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            for table in TABLES:  # empty table folders made by a failed first write
                for sub in sorted((self.root / table).glob("*"), reverse=True):
                    with contextlib.suppress(OSError):
                        sub.rmdir()
                with contextlib.suppress(OSError):
                    (self.root / table).rmdir()
        _remove(self._created)
        self._created = []
        return True

    def close(self) -> None:
        """Close the status file and release the lock."""
        if self._status_fh is not None:
            self._status_fh.close()
            self._status_fh = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> BatchStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
