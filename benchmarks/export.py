"""The Drenthe batch, before and after: per-phase times of the warm notebook-API run and the
warm batch export, this checkout side by side with an older commit, on the same machine in
the same run.

Target (issue 10): the warm notebook-API run over all 12 municipalities (both analyses, one
worker) in at most 50% of the time of commit 7ef6879. "Warm" means the networks (and the OSM
extract's date, where the version caches it) are in the disk cache (each version primes its
own cache first); every measurement runs in a fresh
process, before and after alternate, and each phase shows its fastest of ``--repeat`` runs
(the machine may be shared).

Run: python benchmarks/export.py [--before 7ef6879] [--workers 1] [--repeat 2] [--no-batch]

The older commit is unpacked with ``git archive`` into /tmp/bereikbaar-<commit> and run
with the same interpreter and ``PYTHONPATH=<that tree>/src``; both use this checkout's data
folder and offline map assets (``$BEREIKBAAR_ASSETS`` when set: 7ef6879 also needs jQuery;
its own ``scripts/fetch_map_assets.py --dest DIR``, run with ``PYTHONPATH=<its tree>/src``,
adds it to a copy of ``vendor/web``). Phases of the notebook run:

* inputs — open the study area and read every input (POIs, places, population, registers,
  merged AEDs, service points);
* networks — load the walk, bike and drive networks from the cache;
* hartveilig, dorpshub — ``run_hartveilig`` / ``run_dorpshub`` for the 12 municipalities;
* maps — inside ``write_hartveilig_map`` / ``write_dorpshub_map``;
* files — the rest of ``write_hartveilig`` / ``write_dorpshub`` (GeoPackage, CSV, JSON);
* reports — the index page and, where the version has them, the PDF/Excel extras.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _trees import unpack_commit

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("inputs", "networks", "hartveilig", "dorpshub", "maps", "files", "reports")


# ----------------------------------------------------------------------- probe
def _probe_setup(src: str):
    """Import the bereikbaar of ``src`` (not this checkout's, unless it is ``src``)."""
    sys.path.insert(0, src)
    import bereikbaar

    if not Path(bereikbaar.__file__).resolve().is_relative_to(Path(src).resolve()):
        raise SystemExit(f"imported {bereikbaar.__file__}, not the code under {src}")
    from bereikbaar.config import load_config

    return load_config


def _timed_maps(totals: dict[str, float]) -> None:
    """Wrap the two map writers so that the time inside them is counted as ``maps``."""
    import bereikbaar.maps as maps

    for name in ("write_hartveilig_map", "write_dorpshub_map"):
        inner = getattr(maps, name)

        def wrapped(*args, _inner=inner, **kwargs):
            t0 = time.perf_counter()
            try:
                return _inner(*args, **kwargs)
            finally:
                totals["maps"] += time.perf_counter() - t0

        setattr(maps, name, wrapped)


def _read_inputs(area) -> None:
    area.reports()
    area.aeds()
    area.services()
    area.sources_note()


def _reports(cfg, out: Path, names, summaries) -> None:
    """The index page (and the extras where this version has them)."""
    try:
        from bereikbaar.outputs import render_index
    except ImportError:  # 7ef6879
        from bereikbaar.report import render_index
    from bereikbaar.config import slugify

    rows = [
        {"gemeente": n, "slug": slugify(n), "status": "ok", "error": "", **summaries[n]}
        for n in names
    ]
    page = render_index(rows, title="bench", moments=cfg.hartveilig.moments)
    (out / "index.html").write_text(page, encoding="utf-8")


def probe_notebook(src: str, config: str, out: Path) -> dict[str, float]:
    """The warm notebook-API run over every municipality; seconds per phase."""
    load_config = _probe_setup(src)
    from bereikbaar.config import slugify
    from bereikbaar.pipeline import (
        open_study_area,
        run_dorpshub,
        run_hartveilig,
        write_dorpshub,
        write_hartveilig,
    )

    t: dict[str, float] = dict.fromkeys(PHASES, 0.0)
    _timed_maps(t)
    start = time.perf_counter()
    cfg = load_config(config)
    area = open_study_area(cfg)
    _read_inputs(area)
    t["inputs"] = time.perf_counter() - start
    t0 = time.perf_counter()
    for mode in ("walk", "bike", "drive"):
        area.network(mode)
    t["networks"] = time.perf_counter() - t0
    names = [str(n) for n in area.municipalities["statnaam"]]
    summaries: dict[str, dict] = {n: {} for n in names}
    for analysis, run, write in (
        ("hartveilig", run_hartveilig, write_hartveilig),
        ("dorpshub", run_dorpshub, write_dorpshub),
    ):
        for name in names:
            t0 = time.perf_counter()
            res = run(name, cfg, area=area)
            t[analysis] += time.perf_counter() - t0
            maps_before = t["maps"]
            t0 = time.perf_counter()
            write(res, out / slugify(name), area=area)
            t["files"] += time.perf_counter() - t0 - (t["maps"] - maps_before)
            summaries[name][analysis] = res.summary
    t0 = time.perf_counter()
    _reports(cfg, out, names, summaries)
    t["reports"] = time.perf_counter() - t0
    t["total"] = time.perf_counter() - start
    return t


def probe_batch(src: str, config: str, out: Path, workers: int) -> dict[str, float]:
    """The warm batch export (every municipality, both analyses, forced)."""
    load_config = _probe_setup(src)
    from bereikbaar.pipeline import export

    start = time.perf_counter()
    report = export(load_config(config), None, out, workers=workers, force=True)
    failed = [o.gemeente for o in report.outcomes if o.status == "failed"]
    return {"batch": time.perf_counter() - start, "failed": len(failed)}


def probe_prime(src: str, config: str) -> dict[str, float]:
    """Fill the disk caches of this version (not measured): the networks and, where the
    version keeps it there, the OSM extract's date."""
    load_config = _probe_setup(src)
    from bereikbaar.pipeline import open_study_area

    start = time.perf_counter()
    area = open_study_area(load_config(config))
    for mode in ("walk", "bike", "drive"):
        area.network(mode)
    area.sources_note()
    return {"prime": time.perf_counter() - start}


# ---------------------------------------------------------------------- driver
def _data_dir() -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from bereikbaar.config import find_default_data_root

    env = os.environ.get("BEREIKBAAR_DATA")
    return env or str(find_default_data_root(ROOT))


def _probe(tree: Path, mode: str, out: Path, workers: int) -> dict[str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree / "src")
    env["BEREIKBAAR_DATA"] = _data_dir()
    # the older version may need assets this one dropped (7ef6879: jQuery); set
    # $BEREIKBAAR_ASSETS to a folder holding both to compare with it
    env.setdefault("BEREIKBAAR_ASSETS", str(ROOT / "vendor" / "web"))
    cmd = [sys.executable, __file__, "--probe", mode, "--src", str(tree / "src")]
    cmd += ["--config", str(tree / "data" / "drenthe.toml"), "--out", str(out)]
    cmd += ["--workers", str(workers)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(f"probe {mode} in {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _table(rows: list[tuple[str, float, float]], title: str) -> None:
    print(f"\n{title}")
    print(f"{'phase':<12} {'before s':>9} {'after s':>9} {'after/before':>13}")
    print(f"{'-' * 12} {'-' * 9} {'-' * 9} {'-' * 13}")
    for phase, before, after in rows:
        ratio = f"{after / before:.2f}" if before > 0 else "–"
        print(f"{phase:<12} {before:>9.2f} {after:>9.2f} {ratio:>13}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="7ef6879", help="commit to compare with")
    ap.add_argument("--workers", type=int, default=1, help="workers of the batch export")
    ap.add_argument("--no-batch", action="store_true", help="skip the batch export")
    ap.add_argument(
        "--repeat", type=int, default=2, help="runs per version; the fastest of each is shown"
    )
    ap.add_argument("--probe", choices=("notebook", "batch", "prime"), help=argparse.SUPPRESS)
    ap.add_argument("--src", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        out = Path(args.out)
        if args.probe == "notebook":
            result = probe_notebook(args.src, args.config, out)
        elif args.probe == "batch":
            result = probe_batch(args.src, args.config, out, args.workers)
        else:
            result = probe_prime(args.src, args.config)
        print(json.dumps(result))
        return
    trees = {"before": unpack_commit(args.before), "after": ROOT}
    results: dict[str, dict[str, float]] = {label: {} for label in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for tree in trees.values():
            _probe(tree, "prime", Path(tmp), 1)
        for i in range(args.repeat):  # alternate before/after; keep each phase's fastest
            for label, tree in trees.items():
                run = _probe(tree, "notebook", Path(tmp) / f"{label}{i}" / "nb", 1)
                if not args.no_batch:
                    out = Path(tmp) / f"{label}{i}" / "batch"
                    run.update(_probe(tree, "batch", out, args.workers))
                for key, value in run.items():
                    results[label][key] = min(value, results[label].get(key, value))
    b, a = results["before"], results["after"]
    _table(
        [(p, b[p], a[p]) for p in (*PHASES, "total")],
        f"Warm notebook-API run, 12 municipalities, both analyses, one process, fastest of "
        f"{args.repeat} (before = {args.before}, after = this checkout; target <= 0.50)",
    )
    if not args.no_batch:
        _table(
            [("batch", b["batch"], a["batch"])],
            f"Warm batch export (--all --force, {args.workers} worker(s), maps and extras)",
        )
        if a["failed"] or b["failed"]:
            print(f"failed municipalities: before {b['failed']:.0f}, after {a['failed']:.0f}")


if __name__ == "__main__":
    main()
