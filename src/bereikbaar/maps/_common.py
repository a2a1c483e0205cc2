"""Shared pieces of the two maps: coordinates, texts, palettes, bit packing.

Everything here turns result tables into plain JSON-ready values. No text is HTML-escaped
here: the payload travels as JSON in a ``<script type="application/json">`` block, and the
map's JavaScript inserts every text with ``textContent`` or its ``esc()`` function.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from bereikbaar._crs import RD_NEW, common_crs, crs_name
from bereikbaar.errors import BereikbaarError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Decimals kept for lon/lat (1e-5 degree is about 1 m in Drenthe); coordinates travel as
#: integers of 1e-5 degree.
COORD_SCALE = 100_000
#: Simplification tolerances before drawing (RD New metres).
AREA_SIMPLIFY_M = 10.0
OUTLINE_SIMPLIFY_M = 20.0

# Palettes (hex) from named, colour-blind-safe schemes; tests/test_map_palettes.py checks
# every pair of legend classes under simulated deuteranopia and protanopia.
#: "binnen bereik" / "niet binnen bereik": ColorBrewer RdYlBu, its two ends.
COVERED_COLOR = "#2c7bb6"
NOT_COVERED_COLOR = "#d7191c"
#: Share of the week covered, 5 classes of 20%: cividis (Nuñez et al. 2018) at 0.1 … 0.9.
SHARE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
SHARE_COLORS = ("#083370", "#4f576c", "#7d7c78", "#aea371", "#e5cf52")
#: Village meets / fails the chosen norm (same pair as covered / not covered), unknown.
NORM_MET_COLOR = COVERED_COLOR
NORM_FAILED_COLOR = NOT_COVERED_COLOR
UNKNOWN_COLOR = "#bdbdbd"
#: Number of norms a village fails: 0, 1, 2, 3, 4 or more (ColorBrewer YlOrBr, 5 classes;
#: YlOrRd's 3rd and 4th class fall to ΔE 9 under deuteranopia).
FAILED_COUNT_COLORS = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")


def palette() -> dict[str, Any]:
    """The colours the page's script uses (one source: the constants above)."""
    return {
        "covered": COVERED_COLOR,
        "not_covered": NOT_COVERED_COLOR,
        "share_bins": list(SHARE_BINS[1:-1]),
        "share_colors": list(SHARE_COLORS),
        "met": NORM_MET_COLOR,
        "failed": NORM_FAILED_COLOR,
        "unknown": UNKNOWN_COLOR,
        "failed_count": list(FAILED_COUNT_COLORS),
    }


def check_tables(tables: dict[str, Any]) -> None:
    """Every table must be in one metric working CRS, RD New in the Netherlands (the maps
    convert to lon/lat themselves)."""
    common_crs(*((gdf, what) for what, gdf in tables.items()))


@functools.cache
def _to_lonlat(crs: str = RD_NEW) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def lonlat_int(x: np.ndarray, y: np.ndarray, *, crs: Any = RD_NEW) -> tuple[np.ndarray, np.ndarray]:
    """Metres in ``crs`` (the working CRS, default RD New) to lon/lat as integers of 1e-5 degree."""
    lon, lat = _to_lonlat(crs_name(crs or RD_NEW)).transform(
        np.asarray(x, float), np.asarray(y, float)
    )
    return (
        np.round(np.asarray(lon) * COORD_SCALE).astype(np.int64),
        np.round(np.asarray(lat) * COORD_SCALE).astype(np.int64),
    )


def point_coords(gdf: gpd.GeoDataFrame) -> list[list[int]]:
    """``[[lat, lon], ...]`` (1e-5 degree integers) of point rows (polygons: a point inside)."""
    if len(gdf) == 0:
        return []
    geoms = gdf.geometry
    if not (geoms.geom_type == "Point").all():
        geoms = geoms.representative_point()
    lon, lat = lonlat_int(geoms.x.to_numpy(), geoms.y.to_numpy(), crs=gdf.crs)
    return [[int(a), int(b)] for a, b in zip(lat, lon, strict=True)]


