"""Snapping points to a :class:`~bereikbaar.network.Network` and travel times over it.

Points (AEDs, GPs, population cells, ...) are placed on the nearest *edge*, not the
nearest node: a :class:`SnappedPoints` records the edge (u→v), the fraction ``t`` along
it and the snap distance. A point at fraction ``t`` of an edge with travel time ``tt`` is
``t·tt`` from ``u`` and ``(1 − t)·tt`` from ``v`` — from ``v`` only when the reverse edge
exists (two-way street). Two points on the same edge reach each other directly along it.
The access leg between a point and its snapped position is added as
``snap_distance_m / access_speed_mps`` (``access_speed_mps=None``: the profile's speed for
walk/bike, 5 km/h walking for drive). Points farther than ``max_snap_m`` from any edge are
*flagged* and never routed.

Shortest paths use :func:`scipy.sparse.csgraph.dijkstra`. Every snapped point that starts
a search becomes a virtual node with edges to the two ends of its edge, so one call finds
the nearest of many facilities (``min_only=True``). Searches with a cutoff run on the part
of the network that can be reached within it (a box of ``cutoff · fastest edge speed``
around the sources), which keeps pairs-within-a-cutoff fast for thousands of sources.
The network's travel-time matrix is built once per profile and direction and kept on the
network; each search only appends its virtual nodes to it (or slices its box from it).

Unreachable means NaN (never a large number) and facility index -1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bereikbaar.config import TravelProfile
from bereikbaar.errors import RoutingError, check_crs
from bereikbaar.network import Network

log = logging.getLogger(__name__)

DRIVE_ACCESS_SPEED_MPS = 5.0 / 3.6
DIRECTIONS = ("from_facility", "to_facility")


@dataclass(frozen=True)
class SnappedPoints:
    """Points placed on the nearest edge of a network.

    ``edge`` is the edge position (u→v) the point lies on, ``fraction`` the position along
    it (0 at u, 1 at v), ``snap_distance_m`` the distance from the point to that position.
    ``flagged`` points (farther than ``max_snap_m``, or without geometry) are never routed.
    """

    index: pd.Index
    edge: np.ndarray
    fraction: np.ndarray
    snap_distance_m: np.ndarray
    flagged: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def subset(self, positions) -> SnappedPoints:
        """The points at ``positions`` (array of ints or a boolean mask)."""
        pos = np.asarray(positions)
        return SnappedPoints(
            index=self.index[pos],
            edge=self.edge[pos],
            fraction=self.fraction[pos],
            snap_distance_m=self.snap_distance_m[pos],
            flagged=self.flagged[pos],
        )


@dataclass(frozen=True)
class NearestFacility:
    """The nearest facility for every node (and target point).

    ``node_time_s[i]`` is the travel time between node ``i`` and its nearest facility
    ``node_facility[i]`` (position in the facilities), in the direction asked for; NaN and
    -1 where none is reachable within the cutoff. ``target_*`` are the same for the target
    points (None without targets), including both access legs.
    """

    node_time_s: np.ndarray
    node_facility: np.ndarray
    target_time_s: np.ndarray | None = None
    target_facility: np.ndarray | None = None


# -------------------------------------------------------------------------- snapping
def _canonical_edges(net: Network) -> np.ndarray:
    """One edge per street piece: edges without a reverse twin, and the lower of a pair."""
    rev = net.edge_reverse
    idx = np.arange(net.n_edges)
    return np.flatnonzero((rev < 0) | (idx < rev))


def _strtree(net: Network):
    key = ("strtree",)
    if key not in net._cache:
        import shapely

        canon = _canonical_edges(net)
        net._cache[key] = (shapely.STRtree(net.edge_geometry[canon]), canon)
    return net._cache[key]


def snap_points(net: Network, points, *, max_snap_m: float = 500.0) -> SnappedPoints:
    """Place points on the nearest edge of ``net``.

    Parameters
    ----------
    net
        The network.
    points
        A GeoSeries or GeoDataFrame of Points in the network's CRS (``net.crs``).
    max_snap_m
        Points farther than this from every edge are flagged (never routed).

    Returns
    -------
    SnappedPoints
        Aligned to ``points.index``. On two-way streets the point lies on the lower of
        the two edge positions (consistently, so points on one street share an edge).
    """
    import geopandas as gpd
    import shapely

    if not isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame):
        raise RoutingError("snap_points needs a GeoSeries or GeoDataFrame of points")
    check_crs(points, net.crs, what="the points to snap")
    geoms = np.asarray(points.geometry.values, dtype=object)
    n = len(geoms)
    edge = np.full(n, -1, dtype=np.int64)
    fraction = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    bad = ~missing & (types != shapely.GeometryType.POINT)
    if bad.any():
        first = points.index[np.flatnonzero(bad)[0]]
        raise RoutingError(
            f"{int(bad.sum())} geometries are not Points (first at index {first!r}); "
            "use their centroids (gdf.geometry.centroid) or representative points"
        )
    ok = np.flatnonzero(~missing)
    if len(ok) and net.n_edges:
        edge[ok], fraction[ok], dist[ok] = _nearest_edges_kept(net, geoms[ok])
    flagged = ~(dist <= max_snap_m)
    if flagged.any():
        log.info(
            "%d of %d points lie farther than %.0f m from the %s network (flagged, not routed)",
            int(flagged.sum()),
            n,
            max_snap_m,
            net.mode,
        )
    return SnappedPoints(
        index=pd.Index(points.index),
        edge=edge,
        fraction=fraction,
        snap_distance_m=dist,
        flagged=flagged,
    )


#: Snapped points kept per network (by their coordinates) before the store starts anew.
_KEEP_SNAPS = 2_000_000


def _nearest_edges_kept(net: Network, geoms: np.ndarray):
    """:func:`_nearest_edges`, each point worked out once per network (a point's edge,
    fraction and distance depend on nothing else), so the cells, villages and services
    that several analyses and municipalities snap are looked up the next time."""
    import shapely

    xy = shapely.get_coordinates(geoms)
    keys = pd.Index(xy[:, 0] + 1j * xy[:, 1])
    known = net._cache.get(("snaps",))
    at = known[0].get_indexer(keys) if known is not None else np.full(len(keys), -1)
    new = np.flatnonzero(at < 0)
    if len(new):
        fresh_keys, first = np.unique(keys[new].to_numpy(), return_index=True)
        found = _nearest_edges(net, geoms[new[first]])
        if known is None or len(known[0]) + len(fresh_keys) > _KEEP_SNAPS:
            known = (pd.Index(fresh_keys), *found)
        else:
            known = (
                known[0].append(pd.Index(fresh_keys)),
                *(np.concatenate([a, b]) for a, b in zip(known[1:], found, strict=True)),
            )
        net._cache[("snaps",)] = known
        at = known[0].get_indexer(keys)
    return known[1][at], known[2][at], known[3][at]


def _nearest_edges(net: Network, geoms: np.ndarray):
    """(edge, fraction, distance) of the nearest canonical edge to each point; ties (a
    point on a junction) go to the lowest edge position."""
    import shapely

    tree, canon = _strtree(net)
    (inp, hit), d = tree.query_nearest(geoms, return_distance=True, all_matches=True)
    cand = canon[hit]
    order = np.lexsort((cand, inp))
    inp, cand, d = inp[order], cand[order], d[order]
    first = np.r_[True, inp[1:] != inp[:-1]]
    edge = np.full(len(geoms), -1, dtype=np.int64)
    dist = np.full(len(geoms), np.nan)
    edge[inp[first]] = cand[first]
    dist[inp[first]] = d[first]
    lines = net.edge_geometry[edge]
    lengths = shapely.length(lines)
    along = shapely.line_locate_point(lines, geoms)
    fraction = np.where(lengths > 0, along / np.where(lengths > 0, lengths, 1), 0.0)
    return edge, np.clip(fraction, 0.0, 1.0), dist


def snapped_xy(net: Network, points: SnappedPoints) -> np.ndarray:
    """(k, 2) coordinates of the snapped positions (NaN for points without an edge)."""
    import shapely

    xy = np.full((len(points), 2), np.nan)
    ok = points.edge >= 0
    if ok.any():
        pts = shapely.line_interpolate_point(
            net.edge_geometry[points.edge[ok]], points.fraction[ok], normalized=True
        )
        xy[ok] = shapely.get_coordinates(pts)
    return xy


# --------------------------------------------------------------------------- helpers
def _digest(*arrays) -> bytes:
    """A content key for numpy arrays (dtype, shape and bytes of each)."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.digest()


