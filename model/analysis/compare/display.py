"""What the report shows as text: the batch's provenance, the levers and parameters that differ
between scenarios, the summary table and the paired differences for reading, and the CSV files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.compare.names import DATE_UNIT, summary_unit, title
from model.analysis.compare.style import format_number, month_text
from model.experiments.results import BatchResults
from model.simulation.outcomes import SUMMARY
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY


def provenance(res: BatchResults) -> dict[str, Any]:
    """Where the numbers come from: batch, seeds, versions, git revision, sessions, run counts."""
    m = res.manifest
    batch = m.get("batch") or {}
    sessions = m.get("sessions") or []
    seeds: dict[int, int] = {}
    for run in m.get("runs", []):
        seeds.setdefault(int(run["replicate"]), int(run["seed"]))
    design = m.get("design") or {}
    return {
        "batch": batch.get("batch", m.get("batch_id")),
        "batch_id": m.get("batch_id"),
        "description": " ".join(str(batch.get("description") or "").split()),
        "folder": str(res.path.resolve()),
        "batch_file": m.get("batch_file"),
        "batch_hash": m.get("batch_hash"),
        "master_seed": m.get("master_seed"),
        "replicate_seeds": dict(sorted(seeds.items())),
        "overrides": m.get("overrides") or {},
        "design": {
            "kind": design.get("kind"),
            "names": design.get("names") or [],
            "points": design.get("points"),
        },
        "ensemble": _ensemble_text(m.get("uncertainty")),
        "versions": m.get("versions") or {},
        "git_revision": m.get("git_revision"),
        "created": m.get("created"),
        "finished": m.get("finished"),
        "sessions": [
            {
                "started": s.get("started"),
                "finished": s.get("finished"),
                "host": s.get("host"),
                "executor": s.get("executor"),
                "workers": s.get("workers"),
            }
            for s in sessions
        ],
        "counts": res.counts(),
        "runs_total": len(m.get("runs", [])),
        "running": res.running,
        "host": m.get("host"),
    }


def _ensemble_text(ens: Any) -> str:
    """The parameter ensemble in a line (or that the parameters are held fixed)."""
    if not ens:
        return "none: every parameter held at the scenario's value"
    kinds = list((ens.get("kinds") or {}).values())
    text = f"{ens.get('draws')} draws (seed {ens.get('seed')}) of {kinds.count('parameter')} parameters"
    if kinds.count("posterior"):
        text += f", {kinds.count('posterior')} from the posterior {ens.get('posterior')}"
    steps = list(ens.get("schedules") or {})
    if steps:
        text += f" and the schedule variables {', '.join(steps)}"
    return text + "; each draw's values in draws.csv"


def _schedule_text(name: str, value: Any) -> str:
    p = REGISTRY[name]

    def one(v: float) -> str:
        v = float(v)
        text = str(round(v)) if p.integer else f"{v:g}"
        named = [k for k, c in (p.choices or {}).items() if c == v]
        return f"{text} ({named[0]})" if named else text

    if value is None:
        return f"{one(p.default)} (default)"
    if isinstance(value, list):
        if len(value) == 1:
            return one(value[0]["value"])
        return ", ".join(f"{one(pt['value'])} from {pt['from']}" for pt in value)
    return one(value)


def lever_differences(
    res: BatchResults, scenarios: Sequence[str], parameters: bool = False
) -> pd.DataFrame:
    """Levers (or, with ``parameters=True``, other parameters) that differ between scenarios.

    Returns:
        One row per differing name (index ``name (unit)``), one column of text per scenario.
    """
    specs = {sd["name"]: sd for sd in res.manifest["batch"]["scenarios"]}
    names = PARAMETERS if parameters else LEVERS
    key = "parameters" if parameters else "levers"
    rows: dict[str, dict[str, str]] = {}
    for name in names:
        texts = {s: _schedule_text(name, (specs[s].get(key) or {}).get(name)) for s in scenarios}
        if len(set(texts.values())) > 1:
            rows[f"{name} ({REGISTRY[name].unit})"] = texts
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(scenarios))


def summary_display(table: pd.DataFrame, shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """The summary table for reading: a row per outcome, a column per scenario, text cells
    ``median (5%-95%)`` (the range left out when every run agrees) and, given the variance
    split (``shares``, from ``variance_split``), a second line with the share of the variance
    from the parameters."""
    rows: dict[str, dict[str, str]] = {}
    scen = list(table.index)
    split = (
        shares.set_index(["scenario", "outcome"])["parameter_share"]
        if shares is not None and len(shares)
        else pd.Series(dtype=float)
    )

    def note(s: str, name: str) -> str:
        v = split.get((s, name), np.nan)
        return f"\n{v:.0%} from parameters" if np.isfinite(v) else ""

    rows["Runs"] = {s: str(int(table.at[s, "runs"])) for s in scen}
    for o in SUMMARY.values():
        name = o.name
        if name == "resurgence":
            if "resurgence_probability" not in table.columns:
                continue
            rows["Probability of resurgence (95% Wilson interval)"] = {
                s: f"{table.at[s, 'resurgence_probability']:.0%} "
                f"({table.at[s, 'resurgence_low']:.0%}\u2013{table.at[s, 'resurgence_high']:.0%})"
                + note(s, name)
                for s in scen
            }
            continue
        if f"{name}_median" not in table.columns:
            continue
        if o.unit == DATE_UNIT:
            cells = {}
            for s in scen:
                share = table.at[s, name + "_share"]
                if not share:
                    cells[s] = "never"
                    continue
                text = _span(*(month_text(table.at[s, f"{name}_{q}"]) for q in _QS), " to ")
                cells[s] = f"{text}\nin {share:.0%} of runs"
            rows[f"{title(name)}: median (5%\u201395%)"] = cells
            continue
        never = name == "months_to_defeat"
        rows[f"{title(name)} [{summary_unit(name)}]"] = {
            s: _span(*(_num(table.at[s, f"{name}_{q}"], never) for q in _QS)) + note(s, name)
            for s in scen
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=scen)


_QS = ("median", "p5", "p95")


def _span(median: str, low: str, high: str, sep: str = "\u2013") -> str:
    if low == high == median:
        return median
    return f"{median}\n({low}{sep}{high})"


def _num(x: Any, never: bool = False) -> str:
    if x is None or pd.isna(x):
        return "never" if never else "n/a"
    return format_number(float(x))


def differences_display(diffs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences for reading: a row per outcome, a column per scenario, text cells
    with the mean and the 95% interval of the mean, then the range of the middle 90% of the
    paired differences; cells with fewer pairs than the most show their number. No cell is
    starred: an interval of the mean that excludes zero says the runs are many, not that the
    difference matters."""
    scen = list(dict.fromkeys(diffs["scenario"]))
    common = int(diffs["pairs"].max()) if len(diffs) else 0
    rows: dict[str, dict[str, str]] = {}
    for name in dict.fromkeys(diffs["outcome"]):
        part = diffs[diffs["outcome"] == name].set_index("scenario")
        cells = {}
        for s in scen:
            r = part.loc[s]
            if not np.isfinite(r["mean"]):
                cells[s] = "n/a"
                continue
            ci = (
                f" [{format_number(r['ci_low'])}, {format_number(r['ci_high'])}]"
                if np.isfinite(r["ci_low"])
                else ""
            )
            spread = (
                f"\n90% of runs: {_signed(r['p5'])} to {_signed(r['p95'])}"
                if "p5" in r and np.isfinite(r["p5"])
                else ""
            )
            n = f" (n={int(r['pairs'])})" if int(r["pairs"]) != common else ""
            cells[s] = f"{_signed(r['mean'])}{ci}{n}{spread}"
        rows[f"{title(name)} [{summary_unit(name)}]"] = cells
    return pd.DataFrame.from_dict(rows, orient="index", columns=scen)


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + format_number(x)


def table_csv(table: pd.DataFrame, index: bool = False) -> str:
    """A table as CSV text, dates as ``YYYY-MM`` (empty when missing)."""
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(lambda x: month_text(x, ""))
    return out.to_csv(index=index, lineterminator="\n")


def summary_csv(table: pd.DataFrame) -> str:
    """The summary table as CSV text, months of events as ``YYYY-MM`` or "never"."""
    out = table.copy()
    for col in out.columns:
        if out[col].map(lambda x: isinstance(x, pd.Timestamp) or x is pd.NaT).all():
            out[col] = out[col].map(month_text)
    return out.to_csv(lineterminator="\n")
