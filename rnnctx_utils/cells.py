"""Four recurrent cells as pure JAX functions: vanilla RNN, UGRNN, GRU and LSTM.

Every cell is a :class:`Cell` of pure functions on single vectors (batch with ``jax.vmap``):

- ``init(key, n_in, n_hidden, update_bias=1.0) -> params`` (a dict of arrays),
- ``step(params, h [S], x [n_in]) -> h_next [S]``,
- ``project_inputs(params, xs [..., n_in]) -> [..., k * n_hidden]``: the input half of every
  pre-activation (``A x + b`` for each of the cell's k gates), computed once for a whole
  sequence as one large matrix product,
- ``recur(params, h [S], projected_x [k * n_hidden]) -> h_next [S]``: the recurrent half only,
  so that ``step(p, h, x) == recur(p, h, project_inputs(p, x))``,
- ``state_size(n_hidden) -> S`` (``n_hidden``, or ``2 * n_hidden`` for the LSTM),
- ``update(state [S], pre [k * n_hidden]) -> state_next [S]`` for the cells whose recurrent half
  is one product, ``pre = A x + b + W h`` with h the first ``n_hidden`` entries of the state
  (vanilla, UGRNN, LSTM), so that ``recur(p, h, px) == update(h, px + h[:n] @ W)``; None for
  the GRU (its candidate needs a second product, ``W_c (r ⊙ h)``). Training uses it for a
  hand-written backward pass (:func:`rnnctx_utils.models.product_recurrence`).

Splitting ``step`` into ``project_inputs`` and ``recur`` is what makes training fast: inside the
``lax.scan`` over tokens only the ``[S] x [S, k S]`` recurrent product remains.

Equations (σ is the logistic sigmoid, ⊙ the elementwise product; ``A_*`` act on the input,
``W_*`` on the state):

vanilla
    h' = tanh(A x + W h + b)
UGRNN (update-gate RNN, Collins et al. 2017)
    c = tanh(A_c x + W_c h + b_c),  u = σ(A_u x + W_u h + b_u),  h' = u ⊙ h + (1 − u) ⊙ c
GRU (the convention of the paper: the reset gate acts on h before the recurrent product)
    u = σ(A_u x + W_u h + b_u),  r = σ(A_r x + W_r h + b_r),
    c = tanh(A_c x + W_c (r ⊙ h) + b_c),  h' = u ⊙ h + (1 − u) ⊙ c
LSTM (state is the concatenation [h; c], so every analysis sees one vector)
    i, f, o = σ(A_{i,f,o} x + W_{i,f,o} h + b_{i,f,o}),  g = tanh(A_g x + W_g h + b_g),
    c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c'),  state' = [h'; c']

Gated cells take ``update_bias`` (the initial bias of u for UGRNN / GRU, of the forget gate for
the LSTM): a positive value starts the cell near "remember", which helps long documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

Params = dict[str, jax.Array]

CELL_NAMES = ("vanilla", "ugrnn", "gru", "lstm")


class Cell(NamedTuple):
    """A recurrent cell as pure functions (see the module docstring for the contract)."""

    name: str
    init: Callable[..., Params]
    step: Callable[[Params, jax.Array, jax.Array], jax.Array]
    project_inputs: Callable[[Params, jax.Array], jax.Array]
    recur: Callable[[Params, jax.Array, jax.Array], jax.Array]
    state_size: Callable[[int], int]
    update: Callable[[jax.Array, jax.Array], jax.Array] | None = None


# ---------------------------------------------------------------------------------------------
# Initialisation helpers


def _glorot(key: jax.Array, n_in: int, n_out: int, n_blocks: int) -> jax.Array:
    """[n_in, n_blocks * n_out] with each [n_in, n_out] block Glorot-uniform."""
    limit = float(np.sqrt(6.0 / (n_in + n_out)))
    return jax.random.uniform(key, (n_in, n_blocks * n_out), jnp.float32, -limit, limit)


def _orthogonal(key: jax.Array, n: int, n_blocks: int) -> jax.Array:
    """[n, n_blocks * n] with each [n, n] block an independent random orthogonal matrix.

    Orthogonal recurrent weights keep early gradients from exploding or vanishing.
    """
    keys = jax.random.split(key, n_blocks)
    init = jax.nn.initializers.orthogonal()
    return jnp.concatenate([init(k, (n, n), jnp.float32) for k in keys], axis=1)


def _init_weights(
    key: jax.Array, n_in: int, n_hidden: int, n_blocks: int, bias: jax.Array
) -> Params:
    """Input weights A [n_in, k n], recurrent W [n, k n], bias b [k n]."""
    key_a, key_w = jax.random.split(key)
    return {
        "A": _glorot(key_a, n_in, n_hidden, n_blocks),
        "W": _orthogonal(key_w, n_hidden, n_blocks),
        "b": bias.astype(jnp.float32),
    }


def _project(params: Params, xs: jax.Array) -> jax.Array:
    """xs [..., n_in] -> A x + b [..., k n]: the input part of every pre-activation.

    Computed as one 2-D matrix product: XLA's CPU backend runs the gradient of a product
    contracting over several leading axes (here time and batch) about five times slower.
    """
    flat = xs.reshape(-1, xs.shape[-1]) @ params["A"] + params["b"]
    return flat.reshape(*xs.shape[:-1], flat.shape[-1])


def _product_recur(
    update: Callable[[jax.Array, jax.Array], jax.Array],
) -> Callable[[Params, jax.Array, jax.Array], jax.Array]:
    """recur(p, state, px) = update(state, px + h W), h the first n entries of the state."""

    def recur(params: Params, state: jax.Array, px: jax.Array) -> jax.Array:
        n = params["W"].shape[0]
        return update(state, px + state[..., :n] @ params["W"])

    return recur


# ---------------------------------------------------------------------------------------------
# Vanilla RNN: h' = tanh(A x + W h + b)


def _vanilla_init(key: jax.Array, n_in: int, n_hidden: int, update_bias: float = 1.0) -> Params:
    """Parameters A [n_in, n], W [n, n], b [n] (``update_bias`` is ignored: no gate)."""
    return _init_weights(key, n_in, n_hidden, 1, jnp.zeros(n_hidden))


def _vanilla_update(h: jax.Array, pre: jax.Array) -> jax.Array:
    """h [n], pre = A x + b + W h [n] -> tanh(pre) [n]."""
    return jnp.tanh(pre)


_vanilla_recur = _product_recur(_vanilla_update)


# ---------------------------------------------------------------------------------------------
# UGRNN: c = tanh(A_c x + W_c h + b_c), u = σ(...), h' = u ⊙ h + (1 − u) ⊙ c
# Column blocks of A, W, b: [c | u].


def _ugrnn_init(key: jax.Array, n_in: int, n_hidden: int, update_bias: float = 1.0) -> Params:
    """Parameters A [n_in, 2n], W [n, 2n], b [2n] (blocks: candidate c, update gate u)."""
    bias = jnp.concatenate([jnp.zeros(n_hidden), jnp.full(n_hidden, update_bias)])
    return _init_weights(key, n_in, n_hidden, 2, bias)


def _ugrnn_update(h: jax.Array, pre: jax.Array) -> jax.Array:
    """h [n], pre = A x + b + W h [2n] -> h' [n]."""
    pre_c, pre_u = jnp.split(pre, 2, axis=-1)
    u = jax.nn.sigmoid(pre_u)
    return u * h + (1.0 - u) * jnp.tanh(pre_c)


