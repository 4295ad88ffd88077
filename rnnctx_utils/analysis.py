"""The shared first steps of every analysis chapter, computed the same way everywhere.

Chapters 2–6 all start from the same objects: the states the trained network visits on test
documents (P1 M1), the slow points and exact fixed points of the zero-input map (P1 M2), and
a 1-D coordinate along the resulting line attractor. They are computed deterministically from
a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``), so that every
chapter analyses the same attractor:

>>> cloud = analysis.state_cloud(model)
>>> attractor = analysis.line_attractor(model, cloud)
>>> refs = analysis.reference_points(attractor, 20)

This module gathers the analyses of chapters 1–3 under one name; each lives in a module with
one job, re-exported here:

- :mod:`rnnctx_utils.states`: the state cloud (``state_cloud``, ``readout_values``);
- :mod:`rnnctx_utils.attractor_search`: the line attractor (``line_attractor``,
  ``reference_points``), with its settings :class:`AttractorSettings`
  (:mod:`rnnctx_utils.analysis_settings`) and its cache (:mod:`rnnctx_utils.analysis_cache`);
- :mod:`rnnctx_utils.linearized_dynamics`: the linearized system as a classifier (chapter 2);
- :mod:`rnnctx_utils.attractor_modes`: eigenmodes, alignments and word classes (chapter 3);
- here: the readout over probe sentences (chapter 1), PCA of states and the untrained control
  (chapter 3), the analytic cartoons of chapter 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from rnnctx_utils.analysis_settings import AttractorSettings
from rnnctx_utils.attractor_modes import (
    Alignment,
    AttractorModes,
    WordClasses,
    alignment,
    attractor_modes,
    class_size,
    input_projections,
    word_classes,
)
from rnnctx_utils.attractor_search import (
    LineAttractor,
    line_attractor,
    readout_coverage,
    reference_points,
)
from rnnctx_utils.linearized_dynamics import (
    LinearizedAccuracy,
    linearized_accuracy,
    trajectory_transitions,
)
from rnnctx_utils.network import as_network
from rnnctx_utils.states import StateCloud, readout_values, state_cloud

__all__ = [
    "PCA", "Alignment", "AttractorModes", "AttractorSettings", "LineAttractor",
    "LinearizedAccuracy", "ProbeReadout", "StateCloud", "WordClasses", "alignment",
    "attractor_modes", "cartoon_systems", "class_size", "input_projections",
    "line_attractor", "linearized_accuracy", "pca", "probe_readouts", "readout_coverage",
    "readout_values", "readout_zero_line", "reference_points", "state_cloud",
    "states_with_params", "trajectory_transitions", "untrained_params", "word_classes",
]


# ---------------------------------------------------------------------------------------------
# Chapter 1: the readout over time for a few sentences


@dataclass(frozen=True)
class ProbeReadout:
    """The readout after every token of one sentence.

    sentence: the raw text; tokens: [T] its tokens (``text.tokenize``); known: [T] bool, token
    in the model's vocabulary (unknown words are read as ``<unk>``); logits: [T] readout
    w·h_t + b after each token; logit_h0: the readout of the initial state h_0.
    """

    sentence: str
    tokens: tuple[str, ...]
    known: np.ndarray
    logits: np.ndarray
    logit_h0: float


def probe_readouts(model: Any, sentences: list[str]) -> list[ProbeReadout]:
    """Run the trained network on each sentence and keep the readout after every token."""
    from rnnctx_utils import text  # noqa: PLC0415

    net = as_network(model)
    out = []
    for sentence in sentences:
        tokens = text.tokenize(sentence)
        ids = np.asarray([net.vocab.encode(tokens)], np.int32)
        states = np.asarray(net.states(ids, np.asarray([len(tokens)], np.int32)))[0]
        out.append(ProbeReadout(
            sentence=sentence,
            tokens=tuple(tokens),
            known=np.asarray([t in net.vocab for t in tokens]),
            logits=net.readout(states),
            logit_h0=float(net.readout(net.h0[None])[0]),
        ))
    return out


# ---------------------------------------------------------------------------------------------
# Chapter 3: principal components of the state cloud (P1 M1)


@dataclass(frozen=True)
class PCA:
    """Principal components of a cloud of states.

    mean: [S]; components: [k, S] orthonormal rows (PC1 first);
    explained_variance_ratio: [k] fraction of the total variance along each component.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, states: np.ndarray) -> np.ndarray:
        """[n, S] -> [n, k] coordinates on the components."""
        return (np.asarray(states, np.float64) - self.mean) @ self.components.T

    def project_direction(self, vector: np.ndarray) -> np.ndarray:
        """A direction [S] (no centring) -> its [k] components."""
        return self.components @ np.asarray(vector, np.float64)

    def cumulative(self, k: int) -> float:
        """Fraction of the variance in the top ``k`` components."""
        return float(self.explained_variance_ratio[:k].sum())


