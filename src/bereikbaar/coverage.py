"""AED coverage phases: the limit, availability, snapping, coverage by the hour, minutes.

The building blocks of :func:`bereikbaar.hartveilig.compute_hartveilig`. Each phase takes
plain inputs and returns a small frozen dataclass, so it can be tested alone:

=========================  ==============================================================
:func:`coverage_threshold`  the one-way AED→victim limit that follows from the settings
:func:`snap_cells`          populated cells placed on the walk network (:class:`CellSet`)
:func:`prepare_aeds`        AEDs: in the gemeente?, availability by hour, counted? (:class:`AedSet`)
:func:`aed_cell_pairs`      AED→cell pairs within a limit, with their times (:class:`PairTimes`)
:func:`hourly_coverage`     the (cells × 168) covered matrix (:class:`HourlyCoverage`)
:func:`minutes_per_moment`  one-way minutes from the nearest available AED (:class:`MomentMinutes`)
:func:`speed_sensitivity`   the fetch model at other responder speeds (:class:`SpeedSensitivity`)
:func:`straight_vs_route`   residents within 100/200/500 m, straight line and by route
=========================  ==============================================================

How it stays fast: routing is done once. The AED→cell pairs within the one-way limit (a long
table from :func:`bereikbaar.routing.travel_times_within`) become a sparse ``(cells × AEDs)``
matrix ``A``; with the ``(AEDs × 168)`` availability matrix ``H`` the product ``A @ H``
counts, for every cell and every hour of the week, the available AEDs in reach. Only the
minutes need one multi-source Dijkstra per moment. Walking times are length / speed, so the
pairs for another responder speed are the same pairs with scaled times (no new routing).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from bereikbaar.config import HartveiligSettings, Moment, TravelProfile
from bereikbaar.errors import ConfigError, InputError

log = logging.getLogger(__name__)

HOURS_PER_WEEK = 168
MINUTES_CUTOFF_MIN = 30.0
AED_STATUSES = ("24/7", "limited", "unknown")
STRAIGHT_VS_ROUTE_M = (100.0, 200.0, 500.0)
APPROXIMATE_QUALITY = "postcode"


# ------------------------------------------------------------------ model and limit
@dataclass(frozen=True)
class CoverageThreshold:
    """The one-way AED→victim limit of a coverage model.

    Attributes
    ----------
    model
        ``fetch``, ``route``, ``radius`` or ``responder``.
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

    @property
    def limit(self) -> float:
        """The limit pairs are compared with: seconds, or metres for ``radius``."""
        return float(self.max_distance_m if self.max_time_s is None else self.max_time_s)


def profile_named(profiles: Mapping[str, TravelProfile], name: str, key: str) -> TravelProfile:
    """The profile ``name``; ConfigError naming ``hartveilig.<key>`` when it is missing."""
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
    ``route_profile``. ``radius``: ``radius_m`` metres in a straight line. ``responder``:
    the longest responder trip home → AED → victim (see :mod:`bereikbaar.responder`), as
    time at ``responder_profile``; it bounds the routing, coverage is a probability.
    """
    if settings.model == "fetch":
        prof = profile_named(profiles, settings.responder_profile, "responder_profile")
        time_s = fetch_limit_s(settings)
    elif settings.model == "route":
        prof = profile_named(profiles, settings.route_profile, "route_profile")
        if settings.route_max_min <= 0:
            raise ConfigError("hartveilig: route_max_min must be > 0")
        time_s = settings.route_max_min * 60.0
    elif settings.model == "responder":
        prof = profile_named(profiles, settings.responder_profile, "responder_profile")
        if prof.network != "walk" or prof.speed_mps is None:
            raise ConfigError(
                f"hartveilig.responder_profile {prof.name!r} must be a walking profile for "
                "the responder model (its routes are measured in metres)"
            )
        longest_m = responder_trip_m(settings)
        return CoverageThreshold("responder", prof.name, longest_m / prof.speed_mps, longest_m)
    elif settings.model == "radius":
        if settings.radius_m <= 0:
            raise ConfigError("hartveilig: radius_m must be > 0")
        return CoverageThreshold("radius", None, None, float(settings.radius_m))
    else:
        raise ConfigError(
            f"hartveilig: model {settings.model!r} must be 'fetch', 'route', 'radius' or "
            "'responder'"
        )
    speed = prof.speed_mps
    dist = None if speed is None or prof.network == "drive" else time_s * speed
    return CoverageThreshold(settings.model, prof.name, float(time_s), dist)


def fetch_limit_s(settings: HartveiligSettings) -> float:
    """The fetch model's one-way time: ``(budget_min − alert_delay_min) · 60 / 2`` seconds."""
    spare_min = settings.budget_min - settings.alert_delay_min
    if spare_min <= 0:
        raise ConfigError(
            f"hartveilig: budget_min ({settings.budget_min}) must exceed alert_delay_min "
            f"({settings.alert_delay_min}); nothing is left for fetching the AED"
        )
    return spare_min * 60.0 / 2.0


