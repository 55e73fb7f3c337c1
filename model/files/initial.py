"""A scenario's initial state, checked when the scenario is loaded: ``initial: data:`` (a folder
of replacement data files) and the per-area and per-force overrides (their shape, then whether
they apply to the data).

The data layer (``model.data``) reports a mistake by data file, row and column; here it is
placed where the scenario writes it, e.g. ``s.yaml:9: initial.areas.N2.is_fighters: ...``,
before anything runs.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.files.confine import allowed_roots, reference
from model.files.errors import ConfigError, Problem, below, describe
from model.files.frozen import FrozenMap, freeze
from model.files.values import mapping
from model.files.yaml_reader import Node, error_at

__all__ = ["check_initial", "data_folder", "overrides", "state_of"]

_TABLES = {"areas": "areas", "forces": "forces"}
_CACHE: dict[Any, Any] = {}


def data_folder(written: str, base: str, *, confine: bool = True) -> str:
    """The absolute path of an ``initial: data:`` folder, checked: it exists, and it and the
    data files in it lie where references may point.

    Raises:
        Problem: a missing folder, not a folder, or outside the allowed folders.
    """
    from model.data import FILES

    if confine:
        target = reference(written, base, what="directory of data files", folder=True)
        roots = allowed_roots(base)
        for filename in FILES.values():
            real = os.path.realpath(target / filename)
            if os.path.lexists(target / filename) and not any(
                real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots
            ):
                raise Problem(
                    f"{written}/{filename} leads outside the allowed folders (to {real})",
                    allowed="data files inside the data folder",
                )
    else:
        target = Path(base, written)
        if not target.exists():
            raise Problem(
                f"directory not found: {written}",
                allowed="an existing directory, relative to this file",
            )
        if not target.is_dir():
            raise Problem(f"{written} is not a directory")
    return os.path.normpath(os.path.abspath(target))


def overrides(value: Any, what: str) -> FrozenMap:
    """Per-unit column overrides of the initial state: ``{unit id: {column: value}}``."""
    out = {}
    for unit, cols in mapping(value, f"{what} id: {{column: value}}").items():
        if not isinstance(unit, str):
            raise Problem(f"{what} id must be text, got {describe(unit)}", on_key=True, at=(unit,))
        row = {}
        for col, val in below(unit, mapping, cols, "column: value lines").items():
            if not isinstance(col, str):
                raise Problem(
                    f"column name must be text, got {describe(col)}", on_key=True, at=(unit, col)
                )
            if val is None or isinstance(val, dict | list | _dt.date):
                raise Problem(
                    f"expected a number or text, got {describe(val)}",
                    allowed="a number or text",
                    at=(unit, col),
                )
            row[col] = val
        out[unit] = row
    return freeze(out)


def state_of(folder: str | None) -> Any:
    """The initial state of a data folder (packaged if None), read once per content."""
    from model.data import FILES, default_state, load_initial_state

    if folder is None:
        return default_state()
    stamp = []
    for filename in FILES.values():
        try:
            info = os.stat(os.path.join(folder, filename))
            stamp.append((filename, info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append((filename, None, None))
    key = (folder, tuple(stamp))
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = load_initial_state(folder)
    return _CACHE[key]


def check_initial(
    tree: Node,
    folder: str | None,
    areas: Mapping[str, Mapping[str, Any]],
    forces: Mapping[str, Mapping[str, Any]],
) -> None:
    """Read the data folder and apply the overrides once, as a run will.

    Raises:
        ConfigError: a data file that does not read or check, or an override that does not
            apply, at the key that asks for it.
    """
    if folder is None and not areas and not forces:
        return
    from model.data import DataError

    try:
        state = state_of(folder)
    except DataError as exc:
        raise error_at(tree, ["initial", "data"], Problem(str(exc))) from None
    if not areas and not forces:
        return
    try:
        state.with_overrides(areas=areas, forces=forces)
    except DataError as exc:
        raise _placed(tree, exc, {"areas": areas, "forces": forces}) from None


def _placed(tree: Node, exc: Any, overrides: Mapping[str, Mapping[str, Any]]) -> ConfigError:
    """A data error of the overridden state, at the override it concerns (or ``initial``)."""
    table = _TABLES.get(exc.table or "")
    where = exc.where or ""
    unit = where[4:].removesuffix(" (override)") if where.startswith("row ") else None
    own = overrides.get(table or "", {})
    path: list[Any] = ["initial"]
    if table is not None and own:
        path.append(table)
        if unit in own:
            path.append(unit)
            if exc.column in own[unit]:
                path.append(exc.column)
    message = exc.problem or str(exc)
    reached = exc.column is not None and path[-1] == exc.column
    if not where.endswith("(override)") and not reached:  # say which data row a check failed
        detail = ", ".join(p for p in (f"{exc.table}.csv", where, exc.column) if p)
        message = f"{message} ({detail})"
    return error_at(tree, path, Problem(message, allowed=exc.allowed))
