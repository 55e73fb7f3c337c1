"""``stabsim demo``: run the demo batch (the article's scenarios) and write its report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from model.cli.argtypes import WORKERS
from model.cli.common import (
    EXIT_OK,
    Subcommand,
    duration,
    here_or_checkout,
    num,
    override_options,
    quiet,
    run_session,
)
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
    override_options(p, "the batch folder")
    draws_option(p)
    decision_options(p)
    p.add_argument(
        "--workers", type=WORKERS, default=None, metavar="N", help="processes (default: all cores)"
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
    from model.experiments.batches import open_store, plan_batch
    from model.experiments.results import open_batch

    # The overrides and options are checked (and shown) before anything is printed or run.
    check_decision_options(args)
    plan = plan_batch(
        load_batch(args.batch or default_demo_batch()),
        replicates=args.replicates,
        horizon=args.horizon,
        draws=args.draws,
        progress=not quiet(args),
        screen=not args.list,  # listing runs nothing: the draws as drawn
    )
    print(describe_demo(plan.batch, plan.ensemble, screened=not args.list))
    if args.list:
        return EXIT_OK
    t0 = time.perf_counter()
    session = argparse.Namespace(
        workers=args.workers, scheduler=None, retry_failed=False, quiet=quiet(args)
    )
    with open_store(plan, runs_dir=args.runs_dir) as store:
        # Interrupted (Ctrl-C, SIGTERM) or a full disk: one line saying how to resume.
        report = run_session(
            store, plan.specs, session, "process", f"demo: {len(plan.specs)} runs", command="batch"
        )
        if isinstance(report, int):
            return report
        root = store.root
    results = open_batch(root)
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


def describe_demo(batch: Batch, ensemble=None, screened: bool = True) -> str:
    """What a batch will run: scenarios, replicates, parameter draws, runs, horizon, differing
    levers."""
    lines = [describe_batch(batch)]
    if ensemble is not None:
        lines.append(
            f"  ensemble: {ensemble.describe()}, the same in every scenario; runs: "
            f"{len(ensemble)} draws x replicates per scenario"
        )
        if not screened and (batch.uncertainty or {}).get("screen", "history") != "none":
            lines.append(
                "  (the draws are screened against the calibration record when the batch runs)"
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
