"""StabilizationModel: Iraq after Mosul (spring 2017), one step per month, in real units.

The class holds the state and the schedule of one month (docs/ODD.md, section 3); each process
lives in its own module, named after its ODD section:
  1. levers and events take this month's values (``levers``, 7.1);
  2. military operations in Iraq and against the Syrian havens (``operations``, 7.2-7.4);
  3. insurgents: attacks, detection, recruitment, havens and the border, movement, seizure
     (``insurgency``, 7.5);
  4. population: hardship, legitimacy, arrest risk, stance (Epstein 2002, in real units)
     (``population``, 7.6);
  5. displacement and return (``displacement``, 7.7);
  6. politics: sectarian tension, the disputed territories (Kirkuk) (``politics``, 7.8);
  7. record the outcomes (``recording``, 7.9).
The state is built by ``initialization`` (section 5). The model reads no files: the initial state
is passed in (``model.data``) and the levers come as monthly arrays
(``model.files.scenario.Scenario.lever_series``).
"""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np

from model.simulation import (
    displacement,
    initialization,
    insurgency,
    kernels,
    operations,
    politics,
    population,
)
from model.simulation import levers as levers_and_events  # `levers` is an argument of __init__
from model.simulation import timeline as scheduled  # `timeline` is an argument of __init__
from model.simulation.agents import DISPLACED, HOME, sync_agents
from model.simulation.months import month_add
from model.simulation.parameters import LEVERS, REGISTRY, defaults
from model.simulation.recording import Recorder


class StabilizationModel(mesa.Model):
    """Iraq after the fall of Mosul: policy levers to stability outcomes.

    Args:
        start: first month, "YYYY-MM".
        horizon: number of monthly steps.
        levers: lever name -> a constant or an array of one value per month (missing levers take
            their registry default).
        initial_state: a ``model.data.InitialState``; None uses the packaged April 2017 data.
        record_levels: levels of the monthly table to record ("national", "governorate", "area").
        timeline: scheduled force strengths, deployments and dated events
            (``model.files.scenario.Scenario.timeline``), or None.
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
        timeline: Mapping[str, object] | None = None,
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
        self.lever_paths = levers_and_events.lever_paths(self, levers or {})
        if initial_state is None:
            from model.data import default_state

            initial_state = default_state()
        self.state = initial_state
        # the month's compiled kernels (numba) or None for NumPy: the same results
        self._kernels = kernels.select()
        initialization.build_space(self)
        initialization.build_forces(self)
        initialization.build_insurgents(self)
        initialization.build_population(self)
        self.tension = float(self.p["tension0"])
        self.kirkuk = float(self.p["kirkuk0"])
        self.kirkuk_crisis_month: int | None = None
        self.leadership = 1.0  # IS attack capacity left after leadership losses (1 = intact)
        self.leaders_lost = 0
        self.m_family_returns = 0
        # the scenario's levers act from the first step on, through the stocks' lags: the
        # state at set-up is the data's, the same for every scenario
        self.lev = {k: float(v[0]) for k, v in self.lever_paths.items()}
        scheduled.prepare(self, timeline)
        levers_and_events.initial_stocks(self)
        self.haven_strength0 = insurgency.haven_strength(self)
        # governed Iraqi areas IS holds at the start (a run with none can record no defeat)
        thr = self.p["retaken_threshold"]
        self.held_at_start = int((self.iraq & self.governed & (self.is_share > thr)).sum())
        population.count_residents(self)
        population.update(self, initial=True)
        self._counted = True  # (residents counted; see step)
        self.recorder = Recorder(self, record_levels)
        self._datacollector = None

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month, in the documented order."""
        if self.t >= self.horizon:
            self.running = False
            return
        levers_and_events.step(self)
        # the month's counters by area (rows of one new block: new arrays every month)
        (
            self.m_incidents,
            self.m_civ,
            self.m_civ_gov,
            self.m_sec,
            self.m_isd,
            self.m_recruits,
            self.m_civ_battle,
            self.m_is_killed,
        ) = np.zeros((8, self.n))
        self.m_inflow = 0
        self.hosts = displacement.host_areas(self)
        # (residents as counted at the end of last month, or at set-up: the levers and events
        # since then move, add or remove nobody, so the count would be the same)
        if not self._counted:
            population.count_residents(self)
        self._counted = False
        operations.step(self)
        insurgency.step(self)
        sync_agents(self)
        population.update(self)
        displacement.step(self)
        # (nothing moves or dies from here to the recording: the count also makes its sums)
        population.count_residents(self, self.recorder.sums_for(self.t))
        self._counted = True
        politics.step(self)
        self.recorder.record(self.t)
        self.t += 1
        if self.t >= self.horizon:
            self.running = False

    def run(self) -> None:
        """Run all months of the horizon."""
        while self.running and self.t < self.horizon:
            self.step()

    # ------------------------------------------------------------------ results
    def month_label(self, t: int) -> str:
        """The "YYYY-MM" label of month index t."""
        return month_add(self.start, t)

    def results(self):
        """The monthly table and the run summary as pandas frames (``Recorder.frames``)."""
        return self.recorder.frames()

    @property
    def datacollector(self):
        """A Mesa ``DataCollector``-compatible view of the national monthly table, built on
        demand from the recorder (``model.simulation.datacollector``; nothing extra is collected
        while the model runs)."""
        if self._datacollector is None:
            from model.simulation.datacollector import NationalDataCollector

            self._datacollector = NationalDataCollector(self)
        return self._datacollector

    def summary(self) -> dict:
        """The run summary as a dict."""
        return self.recorder.summary()

    def accounting(self) -> dict[str, int]:
        """Persons now at home, displaced, recruited and killed (they sum to the initial plus
        those born)."""
        pop = self.pop
        return {
            "initial": self.initial_persons,
            "born": int(self.born),
            "home": int(pop.size[pop.status == HOME].sum()),
            "displaced": int(pop.size[pop.status == DISPLACED].sum()),
            "recruited": int(self.recruited),
            "killed": int(self.killed),
        }
