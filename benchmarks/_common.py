"""Helpers shared by the benchmark scripts: config loading, timing, peak memory, tables."""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def load_cfg(cache_dir: Path | None = None):
    import dataclasses

    from bereikbaar.config import load_config

    cfg = load_config(ROOT / "data" / "drenthe.toml")
    if cache_dir is not None:
        cfg = cfg.replace(network=dataclasses.replace(cfg.network, cache_dir=cache_dir))
    return cfg


def peak_rss_mb() -> float:
    """Peak resident memory of this process (and finished children), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


@contextmanager
def timer(results: dict, key: str):
    t0 = time.perf_counter()
    yield
    results[key] = time.perf_counter() - t0


def print_table(rows: list[dict], columns: list[str], *, title: str) -> None:
    print(f"\n{title}")
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        print(
            "  ".join(
                _fmt(r.get(c)).rjust(widths[c])
                if isinstance(r.get(c), int | float)
                else _fmt(r.get(c)).ljust(widths[c])
                for c in columns
            )
        )


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)
