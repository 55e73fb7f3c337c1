"""Months as written in user files (``YYYY-MM``): parsing, and month numbers for analysis.

The calendar arithmetic itself is the model's (``model.simulation.months``); the month number
here is that arithmetic counted from year 0, so months of different runs compare as numbers.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import Any

from model.files.errors import describe, excerpt
from model.simulation.months import label_of, months_between

__all__ = [
    "MONTH_ALLOWED",
    "YEAR_RANGE",
    "month_index",
    "month_range",
    "month_str",
    "parse_month",
]

YEAR_RANGE = (1900, 2200)
"""Years a month in a user file may have: tables store months as pandas timestamps, which hold
1677-2262 only, and a run of up to 600 months from 2200 still ends before 2262."""
MONTH_ALLOWED = "a month as YYYY-MM, e.g. 2017-04"
_YEAR_ZERO = "0000-01"  # month number 0
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


def parse_month(value: Any, *, bounded: bool = False) -> str:
    """Normalise a month to ``"YYYY-MM"``.

    Args:
        value: a ``date``/``datetime`` or a string ``YYYY-MM`` or ``YYYY-MM-DD`` (any day of
            the month stands for the month).
        bounded: require a year in :data:`YEAR_RANGE` (months written by users); else any year
            from 1.

    Returns:
        The month as ``"YYYY-MM"``.

    Raises:
        ValueError: if ``value`` is not a month.
    """
    if isinstance(value, _dt.date):
        return _in_range(value.year, value.month, value, bounded)
    if _is_plain(value):  # already "YYYY-MM" (most calls): no pattern to match
        year, month = int(value[:4]), int(value[5:])
        if 1 <= month <= 12:
            return _in_range(year, month, value, bounded)
    if not isinstance(value, str):
        raise ValueError(f"expected a month, got {describe(value)}")
    m = _MONTH_RE.match(value)
    if not m:
        raise ValueError(f"{excerpt(value)} is not a month")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{excerpt(value)} is not a month: month {month} does not exist")
    if m.group(3) is not None:
        try:
            _dt.date(year, month, int(m.group(3)))
        except ValueError:
            raise ValueError(
                f"{excerpt(value)} is not a date: day {int(m.group(3))} does not exist"
            ) from None
    return _in_range(year, month, value, bounded)


def _is_plain(value: Any) -> bool:
    """Whether ``value`` is a string of exactly four ASCII digits, "-" and two ASCII digits."""
    return (
        type(value) is str
        and len(value) == 7
        and value[4] == "-"
        and value.isascii()
        and value[:4].isdigit()
        and value[5:].isdigit()
    )


def _in_range(year: int, month: int, value: Any, bounded: bool) -> str:
    lo, hi = YEAR_RANGE if bounded else (1, 9999)
    if not lo <= year <= hi:
        shown = value.isoformat()[:7] if isinstance(value, _dt.date) else excerpt(value)
        raise ValueError(f"{shown} is out of range: years {lo}-{hi} only")
    return f"{year:04d}-{month:02d}"


def month_index(month: str) -> int:
    """Months since year 0 of ``"YYYY-MM"``."""
    return months_between(_YEAR_ZERO, month)


def month_str(index: float) -> str:
    """``"YYYY-MM"`` of a month index (rounded to a whole month)."""
    return label_of(int(round(index)))


def month_range(start: str, horizon: int) -> list[str]:
    """The ``horizon`` months from ``start`` as ``"YYYY-MM"`` strings (a new list each call)."""
    return list(_month_labels(start, int(horizon)))


@functools.lru_cache(maxsize=64)
def _month_labels(start: str, horizon: int) -> tuple[str, ...]:
    """``month_range``, kept: every lever's schedule of a run asks for the same months."""
    first = month_index(parse_month(start))
    return tuple(label_of(k) for k in range(first, first + horizon))
