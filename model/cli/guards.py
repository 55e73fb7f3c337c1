"""What keeps every ``stabsim`` command honest when things go wrong: usage errors in one line,
the exit status and words of an interruption (SIGTERM and SIGHUP are handled like Ctrl-C, by
``model.experiments.interrupts``), output that never fails on odd characters, and the wording of
file-system faults (disk full, read-only).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from model.experiments.interrupts import Terminated, handle_signals

__all__ = [
    "EXIT_HANGUP",
    "EXIT_IO",
    "EXIT_TERMINATED",
    "OneLineParser",
    "Terminated",
    "UsageError",
    "exit_status",
    "fault_text",
    "handle_signals",
    "interruption",
    "printable",
    "safe_output",
    "usage_line",
]

EXIT_IO = 74
"""A file-system fault while working (disk full, read-only folder): ``EX_IOERR``."""
EXIT_HANGUP = 128 + signal.SIGHUP
EXIT_TERMINATED = 128 + signal.SIGTERM


class UsageError(Exception):
    """A mistake on the command line (the parser's ``prog`` and what is wrong)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog
        self.message = message


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are raised (then printed as one line), not printed
    with the usage block; ``--help`` still prints the usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def usage_line(exc: UsageError, argv: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """The one line of a usage error, e.g. ``stabsim run: error: --horizon: expected a whole
    number >= 1, got 0 (see stabsim run --help)``."""
    message = exc.message
    if message.startswith("argument "):  # "argument --horizon: ..." -> "--horizon: ..."
        message = message[len("argument ") :]
    prog = exc.prog
    sub = _subparser(parser, argv)
    if sub is not None:
        prog = sub.prog
        if message.startswith("unrecognized arguments: "):
            unknown = message.split(": ", 1)[1].split()[0].split("=")[0]
            options = [o for a in sub._actions for o in a.option_strings]
            near = difflib.get_close_matches(unknown, options, n=1)
            if near:
                message += f"; did you mean {near[0]}?"
    elif message.startswith("COMMAND: invalid choice: "):
        word = message.split("'")[1] if "'" in message else ""
        near = difflib.get_close_matches(word, _commands(parser), n=1)
        message = f"unknown command {word!r}; allowed: {', '.join(_commands(parser))}"
        if near:
            message += f"; did you mean '{near[0]}'?"
    return printable(f"{prog}: error: {message} (see {prog} --help)")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    return list(_subparsers(parser))


def _subparser(
    parser: argparse.ArgumentParser, argv: Sequence[str]
) -> argparse.ArgumentParser | None:
    subs = _subparsers(parser)
    for arg in argv:
        if arg in subs:
            return subs[arg]
    return None


def printable(text: str) -> str:
    """Text safe to print on one line: control characters and undecodable bytes escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """Printing never fails on characters the terminal cannot encode (a file name with
    undecodable bytes, say): they are escaped instead."""
    changed = []
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        errors = getattr(stream, "errors", None)
        if reconfigure is not None and errors == "strict":
            with contextlib.suppress(Exception):
                reconfigure(errors="backslashreplace")
                changed.append(stream)
    try:
        yield
    finally:
        for stream in changed:
            with contextlib.suppress(Exception):
                stream.reconfigure(errors="strict")


def exit_status(exc: BaseException) -> int:
    """The exit status of an interruption: 128 + the signal (130 for Ctrl-C)."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


def interruption(exc: BaseException) -> str:
    """``interrupted`` (Ctrl-C) or ``terminated (SIGTERM)``."""
    signum = getattr(exc, "signum", None)
    return "interrupted" if signum is None else f"stopped by {signal.Signals(signum).name}"


_FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "a file name is too long",
    errno.EMFILE: "too many open files",
}


def fault_text(exc: OSError) -> str:
    """A file-system fault in words: what happened, and to which file."""
    what = _FAULTS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    where = exc.filename
    if where is None:
        return what
    return f"{what} ({os.fsdecode(where)})"
