"""Target files: observations from the historical record that the model should reproduce.

Targets are data (``seeds/targets.yaml``; format in docs/validation.md). This module reads and
checks them into frozen :class:`Target` objects; measuring and scoring them against runs is
``model.analysis.validation``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from model.files.config import ConfigError, _read, _suggest, parse_month
from model.simulation.outcomes import LEVELS, MONTHLY

DEFAULT_TARGETS = Path(__file__).resolve().parents[2] / "seeds" / "targets.yaml"
KINDS = ("event", "level", "ratio", "rank")
EVENTS = ("retaken", "lost", "defeat", "kirkuk_crisis")
STATISTICS = ("mean", "sum", "last")
USES = ("calibration", "validation")


def _mi(month: str) -> int:
    """Month index (months since year 0) of "YYYY-MM"."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _ms(index: float) -> str:
    i = int(round(index))
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


@dataclass(frozen=True)
class Target:
    """One observation from the record that the model should reproduce."""

    id: str
    kind: str
    observed: object  # "YYYY-MM" (event), a number (level, ratio), unit ids in order (rank)
    tolerance: float
    use: str
    source: str
    event: str | None = None
    area: str | None = None
    outcome: str | None = None
    level: str = "national"
    unit: str = "Iraq"
    period: tuple[str, str] | None = None
    base_period: tuple[str, str] | None = None
    statistic: str = "mean"
    note: str = ""
    file: str = ""

    @property
    def needs_areas(self) -> bool:
        """Whether measuring it needs the area level of the monthly table."""
        return (self.kind == "event" and self.event in ("retaken", "lost")) or self.level == "area"

    @property
    def last_month(self) -> str:
        """The latest month the target looks at (to choose a horizon)."""
        if self.kind == "event":
            return _ms(_mi(str(self.observed)) + int(self.tolerance) + 1)
        months = [m for p in (self.period, self.base_period) if p for m in p]
        return max(months)


_FIELDS = {
    "id", "kind", "observed", "tolerance", "use", "source", "event", "area", "outcome", "level",
    "unit", "period", "base_period", "statistic", "note",
}  # fmt: skip


def load_targets(paths: Iterable[str | os.PathLike] | None = None) -> tuple[Target, ...]:
    """Read and check target files (default seeds/targets.yaml); ConfigError on a mistake."""
    out: list[Target] = []
    seen: set[str] = set()
    for path in paths or [DEFAULT_TARGETS]:
        display = os.fspath(path)
        tree = _read(path, display)
        items = tree.value.get("targets")
        if items is None or not isinstance(items.value, list):
            raise ConfigError(
                "expected a list under 'targets:'", file=display, line=tree.line, key="targets"
            )
        extra = set(tree.value) - {"targets"}
        if extra:
            k = sorted(extra)[0]
            raise ConfigError(
                f"unknown key '{k}'",
                file=display,
                line=tree.value[k].key_at,
                key=k,
                allowed="targets",
            )
        for i, item in enumerate(items.value):
            t = _target(item, display, f"targets[{i}]")
            if t.id in seen:
                raise ConfigError(
                    f"duplicate target id '{t.id}'",
                    file=display,
                    line=item.at,
                    key=f"targets[{i}].id",
                )
            seen.add(t.id)
            out.append(t)
    return tuple(out)


