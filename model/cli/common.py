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

from model.files.errors import ConfigError

if TYPE_CHECKING:
    from model.experiments.executors import Report
    from model.experiments.store import BatchStore

EXIT_OK = 0
EXIT_RUNS_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = "scenarios/baseline_historical.yaml"


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
    parser = argparse.ArgumentParser(
        prog="stabsim",
        description="Scenario simulation of stabilization in Iraq after Mosul (2017).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in commands:
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


def run_command(commands: Sequence[Subcommand], argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with the given subcommands and run the chosen one; return its exit status
    (2 for a mistake in the input, printed as one line; 130 if interrupted)."""
    parser = command_parser(commands)
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
        if is_user_error(exc):
            return error(exc)
        raise


# ---- errors -----------------------------------------------------------------------------------


def error(problem: object, *, squeeze: bool = False) -> int:
    """Print ``stabsim: error: <message>`` on one line of stderr; return the user-error status.

    Args:
        problem: an exception or a message.
        squeeze: collapse every run of white space (as batch, status, sensitivity and discover
            do); otherwise only line breaks become spaces and an empty message is replaced by the
            exception's type name.
    """
    text = str(problem)
    if squeeze:
        message = " ".join(text.split())
    else:
        message = " ".join(text.split("\n")) or type(problem).__name__
    print(f"stabsim: error: {message}", file=sys.stderr)
    return EXIT_USER_ERROR


def is_user_error(exc: BaseException) -> bool:
    """Whether an exception is a mistake in the user's input (printed as one line, exit 2)."""
    if isinstance(exc, ConfigError):
        return True
    data = sys.modules.get("model.data")  # imported only if the failing code used it
    data_error = getattr(data, "DataError", None)
    return isinstance(data_error, type) and isinstance(exc, data_error)


# ---- argument types and shared options --------------------------------------------------------


def positive(text: str) -> int:
    """An argument type: a whole number >= 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {n}")
    return n


def share(text: str) -> float:
    """An argument type: a number in (0, 1]."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {x:g}")
    return x


def quiet(args: argparse.Namespace) -> bool:
    """No progress bar: ``--quiet`` given, or the environment variable ``CI`` set to true."""
    from model.experiments.executors import progress_enabled

    return bool(getattr(args, "quiet", False)) or not progress_enabled(True)


def run_options(p: argparse.ArgumentParser, what: str) -> None:
    """The options every command that runs many replicates shares (validate, calibrate)."""
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes (default: all cores)",
    )
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help=f"where {what} goes (runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


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
        "--workers", type=positive, metavar="N", help="worker processes (default: all cores)"
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
        return error(exc, squeeze=True)
    except KeyboardInterrupt:
        c = store.counts(specs)
        print(
            f"stabsim: interrupted: {c['ok']} of {len(specs)} runs stored in {store.root}; "
            f"continue with: stabsim {command} --resume {store.root}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
