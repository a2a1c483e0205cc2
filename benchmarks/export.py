"""The whole Drenthe batch (12 municipalities, both analyses, maps and index): time and memory.

Target (issue 6): <= 5 minutes cold (empty network cache) and <= 2 minutes with cached
networks on a 2-core machine. Run: python benchmarks/export.py [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import load_cfg, peak_rss_mb, print_table

from bereikbaar.pipeline import export


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        cfg = load_cfg(cache_dir=cache)
        for label, force in (
            ("cold (empty cache)", True),
            ("cached networks", True),
            ("unchanged (skip)", False),
        ):
            out = Path(tmp) / "maps"
            t = time.perf_counter()
            report = export(cfg, None, out, workers=args.workers, force=force)
            rows.append(
                {
                    "run": label,
                    "municipalities": len(report.outcomes),
                    "failed": len(report.failed),
                    "seconds": time.perf_counter() - t,
                    "peak MB": peak_rss_mb(),
                }
            )
        sizes = sorted(
            ((p.stat().st_size / 1e6, p.parent.name + "/" + p.name) for p in out.rglob("*.html")),
            reverse=True,
        )
    print_table(
        rows,
        ["run", "municipalities", "failed", "seconds", "peak MB"],
        title=f"Drenthe batch export, {args.workers} worker(s) (targets: cold <= 300 s, cached <= 120 s)",
    )
    print(
        "\nlargest maps: " + ", ".join(f"{n} {mb:.1f} MB" for mb, n in sizes[:3]) + " (limit 10 MB)"
    )


if __name__ == "__main__":
    main()
