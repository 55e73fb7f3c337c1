"""``stabsim calibrate``: fit parameters to the record by approximate Bayesian computation."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from model.cli.argtypes import REPLICATES, SEED, name, names, share, whole
from model.cli.common import (
    DEFAULT_SCENARIO,
    EXIT_OK,
    EXIT_RUNS_FAILED,
    Subcommand,
    quiet,
    run_options,
    scenario_path,
)
from model.files.errors import ConfigError
from model.files.scenario import load_scenario
from model.files.values import NAME_MAX

HELP = "fit parameters to the record by approximate Bayesian computation"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` command's arguments to a parser."""
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help=f"scenario to start from (default {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--parameters",
        required=True,
        type=names,
        metavar="A,B,...",
        help="registry parameters to fit, comma-separated",
    )
    p.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH",
        help="narrow a parameter's range (default: its registry range)",
    )
    p.add_argument(
        "--targets",
        nargs="+",
        metavar="FILE",
        help="target files (default seeds/targets.yaml); those with use: calibration are fitted",
    )
    p.add_argument(
        "--samples",
        type=whole(2, 100_000),
        default=64,
        metavar="N",
        help="parameter sets from a Latin hypercube (64)",
    )
    p.add_argument(
        "--replicates",
        type=REPLICATES,
        default=3,
        metavar="N",
        help="replicates per set, common random numbers (3)",
    )
    p.add_argument(
        "--accept",
        type=share,
        default=0.1,
        metavar="Q",
        help="share of sets kept as the posterior (0.1)",
    )
    p.add_argument("--seed", type=SEED, default=0, help="seed of the Latin hypercube (0)")
    p.add_argument(
        "--name",
        type=name,
        default=None,
        help="name of the scenario file written (default: <scenario>_calibrated)",
    )
    run_options(p, "the calibration folder")


def parse_ranges(texts: list[str]) -> dict[str, tuple[float, float]]:
    """``--range NAME=LOW:HIGH`` options as bounds by name.

    Raises:
        ConfigError: an option not of that form.
    """
    from model.files.errors import excerpt, suggest
    from model.simulation.parameters import REGISTRY

    bounds = {}
    for r in texts:
        try:
            name, span = r.split("=", 1)
            lo, hi = (float(x) for x in span.split(":", 1))
        except ValueError:
            raise ConfigError(
                f"bad --range {excerpt(r)}",
                key="--range",
                allowed="NAME=LOW:HIGH, e.g. return_rate=0.02:0.08",
            ) from None
        name = name.strip()
        if name not in REGISTRY:
            raise ConfigError(
                f"unknown parameter {excerpt(name)}",
                key="--range",
                allowed="a parameter given with --parameters",
                suggestion=suggest(name, REGISTRY),
            )
        p = REGISTRY[name]
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ConfigError(
                f"{name}={lo:g}:{hi:g}: the low end must be below the high end",
                key="--range",
                allowed=f"LOW < HIGH within {p.low:g} - {p.high:g}",
            )
        if lo < p.low or hi > p.high:
            raise ConfigError(
                f"{name}={lo:g}:{hi:g} leaves the registry range {p.low:g} - {p.high:g}",
                key="--range",
                allowed=f"LOW < HIGH within {p.low:g} - {p.high:g}",
            )
        bounds[name] = (lo, hi)
    return bounds


def run(args: argparse.Namespace) -> int:
    """ABC rejection over a Latin hypercube; writes samples, posterior, plot and a scenario."""
    from model.analysis.calibration import calibrate, write_calibration
    from model.analysis.validation import stamp
    from model.files.targets import load_targets

    path = scenario_path(args.scenario)
    scenario = load_scenario(path)
    targets = load_targets(args.targets)
    params = [p.strip() for p in args.parameters.split(",") if p.strip()]
    if not params:
        raise ConfigError(
            "no parameter named", key="--parameters", allowed="A,B,... (stabsim params)"
        )
    bounds = parse_ranges(args.range)
    stray = [name for name in bounds if name not in params]
    if stray:
        raise ConfigError(
            f"{stray[0]} has a --range but is not fitted",
            key="--range",
            allowed=f"parameters given with --parameters ({', '.join(params)})",
        )
    cal = calibrate(
        scenario,
        targets,
        params,
        args.samples,
        args.replicates,
        args.accept,
        args.seed,
        bounds,
        max(1, args.workers),
        not quiet(args),
    )
    folder = Path(args.runs_dir) / f"calibrate-{scenario.name}-{stamp()}"
    better = cal.best_loss < cal.start_loss
    name = args.name or f"{scenario.name[: NAME_MAX - 11]}_calibrated"
    written = write_calibration(cal, folder, scenario.path, name, scenario=better)
    print(
        f"loss at the scenario's values: {cal.start_loss:.3f}; best: {cal.best_loss:.3f}; "
        f"posterior: best {cal.accepted} of {args.samples}"
    )
    for p in params:
        post = cal.samples.loc[cal.samples["accepted"], p]
        print(
            f"  {p:28s} median {cal.posterior_median[p]:.4g}  (posterior {post.min():.4g} .. "
            f"{post.max():.4g}; best {cal.best[p]:.4g})"
        )
    if not better:
        print(
            f"no parameter set did better than the scenario's own values (best loss "
            f"{cal.best_loss:.3f} >= {cal.start_loss:.3f}): no calibrated scenario written; "
            f"try other parameters, wider ranges or more samples; stored in {folder}"
        )
        return EXIT_RUNS_FAILED
    print(f"stored in {folder}; scenario written: {written}")
    return EXIT_OK


COMMAND = Subcommand("calibrate", HELP, add_arguments, run)
