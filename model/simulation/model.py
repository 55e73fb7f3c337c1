"""StabilizationModel: Iraq after Mosul (spring 2017), one step per month, in real units.

The schedule of one month (docs/ODD.md, section 3):
  1. levers and events take this month's values;
  2. military operations in Iraq and against the Syrian havens;
  3. insurgents: attacks, detection, recruitment, havens and the border, movement, seizure;
  4. population: hardship, legitimacy, arrest risk, stance (Epstein 2002, in real units);
  5. displacement and return;
  6. politics: sectarian tension, the disputed territories (Kirkuk);
  7. record the outcomes.
The model reads no files: the initial state is passed in (``model.data``) and the levers come as
monthly arrays (``model.files.config.Scenario.lever_series``).
"""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from model.simulation import rules
from model.simulation.agents import (
    CLANDESTINE,
    DISPLACED,
    FORCES,
    HOLDING,
    HOME,
    Garrison,
    InsurgentUnit,
    Population,
    StrikeGroup,
)
from model.simulation.outcomes import GROUP_CODES, GROUPS
from model.simulation.parameters import LEVERS, REGISTRY, defaults
from model.simulation.recording import Recorder

_TERRAIN = ("U", "R", "D", "Mt")
_GROUP_INDEX = {code: i for i, code in enumerate(GROUP_CODES)}
_SA, _SH, _K, _T = 0, 1, 2, 3


def _months_between(start: str, month: str) -> int:
    """Whole months from ``start`` to ``month`` ("YYYY-MM"), negative if before."""
    return (int(month[:4]) - int(start[:4])) * 12 + int(month[5:7]) - int(start[5:7])


def _month_add(start: str, months: int) -> str:
    y, m = int(start[:4]), int(start[5:7])
    k = y * 12 + (m - 1) + months
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


