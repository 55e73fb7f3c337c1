"""Argument types of the ``stabsim`` options: whole numbers in a range, shares, names and output
folders, each checked when the command line is read, so that a bad value is one line and exit 2
before any work starts (0 is a value, never "not given").
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "HORIZON",
    "REPLICATES",
    "SEED",
    "WORKERS",
    "fraction",
    "name",
    "names",
    "output_folder",
    "positive",
    "share",
    "whole",
]

NAME_MAX_BYTES = 255
"""Longest file or folder name most file systems take (bytes)."""
PATH_MAX_BYTES = 4000


def whole(lo: int = 1, hi: int | None = None) -> Callable[[str], int]:
    """An argument type: a whole number in ``lo`` - ``hi`` (no upper bound if None)."""
    allowed = f"a whole number >= {lo}" if hi is None else f"a whole number in {lo} - {hi}"

    def parse(text: str) -> int:
        try:
            n = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {allowed}, got {text!r}") from None
        if n < lo or (hi is not None and n > hi):
            raise argparse.ArgumentTypeError(f"expected {allowed}, got {n}")
        return n

    parse.__name__ = "whole number"
    return parse


positive = whole(1)
"""An argument type: a whole number >= 1."""
WORKERS = whole(1, 1024)
REPLICATES = whole(1, 10_000)
HORIZON = whole(1, 600)
SEED = whole(0, 2**63 - 1)
DRAWS = whole(0, 100_000)
"""Parameter draws of an ensemble (0: hold the parameters at their values)."""


def _number(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def share(text: str) -> float:
    """An argument type: a number in (0, 1]."""
    x = _number(text)
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {x:g}")
    return x


fraction = share


def name(text: str) -> str:
    """An argument type: a name of lower-case letters, digits, '_' and '-' (it becomes a file
    name)."""
    from model.files.errors import Problem
    from model.files.values import identifier

    try:
        return identifier(text)
    except Problem as exc:
        extra = f" ({exc.allowed})" if exc.allowed else ""
        raise argparse.ArgumentTypeError(f"{exc.message}{extra}") from None


def names(text: str) -> str:
    """An argument type: comma-separated names, at least one (an option given empty is a
    mistake, not "the default"); kept as written for the command's own checks."""
    if not any(part.strip() for part in text.split(",")):
        raise argparse.ArgumentTypeError(f"expected one or more names as A,B,..., got {text!r}")
    return text


def output_folder(text: str) -> str:
    """An argument type: a folder that can be written, or created (nothing is created here).

    The folder itself, or the nearest folder above it that exists, must be a folder this process
    may write in, and each name in the path must be short enough for the file system.
    """
    if not text or "\0" in text:
        raise argparse.ArgumentTypeError(f"expected a folder, got {text!r}")
    path = Path(text)
    parts = [p for p in path.parts if p not in ("/", "")]
    long = [p for p in parts if len(os.fsencode(p)) > NAME_MAX_BYTES]
    if long:
        raise argparse.ArgumentTypeError(
            f"the name {long[0][:24]}... is longer than {NAME_MAX_BYTES} bytes"
        )
    if len(os.fsencode(os.path.abspath(text))) > PATH_MAX_BYTES:
        raise argparse.ArgumentTypeError(f"the path is longer than {PATH_MAX_BYTES} bytes")
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    if not probe.exists():  # a broken link, or nothing exists at all
        raise argparse.ArgumentTypeError(f"{probe} does not lead to a folder")
    if not probe.is_dir():
        what = (
            "is a file, not a folder" if probe == path else f"cannot be created ({probe} is a file)"
        )
        raise argparse.ArgumentTypeError(f"{text} {what}")
    if not os.access(probe, os.W_OK | os.X_OK):
        why = "read-only" if _read_only(probe) else "not writable"
        where = "" if probe == path else f" ({probe} is {why})"
        raise argparse.ArgumentTypeError(
            f"{text} is {why}{where}" if probe == path else f"{text} cannot be created{where}"
        )
    return text


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # pragma: no cover - not POSIX
        return False
