"""Does the trained initial state h₀ cause the beginning weight? (chapter 5, [ours])

P2 proposes that h₀ lies in the modifier subspace and intensifies the first word. The test
reruns the position probe documents (:func:`rnnctx_utils.position.position_split`) from two
altered initial states: h₀ moved to the attractor point nearest to it, and h₀ with only its
component in the modifier subspace removed. If the subspace is the cause, the second change
alone brings the beginning weight back towards 1.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import position
from rnnctx_utils._types import StepFn
from rnnctx_utils.analysis_settings import PositionSettings


class ProbeVectors(NamedTuple):
    """What the position probes need from a model ([N] state size, [E] embedding size).

    readout: [N] readout weights w; x_valence, x_filler: [E] embeddings of the probe words;
    h0: [N] the trained initial state (float64).
    """

    readout: np.ndarray
    x_valence: np.ndarray
    x_filler: np.ndarray
    h0: np.ndarray


def probe_vectors(model: Any, found: Any) -> ProbeVectors:
    """The readout, the embeddings of ``found.probes``' valence and filler words, and h₀."""
    embedding = np.asarray(model.params["embedding"])
    return ProbeVectors(np.asarray(model.params["readout_w"]),
                        embedding[model.vocab.id(found.probes.valence)],
                        embedding[model.vocab.id(found.probes.filler)],
                        np.asarray(model.params["h0"], np.float64))


def altered_initial_states(h0: np.ndarray, found: Any) -> dict[str, np.ndarray]:
    """The trained h₀ ([N]) and its two alterations, by name (the trained one first).

    The nearest attractor point is taken among ``found.attractor_points`` ([P, N]); the
    subspace component is the part of h₀ − nearest in ``found.subspace.basis`` ([N, D],
    orthonormalised here), so removing it leaves h₀'s deviation outside the subspace intact.
    """
    points = found.attractor_points
    nearest = points[np.argmin(np.linalg.norm(points - h0, axis=1))]
    basis = np.linalg.qr(found.subspace.basis)[0]
    return {"trained h₀": h0, "h₀ moved to the nearest attractor point": nearest,
            "h₀ without its modifier-subspace component":
                h0 - basis @ (basis.T @ (h0 - nearest))}


def beginning_weights(step: StepFn, starts: dict[str, np.ndarray], probes: ProbeVectors,
                      settings: PositionSettings | None = None) -> dict[str, float]:
    """The beginning weight b (first word vs the word after ``settings.reference_before``
    fillers) of the position probe run from each initial state in ``starts``, by the same
    names; ``settings``: those of the split it is compared with (default: the book's)."""
    return {name: position.position_split(step, start, probes.readout, probes.x_valence,
                                           probes.x_filler, settings=settings).first_weight
            for name, start in starts.items()}


def causal_reading(weights: dict[str, float]) -> str:
    """Verdict on :func:`beginning_weights` (trained, on the line, without the subspace
    component, in that order): does removing the subspace component alone take away more than
    half of the first word's extra weight |b − 1|?"""
    trained, _, no_subspace = weights.values()
    if abs(no_subspace - 1) < 0.5 * abs(trained - 1):
        return ("removing h₀'s modifier-subspace component alone takes away most of the first "
                "word's extra weight, as P2 proposes")
    return ("removing h₀'s modifier-subspace component alone does not take away most of the "
            "first word's extra weight, so on this network the subspace is not the main cause")
