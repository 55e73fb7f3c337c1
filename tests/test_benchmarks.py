"""benchmarks/bench_model.py --quick runs end to end and appends its section (no speed asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_model.py"

PREVIOUS = "# Benchmark results\n\n## an earlier section\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"

SUMMARY_ROWS = (
    r"\| stabsim population agent-steps/s \([\d,]+ agents x \d+ months",
    r"\| Epstein civil violence agent-steps/s \([\d,]+ agents x \d+ steps",
    r"\| ratio stabsim / Epstein agent-steps/s \| [\d,]+x \| >= 1,000x \|",
    r"\| one \d+-month baseline run: build \+ run \+ frames \(s\) \| \d+\.\d+ \| <= 0.15 s",
    r"\| one \d+-month baseline run: run only \(s\) \| \d+\.\d+ \|",
    r"\| fixed cost of a month \(ms\) \| -?\d+\.\d+ \| <= 0.5 ms \|",
    r"\| cost per cohort-month at \w+ \(ns, whole month\) \| [\d,]+ \| <= 50 ns at 1M \|",
    r"\| peak memory at \w+ agents \(MiB, whole process; \w+ kernels\) \| [\d,]+ \| <= 400 MiB at 1M \|",
    r"\| log-log slope of time per month vs agents",
    r"\| batch throughput, 1 worker \(runs/min\) \| [\d,.]+ \|",
    r"\| batch throughput, 2 workers \(runs/min\) \| [\d,.]+ \|",
    r"\| parallel efficiency at 2 workers \| \d+\.\d+ \| >= 0.9 \|",
    r"\| Sobol study, 10 parameters, N=256 \(5,632 runs .*ESTIMATE\) \| [\d,.]+ \|",
)


@pytest.mark.slow
def test_quick_benchmark_appends_a_section(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(PREVIOUS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--results", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = results.read_text(encoding="utf-8")
    assert text.startswith(PREVIOUS), "the earlier content must be kept"
    added = text[len(PREVIOUS) :]
    assert re.search(r"^## bench_model\.py, \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", added, re.M)
    for label in ("- date: ", "- machine: ", "- versions: python ", "- git: "):
        assert label in added
    assert re.search(r"\d+ cores", added) and "numpy " in added and "mesa " in added
    assert "| measure | median | target | status |" in added
    for row in SUMMARY_ROWS:
        assert re.search(row, added), row
    # four sizes on the default path; the largest once more on the NumPy path when the
    # default is the compiled one
    paths = re.findall(r"^\| scaling \S+ \| (compiled|numpy) \|", added, re.M)
    assert len(paths) == (5 if paths[0] == "compiled" else 4), paths
    assert paths[-1] == "numpy"
    assert re.search(r"^\| 1 \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \|$", added, re.M)
    assert re.search(r"^\| 2 \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \|$", added, re.M)
    profile = re.findall(r"^\| \d+ \| `[^`]+` \| [\d,]+ \| \d+\.\d+ \|", added, re.M)
    assert len(profile) == 15
    # the figures printed are the ones written
    assert "appended to" in done.stdout
    assert "| ratio stabsim / Epstein agent-steps/s" in done.stdout
    assert "interleaved" in added
