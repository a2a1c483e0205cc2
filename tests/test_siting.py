"""Siting: greedy and ILP maximal covering and p-median against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from bereikbaar.siting import (
    SitingError,
    coverage_from_cost,
    greedy_max_coverage,
    max_coverage_hubs,
    max_coverage_ilp,
    p_median,
)


# ----------------------------------------------------------------------- helpers
def random_instance(rng: np.random.Generator, *, integer_weights: bool = True):
    n_cand = int(rng.integers(1, 8))
    n_dem = int(rng.integers(1, 15))
    density = float(rng.uniform(0.1, 0.6))
    cov = rng.random((n_cand, n_dem)) < density
    w = rng.integers(0, 10, n_dem).astype(float) if integer_weights else rng.uniform(0, 10, n_dem)
    done = rng.random(n_dem) < 0.2
    n = int(rng.integers(1, n_cand + 1))
    return sp.csr_array(cov), w, done, n


def covered_weight(cov: np.ndarray, w: np.ndarray, done: np.ndarray, sites) -> float:
    hit = np.zeros(cov.shape[1], dtype=bool)
    for j in sites:
        hit |= cov[j]
    return float(w[hit & ~done].sum())


def brute_force_max_coverage(cov: np.ndarray, w, done, n) -> float:
    n = min(n, cov.shape[0])
    return max(
        covered_weight(cov, w, done, s) for s in itertools.combinations(range(cov.shape[0]), n)
    )


def naive_greedy(cov: np.ndarray, w, done, n) -> list[int]:
    """Re-evaluate every candidate every round; lowest index on ties; stop at zero gain."""
    residual = np.where(done, 0.0, w)
    picks: list[int] = []
    for _ in range(n):
        gains = np.array(
            [residual[cov[j]].sum() if j not in picks else -1.0 for j in range(len(cov))]
        )
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        picks.append(j)
        residual[cov[j]] = 0.0
    return picks


# ------------------------------------------------------------------- max coverage
def test_hand_worked_greedy_and_ilp():
    # demand weights      d0 d1 d2 d3 d4
    w = np.array([5.0, 4.0, 4.0, 3.0, 3.0])
    cov = np.array(
        [
            [1, 1, 0, 0, 0],  # c0 covers 9
            [0, 1, 1, 0, 0],  # c1 covers 8
            [1, 0, 0, 1, 1],  # c2 covers 11  -> greedy's first pick
            [0, 0, 1, 1, 0],  # c3 covers 7
        ],
        dtype=bool,
    )
    g = greedy_max_coverage(sp.csr_array(cov), w, n=2)
    # after c2 (11): c0 adds 4 (d1), c1 adds 8 (d1+d2), c3 adds 4 (d2) -> c1
    assert g.picks.tolist() == [2, 1]
    assert g.gains.tolist() == [11.0, 8.0]
    assert g.cumulative.tolist() == [11.0, 19.0]
    assert g.covered.all()
    ilp = max_coverage_ilp(cov, w, n=2)
    assert ilp.objective == 19.0
    assert ilp.optimal is True
    frame = g.to_frame()
    assert frame.columns.tolist() == ["rank", "candidate", "gain", "cumulative"]
    assert frame["rank"].tolist() == [1, 2]


def test_greedy_can_be_suboptimal_and_ilp_is_not():
    # classic: one big central set tempts the greedy; two side sets are better
    w = np.ones(6)
    cov = np.array(
        [
            [1, 1, 1, 1, 0, 0],  # c0: 4 (greedy first)
            [1, 1, 1, 0, 0, 0],  # c1: 3
            [0, 0, 0, 1, 1, 1],  # c2: 3
        ],
        dtype=bool,
    )
    g = greedy_max_coverage(cov, w, n=2)
    assert g.picks.tolist() == [0, 2] and g.objective == 6.0
    w2 = np.array([1, 1, 1, 1, 1, 1.0])
    cov2 = np.array(
        [
            [0, 1, 1, 1, 1, 0],  # 4 -> greedy first
            [1, 1, 1, 0, 0, 0],  # 3
            [0, 0, 0, 1, 1, 1],  # 3
        ],
        dtype=bool,
    )
    g2 = greedy_max_coverage(cov2, w2, n=2)
    assert g2.objective == 5.0
    ilp2 = max_coverage_ilp(cov2, w2, n=2)
    assert ilp2.objective == 6.0
    assert sorted(ilp2.picks.tolist()) == [1, 2]


def test_already_covered_gains_nothing_and_zero_gain_stops():
    w = np.array([1.0, 2.0, 3.0])
    cov = np.array([[1, 1, 0], [0, 0, 1]], dtype=bool)
    g = greedy_max_coverage(cov, w, n=5, already_covered=np.array([False, False, True]))
    assert g.picks.tolist() == [0]  # c1 only covers d2, already covered: not picked
    assert g.objective == 3.0
    assert g.covered.tolist() == [True, True, True]
    ilp = max_coverage_ilp(cov, w, n=5, already_covered=np.array([False, False, True]))
    assert ilp.picks.tolist() == [0]


def test_tie_break_lowest_index():
    w = np.array([1.0, 1.0])
    cov = np.array([[0, 1], [1, 0], [0, 1]], dtype=bool)
    g = greedy_max_coverage(cov, w, n=1)
    assert g.picks.tolist() == [0]
    g = greedy_max_coverage(cov, w, n=3)
    assert g.picks.tolist() == [0, 1]


def test_bad_inputs_raise():
    cov = np.ones((2, 3), dtype=bool)
    with pytest.raises(SitingError, match="weights"):
        greedy_max_coverage(cov, np.ones(2), n=1)
    with pytest.raises(SitingError, match=">= 0"):
        greedy_max_coverage(cov, np.array([1.0, -1.0, 1.0]), n=1)
    with pytest.raises(ValueError):  # SitingError is a ValueError
        max_coverage_ilp(cov, np.ones(3), n=-1)


def test_random_instances_greedy_ilp_brute_force():
    rng = np.random.default_rng(20240501)
    bound = 1 - 1 / math.e
    for _ in range(150):
        cov_s, w, done, n = random_instance(rng)
        cov = cov_s.toarray()
        opt = brute_force_max_coverage(cov, w, done, n)
        ilp = max_coverage_ilp(cov_s, w, n=n, already_covered=done)
        assert ilp.optimal
        assert ilp.objective == opt  # integer weights: exact
        assert covered_weight(cov, w, done, ilp.picks) == opt
        assert len(ilp.picks) <= n
        g = greedy_max_coverage(cov_s, w, n=n, already_covered=done)
        assert g.objective >= bound * opt - 1e-9
        assert g.objective <= opt
        assert g.picks.tolist() == naive_greedy(cov, w, done, n)
        assert covered_weight(cov, w, done, g.picks) == g.objective
        assert np.all(np.diff(g.gains) <= 0)  # submodular: gains never grow


def test_random_real_weights_lazy_equals_naive():
    rng = np.random.default_rng(7)
    for _ in range(100):
        cov_s, w, done, n = random_instance(rng, integer_weights=False)
        cov = cov_s.toarray()
        g = greedy_max_coverage(cov_s, w, n=n, already_covered=done)
        assert g.picks.tolist() == naive_greedy(cov, w, done, n)
        opt = brute_force_max_coverage(cov, w, done, n)
        ilp = max_coverage_ilp(cov_s, w, n=n, already_covered=done)
        assert ilp.objective == pytest.approx(opt, rel=1e-9, abs=1e-9)


def test_coverage_from_cost_and_hubs():
    cost = np.array([[1.0, np.nan], [5.0, 2.0], [np.nan, 11.0]])  # 3 demand × 2 candidates
    cov = coverage_from_cost(cost, max_cost=5.0)
    assert cov.shape == (2, 3)
    assert cov.toarray().tolist() == [[True, True, False], [False, True, False]]
    r = max_coverage_hubs(cost, np.array([1.0, 2.0, 4.0]), k=1, max_cost=5.0)
    assert r.picks.tolist() == [0] and r.objective == 3.0


# ----------------------------------------------------------------------- p-median
def brute_force_p_median(cost, w, k):
    """Best (unassigned weight, weighted cost) over all k-subsets."""
    n_dem, n_cand = cost.shape
    reach_any = np.isfinite(cost).any(axis=1)
    best = None
    for s in itertools.combinations(range(n_cand), min(k, n_cand)):
        sub = cost[:, list(s)]
        filled = np.where(np.isnan(sub), np.inf, sub).min(axis=1)
        ok = np.isfinite(filled)
        key = (float(w[~ok & reach_any].sum()), float((w[ok] * filled[ok]).sum()))
        if best is None or key < best:
            best = key
    return best


def test_p_median_hand_worked():
    # demand d0..d2 on a line at 0, 10, 20; candidates at 0, 10, 20
    pos = np.array([0.0, 10.0, 20.0])
    cost = np.abs(pos[:, None] - pos[None, :])
    w = np.array([1.0, 1.0, 1.0])
    r = p_median(cost, w, k=1)
    assert r.chosen.tolist() == [1]  # the middle: 10 + 0 + 10 = 20
    assert r.total_cost == 20.0
    assert r.assignment.tolist() == [1, 1, 1]
    g = p_median(cost, w, k=1, method="greedy")
    assert g.chosen.tolist() == [1] and g.total_cost == 20.0
    # weight pulls the median: d2 weighs 5 -> candidate 2 (20*1 + 10*1 = 30 < 10+0+50=60)
    r = p_median(cost, np.array([1.0, 1.0, 5.0]), k=1)
    assert r.chosen.tolist() == [2] and r.total_cost == 30.0


def test_p_median_unreachable_excluded_and_never_assigned():
    cost = np.array(
        [
            [1.0, np.nan],
            [np.nan, np.nan],  # reachable from nothing: excluded
            [np.nan, 2.0],
        ]
    )
    w = np.array([1.0, 9.0, 1.0])
    r = p_median(cost, w, k=2)
    assert r.excluded.tolist() == [1]
    assert r.assignment.tolist() == [0, -1, 1]
    assert np.isnan(r.cost[1])
    assert r.total_cost == 3.0
    assert r.unassigned.tolist() == []
    # k = 1: one of d0/d2 cannot be served; both weigh 1, so the cheaper (cand 0) wins
    r1 = p_median(cost, w, k=1)
    assert r1.chosen.tolist() == [0]
    assert r1.unassigned.tolist() == [2]
    assert r1.total_cost == 1.0


def test_p_median_random_ilp_equals_brute_force():
    rng = np.random.default_rng(42)
    for _ in range(80):
        n_dem = int(rng.integers(1, 10))
        n_cand = int(rng.integers(1, 6))
        cost = rng.integers(0, 20, (n_dem, n_cand)).astype(float)
        cost[rng.random((n_dem, n_cand)) < 0.3] = np.nan
        w = rng.integers(0, 6, n_dem).astype(float)
        k = int(rng.integers(1, n_cand + 1))
        best = brute_force_p_median(cost, w, k)
        r = p_median(cost, w, k=k)
        assert len(r.chosen) == min(k, n_cand)
        ok = r.assignment >= 0
        reach_any = np.isfinite(cost).any(axis=1)
        key = (float(w[~ok & reach_any].sum()), r.total_cost)
        assert key == best
        # assignments only along reachable pairs, to chosen sites
        for i in np.flatnonzero(ok):
            assert np.isfinite(cost[i, r.assignment[i]])
            assert r.assignment[i] in r.chosen
        assert set(r.excluded.tolist()) == set(np.flatnonzero(~reach_any).tolist())
        g = p_median(cost, w, k=k, method="greedy")
        gkey = (float(w[(g.assignment < 0) & reach_any].sum()), g.total_cost)
        assert gkey >= best


def _gathered_picks(c, w, k, member, gw, n):
    """The enumerations as first written (one 3-d gather per block): the reference."""
    from bereikbaar.siting import _all_sets

    filled = np.where(np.isnan(c), np.inf, c)
    sets = _all_sets(c.shape[1], k)
    best = filled[:, sets].min(axis=2)
    ok = np.isfinite(best)
    unassigned, cost = w @ ~ok, w @ np.where(ok, best, 0.0)
    feasible = unassigned <= unassigned.min() + 1e-9 * max(float(w.sum()), 1.0)
    pm = sets[int(np.argmin(np.where(feasible, cost, np.inf)))].tolist()
    cover_sets = _all_sets(member.shape[0], n)
    mc = cover_sets[int(np.argmax(member[cover_sets].any(axis=1) @ gw))].tolist()
    return pm, mc


@pytest.mark.parametrize("seed", range(8))
def test_enumerations_pick_what_the_gathered_blocks_picked(seed):
    """Taking the minimum (p-median) or union (coverage) one candidate column at a time
    gives the same arrays, so the same sets, ties included."""
    from bereikbaar.siting import _max_coverage_enumerate, _p_median_enumerate

    rng = np.random.default_rng(seed)
    n_dem, n_cand, k = int(rng.integers(1, 60)), int(rng.integers(2, 12)), int(rng.integers(1, 4))
    k = min(k, n_cand)
    c = rng.choice([1.0, 2.5, 3.0, np.nan], size=(n_dem, n_cand))
    w = rng.choice([0.5, 1.0, 2.0], size=n_dem)
    member = rng.random((n_cand, 25)) < 0.3
    gw = rng.choice([1.0, 3.0], size=25)
    groups = {np.flatnonzero(member[:, g]).astype(np.int64).tobytes(): gw[g] for g in range(25)}
    keys = [kk for kk in groups if len(kk)]
    member_g = np.zeros((n_cand, len(keys)), bool)
    for g, kk in enumerate(keys):
        member_g[np.frombuffer(kk, dtype=np.int64), g] = True
    gw_g = np.asarray([groups[kk] for kk in keys])
    want_pm, want_mc = _gathered_picks(c, w, k, member_g, gw_g, k)
    assert _p_median_enumerate(c, w, k) == want_pm
    assert _max_coverage_enumerate({kk: groups[kk] for kk in keys}, n_cand, k) == want_mc
