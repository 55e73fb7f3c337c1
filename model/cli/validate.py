"""``stabsim validate``: score scenarios against the historical record."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from model.cli.argtypes import DRAWS, REPLICATES
from model.cli.common import (
    DEFAULT_SCENARIO,
    EXIT_OK,
    Subcommand,
    here_or_checkout,
    quiet,
    run_options,
)
from model.files.scenario import load_scenario

HELP = "score scenarios against the historical record (seeds/targets.yaml)"
HINDCAST = "scenarios/hindcast_2011.yaml"
"""The out-of-sample hindcast validated with the baseline when no scenario is given."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``validate`` command's arguments to a parser."""
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help=f"scenario file (default: {DEFAULT_SCENARIO}, then the hindcast {HINDCAST})",
    )
    p.add_argument(
        "--targets", nargs="+", metavar="FILE", help="target files (default seeds/targets.yaml)"
    )
    p.add_argument(
        "--replicates", type=REPLICATES, metavar="N", help="replicates (default: the scenario's)"
    )
    p.add_argument(
        "--draws",
        type=DRAWS,
        metavar="N",
        help="runs of the parameter ensemble for the plausibility targets (base rates; default: "
        "each target's draws; 0 leaves them out)",
    )
    p.add_argument(
        "--update-docs",
        action="store_true",
        help="also rewrite the tables and plots in docs/validation.md and docs/hindcast.md",
    )
    run_options(p, "the report folder")


def run(args: argparse.Namespace) -> int:
    """Validate the scenario (or the baseline and the hindcast): print target by target, store
    table and plots; exit 0."""
    from model.files.targets import load_targets

    if args.scenario:
        paths = [Path(args.scenario)]
    else:
        paths = [here_or_checkout(DEFAULT_SCENARIO), here_or_checkout(HINDCAST)]
        paths = [p for p in paths if p.exists()] or paths[:1]
    scenarios = [load_scenario(p) for p in paths]
    targets = load_targets(args.targets)
    for i, scenario in enumerate(scenarios):
        if i:
            print()
        _validate(scenario, targets, args, hindcast=scenario.name == Path(HINDCAST).stem)
    return EXIT_OK


def _validate(scenario, targets, args: argparse.Namespace, hindcast: bool) -> None:
    from model.analysis import hindcast as H
    from model.analysis import validation as V
    from model.experiments.atomic import staged_folder
    from model.experiments.scoring import score

    n = args.replicates or scenario.replicates
    table, runs = V.validate_runs(
        scenario,
        targets,
        n,
        workers=max(1, args.workers),
        progress=not quiet(args),
        draws=args.draws,
    )
    folder = Path(args.runs_dir) / f"validate-{scenario.name}-{V.stamp()}"
    title = f"{scenario.name}: {n} replicates against the record"
    fig = V.validation_figure(table, title)
    applied = [t for t in targets if t.applies_to(scenario) and t.use != "plausibility"]
    record = H.hindcast_figure(runs, applied, title) if H.has_record_series(applied) else None
    uses = [u for u in ("calibration", "validation", "plausibility") if (table["use"] == u).any()]
    scores = {u: score(table, u) for u in uses} | {"all": score(table)}
    with staged_folder(folder) as tmp:  # the folder is written whole, or not at all
        table.drop(columns=[c for c in table.columns if c.startswith("_")]).to_csv(
            tmp / "validation.csv", index=False
        )
        fig.savefig(tmp / "validation.png", dpi=110)
        if record is not None:
            record.savefig(tmp / "record.png", dpi=110)
        (tmp / "score.json").write_text(json.dumps(scores, indent=2))
    print(f"{scenario.name} ({scenario.start}, {n} replicates):")
    print(V.printable(table))
    for use, sc in scores.items():
        if sc["targets"]:
            print(
                f"{use:12s} {sc['passed']}/{sc['targets']} targets within tolerance "
                f"(score {sc['score']:.2f}, mean loss {sc['loss']:.2f})"
            )
    print(f"stored in {folder}")
    if args.update_docs:
        if hindcast:
            markers = ("<!-- validation-hindcast:start -->", "<!-- validation-hindcast:end -->")
            V.update_docs(table, fig, scenario, n, scores, markers, "validation_hindcast.png")
            if record is not None:
                H.update_page(record, table, scenario, n)
            print("updated docs/validation.md and docs/hindcast.md")
        else:
            V.update_docs(table, fig, scenario, n, scores)
            print("updated docs/validation.md")


COMMAND = Subcommand("validate", HELP, add_arguments, run)
