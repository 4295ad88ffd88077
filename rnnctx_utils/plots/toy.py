"""Figures of the toy-language chapter (P2 §4): one function per figure, each returns a Figure.

Inputs are the plain arrays and NamedTuples of :mod:`rnnctx_utils.toy`; nothing is computed
here beyond projections for display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils.plots.style import NEGATIVE, NEUTRAL, OURS, PAPER, POSITIVE, apply_style

NOT_COLOR = "#e41a1c"
VERY_COLOR = "#377eb8"
MODIFIER_COLORS = {"not": NOT_COLOR, "very": VERY_COLOR}


def training_curve(
    history: Mapping[str, Any], authors_mse: float | None = None,
    full_history: Mapping[str, Any] | None = None,
) -> Figure:
    """Training MSE (state noise on) against step, log scale; the authors' evaluation MSE
    as a dashed line; ``full_history`` ({step, mse}) the full 40,000-step run, if available."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(history["step"], history["mse"], color=OURS, label="this book (training batches)")
    if full_history is not None:
        ax.plot(full_history["step"], full_history["mse"], color=NEUTRAL,
                label="full schedule, run once (training batches)")
        ax.set_xscale("log")  # 2,000 and 40,000 steps on one axis
    if authors_mse is not None:
        ax.axhline(authors_mse, color=PAPER, ls="--", label=f"P2: evaluation MSE {authors_mse}")
    ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel("mean squared error")
    ax.legend()
    fig.tight_layout()
    return fig


def fixed_point_readouts(
    readouts: Mapping[str, np.ndarray], visited_readouts: np.ndarray
) -> Figure:
    """Where the fixed points sit along the readout axis: one row of ticks per input
    (label -> readouts [k]) above the histogram of the readouts of visited states."""
    apply_style()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 3.8), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 2]})
    colors = [OURS, PAPER, POSITIVE, NEGATIVE]
    for row, values in enumerate(readouts.values()):
        top.plot(values, np.full(len(values), row), "|", ms=12,
                 color=colors[row % len(colors)])
    top.set_yticks(range(len(readouts)), list(readouts))
    top.set_ylim(-0.7, len(readouts) - 0.3)
    top.set_title("fixed points")
    bottom.hist(visited_readouts, bins=80, color=NEUTRAL)
    bottom.set_xlabel("readout w·h + b")
    bottom.set_ylabel("visited states")
    fig.tight_layout()
    return fig


def pca_3d(
    fixed_points: Mapping[str, np.ndarray],
    trajectories: Mapping[str, np.ndarray],
) -> Figure:
    """P2 Fig. 2: fixed points and probe trajectories in 3 principal components.

    fixed_points: label -> [k, 3] (drawn as grey dots, one shade per set);
    trajectories: label -> [T + 1, 3] (first row = the start state, marked by a square).

    The axes span the trajectories and the bulk of the fixed points: a fixed point more than
    6 scaled median absolute deviations from the median on some axis is not drawn (a few far
    points would otherwise squeeze the line into a corner), and the figure says how many.
    """
    apply_style()
    fig = plt.figure(figsize=(6.4, 5.2))
    ax: Any = fig.add_subplot(projection="3d")
    every = np.concatenate(list(fixed_points.values()))
    median = np.median(every, axis=0)
    spread = 6 * 1.4826 * np.median(np.abs(every - median), axis=0) + 1e-12
    hidden = 0
    for shade, (label, points) in zip(("0.75", "0.2", "0.5"), fixed_points.items(),
                                      strict=False):
        inside = np.all(np.abs(points - median) <= spread, axis=1)
        hidden += int((~inside).sum())
        ax.scatter(*points[inside].T, s=6, color=shade, depthshade=False, label=label)
    if hidden:
        ax.text2D(0.02, 0.98, f"{hidden} far fixed point(s) not drawn", transform=ax.transAxes,
                  fontsize=8, va="top")
    colors = plt.get_cmap("tab10")
    for i, (label, path) in enumerate(trajectories.items()):
        ax.plot(*path.T, "-o", ms=3, color=colors(i), label=label)
        ax.plot(*path[:1].T, "s", ms=6, color=colors(i))
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_zlabel("PC 3")
    fig.legend(loc="lower center", ncol=3, fontsize=8)
    return fig


