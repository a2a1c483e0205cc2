"""Tests for bereikbaar.network: filters, speeds, OSMnx agreement, plain-array networks, cache."""

from __future__ import annotations

import gzip
import itertools
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import shapely

from bereikbaar.config import NetworkSettings, TravelProfile
from bereikbaar.errors import ConfigError, InputError, NetworkError, RoutingError
from bereikbaar.network import (
    build_network,
    load_network,
    network_cache_path,
    network_from_arrays,
    parse_maxspeed,
    read_network,
    save_network,
    way_direction,
    way_passes,
    working_crs_for,
)

WALK = TravelProfile("walk", "walk", speed_kmh=3.6)  # 1 m/s
CAR = TravelProfile("car", "drive", delay_factor=1.5)


# ------------------------------------------------------------------------- filters
@pytest.mark.parametrize(
    ("tags", "walk", "bike", "drive"),
    [
        ({"highway": "residential"}, True, True, True),
        ({"highway": "cycleway"}, True, True, False),  # NL: separate cycle paths are walkable
        ({"highway": "cycleway", "foot": "no"}, False, True, False),
        ({"highway": "footway"}, True, False, False),
        ({"highway": "footway", "bicycle": "yes"}, True, True, False),
        ({"highway": "track", "motor_vehicle": "agricultural"}, True, True, False),
        ({"highway": "track"}, True, True, True),
        ({"highway": "service"}, True, True, True),
        ({"highway": "service", "service": "parking_aisle"}, True, True, False),
        ({"highway": "residential", "access": "private"}, False, False, False),
        ({"highway": "construction"}, False, False, False),
        ({"highway": "motorway"}, False, False, True),
        ({"highway": "steps"}, True, False, False),
        ({"highway": "path", "bicycle": "no"}, True, False, False),
        ({"highway": "primary", "sidewalk": "separate"}, False, True, True),
        ({"highway": "residential", "area": "yes"}, False, False, False),
        ({"building": "yes"}, False, False, False),
    ],
)
def test_way_filters(tags, walk, bike, drive):
    assert way_passes(tags, "walk") is walk
    assert way_passes(tags, "bike") is bike
    assert way_passes(tags, "drive") is drive


@pytest.mark.parametrize(
    ("tags", "bike", "drive"),
    [
        ({"highway": "residential"}, 0, 0),
        ({"highway": "residential", "oneway": "yes"}, 1, 1),
        ({"highway": "residential", "oneway": "-1"}, -1, -1),
        ({"highway": "residential", "oneway": "reverse"}, -1, -1),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, 0, 1),
        ({"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"}, 0, 1),
        ({"highway": "tertiary", "junction": "roundabout"}, 1, 1),
        ({"highway": "tertiary", "junction": "roundabout", "oneway": "no"}, 0, 0),
        ({"highway": "motorway"}, 1, 1),
        ({"highway": "cycleway", "oneway:bicycle": "yes"}, 1, 0),
    ],
)
def test_way_direction(tags, bike, drive):
    assert way_direction(tags, "walk") == 0
    assert way_direction(tags, "bike") == bike
    assert way_direction(tags, "drive") == drive


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 mph", 50 * 1.609344),
        ("NL:urban", 50.0),
        ("NL:rural", 80.0),
        ("30;50", 40.0),
        ("none", None),
        ("signals", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value, kmh):
    got = parse_maxspeed(value)
    assert got == pytest.approx(kmh) if kmh is not None else got is None


# ---------------------------------------------------------------- plain-array build
def test_network_from_arrays_walk_and_oneway():
    net = network_from_arrays([(0, 0), (100, 0), (100, 50)], [(0, 1), (1, 2)], mode="walk")
    # streets keep their positions; reverse directions follow in the same order
    assert net.edge_u.tolist() == [0, 1, 1, 2]
    assert net.edge_v.tolist() == [1, 2, 0, 1]
    assert net.edge_length_m.tolist() == [100.0, 50.0, 100.0, 50.0]
    assert net.edge_reverse.tolist() == [2, 3, 0, 1]
    assert net.travel_time_s(WALK).tolist() == [100.0, 50.0, 100.0, 50.0]
    assert list(net.edge_geometry[2].coords) == [(100.0, 0.0), (0.0, 0.0)]
    assert net.n_nodes == 3 and net.n_edges == 4

    drive = network_from_arrays(
        [(0, 0), (100, 0), (100, 50)],
        [(0, 1), (1, 2)],
        mode="drive",
        oneway=[True, False],
        speeds_kmh=[36.0, 18.0],
    )
    assert drive.edge_u.tolist() == [0, 1, 2]
    assert drive.edge_reverse.tolist() == [-1, 2, 1]
    # 100 m at 10 m/s = 10 s, 50 m at 5 m/s = 10 s; delay factor 1.5
    assert drive.travel_time_s(CAR).tolist() == pytest.approx([15.0, 15.0, 15.0])
    with pytest.raises(RoutingError):
        drive.travel_time_s(WALK)


