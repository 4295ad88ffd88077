"""The modifier subspace (M6): PCA of the top tokens' deflections off the manifold.

Deflections Δh_w = F(h_ref, x_w) − h_ref of tokens from reference states ``h_refs [r, S]``
along the attractor, with the manifold direction removed; their uncentred PCA gives the
modifier subspace ``basis [S, d]``; any token's mean deflection can be projected on its
components. ``F`` is a cell function ``F(h [S], x [n_in]) -> [S]`` with its parameters bound;
the kernels are compiled once per ``F`` (:func:`rnnctx_utils._jit.jitted`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from rnnctx_utils._jit import jitted
from rnnctx_utils._types import ArrayLike, StepFn


def _deflections_kernel(F: StepFn, h_refs: jax.Array, token_inputs: jax.Array) -> jax.Array:
    def one(x: jax.Array) -> jax.Array:
        return jax.vmap(lambda h: F(h, x) - h)(h_refs)

    return jax.vmap(one)(token_inputs)


def deflections(
    F: StepFn,
    h_refs: ArrayLike,
    token_inputs: ArrayLike,
    manifold_direction: ArrayLike | None = None,
) -> np.ndarray:
    """Deflections Δh_w = F(h_ref, x_w) − h_ref, optionally with the manifold part removed.

    Args:
        F: cell function.
        h_refs: [r, S].
        token_inputs: [k, n_in].
        manifold_direction: [S] or [S, j] directions to remove (e.g. the line attractor).
    Returns:
        [k, r, S] (numpy, float64).
    """
    d = np.asarray(
        jitted(_deflections_kernel, F)(jnp.asarray(h_refs), jnp.asarray(token_inputs)),
        dtype=np.float64,
    )
    if manifold_direction is not None:
        m = np.asarray(manifold_direction, dtype=np.float64)
        q, _ = np.linalg.qr(m[:, None] if m.ndim == 1 else m)
        d = d - (d @ q) @ q.T
    return d


class ModifierSubspace(NamedTuple):
    """The modifier subspace (M6 [ours]).

    basis: [S, d] orthonormal, the first d components.
    components: [S, c] all principal components (c = min(k·r, S)), for scatter plots.
    explained_variance_ratio: [c] fraction of the deflections' sum of squares per component.
    dim: d, the smallest number of components reaching the requested fraction (capped).
    deflections: [k, r, S] the deflections with the manifold direction removed.
    projections: [k, c] each token's mean deflection (over references) on every component.
    """

    basis: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    dim: int
    deflections: np.ndarray
    projections: np.ndarray


def modifier_subspace(
    F: StepFn,
    h_refs: ArrayLike,
    token_inputs_top: ArrayLike,
    manifold_direction: ArrayLike,
    *,
    variance: float = 0.9,
    max_dim: int | None = None,
) -> ModifierSubspace:
    """PCA of the top tokens' deflections off the manifold (M6 [ours]).

    The deflections of all (token, reference) pairs, with the manifold direction removed, are
    decomposed *without centring* (SVD of the raw deflections): the subspace must contain the
    deflections themselves, not their variation around a mean deflection, since it is what the
    necessity test removes. Component signs: the first token's (the top scorer's) projection is
    non-negative.

    Args:
        F: cell function.
        h_refs: [r, S] reference states along the attractor.
        token_inputs_top: [k, n_in] embeddings of the top-scoring tokens, best first.
        manifold_direction: [S] (or [S, j]) direction(s) of the attractor to remove.
        variance: fraction of the sum of squares the subspace must explain.
        max_dim: cap on the dimension.
    Returns:
        ModifierSubspace.
    """
    d = deflections(F, h_refs, token_inputs_top, manifold_direction)
    n_tokens, n_refs, n_state = d.shape
    _, sing, vt = np.linalg.svd(d.reshape(n_tokens * n_refs, n_state), full_matrices=False)
    power = sing**2
    ratio = power / power.sum() if power.sum() > 0 else np.zeros_like(power)
    dim = int(np.searchsorted(np.cumsum(ratio), variance - 1e-12) + 1)
    dim = min(dim, ratio.size, max_dim if max_dim is not None else ratio.size)
    components = vt.T.copy()
    projections = d.mean(axis=1) @ components
    signs = np.where(projections[0] < 0, -1.0, 1.0)
    components *= signs
    projections *= signs
    return ModifierSubspace(components[:, :dim], components, ratio, dim, d, projections)


def _mean_deflection_kernel(
    F: StepFn, chunk_size: int, h_refs: jax.Array, token_inputs: jax.Array
) -> jax.Array:
    def one(x: jax.Array) -> jax.Array:
        return jax.vmap(lambda h: F(h, x) - h)(h_refs).mean(axis=0)

    n_tokens, n_in = token_inputs.shape
    n_chunks = -(-n_tokens // chunk_size)
    padded = (
        jnp.zeros((n_chunks * chunk_size, n_in), token_inputs.dtype).at[:n_tokens].set(token_inputs)
    )
    out = lax.map(jax.vmap(one), padded.reshape(n_chunks, chunk_size, n_in))
    return out.reshape(n_chunks * chunk_size, -1)[:n_tokens]


def token_projections(
    F: StepFn,
    h_refs: ArrayLike,
    token_inputs: ArrayLike,
    components: ArrayLike,
    *,
    chunk_size: int = 1024,
) -> np.ndarray:
    """Mean deflection of any tokens (e.g. the whole vocabulary) on given components.

    Args:
        F: cell function.
        h_refs: [r, S].
        token_inputs: [V, n_in].
        components: [S, c] (e.g. ``ModifierSubspace.components[:, :2]``).
    Returns:
        [V, c] mean over references of (F(h_ref, x_w) − h_ref) · component.
    """
    token_inputs = jnp.asarray(token_inputs)
    mean = jitted(_mean_deflection_kernel, F, min(chunk_size, token_inputs.shape[0]))(
        jnp.asarray(h_refs), token_inputs)
    return np.asarray(mean, dtype=np.float64) @ np.asarray(components, dtype=np.float64)
