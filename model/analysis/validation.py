"""Validation and calibration against the historical record.

Targets are data (``seeds/targets.yaml``; format in docs/validation.md). Every measurement is
taken from the model's tables (monthly table and run summary), the same tables stored under
runs/, so analysts can score stored results and bring their own targets. No Mesa here.

Calibration is approximate Bayesian computation by rejection (Pritchard et al. 1999;
Beaumont 2010): draw parameter sets from a Latin hypercube over their registry ranges, run each
with the same replicate seeds (common random numbers), score each set's loss on the
calibration targets, and keep the best fraction as the approximate posterior.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from model.files.config import ConfigError, _suggest
from model.files.targets import (  # noqa: F401  (re-exported: the target file's API)
    DEFAULT_TARGETS,
    EVENTS,
    KINDS,
    STATISTICS,
    USES,
    Target,
    _mi,
    _ms,
    load_targets,
)
from model.simulation.outcomes import LEVELS
from model.simulation.parameters import LEVERS, REGISTRY

LOSS_CAP = 25.0  # a target's squared, tolerance-scaled error counts at most this much


# ---------------------------------------------------------------------------- measurement
def _series(monthly: pd.DataFrame, level: str, unit: str, outcome: str) -> pd.Series:
    rows = monthly[(monthly["level"] == level) & (monthly["unit"] == unit)]
    return pd.Series(rows[outcome].to_numpy(dtype=float), index=rows["month"].dt.strftime("%Y-%m"))


def _stat(s: pd.Series, period: tuple[str, str], statistic: str) -> float:
    part = s[(s.index >= period[0]) & (s.index <= period[1])]
    if part.empty:
        return float("nan")
    return float({"mean": part.mean, "sum": part.sum, "last": lambda: part.iloc[-1]}[statistic]())


def measure(target: Target, monthly: pd.DataFrame, summary: pd.Series) -> float:
    """The model's value for one target in one run (an event as a month index; NaN if absent)."""
    if target.kind == "event":
        if target.event == "defeat":
            d = summary.get("defeat_month")
            return float(_mi(pd.Timestamp(d).strftime("%Y-%m"))) if pd.notna(d) else float("nan")
        if target.event == "kirkuk_crisis":
            d = summary.get("kirkuk_crisis_month")
            return float(_mi(pd.Timestamp(d).strftime("%Y-%m"))) if pd.notna(d) else float("nan")
        held = _series(monthly, "area", target.area, "is_held_areas")
        if held.empty:
            return float("nan")
        flag = held.to_numpy() > 0
        # the first month the area changes hands in the wanted direction (a change in the very
        # first month cannot be seen in the tables: the state before it is not recorded)
        if target.event == "retaken":
            hits = np.flatnonzero(flag[:-1] & ~flag[1:]) + 1
        else:
            hits = np.flatnonzero(~flag[:-1] & flag[1:]) + 1
        return float(_mi(held.index[hits[0]])) if len(hits) else float("nan")
    s = (
        _series(monthly, target.level, target.unit, target.outcome)
        if target.kind != "rank"
        else None
    )
    if target.kind == "level":
        return _stat(s, target.period, target.statistic)
    if target.kind == "ratio":
        base = _stat(s, target.base_period, target.statistic)
        return _stat(s, target.period, target.statistic) / base if base else float("nan")
    # rank: Spearman correlation of the model's order with the observed order
    vals = [
        _stat(_series(monthly, target.level, u, target.outcome), target.period, target.statistic)
        for u in target.observed
    ]
    obs_rank = np.arange(len(vals))
    model_rank = pd.Series(vals).rank(ascending=False).to_numpy() - 1
    return (
        float(np.corrcoef(obs_rank, model_rank)[0, 1])
        if np.nanstd(model_rank) > 0
        else float("nan")
    )


