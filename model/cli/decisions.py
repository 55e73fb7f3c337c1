"""What the commands that run or compare batches share about uncertainty: the ``--draws``
option, the decision-summary options (``--rank-by``, ``--satisfice``) and printing the
decision summary at the end of ``batch``, ``demo`` and ``compare``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from model.cli.argtypes import DRAWS, names


def draws_option(p: argparse.ArgumentParser) -> None:
    """``--draws N``: the parameter draws of the ensemble."""
    p.add_argument(
        "--draws",
        type=DRAWS,
        metavar="N",
        help="parameter draws of the ensemble (override; 0: hold the parameters at their "
        "values; a file without uncertainty: gets the registry's uncertain parameters)",
    )


def decision_options(p: argparse.ArgumentParser) -> None:
    """``--rank-by`` and ``--satisfice``: what the decision summary ranks and counts."""
    p.add_argument(
        "--rank-by",
        type=names,
        metavar="A,B,...",
        help="run-level outcomes the decision summary ranks the scenarios on, each optionally "
        "NAME:min or NAME:max (default: cumulative_deaths, resurgence, idps_final)",
    )
    p.add_argument(
        "--satisfice",
        action="append",
        metavar="THRESHOLD",
        help="a threshold whose share of runs is shown, e.g. 'battle_deaths_final_year<1000' "
        "or 'battle_deaths_12m[36:]<1000' (every month from month 36 on); may be repeated "
        "(default: those two)",
    )


def print_decision(results: Any, args: argparse.Namespace | None = None) -> None:
    """Print the decision summary of a batch with at least two scenarios and done runs; a
    problem is printed as a note (the runs are stored; ``stabsim compare`` can say more)."""
    from model.analysis.compare.decision import decision_summary
    from model.files.errors import ConfigError

    if len(results.scenarios) < 2 or not results.counts()["ok"]:
        return
    rank_by = getattr(args, "rank_by", None)
    satisfice = getattr(args, "satisfice", None)
    try:
        text = decision_summary(results, rank_by, getattr(args, "reference", None),
                                thresholds=satisfice).text()  # fmt: skip
    except (ConfigError, KeyError, ValueError) as exc:
        print(f"stabsim: note: no decision summary: {exc}", file=sys.stderr)
        return
    print()
    print(text)


def check_decision_options(args: argparse.Namespace) -> None:
    """Check ``--rank-by`` and ``--satisfice`` before anything runs.

    Raises:
        ConfigError: an unknown outcome or a threshold that cannot be read.
    """
    from model.analysis.compare.robustness import parse_ranked, parse_threshold

    parse_ranked(getattr(args, "rank_by", None), "--rank-by")
    for text in getattr(args, "satisfice", None) or ():
        parse_threshold(text, "--satisfice")
