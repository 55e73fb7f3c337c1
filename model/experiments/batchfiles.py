"""The files of a batch folder: layout names, and reading what is stored.

Reading helpers here derive each run's state from ``status.jsonl`` and the part files; files
are written atomically (``model.experiments.atomic``) by ``model.experiments.store.BatchStore``.
No Mesa here.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.files.confine import read_json
from model.files.errors import ConfigError, describe, excerpt

__all__ = [
    "FORMAT",
    "KEY_COLUMNS",
    "LOCK",
    "MANIFEST",
    "STATUS",
    "TABLES",
    "StoreError",
    "is_batch_folder",
    "last_line",
    "list_parts",
    "part_ok",
    "part_path",
    "read_manifest",
    "read_status",
    "run_parts",
    "run_states",
]

FORMAT = "stabsim-batch/1"
MANIFEST = "manifest.json"
STATUS = "status.jsonl"
LOCK = ".lock"
TABLES: tuple[str, ...] = ("monthly", "summary")
KEY_COLUMNS: tuple[str, ...] = ("run_id", "scenario", "design_point", "replicate", "seed")
"""Columns put in front of every stored table (then one column per varied name)."""


class StoreError(ConfigError):
    """A batch folder that cannot be used as asked, or whose files were damaged or edited (one
    line naming the folder or file; the command exits with 2)."""


def _now(timespec: str = "seconds") -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec=timespec)


def part_path(root: str | os.PathLike[str], table: str, scenario: str, part: str) -> Path:
    """Where a run's part of ``table`` ("monthly" or "summary") is stored."""
    return Path(root) / table / scenario / f"{part}.parquet"


# ---- reading ----------------------------------------------------------------------------------


def is_batch_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a batch (a manifest)."""
    return (Path(path) / MANIFEST).is_file()


def read_manifest(root: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a batch folder, checked (its shape, not its meaning).

    Raises:
        StoreError: if the folder holds no batch, or the manifest cannot be read, is not a
            stabsim manifest or was damaged or edited (the message names it and the key).
    """
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise StoreError(f"{root}: not a batch folder ({MANIFEST} not found)")
    try:
        data = read_json(path, noun="batch manifest")
    except ConfigError as exc:
        raise StoreError(exc.message, file=exc.file, line=exc.line) from None
    if not isinstance(data, dict):
        raise StoreError(f"not a stabsim batch manifest (got {describe(data)})", file=str(path))
    if data.get("format") != FORMAT:
        raise StoreError(
            f"not a stabsim batch manifest (format {excerpt(data.get('format'))})", file=str(path)
        )
    _check_manifest(data, str(path))
    return data


_KINDS = {str: "text", int: "a whole number", list: "a list", dict: "a mapping"}
_DAMAGED = (
    "the manifest of a batch folder as stabsim wrote it (restore it, or start the batch anew)"
)


