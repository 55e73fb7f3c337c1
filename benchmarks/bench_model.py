"""Model speed, scaling, batch throughput and profile: the figures of the performance targets.

In one run on one machine, measures:

1. population agent-steps per second of the model at its default resolution (population agents
   x months / wall time of the monthly steps, set-up excluded), the same for Mesa's Epstein
   civil-violence example at its defaults (every agent, citizens and cops, steps once per model
   step), and their ratio; the two are interleaved, repeat by repeat, in this one process, so
   that both sides of the ratio share the machine's state;
2. the wall time of one baseline_historical run at default resolution, inside this process
   (build + run + frames, and run only);
3. scaling: time per month and peak memory at about 1k, 10k, 100k and 1M population agents
   (cohorts), each run in a fresh Python process (peak resident memory after the run: ``VmHWM``
   on Linux, else ``ru_maxrss``), every size over the baseline's whole horizon (the 120 months
   of item 2: the early months, with the offensives of 2017, cost more than the later ones, so
   a shorter horizon would not measure the month a run pays for); the fixed cost of a
   month (the time per month at about 1k cohorts less those cohorts at the marginal cost per
   cohort between 10k and 100k), the cost per cohort-month at 1M and the log-log slope;
4. batch throughput at 1 and 2 worker processes (``model.experiments.executors.execute`` with a
   ``model.experiments.store.BatchStore``; a plain ``ProcessPoolExecutor`` over
   ``model.experiments.run.run_model`` if that API is missing), parallel efficiency, and from it an
   estimate of the wall time of a Sobol study (10 parameters, N=256: 5,632 runs);
5. the demo (``stabsim demo``: the demo batch through the process executor on all cores, and its
   comparison report), wall time of the command in a fresh process;
6. a cProfile summary of one run: the top functions by own time.

Every figure is the median of ``--repeats`` repeats (the demo: ``--demo-repeats``). Targets are
printed beside the figures and never asserted (machines are shared and noisy). Appends a dated
section with the machine, load, versions and tables to ``benchmarks/RESULTS.md`` (``--results
PATH`` to write elsewhere).

Usage::

    python benchmarks/bench_model.py                    # full size, about 10 minutes
    python benchmarks/bench_model.py --quick --results /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as _dt
import gc
import json
import math
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

DEFAULT_RESULTS = HERE / "RESULTS.md"
BASELINE = ROOT / "scenarios" / "baseline_historical.yaml"
HEADING = (
    "# Benchmark results\n\n"
    "Appended by the scripts in `benchmarks/`; each section records the date, machine and versions.\n"
)

# Targets of the performance issue (printed, never asserted).
TARGET_RATIO = 1000.0  # population agent-steps/s vs Mesa's Epstein example
TARGET_RUN_S = 0.15  # one 120-month baseline run, build + run + frames
TARGET_FIXED_MS = 0.5  # fixed cost of a month, whatever the number of cohorts
TARGET_NS_1M = 50.0  # nanoseconds per cohort-month at 1M cohorts (the whole month)
TARGET_PEAK_MB = 400.0  # peak memory at 1M population agents (MiB)
TARGET_EFFICIENCY = 0.9  # parallel efficiency at 2 workers
TARGET_DEMO_S = 120.0  # the demo batch and its report on two cores (about two minutes)
# the first months of the run (April 2017 to March 2019: the last offensives against IS-held
# territory), whose time per month is reported beside the whole run's
EARLY_MONTHS = 24
SOBOL_D, SOBOL_N = 10, 256
SOBOL_RUNS = SOBOL_N * (2 * SOBOL_D + 2)  # Saltelli with second-order indices: 5,632
DEMO_TIMEOUT_S = 1800

FULL = {
    "months": 120,
    "repeats": 5,
    "epstein_steps": 20,
    "scale_targets": (1_000, 10_000, 100_000, 1_000_000),
    "scale_months": 120,  # the baseline's horizon, the months of "months" above
    "batch_runs": 48,
    "batch_months": 120,
    "scale_repeats": None,  # None: --repeats
    "batch_repeats": None,
    "demo": True,
}
QUICK = {
    "months": 12,
    "repeats": 2,
    "epstein_steps": 2,
    "scale_targets": (1_000, 3_000, 10_000, 100_000),
    "scale_months": 2,
    "batch_runs": 4,
    "batch_months": 6,
    "scale_repeats": 1,  # each repeat of these starts Python processes: keep --quick quick
    "batch_repeats": 1,
    "demo": False,
}


# ---- helpers ------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (MiB).

    On Linux, ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` is no good in a fresh child,
    because the kernel carries the parent's resident size at fork over the exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # pragma: no cover - not Unix
        return "n/a"


def _size_label(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:g}M"
    if n >= 1e3:
        return f"{n / 1e3:g}k"
    return f"{n:g}"


def _baseline(months: int | None = None) -> Any:
    from model.files.scenario import load_scenario

    scenario = load_scenario(BASELINE)
    return scenario.with_changes(horizon=months) if months else scenario


def _status(met: bool | None, quick: bool) -> str:
    if met is None:
        return ""
    text = "met" if met else "MISSED"
    return f"{text} (quick run)" if quick else text


# ---- 1 and 2: one run at default resolution -----------------------------------------------------


def _epstein_once(seed: int, steps: int) -> tuple[float, int]:
    """Agent-steps per second of one Mesa Epstein civil-violence run at its defaults.

    Its ``step`` calls ``shuffle_do("step")`` on ``model.agents`` (every citizen and cop), so one
    model step is ``len(model.agents)`` agent-steps; set-up is excluded.
    """
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

    model = EpsteinCivilViolence(seed=seed)
    done = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        done += len(model.agents)
        model.step()
    seconds = time.perf_counter() - t0
    return done / seconds, len(model.agents)


def measure_runs(months: int, repeats: int, epstein_steps: int) -> dict[str, Any]:
    """Baseline runs at default resolution and Mesa's Epstein example, interleaved repeat by
    repeat in this process (medians of each)."""
    from model.experiments.run import build_model, initial_state_for, release, replicate_seed

    scenario = _baseline(months)
    state = initial_state_for(scenario)
    warm = build_model(scenario, replicate_seed(scenario.seed, 999), state)
    warm.run()
    warm.recorder.frames(scenario.outcomes)
    release(warm)
    del warm
    _epstein_once(999, 1)
    build, run, frames, total, rates, ep_rates, ep_agents = [], [], [], [], [], [], []
    agents = steps = 0
    for r in range(repeats):
        gc.collect()
        seed = replicate_seed(scenario.seed, r)
        t0 = time.perf_counter()
        model = build_model(scenario, seed, state)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        model.recorder.frames(scenario.outcomes)
        t3 = time.perf_counter()
        build.append(t1 - t0)
        run.append(t2 - t1)
        frames.append(t3 - t2)
        total.append(t3 - t0)
        agents, steps = len(model.pop), model.t
        rates.append(agents * steps / (t2 - t1))
        release(model)
        del model
        gc.collect()
        rate, n = _epstein_once(r, epstein_steps)
        ep_rates.append(rate)
        ep_agents.append(n)
    run_s = _median(run)
    ratios = [x / y for x, y in zip(rates, ep_rates, strict=True)]
    return {
        "agents": agents,
        "months": steps,
        "persons_per_agent": scenario.parameter_values().get("persons_per_agent"),
        "build_s": _median(build),
        "run_s": run_s,
        "frames_s": _median(frames),
        "total_s": _median(total),
        "agent_steps_per_s": _median(rates),
        "ns_per_agent_month": run_s / (agents * steps) * 1e9,
        "repeats": repeats,
        # (lowest and highest of the repeats: how much the machine drifted while measuring)
        "spread": {
            "total_s": (min(total), max(total)),
            "agent_steps_per_s": (min(rates), max(rates)),
            "epstein": (min(ep_rates), max(ep_rates)),
            "ratio": (min(ratios), max(ratios)),
        },
        "epstein": {
            "agents": int(_median(ep_agents)),
            "steps": epstein_steps,
            "agent_steps_per_s": _median(ep_rates),
            "repeats": repeats,
        },
    }


# ---- 3: scaling, one fresh process per size -----------------------------------------------------


def _persons_total() -> float:
    from model.data import default_state

    return float(default_state().areas["population"].sum())


def scale_child(persons_per_agent: int, months: int, seed: int) -> dict[str, Any]:
    """One run at a given resolution in this (fresh) process: times and peak memory."""
    from model.experiments.run import (
        build_model,
        initial_state_for,
        model_arguments,
        replicate_seed,
    )
    from model.simulation import kernels
    from model.simulation.model import StabilizationModel
    from model.simulation.parameters import REGISTRY

    scenario = _baseline(months)
    state = initial_state_for(scenario)
    # loading the compiled kernels is a start-up cost of the process, like the imports
    warm_s = kernels.warm_up()
    rss_ready = _peak_rss_mb()
    entry = REGISTRY["persons_per_agent"]
    in_range = entry.low <= persons_per_agent <= entry.high
    model_seed = replicate_seed(scenario.seed, seed)
    t0 = time.perf_counter()
    if in_range:
        sized = scenario.with_changes(parameters={"persons_per_agent": persons_per_agent})
        model = build_model(sized, model_seed, state)
    else:
        # Below the registry range: scenario files refuse it, the constructor does not check.
        args = model_arguments(scenario, model_seed, state)
        model = StabilizationModel(**{**args, "persons_per_agent": persons_per_agent})
    t1 = time.perf_counter()
    ends = []  # (the end of each month: the first months' cost is reported too)
    while model.running and model.t < model.horizon:
        model.step()
        ends.append(time.perf_counter())
    t2 = time.perf_counter()
    model.recorder.frames(scenario.outcomes)
    early = min(EARLY_MONTHS, len(ends))
    return {
        "early_months": early,
        "early_s": (ends[early - 1] - t1) if early else 0.0,
        "persons_per_agent": persons_per_agent,
        "direct": not in_range,
        "agents": len(model.pop),
        "months": model.t,
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "rss_ready_mb": rss_ready,
        "peak_mb": _peak_rss_mb(),
        "kernels": "compiled" if model._kernels is not None else "numpy",
        "warm_s": warm_s,
    }


def _run_child(args: list[str], kernels: str | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if kernels:
        env["STABSIM_KERNELS"] = kernels
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"benchmark child {' '.join(args)} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_scaling(
    targets: tuple[int, ...], months: int, repeats: int, kernels: str | None = None
) -> list[dict[str, Any]]:
    """Per target size: medians over ``repeats`` fresh processes of one run each
    (``kernels``: the ``STABSIM_KERNELS`` of the children; the default path if None)."""
    persons = _persons_total()
    rows = []
    for target in targets:
        ppa = max(1, round(persons / target))
        path = f", {kernels} path" if kernels else ""
        print(
            f"  scaling: ~{_size_label(target)} agents ({ppa} persons/agent{path}) ...", flush=True
        )
        args = ["--child-scale", str(ppa), "--months", str(months)]
        runs = [_run_child([*args, "--seed", str(r)], kernels) for r in range(repeats)]
        run_s = _median([x["run_s"] for x in runs])
        agents, steps = runs[0]["agents"], runs[0]["months"]
        rows.append(
            {
                "target": target,
                "persons_per_agent": ppa,
                "direct": runs[0]["direct"],
                "agents": agents,
                "months": steps,
                "build_s": _median([x["build_s"] for x in runs]),
                "run_s": run_s,
                "month_ms": run_s / steps * 1e3,
                "early_months": runs[0]["early_months"],
                "early_month_ms": _median([x["early_s"] for x in runs])
                / max(runs[0]["early_months"], 1)
                * 1e3,
                "ns_per_agent_month": run_s / (agents * steps) * 1e9,
                "rss_ready_mb": _median([x["rss_ready_mb"] for x in runs]),
                "peak_mb": _median([x["peak_mb"] for x in runs]),
                "repeats": repeats,
                "kernels": runs[0]["kernels"],
                "warm_s": _median([x["warm_s"] for x in runs]),
            }
        )
    return rows


def loglog_slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sxx


# ---- 4: batch throughput ------------------------------------------------------------------------


def _pool_run(scenario: Any, seed: int) -> int:
    """One run in a worker of the fallback pool (returns the monthly table's length)."""
    from model.experiments.run import run_model

    monthly, _ = run_model(scenario, seed)
    return len(monthly)


def _runner_api() -> Any:
    """The batch machinery (runner, store, design), or None if it is missing."""
    try:
        from model.experiments.design import expand, parse_design
        from model.experiments.executors import execute
        from model.experiments.store import BatchStore
        from model.files.batch import Batch
    except (ImportError, AttributeError):
        return None
    return {
        "Batch": Batch,
        "expand": expand,
        "parse_design": parse_design,
        "execute": execute,
        "BatchStore": BatchStore,
    }


def _batch_once(api: Any, runs: int, months: int, workers: int, out: Path) -> float:
    """Wall seconds of one batch of ``runs`` baseline runs on ``workers`` processes."""
    scenario = _baseline(months).with_changes(replicates=runs)
    if api is not None:
        batch = api["Batch"](name="bench-model", seed=1, scenarios=(scenario,))
        design = api["parse_design"](batch)
        specs = api["expand"](batch, design)
        with api["BatchStore"].open(batch, specs, design, out=out) as store:
            t0 = time.perf_counter()
            report = api["execute"](
                specs, store, executor="process", workers=workers, progress=False
            )
            seconds = time.perf_counter() - t0
        if report.counts.get("ok", 0) != runs:
            raise SystemExit(f"benchmark batch: {report.counts} of {runs} runs; {report.failures}")
        return seconds
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from model.experiments.run import replicate_seed

    seeds = [replicate_seed(1, r) for r in range(runs)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_pool_run, [scenario] * runs, seeds))
    return time.perf_counter() - t0


