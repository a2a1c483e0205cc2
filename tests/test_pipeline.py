"""The pipeline on the Drenthe test region: every input accounted for, services and AEDs
assembled, and every resident of a municipality counted once."""

from __future__ import annotations

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
