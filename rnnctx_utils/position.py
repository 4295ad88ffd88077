"""Beginning and end of a document, separated (M7 [ours]).

A valence word's effect on the final readout depends on two counts: the tokens read *before*
it (m) and the tokens read *after* it (k). In one document of fixed length T the two are tied
(m + k = T − 1), so "how much does the first word weigh" and "how much does the last word weigh"
are the same curve read from its two ends, and neither can be told apart from the network's
leak or drift between the word and the readout. Documents of every length untie them: the word
after m fillers and before k fillers is one cell of an [m, k] table, read off one batch of
rollouts (the states after every prefix of a causal network are those of the shorter
documents).

- Beginning weight b(k) = effect(0, k) / effect(M, k): the word read first against the same
  word read after M fillers, both followed by the same k fillers. 1 means the first position is
  not special.
- Recency r(k) = effect(M, k) / effect(M, 0): how a word's effect changes as k fillers follow
  it. A left-to-right network without an end marker cannot know where a document ends, so this
  is the only way it can weigh the end differently: a last-word weight 1 / r(k) > 1 is forgetting
  (or reweighting) of what came k tokens before the end.

The planted label rule's counterparts come from the same definitions applied to its position
weight p(t, T) (:func:`planted_split`), so the network and the rule are compared on one scale.

Which M and k are measured, and where the headline weights are read, is a
:class:`~rnnctx_utils.analysis_settings.PositionSettings` passed as ``settings`` (default: the
book's) and recorded in the result (``split.settings``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from rnnctx_utils._types import ArrayLike, StepFn
from rnnctx_utils.analysis_settings import PositionSettings
from rnnctx_utils.rollouts import rollout_batch


class PositionSplit(NamedTuple):
    """Beginning weight and recency of a valence word, each at several positions.

    effect: [N, N] readout change when the valence word replaces the filler after m fillers,
        read after k more fillers (effect[m, k]; nan where m + k + 1 > N);
    before: [B] the M of each row of ``begin`` and ``recency``; after: [K + 1] k = 0…K;
    begin: [B, K + 1] b(k) = effect[0, k] / effect[M, k];
    recency: [B, K + 1] r(k) = effect[M, k] / effect[M, 0];
    first_weight: b at (settings.reference_before, settings.reference_after);
    last_weight: 1 / r at (settings.reference_before, settings.reference_after);
    settings: the :class:`~rnnctx_utils.analysis_settings.PositionSettings` it was measured
        with.
    """

    effect: np.ndarray
    before: np.ndarray
    after: np.ndarray
    begin: np.ndarray
    recency: np.ndarray
    first_weight: float
    last_weight: float
    settings: PositionSettings = PositionSettings()


def _split(effect: np.ndarray, settings: PositionSettings) -> PositionSplit:
    ks = np.arange(settings.after + 1)
    ms = np.asarray(settings.before)
    m_ref, k_ref = settings.reference_before, settings.reference_after
    begin = effect[0, ks][None, :] / effect[ms[:, None], ks[None, :]]
    recency = effect[ms[:, None], ks[None, :]] / effect[ms, 0][:, None]
    return PositionSplit(
        effect=effect, before=ms, after=ks, begin=begin, recency=recency,
        first_weight=float(effect[0, k_ref] / effect[m_ref, k_ref]),
        last_weight=float(effect[m_ref, 0] / effect[m_ref, k_ref]), settings=settings)


def _settings(settings: PositionSettings | None) -> PositionSettings:
    """``settings``, or the book's default; a clear error for anything else."""
    if settings is None:
        return PositionSettings()
    if not isinstance(settings, PositionSettings):
        raise TypeError(f"settings must be a PositionSettings, got {type(settings).__name__}")
    return settings


