"""The markup the report's HTML is built from: the stylesheet, escaping, figures embedded as
base64 PNG, tables (a cell's line breaks kept), scenario colour swatches and key-value
tables."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from model.analysis.compare.style import scenario_colours
from model.experiments.results import BatchResults

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1250px; margin: 0 auto; padding: 1.5em 2em 4em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2.2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.6em; }
p.lead { color: #444; margin-top: 0; }
p.note, div.note { background: #fff6df; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
table { border-collapse: collapse; font-size: 0.86em; margin: 0.6em 0 1em; }
th, td { border: 1px solid #d6d6d6; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.wide { font-size: 0.82em; }
table.wide td { white-space: nowrap; padding: 0.25em 0.45em; }
table.wide tbody th { min-width: 10em; max-width: 17em; }
td small, td .sub { color: #555; font-size: 0.92em; }
div.leaves { background: #f4f7fb; border: 1px solid #c9d6e8; border-left: 5px solid #0072B2;
             padding: 0.4em 1em 0.6em; margin: 1em 0; }
div.leaves h2 { margin-top: 0.4em; border: none; font-size: 1.1em; }
div.leaves ul { margin: 0.2em 0; padding-left: 1.2em; font-size: 0.92em; }
table.decision td { vertical-align: top; font-size: 0.95em; }
table.decision td span.line { display: block; }
div.scroll { overflow-x: auto; max-width: 100%; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
          margin-right: 0.35em; vertical-align: -0.1em; }
code { background: #f3f3f3; padding: 0 0.25em; border-radius: 3px; }
details { margin: 0.5em 0; }
nav ol { columns: 2; font-size: 0.95em; }
"""


def e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def img(figures: Mapping[str, bytes], name: str, alt: str, caption: str = "") -> str:
    data = base64.b64encode(figures[name]).decode("ascii")
    cap = f"<figcaption>{caption} <code>{e(name)}</code></figcaption>" if caption else ""
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{e(alt)}" '
        f'title="{e(name)}">{cap}</figure>'
    )


def table_html(
    table: pd.DataFrame,
    css: str = "",
    header: Mapping[str, str] | None = None,
    cell: str = "num",
    bold: set[tuple[Any, Any]] | None = None,
) -> str:
    cols = list(table.columns)
    head = "".join(f"<th>{(header or {}).get(c, e(c))}</th>" for c in cols)
    idx = table.index.name or ""
    lines = [
        f'<div class="scroll"><table class="{css}"><thead><tr><th>{e(idx)}</th>{head}</tr>'
        "</thead><tbody>"
    ]
    for key, row in table.iterrows():
        cells = "".join(
            f'<td class="{cell}"><b>{cell_html(v)}</b></td>'
            if (key, col) in (bold or ())
            else f'<td class="{cell}">{cell_html(v)}</td>'
            for col, v in zip(cols, row.tolist(), strict=True)
        )
        lines.append(f"<tr><th>{e(key)}</th>{cells}</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def cell_html(value: Any) -> str:
    """A cell's text escaped, its line breaks kept (later lines in a smaller grey)."""
    first, *rest = str(value).split("\n")
    return e(first) + "".join(f"<br><small>{e(x)}</small>" for x in rest)


def scenario_header(res: BatchResults, names: Sequence[str]) -> dict[str, str]:
    colours = scenario_colours(res)
    return {n: f'<span class="swatch" style="background:{colours[n]}"></span>{e(n)}' for n in names}
