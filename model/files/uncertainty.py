"""The ``uncertainty:`` of a scenario or batch file: which parameters are uncertain, their
distributions, the lever-schedule variables drawn with them and how many draws (its schema).

.. code-block:: yaml

    uncertainty:
      draws: 40                    # parameter draws; every run is one draw plus one random stream
      parameters: default          # default | none | a list of registry names
      distribution: triangular     # triangular (mode: the registry default) | uniform, over the
                                   # registry range, for every parameter not under distributions:
      distributions:               # other ranges and shapes, by name
        arrest_k: [1.5, 3.5]                          # uniform over [low, high]
        recruit_rate: {distribution: loguniform}      # over the registry range
        tension0: {distribution: triangular, low: 0.3, high: 0.7}   # mode: the default
      exclude: [tension0]          # held at the scenario's values
      posterior: ../docs/calibration/2017-sequence    # rows of a calibration's posterior.csv
      schedules: {...}             # lever-schedule variables (model.files.steps)
      seed: 7                      # default: the master seed
      screen: {share: 0.7, candidates: 200}   # history matching (default); screen: none

Each uncertain parameter is drawn over its registry range, from a triangular distribution
whose mode is the registry default (the registry's best estimate, its range the plausible
extremes) unless ``distribution: uniform`` or its own ``distributions:`` entry says otherwise. The
uncertain set by default (:func:`uncertain_names`) is every registry entry of kind
``initial`` and every ``parameter`` whose source is ``assumption``, plus the effect sizes in
:data:`EFFECT_SIZES` (the source gives their direction, the size is assumed), less the
definitions of the outcomes (group ``outcomes``), the entries in :data:`HELD_FIXED` and the
calibrated ones (source ``calibration-2017``: draw them from the posterior instead). The batch
or scenario keeps the mapping as checked here; ``model.experiments.ensemble`` draws it.

``screen:`` (history matching): a draw is kept only if a run of the batch's first scenario with
it reproduces the record the model was calibrated on, i.e. passes at least ``share`` of the
calibration targets of seeds/targets.yaml that apply to its start month; candidates are tried
in order until ``draws`` are kept (at most ``candidates``, default 10 x draws, at least 60). Validation and
plausibility targets are never used. ``screen: none`` keeps every draw. Format: docs/compare.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import PlainValidator

from model.files.errors import (
    Problem,
    below,
    describe,
    excerpt,
    names_text,
    suggest,
    unknown_key,
)
from model.files.frozen import FrozenMap, freeze, thaw
from model.files.registry import range_text, registry_value
from model.files.schema import Section, check, checked
from model.files.steps import Step, check_steps
from model.files.values import SEED_RANGE, count, one_of, text
from model.files.yaml_reader import Source, abs_note, abspath, from_plain
from model.simulation.parameters import PARAMETERS, REGISTRY, Parameter

__all__ = [
    "CALIBRATED",
    "DISTRIBUTIONS",
    "EFFECT_SIZES",
    "HELD_FIXED",
    "MAX_DRAWS",
    "MAX_POSTERIOR_BYTES",
    "Screen",
    "Distribution",
    "Uncertainty",
    "UncertaintyFile",
    "is_uncertain",
    "posterior_table",
    "read_uncertainty",
    "uncertain_names",
    "written_uncertainty",
]

MAX_DRAWS = 100_000
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular", "loguniform")
CALIBRATED = "calibration-2017"
"""Registry entries with this source were fitted; the default set leaves them out."""

EFFECT_SIZES: tuple[str, ...] = (
    "hardship_family",
    "hardship_services",
    "legit_inclusion_effect",
    "legit_reconciliation_effect",
    "legit_services_effect",
    "legit_abuse_effect",
    "legit_civ_harm_effect",
    "legit_is_harm_effect",
    "legit_family_effect",
    "legit_reconciliation_backlash",
    "family_return_tension",
    "foreign_presence_backlash",
    "hardliner_inclusion",
    "reform_build_months",
    "support_concealment",
    "exposure_detection",
    "haven_growth",
    "haven_resupply",
    "haven_recruit_boost",
    "haven_attack_boost",
    "intel_coalition",
    "leadership_strike_rate",
    "leadership_loss_effect",
    "abuse_rate",
)
"""Entries with a source for the direction of their effect but an assumed size: uncertain."""

HELD_FIXED: tuple[str, ...] = ("active_floor", "seize_min_residents")
"""Assumptions that are devices or definitions, not uncertain facts: the least visible actives
(a guard against dividing by zero) and the residents that make an area governed territory."""


def is_uncertain(p: Parameter) -> bool:
    """Whether a registry entry belongs to the default uncertain set (see the module)."""
    if p.kind not in ("initial", "parameter") or p.group == "outcomes" or p.name in HELD_FIXED:
        return False
    if CALIBRATED in p.sources:
        return False
    return p.kind == "initial" or p.source == "assumption" or p.name in EFFECT_SIZES


def uncertain_names() -> tuple[str, ...]:
    """The default uncertain set, in registry order."""
    return tuple(n for n in PARAMETERS if is_uncertain(REGISTRY[n]))


@dataclass(frozen=True)
class Distribution:
    """How one parameter is drawn: ``kind`` over [``low``, ``high``] (``mode`` for triangular)."""

    kind: str
    low: float
    high: float
    mode: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for manifests)."""
        out: dict[str, Any] = {"distribution": self.kind, "low": self.low, "high": self.high}
        if self.mode is not None:
            out["mode"] = self.mode
        return out


