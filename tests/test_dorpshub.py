"""Dorpshub: village access, norms, scores and hub choice on small hand-checked networks."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point, box

from bereikbaar.config import DorpshubSettings, Norm, TravelProfile
from bereikbaar.dorpshub import (
    BUITENGEBIED,
    TABLE_COLUMNS,
    CellAssignment,
    DorpshubResult,
    NormSpec,
    PreparedInputs,
    ServiceTimes,
    assign_cells,
    compute_dorpshub,
    group_sum,
    hub_gains,
    norm_label,
    norm_shares,
    rank_villages,
    rank_villages_across,
    score_villages,
    service_min_departures,
    what_if_from_tables,
    what_if_hub,
)
from bereikbaar.errors import ConfigError, NetworkError
from bereikbaar.network import network_from_arrays
from bereikbaar.routing import snap_points, travel_time_matrix

CRS = "EPSG:28992"
BIKE = TravelProfile("bike", "bike", speed_kmh=15.0)  # 250 m per minute
EBIKE = TravelProfile("ebike", "bike", speed_kmh=20.0)
WALK = TravelProfile("walk", "walk", speed_kmh=5.0)
CAR = TravelProfile("car", "drive", delay_factor=1.15)
PROFILES = {p.name: p for p in (BIKE, EBIKE, WALK, CAR)}
X0, Y0 = 230_000.0, 550_000.0  # somewhere in Drenthe (RD New)


def gdf(rows: list[dict], **extra) -> gpd.GeoDataFrame:
    geoms = [Point(X0 + r.pop("x"), Y0 + r.pop("y", 0.0)) for r in rows]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)


# ------------------------------------------------------------- the hand-worked case
#
# One straight two-way road along y = 0 with nodes every 1000 m (x = 0 .. 5000 m).
# By bike at 15 km/h, 1000 m takes 4 minutes (250 m/min). All points lie on the road
# (no access leg) except cell c5, 2000 m off the road (> max_snap_m = 500: flagged).
#
#   x (m):   0     500    900    1400   2600  3000  3500   4000   5000
#            Amen  c1     GP     c2     c6    Grolloo c3   super  c4
#
# Cells -> fastest village by bike, within village_max_min = 6 min:
#   c1 (x=500):  Amen 2.0 min, Grolloo 10.0            -> Amen
#   c2 (x=1400): Amen 5.6 min, Grolloo 6.4             -> Amen
#   c6 (x=2600): Amen 10.4,    Grolloo 1.6             -> Grolloo
#   c3 (x=3500): Amen 14.0,    Grolloo 2.0             -> Grolloo
#   c4 (x=5000): Grolloo 8.0 > 6                       -> buitengebied
#   c5 (2500, 2000): 2000 m from the road, flagged     -> buitengebied
# Residents (65+): c1 100 (20), c2 50 (10), c6 100 (30), c3 200 (50), c4 30 (5), c5 10 (2)
#   Amen 150 (30), Grolloo 300 (80), buitengebied 40 (7); total 490.
#
# Norms: gp by bike <= 6 min, supermarket by bike <= 5 min.
#   Amen centre:    gp 900 m = 3.6 min (ok),  supermarket 4000 m = 16.0 min (fails)
#   Grolloo centre: gp 2100 m = 8.4 min (fails), supermarket 1000 m = 4.0 min (ok)
# Shares of residents within (own cells):
#   Amen:    gp c1 1.6, c2 2.0 min -> 150/150 = 1;  supermarket c1 14, c2 10.4 -> 0
#   Grolloo: gp c6 6.8, c3 10.4    -> 0;            supermarket c6 5.6 (no), c3 2.0 (yes)
#            -> 200/300 = 2/3
# Scores (mean of shares): Amen (1 + 0)/2 = 0.5; Grolloo (0 + 2/3)/2 = 1/3
#   -> Grolloo rank 1 (worst), Amen rank 2; each fails one norm.
# Hubs (bike, hub_k = 1, hub_max_min = 5, no existing bus hub with >= 2 departures: the
# only bus hub, at x = 2000, runs once an hour):
#   p-median: Amen->Grolloo 12 min, both ways; open Amen: 300*12 = 3600, open Grolloo:
#             150*12 = 1800 -> Grolloo, serving both villages (450 residents).
#   max coverage within 5 min: Grolloo reaches c6 (1.6) and c3 (2.0) = 300 residents;
#             Amen reaches c1 (2.0) = 100 -> Grolloo; gain 300 residents, 80 aged 65+.
# What-if hub at Amen: c1 within 2.0 min -> 100 residents (20 aged 65+) gain, all in Amen.

GP_NORM = Norm("gp", "bike", 6.0)
SUPER_NORM = Norm("supermarket", "bike", 5.0)


def line_network():
    xy = [(X0 + 1000.0 * i, Y0) for i in range(6)]
    return network_from_arrays(xy, [(i, i + 1) for i in range(5)], mode="bike")


def hand_inputs(**settings_changes):
    villages = gdf(
        [
            {"place_id": "n1", "name": "Amen", "place": "village", "x": 0.0},
            {"place_id": "n2", "name": "Grolloo", "place": "village", "x": 3000.0},
            {"place_id": "n3", "name": "Elders", "place": "village", "x": 9000.0},  # outside
        ]
    )
    cells = gdf(
        [
            {"cell_id": "c1", "residents": 100.0, "residents_65_plus": 20.0, "x": 500.0},
            {"cell_id": "c2", "residents": 50.0, "residents_65_plus": 10.0, "x": 1400.0},
            {"cell_id": "c3", "residents": 200.0, "residents_65_plus": 50.0, "x": 3500.0},
            {"cell_id": "c4", "residents": 30.0, "residents_65_plus": 5.0, "x": 5000.0},
            {"cell_id": "c5", "residents": 10.0, "residents_65_plus": 2.0, "x": 2500, "y": 2000},
            {"cell_id": "c6", "residents": 100.0, "residents_65_plus": 30.0, "x": 2600.0},
        ]
    )
    services = gdf(
        [
            {"kind": "gp", "name": "Praktijk", "departures_per_hour": np.nan, "x": 900.0},
            {"kind": "supermarket", "name": "Spar", "departures_per_hour": np.nan, "x": 4000.0},
            {"kind": "bus_hub", "name": "Hub", "departures_per_hour": 1.0, "x": 2000.0},
        ]
    )
    settings = DorpshubSettings(
        village_profile="bike",
        village_max_min=6.0,
        profiles=("bike",),
        services=("gp", "supermarket"),
        norms=(GP_NORM, SUPER_NORM),
        hub_k=1,
        hub_profile="bike",
        hub_max_min=5.0,
        hub_min_departures_per_hour=2.0,
        what_if_village="Amen",
    )
    import dataclasses

    settings = dataclasses.replace(settings, **settings_changes)
    return {
        "gemeente": "Testgemeente",
        "gemeente_geometry": box(X0 - 100, Y0 - 2500, X0 + 5100, Y0 + 2500),
        "villages": villages,
        "cells": cells,
        "services": services,
        "networks": {"bike": line_network()},
        "settings": settings,
        "profiles": PROFILES,
        "max_snap_m": 500.0,
    }


@pytest.fixture(scope="module")
def hand() -> DorpshubResult:
    return compute_dorpshub(**hand_inputs())


def test_hand_cells_and_buitengebied(hand: DorpshubResult):
    village = hand.cells.set_index("cell_id")["village"].to_dict()
    assert village == {
        "c1": "Amen",
        "c2": "Amen",
        "c3": "Grolloo",
        "c4": None,
        "c5": None,
        "c6": "Grolloo",
    }
    minutes = hand.cells.set_index("cell_id")["minutes_to_village"]
    assert minutes["c1"] == pytest.approx(2.0)
    assert minutes["c2"] == pytest.approx(5.6)
    assert minutes["c6"] == pytest.approx(1.6)
    assert math.isnan(minutes["c4"])
    assert hand.cells.set_index("cell_id")["snap_flagged"].to_dict()["c5"]
    assert hand.buitengebied == {
        "residents": 40.0,
        "residents_65_plus": 7.0,
        "cells": 2,
        "cells_flagged": 1,
    }
    v = hand.villages.set_index("village")
    assert list(v.index) == ["Grolloo", "Amen"]  # worst first; Elders lies outside
    assert v.loc["Amen", "residents"] == 150.0
    assert v.loc["Amen", "residents_65_plus"] == 30.0
    assert v.loc["Grolloo", "residents"] == 300.0
    assert v.loc["Grolloo", "residents_65_plus"] == 80.0


def test_reach_per_place_kind():
    # Grolloo becomes a town reaching 9 min: c4 (8.0 min from Grolloo) joins it.
    # Amen becomes a hamlet reaching 5 min: c2 is 5.6 min from Amen (too far for a hamlet)
    # but 6.4 min from Grolloo, within Grolloo's 9 -> Grolloo, although Amen is nearer.
    inputs = hand_inputs(village_max_min_by_place={"town": 9.0, "hamlet": 5.0})
    inputs["villages"].loc[inputs["villages"]["name"] == "Grolloo", "place"] = "town"
    inputs["villages"].loc[inputs["villages"]["name"] == "Amen", "place"] = "hamlet"
    res = compute_dorpshub(**inputs)
    village = res.cells.set_index("cell_id")["village"].to_dict()
    assert village == {
        "c1": "Amen",
        "c2": "Grolloo",
        "c3": "Grolloo",
        "c4": "Grolloo",
        "c5": None,
        "c6": "Grolloo",
    }
    v = res.villages.set_index("village")
    assert v.loc["Amen", "residents"] == 100.0
    assert v.loc["Grolloo", "residents"] == 50.0 + 200.0 + 30.0 + 100.0
    assert res.buitengebied["residents"] == 10.0


def test_hand_every_resident_once(hand: DorpshubResult):
    total = hand.cells["residents"].sum()
    assert total == 490.0
    assert hand.villages["residents"].sum() + hand.buitengebied["residents"] == total
    assert hand.summary["residents_in_villages"] + hand.summary["residents_buitengebied"] == total


def test_hand_minutes_norms_score(hand: DorpshubResult):
    v = hand.villages.set_index("village")
    assert v.loc["Amen", "minutes_gp_bike"] == pytest.approx(3.6)
    assert v.loc["Grolloo", "minutes_gp_bike"] == pytest.approx(8.4)
    assert v.loc["Amen", "minutes_supermarket_bike"] == pytest.approx(16.0)
    assert v.loc["Grolloo", "minutes_supermarket_bike"] == pytest.approx(4.0)
    assert v.loc["Amen", "share_within_gp_bike"] == pytest.approx(1.0)
    assert v.loc["Amen", "share_within_supermarket_bike"] == pytest.approx(0.0)
    assert v.loc["Grolloo", "share_within_gp_bike"] == pytest.approx(0.0)
    assert v.loc["Grolloo", "share_within_supermarket_bike"] == pytest.approx(2 / 3)
    assert v.loc["Amen", "score"] == pytest.approx(0.5)
    assert v.loc["Grolloo", "score"] == pytest.approx(1 / 3)
    assert v.loc["Amen", "failed_norms"] == "supermarkt ≤ 5 min per fiets"
    assert v.loc["Grolloo", "failed_norms"] == "huisarts ≤ 6 min per fiets"
    assert v["n_failed_norms"].tolist() == [1, 1]
    assert v.loc["Grolloo", "rank_gemeente"] == 1
    assert v.loc["Amen", "rank_gemeente"] == 2


def test_hand_table(hand: DorpshubResult):
    t = hand.table
    assert list(t.columns) == TABLE_COLUMNS
    assert len(t) == 2 * 2  # villages × (bike × {gp, supermarket})
    row = t.set_index(["village", "service"])
    assert row.loc[("Amen", "gp"), "minutes"] == pytest.approx(3.6)
    assert bool(row.loc[("Amen", "gp"), "within_norm"]) is True
    assert bool(row.loc[("Amen", "supermarket"), "within_norm"]) is False
    assert bool(row.loc[("Grolloo", "gp"), "within_norm"]) is False
    assert row.loc[("Grolloo", "gp"), "residents"] == 300.0
    assert set(t["mode"]) == {"bike"}
    assert str(t["within_norm"].dtype) == "boolean"


def test_table_within_norm_na_without_norm():
    res = compute_dorpshub(**hand_inputs(norms=(GP_NORM,)))
    t = res.table.set_index(["village", "service"])
    assert pd.isna(t.loc[("Amen", "supermarket"), "within_norm"])
    assert bool(t.loc[("Amen", "gp"), "within_norm"]) is True
    assert "minutes_supermarket_bike" not in res.villages.columns


def test_hand_hubs(hand: DorpshubResult):
    h = hand.hubs.set_index("method")
    assert list(hand.hubs.columns[:8]) == [
        "rank",
        "village",
        "method",
        "residents_served",
        "villages_served",
        "n_villages_served",
        "residents_gaining",
        "residents_65_plus_gaining",
    ]
    assert h.loc["p_median", "village"] == "Grolloo"
    assert h.loc["p_median", "villages_served"] == "Amen; Grolloo"
    assert h.loc["p_median", "residents_served"] == 450.0
    assert h.loc["max_coverage", "village"] == "Grolloo"
    assert h.loc["max_coverage", "residents_gaining"] == 300.0
    assert h.loc["max_coverage", "residents_65_plus_gaining"] == 80.0
    assert hand.hubs.crs == CRS


def test_hand_what_if(hand: DorpshubResult):
    w = hand.what_if
    assert w is not None and w.village == "Amen"
    assert w.summary["residents_gaining"] == 100.0
    assert w.summary["residents_65_plus_gaining"] == 20.0
    assert w.summary["villages_gaining"] == ["Amen"]
    per = w.villages.set_index("village")
    assert per.loc["Amen", "residents_gaining"] == 100.0
    assert per.loc["Grolloo", "residents_gaining"] == 0.0
    assert per.loc[BUITENGEBIED, "residents"] == 40.0
    assert per["residents"].sum() == 490.0
    # the same from the inputs, and a helpful error for a name that is no village here
    again = what_if_hub(hand_inputs(), "Grolloo")
    assert again.summary["residents_gaining"] == 300.0
    with pytest.raises(ConfigError, match="did you mean 'Grolloo'"):
        what_if_hub(hand, "Groloo")


def test_existing_hub_counts_only_with_enough_departures():
    # the bus hub at x = 2000 now runs twice an hour: cells within 5 min by bike (1250 m):
    # c2 (600 m), c6 (600 m); c1 (1500 m) and c3 (1500 m) are not.
    # The same hub also comes from OSM without departures, 5 m away: it takes the 2/h.
    inputs = hand_inputs()
    svc = inputs["services"]
    svc.loc[svc["kind"] == "bus_hub", "departures_per_hour"] = 2.0
    twin = gdf([{"kind": "bus_hub", "name": "Hub", "departures_per_hour": np.nan, "x": 2005.0}])
    inputs["services"] = pd.concat([svc, twin], ignore_index=True)
    res = compute_dorpshub(**inputs)
    hubs = res.services[res.services["kind"] == "bus_hub"]
    assert hubs["departures_per_hour"].tolist() == [2.0, 2.0]
    within = res.cells.set_index("cell_id")["within_hub_norm"].to_dict()
    assert within == {"c1": False, "c2": True, "c3": False, "c4": False, "c5": False, "c6": True}
    h = res.hubs.set_index("method")
    # Grolloo still gains c3 (200 residents, 50 aged 65+); c6 was already served
    assert h.loc["max_coverage", "residents_gaining"] == 200.0
    assert h.loc["max_coverage", "residents_65_plus_gaining"] == 50.0


def test_summary_is_json_ready(hand: DorpshubResult):
    import json

    text = json.dumps(hand.summary, allow_nan=False)
    back = json.loads(text)
    assert back["gemeente"] == "Testgemeente"
    assert back["villages"] == 2
    norms = {n["label"]: n for n in back["norms"]}
    # all residents of the municipality (buitengebied too) within the gp norm: c1, c2
    assert norms["huisarts ≤ 6 min per fiets"]["share_residents_within"] == pytest.approx(
        150 / 490, abs=5e-5
    )  # one rounding rule: 4 decimals
    assert back["worst_villages"][0]["village"] == "Grolloo"
    assert len(back["hubs"]) == 2
    assert back["assumptions"] == list(hand.assumptions)


def test_missing_network_and_duplicate_norm():
    inputs = hand_inputs(profiles=("bike", "car"))
    with pytest.raises(NetworkError, match="drive"):
        compute_dorpshub(**inputs)
    inputs = hand_inputs(norms=(GP_NORM, Norm("gp", "bike", 10.0)))
    with pytest.raises(ConfigError, match="two norms"):
        compute_dorpshub(**inputs)


# ------------------------------------------ independent check on a directed random grid
def grid_network(rng: np.random.Generator, mode: str, n: int = 8, spacing: float = 400.0):
    xy, edges = [], []
    for i in range(n):
        for j in range(n):
            xy.append(
                (X0 + j * spacing + rng.uniform(-60, 60), Y0 + i * spacing + rng.uniform(-60, 60))
            )
    for i in range(n):
        for j in range(n):
            a = i * n + j
            if j + 1 < n and rng.random() > 0.1:
                edges.append((a, a + 1))
            if i + 1 < n and rng.random() > 0.1:
                edges.append((a, a + n))
    oneway = rng.random(len(edges)) < (0.3 if mode != "walk" else 0.0)
    speeds = rng.choice([30.0, 50.0, 80.0], len(edges)) if mode == "drive" else None
    return network_from_arrays(xy, edges, mode=mode, oneway=oneway, speeds_kmh=speeds)


def matrix(net, origins, destinations, profile):
    """The engine's own point-to-point times (s)."""
    return travel_time_matrix(net, origins, destinations, profile=profile)


