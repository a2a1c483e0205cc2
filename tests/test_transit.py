"""The ov router against an independent brute force: Dijkstra on a time-expanded graph.

The brute force knows nothing of patterns, rounds or labels: every stop event is a node,
riding, staying seated, waiting at a stop, boarding, alighting, changing (with the minimum
transfer time) and walking between stops are edges, and heapq Dijkstra finds the earliest
arrival at each destination group for one departure time.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bereikbaar.transit import (
    build_timetable,
    order_percentiles,
    summarize_window,
    transit_times,
)


# ------------------------------------------------------------------------ brute force
class TimeExpandedGraph:
    """Stop events as nodes; the part of the graph that does not depend on the departure."""

    def __init__(self, stop_times, egress, transfers, min_transfer_s):
        self.ready_times = defaultdict(set)  # stop -> times a traveller can be ready there
        self.adj = defaultdict(list)  # node -> [(node, weight)]
        self.events = []
        walk = defaultdict(list)
        for r in transfers.itertuples(index=False):
            if r.from_stop != r.to_stop:
                walk[r.from_stop].append((r.to_stop, max(r.time_s, min_transfer_s)))
        eg = defaultdict(list)
        for r in egress.itertuples(index=False):
            eg[r.stop].append((r.group, r.time_s))
        for trip, rows in stop_times.groupby("trip", sort=False):
            self._add_trip(trip, rows.reset_index(drop=True), walk, eg, min_transfer_s)

    def _add_trip(self, trip, rows, walk, eg, min_transfer_s):
        adj = self.adj
        for i, r in enumerate(rows.itertuples(index=False)):
            dep, arr = ("dep", trip, i), ("arr", trip, i)
            adj[arr].append((dep, r.departure_s - r.arrival_s))  # stay seated
            if i + 1 < len(rows):
                adj[dep].append((("arr", trip, i + 1), rows.arrival_s[i + 1] - r.departure_s))
            if r.pickup:
                self.ready_times[r.stop].add(r.departure_s)
                self.events.append((r.stop, r.departure_s, dep))
            if r.drop_off and i > 0:
                for q, w in [(r.stop, min_transfer_s), *walk[r.stop]]:
                    self.ready_times[q].add(r.arrival_s + w)
                    adj[arr].append((("ready", q, r.arrival_s + w), w))
                for g, w in eg[r.stop]:
                    adj[arr].append((("sink", g), w))

    def earliest(self, access, t0, n_groups):
        """Earliest arrival (seconds after t0) per group; inf where none."""
        ready_times = defaultdict(set, {k: set(v) for k, v in self.ready_times.items()})
        adj = defaultdict(list, {k: list(v) for k, v in self.adj.items()})
        src = ("source",)
        for r in access.itertuples(index=False):
            ready_times[r.stop].add(t0 + r.time_s)
            adj[src].append((("ready", r.stop, t0 + r.time_s), r.time_s))
        for s, times in ready_times.items():
            for a, b in itertools.pairwise(sorted(times)):
                adj[("ready", s, a)].append((("ready", s, b), b - a))
        for s, t, dep in self.events:
            adj[("ready", s, t)].append((dep, 0.0))
        dist = {src: 0.0}
        heap = [(0.0, 0, src)]
        counter = itertools.count(1)
        while heap:
            d, _, u = heapq.heappop(heap)
            if d > dist.get(u, np.inf):
                continue
            for v, w in adj[u]:
                nd = d + w
                if nd < dist.get(v, np.inf):
                    dist[v] = nd
                    heapq.heappush(heap, (nd, next(counter), v))
        return np.array([dist.get(("sink", g), np.inf) for g in range(n_groups)])


# ------------------------------------------------------------------- small feeds
@st.composite
def small_feeds(draw):
    n_stops = draw(st.integers(2, 6))
    n_trips = draw(st.integers(1, 7))
    rows = []
    for trip in range(n_trips):
        length = draw(st.integers(2, 5))
        stops = draw(st.lists(st.integers(0, n_stops - 1), min_size=length, max_size=length))
        t = draw(st.integers(0, 5400))
        for i, s in enumerate(stops):
            arr = t
            dep = arr + draw(st.integers(0, 120))
            rows.append(
                {
                    "trip": trip,
                    "stop": s,
                    "arrival_s": arr,
                    "departure_s": dep,
                    "pickup": draw(st.booleans()) or i == 0,
                    "drop_off": draw(st.booleans()) or i == length - 1,
                }
            )
            t = dep + draw(st.integers(0, 1500))
    stop_times = pd.DataFrame(rows)
    n_origins, n_groups = 2, 3
    access = pd.DataFrame(
        draw(
            st.lists(
                st.tuples(
                    st.integers(0, n_origins - 1), st.integers(0, n_stops - 1), st.integers(0, 900)
                ),
                max_size=6,
                unique_by=lambda x: (x[0], x[1]),
            )
        ),
        columns=["origin", "stop", "time_s"],
    )
    egress = pd.DataFrame(
        draw(
            st.lists(
                st.tuples(
                    st.integers(0, n_stops - 1), st.integers(0, n_groups - 1), st.integers(0, 900)
                ),
                max_size=6,
            )
        ),
        columns=["stop", "group", "time_s"],
    )
    transfers = pd.DataFrame(
        draw(
            st.lists(
                st.tuples(
                    st.integers(0, n_stops - 1), st.integers(0, n_stops - 1), st.integers(0, 600)
                ),
                max_size=6,
                unique_by=lambda x: (x[0], x[1]),
            )
        ),
        columns=["from_stop", "to_stop", "time_s"],
    )
    min_tr = draw(st.sampled_from([0, 60, 120]))
    deps = sorted(draw(st.lists(st.integers(0, 5400), min_size=1, max_size=5, unique=True)))
    return n_stops, stop_times, access, egress, transfers, min_tr, deps, n_origins, n_groups


def _check_equal(n_stops, stop_times, access, egress, transfers, min_tr, deps, n_o, n_g):
    tt = build_timetable(stop_times, n_stops=n_stops, transfers=transfers, min_transfer_s=min_tr)
    got = transit_times(
        tt,
        access=access,
        egress=egress,
        departures_s=deps,
        n_origins=n_o,
        n_groups=n_g,
        max_transfers=20,
    )
    plain = transit_times(
        tt,
        access=access,
        egress=egress,
        departures_s=deps,
        n_origins=n_o,
        n_groups=n_g,
        max_transfers=20,
        by_stop=False,
    )
    assert got.tobytes() == plain.tobytes()  # from the access stops: the same, bit for bit
    graph = TimeExpandedGraph(stop_times, egress, transfers, min_tr)
    for o in range(n_o):
        acc = access[access["origin"] == o]
        for d, t0 in enumerate(deps):
            want = graph.earliest(acc, t0, n_g)
            np.testing.assert_allclose(got[o, :, d], want, rtol=0, atol=1e-6)
    return got


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_feeds())
def test_router_equals_time_expanded_dijkstra_on_small_feeds(feed):
    _check_equal(*feed)


def test_small_feeds_exercise_trips_and_transfers():
    """Random feeds where every trip needs a change (0→1 + walk or 1→3, 0→1 + walk 1→2 +
    2→3): many departures find one, and the router agrees with the brute force on them."""
    found = 0
    rng = np.random.default_rng(3)
    for _ in range(60):
        rows = []
        for trip, stops in enumerate([(0, 1), (1, 3), (2, 3)]):
            t = int(rng.integers(0, 3600))
            for i, s in enumerate(stops):
                rows.append(
                    {
                        "trip": trip,
                        "stop": s,
                        "arrival_s": t + 600 * i,
                        "departure_s": t + 600 * i,
                        "pickup": True,
                        "drop_off": True,
                    }
                )
        stop_times = pd.DataFrame(rows)
        access = pd.DataFrame({"origin": [0], "stop": [0], "time_s": [60]})
        egress = pd.DataFrame({"stop": [3], "group": [0], "time_s": [60]})
        transfers = pd.DataFrame({"from_stop": [1], "to_stop": [2], "time_s": [100]})
        got = _check_equal(4, stop_times, access, egress, transfers, 60, [0, 1800], 1, 1)
        found += int(np.isfinite(got).any())
    assert found >= 10


def test_hand_worked_transfer_and_minimum_change_time():
    # stop 0 --trip 0 (08:00->08:10)--> stop 1 ; walk 1->2 180 s ; stop 2 --trip 1/2--> stop 3
    st_ = pd.DataFrame(
        {
            "trip": [0, 0, 1, 1, 2, 2],
            "stop": [0, 1, 2, 3, 2, 3],
            "arrival_s": [28800, 29400, 29700, 30000, 29520, 29800],
            "departure_s": [28800, 29400, 29700, 30000, 29520, 29800],
            "pickup": [True] * 6,
            "drop_off": [True] * 6,
        }
    )
    transfers = pd.DataFrame({"from_stop": [1], "to_stop": [2], "time_s": [180.0]})
    access = pd.DataFrame({"origin": [0], "stop": [0], "time_s": [300.0]})
    egress = pd.DataFrame({"stop": [3], "group": [0], "time_s": [60.0]})
    tt = build_timetable(st_, n_stops=4, transfers=transfers, min_transfer_s=120)
    # leave 07:55 = 28500: at stop 0 08:00, stop 1 08:10 (29400), stop 2 at 29580 -> trip 2
    # (29520) is missed, trip 1 (29700) arrives 30000, +60 = 30060 -> 1560 s door to door
    got = transit_times(
        tt, access=access, egress=egress, departures_s=[28500, 28501], n_origins=1, n_groups=1
    )
    assert got[0, 0, 0] == 30060 - 28500
    assert np.isinf(got[0, 0, 1])  # one second later the 08:00 is gone, nothing after it
    # no transfers allowed: no trip at all
    none = transit_times(
        tt,
        access=access,
        egress=egress,
        departures_s=[28500],
        n_origins=1,
        n_groups=1,
        max_transfers=0,
    )
    assert np.isinf(none[0, 0, 0])


def test_percentiles_are_order_statistics_and_no_trip_is_nan():
    times = np.array([[600.0] * 10 + [np.inf] * 10])  # half the minutes without a trip
    p = order_percentiles(times)
    assert p[0, 0] == 600.0 and p[0, 1] == 600.0 and np.isnan(p[0, 2])
    s = summarize_window(np.full((1, 5), np.inf), np.array([900.0]), max_travel_s=3600)
    assert bool(s["no_trip"][0]) and np.isnan(s["transit_p50_min"][0])
    assert s["ov_p50_min"][0] == 15.0 and s["ov_by"][0] == "walk"
    s = summarize_window(np.full((1, 5), 300.0), np.array([900.0]), max_travel_s=3600)
    assert s["ov_by"][0] == "transit" and s["transit_share"][0] == 1.0
    s = summarize_window(np.full((1, 5), 7200.0), np.array([np.nan]), max_travel_s=3600)
    assert s["ov_by"][0] == "none" and bool(s["no_trip"][0])


def _summarize_with_partition(transit_s, walk_s, max_travel_s):
    """summarize_window's percentiles and share the plain numpy way (a partition)."""
    tr = np.where(transit_s <= max_travel_s, transit_s, np.inf)
    n = tr.shape[-1]
    ks = [max(int(np.ceil(p / 100.0 * n)) - 1, 0) for p in (5, 50, 95)]
    part = np.partition(tr, sorted(set(ks)), axis=-1)
    stats = np.stack([part[..., k] for k in ks], axis=-1)
    return np.where(np.isfinite(stats), stats, np.nan) / 60.0, np.isfinite(tr).mean(axis=-1)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 130),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 1.0),
    st.sampled_from([1800.0, 3600.0, np.inf]),
)
def test_window_percentiles_equal_a_partition(n_pairs, n_minutes, seed, p_none, max_s):
    rng = np.random.default_rng(seed)
    tr = rng.choice([300.0, 1200.5, 2400.0, 5000.0], size=(n_pairs, 2, n_minutes))
    tr += rng.integers(0, 3, tr.shape) * 0.25
    tr[rng.random(tr.shape) < p_none] = np.inf
    view = tr[:, :, ::-1]  # as transit_times gives ascending minutes: a reversed view
    s = summarize_window(view, np.full((n_pairs, 2), np.nan), max_travel_s=max_s)
    stats, share = _summarize_with_partition(view, None, max_s)
    got = np.stack([s[f"transit_p{p:02d}_min"] for p in (5, 50, 95)], axis=-1)
    np.testing.assert_array_equal(got, stats)
    assert s["transit_share"].tobytes() == share.tobytes()


