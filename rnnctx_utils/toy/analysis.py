"""The chapter's analysis of a trained toy GRU, in the chapter's order (:func:`analyse`).

One analysis shared by the chapter and benchmarks/toy_full_schedule.py; the numbers it quotes
are :func:`rnnctx_utils.toy.tables.headline_numbers` of the result.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from rnnctx_utils.toy.dynamics import (
    NOISE_INPUT,
    ToyFixedPoints,
    ToySpectrum,
    closest_group,
    mode_angles,
    spectrum,
    toy_fixed_points,
    visited_states,
)
from rnnctx_utils.toy.forward import deflection, predictions
from rnnctx_utils.toy.language import generate_tokens, targets
from rnnctx_utils.toy.model import Params, readout
from rnnctx_utils.toy.probes import (
    Ablation,
    ProbeEffects,
    anchor_index,
    mode_ablation,
    probe_effects,
)

N_EVAL_SEQUENCES = 2_000  # fresh sequences for the evaluation MSE
N_FIXED_POINT_SEEDS = 1_000  # seeds of the fixed-point search at x* = 0 (the authors')
N_NOISE_FIXED_POINT_SEEDS = 500  # ... at x* = NOISE_INPUT [ours]
LINE_FRACTION = 0.9  # "on a line": at least this fraction of the variance on one direction
MODIFIERS = ("not", "very")


def evaluation_mse(params: Params, n_sequences: int = 2_000, seq_len: int = 50,
                   seed: int = 12_345) -> float:
    """MSE over every step on fresh random sequences (no state noise)."""
    tokens = generate_tokens(n_sequences, seq_len, seed)
    prediction = predictions(params, tokens)
    return float(jnp.mean((prediction - targets(tokens)) ** 2))


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
