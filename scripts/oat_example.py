"""One-at-a-time sweep of four levers, from Python: the outcome at each lever's low and high.

    python scripts/oat_example.py --small      # seconds: 3 steps, 24 months, coarse population
    python scripts/oat_example.py              # a minute or two: 5 steps, 120 months

Writes runs/oat-example-<stamp>/; its sensitivity/ folder holds the tornado charts (one per
run-summary outcome, sorted by swing) and the swing per year of yearly incidents. Each lever
moves alone; the others stay at the scenario's value, so interactions are not seen (use Sobol').
"""

from __future__ import annotations

import argparse
from pathlib import Path

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
            "study": "oat-example",
            "scenario": "scenarios/baseline_historical.yaml",
            "method": "oat",
            "n": 3 if args.small else 5,  # steps from low to high: 1 + 4 x n runs
            "horizon": 24 if args.small else 120,
            "parameters": {"persons_per_agent": 20000} if args.small else {},
            "vary": {
                "us_troops": [0, 10000],
                "aid": [0, 200],
                "reconciliation": None,
                "family_policy": None,  # 0 punish ... 1 reintegrate
            },
            "outcomes": ["cumulative_deaths", "mean_stability_last24", "incidents"],
            # Replicates average out luck at each step (same seeds at every step).
            "replicates": 1 if args.small else 3,
            "seed": 3,
        },
        base=ROOT,
    )
    print(f"{study.runs()} runs; the other levers held at {study.centre()}")
    run = run_study(study, runs_dir=args.runs_dir, workers=args.workers, progress=not args.small)
    if run.result is None:
        print(
            f"runs failed or are missing: complete with stabsim sensitivity --resume {run.folder}"
        )
        return 1
    table = run.result.indices
    for outcome in study.summary_outcomes:
        rows = table[(table["outcome"] == outcome) & table["year"].isna()].sort_values("rank")
        print(
            f"\n{outcome} ({rows['unit'].iloc[0]}), scenario value {rows['baseline'].iloc[0]:.4g}:"
        )
        print(
            rows[["name", "low", "high", "y_low", "y_high", "swing"]]
            .round(2)
            .to_string(index=False)
        )
    print(f"\ntables and figures: {run.folder / 'sensitivity'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
