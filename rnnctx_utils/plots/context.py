"""Figures of chapters 4 and 5 (P2's modifiers: who they are, how strong, how long).

One function per figure, each returns the Figure. Inputs are the plain arrays of
:mod:`rnnctx_utils.modifiers` and :mod:`rnnctx_utils.context`; nothing is computed here beyond
what display needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils.plots.style import NEUTRAL, OURS, PAPER, ROLE_COLORS, apply_style

GROUP_COLORS = {
    "negator": ROLE_COLORS["negator"],
    "intensifier": ROLE_COLORS["intensifier"],
    "diminisher": ROLE_COLORS["diminisher"],
    "other": ROLE_COLORS["contrast"],
}


def _color_cycle(n: int) -> list[tuple[float, float, float, float]]:
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def score_histogram(
    scores: np.ndarray,
    threshold: float | None,
    marked: Mapping[str, float] | None = None,
    xlabel: str = "modifier score ‖ΔJ_inp‖_F (mean over reference points)",
) -> Figure:
    """Histogram of the positive modifier scores [V] on a log axis, the selection cut as a
    dashed line (none when ``threshold`` is None), and selected words (word -> score) marked
    as ticks above the bars."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    positive = scores[scores > 0]
    bins = np.logspace(np.log10(positive.min()), np.log10(positive.max()) + 1e-9, 50)
    ax.hist(positive, bins=list(bins), color=NEUTRAL)
    ax.set_xscale("log")
    ax.set_yscale("log")
    if threshold is not None:
        ax.axvline(threshold, color=PAPER, ls="--", label="cut (method's own rule)")
    top = ax.get_ylim()[1]
    for i, (word, score) in enumerate((marked or {}).items()):
        ax.annotate(word, (score, top * (0.6 ** (i % 4))), rotation=60, fontsize=8,
                    color=OURS, ha="left", va="top")
        ax.axvline(score, color=OURS, lw=0.6, alpha=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("tokens")
    ax.set_title("Contextual effect of every vocabulary token")
    if threshold is not None:
        ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def subspace_variance(explained: np.ndarray, dim: int, target: float) -> Figure:
    """Cumulative fraction of the deflections' sum of squares explained by the modifier
    components; the chosen dimension marked."""
    apply_style()
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    n = min(len(explained), 15)
    ks = np.arange(1, n + 1)
    ax.bar(ks, explained[:n], color=NEUTRAL, label="per component")
    ax.plot(ks, np.cumsum(explained[:n]), "o-", color=OURS, label="cumulative")
    ax.axhline(target, color=PAPER, ls=":", label=f"target {target:.0%}")
    ax.axvline(dim + 0.5, color=PAPER, ls="--")
    ax.set_xlabel("modifier component")
    ax.set_ylabel("fraction of sum of squares")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Modifier subspace: {dim} dimension(s)")
    ax.legend(loc="center right")
    fig.tight_layout()
    return fig


def modifier_scatter(
    projections: np.ndarray,
    scores: np.ndarray,
    words: Sequence[str],
    labelled: Sequence[str],
) -> Figure:
    """Every token's mean deflection on modifier components #1 and #2 [V, 2], coloured by
    its score on a log scale, with the ``labelled`` words written next to their points."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    order = np.argsort(scores)  # the strongest on top
    colors = np.log10(np.maximum(scores[order], 1e-12))
    points = ax.scatter(projections[order, 0], projections[order, 1], c=colors, s=14,
                        cmap="viridis")
    index = {w: i for i, w in enumerate(words)}
    for word in labelled:
        i = index[word]
        ax.annotate(word, projections[i], fontsize=9, xytext=(4, 3), textcoords="offset points")
    fig.colorbar(points, ax=ax, label="log₁₀ modifier score")
    ax.set_xlabel("modifier component #1 (state units)")
    ax.set_ylabel("modifier component #2 (state units)")
    ax.set_title("Tokens in the modifier subspace")
    fig.tight_layout()
    return fig


def gain_bars(gains: Mapping[str, float], groups: Mapping[str, str]) -> Figure:
    """Gain g(0) of the valence probe right after each selected modifier, coloured by group."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    words = list(gains)
    ax.bar(words, [gains[w] for w in words],
           color=[GROUP_COLORS.get(groups[w], NEUTRAL) for w in words])
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_ylabel("gain g(0) on the next word")
    ax.set_title("Groups of modifiers by their effect on the next word")
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig


def modifier_trajectories(
    trajectories: np.ndarray,
    words: Sequence[str],
    attractor: np.ndarray,
) -> Figure:
    """State trajectories [M, K+2, 2] after each modifier in (manifold direction, modifier
    component #1) coordinates, with the attractor points [m, 2] in grey."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    ax.plot(attractor[:, 0], attractor[:, 1], ".", color=NEUTRAL, ms=3, label="slow points")
    for word, path, color in zip(words, trajectories, _color_cycle(len(words)), strict=True):
        ax.plot(path[:, 0], path[:, 1], "o-", color=color, ms=3, lw=1, label=word)
        ax.plot(path[1, 0], path[1, 1], "o", color=color, ms=7)
    ax.plot(trajectories[0, 0, 0], trajectories[0, 0, 1], "k*", ms=10, label="start")
    ax.set_xlabel("manifold direction (state units)")
    ax.set_ylabel("modifier component #1 (state units)")
    ax.set_title("After a modifier the state leaves the line and returns")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def distance_curves(
    k: np.ndarray,
    distance: np.ndarray,
    amplitude: np.ndarray,
    tau: np.ndarray,
    words: Sequence[str],
) -> Figure:
    """Distance from the attractor d(k) [M, K+1] (log axis) with the fitted exponentials."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    fine = np.linspace(k[0], k[-1], 100)
    for i, color in enumerate(_color_cycle(len(words))):
        ax.plot(k, distance[i], "o", color=color, ms=4, label=f"{words[i]} (τ = {tau[i]:.2f})")
        if np.isfinite(tau[i]):
            ax.plot(fine, amplitude[i] * np.exp(-fine / tau[i]), "-", color=color, lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("tokens after the modifier, k")
    ax.set_ylabel("distance in the modifier subspace (state units)")
    ax.set_title("Relaxation back to the line attractor")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def gain_curves(
    k: np.ndarray,
    gains: np.ndarray,
    linear_gains: np.ndarray,
    words: Sequence[str],
    planted: Mapping[str, np.ndarray] | None = None,
) -> Figure:
    """g(k) [M, K+1] measured with the network (solid), the linear prediction (dashed) and,
    when given, the planted rule's gain (dotted)."""
    apply_style()
    n = len(words)
    cols = min(n, 5)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.3 * cols, 2.2 * rows), sharex=True,
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        ax.plot(k, gains[i], "o-", color=OURS, ms=3, label="network")
        ax.plot(k, linear_gains[i], "--", color=PAPER, label="linear")
        if planted is not None and words[i] in planted:
            ax.plot(k, planted[words[i]], ":", color="k", label="planted")
        ax.axhline(1.0, color=NEUTRAL, lw=0.8)
        ax.axhline(0.0, color=NEUTRAL, lw=0.5)
        ax.set_title(words[i], fontsize=9)
        if i % cols == 0:
            ax.set_ylabel("gain g(k)")
        if i // cols == rows - 1:
            ax.set_xlabel("k (tokens)")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Gain on a valence word k tokens after the modifier", fontsize=11)
    fig.tight_layout()
    return fig


def tau_comparison(
    words: Sequence[str],
    estimates: Mapping[str, np.ndarray],
    planted: np.ndarray | None = None,
) -> Figure:
    """Time constants per modifier from several estimates (name -> [M]) as grouped bars,
    the planted τ as black ticks when given."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.6, 3.4))
    n = len(estimates)
    width = 0.8 / (n + (planted is not None))
    x = np.arange(len(words))
    for j, (name, values) in enumerate(estimates.items()):
        ax.bar(x + j * width, values, width, label=name, color=_color_cycle(n + 1)[j])
    if planted is not None:
        ax.bar(x + n * width, planted, width, label="planted (rule)", color="k")
    ax.set_xticks(x + 0.4 - width / 2, list(words), rotation=45)
    ax.set_ylabel("time constant τ (tokens)")
    ax.set_title("How long each modifier lasts")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def position_split_curves(split: Any, planted: Any | None = None) -> Figure:
    """Beginning weight b(k) (left) and recency r(k) (right) of a
    :class:`rnnctx_utils.position.PositionSplit`, one line per number M of fillers before the
    word, with the planted rule's curves (dotted, at its reference M,
    ``planted.settings.reference_before``) when given."""
    apply_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.2))
    shades = plt.cm.Blues(np.linspace(0.45, 0.95, len(split.before)))
    if planted is not None:  # its curves at its reference M
        reference = int(np.flatnonzero(planted.before == planted.settings.reference_before)[0])
        planted_k, planted_label = planted.after, f"planted rule, M = {planted.before[reference]}"
    for ax, measured, planted_curves, ylabel in (
        (left, split.begin, None if planted is None else planted.begin,
         "first word / word after M fillers"),
        (right, split.recency, None if planted is None else planted.recency,
         "effect / effect when last"),
    ):
        for row, m, colour in zip(measured, split.before, shades, strict=True):
            ax.plot(split.after, row, "o-", ms=2.5, color=colour, label=f"network, M = {m}")
        if planted_curves is not None:
            ax.plot(planted_k, planted_curves[reference], ":", color="k", label=planted_label)
        ax.axhline(1.0, color=NEUTRAL, lw=0.8)
        ax.set_xlabel("fillers after the word, k")
        ax.set_ylabel(ylabel)
    left.set_title("beginning weight b(k)", fontsize=10)
    right.set_title("recency r(k)", fontsize=10)
    left.legend(fontsize=7)
    fig.tight_layout()
    return fig


def position_gain_curves(
    position_gain_start: np.ndarray,
    position_gain_end: np.ndarray,
    planted_start: np.ndarray | None = None,
    planted_end: np.ndarray | None = None,
) -> Figure:
    """Gain of a valence word by its distance from the start and from the end of a filler
    document [T] (1 = the middle), with the planted position weights when given."""
    apply_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.2), sharey=True)
    for ax, measured, planted, label in (
        (left, position_gain_start, planted_start, "tokens from the start, t"),
        (right, position_gain_end, planted_end, "tokens before the end, k"),
    ):
        t = np.arange(len(measured))
        ax.plot(t, measured, "o-", ms=3, color=OURS, label="network")
        if planted is not None:
            ax.plot(t, planted, ":", color="k", label="planted")
        ax.axhline(1.0, color=NEUTRAL, lw=0.8)
        ax.set_xlabel(label)
    left.set_ylabel("gain relative to the middle")
    left.legend()
    fig.suptitle("Beginning and end of a document", fontsize=11)
    fig.tight_layout()
    return fig
