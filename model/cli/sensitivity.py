"""The ``stabsim sensitivity`` and ``stabsim discover`` commands.

``stabsim sensitivity STUDY.yaml`` validates a study file, runs its batch (scenario x design
points x replicates) on the chosen executor into ``runs/<study>-<YYYYmmdd-HHMMSS>/`` and writes
indices, tables and figures to ``<folder>/sensitivity/``. ``--resume DIR`` completes an
interrupted study and analyses it again. ``stabsim discover DIR --outcome "resurgence == 1"``
runs PRIM scenario discovery on any stored batch whose design varies levers or parameters.

Exit status: 0 done, 1 runs failed or missing (no analysis), 2 a mistake in the input,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from model.cli.batch import _duration, _error, _positive

__all__ = [
    "DISCOVER_HELP",
    "SENSITIVITY_HELP",
    "cmd_discover",
    "cmd_sensitivity",
    "discover_arguments",
    "sensitivity_arguments",
]

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
SENSITIVITY_HELP = "run a sensitivity study (morris, sobol, oat, lhs): indices, tables, figures"
DISCOVER_HELP = "scenario discovery (PRIM): where in the varied space a condition holds"


def _share(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {x:g}")
    return x


def sensitivity_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``sensitivity`` command's arguments to a parser."""
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="study YAML file (may be left out with --resume: the study recorded there is used)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        metavar="DIR",
        help="run folder (default runs/<study>-<YYYYmmdd-HHMMSS>); if it holds this study, "
        "only the missing runs are made",
    )
    where.add_argument("--resume", metavar="DIR", help="complete and analyse the study in DIR")
    p.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default=None,
        help="where runs execute: this process, local processes (default), or a Dask cluster",
    )
    p.add_argument(
        "--workers", type=_positive, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://host:8786 (implies --executor dask)",
    )
    p.add_argument("--retry-failed", action="store_true", help="also run again runs that failed")
    p.add_argument("--n", type=_positive, metavar="N", help="sample size (override the file's n)")
    p.add_argument(
        "--replicates", type=_positive, metavar="N", help="replicates per point (override)"
    )
    p.add_argument("--horizon", type=_positive, metavar="MONTHS", help="months (override)")
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help="parent of new run folders")
    p.add_argument("--no-figures", action="store_true", help="tables only")
    p.add_argument("--quiet", action="store_true", help="no progress bar (also when CI=true)")
    p.add_argument("--dry-run", action="store_true", help="validate and show the plan; run nothing")


def discover_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``discover`` command's arguments to a parser."""
    p.add_argument("folder", metavar="RUN_FOLDER", help="a study or batch folder with a design")
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
    p.add_argument(
        "--alpha", type=_share, default=0.05, help="share peeled per step (default 0.05)"
    )
    p.add_argument(
        "--min-mass", type=_share, default=0.05, help="least share of runs in a box (0.05)"
    )
    p.add_argument(
        "--threshold",
        type=_share,
        default=0.8,
        help="least density of the chosen box (default 0.8)",
    )
    p.add_argument("--boxes", type=_positive, default=2, help="boxes to find at most (2)")
    p.add_argument("--paste", action="store_true", help="widen the chosen box by pasting")
    p.add_argument(
        "--out", metavar="DIR", help="output folder (default RUN_FOLDER/sensitivity/discovery/...)"
    )