def _pts_key(p: _Pts) -> bytes:
    """Content key of routable points: what a search from or to them depends on."""
    return _digest(p.edge, p.t, p.access_s)


@dataclass(frozen=True)
class _Pts:
    """Routable points on canonical edges: positions, edge, fraction, access time."""

    pos: np.ndarray  # positions in the caller's SnappedPoints
    edge: np.ndarray
    t: np.ndarray
    access_s: np.ndarray


def _prepare(net: Network, pts: SnappedPoints, access_mps: float, what: str) -> _Pts:
    if not isinstance(pts, SnappedPoints):
        raise RoutingError(f"{what} must be SnappedPoints (use snap_points first)")
    edge = np.asarray(pts.edge, dtype=np.int64)
    if len(edge) and edge.max() >= net.n_edges:
        raise RoutingError(f"{what} refer to edges this network does not have; snap them to it")
    ok = ~np.asarray(pts.flagged, dtype=bool) & (edge >= 0)
    pos = np.flatnonzero(ok)
    e = edge[pos]
    t = np.asarray(pts.fraction, dtype=np.float64)[pos]
    # move points on the higher edge of a two-way pair onto the lower one
    rev = net.edge_reverse[e]
    swap = (rev >= 0) & (rev < e)
    e = np.where(swap, rev, e)
    t = np.where(swap, 1.0 - t, t)
    d = np.nan_to_num(np.asarray(pts.snap_distance_m, dtype=np.float64)[pos], nan=0.0)
    return _Pts(pos=pos, edge=e, t=t, access_s=d / access_mps)


def _access_speed(net: Network, profile: TravelProfile, access_speed_mps: float | None) -> float:
    if access_speed_mps is not None:
        if access_speed_mps <= 0:
            raise RoutingError("access_speed_mps must be > 0")
        return float(access_speed_mps)
    if net.mode == "drive":
        return DRIVE_ACCESS_SPEED_MPS
    return float(profile.speed_mps)


def _against(frac: np.ndarray, tt_twin: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Time to move ``frac`` of an edge against its direction: along the twin edge, free
    when ``frac`` is 0 (the point is on the node), impossible on one-way edges otherwise."""
    safe = np.where(has, tt_twin, 0.0)
    return np.where(has, frac * safe, np.where(frac == 0, 0.0, np.inf))


def _edge_ends(net: Network, tt: np.ndarray, e: np.ndarray):
    """For edges ``e``: their nodes u and v, their times, their twins' times (where a twin
    exists) and whether it exists."""
    twin = net.edge_reverse[e]
    has = twin >= 0
    return net.edge_u[e], net.edge_v[e], tt[e], tt[np.where(has, twin, 0)], has


def _source_legs(net: Network, tt: np.ndarray, p: _Pts, *, reverse: bool):
    """Virtual edges from each point to graph nodes.

    Forward (``reverse=False``): cost to leave the point to v (and to u on two-way edges).
    Reverse: cost to come from u (and from v) to the point, for searches on the
    transposed graph.
    """
    k = len(p.edge)
    u, v, tt_e, tt_twin, has = _edge_ends(net, tt, p.edge)
    if not reverse:
        first_node, first_cost = v, (1.0 - p.t) * tt_e
        second_node, second_cost = u, _against(p.t, tt_twin, has)
    else:
        first_node, first_cost = u, p.t * tt_e
        second_node, second_cost = v, _against(1.0 - p.t, tt_twin, has)
    ok = np.isfinite(second_cost)
    src = np.r_[np.arange(k), np.arange(k)[ok]]
    node = np.r_[first_node, second_node[ok]]
    cost = np.r_[first_cost, second_cost[ok]] + p.access_s[src]
    return src, node, cost


def _target_times(
    net: Network, tt: np.ndarray, dist: np.ndarray, q: _Pts, *, local: np.ndarray | None = None
) -> np.ndarray:
    """Times at target points from node times ``dist`` (c, n_searched): the endpoint routes
    only (arriving from u along the edge, or from v along its twin). ``local`` maps node
    ids to columns of ``dist`` (-1: not searched, so unreached); None: columns are node ids.
    """
    u, v, tt_e, tt_twin, has = _edge_ends(net, tt, q.edge)
    a = _node_times(dist, u, local) + q.t * tt_e
    b = _node_times(dist, v, local) + _against(1.0 - q.t, tt_twin, has)
    return np.fmin(a, b) + q.access_s


def _node_times(dist: np.ndarray, ids: np.ndarray, local: np.ndarray | None) -> np.ndarray:
    """``dist[:, ids]`` where ``local`` maps node ids to columns; inf for unsearched nodes."""
    if local is None:
        return dist[:, ids]
    col = local[ids]
    if dist.shape[1] == 0:  # the box held no node (points mid-way along a long street)
        return np.full((dist.shape[0], len(ids)), np.inf)
    return np.where(col >= 0, dist[:, np.maximum(col, 0)], np.inf)


def _same_edge_pairs(edge_a: np.ndarray, edge_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) with ``edge_a[i] == edge_b[j]``, by i and then by j."""
    order = np.argsort(edge_b, kind="stable")
    eb = edge_b[order]
    lo = np.searchsorted(eb, edge_a, side="left")
    count = np.searchsorted(eb, edge_a, side="right") - lo
    ia = np.repeat(np.arange(len(edge_a)), count)
    start = np.repeat(lo - (np.cumsum(count) - count), count)
    return ia, order[start + np.arange(len(ia))]


