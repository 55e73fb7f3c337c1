"""The data schema: file names, column types, allowed codes, and the error every check raises.

Shared by reading (``reading``), overrides (``state``) and checks (``checks``). A
:class:`DataError` message is one line naming the file, the row, the column, what is wrong and
what is allowed (``fail``).
"""

from __future__ import annotations

import re

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
AREA_COLUMNS: dict[str, str] = {
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
SPECS: dict[str, dict[str, str]] = {
    "areas": AREA_COLUMNS,
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
    "policy": {"lever": "id", "value": "float", "unit": "id", "source": "source", "flag": "flag"},
    "families": {"governorate": "id", "share": "float", "source": "source", "flag": "flag"},
}
# Columns that may be absent; when present they are typed like the others.
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {
    "areas": {"notes": "str", "haven_capacity": "float"},
    "edges": {},
    "forces": {"notes": "str"},
    "deployment": {"notes": "str"},
    "displacement": {"notes": "str"},
    "displacement_national": {"round": "int", "notes": "str"},
    "policy": {"notes": "str"},
    "families": {"notes": "str"},
}
INDEX_COLUMNS: dict[str, str | None] = {
    "areas": "id",
    "edges": None,
    "forces": "force",
    "deployment": None,
    "displacement": "governorate",
    "displacement_national": None,
    "policy": "lever",
    "families": "governorate",
}
FILES: dict[str, str] = {name: f"{name}.csv" for name in SPECS}
"""Frame name -> file name; every file is required."""

ALLOWED_TEXT: dict[str, str] = {
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
POLICY_LEVERS: tuple[str, ...] = (
    "us_troops",
    "coalition_air",
    "aid",
    "aid_targeting",
    "reconciliation",
    "sunni_inclusion",
    "militia_discipline",
    "family_policy",
    "border_control",
    "syria_campaign",
    "kirkuk_settlement",
)
"""Rows of policy.csv: the state of every policy lever at the start (the historical setting the
model's lagged policy stocks start from, whatever a scenario's levers)."""

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
"""A month, YYYY-MM."""


class DataError(ValueError):
    """Invalid initial-state data; the message is one line naming file, row, column and rule.

    Attributes (None when not known): ``table`` (frame name, e.g. ``areas``), ``where`` (e.g.
    ``row N2``), ``column``, ``problem`` and ``allowed``: the parts of the message, so that a
    scenario's overrides can be reported where they are written.
    """

    table: str | None = None
    where: str | None = None
    column: str | None = None
    problem: str | None = None
    allowed: str | None = None


def file_list() -> str:
    """The required file names, comma-separated (for messages)."""
    return ", ".join(FILES.values())


def fail(name: str, where: str | None, column: str | None, problem: str, allowed: str) -> DataError:
    """The error for frame ``name``: "file, where, column: problem; allowed: allowed"."""
    parts = [FILES.get(name, name)]
    if where:
        parts.append(where)
    if column:
        parts.append(f"column {column}")
    error = DataError(f"{', '.join(parts)}: {problem}; allowed: {allowed}")
    error.table, error.where, error.column = name, where, column
    error.problem, error.allowed = problem, allowed
    return error
