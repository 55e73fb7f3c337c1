"""The cost of the DataCollector-compatible view (``model.datacollector``) and of the app's run.

Measures, for one 120-month ``baseline_historical`` run at default resolution (median of
``--repeats`` repeats, after a warm-up run, in this process):

1. ``run_model``: build + run + frames, the batch path, which never touches the view;
2. build + run, no view (the reference for 3 and 4);
3. build + run, then the view's ``get_model_vars_dataframe()`` once at the end (a notebook);
4. build + run with the view read after every month (what the app and Mesa's SolaraViz plots
   do when they redraw after each step): the extra time is the price of watching a run.

Nothing is asserted (machines are noisy). Appends a dated section to ``benchmarks/RESULTS.md``
(``--results PATH`` to write elsewhere); ``--quick`` runs 12 months once.

Usage::

    python benchmarks/bench_app.py
    python benchmarks/bench_app.py --quick --results /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as _dt
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

BASELINE = ROOT / "scenarios" / "baseline_historical.yaml"


def _timed(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(statistics.median(times))


def measure(months: int, repeats: int) -> dict[str, float]:
    """Median seconds of each way of running one scenario (see the module docstring)."""
    from model.experiments.run import build_model, initial_state_for, release, run_model
    from model.files.scenario import load_scenario

    scenario = load_scenario(BASELINE).with_changes(horizon=months)
    state = initial_state_for(scenario)
    seed = 1

    def batch_path() -> None:
        run_model(scenario, seed, state)

    def plain() -> None:
        model = build_model(scenario, seed, state)
        model.run()
        release(model)

    def view_at_end() -> None:
        model = build_model(scenario, seed, state)
        model.run()
        model.datacollector.get_model_vars_dataframe()
        release(model)

    def view_every_month() -> None:
        model = build_model(scenario, seed, state)
        while model.running:
            model.step()
            model.datacollector.get_model_vars_dataframe()
        release(model)

    return {
        "run_model (build + run + frames)": _timed(batch_path, repeats),
        "build + run, no view": _timed(plain, repeats),
        "build + run + view once at the end": _timed(view_at_end, repeats),
        "build + run + view after every month": _timed(view_every_month, repeats),
    }


def section(res: dict[str, float], months: int, repeats: int, quick: bool) -> str:
    """The Markdown section appended to the results file."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    base = res["build + run, no view"]
    rows = [
        f"| {name} | {sec:.3f} | {'' if name.startswith('run_model') else f'{sec / base:.2f}x'} |"
        for name, sec in res.items()
    ]
    note = " (--quick: measures nothing worth keeping)" if quick else ""
    return "\n".join(
        [
            f"## bench_app.py: the DataCollector view, {stamp}{note}",
            "",
            f"- one `baseline_historical` run of {months} months at default resolution, median of "
            f"{repeats} repeats after a warm-up, on {platform.machine()} "
            f"({platform.python_version()})",
            "- the view is built on demand from the recorder: batches (`run_model`) never build it",
            "",
            "| how | seconds | vs no view |",
            "|---|---:|---:|",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Measure, print and append the section; return 0."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="12 months, 1 repeat")
    p.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = p.parse_args(argv)
    months, repeats = (12, 1) if args.quick else (120, args.repeats)
    res = measure(months, repeats)
    text = section(res, months, repeats, args.quick)
    print(text)
    existing = args.results.read_text(encoding="utf-8") if args.results.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    args.results.write_text(existing + ("\n" if existing else "") + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