def eigenvalue_plane(eigenvalues: np.ndarray, highlight: Mapping[str, Sequence[int]]) -> Figure:
    """Eigenvalues of J_rec in the complex plane with the unit circle; ``highlight`` marks the
    modes closest to each modifier's deflection (label -> mode indices)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    angle = np.linspace(0, 2 * np.pi, 256)
    ax.plot(np.cos(angle), np.sin(angle), color=NEUTRAL, lw=0.8)
    ax.plot(eigenvalues.real, eigenvalues.imag, "o", ms=4, color="0.35", label="eigenvalue")
    for label, modes in highlight.items():
        modes = list(modes)
        ax.plot(eigenvalues[modes].real, eigenvalues[modes].imag, "o", ms=10, mfc="none",
                mew=2, color=MODIFIER_COLORS.get(label.split()[0].strip('"'), PAPER),
                label=label)
    ax.set_aspect("equal")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def mode_angles(angles: Mapping[str, np.ndarray], eigenvalues: np.ndarray) -> Figure:
    """P2 supplementary Fig. 13: angle between each deflection and each left eigenvector
    (modes ordered by |λ|, with |λ| on a second axis)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    index = np.arange(len(eigenvalues))
    for word, values in angles.items():
        ax.plot(index, values, "o-", ms=3, lw=0.8, color=MODIFIER_COLORS.get(word, NEUTRAL),
                label=f'"{word}" deflection')
    ax.set_xlabel("mode (sorted by |λ|, largest first)")
    ax.set_ylabel("angle to left eigenvector (degrees)")
    ax.set_ylim(0, 92)
    twin = ax.twinx()
    twin.plot(index, np.abs(eigenvalues), color=NEUTRAL, lw=1, ls=":")
    twin.set_ylabel("|λ| (dotted)")
    twin.grid(False)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def probe_comparison(
    contexts: Sequence[str], words: Sequence[str], target: np.ndarray,
    true_change: np.ndarray, linear_prediction: np.ndarray,
) -> Figure:
    """The 16 probes: linear prediction wᵀ J_inp x against the network's readout change
    (left) and both against the rule's target contribution (right)."""
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6))
    markers = ["o", "s", "^", "D", "v", "P"]
    word_colors = {"good": POSITIVE, "awesome": POSITIVE, "bad": NEGATIVE, "awful": NEGATIVE}
    limit = 1.15 * float(np.max(np.abs(np.concatenate([target, true_change,
                                                       linear_prediction], axis=None))))
    for i in range(len(contexts)):
        for j, word in enumerate(words):
            style = dict(marker=markers[i % len(markers)], color=word_colors.get(word, OURS),
                         ms=6, mfc="none" if word in ("good", "bad") else None, ls="none")
            axes[0].plot(true_change[i, j], linear_prediction[i, j], **style)
            axes[1].plot(target[i, j], true_change[i, j], **style)
    for ax in axes:
        ax.plot([-limit, limit], [-limit, limit], color=NEUTRAL, lw=0.8)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
    axes[0].set_xlabel("network: readout change")
    axes[0].set_ylabel("linear: wᵀ J_inp(h_ctx) x")
    axes[1].set_xlabel("rule: target contribution")
    axes[1].set_ylabel("network: readout change")
    for i, context in enumerate(contexts):
        axes[1].plot([], [], marker=markers[i % len(markers)], color="0.3", ls="none",
                     label=f'after "{context}"' if context else "no context")
    axes[1].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def ablation_ranking(ablations: Sequence[Any], top: int = 6) -> Figure:
    """P2 supplementary Fig. 14: fraction of each modifier's effect removed by cutting one
    eigenmode (pair) from its deflection, the ``top`` modes per modifier, labelled by λ."""
    apply_style()
    fig, axes = plt.subplots(1, len(ablations), figsize=(4.0 * len(ablations), 3.4),
                             squeeze=False)
    for ax, ablation in zip(axes[0], ablations, strict=True):
        chosen = ablation.ranking[:top]
        labels = [eigen_label(ablation.eigenvalues[g]) for g in chosen]
        ax.barh(np.arange(len(chosen))[::-1], ablation.removed[chosen],
                color=MODIFIER_COLORS.get(ablation.modifier, OURS))
        ax.set_yticks(np.arange(len(chosen))[::-1], labels)
        ax.axvline(1.0, color=NEUTRAL, ls="--", lw=0.8)
        ax.set_xlabel("fraction of the effect removed")
        ax.set_title(f'cut from the "{ablation.modifier}" deflection')
    axes[0][0].set_ylabel("eigenmode removed (λ)")
    fig.tight_layout()
    return fig


def eigen_label(value: complex) -> str:
    """An eigenvalue as text: "0.93" or "0.52 ± 0.31i" (:func:`rnnctx_utils.toy.eigen_label`,
    the one the chapter's numbers use)."""
    from rnnctx_utils import toy

    return toy.eigen_label(value)
