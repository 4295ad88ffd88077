"""P2's toy language (§4): twelve symbols, a running-sum target, and the regression GRU.

The language
    Twelve one-hot symbols. Six are noise (``and a the for it while``, valence 0); four carry
    valence (``good`` +1, ``bad`` −1, ``awesome`` +2, ``awful`` −2); two are modifiers:
    ``not`` flips the sign of the contributions of the next :data:`NOT_WINDOW` = 4 tokens and
    ``very`` doubles the contribution of the next :data:`VERY_WINDOW` = 1 token. The target at
    every step is the running sum of contributions, so the network must output the sentiment
    *so far* after every token (regression, loss on every step).

How overlapping modifiers combine (the authors' notebook implements each modifier as a
counter that a new occurrence resets; this is the same rule written as windows)
    contribution_t = valence(x_t) · (−1 if any ``not`` is among tokens t−4 … t−1 else 1)
                                  · (2 if token t−1 is ``very`` else 1).
    So "not not good" → −1 (negation does not cancel: a second ``not`` restarts the window),
    "not very good" → −2, "very not good" → −1 (``very`` acts only on the next token, which is
    ``not``, whose valence is 0).

The network (P2 §4, the authors' notebook)
    GRU with 100 units (``rnnctx_utils.cells``, h' = u ⊙ h + (1 − u) ⊙ c), trainable initial
    state h_0, update-gate bias +0.5, Gaussian state noise σ = 0.003 added after every step
    during training only, linear readout y_t = w·h_t + b at every step, loss = mean squared
    error over every step plus L2 1e-4 on the weights. Adam (eps 0.1), learning rate
    0.04 · 0.99995^step, global-norm clipping at 10, batch 128, 40,000 steps, trained on
    100,000 random sequences of length 50 with tokens drawn uniformly.

The analysis (P2 §4 and its supplementary figures 13–14)
    :func:`toy_fixed_points` (at x* = 0 as the authors, or at :data:`NOISE_INPUT`),
    :func:`anchor_index` (the fixed point nearest the probe states), :func:`spectrum`
    (eigenmodes of J_rec there), :func:`mode_angles` / :func:`closest_group` (which modes a
    modifier's deflection excites), :func:`probe_effects` (the 16 probes: rule, network and
    linear prediction wᵀ J_inp(h_ctx, 0) x), :func:`mode_ablation` (cut one mode or
    conjugate pair from a deflection, run the real network, measure the modifier's gain).
    :func:`analyse` runs all of them in the chapter's order and :func:`headline_numbers` turns
    the result into the numbers the chapter quotes; benchmarks/toy_full_schedule.py applies
    the same two functions to the authors' full 40,000-step schedule and writes
    :data:`FULL_SCHEDULE_PATH`, which the chapter reads (:func:`load_full_schedule`).

Everything is a function of ``(params, arrays)``; :func:`trained_toy_model` is the one call a
chapter needs (it trains only when no valid cache entry exists).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnctx_utils import cells

Params = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# The language

NOISE_WORDS = ("and", "a", "the", "for", "it", "while")
VALENCE_WORDS = ("good", "bad", "awesome", "awful")
VOCABULARY: tuple[str, ...] = NOISE_WORDS + VALENCE_WORDS + ("not", "very")
N_SYMBOLS = len(VOCABULARY)
WORD_ID = {word: i for i, word in enumerate(VOCABULARY)}
NOT_ID = WORD_ID["not"]
VERY_ID = WORD_ID["very"]
VALENCE = {"good": 1.0, "bad": -1.0, "awesome": 2.0, "awful": -2.0}
# valence of every symbol, indexed by token id: [N_SYMBOLS]
VALENCE_TABLE = np.array([VALENCE.get(word, 0.0) for word in VOCABULARY], np.float32)
NOT_WINDOW = 4
VERY_WINDOW = 1
VERY_GAIN = 2.0
_VALENCE_INT8 = VALENCE_TABLE.astype(np.int8)


def encode(words: str | Sequence[str]) -> np.ndarray:
    """Token ids of a sentence: ``encode("not good")`` → [T] int32 (unknown word: KeyError)."""
    if isinstance(words, str):
        words = words.split()
    return np.array([WORD_ID[w] for w in words], np.int32)


def decode(tokens: Iterable[int]) -> str:
    """The sentence of token ids [T] (inverse of :func:`encode`)."""
    return " ".join(VOCABULARY[int(t)] for t in tokens)


def generate_tokens(n_sequences: int, seq_len: int, seed: int) -> np.ndarray:
    """Random sequences with every symbol equally likely: tokens [n_sequences, seq_len] int32.

    One vectorised draw (100,000 × 50 in a few milliseconds).
    """
    rng = np.random.default_rng(seed)
    return rng.integers(0, N_SYMBOLS, size=(n_sequences, seq_len), dtype=np.int32)


def _follows(mask: np.ndarray, window: int) -> np.ndarray:
    """[..., T] bool: True at t when mask is True somewhere in t − window … t − 1."""
    recent = np.zeros_like(mask)
    for lag in range(1, window + 1):
        recent[..., lag:] |= mask[..., :-lag]
    return recent


def contributions(tokens: np.ndarray) -> np.ndarray:
    """Each token's contribution to the sentiment: [..., T] float32 for tokens [..., T].

    valence · (−1 if a ``not`` is among the previous 4 tokens) · (2 if the previous token is
    ``very``); see the module docstring for overlapping modifiers.
    """
    return _integer_contributions(np.asarray(tokens)).astype(np.float32)


def _integer_contributions(tokens: np.ndarray) -> np.ndarray:
    """contributions() in int8 arithmetic (valences and gains are small integers: 5× faster)."""
    values = _VALENCE_INT8[tokens]
    np.negative(values, out=values, where=_follows(tokens == NOT_ID, NOT_WINDOW))
    np.multiply(values, np.int8(VERY_GAIN), out=values,
                where=_follows(tokens == VERY_ID, VERY_WINDOW))
    return values


def targets(tokens: np.ndarray) -> np.ndarray:
    """Running sum of contributions, the regression target at every step: [..., T] float32."""
    # |sum| <= 4 per token, so int16 holds any sequence shorter than 8,000 tokens exactly.
    sums = np.cumsum(_integer_contributions(np.asarray(tokens)), axis=-1, dtype=np.int16)
    return sums.astype(np.float32)


def one_hot(tokens: np.ndarray | jax.Array) -> jax.Array:
    """[..., T] int → [..., T, N_SYMBOLS] float32 inputs."""
    return jax.nn.one_hot(tokens, N_SYMBOLS, dtype=jnp.float32)


def word_vector(word: str) -> jax.Array:
    """The one-hot input vector of a word: [N_SYMBOLS]."""
    return one_hot(jnp.asarray(WORD_ID[word]))


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class ToySettings:
    """Data, model and optimiser of the toy experiment (defaults: the authors' recipe).

    lr(step) = learning_rate · lr_decay^step. ``n_steps`` optimisation steps on batches of
    ``batch_size`` sequences drawn (with reshuffling every epoch) from ``n_train`` fixed
    training sequences of ``seq_len`` tokens.
    """

    n_hidden: int = 100
    n_train: int = 100_000
    seq_len: int = 50
    update_bias: float = 0.5
    state_noise: float = 0.003
    batch_size: int = 128
    n_steps: int = 40_000
    learning_rate: float = 0.04
    lr_decay: float = 0.99995
    adam_eps: float = 0.1
    grad_clip: float = 10.0
    l2: float = 1e-4
    seed: int = 0

    def replace(self, **changes: Any) -> ToySettings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view (JSON serialisable)."""
        return dataclasses.asdict(self)

    def compressed(self, n_steps: int) -> ToySettings:
        """The same schedule squeezed into ``n_steps``: equal first and last learning rates.

        lr_decay' = lr_decay^(n_steps_authors / n_steps), so lr falls by the same factor
        (0.99995^40000 ≈ 0.135) over the shorter run.
        """
        decay = float(self.lr_decay ** (self.n_steps / n_steps))
        return self.replace(n_steps=n_steps, lr_decay=decay)


AUTHORS_SETTINGS = ToySettings()
# The book's schedule: the authors' recipe compressed to BOOK_STEPS steps (the chapter gives
# the timing that set it).
BOOK_STEPS = 2_000
# The fast schedule (tests, RNNCTX_FAST=1): a 32-unit GRU on sequences of 25 tokens, about
# 15 s on two CPU cores; its spectrum already shows the line attractor and the "not" pair.
FAST_SETTINGS = ToySettings(n_hidden=32, n_train=20_000, seq_len=25, batch_size=64).compressed(
    2_000)


def book_settings(fast: bool = False) -> ToySettings:
    """The schedule the chapter trains: ``fast`` is the seconds-long test version."""
    return FAST_SETTINGS if fast else AUTHORS_SETTINGS.compressed(BOOK_STEPS)


# ---------------------------------------------------------------------------------------------
# The regression GRU

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


def readout(params: Params, states: jax.Array) -> jax.Array:
    """w·h + b for states [..., n] → [...]."""
    return states @ params["readout_w"] + params["readout_b"]


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


def _l2_penalty(params: Params) -> jax.Array:
    """Sum of squared weights: input A, recurrent W and readout w (not biases, not h_0)."""
    cell_params = params["cell"]
    return (jnp.sum(cell_params["A"] ** 2) + jnp.sum(cell_params["W"] ** 2)
            + jnp.sum(params["readout_w"] ** 2))


def loss_fn(
    params: Params, tokens: jax.Array, target: jax.Array, noise_key: jax.Array,
    noise_std: float, l2: float,
) -> tuple[jax.Array, jax.Array]:
    """(MSE over every step + l2 · Σ w², MSE) for tokens [B, T], target [B, T]."""
    states = rollout(params, tokens, noise_key=noise_key, noise_std=noise_std)
    mse = jnp.mean((readout(params, states) - target) ** 2)
    return mse + l2 * _l2_penalty(params), mse


def optimizer(settings: ToySettings) -> optax.GradientTransformation:
    """Global-norm clipping, then Adam with an exponentially decaying learning rate."""
    schedule = optax.exponential_decay(settings.learning_rate, 1, settings.lr_decay)
    return optax.chain(
        optax.clip_by_global_norm(settings.grad_clip),
        optax.adam(schedule, eps=settings.adam_eps),
    )


def _optimizer_settings(settings: ToySettings) -> ToySettings:
    """The settings with the fields the update step does not read set to defaults, so runs
    that differ only in data, seed or length share one compiled update."""
    return ToySettings(state_noise=settings.state_noise, learning_rate=settings.learning_rate,
                       lr_decay=settings.lr_decay, adam_eps=settings.adam_eps,
                       grad_clip=settings.grad_clip, l2=settings.l2)


@functools.lru_cache(maxsize=8)
def _update_function(settings: ToySettings) -> Callable[..., Any]:
    """The jitted training step (compiled once per optimiser setting, then reused)."""
    opt = optimizer(settings)

    @jax.jit
    def update(params: Params, opt_state: Any, tokens: jax.Array, target: jax.Array,
               noise_key: jax.Array) -> tuple[Params, Any, jax.Array]:
        grads, mse = jax.grad(loss_fn, has_aux=True)(
            params, tokens, target, noise_key, settings.state_noise, settings.l2)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, mse

    return update


class ToyModel(NamedTuple):
    """A trained toy GRU.

    params: see :func:`init_params`; settings: how it was trained; history: ``{"step": [k],
    "mse": [k]}`` training MSE averaged over windows; train_seconds: wall time of training.
    """

    params: Params
    settings: ToySettings
    history: dict[str, np.ndarray]
    train_seconds: float


def train(
    settings: ToySettings,
    log_every: int = 200,
    progress: Callable[[int, float], None] | None = None,
) -> ToyModel:
    """Train the regression GRU on ``settings.n_train`` random sequences.

    ``progress(step, mse)`` is called every ``log_every`` steps (e.g. ``print``).
    """
    key = jax.random.PRNGKey(settings.seed)
    key, init_key = jax.random.split(key)
    params = init_params(init_key, settings)
    train_tokens = generate_tokens(settings.n_train, settings.seq_len, settings.seed)
    train_targets = targets(train_tokens)
    update = _update_function(_optimizer_settings(settings))
    opt_state = optimizer(settings).init(params)

    rng = np.random.default_rng(settings.seed + 1)
    n_batches = settings.n_train // settings.batch_size
    order = rng.permutation(settings.n_train)
    steps, mses, window = [], [], []
    start = time.perf_counter()
    for step in range(settings.n_steps):
        position = step % n_batches
        if position == 0 and step > 0:
            order = rng.permutation(settings.n_train)
        index = order[position * settings.batch_size : (position + 1) * settings.batch_size]
        key, noise_key = jax.random.split(key)
        params, opt_state, mse = update(params, opt_state, train_tokens[index],
                                        train_targets[index], noise_key)
        window.append(mse)
        if (step + 1) % log_every == 0 or step + 1 == settings.n_steps:
            mean_mse = float(np.mean(jax.device_get(window)))
            steps.append(step + 1)
            mses.append(mean_mse)
            window = []
            if progress is not None:
                progress(step + 1, mean_mse)
    params = jax.device_get(params)
    history = {"step": np.array(steps), "mse": np.array(mses)}
    return ToyModel(params, settings, history, time.perf_counter() - start)


def evaluation_mse(params: Params, n_sequences: int = 2_000, seq_len: int = 50,
                   seed: int = 12_345) -> float:
    """MSE over every step on fresh random sequences (no state noise)."""
    tokens = generate_tokens(n_sequences, seq_len, seed)
    prediction = jax.jit(predictions)(params, jnp.asarray(tokens))
    return float(jnp.mean((prediction - targets(tokens)) ** 2))


# ---------------------------------------------------------------------------------------------
# The cache: train once per (settings, package source)

_CACHE_PREFIX = "toy-"


def settings_digest(settings: ToySettings) -> str:
    """``toy-`` + SHA-256 (16 hex) of the settings' canonical JSON: the cache key's first half
    (:mod:`rnnctx_utils.artifacts` appends the digest of the package source)."""
    payload = json.dumps(settings.to_dict(), sort_keys=True, separators=(",", ":"))
    return _CACHE_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:16]


