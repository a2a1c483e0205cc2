"""Hartveilig: how many residents an AED can reach in time, hour by hour.

*Hartveilig* ("heart-safe") is the Dutch label for a place where a cardiac arrest victim
gets CPR and an AED within six minutes. This module measures, for every populated grid
cell of a municipality (*gemeente*), whether an AED that is available at that hour is
close enough, where the uncovered residents live (*white spots*), where new 24/7 AEDs
would help most, and which indoor AEDs would help most if moved to an outdoor cabinet.

Coverage models (``HartveiligSettings.model``)
-----------------------------------------------
``fetch`` (default)
    A citizen responder (*burgerhulpverlener*) is alerted, walks to the nearest available
    AED and brings it to the victim. The time taken is the alert delay plus the AED→victim
    walking route at the responder speed (profile ``responder_profile``, 2.3 m/s) counted
    twice (to fetch and to bring), which must fit in the budget::

        max one-way route time = (budget_min − alert_delay_min) · 60 / 2  seconds
        6 min budget, 1 min delay → 150 s ≈ 345 m at 2.3 m/s

    The limit always follows from the settings (see :func:`coverage_threshold`).
``route``
    The AED→victim route time at profile ``route_profile`` is at most ``route_max_min``.
``radius``
    The straight-line distance from the AED to the cell centre is at most ``radius_m``
    (HartslagNu's 500 m circles); roads are ignored.
``responder``
    Registered citizen responders are alerted from home and bring an AED: the probability
    that an AED is on scene within the budget (see :mod:`bereikbaar.responder`). A cell is
    covered when that probability is at least ``responders.white_spot_probability``;
    ``minutes_<moment>`` is then the median time from the call to the first AED.

A cell is *covered at an hour* when at least one counted AED that is available in that
hour lies within the limit. Cells farther than ``max_snap_m`` from any road (*flagged*) are
never covered in any model, and their residents are reported as ``residents_unroutable``.

Availability and approximate locations
--------------------------------------
Each AED carries ``open_hours``, 168 characters ``0``/``1`` (hour index = weekday·24 +
hour, Monday 00:00 = 0), and ``availability_status`` (``24/7``, ``limited``, ``unknown``).
AEDs with unknown hours are treated as always closed or always open, as
``settings.unknown_availability`` says. AEDs placed only by postcode
(``location_quality == "postcode"``) do not count for coverage unless
``settings.approximate_aeds == "include"``; every summary states how many residents they
would add, so coverage is a range.

Minutes
-------
``minutes_<moment>`` is the one-way route time, in minutes, from the nearest counted AED
available at that moment to the cell centre (AED→victim, the leg the responder walks with
the AED), at the responder profile for ``fetch`` and ``route_profile`` otherwise. Beyond
``MINUTES_CUTOFF_MIN`` (30 min) it is NaN, shown on maps as "> 30 min".

Phases
------
:func:`compute_hartveilig` reads like a table of contents; each phase lives in
:mod:`bereikbaar.coverage`, :mod:`bereikbaar.white_spots` or :mod:`bereikbaar.aed_sites`
and returns a small frozen dataclass: cells and snapping (``CellSet``), AEDs
(``AedSet``), coverage by hour (``HourlyCoverage``), minutes per moment
(``MomentMinutes``), white spots, proposals (``Proposals``), relocations, speed
sensitivity (``SpeedSensitivity``), straight line vs route (``StraightVsRoute``) and the
summary, built once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bereikbaar._crs import RD_NEW, common_crs
from bereikbaar.aed_sites import (
    PROPOSAL_COLUMNS,
    RELOCATION_COLUMNS,
    Proposals,
    propose_sites,
    relocate_aeds,
)
from bereikbaar.config import HartveiligSettings, Moment, TravelProfile
from bereikbaar.coverage import (
    AED_STATUSES,
    HOURS_PER_WEEK,
    MINUTES_CUTOFF_MIN,
    AedSet,
    CellSet,
    CoverageThreshold,
    HourlyCoverage,
    MomentMinutes,
    SpeedSensitivity,
    StraightVsRoute,
    aed_cell_pairs,
    availability_matrix,
    coverage_by_hour,
    coverage_threshold,
    hour_of_week,
    hourly_coverage,
    minutes_per_moment,
    minutes_profile,
    prepare_aeds,
    profile_named,
    sensitivity_cutoff_m,
    snap_cells,
    speed_sensitivity,
    straight_vs_route,
)
from bereikbaar.errors import ConfigError, InputError, check_crs
from bereikbaar.responder import (
    ResponderCoverage,
    ResponderRates,
    responder_coverage,
    responder_rates,
    responder_sites,
    responders_or_aeds,
)
from bereikbaar.white_spots import (
    WHITE_SPOT_COLUMNS,
    find_white_spots,
    find_white_spots_by_moment,
    label_grid_clusters,
)

log = logging.getLogger(__name__)

__all__ = [
    "AED_STATUSES",
    "HOURS_PER_WEEK",
    "MINUTES_CUTOFF_MIN",
    "PROPOSAL_COLUMNS",
    "RELOCATION_COLUMNS",
    "WHITE_SPOT_COLUMNS",
    "CoverageModel",
    "CoverageThreshold",
    "HartveiligResult",
    "availability_matrix",
    "compute_hartveilig",
    "coverage_by_hour",
    "coverage_model",
    "coverage_threshold",
    "describe_model",
    "find_white_spots",
    "hour_of_week",
    "label_grid_clusters",
]


def _num(x: float, digits: int = 1, *, nl: bool = True) -> str:
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"
    return text.replace(".", ",") if nl else text


def describe_model(
    settings: HartveiligSettings, profiles: Mapping[str, TravelProfile], *, language: str = "nl"
) -> str:
    """The sentence shown on maps that says when a cell counts as covered.

    Parameters
    ----------
    language
        ``"nl"`` (default, for the maps) or ``"en"``.
    """
    thr = coverage_threshold(settings, profiles)
    nl = language == "nl"
    if language not in ("nl", "en"):
        raise ConfigError(f"language must be 'nl' or 'en', got {language!r}")
    if thr.model == "radius":
        r = _num(thr.max_distance_m, 0, nl=nl)
        if nl:
            return f"Gedekt: een AED binnen {r} m hemelsbreed van het midden van de cel."
        return f"Covered: an AED within {r} m in a straight line of the cell centre."
    if thr.model == "responder":
        return _describe_responder(settings, nl=nl)
    prof = profiles[thr.profile]
    speed = prof.speed_mps
    dist = "" if thr.max_distance_m is None else f" ≈ {_num(thr.max_distance_m, 0, nl=nl)} m"
    secs = _num(thr.max_time_s, 0, nl=nl)
    if thr.model == "fetch":
        budget = _num(settings.budget_min, 1, nl=nl)
        delay = _num(settings.alert_delay_min, 1, nl=nl)
        v = _num(speed, 1, nl=nl)
        if nl:
            return (
                f"Gedekt: een burgerhulpverlener haalt de dichtstbijzijnde beschikbare AED en "
                f"brengt die binnen {budget} min bij het slachtoffer ({delay} min alarmering, "
                f"daarna heen en terug lopen met {v} m/s): de AED ligt hooguit {secs} s"
                f"{dist} over de weg van het midden van de cel."
            )
        return (
            f"Covered: a citizen responder fetches the nearest available AED and brings it to "
            f"the victim within {budget} min ({delay} min alert delay, then walking there and "
            f"back at {v} m/s): the AED is at most {secs} s{dist} by road from the cell centre."
        )
    label = prof.label or prof.name
    mins = _num(settings.route_max_min, 1, nl=nl)
    if nl:
        return (
            f"Gedekt: een beschikbare AED ligt binnen {mins} min ({label}){dist} over de weg "
            f"van het midden van de cel."
        )
    return (
        f"Covered: an available AED within {mins} min ({label}){dist} by road of the cell centre."
    )


def _describe_responder(settings: HartveiligSettings, *, nl: bool) -> str:
    rs = settings.responders
    budget = _num(settings.budget_min, 1, nl=nl)
    p = f"{rs.white_spot_probability:.0%}"
    walk, bike = _num(rs.walk_speed_mps, 1, nl=nl), _num(rs.bike_speed_mps, 1, nl=nl)
    if nl:
        return (
            f"Gedekt: de kans is minstens {p} dat een burgerhulpverlener binnen {budget} min "
            f"na de melding een AED bij het slachtoffer heeft (van huis via een beschikbare "
            f"AED, lopend {walk} m/s of fietsend {bike} m/s)."
        )
    return (
        f"Covered: a chance of at least {p} that a citizen responder brings an AED to the "
        f"victim within {budget} min of the call (from home via an available AED, on foot "
        f"at {walk} m/s or by bike at {bike} m/s)."
    )


@dataclass(frozen=True)
class CoverageModel:
    """What "binnen bereik" means, for maps and reports.

    Attributes
    ----------
    name
        ``fetch``, ``route``, ``radius`` or ``responder``.
    threshold_min
        A cell is covered iff its ``minutes_<moment>`` ≤ ``threshold_min`` (unrounded);
        None for ``radius`` (straight line, not minutes) and ``responder`` (covered iff
        ``probability_<moment>`` ≥ ``responders.white_spot_probability``).
    budget_min
        ``fetch``: the budget from the 112 call (6 min); ``route``: ``route_max_min``;
        ``radius``: None.
    description_nl
        One plain-Dutch sentence saying when a cell counts as covered.
    unknown_availability
        ``closed`` or ``open``: how AEDs with unknown hours were treated.
    """

    name: str
    threshold_min: float | None
    budget_min: float | None
    description_nl: str
    unknown_availability: str


def coverage_model(
    settings: HartveiligSettings, profiles: Mapping[str, TravelProfile]
) -> CoverageModel:
    """The :class:`CoverageModel` that follows from the settings."""
    thr = coverage_threshold(settings, profiles)
    if thr.model == "fetch":
        speed = _num(profiles[thr.profile].speed_mps, 1)
        text = (
            f"Binnen bereik: een burgerhulpverlener kan binnen {_num(settings.budget_min)} "
            f"minuten na de melding een AED bij het slachtoffer hebben (AED halen en terug, "
            f"{speed} m/s)."
        )
        budget = float(settings.budget_min)
    elif thr.model == "responder":
        text = (
            f"Binnen bereik: de kans is minstens "
            f"{settings.responders.white_spot_probability:.0%} dat een burgerhulpverlener "
            f"binnen {_num(settings.budget_min)} minuten na de melding een AED bij het "
            f"slachtoffer heeft (van huis via een beschikbare AED, lopend of fietsend)."
        )
        budget = float(settings.budget_min)
    elif thr.model == "route":
        prof = profiles[thr.profile]
        text = (
            f"Binnen bereik: een beschikbare AED ligt binnen {_num(settings.route_max_min)} "
            f"minuten over de weg ({prof.label or prof.name})."
        )
        budget = float(settings.route_max_min)
    else:
        text = (
            f"Binnen bereik: een AED ligt binnen {_num(thr.max_distance_m, 0)} m hemelsbreed "
            f"van het midden van de cel."
        )
        budget = None
    return CoverageModel(
        name=thr.model,
        threshold_min=None
        if thr.max_time_s is None or thr.model == "responder"
        else thr.max_time_s / 60.0,
        budget_min=budget,
        description_nl=text,
        unknown_availability=settings.unknown_availability,
    )


# ------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class HartveiligResult:
    """AED coverage of one municipality.

    Attributes
    ----------
    gemeente
        Municipality name.
    moments
        The moments analysed; ``hour_of_week(moment)`` is its column in ``hourly_covered``.
    cell_size_m
        Population grid cell size (m).
    cells
        Cell centroids (input index kept): ``cell_id``, ``residents``,
        ``residents_65_plus``, ``snap_distance_m``, ``flagged`` (farther than
        ``max_snap_m`` from a road: never covered), per moment ``minutes_<name>`` (one-way
        AED→cell route minutes from the nearest available counted AED, NaN beyond 30 min)
        and ``covered_<name>`` (the summary's decision), and ``weekly_share`` (share of the
        168 hours covered, 0..1).
    white_spots
        Polygons of contiguous uncovered populated cells per moment (see
        :func:`find_white_spots`), with ``distance_nearest_available_aed_m``.
    aeds
        The AED rows used (AED schema) plus ``in_gemeente``, ``snap_distance_m``,
        ``counts`` (used for coverage) and ``open_<moment>`` (available at that moment).
    proposals
        New 24/7 AED sites in greedy order: ``rank``, ``kind``, ``name``, ``address``,
        ``near``, ``gain_residents``, ``gain_residents_65_plus``,
        ``cumulative_residents``, geometry.
    relocations
        Limited-hours AEDs in the municipality whose move to a 24/7 outdoor cabinet at the
        same spot gains most: ``rank``, ``aed_id``, ``name``, ``address``, ``near``,
        ``current_availability``, ``to``, ``gain_residents``, ``cumulative_residents``,
        geometry.
    summary
        JSON-ready dict (see :func:`compute_hartveilig`).
    assumptions
        Sentences to show with every map and table.
    outline
        The municipality polygon: one row, ``gemeente`` and geometry (in the working CRS,
        e.g. EPSG:28992).
    sources_note
        Data sources text for maps and reports ("" if none).
    model
        The :class:`CoverageModel` (what "binnen bereik" means).
    hourly_covered
        Bool ``(n_cells, 168)``: row i is ``cells.iloc[i]``, column h = weekday·24 + hour.
    hourly_residents_covered
        ``(168,)`` residents covered per hour of the week.
    hourly_residents_covered_with_approximate
        ``(168,)`` the same when AEDs placed only by postcode also count.
    hourly_probability
        ``responder`` model only (else None): float32 ``(n_cells, 168)`` probability that an
        AED is on scene within the budget; ``hourly_covered`` is it ≥ the threshold.
    responders_or_aeds
        ``responder`` model only (else None): expected residents covered at the proposal
        moment now, with +25% / +50% responders and with +5 / +10 new 24/7 AEDs
        (:data:`bereikbaar.responder.RESPONDERS_OR_AEDS_COLUMNS`).
    """

    gemeente: str
    moments: tuple[Moment, ...]
    cell_size_m: float
    cells: gpd.GeoDataFrame
    white_spots: gpd.GeoDataFrame
    aeds: gpd.GeoDataFrame
    proposals: gpd.GeoDataFrame
    relocations: gpd.GeoDataFrame
    summary: dict[str, Any]
    assumptions: tuple[str, ...]
    outline: gpd.GeoDataFrame | None = None
    sources_note: str = ""
    model: CoverageModel | None = None
    hourly_covered: np.ndarray | None = None
    hourly_residents_covered: np.ndarray | None = None
    hourly_residents_covered_with_approximate: np.ndarray | None = None
    hourly_probability: np.ndarray | None = None
    responders_or_aeds: pd.DataFrame | None = None


# ------------------------------------------------------------------------- the phases
@dataclass(frozen=True, eq=False)
class WhiteSpots:
    """White spots of every moment in one table, and per moment."""

    table: gpd.GeoDataFrame
    per_moment: Mapping[str, gpd.GeoDataFrame]


@dataclass(frozen=True, eq=False)
class _Run:
    """What every phase of one run shares: network, settings and what follows from them."""

    net: Any
    settings: HartveiligSettings
    profiles: Mapping[str, TravelProfile]
    thr: CoverageThreshold
    model: CoverageModel
    moments: tuple[Moment, ...]
    responder: TravelProfile | None  # None: no walking responder profile, no sensitivity
    minutes_profile: TravelProfile
    places: gpd.GeoDataFrame | None
    max_snap_m: float
    rates: ResponderRates | None  # the responder model's rates (None for other models)

    @classmethod
    def make(cls, net, settings, profiles, *, places, max_snap_m: float) -> _Run:
        moments = tuple(settings.moments)
        if not moments:
            raise ConfigError("hartveilig.moments is empty; give at least one moment")
        return cls(
            net=net,
            settings=settings,
            profiles=profiles,
            thr=coverage_threshold(settings, profiles),
            model=coverage_model(settings, profiles),
            moments=moments,
            responder=_responder(settings, profiles),
            minutes_profile=minutes_profile(settings, profiles),
            places=places,
            max_snap_m=float(max_snap_m),
            rates=responder_rates(settings) if settings.model == "responder" else None,
        )


def _responder(settings: HartveiligSettings, profiles) -> TravelProfile | None:
    """The responder profile; the fetch model needs it, the others only for the speed
    sensitivity, which is skipped when the profile is missing or not a walking one."""
    if settings.model in ("fetch", "responder"):
        return profile_named(profiles, settings.responder_profile, "responder_profile")
    prof = profiles.get(settings.responder_profile)
    if prof is None or prof.network != "walk" or prof.speed_mps is None:
        log.warning(
            "hartveilig.responder_profile %r is not a walking profile: no speed sensitivity",
            settings.responder_profile,
        )
        return None
    return prof


def _check_inputs(cells, aeds, places, candidates, walk_network) -> None:
    common_crs(  # one working CRS (RD New in NL), taken from the inputs
        (cells, "the population cells"),
        (aeds, "the AED points"),
        (places, "the places"),
        (candidates, "the AED candidate sites"),
        (walk_network, "the walk network"),
    )
    if "residents" not in cells:
        raise InputError("the population cells lack the column 'residents'", column="residents")
    for col in ("availability_status", "open_hours"):
        if col not in aeds:
            raise InputError(f"the AED table lacks the column {col!r} (AED schema)", column=col)


def _outline(gemeente: str, outline, area, cells: gpd.GeoDataFrame, size: float):
    if outline is not None:
        check_crs(outline, cells.crs or RD_NEW, what="the municipality outline")
        return outline
    if area is None:  # no polygon given: the box around the cell squares
        x0, y0, x1, y1 = cells.total_bounds if len(cells) else (0.0, 0.0, 0.0, 0.0)
        area = shapely.box(x0 - size / 2, y0 - size / 2, x1 + size / 2, y1 + size / 2)
    return gpd.GeoDataFrame({"gemeente": [gemeente]}, geometry=[area], crs=cells.crs or RD_NEW)


def _aed_table(aeds: AedSet, moments) -> gpd.GeoDataFrame:
    table = aeds.table.copy()
    for m in moments:
        table[f"open_{m.name}"] = aeds.availability[:, hour_of_week(m)]
    return table


def _cell_table(
    cells_in: gpd.GeoDataFrame,
    cells: CellSet,
    hourly: HourlyCoverage,
    minutes: MomentMinutes,
    moments,
    resp: ResponderCoverage | None = None,
) -> gpd.GeoDataFrame:
    columns: dict[str, Any] = {
        "cell_id": cells_in["cell_id"].to_numpy() if "cell_id" in cells_in else np.arange(cells.n),
        "residents": cells.residents,
        "residents_65_plus": cells.residents_65_plus,
        "snap_distance_m": np.asarray(cells.snap.snap_distance_m, dtype=float),
        "flagged": cells.flagged,
    }
    for m in moments:
        h = hour_of_week(m)
        if resp is None:
            columns[f"minutes_{m.name}"] = minutes.minutes[m.name]
        else:
            columns[f"minutes_{m.name}"] = resp.minutes[m.name]
            columns[f"probability_{m.name}"] = resp.probability[:, h].astype(float)
        columns[f"covered_{m.name}"] = hourly.covered[:, h].copy()
    columns["weekly_share"] = hourly.weekly_share
    if resp is not None:
        columns["probability_weekly_mean"] = resp.probability.mean(axis=1, dtype=float)
    return gpd.GeoDataFrame(
        columns, geometry=cells_in.geometry.to_numpy(), index=cells_in.index, crs=cells_in.crs
    )


def _white_spots(run: _Run, cell_table, hourly, aeds: AedSet, *, cell_size_m) -> WhiteSpots:
    """Phase: the white spots of every moment (see :func:`find_white_spots`)."""
    moments, places = run.moments, run.places
    available = aeds.available()
    per_moment = find_white_spots_by_moment(
        cell_table,
        {m.name: ~hourly.covered[:, hour_of_week(m)] for m in moments},
        cell_size_m=cell_size_m,
        places=places,
        aeds=aeds.table,
        available={m.name: available[:, hour_of_week(m)] for m in moments},
    )
    non_empty = [s for s in per_moment.values() if len(s)]
    table = (
        gpd.GeoDataFrame(
            pd.concat(non_empty, ignore_index=True), geometry="geometry", crs=cell_table.crs
        )
        if non_empty
        else next(iter(per_moment.values()))
    )
    return WhiteSpots(table=table, per_moment=per_moment)


def _pick_moment(moments, name, residents_covered) -> Moment:
    if name is not None:
        for m in moments:
            if m.name == name:
                return m
        raise ConfigError(
            f"proposal_moment {name!r} is not one of the moments: "
            f"{', '.join(m.name for m in moments)}"
        )
    for m in moments:
        if m.name == "night":
            return m
    return min(moments, key=lambda m: (residents_covered[m.name], hour_of_week(m)))


def _weights(cells: CellSet, settings: HartveiligSettings) -> np.ndarray:
    w = cells.residents + settings.weight_65_plus * np.nan_to_num(cells.residents_65_plus)
    return np.where(cells.routable, w, 0.0)


@dataclass(frozen=True, eq=False)
class Coverage:
    """Coverage by the hour, the fetch model's wider pairs (for the speed sensitivity) and,
    for the responder model, its probabilities and minutes."""

    hourly: HourlyCoverage
    wide_pairs: Any
    responder: ResponderCoverage | None


def _coverage(run: _Run, cells: CellSet, aeds: AedSet) -> Coverage:
    """Phase: the AED→cell pairs and coverage by the hour, for the chosen model."""
    pairs, wide = _coverage_pairs(run, cells, aeds)
    log.debug("%d AED→cell pairs within the limit", len(pairs.source))
    if run.thr.model != "responder":
        return Coverage(hourly_coverage(pairs, cells, aeds), wide, None)
    resp = responder_coverage(
        pairs, cells, aeds, run.moments, rates=run.rates,
        metres_per_s=run.profiles[run.thr.profile].speed_mps,
        threshold=run.settings.responders.white_spot_probability,
    )  # fmt: skip
    return Coverage(resp.hourly, wide, resp)


def _coverage_pairs(run: _Run, cells: CellSet, aeds: AedSet):
    """The model's AED→cell pairs and, for the fetch model, the wider pairs the speed
    sensitivity needs (one routing for both; None for other models)."""
    thr, settings = run.thr, run.settings
    if thr.model != "fetch" or not settings.sensitivity_speeds_mps:
        return aed_cell_pairs(run.net, cells, aeds, thr=thr, profiles=run.profiles), None
    cutoff = max(thr.limit, sensitivity_cutoff_m(settings) / run.responder.speed_mps)
    wide = aed_cell_pairs(run.net, cells, aeds, thr=thr, profiles=run.profiles, cutoff=cutoff)
    return wide.within(thr.limit), wide


@dataclass(frozen=True, eq=False)
class Sites:
    """Proposals and relocations, both optimised for ``moment``."""

    moment: Moment
    proposals: Proposals
    relocations: gpd.GeoDataFrame
    table: pd.DataFrame | None = None  # responder model: the "responders or AEDs" table


def _responder_sites(run: _Run, candidates, cells, aeds, resp, pm: Moment, weights) -> Sites:
    """The responder model's proposals and relocations (largest expected gain) and its
    "responders or AEDs" table."""
    found = responder_sites(
        run.net, candidates, settings=run.settings, profile=run.profiles[run.thr.profile],
        cells=cells, aeds=aeds, cov=resp, rates=run.rates, weights=weights,
        hour=hour_of_week(pm), places=run.places, max_snap_m=run.max_snap_m,
    )  # fmt: skip
    table = responders_or_aeds(resp, cells, found, gemeente="", moment=pm)
    return Sites(pm, Proposals(found.proposals, None), found.relocations, table)


def _sites(
    run: _Run, candidates, cells: CellSet, aeds: AedSet, hourly, *, moment, ilp, resp=None
) -> Sites:
    """Phase: new 24/7 AED sites and relocations at the proposal moment."""
    covered_at = {m.name: float(hourly.residents_covered[hour_of_week(m)]) for m in run.moments}
    pm = _pick_moment(run.moments, moment, covered_at)
    base = hourly.covered[:, hour_of_week(pm)].copy()
    weights = _weights(cells, run.settings)
    if resp is not None:
        return _responder_sites(run, candidates, cells, aeds, resp, pm, weights)
    proposals = propose_sites(
        run.net, candidates, settings=run.settings, thr=run.thr, profiles=run.profiles,
        cells=cells, weights=weights, base=base, places=run.places,
        max_snap_m=run.max_snap_m, check_with_ilp=ilp,
    )  # fmt: skip
    relocations = relocate_aeds(
        aeds, hourly.incidence, settings=run.settings, cells=cells, weights=weights,
        base=base, places=run.places,
    )  # fmt: skip
    return Sites(pm, proposals, relocations)


def _checks(run: _Run, cells: CellSet, aeds: AedSet, cov: Coverage, minutes):
    """Phase: the fetch model at other responder speeds, and straight line against route."""
    sensitivity = speed_sensitivity(
        run.net, cells, aeds, run.moments, settings=run.settings,
        walk_profile=run.responder, pairs=cov.wide_pairs,
    )  # fmt: skip
    return sensitivity, straight_vs_route(cells, aeds, run.moments, minutes)


def compute_hartveilig(
    *,
    gemeente: str,
    cells: gpd.GeoDataFrame,
    aeds: gpd.GeoDataFrame,
    walk_network,
    places: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    settings: HartveiligSettings,
    profiles: Mapping[str, TravelProfile],
    max_snap_m: float = 500.0,
    area=None,
    cell_size_m: float | None = None,
    proposal_moment: str | None = None,
    check_with_ilp: bool = False,
    outline: gpd.GeoDataFrame | None = None,
    sources_note: str = "",
) -> HartveiligResult:
    """AED coverage by the hour, white spots, proposals and relocations for a gemeente.

    Parameters
    ----------
    gemeente
        Municipality name (for the summary and to tell its own AEDs when ``area`` is None).
    cells
        Population cell centroids of the municipality (the working CRS, RD New in NL): ``cell_id``,
        ``residents``, ``residents_65_plus`` (NaN allowed); ``attrs["cell_size_m"]``.
    aeds
        AEDs in the municipality and a halo around it (AED schema, the same CRS).
    walk_network
        The walk :class:`~bereikbaar.network.Network` covering cells and AEDs.
    places
        Place points (``name``) for naming white spots, proposals and relocations.
    candidates
        POIs (``kind``, ``name``, optional ``tags``) where a new AED could hang; only
        ``settings.candidate_kinds`` are used. Street nodes are added when
        ``settings.candidate_street_nodes``.
    settings, profiles
        Hartveilig settings and the travel profiles they name.
    max_snap_m
        Points farther from a road are flagged and not routed (m).
    area
        Optional municipality polygon: AEDs within it are ``in_gemeente``. Without it the
        ``in_gemeente`` column is used if present, else ``gemeente`` equal to ``gemeente``.
    cell_size_m
        Grid cell size (m); default ``cells.attrs["cell_size_m"]`` or inferred.
    proposal_moment
        Name of the moment new AEDs and relocations are optimised for. Default ``night``
        when that moment exists, else the moment with the fewest residents covered: new
        AEDs are 24/7 outdoor cabinets, so they matter most when indoor AEDs are closed.
    check_with_ilp
        Also solve the proposals exactly (:func:`bereikbaar.siting.max_coverage_ilp`) and
        report both objectives in ``summary["proposals_check"]``; for small ``n_proposals``.
    outline, sources_note
        The municipality outline (one row, ``gemeente``, geometry; default ``area``, or the
        box around the cells without it) and the data sources text, kept for maps and reports.

    Returns
    -------
    HartveiligResult
        ``summary`` holds ``gemeente``, ``residents``, ``residents_65_plus``,
        ``residents_unroutable``, ``aeds`` {total, 24_7, limited, unknown, outside_used,
        approximate}, ``moments`` {name: {label, hour_of_week, residents_covered,
        share_covered, residents_covered_exact, residents_covered_with_approximate,
        share_covered_with_approximate, residents_added_by_approximate}},
        ``weekly_share_mean`` (residents-weighted), ``white_spots`` {moment: {count,
        residents}}, ``proposal_moment``, ``proposals`` and ``relocations`` (lists of
        rows), ``sensitivity`` (fetch model at the low/median/high responder speeds),
        ``straight_vs_route``, ``settings`` and ``assumptions``.
    """
    _check_inputs(cells, aeds, places, candidates, walk_network)
    run = _Run.make(walk_network, settings, profiles, places=places, max_snap_m=max_snap_m)
    cell_set = snap_cells(walk_network, cells, max_snap_m=max_snap_m, cell_size_m=cell_size_m)
    aed_set = prepare_aeds(walk_network, aeds, gemeente=gemeente, area=area, settings=settings,
                           max_snap_m=max_snap_m)  # fmt: skip
    cov = _coverage(run, cell_set, aed_set)
    hourly, resp = cov.hourly, cov.responder
    minutes = minutes_per_moment(walk_network, cell_set, aed_set, run.moments,
                                 profile=run.minutes_profile)  # fmt: skip
    cell_table = _cell_table(cells, cell_set, hourly, minutes, run.moments, resp)
    spots = _white_spots(run, cell_table, hourly, aed_set, cell_size_m=cell_set.cell_size_m)
    sites = _sites(run, candidates, cell_set, aed_set, hourly, moment=proposal_moment,
                   ilp=check_with_ilp, resp=resp)  # fmt: skip
    if sites.table is not None:
        sites.table["gemeente"] = gemeente
    sensitivity, distances = _checks(run, cell_set, aed_set, cov, minutes)
    assumptions = _assumptions(run, sites.moment, aed_set, cell_set)
    summary = _summary(run, gemeente=gemeente, cells=cell_set, aeds=aed_set, hourly=hourly,
                       spots=spots, sites=sites, sensitivity=sensitivity, distances=distances,
                       assumptions=assumptions, resp=resp)  # fmt: skip
    _log_coverage(gemeente, cell_set, hourly, run.moments)
    return HartveiligResult(
        gemeente=gemeente, moments=run.moments, cell_size_m=cell_set.cell_size_m,
        cells=cell_table, white_spots=spots.table, aeds=_aed_table(aed_set, run.moments),
        proposals=sites.proposals.table, relocations=sites.relocations, summary=summary,
        assumptions=assumptions, model=run.model,
        outline=_outline(gemeente, outline, area, cells, cell_set.cell_size_m),
        sources_note=sources_note or "", responders_or_aeds=sites.table, **_hourly_fields(cov),
    )  # fmt: skip


def _hourly_fields(cov) -> dict[str, Any]:
    """The result's hour-of-week arrays, from the coverage phase."""
    hourly, resp = cov.hourly, cov.responder
    return {
        "hourly_covered": hourly.covered,
        "hourly_residents_covered": hourly.residents_covered,
        "hourly_residents_covered_with_approximate": hourly.residents_covered_with_approximate,
        "hourly_probability": None if resp is None else resp.probability,
    }


