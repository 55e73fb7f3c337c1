"""The result tables of a run: docs/ODD.md section 7.9, from the arrays ``Recorder`` fills.

``frames`` turns the recorded (month x area) and (month x area x group) arrays into the tidy
monthly table (national, governorate and area rows) and the one-row run summary; ``national``
gives the national series alone (also used while a run is under way). The figures of a unit are
sums over its member areas, added one area after the other in area order, so that every
figure is the same whatever the machine and the number of units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model.simulation import rules
from model.simulation.outcomes import GROUPS, MONTHLY_NAMES, SUMMARY_NAMES

# the national series kept from the recorder as they are: (table column, recorder array)
_NATIONAL_SERIES = (
    ("sectarian_tension", "tension"),
    ("kirkuk_tension", "kirkuk"),
    ("haven_capacity", "haven_capacity"),
    ("syria_is_fighters", "syria_fighters"),
    ("border_inflow", "inflow"),
    ("us_troops", "us_troops"),
    ("coalition_support", "support"),
    ("aid_delivered", "aid"),
    ("hardliner_mobilization", "hardliners"),
    ("militia_attacks", "militia"),
    ("leadership_losses", "leaders"),
)
_DATE_COLUMNS = ("defeat_month", "resurgence_month", "kirkuk_crisis_month")


def month_starts(start: str, months: int) -> np.ndarray:
    """The first day of each of ``months`` months from ``start`` ("YYYY-MM"), datetime64[ns]."""
    first = np.datetime64(start, "M")
    return (first + np.arange(months)).astype("datetime64[ns]")


def unit_sums(x: np.ndarray, unit: np.ndarray, k: int, members: np.ndarray) -> np.ndarray:
    """Sums of the member areas of each of ``k`` units, added in area order.

    Args:
        x: an array whose axis 1 is the areas, e.g. (T, n) or (T, n, g).
        unit: the unit of every area (n,).
        k: the number of units.
        members: the indices of the areas counted, in increasing order.

    Returns:
        An array of x's shape with axis 1 of length k. A unit's sum starts at 0 and adds its
        areas one after the other, as the product with a 0/1 matrix does.
    """
    # (area by area along the first axis: each addition reads and writes contiguous rows)
    areas = np.moveaxis(x, 1, 0)[members]
    out = np.zeros((k,) + areas.shape[1:])
    for j, a in enumerate(members.tolist()):
        out[unit[a]] += areas[j]
    return np.ascontiguousarray(np.moveaxis(out, 0, 1))


def _sums(arrays: dict[str, np.ndarray], T: int, total) -> dict[str, np.ndarray]:
    """``total`` of the first T months of every array, all arrays in one call."""
    names = list(arrays)
    stacked = np.stack([arrays[name][:T] for name in names])
    shape = stacked.shape
    sums = total(stacked.reshape((shape[0] * T,) + shape[2:]))
    sums = sums.reshape((shape[0], T) + sums.shape[1:])
    return dict(zip(names, sums, strict=True))


def aggregate(rec, index: np.ndarray, k: int, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Sum the recorded area arrays into k units by ``index`` over the areas in ``mask``, then
    compute the monthly outcomes of each unit: (T, k) arrays by outcome name.

    The area level (every area its own unit) copies the arrays. The national sums of the
    (month x area) arrays keep the matrix product (BLAS) that has always computed them: its
    order of addition is the BLAS kernel's, not area order (the last bits of these national
    figures may differ between CPUs; tests/test_pinned.py allows for that).
    """
    m, T = rec.m, rec.filled
    n = m.n
    members = np.flatnonzero(mask)
    if k == n and len(members) == n and np.array_equal(index, np.arange(n)):

        def total(x):
            return x + 0.0  # (a 0/1 product turns -0.0 into +0.0)

    else:

        def total(x):
            return unit_sums(x, index, k, members)

    if k == 1:  # national
        M = np.zeros((n, 1))
        M[members, 0] = 1.0
        area = {name: v[:T] @ M for name, v in rec.area.items()}
    else:
        area = _sums(rec.area, T, total)
    weight = np.bincount(index[members], m.control_weight[members], k)
    area["weight"] = np.broadcast_to(weight, (T, k))
    return outcomes(area, _sums(rec.group, T, total))


