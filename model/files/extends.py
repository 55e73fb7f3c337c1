"""``extends``: a scenario file written as changes to another one.

The chain of files is read and merged before the scenario is validated: ``levers``,
``parameters`` and ``forces`` are merged name by name, ``deployments`` by area and force and
``initial`` down to its columns; every other key, and every list (``events`` included), is
replaced by the child's value. Names and descriptions are not inherited.
"""

from __future__ import annotations

import os
from pathlib import Path

from model.files.errors import Problem
from model.files.values import text
from model.files.yaml_reader import Node, abs_note, error_at, read

__all__ = ["EXTENDS_ALLOWED", "resolve"]

EXTENDS_ALLOWED = "a scenario file path, relative to this file"
# Keys whose mappings are merged (depth = mapping levels merged); all other keys, and lists
# everywhere, are replaced by the child's value.
_MERGE_DEPTH = {"levers": 1, "parameters": 1, "initial": 3, "forces": 1, "deployments": 2}
_NOT_INHERITED = ("name", "description", "extends")


def resolve(tree: Node, chain: tuple[str, ...] = ()) -> Node:
    """A scenario mapping merged over the files it extends, if any.

    Args:
        tree: the scenario as written (a file, or a mapping inside a batch file).
        chain: real paths of the files already in the chain (``tree``'s own first), to find
            cycles.

    Raises:
        ConfigError: for a file that is missing, a batch or part of a cycle, or a mistake in
            a file read on the way.
    """
    for section in _MERGE_DEPTH:  # an empty section is an empty mapping, not a reset
        if section in tree.value and tree.value[section].value is None:
            tree.value[section].value = {}
    ext = tree.value.get("extends")
    if ext is None:
        return tree

    def fail(message: str, allowed: str | None = None) -> Exception:
        return error_at(tree, ["extends"], Problem(message, allowed=allowed))

    try:
        rel = text(ext.value, EXTENDS_ALLOWED)
    except Problem as exc:
        raise error_at(tree, ["extends"], exc) from None
    target = Path(ext.src.directory, rel)
    display = os.path.normpath(os.path.join(os.path.dirname(ext.src.display or ""), rel))
    real = os.path.realpath(target)
    names = [*chain, real]
    if real in chain:
        shown = " -> ".join(os.path.basename(c) for c in names)
        raise fail(f"cycle: {shown}", "a chain without cycles")
    if not target.exists():
        raise fail(f"file not found: {rel}{abs_note(rel, target)}")
    if target.is_dir():
        raise fail(f"{rel} is a directory, not a scenario file")
    parent_tree = read(target, display)
    if "batch" in parent_tree.value:
        raise fail(f"{rel} is a batch file, not a scenario")
    return _merge_scenarios(resolve(parent_tree, tuple(names)), tree)


def _merge(parent: Node, child: Node, depth: int) -> Node:
    if depth <= 0 or not isinstance(parent.value, dict) or not isinstance(child.value, dict):
        return child
    out = dict(parent.value)
    for key, value in child.value.items():
        out[key] = _merge(out[key], value, depth - 1) if key in out else value
    return Node(out, child.src, child.line, child.key_line)


def _merge_scenarios(parent: Node, child: Node) -> Node:
    # The child's keys first: its own mistakes are reported before those it inherits.
    out = {}
    for key, value in child.value.items():
        if key in parent.value and key in _MERGE_DEPTH:
            out[key] = _merge(parent.value[key], value, _MERGE_DEPTH[key])
        else:
            out[key] = value
    for key, value in parent.value.items():
        if key not in out and key not in _NOT_INHERITED:
            out[key] = value
    return Node(out, child.src, child.line, child.key_line)
