"""stabsim: a Mesa agent-based model of stabilization in Iraq after Mosul (2017).

Public API:
    load_scenario, load_batch   scenario and batch YAML -> validated, frozen objects
    StabilizationModel          the Mesa model (keyword arguments + seed)
    run_model                   one replicate -> (monthly table, run summary)
    run_scenario                all replicates of a scenario, stored under runs/
    REGISTRY                    every parameter and lever with default, range, unit, source
"""

from model.simulation.parameters import REGISTRY

__version__ = "0.1.0"

__all__ = [
    "REGISTRY",
    "StabilizationModel",
    "load_batch",
    "load_scenario",
    "run_model",
    "run_scenario",
]


def __getattr__(name: str):
    # Lazy imports keep `import model` light (the CLI's error path and analysis code need no Mesa).
    if name == "StabilizationModel":
        from model.simulation.model import StabilizationModel

        return StabilizationModel
    if name in ("run_model", "run_scenario"):
        from model.experiments import run as simulation

        return getattr(simulation, name)
    if name in ("load_scenario", "load_batch"):
        from model.files import config

        return getattr(config, name)
    raise AttributeError(name)