def _same_edge_time(net, tt, edge, t_from, t_to) -> np.ndarray:
    """Time from fraction ``t_from`` to ``t_to`` along ``edge`` (or back along its twin).

    Ahead (``t_to > t_from``) is reached along the edge; behind only along the twin of a
    two-way street; the same position costs nothing (even where the edge time is infinite).
    """
    twin = net.edge_reverse[edge]
    d = np.asarray(t_to, dtype=float) - np.asarray(t_from, dtype=float)
    out = np.full(len(edge), np.inf)
    ahead = d > 0
    out[ahead] = d[ahead] * tt[edge[ahead]]
    behind = (d < 0) & (twin >= 0)
    out[behind] = -d[behind] * tt[twin[behind]]
    out[d == 0] = 0.0
    return out


def _extend_csr(base, src: np.ndarray, node: np.ndarray, cost: np.ndarray, k: int):
    """``base`` (n, n) plus k virtual source nodes (n .. n+k-1) with edges ``src → node``.

    The virtual nodes only have outgoing edges, so their rows are appended after the base
    rows: one concatenation instead of sorting every edge again. Entries keep the order
    :func:`~bereikbaar.network.csr_from_edges` would give (stable by source).
    """
    from scipy.sparse import csr_array

    n = base.shape[0]
    order = np.argsort(src, kind="stable")
    idx_dtype = base.indices.dtype
    indptr = np.empty(n + k + 1, dtype=base.indptr.dtype)
    indptr[: n + 1] = base.indptr
    np.cumsum(np.bincount(src, minlength=k), out=indptr[n + 1 :])
    indptr[n + 1 :] += base.indptr[n]
    indices = np.concatenate([base.indices, np.asarray(node)[order].astype(idx_dtype)])
    data = np.concatenate([base.data, np.asarray(cost, dtype=np.float64)[order]])
    return csr_array((data, indices, indptr), shape=(n + k, n + k))


@dataclass(frozen=True)
class _Box:
    """The part of a network within a box: its nodes (ascending), their position in it
    (-1 outside) and the induced (n_sub, n_sub) travel-time CSR."""

    nodes: np.ndarray
    local: np.ndarray
    graph: object


def _box_nodes(net: Network, xy: np.ndarray, radius: float) -> np.ndarray | None:
    """Mask of the nodes within ``radius`` of the bounding box of ``xy``; None when that
    is most of the network (searching all of it is then as fast)."""
    x0, y0 = xy.min(axis=0) - radius
    x1, y1 = xy.max(axis=0) + radius
    inbox = (net.node_x >= x0) & (net.node_x <= x1) & (net.node_y >= y0) & (net.node_y <= y1)
    return None if inbox.mean() > 0.6 else inbox


