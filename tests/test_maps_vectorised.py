"""The maps' vectorised helpers give exactly what the per-feature code gave.

Each helper is checked against an independent, feature-by-feature computation (geometries
converted one at a time with their own pyproj transform and shapely's coordinates, values
rounded by Python's ``round``), including the awkward cases: holes, multipolygons, mixed
geometry collections, empty and missing geometries, repeated geometries, negative zero and
values just beside a rounding half.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from bereikbaar.maps import _common as c
from bereikbaar.maps._basemap import basemap_from_network

from .map_fakes import X0, Y0

RD = "EPSG:28992"
_TO_LL = Transformer.from_crs(RD, "EPSG:4326", always_xy=True)


def _ring_ll(coords: np.ndarray) -> list[list[int]]:
    """One ring's ``[[lat, lon], …]``: its own transform, Python rounding of 1e-5 degree."""
    if not len(coords):
        return []
    lon, lat = _TO_LL.transform(coords[:, 0], coords[:, 1])
    return [[round(b * 1e5), round(a * 1e5)] for a, b in zip(lon, lat, strict=True)]


def _polygons_one_by_one(geom, simplify_m: float) -> list:
    if geom is None or geom.is_empty:
        return []
    if simplify_m:
        geom = geom.simplify(simplify_m, preserve_topology=True)
    out = []
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type != "Polygon":
            continue
        if part.is_empty:
            out.append([])
            continue
        rings = [part.exterior, *part.interiors]
        out.append([_ring_ll(np.asarray(r.coords)) for r in rings])
    return out


def _shapes() -> list:
    sq = box(X0, Y0, X0 + 300, Y0 + 200)
    holed = Polygon(
        sq.exterior.coords, [[(X0 + 50, Y0 + 50), (X0 + 90, Y0 + 50), (X0 + 90, Y0 + 90)]]
    )
    wiggly = Point(X0 + 2000, Y0 + 900).buffer(250, quad_segs=32)
    multi = MultiPolygon([box(X0 + 5000, Y0, X0 + 5100, Y0 + 100), holed])
    mixed = GeometryCollection([Point(X0, Y0), LineString([(X0, Y0), (X0 + 9, Y0)]), wiggly])
    return [sq, holed, wiggly, multi, None, Polygon(), mixed, sq, wiggly]  # repeats on purpose


@pytest.mark.parametrize("simplify_m", [0.0, 10.0])
def test_geometry_parts_equal_one_geometry_at_a_time(simplify_m):
    geoms = gpd.GeoSeries(_shapes(), crs=RD)
    expected = [_polygons_one_by_one(g, simplify_m) for g in geoms]
    assert c.geometry_parts(geoms, simplify_m=simplify_m) == expected
    # the repeated geometries (indices 7, 8) come out equal to their first showing
    assert expected[7] == expected[0] and expected[8] == expected[2]


def test_geometry_parts_lines_keep_every_line_and_ring_in_order():
    a = LineString([(X0, Y0), (X0 + 400, Y0 + 30), (X0 + 900, Y0 - 20)])
    b = LineString([(X0, Y0 + 3000), (X0 + 10, Y0 + 3000)])
    geoms = gpd.GeoSeries(
        [a, shapely.MultiLineString([b, a]), box(X0, Y0, X0 + 5, Y0 + 5), None], crs=RD
    )
    got = c.geometry_parts(geoms, polygons_only=False)
    ring = np.asarray(box(X0, Y0, X0 + 5, Y0 + 5).exterior.coords)
    assert got == [
        [_ring_ll(np.asarray(a.coords))],
        [_ring_ll(np.asarray(b.coords)), _ring_ll(np.asarray(a.coords))],
        [_ring_ll(ring)],
        [],
    ]


@pytest.mark.parametrize("polygons_only", [True, False])
def test_geometry_parts_of_nothing_drawable(polygons_only):
    for shapes in ([], [None], [Polygon(), None], [Point(X0, Y0)]):
        got = c.geometry_parts(gpd.GeoSeries(shapes, crs=RD), polygons_only=polygons_only)
        assert got == [[] for _ in shapes]


def test_base_layer_payload_with_places_only():
    from bereikbaar.maps._basemap import basemap_payload

    places = gpd.GeoDataFrame(
        {"layer": ["place"], "kind": ["village"], "name": ["Grolloo"]},
        geometry=[Point(X0, Y0)],
        crs=RD,
    )
    got = basemap_payload(places)
    assert got["roads"] == []
    assert got["places"] == [{"n": "Grolloo", "z": 11, "ll": c.point_coords(places)[0]}]


