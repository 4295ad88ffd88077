"""Figures of chapters 2–3: phase portraits, fixed points, linearization, eigenmodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils.plots.style import NEGATIVE, NEUTRAL, OURS, PAPER, POSITIVE, apply_style


def phase_portraits(systems: dict[str, Callable[..., Any]],
                    fixed_points: dict[str, np.ndarray], kinds: dict[str, Sequence[str]],
                    *, extent: float = 2.0, n_grid: int = 17, n_steps: int = 300) -> Figure:
    """One panel per 2-D map F(h [2], x [1]): the flow F(h, 0) − h as arrows, a few
    trajectories, and the fixed points ([m, 2]) labelled with their type."""
    apply_style()
    fig, axes = plt.subplots(1, len(systems), figsize=(3.6 * len(systems), 3.6), squeeze=False)
    grid = np.linspace(-extent, extent, n_grid)
    hs = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
    zero = jnp.zeros(1)
    for ax, (name, F) in zip(axes[0], systems.items(), strict=True):
        step = jax.jit(jax.vmap(lambda h, F=F: F(h, zero)))
        flow = np.asarray(step(jnp.asarray(hs, jnp.float32))) - hs
        ax.quiver(hs[:, 0], hs[:, 1], flow[:, 0], flow[:, 1], color=NEUTRAL, alpha=0.7)
        starts = np.random.default_rng(0).uniform(-extent, extent, (8, 2)).astype(np.float32)
        for h in starts:
            path = [h]
            for _ in range(n_steps):
                path.append(np.asarray(F(jnp.asarray(path[-1]), zero)))
            path_arr = np.clip(np.asarray(path), -2 * extent, 2 * extent)
            ax.plot(path_arr[:, 0], path_arr[:, 1], color=OURS, lw=1)
            ax.plot(*path_arr[0], "o", color=OURS, ms=3)
        points = fixed_points[name]
        ax.plot(points[:, 0], points[:, 1], "o", color=PAPER, ms=5, mec="k", mew=0.5)
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="h₁", ylabel="h₂",
               title=f"{name}\n({', '.join(sorted(set(kinds[name])))})")
        ax.set_aspect("equal")
    fig.tight_layout()
    return fig


def fixed_point_speeds(q_slow: np.ndarray, q_roots: np.ndarray, slow_tol: float) -> Figure:
    """Histogram of log10 q of the slow points and exact roots."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    values = [np.log10(np.maximum(q, 1e-35)) for q in (q_slow, q_roots)]
    low = min(float(v.min()) for v in values if v.size) - 0.5
    bins = np.linspace(low, np.log10(slow_tol) + 0.5, 40)
    ax.hist(values[0], bins=list(bins), color=OURS, alpha=0.7, label=f"slow points ({q_slow.size})")
    if q_roots.size:
        ax.hist(values[1], bins=list(bins), color=PAPER, alpha=0.9,
                label=f"exact roots ({q_roots.size})")
    ax.axvline(np.log10(slow_tol), color="k", ls="--", lw=0.8, label="slow-point tolerance")
    ax.set(xlabel="log10 q = log10 ½‖F(h,0) − h‖²", ylabel="points",
           title="Speed of the points found")
    ax.legend()
    fig.tight_layout()
    return fig


