"""Where user files may point, and how much of a file is read.

A file named on the command line is read as given. A file or folder that a file *refers to*
(``extends``, a batch's ``scenarios:``, a study's ``scenario:``, ``initial: data:``) must lie,
after following symbolic links, under the working folder, under the referring file's folder, or
under the packaged ``scenarios/`` folder; other folders are allowed explicitly with
``--allow-path DIR`` (:func:`allow`) or the environment variable ``STABSIM_ALLOW_PATHS``
(folders separated by ``:``; ``/`` allows every path). Every file read must be a regular file
(not a device, a pipe or a folder) no larger than a limit, so that ``/dev/zero`` or a huge file
cannot exhaust memory.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from model.files.errors import ConfigError, Problem

__all__ = [
    "ALLOW_ENV",
    "ALLOW_HINT",
    "MAX_JSON_BYTES",
    "MAX_YAML_BYTES",
    "allow",
    "allowed_roots",
    "read_json",
    "read_text",
    "reference",
    "reset_allowed",
]

ALLOW_ENV = "STABSIM_ALLOW_PATHS"
ALLOW_HINT = f"allow other folders with --allow-path DIR or {ALLOW_ENV}=DIR"
MAX_YAML_BYTES = 4 * 1024 * 1024
"""Largest scenario, batch, study or target file read (the largest shipped is 25 kB)."""
MAX_JSON_BYTES = 1024 * 1024 * 1024
"""Largest manifest or study record read (a manifest of a million runs is about 200 MB)."""
PACKAGED_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
_allowed: list[str] = []


def allow(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Allow references into these folders too (``--allow-path``), for this process."""
    for path in paths:
        real = os.path.realpath(path)
        if real not in _allowed:
            _allowed.append(real)


def reset_allowed() -> None:
    """Forget the folders added with :func:`allow`."""
    _allowed.clear()


def allowed_roots(referring_dir: str | os.PathLike[str] | None) -> list[str]:
    """The folders a reference from a file in ``referring_dir`` may point into."""
    roots = [os.path.realpath(os.getcwd())]
    if referring_dir is not None:
        roots.append(os.path.realpath(referring_dir))
    roots.append(str(PACKAGED_SCENARIOS))
    roots += _allowed
    roots += [os.path.realpath(p) for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p]
    return roots


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def reference(
    written: str,
    referring_dir: str | os.PathLike[str],
    *,
    what: str = "scenario file",
    folder: bool = False,
) -> Path:
    """The file (or folder) a user file refers to, checked: it exists, is of the right kind
    and lies where references may point.

    Args:
        written: the path as written in the file (relative to ``referring_dir``).
        referring_dir: the folder of the referring file.
        what: what the path should name, for messages.
        folder: whether it should be a folder rather than a regular file.

    Raises:
        Problem: the path is missing, of the wrong kind, or outside the allowed folders.
    """
    if "\0" in written:
        raise Problem("a path cannot hold a NUL character", allowed=f"a {what}")
    target = Path(referring_dir, written)
    full = os.path.normpath(os.path.abspath(target))
    shown = written if os.path.normpath(written) == full else f"{written} ({full})"
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if folder:
            raise Problem(
                f"directory not found: {shown}",
                allowed="an existing directory, relative to this file",
            ) from None
        raise Problem(f"file not found: {shown}") from None
    except OSError as exc:
        raise Problem(f"cannot use {shown}: {exc.strerror}", allowed=f"a {what}") from None
    real = os.path.realpath(target)
    roots = allowed_roots(referring_dir)
    if not any(_inside(real, root) for root in roots):
        resolved = "" if real == full else f" (it leads to {real})"
        raise Problem(
            f"{written} is outside the working folder and this file's folder{resolved}",
            allowed=f"files under {' or '.join(dict.fromkeys(roots[:2]))}; {ALLOW_HINT}",
        )
    if folder:
        if not stat.S_ISDIR(info.st_mode):
            raise Problem(f"{written} is not a directory")
    elif stat.S_ISDIR(info.st_mode):
        raise Problem(f"{written} is a directory, not a {what}")
    elif not stat.S_ISREG(info.st_mode):
        raise Problem(f"{written} is not a regular file (a device or a pipe?)", allowed=f"a {what}")
    return target


def _open_regular(path: Path, display: str, noun: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (ConfigError otherwise)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        full = os.path.normpath(os.path.abspath(path))
        note = "" if os.path.normpath(display) == full else f" ({full})"
        raise ConfigError("file not found" + note, file=display) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=display) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"is a directory, not a {noun}", file=display)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"is not a regular file (a device or a pipe?), not a {noun}", file=display
        )
    if info.st_size > limit:
        raise ConfigError(
            f"is {info.st_size:,} bytes, too large for a {noun}", file=display, allowed=_size(limit)
        )
    try:
        # O_NONBLOCK: a file swapped for a pipe after the check cannot block the read
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ConfigError(f"is not a regular file, not a {noun}", file=display)
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=display) from None
    if len(data) > limit:
        raise ConfigError(f"too large for a {noun}", file=display, allowed=_size(limit))
    return data


def _size(limit: int) -> str:
    return f"at most {limit // (1024 * 1024)} MB"


def read_text(
    path: str | os.PathLike[str],
    display: str,
    *,
    noun: str = "YAML file",
    limit: int = MAX_YAML_BYTES,
) -> str:
    """The text of a user file: a regular UTF-8 file of at most ``limit`` bytes.

    Raises:
        ConfigError: the file is missing, not a regular file, too large or not UTF-8.
    """
    data = _open_regular(Path(path), display, noun, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=display, line=line) from None


def read_json(
    path: str | os.PathLike[str], display: str | None = None, *, noun: str = "JSON file"
) -> Any:
    """The data of a JSON file written by stabsim (a manifest, a study record), read with the
    same care as user files.

    Raises:
        ConfigError: the file is missing, not a regular file, too large, not UTF-8 or not JSON.
    """
    display = display or os.fspath(path)
    text = read_text(path, display, noun=noun, limit=MAX_JSON_BYTES)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", file=display, line=exc.lineno) from None
    except (RecursionError, ValueError) as exc:  # nested too deeply; numbers too long
        message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"not valid JSON: {message}", file=display) from None
