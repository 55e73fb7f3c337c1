"""Immutable plain data: :class:`FrozenMap` and deep freezing/thawing of mappings and lists.

Validated objects (scenarios, batches, studies, designs) hold their mappings frozen so that they
are hashable, picklable for worker processes and cannot be changed by accident.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = ["FrozenMap", "freeze", "thaw"]


class FrozenMap(Mapping):
    """A read-only, hashable, picklable mapping (keeps insertion order)."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping | Iterable[tuple[Any, Any]] = ()) -> None:
        object.__setattr__(self, "_d", dict(data))

    def __getitem__(self, key: Any) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        return hash(frozenset(self._d.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._d,))


def freeze(value: Any) -> Any:
    """Mappings as FrozenMaps and lists as tuples, all the way down."""
    if isinstance(value, Mapping):
        return FrozenMap((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Mappings as dicts and tuples as lists, all the way down (plain, serialisable data)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value