def test_csr_takes_fastest_parallel_edge_and_keeps_zero_edges():
    net = network_from_arrays(
        [(0, 0), (100, 0), (100, 0)], [(0, 1), (0, 1), (1, 2)], length_m=[100.0, 80.0, 0.0]
    )
    g = net.csr(WALK)
    assert g.shape == (3, 3)
    assert g[0, 1] == 80.0
    assert g.nnz == 4  # 0-1, 1-0, 1-2 (zero, explicit), 2-1 (zero, explicit)
    G = net.to_networkx([WALK])
    assert G.graph["crs"] == "EPSG:28992"
    assert G.number_of_edges() == 6
    assert G[0][1][1]["travel_time_s_walk"] == 80.0


def test_network_from_arrays_rejects_bad_edges():
    with pytest.raises(NetworkError):
        network_from_arrays([(0, 0)], [(0, 1)])


# -------------------------------------------------------------- OSMnx agreement
def _xml_copy(path: Path, tmp_path: Path) -> Path:
    """An OSM XML file OSMnx can read (PBF converted with pyosmium, .gz unpacked)."""
    import osmium

    out = tmp_path / (path.name.split(".")[0] + ".osm")
    if path.name.endswith(".pbf"):
        writer = osmium.SimpleWriter(str(out))
        for obj in osmium.FileProcessor(str(path)):
            writer.add(obj)
        writer.close()
    elif path.name.endswith(".gz"):
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return out


def _way_tags(path: Path) -> dict[int, dict[str, str]]:
    import osmium

    from bereikbaar.inputs.osmfile import readable_osm_path

    with readable_osm_path(path) as p:
        return {
            w.id: {t.k: t.v for t in w.tags} for w in osmium.FileProcessor(str(p), osmium.osm.WAY)
        }


def _osmnx_reference(xml: Path, tags: dict, mode: str, *, retain_all: bool):
    """OSMnx's graph of the same file with our way rules applied, then simplified."""
    import osmnx as ox

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "generated by OSMnx" and pandas/geopandas noise
        G = ox.graph_from_xml(xml, bidirectional=True, simplify=False, retain_all=True)
        drop = []
        for u, v, k, d in G.edges(keys=True, data=True):
            way = tags.get(d["osmid"], {})
            if not way_passes(way, mode):
                drop.append((u, v, k))
                continue
            direction = way_direction(way, mode)
            if (direction == 1 and d["reversed"]) or (direction == -1 and not d["reversed"]):
                drop.append((u, v, k))
        G.remove_edges_from(drop)
        G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
        if not retain_all:
            G = ox.truncate.largest_component(G, strongly=False)
        return ox.simplify_graph(G)


FIXTURES = [
    ("roads/valhalla_test_amsterdam.osm.pbf", "walk"),
    ("roads/valhalla_test_amsterdam.osm.pbf", "bike"),
    ("roads/valhalla_test_amsterdam.osm.pbf", "drive"),
    ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "walk"),
    ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "bike"),
    ("roads/groningen_centre_osmnx_drive_2020.osm.gz", "drive"),
]


