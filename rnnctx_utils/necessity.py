"""Chapter 6's necessity test (M8) [ours]: run the trained network while removing, after every
token, the component of the state's deviation from the line attractor that lies in the modifier
subspace (:func:`rnnctx_utils.context.rollout_projected_batch`), and compare with the same
surgery on random subspaces of the same dimension, orthogonal to the attractor (the control).

Everything here is a function of a step function ``F(h [S], x [E]) -> [S]`` and arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils import context
from rnnctx_utils._types import StepFn
from rnnctx_utils.analysis_settings import ModifierSettings


def final_logits(
    F: StepFn,
    h0: np.ndarray,
    readout_w: np.ndarray,
    readout_b: float,
    embedding: np.ndarray,
    tokens: np.ndarray,
    lengths: np.ndarray,
    attractor_points: np.ndarray | None = None,
    basis: np.ndarray | None = None,
    *,
    batch_size: int = 500,
) -> np.ndarray:
    """Readout of each document's final state, intact (basis None) or ablated.

    Args:
        F: cell function; h0: [S]; readout_w: [S]; readout_b: scalar.
        embedding: [V, E]; tokens: [n, L] int ids; lengths: [n].
        attractor_points: [m, S] the slow points (needed with a basis).
        basis: [S, d] the subspace kept empty (see ``context.rollout_projected_batch``).
        batch_size: documents per batch (bounds memory).
    Returns:
        logits: [n].
    """
    width = int(np.max(lengths))
    out = []
    for start in range(0, len(lengths), batch_size):
        tok = np.asarray(tokens[start : start + batch_size, :width])
        n = jnp.asarray(lengths[start : start + batch_size])
        xs = jnp.asarray(embedding)[jnp.asarray(tok)]
        if basis is None:
            states = context.rollout_batch(F, jnp.asarray(h0), xs, n)
        else:
            states = context.rollout_projected_batch(
                F, jnp.asarray(h0), xs, n, jnp.asarray(attractor_points), jnp.asarray(basis))
        out.append(np.asarray(states[:, -1] @ jnp.asarray(readout_w)) + readout_b)
    return np.concatenate(out)


def probe_logits(
    F: StepFn,
    h0: np.ndarray,
    readout_w: np.ndarray,
    readout_b: float,
    probe_inputs: np.ndarray,
    attractor_points: np.ndarray | None = None,
    basis: np.ndarray | None = None,
) -> np.ndarray:
    """Readout after every token of equally long probe sentences, intact or ablated.

    Args:
        probe_inputs: [P, T, E] embeddings of P probe sentences of T tokens.
    Returns:
        [P, T] logits (entry t: after token t).
    """
    xs = jnp.asarray(probe_inputs)
    n = jnp.full(xs.shape[0], xs.shape[1])
    if basis is None:
        states = context.rollout_batch(F, jnp.asarray(h0), xs, n)
    else:
        states = context.rollout_projected_batch(
            F, jnp.asarray(h0), xs, n, jnp.asarray(attractor_points), jnp.asarray(basis))
    return np.asarray(states @ jnp.asarray(readout_w), np.float64) + readout_b


def projected_step(F: StepFn, attractor_points: np.ndarray, basis: np.ndarray) -> StepFn:
    """The ablated cell F'(h, x) = P(F(h, x)), with P the projection of M8.

    P removes the span(basis) component of the deviation from the nearest attractor point, so
    that every analysis of :mod:`rnnctx_utils.context` (e.g. ``gain_curve``) can be rerun on
    the ablated network. Jitted; pass the same object again to reuse its compilation.
    """
    points = jnp.asarray(attractor_points)
    q = jnp.linalg.qr(jnp.asarray(basis))[0]

    @jax.jit
    def step(h: jax.Array, x: jax.Array) -> jax.Array:
        h_next = F(h, x)
        nearest = context.nearest_attractor_point(h_next, points)
        return h_next - q @ (q.T @ (h_next - nearest))

    return step


def next_token_gain(
    F: StepFn,
    starts: np.ndarray,
    readout_w: np.ndarray,
    x_modifier: np.ndarray,
    x_valence: np.ndarray,
    x_filler: np.ndarray,
    *,
    settings: ModifierSettings | None = None,
) -> float:
    """g(0): the modifier's gain on the valence word right after it (M7b), from several starts.

    The effects with and without the modifier are averaged over the starts [r, S] before the
    ratio (as in :mod:`rnnctx_utils.modifiers`), so one start near a saturated end of the line
    does not dominate. ``settings``: the modifier analysis's
    (:class:`~rnnctx_utils.analysis_settings.ModifierSettings`, e.g. ``found.settings``), whose
    ``n_after`` fillers follow the valence word, as in chapter 4's groups.
    """
    n_after = (ModifierSettings() if settings is None else settings).n_after
    curves = [context.gain_curve(F, h, readout_w, x_modifier, x_valence, x_filler, max_k=0,
                                 n_after=n_after) for h in starts]
    modified = np.mean([c.effect_modified[0] for c in curves])
    plain = np.mean([c.effect_plain[0] for c in curves])
    return float(modified / plain)


def documents_with(tokens: np.ndarray, lengths: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """[n] bool: the document contains at least one of the token ids (valid positions only)."""
    tokens = np.asarray(tokens)
    valid = np.arange(tokens.shape[1])[None, :] < np.asarray(lengths)[:, None]
    return np.asarray((np.isin(tokens, np.asarray(list(ids))) & valid).any(axis=1))


class Spread(NamedTuple):
    """mean, std and the individual values [k] over random draws."""

    mean: float
    std: float
    values: np.ndarray


def spread(values: Sequence[float]) -> Spread:
    """Mean and standard deviation (ddof = 1 when there are two or more values)."""
    v = np.asarray(values, np.float64)
    return Spread(float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0, v)
