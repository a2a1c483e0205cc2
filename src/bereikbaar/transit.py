"""Public transport (ov) door to door: Range RAPTOR over numpy arrays.

A journey is: walk from the origin to a stop over the walk network (at most
``max_access_walk_m``), wait, ride, and for each change of vehicle walk to another stop
(at most ``max_transfer_walk_m``; every change takes at least ``min_transfer_min``, also
at the same stop), ride again (at most ``max_transfers`` changes), and walk from the last
stop to the destination (at most ``max_access_walk_m``). Its door-to-door time for a
departure minute *t* is the arrival at the destination minus *t* (waiting at home for the
bus counts). A journey longer than ``max_travel_min`` counts as no trip.

For every departure minute of a window (e.g. weekday 07:00–09:00: 120 minutes) the
earliest arrival is computed with Range RAPTOR (Delling, Pajor, Werneck 2012: rounds per
number of vehicles, labels kept from the later departure minute to the earlier one), on
arrays compiled per calendar day (:func:`build_timetable`); the inner loops are compiled
with numba.

What is reported per origin and destination (or destination group, e.g. the nearest
huisartsenpost), per window (:func:`summarize_window`):

* ``transit_p05_min``, ``transit_p50_min``, ``transit_p95_min``: the 5th, 50th and 95th
  percentile over the departure minutes of the door-to-door time by ov. The p-th percentile
  is the smallest time within which at least p % of the departure minutes arrive (an order
  statistic, no interpolation). A departure minute without a trip counts as infinitely long,
  so a percentile that falls on such minutes is NaN, never a large number.
* ``transit_share``: the share of departure minutes with a trip; ``no_trip``: True when no
  minute of the window has one.
* ``walk_min``: walking all the way over the walk network (NaN when unreachable).
* ``ov_p05_min`` ... ``ov_p95_min``: the same percentiles of min(ov, walking) per minute:
  public transport with walking as the fallback where that is faster.
* ``ov_by``: ``"transit"`` when the ov median beats walking, ``"walk"`` when walking is at
  least as fast (or there is no trip), ``"none"`` when neither reaches within
  ``max_travel_min``.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from bereikbaar.config import TransitSettings, TransitWindow, TravelProfile
from bereikbaar.errors import ConfigError, RoutingError
from bereikbaar.network import Network
from bereikbaar.routing import (
    origins_within_reach,
    snap_points,
    travel_time_matrix,
    travel_times_within,
)

log = logging.getLogger(__name__)

PERCENTILES = (5, 50, 95)
_INF = np.inf


# ---------------------------------------------------------------------------- timetable
@dataclass(frozen=True, eq=False)
class Timetable:
    """One calendar day's timetable as flat arrays for RAPTOR.

    Trips with the same stop sequence that never overtake each other form a *pattern*.
    Pattern ``p`` visits ``pattern_stops[pattern_stop_ptr[p]:pattern_stop_ptr[p+1]]``; its
    trips are sorted by departure, and trip ``t``'s time at position ``i`` is
    ``departure_s[pattern_time_ptr[p] + t * n_stops_p + i]`` (likewise ``arrival_s``,
    ``pickup``, ``drop_off``). ``stop_pattern_*`` list the (pattern, position) pairs at each
    stop; ``transfer_*`` the walking transfers from each stop (``transfer_s`` already at
    least ``min_transfer_s``); ``min_transfer_s`` also applies at the same stop;
    ``stop_board_*`` the sorted times a vehicle can be boarded at each stop (a departure
    minute that catches no new one at the access stops changes no label and is skipped).
    """

    n_stops: int
    pattern_stop_ptr: np.ndarray
    pattern_stops: np.ndarray
    pattern_n_trips: np.ndarray
    pattern_time_ptr: np.ndarray
    arrival_s: np.ndarray
    departure_s: np.ndarray
    pickup: np.ndarray
    drop_off: np.ndarray
    stop_pattern_ptr: np.ndarray
    stop_pattern: np.ndarray
    stop_pattern_pos: np.ndarray
    transfer_ptr: np.ndarray
    transfer_to: np.ndarray
    transfer_s: np.ndarray
    min_transfer_s: float
    stop_board_ptr: np.ndarray
    stop_board_s: np.ndarray

    @property
    def n_patterns(self) -> int:
        return len(self.pattern_n_trips)


def build_timetable(
    stop_times: pd.DataFrame,
    *,
    n_stops: int,
    transfers: pd.DataFrame | None = None,
    min_transfer_s: float = 120.0,
) -> Timetable:
    """Compile a day's stop times into a :class:`Timetable`.

    Parameters
    ----------
    stop_times
        ``trip``, ``stop``, ``arrival_s``, ``departure_s``, ``pickup``, ``drop_off``, sorted
        by trip and stop sequence (as :meth:`~bereikbaar.inputs.gtfs.TransitFeed.timetable`
        gives).
    n_stops
        Number of stops (stop numbers run from 0 to n_stops - 1).
    transfers
        Walking transfers ``from_stop``, ``to_stop``, ``time_s`` (pairs of different stops).
    min_transfer_s
        The least time a change of vehicle takes, seconds.
    """
    if min_transfer_s < 0:
        raise RoutingError("min_transfer_s must be >= 0")
    pats = _patterns(stop_times)
    stop_ptr, stop_pat, stop_pos = _stop_index(pats["stops"], n_stops)
    tr = (
        transfers
        if transfers is not None
        else pd.DataFrame({"from_stop": [], "to_stop": [], "time_s": []})
    )
    tr = tr[tr["from_stop"].to_numpy() != tr["to_stop"].to_numpy()]
    tr = tr.sort_values(["from_stop", "to_stop"], kind="stable")
    t_from = tr["from_stop"].to_numpy(np.int64)
    counts = np.bincount(t_from, minlength=n_stops) if len(t_from) else np.zeros(n_stops, int)
    return Timetable(
        n_stops=int(n_stops),
        pattern_stop_ptr=pats["stop_ptr"],
        pattern_stops=np.concatenate(pats["stops"]) if pats["stops"] else np.zeros(0, np.int64),
        pattern_n_trips=pats["n_trips"],
        pattern_time_ptr=pats["time_ptr"],
        arrival_s=pats["arr"],
        departure_s=pats["dep"],
        pickup=pats["pickup"],
        drop_off=pats["drop_off"],
        stop_pattern_ptr=stop_ptr,
        stop_pattern=stop_pat,
        stop_pattern_pos=stop_pos,
        transfer_ptr=np.r_[0, np.cumsum(counts)].astype(np.int64),
        transfer_to=tr["to_stop"].to_numpy(np.int64),
        transfer_s=np.maximum(tr["time_s"].to_numpy(np.float64), float(min_transfer_s)),
        min_transfer_s=float(min_transfer_s),
        **_boarding_times(stop_times, n_stops),
    )


def _boarding_times(stop_times: pd.DataFrame, n_stops: int) -> dict[str, np.ndarray]:
    """Per stop, the sorted times at which a vehicle can be boarded there."""
    board = stop_times[stop_times["pickup"].to_numpy(bool)]
    stop = board["stop"].to_numpy(np.int64)
    dep = board["departure_s"].to_numpy(np.float64)
    order = np.lexsort((dep, stop))
    counts = np.bincount(stop, minlength=n_stops) if len(stop) else np.zeros(n_stops, int)
    return {
        "stop_board_ptr": np.r_[0, np.cumsum(counts)].astype(np.int64),
        "stop_board_s": dep[order],
    }


def _patterns(stop_times: pd.DataFrame) -> dict:
    """Group trips by stop sequence, split into groups where no trip overtakes another."""
    st = stop_times
    trip = st["trip"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, trip[1:] != trip[:-1], True])
    stops = st["stop"].to_numpy(np.int64)
    arr = st["arrival_s"].to_numpy(np.float64)
    dep = st["departure_s"].to_numpy(np.float64)
    pick = st["pickup"].to_numpy(bool)
    drop = st["drop_off"].to_numpy(bool)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a >= 2:
            groups.setdefault(tuple(stops[a:b]), []).append((a, b))
    out = {"stops": [], "n_trips": [], "arr": [], "dep": [], "pickup": [], "drop_off": []}
    for seq, spans in groups.items():
        spans.sort(key=lambda s: (dep[s[0]], arr[s[1] - 1], s[0]))
        for sub in _fifo_groups(spans, arr, dep):
            out["stops"].append(np.asarray(seq, dtype=np.int64))
            out["n_trips"].append(len(sub))
            for key, src in (("arr", arr), ("dep", dep), ("pickup", pick), ("drop_off", drop)):
                out[key].append(np.concatenate([src[a:b] for a, b in sub]))
    sizes = np.array([len(s) for s in out["stops"]], dtype=np.int64)
    n_trips = np.array(out["n_trips"], dtype=np.int64)
    return {
        "stops": out["stops"],
        "n_trips": n_trips,
        "stop_ptr": np.r_[0, np.cumsum(sizes)].astype(np.int64),
        "time_ptr": np.r_[0, np.cumsum(sizes * n_trips)].astype(np.int64),
        "arr": _cat(out["arr"], np.float64),
        "dep": _cat(out["dep"], np.float64),
        "pickup": _cat(out["pickup"], bool),
        "drop_off": _cat(out["drop_off"], bool),
    }


def _cat(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _fifo_groups(spans, arr, dep) -> list[list[tuple[int, int]]]:
    """Split trips (sorted by departure) into groups in which every trip is at or after the
    previous one at every stop, so "the earliest trip" is the same at each stop."""
    groups: list[list[tuple[int, int]]] = []
    for a, b in spans:
        for g in groups:
            pa, pb = g[-1]
            if np.all(arr[a:b] >= arr[pa:pb]) and np.all(dep[a:b] >= dep[pa:pb]):
                g.append((a, b))
                break
        else:
            groups.append([(a, b)])
    return groups


def _stop_index(pattern_stops: list[np.ndarray], n_stops: int):
    pat = np.concatenate([np.full(len(s), p) for p, s in enumerate(pattern_stops)] or [[]])
    pos = np.concatenate([np.arange(len(s)) for s in pattern_stops] or [[]])
    stop = np.concatenate(pattern_stops or [np.zeros(0)]).astype(np.int64)
    order = np.lexsort((pos, pat, stop))
    counts = np.bincount(stop, minlength=n_stops)
    return (
        np.r_[0, np.cumsum(counts)].astype(np.int64),
        pat[order].astype(np.int64),
        pos[order].astype(np.int64),
    )


# ------------------------------------------------------------------------------ kernel
@numba.njit(cache=True)
def _improve(labels, k, s, value):
    """labels[j, s] = min(labels[j, s], value) for every round j >= k; True if k improved."""
    if value >= labels[k, s]:
        return False
    for j in range(k, labels.shape[0]):
        if value < labels[j, s]:
            labels[j, s] = value
    return True


@numba.njit(cache=True)
def _earliest_trip(dep, pick, base, n_trips, n_st, i, ready, before):
    """The first trip (< ``before``) leaving position ``i`` at or after ``ready``, or -1."""
    lo, hi = 0, before
    while lo < hi:  # trips are sorted by departure at every position (FIFO)
        mid = (lo + hi) // 2
        if dep[base + mid * n_st + i] < ready:
            lo = mid + 1
        else:
            hi = mid
    for t in range(lo, before):
        if pick[base + t * n_st + i]:
            return t
    return -1


@numba.njit(cache=True)
def _scan_pattern(tt_arrays, p, first, ready, tau, k, improved):
    """Ride pattern ``p`` from position ``first``; arrival labels of round k improve."""
    (stop_ptr, stops, n_trips, time_ptr, arr, dep, pick, drop) = tt_arrays
    a, b = stop_ptr[p], stop_ptr[p + 1]
    n_st = b - a
    base = time_ptr[p]
    t = -1
    for i in range(first, n_st):
        s = stops[a + i]
        if t >= 0 and drop[base + t * n_st + i] and _improve(tau, k, s, arr[base + t * n_st + i]):
            improved[s] = True
        r = ready[k - 1, s]
        if r < np.inf and (t < 0 or r <= dep[base + t * n_st + i]):
            limit = n_trips[p] if t < 0 else t
            t2 = _earliest_trip(dep, pick, base, n_trips[p], n_st, i, r, limit)
            if t2 >= 0:
                t = t2


@numba.njit(cache=True)
def _walk_transfers(improved, tau, ready, k, tr_ptr, tr_to, tr_s, min_tr, marked):
    any_marked = False
    for s in range(len(improved)):
        if not improved[s]:
            continue
        improved[s] = False
        a = tau[k, s]
        if _improve(ready, k, s, a + min_tr):
            marked[s] = True
            any_marked = True
        for j in range(tr_ptr[s], tr_ptr[s + 1]):
            q = tr_to[j]
            if _improve(ready, k, q, a + tr_s[j]):
                marked[q] = True
                any_marked = True
    return any_marked


@numba.njit(cache=True)
def _rounds(tt_arrays, sp_ptr, sp_pat, sp_pos, tr, marked, ready, tau, n_rounds):
    (tr_ptr, tr_to, tr_s, min_tr) = tr
    n_pat = len(tt_arrays[2])
    first = np.full(n_pat, 1 << 30, np.int64)
    improved = np.zeros(len(marked), np.bool_)
    queue = np.empty(n_pat, np.int64)
    for k in range(1, n_rounds + 1):
        nq = 0
        for s in range(len(marked)):
            if not marked[s]:
                continue
            marked[s] = False
            for j in range(sp_ptr[s], sp_ptr[s + 1]):
                p = sp_pat[j]
                if first[p] == 1 << 30:
                    queue[nq] = p
                    nq += 1
                if sp_pos[j] < first[p]:
                    first[p] = sp_pos[j]
        for qi in range(nq):
            p = queue[qi]
            _scan_pattern(tt_arrays, p, first[p], ready, tau, k, improved)
            first[p] = 1 << 30
        if not _walk_transfers(improved, tau, ready, k, tr_ptr, tr_to, tr_s, min_tr, marked):
            break


@numba.njit(cache=True)
def _new_boarding(acc_ptr, acc_stop, acc_s, o, t0, ready, board_ptr, board_s):
    """True if leaving at ``t0`` catches a departure at an access stop that the current
    labels (from a later departure minute) could not: else every label, and so every
    arrival, stays the same and the rounds can be skipped."""
    for j in range(acc_ptr[o], acc_ptr[o + 1]):
        s = acc_stop[j]
        r = t0 + acc_s[j]
        old = ready[0, s]
        if r >= old:
            continue
        lo, hi = board_ptr[s], board_ptr[s + 1]
        while lo < hi:  # first boardable departure at or after r
            mid = (lo + hi) // 2
            if board_s[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        if lo < board_ptr[s + 1] and board_s[lo] < old:
            return True
    return False


@numba.njit(cache=True)
def _best_arrivals(tau, k, eg_ptr, eg_group, eg_s, best):
    for s in range(tau.shape[1]):
        a = tau[k, s]
        if a == np.inf:
            continue
        for j in range(eg_ptr[s], eg_ptr[s + 1]):
            v = a + eg_s[j]
            if v < best[eg_group[j]]:
                best[eg_group[j]] = v


@numba.njit(cache=True)
def _range_raptor(tt_arrays, stop_idx, tr, acc, eg, departures, n_rounds):
    """Earliest arrival per origin, group and departure (departures sorted descending)."""
    (sp_ptr, sp_pat, sp_pos, board_ptr, board_s) = stop_idx
    (acc_ptr, acc_stop, acc_s) = acc
    (eg_ptr, eg_group, eg_s, n_groups) = eg
    n_stops = len(sp_ptr) - 1
    n_orig = len(acc_ptr) - 1
    out = np.full((n_orig, n_groups, len(departures)), np.inf)
    for o in range(n_orig):
        ready = np.full((n_rounds + 1, n_stops), np.inf)
        tau = np.full((n_rounds + 1, n_stops), np.inf)
        marked = np.zeros(n_stops, np.bool_)
        best = np.full(n_groups, np.inf)
        for d in range(len(departures)):
            t0 = departures[d]
            if _new_boarding(acc_ptr, acc_stop, acc_s, o, t0, ready, board_ptr, board_s):
                for j in range(acc_ptr[o], acc_ptr[o + 1]):
                    if _improve(ready, 0, acc_stop[j], t0 + acc_s[j]):
                        marked[acc_stop[j]] = True
                _rounds(tt_arrays, sp_ptr, sp_pat, sp_pos, tr, marked, ready, tau, n_rounds)
                marked[:] = False
                _best_arrivals(tau, n_rounds, eg_ptr, eg_group, eg_s, best)
            for g in range(n_groups):
                out[o, g, d] = best[g] - t0
    return out


@numba.njit(cache=True)
def _stop_profiles(tt_arrays, stop_idx, tr, eg, starts, r_lo, r_hi, n_rounds):
    """Earliest arrival per group from each stop in ``starts``, ready there at each of its
    boarding times from the first at or after ``r_lo`` to the first at or after ``r_hi``.

    Returns (row of each start's first boarding time, index of that time in the stop's
    boarding times, (rows, n_groups) arrivals). A Range RAPTOR from the one stop, later
    boarding times first, so each row is the best over every journey boarding there at or
    after that time.
    """
    (sp_ptr, sp_pat, sp_pos, board_ptr, board_s) = stop_idx
    (eg_ptr, eg_group, eg_s, n_groups) = eg
    n_stops = len(sp_ptr) - 1
    lo = np.empty(len(starts), np.int64)
    row0 = np.zeros(len(starts) + 1, np.int64)
    for i in range(len(starts)):
        a, b = board_ptr[starts[i]], board_ptr[starts[i] + 1]
        lo[i] = a + np.searchsorted(board_s[a:b], r_lo)
        hi = min(a + np.searchsorted(board_s[a:b], r_hi), b - 1)
        row0[i + 1] = row0[i] + max(hi - lo[i] + 1, 0)
    arrivals = np.full((row0[-1], n_groups), np.inf)
    marked = np.zeros(n_stops, np.bool_)
    for i in range(len(starts)):
        ready = np.full((n_rounds + 1, n_stops), np.inf)
        tau = np.full((n_rounds + 1, n_stops), np.inf)
        best = np.full(n_groups, np.inf)
        for row in range(row0[i + 1] - 1, row0[i] - 1, -1):
            r = board_s[lo[i] + row - row0[i]]
            if _improve(ready, 0, starts[i], r):
                marked[starts[i]] = True
                _rounds(tt_arrays, sp_ptr, sp_pat, sp_pos, tr, marked, ready, tau, n_rounds)
                marked[:] = False
                _best_arrivals(tau, n_rounds, eg_ptr, eg_group, eg_s, best)
            arrivals[row] = best
    return row0, lo, arrivals


@numba.njit(cache=True)
def _from_profiles(acc, start_at, board, profiles, departures, n_groups):
    """Earliest arrival per origin, group and departure from the stops' profiles
    (:func:`_stop_profiles`): a journey starts at one access stop, so the best over the
    origin's access stops of the best from each, ready there at departure + walk."""
    (acc_ptr, acc_stop, acc_s) = acc
    (board_ptr, board_s) = board
    (row0, lo, arrivals) = profiles
    n_orig = len(acc_ptr) - 1
    out = np.full((n_orig, n_groups, len(departures)), np.inf)
    best = np.empty(n_groups)
    for o in range(n_orig):
        for d in range(len(departures)):
            t0 = departures[d]
            best[:] = np.inf
            for j in range(acc_ptr[o], acc_ptr[o + 1]):
                s = acc_stop[j]
                i = start_at[s]
                a, b = board_ptr[s], board_ptr[s + 1]
                at = a + np.searchsorted(board_s[a:b], t0 + acc_s[j])
                if at >= b:
                    continue
                row = row0[i] + at - lo[i]
                for g in range(n_groups):
                    if arrivals[row, g] < best[g]:
                        best[g] = arrivals[row, g]
            for g in range(n_groups):
                out[o, g, d] = best[g] - t0
    return out


