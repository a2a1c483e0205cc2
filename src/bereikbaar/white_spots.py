"""White spots: contiguous populated grid cells that no available AED reaches in time.

A white spot (*witte vlek*) is a group of uncovered populated cells that touch on a side or
a corner (8-connectivity). Each spot gets its residents, area, the nearest place name and
three straight-line distances:

``distance_nearest_available_aed_m``
    From the spot's populated cell centres to the nearest AED *available at that moment*
    (and counted for coverage): the distance a planner reads as "how far is help now".
    It is 0 only when such an AED stands exactly on a cell centre. In a large spot the
    minimum is small, so ``median_distance_available_aed_m`` adds the residents-weighted
    median over the spot's cells (half its residents live farther).
``dist_nearest_aed_m`` / ``dist_nearest_24_7_aed_m``
    From the spot polygon's edge to the nearest AED of any hours / the nearest 24/7 AED.
    A closed indoor AED inside the spot gives 0 here, which is why the first distance exists.

:func:`bereikbaar.hartveilig.compute_hartveilig` calls :func:`find_white_spots_by_moment`
once for all its moments: a spot found at several moments (the same cells) is drawn,
measured and named once. :func:`find_white_spots` is the one-moment case, usable alone on
any cells and uncovered mask.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from bereikbaar._crs import RD_NEW
from bereikbaar.inputs.population import cell_polygons

__all__ = [
    "WHITE_SPOT_COLUMNS",
    "find_white_spots",
    "find_white_spots_by_moment",
    "label_grid_clusters",
]

WHITE_SPOT_COLUMNS = [
    "moment",
    "spot_id",
    "rank",
    "residents",
    "residents_65_plus",
    "area_km2",
    "n_cells",
    "nearest_village",
    "distance_nearest_available_aed_m",
    "median_distance_available_aed_m",
    "dist_nearest_aed_m",
    "dist_nearest_24_7_aed_m",
]
_TEXT_COLUMNS = ("moment", "spot_id", "nearest_village")


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
        pos = np.minimum(np.searchsorted(sorted_key, nk), n - 1)
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
    to_centre = shapely.distance(place_geoms[idx[1]], centres[idx[0]])
    label = np.asarray([str(n) for n in names[idx[1]]], dtype=object)
    order = np.lexsort((label, to_centre, np.round(dist, 6), idx[0]))
    q_sorted = idx[0][order]
    first = order[np.r_[True, q_sorted[1:] != q_sorted[:-1]]]
    for q, p in zip(idx[0][first], idx[1][first], strict=True):
        name = names[p]
        missing = name is None or (isinstance(name, float) and math.isnan(name))
        out[q] = None if missing else str(name)
    return out


@dataclass(frozen=True)
class _Spots:
    """Uncovered populated cells grouped into spots (positions into the selected cells)."""

    sel: np.ndarray  # cell positions of the uncovered populated cells
    labels: np.ndarray  # spot of each selected cell (0-based, by first appearance)
    n_spots: int
    order: np.ndarray  # spots by rank
    rank: np.ndarray  # rank (1-based) of each spot


def _group(xy: np.ndarray, uncovered, residents, cell_size_m: float) -> _Spots:
    """The spots of one moment; ``xy`` holds the cell centres, one row per cell."""
    sel = np.flatnonzero(np.asarray(uncovered, dtype=bool) & (residents > 0))
    x, y = xy[sel, 0], xy[sel, 1]
    labels = label_grid_clusters(
        np.floor(x / cell_size_m).astype(np.int64), np.floor(y / cell_size_m).astype(np.int64)
    )
    n_spots = int(labels.max()) + 1 if len(sel) else 0
    res = np.bincount(labels, weights=residents[sel], minlength=n_spots)
    first = np.full(n_spots, len(sel), dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(sel)))
    order = np.lexsort((first, -res))  # residents desc, then first cell
    rank = np.empty(n_spots, dtype=np.int64)
    rank[order] = np.arange(1, n_spots + 1)
    return _Spots(sel, labels, n_spots, order, rank)


def _spot_sums(cells: gpd.GeoDataFrame, residents, spots: _Spots) -> dict[str, np.ndarray]:
    n, lab = spots.n_spots, spots.labels
    r65_all = (
        cells["residents_65_plus"].to_numpy(dtype=float)[spots.sel]
        if "residents_65_plus" in cells
        else np.full(len(spots.sel), np.nan)
    )
    r65 = np.bincount(lab, weights=np.nan_to_num(r65_all), minlength=n)
    has65 = np.bincount(lab, weights=(~np.isnan(r65_all)).astype(float), minlength=n)
    return {
        "residents": np.bincount(lab, weights=residents[spots.sel], minlength=n),
        "residents_65_plus": np.where(has65 > 0, r65, np.nan),
        "n_cells": np.bincount(lab, minlength=n).astype(np.int64),
    }


def _spot_cells(spots: _Spots) -> list[np.ndarray]:
    """The cell positions of each spot (ascending), in spot order."""
    by_label = np.argsort(spots.labels, kind="stable")
    bounds = np.searchsorted(spots.labels[by_label], np.arange(spots.n_spots + 1))
    return [spots.sel[by_label[bounds[s] : bounds[s + 1]]] for s in range(spots.n_spots)]


@dataclass(frozen=True)
class _Shapes:
    """What does not depend on the moment, once per distinct spot (the same cells): its
    polygon, its distances to the nearest AED and 24/7 AED, and its nearest place."""

    polygons: np.ndarray
    dist_aed_m: np.ndarray
    dist_24_7_m: np.ndarray
    villages: list[str | None]


def _shapes(cells, members: list[np.ndarray], cell_size_m: float, places, aeds) -> _Shapes:
    """:class:`_Shapes` of the distinct spots ``members`` (cell positions of each)."""
    used = np.unique(np.concatenate(members)) if members else np.zeros(0, np.int64)
    squares = np.empty(len(cells), dtype=object)
    squares[used] = cell_polygons(cells.geometry.iloc[used], cell_size_m).to_numpy()
    polys = np.empty(len(members), dtype=object)
    for s, cell_pos in enumerate(members):
        polys[s] = shapely.coverage_union_all(squares[cell_pos])
    if aeds is not None and len(aeds):
        aed_geoms = aeds.geometry.to_numpy()
        d_aed = _nearest_distance(aed_geoms, polys)
        is247 = (aeds["availability_status"] == "24/7").to_numpy(dtype=bool)
        d_247 = _nearest_distance(aed_geoms[is247], polys)
    else:
        d_aed = d_247 = np.full(len(members), np.nan)
    if places is not None and len(places):
        names = places["name"].to_numpy(dtype=object)
        villages = _nearest_names(places.geometry.to_numpy(), names, polys, shapely.centroid(polys))
    else:
        villages = [None] * len(members)
    return _Shapes(polys, d_aed, d_247, villages)


def _available_distances(cells, spots: _Spots, residents, aeds, available):
    """Per spot, from its populated cell centres to the nearest available AED (m): the
    minimum and the residents-weighted median (half the spot's residents live farther).
    NaN when no AED is available."""
    nan = np.full(spots.n_spots, np.nan)
    if aeds is None or len(aeds) == 0:
        return nan, nan.copy()
    ok = np.ones(len(aeds), dtype=bool) if available is None else np.asarray(available, bool)
    if not ok.any():
        return nan, nan.copy()
    geoms = aeds.geometry.to_numpy()[ok]
    tree = cKDTree(np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]))
    pts = cells.geometry.to_numpy()[spots.sel]
    d, _ = tree.query(np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]))
    nearest = np.full(spots.n_spots, np.inf)
    np.minimum.at(nearest, spots.labels, d)
    order = np.lexsort((d, spots.labels))  # by spot, then distance
    lab, w = spots.labels[order], residents[spots.sel][order]
    cum = np.cumsum(w)
    start = np.searchsorted(lab, np.arange(spots.n_spots))
    before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    half = before + np.bincount(lab, weights=w, minlength=spots.n_spots) / 2.0
    # first position in each spot where the running total reaches half the spot's residents
    pos = np.searchsorted(cum, half - 1e-9 * np.maximum(half, 1.0))
    pos = np.clip(pos, start, len(d) - 1)
    return nearest, d[order][pos]


def _empty_spots(crs=RD_NEW) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object if c in _TEXT_COLUMNS else float) for c in WHITE_SPOT_COLUMNS},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def find_white_spots(
    cells: gpd.GeoDataFrame,
    uncovered: np.ndarray,
    *,
    cell_size_m: float,
    moment: str,
    places: gpd.GeoDataFrame | None = None,
    aeds: gpd.GeoDataFrame | None = None,
    available: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Merge uncovered populated cells into contiguous white spots.

    Parameters
    ----------
    cells
        Cell centroids (a metric working CRS, e.g. EPSG:28992) with ``residents`` and
        ``residents_65_plus``.
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
    available
        Bool per AED row: available at the moment and counted for coverage. Gives
        ``distance_nearest_available_aed_m`` (from the spot's populated cell centres);
        None means every AED counts as available. ``median_distance_available_aed_m``
        is the residents-weighted median of the same cell distances.

    Returns
    -------
    GeoDataFrame
        One row per spot (:data:`WHITE_SPOT_COLUMNS` plus the polygon, the union of the cell
        squares), ranked by residents (descending; ties by the spot's first cell), with
        ``spot_id`` = ``"<moment>-<rank>"``.
    """
    found = find_white_spots_by_moment(
        cells,
        {moment: uncovered},
        cell_size_m=cell_size_m,
        places=places,
        aeds=aeds,
        available=None if available is None else {moment: available},
    )
    return found[moment]


def find_white_spots_by_moment(
    cells: gpd.GeoDataFrame,
    uncovered: Mapping[str, np.ndarray],
    *,
    cell_size_m: float,
    places: gpd.GeoDataFrame | None = None,
    aeds: gpd.GeoDataFrame | None = None,
    available: Mapping[str, np.ndarray] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """:func:`find_white_spots` for several moments of the same cells, AEDs and places.

    ``uncovered`` (and ``available``, when given) hold one array per moment name. A spot
    found at several moments (the same cells) is drawn, measured and named once: its
    polygon, ``dist_nearest_aed_m``, ``dist_nearest_24_7_aed_m`` and ``nearest_village``
    do not depend on the moment. Returns one table per moment, as :func:`find_white_spots`.
    """
    residents = cells["residents"].to_numpy(dtype=float)
    geoms = cells.geometry.to_numpy()
    xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])
    grouped = {m: _group(xy, unc, residents, cell_size_m) for m, unc in uncovered.items()}
    distinct: dict[bytes, int] = {}
    members: list[np.ndarray] = []
    which: dict[str, np.ndarray] = {}
    for m, spots in grouped.items():
        pos = []
        for cell_pos in _spot_cells(spots):
            key = cell_pos.tobytes()
            if key not in distinct:
                distinct[key] = len(members)
                members.append(cell_pos)
            pos.append(distinct[key])
        which[m] = np.asarray(pos, dtype=np.int64)
    shapes = _shapes(cells, members, cell_size_m, places, aeds)
    return {
        m: _spot_table(
            cells,
            residents,
            spots,
            shapes,
            which[m],
            cell_size_m=cell_size_m,
            moment=m,
            aeds=aeds,
            available=None if available is None else available[m],
        )  # fmt: skip
        for m, spots in grouped.items()
    }


