"""The ``stabsim`` command.

Each subcommand is one function registered with :func:`subcommand`, which also names a function
adding its arguments; ``main`` builds the parser from that registry. A mistake in the user's
input (a :class:`~model.files.config.ConfigError`, or ``model.data.DataError``) is printed as one line
``stabsim: error: <message>`` on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from model.cli import batch as _batch_cli
from model.cli import compare as _compare_cli
from model.cli import sensitivity as _sensitivity_cli
from model.files.config import (
    Batch,
    ConfigError,
    Scenario,
    Schedule,
    load_any,
    load_batch,
    load_scenario,
)
from model.simulation import outcomes as _outcomes
from model.simulation import parameters as _parameters

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
DEMO_BATCH = "scenarios/demo_batch.yaml"


@dataclass(frozen=True)
class Subcommand:
    """A registered subcommand: its name, one-line help, argument set-up and function."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None] | None
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register the decorated function as ``stabsim <name>``.

    Args:
        name: the subcommand's name.
        help: one line for ``stabsim --help``.
        arguments: adds the subcommand's arguments to its parser.

    Returns:
        A decorator that registers a function ``(args) -> exit status`` and returns it.
    """

    def register(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        SUBCOMMANDS[name] = Subcommand(name, help, arguments, func)
        return func

    return register


# ---- params -----------------------------------------------------------------------------------


def _params_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=_parameters.KINDS, help="only entries of this kind")
    p.add_argument(
        "--markdown", action="store_true", help="print the Markdown page docs/parameters.md"
    )


@subcommand("params", "print the parameter and lever registry", _params_arguments)
def cmd_params(args: argparse.Namespace) -> int:
    """Print the registry as an aligned table, or as Markdown with ``--markdown``."""
    if args.markdown:
        sys.stdout.write(_parameters.markdown_table())
        return EXIT_OK
    entries = [p for p in _parameters.REGISTRY.values() if args.kind in (None, p.kind)]
    print(params_table(entries))
    return EXIT_OK


def params_table(entries: Sequence[_parameters.Parameter], meaning_width: int = 60) -> str:
    """Registry entries as an aligned text table (the meaning truncated to ``meaning_width``)."""
    header = ("name", "kind", "default", "range", "unit", "source", "meaning")
    rows = [header]
    for p in entries:
        meaning = p.meaning
        if p.choices:
            meaning = ", ".join(f"{k}={_num(v)}" for k, v in p.choices.items()) + "; " + meaning
        if len(meaning) > meaning_width:
            meaning = meaning[: meaning_width - 3].rstrip() + "..."
        rows.append(
            (
                p.name,
                p.kind,
                _num(p.default),
                f"{_num(p.low)} - {_num(p.high)}",
                p.unit,
                p.source,
                meaning,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for i, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in [*widths, len(header[-1])]))
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:g}"


# ---- check ------------------------------------------------------------------------------------


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario or batch YAML files")


@subcommand("check", "validate scenario or batch files and summarise them", _check_arguments)
def cmd_check(args: argparse.Namespace) -> int:
    """Validate each file; print a summary, or one error line per bad file."""
    status = EXIT_OK
    for i, file in enumerate(args.files):
        try:
            obj = load_any(file)
            if isinstance(obj, Batch):
                from model.experiments.design import parse_design

                parse_design(obj)  # design errors too, with their file and line
        except ConfigError as exc:
            _error(exc)
            status = EXIT_USER_ERROR
            continue
        if i:
            print()
        print(describe_batch(obj) if isinstance(obj, Batch) else describe_scenario(obj))
    return status


def describe_scenario(s: Scenario, indent: str = "") -> str:
    """A short, resolved summary of a scenario."""
    lines = [f"scenario {s.name}" + (f"  ({_rel(s.path)})" if s.path else "")]
    if s.description:
        lines.append(f"  {_shorten(s.description, 96)}")
    lines.append(
        f"  start {s.start}, horizon {s.horizon} months (to {s.end}), seed {s.seed}, "
        f"replicates {s.replicates}"
    )
    if s.levers:
        lines.append("  levers:")
        width = max(len(n) for n in s.levers)
        for name, sched in s.levers.items():
            lines.append(f"    {name.ljust(width)}  {_schedule_text(name, sched)}")
    else:
        lines.append("  levers: all at registry defaults")
    if s.parameters:
        lines.append(
            "  parameters: " + ", ".join(f"{k}={_num(v)}" for k, v in s.parameters.items())
        )
    if s.initial_data or s.initial_areas or s.initial_forces:
        parts = []
        if s.initial_data:
            parts.append(f"data {_rel(s.initial_data)}")
        for label, table in (("areas", s.initial_areas), ("forces", s.initial_forces)):
            if table:
                parts.append(f"{label} " + ", ".join(table))
        lines.append("  initial: " + "; ".join(parts))
    n_all = len(_outcomes.MONTHLY_NAMES)
    outcomes = f"all {n_all}" if len(s.outcomes) == n_all else ", ".join(s.outcomes)
    lines.append(f"  outcomes: {outcomes}; levels: {', '.join(s.levels)}")
    return "\n".join(indent + line for line in lines)


def describe_batch(b: Batch) -> str:
    """A short summary of a batch: its scenarios and the number of runs."""
    lines = [f"batch {b.name}" + (f"  ({_rel(b.path)})" if b.path else "")]
    if b.description:
        lines.append(f"  {_shorten(b.description, 96)}")
    reps = f"{b.replicates} per scenario" if b.replicates is not None else "as each scenario sets"
    lines.append(f"  master seed {b.seed}; replicates {reps}")
    lines.append(f"  scenarios ({len(b.scenarios)}):")
    width = max(len(s.name) for s in b.scenarios)
    for s in b.scenarios:
        lines.append(
            f"    {s.name.ljust(width)}  {s.replicates} x {s.horizon} months from {s.start}"
        )
    counts = {s.replicates for s in b.scenarios}
    per = f"{counts.pop()} replicates" if len(counts) == 1 else "their replicates"
    if b.design is None:
        lines.append(f"  runs: {b.runs} ({len(b.scenarios)} scenarios x {per})")
    else:
        from model.experiments.design import expand, parse_design

        d = parse_design(b)
        lines.append(f"  design: {d.kind} over {', '.join(d.names)}, {len(d.points)} points")
        lines.append(
            f"  runs: {len(expand(b))} ({len(b.scenarios)} scenarios x design points x {per})"
        )
    return "\n".join(lines)


def differing_levers(scenarios: Sequence[Scenario]) -> list[str]:
    """Levers whose monthly values are not the same in every scenario."""
    series = [s.lever_series() for s in scenarios]
    out = []
    for name in _parameters.LEVERS:
        first = series[0][name]
        if any(len(x[name]) != len(first) or (x[name] != first).any() for x in series[1:]):
            out.append(name)
    return out


def _schedule_text(name: str, sched: Schedule) -> str:
    p = _parameters.REGISTRY[name]
    return sched.describe(p.choices, p.integer)


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


# ---- demo -------------------------------------------------------------------------------------


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--batch",
        default=None,
        metavar="FILE",
        help=f"batch file (default: {DEMO_BATCH}, from here or from the stabsim checkout)",
    )
    p.add_argument("--replicates", type=int, default=None, metavar="N", help="override replicates")
    p.add_argument("--horizon", type=int, default=None, metavar="MONTHS", help="override horizon")
    p.add_argument(
        "--workers", type=int, default=None, metavar="N", help="processes (default: all cores)"
    )
    p.add_argument(
        "--runs-dir", default="runs", metavar="DIR", help="where the batch folder goes (runs)"
    )
    p.add_argument(
        "--list", action="store_true", help="only validate the batch and list what it runs"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def default_demo_batch() -> Path:
    """The demo batch: ``scenarios/demo_batch.yaml`` here, else in the stabsim checkout."""
    here = Path(DEMO_BATCH)
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / DEMO_BATCH


@subcommand(
    "demo", "run the demo batch (the article's scenarios) and write its report", _demo_arguments
)
def cmd_demo(args: argparse.Namespace) -> int:
    """Validate the demo batch, run it through the batch machinery and write its report."""
    batch = load_batch(args.batch or default_demo_batch())
    print(describe_demo(batch))
    if args.list:
        return EXIT_OK
    from model.cli.batch import run_batch

    results = run_batch(
        batch,
        workers=args.workers,
        progress=not _quiet(args),
        replicates=args.replicates,
        horizon=args.horizon,
        runs_dir=args.runs_dir,
    )
    failed = results.counts()["failed"]
    print(f"batch stored in {results.path}")
    report = _demo_report(results)
    if report is not None:
        print(f"report: {report}")
    return EXIT_OK if not failed else 1


def _demo_report(results) -> Path | None:
    """The comparison report of a finished batch (None if the compare module is absent)."""
    try:
        from model.analysis.compare import write_report
    except ImportError:
        return None
    return write_report(results, Path(results.path) / "compare")


def describe_demo(batch: Batch) -> str:
    """What a batch will run: scenarios, replicates, runs, horizon, differing levers."""
    lines = [describe_batch(batch)]
    horizons = {(s.start, s.horizon) for s in batch.scenarios}
    if len(horizons) == 1:
        start, horizon = horizons.pop()
        lines.append(f"  horizon: {horizon} months from {start} (all scenarios)")
    levers = differing_levers(batch.scenarios)
    if levers:
        lines.append("  levers that differ between scenarios:")
        width = max(len(s.name) for s in batch.scenarios)
        for name in levers:
            lines.append(f"    {name}:")
            default = _num(_parameters.REGISTRY[name].default)
            for s in batch.scenarios:
                text = (
                    _schedule_text(name, s.levers[name])
                    if name in s.levers
                    else f"{default} (default)"
                )
                lines.append(f"      {s.name.ljust(width)}  {text}")
    else:
        lines.append("  levers: the same in every scenario")
    return "\n".join(lines)


# ---- main -------------------------------------------------------------------------------------


# ---- outcomes ---------------------------------------------------------------------------------


def _outcomes_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print docs/outputs.md")


@subcommand(
    "outcomes", "print the outcome catalogue (columns, units, meaning)", _outcomes_arguments
)
def cmd_outcomes(args: argparse.Namespace) -> int:
    """Print every recorded outcome with its unit and meaning."""
    if args.markdown:
        print(_outcomes.markdown_table(), end="")
        return EXIT_OK
    for o in (*_outcomes.MONTHLY.values(), *_outcomes.SUMMARY.values()):
        print(f"{o.name:38s} {o.unit:24s} {_shorten(o.meaning, 70)}")
    return EXIT_OK


# ---- run --------------------------------------------------------------------------------------


def _run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="scenario file (scenarios/NAME.yaml)")
    p.add_argument("--replicates", type=int, default=None, metavar="N", help="override replicates")
    p.add_argument("--horizon", type=int, default=None, metavar="MONTHS", help="override horizon")
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run folders go (runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@subcommand("run", "run one scenario's replicates and store them under runs/", _run_arguments)
def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario's replicates; write runs/<name>-<stamp>/ and print a short summary."""
    from model.experiments.run import initial_state_for, run_scenario, summarize

    scenario = load_scenario(args.file)
    changes = {k: v for k, v in (("replicates", args.replicates), ("horizon", args.horizon)) if v}
    if changes:
        scenario = scenario.with_changes(**changes)
    initial_state_for(scenario)  # a bad initial state fails here, before anything is written
    quiet = args.quiet or os.environ.get("CI", "").lower() in ("1", "true", "yes")
    folder = run_scenario(scenario, args.runs_dir, progress=not quiet)
    print(
        f"{scenario.name}: {scenario.replicates} replicates, {scenario.horizon} months from {scenario.start}"
    )
    print(summarize(folder.summary()))
    print(f"stored in {folder.path}")
    return EXIT_OK


