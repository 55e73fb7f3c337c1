"""stabsim: a Mesa agent-based model of stabilization in Iraq after Mosul (2017).

Public API:
    load_scenario, load_batch   scenario and batch YAML -> validated, frozen objects
    StabilizationModel          the Mesa model (keyword arguments + seed)
    run_model                   one replicate -> (monthly table, run summary)
    run_scenario                all replicates of a scenario, stored under runs/
    open_batch                  a stored batch folder -> its runs as tables
    REGISTRY                    every parameter and lever with default, range, unit, source

The layers behind it, and which way they import, are described in docs/ARCHITECTURE.md.
"""

from model.simulation.parameters import REGISTRY

__version__ = "0.1.0"

__all__ = [
    "REGISTRY",
    "StabilizationModel",
    "load_batch",
    "load_scenario",
    "open_batch",
    "run_model",
    "run_scenario",
]

# Where each lazily imported name lives. Lazy imports keep `import model` light (the CLI's
# error path and analysis code need no Mesa).
_LAZY = {
    "StabilizationModel": "model.simulation.model",
    "load_scenario": "model.files.scenario",
    "load_batch": "model.files.batch",
    "run_model": "model.experiments.run",
    "run_scenario": "model.experiments.batches",
    "open_batch": "model.experiments.results",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(_LAZY[name]), name)
