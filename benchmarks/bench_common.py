"""What the benchmark scripts share: the results file (heading, appending a section) and the
description of the machine each section records."""

from __future__ import annotations

import os
import platform
from pathlib import Path

HEADING = (
    "# Benchmark results\n\n"
    "Appended by the scripts in `benchmarks/`; each section records the date, machine and versions.\n"
)


def append_section(path: Path, section: str) -> None:
    """Append a section to the results file, starting it with the heading if it is empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    with open(path, "a", encoding="utf-8") as fh:
        if not existing.strip():
            fh.write(HEADING + "\n")
        elif not existing.endswith("\n\n"):
            fh.write("\n" if existing.endswith("\n") else "\n\n")
        fh.write(section)


def machine() -> str:
    """Operating system, cores (and how many this process may use), CPU model and memory."""
    mem = "unknown memory"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB memory"
                break
    except OSError:
        pass
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = f"{os.cpu_count()} cores"
    try:
        usable = len(os.sched_getaffinity(0))
        if usable != os.cpu_count():
            cores += f" ({usable} usable by this process)"
    except AttributeError:  # pragma: no cover - not Linux
        pass
    return f"{platform.system()} {platform.machine()}, {cores}, {cpu}, {mem}"