def _run_options(p: argparse.ArgumentParser, what: str) -> None:
    """The options every command that runs many replicates shares."""
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes (default: all cores)",
    )
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help=f"where {what} goes (runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


# ---- validate / calibrate ---------------------------------------------------------------------

DEFAULT_SCENARIO = "scenarios/baseline_historical.yaml"


def _scenario_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    here = Path(DEFAULT_SCENARIO)
    return here if here.exists() else Path(__file__).resolve().parents[2] / DEFAULT_SCENARIO


def _quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False)) or os.environ.get("CI", "").lower() in (
        "1",
        "true",
        "yes",
    )


def _validate_arguments(p: argparse.ArgumentParser) -> None:
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
        "--replicates", type=int, metavar="N", help="replicates (default: the scenario's)"
    )
    p.add_argument(
        "--update-docs",
        action="store_true",
        help="also rewrite the table and plot in docs/validation.md",
    )
    _run_options(p, "the report folder")


@subcommand(
    "validate",
    "score a scenario against the historical record (seeds/targets.yaml)",
    _validate_arguments,
)
def cmd_validate(args: argparse.Namespace) -> int:
    """Run the scenario's replicates, print target by target, store table and plot; exit 0."""
    from model.analysis import validation as V

    scenario = load_scenario(_scenario_path(args.scenario))
    targets = V.load_targets(args.targets)
    n = args.replicates or scenario.replicates
    table = V.validate(
        scenario, targets, n, workers=max(1, args.workers), progress=not _quiet(args)
    )
    folder = Path(args.runs_dir) / f"validate-{scenario.name}-{V.stamp()}"
    folder.mkdir(parents=True)
    table.drop(columns=[c for c in table.columns if c.startswith("_")]).to_csv(
        folder / "validation.csv", index=False
    )
    fig = V.validation_figure(table, f"{scenario.name}: {n} replicates against the record")
    fig.savefig(folder / "validation.png", dpi=110)
    scores = {u: V.score(table, u) for u in ("calibration", "validation")} | {"all": V.score(table)}
    (folder / "score.json").write_text(__import__("json").dumps(scores, indent=2))
    print(V.printable(table))
    for use, sc in scores.items():
        print(
            f"{use:12s} {sc['passed']}/{sc['targets']} targets within tolerance (score {sc['score']:.2f}, mean loss {sc['loss']:.2f})"
        )
    print(f"stored in {folder}")
    if args.update_docs:
        V.update_docs(table, fig, scenario, n, scores)
        print("updated docs/validation.md")
    return EXIT_OK


