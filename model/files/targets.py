"""Target files: observations from the historical record that the model should reproduce.

Targets are data (``seeds/targets.yaml``; format in docs/validation.md). This module declares
their schema and reads them into frozen :class:`Target` objects; measuring and scoring them
against runs is ``model.analysis.validation``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from model.files.errors import Problem, as_number, describe, suggest
from model.files.months import month_index, month_str, parse_month
from model.files.schema import Section, check, checked, checked_after
from model.files.yaml_reader import error_at, read
from model.simulation.outcomes import LEVELS, MONTHLY
from model.simulation.parameters import REGISTRY

RETAKEN_CONTROL = float(REGISTRY["retaken_threshold"].default)
"""IS share at or below which an area counts as retaken (the model's own threshold)."""

__all__ = [
    "DEFAULT_TARGETS",
    "EVENTS",
    "KINDS",
    "LOST_CONTROL",
    "MATCHES",
    "RETAKEN_CONTROL",
    "STATISTICS",
    "USES",
    "Target",
    "load_targets",
]

DEFAULT_TARGETS = Path(__file__).resolve().parents[2] / "seeds" / "targets.yaml"
KINDS = ("event", "level", "ratio", "rank", "base_rate")
EVENTS = ("retaken", "lost", "defeat", "kirkuk_crisis")
MATCHES = ("any", "all")
LOST_CONTROL = 0.5
"""IS share at which an area counts as lost (majority control), unless a target says otherwise."""
STATISTICS = ("mean", "sum", "last")
USES = ("calibration", "validation", "plausibility")


@dataclass(frozen=True)
class Target:
    """One observation from the record that the model should reproduce."""

    id: str
    kind: str
    observed: object  # "YYYY-MM" (event), a number (level, ratio), unit ids in order (rank)
    tolerance: float
    use: str
    source: str
    event: str | None = None
    area: str | None = None
    areas: tuple[str, ...] = ()
    match: str = "any"
    control: float | None = None
    outcome: str | None = None
    level: str = "national"
    unit: str = "Iraq"
    period: tuple[str, str] | None = None
    base_period: tuple[str, str] | None = None
    statistic: str = "mean"
    note: str = ""
    file: str = ""
    start: str | None = None
    within: int = 120
    relapse_deaths: float = 1000.0
    draws: int = 100

    def applies_to(self, scenario: Any) -> bool:
        """Whether the target scores runs of ``scenario``: targets name the start month of the
        runs they score (``start:``, the initial state they assume); none means any."""
        return self.start is None or self.start == scenario.start

    @property
    def area_ids(self) -> tuple[str, ...]:
        """The areas of an area event: ``areas``, or the one ``area``."""
        return self.areas or ((self.area,) if self.area else ())

    @property
    def threshold(self) -> float:
        """The IS share that decides an area event: lost at or above it, retaken at or below."""
        if self.control is not None:
            return self.control
        return LOST_CONTROL if self.event == "lost" else RETAKEN_CONTROL

    @property
    def needs_areas(self) -> bool:
        """Whether measuring it needs the area level of the monthly table."""
        return (self.kind == "event" and self.event in ("retaken", "lost")) or self.level == "area"

    @property
    def last_month(self) -> str:
        """The latest month the target looks at (to choose a horizon; a base rate looks at
        months after the war's end, not at dates: its runs get their own horizon)."""
        if self.kind == "base_rate":
            return "0001-01"
        if self.kind == "event":
            return month_str(month_index(str(self.observed)) + int(self.tolerance) + 1)
        months = [m for p in (self.period, self.base_period) if p for m in p]
        return max(months)


# ---- the file -----------------------------------------------------------------------------------
# Keys that do not apply to a target's kind are ignored, as before (an event has no period).


def _choice(value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise Problem(
            f"'{value}' is not allowed",
            allowed=", ".join(allowed),
            suggestion=suggest(str(value), allowed),
        )
    return value


def _for(kinds: tuple[str, ...], check: Any, *args: Any) -> Any:
    """A check of a key that applies to targets of ``kinds`` only."""

    def run(value: Any, earlier: Mapping[str, Any]) -> Any:
        return check(value, *args) if earlier.get("kind") in kinds else value

    return checked_after(run)


def _float(value: Any, what: str) -> float:
    x = as_number(value)  # not true/false, not a list: a number, also written as text
    if x is None:
        raise Problem(f"{what} must be a number, got {describe(value)}")
    if not math.isfinite(x):
        raise Problem(f"{what} must be a finite number, got {describe(value)}")
    return x


def _tolerance(value: Any) -> float:
    tol = _float(value, "tolerance")
    if tol < 0:
        raise Problem("tolerance must not be negative")
    return tol


def _month(value: Any) -> str:
    try:
        return parse_month(value, bounded=True)
    except (ValueError, TypeError) as exc:
        message = str(exc) if "out of range" in str(exc) else f"{describe(value)} is not a month"
        raise Problem(message, allowed="YYYY-MM, e.g. 2017-07") from None


def _period(value: Any, missing: str = "missing key 'period'") -> tuple[str, str]:
    if value is None:
        raise Problem(missing)
    if not isinstance(value, list) or len(value) != 2:
        raise Problem("a period is [first month, last month]", allowed="[YYYY-MM, YYYY-MM]")
    first, last = _month(value[0]), _month(value[1])
    if last < first:
        raise Problem("the period ends before it starts")
    return (first, last)


def _observed(value: Any, earlier: Mapping[str, Any]) -> Any:
    kind = earlier.get("kind")
    if kind == "event":
        return _month(value)
    if kind == "base_rate":
        allowed = "[low, high]: the range of the share in the literature, e.g. [0.23, 0.40]"
        if not isinstance(value, list) or len(value) != 2:
            raise Problem("a base rate observes a range of shares", allowed=allowed)
        low, high = (_float(v, "observed") for v in value)
        if not 0 <= low <= high <= 1:
            raise Problem(f"[{low:g}, {high:g}] is not a range of shares", allowed=allowed)
        return (low, high)
    if kind == "rank":
        if not isinstance(value, list) or len(value) < 3:
            raise Problem("a rank target observes a list of at least 3 units, highest first")
        return tuple(str(u) for u in value)
    return value if kind is None else _float(value, "observed")


def _area(value: Any, earlier: Mapping[str, Any]) -> str | None:
    return value and str(value)


def _areas(value: Any, earlier: Mapping[str, Any]) -> tuple[str, ...]:
    event = earlier.get("event")
    if earlier.get("kind") != "event" or event not in ("retaken", "lost"):
        return ()
    if value is None:
        if not earlier.get("area"):
            raise Problem(
                f"an event '{event}' needs an area id (area: X) or a list (areas: [X, Y])"
            )
        return ()
    if earlier.get("area"):
        raise Problem("give either 'area' or 'areas', not both")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Problem("expected a list of area ids", allowed="e.g. [N1, N2]")
    return tuple(value)


def _control(value: Any) -> float | None:
    if value is None:
        return None
    x = _float(value, "control")
    if not 0.0 <= x <= 1.0:
        raise Problem(f"control {x:g} is out of range", allowed="an IS share in 0 - 1")
    return x


def _outcome(value: Any) -> str:
    if value not in MONTHLY:
        raise Problem(
            f"unknown outcome '{value}'",
            allowed="an outcome of docs/outputs.md",
            suggestion=suggest(str(value), MONTHLY),
        )
    return value


def _level(value: Any, earlier: Mapping[str, Any]) -> str:
    if earlier.get("kind") == "event":
        return value
    level = _choice(value, LEVELS)
    if earlier.get("kind") == "rank" and level == "national":
        raise Problem("a rank target ranks governorates or areas", allowed="governorate, area")
    return level


_NON_EVENTS = ("level", "ratio", "rank")


BASE_RATE_LEAD_MONTHS = 36
"""Months a base-rate run gets before the ``within`` months after the war's end."""
MAX_WITHIN = 600 - BASE_RATE_LEAD_MONTHS  # 600: the longest horizon (model.files.scenario)
"""Longest ``within`` of a base rate: its runs (lead + within) stay within a scenario's horizon."""
MAX_BASE_RATE_DRAWS = 100_000
"""Most runs of a base rate (the largest ensemble a scenario file may ask for)."""


def _positive(value: Any, what: str, whole: bool = True, most: int | None = None) -> float:
    x = _float(value, what)
    if x <= 0 or (whole and not float(x).is_integer()):
        raise Problem(f"{what} must be a {'whole ' if whole else ''}number above 0, got {value!r}")
    if most is not None and x > most:
        raise Problem(f"{what} must be at most {most:,}, got {value!r}")
    return int(x) if whole else x


_DEFAULT = {"default": None, "validate_default": True}  # checked when missing, too


class TargetEntry(Section):
    """One target of a target file; the keys that matter depend on its ``kind``."""

    not_mapping: ClassVar[str] = "each target must be a mapping"
    shape: ClassVar[str | None] = "id, kind, observed, tolerance, use, source, ..."

    id: Any
    kind: Annotated[str, checked(_choice, KINDS)]
    observed: Annotated[Any, checked_after(_observed)]
    tolerance: Annotated[float, checked(_tolerance)]
    use: Annotated[str, checked(_choice, USES)]
    source: Any
    event: Annotated[str | None, _for(("event",), _choice, EVENTS)] = Field(**_DEFAULT)
    area: Annotated[str | None, checked_after(_area)] = Field(**_DEFAULT)
    areas: Annotated[tuple[str, ...], checked_after(_areas)] = Field(**_DEFAULT)
    match: Annotated[str, _for(("event",), _choice, MATCHES)] = "any"
    control: Annotated[float | None, _for(("event",), _control)] = None
    outcome: Annotated[str | None, _for(_NON_EVENTS, _outcome)] = Field(**_DEFAULT)
    level: Annotated[str, checked_after(_level)] = Field("national", validate_default=True)
    unit: Any = None
    period: Annotated[Any, _for(_NON_EVENTS, _period)] = Field(**_DEFAULT)
    base_period: Annotated[Any, _for(("ratio",), _period, "a ratio target needs 'base_period'")] = (
        Field(**_DEFAULT)
    )
    statistic: Annotated[str, _for(_NON_EVENTS, _choice, STATISTICS)] = "mean"
    within: Annotated[int, _for(("base_rate",), _positive, "within", True, MAX_WITHIN)] = 120
    threshold: Annotated[float, _for(("base_rate",), _positive, "threshold", False)] = 1000.0
    draws: Annotated[int, _for(("base_rate",), _positive, "draws", True, MAX_BASE_RATE_DRAWS)] = 100
    note: Any = ""
    start: Annotated[str | None, checked(lambda v: None if v is None else _month(v))] = None

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(sorted(cls.model_fields))

    @classmethod
    def missing(cls, key: str) -> Problem:
        return Problem(f"missing key '{key}'", at=(key,))

    def target(self, file: str) -> Target:
        """The target (the keys of its kind only)."""
        common: dict[str, Any] = dict(
            id=str(self.id),
            kind=self.kind,
            observed=self.observed,
            tolerance=self.tolerance,
            use=self.use,
            source=str(self.source),
            note=str(self.note),
            file=file,
            start=self.start,
        )
        if self.kind == "event":
            return Target(
                event=self.event,
                area=self.area,
                areas=self.areas,
                match=self.match,
                control=self.control,
                **common,
            )
        if self.kind == "base_rate":
            return Target(
                within=int(self.within),
                relapse_deaths=float(self.threshold),
                draws=int(self.draws),
                **common,
            )
        common.update(outcome=self.outcome, level=self.level, period=self.period)
        common.update(statistic=self.statistic)
        if self.kind == "rank":
            return Target(unit="", **common)
        unit = self.unit if "unit" in self.model_fields_set else ""
        if "unit" not in self.model_fields_set and self.level == "national":
            unit = "Iraq"
        base = self.base_period if self.kind == "ratio" else None
        return Target(unit=str(unit), base_period=base, **common)


def _target_list(value: Any) -> Any:
    if not isinstance(value, list):
        raise Problem("expected a list under 'targets:'")
    if not value:
        raise Problem("the list of targets is empty", allowed="at least one target")
    return value


class TargetFile(Section):
    """A target file: ``targets:``, a list of targets."""

    targets: Annotated[tuple[TargetEntry, ...], BeforeValidator(_target_list)]


def load_targets(paths: Iterable[str | os.PathLike] | None = None) -> tuple[Target, ...]:
    """Read and check target files (default seeds/targets.yaml); ConfigError on a mistake."""
    out: list[Target] = []
    seen: set[str] = set()
    for path in paths or [DEFAULT_TARGETS]:
        display = os.fspath(path)
        tree = read(path, display)
        if "targets" not in tree.value:  # likely not a target file at all: say so first
            raise error_at(tree, ["targets"], Problem("expected a list under 'targets:'"))
        spec = check(TargetFile, tree)
        for i, entry in enumerate(spec.targets):
            target = entry.target(display)
            if target.id in seen:
                problem = Problem(f"duplicate target id '{target.id}'")
                raise error_at(tree, ["targets", i], problem.below("id")) from None
            seen.add(target.id)
            out.append(target)
    return tuple(out)
