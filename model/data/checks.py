"""Checks of an initial state: structure, values and cross-references of every frame."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from model.data.schema import (
    ALLOWED_TEXT,
    CONTROLLERS,
    DISPLACEMENT_OTHER,
    EDGE_KINDS,
    FLAGS,
    INDEX_COLUMNS,
    IRAQ_GOVERNORATES,
    LAT_RANGE,
    LON_RANGE,
    MISSIONS,
    MONTH_PATTERN,
    OPTIONAL_COLUMNS,
    POLICY_LEVERS,
    SHARE_COLUMNS,
    SHARE_TOLERANCE,
    SPECS,
    TERRAIN_CODES,
    fail,
)

if TYPE_CHECKING:
    from model.data.state import InitialState


def validate_state(state: InitialState) -> None:
    """Check the state's structure, values and cross-references.

    Raises:
        DataError: the first problem found, in one line.
    """
    for name in SPECS:
        _check_columns(name, getattr(state, name))
    _check_frame_values(state)
    _check_areas(state.areas)
    _check_edges(state.edges, state.areas)
    _check_forces(state.forces)
    _check_deployment(state.deployment, state.areas, state.forces)
    _check_displacement(state.displacement, state.displacement_national)
    _check_policy(state.policy)
    _check_families(state.families)


def _where(name: str, frame: pd.DataFrame, label: object) -> str:
    if INDEX_COLUMNS[name] is not None:
        return f"row {label}"
    line = int(label) + 2 if isinstance(label, (int, np.integer)) else label
    return f"line {line}"


def _check_columns(name: str, frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise fail(name, None, None, f"not a table ({type(frame).__name__})", "a pandas DataFrame")
    key = INDEX_COLUMNS[name]
    if key is not None:
        if frame.index.name != key:
            raise fail(name, None, key, f"index is {frame.index.name!r}", f"index named {key}")
        if not frame.index.is_unique:
            dup = frame.index[frame.index.duplicated()][0]
            raise fail(name, f"row {dup}", key, f"duplicate {key}", f"unique values of {key}")
    for column in SPECS[name]:
        if column != key and column not in frame.columns:
            raise fail(name, None, column, "missing column", ", ".join(SPECS[name]))


def _check_frame_values(state: InitialState) -> None:
    """Types, flags and sources of every frame (states built in code skip the CSV parser)."""
    for name, spec in SPECS.items():
        frame: pd.DataFrame = getattr(state, name)
        for column in frame.columns:
            kind = {**OPTIONAL_COLUMNS[name], **spec}.get(column, "str")
            series = frame[column]
            if kind in ("int", "float"):
                if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
                    raise fail(
                        name, None, column, f"column type {series.dtype}", ALLOWED_TEXT[kind]
                    )
                bad = series.isna() | ~series.map(lambda x: math.isfinite(float(x)))
                if kind == "int" and not bad.any():
                    bad = series.ne(series.round())
                _raise_label(name, frame, column, bad, "is not " + ALLOWED_TEXT[kind], kind)
            elif kind == "bool":
                if not pd.api.types.is_bool_dtype(series):
                    raise fail(name, None, column, f"column type {series.dtype}", "booleans")
            elif kind == "flag":
                bad = ~series.isin(sorted(FLAGS))
                _raise_label(name, frame, column, bad, "is not a known flag", kind)
            elif kind in ("source", "id"):
                bad = ~series.map(lambda v: isinstance(v, str) and bool(v.strip()))
                _raise_label(name, frame, column, bad, "is empty", kind)


def _raise_label(
    name: str, frame: pd.DataFrame, column: str, bad: pd.Series, problem: str, kind: str
) -> None:
    if not bool(bad.any()):
        return
    label = bad[bad].index[0]
    value = frame.at[label, column]
    value = value.item() if hasattr(value, "item") else value
    raise fail(name, _where(name, frame, label), column, f"{value!r} {problem}", ALLOWED_TEXT[kind])


def _first(frame: pd.DataFrame, mask: pd.Series | Iterable[bool]) -> object | None:
    mask = pd.Series(mask, index=frame.index)
    hits = mask[mask]
    return hits.index[0] if len(hits) else None


def _check_areas(areas: pd.DataFrame) -> None:
    name = "areas"
    if len(areas) == 0:
        raise fail(name, None, None, "no areas", "at least one area")
    for column in ("population", "is_fighters"):
        label = _first(areas, areas[column] < 0)
        if label is not None:
            raise fail(
                name, f"row {label}", column, f"{areas.at[label, column]} is negative", ">= 0"
            )
    for column in (*SHARE_COLUMNS, "is_share"):
        label = _first(areas, (areas[column] < 0) | (areas[column] > 1))
        if label is not None:
            raise fail(
                name,
                f"row {label}",
                column,
                f"{areas.at[label, column]} outside [0, 1]",
                "a share in [0, 1]",
            )
    total = areas[list(SHARE_COLUMNS)].sum(axis=1)
    label = _first(areas, (total - 1).abs() > SHARE_TOLERANCE)
    if label is not None:
        raise fail(
            name,
            f"row {label}",
            "share_*",
            f"identity shares sum to {total[label]:.6g}",
            f"shares summing to 1 (tolerance {SHARE_TOLERANCE:g})",
        )
    codes = sorted(TERRAIN_CODES)
    for label, terrain in areas["terrain"].items():
        unknown = [c for c in str(terrain).split("/") if c not in TERRAIN_CODES]
        if unknown:
            raise fail(
                name,
                f"row {label}",
                "terrain",
                f"unknown code {unknown[0]!r}",
                f"codes {', '.join(codes)} joined by '/'",
            )
    for column, (lo, hi) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        label = _first(areas, (areas[column] < lo) | (areas[column] > hi))
        if label is not None:
            raise fail(
                name,
                f"row {label}",
                column,
                f"{areas.at[label, column]} outside the Iraq/Syria box",
                f"{lo:g} to {hi:g}",
            )
    for label, row in areas[["country", "governorate", "controller", "is_share"]].iterrows():
        if row.country not in CONTROLLERS:
            raise fail(
                name, f"row {label}", "country", f"unknown country {row.country!r}", "IQ, SY"
            )
        if row.country == "IQ" and row.governorate not in IRAQ_GOVERNORATES:
            raise fail(
                name,
                f"row {label}",
                "governorate",
                f"unknown Iraqi governorate {row.governorate!r}",
                ", ".join(IRAQ_GOVERNORATES),
            )
        allowed = CONTROLLERS[row.country]
        if row.controller not in allowed:
            raise fail(
                name,
                f"row {label}",
                "controller",
                f"{row.controller!r} for country {row.country}",
                ", ".join(allowed),
            )
        if row.controller in ("IS", "SY-IS") and row.is_share <= 0:
            raise fail(
                name,
                f"row {label}",
                "is_share",
                f"0 while the controller is {row.controller}",
                "is_share > 0 for an IS-held area",
            )
    label = _first(
        areas, ~areas["retaken_month"].map(lambda v: v == "" or bool(MONTH_PATTERN.match(str(v))))
    )
    if label is not None:
        raise fail(
            name,
            f"row {label}",
            "retaken_month",
            f"{areas.at[label, 'retaken_month']!r} is not a month",
            ALLOWED_TEXT["month"],
        )
    present = set(areas.loc[areas["country"] == "IQ", "governorate"])
    missing = [g for g in IRAQ_GOVERNORATES if g not in present]
    if missing:
        raise fail(
            name,
            None,
            "governorate",
            f"no area in {', '.join(missing)}",
            "every one of the 18 Iraqi governorates",
        )


def _check_edges(edges: pd.DataFrame, areas: pd.DataFrame) -> None:
    name = "edges"
    known = set(areas.index)
    seen: set[frozenset[str]] = set()
    for label, a, b, kind in edges[["a", "b", "kind"]].itertuples():
        where = f"{_where(name, edges, label)} ({a}-{b})"
        for column, end in (("a", a), ("b", b)):
            if end not in known:
                raise fail(
                    name, where, column, f"unknown area {end!r}", "an area id from areas.csv"
                )
        if a == b:
            raise fail(name, where, "b", "self-loop", "an area other than a")
        if kind not in EDGE_KINDS:
            raise fail(name, where, "kind", f"unknown kind {kind!r}", ", ".join(sorted(EDGE_KINDS)))
        pair = frozenset((a, b))
        if pair in seen:
            raise fail(name, where, None, "duplicate edge", "each pair of areas once")
        seen.add(pair)
    graph = nx.Graph()
    graph.add_nodes_from(areas.index)
    graph.add_edges_from(edges[["a", "b"]].itertuples(index=False))
    if not nx.is_connected(graph):
        main = max(nx.connected_components(graph), key=len)
        cut_off = [a for a in areas.index if a not in main]
        raise fail(
            name,
            None,
            None,
            f"network not connected; unreachable areas: {', '.join(cut_off)}",
            "a connected network",
        )


def _check_forces(forces: pd.DataFrame) -> None:
    name = "forces"
    for column in ("strength", "low", "high"):
        label = _first(forces, forces[column] < 0)
        if label is not None:
            raise fail(
                name, f"row {label}", column, f"{forces.at[label, column]} is negative", ">= 0"
            )
    label = _first(
        forces, (forces["strength"] < forces["low"]) | (forces["strength"] > forces["high"])
    )
    if label is not None:
        row = forces.loc[label]
        raise fail(
            name,
            f"row {label}",
            "strength",
            f"{row.strength} outside [{row.low}, {row.high}]",
            "low <= strength <= high",
        )


def _check_deployment(deployment: pd.DataFrame, areas: pd.DataFrame, forces: pd.DataFrame) -> None:
    name = "deployment"
    for label, area, force, strength, mission in deployment[
        ["area", "force", "strength", "mission"]
    ].itertuples():
        where = f"{_where(name, deployment, label)} ({area} {force})"
        if area not in areas.index:
            raise fail(name, where, "area", f"unknown area {area!r}", "an area id from areas.csv")
        if force not in forces.index:
            raise fail(
                name, where, "force", f"unknown force {force!r}", ", ".join(map(str, forces.index))
            )
        if strength < 0:
            raise fail(name, where, "strength", f"{strength} is negative", ">= 0")
        if mission not in MISSIONS:
            raise fail(
                name, where, "mission", f"unknown mission {mission!r}", ", ".join(sorted(MISSIONS))
            )
    totals = deployment.groupby("force")["strength"].sum()
    for force, total in totals.items():
        limit = forces.at[force, "strength"]
        if total > limit:
            raise fail(
                name,
                f"force {force}",
                "strength",
                f"{total} deployed, more than its strength {limit} in forces.csv",
                f"at most {limit}",
            )


def _check_displacement(displacement: pd.DataFrame, national: pd.DataFrame) -> None:
    allowed = (*IRAQ_GOVERNORATES, DISPLACEMENT_OTHER)
    for label in displacement.index:
        if label not in allowed:
            raise fail(
                "displacement",
                f"row {label}",
                "governorate",
                f"unknown governorate {label!r}",
                ", ".join(allowed),
            )
    label = _first(displacement, displacement["idps"] < 0)
    if label is not None:
        raise fail(
            "displacement",
            f"row {label}",
            "idps",
            f"{displacement.at[label, 'idps']} is negative",
            ">= 0",
        )
    for column in ("idps", "returnees"):
        label = _first(national, national[column] < 0)
        if label is not None:
            raise fail(
                "displacement_national",
                _where("displacement_national", national, label),
                column,
                f"{national.at[label, column]} is negative",
                ">= 0",
            )


def _check_policy(policy: pd.DataFrame) -> None:
    for label in policy.index:
        if label not in POLICY_LEVERS:
            raise fail(
                "policy",
                f"row {label}",
                "lever",
                f"unknown lever {label!r}",
                ", ".join(POLICY_LEVERS),
            )
    missing = [lever for lever in POLICY_LEVERS if lever not in policy.index]
    if missing:
        raise fail(
            "policy",
            None,
            "lever",
            f"no row for {', '.join(missing)}",
            "one row per lever: " + ", ".join(POLICY_LEVERS),
        )
    label = _first(policy, policy["value"] < 0)
    if label is not None:
        raise fail(
            "policy", f"row {label}", "value", f"{policy.at[label, 'value']} is negative", ">= 0"
        )
    shares = policy.drop(index=["us_troops", "aid"], errors="ignore")
    label = _first(shares, shares["value"] > 1)
    if label is not None:
        raise fail(
            "policy",
            f"row {label}",
            "value",
            f"{policy.at[label, 'value']} is above 1",
            "an index or share in 0 - 1",
        )


def _check_families(families: pd.DataFrame) -> None:
    for label in families.index:
        if label not in IRAQ_GOVERNORATES:
            raise fail(
                "families",
                f"row {label}",
                "governorate",
                f"unknown governorate {label!r}",
                ", ".join(IRAQ_GOVERNORATES),
            )
    label = _first(families, (families["share"] < 0) | (families["share"] > 1))
    if label is not None:
        raise fail(
            "families",
            f"row {label}",
            "share",
            f"{families.at[label, 'share']} is outside 0 - 1",
            "a share in 0 - 1",
        )
    total = float(families["share"].sum())
    if len(families) and abs(total - 1.0) > 1e-6:
        raise fail("families", None, "share", f"the shares sum to {total:g}", "shares summing to 1")