def random_points(rng, k, extent):
    return [
        {"x": float(rng.uniform(-100, extent + 100)), "y": float(rng.uniform(-100, extent + 100))}
        for _ in range(k)
    ]


@pytest.fixture(scope="module")
def grid_case():
    rng = np.random.default_rng(7)
    extent = 7 * 400.0
    networks = {m: grid_network(rng, m) for m in ("walk", "bike", "drive")}
    vrows = random_points(rng, 7, extent)
    villages = gdf(
        [
            {"place_id": f"p{i}", "name": f"Dorp {i}", "place": "village", **r}
            for i, r in enumerate(vrows)
        ]
    )
    crows = random_points(rng, 120, extent)
    cells = gdf(
        [
            {
                "cell_id": f"c{i:03d}",
                "residents": float(rng.integers(1, 60)),
                "residents_65_plus": float(rng.integers(0, 10)),
                **r,
            }
            for i, r in enumerate(crows)
        ]
    )
    kinds = ["gp", "supermarket", "school", "station", "bus_hub", "hospital"]
    srows = []
    for kind in kinds:
        for r in random_points(rng, 3, extent):
            dep = float(rng.integers(0, 5)) if kind in ("station", "bus_hub") else np.nan
            srows.append(
                {"kind": kind, "name": f"{kind} {len(srows)}", "departures_per_hour": dep, **r}
            )
    services = gdf(srows)
    settings = DorpshubSettings(
        village_profile="bike",
        village_max_min=8.0,
        profiles=("walk", "bike", "ebike", "car"),
        services=tuple(kinds) + ("pharmacy",),  # no pharmacy in the data
        norms=(
            Norm("gp", "bike", 6.0),
            Norm("hospital", "car", 4.0),
            Norm("bus_hub", "bike", 5.0, min_departures_per_hour=2.0),
        ),
        hub_k=2,
        hub_profile="ebike",
        hub_max_min=4.0,
    )
    inputs = {
        "gemeente": "Raster",
        "gemeente_geometry": box(X0 - 200, Y0 - 200, X0 + extent + 200, Y0 + extent + 200),
        "villages": villages,
        "cells": cells,
        "services": services,
        "networks": networks,
        "settings": settings,
        "profiles": PROFILES,
        "max_snap_m": 150.0,
    }
    return inputs, compute_dorpshub(**inputs)


