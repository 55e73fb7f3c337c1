"""The schema of sensitivity-study files: the keys a study may write and how each is checked.

Loading a study (reading the file, the scenario it starts from) is ``model.files.study``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import model_validator

from model.files.conditions import DATE_OUTCOMES, base_outcome
from model.files.errors import Problem, describe, suggest
from model.files.frozen import FrozenMap
from model.files.registry import REGISTRY_NAMES, RegistrySection, bounds
from model.files.scenario import Scenario
from model.files.schema import Section, checked, checked_after
from model.files.values import SEED_RANGE, bounded, count, flag, identifier, one_of, text
from model.simulation import outcomes as _outcomes
from model.simulation.parameters import LEVERS, PARAMETERS, REGISTRY, Parameter

__all__ = ["CONDITIONS", "MAX_RUNS", "METHODS", "PER_YEAR", "Prim", "StudyFile", "points"]

METHODS: tuple[str, ...] = ("morris", "sobol", "oat", "lhs")
PER_YEAR: tuple[str, ...] = ("mean", "sum", "last", "max")
MAX_RUNS = 1_000_000
_N_ALLOWED = {
    "morris": "trajectories: a whole number in 2 - 10000",
    "sobol": "SALib's N: a power of 2 (8, 16, ..., 65536)",
    "oat": "steps from low to high: a whole number in 2 - 101",
    "lhs": "points: a whole number in 2 - 1000000",
}
_N_RANGE = {"morris": (2, 10_000), "sobol": (2, 65_536), "oat": (2, 101), "lhs": (2, MAX_RUNS)}
_REQUIRED_TEXT = {
    "study": "study: <name> (a-z, 0-9, _ and -)",
    "scenario": "scenario: <scenario file, relative to the study file>",
    "method": ", ".join(METHODS),
    "n": "the sample size (morris: trajectories; sobol: N; oat: steps; lhs: points)",
    "vary": "vary: {name: null or [low, high], ...} with registry names (stabsim params)",
    "outcomes": "a list of outcomes (stabsim outcomes), e.g. [cumulative_deaths, resurgence]",
}
CONDITIONS = "conditions such as 'resurgence == 1' or 'is_held_areas[36] > 0'"


def points(method: str, n: int, d: int, options: Mapping[str, Any]) -> int:
    """Design points of a study varying ``d`` names with sample size ``n``."""
    if method == "sobol":
        return n * (2 * d + 2 if options.get("second_order") else d + 2)
    if method == "morris":
        return n * (d + 1)
    if method == "oat":
        return 1 + d * n
    return n


def _description(value: Any) -> str:
    return text(value or "")


def _scenario(value: Any) -> Scenario | str:
    if isinstance(value, Scenario):
        return value
    if not isinstance(value, str) or not value.strip():
        raise Problem(
            f"expected a scenario file, got {describe(value)}", allowed=_REQUIRED_TEXT["scenario"]
        )
    return value


def _n(value: Any, earlier: Mapping[str, Any]) -> Any:
    method = earlier.get("method")
    if method is None:  # the method is wrong: its own mistake is reported
        return value
    n = count(value, *_N_RANGE[method], _N_ALLOWED[method])
    if method == "sobol" and n & (n - 1):
        low = 1 << (n.bit_length() - 1)
        raise Problem(
            f"{n} is not a power of 2 (Sobol' sequences need one)",
            allowed=f"a power of 2, e.g. {low} or {low * 2}",
        )
    return n


def _vary_entry(value: Any, p: Parameter) -> tuple[float, float]:
    if p.kind == "technical":
        raise Problem(
            f"{p.name} is a technical setting (resolution), not an uncertainty", on_key=True
        )
    return bounds(value, p)


_VARY = RegistrySection(tuple(REGISTRY), "name", REGISTRY_NAMES, tuple(REGISTRY), _vary_entry)


def _vary(value: Any, earlier: Mapping[str, Any]) -> FrozenMap:
    if not isinstance(value, Mapping) or not value:
        raise Problem(
            f"expected a mapping of name: [low, high] or null, got {describe(value)}",
            allowed=f"{REGISTRY_NAMES}, each with null (its registry range) or [low, high]",
        )
    vary = _VARY.check(value)
    method = earlier.get("method")
    need = 1 if method == "oat" else 2
    if method is not None and len(vary) < need:
        raise Problem(f"{len(vary)} names varied", allowed=f"at least {need} registry names")
    return vary


_OUTCOMES_ALLOWED = (
    "run-summary outcomes (e.g. cumulative_deaths, resurgence) or monthly ones (e.g. "
    "incidents), each optionally as log10(name): stabsim outcomes"
)


def _outcome_list(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise Problem(
            f"expected a list of outcomes, got {describe(value)}", allowed=_OUTCOMES_ALLOWED
        )
    out: list[str] = []
    known = (*_outcomes.SUMMARY_NAMES, *_outcomes.MONTHLY_NAMES)
    for i, item in enumerate(items):
        at = (i,) if isinstance(value, list) else ()
        if not isinstance(item, str):
            raise Problem(
                f"expected an outcome name, got {describe(item)}", allowed=_OUTCOMES_ALLOWED, at=at
            )
        name, log = base_outcome(item)
        if name in DATE_OUTCOMES:
            raise Problem(
                f"{name} is a date, not a number",
                allowed=_OUTCOMES_ALLOWED,
                suggestion=DATE_OUTCOMES[name],
                at=at,
            )
        if name not in known:
            raise Problem(
                f"unknown outcome {describe(name)}",
                allowed=_OUTCOMES_ALLOWED,
                suggestion=suggest(name, known),
                at=at,
            )
        if log:
            name = f"log10({name})"
        if name in out:
            raise Problem(f"{name} is listed twice", at=at)
        out.append(name)
    return tuple(out)


_FIXED = {
    "parameters": RegistrySection(
        PARAMETERS, "parameter", REGISTRY_NAMES, PARAMETERS, lambda v, p: v, misplaced="levers"
    ),
    "levers": RegistrySection(
        LEVERS, "lever", REGISTRY_NAMES, LEVERS, lambda v, p: v, misplaced="parameters"
    ),
}


def _fixed(value: Any, earlier: Mapping[str, Any], section: str) -> FrozenMap:
    """Levers or parameters the study holds fixed (their values are checked by the scenario)."""
    if value is None:
        return FrozenMap()
    if not isinstance(value, Mapping):
        raise Problem(f"expected a mapping of name: value, got {describe(value)}")
    vary = earlier.get("vary") or {}
    for name in value:
        _FIXED[section].check_name(name)
        if name in vary:
            raise Problem(
                f"{name} is both varied (vary:) and fixed ({section}:)",
                allowed="one of the two",
                on_key=True,
                at=(name,),
            )
    return FrozenMap(value)


def _discover(value: Any, earlier: Mapping[str, Any]) -> Any:
    """The conditions' shape (they are read once the horizon is known)."""
    if value is None:
        return value
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise Problem(f"expected a list of conditions, got {describe(value)}", allowed=CONDITIONS)
    if earlier.get("method") == "oat" and items:
        raise Problem(
            "scenario discovery needs a sampled design", allowed="method lhs, sobol or morris"
        )
    return value


