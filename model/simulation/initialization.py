"""Initialization: docs/ODD.md section 5 (and the state variables of section 2).

Builds the model's state from a ``model.data.InitialState``: the area network and its arrays
(``build_space``), the security forces (``build_forces``), the IS fighters and their units
(``build_insurgents``), and the population cohorts with the displacement at the start
(``build_population``). ``StabilizationModel.__init__`` calls them in this order.
"""

from __future__ import annotations

import weakref

import networkx as nx
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from model.simulation import rules
from model.simulation.agents import (
    CLANDESTINE,
    DISPLACED,
    FORCES,
    HOLDING,
    KURD,
    SUNNI_ARAB,
    TURKMEN,
    YAZIDI,
    Garrison,
    InsurgentUnit,
    Population,
    StrikeGroup,
    sync_agents,
)
from model.simulation.cohorts import home_starts
from model.simulation.displacement import host_areas
from model.simulation.months import months_between
from model.simulation.outcomes import GROUP_CODES, GROUPS
from model.simulation.population import sunni_mask

_TERRAIN = ("U", "R", "D", "Mt")


def build_space(model) -> None:
    """The area network, the static area arrays and the dynamic ones at their start values."""
    at = _areas(model.state, model.start)
    model.area_ids, model.n, model.aidx = list(at.area_ids), at.n, dict(at.aidx)
    n = at.n
    model.iraq, model.syria = at.iraq.copy(), ~at.iraq
    model.govs, model.gov_of = list(at.govs), at.gov_of.copy()
    model.disputed, model.refuge = at.disputed.copy(), at.refuge.copy()
    model.haven, model.krg = at.haven.copy(), at.krg.copy()
    model.is_share = at.is_share.copy()
    p = model.p
    # (fixed for the run: the cover refuges and havens give cells against detection, and the
    # areas where cells are exposed outside their communities)
    model._cover = 1.0 - p["refuge_cover"] * (model.refuge | model.haven)
    model._not_refuge = ~model.refuge
    rate = {
        "U": p["clear_rate_urban"],
        "R": p["clear_rate_rural"],
        "D": p["clear_rate_desert"],
        "Mt": p["clear_rate_mountain"],
    }
    defence = {
        "U": p["terrain_defence_urban"],
        "R": 1.0,
        "D": 1.0,
        "Mt": p["terrain_defence_mountain"],
    }
    model.clear_rate = np.zeros(n)
    model.defence = np.zeros(n)
    model.urban = np.zeros(n)
    terrain: dict[str, tuple[float, float, float]] = {}  # a few kinds of terrain, many areas
    for i, terr in enumerate(at.terrain):
        if terr not in terrain:
            codes = [c for c in str(terr).split("/") if c in _TERRAIN] or ["R"]
            terrain[terr] = (
                np.mean([rate[c] for c in codes]),
                np.mean([defence[c] for c in codes]),
                np.mean([c == "U" for c in codes]),
            )
        model.clear_rate[i], model.defence[i], model.urban[i] = terrain[terr]
    # (one network for every run of the state: frozen, as nothing in a run changes it)
    model.graph = at.graph
    model.grid = Network(model.graph, random=model.random)
    model.cells = [model.grid._cells[a] for a in model.area_ids]
    model.nbrs = [nb.copy() for nb in at.nbrs]
    model._nb_pad, model._nb_ok = at.nb_pad.copy(), at.nb_ok.copy()
    # (fixed for the run: the areas with a neighbour to move to, and the rows of the matrix)
    model._nb_any = model._nb_ok.any(axis=1)
    model._nb_rows = np.arange(n)
    model.border_pairs = list(at.border_pairs)
    model.destruction = np.zeros(n)
    model.harm_gov = np.zeros(n)  # remembered civilian deaths by government fire, per 1,000
    model.harm_is = np.zeros(n)
    # governed territory (offensives, seizure with its residents, territorial defeat) and the
    # refuges without residents that IS can hold as sanctuaries
    population = model._area_population = at.population  # (read-only: the data's residents)
    model.governed = population >= p["seize_min_residents"]
    # the IS share of a governorate or of Iraq weighs its areas by their data population
    model.control_weight = np.maximum(population, 1.0)
    model.sanctuary = model.refuge & ~model.governed & model.iraq
    model.border_areas = at.border_areas.copy()
    cap0 = at.haven_capacity if at.haven_capacity is not None else np.full(n, p["haven_capacity0"])
    model.haven_capacity = np.where(model.haven, np.nan_to_num(cap0, nan=p["haven_capacity0"]), 0.0)
    model.retaken_at = np.full(n, -1, dtype=np.int64)  # latest month an area was retaken
    model.first_retaken = np.full(n, -1, dtype=np.int64)
    # the command's plan: the earliest month each offensive may be launched (data, optional)
    model.op_start = at.op_start.copy()
    # areas retaken from IS before the start carry destruction
    was = at.was_held
    model.was_held = was | (model.is_share > 0)
    model.destruction[was] = p["destruction0_liberated"]
    model.destruction[model.is_share > 0] = (
        p["destruction0_liberated"] * model.urban[model.is_share > 0]
    )


