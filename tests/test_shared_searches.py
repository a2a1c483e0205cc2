"""The shared and cached searches (issue 10's speed) give what the plain searches give.

Every comparison runs the plain computation on a fresh copy of the network (no cached
results), so a cache key that mixed up two questions would show as a difference.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bereikbaar.config import TravelProfile
from bereikbaar.network import build_network
from bereikbaar.routing import (
    nearest_facility,
    nearest_in_pool,
    snap_points,
    travel_time_matrix,
    travel_time_matrix_full,
    travel_times_within,
)
from bereikbaar.siting import max_coverage_exact, max_coverage_ilp, p_median

WALK = TravelProfile("walk", "walk", speed_kmh=5.0)
WALK_SLOW = TravelProfile("walk_slow", "walk", speed_kmh=3.0)
CAR = TravelProfile("car", "drive", delay_factor=1.3)
GRONINGEN = "roads/groningen_centre_osmnx_drive_2020.osm.gz"


def fresh(net):
    """The same network without any cached result."""
    return dataclasses.replace(net, _cache={})


def random_points(net, rng, k: int, *, spread_m: float = 150.0, index=None):
    nodes = rng.choice(net.n_nodes, size=k)
    x = net.node_x[nodes] + rng.normal(0, spread_m, k)
    y = net.node_y[nodes] + rng.normal(0, spread_m, k)
    x[:1] += 50_000  # far away: flagged
    return gpd.GeoSeries(shapely.points(np.c_[x, y]), crs="EPSG:28992", index=index)


@pytest.fixture(scope="module", params=["walk", "drive"])
def net_case(request, data_dir):
    mode = request.param
    net = build_network(data_dir / GRONINGEN, mode)
    return net, (WALK if mode == "walk" else CAR)


# ------------------------------------------------------------------------ snapping
def test_snaps_of_the_same_points_are_shared_and_keep_their_index(net_case):
    net, _ = net_case
    rng = np.random.default_rng(1)
    points = random_points(net, rng, 50)
    first = snap_points(net, points)
    again = snap_points(net, points.set_axis(np.arange(100, 150)))
    plain = snap_points(fresh(net), points)
    for a in (first, again):
        np.testing.assert_array_equal(a.edge, plain.edge)
        np.testing.assert_array_equal(a.fraction, plain.fraction)
        np.testing.assert_array_equal(a.snap_distance_m, plain.snap_distance_m)
    assert list(again.index) == list(range(100, 150))
    moved = snap_points(net, points.translate(xoff=40.0))
    plain_moved = snap_points(fresh(net), points.translate(xoff=40.0))
    np.testing.assert_array_equal(moved.fraction, plain_moved.fraction)
    assert not np.array_equal(moved.snap_distance_m, first.snap_distance_m, equal_nan=True)
    # a stricter limit flags more points from the same cached snap
    strict = snap_points(net, points, max_snap_m=20.0)
    np.testing.assert_array_equal(strict.flagged, ~(plain.snap_distance_m <= 20.0))


# ------------------------------------------------------------------ nearest facility
def test_cached_nearest_searches_tell_facility_sets_profiles_and_directions_apart(
    data_dir,
):
    net = build_network(data_dir / GRONINGEN, "walk")
    rng = np.random.default_rng(2)
    sp = snap_points(net, random_points(net, rng, 60))
    asks = [
        (np.arange(1, 8), WALK, "to_facility", None),
        (np.arange(2, 9), WALK, "to_facility", None),
        (np.arange(1, 8), WALK_SLOW, "to_facility", None),
        (np.arange(1, 8), WALK, "from_facility", None),
        (np.arange(1, 8), WALK, "to_facility", 300.0),
        (np.arange(1, 8), WALK, "to_facility", None),  # asked again: from the cache
    ]
    for rows, profile, direction, cutoff in asks:
        kw = {"profile": profile, "targets": sp, "direction": direction, "cutoff_s": cutoff}
        got = nearest_facility(net, sp.subset(rows), **kw)
        plain = nearest_facility(fresh(net), sp.subset(rows), **kw)
        for name in ("node_time_s", "node_facility", "target_time_s", "target_facility"):
            np.testing.assert_array_equal(getattr(got, name), getattr(plain, name))
        got.node_time_s[:] = -1.0  # the caller's copy: the cache must not change
    again = nearest_facility(net, sp.subset(np.arange(1, 8)), profile=WALK, targets=sp)
    assert np.nanmin(again.node_time_s) >= 0


@pytest.mark.parametrize("seed", [3, 4])
def test_nearest_in_pool_equals_searching_the_facilities_alone(net_case, seed):
    net, profile = net_case
    rng = np.random.default_rng(seed)
    pool_pts = random_points(net, rng, 80)
    targets = snap_points(net, random_points(net, rng, 120, spread_m=300.0))
    pool = snap_points(net, pool_pts)
    subsets = [np.sort(rng.choice(80, size=k, replace=False)) for k in (1, 3, 10, 40)] + [
        np.arange(80)
    ]
    for rows in subsets:
        own = snap_points(net, pool_pts.iloc[rows].reset_index(drop=True))
        t, f = nearest_in_pool(
            net, own, pool, profile=profile, targets=targets, direction="to_facility"
        )
        plain = nearest_facility(
            fresh(net), own, profile=profile, targets=targets, direction="to_facility"
        )
        np.testing.assert_array_equal(t, plain.target_time_s)
        np.testing.assert_array_equal(f, plain.target_facility)


def test_nearest_in_pool_with_facilities_outside_the_pool(net_case):
    net, profile = net_case
    rng = np.random.default_rng(5)
    pts = random_points(net, rng, 30)
    targets = snap_points(net, random_points(net, rng, 50))
    pool = snap_points(net, pts.iloc[:20].reset_index(drop=True))
    own = snap_points(net, pts.iloc[10:].reset_index(drop=True))  # 10 not in the pool
    t, f = nearest_in_pool(net, own, pool, profile=profile, targets=targets)
    plain = nearest_facility(fresh(net), own, profile=profile, targets=targets)
    np.testing.assert_array_equal(t, plain.target_time_s)
    np.testing.assert_array_equal(f, plain.target_facility)


# ------------------------------------------------------------------ matrices and pairs
@pytest.mark.parametrize("detour", [0.05, 1.2])
def test_full_matrix_found_with_a_limit_first_equals_the_plain_matrix(net_case, detour):
    net, profile = net_case
    rng = np.random.default_rng(6)
    sp = snap_points(net, random_points(net, rng, 40))
    got = travel_time_matrix_full(net, sp, sp, profile=profile, detour=detour)
    np.testing.assert_array_equal(got, travel_time_matrix(fresh(net), sp, sp, profile=profile))


def test_full_matrix_with_a_too_small_first_limit_for_the_central_origins(net_case, monkeypatch):
    """The central half of the origins first searched with too little detour: those
    with a destination beyond it are searched again, and the matrix is still the plain one."""
    from bereikbaar import routing

    net, profile = net_case
    monkeypatch.setattr(routing, "_INNER_DETOUR", 0.3)
    rng = np.random.default_rng(8)
    sp = snap_points(net, random_points(net, rng, 40))
    got = travel_time_matrix_full(net, sp, sp, profile=profile)
    np.testing.assert_array_equal(got, travel_time_matrix(fresh(net), sp, sp, profile=profile))


def test_cached_pairs_within_tell_cutoffs_and_points_apart(net_case):
    net, profile = net_case
    rng = np.random.default_rng(7)
    a = snap_points(net, random_points(net, rng, 30))
    b = snap_points(net, random_points(net, rng, 30))
    for o, d, cutoff in ((a, b, 200.0), (a, b, 400.0), (b, a, 200.0), (a, b, 200.0)):
        got = travel_times_within(net, o, d, profile=profile, cutoff_s=cutoff)
        plain = travel_times_within(fresh(net), o, d, profile=profile, cutoff_s=cutoff)
        assert got.equals(plain)
        got["time_s"] = -1.0  # the caller's copy


# --------------------------------------------------------------------------- siting
@st.composite
def cost_instances(draw):
    n_dem = draw(st.integers(1, 7))
    n_cand = draw(st.integers(1, 6))
    cost = np.array(
        draw(
            st.lists(
                st.one_of(st.none(), st.integers(0, 6)),
                min_size=n_dem * n_cand,
                max_size=n_dem * n_cand,
            )
        ),
        dtype=float,
    ).reshape(n_dem, n_cand)  # None -> NaN: unreachable; small integers: many ties
    weights = np.array(draw(st.lists(st.integers(0, 5), min_size=n_dem, max_size=n_dem)), float)
    k = draw(st.integers(0, n_cand + 1))
    return cost, weights, k


def _pmedian_objective(cost, w, chosen):
    if len(chosen) == 0:
        return float(w.sum()), 0.0
    sub = np.where(np.isnan(cost[:, chosen]), np.inf, cost[:, chosen]).min(axis=1)
    ok = np.isfinite(sub)
    return float(w[~ok].sum()), float((w[ok] * sub[ok]).sum())


@settings(max_examples=40, deadline=None)
@given(cost_instances())
def test_exact_p_median_has_the_ilp_optimum(case):
    cost, w, k = case
    exact = p_median(cost, w, k=k, method="exact")
    ilp = p_median(cost, w, k=k, method="ilp")
    got, want = _pmedian_objective(cost, w, exact.chosen), _pmedian_objective(cost, w, ilp.chosen)
    assert got[0] == pytest.approx(want[0], abs=1e-9)
    assert got[1] == pytest.approx(want[1], abs=1e-9)
    assert exact.optimal is True and len(exact.chosen) == min(k, cost.shape[1])
    again = p_median(cost, w, k=k, method="exact")
    np.testing.assert_array_equal(again.chosen, exact.chosen)  # deterministic on ties


@settings(max_examples=40, deadline=None)
@given(cost_instances(), st.integers(0, 6))
def test_exact_max_coverage_has_the_ilp_optimum(case, limit):
    cost, w, k = case
    cov = np.isfinite(cost) & (np.nan_to_num(cost, nan=99) <= limit)
    done = w > 4  # some demand already covered
    exact = max_coverage_exact(cov.T, w, n=k, already_covered=done)
    ilp = max_coverage_ilp(cov.T, w, n=k, already_covered=done)
    assert exact.objective == pytest.approx(ilp.objective, abs=1e-9)
    np.testing.assert_array_equal(exact.covered, done | cov[:, exact.picks].any(axis=1))
    again = max_coverage_exact(cov.T, w, n=k, already_covered=done)
    np.testing.assert_array_equal(again.picks, exact.picks)


# ------------------------------------------------------------------------- Dorpshub
def _same_result(a, b) -> None:
    import pandas as pd

    for name in ("villages", "table", "services", "hubs", "cells", "hub_reach"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(getattr(a, name)), pd.DataFrame(getattr(b, name)), check_exact=True
        )
    assert a.summary == b.summary
    assert (a.ov is None) == (b.ov is None)
    if a.ov is not None:
        pd.testing.assert_frame_equal(a.ov.table, b.ov.table, check_exact=True)


@pytest.mark.slow
def test_dorpshub_after_another_municipality_equals_it_alone_without_the_pool(cfg, monkeypatch):
    """Searches shared through the study area's pool and the network caches give the
    numbers a fresh study area gives without any pool."""
    from bereikbaar import pipeline

    area = pipeline.open_study_area(cfg)
    pipeline.run_dorpshub("Assen", cfg, area=area)
    shared = pipeline.run_dorpshub("Tynaarlo", cfg, area=area)
    assert any(k[0] == "dorpshub_pool" for k in area._cache if isinstance(k, tuple))
    monkeypatch.setattr(pipeline, "_service_pool", lambda *args: None)
    alone = pipeline.run_dorpshub("Tynaarlo", cfg, area=pipeline.open_study_area(cfg))
    _same_result(shared, alone)
