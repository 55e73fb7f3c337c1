"""What scenario discovery and sensitivity analysis share: their error, their output folder,
months of stored tables, the atomic writers of tables, text and figures, the number format of
summaries and the figure factory.

It sits in ``discovery`` because sensitivity analysis uses discovery (a study's ``discover``
conditions), never the reverse.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OUTPUT_DIR = "sensitivity"
"""The folder, inside a batch or study folder, that analyses write to."""

_DPI = 120


class StudyError(Exception):
    """A study folder that cannot be analysed as asked (one line)."""


def month_start(text: str) -> pd.Timestamp:
    """The first day of a ``YYYY-MM`` month."""
    return pd.Timestamp(f"{text}-01")


def months_after(month: pd.Series, first: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole months from ``first`` (per row, or one date) to each date of ``month``."""
    if isinstance(first, pd.Series):
        first = first.dt
    return (month.dt.year - first.year) * 12 + (month.dt.month - first.month)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Write ``path`` through ``write(temporary path)``, then rename, so readers never see half
    a file.

    The temporary name starts with a dot and ends with the store's ``.tmp`` suffix, like the
    store's own writers.
    """
    from model.experiments.atomic import temporary_path

    tmp = temporary_path(path)
    write(tmp)
    os.replace(tmp, path)


def write_table(table: pd.DataFrame, stem: Path, folder: Path | None = None) -> list[str]:
    """Write ``stem.parquet`` and ``stem.csv`` atomically.

    Returns:
        The two paths, relative to ``folder`` when given and inside it.
    """
    from model.experiments.atomic import write_parquet_atomic

    write_parquet_atomic(table, stem.with_suffix(".parquet"))
    write_atomic(
        stem.with_suffix(".csv"), lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g")
    )
    return [relative(stem.with_suffix(s), folder) for s in (".parquet", ".csv")]


def write_text(text: str, path: Path) -> None:
    """Write a UTF-8 text file atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def save_figure(fig: Figure, path: Path) -> None:
    """Save a figure as PNG atomically."""
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png"))


def relative(path: Path, folder: Path | None) -> str:
    """``path`` relative to ``folder``, or the whole path (no folder, or not inside it)."""
    if folder is None:
        return str(path)
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


def fmt(x: float, digits: int = 3) -> str:
    """A number for people: 3 significant digits, or whole with thousands separators."""
    if x is None or not np.isfinite(x):
        return "nan"
    return f"{x:.{digits}g}" if abs(x) < 10 ** max(digits, 4) else f"{x:,.0f}"


def new_figure(width: float, height: float) -> Figure:
    """An empty figure (inches) with the analyses' resolution and constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