def _only_for(value: Any, earlier: Mapping[str, Any], key: str, method: str) -> None:
    if earlier.get("method") not in (None, method):
        raise Problem(
            f"{key} does not apply to a {earlier['method']} study (only {method})", on_key=True
        )


def _levels(value: Any, earlier: Mapping[str, Any]) -> int:
    _only_for(value, earlier, "levels", "morris")
    levels = count(value, 2, 100, "an even whole number in 2 - 100")
    if levels % 2:
        raise Problem(f"{levels} is odd", allowed="an even whole number in 2 - 100")
    return levels


def _second_order(value: Any, earlier: Mapping[str, Any]) -> bool:
    _only_for(value, earlier, "second_order", "sobol")
    return flag(value)


def _between(lo: float, hi: float) -> Any:
    return checked(bounded, lambda x: lo <= x <= hi, f"a number in {lo:g} - {hi:g}")


class Prim(Section):
    """``prim:``: settings of PRIM scenario discovery."""

    shape: ClassVar[str | None] = "alpha, threshold, min_mass, boxes, paste"

    alpha: Annotated[float, _between(0.01, 0.5)] = 0.05
    threshold: Annotated[float, _between(0.0, 1.0)] = 0.8
    min_mass: Annotated[float, _between(0.01, 0.5)] = 0.05
    boxes: Annotated[int, checked(count, 1, 10, "a whole number in 1 - 10")] = 2
    paste: Annotated[bool, checked(flag)] = False


def _horizon(value: Any) -> int | None:
    if value is None:
        return None
    return count(value, 1, 600, "a whole number of months in 1 - 600")


class StudyFile(Section):
    """A study file (or the same keys given as a mapping)."""

    required: ClassVar[Mapping[str, str]] = _REQUIRED_TEXT
    null_is_missing: ClassVar[bool] = True

    study: Annotated[str, checked(identifier, "a-z, 0-9, _ and -")]
    description: Annotated[str, checked(_description)] = ""
    scenario: Annotated[Any, checked(_scenario)]
    method: Annotated[str, checked(one_of, METHODS, "method")]
    n: Annotated[int, checked_after(_n)]
    vary: Annotated[Mapping[str, tuple[float, float]], checked_after(_vary)]
    outcomes: Annotated[tuple[str, ...], checked(_outcome_list)]
    replicates: Annotated[int, checked(count, 1, 10_000, "a whole number in 1 - 10000")] = 1
    seed: Annotated[int | None, checked(count, *SEED_RANGE, "a whole number >= 0")] = None
    horizon: Annotated[int | None, checked(_horizon)] = None
    parameters: Annotated[Mapping, checked_after(_fixed, "parameters")] = FrozenMap()
    levers: Annotated[Mapping, checked_after(_fixed, "levers")] = FrozenMap()
    per_year: Annotated[str, checked(one_of, PER_YEAR, "summary")] = "mean"
    conf_level: Annotated[
        float, checked(bounded, lambda x: 0.5 <= x < 1, "a number in 0.5 - 0.999")
    ] = 0.95
    resamples: Annotated[int, checked(count, 10, 100_000, "a whole number in 10 - 100000")] = 1000
    discover: Annotated[Any, checked_after(_discover)] = None
    prim: Prim | None = None
    levels: Annotated[int | None, checked_after(_levels)] = None
    second_order: Annotated[bool | None, checked_after(_second_order)] = None

    def options(self) -> dict[str, Any]:
        """Method settings and analysis options (without ``prim``, added last)."""
        out: dict[str, Any] = {}
        if self.method == "morris":
            out["levels"] = 4 if self.levels is None else self.levels
        if self.method == "sobol":
            out["second_order"] = bool(self.second_order)
        out.update(per_year=self.per_year, conf_level=self.conf_level, resamples=self.resamples)
        return out

    @model_validator(mode="after")
    def _not_too_many_runs(self) -> StudyFile:
        runs = points(self.method, self.n, len(self.vary), self.options()) * self.replicates
        if runs > MAX_RUNS:
            raise Problem(
                f"the study has {runs:,} runs", allowed=f"at most {MAX_RUNS:,}", at=("n",)
            )
        return self
