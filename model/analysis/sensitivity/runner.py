"""The study runner: a study's design and batch, its run folder (``study.json``), running it
through the batch machinery and analysing the stored runs into tables, figures and a summary.

``run_study`` imports the model runner (which imports Mesa) only when it runs the model.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.analysis.discovery import DiscoveryResult, discover
from model.analysis.discovery.common import (
    OUTPUT_DIR,
    StudyError,
    fmt,
    save_figure,
    write_table,
    write_text,
)
from model.analysis.sensitivity.figures import study_figures
from model.analysis.sensitivity.morris import morris_indices
from model.analysis.sensitivity.oat import oat_design, oat_effects
from model.analysis.sensitivity.outputs import Output, study_outputs
from model.analysis.sensitivity.sobol import sobol_indices
from model.files.study import Study, load_study, study_from_record
from model.simulation.parameters import REGISTRY

if TYPE_CHECKING:
    from model.experiments.design import Design, RunSpec
    from model.experiments.executors import Report
    from model.files.batch import Batch

STUDY_FILE = "study.json"


def study_design(study: Study, batch: Batch | None = None) -> Design:
    """The design points of a study (SALib's sample, or the one-at-a-time sweep)."""
    if study.method == "oat":
        return oat_design(study.names, list(study.vary.values()), study.centre(), study.n)
    from model.experiments.design import parse_design

    return parse_design(batch if batch is not None else study.batch())


def study_plan(study: Study) -> tuple[Batch, Design, list[RunSpec]]:
    """The batch, its design and its run specs (imports the model to derive seeds)."""
    from model.experiments.design import expand

    batch = study.batch()
    design = study_design(study, batch)
    return batch, design, expand(batch, design)


def _index_rows(
    study: Study, outputs: Sequence[Output], frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The per-output index frames as one long table with the output's and name's details."""
    parts = []
    for o in outputs:
        frame = frames.get(o.column)
        if frame is None:
            continue
        f = frame.reset_index()
        f.insert(0, "outcome", o.outcome)
        f.insert(1, "year", o.year)
        f.insert(2, "period", o.period)
        f.insert(3, "unit", o.unit)
        f.insert(5, "kind", [REGISTRY[n].kind for n in f["name"]])
        f.insert(6, "name_unit", [REGISTRY[n].unit for n in f["name"]])
        if "low" not in f:
            f.insert(7, "low", [study.vary[n][0] for n in f["name"]])
            f.insert(8, "high", [study.vary[n][1] for n in f["name"]])
        key = {"sobol": "ST", "morris": "mu_star", "oat": "abs_swing"}[study.method]
        f["rank"] = f[key].rank(ascending=False, method="min").astype("Int64")
        f["note"] = frame.attrs.get("note", "")
        parts.append(f)
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    table["year"] = table["year"].astype("Int64")
    return table


@dataclass
class StudyResult:
    """The analysed study.

    Attributes:
        folder: the run folder.
        study: the study.
        outputs: one row per design point: varied values, runs averaged, outputs.
        indices: one row per output and name (empty for ``lhs``).
        curves: OAT only: the output at every step of every name.
        second_order: Sobol' with ``second_order``: the S2 pairs.
        files: tables and figures written, relative to ``folder``.
        discoveries: the scenario-discovery results of the study's ``discover`` conditions.
    """

    folder: Path
    study: Study
    outputs: pd.DataFrame
    indices: pd.DataFrame
    curves: pd.DataFrame | None = None
    second_order: pd.DataFrame | None = None
    files: list[str] = field(default_factory=list)
    discoveries: list[DiscoveryResult] = field(default_factory=list)

    def top(self, outcome: str, k: int = 3, year: int | None = None) -> pd.DataFrame:
        """The ``k`` most influential names for an outcome (by ST, mu* or swing)."""
        if self.indices.empty:
            return self.indices
        rows = self.indices[self.indices["outcome"] == outcome]
        rows = rows[rows["year"].isna()] if year is None else rows[rows["year"] == year]
        return rows.sort_values("rank").head(k)


def analyze_study(
    folder: str | os.PathLike[str], study: Study | None = None, *, figures: bool = True
) -> StudyResult:
    """Compute the study's indices from its stored runs; write tables and figures.

    Writes ``<folder>/sensitivity/``: ``outputs`` and ``indices`` (Parquet and CSV; OAT adds
    ``oat_curves``, second-order Sobol' ``sobol_s2``), figures (PNG) and ``summary.md``; each
    ``discover`` condition goes to ``sensitivity/discovery/<condition>/``.

    Args:
        folder: a study's run folder (``study.json`` and a batch).
        study: the study (read from ``study.json`` when not given).
        figures: also draw the figures.

    Raises:
        StudyError: no study here, or design points without a finished run.
    """
    from model.experiments.results import open_batch

    folder = Path(folder)
    study = study if study is not None else open_study(folder)
    results = open_batch(folder)
    table, outputs = study_outputs(results, study)
    problem = study.problem()
    x = table[list(study.names)].to_numpy(dtype=float)
    opts = study.options
    frames: dict[str, pd.DataFrame] = {}
    curves, s2 = [], []
    for o in outputs:
        y = table[o.column].to_numpy(dtype=float)
        if study.method == "sobol":
            frame = sobol_indices(
                problem,
                y,
                second_order=bool(opts.get("second_order")),
                conf_level=opts["conf_level"],
                resamples=opts["resamples"],
                seed=study.seed % 2**32,
            )
            if "S2" in frame.attrs:
                s2.append(frame.attrs.pop("S2").assign(outcome=o.outcome, year=o.year))
        elif study.method == "morris":
            frame = morris_indices(
                problem,
                x,
                y,
                levels=int(opts.get("levels", 4)),
                conf_level=opts["conf_level"],
                resamples=opts["resamples"],
                seed=study.seed % 2**32,
            )
        elif study.method == "oat":
            frame, curve = oat_effects(study.names, study.n, x, y)
            curves.append(curve.assign(outcome=o.outcome, year=o.year, period=o.period))
        else:
            continue
        frames[o.column] = frame
    indices = _index_rows(study, outputs, frames)
    result = StudyResult(folder, study, table, indices)
    if curves:
        result.curves = pd.concat(curves, ignore_index=True)
        result.curves["year"] = result.curves["year"].astype("Int64")
    if s2:
        result.second_order = pd.concat(s2, ignore_index=True)
    out = folder / OUTPUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    _clear_outputs(out)
    result.files += write_table(table, out / "outputs", folder)
    if not indices.empty:
        result.files += write_table(indices, out / "indices", folder)
    if result.curves is not None:
        result.files += write_table(result.curves, out / "oat_curves", folder)
    if result.second_order is not None:
        result.files += write_table(result.second_order, out / "sobol_s2", folder)
    if figures:
        for name, fig in study_figures(result, outputs):
            save_figure(fig, out / name)
            result.files.append(f"{OUTPUT_DIR}/{name}")
    for text in study.discover:
        found = discover(folder, text, **_prim_kwargs(study.options.get("prim", {})))
        result.discoveries.append(found)
        result.files += found.files
    write_text(summary_text(result), out / "summary.md")
    result.files.append(f"{OUTPUT_DIR}/summary.md")
    return result


def _prim_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    keys = {
        "alpha": "alpha",
        "threshold": "threshold",
        "min_mass": "min_mass",
        "boxes": "max_boxes",
        "paste": "paste",
    }
    return {keys[k]: v for k, v in options.items() if k in keys}


_OWNED = ("outputs.", "indices.", "oat_curves.", "sobol_s2.", "summary.md")


def _clear_outputs(out: Path) -> None:
    """Remove the files of an earlier analysis (never the discovery folder)."""
    for entry in out.iterdir():
        if entry.is_file() and (entry.name.startswith(_OWNED) or entry.suffix == ".png"):
            entry.unlink()


def summary_text(result: StudyResult) -> str:
    """A short Markdown summary: the study, and the three most influential names per outcome."""
    s = result.study
    runs = int(result.outputs["runs"].sum())
    lines = [
        f"# Study {s.name}",
        "",
        s.description or "",
        "",
        f"- method: {s.method}, n = {s.n}; {len(result.outputs)} design points x {s.replicates} replicate(s) = {runs} runs",
        f"- scenario: {s.scenario.name} ({s.scenario_file or s.scenario.path}), {s.scenario.start}, horizon {s.scenario.horizon} months",
        f"- master seed: {s.seed}; folder: {result.folder}",
        f"- varied: {', '.join(f'{n} [{lo:g}, {hi:g}]' for n, (lo, hi) in s.vary.items())}",
        "",
    ]
    if not result.indices.empty:
        metric = {
            "sobol": ("ST", "ST_conf"),
            "morris": ("mu_star", "mu_star_conf"),
            "oat": ("swing", None),
        }[s.method]
        lines += [f"## Most influential (by {metric[0]}; run-summary outcomes)", ""]
        for outcome in s.summary_outcomes:
            top = result.top(outcome)
            parts = []
            for _, row in top.iterrows():
                value = fmt(row[metric[0]])
                if metric[1]:
                    value += f" ± {fmt(row[metric[1]])}"
                parts.append(f"{row['name']} {value}")
            note = top["note"].iloc[0] if len(top) and top["note"].iloc[0] else ""
            lines.append(f"- {outcome}: {note or '; '.join(parts)}")
        lines.append("")
    for d in result.discoveries:
        lines += [f"## Discovery: {d.condition}", "", d.describe(), ""]
    lines += ["Files: " + ", ".join(f for f in result.files if not f.endswith(".parquet")), ""]
    return "\n".join(lines)


def open_study(folder: str | os.PathLike[str]) -> Study:
    """The study recorded in a run folder (``study.json`` and the manifest's scenario).

    Raises:
        StudyError: the folder holds no study.
    """
    from model.experiments.batches import recorded_batch
    from model.experiments.batchfiles import StoreError, read_manifest
    from model.files.confine import read_json
    from model.files.errors import ConfigError, describe

    folder = Path(folder)
    record_path = folder / STUDY_FILE
    try:
        read_manifest(folder)
    except StoreError as exc:
        raise StudyError(str(exc)) from None
    if not record_path.is_file():
        raise StudyError(
            f"{folder}: not a study folder ({STUDY_FILE} not found); for a batch, use stabsim discover"
        )
    record = read_json(record_path, noun="study record")
    batch = recorded_batch(folder)
    damaged = "the study record as stabsim wrote it (restore it, or start the study anew)"
    if not isinstance(record, dict):
        raise ConfigError(
            f"expected a mapping, got {describe(record)}", file=str(record_path), allowed=damaged
        )
    try:
        return study_from_record(record, batch.scenarios[0], record.get("path"))
    except ConfigError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError(f"not a valid study ({problem})", file=str(record_path)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"cannot read the study ({type(exc).__name__}: {exc})",
            file=str(record_path),
            allowed=damaged,
        ) from None


def record_study(study: Study, folder: str | os.PathLike[str]) -> None:
    """Write ``study.json`` (the study as run) into its run folder."""
    folder = Path(folder)
    data = study.to_dict()
    data["written"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    write_text(json.dumps(data, indent=1, default=str) + "\n", folder / STUDY_FILE)


# ---- running a study --------------------------------------------------------------------------


@dataclass
class StudyRun:
    """What ``run_study`` did.

    Attributes:
        folder: the run folder.
        study: the study.
        report: the execution report (runs done, failed, missing).
        result: the analysis, when every design point has a finished run; else None.
        resumed: whether the folder held the study already.
    """

    folder: Path
    study: Study
    report: Report
    result: StudyResult | None = None
    resumed: bool = False


def run_study(
    study: Study | str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    runs_dir: str | os.PathLike[str] = "runs",
    figures: bool = True,
) -> StudyRun:
    """Run a study through the batch machinery, then analyse it.

    Args:
        study: a :class:`Study`, a study file, or None with ``resume``.
        out: the run folder (resumed if it holds this study).
        resume: a study folder to complete (the study recorded there).
        executor: ``"serial"``, ``"process"`` or ``"dask"`` (``model.experiments.executors``).
        workers: worker processes (default: all cores).
        scheduler: Dask scheduler address.
        progress: show a progress bar.
        retry_failed: also run again runs that failed.
        runs_dir: where ``<study>-<YYYYmmdd-HHMMSS>/`` is created.
        figures: draw the figures.

    Returns:
        The run folder, the execution report and, when the study is complete, its analysis.

    Raises:
        ConfigError: a mistake in the study file.
        StoreError: the folder holds another study or batch, or is in use.
    """
    from model.experiments.executors import execute
    from model.experiments.store import BatchStore

    if study is None:
        if resume is None:
            raise StudyError("give a study, or resume=FOLDER")
        study = open_study(resume)
    elif not isinstance(study, Study):
        study = load_study(study)
    batch, design, specs = study_plan(study)
    with BatchStore.open(batch, specs, design, out=out, resume=resume, runs_dir=runs_dir) as store:
        record_study(study, store.root)
        report = execute(specs, store, executor, workers, scheduler, progress, retry_failed)
        root, resumed = store.root, store.resumed
    run = StudyRun(root, study, report, resumed=resumed)
    if report.complete:
        run.result = analyze_study(root, study, figures=figures)
    return run
