"""Values of the parameter registry as user files write them.

A lever or parameter is set by its registry name with a number in its range or a named choice
(``family_policy: screen``). The sections keyed by registry names (scenario ``levers:`` and
``parameters:``, design ``levers:``/``parameters:``/``vary:``, a study's ``vary:``) all check
their names and values with a :class:`RegistrySection` saying how they are worded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from model.files.errors import Problem, below, describe, excerpt, suggest
from model.files.frozen import FrozenMap
from model.files.values import number
from model.simulation.parameters import REGISTRY, Parameter

__all__ = [
    "REGISTRY_NAMES",
    "RegistrySection",
    "bounds",
    "range_text",
    "registry_value",
]

REGISTRY_NAMES = "registry names (stabsim params)"


def range_text(p: Parameter, plural: bool = False) -> str:
    """What ``p`` accepts, e.g. ``a whole number in 0 - 20000 (troops)``."""
    if plural:
        text = f"{'whole numbers' if p.integer else 'numbers'} in {p.low:g} - {p.high:g}"
        return text + f" ({p.unit})" + (" or " + ", ".join(p.choices) if p.choices else "")
    text = f"{'a whole number' if p.integer else 'a number'} in {p.low:g} - {p.high:g}"
    return text + f" ({p.unit})" + (" or one of " + ", ".join(p.choices) if p.choices else "")


def registry_value(value: Any, p: Parameter, allowed: str | None = None) -> float:
    """A value for registry entry ``p``: a number (or named choice) in its range."""
    allowed = allowed or range_text(p)
    if isinstance(value, str) and p.choices:
        word = value.strip()
        if word in p.choices:
            return float(p.choices[word])
        try:
            float(word)
        except ValueError:
            raise Problem(
                f"unknown choice {excerpt(word)} for {p.name}",
                allowed=allowed,
                suggestion=suggest(word, p.choices),
            ) from None
    x = number(value, allowed)
    if not math.isfinite(x) or not p.low <= x <= p.high:
        raise Problem(f"{x:g} is out of range", allowed=allowed)
    if p.integer and not x.is_integer():
        raise Problem(f"{x:g} is not a whole number", allowed=allowed)
    return x


def bounds(value: Any, p: Parameter) -> tuple[float, float]:
    """A range to vary ``p`` over: ``[low, high]``, or null for the registry range."""
    allowed = f"[low, high] with {range_text(p, plural=True)}, or null for the registry range"
    if value is None:
        low, high = float(p.low), float(p.high)
    else:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise Problem(f"expected [low, high], got {describe(value)}", allowed=allowed)
        low = below(0, registry_value, value[0], p, allowed)
        high = below(1, registry_value, value[1], p, allowed)
    if not low < high:
        raise Problem(f"low {low:g} is not below high {high:g}", allowed="low < high")
    return low, high


@dataclass(frozen=True)
class RegistrySection:
    """How a section keyed by registry names is checked and worded.

    Attributes:
        names: the names allowed in the section.
        what: the word for one of them in messages (``lever``, ``parameter``, ``name``).
        allowed: what is allowed, for an unknown name.
        near: the names a typo is compared with.
        misplaced: ``levers`` or ``parameters`` for a section of one kind of registry entry
            (the other kind is told where it belongs), else None.
        not_mapping: the message when the section is not a mapping (``{got}``: the value).
        shape: what is allowed when the section is not a mapping.
        entry: checks one value, given the value and the registry entry.
    """

    names: tuple[str, ...]
    what: str
    allowed: str
    near: tuple[str, ...]
    entry: Callable[[Any, Parameter], Any]
    misplaced: str | None = None
    not_mapping: str = "expected a mapping, got {got}"
    shape: str | None = None

    def check(self, value: Any) -> FrozenMap:
        """The section as name -> checked value, in file order."""
        if value is None:
            return FrozenMap()
        if not isinstance(value, Mapping):
            raise Problem(self.not_mapping.format(got=describe(value)), allowed=self.shape)
        out = {}
        for key, item in value.items():
            self.check_name(key)
            out[key] = below(key, self.entry, item, REGISTRY[key])
        return FrozenMap(out)

    def check_name(self, key: Any) -> None:
        """Raise the problem of a name that does not belong in the section."""
        if isinstance(key, str) and key in self.names:
            return
        p = REGISTRY.get(key) if isinstance(key, str) else None
        if p is not None and self.misplaced == "parameters":
            raise Problem(
                f"{key} is a{'n' if p.kind == 'initial' else ''} {p.kind}, not a lever:"
                " put it under parameters:",
                on_key=True,
                at=(key,),
            )
        if p is not None and self.misplaced == "levers":
            raise Problem(
                f"{key} is a{'n' if p.kind == 'event' else ''} {p.kind}: put it under levers:",
                on_key=True,
                at=(key,),
            )
        raise Problem(
            f"unknown {self.what} {str(key)!r}",
            allowed=self.allowed,
            suggestion=suggest(key, self.near),
            on_key=True,
            at=(key,),
        )
