"""Batch throughput and memory: runs per minute at 1 and N workers, and peak memory vs batch size.

Runs three batches of the baseline scenario, each in a fresh Python process so that peak memory
(``ru_maxrss``) belongs to that batch alone:

1. a small batch (``--small`` runs) on 1 worker process,
2. the same on ``--workers`` processes (parallel efficiency = speed-up / workers),
3. a large batch (``--runs`` runs) on ``--workers`` processes: peak memory of the parent and of
   the workers must not grow with the number of runs (results are streamed to disk).

Appends a section with the date, machine, versions and figures to ``benchmarks/RESULTS.md``
(``--results PATH`` to write elsewhere). ``--quick`` runs a tiny version (used by the tests).

Usage::

    python benchmarks/bench_batch.py                    # 100 vs 1,000 runs, 120 months
    python benchmarks/bench_batch.py --quick --results /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_RESULTS = HERE / "RESULTS.md"
HEADING = (
    "# Benchmark results\n\n"
    "Appended by the scripts in `benchmarks/`; each section records the date, machine and versions.\n"
)


def _maxrss_mb(who: int) -> float:
    rss = resource.getrusage(who).ru_maxrss
    return rss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def child(runs: int, workers: int, horizon: int, out: str) -> dict:
    """Run one batch in this process and return its figures (called in a fresh process)."""
    import model
    from model.experiments.batchfiles import read_status
    from model.experiments.design import expand, parse_design
    from model.experiments.executors import execute
    from model.experiments.store import BatchStore
    from model.files.batch import Batch
    from model.files.scenario import Scenario, load_scenario

    base = Path(model.__file__).resolve().parent.parent / "scenarios" / "baseline_historical.yaml"
    scenario = load_scenario(base) if base.exists() else Scenario(name="baseline")
    scenario = scenario.with_changes(horizon=horizon, replicates=runs)
    batch = Batch(name="bench", seed=1, scenarios=(scenario,))
    design = parse_design(batch)
    specs = expand(batch, design)
    wall0 = time.time()
    t0 = time.perf_counter()
    with BatchStore.open(batch, specs, design, out=out) as store:
        report = execute(specs, store, executor="process", workers=workers, progress=False)
    seconds = time.perf_counter() - t0
    lines = list(read_status(out).values())
    first = min(_dt.datetime.fromisoformat(x["finished"]).timestamp() for x in lines)
    return {
        "runs": runs,
        "workers": workers,
        "horizon": horizon,
        "ok": report.counts["ok"],
        "seconds": seconds,
        "startup_s": first - wall0,
        "runs_per_min": runs / seconds * 60,
        "run_s_mean": sum(x["duration_s"] for x in lines) / max(1, len(lines)),
        "parent_peak_mb": _maxrss_mb(resource.RUSAGE_SELF),
        "worker_peak_mb": max((x.get("max_rss_mb") or 0.0) for x in lines) if lines else 0.0,
        "children_peak_mb": _maxrss_mb(resource.RUSAGE_CHILDREN),
    }


def _run_child(runs: int, workers: int, horizon: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="stabsim-bench-") as tmp:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--runs",
            str(runs),
            "--workers",
            str(workers),
            "--horizon",
            str(horizon),
            "--out",
            str(Path(tmp) / "batch"),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"benchmark batch failed (exit {done.returncode})")
        return json.loads(done.stdout.strip().splitlines()[-1])


def _machine() -> str:
    mem = "unknown memory"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB memory"
                break
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = " (" + line.split(":", 1)[1].strip() + ")"
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores{cpu}, {mem}"


def _versions() -> str:
    from model.experiments.manifest import git_revision, versions

    v = versions()
    keys = ("stabsim", "mesa", "numpy", "pandas", "pyarrow", "SALib", "python")
    text = ", ".join(f"{k} {v.get(k)}" for k in keys)
    rev = git_revision()
    return text + (f"; git {rev[:10]}" if rev else "; git n/a")


def _runs_per_worker() -> int | str:
    try:
        from model.experiments.executors import RUNS_PER_WORKER
    except ImportError:
        return "?"
    return RUNS_PER_WORKER


def _section(args: argparse.Namespace, one: dict, many: dict, large: dict) -> str:
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    w = args.workers
    eff = many["runs_per_min"] / (w * one["runs_per_min"])
    p_growth = large["parent_peak_mb"] / many["parent_peak_mb"] - 1
    w_growth = large["worker_peak_mb"] / many["worker_peak_mb"] - 1 if many["worker_peak_mb"] else 0
    flat = abs(p_growth) < 0.10 and abs(w_growth) < 0.10
    flags = f"--runs {args.runs} --small {args.small} --workers {w} --horizon {args.horizon}"
    rows = [
        "| batch | runs | workers | wall (s) | first run done (s) | runs/min | mean run (s) |"
        " parent peak (MB) | worker peak (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in (("small", one), ("small", many), ("large", large)):
        rows.append(
            f"| {label} | {r['runs']} | {r['workers']} | {r['seconds']:.1f} | {r['startup_s']:.1f} | "
            f"{r['runs_per_min']:.1f} | {r['run_s_mean']:.3f} | {r['parent_peak_mb']:.0f} | "
            f"{r['worker_peak_mb']:.0f} |"
        )
    lines = [
        f"## bench_batch.py, {now}{' (quick)' if args.quick else ''}",
        "",
        f"- command: `python benchmarks/bench_batch.py {flags}` (process executor; baseline"
        " scenario; one Python process per batch)",
        f"- machine: {_machine()}",
        f"- versions: {_versions()}",
        "",
        *rows,
        "",
        f"- throughput: {one['runs_per_min']:.1f} runs/min on 1 worker, "
        f"{many['runs_per_min']:.1f} on {w}; parallel efficiency {eff:.2f} "
        f"(speed-up {many['runs_per_min'] / one['runs_per_min']:.2f} on {w} workers)",
        "- wall time includes starting the worker processes (see 'first run done');"
        " 'mean run' is the wall time of one run inside a worker",
        f"- memory, {large['runs']} vs {many['runs']} runs: parent peak "
        f"{large['parent_peak_mb']:.0f} vs {many['parent_peak_mb']:.0f} MB ({p_growth:+.0%}), "
        f"worker peak {large['worker_peak_mb']:.0f} vs {many['worker_peak_mb']:.0f} MB "
        f"({w_growth:+.0%}): {'flat' if flat else 'GROWS with the number of runs'} (worker"
        f" processes are replaced every {_runs_per_worker()} runs)",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and append its section to the results file."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=1000, help="runs of the large batch (1000)")
    p.add_argument("--small", type=int, default=100, help="runs of the small batch (100)")
    p.add_argument("--workers", type=int, default=2, help="worker processes to compare with 1")
    p.add_argument("--horizon", type=int, default=120, help="months per run (120)")
    p.add_argument("--quick", action="store_true", help="tiny sizes (12 vs 6 runs, 6 months)")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="file to append to")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.runs, args.workers, args.horizon, args.out)))
        return 0
    if args.quick:
        args.runs, args.small, args.horizon = 12, 6, 6
    print(f"small batch: {args.small} runs on 1 worker ...", flush=True)
    one = _run_child(args.small, 1, args.horizon)
    print(f"small batch: {args.small} runs on {args.workers} workers ...", flush=True)
    many = _run_child(args.small, args.workers, args.horizon)
    print(f"large batch: {args.runs} runs on {args.workers} workers ...", flush=True)
    large = _run_child(args.runs, args.workers, args.horizon)
    section = _section(args, one, many, large)
    path = args.results
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    with open(path, "a", encoding="utf-8") as fh:
        if not existing.strip():
            fh.write(HEADING + "\n")
        elif not existing.endswith("\n\n"):
            fh.write("\n" if existing.endswith("\n") else "\n\n")
        fh.write(section)
    print(section)
    print(f"appended to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
