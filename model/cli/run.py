"""``stabsim run``: run one scenario's replicates and store them under ``runs/``.

The folder has the layout of a batch of one scenario (``docs/batches.md``), plus
``scenario.yaml`` and ``overview.png``, so ``stabsim compare`` reads it like any batch.
"""

from __future__ import annotations

import argparse

from model.cli.argtypes import WORKERS
from model.cli.common import EXIT_OK, EXIT_RUNS_FAILED, Subcommand, override_options, quiet
from model.cli.decisions import draws_option
from model.files.scenario import Scenario, load_scenario

HELP = "run one scenario's replicates and store them under runs/"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to a parser."""
    p.add_argument("file", metavar="FILE", help="scenario file (scenarios/NAME.yaml)")
    override_options(p, "the run folder")
    draws_option(p)
    p.add_argument(
        "--workers", type=WORKERS, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run a scenario's replicates; write runs/<name>-<stamp>/ and print a short summary."""
    from model.cli.common import run_session
    from model.experiments.batches import (
        open_store,
        plan_batch,
        scenario_batch,
        write_scenario_file,
    )
    from model.experiments.results import open_batch
    from model.experiments.run import initial_state_for, summarize

    scenario = load_scenario(args.file)
    overrides = (("replicates", args.replicates), ("horizon", args.horizon))
    changes = {k: v for k, v in overrides if v is not None}
    if changes:
        scenario = scenario.with_changes(**changes)
    # A bad initial state or ensemble (a posterior file that has gone) fails here, before
    # anything is written.
    initial_state_for(scenario)
    plan = plan_batch(scenario_batch(scenario), draws=args.draws, progress=not quiet(args))
    ensemble = plan.ensemble
    session = argparse.Namespace(
        workers=args.workers, scheduler=None, retry_failed=False, quiet=quiet(args)
    )
    executor = "serial" if args.workers == 1 else "process"
    with open_store(plan, runs_dir=args.runs_dir) as store:
        write_scenario_file(store, plan)
        # Interrupted (Ctrl-C, SIGTERM) or a full disk: one line saying how to resume.
        report = run_session(
            store, plan.specs, session, executor, f"{scenario.name}: {len(plan.specs)} runs",
            command="batch",
        )  # fmt: skip
        if isinstance(report, int):
            return report
        root = store.root
    results = open_batch(root)
    write_overview(results, scenario)
    runs = len(results.manifest["runs"])
    what = f"{scenario.replicates} replicates"
    if ensemble is not None:
        what = f"{runs} runs ({ensemble.describe()} x {scenario.replicates} replicates)"
    print(f"{scenario.name}: {what}, {scenario.horizon} months from {scenario.start}")
    summary = results.summary()
    if len(summary):
        print(summarize(summary, "runs" if ensemble is not None else "replicates"))
        interval = "parameters and replicates" if ensemble is not None else "replicates"
        print(f"(ranges over runs: {interval}{'' if ensemble else '; parameters held fixed'})")
    print(f"stored in {results.path}")
    c = results.counts()
    if c["failed"] or c["missing"]:
        print(f"{c['failed']} runs failed: see `stabsim status {results.path} --errors`")
        return EXIT_RUNS_FAILED
    return EXIT_OK


def write_overview(results, scenario: Scenario) -> None:
    """Draw the runs' overview figure into the run folder as ``overview.png``."""
    path = results.path / "overview.png"
    if path.exists():
        return
    from model.analysis.compare.figures import overview_figure

    monthly = results.monthly()
    if monthly.empty:
        return
    title = f"{scenario.name}: {len(results.manifest['runs'])} runs"
    overview_figure(monthly, title=title).savefig(path, dpi=110)


COMMAND = Subcommand("run", HELP, add_arguments, run)