@dataclass(frozen=True)
class Uncertainty:
    """A checked ``uncertainty:``.

    Attributes:
        draws: how many parameter draws.
        distributions: every independently drawn parameter and its distribution, in registry
            order.
        posterior: the posterior table (CSV) whose rows are drawn jointly, or None.
        steps: the lever-schedule variables drawn with the parameters.
        seed: the seed of the draws, or None for the master seed.
        written: the mapping as checked (plain data).
        screen: the history matching of the draws, or None (every draw kept).
    """

    draws: int
    distributions: Mapping[str, Distribution]
    posterior: str | None
    steps: Mapping[str, Step]
    seed: int | None
    written: Mapping[str, Any]
    screen: Screen | None = None


_PARAMS_ALLOWED = "default, none, or a list of registry parameters"
_DIST_ALLOWED = (
    "[low, high] (uniform), or {distribution: uniform | triangular | loguniform, low, high, mode}"
)


def _parameters(value: Any) -> Any:
    if value in ("default", "none"):
        return value
    if not isinstance(value, list | tuple):
        raise Problem(
            f"expected default, none or a list, got {describe(value)}", allowed=_PARAMS_ALLOWED
        )
    return tuple(below(i, _parameter_name, v) for i, v in enumerate(value))


def _parameter_name(value: Any) -> str:
    if value in PARAMETERS:
        return value
    if value in REGISTRY:
        raise Problem(
            f"{value} is a {REGISTRY[value].kind}: draw lever schedules under schedules:",
            allowed="registry parameters (stabsim params)",
        )
    raise Problem(
        f"unknown parameter {value!r}",
        allowed=names_text(PARAMETERS, what="registry parameters (stabsim params)"),
        suggestion=suggest(value, PARAMETERS),
    )


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise Problem(f"expected a list of names, got {describe(value)}", allowed=_PARAMS_ALLOWED)
    return tuple(below(i, _parameter_name, v) for i, v in enumerate(items))


SHAPES: tuple[str, ...] = ("triangular", "uniform")
"""Shapes of the default distribution over a registry range."""


def _distribution(value: Any, p: Parameter, shape: str = "uniform") -> Distribution:
    if value is None:
        mode = float(p.default) if shape == "triangular" else None
        return Distribution(shape, float(p.low), float(p.high), mode)
    if isinstance(value, list | tuple):
        value = {"low": value[0], "high": value[1]} if len(value) == 2 else value
    if not isinstance(value, Mapping):
        raise Problem(
            f"expected a range or a mapping, got {describe(value)}", allowed=_DIST_ALLOWED
        )
    for key in value:
        if key not in ("distribution", "low", "high", "mode"):
            raise Problem(
                f"unknown key {key!r}",
                allowed="distribution, low, high, mode",
                suggestion=suggest(key, ("distribution", "low", "high", "mode")),
                on_key=True,
                at=(key,),
            )
    kind = value.get("distribution", "uniform")
    if kind not in DISTRIBUTIONS:
        raise Problem(
            f"unknown distribution {describe(kind)}",
            allowed=", ".join(DISTRIBUTIONS),
            suggestion=suggest(kind, DISTRIBUTIONS),
            at=("distribution",),
        )
    allowed = range_text(p)
    low = below("low", registry_value, value.get("low", p.low), p, allowed)
    high = below("high", registry_value, value.get("high", p.high), p, allowed)
    if not low < high:
        raise Problem(f"low {low:g} is not below high {high:g}", allowed="low < high")
    mode = None
    if kind == "triangular":
        mode = below("mode", registry_value, value.get("mode", p.default), p, allowed)
        if not low <= mode <= high:
            raise Problem(
                f"mode {mode:g} is outside [{low:g}, {high:g}]",
                allowed="a mode between low and high (default: the registry default)",
                at=("mode",),
            )
    if kind == "loguniform" and low <= 0:
        raise Problem(
            f"a log-uniform distribution needs low > 0, got {low:g}", allowed="low > 0", at=("low",)
        )
    return Distribution(kind, float(low), float(high), None if mode is None else float(mode))


