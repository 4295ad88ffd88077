"""Strength and timing of modifiers (chapter 5, M7): how far a modifier kicks the state off
the line and how fast it returns (d(k), τ), its gain on a valence word k tokens later (g(k)) and
the linearization's prediction of both, the eigenmodes it loads on, position gains and h0.

>>> found = modifiers.modifier_analysis(model, attractor)
>>> timing = modifier_timing.timing_analysis(model, attractor, found,
...                                          settings=TimingSettings(fit_tokens=9))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnctx_utils import context
from rnnctx_utils.analysis_settings import TimingSettings
from rnnctx_utils.modifier_discovery import ModifierAnalysis
from rnnctx_utils.modifier_probes import gain_starts, mean_gain_curve, step_and_inputs
from rnnctx_utils.network import as_network
from rnnctx_utils.position import PositionSplit, position_split


@dataclass(frozen=True)
class TimingAnalysis:
    """Strength and timing of each modifier (M7), from chapter 5.

    words: [M] the modifiers analysed.
    k: [K+1] tokens after the modifier (0: right after it).
    distance: [M, K+1] d(k): the modifier's excursion within the modifier subspace, measured
        against the same run with the filler in place of the modifier (which stays on the
        attractor), mean over reference points.
    distance_amplitude, tau_distance: [M] amplitude and τ (tokens; P2's measure) of an
        exponential fit to d(k), k < ``settings.fit_tokens``.
    tau_distance_boot: [M, B] τ of the same fit on B bootstrap resamples of the reference
        points (the same resamples for every modifier: differences are paired).
    gains: [M, K+1] g(k) from the nonlinear network; linear_gains: [M, K+1] the linear
        prediction wᵀJ_inp(h_k)x_v / wᵀJ_inp(h̄_k)x_v.
    alpha: [M] g(0), the gain on the next token.
    tau_gain: [M] τ of an exponential fit to |g(k) − 1|, k < ``settings.fit_tokens``
        (comparable to the planted τ).
    mode_tau: [M] eigenmode time constant the deflection loads on (|l_a·Δh|-weighted mean
        of τ_a over all modes but the slowest, integrating one).
    tau_linear: [M] τ of an exponential fit to the linearization's prediction of d(k) (the
        deflection's eigenmode components decaying as λ_a^k, integrating mode left out).
    mode_weights: [M, S] |l_a·Δh| per mode (modes sorted by |λ| descending);
        mode_time_constants: [S] τ_a at the attractor point nearest the mean modifier state.
    trajectories: [M, K+2, 2] mean state (manifold coordinate, modifier component #1)
        from the start point (index 0), then after the modifier and each filler.
    position: :class:`context.PositionGains` of the valence probe in a filler document.
    position_fit_begin, position_fit_end: :class:`context.ExponentialFit` of
        gain − 1 from the start / from the end (amplitude ≈ β, tau ≈ τ_b / τ_e).
    position_split: :class:`rnnctx_utils.position.PositionSplit`: the beginning weight and recency
        separated with documents of every length.
    h0_projection: :class:`context.SubspaceProjection` of the trained h0.
    settings: the :class:`~rnnctx_utils.analysis_settings.TimingSettings` it was computed with.
    """

    words: tuple[str, ...]
    k: np.ndarray
    distance: np.ndarray
    distance_amplitude: np.ndarray
    tau_distance: np.ndarray
    tau_distance_boot: np.ndarray
    gains: np.ndarray
    linear_gains: np.ndarray
    alpha: np.ndarray
    tau_gain: np.ndarray
    mode_tau: np.ndarray
    tau_linear: np.ndarray
    mode_weights: np.ndarray
    mode_time_constants: np.ndarray
    trajectories: np.ndarray
    position: context.PositionGains
    position_fit_begin: context.ExponentialFit
    position_fit_end: context.ExponentialFit
    position_split: PositionSplit
    h0_projection: context.SubspaceProjection
    settings: TimingSettings = field(default_factory=TimingSettings)

    def tau_difference(self, first: str, second: str, level: float = 0.95
                       ) -> tuple[float, float, float]:
        """τ(first) − τ(second) from the distance fits, with a paired bootstrap percentile
        interval over the reference points: (estimate, low, high)."""
        i, j = self.words.index(first), self.words.index(second)
        diff = self.tau_distance_boot[i] - self.tau_distance_boot[j]
        tail = 100 * (1 - level) / 2
        low, high = np.nanpercentile(diff, [tail, 100 - tail])
        return float(self.tau_distance[i] - self.tau_distance[j]), float(low), float(high)

    def of(self, word: str) -> dict[str, float]:
        """The scalar results for one modifier (alpha, tau_distance, tau_gain, mode_tau)."""
        i = self.words.index(word)
        return {"alpha": float(self.alpha[i]), "tau_distance": float(self.tau_distance[i]),
                "tau_gain": float(self.tau_gain[i]), "mode_tau": float(self.mode_tau[i]),
                "tau_linear": float(self.tau_linear[i])}


def _signed_fit(values: np.ndarray, k: np.ndarray, n_fit: int) -> context.ExponentialFit:
    """Exponential fit of |values[:n_fit]|, the sign of values[0] carried by the amplitude."""
    fit = context.fit_exponential(np.abs(values[:n_fit]), k[:n_fit])
    sign = -1.0 if values[0] < 0 else 1.0
    return context.ExponentialFit(sign * fit.amplitude, fit.tau, fit.offset)


def _mode_loadings(
    F: Any, found: ModifierAnalysis, inputs: np.ndarray, max_k: int, n_inputs: int,
    fit_tokens: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eigenmode loadings of each modifier's deflection off the attractor (M4 meets M7).

    For each modifier and reference: h_w = F(h_ref, x_w), h* its nearest attractor point,
    Δh = h_w − h*, c_a = l_a·Δh on the eigenmodes of J_rec(h*, 0). Returns (mode_tau [M],
    tau_linear [M], weights [M, S], time_constants [S]): the |c_a|-weighted mean τ_a over the
    non-integrating modes, the τ of an exponential fit to the linear prediction
    ‖Q_modᵀ Σ_{a≥1} c_a λ_a^k r_a‖ (k = 0..max_k, mean over references; fitted over
    k < ``fit_tokens``), the mean |c_a|, and τ_a at the middle reference's nearest attractor
    point.
    """
    import jax.numpy as jnp  # noqa: PLC0415

    from rnnctx_utils import linearize  # noqa: PLC0415

    h_refs = found.h_refs
    basis = found.subspace.basis
    h_w = np.stack([np.asarray(context.rollout_batch(
        F, jnp.asarray(h_refs), jnp.asarray(np.broadcast_to(x, (h_refs.shape[0], 1, x.size))),
        jnp.full(h_refs.shape[0], 1)))[:, 0] for x in inputs])  # [M, r, S]
    flat = h_w.reshape(-1, h_w.shape[-1])
    nearest = np.asarray(context.nearest_attractor_point(jnp.asarray(flat),
                                                         jnp.asarray(found.attractor_points)))
    jac = linearize.recurrent_jacobians(F, nearest, None, n_inputs=n_inputs, float64=True)
    modes = linearize.eigenmodes(jac)
    delta = (flat - nearest).astype(np.complex128)
    coeffs = np.einsum("nks,ns->nk", modes.left, delta)  # [n, S]
    ks = np.arange(max_k + 1)
    # linear prediction of the excursion, the integrating mode (a = 0) left out
    powers = modes.eigenvalues[:, None, 1:] ** ks[None, :, None]  # [n, K+1, S-1]
    excursion = np.einsum("nka,na,nsa->nks", powers, coeffs[:, 1:], modes.right[:, :, 1:]).real
    d_lin = np.linalg.norm(excursion @ basis, axis=-1)  # [n, K+1]
    n_mod, n_ref = h_w.shape[:2]
    d_lin = d_lin.reshape(n_mod, n_ref, -1).mean(axis=1)
    weights = np.abs(coeffs).reshape(n_mod, n_ref, -1)
    taus = np.minimum(modes.time_constants.reshape(n_mod, n_ref, -1), 1e6)
    mode_tau = (weights[..., 1:] * taus[..., 1:]).sum(-1) / weights[..., 1:].sum(-1)
    tau_linear = np.array([context.fit_exponential(d[:fit_tokens]).tau for d in d_lin])
    mid = n_ref // 2
    return (mode_tau.mean(axis=1), tau_linear, weights.mean(axis=1),
            modes.time_constants.reshape(n_mod, n_ref, -1)[0, mid])


def timing_analysis(
    model: Any,
    attractor: Any,
    found: ModifierAnalysis,
    *,
    words: tuple[str, ...] | None = None,
    settings: TimingSettings | None = None,
) -> TimingAnalysis:
    """Strength and timing of modifiers (M7): d(k) and τ, g(k) and its linear prediction,
    eigenmode time constants, position gains and h0's projection.

    Args:
        model: a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``).
        attractor: its :class:`~rnnctx_utils.analysis.LineAttractor`.
        found: :func:`modifier_analysis` of the same model.
        words: modifiers to analyse (default ``found.modifiers``).
        settings: :class:`~rnnctx_utils.analysis_settings.TimingSettings` (default: the
            book's): the largest k, the points the exponentials are fitted over, the length of
            the position gains' document, and where the position split is read
            (``position_split``: a :class:`~rnnctx_utils.analysis_settings.PositionSettings`).
            The gain curves use ``found.settings.n_after`` and ``found.settings.n_gain_starts``,
            so that α = g(0) is chapter 4's.
    Returns:
        :class:`TimingAnalysis` (``settings`` recorded in it).
    """
    import jax.numpy as jnp  # noqa: PLC0415

    settings = TimingSettings() if settings is None else settings
    max_k, fit_tokens = settings.max_k, settings.fit_tokens
    net = as_network(model)
    F, embedding, readout_w = step_and_inputs(net)
    words = found.modifiers if words is None else tuple(words)
    vocab_id = net.token_id
    inputs = embedding[[vocab_id(w) for w in words]]
    x_filler = embedding[vocab_id(found.probes.filler)]
    x_valence = embedding[vocab_id(found.probes.valence)]
    basis = found.subspace.basis
    k = np.arange(max_k + 1)
    per_start = context.modifier_distance_curves(
        F, found.h_refs, inputs, x_filler, found.attractor_points, basis, n_steps=max_k,
        reference="control", per_start=True)
    distance = per_start.mean(axis=1)
    distance_fits = [context.fit_exponential(d[:fit_tokens]) for d in distance]
    tau_boot = context.bootstrap_tau(per_start[:, :, :fit_tokens])
    starts = gain_starts(found.h_refs, found.settings)
    curves = [mean_gain_curve(F, starts, readout_w, x, x_valence, x_filler, max_k,
                              found.settings.n_after) for x in inputs]
    gains = np.stack([c.gain for c in curves])
    linear = np.stack([c.linear_gain for c in curves])
    tau_gain = np.array([_signed_fit(g - 1.0, k, fit_tokens).tau for g in gains])
    mode_tau, tau_linear, weights, time_constants = _mode_loadings(
        F, found, inputs, max_k, embedding.shape[1], fit_tokens)
    # trajectory from the middle reference: start, modifier, fillers
    h_mid = found.h_refs[found.h_refs.shape[0] // 2]
    seqs = np.concatenate([inputs[:, None], np.broadcast_to(x_filler, (len(words), max_k,
                                                                         x_filler.size))], 1)
    states = np.asarray(context.rollout_batch(F, jnp.asarray(h_mid), jnp.asarray(seqs),
                                              jnp.full(len(words), max_k + 1)))
    states = np.concatenate([np.broadcast_to(h_mid, (len(words), 1, h_mid.size)), states], 1)
    centre = found.attractor_points.mean(axis=0)
    axes = np.stack([found.manifold_direction, found.subspace.components[:, 0]], axis=1)
    trajectories = (states - centre) @ axes
    position = context.position_gains(F, net.h0, readout_w, x_valence,
                                      x_filler, settings.position_tokens)
    # the single-length gains tie the start to the end; the split unties them
    half = settings.position_tokens // 2
    begin = _signed_fit(position.gain_from_start - 1.0, position.position, half)
    end = _signed_fit(position.gain_from_end - 1.0, position.position, half)
    split = position_split(F, net.h0, readout_w, x_valence, x_filler,
                           settings=settings.position_split)
    h0_projection = context.initial_state_projection(
        net.h0, found.attractor_points, basis)
    return TimingAnalysis(
        words=words, k=k, distance=distance,
        distance_amplitude=np.array([f.amplitude for f in distance_fits]),
        tau_distance=np.array([f.tau for f in distance_fits]), tau_distance_boot=tau_boot,
        gains=gains, linear_gains=linear, alpha=gains[:, 0], tau_gain=tau_gain,
        mode_tau=mode_tau, tau_linear=tau_linear, mode_weights=weights,
        mode_time_constants=time_constants, trajectories=trajectories, position=position,
        position_fit_begin=begin, position_fit_end=end, position_split=split,
        h0_projection=h0_projection, settings=settings)