def test_distinct_transform_equals_the_plain_one():
    rng = np.random.default_rng(7)
    x = X0 + np.round(rng.uniform(0, 5000, (400, 4)), -2)  # a grid: many shared corners
    y = Y0 + np.round(rng.uniform(0, 5000, (400, 4)), -2)
    lon, lat = c.lonlat_int(x, y)
    lon_d, lat_d = c.lonlat_int_distinct(x, y)
    assert lon_d.shape == x.shape
    assert np.array_equal(lon, lon_d) and np.array_equal(lat, lat_d)
    assert len(np.unique(x + 1j * y)) < x.size  # the case the shortcut is for


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.integers(-10_000, 10_000).map(lambda k: k / 200),  # exact halves at 2 decimals
            st.integers(-(10**6), 10**6).map(lambda k: k / 1000 + 0.0005),  # halves at 3
            st.sampled_from([-0.0, -0.04, -0.4, 2.675, 0.125, 1e12 + 0.5]),
        ),
        max_size=40,
    ),
    st.integers(0, 4),
)
def test_number_column_is_number_of_every_value(values, decimals):
    frame = pd.DataFrame({"x": pd.Series(values, dtype=float)})
    got = c.number_column(frame, "x", decimals)
    want = [c.number(v, decimals) for v in values]
    assert [repr(v) for v in got] == [repr(v) for v in want]  # -0.0 and 0.0 told apart


def test_columns_of_every_dtype_read_as_the_values_themselves():
    frame = pd.DataFrame(
        {
            "s": pd.Series([" a ", None, "b"], dtype="str"),
            "b": pd.Series([True, None, False], dtype="boolean"),
            "i": pd.Series([3, None, 5], dtype="Int64"),
            "o": pd.Series(["12", "x", None], dtype=object),
        }
    )
    assert c.text_column(frame, "s") == ["a", "", "b"]
    assert c.flag_column(frame, "b") == [True, None, False]
    assert c.number_column(frame, "i", 0) == [3.0, None, 5.0]
    assert c.number_column(frame, "o", 1) == [12.0, None, None]
    assert c.text_column(frame, "missing") == ["", "", ""]
    assert c.number_column(frame, "missing", 1) == [None, None, None]


def _drive_network():
    from bereikbaar.network import network_from_arrays

    xy = [(X0 + 1000 * i, Y0 + 5000.0 + 300 * (i % 2)) for i in range(8)]
    edges = [(i, i + 1) for i in range(7)]
    highway = [
        "primary",
        "primary",
        "secondary",
        "residential",
        "motorway_link",
        "tertiary",
        "trunk",
    ]
    geoms = [LineString([xy[a], xy[b]]) for a, b in edges]
    return network_from_arrays(
        xy, edges, mode="drive", highway=highway, geometries=geoms, oneway=[0, 0, 0, 0, 1, 0, 0]
    )


def test_basemap_from_a_network_used_before_equals_a_fresh_one():
    """The road edges kept on the network do not change any municipality's base layer."""
    used = _drive_network()
    areas = [
        Point(X0 + 1500, Y0 + 5000).buffer(1200),
        Point(X0 + 5500, Y0 + 5000).buffer(900),
        None,
    ]
    for area in areas:
        fresh = basemap_from_network(_drive_network(), area=area)
        again = basemap_from_network(used, area=area)
        assert fresh["kind"].tolist() == again["kind"].tolist()
        assert list(fresh.geometry.to_wkb()) == list(again.geometry.to_wkb())
    assert ("basemap_roads",) in used._cache


def test_number_column_nan_and_inf_are_missing():
    frame = pd.DataFrame({"x": [math.nan, math.inf, -math.inf, 1.25]})
    assert c.number_column(frame, "x", 1) == [None, None, None, 1.2]  # half to even, as round


def test_map_building_leaves_the_cycle_collector_as_it_was():
    import gc
    from dataclasses import replace

    from bereikbaar.errors import BereikbaarError
    from bereikbaar.maps import dorpshub_map, hartveilig_map

    from .map_fakes import fake_dorpshub, fake_hartveilig

    assert gc.isenabled()
    hv = fake_hartveilig(n_cells=20)
    hartveilig_map(hv, offline=False)
    assert gc.isenabled()
    broken = replace(hv, hourly_covered=np.zeros((3, 168), bool))  # wrong shape: raises
    with pytest.raises(BereikbaarError, match="hourly_covered"):
        hartveilig_map(broken, offline=False)
    assert gc.isenabled()
    gc.disable()
    try:
        dorpshub_map(fake_dorpshub(), offline=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
