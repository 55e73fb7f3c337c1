"""The ``stabsim`` command.

Each subcommand is a module here (``model.cli.<name>``) that parses its arguments and prints its
results; its ``COMMAND`` is listed in :data:`COMMANDS`, the one place commands are registered,
and ``main`` builds the parser from that list (``model.cli.common.command_parser``). Helpers the
commands share are in :mod:`model.cli.common`. A mistake in the user's input (a
:class:`~model.files.errors.ConfigError`, or ``model.data.DataError``) is printed as one line
``stabsim: error: <message>`` on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from model.cli import (
    app,
    batch,
    calibrate,
    check,
    compare,
    demo,
    discover,
    outcomes,
    params,
    run,
    sensitivity,
    status,
    validate,
)
from model.cli.common import Subcommand, command_parser, run_command

__all__ = ["COMMANDS", "SUBCOMMANDS", "Subcommand", "build_parser", "main"]

COMMANDS: tuple[Subcommand, ...] = (
    params.COMMAND,
    check.COMMAND,
    demo.COMMAND,
    outcomes.COMMAND,
    run.COMMAND,
    validate.COMMAND,
    calibrate.COMMAND,
    compare.COMMAND,
    batch.COMMAND,
    status.COMMAND,
    sensitivity.COMMAND,
    discover.COMMAND,
    app.COMMAND,
)
"""Every ``stabsim`` subcommand, in the order ``stabsim --help`` lists them."""

SUBCOMMANDS: dict[str, Subcommand] = {cmd.name: cmd for cmd in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    return command_parser(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stabsim`` command; return its exit status (2 for a user error)."""
    return run_command(COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
