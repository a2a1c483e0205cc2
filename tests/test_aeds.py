"""OSM AEDs into the AED schema, and merging OSM with the register."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from bereikbaar.errors import CrsError, InputError
from bereikbaar.inputs.aeds import aeds_from_osm, match_points, merge_aeds
from bereikbaar.inputs.opening_hours import parse_opening_hours
from bereikbaar.inputs.report import AED_SCHEMA, IssueLog

X0, Y0 = 235_000.0, 555_000.0  # near Assen, RD New metres


def osm_pois(rows) -> gpd.GeoDataFrame:
    """rows: (osm_id, dx, dy, opening_hours, tags dict)."""
    return gpd.GeoDataFrame(
        {
            "osm_type": ["n"] * len(rows),
            "osm_id": [r[0] for r in rows],
            "kind": ["aed"] * len(rows),
            "name": [r[4].pop("name", "") for r in rows],
            "opening_hours": [r[3] for r in rows],
            "tags": [json.dumps(r[4]) for r in rows],
        },
        geometry=[shapely.Point(X0 + r[1], Y0 + r[2]) for r in rows],
        crs="EPSG:28992",
    )


def register(rows) -> gpd.GeoDataFrame:
    """rows: (aed_id, dx, dy, availability text or "", location_quality)."""
    records = []
    for i, (aed_id, dx, dy, text, quality) in enumerate(rows):
        sched = parse_opening_hours(text) if text else None
        records.append(
            {
                "aed_id": aed_id,
                "name": f"locatie {aed_id}",
                "street": "",
                "postcode": "9401 AA",
                "place": "Assen",
                "gemeente": "Assen",
                "availability": text,
                "availability_status": "unknown"
                if sched is None
                else ("24/7" if sched.is_24_7 else "limited"),
                "open_hours": "" if sched is None else sched.to_open_hours_string(),
                "indoor": pd.NA,
                "location_quality": quality,
                "provenance": "register",
                "source_row": i + 2,
                "geometry": shapely.Point(X0 + dx, Y0 + dy),
            }
        )
    frame = pd.DataFrame(records).astype({"indoor": "boolean"})
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:28992")


@pytest.fixture
def osm():
    return aeds_from_osm(
        osm_pois(
            [
                (11, 10.0, 0.0, "24/7", {"indoor": "no", "name": "Dorpshuis"}),  # 10 m from R1
                (12, 1000.0 + 24.0, 0.0, "", {"indoor": "yes"}),  # 24 m from R2
                (13, 2000.0, 30.0, "Mo-Fr 08:00-17:00", {}),  # 30 m from R3
                (14, 5000.0, 0.0, "", {"defibrillator:location": "bij de ingang"}),
            ]
        )
    )


@pytest.fixture
def reg():
    return register(
        [
            ("AED-1", 0.0, 0.0, "ma-vr 08:00-17:00", "exact"),
            ("AED-2", 1000.0, 0.0, "", "exact"),
            ("AED-3", 2000.0, 0.0, "24/7", "exact"),
            ("AED-4", 9000.0, 0.0, "24/7", "exact"),
        ]
    )


def test_aeds_from_osm_schema():
    issues = IssueLog("osm_aeds", "x.osm.pbf")
    pois = osm_pois(
        [
            (7, 0.0, 0.0, "24/7", {"indoor": "no", "access": "yes", "name": "Kerk"}),
            (5, 50.0, 0.0, "", {"indoor": "yes", "defibrillator:location": "in de hal"}),
            (6, 90.0, 0.0, "op aanvraag", {"access": "private"}),
            (8, 99.0, 0.0, "bij daglicht", {"addr:street": "Brink", "addr:housenumber": "3"}),
        ]
    )
    out = aeds_from_osm(pois, issues=issues)
    assert list(out.columns) == AED_SCHEMA
    assert out["aed_id"].tolist() == ["osm:n5", "osm:n7", "osm:n8"]  # sorted, private left out
    assert out["name"].tolist() == ["in de hal", "Kerk", ""]
    assert out["indoor"].tolist()[:2] == [True, False] and pd.isna(out["indoor"].iloc[2])
    assert out["availability_status"].tolist() == ["unknown", "24/7", "unknown"]
    assert out["open_hours"].tolist() == ["", "1" * 168, ""]
    assert out["street"].tolist() == ["", "", "Brink 3"]
    assert set(out["provenance"]) == {"osm"} and set(out["location_quality"]) == {"exact"}
    log = issues.to_frame()
    assert log[["action", "reason"]].values.tolist() == [
        ["rejected", "private_access"],
        ["flagged", "unknown_availability"],
    ]
    assert aeds_from_osm(pois, drop_private=False)["aed_id"].tolist()[1] == "osm:n6"


def test_merge_hand_case(osm, reg):
    merged = merge_aeds(osm, reg, merge_distance_m=25.0)
    assert merged["provenance"].value_counts().to_dict() == {"both": 2, "register": 2, "osm": 2}
    assert len(merged) == 6
    by_id = merged.set_index("aed_id")
    assert by_id.loc["AED-1", "osm_aed_id"] == "osm:n11"
    assert by_id.loc["AED-1", "merge_distance_m"] == pytest.approx(10.0)
    assert by_id.loc["AED-2", "merge_distance_m"] == pytest.approx(24.0)
    assert by_id.loc["AED-3", "provenance"] == "register"  # 30 m: not merged
    assert {"osm:n13", "osm:n14"} <= set(merged["aed_id"])
    # the register's availability and point win; unknown register hours take OSM's
    assert by_id.loc["AED-1", "availability_status"] == "limited"
    assert by_id.loc["AED-1", "geometry"].equals(shapely.Point(X0, Y0))
    assert by_id.loc["AED-2", "availability_status"] == "unknown"  # OSM n12 has no hours either
    assert bool(by_id.loc["AED-1", "indoor"]) is False  # filled from OSM
    assert by_id.loc["AED-1", "source_row"] == 2 and pd.isna(by_id.loc["osm:n13", "source_row"])
    assert merged["aed_id"].tolist() == sorted(merged["aed_id"])
    assert merged.crs.to_epsg() == 28992


def test_merge_boundary_and_distance_setting(osm, reg):
    assert (merge_aeds(osm, reg, merge_distance_m=24.0)["provenance"] == "both").sum() == 2
    assert (merge_aeds(osm, reg, merge_distance_m=23.9)["provenance"] == "both").sum() == 1
    assert (merge_aeds(osm, reg, merge_distance_m=30.0)["provenance"] == "both").sum() == 3
    assert (merge_aeds(osm, reg, merge_distance_m=0.0)["provenance"] == "both").sum() == 0


def test_register_unknown_hours_take_osm_hours_and_postcode_points_take_osm_points():
    osm = aeds_from_osm(osm_pois([(1, 5.0, 0.0, "24/7", {})]))
    reg = register([("AED-9", 0.0, 0.0, "", "postcode")])
    merged = merge_aeds(osm, reg)
    row = merged.iloc[0]
    assert row["provenance"] == "both" and row["aed_id"] == "AED-9"
    assert row["availability_status"] == "24/7" and row["availability"] == "24/7"
    assert row["location_quality"] == "exact" and row["geometry"].x == X0 + 5.0


def test_one_to_one_greedy_matching():
    # one OSM AED between two register AEDs: only the nearer register AED gets it
    idx_a, idx_b, dist = match_points(
        np.array([[0.0, 0.0], [100.0, 0.0]]),
        np.array([[8.0, 0.0], [-5.0, 0.0], [100.0, 30.0]]),
        max_distance_m=25.0,
    )
    assert idx_a.tolist() == [0] and idx_b.tolist() == [1] and dist.tolist() == [5.0]
    # ties are broken by the keys, not by input order
    a, b, _ = match_points(
        np.array([[0.0, 0.0]]),
        np.array([[3.0, 0.0], [-3.0, 0.0]]),
        max_distance_m=5,
        keys_b=["z", "a"],
    )
    assert b.tolist() == [1]


def test_merge_is_deterministic(osm, reg):
    first = merge_aeds(osm, reg)
    shuffled = merge_aeds(osm.iloc[::-1], reg.sample(frac=1.0, random_state=3))
    assert_geodataframe_equal(first, shuffled)


def test_merge_checks_inputs(osm, reg):
    with pytest.raises(CrsError):
        merge_aeds(osm.to_crs("EPSG:4326"), reg)
    with pytest.raises(InputError, match="availability_status"):
        merge_aeds(osm.drop(columns="availability_status"), reg)
    empty = merge_aeds(osm.iloc[0:0], reg)
    assert (empty["provenance"] == "register").all() and len(empty) == 4


# ------------------------------------------------------------- AED lifecycle (issue #11)
from bereikbaar.inputs.aeds import aed_exclusion  # noqa: E402


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"disused:emergency": "defibrillator"}, ("lifecycle", "disused:emergency")),
        ({"removed:emergency": "defibrillator"}, ("lifecycle", "removed:emergency")),
        ({"was:emergency": "defibrillator"}, ("lifecycle", "was:emergency")),
        ({"demolished:emergency": "defibrillator"}, ("lifecycle", "demolished:emergency")),
        ({"emergency": "defibrillator", "access": "private"}, ("private_access", "access")),
        ({"emergency": "defibrillator", "access": "No"}, ("private_access", "access")),
        ({"note": "verwijderd?"}, ("removal_hint", "note")),
        ({"fixme": "AED is weggehaald bij verbouwing"}, ("removal_hint", "fixme")),
        ({"description": "Bestaat niet meer"}, ("removal_hint", "description")),
        ({"note": "niet meer aanwezig (2024)"}, ("removal_hint", "note")),
        ({"note": "verplaatst naar de sporthal"}, ("removal_hint", "note")),
        ({"note": "AED-kast opgeheven"}, ("removal_hint", "note")),
        ({"note:nl": "kast is verwijderd"}, ("removal_hint", "note:nl")),
        ({"FIXME": "removed in 2023"}, ("removal_hint", "FIXME")),
        ({"note": "gone"}, ("removal_hint", "note")),
        ({"description": "no longer there"}, ("removal_hint", "description")),
        ({"fixme": "relocated to the town hall"}, ("removal_hint", "fixme")),
        ({"note": "moved to the other side of the street"}, ("removal_hint", "note")),
        ({"note": "doesn't exist anymore"}, ("removal_hint", "note")),
    ],
)
def test_aed_exclusion_reasons(tags, expected):
    found = aed_exclusion(tags)
    assert found is not None and found[:2] == expected
    assert found[3]  # a hint


@pytest.mark.parametrize(
    "tags",
    [
        {"emergency": "defibrillator", "access": "yes"},
        {"access": "customers", "note": "alleen tijdens openingstijden"},
        {"description": "während Öffnungszeiten verfügbar"},  # Liechtenstein's real texts
        {"description": "24h verfügbar"},
        {"description": "nur über Notruf 24h erreichbar"},
        {"note": "niet verwijderd, hangt nu binnen"},
        {"note": "not removed, just repainted"},
        {"note": "verplaatst van de hal naar de buitenkast"},
        {"note": "moved here from the old school"},
        {"note": "relocated from the church"},
        {"description": "afneembare kap kan worden opgetild"},
        {"note": "Gonnie's winkel"},
        {"name": "Verwijderdsestraat"},  # not a hint key
        {"note": "no longer locked at night"},
    ],
)
def test_aed_exclusion_leaves_working_aeds_alone(tags):
    assert aed_exclusion(tags) is None


def test_excluded_osm_aeds_are_rejected_with_id_tag_reason_and_hint():
    issues = IssueLog("osm_aeds", "x.osm.pbf")
    pois = osm_pois(
        [
            (1, 0.0, 0.0, "24/7", {"emergency": "defibrillator"}),
            (2, 10.0, 0.0, "24/7", {"disused:emergency": "defibrillator"}),
            (3, 20.0, 0.0, "24/7", {"emergency": "defibrillator", "note": "verwijderd?"}),
            (4, 30.0, 0.0, "24/7", {"emergency": "defibrillator", "access": "no"}),
        ]
    )
    out = aeds_from_osm(pois, issues=issues)
    assert out["aed_id"].tolist() == ["osm:n1"]
    log = issues.to_frame()
    assert log[["column", "reason", "action"]].values.tolist() == [
        ["disused:emergency", "lifecycle", "rejected"],
        ["note", "removal_hint", "rejected"],
        ["access", "private_access", "rejected"],
    ]
    assert log["value"].tolist() == [
        "osm:n2 disused:emergency=defibrillator",
        "osm:n3 note=verwijderd?",
        "osm:n4 access=no",
    ]
    # drop_private=False keeps the private AED only, not the removed ones
    assert aeds_from_osm(pois, drop_private=False)["aed_id"].tolist() == ["osm:n1", "osm:n4"]


def test_test_region_removal_hints_are_all_excluded(cfg):
    """Every OSM AED in the extract whose note/fixme/description our rule calls a removal is
    left out; the count comes from scanning the raw file, independently of the reader."""
    import osmium

    from bereikbaar.inputs.osm import read_osm_pois

    raw_hints, raw_total = 0, 0
    for obj in osmium.FileProcessor(str(cfg.inputs.osm)).with_filter(
        osmium.filter.KeyFilter("emergency")
    ):
        tags = {t.k: t.v for t in obj.tags}
        if tags.get("emergency") != "defibrillator":
            continue
        raw_total += 1
        raw_hints += any(
            k.split(":")[0].lower() in ("note", "fixme", "description") and "verwijderd" in v
            for k, v in tags.items()
        )
    pois = read_osm_pois(cfg.inputs.osm, kinds=["aed"]).data
    issues = IssueLog("osm_aeds", cfg.inputs.osm)
    out = aeds_from_osm(pois, issues=issues)
    reasons = issues.to_frame().query("action == 'rejected'")["reason"].value_counts().to_dict()
    assert len(pois) == raw_total
    assert reasons.get("removal_hint", 0) == raw_hints > 0
    assert len(out) == raw_total - sum(reasons.values())
