"""Short text summaries of scenarios and batches, printed by ``stabsim check`` and ``stabsim demo``."""

from __future__ import annotations

from collections.abc import Sequence

from model.cli.common import num, relative, shorten
from model.files.batch import Batch
from model.files.scenario import Scenario
from model.files.schedules import Schedule
from model.simulation import outcomes as _outcomes
from model.simulation import parameters as _parameters


def describe_scenario(s: Scenario, indent: str = "") -> str:
    """A short, resolved summary of a scenario."""
    lines = [f"scenario {s.name}" + (f"  ({relative(s.path)})" if s.path else "")]
    if s.description:
        lines.append(f"  {shorten(s.description, 96)}")
    lines.append(
        f"  start {s.start}, horizon {s.horizon} months (to {s.end}), seed {s.seed}, "
        f"replicates {s.replicates}"
    )
    if s.levers:
        lines.append("  levers:")
        width = max(len(n) for n in s.levers)
        for name, sched in s.levers.items():
            lines.append(f"    {name.ljust(width)}  {schedule_text(name, sched)}")
    else:
        lines.append("  levers: all at registry defaults")
    if s.parameters:
        lines.append("  parameters: " + ", ".join(f"{k}={num(v)}" for k, v in s.parameters.items()))
    if s.initial_data or s.initial_areas or s.initial_forces:
        parts = []
        if s.initial_data:
            parts.append(f"data {relative(s.initial_data)}")
        for label, table in (("areas", s.initial_areas), ("forces", s.initial_forces)):
            if table:
                parts.append(f"{label} " + ", ".join(table))
        lines.append("  initial: " + "; ".join(parts))
    n_all = len(_outcomes.MONTHLY_NAMES)
    outcomes = f"all {n_all}" if len(s.outcomes) == n_all else ", ".join(s.outcomes)
    lines.append(f"  outcomes: {outcomes}; levels: {', '.join(s.levels)}")
    return "\n".join(indent + line for line in lines)


def describe_batch(b: Batch) -> str:
    """A short summary of a batch: its scenarios and the number of runs."""
    lines = [f"batch {b.name}" + (f"  ({relative(b.path)})" if b.path else "")]
    if b.description:
        lines.append(f"  {shorten(b.description, 96)}")
    reps = f"{b.replicates} per scenario" if b.replicates is not None else "as each scenario sets"
    lines.append(f"  master seed {b.seed}; replicates {reps}")
    lines.append(f"  scenarios ({len(b.scenarios)}):")
    width = max(len(s.name) for s in b.scenarios)
    for s in b.scenarios:
        lines.append(
            f"    {s.name.ljust(width)}  {s.replicates} x {s.horizon} months from {s.start}"
        )
    counts = {s.replicates for s in b.scenarios}
    per = f"{counts.pop()} replicates" if len(counts) == 1 else "their replicates"
    written = b.uncertainty or (b.scenarios[0].uncertainty if b.scenarios else None)
    if written:
        per = f"{written['draws']} parameter draws x {per}"
    if b.design is None:
        lines.append(f"  runs: {b.runs} ({len(b.scenarios)} scenarios x {per})")
    else:
        from model.experiments.design import parse_design

        d = parse_design(b)
        runs = len(d) * sum(s.replicates for s in b.scenarios)  # counted: no run is made here
        lines.append(f"  design: {d.kind} over {', '.join(d.names)}, {len(d.points)} points")
        lines.append(f"  runs: {runs} ({len(b.scenarios)} scenarios x design points x {per})")
    return "\n".join(lines)


def differing_levers(scenarios: Sequence[Scenario]) -> list[str]:
    """Levers whose monthly values are not the same in every scenario."""
    series = [s.lever_series() for s in scenarios]
    out = []
    for name in _parameters.LEVERS:
        first = series[0][name]
        if any(len(x[name]) != len(first) or (x[name] != first).any() for x in series[1:]):
            out.append(name)
    return out


def schedule_text(name: str, sched: Schedule) -> str:
    """A lever's schedule in words, with its named choices."""
    p = _parameters.REGISTRY[name]
    return sched.describe(p.choices, p.integer)
