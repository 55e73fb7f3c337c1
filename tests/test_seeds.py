"""Tests of seeds/: the essay's facts, the references, and every citation resolving to them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from model.simulation.parameters import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = ROOT / "model" / "data"
ESSAY = ROOT.parent / "shared" / "seeds" / "000_079a8d48055e1c1f.txt"

FACT_KEYS = {"id", "figure", "unit", "quote", "where", "used_by"}
REFERENCE_KEYS = {"id", "citation", "url", "kind", "supports"}
KINDS = {"essay", "literature", "data", "news"}
MAX_QUOTE = 200
# A sentence ends inside a quote when a stop is followed by a space and a capital letter.
SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]?\s+[A-Z]")

REQUIRED_FACTS = {
    "essay-us-troops",
    "essay-politics-first",
    "essay-fighter-families",
    "essay-syria-havens",
    "essay-refuge-hills",
    "essay-mosul-liberated",
    "essay-behind-lines",
    "essay-kirkuk-share",
    "essay-hawija-districts",
    "essay-tal-afar",
    "essay-sinjar",
    "essay-anbar-towns",
    "essay-iraqi-request",
}
REQUIRED_REFERENCES = {
    "essay",
    "us-troops-2017",
    "kurdish-referendum-2017",
    "kirkuk-crisis-2017",
    "is-forces-iraq-2017",
    "is-forces-cjtf-2017",
    "is-forces-syria-2017",
    "mosul-operation-force",
    "coalition-size-2017",
    "epstein2002",
    "hrw-families-2018",
    "hrw-pmf-abuses",
    "berman2011",
    "condra2012",
    "mearsheimer1989",
    "mosul-battle",
    "mosul-civilian-deaths",
    "ocha-mosul-2017-04",
    "bennett2008",
    "quinlivan1995",
    "paul2010",
    "connable2010",
    "iom-dtm-2017",
    "collier2008",
    "dtm-r68",
    "dtm-r70",
    "dtm-r72",
    "dtm-r74",
    "ocha-hno-2017",
    "rudaw-peshmerga-2017",
    "gppi-tribal-2017",
    "warontherocks-cts-2017",
    *(f"P{i}" for i in range(1, 19)),
}


def _load(name: str) -> list[dict]:
    with (SEEDS / name).open(encoding="utf-8") as fh:
        entries = yaml.safe_load(fh)
    assert isinstance(entries, list) and entries, f"{name}: expected a non-empty list"
    for entry in entries:
        assert isinstance(entry, dict), f"{name}: every entry is a mapping, got {entry!r}"
    return entries


@pytest.fixture(scope="module")
def facts() -> list[dict]:
    return _load("facts.yaml")


@pytest.fixture(scope="module")
def references() -> list[dict]:
    return _load("references.yaml")


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("—", "-").replace("–", "-")
    return re.sub(r"\s+", " ", text).strip()


# ---- facts.yaml -----------------------------------------------------------------------------


def test_facts_have_all_keys(facts: list[dict]) -> None:
    for entry in facts:
        assert set(entry) == FACT_KEYS, entry.get("id")


def test_fact_ids_unique_and_required(facts: list[dict]) -> None:
    ids = [e["id"] for e in facts]
    assert len(ids) == len(set(ids))
    assert not REQUIRED_FACTS - set(ids)
    assert all(i.startswith("essay-") for i in ids)


def test_fact_figures(facts: list[dict]) -> None:
    for entry in facts:
        figure = entry["figure"]
        if figure is None:
            continue
        if isinstance(figure, list):
            assert len(figure) == 2 and all(isinstance(x, (int, float)) for x in figure), entry[
                "id"
            ]
            assert figure[0] <= figure[1], entry["id"]
        else:
            assert isinstance(figure, (int, float)) and not isinstance(figure, bool), entry["id"]
        assert isinstance(entry["unit"], str) and entry["unit"], entry["id"]


def test_fact_figures_as_expected(facts: list[dict]) -> None:
    by_id = {e["id"]: e for e in facts}
    assert by_id["essay-us-troops"]["figure"] == [5000, 6000]
    assert by_id["essay-behind-lines"]["figure"] == 400000
    assert by_id["essay-mosul-liberated"]["figure"] == pytest.approx(0.7)
    assert by_id["essay-kirkuk-share"]["figure"] == pytest.approx(0.4)


def test_quotes_short_single_sentence(facts: list[dict]) -> None:
    for entry in facts:
        quote = entry["quote"]
        assert isinstance(quote, str) and quote.strip(), entry["id"]
        assert len(quote) <= MAX_QUOTE, entry["id"]
        assert "\n" not in quote, entry["id"]
        assert not SENTENCE_BREAK.search(quote), f"{entry['id']}: more than one sentence"


def test_fact_locations_and_uses(facts: list[dict]) -> None:
    for entry in facts:
        assert isinstance(entry["where"], int) and 1 <= entry["where"] <= 3, entry["id"]
        assert isinstance(entry["used_by"], list) and entry["used_by"], entry["id"]


@pytest.mark.skipif(not ESSAY.is_file(), reason="the source essay is not next to the repository")
def test_quotes_occur_in_essay(facts: list[dict]) -> None:
    text = _normalise(ESSAY.read_text(encoding="utf-8"))
    for entry in facts:
        assert _normalise(entry["quote"]) in text, entry["id"]


# ---- references.yaml ------------------------------------------------------------------------


def test_references_have_all_keys(references: list[dict]) -> None:
    for entry in references:
        assert set(entry) == REFERENCE_KEYS, entry.get("id")
        assert entry["kind"] in KINDS, entry["id"]
        assert isinstance(entry["citation"], str) and entry["citation"].strip(), entry["id"]
        assert isinstance(entry["supports"], str) and entry["supports"].strip(), entry["id"]
        assert "\n" not in entry["supports"], entry["id"]
        url = entry["url"]
        assert url is None or (isinstance(url, str) and url.startswith("http")), entry["id"]


def test_reference_ids_unique_and_required(references: list[dict], facts: list[dict]) -> None:
    ids = [e["id"] for e in references]
    assert len(ids) == len(set(ids))
    assert not REQUIRED_REFERENCES - set(ids)
    assert not set(ids) & {e["id"] for e in facts}


def test_registry_sources_resolve(facts: list[dict], references: list[dict]) -> None:
    known = {e["id"] for e in facts} | {e["id"] for e in references}
    missing = {
        (p.name, s)
        for p in REGISTRY.values()
        for s in p.sources
        if s != "assumption" and s not in known
    }
    assert not missing


def test_data_sources_resolve(references: list[dict]) -> None:
    known = {e["id"] for e in references}
    files = sorted(DATA.glob("*.csv"))
    assert files
    missing = set()
    for path in files:
        with path.open(encoding="utf-8", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                for column, value in row.items():
                    if column == "op_source" and not row["op_start"]:
                        continue  # sources the optional op_start only where it is given
                    if column == "source" or column.endswith("_source"):
                        ids = [s.strip() for s in value.split(";")]
                        assert all(ids), f"{path.name}:{line} {column} empty"
                        missing |= {(path.name, line, s) for s in ids if s not in known}
    assert not missing
