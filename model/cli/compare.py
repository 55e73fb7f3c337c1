"""The ``stabsim compare`` command: figures, tables and an HTML report comparing the scenarios
of a stored batch.

``stabsim compare runs/<batch-id>`` writes ``runs/<batch-id>/compare/report.html`` with the PNG
figures and CSV tables beside it (docs/compare.md). A mistake in the input (a folder that is not
a batch, an unknown scenario, outcome, unit or month) raises :class:`~model.files.errors.ConfigError`,
which ``stabsim`` prints as one line with exit status 2; nothing is written then. No Mesa here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from model.cli.argtypes import names, output_folder
from model.cli.common import EXIT_OK, Subcommand, run_command
from model.cli.decisions import check_decision_options, decision_options, print_decision
from model.files.errors import ConfigError

__all__ = ["COMMAND", "HELP", "add_arguments", "main", "run"]

HELP = (
    "compare the scenarios of a batch or run folder: decision summary, robustness, variance "
    "split, fan charts, paired differences, survival, map, HTML report"
)


_OPTION_KEYS = (
    "level", "unit", "months", "outcomes", "scenarios", "colour_by", "rank_by", "satisfice"
)  # fmt: skip
"""Keys of the report's checks that are options here (named ``--key`` in messages)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``compare`` command's arguments to a parser."""
    p.add_argument(
        "folder",
        metavar="BATCH",
        help="a folder written by `stabsim batch`, `demo` or `run`, e.g. runs/demo-20250101-120000",
    )
    p.add_argument(
        "--outcomes",
        type=names,
        metavar="A,B,...",
        help="monthly outcomes for the charts (default: is_fighters, incidents, civilian_deaths, "
        "idps, legitimacy_sunni_arab, stability) and/or run-level ones for the forest plot "
        "(default: all); names as in `stabsim outcomes`",
    )
    p.add_argument(
        "--scenarios",
        type=names,
        metavar="A,B,...",
        help="scenarios to show (default: all in the batch)",
    )
    p.add_argument(
        "--reference",
        metavar="NAME",
        help="scenario the differences are taken from (default: the batch's first)",
    )
    p.add_argument(
        "--out", type=output_folder, metavar="DIR", help="output folder (default: BATCH/compare)"
    )
    p.add_argument(
        "--months",
        metavar="YYYY-MM,...",
        help="months shown on the map (default: the start, +12, +36 months and the end)",
    )
    p.add_argument(
        "--level",
        choices=("national", "governorate", "area"),
        default="national",
        help="level of the monthly charts (default: national)",
    )
    p.add_argument("--unit", metavar="NAME", help="the governorate (or area id) with --level")
    p.add_argument(
        "--colour-by",
        choices=("control", "incidents"),
        default="control",
        help="map colouring: share of runs with the area IS-held (needs the area level; "
        "else incidents by governorate) or incidents per month (default: control)",
    )
    decision_options(p)
    p.add_argument("--quiet", action="store_true", help="print only the report's path")


def run(args: argparse.Namespace) -> int:
    """Write the comparison report; return 0.

    Raises:
        ConfigError: bad input; nothing is written.
    """
    from model.analysis import compare as C
    from model.analysis.compare.report import write_report

    res = C.open_results(args.folder)
    if args.out is None:  # the default, BATCH/compare, is checked before any work too
        try:
            output_folder(str(res.path / "compare"))
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(str(exc), key="--out", allowed="a folder to write in") from None
    bad = res.unreadable()
    if bad:
        print(
            f"stabsim: warning: {len(bad)} part file(s) cannot be read (e.g. {bad[0]}); their "
            f"runs are left out; stabsim batch --resume {res.path} runs them again",
            file=sys.stderr,
        )
    if args.level != "national" and not args.unit:
        raise ConfigError(f"--level {args.level} needs --unit NAME", key="--unit")
    if args.level == "national" and args.unit:
        raise ConfigError("--unit needs --level governorate or area", key="--unit")
    # The option names go into the error messages.
    C.check_reference(res, args.reference, key="--reference")
    C.check_scenarios(res, args.scenarios, key="--scenarios")
    scenarios = C.split_names(args.scenarios)
    chosen = C.check_scenarios(res, scenarios) if scenarios else res.scenarios
    C.check_outcomes(res, args.outcomes, chosen, args.level, key="--outcomes")
    C.check_months(res, args.months, chosen, key="--months")
    check_decision_options(args)
    try:
        path = write_report(
            res,
            args.out,
            outcomes=args.outcomes,
            scenarios=args.scenarios,
            reference=args.reference,
            months=args.months,
            level=args.level,
            unit=args.unit,
            colour_by=args.colour_by,
            rank_by=args.rank_by,
            satisfice=args.satisfice,
        )
    except ConfigError as exc:
        if exc.key in _OPTION_KEYS:
            exc.key = "--" + exc.key.replace("_", "-")
        raise
    if not args.quiet:
        c = res.counts()
        total = sum(c.values())
        print(
            f"compared {len(chosen)} scenarios of batch {res.manifest.get('batch_id')} "
            f"({c['ok']} of {total} runs done)"
        )
        if c["failed"] or c["missing"]:
            print(
                f"note: {c['failed']} failed and {c['missing']} missing of {total} runs; "
                "the report uses the done ones"
            )
        print(f"figures (PNG) and tables (CSV) in {path.parent}")
        print_decision(res, args)
    print(f"report: {path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m model.cli.compare BATCH ...``: the same as ``stabsim compare``."""
    return run_command((COMMAND,), ["compare", *(sys.argv[1:] if argv is None else argv)])


COMMAND = Subcommand("compare", HELP, add_arguments, run)

if __name__ == "__main__":
    sys.exit(main())
