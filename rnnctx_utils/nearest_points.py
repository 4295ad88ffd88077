"""Nearest points: the one home of the package's nearest-point helpers.

Between point clouds, blocked, vectorized NumPy (float64): :func:`nearest_fixed_points` finds
the nearest of a set of points (e.g. the fixed points or the slow-point cloud of the attractor)
to each state, as linearizing around the nearest fixed point needs (P1 M3, P2 M5);
:func:`kth_neighbour_distances` the distance from each point to its k-th nearest other point
(the outlier test of :mod:`rnnctx_utils.fixed_points`). Distances are computed a block of rows
at a time, never all n² at once, as ‖a‖² + ‖b‖² − 2a·b.

Inside the jitted analysis kernels, JAX (the state's dtype), one state at a time:
:func:`nearest_index` (the row of the nearest cloud point, from the summed squared
differences), :func:`_nearest_point` (that point, or the nearest point of the segment between
the two nearest cloud points) and its batched, jitted form :func:`nearest_attractor_point`,
the *nearest attractor point* h*(h) of the modifier analyses (M5–M8). The two families
compute distances differently (the expansion above, or differences), so their results can
differ in the last bits: each analysis keeps the one it has always used.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

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


def nearest_index(h: jax.Array, points: jax.Array) -> jax.Array:
    """Row of ``points`` [m, S] nearest to one state ``h`` [S] (argmin of the summed squared
    differences; JAX, for use inside jitted kernels)."""
    return jnp.argmin(jnp.sum((points - h) ** 2, axis=-1))


def _nearest_point(h: jax.Array, attractor_points: jax.Array, interpolate: bool) -> jax.Array:
    """Nearest point of the cloud to one state h [S]: the closest cloud point, or with
    ``interpolate`` the closest point of the segment between the two closest cloud points
    (which removes the jitter of a sparse cloud)."""
    if not interpolate or attractor_points.shape[0] < 2:
        return attractor_points[nearest_index(h, attractor_points)]
    d2 = jnp.sum((attractor_points - h) ** 2, axis=-1)
    _, (i1, i2) = lax.top_k(-d2, 2)
    a, b = attractor_points[i1], attractor_points[i2]
    u = b - a
    uu = jnp.sum(u * u)
    t = jnp.where(uu > 0, jnp.clip(jnp.dot(h - a, u) / jnp.where(uu > 0, uu, 1.0), 0.0, 1.0), 0.0)
    return a + t * u


@partial(jax.jit, static_argnames=("interpolate",))
def nearest_attractor_point(
    states: jax.Array, attractor_points: jax.Array, *, interpolate: bool = False
) -> jax.Array:
    """Nearest attractor point h*(h) of each state.

    Args:
        states: [..., S].
        attractor_points: [m, S] the slow-point cloud.
        interpolate: project onto the segment between the two closest cloud points.
    Returns:
        [..., S].
    """
    flat = states.reshape(-1, states.shape[-1])
    nearest = jax.vmap(lambda h: _nearest_point(h, attractor_points, interpolate))(flat)
    return nearest.reshape(states.shape)
