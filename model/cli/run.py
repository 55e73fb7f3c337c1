"""``stabsim run``: run one scenario's replicates and store them under ``runs/``.

The folder has the layout of a batch of one scenario (``docs/batches.md``), plus
``scenario.yaml`` and ``overview.png``, so ``stabsim compare`` reads it like any batch.
"""

from __future__ import annotations

import argparse

from model.cli.common import EXIT_OK, EXIT_RUNS_FAILED, Subcommand, positive, quiet
from model.cli.decisions import draws_option
from model.files.scenario import Scenario, load_scenario

HELP = "run one scenario's replicates and store them under runs/"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to a parser."""
    p.add_argument("file", metavar="FILE", help="scenario file (scenarios/NAME.yaml)")
    p.add_argument(
        "--replicates", type=positive, default=None, metavar="N", help="override replicates"
    )
    p.add_argument(
        "--horizon", type=positive, default=None, metavar="MONTHS", help="override horizon"
    )
    draws_option(p)
    p.add_argument(
        "--workers", type=positive, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run folders go (runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run a scenario's replicates; write runs/<name>-<stamp>/ and print a short summary."""
    from model.experiments.batches import run_scenario
    from model.experiments.ensemble import ensemble_for, with_draws
    from model.experiments.run import initial_state_for, summarize
    from model.files.batch import Batch

    scenario = load_scenario(args.file)
    changes = {k: v for k, v in (("replicates", args.replicates), ("horizon", args.horizon)) if v}
    if changes:
        scenario = scenario.with_changes(**changes)
    # A bad initial state or ensemble (a posterior file that has gone) fails here, before
    # anything is written.
    initial_state_for(scenario)
    one = Batch(name=scenario.name, seed=scenario.seed, scenarios=(scenario,))
    ensemble = ensemble_for(with_draws(one, args.draws))
    results = run_scenario(
        scenario, args.runs_dir, progress=not quiet(args), workers=args.workers, draws=args.draws
    )
    write_overview(results, scenario)
    runs = len(results.manifest["runs"])
    what = f"{scenario.replicates} replicates"
    if ensemble is not None:
        what = f"{runs} runs ({ensemble.describe()} x {scenario.replicates} replicates)"
    print(f"{scenario.name}: {what}, {scenario.horizon} months from {scenario.start}")
    summary = results.summary()
    if len(summary):
        print(summarize(summary))
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
