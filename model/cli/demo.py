"""``stabsim demo``: run the demo batch (the article's scenarios) and write its report."""

from __future__ import annotations

import argparse
from pathlib import Path

from model.cli.argtypes import WORKERS
from model.cli.common import (
    EXIT_OK,
    Subcommand,
    here_or_checkout,
    num,
    override_options,
    quiet,
    run_session,
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

    # The overrides are checked (and shown) before anything is printed or run.
    plan = plan_batch(
        load_batch(args.batch or default_demo_batch()),
        replicates=args.replicates,
        horizon=args.horizon,
    )
    print(describe_demo(plan.batch))
    if args.list:
        return EXIT_OK
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
    print(f"batch stored in {results.path}")
    report = _demo_report(results)
    if report is not None:
        print(f"report: {report}")
    return EXIT_OK if not failed else 1


def _demo_report(results) -> Path | None:
    """The comparison report of a finished batch (None if the report module is absent)."""
    try:
        from model.analysis.compare.report import write_report
    except ImportError:
        return None
    return write_report(results, Path(results.path) / "compare")


def describe_demo(batch: Batch) -> str:
    """What a batch will run: scenarios, replicates, runs, horizon, differing levers."""
    lines = [describe_batch(batch)]
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