_ugrnn_recur = _product_recur(_ugrnn_update)


# ---------------------------------------------------------------------------------------------
# GRU: u, r = σ(A x + W h + b), c = tanh(A_c x + W_c (r ⊙ h) + b_c), h' = u ⊙ h + (1 − u) ⊙ c
# Column blocks: [u | r | c].


def _gru_init(key: jax.Array, n_in: int, n_hidden: int, update_bias: float = 1.0) -> Params:
    """Parameters A [n_in, 3n], W [n, 3n], b [3n] (blocks: update u, reset r, candidate c)."""
    bias = jnp.concatenate(
        [jnp.full(n_hidden, update_bias), jnp.zeros(n_hidden), jnp.zeros(n_hidden)]
    )
    return _init_weights(key, n_in, n_hidden, 3, bias)


def _gru_recur(params: Params, h: jax.Array, px: jax.Array) -> jax.Array:
    """h [n], px [3n] -> h' [n]."""
    n = h.shape[-1]
    if "W_gates" in params:  # prepared by scan_ready: no slicing inside the loop
        w_gates, w_candidate = params["W_gates"], params["W_candidate"]
    else:
        w_gates, w_candidate = params["W"][:, : 2 * n], params["W"][:, 2 * n :]
    # The gates' recurrent product first; the candidate needs r ⊙ h, a second product.
    gates = jax.nn.sigmoid(px[..., : 2 * n] + h @ w_gates)
    u, r = gates[..., :n], gates[..., n:]
    c = jnp.tanh(px[..., 2 * n :] + (r * h) @ w_candidate)
    return u * h + (1.0 - u) * c


