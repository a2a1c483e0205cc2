"""The result types of Dorpshub: the public result, the norm spec and the phase results.

Every phase of :func:`bereikbaar.dorpshub.compute_dorpshub` returns one small frozen
dataclass defined here, so each phase can be called and tested on its own. Arrays over
*origins* hold the village centres first (positions ``0 .. n_villages-1``) and then the
cells (``n_villages ..``), in the order of :class:`PreparedInputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bereikbaar._nl import mode_nl, service_nl
from bereikbaar.config import DorpshubSettings, Norm

BUITENGEBIED = "buitengebied"
#: Service kinds that have departures per hour (public transport).
HUB_KINDS = ("station", "bus_hub")
#: A station/bus hub without departures takes them from one of its kind this close (m).
SAME_HUB_M = 50.0
#: The columns of ``DorpshubResult.table`` and of ``dorpshub_villages.csv``, in order.
TABLE_COLUMNS = [
    "gemeente",
    "village_id",
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
    "method_nl",
    "village_id",
    "geometry",
]


# ------------------------------------------------------------------------------ norms
def norm_key(norm: Norm | NormSpec) -> str:
    """``"<service>_<profile>"``: the suffix of a norm's village and cell columns."""
    return f"{norm.service}_{norm.profile}"


def _num_short(x: float) -> str:
    """``15`` → ``"15"``, ``7.5`` → ``"7,5"`` (Dutch decimal comma)."""
    return f"{x:g}".replace(".", ",")


def norm_label(norm: Norm | NormSpec) -> str:
    """The Dutch label of a norm: ``"huisarts ≤ 15 min per fiets"``,
    ``"bushub (≥ 2 vertrekken per uur) ≤ 10 min per fiets"``, ``"apotheek ≤ 20 min te voet"``.
    """
    service = service_nl(norm.service)
    if norm.min_departures_per_hour is not None:
        service += f" (≥ {_num_short(norm.min_departures_per_hour)} vertrekken per uur)"
    mode = mode_nl(norm.profile)
    how = "te voet" + mode.removeprefix("lopen") if mode.startswith("lopen") else f"per {mode}"
    return f"{service} ≤ {_num_short(norm.max_min)} min {how}"


@dataclass(frozen=True)
class NormSpec:
    """One travel-time norm with everything a map, report or workbook needs about it.

    Attributes
    ----------
    key
        ``"<service>_<profile>"``, e.g. ``"gp_bike"``.
    service, profile
        Machine codes of the service kind and travel profile.
    max_min
        The norm: reachable within this many minutes.
    min_departures_per_hour
        For stations and bus hubs: only points with at least this many departures count
        (for *every* profile, see :func:`service_min_departures`); None otherwise.
    source
        Where the norm comes from (config text).
    label_nl
        Dutch label (:func:`norm_label`), e.g. ``"huisarts ≤ 15 min per fiets"``.
    minutes_column, share_column, within_column
        Names of the village columns: minutes from the centre, share of the village's
        residents within the norm (0..1), the centre meets the norm (nullable bool).
    """

    key: str
    service: str
    profile: str
    max_min: float
    min_departures_per_hour: float | None
    source: str
    label_nl: str
    minutes_column: str
    share_column: str
    within_column: str

    @classmethod
    def from_norm(cls, norm: Norm) -> NormSpec:
        """The spec of a configured :class:`~bereikbaar.config.Norm`."""
        key = norm_key(norm)
        return cls(
            key=key,
            service=norm.service,
            profile=norm.profile,
            max_min=float(norm.max_min),
            min_departures_per_hour=norm.min_departures_per_hour,
            source=norm.source,
            label_nl=norm_label(norm),
            minutes_column=f"minutes_{key}",
            share_column=f"share_within_{key}",
            within_column=f"within_{key}",
        )


# ------------------------------------------------------------------------ phase results
@dataclass(frozen=True)
class PreparedInputs:
    """Checked, sorted inputs (phase 0).

    ``villages``: ``village`` (unique label), ``name``, ``place_id``, ``place``, geometry,
    sorted by name and id. ``cells``: ``cell_id``, ``residents``, ``residents_65_plus``,
    geometry, sorted by id. ``services``: ``kind``, ``name``, ``departures_per_hour``
    (twins filled), optional ``source``, geometry. ``pairs``: the (service, profile) pairs
    of the table in order; ``min_departures``: per service kind, the departures per hour a
    point needs to count as that service (for every profile).
    """

    villages: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    norms: tuple[NormSpec, ...]
    pairs: tuple[tuple[str, str], ...]
    min_departures: Mapping[str, float]

    @property
    def n_villages(self) -> int:
        return len(self.villages)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def village_pos(self) -> np.ndarray:
        """Positions of the village centres among the origins."""
        return np.arange(self.n_villages)

    @property
    def cell_pos(self) -> np.ndarray:
        """Positions of the cells among the origins."""
        return np.arange(self.n_villages, self.n_villages + self.n_cells)


