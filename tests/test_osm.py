"""Tests for bereikbaar.inputs.osm: kinds, names and points on hand-made XML, counts on the
province extract against an independent XML count, and the real road fixtures."""

from __future__ import annotations

import bz2
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from bereikbaar.errors import InputError, MissingInputError
from bereikbaar.inputs.osm import (
    KINDS,
    classify_tags,
    osm_data_timestamp,
    read_osm_pois,
    read_osm_pois_and_places,
    read_places,
)

TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)

# ---------------------------------------------------------------------- hand-made extract
NODES = {
    # id: (lon, lat, tags)
    1: (6.5600, 52.9900, {"emergency": "defibrillator", "opening_hours": "24/7"}),
    2: (6.5610, 52.9910, {"amenity": "doctors", "healthcare": "doctor", "name": "Praktijk Oost"}),
    3: (
        6.5659314,
        52.9842304,
        {
            "amenity": "doctors",
            "healthcare": "doctor",
            "healthcare:speciality": "general",
            "name": "Huisartsenpost Assen",
            "opening_hours": "Mo-Fr 17:00-08:00; Sa,Su 00:00-24:00",
        },
    ),
    4: (6.5620, 52.9920, {"healthcare": "doctor", "emergency": "yes", "name": "Dokterswacht"}),
    5: (6.5630, 52.9930, {"amenity": "doctors", "healthcare:speciality": "dermatology"}),
    6: (
        6.5640,
        52.9940,
        {
            "highway": "bus_stop",
            "public_transport": "station",
            "amenity": "bus_station",
            "name": "Hub Gasselte",
        },
    ),
    7: (6.5650, 52.9950, {"railway": "station", "station": "subway", "name": "Metro"}),
    8: (6.5660, 52.9960, {"place": "village", "name": "Grolloo", "population": "ca. 300"}),
    9: (6.5670, 52.9970, {"place": "hamlet", "name": "Amen", "population": "1.234"}),
    10: (6.5680, 52.9980, {"place": "town", "name": "Assen", "population": "61259"}),
    # untagged way nodes: a closed L-free quadrilateral and a line
    11: (6.5700, 53.0000, {}),
    12: (6.5720, 53.0000, {}),
    13: (6.5725, 53.0012, {}),
    14: (6.5700, 53.0010, {}),
    21: (6.5800, 53.0100, {}),
    22: (6.5830, 53.0110, {}),
    31: (6.5900, 53.0200, {}),
    32: (6.5910, 53.0200, {}),
}
WAYS = {
    # id: (node refs, tags)
    100: ([11, 12, 13, 14, 11], {"amenity": "school", "isced:level": "1", "name": "De Es"}),
    101: ([21, 22], {"leisure": "pitch", "name": "Veld"}),
    102: ([901, 902, 903, 901], {"shop": "supermarket", "name": "Buiten beeld"}),
    103: ([31, 32, 999], {"amenity": "pharmacy", "name": "Apotheek Half"}),
}
RELATIONS = {200: ([("w", 100, "outer")], {"type": "multipolygon", "amenity": "hospital"})}


def _write_osm(path: Path, nodes=NODES, ways=WAYS, relations=RELATIONS) -> Path:
    root = ET.Element("osm", version="0.6", generator="bereikbaar-tests")
    for nid, (lon, lat, tags) in nodes.items():
        el = ET.SubElement(root, "node", id=str(nid), version="1", lat=f"{lat}", lon=f"{lon}")
        for k, v in tags.items():
            ET.SubElement(el, "tag", k=k, v=v)
    for wid, (refs, tags) in ways.items():
        el = ET.SubElement(root, "way", id=str(wid), version="1")
        for ref in refs:
            ET.SubElement(el, "nd", ref=str(ref))
        for k, v in tags.items():
            ET.SubElement(el, "tag", k=k, v=v)
    for rid, (members, tags) in relations.items():
        el = ET.SubElement(root, "relation", id=str(rid), version="1")
        for mtype, ref, role in members:
            ET.SubElement(
                el, "member", type={"w": "way", "n": "node"}[mtype], ref=str(ref), role=role
            )
        for k, v in tags.items():
            ET.SubElement(el, "tag", k=k, v=v)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


