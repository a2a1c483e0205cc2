"""The responder model: the chance that a citizen responder brings an AED in time.

The Dutch system (HartslagNu) alerts registered volunteers (*burgerhulpverleners*) near
the victim from where they are; about two thirds are sent via an AED, one third straight
to the victim. This module turns that into a probability per cell and hour of the week.

The model in two lines
----------------------
Accepted via-AED responders living in cell *i* are a Poisson count with mean
``λ_i(h) = residents_i · share · presence(h) · acceptance · via_aed_share``; so, split by
mode *m* (walk, bike) with shares ``s_m``, for a victim in cell *j* at hour *h*::

    P_j(h) = 1 − exp(−Σ_m s_m Σ_i λ_i(h) · 1[L_via(i, j, h) ≤ v_m · T])

where ``T = (budget − alert_delay − setoff_delay) · 60`` s, ``v_m`` the mode's speed and
``L_via(i, j, h) = min over AEDs a available at h of ℓ(i, a) + ℓ(a, j)``: the route home →
an available AED → the victim, the shortest path constrained through an available AED.
Only responders within ``alert_radius_m`` (straight line) of the victim are alerted.

*AED on scene* means an AED carried by a via-AED responder. Responders sent straight to
the victim start CPR but bring no AED, so they do not count here.

``minutes_<moment>`` is the median time from the 112 call to the first AED on scene: the
time ``t`` with ``Λ_j(t) = ln 2`` (then ``P = ½``), NaN when that is beyond the budget.
With ``white_spot_probability = 0.5`` a cell is covered exactly when its median ≤ budget.

How it stays fast
-----------------
Walking and cycling times are length / speed, so routing is done once, in metres: the
AED→cell route lengths up to the longest trip (``T · max speed``) from one call of
:func:`bereikbaar.routing.travel_times_within` (the cached CSR). The walk network is
two-way, so ℓ(i, a) = ℓ(a, i) and every AED's pairs give its responder→AED→victim
*triples* (:func:`via_triples`). Availability has few distinct patterns over the week
(7–8 per municipality in Drenthe); for each pattern and mode a sparse product of the
triples with the pattern gives which responder cells make it, and one more product the
residents in reach per victim cell (:func:`residents_in_reach`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from bereikbaar._crs import RD_NEW
from bereikbaar.aed_sites import (
    PROPOSAL_COLUMNS,
    RELOCATION_COLUMNS,
    RELOCATION_TO,
    address_from_tags,
    candidate_sites,
    empty_table,
    nearest_place_names,
    text_column,
)
from bereikbaar.config import HartveiligSettings, Moment, ResponderSettings
from bereikbaar.coverage import (
    HOURS_PER_WEEK,
    AedSet,
    CellSet,
    HourlyCoverage,
    PairTimes,
    hour_of_week,
    incidence,
    pairs_within,
)
from bereikbaar.errors import ConfigError

log = logging.getLogger(__name__)

LN2 = math.log(2.0)
MODES = ("walk", "bike")


# ------------------------------------------------------------------------ the rates
@dataclass(frozen=True)
class ResponderRates:
    """What follows from the settings.

    Attributes
    ----------
    speed_mps, mode_share
        Per mode of :data:`MODES`.
    delay_s
        Alert delay plus set-off delay (s).
    budget_s
        The budget from the 112 call (s).
    rate_by_hour
        ``(168,)`` expected accepted via-AED responders per resident in each hour.
    alert_radius_m
        Responders farther (straight line) from the victim are not alerted.
    """

    speed_mps: tuple[float, ...]
    mode_share: tuple[float, ...]
    delay_s: float
    budget_s: float
    rate_by_hour: np.ndarray
    alert_radius_m: float

    @property
    def travel_s(self) -> float:
        """Time left for the trip home → AED → victim (s)."""
        return self.budget_s - self.delay_s

    def max_length_m(self, mode: int) -> float:
        """The longest trip (m) mode ``mode`` makes in time."""
        return self.travel_s * self.speed_mps[mode]

    @property
    def longest_m(self) -> float:
        return max(self.max_length_m(m) for m in range(len(MODES)))


def _check(rs: ResponderSettings) -> np.ndarray:
    for key in ("share_of_residents", "acceptance", "via_aed_share", "walk_share"):
        v = getattr(rs, key)
        if not 0.0 <= v <= 1.0:
            raise ConfigError(
                f"hartveilig.responders.{key} = {v!r} must be a share between 0 and 1"
            )
    presence = np.asarray(rs.presence_by_hour, dtype=float)
    if len(presence) not in (24, HOURS_PER_WEEK) or not np.all((presence >= 0) & (presence <= 1)):
        raise ConfigError(
            "hartveilig.responders.presence_by_hour must hold 24 (hour of the day) or 168 "
            f"(hour of the week) shares between 0 and 1; got {len(presence)} values"
        )
    if not 0.0 < rs.white_spot_probability <= 1.0:
        raise ConfigError("hartveilig.responders.white_spot_probability must be in (0, 1]")
    return np.tile(presence, HOURS_PER_WEEK // len(presence))


def responder_rates(settings: HartveiligSettings) -> ResponderRates:
    """The rates, speeds and times of ``settings.responders`` (checked)."""
    rs = settings.responders
    presence = _check(rs)
    delay_s = (rs.alert_delay_min + rs.setoff_delay_min) * 60.0
    budget_s = settings.budget_min * 60.0
    if budget_s <= delay_s:
        raise ConfigError(
            f"hartveilig: budget_min ({settings.budget_min}) must exceed responders."
            "alert_delay_min + setoff_delay_min; nothing is left for the trip"
        )
    rate = rs.share_of_residents * presence * rs.acceptance * rs.via_aed_share
    return ResponderRates(
        speed_mps=(float(rs.walk_speed_mps), float(rs.bike_speed_mps)),
        mode_share=(float(rs.walk_share), 1.0 - float(rs.walk_share)),
        delay_s=delay_s,
        budget_s=budget_s,
        rate_by_hour=rate,
        alert_radius_m=float(rs.alert_radius_m),
    )


# ---------------------------------------------------------------------- the triples
@dataclass(frozen=True, eq=False)
class ViaTriples:
    """Responder cell → AED (or site) → victim cell trips within the longest trip.

    ``length_m[k]`` is ℓ(responder, aed) + ℓ(aed, victim) along the walk network. Sorted
    by :meth:`key` (victim, then responder), so selections keep pairs together.
    """

    responder: np.ndarray
    aed: np.ndarray
    victim: np.ndarray
    length_m: np.ndarray

    def select(self, keep: np.ndarray) -> ViaTriples:
        return ViaTriples(
            self.responder[keep], self.aed[keep], self.victim[keep], self.length_m[keep]
        )

    def key(self, n_cells: int) -> np.ndarray:
        """One int64 per (victim, responder) pair, victim-major."""
        return self.victim.astype(np.int64) * n_cells + self.responder


def via_triples(
    pairs: PairTimes,
    *,
    metres_per_s: float,
    residents: np.ndarray,
    cell_xy: np.ndarray,
    max_length_m: float,
    alert_radius_m: float,
) -> ViaTriples:
    """Every (responder cell, AED, victim cell) with ℓ(i, a) + ℓ(a, j) ≤ ``max_length_m``.

    Parameters
    ----------
    pairs
        AED→cell pairs (``source`` AED, ``target`` cell, ``time_s`` at a walking profile).
    metres_per_s
        That profile's speed: route length = ``time_s · metres_per_s``.
    residents
        Per cell; only populated cells send responders.
    cell_xy
        Cell centres (m): responders beyond ``alert_radius_m`` of the victim are not alerted.
    """
    length = pairs.time_s * metres_per_s
    order = np.lexsort((pairs.target, pairs.source))
    src, cell, d = pairs.source[order], pairs.target[order], length[order]
    n_src = int(src.max()) + 1 if len(src) else 0
    k = np.bincount(src, minlength=n_src)
    start = np.cumsum(k) - k
    # responder side: populated cells only; victim side: every cell of the same source
    resp = np.flatnonzero(residents[cell] > 0)
    rep = k[src[resp]]
    first = np.repeat(resp, rep)
    offs = np.arange(int(rep.sum())) - np.repeat(np.cumsum(rep) - rep, rep)
    second = start[src[first]] + offs
    total = d[first] + d[second]
    ok = total <= max_length_m
    first, second, total = first[ok], second[ok], total[ok]
    gap = cell_xy[cell[first]] - cell_xy[cell[second]]
    alerted = np.einsum("ij,ij->i", gap, gap) <= alert_radius_m**2
    out = ViaTriples(
        responder=cell[first][alerted],
        aed=src[first][alerted],
        victim=cell[second][alerted],
        length_m=total[alerted],
    )
    return out.select(np.argsort(out.key(len(residents)), kind="stable"))


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique keys, run number of every element) of an already sorted key array."""
    new = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]] if len(sorted_keys) else sorted_keys
    return sorted_keys[new.astype(bool)], np.cumsum(new) - 1


