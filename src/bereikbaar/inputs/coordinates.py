"""Pure coordinate repair for register rows: one lat/lon pair at a time.

Register exports put coordinates in two text columns, ``lat`` and ``lon`` (WGS84 degrees),
and get them wrong in a few well-known ways. :func:`repair_lat_lon` tries, in this order:

1. **Parse** both values. A decimal comma is accepted (``"52,98"`` → 52.98, repair
   ``comma_decimal``); with both ``.`` and ``,`` the last one is the decimal mark.
2. **As given**: a valid lat/lon (|lat| ≤ 90, |lon| ≤ 180) inside the study area is ``ok``.
3. **Swapped**: the pair read as (lon, lat) lies inside the study area while the given one
   does not → repaired (``swapped_lat_lon``).
4. **RD New metres** (EPSG:28992) in the lat/lon columns (values like 553728.5 / 259689.1):
   both orders are tried, ``x = lon, y = lat`` and ``x = lat, y = lon``; the one inside the
   study area is kept and converted to lat/lon with pyproj (``rd_coordinates``).
5. Otherwise the pair is **rejected**: ``missing_coordinates`` (a value is empty),
   ``not_a_number``, ``out_of_range`` (neither degrees nor RD metres) or
   ``outside_study_area`` (valid, but outside; the hint gives the distance).

The study area is a shapely (Multi)Polygon in the working CRS (``crs=``, default RD New,
EPSG:28992), usually the province buffered by ``study_area.buffer_m``; the ``x_rd``/``y_rd``
of a result are metres in that CRS. Functions here never log or raise for a bad value: they return a
:class:`CoordinateResult` that the register reader turns into issue-log entries.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from bereikbaar._crs import RD_NEW, crs_name, same_crs, transformer

WGS84_CRS = "EPSG:4326"
# Plausible RD New coordinates (the RD grid of the Netherlands, with a margin).
RD_X_RANGE_M = (-7_000.0, 300_000.0)
RD_Y_RANGE_M = (289_000.0, 629_000.0)

CoordinateAction = Literal["ok", "repaired", "rejected"]


@dataclass(frozen=True)
class CoordinateRepair:
    """One repair applied to a pair: ``reason``, which value(s) (``lat``, ``lon``, ``lat,lon``)."""

    reason: str
    which: str
    hint: str


@dataclass(frozen=True)
class CoordinateResult:
    """The outcome for one pair.

    Attributes
    ----------
    lat, lon
        WGS84 degrees after repair (NaN when rejected and unusable).
    x_rd, y_rd
        RD New metres (EPSG:28992) of the same point (NaN when unusable).
    action
        ``ok``, ``repaired`` or ``rejected``.
    reason
        ``""`` when ok; the repair reasons joined with ``;``; or the rejection reason.
    hint
        How to fix the source row (empty when ok).
    repairs
        The individual repairs (a pair can have a decimal comma *and* be swapped).
    which
        For a rejection: the value(s) at fault, ``lat``, ``lon`` or ``lat,lon``.
    """

    lat: float
    lon: float
    x_rd: float
    y_rd: float
    action: CoordinateAction
    reason: str = ""
    hint: str = ""
    repairs: tuple[CoordinateRepair, ...] = ()
    which: str = "lat,lon"


@lru_cache(maxsize=1)
def _to_rd() -> Transformer:
    return Transformer.from_crs(WGS84_CRS, RD_NEW, always_xy=True)


@lru_cache(maxsize=1)
def _to_wgs84() -> Transformer:
    return Transformer.from_crs(RD_NEW, WGS84_CRS, always_xy=True)


def lat_lon_to_rd(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 degrees → RD New ``(x_m, y_m)``."""
    x, y = _to_rd().transform(lon, lat)
    return float(x), float(y)


def rd_to_lat_lon(x_m: float, y_m: float) -> tuple[float, float]:
    """RD New metres → WGS84 ``(lat, lon)``."""
    lon, lat = _to_wgs84().transform(x_m, y_m)
    return float(lat), float(lon)


def parse_decimal(value: object) -> tuple[float | None, bool]:
    """Read a number written with a decimal point or comma.

    Returns ``(number, used_comma)``; ``(None, False)`` for an empty value and
    ``(nan, False)`` for text that is no number. ``"52,98"`` → ``(52.98, True)``;
    ``"553.728,5"`` → ``(553728.5, True)``; ``"1,234.5"`` → ``(1234.5, False)``.
    """
    if value is None:
        return None, False
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        v = float(value)
        return (None, False) if math.isnan(v) else (v, False)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text == "" or text.lower() in ("nan", "na", "null", "none", "-"):
        return None, False
    used_comma = False
    if "," in text:
        if "." in text and text.rfind(".") > text.rfind(","):
            text = text.replace(",", "")  # 1,234.5: comma groups thousands
        else:
            text = (
                text.replace(".", "").replace(",", ".") if "." in text else text.replace(",", ".")
            )
            used_comma = True
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        return math.nan, used_comma
    return float(text), used_comma


