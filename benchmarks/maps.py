"""Map rendering per municipality: payload + page time and file size (target: Emmen ≤ 10 MB).

Runs both analyses for each municipality once (networks from the cache), then times
``hartveilig_map`` / ``dorpshub_map`` with the roads-and-places base layer, and the base
layer itself. ``--all`` takes every municipality of the study area (the maps phase of
``benchmarks/export.py``); ``--profile N`` adds a cProfile of the map pages (N lines).
Run: python benchmarks/maps.py [--gemeente Emmen --gemeente Assen | --all] [--profile 30]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from _common import load_cfg, print_table

from bereikbaar.maps import basemap_for_area, dorpshub_map, hartveilig_map
from bereikbaar.pipeline import open_study_area, run_dorpshub, run_hartveilig


def _pages(jobs: list[tuple]) -> list[dict]:
    rows = []
    for name, hv, dh, basemap, t_base in jobs:
        for label, make, result in (
            ("hartveilig", hartveilig_map, hv),
            ("dorpshub", dorpshub_map, dh),
        ):
            t = time.perf_counter()
            page = make(result, basemap=basemap)
            rows.append(
                {
                    "gemeente": name,
                    "map": label,
                    "cells/villages": len(
                        result.cells if label == "hartveilig" else result.villages
                    ),
                    "basemap s": t_base,
                    "render s": time.perf_counter() - t,
                    "MB": len(page.html.encode("utf-8")) / 1e6,
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemeente", action="append", default=None)
    ap.add_argument("--all", action="store_true", help="every municipality of the study area")
    ap.add_argument("--profile", type=int, default=0, help="print N lines of a cProfile")
    args = ap.parse_args()
    cfg = load_cfg()
    area = open_study_area(cfg)
    if args.all:
        names = [str(n) for n in area.municipalities["statnaam"]]
    else:
        names = args.gemeente or ["Emmen", "Assen", "Aa en Hunze"]
    jobs = []
    for g in names:
        name, _ = area.municipality(g)
        hv = run_hartveilig(name, cfg, area=area)
        dh = run_dorpshub(name, cfg, area=area)
        t = time.perf_counter()
        basemap = basemap_for_area(area, hv.outline)
        jobs.append((name, hv, dh, basemap, time.perf_counter() - t))
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    rows = _pages(jobs)
    if profile is not None:
        profile.disable()
    rows.append(
        {
            "gemeente": "total",
            "map": f"{len(rows)} pages",
            "cells/villages": sum(r["cells/villages"] for r in rows),
            "basemap s": sum(j[4] for j in jobs),
            "render s": sum(r["render s"] for r in rows),
            "MB": sum(r["MB"] for r in rows),
        }
    )
    print_table(
        rows,
        ["gemeente", "map", "cells/villages", "basemap s", "render s", "MB"],
        title="Map rendering (one self-contained HTML page each)",
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