def _calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help=f"scenario to start from (default {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--parameters",
        required=True,
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
        type=int,
        default=64,
        metavar="N",
        help="parameter sets from a Latin hypercube (64)",
    )
    p.add_argument(
        "--replicates",
        type=int,
        default=3,
        metavar="N",
        help="replicates per set, common random numbers (3)",
    )
    p.add_argument(
        "--accept",
        type=float,
        default=0.1,
        metavar="Q",
        help="share of sets kept as the posterior (0.1)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the Latin hypercube (0)")
    p.add_argument(
        "--name",
        default=None,
        help="name of the scenario file written (default: <scenario>_calibrated)",
    )
    _run_options(p, "the calibration folder")


@subcommand(
    "calibrate",
    "fit parameters to the record by approximate Bayesian computation",
    _calibrate_arguments,
)
def cmd_calibrate(args: argparse.Namespace) -> int:
    """ABC rejection over a Latin hypercube; writes samples, posterior, plot and a scenario."""
    from model.analysis import validation as V

    path = _scenario_path(args.scenario)
    scenario = load_scenario(path)
    targets = V.load_targets(args.targets)
    params = [p.strip() for p in args.parameters.split(",") if p.strip()]
    bounds = {}
    for r in args.range:
        try:
            name, span = r.split("=", 1)
            lo, hi = (float(x) for x in span.split(":", 1))
        except ValueError:
            raise ConfigError(
                f"bad --range '{r}'",
                key="--range",
                allowed="NAME=LOW:HIGH, e.g. return_rate=0.02:0.08",
            ) from None
        bounds[name.strip()] = (lo, hi)
    if not 0 < args.accept <= 1 or args.samples < 2 or args.replicates < 1:
        raise ConfigError(
            "bad settings",
            key="--samples/--replicates/--accept",
            allowed="samples >= 2, replicates >= 1, 0 < accept <= 1",
        )
    cal = V.calibrate(
        scenario,
        targets,
        params,
        args.samples,
        args.replicates,
        args.accept,
        args.seed,
        bounds,
        max(1, args.workers),
        not _quiet(args),
    )
    folder = Path(args.runs_dir) / f"calibrate-{scenario.name}-{V.stamp()}"
    written = V.write_calibration(
        cal, folder, scenario.path, args.name or f"{scenario.name}_calibrated"
    )
    print(
        f"loss at the scenario's values: {cal.start_loss:.3f}; best: {cal.best_loss:.3f}; posterior: best {cal.accepted} of {args.samples}"
    )
    for p in params:
        post = cal.samples.loc[cal.samples["accepted"], p]
        print(
            f"  {p:28s} median {cal.posterior_median[p]:.4g}  (posterior {post.min():.4g} .. {post.max():.4g}; best {cal.best[p]:.4g})"
        )
    print(f"stored in {folder}; scenario written: {written}")
    return EXIT_OK


