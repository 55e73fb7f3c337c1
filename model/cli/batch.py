"""``stabsim batch``: run a batch (scenarios x design points x replicates), stored as runs finish.

``stabsim batch FILE`` expands a batch file, runs what is not done yet on the chosen executor and
streams every run to ``runs/<batch-id>/``; it ends with a summary and exits with 1 if any run
failed (2 for a mistake in the input, 130 if interrupted). ``run_batch``, the same from Python,
lives in :mod:`model.experiments.batches`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model.cli.argtypes import HORIZON, REPLICATES, output_folder
from model.cli.common import (
    EXIT_OK,
    EXIT_RUNS_FAILED,
    EXIT_USER_ERROR,
    Subcommand,
    chosen_executor,
    duration,
    error,
    executor_options,
    quiet,
    run_session,
)
from model.cli.decisions import (
    check_decision_options,
    decision_options,
    draws_option,
    print_decision,
)

__all__ = ["COMMAND", "HELP", "add_arguments", "run"]

HELP = "run a batch (scenarios x design points x replicates), stored as runs finish"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``batch`` command's arguments to a parser."""
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="batch YAML file (may be left out with --resume: the batch recorded there is used)",
    )
    executor_options(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        type=output_folder,
        metavar="DIR",
        help="batch folder (default runs/<batch>-<YYYYmmdd-HHMMSS>); if it holds this batch, "
        "only the missing runs are made",
    )
    where.add_argument(
        "--resume",
        type=output_folder,
        metavar="DIR",
        help="complete the missing runs of the batch in DIR",
    )
    p.add_argument(
        "--retry-failed", action="store_true", help="also run again the runs that failed"
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar (also when CI=true is set)"
    )
    p.add_argument(
        "--replicates", type=REPLICATES, metavar="N", help="replicates per scenario (override)"
    )
    p.add_argument("--horizon", type=HORIZON, metavar="N", help="months simulated (override)")
    draws_option(p)
    decision_options(p)
    p.add_argument("--dry-run", action="store_true", help="validate and list the runs, run nothing")


def run(args: argparse.Namespace) -> int:
    """Run (or resume) a batch; 0 if every run is done, 1 if some failed, 2 for bad input."""
    from model.experiments.batches import open_store, plan_batch
    from model.experiments.batchfiles import StoreError
    from model.files.errors import ConfigError

    executor = chosen_executor(args)
    if executor is None:
        return EXIT_USER_ERROR
    if args.file is None and args.resume is None:
        return error("give a batch FILE, or --resume DIR to complete a batch folder", squeeze=True)
    try:
        check_decision_options(args)
        plan = plan_batch(
            args.file,
            resume=args.resume,
            replicates=args.replicates,
            horizon=args.horizon,
            draws=args.draws,
            progress=not quiet(args),
        )
        if args.dry_run:
            print(_plan_text(plan.batch, plan.design, len(plan.specs), plan.ensemble))
            for spec in plan.specs[:10]:
                values = f"  {dict(spec.values)}" if spec.values else ""
                print(f"  {spec.run_id}  seed {spec.seed}{values}")
            if len(plan.specs) > 10:
                print(f"  ... and {len(plan.specs) - 10} more")
            return EXIT_OK
        store = open_store(plan, out=args.out, resume=args.resume)
    except (ConfigError, StoreError) as exc:
        return error(exc, squeeze=True)
    with store:
        report = run_session(
            store,
            plan.specs,
            args,
            executor,
            _plan_text(plan.batch, plan.design, len(plan.specs), plan.ensemble),
            command="batch",
            retry_note=True,
            orphans_note=True,
        )
        if isinstance(report, int):
            return report
        root = store.root
    code = _report(plan.batch.name, root, report)
    from model.experiments.results import open_batch

    print_decision(open_batch(root), args)
    return code


def _plan_text(batch: Any, design: Any, n_runs: int, ensemble: Any = None) -> str:
    reps = sorted({s.replicates for s in batch.scenarios})
    rep_text = f"{reps[0]}" if len(reps) == 1 else f"{reps[0]}-{reps[-1]}"
    draws = f"{len(ensemble)} parameter draws x " if ensemble is not None else ""
    ens = f"; ensemble: {ensemble.describe()}" if ensemble is not None else ""
    return (
        f"batch {batch.name}: {n_runs} runs = {len(batch.scenarios)} scenarios x "
        f"{len(design)} design points x {draws}{rep_text} replicates; master seed {batch.seed}; "
        f"design: {design.describe()}{ens}"
    )


def _report(name: str, root: Path, report: Any) -> int:
    c = report.counts
    rate = report.ran / report.elapsed_s * 60 if report.elapsed_s > 0 else 0.0
    session = (
        f"this session {report.ran} runs in {duration(report.elapsed_s)} ({rate:.1f} runs/min)"
        if report.ran
        else "nothing left to run"
    )
    if report.complete:
        print(f"batch {name}: all {report.total} runs ok; {session}")
    else:
        print(
            f"batch {name}: {c['ok']} ok, {c['failed']} failed, {c['missing']} missing of "
            f"{report.total} runs; {session}"
        )
    if report.failures:
        print(f"failed runs ({len(report.failures)}):")
        for run_id, error_line in list(report.failures.items())[:20]:
            print(f"  {run_id}  {error_line}")
        if len(report.failures) > 20:
            print(f"  ... and {len(report.failures) - 20} more (stabsim status {root} --errors)")
        print(f"run them again with: stabsim batch --resume {root} --retry-failed")
    elif c.get("missing"):
        print(f"complete it with: stabsim batch --resume {root}")
    print(f"results: {root}")
    return EXIT_OK if report.complete else EXIT_RUNS_FAILED


COMMAND = Subcommand("batch", HELP, add_arguments, run)
