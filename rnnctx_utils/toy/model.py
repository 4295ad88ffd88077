"""The regression GRU of the toy language: parameters, one step, the training's rollout, the
readout.

GRU with a trainable initial state h_0 and a linear readout y_t = w·h_t + b after every token
(:func:`rnnctx_utils.models.readout`, the book classifier's readout: the same expression).
The parameters, the step and the readout are shared by the training
(:mod:`rnnctx_utils.toy.training`, through :func:`rollout`) and the analyses, which run
the step with the package's shared rollouts (:mod:`rnnctx_utils.toy.forward`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils import cells
from rnnctx_utils.models import readout as readout
from rnnctx_utils.toy.language import N_SYMBOLS, one_hot
from rnnctx_utils.toy.settings import ToySettings

Params = dict[str, Any]

_GRU = cells.get_cell("gru")


def init_params(key: jax.Array, settings: ToySettings) -> Params:
    """Parameters: ``cell`` (GRU A [12, 3n], W [n, 3n], b [3n]), ``h0`` [n] (zeros),
    ``readout_w`` [n], ``readout_b`` []."""
    key_cell, key_out = jax.random.split(key)
    n = settings.n_hidden
    limit = float(np.sqrt(6.0 / (n + 1)))
    return {
        "cell": _GRU.init(key_cell, N_SYMBOLS, n, update_bias=settings.update_bias),
        "h0": jnp.zeros(n, jnp.float32),
        "readout_w": jax.random.uniform(key_out, (n,), jnp.float32, -limit, limit),
        "readout_b": jnp.zeros((), jnp.float32),
    }


def bound_step(params: Params) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """F(h [n], x [12]) -> h' [n] with the trained cell parameters bound (for the analyses,
    which run it through :mod:`rnnctx_utils.rollouts`; see :mod:`rnnctx_utils.toy.forward`)."""
    cell_params = params["cell"]

    def step(h: jax.Array, x: jax.Array) -> jax.Array:
        return _GRU.step(cell_params, h, x)

    return step


def rollout(
    params: Params,
    tokens: jax.Array,
    h_start: jax.Array | None = None,
    noise_key: jax.Array | None = None,
    noise_std: float = 0.0,
) -> jax.Array:
    """States after every token, all sequences in one scan: tokens [B, T] → states [B, T, n].

    Starts at ``h_start`` [n] (default the trained h_0). With ``noise_key``, Gaussian noise of
    std ``noise_std`` is added to the state after every step (training only).

    The training's forward pass, kept next to :func:`rnnctx_utils.rollouts.rollout_batch`
    (which the analyses use, :mod:`rnnctx_utils.toy.forward`) because it differs: state noise,
    and the inputs of the whole batch projected before the scan (one 2-D product, which the
    gradient needs to be fast). The fixed-point search also seeds from its noiseless states
    (:func:`rnnctx_utils.toy.dynamics.visited_states`): the two rollouts agree only to
    float32 round-off, and the search turns that into other counts of fixed points.
    """
    cell_params = params["cell"]
    projected = _GRU.project_inputs(cell_params, one_hot(tokens))  # [B, T, 3n]
    batch, seq_len = tokens.shape
    h0 = params["h0"] if h_start is None else h_start
    h_init = jnp.broadcast_to(h0, (batch, h0.shape[-1]))
    if noise_key is None:
        noise = jnp.zeros((seq_len, batch, h0.shape[-1]), jnp.float32)
    else:
        noise = noise_std * jax.random.normal(noise_key, (seq_len, batch, h0.shape[-1]))

    def body(h: jax.Array, inputs: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        px, eps = inputs
        h_next = _GRU.recur(cell_params, h, px) + eps
        return h_next, h_next

    _, states = jax.lax.scan(body, h_init, (jnp.swapaxes(projected, 0, 1), noise))
    return jnp.swapaxes(states, 0, 1)
