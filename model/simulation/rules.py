"""Pure update rules of the model: NumPy in, NumPy out; no Mesa, no I/O, no randomness.

Each function is one equation of docs/ODD.md (section 7, submodels), applied to whole arrays
at once. Randomness is drawn by the caller from the model's seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def arrest_probability(
    security_eff: np.ndarray,
    actives: np.ndarray,
    residents: np.ndarray,
    k: float,
    scale: float,
    floor: float,
) -> np.ndarray:
    """Epstein's estimated arrest probability per area, in real units.

    P = 1 - exp(-k * C / A) with C = effective security personnel / ``scale`` (troops that
    count as one Epstein cop) and A = active persons, at least ``floor`` x residents.
    """
    denom = np.maximum(actives, floor * residents) + 1.0
    return 1.0 - np.exp(-k * (security_eff / scale) / denom)


def grievance(hardship: np.ndarray, legitimacy: np.ndarray) -> np.ndarray:
    """Epstein's grievance G = H (1 - L)."""
    return hardship * (1.0 - legitimacy)


def mobilization(
    grievance_: np.ndarray,
    risk_aversion: np.ndarray,
    arrest_p: np.ndarray,
    t_active: float,
    t_symp: float,
    spread: float,
    work: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of a cohort that would be active and engaged (active or sympathiser).

    Epstein's rule, active when the net grievance N = G - R P exceeds the threshold T, applied
    to the persons of a cohort whose thresholds are spread around T (logistic, scale
    ``spread``; Granovetter 1978): the share above T is 1 / (1 + exp(-(N - T) / spread)). With
    ``spread`` 0 it is Epstein's all-or-nothing rule.

    ``work`` (optional): two arrays of the cohorts' length that receive the active and engaged
    shares (the first may be ``arrest_p`` itself, which is then overwritten); the values are
    the same as without it.
    """
    if work is None:
        work = (np.empty_like(grievance_, dtype=float), np.empty_like(grievance_, dtype=float))
    active, engaged = work
    net = np.multiply(risk_aversion, arrest_p, out=active)
    np.subtract(grievance_, net, out=net)
    if spread <= 0:
        np.greater(net, t_symp, out=engaged, casting="unsafe")
        np.greater(net, t_active, out=active, casting="unsafe")
        return active, engaged
    # 1 / (1 + exp(-(N - T) / spread)); -(x) / s is x / -s exactly
    for out, threshold in ((engaged, t_symp), (active, t_active)):
        np.subtract(net, threshold, out=out)
        np.divide(out, -spread, out=out)
        np.exp(out, out=out)
        np.add(out, 1.0, out=out)
        np.divide(1.0, out, out=out)
    np.maximum(engaged, active, out=engaged)
    return active, engaged


def relax(current: np.ndarray, target: np.ndarray, rate: np.ndarray | float) -> np.ndarray:
    """Move ``current`` a share ``rate`` of the way toward ``target``."""
    return current + rate * (target - current)


def relax_asymmetric(
    current: np.ndarray, target: np.ndarray, up: float, down: float, work: np.ndarray | None = None
) -> np.ndarray:
    """``relax`` in place with a rate that depends on the direction: ``up`` where the target is
    above the current value, ``down`` where it is below; returns ``current``.

    The step is exactly rate x gap. With rates of one sign it is the larger of gap x up and
    gap x down when up >= down (the smaller when up < down): rounding keeps the order of the two
    products, so no branch per cohort is needed. ``work`` (optional, may be ``target`` itself,
    which is then overwritten) holds the gap.
    """
    gap = np.subtract(target, current, out=work)
    if up >= 0 and down >= 0:
        faster = np.multiply(gap, up)
        np.multiply(gap, down, out=gap)
        (np.maximum if up >= down else np.minimum)(faster, gap, out=gap)
    else:  # pragma: no cover - rates are shares (registry ranges), never negative
        np.multiply(gap, np.where(gap > 0, up, down), out=gap)
    return np.add(current, gap, out=current)


def total(x: np.ndarray) -> float:
    """``float(x.sum())`` of a float vector, bit for bit, without the reduction's set-up when
    it is short (a few forces or havens): NumPy adds fewer than 8 values one after the other
    from 0 (its pairwise summation starts at 8), as this loop does."""
    if len(x) >= 8:
        return float(x.sum())
    s = 0.0
    for v in x.tolist():
        s += v
    return s


def saturating(x: np.ndarray | float, half: float) -> np.ndarray | float:
    """x / (x + half): 0 at 0, 1/2 at ``half``, approaching 1."""
    return x / (x + half)


def coalition_support(troops: float, half: float, shape: float) -> float:
    """Coalition support 0-1 from the coalition troops present (a Hill curve).

    support = x^h / (x^h + half^h): 0 without troops, rising slowly for the first troops (they
    protect themselves before they advise), fastest around ``half`` and saturating; there is
    no threshold and no jump.
    """
    if troops <= 0:
        return 0.0
    return float(troops**shape / (troops**shape + half**shape))


def services(destruction: np.ndarray, aid_per_capita: np.ndarray, half: float) -> np.ndarray:
    """Public services 0-1: full where nothing is destroyed; aid restores what is.

    services = 1 - destruction * exp(-aid per resident / half).
    """
    return 1.0 - destruction * np.exp(-aid_per_capita / half)


def clearing_progress(
    held: np.ndarray, ratio: np.ndarray, max_rate: np.ndarray, ratio_half: float
) -> np.ndarray:
    """Share of an area retaken this month: max_rate x saturating(force ratio), at most held."""
    return np.minimum(held, max_rate * saturating(ratio, ratio_half))


def allocate(total: float, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to non-negative ``weights`` (zeros if they sum to 0)."""
    s = float(weights.sum())
    if s <= 0:
        return np.zeros_like(weights, dtype=float)
    return total * weights / s


def split_integer(total: int, n: int) -> np.ndarray:
    """Split a whole number into n whole parts that differ by at most one and sum to it."""
    base, rem = divmod(int(total), n)
    out = np.full(n, base, dtype=np.int64)
    out[:rem] += 1
    return out


def stability_index(
    pop_under_is: np.ndarray | float,
    incidents: np.ndarray | float,
    legitimacy: np.ndarray | float,
    tension: np.ndarray | float,
    idps: np.ndarray | float,
    population: np.ndarray | float,
    incident_scale: float,
    is_scale: float = 1.0e6,
    idp_share: float = 0.1,
) -> np.ndarray | float:
    """Composite stability index 0-100: the mean of five parts, each 0-1 (a float for scalar
    inputs, an array for arrays such as one value per month).

    territory 1 - min(1, persons under IS / ``is_scale``); violence exp(-incidents / scale);
    legitimacy (persons-weighted mean); calm 1 - sectarian tension; homes
    1 - min(1, displaced / (``idp_share`` of the population)).
    """
    parts = np.broadcast_arrays(
        1.0 - np.minimum(1.0, np.divide(pop_under_is, is_scale)),
        np.exp(np.divide(np.negative(incidents), incident_scale)),
        legitimacy,
        np.subtract(1.0, tension),
        1.0 - np.minimum(1.0, np.divide(idps, idp_share * np.maximum(population, 1.0))),
    )
    index = 100.0 * np.mean(np.stack(parts, axis=-1), axis=-1)
    return float(index) if index.ndim == 0 else index


def trailing_year(monthly: np.ndarray) -> np.ndarray:
    """Sum over the last 12 months at every month; before month 12, the months so far scaled
    to a year (so the series starts at the yearly rate of the first months)."""
    x = np.asarray(monthly, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(x)])
    t = np.arange(len(x))
    lo = np.maximum(0, t - 11)
    span = t - lo + 1
    return (cum[t + 1] - cum[lo]) * 12.0 / span


