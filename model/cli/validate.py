"""``stabsim validate``: score a scenario against the historical record."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from model.cli.argtypes import REPLICATES
from model.cli.common import (
    DEFAULT_SCENARIO,
    EXIT_OK,
    Subcommand,
    quiet,
    run_options,
    scenario_path,
)
from model.files.scenario import load_scenario

HELP = "score a scenario against the historical record (seeds/targets.yaml)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``validate`` command's arguments to a parser."""
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help=f"scenario file (default {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--targets", nargs="+", metavar="FILE", help="target files (default seeds/targets.yaml)"
    )
    p.add_argument(
        "--replicates", type=REPLICATES, metavar="N", help="replicates (default: the scenario's)"
    )
    p.add_argument(
        "--update-docs",
        action="store_true",
        help="also rewrite the table and plot in docs/validation.md",
    )
    run_options(p, "the report folder")


def run(args: argparse.Namespace) -> int:
    """Run the scenario's replicates, print target by target, store table and plot; exit 0."""
    from model.analysis import validation as V
    from model.analysis.scoring import score
    from model.experiments.atomic import staged_folder
    from model.files.targets import load_targets

    scenario = load_scenario(scenario_path(args.scenario))
    targets = load_targets(args.targets)
    n = args.replicates or scenario.replicates
    table = V.validate(scenario, targets, n, workers=max(1, args.workers), progress=not quiet(args))
    folder = Path(args.runs_dir) / f"validate-{scenario.name}-{V.stamp()}"
    fig = V.validation_figure(table, f"{scenario.name}: {n} replicates against the record")
    scores = {u: score(table, u) for u in ("calibration", "validation")} | {"all": score(table)}
    with staged_folder(folder) as tmp:  # the folder is written whole, or not at all
        table.drop(columns=[c for c in table.columns if c.startswith("_")]).to_csv(
            tmp / "validation.csv", index=False
        )
        fig.savefig(tmp / "validation.png", dpi=110)
        (tmp / "score.json").write_text(json.dumps(scores, indent=2))
    print(V.printable(table))
    for use, sc in scores.items():
        print(
            f"{use:12s} {sc['passed']}/{sc['targets']} targets within tolerance "
            f"(score {sc['score']:.2f}, mean loss {sc['loss']:.2f})"
        )
    print(f"stored in {folder}")
    if args.update_docs:
        V.update_docs(table, fig, scenario, n, scores)
        print("updated docs/validation.md")
    return EXIT_OK


COMMAND = Subcommand("validate", HELP, add_arguments, run)