# ------------------------------------------------------------ residents within reach
@dataclass(frozen=True, eq=False)
class ResponderReach:
    """Residents whose responders make it in time, per mode, victim cell and pattern.

    ``residents[m]`` is ``(n_cells, n_patterns)``; ``pattern_of_hour[h]`` the availability
    pattern of hour ``h`` of the week.
    """

    residents: tuple[np.ndarray, ...]
    pattern_of_hour: np.ndarray

    def expected(self, rates: ResponderRates, *, scale: float = 1.0) -> np.ndarray:
        """``(n_cells, 168)`` expected accepted via-AED responders who make it (Λ)."""
        per_pattern = sum(s * r for s, r in zip(rates.mode_share, self.residents, strict=True))
        return per_pattern[:, self.pattern_of_hour] * (rates.rate_by_hour * scale)[None, :]


def residents_in_reach(
    triples: ViaTriples,
    residents: np.ndarray,
    availability: np.ndarray,
    rates: ResponderRates,
) -> ResponderReach:
    """For each victim cell, mode and availability pattern: Σ residents_i over responder
    cells i with a trip through an available AED short enough for that mode.

    ``availability`` is bool ``(n_aeds, 168)`` (the AEDs that count, by hour).
    """
    n_cells, n_aeds = len(residents), availability.shape[0]
    patterns, inverse = np.unique(availability.T, axis=0, return_inverse=True)
    hours_of = np.asarray(inverse).reshape(-1)
    open_by_pattern = patterns.T.astype(np.float32)  # (n_aeds, n_patterns)
    out = []
    key_all = triples.key(n_cells)
    for m in range(len(MODES)):
        sel = triples.length_m <= rates.max_length_m(m)
        keys, pair = _runs(key_all[sel])
        n_pairs = len(keys)
        T = sp.csr_array(
            (np.ones(int(sel.sum()), np.float32), (pair.reshape(-1), triples.aed[sel])),
            shape=(n_pairs, n_aeds),
        )
        reach = (T @ open_by_pattern) > 0  # (n_pairs, n_patterns)
        W = sp.csr_array(
            (residents[keys % n_cells], (keys // n_cells, np.arange(n_pairs))),
            shape=(n_cells, n_pairs),
        )
        out.append(np.asarray(W @ reach.astype(np.float64)))
    return ResponderReach(residents=tuple(out), pattern_of_hour=hours_of)


def probability(expected: np.ndarray) -> np.ndarray:
    """``1 − exp(−Λ)``: at least one of a Poisson number of responders makes it."""
    return -np.expm1(-expected)


# ------------------------------------------------------------------------- minutes
def _pair_min(triples: ViaTriples, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """(keys, shortest via length) per (responder, victim) pair."""
    key = triples.key(n_cells)
    if len(key) == 0:
        return key, triples.length_m
    keys, _ = _runs(key)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return keys, np.minimum.reduceat(triples.length_m, starts)


def median_minutes(
    triples: ViaTriples,
    residents: np.ndarray,
    available_now: np.ndarray,
    rates: ResponderRates,
    *,
    hour: int,
    scale: float = 1.0,
) -> np.ndarray:
    """Per victim cell, the median minutes from the 112 call to the first AED on scene
    (the time at which the expected number arrived reaches ln 2); NaN beyond the budget."""
    n = len(residents)
    keys, length = _pair_min(triples.select(available_now[triples.aed]), n)
    victim, resp = keys // n, keys % n
    times, weights, victims = [], [], []
    for m in range(len(MODES)):
        t = rates.delay_s + length / rates.speed_mps[m]
        ok = t <= rates.budget_s + 1e-9
        w = rates.rate_by_hour[hour] * scale * rates.mode_share[m] * residents[resp[ok]]
        times.append(t[ok]), weights.append(w), victims.append(victim[ok])
    t, w, v = (np.concatenate(x) for x in (times, weights, victims))
    out = np.full(n, np.nan)
    if len(t) == 0:
        return out
    order = np.lexsort((t, v))
    t, w, v = t[order], w[order], v[order]
    cum = np.cumsum(w)
    start = np.searchsorted(v, np.arange(n))
    before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    within = cum - before[v]  # running Λ within each victim's trips
    hit = np.flatnonzero(within >= LN2 * (1 - 1e-12))
    first = np.r_[True, v[hit][1:] != v[hit][:-1]] if len(hit) else np.zeros(0, bool)
    out[v[hit][first]] = t[hit][first] / 60.0  # sorted by victim and time: the first hit
    return out


def minutes_per_moment(
    triples: ViaTriples,
    residents: np.ndarray,
    available: np.ndarray,
    moments: Sequence[Moment],
    rates: ResponderRates,
) -> dict[str, np.ndarray]:
    """:func:`median_minutes` at every moment (``available``: bool ``(n_aeds, 168)``)."""
    return {
        m.name: median_minutes(
            triples, residents, available[:, hour_of_week(m)], rates, hour=hour_of_week(m)
        )
        for m in moments
    }


# ------------------------------------------------------------------- the whole phase
@dataclass(frozen=True, eq=False)
class ResponderCoverage:
    """The responder model for one municipality.

    Attributes
    ----------
    triples
        Responder → counted AED → victim trips within the longest trip.
    expected
        ``(n_cells, 168)`` Λ: expected accepted via-AED responders who make it in time.
    probability
        ``(n_cells, 168)`` float32 ``1 − exp(−Λ)``.
    hourly
        :class:`~bereikbaar.coverage.HourlyCoverage` with ``covered`` = probability ≥
        ``threshold`` (and the same for exact-only and every AED).
    expected_residents
        ``(168,)`` Σ residents × probability; ``..._exact`` / ``..._with_approximate``
        for the approximate-AED range.
    minutes
        Per moment the median minutes from the call to the first AED on scene.
    """

    triples: ViaTriples
    expected: np.ndarray
    probability: np.ndarray
    hourly: HourlyCoverage
    expected_residents: np.ndarray
    expected_residents_exact: np.ndarray
    expected_residents_with_approximate: np.ndarray
    minutes: dict[str, np.ndarray]
    threshold: float


def responder_coverage(
    pairs: PairTimes,
    cells: CellSet,
    aeds: AedSet,
    moments: Sequence[Moment],
    *,
    rates: ResponderRates,
    metres_per_s: float,
    threshold: float,
) -> ResponderCoverage:
    """Phase: probability by cell and hour, its range over approximate AEDs, minutes.

    ``pairs`` are AED→cell pairs at a walking profile of speed ``metres_per_s`` up to
    ``rates.longest_m`` of route.
    """
    res = np.where(cells.routable, cells.residents, 0.0)
    triples = via_triples(
        pairs, metres_per_s=metres_per_s, residents=res, cell_xy=cells.xy,
        max_length_m=rates.longest_m, alert_radius_m=rates.alert_radius_m,
    )  # fmt: skip
    log.debug("responder model: %d via-AED trips", len(triples.length_m))

    def lam(mask: np.ndarray) -> np.ndarray:
        if aeds.n == 0:
            return np.zeros((cells.n, HOURS_PER_WEEK))
        avail = aeds.availability & mask[:, None]
        return residents_in_reach(triples, res, avail, rates).expected(rates)

    expected = lam(aeds.counts)
    exact = expected if not aeds.approximate.any() else lam(~aeds.approximate)
    every = expected if aeds.counts.all() else lam(np.ones(aeds.n, dtype=bool))
    p, p_exact, p_every = probability(expected), probability(exact), probability(every)
    covered = p >= threshold
    r = cells.residents
    hourly = HourlyCoverage(
        incidence=incidence(pairs.target, pairs.source, cells.n, aeds.n),
        covered=covered,
        covered_exact=p_exact >= threshold,
        covered_with_approximate=p_every >= threshold,
        residents_covered=r @ covered,
        residents_covered_exact=r @ (p_exact >= threshold),
        residents_covered_with_approximate=r @ (p_every >= threshold),
        weekly_share=covered.mean(axis=1) if cells.n else np.zeros(0),
    )
    minutes = minutes_per_moment(triples, res, aeds.available(), moments, rates)
    return ResponderCoverage(
        triples=triples, expected=expected, probability=p.astype(np.float32), hourly=hourly,
        expected_residents=r @ p, expected_residents_exact=r @ p_exact,
        expected_residents_with_approximate=r @ p_every, minutes=minutes, threshold=threshold,
    )  # fmt: skip


# ------------------------------------------------------------ greedy expected gain
@dataclass(frozen=True, eq=False)
class GreedyGain:
    """Sites picked one by one for the largest expected gain at one hour.

    ``gain_residents[k]`` (and 65+) is Σ residents × (P after pick k − P before it).
    """

    picks: np.ndarray
    gain_weight: np.ndarray
    gain_residents: np.ndarray
    gain_residents_65_plus: np.ndarray


class _KeySet:
    """A set of (victim, responder) keys: a bool table over all n² keys when that is small,
    else a sorted array."""

    def __init__(self, n_cells: int, keys: np.ndarray):
        self.table = n_cells * n_cells <= 50_000_000
        if self.table:
            self.member = np.zeros(n_cells * n_cells, dtype=bool)
            self.member[keys] = True
        else:
            self.member = np.unique(keys)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        if self.table:
            return self.member[keys]
        return np.isin(keys, self.member)

    def add(self, keys: np.ndarray) -> None:
        if self.table:
            self.member[keys] = True
        else:
            self.member = np.union1d(self.member, keys)


def _new_trips(cand: ViaTriples, base: ViaTriples, limit_m: float, n_cells: int):
    """The candidates' trips within ``limit_m`` whose (responder, victim) pair the base
    trips within the limit do not already connect: (candidate, key, victim, responder),
    and the set of connected keys."""
    c = cand.select(cand.length_m <= limit_m)
    key = c.key(n_cells)
    reached = _KeySet(n_cells, base.key(n_cells)[base.length_m <= limit_m])
    new = ~reached.contains(key)
    return [c.aed[new], key[new], c.victim[new], c.responder[new]], reached


def greedy_expected_gain(
    cand: ViaTriples,
    base: ViaTriples,
    *,
    n_candidates: int,
    base_expected: np.ndarray,
    residents: np.ndarray,
    residents_65_plus: np.ndarray,
    weights: np.ndarray,
    rates: ResponderRates,
    hour: int,
    n: int,
) -> GreedyGain:
    """Pick up to ``n`` candidates (24/7 AEDs at the sites of ``cand.aed``), each time the
    one that adds most expected ``weights`` covered at ``hour``, given the ``base`` trips
    (AEDs available then) and their Λ ``base_expected`` (per cell)."""
    n_cells = len(residents)
    lam = np.asarray(base_expected, dtype=float).copy()
    modes, reached = [], []
    for m in range(len(MODES)):
        (site, key, victim, resp), done = _new_trips(cand, base, rates.max_length_m(m), n_cells)
        w = rates.rate_by_hour[hour] * rates.mode_share[m] * residents[resp]
        modes.append([site, key, victim, w])
        reached.append(done)
    picks, g_w, g_r, g_65 = [], [], [], []
    r65 = np.nan_to_num(residents_65_plus)
    for _ in range(min(n, n_candidates)):
        delta = np.zeros((n_candidates, n_cells))
        for site, _key, victim, w in modes:
            delta += np.bincount(
                site * n_cells + victim, weights=w, minlength=n_candidates * n_cells
            ).reshape(n_candidates, n_cells)
        miss = np.exp(-lam)
        gains = (-np.expm1(-delta)) @ (weights * miss)
        gains[picks] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        step = miss * -np.expm1(-delta[best])  # P after − P before, per cell
        picks.append(best), g_w.append(float(gains[best]))
        g_r.append(float(residents @ step)), g_65.append(float(r65 @ step))
        lam += delta[best]
        for mode, done in zip(modes, reached, strict=True):  # the pick's pairs are reached
            done.add(mode[1][mode[0] == best])
            keep = ~done.contains(mode[1])
            mode[:] = [x[keep] for x in mode]
    return GreedyGain(
        picks=np.asarray(picks, dtype=np.int64), gain_weight=np.asarray(g_w),
        gain_residents=np.asarray(g_r), gain_residents_65_plus=np.asarray(g_65),
    )  # fmt: skip


# --------------------------------------------------------------- proposals, relocations
@dataclass(frozen=True, eq=False)
class ResponderSites:
    """New 24/7 AED sites and relocations by expected gain, and the picks behind them."""

    proposals: gpd.GeoDataFrame
    relocations: gpd.GeoDataFrame
    new_aed_gains: np.ndarray  # expected residents gained by each greedy new site, in order


def _site_triples(net, sites, *, cells: CellSet, profile, rates, max_snap_m) -> ViaTriples:
    from bereikbaar import routing

    geoms = gpd.GeoSeries(sites["geometry"].to_numpy(), crs=net.crs)
    snap = routing.snap_points(net, geoms, max_snap_m=max_snap_m)
    pairs = pairs_within(
        net, snap, cells.snap, src_xy=np.column_stack([geoms.x, geoms.y]), dst_xy=cells.xy,
        dst_ok=cells.routable, model="responder", profile=profile,
        cutoff=rates.longest_m / profile.speed_mps,
    )  # fmt: skip
    res = np.where(cells.routable, cells.residents, 0.0)
    return via_triples(
        pairs, metres_per_s=profile.speed_mps, residents=res, cell_xy=cells.xy,
        max_length_m=rates.longest_m, alert_radius_m=rates.alert_radius_m,
    )  # fmt: skip


def _greedy(cand, n_cand, cov: ResponderCoverage, aeds: AedSet, cells, weights, rates, hour, n):
    base = cov.triples.select(aeds.available()[cov.triples.aed, hour])
    return greedy_expected_gain(
        cand, base, n_candidates=n_cand, base_expected=cov.expected[:, hour],
        residents=cells.residents, residents_65_plus=cells.residents_65_plus,
        weights=weights, rates=rates, hour=hour, n=n,
    )  # fmt: skip


def responder_sites(
    net,
    candidates: gpd.GeoDataFrame,
    *,
    settings: HartveiligSettings,
    profile,
    cells: CellSet,
    aeds: AedSet,
    cov: ResponderCoverage,
    rates: ResponderRates,
    weights: np.ndarray,
    hour: int,
    places,
    max_snap_m: float,
) -> ResponderSites:
    """Phase: new 24/7 AEDs and relocations that add the most expected residents covered
    at ``hour`` (greedy; the expected coverage is submodular, so greedy is within 1 − 1/e).

    At least 10 new sites are picked (for the "responders or AEDs" table); the proposals
    table shows the first ``settings.n_proposals``.
    """
    sites = candidate_sites(net, candidates, settings=settings, cells=cells)
    gains = np.zeros(0)
    proposals = empty_table(PROPOSAL_COLUMNS, net.crs)
    if len(sites) and cells.n:
        cand = _site_triples(
            net, sites, cells=cells, profile=profile, rates=rates, max_snap_m=max_snap_m
        )
        n = max(settings.n_proposals, max(EXTRA_AEDS))
        g = _greedy(cand, len(sites), cov, aeds, cells, weights, rates, hour, n)
        gains = g.gain_residents
        k = min(settings.n_proposals, len(g.picks))
        picks = g.picks[:k]
        geoms = sites["geometry"].to_numpy()[picks]
        proposals = gpd.GeoDataFrame(
            {
                "rank": np.arange(1, k + 1, dtype=np.int64),
                "kind": sites["kind"].to_numpy()[picks],
                "name": sites["name"].to_numpy()[picks],
                "address": [address_from_tags(t) for t in sites["tags"].to_numpy()[picks]],
                "near": nearest_place_names(places, geoms),
                "gain_residents": g.gain_residents[:k],
                "gain_residents_65_plus": g.gain_residents_65_plus[:k],
                "cumulative_residents": np.cumsum(g.gain_residents[:k]),
            },
            geometry=geoms,
            crs=net.crs,
        )
    relocations = _relocations(settings, cells, aeds, cov, rates, weights, hour, places)
    return ResponderSites(proposals, relocations, gains)


def _relocations(settings, cells, aeds: AedSet, cov, rates, weights, hour, places):
    movable = np.flatnonzero((aeds.status == "limited") & aeds.in_gemeente & aeds.counts)
    if len(movable) == 0 or settings.relocate_k <= 0 or cells.n == 0:
        return empty_table(RELOCATION_COLUMNS, aeds.table.crs or RD_NEW)
    index = np.full(aeds.n, -1, dtype=np.int64)
    index[movable] = np.arange(len(movable))
    cand = cov.triples.select(index[cov.triples.aed] >= 0)
    cand = ViaTriples(cand.responder, index[cand.aed], cand.victim, cand.length_m)
    g = _greedy(cand, len(movable), cov, aeds, cells, weights, rates, hour, settings.relocate_k)
    rows = aeds.table.iloc[movable[g.picks]]
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(g.picks) + 1, dtype=np.int64),
            "aed_id": rows["aed_id"].to_numpy() if "aed_id" in rows else movable[g.picks],
            "name": rows["name"].to_numpy() if "name" in rows else None,
            "address": text_column(rows, "street"),
            "near": nearest_place_names(places, rows.geometry.to_numpy()),
            "current_availability": text_column(rows, "availability"),
            "to": RELOCATION_TO,
            "gain_residents": g.gain_residents,
            "cumulative_residents": np.cumsum(g.gain_residents),
        },
        geometry=rows.geometry.to_numpy(),
        crs=aeds.table.crs or RD_NEW,
    )


