"""Checks of single values in user files: text, names, months, whole numbers, choices, lists.

Each check returns the value in its validated form or raises a
:class:`~model.files.errors.Problem` in the words every file kind uses. The file schemas
(``model.files.schema``) attach them to the keys they govern.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from model.files.errors import Problem, as_number, describe, excerpt, suggest
from model.files.months import MONTH_ALLOWED, parse_month

__all__ = [
    "NAME_ALLOWED",
    "NAME_MAX",
    "SEED_RANGE",
    "bounded",
    "count",
    "flag",
    "identifier",
    "mapping",
    "month",
    "name_list",
    "number",
    "one_of",
    "text",
    "whole",
]

NAME_MAX = 64
"""Longest name: names become folder and file names (with a date stamp added)."""
NAME_ALLOWED = "lower-case letters, digits, '_' and '-'"
SEED_RANGE = (0, 2**63 - 1)
_NAME_RE = re.compile(r"^[a-z0-9_-]+$")


def text(value: Any, allowed: str | None = None) -> str:
    """Text (a string)."""
    if not isinstance(value, str):
        raise Problem(f"expected text, got {describe(value)}", allowed=allowed)
    return value


def identifier(value: Any, allowed: str = NAME_ALLOWED) -> str:
    """An identifier ``[a-z0-9_-]+`` (names of scenarios, batches, studies)."""
    value = text(value, allowed)
    if not _NAME_RE.match(value):
        raise Problem(f"{excerpt(value)} is not a valid name", allowed=allowed)
    if len(value) > NAME_MAX:
        raise Problem(
            f"a name of {len(value)} characters is too long",
            allowed=f"at most {NAME_MAX} characters",
        )
    return value


def month(value: Any) -> str:
    """A month, as ``"YYYY-MM"``."""
    try:
        return parse_month(value, bounded=True)
    except ValueError as exc:
        raise Problem(str(exc), allowed=MONTH_ALLOWED) from None


def number(value: Any, allowed: str | None) -> float:
    """A number (also written as text, e.g. ``5e3``)."""
    x = as_number(value)
    if x is None:
        raise Problem(f"expected a number, got {describe(value)}", allowed=allowed)
    return x


def whole(value: Any, lo: int, hi: int, what: str = "") -> int:
    """A whole number of ``what`` in ``lo`` - ``hi`` (scenario and batch files)."""
    if hi >= SEED_RANGE[1]:
        allowed = f"a whole number >= {lo}"
    else:
        allowed = f"a whole number of {what} in {lo} - {hi}"
    x = number(value, allowed)
    if not math.isfinite(x) or not x.is_integer():
        raise Problem(f"{describe(value)} is not a whole number", allowed=allowed)
    n = int(x)
    if not lo <= n <= hi:
        raise Problem(f"{n} is out of range", allowed=allowed)
    return n


def count(value: Any, lo: int, hi: int, allowed: str) -> int:
    """A whole number in ``lo`` - ``hi`` (study and design settings such as ``n``)."""
    x = as_number(value)
    if x is None or not math.isfinite(x) or not x.is_integer():
        raise Problem(f"expected a whole number, got {describe(value)}", allowed=allowed)
    if not lo <= int(x) <= hi:
        raise Problem(f"{int(x)} is out of range", allowed=allowed)
    return int(x)


def flag(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise Problem(f"expected true or false, got {describe(value)}", allowed="true, false")
    return value


def one_of(value: Any, choices: tuple[str, ...], what: str) -> str:
    """One of ``choices`` (a method, a kind...), with the closest one for a typo."""
    if value not in choices:
        raise Problem(
            f"unknown {what} {describe(value)}",
            allowed=", ".join(choices),
            suggestion=suggest(value, choices),
        )
    return value


def bounded(value: Any, ok: Callable[[float], bool], allowed: str) -> float:
    """A number for which ``ok`` holds (study settings such as ``conf_level``)."""
    x = as_number(value)
    if x is None or not ok(x):
        raise Problem(f"{describe(value)} is not allowed", allowed=allowed)
    return x


def mapping(value: Any, allowed: str | None = "a mapping of 'key: value' lines") -> Mapping:
    """A mapping; nothing (null) is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Problem(f"expected a mapping, got {describe(value)}", allowed=allowed)
    return value


def name_list(value: Any, names: tuple[str, ...], what: str, allowed: str) -> tuple[str, ...]:
    """``all``, one name or a list of distinct names from ``names`` (kept in ``names`` order)."""
    if value == "all":
        return names
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise Problem(
            f"expected 'all' or a list of {what}s, got {describe(value)}", allowed=allowed
        )
    chosen: set[str] = set()
    for i, item in enumerate(value):
        if item not in names:
            raise Problem(
                f"unknown {what} {describe(item)}",
                allowed=allowed,
                suggestion=suggest(item, names),
                at=(i,),
            )
        if item in chosen:
            raise Problem(f"{item} is listed twice", at=(i,))
        chosen.add(item)
    return tuple(n for n in names if n in chosen)