def _gru_scan_ready(params: Params) -> Params:
    n = params["W"].shape[0]
    return params | {"W_gates": params["W"][:, : 2 * n], "W_candidate": params["W"][:, 2 * n :]}


# ---------------------------------------------------------------------------------------------
# LSTM on the state [h; c]. Column blocks: [i | f | o | g].


def _lstm_init(key: jax.Array, n_in: int, n_hidden: int, update_bias: float = 1.0) -> Params:
    """Parameters A [n_in, 4n], W [n, 4n], b [4n] (blocks: input i, forget f, output o, g).

    ``update_bias`` initialises the forget-gate bias (1.0, the usual choice).
    """
    z = jnp.zeros(n_hidden)
    bias = jnp.concatenate([z, jnp.full(n_hidden, update_bias), z, z])
    return _init_weights(key, n_in, n_hidden, 4, bias)


def _lstm_update(state: jax.Array, pre: jax.Array) -> jax.Array:
    """state [2n] = [h; c], pre = A x + b + W h [4n] -> [h'; c'] [2n]."""
    n = state.shape[-1] // 2
    c = state[..., n:]
    gates = jax.nn.sigmoid(pre[..., : 3 * n])
    i, f, o = gates[..., :n], gates[..., n : 2 * n], gates[..., 2 * n :]
    g = jnp.tanh(pre[..., 3 * n :])
    c_next = f * c + i * g
    h_next = o * jnp.tanh(c_next)
    return jnp.concatenate([h_next, c_next], axis=-1)


_lstm_recur = _product_recur(_lstm_update)


# ---------------------------------------------------------------------------------------------


def _make_step(
    recur: Callable[[Params, jax.Array, jax.Array], jax.Array],
) -> Callable[[Params, jax.Array, jax.Array], jax.Array]:
    """step(p, h, x) = recur(p, h, project_inputs(p, x)): one definition of the dynamics."""

    def step(params: Params, h: jax.Array, x: jax.Array) -> jax.Array:
        return recur(params, h, _project(params, x))

    return step


def _hidden(n: int) -> int:
    return n


def _double(n: int) -> int:
    return 2 * n


_CELLS: dict[str, Cell] = {
    "vanilla": Cell("vanilla", _vanilla_init, _make_step(_vanilla_recur), _project,
                    _vanilla_recur, _hidden, _vanilla_update),
    "ugrnn": Cell("ugrnn", _ugrnn_init, _make_step(_ugrnn_recur), _project, _ugrnn_recur,
                  _hidden, _ugrnn_update),
    "gru": Cell("gru", _gru_init, _make_step(_gru_recur), _project, _gru_recur,
                _hidden),
    "lstm": Cell("lstm", _lstm_init, _make_step(_lstm_recur), _project, _lstm_recur,
                 _double, _lstm_update),
}


def scan_ready(name: str, params: Params) -> Params:
    """``params`` with loop-invariant pieces of ``recur`` computed once, for use inside a scan.

    The GRU's two column blocks of W are sliced here instead of at every step (XLA does not
    hoist the slices out of the loop; about 15% of a training step). Same results as
    ``params``; differentiable (the blocks are slices of ``params["W"]``). Other cells: as is.
    """
    get_cell(name)  # validates the name
    return _gru_scan_ready(params) if name == "gru" else params


def get_cell(name: str) -> Cell:
    """The cell called ``name`` (one of :data:`CELL_NAMES`); ValueError otherwise."""
    try:
        return _CELLS[name]
    except KeyError:
        raise ValueError(
            f"unknown cell {name!r}; choose one of {', '.join(CELL_NAMES)}"
        ) from None