# ---------------------------------------------------------------- the test feed
@pytest.fixture(scope="module")
def synth_feed(synth_dir):
    from bereikbaar.inputs.gtfs import read_gtfs

    day = dt.date(2026, 3, 4)
    return read_gtfs(synth_dir / "gtfs_drenthe_synth.zip", dates=[day]).data, day


@pytest.mark.slow
def test_router_equals_brute_force_on_random_pairs_of_the_test_feed(synth_feed):
    feed, day = synth_feed
    rng = np.random.default_rng(16)
    stop_times = feed.timetable(day)
    n_stops = len(feed.stops)
    xy = np.c_[feed.stops.geometry.x, feed.stops.geometry.y]
    # transfers: stops within 400 m, 1.4 m/s straight line (any walking table will do)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    a, b = np.nonzero((d <= 400) & (d > 0))
    transfers = pd.DataFrame({"from_stop": a, "to_stop": b, "time_s": d[a, b] / 1.4})
    n_o, n_g = 4, 6
    origins = rng.choice(n_stops, size=n_o, replace=False)
    access = pd.DataFrame({"origin": np.arange(n_o), "stop": origins, "time_s": 240.5})
    egress = pd.DataFrame(
        {
            "stop": rng.choice(n_stops, size=40),
            "group": np.arange(40) % n_g,
            "time_s": rng.uniform(0, 900, 40),
        }
    )
    deps = np.sort(rng.choice(np.arange(7 * 3600, 9 * 3600, 60), size=6, replace=False))
    deps = np.r_[deps, 23 * 3600 + 50 * 60]  # a departure whose trips run past midnight
    got = _check_equal(n_stops, stop_times, access, egress, transfers, 120, deps, n_o, n_g)
    assert np.isfinite(got[:, :, :-1]).mean() > 0.1  # real journeys were compared