# ---- compare ----------------------------------------------------------------------------------

subcommand("compare", _compare_cli.HELP, _compare_cli.add_arguments)(_compare_cli.run)
subcommand("batch", _batch_cli.BATCH_HELP, _batch_cli.batch_arguments)(_batch_cli.cmd_batch)
subcommand("status", _batch_cli.STATUS_HELP, _batch_cli.status_arguments)(_batch_cli.cmd_status)
subcommand(
    "sensitivity", _sensitivity_cli.SENSITIVITY_HELP, _sensitivity_cli.sensitivity_arguments
)(_sensitivity_cli.cmd_sensitivity)
subcommand("discover", _sensitivity_cli.DISCOVER_HELP, _sensitivity_cli.discover_arguments)(
    _sensitivity_cli.cmd_discover
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="stabsim",
        description="Scenario simulation of stabilization in Iraq after Mosul (2017).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in SUBCOMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.arguments is not None:
            cmd.arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("stabsim")
    except Exception:  # noqa: BLE001 - not installed: run from a checkout
        return "unknown"


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, ConfigError):
        return True
    data = sys.modules.get("model.data")  # imported only if the failing code used it
    data_error = getattr(data, "DataError", None)
    return isinstance(data_error, type) and isinstance(exc, data_error)


def _error(exc: BaseException) -> None:
    message = " ".join(str(exc).split("\n")) or type(exc).__name__
    print(f"stabsim: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stabsim`` command; return its exit status (2 for a user error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("stabsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `stabsim params | head`
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if _is_user_error(exc):
            _error(exc)
            return EXIT_USER_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
