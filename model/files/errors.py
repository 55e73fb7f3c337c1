"""Errors in user files: :class:`ConfigError` (one line) and the helpers every message uses.

A check that finds a mistake raises :class:`Problem` (what is wrong, what is allowed, the closest
valid name, and where below the checked value it is); the file readers turn it into a
:class:`ConfigError` that names the file, the line and the key path. The wording helpers
(:func:`describe`, :func:`suggest`, :func:`key_path`, :func:`names_text`) are shared by every
file kind and by the analysis layers.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

EXCERPT = 32
"""Most characters of a user's text a message quotes (files are never echoed whole)."""
_MESSAGE_MAX = 600  # a backstop: no message part echoes more than this
__all__ = [
    "EXCERPT",
    "ConfigError",
    "Problem",
    "as_number",
    "below",
    "describe",
    "excerpt",
    "key_path",
    "names_text",
    "suggest",
    "unknown_key",
]


class ConfigError(Exception):
    """A mistake in a scenario, batch, study or target file, reported as one line.

    ``str(error)`` is ``"<file>:<line>: <key>: <what is wrong>; allowed: <...>; did you mean
    '<x>'?"``; parts that are unknown are left out.

    Attributes:
        file: path of the file where the offending key is written (None if not from a file).
        line: 1-based line number, or None.
        key: dotted key path such as ``levers.us_troops[1].value`` (None for the whole file).
        message: what is wrong.
        allowed: what would be accepted (text), or None.
        suggestion: the closest valid name for a typo, or None.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        allowed: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.allowed = allowed
        self.suggestion = suggestion
        super().__init__(message)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        key = f"{_cut(self.key, 160)}: " if self.key else ""
        text = where + key + _cut(self.message, _MESSAGE_MAX)
        if self.allowed:
            text += f"; allowed: {_cut(self.allowed, _MESSAGE_MAX)}"
        if self.suggestion:
            text += f"; did you mean '{_cut(self.suggestion, 80)}'?"
        return " ".join(text.splitlines())

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {k: getattr(self, k) for k in ("file", "line", "key", "allowed", "suggestion")}
        return (_rebuild_error, (type(self), self.message, kwargs))


def _rebuild_error(cls: type[ConfigError], message: str, kwargs: dict[str, Any]) -> ConfigError:
    return cls(message, **kwargs)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class Problem(ValueError):
    """A mistake found in a value, before it is placed in a file.

    A ValueError, so that pydantic collects it like its own errors (``ctx["error"]``).

    Attributes:
        message: what is wrong.
        allowed: what would be accepted, or None.
        suggestion: the closest valid name, or None.
        on_key: report the line of the key rather than of its value.
        at: where the mistake is below the checked value (keys and list indices).
    """

    def __init__(
        self,
        message: str,
        *,
        allowed: str | None = None,
        suggestion: str | None = None,
        on_key: bool = False,
        at: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed
        self.suggestion = suggestion
        self.on_key = on_key
        self.at = tuple(at)

    def below(self, *parts: Any) -> Problem:
        """The same problem, placed ``parts`` further up (``parts`` + ``at``)."""
        return Problem(
            self.message,
            allowed=self.allowed,
            suggestion=self.suggestion,
            on_key=self.on_key,
            at=(*parts, *self.at),
        )


def below(part: Any, check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)``, with a problem it raises placed below key or index ``part``."""
    try:
        return check(*args)
    except Problem as exc:
        raise exc.below(part) from None


def suggest(word: Any, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (a likely typo), or None."""
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def excerpt(value: Any, width: int = EXCERPT) -> str:
    """A user's value as a message quotes it: ``repr`` (control characters escaped), cut to
    about ``width`` characters with ``...`` (a file's content is never echoed whole)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= width else repr(value[:width]) + "..."
    text = repr(value)
    return text if len(text) <= width + 2 else text[:width] + "..."


def describe(value: Any) -> str:
    """A value as a message shows it: ``'text'``, ``5``, ``a list``, ``nothing (null)``..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict | Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return excerpt(value)
    return _cut(str(value), EXCERPT + 8)


def key_path(parts: Iterable[Any]) -> str:
    """A key path as written in messages, e.g. ``levers.us_troops[1].value``."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            text = part.isoformat()[:7] if isinstance(part, _dt.date) else str(part)
            out += ("." if out else "") + _cut(" ".join(text.split()) or repr(text), 48)
    return out


def names_text(names: Iterable[str], limit: int = 14, what: str = "names") -> str:
    """The names joined by commas, or ``one of <n> <what>`` when there are many."""
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return f"one of {len(names)} {what}"


def as_number(value: Any) -> float | None:
    """A number written as a number or as text (PyYAML reads ``5e3`` as text), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return None
    return None


def unknown_key(key: Any, allowed: tuple[str, ...], what: str = "key") -> Problem:
    """The problem of a key that is not one of ``allowed`` (with the closest one)."""
    return Problem(
        f"unknown {what} {excerpt(str(key))}",
        allowed=", ".join(allowed),
        suggestion=suggest(key, allowed),
        on_key=True,
        at=(key,),
    )
