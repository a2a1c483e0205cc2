"""Province networks from drenthe-synth: build, cache, nearest AED — bereikbaar vs networkx/OSMnx.

Targets (issue, 2 cores): cold walk build <= 20 s and >= 5x faster than OSMnx; cached load
<= 3 s; nearest facility on the whole walk network <= 0.5 s and >= 10x faster than networkx;
peak memory <= 2 GB. Each network (and OSMnx) runs in its own process so peak memory is its own.

The second table times repeated calls as the analyses make them (issue 10: the routing
matrix is reused per network and profile, not rebuilt per call): nearest_facility with a
30-minute cutoff for the AEDs open at one hour (half of those within 8 km of the centre)
and 2,000 target points within 6 km, travel_time_matrix from 40 to 400 of them without a
cutoff, travel_times_within from the 2,000 points to the AEDs within 6 minutes;
milliseconds per call, median of the repetitions.

Run: python benchmarks/network.py [--no-osmnx]
"""

from __future__ import annotations

import bz2
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, peak_rss_mb, print_table

SYNTH = ROOT.parent / "shared" / "data" / "drenthe-synth"
PBF = SYNTH / "drenthe-synth.osm.pbf"
BZ2 = SYNTH / "drenthe-synth.osm.bz2"
PROFILES = {
    "walk": dict(name="walk", network="walk", speed_kmh=5.0),
    "bike": dict(name="bike", network="bike", speed_kmh=15.0),
    "drive": dict(name="car", network="drive", delay_factor=1.2),
}


def _aeds():
    import geopandas as gpd
    import numpy as np
    import osmium
    import shapely

    xy = [
        (o.location.lon, o.location.lat)
        for o in osmium.FileProcessor(str(PBF), osmium.osm.NODE).with_filter(
            osmium.filter.TagFilter(("emergency", "defibrillator"))
        )
    ]
    return gpd.GeoSeries(shapely.points(np.array(xy)), crs="EPSG:4326").to_crs("EPSG:28992")


def repeated_calls(net, aeds, profile, routing=None, *, repeat: int = 10) -> dict:
    """Milliseconds per call of the routing functions as the analyses call them."""
    import geopandas as gpd
    import numpy as np
    import shapely

    if routing is None:
        from bereikbaar import routing
    rng = np.random.default_rng(0)
    # one municipality's worth: points within 6 km of the centre, AEDs within 8 km
    cx, cy = np.median(net.node_x), np.median(net.node_y)
    near = np.flatnonzero(np.hypot(net.node_x - cx, net.node_y - cy) < 6_000)
    pick = rng.choice(near, min(2_000, len(near)), replace=False)
    xy = np.c_[net.node_x[pick], net.node_y[pick]] + rng.normal(0, 30, (len(pick), 2))
    points = routing.snap_points(net, gpd.GeoSeries(shapely.points(xy), crs=net.crs))
    aed_xy = routing.snapped_xy(net, aeds)
    local = np.hypot(aed_xy[:, 0] - cx, aed_xy[:, 1] - cy) < 8_000
    aeds = aeds.subset(local)
    half = np.flatnonzero(rng.random(len(aeds)) < 0.5)
    calls = {
        "nearest_ms": lambda: routing.nearest_facility(
            net, aeds.subset(half), profile=profile, targets=points, cutoff_s=1800.0
        ),
        "matrix_ms": lambda: routing.travel_time_matrix(
            net, points.subset(np.arange(40)), points.subset(np.arange(400)), profile=profile
        ),
        "within_ms": lambda: routing.travel_times_within(
            net, points, aeds, profile=profile, cutoff_s=360.0
        ),
    }
    out = {}
    for name, call in calls.items():
        call()  # the first call builds the cached CSR
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        out[name] = 1000 * float(np.median(times))
    return out


