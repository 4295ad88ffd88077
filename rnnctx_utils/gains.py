"""Gains on the final readout (M7b), measured with the real network.

How a modifier scales a valence word k tokens later (:func:`gain_curve`, with the
linear-theory prediction next to it), the modifier groups by the gain on the next token
(:func:`classify_modifier`), and the gain of a valence word by its position in a filler
document (:func:`position_gains`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils._jit import jitted
from rnnctx_utils._types import ArrayLike, StepFn
from rnnctx_utils.rollouts import rollout_batch


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
    lin = np.asarray(jitted(_readout_input_gains, F)(pairs, w, x0, xv), np.float64).reshape(2, -1)
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
