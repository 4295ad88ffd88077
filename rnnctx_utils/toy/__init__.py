"""P2's toy language (§4): twelve symbols, a running-sum target, and the regression GRU.

The language (:mod:`rnnctx_utils.toy.language`)
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

The network (P2 §4, the authors' notebook; :mod:`~rnnctx_utils.toy.model`,
:mod:`~rnnctx_utils.toy.settings`, :mod:`~rnnctx_utils.toy.training`)
    GRU with 100 units (``rnnctx_utils.cells``, h' = u ⊙ h + (1 − u) ⊙ c), trainable initial
    state h_0, update-gate bias +0.5, Gaussian state noise σ = 0.003 added after every step
    during training only, linear readout y_t = w·h_t + b at every step, loss = mean squared
    error over every step plus L2 1e-4 on the weights. Adam (eps 0.1), learning rate
    0.04 · 0.99995^step, global-norm clipping at 10, batch 128, 40,000 steps, trained on
    100,000 random sequences of length 50 with tokens drawn uniformly.

The analysis (P2 §4 and its supplementary figures 13–14; :mod:`~rnnctx_utils.toy.forward`,
:mod:`~rnnctx_utils.toy.dynamics`, :mod:`~rnnctx_utils.toy.probes`,
:mod:`~rnnctx_utils.toy.analysis`)
    The network runs through the package's shared pieces where they compute the same thing:
    the rollouts (:mod:`rnnctx_utils.rollouts`, through :mod:`~rnnctx_utils.toy.forward`), the
    readout (:func:`rnnctx_utils.models.readout`) and the PCA (:func:`rnnctx_utils.analysis.pca`).
    The training keeps its own forward pass (:func:`rollout`: state noise, inputs projected
    before the scan), which also gives the seeds of the fixed-point search
    (:func:`visited_states` says why).
    :func:`toy_fixed_points` (at x* = 0 as the authors, or at :data:`NOISE_INPUT`),
    :func:`anchor_index` (the fixed point nearest the probe states), :func:`spectrum`
    (eigenmodes of J_rec there), :func:`mode_angles` / :func:`closest_group` (which modes a
    modifier's deflection excites), :func:`probe_effects` (the 16 probes: rule, network and
    linear prediction wᵀ J_inp(h_ctx, 0) x), :func:`mode_ablation` (cut one mode or
    conjugate pair from a deflection, run the real network, measure the modifier's gain).
    :func:`analyse` runs all of them in the chapter's order and :func:`headline_numbers`
    (:mod:`~rnnctx_utils.toy.tables`) turns the result into the numbers the chapter quotes;
    benchmarks/toy_full_schedule.py applies the same two functions to the authors' full
    40,000-step schedule and writes :data:`FULL_SCHEDULE_PATH`, which the chapter reads
    (:func:`load_full_schedule`).

Everything is a function of ``(params, arrays)``; :func:`trained_toy_model` is the one call a
chapter needs (it trains only when no valid cache entry exists). Its cache entry has its own
digest, of the toy's training code only (``artifacts.TOY_TRAINING_MODULES``: the language, the
settings, the model and the training): editing an analysis or a table string does not retrain
it, and the book's sentiment model does not depend on any of it.

This file only re-exports the submodules' public names (``toy.X`` for every X), so that it
stays out of the training digest (checked by tests/test_training_modules.py).
"""

