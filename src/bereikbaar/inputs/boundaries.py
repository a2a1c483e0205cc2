"""CBS municipality (*gemeente*) and province boundaries, and finding an area by name or code.

The boundaries come from the CBS/PDOK "gebiedsindelingen" GeoPackage (one layer per kind of
area, e.g. ``gemeente_gegeneraliseerd`` and ``provincie_gegeneraliseerd``), with the fields
``statcode`` (``GM0106`` for a municipality, ``PV22`` for a province) and ``statnaam``
(``Assen``, ``Drenthe``). Everything is returned in EPSG:28992 (RD New, metres).

:func:`area_geometry` turns whatever a caller hands in as an ``area`` (a shapely polygon, a
GeoSeries/GeoDataFrame in RD New or a row returned by :func:`find_area`) into one polygon;
the other readers in :mod:`bereikbaar.inputs` use it for their ``area`` argument.
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

from bereikbaar._crs import RD_NEW
from bereikbaar.errors import InputError, MissingInputError, UnknownAreaError, check_crs

log = logging.getLogger(__name__)

BOUNDARY_COLUMNS = ["statcode", "statnaam", "geometry"]

_CODE_RE = re.compile(r"^\s*([A-Za-z]{2})?\s*(\d{1,4})\s*$")
_KIND_BY_PREFIX = {"GM": "municipality", "PV": "province", "WK": "district", "BU": "neighbourhood"}


def read_municipalities(
    path: str | Path, *, layer: str = "gemeente_gegeneraliseerd"
) -> gpd.GeoDataFrame:
    """Read the municipality (*gemeente*) boundaries from a CBS gebiedsindelingen GeoPackage.

    Parameters
    ----------
    path
        The GeoPackage, e.g. ``cbsgebiedsindelingen2023.gpkg``.
    layer
        The layer with the municipalities.

    Returns
    -------
    GeoDataFrame
        ``statcode`` (``GM0106``), ``statnaam`` (``Assen``), ``geometry`` (MultiPolygon), in
        EPSG:28992, in the order of the file.

    Raises
    ------
    MissingInputError
        The file does not exist.
    InputError
        The layer does not exist (the message lists the layers) or lacks statcode/statnaam.
    """
    return _read_boundaries(path, layer=layer, what="municipality")


def read_provinces(
    path: str | Path, *, layer: str = "provincie_gegeneraliseerd"
) -> gpd.GeoDataFrame:
    """Read the province boundaries; same layout and errors as :func:`read_municipalities`."""
    return _read_boundaries(path, layer=layer, what="province")


def _read_boundaries(path: str | Path, *, layer: str, what: str) -> gpd.GeoDataFrame:
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
    if gdf.crs != RD_NEW:
        log.info("%s layer %s is in %s; converting to %s", path.name, layer, gdf.crs, RD_NEW)
        gdf = gdf.to_crs(RD_NEW)
    gdf = gdf[BOUNDARY_COLUMNS].copy()
    gdf["statcode"] = gdf["statcode"].astype(str).str.strip()
    gdf["statnaam"] = gdf["statnaam"].astype(str).str.strip()
    log.debug("read %d %s boundaries from %s layer %s", len(gdf), what, path.name, layer)
    return gdf.reset_index(drop=True)


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
        From :func:`read_municipalities`, EPSG:28992.
    province_geometry
        The province polygon (shapely, a GeoSeries, or a row from :func:`find_area`).

    Returns
    -------
    GeoDataFrame
        The matching rows sorted by ``statnaam`` with a fresh index (Drenthe: 12 rows).
    """
    check_crs(municipalities, RD_NEW, what="the municipalities")
    province = area_geometry(province_geometry)
    points = municipalities.geometry.representative_point()
    inside = shapely.within(points.values, province)
    out = municipalities.loc[inside].sort_values(["statnaam", "statcode"], kind="stable")
    return out.reset_index(drop=True)


def area_geometry(area: Any) -> BaseGeometry:
    """One (Multi)Polygon in EPSG:28992 from a shapely geometry, GeoSeries/GeoDataFrame or row.

    A GeoSeries or GeoDataFrame must carry EPSG:28992 (else :class:`~bereikbaar.errors.CrsError`)
    and is dissolved into one geometry. A row from :func:`find_area` gives its ``geometry``.
    A bare shapely geometry carries no CRS and is taken to be in RD New metres.
    """
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(area, RD_NEW, what="the area")
        geom = area.union_all()
    elif isinstance(area, pd.Series) and "geometry" in area.index:
        geom = area["geometry"]
    elif isinstance(area, BaseGeometry):
        geom = area
    else:
        raise InputError(
            f"area must be a shapely polygon in EPSG:28992, a GeoSeries/GeoDataFrame or a row "
            f"from find_area, not {type(area).__name__}",
            hint="e.g. area=find_area(read_municipalities(path), 'Assen')",
        )
    if not isinstance(geom, BaseGeometry) or geom.is_empty:
        raise InputError("area is empty; pass a polygon in EPSG:28992")
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise InputError(f"area must be a polygon, not a {geom.geom_type}")
    minx, miny, maxx, maxy = geom.bounds
    if max(abs(minx), abs(maxx)) < 181 and max(abs(miny), abs(maxy)) < 91:
        raise InputError(
            f"area bounds {tuple(round(b, 4) for b in geom.bounds)} look like degrees (lon/lat)",
            hint="convert to RD New first: gpd.GeoSeries([poly], crs=4326).to_crs(28992)",
        )
    shapely.prepare(geom)
    return geom
