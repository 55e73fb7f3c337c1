"""Time-varying inputs of a scenario file: force schedules, deployments and dated events.

Three optional sections of a scenario (``docs/scenarios.md``):

- ``forces:`` the national strength of a force over time (troops), a schedule like a lever's:
  ``ARMY: [{from: 2011-12, value: 210000}, {from: 2014-06, value: 150000}]``; ``COALITION_OTHER``
  is the non-US partners' strength at the full US presence;
- ``deployments:`` the garrison of one force in one area over time:
  ``{A2: {ARMY: [{from: 2011-12, value: 4000}, {from: 2013-12, value: 500}]}}``;
- ``events:`` dated events, each a mapping with ``month`` and ``kind``: ``fighters`` (``add``
  fighters, or remove them with a negative number, in ``areas``), ``legitimacy`` or
  ``grievance`` (a ``change`` to the perceived legitimacy or the baseline hardship of ``group``
  in ``areas``), ``control`` (IS holds ``share`` of ``areas``: for the Syrian war, which the model
  does not simulate) and ``leadership_loss``.

The values are checked here; area ids are checked against the scenario's initial state when
the scenario is built (``model.files.scenario``). The model receives plain arrays and tuples
(``Scenario.timeline``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.files.errors import Problem, below, describe, suggest, unknown_key
from model.files.frozen import FrozenMap, freeze
from model.files.schedules import Schedule, schedule
from model.files.values import mapping, month, number, text
from model.simulation.entities import FORCES
from model.simulation.outcomes import GROUPS
from model.simulation.parameters import Parameter

__all__ = [
    "EVENT_KINDS",
    "Event",
    "SCHEDULED_FORCES",
    "deployments",
    "events",
    "forces",
]

SCHEDULED_FORCES: tuple[str, ...] = (*FORCES, "COALITION_OTHER")
"""Forces whose national strength a scenario may schedule."""
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "fighters": ("areas", "add"),
    "legitimacy": ("areas", "group", "change"),
    "grievance": ("areas", "group", "change"),
    "control": ("areas", "share"),
    "leadership_loss": (),
}
"""Event kind -> the keys it needs (besides ``month`` and ``kind``; ``note`` is optional)."""
_GROUPS_ALLOWED = ", ".join(("all", *GROUPS))
_TROOPS = Parameter(
    "troops", 0.0, 0.0, 2_000_000.0, "troops", "A force's strength in troops.", "data", "initial"
)


@dataclass(frozen=True)
class Event:
    """A dated event of a scenario.

    Attributes:
        month: "YYYY-MM".
        kind: one of :data:`EVENT_KINDS`.
        areas: the area ids it touches (empty for ``leadership_loss``).
        group: the identity group (``legitimacy``, ``grievance``), or "all".
        value: fighters added (``fighters``), the change (``legitimacy``, ``grievance``) or
            the IS share (``control``).
        note: what happened, with its source.
    """

    month: str
    kind: str
    areas: tuple[str, ...] = ()
    group: str = "all"
    value: float = 0.0
    note: str = ""

    def to_yaml(self) -> dict[str, Any]:
        """The event as a scenario file writes it."""
        out: dict[str, Any] = {"month": self.month, "kind": self.kind}
        needs = EVENT_KINDS[self.kind]
        if "areas" in needs:
            out["areas"] = list(self.areas)
        if "group" in needs:
            out["group"] = self.group
        key = {"fighters": "add", "control": "share"}.get(self.kind, "change")
        if self.kind != "leadership_loss":
            out[key] = int(self.value) if self.kind == "fighters" else self.value
        if self.note:
            out["note"] = self.note
        return out


def forces(value: Any) -> FrozenMap:
    """``forces:``: force name -> a schedule of its national strength (troops)."""
    out = {}
    for name, item in mapping(value, "force: schedule lines").items():
        if name not in SCHEDULED_FORCES:
            raise unknown_key(name, SCHEDULED_FORCES, "force")
        out[name] = below(name, _troops, item)
    return freeze(out)


def deployments(value: Any) -> FrozenMap:
    """``deployments:``: area id -> force -> a schedule of its garrison there (troops)."""
    out = {}
    for area, per_force in mapping(value, "area id: {force: schedule}").items():
        if not isinstance(area, str):
            raise Problem(f"an area id must be text, got {describe(area)}", on_key=True, at=(area,))
        row = {}
        for name, item in below(area, mapping, per_force, "force: schedule lines").items():
            if name not in FORCES:
                raise unknown_key(name, FORCES, "force").below(area)
            row[name] = below(area, below, name, _troops, item)
        out[area] = row
    return freeze(out)


def _troops(value: Any) -> Schedule:
    return schedule(value, _TROOPS)


def events(value: Any) -> tuple[Event, ...]:
    """``events:``: a list of dated events."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Problem(
            f"expected a list of events, got {describe(value)}",
            allowed="a list of {month: YYYY-MM, kind: ..., ...}",
        )
    return tuple(below(i, _event, item) for i, item in enumerate(value))


