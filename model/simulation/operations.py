"""Operations: docs/ODD.md sections 7.2, 7.3 and 7.4 (schedule steps 6-8 of section 3).

Effective security and policing of every area, with the troops posted on the Syrian border
(7.2), then the offensives: the planner, the spread of the mobile forces and the fighting, in
Iraq (7.3) and against the Syrian havens (7.4), and the sweeps of IS sanctuaries by idle forces.
Liberated households may flee (``displacement.displace``). Offensives progress at a rate set by
the force ratio with month-to-month noise (battles go faster or slower than planned).
"""

from __future__ import annotations

import numpy as np

from model.simulation import rules
from model.simulation.agents import CLANDESTINE, FORCES, HOLDING, StrikeGroup
from model.simulation.cohorts import home_segment
from model.simulation.displacement import displace


def step(model) -> None:
    """Border posts, security, then the offensives in Iraq, the sweeps, then Syria."""
    border_posts(model)
    security_effective(model)
    iraq(model)
    sweeps(model)
    syria(model)


def border_posts(model) -> None:
    """Troops for border control come out of the idle mobile forces (and go back to them).

    Interdiction works in proportion to the troops actually posted: when the mobile forces are
    all committed to offensives, border control is weaker than the lever asks.
    """
    p = model.p
    want = model.lev["border_control"] * p["border_troops_full"]
    have, pool = rules.total(model.border_force), rules.total(model.pool)
    if want > have and pool > 0:
        take = min(want - have, pool)
        move = model.pool * take / pool
        model.pool -= move
        model.border_force += move
    elif want < have:
        back = model.border_force * (have - want) / have
        model.border_force -= back
        model.pool += back
    posted = rules.total(model.border_force)
    model.border_control = (
        model.lev["border_control"] * min(1.0, posted / want) if want > 0 else 0.0
    )


def security_effective(model) -> None:
    """Effective security per area (garrisons and strike groups), with coordination."""
    if model._kernels is not None:
        _security_compiled(model)
        return
    model.coordination = np.where(
        model.disputed, 1.0 - model.p["coordination_loss"] * model.kirkuk, 1.0
    )
    sec = model.eff @ model.garrison
    posts = _fixed(model).border_posts  # (border areas: counted once)
    if posts:
        sec[model.border_areas] += float(model.eff @ model.border_force) / posts
    raw = model.garrison.sum(axis=0)
    if model.groups:  # (without offensives the strike groups add zeros)
        for g in model.groups:
            sec[model.aidx[g.area]] += float(model.eff @ g.strength)
        raw += np.bincount(
            [model.aidx[g.area] for g in model.groups],
            [rules.total(g.strength) for g in model.groups],
            model.n,
        )
    model.security_raw = raw + rules.total(model.border_force) * model.border_areas / max(posts, 1)
    # mobile forces with no offensive to fight sweep for cells and sanctuaries where they are
    model.sweep_force = np.zeros(model.n)
    pool = rules.total(model.pool)
    if pool > 0:
        targets = (model.F[CLANDESTINE] + model.F[HOLDING] * model.sanctuary) * model.iraq
        if targets.sum() > 0:
            share = targets / targets.sum()
            model.sweep_force = float(model.eff @ model.pool) * share
            sec += model.sweep_force
            model.security_raw = model.security_raw + pool * share
    model.security_eff = sec * model.policing_multiplier * model.coordination
    # local police deter and find cells (arrest risk, detection) but do not fight offensives
    residents = model.residents
    # (in Syria: the internal security of whoever holds the non-IS part)
    police = model.p["police_per_1000"] * residents / 1000.0 * (model.is_share < 1.0)
    model.policing = model.security_eff + model.p["police_eff"] * police * (1.0 - model.is_share)


_NO_GROUPS = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


