"""The regression GRU of the toy language: parameters, one step, rollouts, the readout.

GRU with a trainable initial state h_0 and a linear readout y_t = w·h_t + b after every token
(:func:`rnnctx_utils.models.readout`, the book classifier's readout: the same expression).
Shared by the training (:mod:`rnnctx_utils.toy.training`) and the analyses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils import cells
from rnnctx_utils.models import readout as readout
from rnnctx_utils.toy.language import N_SYMBOLS, one_hot, word_vector
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


_jit_step = jax.jit(_GRU.step)


def bound_step(params: Params) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """F(h [n], x [12]) -> h' [n] with the trained cell parameters bound (for the analyses)."""
    cell_params = params["cell"]

    def step(h: jax.Array, x: jax.Array) -> jax.Array:
        return _GRU.step(cell_params, h, x)

    return step


def _step(params: Params, h: Any, x: Any) -> jax.Array:
    """One compiled GRU step for the token-by-token probes (eager steps are 10× slower)."""
    return _jit_step(params["cell"], jnp.asarray(h), jnp.asarray(x))


def rollout(
    params: Params,
    tokens: jax.Array,
    h_start: jax.Array | None = None,
    noise_key: jax.Array | None = None,
    noise_std: float = 0.0,
) -> jax.Array:
    """States after every token: tokens [B, T] → states [B, T, n].

    Starts at ``h_start`` [n] (default the trained h_0). With ``noise_key``, Gaussian noise of
    std ``noise_std`` is added to the state after every step (training only).
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


def predictions(params: Params, tokens: jax.Array) -> jax.Array:
    """Readout after every token (no noise): tokens [B, T] → [B, T]."""
    return readout(params, rollout(params, tokens))


def context_state(params: Params, h_start: np.ndarray, context: str) -> np.ndarray:
    """The state after reading ``context`` (words, may be empty) from ``h_start`` [n] → [n]."""
    h = jnp.asarray(h_start)
    for word in context.split():
        h = _step(params, h, word_vector(word))
    return np.asarray(h)


def deflection(params: Params, h: np.ndarray, word: str) -> np.ndarray:
    """Δh = F(h, x_word) − h: where one token pushes the state [n]."""
    return context_state(params, h, word) - np.asarray(h)