def measure_batch(runs: int, months: int, workers: int, repeats: int) -> dict[str, Any]:
    """Runs per minute at 1 and ``workers`` processes (medians; worker start-up included)."""
    api = _runner_api()
    times: dict[int, list[float]] = {1: [], workers: []}
    with tempfile.TemporaryDirectory(prefix="stabsim-bench-model-") as tmp:
        for r in range(repeats):
            # alternate the order so that drift on a shared machine hits both sides
            order = (1, workers) if r % 2 == 0 else (workers, 1)
            for w in order:
                gc.collect()
                times[w].append(_batch_once(api, runs, months, w, Path(tmp) / f"b{r}-w{w}"))
    one = _median([runs / s * 60 for s in times[1]])
    many = _median([runs / s * 60 for s in times[workers]])
    return {
        "path": "model.experiments.executors.execute (process executor, BatchStore)"
        if api is not None
        else "ProcessPoolExecutor (spawn) over model.experiments.run.run_model",
        "runs": runs,
        "months": months,
        "workers": workers,
        "rpm_1": one,
        "rpm_n": many,
        "wall_1": _median(times[1]),
        "wall_n": _median(times[workers]),
        "efficiency": many / (workers * one),
        "sobol_minutes": SOBOL_RUNS / many,
        "repeats": repeats,
    }


