"""Facility siting on plain arrays: maximal covering and p-median.

The algorithms here know nothing about AEDs, villages or networks. They take a coverage
matrix or a cost matrix (as spopt's ``from_cost_matrix`` does) and return positions; the
analyses (:mod:`bereikbaar.hartveilig`, :mod:`bereikbaar.dorpshub`) build the matrices from
travel times and translate positions back into names.

Two problems are solved:

*Maximal covering* (MCLP, Church & ReVelle 1974): choose ``n`` of the candidate sites so
that the total weight of the demand points covered by at least one chosen site is as
large as possible. ``coverage[j, i]`` is True when candidate ``j`` covers demand point
``i`` (e.g. the route time from site ``j`` to cell ``i`` fits the limit).

* :func:`greedy_max_coverage` adds one site at a time, each time the one that covers the
  most weight not yet covered. Coverage is submodular, so the greedy reaches at least
  ``1 - 1/e`` (63 %) of the optimum (Nemhauser, Wolsey & Fisher 1978). Gains are evaluated
  lazily (CELF, Leskovec et al. 2007): a site's gain can only shrink, so an old gain is an
  upper bound and most sites never need re-evaluating.
* :func:`max_coverage_ilp` solves the same problem exactly as an integer program with
  PuLP and the CBC solver; use it for small ``n`` or to check the greedy.

*p-median* (:func:`p_median`): choose ``k`` sites so that the weighted sum of each demand
point's cost to its nearest chosen site is as small as possible.

Every result is deterministic: ties are broken by the lowest candidate position.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bereikbaar.errors import SitingError

log = logging.getLogger(__name__)

#: The exact methods try every set of k candidates up to this many (else the ILP).
ENUMERATE_MAX_SETS = 200_000

__all__ = [
    "PMedianResult",
    "SitingError",
    "SitingResult",
    "coverage_from_cost",
    "greedy_max_coverage",
    "max_coverage_hubs",
    "max_coverage_exact",
    "max_coverage_ilp",
    "p_median",
]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SitingResult:
    """The sites chosen by a maximal-covering solver.

    Attributes
    ----------
    picks
        Candidate positions (rows of the coverage matrix) in the order they were added.
        For the ILP the optimal set is put in greedy order (largest marginal gain first).
        Sites that would add nothing are not picked, so there may be fewer than ``n``.
    gains
        Weight newly covered by each pick, given the picks before it (same order).
    cumulative
        Running total of ``gains``.
    covered
        Bool ``(n_demand,)``: covered after all picks, including ``already_covered``.
    method
        ``"greedy"`` or ``"ilp"``.
    optimal
        True when the ILP solver proved optimality; None for the greedy.
    """

    picks: np.ndarray
    gains: np.ndarray
    cumulative: np.ndarray
    covered: np.ndarray
    method: str
    optimal: bool | None = None

    @property
    def objective(self) -> float:
        """Total weight newly covered by the picks."""
        return float(self.cumulative[-1]) if len(self.cumulative) else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per pick: ``rank`` (1-based), ``candidate``, ``gain``, ``cumulative``."""
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(self.picks) + 1, dtype=np.int64),
                "candidate": self.picks.astype(np.int64),
                "gain": self.gains.astype(float),
                "cumulative": self.cumulative.astype(float),
            }
        )


@dataclass(frozen=True)
class PMedianResult:
    """The sites chosen by :func:`p_median`.

    Attributes
    ----------
    chosen
        Chosen candidate positions (columns of the cost matrix), sorted ascending.
    assignment
        int64 ``(n_demand,)``: the chosen candidate each demand point is served by (its
        cheapest chosen candidate, lowest position on ties); -1 when none of the chosen
        candidates reaches it (``unassigned``) or no candidate at all does (``excluded``).
    cost
        float ``(n_demand,)``: the cost to the assigned candidate, NaN when unassigned.
    total_cost
        Sum of ``weights * cost`` over the assigned demand points (cost units × weight).
    excluded
        Demand positions that no candidate reaches (all-NaN rows); left out of the problem.
    unassigned
        Demand positions that some candidate reaches but none of the ``k`` chosen ones.
        The solver first maximises the weight that can be assigned, then minimises cost,
        so this is empty whenever ``k`` sites can reach every reachable demand point.
    method
        ``"ilp"`` or ``"greedy"``.
    optimal
        True when the ILP solver proved optimality; None for the greedy.
    """

    chosen: np.ndarray
    assignment: np.ndarray
    cost: np.ndarray
    total_cost: float
    excluded: np.ndarray
    unassigned: np.ndarray
    method: str
    optimal: bool | None = None