def test_search_from_access_stops_equals_search_from_each_origin(synth_feed):
    """Many origins sharing stops, walks of fractional seconds, few rounds: the search once
    from each access stop gives every origin the same arrivals as its own Range RAPTOR."""
    feed, day = synth_feed
    rng = np.random.default_rng(10)
    stop_times = feed.timetable(day)
    n_stops = len(feed.stops)
    xy = np.c_[feed.stops.geometry.x, feed.stops.geometry.y]
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    a, b = np.nonzero((d <= 400) & (d > 0))
    transfers = pd.DataFrame({"from_stop": a, "to_stop": b, "time_s": d[a, b] / 1.3})
    tt = build_timetable(stop_times, n_stops=n_stops, transfers=transfers, min_transfer_s=90)
    n_o, n_g = 300, 4
    origin = np.repeat(np.arange(n_o), 3)
    access = pd.DataFrame(
        {"origin": origin, "stop": rng.integers(0, n_stops, len(origin)), "time_s": 0.0}
    ).drop_duplicates(["origin", "stop"])
    access["time_s"] = rng.uniform(0, 900, len(access))
    access = access[rng.random(len(access)) < 0.8]  # some origins without a stop
    egress = pd.DataFrame(
        {
            "stop": rng.integers(0, n_stops, 30),
            "group": np.arange(30) % n_g,
            "time_s": rng.uniform(0, 600, 30),
        }
    )
    deps = np.arange(7 * 3600, 9 * 3600, 60.0)
    for rounds in (0, 1, 3):
        kw = {"access": access, "egress": egress, "departures_s": deps, "n_origins": n_o}
        kw |= {"n_groups": n_g, "max_transfers": rounds}
        got = transit_times(tt, **kw)
        want = transit_times(tt, **kw, by_stop=False)
        assert got.tobytes() == want.tobytes()
        assert np.isfinite(got).mean() > 0.1  # real journeys were compared