def test_minutes_equal_engine_point_to_point(grid_case):
    inputs, res = grid_case
    s = inputs["settings"]
    svc = inputs["services"]
    villages = res.villages  # output order, its own geometry
    checked = 0
    for pname in s.profiles:
        prof = PROFILES[pname]
        net = inputs["networks"][prof.network]
        vs = snap_points(net, villages, max_snap_m=150.0)
        for service in s.services:
            fac = svc[svc["kind"] == service]
            # one meaning per service: a norm's departures apply to the service in every mode
            need = [n.min_departures_per_hour for n in s.norms if n.service == service]
            need = [x for x in need if x is not None]
            if need:
                fac = fac[fac["departures_per_hour"] >= need[0]]
            got = res.table[(res.table["mode"] == pname) & (res.table["service"] == service)]
            got = got.set_index("village").loc[villages["village"], "minutes"].to_numpy()
            if len(fac) == 0:
                assert np.isnan(got).all()
                continue
            fs = snap_points(net, fac.reset_index(drop=True), max_snap_m=150.0)
            m = matrix(net, vs, fs, prof)
            expected = (
                np.where(
                    np.isnan(m).all(axis=1),
                    np.nan,
                    np.nanmin(np.where(np.isnan(m), np.inf, m), axis=1),
                )
                / 60.0
            )
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True)
            checked += 1
    assert checked >= 20


def test_grid_every_resident_once(grid_case):
    inputs, res = grid_case
    total = inputs["cells"]["residents"].sum()
    assert res.villages["residents"].sum() + res.buitengebied["residents"] == pytest.approx(total)
    assert res.cells["residents"].sum() == pytest.approx(total)
    assert (res.cells["village"].isna().sum()) == res.buitengebied["cells"]
    # each village's residents come from exactly its own cells
    per = res.cells.dropna(subset=["village"]).groupby("village")["residents"].sum()
    v = res.villages.set_index("village")["residents"]
    pd.testing.assert_series_equal(
        per.reindex(v.index).fillna(0.0), v, check_names=False, check_index_type=False
    )
    # the table has every village × mode × service once
    assert len(res.table) == len(res.villages) * 4 * 7
    assert not res.table.duplicated(["village", "mode", "service"]).any()


def test_cells_go_to_their_fastest_village(grid_case):
    inputs, res = grid_case
    net = inputs["networks"]["bike"]
    cells = res.cells.reset_index(drop=True)
    cs = snap_points(net, cells, max_snap_m=150.0)
    vs = snap_points(net, res.villages, max_snap_m=150.0)
    m = matrix(net, cs, vs, BIKE) / 60.0
    for i, row in cells.iterrows():
        times = m[i]
        if row["village"] is None:
            assert row["snap_flagged"] or np.all(np.isnan(times) | (times > 8.0))
        else:
            j = res.villages.index[res.villages["village"] == row["village"]][0]
            assert times[j] == pytest.approx(np.nanmin(times))
            assert times[j] <= 8.0


def brute_p_median(cost, w, k):
    best = None
    for combo in itertools.combinations(range(cost.shape[1]), k):
        sub = np.where(np.isnan(cost[:, combo]), np.inf, cost[:, combo]).min(axis=1)
        ok = np.isfinite(sub)
        key = (float(w[~ok].sum()), float((w[ok] * sub[ok]).sum()))
        if best is None or key < best[0]:
            best = (key, combo)
    return best[0]