# ------------------------------------------------------------------------ validation
def _as_coverage(coverage, weights, already_covered):
    """Check and normalise inputs: csr bool (n_cand, n_demand), float weights, bool mask."""
    if sp.issparse(coverage):
        cov = sp.csr_array(coverage, dtype=bool)
    else:
        arr = np.asarray(coverage)
        if arr.ndim != 2:
            raise SitingError(f"coverage must be 2-D (candidates × demand), got shape {arr.shape}")
        cov = sp.csr_array(arr.astype(bool))
    cov.eliminate_zeros()
    cov.sort_indices()
    n_cand, n_dem = cov.shape
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (n_dem,):
        raise SitingError(
            f"weights has {w.size} values but coverage has {n_dem} demand columns; "
            "coverage is (n_candidates × n_demand)"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SitingError("weights must be finite and >= 0 (e.g. residents per cell)")
    if already_covered is None:
        done = np.zeros(n_dem, dtype=bool)
    else:
        done = np.asarray(already_covered, dtype=bool).ravel()
        if done.shape != (n_dem,):
            raise SitingError(f"already_covered has {done.size} values, expected {n_dem}")
    return cov, w, done


def _check_n(n: int, name: str = "n") -> int:
    if int(n) != n or n < 0:
        raise SitingError(f"{name} must be a whole number >= 0, got {n!r}")
    return int(n)


def _row_gains(cov: sp.csr_array, residual: np.ndarray, rows=None) -> np.ndarray:
    """Weight still uncovered that each candidate row covers (sequential sums, row order).

    One routine for every gain so that lazy and full evaluations agree to the last bit.
    """
    if rows is None:
        return np.asarray(cov.astype(float) @ residual, dtype=float).ravel()
    rows = np.atleast_1d(rows)
    out = np.empty(len(rows), dtype=float)
    for k, r in enumerate(rows):
        sub = cov[[int(r)]]
        out[k] = float((sub.astype(float) @ residual)[0])
    return out


# ---------------------------------------------------------------------- max coverage
def greedy_max_coverage(coverage, weights, *, n: int, already_covered=None) -> SitingResult:
    """Choose up to ``n`` sites greedily, with lazy evaluation (CELF).

    Parameters
    ----------
    coverage
        Bool ``(n_candidates, n_demand)``, a scipy.sparse matrix (csr) or dense array:
        True where the candidate covers the demand point.
    weights
        ``(n_demand,)`` non-negative weight per demand point (e.g. residents).
    n
        Number of sites to add.
    already_covered
        Optional bool ``(n_demand,)``: demand already covered by existing sites; covering
        it again gains nothing.

    Returns
    -------
    SitingResult
        Picks in order with the gain of each. The greedy stops early when no candidate
        adds any weight. Ties are broken by the lowest candidate position, so the picks
        equal those of a naive greedy that re-evaluates every candidate each round.
    """
    cov, w, done = _as_coverage(coverage, weights, already_covered)
    n = _check_n(n)
    residual = np.where(done, 0.0, w)
    covered = done.copy()
    gains0 = _row_gains(cov, residual)
    # heap of (-upper bound, candidate, round in which the bound was computed)
    heap = [(-g, j, 0) for j, g in enumerate(gains0) if g > 0]
    heapq.heapify(heap)
    picks: list[int] = []
    gains: list[float] = []
    n_evals = len(gains0)
    while heap and len(picks) < n:
        neg, j, stamp = heapq.heappop(heap)
        if stamp == len(picks):
            gain = -neg
            if gain <= 0:
                break
            picks.append(j)
            gains.append(gain)
            cols = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
            covered[cols] = True
            residual[cols] = 0.0
            continue
        g = float(_row_gains(cov, residual, [j])[0])
        n_evals += 1
        if g > 0:
            heapq.heappush(heap, (-g, j, len(picks)))
    log.debug("greedy max coverage: %d picks, %d gain evaluations", len(picks), n_evals)
    gains_arr = np.asarray(gains, dtype=float)
    return SitingResult(
        picks=np.asarray(picks, dtype=np.int64),
        gains=gains_arr,
        cumulative=np.cumsum(gains_arr),
        covered=covered,
        method="greedy",
        optimal=None,
    )


def _cbc_solver(time_limit_s: float | None = None):
    """CBC through PuLP, silent, proving optimality (no relative/absolute gap).

    Uses a ``cbc`` on the PATH when there is one, else the binary bundled with PuLP
    (through ``COIN_CMD``: ``PULP_CBC_CMD`` is deprecated in PuLP 3.x).
    """
    import pulp

    opts = {"msg": False, "gapRel": 0.0, "gapAbs": 0.0, "timeLimit": time_limit_s}
    solver = pulp.COIN_CMD(**opts)
    if solver.available():
        return solver
    from pulp.apis import coin_api

    solver = pulp.COIN_CMD(path=coin_api.pulp_cbc_path, **opts)
    if not solver.available():  # pragma: no cover - depends on the installation
        raise SitingError(
            "no CBC solver found: install PuLP with its bundled CBC (pip install pulp) "
            "or put a cbc binary on the PATH"
        )
    return solver


def _solve(prob, time_limit_s: float | None) -> bool:
    import pulp

    status = prob.solve(_cbc_solver(time_limit_s))
    if pulp.LpStatus[status] != "Optimal":
        raise SitingError(f"the CBC solver ended with status {pulp.LpStatus[status]!r}")
    return prob.sol_status == pulp.LpSolutionOptimal


def _order_greedily(cov: sp.csr_array, residual: np.ndarray, chosen: list[int]):
    """Put a chosen set in greedy order; sites that add nothing are dropped."""
    residual = residual.copy()
    remaining = sorted(chosen)
    picks, gains = [], []
    while remaining:
        g = _row_gains(cov, residual, remaining)
        k = int(np.argmax(g))  # first maximum = lowest position
        if g[k] <= 0:
            break
        j = remaining.pop(k)
        picks.append(j)
        gains.append(float(g[k]))
        residual[cov.indices[cov.indptr[j] : cov.indptr[j + 1]]] = 0.0
    return picks, gains


def max_coverage_ilp(
    coverage, weights, *, n: int, already_covered=None, time_limit_s: float | None = None
) -> SitingResult:
    """Choose ``n`` sites that cover the most weight, exactly (integer program, CBC).

    The maximal covering location problem::

        maximise   sum_i w_i y_i
        subject to y_i <= sum_{j covers i} x_j      for every demand point i
                   sum_j x_j <= n
                   x_j, y_i in {0, 1}

    Demand points with zero weight, already covered, or covered by no candidate are left
    out, and demand points covered by the same set of candidates are merged into one
    (their weights summed), which keeps the program small.

    Parameters
    ----------
    coverage, weights, n, already_covered
        As for :func:`greedy_max_coverage`.
    time_limit_s
        Optional limit for the solver (seconds); ``optimal`` tells whether it finished.

    Returns
    -------
    SitingResult
        The optimal set, ordered greedily (largest marginal gain first, so ``gains`` is
        comparable with the greedy's); sites that would add nothing are not listed.
    """
    return _max_coverage(coverage, weights, n, already_covered, time_limit_s, enumerate_=False)


def max_coverage_exact(coverage, weights, *, n: int, already_covered=None) -> SitingResult:
    """:func:`max_coverage_ilp` by trying every set of ``n`` candidates when there are at
    most :data:`ENUMERATE_MAX_SETS` of them (numpy, no solver; of equal coverage the first
    set in lexicographic order), else by the ILP. ``method`` on the result is ``"exact"``."""
    return _max_coverage(coverage, weights, n, already_covered, None, enumerate_=True)


def _max_coverage(coverage, weights, n, already_covered, time_limit_s, *, enumerate_: bool):
    cov, w, done = _as_coverage(coverage, weights, already_covered)
    n = _check_n(n)
    residual = np.where(done, 0.0, w)
    n_cand = cov.shape[0]
    method = "exact" if enumerate_ else "ilp"
    empty = SitingResult(
        np.zeros(0, np.int64), np.zeros(0), np.zeros(0), done.copy(), method, optimal=True
    )
    if n == 0 or n_cand == 0:
        return empty
    groups = _coverage_groups(cov, residual)
    if not groups:
        return empty
    optimal = True
    if n >= n_cand:
        chosen = list(range(n_cand))
    elif enumerate_ and math.comb(n_cand, n) <= ENUMERATE_MAX_SETS:
        chosen = _max_coverage_enumerate(groups, n_cand, n)
    else:
        chosen, optimal = _max_coverage_program(groups, n_cand, n, time_limit_s)
    picks, gains = _order_greedily(cov, residual, chosen)
    covered = done.copy()
    for j in picks:
        covered[cov.indices[cov.indptr[j] : cov.indptr[j + 1]]] = True
    gains_arr = np.asarray(gains, dtype=float)
    return SitingResult(
        picks=np.asarray(picks, dtype=np.int64),
        gains=gains_arr,
        cumulative=np.cumsum(gains_arr),
        covered=covered,
        method=method,
        optimal=optimal,
    )


def _coverage_groups(cov: sp.csr_array, residual: np.ndarray) -> dict[bytes, float]:
    """Demand with weight left, merged by the set of candidates covering it: the
    candidates (int64 bytes) → the summed weight, sorted by key (a deterministic model)."""
    csc = cov.tocsc()
    csc.sort_indices()
    group_weight: dict[bytes, float] = {}
    for i in np.flatnonzero(residual > 0):
        rows = csc.indices[csc.indptr[i] : csc.indptr[i + 1]]
        if len(rows) == 0:
            continue
        key = rows.astype(np.int64).tobytes()
        group_weight[key] = group_weight.get(key, 0.0) + residual[i]
    return {k: group_weight[k] for k in sorted(group_weight)}


def _max_coverage_program(groups: dict[bytes, float], n_cand: int, n: int, time_limit_s):
    import pulp

    prob = pulp.LpProblem("max_coverage", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", 0, 1, cat="Binary") for j in range(n_cand)]
    keys = list(groups)
    y = [prob.add_variable(f"y{g}", 0, 1, cat="Continuous") for g in range(len(keys))]
    prob += pulp.lpSum(groups[k] * y[g] for g, k in enumerate(keys))
    for g, k in enumerate(keys):
        rows = np.frombuffer(k, dtype=np.int64)
        prob += y[g] <= pulp.lpSum(x[int(j)] for j in rows), f"cover{g}"
    prob += pulp.lpSum(x) <= n, "n_sites"
    optimal = _solve(prob, time_limit_s)
    return [j for j in range(n_cand) if (x[j].value() or 0) > 0.5], optimal


def _max_coverage_enumerate(groups: dict[bytes, float], n_cand: int, n: int) -> list[int]:
    """The set of ``n`` candidates covering the most group weight (first of equals)."""
    keys = list(groups)
    gw = np.asarray([groups[k] for k in keys], dtype=float)
    member = np.zeros((n_cand, len(keys)), bool)
    for g, k in enumerate(keys):
        member[np.frombuffer(k, dtype=np.int64), g] = True
    sets = _all_sets(n_cand, n)
    score = np.empty(len(sets))
    block = max(1, 2_000_000 // max(len(keys) * n, 1))
    for a in range(0, len(sets), block):
        part = sets[a : a + block]
        hit = member[part[:, 0]]  # (m, n_groups): covered by any of the set's candidates
        for j in range(1, n):
            hit |= member[part[:, j]]
        score[a : a + block] = hit @ gw
    return sets[int(np.argmax(score))].tolist()


def _all_sets(n_cand: int, k: int) -> np.ndarray:
    """Every set of ``k`` of ``n_cand`` positions, (C(n_cand, k), k), lexicographic."""
    return np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(n_cand), k)),
        dtype=np.int64,
        count=math.comb(n_cand, k) * k,
    ).reshape(-1, k)