@pytest.mark.parametrize(("rel", "mode"), FIXTURES)
@pytest.mark.parametrize("retain_all", [True, False])
def test_network_agrees_with_osmnx(data_dir, tmp_path, rel, mode, retain_all):
    path = data_dir / rel
    net = build_network(path, mode, retain_all=retain_all)
    ref = _osmnx_reference(_xml_copy(path, tmp_path), _way_tags(path), mode, retain_all=retain_all)
    assert net.n_nodes == ref.number_of_nodes()
    assert net.n_edges == ref.number_of_edges()
    assert set(net.node_osmid.tolist()) == set(ref.nodes)
    ours = sorted(
        zip(net.node_osmid[net.edge_u].tolist(), net.node_osmid[net.edge_v].tolist(), strict=True)
    )
    assert ours == sorted((u, v) for u, v, _ in ref.edges(keys=True))
    ref_len = sum(d["length"] for _, _, d in ref.edges(data=True))
    assert net.edge_length_m.sum() == pytest.approx(ref_len, rel=0.01)
    # every edge geometry runs from its u node to its v node
    first = shapely.get_coordinates(shapely.get_point(net.edge_geometry, 0))
    last = shapely.get_coordinates(shapely.get_point(net.edge_geometry, -1))
    np.testing.assert_allclose(first, np.c_[net.node_x[net.edge_u], net.node_y[net.edge_u]])
    np.testing.assert_allclose(last, np.c_[net.node_x[net.edge_v], net.node_y[net.edge_v]])
    # lengths are geodesic: the geometry's length on the ellipsoid, independent of the CRS;
    # RD New's own metres differ from them by its scale factor (< 0.02% in the Netherlands)
    np.testing.assert_allclose(_geodesic_lengths(net), net.edge_length_m, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(shapely.length(net.edge_geometry), net.edge_length_m, rtol=2e-4)


def _geodesic_lengths(net) -> np.ndarray:
    """Each edge geometry's length on the WGS 84 ellipsoid (pyproj's Geod), an independent
    computation from the geometries in the network's CRS."""
    import geopandas as gpd
    from pyproj import Geod

    lonlat = gpd.GeoSeries(net.edge_geometry, crs=net.crs).to_crs("EPSG:4326")
    geod = Geod(ellps="WGS84")
    return np.array([geod.geometry_length(g) for g in lonlat])


def test_drive_speeds_and_simplified_time(data_dir):
    net = build_network(data_dir / "roads/groningen_centre_osmnx_drive_2020.osm.gz", "drive")
    assert np.isfinite(net.edge_speed_kmh).all() and (net.edge_speed_kmh > 0).all()
    tt = net.travel_time_s(CAR)
    np.testing.assert_allclose(tt, net.edge_length_m / (net.edge_speed_kmh / 3.6) * 1.5)
    assert (net.edge_reverse >= -1).all()
    r = net.edge_reverse
    paired = r >= 0
    assert (r[r[paired]] == np.flatnonzero(paired)).all()
    assert (net.edge_u[r[paired]] == net.edge_v[paired]).all()


def test_area_keeps_only_nodes_inside(data_dir):
    path = data_dir / "roads/valhalla_test_amsterdam.osm.pbf"
    full = build_network(path, "walk", retain_all=True)
    cx, cy = np.median(full.node_x), np.median(full.node_y)
    area = shapely.box(cx - 400, cy - 400, cx + 400, cy + 400)
    part = build_network(path, "walk", area=area, retain_all=True)
    assert 0 < part.n_nodes < full.n_nodes
    assert shapely.intersects_xy(area, part.node_x, part.node_y).all()


def test_empty_area_raises(data_dir):
    with pytest.raises(InputError, match="empty"):
        build_network(
            data_dir / "roads/valhalla_test_amsterdam.osm.pbf",
            "walk",
            area=shapely.box(0, 0, 10, 10),
        )


# ----------------------------------------------------------------------------- cache
def _same_network(a, b) -> None:
    for name in (
        "node_osmid",
        "node_x",
        "node_y",
        "edge_u",
        "edge_v",
        "edge_length_m",
        "edge_speed_kmh",
        "edge_osmid",
        "edge_reverse",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.edge_highway.tolist() == b.edge_highway.tolist()
    assert shapely.equals_exact(a.edge_geometry, b.edge_geometry, tolerance=0).all()
    assert a.mode == b.mode and a.crs == b.crs


def test_cache_second_load_is_a_hit(data_dir, tmp_path, caplog):
    path = data_dir / "roads/valhalla_test_amsterdam.osm.pbf"
    settings = NetworkSettings(cache_dir=tmp_path / "cache")
    with caplog.at_level(logging.INFO, logger="bereikbaar.network"):
        first = load_network(path, "drive", settings=settings)
        assert "cache miss" in caplog.text
        caplog.clear()
        second = load_network(path, "drive", settings=settings)
        assert "cache hit" in caplog.text
    _same_network(first, second)
    _same_network(first, build_network(path, "drive"))
    cached = network_cache_path(path, "drive", settings=settings)
    assert cached.is_file()
    # other settings, mode or area give another cache file
    other = NetworkSettings(cache_dir=tmp_path / "cache", drive_speeds_kmh={"residential": 20})
    assert network_cache_path(path, "drive", settings=other) != cached
    assert network_cache_path(path, "walk", settings=settings) != cached
    assert not [p for p in cached.parent.iterdir() if p.name.endswith(".tmp")]
    # safe to delete
    cached.unlink()
    third = load_network(path, "drive", settings=settings)
    _same_network(first, third)


def test_cache_key_follows_file_content(data_dir, tmp_path):
    src = data_dir / "roads/valhalla_test_amsterdam.osm.pbf"
    copy = tmp_path / "a.osm.pbf"
    shutil.copy(src, copy)
    settings = NetworkSettings(cache_dir=tmp_path / "cache")
    # same content, other path: same key
    assert network_cache_path(copy, "walk", settings=settings) == network_cache_path(
        src, "walk", settings=settings
    )


@pytest.mark.slow
def test_province_walk_cache(synth_dir, cache_dir):
    path = synth_dir / "drenthe-synth.osm.pbf"
    settings = NetworkSettings(cache_dir=cache_dir)
    a = load_network(path, "walk", settings=settings)
    b = load_network(path, "walk", settings=settings)
    _same_network(a, b)
    assert a.n_nodes > 10_000
    # the walk network of the province has both directions of every edge
    assert (a.edge_reverse >= 0).all()


# ------------------------------------------------------------- cache heals itself
AMSTERDAM = "roads/valhalla_test_amsterdam.osm.pbf"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a half-written zip: BadZipFile


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * 0.6)] ^= 0xFF  # inside a stored array: bad CRC-32
    path.write_bytes(bytes(data))


