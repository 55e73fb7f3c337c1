"""Where a month goes: a per-phase timer of the model's schedule, and cProfile of one run.

Times are the CPU time of the running thread (``time.thread_time``), so that other work on a
shared machine inflates them less than the wall clock; ``--wall`` times the wall clock.

Wraps each process of the month (``model.simulation.model.StabilizationModel.step``) and each
process of the insurgency in a timer, runs the baseline scenario at one or more resolutions and
prints, per phase, the median time per month (microseconds), its share of the month, and the
fixed and per-cohort parts: a least-squares line of time per month against the number of
population cohorts over the resolutions measured (the intercept is the fixed cost of a month,
the slope the cost of one cohort-month). Set-up (build) and the tables (frames) are timed as
their own phases, once per run.

Nothing is appended to RESULTS.md: this is the tool to find what to cut; ``bench_model.py``
measures the targets.

Usage::

    python benchmarks/profile_phases.py                       # 1k, 15k (default), 100k, 1M cohorts
    python benchmarks/profile_phases.py --ppa 2500 --months 120 --repeats 5
    python benchmarks/profile_phases.py --ppa 2500 --cprofile 25   # plus cProfile, top 25
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

BASELINE = ROOT / "scenarios" / "baseline_historical.yaml"
# CPU time of this thread, not wall time: on a shared machine the waits for a core are not the
# code's (``--wall`` to time the wall clock instead)
_clock = time.thread_time
# persons per agent of about 1k, 15k (the default), 100k and 1M cohorts
DEFAULT_PPA = (50_000, 2_500, 389, 39)

# (module, function) pairs timed as phases of the month, in schedule order
MONTH_PHASES = (
    ("levers", "step"),
    ("displacement", "host_areas"),
    ("population", "count_residents"),
    ("operations", "step"),
    ("insurgency", "step"),
    ("agents", "sync_agents"),
    ("population", "update"),
    ("displacement", "step"),
    ("politics", "step"),
    ("recording", "Recorder.record"),
)
INSURGENCY_PARTS = (
    "leadership",
    "haven_boosts",
    "attacks",
    "detection",
    "recruitment",
    "havens",
    "border",
    "attrition",
    "sorties",
    "movement",
    "seizure",
)


class Timers:
    """Accumulated wall seconds per phase, with a stack so nested phases are not counted twice
    in the month's total (an insurgency part counts in ``insurgency.step`` and on its own)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            t0 = _clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += _clock() - t0
                self.calls[name] += 1

        timed.__wrapped__ = fn
        return timed


def _install(timers: Timers) -> list[tuple[object, str, object]]:
    """Patch the phases with timers; returns what to restore."""
    import importlib

    from model.simulation import model as model_module

    undo = []
    for mod_name, fn_name in MONTH_PHASES:
        mod = importlib.import_module(f"model.simulation.{mod_name}")
        label = f"{mod_name}.{fn_name}"
        if "." in fn_name:
            cls_name, meth = fn_name.split(".")
            cls = getattr(mod, cls_name)
            undo.append((cls, meth, getattr(cls, meth)))
            setattr(cls, meth, timers.wrap(label, getattr(cls, meth)))
            continue
        targets = [mod]
        # model.py and other modules may hold their own reference (from-imports)
        for other in (model_module, importlib.import_module("model.simulation.initialization")):
            if getattr(other, fn_name, None) is getattr(mod, fn_name) and other is not mod:
                targets.append(other)
        orig = getattr(mod, fn_name)
        wrapped = timers.wrap(label, orig)
        for t in targets:
            undo.append((t, fn_name, getattr(t, fn_name)))
            setattr(t, fn_name, wrapped)
    ins = importlib.import_module("model.simulation.insurgency")
    for part in INSURGENCY_PARTS:
        undo.append((ins, part, getattr(ins, part)))
        setattr(ins, part, timers.wrap(f"  insurgency.{part}", getattr(ins, part)))
    return undo


def _restore(undo) -> None:
    for obj, name, orig in reversed(undo):
        setattr(obj, name, orig)


def _scenario(months: int):
    from model.files.scenario import load_scenario

    return load_scenario(BASELINE).with_changes(horizon=months)


