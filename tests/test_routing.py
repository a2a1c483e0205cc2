"""Tests for bereikbaar.routing: hand-worked cases and agreement with networkx's Dijkstra."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from bereikbaar.config import NetworkSettings, TravelProfile
from bereikbaar.errors import CrsError, RoutingError
from bereikbaar.network import build_network, load_network, network_from_arrays
from bereikbaar.routing import (
    SnappedPoints,
    isochrones,
    nearest_facility,
    origins_within_reach,
    snap_points,
    travel_time_matrix,
    travel_times_within,
)

WALK1 = TravelProfile("walk1", "walk", speed_kmh=3.6)  # 1 m/s: seconds = metres
WALK = TravelProfile("walk", "walk", speed_kmh=5.0)
BIKE = TravelProfile("bike", "bike", speed_kmh=15.0)
CAR = TravelProfile("car", "drive", delay_factor=1.3)
CAR1 = TravelProfile("car1", "drive")
PROFILES = {"walk": WALK, "bike": BIKE, "drive": CAR}


def pts(*xy, crs="EPSG:28992", index=None):
    return gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float)), crs=crs, index=index)


# --------------------------------------------------------------- hand-worked cases
@pytest.fixture
def line_net():
    """Three nodes on a line, 0 --100 m-- 1 --100 m-- 2, walk network (both directions)."""
    return network_from_arrays([(0, 0), (100, 0), (200, 0)], [(0, 1), (1, 2)], mode="walk")


def test_snap_beside_the_middle_of_an_edge(line_net):
    # (50, 10) lies 10 m beside the middle of edge 0 (0→1): fraction 0.5, distance 10 m.
    # (150, -5) lies 5 m beside the middle of edge 1 (1→2).
    # (100, 0) is node 1, shared by edges 0 and 1: the lowest position wins, edge 0 at 1.0.
    # (5000, 0) is 4800 m from the network: flagged.
    sp = snap_points(line_net, pts((50, 10), (150, -5), (100, 0), (5000, 0), index=list("abcd")))
    assert list(sp.index) == list("abcd")
    assert sp.edge.tolist()[:3] == [0, 1, 0]
    np.testing.assert_allclose(sp.fraction[:3], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(sp.snap_distance_m, [10.0, 5.0, 0.0, 4800.0])
    assert sp.flagged.tolist() == [False, False, False, True]


def test_snap_checks_crs(line_net):
    with pytest.raises(CrsError):
        snap_points(line_net, pts((5.0, 52.0), crs="EPSG:4326"))


def test_nearest_facility_hand_worked(line_net):
    # Facility F at (50, 10): on edge 0 at t=0.5, access 10 m = 10 s at 1 m/s.
    #   node 0: 10 + 0.5*100 = 60 s; node 1: 10 + 50 = 60 s; node 2: 60 + 100 = 160 s.
    # Target A at (150, -5): edge 1 at t=0.5, access 5 s: via node 1: 60 + 50 + 5 = 115 s.
    # Target B at (80, 0): same edge as F at t=0.8: directly 10 + 0.3*100 = 40 s
    #   (via node 1 it would be 60 + 20 = 80 s).
    # Target C at (20, 3): same edge, behind F, t=0.2: 10 + 30 + 3 = 43 s.
    fac = snap_points(line_net, pts((50, 10)))
    tgt = snap_points(line_net, pts((150, -5), (80, 0), (20, 3)))
    res = nearest_facility(line_net, fac, profile=WALK1, targets=tgt)
    np.testing.assert_allclose(res.node_time_s, [60.0, 60.0, 160.0])
    assert res.node_facility.tolist() == [0, 0, 0]
    np.testing.assert_allclose(res.target_time_s, [115.0, 40.0, 43.0])
    assert res.target_facility.tolist() == [0, 0, 0]
    # the matrix and the pairs agree
    m = travel_time_matrix(line_net, fac, tgt, profile=WALK1)
    np.testing.assert_allclose(m, [[115.0, 40.0, 43.0]])
    w = travel_times_within(line_net, fac, tgt, profile=WALK1, cutoff_s=100)
    assert w.to_dict("list") == {"origin": [0, 0], "destination": [1, 2], "time_s": [40.0, 43.0]}
    # a cutoff of 100 s leaves node 2 and target A unreached
    res = nearest_facility(line_net, fac, profile=WALK1, targets=tgt, cutoff_s=100)
    assert np.isnan(res.node_time_s[2]) and res.node_facility[2] == -1
    assert np.isnan(res.target_time_s[0]) and res.target_facility[0] == -1
    # an access speed of 2 m/s halves the access legs: B = 5 + 30 + 0 = 35 s
    res = nearest_facility(line_net, fac, profile=WALK1, targets=tgt, access_speed_mps=2.0)
    np.testing.assert_allclose(res.target_time_s, [60 - 5 + 50 + 2.5, 35.0, 5 + 30 + 1.5])


def test_points_given_on_the_reverse_edge_are_the_same_points(line_net):
    # edge 2 is 1→0 (the reverse of edge 0): t=0.5 on it is the middle of 0–1 again
    sp = SnappedPoints(
        pd.RangeIndex(1), np.array([2]), np.array([0.25]), np.zeros(1), np.zeros(1, bool)
    )
    res = nearest_facility(line_net, sp, profile=WALK1)
    # t=0.25 from node 1 = 75 m from node 0
    np.testing.assert_allclose(res.node_time_s, [75.0, 25.0, 125.0])


def test_one_way_drive_from_and_to_facility():
    # A(0,0) → B(1000,0) is one-way, 1000 m; the way back B – C(500,1000) – A is two-way,
    # 2 × sqrt(500² + 1000²) = 2236.07 m. Speed 36 km/h = 10 m/s, delay factor 1.
    # Facility at A (snaps onto edge 0 at t=0, distance 0).
    #   from the facility to B: 1000 m / 10 = 100 s;
    #   from B to the facility: 2236.07 / 10 = 223.607 s (against the one-way is not allowed).
    net = network_from_arrays(
        [(0, 0), (1000, 0), (500, 1000)],
        [(0, 1), (1, 2), (2, 0)],
        mode="drive",
        oneway=[True, False, False],
        speeds_kmh=[36.0, 36.0, 36.0],
    )
    fac = snap_points(net, pts((0, 0)))
    assert fac.edge.tolist() == [0] and fac.fraction.tolist() == [0.0]
    tgt = snap_points(net, pts((1000, 0)))
    leg = np.hypot(500, 1000) / 10
    out = nearest_facility(net, fac, profile=CAR1, targets=tgt, direction="from_facility")
    to = nearest_facility(net, fac, profile=CAR1, targets=tgt, direction="to_facility")
    np.testing.assert_allclose(out.node_time_s, [0.0, 100.0, leg])
    np.testing.assert_allclose(to.node_time_s, [0.0, 2 * leg, leg])
    np.testing.assert_allclose(out.target_time_s, [100.0])
    np.testing.assert_allclose(to.target_time_s, [2 * leg])
    # a point halfway A→B: 50 s from A, and back to A only around: 50 s to B + 2 legs
    mid = snap_points(net, pts((500, 0)))
    np.testing.assert_allclose(travel_time_matrix(net, fac, mid, profile=CAR1), [[50.0]])
    np.testing.assert_allclose(travel_time_matrix(net, mid, fac, profile=CAR1), [[50 + 2 * leg]])


def test_unreachable_and_flagged_are_nan():
    # two separate streets: 0–1 and 2–3
    net = network_from_arrays(
        [(0, 0), (100, 0), (1000, 0), (1100, 0)], [(0, 1), (2, 3)], mode="walk"
    )
    fac = snap_points(net, pts((50, 0), (99_000, 0)), max_snap_m=500)
    assert fac.flagged.tolist() == [False, True]
    tgt = snap_points(net, pts((1050, 0), (60, 0), (-9_000, 0)))
    res = nearest_facility(net, fac, profile=WALK1, targets=tgt)
    assert np.isnan(res.node_time_s[2:]).all() and (res.node_facility[2:] == -1).all()
    assert res.node_facility[:2].tolist() == [0, 0]
    assert np.isnan(res.target_time_s[[0, 2]]).all()
    assert res.target_facility.tolist() == [-1, 0, -1]
    np.testing.assert_allclose(res.target_time_s[1], 10.0)
    m = travel_time_matrix(net, fac, tgt, profile=WALK1)
    assert np.isnan(m[0, [0, 2]]).all() and np.isnan(m[1]).all()
    assert m[0, 1] == pytest.approx(10.0)
    w = travel_times_within(net, fac, tgt, profile=WALK1, cutoff_s=1e6)
    assert w[["origin", "destination"]].values.tolist() == [[0, 1]]


def test_profile_must_match_network(line_net):
    fac = snap_points(line_net, pts((50, 0)))
    with pytest.raises(RoutingError):
        nearest_facility(line_net, fac, profile=CAR)
    with pytest.raises(RoutingError):
        nearest_facility(line_net, fac, profile=WALK1, direction="sideways")
    with pytest.raises(RoutingError):
        travel_times_within(line_net, fac, fac, profile=WALK1, cutoff_s=None)


def test_isochrones_hand_worked(line_net):
    # facility at node 0 (edge 0, t=0), 1 m/s: after 1 minute 60 m of edge 0 is reached;
    # buffered by 25 m the area reaches x = 85. After 3 minutes: x = 180 + 25 = 205.
    fac = snap_points(line_net, pts((0, 0)))
    iso = isochrones(line_net, fac, profile=WALK1, minutes=(1, 3))
    assert iso.crs == "EPSG:28992"
    assert iso["minutes"].tolist() == [1.0, 3.0]
    one, three = iso.geometry
    assert one.contains(shapely.Point(80, 0)) and not one.contains(shapely.Point(90, 0))
    assert three.contains(shapely.Point(200, 0)) and not three.contains(shapely.Point(210, 0))
    assert one.within(three.buffer(1e-6))
    per = isochrones(line_net, fac, profile=WALK1, minutes=(1,), per_facility=True)
    assert per["facility"].tolist() == [0]
    assert per.geometry.iloc[0].symmetric_difference(one).area < 1.0


# ----------------------------------------------------------- agreement with networkx
def _reference(net, profile, sp: SnappedPoints, access_mps: float) -> nx.DiGraph:
    """networkx graph with every routable point inserted as a real node ("p", i), and an
    access node ("a", i) at snap distance — computed independently of routing.py."""
    G = net.to_networkx([profile])
    name = f"travel_time_s_{profile.name}"
    tt = net.travel_time_s(profile)
    H = nx.DiGraph()
    H.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        w = d[name]
        if not H.has_edge(u, v) or H[u][v]["w"] > w:
            H.add_edge(u, v, w=w)
    on_edge: dict[int, list] = {}
    for i in np.flatnonzero(~sp.flagged):
        e, t = int(sp.edge[i]), float(sp.fraction[i])
        r = int(net.edge_reverse[e])
        if r >= 0 and r < e:  # describe it on the lower edge of the pair
            e, t = r, 1.0 - t
        on_edge.setdefault(e, []).append((t, ("p", int(i))))
    for e, items in on_edge.items():
        u, v, r = int(net.edge_u[e]), int(net.edge_v[e]), int(net.edge_reverse[e])
        chain = [(0.0, u), *sorted(items), (1.0, v)]
        for (ta, a), (tb, b) in zip(chain[:-1], chain[1:], strict=True):
            H.add_edge(a, b, w=(tb - ta) * tt[e])
            if r >= 0:
                H.add_edge(b, a, w=(tb - ta) * tt[r])
            elif tb == ta:  # a point on a node of a one-way edge is at that node
                H.add_edge(b, a, w=0.0)
    for i in np.flatnonzero(~sp.flagged):
        a = float(sp.snap_distance_m[i]) / access_mps
        H.add_edge(("a", int(i)), ("p", int(i)), w=a)
        H.add_edge(("p", int(i)), ("a", int(i)), w=a)
    return H


def _check_against_networkx(net, profile, points, rng, *, n_fac: int) -> None:
    access = 5 / 3.6 if net.mode == "drive" else profile.speed_mps
    sp = snap_points(net, points)
    order = rng.permutation(len(sp))
    fi, ti = np.sort(order[:n_fac]), np.sort(order[n_fac:])
    fac, tgt = sp.subset(fi), sp.subset(ti)
    H = _reference(net, profile, sp, access)
    fac_nodes = [("a", int(i)) for i in fi if not sp.flagged[i]]
    for direction in ("from_facility", "to_facility"):
        Hd = H if direction == "from_facility" else H.reverse(copy=True)
        res = nearest_facility(net, fac, profile=profile, targets=tgt, direction=direction)
        ref = nx.multi_source_dijkstra_path_length(Hd, fac_nodes, weight="w")
        ref_nodes = np.array([ref.get(i, np.nan) for i in range(net.n_nodes)])
        np.testing.assert_allclose(res.node_time_s, ref_nodes, atol=1e-6, rtol=0)
        assert ((res.node_facility >= 0) == np.isfinite(ref_nodes)).all()
        ref_t = np.array([np.nan if sp.flagged[i] else ref.get(("a", int(i)), np.nan) for i in ti])
        np.testing.assert_allclose(res.target_time_s, ref_t, atol=1e-6, rtol=0)
        # the facility named is really that far away
        per_fac = {
            j: nx.single_source_dijkstra_path_length(Hd, ("a", int(fi[j])), weight="w")
            for j in range(len(fi))
            if not sp.flagged[fi[j]]
        }
        for node in rng.choice(net.n_nodes, size=min(40, net.n_nodes), replace=False):
            j = res.node_facility[node]
            if j >= 0:
                assert per_fac[j][int(node)] == pytest.approx(res.node_time_s[node], abs=1e-6)
    # matrix and pairs within a cutoff, origins = facilities, destinations = targets
    mat = travel_time_matrix(net, fac, tgt, profile=profile, chunk_size=3)
    ref_m = np.full(mat.shape, np.nan)
    for a, i in enumerate(fi):
        if sp.flagged[i]:
            continue
        d = nx.single_source_dijkstra_path_length(H, ("a", int(i)), weight="w")
        for b, j in enumerate(ti):
            if not sp.flagged[j]:
                ref_m[a, b] = d.get(("a", int(j)), np.nan)
    np.testing.assert_allclose(mat, ref_m, atol=1e-6, rtol=0)
    cutoff = float(np.nanmedian(ref_m)) if np.isfinite(ref_m).any() else 100.0
    within = travel_times_within(net, fac, tgt, profile=profile, cutoff_s=cutoff, chunk_size=4)
    got = np.full(mat.shape, np.nan)
    got[within["origin"], within["destination"]] = within["time_s"]
    np.testing.assert_allclose(got, np.where(ref_m <= cutoff, ref_m, np.nan), atol=1e-6, rtol=0)
    capped = travel_time_matrix(net, fac, tgt, profile=profile, cutoff_s=cutoff)
    np.testing.assert_allclose(capped, np.where(ref_m <= cutoff, ref_m, np.nan), atol=1e-6)


def _random_points(net, rng, k: int, spread_m: float = 150.0):
    """k points near random nodes (a few far away, to be flagged)."""
    nodes = rng.choice(net.n_nodes, size=k)
    x = net.node_x[nodes] + rng.normal(0, spread_m, k)
    y = net.node_y[nodes] + rng.normal(0, spread_m, k)
    x[:2] += 50_000  # far away: flagged
    return pts(*np.c_[x, y])


@pytest.mark.parametrize(
    ("rel", "mode"),
    [
        ("roads/valhalla_test_amsterdam.osm.pbf", "walk"),
        ("roads/valhalla_test_amsterdam.osm.pbf", "bike"),
        ("roads/valhalla_test_amsterdam.osm.pbf", "drive"),
        ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "walk"),
        ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "drive"),
    ],
)
def test_fixtures_agree_with_networkx(data_dir, rel, mode):
    net = build_network(data_dir / rel, mode)
    rng = np.random.default_rng(7)
    _check_against_networkx(net, PROFILES[mode], _random_points(net, rng, 30), rng, n_fac=6)


@pytest.fixture(scope="module")
def aed_xy(synth_dir):
    import osmium

    xy = [
        (o.location.lon, o.location.lat)
        for o in osmium.FileProcessor(
            str(synth_dir / "drenthe-synth.osm.pbf"), osmium.osm.NODE
        ).with_filter(osmium.filter.TagFilter(("emergency", "defibrillator")))
    ]
    return gpd.GeoSeries(shapely.points(np.array(xy)), crs="EPSG:4326").to_crs("EPSG:28992")


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "seed"), [("walk", 1), ("walk", 2), ("bike", 3), ("drive", 4)])
def test_drenthe_boxes_agree_with_networkx(synth_dir, cache_dir, aed_xy, mode, seed):
    rng = np.random.default_rng(seed)
    centre = aed_xy.iloc[int(rng.integers(len(aed_xy)))]
    area = shapely.box(centre.x - 1000, centre.y - 1000, centre.x + 1000, centre.y + 1000)
    net = load_network(
        synth_dir / "drenthe-synth.osm.pbf",
        mode,
        area=area,
        settings=NetworkSettings(cache_dir=cache_dir),
    )
    assert net.n_nodes > 5
    _check_against_networkx(net, PROFILES[mode], _random_points(net, rng, 40), rng, n_fac=8)


# --------------------------------------------------------- reuse and search boxes
@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize(
    ("rel", "mode"),
    [
        ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "walk"),
        ("roads/valhalla_test_amsterdam.osm.pbf", "bike"),
    ],
)
def test_cutoff_search_box_equals_the_full_search(data_dir, monkeypatch, rel, mode, direction):
    """With a cutoff, nearest_facility searches only the box it can reach; its answers must
    be the full search's (checked against networkx above) wherever that is within the cutoff."""
    _check_box_search(build_network(data_dir / rel, mode), mode, direction, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
def test_cutoff_search_box_on_the_province_drive_network(
    synth_dir, cache_dir, monkeypatch, direction
):
    settings = NetworkSettings(cache_dir=cache_dir)
    net = load_network(synth_dir / "drenthe-synth.osm.pbf", "drive", settings=settings)
    _check_box_search(net, "drive", direction, monkeypatch)


def _check_box_search(net, mode, direction, monkeypatch) -> None:
    from bereikbaar import routing

    rng = np.random.default_rng(11)
    pts_all = snap_points(net, _random_points(net, rng, 60))
    fac, tgt = pts_all.subset(np.arange(3)), pts_all.subset(np.arange(3, 60))
    full = nearest_facility(net, fac, profile=PROFILES[mode], targets=tgt, direction=direction)
    cutoff = float(np.nanpercentile(full.node_time_s, 5))
    boxes = []
    real_sub = routing._sub_csr
    monkeypatch.setattr(routing, "_sub_csr", lambda *a: boxes.append(1) or real_sub(*a))
    cut = nearest_facility(
        net, fac, profile=PROFILES[mode], targets=tgt, cutoff_s=cutoff, direction=direction
    )
    assert boxes, "the cutoff search should run on a box"
    within = full.node_time_s <= cutoff
    assert 0 < within.sum() < net.n_nodes
    np.testing.assert_array_equal(cut.node_time_s[within], full.node_time_s[within])
    np.testing.assert_array_equal(cut.node_facility[within], full.node_facility[within])
    assert np.isnan(cut.node_time_s[~within]).all() and (cut.node_facility[~within] == -1).all()
    t_within = full.target_time_s <= cutoff
    np.testing.assert_array_equal(cut.target_time_s[t_within], full.target_time_s[t_within])
    assert np.isnan(cut.target_time_s[~t_within]).all()


def test_routing_matrix_is_built_once_per_profile_and_direction(data_dir, monkeypatch):
    import bereikbaar.network as network_module

    net = build_network(data_dir / "roads/groningen_centre_osmnx_drive_2020.osm.gz", "walk")
    rng = np.random.default_rng(5)
    sp = snap_points(net, _random_points(net, rng, 40))
    builds = []
    real = network_module.csr_from_edges
    monkeypatch.setattr(
        network_module, "csr_from_edges", lambda *a: builds.append(a[-1]) or real(*a)
    )
    for k in range(2, 8):
        nearest_facility(net, sp.subset(np.arange(k)), profile=WALK, targets=sp)
        nearest_facility(net, sp.subset(np.arange(k)), profile=WALK, direction="to_facility")
        travel_time_matrix(net, sp.subset(np.arange(k)), sp, profile=WALK)
        travel_times_within(net, sp, sp.subset(np.arange(k)), profile=WALK, cutoff_s=120.0)
    assert len(builds) == 2  # forward and transposed, each once, never with virtual nodes
    assert builds == [net.n_nodes, net.n_nodes]


# ------------------------------------------------- pairs within a cutoff, both directions
def _check_within_directions(net, profile, points, rng, *, n_dest: int) -> None:
    """Searching from the destinations on the transposed graph finds the forward pairs
    with the forward times; both equal networkx's shortest paths on the reference graph.
    Destinations are a subset of the origins, so some pairs share an edge (and a point)."""
    access = 5 / 3.6 if net.mode == "drive" else profile.speed_mps
    sp = snap_points(net, points)
    di = np.sort(rng.permutation(len(sp))[:n_dest])
    dest = sp.subset(di)
    H = _reference(net, profile, sp, access)
    ref = np.full((len(sp), len(di)), np.nan)
    for a in range(len(sp)):
        if not sp.flagged[a]:
            d = nx.single_source_dijkstra_path_length(H, ("a", a), weight="w")
            ref[a] = [np.nan if sp.flagged[j] else d.get(("a", int(j)), np.nan) for j in di]
    # a point to itself: out to the street and back again (networkx's path is empty)
    own = np.flatnonzero(~sp.flagged[di])
    ref[di[own], own] = 2 * np.asarray(sp.snap_distance_m)[di[own]] / access
    # halfway between two reported times: a time exactly at the cutoff may fall either side
    # of it when its sum is taken in the other order
    times = np.unique(ref[np.isfinite(ref)])
    k = int(0.4 * len(times))
    cutoff = float(times[k] + times[k + 1]) / 2
    got = {}
    for direction in ("forward", "reverse", "auto"):
        w = travel_times_within(
            net, sp, dest, profile=profile, cutoff_s=cutoff, chunk_size=5, direction=direction
        )
        assert (np.diff(w["origin"] * len(di) + w["destination"]) > 0).all()  # sorted, unique
        got[direction] = w
    fwd = got["forward"]
    for direction in ("reverse", "auto"):
        w = got[direction]
        np.testing.assert_array_equal(w["origin"], fwd["origin"])
        np.testing.assert_array_equal(w["destination"], fwd["destination"])
        np.testing.assert_allclose(w["time_s"], fwd["time_s"], atol=1e-6, rtol=0)
    mat = np.full(ref.shape, np.nan)
    mat[fwd["origin"], fwd["destination"]] = fwd["time_s"]
    expect = np.where(ref <= cutoff, ref, np.nan)
    np.testing.assert_allclose(mat, expect, atol=1e-6, rtol=0)
    assert np.isfinite(expect).sum() > len(di)  # more than the points paired with themselves


@pytest.mark.parametrize(
    ("rel", "mode"),
    [
        ("roads/valhalla_test_amsterdam.osm.pbf", "walk"),
        ("roads/valhalla_test_amsterdam.osm.pbf", "drive"),
        ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "bike"),
        ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "drive"),
    ],
)
def test_pairs_within_are_the_same_searched_from_either_side(data_dir, rel, mode):
    net = build_network(data_dir / rel, mode)
    rng = np.random.default_rng(13)
    _check_within_directions(net, PROFILES[mode], _random_points(net, rng, 40), rng, n_dest=7)


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "seed"), [("walk", 21), ("bike", 22), ("drive", 23)])
def test_pairs_within_either_side_on_a_province_sample(synth_dir, cache_dir, aed_xy, mode, seed):
    rng = np.random.default_rng(seed)
    centre = aed_xy.iloc[int(rng.integers(len(aed_xy)))]
    area = shapely.box(centre.x - 1500, centre.y - 1500, centre.x + 1500, centre.y + 1500)
    net = load_network(
        synth_dir / "drenthe-synth.osm.pbf",
        mode,
        area=area,
        settings=NetworkSettings(cache_dir=cache_dir),
    )
    _check_within_directions(net, PROFILES[mode], _random_points(net, rng, 60), rng, n_dest=6)