def _security_compiled(model) -> None:
    """``security_effective`` with the compiled kernels: the BLAS products here, the rest in
    one compiled pass (the same arithmetic)."""
    p, n, eff = model.p, model.n, model.eff
    posts = _fixed(model).border_posts
    groups = model.groups
    if groups:
        by_group = (
            np.array([model.aidx[g.area] for g in groups], dtype=np.int64),
            np.array([float(eff @ g.strength) for g in groups]),
            np.array([rules.total(g.strength) for g in groups]),
        )
    else:
        by_group = _NO_GROUPS
    out = [np.empty(n) for _ in range(5)]
    model._kernels.security(
        eff @ model.garrison, model.garrison, model.border_areas,
        float(eff @ model.border_force) / posts if posts else 0.0, *by_group,
        model.border_force, model.pool, float(eff @ model.pool), model.F[CLANDESTINE],
        model.F[HOLDING], model.sanctuary, model.iraq, model.disputed,
        (
            1.0 - p["coordination_loss"] * model.kirkuk, float(posts),
            float(model.policing_multiplier), float(p["police_per_1000"]), float(p["police_eff"]),
        ),
        model.residents, model.is_share, *out,
    )  # fmt: skip
    (
        model.coordination,
        model.security_raw,
        model.sweep_force,
        model.security_eff,
        model.policing,
    ) = out


def iraq(model) -> None:
    """Section 7.3: plan, spread the mobile forces, then each Iraqi offensive fights."""
    _plan(model, model.groups, model.slot_ready, model.slot_of, "iraq")
    _rebalance(model, model.groups, "iraq")
    for g in model.groups:
        _fight(model, g, model.aidx[g.area], model.multiplier)


def syria(model) -> None:
    """Section 7.4: plan; if the Syria campaign is on, spread the partner force and fight."""
    _plan(model, model.syria_groups, model.syria_slot_ready, model.syria_slot_of, "syria")
    if model.lev["syria_campaign"] <= 0:
        return
    _rebalance(model, model.syria_groups, "syria")
    for g in model.syria_groups:
        _fight(model, g, model.aidx[g.area], 1.0)


def _plan(model, groups, slot_ready, slot_of, theatre: str) -> None:
    """End finished offensives; start new ones on free slots, most threatening target first.

    Priority = defending fighters x terrain defence + thousands of persons under IS.
    """
    thr, t = model.p["retaken_threshold"], model.t
    for g in list(groups):
        a = model.aidx[g.area]
        if model.is_share[a] <= thr:
            _end_offensive(model, g, a, groups, slot_ready, slot_of)
    if len(groups) >= len(slot_ready) or not _free_slots(slot_ready, slot_of, t):
        return  # (no offensive can start: no target is looked for)
    # the theatre's governed areas still held, whose offensive may start by now (ascending)
    share = model.is_share.tolist()
    targets = [a for a, start in _fixed(model).targets[theatre] if share[a] > thr and start <= t]
    if groups:
        engaged = {model.aidx[g.area] for g in groups}
        targets = [a for a in targets if a not in engaged]
    pop_under = None  # (counted only when a slot is free)
    while targets and len(groups) < len(slot_ready):
        free = _free_slots(slot_ready, slot_of, t)
        if not free:
            break
        if pop_under is None:
            under = model.pop.under_is.nonzero()[0]
            pop_under = np.bincount(model.pop.loc[under], model.pop.size[under], model.n)
        prio = [model.F[HOLDING, a] * model.defence[a] + pop_under[a] / 1000.0 for a in targets]
        best = targets[int(np.argmax(prio))]
        g = StrikeGroup(model, model.cells[best], np.zeros(len(FORCES)), theatre, t)
        slot_of[g.unique_id] = free[0]
        groups.append(g)
        targets.remove(best)


def _free_slots(slot_ready, slot_of: dict, t: int) -> list[int]:
    """The offensive slots neither in use nor pausing in month ``t``."""
    used = set(slot_of.values())
    return [s for s, ready in enumerate(slot_ready) if s not in used and ready <= t]


class _Fixed:
    """What the operations read every month but never changes in a run (``_fixed``): the
    number of border areas; each theatre's governed areas (ascending), each with the month its
    offensive may start (``op_start``); the sanctuaries (ascending)."""

    def __init__(self, model) -> None:
        self.border_posts = int(model.border_areas.sum())
        self.targets = {
            theatre: [
                (a, int(model.op_start[a])) for a in np.flatnonzero(mask & model.governed).tolist()
            ]
            for theatre, mask in (("iraq", model.iraq), ("syria", model.syria))
        }
        self.sanctuaries = np.flatnonzero(model.sanctuary).tolist()