def trained_toy_model(
    settings: ToySettings, progress: Callable[[int, float], None] | None = None
) -> ToyModel:
    """The trained toy GRU for ``settings``: loaded from the cache, or trained and cached.

    The entry's name holds the digest of every setting and of the toy's training code
    (:data:`rnnctx_utils.artifacts.TOY_TRAINING_MODULES`), so a change to either retrains.
    """
    from rnnctx_utils import artifacts

    key = settings_digest(settings)
    # the toy's own code digest, taken before training (artifacts.TOY_TRAINING_MODULES)
    source = artifacts.source_digest(modules=artifacts.TOY_TRAINING_MODULES)
    entry = artifacts.load_entry(key, source)
    if entry is not None:
        records = entry.records
        history = {name: np.asarray(values) for name, values in records["history"].items()}
        params = jax.tree_util.tree_map(jnp.asarray, entry.trees["params"])
        return ToyModel(params, settings, history, float(records["train_seconds"]))
    model = train(settings, progress=progress)
    artifacts.save_entry(
        key,
        {"params": model.params},
        {"settings": settings.to_dict(), "train_seconds": model.train_seconds,
         "history": {name: values.tolist() for name, values in model.history.items()}},
        source=source,
    )
    return model


# ---------------------------------------------------------------------------------------------
# Dynamics of the trained network