def evaluate(
    targets: Sequence[Target], runs: Iterable[tuple[pd.DataFrame, pd.Series]]
) -> pd.DataFrame:
    """Score targets over runs: model median and 90% interval, error, pass or miss."""
    values = {t.id: [] for t in targets}
    for monthly, summary in runs:
        for t in targets:
            values[t.id].append(measure(t, monthly, summary))
    rows = []
    for t in targets:
        v = np.asarray(values[t.id], dtype=float)
        ok = v[~np.isnan(v)]
        missing = len(v) - len(ok)
        med = float(np.median(v)) if missing * 2 <= len(v) and len(ok) else float("nan")
        lo, hi = np.quantile(ok, [0.05, 0.95]) if len(ok) else (np.nan, np.nan)
        if t.kind == "event":
            err = med - _mi(str(t.observed)) if not np.isnan(med) else float("nan")
            show = lambda x: _ms(x) if not np.isnan(x) else "never"  # noqa: E731
            observed, model, interval = str(t.observed), show(med), f"{show(lo)} .. {show(hi)}"
            passed = bool(abs(err) <= t.tolerance) if not np.isnan(err) else False
            unit = "months"
        elif t.kind == "rank":
            err = med - t.tolerance if not np.isnan(med) else float("nan")
            observed, model, interval = (
                " > ".join(t.observed),
                f"rho {med:.2f}",
                f"{lo:.2f} .. {hi:.2f}",
            )
            passed = bool(med >= t.tolerance) if not np.isnan(med) else False
            unit = "Spearman rho"
        else:
            err = med / float(t.observed) - 1 if not np.isnan(med) else float("nan")
            observed, model, interval = _num(t.observed), _num(med), f"{_num(lo)} .. {_num(hi)}"
            passed = bool(abs(err) <= t.tolerance) if not np.isnan(err) else False
            unit = "relative"
        scaled = (
            (err / t.tolerance if t.tolerance > 0 else (0.0 if err == 0 else np.inf))
            if not np.isnan(err)
            else np.inf
        )
        if t.kind == "rank":
            scaled = min(0.0, err) / max(1.0 - t.tolerance, 1e-9) if not np.isnan(err) else np.inf
        rows.append(dict(
            target=t.id, kind=t.kind, use=t.use, observed=observed, model_median=model, model_90=interval,
            error=err, error_unit=unit, tolerance=t.tolerance, passed=passed,
            loss=float(min(LOSS_CAP, scaled**2)), runs_without=missing, source=t.source,
            median_value=med, q05_value=lo, q95_value=hi,
        ))  # fmt: skip
    return pd.DataFrame(rows)


def _num(x) -> str:
    x = float(x)
    if np.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def score(table: pd.DataFrame, use: str | None = None) -> dict[str, float]:
    """Share of targets passed and mean loss (over targets of one use, or all)."""
    t = table if use is None else table[table["use"] == use]
    return {
        "targets": int(len(t)),
        "passed": int(t["passed"].sum()),
        "score": float(t["passed"].mean()) if len(t) else float("nan"),
        "loss": float(t["loss"].mean()) if len(t) else float("nan"),
    }


# ---------------------------------------------------------------------------- running
def prepare(scenario, targets: Sequence[Target], horizon: int | None = None):
    """The scenario set to record what the targets need (levels, and a long enough horizon)."""
    levels = set(scenario.levels) | {"national"}
    if any(t.needs_areas for t in targets):
        levels.add("area")
    if any(t.level == "governorate" for t in targets):
        levels.add("governorate")
    need = max(
        (_mi(t.last_month) - _mi(scenario.start) + 1 for t in targets), default=scenario.horizon
    )
    h = horizon or max(scenario.horizon, need)
    return scenario.with_changes(levels=tuple(lv for lv in LEVELS if lv in levels), horizon=h)


def _one(args):
    scenario, seed = args
    from model.experiments.run import run_model

    monthly, summary = run_model(scenario, seed)
    return monthly, summary.iloc[0]


def run_replicates(
    scenario, replicates: int, workers: int = 1, progress: bool = False
) -> list[tuple[pd.DataFrame, pd.Series]]:
    """Run replicates 0..n-1 of a scenario (seeds from its master seed); in order."""
    from model.experiments.run import replicate_seed

    jobs = [(scenario, replicate_seed(scenario.seed, r)) for r in range(replicates)]
    return list(_map(_one, jobs, workers, progress, scenario.name))


