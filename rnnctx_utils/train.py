"""Training loop for the sentiment classifiers (optax, jit, best-on-validation).

One loop, :func:`fit`, trains any model given as ``logits_fn(params, tokens [B, L],
lengths [B]) -> [B]``; :func:`train_classifier` (RNN) and :func:`train_bow` (bag-of-words) call
it. The loss is the mean logistic (binary cross-entropy) loss of the labels 0/1.

Optimiser: Adam on the gradient of the loss plus an L2 penalty ``l2/2 · ‖θ‖²`` on every weight
matrix (embedding, input and recurrent weights, readout weights; not biases or h0), the whole
gradient clipped to global norm ``grad_clip``, the learning rate decayed exponentially by
``lr_decay`` every 1,000 steps.

Every ``eval_every`` steps the model is scored on the validation split; the parameters with the
best validation accuracy are the ones returned (early stopping without stopping).

Batches keep shapes few, so that ``jit`` compiles only a handful of times: a batch's length is
rounded up to a bucket (:func:`bucket_length`; short runs use a single width, see
:func:`single_width`), and a short last batch is padded with empty rows that carry zero weight
in the loss (:mod:`rnnctx_utils.train_batches`, re-exported here). The optimiser works on the
parameters raveled into one vector (:class:`FlatTrainer`), which halves the compilation time of
the step.
"""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from rnnctx_utils import models
from rnnctx_utils.train_batches import BatchFn as BatchFn
from rnnctx_utils.train_batches import LabelledData as LabelledData
from rnnctx_utils.train_batches import _endless_batches, _pad_batch
from rnnctx_utils.train_batches import bucket_length as bucket_length
from rnnctx_utils.train_batches import single_width as single_width

Params = Any
LogitsFn = Callable[[Params, jax.Array, jax.Array], jax.Array]

# Parameter names that are biases or initial states: never L2-penalised.
_NO_DECAY = frozenset({"b", "h0", "readout_b", "bias"})
_EVAL_BATCH = 256
_MAX_PRINTED_LINES = 10


class TrainingError(RuntimeError):
    """Training diverged (a non-finite loss); the message names the step and the fix."""


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation hyperparameters (the training fields of :class:`rnnctx_utils.config.Config`)."""

    n_steps: int = 3_000
    batch_size: int = 64
    learning_rate: float = 5e-3
    lr_decay: float = 0.7
    grad_clip: float = 1.0
    l2: float = 1e-5
    eval_every: int = 250
    seed: int = 0

    @classmethod
    def from_config(cls, cfg: Any, **changes: Any) -> TrainSettings:
        """The settings of a :class:`~rnnctx_utils.config.Config`, with optional changes."""
        values = {name: getattr(cfg, name) for name in cls.__dataclass_fields__}
        values.update(changes)
        return cls(**values)


class TrainResult(NamedTuple):
    """What :func:`fit` returns.

    params: the best-on-validation parameters.
    history: lists, one entry per evaluation: ``step``, ``train_loss`` and ``train_accuracy``
        (means over the steps since the previous evaluation), ``valid_loss``,
        ``valid_accuracy``, ``learning_rate``, ``seconds`` (since the start).
    metrics: ``{split}_loss`` and ``{split}_accuracy`` of the returned parameters for
        train / valid / test, plus ``best_step``, ``n_steps``, ``train_seconds`` (wall time of
        the loop, compilations and validation passes included) and ``tokens_per_second``
        (non-padding training tokens over ``train_seconds``), ``padding_fraction`` (the share
        of computed token slots that were padding: the cost of length buckets).
    """

    params: Params
    history: dict[str, list[float]]
    metrics: dict[str, float]


# ---------------------------------------------------------------------------------------------
# Loss, optimiser, evaluation


def decay_mask(params: Params) -> Params:
    """Pytree of bools: True for the weights the L2 penalty applies to (not biases, not h0)."""

    def mark(path: tuple[Any, ...], _: Any) -> bool:
        last = path[-1]
        name = getattr(last, "key", getattr(last, "name", str(last)))
        return name not in _NO_DECAY

    return jax.tree_util.tree_map_with_path(mark, params)


def make_optimizer(settings: TrainSettings) -> optax.GradientTransformation:
    """Global-norm clipping → Adam → learning rate decayed by ``lr_decay`` every 1,000 steps.

    The L2 term is added to the gradient before this (see :class:`FlatTrainer`).
    """
    schedule = optax.exponential_decay(
        settings.learning_rate, transition_steps=1_000, decay_rate=settings.lr_decay
    )
    return optax.chain(
        optax.clip_by_global_norm(settings.grad_clip),
        optax.scale_by_adam(),
        optax.scale_by_learning_rate(schedule),
    )


def _weighted_loss(
    logits: jax.Array, labels: jax.Array, weights: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Weighted mean logistic loss and accuracy of logits [B] against labels [B] in {0, 1}."""
    losses = optax.sigmoid_binary_cross_entropy(logits, labels)
    correct = ((logits > 0).astype(jnp.float32) == labels).astype(jnp.float32)
    total = jnp.maximum(weights.sum(), 1.0)
    return (weights * losses).sum() / total, (weights * correct).sum() / total