def _fixed(model) -> _Fixed:
    """The run's ``_Fixed`` (built on first use)."""
    fixed = model.__dict__.get("_operations_fixed")
    if fixed is None:
        fixed = model._operations_fixed = _Fixed(model)
    return fixed


def _end_offensive(model, g: StrikeGroup, a: int, groups, slot_ready, slot_of) -> None:
    """A finished offensive leaves a garrison in the retaken area and frees its slot."""
    p = model.p
    slot = slot_of.pop(g.unique_id, None)
    if slot is not None:
        done = model.retaken_at[a] if model.retaken_at[a] >= 0 else model.t
        slot_ready[slot] = done + 1 + int(p["op_pause_months"])
    groups.remove(g)
    g.remove()
    if g.theatre != "iraq":
        return
    residents = model.pop.size[model.pop.loc == a].sum()
    need = max(p["garrison_per_1000"] * residents / 1000.0, p["garrison_min"])
    have, strength = rules.total(model.garrison[:, a]), rules.total(g.strength)
    left = min(max(0.0, need - have), strength)
    if strength > 0 and left > 0:
        model.garrison[:, a] += g.strength * left / strength
    model.pool += g.strength * (1.0 - (left / strength if strength > 0 else 0.0))


def _rebalance(model, groups: list[StrikeGroup], theatre: str) -> None:
    """Spread the theatre's mobile forces over its offensives by the defence they face."""
    if not groups:
        return
    if theatre == "iraq":
        total = model.pool + sum(g.strength for g in groups)
        model.pool = np.zeros(len(FORCES))
    else:
        total = np.zeros(len(FORCES))
        total[0] = model.p["syria_force"] * model.lev["syria_campaign"]
    w = np.array(
        [
            model.F[HOLDING, model.aidx[g.area]] * model.defence[model.aidx[g.area]]
            + model.p["op_weight_floor"]
            for g in groups
        ]
    )
    for g, share in zip(groups, w / w.sum(), strict=True):
        g.strength = total * share


def _fight(model, g: StrikeGroup, a: int, multiplier: float) -> None:
    """One month of offensive against area a: clearing, losses, withdrawal, civilians."""
    p, rng = model.p, model.rng
    held = model.is_share[a]
    if held <= 0:
        return
    if g.theatre == "iraq":
        force = float(model.eff @ g.strength) * multiplier * model.coordination[a]
    else:
        force = (
            rules.total(g.strength)
            * p["syria_clear_scale"]
            * (1.0 + p["coalition_effect_offensive"] * model.air)
        )
    defenders = model.F[HOLDING, a]
    ratio = force / (defenders * model.defence[a] + 1.0)
    pressure = float(rules.saturating(ratio, p["force_ratio_half"]))
    if ratio < p["op_min_ratio"]:  # the 3:1 rule, for the partners in Syria as for Iraq
        return
    cleared = float(
        rules.clearing_progress(
            held, ratio, model.clear_rate[a] * _noise(model), p["force_ratio_half"]
        )
    )
    killed = rng.binomial(defenders, min(1.0, p["is_combat_loss"] * pressure))
    left = defenders - killed
    out = rng.binomial(left, min(1.0, p["withdraw_rate"] * pressure))
    model.F[HOLDING, a] -= killed + out
    model.m_isd[a] += killed
    model.m_is_killed[a] += killed
    if out:
        _withdraw(model, a, out)
    gov_dead = (
        rng.poisson(p["gov_loss_per_defender"] * defenders * model.defence[a])
        if g.theatre == "iraq"
        else 0
    )
    if gov_dead:
        strength = rules.total(g.strength)
        gov_dead = min(gov_dead, int(strength))
        g.strength *= 1.0 - gov_dead / max(strength, 1.0)
        model.m_sec[a] += gov_dead
    _liberate(model, a, cleared / held)
    model.destruction[a] += (
        cleared
        * (p["destruction_urban"] * model.urban[a] + p["destruction_open"] * (1 - model.urban[a]))
        * (1.0 - model.destruction[a])
    )
    model.is_share[a] = held - cleared
    if model.is_share[a] <= p["retaken_threshold"]:
        model.is_share[a] = 0.0
        # the last defenders: some stay behind as cells, the rest fall back (see _withdraw)
        last = int(model.F[HOLDING, a])
        stay = int(rng.binomial(last, p["stay_behind"])) if last else 0
        model.F[HOLDING, a] = 0
        model.F[CLANDESTINE, a] += stay
        if last - stay:
            _withdraw(model, a, last - stay)
        _liberate(model, a, 1.0)
        model.retaken_at[a] = model.t
        if model.first_retaken[a] < 0:
            model.first_retaken[a] = model.t