def _event(item: Any) -> Event:
    if not isinstance(item, Mapping):
        raise Problem(
            f"expected an event mapping, got {describe(item)}",
            allowed="{month: YYYY-MM, kind: " + ", ".join(EVENT_KINDS) + ", ...}",
        )
    for required in ("month", "kind"):
        if required not in item:
            raise Problem(
                f"missing required key {required!r}", allowed="month, kind and the kind's keys"
            )
    kind = item["kind"]
    if kind not in EVENT_KINDS:
        raise Problem(
            f"unknown event kind {describe(kind)}",
            allowed=", ".join(EVENT_KINDS),
            suggestion=suggest(kind, EVENT_KINDS),
            at=("kind",),
        )
    needs = EVENT_KINDS[kind]
    allowed = ("month", "kind", *needs, "note")
    for key in item:
        if key not in allowed:
            raise unknown_key(key, allowed, f"key of a '{kind}' event")
    for key in needs:
        if key not in item:
            raise Problem(f"a '{kind}' event needs '{key}'", allowed=", ".join(allowed))
    when = below("month", month, item["month"])
    note = below("note", text, item["note"], "a sentence of text") if "note" in item else ""
    areas: tuple[str, ...] = ()
    if "areas" in needs:
        areas = below("areas", _areas, item["areas"])
    group = "all"
    if "group" in needs:
        group = below("group", _group, item["group"])
    value = 0.0
    if kind == "fighters":
        value = below("add", _fighters, item["add"])
    elif kind == "control":
        value = below("share", _share, item["share"], 0.0, "a share of the area in 0 - 1")
    elif kind in ("legitimacy", "grievance"):
        value = below("change", _share, item["change"], -1.0, "a change in -1 - 1")
    return Event(when, kind, areas, group, value, note)


def _areas(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise Problem(
            f"expected an area id or a list of them, got {describe(value)}",
            allowed="area ids of the initial state, e.g. [N1, N2]",
        )
    out = []
    for i, area in enumerate(items):
        if not isinstance(area, str):
            raise Problem(f"an area id must be text, got {describe(area)}", at=(i,))
        if area in out:
            raise Problem(f"{area} is listed twice", at=(i,))
        out.append(area)
    return tuple(out)


def _group(value: Any) -> str:
    if value != "all" and value not in GROUPS:
        raise Problem(
            f"unknown group {describe(value)}",
            allowed=_GROUPS_ALLOWED,
            suggestion=suggest(value, GROUPS),
        )
    return value


def _fighters(value: Any) -> float:
    x = number(value, "a whole number of fighters (negative removes them)")
    if not float(x).is_integer():
        raise Problem(
            f"{describe(value)} is not a whole number", allowed="a whole number of fighters"
        )
    return float(x)


def _share(value: Any, lo: float, allowed: str) -> float:
    x = number(value, allowed)
    if not lo <= x <= 1.0:
        raise Problem(f"{x:g} is out of range", allowed=allowed)
    return float(x)


def area_problems(
    forces_: Mapping[str, Any],
    deployments_: Mapping[str, Any],
    events_: tuple[Event, ...],
    areas: Any,
) -> Problem | None:
    """The first area id the sections name that the initial state does not have, as a problem
    placed below the scenario's top level (None if all are known)."""
    known = list(areas)
    for area in deployments_:
        if area not in known:
            return Problem(
                f"unknown area {describe(area)}",
                allowed="an area id of the initial state (model/data/areas.csv or initial.data)",
                suggestion=suggest(area, known),
                on_key=True,
                at=("deployments", area),
            )
    for i, ev in enumerate(events_):
        for j, area in enumerate(ev.areas):
            if area not in known:
                return Problem(
                    f"unknown area {describe(area)}",
                    allowed="an area id of the initial state (model/data/areas.csv or initial.data)",
                    suggestion=suggest(area, known),
                    at=("events", i, "areas", j),
                )
    return None


def check_areas(forces, deployments, events, initial_data: str | None, tree) -> None:
    """Deployments and events must name areas of the scenario's initial state (``tree``: the
    located file, or a function that builds it, for the error's line)."""
    from model.data import DataError
    from model.files.initial import state_of
    from model.files.yaml_reader import Node, error_at

    try:
        state = state_of(initial_data)  # read once; check_initial uses it again
    except DataError:
        return  # the data's own mistake is reported when the run reads it
    problem = area_problems(forces, deployments, events, state.areas.index)
    if problem is not None:
        located = tree if isinstance(tree, Node) else tree()
        raise error_at(located, [], problem)


def inputs(sc) -> dict[str, Any]:
    """A scenario's time-varying inputs as the model takes them: ``forces`` (force -> one
    strength per month), ``deployments`` ((area, force) -> one garrison per month) and
    ``events`` (``(month index, kind, areas, group, value)`` tuples in file order, for the
    months of the horizon)."""
    import numpy as np

    index = {m: i for i, m in enumerate(sc.months)}
    return {
        "forces": {
            name: sched.series(sc.start, sc.horizon, np.nan) for name, sched in sc.forces.items()
        },
        "deployments": {
            (area, name): sched.series(sc.start, sc.horizon, np.nan)
            for area, row in sc.deployments.items()
            for name, sched in row.items()
        },
        "events": tuple(
            (index[e.month], e.kind, e.areas, e.group, e.value)
            for e in sc.events
            if e.month in index
        ),
    }