# ------------------------------------------------------- door to door on a tiny network
def _line_feed():
    """A 10 km street, stop A at x=300 and B at x=9700; a bus A→B every 30 minutes from
    07:10 (20 minutes' ride); origin at x=0 and x=5000, destination at x=10000."""
    import geopandas as gpd
    import shapely

    from bereikbaar._crs import RD_NEW
    from bereikbaar.inputs.gtfs import TransitFeed
    from bereikbaar.network import network_from_arrays

    xs = np.arange(0, 10_001, 100.0)
    net = network_from_arrays(
        np.c_[xs, np.zeros_like(xs)], [(i, i + 1) for i in range(len(xs) - 1)], mode="walk"
    )
    stops = gpd.GeoDataFrame(
        {
            "stop_id": ["A", "B"],
            "stop_name": ["A", "B"],
            "station_id": ["A", "B"],
            "station_name": ["A", "B"],
        },
        geometry=[shapely.Point(300, 0), shapely.Point(9700, 0)],
        crs=RD_NEW,
    )
    deps = [7 * 3600 + 600 + 1800 * k for k in range(4)]
    trips = pd.DataFrame(
        {
            "trip_id": [f"t{k}" for k in range(4)],
            "route_id": "r",
            "route_short_name": "1",
            "route_type": "3",
            "service_id": "wk",
        }
    )
    rows = []
    for k, d in enumerate(deps):
        rows += [(k, 0, 1, d, d, True, False, 0), (k, 1, 2, d + 1200, d + 1200, False, True, 0)]
    st_ = pd.DataFrame(
        rows,
        columns=[
            "trip",
            "stop",
            "stop_sequence",
            "arrival_s",
            "departure_s",
            "pickup",
            "drop_off",
            "row",
        ],
    )
    services = pd.DataFrame({"service_id": ["wk"], "date": [dt.date(2026, 3, 4)]})
    feed = TransitFeed(
        path=None,
        dates=(dt.date(2026, 3, 4),),
        stops=stops,
        trips=trips,
        stop_times=st_,
        services=services,
    )
    origins = gpd.GeoSeries([shapely.Point(0, 0), shapely.Point(5000, 0)], crs=RD_NEW)
    dest = gpd.GeoSeries([shapely.Point(10_000, 0)], crs=RD_NEW)
    return net, feed, origins, dest, deps