def test_hub_choice_equals_brute_force(grid_case):
    inputs, res = grid_case
    s = inputs["settings"]
    net = inputs["networks"]["bike"]
    v = res.villages.reset_index(drop=True)
    vs = snap_points(net, v, max_snap_m=150.0)
    cost = matrix(net, vs, vs, EBIKE) / 60.0
    w = v["residents"].to_numpy(float)
    k = s.hub_k
    # p-median: the chosen villages reach the brute-force optimum
    chosen = res.hubs[res.hubs["method"] == "p_median"]["village"].tolist()
    assert len(chosen) == k
    pos = [int(np.flatnonzero(v["village"] == c)[0]) for c in chosen]
    sub = np.where(np.isnan(cost[:, pos]), np.inf, cost[:, pos]).min(axis=1)
    ok = np.isfinite(sub)
    got = (float(w[~ok].sum()), float((w[ok] * sub[ok]).sum()))
    best = brute_p_median(cost, w, k)
    assert got[0] == pytest.approx(best[0])
    assert got[1] == pytest.approx(best[1], rel=1e-9)
    # maximum coverage: residents newly within hub_max_min, brute force over pairs
    cells = res.cells.reset_index(drop=True)
    cs = snap_points(net, cells, max_snap_m=150.0)
    reach = matrix(net, cs, vs, EBIKE) / 60.0 <= s.hub_max_min  # cell→village
    already = cells["within_hub_norm"].to_numpy(bool)
    r = cells["residents"].to_numpy(float)

    def gained(combo):
        hit = reach[:, list(combo)].any(axis=1) & ~already
        return float(r[hit].sum())

    best_cov = max(gained(c) for c in itertools.combinations(range(len(v)), k))
    mc = res.hubs[res.hubs["method"] == "max_coverage"]
    assert mc["residents_gaining"].sum() == pytest.approx(best_cov)
    mpos = [int(np.flatnonzero(v["village"] == c)[0]) for c in mc["village"]]
    assert gained(mpos) == pytest.approx(best_cov)
    # ranks 1..n and marginal gains add up
    assert mc["rank"].tolist() == list(range(1, len(mc) + 1))


def test_norm_with_min_departures_uses_only_good_hubs(grid_case):
    inputs, res = grid_case
    svc = inputs["services"]
    hubs = svc[svc["kind"] == "bus_hub"]
    assert (hubs["departures_per_hour"] < 2.0).any()  # the instance has hubs that must not count
    dep = res.villages["departures_per_hour_bus_hub_bike"]
    assert dep.notna().any() and (dep.dropna() >= 2.0).all()
    assert "departures_per_hour_bus_hub_ebike" not in res.villages.columns  # no norm
    # walking to a bus hub has no norm (within_norm NA), but bus_hub still means a hub
    # with >= 2 departures per hour: one meaning per service column
    t = res.table[(res.table["service"] == "bus_hub") & (res.table["mode"] == "walk")]
    assert t["within_norm"].isna().all()


def test_no_pharmacy_means_norm_data_missing(grid_case):
    _, res = grid_case
    t = res.table[res.table["service"] == "pharmacy"]
    assert t["minutes"].isna().all()
    assert any("pharmacy" in a for a in res.assumptions)


def test_rank_across_municipalities(hand, grid_case):
    _, grid = grid_case
    both = rank_villages_across([hand, grid])
    assert len(both) == len(hand.villages) + len(grid.villages)
    assert sorted(both["rank_across"]) == list(range(1, len(both) + 1))
    assert both["score"].is_monotonic_increasing


# ------------------------------------------------------------------ array cores
def test_assign_cells_core():
    got = assign_cells(
        np.array([60.0, 400.0, np.nan, 100.0]),
        np.array([0, 1, -1, 2]),
        np.array([False, False, False, True]),
        max_s=300.0,
    )
    assert got.tolist() == [0, -1, -1, -1]


def test_group_sum_core():
    got = group_sum(np.array([1.0, np.nan, 2.0, np.nan, 5.0]), np.array([0, 0, 1, 2, -1]), 4)
    assert got[0] == 1.0 and got[1] == 2.0 and np.isnan(got[2]) and got[3] == 0.0


def test_score_and_rank_core():
    share = np.array([[1.0, 0.0], [np.nan, np.nan], [0.5, 0.5]])
    centre = np.array([[True, False], [True, True], [False, False]])
    score = score_villages(share, centre)
    assert score.tolist() == [0.5, 1.0, 0.5]
    rank = rank_villages(
        score, np.array([1, 0, 2]), np.array([10.0, 5.0, 3.0]), np.array(["a", "b", "c"])
    )
    assert rank.tolist() == [2, 3, 1]  # c: same score as a but more failed norms


def test_hub_gains_core():
    reach = sp.csr_array(np.array([[1, 1, 0, 0], [0, 1, 1, 1]], dtype=bool))
    w = np.array([[10.0, 1.0], [20.0, 2.0], [30.0, 3.0], [40.0, 4.0]])
    already = np.array([False, False, False, True])
    gains = hub_gains(reach, [1, 0], already, w)
    assert gains.tolist() == [[50.0, 5.0], [10.0, 1.0]]


# ------------------------------------------------------------- the Drenthe test region
@pytest.mark.slow
def test_aa_en_hunze_on_shared_data(cfg, tmp_path):
    """End to end on drenthe-synth: counts, engine times, Grolloo what-if, written outputs."""
    import json

    from bereikbaar.outputs import write_csv_atomic, write_gpkg_atomic
    from bereikbaar.pipeline import open_study_area, run_dorpshub

    area = open_study_area(cfg)
    res = run_dorpshub("Aa en Hunze", cfg, area=area)
    name, polygon = area.municipality("Aa en Hunze")
    cells = area.population().data
    inside = cells[cells.geometry.covered_by(polygon)]
    total = inside["residents"].sum()
    assert res.summary["residents"] == pytest.approx(total)
    assert res.villages["residents"].sum() + res.buitengebied["residents"] == pytest.approx(total)
    assert "Grolloo" in set(res.villages["village"])
    assert res.what_if is not None and res.what_if.village == "Grolloo"
    assert res.what_if.summary["residents_gaining"] > 0
    assert set(res.hubs["method"]) == {"p_median", "max_coverage", "ov_reach"}
    # gp by bike for five villages equals the engine's point-to-point minimum
    net = area.network("bike")
    sample = res.villages.iloc[:5]
    vs = snap_points(net, sample, max_snap_m=cfg.network.max_snap_m)
    gps = res.services[res.services["kind"] == "gp"].reset_index(drop=True)
    fs = snap_points(net, gps, max_snap_m=cfg.network.max_snap_m)
    m = matrix(net, vs, fs, cfg.profile("bike"))
    np.testing.assert_allclose(
        sample["minutes_gp_bike"].to_numpy(), np.nanmin(m, axis=1) / 60.0, rtol=1e-9
    )
    json.dumps(res.summary, allow_nan=False)
    write_csv_atomic(tmp_path / "dorpshub_villages.csv", res.table)
    back = pd.read_csv(tmp_path / "dorpshub_villages.csv")
    assert list(back.columns) == TABLE_COLUMNS
    assert len(back) == len(res.villages) * len(res.profiles) * len(cfg.dorpshub.services)
    write_gpkg_atomic(
        tmp_path / "dorpshub.gpkg",
        {"villages": res.villages, "hubs": res.hubs, "cells": res.cells, "services": res.services},
    )