class _Areas:
    """What ``build_space`` takes from an initial state and a start month, the same for every
    run (``_areas``): the areas and their indices, the static columns, the network (frozen) and
    each area's neighbours, the border pairs and areas, the month each offensive may start and
    the areas IS held before the start. Runs get copies of the arrays."""

    def __init__(self, st, start: str) -> None:
        areas = st.areas
        self.area_ids: list[str] = list(areas.index)
        self.n = n = len(self.area_ids)
        self.aidx = {a: i for i, a in enumerate(self.area_ids)}
        self.iraq = areas["country"].to_numpy() == "IQ"
        self.govs: list[str] = list(dict.fromkeys(areas["governorate"]))
        gi = {g: i for i, g in enumerate(self.govs)}
        self.gov_of = np.array([gi[g] for g in areas["governorate"]], dtype=np.int64)
        self.disputed = areas["disputed"].to_numpy().astype(bool)
        self.refuge = areas["refuge"].to_numpy().astype(bool)
        self.haven = areas["haven"].to_numpy().astype(bool)
        self.is_share = areas["is_share"].to_numpy(dtype=float).copy()
        self.krg = areas["controller"].to_numpy() == "KRG"
        self.terrain = list(areas["terrain"])
        self.graph = nx.freeze(st.graph())
        self.nbrs = [
            np.array(sorted(self.aidx[b] for b in self.graph.neighbors(a)), dtype=np.int64)
            for a in self.area_ids
        ]
        deg = max(len(nb) for nb in self.nbrs)
        self.nb_pad = np.zeros((n, deg), dtype=np.int64)
        self.nb_ok = np.zeros((n, deg), dtype=bool)
        for a, nb in enumerate(self.nbrs):
            same = nb[self.iraq[nb] == self.iraq[a]]
            self.nb_pad[a, : len(same)] = same
            self.nb_ok[a, : len(same)] = True
        self.border_pairs = [
            (self.aidx[r.a], self.aidx[r.b]) for r in st.edges.itertuples() if r.kind == "border"
        ]
        self.population = areas["population"].to_numpy(dtype=float)
        self.population.flags.writeable = False  # (shared by the runs: host areas, set-up)
        self.border_areas = np.zeros(n, dtype=bool)
        for a, b in self.border_pairs:
            self.border_areas[a if self.iraq[a] else b] = True
        self.haven_capacity = (
            areas["haven_capacity"].to_numpy(dtype=float) if "haven_capacity" in areas else None
        )
        self.op_start = np.full(n, -(10**9), dtype=np.int64)
        if "op_start" in areas:
            for i, mth in enumerate(areas["op_start"].fillna("").astype(str)):
                if mth:
                    self.op_start[i] = months_between(start, mth)
        if "retaken_month" in areas:
            before = areas["retaken_month"].fillna("").astype(str).to_numpy()
            was = np.array([bool(m) and m < start for m in before])
        else:
            was = np.zeros(n, dtype=bool)
        if "held_since_2014" in areas:
            was |= areas["held_since_2014"].to_numpy().astype(bool)
        self.was_held = was
        self.displaced, self.returnees0 = _displaced_at_start(st, start, self)
        self.garrison, self.strike = _deployed(st, self.aidx)