# ------------------------------------------------------------------------ public entry
def transit_times(
    tt: Timetable,
    *,
    access: pd.DataFrame,
    egress: pd.DataFrame,
    departures_s: Sequence[float],
    n_origins: int,
    n_groups: int,
    max_transfers: int = 3,
    by_stop: bool = True,
) -> np.ndarray:
    """Door-to-door ov time for every origin, destination group and departure time.

    Parameters
    ----------
    tt
        The day's timetable (:func:`build_timetable`).
    access
        Walks to stops: ``origin`` (0..n_origins-1), ``stop``, ``time_s``.
    egress
        Walks from stops: ``stop``, ``group`` (0..n_groups-1; a group is one destination or
        a set of them, e.g. all huisartsenposten), ``time_s``.
    departures_s
        Departure times, seconds after midnight of the timetable's day.
    max_transfers
        Changes of vehicle allowed (max_transfers + 1 vehicles).
    by_stop
        Search once from each access stop, ready there at each of its boarding times, and
        give each origin the best over its access stops (a journey starts at one of them;
        the same numbers, bit for bit, with far fewer searches when many origins share
        stops). False: a Range RAPTOR from every origin.

    Returns
    -------
    numpy.ndarray
        (n_origins, n_groups, n_departures) seconds from departure to arrival; ``inf``
        where no journey with at least one vehicle exists.
    """
    if max_transfers < 0:
        raise RoutingError("max_transfers must be >= 0")
    _check_range(access, "origin", n_origins, "access")
    _check_range(access, "stop", tt.n_stops, "access")
    _check_range(egress, "stop", tt.n_stops, "egress")
    _check_range(egress, "group", n_groups, "egress")
    deps = np.asarray(departures_s, dtype=np.float64)
    order = np.argsort(-deps, kind="stable")
    acc = access.sort_values(["origin", "stop"], kind="stable")
    acc_o = acc["origin"].to_numpy(np.int64)
    acc_ptr = np.r_[0, np.cumsum(np.bincount(acc_o, minlength=n_origins))].astype(np.int64)
    eg = egress.groupby(["stop", "group"], as_index=False)["time_s"].min()
    eg_stop = eg["stop"].to_numpy(np.int64)
    eg_ptr = np.r_[0, np.cumsum(np.bincount(eg_stop, minlength=tt.n_stops))].astype(np.int64)
    tt_arrays = (
        tt.pattern_stop_ptr,
        tt.pattern_stops,
        tt.pattern_n_trips,
        tt.pattern_time_ptr,
        tt.arrival_s,
        tt.departure_s,
        tt.pickup,
        tt.drop_off,
    )
    stop_idx = (
        tt.stop_pattern_ptr,
        tt.stop_pattern,
        tt.stop_pattern_pos,
        tt.stop_board_ptr,
        tt.stop_board_s,
    )
    trf = (tt.transfer_ptr, tt.transfer_to, tt.transfer_s, tt.min_transfer_s)
    acc_arrays = (acc_ptr, acc["stop"].to_numpy(np.int64), acc["time_s"].to_numpy(np.float64))
    eg_arrays = (
        eg_ptr,
        eg["group"].to_numpy(np.int64),
        eg["time_s"].to_numpy(np.float64),
        n_groups,
    )
    n_rounds = int(max_transfers) + 1
    if by_stop and len(acc_arrays[1]) and len(deps):
        out = _via_stop_profiles(
            tt, tt_arrays, stop_idx, trf, acc_arrays, eg_arrays, deps[order], n_rounds
        )
    else:
        out = _range_raptor(tt_arrays, stop_idx, trf, acc_arrays, eg_arrays, deps[order], n_rounds)
    if np.array_equal(order, np.arange(len(deps) - 1, -1, -1)):  # ascending minutes
        return out[:, :, ::-1]
    result = np.empty_like(out)
    result[:, :, order] = out
    return result


