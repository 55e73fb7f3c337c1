"""``stabsim outcomes``: the outcome catalogue (columns, units, meaning)."""

from __future__ import annotations

import argparse

from model.cli.common import EXIT_OK, Subcommand, shorten
from model.simulation import outcomes as _outcomes

HELP = "print the outcome catalogue (columns, units, meaning)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``outcomes`` command's arguments to a parser."""
    p.add_argument("--markdown", action="store_true", help="print docs/outputs.md")


def run(args: argparse.Namespace) -> int:
    """Print every recorded outcome with its unit and meaning."""
    if args.markdown:
        print(_outcomes.markdown_table(), end="")
        return EXIT_OK
    for o in (*_outcomes.MONTHLY.values(), *_outcomes.SUMMARY.values()):
        print(f"{o.name:38s} {o.unit:24s} {shorten(o.meaning, 70)}")
    return EXIT_OK


COMMAND = Subcommand("outcomes", HELP, add_arguments, run)
