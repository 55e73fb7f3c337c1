"""Validation against the historical record: score a scenario's replicates on the targets, and
show the result (text, Markdown, figure, the generated part of docs/validation.md).

Targets are data (``seeds/targets.yaml``; format in docs/validation.md; ``model.files.targets``).
Measurement and scoring are in ``model.experiments.scoring``, calibration in
``model.analysis.calibration``. The runs go through
``model.experiments.executors.map_runs``; no Mesa here.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments.scoring import evaluate, prepare
from model.files.months import month_index, month_str
from model.files.targets import BASE_RATE_LEAD_MONTHS, Target


def validate(
    scenario,
    targets: Sequence[Target],
    replicates: int | None = None,
    workers: int = 1,
    progress: bool = True,
    draws: int | None = None,
) -> pd.DataFrame:
    """Run a scenario's replicates (seeds from its master seed) and score the targets that
    apply to it (``Target.applies_to``: those of its start month, and those without one).

    Plausibility targets (base rates, ``use: plausibility``) are scored on the scenario's
    parameter ensemble instead: ``draws`` runs (default: the target's ``draws``; 0 leaves them
    out), each one parameter draw and one random stream, see :func:`ensemble_runs`.
    """
    return validate_runs(scenario, targets, replicates, workers, progress, draws)[0]


def validate_runs(
    scenario,
    targets: Sequence[Target],
    replicates: int | None = None,
    workers: int = 1,
    progress: bool = True,
    draws: int | None = None,
) -> tuple[pd.DataFrame, list[tuple[pd.DataFrame, pd.Series]]]:
    """As :func:`validate`, also returning the replicates' (monthly, summary) tables for
    figures (the runs scored against the record; base-rate ensembles are not returned)."""
    from model.experiments.executors import map_runs
    from model.experiments.run import replicate_seed

    targets = [t for t in targets if t.applies_to(scenario)]
    if not targets:
        from model.files.errors import ConfigError

        raise ConfigError(
            f"no target scores runs starting {scenario.start}",
            key="targets",
            allowed="targets whose start is the scenario's start month (seeds/targets.yaml)",
        )
    record = [t for t in targets if t.use != "plausibility"]
    rates = [t for t in targets if t.use == "plausibility"]
    tables = []
    runs: list[tuple[pd.DataFrame, pd.Series]] = []
    if record:
        sc = prepare(scenario, record)
        seeds = [replicate_seed(sc.seed, r) for r in range(replicates or scenario.replicates)]
        outputs = map_runs([(sc, seed) for seed in seeds], workers, progress, sc.name)
        runs = [(monthly, summary.iloc[0]) for monthly, summary in outputs]
        tables.append(evaluate(record, runs))
    for t in rates:
        n = t.draws if draws is None else draws
        if n <= 0:
            continue
        tables.append(
            evaluate(
                [t], ensemble_runs(scenario, n, t.within + BASE_RATE_LEAD_MONTHS, workers, progress)
            )
        )
    return (pd.concat(tables, ignore_index=True) if tables else evaluate([], [])), runs


def ensemble_runs(scenario, draws: int, horizon: int, workers: int = 1, progress: bool = True):
    """``draws`` runs of a scenario over its parameter ensemble: its ``uncertainty:`` (or the
    registry's uncertain parameters), draw d with the seed of replicate d, to ``horizon``
    months; yields (monthly national table, summary row)."""
    from model.experiments.batches import scenario_batch
    from model.experiments.ensemble import with_draws
    from model.experiments.executors import map_runs
    from model.experiments.run import replicate_seed
    from model.experiments.screening import screened_ensemble

    sc = scenario.with_changes(horizon=horizon, levels=("national",))
    batch = with_draws(scenario_batch(sc), draws)
    ensemble = screened_ensemble(batch, progress)
    base = batch.scenarios[0]
    jobs = [(ensemble.apply(base, d), replicate_seed(sc.seed, d)) for d in range(draws)]
    return [(m, s.iloc[0]) for m, s in map_runs(jobs, workers, progress, f"{sc.name} ensemble")]


def validation_figure(table: pd.DataFrame, title: str = ""):
    """Model (median, 90% interval) against observation: event months, and other targets as
    model / observed ratios."""
    from matplotlib.figure import Figure

    ev = table[table["kind"] == "event"].reset_index(drop=True)
    other = table[table["kind"].isin(["level", "ratio"])].reset_index(drop=True)
    panels = [p for p in (ev, other) if len(p)]
    fig = Figure(
        figsize=(6.2 * len(panels), 0.42 * max(len(p) for p in panels) + 1.6), layout="constrained"
    )
    axes = fig.subplots(1, len(panels), squeeze=False)
    i = 0
    if len(ev):
        ax = axes[0, i]
        i += 1
        y = np.arange(len(ev))[::-1]
        to_date = lambda m: pd.Timestamp(month_str(m) + "-15")  # noqa: E731
        for yy, r in zip(y, ev.itertuples(), strict=True):
            obs = month_index(r.observed)
            model = (
                None
                if np.isnan(r.median_value)
                else [to_date(v) for v in (r.q05_value, r.q95_value, r.median_value)]
            )
            band = [to_date(obs - r.tolerance), to_date(obs + r.tolerance)]
            _target_row(ax, yy, band, model, r.passed, zorder=4)
            ax.plot(to_date(obs), yy, marker="D", color="black", ms=6, zorder=3)
        ax.set_yticks(y, _row_labels(ev), fontsize=8)
        ax.set_xlabel("month")
        ax.set_title(
            "Event months: record (black diamond, grey = tolerance)\nvs model median (dot) and 90% interval",
            fontsize=9,
        )
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30)
    if len(other):
        ax = axes[0, i]
        y = np.arange(len(other))[::-1]
        obs = other["observed"].map(lambda s: float(str(s).replace(",", ""))).to_numpy()
        for yy, r, o in zip(y, other.itertuples(), obs, strict=True):
            model = (
                None
                if np.isnan(r.median_value)
                else [v / o for v in (r.q05_value, r.q95_value, r.median_value)]
            )
            _target_row(ax, yy, [1 - r.tolerance, 1 + r.tolerance], model, r.passed)
        ax.axvline(1.0, color="black", lw=1)
        ax.set_yticks(y, _row_labels(other), fontsize=8)
        ax.set_xlabel("model / observed (1 = the record)")
        ax.set_title(
            "Levels and ratios: model median and 90% interval\nrelative to the record (grey = tolerance)",
            fontsize=9,
        )
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _target_row(ax, y: float, band: list, model: list | None, passed: bool, **median_style) -> None:
    """One target's row: the record's tolerance band (grey), then, if the model reached it, the
    model's 90% interval and median (``model`` = [q05, q95, median]; orange if missed)."""
    ax.plot(band, [y, y], color="#999999", lw=6, alpha=0.35, solid_capstyle="butt")
    if model is not None:
        ax.plot(model[:2], [y, y], color="#0072B2", lw=1.5)
        ax.plot(
            model[2], y, marker="o", color="#0072B2" if passed else "#D55E00", ms=7, **median_style
        )


def _row_labels(panel: pd.DataFrame) -> list[str]:
    return [
        f"{t} ({'pass' if p else 'MISS'})"
        for t, p in zip(panel["target"], panel["passed"], strict=True)
    ]


def printable(table: pd.DataFrame) -> str:
    """The table as aligned text."""
    cols = ["target", "use", "observed", "model_median", "model_90", "passed"]
    t = table[cols].copy()
    t["passed"] = t["passed"].map({True: "pass", False: "MISS"})
    return t.to_string(index=False)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown."""
    lines = [
        "| target | use | observed | model median | model 90% | result | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.target} | {r.use} | {r.observed} | {r.model_median} | {r.model_90} | {'pass' if r.passed else '**miss**'} | {r.source} |"
        )
    return "\n".join(lines)


def stamp() -> str:
    """A timestamp for run folder names."""
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


# ---------------------------------------------------------------------------- docs
DOCS = Path(__file__).resolve().parents[2] / "docs"
START, END = "<!-- validation:start -->", "<!-- validation:end -->"


def update_docs(
    table: pd.DataFrame,
    fig,
    scenario,
    replicates: int,
    scores: dict,
    markers: tuple[str, str] = (START, END),
    image: str = "validation.png",
) -> None:
    """Rewrite a generated part of docs/validation.md (between ``markers``) and its plot."""
    start, end = markers
    img = DOCS / "img"
    img.mkdir(parents=True, exist_ok=True)
    fig.savefig(img / image, dpi=100)
    where = os.path.relpath(scenario.path, DOCS.parent) if scenario.path else scenario.name
    lines = [
        start,
        f"Latest run: `stabsim validate {where} --replicates {replicates} --update-docs`"
        f" on {_dt.date.today().isoformat()}.",
        "",
    ]
    for use, sc in scores.items():
        if sc["targets"]:
            lines.append(
                f"- {use}: **{sc['passed']}/{sc['targets']}** targets within tolerance"
                f" (mean loss {sc['loss']:.2f})"
            )
    lines += ["", markdown(table), "", f"![Model against the record](img/{image})", end]
    page = DOCS / "validation.md"
    text = page.read_text() if page.exists() else f"# Validation\n\n{start}\n{end}\n"
    if start not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    a, b = text.index(start), text.index(end) + len(end)
    page.write_text(text[:a] + "\n".join(lines) + text[b:])