def _check_manifest(data: dict[str, Any], path: str) -> None:
    """The keys the readers rely on, with the right types (StoreError naming the first wrong
    one)."""

    def bad(key: str, message: str) -> StoreError:
        return StoreError(message, file=path, key=key, allowed=_DAMAGED)

    def want(container: dict[str, Any], key: str, kind: Any, where: str) -> Any:
        if key not in container:
            raise bad(where, "missing")
        value = container[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise bad(where, f"expected {_KINDS[kind]}, got {describe(value)}")
        return value

    for key in ("batch_id", "batch_hash"):
        want(data, key, str, key)
    want(data, "master_seed", int, "master_seed")
    scenarios = want(data, "scenarios", list, "scenarios")
    if not scenarios or not all(isinstance(s, str) for s in scenarios):
        raise bad("scenarios", "expected a non-empty list of scenario names")
    batch = want(data, "batch", dict, "batch")
    listed = want(batch, "scenarios", list, "batch.scenarios")
    for i, sd in enumerate(listed):
        if not isinstance(sd, dict) or not isinstance(sd.get("name"), str):
            raise bad(f"batch.scenarios[{i}]", "expected a scenario with a name")
    if [sd["name"] for sd in listed] != scenarios:
        raise bad("batch.scenarios", "does not list the scenarios of 'scenarios'")
    if not isinstance(data.get("sessions", []), list):
        raise bad("sessions", f"expected a list, got {describe(data['sessions'])}")
    if data.get("design") is not None and not isinstance(data["design"], dict):
        raise bad("design", f"expected a mapping, got {describe(data['design'])}")
    known = set(scenarios)
    seen: set[str] = set()
    for i, run in enumerate(want(data, "runs", list, "runs")):
        where = f"runs[{i}]"
        if not isinstance(run, dict):
            raise bad(where, f"expected a run, got {describe(run)}")
        run_id = want(run, "run_id", str, f"{where}.run_id")
        if run_id in seen:
            raise bad(f"{where}.run_id", f"{excerpt(run_id)} is listed twice")
        seen.add(run_id)
        name = want(run, "scenario", str, f"{where}.scenario")
        if name not in known:
            raise bad(f"{where}.scenario", f"unknown scenario {excerpt(name)}")
        for key in ("design_point", "replicate", "seed"):
            if want(run, key, int, f"{where}.{key}") < 0:
                raise bad(f"{where}.{key}", "must not be negative")


def _parse_status(data: bytes) -> tuple[dict[str, dict[str, Any]], int]:
    """Latest line per run id, and the length of the complete (newline-ended) part.

    A line that is not a status line (damaged or edited: not JSON, no text ``run_id``, no
    ``status``) is skipped: its run counts as not recorded, so a resume runs it again.
    """
    latest: dict[str, dict[str, Any]] = {}
    end = data.rfind(b"\n") + 1
    for raw in data[:end].splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if (
            isinstance(line, dict)
            and isinstance(line.get("run_id"), str)
            and line.get("status") in ("ok", "failed")
        ):
            latest[line["run_id"]] = line
    return latest, end


def read_status(root: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The latest status line of each run (a partly written last line is ignored)."""
    path = Path(root) / STATUS
    if not path.exists():
        return {}
    return _parse_status(read_status_bytes(path))[0]


def read_status_bytes(path: Path) -> bytes:
    """The bytes of a status file (StoreError if it is not a regular file or cannot be read)."""
    if not path.is_file():
        raise StoreError(
            "is not a file", file=str(path), allowed="the status file of a batch folder"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot be read ({exc.strerror})", file=str(path)) from None


_MAGIC = b"PAR1"


def part_ok(path: str | os.PathLike[str]) -> bool:
    """Whether a part file is a whole Parquet file: the magic bytes at both ends and a footer
    that fits (a file cut short by a full disk or a crash, or overwritten, is not)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 12:
                return False
            head = fh.read(4)
            fh.seek(size - 8)
            tail = fh.read(8)
    except OSError:
        return False
    footer = int.from_bytes(tail[:4], "little")
    return head == _MAGIC and tail[4:] == _MAGIC and 0 < footer <= size - 12


def list_parts(root: str | os.PathLike[str], unreadable: set[str] | None = None) -> set[str]:
    """Relative paths ``table/scenario/name`` of the complete part files.

    Args:
        root: the batch folder.
        unreadable: if given, receives the part files that are there but not whole Parquet
            files (they count as missing, so a resume runs them again).
    """
    out: set[str] = set()
    for table in TABLES:
        base = Path(root) / table
        if not base.is_dir():
            continue
        for scen in os.scandir(base):
            if not scen.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(scen.path):
                if entry.name.endswith(".parquet") and not entry.name.startswith((".", "_")):
                    rel = f"{table}/{scen.name}/{entry.name}"
                    if part_ok(entry.path):
                        out.add(rel)
                    elif unreadable is not None:
                        unreadable.add(rel)
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


def last_line(text: str | None) -> str:
    """The last non-empty line of an error text (the exception and its message)."""
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"
