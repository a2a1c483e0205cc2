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
   at a named village (the Grolloo pilot) and reports who gains. With a GTFS feed a third
   method, ``ov_reach`` (:mod:`bereikbaar.dorpshub._ov_hubs`), chooses the villages from
   which most residents without a car reach the key services
   (``settings.hub_ov_services``: huisartsenpost, hospital, station) within their ov norm
   by cycling to the hub and continuing by public transport, and the what-if reports
   that gain per key service too.

One meaning per service column: ``bus_hub`` (and ``station``) means a hub with at least
the departures per hour its norm asks for, for *every* mode (walking, cycling, e-bike,
car alike); ``bus_stop`` is any bus stop.

One pass of a multi-source shortest-path search is run per (service, profile) for all
villages and cells together, never one per village.

Scores and ranks
----------------
``score`` is the *population-weighted share of norms met*: for each norm the share of the
village's residents within it, averaged over the norms with equal weight. It runs from 0
(nobody meets any norm) to 1 (every resident meets every norm): **higher is better**. A
village without residents of its own (all its cells went to a neighbour) uses its centre
(1 when the centre meets the norm, else 0). ``failed_norms`` lists the norms the village
*centre* misses, in Dutch (``"huisarts ≤ 15 min per fiets"``). ``rank_gemeente`` is 1 for the village with the worst access in the
municipality (lowest score; ties: more failed norms, then more residents, then name).
Scores use the same norms everywhere, so they compare across municipalities:
:func:`rank_villages_across` ranks the villages of several results together.

Structure
---------
:func:`compute_dorpshub` reads like a table of contents; each phase returns a small frozen
dataclass (defined in :mod:`bereikbaar.dorpshub._types`) and can be called on its own:

0. ``prepare_inputs`` → :class:`PreparedInputs`; ``snap_inputs`` → :class:`Snaps`
1. ``assign_cells_to_villages`` → :class:`CellAssignment`
2. ``service_times`` → :class:`ServiceTimes`
3. ``norm_shares`` → :class:`NormShares` (centre within, shares, score, rank)
4. ``hub_reach`` → :class:`HubReach`; 5. ``choose_hubs`` → the ``hubs`` table (with a
   feed also ``ov_hub_reach`` → :class:`OvHubReach`, ``choose_ov_hubs`` →
   :class:`OvHubChoice`)
6. ``build_tables`` → :class:`Tables`; 7. ``what_if_from_tables`` → :class:`WhatIfHub`
8. ``assumptions_nl``; 9. ``build_summary`` (built once, JSON-ready)

Travel times to services come from a ``NearestServiceFn``, ``(profile, service rows) ->
NearestService`` over the origins (village centres, then cells); :class:`RoadTravelTimes`
is the road one, and a public-transport mode plugs in as another.
"""

from bereikbaar.dorpshub._compute import compute_dorpshub, rank_villages_across, what_if_hub
from bereikbaar.dorpshub._cores import (
    assign_cells,
    group_sum,
    hub_gains,
    rank_villages,
    score_villages,
    village_limit_min,
)
from bereikbaar.dorpshub._ov import (
    OV_TABLE_COLUMNS,
    OvAccess,
    OvInputs,
    WithoutCar,
    villages_without_ov_trip,
)
from bereikbaar.dorpshub._ov_hubs import (
    OV_GAIN_COLUMNS,
    OvHubChoice,
    OvHubReach,
    choose_ov_hubs,
    ov_hub_reach,
    ov_what_if,
)
from bereikbaar.dorpshub._phases import (
    NearestServiceFn,
    RoadTravelTimes,
    assign_cells_to_villages,
    choose_hubs,
    hub_reach,
    norm_shares,
    service_points,
    service_times,
    snap_inputs,
)
from bereikbaar.dorpshub._prepare import prepare_inputs, service_min_departures
from bereikbaar.dorpshub._tables import build_summary, build_tables, what_if_from_tables
from bereikbaar.dorpshub._types import (
    BUITENGEBIED,
    HUB_COLUMNS,
    HUB_KINDS,
    SAME_HUB_M,
    TABLE_COLUMNS,
    CellAssignment,
    DorpshubResult,
    HubReach,
    NearestService,
    NormShares,
    NormSpec,
    PreparedInputs,
    ServiceTimes,
    Snaps,
    Tables,
    WhatIfHub,
    norm_key,
    norm_label,
)

__all__ = [
    "BUITENGEBIED",
    "HUB_COLUMNS",
    "HUB_KINDS",
    "SAME_HUB_M",
    "TABLE_COLUMNS",
    "CellAssignment",
    "DorpshubResult",
    "HubReach",
    "NearestService",
    "NearestServiceFn",
    "NormShares",
    "NormSpec",
    "OV_GAIN_COLUMNS",
    "OV_TABLE_COLUMNS",
    "OvAccess",
    "OvHubChoice",
    "OvHubReach",
    "OvInputs",
    "PreparedInputs",
    "RoadTravelTimes",
    "ServiceTimes",
    "Snaps",
    "Tables",
    "WhatIfHub",
    "WithoutCar",
    "assign_cells",
    "assign_cells_to_villages",
    "build_summary",
    "build_tables",
    "choose_hubs",
    "choose_ov_hubs",
    "compute_dorpshub",
    "group_sum",
    "hub_gains",
    "hub_reach",
    "norm_key",
    "norm_label",
    "norm_shares",
    "ov_hub_reach",
    "ov_what_if",
    "prepare_inputs",
    "rank_villages",
    "rank_villages_across",
    "score_villages",
    "service_min_departures",
    "service_points",
    "service_times",
    "snap_inputs",
    "village_limit_min",
    "villages_without_ov_trip",
    "what_if_from_tables",
    "what_if_hub",
]