def _sub_csr(base, inbox: np.ndarray) -> _Box:
    """Rows and columns of ``base`` for the nodes in ``inbox``, renumbered in order.

    Sliced from the cached base CSR (entries stay in their order), so it equals building
    the subgraph from the edges inside the box, at the cost of the rows it keeps.
    """
    from scipy.sparse import csr_array

    nodes = np.flatnonzero(inbox)
    local = np.full(len(inbox), -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    starts = base.indptr[nodes].astype(np.int64)
    lens = base.indptr[nodes + 1].astype(np.int64) - starts
    total = int(lens.sum())
    shift = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    flat = shift + np.arange(total, dtype=np.int64)
    cols = base.indices[flat]
    keep = inbox[cols]
    row = np.repeat(np.arange(len(nodes)), lens)[keep]
    idx_dtype = base.indices.dtype
    indptr = np.zeros(len(nodes) + 1, dtype=base.indptr.dtype)
    np.cumsum(np.bincount(row, minlength=len(nodes)), out=indptr[1:])
    graph = csr_array(
        (base.data[flat[keep]], local[cols[keep]].astype(idx_dtype), indptr),
        shape=(len(nodes), len(nodes)),
    )
    return _Box(nodes=nodes, local=local, graph=graph)


def _dijkstra(graph, indices, *, limit: float, min_only: bool):
    from scipy.sparse.csgraph import dijkstra

    if min_only:
        dist, _, sources = dijkstra(
            graph,
            directed=True,
            indices=indices,
            min_only=True,
            limit=limit,
            return_predecessors=True,
        )
        return dist, sources
    return dijkstra(graph, directed=True, indices=indices, limit=limit), None


# ------------------------------------------------------------------- search regions
#: Projected distances may exceed the geodesic lengths by the CRS's scale factor (RD New and
#: UTM stay within 0.1% in their area of use); the search box allows 1%.
_SCALE_MARGIN = 1.01


def _max_speed_mps(net: Network, profile: TravelProfile) -> float:
    """The fastest edge speed (m/s) under ``profile``; inf when an edge takes no time."""
    key = ("max_speed_mps", profile)
    if key not in net._cache:
        tt = net.travel_time_s(profile)
        ok = tt > 0
        speed = float(np.max(net.edge_length_m[ok] / tt[ok])) if ok.any() else np.inf
        net._cache[key] = speed
    return net._cache[key]


def _search_radius(net: Network, profile: TravelProfile, cutoff_s: float) -> float:
    """How far (m) from its start a search limited to ``cutoff_s`` can get; inf if unlimited."""
    if not np.isfinite(cutoff_s):
        return np.inf
    radius = cutoff_s * _max_speed_mps(net, profile)
    return radius * _SCALE_MARGIN + 1.0 if np.isfinite(radius) else np.inf


def _search_graph(net: Network, base, xy: np.ndarray, radius: float, legs, k: int):
    """The graph one search runs on: the cached base CSR, or the part of it within
    ``radius`` of the points ``xy`` (no path within the cutoff leaves that box), plus k
    virtual source nodes with their ``legs`` (src, node, cost).

    Returns the graph, the number of real nodes in it and the node-to-column map (None
    when the whole network is searched).
    """
    src, node, cost = legs
    inbox = _box_nodes(net, xy, radius) if np.isfinite(radius) and len(xy) else None
    if inbox is None:
        return _extend_csr(base, src, node, cost, k), net.n_nodes, None
    box = _sub_csr(base, inbox)
    keep = inbox[node]
    graph = _extend_csr(box.graph, src[keep], box.local[node[keep]], cost[keep], k)
    return graph, len(box.nodes), box.local


def _edges_box(net: Network, edges: np.ndarray) -> np.ndarray:
    """(2, 2) corners of the bounding box of the edges' geometries (cached per network):
    it holds every point snapped to them, and is cheaper than locating the points."""
    import shapely

    key = ("edge_bounds",)
    if key not in net._cache:
        net._cache[key] = shapely.bounds(net.edge_geometry)
    b = net._cache[key][edges]
    return np.array([[b[:, 0].min(), b[:, 1].min()], [b[:, 2].max(), b[:, 3].max()]])


def _pts_xy(net: Network, p: _Pts) -> np.ndarray:
    k = len(p.edge)
    return snapped_xy(
        net, SnappedPoints(pd.RangeIndex(k), p.edge, p.t, p.access_s, np.zeros(k, bool))
    )


# --------------------------------------------------------------------- nearest facility
def nearest_facility(
    net: Network,
    facilities: SnappedPoints,
    *,
    profile: TravelProfile,
    targets: SnappedPoints | None = None,
    cutoff_s: float | None = None,
    direction: str = "from_facility",
    access_speed_mps: float | None = None,
) -> NearestFacility:
    """The nearest facility (by travel time) for every node and target point, in one pass.

    Parameters
    ----------
    net
        The network the points were snapped to.
    facilities
        Snapped facilities; flagged ones are ignored.
    profile
        Travel profile for ``net.mode``.
    targets
        Optional snapped points to report times for (e.g. population cells).
    cutoff_s
        Stop searching beyond this time (s); farther nodes/targets are NaN and -1.
    direction
        ``from_facility``: time to travel from the facility to the node/target;
        ``to_facility``: time to travel from the node/target to the facility (runs on the
        reversed graph; differs on one-way streets).
    access_speed_mps
        Speed of the access legs (m/s); None: see the module docstring.

    Returns
    -------
    NearestFacility
    """
    if direction not in DIRECTIONS:
        raise RoutingError(f"direction {direction!r} must be one of {', '.join(DIRECTIONS)}")
    net.check_profile(profile)
    access = _access_speed(net, profile, access_speed_mps)
    f = _prepare(net, facilities, access, "facilities")
    reverse = direction == "to_facility"
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    node_time, node_fac = _nearest_nodes(net, profile, f, reverse=reverse, limit=limit)
    if targets is None:
        return NearestFacility(node_time_s=node_time, node_facility=node_fac)
    q = _prepare(net, targets, access, "targets")
    t_time = np.full(len(targets), np.nan)
    t_fac = np.full(len(targets), -1, dtype=np.int64)
    if len(q.edge) and len(f.edge):
        time_s, fac = _nearest_targets(net, profile, f, q, node_time, node_fac, reverse=reverse)
        ok = np.isfinite(time_s) & (time_s <= limit)
        t_time[q.pos[ok]] = time_s[ok]
        t_fac[q.pos[ok]] = fac[ok]
    return NearestFacility(
        node_time_s=node_time, node_facility=node_fac, target_time_s=t_time, target_facility=t_fac
    )


def nearest_in_pool(
    net: Network,
    facilities: SnappedPoints,
    pool: SnappedPoints,
    *,
    profile: TravelProfile,
    targets: SnappedPoints,
    direction: str = "from_facility",
    access_speed_mps: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The targets' nearest facility as :func:`nearest_facility` finds it, from one search
    over a larger ``pool`` that several callers share (e.g. the services of a whole study
    area, while each municipality asks for the ones in its own halo).

    The pool's search runs once per pool (kept by :meth:`Network.memo`). A target whose
    nearest pool point is one of ``facilities`` (the same snapped position and access) has
    the same answer; where it is not, or when ``facilities`` is not part of the pool, the
    search over ``facilities`` alone answers. Equal times reached from two facilities may
    name the other one.

    Returns
    -------
    tuple of numpy.ndarray
        ``(target_time_s, target_facility)`` as in :class:`NearestFacility` (NaN / -1).
    """
    if direction not in DIRECTIONS:
        raise RoutingError(f"direction {direction!r} must be one of {', '.join(DIRECTIONS)}")
    net.check_profile(profile)
    access = _access_speed(net, profile, access_speed_mps)
    f = _prepare(net, facilities, access, "facilities")
    pf = _prepare(net, pool, access, "pool")
    q = _prepare(net, targets, access, "targets")
    reverse = direction == "to_facility"
    own = _rows_by_content(f)
    pool_keys = _row_keys(pf)
    t_time = np.full(len(targets), np.nan)
    t_fac = np.full(len(targets), -1, dtype=np.int64)
    if not (len(q.edge) and len(f.edge)):
        return t_time, t_fac
    if not own.keys() <= set(pool_keys):
        return _nearest_plain(net, facilities, profile, targets, direction, access_speed_mps)
    rows = _Pts(pos=np.arange(len(pf.edge)), edge=pf.edge, t=pf.t, access_s=pf.access_s)
    node_time, node_row = _nearest_nodes(net, profile, rows, reverse=reverse, limit=np.inf)
    time_s, row = _nearest_targets(net, profile, rows, q, node_time, node_row, reverse=reverse)
    pool_to_own = np.asarray([own.get(k, -1) for k in pool_keys], dtype=np.int64)
    fac = np.where(row >= 0, pool_to_own[np.maximum(row, 0)], -1)
    ok = np.isfinite(time_s) & (fac >= 0)
    t_time[q.pos[ok]] = time_s[ok]
    t_fac[q.pos[ok]] = fac[ok]
    redo = q.pos[(row >= 0) & (fac < 0)]  # nearest in the pool is not one of the facilities
    if len(redo):
        plain_t, plain_f = _nearest_plain(
            net, facilities, profile, targets.subset(redo), direction, access_speed_mps
        )
        t_time[redo], t_fac[redo] = plain_t, plain_f
    return t_time, t_fac


def _nearest_plain(net, facilities, profile, targets, direction, access_speed_mps):
    nf = nearest_facility(
        net,
        facilities,
        profile=profile,
        targets=targets,
        direction=direction,
        access_speed_mps=access_speed_mps,
    )
    return nf.target_time_s, nf.target_facility


def _row_keys(p: _Pts) -> list[bytes]:
    """Per routable point, the bytes of (edge, fraction, access time): its position."""
    rows = np.ascontiguousarray(np.column_stack([p.edge.astype(np.float64), p.t, p.access_s]))
    return rows.view(np.dtype((np.void, rows.shape[1] * 8))).ravel().tolist()


def _rows_by_content(p: _Pts) -> dict[bytes, int]:
    """Position key → the first point (position in the caller's SnappedPoints) there."""
    out: dict[bytes, int] = {}
    for key, pos in zip(_row_keys(p), p.pos.tolist(), strict=True):
        out.setdefault(key, pos)
    return out


def _nearest_nodes(
    net: Network, profile: TravelProfile, f: _Pts, *, reverse: bool, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """(time, facility position) of the nearest facility for every node; NaN / -1 unreached.

    One multi-source search (``min_only``) from virtual facility nodes; with a finite
    ``limit`` only over the box the search can reach.
    """
    if not len(f.edge):
        log.warning("nearest_facility: no routable facilities (all flagged or none given)")
        return np.full(net.n_nodes, np.nan), np.full(net.n_nodes, -1, dtype=np.int64)
    key = ("nearest", profile, reverse, limit, _pts_key(f))
    node_time, node_row = net.memo(key, lambda: _nearest_search(net, profile, f, reverse, limit))
    node_fac = np.where(node_row >= 0, f.pos[np.maximum(node_row, 0)], -1)
    return node_time.copy(), node_fac.astype(np.int64)


def _nearest_search(net: Network, profile: TravelProfile, f: _Pts, reverse: bool, limit: float):
    """(time, row in ``f``) of the nearest facility for every node (NaN / -1 unreached)."""
    n = net.n_nodes
    node_time = np.full(n, np.nan)
    node_row = np.full(n, -1, dtype=np.int32)
    k = len(f.edge)
    tt = net.travel_time_s(profile)
    legs = _source_legs(net, tt, f, reverse=reverse)
    radius = _search_radius(net, profile, limit)
    xy = _edges_box(net, f.edge) if np.isfinite(radius) else np.zeros((0, 2))
    base = net.csr(profile, transpose=reverse)
    graph, nsub, local = _search_graph(net, base, xy, radius, legs, k)
    dist, sources = _dijkstra(graph, nsub + np.arange(k), limit=limit, min_only=True)
    d = dist[:nsub]
    reached = np.flatnonzero(np.isfinite(d))
    ids = reached if local is None else np.flatnonzero(local >= 0)[reached]
    node_time[ids] = d[reached]
    node_row[ids] = sources[reached] - nsub
    return node_time, node_row


def _nearest_targets(net, profile, f: _Pts, q: _Pts, node_time, node_fac, *, reverse: bool):
    """(time, facility position) for the routable targets ``q`` from the node results,
    including targets that share an edge with a facility (reached along it directly)."""
    tt = net.travel_time_s(profile)
    dist_nodes = np.where(np.isnan(node_time), np.inf, node_time)
    e = q.edge
    u, v, tt_e, tt_twin, has = _edge_ends(net, tt, e)
    if not reverse:  # arrive from u along the edge, or from v along its twin
        a = dist_nodes[u] + q.t * tt_e
        b = dist_nodes[v] + _against(1.0 - q.t, tt_twin, has)
        fa, fb = node_fac[u], node_fac[v]
    else:  # leave to v along the edge, or to u along its twin
        a = dist_nodes[v] + (1.0 - q.t) * tt_e
        b = dist_nodes[u] + _against(q.t, tt_twin, has)
        fa, fb = node_fac[v], node_fac[u]
    best = np.fmin(a, b)
    fac = np.where(a <= b, fa, fb)
    ia, jf = _same_edge_pairs(e, f.edge)
    if len(ia):
        t_from, t_to = (q.t[ia], f.t[jf]) if reverse else (f.t[jf], q.t[ia])
        c = _same_edge_time(net, tt, e[ia], t_from, t_to) + f.access_s[jf]
        # per target the first of its cheapest same-edge facilities
        order = np.lexsort((np.arange(len(ia)), c, ia))
        first = order[np.r_[True, ia[order][1:] != ia[order][:-1]]]
        better = first[c[first] < best[ia[first]]]
        best[ia[better]] = c[better]
        fac[ia[better]] = f.pos[jf[better]]
    return best + q.access_s, fac


# ---------------------------------------------------------------- many-to-many searches
@dataclass(frozen=True)
class _Search:
    """One chunk of origins searched together: their rows in the prepared origins, the
    node-to-column map of ``dist`` (None: all nodes) and ``dist`` (c, n_searched)."""

    rows: np.ndarray
    local: np.ndarray | None
    dist: np.ndarray


def _origin_groups(xy: np.ndarray, radius: float, chunk_size: int, n: int) -> list[np.ndarray]:
    """Chunks of origin rows: by grid cell of ``4 × radius`` with a cutoff (so a chunk's
    box stays small), else in order with at most 2**25 distances per chunk."""
    k = len(xy)
    if not np.isfinite(radius):
        per = max(1, min(chunk_size, (1 << 25) // max(n, 1)))
        return [np.arange(s, min(s + per, k)) for s in range(0, k, per)]
    cell = max(4.0 * radius, 2_000.0)
    cx = np.floor(xy[:, 0] / cell).astype(np.int64)
    cy = np.floor(xy[:, 1] / cell).astype(np.int64)
    order = np.lexsort((np.arange(k), cx, cy))
    key = (cy * 1_000_003 + cx)[order]
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    groups = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        rows = order[a:b]
        groups.extend(rows[s : s + chunk_size] for s in range(0, len(rows), chunk_size))
    return groups


def _chunks(
    net: Network,
    profile: TravelProfile,
    o: _Pts,
    cutoff: float,
    chunk_size: int,
    *,
    reverse: bool = False,
):
    """Yield a :class:`_Search` per chunk of origins (rows into ``o``).

    With a finite cutoff, origins are grouped by grid cell and each group searches only
    the nodes within ``cutoff × fastest speed`` of its points (no path within the cutoff
    can leave that box). Without one, the whole network is searched in chunks.
    ``reverse=True`` searches the transposed graph from ``o``: ``dist`` is then the time
    from each node *to* the points.
    """
    k = len(o.edge)
    if k == 0:
        return
    tt = net.travel_time_s(profile)
    base = net.csr(profile, transpose=reverse)
    radius = _search_radius(net, profile, cutoff)
    xy = _pts_xy(net, o) if np.isfinite(radius) else np.zeros((k, 2))
    for rows in _origin_groups(xy, radius, max(1, int(chunk_size)), net.n_nodes):
        sub = _Pts(pos=o.pos[rows], edge=o.edge[rows], t=o.t[rows], access_s=o.access_s[rows])
        legs = _source_legs(net, tt, sub, reverse=reverse)
        graph, nsub, local = _search_graph(net, base, xy[rows], radius, legs, len(rows))
        dist, _ = _dijkstra(graph, nsub + np.arange(len(rows)), limit=cutoff, min_only=False)
        yield _Search(rows=rows, local=local, dist=dist[:, :nsub])


def _origin_times(net, tt, dist: np.ndarray, p: _Pts, local: np.ndarray | None) -> np.ndarray:
    """Times from origin points ``p`` given node-to-destination times ``dist`` (c, n):
    the endpoint routes only (leaving to v along the edge, or to u along its twin)."""
    u, v, tt_e, tt_twin, has = _edge_ends(net, tt, p.edge)
    a = (1.0 - p.t) * tt_e + _node_times(dist, v, local)
    b = _against(p.t, tt_twin, has) + _node_times(dist, u, local)
    return p.access_s + np.fmin(a, b)


def _pairs_in_reverse(net, tt, o: _Pts, s: _Search, q: _Pts, cutoff: float):
    """Like :func:`_pairs_in` for a reverse search from a chunk of destinations ``q``."""
    if s.local is None:
        oi = np.arange(len(o.edge))
    else:
        searched = s.local >= 0
        cand = searched[net.edge_u[o.edge]] | searched[net.edge_v[o.edge]]
        oi = np.flatnonzero(cand | np.isin(o.edge, q.edge[s.rows]))
    os_ = _Pts(pos=o.pos[oi], edge=o.edge[oi], t=o.t[oi], access_s=o.access_s[oi])
    times = _origin_times(net, tt, s.dist, os_, s.local)  # (c destinations, n origins)
    # origins and destinations on the same edge reach each other along it
    jq, io = _same_edge_pairs(q.edge[s.rows], os_.edge)
    if len(jq):
        r = s.rows[jq]
        c = _same_edge_time(net, tt, os_.edge[io], os_.t[io], q.t[r])
        times[jq, io] = np.fmin(times[jq, io], c + os_.access_s[io] + q.access_s[r])
    r, c = np.nonzero(times <= cutoff)
    return os_.pos[c], q.pos[s.rows][r], times[r, c]


def _dest_times(net, tt, o: _Pts, s: _Search, q: _Pts) -> np.ndarray:
    """(c, n_q) times from the chunk's origins to the destination points."""
    times = _target_times(net, tt, s.dist, q, local=s.local)
    # origins and destinations on the same edge reach each other along it
    ia, jq = _same_edge_pairs(o.edge[s.rows], q.edge)
    if len(ia):
        r = s.rows[ia]
        c = _same_edge_time(net, tt, o.edge[r], o.t[r], q.t[jq]) + o.access_s[r] + q.access_s[jq]
        times[ia, jq] = np.fmin(times[ia, jq], c)
    return times


def travel_time_matrix(
    net: Network,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    profile: TravelProfile,
    cutoff_s: float | None = None,
    chunk_size: int = 256,
    access_speed_mps: float | None = None,
) -> np.ndarray:
    """Travel times (s) from every origin to every destination, shape (n_o, n_d).

    NaN where unreachable, beyond ``cutoff_s`` or for flagged points. Origins are
    searched ``chunk_size`` at a time, so memory stays bounded.
    """
    net.check_profile(profile)
    tt = net.travel_time_s(profile)
    access = _access_speed(net, profile, access_speed_mps)
    o = _prepare(net, origins, access, "origins")
    q = _prepare(net, destinations, access, "destinations")
    cutoff = np.inf if cutoff_s is None else float(cutoff_s)
    out = np.full((len(origins), len(destinations)), np.nan)
    if len(q.edge) == 0:
        return out
    for s in _chunks(net, profile, o, cutoff, chunk_size):
        times = _dest_times(net, tt, o, s, q)
        times[~(np.isfinite(times) & (times <= cutoff))] = np.nan
        out[np.ix_(o.pos[s.rows], q.pos)] = times
    return out


def travel_time_matrix_full(
    net: Network,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    profile: TravelProfile,
    detour: float = 1.2,
    access_speed_mps: float | None = None,
) -> np.ndarray:
    """:func:`travel_time_matrix` without a cutoff, found with less searching.

    First every origin is searched only up to ``detour`` × the diagonal of the points'
    bounding box at the network's mean speed; origins with a destination not found
    within that are searched again without a limit. The numbers are the same: a search
    with a limit settles the nodes within it with the same shortest times.
    """
    kw = {"profile": profile, "access_speed_mps": access_speed_mps}
    ok_o = ~np.asarray(origins.flagged, bool) & (np.asarray(origins.edge) >= 0)
    ok_d = ~np.asarray(destinations.flagged, bool) & (np.asarray(destinations.edge) >= 0)
    if not (ok_o.any() and ok_d.any()):
        return travel_time_matrix(net, origins, destinations, **kw)
    xy = np.vstack([snapped_xy(net, origins)[ok_o], snapped_xy(net, destinations)[ok_d]])
    span_m = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    tt = net.travel_time_s(profile)
    mean_speed = float(net.edge_length_m.sum() / tt.sum()) if tt.sum() > 0 else np.inf
    limit_s = detour * span_m / mean_speed + 60.0
    out = np.full((len(origins), len(destinations)), np.nan)
    searched_s = np.zeros(len(origins))  # each origin's limit so far
    tiers = _matrix_tiers(net, origins, destinations, ok_o, ok_d, (limit_s, mean_speed))
    for cutoff_s in (None, limit_s, np.inf):
        if cutoff_s is not None:  # origins with a destination beyond their limit so far
            missing = ok_o & (np.isnan(out) & ok_d[None, :]).any(axis=1)
            tiers = [(np.flatnonzero(missing & (searched_s < cutoff_s)), cutoff_s)]
        for rows, lim in tiers:
            if len(rows):
                out[rows] = travel_time_matrix(
                    net, origins.subset(rows), destinations, cutoff_s=lim, **kw
                )
                searched_s[rows] = lim
    return out


#: The detour :func:`travel_time_matrix_full` first allows from the central origins to
#: their farthest destination (Drenthe's villages by e-bike: at most 1.38).
_INNER_DETOUR = 1.5


def _matrix_tiers(net, origins, destinations, ok_o, ok_d, limits):
    """(origin rows, first limit) per tier: the half of the origins whose farthest
    destination is nearest are searched up to the farthest of them at
    :data:`_INNER_DETOUR` (a smaller region), the others up to the overall limit. Only the
    work depends on this: an origin with a destination beyond its limit is searched again.
    ``limits``: (overall limit s, mean speed m/s)."""
    limit_s, mean_speed = limits
    rows = np.flatnonzero(ok_o)
    xy_o, xy_d = snapped_xy(net, origins)[rows], snapped_xy(net, destinations)[ok_d]
    far_m = np.hypot(xy_o[:, None, 0] - xy_d[None, :, 0], xy_o[:, None, 1] - xy_d[None, :, 1])
    need_s = np.minimum(_INNER_DETOUR * far_m.max(axis=1) / mean_speed + 60.0, limit_s)
    inner = need_s <= np.median(need_s)
    tiers = [(rows[inner], float(need_s[inner].max())), (rows[~inner], limit_s)]
    return [(r, lim) for r, lim in tiers if len(r)]


def travel_times_within(
    net: Network,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    profile: TravelProfile,
    cutoff_s: float,
    access_speed_mps: float | None = None,
    chunk_size: int = 256,
    direction: str = "forward",
) -> pd.DataFrame:
    """All (origin, destination) pairs with a travel time ≤ ``cutoff_s``, long format.

    ``direction`` chooses how the pairs are found, not what they are: ``"forward"``
    searches from each origin, ``"reverse"`` from each destination on the transposed
    graph (the same access legs and partial edge times), ``"auto"`` from whichever side
    has fewer points. Times agree to rounding (sums taken in another order).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin`` and ``destination`` (positions in the SnappedPoints) and
        ``time_s``, sorted by origin then destination.
    """
    if cutoff_s is None or not np.isfinite(cutoff_s):
        raise RoutingError("travel_times_within needs a finite cutoff_s (seconds)")
    if direction not in ("forward", "reverse", "auto"):
        raise RoutingError(f"direction must be 'forward', 'reverse' or 'auto', not {direction!r}")
    net.check_profile(profile)
    access = _access_speed(net, profile, access_speed_mps)
    o = _prepare(net, origins, access, "origins")
    q = _prepare(net, destinations, access, "destinations")
    cutoff = float(cutoff_s)
    if direction == "auto":
        direction = "reverse" if len(q.edge) < len(o.edge) else "forward"
    key = ("within", profile, cutoff, direction, chunk_size, _pts_key(o), _pts_key(q))
    key += (_digest(o.pos, q.pos),)
    found = net.memo(key, lambda: _pairs_within(net, profile, o, q, cutoff, chunk_size, direction))
    return found.copy()


def origins_within_reach(
    net: Network,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    profile: TravelProfile,
    cutoff_s: float,
    access_speed_mps: float | None = None,
) -> np.ndarray:
    """Positions of the origins that may have a destination within ``cutoff_s``.

    The others lie farther (in a straight line between the snapped positions) than a
    path within the cutoff can go, the same bound the searches' boxes use. A limited
    search settles its nodes with the same times whatever else is searched beside it, so
    :func:`travel_times_within` over these origins gives exactly the pairs it gives over
    all (with the origin positions of the subset).
    """
    from scipy.spatial import cKDTree

    net.check_profile(profile)
    access = _access_speed(net, profile, access_speed_mps)
    o = _prepare(net, origins, access, "origins")
    q = _prepare(net, destinations, access, "destinations")
    radius = _search_radius(net, profile, float(cutoff_s))
    if not (len(o.edge) and len(q.edge)) or not np.isfinite(radius):
        return o.pos if len(q.edge) else o.pos[:0]
    dist, _ = cKDTree(_pts_xy(net, q)).query(
        _pts_xy(net, o), distance_upper_bound=radius * (1.0 + 1e-9) + 1.0
    )
    return o.pos[np.isfinite(dist)]


def _pairs_within(net, profile, o: _Pts, q: _Pts, cutoff: float, chunk_size: int, direction):
    """The pairs of :func:`travel_times_within` (``direction`` forward or reverse)."""
    tt = net.travel_time_s(profile)
    parts = [np.zeros((0,), np.int64)] * 2 + [np.zeros(0)]
    found = [parts]
    if direction == "reverse" and len(o.edge):
        found += [
            _pairs_in_reverse(net, tt, o, s, q, cutoff)
            for s in _kept_chunks(net, profile, q, cutoff, chunk_size, reverse=True)
        ]
    elif direction == "forward" and len(q.edge):
        found += [
            _pairs_in(net, tt, o, s, q, cutoff)
            for s in _kept_chunks(net, profile, o, cutoff, chunk_size, reverse=False)
        ]
    origin, destination, time_s = (np.concatenate(col) for col in zip(*found, strict=True))
    df = pd.DataFrame(
        {
            "origin": origin.astype(np.int64),
            "destination": destination.astype(np.int64),
            "time_s": time_s,
        }
    )
    return df.sort_values(["origin", "destination"], kind="stable").reset_index(drop=True)


#: Searches from one set of points up to this many bytes are kept for the next caller
#: (e.g. the walks from every stop of a feed, asked again for each municipality).
_KEEP_SEARCHES_BYTES = 32 * 2**20


def _kept_chunks(net, profile, p: _Pts, cutoff: float, chunk_size: int, *, reverse: bool):
    """The :func:`_chunks` searches from ``p``; kept on the network from the second time
    the same searches are asked for, when they are small."""
    key = ("searches", profile, cutoff, chunk_size, reverse, _pts_key(p))
    if key in net._cache.get(("memo",), {}):
        return net.memo(key, list)
    found = list(_chunks(net, profile, p, cutoff, chunk_size, reverse=reverse))
    asked = net._cache.setdefault(("searches asked",), set())
    if key in asked and sum(s.dist.nbytes for s in found) <= _KEEP_SEARCHES_BYTES:
        net.memo(key, lambda: found)
    asked.add(key)
    return found


def _pairs_in(net, tt, o: _Pts, s: _Search, q: _Pts, cutoff: float):
    """(origin positions, destination positions, times) of one chunk's pairs ≤ ``cutoff``.

    Only destinations with an edge end in the searched box, or on an origin's edge, can be
    reached; the others are skipped before computing times.
    """
    if s.local is None:
        qi = np.arange(len(q.edge))
    else:
        searched = s.local >= 0
        cand = searched[net.edge_u[q.edge]] | searched[net.edge_v[q.edge]]
        qi = np.flatnonzero(cand | np.isin(q.edge, o.edge[s.rows]))
    qs = _Pts(pos=q.pos[qi], edge=q.edge[qi], t=q.t[qi], access_s=q.access_s[qi])
    times = _dest_times(net, tt, o, s, qs)
    r, c = np.nonzero(times <= cutoff)
    return o.pos[s.rows][r], qs.pos[c], times[r, c]


# -------------------------------------------------------------------------- isochrones
def _reached_pieces(net, tt, dist, f: _Pts | None, seconds: float) -> list:
    """Line pieces reached within ``seconds`` given node times ``dist`` (n,)."""
    import shapely
    from shapely.ops import substring

    u = net.edge_u
    du = dist[u]
    reach = np.where(tt > 0, (seconds - du) / np.where(tt > 0, tt, 1.0), np.inf)
    ok = du <= seconds
    full = ok & (reach >= 1.0)
    part = ok & (reach < 1.0) & (reach > 0)
    # a full edge also covers its twin; keep one of each pair
    rev = net.edge_reverse
    full_idx = np.flatnonzero(full)
    dup = (rev[full_idx] >= 0) & full[np.maximum(rev[full_idx], 0)] & (rev[full_idx] < full_idx)
    pieces = list(net.edge_geometry[full_idx[~dup]])
    for e in np.flatnonzero(part):
        pieces.append(substring(net.edge_geometry[e], 0.0, float(reach[e]), normalized=True))
    if f is not None:
        for e, t, a in zip(f.edge, f.t, f.access_s, strict=True):
            left = seconds - a
            if left < 0:
                continue
            geom = net.edge_geometry[e]
            hi = 1.0 if tt[e] <= 0 else min(1.0, t + left / tt[e])
            lo = t
            twin = rev[e]
            if twin >= 0:
                lo = 0.0 if tt[twin] <= 0 else max(0.0, t - left / tt[twin])
            if hi > lo:
                pieces.append(substring(geom, float(lo), float(hi), normalized=True))
            else:
                pieces.append(shapely.line_interpolate_point(geom, float(t), normalized=True))
    return pieces


def _buffer_union(pieces: list, buffer_m: float):
    """Union of the pieces buffered by ``buffer_m``, merged per 3 km tile first (faster)."""
    import shapely

    if not pieces:
        return shapely.Polygon()
    geoms = np.asarray(pieces, dtype=object)
    geoms = shapely.simplify(geoms, min(2.0, buffer_m / 10.0))
    bufs = shapely.buffer(geoms, buffer_m, quad_segs=2)
    xy = shapely.get_coordinates(shapely.centroid(bufs))
    key = np.floor(xy[:, 0] / 3_000.0).astype(np.int64) * 1_000_003 + np.floor(
        xy[:, 1] / 3_000.0
    ).astype(np.int64)
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1], True])
    tiles = [
        shapely.union_all(bufs[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return shapely.union_all(tiles) if len(tiles) > 1 else tiles[0]


def isochrones(
    net: Network,
    facilities: SnappedPoints,
    *,
    profile: TravelProfile,
    minutes=(3, 6, 10),
    per_facility: bool = False,
    buffer_m: float = 25.0,
    access_speed_mps: float | None = None,
):
    """Areas reachable from the facilities within each number of minutes.

    The reached parts of the edges (including partly reached edges) are buffered by
    ``buffer_m`` and merged.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``minutes`` (and ``facility``, the position in ``facilities``, when
        ``per_facility``) and ``geometry`` (Polygon/MultiPolygon, empty when nothing is
        reached), in the network's CRS.
    """
    import geopandas as gpd

    net.check_profile(profile)
    tt = net.travel_time_s(profile)
    minutes = sorted(float(m) for m in minutes)
    if not minutes:
        raise RoutingError("isochrones needs at least one number of minutes")
    access = _access_speed(net, profile, access_speed_mps)
    f = _prepare(net, facilities, access, "facilities")
    cutoff = minutes[-1] * 60.0

    def polygons(dist, fsub):
        out = []
        for m in minutes:
            pieces = _reached_pieces(net, tt, dist, fsub, m * 60.0)
            out.append(_buffer_union(pieces, buffer_m))
        return out

    rows = []
    if not per_facility:
        res = nearest_facility(
            net, facilities, profile=profile, cutoff_s=cutoff, access_speed_mps=access_speed_mps
        )
        dist = np.where(np.isnan(res.node_time_s), np.inf, res.node_time_s)
        for m, g in zip(minutes, polygons(dist, f), strict=True):
            rows.append({"minutes": m, "geometry": g})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    for s in _chunks(net, profile, f, cutoff, 64):
        for i, r in enumerate(s.rows):
            dist = _node_times(s.dist[i : i + 1], np.arange(net.n_nodes), s.local)[0]
            fsub = _Pts(pos=f.pos[[r]], edge=f.edge[[r]], t=f.t[[r]], access_s=f.access_s[[r]])
            for m, g in zip(minutes, polygons(dist, fsub), strict=True):
                rows.append({"facility": int(f.pos[r]), "minutes": m, "geometry": g})
    gdf = gpd.GeoDataFrame(
        rows, columns=["facility", "minutes", "geometry"], geometry="geometry", crs=net.crs
    )
    return gdf.sort_values(["facility", "minutes"], kind="stable").reset_index(drop=True)