@pytest.mark.parametrize(
    ("rel", "mode", "cut"),
    [
        ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "walk", 450.0),
        ("roads/valhalla_test_amsterdam.osm.pbf", "bike", 120.0),
    ],
)
def test_pairs_within_from_the_origins_within_reach_are_all_pairs(data_dir, rel, mode, cut):
    """Searching only the origins within reach of a destination (smaller chunks, smaller
    boxes) gives the very same pairs and times as searching every origin."""
    net = build_network(data_dir / rel, mode)
    rng = np.random.default_rng(17)
    points = snap_points(net, _random_points(net, rng, 120, spread_m=300.0))
    origins, dest = points.subset(np.arange(8, 120)), points.subset(np.arange(8))
    profile = PROFILES[mode]
    full = travel_times_within(net, origins, dest, profile=profile, cutoff_s=cut)
    near = origins_within_reach(net, origins, dest, profile=profile, cutoff_s=cut)
    assert 0 < len(near) < len(origins) - 2  # some origins are skipped, some kept
    assert set(full["origin"]) <= set(near)
    sub = travel_times_within(net, origins.subset(near), dest, profile=profile, cutoff_s=cut)
    sub["origin"] = near[sub["origin"].to_numpy()]
    assert len(full) > 10
    pd.testing.assert_frame_equal(sub, full, check_exact=True)


def test_pairs_within_direction_is_checked(line_net):
    sp = snap_points(line_net, pts((10, 0), (50, 0)))
    with pytest.raises(RoutingError, match="direction"):
        travel_times_within(line_net, sp, sp, profile=WALK1, cutoff_s=100, direction="both")