def _distributions(value: Any) -> FrozenMap:
    if value is None:
        return FrozenMap()
    if not isinstance(value, Mapping):
        raise Problem(f"expected a mapping, got {describe(value)}", allowed="name: distribution")
    out = {}
    for name, spec in value.items():
        try:
            _parameter_name(name)
        except Problem as exc:
            raise Problem(exc.message, allowed=exc.allowed, suggestion=exc.suggestion,
                          on_key=True, at=(name,)) from None  # fmt: skip
        out[name] = below(name, _distribution, spec, REGISTRY[name])
    return FrozenMap(out)


def _seed(value: Any) -> int | None:
    return None if value is None else count(value, *SEED_RANGE, "a whole number >= 0")


def _posterior(value: Any, base: str, confine: bool = True) -> str | None:
    if value is None:
        return None
    written = text(value, "a calibration folder or its posterior.csv, relative to this file")
    target = Path(base, written)
    if confine:  # like every file a user's file names: it lies where references may point
        from model.files.confine import reference

        what = "calibration folder or posterior.csv"
        target = reference(written, base, what=what, folder=os.path.isdir(target))
        if os.path.isdir(target):
            target = reference(os.path.join(written, "posterior.csv"), base, what=what)
    elif os.path.isdir(target):
        target = target / "posterior.csv"
    if not os.path.isfile(target):
        raise Problem(
            f"posterior not found: {written}{abs_note(written, target)}",
            allowed="a folder written by `stabsim calibrate` (with posterior.csv) or a CSV file",
        )
    posterior_table(target, written)  # checked whole now, not when the runs start
    return abspath(target)


MAX_POSTERIOR_BYTES = 64 * 1024 * 1024
"""Largest posterior table read (a calibration's is a few kB)."""
_POSTERIOR_ALLOWED = "a posterior.csv written by `stabsim calibrate`"
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def posterior_table(
    path: str | os.PathLike[str], shown: str | None = None
) -> tuple[list[str], np.ndarray]:
    """The parameter columns of a posterior table and its rows (the accepted ones, if it has an
    ``accepted`` column), every value checked against the registry.

    Raises:
        Problem: a table that cannot be read, without parameter columns or rows, with a
            column twice, or with a value that is not a number in the parameter's range.
    """
    import csv

    from model.files.confine import read_text
    from model.files.errors import ConfigError

    shown = shown or os.fspath(path)
    try:
        content = read_text(path, shown, noun="posterior table", limit=MAX_POSTERIOR_BYTES)
        rows = list(csv.reader(content.splitlines()))
    except ConfigError as exc:
        raise Problem(str(exc), allowed=_POSTERIOR_ALLOWED) from None
    except csv.Error as exc:
        raise Problem(f"{shown}: not a CSV table ({exc})", allowed=_POSTERIOR_ALLOWED) from None
    header = [c.strip() for c in rows[0]] if rows else []
    names = [c for c in header if c in PARAMETERS]
    if not names:
        raise Problem(
            f"{shown} has no column named after a registry parameter", allowed=_POSTERIOR_ALLOWED
        )
    twice = [c for c in dict.fromkeys(header) if c and header.count(c) > 1]
    if twice:
        raise Problem(f"{shown}: the column {excerpt(twice[0])} is there twice")
    columns = [header.index(n) for n in names]
    accepted = header.index("accepted") if "accepted" in header else None
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise Problem(f"{shown}:{line}: {len(row)} value(s) for {len(header)} columns")
        if accepted is not None:
            flag = row[accepted].strip().lower()
            if flag not in _TRUE + _FALSE:
                raise Problem(
                    f"{shown}:{line}: accepted: {excerpt(row[accepted])} is not true or false"
                )
            if flag in _FALSE:
                continue
        values = []
        for i, name in zip(columns, names, strict=True):
            try:
                values.append(registry_value(row[i].strip(), REGISTRY[name]))
            except Problem as exc:
                raise Problem(
                    f"{shown}:{line}: {name}: {exc.message}", allowed=exc.allowed
                ) from None
        out.append(values)
    if not out:
        raise Problem(f"{shown}: the posterior has no (accepted) rows", allowed=_POSTERIOR_ALLOWED)
    return names, np.array(out, dtype=float)


def _posterior_key(value: Any, info: Any) -> str | None:
    context = info.context or {}
    base = context.get("posterior_base") or os.getcwd()
    return _posterior(value, base, context.get("confine", True))


