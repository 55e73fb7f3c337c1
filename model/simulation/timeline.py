"""Scheduled forces, deployments and dated events: docs/ODD.md section 7.1 (schedule step 2).

A scenario may schedule the national strength of a force (the army's collapse, the Popular
Mobilization Forces forming), the garrison of a force in an area (the army leaving Anbar's
cities), the non-US partners' strength, and dated events: fighters added or removed (a prison
break), a shock to the legitimacy or the hardship of a group in some areas (a crackdown on a
protest camp), IS control of an area the model does not fight over (the Syrian war), a
leadership loss. They are applied at the start of the month, before the levers' stocks move.
A scenario without them runs exactly as before (nothing here draws random numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from model.simulation.agents import CLANDESTINE, FORCES, HOLDING, HOME
from model.simulation.outcomes import GROUPS


def prepare(model, timeline: Mapping[str, Any] | None) -> None:
    """Check the time-varying inputs against the model and keep them as arrays.

    Raises:
        ValueError: an unknown force, area or group, or a schedule of the wrong length.
    """
    timeline = timeline or {}
    model.force_paths = {}
    for name, values in (timeline.get("forces") or {}).items():
        if name not in (*FORCES, "COALITION_OTHER"):
            raise ValueError(f"unknown force {name!r} in the force schedules")
        model.force_paths[name] = _path(model, values, f"force {name}")
    model.deployment_paths = {}
    for (area, name), values in (timeline.get("deployments") or {}).items():
        if area not in model.aidx or name not in FORCES:
            raise ValueError(f"unknown area or force {(area, name)!r} in the deployments")
        model.deployment_paths[(model.aidx[area], FORCES.index(name))] = _path(
            model, values, f"deployment of {name} in {area}"
        )
    by_month: dict[int, list[tuple]] = {}
    for t, kind, areas, group, value in timeline.get("events") or ():
        unknown = [a for a in areas if a not in model.aidx]
        if unknown or (group != "all" and group not in GROUPS):
            raise ValueError(f"unknown area or group in the {kind} event of month {t}")
        idx = np.array([model.aidx[a] for a in areas], dtype=np.int64)
        by_month.setdefault(int(t), []).append((kind, idx, group, float(value)))
    model.events = by_month
    model.partners_full = float(model.p["coalition_partners"])


def _path(model, values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or len(arr) < model.horizon:
        raise ValueError(f"{what}: {arr.size} values for a horizon of {model.horizon}")
    return arr[: model.horizon]


def step(model) -> None:
    """Apply the month's scheduled strengths and deployments, then its events."""
    t = model.t
    for name, path in model.force_paths.items():
        if not np.isnan(path[t]):
            if name == "COALITION_OTHER":
                model.partners_full = float(path[t])
            else:
                _set_strength(model, FORCES.index(name), float(path[t]))
    for (a, f), path in model.deployment_paths.items():
        if not np.isnan(path[t]):
            _set_garrison(model, f, a, float(path[t]))
    for kind, areas, group, value in model.events.get(t, ()):
        _EVENTS[kind](model, areas, group, value)


def _holdings(model, f: int) -> float:
    """All troops of force f: garrisons, the pool, border posts, strike groups."""
    groups = sum(float(g.strength[f]) for g in model.groups)
    return float(model.garrison[f].sum() + model.pool[f] + model.border_force[f]) + groups


def _set_strength(model, f: int, target: float) -> None:
    """Scale every holding of force f so that its strength is ``target``; a force with no
    troops yet gets them in the mobile pool."""
    have = _holdings(model, f)
    if have <= 0:
        model.pool[f] += target
        return
    k = target / have
    model.garrison[f] *= k
    model.pool[f] *= k
    model.border_force[f] *= k
    for g in model.groups:
        g.strength[f] *= k


def _set_garrison(model, f: int, a: int, target: float) -> None:
    """Set force f's garrison in area a: troops leaving go to the pool, troops arriving come
    from it (and are new troops beyond what the pool holds)."""
    delta = target - float(model.garrison[f, a])
    model.garrison[f, a] = target
    model.pool[f] = max(0.0, float(model.pool[f]) - delta)


def _fighters(model, areas: np.ndarray, group: str, value: float) -> None:
    """Fighters join (or leave) the areas, split evenly: holding fighters where IS holds the
    area, cells elsewhere."""
    share = value / max(len(areas), 1)
    for a in areas:
        mode = HOLDING if model.is_share[a] > model.p["retaken_threshold"] else CLANDESTINE
        n = int(round(share))
        if n < 0:
            for m in (mode, HOLDING if mode == CLANDESTINE else CLANDESTINE):
                take = min(-n, int(model.F[m, a]))
                model.F[m, a] -= take
                n += take
        else:
            model.F[mode, a] += n


def _cohorts(model, areas: np.ndarray, group: str) -> np.ndarray:
    pop = model.pop
    hit = np.isin(pop.loc, areas)
    if group != "all":
        hit &= pop.group == GROUPS.index(group)
    return hit


def _legitimacy(model, areas: np.ndarray, group: str, value: float) -> None:
    """A shock to the perceived legitimacy of a group in the areas (it then recovers at the
    slow gain rate, or falls further, toward its target)."""
    hit = _cohorts(model, areas, group)
    model.pop.legitimacy[hit] = np.clip(model.pop.legitimacy[hit] + value, 0.0, 1.0)


def _grievance(model, areas: np.ndarray, group: str, value: float) -> None:
    """A lasting change to the baseline hardship of a group in the areas (grievance =
    hardship x (1 - legitimacy))."""
    hit = _cohorts(model, areas, group)
    model.pop.hardship_base[hit] = np.clip(model.pop.hardship_base[hit] + value, 0.0, 1.0)


def _control(model, areas: np.ndarray, group: str, value: float) -> None:
    """IS holds ``value`` of the areas (a war the model does not simulate, e.g. in Syria): the
    area's cells hold it; in a governed Iraqi area, households at home come under IS."""
    thr = model.p["retaken_threshold"]
    pop = model.pop
    for a in areas:
        old = float(model.is_share[a])
        model.is_share[a] = value
        if value > thr:
            model.F[HOLDING, a] += model.F[CLANDESTINE, a]
            model.F[CLANDESTINE, a] = 0
            if value > old and model.iraq[a] and model.governed[a]:
                idx = np.flatnonzero((pop.loc == a) & (pop.status == HOME) & ~pop.under_is)
                n = int(round(len(idx) * (value - old) / max(1.0 - old, 1e-9)))
                pop.under_is[idx[:n]] = True
        else:
            model.F[CLANDESTINE, a] += model.F[HOLDING, a]
            model.F[HOLDING, a] = 0
            pop.under_is[(pop.loc == a) & pop.under_is] = False


def _leadership(model, areas: np.ndarray, group: str, value: float) -> None:
    """A top leader killed or captured: IS's attack capacity dips (docs/ODD.md 7.5)."""
    model.leadership *= 1.0 - model.p["leadership_loss_effect"]
    model.leaders_lost += 1


_EVENTS = {
    "fighters": _fighters,
    "legitimacy": _legitimacy,
    "grievance": _grievance,
    "control": _control,
    "leadership_loss": _leadership,
}