def test_ov_minutes_hand_worked_with_walking_fallback():
    from bereikbaar.config import TransitSettings, TransitWindow, TravelProfile
    from bereikbaar.transit import ov_minutes, walk_legs

    net, feed, origins, dest, deps = _line_feed()
    walk = TravelProfile("walk", "walk", speed_kmh=3.6)  # 1 m/s: metres are seconds
    window = TransitWindow("m", "We", "07:00", "08:00")
    ts = TransitSettings(
        service_date="2026-03-02", windows=(window,), max_travel_min=180, norm_window="m"
    )
    legs = walk_legs(
        net, stops=feed.stops, origins=origins, destinations=dest, profile=walk, settings=ts
    )
    assert sorted(legs.access.itertuples(index=False)) == [(0, 0, 300.0)]
    assert sorted(legs.egress.itertuples(index=False)) == [(1, 0, 300.0)]
    np.testing.assert_allclose(legs.walk_s, [[10_000.0], [5_000.0]])
    ov = ov_minutes(feed, legs, settings=ts, origin_index=["west", "middle"])
    tab = ov.table.set_index("origin")
    # by hand: leave at t, be at A at t + 300, take the first bus at or after it, +20 + 5 min
    t = 7 * 3600 + 60 * np.arange(60)
    door = np.array([min(d for d in deps if d >= x + 300) + 1200 + 300 - x for x in t]) / 60
    srt = np.sort(door)
    assert tab.loc["west", "transit_p05_min"] == srt[2]  # 3rd of 60 departure minutes
    assert tab.loc["west", "transit_p50_min"] == srt[29]
    assert tab.loc["west", "transit_p95_min"] == srt[56]
    assert tab.loc["west", "ov_by"] == "transit" and not tab.loc["west", "no_trip"]
    np.testing.assert_allclose(ov.minutes["m"][0, 0], door)
    # the middle of the street: no stop within 1200 m, walking is the ov time
    mid = tab.loc["middle"]
    assert mid["no_trip"] and np.isnan(mid["transit_p50_min"]) and mid["ov_by"] == "walk"
    assert mid["ov_p05_min"] == mid["ov_p95_min"] == mid["walk_min"] == 5000 / 60
    # walking times brought by the caller (per group) give the same table
    from bereikbaar.transit import ov_to_destinations

    again = ov_to_destinations(
        net,
        feed,
        gpd_frame(origins, ["west", "middle"]),
        gpd_frame(dest, [0]),
        settings=ts,
        profile=walk,
        groups=["hap"],
        walk_group_s={"hap": np.array([10_000.0, 5_000.0])},
    )
    cols = ["transit_p05_min", "transit_p50_min", "ov_p95_min", "walk_min", "no_trip", "ov_by"]
    pd.testing.assert_frame_equal(again.table[cols], ov.table[cols])
    assert list(again.table["group"]) == ["hap", "hap"]


