"""Where new AEDs help most, and which indoor AEDs to move to a 24/7 outdoor cabinet.

Two phases of :func:`bereikbaar.hartveilig.compute_hartveilig`, both greedy maximal
covering (:mod:`bereikbaar.siting`) at the proposal moment:

* :func:`propose_sites`: new 24/7 AEDs at candidate POIs (and optionally street nodes);
* :func:`relocate_aeds`: limited-hours AEDs in the gemeente made 24/7 at the same spot.

Each row carries what a planner needs on a map: ``address`` (street and number from the
OSM tags or the register, "" when unknown) and ``near`` (the nearest place name).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from bereikbaar._crs import RD_NEW
from bereikbaar.config import HartveiligSettings, TravelProfile
from bereikbaar.coverage import AedSet, CellSet, CoverageThreshold, incidence, pairs_within
from bereikbaar.siting import greedy_max_coverage, max_coverage_ilp

log = logging.getLogger(__name__)

RELOCATION_TO = "24/7-buitenkast op dezelfde plek"
PROPOSAL_COLUMNS = [
    "rank",
    "kind",
    "name",
    "address",
    "near",
    "gain_residents",
    "gain_residents_65_plus",
    "cumulative_residents",
]
RELOCATION_COLUMNS = [
    "rank",
    "aed_id",
    "name",
    "address",
    "near",
    "current_availability",
    "to",
    "gain_residents",
    "cumulative_residents",
]


@dataclass(frozen=True, eq=False)
class Proposals:
    """New AED sites in greedy order (:data:`PROPOSAL_COLUMNS` + geometry) and, when
    asked, the greedy-vs-ILP check (``None`` otherwise)."""

    table: gpd.GeoDataFrame
    check: dict[str, Any] | None


def _r(x: float, digits: int = 1) -> float:
    return float(round(float(x), digits))


def empty_table(columns, crs=RD_NEW) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with ``columns`` (``rank`` int64, others object) in ``crs``."""
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=np.int64 if c == "rank" else object) for c in columns},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def address_from_tags(tags: object) -> str:
    """``"<addr:street> <addr:housenumber>"`` from OSM tags (JSON text or dict); "" when
    there is no street."""
    if isinstance(tags, str):
        try:
            tags = json.loads(tags) if tags else {}
        except ValueError:
            return ""
    if not isinstance(tags, Mapping) or not tags.get("addr:street"):
        return ""
    parts = (tags.get("addr:street"), tags.get("addr:housenumber"))
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def nearest_place_names(places: gpd.GeoDataFrame | None, points: np.ndarray) -> list[str]:
    """The name of the place nearest each point ("" without places)."""
    if places is None or len(places) == 0 or len(points) == 0:
        return [""] * len(points)
    geoms = places.geometry.to_numpy()
    tree = cKDTree(np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]))
    _, idx = tree.query(np.column_stack([shapely.get_x(points), shapely.get_y(points)]))
    names = places["name"].astype(object).to_numpy()[idx]
    return ["" if n is None or n is pd.NA or n != n else str(n) for n in names]


def gains_in_residents(cov: sp.csr_array, picks, base, residents, r65):
    """Residents (and 65+) each pick newly covers, given the picks before it and ``base``."""
    covered = base.copy()
    g_res, g_65 = [], []
    for j in picks:
        cols = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
        new = cols[~covered[cols]]
        g_res.append(float(residents[new].sum()))
        g_65.append(float(np.nansum(r65[new])))
        covered[cols] = True
    return np.asarray(g_res), np.asarray(g_65)


def candidate_sites(
    net, candidates: gpd.GeoDataFrame, *, settings: HartveiligSettings, cells: CellSet
) -> pd.DataFrame:
    """The candidate POIs of ``settings.candidate_kinds`` (``kind``, ``name``, ``tags``,
    geometry), plus the street nodes within 0.75 cell sizes of a populated cell centre when
    ``settings.candidate_street_nodes`` (a node elsewhere cannot cover more than one far
    away)."""
    cand = candidates
    if "kind" in cand:
        cand = cand[cand["kind"].isin(settings.candidate_kinds)]
    sites = pd.DataFrame(
        {
            "kind": cand["kind"].astype(object).to_numpy() if "kind" in cand else "poi",
            "name": cand["name"].astype(object).to_numpy() if "name" in cand else None,
            "tags": cand["tags"].astype(object).to_numpy() if "tags" in cand else None,
            "geometry": cand.geometry.to_numpy(),
        }
    )
    if not (settings.candidate_street_nodes and cells.n):
        return sites
    nx_, ny_ = np.asarray(net.node_x, float), np.asarray(net.node_y, float)
    d, _ = cKDTree(cells.xy).query(np.column_stack([nx_, ny_]))
    near = np.flatnonzero(d <= 0.75 * cells.cell_size_m)
    nodes = pd.DataFrame(
        {
            "kind": "street_node",
            "name": [f"knooppunt {int(net.node_osmid[i])}" for i in near],
            "tags": None,
            "geometry": shapely.points(nx_[near], ny_[near]),
        }
    )
    return pd.concat([sites, nodes], ignore_index=True)


