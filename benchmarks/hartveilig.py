"""Hartveilig for the whole province: coverage per moment, white spots, time.

Also per municipality at night: coverage with AEDs placed only by postcode (the range's
upper end), the fetch model at 1.8 / 2.3 / 3.1 m/s, residents within 500 m of an available
AED in a straight line and by route, and the median route/straight-line ratio.

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
        night = s["moments"].get("night")
        if night:
            row["night_with_approx"] = f"{100 * night['share_covered_with_approximate']:.1f}%"
            sens = s["sensitivity"]["moments"]["night"]["share_covered"]
            row["night_by_speed"] = " / ".join(f"{100 * v:.1f}%" for v in sens)
            dist = s["straight_vs_route"]["moments"]["night"]
            row["night_500m_straight_route"] = (
                f"{100 * dist['straight']['500']:.1f}% / {100 * dist['route']['500']:.1f}%"
            )
            row["route_ratio"] = dist["median_route_to_straight"]
        row["seconds"] = time.perf_counter() - t
        rows.append(row)
    total = time.perf_counter() - t_start
    cols = [
        "gemeente",
        "residents",
        "aeds",
        *[m.name for m in cfg.hartveilig.moments],
        "white_spots_night",
        "night_with_approx",
        "night_by_speed",
        "night_500m_straight_route",
        "route_ratio",
        "seconds",
    ]
    print_table(rows, cols, title="Hartveilig, Drenthe test region")
    print(
        f"\nwalk network load: {t_net:.1f} s; inputs: {t_inputs:.1f} s; analyses: {total:.1f} s; "
        f"province total: {t_net + t_inputs + total:.1f} s (target <= 60 s); peak memory {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
