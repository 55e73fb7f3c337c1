"""``stabsim demo``: run the demo batch (the article's scenarios) and write its report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from model.cli.common import EXIT_OK, Subcommand, duration, here_or_checkout, num, positive, quiet
from model.cli.decisions import (
    check_decision_options,
    decision_options,
    draws_option,
    print_decision,
)
from model.cli.describe import describe_batch, differing_levers, schedule_text
from model.files.batch import Batch, load_batch
from model.simulation import parameters as _parameters

DEMO_BATCH = "scenarios/demo_batch.yaml"
HELP = "run the demo batch (the article's scenarios) and write its report"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``demo`` command's arguments to a parser."""
    p.add_argument(
        "--batch",
        default=None,
        metavar="FILE",
        help=f"batch file (default: {DEMO_BATCH}, from here or from the stabsim checkout)",
    )
    p.add_argument(
        "--replicates",
        type=positive,
        default=None,
        metavar="N",
        help="override replicates (per parameter draw)",
    )
    p.add_argument(
        "--horizon", type=positive, default=None, metavar="MONTHS", help="override horizon"
    )
    draws_option(p)
    decision_options(p)
    p.add_argument(
        "--workers",
        type=positive,
        default=None,
        metavar="N",
        help="processes (default: all cores)",
    )
    p.add_argument(
        "--runs-dir", default="runs", metavar="DIR", help="where the batch folder goes (runs)"
    )
    p.add_argument(
        "--list", action="store_true", help="only validate the batch and list what it runs"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def default_demo_batch() -> Path:
    """The demo batch: ``scenarios/demo_batch.yaml`` here, else in the stabsim checkout."""
    return here_or_checkout(DEMO_BATCH)


def run(args: argparse.Namespace) -> int:
    """Validate the demo batch, run it through the batch machinery and write its report."""
    from model.experiments.batches import plan_batch, run_batch

    batch = load_batch(args.batch or default_demo_batch())
    check_decision_options(args)
    plan = plan_batch(batch, replicates=args.replicates, horizon=args.horizon, draws=args.draws)
    print(describe_demo(plan.batch, plan.ensemble))
    if args.list:
        return EXIT_OK
    t0 = time.perf_counter()
    results = run_batch(
        batch,
        workers=args.workers,
        progress=not quiet(args),
        replicates=args.replicates,
        horizon=args.horizon,
        runs_dir=args.runs_dir,
        draws=args.draws,
    )
    failed = results.counts()["failed"]
    print(f"batch stored in {results.path} ({duration(time.perf_counter() - t0)})")
    report = _demo_report(results, args)
    if report is not None:
        print(f"report: {report} ({duration(time.perf_counter() - t0)} in all)")
    print_decision(results, args)
    return EXIT_OK if not failed else 1


def _demo_report(results, args: argparse.Namespace | None = None) -> Path | None:
    """The comparison report of a finished batch (None if the report module is absent)."""
    try:
        from model.analysis.compare.report import write_report
    except ImportError:
        return None
    return write_report(
        results,
        Path(results.path) / "compare",
        rank_by=getattr(args, "rank_by", None),
        satisfice=getattr(args, "satisfice", None),
    )


def describe_demo(batch: Batch, ensemble=None) -> str:
    """What a batch will run: scenarios, replicates, parameter draws, runs, horizon, differing
    levers."""
    lines = [describe_batch(batch)]
    if ensemble is not None:
        lines.append(
            f"  ensemble: {ensemble.describe()}, the same in every scenario; runs: "
            f"{len(ensemble)} draws x replicates per scenario"
        )
    else:
        lines.append("  ensemble: none (parameters held at their values)")
    horizons = {(s.start, s.horizon) for s in batch.scenarios}
    if len(horizons) == 1:
        start, horizon = horizons.pop()
        lines.append(f"  horizon: {horizon} months from {start} (all scenarios)")
    levers = differing_levers(batch.scenarios)
    if levers:
        lines.append("  levers that differ between scenarios:")
        width = max(len(s.name) for s in batch.scenarios)
        for name in levers:
            lines.append(f"    {name}:")
            default = num(_parameters.REGISTRY[name].default)
            for s in batch.scenarios:
                text = (
                    schedule_text(name, s.levers[name])
                    if name in s.levers
                    else f"{default} (default)"
                )
                lines.append(f"      {s.name.ljust(width)}  {text}")
    else:
        lines.append("  levers: the same in every scenario")
    return "\n".join(lines)


COMMAND = Subcommand("demo", HELP, add_arguments, run)