class FlatTrainer(NamedTuple):
    """Jitted functions on the parameters raveled into one vector ``theta [P]``.

    Optimising one vector instead of a pytree of arrays makes the optimiser a handful of fused
    kernels instead of a handful per parameter array: the training step compiles about twice
    as fast on CPU, at the same speed per step.

    optimizer: :func:`make_optimizer`; its state lives on ``theta``.
    step: ``(theta, opt_state, tokens, lengths, labels, weights) -> (theta, opt_state, loss,
        accuracy)``; the gradient of the weighted mean logistic loss plus ``l2 · mask ⊙ theta``
        (L2 on weights, not biases), then the optimiser.
    logits: ``(theta, tokens, lengths) -> [B]``.
    unravel: ``theta -> params`` pytree.
    ravel: ``params -> theta``.
    """

    optimizer: optax.GradientTransformation
    step: Callable[..., tuple[jax.Array, Any, jax.Array, jax.Array]]
    logits: Callable[[jax.Array, Any, Any], jax.Array]
    unravel: Callable[[jax.Array], Params]
    ravel: Callable[[Params], jax.Array]


def flat_trainer(logits_fn: LogitsFn, params: Params, settings: TrainSettings) -> FlatTrainer:
    """The :class:`FlatTrainer` for a model and its parameter shapes (cached: a second run
    with another seed or step count reuses the first run's compilations)."""
    leaves, treedef = jax.tree_util.tree_flatten(params)
    shapes = tuple((tuple(np.shape(leaf)), str(jnp.result_type(leaf))) for leaf in leaves)
    return _flat_trainer(logits_fn, treedef, shapes, settings.learning_rate,
                         settings.lr_decay, settings.grad_clip, settings.l2)