def coverage_from_cost(cost, *, max_cost: float) -> sp.csr_array:
    """Coverage ``(n_candidates, n_demand)`` from a cost matrix ``(n_demand, n_candidates)``.

    A candidate covers a demand point when the cost is finite and ``<= max_cost`` (same
    unit as ``cost``, e.g. minutes). NaN means unreachable.
    """
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2:
        raise SitingError(f"cost must be 2-D (demand × candidates), got shape {c.shape}")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(c) & (c <= max_cost)
    return sp.csr_array(ok.T)


def max_coverage_hubs(
    cost,
    weights,
    *,
    k: int,
    max_cost: float,
    method: Literal["greedy", "ilp"] = "ilp",
) -> SitingResult:
    """Choose ``k`` hubs covering the most weight within ``max_cost``.

    Maximal covering on :func:`coverage_from_cost`; ``cost`` is ``(n_demand, n_candidates)``
    with NaN for unreachable pairs, as for :func:`p_median`. ``method="ilp"`` is exact,
    ``"greedy"`` lazy-greedy.
    """
    cov = coverage_from_cost(cost, max_cost=max_cost)
    if method == "ilp":
        return max_coverage_ilp(cov, weights, n=k)
    if method == "greedy":
        return greedy_max_coverage(cov, weights, n=k)
    raise SitingError(f"method must be 'ilp' or 'greedy', got {method!r}")


