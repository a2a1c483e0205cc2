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

Unreachable means NaN (never a large number) and facility index -1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bereikbaar.config import TravelProfile
from bereikbaar.errors import RoutingError, check_crs
from bereikbaar.network import Network, csr_from_edges

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
    target_index: pd.Index | None = None


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
        A GeoSeries or GeoDataFrame of Points in the network's CRS (EPSG:28992).
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
        tree, canon = _strtree(net)
        (inp, hit), d = tree.query_nearest(geoms[ok], return_distance=True, all_matches=True)
        # ties (e.g. a point on a junction): take the lowest edge position
        cand = canon[hit]
        order = np.lexsort((cand, inp))
        inp, cand, d = inp[order], cand[order], d[order]
        first = np.r_[True, inp[1:] != inp[:-1]]
        sel = ok[inp[first]]
        edge[sel] = cand[first]
        dist[sel] = d[first]
        lines = net.edge_geometry[edge[sel]]
        lengths = shapely.length(lines)
        along = shapely.line_locate_point(lines, geoms[sel])
        fraction[sel] = np.where(lengths > 0, along / np.where(lengths > 0, lengths, 1), 0.0)
        fraction[sel] = np.clip(fraction[sel], 0.0, 1.0)
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
    net: Network, tt: np.ndarray, dist: np.ndarray, q: _Pts, *, reverse: bool
) -> np.ndarray:
    """Times at target points from node times ``dist`` (..., n): the endpoint routes only."""
    u, v, tt_e, tt_twin, has = _edge_ends(net, tt, q.edge)
    if not reverse:  # arrive at the target: from u along e, or from v along the twin
        a = dist[..., u] + q.t * tt_e
        b = dist[..., v] + _against(1.0 - q.t, tt_twin, has)
    else:  # leave the target: to v along e, or to u along the twin
        a = dist[..., v] + (1.0 - q.t) * tt_e
        b = dist[..., u] + _against(q.t, tt_twin, has)
    return np.fmin(a, b) + q.access_s


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


def _with_virtual(base_u, base_v, base_w, n, src, node, cost, k):
    """CSR over n + k nodes: the base graph plus k virtual source nodes (n .. n+k-1)."""
    return csr_from_edges(np.r_[base_u, n + src], np.r_[base_v, node], np.r_[base_w, cost], n + k)


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
    tt = net.travel_time_s(profile)
    access = _access_speed(net, profile, access_speed_mps)
    f = _prepare(net, facilities, access, "facilities")
    reverse = direction == "to_facility"
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    n = net.n_nodes
    node_time = np.full(n, np.nan)
    node_fac = np.full(n, -1, dtype=np.int64)
    k = len(f.edge)
    if k:
        u, v, w = net.min_edges(profile)
        if reverse:
            u, v = v, u
        src, node, cost = _source_legs(net, tt, f, reverse=reverse)
        graph = _with_virtual(u, v, w, n, src, node, cost, k)
        dist, sources = _dijkstra(graph, n + np.arange(k), limit=limit, min_only=True)
        d = dist[:n]
        reached = np.isfinite(d)
        node_time[reached] = d[reached]
        node_fac[reached] = f.pos[sources[:n][reached] - n]
    else:
        log.warning("nearest_facility: no routable facilities (all flagged or none given)")
    if targets is None:
        return NearestFacility(node_time_s=node_time, node_facility=node_fac)

    q = _prepare(net, targets, access, "targets")
    m = len(targets)
    t_time = np.full(m, np.nan)
    t_fac = np.full(m, -1, dtype=np.int64)
    if len(q.edge) and k:
        dist_nodes = np.where(np.isnan(node_time), np.inf, node_time)
        e = q.edge
        twin = net.edge_reverse[e]
        has = twin >= 0
        uu, vv = net.edge_u[e], net.edge_v[e]
        tt_twin = tt[np.where(has, twin, 0)]
        if not reverse:
            a = dist_nodes[uu] + q.t * tt[e]
            b = dist_nodes[vv] + _against(1.0 - q.t, tt_twin, has)
            fa, fb = node_fac[uu], node_fac[vv]
        else:
            a = dist_nodes[vv] + (1.0 - q.t) * tt[e]
            b = dist_nodes[uu] + _against(q.t, tt_twin, has)
            fa, fb = node_fac[vv], node_fac[uu]
        best = np.fmin(a, b)
        fac = np.where(a <= b, fa, fb)
        # same-edge facilities
        order = np.argsort(f.edge, kind="stable")
        fe = f.edge[order]
        lo = np.searchsorted(fe, e, side="left")
        hi = np.searchsorted(fe, e, side="right")
        for i in np.flatnonzero(hi > lo):
            js = order[lo[i] : hi[i]]
            ee = np.full(len(js), e[i])
            if reverse:
                c = _same_edge_time(net, tt, ee, np.full(len(js), q.t[i]), f.t[js])
            else:
                c = _same_edge_time(net, tt, ee, f.t[js], np.full(len(js), q.t[i]))
            c = c + f.access_s[js]
            j = int(np.argmin(c))
            if c[j] < best[i]:
                best[i] = c[j]
                fac[i] = f.pos[js[j]]
        total = best + q.access_s
        ok = np.isfinite(total) & (total <= limit)
        t_time[q.pos[ok]] = total[ok]
        t_fac[q.pos[ok]] = fac[ok]
    return NearestFacility(
        node_time_s=node_time,
        node_facility=node_fac,
        target_time_s=t_time,
        target_facility=t_fac,
        target_index=targets.index,
    )