def _via_stop_profiles(tt, tt_arrays, stop_idx, trf, acc, eg, deps, n_rounds):
    """:func:`_range_raptor`'s arrivals via :func:`_stop_profiles` of the access stops."""
    starts = np.unique(acc[1])
    start_at = np.full(tt.n_stops, -1, np.int64)
    start_at[starts] = np.arange(len(starts))
    r_lo = float(deps.min() + acc[2].min())
    r_hi = float(deps.max() + acc[2].max())
    profiles = _stop_profiles(tt_arrays, stop_idx, trf, eg, starts, r_lo, r_hi, n_rounds)
    board = (tt.stop_board_ptr, tt.stop_board_s)
    return _from_profiles(acc, start_at, board, profiles, deps, eg[3])


def _check_range(table: pd.DataFrame, column: str, n: int, what: str) -> None:
    values = table[column].to_numpy()
    if len(values) and (values.min() < 0 or values.max() >= n):
        raise RoutingError(
            f"{what}.{column} holds {values.max() if values.max() >= n else values.min()}, "
            f"outside 0..{n - 1}; number {column}s from 0 as in the timetable"
        )


# ------------------------------------------------------------------------- percentiles
def order_percentiles(times: np.ndarray, percentiles: Sequence[float] = PERCENTILES) -> np.ndarray:
    """Order-statistic percentiles over the last axis; ``inf`` (no trip) gives NaN.

    The p-th percentile of n values is the k-th smallest with k = ceil(p / 100 · n): the
    least time within which at least p % of the departures arrive.
    """
    out = _order_stats(times, percentiles)
    return np.where(np.isfinite(out), out, np.nan)