def readout_zero_line(model: Any, components: PCA, pc1_range: tuple[float, float]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The line readout = 0 within the PC1–PC2 plane through the cloud's mean.

    A point mean + a·pc1 + b·pc2 has readout c + a·w₁ + b·w₂ with c = w·mean + bias and
    w_i = w·pc_i; solving for b over ``pc1_range`` gives the line. Returns (a [2], b [2]).
    """
    net = as_network(model)
    w = np.asarray(net.readout_w, np.float64)
    c = float(w @ components.mean + net.readout_b)
    w1, w2 = components.project_direction(w)[:2]
    a = np.asarray(pc1_range, np.float64)
    return a, -(c + a * w1) / w2


def pca(states: np.ndarray, n_components: int | None = None) -> PCA:
    """PCA of states [n, S] by SVD of the centred cloud (float64)."""
    x = np.asarray(states, np.float64)
    mean = x.mean(0)
    _, singular, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = singular**2
    k = vt.shape[0] if n_components is None else n_components
    return PCA(mean, vt[:k], variance[:k] / variance.sum())


def untrained_params(model: Any, seed: int = 0) -> dict[str, Any]:
    """Freshly initialised parameters of the same architecture (the untrained control)."""
    import jax  # noqa: PLC0415

    from rnnctx_utils import models  # noqa: PLC0415

    cfg = model.config
    return models.init_classifier(jax.random.PRNGKey(cfg.seed + 1000 + seed), cfg.cell,
                                  len(model.vocab), cfg.n_embed, cfg.n_hidden)


def states_with_params(params: dict[str, Any], cell_name: str, cloud: StateCloud,
                       *, batch_size: int = 250) -> np.ndarray:
    """Every valid state [n_states, S] of ``cloud``'s documents under other parameters
    (same order as ``cloud.states``)."""
    from rnnctx_utils import models  # noqa: PLC0415

    parts = []
    for start in range(0, cloud.n_docs, batch_size):
        tok = jnp.asarray(cloud.tokens[start : start + batch_size])
        length = jnp.asarray(cloud.lengths[start : start + batch_size])
        parts.append(np.asarray(models.classifier_states(params, cell_name, tok, length)))
    states = np.concatenate(parts)
    mask = np.arange(states.shape[1])[None, :] < cloud.lengths[:, None]
    return states[mask]



# ---------------------------------------------------------------------------------------------
# Chapter 2: small analytic systems (the cartoons of P2's slide)


def cartoon_systems(dt: float = 0.1) -> dict[str, Any]:
    """Three 2-D maps F(h [2], x [1]) -> [2] (Euler steps of a flow, step ``dt``), one per
    cartoon: ``"saddle"`` (ḣ = (h₁ − h₁³, −h₂): a saddle at 0 between two stable nodes at
    (±1, 0)), ``"oscillation"`` (a damped rotation, ḣ = [[−0.2, −1], [1, −0.2]] h: a stable
    spiral at 0), ``"line attractor"`` (ḣ = (0, 0.5 sin h₁ − h₂): every point of the curve
    h₂ = 0.5 sin h₁ is a fixed point). The input x is added to h₁ (a push along the line)."""

    def saddle(h: Any, x: Any) -> Any:
        flow = jnp.stack([h[0] - h[0] ** 3, -h[1]])
        return h + dt * flow + jnp.stack([x[0], 0.0 * x[0]])

    def oscillation(h: Any, x: Any) -> Any:
        a = jnp.array([[-0.2, -1.0], [1.0, -0.2]], h.dtype)
        return h + dt * (a @ h) + jnp.stack([x[0], 0.0 * x[0]])

    def line(h: Any, x: Any) -> Any:
        flow = jnp.stack([0.0 * h[0], 0.5 * jnp.sin(h[0]) - h[1]])
        return h + dt * flow + jnp.stack([x[0], 0.0 * x[0]])

    return {"saddle": saddle, "oscillation": oscillation, "line attractor": line}