def position_split(
    F: StepFn,
    h0: ArrayLike,
    readout_w: ArrayLike,
    x_valence: ArrayLike,
    x_filler: ArrayLike,
    *,
    settings: PositionSettings | None = None,
) -> PositionSplit:
    """Beginning weight and recency of the network (one batch of N + 1 rollouts of N tokens).

    Args:
        F: cell function; h0: [S] initial state; readout_w: [S];
        x_valence, x_filler: [n_in] inputs of the probe word and the filler;
        settings: :class:`~rnnctx_utils.analysis_settings.PositionSettings` (default: the
            book's): the M values (fillers before the word) compared with the first
            position, the largest k (fillers after the word) and the (M, k) of the headline
            weights.
    Returns:
        :class:`PositionSplit` (``settings`` recorded in it).
    """
    settings = _settings(settings)
    n = settings.n_tokens
    filler = np.asarray(x_filler, np.float32)
    xs = np.broadcast_to(filler, (n + 1, n, filler.shape[0])).copy()
    t = np.arange(n)
    xs[t, t] = np.asarray(x_valence, np.float32)  # row t: the word at t; the last row: control
    states = rollout_batch(F, jnp.asarray(h0, jnp.float32), jnp.asarray(xs), jnp.full(n + 1, n))
    readout = np.asarray(states @ jnp.asarray(readout_w, jnp.float32), np.float64)  # [n+1, n]
    by_end = readout[:-1] - readout[-1]  # [t, T − 1]: word at t, read after token T − 1
    effect = np.full((n, n), np.nan)
    for m in range(n):
        effect[m, : n - m] = by_end[m, m:]
    return _split(effect, settings)


def planted_split(weight: Any, *, settings: PositionSettings | None = None) -> PositionSplit:
    """The same quantities for a planted position weight p(t, T) (the label rule has no
    dynamics, so a word's effect is its weight: effect(m, k) = p(m, m + k + 1)).

    Args:
        weight: callable ``weight(t, length)`` (:class:`rnnctx_utils.synthetic.PositionWeights`).
        settings: as for :func:`position_split` (pass the network's ``split.settings`` to
            compare the two on one scale).
    """
    settings = _settings(settings)
    n = settings.n_tokens
    m, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    effect = np.where(m + k < n, np.asarray(weight(m, m + k + 1), np.float64), np.nan)
    return _split(effect, settings)


def reading(split: PositionSplit, planted: PositionSplit | None = None) -> str:
    """What the beginning weight and the recency of ``split`` show, in sentences generated from
    the numbers (so the page's prose cannot disagree with its output)."""
    row = int(np.flatnonzero(split.before == split.settings.reference_before)[0])
    begin, recency, last_k = split.begin[row], split.recency[row], int(split.after[-1])
    first = split.first_weight
    if first > 1.05:
        everywhere = bool(np.all(split.begin > 1.0))
        sentences = [f"The first position is favoured{' at every M and k measured' * everywhere}"
                     f" (b from {np.nanmin(split.begin):.2f} to {np.nanmax(split.begin):.2f})"]
    elif first < 0.95:
        sentences = [f"The first position weighs less than a later one (b = {first:.2f})"]
    else:
        sentences = [f"The first position is not special (b = {first:.2f}, within 5% of 1)"]
    if begin[-1] > begin[0] + 0.1:
        sentences[-1] += (f", and the advantage builds up over the tokens that follow the word "
                          f"(b = {begin[0]:.2f} with none, {begin[-1]:.2f} with {last_k})")
    elif begin[0] > begin[-1] + 0.1:
        sentences[-1] += (f", and the advantage fades as tokens follow the word "
                          f"(b = {begin[0]:.2f} with none, {begin[-1]:.2f} with {last_k})")
    k_min = int(np.nanargmin(recency))
    if recency[k_min] >= 0.95:
        sentences.append(f"A word's effect does not fade as fillers follow it (r ≥ 0.95 up to "
                         f"k = {last_k}), so the end is not weighted more")
    else:
        tail = (f" and comes back to {recency[-1]:.2f} by k = {last_k}"
                if recency[-1] > recency[k_min] + 0.05 else "")
        sentences.append(f"A word's effect falls to {recency[k_min]:.2f} of its value as the "
                         f"last word after {k_min} fillers{tail}, so the last words weigh more")
    if planted is not None:
        same = [name for name, net, rule in (("beginning", first, planted.first_weight),
                                              ("end", split.last_weight, planted.last_weight))
                if (net - 1.0) * (rule - 1.0) > 0]
        agree = (" and ".join(same) + (" weights have" if len(same) > 1 else " weight has")
                 + " the planted direction") if same else "neither weight has the planted direction"
        sentences.append(f"The planted rule's weights are {planted.first_weight:.2f} and "
                         f"{planted.last_weight:.2f}: the network's {agree}")
    return ". ".join(sentences) + "."