def responder_trip_m(settings: HartveiligSettings) -> float:
    """The responder model's longest trip home → AED → victim (m): the time left after the
    alert and set-off delays at the faster of the walking and cycling speeds."""
    rs = settings.responders
    spare_s = (settings.budget_min - rs.alert_delay_min - rs.setoff_delay_min) * 60.0
    if spare_s <= 0:
        raise ConfigError(
            f"hartveilig: budget_min ({settings.budget_min}) must exceed responders."
            "alert_delay_min + responders.setoff_delay_min; nothing is left for the trip"
        )
    return spare_s * max(rs.walk_speed_mps, rs.bike_speed_mps)


def minutes_profile(
    settings: HartveiligSettings, profiles: Mapping[str, TravelProfile]
) -> TravelProfile:
    """The profile the one-way AED→cell minutes are timed with (responder for fetch and
    responder, else route)."""
    if settings.model in ("fetch", "responder"):
        return profile_named(profiles, settings.responder_profile, "responder_profile")
    return profile_named(profiles, settings.route_profile, "route_profile")


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
    status = pd.Series(list(status), dtype=object)
    text = pd.Series(list(open_hours), dtype=object)
    if len(status) != len(text):
        raise InputError("availability_status and open_hours differ in length")
    bad_status = ~status.isin(AED_STATUSES)
    if bad_status.any():
        i = int(np.flatnonzero(bad_status.to_numpy())[0])
        raise InputError(
            f"AED {i}: availability_status {status.iloc[i]!r} must be one of {AED_STATUSES}",
            column="availability_status",
        )
    valid = np.array(text.map(lambda t: isinstance(t, str)), dtype=bool)
    if valid.any():
        pattern = f"[01]{{{HOURS_PER_WEEK}}}"
        valid[valid] = text[valid].astype(str).str.fullmatch(pattern).to_numpy(dtype=bool)
    limited = (status == "limited").to_numpy()
    use_mask = limited & valid
    out = np.full((len(status), HOURS_PER_WEEK), unknown == "open", dtype=bool)
    out[(status == "24/7").to_numpy()] = True
    if use_mask.any():
        joined = "".join(text[use_mask]).encode("ascii")
        out[use_mask] = (np.frombuffer(joined, dtype=np.uint8) == ord("1")).reshape(
            -1, HOURS_PER_WEEK
        )
    bad = int((limited & ~valid).sum())
    if bad:
        log.warning(
            "%d AED(s) marked 'limited' without a valid 168-hour open_hours; treated as %s",
            bad,
            unknown,
        )
    return out


