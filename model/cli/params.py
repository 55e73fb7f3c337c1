"""``stabsim params``: the parameter and lever registry as a table or as Markdown."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from model.cli.common import EXIT_OK, Subcommand, num
from model.simulation import parameters as _parameters

HELP = "print the parameter and lever registry"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``params`` command's arguments to a parser."""
    p.add_argument("--kind", choices=_parameters.KINDS, help="only entries of this kind")
    p.add_argument(
        "--markdown", action="store_true", help="print the Markdown page docs/parameters.md"
    )


def run(args: argparse.Namespace) -> int:
    """Print the registry as an aligned table, or as Markdown with ``--markdown``."""
    if args.markdown:
        sys.stdout.write(_parameters.markdown_table())
        return EXIT_OK
    entries = [p for p in _parameters.REGISTRY.values() if args.kind in (None, p.kind)]
    print(params_table(entries))
    return EXIT_OK


def params_table(entries: Sequence[_parameters.Parameter], meaning_width: int = 60) -> str:
    """Registry entries as an aligned text table (the meaning truncated to ``meaning_width``)."""
    header = ("name", "kind", "default", "range", "unit", "source", "meaning")
    rows = [header]
    for p in entries:
        meaning = p.meaning
        if p.choices:
            meaning = ", ".join(f"{k}={num(v)}" for k, v in p.choices.items()) + "; " + meaning
        if len(meaning) > meaning_width:
            meaning = meaning[: meaning_width - 3].rstrip() + "..."
        rows.append(
            (
                p.name,
                p.kind,
                num(p.default),
                f"{num(p.low)} - {num(p.high)}",
                p.unit,
                p.source,
                meaning,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for i, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in [*widths, len(header[-1])]))
    return "\n".join(lines)


COMMAND = Subcommand("params", HELP, add_arguments, run)
