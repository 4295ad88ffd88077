"""Attractor geometry: the nearest attractor point, distances and coordinates off the attractor.

Objects in play (``S`` state size, ``m`` attractor points, ``d`` modifier-subspace dimension):

- ``attractor_points [m, S]``: the slow-point cloud approximating the line attractor (M2);
- ``basis [S, d]``: an orthonormal basis of the modifier subspace (M6).

*Nearest attractor point* (our choice, used throughout): the point of the cloud closest in
Euclidean distance; with ``interpolate=True`` the closest point of the segment between the two
closest cloud points, which removes the jitter of a sparse cloud
(:func:`rnnctx_utils.nearest_points.nearest_attractor_point`, re-exported here).

Also here: the deviation of a state (e.g. the trained h0) from the attractor within the
modifier subspace (M7), the attractor's principal direction, and the random subspaces of the
necessity test's control (M8).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils._types import ArrayLike

# The nearest attractor point lives with the package's other nearest-point helpers; re-exported
# here (and by rnnctx_utils.context), where the analyses have always found it.
from rnnctx_utils.nearest_points import nearest_attractor_point as nearest_attractor_point


def _orthonormal(basis: jax.Array) -> jax.Array:
    """Orthonormal basis [S, d] of span(basis [S, d] or [S])."""
    b = basis[:, None] if basis.ndim == 1 else basis
    q, _ = jnp.linalg.qr(b)
    return q


def distance_from_attractor(
    states: ArrayLike,
    attractor_points: ArrayLike,
    *,
    basis: ArrayLike | None = None,
    interpolate: bool = False,
) -> jax.Array:
    """Distance of each state from the attractor, optionally only within a subspace.

    d(h) = ‖h − h*(h)‖, or ‖Qᵀ(h − h*(h))‖ with Q an orthonormal basis of span(basis) when a
    basis is given (the component of the deviation in the modifier subspace, M7).

    Args:
        states: [..., S].
        attractor_points: [m, S].
        basis: [S, d] or [S], optional.
    Returns:
        [...] distances.
    """
    states = jnp.asarray(states)
    deviation = states - nearest_attractor_point(
        states, jnp.asarray(attractor_points), interpolate=interpolate
    )
    if basis is not None:
        deviation = deviation @ _orthonormal(jnp.asarray(basis))
    return jnp.linalg.norm(deviation, axis=-1)


def modifier_coordinates(
    states: ArrayLike,
    attractor_points: ArrayLike,
    basis: ArrayLike,
    *,
    interpolate: bool = False,
) -> jax.Array:
    """Coordinates Bᵀ(h − h*(h)) of each state's deviation from the attractor.

    Args:
        states: [..., S].
        attractor_points: [m, S].
        basis: [S, d] with orthonormal columns (as returned by :func:`modifier_subspace`);
            used as given so that the signs of the components are kept.
    Returns:
        [..., d].
    """
    states = jnp.asarray(states)
    deviation = states - nearest_attractor_point(
        states, jnp.asarray(attractor_points), interpolate=interpolate
    )
    return deviation @ jnp.asarray(basis)


class SubspaceProjection(NamedTuple):
    """Projection of one state (e.g. the trained h0) onto the modifier subspace.

    coordinates: [d] Bᵀ(h − h*(h)); deviation_norm: ‖h − h*(h)‖; fraction_in_subspace:
    ‖Bᵀ(h − h*(h))‖ / ‖h − h*(h)‖ (1 when the whole deviation lies in the subspace).
    """

    coordinates: np.ndarray
    deviation_norm: float
    fraction_in_subspace: float


def initial_state_projection(
    h0: ArrayLike,
    attractor_points: ArrayLike,
    basis: ArrayLike,
    *,
    interpolate: bool = False,
) -> SubspaceProjection:
    """Projection of the initial state h0 [S] onto the modifier subspace basis [S, d] (M7)."""
    h0 = jnp.asarray(h0)
    deviation = h0 - nearest_attractor_point(
        h0, jnp.asarray(attractor_points), interpolate=interpolate
    )
    coords = np.asarray(deviation @ jnp.asarray(basis), dtype=np.float64)
    norm = float(jnp.linalg.norm(deviation))
    fraction = float(np.linalg.norm(coords) / norm) if norm > 0 else float("nan")
    return SubspaceProjection(coords, norm, fraction)


def manifold_direction(
    attractor_points: ArrayLike, readout_w: ArrayLike | None = None
) -> np.ndarray:
    """Principal direction [S] (unit norm) of the attractor points.

    The first principal component of the centred cloud. Sign: positive readout wᵀm > 0 when
    readout_w [S] is given, else the largest-magnitude entry is positive.
    """
    points = np.asarray(attractor_points, dtype=np.float64)
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    direction = vt[0]
    if readout_w is not None:
        sign = np.sign(np.dot(direction, np.asarray(readout_w, dtype=np.float64)))
    else:
        sign = np.sign(direction[np.argmax(np.abs(direction))])
    return direction * (sign if sign != 0 else 1.0)


def random_subspace(
    seed: int, state_size: int, dim: int, *, exclude: ArrayLike | None = None
) -> np.ndarray:
    """A random orthonormal basis [S, dim], orthogonal to span(exclude [S, j] or [S]).

    The control of the necessity test (M8): a random subspace of the modifier subspace's
    dimension, orthogonal to the manifold direction so that integration is left intact.
    """
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((state_size, dim))
    if exclude is not None:
        e = np.asarray(exclude, dtype=np.float64)
        q_ex, _ = np.linalg.qr(e[:, None] if e.ndim == 1 else e)
        g = g - q_ex @ (q_ex.T @ g)
    q, _ = np.linalg.qr(g)
    return q
