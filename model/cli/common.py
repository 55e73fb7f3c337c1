"""What the ``stabsim`` commands share: exit codes, the command record, the parser and the
dispatch of a command line, the one-line error, argument types, the quiet switch, the run
options, short number and text formatting, and the session header and interrupt handling of
batch and sensitivity.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.cli.argtypes import HORIZON, REPLICATES, WORKERS, output_folder, positive, share
from model.cli.guards import (
    EXIT_HANGUP,
    EXIT_IO,
    EXIT_TERMINATED,
    OneLineParser,
    UsageError,
    exit_status,
    fault_text,
    handle_signals,
    interruption,
    printable,
    safe_output,
    usage_line,
)
from model.files.errors import ConfigError

__all__ = [
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_IO",
    "EXIT_OK",
    "EXIT_RUNS_FAILED",
    "EXIT_TERMINATED",
    "EXIT_USER_ERROR",
    "Subcommand",
    "command_parser",
    "error",
    "positive",
    "run_command",
    "share",
]

if TYPE_CHECKING:
    from model.experiments.executors import Report
    from model.experiments.store import BatchStore

EXIT_OK = 0
EXIT_RUNS_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = "scenarios/baseline_historical.yaml"
_NO_FILES = ("params", "outcomes")  # commands that read no user file: no --allow-path


@dataclass(frozen=True)
class Subcommand:
    """A registered subcommand: its name, one-line help, argument set-up and function."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None] | None
    run: Callable[[argparse.Namespace], int]


# ---- the command line -------------------------------------------------------------------------