def _log_coverage(gemeente: str, cells: CellSet, hourly: HourlyCoverage, moments) -> None:
    total = float(cells.residents.sum())
    covered_at = {m.name: float(hourly.residents_covered[hour_of_week(m)]) for m in moments}
    log.info(
        "%s: %s residents, covered %s",
        gemeente,
        f"{total:.0f}",
        ", ".join(f"{k} {v / total:.0%}" if total else k for k, v in covered_at.items()),
    )


# ------------------------------------------------------------------------ the summary
def _r(x: float, digits: int = 1) -> float:
    return float(round(float(x), digits))


def _share(part: float, total: float) -> float:
    return _r(part / total, 4) if total else 0.0


def _rows(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in pd.DataFrame(gdf.drop(columns="geometry")).to_dict("records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, float | np.floating):
                v = None if math.isnan(v) else _r(v)
            elif v is pd.NA or v is None:
                v = None
            row[k] = v
        out.append(row)
    return out


def _aed_counts(aeds: AedSet) -> dict[str, int]:
    in_g = aeds.in_gemeente
    st_in = aeds.status[in_g]
    return {
        "total": int(in_g.sum()),
        "24_7": int((st_in == "24/7").sum()),
        "limited": int((st_in == "limited").sum()),
        "unknown": int((st_in == "unknown").sum()),
        "outside_used": int((~in_g & aeds.counts).sum()),
        "approximate": int((aeds.approximate & in_g).sum()),
    }


def _moment_summary(
    m: Moment, hourly: HourlyCoverage, total: float, resp: ResponderCoverage | None = None
) -> dict[str, Any]:
    """One moment's numbers; for the responder model the residents covered are expected
    (Σ residents × probability) and ``residents_above_threshold`` adds the count over the
    cells whose probability reaches the threshold (``covered_<moment>``)."""
    h = hour_of_week(m)
    covered = float(hourly.residents_covered[h])
    exact = float(hourly.residents_covered_exact[h])
    every = float(hourly.residents_covered_with_approximate[h])
    extra = {}
    if resp is not None:
        extra = {
            "residents_above_threshold": _r(covered),
            "share_above_threshold": _share(covered, total),
        }
        covered = float(resp.expected_residents[h])
        exact = float(resp.expected_residents_exact[h])
        every = float(resp.expected_residents_with_approximate[h])
    return extra | {
        "label": m.label or m.name,
        "hour_of_week": h,
        "residents_covered": _r(covered),
        "share_covered": _share(covered, total),
        "residents_covered_exact": _r(exact),
        "residents_covered_with_approximate": _r(every),
        "share_covered_with_approximate": _share(every, total),
        "residents_added_by_approximate": _r(every - exact),
    }


def _sensitivity_summary(s: SpeedSensitivity, settings, total: float) -> dict[str, Any]:
    return {
        "model": "fetch",
        "source": settings.sensitivity_source,
        "speeds_mps": list(s.speeds_mps),
        "max_route_m": [_r(d) for d in s.max_route_m],
        "moments": {
            name: {
                "residents_covered": [_r(r) for r in res],
                "share_covered": [_share(r, total) for r in res],
            }
            for name, res in s.residents_covered.items()
        },
    }


def _distance_summary(d: StraightVsRoute, total: float) -> dict[str, Any]:
    def shares(values):
        return {
            f"{dist:g}": _share(v, total) for dist, v in zip(d.distances_m, values, strict=True)
        }

    return {
        "distances_m": list(d.distances_m),
        "moments": {
            name: {
                "straight": shares(d.within_straight[name]),
                "route": None if d.within_route is None else shares(d.within_route[name]),
                "median_route_to_straight": None
                if d.median_ratio[name] is None
                else _r(d.median_ratio[name], 3),
                "n_cells_ratio": d.n_ratio_cells[name],
            }
            for name in d.within_straight
        },
    }


def _settings_summary(settings: HartveiligSettings, profiles, thr) -> dict[str, Any]:
    speed = None
    if settings.responder_profile in profiles:
        speed = _r(profiles[settings.responder_profile].speed_mps or float("nan"), 3)
    return {
        "model": settings.model,
        "budget_min": settings.budget_min,
        "alert_delay_min": settings.alert_delay_min,
        "responder_speed_mps": speed,
        "responder_profile": settings.responder_profile,
        "max_route_s": thr.max_time_s,
        "max_route_m": None if thr.max_distance_m is None else _r(thr.max_distance_m),
        "radius_m": settings.radius_m if settings.model == "radius" else None,
        "unknown_availability": settings.unknown_availability,
        "approximate_aeds": settings.approximate_aeds,
        "weight_65_plus": settings.weight_65_plus,
    }


def _summary(
    run: _Run, *, gemeente, cells: CellSet, aeds: AedSet, hourly, spots: WhiteSpots,
    sites: Sites, sensitivity, distances, assumptions, resp=None,
) -> dict[str, Any]:  # fmt: skip
    """Phase: the JSON-ready summary, built once from the phases' results."""
    settings, moments, proposals = run.settings, run.moments, sites.proposals
    res, r65 = cells.residents, cells.residents_65_plus
    total = float(res.sum())
    summary: dict[str, Any] = {
        "gemeente": gemeente,
        "residents": _r(total),
        "residents_65_plus": _r(np.nansum(r65)) if np.any(~np.isnan(r65)) else None,
        "residents_unroutable": _r(res[cells.flagged].sum()),
        "aeds": _aed_counts(aeds),
        "moments": {m.name: _moment_summary(m, hourly, total, resp) for m in moments},
        "weekly_share_mean": _share(float((_weekly(hourly, resp) * res).sum()), total),
        "white_spots": {
            name: {"count": int(len(s)), "residents": _r(s["residents"].sum()) if len(s) else 0.0}
            for name, s in spots.per_moment.items()
        },
        "proposal_moment": sites.moment.name,
        "proposals": _rows(proposals.table),
        "relocations": _rows(sites.relocations),
        "sensitivity": _sensitivity_summary(sensitivity, settings, total),
        "straight_vs_route": _distance_summary(distances, total),
        "settings": _settings_summary(settings, run.profiles, run.thr),
        "assumptions": list(assumptions),
    }
    if proposals.check is not None:
        summary["proposals_check"] = proposals.check
    if resp is not None:
        summary["responders_or_aeds"] = _responders_or_aeds_summary(sites.table)
        summary["responders"] = _responder_settings_summary(settings)
    return summary


def _weekly(hourly: HourlyCoverage, resp: ResponderCoverage | None) -> np.ndarray:
    """Per cell: the share of the week covered, or for the responder model the mean
    probability over the 168 hours (so the summary's weekly mean is expected)."""
    return hourly.weekly_share if resp is None else resp.probability.mean(axis=1, dtype=float)


def _responders_or_aeds_summary(table: pd.DataFrame) -> dict[str, Any]:
    rows = table.to_dict("records")
    return {
        "moment": rows[0]["moment"] if rows else None,
        "scenarios": {
            r["scenario"]: {
                "label": r["scenario_nl"],
                "expected_residents_covered": _r(r["expected_residents_covered"]),
                "expected_share_covered": _r(r["expected_share_covered"], 4),
                "gain_residents": _r(r["gain_residents"]),
            }
            for r in rows
        },
    }


def _responder_settings_summary(settings: HartveiligSettings) -> dict[str, Any]:
    rs = settings.responders
    return {
        "share_of_residents": rs.share_of_residents,
        "presence_by_hour": list(rs.presence_by_hour),
        "alert_radius_m": rs.alert_radius_m,
        "acceptance": rs.acceptance,
        "alert_delay_min": rs.alert_delay_min,
        "setoff_delay_min": rs.setoff_delay_min,
        "via_aed_share": rs.via_aed_share,
        "walk_share": rs.walk_share,
        "walk_speed_mps": rs.walk_speed_mps,
        "bike_speed_mps": rs.bike_speed_mps,
        "white_spot_probability": rs.white_spot_probability,
        "source": rs.source,
    }


def _model_assumption(settings, profiles) -> str:
    if settings.model == "fetch":
        prof = profiles[settings.responder_profile]
        return (
            f"Budget {_num(settings.budget_min)} min vanaf de 112-melding, waarvan "
            f"{_num(settings.alert_delay_min)} min alarmering; loopsnelheid "
            f"burgerhulpverlener {_num(prof.speed_mps, 2)} m/s ({prof.name}), heen en terug "
            f"over dezelfde route."
        )
    if settings.model == "responder":
        rs = settings.responders
        return (
            f"Burgerhulpverlenersmodel: {_num(100 * rs.share_of_residents, 2)}% van de inwoners "
            f"is aangemeld, aanwezig volgens een profiel per uur, gealarmeerd binnen "
            f"{_num(rs.alert_radius_m, 0)} m, {_num(100 * rs.acceptance, 0)}% neemt aan, "
            f"{_num(100 * rs.via_aed_share, 0)}% gaat via een AED; "
            f"{_num(100 * rs.walk_share, 0)}% loopt ({_num(rs.walk_speed_mps, 1)} m/s), de "
            f"rest fietst ({_num(rs.bike_speed_mps, 1)} m/s); {_num(rs.alert_delay_min)} min "
            f"alarmering en {_num(rs.setoff_delay_min)} min vertrek. Kans = 1 − e^(−verwacht "
            f"aantal dat op tijd een AED brengt); gedekt bij een kans van minstens "
            f"{rs.white_spot_probability:.0%}. Minuten = mediane tijd tot de eerste AED "
            f"(vanaf de melding). Bronnen: {rs.source}."
        )
    if settings.model == "route":
        prof = profiles[settings.route_profile]
        speed = "" if prof.speed_kmh is None else f", {_num(prof.speed_kmh)} km/u"
        return (
            f"Route-model: profiel {prof.name}{speed}, hooguit {_num(settings.route_max_min)} min."
        )
    return (
        f"Cirkelmodel: {_num(settings.radius_m, 0)} m hemelsbreed; wegen en water tellen niet mee."
    )


def _availability_assumptions(settings, aeds: AedSet, responder) -> list[str]:
    n_unknown = int((aeds.status == "unknown").sum())
    state = "gesloten" if settings.unknown_availability == "closed" else "altijd open"
    n_approx = int(aeds.approximate.sum())
    counted = "tellen niet mee" if settings.approximate_aeds == "exclude" else "tellen mee"
    speeds = " / ".join(_num(v, 1) for v in settings.sensitivity_speeds_mps)
    out = [
        f"AED's met onbekende openingstijden ({n_unknown} gebruikt) zijn behandeld als {state} "
        f"(instelling unknown_availability = {settings.unknown_availability!r}). Een uur telt "
        f"als open als de AED om hh:30 beschikbaar is.",
        f"AED's die alleen op postcode geplaatst zijn ({n_approx}) {counted} voor de dekking "
        f"(instelling approximate_aeds = {settings.approximate_aeds!r}); de samenvatting geeft "
        f"de dekking met en zonder deze AED's.",
    ]
    if responder is not None and settings.sensitivity_speeds_mps:
        out.append(
            f"Gevoeligheid: de dekking van het haal-model bij een loopsnelheid van {speeds} m/s "
            f"staat in de samenvatting ({settings.sensitivity_source})."
        )
    return out


def _assumptions(run: _Run, pm: Moment, aeds: AedSet, cells: CellSet) -> tuple[str, ...]:
    settings, profiles, minutes_prof = run.settings, run.profiles, run.minutes_profile
    out = [describe_model(settings, profiles), _model_assumption(settings, profiles)]
    out += _availability_assumptions(settings, aeds, run.responder)
    speed_txt = (
        "" if minutes_prof.speed_mps is None else f" met {_num(minutes_prof.speed_mps, 2)} m/s"
    )
    cutoff = _num(MINUTES_CUTOFF_MIN, 0)
    if run.rates is None:
        out.append(
            f"Minuten = looptijd over de weg van de dichtstbijzijnde beschikbare AED naar het "
            f"midden van de cel (enkele reis, {minutes_prof.name}{speed_txt}); meer dan "
            f"{cutoff} min wordt getoond als '> {cutoff} min'."
        )
    else:
        out.append(
            f"Minuten = mediane tijd vanaf de melding tot de eerste AED bij het slachtoffer "
            f"(de kans is dan 50%); langer dan {_num(settings.budget_min)} min wordt getoond "
            f"als leeg. Kansklassen op de kaart: < 25%, 25–50%, 50–75%, ≥ 75%."
        )
    flagged = cells.flagged
    out.append(
        f"Cellen verder dan {_num(run.max_snap_m, 0)} m van een weg ({int(flagged.sum())} cellen, "
        f"{_num(float(cells.residents[flagged].sum()), 1)} inwoners) tellen als niet gedekt."
    )
    out.append(
        "Witte vlekken: bewoonde, niet-gedekte cellen die elkaar raken (ook schuin) vormen één "
        "gebied; de afstand tot de dichtstbijzijnde AED die op dat moment beschikbaar is, is "
        "hemelsbreed gemeten vanaf de bewoonde cellen van het gebied."
    )
    w = (
        f", inwoners 65+ tellen {_num(1 + settings.weight_65_plus, 2)}× zwaar"
        if settings.weight_65_plus
        else ""
    )
    out.append(
        f"Voorstellen: nieuwe AED's in een 24/7 buitenkast, gekozen (gretig) om de meeste "
        f"{'verwachte ' if run.rates is not None else ''}"
        f"inwoners extra te dekken op moment '{pm.label or pm.name}'{w}; verplaatsing: AED's "
        f"met beperkte openingstijden die naar een 24/7 buitenkast op dezelfde plek gaan."
    )
    return tuple(out)
