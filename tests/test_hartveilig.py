"""Hartveilig: coverage by the hour, white spots, proposals — checked by hand."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bereikbaar.config import HartveiligSettings, Moment, TravelProfile
from bereikbaar.errors import ConfigError, CrsError
from bereikbaar.hartveilig import (
    availability_matrix,
    coverage_by_hour,
    coverage_threshold,
    describe_model,
    find_white_spots,
    hour_of_week,
    label_grid_clusters,
)
from bereikbaar.white_spots import find_white_spots_by_moment

CRS = "EPSG:28992"
PROFILES = {
    "walk": TravelProfile("walk", "walk", speed_kmh=5.0, label="Lopen (5 km/u)"),
    "aed_responder": TravelProfile("aed_responder", "walk", speed_kmh=2.3 * 3.6),
}


# ------------------------------------------------------------------ threshold, text
def test_fetch_limit_follows_from_settings():
    # (6 min budget − 1 min alert) / 2 = 2.5 min = 150 s one way; 150 s × 2.3 m/s = 345 m
    thr = coverage_threshold(HartveiligSettings(), PROFILES)
    assert thr.model == "fetch" and thr.profile == "aed_responder"
    assert thr.max_time_s == pytest.approx(150.0)
    assert thr.max_distance_m == pytest.approx(345.0)
    # budget 8: (8 − 1) / 2 = 3.5 min = 210 s → 483 m
    thr8 = coverage_threshold(HartveiligSettings(budget_min=8.0), PROFILES)
    assert thr8.max_time_s == pytest.approx(210.0)
    assert thr8.max_distance_m == pytest.approx(483.0)


def test_route_and_radius_limits():
    thr = coverage_threshold(HartveiligSettings(model="route", route_max_min=3.0), PROFILES)
    assert thr.profile == "walk" and thr.max_time_s == 180.0
    assert thr.max_distance_m == pytest.approx(250.0)  # 180 s × 5/3.6 m/s
    thr = coverage_threshold(HartveiligSettings(model="radius", radius_m=500.0), PROFILES)
    assert thr.max_time_s is None and thr.max_distance_m == 500.0


def test_bad_settings_raise():
    with pytest.raises(ConfigError, match="alert_delay_min"):
        coverage_threshold(HartveiligSettings(budget_min=1.0, alert_delay_min=1.0), PROFILES)
    with pytest.raises(ConfigError, match="not defined"):
        coverage_threshold(HartveiligSettings(responder_profile="runner"), PROFILES)


def test_describe_model_states_the_numbers():
    nl = describe_model(HartveiligSettings(), PROFILES)
    assert "6 min" in nl and "150 s" in nl and "345 m" in nl and "2,3 m/s" in nl
    en = describe_model(HartveiligSettings(), PROFILES, language="en")
    assert "responder" in en and "345 m" in en and "2.3 m/s" in en
    assert "500 m" in describe_model(HartveiligSettings(model="radius"), PROFILES)


# ---------------------------------------------------------------------- availability
def test_hour_of_week():
    assert hour_of_week(Moment("x", "Mo", "00:00")) == 0
    assert hour_of_week(Moment("x", "We", "14:00")) == 62  # 2·24 + 14
    assert hour_of_week(Moment("x", "We", "03:59")) == 51
    assert hour_of_week(Moment("x", "Su", "23:30")) == 167


def office_hours() -> str:
    """Mo–Fr 08:00–18:00 (hours 8..17 open): 5 × 10 = 50 open hours."""
    day = "0" * 8 + "1" * 10 + "0" * 6
    return day * 5 + "0" * 48


def test_availability_matrix():
    status = ["24/7", "limited", "unknown", "limited"]
    hours = ["", office_hours(), "", "garbage"]
    m = availability_matrix(status, hours, unknown="closed")
    assert m.shape == (4, 168)
    assert m[0].all()
    assert m[1].sum() == 50 and m[1, 62] and not m[1, 51]
    assert not m[2].any()
    assert not m[3].any()  # unreadable 'limited' hours are treated like unknown
    m_open = availability_matrix(status, hours, unknown="open")
    assert m_open[2].all() and m_open[3].all()


def test_coverage_by_hour_sparse_product():
    # cell 0 reached by AED 0 (24/7); cell 1 by AED 1 (office hours); cell 2 by nothing
    avail = availability_matrix(["24/7", "limited"], ["", office_hours()])
    cov = coverage_by_hour(np.array([0, 1, 1]), np.array([0, 1, 1]), avail, n_cells=3)
    assert cov.shape == (3, 168)
    assert cov[0].all()
    assert cov[1].sum() == 50  # duplicate pairs count once
    assert not cov[2].any()


# ----------------------------------------------------------------------- white spots
def test_label_grid_clusters_eight_connectivity():
    #  y
    #  2  .  .  e
    #  1  .  b  .        a-b diagonal, b-c side: one cluster; d alone; e touches b diagonally
    #  0  a  c  .  .  d
    ix = np.array([0, 1, 1, 4, 2])
    iy = np.array([0, 1, 0, 0, 2])
    labels = label_grid_clusters(ix, iy)
    assert labels.tolist() == [0, 0, 0, 1, 0]
    assert label_grid_clusters(np.array([0, 2]), np.array([0, 0])).tolist() == [0, 1]


def test_find_white_spots_by_hand():
    size = 100.0
    # centroids (x, y) on a 100 m grid; residents
    cells = gpd.GeoDataFrame(
        {
            "residents": [4.0, 6.0, 3.0, 8.0, 0.0, 5.0],
            "residents_65_plus": [1.0, 2.0, np.nan, 0.5, 0.0, 1.0],
        },
        geometry=shapely.points(
            [(450, 50), (650, 50), (750, 150), (1550, 50), (1650, 50), (50, 50)]
        ),
        crs=CRS,
    )
    uncovered = np.array([True, True, True, True, True, False])
    places = gpd.GeoDataFrame(
        {"name": ["Westdorp", "Oostdorp"]}, geometry=shapely.points([(0, 0), (1600, 0)]), crs=CRS
    )
    aeds = gpd.GeoDataFrame(
        {"availability_status": ["24/7", "limited"]},
        geometry=shapely.points([(50, 50), (850, 50)]),
        crs=CRS,
    )
    spots = find_white_spots(
        cells, uncovered, cell_size_m=size, moment="night", places=places, aeds=aeds
    )
    # spots: {650,750 diagonal} = 6 + 3 = 9; {1550} = 8 (1650 has 0 residents: not part); {450} = 4
    assert spots["residents"].tolist() == [9.0, 8.0, 4.0]
    assert spots["rank"].tolist() == [1, 2, 3]
    assert spots["spot_id"].tolist() == ["night-1", "night-2", "night-3"]
    assert spots["n_cells"].tolist() == [2, 1, 1]
    assert spots["area_km2"].tolist() == pytest.approx([0.02, 0.01, 0.01])
    assert spots["residents_65_plus"].tolist() == [2.0, 0.5, 1.0]  # NaN counts as 0 in a sum
    # spot 1 (x 600..800) is 600 m from Westdorp (0, 0) and 800 m from Oostdorp (1600, 0)
    assert spots["nearest_village"].tolist() == ["Westdorp", "Oostdorp", "Westdorp"]
    # spot 1 = squares 600..700 × 0..100 and 700..800 × 100..200: AED (850, 50) is nearest
    # to the corner (800, 100) of the second: √(50² + 50²) = 70.71 m
    # spot 2 spans x 1500..1600: 650 m from (850, 50); spot 3 spans 400..500: 350 m from (50, 50)
    assert spots["dist_nearest_aed_m"].tolist() == pytest.approx([50 * 2**0.5, 650.0, 350.0])
    # 24/7 only (50, 50): spot 1 from x = 600 → 550 m; spot 2 → 1450 m; spot 3 → 350 m
    assert spots["dist_nearest_24_7_aed_m"].tolist() == pytest.approx([550.0, 1450.0, 350.0])
    assert spots.geometry.iloc[0].area == pytest.approx(20_000.0)
    assert spots.crs == CRS


def test_find_white_spots_empty():
    cells = gpd.GeoDataFrame(
        {"residents": [1.0], "residents_65_plus": [0.0]},
        geometry=shapely.points([(50, 50)]),
        crs=CRS,
    )
    spots = find_white_spots(cells, np.array([False]), cell_size_m=100.0, moment="night")
    assert len(spots) == 0 and "residents" in spots


def test_white_spots_by_moment_share_spots_and_match_single_moments():
    size = 100.0
    cells = gpd.GeoDataFrame(
        {
            "residents": [4.0, 6.0, 3.0, 8.0, 0.0, 5.0],
            "residents_65_plus": [1.0, 2.0, np.nan, 0.5, 0.0, 1.0],
        },
        geometry=shapely.points(
            [(450, 50), (650, 50), (750, 150), (1550, 50), (1650, 50), (50, 50)]
        ),
        crs=CRS,
    )
    places = gpd.GeoDataFrame(
        {"name": ["Westdorp", "Oostdorp"]}, geometry=shapely.points([(0, 0), (1600, 0)]), crs=CRS
    )
    aeds = gpd.GeoDataFrame(
        {"availability_status": ["24/7", "limited"]},
        geometry=shapely.points([(50, 50), (850, 50)]),
        crs=CRS,
    )
    uncovered = {
        "day": np.array([True, True, True, False, True, False]),  # the cell at 1550 covered
        "night": np.array([True, True, True, True, True, False]),
        "never": np.zeros(6, dtype=bool),
    }
    available = {
        "day": np.array([True, True]),
        "night": np.array([True, False]),  # the limited AED at (850, 50) is closed
        "never": np.array([True, True]),
    }
    both = find_white_spots_by_moment(
        cells, uncovered, cell_size_m=size, places=places, aeds=aeds, available=available
    )
    assert list(both) == ["day", "night", "never"]
    for moment, table in both.items():
        alone = find_white_spots(
            cells, uncovered[moment], cell_size_m=size, moment=moment, places=places,
            aeds=aeds, available=available[moment],
        )  # fmt: skip
        pd.testing.assert_frame_equal(
            pd.DataFrame(table.drop(columns="geometry")),
            pd.DataFrame(alone.drop(columns="geometry")),
        )
        assert list(table.geometry.to_wkb()) == list(alone.geometry.to_wkb())
    day, night = both["day"], both["night"]
    assert day["residents"].tolist() == [9.0, 4.0] and night["residents"].tolist() == [9, 8, 4]
    assert len(both["never"]) == 0 and "residents" in both["never"]
    # the spot of the cells at (650, 50) and (750, 150) at both moments: same polygon, same
    # distance from its edge to any AED (50·√2 m to the corner (800, 100)) ...
    assert day.geometry.iloc[0].equals(night.geometry.iloc[0])
    assert day["dist_nearest_aed_m"].iloc[0] == pytest.approx(50 * 2**0.5)
    assert night["dist_nearest_aed_m"].iloc[0] == pytest.approx(50 * 2**0.5)
    # ... but the nearest *available* AED from its cell centres differs: by day (850, 50) is
    # √(100² + 100²) from (750, 150); at night only (50, 50) is open, 600 m from (650, 50)
    assert day["distance_nearest_available_aed_m"].iloc[0] == pytest.approx(100 * 2**0.5)
    assert night["distance_nearest_available_aed_m"].iloc[0] == pytest.approx(600.0)


# ------------------------------------------------- the whole analysis, on a tiny street
#
# One straight street along y = 50 with nodes at x = 50, 150, ..., 1950 (100 m edges), so
# every cell centre on the street is a node. Responder 2.3 m/s, fetch limit 150 s = 345 m.
#
#   cell  centre        residents  65+   note
#   c0    (50, 50)      10         1     AED A here (24/7)
#   c1    (350, 50)     5          1     300 m from A                  → always covered
#   c2    (450, 50)     4          0     400 m from A and from B       → never covered
#   c3    (650, 50)     6          2     200 m from B (office hours)   → covered when B open
#   c4    (750, 150)    3          2     100 m off the street; B: 100 + 100 = 200 m → when B open
#   c5    (1550, 50)    8          0     AED C here, hours unknown     → closed by default
#   c6    (1950, 1050)  2          NaN   1000 m from the street: flagged, never covered
#
# B is open Mo–Fr 08–18 (50 of 168 hours). Total residents 38.
def street_network():
    from bereikbaar.network import network_from_arrays

    xs = np.arange(50.0, 2000.0, 100.0)  # 20 nodes
    nodes = np.column_stack([xs, np.full(len(xs), 50.0)])
    edges = [(i, i + 1) for i in range(len(xs) - 1)]
    return network_from_arrays(nodes, edges, mode="walk")


def street_inputs():
    cells = gpd.GeoDataFrame(
        {
            "cell_id": ["c0", "c1", "c2", "c3", "c4", "c5", "c6"],
            "residents": [10.0, 5, 4, 6, 3, 8, 2],
            "residents_65_plus": [1.0, 1, 0, 2, 2, 0, np.nan],
        },
        geometry=shapely.points(
            [(50, 50), (350, 50), (450, 50), (650, 50), (750, 150), (1550, 50), (1950, 1050)]
        ),
        crs=CRS,
    )
    cells.attrs["cell_size_m"] = 100.0
    aeds = gpd.GeoDataFrame(
        {
            "aed_id": ["A", "B", "C"],
            "name": ["Dorpshuis", "Huisarts", "Kerk"],
            "gemeente": ["Testdorp"] * 3,
            "availability": ["24/7", "ma-vr 8-18", "?"],
            "availability_status": ["24/7", "limited", "unknown"],
            "open_hours": ["1" * 168, office_hours(), ""],
            "indoor": [False, True, None],
        },
        geometry=shapely.points([(50, 50), (850, 50), (1550, 50)]),
        crs=CRS,
    )
    places = gpd.GeoDataFrame(
        {"name": ["Westdorp", "Oostdorp"]}, geometry=shapely.points([(0, 0), (1600, 0)]), crs=CRS
    )
    candidates = gpd.GeoDataFrame(
        {
            "kind": ["school", "church", "supermarket", "bakery"],
            "name": ["OBS De Es", "Kerk", "Spar", "Bakker"],
        },
        geometry=shapely.points([(550, 50), (1550, 60), (450, 50), (1550, 50)]),
        crs=CRS,
    )
    return cells, aeds, places, candidates


def run(settings=None, *, aeds=None, candidates=None, **kw):
    from bereikbaar.hartveilig import compute_hartveilig

    cells, aeds0, places, cand0 = street_inputs()
    return compute_hartveilig(
        gemeente="Testdorp",
        cells=cells,
        aeds=aeds0 if aeds is None else aeds,
        walk_network=street_network(),
        places=places,
        candidates=cand0 if candidates is None else candidates,
        settings=settings or HartveiligSettings(),
        profiles=PROFILES,
        **kw,
    )


def covered_ids(result, moment):
    c = result.cells
    return c.loc[c[f"covered_{moment}"], "cell_id"].tolist()


def test_fetch_model_by_hand():
    r = run(check_with_ilp=True)
    s = r.summary
    # weekday 14:00 (hour 62): A and B open → c0, c1, c3, c4 = 10 + 5 + 6 + 3 = 24
    assert covered_ids(r, "weekday_day") == ["c0", "c1", "c3", "c4"]
    # evening, night, Sunday: only A → c0, c1 = 15
    for m in ("weekday_evening", "night", "sunday"):
        assert covered_ids(r, m) == ["c0", "c1"]
    assert s["residents"] == 38.0
    assert s["moments"]["weekday_day"]["residents_covered"] == 24.0
    assert s["moments"]["night"]["residents_covered"] == 15.0
    assert s["moments"]["night"]["share_covered"] == round(15 / 38, 4)
    assert s["residents_unroutable"] == 2.0
    assert s["settings"]["max_route_m"] == 345.0 and s["settings"]["max_route_s"] == 150.0
    # weekly share: c0, c1 always; c3, c4 50/168 hours; others never
    assert r.cells["weekly_share"].tolist() == pytest.approx([1, 1, 0, 50 / 168, 50 / 168, 0, 0])
    # residents-weighted mean: (15 + 9 · 50/168) / 38
    assert s["weekly_share_mean"] == pytest.approx(round((15 + 9 * 50 / 168) / 38, 4))
    # minutes (one way, 2.3 m/s) at 14:00: c1 300 m, c2 400 m, c3/c4 200 m, c5 700 m (from B)
    v = 2.3 * 60  # metres per minute
    day = r.cells["minutes_weekday_day"].to_numpy()
    assert day[:6] == pytest.approx([0, 300 / v, 400 / v, 200 / v, 200 / v, 700 / v])
    assert np.isnan(day[6])  # flagged
    # at night only A: c3 600 m, c4 700 + 100 m, c5 1500 m
    night = r.cells["minutes_night"].to_numpy()
    assert night[:6] == pytest.approx([0, 300 / v, 400 / v, 600 / v, 800 / v, 1500 / v])
    # covered ⟺ minutes within 2.5 min, for routable cells
    ok = ~r.cells["flagged"].to_numpy()
    assert ((day[ok] <= 2.5) == r.cells["covered_weekday_day"].to_numpy()[ok]).all()

    # white spots at 14:00: {c5} 8, {c2} 4, {c6} 2
    ws = r.white_spots
    day_spots = ws[ws["moment"] == "weekday_day"]
    assert day_spots["residents"].tolist() == [8.0, 4.0, 2.0]
    # at night c3 and c4 touch diagonally → one spot of 9; then {c5} 8, {c2} 4, {c6} 2
    night_spots = ws[ws["moment"] == "night"]
    assert night_spots["residents"].tolist() == [9.0, 8.0, 4.0, 2.0]
    assert night_spots["n_cells"].tolist() == [2, 1, 1, 1]
    assert night_spots["nearest_village"].tolist()[:2] == ["Westdorp", "Oostdorp"]
    assert s["white_spots"]["night"] == {"count": 4, "residents": 23.0}
    assert s["white_spots"]["weekday_day"] == {"count": 3, "residents": 14.0}

    # proposals for the night: school (550) reaches c2 100 m, c3 100 m, c4 200 + 100 m
    # → 4 + 6 + 3 = 13; church (1550, 60) reaches c5 (10 m) → 8; Spar (450) then adds
    # nothing (c2, c3 taken) and the bakery is not a candidate kind.
    p = r.proposals
    assert p["name"].tolist() == ["OBS De Es", "Kerk"]
    assert p["kind"].tolist() == ["school", "church"]
    assert p["gain_residents"].tolist() == [13.0, 8.0]
    assert p["cumulative_residents"].tolist() == [13.0, 21.0]
    assert p["gain_residents_65_plus"].tolist() == [4.0, 0.0]
    assert s["proposal_moment"] == "night"
    assert s["proposals_check"]["ilp_weight"] == 21.0 == s["proposals_check"]["greedy_weight"]
    # relocation: B made 24/7 adds c3 + c4 = 9 at night; C (unknown) is not 'limited'
    assert r.relocations["aed_id"].tolist() == ["B"]
    assert r.relocations["gain_residents"].tolist() == [9.0]

    assert s["aeds"] == {
        "total": 3,
        "24_7": 1,
        "limited": 1,
        "unknown": 1,
        "outside_used": 0,
        "approximate": 0,
    }
    assert r.aeds["open_night"].tolist() == [True, False, False]
    assert any("gesloten" in a for a in r.assumptions)
    json.dumps(s)  # JSON-ready
    assert r.cells.index.equals(street_inputs()[0].index)
    assert r.cells.crs == CRS and r.white_spots.crs == CRS


def test_unknown_hours_open():
    r = run(HartveiligSettings(unknown_availability="open"))
    # C counts as open: c5 is covered at every moment and every hour
    assert "c5" in covered_ids(r, "night")
    assert r.cells["weekly_share"].iloc[5] == 1.0
    assert r.summary["settings"]["unknown_availability"] == "open"
    assert any("altijd open" in a for a in r.assumptions)


def test_invariants_budget_aed_and_moments():
    base = run()
    bigger = run(HartveiligSettings(budget_min=8.0))  # 210 s = 483 m: c2 (400 m) joins
    assert "c2" in covered_ids(bigger, "night")
    cells_in = street_inputs()[0]
    total = cells_in["residents"].sum()
    for m in HartveiligSettings().moments:
        cov_b = base.cells[f"covered_{m.name}"].to_numpy()
        cov_g = bigger.cells[f"covered_{m.name}"].to_numpy()
        assert (cov_g >= cov_b).all()  # a larger budget never loses coverage
        res = base.cells["residents"].to_numpy()
        spots = base.white_spots[base.white_spots["moment"] == m.name]["residents"].sum()
        assert res[cov_b].sum() + spots == pytest.approx(total)  # covered + uncovered = all
    s = base.summary["moments"]
    assert s["night"]["residents_covered"] <= s["weekday_day"]["residents_covered"]
    # one more 24/7 AED at (650, 50) never lowers coverage
    _, aeds, _, _ = street_inputs()
    extra = pd.concat(
        [
            aeds,
            gpd.GeoDataFrame(
                {"aed_id": ["D"], "availability_status": ["24/7"], "open_hours": [""]},
                geometry=shapely.points([(650, 50)]),
                crs=CRS,
            ),
        ],
        ignore_index=True,
    )
    more = run(aeds=extra)
    for m in HartveiligSettings().moments:
        assert (more.cells[f"covered_{m.name}"] >= base.cells[f"covered_{m.name}"]).all()
    assert covered_ids(more, "night") == ["c0", "c1", "c2", "c3", "c4"]  # D: 200, 0, 100+100 m


def test_radius_and_route_models():
    r = run(HartveiligSettings(model="radius", radius_m=500.0))
    # straight line: c2 is 400 m from A; c4 is √(100² + 100²) = 141 m from B; c6 flagged
    assert covered_ids(r, "weekday_day") == ["c0", "c1", "c2", "c3", "c4"]
    assert covered_ids(r, "night") == ["c0", "c1", "c2"]
    assert r.summary["settings"]["radius_m"] == 500.0
    # route: walking 5 km/h for 3 min = 250 m: c1 (300 m) drops out
    r = run(HartveiligSettings(model="route", route_max_min=3.0))
    assert covered_ids(r, "weekday_day") == ["c0", "c3", "c4"]
    assert covered_ids(r, "night") == ["c0"]


def test_street_node_candidates_and_weights():
    empty = street_inputs()[3].iloc[0:0]
    r = run(HartveiligSettings(candidate_street_nodes=True), candidates=empty)
    # nodes within 75 m of a cell centre: x = 50, 350, 450, 650, 1550. At night node 650
    # reaches c2 (200 m), c3 (0), c4 (100 + 100 m) = 13; node 1550 then adds c5 = 8.
    assert r.proposals["gain_residents"].tolist() == [13.0, 8.0]
    assert r.proposals.geometry.x.tolist() == [650.0, 1550.0]
    assert (r.proposals["kind"] == "street_node").all()
    # with a proposal moment in the daytime the school gains only c2 (c3, c4 covered by B)
    r = run(proposal_moment="weekday_day")
    assert r.proposals["name"].tolist()[0] == "Kerk"  # 8 > 4
    with pytest.raises(ConfigError, match="proposal_moment"):
        run(proposal_moment="midnight")


def test_crs_is_checked():
    cells, aeds, places, cand = street_inputs()
    from bereikbaar.hartveilig import compute_hartveilig

    with pytest.raises(CrsError, match="AED"):
        compute_hartveilig(
            gemeente="Testdorp",
            cells=cells,
            aeds=aeds.set_crs("EPSG:4326", allow_override=True),
            walk_network=street_network(),
            places=places,
            candidates=cand,
            settings=HartveiligSettings(),
            profiles=PROFILES,
        )


def test_deterministic():
    a, b = run(), run()
    pd.testing.assert_frame_equal(a.cells, b.cells)
    pd.testing.assert_frame_equal(a.white_spots, b.white_spots)
    assert a.summary == b.summary


# ------------------------------------------------------- invariants on the Drenthe data
@pytest.fixture(scope="module")
def drenthe_area(cfg):
    from bereikbaar.pipeline import open_study_area

    return open_study_area(cfg)


@pytest.mark.slow
def test_drenthe_invariants(cfg, drenthe_area):
    from bereikbaar.pipeline import run_hartveilig

    gemeente = "Aa en Hunze"
    base = run_hartveilig(gemeente, cfg, area=drenthe_area)
    cells = base.cells
    total = cells["residents"].sum()
    s = base.summary
    assert s["residents"] == pytest.approx(total, abs=0.1)
    for m in base.moments:
        covered = cells.loc[cells[f"covered_{m.name}"], "residents"].sum()
        spots = base.white_spots[base.white_spots["moment"] == m.name]
        # covered + uncovered (all in white spots, as uncovered cells with 0 residents add 0)
        assert covered + spots["residents"].sum() == pytest.approx(total)
        assert spots["rank"].tolist() == list(range(1, len(spots) + 1))
        assert spots["residents"].is_monotonic_decreasing
    moments = s["moments"]
    assert moments["night"]["residents_covered"] <= moments["weekday_day"]["residents_covered"]
    assert ((cells["weekly_share"] >= 0) & (cells["weekly_share"] <= 1)).all()
    # greedy gains never grow (submodular)
    assert base.proposals["gain_residents"].is_monotonic_decreasing or (
        # with weight_65_plus the order follows the weight; by default it is residents
        cfg.hartveilig.weight_65_plus > 0
    )

    # a larger budget never loses coverage
    bigger = run_hartveilig(gemeente, cfg.with_hartveilig(budget_min=8.0), area=drenthe_area)
    for m in base.moments:
        assert (bigger.cells[f"covered_{m.name}"] >= cells[f"covered_{m.name}"]).all()


@pytest.mark.slow
def test_drenthe_proposals_match_adding_the_aeds(cfg, drenthe_area):
    """Placing the proposed AEDs as 24/7 AEDs raises night coverage by exactly the
    cumulative gain the proposals report (an independent re-run of the whole chain)."""
    from bereikbaar.hartveilig import compute_hartveilig

    gemeente = "Aa en Hunze"
    name, polygon = drenthe_area.municipality(gemeente)
    cells = drenthe_area.population().data
    cells = cells[cells.geometry.within(polygon)]
    aeds = drenthe_area.aeds()
    aeds = aeds[aeds.geometry.within(polygon.buffer(cfg.network.halo_walk_m))]
    pois = drenthe_area.pois().data
    cand = pois[pois["kind"].isin(cfg.hartveilig.candidate_kinds)]
    cand = cand[cand.geometry.within(polygon)]
    settings = dataclasses.replace(cfg.hartveilig, n_proposals=5)
    kw = dict(
        gemeente=name,
        cells=cells,
        walk_network=drenthe_area.network("walk"),
        places=drenthe_area.places().data,
        candidates=cand,
        settings=settings,
        profiles=cfg.profiles,
        max_snap_m=cfg.network.max_snap_m,
        area=polygon,
    )
    base = compute_hartveilig(aeds=aeds, check_with_ilp=True, **kw)
    p = base.proposals
    assert len(p) == 5
    check = base.summary["proposals_check"]
    assert check["greedy_weight"] >= (1 - 1 / np.e) * check["ilp_weight"]
    assert check["greedy_weight"] <= check["ilp_weight"] + 1e-6
    new = gpd.GeoDataFrame(
        {
            "aed_id": [f"new-{i}" for i in p["rank"]],
            "availability_status": "24/7",
            "open_hours": "1" * 168,
        },
        geometry=p.geometry.to_numpy(),
        crs=CRS,
    )
    more = pd.concat([aeds, new], ignore_index=True)
    after = compute_hartveilig(aeds=more, **kw)
    # adding AEDs never uncovers a cell, at any moment
    assert list(after.cells["cell_id"]) == list(base.cells["cell_id"])
    for m in base.moments:
        col = f"covered_{m.name}"
        assert (after.cells[col].to_numpy() >= base.cells[col].to_numpy()).all()
    night = base.summary["proposal_moment"]
    gained = (
        after.summary["moments"][night]["residents_covered"]
        - base.summary["moments"][night]["residents_covered"]
    )
    assert gained == pytest.approx(p["cumulative_residents"].iloc[-1], abs=0.2)


# ------------------------------------------------------------- the typed contract
def test_contract_fields_on_the_street():
    from bereikbaar.hartveilig import CoverageModel

    cells, _, _, _ = street_inputs()
    outline = gpd.GeoDataFrame(
        {"gemeente": ["Testdorp"]}, geometry=[shapely.box(0, 0, 2000, 1100)], crs=CRS
    )
    r = run(outline=outline, sources_note="CBS 2024; OSM")
    assert r.sources_note == "CBS 2024; OSM"
    assert r.outline is outline
    m = r.model
    assert isinstance(m, CoverageModel)
    assert (m.name, m.threshold_min, m.budget_min) == ("fetch", 2.5, 6.0)  # 150 s one way
    assert m.unknown_availability == "closed"
    assert "6 minuten" in m.description_nl and "2,3 m/s" in m.description_nl
    # hourly matrix: rows = cells, 168 columns; the moments' columns are covered_<moment>
    assert r.hourly_covered.shape == (7, 168) and r.hourly_covered.dtype == bool
    for mo in r.moments:
        h = hour_of_week(mo)
        assert (r.hourly_covered[:, h] == r.cells[f"covered_{mo.name}"].to_numpy()).all()
        assert r.hourly_residents_covered[h] == r.summary["moments"][mo.name]["residents_covered"]
    # B open 50 hours: 15 residents always, 24 in B's hours
    assert sorted(set(r.hourly_residents_covered.tolist())) == [15.0, 24.0]
    assert (r.hourly_residents_covered == 24.0).sum() == 50
    # the covered decision is minutes <= threshold_min (unrounded) for routable cells
    ok = ~r.cells["flagged"].to_numpy()
    for mo in r.moments:
        minutes = r.cells[f"minutes_{mo.name}"].to_numpy()[ok]
        covered = r.cells[f"covered_{mo.name}"].to_numpy()[ok]
        assert ((minutes <= m.threshold_min) == covered).all()
    assert r.aeds["counts"].tolist() == [True, True, True]


def test_outline_defaults_to_the_area():
    area = shapely.box(0, 0, 1000, 1000)
    r = run(area=area)
    assert r.outline["gemeente"].tolist() == ["Testdorp"]
    assert r.outline.geometry.iloc[0].equals(area) and r.outline.crs == CRS
    # A (50, 50) and B (850, 50) lie in the area, C (1550, 50) does not
    assert r.aeds["in_gemeente"].tolist() == [True, True, False]
    assert r.summary["aeds"]["outside_used"] == 1


def test_model_of_route_and_radius():
    r = run(HartveiligSettings(model="route", route_max_min=3.0))
    assert (r.model.name, r.model.threshold_min, r.model.budget_min) == ("route", 3.0, 3.0)
    r = run(HartveiligSettings(model="radius", radius_m=500.0))
    assert r.model.threshold_min is None and "500 m" in r.model.description_nl


def test_white_spot_distance_to_the_available_aed():
    r = run()
    night = r.white_spots[r.white_spots["moment"] == "night"]
    # at night only A (50, 50) is available (B closed, C unknown = closed). From the spots'
    # populated cell centres: {c3 (650, 50), c4 (750, 150)} → 600 m; {c5 (1550, 50)} →
    # 1500 m; {c2 (450, 50)} → 400 m; {c6 (1950, 1050)} → √(1900² + 1000²)
    assert night["distance_nearest_available_aed_m"].tolist() == pytest.approx(
        [600.0, 1500.0, 400.0, (1900**2 + 1000**2) ** 0.5]
    )
    # the old polygon distance to any AED ignores the hours: closed B is 50·√2 m away
    assert night["dist_nearest_aed_m"].iloc[0] == pytest.approx(50 * 2**0.5)
    # in the daytime B is open: {c5} is 700 m from B
    day = r.white_spots[r.white_spots["moment"] == "weekday_day"]
    assert day["distance_nearest_available_aed_m"].tolist()[:2] == pytest.approx([700.0, 400.0])


def test_addresses_and_places_of_proposals_and_relocations():
    cells, aeds, places, cand = street_inputs()
    cand["tags"] = [
        '{"addr:street": "Schoolstraat", "addr:housenumber": "3"}',
        "{}",
        None,
        '{"addr:housenumber": "9"}',
    ]
    aeds["street"] = ["Brink 1", "Hoofdweg 12", None]
    r = run(aeds=aeds, candidates=cand)
    p = r.proposals
    assert p["name"].tolist() == ["OBS De Es", "Kerk"]
    assert p["address"].tolist() == ["Schoolstraat 3", ""]
    # (550, 50) is 552 m from Westdorp (0, 0) and 1051 m from Oostdorp (1600, 0)
    assert p["near"].tolist() == ["Westdorp", "Oostdorp"]
    rel = r.relocations
    assert rel["address"].tolist() == ["Hoofdweg 12"]
    assert rel["near"].tolist() == ["Oostdorp"]  # (850, 50): 751 m vs 851 m
    assert rel["current_availability"].tolist() == ["ma-vr 8-18"]
    assert rel["to"].tolist() == ["24/7-buitenkast op dezelfde plek"]
    json.dumps(r.summary)


# ---------------------------------------------------------- approximate locations
def approximate_b():
    """The street case with B placed only by postcode."""
    _, aeds, _, _ = street_inputs()
    aeds["location_quality"] = ["exact", "postcode", "exact"]
    return aeds


def test_approximate_aeds_excluded_by_default():
    r = run(aeds=approximate_b())
    s = r.summary
    assert r.aeds["counts"].tolist() == [True, False, True]
    assert s["aeds"]["approximate"] == 1 and s["settings"]["approximate_aeds"] == "exclude"
    # without B the day looks like the night: c0 + c1 = 15; with B c3 + c4 join: 24
    day = s["moments"]["weekday_day"]
    assert covered_ids(r, "weekday_day") == ["c0", "c1"]
    assert day["residents_covered"] == 15.0 == day["residents_covered_exact"]
    assert day["residents_covered_with_approximate"] == 24.0
    assert day["share_covered_with_approximate"] == round(24 / 38, 4)
    assert day["residents_added_by_approximate"] == 9.0
    assert s["moments"]["night"]["residents_added_by_approximate"] == 0.0  # B closed
    # minutes come from counted AEDs only: c3 at 14:00 is 600 m from A
    v = 2.3 * 60
    assert r.cells["minutes_weekday_day"].iloc[3] == pytest.approx(600 / v)
    assert (r.hourly_residents_covered == 15.0).all()
    assert (r.hourly_residents_covered_with_approximate == 24.0).sum() == 50
    # an approximate AED is not offered for a move to a 24/7 cabinet
    assert len(r.relocations) == 0


def test_approximate_aeds_included_on_request():
    r = run(HartveiligSettings(approximate_aeds="include"), aeds=approximate_b())
    day = r.summary["moments"]["weekday_day"]
    assert r.aeds["counts"].all()
    assert day["residents_covered"] == 24.0 == day["residents_covered_with_approximate"]
    assert day["residents_covered_exact"] == 15.0
    assert day["residents_added_by_approximate"] == 9.0
    with pytest.raises(ConfigError, match="approximate_aeds"):
        run(HartveiligSettings(approximate_aeds="maybe"))


# ---------------------------------------------------- speed sensitivity, distances
def test_speed_sensitivity_by_hand():
    # fetch: 150 s one way → 1.8 m/s: 270 m, 2.3 m/s: 345 m, 3.1 m/s: 465 m
    s = run().summary["sensitivity"]
    assert s["speeds_mps"] == [1.8, 2.3, 3.1]
    assert s["max_route_m"] == [270.0, 345.0, 465.0]
    # night, A only: 270 m → c0 (10); 345 m → + c1 at 300 m (15); 465 m → + c2 at 400 m (19)
    assert s["moments"]["night"]["residents_covered"] == [10.0, 15.0, 19.0]
    # 14:00, A and B: 270 m → c0, c3, c4 at 200 m (19); 345 m → + c1 (24); 465 m → + c2 (28)
    assert s["moments"]["weekday_day"]["residents_covered"] == [19.0, 24.0, 28.0]
    assert s["moments"]["weekday_day"]["share_covered"] == [
        round(19 / 38, 4),
        round(24 / 38, 4),
        round(28 / 38, 4),
    ]
    # the same numbers when the chosen model is another one (its own routing)
    s_route = run(HartveiligSettings(model="route")).summary["sensitivity"]
    assert s_route["moments"] == s["moments"]


def test_straight_vs_route_by_hand():
    from bereikbaar.coverage import minutes_per_moment, prepare_aeds, snap_cells, straight_vs_route

    cells, aeds, _, _ = street_inputs()
    net = street_network()
    settings = HartveiligSettings()
    cs = snap_cells(net, cells, max_snap_m=500.0)
    aset = prepare_aeds(
        net, aeds, gemeente="Testdorp", area=None, settings=settings, max_snap_m=500
    )
    day = [m for m in settings.moments if m.name == "weekday_day"]
    minutes = minutes_per_moment(net, cs, aset, day, profile=PROFILES["aed_responder"])
    d = straight_vs_route(cs, aset, day, minutes, distances_m=(150, 250, 500))
    # 14:00, A (50, 50) and B (850, 50). Straight: c0 0, c4 √2·100 = 141 (B), c3 200,
    # c1 300, c2 400 → ≤150: 10 + 3; ≤250: + 6; ≤500: + 5 + 4
    assert d.within_straight["weekday_day"] == (13.0, 19.0, 28.0)
    # by route c4 is 100 m off the street + 100 m along it = 200 m from B
    assert d.within_route["weekday_day"] == (10.0, 19.0, 28.0)
    # ratios over c1..c5 (c0 has straight 0, c6 no route): 1, 1, 1, 200/141.4, 1
    assert d.median_ratio["weekday_day"] == pytest.approx(1.0)
    assert d.n_ratio_cells["weekday_day"] == 5
    # in the summary: night, only A: within 100 and 200 m c0 (10), within 500 m c0-c2 (19)
    s = run().summary["straight_vs_route"]["moments"]["night"]
    assert s["straight"] == {"100": round(10 / 38, 4), "200": round(10 / 38, 4), "500": 0.5}
    assert s["route"] == s["straight"]


def test_white_spot_weighted_median_distance():
    # one spot of three touching cells east of an available AED at (50, 50) and a closed
    # one at (250, 50) (not available, so it does not count)
    cells = gpd.GeoDataFrame(
        {"residents": [1.0, 1.0, 5.0], "residents_65_plus": [0.0, 0.0, 0.0]},
        geometry=shapely.points([(350, 50), (450, 50), (550, 50)]),
        crs=CRS,
    )
    aeds = gpd.GeoDataFrame(
        {"availability_status": ["24/7", "limited"]},
        geometry=shapely.points([(50, 50), (250, 50)]),
        crs=CRS,
    )
    spots = find_white_spots(
        cells,
        np.ones(3, dtype=bool),
        cell_size_m=100.0,
        moment="night",
        aeds=aeds,
        available=np.array([True, False]),
    )
    # distances 300, 400, 500 m with 1, 1, 5 residents: half of 7 = 3.5 is reached at 500 m
    assert spots["distance_nearest_available_aed_m"].tolist() == [300.0]
    assert spots["median_distance_available_aed_m"].tolist() == [500.0]
    # the polygon (x 300..600) touches the closed AED's neighbourhood: 50 m
    assert spots["dist_nearest_aed_m"].tolist() == [50.0]
    none = find_white_spots(
        cells, np.ones(3, bool), cell_size_m=100.0, moment="night", aeds=aeds,
        available=np.array([False, False]),
    )  # fmt: skip
    assert np.isnan(none["distance_nearest_available_aed_m"].iloc[0])


@pytest.mark.slow
def test_drenthe_contract_and_approximate_range(cfg, drenthe_area):
    from bereikbaar.pipeline import run_hartveilig

    r = run_hartveilig("Assen", cfg, area=drenthe_area)
    s = r.summary
    assert r.outline["gemeente"].tolist() == ["Assen"] and r.sources_note
    approx = (r.aeds["location_quality"] == "postcode").to_numpy()
    in_g = r.aeds["in_gemeente"].to_numpy(dtype=bool)
    assert s["aeds"]["approximate"] == int((approx & in_g).sum())
    assert (r.aeds["counts"].to_numpy() == ~approx).all()  # excluded by default
    included = run_hartveilig(
        "Assen", cfg.with_hartveilig(approximate_aeds="include"), area=drenthe_area
    )
    res = r.cells["residents"].to_numpy()
    ok = ~r.cells["flagged"].to_numpy()
    for m in r.moments:
        mine, inc = s["moments"][m.name], included.summary["moments"][m.name]
        # the range: the include run's coverage is this run's upper end
        assert inc["residents_covered"] == mine["residents_covered_with_approximate"]
        assert mine["residents_covered"] <= mine["residents_covered_with_approximate"]
        covered = r.cells[f"covered_{m.name}"].to_numpy()
        assert r.hourly_residents_covered[hour_of_week(m)] == pytest.approx(res[covered].sum())
        minutes = r.cells[f"minutes_{m.name}"].to_numpy()
        assert ((minutes[ok] <= r.model.threshold_min) == covered[ok]).all()
        # sensitivity grows with speed; the median speed is the model's own
        shares = s["sensitivity"]["moments"][m.name]["share_covered"]
        assert shares == sorted(shares) and shares[1] == mine["share_covered"]
        straight = s["straight_vs_route"]["moments"][m.name]
        for d in ("100", "200", "500"):  # a route is never shorter than the straight line
            assert straight["route"][d] <= straight["straight"][d]
        # an available AED at distance 0 would have to stand on a populated cell centre
        spots = r.white_spots[r.white_spots["moment"] == m.name]
        assert (spots["distance_nearest_available_aed_m"] > 0).all()
        assert (
            spots["median_distance_available_aed_m"] >= spots["distance_nearest_available_aed_m"]
        ).all()


def test_route_model_without_a_responder_profile():
    # the route model does not need the responder profile; the sensitivity is then empty
    from bereikbaar.hartveilig import compute_hartveilig

    cells, aeds, places, cand = street_inputs()
    r = compute_hartveilig(
        gemeente="Testdorp",
        cells=cells,
        aeds=aeds,
        walk_network=street_network(),
        places=places,
        candidates=cand,
        settings=HartveiligSettings(model="route", route_max_min=3.0),
        profiles={"walk": PROFILES["walk"]},
    )
    assert covered_ids(r, "night") == ["c0"]
    assert r.summary["sensitivity"]["speeds_mps"] == []
    assert r.summary["settings"]["responder_speed_mps"] is None
