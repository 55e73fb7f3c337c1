"""The parameter registry is complete: every entry has all its fields, in range."""

from __future__ import annotations

import importlib
import inspect

import pytest

from model.simulation.parameters import KINDS, LEVERS, PARAMETERS, REGISTRY, defaults


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_entry_has_every_field(name):
    p = REGISTRY[name]
    assert p.name == name and name.isidentifier()
    assert p.kind in KINDS
    assert p.unit.strip(), f"{name}: no unit"
    assert len(p.meaning.strip()) > 15 and p.meaning.rstrip().endswith("."), f"{name}: meaning"
    assert p.sources, f"{name}: no source (a fact, a reference or 'assumption')"
    assert p.low <= p.default <= p.high and p.low < p.high, f"{name}: range"
    if p.integer:
        assert float(p.default).is_integer(), f"{name}: integer default"
    for label, value in p.choices.items():
        assert p.low <= value <= p.high, f"{name}: choice {label}"


def test_levers_and_parameters_partition_the_registry():
    assert set(LEVERS) | set(PARAMETERS) == set(REGISTRY)
    assert not set(LEVERS) & set(PARAMETERS)
    assert {REGISTRY[n].kind for n in LEVERS} <= {"lever", "event"}
    assert defaults() == {n: p.default for n, p in REGISTRY.items()}


def test_every_model_parameter_is_registered_and_used():
    """The model reads its parameters from the registry only; every entry is read somewhere."""
    processes = (
        "model",
        "initialization",
        "levers",
        "operations",
        "insurgency",
        "insurgency_compiled",
        "population",
        "displacement",
        "politics",
        "recording",
        "tables",
        "cohorts",
    )
    source = "".join(
        inspect.getsource(importlib.import_module(f"model.simulation.{name}")) for name in processes
    )
    # the force effectivenesses are read as p[f"force_eff_{force.lower()}"]
    assert 'f"force_eff_{f.lower()}"' in source
    unused = [n for n in REGISTRY if f'"{n}"' not in source and not n.startswith("force_eff_")]
    assert not unused, f"registry entries the model never reads: {unused}"
