"""``stabsim status``: the progress of a batch folder, running or not."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from model.cli.common import EXIT_OK, Subcommand, duration, error

if TYPE_CHECKING:
    from model.experiments.batches import BatchProgress

HELP = "show the progress of a batch folder: done, failed and missing runs"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``status`` command's arguments to a parser."""
    p.add_argument("folder", metavar="DIR", help="a batch folder, e.g. runs/demo-20250101-120000")
    p.add_argument(
        "--errors", action="store_true", help="print the full traceback of every failed run"
    )


def run(args: argparse.Namespace) -> int:
    """Print the progress of a batch folder: done, failed and missing runs per scenario."""
    from model.experiments.batches import batch_progress
    from model.experiments.batchfiles import StoreError

    try:
        progress = batch_progress(args.folder)
    except StoreError as exc:
        return error(exc, squeeze=True)
    _print_counts(args.folder, progress)
    _print_failed(progress, args.errors)
    if progress.unreadable:
        print(
            f"{len(progress.unreadable)} part file(s) cannot be read (cut short or damaged, e.g. "
            f"{progress.unreadable[0]}); their runs count as missing"
        )
    if not progress.running and progress.totals["missing"]:
        print(f"complete it with: stabsim batch --resume {args.folder}")
    elif not progress.running and progress.failed:
        print(
            f"run the failed ones again with: stabsim batch --resume {args.folder} --retry-failed"
        )
    return EXIT_OK


def _state(progress: BatchProgress) -> str:
    pid, totals = progress.pid, progress.totals
    if progress.running:
        return f"running (pid {pid})" if pid and pid > 0 else "running"
    if totals["ok"] == len(progress.manifest["runs"]):
        return "complete"
    return "incomplete" if totals["missing"] else "done with failed runs"


def _print_counts(folder: str, progress: BatchProgress) -> None:
    manifest, table, totals = progress.manifest, progress.table, progress.totals
    n = len(manifest["runs"])
    sessions = manifest.get("sessions", [])
    print(f"batch {manifest['batch']['batch']} in {folder}: {_state(progress)}")
    print(
        f"  master seed {manifest['master_seed']}, hash {manifest['batch_hash'][:12]}, "
        f"{len(sessions)} session(s), created {manifest.get('created')}, "
        f"elapsed {duration(progress.elapsed)}"
    )
    width = max(len("scenario"), len("all"), *(len(s) for s in table))
    print(f"  {'scenario'.ljust(width)}  {'done':>7}  {'failed':>7}  {'missing':>7}  {'total':>7}")
    for name, row in [*table.items(), ("all", totals)]:
        total = row["ok"] + row["failed"] + row["missing"]
        print(
            f"  {name.ljust(width)}  {row['ok']:>7}  {row['failed']:>7}  {row['missing']:>7}  "
            f"{total:>7}"
        )
    pct = 100.0 * totals["ok"] / n if n else 100.0
    line = f"  {pct:.1f}% done"
    done_now = sum(1 for v in progress.status.values() if v.get("status") == "ok")
    if progress.elapsed > 0 and done_now:
        rate = done_now / progress.elapsed * 60
        line += f"; {rate:.1f} runs/min"
        if progress.running and totals["missing"]:
            line += f"; about {duration(totals['missing'] / rate * 60)} left"
    print(line)


def _print_failed(progress: BatchProgress, tracebacks: bool) -> None:
    from model.experiments.batchfiles import last_line

    failed = progress.failed
    if not failed:
        return
    print(f"failed runs ({len(failed)}):")
    shown = failed if tracebacks else failed[:20]
    for run_id in shown:
        message = progress.status[run_id].get("error")
        if tracebacks:
            print(f"--- {run_id}\n{(message or '').rstrip()}")
        else:
            print(f"  {run_id}  {last_line(message)}")
    if len(failed) > len(shown):
        print(f"  ... and {len(failed) - len(shown)} more (--errors shows all, with tracebacks)")


COMMAND = Subcommand("status", HELP, add_arguments, run)