def _rewrite(path: Path, **changes) -> None:
    with np.load(path, allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    arrays.update(changes)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _arrays(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


DAMAGE = {
    "half_written": _truncate,
    "bad_crc": _flip_byte,
    "zero_bytes": lambda p: p.write_bytes(b""),
    "not_a_zip": lambda p: p.write_bytes(b"PK\x03\x04 certainly not a zip"),
    "edge_index_out_of_range": lambda p: _rewrite(
        p, edge_u=_arrays(p)["edge_u"] + len(_arrays(p)["node_x"])
    ),
    "length_mismatch": lambda p: _rewrite(p, node_x=_arrays(p)["node_x"][:-3]),
    "reverse_out_of_range": lambda p: _rewrite(p, edge_reverse=_arrays(p)["edge_reverse"] + 10**6),
    "geometry_offsets_mismatch": lambda p: _rewrite(
        p, geom_offsets=_arrays(p)["geom_offsets"][:-1]
    ),
    "malformed_meta": lambda p: _rewrite(p, meta=np.array("{not json")),
    "other_version": lambda p: _rewrite(
        p, meta=np.array('{"mode": "drive", "crs": "EPSG:28992", "version": 1}')
    ),
    "other_mode": lambda p: _rewrite(
        p,
        meta=np.array(str(_arrays(p)["meta"]).replace('"mode": "drive"', '"mode": "walk"')),
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_cache_is_a_warning_and_a_rebuild(data_dir, tmp_path, caplog, damage):
    path = data_dir / AMSTERDAM
    settings = NetworkSettings(cache_dir=tmp_path / "cache")
    first = load_network(path, "drive", settings=settings)
    cached = network_cache_path(path, "drive", settings=settings)
    DAMAGE[damage](cached)
    with caplog.at_level(logging.WARNING, logger="bereikbaar.network"):
        again = load_network(path, "drive", settings=settings)
    assert "unreadable" in caplog.text and "rebuilding" in caplog.text
    _same_network(first, again)
    # the rebuilt cache file is whole again: the next load is a plain hit
    _same_network(first, read_network(cached))


def test_cache_files_are_written_atomically(data_dir, tmp_path, monkeypatch):
    path = data_dir / AMSTERDAM
    settings = NetworkSettings(cache_dir=tmp_path / "cache")
    net = build_network(path, "walk")
    target = network_cache_path(path, "walk", settings=settings)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        save_network(net, target)
    assert not target.exists()
    assert list((tmp_path / "cache").iterdir()) == []  # no temporary left behind


def test_extract_outside_the_area_is_an_input_error(data_dir, tmp_path):
    # a box in Drenthe: the Amsterdam extract has no street there
    area = shapely.box(230_000, 540_000, 240_000, 550_000)
    settings = NetworkSettings(cache_dir=tmp_path / "cache")
    with pytest.raises(InputError, match="empty inside the study area") as info:
        load_network(data_dir / AMSTERDAM, "walk", area=area, settings=settings)
    assert "inputs.osm" in str(info.value)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


# ------------------------------------------------------- speeds never reach Dijkstra
@pytest.mark.parametrize(
    ("profile", "key"),
    [
        (TravelProfile("slow", "walk", speed_kmh=0.0), "profiles.slow.speed_kmh"),
        (TravelProfile("back", "walk", speed_kmh=-5.0), "profiles.back.speed_kmh"),
        (TravelProfile("nan", "walk", speed_kmh=float("nan")), "profiles.nan.speed_kmh"),
        (TravelProfile("none", "walk", speed_kmh=None), "profiles.none.speed_kmh"),
        (TravelProfile("car0", "drive", delay_factor=0.0), "profiles.car0.delay_factor"),
        (TravelProfile("carneg", "drive", delay_factor=-1.0), "profiles.carneg.delay_factor"),
    ],
)
def test_non_positive_speeds_and_delay_factors_are_config_errors(profile, key):
    from bereikbaar.routing import nearest_facility, snap_points

    net = network_from_arrays([(0, 0), (100, 0)], [(0, 1)], mode=profile.network)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        net.travel_time_s(profile)
    import geopandas as gpd

    fac = snap_points(net, gpd.GeoSeries(shapely.points([(10.0, 0.0)]), crs=net.crs))
    with pytest.raises(ConfigError):
        nearest_facility(net, fac, profile=profile)


@pytest.mark.parametrize("speed", [0.0, -30.0, float("inf")])
def test_non_positive_road_class_speed_is_a_config_error(data_dir, speed):
    settings = NetworkSettings(drive_speeds_kmh={"residential": speed})
    with pytest.raises(ConfigError, match="drive_speeds_kmh.residential"):
        build_network(data_dir / AMSTERDAM, "drive", settings=settings)


def test_zero_edge_speed_in_a_network_is_refused_before_routing():
    net = network_from_arrays([(0, 0), (100, 0)], [(0, 1)], mode="drive", speeds_kmh=[0.0])
    with pytest.raises(NetworkError, match="drive_speeds_kmh"):
        net.travel_time_s(CAR)


# ------------------------------------------------------------------ working CRS
@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [
        (6.6, 52.9, "EPSG:28992"),  # Drenthe: RD New
        (4.9, 52.37, "EPSG:28992"),  # Amsterdam
        (9.52, 47.14, "EPSG:32632"),  # Vaduz: zone floor((9.52 + 180) / 6) + 1 = 32, north
        (1.52, 42.51, "EPSG:32631"),  # Andorra la Vella: zone 31
        (-122.27, 37.80, "EPSG:32610"),  # Oakland: zone 10
        (-58.4, -34.6, "EPSG:32721"),  # Buenos Aires: zone 21, south
    ],
)
def test_working_crs_for(lon, lat, crs):
    assert working_crs_for(lon, lat) == crs


def test_working_crs_for_rejects_non_degrees():
    with pytest.raises(InputError):
        working_crs_for(233_000.0, 556_000.0)


# ---------------------------------------------------------------- OSMnx accepts it
def test_to_networkx_works_with_osmnx_functions(data_dir):
    import networkx as nx
    import osmnx as ox

    from bereikbaar.routing import nearest_facility, snap_points

    net = build_network(data_dir / "roads/groningen_centre_osmnx_drive_2020.osm.gz", "walk")
    G = net.to_networkx()
    # nearest node by OSMnx equals the brute-force nearest node
    px, py = float(np.median(net.node_x)) + 3.0, float(np.median(net.node_y)) - 7.0
    brute = int(np.argmin(np.hypot(net.node_x - px, net.node_y - py)))
    assert ox.distance.nearest_nodes(G, px, py) == brute
    # OSMnx's shortest path by length equals our Dijkstra at 1 m/s (seconds = metres)
    a, b = int(net.edge_u[0]), int(np.argmax(np.hypot(net.node_x - px, net.node_y - py)))
    route = ox.routing.shortest_path(G, a, b, weight="length")
    route_m = sum(min(d["length"] for d in G[x][y].values()) for x, y in itertools.pairwise(route))
    import geopandas as gpd

    at_a = snap_points(
        net, gpd.GeoSeries(shapely.points([(net.node_x[a], net.node_y[a])]), crs=net.crs)
    )
    res = nearest_facility(net, at_a, profile=TravelProfile("m", "walk", speed_kmh=3.6))
    assert res.node_time_s[b] == pytest.approx(route_m, rel=1e-9)
    assert route_m == pytest.approx(nx.shortest_path_length(G, a, b, weight="length_m"))
    nodes, edges = ox.convert.graph_to_gdfs(G)
    assert len(nodes) == net.n_nodes and len(edges) == net.n_edges
    assert nodes.crs == net.crs and edges.crs == net.crs
    np.testing.assert_allclose(edges["length"].sum(), net.edge_length_m.sum())