def gpd_frame(geoms, index):
    import geopandas as gpd

    return gpd.GeoDataFrame(geometry=geoms.to_numpy(), index=index, crs=geoms.crs)


def test_departures_per_hour_counts_trips_leaving_in_the_window():
    import geopandas as gpd
    import shapely

    from bereikbaar._crs import RD_NEW
    from bereikbaar.transit import departures_per_hour

    _, feed, *_ = _line_feed()
    pts = gpd.GeoSeries(
        [shapely.Point(350, 0), shapely.Point(9700, 0), shapely.Point(5000, 0)], crs=RD_NEW
    )
    got = departures_per_hour(
        feed, pts, date=dt.date(2026, 3, 4), start_s=7 * 3600, end_s=9 * 3600, radius_m=100
    )
    # A: buses at 07:10, 07:40, 08:10, 08:40 in two hours; B is only the last stop
    np.testing.assert_allclose(got, [2.0, 0.0, 0.0])


def test_stop_departures_per_hour_are_each_stops_own_count(synth_feed):
    """The study area's array, sliced, equals counting at a subset of stops (radius 0)."""
    from bereikbaar.transit import departures_per_hour, stop_departures_per_hour

    feed, day = synth_feed
    pos = np.arange(0, len(feed.stops), 3)
    kw = {"date": day, "start_s": 7 * 3600, "end_s": 9 * 3600}
    every = stop_departures_per_hour(feed, **kw)
    assert stop_departures_per_hour(feed, **kw) is every  # once per feed and window
    want = departures_per_hour(feed, feed.stops.iloc[pos], radius_m=0.0, **kw)
    assert every[pos].tobytes() == want.tobytes()
    assert (want > 0).sum() > 3


