"""What the forkserver of the worker processes loads before it forks them.

The worker module (and through it the model), the compiled kernels of a month's work
(``model.simulation.kernels``), what a worker needs to read its first task (the run specs and
scenarios of ``model.experiments.design`` and ``model.files``, with pydantic) and to write its
runs (``model.experiments.executors``, the Parquet writer), and one short coarse run (the packaged
April 2017 data, the area network and every first call) whose tables go through the Parquet
writer into memory. Loading them costs about a second, paid here once rather than in every
worker of every batch (with runs of a tenth of a second, a worker's own start-up would be a
batch's largest serial part: reading the first task alone imported about 70 modules, 0.2 s). A
problem with them (a wrong ``STABSIM_KERNELS``, unreadable data) is left for the workers to
report when they build their first model.
"""

from __future__ import annotations

import contextlib

from model.experiments import worker  # noqa: F401 - imported for the workers
from model.simulation import kernels

# (a failure is reported by the workers themselves, see above)
with contextlib.suppress(Exception):
    kernels.warm_up()
with contextlib.suppress(Exception):
    # what unpickling a run spec and running it in a worker imports
    from model.experiments import design, executors  # noqa: F401
    from model.files import batch, scenario  # noqa: F401
with contextlib.suppress(Exception):
    import io

    from model.experiments.atomic import write_parquet
    from model.simulation.model import StabilizationModel

    # one short, coarse run: the data, the area network and every first call made once here,
    # its tables written as a worker writes its parts (into memory)
    model = StabilizationModel(horizon=2, persons_per_agent=50000, seed=1)
    model.run()
    for table in model.recorder.frames():
        write_parquet(table, io.BytesIO())
    del model, table