def incidence(rows, cols, n_rows: int, n_cols: int) -> sp.csr_array:
    """Sparse 0/1 ``(n_rows, n_cols)`` int32 matrix with a 1 at every (row, col) pair."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    A = sp.csr_array((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n_rows, n_cols))
    A.sum_duplicates()
    A.data[:] = 1
    return A


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
    A = incidence(pair_cell, pair_aed, n_cells, availability.shape[0])
    return np.asarray(A @ availability.astype(np.int32)) > 0


# ------------------------------------------------------------------------ the cells
@dataclass(frozen=True, eq=False)
class CellSet:
    """Population cells placed on the walk network.

    Attributes
    ----------
    residents, residents_65_plus
        Per cell (65+ NaN where the source has none).
    xy
        ``(n, 2)`` cell centres (m, in the working CRS).
    snap
        :class:`bereikbaar.routing.SnappedPoints` of the centres.
    flagged
        Farther than ``max_snap_m`` from a road: never routed, never covered.
    cell_size_m
        Grid cell size (m).
    """

    residents: np.ndarray
    residents_65_plus: np.ndarray
    xy: np.ndarray
    snap: object
    flagged: np.ndarray
    cell_size_m: float

    @property
    def n(self) -> int:
        return len(self.residents)

    @property
    def routable(self) -> np.ndarray:
        return ~self.flagged


def infer_cell_size(cells: gpd.GeoDataFrame) -> float:
    """``cells.attrs["cell_size_m"]``, else the smallest spacing of the centres (m)."""
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


def snap_cells(
    walk_network, cells: gpd.GeoDataFrame, *, max_snap_m: float, cell_size_m: float | None = None
) -> CellSet:
    """Phase 1: the cells' residents and centres, snapped to the walk network."""
    from bereikbaar import routing

    n = len(cells)
    r65 = (
        cells["residents_65_plus"].to_numpy(dtype=float)
        if "residents_65_plus" in cells
        else np.full(n, np.nan)
    )
    snap = routing.snap_points(walk_network, cells.geometry, max_snap_m=max_snap_m)
    return CellSet(
        residents=cells["residents"].to_numpy(dtype=float),
        residents_65_plus=r65,
        xy=np.column_stack([cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()]),
        snap=snap,
        flagged=np.asarray(snap.flagged, dtype=bool),
        cell_size_m=float(cell_size_m) if cell_size_m else infer_cell_size(cells),
    )


# ------------------------------------------------------------------------- the AEDs
@dataclass(frozen=True, eq=False)
class AedSet:
    """The AEDs used: table, availability by hour, and which ones count for coverage.

    Attributes
    ----------
    table
        The input rows plus ``in_gemeente``, ``snap_distance_m`` and ``counts``.
    status
        ``availability_status`` per AED (missing → ``unknown``).
    availability
        Bool ``(n_aeds, 168)`` from :func:`availability_matrix`.
    approximate
        Placed only by postcode (``location_quality == "postcode"``).
    counts
        Used for coverage: every AED, except approximate ones when
        ``approximate_aeds = "exclude"``.
    xy, snap
        AED positions (m) and their :class:`~bereikbaar.routing.SnappedPoints` (None when
        there are no AEDs).
    """

    table: gpd.GeoDataFrame
    status: np.ndarray
    availability: np.ndarray
    approximate: np.ndarray
    counts: np.ndarray
    xy: np.ndarray
    snap: object

    @property
    def n(self) -> int:
        return len(self.status)

    @property
    def in_gemeente(self) -> np.ndarray:
        return self.table["in_gemeente"].to_numpy(dtype=bool)

    def available(self, *, counted_only: bool = True) -> np.ndarray:
        """Bool ``(n_aeds, 168)``: available and (by default) counted for coverage."""
        if counted_only:
            return self.availability & self.counts[:, None]
        return self.availability


def _in_gemeente(aeds: gpd.GeoDataFrame, gemeente: str, area) -> np.ndarray:
    if area is not None:
        return aeds.geometry.within(area).to_numpy(dtype=bool)
    if "in_gemeente" in aeds:
        return aeds["in_gemeente"].fillna(False).to_numpy(dtype=bool)
    if "gemeente" in aeds:
        g = aeds["gemeente"].astype("string").str.casefold().fillna("")
        return (g == gemeente.casefold()).to_numpy(dtype=bool)
    return np.ones(len(aeds), dtype=bool)


