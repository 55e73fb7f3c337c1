"""A Mesa ``DataCollector``-compatible view of the national monthly table.

Mesa's visualization (``mesa.visualization.make_plot_component``, ``SolaraViz``) and notebook
habits read ``model.datacollector.get_model_vars_dataframe()``: one row per collected step, one
column per model reporter. stabsim records its outcomes in preallocated arrays
(``model.simulation.recording.Recorder``), so this view builds that frame from the recorder on
demand instead of collecting a second copy every month: a run that never asks for it (every
batch) pays nothing.

Rows: the months simulated so far, indexed 0, 1, ... (Mesa's step index); columns: ``month``
(first day of the month) and every national monthly outcome of docs/outputs.md, in its unit.
The population cohorts are NumPy columns, not Mesa agents, so there are no agent records:
``get_agent_vars_dataframe`` returns an empty frame and says so in its docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.simulation.outcomes import MONTHLY, MONTHLY_NAMES

if TYPE_CHECKING:
    from model.simulation.model import StabilizationModel


class NationalDataCollector:
    """Read-only, ``DataCollector``-shaped view of a model's national monthly series.

    Args:
        model: the model whose recorder is read (the view follows it as it steps).
    """

    def __init__(self, model: StabilizationModel) -> None:
        self._model = model
        self._cache: tuple[int, pd.DataFrame] | None = None
        # name -> unit: what each column holds (Mesa keeps reporter functions here)
        self.model_reporters: dict[str, str] = {
            "month": "first day of the month",
            **{name: MONTHLY[name].unit for name in MONTHLY_NAMES},
        }
        self.agent_reporters: dict[str, object] = {}
        self.tables: dict[str, object] = {}

    # ---- Mesa's DataCollector interface -------------------------------------------------------
    def collect(self, model: object = None) -> None:
        """Nothing to do: the model records every month itself (kept for Mesa's interface)."""

    @property
    def model_vars(self) -> dict[str, list]:
        """Reporter name -> list of monthly values, as Mesa's ``DataCollector.model_vars``."""
        frame = self.get_model_vars_dataframe()
        return {c: frame[c].tolist() for c in frame.columns}

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The national series so far: a row per simulated month (index 0, 1, ...), the columns
        ``month`` and every national monthly outcome (a copy; recomputed only after a step)."""
        filled = self._model.recorder.filled
        if self._cache is None or self._cache[0] != filled:
            self._cache = (filled, self._frame(filled))
        return self._cache[1].copy()

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Empty: the population is held as NumPy columns, not as Mesa agents with reporters."""
        return pd.DataFrame()

    def get_agenttype_vars_dataframe(self, agent_type: object = None) -> pd.DataFrame:
        """Empty, as :meth:`get_agent_vars_dataframe`."""
        return pd.DataFrame()

    def get_table_dataframe(self, table_name: str) -> pd.DataFrame:
        """No tables are kept.

        Raises:
            Exception: always, as Mesa does for an unknown table.
        """
        raise Exception(f"table '{table_name}' does not exist; this view keeps no tables")

    # ---- building the frame -------------------------------------------------------------------
    def _frame(self, filled: int) -> pd.DataFrame:
        model = self._model
        if filled == 0:
            return pd.DataFrame(columns=list(self.model_reporters))
        nat = model.recorder.national()
        months = pd.to_datetime([model.month_label(t) + "-01" for t in range(filled)])
        data: dict[str, object] = {"month": months}
        for name in MONTHLY_NAMES:
            if name in nat:
                data[name] = np.asarray(nat[name], dtype=float)[:filled]
        return pd.DataFrame(data)