def _liberate(model, a: int, fraction: float) -> None:
    """Free a fraction of the households under IS in area a; the fighting harms them."""
    p, pop, rng = model.p, model.pop, model.rng
    s = home_segment(model, a)  # households under IS live at home
    idx = s.start + pop.under_is[s].nonzero()[0]
    if len(idx) == 0 or fraction <= 0:
        return
    idx = idx[rng.random(len(idx)) < fraction] if fraction < 1.0 else idx
    if len(idx) == 0:
        return
    pop.under_is[idx] = False
    harm = (p["civ_harm_urban"] * model.urban[a] + p["civ_harm_open"] * (1 - model.urban[a])) * (
        1.0 - model.precision
    )
    dead = rng.binomial(pop.size[idx], min(1.0, harm))
    pop.size[idx] -= dead
    total = int(dead.sum())
    by_is = int(rng.binomial(total, p["civ_harm_is_share"])) if total else 0
    _civilian_deaths(model, a, total, total - by_is)
    model.m_civ_battle[a] += total
    flee = rng.random(len(idx)) < (
        p["displace_urban"] * model.urban[a] + p["displace_open"] * (1 - model.urban[a])
    )
    displace(model, idx[flee])


def _civilian_deaths(model, a: int, total: int, by_government: int) -> None:
    """Count civilians killed in area a, ``by_government`` of them by government fire."""
    model.killed += total
    model.m_civ[a] += total
    model.m_civ_gov[a] += by_government


def _noise(model) -> float:
    """A gamma-distributed factor with mean 1 and coefficient of variation ``offensive_noise``."""
    cv = model.p["offensive_noise"]
    if cv <= 0:
        return 1.0
    shape = 1.0 / cv**2
    return float(model.rng.gamma(shape, 1.0 / shape))


def sweeps(model) -> None:
    """Idle mobile forces sweeping a held sanctuary clear part of it and kill some of its
    fighters; the rest of the fighters stay (the terrain is theirs again if the sweeps stop)."""
    p, rng = model.p, model.rng
    thr = p["retaken_threshold"]
    share, force = model.is_share.tolist(), model.sweep_force.tolist()
    for a in [a for a in _fixed(model).sanctuaries if share[a] > thr and force[a] > 0]:
        held = model.is_share[a]
        defenders = int(model.F[HOLDING, a])
        ratio = (
            model.sweep_force[a] * model.policing_multiplier / (defenders * model.defence[a] + 1.0)
        )
        pressure = float(rules.saturating(ratio, p["force_ratio_half"]))
        cleared = min(held, p["sweep_clear_rate"] * pressure * _noise(model))
        killed = int(
            rng.binomial(
                defenders, min(1.0, p["is_combat_loss"] * pressure * p["sweep_clear_rate"])
            )
        )
        model.F[HOLDING, a] -= killed
        model.m_isd[a] += killed
        model.m_is_killed[a] += killed
        model.is_share[a] = held - cleared
        if model.is_share[a] <= thr:
            model.is_share[a] = 0.0
            model.F[CLANDESTINE, a] += model.F[HOLDING, a]
            model.F[HOLDING, a] = 0


def _withdraw(model, a: int, n: int) -> None:
    """Fighters slipping out of area a fall back on a neighbouring IS-held pocket if there
    is one (the most held), else go to ground in the least-secured neighbouring refuge."""
    nb = model.nbrs[a]
    if model.syria[a]:  # from the havens, only the border process crosses into Iraq
        nb = nb[model.syria[nb]]
    if len(nb) == 0:
        model.F[CLANDESTINE, a] += n
        return
    held = nb[model.is_share[nb] > model.p["retaken_threshold"]]
    if len(held):
        model.F[HOLDING, int(held[np.argmax(model.is_share[held])])] += n
        return
    score = model.policing[nb] * (
        1.0 - model.p["refuge_cover"] * (model.refuge[nb] | model.haven[nb])
    )
    model.F[CLANDESTINE, int(nb[np.argmin(score)])] += n
