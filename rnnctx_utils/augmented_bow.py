"""The augmented bag-of-words family of M9 (sufficiency): modifiers and position, nothing else.

    logit = b + Σ_t p(t, T) · m_t · v(x_t)

- v [V]: a learned valence per token (every token, modifiers included);
- m_t = Π_{j < t, x_j a modifier} (1 + (α_{x_j} − 1) · exp(−(t − j − 1) / τ_{x_j})): each earlier
  modifier token j multiplies the contribution of token t by its gain α (at t = j + 1, the next
  token) relaxing back to 1 with timescale τ (tokens); α < 0 flips (negators), α > 1 amplifies
  (intensifiers), 0 < α < 1 damps (diminishers);
- p(t, T) = 1 + β_b e^{−t/τ_b} + β_e e^{−(T−1−t)/τ_e}: beginning and end of the document
  (T its length, t = 0 … T−1).

Variants: ``"bow"`` (m = p = 1, plain logistic bag-of-words), ``"position"`` (p only),
``"modifiers"`` (m only), ``"both"``. α is unconstrained, τ, τ_b, τ_e are kept positive by a
softplus.

*[ours]* ``"backward"`` is "both" plus a factor that acts on the words *before* a modifier:

    r_t = Π_{j > t, x_j a modifier} γ_{x_j}

multiplies every earlier token's term, so a contrastive "X but Y" can discount X (γ < 1) or
strengthen it (γ > 1); γ = exp(log_gamma) > 0 per modifier, 1 at the start (then the member is
"both"). P2's family has no such term: a modifier there only changes how the *following* words
are read. Residuals on SST-2 (chapter 6) motivate it.

Computing m_t over a padded batch [B, L]: the factor of modifier j on token t depends on the
lag t − j, so m_t is not a running product that a scan could carry; and since α may be negative
the factors are signed. We therefore gather, for every position t and lag ℓ = 1 … W, the token
at t − ℓ, and multiply the W factors as exp(Σ log|factor|) times the sign parity of the
negative ones: O(B·L·W) work, exact for ``window=None`` (W = L − 1). A finite ``window``
ignores modifiers more than W tokens back: an approximation whose error is at most
|α − 1| e^{−(W−1)/τ} per modifier, meant for long documents (W = 10 leaves at most 1.1% of
|α − 1| for τ ≤ 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnctx_utils.length_groups import length_groups, rounded_width

Params = dict[str, jax.Array]

VARIANTS = ("bow", "position", "modifiers", "both")
#: P2's four members and *[ours]* "backward" (see the module docstring).
ALL_VARIANTS = (*VARIANTS, "backward")


@dataclass(frozen=True)
class AugmentedBow:
    """One member of the M9 family (hashable: it is a static argument of the jitted functions).

    variant: one of :data:`ALL_VARIANTS`.
    vocab_size: V, token ids are 0 … V−1 (id 0, padding, is masked by the lengths anyway).
    modifier_ids: token ids that get a gain and a timescale (ignored by "bow" / "position").
    window: lags considered for the modifier product, None for all (exact).
    """

    variant: str
    vocab_size: int
    modifier_ids: tuple[int, ...] = ()
    window: int | None = None

    def __post_init__(self) -> None:
        if self.variant not in ALL_VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; use one of {ALL_VARIANTS}")
        if self.uses_modifiers and not self.modifier_ids:
            raise ValueError(f"variant {self.variant!r} needs at least one modifier id")
        if any(not 0 <= i < self.vocab_size for i in self.modifier_ids):
            raise ValueError("modifier ids must lie in [0, vocab_size)")
        if len(set(self.modifier_ids)) != len(self.modifier_ids):
            raise ValueError("modifier ids must be distinct")

    @property
    def uses_modifiers(self) -> bool:
        return self.variant in ("modifiers", "both", "backward")

    @property
    def uses_position(self) -> bool:
        return self.variant in ("position", "both", "backward")

    @property
    def uses_backward(self) -> bool:
        return self.variant == "backward"


def _softplus_inverse(y: float) -> float:
    return float(np.log(np.expm1(y)))


def init_params(
    model: AugmentedBow, *, tau_init: float = 2.0, position_tau_init: float = 3.0,
    valence: np.ndarray | None = None, bias: float = 0.0,
) -> Params:
    """Parameters that start as plain bag-of-words: v = ``valence`` (default 0), b = ``bias``,
    α = 1, β = 0. Started from a fitted bag-of-words baseline, every member's logits equal the
    baseline's at step 0 (the family is nested over it).

    Keys: "bias" [], "valence" [V]; with modifiers "alpha" [M], "tau_raw" [M]; with position
    "beta_begin", "tau_begin_raw", "beta_end", "tau_end_raw" (scalars); "backward" adds
    "log_gamma" [M] (γ = 1 at the start). τ = softplus(raw).
    """
    if valence is not None and np.shape(valence) != (model.vocab_size,):
        raise ValueError(f"valence must have shape ({model.vocab_size},), got {np.shape(valence)}")
    params: Params = {
        "bias": jnp.asarray(bias, jnp.float32),
        "valence": (jnp.zeros(model.vocab_size) if valence is None
                    else jnp.asarray(valence, jnp.float32)),
    }
    if model.uses_modifiers:
        n_mod = len(model.modifier_ids)
        params["alpha"] = jnp.ones(n_mod)
        params["tau_raw"] = jnp.full(n_mod, _softplus_inverse(tau_init))
    if model.uses_backward:
        params["log_gamma"] = jnp.zeros(len(model.modifier_ids))
    if model.uses_position:
        raw = _softplus_inverse(position_tau_init)
        params["beta_begin"] = jnp.zeros(())
        params["tau_begin_raw"] = jnp.full((), raw)
        params["beta_end"] = jnp.zeros(())
        params["tau_end_raw"] = jnp.full((), raw)
    return params


def modifier_factors(
    params: Params, model: AugmentedBow, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """m_t for every position: [B, L] (1 where no modifier precedes; see the module docstring).

    Args:
        tokens: [B, L] int token ids, padded. lengths: [B] (unused: tokens at j < t < length
            are always valid, and padded positions are masked by :func:`contributions`).
    """
    del lengths
    n_batch, length = tokens.shape
    if not model.uses_modifiers or length < 2:
        return jnp.ones((n_batch, length))
    slot_table = np.full(model.vocab_size, -1, dtype=np.int32)
    slot_table[list(model.modifier_ids)] = np.arange(len(model.modifier_ids))
    width = length - 1 if model.window is None else min(model.window, length - 1)
    lags = np.arange(1, width + 1)
    source = np.arange(length)[:, None] - lags[None, :]  # [L, W] position j = t − ℓ
    valid = jnp.asarray(source >= 0)
    slot = jnp.asarray(slot_table)[tokens[:, np.maximum(source, 0)]]  # [B, L, W]
    is_modifier = valid & (slot >= 0)
    safe = jnp.maximum(slot, 0)
    alpha = params["alpha"][safe]
    tau = jax.nn.softplus(params["tau_raw"])[safe]
    factor = 1.0 + (alpha - 1.0) * jnp.exp(-(lags - 1.0) / tau)
    factor = jnp.where(is_modifier, factor, 1.0)
    # signed factors: product of magnitudes (as a sum of logs, which compiles far faster than
    # the gradient of jnp.prod) times the parity of the negative factors; the floor keeps an
    # exactly-zero factor (α = 0 at lag 1) finite
    log_magnitude = jnp.sum(jnp.log(jnp.maximum(jnp.abs(factor), 1e-30)), axis=-1)
    n_negative = jnp.sum(factor < 0, axis=-1)
    return jnp.exp(log_magnitude) * (1 - 2 * (n_negative % 2))


def backward_factors(
    params: Params, model: AugmentedBow, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """r_t = Π_{t < j < T, x_j a modifier} γ_{x_j} for every position: [B, L] (1 without
    backward factors): a suffix sum of log γ over the later modifier tokens of the document."""
    n_batch, length = tokens.shape
    if not model.uses_backward:
        return jnp.ones((n_batch, length))
    slot_table = np.full(model.vocab_size, -1, dtype=np.int32)
    slot_table[list(model.modifier_ids)] = np.arange(len(model.modifier_ids))
    slot = jnp.asarray(slot_table)[tokens]  # [B, L]
    inside = jnp.arange(length)[None, :] < lengths[:, None]
    log_gamma = jnp.where(inside & (slot >= 0), params["log_gamma"][jnp.maximum(slot, 0)], 0.0)
    after = jnp.sum(log_gamma, axis=1, keepdims=True) - jnp.cumsum(log_gamma, axis=1)
    return jnp.exp(after)


def position_factors(
    params: Params, model: AugmentedBow, lengths: jax.Array, length: int
) -> jax.Array:
    """p(t, T) for every position: [B, L] (1 without position parameters)."""
    n_batch = lengths.shape[0]
    if not model.uses_position:
        return jnp.ones((n_batch, length))
    t = jnp.arange(length)[None, :]
    from_end = (lengths[:, None] - 1 - t).astype(jnp.float32)
    tau_b = jax.nn.softplus(params["tau_begin_raw"])
    tau_e = jax.nn.softplus(params["tau_end_raw"])
    # clip the lag of padded positions (negative) so that exp stays finite; they are masked
    return (
        1.0
        + params["beta_begin"] * jnp.exp(-t / tau_b)
        + params["beta_end"] * jnp.exp(-jnp.maximum(from_end, 0.0) / tau_e)
    )


def contributions(
    params: Params, model: AugmentedBow, tokens: jax.Array, lengths: jax.Array
) -> jax.Array:
    """Per-token terms p(t, T) · m_t · v(x_t): [B, L], zero at padded positions."""
    tokens = jnp.asarray(tokens)
    lengths = jnp.asarray(lengths)
    length = tokens.shape[1]
    mask = jnp.arange(length)[None, :] < lengths[:, None]
    terms = (
        position_factors(params, model, lengths, length)
        * modifier_factors(params, model, tokens, lengths)
        * backward_factors(params, model, tokens, lengths)
        * params["valence"][tokens]
    )
    return jnp.where(mask, terms, 0.0)


@partial(jax.jit, static_argnums=1)
def logits(params: Params, model: AugmentedBow, tokens: jax.Array, lengths: jax.Array) -> jax.Array:
    """logit = b + Σ_t p(t, T) · m_t · v(x_t): [B] for tokens [B, L], lengths [B]."""
    return params["bias"] + contributions(params, model, tokens, lengths).sum(axis=1)


class LearnedModifiers(NamedTuple):
    """modifier_ids: [M]; alpha: [M] gains; tau: [M] timescales (tokens)."""

    modifier_ids: np.ndarray
    alpha: np.ndarray
    tau: np.ndarray


def learned_modifiers(params: Params, model: AugmentedBow) -> LearnedModifiers:
    """The fitted gain α and timescale τ of every modifier token."""
    if not model.uses_modifiers:
        raise ValueError(f"variant {model.variant!r} has no modifier parameters")
    return LearnedModifiers(
        np.array(model.modifier_ids),
        np.asarray(params["alpha"], np.float64),
        np.asarray(jax.nn.softplus(params["tau_raw"]), np.float64),
    )


def learned_backward(params: Params, model: AugmentedBow) -> np.ndarray:
    """The fitted backward factor γ [M] of every modifier token (the "backward" member)."""
    if not model.uses_backward:
        raise ValueError(f"variant {model.variant!r} has no backward factors")
    return np.exp(np.asarray(params["log_gamma"], np.float64))


class LearnedPosition(NamedTuple):
    """p(t, T) = 1 + beta_begin e^{−t/tau_begin} + beta_end e^{−(T−1−t)/tau_end}."""

    beta_begin: float
    tau_begin: float
    beta_end: float
    tau_end: float


def learned_position(params: Params, model: AugmentedBow) -> LearnedPosition:
    """The fitted beginning / end weights."""
    if not model.uses_position:
        raise ValueError(f"variant {model.variant!r} has no position parameters")
    return LearnedPosition(
        float(params["beta_begin"]),
        float(jax.nn.softplus(params["tau_begin_raw"])),
        float(params["beta_end"]),
        float(jax.nn.softplus(params["tau_end_raw"])),
    )


def _loss(
    params: Params,
    model: AugmentedBow,
    tokens: jax.Array,
    lengths: jax.Array,
    labels: jax.Array,
    l2: float,
) -> jax.Array:
    z = logits(params, model, tokens, lengths)
    nll = optax.sigmoid_binary_cross_entropy(z, labels.astype(z.dtype)).mean()
    # L2 on the valences only: α, τ and β are few, and shrinking α towards 0 would bias it
    return nll + l2 * jnp.sum(params["valence"] ** 2)


@partial(jax.jit, static_argnums=(0, 7, 8, 9, 10, 11))
def _train_chunk(
    model: AugmentedBow,
    params: Params,
    state: optax.OptState,
    tokens: jax.Array,
    lengths: jax.Array,
    labels: jax.Array,
    key: jax.Array,
    n_steps: int,
    batch_size: int,
    learning_rate: float,
    l2: float,
    freeze_valence: bool,
) -> tuple[Params, optax.OptState, jax.Array]:
    """``n_steps`` Adam steps on random minibatches, as one compiled scan (valences held fixed
    when ``freeze_valence``)."""
    optimizer = optax.adam(learning_rate)
    grad_fn = jax.value_and_grad(_loss)

    def step(
        carry: tuple[Params, optax.OptState], step_key: jax.Array
    ) -> tuple[tuple[Params, optax.OptState], jax.Array]:
        p, s = carry
        idx = jax.random.randint(step_key, (batch_size,), 0, tokens.shape[0])
        loss, grads = grad_fn(p, model, tokens[idx], lengths[idx], labels[idx], l2)
        if freeze_valence:
            grads = {**grads, "valence": jnp.zeros_like(grads["valence"])}
        updates, s = optimizer.update(grads, s, p)
        return (optax.apply_updates(p, updates), s), loss

    (params, state), losses = jax.lax.scan(step, (params, state), jax.random.split(key, n_steps))
    return params, state, losses


class FitResult(NamedTuple):
    """params: fitted parameters (with validation: those of the best validation step);
    model: the family member; loss_history: [n_steps] minibatch losses; train_accuracy:
    accuracy on the training arrays; best_step: the step whose parameters were kept (n_steps
    without validation; 0 means the starting point was never beaten); valid_accuracy: the
    kept parameters' validation accuracy (NaN without validation)."""

    params: Params
    model: AugmentedBow
    loss_history: np.ndarray
    train_accuracy: float
    best_step: int = -1
    valid_accuracy: float = float("nan")


