"""Shared fixtures: the packaged initial state and the baseline scenario, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline():
    from model.files.scenario import load_scenario

    return load_scenario(SCENARIOS / "baseline_historical.yaml")


@pytest.fixture(scope="session")
def state():
    from model.data import default_state

    return default_state()
