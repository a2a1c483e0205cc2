"""Time of the council reports per municipality: workbook (tabellen.xlsx) and PDF
(rapport.pdf), next to today's per-municipality work (both analyses plus maps,
GeoPackages, CSV and JSON), for the 12 municipalities of Drenthe, one process.

Target (issue 13): the batch with reports on within 2x of today's batch time, i.e.
workbook + PDF add at most as much time as analyses + today's outputs take.
Run: python benchmarks/reports.py [--gemeente NAME ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import load_cfg, peak_rss_mb, print_table

from bereikbaar.config import slugify
from bereikbaar.overview import update_overview
from bereikbaar.pdf_report import write_pdf_report
from bereikbaar.pipeline import (
    open_study_area,
    run_dorpshub,
    run_hartveilig,
    write_dorpshub,
    write_hartveilig,
)
from bereikbaar.workbook import write_workbook


def _one(name: str, cfg, area, out: Path) -> dict:
    t0 = time.perf_counter()
    hv = run_hartveilig(name, cfg, area=area)
    dh = run_dorpshub(name, cfg, area=area)
    t1 = time.perf_counter()
    folder = out / slugify(name)
    written = [*write_hartveilig(hv, folder, area=area).values()]
    written += write_dorpshub(dh, folder, area=area).values()
    t2 = time.perf_counter()
    written.append(write_workbook(folder / "tabellen.xlsx", hartveilig=hv, dorpshub=dh))
    t3 = time.perf_counter()
    written.append(write_pdf_report(folder / "rapport.pdf", hartveilig=hv, dorpshub=dh))
    t4 = time.perf_counter()
    return {
        "gemeente": name,
        "analyses s": t1 - t0,
        "outputs today s": t2 - t1,
        "workbook s": t3 - t2,
        "pdf s": t4 - t3,
        "ratio": (t4 - t0) / (t2 - t0),
        "xlsx MB": (folder / "tabellen.xlsx").stat().st_size / 1e6,
        "pdf MB": (folder / "rapport.pdf").stat().st_size / 1e6,
        "_row": {
            "gemeente": name,
            "slug": slugify(name),
            "status": "ok",
            "hartveilig": hv.summary,
            "dorpshub": dh.summary,
            "outputs": [p.name for p in map(Path, written)],
        },  # fmt: skip
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemeente", action="append", help="only these (default: all 12)")
    args = ap.parse_args()
    cfg = load_cfg()
    area = open_study_area(cfg)
    names = args.gemeente or list(area.municipalities["statnaam"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "maps"
        for name in names:
            rows.append(_one(name, cfg, area, out))
        t = time.perf_counter()
        update_overview(out, [r.pop("_row") for r in rows], title="Bereikbaarheid Drenthe",
                        moments=cfg.hartveilig.moments, municipalities=area.municipalities)  # fmt: skip
        overview_s = time.perf_counter() - t
    total = {k: sum(r[k] for r in rows) for k in ("analyses s", "outputs today s", "workbook s",
                                                 "pdf s", "xlsx MB", "pdf MB")}  # fmt: skip
    base = total["analyses s"] + total["outputs today s"]
    rows.append({"gemeente": "total", **total,
                 "ratio": (base + total["workbook s"] + total["pdf s"]) / base})  # fmt: skip
    print_table(
        rows,
        [
            "gemeente",
            "analyses s",
            "outputs today s",
            "workbook s",
            "pdf s",
            "ratio",
            "xlsx MB",
            "pdf MB",
        ],  # fmt: skip
        title="Reports per municipality, 1 process, cached networks (target: ratio <= 2)",
    )
    print(f"\noverview (index.html, {len(names)} rows): {overview_s:.2f} s; "
          f"peak memory {peak_rss_mb():.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
