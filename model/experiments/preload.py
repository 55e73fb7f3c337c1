"""What the forkserver of the worker processes loads before it forks them.

The worker module (and through it the model), the compiled kernels of a month's work
(``model.simulation.kernels``), the Parquet writer, and one short coarse run (the packaged April
2017 data, the area network and every first call): loading them costs about a second, paid here
once rather than in every worker of every batch (with runs of a tenth of a second, a worker's own
start-up would be a batch's largest serial part). A problem with them (a wrong
``STABSIM_KERNELS``, unreadable data) is left for the workers to report when they build their
first model.
"""

from __future__ import annotations

import contextlib

from model.experiments import worker  # noqa: F401 - imported for the workers
from model.simulation import kernels

# (a failure is reported by the workers themselves, see above)
with contextlib.suppress(Exception):
    kernels.warm_up()
with contextlib.suppress(Exception):
    import pyarrow.parquet  # noqa: F401 - the workers write their runs' Parquet parts

    from model.simulation.model import StabilizationModel

    # one short, coarse run: the data, the area network and every first call made once here
    StabilizationModel(horizon=2, persons_per_agent=50000, seed=1).run()
