"""Scenario discovery with PRIM, from Python: where in lever space does IS come back?

    python scripts/prim_example.py --small     # seconds: 60 points, 24 months, coarse population
    python scripts/prim_example.py             # 1-3 minutes on 2 cores: 300 points, 120 months

Samples the policy levers with a Latin hypercube (method "lhs"), runs the batch, then finds the
boxes of lever space where a yes/no outcome holds (Friedman & Fisher's PRIM): with --small,
more than 15,000 deaths in two years; otherwise a resurgence after the territorial defeat.
Writes runs/prim-example-<stamp>/sensitivity/discovery/<condition>/ (boxes, limits, the peeling
trajectory, the runs, and prim.png).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from model.analysis.discovery import discover
from model.analysis.sensitivity import run_study
from model.files.study import study_from_dict

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick try in seconds")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all)")
    parser.add_argument("--runs-dir", default=ROOT / "runs", help="parent of the run folder")
    args = parser.parse_args()

    study = study_from_dict(
        {
            "study": "prim-example",
            "scenario": "scenarios/baseline_historical.yaml",
            "method": "lhs",  # a Latin hypercube: n points spread over the whole space
            "n": 60 if args.small else 300,
            "horizon": 24 if args.small else 120,
            "parameters": {"persons_per_agent": 20000} if args.small else {},
            "vary": {
                "us_troops": None,
                "coalition_air": None,
                "aid": [0, 200],
                "reconciliation": None,
                "sunni_inclusion": None,
                "militia_discipline": None,
                "border_control": None,
                "syria_campaign": None,
            },
            "outcomes": ["resurgence", "cumulative_deaths"],
            "seed": 5,
        },
        base=ROOT,
    )
    print(f"{study.runs()} runs ...")
    run = run_study(study, runs_dir=args.runs_dir, workers=args.workers, progress=not args.small)
    if run.result is None:
        print(
            f"runs failed or are missing: complete with stabsim sensitivity --resume {run.folder}"
        )
        return 1

    # A condition on a run summary ("resurgence == 1", "cumulative_deaths > 15000") or on a
    # monthly outcome in a month after the start ("is_held_areas[36] > 0": IS holds at least
    # one area 36 months after the start). Two years are too short for a resurgence.
    condition = "cumulative_deaths > 15000" if args.small else "resurgence == 1"
    found = discover(
        run.folder,
        condition,
        alpha=0.05,  # share of the box's runs peeled per step
        threshold=0.8,  # the chosen box: the largest coverage with at least this density
        min_mass=0.05,  # boxes hold at least 5% of the runs
        max_boxes=2,  # a second box among the runs outside the first
    )
    print(f"\n{condition}:\n{found.describe()}")
    if found.prim.boxes.empty:
        return 0  # no run where the condition holds: nothing to describe
    print("\nthe first box's restricted dimensions:")
    limits = found.prim.limits
    print(limits[(limits["box"] == 1) & limits["restricted"]].round(4).to_string(index=False))
    print(f"\ntables and figure: {found.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