@functools.lru_cache(maxsize=16)
def _flat_trainer(
    logits_fn: LogitsFn, treedef: Any, shapes: tuple[tuple[tuple[int, ...], str], ...],
    learning_rate: float, lr_decay: float, grad_clip: float, l2: float,
) -> FlatTrainer:
    template = jax.tree_util.tree_unflatten(
        treedef, [np.zeros(shape, dtype) for shape, dtype in shapes])
    _, unravel = ravel_pytree(template)
    mask_tree = jax.tree_util.tree_map(
        lambda leaf, decay: np.full(np.shape(leaf), float(decay), np.float32),
        template, decay_mask(template))
    l2_mask = l2 * ravel_pytree(mask_tree)[0]
    optimizer = make_optimizer(TrainSettings(learning_rate=learning_rate, lr_decay=lr_decay,
                                             grad_clip=grad_clip, l2=l2))

    def loss_fn(theta: jax.Array, tokens: jax.Array, lengths: jax.Array, labels: jax.Array,
                weights: jax.Array) -> tuple[jax.Array, jax.Array]:
        return _weighted_loss(logits_fn(unravel(theta), tokens, lengths), labels, weights)

    @jax.jit
    def step(theta: jax.Array, opt_state: Any, tokens: jax.Array, lengths: jax.Array,
             labels: jax.Array, weights: jax.Array) -> tuple[jax.Array, Any, jax.Array,
                                                             jax.Array]:
        (loss, accuracy), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            theta, tokens, lengths, labels, weights
        )
        updates, opt_state = optimizer.update(grads + l2_mask * theta, opt_state, theta)
        return theta + updates, opt_state, loss, accuracy

    @jax.jit
    def logits(theta: jax.Array, tokens: Any, lengths: Any) -> jax.Array:
        return logits_fn(unravel(theta), tokens, lengths)

    def ravel(params: Params) -> jax.Array:
        return ravel_pytree(params)[0]

    return FlatTrainer(optimizer, step, logits, unravel, ravel)


def evaluate(
    logits_fn: LogitsFn, params: Params, data: LabelledData, batch_size: int = _EVAL_BATCH
) -> tuple[float, float]:
    """Mean logistic loss and accuracy of ``params`` on a whole split.

    Documents are sorted by length and run in fixed-size, length-bucketed batches, so the
    padding (which never changes a logit) costs little.
    """
    jitted = _jitted(logits_fn)
    return _evaluate(lambda tokens, lengths: jitted(params, tokens, lengths), data, batch_size)


def _evaluate(
    logits_of: Callable[[np.ndarray, np.ndarray], jax.Array], data: LabelledData,
    batch_size: int = _EVAL_BATCH,
) -> tuple[float, float]:
    if data.n_docs == 0:
        return float("nan"), float("nan")
    order = np.argsort(data.lengths, kind="stable")
    width = single_width(data, data.n_docs)
    loss_sum = correct_sum = 0.0
    for start in range(0, data.n_docs, batch_size):
        index = order[start : start + batch_size]
        tokens, lengths, labels, weights = _pad_batch(
            data.tokens[index], data.lengths[index], data.labels[index], batch_size, width
        )
        logits = np.asarray(logits_of(tokens, lengths), np.float64)
        losses = np.logaddexp(0.0, logits) - labels * logits  # stable sigmoid cross-entropy
        loss_sum += float((weights * losses).sum())
        correct_sum += float((weights * ((logits > 0) == (labels > 0.5))).sum())
    return loss_sum / data.n_docs, correct_sum / data.n_docs


_JIT_CACHE: dict[Any, Any] = {}


def _jitted(logits_fn: LogitsFn) -> Any:
    """One jit wrapper per logits function, so repeated evaluations reuse compilations."""
    if logits_fn not in _JIT_CACHE:
        _JIT_CACHE[logits_fn] = jax.jit(logits_fn)
    return _JIT_CACHE[logits_fn]


# ---------------------------------------------------------------------------------------------
# Progress reporting