@dataclass(frozen=True)
class Snaps:
    """Origins (village centres, then cells) and service points snapped once per network."""

    origins: Mapping[str, Any]
    services: Mapping[str, Any]


@dataclass(frozen=True)
class CellAssignment:
    """Which village each cell belongs to (phase 1).

    ``village``: ``(n_cells,)`` village position, -1 = buitengebied; ``time_s``: seconds
    from the cell to that village (NaN for buitengebied); ``village_residents`` and
    ``village_residents_65_plus`` are sums over each village's own cells.
    """

    village: np.ndarray
    time_s: np.ndarray
    cell_flagged: np.ndarray
    village_flagged: np.ndarray
    village_residents: np.ndarray
    village_residents_65_plus: np.ndarray
    buitengebied: dict[str, Any]
    residents_total: float


@dataclass(frozen=True)
class NearestService:
    """Seconds from every origin to its nearest service point and that point's row
    (in ``PreparedInputs.services``); NaN / -1 where none is reached."""

    time_s: np.ndarray
    service: np.ndarray


@dataclass(frozen=True)
class ServiceTimes:
    """Seconds from every origin to the nearest service, per (service, profile) (phase 2).

    ``departures_per_hour`` holds, for station/bus hub pairs, the departures of the point
    reached. ``missing_kinds``: service kinds with no point at all.
    """

    time_s: Mapping[tuple[str, str], np.ndarray]
    departures_per_hour: Mapping[tuple[str, str], np.ndarray]
    missing_kinds: tuple[str, ...]


@dataclass(frozen=True)
class NormShares:
    """Norms met, shares within, score and rank per village (phase 3).

    ``within_centre`` and ``share_within`` are ``(n_villages, n_norms)``;
    ``share_all_residents`` is ``(n_norms,)``: the share of all residents of the
    municipality (buitengebied included) whose cell lies within the norm.
    """

    within_centre: np.ndarray
    share_within: np.ndarray
    share_all_residents: np.ndarray
    score: np.ndarray
    n_failed: np.ndarray
    failed_norms: np.ndarray
    rank: np.ndarray


@dataclass(frozen=True)
class HubReach:
    """What the hub choice and the what-if need (phase 4).

    ``existing_time_s``: ``(n_origins,)`` seconds to the nearest station/bus hub with enough
    departures by ``hub_profile``; ``cell_within``: ``(n_cells,)`` within ``hub_max_min``
    of one; ``village_minutes``: ``(n_villages, n_villages)`` village→village minutes;
    ``reach``: bool sparse ``(n_villages, n_cells)``, the cell reaches the village within
    ``hub_max_min``; ``frame``: the same pairs as ``cell_id``, ``village``, ``minutes``.
    """

    existing_time_s: np.ndarray
    cell_within: np.ndarray
    village_minutes: np.ndarray
    candidate_ok: np.ndarray
    reach: sp.csr_array
    frame: pd.DataFrame


@dataclass(frozen=True)
class Tables:
    """The output tables (phase 6): villages (worst first), the long table, cells, services."""

    villages: gpd.GeoDataFrame
    table: pd.DataFrame
    cells: gpd.GeoDataFrame
    services: gpd.GeoDataFrame


