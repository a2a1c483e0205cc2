"""Public transport (ov) for the province: every village to the nearest service of each kind.

Target (issue 16): the province's villages x services for one 2-hour window (120 departure
minutes) in <= 30 s on the 2-core machine, with the walk network from the cache. Printed
side by side with a baseline: Dijkstra (scipy.sparse.csgraph) on a time-expanded graph of
the same feed, one search per village and departure minute, timed on a sample of villages
and scaled to all of them; the two must agree to the second on the sample.

Run: python benchmarks/transit.py [--baseline-villages 8]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import load_cfg, peak_rss_mb, print_table
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from bereikbaar.inputs.gtfs import read_gtfs
from bereikbaar.pipeline import open_study_area
from bereikbaar.transit import (
    build_timetable,
    ov_minutes,
    service_dates,
    transit_times,
    walk_legs,
    window_date,
)


def _inputs(cfg):
    area = open_study_area(cfg)
    t = time.perf_counter()
    net = area.network("walk")
    places = area.places().data
    villages = places[places.within(area.province)].reset_index(drop=True)
    services = area.services().reset_index(drop=True)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    ts = cfg.transit
    res = read_gtfs(ts.gtfs, dates=service_dates(ts), area=area.province, halo_m=ts.halo_m)
    t_feed = time.perf_counter() - t
    return net, villages, services, res.data, t_load, t_feed


def _baseline_graph(stop_times: pd.DataFrame, transfers, egress, min_tr: float, n_groups: int):
    """Time-expanded graph: a node per departure event and per arrival event, plus sinks."""
    st = stop_times.reset_index(drop=True)
    n_ev = len(st)
    dep_node = np.arange(n_ev)
    arr_node = n_ev + np.arange(n_ev)
    sink = 2 * n_ev + np.arange(n_groups)
    u, v, w = [], [], []
    same = st["trip"].to_numpy()[1:] == st["trip"].to_numpy()[:-1]
    i = np.flatnonzero(same)
    u += [dep_node[i]]
    v += [arr_node[i + 1]]
    w += [st["arrival_s"].to_numpy()[i + 1] - st["departure_s"].to_numpy()[i]]
    u += [arr_node]  # stay seated
    v += [dep_node]
    w += [st["departure_s"].to_numpy() - st["arrival_s"].to_numpy()]
    # waiting: boardable departures at a stop in time order (a chain of "wait" nodes)
    board = st[st["pickup"]].sort_values(["stop", "departure_s"], kind="stable")
    wait_node = 2 * n_ev + n_groups + np.arange(len(board))
    bstop, btime = board["stop"].to_numpy(), board["departure_s"].to_numpy().astype(float)
    nxt = np.flatnonzero(bstop[1:] == bstop[:-1])
    u += [wait_node[nxt], wait_node]
    v += [wait_node[nxt + 1], dep_node[board.index.to_numpy()]]
    w += [btime[nxt + 1] - btime[nxt], np.zeros(len(board))]
    # alight, change (same stop or walk) to the first boardable departure after it
    first_in_trip = np.r_[True, ~same]
    alight = st[st["drop_off"].to_numpy() & ~first_in_trip]
    tr = pd.concat(
        [
            pd.DataFrame(
                {
                    "from_stop": np.arange(st["stop"].max() + 1),
                    "to_stop": np.arange(st["stop"].max() + 1),
                    "time_s": min_tr,
                }
            ),
            transfers[transfers["from_stop"] != transfers["to_stop"]].assign(
                time_s=lambda d: np.maximum(d["time_s"], min_tr)
            ),
        ]
    )
    moves = alight.reset_index().merge(tr, left_on="stop", right_on="from_stop")
    ready = moves["arrival_s"].to_numpy() + moves["time_s"].to_numpy()
    starts = np.searchsorted(bstop, moves["to_stop"].to_numpy(), side="left")
    ends = np.searchsorted(bstop, moves["to_stop"].to_numpy(), side="right")
    pos = np.array(
        [s + np.searchsorted(btime[s:e], r) for s, e, r in zip(starts, ends, ready, strict=True)],
        dtype=np.int64,
    )
    ok = pos < ends
    u += [arr_node[moves["index"].to_numpy()[ok]]]
    v += [wait_node[pos[ok]]]
    w += [btime[pos[ok]] - moves["arrival_s"].to_numpy()[ok]]
    eg = alight.reset_index().merge(egress, on="stop")
    u += [arr_node[eg["index"].to_numpy()]]
    v += [sink[eg["group"].to_numpy()]]
    w += [eg["time_s"].to_numpy()]
    n = 2 * n_ev + n_groups + len(board) + 1
    base = (np.concatenate(u), np.concatenate(v), np.concatenate(w).astype(float))
    return base, n, sink, (bstop, btime, wait_node)


def _baseline_query(base, n, sink, waits, access_rows, t0: float, limit: float):
    bstop, btime, wait_node = waits
    src = n - 1
    su, sv, sw = [], [], []
    for stop, acc in access_rows:
        s, e = np.searchsorted(bstop, stop), np.searchsorted(bstop, stop, side="right")
        p = s + np.searchsorted(btime[s:e], t0 + acc)
        if p < e:
            su.append(src)
            sv.append(wait_node[p])
            sw.append(btime[p] - t0)
    u = np.r_[base[0], su]
    v = np.r_[base[1], sv]
    w = np.r_[base[2], sw] + 1e-9  # csgraph drops explicit zeros; 1e-9 s keeps them
    # (u, v) pairs are unique, so the sparse constructor sums nothing
    g = sparse.csr_array((w, (u, v)), shape=(n, n))
    d = dijkstra(g, indices=src, limit=limit)
    return d[sink]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-villages", type=int, default=8)
    args = ap.parse_args()
    cfg = load_cfg()
    ts = cfg.transit
    net, villages, services, feed, t_load, t_feed = _inputs(cfg)
    profile = cfg.profile(ts.walk_profile)
    t = time.perf_counter()
    legs = walk_legs(
        net,
        stops=feed.stops,
        origins=villages,
        destinations=services,
        profile=profile,
        settings=ts,
        max_snap_m=cfg.network.max_snap_m,
    )
    t_legs = time.perf_counter() - t
    window = ts.windows[0]
    rows = []
    for run in ("first (numba compile or cache load)", "second"):
        t = time.perf_counter()
        ov = ov_minutes(
            feed,
            legs,
            settings=ts,
            origin_index=villages.index,
            groups=services["kind"].to_numpy(),
            windows=[window],
        )
        rows.append({"step": f"ov {window.name}, {run}", "seconds": time.perf_counter() - t})
    t_ov = rows[-1]["seconds"]
    tab = ov.table
    # baseline on a sample of villages, same feed, same walking legs, same groups
    uniq, gidx = np.unique(services["kind"].to_numpy(), return_inverse=True)
    egress = legs.egress.assign(group=gidx[legs.egress["destination"].to_numpy()])
    egress = egress.groupby(["stop", "group"], as_index=False)["time_s"].min()
    day = window_date(ts, window)
    stop_times = feed.timetable(day)
    t = time.perf_counter()
    base, n, sink, waits = _baseline_graph(
        stop_times, legs.transfers, egress, ts.min_transfer_min * 60, len(uniq)
    )
    t_graph = time.perf_counter() - t
    rng = np.random.default_rng(0)
    with_access = np.unique(legs.access["origin"])
    sample = rng.choice(
        with_access, size=min(args.baseline_villages, len(with_access)), replace=False
    )
    deps = np.arange(window.start_s, window.end_s, 60, dtype=float)
    t = time.perf_counter()
    base_times = np.full((len(sample), len(uniq), len(deps)), np.inf)
    for i, o in enumerate(sample):
        acc = legs.access[legs.access["origin"] == o]
        rows_acc = list(zip(acc["stop"], acc["time_s"], strict=True))
        for d, t0 in enumerate(deps):
            base_times[i, :, d] = _baseline_query(
                base, n, sink, waits, rows_acc, t0, ts.max_travel_min * 60 * 4
            )
    t_base_sample = time.perf_counter() - t
    tt = build_timetable(
        stop_times,
        n_stops=len(feed.stops),
        transfers=legs.transfers,
        min_transfer_s=ts.min_transfer_min * 60,
    )
    ours = transit_times(
        tt,
        access=legs.access[legs.access["origin"].isin(sample)].assign(
            origin=lambda d: np.searchsorted(np.sort(sample), d["origin"])
        ),
        egress=egress,
        departures_s=deps,
        n_origins=len(sample),
        n_groups=len(uniq),
        max_transfers=50,
    )
    order = np.argsort(sample)
    diff = np.abs(
        np.where(np.isfinite(ours), ours, -1)
        - np.where(np.isfinite(base_times[order]), base_times[order], -1)
    )
    t_base_all = t_base_sample / len(sample) * len(villages)
    rows += [
        {"step": "walk network, places, services (cache)", "seconds": t_load},
        {
            "step": f"read GTFS ({len(feed.stops)} stops, {len(feed.trips)} trips)",
            "seconds": t_feed,
        },
        {"step": "walking legs (access, egress, transfers, walk-only)", "seconds": t_legs},
        {"step": "baseline: build time-expanded graph", "seconds": t_graph},
        {
            "step": f"baseline: {len(sample)} villages x {len(deps)} minutes",
            "seconds": t_base_sample,
        },
        {"step": f"baseline scaled to {len(villages)} villages", "seconds": t_base_all},
    ]
    print_table(
        rows,
        ["step", "seconds"],
        title=f"ov, Drenthe test region, {len(villages)} villages x {len(services)} services ({len(uniq)} kinds), window {window.label}",
    )
    no_trip = tab[tab["no_trip"]].shape[0]
    print(
        f"\nov {t_ov:.2f} s vs time-expanded Dijkstra {t_base_all:.1f} s (scaled): ratio {t_base_all / t_ov:.0f}x; "
        f"sample agrees to {np.nanmax(diff):.6f} s; target <= 30 s; "
        f"{no_trip} of {len(tab)} village-service pairs without a trip; peak memory {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
