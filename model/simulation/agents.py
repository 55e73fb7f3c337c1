"""The model's agents (docs/ODD.md section 2) and their upkeep (section 3, step 10).

Few and heterogeneous agents are Mesa agents living in the cells of the area network:
insurgent units, garrisons and strike groups. The population is many thousands of household
cohorts, stored column-wise in NumPy arrays (``Population``) so that one month updates them all
at once; each row is one population agent. Insurgent units and garrisons mirror the model's
arrays: ``sync_agents`` creates and removes them after the insurgency (section 3, step 10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import CellAgent

from model.simulation.entities import FORCES

HOLDING, CLANDESTINE = 0, 1
MODES = ("holding", "clandestine")
HOME, DISPLACED = 0, 1
SUNNI_ARAB, SHIA_ARAB, KURD, TURKMEN, YAZIDI, CHRISTIAN = range(6)
"""Values of ``Population.group``, in the order of ``model.simulation.outcomes.GROUPS``."""


class InsurgentUnit(CellAgent):
    """IS fighters of one mode in one area: holding territory, or clandestine cells.

    Units in the Syrian areas are the havens' fighters. There is at most one unit per (mode,
    area); its ``fighters`` reads the model's column store (``model.F``), so the agent and the
    vectorized processes never disagree. The model creates a unit when fighters appear in an
    area and removes it when none are left.
    """

    def __init__(self, model, cell, mode: int, area_index: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.mode = mode
        self.area_index = area_index

    @property
    def fighters(self) -> int:
        """Fighters in the unit now."""
        return int(self.model.F[self.mode, self.area_index])

    @property
    def area(self) -> str:
        """The area id of the unit's cell."""
        return self.cell.coordinate


class Garrison(CellAgent):
    """A holding force of one type in one area; ``strength`` (troops) reads ``model.garrison``."""

    def __init__(self, model, cell, force_index: int, area_index: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.force_index = force_index
        self.area_index = area_index

    @property
    def force(self) -> str:
        """The force type (FORCES)."""
        return FORCES[self.force_index]

    @property
    def strength(self) -> float:
        """Troops now."""
        return float(self.model.garrison[self.force_index, self.area_index])


class StrikeGroup(CellAgent):
    """Mobile forces committed to one offensive against an IS-held area.

    Attributes:
        strength: troops per force type (array in the order of FORCES).
        theatre: "iraq" or "syria".
        started: month index when the offensive began.
    """

    def __init__(self, model, cell, strength: np.ndarray, theatre: str, started: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.strength = np.asarray(strength, dtype=float)
        self.theatre = theatre
        self.started = started

    @property
    def area(self) -> str:
        """The target area id."""
        return self.cell.coordinate


@dataclass
class Population:
    """Household cohorts, one row per population agent (column-wise).

    Attributes:
        home: area index of the household's home.
        loc: area index where it is now (home, or its host area while displaced).
        group: identity group index (model.simulation.outcomes.GROUPS).
        size: persons in the cohort (whole persons; falls with deaths and recruitment).
        hardship_base: baseline hardship 0-1.
        risk_aversion: risk aversion 0-1 (Epstein's R).
        legitimacy: perceived legitimacy of the government 0-1.
        active: share of the cohort's persons who are active (0-1).
        engaged: share who sympathise or are active (0-1, at least ``active``).
        status: 0 at home, 1 displaced.
        family: IS-affiliated family.
        under_is: living at home under IS rule.

    The columns are updated in place month by month (copy one to keep a month's values). The
    processes rely on three invariants (``model.simulation.cohorts``): the cohorts keep the
    order they are built in (by home area, then group); a household that is not displaced
    lives in its home area (``loc == home``); only households at home are under IS rule.
    """

    home: np.ndarray
    loc: np.ndarray
    group: np.ndarray
    size: np.ndarray
    hardship_base: np.ndarray
    risk_aversion: np.ndarray
    legitimacy: np.ndarray
    active: np.ndarray
    engaged: np.ndarray
    status: np.ndarray
    family: np.ndarray
    under_is: np.ndarray

    def __len__(self) -> int:
        return len(self.size)

    @property
    def persons(self) -> int:
        """Persons alive and not recruited."""
        return int(self.size.sum())


def sync_agents(model) -> None:
    """Keep the Mesa agents matching the column store: one insurgent unit per (mode, area)
    with fighters, one garrison per (force, area) with troops. Agents read their numbers
    from the arrays, so only appearances and disappearances need work here."""
    if not hasattr(model, "_unit_mask"):
        model._unit_mask = np.zeros(model.F.shape, dtype=bool)
        model._garrison_mask = np.zeros(model.garrison.shape, dtype=bool)
    for present, before, agents, make in (
        (model.F > 0, model._unit_mask, model.units, InsurgentUnit),
        (model.garrison > 0.5, model._garrison_mask, model.garrison_agents, Garrison),
    ):
        if present.tobytes() == before.tobytes():  # (most months: no search, nothing to copy)
            continue
        ks, areas = (present != before).nonzero()  # (np.argwhere's order, without its stack)
        for k, a in zip(ks.tolist(), areas.tolist(), strict=True):
            if present[k, a]:
                agents[(k, a)] = make(model, model.cells[a], k, a)
            else:
                agents.pop((k, a)).remove()
        before[...] = present