def _inside(area, x: float, y: float) -> bool:
    return bool(shapely.contains_xy(area, x, y))


def _is_degrees(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def _is_rd(x: float, y: float) -> bool:
    return RD_X_RANGE_M[0] <= x <= RD_X_RANGE_M[1] and RD_Y_RANGE_M[0] <= y <= RD_Y_RANGE_M[1]


def _rejected(reason: str, hint: str, *, which: str = "lat,lon", lat=math.nan, lon=math.nan,
              x=math.nan, y=math.nan) -> CoordinateResult:  # fmt: skip
    return CoordinateResult(lat, lon, x, y, "rejected", reason, hint, (), which)


def repair_lat_lon(
    lat_value: object, lon_value: object, *, study_area, crs: str = RD_NEW
) -> CoordinateResult:
    """Check and, where the error is recognisable, repair one lat/lon pair.

    Parameters
    ----------
    lat_value, lon_value
        The raw values of the latitude and longitude columns (text or numbers).
    study_area
        A shapely (Multi)Polygon in ``crs`` (metres); usually already buffered.
    crs
        The working CRS (default RD New): ``x_rd``/``y_rd`` of the result are in it.

    Returns
    -------
    CoordinateResult
        See the module docstring for the order of the checks and the reasons.
    """
    shapely.prepare(study_area)
    parsed = _parse_pair(lat_value, lon_value)
    if isinstance(parsed, CoordinateResult):
        return parsed
    lat, lon, repairs = parsed
    to_work = transformer(WGS84_CRS, crs_name(crs))
    placed = _place(lat, lon, study_area, crs, to_work)
    if placed is None:
        return _not_placed(lat, lon, study_area, to_work)
    la, lo, x, y, fix = placed
    reps = repairs + ((fix,) if fix else ())
    if not reps:
        return CoordinateResult(la, lo, x, y, "ok")
    return CoordinateResult(
        la, lo, x, y, "repaired",
        ";".join(r.reason for r in reps), "; ".join(r.hint for r in reps), reps,
    )  # fmt: skip


def _parse_pair(lat_value: object, lon_value: object):
    """``(lat, lon, repairs)`` as numbers (a decimal comma is a repair), or the rejection."""
    lat, lat_comma = parse_decimal(lat_value)
    lon, lon_comma = parse_decimal(lon_value)
    if lat is None or lon is None:
        which = "lat,lon" if lat is None and lon is None else ("lat" if lat is None else "lon")
        return _rejected(
            "missing_coordinates",
            f"{which} is empty; fill in both lat and lon (WGS84 degrees)",
            which=which,
        )
    if math.isnan(lat) or math.isnan(lon):
        which = "lat" if math.isnan(lat) else "lon"
        bad = lat_value if which == "lat" else lon_value
        return _rejected(
            "not_a_number",
            f"{which} {bad!r} is not a number; write decimal degrees such as 52.98",
            which=which,
        )
    if not (lat_comma or lon_comma):
        return lat, lon, ()
    which = "lat,lon" if lat_comma and lon_comma else ("lat" if lat_comma else "lon")
    fix = CoordinateRepair(
        "comma_decimal", which, "decimal comma read as a point; export with '.' decimals"
    )
    return lat, lon, (fix,)


def _place(lat: float, lon: float, study_area, crs: str, to_work):
    """``(lat, lon, x, y, repair or None)`` of the first reading that lies in the study
    area: as given, swapped, or as RD New metres (either order); None when none does."""
    if _is_degrees(lat, lon):
        x, y = (float(v) for v in to_work.transform(lon, lat))
        if _inside(study_area, x, y):
            return lat, lon, x, y, None
    if _is_degrees(lon, lat):
        xs, ys = (float(v) for v in to_work.transform(lat, lon))
        if _inside(study_area, xs, ys):
            fix = CoordinateRepair(
                "swapped_lat_lon",
                "lat,lon",
                f"lat {lat} and lon {lon} were swapped (the swapped point lies in the study "
                "area); swap the columns in the source",
            )
            return lon, lat, xs, ys, fix
    rd = same_crs(crs, RD_NEW)
    for x_rd, y_rd, order in ((lon, lat, "x in lon, y in lat"), (lat, lon, "x in lat, y in lon")):
        if not _is_rd(x_rd, y_rd):
            continue
        la, lo = rd_to_lat_lon(x_rd, y_rd)
        wx, wy = (x_rd, y_rd) if rd else (float(v) for v in to_work.transform(lo, la))
        if _inside(study_area, wx, wy):
            fix = CoordinateRepair(
                "rd_coordinates",
                "lat,lon",
                f"RD New metres ({order}) in the lat/lon columns, converted to WGS84; "
                "export WGS84 degrees instead",
            )
            return la, lo, wx, wy, fix
    return None


def _not_placed(lat: float, lon: float, study_area, to_work) -> CoordinateResult:
    """The rejection of a pair no reading puts in the study area."""
    if _is_degrees(lat, lon):
        x, y = (float(v) for v in to_work.transform(lon, lat))
        dist_km = shapely.distance(study_area, shapely.Point(x, y)) / 1000.0
        return _rejected(
            "outside_study_area",
            f"lat {lat}, lon {lon} lies {dist_km:.1f} km outside the study area; check the "
            "coordinates (neither swapping them nor reading them as RD metres helps)",
            lat=lat,
            lon=lon,
            x=x,
            y=y,
        )
    looks_rd = _is_rd(lon, lat) or _is_rd(lat, lon)
    return _rejected(
        "outside_study_area" if looks_rd else "out_of_range",
        (
            f"lat {lat}, lon {lon} look like RD New metres but lie outside the study area"
            if looks_rd
            else f"lat {lat}, lon {lon} are neither WGS84 degrees (lat within -90..90, lon "
            "within -180..180) nor RD New metres; correct the source row"
        ),
    )


_PLAIN_DECIMAL = r"[+-]?\d+(?:\.\d+)?"


def plain_lat_lon_to_rd(
    lat_values, lon_values, *, study_area, crs: str = RD_NEW
) -> tuple[np.ndarray, ...]:
    """The fast path of :func:`repair_lat_lon` for many pairs at once.

    Pairs written as plain decimal degrees (``52.98``; no comma, no exponent) that lie inside
    ``study_area`` as given are exactly the pairs :func:`repair_lat_lon` passes as ``ok``
    without a repair; they are converted in one call. Everything else is left to
    :func:`repair_lat_lon`.

    Returns
    -------
    tuple of numpy arrays
        ``(x_m, y_m, ok)``: metres in ``crs`` (default RD New; NaN where not ok) and the
        mask of pairs handled.
    """
    lat = pd.Series(list(lat_values), dtype="object").astype(str).str.strip()
    lon = pd.Series(list(lon_values), dtype="object").astype(str).str.strip()
    plain = (lat.str.fullmatch(_PLAIN_DECIMAL) & lon.str.fullmatch(_PLAIN_DECIMAL)).to_numpy(bool)
    la = np.full(len(lat), np.nan)
    lo = np.full(len(lat), np.nan)
    la[plain] = lat[plain].astype(float).to_numpy()
    lo[plain] = lon[plain].astype(float).to_numpy()
    ok = plain & (np.abs(la) <= 90.0) & (np.abs(lo) <= 180.0)
    x = np.full(len(lat), np.nan)
    y = np.full(len(lat), np.nan)
    if ok.any():
        x[ok], y[ok] = transformer(WGS84_CRS, crs_name(crs)).transform(lo[ok], la[ok])
        shapely.prepare(study_area)
        ok[ok] = shapely.contains_xy(study_area, x[ok], y[ok])
    x[~ok] = np.nan
    y[~ok] = np.nan
    return x, y, ok


def repair_lat_lon_many(lat_values, lon_values, *, study_area, crs: str = RD_NEW) -> pd.DataFrame:
    """:func:`repair_lat_lon` for aligned sequences; a DataFrame with one row per pair.

    Columns ``lat, lon, x_rd, y_rd, action, reason, hint`` (the index of ``lat_values``
    when it is a Series).
    """
    index = lat_values.index if isinstance(lat_values, pd.Series) else None
    rows = [
        repair_lat_lon(a, b, study_area=study_area, crs=crs)
        for a, b in zip(list(lat_values), list(lon_values), strict=True)
    ]
    return pd.DataFrame(
        {
            "lat": [r.lat for r in rows],
            "lon": [r.lon for r in rows],
            "x_rd": [r.x_rd for r in rows],
            "y_rd": [r.y_rd for r in rows],
            "action": [r.action for r in rows],
            "reason": [r.reason for r in rows],
            "hint": [r.hint for r in rows],
        },
        index=index,
    )
