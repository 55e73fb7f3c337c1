"""Displacement and return: docs/ODD.md section 7.7 (schedule steps 4 and 12 of section 3).

``host_areas`` says where the displaced of each area go (at the start of the month);
``step`` displaces households by violence and lets the displaced return; ``displace`` moves
households to their host areas (also used by the offensives, section 7.3).
"""

from __future__ import annotations

import numpy as np

from model.simulation.agents import DISPLACED, HOME


def host_areas(model) -> np.ndarray:
    """Where households of each area flee: the most populous neighbour not held by IS.

    Cached: it changes only when the set of IS-held areas does.
    """
    key = (model.is_share <= model.p["retaken_threshold"]).tobytes()
    if getattr(model, "_hosts_key", None) == key:
        return model._hosts
    pop = model.state.areas["population"].to_numpy(dtype=float)
    hosts = np.arange(model.n)
    for a in range(model.n):
        cands = [
            b
            for b in model.nbrs[a]
            if model.is_share[b] <= model.p["retaken_threshold"] and model.iraq[b] == model.iraq[a]
        ]
        if cands:
            hosts[a] = max(cands, key=lambda b: (pop[b], -b))
    model._hosts_key, model._hosts = key, hosts
    return hosts


def step(model) -> None:
    """Displacement by violence (this month's incidents), then returns home."""
    p, pop, rng = model.p, model.pop, model.rng
    n = model.n
    residents = model.residents
    per_k = 1000.0 * model.m_incidents / residents
    home_idx = np.flatnonzero((pop.status == HOME) & ~pop.under_is & (pop.size > 0))
    flee = rng.random(len(home_idx)) < np.minimum(
        1.0, p["violence_displacement"] * per_k[pop.loc[home_idx]]
    )
    displace(model, home_idx[flee])
    model.m_family_returns = 0
    d = np.flatnonzero(pop.status == DISPLACED)
    if len(d) == 0:
        return
    h = pop.home[d]
    safe = (model.is_share[h] <= p["retaken_threshold"]) * np.exp(-per_k[h])
    floor = p["family_return_floor"]
    fam = np.where(pop.family[d], floor + (1 - floor) * model.perceived["family_policy"], 1.0)
    fam = fam * np.where(model.protracted[d], p["protracted_return"], 1.0)
    prob = (
        p["return_rate"]
        * safe
        * model.services[h]
        * (1.0 - p["return_destruction_effect"] * model.destruction[h])
        * fam
    )
    back = d[rng.random(len(d)) < prob]
    pop.status[back] = HOME
    pop.loc[back] = pop.home[back]
    model.returnees += np.bincount(pop.home[back], pop.size[back], n)
    model.m_family_returns = int(pop.size[back][pop.family[back]].sum())


def displace(model, idx: np.ndarray) -> None:
    """Households ``idx`` leave home for the host area of their home area."""
    if len(idx) == 0:
        return
    pop = model.pop
    hosts = model.hosts
    pop.status[idx] = DISPLACED
    pop.under_is[idx] = False
    pop.loc[idx] = hosts[pop.home[idx]]
