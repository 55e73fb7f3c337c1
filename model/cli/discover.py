"""``stabsim discover``: scenario discovery (PRIM, or a CART tree) on a stored batch whose design
varies levers or parameters or whose ensemble draws them, e.g.
``stabsim discover DIR --outcome "resurgence == 1" --method both``."""

from __future__ import annotations

import argparse

from model.cli.argtypes import output_folder
from model.cli.common import EXIT_OK, Subcommand, error, positive, share

__all__ = ["COMMAND", "HELP", "add_arguments", "run"]

HELP = "scenario discovery (PRIM, CART): where in the varied or drawn space a condition holds"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``discover`` command's arguments to a parser."""
    p.add_argument(
        "folder",
        metavar="RUN_FOLDER",
        help="a study or batch folder with a design or a parameter ensemble",
    )
    p.add_argument(
        "--outcome",
        required=True,
        metavar="CONDITION",
        help="the condition, e.g. 'resurgence==1' or 'is_held_areas[36]>0' (36 months after "
        "the start)",
    )
    p.add_argument(
        "--names", metavar="A,B,...", help="dimensions to search (default: every varied name)"
    )
    p.add_argument("--scenario", metavar="NAME", help="the scenario, if the batch has several")
    p.add_argument("--alpha", type=share, default=0.05, help="share peeled per step (default 0.05)")
    p.add_argument(
        "--min-mass", type=share, default=0.05, help="least share of runs in a box (0.05)"
    )
    p.add_argument(
        "--threshold",
        type=share,
        default=0.8,
        help="least density of the chosen box (default 0.8)",
    )
    p.add_argument("--boxes", type=positive, default=2, help="boxes to find at most (2)")
    p.add_argument("--paste", action="store_true", help="widen the chosen box by pasting")
    p.add_argument(
        "--method",
        choices=("prim", "cart", "both"),
        default="prim",
        help="PRIM boxes, a classification tree (CART, scikit-learn) or both (default prim)",
    )
    p.add_argument(
        "--depth", type=positive, default=3, help="the deepest split of the tree (CART; 3)"
    )
    p.add_argument(
        "--out",
        type=output_folder,
        metavar="DIR",
        help="output folder (default RUN_FOLDER/sensitivity/discovery/...)",
    )


def run(args: argparse.Namespace) -> int:
    """Run PRIM and/or CART on a stored batch; print the boxes; write tables and figures."""
    from model.analysis.discovery import StudyError, discover

    names = [n.strip() for n in args.names.split(",") if n.strip()] if args.names else None
    try:
        result = discover(
            args.folder,
            args.outcome,
            names=names,
            scenario=args.scenario,
            alpha=args.alpha,
            min_mass=args.min_mass,
            threshold=args.threshold,
            paste=args.paste,
            max_boxes=args.boxes,
            out=args.out,
            method=args.method,
            depth=args.depth,
        )
    except (StudyError, ValueError) as exc:
        return error(exc, squeeze=True)
    print(f"{result.condition} in {result.folder}:")
    for line in result.describe().splitlines():
        print(f"  {line}")
    print(f"results: {result.out}")
    return EXIT_OK


COMMAND = Subcommand("discover", HELP, add_arguments, run)
