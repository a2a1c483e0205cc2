"""Public transport (ov) as a Dorpshub mode, from a GTFS feed (:mod:`bereikbaar.transit`).

With an :class:`OvInputs` (feed, walk network, transit settings) Dorpshub gets the mode
``ov``: for every service, the door-to-door minutes by public transport with walking as
the fallback where that is faster, from every village centre and cell. The number in the
village columns, the long table and the norms is one statistic (``[transit]
norm_statistic``, the median by default) over the departure minutes of one window
(``[transit] norm_window``, weekday 07:00–09:00 by default); :class:`OvAccess` on the result
holds the 5th/50th/95th percentiles for every window, and ``no_trip`` where no minute of a
window has an ov trip at all.

"Without a car" (:class:`WithoutCar`): a service counts as reachable without a car when one
of its norms for walking, cycling or ov is met; per village the number of such services,
and per service the share of all residents (cells) for whom that holds.

Station and bus hub departures per hour come from the feed (trains for stations, every
trip for bus hubs, leaving within :data:`HUB_RADIUS_M` in the norm window) when a feed is
given; the hubs register stays the fallback for regions without GTFS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from bereikbaar._crs import RD_NEW
from bereikbaar._nl import service_nl
from bereikbaar.config import OV_PROFILE, TransitSettings, TransitWindow, TravelProfile
from bereikbaar.dorpshub._phases import (
    NearestServiceFn,
    RoadTravelTimes,
    ServicePool,
    service_points,
)
from bereikbaar.dorpshub._types import (
    CellAssignment,
    NearestService,
    PreparedInputs,
    ServiceTimes,
    Snaps,
)
from bereikbaar.errors import ConfigError

log = logging.getLogger(__name__)

OV = OV_PROFILE
#: Stops this close to a station or bus hub count as its platforms and stands (m).
HUB_RADIUS_M = 300.0
#: GTFS route types that are trains (basic type 2 and the extended rail types 100–117).
RAIL_ROUTE_TYPES = ("2", *(str(t) for t in range(100, 118)))
OV_TABLE_COLUMNS = [
    "gemeente",
    "village_id",
    "village",
    "service",
    "window",
    "window_label",
    "walk_min",
    "transit_p05_min",
    "transit_p50_min",
    "transit_p95_min",
    "transit_share",
    "no_trip",
    "ov_p05_min",
    "ov_p50_min",
    "ov_p95_min",
    "ov_by",
]


@dataclass(frozen=True, eq=False)
class OvInputs:
    """What the ov mode needs: the feed (read for the windows' dates), the walk network
    and its walk profile, and the transit settings."""

    feed: Any
    walk_network: Any
    walk_profile: TravelProfile
    settings: TransitSettings
    max_snap_m: float = 500.0

    @property
    def norm_window(self) -> TransitWindow:
        for w in self.settings.windows:
            if w.name == self.settings.norm_window:
                return w
        raise ConfigError(
            f"[transit] norm_window {self.settings.norm_window!r} is not one of the windows "
            f"{', '.join(w.name for w in self.settings.windows)}"
        )


@dataclass(frozen=True)
class OvAccess:
    """Ov detail on the Dorpshub result.

    Attributes
    ----------
    windows
        The departure windows, in config order.
    norm_window, norm_statistic
        The window and statistic (``p05``/``p50``/``p95``) behind the ``ov`` minutes in the
        village columns, the long table and the norms.
    table
        One row per village, service and window with :data:`OV_TABLE_COLUMNS` (see
        :mod:`bereikbaar.transit` for their meaning).
    stops
        GeoDataFrame of the stops near the municipality: ``stop_id``, ``stop_name``,
        ``station_name``, ``departures_per_hour`` (in the norm window),
        ``departures_per_hour_<window>`` for every window, geometry.
    hub_reach
        :class:`~bereikbaar.dorpshub._ov_hubs.OvHubReach`: who reaches the key services
        within their ov norm today and via each village as hub (None without key services);
        used by the ``ov_reach`` hub choice and :func:`~bereikbaar.dorpshub.what_if_hub`.
    """

    windows: tuple[TransitWindow, ...]
    norm_window: str
    norm_statistic: str
    table: pd.DataFrame
    stops: gpd.GeoDataFrame
    hub_reach: Any = None


@dataclass(frozen=True)
class WithoutCar:
    """Services reachable within a norm by walking, cycling or ov alone.

    ``services``: the service kinds with at least one such norm; ``village_count``
    ``(n_villages,)`` how many of them the centre reaches within a norm without a car;
    ``village_services`` the Dutch names, ``"; "``-joined; ``share_residents`` per service,
    the share of all residents whose cell reaches it within a norm without a car;
    ``within`` per service ``(n_origins,)`` bool (:func:`within_without_car`).
    """

    services: tuple[str, ...]
    village_count: np.ndarray
    village_services: np.ndarray
    share_residents: dict[str, float]
    within: Mapping[str, np.ndarray] = field(default_factory=dict)


# ------------------------------------------------------------------- hub departures
def feed_departures(services: gpd.GeoDataFrame, ov: OvInputs) -> gpd.GeoDataFrame:
    """``services`` with the stations' and bus hubs' departures per hour from the feed.

    Stations count trains, bus hubs every trip, leaving a stop within
    :data:`HUB_RADIUS_M` in the norm window. ``departures_source`` says ``"gtfs"`` for
    those rows (else the register's value or none is kept).
    """
    from bereikbaar.transit import departures_per_hour, window_date

    w = ov.norm_window
    out = services.copy()
    source = np.full(len(out), "", dtype=object)
    if "departures_per_hour" not in out:
        out["departures_per_hour"] = np.nan
    dep = out["departures_per_hour"].to_numpy(float).copy()
    source[np.isfinite(dep)] = "register"
    date = window_date(ov.settings, w)
    for kind, types in (("station", RAIL_ROUTE_TYPES), ("bus_hub", None)):
        rows = np.flatnonzero(out["kind"].to_numpy(object) == kind)
        if len(rows):
            dep[rows] = departures_per_hour(
                ov.feed,
                out.geometry.iloc[rows],
                date=date,
                start_s=w.start_s,
                end_s=w.end_s,
                radius_m=HUB_RADIUS_M,
                route_types=types,
            )
            source[rows] = "gtfs"
    out["departures_per_hour"] = dep
    out["departures_source"] = source
    return out


# ------------------------------------------------------------------ ov travel times
@dataclass(frozen=True)
class OvRun:
    """Ov seconds of one Dorpshub run over all origins for the norm window, by the service
    rows they go to (``time_by_rows``: ``rows.tobytes()`` → ``(n_origins,)``), and the
    village detail for every window (``table``, :data:`OV_TABLE_COLUMNS` without
    ``gemeente``)."""

    time_by_rows: dict[bytes, np.ndarray]
    table: pd.DataFrame


def ov_service_times(prep: PreparedInputs, ov: OvInputs, pool: ServicePool | None = None) -> OvRun:
    """Ov seconds (the norm statistic) from every origin to each service of the ``ov``
    pairs, and the village detail for every window (``pool``: the study area's service
    points, to share the walking searches between municipalities)."""
    from bereikbaar.transit import ov_minutes, walk_legs

    services = [s for s, p in prep.pairs if p == OV]
    rows_by = {s: service_points(prep, s) for s in services}
    dest_rows = np.concatenate([rows_by[s] for s in services] or [np.zeros(0, np.int64)])
    groups = np.concatenate([np.full(len(rows_by[s]), s, dtype=object) for s in services] or [[]])
    origins = gpd.GeoSeries(
        np.concatenate([prep.villages.geometry.to_numpy(), prep.cells.geometry.to_numpy()]),
        crs=prep.cells.crs or RD_NEW,
    )
    walk = _walk_to_services(prep, ov, origins, rows_by, pool)
    legs = walk_legs(
        ov.walk_network,
        stops=ov.feed.stops,
        origins=origins,
        destinations=prep.services.geometry.iloc[dest_rows],
        profile=ov.walk_profile,
        settings=ov.settings,
        max_snap_m=ov.max_snap_m,
        walk_matrix=False,
    )
    norm_w = ov.norm_window
    column = f"ov_{ov.settings.norm_statistic}_min"
    everyone = ov_minutes(
        ov.feed,
        legs,
        settings=ov.settings,
        origin_index=np.arange(len(origins)),
        groups=groups,
        windows=[norm_w],
        walk_group_s=walk,
        keep_minutes=False,
    )
    tab = everyone.table
    group, origin = tab["group"].to_numpy(object), tab["origin"].to_numpy()
    minutes = tab[column].to_numpy(float)
    time_by_rows = {}
    for s in services:
        sel = np.flatnonzero(group == s)
        sel = sel[np.argsort(origin[sel], kind="stable")]  # one row per origin
        t = minutes[sel] * 60.0 if len(sel) else np.full(len(origins), np.nan)
        time_by_rows[rows_by[s].astype(np.int64).tobytes()] = t
    table = _village_detail(prep, ov, legs, groups, walk, everyone)
    return OvRun(time_by_rows=time_by_rows, table=table)


def _walk_to_services(prep, ov: OvInputs, origins, rows_by, pool) -> dict[str, np.ndarray]:
    """Seconds walking all the way to the nearest point of each service (NaN: none)."""
    from bereikbaar import routing

    net = ov.walk_network
    snaps = Snaps(
        origins={"walk": routing.snap_points(net, origins, max_snap_m=ov.max_snap_m)},
        services={
            "walk": routing.snap_points(
                net, prep.services.geometry.reset_index(drop=True), max_snap_m=ov.max_snap_m
            )
            if len(prep.services)
            else None
        },
    )
    road = RoadTravelTimes(
        networks={"walk": net},
        profiles={ov.walk_profile.name: ov.walk_profile},
        snaps=snaps,
        pool=pool,
        kinds=prep.services["kind"].to_numpy(object),
        departures_per_hour=prep.services["departures_per_hour"].to_numpy(float),
    )
    return {s: road(ov.walk_profile.name, rows).time_s for s, rows in rows_by.items()}


def _village_detail(prep, ov: OvInputs, legs, groups, walk, everyone) -> pd.DataFrame:
    """Village centres × services × windows (the norm window from ``everyone``)."""
    import dataclasses

    from bereikbaar.transit import ov_minutes

    n_v = prep.n_villages
    vlegs = dataclasses.replace(
        legs, access=legs.access[legs.access["origin"] < n_v], n_origins=n_v
    )
    frames = []
    for w in ov.settings.windows:
        if w.name == ov.norm_window.name:
            t = everyone.table
            frames.append(t[t["origin"] < n_v])
            continue
        frames.append(
            ov_minutes(
                ov.feed,
                vlegs,
                settings=ov.settings,
                origin_index=np.arange(n_v),
                groups=groups,
                windows=[w],
                walk_group_s={g: v[:n_v] for g, v in walk.items()},
                keep_minutes=False,
            ).table
        )
    t = pd.concat(frames, ignore_index=True)
    v = prep.villages
    labels = {w.name: w.label or w.name for w in ov.settings.windows}
    t["village_id"] = v["place_id"].to_numpy(object)[t["origin"].to_numpy()]
    t["village"] = v["village"].to_numpy(object)[t["origin"].to_numpy()]
    t["service"] = t["group"]
    t["window_label"] = t["window"].map(labels)
    return t[[c for c in OV_TABLE_COLUMNS if c != "gemeente"]]


@dataclass(frozen=True)
class WithOv:
    """A :data:`NearestServiceFn` that answers ``ov`` from an :class:`OvRun` and every
    other profile from the road networks."""

    road: NearestServiceFn
    run: OvRun

    def __call__(self, profile: str, services: np.ndarray) -> NearestService:
        if profile != OV:
            return self.road(profile, services)
        key = np.asarray(services, dtype=np.int64).tobytes()
        t = self.run.time_by_rows[key]
        return NearestService(t, np.full(len(t), -1, dtype=np.int64))


# ------------------------------------------------------------------------ without a car
def within_without_car(
    prep: PreparedInputs, times: ServiceTimes, *, profiles
) -> dict[str, np.ndarray]:
    """Per service with a walking, cycling or ov norm, ``(n_origins,)`` bool: one of
    those norms is met from the origin."""
    carless = [
        n for n in prep.norms if n.profile == OV or profiles[n.profile].network in ("walk", "bike")
    ]
    n_o = prep.n_villages + prep.n_cells
    ok = {s: np.zeros(n_o, bool) for s in dict.fromkeys(n.service for n in carless)}
    for n in carless:
        t = times.time_s[(n.service, n.profile)]
        with np.errstate(invalid="ignore"):
            ok[n.service] |= np.isfinite(t) & (t <= n.max_min * 60.0)
    return ok


def without_car(
    prep: PreparedInputs,
    times: ServiceTimes,
    cells: CellAssignment,
    *,
    profiles,
) -> WithoutCar:
    """Per village, the services within a walking, cycling or ov norm; per service, the
    share of all residents whose cell is within one."""
    ok = within_without_car(prep, times, profiles=profiles)
    services = tuple(ok)
    vil = prep.village_pos
    count = np.zeros(prep.n_villages, np.int64)
    names = [[] for _ in range(prep.n_villages)]
    for s in services:
        count += ok[s][vil]
        for i in np.flatnonzero(ok[s][vil]):
            names[i].append(service_nl(s))
    res = prep.cells["residents"].to_numpy(float)
    total = cells.residents_total
    share = {
        s: float(res[ok[s][prep.cell_pos]].sum() / total) if total > 0 else float("nan")
        for s in services
    }
    return WithoutCar(
        services=services,
        village_count=count,
        village_services=np.asarray(["; ".join(n) for n in names], dtype=object),
        share_residents=share,
        within=ok,
    )


def ov_stops(ov: OvInputs, geometry, *, halo_m: float = 2_000.0) -> gpd.GeoDataFrame:
    """The feed's stops within ``halo_m`` of the municipality, with departures per hour in
    the norm window (``departures_per_hour``, for the map: stops sized by departures) and
    in every window (``departures_per_hour_<window>``, config order)."""
    from bereikbaar.transit import stop_departures_per_hour, window_date

    stops = ov.feed.stops
    pos = np.flatnonzero(np.asarray(stops.within(geometry.buffer(halo_m)), bool))
    near = stops.iloc[pos]
    per_window = {
        f"departures_per_hour_{w.name}": stop_departures_per_hour(
            ov.feed, date=window_date(ov.settings, w), start_s=w.start_s, end_s=w.end_s
        )[pos]
        for w in ov.settings.windows
    }
    cols = ["stop_id", "stop_name", "station_name"]
    return gpd.GeoDataFrame(
        {
            **{c: near[c].to_numpy() for c in cols},
            "departures_per_hour": per_window[f"departures_per_hour_{ov.norm_window.name}"],
            **per_window,
        },
        geometry=near.geometry.to_numpy(),
        crs=near.crs or RD_NEW,
    )


# ------------------------------------------------------------------- result pieces
def with_without_car(tables, prep: PreparedInputs, carless: WithoutCar):
    """The tables with the villages' ``n_services_without_car`` and
    ``services_without_car`` (matched on the village label)."""
    import dataclasses

    pos = pd.Series(np.arange(prep.n_villages), index=prep.villages["village"].to_numpy())
    at = pos.loc[tables.villages["village"].to_numpy()].to_numpy()
    villages = tables.villages.copy()
    villages["n_services_without_car"] = carless.village_count[at]
    villages["services_without_car"] = carless.village_services[at]
    return dataclasses.replace(tables, villages=villages)


def ov_result(
    gemeente: str, ov: OvInputs | None, run: OvRun | None, geometry, hub_reach=None
) -> OvAccess | None:
    """The :class:`OvAccess` of the result (None without a feed)."""
    if ov is None or run is None:
        return None
    table = run.table.copy()
    table.insert(0, "gemeente", gemeente)
    return OvAccess(
        windows=tuple(ov.settings.windows),
        norm_window=ov.norm_window.name,
        norm_statistic=ov.settings.norm_statistic,
        table=table[OV_TABLE_COLUMNS].reset_index(drop=True),
        stops=ov_stops(ov, geometry),
        hub_reach=hub_reach,
    )


def ov_assumptions_nl(ov: OvInputs | None) -> tuple[str, ...]:
    """The ov assumptions, in Dutch (none without a feed)."""
    if ov is None:
        return ()
    ts, w = ov.settings, ov.norm_window
    stat = {"p05": "het 5e percentiel", "p50": "de mediaan", "p95": "het 95e percentiel"}
    windows = ", ".join(x.label or x.name for x in ts.windows)
    return (
        "Ov is deur tot deur: lopen naar een halte (hoogstens "
        f"{ts.max_access_walk_m:g} m over het voetpadennet), wachten, reizen met hoogstens "
        f"{ts.max_transfers} overstappen (elk ten minste {ts.min_transfer_min:g} min, lopend "
        f"hoogstens {ts.max_transfer_walk_m:g} m naar een andere halte) en lopen naar de "
        "voorziening; wachten thuis telt mee. Lopen is de terugvaloptie waar dat sneller is.",
        f"Ov-reistijden worden voor elke vertrekminuut berekend in de vensters {windows}; de "
        f"ov-minuten en ov-normen gebruiken {stat[ts.norm_statistic]} over {w.label or w.name}. "
        f"Een reis langer dan {ts.max_travel_min:g} min telt als geen reis; zonder reis in "
        "een venster blijft het getal leeg.",
        "Vertrekken per uur van stations (treinen) en bushubs (alle ritten) komen uit de "
        f"dienstregeling: ritten die in {w.label or w.name} vertrekken van een halte binnen "
        f"{HUB_RADIUS_M:g} m.",
    )


def ov_summary(access: OvAccess | None, carless: WithoutCar) -> dict[str, Any]:
    """The summary sections ``without_car`` and (with a feed) ``ov``."""
    out: dict[str, Any] = {
        "without_car": {
            "services": list(carless.services),
            "share_residents": dict(carless.share_residents),
        }
    }
    if access is None:
        return out
    t = access.table
    window, service = t["window"].to_numpy(object), t["service"].to_numpy(object)
    village, no_trip = t["village"].to_numpy(object), t["no_trip"].to_numpy(bool)
    per_window = {}
    for w in access.windows:
        in_w = window == w.name
        per_window[w.name] = {
            "label": w.label,
            "no_trip_villages": {
                s: sorted(str(v) for v in village[in_w & no_trip & (service == s)])
                for s in sorted(set(service[in_w]))
            },
        }
    out["ov"] = {
        "norm_window": access.norm_window,
        "norm_statistic": access.norm_statistic,
        "windows": per_window,
        "stops": len(access.stops),
    }
    return out


def villages_without_ov_trip(
    result, *, service: str = "huisartsenpost", window: str | None = None
) -> pd.DataFrame:
    """The villages with no ov trip to ``service`` in ``window`` (default: the norm
    window): ``gemeente``, ``village``, ``residents``, ``walk_min``, most residents first.

    Raises
    ------
    ConfigError
        The result has no ov (no GTFS feed was given).
    """
    if result.ov is None:
        raise ConfigError("this Dorpshub result has no ov: set [transit] gtfs in the config")
    window = window or result.ov.norm_window
    t = result.ov.table
    sel = t[(t["service"] == service) & (t["window"] == window) & t["no_trip"]]
    res = result.villages.set_index("village")["residents"]
    out = pd.DataFrame(
        {
            "gemeente": sel["gemeente"].to_numpy(),
            "village": sel["village"].to_numpy(),
            "residents": res.reindex(sel["village"]).to_numpy(float),
            "walk_min": sel["walk_min"].to_numpy(float),
        }
    )
    return out.sort_values(["residents", "village"], ascending=[False, True], ignore_index=True)
