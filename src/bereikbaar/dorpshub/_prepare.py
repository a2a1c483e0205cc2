"""Phase 0 of Dorpshub: check the settings and inputs, and shape them once."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from bereikbaar._crs import common_crs
from bereikbaar.config import OV_PROFILE, DorpshubSettings, TravelProfile
from bereikbaar.dorpshub._types import HUB_KINDS, SAME_HUB_M, NormSpec, PreparedInputs
from bereikbaar.errors import ConfigError, InputError, NetworkError

log = logging.getLogger(__name__)


def prepare_inputs(
    *,
    villages: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    geometry,
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
    networks: Mapping[str, Any],
    with_ov: bool = False,
) -> PreparedInputs:
    """Check CRS, columns and settings; keep the villages and cells inside ``geometry``.

    ``with_ov``: public transport (profile ``ov``) is available: every service gets an
    ``ov`` pair and the ``ov`` norms count; without it, ``ov`` norms are left out.

    Raises :class:`~bereikbaar.errors.InputError`, :class:`~bereikbaar.errors.ConfigError`
    or :class:`~bereikbaar.errors.NetworkError` with the fix in the message.
    """
    common_crs(  # one working CRS, taken from the inputs (RD New in the Netherlands)
        (villages, "the villages (places)"),
        (cells, "the population cells"),
        (services, "the service points"),
        *((n, f"the {m} network") for m, n in networks.items() if hasattr(n, "crs")),
    )
    _require(villages, ("name",), "villages (places)", "use inputs.osm.read_places")
    _require(cells, ("cell_id", "residents"), "cells", "use inputs.population.read_population")
    _require(services, ("kind", "name"), "services", "columns kind, name, departures_per_hour")
    norms = check_settings(settings, profiles, networks, with_ov=with_ov)
    pairs = table_pairs(settings, norms, with_ov=with_ov)
    return PreparedInputs(
        villages=_prepare_villages(villages, geometry, settings),
        cells=_prepare_cells(cells, geometry),
        services=_prepare_services(services, {s for s, _ in pairs} | set(HUB_KINDS)),
        norms=norms,
        pairs=pairs,
        min_departures=service_min_departures(norms),
    )


def as_polygon(geometry):
    """The municipality polygon from a shapely geometry or a GeoDataFrame/GeoSeries."""
    if isinstance(geometry, gpd.GeoDataFrame | gpd.GeoSeries):
        common_crs((geometry, "the municipality boundary"))
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


def check_settings(
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
    networks,
    *,
    with_ov: bool = False,
) -> tuple[NormSpec, ...]:
    """The norms as :class:`NormSpec`, after checking profiles, networks and norms
    (``ov`` norms only ``with_ov``)."""
    used = [
        *settings.profiles,
        settings.village_profile,
        settings.hub_profile,
        *(n.profile for n in settings.norms if n.profile != OV_PROFILE),
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
    seen: set[tuple[str, str]] = set()
    for n in settings.norms:
        if (n.service, n.profile) in seen:
            raise ConfigError(
                f"dorpshub.norms: two norms for service {n.service!r} and profile {n.profile!r}; "
                "keep one (within_norm needs a single limit per service and mode)"
            )
        if n.max_min <= 0:
            raise ConfigError(
                f"dorpshub.norms: the norm for {n.service} by {n.profile} needs max_min > 0"
            )
        seen.add((n.service, n.profile))
    skipped = [n for n in settings.norms if n.profile == OV_PROFILE and not with_ov]
    if skipped:
        log.info("%d ov norm(s) left out: no GTFS feed ([transit] gtfs)", len(skipped))
    return tuple(
        NormSpec.from_norm(n) for n in settings.norms if with_ov or n.profile != OV_PROFILE
    )


def service_min_departures(norms: tuple[NormSpec, ...]) -> dict[str, float]:
    """Per service kind, the departures per hour a point needs to count as that service.

    One meaning per service column: a ``bus_hub`` norm with ``min_departures_per_hour = 2``
    makes ``bus_hub`` mean "a hub with ≥ 2 departures per hour" for *every* profile, not
    only for the norm's. Norms of one service that disagree are a config error.
    """
    out: dict[str, float] = {}
    for n in norms:
        if n.min_departures_per_hour is None:
            continue
        if n.service in out and out[n.service] != n.min_departures_per_hour:
            raise ConfigError(
                f"dorpshub.norms: the norms for {n.service!r} ask for different "
                f"min_departures_per_hour ({out[n.service]:g} and "
                f"{n.min_departures_per_hour:g}); a service has one meaning for every mode, "
                "so give every norm of that service the same value"
            )
        out[n.service] = float(n.min_departures_per_hour)
    return out


def table_pairs(
    settings: DorpshubSettings, norms: tuple[NormSpec, ...], *, with_ov: bool = False
) -> tuple[tuple[str, str], ...]:
    """(service, profile) pairs to compute: every service × profile (and ``ov`` when
    available), plus the norms'."""
    modes = [*settings.profiles, *([OV_PROFILE] if with_ov else [])]
    pairs = [(s, p) for p in modes for s in settings.services]
    for n in norms:
        if (n.service, n.profile) not in pairs:
            pairs.append((n.service, n.profile))
    return tuple(pairs)


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
        crs=v.crs,
    )
    out = out.sort_values(["name", "place_id"], kind="stable", ignore_index=True)
    name = out["name"]
    ambiguous = (name == "") | name.duplicated(keep=False)
    label = name.where(~ambiguous, name + " (" + out["place_id"] + ")")
    if ambiguous.any():
        log.info("places sharing a name (or without one) are labelled 'name (place_id)'")
    out.insert(0, "village", label.to_numpy(object))
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
        crs=c.crs,
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
        crs=s.crs,
    )
    for col in ("source", "departures_source"):
        if col in s.columns:
            out[col] = s[col].astype(object).to_numpy(object)
    out = out.sort_values(["kind", "name", "_x", "_y"], kind="stable", ignore_index=True)
    out = out.drop(columns=["_x", "_y"])
    out["departures_per_hour"] = fill_departures(out, radius_m=SAME_HUB_M)
    return out


def fill_departures(services: gpd.GeoDataFrame, *, radius_m: float) -> np.ndarray:
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
    i, j = missing[src], known[hit]
    same = kinds[i] == kinds[j]
    filled = dep.copy()
    np.fmax.at(filled, i[same], dep[j[same]])
    n = int((np.isnan(dep) & ~np.isnan(filled)).sum())
    if n:
        log.debug(
            "%d station/bus hub point(s) took departures from a twin within %g m", n, radius_m
        )
    return filled