from rnnctx_utils.toy.analysis import (
    LINE_FRACTION,
    MODIFIERS,
    N_EVAL_SEQUENCES,
    N_FIXED_POINT_SEEDS,
    N_NOISE_FIXED_POINT_SEEDS,
    ToyAnalysis,
    analyse,
    evaluation_mse,
)
from rnnctx_utils.toy.dynamics import (
    FIXED_POINT_TOLERANCE,
    NOISE_INPUT,
    ZERO_INPUT,
    ToyFixedPoints,
    ToySpectrum,
    closest_group,
    closest_modes,
    conjugate_groups,
    mode_angles,
    spectrum,
    toy_fixed_points,
    visited_states,
)
from rnnctx_utils.toy.forward import (
    context_state,
    deflection,
    one_step,
    predictions,
    states,
    step_function,
    trajectory,
)
from rnnctx_utils.toy.language import (
    N_SYMBOLS,
    NOISE_WORDS,
    NOT_ID,
    NOT_WINDOW,
    VALENCE,
    VALENCE_TABLE,
    VALENCE_WORDS,
    VERY_GAIN,
    VERY_ID,
    VERY_WINDOW,
    VOCABULARY,
    WORD_ID,
    contributions,
    decode,
    encode,
    generate_tokens,
    one_hot,
    targets,
    word_vector,
)
from rnnctx_utils.toy.model import (
    Params,
    bound_step,
    init_params,
    readout,
    rollout,
)
from rnnctx_utils.toy.probes import (
    NOISE_FILLER,
    PROBE_CONTEXTS,
    PROBE_WORDS,
    Ablation,
    ProbeEffects,
    ablate,
    anchor_index,
    linear_readout_change,
    mode_ablation,
    modifier_gain,
    probe_effects,
    readout_change,
)
from rnnctx_utils.toy.readings import (
    FullScheduleSummary,
    attribution,
    attribution_text,
    full_schedule_summary,
    mode_kind,
)
from rnnctx_utils.toy.settings import (
    AUTHORS_SETTINGS,
    BOOK_STEPS,
    FAST_SETTINGS,
    ToySettings,
    book_settings,
)
from rnnctx_utils.toy.tables import (
    FULL_SCHEDULE_KEYS,
    FULL_SCHEDULE_PATH,
    N_RANKED_MODES,
    TABLE_ROWS,
    eigen_label,
    headline_numbers,
    load_full_schedule,
    table_cells,
)
from rnnctx_utils.toy.training import (
    ToyModel,
    loss_fn,
    optimizer,
    settings_digest,
    train,
    trained_toy_model,
)

__all__ = [
    "NOISE_WORDS", "VALENCE_WORDS", "VOCABULARY", "N_SYMBOLS", "WORD_ID", "NOT_ID", "VERY_ID",
    "VALENCE", "VALENCE_TABLE", "NOT_WINDOW", "VERY_WINDOW", "VERY_GAIN", "encode", "decode",
    "generate_tokens", "contributions", "targets", "one_hot", "word_vector", "ToySettings",
    "AUTHORS_SETTINGS", "BOOK_STEPS", "FAST_SETTINGS", "book_settings", "Params", "readout",
    "init_params", "bound_step", "rollout", "step_function", "states", "predictions",
    "one_step", "context_state", "trajectory", "deflection",
    "loss_fn", "optimizer", "ToyModel", "train", "settings_digest", "trained_toy_model",
    "ZERO_INPUT", "NOISE_INPUT", "FIXED_POINT_TOLERANCE", "visited_states", "ToyFixedPoints",
    "toy_fixed_points", "mode_angles", "conjugate_groups", "ToySpectrum", "spectrum",
    "closest_modes", "closest_group", "anchor_index", "PROBE_CONTEXTS", "PROBE_WORDS",
    "readout_change", "linear_readout_change", "ProbeEffects", "probe_effects", "NOISE_FILLER",
    "ablate", "modifier_gain", "Ablation", "mode_ablation",
    "evaluation_mse", "N_EVAL_SEQUENCES", "N_FIXED_POINT_SEEDS", "N_NOISE_FIXED_POINT_SEEDS",
    "LINE_FRACTION", "MODIFIERS", "ToyAnalysis", "analyse", "N_RANKED_MODES", "eigen_label",
    "headline_numbers", "TABLE_ROWS", "table_cells", "FULL_SCHEDULE_PATH", "FULL_SCHEDULE_KEYS",
    "load_full_schedule", "FullScheduleSummary", "full_schedule_summary", "mode_kind",
    "attribution", "attribution_text",
]