ZERO_INPUT = np.zeros(N_SYMBOLS, np.float32)  # "no token": the authors' linearisation point
# The mean of the six noise words' one-hot vectors: an input the network actually sees
# between sentiment words (x = 0 never occurs in training).
NOISE_INPUT = np.eye(N_SYMBOLS, dtype=np.float32)[[WORD_ID[w] for w in NOISE_WORDS]].mean(0)
FIXED_POINT_TOLERANCE = 2e-6  # the authors' q threshold


def visited_states(params: Params, n_sequences: int = 200, seq_len: int = 50,
                   seed: int = 7) -> np.ndarray:
    """Every state on fresh random sequences: [n_sequences * seq_len, n]."""
    tokens = jnp.asarray(generate_tokens(n_sequences, seq_len, seed))
    states = jax.jit(rollout)(params, tokens)
    return np.asarray(states).reshape(-1, states.shape[-1])


class ToyFixedPoints(NamedTuple):
    """Unique fixed points of the toy GRU at a constant input, sorted by readout.

    points: [k, n]; readouts: [k] (w·h* + b, ascending); q: [k] (½‖h − F(h, x*)‖²);
    n_seeds: seeds started; n_below_tolerance: seeds that ended with q below ``tolerance``;
    x_star: [12] the constant input.
    """

    points: np.ndarray
    readouts: np.ndarray
    q: np.ndarray
    n_seeds: int
    n_below_tolerance: int
    tolerance: float
    x_star: np.ndarray


