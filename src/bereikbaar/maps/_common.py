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


def lonlat_int_distinct(
    x: np.ndarray, y: np.ndarray, *, crs: Any = RD_NEW
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lonlat_int` that transforms each distinct point once (cell corners shared by
    neighbouring cells, vertices shared by white spots): the same numbers, fewer points."""
    xy = np.empty(np.size(x), dtype=complex)
    xy.real, xy.imag = np.ravel(x), np.ravel(y)
    distinct, which = np.unique(xy, return_inverse=True)
    lon, lat = lonlat_int(distinct.real, distinct.imag, crs=crs)
    shape = np.shape(x)
    return lon[which].reshape(shape), lat[which].reshape(shape)


def _latlon_pairs(xy: np.ndarray, crs: Any) -> list[list[int]]:
    """``[[lat, lon], …]`` (1e-5 degree integers) of ``(n, 2)`` metres in ``crs``, in one
    transform (the same pipeline, rounding and numbers as converting geometry by geometry)."""
    if not len(xy):
        return []
    lon, lat = lonlat_int_distinct(xy[:, 0], xy[:, 1], crs=crs)
    return np.stack([lat, lon], axis=1).tolist()


def _parts_and_rings(
    g: np.ndarray, *, simplify_m: float, polygons_only: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (non-empty) geometries' parts and their rings or lines, in drawing order.

    Returns the geometry index of every kept part, the part index of every ring or line,
    and the rings/lines themselves (shapely objects, working CRS).
    """
    import shapely

    if simplify_m:
        g = shapely.simplify(g, simplify_m, preserve_topology=True)
    live = np.flatnonzero(~(shapely.is_missing(g) | shapely.is_empty(g)))
    parts, part_geom = shapely.get_parts(g[live], return_index=True)
    types = shapely.get_type_id(parts)
    is_polygon = types == shapely.GeometryType.POLYGON
    keep = is_polygon if polygons_only else is_polygon | np.isin(types, (1, 2))
    parts, part_geom, is_polygon = parts[keep], live[part_geom[keep]], is_polygon[keep]
    poly_at = np.flatnonzero(is_polygon)
    rings, ring_poly = shapely.get_rings(parts[poly_at], return_index=True)
    line_at = np.flatnonzero(~is_polygon)
    owner = np.concatenate([poly_at[ring_poly], line_at])
    lines = np.concatenate([rings, parts[line_at]])
    order = np.argsort(owner, kind="stable")
    return part_geom, owner[order], lines[order]


def _split(values: list, counts: np.ndarray) -> list[list]:
    ends = np.cumsum(counts).tolist()
    starts = [0, *ends[:-1]] if ends else []
    return [values[a:b] for a, b in zip(starts, ends, strict=True)]


def geometry_parts(
    geoms: Any, *, simplify_m: float = 0.0, polygons_only: bool = True
) -> list[list]:
    """Every geometry of a GeoSeries (working CRS) as lon/lat parts, all in one transform.

    With ``polygons_only`` each geometry becomes a list of polygons, each a list of rings
    (outer first) of ``[lat, lon]`` (1e-5 degree integers); otherwise a list of its lines
    and polygon rings. Empty or missing geometries give ``[]``. Polygons are simplified in
    metres first (``simplify_m``, topology kept).
    """
    import shapely

    g = np.asarray(geoms.values, dtype=object)
    # Each distinct geometry once (a white spot shows at several moments); equal WKB, equal
    # drawing, and the drawn lists are shared.
    seen: dict[Any, int] = {}
    firsts: list[int] = []
    which: list[int] = []
    for i, key in enumerate(shapely.to_wkb(g).tolist()):
        k = seen.setdefault(key, len(firsts))
        if k == len(firsts):
            firsts.append(i)
        which.append(k)
    if len(firsts) == len(g):
        return _geometry_parts(g, geoms.crs, simplify_m, polygons_only=polygons_only)
    drawn = _geometry_parts(g[firsts], geoms.crs, simplify_m, polygons_only=polygons_only)
    return [drawn[k] for k in which]


def _geometry_parts(
    g: np.ndarray, crs: Any, simplify_m: float, *, polygons_only: bool
) -> list[list]:
    import shapely

    part_geom, ring_part, lines = _parts_and_rings(
        g, simplify_m=simplify_m, polygons_only=polygons_only
    )
    xy, coord_line = shapely.get_coordinates(lines, return_index=True)
    pairs = _latlon_pairs(xy, crs)
    per_line = _split(pairs, np.bincount(coord_line, minlength=len(lines)))
    out: list[list] = [[] for _ in range(len(g))]
    if polygons_only:
        per_part = _split(per_line, np.bincount(ring_part, minlength=len(part_geom)))
        for gi, rings in zip(part_geom.tolist(), per_part, strict=True):
            out[gi].append(rings)
    else:
        for gi, line in zip(part_geom[ring_part].tolist(), per_line, strict=True):
            out[gi].append(line)
    return out


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


def values(frame: Any, column: str) -> list[Any]:
    """The values of ``column`` as plain Python values (``None`` each when it is absent)."""
    if column not in frame.columns:
        return [None] * len(frame)
    series = frame[column]
    if isinstance(series.dtype, np.dtype):
        return series.tolist()
    # Extension types (str, boolean, Int64): in one go, missing values as None.
    return series.to_numpy(dtype=object, na_value=None).tolist()


def number_column(frame: Any, column: str, decimals: int = 1) -> list[float | None]:
    """:func:`number` of every value of ``column``: the same numbers, vectorised.

    Python's ``round`` rounds the exact binary value; ``rint(x * 10**d) / 10**d`` gives the
    same float unless ``x * 10**d`` lies within rounding error of a half, and those few
    values (and anything not numeric) go through :func:`number` itself.
    """
    raw = values(frame, column)
    try:
        x = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        return [number(v, decimals) for v in raw]
    scale = 10.0**decimals
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * scale
        tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
        tie |= np.abs(scaled) >= 2.0**31
    rounded = np.rint(scaled) / scale
    if not decimals:
        rounded += 0.0  # float(round(-0.3)) is 0.0, rint(-0.3) is -0.0
    out = rounded.tolist()
    finite = np.isfinite(x)
    for i in np.flatnonzero(~finite | tie).tolist():
        out[i] = number(raw[i], decimals) if finite[i] else None
    return out


def text_column(frame: Any, column: str) -> list[str]:
    """:func:`text` of every value of ``column``."""
    return [v.strip() if type(v) is str else text(v) for v in values(frame, column)]


def flag_column(frame: Any, column: str) -> list[bool | None]:
    """:func:`flag` of every value of ``column``."""
    return [flag(v) for v in values(frame, column)]


def rows(keys: tuple[str, ...], columns: tuple[list, ...]) -> list[dict[str, Any]]:
    """One dict per row from equally long ``columns``, keys in the order of ``keys``."""
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


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
    return geometry_parts(gpd.GeoSeries([geom], crs=crs), simplify_m=OUTLINE_SIMPLIFY_M)[0]


def bounds_of(parts: list) -> list[list[int]]:
    lats = [p[0] for poly in parts for ring in poly for p in ring]
    lons = [p[1] for poly in parts for ring in poly for p in ring]
    if not lats:
        return [[5_270_000, 650_000], [5_310_000, 710_000]]  # Drenthe
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