def _map(func, jobs, workers, progress, desc):
    from tqdm import tqdm

    quiet = not progress or os.environ.get("CI", "").lower() in ("1", "true", "yes")
    bar = tqdm(total=len(jobs), desc=desc, unit="run", disable=quiet)
    if workers <= 1:
        for j in jobs:
            yield func(j)
            bar.update()
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for out in pool.map(func, jobs, chunksize=max(1, len(jobs) // (workers * 8))):
                yield out
                bar.update()
    bar.close()


def validate(
    scenario,
    targets: Sequence[Target],
    replicates: int | None = None,
    workers: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Run a scenario's replicates and score every target."""
    sc = prepare(scenario, targets)
    runs = run_replicates(sc, replicates or scenario.replicates, workers, progress)
    return evaluate(targets, runs)


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
        to_date = lambda m: pd.Timestamp(_ms(m) + "-15")  # noqa: E731
        for yy, r in zip(y, ev.itertuples(), strict=True):
            obs = _mi(r.observed)
            ax.plot(
                [to_date(obs - r.tolerance), to_date(obs + r.tolerance)],
                [yy, yy],
                color="#999999",
                lw=6,
                alpha=0.35,
                solid_capstyle="butt",
            )
            ax.plot(to_date(obs), yy, marker="D", color="black", ms=6, zorder=3)
            if not np.isnan(r.median_value):
                ax.plot(
                    [to_date(r.q05_value), to_date(r.q95_value)], [yy, yy], color="#0072B2", lw=1.5
                )
                ax.plot(
                    to_date(r.median_value),
                    yy,
                    marker="o",
                    color="#0072B2" if r.passed else "#D55E00",
                    ms=7,
                    zorder=4,
                )
        ax.set_yticks(
            y,
            [
                f"{t} ({'pass' if p else 'MISS'})"
                for t, p in zip(ev["target"], ev["passed"], strict=True)
            ],
            fontsize=8,
        )
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
            ax.plot(
                [1 - r.tolerance, 1 + r.tolerance],
                [yy, yy],
                color="#999999",
                lw=6,
                alpha=0.35,
                solid_capstyle="butt",
            )
            if not np.isnan(r.median_value):
                ax.plot([r.q05_value / o, r.q95_value / o], [yy, yy], color="#0072B2", lw=1.5)
                ax.plot(
                    r.median_value / o,
                    yy,
                    marker="o",
                    color="#0072B2" if r.passed else "#D55E00",
                    ms=7,
                )
        ax.axvline(1.0, color="black", lw=1)
        ax.set_yticks(
            y,
            [
                f"{t} ({'pass' if p else 'MISS'})"
                for t, p in zip(other["target"], other["passed"], strict=True)
            ],
            fontsize=8,
        )
        ax.set_xlabel("model / observed (1 = the record)")
        ax.set_title(
            "Levels and ratios: model median and 90% interval\nrelative to the record (grey = tolerance)",
            fontsize=9,
        )
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


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


# ---------------------------------------------------------------------------- calibration
@dataclass
class Calibration:
    """The result of an ABC-rejection calibration."""

    parameters: tuple[str, ...]
    samples: pd.DataFrame  # one row per parameter set: values, loss, accepted
    start_loss: float
    best: dict[str, float]
    posterior_median: dict[str, float]
    accepted: int
    info: dict = field(default_factory=dict)

    @property
    def best_loss(self) -> float:
        """The lowest loss found."""
        return float(self.samples["loss"].min())


def _calib_one(args):
    scenario, params, seeds, targets = args
    from model.experiments.run import run_model

    sc = scenario.with_changes(parameters=params) if params else scenario
    runs = []
    for seed in seeds:
        monthly, summary = run_model(sc, seed)
        runs.append((monthly, summary.iloc[0]))
    table = evaluate(targets, runs)
    return float(table["loss"].mean()), table["error"].to_numpy(dtype=float)


def calibrate(
    scenario,
    targets: Sequence[Target],
    parameters: Sequence[str],
    samples: int = 64,
    replicates: int = 3,
    accept: float = 0.1,
    seed: int = 0,
    bounds: dict[str, tuple[float, float]] | None = None,
    workers: int = 1,
    progress: bool = True,
) -> Calibration:
    """Fit ``parameters`` to the calibration targets by ABC rejection over a Latin hypercube."""
    from scipy.stats import qmc

    from model.experiments.run import replicate_seed

    bad = [p for p in parameters if p not in REGISTRY or p in LEVERS]
    if bad:
        raise ConfigError(
            f"cannot calibrate '{bad[0]}'",
            key="parameters",
            allowed="registry parameters (not levers): see `stabsim params`",
            suggestion=_suggest(bad[0], [p for p in REGISTRY if p not in LEVERS]),
        )
    cal = [t for t in targets if t.use == "calibration"]
    if not cal:
        raise ConfigError("no target has 'use: calibration'", key="targets")
    sc = prepare(scenario, cal)
    sc = sc.with_changes(horizon=max(_mi(t.last_month) for t in cal) - _mi(sc.start) + 1)
    seeds = [replicate_seed(scenario.seed, r) for r in range(replicates)]
    bounds = {p: (bounds or {}).get(p, (REGISTRY[p].low, REGISTRY[p].high)) for p in parameters}
    unit = qmc.LatinHypercube(d=len(parameters), seed=np.random.default_rng(seed)).random(samples)
    lo = np.array([bounds[p][0] for p in parameters])
    hi = np.array([bounds[p][1] for p in parameters])
    X = lo + unit * (hi - lo)
    sets = []
    for row in X:
        d = {
            p: (int(round(v)) if REGISTRY[p].integer else float(v))
            for p, v in zip(parameters, row, strict=True)
        }
        sets.append(d)
    jobs = [(sc, {}, seeds, cal)] + [(sc, d, seeds, cal) for d in sets]
    results = list(_map(_calib_one, jobs, workers, progress, "calibrate"))
    start_loss = results[0][0]
    df = pd.DataFrame(sets)
    df["loss"] = [r[0] for r in results[1:]]
    for j, t in enumerate(cal):
        df[f"error:{t.id}"] = [r[1][j] for r in results[1:]]
    k = max(1, int(round(accept * samples)))
    order = np.argsort(df["loss"].to_numpy(), kind="stable")
    df["accepted"] = False
    df.loc[df.index[order[:k]], "accepted"] = True
    post = df[df["accepted"]]
    best = df.iloc[int(order[0])][list(parameters)].to_dict()
    median = {p: float(post[p].median()) for p in parameters}
    for p in parameters:
        if REGISTRY[p].integer:
            best[p] = int(round(best[p]))
            median[p] = int(round(median[p]))
    info = dict(
        method="ABC rejection over a Latin hypercube",
        samples=samples,
        replicates=replicates,
        accept=accept,
        seed=seed,
        horizon=sc.horizon,
        scenario=scenario.name,
        targets=[t.id for t in cal],
        bounds={p: list(b) for p, b in bounds.items()},
    )
    return Calibration(
        tuple(parameters),
        df,
        start_loss,
        {p: (float(v) if not REGISTRY[p].integer else int(v)) for p, v in best.items()},
        median,
        k,
        info,
    )


def write_calibration(
    cal: Calibration, folder: Path, base_scenario_path: str | None, name: str
) -> Path:
    """Store a calibration: samples, posterior, summary and a scenario file extending the base."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    cal.samples.to_csv(folder / "samples.csv", index=False)
    cal.samples[cal.samples["accepted"]].to_csv(folder / "posterior.csv", index=False)
    summary = dict(
        cal.info,
        parameters=list(cal.parameters),
        start_loss=cal.start_loss,
        best_loss=cal.best_loss,
        best=cal.best,
        posterior_median=cal.posterior_median,
        accepted=cal.accepted,
        written=_dt.datetime.now().isoformat(timespec="seconds"),
    )
    (folder / "calibration.json").write_text(json.dumps(summary, indent=2, default=float))
    scen = {
        "name": name,
        "description": f"Calibrated by stabsim calibrate ({cal.info['method']}, {cal.info['samples']} samples x {cal.info['replicates']} replicates): posterior medians of {', '.join(cal.parameters)}; see {folder}/calibration.json.",
    }
    if base_scenario_path:
        scen["extends"] = os.path.relpath(base_scenario_path, folder)
    scen["parameters"] = dict(cal.posterior_median)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(scen, sort_keys=False))
    _loss_figure(cal).savefig(folder / "loss.png", dpi=110)
    return folder / f"{name}.yaml"


def _loss_figure(cal: Calibration):
    from matplotlib.figure import Figure

    k = len(cal.parameters)
    fig = Figure(figsize=(3.6 * k, 3.2), layout="constrained")
    axes = fig.subplots(1, k, squeeze=False)
    for ax, p in zip(axes[0], cal.parameters, strict=True):
        s = cal.samples
        ax.scatter(
            s.loc[~s["accepted"], p],
            s.loc[~s["accepted"], "loss"],
            s=12,
            color="#999999",
            label="rejected",
        )
        ax.scatter(
            s.loc[s["accepted"], p],
            s.loc[s["accepted"], "loss"],
            s=16,
            color="#0072B2",
            label="accepted",
        )
        ax.axhline(cal.start_loss, color="#D55E00", lw=1, ls="--", label="default")
        ax.set_xlabel(f"{p} ({REGISTRY[p].unit})", fontsize=8)
        ax.set_ylabel("loss (mean scaled squared error)", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Calibration loss surface (one dot per parameter set)", fontsize=10)
    return fig


def stamp() -> str:
    """A timestamp for run folder names."""
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


# ---------------------------------------------------------------------------- docs
DOCS = Path(__file__).resolve().parents[2] / "docs"
START, END = "<!-- validation:start -->", "<!-- validation:end -->"


def update_docs(table: pd.DataFrame, fig, scenario, replicates: int, scores: dict) -> None:
    """Rewrite the generated part of docs/validation.md (between its markers) and the plot."""
    img = DOCS / "img"
    img.mkdir(parents=True, exist_ok=True)
    fig.savefig(img / "validation.png", dpi=100)
    lines = [
        START,
        f"Latest run: `stabsim validate {os.path.relpath(scenario.path, DOCS.parent) if scenario.path else scenario.name} --replicates {replicates} --update-docs`"
        f" on {_dt.date.today().isoformat()}.",
        "",
    ]
    for use, sc in scores.items():
        lines.append(
            f"- {use}: **{sc['passed']}/{sc['targets']}** targets within tolerance (mean loss {sc['loss']:.2f})"
        )
    lines += ["", markdown(table), "", "![Model against the record](img/validation.png)", END]
    page = DOCS / "validation.md"
    text = page.read_text() if page.exists() else f"# Validation\n\n{START}\n{END}\n"
    a, b = text.index(START), text.index(END) + len(END)
    page.write_text(text[:a] + "\n".join(lines) + text[b:])