SCREEN_SHARE = 0.7
"""Default share of the calibration targets a draw must pass to be kept."""
SCREEN_FACTOR = 10
"""Default candidates tried per draw kept (about one in five is kept at the defaults)."""
SCREEN_LEAST = 60
"""Fewest candidates tried by default (a small ensemble must not fail by chance)."""


@dataclass(frozen=True)
class Screen:
    """History matching of an ensemble's draws (``screen:``).

    Attributes:
        share: the least share of the calibration targets a kept draw passes.
        candidates: most candidate draws tried (None: ``SCREEN_FACTOR`` x draws).
    """

    share: float = SCREEN_SHARE
    candidates: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"share": self.share, "candidates": self.candidates}


_SCREEN_ALLOWED = "none, history, or {share: 0-1, candidates: a whole number}"


def _screen(value: Any) -> Screen | None:
    if value in ("none", False):
        return None
    if value in ("history", True, None):
        return Screen()
    if not isinstance(value, Mapping):
        raise Problem(f"expected none, history or a mapping, got {describe(value)}",
                      allowed=_SCREEN_ALLOWED)  # fmt: skip
    unknown = [k for k in value if k not in ("share", "candidates")]
    if unknown:
        raise unknown_key(unknown[0], ("share", "candidates"))
    share = value.get("share", SCREEN_SHARE)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise Problem(
            f"{describe(share)} is not a share", allowed="a number in 0 - 1 (above 0)"
        ).below("share")
    cand = value.get("candidates")
    if cand is not None:
        most = MAX_DRAWS * SCREEN_FACTOR
        cand = below("candidates", count, cand, 1, most, f"a whole number in 1 - {most:,}")
    return Screen(float(share), cand)


class UncertaintyFile(Section):
    """``uncertainty:`` as written (a relative ``posterior:`` starts from the context's
    ``posterior_base``, the directory of the file that writes it)."""

    required: ClassVar[Mapping[str, str]] = {"draws": f"draws: a whole number in 1 - {MAX_DRAWS:,}"}
    shape: ClassVar[str | None] = (
        "draws, parameters, distribution, distributions, exclude, posterior, schedules, seed, "
        "screen"
    )

    draws: Annotated[int, checked(count, 1, MAX_DRAWS, f"a whole number in 1 - {MAX_DRAWS:,}")]
    parameters: Annotated[Any, checked(_parameters)] = "default"
    distribution: Annotated[str, checked(one_of, SHAPES, "distribution")] = "triangular"
    distributions: Annotated[Mapping, checked(_distributions)] = FrozenMap()
    exclude: Annotated[tuple[str, ...], checked(_names)] = ()
    posterior: Annotated[str | None, PlainValidator(_posterior_key)] = None
    schedules: Annotated[Mapping, checked(check_steps, False, True)] = FrozenMap()
    seed: Annotated[int | None, checked(_seed)] = None
    screen: Annotated[Screen | None, checked(_screen)] = Screen()


def written_uncertainty(raw: Any, spec: UncertaintyFile | None) -> FrozenMap | None:
    """The ``uncertainty:`` mapping a scenario or batch keeps: as written, with the posterior's
    path made absolute (so that it loads from anywhere)."""
    if spec is None:
        return None
    data = dict(thaw(raw))
    if spec.posterior is not None:
        data["posterior"] = spec.posterior
    return freeze(data)


def read_uncertainty(written: Mapping[str, Any]) -> Uncertainty:
    """The checked uncertainty of a mapping kept by a batch or scenario (``written_uncertainty``).

    Raises:
        ConfigError: a mistake (e.g. a posterior file that has gone since the file was read).
    """

    tree = from_plain(thaw(written), Source(None, os.getcwd(), ("uncertainty",)))
    spec = check(UncertaintyFile, tree)
    chosen = spec.parameters
    names = list(uncertain_names()) if chosen == "default" else [] if chosen == "none" else chosen
    names = [n for n in names if n not in spec.exclude]
    posterior = spec.posterior
    drawn_jointly = set(_posterior_names(posterior)) if posterior else set()
    dists = {}
    for name in PARAMETERS:
        if name in drawn_jointly or name in spec.exclude:
            continue
        if name in spec.distributions:
            dists[name] = spec.distributions[name]
        elif name in names:
            dists[name] = _distribution(None, REGISTRY[name], spec.distribution)
    return Uncertainty(
        spec.draws, FrozenMap(dists), posterior, spec.schedules, spec.seed, written, spec.screen
    )


def _posterior_names(path: str) -> list[str]:
    return posterior_table(path)[0]
