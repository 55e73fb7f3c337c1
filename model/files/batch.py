"""Batch files: scenarios to run together, a master seed and an optional design.

A batch file (``docs/batches.md``) lists scenario files (or scenarios written inline), the
replicates of each and the master seed every run's seed derives from; its ``design:`` is kept as
written here and checked by ``model.files.design`` when the runs are planned.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from model.files.confine import reference
from model.files.errors import Problem, describe
from model.files.extends import resolve
from model.files.frozen import freeze, thaw
from model.files.scenario import (
    REPLICATES_RANGE,
    Scenario,
    scenario_from_file,
    scenario_from_tree,
)
from model.files.schema import Section, check, checked
from model.files.uncertainty import UncertaintyFile, written_uncertainty
from model.files.values import SEED_RANGE, identifier, mapping, text, whole
from model.files.yaml_reader import Node, abspath, error_at, read, with_src

__all__ = ["BATCH_KEYS", "Batch", "BatchFile", "load_any", "load_batch"]


@dataclass(frozen=True)
class Batch:
    """A validated batch: scenarios to run together (immutable; picklable).

    Attributes:
        name: identifier ``[a-z0-9_-]+`` (results go to ``runs/<name>/``).
        description: what the batch compares.
        path: absolute path of the batch file, or None.
        seed: master seed from which every run's seed is derived.
        replicates: replicates per scenario set by the batch (already applied to every
            scenario), or None when each scenario keeps its own.
        scenarios: the scenarios, in file order, with unique names.
        design: the ``design:`` mapping as written (plain data, validated by the design
            module), or None.
        uncertainty: the ``uncertainty:`` mapping as checked (``model.files.uncertainty``):
            the parameter ensemble shared by every scenario, or None.
    """

    name: str
    description: str = ""
    path: str | None = None
    seed: int = 0
    replicates: int | None = None
    scenarios: tuple[Scenario, ...] = ()
    design: Mapping[str, Any] | None = None
    uncertainty: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scenarios", tuple(self.scenarios))
        if self.design is not None:
            object.__setattr__(self, "design", freeze(self.design))
        if self.uncertainty is not None:
            object.__setattr__(self, "uncertainty", freeze(self.uncertainty))

    @property
    def runs(self) -> int:
        """Total runs without a design: the sum over scenarios of their replicates, times the
        parameter draws of the ensemble (the batch's, else its first scenario's)."""
        written = self.uncertainty
        if written is None and self.scenarios:
            written = self.scenarios[0].uncertainty
        draws = int(written["draws"]) if written else 1
        return draws * sum(s.replicates for s in self.scenarios)

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name`` (KeyError if none)."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The resolved batch as plain data, scenarios inline (see Scenario.to_dict)."""
        out: dict[str, Any] = {
            "batch": self.name,
            "description": self.description,
            "seed": self.seed,
        }
        if self.replicates is not None:
            out["replicates"] = self.replicates
        out["scenarios"] = [s.to_dict(full) for s in self.scenarios]
        if self.design is not None:
            out["design"] = thaw(self.design)
        if self.uncertainty is not None:
            out["uncertainty"] = thaw(self.uncertainty)
        return out


# ---- the file -----------------------------------------------------------------------------------

_ENTRIES = "a list of scenario files (relative to this file) or inline scenario mappings"


