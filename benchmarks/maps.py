"""Map rendering per municipality: payload + page time and file size (target: Emmen ≤ 10 MB).

Runs both analyses for each municipality (networks from the cache), then times
``hartveilig_map`` / ``dorpshub_map`` with the roads-and-places base layer.
Run: python benchmarks/maps.py [--gemeente Emmen --gemeente Assen]
"""

from __future__ import annotations

import argparse
import time

from _common import load_cfg, print_table

from bereikbaar.maps import basemap_for_area, dorpshub_map, hartveilig_map
from bereikbaar.pipeline import open_study_area, run_dorpshub, run_hartveilig


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemeente", action="append", default=None)
    args = ap.parse_args()
    cfg = load_cfg()
    area = open_study_area(cfg)
    rows = []
    for g in args.gemeente or ["Emmen", "Assen", "Aa en Hunze"]:
        name, _ = area.municipality(g)
        hv = run_hartveilig(name, cfg, area=area)
        dh = run_dorpshub(name, cfg, area=area)
        t = time.perf_counter()
        basemap = basemap_for_area(area, hv.outline)
        t_base = time.perf_counter() - t
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
    print_table(
        rows,
        ["gemeente", "map", "cells/villages", "basemap s", "render s", "MB"],
        title="Map rendering (one self-contained HTML page each)",
    )


if __name__ == "__main__":
    main()
