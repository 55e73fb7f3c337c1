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

Modules: ``schema`` (file names, column types, codes, :class:`DataError`), ``state`` (the
:class:`InitialState` container and its overrides), ``reading`` (the CSV loader) and ``checks``
(:func:`validate_state`).
"""

from __future__ import annotations

from model.data.checks import validate_state
from model.data.reading import default_state, load_initial_state
from model.data.schema import (
    CONTROLLERS,
    EDGE_KINDS,
    FILES,
    FLAGS,
    IRAQ_GOVERNORATES,
    MISSIONS,
    SHARE_COLUMNS,
    TERRAIN_CODES,
    DataError,
)
from model.data.state import InitialState

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