def _order_stats(times: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """The order statistics of :func:`order_percentiles`, ``inf`` kept."""
    n = times.shape[-1]
    ks = [max(int(np.ceil(p / 100.0 * n)) - 1, 0) for p in percentiles]
    part = np.partition(times, sorted(set(ks)), axis=-1)
    return np.stack([part[..., k] for k in ks], axis=-1)


def _capped_order_stats(transit_s: np.ndarray, max_s: float, percentiles: Sequence[float]):
    """:func:`_order_stats` of ``transit_s`` with times above ``max_s`` as ``inf``, and the
    number of finite times left, over the last axis (each row's finite times sorted)."""
    *lead, n = transit_s.shape
    if n == 0:
        tr = np.where(transit_s <= max_s, transit_s, np.inf)
        return _order_stats(tr, percentiles), np.zeros(tuple(lead), np.int64)
    ks = np.asarray([max(int(np.ceil(p / 100.0 * n)) - 1, 0) for p in percentiles], np.int64)
    if transit_s.strides[-1] < 0:  # a reversed view: the order does not matter, memory does
        transit_s = transit_s[..., ::-1]
    stats, count = _capped_order_stats_rows(transit_s.reshape(-1, n), max_s, ks)
    return stats.reshape((*lead, len(ks))), count.reshape(lead)


@numba.njit(cache=True)
def _capped_order_stats_rows(times, max_s, ks):
    stats = np.full((times.shape[0], len(ks)), np.inf)
    count = np.zeros(times.shape[0], np.int64)
    buf = np.empty(times.shape[1])
    for i in range(times.shape[0]):
        c = 0
        for j in range(times.shape[1]):
            v = times[i, j]
            if v <= max_s and np.isfinite(v):
                buf[c] = v
                c += 1
        count[i] = c
        if c == 0:
            continue
        srt = buf[:c]
        srt.sort()  # the infinite times would sort after these
        for q in range(len(ks)):
            if ks[q] < c:
                stats[i, q] = srt[ks[q]]
    return stats, count


def summarize_window(
    transit_s: np.ndarray, walk_s: np.ndarray, *, max_travel_s: float
) -> dict[str, np.ndarray]:
    """Per-pair figures for one window (see the module docstring for their meaning).

    Parameters
    ----------
    transit_s
        (..., n_departures) door-to-door ov seconds, ``inf`` for no trip.
    walk_s
        (...) walking seconds, NaN when unreachable.
    max_travel_s
        Longer journeys (ov or walking) count as none.
    """
    walk = np.where(np.isfinite(walk_s) & (walk_s <= max_travel_s), walk_s, np.inf)
    # the k-th smallest of min(t_i, walk) is min(k-th smallest t_i, walk): one sort
    stats, n_trips = _capped_order_stats(transit_s, float(max_travel_s), PERCENTILES)
    ov = np.minimum(stats, walk[..., None])
    tp = np.where(np.isfinite(stats), stats, np.nan) / 60.0
    op = np.where(np.isfinite(ov), ov, np.nan) / 60.0
    share = n_trips / transit_s.shape[-1]
    ov_by = np.where(
        ~np.isfinite(op[..., 1]),
        "none",
        np.where(np.nan_to_num(tp[..., 1], nan=np.inf) < walk / 60.0, "transit", "walk"),
    )
    return {
        "walk_min": np.where(np.isfinite(walk_s), walk_s / 60.0, np.nan),
        "transit_p05_min": tp[..., 0],
        "transit_p50_min": tp[..., 1],
        "transit_p95_min": tp[..., 2],
        "transit_share": share,
        "no_trip": share == 0,
        "ov_p05_min": op[..., 0],
        "ov_p50_min": op[..., 1],
        "ov_p95_min": op[..., 2],
        "ov_by": ov_by,
    }


# ------------------------------------------------------------------ door to door (ov)
def window_date(settings: TransitSettings, window: TransitWindow) -> dt.date:
    """The calendar day of ``window``: its weekday in the week of ``settings.service_date``."""
    try:
        day = dt.date.fromisoformat(settings.service_date)
    except ValueError:
        raise ConfigError(
            f"[transit] service_date {settings.service_date!r} must be a date YYYY-MM-DD "
            'within the feed\'s period, e.g. "2026-03-04"'
        ) from None
    return day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=window.weekday)


