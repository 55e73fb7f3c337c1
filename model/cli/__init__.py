"""The ``stabsim`` command.

Each subcommand is a module here (``model.cli.<name>``) that parses its arguments and prints its
results; its ``COMMAND`` is listed in :data:`COMMANDS`, the one place commands are registered,
and ``main`` builds the parser from that list. Helpers the commands share are in
:mod:`model.cli.common`. A mistake in the user's input (a :class:`~model.files.errors.ConfigError`,
or ``model.data.DataError``) is printed as one line ``stabsim: error: <message>`` on stderr with
exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from model.cli import (
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
from model.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    Subcommand,
    error,
    is_user_error,
)

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
)
"""Every ``stabsim`` subcommand, in the order ``stabsim --help`` lists them."""

SUBCOMMANDS: dict[str, Subcommand] = {cmd.name: cmd for cmd in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="stabsim",
        description="Scenario simulation of stabilization in Iraq after Mosul (2017).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.arguments is not None:
            cmd.arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("stabsim")
    except Exception:  # noqa: BLE001 - not installed: run from a checkout
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stabsim`` command; return its exit status (2 for a user error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("stabsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `stabsim params | head`
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if is_user_error(exc):
            return error(exc)
        raise


if __name__ == "__main__":
    sys.exit(main())
