"""What the app does, without the browser: edit a scenario, run it month by month, run
replicates in the background, save the edits as a scenario file.

Everything here is plain Python (no Solara), so tests and notebooks use it directly:

- :class:`Edits`: a base scenario and the user's changes (levers, seed, horizon); the edited
  scenario is ``base.with_changes(...)``, exactly what a scenario file that ``extends`` the base
  and sets the same levers loads as, and :meth:`Edits.save` writes that file.
- :class:`ScenarioModel`: the model built from a scenario; its constructor takes keyword
  arguments (``scenario``, ``seed``), as Mesa's SolaraViz controls expect when they re-create a
  model on Reset. Its seed is that of replicate 0 under the scenario's master seed, so the live
  run is replicate 0 of ``stabsim run`` on the saved file.
- :class:`Replicates`: the base and the edited scenario as a two-scenario batch, run in a
  background thread into a batch folder (streamed to disk, common random numbers), with its
  progress read from the folder: replicates with the parameters held at their values, or a
  small parameter ensemble (D draws x R replicates, paired: draw d has the same values and the
  same random streams in both scenarios).
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from model.experiments.run import initial_state_for, model_arguments, replicate_seed
from model.files.errors import ConfigError
from model.files.scenario import Scenario, load_scenario
from model.files.schedules import Schedule
from model.simulation.model import StabilizationModel
from model.simulation.parameters import LEVERS, REGISTRY

CHART_OUTCOMES: tuple[str, ...] = (
    "pop_under_is",
    "incidents",
    "civilian_deaths",
    "security_deaths",
    "idps",
    "stability",
)
"""The national series the live charts show."""

MAX_RUNS = 500
"""Runs per scenario the app starts at most (replicates, or draws x replicates)."""
DEFAULT_DRAWS = 8
"""Parameter draws of the app's small ensemble unless the user picks another number."""
MAX_DRAWS = 50
"""The most parameter draws the app runs (a larger ensemble belongs in a batch file)."""
COVERS = {
    "replicates": "replicates only; parameters held at their values",
    "ensemble": "parameter draws and replicates",
}
"""What the bands and paired differences of each kind of background run cover."""