# ------------------------------------------------------------------ typed contract
def test_contract_fields_on_the_hand_case(hand: DorpshubResult):
    assert [n.key for n in hand.norms] == ["gp_bike", "supermarket_bike"]
    assert hand.norms[0].label_nl == "huisarts ≤ 6 min per fiets"
    assert hand.profiles == ("bike",)
    assert hand.service_kinds == ("gp", "supermarket")
    assert len(hand.outline) == 1 and hand.outline["gemeente"].iloc[0] == "Testgemeente"
    assert hand.outline.crs == CRS and hand.sources_note == ""
    v = hand.villages.set_index("village")
    assert v.loc["Amen", "village_id"] == "n1" and v.loc["Grolloo", "village_id"] == "n2"
    assert set(v["gemeente"]) == {"Testgemeente"}
    assert set(v["place_nl"]) == {"dorp"}
    for n in hand.norms:
        within = v[n.within_column]
        assert str(within.dtype) == "boolean"
        # the centre meets the norm exactly when its minutes are within max_min
        assert within.tolist() == (v[n.minutes_column] <= n.max_min).tolist()
        assert n.share_column in v.columns
    # failed_norms lists exactly the labels of the norms whose within_ column is False
    for name, row in v.iterrows():
        labels = [n.label_nl for n in hand.norms if not row[n.within_column]]
        assert row["failed_norms"] == "; ".join(labels), name
        assert row["n_failed_norms"] == len(labels)
    t = hand.table
    assert set(t["gemeente"]) == {"Testgemeente"}
    assert (t["village_id"] == t["village"].map({"Amen": "n1", "Grolloo": "n2"})).all()
    assert set(hand.hubs["method_nl"]) == {
        "kortste gemiddelde reistijd (p-mediaan)",
        "meeste inwoners binnen bereik (maximale dekking)",
    }
    assert hand.hubs.set_index("method").loc["p_median", "village_id"] == "n2"


def test_outline_and_sources_note_are_passed_through():
    outline = gpd.GeoDataFrame(
        {"gemeente": ["Testgemeente"]}, geometry=[box(X0 - 100, Y0 - 2500, X0 + 5100, Y0 + 2500)]
    ).set_crs(CRS)
    res = compute_dorpshub(**hand_inputs(), outline=outline, sources_note="OSM 2026-03-01")
    assert res.outline is outline
    assert res.sources_note == "OSM 2026-03-01"


def test_summary_is_rounded_once_to_four_decimals(hand: DorpshubResult):
    norms = {n["key"]: n for n in hand.summary["norms"]}
    assert norms["gp_bike"]["share_residents_within"] == round(150 / 490, 4)
    assert norms["supermarket_bike"]["share_village_residents_within"] == round(200 / 450, 4)
    assert hand.summary["worst_villages"][0]["village_id"] == "n2"


def test_norm_labels_in_dutch():
    assert norm_label(Norm("gp", "bike", 15.0)) == "huisarts ≤ 15 min per fiets"
    assert norm_label(Norm("pharmacy", "walk", 7.5)) == "apotheek ≤ 7,5 min te voet"
    assert (
        norm_label(Norm("bus_hub", "ebike", 10.0, min_departures_per_hour=2.0))
        == "bushub (≥ 2 vertrekken per uur) ≤ 10 min per e-bike"
    )
    spec = NormSpec.from_norm(Norm("huisartsenpost", "car", 30.0, source="NZa"))
    assert (spec.minutes_column, spec.share_column, spec.within_column) == (
        "minutes_huisartsenpost_car",
        "share_within_huisartsenpost_car",
        "within_huisartsenpost_car",
    )
    assert spec.label_nl == "huisartsenpost ≤ 30 min per auto" and spec.source == "NZa"


def test_what_if_uses_the_stored_reach_without_computing_again(hand, monkeypatch):
    import bereikbaar.dorpshub._compute as compute_module

    def fail(**kwargs):
        raise AssertionError("what_if_hub(result) must not compute the analysis again")

    monkeypatch.setattr(compute_module, "compute_dorpshub", fail)
    w = what_if_hub(hand, "Grolloo")
    # Grolloo reaches c6 (1.6 min) and c3 (2.0 min) within 5 min: 300 residents, 80 aged 65+
    assert w.summary["residents_gaining"] == 300.0
    assert w.summary["residents_65_plus_gaining"] == 80.0
    assert w.summary["villages_gaining"] == ["Grolloo"]


# ------------------------------------------------------------- phases on their own
def test_norm_shares_phase_by_hand():
    """Two villages, three cells, one norm of 5 min: shares, centre, score and rank."""
    villages = gdf(
        [
            {"village": "A", "name": "A", "place_id": "a", "place": "village", "x": 0.0},
            {"village": "B", "name": "B", "place_id": "b", "place": "village", "x": 10.0},
        ]
    )
    cells = gdf(
        [
            {"cell_id": "c1", "residents": 10.0, "residents_65_plus": 1.0, "x": 1.0},
            {"cell_id": "c2", "residents": 30.0, "residents_65_plus": 3.0, "x": 2.0},
            {"cell_id": "c3", "residents": 60.0, "residents_65_plus": 6.0, "x": 11.0},
        ]
    )
    norm = NormSpec.from_norm(Norm("gp", "bike", 5.0))
    prep = PreparedInputs(villages, cells, villages.iloc[0:0], (norm,), (("gp", "bike"),), {})
    # origins: A, B, c1, c2, c3 (seconds); A within, B not; c1 and c3 within
    times = ServiceTimes({("gp", "bike"): np.array([60.0, 400.0, 200.0, 301.0, 300.0])}, {}, ())
    cell_villages = CellAssignment(
        village=np.array([0, 0, 1]),
        time_s=np.zeros(3),
        cell_flagged=np.zeros(3, bool),
        village_flagged=np.zeros(2, bool),
        village_residents=np.array([40.0, 60.0]),
        village_residents_65_plus=np.array([4.0, 6.0]),
        buitengebied={"residents": 0.0},
        residents_total=100.0,
    )
    shares = norm_shares(prep, times, cell_villages)
    assert shares.within_centre[:, 0].tolist() == [True, False]
    np.testing.assert_allclose(shares.share_within[:, 0], [10 / 40, 60 / 60])
    np.testing.assert_allclose(shares.share_all_residents, [70 / 100])
    np.testing.assert_allclose(shares.score, [0.25, 1.0])
    assert shares.failed_norms.tolist() == ["", "huisarts ≤ 5 min per fiets"]
    assert shares.rank.tolist() == [1, 2]  # A has the lower score: worst


def test_what_if_from_tables_by_hand():
    cells = pd.DataFrame(
        {
            "cell_id": ["c1", "c2", "c3"],
            "residents": [10.0, 20.0, 40.0],
            "residents_65_plus": [1.0, np.nan, 4.0],
            "village": ["A", "B", None],
            "within_hub_norm": [True, False, False],
        }
    )
    reach = pd.DataFrame({"cell_id": ["c1", "c2", "c3"], "village": ["A", "A", "B"]})
    w = what_if_from_tables(
        gemeente="G",
        village="A",
        village_names=["A", "B"],
        cells=cells,
        hub_reach=reach,
        settings=DorpshubSettings(),
    )
    assert w.summary["residents_within_before"] == 10.0
    assert w.summary["residents_within_after"] == 30.0
    assert w.summary["residents_gaining"] == 20.0
    assert w.summary["residents_65_plus_gaining"] == 0.0  # c2's 65+ count is unknown
    assert w.summary["villages_gaining"] == ["B"]
    per = w.villages.set_index("village")
    assert per.loc[BUITENGEBIED, "residents"] == 40.0
    assert per.loc["B", "residents_gaining"] == 20.0


def test_service_min_departures_one_meaning_per_service():
    norms = tuple(
        NormSpec.from_norm(n)
        for n in (
            Norm("bus_hub", "bike", 10.0, min_departures_per_hour=2.0),
            Norm("bus_hub", "walk", 10.0, min_departures_per_hour=2.0),
            Norm("gp", "bike", 15.0),
        )
    )
    assert service_min_departures(norms) == {"bus_hub": 2.0}
    clash = (*norms, NormSpec.from_norm(Norm("bus_hub", "car", 5.0, min_departures_per_hour=4)))
    with pytest.raises(ConfigError, match="same value"):
        service_min_departures(clash)