def service_dates(settings: TransitSettings) -> tuple[dt.date, ...]:
    """The calendar days the windows need (to read the feed for)."""
    return tuple(sorted({window_date(settings, w) for w in settings.windows}))


@dataclass(frozen=True, eq=False)
class WalkLegs:
    """The walking parts of ov journeys, over the walk network.

    ``access``: ``origin``, ``stop``, ``time_s``; ``egress``: ``stop``, ``destination``,
    ``time_s``; ``transfers``: ``from_stop``, ``to_stop``, ``time_s`` (positions); ``walk_s``:
    (n_origins, n_destinations) walking all the way, NaN where not reached (None when the
    caller brings its own walking times per group, see :func:`ov_minutes`).
    """

    access: pd.DataFrame
    egress: pd.DataFrame
    transfers: pd.DataFrame
    walk_s: np.ndarray | None
    n_origins: int
    n_destinations: int


def walk_legs(
    net: Network,
    *,
    stops,
    origins,
    destinations,
    profile: TravelProfile,
    settings: TransitSettings,
    max_snap_m: float = 500.0,
    walk_s: np.ndarray | None = None,
    walk_matrix: bool = True,
) -> WalkLegs:
    """Walks to, between and from stops within the limits of ``settings``.

    ``stops``, ``origins``, ``destinations`` are GeoDataFrames or GeoSeries in the network's
    CRS. ``walk_s`` reuses walking times the caller already has (n_origins, n_destinations);
    ``walk_matrix=False`` skips walking all the way (the caller passes ``walk_group_s`` to
    :func:`ov_minutes`).
    """
    if profile.network != "walk" or not profile.speed_mps:
        raise ConfigError(f"[transit] walk_profile {profile.name!r} must be a walk profile")
    geo = [getattr(x, "geometry", x) for x in (stops, origins, destinations)]
    s_st, s_o, s_d = (snap_points(net, g, max_snap_m=max_snap_m) for g in geo)
    access_s = settings.max_access_walk_m / profile.speed_mps
    # only the origins within reach of a stop are searched (the same pairs, see
    # routing.origins_within_reach): most cells lie far from every stop
    near = origins_within_reach(net, s_o, s_st, profile=profile, cutoff_s=access_s)
    acc = travel_times_within(net, s_o.subset(near), s_st, profile=profile, cutoff_s=access_s)
    acc["origin"] = near[acc["origin"].to_numpy()]
    egr = travel_times_within(net, s_st, s_d, profile=profile, cutoff_s=access_s)
    trf = travel_times_within(
        net, s_st, s_st, profile=profile, cutoff_s=settings.max_transfer_walk_m / profile.speed_mps
    )
    if walk_s is None and walk_matrix:
        walk_s = travel_time_matrix(
            net, s_o, s_d, profile=profile, cutoff_s=settings.max_travel_min * 60.0
        )
    return WalkLegs(
        access=acc.rename(columns={"destination": "stop"}),
        egress=egr.rename(columns={"origin": "stop"}),
        transfers=trf.rename(columns={"origin": "from_stop", "destination": "to_stop"}),
        walk_s=None if walk_s is None else np.asarray(walk_s, dtype=np.float64),
        n_origins=len(s_o),
        n_destinations=len(s_d),
    )


