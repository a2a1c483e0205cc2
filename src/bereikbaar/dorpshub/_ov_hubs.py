"""Hub choice and what-if on the ov reach: cycle to the hub, then continue by public transport.

A mobility hub matters most to villagers without a car: they cycle (``hub_profile``,
within ``hub_max_min``) to the hub village and travel on by bus or train from there. For
every key service (``dorpshub.hub_ov_services``, each with an ``ov`` norm) a resident of
cell *c* reaches the service *via* hub village *h* when::

    hub_profile minutes c -> h  +  ov minutes h -> service  <=  the service's ov norm

where the ov minutes are the door-to-door time from the hub village's centre (the norm
statistic over the norm window, like every ov number in Dorpshub), so the wait at the hub
is inside them. Residents who reach the service *without a car* today (a walking, cycling
or ov norm met from their own cell) are already served. The method ``ov_reach`` chooses
``hub_k`` villages maximising the residents newly reaching a key service, summed over the
key services (an exact maximum coverage over (service, cell) pairs,
:func:`bereikbaar.siting.max_coverage_exact`: every set of ``hub_k`` candidates is tried,
of equal coverage the first in lexicographic order; the ILP beyond
:data:`~bereikbaar.siting.ENUMERATE_MAX_SETS` sets). :func:`ov_what_if` reports the same
gain for one named village.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bereikbaar._crs import RD_NEW
from bereikbaar._nl import HUB_METHODS_NL, service_nl
from bereikbaar.config import OV_PROFILE, DorpshubSettings
from bereikbaar.dorpshub._types import (
    HUB_COLUMNS,
    CellAssignment,
    HubReach,
    PreparedInputs,
    ServiceTimes,
)

log = logging.getLogger(__name__)

OV_REACH = "ov_reach"
#: The columns of :attr:`OvHubChoice.per_service` and :attr:`WhatIfHub.ov`.
OV_GAIN_COLUMNS = [
    "service",
    "service_nl",
    "norm_min",
    "residents_before",
    "residents_after",
    "residents_gaining",
    "residents_65_plus_before",
    "residents_65_plus_after",
    "residents_65_plus_gaining",
]


@dataclass(frozen=True)
class OvHubReach:
    """Who reaches which key service within its ov norm, today and via each village as hub.

    Attributes
    ----------
    services
        The key services, in config order; ``norm_min`` ``(n_services,)`` their ov norms.
    villages, cell_ids
        Village labels ``(n_villages,)`` and cell ids ``(n_cells,)`` in the order of the
        arrays below (the Dorpshub origins' order).
    residents, residents_65_plus
        ``(n_cells,)``; NaN 65+ counts as 0.
    hub_ov_min
        ``(n_villages, n_services)`` ov minutes from the village centre (NaN: none).
    before
        ``(n_services, n_cells)`` bool: the cell reaches the service within a walking,
        cycling or ov norm today.
    via
        Bool sparse ``(n_villages, n_services * n_cells)``: column ``s * n_cells + c`` is
        true when cell ``c`` reaches service ``s`` within its ov norm via that village as
        hub (``hub_profile`` within ``hub_max_min``, then ov).
    """

    services: tuple[str, ...]
    norm_min: np.ndarray
    villages: np.ndarray
    cell_ids: np.ndarray
    residents: np.ndarray
    residents_65_plus: np.ndarray
    hub_ov_min: np.ndarray
    before: np.ndarray
    via: sp.csr_array

    def reached(self, hubs: Sequence[int]) -> np.ndarray:
        """``(n_services, n_cells)`` bool: reached today or via one of ``hubs`` (positions)."""
        out = self.before.copy()
        for h in hubs:
            out |= self.via[[int(h)]].toarray().reshape(self.before.shape)
        return out

    def gains(self, hubs: Sequence[int]) -> pd.DataFrame:
        """Per key service, residents (and 65+) within the ov norm before and with ``hubs``
        (:data:`OV_GAIN_COLUMNS`)."""
        after = self.reached(hubs)
        res, res65 = self.residents, self.residents_65_plus
        rows = []
        for k, s in enumerate(self.services):
            b, a = self.before[k], after[k]
            rows.append(
                {
                    "service": s,
                    "service_nl": service_nl(s),
                    "norm_min": float(self.norm_min[k]),
                    "residents_before": float(res[b].sum()),
                    "residents_after": float(res[a].sum()),
                    "residents_gaining": float(res[a & ~b].sum()),
                    "residents_65_plus_before": float(res65[b].sum()),
                    "residents_65_plus_after": float(res65[a].sum()),
                    "residents_65_plus_gaining": float(res65[a & ~b].sum()),
                }
            )
        return pd.DataFrame(rows, columns=OV_GAIN_COLUMNS)


@dataclass(frozen=True)
class OvHubChoice:
    """The ``ov_reach`` hubs: ``hubs`` (:data:`HUB_COLUMNS`, method ``ov_reach``),
    ``per_service`` (:data:`OV_GAIN_COLUMNS` with all chosen hubs together) and
    ``resident_services_gaining``, the maximised total (residents × key services)."""

    hubs: gpd.GeoDataFrame
    per_service: pd.DataFrame
    resident_services_gaining: float


# ---------------------------------------------------------------------------- reach
def ov_hub_services(prep: PreparedInputs, settings: DorpshubSettings) -> dict[str, float]:
    """The key services with an ``ov`` norm and those norms (minutes); empty without ov.

    A key service without an ov norm is left out with a warning (``load_config`` refuses
    it when a feed is configured, naming the fix).
    """
    if not any(p == OV_PROFILE for _, p in prep.pairs):
        return {}
    norms = {n.service: n.max_min for n in prep.norms if n.profile == OV_PROFILE}
    left_out = [s for s in settings.hub_ov_services if s not in norms]
    if left_out and norms:
        log.warning(
            "dorpshub.hub_ov_services: %s without an ov norm left out of the ov_reach hubs",
            ", ".join(left_out),
        )
    return {s: float(norms[s]) for s in settings.hub_ov_services if s in norms}


def ov_hub_reach(
    prep: PreparedInputs,
    times: ServiceTimes,
    reach: HubReach,
    without_car: Mapping[str, np.ndarray],
    *,
    settings: DorpshubSettings,
) -> OvHubReach | None:
    """Phase: the key services' reach today and via every village (None without ov or
    without key services).

    ``without_car`` holds per service ``(n_origins,)`` bool: within a walking, cycling or
    ov norm (:func:`bereikbaar.dorpshub._ov.within_without_car`).
    """
    norms = ov_hub_services(prep, settings)
    if not norms:
        return None
    services = tuple(norms)
    n_v, n_c = prep.n_villages, prep.n_cells
    hub_ov_min = np.stack(
        [times.time_s[(s, OV_PROFILE)][prep.village_pos] / 60.0 for s in services], axis=1
    ).reshape(n_v, len(services))
    before = np.stack(
        [without_car.get(s, np.zeros(n_v + n_c, bool))[prep.cell_pos] for s in services]
    ).reshape(len(services), n_c)
    names = prep.villages["village"].to_numpy(object)
    ids = prep.cells["cell_id"].to_numpy()
    f = reach.frame
    h = pd.Index(names).get_indexer(f["village"].to_numpy(object))
    c = pd.Index(ids).get_indexer(f["cell_id"].to_numpy())
    t = f["minutes"].to_numpy(float)
    rows, cols = [], []
    for k, s in enumerate(services):
        with np.errstate(invalid="ignore"):
            ok = t + hub_ov_min[h, k] <= norms[s]
        rows.append(h[ok])
        cols.append(k * n_c + c[ok])
    r, q = np.concatenate(rows), np.concatenate(cols)
    via = sp.csr_array((np.ones(len(r), bool), (r, q)), shape=(n_v, len(services) * n_c))
    via.sum_duplicates()
    via.sort_indices()
    return OvHubReach(
        services=services,
        norm_min=np.asarray([norms[s] for s in services], float),
        villages=names,
        cell_ids=ids,
        residents=prep.cells["residents"].to_numpy(float),
        residents_65_plus=np.nan_to_num(prep.cells["residents_65_plus"].to_numpy(float)),
        hub_ov_min=hub_ov_min,
        before=before,
        via=via,
    )


# --------------------------------------------------------------------------- choice
def choose_ov_hubs(
    prep: PreparedInputs,
    cells: CellAssignment,
    reach: HubReach,
    ovr: OvHubReach | None,
    *,
    settings: DorpshubSettings,
) -> OvHubChoice | None:
    """Phase: ``hub_k`` villages maximising the residents × key services newly reached
    within the ov norm via a hub (exact maximum coverage); None without ``ovr``."""
    from bereikbaar.siting import max_coverage_exact

    if ovr is None:
        return None
    cand = np.flatnonzero(reach.candidate_ok)
    k = min(settings.hub_k, len(cand))
    picks: list[int] = []
    if k > 0 and ovr.via.shape[1] > 0:
        mc = max_coverage_exact(
            ovr.via[cand],
            np.tile(ovr.residents, len(ovr.services)),
            n=k,
            already_covered=ovr.before.ravel(),
        )
        picks = [int(cand[j]) for j in mc.picks]
    per_service = ovr.gains(picks)
    total = float(per_service["residents_gaining"].sum())
    log.info("ov_reach hubs %s: %.0f residents x key services gain", picks, total)
    return OvHubChoice(
        hubs=_ov_hub_rows(prep, cells, reach, ovr, picks, settings=settings),
        per_service=per_service,
        resident_services_gaining=total,
    )


def _ov_hub_rows(prep, cells, reach, ovr: OvHubReach, picks, *, settings) -> gpd.GeoDataFrame:
    """One :data:`HUB_COLUMNS` row per hub; ``residents_gaining``: residents newly
    reaching at least one key service via this hub and no earlier one."""
    names = prep.villages["village"].to_numpy(object)
    ids = prep.villages["place_id"].to_numpy(object)
    geometry = prep.villages.geometry.to_numpy()
    with np.errstate(invalid="ignore"):
        near = np.isfinite(reach.village_minutes) & (reach.village_minutes <= settings.hub_max_min)
    counted = np.zeros(len(ovr.residents), bool)
    rows = []
    for r, j in enumerate(picks):
        gaining = (ovr.reached([j]) & ~ovr.before).any(axis=0)
        new = gaining & ~counted
        counted |= gaining
        served = sorted(names[np.flatnonzero(near[:, j])].tolist())
        rows.append(
            {
                "rank": r + 1,
                "village": names[j],
                "method": OV_REACH,
                "residents_served": float(np.nansum(cells.village_residents[near[:, j]])),
                "villages_served": "; ".join(served),
                "n_villages_served": len(served),
                "residents_gaining": float(ovr.residents[new].sum()),
                "residents_65_plus_gaining": float(ovr.residents_65_plus[new].sum()),
                "method_nl": HUB_METHODS_NL.get(OV_REACH, OV_REACH),
                "village_id": ids[j],
                "geometry": geometry[j],
            }
        )
    frame = pd.DataFrame(rows, columns=HUB_COLUMNS)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=prep.villages.crs or RD_NEW)


def with_ov_hubs(hubs: gpd.GeoDataFrame, choice: OvHubChoice | None) -> gpd.GeoDataFrame:
    """The hubs table with the ``ov_reach`` rows appended (unchanged without them)."""
    if choice is None or choice.hubs.empty:
        return hubs
    parts = [h for h in (hubs, choice.hubs) if not h.empty]  # concat with an empty frame warns
    both = pd.concat(parts, ignore_index=True).astype(hubs.dtypes.to_dict())
    return gpd.GeoDataFrame(both, geometry="geometry", crs=hubs.crs)


# --------------------------------------------------------------------------- what-if
def ov_what_if(ovr: OvHubReach | None, village: str) -> pd.DataFrame | None:
    """Per key service, residents within the ov norm before and with a hub at ``village``
    (:data:`OV_GAIN_COLUMNS`); None without ov."""
    if ovr is None:
        return None
    pos = np.flatnonzero(ovr.villages == village)
    return ovr.gains([int(p) for p in pos[:1]])


def ov_hubs_summary(choice: OvHubChoice | None, *, settings: DorpshubSettings) -> dict[str, Any]:
    """The summary section ``ov_hubs`` as ``{"ov_hubs": {...}}`` (empty without ov)."""
    if choice is None:
        return {}
    section = {
        "method": OV_REACH,
        "services": choice.per_service["service"].tolist(),
        "hub_profile": settings.hub_profile,
        "hub_max_min": settings.hub_max_min,
        "hubs": choice.hubs["village"].tolist(),
        "resident_services_gaining": choice.resident_services_gaining,
        "per_service": choice.per_service.to_dict("records"),
    }
    return {"ov_hubs": section}


def ov_hub_assumption_nl(ovr: OvHubReach | None, *, settings: DorpshubSettings, hub_label: str):
    """The Dutch assumption of the ``ov_reach`` hub choice (none without ov)."""
    if ovr is None:
        return ()
    names = ", ".join(service_nl(s) for s in ovr.services)
    return (
        f"Keuze van dorpshubs op ov-bereik: een inwoner zonder auto gaat per {hub_label} "
        f"(hoogstens {settings.hub_max_min:g} min) naar de hub in een dorp en reist van daar "
        f"met het ov verder naar {names}. De ov-tijd is deur tot deur vanaf het dorpscentrum "
        "(dezelfde maat als de ov-normen), dus het wachten op bus of trein bij de hub zit al "
        "in die tijd; fiets stallen kost naar aanname geen extra tijd. Een inwoner telt mee "
        "als fietstijd plus ov-tijd binnen de ov-norm van de voorziening blijft en hij of zij "
        "die voorziening vandaag niet al te voet, per fiets of met het ov binnen een norm "
        "bereikt; gekozen worden de dorpen die samen de meeste inwoners (opgeteld over de "
        "voorzieningen) erbij laten komen.",
    )
