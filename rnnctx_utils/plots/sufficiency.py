"""Figures of chapter 6: the necessity test (ablation of the modifier subspace) and the
sufficiency test (the augmented bag-of-words family).

One function per figure, each returns the Figure; inputs are plain arrays and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils.plots.style import NEGATIVE, NEUTRAL, OURS, PAPER, POSITIVE, apply_style

CONDITION_COLORS = {"intact": OURS, "modifier subspace removed": PAPER,
                    "random subspace removed": NEUTRAL}


def probe_timecourses(
    probes: Sequence[Sequence[str]],
    logits: Mapping[str, Sequence[np.ndarray]],
    spreads: Mapping[str, Sequence[np.ndarray]] | None = None,
) -> Figure:
    """Readout after every token of each probe sentence, one panel per probe.

    Args:
        probes: P token lists (lengths T_p).
        logits: condition name -> P arrays [T_p] of logits (e.g. intact, modifier subspace
            removed, random subspace removed: mean over draws).
        spreads: condition name -> P arrays [T_p], standard deviation over draws (a band).
    """
    apply_style()
    n = len(probes)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.2), sharey=True, squeeze=False)
    for p, (ax, words) in enumerate(zip(axes[0], probes, strict=True)):
        t = np.arange(len(words))
        for name, values in logits.items():
            color = CONDITION_COLORS.get(name, None)
            v = np.asarray(values[p])
            ax.plot(t, v, marker="o", ms=3, label=name, color=color)
            if spreads is not None and name in spreads:
                s = np.asarray(spreads[name][p])
                ax.fill_between(t, v - s, v + s, color=color, alpha=0.2, lw=0)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(t)
        ax.set_xticklabels(words, rotation=60, fontsize=8)
        ax.set_title(" ".join(words), fontsize=9)
        ax.set_xlabel("token")
    axes[0, 0].set_ylabel("logit (readout)")
    axes[0, -1].legend(loc="best", fontsize=7)
    fig.suptitle("Probe sentences, intact and ablated network")
    fig.tight_layout()
    return fig


def modifier_gain_bars(
    words: Sequence[str],
    gains: Mapping[str, np.ndarray],
    errors: Mapping[str, np.ndarray] | None = None,
) -> Figure:
    """g(0) of each modifier (gain on the next valence word) under each condition.

    Args:
        words: [M] modifiers.
        gains: condition -> [M] gains; errors: condition -> [M] spread (error bars).
    """
    apply_style()
    fig, ax = plt.subplots(figsize=(max(4.8, 0.9 * len(words) + 2), 3.4))
    x = np.arange(len(words))
    width = 0.8 / max(len(gains), 1)
    for i, (name, g) in enumerate(gains.items()):
        err = None if errors is None or name not in errors else errors[name]
        ax.bar(x + (i - (len(gains) - 1) / 2) * width, g, width, yerr=err, label=name,
               color=CONDITION_COLORS.get(name, None), capsize=2)
    ax.axhline(1, color="k", lw=0.6, ls=":")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(x)
    ax.set_xticklabels(words, rotation=30)
    ax.set_ylabel("gain g(0) on the next word")
    ax.set_title("Modifier effect on the next valence word")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def ablation_accuracy(
    groups: Sequence[str],
    intact: Sequence[float],
    ablated: Sequence[float],
    random_mean: Sequence[float],
    random_std: Sequence[float],
) -> Figure:
    """Test accuracy of the intact network, with the modifier subspace removed, and with
    random subspaces removed (mean ± std over draws), for each group of documents."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    x = np.arange(len(groups))
    ax.bar(x - 0.27, intact, 0.27, label="intact", color=CONDITION_COLORS["intact"])
    ax.bar(x, ablated, 0.27, label="modifier subspace removed",
           color=CONDITION_COLORS["modifier subspace removed"])
    ax.bar(x + 0.27, random_mean, 0.27, yerr=random_std, capsize=3,
           label="random subspace removed", color=CONDITION_COLORS["random subspace removed"])
    ax.set_xticks(x)
    ax.set_xticklabels(groups)
    ax.set_ylim(0.4, 1.0)
    ax.axhline(0.5, color="k", lw=0.6, ls=":")
    ax.set_ylabel("test accuracy")
    ax.set_title("Necessity: accuracy after the ablation")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def family_accuracy(
    names: Sequence[str],
    accuracies: Sequence[float],
    rnn_accuracy: float,
    bow_accuracy: float,
    ceiling: float | None = None,
) -> Figure:
    """Test accuracy of the augmented bag-of-words family, with the RNN (and, on the synthetic
    corpus, the planted rule's accuracy on the same test documents) as horizontal lines."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    y = np.arange(len(names))
    ax.barh(y, accuracies, color=OURS)
    ax.axvline(rnn_accuracy, color=PAPER, label=f"RNN ({rnn_accuracy:.3f})")
    ax.axvline(bow_accuracy, color=NEUTRAL, ls="--", label=f"bag-of-words ({bow_accuracy:.3f})")
    if ceiling is not None:
        ax.axvline(ceiling, color="k", ls=":", label=f"planted rule ({ceiling:.3f})")
    for yi, a in zip(y, accuracies, strict=True):
        ax.text(a, float(yi), f" {a:.3f}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    low = min(min(accuracies), bow_accuracy) - 0.03
    ax.set_xlim(low, 1.0)
    ax.set_xlabel("test accuracy")
    ax.set_title("Sufficiency: the augmented bag-of-words family")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def parameter_comparison(
    words: Sequence[str],
    values: Mapping[str, np.ndarray],
    *,
    quantity: str,
) -> Figure:
    """One modifier parameter (gain α or timescale τ) from several sources, per modifier.

    Args:
        words: [M] modifiers.
        values: source (e.g. "augmented BoW", "RNN (chapter 5)", "planted") -> [M] values
            (nan where a source has none).
        quantity: axis label, e.g. "gain α" or "timescale τ (tokens)".
    """
    apply_style()
    fig, ax = plt.subplots(figsize=(max(4.8, 0.9 * len(words) + 2), 3.2))
    x = np.arange(len(words))
    markers = ["o", "s", "D", "^"]
    colors = [OURS, PAPER, "k", NEUTRAL]
    for i, (name, v) in enumerate(values.items()):
        ax.scatter(x + (i - (len(values) - 1) / 2) * 0.15, v, marker=markers[i % 4],
                   color=colors[i % 4], label=name, zorder=3)
    ax.set_xticks(x)
    ax.set_xticklabels(words, rotation=30)
    ax.set_ylabel(quantity)
    ax.set_title(f"Per-modifier {quantity.split(' (')[0]}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def residual_bars(tokens: Sequence[str], gaps: Sequence[float], counts: Sequence[int]) -> Figure:
    """Accuracy gap RNN − augmented model on the test documents containing each modifier."""
    apply_style()
    fig, ax = plt.subplots(figsize=(max(4.8, 0.7 * len(tokens) + 2), 3.2))
    x = np.arange(len(tokens))
    colors = [NEGATIVE if g > 0 else POSITIVE for g in gaps]
    ax.bar(x, gaps, color=colors)
    for xi, g, n in zip(x, gaps, counts, strict=True):
        ax.text(float(xi), g, f"n={n}", ha="center", va="bottom" if g >= 0 else "top", fontsize=7)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(x)
    ax.set_xticklabels(tokens, rotation=30)
    ax.set_ylabel("accuracy gap (RNN − model)")
    ax.set_title("Where the augmented model falls short")
    fig.tight_layout()
    return fig