def _build(scenario, ppa: int, seed: int, state):
    from model.experiments.run import model_arguments
    from model.simulation.model import StabilizationModel

    # the constructor takes resolutions below the registry range (scenario files do not)
    return StabilizationModel(
        **{**model_arguments(scenario, seed, state), "persons_per_agent": ppa}
    )


def measure(ppa: int, months: int, repeats: int) -> dict:
    """Median per-month microseconds of every phase at one resolution."""
    from model.experiments.run import initial_state_for

    scenario = _scenario(months)
    state = initial_state_for(scenario)
    _build(scenario, ppa, 999, state).run()  # warm-up
    per_rep: list[dict[str, float]] = []
    cohorts = 0
    for r in range(repeats):
        gc.collect()
        timers = Timers()
        t0 = _clock()
        model = _build(scenario, ppa, r, state)
        t1 = _clock()
        undo = _install(timers)
        try:
            t2 = _clock()
            model.run()
            t3 = _clock()
        finally:
            _restore(undo)
        t4 = _clock()
        model.recorder.frames(scenario.outcomes)
        t5 = _clock()
        cohorts = len(model.pop)
        month = {k: v / model.t * 1e6 for k, v in timers.seconds.items()}
        month["(month, all)"] = (t3 - t2) / model.t * 1e6
        month["(build, per run)"] = (t1 - t0) * 1e6
        month["(tables, per run)"] = (t5 - t4) * 1e6
        per_rep.append(month)
        del model
    names = list(per_rep[0])
    return {
        "ppa": ppa,
        "cohorts": cohorts,
        "months": months,
        "us": {k: statistics.median(x.get(k, 0.0) for x in per_rep) for k in names},
    }


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return my, 0.0
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - slope * mx, slope


def report(rows: list[dict]) -> str:
    """A plain-text table: phases x resolutions, then the fixed and per-cohort fit."""
    names = list(rows[0]["us"])
    head = f"{'phase (us per month)':34s}" + "".join(f"{r['cohorts']:>12,d}" for r in rows)
    fit = len(rows) > 1
    if fit:
        head += f"{'fixed us':>11s}{'ns/cohort':>11s}"
    lines = [head, "-" * len(head)]
    for k in names:
        vals = [r["us"].get(k, 0.0) for r in rows]
        line = f"{k:34s}" + "".join(f"{v:12.1f}" for v in vals)
        if fit and not k.startswith("(build") and not k.startswith("(tables"):
            a, b = _fit([r["cohorts"] for r in rows], vals)
            line += f"{a:11.1f}{b * 1e3:11.2f}"
        lines.append(line)
    total = [r["us"]["(month, all)"] for r in rows]
    share = "  ".join(
        f"{r['cohorts']:,}: {t / r['cohorts'] * 1e3:.0f} ns"
        for r, t in zip(rows, total, strict=True)
    )
    lines.append(f"whole month per cohort-month: {share}")
    return "\n".join(lines)


def profile(ppa: int, months: int, top: int) -> str:
    """cProfile of one run (build + run + tables): top functions by own time."""
    import io

    from model.experiments.run import initial_state_for

    scenario = _scenario(months)
    state = initial_state_for(scenario)
    _build(scenario, ppa, 999, state).run()
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    model = _build(scenario, ppa, 0, state)
    model.run()
    model.recorder.frames(scenario.outcomes)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Print the per-phase table (and a cProfile if asked)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--ppa",
        type=int,
        nargs="+",
        default=list(DEFAULT_PPA),
        help="persons per agent, one or more resolutions",
    )
    p.add_argument("--months", type=int, default=24, help="months per run (default 24)")
    p.add_argument("--repeats", type=int, default=3, help="runs per resolution (median)")
    p.add_argument("--cprofile", type=int, metavar="TOP", help="also cProfile one run")
    p.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = p.parse_args(argv)
    global _clock
    if args.wall:
        _clock = time.perf_counter
    rows = []
    for ppa in args.ppa:
        print(f"  {ppa} persons per agent, {args.months} months x {args.repeats} ...", flush=True)
        rows.append(measure(ppa, args.months, args.repeats))
    print(report(rows))
    if args.cprofile:
        print(profile(args.ppa[0], args.months, args.cprofile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
