"""SIGTERM and SIGHUP handled like Ctrl-C, and short stretches where they wait.

``stabsim`` turns the first SIGTERM (what schedulers and ``timeout`` send) or SIGHUP (a closed
terminal) into :class:`Terminated`, a ``KeyboardInterrupt``, so that the clean-up of Ctrl-C runs:
the session is recorded, worker processes are stopped, and the command says how to resume.
Code that must not be cut in the middle (starting a Dask cluster, whose half-made processes
could not be closed) runs inside :func:`deferred`; a signal that arrives there is raised at its
end. No Mesa here.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["Terminated", "deferred", "handle_signals"]

_state: dict[str, Any] = {"depth": 0, "pending": None, "fired": False}


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that the same clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _handler(signum: int, frame: Any) -> None:
    if _state["fired"]:  # later signals wait while the first one's clean-up runs
        return
    if _state["depth"]:
        _state["pending"] = signum
        return
    _state["fired"] = True
    raise Terminated(signum)


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Turn the first SIGTERM or SIGHUP into :class:`Terminated` in the main thread; the
    previous handlers are restored after (nothing is changed outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            sig = getattr(signal, name)
            previous[sig] = signal.signal(sig, _handler)
    _state.update(depth=0, pending=None, fired=False)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _state.update(depth=0, pending=None, fired=False)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A stretch that SIGTERM and SIGHUP do not cut: one arriving here is raised at its end."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        signum = _state["pending"]
        if not _state["depth"] and signum is not None and not _state["fired"]:
            _state["pending"] = None
            _state["fired"] = True
            raise Terminated(signum)
