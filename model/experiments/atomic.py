"""Durable, atomic file writes: a temporary file (``.<name>.<pid>.tmp``), fsync, then a rename.

A reader never sees a half-written file, and the temporary names are ignored by readers
(``pyarrow.dataset``, ``*.parquet`` globs). Used by the batch store and the ``run`` command's
run folders. No Mesa here.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["TMP_SUFFIX", "temporary_path", "write_json_atomic", "write_parquet_atomic"]

TMP_SUFFIX = ".tmp"


def temporary_path(path: Path) -> Path:
    """Where ``path`` is written before its rename: ``.<name>.<pid>.tmp`` beside it."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


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
    tmp = temporary_path(path)
    table = pa.Table.from_pandas(df, preserve_index=False)
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json_atomic(data: Any, path: Path) -> None:
    """Write a JSON file durably and atomically (temp file, fsync, rename, fsync of the folder)."""
    tmp = temporary_path(path)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
