"""Serve the app on this machine, offline: ``python -m model.app.server [TARGET] --port N``.

``stabsim app`` starts this module in a subprocess. It runs Solara's server on
``model.app.page`` in production mode (no reloader, no calls home) with these settings, set
before Solara is imported:

- ``SOLARA_ASSETS_PROXY=True``: the page loads its JavaScript, CSS and fonts from this server's
  ``/_solara/cdn/`` path, which serves the files of the ``solara-assets`` package (installed
  with the ``app`` extra into ``<prefix>/share/solara/cdn``);
- ``SOLARA_ASSETS_CDN`` points at a closed local port, so an asset missing from that package
  fails at once instead of being fetched from a CDN;
- ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``: no usage statistics are sent.

``STABSIM_APP_TARGET`` tells the page what to open (a scenario file or a batch folder).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

OFFLINE: dict[str, str] = {
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/",  # the discard port: nothing answers
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_THEME_VARIANT": "light",
}
"""Environment that keeps the Solara server and its page off the network."""
TARGET_ENV = "STABSIM_APP_TARGET"
PAGE = "model.app.page"


def environment(target: str | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server process: ``base`` (default ``os.environ``) with the
    offline settings and the target."""
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE)
    if target:
        env[TARGET_ENV] = os.path.abspath(target)
    else:
        env.pop(TARGET_ENV, None)
    return env


def solara_arguments(port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``solara run`` arguments of the app."""
    return [
        "run",
        PAGE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the app until interrupted; return the exit status."""
    p = argparse.ArgumentParser(prog="python -m model.app.server", description=__doc__)
    p.add_argument("target", nargs="?", help="scenario file or batch folder to open")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args(argv)
    os.environ.update(environment(args.target))
    # Solara's advice for pages embedded in iframes and its check of Mesa's components' hooks
    # say nothing to a user of a local app
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    warnings.filterwarnings("ignore", module="solara.validate_hooks")
    from solara.__main__ import cli  # after the environment: Solara reads it on import

    try:
        cli(solara_arguments(args.port, args.host), standalone_mode=False)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
