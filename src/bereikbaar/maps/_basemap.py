"""A light base layer for offline maps: main roads and place names from the OSM extract.

:func:`basemap_from_network` turns the drive network (already built for the analyses) and
the places into one small GeoDataFrame; the writers take it as ``basemap=`` and draw the
major roads always, the smaller ones when zoomed in, and the place names, so a map sent by
e-mail can be read without internet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bereikbaar.maps import _common as c

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Road classes drawn at every zoom level, and those drawn from :data:`MINOR_FROM_ZOOM`.
MAJOR_HIGHWAYS = ("motorway", "trunk", "primary")
MINOR_HIGHWAYS = ("secondary", "tertiary")
MINOR_FROM_ZOOM = 12
#: Simplification of road lines before drawing (m).
ROAD_SIMPLIFY_M = 15.0
#: Place kinds labelled, with the zoom level from which their name shows.
PLACE_ZOOM = {"city": 8, "town": 9, "village": 11, "hamlet": 13}
#: How far around the municipality the base layer reaches (m).
BASEMAP_MARGIN_M = 3000.0


def basemap_from_network(
    net: Any,
    places: gpd.GeoDataFrame | None = None,
    *,
    area: Any = None,
    simplify_m: float = ROAD_SIMPLIFY_M,
) -> gpd.GeoDataFrame:
    """Roads and place names for a map's base layer (in the network's working CRS).

    Parameters
    ----------
    net
        A drive :class:`~bereikbaar.network.Network` (``edge_highway``, ``edge_geometry``,
        ``edge_reverse``); only ``motorway``/``trunk``/``primary`` (and ``_link``) and
        ``secondary``/``tertiary`` edges are kept, one direction each, merged and simplified.
    places
        Places (``name``, ``place``, point geometry in the network's CRS), e.g.
        ``read_places(...).data``; None for roads only.
    area
        A polygon (in the network's CRS) to clip to, e.g. the municipality buffered by 2 km.
    simplify_m
        Douglas–Peucker tolerance for the road lines (m).

    Returns
    -------
    GeoDataFrame
        ``layer`` (``"road"`` / ``"place"``), ``kind`` (``"major"``/``"minor"`` road, or
        the place kind), ``name`` (place name, ``""`` for roads), geometry.
    """
    import geopandas as gpd

    crs = c.common_crs((net, "the basemap's network"))
    rows = _road_rows(net, area=area, simplify_m=simplify_m)
    if places is not None and len(places):
        c.check_tables({"the basemap's network": net, "the basemap's places": places})
        pl = places if area is None else places[places.intersects(area)]
        for name, kind, geom in zip(pl["name"], pl["place"], pl.geometry, strict=True):
            if c.text(name) and c.text(kind) in PLACE_ZOOM:
                rows.append(
                    {"layer": "place", "kind": str(kind), "name": str(name), "geometry": geom}
                )
    return gpd.GeoDataFrame(rows, columns=["layer", "kind", "name", "geometry"], crs=crs)


def _road_edges(net: Any) -> tuple[np.ndarray, np.ndarray]:
    """The network's drawable road edges (one direction each), in edge order: their kind
    (``"major"``/``"minor"``) and geometry. Kept on the network, so each municipality's
    base layer only tests these edges against its area."""
    known = getattr(net, "_cache", {}).get(("basemap_roads",))
    if known is not None:
        return known
    highway = np.array([str(h).removesuffix("_link") for h in net.edge_highway], dtype=object)
    reverse = np.asarray(net.edge_reverse)
    keep_dir = (reverse < 0) | (np.arange(len(highway)) < reverse)
    kind = np.full(len(highway), "", dtype=object)
    kind[np.isin(highway, MAJOR_HIGHWAYS)] = "major"
    kind[np.isin(highway, MINOR_HIGHWAYS)] = "minor"
    at = np.flatnonzero((kind != "") & keep_dir)
    found = (kind[at], np.asarray(net.edge_geometry, dtype=object)[at])
    if isinstance(getattr(net, "_cache", None), dict):
        net._cache[("basemap_roads",)] = found
    return found


def _road_rows(net: Any, *, area: Any, simplify_m: float) -> list[dict[str, Any]]:
    import shapely

    kinds, geoms = _road_edges(net)
    if area is not None:
        shapely.prepare(area)
        inside = shapely.intersects(geoms, area)
    else:
        inside = np.ones(len(geoms), bool)
    rows = []
    for kind in ("major", "minor"):
        sel = (kinds == kind) & inside
        if not sel.any():
            continue
        merged = shapely.line_merge(shapely.union_all(geoms[sel]))
        merged = merged.simplify(simplify_m, preserve_topology=False)
        for part in getattr(merged, "geoms", [merged]):
            if not part.is_empty and part.length > 0:
                rows.append({"layer": "road", "kind": kind, "name": "", "geometry": part})
    return rows


def basemap_for_area(
    area: Any, outline: Any, *, margin_m: float = BASEMAP_MARGIN_M
) -> gpd.GeoDataFrame:
    """:func:`basemap_from_network` for a municipality from a study area's loaded inputs.

    Parameters
    ----------
    area
        A ``StudyAreaData`` (anything with ``network("drive")`` and ``places().data``).
    outline
        The municipality (GeoDataFrame/GeoSeries in the working CRS), e.g. ``result.outline``.
    margin_m
        How far around the municipality roads and names are kept (m).
    """
    c.check_tables({"the outline": outline})
    clip = outline.union_all().buffer(margin_m)
    return basemap_from_network(area.network("drive"), area.places().data, area=clip)


def basemap_payload(basemap: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """The base layer as JSON-ready roads (``[[lat, lon], …]``) and labels."""
    if basemap is None or not len(basemap):
        return {"roads": [], "places": [], "minor_from_zoom": MINOR_FROM_ZOOM}
    c.check_tables({"basemap": basemap})
    layer = basemap["layer"].to_numpy(dtype=object)
    kinds = [str(k) for k in basemap["kind"].tolist()]
    road_rows = []
    road = layer == "road"
    lines = c.geometry_parts(basemap.geometry[road], polygons_only=False)
    for kind, parts in zip(np.asarray(kinds, dtype=object)[road], lines, strict=True):
        for part in parts:
            if len(part) > 1:
                road_rows.append({"k": 0 if kind == "major" else 1, "p": part})
    place = np.flatnonzero(layer == "place")
    names = basemap["name"].tolist()
    place_rows = [
        {"n": str(names[i]), "z": PLACE_ZOOM.get(kinds[i], 13), "ll": ll}
        for i, ll in zip(
            place.tolist(), c.point_coords(basemap.geometry[layer == "place"]), strict=True
        )
    ]
    return {"roads": road_rows, "places": place_rows, "minor_from_zoom": MINOR_FROM_ZOOM}
