"""The one YAML reader of every user file: a located tree that keeps the line of every key.

:func:`read` parses a file safely into :class:`Node` objects that know their file and lines:
a regular UTF-8 file of at most 4 MB (``model.files.confine``), no duplicate keys, printable
characters only, at most :data:`MAX_DEPTH` levels of nesting, :data:`MAX_ALIASES` aliases and
:data:`MAX_NODES` values once aliases are expanded, and dates that exist; :func:`error_at` turns a
:class:`~model.files.errors.Problem` found at a key path into a one-line
:class:`~model.files.errors.ConfigError` naming the file, line and key.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from model.files.confine import read_text
from model.files.errors import ConfigError, Problem, describe, excerpt, key_path

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Node",
    "Source",
    "abs_note",
    "abspath",
    "error_at",
    "from_plain",
    "parse",
    "read",
    "relative_display",
    "with_src",
]

MAX_NODES = 200_000
"""Most YAML values a file may expand to (aliases make small files huge)."""
MAX_DEPTH = 64
"""Most levels of nesting (deeper documents would exhaust the parser's recursion)."""
MAX_ALIASES = 1_000
"""Most aliases (``*name``) in a file."""
SCENARIO_EMPTY = "a mapping of keys, e.g. 'name: my_scenario' (see docs/scenarios.md)"
SCENARIO_TOP = "'key: value' lines (see docs/scenarios.md)"


@dataclass(frozen=True)
class Source:
    """A file: the path shown in messages and the directory relative paths start from.

    ``prefix`` is the key path of the file's values in messages (e.g. ``scenarios[1]`` for a
    scenario written inside a batch file).
    """

    display: str | None
    directory: str
    prefix: tuple[Any, ...] = ()


@dataclass
class Node:
    """A YAML value with where it is written.

    ``value`` is a dict of key -> Node, a list of Node, or a scalar. ``line`` is the line of the
    value; ``key_line`` the line of its key (None for list items and the document).
    """

    value: Any
    src: Source
    line: int | None = None
    key_line: int | None = None

    @property
    def at(self) -> int | None:
        """Line to report for a problem with this value."""
        if isinstance(self.value, dict | list) and self.key_line is not None:
            return self.key_line
        return self.line if self.line is not None else self.key_line

    @property
    def key_at(self) -> int | None:
        """Line to report for a problem with this value's key."""
        return self.key_line if self.key_line is not None else self.line

    def plain(self) -> Any:
        """The value as plain data (dicts, lists, scalars)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def find(self, path: Iterable[Any]) -> tuple[Node, bool]:
        """The node at ``path``, or its deepest written parent; and whether it is the node."""
        node = self
        for part in path:
            child = _child(node.value, part)
            if child is None:
                return node, False
            node = child
        return node, True

    def spans(self) -> dict[int, tuple[int, int]]:
        """Each node's first and last position in document order (pre-order), by ``id``.

        The last position is that of the node's last descendant: a key that is not written
        (a missing key) sorts after everything written in its mapping.
        """
        out: dict[int, tuple[int, int]] = {}

        def walk(node: Node) -> int:
            first = last = len(out)
            out[id(node)] = (first, first)
            if isinstance(node.value, dict | list):
                children = node.value.values() if isinstance(node.value, dict) else node.value
                for child in children:
                    last = walk(child)
            out[id(node)] = (first, last)
            return last

        walk(self)
        return out


def _child(value: Any, part: Any) -> Node | None:
    if isinstance(value, dict):
        return value.get(part) if _hashable(part) else None
    if isinstance(value, list) and isinstance(part, int) and not isinstance(part, bool):
        return value[part] if 0 <= part < len(value) else None
    return None


def _hashable(part: Any) -> bool:
    try:
        hash(part)
    except TypeError:
        return False
    return True


def error_at(
    tree: Node, path: Iterable[Any], problem: Problem, *, root_line: bool = True
) -> ConfigError:
    """The ConfigError of ``problem`` found at ``path`` (below ``tree``; ``problem.at`` added).

    The line is that of the value (or of its key, for ``problem.on_key``); a path that is not
    written (a missing key) is reported at its nearest written parent. ``root_line=False``
    leaves out the line of mistakes that concern the whole document.
    """
    path = [*path, *problem.at]
    node, found = tree.find(path)
    line = node.key_at if found and problem.on_key else node.at
    if node is tree and not root_line:
        line = None
    return ConfigError(
        problem.message,
        file=node.src.display,
        line=line,
        key=key_path([*node.src.prefix, *path]) or None,
        allowed=problem.allowed,
        suggestion=problem.suggestion,
    )


# ---- reading ----------------------------------------------------------------------------------


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _find_duplicate(construct: Any, node: yaml.MappingNode) -> tuple[Any, int, int] | None:
    """The first repeated key of a mapping node: (key, its line, line of its first use)."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = construct(key_node)
        if not _hashable(key):  # pragma: no cover - scalar keys are hashable
            continue
        line = key_node.start_mark.line + 1
        if key in seen:
            return key, line, seen[key]
        seen[key] = line
    return None


class _Limit(Exception):
    """A limit of the reader exceeded while composing (message, line)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with limits on nesting and aliases while it composes the document
    (its composer recurses once per level, so depth is checked before Python's limit)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.aliases = 0

    def _line(self) -> int:
        return self.peek_event().start_mark.line + 1

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Limit(f"more than {MAX_ALIASES:,} aliases (*name)", self._line())
        return super().compose_node(parent, index)

    def _nested(self, compose: Any, anchor: Any) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Limit(f"nested more than {MAX_DEPTH} levels deep", self._line())
        try:
            return compose(anchor)
        finally:
            self.depth -= 1

    def compose_sequence_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_mapping_node, anchor)


def _locate(loader: yaml.SafeLoader, root: yaml.Node, src: Source) -> Node:
    count = 0
    active: set[int] = set()

    def fail(message: str, line: int | None, path: list[Any], **extra: Any) -> ConfigError:
        return ConfigError(
            message, file=src.display, line=line, key=key_path(path) or None, **extra
        )

    def scalar(node: yaml.ScalarNode, line: int, path: list[Any]) -> Any:
        try:
            return loader.construct_object(node)
        # PyYAML's constructors fail on what their patterns let through: 2017-02-30 (a date
        # that does not exist), "!!int" with no digits, integers of over 4300 digits.
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
            if node.tag == "tag:yaml.org,2002:timestamp":
                raise fail(f"{excerpt(node.value)} is not a date: {exc}", line, path) from None
            what = excerpt(node.value) if node.value else "an empty value"
            raise fail(
                f"{what} cannot be read as {node.tag.rsplit(':', 1)[-1]}", line, path
            ) from None

    def walk(node: yaml.Node, key_line: int | None, path: list[Any]) -> Node:
        nonlocal count
        count += 1
        line = node.start_mark.line + 1
        if count > MAX_NODES:
            raise fail(f"more than {MAX_NODES:,} values once aliases are expanded", None, path[:1])
        if len(path) > MAX_DEPTH:
            raise fail(f"nested more than {MAX_DEPTH} levels deep (through aliases)", line, [])
        if id(node) in active:
            raise fail("recursive YAML alias", line, path)
        if isinstance(node, yaml.ScalarNode):
            return Node(scalar(node, line, path), src, line, key_line)
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = [walk(item, None, [*path, i]) for i, item in enumerate(node.value)]
                return Node(items, src, line, key_line)
            dup = _find_duplicate(lambda k: scalar(k, k.start_mark.line + 1, path), node)
            if dup is not None:
                key, k_line, first = dup
                raise fail(
                    f"duplicate key {excerpt(str(key))} (first written at line {first})",
                    k_line,
                    [*path, key],
                    allowed="each key once in a mapping",
                )
            loader.flatten_mapping(node)
            out: dict[Any, Node] = {}
            for key_node, value_node in node.value:
                k_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise fail("a key must be a plain word or number", k_line, path)
                key = scalar(key_node, k_line, path)
                out[key] = walk(value_node, k_line, [*path, key])
            return Node(out, src, line, key_line)
        finally:
            active.discard(id(node))

    return walk(root, None, [])


def read(
    path: str | os.PathLike[str],
    display: str | None = None,
    *,
    noun: str = "YAML file",
    empty_hint: str = SCENARIO_EMPTY,
    top_hint: str = SCENARIO_TOP,
) -> Node:
    """Parse one YAML file into a located tree whose top level is a mapping.

    Args:
        path: the file.
        display: the path shown in messages (default: ``path`` as given).
        noun: what the file should be, for the message about a directory.
        empty_hint: what is allowed, for an empty file.
        top_hint: what is allowed, for a file whose top level is not a mapping.

    Raises:
        ConfigError: if the file cannot be read, is not YAML or is not a mapping, or exceeds a
            limit (size, nesting, aliases, values).
    """
    display = display or os.fspath(path)
    text = read_text(path, display, noun=noun)
    src = Source(display, str(Path(path).absolute().parent))
    tree = parse(text, src, empty_hint=empty_hint)
    if not isinstance(tree.value, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys, got {describe(tree.value)}",
            file=display,
            line=tree.line,
            allowed=top_hint,
        )
    return tree


def parse(text: str, src: Source, *, empty_hint: str = SCENARIO_EMPTY) -> Node:
    """Parse YAML text (of the file ``src``) into a located tree, within the reader's limits.

    Raises:
        ConfigError: the text is empty, is not YAML, or exceeds a limit.
    """
    display = src.display
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ConfigError("file is empty", file=display, allowed=empty_hint)
        return _locate(loader, node, src)
    except _Limit as exc:
        message, line = exc.args
        raise ConfigError(message, file=display, line=line) from None
    except yaml.reader.ReaderError as exc:  # a NUL byte or another unprintable character
        line = text.count("\n", 0, exc.position) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise ConfigError(
            f"character {char!r} is not allowed in YAML",
            file=display,
            line=line,
            allowed="printable UTF-8 text",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        parts = [excerpt(s, 120)[1:-1] for s in (exc.context, exc.problem) if s]
        raise ConfigError(
            "YAML syntax error: " + ": ".join(parts), file=display, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {excerpt(str(exc), 120)[1:-1]}", file=display) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", file=display) from None
    finally:
        if loader is not None:
            loader.dispose()


def from_plain(value: Any, src: Source) -> Node:
    """A tree (without lines) for plain data."""
    if isinstance(value, Mapping):
        return Node({k: from_plain(v, src) for k, v in value.items()}, src)
    if isinstance(value, list | tuple):
        return Node([from_plain(v, src) for v in value], src)
    return Node(value, src)


def with_src(node: Node, src: Source) -> Node:
    """A copy of a tree attributed to ``src`` (e.g. an inline scenario inside a batch)."""
    value = node.value
    if isinstance(value, dict):
        value = {k: with_src(v, src) for k, v in value.items()}
    elif isinstance(value, list):
        value = [with_src(v, src) for v in value]
    return Node(value, src, node.line, node.key_line)


def abspath(path: str | os.PathLike[str]) -> str:
    """The absolute, normalised path."""
    return os.path.normpath(os.path.abspath(path))


def abs_note(shown: str, path: Path) -> str:
    """`` (/absolute/path)`` when the path as written is not already absolute."""
    full = abspath(path)
    return "" if os.path.normpath(shown) == full else f" ({full})"


def relative_display(path: str | os.PathLike[str]) -> str:
    """A path as messages show it: relative to the working directory when below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return os.fspath(path)
