"""Hartveilig: how many residents an AED can reach in time, hour by hour.

*Hartveilig* ("heart-safe") is the Dutch label for a place where a cardiac arrest victim
gets CPR and an AED within six minutes. This module measures, for every populated grid
cell of a municipality (*gemeente*), whether an AED that is available at that hour is
close enough, where the uncovered residents live (*white spots*), where new 24/7 AEDs
would help most, and which indoor AEDs would help most if moved to an outdoor cabinet.

Coverage models (``HartveiligSettings.model``)
-----------------------------------------------
``fetch`` (default)
    A citizen responder (*burgerhulpverlener*) is alerted, walks to the nearest available
    AED and brings it to the victim. The time taken is the alert delay plus the AED→victim
    walking route at the responder speed (profile ``responder_profile``, 2.3 m/s) counted
    twice (to fetch and to bring), which must fit in the budget::

        max one-way route time = (budget_min − alert_delay_min) · 60 / 2  seconds
        6 min budget, 1 min delay → 150 s ≈ 345 m at 2.3 m/s

    The limit always follows from the settings (see :func:`coverage_threshold`).
``route``
    The AED→victim route time at profile ``route_profile`` is at most ``route_max_min``.
``radius``
    The straight-line distance from the AED to the cell centre is at most ``radius_m``
    (HartslagNu's 500 m circles); roads are ignored.

A cell is *covered at an hour* when at least one AED that is available in that hour lies
within the limit. Cells farther than ``max_snap_m`` from any road (*flagged*) are never
covered in any model, and their residents are reported as ``residents_unroutable``.

Availability
------------
Each AED carries ``open_hours``, 168 characters ``0``/``1`` (hour index = weekday·24 +
hour, Monday 00:00 = 0), and ``availability_status`` (``24/7``, ``limited``, ``unknown``).
AEDs with unknown hours are treated as always closed or always open, as
``settings.unknown_availability`` says; every result states which in its assumptions. A
moment (e.g. Wednesday 03:00) maps to hour ``weekday·24 + minute_of_day // 60``.

Minutes
-------
``minutes_<moment>`` is the one-way route time, in minutes, from the nearest AED available
at that moment to the cell centre (AED→victim, the leg the responder walks with the AED),
at the responder profile for ``fetch`` and ``route_profile`` otherwise. Beyond
``MINUTES_CUTOFF_MIN`` (30 min) it is NaN, shown on maps as "> 30 min".

How it stays fast
-----------------
Routing is done once: the AED→cell pairs within the one-way limit (a long table from
:func:`bereikbaar.routing.travel_times_within`) become a sparse ``(cells × AEDs)`` matrix
``A``; with the ``(AEDs × 168)`` availability matrix ``H`` the product ``A @ H`` counts,
for every cell and every hour of the week, the available AEDs in reach. Only the minutes
need one multi-source Dijkstra per moment.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from bereikbaar._crs import RD_NEW
from bereikbaar.config import HartveiligSettings, Moment, TravelProfile
from bereikbaar.errors import ConfigError, InputError, check_crs
from bereikbaar.inputs.population import cell_polygons
from bereikbaar.siting import greedy_max_coverage, max_coverage_ilp

log = logging.getLogger(__name__)

HOURS_PER_WEEK = 168
MINUTES_CUTOFF_MIN = 30.0
AED_STATUSES = ("24/7", "limited", "unknown")

__all__ = [
    "CoverageThreshold",
    "HartveiligResult",
    "availability_matrix",
    "compute_hartveilig",
    "coverage_by_hour",
    "coverage_threshold",
    "describe_model",
    "find_white_spots",
    "hour_of_week",
    "label_grid_clusters",
]


# ------------------------------------------------------------------ model and limit
@dataclass(frozen=True)
class CoverageThreshold:
    """The one-way AED→victim limit of a coverage model.

    Attributes
    ----------
    model
        ``fetch``, ``route`` or ``radius``.
    profile
        The travel profile the route is timed with (None for ``radius``).
    max_time_s
        One-way route time limit in seconds (None for ``radius``).
    max_distance_m
        ``fetch``/``route``: the same limit as a route length (time × profile speed, None
        for a drive profile, which has no single speed); ``radius``: ``radius_m``.
    """

    model: str
    profile: str | None
    max_time_s: float | None
    max_distance_m: float | None


def _profile(profiles: Mapping[str, TravelProfile], name: str, key: str) -> TravelProfile:
    try:
        return profiles[name]
    except KeyError:
        raise ConfigError(
            f"hartveilig.{key} names profile {name!r}, which is not defined; "
            f"defined profiles: {', '.join(profiles)}"
        ) from None


def coverage_threshold(
    settings: HartveiligSettings, profiles: Mapping[str, TravelProfile]
) -> CoverageThreshold:
    """The one-way AED→victim limit that follows from the settings.

    ``fetch``: ``(budget_min − alert_delay_min) · 60 / 2`` seconds at ``responder_profile``
    (6 min, 1 min, 2.3 m/s → 150 s, 345 m). ``route``: ``route_max_min · 60`` seconds at
    ``route_profile``. ``radius``: ``radius_m`` metres in a straight line.
    """
    if settings.model == "fetch":
        prof = _profile(profiles, settings.responder_profile, "responder_profile")
        spare_min = settings.budget_min - settings.alert_delay_min
        if spare_min <= 0:
            raise ConfigError(
                f"hartveilig: budget_min ({settings.budget_min}) must exceed alert_delay_min "
                f"({settings.alert_delay_min}); nothing is left for fetching the AED"
            )
        time_s = spare_min * 60.0 / 2.0
    elif settings.model == "route":
        prof = _profile(profiles, settings.route_profile, "route_profile")
        if settings.route_max_min <= 0:
            raise ConfigError("hartveilig: route_max_min must be > 0")
        time_s = settings.route_max_min * 60.0
    elif settings.model == "radius":
        if settings.radius_m <= 0:
            raise ConfigError("hartveilig: radius_m must be > 0")
        return CoverageThreshold("radius", None, None, float(settings.radius_m))
    else:
        raise ConfigError(
            f"hartveilig: model {settings.model!r} must be 'fetch', 'route' or 'radius'"
        )
    speed = prof.speed_mps
    dist = None if speed is None or prof.network == "drive" else time_s * speed
    return CoverageThreshold(settings.model, prof.name, float(time_s), dist)


def _minutes_profile(settings: HartveiligSettings, profiles) -> TravelProfile:
    if settings.model == "fetch":
        return _profile(profiles, settings.responder_profile, "responder_profile")
    return _profile(profiles, settings.route_profile, "route_profile")


def _num(x: float, digits: int = 1, *, nl: bool = True) -> str:
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"
    return text.replace(".", ",") if nl else text


def describe_model(
    settings: HartveiligSettings, profiles: Mapping[str, TravelProfile], *, language: str = "nl"
) -> str:
    """The sentence shown on maps that says when a cell counts as covered.

    Parameters
    ----------
    language
        ``"nl"`` (default, for the maps) or ``"en"``.
    """
    thr = coverage_threshold(settings, profiles)
    nl = language == "nl"
    if language not in ("nl", "en"):
        raise ConfigError(f"language must be 'nl' or 'en', got {language!r}")
    if thr.model == "radius":
        r = _num(thr.max_distance_m, 0, nl=nl)
        if nl:
            return f"Gedekt: een AED binnen {r} m hemelsbreed van het midden van de cel."
        return f"Covered: an AED within {r} m in a straight line of the cell centre."
    prof = profiles[thr.profile]
    speed = prof.speed_mps
    dist = "" if thr.max_distance_m is None else f" ≈ {_num(thr.max_distance_m, 0, nl=nl)} m"
    secs = _num(thr.max_time_s, 0, nl=nl)
    if thr.model == "fetch":
        budget = _num(settings.budget_min, 1, nl=nl)
        delay = _num(settings.alert_delay_min, 1, nl=nl)
        v = _num(speed, 1, nl=nl)
        if nl:
            return (
                f"Gedekt: een burgerhulpverlener haalt de dichtstbijzijnde beschikbare AED en "
                f"brengt die binnen {budget} min bij het slachtoffer ({delay} min alarmering, "
                f"daarna heen en terug lopen met {v} m/s): de AED ligt hooguit {secs} s"
                f"{dist} over de weg van het midden van de cel."
            )
        return (
            f"Covered: a citizen responder fetches the nearest available AED and brings it to "
            f"the victim within {budget} min ({delay} min alert delay, then walking there and "
            f"back at {v} m/s): the AED is at most {secs} s{dist} by road from the cell centre."
        )
    label = prof.label or prof.name
    mins = _num(settings.route_max_min, 1, nl=nl)
    if nl:
        return (
            f"Gedekt: een beschikbare AED ligt binnen {mins} min ({label}){dist} over de weg "
            f"van het midden van de cel."
        )
    return (
        f"Covered: an available AED within {mins} min ({label}){dist} by road of the cell centre."
    )


# ---------------------------------------------------------------------- availability
def hour_of_week(moment: Moment) -> int:
    """Hour index of a moment: ``weekday·24 + minute_of_day // 60`` (Monday 00:00 = 0)."""
    return moment.weekday * 24 + moment.minute_of_day // 60


