"""Networks outside the Netherlands: real Liechtenstein and Andorra extracts (2021).

The working CRS is the local UTM zone (``working_crs_for``); edge lengths are geodesic.
Node and edge sets are compared with ``osmnx.graph_from_xml`` on the same ways (OSMnx reads
XML, so the extract's passing ways are written to XML with pyosmium first), and the total
length with OSMnx's great-circle lengths and an independent geodesic measurement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from bereikbaar._crs import RD_NEW
from bereikbaar.errors import InputError
from bereikbaar.network import build_network, way_passes, working_crs_for
from tests.test_network import _geodesic_lengths, _osmnx_reference, _way_tags

REGIONS = {
    # extract, a point inside (lon, lat), its UTM zone
    "liechtenstein": ("roads/liechtenstein_2021.osm.pbf", (9.55, 47.15), "EPSG:32632"),
    "andorra": ("roads/andorra_2021.osm.pbf", (1.55, 42.55), "EPSG:32631"),
}


def _filtered_xml(pbf: Path, mode: str, out: Path) -> Path:
    """The ways of ``pbf`` that pass the ``mode`` filter and their nodes, as OSM XML."""
    import osmium

    if out.is_file():
        return out
    ways, nodes = set(), set()
    for w in osmium.FileProcessor(str(pbf), osmium.osm.WAY):
        if way_passes({t.k: t.v for t in w.tags}, mode):
            ways.add(w.id)
            nodes.update(n.ref for n in w.nodes)
    tmp = out.with_suffix(".part.osm")
    writer = osmium.SimpleWriter(str(tmp))
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
        if (obj.is_node() and obj.id in nodes) or (obj.is_way() and obj.id in ways):
            writer.add(obj)
    writer.close()
    tmp.rename(out)
    return out


@pytest.fixture(scope="session")
def xml_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("region-xml")


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_working_crs_of_the_regions(region):
    _, (lon, lat), utm = REGIONS[region]
    assert working_crs_for(lon, lat) == utm


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["drive", "walk"])
@pytest.mark.parametrize("region", sorted(REGIONS))
def test_region_network_agrees_with_osmnx(data_dir, xml_dir, region, mode):
    rel, (lon, lat), utm = REGIONS[region]
    pbf = data_dir / rel
    net = build_network(pbf, mode, crs=working_crs_for(lon, lat))
    assert net.crs == utm
    xml = _filtered_xml(pbf, mode, xml_dir / f"{region}-{mode}.osm")
    ref = _osmnx_reference(xml, _way_tags(pbf), mode, retain_all=False)
    # the same nodes and the same directed edges (as OSM node id pairs, with multiplicity)
    assert set(net.node_osmid.tolist()) == set(ref.nodes)
    ours = sorted(
        zip(net.node_osmid[net.edge_u].tolist(), net.node_osmid[net.edge_v].tolist(), strict=True)
    )
    assert ours == sorted((u, v) for u, v, _ in ref.edges(keys=True))
    # lengths: the geometries' length on the ellipsoid, measured independently ...
    total_m = float(net.edge_length_m.sum())
    assert total_m == pytest.approx(float(_geodesic_lengths(net).sum()), rel=1e-6)
    # ... within 0.5% of OSMnx's great-circle lengths (a sphere, not the ellipsoid) ...
    ref_m = sum(d["length"] for _, _, d in ref.edges(data=True))
    assert total_m == pytest.approx(ref_m, rel=0.005)
    # ... and the UTM plane's own metres stay within its 0.1% scale error of them
    assert float(shapely.length(net.edge_geometry).sum()) == pytest.approx(total_m, rel=1e-3)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_region_in_rd_new_fails_and_names_the_fix(data_dir, region):
    rel, _, utm = REGIONS[region]
    with pytest.raises(InputError, match="area of use") as info:
        build_network(data_dir / rel, "drive", crs=RD_NEW)
    message = str(info.value)
    assert "study_area.crs" in message and utm in message


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_rd_new_metres_would_be_off_there(data_dir, region):
    """Why the check exists: RD New's scale error grows with the distance from Amersfoort
    (about +0.24% in Liechtenstein, +0.75% in Andorra), while the UTM zone's stays near its
    central scale factor 0.9996 (-0.04%)."""
    import geopandas as gpd

    rel, _, utm = REGIONS[region]
    net = build_network(data_dir / rel, "drive", crs=utm)
    geodesic_m = float(net.edge_length_m.sum())
    utm_m = float(gpd.GeoSeries(net.edge_geometry, crs=net.crs).length.sum())
    rd_m = float(gpd.GeoSeries(net.edge_geometry, crs=net.crs).to_crs(RD_NEW).length.sum())
    utm_error, rd_error = abs(utm_m / geodesic_m - 1), abs(rd_m / geodesic_m - 1)
    assert utm_error < 1e-3
    assert rd_error > 2e-3 and rd_error > 5 * utm_error
    assert np.isfinite(rd_m)