def _target(item, file: str, key: str) -> Target:
    def fail(msg, k=None, allowed=None, suggestion=None, line=None):
        raise ConfigError(
            msg,
            file=file,
            line=line or item.at,
            key=f"{key}.{k}" if k else key,
            allowed=allowed,
            suggestion=suggestion,
        )

    if not isinstance(item.value, dict):
        fail(
            "each target must be a mapping",
            allowed="id, kind, observed, tolerance, use, source, ...",
        )
    v = {k: loc.plain() for k, loc in item.value.items()}
    lines = {k: loc.at for k, loc in item.value.items()}
    for k in v:
        if k not in _FIELDS:
            fail(
                f"unknown key '{k}'", k, ", ".join(sorted(_FIELDS)), _suggest(k, _FIELDS), lines[k]
            )
    for k in ("id", "kind", "observed", "tolerance", "use", "source"):
        if k not in v:
            fail(f"missing key '{k}'", k)

    def choice(k, allowed, default=None):
        val = v.get(k, default)
        if val not in allowed:
            fail(
                f"'{val}' is not allowed",
                k,
                ", ".join(allowed),
                _suggest(str(val), allowed),
                lines.get(k),
            )
        return val

    kind = choice("kind", KINDS)
    use = choice("use", USES)
    try:
        tol = float(v["tolerance"])
    except (TypeError, ValueError):
        fail(
            f"tolerance must be a number, got {v['tolerance']!r}",
            "tolerance",
            line=lines["tolerance"],
        )
    if tol < 0:
        fail("tolerance must not be negative", "tolerance", line=lines["tolerance"])

    def month(k, val):
        try:
            return parse_month(val)
        except (ConfigError, ValueError, TypeError):
            fail(f"{val!r} is not a month", k, "YYYY-MM, e.g. 2017-07", line=lines.get(k))

    def period(k):
        p = v.get(k)
        if p is None:
            return None
        if not isinstance(p, list) or len(p) != 2:
            fail(
                "a period is [first month, last month]", k, "[YYYY-MM, YYYY-MM]", line=lines.get(k)
            )
        a, b = month(k, p[0]), month(k, p[1])
        if b < a:
            fail("the period ends before it starts", k, line=lines.get(k))
        return (a, b)

    common = dict(
        id=str(v["id"]),
        kind=kind,
        tolerance=tol,
        use=use,
        source=str(v["source"]),
        note=str(v.get("note", "")),
        file=file,
    )
    if kind == "event":
        ev = choice("event", EVENTS)
        area = v.get("area")
        if ev in ("retaken", "lost") and not area:
            fail(f"an event '{ev}' needs an area id", "area")
        return Target(
            observed=month("observed", v["observed"]), event=ev, area=area and str(area), **common
        )
    outcome = v.get("outcome")
    if outcome not in MONTHLY:
        fail(
            f"unknown outcome '{outcome}'",
            "outcome",
            "an outcome of docs/outputs.md",
            _suggest(str(outcome), MONTHLY),
            lines.get("outcome"),
        )
    level = choice("level", LEVELS, "national")
    unit = str(v.get("unit", "Iraq" if level == "national" else ""))
    stat = choice("statistic", STATISTICS, "mean")
    per = period("period")
    if per is None:
        fail("missing key 'period'", "period")
    if kind == "rank":
        obs = v["observed"]
        if not isinstance(obs, list) or len(obs) < 3:
            fail(
                "a rank target observes a list of at least 3 units, highest first",
                "observed",
                line=lines["observed"],
            )
        if level == "national":
            fail(
                "a rank target ranks governorates or areas",
                "level",
                "governorate, area",
                line=lines.get("level"),
            )
        return Target(
            observed=tuple(str(u) for u in obs),
            outcome=outcome,
            level=level,
            unit="",
            period=per,
            statistic=stat,
            **common,
        )
    try:
        obs = float(v["observed"])
    except (TypeError, ValueError):
        fail(
            f"observed must be a number, got {v['observed']!r}", "observed", line=lines["observed"]
        )
    if kind == "ratio":
        base = period("base_period")
        if base is None:
            fail("a ratio target needs 'base_period'", "base_period")
        return Target(
            observed=obs,
            outcome=outcome,
            level=level,
            unit=unit,
            period=per,
            base_period=base,
            statistic=stat,
            **common,
        )
    return Target(
        observed=obs, outcome=outcome, level=level, unit=unit, period=per, statistic=stat, **common
    )