class _Progress:
    """A tqdm bar in a terminal; otherwise at most ~10 plain lines (notebooks, logs)."""

    def __init__(self, name: str, n_steps: int, n_evals: int, enabled: bool) -> None:
        self.enabled = enabled
        self.name = name
        self.n_steps = n_steps
        self.print_every = max(1, math.ceil(n_evals / _MAX_PRINTED_LINES))
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm  # noqa: PLC0415

            self.bar = tqdm(total=n_steps, desc=name, unit="step", leave=True)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def report(self, eval_index: int, row: dict[str, float], last: bool) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{row['train_loss']:.3f}",
                                 valid_acc=f"{row['valid_accuracy']:.3f}")
            return
        if last or (eval_index + 1) % self.print_every == 0:
            print(
                f"{self.name} step {int(row['step']):>6d}/{self.n_steps}  "
                f"loss {row['train_loss']:.4f}  train acc {row['train_accuracy']:.3f}  "
                f"valid acc {row['valid_accuracy']:.3f}  ({row['seconds']:.0f} s)",
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------------------------------------
# The loop


def fit(
    params: Params,
    logits_fn: LogitsFn,
    train: LabelledData,
    valid: LabelledData,
    settings: TrainSettings,
    *,
    test: LabelledData | None = None,
    batch_fn: BatchFn | None = None,
    name: str = "train",
    progress: bool = True,
) -> TrainResult:
    """Train ``params`` of ``logits_fn`` with Adam; keep the best on validation.

    Args:
        params: initial parameters (a pytree of float32 arrays).
        logits_fn: ``(params, tokens [B, L], lengths [B]) -> logits [B]``, traceable by jit.
        train, valid, test: the splits (``test`` optional; its metrics are NaN when absent).
        settings: optimisation hyperparameters.
        batch_fn: ``(data, batch_size, seed) -> iterable of batches`` with ``.tokens``,
            ``.lengths``, ``.labels`` for one epoch (default: :func:`rnnctx_utils.text.batches`).
        name: label of the progress lines.
        progress: show a progress bar / progress lines.

    Returns:
        :class:`TrainResult` (best parameters, history, metrics).

    Raises:
        TrainingError: the loss became NaN or infinite (names the step and the fix).
    """
    trainer = flat_trainer(logits_fn, params, settings)
    theta = trainer.ravel(params)
    opt_state = trainer.optimizer.init(theta)
    schedule = optax.exponential_decay(settings.learning_rate, 1_000, settings.lr_decay)
    width = single_width(train, settings.n_steps * settings.batch_size)
    batches = _endless_batches(train, settings.batch_size, settings.seed, batch_fn, width)

    eval_steps = sorted(
        set(range(settings.eval_every, settings.n_steps + 1, settings.eval_every))
        | {settings.n_steps}
    )
    progress_bar = _Progress(name, settings.n_steps, len(eval_steps), progress)
    history: dict[str, list[float]] = {key: [] for key in (
        "step", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy",
        "learning_rate", "seconds")}
    best: tuple[float, float] = (-1.0, -math.inf)  # (valid accuracy, -valid loss)
    best_theta, best_step = theta, 0
    pending: list[tuple[jax.Array, jax.Array]] = []  # device scalars not yet checked
    n_tokens = n_cells = 0  # real tokens, and token slots computed (padding included)
    start = time.perf_counter()
    step = 0
    try:
        for eval_index, eval_step in enumerate(eval_steps):
            losses: list[float] = []
            accuracies: list[float] = []
            first = step + 1
            while step < eval_step:
                tokens, lengths, labels, weights = next(batches)
                n_tokens += int(lengths.sum())
                n_cells += tokens.size
                theta, opt_state, loss, accuracy = trainer.step(
                    theta, opt_state, tokens, lengths, labels, weights
                )
                pending.append((loss, accuracy))
                step += 1
                # Pull results to the host only now and then: keeps dispatch asynchronous.
                if len(pending) == 25 or step == eval_step:
                    _check_finite(pending, step - len(pending) + 1, settings)
                    losses += [float(lo) for lo, _ in pending]
                    accuracies += [float(ac) for _, ac in pending]
                    progress_bar.advance(len(pending))
                    pending = []
            valid_loss, valid_accuracy = _evaluate(functools.partial(trainer.logits, theta),
                                                   valid)
            row = {
                "step": float(eval_step), "train_loss": float(np.mean(losses)),
                "train_accuracy": float(np.mean(accuracies)), "valid_loss": valid_loss,
                "valid_accuracy": valid_accuracy,
                "learning_rate": float(schedule(first - 1)),
                "seconds": time.perf_counter() - start,
            }
            for key, value in row.items():
                history[key].append(value)
            if (valid_accuracy, -valid_loss) > best:
                best, best_theta, best_step = (valid_accuracy, -valid_loss), theta, eval_step
            progress_bar.report(eval_index, row, last=eval_index == len(eval_steps) - 1)
    finally:
        progress_bar.close()
    seconds = time.perf_counter() - start

    metrics: dict[str, float] = {}
    splits = {"train": train, "valid": valid, "test": test}
    for split, data in splits.items():
        loss_value, accuracy_value = (
            _evaluate(functools.partial(trainer.logits, best_theta), data)
            if data is not None else (math.nan, math.nan)
        )
        metrics[f"{split}_loss"] = loss_value
        metrics[f"{split}_accuracy"] = accuracy_value
    metrics.update(
        best_step=float(best_step), n_steps=float(settings.n_steps), train_seconds=seconds,
        tokens_per_second=n_tokens / max(seconds, 1e-9),
        padding_fraction=1.0 - n_tokens / max(n_cells, 1),
    )
    return TrainResult(trainer.unravel(best_theta), history, metrics)


def _check_finite(
    pending: list[tuple[jax.Array, jax.Array]], first_step: int, settings: TrainSettings
) -> None:
    """Raise TrainingError at the first non-finite loss among the pending steps."""
    for offset, (loss, _) in enumerate(pending):
        if not math.isfinite(float(loss)):
            raise TrainingError(
                f"training loss is {float(loss)} at step {first_step + offset} "
                f"(learning_rate={settings.learning_rate}, grad_clip={settings.grad_clip}); "
                "the optimisation diverged. Lower the learning rate (e.g. "
                f"RNNCTX_LEARNING_RATE={settings.learning_rate / 3:.2g}) or the gradient "
                f"clip (RNNCTX_GRAD_CLIP={settings.grad_clip / 2:.2g}) and train again."
            )


# ---------------------------------------------------------------------------------------------
# The two models of the book


def train_classifier(
    train: LabelledData,
    valid: LabelledData,
    settings: TrainSettings,
    *,
    cell_name: str,
    vocab_size: int,
    n_embed: int,
    n_hidden: int,
    test: LabelledData | None = None,
    batch_fn: BatchFn | None = None,
    progress: bool = True,
    **cell_kwargs: Any,
) -> TrainResult:
    """Initialise (from ``settings.seed``) and train an RNN classifier; see :func:`fit`.

    Args:
        train, valid, test: the splits (see :class:`LabelledData`).
        settings: optimisation hyperparameters.
        cell_name, vocab_size, n_embed, n_hidden: the model (see
            :func:`rnnctx_utils.models.init_classifier`).
        **cell_kwargs: passed to the cell's ``init``.
    """
    params = models.init_classifier(
        jax.random.PRNGKey(settings.seed), cell_name, vocab_size, n_embed, n_hidden,
        **cell_kwargs,
    )
    return fit(
        params, _classifier_logits_fn(cell_name), train, valid, settings, test=test,
        batch_fn=batch_fn, name=cell_name.upper(), progress=progress,
    )


_LOGITS_FNS: dict[str, LogitsFn] = {}


def _classifier_logits_fn(cell_name: str) -> LogitsFn:
    """One (hashable, cached) logits function per cell, so jit caches are reused."""
    if cell_name not in _LOGITS_FNS:

        def logits_fn(params: Params, tokens: jax.Array, lengths: jax.Array) -> jax.Array:
            return models.training_logits(params, cell_name, tokens, lengths)

        _LOGITS_FNS[cell_name] = logits_fn
    return _LOGITS_FNS[cell_name]


def train_bow(
    train: LabelledData,
    valid: LabelledData,
    settings: TrainSettings,
    *,
    vocab_size: int,
    test: LabelledData | None = None,
    batch_fn: BatchFn | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train the bag-of-words logistic regression (:func:`rnnctx_utils.models.bow_logits`)."""
    return fit(
        models.init_bow(vocab_size), models.bow_logits, train, valid, settings, test=test,
        batch_fn=batch_fn, name="BoW", progress=progress,
    )