@dataclass(frozen=True, eq=False)
class OvTimes:
    """Door-to-door ov per origin, destination group and window.

    Attributes
    ----------
    table
        One row per origin, group and window: ``origin`` (the origins' index label),
        ``group``, ``window`` and the columns of :func:`summarize_window`.
    minutes
        Per window name, (n_origins, n_groups, n_departures) ov minutes per departure
        minute (inf: no trip), for plots of one village.
    groups
        The group labels in the order of the arrays.
    """

    table: pd.DataFrame
    minutes: dict[str, np.ndarray] = field(default_factory=dict)
    groups: tuple = ()


def ov_minutes(
    feed,
    legs: WalkLegs,
    *,
    settings: TransitSettings,
    origin_index: Sequence,
    groups: Sequence | None = None,
    windows: Sequence[TransitWindow] | None = None,
    walk_group_s: Mapping[Any, np.ndarray] | None = None,
    keep_minutes: bool = True,
) -> OvTimes:
    """Public transport door to door for each window (see the module docstring).

    Parameters
    ----------
    feed
        A :class:`~bereikbaar.inputs.gtfs.TransitFeed` read for :func:`service_dates`.
    legs
        The walking legs (:func:`walk_legs`) for these stops, origins and destinations.
    origin_index
        Labels of the origins (the ``origin`` column of the table).
    groups
        A label per destination (e.g. the service kind): times are to the nearest
        destination of each group, per departure minute. None: each destination alone.
    windows
        Default: ``settings.windows``.
    walk_group_s
        Walking all the way to the nearest destination of each group, seconds per origin
        (NaN: not reached), by group label; default: from ``legs.walk_s``.
    keep_minutes
        Keep the per-minute arrays in :attr:`OvTimes.minutes` (False saves memory when
        only the table is needed).
    """
    n_o, n_d = legs.n_origins, legs.n_destinations
    labels = np.arange(n_d) if groups is None else np.asarray(groups)
    uniq, gidx = np.unique(labels, return_inverse=True)
    walk_g = _walk_by_group(legs, walk_group_s, uniq, gidx)
    egress = legs.egress.assign(group=gidx[legs.egress["destination"].to_numpy()])
    frames, minutes = [], {}
    for w in windows or settings.windows:
        date = window_date(settings, w)
        timetable = feed_timetable(
            feed, date, transfers=legs.transfers, min_transfer_s=settings.min_transfer_min * 60.0
        )
        deps = np.arange(w.start_s, w.end_s, 60, dtype=np.float64)
        tr = transit_times(
            timetable,
            access=legs.access,
            egress=egress,
            departures_s=deps,
            n_origins=n_o,
            n_groups=len(uniq),
            max_transfers=settings.max_transfers,
        )
        summary = summarize_window(tr, walk_g, max_travel_s=settings.max_travel_min * 60.0)
        frames.append(_long_table(summary, origin_index, uniq, w.name))
        if keep_minutes:
            minutes[w.name] = _ov_per_minute(tr, walk_g, settings.max_travel_min * 60.0) / 60.0
        log.info(
            "ov %s (%s): %d origins x %d groups x %d minutes",
            w.name,
            date,
            n_o,
            len(uniq),
            len(deps),
        )
    return OvTimes(table=pd.concat(frames, ignore_index=True), minutes=minutes, groups=tuple(uniq))


