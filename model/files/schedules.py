"""Lever schedules: a lever's value over the months, as a scenario file writes it.

A schedule is a constant (``aid: 40``), a list of points (``[{from: 2017-04, value: 5200},
...]``) or a month -> value mapping (``{2017-04: 1.0, 2019-01: 0.7}``); the value at month t
is that of the latest point at or before t.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.files.errors import Problem, below, describe, unknown_key
from model.files.months import month_range, parse_month
from model.files.registry import registry_value
from model.files.values import month
from model.simulation.parameters import Parameter

__all__ = ["POINT_KEYS", "Schedule", "int_if", "schedule"]

POINT_KEYS: tuple[str, ...] = ("from", "value")
_POINT = "{from: YYYY-MM, value: x}"
_FOREVER = "0001-01"  # date of the single point of a constant schedule


@dataclass(frozen=True)
class Schedule:
    """A lever's dated values: the value at month t is that of the latest point at or before t.

    Attributes:
        points: ``("YYYY-MM", value)`` pairs in increasing date order, without duplicates. A
            constant is one point dated ``0001-01``.
        default: value before the first point (the registry default), or None if unknown.
    """

    points: tuple[tuple[str, float], ...]
    default: float | None = None

    def __post_init__(self) -> None:
        pts = tuple((parse_month(m), float(v)) for m, v in self.points)
        if not pts:
            raise ValueError("a schedule needs at least one point")
        months = [m for m, _ in pts]
        if any(a >= b for a, b in zip(months, months[1:], strict=False)):
            raise ValueError(f"schedule dates must increase strictly: {months}")
        object.__setattr__(self, "points", pts)
        if self.default is not None:
            object.__setattr__(self, "default", float(self.default))

    @classmethod
    def constant(cls, value: float, default: float | None = None) -> Schedule:
        """A schedule holding ``value`` in every month."""
        return cls(((_FOREVER, value),), default)

    @property
    def is_constant(self) -> bool:
        """Whether the schedule is one value for all months."""
        return len(self.points) == 1 and self.points[0][0] == _FOREVER

    def value_at(self, month: Any, default: float | None = None) -> float:
        """The value in ``month`` (``"YYYY-MM"`` or a date).

        Before the first point it is ``default``, else the schedule's own default; a
        ValueError is raised if neither is known.
        """
        return self._at(parse_month(month), [m for m, _ in self.points], default)

    def series(self, start: str, horizon: int, default: float | None = None) -> np.ndarray:
        """One value per month for ``horizon`` months from ``start`` (float64 array)."""
        dates = [m for m, _ in self.points]
        return np.array([self._at(m, dates, default) for m in month_range(start, horizon)], float)

    def _at(self, key: str, dates: list[str], default: float | None) -> float:
        """``value_at`` of a month already written "YYYY-MM", given the points' dates."""
        i = bisect_right(dates, key)
        if i:
            return self.points[i - 1][1]
        fallback = default if default is not None else self.default
        if fallback is None:
            raise ValueError(f"{key} is before the schedule's first point and no default is known")
        return float(fallback)

    def to_yaml(self, integer: bool = False) -> Any:
        """The schedule as a scenario file writes it (a number or a list of points)."""
        conv = int_if(integer)
        if self.is_constant:
            return conv(self.points[0][1])
        return [{"from": m, "value": conv(v)} for m, v in self.points]

    def describe(self, choices: Mapping[str, float] | None = None, integer: bool = False) -> str:
        """Short text, e.g. ``"5200 from 2017-04, 3000 from 2020-09"``."""

        def fmt(v: float) -> str:
            text = f"{v:g}" if not integer else str(round(v))
            names = [k for k, c in (choices or {}).items() if c == v]
            return f"{text} ({names[0]})" if names else text

        if self.is_constant:
            return fmt(self.points[0][1])
        return ", ".join(f"{fmt(v)} from {m}" for m, v in self.points)


def int_if(integer: bool) -> Any:
    """A converter writing whole values as int when ``integer`` (registry whole numbers)."""

    def conv(v: float) -> float | int:
        return int(round(v)) if integer and float(v).is_integer() else v

    return conv


def schedule(value: Any, p: Parameter) -> Schedule:
    """A lever's value as written: a constant, a list of points or a month -> value mapping."""
    if isinstance(value, list | tuple):
        if not value:
            raise Problem("empty schedule", allowed=f"at least one {_POINT}")
        points = [below(i, _point, item, p) + ((i, "from"), False) for i, item in enumerate(value)]
    elif isinstance(value, Mapping):
        if not value:
            raise Problem("empty schedule", allowed="at least one 'YYYY-MM: value' entry")
        points = [
            (
                below(key, _month_key, key),
                below(key, registry_value, item, p),
                (key,),
                True,
            )
            for key, item in value.items()
        ]
    else:
        return Schedule.constant(registry_value(value, p), float(p.default))
    for (m0, _, _, _), (m1, _, where, on_key) in zip(points, points[1:], strict=False):
        if m1 == m0:
            raise Problem(
                f"{m1} is given twice", allowed="one value per month", on_key=on_key, at=where
            )
        if m1 < m0:
            raise Problem(
                f"{m1} comes after {m0}: points must be in increasing date order",
                allowed=f"a month after {m0}",
                on_key=on_key,
                at=where,
            )
    return Schedule(tuple((m, v) for m, v, _, _ in points), float(p.default))


def _point(item: Any, p: Parameter) -> tuple[str, float]:
    if not isinstance(item, Mapping):
        raise Problem(f"expected a point {_POINT}, got {describe(item)}", allowed=_POINT)
    for key in item:
        if key not in POINT_KEYS:
            raise unknown_key(key, POINT_KEYS)
    for required in POINT_KEYS:
        if required not in item:
            raise Problem(f"missing required key {required!r}", allowed=_POINT)
    return below("from", month, item["from"]), below("value", registry_value, item["value"], p)


def _month_key(key: Any) -> str:
    try:
        return month(key)
    except Problem as exc:
        raise Problem(exc.message, allowed=exc.allowed, on_key=True) from None
