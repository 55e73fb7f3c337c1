"""Names in a comparison: the batch, its scenarios, outcomes and places, checked against what the
batch holds, and readable titles for them.

Every check raises a :class:`~model.files.errors.ConfigError` that names the key, what is allowed
and the closest known name, so a typo in a notebook or on the command line is easy to fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from model.experiments.batchfiles import StoreError
from model.experiments.results import BatchResults, open_batch
from model.files.errors import ConfigError, suggest
from model.simulation.outcomes import MONTHLY, SUMMARY

Results = BatchResults | str | os.PathLike
"""A batch: its ``BatchResults`` or its folder."""

DEFAULT_OUTCOMES: tuple[str, ...] = (
    "is_fighters",
    "incidents",
    "civilian_deaths",
    "idps",
    "legitimacy_sunni_arab",
    "stability",
)
"""Monthly outcomes shown when none are chosen."""

DATE_UNIT = "month (date)"

_TITLES = {
    "is_held_areas": "IS-held areas",
    "syria_is_fighters": "IS fighters in Syria",
    "pop_under_is": "Population under IS rule",
    "defeat_month": "Month of territorial defeat",
    "months_to_defeat": "Months to territorial defeat",
    "resurgence": "Probability of resurgence",
}


def title(name: str) -> str:
    """A readable title for an outcome ("mean_incidents_last24" -> "Incidents, mean of the
    last 24 months")."""
    if name in _TITLES:
        return _TITLES[name]
    if name.startswith("mean_") and name.endswith("_last24"):
        return f"{title(name[5:-7])}, mean of the last 24 months"
    if name.endswith("_final"):
        return f"{title(name[:-6])} at the horizon"
    return label(name)


def label(name: str) -> str:
    """A readable title for an outcome column ("is_fighters" -> "IS fighters")."""
    words = name.replace("_", " ")
    for a, b in (
        ("is ", "IS "),
        ("idps", "displaced persons (IDPs)"),
        ("pop ", "population "),
        ("us ", "US "),
    ):
        words = words.replace(a, b) if words.startswith(a) or a == "idps" else words
    words = words.replace(" is", " IS") if words.endswith(" is") else words
    for g in ("sunni arab", "shia arab", "kurd", "turkmen", "yazidi", "christian"):
        words = words.replace(g, g.title())
    return words[0].upper() + words[1:]


def place_name(level: str, unit: str | None) -> str:
    """Where a chart's numbers come from, for titles ("Iraq", "Nineveh governorate")."""
    if level == "national":
        return "Iraq"
    if level == "governorate":
        return f"{unit} governorate"
    return f"area {unit}"


def summary_unit(name: str) -> str:
    """The unit of a run-level outcome as a reader takes it ("0/1" -> "share of runs")."""
    unit = SUMMARY[name].unit
    return "share of runs" if unit == "0/1" else unit


def open_results(results: Results) -> BatchResults:
    """A ``BatchResults`` for a batch or its folder.

    Raises:
        ConfigError: the folder does not exist or holds no batch.
    """
    if isinstance(results, BatchResults):
        return results
    path = Path(results)
    if not path.exists():
        raise ConfigError(
            f"{path}: no such folder", allowed="a batch folder such as runs/<batch-id>"
        )
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder", allowed="a batch folder such as runs/<batch-id>")
    try:
        return open_batch(path)
    except StoreError as exc:
        raise ConfigError(str(exc), allowed="a batch folder written by `stabsim batch`") from None


def split_names(names: str | Iterable[str] | None) -> list[str] | None:
    """Names from ``"a,b"`` or a list, stripped, without repeats (None stays None)."""
    if names is None:
        return None
    if isinstance(names, str):
        names = names.split(",")
    out = [n.strip() for n in names if n and n.strip()]
    return list(dict.fromkeys(out))


def check_scenarios(
    res: BatchResults, scenarios: str | Iterable[str] | None, key: str = "scenarios"
) -> list[str]:
    """The chosen scenarios in batch order (all by default).

    Raises:
        ConfigError: a name is not a scenario of the batch.
    """
    names = split_names(scenarios)
    if not names:
        return res.scenarios
    for name in names:
        if name not in res.scenarios:
            raise ConfigError(
                f"no scenario '{name}' in batch {res.manifest.get('batch_id')}",
                key=key,
                allowed=", ".join(res.scenarios),
                suggestion=suggest(name, res.scenarios),
            )
    return [s for s in res.scenarios if s in names]


def check_reference(res: BatchResults, reference: str | None, key: str = "reference") -> str:
    """The reference scenario (default: the batch's first).

    Raises:
        ConfigError: not a scenario of the batch.
    """
    if reference is None:
        return res.scenarios[0]
    return check_scenarios(res, [reference], key)[0]


def _compared(
    res: BatchResults, reference: str | None, scenarios: str | Iterable[str] | None
) -> tuple[str, list[str]]:
    """The reference and the scenarios compared with it (default: all others)."""
    ref = check_reference(res, reference)
    if scenarios is None:
        return ref, [s for s in res.scenarios if s != ref]
    return ref, check_scenarios(res, scenarios)


def _recorded(res: BatchResults, scenarios: Sequence[str]) -> set[str]:
    """Monthly outcomes every chosen scenario records."""
    recorded = None
    for sd in res.manifest["batch"]["scenarios"]:
        if sd["name"] in scenarios:
            names = set(sd.get("outcomes") or MONTHLY)
            recorded = names if recorded is None else recorded & names
    return recorded if recorded is not None else set(MONTHLY)


def _levels(res: BatchResults, scenarios: Sequence[str]) -> set[str]:
    """Monthly-table levels every chosen scenario records."""
    levels = None
    for sd in res.manifest["batch"]["scenarios"]:
        if sd["name"] in scenarios:
            names = set(sd.get("levels") or ("national", "governorate"))
            levels = names if levels is None else levels & names
    return levels or {"national"}


def check_outcomes(
    res: BatchResults,
    outcomes: str | Iterable[str] | None,
    scenarios: Sequence[str] | None = None,
    level: str = "national",
    key: str = "outcomes",
) -> tuple[list[str], list[str]]:
    """Split chosen outcome names into monthly and run-level (summary) ones.

    Without a choice: the default monthly outcomes that the batch records at ``level``, and every
    numeric run-level outcome.

    Raises:
        ConfigError: an unknown name, or a monthly outcome not recorded at ``level``.
    """
    scenarios = list(scenarios or res.scenarios)
    recorded = _recorded(res, scenarios)
    names = split_names(outcomes)
    if not names:
        monthly = [o for o in DEFAULT_OUTCOMES if o in recorded and level in MONTHLY[o].levels]
        return monthly, list(_numeric_summary())
    monthly, summary = [], []
    for name in names:
        if name in MONTHLY:
            if name not in recorded:
                raise ConfigError(
                    f"outcome '{name}' is not recorded by every chosen scenario (their "
                    "`outcomes:` leave it out)",
                    key=key,
                    allowed=", ".join(o for o in MONTHLY if o in recorded),
                )
            if level not in MONTHLY[name].levels:
                raise ConfigError(
                    f"outcome '{name}' has no {level} level (it has: "
                    f"{', '.join(MONTHLY[name].levels)})",
                    key=key,
                    allowed=", ".join(o for o in MONTHLY if level in MONTHLY[o].levels),
                )
            monthly.append(name)
        elif name in SUMMARY:
            if SUMMARY[name].unit == DATE_UNIT:
                raise ConfigError(
                    f"outcome '{name}' is a date; its run-level comparison is in the summary "
                    "table (use months_to_defeat for a paired difference)",
                    key=key,
                    allowed=", ".join(_numeric_summary()),
                )
            summary.append(name)
        else:
            known = [*MONTHLY, *SUMMARY]
            raise ConfigError(
                f"unknown outcome '{name}'",
                key=key,
                allowed="the names listed by `stabsim outcomes`",
                suggestion=suggest(name, known),
            )
    return monthly, summary or list(_numeric_summary())


def _only_monthly(
    res: BatchResults, outcomes: str | Iterable[str] | None, scenarios: Sequence[str], level: str
) -> list[str]:
    monthly, _ = check_outcomes(res, outcomes, scenarios, level)
    other = [n for n in split_names(outcomes) or [] if n not in MONTHLY]
    if other or not monthly:
        raise ConfigError(
            f"'{other[0]}' is a run-level outcome (see paired_differences)"
            if other
            else "no monthly outcome recorded at this level",
            key="outcomes",
            allowed="monthly outcomes: "
            + ", ".join(o for o in MONTHLY if level in MONTHLY[o].levels),
        )
    return monthly


def _only_summary(
    res: BatchResults, outcomes: str | Iterable[str] | None, scenarios: Sequence[str]
) -> list[str]:
    _, summary = check_outcomes(res, outcomes, scenarios)
    other = [n for n in split_names(outcomes) or [] if n in MONTHLY]
    if other:
        raise ConfigError(
            f"'{other[0]}' is a monthly outcome (see monthly_differences)",
            key="outcomes",
            allowed="run-level outcomes: " + ", ".join(_numeric_summary()),
        )
    return summary


def _numeric_summary() -> list[str]:
    return [o.name for o in SUMMARY.values() if o.unit != DATE_UNIT]
