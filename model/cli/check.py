"""``stabsim check``: validate scenario and batch files and summarise them."""

from __future__ import annotations

import argparse

from model.cli.common import EXIT_OK, Subcommand, error
from model.cli.describe import describe_batch, describe_scenario
from model.files.batch import Batch, load_any
from model.files.errors import ConfigError

HELP = "validate scenario or batch files and summarise them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``check`` command's arguments to a parser."""
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario or batch YAML files")


def run(args: argparse.Namespace) -> int:
    """Validate each file; print a summary, or one error line per bad file."""
    status = EXIT_OK
    for i, file in enumerate(args.files):
        try:
            obj = load_any(file)
            if isinstance(obj, Batch):
                from model.experiments.batches import check_size
                from model.experiments.design import parse_design
                from model.experiments.ensemble import ensemble_for

                # design errors too, with file and line (the draws are not screened here)
                check_size(obj, parse_design(obj), ensemble_for(obj))
        except ConfigError as exc:
            status = error(exc)
            continue
        if i:
            print()
        print(describe_batch(obj) if isinstance(obj, Batch) else describe_scenario(obj))
    return status


COMMAND = Subcommand("check", HELP, add_arguments, run)