def _spot_table(
    cells, residents, spots: _Spots, shapes: _Shapes, which, *, cell_size_m, moment, aeds,
    available,
) -> gpd.GeoDataFrame:  # fmt: skip
    """One moment's white-spot table; ``which`` picks each spot's row of ``shapes``."""
    if spots.n_spots == 0:
        return _empty_spots(cells.crs or RD_NEW)
    sums = _spot_sums(cells, residents, spots)
    nearest, median = _available_distances(cells, spots, residents, aeds, available)
    o = spots.order  # rows by rank
    rank, which = spots.rank[o], which[o]
    frame = pd.DataFrame(
        {
            "moment": moment,
            "spot_id": [f"{moment}-{r}" for r in rank],
            "rank": rank,
            "residents": sums["residents"][o],
            "residents_65_plus": sums["residents_65_plus"][o],
            "area_km2": sums["n_cells"][o] * cell_size_m**2 / 1e6,
            "n_cells": sums["n_cells"][o],
            "nearest_village": [shapes.villages[i] for i in which],
            "distance_nearest_available_aed_m": nearest[o],
            "median_distance_available_aed_m": median[o],
            "dist_nearest_aed_m": shapes.dist_aed_m[which],
            "dist_nearest_24_7_aed_m": shapes.dist_24_7_m[which],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapes.polygons[which], crs=cells.crs or RD_NEW)