def tolerance_sweep(tolerances: np.ndarray, n_distinct: np.ndarray,
                    coverage: np.ndarray) -> Figure:
    """Distinct points and readout coverage against the tolerance on q."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    ax.semilogx(tolerances, n_distinct, "o-", color=OURS)
    ax.set(xlabel="tolerance on q", ylabel="distinct points", title="Tolerance sweep")
    twin = ax.twinx()
    twin.semilogx(tolerances, coverage, "s--", color=PAPER)
    twin.set_ylabel("fraction of visited readout range", color=PAPER)
    twin.set_ylim(0, 1.05)
    twin.grid(False)
    fig.tight_layout()
    return fig


def jacobian_images(recurrent: np.ndarray, inputs: np.ndarray, title: str) -> Figure:
    """Heat maps of one recurrent Jacobian [S, S] and one input Jacobian [S, E]."""
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6),
                             gridspec_kw={"width_ratios": [recurrent.shape[1], inputs.shape[1]]})
    for ax, mat, name in ((axes[0], recurrent, "J_rec = ∂F/∂h"),
                          (axes[1], inputs, "J_inp = ∂F/∂x")):
        bound = float(np.abs(mat).max())
        image = ax.imshow(mat, cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set(title=name, xlabel="input unit" if mat is inputs else "state unit",
               ylabel="state unit")
        ax.grid(False)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def error_histogram(errors: np.ndarray, paper_value: float = 0.1) -> Figure:
    """Histogram of one-step relative linearization errors (log x axis)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    bins = np.logspace(np.log10(max(errors.min(), 1e-6)), np.log10(errors.max()), 40)
    ax.hist(errors, bins=list(bins), color=OURS, alpha=0.8)
    ax.set_xscale("log")
    ax.axvline(np.median(errors), color="k", ls="--", lw=1,
               label=f"median {np.median(errors):.3f}")
    ax.axvline(paper_value, color=PAPER, lw=1.5, label=f"P1 ≈ {paper_value:g}")
    ax.set(xlabel="relative one-step error ‖F − h_lin‖ / ‖F‖", ylabel="transitions",
           title="Linearization error along real trajectories")
    ax.legend()
    fig.tight_layout()
    return fig


def linearized_vs_rnn(logits_rnn: np.ndarray, logits_linear: np.ndarray,
                      labels: np.ndarray) -> Figure:
    """Scatter of the final readout of the linearized system against the RNN's."""
    apply_style()
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    colors = np.where(labels == 1, POSITIVE, NEGATIVE)
    ax.scatter(logits_rnn, logits_linear, c=colors, s=6, alpha=0.6)
    bound = float(np.abs(np.concatenate([logits_rnn, logits_linear])).max())
    ax.plot([-bound, bound], [-bound, bound], color=NEUTRAL, lw=0.8)
    ax.axhline(0, color=NEUTRAL, lw=0.6)
    ax.axvline(0, color=NEUTRAL, lw=0.6)
    ax.set(xlabel="RNN final logit", ylabel="linearized system's final logit",
           title="Linearized dynamics as a classifier")
    fig.tight_layout()
    return fig