# ---- 5: the demo --------------------------------------------------------------------------------


def measure_demo(repeats: int) -> dict[str, Any]:
    """Wall seconds of ``stabsim demo`` (the demo batch on all cores and its report), each in a
    fresh process writing to a temporary folder (median)."""
    from model.files.batch import load_any

    batch = load_any(ROOT / "scenarios" / "demo_batch.yaml")
    draws = int((batch.uncertainty or {}).get("draws", 1))  # the parameter ensemble's draws
    runs = draws * sum(sc.replicates for sc in batch.scenarios)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="stabsim-bench-demo-") as tmp:
            cmd = [sys.executable, "-m", "model.cli", "demo", "--quiet", "--runs-dir", tmp]
            t0 = time.perf_counter()
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                check=False,
                env=env,
                cwd=ROOT,
                timeout=DEMO_TIMEOUT_S,
            )
            seconds = time.perf_counter() - t0
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"benchmark demo failed (exit {done.returncode})")
        times.append(seconds)
    return {
        "runs": runs,
        "months": batch.scenarios[0].horizon,
        "wall_s": _median(times),
        "repeats": repeats,
    }


# ---- 6: profile ---------------------------------------------------------------------------------


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~" or not file:
        return name
    path = file.replace("\\", "/")
    root = str(ROOT).replace("\\", "/") + "/"
    if "site-packages/" in path:  # before the checkout: the venv may live inside it
        path = path.split("site-packages/", 1)[1]
    elif path.startswith(root):
        path = path[len(root) :]
    elif "/lib/python" in path:
        path = "stdlib/" + path.rsplit("/", 1)[-1]
    return f"{path}:{line}({name})"


