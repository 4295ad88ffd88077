"""The linearized system as a classifier (chapter 2, P1 M3), and the transitions it is judged on.

>>> lin = linearized_dynamics.linearized_accuracy(network, attractor, cloud)
>>> lin.agreement                  # fraction of documents the linearization classifies alike
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from rnnctx_utils.attractor_search import LineAttractor
from rnnctx_utils.nearest_points import nearest_index
from rnnctx_utils.network import as_network
from rnnctx_utils.states import StateCloud


def _linearized_rollout_kernel(F: Any, points: Any, offsets: Any, h0: Any, xs: Any,
                               lengths: Any) -> Any:
    import jax  # noqa: PLC0415
    from jax import lax  # noqa: PLC0415

    def one_doc(x_doc: Any, length: Any) -> Any:
        def body(h: Any, inp: Any) -> Any:
            x, t = inp
            nearest = nearest_index(h, points)
            h_star = points[nearest]
            zero = jnp.zeros_like(x)
            # F(h*, 0) + J_rec (h − h*) + J_inp x: one Jacobian-vector product.
            _, tangent = jax.jvp(F, (h_star, zero), (h - h_star, x))
            h_next = h_star + offsets[nearest] + tangent
            h_next = jnp.where(t < length, h_next, h)  # padding: keep the last state
            return h_next, None

        steps = jnp.arange(x_doc.shape[0])
        final, _ = lax.scan(body, h0, (x_doc, steps))
        return final

    return jax.vmap(one_doc)(xs, lengths)


@dataclass(frozen=True)
class LinearizedAccuracy:
    """How well the linearized system classifies (see :func:`linearized_accuracy`).

    logits_linear: [n_docs] readout of the linearized system's final state;
    logits_rnn: [n_docs] the RNN's; labels: [n_docs].
    agreement: fraction of documents where the two readouts have the same sign;
    accuracy_linear, accuracy_rnn: accuracies against the labels.
    """

    logits_linear: np.ndarray
    logits_rnn: np.ndarray
    labels: np.ndarray
    agreement: float
    accuracy_linear: float
    accuracy_rnn: float


def linearized_accuracy(model: Any, attractor: LineAttractor, cloud: StateCloud,
                        *, batch_size: int = 100) -> LinearizedAccuracy:
    """Classify the cloud's documents with the linearized dynamics *[ours]*.

    At every token the state is advanced by the first-order map around the slow point h*
    nearest to the *current linearized* state: h_{t+1} = F(h*, 0) + J_rec(h*)(h_t − h*) +
    J_inp(h*) x_t (the offset F(h*, 0) − h* is kept because h* is only a slow point). The
    trajectory never sees the nonlinear network after h_0, so errors can accumulate.
    """
    import jax  # noqa: PLC0415

    from rnnctx_utils import linearize  # noqa: PLC0415

    net = as_network(model)
    F = net.step
    points = np.asarray(attractor.slow.points, np.float32)
    offsets = np.asarray(jax.vmap(lambda h: F(h, jnp.zeros(net.n_inputs)))(
        jnp.asarray(points))) - points
    run = linearize.jitted(_linearized_rollout_kernel, F)
    h0 = jnp.asarray(net.h0)
    embedding = jnp.asarray(net.embedding)
    finals = []
    for start in range(0, cloud.n_docs, batch_size):
        tok = jnp.asarray(cloud.tokens[start : start + batch_size])
        xs = embedding[tok]
        finals.append(np.asarray(run(jnp.asarray(points), jnp.asarray(offsets, jnp.float32), h0,
                                     xs, jnp.asarray(cloud.lengths[start : start + batch_size]))))
    logits_linear = net.readout(np.concatenate(finals))
    positive = cloud.labels == 1
    return LinearizedAccuracy(
        logits_linear=logits_linear,
        logits_rnn=cloud.logits,
        labels=cloud.labels,
        agreement=float(np.mean((logits_linear > 0) == (cloud.logits > 0))),
        accuracy_linear=float(np.mean((logits_linear > 0) == positive)),
        accuracy_rnn=float(np.mean((cloud.logits > 0) == positive)),
    )


def trajectory_transitions(model: Any, cloud: StateCloud, max_transitions: int | None = None,
                           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(states before each token [n, S], the token's embedding [n, E]) along real trajectories.

    The first transition of each document starts at h_0. ``max_transitions`` subsamples
    uniformly (fixed seed).
    """
    before = np.concatenate([cloud.h0[None], cloud.states[:-1]])
    first = cloud.step_of_state == 0
    before[first] = cloud.h0
    ids = cloud.tokens[cloud.doc_of_state, cloud.step_of_state]
    inputs = np.asarray(as_network(model).embedding)[ids]
    if max_transitions is not None and before.shape[0] > max_transitions:
        pick = np.sort(np.random.default_rng(seed).choice(before.shape[0], max_transitions,
                                                          replace=False))
        before, inputs = before[pick], inputs[pick]
    return before, inputs