def variance_explained(trained: np.ndarray, untrained: np.ndarray, k: int = 10) -> Figure:
    """Cumulative variance explained by the top k PCs, trained vs untrained."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    pcs = np.arange(1, k + 1)
    ax.plot(pcs, np.cumsum(trained[:k]), "o-", color=OURS, label="trained")
    ax.plot(pcs, np.cumsum(untrained[:k]), "s--", color=NEUTRAL, label="untrained")
    ax.axhline(0.9, color=PAPER, lw=1, label="P1: ≈ 90% in 2–3 PCs")
    ax.set(xlabel="number of principal components", ylabel="cumulative variance explained",
           ylim=(0, 1.02), title="Dimensionality of the visited states")
    ax.legend()
    fig.tight_layout()
    return fig


def state_density(coords: np.ndarray, labels: np.ndarray, h0: np.ndarray,
                  readout_dir: np.ndarray, readout_line: tuple[np.ndarray, np.ndarray],
                  fixed_points: np.ndarray | None = None,
                  fixed_point_readout: np.ndarray | None = None) -> Figure:
    """PC1–PC2 density of states per label (hexbin), with h_0, the readout direction,
    the readout = 0 line and optionally the fixed points coloured by readout.

    coords: [n, 2]; labels: [n] label of the document each state belongs to; h0: [2];
    readout_dir: [2] projection of w; readout_line: (points [2, 2] of the readout = 0 line).
    """
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 3.8), sharex=True, sharey=True)
    extent = (coords[:, 0].min(), coords[:, 0].max(), coords[:, 1].min(), coords[:, 1].max())
    for ax, label, name, cmap in ((axes[0], 1, "positive documents", "Greens"),
                                  (axes[1], 0, "negative documents", "Purples")):
        pick = labels == label
        ax.hexbin(coords[pick, 0], coords[pick, 1], gridsize=40, bins="log", cmap=cmap,
                  extent=extent, mincnt=1)
        ax.plot(*h0, "k*", ms=12, label="h₀")
        scale = 0.25 * (extent[1] - extent[0]) / max(np.linalg.norm(readout_dir), 1e-12)
        ax.annotate("", xy=(h0[0] + scale * readout_dir[0], h0[1] + scale * readout_dir[1]),
                    xytext=(h0[0], h0[1]), arrowprops={"arrowstyle": "->", "color": "k"})
        ax.plot(*readout_line, color="k", ls="--", lw=1, label="readout = 0")
        if fixed_points is not None:
            image = ax.scatter(fixed_points[:, 0], fixed_points[:, 1], c=fixed_point_readout,
                               cmap="coolwarm", s=8, edgecolors="none", label="slow points")
        ax.set(xlabel="PC 1", title=name, xlim=extent[:2], ylim=extent[2:])
        ax.grid(False)
    axes[0].set_ylabel("PC 2")
    axes[0].legend(loc="lower left", fontsize=8)
    if fixed_points is not None:
        fig.colorbar(image, ax=list(axes), shrink=0.8, label="readout of slow point")
    return fig


def eigenvalue_spectra(eigenvalues: Sequence[np.ndarray], titles: Sequence[str]) -> Figure:
    """Eigenvalues in the complex plane with the unit circle, one panel per point."""
    apply_style()
    fig, axes = plt.subplots(1, len(eigenvalues), figsize=(3.3 * len(eigenvalues), 3.4),
                             squeeze=False)
    angle = np.linspace(0, 2 * np.pi, 200)
    for ax, values, title in zip(axes[0], eigenvalues, titles, strict=True):
        ax.plot(np.cos(angle), np.sin(angle), color=NEUTRAL, lw=0.8)
        ax.plot(values.real, values.imag, "o", color=OURS, ms=3)
        ax.plot(values[0].real, values[0].imag, "o", color=PAPER, ms=6, label="λ₁")
        ax.set(xlabel="Re λ", ylabel="Im λ", title=title, xlim=(-1.1, 1.1), ylim=(-1.1, 1.1))
        ax.set_aspect("equal")
    axes[0, 0].legend(loc="lower left")
    fig.tight_layout()
    return fig


def time_constants_along(readout: np.ndarray, taus: np.ndarray, n_modes: int = 5) -> Figure:
    """Time constants τ_a (tokens, log axis) of the top modes against the readout of the
    expansion point. taus: [n_points, k]."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    cmap = plt.get_cmap("viridis")
    for a in range(min(n_modes, taus.shape[1])):
        ax.semilogy(readout, np.minimum(taus[:, a], 1e7), "o-", ms=2.5,
                    color=cmap(a / max(n_modes - 1, 1)), label=f"mode {a + 1}")
    ax.axhspan(100, 1000, color=PAPER, alpha=0.12, label="P1: top mode 10²–10³")
    ax.set(xlabel="readout of the slow point (logit)", ylabel="time constant τ (tokens)",
           title="Time constants along the line attractor")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def alignment_histograms(results: dict[str, Any]) -> Figure:
    """|cos| of r_1 with each target against the random-vector null (one panel per target)."""
    apply_style()
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.2), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items(), strict=True):
        bins = np.linspace(0, 1, 41)
        ax.hist(res.null, bins=list(bins), density=True, color=NEUTRAL, alpha=0.6,
                label="random vectors")
        ax.hist(res.cosines, bins=list(bins), density=True, color=OURS, alpha=0.8,
                label="r₁ along the attractor")
        ax.axvline(res.null_99, color="k", ls="--", lw=1, label="null 99th percentile")
        ax.set(xlabel=f"|cos(r₁, {name})|", ylabel="density", title=f"r₁ vs {name}")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def input_projection_histogram(groups: dict[str, np.ndarray]) -> Figure:
    """Histograms of l₁ᵀ J_inp x for word groups (name -> [n_words] values)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    colors = {"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}
    values = np.concatenate(list(groups.values()))
    bins = np.linspace(values.min(), values.max(), 40)
    for name, vals in groups.items():
        ax.hist(vals, bins=list(bins), alpha=0.6, color=colors.get(name, OURS), label=name)
    ax.axvline(0, color="k", lw=0.6)
    ax.set(xlabel="l₁ᵀ J_inp x (push along the integrating mode)", ylabel="words",
           title="Input projection onto the line attractor")
    ax.legend()
    fig.tight_layout()
    return fig
