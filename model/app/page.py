"""The Solara page of the stabsim explorer (``stabsim app``; ``solara run model.app.page``).

Three tabs:

- **Run**: one run of the edited scenario, month by month, with Mesa's SolaraViz controls
  (Reset, play/pause, Step; ``mesa.visualization.solara_viz.ModelController``), a month counter,
  the map of the areas and live national charts. The sidebar picks the scenario, edits its levers
  (a slider for a constant, a table of dated points for a schedule), the seed and the horizon,
  and saves the edits as a scenario file. A change of a lever restarts the run.
- **Replicates & ensembles**: N replicates of the base and of the edited scenario (parameters
  held at their values), or a small ensemble (D parameter draws x R replicates), in the
  background, with progress; fan charts and paired differences (same seeds and draws) when done,
  captioned with what the bands cover.
- **Batch**: a stored batch folder's comparison views (fan charts, paired differences, the map,
  the summary table).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from model.app import charts
from model.app.session import (
    CHART_OUTCOMES,
    COVERS,
    DEFAULT_DRAWS,
    MAX_DRAWS,
    Edits,
    Replicates,
    ScenarioModel,
    ensemble_source,
    scenario_files,
)
from model.files.errors import ConfigError
from model.simulation.parameters import LEVERS, REGISTRY

ROOT = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("STABSIM_APP_TARGET") or ""
SCENARIOS = Path(os.environ.get("STABSIM_APP_SCENARIOS") or (ROOT / "scenarios"))
RUNS = Path(os.environ.get("STABSIM_APP_RUNS") or "runs")


@solara.component
def Note(text: str, bold: bool = False, size: int = 14) -> None:
    """Plain text (solara.Markdown would load KaTeX from the CDN path, which is not shipped)."""
    weight = "bold" if bold else "normal"
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(text),
        style={"font-size": f"{size}px", "font-weight": weight, "margin": "4px 0"},
    )


def _start_file() -> Path:
    if TARGET and Path(TARGET).is_file():
        return Path(TARGET)
    return SCENARIOS / "baseline_historical.yaml"


def _start_batch() -> str:
    return TARGET if TARGET and Path(TARGET).is_dir() else ""


# ---- the sidebar: scenario, levers, seed, save ---------------------------------------------------


@solara.component
def ScenarioPicker(path: solara.Reactive[str], on_load) -> None:
    """A scenario from ``scenarios/`` or any file."""
    files = [str(p) for p in scenario_files(SCENARIOS)]
    if path.value not in files:
        files.append(path.value)
    names = {f: Path(f).name for f in files}
    other = solara.use_reactive("")
    problem = solara.use_reactive("")

    def choose(value: str) -> None:
        try:
            on_load(Edits.load(value))
            path.set(value)
            problem.set("")
        except ConfigError as exc:
            problem.set(str(exc))

    solara.Select(
        label="scenario",
        value=names[path.value],
        values=list(names.values()),
        on_value=lambda name: choose(next(f for f, n in names.items() if n == name)),
    )
    with solara.Row():
        solara.InputText("or a file", value=other, continuous_update=False)
        solara.Button("open", on_click=lambda: choose(other.value), disabled=not other.value)
    if problem.value:
        solara.Error(problem.value, dense=True)


@solara.component
def LeverEditor(name: str, edits: Edits, on_edits) -> None:
    """One lever: a slider for a constant, a table of dated points for a schedule."""
    p = REGISTRY[name]
    points = edits.points(name)
    problem = solara.use_reactive("")
    start = edits.scenario().start

    def apply(value) -> None:
        try:
            on_edits(edits.set_lever(name, value))
            problem.set("")
        except ConfigError as exc:
            problem.set(str(exc))

    label = f"{name} ({p.unit})"
    constant = len(points) == 1 and points[0][0] <= start
    with solara.Column(gap="2px", style={"margin-bottom": "6px"}):
        if constant:
            value = points[0][1]
            if p.integer:
                solara.SliderInt(
                    f"{label}: {value:,.0f}",
                    value=int(value),
                    min=int(p.low),
                    max=int(p.high),
                    step=max(1, int((p.high - p.low) // 100)),
                    on_value=lambda v: apply(float(v)),
                    thumb_label=True,
                )
            else:
                solara.SliderFloat(
                    f"{label}: {value:g}",
                    value=float(value),
                    min=float(p.low),
                    max=float(p.high),
                    step=(p.high - p.low) / 100,
                    on_value=apply,
                    thumb_label=True,
                )
            solara.Button(
                "make it a schedule",
                text=True,
                small=True,
                on_click=lambda: apply([(start, points[0][1]), (_later(start), points[0][1])]),
            )
        else:
            solara.Text(f"{label}: value from each month on")
            for i, (month, value) in enumerate(points):
                with solara.Row(gap="4px"):

                    def set_month(m: str, i: int = i) -> None:
                        apply([(m if j == i else pm, pv) for j, (pm, pv) in enumerate(points)])

                    def set_value(v: float, i: int = i) -> None:
                        apply([(pm, v if j == i else pv) for j, (pm, pv) in enumerate(points)])

                    solara.InputText(
                        "from (YYYY-MM)",
                        value=month,
                        on_value=set_month,
                        continuous_update=False,
                        style={"max-width": "110px"},
                    )
                    solara.InputFloat(
                        p.unit,
                        value=value,
                        on_value=set_value,
                        continuous_update=False,
                        style={"max-width": "120px"},
                    )
                    solara.Button(
                        "x",
                        text=True,
                        small=True,
                        on_click=lambda i=i: apply([pt for j, pt in enumerate(points) if j != i]),
                        disabled=len(points) == 1,
                    )
            solara.Button(
                "add a point",
                text=True,
                small=True,
                on_click=lambda: apply([*points, (_later(points[-1][0]), points[-1][1])]),
            )
        if problem.value:
            solara.Error(problem.value, dense=True)


def _later(month: str, months: int = 12) -> str:
    year, mon = int(month[:4]), int(month[5:7]) + months
    return f"{year + (mon - 1) // 12:04d}-{(mon - 1) % 12 + 1:02d}"


@solara.component
def SaveScenario(edits: Edits) -> None:
    """Save the edits as a scenario file that extends the one the app started from."""
    base = Path(edits.base.path or SCENARIOS / "x.yaml")
    default = str(base.with_name(f"{edits.base.name}_edited.yaml"))
    path = solara.use_reactive(default)
    message = solara.use_reactive(("", ""))

    def save() -> None:
        try:
            scenario = edits.save(path.value)
            message.set(("ok", f"saved {path.value}: run it with `stabsim run {path.value}`"))
            del scenario
        except ConfigError as exc:
            message.set(("error", str(exc)))

    solara.InputText("file", value=path, continuous_update=True)
    solara.Button("save as scenario", on_click=save, color="primary", outlined=True)
    kind, text = message.value
    if kind == "ok":
        solara.Success(text, dense=True)
    elif kind == "error":
        solara.Error(text, dense=True)


# ---- the run tab ----------------------------------------------------------------------------------


@solara.component
def MonthCounter(model: ScenarioModel) -> None:
    """Which month the run has reached."""
    update_counter.get()
    done = model.t
    text = (
        f"Month {done} of {model.horizon}: {model.month}"
        if done
        else f"Month 0 of {model.horizon}: set up, {model.start} not yet simulated"
    )
    Note(text, bold=True, size=16)


@solara.component
def LiveMap(model: ScenarioModel) -> None:
    """The map of the areas at the last month simulated."""
    update_counter.get()
    month = model.month if model.t else f"{model.start} (initial state)"
    solara.FigureMatplotlib(charts.run_map(model.areas(), month), format="png", dpi=90)


@solara.component
def LiveCharts(model: ScenarioModel) -> None:
    """The national charts of the run so far."""
    update_counter.get()
    fig = charts.live_charts(model.national(), model.start, model.horizon)
    solara.FigureMatplotlib(fig, format="png", dpi=85)


@solara.component
def RunTab(model: solara.Reactive[ScenarioModel], params: solara.Reactive[dict]) -> None:
    """Step, play and reset one run; its month, map and charts."""
    play_interval = solara.use_reactive(300)
    render_interval = solara.use_reactive(1)
    threads = solara.use_reactive(False)
    with solara.Row(style={"align-items": "center"}):
        with solara.Card(style={"min-width": "260px"}):
            ModelController(
                model,
                model_parameters=params,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=threads,
            ).key(f"controller-{id(model.value)}")
        MonthCounter(model.value)
    with solara.Column(style={"max-width": "1100px"}):
        LiveMap(model.value)
        LiveCharts(model.value)


# ---- the replicates tab ------------------------------------------------------------------------


MODES = {
    "replicates": "replicates: parameters held at their values",
    "ensemble": "small ensemble: parameter draws x replicates",
}


@solara.component
def ReplicatesTab(edits: Edits) -> None:
    """Replicates or a small parameter ensemble of the base and the edited scenario, in the
    background, with fan charts and paired differences."""
    mode = solara.use_reactive(MODES["replicates"])
    n = solara.use_reactive(10)
    draws = solara.use_reactive(DEFAULT_DRAWS)
    per_draw = solara.use_reactive(2)
    job = solara.use_reactive(None)
    done = solara.use_reactive(0)
    problem = solara.use_reactive("")
    ensemble = mode.value == MODES["ensemble"]

    def start() -> None:
        try:
            if ensemble:
                new = Replicates(edits, per_draw.value, runs_dir=RUNS, draws=draws.value)
            else:
                new = Replicates(edits, n.value, runs_dir=RUNS)
            job.set(new.start())
            done.set(0)
            problem.set("")
        except ConfigError as exc:
            problem.set(str(exc))

    def watch() -> None:
        import time

        current = job.value
        while current is not None and current.running:
            time.sleep(0.5)
            done.set(current.progress())
        if current is not None:
            done.set(current.progress())

    solara.lab.use_task(watch, dependencies=[job.value], prefer_threaded=True)
    Note(
        "Runs the scenario the app started from and the edited one as one batch under runs/, "
        "paired: run k of both has the same random streams (and, in an ensemble, the same "
        "parameter values), so the paired differences measure the edits."
    )
    solara.ToggleButtonsSingle(value=mode, values=list(MODES.values()))
    if ensemble:
        Note(
            f"D sets of values of the uncertain parameters ({ensemble_source(edits)}; "
            "docs/compare.md) are drawn from their ranges, and each set is run R times in both "
            f"scenarios. The bands cover {COVERS['ensemble']}."
        )
    else:
        Note(
            f"The bands cover {COVERS['replicates']} (the scenario's), so they show chance "
            "between runs alone."
        )
    with solara.Row(style={"align-items": "center"}):
        if ensemble:
            # keyed: an input in another mode's place would keep the other's text
            solara.InputInt(
                f"parameter draws D (2-{MAX_DRAWS})", value=draws, style={"max-width": "200px"}
            ).key("draws")
            solara.InputInt(
                "replicates per draw R", value=per_draw, style={"max-width": "200px"}
            ).key("per-draw")
        else:
            solara.InputInt("replicates per scenario", value=n, style={"max-width": "200px"}).key(
                "replicates"
            )
        solara.Button(
            "run ensemble" if ensemble else "run replicates",
            on_click=start,
            color="primary",
            disabled=job.value is not None and job.value.running,
        )
    if problem.value:
        solara.Error(problem.value)
    current = job.value
    if current is None:
        return
    solara.ProgressLinear(100 * done.value / current.total)
    solara.Text(f"{done.value} of {current.total} runs done, stored in {current.folder}")
    if current.error:
        solara.Error(current.error)
    elif not current.running and done.value == current.total:
        BatchViews(str(current.folder), reference=current.reference, caption=current.caption())


# ---- the batch tab -----------------------------------------------------------------------------


@solara.component
def BatchViews(folder: str, reference: str | None = None, caption: str = "") -> None:
    """The comparison views of a stored batch (``caption``: what its runs cover)."""
    from model.analysis import compare as C

    res = solara.use_memo(lambda: C.open_results(folder), [folder])
    outcomes = [o for o in CHART_OUTCOMES if o in C.DEFAULT_OUTCOMES or o != "security_deaths"]
    scenarios = list(res.scenarios)
    ref = solara.use_reactive(reference or scenarios[0])
    view = solara.use_reactive("fan charts")
    views = ["fan charts", "paired differences", "map", "summary table"]
    with solara.Row():
        solara.ToggleButtonsSingle(value=view, values=views)
        if len(scenarios) > 1:
            solara.Select("reference", value=ref, values=scenarios, style={"max-width": "260px"})
    if caption:
        Note(caption, bold=True)
    if view.value == "fan charts":
        fig = C.fan_grid(res, outcomes, ncols=3)
    elif view.value == "paired differences":
        if len(scenarios) < 2:
            solara.Info("One scenario only: no differences to show.")
            return
        fig = C.difference_chart(res, reference=ref.value, outcomes=outcomes, ncols=3)
    elif view.value == "map":
        fig = C.network_map(res)
    else:
        from model.analysis.compare.display import summary_display

        table = summary_display(C.summary_table(res)).rename_axis("run-level outcome")
        Note("Median over runs, with the 5%-95% range in brackets; dates as YYYY-MM.")
        solara.DataFrame(table.reset_index(), items_per_page=len(table))
        return
    solara.FigureMatplotlib(fig, format="png", dpi=80)


@solara.component
def BatchTab() -> None:
    """Open a stored batch folder and browse its comparison views."""
    folder = solara.use_reactive(_start_batch())
    opened = solara.use_reactive(_start_batch())
    problem = solara.use_reactive("")

    def open_folder() -> None:
        from model.analysis.compare import open_results

        try:
            open_results(folder.value)
            opened.set(folder.value)
            problem.set("")
        except ConfigError as exc:
            problem.set(str(exc))

    with solara.Row(style={"align-items": "center"}):
        solara.InputText("batch folder (runs/<batch-id>)", value=folder, style={"width": "480px"})
        solara.Button("open", on_click=open_folder, color="primary")
    if problem.value:
        solara.Error(problem.value)
    if opened.value:
        BatchViews(opened.value)


# ---- the page --------------------------------------------------------------------------------


@solara.component
def Page() -> None:
    """The explorer."""
    first = solara.use_memo(lambda: Edits.load(_start_file()), [])
    path = solara.use_reactive(str(_start_file()))
    edits = solara.use_reactive(first)
    params = solara.use_reactive({"scenario": first.scenario()})
    model = solara.use_reactive(solara.use_memo(lambda: ScenarioModel(scenario=first.scenario())))
    tab = solara.use_reactive(1 if _start_batch() else 0)

    def set_edits(new: Edits) -> None:
        scenario = new.scenario()
        edits.set(new)
        params.set({"scenario": scenario})
        model.set(ScenarioModel(scenario=scenario))

    solara.Title("stabsim explorer")
    with solara.AppBar():
        solara.AppBarTitle(f"stabsim explorer: {edits.value.base.name}")
    with solara.Sidebar():
        with solara.Card("Scenario"):
            ScenarioPicker(path, set_edits)
            with solara.Row():
                solara.InputInt(
                    "seed",
                    value=edits.value.scenario().seed,
                    on_value=lambda v: set_edits(edits.value.with_run(seed=v)),
                    continuous_update=False,
                )
                solara.InputInt(
                    "horizon (months)",
                    value=edits.value.scenario().horizon,
                    on_value=lambda v: set_edits(edits.value.with_run(horizon=max(1, v))),
                    continuous_update=False,
                )
        with solara.Card("Levers"):
            for name in LEVERS:
                LeverEditor(name, edits.value, set_edits).key(f"lever-{name}")
        with solara.Card("Save"):
            SaveScenario(edits.value)
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab("Run"):
            RunTab(model, params)
        with solara.lab.Tab("Replicates & ensembles"):
            ReplicatesTab(edits.value)
        with solara.lab.Tab("Batch"):
            BatchTab()
