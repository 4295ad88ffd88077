"""Rollouts of a cell over documents, and the ablated rollout of the necessity test (M8).

Every function takes a cell function ``F(h [S], x [n_in]) -> [S]`` with its parameters bound
(for this book's models ``models.bound_step(params, cell_name)``), plus plain arrays, so it
applies to any recurrent network. Batching is done with ``vmap``, never with a Python loop
over documents. The kernels are compiled once per cell function by the package's one compile
cache (:func:`rnnctx_utils._jit.jitted`, which holds ``F`` weakly): pass the same function
object again and nothing is recompiled.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from rnnctx_utils._jit import jitted
from rnnctx_utils._types import StepFn
from rnnctx_utils.attractor_geometry import _orthonormal
from rnnctx_utils.nearest_points import _nearest_point


def _scan_states(
    F: StepFn,
    h0: jax.Array,
    xs: jax.Array,
    length: jax.Array | int,
    post: Callable[[jax.Array], jax.Array],
) -> jax.Array:
    """States [T, S] after each token; positions t >= length repeat the last valid state."""

    def body(h: jax.Array, inp: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        t, x = inp
        h_next = jnp.where(t < length, post(F(h, x)), h)
        return h_next, h_next

    _, states = lax.scan(body, h0, (jnp.arange(xs.shape[0]), xs))
    return states


def _identity(h: jax.Array) -> jax.Array:
    return h


def _rollout(F: StepFn, h0: jax.Array, xs: jax.Array) -> jax.Array:
    return _scan_states(F, h0, xs, xs.shape[0], _identity)


def rollout(F: StepFn, h0: jax.Array, xs: jax.Array) -> jax.Array:
    """Run the cell over one sequence.

    Args:
        F: cell function F(h [S], x [n_in]) -> [S].
        h0: [S] initial state.
        xs: [T, n_in] inputs (embeddings).
    Returns:
        states: [T, S], states[t] is the state after token t.
    """
    return jitted(_rollout, F)(h0, xs)


def _rollout_batch(F: StepFn, h0: jax.Array, xs: jax.Array, lengths: jax.Array) -> jax.Array:
    h0s = jnp.broadcast_to(h0, (xs.shape[0], h0.shape[-1]))
    return jax.vmap(lambda h, x, n: _scan_states(F, h, x, n, _identity))(h0s, xs, lengths)


def rollout_batch(F: StepFn, h0: jax.Array, xs: jax.Array, lengths: jax.Array) -> jax.Array:
    """Run the cell over a padded batch of documents.

    Args:
        F: cell function.
        h0: [S] shared initial state, or [B, S] one per document.
        xs: [B, L, n_in] inputs, padded.
        lengths: [B] valid lengths.
    Returns:
        states: [B, L, S]; padded positions repeat the last valid state, so states[:, -1] is
        each document's final state (the convention of ``models.classifier_states``).
    """
    return jitted(_rollout_batch, F)(h0, xs, lengths)


def _project_out(h: jax.Array, points: jax.Array, q: jax.Array, interpolate: bool) -> jax.Array:
    """Remove the span(q) component of h's deviation from its nearest attractor point."""
    deviation = h - _nearest_point(h, points, interpolate)
    return h - q @ (q.T @ deviation)


def _rollout_projected_batch(
    F: StepFn,
    interpolate: bool,
    project_initial_state: bool,
    h0: jax.Array,
    xs: jax.Array,
    lengths: jax.Array,
    attractor_points: jax.Array,
    basis: jax.Array,
) -> jax.Array:
    q = _orthonormal(basis)

    def post(h: jax.Array) -> jax.Array:
        return _project_out(h, attractor_points, q, interpolate)

    h0s = jnp.broadcast_to(h0, (xs.shape[0], h0.shape[-1]))
    if project_initial_state:
        h0s = jax.vmap(post)(h0s)
    return jax.vmap(lambda h, x, n: _scan_states(F, h, x, n, post))(h0s, xs, lengths)


def rollout_projected_batch(
    F: StepFn,
    h0: jax.Array,
    xs: jax.Array,
    lengths: jax.Array,
    attractor_points: jax.Array,
    basis: jax.Array,
    *,
    interpolate: bool = False,
    project_initial_state: bool = True,
) -> jax.Array:
    """Batched :func:`rollout_projected`: xs [B, L, n_in], lengths [B] -> states [B, L, S]."""
    return jitted(_rollout_projected_batch, F, interpolate, project_initial_state)(
        h0, xs, lengths, attractor_points, basis)


def rollout_projected(
    F: StepFn,
    h0: jax.Array,
    xs: jax.Array,
    attractor_points: jax.Array,
    basis: jax.Array,
    *,
    interpolate: bool = False,
    project_initial_state: bool = True,
) -> jax.Array:
    """Run the cell while keeping the state out of a subspace (the necessity test, M8).

    After every step h' = F(h, x), the deviation of h' from its nearest attractor point h*(h')
    loses its component in span(basis): h' ← h' − Q Qᵀ (h' − h*(h')). Motion along the
    attractor (integration) is untouched as long as the basis is orthogonal to the manifold.
    With ``project_initial_state`` (default) h0 is projected too, since the trained h0 lies in
    the modifier subspace (P2) and keeping the network out of it means removing that as well.

    Args:
        F: cell function.
        h0: [S].
        xs: [T, n_in].
        attractor_points: [m, S] slow-point cloud.
        basis: [S, d] or [S] the subspace to remove (need not be orthonormal).
    Returns:
        states: [T, S].
    """
    xs = jnp.asarray(xs)
    states = rollout_projected_batch(
        F,
        jnp.asarray(h0),
        xs[None],
        jnp.array([xs.shape[0]]),
        jnp.asarray(attractor_points),
        jnp.asarray(basis),
        interpolate=interpolate,
        project_initial_state=project_initial_state,
    )
    return states[0]