def worker(mode: str) -> dict:
    import networkx as nx
    import numpy as np

    from bereikbaar.config import NetworkSettings, TravelProfile
    from bereikbaar.network import load_network
    from bereikbaar.routing import nearest_facility, snap_points

    profile = TravelProfile(**PROFILES[mode])
    cache = Path(tempfile.mkdtemp(prefix="bereikbaar-bench-"))
    try:
        settings = NetworkSettings(cache_dir=cache)
        t0 = time.perf_counter()
        load_network(PBF, mode, settings=settings)  # empty cache: hash + build + write
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        net = load_network(PBF, mode, settings=settings)
        cached = time.perf_counter() - t0
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    aeds = snap_points(net, _aeds())
    t0 = time.perf_counter()
    nearest_facility(net, aeds, profile=profile)  # includes building the CSR once
    first = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = nearest_facility(net, aeds, profile=profile)
        runs.append(time.perf_counter() - t0)
    ours = float(np.median(runs))
    # networkx on the same graph, sources = the start node of each AED's edge
    G = net.to_networkx([profile])
    weight = f"travel_time_s_{profile.name}"
    sources = set(net.edge_u[aeds.edge[~aeds.flagged]].tolist())
    t0 = time.perf_counter()
    ref = nx.multi_source_dijkstra_path_length(G, sources, weight=weight)
    t_nx = time.perf_counter() - t0
    return {
        "network": mode,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "cold_build_s": cold,
        "cached_load_s": cached,
        "aeds": int((~aeds.flagged).sum()),
        "nearest_s": ours,
        "nearest_first_s": first,
        "networkx_s": t_nx,
        "nx_ratio": t_nx / ours,
        "reached": int(np.isfinite(res.node_time_s).sum()),
        "nx_reached": len(ref),
        "peak_mb": peak_rss_mb(),
        **repeated_calls(net, aeds, profile),
    }


def worker_osmnx() -> dict:
    import warnings

    import osmnx as ox

    tmp = Path(tempfile.mkdtemp(prefix="bereikbaar-bench-"))
    try:
        xml = tmp / "drenthe-synth.osm"
        with bz2.open(BZ2, "rb") as src, open(xml, "wb") as dst:
            shutil.copyfileobj(src, dst)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            G = ox.graph_from_xml(xml, bidirectional=True, simplify=True, retain_all=False)
            t = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "network": "osmnx walk (all ways)",
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "cold_build_s": t,
        "peak_mb": peak_rss_mb(),
    }


def _run_child(arg: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", arg], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        row = worker_osmnx() if sys.argv[2] == "osmnx" else worker(sys.argv[2])
        print(json.dumps(row))
        return
    rows = [_run_child(mode) for mode in ("walk", "bike", "drive")]
    if "--no-osmnx" not in sys.argv:
        ox_row = _run_child("osmnx")
        ox_row["build_ratio"] = ox_row["cold_build_s"] / rows[0]["cold_build_s"]
        rows.append(ox_row)
    cols = [
        "network",
        "nodes",
        "edges",
        "cold_build_s",
        "build_ratio",
        "cached_load_s",
        "aeds",
        "nearest_s",
        "nearest_first_s",
        "networkx_s",
        "nx_ratio",
        "peak_mb",
    ]
    print_table(rows, cols, title=f"Networks from {PBF.name} (build_ratio = OSMnx / ours, walk)")
    print_table(
        rows[:3],
        ["network", "nearest_ms", "matrix_ms", "within_ms"],
        title="Repeated calls (ms per call, the routing matrix reused per network and profile)",
    )
    walk = rows[0]
    checks = {
        "cold walk build <= 20 s": walk["cold_build_s"] <= 20,
        "cached load <= 3 s": all(r["cached_load_s"] <= 3 for r in rows[:3]),
        "nearest facility (walk) <= 0.5 s": walk["nearest_s"] <= 0.5,
        "nearest >= 10x networkx (walk)": walk["nx_ratio"] >= 10,
        "peak memory <= 2 GB": all(r["peak_mb"] <= 2048 for r in rows),
    }
    if len(rows) > 3:
        checks["walk build >= 5x faster than OSMnx"] = rows[3]["build_ratio"] >= 5
    print()
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {name}")


if __name__ == "__main__":
    main()
