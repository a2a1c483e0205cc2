"""The 12 warm ``run_dorpshub`` calls, this checkout beside an older commit (issue 10).

Each version runs in its own process with the study area warm (inputs, networks, the GTFS
feed, the sources note and every municipality's cells read first, as in the notebook run
where Hartveilig comes first), then calls ``run_dorpshub`` for every municipality with the
default config (ov on). Before and after alternate; the fastest of ``--repeat`` runs is
shown, as wall and CPU seconds (CPU time is steadier on a shared machine). The results
are compared too: every table of every municipality (villages, table, services, hubs,
cells, hub reach, ov table, stops, the what-if's villages and ov table) exactly, the
summaries (result and what-if), buitengebied and assumptions as JSON, and the ov hub
reach array by array.

Run: python benchmarks/dorpshub_calls.py [--before a8d0087] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _trees import unpack_commit

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("villages", "table", "services", "hubs", "cells", "hub_reach")


def probe(src: str, out: Path) -> dict[str, float]:
    """Run the 12 calls with the bereikbaar under ``src``; results pickled to ``out``."""
    sys.path.insert(0, src)
    import geopandas as gpd
    import pandas as pd

    from bereikbaar._json import dumps
    from bereikbaar.config import load_config
    from bereikbaar.pipeline import open_study_area, run_dorpshub

    cfg = load_config(ROOT / "data" / "drenthe.toml")
    area = open_study_area(cfg)
    names = [str(n) for n in area.municipalities["statnaam"]]
    area.services()
    for mode in ("walk", "bike", "drive"):
        area.network(mode)
    area.gtfs()
    area.sources_note()
    for name in names:
        area.part(name)
    wall, cpu = time.perf_counter(), time.process_time()
    results = {name: run_dorpshub(name, cfg, area=area) for name in names}
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    def plain(df):
        df = pd.DataFrame(df).copy()
        for col in df.columns:
            if isinstance(df[col].dtype, gpd.array.GeometryDtype):
                df[col] = gpd.GeoSeries(df[col]).to_wkb()
        return df

    dump = {}
    for name, r in results.items():
        d = {k: plain(getattr(r, k)) for k in TABLES}
        if r.ov is not None:
            d["ov_table"], d["ov_stops"] = plain(r.ov.table), plain(r.ov.stops)
        d["summary"] = dumps(r.summary)
        d["buitengebied"] = dumps(r.buitengebied)
        d["assumptions"] = dumps(list(r.assumptions))
        if r.ov is not None and r.ov.hub_reach is not None:
            d["ov_hub_reach"] = _canon(r.ov.hub_reach)
        if r.what_if is not None:
            d["what_if_villages"] = plain(r.what_if.villages)
            d["what_if_summary"] = dumps(r.what_if.summary)
            if r.what_if.ov is not None:
                d["what_if_ov"] = plain(r.what_if.ov)
        dump[name] = d
    out.write_bytes(pickle.dumps(dump))
    return {"wall": wall, "cpu": cpu}


def _canon(obj) -> str:
    """A dataclass of arrays, mappings and scalars as exact text (for comparison)."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(obj):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return "{" + ",".join(f"{k!r}:{_canon(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ",".join(_canon(v) for v in obj) + "]"
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return _canon(obj.tolist())
        return f"{obj.dtype}{obj.shape}{obj.tobytes().hex()}"
    if hasattr(obj, "toarray"):
        return _canon(obj.toarray())
    return repr(obj)


def differences(a: Path, b: Path) -> list[str]:
    """Where two probes' results differ (empty: identical)."""
    import pandas as pd

    da, db = pickle.loads(a.read_bytes()), pickle.loads(b.read_bytes())
    found = []
    for name in da:
        for key, x in da[name].items():
            y = db[name].get(key)
            try:
                if isinstance(x, pd.DataFrame):
                    pd.testing.assert_frame_equal(x, y, check_exact=True)
                elif x != y:
                    found.append(f"{name}: {key}")
            except AssertionError:
                found.append(f"{name}: {key}")
    return found


def _run(src: Path, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, __file__, "--probe", str(src), "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"probe of {src} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="a8d0087", help="commit to compare with")
    ap.add_argument("--repeat", type=int, default=2, help="runs per version (fastest shown)")
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, Path(args.out))))
        return
    srcs = {"before": unpack_commit(args.before) / "src", "after": ROOT / "src"}
    best: dict[str, dict[str, float]] = {label: {} for label in srcs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for label, src in srcs.items():
                run = _run(src, Path(tmp) / f"{label}.pkl")
                for key, value in run.items():
                    best[label][key] = min(value, best[label].get(key, value))
        diff = differences(Path(tmp) / "before.pkl", Path(tmp) / "after.pkl")
    b, a = best["before"], best["after"]
    print(f"12 warm run_dorpshub calls (ov on), fastest of {args.repeat}")
    print(f"{'':<6} {'before s':>9} {'after s':>9} {'after/before':>13}")
    for key in ("wall", "cpu"):
        print(f"{key:<6} {b[key]:>9.2f} {a[key]:>9.2f} {a[key] / b[key]:>13.2f}")
    print(f"results ({args.before} vs this checkout): " + ("identical" if not diff else "DIFFER"))
    for line in diff:
        print(f"  differs: {line}")


if __name__ == "__main__":
    main()
