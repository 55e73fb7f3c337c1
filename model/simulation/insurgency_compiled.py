"""Insurgency: the compiled path's month and the run's constants (docs/ODD.md section 7.5).

``_step_compiled`` is ``insurgency.step`` with the compiled kernels (``model.simulation.
kernels``): the whole month in two calls around the attacks' BLAS dot product, each process the
kernel its own function in ``insurgency`` calls. ``_Static`` holds what the insurgency reads
every month but never changes in a run, for both paths.
"""

from __future__ import annotations

import numpy as np

from model.simulation.agents import CLANDESTINE, HOLDING, HOME
from model.simulation.cohorts import cohort_index, scratch
from model.simulation.kernels import floats, rng_pointers

_NONE = np.zeros(0, dtype=np.int64)
_NONE.flags.writeable = False  # (shared: no households)


def _step_compiled(model, support: np.ndarray) -> None:
    """``step`` in two compiled calls around the attacks' expected ordinary deaths (a BLAS dot
    product, left to NumPy); each process is the kernel its own function calls."""
    p, n, pop, kern, st = model.p, model.n, model.pop, model._kernels, _static(model)
    ptrs = rng_pointers(model)
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    inc = np.empty(n, dtype=np.int64)
    big, rate, per_person = np.empty(n), np.empty(n), np.empty(n)
    chance = p["leadership_strike_rate"] * model.support * model.air * model.intel
    lead, lost, b_recruit, n_big, kill = kern.insurgency_first(
        ptrs, float(model.leadership),
        floats(p["leadership_recovery_months"], chance, p["leadership_loss_effect"]),
        model.haven_capacity, C, H, model.haven, float(model.haven_strength0),
        st.boost, support, st.attack, model.residents, inc, big, rate, per_person,
        model.m_incidents,
    )  # fmt: skip
    model.leadership = lead
    model.m_leader_lost = lost
    model.leaders_lost += int(lost)
    mean = float(np.dot(model.residents, rate)) if kill else 0.0
    p_det = np.empty(n)
    killed, recruited, inflow = kern.insurgency_rest(
        ptrs, kill, mean, n_big, b_recruit,
        (pop.size, pop.loc, pop.active, pop.status, pop.under_is), support, per_person, inc,
        model.residents, model.harm_is, st.losses, model.garrison,
        (model.m_civ, model.m_sec, model.m_isd, model.m_is_killed, model.m_recruits),
        (model.refuge, model._cover, model.sunni_share, st.exposure, st.syria, st.syria_cover),
        _detection_scalars(model), p_det, st.recruit, model.iraq, cohort_index(model).sunni,
        scratch(model, "grievance", len(pop)), _partial(model), st.haven_index,
        model.haven_capacity,
        model.is_share, _haven_scalars(model), st.border_links, model.policing,
        _border_scalars(model),
        *st.after_border, model._nb_pad, model._nb_ok, model._nb_any, st.mobility,
        st.can_seize, model.governed, cohort_index(model).home_starts, HOME, st.seize, C, H,
    )  # fmt: skip
    model.killed += int(killed)
    model.recruited += int(recruited)
    model.m_inflow += int(inflow)


def _attacks_compiled(model, support: np.ndarray, boost: float) -> None:
    """``attacks`` in two compiled steps around the expected ordinary deaths (a BLAS dot
    product, left to NumPy)."""
    n, pop, kern, st = model.n, model.pop, model._kernels, _static(model)
    ptrs = rng_pointers(model)
    inc = np.empty(n, dtype=np.int64)
    big, rate, per_person = np.empty(n), np.empty(n), np.empty(n)
    attack_rate, *rest = st.attack
    C, H = model.F[CLANDESTINE], model.F[HOLDING]
    residents = model.residents
    n_big, kill = kern.attack_draws(
        ptrs, C, H, support, attack_rate * boost * model.leadership, *rest, residents, inc,
        big, rate, per_person,
    )  # fmt: skip
    model.m_incidents += inc
    mean = float(np.dot(residents, rate)) if kill else 0.0
    model.killed += int(
        kern.attack_losses(
            ptrs, kill, mean, n_big, pop.size, pop.loc, per_person, inc, residents,
            model.harm_is, *st.losses, model.garrison, model.m_civ, model.m_sec,
            scratch(model, "grievance", len(pop)),
        )
    )  # fmt: skip


def _partial(model) -> np.ndarray:
    """The column for the partial sums of the recruits' weights (one per Sunni household)."""
    return scratch(model, "partial", len(cohort_index(model).sunni))


