"""What a word does after a context (P2 §4's 16 probes) and mode ablation (supplementary
figure 14), from states of a trained toy GRU.

:func:`probe_effects` (rule, network and linear prediction wᵀ J_inp(h_ctx, 0) x),
:func:`anchor_index` (the fixed point nearest the probe states), :func:`mode_ablation` (cut one
mode or conjugate pair from a modifier's deflection, run the real network, measure the
modifier's gain), from the states of :mod:`rnnctx_utils.toy.forward`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from rnnctx_utils.toy.dynamics import ZERO_INPUT, ToyFixedPoints, ToySpectrum, conjugate_groups
from rnnctx_utils.toy.forward import context_state, deflection, one_step
from rnnctx_utils.toy.language import (
    NOT_WINDOW,
    VALENCE_WORDS,
    VERY_WINDOW,
    contributions,
    encode,
    word_vector,
)
from rnnctx_utils.toy.model import Params, bound_step

PROBE_CONTEXTS = ("", "very", "not", "not the the the")
PROBE_WORDS = VALENCE_WORDS


def anchor_index(params: Params, fixed_points: ToyFixedPoints,
                 contexts: Sequence[str] | None = None) -> int:
    """Index of the fixed point nearest the context states: the states the probe contexts
    (default :data:`PROBE_CONTEXTS`: nothing, "very", "not", "not n n n") lead to from h_0,
    by mean Euclidean distance. Its linearisation is the one the chapter studies [ours]."""
    contexts = PROBE_CONTEXTS if contexts is None else contexts
    h0 = np.asarray(params["h0"])
    states = np.stack([context_state(params, h0, context) for context in contexts])
    distances = np.linalg.norm(fixed_points.points[:, None, :] - states[None], axis=-1)
    return int(np.argmin(distances.mean(axis=1)))


def readout_change(params: Params, h: np.ndarray, word: str) -> float:
    """w·(F(h, x_word) − F(h, 0)): the readout change the word causes at state h [n]."""
    change = one_step(params, h, word_vector(word)) - one_step(params, h, ZERO_INPUT)
    return float(change @ params["readout_w"])


def linear_readout_change(params: Params, h: np.ndarray, word: str) -> float:
    """wᵀ J_inp(h, 0) x_word: the first-order prediction of :func:`readout_change`."""
    from rnnctx_utils import linearize

    jacobian = linearize.input_jacobians(bound_step(params), np.asarray(h)[None],
                                         ZERO_INPUT[None])[0]
    return float(params["readout_w"] @ (jacobian @ word_vector(word)))


class ProbeEffects(NamedTuple):
    """Effect of each valence word after each context, from the same start state.

    contexts: [c]; words: [w]; target: [c, w] the rule's contribution; true_change: [c, w]
    the network's readout change; linear_prediction: [c, w] wᵀ J_inp(h_ctx, 0) x_word.
    """

    contexts: tuple[str, ...]
    words: tuple[str, ...]
    target: np.ndarray
    true_change: np.ndarray
    linear_prediction: np.ndarray


def probe_effects(
    params: Params, h_start: np.ndarray,
    contexts: Sequence[str] = PROBE_CONTEXTS, words: Sequence[str] = PROBE_WORDS,
) -> ProbeEffects:
    """The 16 probes of P2 §4 (valence word after nothing, "very", "not", "not n n n")."""
    shape = (len(contexts), len(words))
    target, true, linear = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, context in enumerate(contexts):
        h_context = context_state(params, h_start, context)
        for j, word in enumerate(words):
            target[i, j] = contributions(encode(f"{context} {word}"))[-1]
            true[i, j] = readout_change(params, h_context, word)
            linear[i, j] = linear_readout_change(params, h_context, word)
    return ProbeEffects(tuple(contexts), tuple(words), target, true, linear)


# Mode ablation (P2 supplementary figure 14)

NOISE_FILLER = "the"


def ablate(vector: np.ndarray, spec: ToySpectrum, modes: Sequence[int]) -> np.ndarray:
    """The vector [n] with its components along modes removed: v − Re Σ_a r_a (l_a · v).

    Conjugate pairs must be removed together to keep the result real.
    """
    modes = list(modes)
    if not modes:
        return np.asarray(vector).copy()
    coefficients = spec.left[modes] @ vector
    return np.asarray(vector - np.real(spec.right[:, modes] @ coefficients))


def modifier_gain(
    params: Params, spec: ToySpectrum, modifier: str, modes: Sequence[int] = (),
    h_start: np.ndarray | None = None, gaps: Sequence[int] | None = None,
    words: Sequence[str] = PROBE_WORDS,
) -> float:
    """Mean gain of the valence words after ``modifier`` with ``modes`` cut from its deflection.

    From ``h_start`` (default the spectrum's fixed point) the modifier moves the state by
    Δh = F(h_start, x_modifier) − h_start; the state used is h_start + Δh with the
    components along ``modes`` of the spectrum removed. ``gap`` filler tokens follow
    (default: every position the rule affects, 0–3 for "not", 0 for "very"), then the
    valence word. Gain = its readout change there / its readout change at h_start: −1 for an
    intact "not", 2 for an intact "very", 1 once the modifier's effect is abolished.
    """
    if gaps is None:
        gaps = range(NOT_WINDOW if modifier == "not" else VERY_WINDOW)
    start = spec.fixed_point if h_start is None else np.asarray(h_start)
    h_modified = start + ablate(deflection(params, start, modifier), spec, modes)
    gains = []
    for gap in gaps:
        h = context_state(params, h_modified, " ".join([NOISE_FILLER] * gap))
        for word in words:
            gains.append(readout_change(params, h, word) / readout_change(params, start, word))
    return float(np.mean(gains))


class Ablation(NamedTuple):
    """Each mode group cut in turn from one modifier's deflection.

    modifier: the word; groups: mode indices per group (conjugate pairs together);
    eigenvalues: [g] complex (one per group, positive imaginary part); gain_intact;
    gains: [g] gain with that group removed; removed: [g] fraction of the modifier's effect
    removed, (gain_intact − gain) / (gain_intact − 1); ranking: group indices, most removed
    first.
    """

    modifier: str
    groups: list[tuple[int, ...]]
    eigenvalues: np.ndarray
    gain_intact: float
    gains: np.ndarray
    removed: np.ndarray
    ranking: np.ndarray


def mode_ablation(params: Params, spec: ToySpectrum, modifier: str,
                  h_start: np.ndarray | None = None) -> Ablation:
    """Cut every eigenmode (pair) of J_rec in turn from ``modifier``'s deflection at
    ``h_start`` (default the spectrum's fixed point); see :func:`modifier_gain`."""
    groups = conjugate_groups(spec.eigenvalues)
    intact = modifier_gain(params, spec, modifier, h_start=h_start)
    gains = np.array([modifier_gain(params, spec, modifier, group, h_start)
                      for group in groups])
    removed = (intact - gains) / (intact - 1.0)
    values = np.array([spec.eigenvalues[g[0]] for g in groups])
    values = np.where(values.imag < 0, np.conj(values), values)
    return Ablation(modifier, groups, values, intact, gains, removed, np.argsort(-removed))