def command_parser(commands: Sequence[Subcommand]) -> argparse.ArgumentParser:
    """The ``stabsim`` argument parser with the given subcommands (``model.cli.COMMANDS``)."""
    parser = OneLineParser(
        prog="stabsim",
        description="Scenario simulation of stabilization in Iraq after Mosul (2017).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in commands:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.arguments is not None:
            cmd.arguments(p)
        if cmd.name not in _NO_FILES:
            p.add_argument(
                "--allow-path",
                action="append",
                default=[],
                metavar="DIR",
                help="let files refer to files under DIR too (by default only under the working "
                "folder and the referring file's folder)",
            )
        p.set_defaults(_run=cmd.run)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("stabsim")
    except Exception:  # noqa: BLE001 - not installed: run from a checkout
        return "unknown"


def run_command(commands: Sequence[Subcommand], argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with the given subcommands and run the chosen one; return its exit status.

    Exit status: 0 done, 1 runs failed (or nothing better found), 2 a mistake in the input
    (one line, nothing written), 74 a file-system fault (disk full, read-only), 130 Ctrl-C,
    143 SIGTERM, 129 SIGHUP.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = command_parser(commands)
    with safe_output():
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            print(usage_line(exc, argv, parser), file=sys.stderr)
            return EXIT_USER_ERROR
        except SystemExit as exc:  # --help or --version (argparse printed it)
            return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
        from model.files import confine

        confine.allow(getattr(args, "allow_path", None) or [])
        try:
            with handle_signals():
                return int(args._run(args))
        except KeyboardInterrupt as exc:
            print(f"stabsim: {interruption(exc)}", file=sys.stderr)
            return exit_status(exc)
        except BrokenPipeError:  # e.g. `stabsim params | head`
            sys.stderr.close()
            return EXIT_OK
        except Exception as exc:
            if is_user_error(exc):
                return error(exc)
            if isinstance(exc, OSError):
                return error(f"cannot continue: {fault_text(exc)}", status=EXIT_IO)
            raise
        finally:
            confine.reset_allowed()


# ---- errors -----------------------------------------------------------------------------------


def error(problem: object, *, squeeze: bool = False, status: int = EXIT_USER_ERROR) -> int:
    """Print ``stabsim: error: <message>`` on one line of stderr; return ``status`` (the
    user-error status unless given).

    Args:
        problem: an exception or a message.
        squeeze: collapse every run of white space (as batch, status, sensitivity and discover
            do); otherwise only line breaks become spaces and an empty message is replaced by the
            exception's type name.
        status: the exit status to return.
    """
    text = str(problem)
    if squeeze:
        message = " ".join(text.split())
    else:
        message = " ".join(text.splitlines()) or type(problem).__name__
    print(printable(f"stabsim: error: {message}"), file=sys.stderr)
    return status


def is_user_error(exc: BaseException) -> bool:
    """Whether an exception is a mistake in the user's input (printed as one line, exit 2)."""
    if isinstance(exc, ConfigError):
        return True
    data = sys.modules.get("model.data")  # imported only if the failing code used it
    data_error = getattr(data, "DataError", None)
    return isinstance(data_error, type) and isinstance(exc, data_error)


# ---- argument types and shared options --------------------------------------------------------


def quiet(args: argparse.Namespace) -> bool:
    """No progress bar: ``--quiet`` given, or the environment variable ``CI`` set to true."""
    from model.experiments.executors import progress_enabled

    return bool(getattr(args, "quiet", False)) or not progress_enabled(True)


def run_options(p: argparse.ArgumentParser, what: str) -> None:
    """The options every command that runs many replicates shares (validate, calibrate)."""
    p.add_argument(
        "--workers",
        type=WORKERS,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes (default: all cores)",
    )
    runs_dir_option(p, what)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def runs_dir_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--runs-dir DIR`` (default ``runs``), checked to be writable before any work starts."""
    p.add_argument(
        "--runs-dir",
        type=output_folder,
        default="runs",
        metavar="DIR",
        help=f"where {what} goes (runs)",
    )


def override_options(p: argparse.ArgumentParser, what: str) -> None:
    """``--replicates``, ``--horizon`` (override the file's) and ``--runs-dir`` (where ``what``
    goes): the options of run and demo, checked before any work starts."""
    p.add_argument(
        "--replicates", type=REPLICATES, default=None, metavar="N", help="override replicates"
    )
    p.add_argument(
        "--horizon", type=HORIZON, default=None, metavar="MONTHS", help="override horizon"
    )
    runs_dir_option(p, what)


def here_or_checkout(relative: str) -> Path:
    """A file of the stabsim checkout: relative to the working folder if there, else the
    checkout's own."""
    here = Path(relative)
    return here if here.exists() else CHECKOUT / relative


def scenario_path(arg: str | None) -> Path:
    """The scenario validate and calibrate start from: the one given, else the default."""
    return Path(arg) if arg else here_or_checkout(DEFAULT_SCENARIO)


# ---- text -------------------------------------------------------------------------------------


def num(x: float) -> str:
    """A number in its shortest form (``%g``)."""
    return f"{x:g}"


def shorten(text: str, width: int) -> str:
    """Text on one line, cut to ``width`` characters with ``...``."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def relative(path: str) -> str:
    """A path relative to the working folder if it lies below it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def duration(seconds: float) -> str:
    """Seconds as ``1h02m03s``, ``2m03s`` or ``3s``."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    return f"{m}m{s:02d}s" if m else f"{s}s"


# ---- running a batch store (batch, sensitivity) -----------------------------------------------


def executor_options(p: argparse.ArgumentParser) -> None:
    """The options that choose where a batch's runs execute (batch, sensitivity); read them
    with :func:`chosen_executor`."""
    p.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default=None,
        help="where runs execute: this process, local processes (default), or a Dask cluster",
    )
    p.add_argument(
        "--workers", type=WORKERS, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://host:8786 (implies --executor dask)",
    )


def chosen_executor(args: argparse.Namespace) -> str | None:
    """The executor ``--executor`` and ``--scheduler`` ask for (a scheduler implies Dask).

    Returns:
        The executor's name, or None after printing the error if ``--scheduler`` comes with
        another executor.
    """
    executor = args.executor
    if args.scheduler:
        if executor not in (None, "dask"):
            error(f"--scheduler needs --executor dask, not {executor}", squeeze=True)
            return None
        executor = "dask"
    if executor == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:  # say so before a folder is made
            error("the dask executor needs dask[distributed]: pip install 'stabsim[dask]'")
            return None
    return executor or "process"


def run_session(
    store: BatchStore,
    specs: Sequence[Any],
    args: argparse.Namespace,
    executor: str,
    plan: str,
    *,
    command: str,
    retry_note: bool = False,
    orphans_note: bool = False,
) -> Report | int:
    """Print the store's warnings and (unless quiet) what runs where, then run what is pending.

    Args:
        store: the open batch store.
        specs: every run of the batch.
        args: the command's arguments (workers, scheduler, retry_failed, quiet).
        executor: the executor's name.
        plan: the one-line plan printed first.
        command: the command a resume message names (``stabsim <command> --resume``).
        retry_note: say when failed runs are retried.
        orphans_note: say when temporary files of an interrupted run were removed.

    Returns:
        The executor's report, or an exit status: 2 if the executor cannot start, 130 if
        interrupted.
    """
    from model.experiments.executors import execute
    from model.experiments.worker import ExecutorError, default_workers

    is_quiet = quiet(args)
    for note in store.warnings:
        print(f"stabsim: warning: {note}", file=sys.stderr)
    if not is_quiet:
        print(plan, file=sys.stderr)
        if store.resumed:
            c = store.counts(specs)
            retrying = ", retrying failed" if retry_note and args.retry_failed else ""
            print(
                f"resuming {store.root}: {c['ok']} done, {c['failed']} failed, "
                f"{c['missing']} missing" + retrying,
                file=sys.stderr,
            )
        if orphans_note and store.removed_orphans:
            print(
                f"removed {store.removed_orphans} temporary files of an interrupted run",
                file=sys.stderr,
            )
        n_workers = 1 if executor == "serial" else (args.workers or default_workers())
        where = args.scheduler or f"{n_workers} {executor} worker(s)"
        print(f"writing {store.root} on {where}", file=sys.stderr)
    try:
        return execute(
            specs,
            store,
            executor=executor,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not is_quiet,
            retry_failed=args.retry_failed,
        )
    except ExecutorError as exc:
        store.discard_if_unused()  # a failed start leaves no folder behind
        return error(exc, squeeze=True)
    except (KeyboardInterrupt, OSError) as exc:
        if store.discard_if_unused():
            where = "nothing stored"
            hint = ""
        else:
            c = store.counts(specs)
            where = f"{c['ok']} of {len(specs)} runs stored in {store.root}"
            hint = f"; continue with: stabsim {command} --resume {store.root}"
        if isinstance(exc, OSError):
            what = f"error: cannot write: {fault_text(exc)}"
            hint += " once the cause is fixed" if hint else ""
            status = EXIT_IO
        else:
            what, status = interruption(exc), exit_status(exc)
        print(printable(f"stabsim: {what}: {where}{hint}"), file=sys.stderr)
        return status
