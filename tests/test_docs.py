"""docs/ODD.md's run-generated figures describe the model as it is (the model fingerprint)."""

from __future__ import annotations

from pathlib import Path

from model.analysis.odd_figures import fingerprint, recorded_fingerprint

ROOT = Path(__file__).resolve().parent.parent


def test_odd_figures_are_current():
    recorded = recorded_fingerprint(ROOT / "docs" / "ODD.md")
    assert recorded is not None, "docs/ODD.md has no generated figures: run `make odd`"
    assert recorded == fingerprint(ROOT), (
        "docs/ODD.md's figures come from an older model (simulation code, data or scenarios "
        "changed): run `make odd`, then check that the text of section 8b still matches them"
    )


def test_fingerprint_follows_the_model(tmp_path):
    """The fingerprint changes when the simulation code, the data or a scenario changes."""
    for part in ("model/simulation", "model/data", "scenarios"):
        (tmp_path / part).mkdir(parents=True)
    (tmp_path / "model/simulation/a.py").write_text("x = 1\n")
    (tmp_path / "model/data/a.csv").write_text("a\n1\n")
    (tmp_path / "scenarios/a.yaml").write_text("name: a\n")
    before = fingerprint(tmp_path)
    for path in ("model/simulation/a.py", "model/data/a.csv", "scenarios/a.yaml"):
        f = tmp_path / path
        old = f.read_text()
        f.write_text(old + "# changed\n")
        assert fingerprint(tmp_path) != before, path
        f.write_text(old)
    assert fingerprint(tmp_path) == before
