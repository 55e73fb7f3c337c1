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

from model.simulation import rules, tables
from model.simulation.agents import CLANDESTINE, DISPLACED, HOLDING
from model.simulation.cohorts import blocks, cohort_keys, displaced_now, persons_by_home_and_area
from model.simulation.outcomes import GROUPS

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
_SUMS = ("active", "symp", "legit", "griev")  # the persons-weighted sums, in bin order
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
        self._havens = np.flatnonzero(model.haven)  # (fixed for the run)
        self._summed = -1  # (the month whose sums the compiled count made: sums_for)
        self._syria = np.flatnonzero(model.syria)

    def record(self, t: int) -> None:
        """Store month t of the model's state.

        Persons by area and group are those counted after displacement (schedule step 13,
        ``population.count_residents``): nothing moves or dies between that count and here.
        """
        m, pop = self.m, self.m.pop
        n, g = m.n, len(GROUPS)
        A, G = self.area, self.group
        A["fighters_hold"][t] = m.F[HOLDING]
        A["fighters_cland"][t] = m.F[CLANDESTINE]
        held = m.is_share > m.p["retaken_threshold"]
        A["held"][t] = held & m.governed
        A["sanctuary"][t] = held & m.sanctuary
        self.share[t] = m.is_share
        A["control"][t] = m.is_share * m.control_weight
        A["population"][t] = m.persons_home
        kern = m._kernels
        if kern is None:
            under = np.flatnonzero(pop.under_is)
            A["pop_under_is"][t] = np.bincount(pop.loc[under], pop.size[under], n)
            displaced = displaced_now(m)
            A["idps"][t] = np.bincount(pop.home[displaced], pop.size[displaced], n)
            # persons-weighted stance, legitimacy and grievance by (area, group): the four sums
            # in one bincount over interleaved bins, so that consecutive additions go to
            # different bins (each bin still adds its households in cohort order)
            sums = np.bincount(self._keys4(displaced), self._weights4(), 4 * n * g)
            sums = sums.reshape(n, g, 4)
            for j, name in enumerate(_SUMS):
                G[name][t] = sums[..., j]
        elif self._summed != t:  # the same sums in the compiled count's pass, into the records
            persons_by_home_and_area(m, sums=self.sums_for(t))  # (made there in a month)
        A["incidents"][t] = m.m_incidents
        A["civ"][t] = m.m_civ
        A["civ_gov"][t] = m.m_civ_gov
        A["sec"][t] = m.m_sec
        A["isd"][t] = m.m_isd
        A["battle"][t] = m.m_sec + m.m_is_killed + m.m_civ_battle
        A["recruits"][t] = m.m_recruits
        A["returnees"][t] = m.returnees
        A["security"][t] = m.security_raw
        G["persons"][t] = m.persons_area_group
        N = self.nat
        N["tension"][t] = m.tension
        N["kirkuk"][t] = m.kirkuk
        # (the mean as sum / count, what ndarray.mean computes, without its wrapper)
        havens = m.haven_capacity[self._havens]
        N["haven_capacity"][t] = rules.total(havens) / len(havens) if len(havens) else 0.0
        N["syria_fighters"][t] = sum(m.F.take(self._syria, axis=1).ravel().tolist())  # (whole)
        N["inflow"][t] = m.m_inflow
        N["us_troops"][t] = m.us_present
        N["support"][t] = m.support
        N["aid"][t] = m.aid_delivered
        N["aid_committed"][t] = m.lev["aid"]
        N["hardliners"][t] = m.hardliners
        N["militia"][t] = m.militia_attacks
        N["leaders"][t] = float(m.m_leader_lost)
        self.filled = t + 1

    def sums_for(self, t: int) -> tuple:
        """What the compiled count of persons (``population.count_residents``) needs to make
        the recording's sums of month ``t`` in its pass: the columns read and the records
        written (persons active, sympathising, x legitimacy, x grievance by area and group,
        the displaced by home area, the persons under IS rule by area)."""
        m, pop, A = self.m, self.m.pop, self.area
        self._summed = t
        columns = (pop.status, pop.under_is, DISPLACED, pop.active, pop.engaged)
        records = tuple(self.group[name][t].reshape(-1) for name in _SUMS)
        return (
            (*columns, pop.legitimacy, m.grievance),
            (*records, A["idps"][t], A["pop_under_is"][t]),
        )

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
    def national(self) -> dict[str, np.ndarray]:
        """National (Iraq) series, one value per month, every monthly outcome."""
        return tables.national(self)

    def frames(self, outcomes: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The tidy monthly table and the one-row run summary (``model.simulation.tables``)."""
        return tables.frames(self, outcomes)

    def summary(self, nat: dict[str, np.ndarray] | None = None) -> dict:
        """Run-level outcomes (model.simulation.outcomes.SUMMARY); definitions in docs/ODD.md 7.9."""
        return tables.summary(self, nat)
