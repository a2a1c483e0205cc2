"""Array cores of Dorpshub: plain numpy in, numpy out, each checkable by hand."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from bereikbaar.config import DorpshubSettings


def village_limit_min(settings: DorpshubSettings, place_kind: str) -> float:
    """Minutes within which a cell can belong to a village of ``place_kind``
    (``village_max_min_by_place`` for that kind, else ``village_max_min``)."""
    return float(settings.village_max_min_by_place.get(place_kind, settings.village_max_min))


def assign_cells(
    time_s: np.ndarray, village: np.ndarray, flagged: np.ndarray, *, max_s: float
) -> np.ndarray:
    """Village position per cell, -1 for buitengebied.

    Parameters
    ----------
    time_s
        ``(n_cells,)`` seconds from the cell to its fastest village (NaN unreached).
    village
        ``(n_cells,)`` position of that village (-1 none).
    flagged
        ``(n_cells,)`` True where the cell could not be placed on the network.
    max_s
        Cells farther than this (seconds) are buitengebied.
    """
    time_s = np.asarray(time_s, dtype=float)
    village = np.asarray(village, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(time_s) & (time_s <= max_s) & (village >= 0) & ~np.asarray(flagged, bool)
    return np.where(ok, village, -1).astype(np.int64)


def group_sum(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum ``values`` per group position (``groups`` -1 is left out); NaN values count 0,
    and a group whose values are all NaN sums to NaN."""
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    keep = groups >= 0
    known = keep & np.isfinite(values)
    total = np.bincount(groups[known], weights=values[known], minlength=n_groups)
    n_known = np.bincount(groups[known], minlength=n_groups)
    n_any = np.bincount(groups[keep], minlength=n_groups)
    return np.where((n_known == 0) & (n_any > 0), np.nan, total)[:n_groups]


def score_villages(share_within: np.ndarray, centre_within: np.ndarray) -> np.ndarray:
    """Population-weighted share of norms met per village (0..1, higher = better).

    Parameters
    ----------
    share_within
        ``(n_villages, n_norms)`` share of each village's residents within each norm;
        NaN for a village without residents.
    centre_within
        ``(n_villages, n_norms)`` bool: the village centre meets the norm (used where
        ``share_within`` is NaN).

    Returns
    -------
    numpy.ndarray
        ``(n_villages,)`` mean over norms (NaN when there are no norms).
    """
    share = np.asarray(share_within, dtype=float)
    centre = np.asarray(centre_within, dtype=float)
    if share.ndim != 2 or share.shape[1] == 0:
        return np.full(share.shape[0] if share.ndim else 0, np.nan)
    filled = np.where(np.isnan(share), centre, share)
    return filled.mean(axis=1)


def rank_villages(
    score: np.ndarray, n_failed: np.ndarray, residents: np.ndarray, names: np.ndarray
) -> np.ndarray:
    """Rank 1 = worst access: lowest score, then most failed norms, most residents, name."""
    order = np.lexsort(
        (
            np.asarray(names, dtype=str),
            -np.nan_to_num(np.asarray(residents, float)),
            -np.asarray(n_failed, float),
            np.nan_to_num(np.asarray(score, float), nan=np.inf),
        )
    )
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return rank


def hub_gains(
    reach: sp.csr_array, hubs: Iterable[int], already: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Weight newly reached by each hub in order, relative to ``already`` and earlier hubs.

    Parameters
    ----------
    reach
        Bool ``(n_candidates, n_demand)``: candidate reaches demand within the norm.
    hubs
        Candidate positions in rank order.
    already
        ``(n_demand,)`` bool, already within the norm before any new hub.
    weights
        ``(n_demand,)`` or ``(n_demand, n_weights)`` weights (NaN counts 0).

    Returns
    -------
    numpy.ndarray
        ``(n_hubs,)`` or ``(n_hubs, n_weights)`` marginal gains, summing to the total gain.
    """
    w = np.nan_to_num(np.asarray(weights, dtype=float))
    covered = np.asarray(already, dtype=bool).copy()
    out = []
    for j in hubs:
        cols = reach.indices[reach.indptr[j] : reach.indptr[j + 1]]
        new = cols[~covered[cols]]
        out.append(w[new].sum(axis=0))
        covered[new] = True
    if not out:
        return np.zeros((0,) + w.shape[1:])
    return np.asarray(out, dtype=float)