def profile_run(months: int, top: int = 15) -> dict[str, Any]:
    """cProfile of one baseline run (build + run + frames): the top functions by own time."""
    from model.experiments.run import build_model, initial_state_for, replicate_seed

    scenario = _baseline(months)
    state = initial_state_for(scenario)
    warm = build_model(scenario, replicate_seed(scenario.seed, 999), state)
    warm.run()
    del warm
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    model = build_model(scenario, replicate_seed(scenario.seed, 0), state)
    model.run()
    model.recorder.frames(scenario.outcomes)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())
    ranked = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    rows = [
        {
            "function": _where(key),
            "calls": v[1],
            "own_s": v[2],
            "cum_s": v[3],
            "share": v[2] / total if total else 0.0,
        }
        for key, v in ranked
    ]
    return {"months": months, "total_s": total, "rows": rows}


# ---- the report ---------------------------------------------------------------------------------


def _machine() -> str:
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


def _versions() -> str:
    from importlib import metadata

    out = [f"python {platform.python_version()}"]
    for name in ("numpy", "mesa", "numba", "stabsim"):
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            if name == "stabsim":
                from model import __version__

                out.append(f"stabsim {__version__}")
            else:
                out.append(f"{name} n/a")
    return ", ".join(out)


def _git() -> str:
    """The checkout's revision (read only; ``--no-optional-locks`` keeps the index untouched)."""
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=10", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if rev.returncode != 0 or not rev.stdout.strip():
            return "n/a"
        dirty = subprocess.run(
            [
                "git",
                "--no-optional-locks",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--untracked-files=no",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "n/a"
    changed = dirty.returncode == 0 and dirty.stdout.strip()
    return rev.stdout.strip() + (" with uncommitted changes" if changed else "")


def fixed_cost(scale: list[dict[str, Any]], key: str = "month_ms") -> tuple[float, float]:
    """The fixed cost of a month (ms) and the marginal cost of a cohort-month (ns).

    The marginal cost is the slope of time per month between the second and third sizes (about
    10k and 100k cohorts); the fixed cost is the time per month of the smallest size (about 1k
    cohorts) less its cohorts at that marginal cost. ``key``: the time per month of the whole
    run (``month_ms``) or of its first months (``early_month_ms``).
    """
    tiny, lo, hi = scale[0], scale[1], scale[2]
    slope_ms = (hi[key] - lo[key]) / (hi["agents"] - lo["agents"])
    return tiny[key] - slope_ms * tiny["agents"], slope_ms * 1e6


def _early_line(scale: list[dict[str, Any]]) -> str:
    """The bullet with the same figures over the first months of the runs only."""
    early = scale[0]["early_months"]
    fixed_ms, marginal_ns = fixed_cost(scale, "early_month_ms")
    big = scale[-1]
    per_big = big["early_month_ms"] / big["agents"] * 1e6
    return (
        f"- the first {early} months only (from April 2017: the last offensives against"
        f" IS-held territory, the busiest months of the run): fixed cost of a month"
        f" {fixed_ms:.2f} ms (marginal {marginal_ns:.0f} ns per cohort-month), cost per"
        f" cohort-month at {_size_label(big['target'])} {per_big:.0f} ns; the targets are judged"
        " on the whole run"
    )


def _spread_line(run: dict[str, Any]) -> str:
    """The bullet that says how far the repeats of the interleaved runs spread."""
    sp = run["spread"]
    (t0, t1), (r0, r1), (e0, e1), (q0, q1) = (
        sp["total_s"], sp["agent_steps_per_s"], sp["epstein"], sp["ratio"]
    )  # fmt: skip
    return (
        f"- spread over the {run['repeats']} repeats (lowest-highest): one run {t0:.3f}-{t1:.3f} s;"
        f" stabsim {r0:,.0f}-{r1:,.0f} and Epstein {e0:,.0f}-{e1:,.0f} agent-steps/s; the ratio"
        f" of each repeat's pair {q0:,.0f}x-{q1:,.0f}x"
    )


def _section(res: dict[str, Any], quick: bool, command: str) -> str:
    """The Markdown section of one benchmark run."""
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    run, scale, batch, prof = res["run"], res["scale"], res["batch"], res["prof"]
    ep = run["epstein"]
    ratio = run["agent_steps_per_s"] / ep["agent_steps_per_s"]
    big = scale[-1]
    fixed_ms, marginal_ns = fixed_cost(scale)
    slope = loglog_slope([x["agents"] for x in scale], [x["month_ms"] for x in scale])
    w = batch["workers"]
    months = run["months"]
    b = _size_label(big["target"])
    demo = res.get("demo")
    summary = [
        "| measure | median | target | status |",
        "|---|---:|---|---|",
        f"| stabsim population agent-steps/s ({run['agents']:,} agents x {months} months, steps"
        f" only) | {run['agent_steps_per_s']:,.0f} | | |",
        f"| Epstein civil violence agent-steps/s ({ep['agents']:,} agents x {ep['steps']} steps,"
        f" Mesa example defaults) | {ep['agent_steps_per_s']:,.0f} | | |",
        f"| ratio stabsim / Epstein agent-steps/s | {ratio:,.0f}x | >= {TARGET_RATIO:,.0f}x |"
        f" {_status(ratio >= TARGET_RATIO, quick)} |",
        f"| one {months}-month baseline run: build + run + frames (s) | {run['total_s']:.3f} |"
        f" <= {TARGET_RUN_S} s (120 months) | {_status(run['total_s'] <= TARGET_RUN_S, quick)} |",
        f"| one {months}-month baseline run: run only (s) | {run['run_s']:.3f} | | |",
        f"| fixed cost of a month (ms) | {fixed_ms:.2f} | <= {TARGET_FIXED_MS} ms |"
        f" {_status(fixed_ms <= TARGET_FIXED_MS, quick)} |",
        f"| cost per cohort-month at {b} (ns, whole month) | {big['ns_per_agent_month']:.0f} |"
        f" <= {TARGET_NS_1M:.0f} ns at 1M | {_status(big['ns_per_agent_month'] <= TARGET_NS_1M, quick)} |",
        f"| peak memory at {b} agents (MiB, whole process; {big['kernels']} kernels) |"
        f" {big['peak_mb']:,.0f} | <= {TARGET_PEAK_MB:,.0f} MiB at 1M |"
        f" {_status(big['peak_mb'] <= TARGET_PEAK_MB, quick)} |",
        *(
            f"| peak memory at {b} agents (MiB, whole process; NumPy path) | {x['peak_mb']:,.0f} |"
            f" <= {TARGET_PEAK_MB:,.0f} MiB at 1M | {_status(x['peak_mb'] <= TARGET_PEAK_MB, quick)} |"
            for x in res.get("scale_numpy", [])
        ),
        *(
            f"| cost per cohort-month at {b} (ns, whole month; NumPy path) |"
            f" {x['ns_per_agent_month']:.0f} | <= {TARGET_NS_1M:.0f} ns at 1M |"
            f" {_status(x['ns_per_agent_month'] <= TARGET_NS_1M, quick)} |"
            for x in res.get("scale_numpy", [])
        ),
        f"| log-log slope of time per month vs agents ({_size_label(scale[0]['target'])}-{b})"
        f" | {slope:.2f} | 1 = linear | |",
        f"| batch throughput, 1 worker (runs/min) | {batch['rpm_1']:,.1f} | | |",
        f"| batch throughput, {w} workers (runs/min) | {batch['rpm_n']:,.1f} | | |",
        f"| parallel efficiency at {w} workers | {batch['efficiency']:.2f} |"
        f" >= {TARGET_EFFICIENCY} | {_status(batch['efficiency'] >= TARGET_EFFICIENCY, quick)} |",
        f"| Sobol study, {SOBOL_D} parameters, N={SOBOL_N} ({SOBOL_RUNS:,} runs of"
        f" {batch['months']} months) on {w} workers (minutes, ESTIMATE) |"
        f" {batch['sobol_minutes']:,.1f} | | |",
    ]
    if demo:
        summary.append(
            f"| `stabsim demo` ({demo['runs']} runs of {demo['months']} months and the report,"
            f" all cores) (s) | {demo['wall_s']:.1f} | about {TARGET_DEMO_S:.0f} s |"
            f" {_status(demo['wall_s'] <= TARGET_DEMO_S, quick)} |"
        )
    scaling = [
        "| size | kernels | persons/agent | agents (cohorts) | months | build (s) |"
        " time/month (ms) | ns per agent-month | RSS after imports (MiB) | peak RSS (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in [*scale, *res.get("scale_numpy", [])]:
        note = " (constructor, below registry range)" if x["direct"] else ""
        scaling.append(
            f"| scaling {_size_label(x['target'])} | {x['kernels']} |"
            f" {x['persons_per_agent']:,}{note} |"
            f" {x['agents']:,} | {x['months']} | {x['build_s']:.2f} | {x['month_ms']:.2f} |"
            f" {x['ns_per_agent_month']:.0f} | {x['rss_ready_mb']:,.0f} | {x['peak_mb']:,.0f} |"
        )
    batch_rows = [
        "| workers | runs | months | wall (s) | runs/min |",
        "|---:|---:|---:|---:|---:|",
        f"| 1 | {batch['runs']} | {batch['months']} | {batch['wall_1']:.1f} | {batch['rpm_1']:.1f} |",
        f"| {w} | {batch['runs']} | {batch['months']} | {batch['wall_n']:.1f} |"
        f" {batch['rpm_n']:.1f} |",
    ]
    prof_rows = [
        "| rank | function | calls | own time (s) | share of own time | cumulative (s) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for i, x in enumerate(prof["rows"], 1):
        prof_rows.append(
            f"| {i} | `{x['function']}` | {x['calls']:,} | {x['own_s']:.4f} | {x['share']:.1%} |"
            f" {x['cum_s']:.4f} |"
        )
    direct = [x for x in scale if x["direct"]]
    lines = [
        f"## bench_model.py, {now}{' (quick: tiny sizes, not the project figures)' if quick else ''}",
        "",
        f"- command: `{command}`",
        f"- date: {now}",
        f"- machine: {_machine()}",
        f"- versions: {_versions()}",
        f"- per-cohort kernels: {scale[0]['kernels']} (STABSIM_KERNELS="
        f"{os.environ.get('STABSIM_KERNELS', 'auto')}; model/simulation/kernels.py)",
        f"- git: {_git()}",
        f"- load average (1/5/15 min) at start {res['load_start']}, at end {_load()}"
        f" ({os.cpu_count()} cores): other work on the machine slows the figures, the batch"
        " ones most",
        f"- medians of {run['repeats']} repeats (Epstein: {ep['steps']} steps per repeat;"
        f" scaling: {scale[0]['repeats']}, one fresh process per repeat and size; batches:"
        f" {batch['repeats']}); targets are printed, never asserted",
        "",
        *summary,
        "",
        "- interleaved: each repeat runs one baseline run, then one Epstein run, in this process;"
        " both sides of the ratio are medians of the same repeats",
        _spread_line(run),
        f"- fixed cost of a month: time per month at {scale[0]['agents']:,} cohorts less those"
        f" cohorts at the marginal cost between {scale[1]['agents']:,} and {scale[2]['agents']:,}"
        f" cohorts ({marginal_ns:.0f} ns per cohort-month); cost per cohort-month at {b}: the"
        " whole month's time / cohorts",
        _early_line(scale),
        f"- agent-steps: stabsim population agents x months / wall time of `model.run()` (the"
        f" monthly steps, recording included; set-up excluded), at the default resolution of"
        f" {run['persons_per_agent']:,} persons per agent ({run['ns_per_agent_month']:.0f} ns per"
        " agent-month); Epstein: `len(model.agents)` (citizens and cops, all stepped by"
        " `shuffle_do`) x steps / wall time of `model.step()` (data collection included)",
        f"- one run: inside this process after a warm-up run (no interpreter start-up); build"
        f" {run['build_s']:.3f} s, run {run['run_s']:.3f} s, frames {run['frames_s']:.3f} s",
        f"- scaling: every size runs the same {scale[0]['months']} months (like with like),"
        f" one run per fresh process; peak = the process's peak resident memory (`VmHWM`)"
        " after the run and its frames (imports and data included); the compiled kernels are"
        f" loaded before the run, like the imports ({scale[0]['warm_s']:.2f} s once per process"
        " here; numba and its LLVM library are counted in the RSS after imports)"
        + (
            f"; {', '.join(_size_label(x['target']) for x in direct)} needs"
            f" {', '.join(str(x['persons_per_agent']) for x in direct)} persons per agent, below"
            " the registry range (250-50,000), so that model is built with"
            " `StabilizationModel(..., persons_per_agent=...)` directly"
            if direct
            else ""
        ),
        "",
        *scaling,
        "",
        f"- batches via {batch['path']}; wall time includes starting the worker processes;"
        f" parallel efficiency = throughput({w}) / ({w} x throughput(1));"
        f" the Sobol figure is an ESTIMATE: {SOBOL_RUNS:,} runs / {batch['rpm_n']:.1f} runs/min",
        "",
        *batch_rows,
        "",
        f"- profile: cProfile of one {prof['months']}-month baseline run (build + run + frames),"
        f" {prof['total_s']:.3f} s of own time under the profiler; top {len(prof['rows'])}"
        " functions by own time",
        "",
        *prof_rows,
        "",
    ]
    return "\n".join(lines)


def _append(path: Path, section: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    with open(path, "a", encoding="utf-8") as fh:
        if not existing.strip():
            fh.write(HEADING + "\n")
        elif not existing.endswith("\n\n"):
            fh.write("\n" if existing.endswith("\n") else "\n\n")
        fh.write(section)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and append their section to the results file."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds (tests)")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="file to append to")
    p.add_argument("--repeats", type=int, help="repeats per figure (5; 2 with --quick)")
    p.add_argument("--workers", type=int, default=2, help="worker processes to compare with 1")
    p.add_argument(
        "--demo-repeats",
        type=int,
        default=1,
        help="runs of `stabsim demo` (full size only; 0: skip)",
    )
    p.add_argument("--child-scale", type=int, help=argparse.SUPPRESS)
    p.add_argument("--months", type=int, default=120, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_scale is not None:
        print(json.dumps(scale_child(args.child_scale, args.months, args.seed)))
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats is not None:
        if args.repeats < 1:
            p.error("--repeats must be at least 1")
        cfg["repeats"] = args.repeats
        cfg["scale_repeats"] = cfg["batch_repeats"] = None
    if args.workers < 2:
        p.error("--workers must be at least 2")
    reps = cfg["repeats"]
    scale_reps = cfg["scale_repeats"] or reps
    batch_reps = cfg["batch_repeats"] or reps
    res: dict[str, Any] = {"load_start": _load()}
    print(
        f"1-2. baseline runs ({cfg['months']} months) interleaved with Epstein civil violence"
        f" ({cfg['epstein_steps']} steps), {reps} repeats ...",
        flush=True,
    )
    res["run"] = measure_runs(cfg["months"], reps, cfg["epstein_steps"])
    print(f"3. scaling, {cfg['scale_months']} months, {scale_reps} runs per size ...", flush=True)
    res["scale"] = measure_scaling(cfg["scale_targets"], cfg["scale_months"], scale_reps)
    if any(x["kernels"] == "compiled" for x in res["scale"]):
        # the same sizes' largest and the default resolution on the NumPy path, for comparison
        numpy_targets = (cfg["scale_targets"][-1],)
        res["scale_numpy"] = measure_scaling(
            numpy_targets, cfg["scale_months"], scale_reps, "numpy"
        )
    print(
        f"4. batches of {cfg['batch_runs']} runs, 1 and {args.workers} workers,"
        f" {batch_reps} repeats ...",
        flush=True,
    )
    res["batch"] = measure_batch(cfg["batch_runs"], cfg["batch_months"], args.workers, batch_reps)
    demo_reps = args.demo_repeats
    if cfg["demo"] and demo_reps > 0:
        print(f"5. stabsim demo, {demo_reps} repeats ...", flush=True)
        res["demo"] = measure_demo(demo_reps)
    print(f"6. profile of one {cfg['months']}-month run ...", flush=True)
    res["prof"] = profile_run(cfg["months"])
    flags = list(argv if argv is not None else sys.argv[1:])
    command = " ".join(["python benchmarks/bench_model.py", *flags])
    section = _section(res, args.quick, command)
    _append(args.results, section)
    print()
    print(section)
    print(f"appended to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