#: Timetables per feed object, by (date, min_transfer_s, digest of the transfers).
_TIMETABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def feed_timetable(
    feed, date: dt.date, *, transfers: pd.DataFrame, min_transfer_s: float
) -> Timetable:
    """:func:`build_timetable` of ``feed.timetable(date)``, built once per feed, date,
    transfers (by content) and ``min_transfer_s`` and kept while the feed lives."""
    from bereikbaar.routing import _digest

    cols = [transfers[c].to_numpy() for c in ("from_stop", "to_stop", "time_s")]
    key = (date, float(min_transfer_s), _digest(*cols))
    try:
        per_feed = _TIMETABLES.setdefault(feed, {})
    except TypeError:  # a feed that cannot be weakly referenced or hashed: no cache
        per_feed = {}
    if key not in per_feed:
        while len(per_feed) >= 8:  # a few transfer sets at most; drop the oldest
            per_feed.pop(next(iter(per_feed)))
        per_feed[key] = build_timetable(
            _day_stop_times(feed, date),
            n_stops=len(feed.stops),
            transfers=transfers,
            min_transfer_s=min_transfer_s,
        )
    return per_feed[key]


def _per_feed(feed, key, compute):
    """``compute()`` once per feed object and ``key`` (kept while the feed lives)."""
    try:
        store = _FEED_CACHE.setdefault(feed, {})
    except TypeError:  # a feed that cannot be weakly referenced or hashed: no cache
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


_FEED_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _day_stop_times(feed, date: dt.date) -> pd.DataFrame:
    """``feed.timetable(date)``, read once per feed and date (do not modify it)."""
    return _per_feed(feed, ("timetable", date), lambda: feed.timetable(date))


def _ov_per_minute(tr: np.ndarray, walk_g: np.ndarray, max_s: float) -> np.ndarray:
    """min(ov, walking) per departure minute, seconds; inf where neither is within max_s."""
    with np.errstate(invalid="ignore"):
        walk = np.where(walk_g <= max_s, walk_g, np.inf)
    return np.minimum(np.where(tr <= max_s, tr, np.inf), walk[..., None])


def _walk_by_group(legs: WalkLegs, walk_group_s, uniq, gidx) -> np.ndarray:
    if walk_group_s is not None:
        missing = [g for g in uniq if g not in walk_group_s]
        if missing:
            raise RoutingError(f"walk_group_s lacks the walking times to group {missing[0]!r}")
        return np.column_stack([np.asarray(walk_group_s[g], dtype=float) for g in uniq])
    if legs.walk_s is None:
        raise RoutingError("no walking times: pass walk_group_s or walk_legs(walk_matrix=True)")
    return _group_min(legs.walk_s, gidx, len(uniq))