def scenario_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The scenario files of a folder (``*.yaml`` without a top-level ``batch:`` key), sorted."""
    out = []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and "batch" not in data and "name" in data:
            out.append(path)
    return out


# ---- edits -------------------------------------------------------------------------------------

LeverValue = float | list[tuple[str, float]]
"""A lever as the app edits it: a constant, or dated points ``[("YYYY-MM", value), ...]``."""


@dataclass
class Edits:
    """A base scenario (loaded from a file) and the changes made to it in the app.

    Attributes:
        base: the scenario the app started from (its ``path`` is set).
        levers: lever name -> a constant or dated points, for the levers changed.
        seed: the master seed (None: the base's).
        horizon: months to simulate (None: the base's).
    """

    base: Scenario
    levers: dict[str, LeverValue] = field(default_factory=dict)
    seed: int | None = None
    horizon: int | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Edits:
        """Edits of the scenario file ``path`` (none yet).

        Raises:
            ConfigError: the file is not a valid scenario.
        """
        return cls(load_scenario(path))

    def schedule(self, name: str) -> Schedule:
        """The lever's schedule in the edited scenario (the registry default if none is set)."""
        return self.scenario().levers.get(name) or Schedule.constant(REGISTRY[name].default)

    def points(self, name: str) -> list[tuple[str, float]]:
        """The lever's dated points (a constant is one point at the start month)."""
        sched = self.schedule(name)
        if sched.is_constant:
            return [(self.scenario().start, sched.points[0][1])]
        return [(m, v) for m, v in sched.points]

    def set_lever(self, name: str, value: LeverValue) -> Edits:
        """A copy with a lever set to a constant or to dated points (checked: ConfigError)."""
        if name not in LEVERS:
            raise ConfigError(f"unknown lever '{name}'", key="levers", allowed=", ".join(LEVERS))
        if isinstance(value, list | tuple) and len(value) == 1:
            (month, v), start = value[0], self.scenario().start
            if month <= start:
                value = float(v)
        edited = replace(self, levers={**self.levers, name: value})
        edited.scenario()  # validate now, not when the run starts
        return edited

    def with_run(self, seed: int | None = None, horizon: int | None = None) -> Edits:
        """A copy with another master seed and/or horizon."""
        return replace(
            self,
            seed=self.seed if seed is None else int(seed),
            horizon=self.horizon if horizon is None else int(horizon),
        )

    def _lever_yaml(self, name: str) -> Any:
        value = self.levers[name]
        integer = REGISTRY[name].integer
        conv = (lambda v: int(round(v))) if integer else float
        if isinstance(value, list | tuple):
            return [{"from": m, "value": conv(v)} for m, v in value]
        return conv(value)

    def scenario(self, name: str | None = None) -> Scenario:
        """The edited scenario (validated; ConfigError names the lever that is wrong)."""
        changes: dict[str, Any] = {}
        if self.levers:
            changes["levers"] = {k: self._lever_yaml(k) for k in self.levers}
        if self.seed is not None:
            changes["seed"] = self.seed
        if self.horizon is not None:
            changes["horizon"] = self.horizon
        if name is not None:
            changes["name"] = name
        return self.base.with_changes(**changes) if changes else self.base

    @property
    def changed(self) -> bool:
        """Whether anything differs from the base."""
        return bool(self.levers) or self.seed is not None or self.horizon is not None

    def yaml_text(self, name: str, folder: str | os.PathLike[str], description: str = "") -> str:
        """The scenario file that extends the base with these edits, to be saved in ``folder``."""
        if self.base.path is None:
            raise ConfigError("the scenario was not loaded from a file, so nothing to extend")
        base = Path(self.base.path).resolve()
        rel = Path(os.path.relpath(base, Path(folder).resolve())).as_posix()
        data: dict[str, Any] = {
            "name": name,
            "description": description
            or f"{self.base.name} with changes made in the stabsim app "
            f"({_dt.date.today().isoformat()}).",
            "extends": rel,
        }
        if self.seed is not None:
            data["seed"] = self.seed
        if self.horizon is not None:
            data["horizon"] = self.horizon
        if self.levers:
            data["levers"] = {k: self._lever_yaml(k) for k in self.levers}
        head = "# Saved from the stabsim app: the scenario it started from, with these changes.\n"
        return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    def save(self, path: str | os.PathLike[str], name: str | None = None) -> Scenario:
        """Write the edits as a scenario file that extends the base; return it loaded back.

        Raises:
            ConfigError: a bad name, an existing file, or a file that does not load back equal
                (nothing is left behind then).
        """
        path = Path(path)
        name = name or path.stem
        if path.suffix not in (".yaml", ".yml"):
            raise ConfigError(f"{path}: a scenario file ends in .yaml", key="file")
        if path.exists():
            raise ConfigError(f"{path} exists; choose another name", key="file")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.yaml_text(name, path.parent), encoding="utf-8")
        try:
            loaded = load_scenario(tmp).to_dict(full=True)
            expected = self.scenario(name).to_dict(full=True)
            if {**loaded, "description": ""} != {**expected, "description": ""}:
                raise ConfigError(f"{path}: the saved file does not load back as the edits")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return load_scenario(path)


# ---- one run, month by month ------------------------------------------------------------------


class ScenarioModel(StabilizationModel):
    """The model of a scenario, built from keyword arguments (Mesa's SolaraViz re-creates a
    model on Reset as ``type(model)(**model_parameters)``).

    Args:
        scenario: the (edited) scenario.
        seed: the model seed; None: replicate 0's under the scenario's master seed, so the run
            equals replicate 0 of ``stabsim run``.
    """

    def __init__(self, *, scenario: Scenario, seed: int | None = None) -> None:
        model_seed = replicate_seed(scenario.seed, 0) if seed is None else int(seed)
        super().__init__(**model_arguments(scenario, model_seed, initial_state_for(scenario)))
        self.scenario = scenario

    @property
    def month(self) -> str:
        """The last month simulated, ``YYYY-MM`` (the month before the start if none yet)."""
        return self.month_label(self.t - 1)

    def national(self) -> pd.DataFrame:
        """The national monthly series so far (``model.datacollector``'s frame)."""
        return self.datacollector.get_model_vars_dataframe()

    def areas(self) -> pd.DataFrame:
        """A row per area: ``id``, ``name``, ``governorate``, ``country``, ``lon``, ``lat``, ``is_share``
        (share of the area's territory IS holds) and ``incidents`` in the last month."""
        a = self.state.areas
        incidents = getattr(self, "m_incidents", None)
        return pd.DataFrame(
            {
                "id": list(self.area_ids),
                "name": a["name"].to_numpy(),
                "governorate": a["governorate"].to_numpy(),
                "country": a["country"].to_numpy(),
                "lon": a["lon"].to_numpy(dtype=float),
                "lat": a["lat"].to_numpy(dtype=float),
                "is_share": np.asarray(self.is_share, dtype=float),
                "incidents": np.zeros(self.n) if incidents is None else np.asarray(incidents),
            }
        )


# ---- replicates in the background -------------------------------------------------------------


class Replicates:
    """The base and the edited scenario run as a two-scenario batch in a background thread.

    Both get the same master seed, so run k of each shares its random streams (common random
    numbers) and the paired differences measure the edits. With ``draws`` the batch is a small
    parameter ensemble (``model.experiments.ensemble``): the scenario's own ``uncertainty:`` if
    it has one, else the registry's uncertain parameters, with ``draws`` draws; run
    ``k = d * replicates + r`` is replicate r of draw d, with the same drawn values and the same
    seed in both scenarios. Without ``draws`` every parameter stays at its value (an
    ``uncertainty:`` of the scenario is set aside). Results stream into the batch folder as runs
    finish; :meth:`progress` reads it.

    Args:
        edits: the edits (the base is run too, as the reference).
        replicates: runs per scenario (per draw, with an ensemble).
        runs_dir: where the batch folder goes.
        workers: worker processes (default: up to 2).
        draws: parameter draws (0: none, replicates only; else 2 to ``MAX_DRAWS``).

    Raises:
        ConfigError: replicates or draws out of range, more than ``MAX_RUNS`` runs per
            scenario, or a scenario ``uncertainty:`` that cannot be drawn.
    """

    def __init__(
        self,
        edits: Edits,
        replicates: int,
        runs_dir: str | os.PathLike[str] = "runs",
        workers: int | None = None,
        draws: int = 0,
    ) -> None:
        from model.experiments.ensemble import batch_uncertainty, with_draws
        from model.experiments.screening import screened_ensemble
        from model.files.batch import Batch

        replicates, draws = int(replicates), int(draws)
        if not 1 <= replicates <= MAX_RUNS:
            raise ConfigError(
                f"replicates {replicates}", key="replicates", allowed=f"1 - {MAX_RUNS}"
            )
        if draws and not 2 <= draws <= MAX_DRAWS:
            raise ConfigError(
                f"parameter draws {draws}",
                key="draws",
                allowed=f"2 - {MAX_DRAWS} (more in a batch file: docs/compare.md)",
            )
        if draws * replicates > MAX_RUNS:
            raise ConfigError(
                f"{draws} draws x {replicates} replicates = {draws * replicates} runs per scenario",
                key="draws",
                allowed=f"at most {MAX_RUNS} runs per scenario: fewer draws or replicates",
            )
        base = edits.with_run(seed=edits.seed, horizon=edits.horizon)
        reference = replace(base, levers={}).scenario(edits.base.name)
        edited = base.scenario("edited" if edits.base.name != "edited" else "edited_2")
        self.reference, self.edited = reference.name, edited.name
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.folder = Path(runs_dir) / f"app-{stamp}"
        batch = Batch(
            name="app",
            description=f"{reference.name} and its edited copy, run from the stabsim app",
            seed=edited.seed,
            replicates=replicates,
            scenarios=(
                reference.with_changes(replicates=replicates),
                edited.with_changes(replicates=replicates),
            ),
        )
        own = batch_uncertainty(batch)
        if own is not None:
            batch = replace(batch, uncertainty=_in_scope(own, reference.name, edited.name))
        self.kind = "ensemble" if draws else "replicates"
        self.source = ensemble_source(edits)
        self.batch = with_draws(batch, draws)
        self.ensemble = screened_ensemble(self.batch, progress=False)
        self.draws, self.replicates = draws, replicates
        self.total = 2 * replicates * max(draws, 1)
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def covers(self) -> str:
        """What the bands and paired differences cover, e.g. ``parameter draws and replicates``."""
        return COVERS[self.kind]

    def caption(self) -> str:
        """The sentences shown with the charts: what the runs, and so the bands, cover, and how
        the runs pair."""
        per = self.total // 2
        if self.ensemble is None:
            return (
                f"The runs span {self.covers}: {per} replicate{'s' if per > 1 else ''} per "
                "scenario. The fan charts' bands show chance alone; each paired difference "
                "compares replicate r of the edited scenario with replicate r of the base (the "
                "same random streams)."
            )
        return (
            f"The runs span {self.covers}: {self.ensemble.describe(screen=False)} ({self.source}"
            f"{'; ' + self.ensemble.screen_text() if self.ensemble.screen else ''}) x "
            f"{self.replicates} replicate{'s' if self.replicates > 1 else ''} = {per} runs per "
            "scenario. The fan charts' bands cover both; each paired difference compares run k "
            "of the edited scenario with run k of the base (the same drawn values and the same "
            "random streams)."
        )

    def start(self) -> Replicates:
        """Start the runs in a background thread; return self."""

        def work() -> None:
            from model.experiments.batches import run_batch

            try:
                run_batch(
                    self.batch,
                    out=self.folder,
                    executor="process" if self.workers > 1 else "serial",
                    workers=self.workers,
                    progress=False,
                )
            except Exception as exc:  # noqa: BLE001 - shown in the app, not raised in a thread
                self.error = f"{type(exc).__name__}: {exc}"

        self._thread = threading.Thread(target=work, name="stabsim-replicates", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the runs are still going."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the runs to finish."""
        if self._thread is not None:
            self._thread.join(timeout)

    def progress(self) -> int:
        """Runs finished so far (read from the batch folder)."""
        folder = self.folder / "summary"
        return len(list(folder.glob("*/*.parquet"))) if folder.exists() else 0

    def results(self):
        """The stored results (``BatchResults``), once the runs are done."""
        from model.experiments.results import open_batch

        return open_batch(self.folder)


def ensemble_source(edits: Edits) -> str:
    """Which parameters the app's ensemble draws for these edits: the scenario's own
    ``uncertainty:``, else the registry's uncertain parameters."""
    if edits.base.uncertainty is not None:
        return "the scenario's own uncertainty:"
    return "the registry's uncertain parameters"


def _in_scope(written: Any, base: str, edited: str) -> dict[str, Any]:
    """A scenario's ``uncertainty:`` with the edited copy in scope wherever the base is: a
    lever-schedule variable scoped to the base scenario changes its edited copy too (else the
    pair would differ in more than the edits)."""
    from model.files.frozen import thaw

    out = thaw(written)
    for step in (out.get("schedules") or {}).values():
        scope = step.get("scenarios") if isinstance(step, dict) else None
        scope = [scope] if isinstance(scope, str) else scope
        if isinstance(scope, list) and base in scope and edited not in scope:
            step["scenarios"] = [*scope, edited]
    return out