@pytest.fixture
def small_osm(tmp_path: Path) -> Path:
    return _write_osm(tmp_path / "small.osm")


def _rd(node_id: int) -> tuple[float, float]:
    lon, lat, _ = NODES[node_id]
    x, y = TO_RD.transform(lon, lat)
    return float(x), float(y)


def _polygon_centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Area centroid by the shoelace formula (independent of shapely)."""
    x0, y0 = points[0]  # shift to the first corner: avoids cancellation in large RD numbers
    xs = np.array([p[0] - x0 for p in points])
    ys = np.array([p[1] - y0 for p in points])
    x1, y1 = np.roll(xs, -1), np.roll(ys, -1)
    cross = xs * y1 - x1 * ys
    area = cross.sum() / 2
    cx = ((xs + x1) * cross).sum() / (6 * area)
    cy = ((ys + y1) * cross).sum() / (6 * area)
    return float(cx + x0), float(cy + y0)


def _xy(data: pd.DataFrame, osm_type: str, osm_id: int, kind: str) -> tuple[float, float]:
    row = data[(data.osm_type == osm_type) & (data.osm_id == osm_id) & (data.kind == kind)]
    assert len(row) == 1, (osm_type, osm_id, kind, len(row))
    geom = row.geometry.iloc[0]
    return geom.x, geom.y


def test_small_extract_kinds_names_and_points(small_osm: Path) -> None:
    result = read_osm_pois(small_osm)
    data = result.data
    assert str(data.crs) == "EPSG:28992"
    assert list(data.columns) == [
        "osm_type",
        "osm_id",
        "kind",
        "name",
        "opening_hours",
        "tags",
        "geometry",
    ]
    got = sorted(zip(data.osm_type, data.osm_id, data.kind, strict=True))
    assert got == sorted(
        [
            ("n", 1, "aed"),
            ("n", 2, "gp"),
            ("n", 3, "huisartsenpost"),
            ("n", 4, "huisartsenpost"),
            ("n", 6, "bus_hub"),
            ("n", 6, "bus_stop"),
            ("n", 8, "place"),
            ("n", 9, "place"),
            ("n", 10, "place"),
            ("r", 200, "hospital"),
            ("w", 100, "school"),
            ("w", 101, "sports"),
            ("w", 103, "pharmacy"),
        ]
    )
    hap = data[data.osm_id == 3].iloc[0]
    assert hap["name"] == "Huisartsenpost Assen"
    assert hap["opening_hours"] == "Mo-Fr 17:00-08:00; Sa,Su 00:00-24:00"
    assert json.loads(hap["tags"])["healthcare:speciality"] == "general"
    aed = data[data.kind == "aed"].iloc[0]
    assert aed["name"] == "" and aed["opening_hours"] == "24/7"
    assert json.loads(data[data.kind == "school"].iloc[0]["tags"])["isced:level"] == "1"

    for node_id, kind in [(1, "aed"), (3, "huisartsenpost"), (6, "bus_hub"), (6, "bus_stop")]:
        assert _xy(data, "n", node_id, kind) == pytest.approx(_rd(node_id), abs=1e-6)
    # closed way: area centroid of the projected outline
    expected = _polygon_centroid([_rd(i) for i in (11, 12, 13, 14)])
    assert _xy(data, "w", 100, "school") == pytest.approx(expected, abs=1e-6)
    # a multipolygon of that one way (no holes): the same centroid
    assert _xy(data, "r", 200, "hospital") == pytest.approx(expected, abs=1e-6)
    assert json.loads(data[data.osm_type == "r"].iloc[0]["tags"])["type"] == "multipolygon"
    # open way: the middle of its (straight) line
    mid = tuple((a + b) / 2 for a, b in zip(_rd(21), _rd(22), strict=True))
    assert _xy(data, "w", 101, "sports") == pytest.approx(mid, abs=1e-6)
    # way with one node missing: the line through the nodes that are present
    mid = tuple((a + b) / 2 for a, b in zip(_rd(31), _rd(32), strict=True))
    assert _xy(data, "w", 103, "pharmacy") == pytest.approx(mid, abs=1e-6)


def test_small_extract_rejections_and_counts(small_osm: Path) -> None:
    result = read_osm_pois(small_osm)
    rejected = result.issues[result.issues.action == "rejected"]
    assert list(rejected["value"]) == ["w102"]
    assert result.rows_rejected == 1
    assert result.rows_read == result.rows_used + result.rows_rejected == 13 + 1
    flagged = result.issues[result.issues.action == "flagged"]
    assert list(flagged["value"]) == ["w103"]
    assert "1 of 3 node locations missing" in flagged["reason"].iloc[0]


def test_kinds_selection_and_area(small_osm: Path) -> None:
    only = read_osm_pois(small_osm, kinds=["gp", "bus_stop"])
    assert sorted(zip(only.data.osm_id, only.data.kind, strict=True)) == [
        (2, "gp"),
        (6, "bus_stop"),
    ]
    assert only.rows_read == 2 and only.issues.empty
    # a box around nodes 1 and 2 only
    (x1, y1), (x2, y2) = _rd(1), _rd(2)
    box = shapely.box(min(x1, x2) - 10, min(y1, y2) - 10, max(x1, x2) + 10, max(y1, y2) + 10)
    inside = read_osm_pois(small_osm, area=box)
    assert sorted(inside.data.osm_id) == [1, 2]
    assert inside.rows_read == inside.rows_used + inside.rows_rejected
    with pytest.raises(InputError, match="did you mean 'supermarket'"):
        read_osm_pois(small_osm, kinds=["supermarkt"])


# ---------------------------------------------------------------- multipolygon relations
# A school site of 600 m x 400 m (roughly) with a courtyard hole in its middle, drawn as an
# outer ring of four ways and an inner ring of one closed way; a supermarket site as one
# closed outer way with a hole off-centre; and relations that cannot become points.
MP_NODES = {
    # outer square of the school: corners 1..4
    1: (6.5000, 53.0000, {}),
    2: (6.5090, 53.0000, {}),
    3: (6.5090, 53.0036, {}),
    4: (6.5000, 53.0036, {}),
    # the courtyard, centred: the centroid of the site falls in the hole
    5: (6.5030, 53.0012, {}),
    6: (6.5060, 53.0012, {}),
    7: (6.5060, 53.0024, {}),
    8: (6.5030, 53.0024, {}),
    # supermarket outline and a small hole in its north-east corner
    11: (6.5200, 53.0000, {}),
    12: (6.5240, 53.0000, {}),
    13: (6.5240, 53.0020, {}),
    14: (6.5200, 53.0020, {}),
    15: (6.5230, 53.0014, {}),
    16: (6.5237, 53.0014, {}),
    17: (6.5237, 53.0018, {}),
    18: (6.5230, 53.0018, {}),
    # a school drawn as a closed way only
    21: (6.5300, 53.0000, {}),
    22: (6.5310, 53.0000, {}),
    23: (6.5310, 53.0006, {}),
    24: (6.5300, 53.0006, {}),
    # an open way for a relation whose ring does not close
    31: (6.5400, 53.0000, {}),
    32: (6.5410, 53.0000, {}),
    33: (6.5410, 53.0006, {}),
    # a school drawn as a closed way with the id of relation 402 (ids are per type)
    51: (6.5320, 53.0000, {}),
    52: (6.5330, 53.0000, {}),
    53: (6.5330, 53.0006, {}),
    # a village drawn as a multipolygon
    41: (6.5500, 53.0100, {}),
    42: (6.5600, 53.0100, {}),
    43: (6.5600, 53.0160, {}),
    44: (6.5500, 53.0160, {}),
}
MP_WAYS = {
    301: ([1, 2], {}),
    302: ([2, 3], {}),
    303: ([3, 4], {}),
    304: ([4, 1], {}),
    305: ([5, 6, 7, 8, 5], {}),
    311: ([11, 12, 13, 14, 11], {"building": "retail"}),
    312: ([15, 16, 17, 18, 15], {}),
    321: ([21, 22, 23, 24, 21], {"amenity": "school", "name": "Kleine School"}),
    331: ([31, 32, 33], {}),
    341: ([41, 42, 43, 44, 41], {}),
    402: ([51, 52, 53, 51], {"amenity": "school", "name": "Id-tweeling"}),
}
MP = {"type": "multipolygon"}
MP_RELATIONS = {
    # outer ring split over four ways, listed out of order and direction on purpose
    400: (
        [("w", 303, "outer"), ("w", 301, "outer"), ("w", 305, "inner"), ("w", 304, "outer")]
        + [("w", 302, "outer")],
        {**MP, "amenity": "school", "name": "Brede School", "isced:level": "1"},
    ),
    401: (
        [("w", 311, "outer"), ("w", 312, "inner")],
        {**MP, "shop": "supermarket", "name": "Super"},
    ),
    # way 399 is not in the file (an extract cut at its border)
    402: ([("w", 301, "outer"), ("w", 399, "outer")], {**MP, "amenity": "school"}),
    # a ring that does not close
    403: ([("w", 331, "outer")], {**MP, "amenity": "school"}),
    # not a multipolygon
    404: ([("w", 321, "outer")], {"type": "site", "amenity": "school"}),
    405: ([("w", 341, "outer")], {**MP, "place": "village", "name": "Ringdorp"}),
}


@pytest.fixture
def mp_osm(tmp_path: Path) -> Path:
    return _write_osm(tmp_path / "multipolygons.osm", MP_NODES, MP_WAYS, MP_RELATIONS)


def _mp_rd(*node_ids: int) -> list[tuple[float, float]]:
    lon = [MP_NODES[i][0] for i in node_ids]
    lat = [MP_NODES[i][1] for i in node_ids]
    x, y = TO_RD.transform(lon, lat)
    return list(zip(map(float, x), map(float, y), strict=True))


def test_multipolygon_with_centred_hole_gives_a_point_on_its_surface(mp_osm: Path) -> None:
    result = read_osm_pois(mp_osm, kinds=["school"])
    outer, inner = _mp_rd(1, 2, 3, 4), _mp_rd(5, 6, 7, 8)
    site = shapely.Polygon(outer, [inner])
    # the centroid lies in the courtyard, so the point is shapely's point on the surface
    assert shapely.Polygon(inner).contains(site.centroid)
    expected = site.point_on_surface()
    got = _xy(result.data, "r", 400, "school")
    assert got == pytest.approx((expected.x, expected.y), abs=0.01)
    assert site.contains(shapely.Point(got))
    row = result.data[result.data.osm_id == 400].iloc[0]
    assert row["name"] == "Brede School"
    assert json.loads(row["tags"]) == {
        "amenity": "school",
        "isced:level": "1",
        "name": "Brede School",
        "type": "multipolygon",
    }


def test_multipolygon_centroid_inside_is_used(mp_osm: Path) -> None:
    result = read_osm_pois(mp_osm, kinds=["supermarket"])
    outer, hole = _mp_rd(11, 12, 13, 14), _mp_rd(15, 16, 17, 18)
    # centroid of the outline minus the hole, by the shoelace formula (area-weighted)
    area_outer = shapely.Polygon(outer).area
    area_hole = shapely.Polygon(hole).area
    c_outer, c_hole = np.array(_polygon_centroid(outer)), np.array(_polygon_centroid(hole))
    expected = (c_outer * area_outer - c_hole * area_hole) / (area_outer - area_hole)
    assert not shapely.Polygon(hole).contains(shapely.Point(expected))
    assert _xy(result.data, "r", 401, "supermarket") == pytest.approx(tuple(expected), abs=0.01)
    # the building outline itself carries no POI tags: one row, from the relation
    assert list(zip(result.data.osm_type, result.data.osm_id, strict=True)) == [("r", 401)]
    assert result.rows_read == 1 and result.issues.empty


def test_relations_that_cannot_become_points_are_rejected(mp_osm: Path) -> None:
    result = read_osm_pois(mp_osm, kinds=["school"])
    assert result.rows_read == result.rows_used + result.rows_rejected
    rejected = result.issues[result.issues.action == "rejected"].set_index("value")
    assert sorted(rejected.index) == ["r402", "r403", "r404"]
    assert result.rows_rejected == 3
    assert "member ways or nodes missing from the extract" in rejected.at["r402", "reason"]
    assert "--strategy smart" in rejected.at["r402", "hint"]
    assert "rings do not close" in rejected.at["r403", "reason"]
    assert "type=site is not an area" in rejected.at["r404", "reason"]
    # used: the site relation and the closed ways (their areas from the way are not a second
    # row, and way 402's area is not taken for relation 402)
    assert sorted(zip(result.data.osm_type, result.data.osm_id, strict=True)) == [
        ("r", 400),
        ("w", 321),
        ("w", 402),
    ]
    assert result.rows_read == 3 + 3


def test_closed_way_is_one_row_not_two(mp_osm: Path) -> None:
    result = read_osm_pois(mp_osm, kinds=["school"])
    small = result.data[result.data["name"] == "Kleine School"]
    assert list(zip(small.osm_type, small.osm_id, small.kind, strict=True)) == [
        ("w", 321, "school")
    ]
    expected = _polygon_centroid(_mp_rd(21, 22, 23, 24))
    assert _xy(result.data, "w", 321, "school") == pytest.approx(expected, abs=1e-6)


def test_multipolygon_relation_inside_area_only(mp_osm: Path) -> None:
    (x1, y1), (x2, y2) = _mp_rd(1, 3)
    box = shapely.box(x1 - 5, y1 - 5, x2 + 5, y2 + 5)  # the school site only
    result = read_osm_pois(mp_osm, kinds=["school", "supermarket"], area=box)
    assert list(zip(result.data.osm_type, result.data.osm_id, strict=True)) == [("r", 400)]
    # relations rejected before their location is known are still counted
    assert result.rows_read == result.rows_used + result.rows_rejected == 1 + 3


def test_read_places_multipolygon_place(mp_osm: Path) -> None:
    result = read_places(mp_osm)
    assert list(result.data["place_id"]) == ["osm:r405"]
    assert result.data["name"].iloc[0] == "Ringdorp"
    expected = _polygon_centroid(_mp_rd(41, 42, 43, 44))
    point = result.data.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx(expected, abs=0.01)
    assert result.rows_read == 1 == result.rows_used


def _same_result(a, b) -> None:
    assert (a.name, a.path, a.rows_read) == (b.name, b.path, b.rows_read)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.data.drop(columns="geometry")), pd.DataFrame(b.data.drop(columns="geometry"))
    )
    assert list(a.data.geometry.to_wkb()) == list(b.data.geometry.to_wkb())
    assert a.data.crs == b.data.crs
    pd.testing.assert_frame_equal(a.issues, b.issues)


@pytest.mark.parametrize("fixture", ["small_osm", "mp_osm"])
@pytest.mark.parametrize("kinds", [("town", "village", "hamlet"), ("village",)])
def test_pois_and_places_in_one_pass_equal_the_two_readers(fixture, kinds, request) -> None:
    path = request.getfixturevalue(fixture)
    pois, places = read_osm_pois_and_places(path, place_kinds=kinds)
    _same_result(pois, read_osm_pois(path))
    _same_result(places, read_places(path, place_kinds=kinds))
    assert len(pois.data) and len(places.data)  # both tables hold rows to compare
    assert pois.rows_rejected + places.rows_rejected > 0  # and rejections
    with pytest.raises(InputError, match="place_kinds is empty"):
        read_osm_pois_and_places(path, place_kinds=())


def test_pois_and_places_in_one_pass_on_the_province(synth_dir: Path) -> None:
    path = synth_dir / "drenthe-synth.osm.pbf"
    area = shapely.box(230_000, 530_000, 250_000, 560_000)  # a part of the province (RD)
    pois, places = read_osm_pois_and_places(path, area=area)
    _same_result(pois, read_osm_pois(path, area=area))
    _same_result(places, read_places(path, area=area))
    assert len(pois.data) > 100 and len(places.data) > 10


def test_classify_tags_rules() -> None:
    assert classify_tags({"amenity": "doctors", "name": "HAP Emmen"}) == ["huisartsenpost"]
    assert classify_tags({"amenity": "clinic", "name": "Spoedpost Hoogeveen"}) == ["huisartsenpost"]
    assert classify_tags({"amenity": "doctors", "name": "Happy Health"}) == ["gp"]
    assert classify_tags({"public_transport": "station", "train": "yes", "bus": "yes"}) == [
        "station",
        "bus_hub",
    ]
    assert classify_tags({"public_transport": "platform", "bus": "yes"}) == ["bus_stop"]
    assert classify_tags({"railway": "halt"}) == ["station"]
    assert classify_tags({"club": "sport"}) == ["sports"]
    assert classify_tags({"place": "isolated_dwelling"}) == ["place"]
    assert classify_tags({"place": "suburb"}) == []
    assert classify_tags({"amenity": "doctors"}, kinds=["huisartsenpost"]) == []


def test_read_places_population(small_osm: Path) -> None:
    result = read_places(small_osm)
    data = result.data
    assert list(data.columns) == ["place_id", "name", "place", "population", "geometry"]
    assert str(data["population"].dtype) == "Int64"
    by_name = data.set_index("name")
    assert pd.isna(by_name.at["Grolloo", "population"])
    assert by_name.at["Amen", "population"] == 1234
    assert by_name.at["Assen", "population"] == 61259
    assert by_name.at["Assen", "place_id"] == "osm:n10"
    assert (by_name.at["Assen", "geometry"].x, by_name.at["Assen", "geometry"].y) == pytest.approx(
        _rd(10), abs=1e-6
    )
    assert result.rows_read == 3 == result.rows_used
    assert list(result.issues["action"]) in (["flagged", "repaired"], ["repaired", "flagged"])
    assert result.rows_flagged == 0  # OSM issues carry no line number; see value instead
    assert result.issues.set_index("action").at["flagged", "value"] == "osm:n8 population=ca. 300"
    towns = read_places(small_osm, place_kinds=("town",))
    assert list(towns.data["name"]) == ["Assen"]


def test_missing_and_wrong_files(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError):
        read_osm_pois(tmp_path / "nope.osm.pbf")
    with pytest.raises(MissingInputError):
        read_places(tmp_path / "nope.osm")
    bad = tmp_path / "broken.osm"
    bad.write_text("<osm version='0.6'><node id='1' lat='x'")
    with pytest.raises(InputError):
        read_osm_pois(bad)


def test_timestamp_none_without_timestamps(small_osm: Path) -> None:
    assert osm_data_timestamp(small_osm) is None


def _stamped_osm(path: Path, stamps: list[str]) -> Path:
    nodes = "".join(
        f'<node id="{i + 1}" version="1" timestamp="{t}" lat="52.99" lon="6.56"/>'
        for i, t in enumerate(stamps)
    )
    path.write_text(f'<osm version="0.6" generator="t">{nodes}</osm>', encoding="utf-8")
    return path


def test_timestamp_is_the_newest_object_and_cached_per_content(tmp_path, monkeypatch) -> None:
    import bereikbaar.inputs.osm as osm

    path = _stamped_osm(tmp_path / "a.osm", ["2023-01-05T10:00:00Z", "2024-03-07T08:30:00Z"])
    cache = tmp_path / "cache"
    first = osm_data_timestamp(path, cache_dir=cache)
    assert first is not None and first.isoformat() == "2024-03-07T08:30:00+00:00"
    assert len(list(cache.glob("osm-timestamp-*.json"))) == 1

    def no_pass(osm_path):
        raise AssertionError("the full pass is made again")

    monkeypatch.setattr(osm, "_newest_object_timestamp", no_pass)
    assert osm_data_timestamp(path, cache_dir=cache) == first  # from the cache, no pass
    # other content (a newer object) is another cache entry: the pass is made for it
    other = _stamped_osm(tmp_path / "b.osm", ["2025-06-01T00:00:00Z"])
    with pytest.raises(AssertionError, match="full pass"):
        osm_data_timestamp(other, cache_dir=cache)


def test_timestamp_cache_damaged_or_unwritable(tmp_path: Path, small_osm: Path) -> None:
    path = _stamped_osm(tmp_path / "a.osm", ["2023-01-05T10:00:00Z"])
    cache = tmp_path / "cache"
    osm_data_timestamp(path, cache_dir=cache)
    (entry,) = cache.glob("osm-timestamp-*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert osm_data_timestamp(path, cache_dir=cache).year == 2023  # damaged: made again
    assert json.loads(entry.read_text(encoding="utf-8"))["newest_object"].startswith("2023")
    # a file without timestamps is cached as "none"
    assert osm_data_timestamp(small_osm, cache_dir=cache) is None
    assert osm_data_timestamp(small_osm, cache_dir=cache) is None
    # a cache folder that cannot be made (a file is in the way) is passed over
    blocked = tmp_path / "blocked"
    blocked.write_text("", encoding="utf-8")
    assert osm_data_timestamp(path, cache_dir=blocked / "sub").year == 2023


# -------------------------------------------------------------------------- province data
def _independent_kinds(tags: dict[str, str]) -> set[str]:
    """The kind rules written out again, plainly, for the XML count."""
    a, h, pt = tags.get("amenity"), tags.get("healthcare"), tags.get("public_transport")
    name = tags.get("name", "").lower()
    out = set()
    if tags.get("emergency") == "defibrillator":
        out.add("aed")
    doctorish = a in ("doctors", "clinic") or h in ("doctor", "clinic")
    is_hap = (doctorish and ("huisartsenpost" in name or "spoedpost" in name)) or (
        h == "doctor" and tags.get("emergency") == "yes"
    )
    if is_hap:
        out.add("huisartsenpost")
    spec = tags.get("healthcare:speciality")
    if (a == "doctors" or h == "doctor") and not is_hap and (spec is None or "general" in spec):
        out.add("gp")
    if a == "hospital" or h == "hospital":
        out.add("hospital")
    if tags.get("railway") in ("station", "halt") or (
        pt == "station" and tags.get("train") == "yes"
    ):
        out.add("station")
    if a == "bus_station" or (pt == "station" and tags.get("bus") == "yes"):
        out.add("bus_hub")
    if tags.get("highway") == "bus_stop" or (pt == "platform" and tags.get("bus") == "yes"):
        out.add("bus_stop")
    if tags.get("shop") == "supermarket":
        out.add("supermarket")
    if a == "school":
        out.add("school")
    if a == "pharmacy" or h == "pharmacy":
        out.add("pharmacy")
    if a == "community_centre":
        out.add("community_centre")
    if a == "place_of_worship":
        out.add("church")
    if tags.get("leisure") in ("sports_centre", "pitch", "stadium") or tags.get("club") == "sport":
        out.add("sports")
    if tags.get("place") in ("city", "town", "village", "hamlet", "isolated_dwelling"):
        out.add("place")
    return out


def _xml_counts(path: Path) -> Counter:
    counts: Counter = Counter()
    with bz2.open(path, "rb") as fh:
        for _, el in ET.iterparse(fh, events=("end",)):
            if el.tag in ("node", "way", "relation"):
                tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
                for kind in _independent_kinds(tags):
                    counts[kind] += 1
                el.clear()
    return counts


@pytest.fixture(scope="module")
def province(synth_dir: Path):
    return read_osm_pois(synth_dir / "drenthe-synth.osm.pbf")


@pytest.mark.slow
def test_province_counts_match_independent_xml_count(synth_dir: Path, province) -> None:
    expected = _xml_counts(synth_dir / "drenthe-synth.osm.bz2")
    got = Counter(province.data["kind"])
    assert got == expected
    assert province.rows_read == province.rows_used + province.rows_rejected
    assert set(got) <= set(KINDS)


def test_province_has_no_relations_and_nothing_rejected(province) -> None:
    # the synthetic extract has no relations: reading areas adds no rows and rejects none
    assert set(province.data["osm_type"]) <= {"n", "w"}
    assert province.rows_rejected == 0
    assert province.rows_read == province.rows_used


def test_province_counts_match_stats(synth_dir: Path, province) -> None:
    stats = json.loads((synth_dir / "stats.json").read_text())
    one_to_one = {
        "apotheek": "pharmacy",
        "dorpshuis": "community_centre",
        "hub": "bus_hub",
        "huisarts": "gp",
        "huisartsenpost": "huisartsenpost",
        "school": "school",
        "station": "station",
        "supermarkt": "supermarket",
        "ziekenhuis": "hospital",
    }
    got = Counter(province.data["kind"])
    for stats_name, kind in one_to_one.items():
        assert got[kind] == stats["pois"][stats_name], kind
    assert got["place"] == stats["settlements"]
    # every Drenthe huisartsenpost is named so and open evenings, nights and weekends
    haps = province.data[province.data.kind == "huisartsenpost"]
    assert haps["name"].str.startswith("Huisartsenpost ").all()
    assert (
        not province.data.loc[province.data.kind == "gp", "name"]
        .str.contains("Huisartsenpost")
        .any()
    )


@pytest.mark.slow
def test_pbf_and_bz2_give_identical_tables(synth_dir: Path, province) -> None:
    xml = read_osm_pois(synth_dir / "drenthe-synth.osm.bz2")
    pd.testing.assert_frame_equal(
        province.data.drop(columns="geometry"), xml.data.drop(columns="geometry")
    )
    assert np.array_equal(
        shapely.get_coordinates(province.data.geometry.values),
        shapely.get_coordinates(xml.data.geometry.values),
    )
    assert province.rows_read == xml.rows_read


def test_province_places(synth_dir: Path) -> None:
    stats = json.loads((synth_dir / "stats.json").read_text())
    places = read_places(
        synth_dir / "drenthe-synth.osm.pbf", place_kinds=("city", "town", "village", "hamlet")
    )
    assert len(places.data) == stats["settlements"]
    assert places.data["place_id"].is_unique
    assert places.rows_read == places.rows_used + places.rows_rejected


@pytest.mark.parametrize(
    ("name", "newest"),
    [
        ("valhalla_test_amsterdam.osm.pbf", "2016-06-05"),
        ("groningen_centre_osmnx_drive_2020.osm.gz", "2017-01-01"),
    ],
)
def test_real_road_fixtures_read(data_dir: Path, name: str, newest: str) -> None:
    path = data_dir / "roads" / name
    pois = read_osm_pois(path)
    assert pois.rows_read == pois.rows_used + pois.rows_rejected
    assert str(pois.data.crs) == "EPSG:28992"
    places = read_places(path)
    assert places.rows_read == places.rows_used + places.rows_rejected
    stamp = osm_data_timestamp(path)
    assert stamp is not None and stamp.date().isoformat() == newest
    if pois.rows_used:  # the Amsterdam extract has sports pitches; they lie in Amsterdam-Oost
        lonlat = pois.data.to_crs("EPSG:4326").geometry
        assert lonlat.x.between(4.91, 4.95).all() and lonlat.y.between(52.33, 52.36).all()


def test_synth_timestamp_absent(synth_dir: Path) -> None:
    # the synthetic extract is written without timestamps or replication header
    assert osm_data_timestamp(synth_dir / "drenthe-synth.osm.pbf") is None


# --------------------------------------------------- lifecycle and coverage (#11, #14)
def test_lifecycle_prefixed_aeds_are_read_as_aeds(tmp_path: Path) -> None:
    nodes = {
        1: (6.56, 52.99, {"emergency": "defibrillator"}),
        2: (6.561, 52.99, {"disused:emergency": "defibrillator"}),
        3: (6.562, 52.99, {"was:emergency": "defibrillator", "note": "weg"}),
        4: (6.563, 52.99, {"disused:amenity": "school"}),  # not an AED
    }
    path = _write_osm(tmp_path / "aeds.osm", nodes, {}, {})
    res = read_osm_pois(path, kinds=["aed"])
    assert res.data["osm_id"].tolist() == [1, 2, 3]
    assert set(res.data["kind"]) == {"aed"}
    from bereikbaar.inputs.aeds import aeds_from_osm

    assert aeds_from_osm(res.data)["aed_id"].tolist() == ["osm:n1"]


def test_extract_that_misses_the_area_is_an_input_error(small_osm: Path) -> None:
    x, y = TO_RD.transform(6.56, 52.99)
    far = shapely.box(x + 50_000, y + 50_000, x + 60_000, y + 60_000)  # 50+ km away
    with pytest.raises(
        InputError,
        match=r"small\.osm: the OSM extract does not cover the study area.*set inputs\.osm",
    ):
        read_osm_pois(small_osm, area=far)
    with pytest.raises(InputError, match="does not cover the study area"):
        read_places(small_osm, area=far)
    # an area the extract does reach but that holds no POI is fine: 0 rows, no error
    near = shapely.box(x - 2_000, y - 2_000, x - 1_000, y - 1_000)
    res = read_osm_pois(small_osm, area=near)
    assert len(res.data) == 0 and res.rows_read == res.rows_rejected