def train_augmented_bow(
    model: AugmentedBow,
    tokens: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    *,
    n_steps: int = 3000,
    batch_size: int = 256,
    learning_rate: float = 0.05,
    l2: float = 1e-5,
    seed: int = 0,
    init: Params | None = None,
    valid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    eval_every: int = 250,
    freeze_valence: bool = False,
) -> FitResult:
    """Fit one member of the family with Adam on random minibatches.

    Args:
        model: the variant, vocabulary size and modifier set.
        tokens: [N, L] int token ids, zero-padded. lengths: [N]. labels: [N] in {0, 1}.
        n_steps, batch_size, learning_rate: Adam on minibatches drawn with replacement.
        l2: weight of Σ v² (valences only) added to the mean log-loss.
        init: starting parameters (default :func:`init_params`: plain bag-of-words at zero).
        valid: (tokens [N_v, L_v], lengths [N_v], labels [N_v]): when given, the parameters
            are scored on it at step 0 and every ``eval_every`` steps and the best are kept
            (ties go to the earlier step). Started from a fitted baseline, the result is then
            never below the baseline on validation.
        freeze_valence: keep the valences v at ``init`` (train only b, α, τ, β): the
            augmentation is then measured on top of the baseline's own word weights.
    Returns:
        FitResult.
    """
    params = init_params(model) if init is None else init
    optimizer_state = optax.adam(learning_rate).init(params)
    groups = length_groups(np.asarray(lengths))
    arrays = [(jnp.asarray(np.asarray(tokens)[g][:, :width], jnp.int32),
               jnp.asarray(np.asarray(lengths)[g], jnp.int32),
               jnp.asarray(np.asarray(labels)[g], jnp.int32)) for g, width in groups]
    sizes = np.array([len(g) for g, _ in groups], np.float64)
    pick = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    chunk = n_steps if valid is None else max(1, min(eval_every, n_steps))
    if len(groups) > 1:  # switch length group often, so that Adam sees a mix
        chunk = min(chunk, GROUP_CHUNK)
    best_params, best_step, best_valid = params, 0, float("nan")
    if valid is not None:
        best_valid = accuracy(params, model, *valid)
    losses, done, next_eval = [], 0, eval_every
    while done < n_steps:
        size = min(chunk, n_steps - done)
        group = int(pick.choice(len(groups), p=sizes / sizes.sum())) if len(groups) > 1 else 0
        params, optimizer_state, chunk_losses = _train_chunk(
            model, params, optimizer_state, *arrays[group],
            jax.random.fold_in(key, done), size, batch_size, float(learning_rate), float(l2),
            bool(freeze_valence))
        losses.append(np.asarray(chunk_losses))
        done += size
        if valid is not None and (done >= next_eval or done == n_steps):
            next_eval = done + eval_every
            score = accuracy(params, model, *valid)
            if score > best_valid:
                best_params, best_step, best_valid = params, done, score
    if valid is None:
        best_params, best_step = params, n_steps
    history = np.concatenate(losses) if losses else np.zeros(0)
    acc = accuracy(best_params, model, tokens, lengths, labels)
    return FitResult(best_params, model, history, acc, best_step, best_valid)


