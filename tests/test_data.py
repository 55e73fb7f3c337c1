"""Tests of model.data: the packaged initial state and every loader check."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest

import model.data as data
from model.data import (
    FILES,
    IRAQ_GOVERNORATES,
    SHARE_COLUMNS,
    DataError,
    InitialState,
    default_state,
    load_initial_state,
    validate_state,
)
from model.simulation.outcomes import GROUP_CODES

PACKAGE_DIR = Path(data.__file__).parent

Rows = list[dict[str, str]]


# ---- helpers --------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "state"
    target.mkdir()
    for filename in FILES.values():
        shutil.copy(PACKAGE_DIR / filename, target / filename)
    return target


def _read(path: Path) -> tuple[list[str], Rows]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: Rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _edit(directory: Path, filename: str, change: Callable[[list[str], Rows], object]) -> None:
    """Apply ``change(fields, rows)`` in place to one CSV file of ``directory``."""
    fields, rows = _read(directory / filename)
    change(fields, rows)
    _write(directory / filename, fields, rows)


def _set(rows: Rows, key: str, value: str, column: str, new: str) -> None:
    for row in rows:
        if row[key] == value:
            row[column] = new
            return
    raise AssertionError(f"no row with {key}={value}")


def _error(directory: Path) -> str:
    with pytest.raises(DataError) as info:
        load_initial_state(directory)
    message = str(info.value)
    assert "\n" not in message
    assert "allowed:" in message
    return message


def _assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


# ---- the packaged data ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> InitialState:
    return default_state()


def test_packaged_data_loads_and_validates(state: InitialState) -> None:
    validate_state(state)
    assert Path(state.source_dir).resolve() == PACKAGE_DIR.resolve()
    assert default_state() is state


def test_fifty_two_areas_all_governorates(state: InitialState) -> None:
    areas = state.areas
    assert len(areas) == 52
    assert areas.index.is_unique
    iraq = areas[areas["country"] == "IQ"]
    assert set(iraq["governorate"]) == set(IRAQ_GOVERNORATES)
    assert len(set(iraq["governorate"])) == 18
    assert set(areas.loc[areas["country"] == "SY", "governorate"]) == {
        "Raqqa",
        "Deir ez-Zor",
        "Homs",
    }


def test_graph_connected_with_attributes(state: InitialState) -> None:
    g = state.graph()
    assert nx.is_connected(g)
    assert g.number_of_nodes() == 52
    assert g.number_of_edges() == len(state.edges)
    assert g.nodes["N2"]["population"] == state.areas.at["N2", "population"]
    assert g.nodes["Y1"]["haven"] is True
    assert g.edges["A7", "Y3"]["kind"] == "border"
    assert {d["kind"] for _, _, d in g.edges(data=True)} == {"road", "border"}


def test_area_column_types(state: InitialState) -> None:
    areas = state.areas
    assert areas["population"].dtype.kind == "i"
    assert areas["is_fighters"].dtype.kind == "i"
    assert areas["is_share"].dtype.kind == "f"
    for column in ("borders_syria", "disputed", "refuge", "haven"):
        assert areas[column].dtype == bool
    assert areas.at["N1", "retaken_month"] == "2017-01"
    assert areas.at["B", "retaken_month"] == ""


def test_iraq_population_and_fighters(state: InitialState) -> None:
    areas = state.areas
    iraq = areas[areas["country"] == "IQ"]
    syria = areas[areas["country"] == "SY"]
    assert 35_000_000 <= iraq["population"].sum() <= 39_000_000
    assert 6_000 <= iraq["is_fighters"].sum() <= 9_000
    assert 15_000 <= areas["is_fighters"].sum() <= 20_000
    assert iraq["is_fighters"].sum() == state.forces.at["IS_IRAQ", "strength"]
    assert syria["is_fighters"].sum() == state.forces.at["IS_SYRIA", "strength"]


def test_governorate_totals(state: InitialState) -> None:
    by_gov = state.areas.groupby("governorate")["population"].sum()
    assert by_gov["Kirkuk"] == 1_259_561
    assert by_gov["Anbar"] == 1_500_000
    assert by_gov["Nineveh"] == 3_662_241


def test_historical_control(state: InitialState) -> None:
    areas = state.areas
    assert areas.at["N2", "controller"] == "CONTESTED"
    held = set(areas.index[areas["controller"].isin(["IS", "SY-IS"])])
    assert {"N9", "K2", "A5", "A6", "A7", "Y1", "Y2", "Y3"} == held
    assert (
        areas.loc[areas["is_share"] > 0, "retaken_month"].drop(["N4", "H", "A8", "Y4"]).ne("").all()
    )
    assert set(areas.index[areas["haven"]]) == {"Y1", "Y2", "Y3", "Y4"}


def test_share_columns_match_outcome_groups() -> None:
    assert tuple(f"share_{code}" for code in GROUP_CODES) == SHARE_COLUMNS


def test_every_row_has_source_and_flag(state: InitialState) -> None:
    for name in FILES:
        frame = getattr(state, name)
        assert "source" in frame.columns and "flag" in frame.columns, name
        assert frame["source"].map(lambda s: bool(s.strip())).all(), name
        assert frame["flag"].isin(["C", "D", "M"]).all(), name
        for column in frame.columns:
            if column.endswith("_flag"):
                assert frame[column].isin(["C", "D", "M"]).all(), (name, column)
            if column == "op_source":  # sources the optional op_start where it is given
                given = frame["op_start"].map(bool)
                assert frame.loc[given, column].map(lambda s: bool(s.strip())).all()
            elif column.endswith("_source"):
                assert frame[column].map(lambda s: bool(s.strip())).all(), (name, column)


def test_deployment_within_strength(state: InitialState) -> None:
    totals = state.deployment.groupby("force")["strength"].sum()
    for force, total in totals.items():
        assert total <= state.forces.at[force, "strength"]
    strike = state.deployment[state.deployment["mission"] == "strike"]["strength"].sum()
    assert 90_000 <= strike <= 110_000


def test_displacement_sums_to_round_70(state: InitialState) -> None:
    assert state.displacement["idps"].sum() == 3_065_112
    national = state.displacement_national.set_index("round")
    assert national.at[70, "idps"] == 3_065_112


def test_copied_directory_loads(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    copy = load_initial_state(directory)
    assert copy.source_dir == str(directory)
    assert copy.areas.equals(default_state().areas)


# ---- one test per loader check -----------------------------------------------------------------


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a directory"):
        load_initial_state(tmp_path / "nowhere")


def test_missing_file(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "edges.csv").unlink()
    _assert_names(_error(directory), "edges.csv", "file not found")


def test_missing_column(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def drop(fields: list[str], rows: Rows) -> None:
        fields.remove("population")
        for row in rows:
            del row["population"]

    _edit(directory, "areas.csv", drop)
    _assert_names(_error(directory), "areas.csv", "column population", "missing column")


def test_duplicate_area_id(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "N3", "id", "N2"))
    _assert_names(_error(directory), "areas.csv", "line 4", "column id", "duplicate")


def test_non_numeric_value(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "N2", "population", "many"))
    _assert_names(_error(directory), "areas.csv", "row N2", "column population", "'many'")


def test_fractional_integer(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "K2", "is_fighters", "12.5"))
    _assert_names(_error(directory), "areas.csv", "row K2", "column is_fighters", "whole number")


def test_negative_population(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "N2", "population", "-5"))
    _assert_names(_error(directory), "areas.csv", "row N2", "column population", "negative")


def test_negative_fighters(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "A7", "is_fighters", "-1"))
    _assert_names(_error(directory), "areas.csv", "row A7", "column is_fighters", "negative")


def test_shares_not_summing_to_one(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "B", "share_SH", "0.9"))
    _assert_names(_error(directory), "areas.csv", "row B", "column share_*", "sum to 1.2")


def test_share_outside_unit_interval(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def change(fields: list[str], rows: Rows) -> None:
        _set(rows, "id", "R3", "share_K", "1.03")
        _set(rows, "id", "R3", "share_C", "-0.03")

    _edit(directory, "areas.csv", change)
    _assert_names(_error(directory), "areas.csv", "row R3", "column share_K", "[0, 1]")


def test_is_share_outside_unit_interval(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "N3", "is_share", "1.5"))
    _assert_names(_error(directory), "areas.csv", "row N3", "column is_share")


def test_unknown_terrain(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "G7", "terrain", "R/marsh"))
    _assert_names(_error(directory), "areas.csv", "row G7", "column terrain", "'marsh'")


def test_coordinates_outside_box(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "G9", "lat", "3.05"))
    _assert_names(_error(directory), "areas.csv", "row G9", "column lat", "29 to 38")


def test_bad_boolean(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "Y1", "haven", "yes"))
    _assert_names(_error(directory), "areas.csv", "row Y1", "column haven", "0 or 1")


def test_unknown_controller(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "Y4", "controller", "GOV"))
    _assert_names(_error(directory), "areas.csv", "row Y4", "column controller", "SY-OTHER")


def test_bad_month(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(
        directory, "areas.csv", lambda f, rows: _set(rows, "id", "A5", "retaken_month", "2017-13")
    )
    _assert_names(_error(directory), "areas.csv", "row A5", "column retaken_month", "YYYY-MM")


def test_unknown_governorate(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "G2", "governorate", "Kerbala"))
    _assert_names(_error(directory), "areas.csv", "row G2", "column governorate", "'Kerbala'")


def test_missing_governorate(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "G8", "governorate", "Basra"))
    _assert_names(_error(directory), "areas.csv", "column governorate", "Maysan")


def test_bad_flag(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "areas.csv", lambda f, rows: _set(rows, "id", "K1", "pop_flag", "X"))
    _assert_names(_error(directory), "areas.csv", "row K1", "column pop_flag", "C, D, M")


def test_bad_flag_in_edges(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "edges.csv", lambda f, rows: rows[2].update(flag="C/D"))
    _assert_names(_error(directory), "edges.csv", "line 4", "column flag")


def test_empty_source(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "forces.csv", lambda f, rows: _set(rows, "force", "US", "source", ""))
    _assert_names(_error(directory), "forces.csv", "row US", "column source", "empty")


def test_unknown_edge_endpoint(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "edges.csv", lambda f, rows: rows[0].update(b="N99"))
    _assert_names(_error(directory), "edges.csv", "line 2", "column b", "'N99'")


def test_self_loop(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "edges.csv", lambda f, rows: rows[0].update(b=rows[0]["a"]))
    _assert_names(_error(directory), "edges.csv", "line 2", "self-loop")


def test_disconnected_area(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def cut(fields: list[str], rows: Rows) -> None:
        rows[:] = [r for r in rows if "G6" not in (r["a"], r["b"])]

    _edit(directory, "edges.csv", cut)
    _assert_names(_error(directory), "edges.csv", "not connected", "G6")


def test_unknown_deployment_area(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "deployment.csv", lambda f, rows: rows[0].update(area="Z1"))
    _assert_names(_error(directory), "deployment.csv", "line 2", "column area", "'Z1'")


def test_unknown_deployment_force(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "deployment.csv", lambda f, rows: rows[1].update(force="MARINES"))
    _assert_names(_error(directory), "deployment.csv", "line 3", "column force", "'MARINES'")


def test_deployment_exceeds_strength(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def shrink(fields: list[str], rows: Rows) -> None:
        _set(rows, "force", "ARMY", "strength", "45000")

    _edit(directory, "forces.csv", shrink)
    _assert_names(_error(directory), "deployment.csv", "force ARMY", "column strength", "52500")


def test_force_strength_outside_range(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "forces.csv", lambda f, rows: _set(rows, "force", "US", "strength", "20000"))
    _assert_names(_error(directory), "forces.csv", "row US", "column strength", "low <= strength")


def test_unknown_displacement_governorate(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "displacement.csv", lambda f, rows: rows[0].update(governorate="Ninawa"))
    _assert_names(_error(directory), "displacement.csv", "row Ninawa", "column governorate")


def test_bad_date(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(
        directory, "displacement_national.csv", lambda f, rows: rows[0].update(date="30 Mar 2017")
    )
    _assert_names(_error(directory), "displacement_national.csv", "line 2", "column date")


# ---- overrides ------------------------------------------------------------------------------


def test_with_overrides_returns_validated_copy(state: InitialState) -> None:
    changed = state.with_overrides(
        areas={"N2": {"is_fighters": 1500, "is_share": 0.2}, "H": {"refuge": False}},
        forces={"US": {"strength": 5000}},
    )
    assert changed.areas.at["N2", "is_fighters"] == 1500
    assert changed.areas["is_fighters"].dtype.kind == "i"
    assert not changed.areas.at["H", "refuge"]
    assert changed.forces.at["US", "strength"] == 5000
    assert state.areas.at["N2", "is_fighters"] == 2250
    assert state.forces.at["US", "strength"] == 5262


def test_with_overrides_unknown_area(state: InitialState) -> None:
    with pytest.raises(DataError, match=r"areas\.csv, row Z9 \(override\): unknown area"):
        state.with_overrides(areas={"Z9": {"population": 1}})


def test_with_overrides_unknown_column(state: InitialState) -> None:
    with pytest.raises(DataError, match=r"areas\.csv, row N2 \(override\), column troops"):
        state.with_overrides(areas={"N2": {"troops": 1}})


def test_with_overrides_unknown_force(state: InitialState) -> None:
    with pytest.raises(DataError, match=r"forces\.csv, row NAVY \(override\): unknown force"):
        state.with_overrides(forces={"NAVY": {"strength": 1}})


def test_with_overrides_rejects_bad_values(state: InitialState) -> None:
    with pytest.raises(DataError, match="column population"):
        state.with_overrides(areas={"N2": {"population": "many"}})
    with pytest.raises(DataError, match="column is_share"):
        state.with_overrides(areas={"N2": {"is_share": 1.5}})
    with pytest.raises(DataError, match="column strength"):
        state.with_overrides(forces={"US": {"strength": 50000}})