def toy_fixed_points(
    params: Params, n_seeds: int = 1_000, tolerance: float = FIXED_POINT_TOLERANCE,
    radius: float = 1e-3, seed: int = 0, x_star: np.ndarray = ZERO_INPUT,
) -> ToyFixedPoints:
    """Fixed points h* = F(h*, x_star): Adam descent on q from ``n_seeds`` visited states,
    each stopping once q < ``tolerance`` (the authors' procedure), the converged ones
    de-duplicated at ``radius`` (state units) and sorted by readout (the coordinate along
    the line attractor)."""
    from rnnctx_utils import fixed_points

    states = visited_states(params)
    rng = np.random.default_rng(seed)
    seeds = states[rng.choice(len(states), size=min(n_seeds, len(states)), replace=False)]
    result = fixed_points.find_fixed_points(bound_step(params), seeds, np.asarray(x_star),
                                            tol=tolerance)
    converged = result.subset(np.flatnonzero(result.converged))
    unique = fixed_points.deduplicate(converged, radius=radius)
    points = np.asarray(unique.points, np.float32)
    values = np.asarray(readout(params, jnp.asarray(points)))
    order = np.argsort(values)
    return ToyFixedPoints(points[order], values[order], np.asarray(unique.q)[order],
                          len(seeds), int(result.converged.sum()), tolerance,
                          np.asarray(x_star))