#: Adam steps per compiled chunk when the documents come in several length groups
#: (:func:`rnnctx_utils.length_groups.length_groups`): the group changes between chunks, so that
#: Adam sees a mix.
GROUP_CHUNK = 25


def predict_correct(
    params: Params,
    model: AugmentedBow,
    tokens: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int = 1024,
) -> np.ndarray:
    """Per-document correctness [N] bool (for the bootstrap of the recovered fraction)."""
    tokens, lengths = np.asarray(tokens), np.asarray(lengths)
    # by length, each batch padded only to its longest document (padding is masked: exact)
    order = np.argsort(lengths, kind="stable")
    predictions = np.zeros(len(labels), bool)
    for start in range(0, len(labels), batch_size):  # bound memory on large test sets
        rows = order[start:start + batch_size]
        width = rounded_width(int(lengths[rows].max()), tokens.shape[1])
        z = logits(params, model, jnp.asarray(tokens[rows, :width]), jnp.asarray(lengths[rows]))
        predictions[rows] = np.asarray(z) > 0
    return predictions == (np.asarray(labels) == 1)


def accuracy(
    params: Params, model: AugmentedBow, tokens: np.ndarray, lengths: np.ndarray, labels: np.ndarray
) -> float:
    """Fraction of documents whose predicted sign matches the label."""
    return float(predict_correct(params, model, tokens, lengths, labels).mean())
