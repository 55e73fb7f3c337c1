"""Reading the initial state from CSV files: parsing and typing every column, row by row."""

from __future__ import annotations

import functools
import math
import os
import stat
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.data.checks import validate_state
from model.data.schema import (
    ALLOWED_TEXT,
    FILES,
    INDEX_COLUMNS,
    MONTH_PATTERN,
    OPTIONAL_COLUMNS,
    SPECS,
    DataError,
    fail,
    file_list,
)
from model.data.state import InitialState


def load_initial_state(directory: str | os.PathLike[str] | None = None) -> InitialState:
    """Read and validate the initial state.

    Args:
        directory: a folder holding the files in :data:`FILES`; None reads the packaged data.

    Returns:
        The validated state.

    Raises:
        DataError: a missing file or column, a value that does not parse, or a failed check.
    """
    if directory is None:
        root: Any = resources.files(__package__)
    else:
        root = Path(directory)
        if not root.is_dir():
            raise DataError(f"{root}: not a directory; allowed: a directory holding {file_list()}")
    raw: dict[str, pd.DataFrame] = {}
    for name, filename in FILES.items():
        entry = root.joinpath(filename)
        if not entry.is_file():
            raise DataError(f"{filename}: file not found in {root}; allowed: {file_list()}")
        if isinstance(entry, Path):
            _check_file(entry, filename)
        with entry.open("r", encoding="utf-8-sig") as fh:
            try:
                frame = pd.read_csv(fh, dtype=str, keep_default_na=False, na_filter=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                msg = " ".join(str(exc).split())[:160]
                raise DataError(
                    f"{filename}: cannot be read as CSV ({msg}); allowed: UTF-8 CSV"
                ) from None
            except OSError as exc:
                raise DataError(f"{filename}: cannot be read ({exc.strerror})") from None
        raw[name] = _parse(name, frame)
    state = InitialState(source_dir=str(root), **raw)
    validate_state(state)
    return state


MAX_CSV_BYTES = 64 * 1024 * 1024
"""Largest data file read (the packaged ones are a few kB)."""


def _check_file(path: Path, filename: str) -> None:
    """A data file must be a regular file (not a device or a pipe) of at most 64 MB."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            f"{filename}: not a regular file (a device or a pipe?); allowed: a CSV file"
        )
    if info.st_size > MAX_CSV_BYTES:
        raise DataError(
            f"{filename}: {info.st_size:,} bytes is too large; allowed: at most "
            f"{MAX_CSV_BYTES // (1024 * 1024)} MB"
        )


def _short(value: str) -> str:
    """A value from a data file as a message quotes it (escaped, cut short)."""
    return repr(value) if len(value) <= 32 else repr(value[:32]) + "..."


@functools.lru_cache(maxsize=1)
def default_state() -> InitialState:
    """The packaged initial state, read once per process. Treat it as immutable."""
    return load_initial_state(None)


def _row_label(name: str, frame: pd.DataFrame, pos: int) -> str:
    """'row <id>' for frames keyed by id, else 'line <n>' (the header is line 1)."""
    key = INDEX_COLUMNS[name]
    if key is not None:
        value = frame.index[pos] if frame.index.name == key else frame[key].iloc[pos]
        if isinstance(value, str) and value.strip():
            return f"row {value if len(value) <= 32 else _short(value)}"
    label = frame.index[pos]
    line = int(label) + 2 if isinstance(label, (int, np.integer)) else pos + 2
    return f"line {line}"


def _parse(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Typed frame from the all-text frame read from ``name``'s file."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    spec = SPECS[name]
    missing = [c for c in spec if c not in frame.columns]
    if missing:
        raise fail(name, None, missing[0], "missing column", f"a header with {', '.join(spec)}")
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise fail(name, None, _short(dup), "duplicated column", "each column once")
    frame = frame.apply(lambda col: col.str.strip())
    types = {**{c: "str" for c in frame.columns}, **OPTIONAL_COLUMNS[name], **spec}
    out: dict[str, pd.Series] = {}
    for column in frame.columns:
        out[column] = _convert(name, frame, column, types[column])
    typed = pd.DataFrame(out, index=frame.index)
    key = INDEX_COLUMNS[name]
    if key is not None:
        dup = typed[key][typed[key].duplicated()]
        if len(dup):
            pos = int(dup.index[0])
            raise fail(
                name,
                f"line {pos + 2}",
                key,
                f"duplicate {key} {_short(dup.iloc[0])}",
                f"unique values of {key}",
            )
        typed = typed.set_index(key)
    return typed


def _convert(name: str, frame: pd.DataFrame, column: str, kind: str) -> pd.Series:
    text = frame[column]
    if kind in ("str", "month"):
        if kind == "month":
            bad = ~(text.eq("") | text.str.match(MONTH_PATTERN))
            _raise_first(name, frame, column, bad, lambda v: f"{_short(v)} is not a month", kind)
        return text.astype(object)
    if kind in ("id", "flag", "source"):
        _raise_first(name, frame, column, text.eq(""), lambda v: "empty value", kind)
        return text.astype(object)
    if kind == "date":
        values = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        _raise_first(
            name, frame, column, values.isna(), lambda v: f"{_short(v)} is not a date", kind
        )
        return values
    if kind == "bool":
        bad = ~text.isin(["0", "1"])
        _raise_first(name, frame, column, bad, lambda v: f"{_short(v)} is not 0 or 1", kind)
        return text.eq("1").astype(bool)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() | ~numbers.map(lambda x: math.isfinite(x) if pd.notna(x) else False)
    _raise_first(
        name,
        frame,
        column,
        bad,
        lambda v: "empty value" if v == "" else f"{_short(v)} is not a number",
        kind,
    )
    if kind == "int":
        frac = numbers.ne(numbers.round())
        _raise_first(
            name, frame, column, frac, lambda v: f"{_short(v)} is not a whole number", kind
        )
        return numbers.round().astype("int64")
    return numbers.astype("float64")


def _raise_first(
    name: str,
    frame: pd.DataFrame,
    column: str,
    bad: pd.Series,
    problem: Callable[[str], str],
    kind: str,
) -> None:
    if not bool(bad.any()):
        return
    pos = int(bad.to_numpy().nonzero()[0][0])
    value = frame[column].iloc[pos]
    raise fail(name, _row_label(name, frame, pos), column, problem(value), ALLOWED_TEXT[kind])