def outcomes(a: dict[str, np.ndarray], g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The monthly outcomes of units from their summed area (``a``) and group (``g``) arrays:
    counts as summed, shares and indices weighted by persons (NaN where a unit has none)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        persons = g["persons"].sum(axis=2)
        out = {
            "is_fighters": a["fighters_hold"] + a["fighters_cland"],
            "is_fighters_holding": a["fighters_hold"],
            "is_fighters_clandestine": a["fighters_cland"],
            "is_share": a["control"] / a["weight"],
            "is_held_areas": a["held"],
            "sanctuaries": a["sanctuary"],
            "pop_under_is": a["pop_under_is"],
            "incidents": a["incidents"],
            "civilian_deaths": a["civ"],
            "civilian_deaths_by_government": a["civ_gov"],
            "security_deaths": a["sec"],
            "is_deaths": a["isd"],
            "battle_deaths": a["battle"],
            "recruits": a["recruits"],
            "population": a["population"],
            "idps": a["idps"],
            "returnees": a["returnees"],
            "security_forces": a["security"],
            "legitimacy": g["legit"].sum(axis=2) / persons,
            "grievance": g["griev"].sum(axis=2) / persons,
            "active_share": g["active"].sum(axis=2) / persons,
            "sympathiser_share": g["symp"].sum(axis=2) / persons,
        }
        for j, name in enumerate(GROUPS):
            pj = g["persons"][..., j]
            out[f"legitimacy_{name}"] = np.where(pj > 0, g["legit"][..., j] / pj, np.nan)
            out[f"grievance_{name}"] = np.where(pj > 0, g["griev"][..., j] / pj, np.nan)
            out[f"active_share_{name}"] = np.where(pj > 0, g["active"][..., j] / pj, np.nan)
            out[f"sympathiser_share_{name}"] = np.where(pj > 0, g["symp"][..., j] / pj, np.nan)
    return out


def national(rec) -> dict[str, np.ndarray]:
    """National (Iraq) series, one value per recorded month, every monthly outcome."""
    m, T = rec.m, rec.filled
    summed = aggregate(rec, np.zeros(m.n, dtype=np.int64), 1, m.iraq)
    nat = {k: v[:, 0] for k, v in summed.items()}
    for column, name in _NATIONAL_SERIES:
        nat[column] = rec.nat[name][:T]
    nat["battle_deaths_12m"] = rules.trailing_year(nat["battle_deaths"])
    nat["stability"] = rules.stability_index(
        nat["pop_under_is"],
        nat["incidents"],
        nat["legitimacy"],
        nat["sectarian_tension"],
        nat["idps"],
        nat["population"],
        m.p["stability_incident_scale"],
        m.p["stability_is_scale"],
        m.p["stability_idp_share"],
    )
    return nat


def frames(rec, outcomes: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy monthly table (levels in the recorder's order: national, governorate, area) and
    the one-row run summary."""
    m, T = rec.m, rec.filled
    cols = list(outcomes or MONTHLY_NAMES)
    nat = national(rec)
    parts = []  # (level, units, {outcome: (T, units) array})
    if "national" in rec.levels:
        parts.append(("national", ["Iraq"], {k: v[:, None] for k, v in nat.items()}))
    if "governorate" in rec.levels:
        every = np.ones(m.n, dtype=bool)
        parts.append(("governorate", m.govs, aggregate(rec, m.gov_of, len(m.govs), every)))
    if "area" in rec.levels:
        every = np.ones(m.n, dtype=bool)
        parts.append(("area", m.area_ids, aggregate(rec, np.arange(m.n), m.n, every)))
    monthly = _monthly_table(month_starts(m.start, T), parts, cols) if parts else pd.DataFrame()
    return monthly, _summary_frame(summary(rec, nat))


def _monthly_table(months: np.ndarray, parts: list, cols: list[str]) -> pd.DataFrame:
    """One frame of the parts' rows (month-major within a part): key columns, then ``cols``
    (NaN at the levels an outcome is not recorded at)."""
    T = len(months)
    sizes = [T * len(units) for _, units, _ in parts]
    rows = sum(sizes)
    values = np.empty((len(cols), rows))  # one row per column: each column is contiguous
    month = np.empty(rows, dtype=months.dtype)
    level = np.empty(rows, dtype=np.int64)  # (the rows' labels by number, see text_column)
    unit = np.empty(rows, dtype=np.int64)
    units_all: list[str] = []
    at = 0
    for i_part, ((_, units, data), size) in enumerate(zip(parts, sizes, strict=True)):
        rows_here = slice(at, at + size)
        month[rows_here] = np.repeat(months, len(units))
        level[rows_here] = i_part
        unit[rows_here] = np.tile(np.arange(len(units)) + len(units_all), T)
        units_all += list(units)
        for i, c in enumerate(cols):
            if c in data:
                values[i, rows_here] = np.asarray(data[c], dtype=float).reshape(size)
            else:  # a national-only outcome at another level
                values[i, rows_here] = np.nan
        at += size
    table = pd.DataFrame(values.T, columns=cols, copy=False)
    table.insert(0, "unit", text_column(units_all, unit))
    table.insert(0, "level", text_column([name for name, _, _ in parts], level))
    table.insert(0, "month", month)
    return table


_TEXT = pd.Series(["text"]).dtype  # what pandas makes of a column of text (str or object)


def text_column(labels: list[str], codes: np.ndarray) -> Any:
    """``labels[codes]`` as a column of text of the dtype pandas gives text (``_TEXT``).

    With pandas' pyarrow-backed ``str`` dtype the labels are taken in Arrow, without a Python
    string per row to convert (about four times faster at the area level's 6,240 rows); else
    an object array, as pandas keeps text.
    """
    if isinstance(_TEXT, pd.StringDtype) and _TEXT.storage == "pyarrow":
        import pyarrow as pa

        return pd.array(pa.array(labels, type=pa.string()).take(pa.array(codes)), dtype=_TEXT)
    return np.asarray(labels, dtype=object)[codes]


def summary(rec, nat: dict[str, np.ndarray] | None = None) -> dict:
    """Run-level outcomes (model.simulation.outcomes.SUMMARY); definitions in docs/ODD.md 7.9."""
    m = rec.m
    nat = nat or national(rec)
    T = rec.filled
    c = rules.conflict_course(
        nat["is_held_areas"],
        nat["battle_deaths_12m"],
        (rec.share[:T] >= m.p["resurgence_share"])[:, m.iraq & m.governed].any(axis=1),
        m.p["war_threshold"],
        m.p["conflict_threshold"],
        m.held_at_start,
    )
    last = slice(max(0, T - 24), T)

    def month(t):
        return pd.Timestamp(m.month_label(t) + "-01") if t is not None else pd.NaT

    def months(x):
        return float(x) if x is not None else np.nan

    out = {
        "defeat_month": month(c.defeat),
        "months_to_defeat": months(c.defeat),
        "resurgence": int(c.relapse is not None),
        "resurgence_month": month(c.relapse),
        "conflict_outcome": float(c.outcome),
        "months_at_risk": months(c.at_risk),
        "kirkuk_crisis_month": month(m.kirkuk_crisis_month),
        "cumulative_civilian_deaths": float(nat["civilian_deaths"].sum()),
        "cumulative_security_deaths": float(nat["security_deaths"].sum()),
        "cumulative_deaths": float(nat["civilian_deaths"].sum() + nat["security_deaths"].sum()),
        "cumulative_battle_deaths": float(nat["battle_deaths"].sum()),
        "battle_deaths_final_year": float(nat["battle_deaths_12m"][T - 1]),
        "cumulative_incidents": float(nat["incidents"].sum()),
        "idps_final": float(nat["idps"][T - 1]),
        "is_fighters_final": float(nat["is_fighters"][T - 1]),
        "peak_incidents": float(nat["incidents"].max()),
        "mean_incidents_last24": float(nat["incidents"][last].mean()),
        "mean_stability_last24": float(nat["stability"][last].mean()),
        "mean_legitimacy_sunni_arab_last24": float(nat["legitimacy_sunni_arab"][last].mean()),
        "us_troop_years": float(nat["us_troops"].sum() / 12.0),
        "aid_committed_total": float(rec.nat["aid_committed"][:T].sum()),
    }
    assert tuple(out) == SUMMARY_NAMES
    return out


def _summary_frame(row: dict) -> pd.DataFrame:
    """The one-row summary frame; dates in one time unit whether a run has them or not (stored
    tables must unify): a column of one value each, made as pandas would from the row."""
    columns = {}
    for name, value in row.items():
        if name in _DATE_COLUMNS:
            date = np.datetime64("NaT") if value is pd.NaT else value.to_datetime64()
            columns[name] = np.array([date], dtype="datetime64[ns]")
        else:
            columns[name] = np.array([value])
    return pd.DataFrame(columns)
