"""Displacement and return: docs/ODD.md section 7.7 (schedule steps 4 and 12 of section 3).

``host_areas`` says where the displaced of each area go (at the start of the month);
``step`` displaces households by violence and lets the displaced return; ``displace`` moves
households to their host areas (also used by the offensives, section 7.3).
"""

from __future__ import annotations

import numpy as np

from model.simulation import kernels
from model.simulation.agents import DISPLACED, HOME
from model.simulation.cohorts import cohort_index


def host_areas(model) -> np.ndarray:
    """Where households of each area flee: the most populous neighbour not held by IS, in the
    same country (the lowest area index among equally populous ones); the area itself if there
    is none.

    Cached: it changes only when the set of IS-held areas does.
    """
    free = model.is_share <= model.p["retaken_threshold"]
    key = free.tobytes()
    if getattr(model, "_hosts_key", None) == key:
        return model._hosts
    pop = model._area_population  # (the data's residents by area, set up by build_space)
    # the padded neighbour matrix holds each area's same-country neighbours in ascending order,
    # so the first maximum is the lowest index among the most populous
    nb = model._nb_pad
    ok = model._nb_ok & free[nb]
    score = np.where(ok, pop[nb], -np.inf)
    best = nb[np.arange(model.n), np.argmax(score, axis=1)]
    hosts = np.where(ok.any(axis=1), best, np.arange(model.n))
    model._hosts_key, model._hosts = key, hosts
    return hosts


def step(model) -> None:
    """Displacement by violence (this month's incidents), then returns home."""
    per_k = 1000.0 * model.m_incidents / model.residents
    # each household at home flees with its area's probability (at most 1)
    chance = model.p["violence_displacement"] * per_k
    model.m_family_returns = 0
    if model._kernels is not None:  # the same draws and households, in compiled passes
        _flee_compiled(model, chance)
        _returns_compiled(model, per_k)
    else:
        _flee(model, chance)
        _returns(model, per_k)


def _flee(model, chance: np.ndarray) -> None:
    """Households at home (not under IS rule, not empty) flee with their area's ``chance``."""
    pop = model.pop
    home_idx = ((pop.status == HOME) & ~pop.under_is & (pop.size > 0)).nonzero()[0]
    # households at home live in their home area and are ordered by it, so the probabilities
    # come by area
    ix = cohort_index(model)
    if ix.order is None:
        starts = home_idx.searchsorted(ix.home_starts)
        chance_of = chance.repeat(starts[1:] - starts[:-1])
    else:  # pragma: no cover - cohorts are built ordered by home area
        chance_of = chance[pop.loc[home_idx]]
    flee = model.rng.random(len(home_idx)) < chance_of
    displace(model, home_idx[flee])


def _flee_compiled(model, chance: np.ndarray) -> None:
    """``_flee`` with the compiled kernels: the same draws, in cohort order."""
    pop, kern = model.pop, model._kernels
    fleeing = np.empty(len(pop), dtype=np.int64)
    found = kern.fleeing(
        kernels.rng_pointers(model), pop.status, pop.under_is, pop.size, HOME, pop.home, chance,
        fleeing,
    )  # fmt: skip
    displace(model, fleeing[:found])


def _returns(model, per_k: np.ndarray) -> None:
    """The displaced return home with their home area's probability."""
    p, pop, rng, n = model.p, model.pop, model.rng, model.n
    d = (pop.status == DISPLACED).nonzero()[0]
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


def _returns_compiled(model, per_k: np.ndarray) -> None:
    """``_returns`` with the compiled kernels: the same draws and probabilities (the factors
    of a household's home area computed by area, in the same order)."""
    p, pop, kern = model.p, model.pop, model._kernels
    floor = p["family_return_floor"]
    family = floor + (1 - floor) * model.perceived["family_policy"]
    area_terms = (
        model.is_share, np.exp(-per_k), model.services, model.destruction,
        *kernels.fixed_floats(
            model, "retaken_threshold", "return_rate", "return_destruction_effect"
        ),
    )  # fmt: skip
    model.m_family_returns = kern.returns(
        kernels.rng_pointers(model), pop.status, pop.home, pop.loc, pop.size, pop.family,
        model.protracted, kernels.floats(family, p["protracted_return"]), area_terms, DISPLACED,
        HOME, model.returnees,
    )  # fmt: skip


def displace(model, idx: np.ndarray) -> None:
    """Households ``idx`` leave home for the host area of their home area."""
    if len(idx) == 0:
        return
    pop = model.pop
    hosts = model.hosts
    pop.status[idx] = DISPLACED
    pop.under_is[idx] = False
    pop.loc[idx] = hosts[pop.home[idx]]