def records(gdf: Any) -> list[dict[str, Any]]:
    """The rows of a table as plain dicts (without the geometry), fast."""
    frame = gdf.drop(columns=gdf.geometry.name) if hasattr(gdf, "geometry") else gdf
    return frame.to_dict("records")


def to_lonlat(geoms: Any, *, simplify_m: float = 0.0) -> Any:
    """A GeoSeries (working CRS, metres) simplified in metres, then in EPSG:4326, in one pass."""
    if simplify_m:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    return geoms.to_crs("EPSG:4326")


def _ring(part: Any) -> list[list[int]]:
    import shapely

    xy = np.round(shapely.get_coordinates(part) * COORD_SCALE).astype(np.int64)
    return xy[:, ::-1].tolist()  # [lat, lon]


def line_parts(geom_ll: Any) -> list[list[list[int]]]:
    """Lines, or polygon rings (outer first), of a lon/lat geometry as ``[[lat, lon], …]``."""
    if geom_ll is None or geom_ll.is_empty:
        return []
    parts: list[Any] = []
    for part in getattr(geom_ll, "geoms", [geom_ll]):
        if part.geom_type == "Polygon":
            parts += [part.exterior, *part.interiors]
        elif part.geom_type in ("LineString", "LinearRing"):
            parts.append(part)
    return [_ring(p) for p in parts]


def polygon_parts(geom_ll: Any) -> list[list[list[list[int]]]]:
    """A lon/lat (multi)polygon as a list of polygons, each a list of rings of ``[lat, lon]``."""
    if geom_ll is None or geom_ll.is_empty:
        return []
    return [line_parts(p) for p in getattr(geom_ll, "geoms", [geom_ll]) if p.geom_type == "Polygon"]


def text(value: Any) -> str:
    """Plain text of a value ('' when missing); escaping is the JavaScript's job."""
    if isna(value):
        return ""
    return str(value).strip()


def isna(value: Any) -> bool:
    """True for None, NaN, NA and NaT; False for anything list-like."""
    if value is None:
        return True
    if isinstance(value, str | bytes | list | tuple | set | dict) or hasattr(value, "__len__"):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, decimals: int = 1) -> float | None:
    """A finite float rounded to ``decimals`` (None when missing)."""
    if isna(value):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x):
        return None
    return round(x, decimals) if decimals else float(round(x))


def numbers(values: Any, decimals: int) -> list[float | None]:
    """:func:`number` over a sequence (vectorised)."""
    arr = np.round(np.asarray(values, dtype=float), decimals)
    return [v if math.isfinite(v) else None for v in arr.tolist()]


def flag(value: Any) -> bool | None:
    """A nullable boolean (None for NA)."""
    if isna(value):
        return None
    return bool(value)


def pack_bits(matrix: np.ndarray, *, what: str) -> str:
    """A bool ``(n, 168)`` matrix as base64 of ``n × 21`` bytes (row-major, MSB first)."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[1] != 168:
        raise BereikbaarError(f"{what} must be a (n, 168) boolean array, got shape {m.shape}")
    return base64.b64encode(np.packbits(m.astype(bool), axis=1).tobytes()).decode("ascii")


def css_slug(name: str) -> str:
    """A CSS class fragment from a machine name (never empty, only ``[a-z0-9-]``)."""
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "x"


def outline_payload(outline: Any) -> list:
    """The municipality outline as polygons of rings, and its bounds ``[[s, w], [n, e]]``."""
    import geopandas as gpd

    crs = common_crs((outline, "result.outline"))
    geom = outline.union_all() if hasattr(outline, "union_all") else outline
    ll = to_lonlat(gpd.GeoSeries([geom], crs=crs), simplify_m=OUTLINE_SIMPLIFY_M)
    return polygon_parts(ll.iloc[0])


def bounds_of(parts: list) -> list[list[int]]:
    lats = [p[0] for poly in parts for ring in poly for p in ring]
    lons = [p[1] for poly in parts for ring in poly for p in ring]
    if not lats:
        return [[5_270_000, 650_000], [5_310_000, 710_000]]  # Drenthe
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