def prepare_aeds(
    walk_network,
    aeds: gpd.GeoDataFrame,
    *,
    gemeente: str,
    area,
    settings: HartveiligSettings,
    max_snap_m: float,
) -> AedSet:
    """Phase 2: which AEDs lie in the gemeente, when each is available, which ones count."""
    from bereikbaar import routing

    if settings.approximate_aeds not in ("exclude", "include"):
        raise ConfigError(
            f"hartveilig.approximate_aeds is {settings.approximate_aeds!r}; "
            "use 'exclude' or 'include'"
        )
    table = aeds.copy()
    table["in_gemeente"] = _in_gemeente(table, gemeente, area)
    status = table["availability_status"].astype(object).fillna("unknown").to_numpy()
    hours = table["open_hours"].astype(object).fillna("").to_numpy()
    avail = availability_matrix(status, hours, unknown=settings.unknown_availability)
    quality = (
        table["location_quality"].astype(object).fillna("").to_numpy()
        if "location_quality" in table
        else np.full(len(table), "", dtype=object)
    )
    approximate = quality == APPROXIMATE_QUALITY
    counts = ~approximate if settings.approximate_aeds == "exclude" else np.ones(len(table), bool)
    table["counts"] = counts
    snap = None
    if len(table):
        snap = routing.snap_points(walk_network, table.geometry, max_snap_m=max_snap_m)
        table["snap_distance_m"] = np.asarray(snap.snap_distance_m, dtype=float)
    else:
        table["snap_distance_m"] = pd.Series(dtype=float)
    return AedSet(
        table=table,
        status=status,
        availability=avail,
        approximate=np.asarray(approximate, dtype=bool),
        counts=np.asarray(counts, dtype=bool),
        xy=np.column_stack([table.geometry.x.to_numpy(), table.geometry.y.to_numpy()]),
        snap=snap,
    )


# --------------------------------------------------------------------------- pairs
@dataclass(frozen=True, eq=False)
class PairTimes:
    """Source→destination pairs within a limit: positions and time (s; metres for radius)."""

    source: np.ndarray
    target: np.ndarray
    time_s: np.ndarray

    def within(self, limit: float) -> PairTimes:
        """The pairs with ``time_s <= limit``."""
        ok = self.time_s <= limit
        return PairTimes(self.source[ok], self.target[ok], self.time_s[ok])


def pairs_within(
    net, src_snap, dst_snap, *, src_xy, dst_xy, dst_ok, model: str, profile, cutoff: float
) -> PairTimes:
    """Pairs (source, destination) with a route time ≤ ``cutoff`` s at ``profile``, or for
    ``model == "radius"`` a straight-line distance ≤ ``cutoff`` m. Destinations where
    ``dst_ok`` is False (flagged cells) never pair."""
    if len(src_xy) == 0 or len(dst_xy) == 0:
        empty = np.zeros(0, np.int64)
        return PairTimes(empty, empty, np.zeros(0))
    if model == "radius":
        m = cKDTree(src_xy).sparse_distance_matrix(cKDTree(dst_xy), cutoff, output_type="ndarray")
        s, d, t = m["i"].astype(np.int64), m["j"].astype(np.int64), m["v"].astype(float)
    else:
        from bereikbaar import routing

        table = routing.travel_times_within(
            net, src_snap, dst_snap, profile=profile, cutoff_s=cutoff
        )
        t = table["time_s"].to_numpy(dtype=float)
        ok = t <= cutoff
        s = table["origin"].to_numpy(dtype=np.int64)[ok]
        d = table["destination"].to_numpy(dtype=np.int64)[ok]
        t = t[ok]
    keep = np.asarray(dst_ok, dtype=bool)[d]
    return PairTimes(s[keep], d[keep], t[keep])


def aed_cell_pairs(
    net,
    cells: CellSet,
    aeds: AedSet,
    *,
    thr: CoverageThreshold,
    profiles: Mapping[str, TravelProfile],
    cutoff: float | None = None,
) -> PairTimes:
    """AED→cell pairs within ``cutoff`` (default: the model's limit) in the model's units."""
    return pairs_within(
        net,
        aeds.snap,
        cells.snap,
        src_xy=aeds.xy,
        dst_xy=cells.xy,
        dst_ok=cells.routable,
        model=thr.model,
        profile=None if thr.profile is None else profiles[thr.profile],
        cutoff=thr.limit if cutoff is None else cutoff,
    )


# ------------------------------------------------------------------ coverage by hour
@dataclass(frozen=True, eq=False)
class HourlyCoverage:
    """Coverage for every cell and hour of the week (hour = weekday·24 + hour).

    ``covered`` follows the ``approximate_aeds`` setting; ``covered_exact`` counts only
    AEDs with an exact location and ``covered_with_approximate`` every AED, so coverage
    is the range between the two.
    """

    incidence: sp.csr_array  # (cells × AEDs): AED within the limit of the cell
    covered: np.ndarray  # bool (n_cells, 168)
    covered_exact: np.ndarray
    covered_with_approximate: np.ndarray
    residents_covered: np.ndarray  # (168,)
    residents_covered_exact: np.ndarray
    residents_covered_with_approximate: np.ndarray
    weekly_share: np.ndarray  # (n_cells,) share of the 168 hours covered


