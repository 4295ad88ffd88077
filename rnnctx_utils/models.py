"""The sentiment classifiers: an RNN (embedding → cell → linear readout) and bag-of-words.

RNN classifier, for a document of tokens w_1 … w_T (P1, P2):

    x_t = E[w_t],   h_t = F(h_{t-1}, x_t)  (h_0 trainable),   logit = w^T h_T + b.

Parameters are a dict pytree: ``embedding`` [V, E], ``cell`` (the cell's own dict, see
:mod:`rnnctx_utils.cells`), ``h0`` [S], ``readout_w`` [S], ``readout_b`` [].

Batches are zero-padded ``tokens [B, L]`` with ``lengths [B]``. Padding never changes a result:
past a document's length the state is carried unchanged, so the readout sees the last *valid*
state and a padded batch gives exactly the logits of each document run alone.

Speed: the input half of every pre-activation (``A x + b``) is computed for the whole batch
and sequence in one matrix product before the scan; the scan over tokens does only the
recurrent product (:func:`rnnctx_utils.cells.Cell.recur`).

Bag-of-words: logit = Σ_t β[w_t] + b, a per-token weight *summed* over the document (not
averaged): the synthetic corpus's planted score is itself a sum over tokens, and a sum lets
a long document with many positive words be more confidently positive, so this is the strongest
plain linear model of word counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from rnnctx_utils import cells

Params = dict[str, Any]


def init_classifier(
    key: jax.Array,
    cell_name: str,
    vocab_size: int,
    n_embed: int,
    n_hidden: int,
    **cell_kwargs: Any,
) -> Params:
    """Random classifier parameters.

    Args:
        key: PRNG key.
        cell_name: one of :data:`rnnctx_utils.cells.CELL_NAMES`.
        vocab_size: V, rows of the embedding (row 0 is ``<pad>``).
        n_embed: E, embedding size.
        n_hidden: n, hidden units; the state size S is ``cell.state_size(n)``.
        **cell_kwargs: passed to the cell's ``init`` (e.g. ``update_bias``).

    Returns:
        ``{"embedding": [V, E], "cell": {...}, "h0": [S], "readout_w": [S], "readout_b": []}``.
    """
    cell = cells.get_cell(cell_name)
    k_embed, k_cell, k_out = jax.random.split(key, 3)
    state_size = cell.state_size(n_hidden)
    # Embedding rows of unit expected norm, so the first input projections are O(1).
    embedding = jax.random.normal(k_embed, (vocab_size, n_embed), jnp.float32) / jnp.sqrt(
        float(n_embed)
    )
    readout_w = jax.random.normal(k_out, (state_size,), jnp.float32) / jnp.sqrt(
        float(state_size)
    )
    return {
        "embedding": embedding,
        "cell": cell.init(k_cell, n_embed, n_hidden, **cell_kwargs),
        "h0": jnp.zeros(state_size, jnp.float32),
        "readout_w": readout_w,
        "readout_b": jnp.zeros((), jnp.float32),
    }


def readout(params: Params, h: jax.Array) -> jax.Array:
    """Logit of the state(s) h [..., S] -> [...]: ``w^T h + b``."""
    return h @ params["readout_w"] + params["readout_b"]


def bound_step(params: Params, cell_name: str) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """The update ``F(h [S], x [E]) -> h_next [S]`` with the trained cell parameters bound.

    ``x`` is an embedding vector (a row of ``params["embedding"]``), so F is the dynamical
    system every analysis (fixed points, Jacobians) works on.
    """
    cell = cells.get_cell(cell_name)
    cell_params = params["cell"]

    def F(h: jax.Array, x: jax.Array) -> jax.Array:
        return cell.step(cell_params, h, x)

    return F


def _scan_states(
    params: Params, cell_name: str, tokens: jax.Array, lengths: jax.Array, keep_all: bool
) -> jax.Array:
    """Run the cell over a padded batch.

    Returns the final valid states [B, S], or every state [B, L, S] when ``keep_all``.
    """
    cell = cells.get_cell(cell_name)
    cell_params = cells.scan_ready(cell_name, params["cell"])
    n_docs, n_steps = tokens.shape
    # Time-major from the start: gather embeddings as [L, B, E], project once for all steps.
    projected = cell.project_inputs(cell_params, params["embedding"][tokens.T])
    valid = jnp.arange(n_steps)[:, None] < lengths[None, :]  # [L, B]
    h0 = jnp.broadcast_to(params["h0"], (n_docs, params["h0"].shape[0]))

    def body(h: jax.Array, inputs: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, Any]:
        px, is_valid = inputs
        h_next = jnp.where(is_valid[:, None], cell.recur(cell_params, h, px), h)
        return h_next, (h_next if keep_all else None)

    h_final, states = lax.scan(body, h0, (projected, valid))
    if keep_all:
        return jnp.swapaxes(states, 0, 1)
    return h_final


# ---------------------------------------------------------------------------------------------
# Recurrences with a hand-written backward pass (training speed)
#
# Autodiff of lax.scan accumulates the recurrent weight gradient with one small matrix product
# per step inside the backward loop. Here the backward loop only propagates the state
# cotangent; the weight gradient is then one large product over all steps and documents
# (dW = Σ_t x_t^T δ_t), which a CPU runs several times faster per FLOP. Both recurrences return
# the final state only (the readout's input): the backward loop then starts from its cotangent
# and reads no per-step cotangents, and the forward loop keeps the state *before* each step,
# which is what the backward pass needs (no shifted copy).


@jax.custom_vjp
def gru_recurrence(
    w: jax.Array, h0: jax.Array, projected: jax.Array, valid: jax.Array
) -> jax.Array:
    """The final GRU state, with a fast reverse-mode derivative.

    Args:
        w: recurrent weights W [n, 3n] (blocks u | r | c, as in :mod:`rnnctx_utils.cells`).
        h0: initial states [B, n].
        projected: input projections A x + b [L, B, 3n].
        valid: [L, B] bool; where False the state is carried unchanged.

    Returns:
        the state after the last step [B, n]: the same values as a ``lax.scan`` of
        ``cells.get_cell("gru").recur``. Reverse mode (grad, vjp) only.
    """
    return _gru_forward(w, h0, projected, valid)[0]


def _gru_forward(
    w: jax.Array, h0: jax.Array, projected: jax.Array, valid: jax.Array
) -> tuple[jax.Array, tuple[jax.Array, ...]]:
    """(final state [B, n], (states before each step, u, r, c) each [L, B, n])."""
    n = h0.shape[-1]
    w_gates, w_candidate = w[:, : 2 * n], w[:, 2 * n :]

    def body(h: jax.Array, inputs: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, Any]:
        px, is_valid = inputs
        gates = jax.nn.sigmoid(px[:, : 2 * n] + h @ w_gates)
        u, r = gates[:, :n], gates[:, n:]
        c = jnp.tanh(px[:, 2 * n :] + (r * h) @ w_candidate)
        h_next = jnp.where(is_valid[:, None], u * h + (1.0 - u) * c, h)
        return h_next, (h, u, r, c)

    return lax.scan(body, h0, (projected, valid))


def _gru_recurrence_fwd(
    w: jax.Array, h0: jax.Array, projected: jax.Array, valid: jax.Array
) -> tuple[jax.Array, tuple[jax.Array, ...]]:
    final, (h_prev, u, r, c) = _gru_forward(w, h0, projected, valid)
    return final, (w, valid, h_prev, u, r, c)


def _gru_recurrence_bwd(
    residuals: tuple[jax.Array, ...], d_final: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array, None]:
    w, valid, h_prev, u, r, c = residuals
    n = h_prev.shape[-1]
    w_gates_t, w_candidate_t = w[:, : 2 * n].T, w[:, 2 * n :].T

    def body(d_h: jax.Array, inputs: tuple[jax.Array, ...]) -> tuple[jax.Array, Any]:
        is_valid, h, u_t, r_t, c_t = inputs  # d_h: cotangent of the state after this step
        keep = is_valid[:, None]
        d_new = jnp.where(keep, d_h, 0.0)
        # h' = u h + (1 - u) c,  c = tanh(a_c),  a_c = px_c + (r h) W_c,  u, r = σ(a_g)
        d_pre_c = d_new * (1.0 - u_t) * (1.0 - c_t * c_t)
        d_rh = d_pre_c @ w_candidate_t
        d_pre_u = d_new * (h - c_t) * u_t * (1.0 - u_t)
        d_pre_r = d_rh * h * r_t * (1.0 - r_t)
        d_pre_gates = jnp.concatenate([d_pre_u, d_pre_r], axis=-1)
        d_h_prev = (d_new * u_t + d_rh * r_t + d_pre_gates @ w_gates_t
                    + jnp.where(keep, 0.0, d_h))
        return d_h_prev, (d_pre_gates, d_pre_c)

    d_h0, (d_pre_gates, d_pre_c) = lax.scan(
        body, d_final, (valid, h_prev, u, r, c), reverse=True
    )
    # Σ_t x_t^T δ_t as 2-D products over (time · batch): an einsum contracting two axes
    # runs several times slower on XLA's CPU backend.
    d_w = jnp.concatenate([
        h_prev.reshape(-1, n).T @ d_pre_gates.reshape(-1, 2 * n),
        (r * h_prev).reshape(-1, n).T @ d_pre_c.reshape(-1, n),
    ], axis=1)
    return d_w, d_h0, jnp.concatenate([d_pre_gates, d_pre_c], axis=-1), None


gru_recurrence.defvjp(_gru_recurrence_fwd, _gru_recurrence_bwd)


# Vanilla, UGRNN and LSTM: the same backward pass for any cell whose recurrent half is one
# product, state' = update(state, A x + b + W h) (``cells.Cell.update``).

Update = Callable[[jax.Array, jax.Array], jax.Array]


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def product_recurrence(
    update: Update, w: jax.Array, h0: jax.Array, projected: jax.Array, valid: jax.Array
) -> jax.Array:
    """The final state of a one-product cell, with a fast reverse-mode derivative.

    Args:
        update: ``(state [B, S], pre [B, k n]) -> state' [B, S]`` (a cell's ``update``).
        w: recurrent weights W [n, k n] acting on h, the first n entries of the state.
        h0: initial states [B, S].
        projected: input projections A x + b [L, B, k n].
        valid: [L, B] bool; where False the state is carried unchanged.

    Returns:
        the state after the last step [B, S]: the same values as a ``lax.scan`` of the cell's
        ``recur``. The backward loop propagates only the state cotangent (through ``jax.vjp``
        of ``update``, which XLA fuses); dW is one product over all steps. Reverse mode only.
    """
    return _product_forward(update, w, h0, projected, valid)[0]


def _product_forward(
    update: Update, w: jax.Array, h0: jax.Array, projected: jax.Array, valid: jax.Array
) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
    """(final state [B, S], (states before each step [L, B, S], pre [L, B, k n]))."""
    n = w.shape[0]

    def body(state: jax.Array, inputs: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, Any]:
        px, is_valid = inputs
        pre = px + state[:, :n] @ w
        return jnp.where(is_valid[:, None], update(state, pre), state), (state, pre)

    return lax.scan(body, h0, (projected, valid))


def _product_recurrence_fwd(
    update: Update, w: jax.Array, h0: jax.Array, projected: jax.Array, valid: jax.Array
) -> tuple[jax.Array, tuple[jax.Array, ...]]:
    final, (state_prev, pres) = _product_forward(update, w, h0, projected, valid)
    return final, (w, valid, state_prev, pres)


def _product_recurrence_bwd(
    update: Update, residuals: tuple[jax.Array, ...], d_final: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array, None]:
    w, valid, state_prev, pres = residuals
    n = w.shape[0]
    w_t = w.T

    def body(d_state: jax.Array, inputs: tuple[jax.Array, ...]) -> tuple[jax.Array, Any]:
        is_valid, state, pre = inputs  # d_state: cotangent of the state after this step
        keep = is_valid[:, None]
        _, pullback = jax.vjp(update, state, pre)
        d_direct, d_pre = pullback(jnp.where(keep, d_state, 0.0))
        d_through_w = d_pre @ w_t  # [B, n]: h enters pre only through W h
        if d_direct.shape[-1] > n:  # the LSTM's [h; c]: W acts on h only
            d_through_w = jnp.pad(d_through_w, ((0, 0), (0, d_direct.shape[-1] - n)))
        return d_direct + d_through_w + jnp.where(keep, 0.0, d_state), d_pre

    d_h0, d_pres = lax.scan(body, d_final, (valid, state_prev, pres), reverse=True)
    d_w = state_prev[..., :n].reshape(-1, n).T @ d_pres.reshape(-1, d_pres.shape[-1])
    return d_w, d_h0, d_pres, None


product_recurrence.defvjp(_product_recurrence_fwd, _product_recurrence_bwd)


def training_logits(
    params: Params, cell_name: str, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """:func:`classifier_logits` with a fast hand-written reverse-mode derivative (training).

    Same values; the gradient comes from :func:`gru_recurrence` (GRU) or
    :func:`product_recurrence` (vanilla, UGRNN, LSTM) instead of autodiff of the scan. No
    forward-mode derivative.
    """
    cell = cells.get_cell(cell_name)
    cell_params = params["cell"]
    n_docs, n_steps = tokens.shape
    h0 = jnp.broadcast_to(params["h0"], (n_docs, params["h0"].shape[0]))
    if n_steps == 0:
        return readout(params, h0)
    projected = cell.project_inputs(cell_params, params["embedding"][tokens.T])
    valid = jnp.arange(n_steps)[:, None] < lengths[None, :]
    if cell.update is None:
        final = gru_recurrence(cell_params["W"], h0, projected, valid)
    else:
        final = product_recurrence(cell.update, cell_params["W"], h0, projected, valid)
    return readout(params, final)  # padded steps carry the state: the last is final


@functools.partial(jax.jit, static_argnames=("cell_name",))
def final_states(
    params: Params, cell_name: str, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """State after each document's last valid token: tokens [B, L], lengths [B] -> [B, S].

    A document of length 0 gets ``h0``.
    """
    return _scan_states(params, cell_name, tokens, lengths, keep_all=False)


@functools.partial(jax.jit, static_argnames=("cell_name",))
def classifier_logits(
    params: Params, cell_name: str, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """Logits [B] of the documents tokens [B, L] (int, zero-padded) with lengths [B]."""
    return readout(params, _scan_states(params, cell_name, tokens, lengths, keep_all=False))


@functools.partial(jax.jit, static_argnames=("cell_name",))
def classifier_states(
    params: Params, cell_name: str, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """States after each token: tokens [B, L], lengths [B] -> [B, L, S].

    ``states[i, t]`` is the state after token t; positions ``t >= lengths[i]`` repeat the last
    valid state, so ``states[:, -1]`` is always the final state read out.
    """
    return _scan_states(params, cell_name, tokens, lengths, keep_all=True)


# ---------------------------------------------------------------------------------------------
# Bag-of-words logistic regression


def init_bow(vocab_size: int) -> Params:
    """Zero bag-of-words parameters: ``{"weights": [V], "bias": []}`` (the loss is convex)."""
    return {"weights": jnp.zeros(vocab_size, jnp.float32), "bias": jnp.zeros((), jnp.float32)}


@jax.jit
def bow_logits(params: Params, tokens: jax.Array, lengths: jax.Array) -> jax.Array:
    """Logits [B] = Σ_{t < length} weights[tokens[:, t]] + bias; padding is masked out."""
    valid = jnp.arange(tokens.shape[1])[None, :] < lengths[:, None]
    per_token = jnp.where(valid, params["weights"][tokens], 0.0)
    return per_token.sum(axis=1) + params["bias"]
