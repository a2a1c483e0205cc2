"""Dorpshub: how well each village reaches everyday services, and where hubs would help.

A *dorpshub* ("village hub") is a place in a village where services and transport come
together: a stop with a decent bus or train service, a GP consultation room, a parcel
point. This module answers three questions for one *gemeente* (municipality):

1. **Who lives where?** Every populated grid cell of the municipality belongs to the
   village (``town``/``village``/``hamlet`` place of the municipality) it reaches fastest by
   ``settings.village_profile`` (bike) within ``settings.village_max_min`` (or the limit
   for its place kind in ``settings.village_max_min_by_place``: a town reaches farther than
   a hamlet). Cells farther
   from every village, and cells that cannot be placed on the network, are *buitengebied*
   (countryside). Every resident is counted exactly once: in one village or in the
   buitengebied.
2. **How far is everything?** For every travel profile (walk, bike, e-bike, car) and service
   (GP, huisartsenpost, supermarket, school, pharmacy, station, bus hub, hospital), the
   minutes from each village centre *to* the nearest such service, on the directed network
   of that profile. Services across the municipal and provincial border count (the caller
   passes services and networks for the municipality plus a halo). For each norm in
   ``settings.norms`` the population-weighted share of the village's residents (from their
   own cells, not only the centre) within the norm is reported too.
3. **Where should hubs go?** ``settings.hub_k`` villages chosen two ways on the e-bike
   (``settings.hub_profile``) network: the p-median of the village→village travel times
   weighted by residents, and the maximum coverage of residents who are not yet within
   ``settings.hub_max_min`` of a station or bus hub with at least
   ``settings.hub_min_departures_per_hour`` departures. :func:`what_if_hub` adds one hub
   at a named village (the Grolloo pilot) and reports who gains.

One pass of a multi-source shortest-path search is run per (service, profile) for all
villages and cells together, never one per village.

Scores and ranks
----------------
``score`` is the *population-weighted share of norms met*: for each norm the share of the
village's residents within it, averaged over the norms with equal weight. It runs from 0
(nobody meets any norm) to 1 (every resident meets every norm): **higher is better**. A
village without residents of its own (all its cells went to a neighbour) uses its centre
(1 when the centre meets the norm, else 0). ``failed_norms`` lists the norms the village
*centre* misses. ``rank_gemeente`` is 1 for the village with the worst access in the
municipality (lowest score; ties: more failed norms, then more residents, then name).
Scores use the same norms everywhere, so they compare across municipalities:
:func:`rank_villages_across` ranks the villages of several results together.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bereikbaar._crs import RD_NEW
from bereikbaar._json import jsonable
from bereikbaar.config import DorpshubSettings, Norm, TravelProfile
from bereikbaar.errors import ConfigError, InputError, NetworkError, check_crs

log = logging.getLogger(__name__)

__all__ = [
    "BUITENGEBIED",
    "TABLE_COLUMNS",
    "DorpshubResult",
    "WhatIfHub",
    "assign_cells",
    "compute_dorpshub",
    "group_sum",
    "hub_gains",
    "norm_label",
    "rank_villages",
    "rank_villages_across",
    "score_villages",
    "what_if_hub",
]

BUITENGEBIED = "buitengebied"
#: Service kinds that have departures per hour (public transport).
HUB_KINDS = ("station", "bus_hub")
#: A station/bus hub without departures takes them from one of its kind this close (m).
SAME_HUB_M = 50.0
#: The columns of ``DorpshubResult.table`` and of ``dorpshub_villages.csv``, in order.
TABLE_COLUMNS = [
    "village",
    "residents",
    "residents_65_plus",
    "mode",
    "service",
    "minutes",
    "within_norm",
]
HUB_COLUMNS = [
    "rank",
    "village",
    "method",
    "residents_served",
    "villages_served",
    "n_villages_served",
    "residents_gaining",
    "residents_65_plus_gaining",
    "geometry",
]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class WhatIfHub:
    """The effect of one new hub at a named village (see :func:`what_if_hub`).

    Attributes
    ----------
    gemeente
        The municipality.
    village
        The village that gets the hub.
    villages
        One row per village of the municipality plus a ``buitengebied`` row: ``village``,
        ``residents``, ``residents_65_plus``, ``residents_within_before``,
        ``residents_within_after``, ``residents_gaining``, ``residents_65_plus_gaining``
        (residents of the village's own cells newly within the hub norm), sorted by
        ``residents_gaining`` (largest first), then name.
    summary
        JSON-ready totals (before, after, gaining; all residents and 65+).
    """

    gemeente: str
    village: str
    villages: pd.DataFrame
    summary: dict[str, Any]


@dataclass(frozen=True)
class DorpshubResult:
    """Village access, norms and hub choice for one municipality.

    Attributes
    ----------
    gemeente
        The municipality's name.
    villages
        GeoDataFrame of village centres (points), worst access first: ``village`` (name;
        ``"name (place_id)"`` when two places share a name), ``place_id``, ``place``,
        ``residents``, ``residents_65_plus`` (from the cells assigned to the village),
        ``score`` (0..1, higher = better, see the module docstring), ``n_failed_norms``,
        ``failed_norms`` (text, ``"; "``-joined labels such as ``"gp (bike, 15 min)"``),
        ``rank_gemeente`` (1 = worst), ``snap_flagged``, and per norm
        ``minutes_<service>_<profile>`` (centre to nearest service) and
        ``share_within_<service>_<profile>`` (0..1, NaN without residents), plus
        ``departures_per_hour_<kind>_<profile>`` of the nearest station/bus hub.
    table
        Long table with exactly :data:`TABLE_COLUMNS`: one row per village, profile
        (``mode``) and service; ``within_norm`` is a nullable boolean, NA when there is
        no norm for that service and profile. Written as ``dorpshub_villages.csv``.
    services
        GeoDataFrame of the service points used: ``kind``, ``name``,
        ``departures_per_hour`` (NaN where unknown), ``source`` (when given),
        ``snap_flagged`` (on the ``village_profile`` network), ``geometry``.
    hubs
        GeoDataFrame, one row per chosen hub and method (``"p_median"``,
        ``"max_coverage"``): ``rank``, ``village``, ``method``, ``residents_served`` and
        ``villages_served`` (``"; "``-joined) / ``n_villages_served`` — for the p-median
        the villages assigned to the hub, for maximum coverage the villages whose centre
        lies within ``hub_max_min`` —, ``residents_gaining`` and
        ``residents_65_plus_gaining`` (residents of cells, villages and buitengebied,
        newly within ``hub_max_min`` of a hub with enough departures, counted once: a
        cell already served by an existing hub or a better-ranked new hub does not count
        again), ``geometry``.
    cells
        GeoDataFrame of the municipality's cells: ``cell_id``, ``residents``,
        ``residents_65_plus``, ``village`` (None = buitengebied), ``minutes_to_village``,
        ``snap_flagged``, ``minutes_existing_hub`` (to the nearest station/bus hub with
        enough departures, by ``hub_profile``), ``within_hub_norm`` and per norm
        ``minutes_<service>_<profile>``.
    buitengebied
        ``{"residents", "residents_65_plus", "cells", "cells_flagged"}``: the
        countryside, including cells that could not be placed on the network.
    summary
        JSON-ready dict: gemeente, villages, residents (total, in villages, buitengebied,
        65+), per norm the share of residents within, worst villages (five lowest
        scores), hubs, what-if, settings, assumptions.
    assumptions
        Plain-language assumptions shown with every result.
    hub_reach
        DataFrame ``cell_id``, ``village``, ``minutes``: every cell within ``hub_max_min``
        of every village by ``hub_profile`` (cell travelling to the village). Used by
        :func:`what_if_hub` without routing again.
    settings
        The settings used.
    what_if
        The :func:`what_if_hub` result for ``settings.what_if_village`` when that names a
        village of this municipality, else None.
    """

    gemeente: str
    villages: gpd.GeoDataFrame
    table: pd.DataFrame
    services: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    buitengebied: dict[str, Any]
    summary: dict[str, Any]
    assumptions: tuple[str, ...]
    hub_reach: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    settings: DorpshubSettings = field(repr=False, default_factory=DorpshubSettings)
    what_if: WhatIfHub | None = None


# ------------------------------------------------------------------ array-based cores
def norm_key(norm: Norm) -> str:
    """``"<service>_<profile>"``: the suffix of a norm's wide columns."""
    return f"{norm.service}_{norm.profile}"


def norm_label(norm: Norm) -> str:
    """A readable label: ``"gp (bike, 15 min)"``, ``"bus_hub (bike, 10 min, >= 2/h)"``."""
    extra = ""
    if norm.min_departures_per_hour is not None:
        extra = f", >= {norm.min_departures_per_hour:g}/h"
    return f"{norm.service} ({norm.profile}, {norm.max_min:g} min{extra})"


def village_limit_min(settings: DorpshubSettings, place_kind: str) -> float:
    """Minutes within which a cell can belong to a village of ``place_kind``
    (``village_max_min_by_place`` for that kind, else ``village_max_min``)."""
    return float(settings.village_max_min_by_place.get(place_kind, settings.village_max_min))


def assign_cells(
    time_s: np.ndarray, village: np.ndarray, flagged: np.ndarray, *, max_s: float
) -> np.ndarray:
    """Village position per cell, -1 for buitengebied.

    Parameters
    ----------
    time_s
        ``(n_cells,)`` seconds from the cell to its fastest village (NaN unreached).
    village
        ``(n_cells,)`` position of that village (-1 none).
    flagged
        ``(n_cells,)`` True where the cell could not be placed on the network.
    max_s
        Cells farther than this (seconds) are buitengebied.
    """
    time_s = np.asarray(time_s, dtype=float)
    village = np.asarray(village, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(time_s) & (time_s <= max_s) & (village >= 0) & ~np.asarray(flagged, bool)
    return np.where(ok, village, -1).astype(np.int64)


def group_sum(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum ``values`` per group position (``groups`` -1 is left out); NaN values count 0,
    and a group whose values are all NaN sums to NaN."""
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    keep = groups >= 0
    known = keep & np.isfinite(values)
    total = np.bincount(groups[known], weights=values[known], minlength=n_groups)
    n_known = np.bincount(groups[known], minlength=n_groups)
    n_any = np.bincount(groups[keep], minlength=n_groups)
    return np.where((n_known == 0) & (n_any > 0), np.nan, total)[:n_groups]


def score_villages(share_within: np.ndarray, centre_within: np.ndarray) -> np.ndarray:
    """Population-weighted share of norms met per village (0..1, higher = better).

    Parameters
    ----------
    share_within
        ``(n_villages, n_norms)`` share of each village's residents within each norm;
        NaN for a village without residents.
    centre_within
        ``(n_villages, n_norms)`` bool: the village centre meets the norm (used where
        ``share_within`` is NaN).

    Returns
    -------
    numpy.ndarray
        ``(n_villages,)`` mean over norms (NaN when there are no norms).
    """
    share = np.asarray(share_within, dtype=float)
    centre = np.asarray(centre_within, dtype=float)
    if share.ndim != 2 or share.shape[1] == 0:
        return np.full(share.shape[0] if share.ndim else 0, np.nan)
    filled = np.where(np.isnan(share), centre, share)
    return filled.mean(axis=1)


def rank_villages(
    score: np.ndarray, n_failed: np.ndarray, residents: np.ndarray, names: np.ndarray
) -> np.ndarray:
    """Rank 1 = worst access: lowest score, then most failed norms, most residents, name."""
    order = np.lexsort(
        (
            np.asarray(names, dtype=str),
            -np.nan_to_num(np.asarray(residents, float)),
            -np.asarray(n_failed, float),
            np.nan_to_num(np.asarray(score, float), nan=np.inf),
        )
    )
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return rank


def hub_gains(
    reach: sp.csr_array, hubs: Iterable[int], already: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Weight newly reached by each hub in order, relative to ``already`` and earlier hubs.

    Parameters
    ----------
    reach
        Bool ``(n_candidates, n_demand)``: candidate reaches demand within the norm.
    hubs
        Candidate positions in rank order.
    already
        ``(n_demand,)`` bool, already within the norm before any new hub.
    weights
        ``(n_demand,)`` or ``(n_demand, n_weights)`` weights (NaN counts 0).

    Returns
    -------
    numpy.ndarray
        ``(n_hubs,)`` or ``(n_hubs, n_weights)`` marginal gains, summing to the total gain.
    """
    w = np.nan_to_num(np.asarray(weights, dtype=float))
    covered = np.asarray(already, dtype=bool).copy()
    out = []
    for j in hubs:
        cols = reach.indices[reach.indptr[j] : reach.indptr[j + 1]]
        new = cols[~covered[cols]]
        out.append(w[new].sum(axis=0))
        covered[new] = True
    if not out:
        return np.zeros((0,) + w.shape[1:])
    return np.asarray(out, dtype=float)


# ------------------------------------------------------------------- entry point
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
) -> DorpshubResult:
    """Village access per service and mode, norms, scores and hub choice.

    Parameters
    ----------
    gemeente
        Name of the municipality (for labels).
    gemeente_geometry
        The municipality polygon (EPSG:28992). Only places inside it are villages, and
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
    networks
        ``Network`` per network name (``walk``, ``bike``, ``drive``); every profile used
        needs its network.
    settings
        :class:`~bereikbaar.config.DorpshubSettings`.
    profiles
        Travel profiles by name (``cfg.profiles``).
    max_snap_m
        Points farther than this (metres) from any edge are not routed.

    Returns
    -------
    DorpshubResult
    """
    from bereikbaar import routing

    geom = _as_polygon(gemeente_geometry)
    check_crs(villages, RD_NEW, what="the villages (places)")
    check_crs(cells, RD_NEW, what="the population cells")
    check_crs(services, RD_NEW, what="the service points")
    _require(villages, ("name",), "villages (places)", "use inputs.osm.read_places")
    _require(cells, ("cell_id", "residents"), "cells", "use inputs.population.read_population")
    _require(services, ("kind", "name"), "services", "columns kind, name, departures_per_hour")
    norms = _check_settings(settings, profiles, networks)
    pairs = _pairs(settings, norms)
    assumptions: list[str] = []

    vil = _prepare_villages(villages, geom, settings)
    cel = _prepare_cells(cells, geom)
    svc = _prepare_services(services, {s for s, _ in pairs} | set(HUB_KINDS))
    n_v, n_c = len(vil), len(cel)
    log.info("%s: %d villages, %d cells, %d service points", gemeente, n_v, n_c, len(svc))

    # ---- snap villages + cells (targets) and services once per network
    modes = sorted(
        {
            profiles[p].network
            for p in (*settings.profiles, settings.village_profile, settings.hub_profile)
        }
        | {profiles[n.profile].network for n in norms}
    )
    points = gpd.GeoSeries(
        np.concatenate([vil.geometry.to_numpy(), cel.geometry.to_numpy()]), crs=RD_NEW
    )
    targets: dict[str, Any] = {}
    facilities: dict[str, Any] = {}
    for mode in modes:
        net = networks[mode]
        targets[mode] = routing.snap_points(net, points, max_snap_m=max_snap_m)
        facilities[mode] = (
            routing.snap_points(net, svc.geometry.reset_index(drop=True), max_snap_m=max_snap_m)
            if len(svc)
            else None
        )
    vil_idx = np.arange(n_v)
    cel_idx = np.arange(n_v, n_v + n_c)

    # ---- 1. cells -> villages (village_profile, travelling to the village)
    vprof = profiles[settings.village_profile]
    vmode = vprof.network
    cell_flagged = np.asarray(targets[vmode].flagged, bool)[cel_idx]
    vil_flagged = np.asarray(targets[vmode].flagged, bool)[vil_idx]
    # One pass per place kind, each with its own reach (a town reaches farther than a
    # hamlet); a cell goes to the fastest village whose kind's limit it is within.
    t_village = np.full(n_c, np.nan)
    f_village = np.full(n_c, -1, np.int64)
    place = vil["place"].to_numpy(object)
    if n_v and n_c:
        for kind in sorted(set(place)):
            sel = np.flatnonzero(place == kind)
            if vil_flagged[sel].all():
                continue
            limit_s = 60.0 * village_limit_min(settings, kind)
            nf = routing.nearest_facility(
                networks[vmode],
                targets[vmode].subset(vil_idx[sel]),
                profile=vprof,
                targets=targets[vmode].subset(cel_idx),
                cutoff_s=limit_s,
                direction="to_facility",
            )
            t = np.asarray(nf.target_time_s, float)
            f = np.asarray(nf.target_facility, np.int64)
            better = (f >= 0) & np.isfinite(t) & (t <= limit_s)
            better &= ~np.isfinite(t_village) | (t < t_village)
            t_village[better] = t[better]
            f_village[better] = sel[f[better]]
    cell_village = assign_cells(t_village, f_village, cell_flagged, max_s=np.inf)
    res = cel["residents"].to_numpy(float)
    res65 = cel["residents_65_plus"].to_numpy(float)
    v_res = group_sum(res, cell_village, n_v)
    v_res65 = group_sum(res65, cell_village, n_v)
    in_bg = cell_village < 0
    buiten = {
        "residents": float(res[in_bg].sum()),
        "residents_65_plus": _nan_to_none(_nansum_or_nan(res65[in_bg])),
        "cells": int(in_bg.sum()),
        "cells_flagged": int(cell_flagged.sum()),
    }
    if cell_flagged.any():
        log.warning(
            "%s: %d cell(s) with %.0f residents lie more than %g m from the %s network; "
            "counted as buitengebied",
            gemeente,
            int(cell_flagged.sum()),
            float(res[cell_flagged].sum()),
            max_snap_m,
            vmode,
        )
    if vil_flagged.any():
        log.warning(
            "%s: village(s) %s lie more than %g m from the %s network and get no cells",
            gemeente,
            ", ".join(vil["village"].to_numpy()[vil_flagged]),
            max_snap_m,
            vmode,
        )
    total = float(res.sum())
    if not math.isclose(
        float(v_res.sum()) + buiten["residents"], total, rel_tol=1e-9, abs_tol=1e-6
    ):
        raise AssertionError("residents counted twice or lost")  # pragma: no cover

    # ---- 2. one pass per (service, profile): minutes for villages and cells at once
    n_t = n_v + n_c
    times: dict[tuple[str, str], np.ndarray] = {}
    dph: dict[tuple[str, str], np.ndarray] = {}
    norm_by_pair = {(n.service, n.profile): n for n in norms}
    dep = svc["departures_per_hour"].to_numpy(float)
    kinds = svc["kind"].to_numpy(object)
    for service, pname in pairs:
        prof = profiles[pname]
        norm = norm_by_pair.get((service, pname))
        mask = kinds == service
        if norm is not None and norm.min_departures_per_hour is not None:
            with np.errstate(invalid="ignore"):
                mask &= dep >= norm.min_departures_per_hour
        t, f = _nearest(
            routing,
            networks[prof.network],
            facilities[prof.network],
            np.flatnonzero(mask),
            targets[prof.network],
            prof,
            n_t,
        )
        times[(service, pname)] = t
        if service in HUB_KINDS:
            dph[(service, pname)] = _take_or_nan(dep, f)
    for service in sorted({s for s, _ in pairs}):
        if not (kinds == service).any():
            log.warning(
                "%s: no %s among the service points; its times are empty", gemeente, service
            )
            assumptions.append(
                f"Geen {service} onder de voorzieningen: de minuten zijn leeg en elk dorp mist "
                "de bijbehorende normen."
            )

    # ---- 3. norms: centre within, share of residents within, score, rank
    within_c = np.zeros((n_v, len(norms)), bool)
    share = np.full((n_v, len(norms)), np.nan)
    cell_within_share: dict[str, float] = {}
    for k, norm in enumerate(norms):
        t = times[(norm.service, norm.profile)]
        lim = norm.max_min * 60.0
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(t) & (t <= lim)
        within_c[:, k] = ok[vil_idx]
        ok_cells = ok[cel_idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            share[:, k] = group_sum(np.where(ok_cells, res, 0.0), cell_village, n_v) / v_res
        share[v_res <= 0, k] = np.nan
        cell_within_share[norm_key(norm)] = (
            float(res[ok_cells].sum() / total) if total > 0 else math.nan
        )
    score = score_villages(share, within_c)
    n_failed = (~within_c).sum(axis=1).astype(np.int64)
    labels = [norm_label(n) for n in norms]
    failed_text = [
        "; ".join(lab for lab, ok in zip(labels, row, strict=True) if not ok) for row in within_c
    ]
    names = np.asarray(vil["village"].tolist(), dtype=object)
    rank = rank_villages(score, n_failed, v_res, names)

    # ---- 4. hubs: existing hubs with enough departures, village matrix, cell reach
    hprof = profiles[settings.hub_profile]
    hmode = hprof.network
    hub_lim_s = settings.hub_max_min * 60.0
    with np.errstate(invalid="ignore"):
        good_hub = np.isin(kinds, HUB_KINDS) & (dep >= settings.hub_min_departures_per_hour)
    t_hub, _ = _nearest(
        routing,
        networks[hmode],
        facilities[hmode],
        np.flatnonzero(good_hub),
        targets[hmode],
        hprof,
        n_t,
    )
    with np.errstate(invalid="ignore"):
        hub_ok = np.isfinite(t_hub) & (t_hub <= hub_lim_s)
    cell_hub_ok = hub_ok[cel_idx]
    hvil = targets[hmode].subset(vil_idx)
    hvil_ok = ~np.asarray(hvil.flagged, bool)
    if n_v:
        matrix_s = routing.travel_time_matrix(networks[hmode], hvil, hvil, profile=hprof)
        cost_min = np.asarray(matrix_s, float) / 60.0
    else:
        cost_min = np.zeros((0, 0))
    if n_v and n_c:
        pairs_df = routing.travel_times_within(
            networks[hmode],
            targets[hmode].subset(cel_idx),
            hvil,
            profile=hprof,
            cutoff_s=hub_lim_s,
        )
        o = pairs_df["origin"].to_numpy(np.int64)
        d = pairs_df["destination"].to_numpy(np.int64)
        ts = pairs_df["time_s"].to_numpy(float)
        keep = ts <= hub_lim_s
        o, d, ts = o[keep], d[keep], ts[keep]
    else:
        o = d = np.zeros(0, np.int64)
        ts = np.zeros(0)
    reach = sp.csr_array((np.ones(len(o), bool), (d, o)), shape=(n_v, n_c))
    reach.sum_duplicates()
    reach.sort_indices()
    hub_reach = pd.DataFrame(
        {"cell_id": cel["cell_id"].to_numpy()[o], "village": names[d], "minutes": ts / 60.0}
    ).sort_values(["village", "cell_id"], kind="stable", ignore_index=True)
    hubs = _choose_hubs(
        cost_min=cost_min,
        candidate_ok=hvil_ok,
        v_res=v_res,
        reach=reach,
        cell_hub_ok=cell_hub_ok,
        res=res,
        res65=res65,
        names=names,
        geometry=vil.geometry.to_numpy(),
        settings=settings,
    )

    # ---- 5. tables
    order = np.argsort(rank, kind="stable")
    vcols: dict[str, Any] = {
        "village": names,
        "place_id": vil["place_id"].to_numpy(object),
        "place": vil["place"].to_numpy(object),
        "residents": v_res,
        "residents_65_plus": v_res65,
        "score": score,
        "n_failed_norms": n_failed,
        "failed_norms": np.asarray(failed_text, dtype=object),
        "rank_gemeente": rank,
        "snap_flagged": vil_flagged,
    }
    for k, norm in enumerate(norms):
        key = norm_key(norm)
        vcols[f"minutes_{key}"] = times[(norm.service, norm.profile)][vil_idx] / 60.0
        vcols[f"share_within_{key}"] = share[:, k]
    for norm in norms:
        if norm.service in HUB_KINDS:
            arr = dph[(norm.service, norm.profile)]
            vcols[f"departures_per_hour_{norm_key(norm)}"] = arr[vil_idx]
    vgdf = gpd.GeoDataFrame(vcols, geometry=vil.geometry.to_numpy(), crs=RD_NEW)
    vgdf = vgdf.iloc[order].reset_index(drop=True)

    table = _long_table(
        names[order], v_res[order], v_res65[order], pairs, times, norm_by_pair, vil_idx[order]
    )

    ccols: dict[str, Any] = {
        "cell_id": cel["cell_id"].to_numpy(),
        "residents": res,
        "residents_65_plus": res65,
        "village": pd.Series(
            [str(names[j]) if j >= 0 else None for j in cell_village.tolist()], dtype=object
        ),
        "minutes_to_village": np.where(cell_village >= 0, t_village / 60.0, np.nan),
        "snap_flagged": cell_flagged,
        "minutes_existing_hub": t_hub[cel_idx] / 60.0,
        "within_hub_norm": cell_hub_ok,
    }
    for norm in norms:
        ccols[f"minutes_{norm_key(norm)}"] = times[(norm.service, norm.profile)][cel_idx] / 60.0
    cgdf = gpd.GeoDataFrame(ccols, geometry=cel.geometry.to_numpy(), crs=RD_NEW)

    sgdf = gpd.GeoDataFrame(
        {
            "kind": svc["kind"].to_numpy(object),
            "name": svc["name"].to_numpy(object),
            "departures_per_hour": dep,
            "snap_flagged": (
                np.asarray(facilities[vmode].flagged, bool) if len(svc) else np.zeros(0, bool)
            ),
        },
        geometry=svc.geometry.to_numpy(),
        crs=RD_NEW,
    )
    if "source" in svc.columns:
        sgdf.insert(3, "source", svc["source"].to_numpy(object))

    assumptions[:0] = _assumptions(settings, norms, profiles, max_snap_m)
    result = DorpshubResult(
        gemeente=gemeente,
        villages=vgdf,
        table=table,
        services=sgdf,
        hubs=hubs,
        cells=cgdf,
        buitengebied=buiten,
        summary={},
        assumptions=tuple(assumptions),
        hub_reach=hub_reach,
        settings=settings,
    )
    what_if = None
    if settings.what_if_village is not None:
        if settings.what_if_village in set(names):
            what_if = what_if_hub(result, settings.what_if_village)
        else:
            log.debug(
                "%s: what-if village %s is not in this municipality",
                gemeente,
                settings.what_if_village,
            )
    summary = _summary(
        result, norms, cell_within_share, share, within_c, v_res, total, res65, what_if
    )
    return dataclasses.replace(result, summary=summary, what_if=what_if)


# ------------------------------------------------------------------------- what-if
def what_if_hub(
    result_or_inputs: DorpshubResult | Mapping[str, Any], village_name: str
) -> WhatIfHub:
    """Add a hub at ``village_name`` and report who newly reaches a hub within the norm.

    A new hub is assumed to offer the hub service level (at least
    ``hub_min_departures_per_hour`` departures); a resident *gains* when their cell lies
    within ``hub_max_min`` of the new hub by ``hub_profile`` and was not within that time
    of an existing station or bus hub with that service level.

    Parameters
    ----------
    result_or_inputs
        A :class:`DorpshubResult`, or the keyword arguments of :func:`compute_dorpshub`
        (computed first).
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
    cells = result.cells
    before = cells["within_hub_norm"].to_numpy(bool)
    reached = set(result.hub_reach.loc[result.hub_reach["village"] == village_name, "cell_id"])
    after = before | cells["cell_id"].isin(reached).to_numpy()
    gain = after & ~before
    res = cells["residents"].to_numpy(float)
    res65 = np.nan_to_num(cells["residents_65_plus"].to_numpy(float))
    group = cells["village"].where(cells["village"].notna(), BUITENGEBIED).astype(str)
    frame = pd.DataFrame(
        {
            "village": group.to_numpy(),
            "residents": res,
            "residents_65_plus": cells["residents_65_plus"].to_numpy(float),
            "residents_within_before": np.where(before, res, 0.0),
            "residents_within_after": np.where(after, res, 0.0),
            "residents_gaining": np.where(gain, res, 0.0),
            "residents_65_plus_gaining": np.where(gain, res65, 0.0),
        }
    )
    per = frame.groupby("village", sort=True).sum(min_count=1)
    for col in per.columns:
        if col != "residents_65_plus":
            per[col] = per[col].fillna(0.0)
    all_names = [*sorted(set(names)), BUITENGEBIED]
    per = per.reindex(all_names)
    per[
        [
            "residents",
            "residents_within_before",
            "residents_within_after",
            "residents_gaining",
            "residents_65_plus_gaining",
        ]
    ] = per[
        [
            "residents",
            "residents_within_before",
            "residents_within_after",
            "residents_gaining",
            "residents_65_plus_gaining",
        ]
    ].fillna(0.0)
    per = per.reset_index().rename(columns={"index": "village"})
    per = per.sort_values(
        ["residents_gaining", "village"], ascending=[False, True], kind="stable", ignore_index=True
    )
    s = result.settings
    summary = {
        "gemeente": result.gemeente,
        "village": village_name,
        "hub_profile": s.hub_profile,
        "hub_max_min": s.hub_max_min,
        "hub_min_departures_per_hour": s.hub_min_departures_per_hour,
        "residents": float(res.sum()),
        "residents_within_before": float(res[before].sum()),
        "residents_within_after": float(res[after].sum()),
        "residents_gaining": float(res[gain].sum()),
        "residents_65_plus_gaining": float(res65[gain].sum()),
        "villages_gaining": [
            v
            for v, g in zip(per["village"], per["residents_gaining"], strict=True)
            if g > 0 and v != BUITENGEBIED
        ],
    }
    log.info(
        "%s: a hub at %s brings %.0f residents (%.0f 65+) within %g min",
        result.gemeente,
        village_name,
        summary["residents_gaining"],
        summary["residents_65_plus_gaining"],
        s.hub_max_min,
    )
    return WhatIfHub(
        gemeente=result.gemeente, village=village_name, villages=per, summary=jsonable(summary)
    )


def rank_villages_across(results: Iterable[DorpshubResult]) -> pd.DataFrame:
    """Rank the villages of several municipalities together (1 = worst access).

    Returns a DataFrame ``gemeente``, ``village``, ``residents``, ``score``,
    ``n_failed_norms``, ``rank_gemeente``, ``rank_across``, worst first. Scores are
    comparable because every municipality uses the same norms (check ``settings.norms``).
    """
    parts = []
    for r in results:
        v = pd.DataFrame(
            r.villages[["village", "residents", "score", "n_failed_norms", "rank_gemeente"]]
        )
        v.insert(0, "gemeente", r.gemeente)
        parts.append(v)
    if not parts:
        return pd.DataFrame(
            columns=[
                "gemeente",
                "village",
                "residents",
                "score",
                "n_failed_norms",
                "rank_gemeente",
                "rank_across",
            ]
        )
    allv = pd.concat(parts, ignore_index=True)
    key = (allv["gemeente"] + "\x00" + allv["village"]).to_numpy(str)
    allv["rank_across"] = rank_villages(
        allv["score"].to_numpy(float),
        allv["n_failed_norms"].to_numpy(),
        allv["residents"].to_numpy(float),
        key,
    )
    return allv.sort_values("rank_across", ignore_index=True)


# ------------------------------------------------------------------------ helpers
def _as_polygon(geometry):
    if isinstance(geometry, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(geometry, RD_NEW, what="the municipality boundary")
        return geometry.union_all()
    if geometry is None or getattr(geometry, "is_empty", True):
        raise InputError(
            "the municipality geometry is empty", hint="pass the polygon from find_area"
        )
    return geometry


def _require(gdf, columns, what: str, hint: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputError(
            f"{what} lack column(s) {', '.join(missing)} (have: {', '.join(map(str, gdf.columns))})",
            hint=hint,
        )


def _check_settings(
    settings: DorpshubSettings, profiles: Mapping[str, TravelProfile], networks
) -> list[Norm]:
    used = [
        *settings.profiles,
        settings.village_profile,
        settings.hub_profile,
        *(n.profile for n in settings.norms),
    ]
    for name in used:
        if name not in profiles:
            close = difflib.get_close_matches(name, list(profiles), n=3)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ConfigError(
                f"dorpshub uses travel profile {name!r}, which is not defined{hint} "
                f"(defined: {', '.join(profiles)})"
            )
        mode = profiles[name].network
        if mode not in networks:
            raise NetworkError(
                f"profile {name!r} runs on the {mode!r} network, but networks holds only "
                f"{', '.join(sorted(networks)) or 'none'}; pass networks={{'{mode}': load_network(...), ...}}"
            )
    seen: dict[tuple[str, str], Norm] = {}
    for n in settings.norms:
        if (n.service, n.profile) in seen:
            raise ConfigError(
                f"dorpshub.norms: two norms for service {n.service!r} and profile {n.profile!r}; "
                "keep one (within_norm needs a single limit per service and mode)"
            )
        if n.max_min <= 0:
            raise ConfigError(f"dorpshub.norms: {norm_label(n)} needs max_min > 0")
        seen[(n.service, n.profile)] = n
    return list(settings.norms)


def _pairs(settings: DorpshubSettings, norms: list[Norm]) -> list[tuple[str, str]]:
    """(service, profile) pairs to compute: every service × profile, plus the norms'."""
    pairs = [(s, p) for p in settings.profiles for s in settings.services]
    for n in norms:
        if (n.service, n.profile) not in pairs:
            pairs.append((n.service, n.profile))
    return pairs


def _prepare_villages(
    villages: gpd.GeoDataFrame, geom, settings: DorpshubSettings
) -> gpd.GeoDataFrame:
    v = villages
    if "place" in v.columns:
        v = v[v["place"].isin(settings.place_kinds)]
    v = v[v.geometry.notna() & ~v.geometry.is_empty]
    v = v[v.geometry.covered_by(geom)]
    place_id = (
        v["place_id"].astype(str).to_numpy(object)
        if "place_id" in v.columns
        else v.index.astype(str).to_numpy(object)
    )
    out = gpd.GeoDataFrame(
        {
            "name": v["name"].fillna("").astype(str).to_numpy(object),
            "place_id": place_id,
            "place": v["place"].to_numpy(object)
            if "place" in v.columns
            else np.full(len(v), None, object),
        },
        geometry=v.geometry.to_numpy(),
        crs=RD_NEW,
    )
    out = out.sort_values(["name", "place_id"], kind="stable", ignore_index=True)
    names = out["name"].to_numpy(object)
    counts = pd.Series(names).value_counts()
    label = [
        f"{n} ({pid})" if (not n or counts[n] > 1) else n
        for n, pid in zip(names, out["place_id"], strict=True)
    ]
    if any(lab != n for lab, n in zip(label, names, strict=True)):
        log.info("places sharing a name (or without one) are labelled 'name (place_id)'")
    out.insert(0, "village", np.asarray(label, dtype=object))
    return out


def _prepare_cells(cells: gpd.GeoDataFrame, geom) -> gpd.GeoDataFrame:
    inside = cells.geometry.notna() & cells.geometry.covered_by(geom)
    if (~inside).any():
        log.info("%d cell(s) outside the municipality left out", int((~inside).sum()))
    c = cells[inside]
    res = pd.to_numeric(c["residents"], errors="coerce").to_numpy(float)
    if np.isnan(res).any():
        log.warning("%d cell(s) without a residents count counted as 0", int(np.isnan(res).sum()))
        res = np.nan_to_num(res)
    r65 = (
        pd.to_numeric(c["residents_65_plus"], errors="coerce").to_numpy(float)
        if "residents_65_plus" in c.columns
        else np.full(len(c), np.nan)
    )
    out = gpd.GeoDataFrame(
        {"cell_id": c["cell_id"].to_numpy(), "residents": res, "residents_65_plus": r65},
        geometry=c.geometry.to_numpy(),
        crs=RD_NEW,
    )
    return out.sort_values("cell_id", kind="stable", ignore_index=True)


def _prepare_services(services: gpd.GeoDataFrame, kinds: set[str]) -> gpd.GeoDataFrame:
    s = services[services["kind"].isin(kinds) & services.geometry.notna()]
    s = s[~s.geometry.is_empty]
    dep = (
        pd.to_numeric(s["departures_per_hour"], errors="coerce").to_numpy(float)
        if "departures_per_hour" in s.columns
        else np.full(len(s), np.nan)
    )
    out = gpd.GeoDataFrame(
        {
            "kind": s["kind"].astype(str).to_numpy(object),
            "name": s["name"].astype(object).where(s["name"].notna(), "").to_numpy(object),
            "departures_per_hour": dep,
            "_x": s.geometry.x.to_numpy(),
            "_y": s.geometry.y.to_numpy(),
        },
        geometry=s.geometry.to_numpy(),
        crs=RD_NEW,
    )
    if "source" in s.columns:
        out["source"] = s["source"].astype(object).to_numpy(object)
    out = out.sort_values(["kind", "name", "_x", "_y"], kind="stable", ignore_index=True)
    out = out.drop(columns=["_x", "_y"])
    out["departures_per_hour"] = _fill_departures(out, SAME_HUB_M)
    return out


def _fill_departures(services: gpd.GeoDataFrame, radius_m: float) -> np.ndarray:
    """Departures per hour, with a stop that has none taking the highest known value of a
    stop of the same kind within ``radius_m`` (the same hub, once from OSM and once from
    the hubs register)."""
    import shapely

    dep = services["departures_per_hour"].to_numpy(float).copy()
    kinds = services["kind"].to_numpy(object)
    missing = np.flatnonzero(np.isin(kinds, HUB_KINDS) & np.isnan(dep))
    known = np.flatnonzero(np.isin(kinds, HUB_KINDS) & ~np.isnan(dep))
    if len(missing) == 0 or len(known) == 0:
        return dep
    geoms = services.geometry.to_numpy()
    tree = shapely.STRtree(geoms[known])
    src, hit = tree.query(geoms[missing], predicate="dwithin", distance=radius_m)
    filled = dep.copy()
    for i, j in zip(missing[src], known[hit], strict=True):
        if kinds[i] == kinds[j]:
            filled[i] = np.fmax(filled[i], dep[j])
    n = int((np.isnan(dep) & ~np.isnan(filled)).sum())
    if n:
        log.debug(
            "%d station/bus hub point(s) took departures from a twin within %g m", n, radius_m
        )
    return filled


def _nearest(routing, net, fac_snapped, positions, targets, profile, n_targets):
    """Seconds to, and position (in ``positions``' frame: the service row) of, the nearest
    facility among ``positions`` for every target; NaN / -1 where none is reached."""
    if (
        fac_snapped is None
        or len(positions) == 0
        or np.asarray(fac_snapped.flagged, bool)[positions].all()
    ):
        return np.full(n_targets, np.nan), np.full(n_targets, -1, np.int64)
    nf = routing.nearest_facility(
        net,
        fac_snapped.subset(positions),
        profile=profile,
        targets=targets,
        direction="to_facility",
    )
    t = np.asarray(nf.target_time_s, dtype=float)
    f = np.asarray(nf.target_facility, dtype=np.int64)
    return t, np.where(f >= 0, positions[np.maximum(f, 0)], -1)


def _take_or_nan(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``values[positions]`` with NaN where the position is -1."""
    out = np.full(len(positions), np.nan)
    ok = positions >= 0
    out[ok] = values[positions[ok]]
    return out


def _nansum_or_nan(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    if len(x) and np.isnan(x).all():
        return math.nan
    return float(np.nansum(x))


def _nan_to_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _choose_hubs(
    *, cost_min, candidate_ok, v_res, reach, cell_hub_ok, res, res65, names, geometry, settings
):
    """p-median (village→village minutes, resident weights) and max coverage (cells not yet
    within the hub norm) — ``settings.hub_k`` hubs each; one row per hub and method."""
    from bereikbaar.siting import max_coverage_ilp, p_median

    cand = np.flatnonzero(candidate_ok)
    k = min(settings.hub_k, len(cand))
    rows: list[dict[str, Any]] = []
    weights = np.stack([res, np.nan_to_num(res65)], axis=1)
    with np.errstate(invalid="ignore"):
        near = np.isfinite(cost_min) & (cost_min <= settings.hub_max_min)

    def add_rows(method: str, hubs: list[int], served: list[np.ndarray]) -> None:
        gains = hub_gains(reach, hubs, cell_hub_ok, weights)
        for r, (j, vs) in enumerate(zip(hubs, served, strict=True)):
            vs_sorted = sorted(names[vs].tolist())
            rows.append(
                {
                    "rank": r + 1,
                    "village": names[j],
                    "method": method,
                    "residents_served": float(np.nansum(v_res[vs])),
                    "villages_served": "; ".join(vs_sorted),
                    "n_villages_served": len(vs_sorted),
                    "residents_gaining": float(gains[r, 0]),
                    "residents_65_plus_gaining": float(gains[r, 1]),
                    "geometry": geometry[j],
                }
            )

    weights_v = np.nan_to_num(v_res)
    if k > 0 and weights_v.sum() > 0:
        cost = cost_min[:, cand]
        pm = p_median(cost, weights_v, k=k, method="ilp")
        chosen = [int(cand[j]) for j in pm.chosen]
        assigned = np.where(pm.assignment >= 0, cand[np.maximum(pm.assignment, 0)], -1)
        served = [np.flatnonzero(assigned == j) for j in chosen]
        order = sorted(
            range(len(chosen)), key=lambda q: (-float(weights_v[served[q]].sum()), names[chosen[q]])
        )
        add_rows("p_median", [chosen[q] for q in order], [served[q] for q in order])
    if k > 0 and reach.shape[1] > 0:
        mc = max_coverage_ilp(reach[cand], res, n=k, already_covered=cell_hub_ok)
        picks = [int(cand[j]) for j in mc.picks]
        add_rows("max_coverage", picks, [np.flatnonzero(near[:, j]) for j in picks])
    if not rows:
        log.info("no hubs chosen (no villages with residents, or nothing to gain)")
    frame = pd.DataFrame(rows, columns=HUB_COLUMNS)
    frame = frame.astype(
        {
            "rank": "int64",
            "n_villages_served": "int64",
            "residents_served": float,
            "residents_gaining": float,
            "residents_65_plus_gaining": float,
        }
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD_NEW)


def _long_table(names, v_res, v_res65, pairs, times, norm_by_pair, vil_pos) -> pd.DataFrame:
    n_v = len(names)
    parts = []
    for service, pname in pairs:
        time_s = times[(service, pname)][vil_pos]
        minutes = time_s / 60.0
        norm = norm_by_pair.get((service, pname))
        if norm is None:
            within = pd.array([pd.NA] * n_v, dtype="boolean")
        else:
            with np.errstate(invalid="ignore"):
                ok = np.isfinite(time_s) & (time_s <= norm.max_min * 60.0)
            within = pd.array(ok, dtype="boolean")
        parts.append(
            pd.DataFrame(
                {
                    "village": names,
                    "residents": v_res,
                    "residents_65_plus": v_res65,
                    "mode": pname,
                    "service": service,
                    "minutes": minutes,
                    "within_norm": within,
                    "_v": np.arange(n_v),
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: [] for c in TABLE_COLUMNS})
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values("_v", kind="stable", ignore_index=True).drop(columns="_v")
    table["village"] = table["village"].astype(object)
    table["mode"] = table["mode"].astype(object)
    table["service"] = table["service"].astype(object)
    return table[TABLE_COLUMNS]


def _assumptions(settings, norms, profiles, max_snap_m) -> list[str]:
    """The assumptions, in Dutch: they are printed with every result and shown on the map."""
    vp = profiles[settings.village_profile]
    hp = profiles[settings.hub_profile]
    per_kind = "".join(
        f", een {kind} binnen {lim:g} min"
        for kind, lim in sorted(settings.village_max_min_by_place.items())
    )
    out = [
        f"Elke bewoonde cel hoort bij het dorp dat ze het snelst bereikt per "
        f"{vp.label or vp.name}, binnen {settings.village_max_min:g} min{per_kind}, binnen de "
        f"eigen gemeente; verdere cellen en cellen meer dan {max_snap_m:g} m van het wegennet "
        "zijn buitengebied.",
        "Reistijden lopen van het dorpscentrum (of het midden van de cel) naar de dichtstbijzijnde "
        "voorziening, over het gerichte wegennet van elke vervoerswijze, inclusief het stuk "
        "tussen het punt en de weg; voorzieningen over de gemeente- en provinciegrens tellen mee.",
        "Aandeel binnen een norm = aandeel van de inwoners van het dorp (uit de eigen 100 m-cellen) "
        "waarvan de cel binnen de norm ligt; de score is het gemiddelde van die aandelen over alle "
        "normen (0..1, hoger = beter); niet gehaalde normen zijn die welke het dorpscentrum mist.",
        f"Keuze van dorpshubs per {hp.label or hp.name}: p-mediaan van de reistijden tussen dorpen, "
        f"gewogen naar inwoners, en maximale dekking van inwoners die nog niet binnen "
        f"{settings.hub_max_min:g} min van een station of bushub met >= "
        f"{settings.hub_min_departures_per_hour:g} vertrekken per uur wonen; een nieuwe hub biedt "
        "naar aanname dat niveau.",
        "Stations en bushubs zonder bekend aantal vertrekken tellen niet voor normen met een "
        "minimum aantal vertrekken; een hub zonder dat getal neemt het over van een hub van "
        f"dezelfde soort binnen {SAME_HUB_M:g} m (dezelfde hub uit OSM en uit het hubregister).",
    ]
    for n in norms:
        if n.min_departures_per_hour is not None:
            out.append(
                f"Minuten naar {n.service} per {n.profile} tellen alleen {n.service}s met >= "
                f"{n.min_departures_per_hour:g} vertrekken per uur."
            )
    return out


def _summary(
    result: DorpshubResult, norms, cell_within_share, share, within_c, v_res, total, res65, what_if
) -> dict[str, Any]:
    v = result.villages
    res_v = float(np.nansum(v_res))
    norm_rows = []
    for k, n in enumerate(norms):
        key = norm_key(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_vil = float(np.nansum(share[:, k] * v_res) / res_v) if res_v > 0 else math.nan
        norm_rows.append(
            {
                "service": n.service,
                "profile": n.profile,
                "max_min": n.max_min,
                "min_departures_per_hour": n.min_departures_per_hour,
                "label": norm_label(n),
                "source": n.source,
                "share_residents_within": cell_within_share[key],
                "share_village_residents_within": share_vil,
                "villages_failing": int((~within_c[:, k]).sum()),
            }
        )
    worst = v.sort_values("rank_gemeente").head(5)
    summary = {
        "gemeente": result.gemeente,
        "villages": len(v),
        "residents": total,
        "residents_65_plus": _nansum_or_nan(res65),
        "residents_in_villages": res_v,
        "residents_buitengebied": result.buitengebied["residents"],
        "buitengebied": dict(result.buitengebied),
        "norms": norm_rows,
        "worst_villages": [
            {
                "village": r.village,
                "score": r.score,
                "residents": r.residents,
                "n_failed_norms": int(r.n_failed_norms),
                "failed_norms": r.failed_norms,
            }
            for r in worst.itertuples()
        ],
        "hubs": [
            {k: val for k, val in row.items() if k != "geometry"}
            for row in result.hubs.to_dict("records")
        ],
        "what_if": None if what_if is None else what_if.summary,
        "settings": dataclasses.asdict(result.settings),
        "assumptions": list(result.assumptions),
    }
    return jsonable(summary)