def hourly_coverage(pairs: PairTimes, cells: CellSet, aeds: AedSet) -> HourlyCoverage:
    """Phase 3: the ``(cells × 168)`` covered matrix from the pairs within the limit."""
    A = incidence(pairs.target, pairs.source, cells.n, aeds.n)

    def covered_by(mask: np.ndarray) -> np.ndarray:
        if aeds.n == 0:
            return np.zeros((cells.n, HOURS_PER_WEEK), dtype=bool)
        return np.asarray(A @ (aeds.availability & mask[:, None]).astype(np.int32)) > 0

    exact = covered_by(~aeds.approximate)
    every = covered_by(np.ones(aeds.n, dtype=bool))
    covered = every if aeds.counts.all() else covered_by(aeds.counts)
    res = cells.residents
    return HourlyCoverage(
        incidence=A,
        covered=covered,
        covered_exact=exact,
        covered_with_approximate=every,
        residents_covered=res @ covered,
        residents_covered_exact=res @ exact,
        residents_covered_with_approximate=res @ every,
        weekly_share=covered.mean(axis=1) if cells.n else np.zeros(0),
    )


# --------------------------------------------------------------- minutes per moment
@dataclass(frozen=True, eq=False)
class MomentMinutes:
    """One-way route minutes from the nearest counted AED available at each moment (NaN
    beyond :data:`MINUTES_CUTOFF_MIN` or for flagged cells), and that profile's speed."""

    minutes: Mapping[str, np.ndarray]
    speed_mps: float | None

    def route_m(self, moment: str) -> np.ndarray | None:
        """Route length (m) to the nearest available AED; None for a profile without speed."""
        if self.speed_mps is None:
            return None
        return self.minutes[moment] * 60.0 * self.speed_mps


def minutes_per_moment(
    net, cells: CellSet, aeds: AedSet, moments: Sequence[Moment], *, profile: TravelProfile
) -> MomentMinutes:
    """Phase 4: one multi-source Dijkstra per moment from the AEDs available then."""
    from bereikbaar import routing

    cutoff_s = MINUTES_CUTOFF_MIN * 60.0
    available = aeds.available()
    out: dict[str, np.ndarray] = {}
    for m in moments:
        open_now = available[:, hour_of_week(m)]
        minutes = np.full(cells.n, np.nan)
        if open_now.any() and cells.n:
            nf = routing.nearest_facility(
                net,
                aeds.snap.subset(open_now),
                profile=profile,
                targets=cells.snap,
                cutoff_s=cutoff_s,
            )
            t = np.asarray(nf.target_time_s, dtype=float)
            minutes = np.where(cells.routable & (t <= cutoff_s), t / 60.0, np.nan)
        out[m.name] = minutes
    speed = None if profile.network == "drive" else profile.speed_mps
    return MomentMinutes(minutes=out, speed_mps=speed)


# -------------------------------------------------------------------- sensitivity
@dataclass(frozen=True, eq=False)
class SpeedSensitivity:
    """The fetch model at other responder speeds: residents covered per speed and moment.

    ``max_route_m[i]`` is the one-way route length that fits the budget at
    ``speeds_mps[i]``; ``residents_covered[moment][i]`` the residents covered then.
    """

    speeds_mps: tuple[float, ...]
    max_route_m: tuple[float, ...]
    residents_covered: Mapping[str, tuple[float, ...]]


def sensitivity_cutoff_m(settings: HartveiligSettings) -> float:
    """The longest one-way route (m) any sensitivity speed allows (0 without speeds)."""
    speeds = settings.sensitivity_speeds_mps
    return fetch_limit_s(settings) * max(speeds) if speeds else 0.0


