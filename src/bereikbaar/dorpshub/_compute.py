"""The Dorpshub orchestrator and the public functions on its result."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from bereikbaar._crs import RD_NEW
from bereikbaar.config import DorpshubSettings, TravelProfile
from bereikbaar.dorpshub._cores import rank_villages
from bereikbaar.dorpshub._ov import (
    OvInputs,
    WithOv,
    feed_departures,
    ov_assumptions_nl,
    ov_result,
    ov_service_times,
    ov_summary,
    with_without_car,
    without_car,
)
from bereikbaar.dorpshub._ov_hubs import (
    OvHubReach,
    choose_ov_hubs,
    ov_hub_assumption_nl,
    ov_hub_reach,
    ov_hubs_summary,
    with_ov_hubs,
)
from bereikbaar.dorpshub._phases import (
    RoadTravelTimes,
    ServicePool,
    assign_cells_to_villages,
    choose_hubs,
    hub_reach,
    networks_used,
    norm_shares,
    service_times,
    snap_inputs,
)
from bereikbaar.dorpshub._phases import service_pool as service_pool_of
from bereikbaar.dorpshub._prepare import _prepare_services, as_polygon, prepare_inputs
from bereikbaar.dorpshub._tables import (
    assumptions_nl,
    build_summary,
    build_tables,
    what_if_from_tables,
)
from bereikbaar.dorpshub._types import (
    HUB_KINDS,
    CellAssignment,
    DorpshubResult,
    PreparedInputs,
    Tables,
    WhatIfHub,
)
from bereikbaar.errors import ConfigError

log = logging.getLogger(__name__)


def compute_dorpshub(
    *,
    gemeente: str,
    gemeente_geometry,
    villages: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    networks: Mapping[str, Any],
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
    max_snap_m: float = 500.0,
    outline: gpd.GeoDataFrame | None = None,
    sources_note: str = "",
    ov: OvInputs | None = None,
    service_pool: gpd.GeoDataFrame | ServicePool | None = None,
) -> DorpshubResult:
    """Village access per service and mode, norms, scores and hub choice.

    Parameters
    ----------
    gemeente
        Name of the municipality (for labels).
    gemeente_geometry
        The municipality polygon (in the CRS of the cells). Only places inside it are villages, and
        only cells whose centroid lies inside it are counted.
    villages
        Places (``read_places``): ``name``, ``geometry`` and optionally ``place_id``,
        ``place`` (kept when in ``settings.place_kinds``).
    cells
        Population cells (``read_population``): ``cell_id``, ``residents``,
        ``residents_65_plus``, ``geometry`` (centroid).
    services
        Service points for the municipality plus a halo: ``kind``, ``name``,
        ``departures_per_hour`` (optional; trains/buses per hour), ``geometry``.
    networks, settings, profiles
        ``Network`` per network name (``walk``, ``bike``, ``drive``; every profile used needs
        its network), :class:`~bereikbaar.config.DorpshubSettings`, ``cfg.profiles``.
    max_snap_m
        Points farther than this (metres) from any edge are not routed.
    outline, sources_note
        The municipality as a one-row GeoDataFrame (``gemeente``, geometry; None: made from
        ``gemeente_geometry``) and the data sources text, kept for maps and reports.
    ov
        Public transport from a GTFS feed (:class:`~bereikbaar.dorpshub._ov.OvInputs`):
        adds the mode ``ov`` and its norms, and takes the stations' and bus hubs'
        departures per hour from the feed. None: road modes only.
    service_pool
        Optional: the service points of the whole study area (``services`` is part of
        them), or :func:`build_service_pool` of them. Searches then run over these, once
        for all municipalities that pass the same pool, with the same results (see
        :func:`bereikbaar.routing.nearest_in_pool`).

    Returns
    -------
    DorpshubResult
    """
    geom = as_polygon(gemeente_geometry)
    road = {"networks": networks, "settings": settings, "profiles": profiles}
    prep = prepare_inputs(
        villages=villages, cells=cells, geometry=geom, with_ov=ov is not None,
        services=services if ov is None else feed_departures(services, ov), **road,
    )  # fmt: skip
    log.info("%s: %d villages, %d cells", gemeente, prep.n_villages, prep.n_cells)
    pool = _pool(service_pool, ov, max_snap_m=max_snap_m, **road)
    snaps, nearest, ov_run = _travel_times(prep, ov, pool, max_snap_m=max_snap_m, **road)
    cell_villages = assign_cells_to_villages(prep, snaps, **road)
    _log_unplaced(gemeente, prep, cell_villages, max_snap_m=max_snap_m)
    times = service_times(prep, nearest)
    shares = norm_shares(prep, times, cell_villages)
    carless = without_car(prep, times, cell_villages, profiles=profiles)
    reach = hub_reach(prep, snaps, nearest, **road)
    hubs, ov_reach, ov_hubs = _hubs(prep, cell_villages, reach, times, carless, settings=settings)
    tables = with_without_car(
        build_tables(
            gemeente, prep, snaps=snaps, cells=cell_villages, times=times, shares=shares,
            reach=reach, village_network=profiles[settings.village_profile].network,
        ), prep, carless,
    )  # fmt: skip
    ov_access = ov_result(gemeente, ov, ov_run, geom, ov_reach)
    what_if = _configured_what_if(gemeente, prep, tables, reach.frame, settings, ov_reach)
    assumptions = _all_assumptions(
        prep, times, ov, ov_reach, settings=settings, profiles=profiles, max_snap_m=max_snap_m
    )
    summary = build_summary(
        gemeente, prep, cells=cell_villages, shares=shares, tables=tables, hubs=hubs,
        what_if=what_if, settings=settings, assumptions=assumptions,
        extra={**ov_summary(ov_access, carless), **ov_hubs_summary(ov_hubs, settings=settings)},
    )  # fmt: skip
    return DorpshubResult(
        gemeente=gemeente, villages=tables.villages, table=tables.table,
        services=tables.services, hubs=hubs, cells=tables.cells,
        buitengebied=cell_villages.buitengebied, summary=summary, assumptions=assumptions,
        hub_reach=reach.frame, settings=settings, what_if=what_if,
        outline=outline if outline is not None else _outline(gemeente, geom, prep.cells.crs),
        sources_note=sources_note, norms=prep.norms,
        profiles=tuple(dict.fromkeys(p for _, p in prep.pairs)),
        service_kinds=tuple(dict.fromkeys(s for s, _ in prep.pairs)), ov=ov_access,
    )  # fmt: skip


def _hubs(prep, cells, reach, times, carless, *, settings: DorpshubSettings):
    """The hubs of every method (p-median, max coverage, and ``ov_reach`` with a feed), the
    ov hub reach (None without) and the ov hub choice."""
    ov_reach = ov_hub_reach(prep, times, reach, carless.within, settings=settings)
    ov_hubs = choose_ov_hubs(prep, cells, reach, ov_reach, settings=settings)
    hubs = with_ov_hubs(choose_hubs(prep, cells, reach, settings=settings), ov_hubs)
    return hubs, ov_reach, ov_hubs


def _all_assumptions(
    prep, times, ov, ov_reach, *, settings, profiles, max_snap_m: float
) -> tuple[str, ...]:
    """The Dutch assumptions: road modes and norms, then ov, then the ov hubs."""
    hub_label = _profile_label(profiles[settings.hub_profile])
    return (
        assumptions_nl(prep, times, settings=settings, profiles=profiles, max_snap_m=max_snap_m)
        + ov_assumptions_nl(ov)
        + ov_hub_assumption_nl(ov_reach, settings=settings, hub_label=hub_label)
    )


def _pool(service_pool, ov, *, networks, settings, profiles, max_snap_m: float):
    """The :class:`ServicePool` to search (None: none given; a frame: built here)."""
    if service_pool is None or isinstance(service_pool, ServicePool):
        return service_pool
    return build_service_pool(
        service_pool,
        ov,
        networks=networks,
        settings=settings,
        profiles=profiles,
        max_snap_m=max_snap_m,
    )


def build_service_pool(
    services: gpd.GeoDataFrame,
    ov: OvInputs | None,
    *,
    networks: Mapping[str, Any],
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
    max_snap_m: float,
) -> ServicePool:
    """The study area's service points prepared like a municipality's (the feed's
    departures when ``ov`` is given) and snapped to the networks the settings use; build
    it once per study area and pass it as ``service_pool`` to every municipality."""
    kinds = set(settings.services) | set(HUB_KINDS)
    frame = _prepare_services(services if ov is None else feed_departures(services, ov), kinds)
    return service_pool_of(
        frame,
        networks=networks,
        modes=networks_used(settings, profiles),
        settings=settings,
        max_snap_m=max_snap_m,
    )


def _travel_times(prep, ov, pool, *, networks, settings, profiles, max_snap_m: float):
    """Phase: snap the inputs once per network; nearest-service times by road, and by
    public transport when a feed is given (``WithOv`` answers ``ov``, roads the rest)."""
    modes = networks_used(settings, profiles)
    snaps = snap_inputs(prep, networks=networks, modes=modes, max_snap_m=max_snap_m)
    nearest = RoadTravelTimes(
        networks=networks,
        profiles=profiles,
        snaps=snaps,
        pool=pool,
        kinds=prep.services["kind"].to_numpy(object),
        departures_per_hour=prep.services["departures_per_hour"].to_numpy(float),
    )
    ov_run = ov_service_times(prep, ov, pool) if ov is not None else None
    if ov_run is not None:
        nearest = WithOv(nearest, ov_run)
    return snaps, nearest, ov_run


def _profile_label(profile: TravelProfile) -> str:
    return profile.label or profile.name


def _outline(gemeente: str, geom, crs=RD_NEW) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"gemeente": [gemeente]}, geometry=[geom], crs=crs or RD_NEW)


def _log_unplaced(
    gemeente: str, prep: PreparedInputs, cells: CellAssignment, *, max_snap_m: float
) -> None:
    flagged = cells.cell_flagged
    if flagged.any():
        log.warning(
            "%s: %d cell(s) with %.0f residents lie more than %g m from the village network; "
            "counted as buitengebied",
            gemeente,
            int(flagged.sum()),
            float(prep.cells["residents"].to_numpy(float)[flagged].sum()),
            max_snap_m,
        )
    if cells.village_flagged.any():
        log.warning(
            "%s: village(s) %s lie more than %g m from the village network and get no cells",
            gemeente,
            ", ".join(prep.villages["village"].to_numpy()[cells.village_flagged]),
            max_snap_m,
        )


def _configured_what_if(
    gemeente: str,
    prep: PreparedInputs,
    tables: Tables,
    hub_reach_frame: pd.DataFrame,
    settings: DorpshubSettings,
    ov_reach: OvHubReach | None = None,
) -> WhatIfHub | None:
    """The what-if for ``settings.what_if_village`` when it is a village here, else None."""
    names = prep.villages["village"].astype(str).tolist()
    village = settings.what_if_village
    if village is None:
        return None
    if village not in names:
        log.debug("%s: what-if village %s is not in this municipality", gemeente, village)
        return None
    return what_if_from_tables(
        gemeente=gemeente,
        village=village,
        village_names=names,
        cells=tables.cells,
        hub_reach=hub_reach_frame,
        settings=settings,
        ov_reach=ov_reach,
    )


# ------------------------------------------------------------------------- what-if
def what_if_hub(
    result_or_inputs: DorpshubResult | Mapping[str, Any], village_name: str
) -> WhatIfHub:
    """Add a hub at ``village_name`` and report who newly reaches a hub within the norm.

    A new hub is assumed to offer the hub service level (at least
    ``hub_min_departures_per_hour`` departures); a resident *gains* when their cell lies
    within ``hub_max_min`` of the new hub by ``hub_profile`` and was not within that time
    of an existing station or bus hub with that service level. Uses the result's stored
    ``hub_reach``: no routing.

    Parameters
    ----------
    result_or_inputs
        A :class:`DorpshubResult`, or the keyword arguments of :func:`compute_dorpshub`
        (computed first; prefer passing the result you already have).
    village_name
        A village of the municipality, e.g. ``"Grolloo"``.

    Returns
    -------
    WhatIfHub
    """
    if isinstance(result_or_inputs, DorpshubResult):
        result = result_or_inputs
    else:
        result = compute_dorpshub(**dict(result_or_inputs))
    names = result.villages["village"].astype(str).tolist()
    if village_name not in names:
        close = difflib.get_close_matches(village_name, names, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(
            f"{village_name!r} is not a village of {result.gemeente}{hint} (villages: "
            f"{', '.join(sorted(names)[:20])}{', ...' if len(names) > 20 else ''})"
        )
    return what_if_from_tables(
        gemeente=result.gemeente,
        village=village_name,
        village_names=names,
        cells=result.cells,
        hub_reach=result.hub_reach,
        settings=result.settings,
        ov_reach=getattr(result.ov, "hub_reach", None),
    )


RANK_ACROSS_COLUMNS = [
    "gemeente",
    "village_id",
    "village",
    "residents",
    "score",
    "n_failed_norms",
    "rank_gemeente",
    "rank_across",
]


def rank_villages_across(results: Iterable[DorpshubResult]) -> pd.DataFrame:
    """Rank the villages of several municipalities together (1 = worst access).

    Returns a DataFrame ``gemeente``, ``village_id``, ``village``, ``residents``,
    ``score``, ``n_failed_norms``, ``rank_gemeente``, ``rank_across``, worst first. Scores
    are comparable because every municipality uses the same norms (check
    ``settings.norms``).
    """
    cols = RANK_ACROSS_COLUMNS[1:-1]
    parts = []
    for r in results:
        v = pd.DataFrame(r.villages[cols])
        v.insert(0, "gemeente", r.gemeente)
        parts.append(v)
    if not parts:
        return pd.DataFrame(columns=RANK_ACROSS_COLUMNS)
    allv = pd.concat(parts, ignore_index=True)
    key = (allv["gemeente"] + "\x00" + allv["village"]).to_numpy(str)
    allv["rank_across"] = rank_villages(
        allv["score"].to_numpy(float),
        allv["n_failed_norms"].to_numpy(),
        allv["residents"].to_numpy(float),
        key,
    )
    return allv.sort_values("rank_across", ignore_index=True)
