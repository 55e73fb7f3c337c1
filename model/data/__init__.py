"""The area network and initial state: CSV files with a source and a flag on every row.

The packaged files describe Iraq and the Syrian havens in April 2017 (see ``README.md`` in this
folder). A directory holding files of the same names and columns replaces them, e.g. for another
period. Everything read is validated; bad data raises :class:`DataError` with one line naming the
file, the row (area id or line number), the column, what is wrong and what is allowed.

Typical use::

    from model.data import default_state
    state = default_state()          # packaged data, loaded once per process
    graph = state.graph()            # networkx.Graph over the area ids
    lower = state.with_overrides(areas={"N2": {"is_fighters": 1500}})
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

__all__ = [
    "CONTROLLERS",
    "EDGE_KINDS",
    "FILES",
    "FLAGS",
    "IRAQ_GOVERNORATES",
    "MISSIONS",
    "SHARE_COLUMNS",
    "TERRAIN_CODES",
    "DataError",
    "InitialState",
    "default_state",
    "load_initial_state",
    "validate_state",
]

FLAGS: frozenset[str] = frozenset({"C", "D", "M"})
"""C confirmed in the cited text, D derived from confirmed figures, M estimate."""

IRAQ_GOVERNORATES: tuple[str, ...] = (
    "Nineveh",
    "Kirkuk",
    "Salah ad-Din",
    "Anbar",
    "Diyala",
    "Baghdad",
    "Erbil",
    "Duhok",
    "Sulaymaniyah",
    "Babil",
    "Karbala",
    "Najaf",
    "Wasit",
    "Qadisiyah",
    "Muthanna",
    "Dhi Qar",
    "Maysan",
    "Basra",
)
SHARE_COLUMNS: tuple[str, ...] = (
    "share_SA",
    "share_SH",
    "share_K",
    "share_T",
    "share_Y",
    "share_C",
)
"""Identity shares, in the order of ``model.simulation.outcomes.GROUPS``."""

TERRAIN_CODES: frozenset[str] = frozenset({"U", "R", "D", "Mt"})
CONTROLLERS: dict[str, tuple[str, ...]] = {
    "IQ": ("GOV", "KRG", "IS", "CONTESTED"),
    "SY": ("SY-IS", "SY-OTHER"),
}
EDGE_KINDS: frozenset[str] = frozenset({"road", "border"})
MISSIONS: frozenset[str] = frozenset({"strike", "garrison"})
DISPLACEMENT_OTHER = "Other"
"""Row of displacement.csv pooling the governorates of origin not listed separately."""

LAT_RANGE = (29.0, 38.0)
LON_RANGE = (35.0, 49.0)
SHARE_TOLERANCE = 1e-6

# Column types: str (text, may be empty), id (non-empty text), int, float, bool (0/1),
# flag (C/D/M), source (non-empty ';'-separated ids), month (YYYY-MM or empty), date.
_AREA_COLUMNS: dict[str, str] = {
    "id": "id",
    "name": "id",
    "governorate": "id",
    "country": "id",
    "population": "int",
    "pop_flag": "flag",
    "pop_source": "source",
    **dict.fromkeys(SHARE_COLUMNS, "float"),
    "identity_flag": "flag",
    "terrain": "id",
    "lat": "float",
    "lon": "float",
    "borders_syria": "bool",
    "crossing": "str",
    "controller": "id",
    "is_share": "float",
    "is_fighters": "int",
    "is_fighters_flag": "flag",
    "is_fighters_source": "source",
    "disputed": "bool",
    "refuge": "bool",
    "haven": "bool",
    "retaken_month": "month",
    "op_start": "month",
    "op_source": "str",
    "control_source": "source",
    "control_flag": "flag",
    "source": "source",
    "flag": "flag",
}
_SPECS: dict[str, dict[str, str]] = {
    "areas": _AREA_COLUMNS,
    "edges": {"a": "id", "b": "id", "kind": "id", "source": "source", "flag": "flag"},
    "forces": {
        "force": "id",
        "strength": "int",
        "low": "int",
        "high": "int",
        "unit": "id",
        "source": "source",
        "flag": "flag",
    },
    "deployment": {
        "area": "id",
        "force": "id",
        "strength": "int",
        "mission": "id",
        "source": "source",
        "flag": "flag",
    },
    "displacement": {"governorate": "id", "idps": "int", "flag": "flag", "source": "source"},
    "displacement_national": {
        "date": "date",
        "idps": "int",
        "returnees": "int",
        "source": "source",
        "flag": "flag",
    },
}
# Columns that may be absent; when present they are typed like the others.
_OPTIONAL: dict[str, dict[str, str]] = {
    "areas": {"notes": "str"},
    "edges": {},
    "forces": {"notes": "str"},
    "deployment": {"notes": "str"},
    "displacement": {"notes": "str"},
    "displacement_national": {"round": "int", "notes": "str"},
}
_INDEX: dict[str, str | None] = {
    "areas": "id",
    "edges": None,
    "forces": "force",
    "deployment": None,
    "displacement": "governorate",
    "displacement_national": None,
}
FILES: dict[str, str] = {name: f"{name}.csv" for name in _SPECS}
"""Frame name -> file name; every file is required."""

_ALLOWED_TEXT: dict[str, str] = {
    "int": "a whole number",
    "float": "a number",
    "bool": "0 or 1",
    "flag": "one of C, D, M",
    "source": "one or more reference ids separated by ';'",
    "month": "YYYY-MM or empty",
    "date": "a date YYYY-MM-DD",
    "id": "non-empty text",
    "str": "text",
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class DataError(ValueError):
    """Invalid initial-state data; the message is one line naming file, row, column and rule."""


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
        source_dir: the directory the files were read from.
    """

    areas: pd.DataFrame
    edges: pd.DataFrame
    forces: pd.DataFrame
    deployment: pd.DataFrame
    displacement: pd.DataFrame
    displacement_national: pd.DataFrame
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
        )
        validate_state(state)
        return state


