"""Sobol' indices of three levers on deaths, stability, resurgence and incidents, from Python.

    python scripts/sobol_example.py --small    # seconds: N=8, 24 months, coarse population
    python scripts/sobol_example.py            # minutes: N=64, 120 months

Writes runs/sobol-example-<stamp>/; its sensitivity/ folder holds the tables and figures.
Copy this file and change the study mapping (the keys of a study file, docs/sensitivity.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from model.analysis.sensitivity import run_study, sobol_indices
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
            "study": "sobol-example",
            "scenario": "scenarios/baseline_historical.yaml",  # relative to `base` below
            "method": "sobol",
            "n": 8 if args.small else 64,  # SALib's N, a power of 2: N x (3 + 2) runs
            "horizon": 24 if args.small else 120,
            # 20,000 persons per population agent (default 2,500): coarse but fast.
            "parameters": {"persons_per_agent": 20000} if args.small else {},
            "vary": {
                "us_troops": None,  # None (null): the registry range, 0 - 20,000 troops
                "reconciliation": None,
                "sunni_inclusion": [0.0, 0.8],  # or a narrower [low, high]
            },
            "outcomes": ["cumulative_deaths", "mean_stability_last24", "resurgence", "incidents"],
            "replicates": 1,  # per design point, averaged (same seeds at every point)
            "seed": 1,
        },
        base=ROOT,
    )
    print(f"{study.runs()} runs ...")
    # Runs go through the batch machinery: stored as they finish, resumable with
    # run_study(resume=folder) or `stabsim sensitivity --resume folder`.
    run = run_study(study, runs_dir=args.runs_dir, workers=args.workers, progress=not args.small)
    if run.result is None:
        print(
            f"runs failed or are missing: complete with stabsim sensitivity --resume {run.folder}"
        )
        return 1
    result = run.result
    for outcome in study.summary_outcomes:
        top = result.top(outcome, k=3)
        if top["note"].iloc[0]:  # e.g. no resurgence at all within a short horizon
            print(f"\n{outcome}: {top['note'].iloc[0]}, no indices")
            continue
        print(f"\n{outcome}: total (ST) and first-order (S1) indices, 95% CI half-widths")
        print(top[["name", "ST", "ST_conf", "S1", "S1_conf"]].round(3).to_string(index=False))

    # The analysis function works on any output aligned with the sample: here log10 deaths,
    # which weighs a doubling the same in a calm and in a violent run.
    y = np.log10(result.outputs["cumulative_deaths"].clip(lower=1))
    print("\nlog10(cumulative_deaths):")
    print(sobol_indices(study.problem(), y, seed=study.seed).round(3).to_string())
    print(f"\ntables and figures: {run.folder / 'sensitivity'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
