"""Regenerate the figures of docs/compare.md from a demo batch folder.

    python scripts/compare_figures.py runs/demo-<YYYYmmdd-HHMMSS>

Draws each view the page shows from the stored runs (at a resolution for the web page) into
docs/img/compare/, and the decision summary, an HTML table, as a picture of the table rendered
by headless Chromium (/usr/bin/chromium; skipped with a note if it is missing).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from model.analysis import compare as C
from model.analysis.compare.markup import CSS, scenario_header
from model.analysis.compare.sections import decision_html

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "compare"
DPI = 80
CHROMIUM = Path("/usr/bin/chromium")


def figures(folder: Path) -> None:
    """Every figure of the page, drawn from the batch."""
    res = C.open_results(folder)
    ref = res.scenarios[0]
    views = {
        "variance_split.png": C.variance_chart(res),
        "fan_grid.png": C.fan_grid(res),
        "differences_over_time.png": C.difference_chart(res, ref),
        "differences_forest.png": C.forest_plot(
            res,
            ref,
            [
                "cumulative_deaths",
                "battle_deaths_final_year",
                "resurgence",
                "idps_final",
                "mean_stability_last24",
                "us_troop_years",
            ],  # fmt: skip
        ),
        "robustness.png": C.robustness_chart(res, ref, C.DEFAULT_RANK_BY),
        "satisficing.png": C.satisficing_chart(res),
        "survival.png": C.survival_chart(res, reference=ref),
    }
    if "withdrawal_from" in res.uncertain:
        views["response_withdrawal_from.png"] = C.response_chart(
            res, "withdrawal_from", ["cumulative_deaths", "battle_deaths_final_year", "resurgence"]
        )
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fig in views.items():
        fig.savefig(OUT / name, dpi=DPI)
        print(OUT / name)


def decision_picture(folder: Path) -> None:
    """The decision summary table as a PNG (Chromium screenshot, white margin trimmed)."""
    if not CHROMIUM.exists():
        print(f"note: {CHROMIUM} not found: decision.png not redrawn")
        return
    from PIL import Image, ImageChops

    res = C.open_results(folder)
    dec = C.decision_summary(res)
    page = (
        f'<html><head><meta charset="utf-8"><style>{CSS} body {{ max-width: 1250px; }}</style>'
        f"</head><body>{decision_html(dec, scenario_header(res, res.scenarios))}</body></html>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "decision.html"
        html.write_text(page, encoding="utf-8")
        shot = Path(tmp) / "shot.png"
        subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={Path(tmp) / 'profile'}", f"--screenshot={shot}",
             "--window-size=1320,1500", html.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        image = Image.open(shot).convert("RGB")
        box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
        if box:
            image = image.crop((0, 0, image.width, min(image.height, box[3] + 20)))
        image.save(OUT / "decision.png", optimize=True)
        print(OUT / "decision.png")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    figures(folder)
    decision_picture(folder)
