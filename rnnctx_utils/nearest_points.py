"""Nearest points between point clouds: blocked, vectorized NumPy distances.

:func:`nearest_fixed_points` finds the nearest of a set of points (e.g. the fixed points or
the slow-point cloud of the attractor) to each state, as linearizing around the nearest fixed
point needs (P1 M3, P2 M5); :func:`kth_neighbour_distances` the distance from each point to
its k-th nearest other point (the outlier test of :mod:`rnnctx_utils.fixed_points`). Distances
are computed a block of rows at a time, never all n² at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnctx_utils._types import ArrayLike


class NearestPoints(NamedTuple):
    """indices: [n] row of the nearest point; distances: [n] Euclidean distance to it."""

    indices: np.ndarray
    distances: np.ndarray


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[len(a), len(b)] squared Euclidean distances (float64, clipped at 0)."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def nearest_fixed_points(
    points: ArrayLike, states: ArrayLike, *, block: int = 2048
) -> NearestPoints:
    """The nearest of ``points`` [m, S] to each of ``states`` [n, S] (blocked, vectorized).

    Use it to find the attractor point h*(h) nearest to a state (P1 M3, P2 M5).
    """
    pts = np.asarray(getattr(points, "points", points), np.float64)
    hs = np.asarray(states, np.float64)
    index = np.empty(hs.shape[0], np.int64)
    distance = np.empty(hs.shape[0], np.float64)
    for start in range(0, hs.shape[0], block):
        d2 = _squared_distances(hs[start : start + block], pts)
        index[start : start + block] = d2.argmin(1)
        distance[start : start + block] = np.sqrt(d2.min(1))
    return NearestPoints(index, distance)


def kth_neighbour_distances(points: ArrayLike, k: int = 1, *, block: int = 2048) -> np.ndarray:
    """[n] distance from each of ``points`` [n, S] to its k-th nearest *other* point."""
    pts = np.asarray(points, np.float64)
    n = pts.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"need 1 <= k < n_points = {n}; got k = {k}")
    out = np.empty(n, np.float64)
    for start in range(0, n, block):
        d2 = _squared_distances(pts[start : start + block], pts)
        rows = np.arange(d2.shape[0])
        d2[rows, start + rows] = np.inf  # not itself
        out[start : start + block] = np.sqrt(np.partition(d2, k - 1, axis=1)[:, k - 1])
    return out
