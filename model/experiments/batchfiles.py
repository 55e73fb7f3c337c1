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


class StoreError(Exception):
    """A batch folder that cannot be used as asked (one line; the command exits with 2)."""


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


def last_line(text: str | None) -> str:
    """The last non-empty line of an error text (the exception and its message)."""
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"