# ---------------------------------------------------------------- many-to-many searches
def _max_speed_mps(net: Network, tt: np.ndarray) -> float:
    ok = tt > 0
    if not ok.any():
        return np.inf
    return float(np.max(net.edge_length_m[ok] / tt[ok]))


def _chunks(net: Network, profile: TravelProfile, o: _Pts, cutoff: float, chunk_size: int):
    """Yield (origin rows into ``o``, node ids of the searched subgraph, dist (c, n_sub)).

    With a finite cutoff, origins are grouped by grid cell and each group searches only
    the nodes within ``cutoff × fastest speed`` of its cell (no path within the cutoff can
    leave that box). Without one, the whole network is searched in chunks.
    """
    tt = net.travel_time_s(profile)
    u, v, w = net.min_edges(profile)
    n = net.n_nodes
    k = len(o.edge)
    if k == 0:
        return
    chunk_size = max(1, int(chunk_size))
    radius = cutoff * _max_speed_mps(net, tt) if np.isfinite(cutoff) else np.inf
    if np.isfinite(radius):
        radius = radius * (1 + 1e-9) + 1.0
        xy = snapped_xy(
            net, SnappedPoints(pd.RangeIndex(k), o.edge, o.t, o.access_s, np.zeros(k, bool))
        )
        cell = max(4.0 * radius, 2_000.0)
        cx = np.floor(xy[:, 0] / cell).astype(np.int64)
        cy = np.floor(xy[:, 1] / cell).astype(np.int64)
        order = np.lexsort((np.arange(k), cx, cy))
        key = (cy * 1_000_003 + cx)[order]
        bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
        groups = []
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            rows = order[a:b]
            for s in range(0, len(rows), chunk_size):
                groups.append(rows[s : s + chunk_size])
    else:
        per = max(1, min(chunk_size, (1 << 25) // max(n, 1)))
        groups = [np.arange(s, min(s + per, k)) for s in range(0, k, per)]
    for rows in groups:
        sub = _Pts(pos=o.pos[rows], edge=o.edge[rows], t=o.t[rows], access_s=o.access_s[rows])
        src, node, cost = _source_legs(net, tt, sub, reverse=False)
        c = len(rows)
        if np.isfinite(radius):
            pxy = xy[rows]
            x0, y0 = pxy.min(axis=0) - radius
            x1, y1 = pxy.max(axis=0) + radius
            inbox = (
                (net.node_x >= x0) & (net.node_x <= x1) & (net.node_y >= y0) & (net.node_y <= y1)
            )
            if inbox.mean() > 0.6:
                inbox = np.ones(n, dtype=bool)
            nodes = np.flatnonzero(inbox)
            local = np.full(n, -1, dtype=np.int64)
            local[nodes] = np.arange(len(nodes))
            ok = inbox[u] & inbox[v]
            keep_leg = inbox[node]
            graph = _with_virtual(
                local[u[ok]],
                local[v[ok]],
                w[ok],
                len(nodes),
                src[keep_leg],
                local[node[keep_leg]],
                cost[keep_leg],
                c,
            )
            nsub = len(nodes)
        else:
            nodes = np.arange(n)
            graph = _with_virtual(u, v, w, n, src, node, cost, c)
            nsub = n
        dist, _ = _dijkstra(graph, nsub + np.arange(c), limit=cutoff, min_only=False)
        yield rows, nodes, dist[:, :nsub]


def _dest_times(net, tt, o_rows, o: _Pts, nodes, dist, q: _Pts) -> np.ndarray:
    """(c, n_q) times from the chunk's origins to the destination points."""
    n = net.n_nodes
    if len(nodes) == n:
        full = dist
    else:
        full = np.full((dist.shape[0], n), np.inf)
        full[:, nodes] = dist
    times = _target_times(net, tt, full, q, reverse=False)
    # origins and destinations on the same edge
    if len(q.edge):
        qorder = np.argsort(q.edge, kind="stable")
        qe = q.edge[qorder]
        oe = o.edge[o_rows]
        lo = np.searchsorted(qe, oe, side="left")
        hi = np.searchsorted(qe, oe, side="right")
        for i in np.flatnonzero(hi > lo):
            js = qorder[lo[i] : hi[i]]
            r = o_rows[i]
            c = _same_edge_time(
                net, tt, np.full(len(js), o.edge[r]), np.full(len(js), o.t[r]), q.t[js]
            )
            c = c + o.access_s[r] + q.access_s[js]
            times[i, js] = np.fmin(times[i, js], c)
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
    for rows, nodes, dist in _chunks(net, profile, o, cutoff, chunk_size):
        times = _dest_times(net, tt, rows, o, nodes, dist, q)
        times[~(np.isfinite(times) & (times <= cutoff))] = np.nan
        out[np.ix_(o.pos[rows], q.pos)] = times
    return out


def travel_times_within(
    net: Network,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    profile: TravelProfile,
    cutoff_s: float,
    access_speed_mps: float | None = None,
    chunk_size: int = 256,
) -> pd.DataFrame:
    """All (origin, destination) pairs with a travel time ≤ ``cutoff_s``, long format.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin`` and ``destination`` (positions in the SnappedPoints) and
        ``time_s``, sorted by origin then destination.
    """
    if cutoff_s is None or not np.isfinite(cutoff_s):
        raise RoutingError("travel_times_within needs a finite cutoff_s (seconds)")
    net.check_profile(profile)
    tt = net.travel_time_s(profile)
    access = _access_speed(net, profile, access_speed_mps)
    o = _prepare(net, origins, access, "origins")
    q = _prepare(net, destinations, access, "destinations")
    cutoff = float(cutoff_s)
    parts_o, parts_d, parts_t = [], [], []
    if len(q.edge):
        for rows, nodes, dist in _chunks(net, profile, o, cutoff, chunk_size):
            # only destinations with an edge end in the searched box, or on an origin's edge
            inbox = np.zeros(net.n_nodes, dtype=bool)
            inbox[nodes] = True
            cand = (
                inbox[net.edge_u[q.edge]]
                | inbox[net.edge_v[q.edge]]
                | np.isin(q.edge, o.edge[rows])
            )
            qi = np.flatnonzero(cand)
            if len(qi) == 0:
                continue
            qs = _Pts(pos=q.pos[qi], edge=q.edge[qi], t=q.t[qi], access_s=q.access_s[qi])
            times = _dest_times(net, tt, rows, o, nodes, dist, qs)
            r, c = np.nonzero(times <= cutoff)
            parts_o.append(o.pos[rows][r])
            parts_d.append(qs.pos[c])
            parts_t.append(times[r, c])
    if parts_o:
        df = pd.DataFrame(
            {
                "origin": np.concatenate(parts_o).astype(np.int64),
                "destination": np.concatenate(parts_d).astype(np.int64),
                "time_s": np.concatenate(parts_t),
            }
        )
    else:
        df = pd.DataFrame(
            {
                "origin": np.zeros(0, np.int64),
                "destination": np.zeros(0, np.int64),
                "time_s": np.zeros(0),
            }
        )
    return df.sort_values(["origin", "destination"], kind="stable").reset_index(drop=True)


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
    for rws, nodes, d in _chunks(net, profile, f, cutoff, 64):
        for i, r in enumerate(rws):
            dist = np.full(net.n_nodes, np.inf)
            dist[nodes] = d[i]
            fsub = _Pts(pos=f.pos[[r]], edge=f.edge[[r]], t=f.t[[r]], access_s=f.access_s[[r]])
            for m, g in zip(minutes, polygons(dist, fsub), strict=True):
                rows.append({"facility": int(f.pos[r]), "minutes": m, "geometry": g})
    gdf = gpd.GeoDataFrame(
        rows, columns=["facility", "minutes", "geometry"], geometry="geometry", crs=net.crs
    )
    return gdf.sort_values(["facility", "minutes"], kind="stable").reset_index(drop=True)
