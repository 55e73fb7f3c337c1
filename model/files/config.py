"""Scenario and batch files (the names this module has always offered).

The file layer is split by file kind: ``model.files.scenario`` (scenarios and their schema),
``model.files.batch`` (batches), ``model.files.design`` (a batch's design), with the shared
reader (``yaml_reader``), errors (``errors``), months, schedules and value checks. New code
imports from those modules; this one re-exports their names, the old private ones included.
"""

# ruff: noqa: F401  (every import is a re-export)

from __future__ import annotations

from model.files.batch import BATCH_KEYS, Batch, load_any, load_batch
from model.files.errors import ConfigError, as_number, describe, key_path, names_text, suggest
from model.files.frozen import FrozenMap, freeze, thaw
from model.files.months import (
    MONTH_ALLOWED,
    add_months,
    month_index,
    month_range,
    month_str,
    parse_month,
)
from model.files.registry import range_text
from model.files.scenario import (
    DEFAULTS,
    HORIZON_RANGE,
    INITIAL_KEYS,
    REPLICATES_RANGE,
    SCENARIO_KEYS,
    Scenario,
    load_scenario,
)
from model.files.schedules import POINT_KEYS, Schedule, int_if
from model.files.values import SEED_RANGE
from model.files.yaml_reader import (
    MAX_NODES,
    Node,
    Source,
    abs_note,
    abspath,
    from_plain,
    read,
    with_src,
)

__all__ = [
    "DEFAULTS",
    "Batch",
    "ConfigError",
    "FrozenMap",
    "Scenario",
    "Schedule",
    "load_any",
    "load_batch",
    "load_scenario",
    "month_range",
    "parse_month",
]

# The private names other layers imported before the split (until they import the new ones).
_suggest = suggest
_describe = describe
_key_path = key_path
_names_text = names_text
_as_number = as_number
_freeze = freeze
_thaw = thaw
_read = read
_Loc = Node
_Source = Source
_from_plain = from_plain
_with_src = with_src
_abspath = abspath
_abs_note = abs_note
_month_index = month_index
_month_str = month_str
_add_months = add_months
_int_if = int_if
_range_text = range_text
_MAX_NODES = MAX_NODES
_MONTH_ALLOWED = MONTH_ALLOWED