# -------------------------------------------------------------------------- p-median
def _assign(cost: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest chosen candidate per demand point (lowest position on ties); -1/NaN if none."""
    n_dem = cost.shape[0]
    assignment = np.full(n_dem, -1, dtype=np.int64)
    best = np.full(n_dem, np.nan)
    if len(chosen) == 0:
        return assignment, best
    sub = cost[:, chosen]
    filled = np.where(np.isnan(sub), np.inf, sub)
    k = np.argmin(filled, axis=1)
    val = filled[np.arange(n_dem), k]
    ok = np.isfinite(val)
    assignment[ok] = chosen[k[ok]]
    best[ok] = val[ok]
    return assignment, best


def _pmedian_key(cost, w, chosen) -> tuple[float, float]:
    """(weight left unassigned, weighted cost): smaller is better, lexicographically."""
    a, c = _assign(cost, np.asarray(sorted(chosen), dtype=np.int64))
    ok = a >= 0
    return float(w[~ok].sum()), float((w[ok] * c[ok]).sum())


def p_median(
    cost,
    weights,
    *,
    k: int,
    method: Literal["ilp", "exact", "greedy"] = "ilp",
    time_limit_s: float | None = None,
) -> PMedianResult:
    """Choose ``k`` sites minimising the weighted cost to the nearest chosen site.

    Parameters
    ----------
    cost
        ``(n_demand, n_candidates)`` cost of serving demand point ``i`` from candidate
        ``j`` (e.g. travel minutes); NaN where ``j`` cannot reach ``i`` — such a pair is
        never assigned.
    weights
        ``(n_demand,)`` non-negative weights (e.g. residents).
    k
        Number of sites (all candidates when ``k`` exceeds their number).
    method
        ``"ilp"`` (exact, PuLP + CBC), ``"exact"`` (every set of ``k`` candidates is
        tried when there are at most :data:`ENUMERATE_MAX_SETS` of them, at numpy
        speed; else the ILP; on equal objectives the first set in lexicographic order)
        or ``"greedy"`` (add the site that improves the objective most, one at a time;
        ties by the lowest position).
    time_limit_s
        Optional solver time limit for the ILP (seconds).

    Returns
    -------
    PMedianResult
        Demand points that no candidate reaches are *excluded* and reported. When ``k``
        sites cannot reach every remaining demand point, the solver first maximises the
        weight that can be assigned and then minimises cost among such choices; demand
        left without a chosen site is reported as ``unassigned``.

    Notes
    -----
    The ILP is the classic formulation (ReVelle & Swain 1970) over reachable pairs only::

        minimise   sum_ij w_i c_ij x_ij
        subject to sum_j x_ij + u_i = 1,  x_ij <= y_j,  sum_j y_j = k,
                   sum_i w_i u_i <= U*    (U*: least unassignable weight, from max coverage)

    """
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2:
        raise SitingError(f"cost must be 2-D (demand × candidates), got shape {c.shape}")
    n_dem, n_cand = c.shape
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (n_dem,):
        raise SitingError(f"weights has {w.size} values but cost has {n_dem} demand rows")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SitingError("weights must be finite and >= 0")
    if np.any(c[np.isfinite(c)] < 0) or np.any(np.isinf(c)):
        raise SitingError("cost must be >= 0, with NaN (not inf) for unreachable pairs")
    k = min(_check_n(k, "k"), n_cand)
    reach = np.isfinite(c)
    excluded = np.flatnonzero(~reach.any(axis=1))
    if len(excluded):
        log.info(
            "p-median: %d demand point(s) reachable from no candidate, excluded", len(excluded)
        )

    if method == "greedy":
        chosen: list[int] = []
        for _ in range(k):
            best_key, best_j = None, -1
            for j in range(n_cand):
                if j in chosen:
                    continue
                key = _pmedian_key(c, w, [*chosen, j])
                if best_key is None or key < best_key:
                    best_key, best_j = key, j
            chosen.append(best_j)
        optimal = None
    elif method == "exact" and math.comb(n_cand, k) <= ENUMERATE_MAX_SETS:
        chosen, optimal = _p_median_enumerate(c, w, k), True
    elif method in ("ilp", "exact"):
        chosen, optimal = _p_median_ilp(c, w, k, reach, excluded, time_limit_s)
    else:
        raise SitingError(f"method must be 'ilp', 'exact' or 'greedy', got {method!r}")

    chosen_arr = np.asarray(sorted(chosen), dtype=np.int64)
    assignment, best = _assign(c, chosen_arr)
    ok = assignment >= 0
    unassigned = np.setdiff1d(np.flatnonzero(~ok), excluded)
    return PMedianResult(
        chosen=chosen_arr,
        assignment=assignment,
        cost=best,
        total_cost=float((w[ok] * best[ok]).sum()),
        excluded=excluded.astype(np.int64),
        unassigned=unassigned.astype(np.int64),
        method=method,
        optimal=optimal,
    )


def _p_median_enumerate(c: np.ndarray, w: np.ndarray, k: int) -> list[int]:
    """The p-median by trying every set of ``k`` candidates, vectorised in blocks.

    The same lexicographic objective as the ILP: first the least weight left without a
    reachable chosen site (within the ILP's tolerance), then the least weighted cost; of
    equal objectives the first set in :func:`itertools.combinations` order.
    """
    n_dem, n_cand = c.shape
    if k == 0:
        return []
    filled = np.where(np.isnan(c), np.inf, c)
    sets = _all_sets(n_cand, k)
    unassigned = np.empty(len(sets))
    cost = np.empty(len(sets))
    block = max(1, 2_000_000 // max(n_dem * k, 1))
    for a in range(0, len(sets), block):
        part = sets[a : a + block]
        best = filled[:, part[:, 0]]  # (n_dem, m): the nearest of the set's candidates
        for j in range(1, k):
            best = np.minimum(best, filled[:, part[:, j]])
        ok = np.isfinite(best)
        unassigned[a : a + block] = w @ ~ok
        cost[a : a + block] = w @ np.where(ok, best, 0.0)
    tol = 1e-9 * max(float(w.sum()), 1.0)
    feasible = unassigned <= unassigned.min() + tol
    pick = int(np.argmin(np.where(feasible, cost, np.inf)))
    return sets[pick].tolist()


def _p_median_ilp(c, w, k, reach, excluded, time_limit_s):
    import pulp

    n_dem, n_cand = c.shape
    if k == 0:
        return [], True
    if k == n_cand:
        return list(range(n_cand)), True
    keep = np.setdiff1d(np.arange(n_dem), excluded)
    # least weight that must stay unassigned: max coverage with k sites
    cov = sp.csr_array(reach[keep].T)
    mc = max_coverage_ilp(cov, w[keep], n=k, time_limit_s=time_limit_s)
    assignable = float(mc.objective)
    total = float(w[keep].sum())
    prob = pulp.LpProblem("p_median", pulp.LpMinimize)
    y = [prob.add_variable(f"y{j}", 0, 1, cat="Binary") for j in range(n_cand)]
    objective = []
    slack_terms = []
    for i in keep:
        js = np.flatnonzero(reach[i])
        xs = [prob.add_variable(f"x{i}_{j}", 0, 1) for j in js]
        u = prob.add_variable(f"u{i}", 0, 1)
        prob += pulp.lpSum(xs) + u == 1, f"assign{i}"
        for j, x in zip(js, xs, strict=True):
            prob += x <= y[int(j)], f"open{i}_{j}"
            objective.append(float(w[i] * c[i, j]) * x)
        slack_terms.append(float(w[i]) * u)
    prob += pulp.lpSum(objective)
    prob += pulp.lpSum(y) == k, "k_sites"
    # allow a tiny tolerance so rounding in the weights never makes it infeasible
    tol = 1e-9 * max(total, 1.0)
    prob += pulp.lpSum(slack_terms) <= (total - assignable) + tol, "max_assigned"
    optimal = _solve(prob, time_limit_s)
    chosen = [j for j in range(n_cand) if (y[j].value() or 0) > 0.5]
    return chosen, optimal