def _plan_text(study: Any, points: int) -> str:
    extra = ""
    if study.method == "sobol":
        extra = f", second order {'on' if study.options.get('second_order') else 'off'}"
    if study.method == "morris":
        extra = f", {study.options['levels']} levels"
    return (
        f"study {study.name}: {study.method} (n={study.n}{extra}) over {len(study.vary)} names; "
        f"{points} design points x {study.replicates} replicate(s) = "
        f"{points * study.replicates} runs of {study.scenario.name} "
        f"({study.scenario.horizon} months); master seed {study.seed}"
    )


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run (or resume) a study and analyse it: 0 done, 1 runs missing, 2 bad input."""
    from model.analysis.sensitivity import StudyError, open_study, study_design
    from model.experiments.store import StoreError
    from model.files.config import ConfigError
    from model.files.study import load_study

    executor = args.executor
    if args.scheduler:
        if executor not in (None, "dask"):
            return _error(f"--scheduler needs --executor dask, not {executor}")
        executor = "dask"
    executor = executor or "process"
    if args.file is None and args.resume is None:
        return _error("give a study FILE, or --resume DIR to complete a study folder")
    overrides = {"n": args.n, "replicates": args.replicates, "horizon": args.horizon}
    try:
        if args.file is not None:
            study = load_study(args.file)
            if any(v is not None for v in overrides.values()):
                study = study.with_changes(**overrides)
        else:
            if any(v is not None for v in overrides.values()):
                return _error(
                    "--n, --replicates and --horizon cannot change a study being resumed; give "
                    "FILE with the same ones, or leave them out"
                )
            study = open_study(args.resume)
        if args.dry_run:
            design = study_design(study)
            print(_plan_text(study, len(design)))
            print(f"  design: {design.describe()}")
            print(f"  outcomes: {', '.join(study.outcomes)}")
            if study.discover:
                print(f"  discover: {'; '.join(study.discover)}")
            return EXIT_OK
        return _run(study, args, executor)
    except (ConfigError, StoreError, StudyError) as exc:
        return _error(exc)


def _run(study: Any, args: argparse.Namespace, executor: str) -> int:
    from model.analysis.sensitivity import analyze_study, record_study, study_plan
    from model.experiments.executors import (
        ExecutorError,
        default_workers,
        execute,
        progress_enabled,
    )
    from model.experiments.store import BatchStore

    quiet = args.quiet or not progress_enabled(True)
    batch, design, specs = study_plan(study)
    store = BatchStore.open(
        batch, specs, design, out=args.out, resume=args.resume, runs_dir=args.runs_dir
    )
    with store:
        record_study(study, store.root)
        for note in store.warnings:
            print(f"stabsim: warning: {note}", file=sys.stderr)
        if not quiet:
            print(_plan_text(study, len(design)), file=sys.stderr)
            if store.resumed:
                c = store.counts(specs)
                print(
                    f"resuming {store.root}: {c['ok']} done, {c['failed']} failed, "
                    f"{c['missing']} missing",
                    file=sys.stderr,
                )
            n_workers = 1 if executor == "serial" else (args.workers or default_workers())
            where = args.scheduler or f"{n_workers} {executor} worker(s)"
            print(f"writing {store.root} on {where}", file=sys.stderr)
        try:
            report = execute(
                specs,
                store,
                executor=executor,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=not quiet,
                retry_failed=args.retry_failed,
            )
        except ExecutorError as exc:
            return _error(exc)
        except KeyboardInterrupt:
            c = store.counts(specs)
            print(
                f"stabsim: interrupted: {c['ok']} of {len(specs)} runs stored in {store.root}; "
                f"continue with: stabsim sensitivity --resume {store.root}",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        root = store.root
    session = (
        f"this session {report.ran} runs in {_duration(report.elapsed_s)}"
        if report.ran
        else "nothing left to run"
    )
    c = report.counts
    if not report.complete:
        print(
            f"study {study.name}: {c['ok']} ok, {c['failed']} failed, {c['missing']} missing of "
            f"{report.total} runs; {session}; not analysed"
        )
        for run_id, error in list(report.failures.items())[:10]:
            print(f"  {run_id}  {error}")
        retry = " --retry-failed" if c["failed"] else ""
        print(f"complete it with: stabsim sensitivity --resume {root}{retry}")
        return EXIT_INCOMPLETE
    print(f"study {study.name}: all {report.total} runs ok; {session}")
    result = analyze_study(root, study, figures=not args.no_figures)
    _print_result(result)
    return EXIT_OK


def _print_result(result: Any) -> None:
    study = result.study
    if not result.indices.empty:
        metric, conf = {
            "sobol": ("ST", "ST_conf"),
            "morris": ("mu_star", "mu_star_conf"),
            "oat": ("swing", None),
        }[study.method]
        level = study.options.get("conf_level", 0.95)
        print(f"most influential, by {metric}" + (f" (± {level:.0%} CI)" if conf else "") + ":")
        width = max(len(o) for o in study.summary_outcomes) if study.summary_outcomes else 10
        for outcome in study.summary_outcomes:
            top = result.top(outcome)
            if len(top) and top["note"].iloc[0]:
                print(f"  {outcome.ljust(width)}  {top['note'].iloc[0]}")
                continue
            parts = []
            for _, row in top.iterrows():
                text = f"{row['name']} {row[metric]:.3g}"
                if conf:
                    text += f" ± {row[conf]:.2g}"
                parts.append(text)
            print(f"  {outcome.ljust(width)}  {'; '.join(parts)}")
    for found in result.discoveries:
        print(f"discovery {found.condition}:")
        for line in found.describe().splitlines():
            print(f"  {line}")
    print(f"results: {result.folder / 'sensitivity'}")


def cmd_discover(args: argparse.Namespace) -> int:
    """Run PRIM on a stored batch; print the boxes; write tables and the figure."""
    from model.analysis.sensitivity import StudyError, discover

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
        )
    except (StudyError, ValueError) as exc:
        return _error(exc)
    print(f"{result.condition} in {result.folder}:")
    for line in result.describe().splitlines():
        print(f"  {line}")
    print(f"results: {result.out}")
    return EXIT_OK