OUTCOME_CLASSES: tuple[str, ...] = (
    "stable",
    "low_level",
    "persistent_insurgency",
    "resurgence",
    "never_defeated",
)
"""The ordered run outcome, best (0) to worst (4): ``conflict_outcome`` in the run summary."""


@dataclass(frozen=True)
class ConflictCourse:
    """Months (indices) of a run's course; None where it did not happen."""

    defeat: int | None
    war_ended: int | None
    relapse: int | None
    at_risk: int | None
    outcome: int


def conflict_course(
    held_areas: np.ndarray,
    battle_deaths_12m: np.ndarray,
    territory_back: np.ndarray,
    war: float,
    conflict: float,
    held_at_start: float = 1.0,
) -> ConflictCourse:
    """The course of the conflict in a run, on the standard battle-death thresholds.

    - defeat: the first month no governed Iraqi area is held by IS, after IS held one (at the
      start or later); a run where IS never held territory records no defeat;
    - war ended: the first month from the defeat on (from the start, if IS held nothing at the
      start) with fewer than ``war`` battle-related deaths over the last 12 months;
    - relapse: the first month after the defeat (or from the start, if IS held nothing at the
      start) in which IS holds ``territory_back`` (a governed area at the resurgence share) or,
      after the war ended, yearly battle deaths are back at ``war``;
    - at risk: months from the war's end (or the defeat, or the start) to the relapse, or to
      the last month if none (a censored time to relapse);
    - outcome: index in :data:`OUTCOME_CLASSES`: never defeated (IS held territory at the start
      and still holds some); resurgence (a relapse); persistent insurgency (the war never
      ended); low-level (final yearly battle deaths at least ``conflict``); stable.
    """
    T = len(held_areas)
    held = np.asarray(held_areas) > 0
    if held_at_start > 0:
        defeat = next((t for t in range(T) if not held[t]), None)
        if defeat is None:
            return ConflictCourse(None, None, None, None, 4)
        origin, first = defeat, defeat + 1
    else:  # no territory at the start: the run starts at risk of a relapse
        defeat = next((t for t in range(1, T) if not held[t] and held[:t].any()), None)
        origin, first = 0, 0
    ended = next((t for t in range(origin, T) if battle_deaths_12m[t] < war), None)
    relapse = None
    for t in range(first, T):
        back = ended is not None and t > ended and battle_deaths_12m[t] >= war
        if territory_back[t] or back:
            relapse = t
            break
    start = ended if ended is not None and (relapse is None or ended < relapse) else origin
    at_risk = (relapse if relapse is not None else T - 1) - start
    if relapse is not None:
        outcome = 3
    elif ended is None:
        outcome = 2
    elif battle_deaths_12m[T - 1] >= conflict:
        outcome = 1
    else:
        outcome = 0
    return ConflictCourse(defeat, ended, relapse, at_risk, outcome)
