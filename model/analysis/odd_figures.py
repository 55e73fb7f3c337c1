"""The figures and tables of docs/ODD.md that come from runs, and the fingerprint that says
when they are stale.

``write(out_docs)`` runs the demo batch's scenarios and a lever-response sweep of every lever,
then rewrites the part of docs/ODD.md between its markers (tables with what every interval
covers) and the figures in docs/img/. The part starts with the *model fingerprint*: a hash of
the simulation code, the packaged data and the scenario files. ``tests/test_docs.py`` compares
it with the fingerprint of the code as it is, so the ODD's figures cannot silently describe an
older model: regenerate them with ``make odd``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

START = "<!-- odd-figures:start -->"
END = "<!-- odd-figures:end -->"
ROOT = Path(__file__).resolve().parents[2]
REPLICATES = 20
SWEEP_REPLICATES = 6
SWEEP_STEPS = 20

# what the ODD explains the demo scenarios with (medians over replicates)
_RESULTS = (
    ("cumulative_deaths", "deaths 2017-27"),
    ("battle_deaths_final_year", "battle deaths, last year"),
    ("mean_incidents_last24", "incidents/month, last 2 years"),
    ("is_fighters_final", "IS fighters, 2027"),
    ("idps_final", "IDPs, 2027"),
    ("mean_stability_last24", "stability, last 2 years"),
)
_MECHANISMS = (
    ("coalition_support", "coalition support"),
    ("legitimacy_sunni_arab", "Sunni Arab legitimacy"),
    ("active_share_sunni_arab", "Sunni Arab active share"),
    ("hardliner_mobilization", "hardliners"),
    ("militia_attacks", "militia attacks/month"),
    ("border_inflow", "border inflow/month"),
    ("syria_is_fighters", "fighters in Syria"),
)


def fingerprint(root: Path = ROOT) -> str:
    """A short hash of what the model's results depend on: the simulation code, the packaged
    initial-state data and the scenario files (their bytes, in path order)."""
    h = hashlib.sha256()
    files = sorted(
        [*(root / "model" / "simulation").glob("*.py"), *(root / "model" / "data").glob("*.csv")]
    ) + sorted((root / "scenarios").glob("*.yaml"))
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def recorded_fingerprint(page: Path) -> str | None:
    """The fingerprint written in the generated part of ``page`` (None if there is none)."""
    text = page.read_text(encoding="utf-8")
    if START not in text:
        return None
    part = text[text.index(START) : text.index(END)]
    for line in part.splitlines():
        if line.startswith("Model fingerprint: `"):
            return line.split("`")[1]
    return None


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _span(values: pd.Series) -> str:
    q = values.quantile([0.05, 0.5, 0.95]).to_numpy(dtype=float)
    return f"{_fmt(q[1])} ({_fmt(q[0])}-{_fmt(q[2])})"


def demo_tables(
    batch_file: Path, replicates: int = REPLICATES, workers: int = 2
) -> tuple[str, str]:
    """Markdown tables of the demo scenarios: outcomes and the mechanisms behind them."""
    from model.experiments.executors import map_runs
    from model.experiments.run import replicate_seed
    from model.files.batch import load_batch
    from model.simulation.rules import OUTCOME_CLASSES

    batch = load_batch(batch_file)
    # A scenario defined by a schedule variable of the ensemble (its lever drawn) is the
    # baseline when the parameters are fixed: it has no row here.
    steps = ((batch.uncertainty or {}).get("schedules") or {}).values()
    drawn = {name for step in steps for name in (step.get("scenarios") or ())}
    jobs, keys = [], []
    for sc in (s for s in batch.scenarios if s.name not in drawn):
        for r in range(replicates):
            jobs.append((sc.with_changes(levels=("national",)), replicate_seed(batch.seed, r)))
            keys.append(sc.name)
    summaries, mech = [], []
    for name, (monthly, summary) in zip(keys, map_runs(jobs, workers=workers), strict=True):
        summaries.append(summary.assign(scenario=name))
        nat = monthly[monthly["level"] == "national"]
        mech.append({"scenario": name, **{c: float(nat[c].mean()) for c, _ in _MECHANISMS}})
    s = pd.concat(summaries, ignore_index=True)
    m = pd.DataFrame(mech)
    names = [sc.name for sc in batch.scenarios if sc.name not in drawn]
    head = (
        "| scenario | "
        + " | ".join(label for _, label in _RESULTS)
        + " | relapse | outcome classes |"
    )
    rows = [head, "|" + "---|" * (len(_RESULTS) + 3)]
    for n in names:
        part = s[s["scenario"] == n]
        classes = part["conflict_outcome"].astype(int).value_counts().sort_index()
        cls = ", ".join(f"{OUTCOME_CLASSES[k].replace('_', ' ')} {v}" for k, v in classes.items())
        cells = [_span(part[c]) for c, _ in _RESULTS]
        rows.append(
            f"| `{n}` | " + " | ".join(cells) + f" | {part['resurgence'].mean():.0%} | {cls} |"
        )
    head2 = "| scenario | " + " | ".join(label for _, label in _MECHANISMS) + " |"
    rows2 = [head2, "|" + "---|" * (len(_MECHANISMS) + 1)]
    for n in names:
        part = m[m["scenario"] == n]
        rows2.append(
            f"| `{n}` | " + " | ".join(_fmt(part[c].median()) for c, _ in _MECHANISMS) + " |"
        )
    return "\n".join(rows), "\n".join(rows2)


def _shape(y: np.ndarray, x: np.ndarray) -> str:
    """A word for a response curve: flat, falls, rises, or U-shaped (its lowest point inside the
    range, both ends at least 15% of the curve's span above it)."""
    span = float(y.max() - y.min())
    if span < 0.05 * float(np.abs(y).mean()):
        return "flat"
    k = int(np.argmin(y))
    if y[0] - y[k] > 0.15 * span and y[-1] - y[k] > 0.15 * span:
        return f"U-shaped (lowest near {_fmt(float(x[k]))})"
    return "falls" if y[-1] < y[0] else "rises"


def lever_figure(scenario, path: Path, workers: int = 2) -> str:
    """Cumulative deaths against every lever's level (lever-response curves), as a PNG; returns
    a Markdown table of each lever's response (level of the lowest and highest mean)."""
    from matplotlib.figure import Figure

    from model.analysis.lever_response import levels, sweep
    from model.simulation.parameters import LEVERS, REGISTRY

    fig = Figure(figsize=(12, 9), dpi=110, layout="constrained")
    axes = fig.subplots(4, 4).ravel()
    rows = [
        "| lever | unit | deaths at the registry low | at the high | shape |",
        "|---|---|---|---|---|",
    ]
    for ax, lever in zip(axes, LEVERS, strict=False):
        pulse = "2017-09" if lever == "kurdish_referendum" else None
        t = sweep(
            scenario,
            lever,
            levels(lever, SWEEP_STEPS),
            SWEEP_REPLICATES,
            ("cumulative_deaths",),
            workers=workers,
            pulse=pulse,
        )
        g = t.groupby("level")["cumulative_deaths"]
        mean, lo, hi = g.mean(), g.quantile(0.1), g.quantile(0.9)
        x = mean.index.to_numpy(dtype=float)
        ax.fill_between(x, lo.to_numpy(), hi.to_numpy(), color="#56B4E9", alpha=0.3, lw=0)
        ax.plot(x, mean.to_numpy(), color="#0072B2", lw=1.8)
        p = REGISTRY[lever]
        ax.set_title(lever.replace("_", " "), fontsize=10)
        ax.set_xlabel(p.unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:.0f}k")
        shape = _shape(mean.to_numpy(dtype=float), x)
        rows.append(
            f"| `{lever}` | {p.unit} | {_fmt(mean.iloc[0])} | {_fmt(mean.iloc[-1])} | {shape} |"
        )
    for ax in axes[len(LEVERS) :]:
        ax.set_visible(False)
    for ax in axes[::4]:
        ax.set_ylabel("deaths", fontsize=8)
    fig.suptitle(
        f"Deaths in Iraq (civilians and security forces) over {scenario.horizon} months, "
        "each lever held constant over its range, the baseline otherwise\n"
        f"line: mean of {SWEEP_REPLICATES} replicates (common random numbers); band: 10-90% of "
        "replicates; parameters fixed at their defaults",
        fontsize=10,
    )
    fig.savefig(path)
    return "\n".join(rows)


def write(root: Path = ROOT, workers: int = 2) -> Path:
    """Run, draw and rewrite the generated part of docs/ODD.md; returns the page."""
    from model.files.scenario import load_scenario

    docs = root / "docs"
    img = docs / "img"
    img.mkdir(parents=True, exist_ok=True)
    results, mechanisms = demo_tables(root / "scenarios" / "demo_batch.yaml", workers=workers)
    base = load_scenario(root / "scenarios" / "baseline_historical.yaml").with_changes(
        horizon=60, parameters={"persons_per_agent": 10000}, levels=("national",)
    )
    response = lever_figure(base, img / "lever_response.png", workers=workers)
    part = [
        START,
        f"Model fingerprint: `{fingerprint(root)}` (generated by `make odd`; "
        "`tests/test_docs.py` fails when the model has changed since).",
        "",
        f"**Demo scenarios** ({REPLICATES} replicates each, April 2017 - March 2027, parameters "
        "at their registry defaults): median and, in brackets, the 5-95% range over replicates. "
        "These intervals cover replicate noise only (common random numbers), not parameter "
        "uncertainty. Relapse is the share of runs with a resurgence; outcome classes count runs.",
        "",
        results,
        "",
        "**The mechanisms behind them**: monthly national values averaged over the horizon "
        "(median over replicates).",
        "",
        mechanisms,
        "",
        "**Lever-response curves**: deaths over 60 months against each lever held constant "
        f"over its registry range in 5% steps (baseline otherwise, {SWEEP_REPLICATES} replicates, "
        "10,000 persons per agent).",
        "",
        response,
        "",
        "![Lever-response curves](img/lever_response.png)",
        END,
    ]
    page = docs / "ODD.md"
    text = page.read_text(encoding="utf-8")
    if START not in text:
        raise ValueError(f"{page}: no {START} marker")
    a, b = text.index(START), text.index(END) + len(END)
    page.write_text(text[:a] + "\n".join(part) + text[b:], encoding="utf-8")
    return page


if __name__ == "__main__":  # pragma: no cover - `make odd`
    print(write())