def load_initial_state(directory: str | os.PathLike[str] | None = None) -> InitialState:
    """Read and validate the initial state.

    Args:
        directory: a folder holding the files in :data:`FILES`; None reads the packaged data.

    Returns:
        The validated state.

    Raises:
        DataError: a missing file or column, a value that does not parse, or a failed check.
    """
    if directory is None:
        root: Any = resources.files(__name__)
    else:
        root = Path(directory)
        if not root.is_dir():
            raise DataError(f"{root}: not a directory; allowed: a directory holding {_file_list()}")
    raw: dict[str, pd.DataFrame] = {}
    for name, filename in FILES.items():
        entry = root.joinpath(filename)
        if not entry.is_file():
            raise DataError(f"{filename}: file not found in {root}; allowed: {_file_list()}")
        with entry.open("r", encoding="utf-8-sig") as fh:
            try:
                frame = pd.read_csv(fh, dtype=str, keep_default_na=False, na_filter=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                msg = str(exc).replace("\n", " ").strip()
                raise DataError(
                    f"{filename}: cannot be read as CSV ({msg}); allowed: UTF-8 CSV"
                ) from exc
        raw[name] = _parse(name, frame)
    state = InitialState(source_dir=str(root), **raw)
    validate_state(state)
    return state


@functools.lru_cache(maxsize=1)
def default_state() -> InitialState:
    """The packaged initial state, read once per process. Treat it as immutable."""
    return load_initial_state(None)


def validate_state(state: InitialState) -> None:
    """Check the state's structure, values and cross-references.

    Raises:
        DataError: the first problem found, in one line.
    """
    for name in _SPECS:
        _check_columns(name, getattr(state, name))
    _check_frame_values(state)
    _check_areas(state.areas)
    _check_edges(state.edges, state.areas)
    _check_forces(state.forces)
    _check_deployment(state.deployment, state.areas, state.forces)
    _check_displacement(state.displacement, state.displacement_national)


# ---- parsing --------------------------------------------------------------------------------


def _file_list() -> str:
    return ", ".join(FILES.values())


def _row_label(name: str, frame: pd.DataFrame, pos: int) -> str:
    """'row <id>' for frames keyed by id, else 'line <n>' (the header is line 1)."""
    key = _INDEX[name]
    if key is not None:
        value = frame.index[pos] if frame.index.name == key else frame[key].iloc[pos]
        if isinstance(value, str) and value.strip():
            return f"row {value}"
    label = frame.index[pos]
    line = int(label) + 2 if isinstance(label, (int, np.integer)) else pos + 2
    return f"line {line}"


def _fail(
    name: str, where: str | None, column: str | None, problem: str, allowed: str
) -> DataError:
    parts = [FILES.get(name, name)]
    if where:
        parts.append(where)
    if column:
        parts.append(f"column {column}")
    return DataError(f"{', '.join(parts)}: {problem}; allowed: {allowed}")


def _parse(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Typed frame from the all-text frame read from ``name``'s file."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    spec = _SPECS[name]
    missing = [c for c in spec if c not in frame.columns]
    if missing:
        raise _fail(name, None, missing[0], "missing column", f"a header with {', '.join(spec)}")
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise _fail(name, None, dup, "duplicated column", "each column once")
    frame = frame.apply(lambda col: col.str.strip())
    types = {**{c: "str" for c in frame.columns}, **_OPTIONAL[name], **spec}
    out: dict[str, pd.Series] = {}
    for column in frame.columns:
        out[column] = _convert(name, frame, column, types[column])
    typed = pd.DataFrame(out, index=frame.index)
    key = _INDEX[name]
    if key is not None:
        dup = typed[key][typed[key].duplicated()]
        if len(dup):
            pos = int(dup.index[0])
            raise _fail(
                name,
                f"line {pos + 2}",
                key,
                f"duplicate {key} {dup.iloc[0]!r}",
                f"unique values of {key}",
            )
        typed = typed.set_index(key)
    return typed


def _convert(name: str, frame: pd.DataFrame, column: str, kind: str) -> pd.Series:
    text = frame[column]
    if kind in ("str", "month"):
        if kind == "month":
            bad = ~(text.eq("") | text.str.match(_MONTH))
            _raise_first(name, frame, column, bad, lambda v: f"{v!r} is not a month", kind)
        return text.astype(object)
    if kind in ("id", "flag", "source"):
        _raise_first(name, frame, column, text.eq(""), lambda v: "empty value", kind)
        return text.astype(object)
    if kind == "date":
        values = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        _raise_first(name, frame, column, values.isna(), lambda v: f"{v!r} is not a date", kind)
        return values
    if kind == "bool":
        bad = ~text.isin(["0", "1"])
        _raise_first(name, frame, column, bad, lambda v: f"{v!r} is not 0 or 1", kind)
        return text.eq("1").astype(bool)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() | ~numbers.map(lambda x: math.isfinite(x) if pd.notna(x) else False)
    _raise_first(
        name,
        frame,
        column,
        bad,
        lambda v: "empty value" if v == "" else f"{v!r} is not a number",
        kind,
    )
    if kind == "int":
        frac = numbers.ne(numbers.round())
        _raise_first(name, frame, column, frac, lambda v: f"{v!r} is not a whole number", kind)
        return numbers.round().astype("int64")
    return numbers.astype("float64")


def _raise_first(
    name: str,
    frame: pd.DataFrame,
    column: str,
    bad: pd.Series,
    problem: Callable[[str], str],
    kind: str,
) -> None:
    if not bool(bad.any()):
        return
    pos = int(bad.to_numpy().nonzero()[0][0])
    value = frame[column].iloc[pos]
    raise _fail(name, _row_label(name, frame, pos), column, problem(value), _ALLOWED_TEXT[kind])


# ---- overrides ------------------------------------------------------------------------------


def _apply_overrides(
    frame: pd.DataFrame, changes: Mapping[str, Mapping[str, object]], name: str, what: str
) -> pd.DataFrame:
    out = frame.copy()
    types = {**{c: "str" for c in frame.columns}, **_OPTIONAL[name], **_SPECS[name]}
    for key, values in changes.items():
        where = f"row {key} (override)"
        if key not in out.index:
            known = ", ".join(map(str, out.index))
            raise _fail(name, where, None, f"unknown {what} {key!r}", known)
        for column, value in values.items():
            if column not in out.columns:
                raise _fail(name, where, column, "unknown column", ", ".join(out.columns))
            out.at[key, column] = _coerce(name, where, column, value, types[column])
    return out


def _coerce(name: str, where: str, column: str, value: object, kind: str) -> object:
    allowed = _ALLOWED_TEXT[kind]
    if kind == "bool":
        if value in (0, 1) and not isinstance(value, float):
            return bool(value)
        raise _fail(name, where, column, f"{value!r} is not 0/1 or a bool", allowed)
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(name, where, column, f"{value!r} is not a number", allowed)
        number = float(value)
        if not math.isfinite(number):
            raise _fail(name, where, column, f"{value!r} is not finite", allowed)
        if kind == "int":
            if number != round(number):
                raise _fail(name, where, column, f"{value!r} is not a whole number", allowed)
            return int(round(number))
        return number
    if kind == "date":
        try:
            return pd.Timestamp(value)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise _fail(name, where, column, f"{value!r} is not a date", allowed) from exc
    if not isinstance(value, str):
        raise _fail(name, where, column, f"{value!r} is not text", allowed)
    if kind in ("id", "flag", "source") and not value.strip():
        raise _fail(name, where, column, "empty value", allowed)
    if kind == "month" and value and not _MONTH.match(value):
        raise _fail(name, where, column, f"{value!r} is not a month", allowed)
    return value


# ---- checks ---------------------------------------------------------------------------------


def _where(name: str, frame: pd.DataFrame, label: object) -> str:
    if _INDEX[name] is not None:
        return f"row {label}"
    line = int(label) + 2 if isinstance(label, (int, np.integer)) else label
    return f"line {line}"


def _check_columns(name: str, frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise _fail(name, None, None, f"not a table ({type(frame).__name__})", "a pandas DataFrame")
    key = _INDEX[name]
    if key is not None:
        if frame.index.name != key:
            raise _fail(name, None, key, f"index is {frame.index.name!r}", f"index named {key}")
        if not frame.index.is_unique:
            dup = frame.index[frame.index.duplicated()][0]
            raise _fail(name, f"row {dup}", key, f"duplicate {key}", f"unique values of {key}")
    for column in _SPECS[name]:
        if column != key and column not in frame.columns:
            raise _fail(name, None, column, "missing column", ", ".join(_SPECS[name]))


def _check_frame_values(state: InitialState) -> None:
    """Types, flags and sources of every frame (states built in code skip the CSV parser)."""
    for name, spec in _SPECS.items():
        frame: pd.DataFrame = getattr(state, name)
        for column in frame.columns:
            kind = {**_OPTIONAL[name], **spec}.get(column, "str")
            series = frame[column]
            if kind in ("int", "float"):
                if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
                    raise _fail(
                        name, None, column, f"column type {series.dtype}", _ALLOWED_TEXT[kind]
                    )
                bad = series.isna() | ~series.map(lambda x: math.isfinite(float(x)))
                if kind == "int" and not bad.any():
                    bad = series.ne(series.round())
                _raise_label(name, frame, column, bad, "is not " + _ALLOWED_TEXT[kind], kind)
            elif kind == "bool":
                if not pd.api.types.is_bool_dtype(series):
                    raise _fail(name, None, column, f"column type {series.dtype}", "booleans")
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
    raise _fail(
        name, _where(name, frame, label), column, f"{value!r} {problem}", _ALLOWED_TEXT[kind]
    )


def _first(frame: pd.DataFrame, mask: pd.Series | Iterable[bool]) -> object | None:
    mask = pd.Series(mask, index=frame.index)
    hits = mask[mask]
    return hits.index[0] if len(hits) else None


def _check_areas(areas: pd.DataFrame) -> None:
    name = "areas"
    if len(areas) == 0:
        raise _fail(name, None, None, "no areas", "at least one area")
    for column in ("population", "is_fighters"):
        label = _first(areas, areas[column] < 0)
        if label is not None:
            raise _fail(
                name, f"row {label}", column, f"{areas.at[label, column]} is negative", ">= 0"
            )
    for column in (*SHARE_COLUMNS, "is_share"):
        label = _first(areas, (areas[column] < 0) | (areas[column] > 1))
        if label is not None:
            raise _fail(
                name,
                f"row {label}",
                column,
                f"{areas.at[label, column]} outside [0, 1]",
                "a share in [0, 1]",
            )
    total = areas[list(SHARE_COLUMNS)].sum(axis=1)
    label = _first(areas, (total - 1).abs() > SHARE_TOLERANCE)
    if label is not None:
        raise _fail(
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
            raise _fail(
                name,
                f"row {label}",
                "terrain",
                f"unknown code {unknown[0]!r}",
                f"codes {', '.join(codes)} joined by '/'",
            )
    for column, (lo, hi) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        label = _first(areas, (areas[column] < lo) | (areas[column] > hi))
        if label is not None:
            raise _fail(
                name,
                f"row {label}",
                column,
                f"{areas.at[label, column]} outside the Iraq/Syria box",
                f"{lo:g} to {hi:g}",
            )
    for label, row in areas[["country", "governorate", "controller", "is_share"]].iterrows():
        if row.country not in CONTROLLERS:
            raise _fail(
                name, f"row {label}", "country", f"unknown country {row.country!r}", "IQ, SY"
            )
        if row.country == "IQ" and row.governorate not in IRAQ_GOVERNORATES:
            raise _fail(
                name,
                f"row {label}",
                "governorate",
                f"unknown Iraqi governorate {row.governorate!r}",
                ", ".join(IRAQ_GOVERNORATES),
            )
        allowed = CONTROLLERS[row.country]
        if row.controller not in allowed:
            raise _fail(
                name,
                f"row {label}",
                "controller",
                f"{row.controller!r} for country {row.country}",
                ", ".join(allowed),
            )
        if row.controller in ("IS", "SY-IS") and row.is_share <= 0:
            raise _fail(
                name,
                f"row {label}",
                "is_share",
                f"0 while the controller is {row.controller}",
                "is_share > 0 for an IS-held area",
            )
    label = _first(
        areas, ~areas["retaken_month"].map(lambda v: v == "" or bool(_MONTH.match(str(v))))
    )
    if label is not None:
        raise _fail(
            name,
            f"row {label}",
            "retaken_month",
            f"{areas.at[label, 'retaken_month']!r} is not a month",
            _ALLOWED_TEXT["month"],
        )
    present = set(areas.loc[areas["country"] == "IQ", "governorate"])
    missing = [g for g in IRAQ_GOVERNORATES if g not in present]
    if missing:
        raise _fail(
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
                raise _fail(
                    name, where, column, f"unknown area {end!r}", "an area id from areas.csv"
                )
        if a == b:
            raise _fail(name, where, "b", "self-loop", "an area other than a")
        if kind not in EDGE_KINDS:
            raise _fail(
                name, where, "kind", f"unknown kind {kind!r}", ", ".join(sorted(EDGE_KINDS))
            )
        pair = frozenset((a, b))
        if pair in seen:
            raise _fail(name, where, None, "duplicate edge", "each pair of areas once")
        seen.add(pair)
    graph = nx.Graph()
    graph.add_nodes_from(areas.index)
    graph.add_edges_from(edges[["a", "b"]].itertuples(index=False))
    if not nx.is_connected(graph):
        main = max(nx.connected_components(graph), key=len)
        cut_off = [a for a in areas.index if a not in main]
        raise _fail(
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
            raise _fail(
                name, f"row {label}", column, f"{forces.at[label, column]} is negative", ">= 0"
            )
    label = _first(
        forces, (forces["strength"] < forces["low"]) | (forces["strength"] > forces["high"])
    )
    if label is not None:
        row = forces.loc[label]
        raise _fail(
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
            raise _fail(name, where, "area", f"unknown area {area!r}", "an area id from areas.csv")
        if force not in forces.index:
            raise _fail(
                name, where, "force", f"unknown force {force!r}", ", ".join(map(str, forces.index))
            )
        if strength < 0:
            raise _fail(name, where, "strength", f"{strength} is negative", ">= 0")
        if mission not in MISSIONS:
            raise _fail(
                name, where, "mission", f"unknown mission {mission!r}", ", ".join(sorted(MISSIONS))
            )
    totals = deployment.groupby("force")["strength"].sum()
    for force, total in totals.items():
        limit = forces.at[force, "strength"]
        if total > limit:
            raise _fail(
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
            raise _fail(
                "displacement",
                f"row {label}",
                "governorate",
                f"unknown governorate {label!r}",
                ", ".join(allowed),
            )
    label = _first(displacement, displacement["idps"] < 0)
    if label is not None:
        raise _fail(
            "displacement",
            f"row {label}",
            "idps",
            f"{displacement.at[label, 'idps']} is negative",
            ">= 0",
        )
    for column in ("idps", "returnees"):
        label = _first(national, national[column] < 0)
        if label is not None:
            raise _fail(
                "displacement_national",
                _where("displacement_national", national, label),
                column,
                f"{national.at[label, column]} is negative",
                ">= 0",
            )
