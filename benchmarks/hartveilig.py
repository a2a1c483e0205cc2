"""Hartveilig for the whole province: coverage per moment, white spots, time.

Also per municipality at night: coverage with AEDs placed only by postcode (the range's
upper end), the fetch model at 1.8 / 2.3 / 3.1 m/s, residents within 500 m of an available
AED in a straight line and by route, and the median route/straight-line ratio.

Then the responder model (issue 15): its time beside the fetch model's (target <= 2x), the
expected share covered per moment, the "responders or AEDs" table at night, and for the
province a small grid of scenarios: expected night coverage against AED density and
responder density (AEDs thinned at random with a fixed seed; responder share scaled).

Target (issue 4): <= 60 s for the 12 municipalities (4 moments + weekly share + 10 proposals
each) on a 2-core machine, networks loaded from the cache. Run: python benchmarks/hartveilig.py
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
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
    cpu_start = time.process_time()
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
    cpu_fetch = time.process_time() - cpu_start
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
    responder_model(cfg, area, fetch_wall_s=total, fetch_cpu_s=cpu_fetch)
    density_grid(cfg, area)


def responder_model(cfg, area, *, fetch_wall_s: float, fetch_cpu_s: float) -> None:
    """The responder model for every municipality: expected shares and the time taken."""
    rcfg = cfg.with_hartveilig(model="responder")
    rows, table_rows = [], []
    t0, c0 = time.perf_counter(), time.process_time()
    for name in area.municipalities["statnaam"]:
        res = run_hartveilig(name, rcfg, area=area)
        row = {"gemeente": name}
        for m, v in res.summary["moments"].items():
            row[m] = f"{100 * v['share_covered']:.1f}%"
        row["night_p>=0.5"] = (
            f"{100 * res.summary['moments']['night']['share_above_threshold']:.1f}%"
        )
        rows.append(row)
        t = res.responders_or_aeds.set_index("scenario")["gain_residents"]
        table_rows.append({"gemeente": name, **{k: round(float(v)) for k, v in t.items()}})
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    moments = [m.name for m in cfg.hartveilig.moments]
    print_table(
        rows,
        ["gemeente", *moments, "night_p>=0.5"],
        title="Responder model: expected share covered",
    )
    cols = ["gemeente", "responders_plus_25", "responders_plus_50", "aeds_plus_5", "aeds_plus_10"]
    print_table(table_rows, cols, title="Responders or AEDs: expected residents gained at night")
    print(
        f"\nanalyses, 12 municipalities: fetch {fetch_wall_s:.1f} s wall / {fetch_cpu_s:.1f} s CPU; "
        f"responder {wall:.1f} s wall / {cpu:.1f} s CPU ({cpu / fetch_cpu_s:.2f}x CPU; target <= 2x)"
    )


def density_grid(cfg, area, *, aed_fractions=(0.25, 0.5, 1.0), share_factors=(0.5, 1, 2, 4)):
    """Province, night: expected share covered for thinned AEDs x scaled responder shares."""
    from bereikbaar.coverage import hour_of_week, pairs_within, prepare_aeds, snap_cells
    from bereikbaar.responder import probability, residents_in_reach, responder_rates, via_triples
    from bereikbaar.study_area import clip_points

    hv = cfg.hartveilig
    rates = responder_rates(dataclasses.replace(hv, model="responder"))
    night = next(m for m in hv.moments if m.name == "night")
    h = hour_of_week(night)
    prof = cfg.profiles[hv.responder_profile]
    net = area.network("walk")
    rng = np.random.default_rng(15)
    res_total, n_aeds, populated_km2 = 0.0, {f: 0 for f in aed_fractions}, 0.0
    covered = {(f, s): 0.0 for f in aed_fractions for s in share_factors}
    for name in area.municipalities["statnaam"]:
        part = area.part(name)
        gname, polygon = part.name, part.polygon
        cells = snap_cells(net, part.cells, max_snap_m=cfg.network.max_snap_m)
        aeds = prepare_aeds(
            net, clip_points(area.aeds(), polygon.buffer(cfg.network.halo_walk_m)), gemeente=gname,
            area=polygon, settings=hv, max_snap_m=cfg.network.max_snap_m,
        )  # fmt: skip
        pairs = pairs_within(
            net, aeds.snap, cells.snap, src_xy=aeds.xy, dst_xy=cells.xy, dst_ok=cells.routable,
            model="responder", profile=prof, cutoff=rates.longest_m / prof.speed_mps,
        )  # fmt: skip
        res = np.where(cells.routable, cells.residents, 0.0)
        triples = via_triples(
            pairs, metres_per_s=prof.speed_mps, residents=res, cell_xy=cells.xy,
            max_length_m=rates.longest_m, alert_radius_m=rates.alert_radius_m,
        )  # fmt: skip
        keep_draw = rng.random(aeds.n)
        res_total += float(cells.residents.sum())
        populated_km2 += float((cells.residents > 0).sum()) * cells.cell_size_m**2 / 1e6
        for f in aed_fractions:
            mask = aeds.counts & (keep_draw < f)
            n_aeds[f] += int((mask & aeds.in_gemeente & aeds.available()[:, h]).sum())
            reach = residents_in_reach(triples, res, aeds.availability & mask[:, None], rates)
            lam = reach.expected(rates)[:, h]
            for s in share_factors:
                covered[f, s] += float(cells.residents @ probability(lam * s))
    rs = hv.responders
    presence = np.tile(np.asarray(rs.presence_by_hour), 168 // len(rs.presence_by_hour))[h]
    rows = []
    for f in aed_fractions:
        row = {"aeds_per_km2": f"{n_aeds[f] / populated_km2:.2f}"}
        for s in share_factors:
            alerted = res_total * rs.share_of_residents * s * presence / populated_km2
            row[f"{alerted:.0f} resp/km2"] = f"{100 * covered[f, s] / res_total:.1f}%"
        rows.append(row)
    print_table(
        rows, list(rows[0]),
        title=(
            f"Province, night: expected share covered by AED density (available AEDs per km2 of "
            f"populated cells, {populated_km2:.0f} km2) and registered responders present per km2"
        ),
    )  # fmt: skip


if __name__ == "__main__":
    main()
