"""Timing of the modifiers (M7a): distance curves, exponential fits, time constants, bootstrap τ.

How far a modifier kicks the state off the attractor and how fast it comes back: the excursion
d(k) k tokens after each modifier (:func:`modifier_distance_curves`), an exponential fit
d(k) ≈ A e^{−k/τ} (+ c) per modifier (:func:`fit_exponential`,
:func:`modifier_time_constants`), and a bootstrap of τ over starting points
(:func:`bootstrap_tau`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils._types import ArrayLike, StepFn
from rnnctx_utils.attractor_geometry import _orthonormal, distance_from_attractor
from rnnctx_utils.rollouts import rollout_batch


class ExponentialFit(NamedTuple):
    """d(k) ≈ amplitude · exp(−k / tau) + offset (offset 0 for the log-linear fit)."""

    amplitude: float
    tau: float
    offset: float


def fit_exponential(
    d: ArrayLike, k: ArrayLike | None = None, *, offset: bool = False
) -> ExponentialFit:
    """Fit an exponential decay to a curve d [K].

    Without offset: least squares of log d on k over the positive entries (tau = inf when the
    curve does not decay, nan with fewer than two positive entries). With offset: scipy
    ``curve_fit`` of A e^{−k/τ} + c, started from the log-linear fit.

    Args:
        d: [K] values.
        k: [K] abscissae, default 0..K−1 (tokens after the modifier).
    Returns:
        ExponentialFit(amplitude, tau, offset).
    """
    y = np.asarray(d, dtype=np.float64)
    x = np.arange(y.size, dtype=np.float64) if k is None else np.asarray(k, dtype=np.float64)
    positive = y > 0
    if positive.sum() < 2:
        return ExponentialFit(float("nan"), float("nan"), 0.0)
    slope, intercept = np.polyfit(x[positive], np.log(y[positive]), 1)
    amplitude = float(np.exp(intercept))
    tau = float(-1.0 / slope) if slope < 0 else float("inf")
    if not offset:
        return ExponentialFit(amplitude, tau, 0.0)
    from scipy.optimize import curve_fit

    def model(kk: np.ndarray, a: float, t: float, c: float) -> np.ndarray:
        return a * np.exp(-kk / t) + c

    t0 = tau if np.isfinite(tau) else float(x.max() - x.min() + 1.0)
    popt, _ = curve_fit(
        model,
        x,
        y,
        p0=(amplitude, t0, float(y.min())),
        bounds=([-np.inf, 1e-6, -np.inf], [np.inf, np.inf, np.inf]),
        maxfev=10_000,
    )
    return ExponentialFit(float(popt[0]), float(popt[1]), float(popt[2]))


def modifier_distance_curves(
    F: StepFn,
    h_starts: ArrayLike,
    modifier_inputs: ArrayLike,
    x_filler: ArrayLike,
    attractor_points: ArrayLike,
    basis: ArrayLike | None = None,
    *,
    n_steps: int = 10,
    reference: str = "attractor",
    interpolate: bool = False,
    per_start: bool = False,
) -> np.ndarray:
    """Excursion off the attractor k tokens after each modifier (M7a [ours]).

    From each start on the attractor, run [modifier, filler × n_steps]; d(k) is measured on the
    state after the modifier and k fillers (k = 0: right after the modifier), averaged over
    starts:

    - ``reference="attractor"``: ‖Qᵀ(h_k − h*(h_k))‖, the deviation from the nearest attractor
      point within span(basis) (the whole deviation without a basis);
    - ``reference="control"``: ‖Qᵀ(h_k − h̄_k)‖ with h̄ the run where the modifier is replaced by
      the filler: the modifier's own excursion, free of the filler's offset and of the cloud's
      discreteness (needs no attractor points beyond the call signature).

    Args:
        F: cell function.
        h_starts: [r, S] starting states (e.g. attractor points along the manifold).
        modifier_inputs: [M, n_in] modifier embeddings.
        x_filler: [n_in] a neutral token's embedding.
        attractor_points: [m, S].
        basis: [S, d] modifier subspace, optional.
        n_steps: fillers after the modifier.
        per_start: return every start's curve instead of their mean.
    Returns:
        curves: [M, n_steps + 1] ([M, r, n_steps + 1] with ``per_start``).
    """
    starts = jnp.asarray(h_starts)
    mods = jnp.asarray(modifier_inputs)
    filler = jnp.asarray(x_filler)
    n_mod, n_start = mods.shape[0], starts.shape[0]
    fillers = jnp.broadcast_to(filler, (n_steps, filler.shape[0]))
    seqs = jax.vmap(lambda x: jnp.concatenate([x[None], fillers]))(mods)  # [M, K+1, n_in]
    xs = jnp.repeat(seqs, n_start, axis=0)  # [M*r, K+1, n_in], modifier-major
    h0s = jnp.tile(starts, (n_mod, 1))
    lengths = jnp.full(n_mod * n_start, n_steps + 1)
    states = rollout_batch(F, h0s, xs, lengths)  # [M*r, K+1, S]
    if reference == "attractor":
        dist = distance_from_attractor(
            states, attractor_points, basis=basis, interpolate=interpolate
        )
    elif reference == "control":
        control_xs = jnp.broadcast_to(filler, (n_start, n_steps + 1, filler.shape[0]))
        control = rollout_batch(F, starts, control_xs, jnp.full(n_start, n_steps + 1))
        diff = states - jnp.tile(control, (n_mod, 1, 1))
        if basis is not None:
            diff = diff @ _orthonormal(jnp.asarray(basis))
        dist = jnp.linalg.norm(diff, axis=-1)
    else:
        raise ValueError(f"unknown reference {reference!r}; use 'attractor' or 'control'")
    curves = np.asarray(dist, dtype=np.float64).reshape(n_mod, n_start, n_steps + 1)
    return curves if per_start else curves.mean(axis=1)


def bootstrap_tau(curves: ArrayLike, *, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """τ of the mean curve over starting points resampled with replacement (M7a's interval).

    The same resampled starts serve every modifier (paired), so the spread of a *difference*
    of two modifiers' τ can be read from the replicates too.

    Args:
        curves: [M, r, K] each modifier's d(k) from each of r starting points (k < K fitted).
    Returns:
        [M, n_boot] τ of :func:`fit_exponential` on each replicate's mean curve.
    """
    c = np.asarray(curves, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, c.shape[1], size=(n_boot, c.shape[1]))
    means = c[:, picks, :].mean(axis=2)  # [M, n_boot, K]
    return np.array([[fit_exponential(curve).tau for curve in per_mod] for per_mod in means])


class ModifierTimescales(NamedTuple):
    """curves: [M, K+1] excursion d(k); amplitude, tau, offset: [M] exponential fits."""

    curves: np.ndarray
    amplitude: np.ndarray
    tau: np.ndarray
    offset: np.ndarray


def modifier_time_constants(
    F: StepFn,
    h_starts: ArrayLike,
    modifier_inputs: ArrayLike,
    x_filler: ArrayLike,
    attractor_points: ArrayLike,
    basis: ArrayLike | None = None,
    *,
    n_steps: int = 10,
    reference: str = "attractor",
    interpolate: bool = False,
    offset: bool = False,
) -> ModifierTimescales:
    """Time constant τ (tokens) of each modifier's excursion: :func:`modifier_distance_curves`
    followed by :func:`fit_exponential` per modifier (M7a [ours])."""
    curves = modifier_distance_curves(
        F,
        h_starts,
        modifier_inputs,
        x_filler,
        attractor_points,
        basis,
        n_steps=n_steps,
        reference=reference,
        interpolate=interpolate,
    )
    fits = [fit_exponential(c, offset=offset) for c in curves]  # M modifiers: a handful
    return ModifierTimescales(
        curves,
        np.array([f.amplitude for f in fits]),
        np.array([f.tau for f in fits]),
        np.array([f.offset for f in fits]),
    )
