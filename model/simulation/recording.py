"""Recording outcomes: docs/ODD.md section 7.9 (schedule step 15 of section 3).

Preallocated arrays each month, tidy pandas frames at the end. The monthly table has the key
columns ``month`` (first day of the month, datetime64), ``level`` ("national", "governorate",
"area") and ``unit`` ("Iraq", a governorate name or an area id), then one column per outcome of
``model.simulation.outcomes.MONTHLY``. National figures cover Iraq only; the Syrian havens
appear as their own governorates and areas and in the national columns ``syria_is_fighters``
and ``haven_capacity``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.simulation import rules
from model.simulation.agents import CLANDESTINE, HOLDING
from model.simulation.cohorts import blocks, cohort_keys, displaced_now
from model.simulation.outcomes import GROUPS, MONTHLY, MONTHLY_NAMES, SUMMARY_NAMES

_AREA_VARS = (
    "control",
    "fighters_hold",
    "fighters_cland",
    "held",
    "sanctuary",
    "pop_under_is",
    "incidents",
    "civ",
    "civ_gov",
    "sec",
    "isd",
    "battle",
    "recruits",
    "population",
    "idps",
    "returnees",
    "security",
)
_GROUP_VARS = ("persons", "legit", "griev", "active", "symp")
_NAT_VARS = (
    "tension",
    "kirkuk",
    "haven_capacity",
    "syria_fighters",
    "inflow",
    "us_troops",
    "support",
    "aid",
    "aid_committed",
    "hardliners",
    "militia",
    "leaders",
)


class Recorder:
    """Collects one month of outcomes into preallocated arrays."""

    def __init__(self, model, levels: tuple[str, ...]) -> None:
        self.m = model
        self.levels = tuple(levels)
        T, n, g = model.horizon, model.n, len(GROUPS)
        self.area = {k: np.zeros((T, n)) for k in _AREA_VARS}
        self.group = {k: np.zeros((T, n, g)) for k in _GROUP_VARS}
        self.nat = {k: np.zeros(T) for k in _NAT_VARS}
        self.share = np.zeros((T, n))  # IS share of each area, for resurgence
        self.filled = 0
        self._displaced: np.ndarray | None = None
        self._key_seen: np.ndarray | None = None
        self._k4: np.ndarray | None = None
        self._w4: np.ndarray | None = None

    def record(self, t: int) -> None:
        """Store month t of the model's state.

        Persons by area and group are those counted after displacement (schedule step 13,
        ``population.count_residents``): nothing moves or dies between that count and here.
        """
        m, pop = self.m, self.m.pop
        n, g = m.n, len(GROUPS)
        A = self.area
        A["fighters_hold"][t] = m.F[HOLDING]
        A["fighters_cland"][t] = m.F[CLANDESTINE]
        held = m.is_share > m.p["retaken_threshold"]
        A["held"][t] = held & m.governed
        A["sanctuary"][t] = held & m.sanctuary
        self.share[t] = m.is_share
        A["control"][t] = m.is_share * m.control_weight
        under = np.flatnonzero(pop.under_is)
        A["pop_under_is"][t] = np.bincount(pop.loc[under], pop.size[under], n)
        A["population"][t] = m.persons_home_group.sum(axis=1)
        displaced = displaced_now(m)
        A["idps"][t] = np.bincount(pop.home[displaced], pop.size[displaced], n)
        A["incidents"][t] = m.m_incidents
        A["civ"][t] = m.m_civ
        A["civ_gov"][t] = m.m_civ_gov
        A["sec"][t] = m.m_sec
        A["isd"][t] = m.m_isd
        A["battle"][t] = m.m_sec + m.m_is_killed + m.m_civ_battle
        A["recruits"][t] = m.m_recruits
        A["returnees"][t] = m.returnees
        A["security"][t] = m.security_raw
        G = self.group
        G["persons"][t] = m.persons_area_group
        # persons-weighted stance, legitimacy and grievance by (area, group): the four sums in
        # one bincount over interleaved bins, so that consecutive additions go to different
        # bins (each bin still adds its households in cohort order)
        kern = m._kernels
        if kern is None:
            sums = np.bincount(self._keys4(displaced), self._weights4(), 4 * n * g)
        else:  # the same sums, cohort by cohort in one compiled pass
            sums = np.zeros(4 * n * g)
            kern.group_sums(
                pop.loc, pop.group, g, m.sizef, pop.active, pop.engaged, pop.legitimacy,
                m.grievance, sums,
            )  # fmt: skip
        sums = sums.reshape(n, g, 4)
        for j, name in enumerate(("active", "symp", "legit", "griev")):
            G[name][t] = sums[..., j]
        N = self.nat
        N["tension"][t] = m.tension
        N["kirkuk"][t] = m.kirkuk
        # (the mean as sum / count, what ndarray.mean computes, without its wrapper)
        havens = m.haven_capacity[m.haven]
        N["haven_capacity"][t] = float(havens.sum() / len(havens)) if len(havens) else 0.0
        N["syria_fighters"][t] = float(m.F[:, m.syria].sum())
        N["inflow"][t] = m.m_inflow
        N["us_troops"][t] = m.us_present
        N["support"][t] = m.support
        N["aid"][t] = m.aid_delivered
        N["aid_committed"][t] = m.lev["aid"]
        N["hardliners"][t] = m.hardliners
        N["militia"][t] = m.militia_attacks
        N["leaders"][t] = float(m.m_leader_lost)
        self.filled = t + 1

    def _keys4(self, displaced: np.ndarray) -> np.ndarray:
        """Bins (area x group x 4 sums) of every cohort, kept from month to month: only the
        rows whose (area, group) bin changed are renewed, among the households displaced now
        or at the last record (see ``population.cohort_keys``)."""
        key = cohort_keys(self.m, displaced)
        if self._k4 is None or len(self._k4) != len(key):
            self._k4 = (key * 4)[:, None] + np.arange(4)
            self._key_seen = key.copy()
        else:
            idx = np.concatenate((self._displaced, displaced))
            idx = idx[key[idx] != self._key_seen[idx]]
            if len(idx):
                self._k4[idx] = (key[idx] * 4)[:, None] + np.arange(4)
                self._key_seen[idx] = key[idx]
        self._displaced = displaced
        return self._k4.ravel()

    def _weights4(self) -> np.ndarray:
        """Persons active, sympathising, x legitimacy and x grievance of every cohort,
        interleaved cohort by cohort (built block by block in cache)."""
        m, pop = self.m, self.m.pop
        if self._w4 is None or len(self._w4) != len(pop):
            self._w4 = np.empty((len(pop), 4))
        size = m.sizef
        for s in blocks(len(pop)):
            w = self._w4[s]
            np.multiply(size[s], pop.active[s], out=w[:, 0])
            np.subtract(pop.engaged[s], pop.active[s], out=w[:, 1])
            np.multiply(size[s], w[:, 1], out=w[:, 1])
            np.multiply(size[s], pop.legitimacy[s], out=w[:, 2])
            np.multiply(size[s], m.grievance[s], out=w[:, 3])
        return self._w4.ravel()

    # ------------------------------------------------------------------ tables
    def _aggregate(self, index: np.ndarray, k: int, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Sum area arrays into k units by ``index`` over areas in ``mask`` -> (T, k) arrays."""
        T = self.filled
        M = np.zeros((self.m.n, k))
        M[np.flatnonzero(mask), index[mask]] = 1.0
        out = {name: self.area[name][:T] @ M for name in _AREA_VARS}
        out["weight"] = np.broadcast_to(self.m.control_weight, (T, self.m.n)) @ M
        grp = {name: np.einsum("tag,ak->tkg", self.group[name][:T], M) for name in _GROUP_VARS}
        return self._outcomes(out, grp)

    def _outcomes(
        self, a: dict[str, np.ndarray], g: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            persons = g["persons"].sum(axis=2)
            out = {
                "is_fighters": a["fighters_hold"] + a["fighters_cland"],
                "is_fighters_holding": a["fighters_hold"],
                "is_fighters_clandestine": a["fighters_cland"],
                "is_share": a["control"] / a["weight"],
                "is_held_areas": a["held"],
                "sanctuaries": a["sanctuary"],
                "pop_under_is": a["pop_under_is"],
                "incidents": a["incidents"],
                "civilian_deaths": a["civ"],
                "civilian_deaths_by_government": a["civ_gov"],
                "security_deaths": a["sec"],
                "is_deaths": a["isd"],
                "battle_deaths": a["battle"],
                "recruits": a["recruits"],
                "population": a["population"],
                "idps": a["idps"],
                "returnees": a["returnees"],
                "security_forces": a["security"],
                "legitimacy": g["legit"].sum(axis=2) / persons,
                "grievance": g["griev"].sum(axis=2) / persons,
                "active_share": g["active"].sum(axis=2) / persons,
                "sympathiser_share": g["symp"].sum(axis=2) / persons,
            }
            for j, name in enumerate(GROUPS):
                pj = g["persons"][..., j]
                out[f"legitimacy_{name}"] = np.where(pj > 0, g["legit"][..., j] / pj, np.nan)
                out[f"grievance_{name}"] = np.where(pj > 0, g["griev"][..., j] / pj, np.nan)
                out[f"active_share_{name}"] = np.where(pj > 0, g["active"][..., j] / pj, np.nan)
                out[f"sympathiser_share_{name}"] = np.where(pj > 0, g["symp"][..., j] / pj, np.nan)
        return out

    def national(self) -> dict[str, np.ndarray]:
        """National (Iraq) series, one value per month, every monthly outcome."""
        m = self.m
        nat = {
            k: v[:, 0] for k, v in self._aggregate(np.zeros(m.n, dtype=np.int64), 1, m.iraq).items()
        }
        T = self.filled
        N = {k: v[:T] for k, v in self.nat.items()}
        nat["sectarian_tension"] = N["tension"]
        nat["kirkuk_tension"] = N["kirkuk"]
        nat["haven_capacity"] = N["haven_capacity"]
        nat["syria_is_fighters"] = N["syria_fighters"]
        nat["border_inflow"] = N["inflow"]
        nat["us_troops"] = N["us_troops"]
        nat["coalition_support"] = N["support"]
        nat["aid_delivered"] = N["aid"]
        nat["hardliner_mobilization"] = N["hardliners"]
        nat["militia_attacks"] = N["militia"]
        nat["leadership_losses"] = N["leaders"]
        nat["battle_deaths_12m"] = rules.trailing_year(nat["battle_deaths"])
        nat["stability"] = np.array(
            [
                rules.stability_index(
                    nat["pop_under_is"][t],
                    nat["incidents"][t],
                    nat["legitimacy"][t],
                    N["tension"][t],
                    nat["idps"][t],
                    nat["population"][t],
                    m.p["stability_incident_scale"],
                    m.p["stability_is_scale"],
                    m.p["stability_idp_share"],
                )
                for t in range(T)
            ]
        )
        return nat

    def frames(self, outcomes: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The tidy monthly table and the one-row run summary."""
        m = self.m
        T = self.filled
        cols = [o for o in (outcomes or MONTHLY_NAMES)]
        months = pd.to_datetime([m.month_label(t) + "-01" for t in range(T)])
        parts = []
        nat = self.national()
        if "national" in self.levels:
            parts.append(
                self._frame(months, ["Iraq"], {k: v[:, None] for k, v in nat.items()}, cols)
            )
        if "governorate" in self.levels:
            gov = self._aggregate(m.gov_of, len(m.govs), np.ones(m.n, dtype=bool))
            parts.append(self._frame(months, m.govs, gov, cols, "governorate"))
        if "area" in self.levels:
            area = self._aggregate(np.arange(m.n), m.n, np.ones(m.n, dtype=bool))
            parts.append(self._frame(months, m.area_ids, area, cols, "area"))
        monthly = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        summary = pd.DataFrame([self.summary(nat)])
        # one time unit for dates whether a run has them or not (stored tables must unify)
        for c in ("defeat_month", "resurgence_month", "kirkuk_crisis_month"):
            summary[c] = pd.to_datetime(summary[c]).astype("datetime64[ns]")
        monthly["month"] = monthly["month"].astype("datetime64[ns]")
        return monthly, summary

    def _frame(self, months, units, data, cols, level="national") -> pd.DataFrame:
        k = len(units)
        T = len(months)
        df = {
            "month": np.repeat(months.values, k),
            "level": np.full(T * k, level),
            "unit": np.tile(np.asarray(units, dtype=object), T),
        }
        for c in cols:
            if c in data:
                df[c] = np.asarray(data[c], dtype=float).reshape(T * k)
            elif MONTHLY[c].levels == ("national",):
                df[c] = np.full(T * k, np.nan)
        return pd.DataFrame(df)

    def summary(self, nat: dict[str, np.ndarray] | None = None) -> dict:
        """Run-level outcomes (model.simulation.outcomes.SUMMARY); definitions in docs/ODD.md 7.9."""
        m = self.m
        nat = nat or self.national()
        T = self.filled
        c = rules.conflict_course(
            nat["is_held_areas"],
            nat["battle_deaths_12m"],
            (self.share[:T] >= m.p["resurgence_share"])[:, m.iraq & m.governed].any(axis=1),
            m.p["war_threshold"],
            m.p["conflict_threshold"],
            m.held_at_start,
        )
        last = slice(max(0, T - 24), T)

        def month(t):
            return pd.Timestamp(m.month_label(t) + "-01") if t is not None else pd.NaT

        def months(x):
            return float(x) if x is not None else np.nan

        out = {
            "defeat_month": month(c.defeat),
            "months_to_defeat": months(c.defeat),
            "resurgence": int(c.relapse is not None),
            "resurgence_month": month(c.relapse),
            "conflict_outcome": float(c.outcome),
            "months_at_risk": months(c.at_risk),
            "kirkuk_crisis_month": month(m.kirkuk_crisis_month),
            "cumulative_civilian_deaths": float(nat["civilian_deaths"].sum()),
            "cumulative_security_deaths": float(nat["security_deaths"].sum()),
            "cumulative_deaths": float(nat["civilian_deaths"].sum() + nat["security_deaths"].sum()),
            "cumulative_battle_deaths": float(nat["battle_deaths"].sum()),
            "battle_deaths_final_year": float(nat["battle_deaths_12m"][T - 1]),
            "cumulative_incidents": float(nat["incidents"].sum()),
            "idps_final": float(nat["idps"][T - 1]),
            "is_fighters_final": float(nat["is_fighters"][T - 1]),
            "peak_incidents": float(nat["incidents"].max()),
            "mean_incidents_last24": float(nat["incidents"][last].mean()),
            "mean_stability_last24": float(nat["stability"][last].mean()),
            "mean_legitimacy_sunni_arab_last24": float(nat["legitimacy_sunni_arab"][last].mean()),
            "us_troop_years": float(nat["us_troops"].sum() / 12.0),
            "aid_committed_total": float(self.nat["aid_committed"][:T].sum()),
        }
        assert tuple(out) == SUMMARY_NAMES
        return out