# ------------------------------------------------- one meaning per service column (#11)
def test_bus_hub_means_the_norms_departures_for_every_mode():
    """Hand case: the hub at x = 2000 runs once an hour, a second at x = 4500 twice.

    The bus_hub norm (bike, >= 2/h) makes bus_hub mean the 2/h hub for walking too: from
    Amen (x = 0) walking is 4500 m at 5 km/h = 54 min, cycling 18 min, never the 1/h hub
    at 2000 m (24 min walking) that made walking look faster than cycling. bus_stop is any
    stop: the stop at x = 2000 is 24 min walking and 8 min cycling.
    """
    inputs = hand_inputs(
        profiles=("walk", "bike"),
        services=("bus_hub", "bus_stop"),
        norms=(Norm("bus_hub", "bike", 10.0, min_departures_per_hour=2.0),),
    )
    inputs["networks"]["walk"] = network_from_arrays(
        [(X0 + 1000.0 * i, Y0) for i in range(6)], [(i, i + 1) for i in range(5)], mode="walk"
    )
    good = gdf(
        [
            {"kind": "bus_hub", "name": "Goed", "departures_per_hour": 2.0, "x": 4500.0},
            {"kind": "bus_stop", "name": "Halte", "departures_per_hour": np.nan, "x": 2000.0},
        ]
    )
    inputs["services"] = pd.concat([inputs["services"], good], ignore_index=True)
    res = compute_dorpshub(**inputs)
    t = res.table.set_index(["village", "mode", "service"])["minutes"]
    assert t[("Amen", "walk", "bus_hub")] == pytest.approx(54.0)
    assert t[("Amen", "bike", "bus_hub")] == pytest.approx(18.0)
    assert t[("Amen", "walk", "bus_stop")] == pytest.approx(24.0)
    assert t[("Amen", "bike", "bus_stop")] == pytest.approx(8.0)
    assert any("elke vervoerswijze" in a and "bus_hub" in a for a in res.assumptions)
    assert any("bus_stop" in a for a in res.assumptions)


@pytest.mark.slow
@pytest.mark.parametrize("gemeente", ["Coevorden", "Aa en Hunze"])
def test_walking_never_faster_than_cycling_on_test_region(cfg, gemeente):
    """For the same village and service: walk >= bike >= e-bike (minutes).

    Legitimate exceptions, stated in the assumptions, would be a walk-only shortcut
    (footpath, two-way for pedestrians) or a point nearer a footpath than a cycleable
    road; on the test region there are none. The car is not in the chain: its access
    legs are walked, so for short trips the e-bike can beat it (counted, not asserted).
    """
    from bereikbaar.pipeline import open_study_area, run_dorpshub

    res = run_dorpshub(gemeente, cfg, area=open_study_area(cfg))
    wide = res.table.pivot_table(
        index=["village", "service"], columns="mode", values="minutes", dropna=False
    )
    for slow, fast in (("walk", "bike"), ("bike", "ebike")):
        reached = wide[slow].notna()
        assert wide.loc[reached, fast].notna().all(), (slow, fast)
        faster = wide[wide[slow] < wide[fast] - 1e-9]
        assert faster.empty, faster[[slow, fast]]
    # bike and e-bike share the network and the points: times scale with the speeds
    ratio = (wide["bike"] / wide["ebike"]).dropna()
    speeds = cfg.profile("ebike").speed_kmh / cfg.profile("bike").speed_kmh
    np.testing.assert_allclose(ratio, speeds, rtol=1e-9)
    assert any("te voet (5 km/u)" in a for a in res.assumptions)


# ------------------------------------------------------------------ ov (public transport)
#
# The hand-worked road, now also walked (1 m/s, so metres are seconds), with a bus from
# stop S1 at Grolloo's centre (x = 3000) to stop S2 at x = 1000 (100 m from the GP),
# leaving 07:10, 07:40, ... 09:40 (10 minutes' ride), weekday window 07:00-09:00.
#   Grolloo centre: wait for the next bus + 10 min + 100 s walk; walking all the way 2100 s.
#   c6 (x=2600) / c3 (x=3500): 400 s / 500 s walk to S1 first.
#   Amen (x=0): S2 is 1000 m away but the bus only goes away from it: no trip; walking
#   900 m = 15 min is its ov time.
OV_NORM = Norm("gp", "ov", 30.0, source="test")
OV_BUS_DEPS = [7 * 3600 + 600 + 1800 * k for k in range(6)]


def hand_ov_inputs(**settings_changes):
    import datetime as dt

    from bereikbaar.config import TransitSettings, TransitWindow
    from bereikbaar.dorpshub import OvInputs
    from bereikbaar.inputs.gtfs import TransitFeed

    inputs = hand_inputs(norms=(GP_NORM, SUPER_NORM, OV_NORM), **settings_changes)
    stops = gdf(
        [
            {
                "stop_id": "S1",
                "stop_name": "Grolloo",
                "station_id": "S1",
                "station_name": "Grolloo",
                "x": 3000.0,
            },
            {
                "stop_id": "S2",
                "stop_name": "Dokter",
                "station_id": "S2",
                "station_name": "Dokter",
                "x": 1000.0,
            },
        ]
    )
    trips = pd.DataFrame(
        {
            "trip_id": [f"t{k}" for k in range(6)],
            "route_id": "r",
            "route_short_name": "1",
            "route_type": "3",
            "service_id": "wk",
        }
    )
    rows = []
    for k, d in enumerate(OV_BUS_DEPS):
        rows += [(k, 0, 1, d, d, True, False, 0), (k, 1, 2, d + 600, d + 600, False, True, 0)]
    stop_times = pd.DataFrame(
        rows,
        columns=[
            "trip",
            "stop",
            "stop_sequence",
            "arrival_s",
            "departure_s",
            "pickup",
            "drop_off",
            "row",
        ],
    )
    wed = dt.date(2026, 3, 4)
    feed = TransitFeed(
        path=None,
        dates=(wed,),
        stops=stops,
        trips=trips,
        stop_times=stop_times,
        services=pd.DataFrame({"service_id": ["wk"], "date": [wed]}),
    )
    xy = [(X0 + 1000.0 * i, Y0) for i in range(6)]
    walk_net = network_from_arrays(xy, [(i, i + 1) for i in range(5)], mode="walk")
    window = TransitWindow("weekday_morning", "We", "07:00", "09:00", "Werkdag 07–09")
    ts = TransitSettings(service_date="2026-03-04", windows=(window,))
    walk = TravelProfile("walk", "walk", speed_kmh=3.6)
    inputs["ov"] = OvInputs(feed=feed, walk_network=walk_net, walk_profile=walk, settings=ts)
    return inputs


def _ov_median_min(access_s: float, egress_s: float, walk_s: float) -> float:
    """By hand: the median over 07:00..08:59 of min(next bus + ride, walking), minutes."""
    door = []
    for t in range(7 * 3600, 9 * 3600, 60):
        dep = min(d for d in OV_BUS_DEPS if d >= t + access_s)
        door.append(min(dep + 600 + egress_s - t, walk_s) / 60.0)
    return sorted(door)[59]  # the 60th of 120 minutes


@pytest.fixture(scope="module")
def hand_ov() -> DorpshubResult:
    return compute_dorpshub(**hand_ov_inputs())


