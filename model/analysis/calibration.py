"""Calibration against the historical record: approximate Bayesian computation by rejection.

Draw parameter sets from a Latin hypercube over their registry ranges (Pritchard et al. 1999;
Beaumont 2010), run each with the same replicate seeds (common random numbers), score each set's
loss on the calibration targets (``model.experiments.scoring``), and keep the best fraction as the
approximate posterior. The runs go through ``model.experiments.executors.map_runs``; no Mesa
here.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.experiments.scoring import evaluate, prepare
from model.files.errors import ConfigError, suggest
from model.files.months import month_index
from model.files.targets import Target
from model.simulation.parameters import LEVERS, REGISTRY

__all__ = ["Calibration", "calibrate", "write_calibration"]


@dataclass
class Calibration:
    """The result of an ABC-rejection calibration."""

    parameters: tuple[str, ...]
    samples: pd.DataFrame  # one row per parameter set: values, loss, accepted
    start_loss: float
    best: dict[str, float]
    posterior_median: dict[str, float]
    accepted: int
    info: dict = field(default_factory=dict)

    @property
    def best_loss(self) -> float:
        """The lowest loss found."""
        return float(self.samples["loss"].min())


def calibrate(
    scenario,
    targets: Sequence[Target],
    parameters: Sequence[str],
    samples: int = 64,
    replicates: int = 3,
    accept: float = 0.1,
    seed: int = 0,
    bounds: dict[str, tuple[float, float]] | None = None,
    workers: int = 1,
    progress: bool = True,
) -> Calibration:
    """Fit ``parameters`` to the calibration targets by ABC rejection over a Latin hypercube."""
    from scipy.stats import qmc

    from model.experiments.run import replicate_seed

    bad = [p for p in parameters if p not in REGISTRY or p in LEVERS]
    if bad:
        raise ConfigError(
            f"cannot calibrate '{bad[0]}'",
            key="parameters",
            allowed="registry parameters (not levers): see `stabsim params`",
            suggestion=suggest(bad[0], [p for p in REGISTRY if p not in LEVERS]),
        )
    cal = [t for t in targets if t.use == "calibration" and t.applies_to(scenario)]
    if not cal:
        raise ConfigError("no target has 'use: calibration'", key="targets")
    sc = prepare(scenario, cal)
    sc = sc.with_changes(
        horizon=max(month_index(t.last_month) for t in cal) - month_index(sc.start) + 1
    )
    seeds = [replicate_seed(scenario.seed, r) for r in range(replicates)]
    for p, (lo, hi) in (bounds or {}).items():
        entry = REGISTRY.get(p)
        if entry is None or not entry.low <= lo < hi <= entry.high:
            raise ConfigError(
                f"bad range {lo:g} - {hi:g} for {p}",
                key="bounds",
                allowed="low < high, inside the registry range (stabsim params)",
            )
    bounds = {p: (bounds or {}).get(p, (REGISTRY[p].low, REGISTRY[p].high)) for p in parameters}
    unit = qmc.LatinHypercube(d=len(parameters), seed=np.random.default_rng(seed)).random(samples)
    lo = np.array([bounds[p][0] for p in parameters])
    hi = np.array([bounds[p][1] for p in parameters])
    X = lo + unit * (hi - lo)
    sets = []
    for row in X:
        d = {
            p: (int(round(v)) if REGISTRY[p].integer else float(v))
            for p, v in zip(parameters, row, strict=True)
        }
        sets.append(d)
    results = _losses(sc, [{}, *sets], seeds, cal, workers, progress)
    start_loss = results[0][0]
    df = pd.DataFrame(sets)
    df["loss"] = [r[0] for r in results[1:]]
    for j, t in enumerate(cal):
        df[f"error:{t.id}"] = [r[1][j] for r in results[1:]]
    k = max(1, int(round(accept * samples)))
    order = np.argsort(df["loss"].to_numpy(), kind="stable")
    df["accepted"] = False
    df.loc[df.index[order[:k]], "accepted"] = True
    post = df[df["accepted"]]
    best = df.iloc[int(order[0])][list(parameters)].to_dict()
    median = {p: float(post[p].median()) for p in parameters}
    for p in parameters:
        if REGISTRY[p].integer:
            best[p] = int(round(best[p]))
            median[p] = int(round(median[p]))
    info = dict(
        method="ABC rejection over a Latin hypercube",
        samples=samples,
        replicates=replicates,
        accept=accept,
        seed=seed,
        horizon=sc.horizon,
        scenario=scenario.name,
        targets=[t.id for t in cal],
        bounds={p: list(b) for p, b in bounds.items()},
    )
    return Calibration(
        tuple(parameters),
        df,
        start_loss,
        {p: (float(v) if not REGISTRY[p].integer else int(v)) for p, v in best.items()},
        median,
        k,
        info,
    )


def _losses(
    scenario,
    sets: Sequence[dict[str, Any]],
    seeds: Sequence[int],
    targets: Sequence[Target],
    workers: int,
    progress: bool,
) -> list[tuple[float, np.ndarray]]:
    """Each parameter set's mean loss and per-target errors over the same seeds, in order
    (an empty set runs the scenario as it is)."""
    from model.experiments.executors import map_runs

    scenarios = [scenario.with_changes(parameters=d) if d else scenario for d in sets]
    jobs = [(sc, seed) for sc in scenarios for seed in seeds]
    outputs = map_runs(jobs, workers, progress, "calibrate")
    results = []
    for _ in sets:
        runs = [(monthly, summary.iloc[0]) for monthly, summary in (next(outputs) for _ in seeds)]
        table = evaluate(targets, runs)
        results.append((float(table["loss"].mean()), table["error"].to_numpy(dtype=float)))
    next(outputs, None)  # runs the generator out, so its progress bar and worker pool close
    return results


def write_calibration(
    cal: Calibration,
    folder: Path,
    base_scenario_path: str | None,
    name: str,
    scenario: bool = True,
) -> Path | None:
    """Store a calibration: samples, posterior, summary and (if ``scenario``) a scenario file
    extending the base. The folder is written whole or not at all.

    Returns:
        The scenario file written, or None.
    """
    from model.experiments.atomic import staged_folder

    with staged_folder(folder) as tmp:
        return _write_calibration(cal, tmp, folder, base_scenario_path, name, scenario)


def _write_calibration(
    cal: Calibration,
    tmp: Path,
    folder: Path,
    base_scenario_path: str | None,
    name: str,
    scenario: bool,
) -> Path | None:
    import yaml

    cal.samples.to_csv(tmp / "samples.csv", index=False)
    cal.samples[cal.samples["accepted"]].to_csv(tmp / "posterior.csv", index=False)
    summary = dict(
        cal.info,
        parameters=list(cal.parameters),
        start_loss=cal.start_loss,
        best_loss=cal.best_loss,
        best=cal.best,
        posterior_median=cal.posterior_median,
        accepted=cal.accepted,
        written=_dt.datetime.now().isoformat(timespec="seconds"),
    )
    (tmp / "calibration.json").write_text(json.dumps(summary, indent=2, default=float))
    _loss_figure(cal).savefig(tmp / "loss.png", dpi=110)
    if not scenario:
        return None
    scen = {
        "name": name,
        "description": f"Calibrated by stabsim calibrate ({cal.info['method']}, {cal.info['samples']} samples x {cal.info['replicates']} replicates): posterior medians of {', '.join(cal.parameters)}; see {folder}/calibration.json.",
    }
    if base_scenario_path:
        scen["extends"] = os.path.relpath(base_scenario_path, folder)
    scen["parameters"] = dict(cal.posterior_median)
    (tmp / f"{name}.yaml").write_text(yaml.safe_dump(scen, sort_keys=False))
    return folder / f"{name}.yaml"


def _loss_figure(cal: Calibration):
    from matplotlib.figure import Figure

    k = len(cal.parameters)
    fig = Figure(figsize=(3.6 * k, 3.2), layout="constrained")
    axes = fig.subplots(1, k, squeeze=False)
    for ax, p in zip(axes[0], cal.parameters, strict=True):
        s = cal.samples
        ax.scatter(
            s.loc[~s["accepted"], p],
            s.loc[~s["accepted"], "loss"],
            s=12,
            color="#999999",
            label="rejected",
        )
        ax.scatter(
            s.loc[s["accepted"], p],
            s.loc[s["accepted"], "loss"],
            s=16,
            color="#0072B2",
            label="accepted",
        )
        ax.axhline(cal.start_loss, color="#D55E00", lw=1, ls="--", label="default")
        ax.set_xlabel(f"{p} ({REGISTRY[p].unit})", fontsize=8)
        ax.set_ylabel("loss (mean scaled squared error)", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Calibration loss surface (one dot per parameter set)", fontsize=10)
    return fig
