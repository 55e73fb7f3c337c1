"""What the forkserver of the worker processes loads before it forks them.

The worker module (and through it the model), and the compiled kernels of the per-cohort work
(``model.simulation.kernels``): loading them costs about a second, paid here once rather than
in every worker. A problem with them (a wrong ``STABSIM_KERNELS``) is left for the workers to
report when they build their first model.
"""

from __future__ import annotations

import contextlib

from model.experiments import worker  # noqa: F401 - imported for the workers
from model.simulation import kernels

# (a failure is reported by the workers themselves, see above)
with contextlib.suppress(Exception):
    kernels.warm_up()
