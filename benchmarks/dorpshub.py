"""Dorpshub for the whole province: villages, worst villages per municipality, time.

Target (issue 5): all 12 municipalities, all modes and services <= 60 s with networks from
the cache. Run: python benchmarks/dorpshub.py
"""

from __future__ import annotations

import time

from _common import load_cfg, peak_rss_mb, print_table

from bereikbaar.pipeline import open_study_area, run_dorpshub


def main() -> None:
    cfg = load_cfg()
    area = open_study_area(cfg)
    t0 = time.perf_counter()
    for mode in ("walk", "bike", "drive"):
        area.network(mode)
    t_net = time.perf_counter() - t0
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
    print(
        f"\nnetworks (walk, bike, drive) load: {t_net:.1f} s; analyses: {total:.1f} s; "
        f"total {t_net + total:.1f} s (target <= 60 s); peak memory {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