def test_hand_ov_minutes_norm_and_fallback(hand_ov: DorpshubResult):
    v = hand_ov.villages.set_index("village")
    grolloo = _ov_median_min(0.0, 100.0, 2100.0)
    assert v.loc["Grolloo", "minutes_gp_ov"] == pytest.approx(grolloo)
    assert bool(v.loc["Grolloo", "within_gp_ov"]) == (grolloo <= 30)
    assert v.loc["Amen", "minutes_gp_ov"] == pytest.approx(15.0)  # walking, no trip
    t = hand_ov.ov.table.set_index(["village", "service"])
    assert bool(t.loc[("Amen", "gp"), "no_trip"]) and t.loc[("Amen", "gp"), "ov_by"] == "walk"
    assert not t.loc[("Grolloo", "gp"), "no_trip"]
    assert t.loc[("Grolloo", "gp"), "ov_by"] == "transit"
    cells = hand_ov.cells.set_index("cell_id")
    assert cells.loc["c6", "minutes_gp_ov"] == pytest.approx(_ov_median_min(400.0, 100.0, 1700.0))
    assert cells.loc["c3", "minutes_gp_ov"] == pytest.approx(_ov_median_min(500.0, 100.0, 2600.0))
    # Grolloo's residents within the ov norm: c6 (100) and c3 (200) by the same rule
    within = [_ov_median_min(a, 100.0, w) <= 30 for a, w in ((400.0, 1700.0), (500.0, 2600.0))]
    assert v.loc["Grolloo", "share_within_gp_ov"] == pytest.approx(
        (100 * within[0] + 200 * within[1]) / 300
    )
    ov_rows = hand_ov.table[hand_ov.table["mode"] == "ov"]
    assert set(ov_rows["service"]) == {"gp", "supermarket"} and "ov" in hand_ov.profiles


def test_hand_without_car_and_hub_departures_from_the_feed(hand_ov: DorpshubResult):
    v = hand_ov.villages.set_index("village")
    grolloo_gp = _ov_median_min(0.0, 100.0, 2100.0) <= 30  # gp by bike 8.4 min fails
    assert v.loc["Amen", "n_services_without_car"] == 1  # gp by bike; supermarket 16 min
    assert v.loc["Grolloo", "n_services_without_car"] == 1 + grolloo_gp  # supermarket 4 min
    assert "supermarkt" in v.loc["Grolloo", "services_without_car"]
    cells = hand_ov.cells.set_index("cell_id")
    gp_ok = (cells["minutes_gp_bike"] <= 6) | (cells["minutes_gp_ov"] <= 30)
    want = float(cells.loc[gp_ok, "residents"].sum() / cells["residents"].sum())
    assert hand_ov.summary["without_car"]["share_residents"]["gp"] == pytest.approx(want, abs=1e-4)
    # the bus hub at x = 2000 has no stop within 300 m: 0 departures from the feed
    hub = hand_ov.services[hand_ov.services["kind"] == "bus_hub"]
    assert list(hub["departures_per_hour"]) == [0.0]
    assert list(hub["departures_source"]) == ["gtfs"]


def test_without_a_feed_ov_norms_are_left_out():
    inputs = hand_ov_inputs()
    del inputs["ov"]
    res = compute_dorpshub(**inputs)
    assert res.ov is None and "ov" not in res.profiles
    assert [n.key for n in res.norms] == ["gp_bike", "supermarket_bike"]
    assert "without_car" in res.summary and "ov" not in res.summary


@pytest.mark.slow
def test_ov_on_the_test_region(cfg):
    """Villages with no ov trip to the huisartsenpost (weekday morning) and the share of
    residents reaching a GP within a norm without a car, checked for consistency."""
    import shapely

    from bereikbaar.dorpshub import villages_without_ov_trip
    from bereikbaar.pipeline import open_study_area, run_dorpshub

    area = open_study_area(cfg)
    name = area.municipalities["statnaam"].iloc[0]
    res = run_dorpshub(name, cfg, area=area)
    ts = cfg.transit
    t = res.ov.table
    hap = t[(t["service"] == "huisartsenpost") & (t["window"] == ts.norm_window)]
    no_trip = villages_without_ov_trip(res)
    assert set(no_trip["village"]) == set(hap.loc[hap["no_trip"], "village"])
    # a village with no stop within walking reach (straight line > max access walk) has no
    # ov trip in any window, and its ov time is its walking time
    stops = area._cache["gtfs"].data.stops
    tree = shapely.STRtree(stops.geometry.to_numpy())
    vil = res.villages.set_index("village")
    far = [
        n
        for n, g in vil.geometry.items()
        if not len(tree.query(g, predicate="dwithin", distance=ts.max_access_walk_m))
    ]
    assert far, "the test region has villages without a stop nearby"
    sel = t[t["village"].isin(far)]
    assert sel["no_trip"].all() and sel["transit_p50_min"].isna().all()
    walk = sel["walk_min"].where(sel["walk_min"] <= ts.max_travel_min)
    assert np.allclose(sel["ov_p50_min"], walk, equal_nan=True)
    # ov (with walking) is never slower than walking, and p05 <= p50 <= p95
    walk_any = t["walk_min"].where(t["walk_min"] <= ts.max_travel_min).fillna(np.inf)
    assert (t["ov_p95_min"].fillna(np.inf) <= walk_any + 1e-9).all()
    ok = t["ov_p05_min"].notna() & t["ov_p95_min"].notna()
    assert (t.loc[ok, "ov_p05_min"] <= t.loc[ok, "ov_p50_min"]).all()
    assert (t.loc[ok, "ov_p50_min"] <= t.loc[ok, "ov_p95_min"]).all()
    # the share of residents reaching a GP within a norm without a car, from the cells
    gp_norms = [
        n for n in res.norms if n.service == "gp" and n.profile in ("walk", "bike", "ebike", "ov")
    ]
    cells = res.cells
    ok_cells = np.zeros(len(cells), bool)
    for n in gp_norms:
        ok_cells |= (cells[n.minutes_column] <= n.max_min).to_numpy()
    want = cells.loc[ok_cells, "residents"].sum() / res.summary["residents"]
    got = res.summary["without_car"]["share_residents"]["gp"]
    assert got == pytest.approx(want, abs=1e-4) and 0 < got < 1


# ------------------------------------------------------ ov_reach hubs and the ov what-if
#
# The hand-worked ov case, key service gp (ov norm 30 min). Grolloo's centre reaches the
# GP by ov in G = 25.67 min: the bus leaves every 30 min, the wait over 07:00..08:59 takes
# each value 0..29 min four times, so the median (60th of 120) wait is 14 min, plus the
# 10-min ride and 100 s walk: 14 + 10 + 1.67 = 25.67. Amen's centre walks: 15 min.
# Today without a car (gp by bike <= 6 min or by ov <= 30 min):
#   c1 (bike 1.6), c2 (bike 2.0), c6 (ov = walking 28.33) reach it: 250 residents (60 65+);
#   c3: bike 10.4, ov 34.67 (500 s to the stop, then the same bus): no; c4, c5: no.
# Via a hub (bike <= 5 min to the hub, then the hub's ov minutes):
#   Grolloo: c6 1.6 + 25.67 = 27.27, c3 2.0 + 25.67 = 27.67 -> both within 30; c3 gains.
#   Amen: c1 2.0 + 15 = 17 (already reached).
#   -> ov_reach (k = 1) picks Grolloo: 200 residents (50 65+) gain; after: 450 (110).
# With an ov norm of 27.5 min instead: c6 (28.33 today) gains via Grolloo (27.27), c3
# (27.67) does not -> 100 residents (30 65+).
def _hand_ov_hubs(max_min: float = 30.0) -> DorpshubResult:
    inputs = hand_ov_inputs(hub_ov_services=("gp",))
    import dataclasses

    norms = tuple(
        dataclasses.replace(n, max_min=max_min) if n.profile == "ov" else n
        for n in inputs["settings"].norms
    )
    inputs["settings"] = dataclasses.replace(inputs["settings"], norms=norms)
    return compute_dorpshub(**inputs)