class StabilizationModel(mesa.Model):
    """Iraq after the fall of Mosul: policy levers to stability outcomes.

    Args:
        start: first month, "YYYY-MM".
        horizon: number of monthly steps.
        levers: lever name -> a constant or an array of one value per month (missing levers take
            their registry default).
        initial_state: a ``model.data.InitialState``; None uses the packaged April 2017 data.
        record_levels: levels of the monthly table to record ("national", "governorate", "area").
        seed: seed of the model's random generators.
        **params: any registry parameter (kind parameter, initial or technical).
    """

    def __init__(
        self,
        *,
        start: str = "2017-04",
        horizon: int = 120,
        levers: Mapping[str, object] | None = None,
        initial_state=None,
        record_levels: tuple[str, ...] = ("national", "governorate"),
        seed: int | None = None,
        **params: float,
    ) -> None:
        super().__init__(seed=seed)
        unknown = sorted(set(params) - set(REGISTRY))
        if unknown:
            raise TypeError(f"unknown model parameter(s): {', '.join(unknown)}")
        bad = sorted(set(params) & set(LEVERS))
        if bad:
            raise TypeError(f"{', '.join(bad)} are levers: pass them in levers=")
        self.p = {**defaults(), **params}
        self.start = start
        self.horizon = int(horizon)
        self.t = 0  # month index of the current step
        self.lever_paths = self._lever_paths(levers or {})
        if initial_state is None:
            from model.data import default_state

            initial_state = default_state()
        self.state = initial_state
        self._build_space()
        self._build_forces()
        self._build_insurgents()
        self._build_population()
        self.tension = float(self.p["tension0"])
        self.kirkuk = float(self.p["kirkuk0"])
        self.kirkuk_crisis_month: int | None = None
        self.lev = {k: float(v[0]) for k, v in self.lever_paths.items()}
        self._coalition()
        self._count_residents()
        self._update_population(initial=True)
        self.recorder = Recorder(self, record_levels)

    # ------------------------------------------------------------------ construction
    def _lever_paths(self, levers: Mapping[str, object]) -> dict[str, np.ndarray]:
        unknown = sorted(set(levers) - set(LEVERS))
        if unknown:
            raise TypeError(f"unknown lever(s): {', '.join(unknown)}")
        out = {}
        for name in LEVERS:
            v = levers.get(name, REGISTRY[name].default)
            arr = np.asarray(v, dtype=float)
            if arr.ndim == 0:
                arr = np.full(self.horizon, float(arr))
            if len(arr) < self.horizon:
                raise ValueError(f"lever {name}: {len(arr)} values for a horizon of {self.horizon}")
            out[name] = arr[: self.horizon]
        return out

    def _build_space(self) -> None:
        st = self.state
        areas = st.areas
        self.area_ids: list[str] = list(areas.index)
        self.n = n = len(self.area_ids)
        self.aidx = {a: i for i, a in enumerate(self.area_ids)}
        self.iraq = areas["country"].to_numpy() == "IQ"
        self.syria = ~self.iraq
        self.govs: list[str] = list(dict.fromkeys(areas["governorate"]))
        gi = {g: i for i, g in enumerate(self.govs)}
        self.gov_of = np.array([gi[g] for g in areas["governorate"]], dtype=np.int64)
        self.disputed = areas["disputed"].to_numpy().astype(bool)
        self.refuge = areas["refuge"].to_numpy().astype(bool)
        self.haven = areas["haven"].to_numpy().astype(bool)
        self.is_share = areas["is_share"].to_numpy(dtype=float).copy()
        self.krg = areas["controller"].to_numpy() == "KRG"
        p = self.p
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
        self.clear_rate = np.zeros(n)
        self.defence = np.zeros(n)
        self.urban = np.zeros(n)
        for i, terr in enumerate(areas["terrain"]):
            codes = [c for c in str(terr).split("/") if c in _TERRAIN] or ["R"]
            self.clear_rate[i] = np.mean([rate[c] for c in codes])
            self.defence[i] = np.mean([defence[c] for c in codes])
            self.urban[i] = np.mean([c == "U" for c in codes])
        self.graph = st.graph()
        self.grid = Network(self.graph, random=self.random)
        self.cells = [self.grid._cells[a] for a in self.area_ids]
        self.nbrs = [
            np.array(sorted(self.aidx[b] for b in self.graph.neighbors(a)), dtype=np.int64)
            for a in self.area_ids
        ]
        deg = max(len(nb) for nb in self.nbrs)
        self._nb_pad = np.zeros((n, deg), dtype=np.int64)
        self._nb_ok = np.zeros((n, deg), dtype=bool)
        for a, nb in enumerate(self.nbrs):
            same = nb[self.iraq[nb] == self.iraq[a]]
            self._nb_pad[a, : len(same)] = same
            self._nb_ok[a, : len(same)] = True
        self.border_pairs = [
            (self.aidx[r.a], self.aidx[r.b]) for r in st.edges.itertuples() if r.kind == "border"
        ]
        self.destruction = np.zeros(n)
        self.harm_gov = np.zeros(n)  # remembered civilian deaths by government fire, per 1,000
        self.harm_is = np.zeros(n)
        self.haven_capacity = np.where(self.haven, 1.0, 0.0)
        self.retaken_at = np.full(n, -1, dtype=np.int64)  # latest month an area was retaken
        self.first_retaken = np.full(n, -1, dtype=np.int64)
        # the command's plan: the earliest month each offensive may be launched (data, optional)
        self.op_start = np.full(n, -(10**9), dtype=np.int64)
        if "op_start" in areas:
            for i, mth in enumerate(areas["op_start"].fillna("").astype(str)):
                if mth:
                    self.op_start[i] = _months_between(self.start, mth)
        # areas retaken from IS before the start carry destruction
        if "retaken_month" in areas:
            before = areas["retaken_month"].fillna("").astype(str).to_numpy()
            was = np.array([bool(m) and m < self.start for m in before])
        else:
            was = np.zeros(n, dtype=bool)
        if "held_since_2014" in areas:
            was |= areas["held_since_2014"].to_numpy().astype(bool)
        self.was_held = was | (self.is_share > 0)
        self.destruction[was] = p["destruction0_liberated"]
        self.destruction[self.is_share > 0] = (
            p["destruction0_liberated"] * self.urban[self.is_share > 0]
        )

    def _build_forces(self) -> None:
        st, p = self.state, self.p
        fi = {f: i for i, f in enumerate(FORCES)}
        self.eff = np.array([p[f"force_eff_{f.lower()}"] for f in FORCES])
        self.garrison = np.zeros((len(FORCES), self.n))
        strike = np.zeros((len(FORCES), self.n))
        for r in st.deployment.itertuples():
            if r.force not in fi or r.area not in self.aidx:
                continue
            target = strike if r.mission == "strike" else self.garrison
            target[fi[r.force], self.aidx[r.area]] += float(r.strength)
        # forces.csv gives each force's strength: deployments are scaled to it (so a scenario's
        # `initial: forces:` override takes effect)
        for f, i in fi.items():
            if f in st.forces.index:
                deployed = self.garrison[i].sum() + strike[i].sum()
                if deployed > 0:
                    k = float(st.forces.at[f, "strength"]) / deployed
                    self.garrison[i] *= k
                    strike[i] *= k
        total_strike = strike.sum()
        scale = p["strike_force"] / total_strike if total_strike > 0 else 0.0
        strike *= scale
        self.pool = np.zeros(len(FORCES))
        self.groups: list[StrikeGroup] = []
        self.slot_ready: list[int] = [0] * int(p["op_max_concurrent"])
        self.slot_of: dict[int, int] = {}
        # the mobile forces start in the pool; the planner sends them to the first offensives
        # (the Mosul operation, under way in April 2017, heads the command's plan)
        self.pool += strike.sum(axis=1)
        self.garrison_agents: dict[tuple[int, int], Garrison] = {}
        self.syria_groups: list[StrikeGroup] = []
        self.syria_slot_ready: list[int] = [0] * int(p["syria_max_concurrent"])
        self.syria_slot_of: dict[int, int] = {}

    def _build_insurgents(self) -> None:
        areas, p = self.state.areas, self.p
        fighters = areas["is_fighters"].to_numpy(dtype=float)
        scale = np.where(self.iraq, p["is_fighters_iraq_scale"], p["is_fighters_syria_scale"])
        # forces.csv's IS totals scale the area estimates (a factor of 1 with the packaged data)
        for row, mask in (("IS_IRAQ", self.iraq), ("IS_SYRIA", self.syria)):
            if row in self.state.forces.index and fighters[mask].sum() > 0:
                k = float(self.state.forces.at[row, "strength"]) / fighters[mask].sum()
                scale = np.where(mask, scale * k, scale)
        fighters = np.rint(fighters * scale).astype(np.int64)
        held = self.is_share > p["retaken_threshold"]
        self.F = np.zeros((2, self.n), dtype=np.int64)
        self.F[HOLDING, held] = fighters[held]
        self.F[CLANDESTINE, ~held] = fighters[~held]
        self.units: dict[tuple[int, int], InsurgentUnit] = {}
        self._sync_units()

    def _build_population(self) -> None:
        areas, p, rng = self.state.areas, self.p, self.rng
        ppa = float(p["persons_per_agent"])
        pop = areas["population"].to_numpy(dtype=float)
        shares = np.stack([areas[f"share_{c}"].to_numpy(dtype=float) for c in GROUP_CODES], axis=1)
        persons = np.rint(pop[:, None] * shares).astype(np.int64)  # area x group
        counts = np.where(persons > 0, np.maximum(1, np.rint(persons / ppa)), 0).astype(np.int64)
        home = np.repeat(np.repeat(np.arange(self.n), len(GROUPS)), counts.ravel())
        group = np.repeat(np.tile(np.arange(len(GROUPS)), self.n), counts.ravel()).astype(np.int8)
        size = np.concatenate(
            [
                rules.split_integer(t, c)
                for t, c in zip(persons.ravel(), counts.ravel(), strict=True)
                if c > 0
            ]
        )
        m = len(size)
        self.initial_persons = int(size.sum())
        hb = np.clip(
            p["hardship_base"] + rng.uniform(-p["hardship_spread"], p["hardship_spread"], m), 0, 1
        )
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
        lb = np.where(self.syria[home], p["legitimacy0_syria"], base[group])
        fam = (group == _SA) & self.was_held[home] & (rng.random(m) < p["is_family_share"])
        under = (rng.random(m) < self.is_share[home]) & (
            self.is_share[home] > p["retaken_threshold"]
        )
        self.pop = Population(
            home=home.astype(np.int64),
            loc=home.astype(np.int64).copy(),
            group=group,
            size=size,
            hardship_base=hb,
            risk_aversion=rng.random(m),
            legitimacy=lb.copy(),
            legit_base=lb,
            stance=np.zeros(m, dtype=np.int8),
            status=np.zeros(m, dtype=np.int8),
            family=fam,
            under_is=under,
        )
        # households that cannot soon return (destroyed property, security clearance, disputed
        # home areas): the protracted caseload that kept ~1.2 million displaced after 2020
        self.protracted = rng.random(m) < p["protracted_share"]
        self.returnees = np.zeros(self.n)
        self._initial_displacement()
        # static per-household factors and the group legitimacy table (see _update_population)
        iraq_home = self.iraq[home]
        self._family = (fam & iraq_home).astype(float)
        kurd_t = (group == _K) | (group == _T)
        self._kirkuk_exposed = (kurd_t & self.disputed[home] & iraq_home).astype(float)
        self._group_is_sa = np.arange(len(GROUPS)) == _SA
        self.group64 = group.astype(np.int64)
        self._legit_base_table = np.where(
            self.syria[:, None], p["legitimacy0_syria"], base[None, :]
        )
        self.killed = 0
        self.recruited = 0

    def _initial_displacement(self) -> None:
        """Displace households by governorate of origin to match the April 2017 IDP figures."""
        st, pop, rng = self.state, self.pop, self.rng
        disp = st.displacement
        gov_col = "governorate" if "governorate" in disp else disp.index.name
        table = disp.reset_index() if gov_col == disp.index.name else disp
        gov_name = np.array(self.govs)[self.gov_of]
        hosts = self._host_areas()
        listed = set(table["governorate"])
        iraqi = [g for i, g in enumerate(self.govs) if self.iraq[self.gov_of == i].any()]
        others = [g for g in iraqi if g not in listed]
        for r in table.itertuples():
            target = float(r.idps)
            g = r.governorate
            # "Other": the Iraqi governorates the table does not list, together
            names = others if g == "Other" else [g]
            cand = np.flatnonzero(np.isin(gov_name[pop.home], names))
            if target <= 0 or len(cand) == 0:
                continue
            w = pop.size[cand] * np.where(self.was_held[pop.home[cand]], 4.0, 1.0)
            w = w * np.where(np.isin(pop.group[cand], (_SA, 4)), 3.0, 1.0)  # Sunni Arabs, Yazidis
            keys = -np.log(rng.random(len(cand))) / w  # weighted sampling without replacement
            order = cand[np.argsort(keys, kind="stable")]
            cum = np.cumsum(pop.size[order])
            chosen = order[: int(np.searchsorted(cum, target)) + 1]
            pop.status[chosen] = DISPLACED
            pop.under_is[chosen] = False
            pop.loc[chosen] = hosts[pop.home[chosen]]
        # returnees before the start (the national figure of the survey nearest the start
        # month), by area in proportion to the displaced
        nat = st.displacement_national
        if len(nat) and "returnees" in nat:
            dates = pd.to_datetime(nat["date"])
            start = pd.Timestamp(self.start + "-15")
            ret0 = float(nat["returnees"].iloc[int(np.argmin(np.abs((dates - start).dt.days)))])
            idp_home = np.bincount(pop.home, pop.size * (pop.status == DISPLACED), self.n)
            if idp_home.sum() > 0:
                self.returnees = ret0 * idp_home / idp_home.sum()
        self.returnees_initial = self.returnees.copy()

    def _host_areas(self) -> np.ndarray:
        """Where households of each area flee: the most populous neighbour not held by IS.

        Cached: it changes only when the set of IS-held areas does.
        """
        key = (self.is_share <= self.p["retaken_threshold"]).tobytes()
        if getattr(self, "_hosts_key", None) == key:
            return self._hosts
        pop = self.state.areas["population"].to_numpy(dtype=float)
        hosts = np.arange(self.n)
        for a in range(self.n):
            cands = [
                b
                for b in self.nbrs[a]
                if self.is_share[b] <= self.p["retaken_threshold"] and self.iraq[b] == self.iraq[a]
            ]
            if cands:
                hosts[a] = max(cands, key=lambda b: (pop[b], -b))
        self._hosts_key, self._hosts = key, hosts
        return hosts

    def _count_residents(self) -> np.ndarray:
        """Persons living in each area now (at home or hosted), at least 1; kept as residents."""
        self.residents = np.maximum(np.bincount(self.pop.loc, self.pop.size, self.n), 1.0)
        return self.residents

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month, in the documented order."""
        if self.t >= self.horizon:
            self.running = False
            return
        self.lev = {k: float(v[self.t]) for k, v in self.lever_paths.items()}
        self._coalition()
        self.m_incidents = np.zeros(self.n)
        self.m_civ = np.zeros(self.n)
        self.m_civ_gov = np.zeros(self.n)
        self.m_sec = np.zeros(self.n)
        self.m_isd = np.zeros(self.n)
        self.m_recruits = np.zeros(self.n)
        self.m_inflow = 0
        self.hosts = self._host_areas()
        self._count_residents()
        self._security_effective()
        self._operations_iraq()
        self._operations_syria()
        self._insurgency()
        self._sync_units()
        self._update_population()
        self._displacement()
        self._count_residents()
        self._politics()
        self.recorder.record(self.t)
        self.t += 1
        if self.t >= self.horizon:
            self.running = False

    def run(self) -> None:
        """Run all months of the horizon."""
        while self.running and self.t < self.horizon:
            self.step()

    # ------------------------------------------------------------------ 1. levers
    def _coalition(self) -> None:
        p, lev = self.p, self.lev
        self.support = rules.coalition_support(
            lev["us_troops"] + p["coalition_partners"] * (lev["us_troops"] > 0),
            p["us_troops_scale"],
        )
        self.air = lev["coalition_air"]
        self.multiplier = 1.0 + p["coalition_effect"] * self.support * (0.5 + 0.5 * self.air)
        self.precision = min(
            1.0, p["precision_base"] + p["precision_coalition"] * self.air * self.support
        )
        self.intel = min(1.0, p["intel_base"] + p["intel_coalition"] * self.support)

    def _security_effective(self) -> None:
        """Effective security per area (garrisons and strike groups), with coordination."""
        self.coordination = np.where(
            self.disputed, 1.0 - self.p["coordination_loss"] * self.kirkuk, 1.0
        )
        sec = self.eff @ self.garrison
        for g in self.groups:
            sec[self.aidx[g.area]] += float(self.eff @ g.strength)
        self.security_raw = self.garrison.sum(axis=0) + np.bincount(
            [self.aidx[g.area] for g in self.groups],
            [g.strength.sum() for g in self.groups],
            self.n,
        )
        # mobile forces with no offensive to fight sweep for cells where the cells are
        if self.pool.sum() > 0:
            cells = self.F[CLANDESTINE] * self.iraq
            if cells.sum() > 0:
                share = cells / cells.sum()
                sec += float(self.eff @ self.pool) * share
                self.security_raw = self.security_raw + self.pool.sum() * share
        self.security_eff = sec * self.multiplier * self.coordination
        # local police deter and find cells (arrest risk, detection) but do not fight offensives
        residents = self.residents if hasattr(self, "residents") else 0.0
        # (in Syria: the internal security of whoever holds the non-IS part)
        police = self.p["police_per_1000"] * residents / 1000.0 * (self.is_share < 1.0)
        self.policing = self.security_eff + self.p["police_eff"] * police * (1.0 - self.is_share)

    # ------------------------------------------------------------------ 2. operations
    def _operations_iraq(self) -> None:
        self._plan(self.groups, self.slot_ready, self.slot_of, self.iraq, "iraq")
        self._rebalance(self.groups, "iraq")
        for g in self.groups:
            self._fight(g, self.aidx[g.area], self.multiplier)

    def _plan(self, groups, slot_ready, slot_of, mask, theatre: str) -> None:
        """End finished offensives; start new ones on free slots, most threatening target first.

        Priority = defending fighters x terrain defence + thousands of persons under IS.
        """
        thr, t = self.p["retaken_threshold"], self.t
        for g in list(groups):
            a = self.aidx[g.area]
            if self.is_share[a] <= thr:
                self._end_offensive(g, a, groups, slot_ready, slot_of)
        engaged = {self.aidx[g.area] for g in groups}
        ready = mask & (self.is_share > thr) & (self.op_start <= t)
        targets = [a for a in np.flatnonzero(ready) if a not in engaged]
        if not targets:
            return
        pop_under = np.bincount(self.pop.loc, self.pop.size * self.pop.under_is, self.n)
        while targets and len(groups) < len(slot_ready):
            free = [
                s
                for s in range(len(slot_ready))
                if s not in slot_of.values() and slot_ready[s] <= t
            ]
            if not free:
                break
            prio = [self.F[HOLDING, a] * self.defence[a] + pop_under[a] / 1000.0 for a in targets]
            best = targets[int(np.argmax(prio))]
            g = StrikeGroup(self, self.cells[best], np.zeros(len(FORCES)), theatre, t)
            slot_of[g.unique_id] = free[0]
            groups.append(g)
            targets.remove(best)

    def _end_offensive(self, g: StrikeGroup, a: int, groups, slot_ready, slot_of) -> None:
        """A finished offensive leaves a garrison in the retaken area and frees its slot."""
        p = self.p
        slot = slot_of.pop(g.unique_id, None)
        if slot is not None:
            done = self.retaken_at[a] if self.retaken_at[a] >= 0 else self.t
            slot_ready[slot] = done + 1 + int(p["op_pause_months"])
        groups.remove(g)
        g.remove()
        if g.theatre != "iraq":
            return
        residents = self.pop.size[self.pop.loc == a].sum()
        need = max(p["garrison_per_1000"] * residents / 1000.0, p["garrison_min"])
        have = self.garrison[:, a].sum()
        left = min(max(0.0, need - have), g.strength.sum())
        if g.strength.sum() > 0 and left > 0:
            self.garrison[:, a] += g.strength * left / g.strength.sum()
        self.pool += g.strength * (1.0 - (left / g.strength.sum() if g.strength.sum() > 0 else 0.0))

    def _rebalance(self, groups: list[StrikeGroup], theatre: str) -> None:
        """Spread the theatre's mobile forces over its offensives by the defence they face."""
        if not groups:
            return
        if theatre == "iraq":
            total = self.pool + sum(g.strength for g in groups)
            self.pool = np.zeros(len(FORCES))
        else:
            total = np.zeros(len(FORCES))
            total[0] = self.p["syria_force"] * self.lev["syria_campaign"]
        w = np.array(
            [
                self.F[HOLDING, self.aidx[g.area]] * self.defence[self.aidx[g.area]] + 50.0
                for g in groups
            ]
        )
        for g, share in zip(groups, w / w.sum(), strict=True):
            g.strength = total * share

    def _fight(self, g: StrikeGroup, a: int, multiplier: float) -> None:
        """One month of offensive against area a: clearing, losses, withdrawal, civilians."""
        p, rng = self.p, self.rng
        held = self.is_share[a]
        if held <= 0:
            return
        if g.theatre == "iraq":
            force = float(self.eff @ g.strength) * multiplier * self.coordination[a]
        else:
            force = (
                float(g.strength.sum())
                * p["syria_clear_scale"]
                * (1.0 + p["coalition_effect"] * self.air)
            )
        defenders = self.F[HOLDING, a]
        ratio = force / (defenders * self.defence[a] + 1.0)
        pressure = float(rules.saturating(ratio, p["force_ratio_half"]))
        if g.theatre == "iraq" and ratio < p["op_min_ratio"]:
            return
        cleared = float(
            rules.clearing_progress(held, ratio, self.clear_rate[a], p["force_ratio_half"])
        )
        killed = rng.binomial(defenders, min(1.0, p["is_combat_loss"] * pressure))
        left = defenders - killed
        out = rng.binomial(left, min(1.0, p["withdraw_rate"] * pressure))
        self.F[HOLDING, a] -= killed + out
        self.m_isd[a] += killed
        if out:
            self._withdraw(a, out)
        gov_dead = (
            rng.poisson(p["gov_loss_per_defender"] * defenders * self.defence[a])
            if g.theatre == "iraq"
            else 0
        )
        if gov_dead:
            gov_dead = min(gov_dead, int(g.strength.sum()))
            g.strength *= 1.0 - gov_dead / max(g.strength.sum(), 1.0)
            self.m_sec[a] += gov_dead
        self._liberate(a, cleared / held)
        self.destruction[a] += (
            cleared
            * (p["destruction_urban"] * self.urban[a] + p["destruction_open"] * (1 - self.urban[a]))
            * (1.0 - self.destruction[a])
        )
        self.is_share[a] = held - cleared
        if self.is_share[a] <= p["retaken_threshold"]:
            self.is_share[a] = 0.0
            # the last defenders: some stay behind as cells, the rest fall back (see _withdraw)
            last = int(self.F[HOLDING, a])
            stay = int(rng.binomial(last, p["stay_behind"])) if last else 0
            self.F[HOLDING, a] = 0
            self.F[CLANDESTINE, a] += stay
            if last - stay:
                self._withdraw(a, last - stay)
            self._liberate(a, 1.0)
            self.retaken_at[a] = self.t
            if self.first_retaken[a] < 0:
                self.first_retaken[a] = self.t

    def _liberate(self, a: int, fraction: float) -> None:
        """Free a fraction of the households under IS in area a; the fighting harms them."""
        p, pop, rng = self.p, self.pop, self.rng
        idx = np.flatnonzero(pop.under_is & (pop.loc == a))
        if len(idx) == 0 or fraction <= 0:
            return
        idx = idx[rng.random(len(idx)) < fraction] if fraction < 1.0 else idx
        if len(idx) == 0:
            return
        pop.under_is[idx] = False
        harm = (p["civ_harm_urban"] * self.urban[a] + p["civ_harm_open"] * (1 - self.urban[a])) * (
            1.0 - self.precision
        )
        dead = rng.binomial(pop.size[idx], min(1.0, harm))
        pop.size[idx] -= dead
        total = int(dead.sum())
        by_is = int(rng.binomial(total, p["civ_harm_is_share"])) if total else 0
        self._civilian_deaths(a, total, total - by_is)
        flee = rng.random(len(idx)) < (
            p["displace_urban"] * self.urban[a] + p["displace_open"] * (1 - self.urban[a])
        )
        self._displace(idx[flee])

    def _civilian_deaths(self, a: int, total: int, by_government: int) -> None:
        self.killed += total
        self.m_civ[a] += total
        self.m_civ_gov[a] += by_government

    def _withdraw(self, a: int, n: int) -> None:
        """Fighters slipping out of area a fall back on a neighbouring IS-held pocket if there
        is one (the most held), else go to ground in the least-secured neighbouring refuge."""
        nb = self.nbrs[a]
        if self.syria[a]:  # from the havens, only the border process crosses into Iraq
            nb = nb[self.syria[nb]]
        if len(nb) == 0:
            self.F[CLANDESTINE, a] += n
            return
        held = nb[self.is_share[nb] > self.p["retaken_threshold"]]
        if len(held):
            self.F[HOLDING, int(held[np.argmax(self.is_share[held])])] += n
            return
        score = self.policing[nb] * (
            1.0 - self.p["refuge_cover"] * (self.refuge[nb] | self.haven[nb])
        )
        self.F[CLANDESTINE, int(nb[np.argmin(score)])] += n

    def _operations_syria(self) -> None:
        self._plan(
            self.syria_groups, self.syria_slot_ready, self.syria_slot_of, self.syria, "syria"
        )
        if self.lev["syria_campaign"] <= 0:
            return
        self._rebalance(self.syria_groups, "syria")
        for g in self.syria_groups:
            self._fight(g, self.aidx[g.area], 1.0)

    # ------------------------------------------------------------------ 3. insurgents
    def _insurgency(self) -> None:
        p, rng, pop, lev = self.p, self.rng, self.pop, self.lev
        n = self.n
        residents = self.residents  # at the start of the month
        support = self.support_share if hasattr(self, "support_share") else np.zeros(n)
        C, H = self.F[CLANDESTINE], self.F[HOLDING]
        # attacks
        lam = p["attack_rate"] * (
            C * (p["support_floor"] + (1 - p["support_floor"]) * support) + 0.5 * H
        )
        inc = rng.poisson(lam)
        self.m_incidents += inc
        civ = self._kill_residents(p["civ_deaths_per_incident"] * inc / residents)
        self.m_civ += civ
        self.killed += int(civ.sum())
        self.harm_is = self.harm_is * p["harm_memory"] + 1000.0 * civ / residents
        sec = rng.poisson(p["sec_deaths_per_incident"] * inc)
        self.m_sec += sec
        tot = self.garrison.sum(axis=0)
        lose = np.minimum(sec, tot)
        self.garrison *= np.where(tot > 0, 1.0 - lose / np.maximum(tot, 1.0), 1.0)
        # detection of cells (Iraq: Iraqi forces with coalition intelligence; Syria: the campaign)
        density = 1000.0 * self.policing / residents
        cover = 1.0 - p["refuge_cover"] * (self.refuge | self.haven)
        p_det = (
            p["detect_rate"]
            * self.intel
            * rules.saturating(density, p["security_density_half"])
            * cover
            * (1.0 - 0.5 * support)
        )
        p_det = p_det + p["strike_rate"] * self.air * self.support * cover
        p_det = np.where(
            self.syria, p["detect_rate"] * lev["syria_campaign"] * self.air * cover, p_det
        )
        caught = rng.binomial(C, np.clip(p_det, 0, 1))
        C -= caught
        self.m_isd += caught
        # recruitment from active households
        present = (C + H) > 0
        rate = p["recruit_rate"] * np.where(present, 1.0, p["recruit_remote"])
        # IS recruits from Sunni communities: Sunni Arabs and (Tal Afar's mostly Sunni) Turkmen
        # (in Syria the havens' growth, haven_growth, stands for local and foreign recruits)
        sunni = (pop.group == _SA) | (pop.group == _T)
        act = np.flatnonzero((pop.stance == 2) & sunni & self.iraq[pop.loc])
        if len(act):
            r = rng.binomial(pop.size[act], rate[pop.loc[act]])
            pop.size[act] -= r
            per = np.bincount(pop.loc[act], r, n).astype(np.int64)
            self.recruited += int(r.sum())
            self.m_recruits += per
            under = np.bincount(pop.loc[act], r * pop.under_is[act], n).astype(np.int64)
            H += under
            C += per - under
        # havens: capacity, growth, cross-border resupply
        camp = lev["syria_campaign"]
        self.haven_capacity += np.where(
            self.haven,
            -p["haven_decay"] * camp * self.haven_capacity
            + p["haven_regrowth"] * (1 - camp) * (1 - self.haven_capacity),
            0.0,
        )
        self.haven_capacity = np.clip(self.haven_capacity, 0, 1)
        grow = rng.poisson(p["haven_growth"] * self.haven_capacity * (C + H) * self.haven)
        C += grow
        open_border = 1.0 - lev["border_control"]
        for s, i in self.border_pairs:
            if self.iraq[s]:
                s, i = i, s
            # the haven sends from all its fighters, its cells first
            send = rng.binomial(
                C[s] + H[s], min(1.0, p["haven_resupply"] * self.haven_capacity[s] * open_border)
            )
            from_c = min(send, C[s])
            C[s] -= from_c
            H[s] -= send - from_c
            C[i] += send
            self.m_inflow += int(send)
        # attrition
        for F in (C, H):
            F -= rng.binomial(F, p["fighter_attrition"])
        # hunted cells move to safer neighbours in the same country (crossing the border is the
        # resupply process above, subject to border control)
        # (neighbours in a padded matrix, same country only, so the choice is vectorized)
        risk_nb = np.where(self._nb_ok, p_det[self._nb_pad], np.inf)
        best = self._nb_pad[np.arange(n), np.argmin(risk_nb, axis=1)]
        gain = np.where(np.isfinite(risk_nb.min(axis=1)), p_det - p_det[best], 0.0)
        share = np.where(gain > 0, p["cell_mobility"] * gain / np.maximum(p_det, 1e-9), 0.0)
        k = rng.binomial(C, np.clip(share, 0, 1))
        moves = np.bincount(best, k, n).astype(np.int64) - k
        C += moves
        # seizure of territory where cells outnumber the garrison
        thr = p["retaken_threshold"]
        ratio = C * (0.5 + support) / (self.policing + 1.0)
        # hideouts in hills, deserts and havens are not governed territory: no seizure there
        can = self.iraq & ~self.refuge & (residents > 1000)
        for a in np.flatnonzero(can & (ratio > p["seize_ratio"]) & (C > 0)):
            grab = p["seize_rate"] * min(1.0, (ratio[a] - p["seize_ratio"]) / p["seize_ratio"])
            new = min(1.0, self.is_share[a] + grab)
            if new > thr:
                k = int(C[a] * grab / max(new, 1e-9))
                C[a] -= k
                H[a] += k
                self._occupy(a, (new - self.is_share[a]) / max(1.0 - self.is_share[a], 1e-9))
                self.is_share[a] = new
        self.F[CLANDESTINE], self.F[HOLDING] = C, H

    def _kill_residents(self, rate: np.ndarray) -> np.ndarray:
        """Kill residents at ``rate[a]`` deaths per person in area a; return deaths per area.

        The month's deaths are Poisson with mean sum(size x rate); each death falls on a
        household drawn in proportion to size x rate (a multinomial split), whole persons only.
        """
        pop, rng = self.pop, self.rng
        w = pop.size * rate[pop.loc]
        cum = np.cumsum(w)
        total = float(cum[-1]) if len(cum) else 0.0
        if total <= 0:
            return np.zeros(self.n, dtype=np.int64)
        k = rng.poisson(total)
        picks = np.searchsorted(cum, rng.random(k) * total, side="right")
        d = np.minimum(np.bincount(picks, minlength=len(w)), pop.size)
        pop.size -= d
        return np.bincount(pop.loc, d, self.n).astype(np.int64)

    def _occupy(self, a: int, fraction: float) -> None:
        pop = self.pop
        idx = np.flatnonzero((pop.loc == a) & (pop.status == HOME) & ~pop.under_is)
        pop.under_is[idx[self.rng.random(len(idx)) < fraction]] = True

    def _sync_units(self) -> None:
        """Keep the Mesa agents matching the column store: one insurgent unit per (mode, area)
        with fighters, one garrison per (force, area) with troops. Agents read their numbers
        from the arrays, so only appearances and disappearances need work here."""
        if not hasattr(self, "_unit_mask"):
            self._unit_mask = np.zeros(self.F.shape, dtype=bool)
            self._garrison_mask = np.zeros(self.garrison.shape, dtype=bool)
        for present, before, agents, make in (
            (self.F > 0, self._unit_mask, self.units, InsurgentUnit),
            (self.garrison > 0.5, self._garrison_mask, self.garrison_agents, Garrison),
        ):
            for k, a in np.argwhere(present != before).tolist():
                if present[k, a]:
                    agents[(k, a)] = make(self, self.cells[a], k, a)
                else:
                    agents.pop((k, a)).remove()
            before[...] = present

    # ------------------------------------------------------------------ 4. population
    def _update_population(self, initial: bool = False) -> None:
        p, pop, lev = self.p, self.pop, self.lev
        n = self.n
        loc = pop.loc
        if initial:
            self._security_effective()
        residents = self.residents if not initial else self._count_residents()
        # services from aid (Iraq only), allocated by need and by population
        need = self.destruction * residents * self.iraq
        by_need = rules.allocate(lev["aid"] * 1e6 * lev["aid_targeting"], need)
        by_pop = rules.allocate(
            lev["aid"] * 1e6 * (1 - lev["aid_targeting"]), residents * self.iraq
        )
        aid_pc = (by_need + by_pop) / residents
        self.services = rules.services(self.destruction, aid_pc, p["aid_half_saturation"])
        if not initial:  # month 0 starts from the data's destruction
            self.destruction *= 1.0 - p["reconstruction_rate"] * (
                1.0 - np.exp(-aid_pc / p["aid_half_saturation"])
            )
        # militia abuse where undisciplined PMF hold ground
        pmf = self.garrison[FORCES.index("PMF")]
        pmf_share = pmf / np.maximum(self.garrison.sum(axis=0), 1.0)
        self.abuse = (
            p["abuse_rate"] * (1 - lev["militia_discipline"]) * pmf_share * (1 + self.tension) / 2
        )
        fam_pol = lev["family_policy"]
        # every term but a household's own circumstances depends only on (area, group): compute
        # those on the small area x group table and gather once per household
        key = loc * len(GROUPS) + self.group64
        h_area = p["hardship_destruction"] * self.destruction + p["hardship_services"] * (
            1 - self.services
        )
        hard = pop.hardship_base + h_area[loc]
        hard += p["hardship_displaced"] * (pop.status == DISPLACED)
        hard += (p["hardship_family"] * (1 - fam_pol)) * self._family
        hard += p["hardship_is_rule"] * pop.under_is
        np.clip(hard, 0, 1, out=hard)
        sa = self._group_is_sa[None, :]
        policy = self.iraq[:, None] * (
            p["legit_inclusion_effect"] * lev["sunni_inclusion"] * sa
            + p["legit_reconciliation_effect"] * lev["reconciliation"]
            - p["legit_abuse_effect"] * self.abuse[:, None] * sa
            - p["legit_tension_effect"] * self.tension * sa
        )
        local = (
            p["legit_services_effect"] * (self.services - 0.5)
            - p["legit_civ_harm_effect"] * self.harm_gov
            + p["legit_is_harm_effect"] * self.harm_is
        )
        table = self._legit_base_table + policy + local[:, None]
        target = table.ravel()[key]
        target -= (p["legit_kirkuk_effect"] * self.kirkuk) * self._kirkuk_exposed
        target -= (p["legit_family_effect"] * (1 - fam_pol)) * self._family
        np.clip(target, 0, 1, out=target)
        pop.legitimacy = (
            target
            if initial
            else np.clip(rules.relax(pop.legitimacy, target, p["legitimacy_rate"]), 0, 1)
        )
        g = rules.grievance(hard, pop.legitimacy)
        self.grievance = g
        actives = np.bincount(loc, pop.size * (pop.stance == 2), n)
        arrest = rules.arrest_probability(
            self.policing * self.intel,
            actives,
            residents,
            p["arrest_k"],
            p["arrest_ratio_scale"],
            p["active_floor"],
        )
        risk = np.where(pop.under_is, p["is_rule_risk"], arrest[loc])
        pop.stance = rules.stance(
            g, pop.risk_aversion, risk, p["active_threshold"], p["sympathiser_threshold"]
        )
        self.hardship = hard
        engaged = np.bincount(loc, pop.size * (pop.stance > 0), n)
        self.support_share = engaged / residents

    # ------------------------------------------------------------------ 5. displacement
    def _displacement(self) -> None:
        p, pop, rng, lev = self.p, self.pop, self.rng, self.lev
        n = self.n
        residents = self.residents
        per_k = 1000.0 * self.m_incidents / residents
        home_idx = np.flatnonzero((pop.status == HOME) & ~pop.under_is & (pop.size > 0))
        flee = rng.random(len(home_idx)) < np.minimum(
            1.0, p["violence_displacement"] * per_k[pop.loc[home_idx]]
        )
        self._displace(home_idx[flee])
        d = np.flatnonzero(pop.status == DISPLACED)
        if len(d) == 0:
            return
        h = pop.home[d]
        safe = (self.is_share[h] <= p["retaken_threshold"]) * np.exp(-per_k[h])
        fam = np.where(pop.family[d], 0.2 + 0.8 * lev["family_policy"], 1.0)
        fam = fam * np.where(self.protracted[d], p["protracted_return"], 1.0)
        prob = p["return_rate"] * safe * self.services[h] * (1.0 - 0.5 * self.destruction[h]) * fam
        back = d[rng.random(len(d)) < prob]
        pop.status[back] = HOME
        pop.loc[back] = pop.home[back]
        self.returnees += np.bincount(pop.home[back], pop.size[back], n)

    def _displace(self, idx: np.ndarray) -> None:
        if len(idx) == 0:
            return
        pop = self.pop
        hosts = self.hosts
        pop.status[idx] = DISPLACED
        pop.under_is[idx] = False
        pop.loc[idx] = hosts[pop.home[idx]]

    # ------------------------------------------------------------------ 6. politics
    def _politics(self) -> None:
        p, lev = self.p, self.lev
        # a crisis follows the month in which disputed-territory tension crossed the threshold
        if self.kirkuk_crisis_month is None and self.kirkuk > p["kirkuk_crisis_threshold"]:
            self._kirkuk_crisis()
        iq = self.iraq
        pop_iq = float(self.residents[iq].sum())
        deaths = float((self.m_civ + self.m_sec)[iq].sum())
        abuse = float(np.average(self.abuse[iq], weights=self.residents[iq]))
        self.harm_gov = self.harm_gov * p["harm_memory"] + 1000.0 * self.m_civ_gov / np.maximum(
            self.residents, 1.0
        )
        decay = p["tension_decay"] + p["tension_reconciliation"] * lev["reconciliation"]
        self.tension = float(
            np.clip(
                self.tension
                + p["tension_violence"] * deaths / pop_iq * 1e5
                + p["tension_abuse"] * abuse
                - decay * self.tension,
                0,
                1,
            )
        )
        self.kirkuk = float(
            np.clip(
                self.kirkuk
                + p["kirkuk_shock"] * lev["kurdish_referendum"]
                - p["kirkuk_decay"] * (0.2 + 0.8 * lev["kirkuk_settlement"]) * self.kirkuk,
                0,
                1,
            )
        )

    def _kirkuk_crisis(self) -> None:
        """Federal forces take the disputed areas; the Peshmerga withdraw to the Kurdistan Region."""
        self.kirkuk_crisis_month = self.t
        pesh = FORCES.index("PESHMERGA")
        moved = self.disputed & self.krg
        departed = float(self.garrison[pesh, moved].sum())
        core = self.krg & ~self.disputed
        if core.any() and departed > 0:
            self.garrison[pesh, core] += (
                departed * self.garrison[pesh, core] / max(self.garrison[pesh, core].sum(), 1.0)
            )
        self.garrison[pesh, moved] = 0.0
        # federal replacements come out of the mobile forces
        total = self.pool + sum(g.strength for g in self.groups)
        take = min(0.5 * departed, 0.2 * float(total.sum()))
        if take > 0 and total.sum() > 0:
            frac = take / float(total.sum())
            repl = total * frac
            self.pool *= 1 - frac
            for g in self.groups:
                g.strength *= 1 - frac
            residents = np.bincount(self.pop.loc, self.pop.size, self.n) * moved
            self.garrison += np.outer(repl, residents / max(residents.sum(), 1.0))
        self.krg = self.krg & ~moved

    # ------------------------------------------------------------------ results
    def month_label(self, t: int) -> str:
        """The "YYYY-MM" label of month index t."""
        return _month_add(self.start, t)

    def results(self):
        """The monthly table and the run summary as pandas frames (see model.simulation.recording)."""
        return self.recorder.frames()

    def summary(self) -> dict:
        """The run summary as a dict."""
        return self.recorder.summary()

    def accounting(self) -> dict[str, int]:
        """Persons now at home, displaced, recruited and killed (they sum to the initial)."""
        pop = self.pop
        return {
            "initial": self.initial_persons,
            "home": int(pop.size[pop.status == HOME].sum()),
            "displaced": int(pop.size[pop.status == DISPLACED].sum()),
            "recruited": int(self.recruited),
            "killed": int(self.killed),
        }
