"""``stabsim run``: run one scenario's replicates and store them under ``runs/``."""

from __future__ import annotations

import argparse

from model.cli.common import EXIT_OK, Subcommand, override_options, quiet
from model.files.scenario import Scenario, load_scenario

HELP = "run one scenario's replicates and store them under runs/"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to a parser."""
    p.add_argument("file", metavar="FILE", help="scenario file (scenarios/NAME.yaml)")
    override_options(p, "the run folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run a scenario's replicates; write runs/<name>-<stamp>/ and print a short summary."""
    from model.experiments.run import discard_folder, initial_state_for, run_scenario, summarize

    scenario = load_scenario(args.file)
    overrides = (("replicates", args.replicates), ("horizon", args.horizon))
    changes = {k: v for k, v in overrides if v is not None}
    if changes:
        scenario = scenario.with_changes(**changes)
    initial_state_for(scenario)  # a bad initial state fails here, before anything is written
    folder = run_scenario(scenario, args.runs_dir, progress=not quiet(args))
    try:
        write_overview(folder, scenario)
    except BaseException:
        discard_folder(folder.path)
        raise
    print(
        f"{scenario.name}: {scenario.replicates} replicates, {scenario.horizon} months from "
        f"{scenario.start}"
    )
    print(summarize(folder.summary()))
    print(f"stored in {folder.path}")
    return EXIT_OK


def write_overview(folder, scenario: Scenario) -> None:
    """Draw the replicates' overview figure into the run folder as ``overview.png``.

    Left alone if the folder has one already (written by ``run_scenario`` itself).
    """
    path = folder.path / "overview.png"
    if path.exists():
        return
    from model.analysis.compare.figures import overview_figure

    title = f"{scenario.name}: {scenario.replicates} replicates"
    overview_figure(folder.monthly(), title=title).savefig(path, dpi=110)


COMMAND = Subcommand("run", HELP, add_arguments, run)