def _entries(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise Problem(f"expected a non-empty list, got {describe(value)}", allowed=_ENTRIES)
    for i, entry in enumerate(value):
        if not isinstance(entry, str | Mapping):
            raise Problem(
                f"expected a file name or a mapping, got {describe(entry)}",
                allowed=_ENTRIES,
                at=(i,),
            )
    return tuple(value)


def _design(value: Any) -> Mapping | None:
    if value is None:
        return None
    return mapping(value, "a mapping describing the experimental design")


class BatchFile(Section):
    """A batch file. Its scenarios are loaded, and its design checked, afterwards."""

    required: ClassVar[Mapping[str, str]] = {
        "batch": "batch: <a-z0-9_->",
        "scenarios": "scenarios: [file.yaml, ...]",
    }

    batch: Annotated[str, checked(identifier)]
    description: Annotated[str, checked(text, "a sentence of text")] = ""
    seed: Annotated[int, checked(whole, *SEED_RANGE)] = 0
    replicates: Annotated[int | None, checked(whole, *REPLICATES_RANGE, "runs")] = None
    scenarios: Annotated[tuple[Any, ...], checked(_entries)]
    design: Annotated[Mapping | None, checked(_design)] = None
    uncertainty: UncertaintyFile | None = None

    @classmethod
    def missing(cls, key: str) -> Problem:
        if key == "batch":
            return Problem(
                "missing required key 'batch' (a batch file starts with 'batch: <name>')",
                allowed=cls.required[key],
            )
        return super().missing(key)


BATCH_KEYS: tuple[str, ...] = BatchFile.keys()


def load_batch(path: str | os.PathLike[str]) -> Batch:
    """Load and validate a batch file and every scenario it lists.

    Raises:
        ConfigError: for any mistake, with file, line, key path and what is allowed.
    """
    return _batch_from_tree(read(path), Path(path))


def load_any(path: str | os.PathLike[str]) -> Scenario | Batch:
    """Load a batch (a file with a top-level ``batch`` key) or else a scenario."""
    tree = read(path)
    if "batch" in tree.value:
        return _batch_from_tree(tree, Path(path))
    return scenario_from_file(tree, Path(path))


def _batch_from_tree(tree: Node, file: Path) -> Batch:
    if "batch" not in tree.value:  # likely not a batch file at all: say so first
        raise error_at(tree, [], BatchFile.missing("batch"))
    posterior, _ = tree.find(["uncertainty", "posterior"])
    spec = check(BatchFile, tree, context={"posterior_base": posterior.src.directory})
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    real_batch = os.path.realpath(file)
    for i, entry in enumerate(tree.value["scenarios"].value):
        scenario = _entry(tree, i, entry, real_batch)
        if scenario.name in seen:
            raise error_at(
                tree,
                ["scenarios", i],
                Problem(
                    f"scenario name {scenario.name!r} is used twice (also scenarios[{seen[scenario.name]}])",
                    allowed="unique scenario names (set 'name:' in one of them)",
                ),
            )
        seen[scenario.name] = i
        if spec.replicates is not None:
            scenario = dataclasses.replace(scenario, replicates=spec.replicates)
        scenarios.append(scenario)
    return Batch(
        name=spec.batch,
        description=spec.description.strip(),
        path=abspath(file),
        seed=spec.seed,
        replicates=spec.replicates,
        scenarios=tuple(scenarios),
        design=spec.design,
        uncertainty=written_uncertainty(tree.plain().get("uncertainty"), spec.uncertainty),
    )


def _entry(tree: Node, i: int, entry: Node, real_batch: str) -> Scenario:
    """Scenario ``i`` of a batch: a file relative to the batch file, or an inline mapping."""

    def fail(message: str, allowed: str | None = _ENTRIES) -> Exception:
        return error_at(tree, ["scenarios", i], Problem(message, allowed=allowed))

    if isinstance(entry.value, dict):
        inline = with_src(entry, dataclasses.replace(entry.src, prefix=("scenarios", i)))
        return scenario_from_tree(resolve(inline))
    try:
        target = reference(entry.value, entry.src.directory, what="scenario file")
    except Problem as exc:
        not_found = exc.message.startswith("file not found")
        raise fail(exc.message, _ENTRIES if not_found else exc.allowed) from None
    display = os.path.normpath(os.path.join(os.path.dirname(entry.src.display or ""), entry.value))
    if os.path.realpath(target) == real_batch:
        raise fail("a batch cannot list itself")
    sub = read(target, display)
    if "batch" in sub.value:
        raise fail(f"{entry.value} is a batch file, not a scenario")
    return scenario_from_file(sub, target)
