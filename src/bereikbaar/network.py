"""Walk, bike and drive networks from an OpenStreetMap extract, as numpy arrays.

A :class:`Network` is a directed multigraph stored as flat arrays (node coordinates in
the metric working CRS, RD New (EPSG:28992) unless another is given; edges ``edge_u →
edge_v`` with length, speed, road class, way id and geometry). Lengths are geodesic (WGS 84
ellipsoid, pyproj ``Geod``), so they do not depend on the CRS; outside the Netherlands use
the local UTM zone (:func:`working_crs_for`). It is built with pyosmium and numpy in seconds for a whole province, and follows
OSMnx's rules (``network_type`` filters, ``oneway`` handling, ``simplify_graph``,
largest weakly connected component), so results agree with an OSMnx graph of the same
extract (see ``tests/test_network.py``).

Which ways belong to which network
----------------------------------
A way is used when it has a ``highway`` tag and passes every rule of its mode. "~" means
"the value contains" (OSMnx's Overpass filters are unanchored regular expressions, and are
reproduced as such), "=" an exact value.

=================  ===================================  ===================================  ==========================================
rule               walk                                 bike                                 drive
=================  ===================================  ===================================  ==========================================
all modes          ``area`` ~ yes, ``access`` ~ private are excluded (OSMnx ``default_access``); so is ``highway=construction``
highway excluded   ~ abandoned, bus_guideway,           ~ abandoned, bus_guideway,           ~ abandoned, bridleway, bus_guideway,
                   construction, motor, no, planned,    construction, corridor, elevator,    construction, corridor, cycleway,
                   platform, proposed, raceway, razed,  escalator, footway, motor, no,       elevator, escalator, footway, no, path,
                   rest_area, services                  planned, platform, proposed,         pedestrian, planned, platform, proposed,
                                                        raceway, razed, rest_area, services, raceway, razed, rest_area, services,
                                                        steps                                steps
NL adaptation      ``highway=cycleway`` is walkable     ``highway=footway`` is bikeable      ``highway=service`` and ``highway=track``
                   (OSMnx drops it) unless ``foot`` ~   when ``bicycle`` = yes, designated   are drivable (OSMnx ``drive`` drops them)
                   no                                   or permissive                        unless restricted (next rows)
other tags         ``foot`` ~ no; ``service`` ~         ``bicycle`` ~ no; ``service`` ~      ``motor_vehicle`` or ``motorcar`` ~ no,
excluded           private; ``sidewalk``,               private                              agricultural, forestry or private;
                   ``sidewalk:both|left|right`` ~                                            ``service`` ~ emergency_access, parking,
                   separate                                                                  parking_aisle or private
direction          both directions always (OSMnx        as drive, but ``oneway:bicycle`` =   ``oneway`` = yes, true, 1, F: way order;
                   ``bidirectional`` walk network)      no/false/0 or ``cycleway[:left|      -1, reverse, T: against it; no, false, 0:
                                                        right|both]`` = opposite* make it    both. Untagged: one-way along the way on
                                                        two-way; ``oneway:bicycle`` = yes /  ``junction`` = roundabout or circular and
                                                        -1 make it one-way                   on ``highway=motorway``
=================  ===================================  ===================================  ==========================================

Differences from OSMnx that matter: the NL adaptations above; ``oneway=no`` lifts the
implied one-way of a roundabout (OSMnx ignores it) and ``highway=motorway`` implies
one-way (OSMnx only implies it for roundabouts).

Simplification is OSMnx's ``simplify_graph`` (strict mode): a node is kept when it
self-loops, has no incoming or no outgoing edges, or does not have exactly two distinct
neighbours with degree 2 or 4; chains of the other nodes are merged into one edge whose
geometry runs through them, and rings without any kept node are removed. Merged edges keep
the way id and road class of their first piece; their ``speed_kmh`` is the length-weighted
harmonic mean of the pieces, so drive travel times equal the sum over the pieces.

Speeds (drive): ``maxspeed`` as a number (km/h), ``"50 mph"``, ``NL:urban`` (50),
``NL:rural`` (80), ``NL:trunk`` (100), ``NL:motorway`` (130), ``NL:zone30`` (30),
``NL:living_street`` / ``walk`` (15); lists (``"50;30"``) give their mean; ``none`` and
anything unreadable fall back to ``NetworkSettings.drive_speeds_kmh[highway]``, else 30.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bereikbaar._crs import RD_NEW, WGS84
from bereikbaar._files import atomic_path, file_sha256
from bereikbaar.config import NetworkSettings, TravelProfile
from bereikbaar.errors import ConfigError, InputError, NetworkError, RoutingError

log = logging.getLogger(__name__)

MODES = ("walk", "bike", "drive")
#: Bytes of results kept per network by :meth:`Network.memo` (least recently used dropped).
MEMO_BYTES = 96 * 2**20
#: Bump when the filters, simplification or cache layout change (invalidates caches).
FILTER_VERSION = 4
DEFAULT_DRIVE_SPEED_KMH = 30.0

# ---------------------------------------------------------------------------- filters
_HIGHWAY_EXCLUDED = {
    "walk": re.compile(
        "abandoned|bus_guideway|construction|motor|no|planned|platform|proposed|raceway|razed|"
        "rest_area|services"
    ),
    "bike": re.compile(
        "abandoned|bus_guideway|construction|corridor|elevator|escalator|footway|motor|no|"
        "planned|platform|proposed|raceway|razed|rest_area|services|steps"
    ),
    "drive": re.compile(
        "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|escalator|"
        "footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|services|"
        "steps"
    ),
}
_NO = re.compile("no")
_PRIVATE = re.compile("private")
_DRIVE_MOTOR_EXCLUDED = re.compile("no|agricultural|forestry|private")
_DRIVE_SERVICE_EXCLUDED = re.compile("emergency_access|parking|parking_aisle|private")
_BIKE_FOOTWAY_OK = {"yes", "designated", "permissive"}
_SIDEWALK_KEYS = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
_CYCLEWAY_KEYS = ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
_ONEWAY_FORWARD = {"yes", "true", "1", "F"}
_ONEWAY_REVERSE = {"-1", "reverse", "T"}
_ONEWAY_NO = {"no", "false", "0"}

#: The way tags the rules above read (pyosmium reads only these, which is much faster).
WAY_KEYS = (
    "highway",
    "area",
    "access",
    "service",
    "foot",
    "bicycle",
    "motor_vehicle",
    "motorcar",
    "oneway",
    "oneway:bicycle",
    "junction",
    "maxspeed",
    *_SIDEWALK_KEYS,
    *_CYCLEWAY_KEYS,
)


def _positive_number(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
        and value > 0
    )


def _search(pattern: re.Pattern, value: str | None) -> bool:
    return value is not None and pattern.search(value) is not None


def way_passes(tags: dict[str, str], mode: str) -> bool:
    """True when a way with these OSM tags belongs to the ``mode`` network (module table)."""
    highway = tags.get("highway")
    if highway is None:
        return False
    if _search(re.compile("yes"), tags.get("area")) or _search(_PRIVATE, tags.get("access")):
        return False
    if mode == "walk":
        if _search(_HIGHWAY_EXCLUDED["walk"], highway):
            return False
        if _search(_NO, tags.get("foot")) or _search(_PRIVATE, tags.get("service")):
            return False
        return not any(_search(re.compile("separate"), tags.get(k)) for k in _SIDEWALK_KEYS)
    if mode == "bike":
        footway_ok = highway == "footway" and tags.get("bicycle") in _BIKE_FOOTWAY_OK
        if not footway_ok and _search(_HIGHWAY_EXCLUDED["bike"], highway):
            return False
        return not (_search(_NO, tags.get("bicycle")) or _search(_PRIVATE, tags.get("service")))
    if mode == "drive":
        if _search(_HIGHWAY_EXCLUDED["drive"], highway):
            return False
        if _search(_DRIVE_MOTOR_EXCLUDED, tags.get("motor_vehicle")) or _search(
            _DRIVE_MOTOR_EXCLUDED, tags.get("motorcar")
        ):
            return False
        return not _search(_DRIVE_SERVICE_EXCLUDED, tags.get("service"))
    raise NetworkError(f"unknown network mode {mode!r}; use one of {', '.join(MODES)}")


def way_direction(tags: dict[str, str], mode: str) -> int:
    """Travel direction on a way: 0 both, 1 along the node order, -1 against it."""
    if mode == "walk":
        return 0
    oneway = tags.get("oneway")
    if oneway in _ONEWAY_REVERSE:
        direction = -1
    elif oneway in _ONEWAY_FORWARD:
        direction = 1
    elif oneway in _ONEWAY_NO:
        direction = 0
    elif tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        direction = 1
    else:
        direction = 0
    if mode == "bike":
        oneway_bicycle = tags.get("oneway:bicycle")
        if oneway_bicycle in _ONEWAY_NO:
            return 0
        if any(tags.get(k, "").startswith("opposite") for k in _CYCLEWAY_KEYS):
            return 0
        if oneway_bicycle in _ONEWAY_REVERSE:
            return -1
        if oneway_bicycle in _ONEWAY_FORWARD:
            return 1
    return direction


_NL_SPEEDS = {
    "nl:urban": 50.0,
    "nl:rural": 80.0,
    "nl:trunk": 100.0,
    "nl:motorway": 130.0,
    "nl:zone30": 30.0,
    "nl:zone60": 60.0,
    "nl:living_street": 15.0,
    "walk": 15.0,
}
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or None when absent, ``none`` or unreadable."""
    if value is None:
        return None
    speeds = []
    for part in value.split(";"):
        part = part.strip()
        if part.lower() in _NL_SPEEDS:
            speeds.append(_NL_SPEEDS[part.lower()])
            continue
        m = _SPEED_RE.match(part)
        if m:
            speed = float(m.group(1))
            if m.group(2) and m.group(2).lower() == "mph":
                speed *= 1.609344
            if speed > 0:
                speeds.append(speed)
    return float(np.mean(speeds)) if speeds else None