# ------------------------------------------------------------- responders or AEDs
EXTRA_RESPONDERS = (0.25, 0.5)
EXTRA_AEDS = (5, 10)
RESPONDERS_OR_AEDS_COLUMNS = [
    "gemeente",
    "moment",
    "scenario",
    "scenario_nl",
    "expected_residents_covered",
    "expected_share_covered",
    "gain_residents",
]


def responders_or_aeds(
    cov: ResponderCoverage, cells: CellSet, sites: ResponderSites, *, gemeente: str, moment: Moment
) -> pd.DataFrame:
    """The planners' question at ``moment``: expected residents covered now, with +25% /
    +50% registered responders (Λ scales with the share), and with the first 5 / 10
    greedily placed 24/7 AEDs (fewer when there are fewer candidate sites)."""
    h = hour_of_week(moment)
    r = cells.residents
    total = float(r.sum())
    now = float(cov.expected_residents[h])
    rows = [("now", "huidige situatie", now)]
    for extra in EXTRA_RESPONDERS:
        e = float(r @ probability(cov.expected[:, h] * (1.0 + extra)))
        rows.append(
            (f"responders_plus_{round(100 * extra)}", f"{extra:.0%} meer burgerhulpverleners", e)
        )
    for k in EXTRA_AEDS:
        e = now + float(sites.new_aed_gains[:k].sum())
        n_placed = min(k, len(sites.new_aed_gains))
        rows.append((f"aeds_plus_{k}", f"{n_placed} nieuwe 24/7-AED's op de beste plekken", e))
    return pd.DataFrame(
        {
            "gemeente": gemeente,
            "moment": moment.name,
            "scenario": [s for s, _, _ in rows],
            "scenario_nl": [t for _, t, _ in rows],
            "expected_residents_covered": [e for _, _, e in rows],
            "expected_share_covered": [e / total if total else 0.0 for _, _, e in rows],
            "gain_residents": [e - now for _, _, e in rows],
        },
        columns=RESPONDERS_OR_AEDS_COLUMNS,
    )
