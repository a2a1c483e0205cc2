"""Dorpshub for the whole province: villages, worst villages per municipality, time.

Target (issue 5): all 12 municipalities, all modes and services <= 60 s with networks from
the cache. Prints the time per municipality and per phase of ``compute_dorpshub`` (each
phase function timed in place; the sum of the phases plus the pipeline's input
selection is the analyses time). Public transport (issue 16, with ``[transit] gtfs``): the
ov phases, and beside them a time-expanded Dijkstra baseline on the same feed (timed per
search on a sample by ``benchmarks/transit.py``'s baseline, scaled to the same number of
origin × departure-minute searches). Run: python benchmarks/dorpshub.py
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict

from _common import load_cfg, peak_rss_mb, print_table

from bereikbaar.pipeline import open_study_area, run_dorpshub

#: The phases of ``compute_dorpshub``, in order (names in ``bereikbaar.dorpshub._compute``).
PHASES = (
    "feed_departures",
    "prepare_inputs",
    "snap_inputs",
    "ov_service_times",
    "assign_cells_to_villages",
    "service_times",
    "norm_shares",
    "without_car",
    "hub_reach",
    "choose_hubs",
    "build_tables",
    "_configured_what_if",
    "assumptions_nl",
    "build_summary",
)


def time_phases() -> dict[str, float]:
    """Wrap each phase function of the orchestrator with a timer; returns the totals (s)."""
    from bereikbaar.dorpshub import _compute

    totals: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - t0

        return wrapper

    for name in PHASES:
        setattr(_compute, name, timed(name, getattr(_compute, name)))
    return totals


def count_ov_searches() -> dict[str, int]:
    """Count the (origin × departure minute) searches of every ov run."""
    from bereikbaar import transit

    counts = {"searches": 0}
    inner = transit.transit_times

    @functools.wraps(inner)
    def counted(tt, **kwargs):
        counts["searches"] += kwargs["n_origins"] * len(kwargs["departures_s"])
        return inner(tt, **kwargs)

    transit.transit_times = counted
    return counts


def baseline_s_per_search(cfg, area, n_villages: int = 4) -> float:
    """Seconds per search of the time-expanded Dijkstra baseline (benchmarks/transit.py)."""
    import numpy as np
    from transit import _baseline_graph, _baseline_query

    from bereikbaar.transit import walk_legs, window_date

    ts = cfg.transit
    feed = area._cache["gtfs"].data
    villages = area.places().data
    villages = villages[villages.within(area.province)].reset_index(drop=True)
    services = area.services().reset_index(drop=True)
    legs = walk_legs(
        area.network("walk"),
        stops=feed.stops,
        origins=villages,
        destinations=services,
        profile=cfg.profile(ts.walk_profile),
        settings=ts,
        walk_matrix=False,
    )
    kinds, gidx = np.unique(services["kind"].to_numpy(), return_inverse=True)
    egress = legs.egress.assign(group=gidx[legs.egress["destination"].to_numpy()])
    egress = egress.groupby(["stop", "group"], as_index=False)["time_s"].min()
    w = ts.windows[0]
    base, n, sink, waits = _baseline_graph(
        feed.timetable(window_date(ts, w)),
        legs.transfers,
        egress,
        ts.min_transfer_min * 60,
        len(kinds),
    )
    sample = np.unique(legs.access["origin"])[:n_villages]
    deps = np.arange(w.start_s, w.end_s, 60, dtype=float)
    t0 = time.perf_counter()
    for o in sample:
        acc = legs.access[legs.access["origin"] == o]
        rows = list(zip(acc["stop"], acc["time_s"], strict=True))
        for t in deps:
            _baseline_query(base, n, sink, waits, rows, t, ts.max_travel_min * 240)
    return (time.perf_counter() - t0) / (len(sample) * len(deps))


def main() -> None:
    cfg = load_cfg()
    area = open_study_area(cfg)
    t0 = time.perf_counter()
    for mode in ("walk", "bike", "drive"):
        area.network(mode)
    area.sources_note()  # one pass over the extract, shared by every municipality
    t_net = time.perf_counter() - t0
    phases = time_phases()
    searches = count_ov_searches()
    rows = []
    t_start = time.perf_counter()
    for name in area.municipalities["statnaam"]:
        t = time.perf_counter()
        res = run_dorpshub(name, cfg, area=area)
        s = res.summary
        worst = ", ".join(v["village"] for v in s.get("worst_villages", [])[:3])
        rows.append(
            {
                "gemeente": name,
                "villages": s["villages"],
                "residents": round(s["residents"]),
                "buitengebied": round(s["residents_buitengebied"]),
                "worst villages": worst,
                "seconds": time.perf_counter() - t,
            }
        )
    total = time.perf_counter() - t_start
    print_table(
        rows,
        ["gemeente", "villages", "residents", "buitengebied", "worst villages", "seconds"],
        title="Dorpshub, Drenthe test region",
    )
    print_table(
        [{"phase": p, "seconds": phases.get(p, 0.0)} for p in PHASES],
        ["phase", "seconds"],
        title="Phases of compute_dorpshub, all municipalities",
    )
    print(
        f"\nnetworks (walk, bike, drive) load: {t_net:.1f} s; analyses: {total:.1f} s; "
        f"total {t_net + total:.1f} s (target <= 60 s); peak memory {peak_rss_mb():.0f} MB"
    )
    if cfg.transit.gtfs is not None and searches["searches"]:
        t_ov = sum(phases.get(p, 0.0) for p in ("feed_departures", "ov_service_times"))
        per = baseline_s_per_search(cfg, area)
        base = per * searches["searches"]
        print(
            f"ov: {t_ov:.1f} s for {searches['searches']:,} origin x departure-minute searches "
            f"(walking legs included); time-expanded Dijkstra baseline {per * 1000:.1f} ms per "
            f"search -> {base:.0f} s for the same searches: ratio {base / t_ov:.0f}x"
        )


if __name__ == "__main__":
    main()