def line_fit(points: np.ndarray) -> tuple[float, np.ndarray]:
    """How well the fixed points lie on a line: (fraction of variance on PC 1, PC 1 [n])."""
    centred = points - points.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    return float(variance[0] / variance.sum()), vt[0]


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


def context_state(params: Params, h_start: np.ndarray, context: str) -> np.ndarray:
    """The state after reading ``context`` (words, may be empty) from ``h_start`` [n] → [n]."""
    h = jnp.asarray(h_start)
    for word in context.split():
        h = _step(params, h, word_vector(word))
    return np.asarray(h)


def deflection(params: Params, h: np.ndarray, word: str) -> np.ndarray:
    """Δh = F(h, x_word) − h: where one token pushes the state [n]."""
    return context_state(params, h, word) - np.asarray(h)


def mode_angles(vector: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Angle in degrees between a real vector [n] and each (complex) left eigenvector
    left [k, n]: arccos(|l·v| / (‖l‖ ‖v‖)); 0° = the vector drives only that mode's
    coordinate direction, 90° = it does not excite the mode."""
    overlap = np.abs(left @ vector) / (np.linalg.norm(left, axis=1) * np.linalg.norm(vector))
    return np.degrees(np.arccos(np.clip(overlap, 0.0, 1.0)))


def conjugate_groups(eigenvalues: np.ndarray, atol: float = 1e-6) -> list[tuple[int, ...]]:
    """Modes grouped so that each complex-conjugate pair is one group: [(i,), (j, k), …]."""
    groups: list[tuple[int, ...]] = []
    used: set[int] = set()
    for i, value in enumerate(eigenvalues):
        if i in used:
            continue
        used.add(i)
        if abs(value.imag) > atol:
            partners = [j for j in range(len(eigenvalues))
                        if j not in used and abs(eigenvalues[j] - np.conj(value)) < 1e-4]
            if partners:
                used.add(partners[0])
                groups.append((i, partners[0]))
                continue
        groups.append((i,))
    return groups


class ToySpectrum(NamedTuple):
    """Linearisation of the toy GRU at a fixed point h* with zero input.

    fixed_point: [n]; eigenvalues: [n] complex, sorted by |λ| descending; right: [n, n]
    (column a is r_a); left: [n, n] (row a is l_a, with L = R⁻¹ so l_a · r_b = δ_ab);
    time_constants: [n] tokens, |1 / ln|λ||.
    """

    fixed_point: np.ndarray
    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    time_constants: np.ndarray


def spectrum(params: Params, h_star: np.ndarray) -> ToySpectrum:
    """Eigenmodes of J_rec = ∂F/∂h at (h*, 0) (through :mod:`rnnctx_utils.linearize`)."""
    from rnnctx_utils import linearize

    jacobian = linearize.recurrent_jacobians(
        bound_step(params), np.asarray(h_star)[None], ZERO_INPUT[None], float64=True)
    modes = linearize.eigenmodes(jacobian)
    return ToySpectrum(np.asarray(h_star), np.asarray(modes.eigenvalues)[0],
                       np.asarray(modes.right)[0], np.asarray(modes.left)[0],
                       np.asarray(modes.time_constants)[0])


def closest_modes(params: Params, spec: ToySpectrum, word: str, k: int = 2) -> np.ndarray:
    """Indices of the ``k`` modes whose left eigenvectors make the smallest angle with the
    deflection of ``word`` at the spectrum's fixed point: [k]."""
    angles = mode_angles(deflection(params, spec.fixed_point, word), spec.left)
    return np.argsort(angles)[:k]


def closest_group(spec: ToySpectrum, vector: np.ndarray) -> tuple[int, ...]:
    """The mode, or conjugate pair, whose left eigenvector makes the smallest angle with
    ``vector`` [n] (a deflection): e.g. ``(88, 89)`` for a pair, ``(99,)`` for a real mode."""
    angles = mode_angles(vector, spec.left)
    best = int(np.argmin(angles))
    return next(group for group in conjugate_groups(spec.eigenvalues) if best in group)


# ---------------------------------------------------------------------------------------------
# Probes: what the valence word does after a context

PROBE_CONTEXTS = ("", "very", "not", "not the the the")
PROBE_WORDS = VALENCE_WORDS


def readout_change(params: Params, h: np.ndarray, word: str) -> float:
    """w·(F(h, x_word) − F(h, 0)): the readout change the word causes at state h [n]."""
    change = _step(params, h, word_vector(word)) - _step(params, h, ZERO_INPUT)
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


# ---------------------------------------------------------------------------------------------
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


def pca_basis(states: np.ndarray, n_components: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(mean [n], components [n_components, n]) of states [m, n]."""
    mean = states.mean(axis=0)
    _, _, vt = np.linalg.svd(states - mean, full_matrices=False)
    return mean, vt[:n_components]


def trajectory(params: Params, h_start: np.ndarray, sentence: str) -> np.ndarray:
    """States from h_start through every word of ``sentence``: [T + 1, n]."""
    states = [np.asarray(h_start)]
    for word in sentence.split():
        states.append(context_state(params, states[-1], word))
    return np.stack(states)


# ---------------------------------------------------------------------------------------------
# The chapter's numbers: one analysis shared by the chapter and benchmarks/toy_full_schedule.py

N_EVAL_SEQUENCES = 2_000  # fresh sequences for the evaluation MSE
N_FIXED_POINT_SEEDS = 1_000  # seeds of the fixed-point search at x* = 0 (the authors')
N_NOISE_FIXED_POINT_SEEDS = 500  # ... at x* = NOISE_INPUT [ours]
LINE_FRACTION = 0.9  # "on a line": at least this fraction of the variance on one direction
MODIFIERS = ("not", "very")
N_RANKED_MODES = 5  # ablation ranking entries kept per modifier


def eigen_label(value: complex) -> str:
    """An eigenvalue as text: "0.93" or "0.52 ± 0.31i" (a conjugate pair as one label)."""
    if abs(value.imag) < 1e-6:
        return f"{value.real:.2f}"
    return f"{value.real:.2f} ± {abs(value.imag):.2f}i"


class ToyAnalysis(NamedTuple):
    """Everything the chapter reports about one trained toy GRU (see :func:`analyse`).

    evaluation_mse: noiseless MSE on fresh sequences; fixed / fixed_noise: unique fixed points
    at x* = 0 and at :data:`NOISE_INPUT`; visited_readouts: [m] readouts of states visited on
    random sequences; anchor: index into ``fixed`` of the fixed point nearest the context
    states; spec: the eigenmodes of J_rec there; kicks: modifier -> Δh [n] from h_0;
    angles: modifier -> [n] degrees between Δh and each left eigenvector; closest: modifier ->
    the mode (pair) with the smallest angle; probes: the 16 probes from h_0; ablations: one
    :class:`Ablation` per modifier of :data:`MODIFIERS`, from h_0.
    """

    evaluation_mse: float
    fixed: ToyFixedPoints
    fixed_noise: ToyFixedPoints
    visited_readouts: np.ndarray
    anchor: int
    spec: ToySpectrum
    kicks: dict[str, np.ndarray]
    angles: dict[str, np.ndarray]
    closest: dict[str, tuple[int, ...]]
    probes: ProbeEffects
    ablations: tuple[Ablation, ...]


def analyse(
    params: Params, seq_len: int = 50, n_seeds: int = N_FIXED_POINT_SEEDS,
    n_noise_seeds: int = N_NOISE_FIXED_POINT_SEEDS, n_eval_sequences: int = N_EVAL_SEQUENCES,
) -> ToyAnalysis:
    """The chapter's analysis of a trained toy GRU, in the chapter's order.

    1. evaluation MSE on ``n_eval_sequences`` fresh sequences of ``seq_len`` tokens;
    2. unique fixed points at x* = 0 (``n_seeds`` seeds) and at x̄ (``n_noise_seeds``);
    3. the spectrum of J_rec at the fixed point nearest the context states;
    4. the "not" and "very" kicks from h_0, their angles to every left eigenvector and the
       closest mode (pair);
    5. the 16 probes (rule, network, linear prediction) from h_0;
    6. each mode (pair) cut in turn from each modifier's kick at h_0.
    """
    h0 = np.asarray(params["h0"])
    evaluation = evaluation_mse(params, n_sequences=n_eval_sequences, seq_len=seq_len)
    fixed = toy_fixed_points(params, n_seeds=n_seeds)
    fixed_noise = toy_fixed_points(params, n_seeds=n_noise_seeds, x_star=NOISE_INPUT)
    visited_readouts = np.asarray(readout(params, jnp.asarray(visited_states(params))))
    anchor = anchor_index(params, fixed)
    spec = spectrum(params, fixed.points[anchor])
    kicks = {word: deflection(params, h0, word) for word in MODIFIERS}
    angles = {word: mode_angles(kick, spec.left) for word, kick in kicks.items()}
    closest = {word: closest_group(spec, kick) for word, kick in kicks.items()}
    probes = probe_effects(params, h0)
    ablations = tuple(mode_ablation(params, spec, word, h_start=h0) for word in MODIFIERS)
    return ToyAnalysis(evaluation, fixed, fixed_noise, visited_readouts, anchor, spec, kicks,
                       angles, closest, probes, ablations)


def _readout_range(readouts: np.ndarray) -> str:
    return f"{readouts.min():+.1f} … {readouts.max():+.1f}"


def _complex_pair(value: complex) -> list[float]:
    """[re, im] of an eigenvalue (JSON has no complex numbers)."""
    return [float(np.real(value)), float(np.imag(value))]


def _ranking(ablation: Ablation, top: int = N_RANKED_MODES) -> list[dict[str, Any]]:
    """The ``top`` mode groups that remove most of the modifier's effect, most first."""
    return [{"eigenvalue": eigen_label(ablation.eigenvalues[g]),
             "value": _complex_pair(ablation.eigenvalues[g]),
             "modes": [int(m) for m in ablation.groups[g]],
             "removed_percent": float(100 * ablation.removed[g])}
            for g in ablation.ranking[:top]]


def headline_numbers(analysis: ToyAnalysis) -> dict[str, Any]:
    """The numbers the chapter states and tabulates, as plain JSON-serialisable values.

    Keys (the chapter glues each scalar as ``toy_<key>``; percentages are 0–100):
    eval_mse; n_fixed_points, n_fp_seeds, n_fp_converged, line_fraction (% of variance on
    PC 1), on_a_line (line_fraction ≥ 100·:data:`LINE_FRACTION`), fp_readout_range,
    n_noise_fixed_points, fp_noise_readout_range, visited_readout_range (5th–95th
    percentile); anchor, anchor_readout; lambda1 (|λ₁|), top_eigenvalues ([re, im] of the
    four largest); not_pair / very_mode (labels of the closest mode (pair)), not_value /
    very_value ([re, im]), not_is_complex_pair, not_rotation (degrees per token), very_abs,
    very_rank (modes with smaller |λ|), n_modes; probe_linear_error / probe_rule_error
    (largest |linear − true| / |true − rule| over the 16 probes), probe_correlation
    (Pearson r of linear vs true), probe_true_change / probe_linear_prediction ([4][4]);
    for m in not, very: m_gain_intact, m_removed (% removed by the top-ranked group),
    m_top_is_closest (the top-ranked group is the closest mode (pair)), m_ranking.
    """
    fixed, fixed_noise, spec, probes = (analysis.fixed, analysis.fixed_noise, analysis.spec,
                                        analysis.probes)
    line = line_fit(fixed.points)[0] if len(fixed.points) > 1 else 1.0
    low, high = np.percentile(analysis.visited_readouts, [5, 95])
    not_value = spec.eigenvalues[analysis.closest["not"][0]]
    very_value = spec.eigenvalues[analysis.closest["very"][0]]
    true, linear = probes.true_change.ravel(), probes.linear_prediction.ravel()
    numbers: dict[str, Any] = {
        "eval_mse": float(analysis.evaluation_mse),
        "n_fixed_points": len(fixed.points),
        "n_fp_seeds": int(fixed.n_seeds),
        "n_fp_converged": int(fixed.n_below_tolerance),
        "line_fraction": float(100 * line),
        "on_a_line": bool(line >= LINE_FRACTION),
        "fp_readout_range": _readout_range(fixed.readouts),
        "n_noise_fixed_points": len(fixed_noise.points),
        "fp_noise_readout_range": _readout_range(fixed_noise.readouts),
        "visited_readout_range": f"{low:+.1f} … {high:+.1f}",
        "anchor": int(analysis.anchor),
        "anchor_readout": float(fixed.readouts[analysis.anchor]),
        "lambda1": float(abs(spec.eigenvalues[0])),
        "top_eigenvalues": [_complex_pair(v) for v in spec.eigenvalues[:4]],
        "not_pair": eigen_label(not_value),
        "not_value": _complex_pair(not_value),
        "not_is_complex_pair": len(analysis.closest["not"]) == 2,
        "not_rotation": float(np.degrees(abs(np.angle(not_value)))),
        "very_mode": eigen_label(very_value),
        "very_value": _complex_pair(very_value),
        "very_abs": float(abs(very_value)),
        "very_rank": int(np.sum(np.abs(spec.eigenvalues) < abs(very_value))),
        "n_modes": len(spec.eigenvalues),
        "probe_linear_error": float(np.abs(linear - true).max()),
        "probe_rule_error": float(np.abs(true - probes.target.ravel()).max()),
        "probe_correlation": float(np.corrcoef(linear, true)[0, 1]),
        "probe_true_change": probes.true_change.tolist(),
        "probe_linear_prediction": probes.linear_prediction.tolist(),
    }
    for ablation in analysis.ablations:
        word, best = ablation.modifier, ablation.ranking[0]
        numbers[f"{word}_gain_intact"] = float(ablation.gain_intact)
        numbers[f"{word}_removed"] = float(100 * ablation.removed[best])
        numbers[f"{word}_top_is_closest"] = (
            set(ablation.groups[best]) == set(analysis.closest[word]))
        numbers[f"{word}_ranking"] = _ranking(ablation)
    return numbers


# The rows of the chapter's "authors vs this book" table that :func:`table_cells` fills.
TABLE_ROWS = ("eval_mse", "fixed_points", "noise_fixed_points", "lambda1", "not_mode",
              "very_mode", "probes", "not_removed", "very_removed")


def _removed_cell(numbers: dict[str, Any], word: str) -> str:
    top = numbers[f"{word}_ranking"][0]
    return f"{numbers[f'{word}_removed']:.0f}% (λ = {top['eigenvalue']})"


def table_cells(numbers: dict[str, Any]) -> dict[str, str]:
    """One column of the chapter's "authors vs this book" table from :func:`headline_numbers`,
    keyed by :data:`TABLE_ROWS` (the same text for every model, so the columns cannot be
    formatted differently)."""
    return {
        "eval_mse": f"{numbers['eval_mse']:.4f}",
        "fixed_points": (f"{numbers['n_fixed_points']}, {numbers['line_fraction']:.0f}% of "
                         f"variance on one line, readouts {numbers['fp_readout_range']}"),
        "noise_fixed_points": f"readouts {numbers['fp_noise_readout_range']}",
        "lambda1": f"{numbers['lambda1']:.3f}",
        "not_mode": numbers["not_pair"],
        "very_mode": numbers["very_mode"],
        "probes": (f"largest gap {numbers['probe_linear_error']:.2f} "
                   f"(r = {numbers['probe_correlation']:.3f})"),
        "not_removed": _removed_cell(numbers, "not"),
        "very_removed": _removed_cell(numbers, "very"),
    }


# The full 40,000-step schedule is run once, outside the book build, by
# benchmarks/toy_full_schedule.py; the chapter reads its numbers from this file.
FULL_SCHEDULE_PATH = (Path(__file__).resolve().parents[1] / "book" / "data"
                      / "toy_full_schedule.json")
# What the chapter reads from it: the table's numbers and the provenance of the run.
FULL_SCHEDULE_KEYS = ("numbers", "settings", "train_seconds", "trained_on", "machine",
                      "git_commit")


def load_full_schedule(path: Path | str | None = None) -> dict[str, Any] | None:
    """The full-schedule report written by benchmarks/toy_full_schedule.py, or None when the
    file does not exist (default :data:`FULL_SCHEDULE_PATH`)."""
    path = FULL_SCHEDULE_PATH if path is None else Path(path)
    if not path.exists():
        return None
    report: dict[str, Any] = json.loads(path.read_text())
    missing = [key for key in FULL_SCHEDULE_KEYS if key not in report]
    if missing:
        raise ValueError(f"{path} lacks {missing}; rerun benchmarks/toy_full_schedule.py")
    return report
