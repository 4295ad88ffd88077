"""Eigenmodes along the line attractor and what they align with (chapter 3, P1 M4): the modes of
J_rec at points of the line, |cos| against a random null, the words grouped by valence and how
far each pushes the state along the integrating mode.

>>> modes = attractor_modes.attractor_modes(network, attractor)
>>> attractor_modes.alignment(modes.right_top, network.readout_w).fraction_above_null
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnctx_utils.attractor_search import LineAttractor, reference_points
from rnnctx_utils.network import as_network


@dataclass(frozen=True)
class AttractorModes:
    """Eigenmodes of J_rec at points along the line attractor.

    points: [n, S] expansion points (slow points sorted by readout); readout: [n];
    eigenvalues: [n, k] complex sorted by |λ|; time_constants: [n, k] tokens;
    right_top: [n, S] real part of r_1, sign chosen so that r_1·w > 0;
    left_top: [n, S] real part of l_1 (l_1·r_1 = 1 with the same sign convention);
    input_jacobians: [n, S, E] J_inp at (h*, 0).
    """

    points: np.ndarray
    readout: np.ndarray
    eigenvalues: np.ndarray
    time_constants: np.ndarray
    right_top: np.ndarray
    left_top: np.ndarray
    input_jacobians: np.ndarray


def attractor_modes(model: Any, attractor: LineAttractor, n_points: int | None = 50,
                    top_k: int | None = None) -> AttractorModes:
    """Jacobians and eigenmodes at ``n_points`` slow points evenly spaced in readout (all
    slow points when None); ``top_k`` slowest modes kept (all when None)."""
    from rnnctx_utils import linearize  # noqa: PLC0415

    points = (attractor.points if n_points is None
              else reference_points(attractor, n_points))
    net = as_network(model)
    F, n_in = net.step, net.n_inputs
    jac = linearize.recurrent_jacobians(F, points, None, n_inputs=n_in, float64=True)
    modes = linearize.eigenmodes(jac, top_k=top_k)
    right = np.real(modes.right[:, :, 0])
    left = np.real(modes.left[:, 0, :])
    w = np.asarray(net.readout_w, np.float64)
    sign = np.where(right @ w < 0, -1.0, 1.0)[:, None]
    order = np.argsort(net.readout(points))
    return AttractorModes(
        points=points[order],
        readout=net.readout(points)[order],
        eigenvalues=modes.eigenvalues[order],
        time_constants=modes.time_constants[order],
        right_top=(right * sign)[order],
        left_top=(left * sign)[order],
        input_jacobians=linearize.input_jacobians(F, points, None, n_inputs=n_in,
                                                  float64=True)[order],
    )


@dataclass(frozen=True)
class Alignment:
    """|cos| between vectors and a target, with a random-vector null.

    cosines: [n] |cos(vectors_i, target)|; null: [n_null] |cos| of random unit vectors
    with the target; null_99: its 99th percentile.
    """

    cosines: np.ndarray
    null: np.ndarray
    null_99: float

    @property
    def fraction_above_null(self) -> float:
        """Fraction of the vectors whose |cos| exceeds the null's 99th percentile."""
        return float(np.mean(self.cosines > self.null_99))


def alignment(vectors: np.ndarray, target: np.ndarray, *, n_null: int = 10_000,
              seed: int = 0) -> Alignment:
    """|cos| of each of ``vectors`` [n, S] (or [S]) with ``target`` [S], and the null
    distribution of |cos| for random Gaussian directions in S dimensions."""
    v = np.atleast_2d(np.asarray(vectors, np.float64))
    t = np.asarray(target, np.float64)
    t = t / np.linalg.norm(t)
    cosines = np.abs(v @ t) / np.linalg.norm(v, axis=1)
    random = np.random.default_rng(seed).standard_normal((n_null, t.size))
    null = np.abs(random @ t) / np.linalg.norm(random, axis=1)
    return Alignment(cosines, null, float(np.percentile(null, 99)))


@dataclass(frozen=True)
class WordClasses:
    """Words grouped by the bag-of-words weight (P1 M4): ``positive``, ``negative`` (the n
    largest / most negative weights), ``neutral`` (the n smallest |weight|), each a tuple of
    words, and ``weights`` the matching dict word -> BoW weight."""

    positive: tuple[str, ...]
    negative: tuple[str, ...]
    neutral: tuple[str, ...]
    weights: dict[str, float]


def class_size(weights: np.ndarray, *, k: float = 3.0, floor: int = 10, cap: int = 100) -> int:
    """How many words each valence class gets, sized to the corpus: the words whose weight lies
    more than ``k`` scaled median absolute deviations above (below) the median carry the
    valence; the smaller of the two counts, within [``floor``, ``cap``].

    P1 takes 100 per class; on a small lexicon (the synthetic corpus has about 20 valence
    words per sign) most of a top 100 would be neutral words.

    Args:
        weights: [V] bag-of-words weights.
    """
    w = np.asarray(weights, np.float64)
    median = float(np.median(w))
    mad = 1.4826 * float(np.median(np.abs(w - median)))
    n = min(int(np.sum(w > median + k * mad)), int(np.sum(w < median - k * mad)))
    return int(np.clip(n, floor, cap))


def word_classes(model: Any, n: int | None = None, *, min_id: int = 2) -> WordClasses:
    """The ``n`` most positive, most negative and most neutral words of the BoW baseline
    (``<pad>``/``<unk>`` excluded); ``n`` by default from :func:`class_size`."""
    net = as_network(model)
    if net.token_valence is None:
        raise ValueError("word_classes needs the network's token_valence (a linear baseline's "
                         "weight per token)")
    weights = np.asarray(net.token_valence, np.float64)
    ids = np.arange(min_id, weights.size)
    if n is None:
        n = class_size(weights[ids])
    order = ids[np.argsort(weights[ids])]
    neutral = ids[np.argsort(np.abs(weights[ids]))][:n]
    tokens = net.vocab.tokens

    def words(index: np.ndarray) -> tuple[str, ...]:
        return tuple(tokens[i] for i in index)

    positive, negative = order[::-1][:n], order[:n]
    chosen = np.concatenate([positive, negative, neutral])
    return WordClasses(words(positive), words(negative), words(neutral),
                       {tokens[i]: float(weights[i]) for i in chosen})


def input_projections(model: Any, left: np.ndarray, input_jacobian: np.ndarray,
                      words: tuple[str, ...] | list[str]) -> np.ndarray:
    """l_1ᵀ J_inp x_w for each word: how far one token pushes the state along the integrating
    mode. left: [S]; input_jacobian: [S, E]; returns [len(words)]."""
    x = np.asarray(as_network(model).inputs(list(words)), np.float64)
    return x @ (np.asarray(input_jacobian, np.float64).T @ np.asarray(left, np.float64))