def test_hand_ov_reach_hub_choice():
    res = _hand_ov_hubs()
    ov_rows = res.hubs[res.hubs["method"] == "ov_reach"]
    assert ov_rows["village"].tolist() == ["Grolloo"]
    row = ov_rows.iloc[0]
    assert row["residents_gaining"] == pytest.approx(200.0)
    assert row["residents_65_plus_gaining"] == pytest.approx(50.0)
    assert row["method_nl"] and "ov" in row["method_nl"]
    section = res.summary["ov_hubs"]
    assert section["hubs"] == ["Grolloo"] and section["services"] == ["gp"]
    (gp,) = section["per_service"]
    assert (gp["residents_before"], gp["residents_after"], gp["residents_gaining"]) == (
        pytest.approx(250.0),
        pytest.approx(450.0),
        pytest.approx(200.0),
    )
    assert gp["residents_65_plus_before"] == pytest.approx(60.0)
    assert gp["residents_65_plus_gaining"] == pytest.approx(50.0)
    assert section["resident_services_gaining"] == pytest.approx(200.0)
    # the other methods are unchanged by the ov
    assert set(res.hubs["method"]) == {"p_median", "max_coverage", "ov_reach"}
    assert any("wachten op bus of trein bij de hub" in a for a in res.assumptions)


def test_hand_ov_reach_counts_the_bike_minutes_to_the_hub():
    res = _hand_ov_hubs(27.5)
    row = res.hubs[res.hubs["method"] == "ov_reach"].iloc[0]
    assert row["village"] == "Grolloo"
    assert row["residents_gaining"] == pytest.approx(100.0)  # c6 only
    assert row["residents_65_plus_gaining"] == pytest.approx(30.0)


def test_hand_ov_what_if():
    res = _hand_ov_hubs()
    w = what_if_hub(res, "Grolloo")
    gp = w.ov.set_index("service").loc["gp"]
    assert gp["residents_before"] == pytest.approx(250.0)
    assert gp["residents_after"] == pytest.approx(450.0)
    assert gp["residents_gaining"] == pytest.approx(200.0)
    assert gp["residents_65_plus_gaining"] == pytest.approx(50.0)
    assert w.summary["ov"][0]["residents_gaining"] == pytest.approx(200.0)
    amen = res.what_if  # configured: Amen; c1 already reaches the GP by bike
    assert amen.village == "Amen" and amen.ov["residents_gaining"].tolist() == [0.0]


def test_without_a_feed_no_ov_hubs():
    inputs = hand_ov_inputs(hub_ov_services=("gp",))
    del inputs["ov"]
    res = compute_dorpshub(**inputs)
    assert set(res.hubs["method"]) == {"p_median", "max_coverage"}
    assert "ov_hubs" not in res.summary and res.what_if.ov is None
    assert "ov" not in res.what_if.summary


def _recount_ov_reach(res: DorpshubResult, cfg, hubs: list[str]) -> pd.DataFrame:
    """Per key service, residents before/after ``hubs`` and gaining, recounted from the
    result's own tables: the cells' minutes (walking, cycling and ov norms), the stored
    cell -> village reach by hub_profile and the villages' ov minutes."""
    cells = res.cells
    reach = res.hub_reach[res.hub_reach["village"].isin(hubs)]
    vil = res.villages.set_index("village")
    res_c = cells["residents"].to_numpy(float)
    rows = []
    for s in res.settings.hub_ov_services:
        (ov_norm,) = [n for n in res.norms if n.service == s and n.profile == "ov"]
        carless = [
            n
            for n in res.norms
            if n.service == s and (n.profile == "ov" or cfg.profile(n.profile).network != "drive")
        ]
        before = np.zeros(len(cells), bool)
        for n in carless:
            before |= (cells[n.minutes_column] <= n.max_min).to_numpy()
        total = (
            reach["minutes"].to_numpy() + vil.loc[reach["village"], f"minutes_{s}_ov"].to_numpy()
        )
        via = set(reach.loc[total <= ov_norm.max_min, "cell_id"])
        after = before | cells["cell_id"].isin(via).to_numpy()
        rows.append(
            {
                "service": s,
                "residents_before": res_c[before].sum(),
                "residents_after": res_c[after].sum(),
                "residents_gaining": res_c[after & ~before].sum(),
                "gaining_cells": set(cells.loc[after & ~before, "cell_id"]),
            }
        )
    return pd.DataFrame(rows).set_index("service")


@pytest.mark.slow
def test_ov_reach_hubs_on_the_test_region(cfg):
    """The ov_reach hubs' gains equal a recount from the result's tables, no other set of
    hubs in the result gains more, and the what-if of the first hub agrees."""
    from bereikbaar.pipeline import open_study_area, run_dorpshub

    area = open_study_area(cfg)
    res = run_dorpshub(area.municipalities["statnaam"].iloc[0], cfg, area=area)
    section = res.summary["ov_hubs"]
    picks = section["hubs"]
    assert picks == res.hubs.loc[res.hubs["method"] == "ov_reach", "village"].tolist()
    assert 0 < len(picks) <= res.settings.hub_k
    want = _recount_ov_reach(res, cfg, picks)
    got = pd.DataFrame(section["per_service"]).set_index("service")
    for col in ("residents_before", "residents_after", "residents_gaining"):
        np.testing.assert_allclose(got[col], want.loc[got.index, col], atol=1e-6)
    assert section["resident_services_gaining"] == pytest.approx(want["residents_gaining"].sum())
    assert section["resident_services_gaining"] > 0
    # the hubs of the other methods gain no more on this objective (the ILP is exact)
    for method in ("p_median", "max_coverage"):
        other = res.hubs.loc[res.hubs["method"] == method, "village"].tolist()
        assert _recount_ov_reach(res, cfg, other)["residents_gaining"].sum() <= (
            section["resident_services_gaining"] + 1e-6
        )
    # per hub: residents newly reaching at least one key service, counted once in rank order
    rows = res.hubs[res.hubs["method"] == "ov_reach"]
    counted: set = set()
    res_by_cell = res.cells.set_index("cell_id")["residents"]
    for hub, gaining in zip(rows["village"], rows["residents_gaining"], strict=True):
        cells_gaining = set().union(*_recount_ov_reach(res, cfg, [hub])["gaining_cells"])
        assert gaining == pytest.approx(res_by_cell[list(cells_gaining - counted)].sum())
        counted |= cells_gaining
    first = what_if_hub(res, picks[0]).ov.set_index("service")
    alone = _recount_ov_reach(res, cfg, picks[:1])
    np.testing.assert_allclose(
        first["residents_gaining"], alone.loc[first.index, "residents_gaining"]
    )


def test_hand_stops_carry_departures_for_every_window():
    """S1 (Grolloo) is left by buses at 07:10, 07:40, ... 09:40: 4 in 07:00-09:00 (2 per
    hour), 2 in 09:00-12:00 (2/3 per hour); S2 is only alighted at: 0."""
    import dataclasses

    from bereikbaar.config import TransitWindow
    from bereikbaar.dorpshub._ov import ov_stops

    inputs = hand_ov_inputs()
    ov = inputs["ov"]
    late = TransitWindow("late_morning", "We", "09:00", "12:00", "Werkdag 09:00–12:00")
    settings = dataclasses.replace(ov.settings, windows=(*ov.settings.windows, late))
    stops = ov_stops(dataclasses.replace(ov, settings=settings), inputs["gemeente_geometry"])
    s = stops.set_index("stop_id")
    assert s.loc["S1", "departures_per_hour_weekday_morning"] == pytest.approx(2.0)
    assert s.loc["S1", "departures_per_hour_late_morning"] == pytest.approx(2 / 3)
    assert s.loc["S2", "departures_per_hour_late_morning"] == 0.0
    # the norm window's column stays as it was
    np.testing.assert_array_equal(
        s["departures_per_hour"], s["departures_per_hour_weekday_morning"]
    )
