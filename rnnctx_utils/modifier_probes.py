"""The words that probe a network, and the gains measured with them (chapters 4–6).

The *filler* is a neutral word (it moves the state least), the *valence* probe a positive one;
a modifier's gain g(k) on the valence word k tokens later is measured from several reference
points along the attractor (the effects, not the ratios, are averaged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnctx_utils import context
from rnnctx_utils.analysis_settings import ModifierSettings
from rnnctx_utils.attractor_search import reference_points
from rnnctx_utils.network import as_network


@dataclass(frozen=True)
class ProbeWords:
    """The tokens used to probe the network: ``filler`` (neutral) and ``valence`` (positive)."""

    filler: str
    valence: str


def step_and_inputs(model: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """(F, embedding [V, E] float32, readout_w [S] float32) of a network."""
    net = as_network(model)
    return (net.step, np.asarray(net.embedding, np.float32),
            np.asarray(net.readout_w, np.float32))


def scored_words(model: Any) -> tuple[str, ...]:
    """The tokens scored: the vocabulary without ``<pad>`` and ``<unk>`` (vocab order)."""
    return tuple(as_network(model).vocab.tokens[2:])


def probe_words(model: Any, attractor: Any, *, settings: ModifierSettings | None = None
                ) -> ProbeWords:
    """Pick the filler and valence probe words (see :mod:`rnnctx_utils.modifiers`).

    filler: among the ``settings.n_frequent`` most frequent tokens, the one whose mean
    deflection ‖F(h_ref, x) − h_ref‖ over the ``settings.n_refs`` reference points is smallest
    (it moves the state least; a low M5 score alone would also pick valence words, which move
    the state *along* the line).
    valence: ``"good"`` if in the vocabulary, else the frequent token with the largest
    bag-of-words weight (the network's ``token_valence``), else the one whose deflection moves
    the readout up the most.
    """
    settings = ModifierSettings() if settings is None else settings
    net = as_network(model)
    F, embedding, readout_w = step_and_inputs(net)
    words = scored_words(net)[:settings.n_frequent]
    ids = np.arange(2, 2 + len(words))
    h_refs = reference_points(attractor, settings.n_refs)
    deflections = context.deflections(F, h_refs, embedding[ids])
    moves = np.linalg.norm(deflections, axis=-1).mean(axis=1)
    filler = words[int(np.argmin(moves))]
    if "good" in net.vocab.tokens:
        valence = "good"
    elif net.token_valence is not None:
        weights = np.asarray(net.token_valence, np.float64)[ids]
        valence = words[int(np.argmax(weights))]
    else:
        valence = words[int(np.argmax((np.asarray(deflections) @ readout_w).mean(axis=1)))]
    return ProbeWords(filler=filler, valence=valence)


def mean_gain_curve(F: Any, starts: np.ndarray, readout_w: np.ndarray, x_modifier: np.ndarray,
                    x_valence: np.ndarray, x_filler: np.ndarray, max_k: int,
                    n_after: int) -> context.GainCurve:
    """g(k) from several starting states: the effects are averaged, then divided."""
    curves = [context.gain_curve(F, h, readout_w, x_modifier, x_valence, x_filler,
                                 max_k=max_k, n_after=n_after) for h in starts]
    mod = np.mean([c.effect_modified for c in curves], axis=0)
    plain = np.mean([c.effect_plain for c in curves], axis=0)
    linear = np.mean([c.linear_gain for c in curves], axis=0)
    return context.GainCurve(curves[0].k, mod / plain, linear, mod, plain)


def gain_starts(h_refs: np.ndarray, settings: ModifierSettings | None = None) -> np.ndarray:
    """[n, S] starting states for gains (n = ``settings.n_gain_starts``): reference points
    from the middle half of the line (the ends saturate, where a valence word barely moves the
    readout)."""
    n = (ModifierSettings() if settings is None else settings).n_gain_starts
    r = h_refs.shape[0]
    index = np.unique(np.linspace(r // 4, max(r // 4, (3 * r) // 4 - 1), n).round().astype(int))
    return h_refs[index]
