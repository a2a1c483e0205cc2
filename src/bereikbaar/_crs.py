"""The working coordinate reference systems, named once.

Everything inside the package computes in one metric working CRS per study area
(:attr:`bereikbaar.study_area.StudyAreaData.crs`). For the Netherlands that is RD New
(EPSG:28992, metres); elsewhere the local UTM zone or ``study_area.crs``. Lat/lon
(EPSG:4326) appears only where coordinates are read and where web maps draw.

Analyses and writers take the working CRS from their inputs (``gdf.crs``, ``net.crs``)
with :func:`common_crs`, which also checks that the inputs agree.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

RD_NEW = "EPSG:28992"
"""Amersfoort / RD New: the Dutch national grid, metres."""

WGS84 = "EPSG:4326"
"""Longitude/latitude in degrees (GPS, OSM, Leaflet)."""


@lru_cache(maxsize=64)
def crs_name(crs: Any) -> str:
    """``"EPSG:32632"`` for anything pyproj reads as a CRS (else its WKT/PROJ text)."""
    from pyproj import CRS

    if isinstance(crs, str) and crs.upper().startswith("EPSG:"):
        return crs.upper()
    parsed = CRS.from_user_input(crs)
    found = parsed.to_authority(min_confidence=90)
    return f"{found[0]}:{found[1]}" if found else parsed.to_string()


def same_crs(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` name the same CRS (``"EPSG:28992"`` == ``28992`` == pyproj CRS)."""
    if a is None or b is None:
        return a is b
    return _same(a, b)


@lru_cache(maxsize=64)
def _same(a: Any, b: Any) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(a) == CRS.from_user_input(b)


def _crs_of(obj: Any) -> Any:
    crs = getattr(obj, "crs", None)
    if crs is None and hasattr(obj, "graph"):
        crs = obj.graph.get("crs")
    return crs


def common_crs(*named: tuple[Any, str], default: str | None = None, metric: bool = True) -> str:
    """The one CRS of several inputs, checked to agree.

    Parameters
    ----------
    named
        ``(obj, what)`` pairs: a GeoDataFrame/GeoSeries, a network (``.crs``) or a networkx
        graph (``G.graph["crs"]``), and a short description for the message. ``None``
        objects are skipped.
    default
        Returned when no object carries a CRS (e.g. every input is None).
    metric
        Refuse a geographic CRS (degrees): distances and squares need metres.

    Returns
    -------
    str
        The CRS (``"EPSG:28992"``, ``"EPSG:32632"``, ...) of the first object that has one.

    Raises
    ------
    NoCrsError
        An object carries no CRS.
    CrsError
        Two objects are in different CRSs (the message names both and the fix).
    """
    from bereikbaar.errors import CrsError, NoCrsError

    first: tuple[str, str] | None = None
    for obj, what in named:
        if obj is None:
            continue
        crs = _crs_of(obj)
        if crs is None:
            raise NoCrsError(
                f"{what} carries no CRS; set it first, e.g. gdf.set_crs('EPSG:4326') for "
                "lat/lon or gdf.set_crs(<the study area's working CRS>)"
            )
        if first is None:
            first = (crs_name(crs), what)
            if metric and _is_geographic(first[0]):
                raise CrsError(
                    f"{what} is in {first[0]} (degrees), expected a metric working CRS such "
                    f"as {RD_NEW} (RD New) or the local UTM zone; convert explicitly with "
                    f"gdf.to_crs('{RD_NEW}')"
                )
        elif not same_crs(crs, first[0]):
            raise CrsError(
                f"{what} is in {crs_name(crs)} but {first[1]} is in {first[0]}; all inputs of "
                f"one analysis must be in the study area's working CRS: convert with "
                f"gdf.to_crs('{first[0]}') (open_study_area does this for every input; "
                "study_area.crs in the config sets it)"
            )
    if first is None:
        if default is None:
            raise NoCrsError("no input carries a CRS")
        return default
    return first[0]


@lru_cache(maxsize=64)
def _is_geographic(crs: str) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(crs).is_geographic


@lru_cache(maxsize=32)
def transformer(source: str, target: str):
    """A cached ``pyproj.Transformer`` (x/lon first, ``always_xy``)."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def lat_lon(x_m: float, y_m: float, crs: str) -> tuple[float, float]:
    """``(lat, lon)`` in degrees of a point in ``crs``."""
    lon, lat = transformer(crs_name(crs), WGS84).transform(x_m, y_m)
    return float(lat), float(lon)
