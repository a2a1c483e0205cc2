"""CBS municipality (*gemeente*) and province boundaries, and finding an area by name or code.

The boundaries come from the CBS/PDOK "gebiedsindelingen" GeoPackage (one layer per kind of
area, e.g. ``gemeente_gegeneraliseerd`` and ``provincie_gegeneraliseerd``), with the fields
``statcode`` (``GM0106`` for a municipality, ``PV22`` for a province) and ``statnaam``
(``Assen``, ``Drenthe``). Everything is returned in the working CRS (``crs=``, default
EPSG:28992, RD New metres).

:func:`area_geometry` turns whatever a caller hands in as an ``area`` (a shapely polygon, a
GeoSeries/GeoDataFrame in RD New or a row returned by :func:`find_area`) into one polygon;
the other readers in :mod:`bereikbaar.inputs` use it for their ``area`` argument.

Checks where the boundaries enter:

* **Plausible coordinates for the CRS.** A layer whose numbers cannot be in its labelled
  CRS (RD New metres labelled EPSG:4326, degrees labelled EPSG:28992, or coordinates
  outside the CRS's area of use) is an :class:`~bereikbaar.errors.InputError` naming the
  right label, never a silent reprojection into nonsense.
* **Valid polygons.** An invalid polygon (a self-intersection, a bow-tie) is repaired with
  :func:`shapely.make_valid`, keeping its polygonal parts, and the area change is logged
  as a warning. A repair that changes the area by more than :data:`MAX_REPAIR_SHARE` (1%)
  is an :class:`~bereikbaar.errors.InputError`: such a polygon is damaged, not sloppy.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from bereikbaar._crs import RD_NEW, common_crs, same_crs
from bereikbaar.errors import InputError, MissingInputError, UnknownAreaError, check_crs

log = logging.getLogger(__name__)

BOUNDARY_COLUMNS = ["statcode", "statnaam", "geometry"]

#: Largest share of its area a polygon may change by when :func:`shapely.make_valid` repairs it.
MAX_REPAIR_SHARE = 0.01

_CODE_RE = re.compile(r"^\s*([A-Za-z]{2})?\s*(\d{1,4})\s*$")
_KIND_BY_PREFIX = {"GM": "municipality", "PV": "province", "WK": "district", "BU": "neighbourhood"}


def read_municipalities(
    path: str | Path, *, layer: str = "gemeente_gegeneraliseerd", crs: str | None = RD_NEW
) -> gpd.GeoDataFrame:
    """Read the municipality (*gemeente*) boundaries from a CBS gebiedsindelingen GeoPackage.

    Parameters
    ----------
    path
        The GeoPackage, e.g. ``cbsgebiedsindelingen2023.gpkg``.
    layer
        The layer with the municipalities.
    crs
        The working CRS to convert to (default RD New); ``None`` keeps the file's own CRS.

    Returns
    -------
    GeoDataFrame
        ``statcode`` (``GM0106``), ``statnaam`` (``Assen``), ``geometry`` (MultiPolygon), in
        ``crs``, in the order of the file.

    Raises
    ------
    MissingInputError
        The file does not exist.
    InputError
        The layer does not exist (the message lists the layers) or lacks statcode/statnaam.
    """
    return _read_boundaries(path, layer=layer, what="municipality", crs=crs)


def read_provinces(
    path: str | Path, *, layer: str = "provincie_gegeneraliseerd", crs: str | None = RD_NEW
) -> gpd.GeoDataFrame:
    """Read the province boundaries; same layout and errors as :func:`read_municipalities`."""
    return _read_boundaries(path, layer=layer, what="province", crs=crs)


def _read_boundaries(
    path: str | Path, *, layer: str, what: str, crs: str | None = RD_NEW
) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(
            f"{what} boundaries not found",
            path=path,
            hint="set inputs.boundaries in the config to the CBS gebiedsindelingen GeoPackage",
        )
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"cannot open as a GeoPackage/vector file: {exc}", path=path) from exc
    if layer not in layers:
        close = difflib.get_close_matches(layer, layers, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(
            f"layer {layer!r} does not exist",
            path=path,
            hint=f"{hint}layers in this file: {', '.join(layers)}",
        )
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    missing = [c for c in ("statcode", "statnaam") if c not in gdf.columns]
    if missing:
        raise InputError(
            f"layer {layer!r} lacks the column(s) {', '.join(missing)}",
            path=path,
            hint=f"columns found: {', '.join(map(str, gdf.columns))}; "
            "use a CBS gebiedsindelingen layer (statcode, statnaam)",
        )
    if gdf.crs is None:
        raise InputError(
            f"layer {layer!r} carries no CRS",
            path=path,
            hint="CBS boundaries are in EPSG:28992; set the CRS in the file (ogr2ogr -a_srs)",
        )
    check_plausible_crs(gdf, path=path, what=f"layer {layer!r}")
    if crs is not None and not same_crs(gdf.crs, crs):
        log.info("%s layer %s is in %s; converting to %s", path.name, layer, gdf.crs, crs)
        gdf = gdf.to_crs(crs)
    gdf = gdf[BOUNDARY_COLUMNS].copy()
    gdf["geometry"] = repair_polygons(gdf, path=path, what=f"layer {layer!r}")
    gdf["statcode"] = gdf["statcode"].astype(str).str.strip()
    gdf["statnaam"] = gdf["statnaam"].astype(str).str.strip()
    log.debug("read %d %s boundaries from %s layer %s", len(gdf), what, path.name, layer)
    return gdf.reset_index(drop=True)


def check_plausible_crs(
    gdf: gpd.GeoDataFrame, *, path: Path | None, what: str, raster: bool = False
) -> None:
    """Raise :class:`~bereikbaar.errors.InputError` when ``gdf``'s coordinates cannot be in its CRS.

    A geographic CRS (degrees) needs longitudes within ±180 and latitudes within ±90; a
    projected CRS needs data whose bounds, converted to degrees, overlap the CRS's area of
    use (with a 5° margin). Bounds in RD New's range labelled EPSG:4326 are named as such.
    ``raster=True`` (``gdf`` holds a raster's bounds) names ``gdal_edit.py`` as the fix.
    """

    def relabel(epsg: str) -> str:
        name = path.name if path else ("input.tif" if raster else "input.gpkg")
        if raster:
            return f"fix the label, e.g. gdal_edit.py -a_srs {epsg} {name}"
        return f"fix the label, e.g. ogr2ogr -a_srs {epsg} fixed.gpkg {name}"

    from pyproj import CRS

    if gdf.crs is None or len(gdf) == 0 or gdf.geometry.is_empty.all():
        return
    crs = CRS.from_user_input(gdf.crs)
    minx, miny, maxx, maxy = (float(b) for b in gdf.total_bounds)
    label = crs.to_string()
    rd_like = minx >= 0 and maxx <= 300_000 and miny >= 289_000 and maxy <= 629_000
    if crs.is_geographic:
        if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
            return
        guess = "RD New metres (EPSG:28992)" if rd_like else "metres of a projected CRS"
        raise InputError(
            f"{what} is labelled {label} (degrees) but its coordinates "
            f"({minx:.0f}, {miny:.0f})–({maxx:.0f}, {maxy:.0f}) look like {guess}",
            path=path,
            hint=relabel("EPSG:28992"),
        )
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        raise InputError(
            f"{what} is labelled {label} (metres) but its coordinates "
            f"({minx:.4f}, {miny:.4f})–({maxx:.4f}, {maxy:.4f}) look like degrees (lon/lat)",
            path=path,
            hint=relabel("EPSG:4326"),
        )
    use = crs.area_of_use
    if use is None:
        return
    lon0, lat0, lon1, lat1 = (
        gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=crs).to_crs(4326).total_bounds
    )
    margin = 5.0
    inside = (
        lon1 >= use.west - margin
        and lon0 <= use.east + margin
        and lat1 >= use.south - margin
        and lat0 <= use.north + margin
    )
    if not inside or not all(map(_finite, (lon0, lat0, lon1, lat1))):
        raise InputError(
            f"{what}: coordinates ({minx:.0f}, {miny:.0f})–({maxx:.0f}, {maxy:.0f}) lie outside "
            f"the area of use of its CRS {label} ({use.name})",
            path=path,
            hint=f"the CRS label of the file is wrong; {relabel('EPSG:...')}",
        )


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def repair_polygons(gdf: gpd.GeoDataFrame, *, path: Path | None, what: str) -> gpd.GeoSeries:
    """The geometries of ``gdf`` with invalid polygons repaired by :func:`shapely.make_valid`.

    Only the polygonal parts of a repair are kept. Each repair is logged as a warning with
    the area change; a change of more than :data:`MAX_REPAIR_SHARE` of the polygon's area
    (a bow-tie's lobes cancel in the unrepaired area) raises
    :class:`~bereikbaar.errors.InputError` naming the row.
    """
    geoms = gdf.geometry.to_numpy().copy()
    valid = shapely.is_valid(geoms) | shapely.is_missing(geoms)
    for pos in map(int, (~valid).nonzero()[0]):
        before = geoms[pos]
        after = _polygonal(shapely.make_valid(before))
        area0, area1 = float(before.area), float(after.area)
        share = abs(area1 - area0) / max(area0, area1, 1e-9)
        name = str(gdf.iloc[pos].get("statnaam", pos))
        reason = shapely.is_valid_reason(before)
        if share > MAX_REPAIR_SHARE:
            raise InputError(
                f"{what}: the polygon of {name} is invalid ({reason}); repairing it changes its "
                f"area from {area0 / 1e6:.3f} to {area1 / 1e6:.3f} km² ({share:.1%}, more than "
                f"{MAX_REPAIR_SHARE:.0%})",
                path=path,
                row=pos + 1,
                hint="the boundary is damaged; use the unchanged CBS gebiedsindelingen "
                "GeoPackage, or repair the polygon in QGIS (Vector > Geometry Tools > Fix)",
            )
        log.warning(  # m² too: a small repair of a large polygon rounds to 0.000%
            "%s %s: the polygon of %s was invalid (%s); repaired with make_valid, area "
            "changed by %.2g%% (%.0f m², from %.6f to %.6f km²)",
            path.name if path else "",
            what,
            name,
            reason,
            100 * share,
            abs(area1 - area0),
            area0 / 1e6,
            area1 / 1e6,
        )
        geoms[pos] = after
    return gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The (Multi)Polygon parts of a geometry (a make_valid result may add lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for g in parts for p in shapely.get_parts(g)]
    return shapely.MultiPolygon(polys) if polys else shapely.MultiPolygon()


def _normalise(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form of a name."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def _area_kind(codes: pd.Series) -> str:
    prefixes = codes.astype(str).str[:2].str.upper().unique()
    if len(prefixes) == 1 and prefixes[0] in _KIND_BY_PREFIX:
        return _KIND_BY_PREFIX[prefixes[0]]
    return "area"


def find_area(gdf: gpd.GeoDataFrame, name_or_code: str) -> pd.Series:
    """The row of ``gdf`` whose ``statnaam`` or ``statcode`` is ``name_or_code``.

    Matching ignores case, accents and extra spaces: ``"aa en hunze"``, ``"GM1680"``,
    ``"gm1680"`` and ``"1680"`` all find Aa en Hunze; ``"pv22"`` finds Drenthe in the
    provinces.

    Parameters
    ----------
    gdf
        Boundaries from :func:`read_municipalities` or :func:`read_provinces`.
    name_or_code
        A name (``statnaam``) or a code (``statcode``, with or without its two-letter prefix).

    Returns
    -------
    pandas.Series
        The row (``statcode``, ``statnaam``, ``geometry``); its ``name`` is the index label.

    Raises
    ------
    UnknownAreaError
        Nothing matches (the message suggests the closest names), or a name matches more
        than one area (the message lists their codes).
    """
    kind = _area_kind(gdf["statcode"])
    query = str(name_or_code)
    wanted = _normalise(query)
    names = gdf["statnaam"].map(_normalise)
    codes = gdf["statcode"].map(_normalise)
    hits = gdf.index[(names == wanted) | (codes == wanted)]
    if len(hits) == 0:
        code = _CODE_RE.match(query)
        if code is not None:
            prefix = (code.group(1) or "").casefold()
            number = int(code.group(2))
            digits = gdf["statcode"].str.extract(r"^([A-Za-z]*)(\d+)$")
            same_prefix = (digits[0].str.casefold() == prefix) if prefix else True
            hits = gdf.index[same_prefix & (pd.to_numeric(digits[1]) == number)]
    if len(hits) == 1:
        return gdf.loc[hits[0]]
    if len(hits) > 1:
        listed = ", ".join(f"{gdf.at[i, 'statcode']} {gdf.at[i, 'statnaam']}" for i in hits)
        raise UnknownAreaError(
            f"{kind.capitalize()} {query!r} is ambiguous: it matches {listed}; "
            "pass the statcode instead"
        )
    by_norm = dict(zip(names, gdf["statnaam"], strict=True))
    close = difflib.get_close_matches(wanted, list(by_norm), n=3, cutoff=0.6)
    if close:
        suggestion = " or ".join(repr(by_norm[c]) for c in close)
        raise UnknownAreaError(f"Unknown {kind} {query!r}; did you mean {suggestion}?")
    raise UnknownAreaError(
        f"Unknown {kind} {query!r}; none of the {len(gdf)} names or codes in the boundaries "
        f"is close (examples: {', '.join(gdf['statnaam'].head(3))}, ...)"
    )


def municipalities_in(municipalities: gpd.GeoDataFrame, province_geometry: Any) -> gpd.GeoDataFrame:
    """The municipalities whose representative point lies inside the province.

    A representative point (always inside the polygon) is used rather than an overlap
    test, because the generalised municipality and province outlines do not coincide
    exactly along their borders.

    Parameters
    ----------
    municipalities
        From :func:`read_municipalities`, in the working CRS (RD New by default).
    province_geometry
        The province polygon (shapely, a GeoSeries, or a row from :func:`find_area`), in
        the same CRS.

    Returns
    -------
    GeoDataFrame
        The matching rows sorted by ``statnaam`` with a fresh index (Drenthe: 12 rows).
    """
    crs = common_crs((municipalities, "the municipalities"))
    province = area_geometry(province_geometry, crs=crs)
    points = municipalities.geometry.representative_point()
    inside = shapely.within(points.values, province)
    out = municipalities.loc[inside].sort_values(["statnaam", "statcode"], kind="stable")
    return out.reset_index(drop=True)


def area_geometry(area: Any, *, crs: str = RD_NEW) -> BaseGeometry:
    """One (Multi)Polygon in ``crs`` from a shapely geometry, GeoSeries/GeoDataFrame or row.

    A GeoSeries or GeoDataFrame must carry ``crs`` (the working CRS, default EPSG:28992;
    else :class:`~bereikbaar.errors.CrsError`) and is dissolved into one geometry. A row
    from :func:`find_area` gives its ``geometry``. A bare shapely geometry carries no CRS
    and is taken to be in ``crs``'s metres.
    """
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(area, crs, what="the area")
        geom = area.union_all()
    elif isinstance(area, pd.Series) and "geometry" in area.index:
        geom = area["geometry"]
    elif isinstance(area, BaseGeometry):
        geom = area
    else:
        raise InputError(
            f"area must be a shapely polygon in the working CRS, a GeoSeries/GeoDataFrame or a row "
            f"from find_area, not {type(area).__name__}",
            hint="e.g. area=find_area(read_municipalities(path), 'Assen')",
        )
    if not isinstance(geom, BaseGeometry) or geom.is_empty:
        raise InputError("area is empty; pass a polygon in the working CRS")
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise InputError(f"area must be a polygon, not a {geom.geom_type}")
    minx, miny, maxx, maxy = geom.bounds
    if max(abs(minx), abs(maxx)) < 181 and max(abs(miny), abs(maxy)) < 91:
        raise InputError(
            f"area bounds {tuple(round(b, 4) for b in geom.bounds)} look like degrees (lon/lat)",
            hint="convert to the working CRS first: "
            f"gpd.GeoSeries([poly], crs=4326).to_crs({crs!r})",
        )
    shapely.prepare(geom)
    return geom