# ---------------------------------------------------------------------------- Network
@dataclass(frozen=True, eq=False)
class Network:
    """A walk, bike or drive network as arrays (coordinates in ``crs``, metres; RD New,
    EPSG:28992, unless built with another working CRS; lengths geodesic).

    Edges are directed; a two-way street has one edge per direction (the walk network has
    both directions of every street). ``edge_reverse[i]`` is the position of the edge that
    runs over the same geometry in the opposite direction, or -1 (one-way).
    """

    mode: str
    crs: str
    node_osmid: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kmh: np.ndarray
    edge_highway: np.ndarray
    edge_osmid: np.ndarray
    edge_geometry: np.ndarray
    edge_reverse: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise NetworkError(f"unknown network mode {self.mode!r}; use one of {', '.join(MODES)}")
        if self.edge_reverse is None:
            object.__setattr__(
                self,
                "edge_reverse",
                _find_reverse_edges(self.edge_u, self.edge_v, self.edge_length_m),
            )

    @property
    def n_nodes(self) -> int:
        return int(self.node_x.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    def check_profile(self, profile: TravelProfile) -> None:
        """Raise unless ``profile`` can travel over this network.

        :class:`RoutingError` when the profile is for another network, :class:`ConfigError`
        when its speed (walk/bike) or delay factor (drive) is not a number > 0, which would
        give zero or negative travel times that shortest-path searches cannot use.
        """
        if profile.network != self.mode:
            raise RoutingError(
                f"profile {profile.name!r} travels over the {profile.network} network, but this is "
                f"the {self.mode} network; load the {profile.network} network for it"
            )
        key, value = (
            ("delay_factor", profile.delay_factor)
            if self.mode == "drive"
            else ("speed_kmh", profile.speed_kmh)
        )
        if not _positive_number(value):
            raise ConfigError(
                f"profiles.{profile.name}.{key} = {value!r}: the {self.mode} profile needs "
                f"{key} > 0; fix it in the config"
            )

    def travel_time_s(self, profile: TravelProfile) -> np.ndarray:
        """Travel time over each edge in seconds, shape (m,).

        Walk and bike: ``length_m / profile.speed_mps``. Drive: ``length_m / (speed_kmh / 3.6)
        * profile.delay_factor``.
        """
        key = ("tt", profile)
        if key not in self._cache:
            self.check_profile(profile)
            with np.errstate(divide="ignore", invalid="ignore"):  # checked just below
                if self.mode == "drive":
                    tt = self.edge_length_m / (self.edge_speed_kmh / 3.6) * profile.delay_factor
                else:
                    tt = self.edge_length_m / profile.speed_mps
            tt = np.ascontiguousarray(tt, dtype=np.float64)
            bad = ~(np.isfinite(tt) & (tt >= 0))
            if bad.any():
                e = int(np.flatnonzero(bad)[0])
                raise NetworkError(
                    f"{int(bad.sum())} edges of the {self.mode} network have no usable travel "
                    f"time for profile {profile.name!r} (first: way {self.edge_osmid[e]}, "
                    f"length {self.edge_length_m[e]} m, speed {self.edge_speed_kmh[e]} km/h); "
                    "road-class speeds must be > 0 (network.drive_speeds_kmh)"
                )
            tt.flags.writeable = False
            self._cache[key] = tt
        return self._cache[key]

    def memo(self, key, compute):
        """``compute()`` once per ``key`` on this network, shared by every caller.

        For results derived from the network and inputs named fully by ``key`` (e.g. a
        digest of snapped points). The most recently used results are kept up to
        :data:`MEMO_BYTES` (numpy arrays and DataFrames counted), older ones dropped.
        Callers must not modify what they get back.
        """
        store = self._cache.setdefault(("memo",), OrderedDict())
        if key in store:
            store.move_to_end(key)
            return store[key][0]
        value = compute()
        store[key] = (value, _nbytes(value))
        total = sum(size for _, size in store.values())
        while total > MEMO_BYTES and len(store) > 1:
            total -= store.popitem(last=False)[1][1]
        return value

    def csr(self, profile: TravelProfile, *, transpose: bool = False):
        """The (n, n) ``scipy.sparse.csr_array`` of travel times (s), min over parallel edges.

        Zero-time edges are kept as explicit entries (scipy's csgraph treats them as edges).
        ``transpose=True`` gives the graph with every edge reversed.
        """
        key = ("csr", profile, transpose)
        if key not in self._cache:
            u, v, w = self.min_edges(profile)
            if transpose:
                u, v = v, u
            self._cache[key] = csr_from_edges(u, v, w, self.n_nodes)
        return self._cache[key]

    def min_edges(self, profile: TravelProfile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(u, v, time_s) with one entry per node pair: the fastest of parallel edges."""
        key = ("min", profile)
        if key not in self._cache:
            tt = self.travel_time_s(profile)
            n = max(self.n_nodes, 1)
            pair = self.edge_u.astype(np.int64) * n + self.edge_v
            order = np.lexsort((tt, pair))
            pair_sorted = pair[order]
            first = np.r_[True, pair_sorted[1:] != pair_sorted[:-1]] if len(order) else order > 0
            keep = order[first]
            self._cache[key] = (self.edge_u[keep], self.edge_v[keep], tt[keep])
        return self._cache[key]

    def to_networkx(self, profiles: Iterable[TravelProfile] = ()):
        """A ``networkx.MultiDiGraph`` that OSMnx's functions accept.

        Nodes are positions with ``x``, ``y`` (in ``crs``) and ``osmid``; edges (key = edge
        position) carry ``edge``, ``length`` and ``length_m`` (geodesic metres), ``highway``,
        ``osmid`` (way id), ``speed_kmh``, ``geometry`` (LineString u→v) and
        ``travel_time_s_<profile name>``. ``G.graph`` has ``crs``, ``mode`` and
        ``simplified=True``, so e.g. ``osmnx.distance.nearest_nodes``,
        ``osmnx.routing.shortest_path(G, a, b, weight="length")`` and
        ``osmnx.convert.graph_to_gdfs`` work on it (osmnx itself is not needed here).
        """
        import networkx as nx

        G = nx.MultiDiGraph(crs=self.crs, mode=self.mode, simplified=True)
        G.add_nodes_from(
            (i, {"x": float(x), "y": float(y), "osmid": int(o)})
            for i, (x, y, o) in enumerate(
                zip(self.node_x, self.node_y, self.node_osmid, strict=True)
            )
        )
        times = {p.name: self.travel_time_s(p) for p in profiles}
        for i in range(self.n_edges):
            length = float(self.edge_length_m[i])
            attrs: dict[str, Any] = {
                "edge": i,
                "length": length,
                "length_m": length,
                "highway": self.edge_highway[i],
                "osmid": int(self.edge_osmid[i]),
                "speed_kmh": float(self.edge_speed_kmh[i]),
                "geometry": self.edge_geometry[i],
            }
            for name, tt in times.items():
                attrs[f"travel_time_s_{name}"] = float(tt[i])
            G.add_edge(int(self.edge_u[i]), int(self.edge_v[i]), key=i, **attrs)
        return G


def csr_from_edges(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int):
    """A ``csr_array`` (n, n) from edge lists, keeping explicit zeros (no duplicate merging)."""
    from scipy.sparse import csr_array

    u = np.asarray(u, dtype=np.int64)
    order = np.argsort(u, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    idx_dtype = np.int32 if n < 2**31 - 1 and len(u) < 2**31 - 1 else np.int64
    return csr_array(
        (
            np.asarray(w, dtype=np.float64)[order],
            np.asarray(v)[order].astype(idx_dtype),
            indptr.astype(idx_dtype),
        ),
        shape=(n, n),
    )


def _find_reverse_edges(u: np.ndarray, v: np.ndarray, length_m: np.ndarray) -> np.ndarray:
    """Pair each edge u→v with an edge v→u of the same length (to the mm), else -1."""
    m = len(u)
    reverse = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return reverse
    lq = np.round(np.asarray(length_m, dtype=np.float64) * 1000.0).astype(np.int64)
    lo = np.minimum(u, v)
    hi = np.maximum(u, v)
    forward = (u < v) | ((u == v) & np.ones(m, dtype=bool))
    order = np.lexsort((np.arange(m), lq, hi, lo))
    groups: dict[tuple[int, int, int], tuple[list[int], list[int]]] = {}
    for e in order.tolist():
        key = (int(lo[e]), int(hi[e]), int(lq[e]))
        a, b = groups.setdefault(key, ([], []))
        if u[e] == v[e]:
            # self-loops: pair consecutive loops of the same length with each other
            (a if len(a) <= len(b) else b).append(e)
        elif forward[e]:
            a.append(e)
        else:
            b.append(e)
    for a, b in groups.values():
        for e1, e2 in zip(a, b, strict=False):
            reverse[e1] = e2
            reverse[e2] = e1
    return reverse


# ------------------------------------------------------------------- plain-array build
def network_from_arrays(
    node_xy: Sequence[tuple[float, float]] | np.ndarray,
    edges: Sequence[tuple[int, int]] | np.ndarray,
    *,
    mode: str = "walk",
    oneway: Sequence[bool] | np.ndarray | None = None,
    speeds_kmh: Sequence[float] | np.ndarray | None = None,
    length_m: Sequence[float] | np.ndarray | None = None,
    node_osmid: Sequence[int] | np.ndarray | None = None,
    highway: Sequence[str] | np.ndarray | None = None,
    edge_osmid: Sequence[int] | np.ndarray | None = None,
    geometries: Sequence[Any] | None = None,
    crs: str = RD_NEW,
) -> Network:
    """Build a small :class:`Network` from node coordinates and an edge list.

    Parameters
    ----------
    node_xy
        (n, 2) node coordinates in metres (``crs``).
    edges
        (k, 2) node positions; each is a street from the first to the second node.
    mode
        ``walk``, ``bike`` or ``drive``. Walk streets are always two-way.
    oneway
        (k,) bools: street ``i`` can only be travelled from ``edges[i][0]`` to
        ``edges[i][1]`` (bike/drive only). None: every street is two-way.
    speeds_kmh
        (k,) speeds (drive); None gives 30 km/h for drive and NaN otherwise.
    length_m
        (k,) lengths; None uses the geometry's length.
    geometries
        (k,) shapely LineStrings from the first to the second node; None draws straight lines.

    Returns
    -------
    Network
        Edge ``i`` (for ``i < k``) is street ``i`` in the given direction; the reverse
        directions of the two-way streets follow, in the same order.
    """
    xy = np.asarray(node_xy, dtype=np.float64).reshape(-1, 2)
    ev = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    k, n = len(ev), len(xy)
    if k and (ev.min() < 0 or ev.max() >= n):
        raise NetworkError(f"edge list refers to node positions outside 0..{n - 1}")
    if mode not in MODES:
        raise NetworkError(f"unknown network mode {mode!r}; use one of {', '.join(MODES)}")
    ow = np.zeros(k, dtype=bool) if oneway is None or mode == "walk" else np.asarray(oneway, bool)
    streets = _street_arrays(xy, ev, mode, speeds_kmh, length_m, highway, edge_osmid, geometries)
    back = np.flatnonzero(~ow)
    reverse = np.full(k + len(back), -1, dtype=np.int64)
    reverse[back] = k + np.arange(len(back))
    reverse[k + np.arange(len(back))] = back
    both = {name: np.r_[col, col[back]] for name, col in streets.items() if name != "geometry"}
    return Network(
        mode=mode,
        crs=crs,
        node_osmid=np.arange(n, dtype=np.int64)
        if node_osmid is None
        else np.asarray(node_osmid, np.int64),
        node_x=np.ascontiguousarray(xy[:, 0]),
        node_y=np.ascontiguousarray(xy[:, 1]),
        edge_u=np.r_[ev[:, 0], ev[back, 1]].astype(np.int64),
        edge_v=np.r_[ev[:, 1], ev[back, 0]].astype(np.int64),
        edge_length_m=both["length_m"].astype(np.float64),
        edge_speed_kmh=both["speed_kmh"].astype(np.float64),
        edge_highway=both["highway"].astype(object),
        edge_osmid=both["osmid"].astype(np.int64),
        edge_geometry=_with_reversed(streets["geometry"], back),
        edge_reverse=reverse,
    )


def _street_arrays(xy, ev, mode, speeds_kmh, length_m, highway, edge_osmid, geometries) -> dict:
    """Per-street columns of :func:`network_from_arrays` with their defaults filled in."""
    import shapely

    k = len(ev)
    if geometries is None:
        coords = np.stack([xy[ev[:, 0]], xy[ev[:, 1]]], axis=1)
        geoms = shapely.linestrings(coords) if k else np.empty(0, dtype=object)
    else:
        geoms = np.asarray(list(geometries), dtype=object)
    if speeds_kmh is None:
        speeds = np.full(k, DEFAULT_DRIVE_SPEED_KMH if mode == "drive" else np.nan)
    else:
        speeds = np.asarray(speeds_kmh, dtype=np.float64)
    return {
        "geometry": geoms,
        "length_m": shapely.length(geoms) if length_m is None else np.asarray(length_m, np.float64),
        "speed_kmh": speeds,
        "highway": np.asarray(["road"] * k if highway is None else list(highway), dtype=object),
        "osmid": np.arange(k, dtype=np.int64)
        if edge_osmid is None
        else np.asarray(edge_osmid, np.int64),
    }


def _with_reversed(geoms: np.ndarray, back: np.ndarray) -> np.ndarray:
    import shapely

    if not len(geoms):
        return np.asarray(geoms, dtype=object)
    return np.asarray(np.concatenate([geoms, shapely.reverse(geoms[back])]), dtype=object)


# --------------------------------------------------------------------- reading OSM
@dataclass
class _Ways:
    way_id: np.ndarray  # (w,)
    highway: list[str]
    direction: np.ndarray  # (w,) int8
    speed_kmh: np.ndarray  # (w,) float
    ref_way: np.ndarray  # (r,) way position of each way-node
    ref_id: np.ndarray  # (r,) node id
    ref_lon: np.ndarray
    ref_lat: np.ndarray


def _read_ways(osm_path: Path, mode: str, settings: NetworkSettings) -> _Ways:
    """The ways of the ``mode`` network with their node references and locations."""
    import osmium

    from bereikbaar.inputs.osmfile import readable_osm_path

    lists = _WayLists(mode, settings.drive_speeds_kmh)
    with readable_osm_path(osm_path) as path:
        try:
            processor = (
                osmium.FileProcessor(str(path))
                .with_locations()
                .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                .with_filter(osmium.filter.KeyFilter("highway"))
            )
            for w in processor:
                get = w.tags.get
                tags = {k: val for k in WAY_KEYS if (val := get(k)) is not None}
                if way_passes(tags, mode):
                    lists.add(w, tags)
        except RuntimeError as exc:  # libosmium parse errors
            raise InputError(f"cannot read OSM data: {exc}", path=osm_path) from exc
    return lists.to_ways()


class _WayLists:
    """Accumulates the ways of one network while the extract is read."""

    def __init__(self, mode: str, default_speeds_kmh) -> None:
        self.mode = mode
        self.default_speeds_kmh = default_speeds_kmh
        self.way_id: list[int] = []
        self.highway: list[str] = []
        self.direction: list[int] = []
        self.speed_kmh: list[float] = []
        self.ref_way: list[int] = []
        self.ref_id: list[int] = []
        self.ref_lon: list[float] = []
        self.ref_lat: list[float] = []

    def add(self, w, tags: dict[str, str]) -> None:
        pos = len(self.way_id)
        highway = tags["highway"]
        self.way_id.append(w.id)
        self.highway.append(highway)
        self.direction.append(way_direction(tags, self.mode))
        self.speed_kmh.append(self._speed(tags, highway))
        for nd in w.nodes:
            loc = nd.location
            self.ref_way.append(pos)
            self.ref_id.append(nd.ref)
            valid = loc.valid()
            self.ref_lon.append(loc.lon if valid else np.nan)
            self.ref_lat.append(loc.lat if valid else np.nan)

    def _speed(self, tags: dict[str, str], highway: str) -> float:
        if self.mode != "drive":
            return np.nan
        speed = parse_maxspeed(tags.get("maxspeed"))
        if speed is None:
            speed = float(self.default_speeds_kmh.get(highway, DEFAULT_DRIVE_SPEED_KMH))
        return speed

    def to_ways(self) -> _Ways:
        return _Ways(
            way_id=np.asarray(self.way_id, dtype=np.int64),
            highway=self.highway,
            direction=np.asarray(self.direction, dtype=np.int8),
            speed_kmh=np.asarray(self.speed_kmh, dtype=np.float64),
            ref_way=np.asarray(self.ref_way, dtype=np.int64),
            ref_id=np.asarray(self.ref_id, dtype=np.int64),
            ref_lon=np.asarray(self.ref_lon, dtype=np.float64),
            ref_lat=np.asarray(self.ref_lat, dtype=np.float64),
        )


# ----------------------------------------------------------------- simplification
def _endpoints(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """OSMnx's ``_is_endpoint`` (strict mode) for every node, vectorised."""
    out_deg = np.bincount(u, minlength=n)
    in_deg = np.bincount(v, minlength=n)
    degree = out_deg + in_deg
    selfloop = np.zeros(n, dtype=bool)
    selfloop[u[u == v]] = True
    a = np.r_[u, v]
    b = np.r_[v, u]
    pairs = np.unique(a * np.int64(n) + b)
    n_neighbours = np.bincount(pairs // n, minlength=n)
    return (
        selfloop
        | (out_deg == 0)
        | (in_deg == 0)
        | ~((n_neighbours == 2) & ((degree == 2) | (degree == 4)))
    )


def _simplify(u: np.ndarray, v: np.ndarray, n: int) -> tuple[list[list[int]], np.ndarray]:
    """The paths OSMnx's ``simplify_graph`` merges, and the nodes it removes.

    Returns the paths (node lists from endpoint to endpoint) and a boolean mask of the
    interstitial nodes that disappear.
    """
    endpoint = _endpoints(u, v, n)
    # unique successors per node, in first-edge order (as networkx adjacency)
    key = u * np.int64(n) + v
    _, first = np.unique(key, return_index=True)
    first.sort()
    su, sv = u[first], v[first]
    order = np.argsort(su, kind="stable")
    su, sv = su[order], sv[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(su, minlength=n), out=indptr[1:])
    succ_all = sv.tolist()
    ptr = indptr.tolist()
    is_end = endpoint.tolist()

    def successors(x: int) -> list[int]:
        return succ_all[ptr[x] : ptr[x + 1]]

    paths: list[list[int]] = []
    for e in np.flatnonzero(endpoint).tolist():
        for s in successors(e):
            if is_end[s]:
                continue
            path = [e, s]
            in_path = {e, s}
            for successor in successors(s):
                if successor in in_path:
                    continue
                path.append(successor)
                in_path.add(successor)
                while not is_end[successor]:
                    nxt = [x for x in successors(successor) if x not in in_path]
                    if len(nxt) == 1:
                        successor = nxt[0]
                        path.append(successor)
                        in_path.add(successor)
                    elif len(nxt) == 0:
                        if e in successors(successor):
                            path.append(e)
                        else:
                            log.warning("unexpected simplify pattern near node %s", successor)
                        break
                    else:  # pragma: no cover - cannot happen for a non-endpoint
                        raise NetworkError(f"impossible simplify pattern near node {successor}")
                break
            paths.append(path)
    removed = np.zeros(n, dtype=bool)
    for p in paths:
        if len(p) > 2:
            removed[p[1:-1]] = True
    return paths, removed


def _largest_weak_component(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Mask of the nodes in the largest weakly connected component."""
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.zeros(0, dtype=bool)
    graph = csr_from_edges(u, v, np.ones(len(u)), n)
    _, labels = connected_components(graph, directed=True, connection="weak")
    sizes = np.bincount(labels)
    return labels == int(np.argmax(sizes))


def _weak_labels(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    from scipy.sparse.csgraph import connected_components

    graph = csr_from_edges(u, v, np.ones(len(u)), n)
    return connected_components(graph, directed=True, connection="weak")[1]


# ------------------------------------------------------------------------ working CRS
#: Nodes may lie this many degrees outside the working CRS's area of use (extracts reach a
#: little across borders); farther out the CRS's scale error makes its metres misleading.
AREA_OF_USE_MARGIN_DEG = 1.0


def working_crs_for(lon: float, lat: float) -> str:
    """The metric CRS to compute in around a point: RD New inside the Netherlands' area of
    use, else the WGS 84 UTM zone of the point (from pyproj's CRS database).

    Parameters
    ----------
    lon, lat
        A point of the study area in degrees (e.g. the centre of its bounding box).

    Returns
    -------
    str
        ``"EPSG:28992"`` or ``"EPSG:326zz"`` / ``"EPSG:327zz"``.
    """
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise InputError(f"({lon}, {lat}) is not a longitude/latitude in degrees")
    west, south, east, north = _area_of_use(RD_NEW)
    if west <= lon <= east and south <= lat <= north:
        return RD_NEW
    found = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    if not found:
        raise InputError(f"no UTM zone found for ({lon}, {lat}); set study_area.crs in the config")
    return f"{found[0].auth_name}:{found[0].code}"


def _area_of_use(crs: str) -> tuple[float, float, float, float]:
    import pyproj

    aou = pyproj.CRS(crs).area_of_use
    if aou is None:
        return (-180.0, -90.0, 180.0, 90.0)
    return (aou.west, aou.south, aou.east, aou.north)


def _check_area_of_use(lon: np.ndarray, lat: np.ndarray, crs: str, osm_path: Path) -> None:
    """Raise :class:`InputError` when nodes lie far outside the area of use of ``crs``."""
    if len(lon) == 0:
        return
    west, south, east, north = _area_of_use(crs)
    m = AREA_OF_USE_MARGIN_DEG
    outside = (lon < west - m) | (lon > east + m) | (lat < south - m) | (lat > north + m)
    if outside.any():
        suggest = working_crs_for(float(np.median(lon)), float(np.median(lat)))
        raise InputError(
            f"{int(outside.sum())} of {len(lon)} street nodes (around lon "
            f"{np.median(lon):.2f}, lat {np.median(lat):.2f}) lie outside the area of use of "
            f"the working CRS {crs} ({west}..{east} E, {south}..{north} N), where its metres "
            "are distorted",
            path=osm_path,
            hint=f'set study_area.crs = "{suggest}" (the local CRS) in the config, or pass '
            f'crs="{suggest}"',
        )


def _check_speeds(settings: NetworkSettings, mode: str) -> None:
    """Road-class speeds must be positive numbers (a zero or negative speed would give zero
    or negative travel times, which shortest-path searches cannot use)."""
    if mode != "drive":
        return
    for highway, speed in settings.drive_speeds_kmh.items():
        if not _positive_number(speed):
            raise ConfigError(
                f"network.drive_speeds_kmh.{highway} = {speed!r}: a speed must be a number "
                "> 0 km/h; fix it in the config"
            )


# --------------------------------------------------------------------------- build
@dataclass(frozen=True)
class _Pieces:
    """Street pieces between consecutive way nodes, and the node table (lon/lat)."""

    node_id: np.ndarray  # (n_all,) OSM node ids, ascending
    lon: np.ndarray  # (n_all,)
    lat: np.ndarray
    u: np.ndarray  # (s,) node positions
    v: np.ndarray
    way: np.ndarray  # (s,) way position
    length_m: np.ndarray  # (s,) geodesic


@dataclass(frozen=True)
class _Graph:
    """The directed raw graph on its used nodes (OSMnx's insertion order)."""

    osmid: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    seg: np.ndarray  # piece of each edge
    length_m: np.ndarray
    speed_kmh: np.ndarray
    way: np.ndarray


@dataclass(frozen=True)
class _Edges:
    """Edges after simplification, on the nodes of :class:`_Graph`."""

    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    speed_kmh: np.ndarray
    way: np.ndarray
    geometry: np.ndarray


def build_network(
    osm_path: str | Path,
    mode: str,
    *,
    area=None,
    settings: NetworkSettings | None = None,
    retain_all: bool = False,
    crs: str | None = None,
) -> Network:
    """Build the ``mode`` network from an OSM extract (PBF, or XML plain/.gz/.bz2).

    Parameters
    ----------
    osm_path
        The extract.
    mode
        ``walk``, ``bike`` or ``drive`` (rules in the module docstring).
    area
        A shapely (Multi)Polygon in ``crs`` (the study area, already buffered by the
        caller's halo). Only OSM nodes inside it are kept, with the street pieces between
        them (OSMnx's ``truncate_by_edge=False``). None keeps everything.
    settings
        Road-class speeds for drive networks.
    retain_all
        False keeps only the largest weakly connected component, like OSMnx.
    crs
        The metric working CRS of the node coordinates and geometries; None is RD New
        (EPSG:28992). Outside the Netherlands use :func:`working_crs_for`. Edge lengths
        are geodesic (WGS 84 ellipsoid) whatever the CRS.

    Returns
    -------
    Network

    Raises
    ------
    InputError
        The extract is unreadable, has no streets inside ``area``, or lies far outside
        the CRS's area of use.
    ConfigError
        A road-class speed is not a positive number.
    """
    if mode not in MODES:
        raise NetworkError(f"unknown network mode {mode!r}; use one of {', '.join(MODES)}")
    settings = settings or NetworkSettings()
    _check_speeds(settings, mode)
    crs = crs or RD_NEW
    osm_path = Path(osm_path)
    t0 = time.perf_counter()
    ways = _read_ways(osm_path, mode, settings)
    t_read = time.perf_counter() - t0
    pieces = _street_pieces(ways, osm_path)
    x, y = _project(pieces, crs, osm_path, area)
    pieces = _clip(pieces, x, y, area)
    graph = _directed_graph(pieces, ways, x, y, retain_all=retain_all)
    if graph.u.size == 0:
        raise _empty_error(osm_path, mode, area, crs)
    paths, removed = _simplify(graph.u, graph.v, len(graph.x))
    edges = _simplified_edges(graph, paths, removed, mode)
    node_keep, edges = _remove_rings(edges, removed)
    if edges.u.size == 0:
        raise _empty_error(osm_path, mode, area, crs)
    net = _assemble(graph, edges, node_keep, ways, mode, crs)
    log.info(
        "%s network from %s: %d ways, %d street pieces, %d nodes, %d edges "
        "(read %.1f s, built %.1f s)",
        mode,
        osm_path.name,
        len(ways.way_id),
        len(pieces.u),
        net.n_nodes,
        net.n_edges,
        t_read,
        time.perf_counter() - t0 - t_read,
    )
    return net


def _empty_error(osm_path: Path, mode: str, area, crs: str) -> InputError:
    where = " inside the study area" if area is not None else ""
    hint = (
        f"does the extract cover the study area, and is the area in {crs}? Use an extract "
        "of the region (inputs.osm)"
        if area is not None
        else "is this an OSM extract with streets?"
    )
    return InputError(f"the {mode} network is empty{where}", path=osm_path, hint=hint)


def _street_pieces(ways: _Ways, osm_path: Path) -> _Pieces:
    """Pieces between consecutive located nodes of each way (consecutive duplicate nodes
    dropped, as OSMnx does), with their geodesic lengths."""
    from pyproj import Geod

    rw, rid = ways.ref_way, ways.ref_id
    keep = np.r_[True, (rw[1:] != rw[:-1]) | (rid[1:] != rid[:-1])] if len(rw) else rw > 0
    rw, rid = rw[keep], rid[keep]
    lon, lat = ways.ref_lon[keep], ways.ref_lat[keep]
    valid = np.isfinite(lon)
    if len(rw) and not valid.all():
        log.warning(
            "%s: %d way nodes have no location (clipped extract?); their street pieces are left out",
            osm_path.name,
            int((~valid).sum()),
        )
    same = (rw[1:] == rw[:-1]) & valid[1:] & valid[:-1] if len(rw) else np.zeros(0, bool)
    seg_a = np.flatnonzero(same)
    node_id, first_ref, inverse = np.unique(rid, return_index=True, return_inverse=True)
    node_lon, node_lat = lon[first_ref], lat[first_ref]
    u, v = inverse[seg_a], inverse[seg_a + 1]
    length = Geod(ellps="WGS84").inv(node_lon[u], node_lat[u], node_lon[v], node_lat[v])[2]
    return _Pieces(
        node_id=node_id,
        lon=node_lon,
        lat=node_lat,
        u=u,
        v=v,
        way=rw[seg_a],
        length_m=np.asarray(length, dtype=np.float64).reshape(-1),
    )


def _project(pieces: _Pieces, crs: str, osm_path: Path, area) -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates in ``crs``; checks that the nodes in use lie in its area of use."""
    import pyproj
    import shapely

    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = transformer.transform(pieces.lon, pieces.lat)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    used = np.zeros(len(x), dtype=bool)
    used[pieces.u] = True
    used[pieces.v] = True
    if area is not None:
        used &= shapely.intersects_xy(area, x, y)
    _check_area_of_use(pieces.lon[used], pieces.lat[used], crs, osm_path)
    return x, y


def _clip(pieces: _Pieces, x: np.ndarray, y: np.ndarray, area) -> _Pieces:
    """Only the pieces with both nodes inside ``area`` (None: all)."""
    import shapely

    if area is None:
        return pieces
    inside = shapely.intersects_xy(area, x, y)
    ok = inside[pieces.u] & inside[pieces.v]
    return dataclasses.replace(
        pieces, u=pieces.u[ok], v=pieces.v[ok], way=pieces.way[ok], length_m=pieces.length_m[ok]
    )


def _directed_graph(
    pieces: _Pieces, ways: _Ways, x: np.ndarray, y: np.ndarray, *, retain_all: bool
) -> _Graph:
    """Directed edges in OSMnx's insertion order (per way: forward pieces, then reverse),
    on the nodes they use (only the largest weak component unless ``retain_all``)."""
    direction = ways.direction[pieces.way]
    fwd = np.flatnonzero(direction >= 0)
    bwd = np.flatnonzero(direction <= 0)
    e_seg = np.r_[fwd, bwd]
    e_rev = np.r_[np.zeros(len(fwd), bool), np.ones(len(bwd), bool)]
    order = np.lexsort((e_seg, e_rev, pieces.way[e_seg]))
    e_seg, e_rev = e_seg[order], e_rev[order]
    e_u = np.where(e_rev, pieces.v[e_seg], pieces.u[e_seg])
    e_v = np.where(e_rev, pieces.u[e_seg], pieces.v[e_seg])
    n_all = len(pieces.node_id)
    used = np.zeros(n_all, dtype=bool)
    used[e_u] = True
    used[e_v] = True
    if not retain_all and used.any():
        remap0 = np.cumsum(used) - 1
        comp = _largest_weak_component(remap0[e_u], remap0[e_v], int(used.sum()))
        big = np.zeros(n_all, dtype=bool)
        big[np.flatnonzero(used)[comp]] = True
        used = big
        ok = used[e_u]
        e_seg, e_u, e_v = e_seg[ok], e_u[ok], e_v[ok]
    node_pos = np.flatnonzero(used)
    remap = np.full(n_all, -1, dtype=np.int64)
    remap[node_pos] = np.arange(len(node_pos))
    seg_way = pieces.way[e_seg]
    return _Graph(
        osmid=pieces.node_id[node_pos],
        x=x[node_pos],
        y=y[node_pos],
        u=remap[e_u],
        v=remap[e_v],
        seg=e_seg,
        length_m=pieces.length_m[e_seg],
        speed_kmh=ways.speed_kmh[seg_way],
        way=seg_way,
    )


def _simplified_edges(graph: _Graph, paths: list[list[int]], removed, mode: str) -> _Edges:
    """The raw edges whose ends both stay, then one edge per merged path (OSMnx order)."""
    import shapely

    merged = _merged_paths(graph, paths, mode)
    keep_raw = np.flatnonzero(~removed[graph.u] & ~removed[graph.v])
    keep_path = np.flatnonzero(~removed[merged.u] & ~removed[merged.v])
    xy_u = np.column_stack([graph.x[graph.u[keep_raw]], graph.y[graph.u[keep_raw]]])
    xy_v = np.column_stack([graph.x[graph.v[keep_raw]], graph.y[graph.v[keep_raw]]])
    raw_geom = (
        shapely.linestrings(np.stack([xy_u, xy_v], axis=1))
        if len(keep_raw)
        else np.empty(0, dtype=object)
    )
    return _Edges(
        u=np.r_[graph.u[keep_raw], merged.u[keep_path]],
        v=np.r_[graph.v[keep_raw], merged.v[keep_path]],
        length_m=np.r_[graph.length_m[keep_raw], merged.length_m[keep_path]],
        speed_kmh=np.r_[graph.speed_kmh[keep_raw], merged.speed_kmh[keep_path]],
        way=np.r_[graph.way[keep_raw], merged.way[keep_path]],
        geometry=np.concatenate(
            [
                np.asarray(raw_geom, dtype=object),
                np.asarray(merged.geometry, dtype=object)[keep_path],
            ]
        ),
    )


def _merged_paths(graph: _Graph, paths: list[list[int]], mode: str) -> _Edges:
    """One edge per simplified path: summed length, the length-weighted harmonic mean speed
    (drive; so times equal the sum over the pieces), the first piece's way, and the
    geometry through every node of the path."""
    import shapely

    n = len(graph.x)
    if not paths:
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
        return _Edges(empty_i, empty_i, empty_f, empty_f, empty_i, np.empty(0, dtype=object))
    plen = np.fromiter((len(p) for p in paths), dtype=np.int64, count=len(paths))
    flat = np.fromiter((x_ for p in paths for x_ in p), dtype=np.int64, count=int(plen.sum()))
    ends = np.cumsum(plen)
    starts = ends - plen
    is_last = np.zeros(len(flat), dtype=bool)
    is_last[ends - 1] = True
    pa, pb = flat[:-1][~is_last[:-1]], flat[1:][~is_last[:-1]]
    # the first raw edge per (u, v) pair, as networkx's get_edge_data(u, v) gives
    key = graph.u * np.int64(n) + graph.v
    korder = np.argsort(key, kind="stable")
    piece_edge = korder[np.searchsorted(key[korder], pa * np.int64(n) + pb)]
    piece_path = np.repeat(np.arange(len(paths)), plen - 1)
    p_len = graph.length_m[piece_edge]
    p_time = np.where(p_len > 0, p_len / graph.speed_kmh[piece_edge], 0.0)
    length = np.bincount(piece_path, weights=p_len, minlength=len(paths))
    time_h = np.bincount(piece_path, weights=p_time, minlength=len(paths))
    first_edge = piece_edge[np.r_[0, np.cumsum(plen - 1)[:-1]]]
    if mode == "drive":
        speed = np.where(time_h > 0, length / np.maximum(time_h, 1e-300), 0.0)
        zero = time_h <= 0
        speed[zero] = graph.speed_kmh[first_edge[zero]]
    else:
        speed = np.full(len(paths), np.nan)
    geometry = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING,
        np.column_stack([graph.x[flat], graph.y[flat]]),
        (np.r_[starts, len(flat)],),
    )
    return _Edges(
        u=flat[starts],
        v=flat[ends - 1],
        length_m=length,
        speed_kmh=speed,
        way=graph.way[first_edge],
        geometry=np.asarray(geometry, dtype=object),
    )


def _remove_rings(edges: _Edges, removed: np.ndarray) -> tuple[np.ndarray, _Edges]:
    """Drop weak components without any endpoint in the simplified graph (rings that
    simplification cannot anchor), as OSMnx does; isolated nodes stay.

    Returns the positions of the nodes that stay and the edges renumbered to them.
    """
    n = len(removed)
    alive = ~removed
    n2 = int(alive.sum())
    remap = np.full(n, -1, dtype=np.int64)
    remap[alive] = np.arange(n2)
    g_u, g_v = remap[edges.u], remap[edges.v]
    node_ok = np.ones(n2, dtype=bool)
    edge_ok = np.zeros(0, dtype=bool)
    if len(g_u):
        labels = _weak_labels(g_u, g_v, n2)
        has_end = np.zeros(labels.max() + 1, dtype=bool)
        has_end[labels[_endpoints(g_u, g_v, n2)]] = True
        node_ok = has_end[labels]
        edge_ok = node_ok[g_u]
    node_keep = np.flatnonzero(alive)[node_ok]
    remap2 = np.full(n, -1, dtype=np.int64)
    remap2[node_keep] = np.arange(len(node_keep))
    kept = _Edges(
        u=remap2[edges.u[edge_ok]],
        v=remap2[edges.v[edge_ok]],
        length_m=edges.length_m[edge_ok],
        speed_kmh=edges.speed_kmh[edge_ok],
        way=edges.way[edge_ok],
        geometry=edges.geometry[edge_ok],
    )
    return node_keep, kept


def _assemble(
    graph: _Graph, edges: _Edges, node_keep: np.ndarray, ways: _Ways, mode: str, crs: str
) -> Network:
    """The :class:`Network`, edges sorted by (u, v, way id, length) for determinism."""
    order = np.lexsort((edges.length_m, ways.way_id[edges.way], edges.v, edges.u))
    highway = np.asarray(ways.highway, dtype=object)
    return Network(
        mode=mode,
        crs=crs,
        node_osmid=graph.osmid[node_keep],
        node_x=graph.x[node_keep],
        node_y=graph.y[node_keep],
        edge_u=edges.u[order],
        edge_v=edges.v[order],
        edge_length_m=edges.length_m[order],
        edge_speed_kmh=edges.speed_kmh[order],
        edge_highway=highway[edges.way[order]],
        edge_osmid=ways.way_id[edges.way[order]],
        edge_geometry=edges.geometry[order],
    )


# --------------------------------------------------------------------------- cache
def _nbytes(value) -> int:
    """Bytes held by the numpy arrays and DataFrames in ``value`` (tuples, lists and
    dataclasses walked)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple | list):
        return sum(_nbytes(v) for v in value)
    if hasattr(value, "memory_usage") and hasattr(value, "columns"):
        return int(value.memory_usage(index=True, deep=False).sum())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_nbytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 64


def network_cache_key(
    osm_path: str | Path,
    mode: str,
    *,
    area=None,
    settings: NetworkSettings | None = None,
    retain_all: bool = False,
    cache_dir: Path | None = None,
    crs: str | None = None,
) -> str:
    """The cache key: input content hash, mode, filter version, area, CRS and settings."""
    import shapely

    settings = settings or NetworkSettings()
    parts = {
        "file": file_sha256(osm_path),
        "mode": mode,
        "version": FILTER_VERSION,
        "area": None if area is None else shapely.to_wkb(shapely.normalize(area), hex=True),
        "retain_all": retain_all,
        "speeds": sorted(settings.drive_speeds_kmh.items()) if mode == "drive" else None,
        "crs": crs or RD_NEW,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def save_network(net: Network, path: str | Path) -> None:
    """Write ``net`` to an ``.npz`` file atomically (geometries as flat coordinates)."""
    import shapely

    if net.n_edges:
        _, coords, (offsets,) = shapely.to_ragged_array(net.edge_geometry)
    else:
        coords, offsets = np.zeros((0, 2)), np.zeros(1, dtype=np.int64)
    categories, codes = np.unique(net.edge_highway.astype(str), return_inverse=True)
    meta = {"mode": net.mode, "crs": net.crs, "version": FILTER_VERSION}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            meta=np.array(json.dumps(meta)),
            node_osmid=net.node_osmid,
            node_x=net.node_x,
            node_y=net.node_y,
            edge_u=net.edge_u,
            edge_v=net.edge_v,
            edge_length_m=net.edge_length_m,
            edge_speed_kmh=net.edge_speed_kmh,
            highway_categories=categories.astype(str),
            highway_codes=codes.astype(np.int32),
            edge_osmid=net.edge_osmid,
            edge_reverse=net.edge_reverse,
            geom_coords=coords,
            geom_offsets=offsets,
        )


class CacheFileError(NetworkError):
    """A network cache file is unreadable or inconsistent (it is rebuilt)."""


def read_network(path: str | Path) -> Network:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    CacheFileError
        The file is damaged (truncated, bad CRC, not a zip), from another filter version,
        or its arrays do not fit together (lengths, node positions, geometries).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        meta = json.loads(str(arrays["meta"]))
        net = _network_from_cache(arrays, meta)
    except CacheFileError:
        raise
    except Exception as exc:  # zipfile, numpy, json and shapely all fail differently
        raise CacheFileError(f"{type(exc).__name__}: {exc}") from exc
    return net


def _network_from_cache(z: dict[str, np.ndarray], meta: dict) -> Network:
    import shapely

    if not isinstance(meta, dict) or meta.get("version") != FILTER_VERSION:
        raise CacheFileError(f"written by another filter version ({meta!r})")
    n, m = len(z["node_x"]), len(z["edge_u"])
    _check_lengths(z, n, m)
    for name in ("edge_u", "edge_v"):
        if m and (z[name].min() < 0 or z[name].max() >= n):
            raise CacheFileError(f"{name} refers to nodes outside 0..{n - 1}")
    rev = z["edge_reverse"]
    if m and (rev.min() < -1 or rev.max() >= m):
        raise CacheFileError("edge_reverse refers to edges that do not exist")
    categories = z["highway_categories"].astype(object)
    codes = z["highway_codes"]
    if m and (codes.min() < 0 or codes.max() >= len(categories)):
        raise CacheFileError("highway_codes out of range")
    offsets = z["geom_offsets"]
    if len(offsets) != m + 1 or (m and (offsets[0] != 0 or offsets[-1] != len(z["geom_coords"]))):
        raise CacheFileError("geometry offsets do not match the edges")
    geoms = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, z["geom_coords"], (offsets,))
    return Network(
        mode=meta["mode"],
        crs=meta["crs"],
        node_osmid=z["node_osmid"],
        node_x=z["node_x"],
        node_y=z["node_y"],
        edge_u=z["edge_u"],
        edge_v=z["edge_v"],
        edge_length_m=z["edge_length_m"],
        edge_speed_kmh=z["edge_speed_kmh"],
        edge_highway=categories[codes],
        edge_osmid=z["edge_osmid"],
        edge_geometry=np.asarray(geoms, dtype=object),
        edge_reverse=rev,
    )


def _check_lengths(z: dict[str, np.ndarray], n: int, m: int) -> None:
    node_arrays = ("node_osmid", "node_x", "node_y")
    edge_arrays = (
        "edge_u",
        "edge_v",
        "edge_length_m",
        "edge_speed_kmh",
        "highway_codes",
        "edge_osmid",
        "edge_reverse",
    )
    for name in (*node_arrays, *edge_arrays):
        want = n if name in node_arrays else m
        if z[name].ndim != 1 or len(z[name]) != want:
            raise CacheFileError(f"{name} has shape {z[name].shape}, expected ({want},)")
    if not (np.isfinite(z["edge_length_m"]).all() and (z["edge_length_m"] >= 0).all()):
        raise CacheFileError("edge lengths are not finite non-negative numbers")


def load_network(
    osm_path: str | Path,
    mode: str,
    *,
    area=None,
    settings: NetworkSettings | None = None,
    cache_dir: str | Path | None = None,
    retain_all: bool = False,
    crs: str | None = None,
) -> Network:
    """:func:`build_network` with a disk cache.

    The cache file is keyed by the extract's content (SHA-256), the mode and filter
    version, the area, the CRS and the relevant settings; it is written atomically and may
    be deleted at any time. A damaged or inconsistent cache file is logged as a warning,
    removed and rebuilt. ``cache_dir`` None uses ``settings.resolved_cache_dir()``.
    """
    settings = settings or NetworkSettings()
    crs = crs or RD_NEW
    path = network_cache_path(
        osm_path,
        mode,
        area=area,
        settings=settings,
        cache_dir=cache_dir,
        retain_all=retain_all,
        crs=crs,
    )
    net = _read_cached(path, mode, crs)
    if net is not None:
        return net
    log.info("network cache miss: building the %s network from %s", mode, Path(osm_path).name)
    net = build_network(
        osm_path, mode, area=area, settings=settings, retain_all=retain_all, crs=crs
    )
    try:
        save_network(net, path)
    except OSError as exc:
        log.warning("cannot write the network cache %s: %s", path, exc)
    return net


def _read_cached(path: Path, mode: str, crs: str) -> Network | None:
    """The cached network at ``path``, or None (missing, or damaged: then removed)."""
    if not path.is_file():
        return None
    t0 = time.perf_counter()
    try:
        net = read_network(path)
        if net.mode != mode or net.crs != crs:
            raise CacheFileError(f"holds the {net.mode} network in {net.crs}")
    except (CacheFileError, OSError) as exc:
        log.warning("network cache %s is unreadable (%s); rebuilding it", path, exc)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    log.info("network cache hit: %s (%.2f s)", path.name, time.perf_counter() - t0)
    return net


def network_cache_path(
    osm_path: str | Path,
    mode: str,
    *,
    area=None,
    settings: NetworkSettings | None = None,
    cache_dir: str | Path | None = None,
    retain_all: bool = False,
    crs: str | None = None,
) -> Path:
    """Where :func:`load_network` keeps (or would keep) this network."""
    settings = settings or NetworkSettings()
    folder = Path(cache_dir) if cache_dir is not None else settings.resolved_cache_dir()
    key = network_cache_key(
        osm_path,
        mode,
        area=area,
        settings=settings,
        retain_all=retain_all,
        cache_dir=folder,
        crs=crs,
    )
    return folder / f"network-{mode}-{key}.npz"
