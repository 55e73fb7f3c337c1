"""Morris screening of ten levers and parameters, from Python: which ones matter at all?

    python scripts/morris_example.py --small   # seconds: 4 trajectories, 24 months, coarse
    python scripts/morris_example.py           # minutes: 20 trajectories, 120 months

Writes runs/morris-example-<stamp>/; its sensitivity/ folder holds the tables and the mu*-sigma
figures. mu* is in the outcome's unit per whole range of the input; sigma large next to mu*
means the effect depends on the other inputs (interactions or non-linearity).
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

    vary = {
        # Levers (constant over the horizon in every run) ...
        "us_troops": None,
        "aid": [0, 200],
        "reconciliation": None,
        "sunni_inclusion": None,
        "border_control": None,
        # ... and uncertain parameters, over their registry ranges (stabsim params).
        "active_threshold": None,
        "recruit_rate": None,
        "attack_rate": None,
        "detect_rate": None,
        "legitimacy0_sunni_arab": None,
    }
    study = study_from_dict(
        {
            "study": "morris-example",
            "scenario": "scenarios/baseline_historical.yaml",
            "method": "morris",
            "n": 4 if args.small else 20,  # trajectories: n x (10 + 1) runs
            "levels": 4,
            "horizon": 24 if args.small else 120,
            "parameters": {"persons_per_agent": 20000} if args.small else {},
            "vary": vary,
            "outcomes": ["cumulative_deaths", "mean_stability_last24", "incidents"],
            "seed": 7,
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
    table = run.result.indices
    for outcome in study.summary_outcomes:
        rows = table[(table["outcome"] == outcome) & table["year"].isna()].sort_values("rank")
        print(f"\n{outcome} ({rows['unit'].iloc[0]}):")
        print(
            rows[["name", "mu", "mu_star", "mu_star_conf", "sigma"]].round(2).to_string(index=False)
        )
    print(f"\ntables and figures: {run.folder / 'sensitivity'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
