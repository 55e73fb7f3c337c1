"""History matching: keep the parameter draws that reproduce the record the model was
calibrated on.

An ensemble drawn over the registry ranges holds many parameter sets under which the model
does not reproduce what happened in its first months (the offensives of 2017, the end of the
caliphate's territory, the return of the displaced in 2018). Futures run from such sets are not
futures of the Iraq the model starts from. Screening tries candidate draws in order, runs the
batch's first scenario once with each (to the last month the targets need, with a seed of its
own) and keeps a candidate when it passes at least ``share`` of the calibration targets of
seeds/targets.yaml that apply to the start month. Validation and plausibility targets (the
record after 2017 among them) are never used: they stay an independent check.

The candidates and their seeds follow from the ensemble's seed alone and are kept in candidate
order, so the kept draws do not depend on the number of workers or the executor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from model.files.errors import ConfigError
from model.files.frozen import freeze

__all__ = [
    "screened_ensemble",
    "SCREEN_KEY",
    "prepare_trial",
    "screen_draws",
    "screen_seed",
    "screening_targets",
]

SCREEN_KEY = 0x736372
"""Spawn key of the screening runs' seeds (replicate seeds use one-element keys)."""

_CACHE: dict[str, Any] = {}


def screened_ensemble(batch: Any, progress: bool = True) -> Any:
    """The draws a batch runs: its ensemble (``model.experiments.ensemble.ensemble_for``) with,
    unless ``screen: none``, only the candidates that reproduce the record kept; None without
    ``uncertainty:``."""
    from model.experiments.ensemble import batch_uncertainty, draw_ensemble, ensemble_for
    from model.files.uncertainty import SCREEN_FACTOR, SCREEN_LEAST, read_uncertainty

    plain = ensemble_for(batch)  # checks the batch's uncertainty (errors placed in its file)
    if plain is None:
        return None
    spec = read_uncertainty(batch_uncertainty(batch))
    if spec.screen is None:
        return plain
    n = spec.screen.candidates or max(SCREEN_FACTOR * spec.draws, SCREEN_LEAST)
    pool = draw_ensemble(
        spec.distributions, n, plain.seed, spec.posterior, spec.steps, plain.written
    )
    return screen_draws(pool, batch.scenarios[0], spec.draws, spec.screen.share, progress)


def screening_targets(scenario: Any) -> tuple[Any, ...]:
    """The calibration targets of seeds/targets.yaml that score runs of ``scenario``."""
    from model.files.targets import load_targets

    return tuple(t for t in load_targets() if t.use == "calibration" and t.applies_to(scenario))


def screen_seed(seed: int, candidate: int) -> int:
    """The model seed of the screening run of a candidate draw."""
    from model.experiments.run import stream_seed

    return stream_seed(seed, SCREEN_KEY, candidate)


def screen_draws(
    candidates: Any, scenario: Any, draws: int, share: float, progress: bool = True
) -> Any:
    """The first ``draws`` candidates (in order) whose run of ``scenario`` passes at least
    ``share`` of its calibration targets, as an ensemble; the candidates unchanged if no
    calibration target applies to the scenario's start month.

    Args:
        candidates: the candidate draws (``model.experiments.ensemble.Ensemble``).
        scenario: the scenario the draws are tried on (a batch's first scenario).
        draws: how many draws to keep.
        share: the least share of the targets a kept draw passes.
        progress: show a progress bar while the candidates run.

    Raises:
        ConfigError: fewer than ``draws`` candidates pass.
    """
    targets = screening_targets(scenario)
    if not targets:
        return candidates
    key = json.dumps(
        [candidates.to_dict(), scenario.to_dict(), draws, share, [t.id for t in targets]],
        sort_keys=True,
        default=str,
    )
    if key not in _CACHE:
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _screen(candidates, scenario, targets, draws, share, progress)
    return _CACHE[key]


def prepare_trial(scenario: Any, targets: tuple) -> Any:
    """The scenario as a screening run takes it: one replicate, to the last month the targets
    need, recording what they measure."""
    from model.experiments.scoring import prepare
    from model.files.months import month_index

    need = max(month_index(t.last_month) for t in targets) - month_index(scenario.start) + 1
    return prepare(scenario.with_changes(replicates=1), targets, horizon=max(1, need))


def _screen(
    candidates: Any, scenario: Any, targets: tuple, draws: int, share: float, progress: bool
) -> Any:
    import dataclasses

    from model.experiments.executors import map_runs
    from model.experiments.scoring import evaluate

    trial = prepare_trial(scenario, targets)
    least = int(np.ceil(share * len(targets) - 1e-9))
    kept: list[int] = []
    passed_counts: list[int] = []
    total = len(candidates)
    start = 0
    while len(kept) < draws and start < total:
        # Tried in chunks, in candidate order, so the kept draws do not depend on the chunks.
        # The first chunk is sized for the usual share kept (about one in five): one pool.
        stop = min(total, start + max(6 * (draws - len(kept)), 8))
        jobs = [
            (candidates.apply(trial, d), screen_seed(candidates.seed, d))
            for d in range(start, stop)
        ]
        workers = max(1, min(os.cpu_count() or 1, 4)) if len(jobs) >= 16 else 1
        label = f"screening draws {start + 1}-{stop} against {len(targets)} calibration targets"
        for d, (monthly, summary) in zip(
            range(start, stop), map_runs(jobs, workers, progress, label), strict=True
        ):
            passed = int(evaluate(targets, [(monthly, summary.iloc[0])])["passed"].sum())
            passed_counts.append(passed)
            if passed >= least and len(kept) < draws:
                kept.append(d)
        start = stop
    tried = len(passed_counts)
    if len(kept) < draws:
        raise ConfigError(
            f"only {len(kept)} of {tried} candidate draws reproduce at least {least} of the "
            f"{len(targets)} calibration targets of {scenario.start} (history matching)",
            key="uncertainty.screen",
            allowed="more candidates (screen: {candidates: N}), a lower share, fewer draws, "
            "or screen: none",
        )
    record: Mapping[str, Any] = {
        "scenario": scenario.name,
        "start": scenario.start,
        "targets": [t.id for t in targets],
        "share": share,
        "least_passed": least,
        "candidates": total,
        "tried": tried,
        "kept": kept,
        "passed": passed_counts,
    }
    return dataclasses.replace(
        candidates,
        values=tuple(candidates.values[d] for d in kept),
        screen=freeze(record),
    )
