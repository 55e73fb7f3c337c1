"""Month arithmetic on "YYYY-MM" labels: the model's calendar (docs/ODD.md, section 2, Scales).

One step is one month; month index ``t`` is labelled ``start + t``. Used by the initialization
(``op_start`` months) and by ``StabilizationModel.month_label``.
"""

from __future__ import annotations


def months_between(start: str, month: str) -> int:
    """Whole months from ``start`` to ``month`` ("YYYY-MM"), negative if before."""
    return (int(month[:4]) - int(start[:4])) * 12 + int(month[5:7]) - int(start[5:7])


def month_add(start: str, months: int) -> str:
    """The "YYYY-MM" label ``months`` months after ``start``."""
    return label_of(int(start[:4]) * 12 + int(start[5:7]) - 1 + months)


def label_of(k: int) -> str:
    """The "YYYY-MM" label of month number ``k`` counted from January of year 0."""
    return f"{k // 12:04d}-{k % 12 + 1:02d}"
