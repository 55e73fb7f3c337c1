"""Scenario comparison: figures, paired differences, summary table, map, report and command.

One small batch over a parameter ensemble (3 scenarios x 2 parameter draws x 2 replicates x 24
months, run serially, with a withdrawal month drawn for one scenario) and one report are made
per test session; every figure is built from them and its content checked. The report is
opened in headless Chromium when /usr/bin/chromium exists.
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.dates import DateFormatter
from matplotlib.path import Path as MplPath

from model.analysis import compare as C
from model.analysis.compare.display import lever_differences
from model.analysis.compare.report import build_report, write_report
from model.cli.compare import add_arguments, main, run
from model.experiments.results import BatchResults, open_batch
from model.files.errors import ConfigError
from model.simulation.outcomes import MONTHLY, SUMMARY

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCENARIOS = ["baseline", "withdraw", "politics"]
OUTCOMES = ["incidents", "is_fighters", "stability"]
RUNS = 4  # per scenario: 2 parameter draws x 2 replicates

# "politics" records no area level, so maps of all three scenarios fall back to governorates
# and maps of the first two show control by area.
BATCH = """\
batch: cmp
description: Three scenarios for the comparison tests.
seed: 2017
replicates: 2
uncertainty:
  draws: 2
  screen: none          # history matching: tests/test_uncertainty.py
  schedules:
    late:
      from: [2018-01, 2018-12]
      set: {us_troops: [0, 2500]}
      scenarios: [withdraw]
scenarios:
  - name: baseline
    horizon: 24
    levels: [national, governorate, area]
  - name: withdraw
    horizon: 24
    levels: [national, governorate, area]
    levers:
      us_troops:
        - {from: 2017-04, value: 5200}
        - {from: 2017-10, value: 0}
  - name: politics
    horizon: 24
    levers: {reconciliation: 0.7, sunni_inclusion: 0.7, aid: 100}
