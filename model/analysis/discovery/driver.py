"""The scenario-discovery driver: open a stored batch or study, evaluate a condition per run,
search the varied space for where it holds, and write the tables, figure and summary.

The steps every method shares (:func:`discovery_cases`, :func:`write_discovery`) are separate
from the search: PRIM (``prim``) and a classification tree (``cart``) sit side by side.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from model.analysis.discovery.cart import CartResult, cart, plot_cart
from model.analysis.discovery.common import (
    OUTPUT_DIR,
    StudyError,
    relative,
    save_figure,
    write_table,
    write_text,
)
from model.analysis.discovery.conditions import condition_values
from model.analysis.discovery.prim import PrimResult, plot_prim, prim
from model.files.conditions import Condition, parse_condition
from model.files.errors import suggest

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class DiscoveryCases:
    """What a discovery method searches.

    Attributes:
        folder: the batch folder.
        condition: the condition, parsed.
        names: the dimensions to search.
        cases: one row per finished run: ``run_id, design_point, replicate, value, holds`` and
            the varied values.
        bounds: name -> (low, high) of the full space, per dimension searched.
    """

    folder: Path
    condition: Condition
    names: list[str]
    cases: pd.DataFrame
    bounds: dict[str, Sequence[float]]


def discovery_cases(
    folder: str | os.PathLike[str],
    condition: str | Condition,
    names: Sequence[str] | None = None,
    scenario: str | None = None,
) -> DiscoveryCases:
    """The runs of a stored batch or study, whether the condition holds in each, and the space.

    Raises:
        StudyError: no design, no finished run, or an unknown name or scenario.
        ValueError: a condition that cannot be read.
    """
    from model.experiments.batchfiles import StoreError
    from model.experiments.results import open_batch

    folder = Path(folder)
    try:
        results = open_batch(folder)
    except StoreError as exc:
        raise StudyError(str(exc)) from None
    cond = condition if isinstance(condition, Condition) else parse_condition(condition)
    varied = [*results.varied, *results.uncertain]
    if not varied:
        raise StudyError(
            f"{folder}: the batch varies nothing (no design, no parameter ensemble): nothing "
            "to discover over"
        )
    dims = list(names) if names else varied
    for n in dims:
        if n not in varied:
            near = suggest(n, varied)
            raise StudyError(
                f"{n!r} is not varied in {folder}; allowed: {', '.join(varied)}"
                + (f"; did you mean '{near}'?" if near else "")
            )
    if scenario is None and len(results.scenarios) > 1:
        raise StudyError(
            f"{folder} holds {len(results.scenarios)} scenarios: choose one ({', '.join(results.scenarios)})"
        )
    if scenario is not None and scenario not in results.scenarios:
        raise StudyError(
            f"no scenario {scenario!r} in {folder}; allowed: {', '.join(results.scenarios)}"
        )
    values = condition_values(results, cond, scenario)
    if values.empty:
        raise StudyError(f"{folder}: no finished runs")
    design = results.design()
    cases = values.merge(design, on="design_point", how="left")
    bounds_list = (results.manifest.get("design") or {}).get("bounds") or []
    bounds = {n: b for n, b in zip(results.varied, bounds_list, strict=False)}
    if results.uncertain:  # the ensemble's draws, by each run's draw
        runs = results.summary(scenarios=[scenario] if scenario else None, columns=[])
        cases = cases.merge(runs[["run_id", "draw"]], on="run_id", how="left")
        cases = cases.merge(results.draws(), on="draw", how="left")
        bounds.update((results.ensemble or {}).get("bounds") or {})
    full = {n: bounds.get(n, (cases[n].min(), cases[n].max())) for n in dims}
    return DiscoveryCases(folder, cond, dims, cases, full)


def write_discovery(
    data: DiscoveryCases,
    target: Path,
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Figure],
    summary: str,
) -> list[str]:
    """Write a method's tables (Parquet and CSV), figures (PNG) and ``summary.md`` to ``target``.

    Returns:
        The tables and figures written, relative to the batch folder.
    """
    target.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    for name, table in tables.items():
        files += write_table(table, target / name, data.folder)
    for name, fig in figures.items():
        save_figure(fig, target / name)
        files.append(relative(target / name, data.folder))
    text = f"# {data.condition.text}\n\n{data.folder}\n\n" + summary.replace("\n", "\n\n") + "\n"
    write_text(text, target / "summary.md")
    return files


@dataclass
class DiscoveryResult:
    """Scenario discovery on a stored batch.

    Attributes:
        folder: the batch folder.
        condition: the condition, normalised.
        prim: the boxes found by PRIM (None when only the tree was asked for).
        cases: one row per run: varied values, ``value`` and ``holds``.
        out: where tables and the figure were written.
        files: the files written.
        cart: the classification tree (None unless asked for).
    """

    folder: Path
    condition: str
    prim: PrimResult | None
    cases: pd.DataFrame
    out: Path
    files: list[str] = field(default_factory=list)
    cart: CartResult | None = None

    def describe(self) -> str:
        """The boxes (and the tree's leaves) in a few lines of text."""
        parts = []
        if self.prim is not None:
            parts.append(("PRIM:\n" if self.cart is not None else "") + self.prim.describe())
        if self.cart is not None:
            parts.append("CART:\n" + self.cart.describe())
        return "\n".join(parts)


def discover(
    folder: str | os.PathLike[str],
    condition: str | Condition,
    *,
    names: Sequence[str] | None = None,
    scenario: str | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    threshold: float = 0.8,
    paste: bool = False,
    max_boxes: int = 2,
    out: str | os.PathLike[str] | None = None,
    figure: bool = True,
    method: str = "prim",
    depth: int = 3,
) -> DiscoveryResult:
    """Find where in the varied space a condition holds (PRIM, a CART tree or both), on a
    stored batch, study or ensemble.

    Args:
        folder: a batch or study folder whose design varies levers or parameters (best a
            Latin hypercube; any sample works).
        condition: e.g. ``"resurgence == 1"`` or ``"is_held_areas[36] > 0"``.
        names: the dimensions to search (default: every varied name).
        scenario: the scenario to use when the batch has several.
        alpha, min_mass, threshold, paste, max_boxes: PRIM settings (:func:`prim`).
        out: output folder (default ``<folder>/sensitivity/discovery/<condition>/``).
        figure: draw ``prim.png`` (and ``cart.png``).
        method: ``"prim"``, ``"cart"`` or ``"both"``.
        depth: the deepest split of the tree (CART).

    Raises:
        StudyError: no design, no finished run, or an unknown name or scenario.
        ValueError: a condition that cannot be read.
    """
    if method not in METHODS:
        raise StudyError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    data = discovery_cases(folder, condition, names, scenario)
    cases, cond = data.cases, data.condition
    found = tree = None
    tables: dict[str, pd.DataFrame] = {"cases": cases}
    figures: dict[str, Figure] = {}
    if method in ("prim", "both"):
        found = prim(
            cases[data.names],
            cases["holds"].to_numpy(),
            bounds=data.bounds,
            alpha=alpha,
            min_mass=min_mass,
            threshold=threshold,
            paste=paste,
            max_boxes=max_boxes,
        )
        tables.update(boxes=found.boxes, limits=found.limits, trajectory=found.trajectory)
        if figure and not found.boxes.empty:
            figures["prim.png"] = plot_prim(found, cond.text)
    if method in ("cart", "both"):
        tree = cart(cases[data.names], cases["holds"].to_numpy(), max_depth=depth)
        tables.update(cart_leaves=tree.leaves, cart_limits=tree.limits,
                      cart_importance=tree.importance)  # fmt: skip
        if figure:
            figures["cart.png"] = plot_cart(tree, cond.text)
    target = Path(out) if out is not None else data.folder / OUTPUT_DIR / "discovery" / cond.slug
    result = DiscoveryResult(data.folder, cond.text, found, cases, target, cart=tree)
    result.files += write_discovery(data, target, tables, figures, result.describe())
    if tree is not None:
        write_text(tree.text, target / "cart.txt")
        result.files.append(str(target / "cart.txt"))
    return result


METHODS: tuple[str, ...] = ("prim", "cart", "both")