def _deployed(st, aidx: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The data's garrisons and strike forces by (force, area), each force scaled to its
    strength in forces.csv (so a scenario's ``initial: forces:`` override takes effect)."""
    fi = {f: i for i, f in enumerate(FORCES)}
    garrison = np.zeros((len(FORCES), len(aidx)))
    strike = np.zeros((len(FORCES), len(aidx)))
    for r in st.deployment.itertuples():
        if r.force not in fi or r.area not in aidx:
            continue
        target = strike if r.mission == "strike" else garrison
        target[fi[r.force], aidx[r.area]] += float(r.strength)
    for f, i in fi.items():
        if f in st.forces.index:
            deployed = garrison[i].sum() + strike[i].sum()
            if deployed > 0:
                k = float(st.forces.at[f, "strength"]) / deployed
                garrison[i] *= k
                strike[i] *= k
    return garrison, strike


_AREAS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _areas(state, start: str) -> _Areas:
    """The state's ``_Areas`` for runs from ``start``, built once (the state's frames are
    read-only)."""
    kept = _AREAS.setdefault(state, {})
    if start not in kept:
        kept[start] = _Areas(state, start)
    return kept[start]


def build_forces(model) -> None:
    """Garrisons, the mobile pool and the empty offensive slots of both theatres."""
    p = model.p
    model.eff = np.array([p[f"force_eff_{f.lower()}"] for f in FORCES])
    at = _areas(model.state, model.start)
    model.garrison, strike = at.garrison.copy(), at.strike.copy()
    total_strike = strike.sum()
    scale = p["strike_force"] / total_strike if total_strike > 0 else 0.0
    strike *= scale
    model.pool = np.zeros(len(FORCES))
    model.border_force = np.zeros(len(FORCES))
    model.border_control = 0.0
    model.groups: list[StrikeGroup] = []
    model.slot_ready: list[int] = [0] * int(p["op_max_concurrent"])
    model.slot_of: dict[int, int] = {}
    # the mobile forces start in the pool; the planner sends them to the first offensives
    # (the Mosul operation, under way in April 2017, heads the command's plan)
    model.pool += strike.sum(axis=1)
    model.garrison_agents: dict[tuple[int, int], Garrison] = {}
    model.syria_groups: list[StrikeGroup] = []
    model.syria_slot_ready: list[int] = [0] * int(p["syria_max_concurrent"])
    model.syria_slot_of: dict[int, int] = {}


def build_insurgents(model) -> None:
    """IS fighters per area, holding where IS holds the area, else clandestine; their units."""
    areas, p = model.state.areas, model.p
    fighters = areas["is_fighters"].to_numpy(dtype=float)
    scale = np.where(model.iraq, p["is_fighters_iraq_scale"], p["is_fighters_syria_scale"])
    # forces.csv's IS totals scale the area estimates (a factor of 1 with the packaged data)
    for row, mask in (("IS_IRAQ", model.iraq), ("IS_SYRIA", model.syria)):
        if row in model.state.forces.index and fighters[mask].sum() > 0:
            k = float(model.state.forces.at[row, "strength"]) / fighters[mask].sum()
            scale = np.where(mask, scale * k, scale)
    fighters = np.rint(fighters * scale).astype(np.int64)
    held = model.is_share > p["retaken_threshold"]
    model.F = np.zeros((2, model.n), dtype=np.int64)
    model.F[HOLDING, held] = fighters[held]
    model.F[CLANDESTINE, ~held] = fighters[~held]
    model.units: dict[tuple[int, int], InsurgentUnit] = {}
    sync_agents(model)


def build_population(model) -> None:
    """The household cohorts, their starting attributes and the displacement at the start."""
    p, rng = model.p, model.rng
    cohorts = _cohorts(model.state, float(p["persons_per_agent"]))
    home, group, size = cohorts.home, cohorts.group, cohorts.size
    if cohorts.kept:  # (the run's own columns)
        home, group, size = home.copy(), group.copy(), size.copy()
    m = len(size)
    model.initial_persons = int(size.sum())
    # (in place: a column at a time at a million cohorts; x + b is b + x)
    hb = rng.uniform(-p["hardship_spread"], p["hardship_spread"], m)
    hb += p["hardship_base"]
    np.clip(hb, 0, 1, out=hb)
    base = np.array(
        [
            p["legitimacy0_sunni_arab"],
            p["legitimacy0_shia_arab"],
            p["legitimacy0_kurd"],
            p["legitimacy0_minority"],
            p["legitimacy0_minority"],
            p["legitimacy0_minority"],
        ]
    )
    # starting legitimacy by group and country (the (area, group) table of population.update
    # holds it for the months after)
    lb = base[group]
    lb[model.syria[home]] = p["legitimacy0_syria"]
    fam = _families(model, home, group, size, rng)
    # (area by area over the home segments: no column of the areas' shares is made)
    under = rng.random(m)
    starts = cohorts.starts
    thr = p["retaken_threshold"]
    for a, share in enumerate(model.is_share.tolist()):
        seg = under[starts[a] : starts[a + 1]]
        seg[...] = (seg < share) & (share > thr)
    under = under.astype(bool)
    model.pop = Population(
        home=home,
        loc=home.copy(),
        group=group,
        size=size,
        hardship_base=hb,
        risk_aversion=rng.random(m),
        legitimacy=lb,
        active=np.zeros(m),
        engaged=np.zeros(m),
        status=np.zeros(m, dtype=np.int8),
        family=fam,
        under_is=under,
    )
    # households that cannot soon return (destroyed property, security clearance, disputed
    # home areas): the protracted caseload that kept ~1.2 million displaced after 2020
    model.protracted = rng.random(m) < p["protracted_share"]
    model.returnees = np.zeros(model.n)
    _initial_displacement(model, starts)
    # static per-household factors and the group legitimacy table (see population.update)
    iraq_home = model.iraq[home]
    model._family = fam & iraq_home
    kurd_t = (group == KURD) | (group == TURKMEN)
    model._kirkuk_exposed = kurd_t & model.disputed[home] & iraq_home
    model._group_is_sa = np.arange(len(GROUPS)) == SUNNI_ARAB
    model._legit_base_table = np.where(model.syria[:, None], p["legitimacy0_syria"], base[None, :])
    model._sunni = sunni_mask(group)
    model._iraq_home = iraq_home
    model.killed = 0
    model.recruited = 0
    model.born = 0
    model._birth_carry = np.zeros(m)


class _Cohorts:
    """The household cohorts of a state at a resolution, before any draw (``_cohorts``): each
    (area, group) of the data split into cohorts of about ``persons_per_agent`` persons, ordered
    by home area, and where each home area's cohorts begin (``cohorts.home_starts``)."""

    def __init__(self, st, ppa: float) -> None:
        areas = st.areas
        n = len(areas)
        pop = areas["population"].to_numpy(dtype=float)
        shares = np.stack([areas[f"share_{c}"].to_numpy(dtype=float) for c in GROUP_CODES], axis=1)
        persons = np.rint(pop[:, None] * shares).astype(np.int64)  # area x group
        counts = np.where(persons > 0, np.maximum(1, np.rint(persons / ppa)), 0).astype(np.int64)
        self.home = np.repeat(np.repeat(np.arange(n), len(GROUPS)), counts.ravel())
        self.group = np.repeat(np.tile(np.arange(len(GROUPS)), n), counts.ravel()).astype(np.int8)
        self.size = np.concatenate(
            [
                rules.split_integer(t, c)
                for t, c in zip(persons.ravel(), counts.ravel(), strict=True)
                if c > 0
            ]
        )
        self.starts = home_starts(self.home, n)
        self.kept = False  # (set by ``_cohorts``)


_COHORTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
KEEP_COHORTS = 100_000
"""The most cohorts whose set-up is kept (``_cohorts``): above, the columns are made for each
run and are its own (keeping a million cohorts' would add 17 MB to a run's peak memory, and
their draws cost far more than making them)."""


def _cohorts(state, ppa: float) -> _Cohorts:
    """The state's ``_Cohorts`` at ``ppa`` persons per cohort: kept (read-only, runs take
    copies) for the last few resolutions of at most ``KEEP_COHORTS`` cohorts, else new."""
    kept = _COHORTS.setdefault(state, {})
    if ppa in kept:
        return kept[ppa]
    made = _Cohorts(state, ppa)
    if len(made.size) <= KEEP_COHORTS:
        for column in (made.home, made.group, made.size, made.starts):
            column.flags.writeable = False
        made.kept = True
        if len(kept) >= 4:
            kept.pop(next(iter(kept)))
        kept[ppa] = made
    return made


def _families(model, home, group, size, rng) -> np.ndarray:
    """IS-affiliated families: Sunni Arab households at home in the governorates the data name
    (``families.csv``: Nineveh, and Anbar, Salah ad-Din and Diyala where the essay says the
    families in Mosul came from).

    Their persons total ``is_family_share`` of the Sunni Arabs of the areas IS held or holds,
    split over the governorates by the data's shares; within a governorate, households are
    drawn in proportion to their size.
    """
    p = model.p
    fam = np.zeros(len(size), dtype=bool)
    table = model.state.families
    sa = group == SUNNI_ARAB
    total = p["is_family_share"] * float(size[sa & model.was_held[home]].sum())
    gov_home = model.gov_of[home]
    gov_index = {g: i for i, g in enumerate(model.govs)}
    for gov, share in table["share"].items():
        cand = np.flatnonzero(sa & (gov_home == gov_index.get(gov, -1)) & model.iraq[home])
        target = total * float(share)
        if len(cand) == 0 or target <= 0:
            continue
        keys = -np.log(rng.random(len(cand))) / size[cand]  # weighted, without replacement
        fam[_first_until(cand, keys, size, target)] = True
    return fam


def _first_until(cand: np.ndarray, keys: np.ndarray, size: np.ndarray, target: float):
    """The candidates in increasing order of their keys (ties in candidate order), up to and
    including the one whose cumulative ``size`` reaches ``target`` (all if none does).

    The same as sorting every key (stable) and cutting the cumulative sizes at ``target``, but
    only the smallest keys are sorted: those at or below a cut-off chosen from the share of the
    candidates' persons needed, raised until they reach the target.
    """
    n = len(cand)
    sizes = size[cand]
    need = min(1.0, target / max(float(sizes.sum()), 1.0))
    k = min(n, int(n * need * 1.1) + 256)
    while k < n:
        cut = np.partition(keys, k - 1)[k - 1]
        head = np.flatnonzero(keys <= cut)  # every key tied with the cut-off too
        head = head[np.argsort(keys[head], kind="stable")]
        cum = np.cumsum(sizes[head])
        if len(cum) and cum[-1] >= target:
            return cand[head[: int(np.searchsorted(cum, target)) + 1]]
        k *= 2
    order = np.argsort(keys, kind="stable")
    cum = np.cumsum(sizes[order])
    return cand[order[: int(np.searchsorted(cum, target)) + 1]]


def _initial_displacement(model, starts: np.ndarray) -> None:
    """Displace households by governorate of origin to match the April 2017 IDP figures
    (``starts``: where each home area's cohorts begin, ``cohorts.home_starts``)."""
    pop, rng, p = model.pop, model.rng, model.p
    hosts = host_areas(model)
    at = _areas(model.state, model.start)
    # the households of a governorate (ascending) are the home segments of its areas, in area
    # order: the cohorts are built ordered by home area (no column of governorates is made)
    for areas, target in at.displaced:
        parts = [np.arange(starts[a], starts[a + 1]) for a in areas]
        cand = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        if target <= 0 or len(cand) == 0:
            continue
        w = pop.size[cand] * np.where(
            model.was_held[pop.home[cand]], p["idp_weight_liberated"], 1.0
        )
        group = pop.group[cand]
        w = w * np.where((group == SUNNI_ARAB) | (group == YAZIDI), p["idp_weight_group"], 1.0)
        keys = -np.log(rng.random(len(cand))) / w  # weighted sampling without replacement
        chosen = _first_until(cand, keys, pop.size, target)
        pop.status[chosen] = DISPLACED
        pop.under_is[chosen] = False
        pop.loc[chosen] = hosts[pop.home[chosen]]
    # returnees before the start (the national figure of the survey nearest the start
    # month), by area in proportion to the displaced
    if at.returnees0 is not None:
        d = np.flatnonzero(pop.status == DISPLACED)  # (the others would add 0)
        idp_home = np.bincount(pop.home[d], pop.size[d], model.n)
        if idp_home.sum() > 0:
            model.returnees = at.returnees0 * idp_home / idp_home.sum()
    model.returnees_initial = model.returnees.copy()


def _displaced_at_start(st, start: str, at: _Areas) -> tuple[list, float | None]:
    """The data's displaced persons at the start: a row for each governorate of origin (its
    home areas and its IDPs), and the national returnees of the survey nearest the start month
    (None without a figure)."""
    disp = st.displacement
    gov_col = "governorate" if "governorate" in disp else disp.index.name
    table = disp.reset_index() if gov_col == disp.index.name else disp
    gov_index = {g: i for i, g in enumerate(at.govs)}
    listed = set(table["governorate"])
    iraqi = [g for i, g in enumerate(at.govs) if at.iraq[at.gov_of == i].any()]
    others = [gov_index[g] for g in iraqi if g not in listed]
    rows = []
    for g, idps in zip(table["governorate"], table["idps"], strict=True):
        # "Other": the Iraqi governorates the table does not list, together
        codes = others if g == "Other" else [gov_index.get(g, -1)]
        rows.append((np.flatnonzero(np.isin(at.gov_of, codes)).tolist(), float(idps)))
    nat = st.displacement_national
    if not (len(nat) and "returnees" in nat):
        return rows, None
    dates = pd.to_datetime(nat["date"])
    day = pd.Timestamp(start + "-15")
    return rows, float(nat["returnees"].iloc[int(np.argmin(np.abs((dates - day).dt.days)))])
