"""The initial-state container: :class:`InitialState`, its network and validated overrides."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from model.data.checks import validate_state
from model.data.schema import ALLOWED_TEXT, MONTH_PATTERN, OPTIONAL_COLUMNS, SPECS, fail


@dataclass(frozen=True, eq=False)
class InitialState:
    """The initial state of a run: the area network, forces and displacement.

    Treat the frames as read-only: :func:`default_state` hands the same object to every caller.
    Use :meth:`with_overrides` for a changed copy.

    Attributes:
        areas: one row per area, index = area id; columns as in ``areas.csv`` (typed).
        edges: undirected links between areas: a, b, kind (road | border), source, flag.
        forces: national force strengths, index = force (IS_IRAQ, ARMY, PESHMERGA, US, ...).
        deployment: where the Iraqi and Kurdish forces stand: area, force, strength, mission.
        displacement: internally displaced persons by governorate of origin, index = governorate.
        displacement_national: national IDPs and returnees by date.
        policy: the state of every policy lever at the start, index = lever (``policy.csv``).
        families: home governorates of IS-affiliated families, index = governorate, with the
            share of those families each holds (``families.csv``).
        source_dir: the directory the files were read from.
    """

    areas: pd.DataFrame
    edges: pd.DataFrame
    forces: pd.DataFrame
    deployment: pd.DataFrame
    displacement: pd.DataFrame
    displacement_national: pd.DataFrame
    policy: pd.DataFrame
    families: pd.DataFrame
    source_dir: str

    def graph(self) -> nx.Graph:
        """The area network: nodes are area ids with every area column as an attribute."""
        g = nx.Graph()
        for area_id, attrs in self.areas.to_dict("index").items():
            g.add_node(area_id, **attrs)
        for a, b, kind, source, flag in self.edges[["a", "b", "kind", "source", "flag"]].itertuples(
            index=False
        ):
            g.add_edge(a, b, kind=kind, source=source, flag=flag)
        return g

    def with_overrides(
        self,
        areas: Mapping[str, Mapping[str, object]] | None = None,
        forces: Mapping[str, Mapping[str, object]] | None = None,
    ) -> InitialState:
        """A validated copy with some area or force values replaced.

        Args:
            areas: area id -> {column: value}, e.g. ``{"N2": {"is_fighters": 1500}}``.
            forces: force -> {column: value}, e.g. ``{"US": {"strength": 2500}}``.

        Returns:
            A new state; this one is unchanged.

        Raises:
            DataError: an unknown area, force or column, a value of the wrong type, or a copy that
                fails :func:`validate_state`.
        """
        new_areas = _apply_overrides(self.areas, areas or {}, "areas", "area")
        new_forces = _apply_overrides(self.forces, forces or {}, "forces", "force")
        state = dataclasses.replace(
            self,
            areas=new_areas,
            forces=new_forces,
            edges=self.edges.copy(),
            deployment=self.deployment.copy(),
            displacement=self.displacement.copy(),
            displacement_national=self.displacement_national.copy(),
            policy=self.policy.copy(),
            families=self.families.copy(),
        )
        validate_state(state)
        return state


def _apply_overrides(
    frame: pd.DataFrame, changes: Mapping[str, Mapping[str, object]], name: str, what: str
) -> pd.DataFrame:
    out = frame.copy()
    types = {**{c: "str" for c in frame.columns}, **OPTIONAL_COLUMNS[name], **SPECS[name]}
    for key, values in changes.items():
        where = f"row {key} (override)"
        if key not in out.index:
            known = ", ".join(map(str, out.index))
            raise fail(name, where, None, f"unknown {what} {key!r}", known)
        for column, value in values.items():
            if column not in out.columns:
                raise fail(name, where, column, "unknown column", ", ".join(out.columns))
            out.at[key, column] = _coerce(name, where, column, value, types[column])
    return out


def _coerce(name: str, where: str, column: str, value: object, kind: str) -> object:
    allowed = ALLOWED_TEXT[kind]
    if kind == "bool":
        if value in (0, 1) and not isinstance(value, float):
            return bool(value)
        raise fail(name, where, column, f"{value!r} is not 0/1 or a bool", allowed)
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(name, where, column, f"{value!r} is not a number", allowed)
        number = float(value)
        if not math.isfinite(number):
            raise fail(name, where, column, f"{value!r} is not finite", allowed)
        if kind == "int":
            if number != round(number):
                raise fail(name, where, column, f"{value!r} is not a whole number", allowed)
            return int(round(number))
        return number
    if kind == "date":
        try:
            return pd.Timestamp(value)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise fail(name, where, column, f"{value!r} is not a date", allowed) from exc
    if not isinstance(value, str):
        raise fail(name, where, column, f"{value!r} is not text", allowed)
    if kind in ("id", "flag", "source") and not value.strip():
        raise fail(name, where, column, "empty value", allowed)
    if kind == "month" and value and not MONTH_PATTERN.match(value):
        raise fail(name, where, column, f"{value!r} is not a month", allowed)
    return value
