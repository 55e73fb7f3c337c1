"""The lock of a batch folder: one writing process at a time (``fcntl.flock`` on ``.lock``).

The lock file holds the writer's pid, so another process can say who is writing. Where
``fcntl`` is missing (Windows) there is no locking.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.experiments.batchfiles import LOCK, StoreError

__all__ = ["lock_holder"]


def lock_holder(root: str | os.PathLike[str]) -> int | None:
    """The pid of a live process writing to the batch folder, or None."""
    path = Path(root) / LOCK
    if not path.exists():
        return None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        return None
    try:
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                text = fh.read().strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError:
        return None
    return None


@dataclass
class _Lock:
    fh: Any

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()


def _acquire_lock(root: Path) -> _Lock | None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        return None
    try:
        fh = open(root / LOCK, "a+")  # noqa: SIM115 - held open for the whole session
    except IsADirectoryError:
        raise StoreError(f"{root / LOCK}: is a folder, not the lock file of a batch") from None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        pid = fh.read().strip() or "?"
        fh.close()
        raise StoreError(
            f"{root}: another stabsim process (pid {pid}) is writing to this batch folder"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return _Lock(fh)
