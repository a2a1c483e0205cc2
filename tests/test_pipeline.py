"""The pipeline on the Drenthe test region: every input accounted for, services and AEDs
assembled, and every resident of a municipality counted once."""

from __future__ import annotations

import pandas as pd
import pytest

from bereikbaar.errors import UnknownAreaError
from bereikbaar.pipeline import check_inputs, inputs_fingerprint, issues_table, open_study_area

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def area(cfg):
    return open_study_area(cfg)


def test_every_input_rows_read_equal_used_plus_rejected(cfg):
    results = check_inputs(cfg)
    names = {r.name for r in results}
    assert {
        "osm_pois",
        "osm_aeds",
        "aed_register",
        "gp_register",
        "hubs_register",
        "population",
    } <= names
    for r in results:
        assert r.rows_read == r.rows_used + r.rows_rejected, r.name
        assert r.rows_read > 0, r.name
    table = issues_table(results)
    rejected = table[table["action"] == "rejected"]
    assert len(rejected) == sum(r.rows_rejected for r in results)
    assert rejected[["file", "reason", "hint"]].notna().all().all()


def test_municipalities_and_lookup(area):
    assert len(area.municipalities) == 12
    assert area.municipality("gm1680")[0] == "Aa en Hunze"
    with pytest.raises(UnknownAreaError, match="did you mean 'Assen'"):
        area.municipality("Asen")


def test_merged_aeds_account_for_both_sources(area):
    aeds = area.aeds()
    osm = area.osm_aeds().data
    reg = area.aed_register().data
    prov = aeds["provenance"].value_counts()
    # every OSM AED and every register AED ends up in exactly one merged AED
    assert prov.get("both", 0) + prov.get("osm", 0) == len(osm)
    assert prov.get("both", 0) + prov.get("register", 0) == len(reg)
    assert aeds["aed_id"].is_unique


def test_services_cover_every_kind(area, cfg):
    services = area.services()
    kinds = set(services["kind"])
    assert set(cfg.dorpshub.services) <= kinds
    hubs = services[services["kind"].isin(["station", "bus_hub"])]
    assert hubs["departures_per_hour"].notna().any()


def test_fingerprint_changes_with_settings_not_with_cache(cfg):
    import dataclasses

    a = inputs_fingerprint(cfg, "hartveilig")
    assert a == inputs_fingerprint(cfg, "hartveilig")
    assert a != inputs_fingerprint(cfg.with_hartveilig(budget_min=7.0), "hartveilig")
    assert a != inputs_fingerprint(cfg, "dorpshub")
    moved = cfg.replace(
        network=dataclasses.replace(cfg.network, cache_dir=cfg.network.cache_dir / "x")
    )
    assert a == inputs_fingerprint(moved, "hartveilig")


def test_sources_note_carries_the_extract_date(cfg, data_dir):
    import dataclasses

    note = open_study_area(cfg).sources_note()
    assert note.startswith(cfg.inputs.sources_note)
    assert "OSM-extract drenthe-synth.osm.pbf: zonder datum in het bestand" in note
    amsterdam = data_dir / "roads" / "valhalla_test_amsterdam.osm.pbf"  # newest object 2016-06-05
    other = cfg.replace(inputs=dataclasses.replace(cfg.inputs, osm=amsterdam, sources_note=""))
    assert open_study_area(other).sources_note() == (
        "OSM-extract valhalla_test_amsterdam.osm.pbf: stand 2016-06-05"
    )


def test_part_clips_once_and_counts_every_resident_once(area):
    parts = [area.part(n) for n in area.municipalities["statnaam"]]
    assert area.part("Aa en Hunze") is area.part("GM1680")  # clipped once, then kept
    cells = area.population().data
    # every cell inside the province belongs to at most one municipality
    ids = [i for p in parts for i in p.cells["cell_id"]]
    assert len(ids) == len(set(ids))
    for p in parts:
        inside = cells.geometry.within(p.polygon)
        assert p.cells["residents"].sum() == pytest.approx(cells.loc[inside, "residents"].sum())
        assert p.outline.crs.to_epsg() == 28992 and p.outline["gemeente"].tolist() == [p.name]
        assert p.places.geometry.within(p.polygon).all()
    assert sorted(p.slug for p in parts) == sorted(area.slugs.values())


def test_services_from_inputs_hand_made():
    import geopandas as gpd
    from shapely.geometry import Point

    from bereikbaar.inputs.report import ReadResult
    from bereikbaar.inputs.services import is_primary_school, services_from_inputs

    pois = gpd.GeoDataFrame(
        {
            "kind": ["gp", "school", "school", "school", "church", "station"],
            "name": ["Dokter", "Basis", "VO", "Onbekend", "Kerk", "Station"],
            "tags": [
                "{}",
                '{"isced:level": "0;1"}',
                '{"isced:level": "2;3"}',
                "not json",
                "{}",
                "{}",
            ],
        },
        geometry=[Point(i, i) for i in range(6)],
        crs="EPSG:28992",
    )
    assert is_primary_school(pois).tolist() == [True, True, False, True, True, True]
    hubs = gpd.GeoDataFrame(
        {"kind": ["bus_hub"], "name": ["Hub"], "departures_per_hour": ["4"]},
        geometry=[Point(9, 9)],
        crs="EPSG:28992",
    )
    reg = ReadResult("hubs_register", "hubs.csv", hubs, 1, pd.DataFrame())
    s = services_from_inputs(pois, [None, reg])
    assert s["name"].tolist() == ["Dokter", "Basis", "Onbekend", "Station", "Hub"]
    assert s["source"].tolist() == ["osm"] * 4 + ["hubs_register"]
    assert s["departures_per_hour"].isna().tolist() == [True] * 4 + [False]
    assert s["departures_per_hour"].iloc[-1] == 4.0
    assert s.crs.to_epsg() == 28992


def test_data_check_lists_the_gtfs_feed(cfg):
    """The feed is an input like the others: in the data check, rows read = used + rejected."""
    assert cfg.transit.gtfs is not None
    feed = {r.name: r for r in check_inputs(cfg)}["gtfs"]
    assert feed.rows_read == feed.rows_used + feed.rows_rejected > 0


def test_fingerprint_follows_the_timetable_content(cfg, tmp_path):
    import dataclasses
    import shutil

    copy = tmp_path / "feed.zip"
    shutil.copyfile(cfg.transit.gtfs, copy)
    moved = cfg.replace(transit=dataclasses.replace(cfg.transit, gtfs=copy))
    before = inputs_fingerprint(moved, "dorpshub")
    with open(copy, "ab") as fh:  # a new timetable under the same file name
        fh.write(b"\0")
    assert inputs_fingerprint(moved, "dorpshub") != before
