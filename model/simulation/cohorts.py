"""The cohort store's bookkeeping: what never changes about the cohorts of a run, and sums
over them that the processes share (docs/ODD.md section 2; how, not what, is computed).

The cohorts (``agents.Population``) keep their order for the whole run and are built ordered by
home area and group. A household at home lives in its home area; only displaced households
live elsewhere. So persons per (area, group) are whole-number sums over fixed home segments,
corrected for the few households away from home, and a cohort's (area, group) bin changes only
for displaced households. Long elementwise work is done in blocks of ``BLOCK`` cohorts, so that
temporaries stay in the processor's cache (results do not depend on the block size).
"""

from __future__ import annotations

import numpy as np

from model.simulation.agents import DISPLACED, SUNNI_ARAB, TURKMEN
from model.simulation.outcomes import GROUPS

_NG = len(GROUPS)
BLOCK = 1 << 15
"""Cohorts per block of long elementwise work (its temporaries stay in cache)."""
SEGMENTS_FROM = 200_000
"""From this many cohorts on, ``living_in`` marks home segments instead of reading every
cohort's location (the same cohorts either way; only the speed differs)."""


class CohortIndex:
    """What never changes about the cohorts of a run: the order of the cohorts, their home area
    and group, so the home segments, the IS-affiliated families, the Kurds and Turkmen of the
    disputed territories and the Sunni households (``model._ix``, built on first use)."""

    def __init__(self, model) -> None:
        pop = model.pop
        n = model.n
        self.n_cohorts = len(pop)
        hg = pop.home * _NG + pop.group  # cohorts are built ordered by home area and group
        # (sorted already as built; any order would give the same whole-number sums)
        unsorted = len(hg) > 1 and bool(np.any(hg[1:] < hg[:-1]))
        self.order = np.argsort(hg, kind="stable") if unsorted else None
        key = hg if self.order is None else hg[self.order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else key[:0]
        self.hg_starts = starts
        self.hg_bins = key[starts]
        self.n_hg = n * _NG
        self.home_starts = home_starts(pop.home, n)
        self.family = np.flatnonzero(model._family)
        self.kirkuk = np.flatnonzero(model._kirkuk_exposed)
        # households with a legitimacy term of their own, and which terms
        self.own_legit = np.union1d(self.kirkuk, self.family)
        self.own_kirkuk = np.isin(self.own_legit, self.kirkuk)
        self.own_family = np.isin(self.own_legit, self.family)
        self.sunni = np.flatnonzero(model._sunni)
        self.sunni_groups = np.flatnonzero(sunni_mask(np.arange(_NG)))
        # births a month per person, for households whose home is in Iraq (``births``)
        self.birth_rate = (1.0 + model.p["population_growth"]) ** (1.0 / 12.0) - 1.0
        self.key: np.ndarray | None = None  # see cohort_keys
        self.key_displaced: np.ndarray | None = None


def home_starts(home: np.ndarray, n: int) -> np.ndarray:
    """The cohort index where each of the ``n`` areas' households begin, and the end (``n + 1``
    values; ``home``: the cohorts' home areas, in the order they are built, by home area)."""
    return np.searchsorted(home, np.arange(n + 1))


def scratch(model, name: str, m: int) -> np.ndarray:
    """A float column of ``m`` values kept on the model, overwritten by whoever uses it (new
    columns would be paged in every month). ``x_engaged`` and ``x_active`` (``BLOCK`` cohorts
    or fewer) hold a block's exponents of the logistic during ``population.update`` (on the
    NumPy path ``x_engaged`` holds a block's hardship); ``grievance`` (every cohort) holds the
    month's grievance from ``population.update`` to the recording, and the compiled path's
    partial sums of the deaths' weights, then the recruitment weights, during the
    insurgency's month; ``partial`` (a value per Sunni household) the partial sums of the
    recruitment weights."""
    buffers = model.__dict__.setdefault("_buffers", {})
    out = buffers.get(name)
    if out is None or len(out) != m:
        out = buffers[name] = np.empty(m)
    return out


def displaced_now(model) -> np.ndarray:
    """The displaced cohorts now (ascending)."""
    return np.flatnonzero(model.pop.status == DISPLACED)


def away_from_home(model, displaced: np.ndarray | None = None) -> np.ndarray:
    """The cohorts living away from their home area now (sorted): displaced households hosted
    elsewhere. A household at home lives in its home area (``Population.loc``), so only the
    displaced (``displaced``: ``displaced_now``, computed if not given) need to be compared."""
    pop = model.pop
    if displaced is None:
        displaced = displaced_now(model)
    return displaced[pop.loc[displaced] != pop.home[displaced]]


def home_segment(model, a: int) -> slice:
    """The cohorts whose home is area ``a`` (a contiguous range of the cohort order)."""
    ix = cohort_index(model)
    if ix.order is not None:  # pragma: no cover - cohorts are built ordered by home area
        raise RuntimeError("cohorts are not ordered by home area")
    return slice(int(ix.home_starts[a]), int(ix.home_starts[a + 1]))


def living_in(model, areas: np.ndarray) -> np.ndarray:
    """The cohorts (ascending) living now in the areas where the boolean ``areas`` is true:
    those at home in them and those displaced to them."""
    pop, ix = model.pop, cohort_index(model)
    if ix.order is not None or len(pop) < SEGMENTS_FROM:
        return np.flatnonzero(areas[pop.loc])
    # many cohorts: mark the areas' home segments, then correct for the displaced
    mask = np.zeros(len(pop), dtype=bool)
    for a in np.flatnonzero(areas).tolist():
        mask[ix.home_starts[a] : ix.home_starts[a + 1]] = True
    away = away_from_home(model)
    mask[away] = areas[pop.loc[away]]
    return np.flatnonzero(mask)


def cohort_keys(model, displaced: np.ndarray | None = None) -> np.ndarray:
    """Every cohort's (area where it lives, group) bin: area x groups + group.

    Kept from month to month: only the rows of the households displaced now (``displaced``:
    ``displaced_now``, computed if not given) or at the last call (the only ones whose location
    can have changed) are renewed.
    """
    ix, pop = cohort_index(model), model.pop
    if displaced is None:
        displaced = displaced_now(model)
    if ix.key is None:
        ix.key = pop.loc * _NG + pop.group
    else:
        for idx in (ix.key_displaced, displaced):  # (no need to merge the two)
            ix.key[idx] = pop.loc[idx] * _NG + pop.group[idx]
    ix.key_displaced = displaced
    return ix.key


def cohort_index(model) -> CohortIndex:
    """The run's ``CohortIndex`` (built once)."""
    ix = getattr(model, "_ix", None)
    if ix is None or ix.n_cohorts != len(model.pop):
        ix = model._ix = CohortIndex(model)
    return ix


def persons_by_home_group(model) -> np.ndarray:
    """Persons by home area and group (wherever they live now): (areas x groups), whole numbers,
    summed over the cohorts' fixed order by home segment."""
    ix = cohort_index(model)
    size = model.pop.size if ix.order is None else model.pop.size[ix.order]
    out = np.zeros(ix.n_hg, dtype=np.int64)
    if len(ix.hg_starts):
        out[ix.hg_bins] = np.add.reduceat(size, ix.hg_starts)
    return out.reshape(model.n, _NG)


def persons_by_area_group(
    model, by_home: np.ndarray | None = None, displaced: np.ndarray | None = None
) -> np.ndarray:
    """Persons located in each area by group now, an (areas x groups) array of whole numbers.

    The persons by home area and group (``by_home``, computed if not given), with the households
    living away from home moved from their home's count to their location's (``displaced``: see
    ``away_from_home``).
    """
    pop = model.pop
    home = persons_by_home_group(model) if by_home is None else by_home
    out = home.ravel().copy()
    away = away_from_home(model, displaced)
    if len(away):
        s = pop.size[away]
        g = pop.group[away]
        out -= np.bincount(pop.home[away] * _NG + g, s, out.size).astype(np.int64)
        out += np.bincount(pop.loc[away] * _NG + g, s, out.size).astype(np.int64)
    return out.reshape(model.n, _NG)


_NO_SUMS = (
    (np.zeros(0, np.int8), np.zeros(0, bool), DISPLACED, *(np.zeros(0) for _ in range(4))),
    tuple(np.zeros(0) for _ in range(6)),
)  # (the compiled count without the recording's sums: empty columns of the same kinds)


def persons_by_home_and_area(
    model, totals: tuple[np.ndarray, np.ndarray] | None = None, sums: tuple | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``persons_by_home_group`` and ``persons_by_area_group`` together; with the compiled
    kernels (``model.simulation.kernels``) in one pass over the cohorts (whole numbers: the
    same sums). ``totals`` (optional, two columns of one value per area) receive the persons
    living in each area, at least 1 (floats), and the persons by home area (whole numbers).
    ``sums`` (optional, ``Recorder.sums_for``): the compiled pass also makes the recording's
    sums of the month (the NumPy path leaves them to the recording)."""
    kern, n = model._kernels, model.n
    if kern is None:
        by_home = persons_by_home_group(model)
        by_area = persons_by_area_group(model, by_home)
        if totals is not None:
            totals[0][...] = np.maximum(by_area.sum(axis=1).astype(float), 1.0)
            totals[1][...] = by_home.sum(axis=1)
        return by_home, by_area
    pop = model.pop
    by_home = np.zeros(n * _NG, dtype=np.int64)
    by_area = np.zeros(n * _NG, dtype=np.int64)
    residents, home = totals if totals is not None else (np.empty(n), np.empty(n, np.int64))
    kern.persons_counts(
        pop.home, pop.loc, pop.group, pop.size, _NG, by_home, by_area, residents, home,
        *(_NO_SUMS if sums is None else sums),
    )  # fmt: skip
    return by_home.reshape(n, _NG), by_area.reshape(n, _NG)


def blocks(m: int) -> list[slice]:
    """Slices of ``BLOCK`` cohorts covering ``m`` cohorts (one empty slice if none)."""
    return [slice(i, min(i + BLOCK, m)) for i in range(0, m, BLOCK)] or [slice(0, 0)]


def sunni_mask(group: np.ndarray) -> np.ndarray:
    """Households of the communities IS recruits from: Sunni Arabs and (Tal Afar's mostly
    Sunni) Turkmen."""
    return (group == SUNNI_ARAB) | (group == TURKMEN)