def _detection_scalars(model) -> tuple[float, ...]:
    """The scalars of the detection kernel: the search burden of a refuge (persons), the
    detection rate x intelligence, the density's half-saturation, support's concealment, the
    strike rate x air x coalition support, the Syria campaign's rate, the share killed."""
    p = model.p
    return floats(
        p["refuge_search_persons"],
        p["detect_rate"] * model.intel,
        p["security_density_half"],
        p["support_concealment"],
        p["strike_rate"] * model.air * model.support,
        p["detect_rate"] * model.lev["syria_campaign"] * model.air,
        p["detect_kill_share"],
    )


def _haven_scalars(model) -> tuple[float, ...]:
    """The month's terms of the havens: ground floor, limit, decay and regrowth rates under
    the Syria campaign, fighters housed per unit of capacity, growth rate."""
    p, camp = model.p, model.lev["syria_campaign"]
    return floats(
        p["haven_ground_floor"],
        model.lev["haven_limit"],
        -p["haven_decay"] * camp,
        p["haven_regrowth"] * (1 - camp),
        p["haven_fighter_ceiling"],
        p["haven_growth"],
    )


def _border_scalars(model) -> tuple[float, ...]:
    """The month's terms of the border: the share left open by the posted troops, the ratio
    for a crossing in force, resupply and offensive shares."""
    p = model.p
    return floats(
        1.0 - model.border_control,  # the control the posted troops achieve
        p["haven_offensive_ratio"],
        p["haven_resupply"],
        p["haven_offensive_share"],
    )


class _Static:
    """What the insurgency reads every month but never changes in a run (``_static``)."""

    def __init__(self, model) -> None:
        self.haven_index = model.haven.nonzero()[0]
        self.havens = self.haven_index.tolist()
        if model.haven_capacity[~model.haven].any():  # pragma: no cover - built as 0
            raise RuntimeError("haven capacity outside the havens")
        # border links as (Syrian side, Iraqi side)
        self.border = [
            (int(i), int(s)) if model.iraq[s] else (int(s), int(i)) for s, i in model.border_pairs
        ]
        self.border_links = np.array(self.border, dtype=np.int64).reshape(-1, 2)
        # sanctuaries (ascending) and their governed Iraqi neighbours (sorties)
        self.sorties = []
        for a in model.sanctuary.nonzero()[0].tolist():
            nb = model.nbrs[a]
            nb = nb[model.iraq[nb] & ~model.sanctuary[nb]]
            if len(nb):
                self.sorties.append((a, nb))
        # (seizure: Iraqi areas that are governed, or sanctuaries)
        self.can_seize = model.iraq & (model.governed | model.sanctuary)
        # (detection)
        self.exposure = model.p["exposure_detection"] * model._not_refuge
        self.syria = model.syria.nonzero()[0]
        self.syria_cover = model._cover[self.syria]
        # (movement: the risk of every padded neighbour read from the risks with an infinite
        # one appended, where the pad has no neighbour)
        self.nb_ext = np.where(model._nb_ok, model._nb_pad, model.n)
        self.risk_ext = np.full(model.n + 1, np.inf)
        self.nb_flat = model._nb_rows * model._nb_pad.shape[1]
        # (the compiled path: the run's parameters as floats, the sorties' neighbours flat)
        p = model.p
        per, mass, size = (
            p["civ_deaths_per_incident"], p["mass_casualty_share"], p["mass_casualty_size"]
        )  # fmt: skip
        self.boost = floats(p["haven_attack_boost"], p["haven_recruit_boost"])
        self.attack = floats(
            p["attack_rate"], p["support_floor"], p["holding_attack_share"],
            min(1.0, per * mass / size), 1.0 / size, per * (1.0 - mass),
        )  # fmt: skip
        self.losses = floats(p["harm_memory"], p["sec_deaths_per_incident"])
        self.recruit = floats(p["recruit_rate"], p["recruit_remote"])
        self.mobility = float(p["cell_mobility"])
        self.seize = floats(
            p["retaken_threshold"], p["seize_support_base"], p["seize_ratio"], p["seize_rate"]
        )
        areas = np.array([a for a, _ in self.sorties], dtype=np.int64)
        counts = [len(nb) for _, nb in self.sorties]
        starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        flat = np.concatenate([nb for _, nb in self.sorties] or [_NONE]).astype(np.int64)
        self.after_border = (
            float(p["fighter_attrition"]),
            areas,
            starts,
            flat,
            float(p["sanctuary_sortie"]),
        )


def _static(model) -> _Static:
    """The run's ``_Static`` (built on first use)."""
    st = getattr(model, "_insurgency_static", None)
    if st is None:
        st = model._insurgency_static = _Static(model)
    return st