def speed_sensitivity(
    net,
    cells: CellSet,
    aeds: AedSet,
    moments: Sequence[Moment],
    *,
    settings: HartveiligSettings,
    walk_profile: TravelProfile | None,
    pairs: PairTimes | None = None,
) -> SpeedSensitivity:
    """Residents covered by the fetch model at each of ``settings.sensitivity_speeds_mps``.

    Walking time is length / speed, so one routing at ``walk_profile`` up to the longest
    limit gives every speed: a pair is within reach at speed ``v`` when its route length
    (time × profile speed) is at most ``fetch_limit_s · v``. ``pairs`` (AED→cell, at
    ``walk_profile``, up to :func:`sensitivity_cutoff_m`) is reused when given. Without
    a ``walk_profile`` the result has no speeds.
    """
    speeds = tuple(float(v) for v in settings.sensitivity_speeds_mps)
    if any(v <= 0 for v in speeds):
        raise ConfigError("hartveilig.sensitivity_speeds_mps: every speed must be > 0")
    if walk_profile is None or not speeds:  # nothing to vary
        return SpeedSensitivity((), (), {m.name: () for m in moments})
    limit_s = fetch_limit_s(settings)
    v_prof = walk_profile.speed_mps
    if pairs is None:
        pairs = pairs_within(
            net, aeds.snap, cells.snap, src_xy=aeds.xy, dst_xy=cells.xy,
            dst_ok=cells.routable, model="fetch", profile=walk_profile,
            cutoff=sensitivity_cutoff_m(settings) / v_prof,
        )  # fmt: skip
    hours = [hour_of_week(m) for m in moments]
    available = aeds.available()[:, hours].astype(np.int32)
    per_speed = []
    for v in speeds:
        near = pairs.within(limit_s * v / v_prof)
        A = incidence(near.target, near.source, cells.n, aeds.n)
        cov = np.asarray(A @ available) > 0 if aeds.n else np.zeros((cells.n, len(hours)), bool)
        per_speed.append(cells.residents @ cov)
    return SpeedSensitivity(
        speeds_mps=speeds,
        max_route_m=tuple(limit_s * v for v in speeds),
        residents_covered={
            m.name: tuple(float(r[i]) for r in per_speed) for i, m in enumerate(moments)
        },
    )


# ------------------------------------------------------------- straight vs route
@dataclass(frozen=True)
class StraightVsRoute:
    """Residents within set distances of an available AED, straight line and by route.

    Per moment: ``within_straight[d]`` / ``within_route[d]`` residents whose cell centre
    is within ``d`` m of the nearest available AED in a straight line / along the walk
    network (route includes the walk to and from the road); ``median_ratio`` the median,
    over populated cells with an AED reachable by route and a straight distance > 0, of
    route distance / straight distance (each to its own nearest AED); ``n_ratio_cells``
    how many cells that median is taken over.
    """

    distances_m: tuple[float, ...]
    within_straight: Mapping[str, tuple[float, ...]]
    within_route: Mapping[str, tuple[float, ...]] | None
    median_ratio: Mapping[str, float | None]
    n_ratio_cells: Mapping[str, int]


def straight_vs_route(
    cells: CellSet,
    aeds: AedSet,
    moments: Sequence[Moment],
    minutes: MomentMinutes,
    *,
    distances_m: Sequence[float] = STRAIGHT_VS_ROUTE_M,
) -> StraightVsRoute:
    """Compare straight-line and route distance to the nearest available AED per moment.

    The route distance is the one-way route time of :func:`minutes_per_moment` times its
    profile's speed (walking: time = length / speed), so no new routing is needed.
    """
    dist = tuple(float(d) for d in distances_m)
    available = aeds.available()
    res = cells.residents
    straight_at, route_at, ratio, n_ratio = {}, {}, {}, {}
    for m in moments:
        open_now = available[:, hour_of_week(m)]
        straight = np.full(cells.n, np.inf)
        if open_now.any() and cells.n:
            straight, _ = cKDTree(aeds.xy[open_now]).query(cells.xy)
        route = minutes.route_m(m.name)
        straight_at[m.name] = tuple(float(res[straight <= d].sum()) for d in dist)
        if route is None:
            ratio[m.name], n_ratio[m.name] = None, 0
            continue
        route = np.nan_to_num(route, nan=np.inf)
        route_at[m.name] = tuple(float(res[route <= d].sum()) for d in dist)
        ok = (res > 0) & np.isfinite(route) & (straight > 0)
        n_ratio[m.name] = int(ok.sum())
        ratio[m.name] = float(np.median(route[ok] / straight[ok])) if ok.any() else None
    return StraightVsRoute(
        distances_m=dist,
        within_straight=straight_at,
        within_route=route_at if minutes.speed_mps is not None else None,
        median_ratio=ratio,
        n_ratio_cells=n_ratio,
    )