def availability_matrix(
    status: Sequence[str], open_hours: Sequence[str], *, unknown: str = "closed"
) -> np.ndarray:
    """Bool ``(n_aeds, 168)``: AED available in hour ``h`` of the week.

    ``24/7`` AEDs are always available; ``limited`` AEDs follow ``open_hours``; ``unknown``
    AEDs (and ``limited`` ones whose ``open_hours`` is not 168 characters of 0/1, which
    are logged) are always closed or always open, per ``unknown``.
    """
    if unknown not in ("closed", "open"):
        raise ConfigError(f"unknown_availability must be 'closed' or 'open', got {unknown!r}")
    status = list(status)
    open_hours = list(open_hours)
    out = np.zeros((len(status), HOURS_PER_WEEK), dtype=bool)
    bad = 0
    for i, (s, hours) in enumerate(zip(status, open_hours, strict=True)):
        if s == "24/7":
            out[i] = True
            continue
        text = hours if isinstance(hours, str) else ""
        if s == "limited" and len(text) == HOURS_PER_WEEK and set(text) <= {"0", "1"}:
            out[i] = np.frombuffer(text.encode("ascii"), dtype=np.uint8) == ord("1")
            continue
        if s == "limited":
            bad += 1
        elif s != "unknown":
            raise InputError(
                f"AED {i}: availability_status {s!r} must be one of {AED_STATUSES}",
                column="availability_status",
            )
        out[i] = unknown == "open"
    if bad:
        log.warning(
            "%d AED(s) marked 'limited' without a valid 168-hour open_hours; treated as %s",
            bad,
            unknown,
        )
    return out


