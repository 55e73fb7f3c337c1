"""Pure update rules of the model: NumPy in, NumPy out; no Mesa, no I/O, no randomness.

Each function is one equation of docs/ODD.md (section 7, submodels), applied to whole arrays
at once. Randomness is drawn by the caller from the model's seeded generator.
"""

from __future__ import annotations

import numpy as np

QUIET, SYMPATHISER, ACTIVE = 0, 1, 2


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


def stance(
    grievance_: np.ndarray,
    risk_aversion: np.ndarray,
    arrest_p: np.ndarray,
    t_active: float,
    t_symp: float,
) -> np.ndarray:
    """Stance from grievance minus net risk N = R P: active above T, sympathiser above T_s."""
    net = grievance_ - risk_aversion * arrest_p
    out = np.where(net > t_symp, SYMPATHISER, QUIET).astype(np.int8)
    out[net > t_active] = ACTIVE
    return out


def relax(current: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Move ``current`` a share ``rate`` of the way toward ``target``."""
    return current + rate * (target - current)


def saturating(x: np.ndarray | float, half: float) -> np.ndarray | float:
    """x / (x + half): 0 at 0, 1/2 at ``half``, approaching 1."""
    return x / (x + half)


def coalition_support(us_troops: float, scale: float) -> float:
    """Coalition support 0-1 from the US troop level: 1 - exp(-troops / scale)."""
    return 1.0 - float(np.exp(-us_troops / scale))


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
    pop_under_is: float,
    incidents: float,
    legitimacy: float,
    tension: float,
    idps: float,
    population: float,
    incident_scale: float,
) -> float:
    """Composite stability index 0-100: the mean of five parts, each 0-1.

    territory 1 - min(1, persons under IS / 1 million); violence exp(-incidents / scale);
    legitimacy (persons-weighted mean); calm 1 - sectarian tension; homes
    1 - min(1, displaced / (10% of the population)).
    """
    parts = (
        1.0 - min(1.0, pop_under_is / 1.0e6),
        float(np.exp(-incidents / incident_scale)),
        legitimacy,
        1.0 - tension,
        1.0 - min(1.0, idps / (0.1 * max(population, 1.0))),
    )
    return 100.0 * float(np.mean(parts))
