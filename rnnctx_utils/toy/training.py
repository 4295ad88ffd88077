"""Training of the toy GRU (Adam on the running-sum MSE with state noise), and its cache.

:func:`train` runs the authors' recipe for a :class:`~rnnctx_utils.toy.settings.ToySettings`;
:func:`trained_toy_model` loads it from the cache of trained models
(:mod:`rnnctx_utils.artifacts`) or trains and stores it. The entry's name holds the digest of
the settings and of the toy's own training code (``artifacts.TOY_TRAINING_MODULES``: this
module, the language, the settings and the model, not the analyses or the tables).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnctx_utils.toy.language import generate_tokens, targets
from rnnctx_utils.toy.model import Params, init_params, readout, rollout
from rnnctx_utils.toy.settings import ToySettings


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
