"""Fixed points and linearisation of a trained toy GRU (P2 §4, supplementary figure 13).

:func:`toy_fixed_points` (at x* = 0 as the authors, or at :data:`NOISE_INPUT`), :func:`spectrum`
(eigenmodes of J_rec at a fixed point) and the geometry of a deflection against those modes
(:func:`mode_angles`, :func:`conjugate_groups`, :func:`closest_group`), through the package's
dynamics toolkit (:mod:`rnnctx_utils.fixed_points`, :mod:`rnnctx_utils.linearize`). How well
the fixed points lie on a line is the shared PCA's first component
(:func:`rnnctx_utils.analysis.pca`, as in chapter 3).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils.toy.forward import deflection
from rnnctx_utils.toy.language import N_SYMBOLS, NOISE_WORDS, WORD_ID, generate_tokens
from rnnctx_utils.toy.model import Params, bound_step, readout, rollout

ZERO_INPUT = np.zeros(N_SYMBOLS, np.float32)  # "no token": the authors' linearisation point
# The mean of the six noise words' one-hot vectors: an input the network actually sees
# between sentiment words (x = 0 never occurs in training).
NOISE_INPUT = np.eye(N_SYMBOLS, dtype=np.float32)[[WORD_ID[w] for w in NOISE_WORDS]].mean(0)
FIXED_POINT_TOLERANCE = 2e-6  # the authors' q threshold


def visited_states(params: Params, n_sequences: int = 200, seq_len: int = 50,
                   seed: int = 7) -> np.ndarray:
    """Every state on fresh random sequences: [n_sequences * seq_len, n].

    From the toy's batched rollout without noise (:func:`rnnctx_utils.toy.model.rollout`), not
    the shared ``rollouts.rollout_batch`` of :func:`rnnctx_utils.toy.forward.states`: the two
    agree to float32 round-off only, and these states seed the fixed-point search,
    which turns such differences into other counts of fixed points (chapter 7's table).
    """
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
