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
    st = model.state
    areas = st.areas
    model.area_ids: list[str] = list(areas.index)
    model.n = n = len(model.area_ids)
    model.aidx = {a: i for i, a in enumerate(model.area_ids)}
    model.iraq = areas["country"].to_numpy() == "IQ"
    model.syria = ~model.iraq
    model.govs: list[str] = list(dict.fromkeys(areas["governorate"]))
    gi = {g: i for i, g in enumerate(model.govs)}
    model.gov_of = np.array([gi[g] for g in areas["governorate"]], dtype=np.int64)
    model.disputed = areas["disputed"].to_numpy().astype(bool)
    model.refuge = areas["refuge"].to_numpy().astype(bool)
    model.haven = areas["haven"].to_numpy().astype(bool)
    model.is_share = areas["is_share"].to_numpy(dtype=float).copy()
    model.krg = areas["controller"].to_numpy() == "KRG"
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
    for i, terr in enumerate(areas["terrain"]):
        if terr not in terrain:
            codes = [c for c in str(terr).split("/") if c in _TERRAIN] or ["R"]
            terrain[terr] = (
                np.mean([rate[c] for c in codes]),
                np.mean([defence[c] for c in codes]),
                np.mean([c == "U" for c in codes]),
            )
        model.clear_rate[i], model.defence[i], model.urban[i] = terrain[terr]
    model.graph = _graph(st)
    model.grid = Network(model.graph, random=model.random)
    model.cells = [model.grid._cells[a] for a in model.area_ids]
    model.nbrs = [
        np.array(sorted(model.aidx[b] for b in model.graph.neighbors(a)), dtype=np.int64)
        for a in model.area_ids
    ]
    deg = max(len(nb) for nb in model.nbrs)
    model._nb_pad = np.zeros((n, deg), dtype=np.int64)
    model._nb_ok = np.zeros((n, deg), dtype=bool)
    for a, nb in enumerate(model.nbrs):
        same = nb[model.iraq[nb] == model.iraq[a]]
        model._nb_pad[a, : len(same)] = same
        model._nb_ok[a, : len(same)] = True
    # (fixed for the run: the areas with a neighbour to move to, and the rows of the matrix)
    model._nb_any = model._nb_ok.any(axis=1)
    model._nb_rows = np.arange(n)
    model.border_pairs = [
        (model.aidx[r.a], model.aidx[r.b]) for r in st.edges.itertuples() if r.kind == "border"
    ]
    model.destruction = np.zeros(n)
    model.harm_gov = np.zeros(n)  # remembered civilian deaths by government fire, per 1,000
    model.harm_is = np.zeros(n)
    # governed territory (offensives, seizure with its residents, territorial defeat) and the
    # refuges without residents that IS can hold as sanctuaries
    population = areas["population"].to_numpy(dtype=float)
    model.governed = population >= p["seize_min_residents"]
    # the IS share of a governorate or of Iraq weighs its areas by their data population
    model.control_weight = np.maximum(population, 1.0)
    model.sanctuary = model.refuge & ~model.governed & model.iraq
    model.border_areas = np.zeros(n, dtype=bool)
    for a, b in model.border_pairs:
        model.border_areas[a if model.iraq[a] else b] = True
    cap0 = (
        areas["haven_capacity"].to_numpy(dtype=float)
        if "haven_capacity" in areas
        else np.full(n, p["haven_capacity0"])
    )
    model.haven_capacity = np.where(model.haven, np.nan_to_num(cap0, nan=p["haven_capacity0"]), 0.0)
    model.retaken_at = np.full(n, -1, dtype=np.int64)  # latest month an area was retaken
    model.first_retaken = np.full(n, -1, dtype=np.int64)
    # the command's plan: the earliest month each offensive may be launched (data, optional)
    model.op_start = np.full(n, -(10**9), dtype=np.int64)
    if "op_start" in areas:
        for i, mth in enumerate(areas["op_start"].fillna("").astype(str)):
            if mth:
                model.op_start[i] = months_between(model.start, mth)
    # areas retaken from IS before the start carry destruction
    if "retaken_month" in areas:
        before = areas["retaken_month"].fillna("").astype(str).to_numpy()
        was = np.array([bool(m) and m < model.start for m in before])
    else:
        was = np.zeros(n, dtype=bool)
    if "held_since_2014" in areas:
        was |= areas["held_since_2014"].to_numpy().astype(bool)
    model.was_held = was | (model.is_share > 0)
    model.destruction[was] = p["destruction0_liberated"]
    model.destruction[model.is_share > 0] = (
        p["destruction0_liberated"] * model.urban[model.is_share > 0]
    )


_GRAPHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _graph(state) -> nx.Graph:
    """A copy of the state's area network (``InitialState.graph``), built once per state: the
    state's frames are read-only, and every model gets its own copy to change."""
    if state not in _GRAPHS:
        _GRAPHS[state] = state.graph()
    return _GRAPHS[state].copy()


def build_forces(model) -> None:
    """Garrisons, the mobile pool and the empty offensive slots of both theatres."""
    st, p = model.state, model.p
    fi = {f: i for i, f in enumerate(FORCES)}
    model.eff = np.array([p[f"force_eff_{f.lower()}"] for f in FORCES])
    model.garrison = np.zeros((len(FORCES), model.n))
    strike = np.zeros((len(FORCES), model.n))
    for r in st.deployment.itertuples():
        if r.force not in fi or r.area not in model.aidx:
            continue
        target = strike if r.mission == "strike" else model.garrison
        target[fi[r.force], model.aidx[r.area]] += float(r.strength)
    # forces.csv gives each force's strength: deployments are scaled to it (so a scenario's
    # `initial: forces:` override takes effect)
    for f, i in fi.items():
        if f in st.forces.index:
            deployed = model.garrison[i].sum() + strike[i].sum()
            if deployed > 0:
                k = float(st.forces.at[f, "strength"]) / deployed
                model.garrison[i] *= k
                strike[i] *= k
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
    areas, p, rng = model.state.areas, model.p, model.rng
    ppa = float(p["persons_per_agent"])
    pop = areas["population"].to_numpy(dtype=float)
    shares = np.stack([areas[f"share_{c}"].to_numpy(dtype=float) for c in GROUP_CODES], axis=1)
    persons = np.rint(pop[:, None] * shares).astype(np.int64)  # area x group
    counts = np.where(persons > 0, np.maximum(1, np.rint(persons / ppa)), 0).astype(np.int64)
    home = np.repeat(np.repeat(np.arange(model.n), len(GROUPS)), counts.ravel())
    group = np.repeat(np.tile(np.arange(len(GROUPS)), model.n), counts.ravel()).astype(np.int8)
    size = np.concatenate(
        [
            rules.split_integer(t, c)
            for t, c in zip(persons.ravel(), counts.ravel(), strict=True)
            if c > 0
        ]
    )
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
    starts = home_starts(home, model.n)
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
    st, pop, rng = model.state, model.pop, model.rng
    disp = st.displacement
    gov_col = "governorate" if "governorate" in disp else disp.index.name
    table = disp.reset_index() if gov_col == disp.index.name else disp
    gov_index = {g: i for i, g in enumerate(model.govs)}
    hosts = host_areas(model)
    listed = set(table["governorate"])
    iraqi = [g for i, g in enumerate(model.govs) if model.iraq[model.gov_of == i].any()]
    others = [gov_index[g] for g in iraqi if g not in listed]
    # the households of a governorate (ascending) are the home segments of its areas, in area
    # order: the cohorts are built ordered by home area (no column of governorates is made)
    for g, idps in zip(table["governorate"], table["idps"], strict=True):
        target = float(idps)
        # "Other": the Iraqi governorates the table does not list, together
        codes = others if g == "Other" else [gov_index.get(g, -1)]
        areas = np.flatnonzero(np.isin(model.gov_of, codes)).tolist()
        parts = [np.arange(starts[a], starts[a + 1]) for a in areas]
        cand = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        if target <= 0 or len(cand) == 0:
            continue
        p = model.p
        w = pop.size[cand] * np.where(
            model.was_held[pop.home[cand]], p["idp_weight_liberated"], 1.0
        )
        w = w * np.where(np.isin(pop.group[cand], (SUNNI_ARAB, YAZIDI)), p["idp_weight_group"], 1.0)
        keys = -np.log(rng.random(len(cand))) / w  # weighted sampling without replacement
        chosen = _first_until(cand, keys, pop.size, target)
        pop.status[chosen] = DISPLACED
        pop.under_is[chosen] = False
        pop.loc[chosen] = hosts[pop.home[chosen]]
    # returnees before the start (the national figure of the survey nearest the start
    # month), by area in proportion to the displaced
    nat = st.displacement_national
    if len(nat) and "returnees" in nat:
        dates = pd.to_datetime(nat["date"])
        start = pd.Timestamp(model.start + "-15")
        ret0 = float(nat["returnees"].iloc[int(np.argmin(np.abs((dates - start).dt.days)))])
        d = np.flatnonzero(pop.status == DISPLACED)  # (the others would add 0)
        idp_home = np.bincount(pop.home[d], pop.size[d], model.n)
        if idp_home.sum() > 0:
            model.returnees = ret0 * idp_home / idp_home.sum()
    model.returnees_initial = model.returnees.copy()