"""


@pytest.fixture(scope="session")
def batch(tmp_path_factory: pytest.TempPathFactory) -> BatchResults:
    from model.experiments.batches import run_batch

    folder = tmp_path_factory.mktemp("compare")
    path = folder / "cmp.yaml"
    path.write_text(BATCH, encoding="utf-8")
    results = run_batch(path, out=folder / "cmp", executor="serial", progress=False)
    assert results.counts() == {"ok": 12, "failed": 0, "missing": 0}
    return results


@pytest.fixture(scope="session")
def report(batch: BatchResults, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "compare"
    return write_report(batch, out, outcomes=OUTCOMES)


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    out.append(fig.get_suptitle())
    for sub in fig.subfigs:
        out += _texts(sub)
    for legend in fig.legends:
        out += [t.get_text() for t in legend.get_texts()]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return out


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


# ---- fan charts -------------------------------------------------------------------------------


def test_quantile_bands_enclose_the_median(batch: BatchResults) -> None:
    for name in OUTCOMES:
        q = C.monthly_quantiles(batch, name)
        assert list(dict.fromkeys(q["scenario"])) == SCENARIOS
        assert (q.groupby("scenario")["month"].count() == 24).all()
        assert (q["runs"] == RUNS).all()
        cols = ["p5", "p25", "median", "p75", "p95"]
        values = q[cols].to_numpy()
        assert (np.diff(values, axis=1) >= 0).all(), f"{name}: bands out of order"


def test_fan_chart_names_scenarios_units_and_dates(batch: BatchResults) -> None:
    fig = C.fan_chart(batch.path, "incidents")  # a path works as well as a BatchResults
    legend = _legend_texts(fig)
    for name in SCENARIOS:
        assert name in legend
    assert {"median of runs", "middle 50% of runs", "middle 90% of runs"} <= set(legend)
    ax = fig.axes[0]
    assert ax.get_ylabel() == MONTHLY["incidents"].unit
    assert "Incidents" in ax.get_title()
    assert isinstance(ax.xaxis.get_major_formatter(), DateFormatter)
    # The median lines are the medians of the runs, drawn in the Okabe-Ito colours.
    q = C.monthly_quantiles(batch, "incidents")
    lines = [ln for ln in ax.get_lines() if ln.get_label() in SCENARIOS]
    assert [ln.get_label() for ln in lines] == SCENARIOS
    for line in lines:
        expected = q.loc[q["scenario"] == line.get_label(), "median"].to_numpy()
        np.testing.assert_array_equal(np.asarray(line.get_ydata(), dtype=float), expected)
    colours = C.scenario_colours(batch)
    assert [ln.get_color() for ln in lines] == [colours[s] for s in SCENARIOS]
    assert len(set(colours.values())) == 3 and set(colours.values()) <= set(C.OKABE_ITO)


def test_fan_grid_has_a_panel_per_outcome(batch: BatchResults) -> None:
    fig = C.fan_grid(batch, OUTCOMES)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [C.title(o) for o in OUTCOMES]
    assert [ax.get_ylabel() for ax in visible] == [MONTHLY[o].unit for o in OUTCOMES]
    assert set(SCENARIOS) <= set(_legend_texts(fig))


def test_governorate_fan_chart(batch: BatchResults) -> None:
    fig = C.fan_chart(batch, "incidents", scenarios=["baseline", "politics"], level="governorate",
                      unit="Nineveh")  # fmt: skip
    assert "Nineveh governorate" in fig.axes[0].get_title()
    legend = _legend_texts(fig)
    assert "baseline" in legend and "politics" in legend and "withdraw" not in legend


# ---- paired differences -----------------------------------------------------------------------


def test_a_scenario_minus_itself_is_exactly_zero(batch: BatchResults) -> None:
    runs = C.paired_differences(batch, reference="withdraw", scenarios=["withdraw"])
    assert set(runs["outcome"]) == {o.name for o in SUMMARY.values() if o.unit != C.DATE_UNIT}
    for col in ("mean", "ci_low", "ci_high", "median"):
        assert (runs[col] == 0.0).all(), col
    monthly = C.monthly_differences(batch, "withdraw", OUTCOMES, ["withdraw"], statistic="mean")
    assert len(monthly) == 24 * len(OUTCOMES)
    for col in ("difference", "ci_low", "ci_high"):
        assert (monthly[col] == 0.0).all(), col


def test_differences_pair_replicate_r_with_replicate_r(batch: BatchResults) -> None:
    summary = C.read_summary(batch)
    a = summary[summary["scenario"] == "politics"].set_index("replicate")["cumulative_deaths"]
    b = summary[summary["scenario"] == "baseline"].set_index("replicate")["cumulative_deaths"]
    diffs = C.paired_differences(batch, "baseline", ["cumulative_deaths"], ["politics"])
    row = diffs.iloc[0]
    assert row["pairs"] == RUNS
    assert row["mean"] == pytest.approx((a - b).mean())
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    # Withdrawal starts in October 2017: until then both scenarios draw the same numbers and
    # take the same decisions, so the paired difference is exactly zero.
    monthly = C.monthly_differences(batch, "baseline", ["is_fighters"], ["withdraw"])
    early = monthly[monthly["month"] < "2017-10-01"]
    assert len(early) == 6 and (early["difference"] == 0.0).all()


def test_bootstrap_is_reproducible(batch: BatchResults) -> None:
    a = C.paired_differences(batch)
    b = C.paired_differences(open_batch(batch.path), scenarios=["politics", "withdraw"])
    key = ["scenario", "outcome"]
    merged = a.merge(b, on=key, suffixes=("", "_again"))
    assert len(merged) == len(a)
    for col in ("mean", "ci_low", "ci_high"):
        np.testing.assert_array_equal(merged[col], merged[f"{col}_again"])


def test_difference_chart_and_forest_plot(batch: BatchResults) -> None:
    fig = C.difference_chart(batch, "baseline", OUTCOMES)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(OUTCOMES)
    assert all(ax.get_ylabel().startswith("difference, ") for ax in visible)
    legend = _legend_texts(fig)
    assert "withdraw" in legend and "politics" in legend and "baseline" not in legend
    assert "from baseline" in fig.get_suptitle()

    forest = C.forest_plot(batch, reference="politics", outcomes=["cumulative_deaths"])
    ax = forest.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["baseline", "withdraw"]
    assert ax.get_xlabel() == "difference, deaths"
    assert "politics mean" in ax.get_title()


def test_summaries_with_dates_in_different_units_are_read(
    batch: BatchResults, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = tmp_path / "cmp"
    shutil.copytree(batch.path, copy)
    for unit, part in (("ms", "baseline"), ("us", "politics")):
        for f in (copy / "summary" / part).glob("*.parquet"):
            table = pq.read_table(f)
            i = table.schema.get_field_index("resurgence_month")
            field = pa.field("resurgence_month", pa.timestamp(unit))
            pq.write_table(table.set_column(i, field, table.column(i).cast(field.type)), f)
    summary = C.read_summary(open_batch(copy))
    assert list(dict.fromkeys(summary["scenario"])) == SCENARIOS and len(summary) == 12
    assert list(C.summary_table(copy).index) == SCENARIOS


# ---- summary table ----------------------------------------------------------------------------


def test_summary_table_has_a_row_per_scenario(batch: BatchResults) -> None:
    table = C.summary_table(batch)
    assert list(table.index) == SCENARIOS
    assert (table["runs"] == RUNS).all()
    for name in ("cumulative_deaths", "peak_incidents", "mean_stability_last24"):
        assert (table[f"{name}_p5"] <= table[f"{name}_median"]).all()
        assert (table[f"{name}_median"] <= table[f"{name}_p95"]).all()
    p = table["resurgence_probability"]
    assert ((table["resurgence_low"] <= p) & (p <= table["resurgence_high"])).all()
    assert "defeat_month_median" in table.columns
    assert C.wilson(0, 3) == (0.0, pytest.approx(0.5615, abs=1e-4))
    assert C.wilson(5, 10) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))


# ---- map --------------------------------------------------------------------------------------


def test_outline_holds_the_iraqi_areas_and_not_the_syrian_ones() -> None:
    from model.data import default_state

    areas = default_state().areas
    outline = MplPath(C._IRAQ_OUTLINE)
    inside = outline.contains_points(areas[["lon", "lat"]].to_numpy())
    assert inside[areas["country"].to_numpy() == "IQ"].all()
    assert not inside[areas["country"].to_numpy() == "SY"].any()


def test_map_of_control_by_area(batch: BatchResults) -> None:
    values, level, note = C.map_values(batch, None, "control", ["baseline", "withdraw"])
    assert level == "area" and note == ""
    assert values["value"].between(0, 1).all()
    assert sorted(values["month"].dt.strftime("%Y-%m").unique()) == [
        "2017-04",
        "2018-04",
        "2019-03",
    ]
    fig = C.network_map(batch, "2017-04,2018-10", "control", ["baseline", "withdraw"])
    texts = _texts(fig)
    assert "share of runs in which IS holds the area" in texts
    assert {"2017-04", "2018-10", "baseline", "withdraw"} <= set(texts)


def test_map_falls_back_to_governorates_and_says_so(batch: BatchResults) -> None:
    values, level, note = C.map_values(batch, ["2018-04"], "control")
    assert level == "governorate" and "Area level not recorded by every scenario" in note
    assert "Nineveh" in set(values["unit"])
    fig = C.network_map(batch, ["2018-04"])
    assert any("Area level not recorded by every scenario" in t for t in _texts(fig))
    assert any("incidents per month" in t for t in _texts(fig))


# ---- report -----------------------------------------------------------------------------------


def _data_uris(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_is_self_contained_and_complete(batch: BatchResults, report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    for name in SCENARIOS:
        assert name in html
    for name in OUTCOMES:
        assert C.title(name) in html
    assert "Probability of resurgence" in html and "Month of territorial defeat" in html
    m = batch.manifest
    for fact in (m["git_revision"], str(m["master_seed"]), m["versions"]["numpy"], "12 done"):
        assert fact in html
    assert "us_troops" in html  # a lever that differs between the scenarios
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must need no network"
    images = _data_uris(html)
    written = {p.name for p in report.parent.glob("*.png")}
    assert len(images) == len(written)  # every figure written is in the page, and no other
    views = {"fan_grid.png", "differences_over_time.png", "differences_forest.png",
             "network_map.png", "variance_split.png", "variance_over_time.png", "robustness.png",
             "satisficing.png", "response_late_from.png", "response_late_us_troops.png"}  # fmt: skip
    assert views | {f"fan_{o}.png" for o in OUTCOMES} <= written
    for anchor in ("leaves-out", "decision", "variance", "robustness", "satisficing",
                   "response", "survival"):  # fmt: skip
        assert f'id="{anchor}"' in html, anchor
    assert "significan" not in html and "*</td>" not in html  # no stars, no "significant"
    assert "parameters and replicates" in html
    for data in images:
        pixels = mpimg.imread(io.BytesIO(data), format="png")
        assert pixels.shape[0] > 100 and pixels.std() > 0
    names = {p.name for p in report.parent.iterdir()}
    assert {"report.html", "summary.csv", "paired_differences.csv", "network_map.png"} <= names
    summary = pd.read_csv(report.parent / "summary.csv")
    assert list(summary["scenario"]) == SCENARIOS
    assert not [p for p in report.parent.parent.iterdir() if p.name.endswith(".tmp")]


def test_levers_that_differ(batch: BatchResults) -> None:
    table = lever_differences(batch, SCENARIOS)
    assert list(table.columns) == SCENARIOS
    rows = {i.split(" ")[0] for i in table.index}
    assert rows == {"us_troops", "reconciliation", "sunni_inclusion", "aid"}
    assert "0 from 2017-10" in table.loc["us_troops (troops)", "withdraw"]


def test_report_with_the_reference_only(batch: BatchResults) -> None:
    rep = build_report(batch, ["stability"], scenarios=["politics"], reference="politics")
    assert "differences_over_time.png" not in rep.figures
    assert "no paired differences" in rep.html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    flags = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            *flags,
            f"--user-data-dir={tmp_path / 'profile1'}",
            f"--screenshot={shot}",
            "--window-size=1400,3000",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (3000, 1400)
    assert pixels.var() > 0, "blank screenshot"
    dom = subprocess.run(
        [*flags, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = _data_uris(dom.stdout)
    assert len(rendered) == len(_data_uris(report.read_text(encoding="utf-8"))) > 0
    assert "Scenario comparison: cmp" in dom.stdout
    for heading in ("What this model leaves out", "Decision summary", "Robustness across futures",
                    "Time to relapse", "Lever response"):  # fmt: skip
        assert heading in dom.stdout, heading
    # Every table fits a 1,400-pixel window: a probe copy of the page measures them.
    probe = tmp_path / "probe.html"
    script = (
        "<script>var w = Math.max(document.documentElement.scrollWidth, ...Array.from("
        "document.querySelectorAll('table')).map(t => t.getBoundingClientRect().right));"
        "document.body.setAttribute('data-widest', Math.ceil(w));</script></body>"
    )
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", script))
    measured = subprocess.run(
        [*flags, f"--user-data-dir={tmp_path / 'profile3'}", "--window-size=1400,3000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    widest = re.search(r'data-widest="(\d+)"', measured.stdout)
    assert widest is not None, measured.stderr[-2000:]
    assert int(widest.group(1)) <= 1400


# ---- command ----------------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_command_writes_the_report(batch: BatchResults, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = run(_args(str(batch.path), "--out", str(out), "--outcomes", "stability,peak_incidents",
                     "--scenarios", "withdraw", "--reference", "politics", "--months", "2018-01",
                     "--colour-by", "incidents"))  # fmt: skip
    assert code == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "withdraw" in html and "politics" in html and "2018-01" in html
    assert (out / "fan_stability.png").exists() and not (out / "fan_incidents.png").exists()
    diffs = pd.read_csv(out / "paired_differences.csv")
    assert set(diffs["outcome"]) == {"peak_incidents"} and set(diffs["reference"]) == {"politics"}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--scenarios", "withdrw"], "--scenarios: no scenario 'withdrw'"),
        (["--reference", "polit"], "did you mean 'politics'?"),
        (["--outcomes", "incidnets"], "unknown outcome 'incidnets'"),
        (["--outcomes", "defeat_month"], "is a date"),
        (
            ["--outcomes", "stability", "--level", "governorate", "--unit", "Nineveh"],
            "has no governorate level",
        ),  # fmt: skip
        (["--level", "governorate", "--unit", "Ninevah"], "did you mean 'Nineveh'?"),
        (["--level", "governorate"], "needs --unit"),
        (["--months", "2030-01"], "not simulated"),
        (["--months", "May 2018"], "bad month"),
    ],
)
def test_command_mistakes_are_one_line_and_write_nothing(
    batch: BatchResults, tmp_path: Path, argv: list[str], expected: str, capsys
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=re.escape(expected)):
        run(_args(str(batch.path), "--out", str(out), *argv))
    assert main([str(batch.path), "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stabsim: error: ") and expected in err[0]
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_command_refuses_a_folder_that_is_not_a_batch(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("not a batch")
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a batch folder" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_stabsim_compare_when_registered(batch: BatchResults, tmp_path: Path) -> None:
    from model import cli

    if "compare" not in cli.SUBCOMMANDS:
        pytest.skip("`compare` is not registered in model/cli/__init__.py yet")
    assert cli.main(["compare", str(batch.path), "--scenarios", "nope"]) == 2
    out = tmp_path / "c"
    assert cli.main(["compare", str(batch.path), "--out", str(out), "--quiet"]) == 0
    assert (out / "report.html").exists()


# ---- the rest ---------------------------------------------------------------------------------


def test_tick_labels_are_readable() -> None:
    fmt = C.Readable()
    fmt.set_locs([0, 1e6, 2e6, 3e6])
    assert [fmt(x) for x in (0, 1e6, 2e6)] == ["0", "1M", "2M"]
    fmt.set_locs([1.5e6, 2e6, 2.5e6])
    assert [fmt(x) for x in (1.5e6, 2e6)] == ["1.5M", "2.0M"]
    fmt.set_locs([-20000, 0, 20000])
    assert [fmt(x) for x in (-20000, 0, 20000)] == ["\u221220k", "0", "20k"]
    fmt.set_locs([0, 0.25, 0.5])
    assert [fmt(x) for x in (0, 0.25, 0.5)] == ["0", "0.25", "0.50"]
    fmt.set_locs([0, 2500, 5000])
    assert fmt(2500) == "2,500"


def test_titles_are_readable() -> None:
    assert C.title("syria_is_fighters") == "IS fighters in Syria"
    assert C.title("mean_incidents_last24") == "Incidents, mean of the last 24 months"
    assert C.title("idps_final") == "Displaced persons (IDPs) at the horizon"


def test_analysis_code_does_not_import_mesa() -> None:
    code = (
        "import sys, model.analysis.compare, model.analysis.compare.report, model.cli.compare; "
        "sys.exit('mesa' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_importing_compare_keeps_the_notebook_backend() -> None:
    code = (
        "import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt; "
        "import model.analysis.compare; import sys; sys.exit(matplotlib.get_backend() != 'svg')"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.fixture(autouse=True)
def _no_stray_figures():
    import matplotlib.pyplot as plt

    yield
    assert not plt.get_fignums(), "figures must not be registered with pyplot"
