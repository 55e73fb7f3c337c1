"""How long `stabsim demo` takes: the demo batch over its parameter ensemble, and its report.

Runs ``python -m model.cli demo`` in a fresh process into a temporary folder and reports the
wall time of the runs and of the report (from the command's own output), the CPU time of the
command's own process (planning, storing, the report) and the mean wall time of a run in a
worker (``status.jsonl``). It then times a sample of the demo's runs in this process (CPU time,
which a busy machine inflates far less than wall time) and estimates the wall time on an idle
machine: runs x CPU per run / workers + the command's CPU time.

    python benchmarks/bench_demo.py               # the demo as `make demo` runs it
    python benchmarks/bench_demo.py --quick       # 1 draw x 1 replicate x 6 months: a check

Appends a dated section to benchmarks/RESULTS.md (``--results PATH`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--results", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    p.add_argument("--sample", type=int, default=14, help="runs timed in this process (14)")
    args = p.parse_args(argv)
    extra = ["--draws", "1", "--replicates", "1", "--horizon", "6"] if args.quick else []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "model.cli", "demo", "--runs-dir", tmp, "--quiet",
               "--workers", str(args.workers), *extra]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            return done.returncode
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        (folder,) = [f for f in Path(tmp).iterdir() if f.is_dir()]
        lines = [json.loads(x) for x in (folder / "status.jsonl").read_text().splitlines()]
        runs = len(lines)
        mean_run = sum(x["duration_s"] for x in lines) / max(runs, 1)
    per_run = _cpu_per_run(2 if args.quick else args.sample, args.quick)
    estimate = runs * per_run / args.workers + cpu
    stored = re.search(r"batch stored in .* \((.+)\)", done.stdout)
    total = re.search(r"report: .* \((.+) in all\)", done.stdout)
    load = os.getloadavg()[0]
    text = (
        f"\n## bench_demo.py, {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC"
        f"{' (quick: not a measurement)' if args.quick else ''}\n\n"
        f"- `stabsim demo --workers {args.workers}`: {runs} runs; runs done after "
        f"{stored.group(1) if stored else '?'}, report after {total.group(1) if total else '?'}; "
        f"wall {wall:.0f} s in all\n"
        f"- CPU time of the command's process (plan, store, report): {cpu:.0f} s; mean wall time "
        f"of a run in a worker {mean_run:.2f} s; CPU time of a run (sample) {per_run:.2f} s\n"
        f"- estimate on an idle machine with {args.workers} cores: {estimate:.0f} s\n"
        f"- load average at the end: {load:.1f} on {os.cpu_count()} cores (figures from a busy "
        "machine overstate the time)\n"
    )
    print(text)
    with open(args.results, "a", encoding="utf-8") as fh:
        fh.write(text)
    return 0


def _cpu_per_run(n: int, quick: bool) -> float:
    """Mean CPU time of ``n`` runs of the demo batch's ensemble, spread over its scenarios and
    draws, in this process."""
    sys.path.insert(0, str(ROOT))
    from model.experiments.batches import plan_batch
    from model.experiments.run import run_model

    extra = {"draws": 1, "replicates": 1, "horizon": 6} if quick else {}
    plan = plan_batch(ROOT / "scenarios" / "demo_batch.yaml", **extra)
    step = max(1, len(plan.specs) // n)
    specs = plan.specs[::step][:n]
    run_model(specs[0].scenario, specs[0].seed)  # warm-up: imports, the initial state
    t0 = time.process_time()
    for spec in specs:
        run_model(spec.scenario, spec.seed)
    return (time.process_time() - t0) / len(specs)


if __name__ == "__main__":
    sys.exit(main())