@pytest.mark.slow
def test_villages_without_a_stop_nearby_get_no_ov_trip_faster_than_walking(cfg, synth_feed):
    """On the test region: a village with no stop within walking reach has no ov trip and
    its ov time is its walking time; ov is never slower than walking."""
    from bereikbaar.pipeline import open_study_area
    from bereikbaar.transit import ov_minutes, walk_legs

    feed, _ = synth_feed
    area = open_study_area(cfg)
    name, polygon = area.municipality(area.municipalities["statnaam"].iloc[0])
    places = area.places().data
    villages = places[places.within(polygon)].reset_index(drop=True)
    services = area.services()
    services = services[services["kind"] == "huisartsenpost"].reset_index(drop=True)
    ts = cfg.transit
    legs = walk_legs(
        area.network("walk"),
        stops=feed.stops,
        origins=villages,
        destinations=services,
        profile=cfg.profile(ts.walk_profile),
        settings=ts,
    )
    ov = ov_minutes(
        feed,
        legs,
        settings=ts,
        origin_index=villages.index,
        groups=services["kind"].to_numpy(),
        windows=ts.windows[:1],
    )
    tab = ov.table
    no_stop = ~tab["origin"].isin(legs.access["origin"].unique())
    assert no_stop.any() and (~no_stop).any()
    assert tab.loc[no_stop, "no_trip"].all()
    walk = tab.loc[no_stop, "walk_min"]
    assert (
        tab.loc[no_stop, "ov_p50_min"].fillna(-1)
        == walk.where(walk <= ts.max_travel_min).fillna(-1)
    ).all()
    assert (tab["ov_p95_min"].fillna(np.inf) <= tab["walk_min"].fillna(np.inf)).all()
    both = tab["ov_p05_min"].notna() & tab["ov_p50_min"].notna()
    assert (tab.loc[both, "ov_p05_min"] <= tab.loc[both, "ov_p50_min"]).all()
    assert (tab["ov_p50_min"].isna() <= tab["ov_p95_min"].isna()).all()  # NaN only upwards


# ----------------------------------------- written as GTFS, read back, past midnight
def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@st.composite
def midnight_feeds(draw):
    """Trips of Tuesday and Wednesday around midnight (times up to 26:xx) as GTFS rows."""
    n_stops = draw(st.integers(2, 5))
    trips = []
    for k in range(draw(st.integers(1, 6))):
        day = draw(st.sampled_from(["tue", "wed"]))
        stops = draw(st.lists(st.integers(0, n_stops - 1), min_size=2, max_size=4))
        t = draw(st.integers(80_000, 92_000)) if day == "tue" else draw(st.integers(0, 6000))
        rows = []
        for s in stops:
            dwell = draw(st.integers(0, 60))
            rows.append((s, t, t + dwell))
            t += dwell + draw(st.integers(60, 1200))
        trips.append((f"t{k}", day, rows))
    deps = sorted(draw(st.lists(st.integers(0, 7200), min_size=1, max_size=4, unique=True)))
    return n_stops, trips, deps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed=midnight_feeds())
