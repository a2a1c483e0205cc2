"""The computing phases of Dorpshub: snapping, cells to villages, service times, norms, hubs.

Each phase takes the results of earlier phases and returns one frozen dataclass from
:mod:`bereikbaar.dorpshub._types`. Travel times to services come from a
:data:`NearestServiceFn` — ``(profile name, service rows) → NearestService`` over the
origins (village centres, then cells) — so a mode that does not run on a road network
(e.g. public transport from GTFS) plugs in as another such function.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bereikbaar._crs import RD_NEW
from bereikbaar._nl import HUB_METHODS_NL
from bereikbaar.config import OV_PROFILE, DorpshubSettings, TravelProfile
from bereikbaar.dorpshub._cores import (
    assign_cells,
    group_sum,
    hub_gains,
    rank_villages,
    score_villages,
    village_limit_min,
)
from bereikbaar.dorpshub._types import (
    HUB_COLUMNS,
    HUB_KINDS,
    CellAssignment,
    HubReach,
    NearestService,
    NormShares,
    PreparedInputs,
    ServiceTimes,
    Snaps,
)

log = logging.getLogger(__name__)

#: ``(profile name, service rows) -> NearestService`` over the origins.
NearestServiceFn = Callable[[str, np.ndarray], NearestService]


# ------------------------------------------------------------------------------ snapping
def networks_used(settings: DorpshubSettings, profiles: Mapping[str, TravelProfile]) -> list[str]:
    """The road networks the settings need (profiles, village and hub profile, norms)."""
    names = (
        *settings.profiles,
        settings.village_profile,
        settings.hub_profile,
        *(n.profile for n in settings.norms if n.profile != OV_PROFILE),
    )
    return sorted({profiles[p].network for p in names})


def snap_inputs(
    prep: PreparedInputs, *, networks: Mapping[str, Any], modes: list[str], max_snap_m: float
) -> Snaps:
    """Snap the origins (village centres, then cells) and the services once per network."""
    from bereikbaar import routing

    points = gpd.GeoSeries(
        np.concatenate([prep.villages.geometry.to_numpy(), prep.cells.geometry.to_numpy()]),
        crs=prep.cells.crs or RD_NEW,
    )
    svc = prep.services.geometry.reset_index(drop=True)
    origins, services = {}, {}
    for mode in modes:
        origins[mode] = routing.snap_points(networks[mode], points, max_snap_m=max_snap_m)
        services[mode] = (
            routing.snap_points(networks[mode], svc, max_snap_m=max_snap_m) if len(svc) else None
        )
    return Snaps(origins=origins, services=services)


@dataclass(frozen=True)
class ServicePool:
    """Service points of a whole study area, snapped per network, that the municipalities'
    searches share (:func:`bereikbaar.routing.nearest_in_pool`: same answers as searching
    the municipality's own points).

    A search for some of the municipality's points runs over the pool's points of the
    same kinds with at least the highest of ``thresholds`` (departures per hour) that all
    of them meet — the same pool rows for every municipality asking the same question.
    """

    kinds: np.ndarray
    departures_per_hour: np.ndarray
    snapped: Mapping[str, Any]
    thresholds: tuple[float, ...] = ()

    def rows_like(self, kinds: np.ndarray, departures_per_hour: np.ndarray) -> np.ndarray:
        """Pool rows that can hold the points with these kinds and departures."""
        sel = np.isin(self.kinds, np.unique(kinds))
        with np.errstate(invalid="ignore"):
            met = [t for t in self.thresholds if np.all(departures_per_hour >= t)]
            if met:
                sel &= self.departures_per_hour >= max(met)
        return np.flatnonzero(sel)


def service_pool(
    services: gpd.GeoDataFrame,
    *,
    networks: Mapping[str, Any],
    modes: list[str],
    settings: DorpshubSettings,
    max_snap_m: float,
) -> ServicePool:
    """A :class:`ServicePool` of prepared service points (``prepare_services``)."""
    from bereikbaar import routing

    geom = services.geometry.reset_index(drop=True)
    return ServicePool(
        kinds=services["kind"].to_numpy(object),
        departures_per_hour=services["departures_per_hour"].to_numpy(float),
        snapped={m: routing.snap_points(networks[m], geom, max_snap_m=max_snap_m) for m in modes},
        thresholds=tuple(
            sorted(
                {
                    float(n.min_departures_per_hour)
                    for n in settings.norms
                    if n.min_departures_per_hour is not None
                }
                | {float(settings.hub_min_departures_per_hour)}
            )
        ),
    )


@dataclass(frozen=True)
class RoadTravelTimes:
    """A :data:`NearestServiceFn` on the road networks (walk, bike, drive).

    One multi-source search per call, from the chosen service points over the profile's
    directed network, travelling *to* the service. With a ``pool`` (and the kinds and
    departures of the municipality's service rows) the search runs over the pool's
    points instead and is shared by the municipalities (same answers).
    """

    networks: Mapping[str, Any]
    profiles: Mapping[str, TravelProfile]
    snaps: Snaps
    pool: ServicePool | None = None
    kinds: np.ndarray | None = None
    departures_per_hour: np.ndarray | None = None

    def __call__(self, profile: str, services: np.ndarray) -> NearestService:
        prof = self.profiles[profile]
        targets = self.snaps.origins[prof.network]
        facilities = self.snaps.services[prof.network]
        n = len(targets)
        services = np.asarray(services, dtype=np.int64)
        if (
            facilities is None
            or len(services) == 0
            or np.asarray(facilities.flagged, bool)[services].all()
        ):
            return NearestService(np.full(n, np.nan), np.full(n, -1, np.int64))
        time_s, f = self._search(prof, facilities.subset(services), targets, services)
        f = np.asarray(f, dtype=np.int64)
        return NearestService(
            np.asarray(time_s, dtype=float), np.where(f >= 0, services[np.maximum(f, 0)], -1)
        )

    def _search(self, prof: TravelProfile, facilities, targets, services: np.ndarray):
        from bereikbaar import routing

        net = self.networks[prof.network]
        if self.pool is None or prof.network not in self.pool.snapped:
            nf = routing.nearest_facility(
                net, facilities, profile=prof, targets=targets, direction="to_facility"
            )
            return nf.target_time_s, nf.target_facility
        rows = self.pool.rows_like(self.kinds[services], self.departures_per_hour[services])
        return routing.nearest_in_pool(
            net,
            facilities,
            self.pool.snapped[prof.network].subset(rows),
            profile=prof,
            targets=targets,
            direction="to_facility",
        )


# ---------------------------------------------------------------- phase 1: cells → villages
def assign_cells_to_villages(
    prep: PreparedInputs,
    snaps: Snaps,
    *,
    networks: Mapping[str, Any],
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
) -> CellAssignment:
    """Every cell to the fastest village within its kind's reach (``village_profile``).

    One search per place kind, each with its own reach (a town reaches farther than a
    hamlet); a cell goes to the fastest village whose kind's limit it is within.
    """
    from bereikbaar import routing

    vprof = profiles[settings.village_profile]
    snapped = snaps.origins[vprof.network]
    vil, cel = prep.village_pos, prep.cell_pos
    flagged = np.asarray(snapped.flagged, bool)
    t_best = np.full(prep.n_cells, np.nan)
    f_best = np.full(prep.n_cells, -1, np.int64)
    place = prep.villages["place"].to_numpy(object)
    kinds = sorted(set(place)) if prep.n_villages and prep.n_cells else []
    for kind in kinds:
        sel = np.flatnonzero(place == kind)
        if flagged[vil[sel]].all():
            continue
        limit_s = 60.0 * village_limit_min(settings, kind)
        nf = routing.nearest_facility(
            networks[vprof.network],
            snapped.subset(vil[sel]),
            profile=vprof,
            targets=snapped.subset(cel),
            cutoff_s=limit_s,
            direction="to_facility",
        )
        t = np.asarray(nf.target_time_s, float)
        f = np.asarray(nf.target_facility, np.int64)
        with np.errstate(invalid="ignore"):
            better = (f >= 0) & np.isfinite(t) & (t <= limit_s)
            better &= ~np.isfinite(t_best) | (t < t_best)
        t_best[better] = t[better]
        f_best[better] = sel[f[better]]
    village = assign_cells(t_best, f_best, flagged[cel], max_s=np.inf)
    return _count_residents(prep, village, t_best, flagged[cel], flagged[vil])


def _count_residents(
    prep: PreparedInputs,
    village: np.ndarray,
    time_s: np.ndarray,
    cell_flagged: np.ndarray,
    village_flagged: np.ndarray,
) -> CellAssignment:
    res = prep.cells["residents"].to_numpy(float)
    res65 = prep.cells["residents_65_plus"].to_numpy(float)
    v_res = group_sum(res, village, prep.n_villages)
    in_bg = village < 0
    buiten = {
        "residents": float(res[in_bg].sum()),
        "residents_65_plus": _nan_to_none(nansum_or_nan(res65[in_bg])),
        "cells": int(in_bg.sum()),
        "cells_flagged": int(cell_flagged.sum()),
    }
    total = float(res.sum())
    if not math.isclose(
        float(v_res.sum()) + buiten["residents"], total, rel_tol=1e-9, abs_tol=1e-6
    ):
        raise AssertionError("residents counted twice or lost")  # pragma: no cover
    return CellAssignment(
        village=village,
        time_s=np.where(village >= 0, time_s, np.nan),
        cell_flagged=cell_flagged,
        village_flagged=village_flagged,
        village_residents=v_res,
        village_residents_65_plus=group_sum(res65, village, prep.n_villages),
        buitengebied=buiten,
        residents_total=total,
    )


def nansum_or_nan(x: np.ndarray) -> float:
    """The sum ignoring NaN, or NaN when every value is NaN."""
    x = np.asarray(x, float)
    if len(x) and np.isnan(x).all():
        return math.nan
    return float(np.nansum(x))


def _nan_to_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


# ------------------------------------------------------------------ phase 2: service times
def service_points(prep: PreparedInputs, service: str) -> np.ndarray:
    """Rows of the service points that count as ``service``: its kind, and for stations
    and bus hubs with a norm on departures at least that many departures per hour."""
    kinds = prep.services["kind"].to_numpy(object)
    mask = kinds == service
    need = prep.min_departures.get(service)
    if need is not None:
        with np.errstate(invalid="ignore"):
            mask &= prep.services["departures_per_hour"].to_numpy(float) >= need
    return np.flatnonzero(mask)


def service_times(prep: PreparedInputs, nearest: NearestServiceFn) -> ServiceTimes:
    """Seconds from every origin to the nearest service, one search per (service, profile)."""
    dep = prep.services["departures_per_hour"].to_numpy(float)
    times: dict[tuple[str, str], np.ndarray] = {}
    dph: dict[tuple[str, str], np.ndarray] = {}
    for service, profile in prep.pairs:
        found = nearest(profile, service_points(prep, service))
        times[(service, profile)] = found.time_s
        if service in HUB_KINDS:
            dph[(service, profile)] = _take_or_nan(dep, found.service)
    present = set(prep.services["kind"])
    missing = tuple(s for s in sorted({s for s, _ in prep.pairs}) if s not in present)
    for service in missing:
        log.warning("no %s among the service points; its times are empty", service)
    return ServiceTimes(time_s=times, departures_per_hour=dph, missing_kinds=missing)


def _take_or_nan(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``values[positions]`` with NaN where the position is -1."""
    out = np.full(len(positions), np.nan)
    ok = positions >= 0
    out[ok] = values[positions[ok]]
    return out


# -------------------------------------------------------------------- phase 3: norm shares
def norm_shares(prep: PreparedInputs, times: ServiceTimes, cells: CellAssignment) -> NormShares:
    """Per village and norm: the centre within, the share of residents within; score, rank."""
    n_v, n_n = prep.n_villages, len(prep.norms)
    res = prep.cells["residents"].to_numpy(float)
    v_res = cells.village_residents
    within = np.zeros((n_v, n_n), bool)
    share = np.full((n_v, n_n), np.nan)
    share_all = np.full(n_n, np.nan)
    for k, norm in enumerate(prep.norms):
        t = times.time_s[(norm.service, norm.profile)]
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(t) & (t <= norm.max_min * 60.0)
        within[:, k] = ok[prep.village_pos]
        ok_cells = ok[prep.cell_pos]
        with np.errstate(invalid="ignore", divide="ignore"):
            share[:, k] = group_sum(np.where(ok_cells, res, 0.0), cells.village, n_v) / v_res
        share[v_res <= 0, k] = np.nan
        if cells.residents_total > 0:
            share_all[k] = float(res[ok_cells].sum() / cells.residents_total)
    score = score_villages(share, within)
    n_failed = (~within).sum(axis=1).astype(np.int64)
    labels = np.asarray([n.label_nl for n in prep.norms], dtype=object)
    failed = np.asarray(["; ".join(labels[~row]) for row in within], dtype=object)
    names = prep.villages["village"].to_numpy(object)
    rank = rank_villages(score, n_failed, v_res, names)
    return NormShares(within, share, share_all, score, n_failed, failed, rank)


# --------------------------------------------------------------------- phase 4: hub reach
def hub_reach(
    prep: PreparedInputs,
    snaps: Snaps,
    nearest: NearestServiceFn,
    *,
    networks: Mapping[str, Any],
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
) -> HubReach:
    """Existing hubs with enough departures, village→village minutes and cell→village reach
    within ``hub_max_min``, all by ``hub_profile``."""
    from bereikbaar import routing

    hprof = profiles[settings.hub_profile]
    net, snapped = networks[hprof.network], snaps.origins[hprof.network]
    lim_s = settings.hub_max_min * 60.0
    kinds = prep.services["kind"].to_numpy(object)
    with np.errstate(invalid="ignore"):
        good = np.isin(kinds, HUB_KINDS) & (
            prep.services["departures_per_hour"].to_numpy(float)
            >= settings.hub_min_departures_per_hour
        )
    existing = nearest(settings.hub_profile, np.flatnonzero(good)).time_s
    with np.errstate(invalid="ignore"):
        cell_within = (np.isfinite(existing) & (existing <= lim_s))[prep.cell_pos]
    hvil = snapped.subset(prep.village_pos)
    cost_min = np.zeros((0, 0))
    o = d = np.zeros(0, np.int64)
    ts = np.zeros(0)
    if prep.n_villages:
        cost_min = routing.travel_time_matrix_full(net, hvil, hvil, profile=hprof) / 60.0
    if prep.n_villages and prep.n_cells:
        pairs = routing.travel_times_within(
            net,
            snapped.subset(prep.cell_pos),
            hvil,
            profile=hprof,
            cutoff_s=lim_s,
            direction="auto",  # from the few villages on the transposed graph: same pairs
        )
        keep = pairs["time_s"].to_numpy(float) <= lim_s
        o = pairs["origin"].to_numpy(np.int64)[keep]
        d = pairs["destination"].to_numpy(np.int64)[keep]
        ts = pairs["time_s"].to_numpy(float)[keep]
    reach = sp.csr_array((np.ones(len(o), bool), (d, o)), shape=(prep.n_villages, prep.n_cells))
    reach.sum_duplicates()
    reach.sort_indices()
    names = prep.villages["village"].to_numpy(object)
    frame = pd.DataFrame(
        {"cell_id": prep.cells["cell_id"].to_numpy()[o], "village": names[d], "minutes": ts / 60.0}
    ).sort_values(["village", "cell_id"], kind="stable", ignore_index=True)
    return HubReach(
        existing_time_s=existing,
        cell_within=cell_within,
        village_minutes=cost_min,
        candidate_ok=~np.asarray(hvil.flagged, bool),
        reach=reach,
        frame=frame,
    )


# --------------------------------------------------------------------- phase 5: hub choice
def choose_hubs(
    prep: PreparedInputs, cells: CellAssignment, reach: HubReach, *, settings: DorpshubSettings
) -> gpd.GeoDataFrame:
    """p-median (village→village minutes, resident weights) and max coverage (cells not yet
    within the hub norm) — ``settings.hub_k`` hubs each; one row per hub and method."""
    from bereikbaar.siting import max_coverage_exact, p_median

    cand = np.flatnonzero(reach.candidate_ok)
    k = min(settings.hub_k, len(cand))
    res = prep.cells["residents"].to_numpy(float)
    weights_v = np.nan_to_num(cells.village_residents)
    rows: list[dict[str, Any]] = []
    if k > 0 and weights_v.sum() > 0:
        pm = p_median(reach.village_minutes[:, cand], weights_v, k=k, method="exact")
        chosen = [int(cand[j]) for j in pm.chosen]
        assigned = np.where(pm.assignment >= 0, cand[np.maximum(pm.assignment, 0)], -1)
        served = [np.flatnonzero(assigned == j) for j in chosen]
        names = prep.villages["village"].to_numpy(object)
        order = sorted(
            range(len(chosen)), key=lambda q: (-float(weights_v[served[q]].sum()), names[chosen[q]])
        )
        picks = [chosen[q] for q in order]
        rows += _hub_rows(prep, cells, reach, "p_median", picks, [served[q] for q in order])
    if k > 0 and reach.reach.shape[1] > 0:
        mc = max_coverage_exact(reach.reach[cand], res, n=k, already_covered=reach.cell_within)
        picks = [int(cand[j]) for j in mc.picks]
        with np.errstate(invalid="ignore"):
            near = np.isfinite(reach.village_minutes) & (
                reach.village_minutes <= settings.hub_max_min
            )
        served = [np.flatnonzero(near[:, j]) for j in picks]
        rows += _hub_rows(prep, cells, reach, "max_coverage", picks, served)
    if not rows:
        log.info("no hubs chosen (no villages with residents, or nothing to gain)")
    frame = pd.DataFrame(rows, columns=HUB_COLUMNS).astype(
        {
            "rank": "int64",
            "n_villages_served": "int64",
            "residents_served": float,
            "residents_gaining": float,
            "residents_65_plus_gaining": float,
        }
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=prep.cells.crs or RD_NEW)


def _hub_rows(
    prep: PreparedInputs,
    cells: CellAssignment,
    reach: HubReach,
    method: str,
    hubs: list[int],
    served: list[np.ndarray],
) -> list[dict[str, Any]]:
    res = prep.cells["residents"].to_numpy(float)
    res65 = prep.cells["residents_65_plus"].to_numpy(float)
    weights = np.stack([res, np.nan_to_num(res65)], axis=1)
    gains = hub_gains(reach.reach, hubs, reach.cell_within, weights)
    names = prep.villages["village"].to_numpy(object)
    ids = prep.villages["place_id"].to_numpy(object)
    geometry = prep.villages.geometry.to_numpy()
    rows = []
    for r, (j, vs) in enumerate(zip(hubs, served, strict=True)):
        vs_sorted = sorted(names[vs].tolist())
        rows.append(
            {
                "rank": r + 1,
                "village": names[j],
                "method": method,
                "residents_served": float(np.nansum(cells.village_residents[vs])),
                "villages_served": "; ".join(vs_sorted),
                "n_villages_served": len(vs_sorted),
                "residents_gaining": float(gains[r, 0]),
                "residents_65_plus_gaining": float(gains[r, 1]),
                "method_nl": HUB_METHODS_NL.get(method, method),
                "village_id": ids[j],
                "geometry": geometry[j],
            }
        )
    return rows
