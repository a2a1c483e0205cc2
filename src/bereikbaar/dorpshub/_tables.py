"""The written phases of Dorpshub: tables, what-if, assumptions and summary."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from bereikbaar._crs import RD_NEW
from bereikbaar._json import jsonable
from bereikbaar._nl import place_kind_nl, service_nl
from bereikbaar.config import DorpshubSettings, TravelProfile
from bereikbaar.dorpshub._ov_hubs import OvHubReach, ov_what_if
from bereikbaar.dorpshub._phases import nansum_or_nan
from bereikbaar.dorpshub._types import (
    BUITENGEBIED,
    HUB_KINDS,
    SAME_HUB_M,
    TABLE_COLUMNS,
    CellAssignment,
    HubReach,
    NormShares,
    PreparedInputs,
    ServiceTimes,
    Snaps,
    Tables,
    WhatIfHub,
)

log = logging.getLogger(__name__)

_WHAT_IF_SUMS = [
    "residents",
    "residents_within_before",
    "residents_within_after",
    "residents_gaining",
    "residents_65_plus_gaining",
]


# ------------------------------------------------------------------------ phase 6: tables
def build_tables(
    gemeente: str,
    prep: PreparedInputs,
    *,
    snaps: Snaps,
    cells: CellAssignment,
    times: ServiceTimes,
    shares: NormShares,
    reach: HubReach,
    village_network: str,
) -> Tables:
    """The villages (worst first), the long table, the cells and the services."""
    order = np.argsort(shares.rank, kind="stable")
    return Tables(
        villages=_village_table(gemeente, prep, cells, times, shares)
        .iloc[order]
        .reset_index(drop=True),
        table=_long_table(gemeente, prep, cells, times, order),
        cells=_cell_table(prep, cells, times, reach),
        services=_service_table(prep, snaps.services.get(village_network)),
    )


def _village_table(
    gemeente: str,
    prep: PreparedInputs,
    cells: CellAssignment,
    times: ServiceTimes,
    shares: NormShares,
) -> gpd.GeoDataFrame:
    v = prep.villages
    vil = prep.village_pos
    place = v["place"].to_numpy(object)
    cols: dict[str, Any] = {
        "village": v["village"].to_numpy(object),
        "village_id": v["place_id"].to_numpy(object),
        "gemeente": np.full(len(v), gemeente, dtype=object),
        "place_id": v["place_id"].to_numpy(object),
        "place": place,
        "place_nl": np.asarray(
            [None if p is None else place_kind_nl(p) for p in place], dtype=object
        ),
        "residents": cells.village_residents,
        "residents_65_plus": cells.village_residents_65_plus,
        "score": shares.score,
        "n_failed_norms": shares.n_failed,
        "failed_norms": shares.failed_norms,
        "rank_gemeente": shares.rank,
        "snap_flagged": cells.village_flagged,
    }
    for k, norm in enumerate(prep.norms):
        cols[norm.minutes_column] = times.time_s[(norm.service, norm.profile)][vil] / 60.0
        cols[norm.share_column] = shares.share_within[:, k]
        cols[norm.within_column] = pd.array(shares.within_centre[:, k], dtype="boolean")
    for norm in prep.norms:
        if norm.service in HUB_KINDS:
            dph = times.departures_per_hour[(norm.service, norm.profile)]
            cols[f"departures_per_hour_{norm.key}"] = dph[vil]
    return gpd.GeoDataFrame(cols, geometry=v.geometry.to_numpy(), crs=v.crs or RD_NEW)


def _long_table(
    gemeente: str,
    prep: PreparedInputs,
    cells: CellAssignment,
    times: ServiceTimes,
    order: np.ndarray,
) -> pd.DataFrame:
    """One row per village (worst first), then (service, profile) pair in config order."""
    n_v, n_p = len(order), len(prep.pairs)
    if n_p == 0:
        return pd.DataFrame({c: [] for c in TABLE_COLUMNS})
    vil = prep.village_pos[order]
    by_pair = {(n.service, n.profile): n for n in prep.norms}
    time_s = np.stack([times.time_s[p][vil] for p in prep.pairs], axis=1)
    limit_s = np.asarray(
        [by_pair[p].max_min * 60.0 if p in by_pair else np.nan for p in prep.pairs], dtype=float
    )
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(time_s) & (time_s <= limit_s)
    within = pd.array(ok.ravel(), dtype="boolean")
    within[np.tile(np.isnan(limit_s), n_v)] = pd.NA
    v = prep.villages
    table = pd.DataFrame(
        {
            "gemeente": np.full(n_v * n_p, gemeente, dtype=object),
            "village_id": np.repeat(v["place_id"].to_numpy(object)[order], n_p),
            "village": np.repeat(v["village"].to_numpy(object)[order], n_p),
            "residents": np.repeat(cells.village_residents[order], n_p),
            "residents_65_plus": np.repeat(cells.village_residents_65_plus[order], n_p),
            "mode": np.tile(np.asarray([p for _, p in prep.pairs], dtype=object), n_v),
            "service": np.tile(np.asarray([s for s, _ in prep.pairs], dtype=object), n_v),
            "minutes": (time_s / 60.0).ravel(),
            "within_norm": within,
        }
    )
    return table[TABLE_COLUMNS]


def _cell_table(
    prep: PreparedInputs, cells: CellAssignment, times: ServiceTimes, reach: HubReach
) -> gpd.GeoDataFrame:
    names = prep.villages["village"].to_numpy(object)
    village = np.full(prep.n_cells, None, dtype=object)
    has = cells.village >= 0
    village[has] = names[cells.village[has]]
    cols: dict[str, Any] = {
        "cell_id": prep.cells["cell_id"].to_numpy(),
        "residents": prep.cells["residents"].to_numpy(float),
        "residents_65_plus": prep.cells["residents_65_plus"].to_numpy(float),
        "village": pd.Series(village, dtype=object),
        "minutes_to_village": cells.time_s / 60.0,
        "snap_flagged": cells.cell_flagged,
        "minutes_existing_hub": reach.existing_time_s[prep.cell_pos] / 60.0,
        "within_hub_norm": reach.cell_within,
    }
    for norm in prep.norms:
        cols[norm.minutes_column] = times.time_s[(norm.service, norm.profile)][prep.cell_pos] / 60
    return gpd.GeoDataFrame(cols, geometry=prep.cells.geometry.to_numpy(), crs=prep.cells.crs)


def _service_table(prep: PreparedInputs, snapped) -> gpd.GeoDataFrame:
    svc = prep.services
    flagged = np.asarray(snapped.flagged, bool) if snapped is not None else np.zeros(0, bool)
    out = gpd.GeoDataFrame(
        {
            "kind": svc["kind"].to_numpy(object),
            "name": svc["name"].to_numpy(object),
            "departures_per_hour": svc["departures_per_hour"].to_numpy(float),
            "snap_flagged": flagged,
        },
        geometry=svc.geometry.to_numpy(),
        crs=svc.crs or RD_NEW,
    )
    if "source" in svc.columns:
        out.insert(3, "source", svc["source"].to_numpy(object))
    if "departures_source" in svc.columns:  # "gtfs" when the departures come from the feed
        out.insert(3, "departures_source", svc["departures_source"].to_numpy(object))
    return out


# ---------------------------------------------------------------------- phase 7: what-if
def what_if_from_tables(
    *,
    gemeente: str,
    village: str,
    village_names: list[str],
    cells: pd.DataFrame,
    hub_reach: pd.DataFrame,
    settings: DorpshubSettings,
    ov_reach: OvHubReach | None = None,
) -> WhatIfHub:
    """Who newly reaches a hub within ``hub_max_min`` when ``village`` gets one.

    ``cells`` is ``DorpshubResult.cells`` (``cell_id``, ``residents``,
    ``residents_65_plus``, ``village``, ``within_hub_norm``) and ``hub_reach`` its
    ``hub_reach`` (``cell_id``, ``village``): no routing happens here. With ``ov_reach``
    (a GTFS feed) also who newly reaches each key service within its ov norm by
    ``hub_profile`` to the hub and ov from there (:func:`ov_what_if`).
    """
    before = cells["within_hub_norm"].to_numpy(bool)
    reached = hub_reach.loc[hub_reach["village"] == village, "cell_id"]
    after = before | cells["cell_id"].isin(reached).to_numpy()
    gain = after & ~before
    res = cells["residents"].to_numpy(float)
    res65 = np.nan_to_num(cells["residents_65_plus"].to_numpy(float))
    per = _what_if_per_village(cells, before, after, gain, village_names)
    s = settings
    summary = {
        "gemeente": gemeente,
        "village": village,
        "hub_profile": s.hub_profile,
        "hub_max_min": s.hub_max_min,
        "hub_min_departures_per_hour": s.hub_min_departures_per_hour,
        "residents": float(res.sum()),
        "residents_within_before": float(res[before].sum()),
        "residents_within_after": float(res[after].sum()),
        "residents_gaining": float(res[gain].sum()),
        "residents_65_plus_gaining": float(res65[gain].sum()),
        "villages_gaining": per.loc[
            (per["residents_gaining"] > 0) & (per["village"] != BUITENGEBIED), "village"
        ].tolist(),
    }
    ov = ov_what_if(ov_reach, village)
    if ov is not None:
        summary["ov"] = ov.to_dict("records")
    log.info(
        "%s: a hub at %s brings %.0f residents (%.0f 65+) within %g min",
        gemeente,
        village,
        summary["residents_gaining"],
        summary["residents_65_plus_gaining"],
        s.hub_max_min,
    )
    return WhatIfHub(
        gemeente=gemeente, village=village, villages=per, summary=jsonable(summary), ov=ov
    )


def _what_if_per_village(
    cells: pd.DataFrame,
    before: np.ndarray,
    after: np.ndarray,
    gain: np.ndarray,
    village_names: list[str],
) -> pd.DataFrame:
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
    per = per.reindex([*sorted(set(village_names)), BUITENGEBIED])
    per[_WHAT_IF_SUMS] = per[_WHAT_IF_SUMS].fillna(0.0)
    per = per.reset_index().rename(columns={"index": "village"})
    return per.sort_values(
        ["residents_gaining", "village"], ascending=[False, True], kind="stable", ignore_index=True
    )


# ------------------------------------------------------------------- phase 8: assumptions
def assumptions_nl(
    prep: PreparedInputs,
    times: ServiceTimes,
    *,
    settings: DorpshubSettings,
    profiles: Mapping[str, TravelProfile],
    max_snap_m: float,
) -> tuple[str, ...]:
    """The assumptions, in Dutch: printed with every result and shown on the map."""
    vp = profiles[settings.village_profile]
    hp = profiles[settings.hub_profile]
    per_kind = "".join(
        f", een {place_kind_nl(kind)} binnen {lim:g} min"
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
        *_service_meanings(prep),
        "Lopen is nooit sneller dan fietsen en fietsen nooit sneller dan de e-bike naar dezelfde "
        "voorziening, behalve waar het looppad korter is dan de fietsroute (voetpaden, "
        "eenrichtingsstraten die voetgangers in beide richtingen mogen nemen) of het punt "
        "dichter bij een voetpad dan bij een fietsbare weg ligt. De auto rijdt alleen over de "
        "weg: het stuk tussen het punt en de weg gaat te voet (5 km/u), zodat de auto bij "
        "punten ver van een rijweg langzamer kan zijn dan de fiets.",
    ]
    for service in times.missing_kinds:
        out.append(
            f"Geen {service_nl(service)} ({service}) onder de voorzieningen: de minuten zijn "
            "leeg en elk dorp mist de bijbehorende normen."
        )
    return tuple(out)


def _service_meanings(prep: PreparedInputs) -> list[str]:
    """One sentence per service kind whose meaning depends on departures, and bus stops."""
    out = []
    for service, need in sorted(prep.min_departures.items()):
        out.append(
            f"{service_nl(service).capitalize()} ({service}) betekent voor elke vervoerswijze: "
            f"een {service_nl(service)} met ten minste {need:g} vertrekken per uur."
        )
    if any(s == "bus_stop" for s, _ in prep.pairs):
        out.append("Bushalte (bus_stop) betekent: elke bushalte, hoe vaak de bus er ook stopt.")
    return out


# ---------------------------------------------------------------------- phase 9: summary
def build_summary(
    gemeente: str,
    prep: PreparedInputs,
    *,
    cells: CellAssignment,
    shares: NormShares,
    tables: Tables,
    hubs: gpd.GeoDataFrame,
    what_if: WhatIfHub | None,
    settings: DorpshubSettings,
    assumptions: tuple[str, ...],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-ready summary, built once (one rounding rule: :func:`jsonable`);
    ``extra`` adds sections (the ov mode's ``ov`` and ``without_car``)."""
    res65 = prep.cells["residents_65_plus"].to_numpy(float)
    worst = tables.villages.sort_values("rank_gemeente").head(5)
    worst = worst[["village", "village_id", "score", "residents", "n_failed_norms", "failed_norms"]]
    summary = {
        "gemeente": gemeente,
        "villages": prep.n_villages,
        "residents": cells.residents_total,
        "residents_65_plus": nansum_or_nan(res65),
        "residents_in_villages": float(np.nansum(cells.village_residents)),
        "residents_buitengebied": cells.buitengebied["residents"],
        "buitengebied": dict(cells.buitengebied),
        "norms": _norm_rows(prep, cells, shares),
        "worst_villages": [
            {
                "village": r.village,
                "village_id": r.village_id,
                "score": r.score,
                "residents": r.residents,
                "n_failed_norms": int(r.n_failed_norms),
                "failed_norms": r.failed_norms,
            }
            for r in worst.itertuples()
        ],
        "hubs": hubs.drop(columns="geometry").to_dict("records"),
        "what_if": None if what_if is None else what_if.summary,
        "settings": dataclasses.asdict(settings),
        "assumptions": list(assumptions),
        **dict(extra or {}),
    }
    return jsonable(summary)


def _norm_rows(
    prep: PreparedInputs, cells: CellAssignment, shares: NormShares
) -> list[dict[str, Any]]:
    v_res = cells.village_residents
    res_v = float(np.nansum(v_res))
    rows = []
    for k, n in enumerate(prep.norms):
        share_vil = (
            float(np.nansum(shares.share_within[:, k] * v_res) / res_v) if res_v > 0 else math.nan
        )
        rows.append(
            {
                "key": n.key,
                "service": n.service,
                "profile": n.profile,
                "max_min": n.max_min,
                "min_departures_per_hour": n.min_departures_per_hour,
                "label": n.label_nl,
                "source": n.source,
                "share_residents_within": shares.share_all_residents[k],
                "share_village_residents_within": share_vil,
                "villages_failing": int((~shares.within_centre[:, k]).sum()),
            }
        )
    return rows
