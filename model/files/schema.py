"""The file schemas' base: frozen pydantic sections, our value types, one error translator.

Every user file (scenario, batch and its design, sensitivity study, targets) is declared as
:class:`Section` models: their fields are the keys a file may write (unknown keys are rejected),
typed with :func:`checked` values whose checks live in ``model.files.values`` and
``model.files.registry``. :func:`check` validates a located YAML tree with a model and turns
the first mistake in document order into a one-line :class:`~model.files.errors.ConfigError`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, model_validator

from model.files.errors import ConfigError, Problem, describe, unknown_key
from model.files.yaml_reader import Node, error_at

__all__ = ["Section", "check", "checked", "checked_after"]

M = TypeVar("M", bound="Section")


class Section(BaseModel):
    """A mapping of a user file with fixed keys (frozen; unknown keys rejected).

    Subclasses declare the keys as fields, in the order messages list them, and may set the
    class attributes below to word their mistakes.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", protected_namespaces=(), arbitrary_types_allowed=True
    )

    not_mapping: ClassVar[str] = "expected a mapping, got {got}"
    """The message when the value is not a mapping (``{got}``: the value described)."""
    shape: ClassVar[str | None] = "a mapping of 'key: value' lines"
    """What is allowed when the value is not a mapping."""
    required: ClassVar[Mapping[str, str]] = {}
    """What is allowed, per required key, when it is missing."""
    null_is_missing: ClassVar[bool] = False
    """Whether a required key written as null counts as missing."""

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise Problem(cls.not_mapping.format(got=describe(data)), allowed=cls.shape)
        if cls.null_is_missing:
            fields = cls.model_fields
            data = {
                k: v
                for k, v in data.items()
                if v is not None or k not in fields or not fields[k].is_required()
            }
        return data

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The keys of the section, in declaration order."""
        return tuple(f.alias or name for name, f in cls.model_fields.items())

    @classmethod
    def unknown(cls, key: Any) -> Problem:
        """The problem of an unknown key (``at`` the key, below the section)."""
        return unknown_key(key, cls.keys())

    @classmethod
    def missing(cls, key: str) -> Problem:
        """The problem of a missing required key (reported at the section)."""
        return Problem(f"missing required key {key!r}", allowed=cls.required.get(key))


def checked(check: Callable[..., Any], *args: Any, **kwargs: Any) -> PlainValidator:
    """A field validator running ``check(value, *args, **kwargs)``."""
    return PlainValidator(lambda value: check(value, *args, **kwargs))


def checked_after(check: Callable[..., Any], *args: Any, **kwargs: Any) -> PlainValidator:
    """A field validator running ``check(value, earlier, *args, **kwargs)``.

    ``earlier`` holds the keys declared (and checked) before this one, e.g. the method of a
    study when its sample size is checked.
    """
    return PlainValidator(lambda value, info: check(value, info.data, *args, **kwargs))


def check(
    model: type[M],
    tree: Node | Callable[[], Node],
    *,
    data: Any = None,
    context: Mapping[str, Any] | None = None,
    root_line: bool = True,
) -> M:
    """Validate a located tree (or ``data`` located by it) with ``model``.

    Args:
        model: the section the data must be.
        tree: the data as written, or a function making it when a message needs it (plain
            data without a file has no lines to find).
        data: the data to validate, if not ``tree.plain()``.
        context: values the checks may need (e.g. the directory relative paths start from).
        root_line: whether a mistake of the whole document is given the document's line.

    Raises:
        ConfigError: the first mistake in document order: file, line, key path, what is
            allowed and the closest valid name.
    """
    try:
        return model.model_validate(tree.plain() if data is None else data, context=context)
    except ValidationError as exc:
        located = tree if isinstance(tree, Node) else tree()
        raise first_error(exc, model, located, root_line=root_line) from None


def first_error(
    exc: ValidationError, model: type[Section], tree: Node, *, root_line: bool = True
) -> ConfigError:
    """The ConfigError of the mistake of ``exc`` written first in the document."""
    spans = tree.spans()
    found = []
    for err in exc.errors(include_url=False):
        path, problem = _problem(err, model)
        where = [*err["loc"]] if err["type"] == "missing" else [*path, *problem.at]
        node, written = tree.find(where)
        first, last = spans[id(node)]
        # A mistake at a key that is not written (missing) comes after its mapping's content.
        found.append(((first, 0) if written else (last, 1), path, problem))
    _, path, problem = min(found, key=lambda f: f[0])
    return error_at(tree, path, problem, root_line=root_line)


def _problem(err: Mapping[str, Any], model: type[Section]) -> tuple[tuple[Any, ...], Problem]:
    """A pydantic error as (key path, our problem)."""
    loc, kind = tuple(err["loc"]), err["type"]
    error = (err.get("ctx") or {}).get("error")
    if isinstance(error, Problem):
        return loc, error
    owner = _section_at(model, loc[:-1])
    if kind in ("extra_forbidden", "invalid_key") and owner is not None:
        return loc[:-1], owner.unknown(loc[-1])
    if kind == "missing" and owner is not None:
        return loc[:-1], owner.missing(loc[-1])
    return loc, Problem(str(err["msg"]))  # pragma: no cover - every check raises a Problem


def _section_at(model: type[Section], loc: tuple[Any, ...]) -> type[Section] | None:
    """The Section model that validates the value at ``loc`` (None if not a Section)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, Section):
            by_key = {f.alias or n: f for n, f in tp.model_fields.items()}
            if part not in by_key:
                return None
            tp = by_key[part].annotation
        elif typing.get_origin(tp) in (list, tuple):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (dict, Mapping):
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, Section) else None


def _unwrap(tp: Any) -> Any:
    """``X`` of ``Annotated[X, ...]`` and of ``X | None``."""
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp
