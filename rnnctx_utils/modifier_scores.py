"""Modifier scores (M5): how much each token changes the reading of what follows, and the cut.

Two per-token scores, both functions of a cell function ``F(h [S], x [n_in]) -> [S]`` with its
parameters bound and plain arrays: :func:`modifier_scores` (the change of the input Jacobian
between the state a token leaves and its nearest attractor point) and
:func:`in_context_scores` (the change of the readout effect of the words that really follow
the token); :func:`select_modifiers` cuts the ranked scores into modifiers and the rest, using
the scores only. Batching is done with ``vmap`` / ``lax.map``, never with a Python loop over
the vocabulary; the kernels are compiled once per ``F`` (:func:`rnnctx_utils._jit.jitted`).

Objects in play (``S`` state size, ``n_in`` input size, ``V`` tokens, ``r`` reference states,
``m`` attractor points): ``h_refs [r, S]`` reference states spread along the attractor,
``token_inputs [V, n_in]`` the embeddings of the tokens to analyse, ``attractor_points
[m, S]`` the slow-point cloud (nearest attractor point: see
:mod:`rnnctx_utils.attractor_geometry`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from rnnctx_utils._jit import jitted
from rnnctx_utils._types import ArrayLike, StepFn
from rnnctx_utils.nearest_points import _nearest_point, nearest_index
from rnnctx_utils.rollouts import _identity, _scan_states

# Pairs (token, reference) per chunk of the modifier-score kernel: a GRU with S = 128 and
# n_in = 64 needs about 100 kB of forward-mode intermediates per pair, so 1024 pairs stay well
# under a few hundred MB.
_PAIRS_PER_CHUNK = 1024


class ModifierScores(NamedTuple):
    """Per-token contextual-effect scores (M5 [ours]).

    frobenius: [V] mean over references of ‖J_inp(h_w, x0) − J_inp(h*(h_w), x0)‖_F.
    readout: [V] mean over references of ‖wᵀ(J_inp(h_w, x0) − J_inp(h*(h_w), x0))‖, or None
        when no readout was given.
    """

    frobenius: np.ndarray
    readout: np.ndarray | None


def _modifier_scores_kernel(
    F: StepFn,
    chunk_size: int,
    interpolate: bool,
    h_refs: jax.Array,
    token_inputs: jax.Array,
    attractor_points: jax.Array,
    readout_w: jax.Array,
    x_zero: jax.Array,
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
            return point_jacs[nearest_index(h_w, attractor_points)]

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
    fro, ro = jitted(_modifier_scores_kernel, F, size, interpolate)(
        h_refs, token_inputs, jnp.asarray(attractor_points), w, x0)
    return ModifierScores(np.asarray(fro), None if readout_w is None else np.asarray(ro))


def _in_chunks(arrays: tuple[jax.Array, ...], chunk_size: int) -> tuple[jax.Array, ...]:
    """Each [n, ...] array padded with copies of its first row to a multiple of
    ``chunk_size`` and reshaped to [n_chunks, chunk_size, ...] (for ``lax.map`` over chunks of
    a ``vmap``: bounded memory); the padded rows' results are cut off by the caller."""
    n = arrays[0].shape[0]
    n_chunks = -(-n // chunk_size)
    pad = n_chunks * chunk_size - n
    return tuple(
        jnp.concatenate([a, jnp.broadcast_to(a[:1], (pad,) + a.shape[1:])]).reshape(
            (n_chunks, chunk_size) + a.shape[1:])
        for a in arrays)


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


def _in_context_kernel(
    F: StepFn,
    n_after: int,
    chunk_size: int,
    interpolate: bool,
    random_kicks: bool,
    h_before: jax.Array,
    occurrence_inputs: jax.Array,
    next_inputs: jax.Array,
    attractor_points: jax.Array,
    readout_w: jax.Array,
    x_filler: jax.Array,
    directions: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    n_next = next_inputs.shape[1]
    tail = jnp.broadcast_to(x_filler, (n_after, x_filler.shape[0]))
    fillers = jnp.broadcast_to(x_filler, (n_next + n_after, x_filler.shape[0]))

    def readout_after(h: jax.Array, xs: jax.Array) -> jax.Array:
        return jnp.dot(readout_w, _scan_states(F, h, xs, xs.shape[0], _identity)[-1])

    def effect(h: jax.Array, xs: jax.Array) -> jax.Array:
        # the readout change the following words cause, against fillers in their place
        return readout_after(h, jnp.concatenate([xs, tail])) - readout_after(h, fillers)

    def one(h: jax.Array, x_w: jax.Array, xs: jax.Array, u: jax.Array
            ) -> tuple[jax.Array, jax.Array]:
        h_ref = _nearest_point(h, attractor_points, interpolate)
        h_w = F(h_ref, x_w)
        if random_kicks:  # the null: the same kick size in a random direction u (unit norm)
            h_w = h_ref + jnp.linalg.norm(h_w - h_ref) * u
        return effect(h_w, xs), effect(_nearest_point(h_w, attractor_points, interpolate), xs)

    n = h_before.shape[0]
    eff, ref = lax.map(
        lambda c: jax.vmap(one)(*c),
        _in_chunks((h_before, occurrence_inputs, next_inputs, directions), chunk_size),
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
    eff, ref = jitted(_in_context_kernel, F, n_after, max(1, min(chunk_size, h.shape[0])),
                      interpolate, False)(
        h,
        inputs[jnp.asarray(ids)],
        jnp.asarray(next_inputs),
        jnp.asarray(attractor_points),
        jnp.asarray(readout_w),
        jnp.asarray(x_filler),
        jnp.zeros((h.shape[0], 0), h.dtype),  # no random directions: the token's own kicks
    )
    effect, reference = np.asarray(eff, np.float64), np.asarray(ref, np.float64)
    n_tokens = inputs.shape[0]
    count = np.bincount(ids, minlength=n_tokens)
    total = np.bincount(ids, np.abs(effect - reference), minlength=n_tokens)
    score = total / np.maximum(count, 1)
    return InContextScores(score, count, effect, reference)


def _kicks(F: StepFn, chunk_size: int, interpolate: bool, h_before: jax.Array,
           occurrence_inputs: jax.Array, attractor_points: jax.Array) -> jax.Array:
    """[n, S] each occurrence's kick F(h_ref, x_w) − h_ref from the nearest attractor point."""

    def one(h: jax.Array, x_w: jax.Array) -> jax.Array:
        h_ref = _nearest_point(h, attractor_points, interpolate)
        return F(h_ref, x_w) - h_ref

    out = lax.map(lambda c: jax.vmap(one)(*c),
                  _in_chunks((h_before, occurrence_inputs), chunk_size))
    return out.reshape((-1, h_before.shape[1]))[:h_before.shape[0]]


def random_kick_differences(
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
    directions: str = "random",
    seed: int = 0,
    chunk_size: int = 2048,
    interpolate: bool = False,
) -> np.ndarray:
    """The in-context score's null [ours]: each occurrence's kick replaced by another one.

    Exactly :func:`in_context_scores`' per-occurrence difference |e(h_w) − e(h*(h_w))|, with
    h_w = h_ref + ‖F(h_ref, x_w) − h_ref‖ · u: a kick of the token's own size, in the same
    context, read by the same following words, in another direction u (unit norm, one per
    occurrence, drawn from ``seed``):

    - ``"random"``: uniform on the sphere (no particular direction);
    - ``"shuffled"``: the direction of the kick of another occurrence, drawn at random
      (the directions the network's inputs actually use, in the proportions of the text).

    Same other arguments as :func:`in_context_scores`.

    Returns:
        [n] the null differences, one per occurrence.
    """
    ids = np.asarray(token_ids, dtype=np.int64)
    inputs = jnp.asarray(token_inputs)
    h = jnp.asarray(h_before)
    rng = np.random.default_rng(seed)
    if directions == "random":
        u = rng.standard_normal(h.shape).astype(np.float32)
    elif directions == "shuffled":
        kicks = np.asarray(jitted(_kicks, F, max(1, min(chunk_size, h.shape[0])), interpolate)(
            h, inputs[jnp.asarray(ids)], jnp.asarray(attractor_points)))
        u = kicks[rng.permutation(len(kicks))]
    else:
        raise ValueError(f"unknown directions {directions!r}; use 'random' or 'shuffled'")
    u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-30)
    eff, ref = jitted(_in_context_kernel, F, n_after, max(1, min(chunk_size, h.shape[0])),
                      interpolate, True)(
        h, inputs[jnp.asarray(ids)], jnp.asarray(next_inputs), jnp.asarray(attractor_points),
        jnp.asarray(readout_w), jnp.asarray(x_filler), jnp.asarray(u))
    return np.abs(np.asarray(eff, np.float64) - np.asarray(ref, np.float64))


class NullTest(NamedTuple):
    """Each token's in-context score against the random-kick null (M5 [ours]).

    excess: [V] mean over the token's occurrences of (difference − null difference);
    z: [V] excess / its standard error over the occurrences (0 where fewer than
    ``min_occurrences``); is_modifier: [V] bool, z above ``z_threshold``;
    z_threshold: the one-sided Bonferroni cut for ``alpha`` over the tested tokens;
    n_tested: how many tokens were tested.
    """

    excess: np.ndarray
    z: np.ndarray
    is_modifier: np.ndarray
    z_threshold: float
    n_tested: int


def null_test(
    differences: ArrayLike,
    null_differences: ArrayLike,
    token_ids: ArrayLike,
    n_tokens: int,
    *,
    min_occurrences: int = 20,
    alpha: float = 0.05,
) -> NullTest:
    """Tokens whose kicks change the reading of what follows more than random kicks of the
    same size do, in the same contexts (M5 [ours]): a paired test over each token's
    occurrences, z = mean(d − d_null) / SE, one-sided, Bonferroni-corrected over the tokens
    seen at least ``min_occurrences`` times (a normal approximation: each tested token has
    at least that many occurrences).

    Args:
        differences: [n] |e(h_w) − e(h*(h_w))| per occurrence (``InContextScores``'s
            effect − effect_reference, in absolute value).
        null_differences: [n] the same with random kicks (:func:`random_kick_differences`).
        token_ids: [n] the token of each occurrence; n_tokens: V.
    Returns:
        :class:`NullTest`.
    """
    from scipy.stats import norm  # noqa: PLC0415

    ids = np.asarray(token_ids, np.int64)
    paired = np.asarray(differences, np.float64) - np.asarray(null_differences, np.float64)
    count = np.bincount(ids, minlength=n_tokens).astype(np.float64)
    total = np.bincount(ids, paired, minlength=n_tokens)
    squares = np.bincount(ids, paired**2, minlength=n_tokens)
    tested = count >= max(min_occurrences, 2)
    n = np.maximum(count, 2)
    mean = total / np.maximum(count, 1)
    variance = np.maximum(squares - count * mean**2, 0.0) / (n - 1)
    se = np.sqrt(variance / n)
    z = np.where(tested & (se > 0), mean / np.where(se > 0, se, 1.0), 0.0)
    n_tested = int(tested.sum())
    threshold = float(norm.isf(alpha / max(n_tested, 1)))
    return NullTest(np.where(tested, mean, 0.0), z, tested & (z > threshold), threshold,
                    n_tested)


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
