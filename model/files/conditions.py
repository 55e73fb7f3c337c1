"""Conditions of scenario discovery (``resurgence == 1``, ``is_held_areas[36] > 0``) and the
outcome names of sensitivity studies (``log10(cumulative_deaths)``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.files.errors import as_number, describe, excerpt, suggest
from model.simulation import outcomes as _outcomes

__all__ = ["DATE_OUTCOMES", "Condition", "base_outcome", "parse_condition"]

# Summary outcomes that are dates: not numbers a sensitivity index can be computed on.
DATE_OUTCOMES = {
    "defeat_month": "months_to_defeat",
    "resurgence_month": "resurgence",
    "kirkuk_crisis_month": None,
}
_LOG_RE = re.compile(r"^\s*log10\(\s*([A-Za-z0-9_]+)\s*\)\s*$")


def base_outcome(name: str) -> tuple[str, bool]:
    """The catalogue outcome of a study outcome, and whether it is analysed as
    ``log10(1 + value)`` (written ``log10(cumulative_deaths)`` in a study)."""
    m = _LOG_RE.match(name)
    return (m.group(1), True) if m else (name, False)


_OPS = {"==": "eq", "!=": "ne", ">=": "ge", "<=": "le", ">": "gt", "<": "lt"}
_COND_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]]*?)\s*\])?\s*(==|!=|>=|<=|>|<)\s*(\S+)\s*$"
)


@dataclass(frozen=True)
class Condition:
    """A yes/no question about a run: ``outcome OP value``, or ``outcome[month] OP value``.

    Attributes:
        text: the condition, normalised (e.g. ``is_held_areas[36] > 0``).
        outcome: a run-summary outcome, or a monthly one (national level) with ``month``.
        op: ``==``, ``!=``, ``>``, ``>=``, ``<`` or ``<=``.
        value: the number compared with.
        month: for a monthly outcome, months after the start (``36``: the 37th month) or a
            month ``YYYY-MM``; None for a run-summary outcome.
    """

    text: str
    outcome: str
    op: str
    value: float
    month: int | str | None = None

    @property
    def slug(self) -> str:
        """A file-name form, e.g. ``is_held_areas_m36_gt_0``."""
        month = "" if self.month is None else f"_m{str(self.month).replace('-', '')}"
        value = f"{self.value:g}".replace("-", "minus").replace(".", "p")
        return f"{self.outcome}{month}_{_OPS[self.op]}_{value}"

    def holds(self, values: pd.Series) -> pd.Series:
        """Whether the condition holds for each value (NaN never holds)."""
        v = values.astype(float)
        if self.outcome == "months_to_defeat":
            v = v.fillna(np.inf)  # never defeated within the horizon: later than any month
        result = {
            "==": v == self.value,
            "!=": v != self.value,
            ">": v > self.value,
            ">=": v >= self.value,
            "<": v < self.value,
            "<=": v <= self.value,
        }[self.op]
        return result & v.notna()


def parse_condition(text: str, horizon: int | None = None) -> Condition:
    """Parse a condition such as ``resurgence == 1`` or ``is_held_areas[36] > 0``.

    Args:
        text: ``outcome OP number``; a monthly (time-series) outcome needs a month in brackets:
            months after the start (``[36]``) or ``[YYYY-MM]``.
        horizon: the runs' horizon, to check a month offset (optional).

    Raises:
        ValueError: a one-line message saying what is wrong.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a condition as text, got {describe(text)}")
    m = _COND_RE.match(text)
    if not m:
        raise ValueError(f"cannot read the condition {excerpt(text, 60)}")
    outcome, month, op, number = m.groups()
    if outcome in DATE_OUTCOMES:
        raise ValueError(f"{outcome} is a date; use {DATE_OUTCOMES[outcome] or 'a number outcome'}")
    known = (*_outcomes.SUMMARY_NAMES, *_outcomes.MONTHLY_NAMES)
    if outcome not in known:
        near = suggest(outcome, known)
        raise ValueError(
            f"unknown outcome {excerpt(outcome)}" + (f"; did you mean '{near}'?" if near else "")
        )
    value = as_number(number)
    if value is None or not math.isfinite(value):
        raise ValueError(f"expected a number after {op}, got {excerpt(number)}")
    when: int | str | None = None
    if outcome in _outcomes.MONTHLY:
        if month is None:
            raise ValueError(
                f"{outcome} is monthly: give a month, e.g. {outcome}[36] {op} {number} (36 months after the start)"
            )
        if re.fullmatch(r"\d{4}-\d{2}", month):
            when = month
        elif month.isdigit():
            when = int(month)
            if horizon is not None and when >= horizon:
                raise ValueError(f"month {when} is beyond the horizon (months 0 - {horizon - 1})")
        else:
            raise ValueError(
                f"expected months after the start or YYYY-MM in brackets, got [{month}]"
            )
    elif month is not None:
        raise ValueError(f"{outcome} is a run summary: it takes no month")
    shown = f"{outcome}[{when}]" if when is not None else outcome
    return Condition(f"{shown} {op} {value:g}", outcome, op, value, when)
