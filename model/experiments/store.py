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
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from model.experiments.design import Design, RunSpec
    from model.experiments.executors import RunOutput
    from model.files.config import Batch

__all__ = [
    "FORMAT",
    "MANIFEST",
    "STATUS",
    "TABLES",
    "BatchStore",
    "StoreError",
    "batch_from_manifest",
    "batch_hash",
    "git_revision",
    "is_batch_folder",
    "last_line",
    "list_parts",
    "lock_holder",
    "part_path",
    "read_manifest",
    "read_status",
    "run_parts",
    "run_states",
    "versions",
    "write_parquet_atomic",
]

FORMAT = "stabsim-batch/1"
MANIFEST = "manifest.json"
STATUS = "status.jsonl"
LOCK = ".lock"
TABLES: tuple[str, ...] = ("monthly", "summary")
TMP_SUFFIX = ".tmp"


class StoreError(Exception):
    """A batch folder that cannot be used as asked (one line; the command exits with 2)."""


def _now(timespec: str = "seconds") -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec=timespec)


def part_path(root: str | os.PathLike[str], table: str, scenario: str, part: str) -> Path:
    """Where a run's part of ``table`` ("monthly" or "summary") is stored."""
    return Path(root) / table / scenario / f"{part}.parquet"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not possible on every platform; best effort
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_parquet_atomic(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a Parquet file durably and atomically (temp file, fsync, rename).

    The temporary name starts with a dot and ends with ``.tmp``, so readers (``pyarrow.dataset``,
    ``*.parquet`` globs) never pick it up.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    table = pa.Table.from_pandas(df, preserve_index=False)
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_json_atomic(data: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# ---- provenance -------------------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    """Versions of stabsim, its key dependencies and Python (None if not installed)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("stabsim", "mesa", "numpy", "pandas", "pyarrow", "SALib", "dask", "distributed"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out["stabsim"] is None:
        from model import __version__

        out["stabsim"] = __version__
    out["python"] = platform.python_version()
    return out


def git_revision() -> str | None:
    """The git commit of the stabsim checkout, or None (no git, no commit, not a checkout)."""
    here = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    rev = done.stdout.strip()
    return rev if done.returncode == 0 and rev else None


def _strip(data: Any) -> Any:
    """Plain data without descriptions (they do not change results)."""
    if isinstance(data, Mapping):
        return {k: _strip(v) for k, v in data.items() if k != "description"}
    if isinstance(data, list | tuple):
        return [_strip(v) for v in data]
    return data


def batch_hash(batch: Batch, specs: Sequence[RunSpec]) -> str:
    """A hash of everything that decides a batch's results: resolved scenarios and the run plan.

    Descriptions and file paths are left out; every lever and parameter value is in (registry
    defaults included), so a changed default also changes the hash.
    """
    plan = [[s.run_id, int(s.seed), [float(v) for v in s.values.values()]] for s in specs]
    blob = json.dumps(
        {"batch": _strip(batch.to_dict(full=True)), "plan": plan},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def batch_from_manifest(manifest: Mapping[str, Any]) -> Batch:
    """Rebuild the resolved batch recorded in a manifest (to resume without the YAML files).

    Raises:
        ConfigError: if the recorded values are no longer valid for the parameter registry.
    """
    from model.files.config import Batch, Scenario

    raw = manifest["batch"]
    scenarios = []
    for sd in raw["scenarios"]:
        keys = ("description", "start", "horizon", "seed", "replicates", "levers", "parameters")
        fields: dict[str, Any] = {k: sd[k] for k in (*keys, "outcomes", "levels") if k in sd}
        initial = sd.get("initial") or {}
        if initial.get("data") is not None:
            fields["initial_data"] = initial["data"]
        if initial.get("areas"):
            fields["initial_areas"] = initial["areas"]
        if initial.get("forces"):
            fields["initial_forces"] = initial["forces"]
        scenarios.append(Scenario(name=sd["name"]).with_changes(**fields))
    return Batch(
        name=raw["batch"],
        description=raw.get("description", ""),
        path=manifest.get("batch_file"),
        seed=raw["seed"],
        replicates=raw.get("replicates"),
        scenarios=tuple(scenarios),
        design=raw.get("design"),
    )


# ---- reading ----------------------------------------------------------------------------------


def is_batch_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a batch (a manifest)."""
    return (Path(path) / MANIFEST).is_file()


def read_manifest(root: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a batch folder.

    Raises:
        StoreError: if the folder holds no batch or the manifest cannot be read.
    """
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise StoreError(f"{root}: not a batch folder ({MANIFEST} not found)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read the manifest ({exc})") from None
    if data.get("format") != FORMAT:
        raise StoreError(f"{path}: not a stabsim batch manifest (format {data.get('format')!r})")
    return data


def _parse_status(data: bytes) -> tuple[dict[str, dict[str, Any]], int]:
    """Latest line per run id, and the length of the complete (newline-ended) part."""
    latest: dict[str, dict[str, Any]] = {}
    end = data.rfind(b"\n") + 1
    for raw in data[:end].splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # cannot happen with whole lines; skip rather than stop reading
        if isinstance(line, dict) and "run_id" in line:
            latest[line["run_id"]] = line
    return latest, end


def read_status(root: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The latest status line of each run (a partly written last line is ignored)."""
    path = Path(root) / STATUS
    if not path.exists():
        return {}
    return _parse_status(path.read_bytes())[0]


def list_parts(root: str | os.PathLike[str]) -> set[str]:
    """Relative paths ``table/scenario/name`` of the complete part files."""
    out: set[str] = set()
    for table in TABLES:
        base = Path(root) / table
        if not base.is_dir():
            continue
        for scen in os.scandir(base):
            if not scen.is_dir():
                continue
            for entry in os.scandir(scen.path):
                if entry.name.endswith(".parquet") and not entry.name.startswith((".", "_")):
                    out.add(f"{table}/{scen.name}/{entry.name}")
    return out


def run_parts(run: Mapping[str, Any]) -> list[str]:
    """Relative paths of a run's parts (monthly, summary), from its manifest entry."""
    from model.experiments.design import part_name

    part = part_name(int(run["design_point"]), int(run["replicate"]))
    return [f"{t}/{run['scenario']}/{part}.parquet" for t in TABLES]


def run_states(
    root: str | os.PathLike[str],
    manifest: Mapping[str, Any] | None = None,
    status: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """Each planned run's state: ``"ok"`` (status line and both parts), ``"failed"`` or
    ``"missing"``, in plan order."""
    root = Path(root)
    manifest = manifest if manifest is not None else read_manifest(root)
    status = status if status is not None else read_status(root)
    parts = list_parts(root)
    out: dict[str, str] = {}
    for run in manifest["runs"]:
        line = status.get(run["run_id"])
        if line is None:
            out[run["run_id"]] = "missing"
        elif line.get("status") == "ok":
            ok = all(p in parts for p in run_parts(run))
            out[run["run_id"]] = "ok" if ok else "missing"
        else:
            out[run["run_id"]] = "failed"
    return out


def lock_holder(root: str | os.PathLike[str]) -> int | None:
    """The pid of a live process writing to the batch folder, or None."""
    path = Path(root) / LOCK
    if not path.exists():
        return None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        return None
    try:
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                text = fh.read().strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError:
        return None
    return None


# ---- writing ----------------------------------------------------------------------------------


@dataclass
class _Lock:
    fh: Any

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()


def _acquire_lock(root: Path) -> _Lock | None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        return None
    fh = open(root / LOCK, "a+")  # noqa: SIM115 - held open for the whole session
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        pid = fh.read().strip() or "?"
        fh.close()
        raise StoreError(
            f"{root}: another stabsim process (pid {pid}) is writing to this batch folder"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return _Lock(fh)


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


def _new_root(runs_dir: Path, name: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    root = runs_dir / f"{name}-{stamp}"
    n = 1
    while root.exists():
        n += 1
        root = runs_dir / f"{name}-{stamp}-{n}"
    return root


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

        Raises:
            StoreError: the folder holds another batch, is not a batch folder, or is in use.
        """
        h = batch_hash(batch, specs)
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
        else:
            root = _new_root(Path(runs_dir), batch.name)
        if is_batch_folder(root):
            manifest = read_manifest(root)
            if manifest.get("batch_hash") != h:
                diff = _difference(
                    _strip(manifest.get("batch")), _strip(batch.to_dict(full=True)), ""
                )
                raise StoreError(
                    f"{root} holds a different batch (hash {str(manifest.get('batch_hash'))[:12]},"
                    f" this one {h[:12]}{'; ' + diff if diff else ''}): choose another --out, or"
                    f" continue that one with `stabsim batch --resume {root}`"
                )
            store = cls(root, manifest, resumed=True)
        else:
            root.mkdir(parents=True, exist_ok=True)
            store = cls(root, _new_manifest(root, batch, specs, design, h, overrides), False)
        store._lock = _acquire_lock(root)
        try:
            store._load()
            if store.resumed:
                store._check_provenance()
            else:
                store.write_manifest()
        except BaseException:
            store.close()
            raise
        return store

    def _load(self) -> None:
        self.removed_orphans = _remove_orphans(self.root)
        path = self.root / STATUS
        if path.exists():
            data = path.read_bytes()
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
        self._parts = list_parts(self.root)
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
        """Store a finished run: its Parquet parts (if ok), then its status line (fsync'ed)."""
        spec = output.spec
        rel = [f"{t}/{spec.scenario_name}/{spec.part}.parquet" for t in TABLES]
        if output.ok:
            write_parquet_atomic(output.monthly, self.root / rel[0])
            write_parquet_atomic(output.summary, self.root / rel[1])
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
        self._status_fh.write(json.dumps(line) + "\n")
        self._status_fh.flush()
        os.fsync(self._status_fh.fileno())
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
        self.write_manifest()

    def write_manifest(self) -> None:
        """Write the manifest atomically, with the per-run status derived from status.jsonl."""
        for run in self.manifest["runs"]:
            run["status"] = self.state(run)
            latest = self._latest.get(run["run_id"])
            run["duration_s"] = latest[1] if latest else None
        self.manifest["counts"] = self.counts()
        _write_json_atomic(self.manifest, self.root / MANIFEST)

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


def _difference(old: Any, new: Any, path: str) -> str | None:
    """The first place where two plain data trees differ, as ``key: old -> new``."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                return f"{sub}: {old.get(key, 'absent')} -> {new.get(key, 'absent')}"
            found = _difference(old[key], new[key], sub)
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return f"{path}: {len(old)} items -> {len(new)} items"
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found = _difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if old != new:
        return f"{path}: {old} -> {new}"
    return None


def last_line(text: str | None) -> str:
    """The last non-empty line of an error text (the exception and its message)."""
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"


def _new_manifest(
    root: Path,
    batch: Batch,
    specs: Sequence[RunSpec],
    design: Design | None,
    h: str,
    overrides: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "batch_id": root.name,
        "batch_hash": h,
        "batch_file": batch.path,
        "master_seed": batch.seed,
        "overrides": dict(overrides or {}),
        "created": _now(),
        "finished": None,
        "status": "new",
        "host": socket.gethostname(),
        "versions": versions(),
        "git_revision": git_revision(),
        "layout": {
            "status": STATUS,
            "monthly": "monthly/<scenario>/<design_point:05d>-r<replicate:04d>.parquet",
            "summary": "summary/<scenario>/<design_point:05d>-r<replicate:04d>.parquet",
        },
        "scenarios": [s.name for s in batch.scenarios],
        "batch": batch.to_dict(full=True),
        "design": design.to_dict() if design is not None else None,
        "runs_total": len(specs),
        "counts": {},
        "sessions": [],
        "runs": [
            {
                "run_id": s.run_id,
                "scenario": s.scenario_name,
                "design_point": s.design_point,
                "replicate": s.replicate,
                "seed": int(s.seed),
                "status": "missing",
                "duration_s": None,
            }
            for s in specs
        ],
    }
