"""Lever-schedule variables: a dated step in the schedules of one or more levers, whose month
and values a design or an ensemble varies (``schedules:`` of a ``design:`` or an
``uncertainty:``).

.. code-block:: yaml

    schedules:
      withdrawal:                    # the variable's name
        from: [2018-04, 2022-12]     # the month of the step: a month, or a range (a list in a grid)
        set:                         # the levers it sets from that month on
          us_troops: [0, 2500]       # a value, or a range (a list in a grid)
          coalition_air: 0.1
        scenarios: [withdrawal_timing]   # ensembles only: the scenarios it applies to

A scenario's own schedule of each lever is kept before the step's month and replaced by the
value from that month on. Each varied part is one dimension of the design or ensemble, named
``<variable>_from`` (a month number: year x 12 + month - 1, see ``model.files.months``) and
``<variable>_<lever>``. Format: docs/batches.md.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.files.errors import Problem, below, describe, unknown_key
from model.files.frozen import FrozenMap
from model.files.months import month_index, month_str
from model.files.registry import range_text, registry_value
from model.files.schedules import Schedule
from model.files.values import identifier, month
from model.simulation.outcomes import MONTHLY, SUMMARY
from model.simulation.parameters import LEVERS, REGISTRY

__all__ = ["STEP_KEYS", "Step", "apply_steps", "check_steps", "step_dims"]

STEP_KEYS: tuple[str, ...] = ("from", "set", "scenarios")
_SHAPE = "name: {from: YYYY-MM or [first, last], set: {lever: value or [low, high]}}"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Step:
    """A dated step in lever schedules, with its varied parts.

    Attributes:
        name: the variable's name (its dimensions are named after it).
        start: the month (``"YYYY-MM"``) when fixed, else None.
        months: the month numbers to vary over: (first, last) of a range, or grid values.
        values: lever -> a fixed value (float) or the values to vary over (a tuple: (low, high)
            of a range, or grid values).
        scenarios: the scenarios it applies to (None: all).
        grid: whether the varied parts list grid values (else they are ranges).
    """

    name: str
    start: str | None
    months: tuple[float, ...] = ()
    values: Mapping[str, float | tuple[float, ...]] = dataclasses.field(default_factory=FrozenMap)
    scenarios: tuple[str, ...] | None = None
    grid: bool = False

    @property
    def month_dim(self) -> str:
        """The name of the month dimension."""
        return f"{self.name}_from"

    def value_dim(self, lever: str) -> str:
        """The name of a lever's value dimension."""
        return f"{self.name}_{lever}"

    def dims(self) -> list[tuple[str, str, tuple[float, ...]]]:
        """The varied parts: (dimension, ``"month"`` or the lever, range or grid values)."""
        out = []
        if self.start is None:
            out.append((self.month_dim, "month", self.months))
        for lever, value in self.values.items():
            if isinstance(value, tuple):
                out.append((self.value_dim(lever), lever, value))
        return out

    def applies(self, scenario: str) -> bool:
        """Whether the step changes the scenario called ``scenario``."""
        return self.scenarios is None or scenario in self.scenarios

    def schedules(
        self, levers: Mapping[str, Schedule], values: Mapping[str, float]
    ) -> dict[str, Schedule]:
        """The new schedules of the step's levers, given the scenario's ``levers`` and the
        values of the varied parts (``values``, by dimension)."""
        when = self.start if self.start is not None else month_str(values[self.month_dim])
        out = {}
        for lever, spec in self.values.items():
            p = REGISTRY[lever]
            value = float(values[self.value_dim(lever)]) if isinstance(spec, tuple) else spec
            value = float(round(value)) if p.integer else float(value)
            old = levers.get(lever)
            points = [(m, v) for m, v in old.points if m < when] if old is not None else []
            out[lever] = Schedule((*points, (when, value)), float(p.default))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The step as plain data (for manifests)."""
        return {
            "from": self.start if self.start is not None else [month_str(m) for m in self.months],
            "set": {k: list(v) if isinstance(v, tuple) else v for k, v in self.values.items()},
            "scenarios": list(self.scenarios) if self.scenarios is not None else None,
        }


def step_dims(steps: Mapping[str, Step]) -> list[tuple[str, str, tuple[float, ...]]]:
    """Every varied part of the steps, in order."""
    return [d for s in steps.values() for d in s.dims()]


def apply_steps(scenario: Any, steps: Mapping[str, Step], values: Mapping[str, float]) -> Any:
    """The scenario with the steps that apply to it set at ``values`` (no revalidation: the
    values are in range by construction)."""
    levers: dict[str, Schedule] = {}
    for step in steps.values():
        if step.applies(scenario.name):
            levers.update(step.schedules({**scenario.levers, **levers}, values))
    if not levers:
        return scenario
    return dataclasses.replace(scenario, levers=FrozenMap({**scenario.levers, **levers}))


# ---- the file -----------------------------------------------------------------------------------


def check_steps(value: Any, grid: bool = False, scoped: bool = False) -> FrozenMap:
    """``schedules:`` as written -> name -> :class:`Step`.

    Args:
        value: the mapping as written.
        grid: a grid design (varied parts are lists of values) rather than a sample (ranges).
        scoped: whether ``scenarios:`` is allowed (ensembles).
    """
    if value is None:
        return FrozenMap()
    if not isinstance(value, Mapping):
        raise Problem(f"expected a mapping, got {describe(value)}", allowed=_SHAPE)
    out = {}
    for name, spec in value.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise Problem(
                f"{name!r} is not a valid variable name",
                allowed="lower-case letters, digits and '_', starting with a letter",
                on_key=True,
                at=(name,),
            )
        out[name] = below(name, _step, name, spec, grid, scoped)
    dims = [d for s in out.values() for d, _, _ in s.dims()]
    for dim in dims:
        if dim in REGISTRY or dim in MONTHLY or dim in SUMMARY:
            raise Problem(
                f"the dimension {dim!r} would take the name of a registry entry or outcome",
                allowed="another variable name",
            )
    return FrozenMap(out)


def _step(name: str, spec: Any, grid: bool, scoped: bool) -> Step:
    if not isinstance(spec, Mapping):
        raise Problem(f"expected a mapping, got {describe(spec)}", allowed=_SHAPE)
    keys = STEP_KEYS if scoped else STEP_KEYS[:2]
    for key in spec:
        if key not in keys:
            if key == "scenarios":
                raise Problem(
                    "scenarios: applies to ensembles only (a design varies every scenario)",
                    on_key=True,
                    at=(key,),
                )
            raise unknown_key(key, keys)
    for key in ("from", "set"):
        if key not in spec:
            raise Problem(f"missing required key {key!r}", allowed=_SHAPE)
    start, months = below("from", _months, spec["from"], grid)
    values = below("set", _levers, spec["set"], grid)
    scenarios = None
    if spec.get("scenarios") is not None:
        scenarios = below("scenarios", _names, spec["scenarios"])
    step = Step(name, start, months, FrozenMap(values), scenarios, grid)
    if not step.dims():
        raise Problem(
            "nothing varies: give a range of months or of a lever's values",
            allowed="from: [first, last] or set: {lever: [low, high]}",
        )
    return step


def _months(value: Any, grid: bool) -> tuple[str | None, tuple[float, ...]]:
    if not isinstance(value, list | tuple):
        return month(value), ()
    what = "a list of months" if grid else "[first month, last month]"
    if grid:
        if not value:
            raise Problem("expected a non-empty list of months", allowed=what)
        months = tuple(float(month_index(below(i, month, v))) for i, v in enumerate(value))
        if len(set(months)) < len(months):
            raise Problem("a month is listed twice", allowed="distinct months")
        return None, months
    if len(value) != 2:
        raise Problem(f"expected {what}, got {describe(value)}", allowed=what)
    first, last = (float(month_index(below(i, month, v))) for i, v in enumerate(value))
    if not first < last:
        raise Problem("the last month is not after the first", allowed=what)
    return None, (first, last)


def _levers(value: Any, grid: bool) -> dict[str, float | tuple[float, ...]]:
    if not isinstance(value, Mapping) or not value:
        raise Problem(
            f"expected a mapping of levers, got {describe(value)}", allowed="lever: value lines"
        )
    out: dict[str, float | tuple[float, ...]] = {}
    for lever, v in value.items():
        if lever not in LEVERS:
            raise Problem(
                f"unknown lever {lever!r}"
                + (" (a parameter: vary it under parameters:)" if lever in REGISTRY else ""),
                allowed=", ".join(LEVERS),
                suggestion=None if lever in REGISTRY else _near(lever),
                on_key=True,
                at=(lever,),
            )
        out[lever] = below(lever, _lever_value, v, lever, grid)
    return out


def _near(word: Any) -> str | None:
    from model.files.errors import suggest

    return suggest(word, LEVERS)


def _lever_value(value: Any, lever: str, grid: bool) -> float | tuple[float, ...]:
    p = REGISTRY[lever]
    if not isinstance(value, list | tuple):
        return registry_value(value, p)
    if grid:
        allowed = f"a list of {range_text(p, plural=True)}"
        values = tuple(below(i, registry_value, v, p, allowed) for i, v in enumerate(value))
        if not values or len(set(values)) < len(values):
            raise Problem("expected distinct values", allowed=allowed)
        return values
    allowed = f"[low, high] with {range_text(p, plural=True)}"
    if len(value) != 2:
        raise Problem(f"expected [low, high], got {describe(value)}", allowed=allowed)
    low, high = (below(i, registry_value, v, p, allowed) for i, v in enumerate(value))
    if not low < high:
        raise Problem(f"low {low:g} is not below high {high:g}", allowed="low < high")
    return (low, high)


def _names(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise Problem(f"expected a list of scenario names, got {describe(value)}")
    return tuple(below(i, identifier, v) for i, v in enumerate(items))
