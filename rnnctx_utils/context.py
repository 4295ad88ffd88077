"""Contextual processing (P2): modifier tokens, their subspace, strength, timing and ablation.

Every function takes a cell function ``F(h [S], x [n_in]) -> [S]`` with its parameters bound
(for this book's models ``models.bound_step(params, cell_name)``), plus plain arrays, so it
applies to any recurrent network. Batching is done with ``vmap`` / ``lax.map``, never with a
Python loop over the vocabulary. ``F`` is a static argument of the jitted kernels: pass the same
function object again and nothing is recompiled.

Objects in play (``S`` state size, ``n_in`` input size, ``V`` tokens, ``r`` reference states,
``m`` attractor points, ``d`` modifier-subspace dimension):

- ``attractor_points [m, S]``: the slow-point cloud approximating the line attractor (M2);
- ``h_refs [r, S]``: reference states spread along the attractor (M5);
- ``token_inputs [V, n_in]``: the embeddings of the tokens to analyse;
- ``basis [S, d]``: an orthonormal basis of the modifier subspace (M6).

*Nearest attractor point* (our choice, used throughout): the point of the cloud closest in
Euclidean distance; with ``interpolate=True`` the closest point of the segment between the two
closest cloud points, which removes the jitter of a sparse cloud.

Sections: rollouts and ablated rollouts (M8), modifier scores and the cut (M5), the modifier
subspace (M6), distance curves, time constants, gain curves and position gains (M7), the
recovered fraction of the augmented bag-of-words (M9).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

StepFn = Callable[[jax.Array, jax.Array], jax.Array]
ArrayLike = jax.Array | np.ndarray

# Pairs (token, reference) per chunk of the modifier-score kernel: a GRU with S = 128 and
# n_in = 64 needs about 100 kB of forward-mode intermediates per pair, so 1024 pairs stay well
# under a few hundred MB.
_PAIRS_PER_CHUNK = 1024


# ---------------------------------------------------------------------------------------------
# Attractor geometry


def _nearest_point(h: jax.Array, attractor_points: jax.Array, interpolate: bool) -> jax.Array:
    """Nearest point of the cloud to one state h [S] (see the module docstring)."""
    d2 = jnp.sum((attractor_points - h) ** 2, axis=-1)
    if not interpolate or attractor_points.shape[0] < 2:
        return attractor_points[jnp.argmin(d2)]
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


# ---------------------------------------------------------------------------------------------
# Rollouts (and the ablated rollout of M8)


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


@partial(jax.jit, static_argnums=0)
def rollout(F: StepFn, h0: jax.Array, xs: jax.Array) -> jax.Array:
    """Run the cell over one sequence.

    Args:
        F: cell function F(h [S], x [n_in]) -> [S].
        h0: [S] initial state.
        xs: [T, n_in] inputs (embeddings).
    Returns:
        states: [T, S], states[t] is the state after token t.
    """
    return _scan_states(F, h0, xs, xs.shape[0], _identity)


@partial(jax.jit, static_argnums=0)
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
    h0s = jnp.broadcast_to(h0, (xs.shape[0], h0.shape[-1]))
    return jax.vmap(lambda h, x, n: _scan_states(F, h, x, n, _identity))(h0s, xs, lengths)


def _project_out(h: jax.Array, points: jax.Array, q: jax.Array, interpolate: bool) -> jax.Array:
    """Remove the span(q) component of h's deviation from its nearest attractor point."""
    deviation = h - _nearest_point(h, points, interpolate)
    return h - q @ (q.T @ deviation)


@partial(jax.jit, static_argnums=0, static_argnames=("interpolate", "project_initial_state"))
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
    q = _orthonormal(basis)

    def post(h: jax.Array) -> jax.Array:
        return _project_out(h, attractor_points, q, interpolate)

    h0s = jnp.broadcast_to(h0, (xs.shape[0], h0.shape[-1]))
    if project_initial_state:
        h0s = jax.vmap(post)(h0s)
    return jax.vmap(lambda h, x, n: _scan_states(F, h, x, n, post))(h0s, xs, lengths)


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


# ---------------------------------------------------------------------------------------------
# M5: modifier scores


class ModifierScores(NamedTuple):
    """Per-token contextual-effect scores (M5 [ours]).

    frobenius: [V] mean over references of ‖J_inp(h_w, x0) − J_inp(h*(h_w), x0)‖_F.
    readout: [V] mean over references of ‖wᵀ(J_inp(h_w, x0) − J_inp(h*(h_w), x0))‖, or None
        when no readout was given.
    """

    frobenius: np.ndarray
    readout: np.ndarray | None


@partial(jax.jit, static_argnums=0, static_argnames=("chunk_size", "interpolate"))
def _modifier_scores_kernel(
    F: StepFn,
    h_refs: jax.Array,
    token_inputs: jax.Array,
    attractor_points: jax.Array,
    readout_w: jax.Array,
    x_zero: jax.Array,
    *,
    chunk_size: int,
    interpolate: bool,
) -> tuple[jax.Array, jax.Array]:
    jac_inp = jax.jacfwd(F, argnums=1)  # (h, x) -> [S, n_in]; n_in <= S, so forward mode

    if interpolate:
        # h*(h_w) is anywhere on the segments: no precomputation possible
        def jac_at_nearest(h_w: jax.Array) -> jax.Array:
            return jac_inp(_nearest_point(h_w, attractor_points, True), x_zero)

    else:
        # h*(h_w) is one of the m cloud points: compute their Jacobians once
        point_jacs = jax.vmap(lambda h: jac_inp(h, x_zero))(attractor_points)

        def jac_at_nearest(h_w: jax.Array) -> jax.Array:
            d2 = jnp.sum((attractor_points - h_w) ** 2, axis=-1)
            return point_jacs[jnp.argmin(d2)]

    def pair(h_ref: jax.Array, x_w: jax.Array) -> tuple[jax.Array, jax.Array]:
        h_w = F(h_ref, x_w)
        delta = jac_inp(h_w, x_zero) - jac_at_nearest(h_w)
        return jnp.linalg.norm(delta), jnp.linalg.norm(readout_w @ delta)

    def token(x_w: jax.Array) -> tuple[jax.Array, jax.Array]:
        fro, ro = jax.vmap(pair, in_axes=(0, None))(h_refs, x_w)
        return fro.mean(), ro.mean()

    n_tokens, n_in = token_inputs.shape
    n_chunks = -(-n_tokens // chunk_size)
    padded = (
        jnp.zeros((n_chunks * chunk_size, n_in), token_inputs.dtype).at[:n_tokens].set(token_inputs)
    )
    fro, ro = lax.map(jax.vmap(token), padded.reshape(n_chunks, chunk_size, n_in))
    return fro.reshape(-1)[:n_tokens], ro.reshape(-1)[:n_tokens]


def modifier_scores(
    F: StepFn,
    h_refs: ArrayLike,
    token_inputs: ArrayLike,
    attractor_points: ArrayLike,
    readout_w: ArrayLike | None = None,
    x_zero: ArrayLike | None = None,
    *,
    chunk_size: int | None = None,
    interpolate: bool = False,
) -> ModifierScores:
    """Score every token by how much it changes the input Jacobian (M5 [ours]).

    For each reference state h_ref and token w: h_w = F(h_ref, x_w), h*(h_w) its nearest
    attractor point, and ΔJ = J_inp(h_w, x0) − J_inp(h*(h_w), x0) with J_inp = ∂F/∂x [S, n_in].
    A valence word moves the state *along* the attractor, where J_inp barely changes; a
    modifier moves it *off*, so the comparison with the nearest attractor point (rather than
    with h_ref) isolates the modifiers.

    Args:
        F: cell function.
        h_refs: [r, S] reference states spread along the attractor.
        token_inputs: [V, n_in] token embeddings (the whole vocabulary is fine).
        attractor_points: [m, S] slow-point cloud.
        readout_w: [S] readout weights for the readout-projected score, optional.
        x_zero: [n_in] the linearization input, default 0 (P1's x* = 0).
        chunk_size: tokens per chunk (memory bound); default about 1024 / r.
        interpolate: nearest point on the segment between two cloud points.
    Returns:
        ModifierScores(frobenius [V], readout [V] or None), numpy arrays.
    """
    h_refs = jnp.asarray(h_refs)
    token_inputs = jnp.asarray(token_inputs)
    n_in = token_inputs.shape[1]
    size = chunk_size or max(1, _PAIRS_PER_CHUNK // h_refs.shape[0])
    size = min(size, token_inputs.shape[0])
    w = jnp.zeros(h_refs.shape[1], h_refs.dtype) if readout_w is None else jnp.asarray(readout_w)
    x0 = jnp.zeros(n_in, token_inputs.dtype) if x_zero is None else jnp.asarray(x_zero)
    fro, ro = _modifier_scores_kernel(
        F,
        h_refs,
        token_inputs,
        jnp.asarray(attractor_points),
        w,
        x0,
        chunk_size=size,
        interpolate=interpolate,
    )
    return ModifierScores(np.asarray(fro), None if readout_w is None else np.asarray(ro))


class InContextScores(NamedTuple):
    """Per-token in-context modifier scores (M5 [ours], the chapters' main ranking).

    score: [V] mean over the token's occurrences of |e(h_w) − e(h*(h_w))|, 0 for unseen tokens.
    counts: [V] occurrences of each token.
    effect: [n] e(h_w), the readout effect of the words that followed each occurrence.
    effect_reference: [n] e(h*(h_w)), the same words read from the nearest attractor point.
    """

    score: np.ndarray
    counts: np.ndarray
    effect: np.ndarray
    effect_reference: np.ndarray


@partial(jax.jit, static_argnums=0, static_argnames=("n_after", "chunk_size", "interpolate"))
def _in_context_kernel(
    F: StepFn,
    h_before: jax.Array,
    occurrence_inputs: jax.Array,
    next_inputs: jax.Array,
    attractor_points: jax.Array,
    readout_w: jax.Array,
    x_filler: jax.Array,
    *,
    n_after: int,
    chunk_size: int,
    interpolate: bool,
) -> tuple[jax.Array, jax.Array]:
    n_next = next_inputs.shape[1]
    tail = jnp.broadcast_to(x_filler, (n_after, x_filler.shape[0]))
    fillers = jnp.broadcast_to(x_filler, (n_next + n_after, x_filler.shape[0]))

    def readout_after(h: jax.Array, xs: jax.Array) -> jax.Array:
        return jnp.dot(readout_w, _scan_states(F, h, xs, xs.shape[0], _identity)[-1])

    def effect(h: jax.Array, xs: jax.Array) -> jax.Array:
        # the readout change the following words cause, against fillers in their place
        return readout_after(h, jnp.concatenate([xs, tail])) - readout_after(h, fillers)

    def one(h: jax.Array, x_w: jax.Array, xs: jax.Array) -> tuple[jax.Array, jax.Array]:
        h_w = F(_nearest_point(h, attractor_points, interpolate), x_w)
        return effect(h_w, xs), effect(_nearest_point(h_w, attractor_points, interpolate), xs)

    n = h_before.shape[0]
    n_chunks = -(-n // chunk_size)
    pad = n_chunks * chunk_size - n

    def padded(a: jax.Array) -> jax.Array:
        a = jnp.concatenate([a, jnp.broadcast_to(a[:1], (pad,) + a.shape[1:])])
        return a.reshape((n_chunks, chunk_size) + a.shape[1:])

    eff, ref = lax.map(
        lambda c: jax.vmap(one)(*c),
        (padded(h_before), padded(occurrence_inputs), padded(next_inputs)),
    )
    return eff.reshape(-1)[:n], ref.reshape(-1)[:n]


def in_context_scores(
    F: StepFn,
    h_before: ArrayLike,
    token_ids: ArrayLike,
    next_inputs: ArrayLike,
    token_inputs: ArrayLike,
    attractor_points: ArrayLike,
    readout_w: ArrayLike,
    x_filler: ArrayLike,
    *,
    n_after: int = 5,
    chunk_size: int = 2048,
    interpolate: bool = False,
) -> InContextScores:
    """Score every token by how it changes the reading of the words that follow it (M5 [ours]).

    For each occurrence of a token w in real text: h_ref = h*(h_before), the attractor point
    nearest to the state before w (so that what earlier modifiers left behind is discarded),
    h_w = F(h_ref, x_w), and e(h) = wᵀh_end − wᵀh̄_end, the readout change caused by the K
    words that actually followed w (``next_inputs``) against fillers in their place, each run
    continued with ``n_after`` fillers. The score of w is the mean over its occurrences of
    |e(h_w) − e(h*(h_w))|: how differently the network reads what follows because w kicked the
    state off the attractor. A valence word moves the state *along* the line, so h*(h_w) ≈ h_w
    and the score is small; a modifier moves it off the line, where the following valence
    words are read with a flipped sign or a larger gain. Unlike :func:`modifier_scores` (the
    input Jacobian at x0 = 0, i.e. any hypothetical next word), only the words that really
    follow w count, so a token's effect on words that never follow it in the data is ignored.

    Args:
        F: cell function.
        h_before: [n, S] the state before each occurrence (e.g. from ``rollout_batch``).
        token_ids: [n] int, the token (row of ``token_inputs``) of each occurrence.
        next_inputs: [n, K, n_in] embeddings of the K words after each occurrence (fillers
            past the end of a document).
        token_inputs: [V, n_in] token embeddings.
        attractor_points: [m, S] slow-point cloud.
        readout_w: [S].
        x_filler: [n_in] a neutral word's embedding.
        n_after: fillers after the K words before the readout.
        chunk_size: occurrences per chunk (memory bound).
        interpolate: nearest point on the segment between two cloud points.
    Returns:
        InContextScores(score [V], counts [V], effect [n], effect_reference [n]).
    """
    ids = np.asarray(token_ids, dtype=np.int64)
    inputs = jnp.asarray(token_inputs)
    h = jnp.asarray(h_before)
    eff, ref = _in_context_kernel(
        F,
        h,
        inputs[jnp.asarray(ids)],
        jnp.asarray(next_inputs),
        jnp.asarray(attractor_points),
        jnp.asarray(readout_w),
        jnp.asarray(x_filler),
        n_after=n_after,
        chunk_size=max(1, min(chunk_size, h.shape[0])),
        interpolate=interpolate,
    )
    effect, reference = np.asarray(eff, np.float64), np.asarray(ref, np.float64)
    n_tokens = inputs.shape[0]
    count = np.bincount(ids, minlength=n_tokens)
    total = np.bincount(ids, np.abs(effect - reference), minlength=n_tokens)
    score = total / np.maximum(count, 1)
    return InContextScores(score, count, effect, reference)


class ModifierSelection(NamedTuple):
    """Tokens called modifiers by a rule on the scores alone (never on the ground truth).

    is_modifier: [V] bool; threshold: the score cut (tokens with score >= threshold are
    modifiers); order: [V] token indices by decreasing score; log_scores: [V] natural log of
    the floored scores; rule: a description of the rule and its parameters.
    """

    is_modifier: np.ndarray
    threshold: float
    order: np.ndarray
    log_scores: np.ndarray
    rule: str


def select_modifiers(
    scores: ArrayLike,
    *,
    rule: str = "mad",
    k: float = 4.0,
    top_n: int = 50,
    scored: ArrayLike | None = None,
) -> ModifierSelection:
    """Cut the ranked scores into modifiers and the rest, using the scores only (M5 [ours]).

    Scores are compared on a log axis (the histogram of P2 spans four decades). Only *scored*
    tokens (``scored``; by default those with a score above 0) enter the statistics and can be
    modifiers: a token seen too rarely to be scored has no score, not a tiny one (its floored
    log-score, 1e-12 × the largest score, would otherwise stretch the spread of the bulk).

    - ``rule="mad"`` (default): robust z-score of the log-scores over the whole vocabulary,
      z = (log s − median) / (1.4826 · MAD); modifiers have z > k. The bulk of the vocabulary
      (neutral and valence words) sets the scale, so one very strong modifier does not hide the
      others.
    - ``rule="gap"``: the largest gap between consecutive log-scores among the top_n tokens;
      tokens above the gap are modifiers. Parameter-free, but one outstanding modifier can make
      the first gap the largest.

    Args:
        scores: [V] non-negative scores (e.g. ``ModifierScores.frobenius``).
        scored: [V] bool, the tokens that have a score (default: score > 0).
    Returns:
        ModifierSelection.
    """
    s = np.asarray(scores, dtype=np.float64)
    has_score = s > 0 if scored is None else np.asarray(scored, bool) & np.isfinite(s)
    if not has_score.any():
        raise ValueError("no token has a score; score more text (or lower the occurrence floor)")
    floor = 1e-12 * max(float(s.max()), np.finfo(np.float64).tiny)
    log_s = np.log(np.maximum(s, floor))
    order = np.argsort(-np.where(has_score, s, -np.inf), kind="stable")
    if rule == "mad":
        bulk = log_s[has_score]
        median = float(np.median(bulk))
        mad = 1.4826 * float(np.median(np.abs(bulk - median)))
        mad = mad if mad > 0 else float(np.std(bulk)) or 1.0
        cut_log = median + k * mad
        is_mod = has_score & (log_s > cut_log)
        threshold = float(s[is_mod].min()) if is_mod.any() else float(np.exp(cut_log))
        description = f"robust z of log-score > {k} (median {median:.3g}, scaled MAD {mad:.3g})"
    elif rule == "gap":
        n = min(top_n, int(has_score.sum()))
        top = log_s[order[:n]]
        i = int(np.argmax(top[:-1] - top[1:])) if n > 1 else 0
        threshold = float(s[order[i]])
        is_mod = has_score & (s >= threshold)
        description = f"largest log-score gap among the top {n} (after rank {i + 1})"
    else:
        raise ValueError(f"unknown rule {rule!r}; use 'mad' or 'gap'")
    return ModifierSelection(is_mod, threshold, order, log_s, description)


# ---------------------------------------------------------------------------------------------
# M6: the modifier subspace


@partial(jax.jit, static_argnums=0)
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
        _deflections_kernel(F, jnp.asarray(h_refs), jnp.asarray(token_inputs)), dtype=np.float64
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


@partial(jax.jit, static_argnums=0, static_argnames=("chunk_size",))
def _mean_deflection_kernel(
    F: StepFn, h_refs: jax.Array, token_inputs: jax.Array, *, chunk_size: int
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
    mean = _mean_deflection_kernel(
        F, jnp.asarray(h_refs), token_inputs, chunk_size=min(chunk_size, token_inputs.shape[0])
    )
    return np.asarray(mean, dtype=np.float64) @ np.asarray(components, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# M7: distance curves and time constants


class ExponentialFit(NamedTuple):
    """d(k) ≈ amplitude · exp(−k / tau) + offset (offset 0 for the log-linear fit)."""

    amplitude: float
    tau: float
    offset: float


def fit_exponential(
    d: ArrayLike, k: ArrayLike | None = None, *, offset: bool = False
) -> ExponentialFit:
    """Fit an exponential decay to a curve d [K].

    Without offset: least squares of log d on k over the positive entries (tau = inf when the
    curve does not decay, nan with fewer than two positive entries). With offset: scipy
    ``curve_fit`` of A e^{−k/τ} + c, started from the log-linear fit.

    Args:
        d: [K] values.
        k: [K] abscissae, default 0..K−1 (tokens after the modifier).
    Returns:
        ExponentialFit(amplitude, tau, offset).
    """
    y = np.asarray(d, dtype=np.float64)
    x = np.arange(y.size, dtype=np.float64) if k is None else np.asarray(k, dtype=np.float64)
    positive = y > 0
    if positive.sum() < 2:
        return ExponentialFit(float("nan"), float("nan"), 0.0)
    slope, intercept = np.polyfit(x[positive], np.log(y[positive]), 1)
    amplitude = float(np.exp(intercept))
    tau = float(-1.0 / slope) if slope < 0 else float("inf")
    if not offset:
        return ExponentialFit(amplitude, tau, 0.0)
    from scipy.optimize import curve_fit

    def model(kk: np.ndarray, a: float, t: float, c: float) -> np.ndarray:
        return a * np.exp(-kk / t) + c

    t0 = tau if np.isfinite(tau) else float(x.max() - x.min() + 1.0)
    popt, _ = curve_fit(
        model,
        x,
        y,
        p0=(amplitude, t0, float(y.min())),
        bounds=([-np.inf, 1e-6, -np.inf], [np.inf, np.inf, np.inf]),
        maxfev=10_000,
    )
    return ExponentialFit(float(popt[0]), float(popt[1]), float(popt[2]))


def modifier_distance_curves(
    F: StepFn,
    h_starts: ArrayLike,
    modifier_inputs: ArrayLike,
    x_filler: ArrayLike,
    attractor_points: ArrayLike,
    basis: ArrayLike | None = None,
    *,
    n_steps: int = 10,
    reference: str = "attractor",
    interpolate: bool = False,
    per_start: bool = False,
) -> np.ndarray:
    """Excursion off the attractor k tokens after each modifier (M7a [ours]).

    From each start on the attractor, run [modifier, filler × n_steps]; d(k) is measured on the
    state after the modifier and k fillers (k = 0: right after the modifier), averaged over
    starts:

    - ``reference="attractor"``: ‖Qᵀ(h_k − h*(h_k))‖, the deviation from the nearest attractor
      point within span(basis) (the whole deviation without a basis);
    - ``reference="control"``: ‖Qᵀ(h_k − h̄_k)‖ with h̄ the run where the modifier is replaced by
      the filler: the modifier's own excursion, free of the filler's offset and of the cloud's
      discreteness (needs no attractor points beyond the call signature).

    Args:
        F: cell function.
        h_starts: [r, S] starting states (e.g. attractor points along the manifold).
        modifier_inputs: [M, n_in] modifier embeddings.
        x_filler: [n_in] a neutral token's embedding.
        attractor_points: [m, S].
        basis: [S, d] modifier subspace, optional.
        n_steps: fillers after the modifier.
        per_start: return every start's curve instead of their mean.
    Returns:
        curves: [M, n_steps + 1] ([M, r, n_steps + 1] with ``per_start``).
    """
    starts = jnp.asarray(h_starts)
    mods = jnp.asarray(modifier_inputs)
    filler = jnp.asarray(x_filler)
    n_mod, n_start = mods.shape[0], starts.shape[0]
    fillers = jnp.broadcast_to(filler, (n_steps, filler.shape[0]))
    seqs = jax.vmap(lambda x: jnp.concatenate([x[None], fillers]))(mods)  # [M, K+1, n_in]
    xs = jnp.repeat(seqs, n_start, axis=0)  # [M*r, K+1, n_in], modifier-major
    h0s = jnp.tile(starts, (n_mod, 1))
    lengths = jnp.full(n_mod * n_start, n_steps + 1)
    states = rollout_batch(F, h0s, xs, lengths)  # [M*r, K+1, S]
    if reference == "attractor":
        dist = distance_from_attractor(
            states, attractor_points, basis=basis, interpolate=interpolate
        )
    elif reference == "control":
        control_xs = jnp.broadcast_to(filler, (n_start, n_steps + 1, filler.shape[0]))
        control = rollout_batch(F, starts, control_xs, jnp.full(n_start, n_steps + 1))
        diff = states - jnp.tile(control, (n_mod, 1, 1))
        if basis is not None:
            diff = diff @ _orthonormal(jnp.asarray(basis))
        dist = jnp.linalg.norm(diff, axis=-1)
    else:
        raise ValueError(f"unknown reference {reference!r}; use 'attractor' or 'control'")
    curves = np.asarray(dist, dtype=np.float64).reshape(n_mod, n_start, n_steps + 1)
    return curves if per_start else curves.mean(axis=1)


def bootstrap_tau(curves: ArrayLike, *, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """τ of the mean curve over starting points resampled with replacement (M7a's interval).

    The same resampled starts serve every modifier (paired), so the spread of a *difference*
    of two modifiers' τ can be read from the replicates too.

    Args:
        curves: [M, r, K] each modifier's d(k) from each of r starting points (k < K fitted).
    Returns:
        [M, n_boot] τ of :func:`fit_exponential` on each replicate's mean curve.
    """
    c = np.asarray(curves, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, c.shape[1], size=(n_boot, c.shape[1]))
    means = c[:, picks, :].mean(axis=2)  # [M, n_boot, K]
    return np.array([[fit_exponential(curve).tau for curve in per_mod] for per_mod in means])


class ModifierTimescales(NamedTuple):
    """curves: [M, K+1] excursion d(k); amplitude, tau, offset: [M] exponential fits."""

    curves: np.ndarray
    amplitude: np.ndarray
    tau: np.ndarray
    offset: np.ndarray


def modifier_time_constants(
    F: StepFn,
    h_starts: ArrayLike,
    modifier_inputs: ArrayLike,
    x_filler: ArrayLike,
    attractor_points: ArrayLike,
    basis: ArrayLike | None = None,
    *,
    n_steps: int = 10,
    reference: str = "attractor",
    interpolate: bool = False,
    offset: bool = False,
) -> ModifierTimescales:
    """Time constant τ (tokens) of each modifier's excursion: :func:`modifier_distance_curves`
    followed by :func:`fit_exponential` per modifier (M7a [ours])."""
    curves = modifier_distance_curves(
        F,
        h_starts,
        modifier_inputs,
        x_filler,
        attractor_points,
        basis,
        n_steps=n_steps,
        reference=reference,
        interpolate=interpolate,
    )
    fits = [fit_exponential(c, offset=offset) for c in curves]  # M modifiers: a handful
    return ModifierTimescales(
        curves,
        np.array([f.amplitude for f in fits]),
        np.array([f.tau for f in fits]),
        np.array([f.offset for f in fits]),
    )


# ---------------------------------------------------------------------------------------------
# M7: gains on the final readout, measured with the real network


@partial(jax.jit, static_argnums=0)
def _readout_input_gains(
    F: StepFn, hs: jax.Array, w: jax.Array, x0: jax.Array, xv: jax.Array
) -> jax.Array:
    """wᵀ J_inp(h, x0) x_v for every state hs [n, S], one forward-mode product each: [n]."""

    def one(h: jax.Array) -> jax.Array:
        return jax.jvp(lambda x: jnp.dot(w, F(h, x)), (x0,), (xv,))[1]

    return jax.vmap(one)(hs)


class GainCurve(NamedTuple):
    """Gain of a valence word k tokens after a modifier (M7b [ours]).

    k: [K+1] tokens between the modifier and the valence word (0: "not good").
    gain: [K+1] effect_modified / effect_plain, from the nonlinear network.
    linear_gain: [K+1] wᵀJ_inp(h_k, x0)x_v / wᵀJ_inp(h̄_k, x0)x_v, the linear-theory prediction
        (h_k the state just before the valence word, h̄_k the same without the modifier).
    effect_modified, effect_plain: [K+1] readout change caused by the valence word (relative to
        a filler in its place) with and without the modifier.
    """

    k: np.ndarray
    gain: np.ndarray
    linear_gain: np.ndarray
    effect_modified: np.ndarray
    effect_plain: np.ndarray


def gain_curve(
    F: StepFn,
    h0: ArrayLike,
    readout_w: ArrayLike,
    x_modifier: ArrayLike,
    x_valence: ArrayLike,
    x_filler: ArrayLike,
    *,
    prefix: ArrayLike | None = None,
    max_k: int = 10,
    n_after: int = 0,
    x_zero: ArrayLike | None = None,
) -> GainCurve:
    """g(k): how a modifier scales a valence word k tokens later, on the final readout.

    Documents (all of the same length, so one batched run):
    ``prefix + filler×(max_k−k) + [modifier] + filler×k + [valence] + filler×n_after``; the
    valence word always sits at the same distance (n_after) from the end and the modifier moves,
    so the propagation to the readout is the same for every k. The effect of the valence word is
    the readout change when it replaces a filler; g(k) divides the effect with the modifier by
    the effect when a filler replaces the modifier too.

    The linear prediction replaces the valence word's effect by wᵀJ_inp(h, x0)x_v at the state h
    just before it, assuming what follows (fillers) propagates both runs alike, i.e. the top
    mode integrates and is read out unchanged (P1's line attractor).

    Args:
        F: cell function.
        h0: [S] initial state.
        readout_w: [S].
        x_modifier, x_valence, x_filler: [n_in] embeddings.
        prefix: [P, n_in] tokens before everything (e.g. fillers, to move away from h0).
        max_k: largest gap.
        n_after: fillers after the valence word.
        x_zero: [n_in] linearization input (default 0).
    Returns:
        GainCurve.
    """
    filler = np.asarray(x_filler, dtype=np.float32)
    table = np.stack(
        [filler, np.asarray(x_modifier, np.float32), np.asarray(x_valence, np.float32)]
    )
    ks = np.arange(max_k + 1)
    body_len = max_k + 2 + n_after
    # symbols [variant, k, position]: 0 filler, 1 modifier, 2 valence
    # variants: (modifier, valence), (modifier, filler), (filler, valence), (filler, filler)
    symbols = np.zeros((4, max_k + 1, body_len), dtype=np.int64)
    symbols[0, ks, max_k - ks] = 1
    symbols[1, ks, max_k - ks] = 1
    symbols[0, :, max_k + 1] = 2
    symbols[2, :, max_k + 1] = 2
    xs = table[symbols]  # [4, K+1, body_len, n_in]
    n_prefix = 0
    if prefix is not None:
        pre = np.asarray(prefix, dtype=np.float32)
        n_prefix = pre.shape[0]
        xs = np.concatenate([np.broadcast_to(pre, (4, max_k + 1) + pre.shape), xs], axis=2)
    n_docs, length = 4 * (max_k + 1), xs.shape[2]
    states = rollout_batch(
        F,
        jnp.asarray(h0),
        jnp.asarray(xs.reshape(n_docs, length, -1)),
        jnp.full(n_docs, length),
    ).reshape(4, max_k + 1, length, -1)
    w = jnp.asarray(readout_w)
    final = states[:, :, -1] @ w  # [4, K+1]
    effect_mod = np.asarray(final[0] - final[1], dtype=np.float64)
    effect_plain = np.asarray(final[2] - final[3], dtype=np.float64)
    # state just before the valence word (token index n_prefix + max_k + 1)
    before = states[:, :, n_prefix + max_k]
    x0 = jnp.zeros(filler.shape, jnp.float32) if x_zero is None else jnp.asarray(x_zero)
    xv = jnp.asarray(table[2])
    # with the modifier (variant 0) and without (variant 2), same positions
    pairs = before[jnp.array([0, 2])].reshape(-1, before.shape[-1])
    lin = np.asarray(_readout_input_gains(F, pairs, w, x0, xv), np.float64).reshape(2, -1)
    linear = lin[0] / lin[1]
    return GainCurve(ks, effect_mod / effect_plain, linear, effect_mod, effect_plain)


def classify_modifier(gain: float, *, tolerance: float = 0.1) -> str:
    """Group a modifier by its gain on the next token, g(0) (M7 [ours]).

    "negator" if g < 0, "diminisher" if 0 <= g < 1 − tolerance, "intensifier" if
    g > 1 + tolerance, else "other" (no clear effect on the next word's valence).
    """
    if gain < 0:
        return "negator"
    if gain < 1 - tolerance:
        return "diminisher"
    if gain > 1 + tolerance:
        return "intensifier"
    return "other"


class PositionGains(NamedTuple):
    """Gain of a valence word by its position in a filler document of length T (M7 [ours]).

    position: [T] t from the start; effect: [T] readout change when the valence word replaces
    the filler at t; reference: the position whose effect defines gain 1;
    gain_from_start: [T] effect[t] / effect[reference];
    gain_from_end: [T] effect[T−1−k] / effect[reference] (k tokens before the end).
    """

    position: np.ndarray
    effect: np.ndarray
    reference: int
    gain_from_start: np.ndarray
    gain_from_end: np.ndarray


def position_gains(
    F: StepFn,
    h0: ArrayLike,
    readout_w: ArrayLike,
    x_valence: ArrayLike,
    x_filler: ArrayLike,
    n_tokens: int,
    *,
    reference: int | None = None,
) -> PositionGains:
    """Beginning- and end-of-document gains (M7 [ours]).

    Runs the T documents "filler × T with the valence word at t" and the all-filler control in
    one batch. Gains are relative to the effect at ``reference`` (default the middle, T // 2),
    so choose T long enough for the middle to be free of both ends' effects.

    Args:
        F: cell function; h0: [S]; readout_w: [S]; x_valence, x_filler: [n_in];
        n_tokens: T.
    Returns:
        PositionGains.
    """
    filler = np.asarray(x_filler, np.float32)
    valence = np.asarray(x_valence, np.float32)
    xs = np.broadcast_to(filler, (n_tokens + 1, n_tokens, filler.shape[0])).copy()
    t = np.arange(n_tokens)
    xs[t, t] = valence  # document t has the valence word at position t; the last is the control
    states = rollout_batch(F, jnp.asarray(h0), jnp.asarray(xs), jnp.full(n_tokens + 1, n_tokens))
    final = np.asarray(states[:, -1] @ jnp.asarray(readout_w), dtype=np.float64)
    effect = final[:-1] - final[-1]
    ref = n_tokens // 2 if reference is None else reference
    gain = effect / effect[ref]
    return PositionGains(t, effect, ref, gain, gain[::-1].copy())


# ---------------------------------------------------------------------------------------------
# M9: recovered fraction


def recovered_fraction(acc_aug: float, acc_bow: float, acc_rnn: float) -> float:
    """(acc_aug − acc_BoW) / (acc_RNN − acc_BoW): the share of the RNN's gain over plain
    bag-of-words that the augmented model recovers (M9; P2 reports > 0.9). nan when the RNN
    does not beat bag-of-words."""
    gap = acc_rnn - acc_bow
    return float((acc_aug - acc_bow) / gap) if gap != 0 else float("nan")


class RecoveredFraction(NamedTuple):
    """estimate on the full test set; low, high: bootstrap percentile interval; level."""

    estimate: float
    low: float
    high: float
    level: float


def bootstrap_recovered_fraction(
    correct_aug: ArrayLike,
    correct_bow: ArrayLike,
    correct_rnn: ArrayLike,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> RecoveredFraction:
    """Recovered fraction with a paired bootstrap interval over test documents.

    The same resampled documents are used for all three models (paired), so their shared
    difficulty cancels. Percentile interval; replicates where the RNN does not beat
    bag-of-words are dropped (nan).

    Args:
        correct_aug, correct_bow, correct_rnn: [n] bool, per-document correctness.
    Returns:
        RecoveredFraction(estimate, low, high, level).
    """
    c = np.stack(
        [np.asarray(correct_aug), np.asarray(correct_bow), np.asarray(correct_rnn)]
    ).astype(np.float64)
    n = c.shape[1]
    estimate = recovered_fraction(*c.mean(axis=1))
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    block = max(1, 2_000_000 // max(n, 1))  # bound the [replicates, n] index array
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        acc = c[:, idx].mean(axis=2)  # [3, replicates]
        gap = acc[2] - acc[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            samples[start:stop] = np.where(gap != 0, (acc[0] - acc[1]) / gap, np.nan)
    tail = 100 * (1 - level) / 2
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return RecoveredFraction(estimate, float(low), float(high), level)
