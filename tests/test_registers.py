"""Register readers on the drenthe-synth exports and on small hand-written CSVs."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from bereikbaar.config import RegisterInput
from bereikbaar.errors import ConfigError, InputError, MissingInputError
from bereikbaar.inputs.registers import (
    load_pc4_centroids,
    read_aed_register,
    read_gp_register,
    read_hubs_register,
)

TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)

# What each kind of injected anomaly (ANOMALIES.md) must lead to: (action, reason) pairs,
# any of which is acceptable (a PC4 centroid may itself fall outside the study area).
EXPECTED = {
    "missing_coords": {
        ("flagged", "geocoded_postcode"),
        ("rejected", "outside_study_area"),
    },
    "swapped": {("repaired", "swapped_lat_lon")},
    "comma_decimal": {("repaired", "comma_decimal")},
    "rd_coords": {("repaired", "rd_coordinates")},
    "far_outside": {("rejected", "outside_study_area")},
    "unknown_hours": {("flagged", "unknown_availability")},
    "empty_gemeente": {("flagged", "missing_gemeente")},
    "duplicate": {("rejected", "duplicate")},
}


@pytest.fixture(scope="module")
def study_area(data_dir, cfg):
    prov = gpd.read_file(
        data_dir / "boundaries" / "cbsgebiedsindelingen2023.gpkg", layer="provincie_gegeneraliseerd"
    )
    assert prov.crs.to_epsg() == 28992
    return prov.loc[prov["statnaam"] == "Drenthe"].geometry.iloc[0].buffer(cfg.study_area.buffer_m)


@pytest.fixture(scope="module")
def aed_result(cfg, study_area):
    return read_aed_register(
        cfg.inputs.aed_register, study_area=study_area, postcodes=cfg.inputs.postcodes
    )


@pytest.fixture(scope="module")
def raw_aeds(cfg):
    raw = pd.read_csv(cfg.inputs.aed_register.path, dtype=str, keep_default_na=False)
    raw["line"] = raw.index + 2  # header is line 1; the file has no multi-line fields
    return raw


def anomalies(synth_dir) -> dict[str, str]:
    text = (synth_dir / "ANOMALIES.md").read_text(encoding="utf-8")
    found = dict(re.findall(r"^\|\s*(AED-\d+)\s*\|\s*(\w+)\s*\|", text, flags=re.M))
    assert len(found) >= 10, "ANOMALIES.md table not found"
    return found


def point(lat: float, lon: float) -> tuple[float, float]:
    return TO_RD.transform(lon, lat)


def assert_invariant(result):
    assert result.rows_read == result.rows_used + result.rows_rejected
    rejected = result.issues[result.issues["action"] == "rejected"]
    assert not rejected["row"].duplicated().any(), "a row is rejected twice"
    assert set(rejected["row"]).isdisjoint(result.data["source_row"])
    assert result.data.crs.to_epsg() == 28992


# --------------------------------------------------------------------- AED register
def test_every_anomaly_is_handled_with_the_right_reason(aed_result, raw_aeds, synth_dir):
    kinds = anomalies(synth_dir)
    issues = aed_result.issues
    for aed_id, kind in kinds.items():
        assert kind in EXPECTED, f"new anomaly kind {kind!r} in ANOMALIES.md: extend EXPECTED"
        lines = raw_aeds.loc[raw_aeds["id"] == aed_id, "line"].tolist()
        assert lines, aed_id
        got = {
            (a, r) for a, r in issues.loc[issues["row"].isin(lines), ["action", "reason"]].values
        }
        assert got & EXPECTED[kind], f"{aed_id} ({kind}): got {got}"
        if kind == "duplicate":
            assert len(lines) == 2
            assert issues.loc[issues["row"] == lines[1], "reason"].tolist() == ["duplicate"]
            assert f"row {lines[0]}" in issues.loc[issues["row"] == lines[1], "hint"].iloc[0]
            assert (aed_result.data["aed_id"] == aed_id).sum() == 1
    # ... and nothing else in this export is wrong
    ids_with_issues = set(raw_aeds.set_index("line").loc[issues["row"].astype(int), "id"])
    assert ids_with_issues == set(kinds)


def test_aed_counts(aed_result, raw_aeds, synth_dir):
    assert_invariant(aed_result)
    assert aed_result.rows_read == len(raw_aeds)
    kinds = anomalies(synth_dir)
    n_duplicates = sum(1 for k in kinds.values() if k == "duplicate")
    n_far = sum(1 for k in kinds.values() if k == "far_outside")
    rejected = aed_result.reasons("rejected")
    assert rejected["duplicate"] == n_duplicates
    assert rejected["outside_study_area"] >= n_far
    assert aed_result.rows_repaired == sum(
        1 for k in kinds.values() if k in ("swapped", "comma_decimal", "rd_coords")
    )
    assert aed_result.data["aed_id"].is_unique


def test_aed_repaired_points(aed_result, raw_aeds):
    data = aed_result.data.set_index("aed_id")
    raw = raw_aeds.set_index("id")
    # swapped: the repaired point is the given pair read the other way round
    swapped = raw.loc["AED-100074"]
    x, y = point(float(swapped["lon"]), float(swapped["lat"]))
    assert data.loc["AED-100074", "geometry"].x == pytest.approx(x, abs=1e-6)
    assert data.loc["AED-100074", "geometry"].y == pytest.approx(y, abs=1e-6)
    # comma decimals
    x, y = point(52.984239, 6.569382)
    assert data.loc["AED-100139", "geometry"].equals_exact(shapely.Point(x, y), 1e-6)
    # RD metres are kept exactly
    rd = raw.loc["AED-100965"]
    assert (data.loc["AED-100965", "geometry"].x, data.loc["AED-100965", "geometry"].y) == (
        float(rd["lon"]),
        float(rd["lat"]),
    )


def test_aed_geocoded_to_pc4(aed_result, cfg):
    pc4 = load_pc4_centroids(cfg.inputs.postcodes)
    geocoded = aed_result.data[aed_result.data["location_quality"] == "postcode"]
    flagged = aed_result.issues[aed_result.issues["reason"] == "geocoded_postcode"]
    assert sorted(geocoded["source_row"]) == sorted(flagged["row"].astype(int))
    assert len(geocoded) > 0
    for row in geocoded.itertuples():
        ref = pc4.loc[row.postcode[:4]]
        x, y = point(ref["lat"], ref["lon"])
        assert row.geometry.x == pytest.approx(x) and row.geometry.y == pytest.approx(y)


def test_aed_attributes(aed_result, raw_aeds):
    data = aed_result.data
    merged = data.merge(raw_aeds, left_on="source_row", right_on="line", suffixes=("", "_raw"))
    assert (merged["aed_id"] == merged["id"]).all()  # source_row points at the right line
    assert (merged["indoor"] == (merged["binnen_buiten"] == "binnen")).all()
    weekday = merged[merged["beschikbaarheid"] == "ma-vr 08:00-17:00"]
    assert len(weekday) > 0
    assert (weekday["open_hours"].str.count("1") == 45).all()
    assert (weekday["availability_status"] == "limited").all()
    always = merged[merged["beschikbaarheid"] == "24/7"]
    assert (always["availability_status"] == "24/7").all() and (
        always["open_hours"] == "1" * 168
    ).all()
    unknown = data[data["availability_status"] == "unknown"]
    assert (unknown["open_hours"] == "").all()
    assert len(unknown) == (aed_result.issues["reason"] == "unknown_availability").sum()
    assert set(data["provenance"]) == {"register"}
    assert data["postcode"].str.fullmatch(r"\d{4} [A-Z]{2}").all()
    assert list(data.columns[:13]) == [
        "aed_id", "name", "street", "postcode", "place", "gemeente", "availability",
        "availability_status", "open_hours", "indoor", "location_quality", "provenance",
        "source_row",
    ]  # fmt: skip


def test_aed_without_postcode_table_rejects_missing_coordinates(cfg, study_area, synth_dir):
    result = read_aed_register(cfg.inputs.aed_register, study_area=study_area)
    n_missing = sum(1 for k in anomalies(synth_dir).values() if k == "missing_coords")
    assert result.reasons("rejected")["missing_coordinates"] == n_missing
    assert (result.data["location_quality"] == "exact").all()
    assert_invariant(result)


# ----------------------------------------------------------------- GPs and hubs
def test_gp_register(cfg, study_area):
    result = read_gp_register(
        cfg.inputs.gp_register, study_area=study_area, postcodes=cfg.inputs.postcodes
    )
    assert_invariant(result)
    raw = pd.read_csv(cfg.inputs.gp_register.path, dtype=str, keep_default_na=False)
    assert result.rows_read == len(raw)
    used = raw.loc[result.data["source_row"] - 2]
    expected_kind = used["type"].map({"praktijk": "gp", "huisartsenpost": "huisartsenpost"})
    assert result.data["kind"].tolist() == expected_kind.tolist()
    posts = result.data[result.data["kind"] == "huisartsenpost"]
    assert len(posts) > 0
    assert (posts["open_hours"].str.count("1") == 123).all()  # avond, nacht en weekend
    assert set(result.reasons("rejected")) <= {"outside_study_area", "duplicate", "unknown_kind"}


def test_hubs_register(cfg, study_area):
    result = read_hubs_register(cfg.inputs.hubs_register, study_area=study_area)
    assert_invariant(result)
    raw = pd.read_csv(cfg.inputs.hubs_register.path, dtype=str, keep_default_na=False)
    assert result.rows_read == len(raw)
    used = raw.loc[result.data["source_row"] - 2]
    assert (
        result.data["kind"].tolist()
        == used["soort"].map({"trein": "station", "hub": "bus_hub"}).tolist()
    )
    assert (
        result.data["departures_per_hour"].tolist()
        == used["vertrekken_per_uur"].astype(float).tolist()
    )
    assert result.data["departures_per_hour"].dtype == "float64"


# -------------------------------------------------------------- hand-written CSVs
RENAMED = """\
Omschrijving;Breedtegraad;Lengtegraad;Open;Plek;Nummer;PC
Dorpshuis Grolloo;52,9339;6,6750;ma-vr 9.00-17.00 uur;binnen;A1;9444 PA
Kerk Grolloo;52.9342;6.6788;24/7;buiten;A2;9444 PB
Ergens;;;24/7;buiten;A3;9444 PC
Kapot;52.93;6.67;24/7;misschien;A4;9444 PC
"""


def renamed_register(path) -> RegisterInput:
    return RegisterInput(
        path=path,
        columns={
            "id": "Nummer",
            "name": "Omschrijving",
            "lat": "Breedtegraad",
            "lon": "Lengtegraad",
            "availability": "Open",
            "indoor": "Plek",
            "postcode": "PC",
        },
        delimiter=";",
    )


def test_renamed_columns(tmp_path, study_area, cfg):
    path = tmp_path / "aed_anders.csv"
    path.write_text(RENAMED, encoding="utf-8")
    result = read_aed_register(
        renamed_register(path), study_area=study_area, postcodes=cfg.inputs.postcodes
    )
    assert_invariant(result)
    data = result.data.set_index("aed_id")
    assert list(data.index) == ["A1", "A2", "A3", "A4"]
    assert data.loc["A1", "open_hours"].count("1") == 40
    assert data.loc["A1", "indoor"] is True or bool(data.loc["A1", "indoor"]) is True
    assert not bool(data.loc["A2", "indoor"])
    assert pd.isna(data.loc["A4", "indoor"])
    assert data.loc["A3", "location_quality"] == "postcode"
    assert data["gemeente"].eq("").all()  # no gemeente column: nothing to flag
    x, y = point(52.9339, 6.6750)
    assert data.loc["A1", "geometry"].equals_exact(shapely.Point(x, y), 1e-6)
    issues = result.issues.set_index("row")
    assert (
        issues.loc[2, "reason"] == "comma_decimal"
        and issues.loc[2, "column"] == "Breedtegraad,Lengtegraad"
    )
    assert issues.loc[4, "reason"] == "geocoded_postcode" and issues.loc[4, "column"] == "PC"
    assert issues.loc[5, "reason"] == "unknown_indoor" and issues.loc[5, "value"] == "misschien"


def test_missing_column_names_the_column_and_the_file_columns(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_text(RENAMED, encoding="utf-8")
    reg = renamed_register(path)
    reg = RegisterInput(path, {**reg.columns, "lat": "Breedtegraat"}, delimiter=";")
    with pytest.raises(InputError) as err:
        read_aed_register(reg, study_area=study_area)
    msg = str(err.value)
    assert "aed.csv" in msg and "'Breedtegraat'" in msg and "Lengtegraad" in msg
    assert "did you mean 'Breedtegraad'" in msg
    with pytest.raises(InputError, match="'lat'"):  # default name, not in this file
        read_aed_register(RegisterInput(path, {}, delimiter=";"), study_area=study_area)
    with pytest.raises(ConfigError, match="did you mean 'postcode'"):
        read_aed_register(
            RegisterInput(path, {"postcod": "PC"}, delimiter=";"), study_area=study_area
        )
    with pytest.raises(MissingInputError):
        read_aed_register(RegisterInput(tmp_path / "nope.csv"), study_area=study_area)


def test_line_numbers_follow_the_file(tmp_path, study_area):
    text = (
        'naam,type,lat,lon\n'
        '"Praktijk\nmet twee regels",praktijk,52.99,6.56\n'
        '\n'
        'Praktijk B,tandarts,52.99,6.56\n'
        'Praktijk C,praktijk,95,6.56\n'
        'Praktijk D,praktijk,52.99\n'
        'Post E,huisartsenpost,52.99,6.56\n'
    )  # fmt: skip
    path = tmp_path / "gp.csv"
    path.write_text(text, encoding="utf-8")
    result = read_gp_register(RegisterInput(path, {"name": "naam"}), study_area=study_area)
    assert_invariant(result)
    assert result.rows_read == 5
    rejected = result.issues.set_index("row")["reason"].to_dict()
    assert rejected == {5: "unknown_kind", 6: "out_of_range", 7: "wrong_field_count"}
    assert result.data["source_row"].tolist() == [2, 8]
    assert result.data["availability_status"].tolist() == ["unknown", "unknown"]


def test_hub_values(tmp_path, study_area):
    text = (
        "naam,soort,lat,lon,vertrekken\n"
        'Hub A,hub,52.99,6.56,"1,5"\n'
        "Hub B,veerpont,52.99,6.56,2\n"
        "Hub C,bus,52.99,6.56,veel\n"
        "Station D,trein,52.99,6.56,4\n"
        "Hub E,hub,52.99,6.56,-1\n"
    )
    path = tmp_path / "hubs.csv"
    path.write_text(text, encoding="utf-8")
    reg = RegisterInput(
        path, {"kind": "soort", "name": "naam", "departures_per_hour": "vertrekken"}
    )
    result = read_hubs_register(reg, study_area=study_area)
    assert_invariant(result)
    assert result.data["departures_per_hour"].tolist() == [1.5, 4.0]
    assert result.data["kind"].tolist() == ["bus_hub", "station"]
    assert result.reasons("rejected") == {"unknown_kind": 1, "invalid_departures": 2}
    assert result.reasons("repaired") == {"comma_decimal": 1}
    hint = result.issues.loc[result.issues["row"] == 3, "hint"].iloc[0]
    assert "trein" in hint and "hub" in hint


def test_active_column_is_honoured_when_mapped(tmp_path, study_area):
    path = tmp_path / "aed.csv"
    path.write_text(
        "id,lat,lon,status\n"
        "A1,52.99,6.56,actief\n"
        "A2,52.98,6.55,inactief\n"
        "A3,52.97,6.54,Verwijderd\n"
        "A4,52.96,6.53,\n"
        "A5,52.95,6.52,misschien\n"
        "A6,52.94,6.51,buiten  gebruik\n",
        encoding="utf-8",
    )
    mapped = read_aed_register(RegisterInput(path, {"active": "status"}), study_area=study_area)
    assert_invariant(mapped)
    assert mapped.data["aed_id"].tolist() == ["A1", "A4", "A5"]
    rejected = mapped.issues[mapped.issues["action"] == "rejected"]
    assert rejected[["row", "column", "reason"]].values.tolist() == [
        [3, "status", "inactive"],
        [4, "status", "inactive"],
        [7, "status", "inactive"],
    ]
    flagged = mapped.issues[mapped.issues["reason"] == "unknown_active"]
    assert flagged["row"].tolist() == [6]
    # not mapped: the column is ignored and every row counts
    unmapped = read_aed_register(RegisterInput(path), study_area=study_area)
    assert len(unmapped.data) == 6
