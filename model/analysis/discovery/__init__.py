"""Scenario discovery over stored batch results: where in the varied lever and parameter space
a binary outcome (a condition such as ``resurgence == 1``) holds.

    conditions   the outcome of each finished run and whether the condition holds in it.
    prim         PRIM (Friedman & Fisher 1999): peeling, pasting, boxes and their figure
                 (``from model.analysis.discovery.prim import prim``).
    cart         a classification tree (CART, scikit-learn) whose leaves are boxes.
    driver       ``discover``: runs a method on a stored batch and writes its results.
    common       shared with sensitivity analysis: error, output folder, writers, figures.

Reads stored results only and never imports Mesa. Sensitivity analysis builds on this package
(a study's ``discover`` conditions); this package never imports ``model.analysis.sensitivity``.
"""

from model.analysis.discovery.cart import CartResult, plot_cart
from model.analysis.discovery.common import OUTPUT_DIR, StudyError
from model.analysis.discovery.conditions import condition_values
from model.analysis.discovery.driver import (
    DiscoveryCases,
    DiscoveryResult,
    discover,
    discovery_cases,
    write_discovery,
)

# The function ``prim`` is not bound here: ``model.analysis.discovery.prim`` stays the module.
from model.analysis.discovery.prim import WEAK_QP, PrimResult, plot_prim

__all__ = [
    "OUTPUT_DIR",
    "WEAK_QP",
    "DiscoveryCases",
    "DiscoveryResult",
    "PrimResult",
    "CartResult",
    "StudyError",
    "condition_values",
    "discover",
    "discovery_cases",
    "plot_cart",
    "plot_prim",
    "write_discovery",
]
