"""The ``design:`` of a batch file: what to vary, over a grid or a sample (its schema).

.. code-block:: yaml

    design:
      kind: grid                       # grid | lhs | sobol | morris
      levers: {us_troops: [0, 2500, 5200]}
      parameters: {arrest_k: [2.0, 2.3]}

    design:
      kind: sobol
      n: 64                            # SALib's N (sobol: a power of 2)
      vary: {us_troops: [0, 10000], arrest_k: null}   # null = the registry range

A grid lists the values of each name; a sample gives each name's range. The batch keeps the
design as written; :func:`read_design` checks it when the runs are planned and
``model.experiments.design`` draws the points. The format is documented in ``docs/batches.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import model_validator

from model.files.errors import Problem, below, describe, unknown_key
from model.files.frozen import thaw
from model.files.registry import REGISTRY_NAMES, RegistrySection, bounds, range_text, registry_value
from model.files.schema import Section, check, checked
from model.files.steps import Step, check_steps, step_dims
from model.files.values import SEED_RANGE, count, flag, one_of
from model.files.yaml_reader import (
    Node,
    Source,
    error_at,
    from_plain,
    read,
    relative_display,
    with_src,
)
from model.simulation.parameters import LEVERS, PARAMETERS, Parameter

if TYPE_CHECKING:
    from model.files.batch import Batch

__all__ = ["DESIGN_KINDS", "MAX_POINTS", "SAMPLE_KINDS", "DesignSpec", "read_design"]

DESIGN_KINDS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
SAMPLE_KINDS: tuple[str, ...] = ("lhs", "sobol", "morris")
MAX_POINTS = 1_000_000
_SECTIONS = ("levers", "parameters", "vary")
_ALL_KEYS = (
    "kind", "levers", "parameters", "vary", "schedules", "n", "seed", "second_order", "levels"
)  # fmt: skip


def _grid_values(value: Any, p: Parameter) -> tuple[float, ...]:
    allowed = f"a list of {range_text(p, plural=True)}"
    items = value if isinstance(value, list | tuple) else [value]
    if not items or value is None:
        raise Problem(f"expected a non-empty list, got {describe(value)}", allowed=allowed)
    out: list[float] = []
    for i, item in enumerate(items):
        at = (i,) if isinstance(value, list | tuple) else ()
        if isinstance(item, list | tuple | Mapping):
            raise Problem(
                f"expected a number, got {describe(item)} (a grid value is a constant)",
                allowed=allowed,
                at=at,
            )
        x = below(i, registry_value, item, p, allowed) if at else registry_value(item, p, allowed)
        if x in out:
            raise Problem(f"{x:g} is listed twice", allowed="distinct values", at=at)
        out.append(x)
    return tuple(out)


def _sections(entry: Any) -> dict[str, RegistrySection]:
    shape = "name: [values] (grid) or name: [low, high] / null (samples)"
    common = {"entry": entry, "not_mapping": "expected a mapping of name: values, got {got}"}
    return {
        "levers": RegistrySection(
            LEVERS, "lever", ", ".join(LEVERS), LEVERS, misplaced="parameters", shape=shape, **common
        ),
        "parameters": RegistrySection(
            PARAMETERS, "parameter", REGISTRY_NAMES, PARAMETERS, misplaced="levers", shape=shape,
            **common,
        ),
        "vary": RegistrySection(
            LEVERS + PARAMETERS, "name", REGISTRY_NAMES, LEVERS + PARAMETERS, shape=shape, **common
        ),
    }  # fmt: skip


_GRID = _sections(_grid_values)
_SAMPLE = _sections(bounds)
_N = f"a whole number in 1 - {MAX_POINTS:,}"
_LEVELS = "an even whole number in 2 - 100"


def _optional_count(value: Any, lo: int, hi: int, allowed: str) -> int | None:
    return None if value is None else count(value, lo, hi, allowed)


def _sobol_n(value: Any) -> int:
    n = count(value, 1, MAX_POINTS, _N)
    if n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        raise Problem(
            f"{n} is not a power of 2 (Sobol' sequences need one)",
            allowed=f"a power of 2, e.g. {lower} or {lower * 2}",
        )
    return n


def _levels(value: Any) -> int:
    levels = 4 if value is None else count(value, 2, 100, _LEVELS)
    if levels % 2:
        raise Problem(f"{levels} is odd", allowed=_LEVELS)
    return levels


# The types of the keys (a section is a mapping of registry name -> grid values or bounds).
_N_TYPE = Annotated[int, checked(count, 1, MAX_POINTS, _N)]
_SEED = Annotated[int | None, checked(_optional_count, *SEED_RANGE, "a whole number >= 0")]
_GRID_LEVERS = Annotated[Mapping | None, checked(_GRID["levers"].check)]
_GRID_PARAMETERS = Annotated[Mapping | None, checked(_GRID["parameters"].check)]
_GRID_VARY = Annotated[Mapping | None, checked(_GRID["vary"].check)]
_LEVERS = Annotated[Mapping | None, checked(_SAMPLE["levers"].check)]
_PARAMETERS = Annotated[Mapping | None, checked(_SAMPLE["parameters"].check)]
_VARY = Annotated[Mapping | None, checked(_SAMPLE["vary"].check)]
_GRID_STEPS = Annotated[Mapping | None, checked(check_steps, True)]
_STEPS = Annotated[Mapping | None, checked(check_steps, False)]


class DesignSpec(Section):
    """A checked design of one kind (the classes below); its names and their values."""

    required: ClassVar[Mapping[str, str]] = {"n": "n: the sample size (SALib's N)"}

    @classmethod
    def unknown(cls, key: Any) -> Problem:
        if key in _ALL_KEYS:
            kind = cls.model_fields["kind"].default
            return Problem(
                f"{key} does not apply to a {kind} design",
                allowed=", ".join(cls.keys()),
                on_key=True,
                at=(key,),
            )
        return unknown_key(key, cls.keys())

    def entries(self) -> list[tuple[str, str, Any]]:
        """(section, name, values or bounds) of every varied name, in section and file order;
        the varied parts of lever-schedule variables come last (``schedules``)."""
        out = []
        for section in _SECTIONS:
            for name, value in (getattr(self, section) or {}).items():
                out.append((section, name, value))
        for _, dim, values in step_dims(self.steps):
            out.append(("schedules", dim, values))
        return out

    @property
    def steps(self) -> Mapping[str, Step]:
        """The lever-schedule variables (``schedules:``), by name."""
        return getattr(self, "schedules", None) or {}

    @property
    def names(self) -> tuple[str, ...]:
        """The varied names, in column order."""
        return tuple(name for _, name, _ in self.entries())

    @model_validator(mode="after")
    def _varied_once(self) -> DesignSpec:
        seen: dict[str, str] = {}
        for section, name, _ in self.entries():
            if name in seen:
                raise Problem(
                    f"{name} is varied twice (also under {seen[name]}:)",
                    allowed="each name once",
                    on_key=True,
                    at=(section, name),
                )
            seen[name] = section
        if not seen:
            raise Problem(
                "nothing to vary",
                allowed="levers:, parameters:, vary: or schedules: with at least one name",
            )
        size = self.size()
        if size > MAX_POINTS:
            what = "grid" if self.kind == "grid" else "sample"
            at = () if self.kind == "grid" else ("n",)
            raise Problem(
                f"the {what} has {size:,} points", allowed=f"at most {MAX_POINTS:,}", at=at
            )
        return self

    def size(self) -> int:
        """The number of design points."""
        d = len(self.entries())
        if self.kind == "grid":
            return math.prod(len(v) for _, _, v in self.entries())
        if self.kind == "sobol":
            return self.n * (2 * d + 2 if self.second_order else d + 2)
        if self.kind == "morris":
            return self.n * (d + 1)
        return self.n


class GridDesign(DesignSpec):
    """``kind: grid``: every combination of the listed values."""

    kind: str = "grid"
    levers: _GRID_LEVERS = None
    parameters: _GRID_PARAMETERS = None
    vary: _GRID_VARY = None
    schedules: _GRID_STEPS = None


class LhsDesign(DesignSpec):
    """``kind: lhs``: a Latin hypercube sample of ``n`` points."""

    kind: str = "lhs"
    n: _N_TYPE
    seed: _SEED = None
    levers: _LEVERS = None
    parameters: _PARAMETERS = None
    vary: _VARY = None
    schedules: _STEPS = None


class SobolDesign(DesignSpec):
    """``kind: sobol``: Saltelli's sample for Sobol' indices (``n`` a power of 2)."""

    kind: str = "sobol"
    n: Annotated[int, checked(_sobol_n)]
    seed: _SEED = None
    second_order: Annotated[bool, checked(flag)] = True
    levers: _LEVERS = None
    parameters: _PARAMETERS = None
    vary: _VARY = None
    schedules: _STEPS = None


class MorrisDesign(DesignSpec):
    """``kind: morris``: ``n`` Morris trajectories over a grid of ``levels`` levels."""

    kind: str = "morris"
    n: _N_TYPE
    seed: _SEED = None
    levels: Annotated[int, checked(_levels)] = 4
    levers: _LEVERS = None
    parameters: _PARAMETERS = None
    vary: _VARY = None
    schedules: _STEPS = None


_DESIGNS: dict[str, type[DesignSpec]] = {
    "grid": GridDesign,
    "lhs": LhsDesign,
    "sobol": SobolDesign,
    "morris": MorrisDesign,
}


def read_design(batch: Batch) -> DesignSpec | None:
    """Check a batch's ``design:`` (None if it has none).

    Raises:
        ConfigError: one line naming the batch file, line, key, what is allowed and, for a
            misspelt name, the closest valid one.
    """
    if batch.design is None:
        return None
    tree = _located(batch)
    spec = thaw(batch.design)
    if not isinstance(spec, Mapping):
        raise error_at(
            tree, [], Problem(f"expected a mapping, got {describe(spec)}", allowed="kind: ...")
        )
    if "kind" not in spec:
        raise error_at(
            tree, [], Problem("missing required key 'kind'", allowed=", ".join(DESIGN_KINDS))
        )
    try:
        kind = one_of(spec["kind"], DESIGN_KINDS, "design kind")
    except Problem as exc:
        raise error_at(tree, ["kind"], exc) from None
    return check(_DESIGNS[kind], tree, data=spec)


def _located(batch: Batch) -> Node:
    """The design as written in the batch file, for the lines of messages (else no lines)."""
    file = relative_display(batch.path) if batch.path else None
    src = Source(file, os.getcwd(), ("design",))
    if batch.path and os.path.exists(batch.path):
        try:
            node = read(batch.path, file).value.get("design")
        except Exception:  # noqa: BLE001 - lines are a courtesy; the message stands without
            node = None
        if node is not None:
            return with_src(node, src)
    return from_plain(thaw(batch.design), src)
