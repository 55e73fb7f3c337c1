"""``stabsim app [SCENARIO.yaml | BATCH_DIR] [--port N]``: the explorer in the browser.

Checks the argument (a scenario file that loads, or a batch folder), then starts the Solara
server of ``model.app`` in a subprocess (``python -m model.app.server``, by module name: the
command layer does not import the app) on ``http://127.0.0.1:PORT`` and waits until it is
stopped with Ctrl-C. The app needs the ``app`` extra (``pip install -e ".[app]"``).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

from model.cli.common import EXIT_INTERRUPTED, EXIT_OK, Subcommand
from model.files.errors import ConfigError

HELP = "explore a scenario or a batch in the browser (a local Solara app; needs the app extra)"
SERVER = "model.app.server"
NEEDS = ("solara", "solara_assets", "mesa.visualization")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``app`` command's arguments to a parser."""
    p.add_argument(
        "target",
        nargs="?",
        metavar="SCENARIO.yaml | BATCH_DIR",
        help="a scenario file to start from, or a batch folder to browse "
        "(default: scenarios/baseline_historical.yaml)",
    )
    p.add_argument("--port", type=int, default=8765, metavar="N", help="port (default 8765)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def check_target(target: str | None) -> None:
    """Check the argument before anything starts.

    Raises:
        ConfigError: a missing path, a scenario file that does not load, a folder that is not
            a batch.
    """
    if target is None:
        return
    path = Path(target)
    if path.is_dir():
        from model.analysis.compare.names import open_results

        open_results(path)
    elif path.is_file():
        from model.files.scenario import load_scenario

        load_scenario(path)
    else:
        raise ConfigError(
            f"{target}: no such file or folder",
            key="target",
            allowed="a scenario file (scenarios/NAME.yaml) or a batch folder (runs/<batch-id>)",
        )


def missing_packages() -> list[str]:
    """The app's packages that are not installed."""
    out = []
    for name in NEEDS:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:  # a parent package is missing, or fails to import
            found = False
        if not found:
            out.append(name.split(".")[0].replace("_", "-"))
    return out


def server_command(target: str | None, port: int, host: str) -> list[str]:
    """The command line that serves the app."""
    cmd = [sys.executable, "-m", SERVER]
    if target:
        cmd.append(str(Path(target).resolve()))
    return [*cmd, "--port", str(port), "--host", host]


def run(args: argparse.Namespace) -> int:
    """Check the target, start the server and wait for it."""
    if not 1 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}", key="--port", allowed="1 - 65535")
    check_target(args.target)
    missing = missing_packages()
    if missing:
        raise ConfigError(
            f"the app needs {', '.join(missing)}, which is not installed; install the app "
            'extra: pip install -e ".[app]"'
        )
    print(f"stabsim app on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    proc = subprocess.Popen(server_command(args.target, args.port, args.host))
    try:
        return EXIT_OK if proc.wait() == 0 else proc.returncode
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return EXIT_INTERRUPTED


COMMAND = Subcommand("app", HELP, add_arguments, run)