def _site_coverage(net, sites, *, cells, thr, profiles, max_snap_m) -> sp.csr_array:
    """Bool ``(sites × cells)``: the site would cover the cell (within the model's limit)."""
    from bereikbaar import routing

    geoms = gpd.GeoSeries(sites["geometry"].to_numpy(), crs=net.crs)
    xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])
    snap = None
    if thr.model != "radius":
        snap = routing.snap_points(net, geoms, max_snap_m=max_snap_m)
    pairs = pairs_within(
        net,
        snap,
        cells.snap,
        src_xy=xy,
        dst_xy=cells.xy,
        dst_ok=cells.routable,
        model=thr.model,
        profile=None if thr.profile is None else profiles[thr.profile],
        cutoff=thr.limit,
    )
    return incidence(pairs.source, pairs.target, len(sites), cells.n).astype(bool)


def _ilp_check(cov, weights, *, n: int, base, greedy_objective: float) -> dict[str, Any]:
    ilp = max_coverage_ilp(cov, weights, n=n, already_covered=base)
    log.info("proposals: greedy %.1f vs ILP optimum %.1f", greedy_objective, ilp.objective)
    return {
        "greedy_weight": _r(greedy_objective),
        "ilp_weight": _r(ilp.objective),
        "ilp_optimal": bool(ilp.optimal),
        "greedy_share_of_optimum": _r(greedy_objective / ilp.objective, 4)
        if ilp.objective
        else 1.0,
    }


def propose_sites(
    net,
    candidates: gpd.GeoDataFrame,
    *,
    settings: HartveiligSettings,
    thr: CoverageThreshold,
    profiles: Mapping[str, TravelProfile],
    cells: CellSet,
    weights: np.ndarray,
    base: np.ndarray,
    places: gpd.GeoDataFrame | None,
    max_snap_m: float,
    check_with_ilp: bool = False,
) -> Proposals:
    """New 24/7 AED sites: lazy greedy on candidate→cell coverage at the proposal moment.

    ``weights`` per cell (0 for flagged cells) is what the greedy maximises; ``base`` the
    cells already covered at the proposal moment. Gains are reported in residents.
    """
    sites = candidate_sites(net, candidates, settings=settings, cells=cells)
    if len(sites) == 0 or cells.n == 0:
        return Proposals(empty_table(PROPOSAL_COLUMNS, net.crs), None)
    cov = _site_coverage(net, sites, cells=cells, thr=thr, profiles=profiles, max_snap_m=max_snap_m)
    res = greedy_max_coverage(cov, weights, n=settings.n_proposals, already_covered=base)
    check = None
    if check_with_ilp:
        check = _ilp_check(
            cov, weights, n=settings.n_proposals, base=base, greedy_objective=res.objective
        )
    picks = res.picks
    g_res, g_65 = gains_in_residents(cov, picks, base, cells.residents, cells.residents_65_plus)
    geoms = sites["geometry"].to_numpy()[picks]
    table = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
            "kind": sites["kind"].to_numpy()[picks],
            "name": sites["name"].to_numpy()[picks],
            "address": [address_from_tags(t) for t in sites["tags"].to_numpy()[picks]],
            "near": nearest_place_names(places, geoms),
            "gain_residents": g_res,
            "gain_residents_65_plus": g_65,
            "cumulative_residents": np.cumsum(g_res),
        },
        geometry=geoms,
        crs=net.crs,
    )
    return Proposals(table, check)


def text_column(rows: pd.DataFrame, column: str) -> list[str]:
    if column not in rows:
        return [""] * len(rows)
    values = rows[column].astype(object).to_numpy()
    return ["" if v is None or v is pd.NA or v != v else str(v) for v in values]


def relocate_aeds(
    aeds: AedSet,
    incidence_matrix: sp.csr_array,
    *,
    settings: HartveiligSettings,
    cells: CellSet,
    weights: np.ndarray,
    base: np.ndarray,
    places: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Greedy choice of limited-hours AEDs in the gemeente (counted for coverage) to make
    24/7 at the same spot (:data:`RELOCATION_COLUMNS` + geometry)."""
    movable = np.flatnonzero((aeds.status == "limited") & aeds.in_gemeente & aeds.counts)
    if len(movable) == 0 or settings.relocate_k <= 0 or cells.n == 0:
        return empty_table(RELOCATION_COLUMNS, aeds.table.crs or RD_NEW)
    cov = sp.csr_array(incidence_matrix.T.tocsr()[movable]).astype(bool)  # (movable × cells)
    res = greedy_max_coverage(cov, weights, n=settings.relocate_k, already_covered=base)
    picks = res.picks
    g_res, _ = gains_in_residents(cov, picks, base, cells.residents, np.zeros(cells.n))
    rows = aeds.table.iloc[movable[picks]]
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(picks) + 1, dtype=np.int64),
            "aed_id": rows["aed_id"].to_numpy() if "aed_id" in rows else movable[picks],
            "name": rows["name"].to_numpy() if "name" in rows else None,
            "address": text_column(rows, "street"),
            "near": nearest_place_names(places, rows.geometry.to_numpy()),
            "current_availability": text_column(rows, "availability"),
            "to": RELOCATION_TO,
            "gain_residents": g_res,
            "cumulative_residents": np.cumsum(g_res),
        },
        geometry=rows.geometry.to_numpy(),
        crs=aeds.table.crs or RD_NEW,
    )
