"""Running scenarios: one model per replicate, seeds derived with NumPy SeedSequence.

``run_model`` is the black box f(scenario, seed) -> (monthly table, run summary) that every
higher layer (the ``run`` command, batches, sensitivity analysis, validation) maps over. A
scenario's replicates are stored like a batch of one scenario:
``model.experiments.batches.run_scenario``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.simulation.model import StabilizationModel


def replicate_seed(master: int, replicate: int) -> int:
    """The model seed of replicate r under a master seed (the same in every scenario).

    Derived with ``SeedSequence(master, spawn_key=(r,))``: independent streams, and common
    random numbers across scenarios since the scenario does not enter.
    """
    return stream_seed(master, int(replicate))


def stream_seed(master: int, *key: int) -> int:
    """A 64-bit model seed from ``SeedSequence(master, spawn_key=key)``: one independent
    stream per key (replicates use one-element keys)."""
    state = np.random.SeedSequence(int(master), spawn_key=tuple(int(k) for k in key))
    words = state.generate_state(2, np.uint32)
    return int(words[0]) << 32 | int(words[1])


def initial_state_for(scenario):
    """The initial state a scenario asks for: packaged or its own data, with overrides."""
    from model.data import default_state, load_initial_state

    state = load_initial_state(scenario.initial_data) if scenario.initial_data else default_state()
    if scenario.initial_areas or scenario.initial_forces:
        state = state.with_overrides(areas=scenario.initial_areas, forces=scenario.initial_forces)
    return state


def model_arguments(scenario, seed: int, state=None) -> dict:
    """The keyword arguments of ``StabilizationModel`` for a scenario and a seed."""
    return dict(
        start=scenario.start,
        horizon=scenario.horizon,
        levers=scenario.lever_series(),
        initial_state=state if state is not None else initial_state_for(scenario),
        record_levels=scenario.levels,
        timeline=scenario.timeline(),
        seed=seed,
        **scenario.parameter_values(),
    )


def build_model(scenario, seed: int, state=None) -> StabilizationModel:
    """A model set up for a scenario with the given seed."""
    return StabilizationModel(**model_arguments(scenario, seed, state))


def run_model(scenario, seed: int, state=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one replicate to the horizon; return (monthly table, one-row summary)."""
    model = build_model(scenario, seed, state)
    model.run()
    monthly, summary = model.recorder.frames(scenario.outcomes)
    release(model)
    return monthly, summary


def release(model) -> None:
    """Let a finished model be freed: Mesa 3.3 keeps every model alive through the class-level
    ``Agent._ids`` registry (mesa#3179, fixed upstream in mesa#3180)."""
    import mesa

    ids = getattr(mesa.agent.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def summarize(summary: pd.DataFrame, over: str = "replicates") -> str:
    """A short text summary of run summaries (median and 5-95% range over ``over``: the
    replicates, or the runs of an ensemble)."""
    lines = []
    n = len(summary)
    dm = summary["defeat_month"].dropna()
    lines.append(
        f"territorial defeat: {len(dm)}/{n} runs"
        + (f", median {pd.to_datetime(dm).median().strftime('%Y-%m')}" if len(dm) else "")
    )
    lines.append(f"resurgence: {int(summary['resurgence'].sum())}/{n} runs")
    if "conflict_outcome" in summary:
        from model.simulation.rules import OUTCOME_CLASSES

        counts = summary["conflict_outcome"].astype(int).value_counts().sort_index()
        lines.append(
            "outcome: "
            + ", ".join(
                f"{OUTCOME_CLASSES[k].replace('_', ' ')} {v}/{n}" for k, v in counts.items()
            )
        )
    for col, unit in (
        ("cumulative_civilian_deaths", "civilian deaths"),
        ("cumulative_security_deaths", "security deaths"),
        ("battle_deaths_final_year", "battle-related deaths in the last 12 months"),
        ("idps_final", "displaced at horizon"),
        ("is_fighters_final", "IS fighters in Iraq at horizon"),
        ("mean_stability_last24", "stability, last 24 months (0-100)"),
    ):
        q = summary[col].quantile([0.05, 0.5, 0.95])
        lines.append(
            f"{unit}: median {q[0.5]:,.0f} (5-95% of {over} {q[0.05]:,.0f}-{q[0.95]:,.0f})"
        )
    return "\n".join(lines)