def coverage_by_hour(
    pair_cell: np.ndarray, pair_aed: np.ndarray, availability: np.ndarray, *, n_cells: int
) -> np.ndarray:
    """Bool ``(n_cells, 168)``: at least one available AED within the limit.

    Parameters
    ----------
    pair_cell, pair_aed
        Equal-length integer arrays: AED ``pair_aed[k]`` is within the one-way limit of
        cell ``pair_cell[k]`` (the long table of pairs).
    availability
        Bool ``(n_aeds, 168)`` from :func:`availability_matrix`.
    """
    A = _incidence(pair_cell, pair_aed, n_cells, availability.shape[0])
    counts = A @ availability.astype(np.int32)
    return np.asarray(counts) > 0


def _incidence(rows, cols, n_rows: int, n_cols: int) -> sp.csr_array:
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    A = sp.csr_array((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n_rows, n_cols))
    A.sum_duplicates()
    A.data[:] = 1
    return A


# ----------------------------------------------------------------------- white spots
def label_grid_clusters(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """Label grid cells that touch, including diagonally (8-connectivity).

    ``ix``, ``iy`` are integer grid positions (``x // cell_size``). Returns int64 labels
    numbered 0, 1, ... in order of each cluster's first cell.
    """
    ix = np.asarray(ix, dtype=np.int64)
    iy = np.asarray(iy, dtype=np.int64)
    n = len(ix)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ox, oy = ix.min() - 1, iy.min() - 1
    span = int(iy.max() - oy + 2)
    key = (ix - ox) * span + (iy - oy)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    rows, cols = [], []
    for dx, dy in ((1, -1), (1, 0), (1, 1), (0, 1)):
        nk = key + dx * span + dy
        pos = np.searchsorted(sorted_key, nk)
        pos = np.minimum(pos, n - 1)
        hit = sorted_key[pos] == nk
        rows.append(np.flatnonzero(hit))
        cols.append(order[pos[hit]])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    g = sp.csr_array((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    # renumber by first appearance
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[labels]


def _nearest_distance(tree_geoms: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Straight-line distance (m) from each query geometry to the nearest tree geometry."""
    out = np.full(len(query), np.nan)
    if len(tree_geoms) == 0 or len(query) == 0:
        return out
    tree = shapely.STRtree(tree_geoms)
    idx, dist = tree.query_nearest(query, return_distance=True, all_matches=False)
    out[idx[0]] = dist
    return out


def _nearest_names(
    place_geoms: np.ndarray, names: np.ndarray, query: np.ndarray, centres: np.ndarray
) -> list[str | None]:
    """Name of the nearest place to each polygon; ties (e.g. two places inside) go to the
    place nearest the polygon's centre, then the name."""
    out: list[str | None] = [None] * len(query)
    if len(place_geoms) == 0 or len(query) == 0:
        return out
    tree = shapely.STRtree(place_geoms)
    idx, dist = tree.query_nearest(query, return_distance=True, all_matches=True)
    best: dict[int, tuple] = {}
    for q, p, d in zip(idx[0], idx[1], dist, strict=True):
        key = (
            round(float(d), 6),
            float(shapely.distance(place_geoms[p], centres[q])),
            str(names[p]),
        )
        if q not in best or key < best[q][0]:
            best[q] = (key, names[p])
    for q, (_, name) in best.items():
        out[q] = (
            None if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
        )
    return out


WHITE_SPOT_COLUMNS = [
    "moment",
    "spot_id",
    "rank",
    "residents",
    "residents_65_plus",
    "area_km2",
    "n_cells",
    "nearest_village",
    "dist_nearest_aed_m",
    "dist_nearest_24_7_aed_m",
]


def find_white_spots(
    cells: gpd.GeoDataFrame,
    uncovered: np.ndarray,
    *,
    cell_size_m: float,
    moment: str,
    places: gpd.GeoDataFrame | None = None,
    aeds: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Merge uncovered populated cells into contiguous white spots.

    Parameters
    ----------
    cells
        Cell centroids (EPSG:28992) with ``residents`` and ``residents_65_plus``.
    uncovered
        Bool per cell: not covered at the moment. Only cells with residents > 0 count.
    cell_size_m
        Grid cell size (m); cells touching on a side or a corner are one spot.
    moment
        The moment's name, copied into the ``moment`` column.
    places
        Place points with ``name``: ``nearest_village`` is the place nearest the spot.
    aeds
        AED points with ``availability_status``: straight-line distance (m) from the spot
        polygon to the nearest AED (any hours) and the nearest 24/7 AED.

    Returns
    -------
    GeoDataFrame
        One row per spot (:data:`WHITE_SPOT_COLUMNS` plus the polygon, the union of the cell
        squares), ranked by residents (descending; ties by the spot's first cell), with
        ``spot_id`` = ``"<moment>-<rank>"``.
    """
    residents = cells["residents"].to_numpy(dtype=float)
    sel = np.flatnonzero(np.asarray(uncovered, dtype=bool) & (residents > 0))
    if len(sel) == 0:
        return gpd.GeoDataFrame(
            {
                c: pd.Series(
                    dtype=object if c in ("moment", "spot_id", "nearest_village") else float
                )
                for c in WHITE_SPOT_COLUMNS
            },
            geometry=gpd.GeoSeries([], crs=RD_NEW),
            crs=RD_NEW,
        )
    x = cells.geometry.x.to_numpy()[sel]
    y = cells.geometry.y.to_numpy()[sel]
    ix = np.floor(x / cell_size_m).astype(np.int64)
    iy = np.floor(y / cell_size_m).astype(np.int64)
    labels = label_grid_clusters(ix, iy)
    n_spots = int(labels.max()) + 1
    res = np.bincount(labels, weights=residents[sel], minlength=n_spots)
    r65_all = cells["residents_65_plus"].to_numpy(dtype=float)[sel]
    r65 = np.bincount(labels, weights=np.nan_to_num(r65_all), minlength=n_spots)
    has65 = np.bincount(labels, weights=(~np.isnan(r65_all)).astype(float), minlength=n_spots)
    r65 = np.where(has65 > 0, r65, np.nan)
    n_cells = np.bincount(labels, minlength=n_spots)
    first = np.full(n_spots, len(sel), dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(sel)))
    order = np.lexsort((first, -res))  # residents desc, then first cell
    rank = np.empty(n_spots, dtype=np.int64)
    rank[order] = np.arange(1, n_spots + 1)

    squares = cell_polygons(cells.iloc[sel], cell_size_m).to_numpy()
    by_label = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[by_label], np.arange(n_spots + 1))
    polys = np.empty(n_spots, dtype=object)
    for s in range(n_spots):
        polys[s] = shapely.coverage_union_all(squares[by_label[bounds[s] : bounds[s + 1]]])
    centres = shapely.centroid(polys)

    if aeds is not None and len(aeds):
        aed_geoms = aeds.geometry.to_numpy()
        d_aed = _nearest_distance(aed_geoms, polys)
        is247 = (aeds["availability_status"] == "24/7").to_numpy()
        d_247 = _nearest_distance(aed_geoms[is247], polys)
    else:
        d_aed = d_247 = np.full(n_spots, np.nan)
    if places is not None and len(places):
        villages = _nearest_names(
            places.geometry.to_numpy(), places["name"].to_numpy(dtype=object), polys, centres
        )
    else:
        villages = [None] * n_spots

    frame = pd.DataFrame(
        {
            "moment": moment,
            "spot_id": [f"{moment}-{r}" for r in rank],
            "rank": rank,
            "residents": res,
            "residents_65_plus": r65,
            "area_km2": n_cells * cell_size_m**2 / 1e6,
            "n_cells": n_cells.astype(np.int64),
            "nearest_village": villages,
            "dist_nearest_aed_m": d_aed,
            "dist_nearest_24_7_aed_m": d_247,
        }
    )
    out = gpd.GeoDataFrame(frame, geometry=polys, crs=RD_NEW).iloc[order].reset_index(drop=True)
    return out


# ------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class HartveiligResult:
    """AED coverage of one municipality.

    Attributes
    ----------
    gemeente
        Municipality name.
    moments
        The moments analysed.
    cell_size_m
        Population grid cell size (m).
    cells
        Cell centroids (input index kept): ``cell_id``, ``residents``,
        ``residents_65_plus``, ``snap_distance_m``, ``flagged`` (farther than
        ``max_snap_m`` from a road: never covered), per moment ``minutes_<name>`` (one-way
        AED→cell route minutes from the nearest available AED, NaN beyond 30 min) and
        ``covered_<name>``, and ``weekly_share`` (share of the 168 hours covered, 0..1).
    white_spots
        Polygons of contiguous uncovered populated cells per moment (see
        :func:`find_white_spots`).
    aeds
        The AED rows used (AED schema) plus ``in_gemeente``, ``snap_distance_m`` and
        ``open_<moment>`` (available at that moment, as used).
    proposals
        New 24/7 AED sites in greedy order: ``rank``, ``kind``, ``name``,
        ``gain_residents``, ``gain_residents_65_plus``, ``cumulative_residents``, geometry.
    relocations
        Limited-hours AEDs in the municipality whose move to a 24/7 outdoor cabinet at the
        same spot gains most: ``rank``, ``aed_id``, ``name``, ``gain_residents``,
        ``cumulative_residents``, geometry.
    summary
        JSON-ready dict (see :func:`compute_hartveilig`).
    assumptions
        Sentences to show with every map and table.
    """

    gemeente: str
    moments: tuple[Moment, ...]
    cell_size_m: float
    cells: gpd.GeoDataFrame
    white_spots: gpd.GeoDataFrame
    aeds: gpd.GeoDataFrame
    proposals: gpd.GeoDataFrame
    relocations: gpd.GeoDataFrame
    summary: dict[str, Any]
    assumptions: tuple[str, ...]


# ------------------------------------------------------------------------ entry point
def _infer_cell_size(cells: gpd.GeoDataFrame) -> float:
    size = cells.attrs.get("cell_size_m")
    if size:
        return float(size)
    for coord in (cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()):
        u = np.unique(np.round(coord, 3))
        if len(u) > 1:
            return float(np.diff(u).min())
    raise InputError(
        "cannot tell the population grid's cell size; set cells.attrs['cell_size_m'] "
        "or pass cell_size_m="
    )


def _pairs_within(
    net, src_snap, dst_snap, *, src_xy, dst_xy, dst_ok, thr: CoverageThreshold, profiles
) -> tuple[np.ndarray, np.ndarray]:
    """(source positions, destination positions) of pairs within the one-way limit.

    Destinations where ``dst_ok`` is False (flagged cells) never pair.
    """
    if len(src_xy) == 0 or len(dst_xy) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if thr.model == "radius":
        t_src = cKDTree(src_xy)
        t_dst = cKDTree(dst_xy)
        m = t_src.sparse_distance_matrix(t_dst, thr.max_distance_m, output_type="ndarray")
        s = m["i"].astype(np.int64)  # the ndarray output keeps zero distances
        d = m["j"].astype(np.int64)
    else:
        from bereikbaar import routing

        table = routing.travel_times_within(
            net,
            src_snap,
            dst_snap,
            profile=profiles[thr.profile],
            cutoff_s=thr.max_time_s,
        )
        ok = table["time_s"].to_numpy(dtype=float) <= thr.max_time_s
        s = table["origin"].to_numpy(dtype=np.int64)[ok]
        d = table["destination"].to_numpy(dtype=np.int64)[ok]
    keep = dst_ok[d]
    pairs = np.unique(np.stack([s[keep], d[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _in_gemeente(aeds: gpd.GeoDataFrame, gemeente: str, area) -> np.ndarray:
    if area is not None:
        return aeds.geometry.within(area).to_numpy(dtype=bool)
    if "in_gemeente" in aeds:
        return aeds["in_gemeente"].fillna(False).to_numpy(dtype=bool)
    if "gemeente" in aeds:
        g = aeds["gemeente"].astype("string").str.casefold().fillna("")
        return (g == gemeente.casefold()).to_numpy(dtype=bool)
    return np.ones(len(aeds), dtype=bool)


def _pick_moment(moments, name, residents_covered) -> Moment:
    if name is not None:
        for m in moments:
            if m.name == name:
                return m
        raise ConfigError(
            f"proposal_moment {name!r} is not one of the moments: "
            f"{', '.join(m.name for m in moments)}"
        )
    for m in moments:
        if m.name == "night":
            return m
    return min(moments, key=lambda m: (residents_covered[m.name], hour_of_week(m)))


def _r(x: float, digits: int = 1) -> float:
    return float(round(float(x), digits))


def compute_hartveilig(
    *,
    gemeente: str,
    cells: gpd.GeoDataFrame,
    aeds: gpd.GeoDataFrame,
    walk_network,
    places: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    settings: HartveiligSettings,
    profiles: Mapping[str, TravelProfile],
    max_snap_m: float = 500.0,
    area=None,
    cell_size_m: float | None = None,
    proposal_moment: str | None = None,
    check_with_ilp: bool = False,
) -> HartveiligResult:
    """AED coverage by the hour, white spots, proposals and relocations for a gemeente.

    Parameters
    ----------
    gemeente
        Municipality name (for the summary and to tell its own AEDs when ``area`` is None).
    cells
        Population cell centroids of the municipality (EPSG:28992): ``cell_id``,
        ``residents``, ``residents_65_plus`` (NaN allowed); ``attrs["cell_size_m"]``.
    aeds
        AEDs in the municipality and a halo around it (AED schema, EPSG:28992).
    walk_network
        The walk :class:`~bereikbaar.network.Network` covering cells and AEDs.
    places
        Place points (``name``) for naming white spots.
    candidates
        POIs (``kind``, ``name``) where a new AED could hang; only ``settings.candidate_kinds``
        are used. Street nodes are added when ``settings.candidate_street_nodes``.
    settings, profiles
        Hartveilig settings and the travel profiles they name.
    max_snap_m
        Points farther from a road are flagged and not routed (m).
    area
        Optional municipality polygon: AEDs within it are ``in_gemeente``. Without it the
        ``in_gemeente`` column is used if present, else ``gemeente`` equal to ``gemeente``.
    cell_size_m
        Grid cell size (m); default ``cells.attrs["cell_size_m"]`` or inferred.
    proposal_moment
        Name of the moment new AEDs and relocations are optimised for. Default ``night``
        when that moment exists, else the moment with the fewest residents covered: new
        AEDs are 24/7 outdoor cabinets, so they matter most when indoor AEDs are closed.
    check_with_ilp
        Also solve the proposals exactly (:func:`bereikbaar.siting.max_coverage_ilp`) and
        report both objectives in ``summary["proposals_check"]``; for small ``n_proposals``.

    Returns
    -------
    HartveiligResult
        ``summary`` holds ``gemeente``, ``residents``, ``residents_65_plus``,
        ``residents_unroutable``, ``aeds`` {total, 24_7, limited, unknown, outside_used},
        ``moments`` {name: {label, hour_of_week, residents_covered, share_covered}},
        ``weekly_share_mean`` (residents-weighted), ``white_spots`` {moment: {count,
        residents}}, ``proposal_moment``, ``proposals`` and ``relocations`` (lists of
        rows), ``settings`` {model, budget_min, alert_delay_min, responder_speed_mps,
        max_route_s, max_route_m, radius_m, unknown_availability} and ``assumptions``.
    """
    from bereikbaar import routing

    for gdf, what in (
        (cells, "the population cells"),
        (aeds, "the AED points"),
        (places, "the places"),
        (candidates, "the AED candidate sites"),
    ):
        check_crs(gdf, RD_NEW, what=what)
    check_crs(walk_network, RD_NEW, what="the walk network")
    for col in ("residents",):
        if col not in cells:
            raise InputError(f"the population cells lack the column {col!r}", column=col)
    for col in ("availability_status", "open_hours"):
        if col not in aeds:
            raise InputError(f"the AED table lacks the column {col!r} (AED schema)", column=col)

    thr = coverage_threshold(settings, profiles)
    minutes_prof = _minutes_profile(settings, profiles)
    moments = tuple(settings.moments)
    if not moments:
        raise ConfigError("hartveilig.moments is empty; give at least one moment")
    size = float(cell_size_m) if cell_size_m else _infer_cell_size(cells)

    # ---- cells
    n_cells = len(cells)
    residents = cells["residents"].to_numpy(dtype=float)
    r65 = (
        cells["residents_65_plus"].to_numpy(dtype=float)
        if "residents_65_plus" in cells
        else np.full(n_cells, np.nan)
    )
    cell_xy = np.column_stack([cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()])
    cell_snap = routing.snap_points(walk_network, cells.geometry, max_snap_m=max_snap_m)
    flagged = np.asarray(cell_snap.flagged, dtype=bool)
    routable = ~flagged

    # ---- AEDs
    aeds = aeds.copy()
    n_aeds = len(aeds)
    aeds["in_gemeente"] = _in_gemeente(aeds, gemeente, area)
    status = aeds["availability_status"].astype(object).fillna("unknown").to_numpy()
    hours_text = aeds["open_hours"].astype(object).fillna("").to_numpy()
    avail = availability_matrix(status, hours_text, unknown=settings.unknown_availability)
    aed_xy = np.column_stack([aeds.geometry.x.to_numpy(), aeds.geometry.y.to_numpy()])
    if n_aeds:
        aed_snap = routing.snap_points(walk_network, aeds.geometry, max_snap_m=max_snap_m)
        aeds["snap_distance_m"] = np.asarray(aed_snap.snap_distance_m, dtype=float)
    else:
        aed_snap = None
        aeds["snap_distance_m"] = pd.Series(dtype=float)

    # ---- coverage by hour: pairs within the limit × availability
    p_aed, p_cell = _pairs_within(
        walk_network,
        aed_snap,
        cell_snap,
        src_xy=aed_xy,
        dst_xy=cell_xy,
        dst_ok=routable,
        thr=thr,
        profiles=profiles,
    )
    log.debug("%s: %d AED→cell pairs within the limit", gemeente, len(p_aed))
    A = _incidence(p_cell, p_aed, n_cells, n_aeds)  # (cells × AEDs)
    cov_hours = (
        np.asarray(A @ avail.astype(np.int32)) > 0
        if n_aeds
        else np.zeros((n_cells, HOURS_PER_WEEK), dtype=bool)
    )
    weekly_share = cov_hours.mean(axis=1) if n_cells else np.zeros(0)

    # ---- per moment: covered and minutes to the nearest available AED
    out_cells = gpd.GeoDataFrame(
        {
            "cell_id": cells["cell_id"].to_numpy() if "cell_id" in cells else np.arange(n_cells),
            "residents": residents,
            "residents_65_plus": r65,
            "snap_distance_m": np.asarray(cell_snap.snap_distance_m, dtype=float),
            "flagged": flagged,
        },
        geometry=cells.geometry.to_numpy(),
        index=cells.index,
        crs=RD_NEW,
    )
    covered_at: dict[str, np.ndarray] = {}
    cutoff_s = MINUTES_CUTOFF_MIN * 60.0
    for m in moments:
        h = hour_of_week(m)
        open_now = avail[:, h]
        aeds[f"open_{m.name}"] = open_now
        covered = cov_hours[:, h].copy()
        minutes = np.full(n_cells, np.nan)
        if open_now.any() and n_cells:
            nf = routing.nearest_facility(
                walk_network,
                aed_snap.subset(open_now),
                profile=minutes_prof,
                targets=cell_snap,
                cutoff_s=cutoff_s,
            )
            t = np.asarray(nf.target_time_s, dtype=float)
            minutes = np.where(routable & (t <= cutoff_s), t / 60.0, np.nan)
        out_cells[f"minutes_{m.name}"] = minutes
        out_cells[f"covered_{m.name}"] = covered
        covered_at[m.name] = covered
    out_cells["weekly_share"] = weekly_share

    total_res = float(residents.sum())
    total_65 = float(np.nansum(r65)) if np.any(~np.isnan(r65)) else float("nan")
    residents_covered = {m.name: float(residents[covered_at[m.name]].sum()) for m in moments}

    # ---- white spots
    spots = [
        find_white_spots(
            out_cells,
            ~covered_at[m.name],
            cell_size_m=size,
            moment=m.name,
            places=places,
            aeds=aeds,
        )
        for m in moments
    ]
    non_empty = [s for s in spots if len(s)]
    white_spots = (
        gpd.GeoDataFrame(pd.concat(non_empty, ignore_index=True), geometry="geometry", crs=RD_NEW)
        if non_empty
        else spots[0]
    )

    # ---- proposals and relocations at the binding moment
    pm = _pick_moment(moments, proposal_moment, residents_covered)
    base = covered_at[pm.name]
    weights = residents + settings.weight_65_plus * np.nan_to_num(r65)
    weights = np.where(routable, weights, 0.0)
    proposals, proposals_check = _propose(
        walk_network,
        candidates,
        settings=settings,
        thr=thr,
        profiles=profiles,
        cell_snap=cell_snap,
        cell_xy=cell_xy,
        routable=routable,
        residents=residents,
        r65=r65,
        weights=weights,
        base=base,
        max_snap_m=max_snap_m,
        check_with_ilp=check_with_ilp,
        cell_size_m=size,
    )
    relocations = _relocate(
        aeds,
        A,
        status=status,
        settings=settings,
        residents=residents,
        weights=weights,
        base=base,
    )

    # ---- summary and assumptions
    in_g = aeds["in_gemeente"].to_numpy(dtype=bool)
    st_in = status[in_g]
    n_unknown_used = int((status == "unknown").sum())
    assumptions = _assumptions(
        settings, profiles, thr, minutes_prof, pm, n_unknown_used, flagged, residents, max_snap_m
    )
    summary: dict[str, Any] = {
        "gemeente": gemeente,
        "residents": _r(total_res),
        "residents_65_plus": None if math.isnan(total_65) else _r(total_65),
        "residents_unroutable": _r(residents[flagged].sum()),
        "aeds": {
            "total": int(in_g.sum()),
            "24_7": int((st_in == "24/7").sum()),
            "limited": int((st_in == "limited").sum()),
            "unknown": int((st_in == "unknown").sum()),
            "outside_used": int((~in_g).sum()),
        },
        "moments": {
            m.name: {
                "label": m.label or m.name,
                "hour_of_week": hour_of_week(m),
                "residents_covered": _r(residents_covered[m.name]),
                "share_covered": _r(residents_covered[m.name] / total_res, 4) if total_res else 0.0,
            }
            for m in moments
        },
        "weekly_share_mean": _r(float((weekly_share * residents).sum() / total_res), 4)
        if total_res
        else 0.0,
        "white_spots": {
            m.name: {"count": int(len(s)), "residents": _r(s["residents"].sum()) if len(s) else 0.0}
            for m, s in zip(moments, spots, strict=True)
        },
        "proposal_moment": pm.name,
        "proposals": _rows(proposals),
        "relocations": _rows(relocations),
        "settings": {
            "model": settings.model,
            "budget_min": settings.budget_min,
            "alert_delay_min": settings.alert_delay_min,
            "responder_speed_mps": _r(
                profiles[settings.responder_profile].speed_mps or float("nan"), 3
            )
            if settings.responder_profile in profiles
            else None,
            "responder_profile": settings.responder_profile,
            "max_route_s": thr.max_time_s,
            "max_route_m": None if thr.max_distance_m is None else _r(thr.max_distance_m),
            "radius_m": settings.radius_m if settings.model == "radius" else None,
            "unknown_availability": settings.unknown_availability,
            "weight_65_plus": settings.weight_65_plus,
        },
        "assumptions": list(assumptions),
    }
    if proposals_check is not None:
        summary["proposals_check"] = proposals_check
    log.info(
        "%s: %s residents, covered %s",
        gemeente,
        f"{total_res:.0f}",
        ", ".join(
            f"{k} {v / total_res:.0%}" if total_res else k for k, v in residents_covered.items()
        ),
    )
    return HartveiligResult(
        gemeente=gemeente,
        moments=moments,
        cell_size_m=size,
        cells=out_cells,
        white_spots=white_spots,
        aeds=aeds,
        proposals=proposals,
        relocations=relocations,
        summary=summary,
        assumptions=assumptions,
    )


def _rows(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in pd.DataFrame(gdf.drop(columns="geometry")).to_dict("records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, float | np.floating):
                v = None if math.isnan(v) else _r(v)
            elif v is pd.NA or v is None:
                v = None
            row[k] = v
        out.append(row)
    return out


PROPOSAL_COLUMNS = [
    "rank",
    "kind",
    "name",
    "gain_residents",
    "gain_residents_65_plus",
    "cumulative_residents",
]
RELOCATION_COLUMNS = ["rank", "aed_id", "name", "gain_residents", "cumulative_residents"]


def _empty(columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=np.int64 if c == "rank" else object) for c in columns},
        geometry=gpd.GeoSeries([], crs=RD_NEW),
        crs=RD_NEW,
    )


def _gains_in_residents(cov: sp.csr_array, picks, base, residents, r65):
    covered = base.copy()
    g_res, g_65 = [], []
    for j in picks:
        cols = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
        new = cols[~covered[cols]]
        g_res.append(float(residents[new].sum()))
        g_65.append(float(np.nansum(r65[new])))
        covered[cols] = True
    return np.asarray(g_res), np.asarray(g_65)


def _propose(
    net,
    candidates,
    *,
    settings,
    thr,
    profiles,
    cell_snap,
    cell_xy,
    routable,
    residents,
    r65,
    weights,
    base,
    max_snap_m,
    check_with_ilp,
    cell_size_m,
):
    """New 24/7 AED sites: lazy greedy on candidate→cell coverage at the proposal moment.

    Street-node candidates are the network nodes within 0.75 cell sizes of a populated
    cell centre (a node elsewhere cannot cover more than one far away).
    """
    from bereikbaar import routing

    n_cells = len(residents)
    cand = candidates
    if "kind" in cand:
        cand = cand[cand["kind"].isin(settings.candidate_kinds)]
    cand = pd.DataFrame(
        {
            "kind": cand["kind"].astype(object).to_numpy() if "kind" in cand else "poi",
            "name": cand["name"].astype(object).to_numpy() if "name" in cand else None,
            "geometry": cand.geometry.to_numpy(),
        }
    )
    if settings.candidate_street_nodes and n_cells:
        nx_, ny_ = np.asarray(net.node_x, float), np.asarray(net.node_y, float)
        d, _ = cKDTree(cell_xy).query(np.column_stack([nx_, ny_]))
        near = np.flatnonzero(d <= 0.75 * cell_size_m)
        cand = pd.concat(
            [
                cand,
                pd.DataFrame(
                    {
                        "kind": "street_node",
                        "name": [f"knooppunt {int(net.node_osmid[i])}" for i in near],
                        "geometry": shapely.points(nx_[near], ny_[near]),
                    }
                ),
            ],
            ignore_index=True,
        )
    if len(cand) == 0 or n_cells == 0:
        return _empty(PROPOSAL_COLUMNS), None
    cand_gs = gpd.GeoSeries(cand["geometry"].to_numpy(), crs=RD_NEW)
    cand_xy = np.column_stack([cand_gs.x.to_numpy(), cand_gs.y.to_numpy()])
    cand_snap = None
    if thr.model != "radius":
        cand_snap = routing.snap_points(net, cand_gs, max_snap_m=max_snap_m)
    p_c, p_cell = _pairs_within(
        net,
        cand_snap,
        cell_snap,
        src_xy=cand_xy,
        dst_xy=cell_xy,
        dst_ok=routable,
        thr=thr,
        profiles=profiles,
    )
    cov = _incidence(p_c, p_cell, len(cand), n_cells).astype(bool)
    res = greedy_max_coverage(cov, weights, n=settings.n_proposals, already_covered=base)
    check = None
    if check_with_ilp:
        ilp = max_coverage_ilp(cov, weights, n=settings.n_proposals, already_covered=base)
        check = {
            "greedy_weight": _r(res.objective),
            "ilp_weight": _r(ilp.objective),
            "ilp_optimal": bool(ilp.optimal),
            "greedy_share_of_optimum": _r(res.objective / ilp.objective, 4)
            if ilp.objective
            else 1.0,
        }
        log.info("proposals: greedy %.1f vs ILP optimum %.1f", res.objective, ilp.objective)
    picks = res.picks
    g_res, g_65 = _gains_in_residents(cov, picks, base, residents, r65)
    out = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
            "kind": cand["kind"].to_numpy()[picks],
            "name": cand["name"].to_numpy()[picks],
            "gain_residents": g_res,
            "gain_residents_65_plus": g_65,
            "cumulative_residents": np.cumsum(g_res),
        },
        geometry=cand_gs.to_numpy()[picks],
        crs=RD_NEW,
    )
    return out, check


def _relocate(aeds, A, *, status, settings, residents, weights, base):
    """Greedy choice of limited-hours AEDs in the gemeente to make 24/7 at the same spot."""
    movable = np.flatnonzero((status == "limited") & aeds["in_gemeente"].to_numpy(dtype=bool))
    if len(movable) == 0 or settings.relocate_k <= 0 or A.shape[0] == 0:
        return _empty(RELOCATION_COLUMNS)
    cov = sp.csr_array(A.T.tocsr()[movable]).astype(bool)  # (movable × cells)
    res = greedy_max_coverage(cov, weights, n=settings.relocate_k, already_covered=base)
    picks = res.picks
    g_res, _ = _gains_in_residents(cov, picks, base, residents, np.zeros(len(residents)))
    rows = aeds.iloc[movable[picks]]
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
            "aed_id": rows["aed_id"].to_numpy() if "aed_id" in rows else movable[picks],
            "name": rows["name"].to_numpy() if "name" in rows else None,
            "gain_residents": g_res,
            "cumulative_residents": np.cumsum(g_res),
        },
        geometry=rows.geometry.to_numpy(),
        crs=RD_NEW,
    )


def _assumptions(
    settings, profiles, thr, minutes_prof, pm, n_unknown, flagged, residents, max_snap_m
) -> tuple[str, ...]:
    out = [describe_model(settings, profiles)]
    if settings.model == "fetch":
        prof = profiles[settings.responder_profile]
        out.append(
            f"Budget {_num(settings.budget_min)} min vanaf de 112-melding, waarvan "
            f"{_num(settings.alert_delay_min)} min alarmering; loopsnelheid "
            f"burgerhulpverlener {_num(prof.speed_mps, 2)} m/s ({prof.name}), heen en terug "
            f"over dezelfde route."
        )
    elif settings.model == "route":
        prof = profiles[settings.route_profile]
        speed = "" if prof.speed_kmh is None else f", {_num(prof.speed_kmh)} km/u"
        out.append(
            f"Route-model: profiel {prof.name}{speed}, hooguit {_num(settings.route_max_min)} min."
        )
    else:
        out.append(
            f"Cirkelmodel: {_num(settings.radius_m, 0)} m hemelsbreed; wegen en water tellen niet mee."
        )
    state = "gesloten" if settings.unknown_availability == "closed" else "altijd open"
    out.append(
        f"AED's met onbekende openingstijden ({n_unknown} gebruikt) zijn behandeld als {state} "
        f"(instelling unknown_availability = {settings.unknown_availability!r}). Een uur telt als "
        f"open als de AED om hh:30 beschikbaar is."
    )
    speed_txt = (
        "" if minutes_prof.speed_mps is None else f" met {_num(minutes_prof.speed_mps, 2)} m/s"
    )
    out.append(
        f"Minuten = looptijd over de weg van de dichtstbijzijnde beschikbare AED naar het midden "
        f"van de cel (enkele reis, {minutes_prof.name}{speed_txt}); meer dan "
        f"{_num(MINUTES_CUTOFF_MIN, 0)} min wordt getoond als '> {_num(MINUTES_CUTOFF_MIN, 0)} min'."
    )
    out.append(
        f"Cellen verder dan {_num(max_snap_m, 0)} m van een weg ({int(flagged.sum())} cellen, "
        f"{_num(float(residents[flagged].sum()), 1)} inwoners) tellen als niet gedekt."
    )
    out.append(
        "Witte vlekken: bewoonde, niet-gedekte cellen die elkaar raken (ook schuin) vormen één "
        "gebied; afstanden naar AED's zijn hemelsbreed vanaf de rand van het gebied."
    )
    w = (
        f", inwoners 65+ tellen {_num(1 + settings.weight_65_plus, 2)}× zwaar"
        if settings.weight_65_plus
        else ""
    )
    out.append(
        f"Voorstellen: nieuwe AED's in een 24/7 buitenkast, gekozen (gretig) om de meeste "
        f"inwoners extra te dekken op moment '{pm.label or pm.name}'{w}; verplaatsing: AED's "
        f"met beperkte openingstijden die naar een 24/7 buitenkast op dezelfde plek gaan."
    )
    return tuple(out)
