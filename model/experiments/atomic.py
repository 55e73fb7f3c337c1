"""Durable, atomic file writes: a temporary file (``.<name>.<pid>.tmp``), fsync, then a rename.

A reader never sees a half-written file, and the temporary names are ignored by readers
(``pyarrow.dataset``, ``*.parquet`` globs). Used by the batch store and the ``run`` command's
run folders. No Mesa here.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "TMP_SUFFIX",
    "named",
    "staged_folder",
    "temporary_path",
    "write_json_atomic",
    "write_parquet",
    "write_parquet_atomic",
    "write_text_atomic",
]

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


def write_parquet(df: pd.DataFrame, fh: Any) -> None:
    """Write ``df`` as Parquet (zstd) to the open binary file ``fh``, the index left out.

    Dictionary encoding only for the text columns (run ids, scenarios, levels, units: a few
    values repeated on every row). The float columns of a run's tables hardly repeat a value,
    so trying a dictionary for each of them was a third of the write, and the files came out
    larger. The table is converted on this thread: a worker has one core to itself.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False, nthreads=1)
    text = [
        f.name
        for f in table.schema
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    pq.write_table(table, fh, compression="zstd", use_dictionary=text)


def write_parquet_atomic(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a Parquet file durably and atomically (temp file, fsync, rename; ``write_parquet``).

    The temporary name starts with a dot and ends with ``.tmp``, so readers (``pyarrow.dataset``,
    ``*.parquet`` globs) never pick it up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    with _removed_on_failure(tmp, path), open(tmp, "wb") as fh:
        write_parquet(df, fh)
        fh.flush()
        os.fsync(fh.fileno())
        os.replace(tmp, path)


def write_json_atomic(data: Any, path: Path) -> None:
    """Write a JSON file durably and atomically (temp file, fsync, rename, fsync of the folder)."""
    tmp = temporary_path(path)
    with _removed_on_failure(tmp, path), open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
        os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_text_atomic(text: str, path: Path) -> None:
    """Write a text file durably and atomically (temp file, fsync, rename, fsync of the folder)."""
    tmp = temporary_path(path)
    with _removed_on_failure(tmp, path), open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
        os.replace(tmp, path)
    _fsync_dir(path.parent)


@contextlib.contextmanager
def _removed_on_failure(tmp: Path, path: Path) -> Iterator[None]:
    """Remove the temporary file if the write fails (a full disk, an interrupt): no half-written
    or empty file is left behind."""
    try:
        yield
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def named(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """The same file-system error, naming ``path`` if it names no file (a write that fails
    half-way says only "No space left on device")."""
    if exc.filename is not None or exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path))


@contextlib.contextmanager
def staged_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a new folder whole or not at all.

    Yields a hidden temporary folder beside ``folder`` (``.<name>.<pid>.tmp``) to write into;
    it is renamed to ``folder`` at the end, or removed, with any folder made above it, if the
    writing fails or is interrupted. ``folder`` must not exist yet.
    """
    import shutil

    folder = Path(folder)
    made = [q for q in (folder.parent, *folder.parent.parents) if not q.exists()]
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(folder)
    try:
        tmp.mkdir()
        yield tmp
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for parent in made:
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