# ------------------------------------------------------------------------- public results
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
        JSON-ready totals (before, after, gaining; all residents and 65+); with a GTFS
        feed also ``ov``: the rows of :attr:`ov`.
    ov
        With a GTFS feed and key services (``hub_ov_services``): one row per key service,
        residents (and 65+) within its ov norm without a car before and after, reaching it
        via this hub by ``hub_profile`` and ov (columns
        :data:`~bereikbaar.dorpshub._ov_hubs.OV_GAIN_COLUMNS`); else None.
    """

    gemeente: str
    village: str
    villages: pd.DataFrame
    summary: dict[str, Any]
    ov: pd.DataFrame | None = None


@dataclass(frozen=True)
class DorpshubResult:
    """Village access, norms and hub choice for one municipality.

    Attributes
    ----------
    gemeente
        The municipality's name.
    villages
        GeoDataFrame of village centres (points), worst access first: ``village`` (name;
        ``"name (place_id)"`` when two places share a name), ``village_id`` (the place
        id, stable), ``gemeente``, ``place_id``, ``place`` (OSM kind), ``place_nl`` (Dutch
        kind), ``residents``, ``residents_65_plus`` (from the cells assigned to the
        village), ``score`` (0..1, higher = better, see the package docstring),
        ``n_failed_norms``, ``failed_norms`` (``"; "``-joined Dutch labels such as
        ``"huisarts ≤ 15 min per fiets"``), ``rank_gemeente`` (1 = worst),
        ``snap_flagged``, and per norm (see :attr:`norms`) ``minutes_<key>`` (centre to
        nearest service), ``share_within_<key>`` (0..1, NaN without residents) and
        ``within_<key>`` (nullable bool: the centre meets the norm), plus
        ``departures_per_hour_<key>`` of the nearest station/bus hub for hub norms, and
        ``n_services_without_car`` / ``services_without_car`` (services whose walking,
        cycling or ov norm the centre meets; Dutch names ``"; "``-joined).
    table
        Long table with exactly :data:`TABLE_COLUMNS`: one row per village, profile
        (``mode``, machine code) and service (machine code); ``within_norm`` is a
        nullable boolean, NA when there is no norm for that service and profile. Written
        as ``dorpshub_villages.csv``.
    services
        GeoDataFrame of the service points used: ``kind``, ``name``,
        ``departures_per_hour`` (NaN where unknown), ``source`` (when given),
        ``snap_flagged`` (on the ``village_profile`` network), ``geometry``.
    hubs
        GeoDataFrame, one row per chosen hub and method: ``rank``, ``village``,
        ``method`` (``"p_median"``/``"max_coverage"``, and ``"ov_reach"`` with a GTFS
        feed, see :mod:`bereikbaar.dorpshub._ov_hubs`), ``residents_served`` and
        ``villages_served`` (``"; "``-joined) / ``n_villages_served`` — for the p-median
        the villages assigned to the hub, for maximum coverage the villages whose centre
        lies within ``hub_max_min`` —, ``residents_gaining`` and
        ``residents_65_plus_gaining`` (residents newly within ``hub_max_min`` of a hub
        with enough departures, counted once; for ``ov_reach``: newly reaching a key
        service within its ov norm by bike and ov via the hub), ``method_nl`` (Dutch),
        ``village_id``,
        ``geometry``.
    cells
        GeoDataFrame of the municipality's cells: ``cell_id``, ``residents``,
        ``residents_65_plus``, ``village`` (None = buitengebied), ``minutes_to_village``,
        ``snap_flagged``, ``minutes_existing_hub``, ``within_hub_norm`` and per norm
        ``minutes_<key>``.
    buitengebied
        ``{"residents", "residents_65_plus", "cells", "cells_flagged"}``.
    summary
        JSON-ready dict (one rounding rule, :func:`bereikbaar._json.jsonable`).
    assumptions
        Plain-language (Dutch) assumptions shown with every result.
    hub_reach
        DataFrame ``cell_id``, ``village``, ``minutes``: every cell within ``hub_max_min``
        of every village by ``hub_profile``. Used by :func:`what_if_hub`.
    settings
        The settings used.
    what_if
        The what-if for ``settings.what_if_village`` when that names a village of this
        municipality, else None.
    outline
        One-row GeoDataFrame (``gemeente``, geometry): the municipality polygon.
    sources_note
        Data sources text for maps and reports ("" if none).
    norms
        One :class:`NormSpec` per configured norm, in config order.
    profiles, service_kinds
        The modes and services of the table, in config order (``ov`` last when a GTFS
        feed was given).
    ov
        :class:`~bereikbaar.dorpshub._ov.OvAccess` (percentiles per window, no-trip flags,
        stops with departures) when a GTFS feed was given, else None.
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
    outline: gpd.GeoDataFrame = field(repr=False, default_factory=gpd.GeoDataFrame)
    sources_note: str = ""
    norms: tuple[NormSpec, ...] = ()
    profiles: tuple[str, ...] = ()
    service_kinds: tuple[str, ...] = ()
    ov: Any = None
