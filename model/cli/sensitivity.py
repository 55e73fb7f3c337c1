"""``stabsim sensitivity``: run a sensitivity study and analyse it.

``stabsim sensitivity STUDY.yaml`` validates a study file, runs its batch (scenario x design
points x replicates) on the chosen executor into ``runs/<study>-<YYYYmmdd-HHMMSS>/`` and writes
indices, tables and figures to ``<folder>/sensitivity/``. ``--resume DIR`` completes an
interrupted study and analyses it again.

Exit status: 0 done, 1 runs failed or missing (no analysis), 2 a mistake in the input,
130 interrupted.
"""

from __future__ import annotations

import argparse
from typing import Any

from model.cli.argtypes import HORIZON, REPLICATES, output_folder
from model.cli.common import (
    EXIT_OK,
    EXIT_RUNS_FAILED,
    EXIT_USER_ERROR,
    Subcommand,
    chosen_executor,
    duration,
    error,
    executor_options,
    positive,
    run_session,
    runs_dir_option,
)

__all__ = ["COMMAND", "HELP", "add_arguments", "run"]

HELP = "run a sensitivity study (morris, sobol, oat, lhs): indices, tables, figures"


def add_arguments(p: argparse.ArgumentParser) -> None:
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
        type=output_folder,
        metavar="DIR",
        help="run folder (default runs/<study>-<YYYYmmdd-HHMMSS>); if it holds this study, "
        "only the missing runs are made",
    )
    where.add_argument(
        "--resume",
        type=output_folder,
        metavar="DIR",
        help="complete and analyse the study in DIR",
    )
    executor_options(p)
    p.add_argument("--retry-failed", action="store_true", help="also run again runs that failed")
    p.add_argument("--n", type=positive, metavar="N", help="sample size (override the file's n)")
    p.add_argument(
        "--replicates", type=REPLICATES, metavar="N", help="replicates per point (override)"
    )
    p.add_argument("--horizon", type=HORIZON, metavar="MONTHS", help="months (override)")
    runs_dir_option(p, "a new run folder")
    p.add_argument("--no-figures", action="store_true", help="tables only")
    p.add_argument("--quiet", action="store_true", help="no progress bar (also when CI=true)")
    p.add_argument("--dry-run", action="store_true", help="validate and show the plan; run nothing")


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


def run(args: argparse.Namespace) -> int:
    """Run (or resume) a study and analyse it: 0 done, 1 runs missing, 2 bad input."""
    from model.analysis.discovery import StudyError
    from model.analysis.sensitivity import open_study, study_design
    from model.experiments.batchfiles import StoreError
    from model.files.errors import ConfigError
    from model.files.study import load_study

    executor = chosen_executor(args)
    if executor is None:
        return EXIT_USER_ERROR
    if args.file is None and args.resume is None:
        return error("give a study FILE, or --resume DIR to complete a study folder", squeeze=True)
    overrides = {"n": args.n, "replicates": args.replicates, "horizon": args.horizon}
    try:
        if args.file is not None:
            study = load_study(args.file)
            if any(v is not None for v in overrides.values()):
                study = study.with_changes(**overrides)
        else:
            if any(v is not None for v in overrides.values()):
                return error(
                    "--n, --replicates and --horizon cannot change a study being resumed; give "
                    "FILE with the same ones, or leave them out",
                    squeeze=True,
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
        return error(exc, squeeze=True)


def _run(study: Any, args: argparse.Namespace, executor: str) -> int:
    from model.analysis.sensitivity import analyze_study, record_study, study_plan
    from model.experiments.store import BatchStore

    batch, design, specs = study_plan(study)
    store = BatchStore.open(
        batch, specs, design, out=args.out, resume=args.resume, runs_dir=args.runs_dir
    )
    with store:
        try:
            record_study(study, store.root)
        except BaseException:
            store.discard_if_unused()  # a failed start leaves no folder behind
            raise
        report = run_session(
            store, specs, args, executor, _plan_text(study, len(design)), command="sensitivity"
        )
        if isinstance(report, int):
            return report
        root = store.root
    session = (
        f"this session {report.ran} runs in {duration(report.elapsed_s)}"
        if report.ran
        else "nothing left to run"
    )
    c = report.counts
    if not report.complete:
        print(
            f"study {study.name}: {c['ok']} ok, {c['failed']} failed, {c['missing']} missing of "
            f"{report.total} runs; {session}; not analysed"
        )
        for run_id, message in list(report.failures.items())[:10]:
            print(f"  {run_id}  {message}")
        retry = " --retry-failed" if c["failed"] else ""
        print(f"complete it with: stabsim sensitivity --resume {root}{retry}")
        return EXIT_RUNS_FAILED
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


COMMAND = Subcommand("sensitivity", HELP, add_arguments, run)
