"""Running scenarios: one model per replicate, seeds derived with NumPy SeedSequence.

``run_model`` is the black box f(scenario, seed) -> (monthly table, run summary) that every
higher layer (the ``run`` command, batches, sensitivity analysis, validation) maps over.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.simulation.model import StabilizationModel


def replicate_seed(master: int, replicate: int) -> int:
    """The model seed of replicate r under a master seed (the same in every scenario).

    Derived with ``SeedSequence(master, spawn_key=(r,))``: independent streams, and common
    random numbers across scenarios since the scenario does not enter.
    """
    state = np.random.SeedSequence(int(master), spawn_key=(int(replicate),)).generate_state(
        2, np.uint32
    )
    return int(state[0]) << 32 | int(state[1])


def initial_state_for(scenario):
    """The initial state a scenario asks for: packaged or its own data, with overrides."""
    from model.data import default_state, load_initial_state

    state = load_initial_state(scenario.initial_data) if scenario.initial_data else default_state()
    if scenario.initial_areas or scenario.initial_forces:
        state = state.with_overrides(areas=scenario.initial_areas, forces=scenario.initial_forces)
    return state


def build_model(scenario, seed: int, state=None) -> StabilizationModel:
    """A model set up for a scenario with the given seed."""
    return StabilizationModel(
        start=scenario.start,
        horizon=scenario.horizon,
        levers=scenario.lever_series(),
        initial_state=state if state is not None else initial_state_for(scenario),
        record_levels=scenario.levels,
        timeline=scenario.timeline(),
        seed=seed,
        **scenario.parameter_values(),
    )


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


@dataclass(frozen=True)
class RunFolder:
    """A folder of stored replicates of one scenario (``runs/<name>-<stamp>/``)."""

    path: Path

    def monthly(self) -> pd.DataFrame:
        """All replicates' monthly tables, with a ``replicate`` column."""
        return _read_parts(self.path / "monthly")

    def summary(self) -> pd.DataFrame:
        """All replicates' summaries, with ``replicate`` and ``seed`` columns."""
        return _read_parts(self.path / "summary")


def _read_parts(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def iter_replicates(
    scenario, replicates: int | None = None
) -> Iterator[tuple[int, int, pd.DataFrame, pd.DataFrame]]:
    """Yield (replicate, seed, monthly, summary) for each replicate in turn."""
    state = initial_state_for(scenario)
    for r in range(replicates if replicates is not None else scenario.replicates):
        seed = replicate_seed(scenario.seed, r)
        monthly, summary = run_model(scenario, seed, state)
        yield r, seed, monthly, summary


def run_scenario(
    scenario, runs_dir: str | os.PathLike = "runs", progress: bool = True
) -> RunFolder:
    """Run a scenario's replicates, streaming each to ``runs/<name>-<stamp>/`` as it finishes.

    The folder holds ``scenario.yaml`` (resolved), ``monthly/rep-NNNN.parquet`` and
    ``summary/rep-NNNN.parquet``; figures are drawn by the caller (the ``run`` command adds
    ``overview.png``).
    """
    import yaml
    from tqdm import tqdm

    from model.experiments.atomic import write_parquet_atomic

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(runs_dir) / f"{scenario.name}-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = Path(runs_dir) / f"{scenario.name}-{stamp}-{n}"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario.to_dict(), sort_keys=False))
    bar = tqdm(total=scenario.replicates, desc=scenario.name, unit="run", disable=not progress)
    for r, seed, monthly, summary in iter_replicates(scenario):
        monthly.insert(0, "replicate", r)
        summary.insert(0, "seed", str(seed))
        summary.insert(0, "replicate", r)
        summary.insert(0, "scenario", scenario.name)
        write_parquet_atomic(monthly, folder / "monthly" / f"rep-{r:04d}.parquet")
        write_parquet_atomic(summary, folder / "summary" / f"rep-{r:04d}.parquet")
        bar.update(1)
    bar.close()
    return RunFolder(folder)


def summarize(summary: pd.DataFrame) -> str:
    """A short text summary of replicates' run summaries (median and 5-95% range)."""
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
            f"{unit}: median {q[0.5]:,.0f} (5-95% of replicates {q[0.05]:,.0f}-{q[0.95]:,.0f})"
        )
    return "\n".join(lines)