def test_router_on_feeds_read_from_gtfs_files_past_midnight(tmp_path_factory, feed):
    from bereikbaar.inputs.gtfs import read_gtfs

    n_stops, trips, deps = feed
    folder = tmp_path_factory.mktemp("gtfs")
    (folder / "stops.txt").write_text(
        "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(f"s{i},S{i},52.9,{6.5 + 0.01 * i}\n" for i in range(n_stops))
    )
    (folder / "trips.txt").write_text(
        "route_id,service_id,trip_id\n" + "".join(f"r,{d},{t}\n" for t, d, _ in trips)
    )
    (folder / "calendar_dates.txt").write_text(
        "service_id,date,exception_type\ntue,20260303,1\nwed,20260304,1\n"
    )
    (folder / "stop_times.txt").write_text(
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        + "".join(
            f"{t},{_hms(a)},{_hms(d)},s{s},{i + 1}\n"
            for t, _, rows in trips
            for i, (s, a, d) in enumerate(rows)
        )
    )
    wed = dt.date(2026, 3, 4)
    res = read_gtfs(folder, dates=[wed])
    assert res.rows_rejected == 0
    fd = res.data
    stop_pos = {sid: i for i, sid in enumerate(fd.stops["stop_id"])}
    # the brute force works on the raw rows: Tuesday's times move 24 h back
    raw = pd.DataFrame(
        [
            {
                "trip": k,
                "stop": stop_pos[f"s{s}"],
                "arrival_s": a - shift,
                "departure_s": d - shift,
                "pickup": True,
                "drop_off": True,
            }
            for k, (_, day, rows) in enumerate(trips)
            for shift in [86_400 if day == "tue" else 0]
            for s, a, d in rows
        ]
    )
    access = pd.DataFrame({"origin": [0, 0], "stop": [0, 1], "time_s": [30, 90]})
    egress = pd.DataFrame({"stop": np.arange(n_stops), "group": np.arange(n_stops), "time_s": 45})
    transfers = pd.DataFrame({"from_stop": [0, 1], "to_stop": [1, 0], "time_s": [200, 200]})
    tt = build_timetable(fd.timetable(wed), n_stops=n_stops, transfers=transfers, min_transfer_s=60)
    got = transit_times(
        tt,
        access=access,
        egress=egress,
        departures_s=deps,
        n_origins=1,
        n_groups=n_stops,
        max_transfers=20,
    )
    graph = TimeExpandedGraph(raw, egress, transfers, 60)
    for d, t0 in enumerate(deps):
        np.testing.assert_allclose(got[0, :, d], graph.earliest(access, t0, n_stops), atol=1e-6)


def test_transit_config_windows_and_dates(tmp_path):
    from bereikbaar.config import TransitSettings, TransitWindow, config_from_dict
    from bereikbaar.errors import ConfigError
    from bereikbaar.transit import service_dates, window_date

    with pytest.raises(ConfigError, match="end 07:00 must lie after start"):
        TransitWindow("w", "We", "09:00", "07:00")
    with pytest.raises(ConfigError, match="day 'Wo' must be one of"):
        TransitWindow("w", "Wo", "07:00", "09:00")
    ts = TransitSettings(service_date="2026-03-05")  # a Thursday
    assert [window_date(ts, w) for w in ts.windows] == [
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 7),
        dt.date(2026, 3, 4),
    ]
    assert service_dates(ts) == (dt.date(2026, 3, 4), dt.date(2026, 3, 7))
    with pytest.raises(ConfigError, match="service_date '' must be a date"):
        window_date(TransitSettings(), ts.windows[0])
    raw = {
        "study_area": {"name": "x", "province": "x"},
        "inputs": {"osm": "a.pbf", "boundaries": "b.gpkg", "population": "c.gpkg"},
        "profiles": {"walk": {"network": "walk", "speed_kmh": 5.0}},
        "dorpshub": {"profiles": ["walk"], "village_profile": "walk", "hub_profile": "walk"},
        "hartveilig": {"responder_profile": "walk"},
        "transit": {
            "gtfs": "feed.zip",
            "service_date": "2026-03-04",
            "windows": [{"name": "n", "day": "Su", "start": "10:00", "end": "11:30"}],
            "norm_window": "n",
        },
    }
    cfg = config_from_dict(raw, data_root=tmp_path)
    assert cfg.transit.gtfs == tmp_path / "feed.zip"
    assert cfg.transit.windows[0].end_s - cfg.transit.windows[0].start_s == 5400
    raw["transit"]["norm_window"] = "weekday_morning"
    with pytest.raises(ConfigError, match="norm_window 'weekday_morning' must name one of"):
        config_from_dict(raw, data_root=tmp_path)
    raw["transit"]["norm_window"] = "n"
    raw["transit"]["walk_profile"] = "wlak"
    with pytest.raises(ConfigError, match="transit.walk_profile names profile 'wlak'"):
        config_from_dict(raw, data_root=tmp_path)
