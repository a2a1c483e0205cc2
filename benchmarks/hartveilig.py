"""Hartveilig for the whole province: coverage per moment, white spots, time.

Target (issue 4): <= 60 s for the 12 municipalities (4 moments + weekly share + 10 proposals
each) on a 2-core machine, networks loaded from the cache. Run: python benchmarks/hartveilig.py
"""

from __future__ import annotations

import time

from _common import load_cfg, peak_rss_mb, print_table

from bereikbaar.pipeline import open_study_area, run_hartveilig


def main() -> None:
    cfg = load_cfg()
    area = open_study_area(cfg)
    t0 = time.perf_counter()
    area.network("walk")  # from the cache after the first run
    t_net = time.perf_counter() - t0
    t1 = time.perf_counter()
    area.population(), area.aeds(), area.places(), area.pois()
    t_inputs = time.perf_counter() - t1
    rows = []
    t_start = time.perf_counter()
    for name in area.municipalities["statnaam"]:
        t = time.perf_counter()
        res = run_hartveilig(name, cfg, area=area)
        s = res.summary
        row = {"gemeente": name, "residents": round(s["residents"]), "aeds": s["aeds"]["total"]}
        for m, v in s["moments"].items():
            row[m] = f"{100 * v['share_covered']:.1f}%"
        row["white_spots_night"] = s["white_spots"].get("night", {}).get("count", "–")
        row["seconds"] = time.perf_counter() - t
        rows.append(row)
    total = time.perf_counter() - t_start
    cols = [
        "gemeente",
        "residents",
        "aeds",
        *[m.name for m in cfg.hartveilig.moments],
        "white_spots_night",
        "seconds",
    ]
    print_table(rows, cols, title="Hartveilig, Drenthe test region")
    print(
        f"\nwalk network load: {t_net:.1f} s; inputs: {t_inputs:.1f} s; analyses: {total:.1f} s; "
        f"province total: {t_net + t_inputs + total:.1f} s (target <= 60 s); peak memory {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
