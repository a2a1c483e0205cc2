"""Dorpshub for the whole province: villages, worst villages per municipality, time.

Target (issue 5): all 12 municipalities, all modes and services <= 60 s with networks from
the cache. Prints the time per municipality and per phase of ``compute_dorpshub`` (each
phase function timed in place; the sum of the phases plus the pipeline's input
selection is the analyses time). Run: python benchmarks/dorpshub.py
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict

from _common import load_cfg, peak_rss_mb, print_table

from bereikbaar.pipeline import open_study_area, run_dorpshub

#: The phases of ``compute_dorpshub``, in order (names in ``bereikbaar.dorpshub._compute``).
PHASES = (
    "prepare_inputs",
    "snap_inputs",
    "assign_cells_to_villages",
    "service_times",
    "norm_shares",
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


def main() -> None:
    cfg = load_cfg()
    area = open_study_area(cfg)
    t0 = time.perf_counter()
    for mode in ("walk", "bike", "drive"):
        area.network(mode)
    area.sources_note()  # one pass over the extract, shared by every municipality
    t_net = time.perf_counter() - t0
    phases = time_phases()
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


if __name__ == "__main__":
    main()