def _group_min(walk_s: np.ndarray, gidx: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.full((walk_s.shape[0], n_groups), np.inf)
    w = np.where(np.isfinite(walk_s), walk_s, np.inf)
    for g in range(n_groups):
        cols = gidx == g
        if cols.any():
            out[:, g] = w[:, cols].min(axis=1)
    return np.where(np.isfinite(out), out, np.nan)


def _long_table(summary: dict, origin_index, group_labels, window: str) -> pd.DataFrame:
    n_o, n_g = summary["walk_min"].shape
    table = pd.DataFrame(
        {
            "origin": np.repeat(np.asarray(origin_index), n_g),
            "group": np.tile(group_labels, n_o),
            "window": window,
        }
    )
    for key, values in summary.items():
        table[key] = np.asarray(values).reshape(-1)
    return table


# ------------------------------------------------------------------ departures at hubs
def departures_per_hour(
    feed,
    points,
    *,
    date: dt.date,
    start_s: int,
    end_s: int,
    radius_m: float = 300.0,
    route_types: Sequence[str] | None = None,
) -> np.ndarray:
    """Departures per hour at each point (a station or bus hub) from the feed.

    A departure is a trip leaving (boarding allowed, not at its last stop) from a stop
    within ``radius_m`` of the point between ``start_s`` and ``end_s`` (seconds after
    midnight of ``date``); a trip calling at two platforms of the hub counts once.

    Parameters
    ----------
    feed
        A :class:`~bereikbaar.inputs.gtfs.TransitFeed` read for ``date``.
    points
        GeoDataFrame/GeoSeries in the feed's working CRS.
    route_types
        Count only these GTFS route types (e.g. ``("2",)`` for trains at a station); None
        counts every trip.

    Returns
    -------
    numpy.ndarray
        float (n_points,): departures per hour; 0 where no stop lies within ``radius_m``.
    """
    import shapely

    if end_s <= start_s:
        raise RoutingError("departures_per_hour needs end_s > start_s")
    types = None if route_types is None else tuple(route_types)
    ev = _per_feed(
        feed,
        ("departure_events", date, start_s, end_s, types),
        lambda: _departure_events(feed, date, start_s, end_s, types),
    )
    geoms = getattr(points, "geometry", points).to_numpy()
    tree = _per_feed(feed, ("stops_tree",), lambda: shapely.STRtree(feed.stops.geometry.to_numpy()))
    p_idx, s_idx = tree.query(geoms, predicate="dwithin", distance=radius_m)
    pairs = pd.DataFrame({"point": p_idx, "stop": s_idx}).merge(ev, on="stop")
    counts = pairs.drop_duplicates(["point", "trip"]).groupby("point").size()
    out = np.zeros(len(geoms))
    out[counts.index.to_numpy()] = counts.to_numpy()
    return out / ((end_s - start_s) / 3600.0)


def _departure_events(feed, date, start_s, end_s, route_types) -> pd.DataFrame:
    """``trip`` and ``stop`` of every departure in the window (kept per feed: do not
    modify)."""
    st_ = _day_stop_times(feed, date)
    last = np.r_[st_["trip"].to_numpy()[1:] != st_["trip"].to_numpy()[:-1], True]
    dep = st_["departure_s"].to_numpy()
    use = st_["pickup"].to_numpy() & ~last & (dep >= start_s) & (dep < end_s)
    if route_types is not None:
        n_trips = len(feed.trips)
        rtype = feed.trips["route_type"].astype(str).to_numpy()
        use &= np.isin(rtype[st_["trip"].to_numpy() % max(n_trips, 1)], list(route_types))
    return pd.DataFrame({"trip": st_["trip"].to_numpy()[use], "stop": st_["stop"].to_numpy()[use]})


def stop_departures_per_hour(feed, *, date: dt.date, start_s: int, end_s: int) -> np.ndarray:
    """:func:`departures_per_hour` at every stop of the feed (``feed.stops`` order), each
    stop with the stops at its very spot (``radius_m=0``); worked out once per feed, date
    and window, so the municipalities take their stops' rows from the same array.
    Read-only: index it (a copy) rather than change it."""

    def compute():
        out = departures_per_hour(
            feed, feed.stops, date=date, start_s=start_s, end_s=end_s, radius_m=0.0
        )
        out.flags.writeable = False
        return out

    return _per_feed(feed, ("stop_departures_per_hour", date, start_s, end_s), compute)


def ov_to_destinations(
    net: Network,
    feed,
    origins,
    destinations,
    *,
    settings: TransitSettings,
    profile: TravelProfile,
    groups: Sequence | None = None,
    windows: Sequence[TransitWindow] | None = None,
    max_snap_m: float = 500.0,
    walk_s: np.ndarray | None = None,
    walk_group_s: Mapping[Any, np.ndarray] | None = None,
) -> OvTimes:
    """One call for notebooks and analyses: :func:`walk_legs` then :func:`ov_minutes`.

    ``origins`` and ``destinations`` are GeoDataFrames in the network's CRS; the table's
    ``origin`` is the origins' index. ``groups`` (e.g. ``services["kind"]``) gives times to
    the nearest destination of each group. ``walk_group_s`` (walking seconds per origin to
    the nearest of each group, e.g. from the walk mode of Dorpshub) saves the walking matrix.
    """
    legs = walk_legs(
        net,
        stops=feed.stops,
        origins=origins,
        destinations=destinations,
        profile=profile,
        settings=settings,
        max_snap_m=max_snap_m,
        walk_s=walk_s,
        walk_matrix=walk_group_s is None,
    )
    return ov_minutes(
        feed,
        legs,
        settings=settings,
        origin_index=origins.index,
        groups=None if groups is None else np.asarray(groups),
        windows=windows,
        walk_group_s=walk_group_s,
    )
