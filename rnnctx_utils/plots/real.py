"""Figures of the "On real reviews" sections: recorded SST-2 / IMDB numbers, one panel per corpus.

Inputs are :class:`rnnctx_utils.real_summaries.RealSummary` objects (numbers recorded by
``benchmarks/real_corpus_summary.py``); each function returns the Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils.plots.style import NEUTRAL, OURS, PAPER, ROLE_COLORS, apply_style
from rnnctx_utils.real_summaries import CHECK_LIST, RealSummary


def _nan(value: object) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def line_attractor(summaries: Sequence[RealSummary],
                   synthetic: Mapping[str, float] | None = None) -> Figure:
    """Chapter 3 on each corpus: how planar the states are, how line-like the slow points, and
    how slow the top modes (median τ₁, τ₂, τ₅ along the line, log axis).

    Args:
        summaries: the corpora to show.
        synthetic: this build's own values under the same glue names (``ch3_trained_top3``,
            ``ch3_untrained_top3``, ``ch3_slow_pc1``, ``ch3_tau1_median``, ...), drawn first.
    """
    apply_style()
    columns = ([("synthetic (this build)", dict(synthetic))] if synthetic else []) + [
        (s.name, s.values) for s in summaries]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.4))
    x = np.arange(len(columns))
    bars = (("top 3 PCs, trained", "ch3_trained_top3", OURS),
            ("top 3 PCs, untrained", "ch3_untrained_top3", NEUTRAL),
            ("slow points on one line", "ch3_slow_pc1", PAPER))
    for j, (label, key, color) in enumerate(bars):
        left.bar(x + (j - 1) * 0.27, [_nan(v.get(key)) for _, v in columns], 0.27, color=color,
                 label=label)
    left.axhline(0.9, color="k", lw=0.8, ls=":", label="P1: ≈ 0.9")
    left.set(xticks=x, xticklabels=[n for n, _ in columns], ylim=(0, 1.05),
             ylabel="fraction of variance", title="states and slow points")
    left.legend(loc="lower right", fontsize=8)
    for j, (label, key) in enumerate((("τ₁", "ch3_tau1_median"), ("τ₂", "ch3_tau2_median"),
                                      ("τ₅", "ch3_tau5_median"))):
        right.bar(x + (j - 1) * 0.27, [_nan(v.get(key)) for _, v in columns], 0.27,
                  color=plt.get_cmap("Blues")(0.9 - 0.25 * j), label=label)
    right.set(xticks=x, xticklabels=[n for n, _ in columns], yscale="log",
              ylabel="median time constant (tokens)", title="top modes along the line")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def top_words(summaries: Sequence[RealSummary]) -> Figure:
    """Chapter 4 on each corpus: the top 20 tokens by the in-context score (bars; check-list
    words in colour), and the log-histograms of both scores over the scored tokens."""
    apply_style()
    n = len(summaries)
    fig, axes = plt.subplots(n, 2, figsize=(9.6, 4.2 * n), squeeze=False,
                             gridspec_kw={"width_ratios": [1.1, 1]})
    for (bars, hist), s in zip(axes, summaries, strict=True):
        top = s.get("ch4_top20") or []
        words = [row[0] for row in top][::-1]
        scores = [row[1] for row in top][::-1]
        colors = [ROLE_COLORS["negator"] if w in CHECK_LIST else NEUTRAL for w in words]
        bars.barh(np.arange(len(words)), scores, color=colors)
        bars.set(yticks=np.arange(len(words)), yticklabels=words,
                 xlabel="in-context score s (readout units)",
                 title=f"{s.name}: top 20 (red: on the English modifier list)")
        bars.tick_params(axis="y", labelsize=8)
        bars.grid(False, axis="y")
        for key, label, color in (("ch4_hist_score", "in-context score s", OURS),
                                  ("ch4_hist_jacobian", "‖ΔJ_inp‖_F (P2)", PAPER)):
            recorded = s.get(key)
            if not recorded:
                continue
            edges, counts = np.asarray(recorded[0]), np.asarray(recorded[1])
            # each score on its own scale: positions relative to its median bin
            centre = (edges[:-1] + edges[1:]) / 2
            median = centre[np.searchsorted(np.cumsum(counts), counts.sum() / 2)]
            hist.step(centre - median, counts, where="mid", color=color, label=label)
        hist.set(yscale="log", xlabel="log10(score) − log10(median score)",
                 ylabel="tokens", title=f"{s.name}: both scores over the scored tokens")
        if hist.get_legend_handles_labels()[0]:
            hist.legend(fontsize=8)
        else:
            hist.text(0.5, 0.5, "histograms not recorded in this summary",
                      ha="center", va="center", transform=hist.transAxes, fontsize=9)
    fig.tight_layout()
    return fig


def timing(summaries: Sequence[RealSummary]) -> Figure:
    """Chapter 5 on each corpus: τ (distance) against g(0) for every followed word; a negator
    sits left of 0 (it flips the next word), an intensifier right of 1."""
    apply_style()
    n = len(summaries)
    fig, axes = plt.subplots(1, n, figsize=(4.8 * n, 3.6), squeeze=False)
    for ax, s in zip(axes[0], summaries, strict=True):
        rows = [r for r in s.get("ch5_word_timing") or [] if r[1] is not None and r[2] is not None]
        if not rows:
            ax.text(0.5, 0.5, "per-word timing not recorded in this summary", ha="center",
                    va="center", transform=ax.transAxes, fontsize=9)
        gains = np.array([r[2] for r in rows], dtype=float)
        for (word, tau, gain, _), g in zip(rows, np.clip(gains, -3, 5), strict=True):
            color = ROLE_COLORS["negator"] if gain < 0 else ROLE_COLORS["intensifier"]
            ax.scatter(g, tau, color=color, s=25)
            ax.annotate(word + (" (clipped)" if g != gain else ""), (g, tau), fontsize=8,
                        xytext=(3, 3), textcoords="offset points")
        ax.axvline(0, color="k", lw=0.6)
        ax.axvline(1, color="k", lw=0.6, ls=":")
        ax.set(xlabel="g(0): gain on the next word (clipped to [−3, 5])",
               ylabel="τ from the distance (tokens)", title=s.name)
    fig.tight_layout()
    return fig


def necessity_sufficiency(summaries: Sequence[RealSummary]) -> Figure:
    """Chapter 6 on each corpus: test accuracy of bag-of-words, its augmented members and the
    RNN, with the RNN's accuracy on documents with modifiers, intact and ablated."""
    apply_style()
    n = len(summaries)
    fig, axes = plt.subplots(1, n, figsize=(4.8 * n, 3.8), squeeze=False)
    members = (("BoW", "ch6_acc_bow", NEUTRAL), ("+ modifiers", "ch6_acc_modifiers", OURS),
               ("+ position", "ch6_acc_position", OURS), ("+ both", "ch6_acc_both", OURS),
               ("top k [ours]", "ch6_acc_scan", OURS), ("RNN", "ch6_acc_rnn", PAPER))
    for ax, s in zip(axes[0], summaries, strict=True):
        values = [_nan(s.get(key)) for _, key, _ in members]
        ax.bar(np.arange(len(members)), values, color=[c for *_, c in members])
        finite = [v for v in values if np.isfinite(v)]
        low = min(finite) if finite else 0.5
        ax.set(xticks=np.arange(len(members)), xticklabels=[m for m, *_ in members],
               ylim=(max(0.0, low - 0.03), min(1.0, max(finite, default=1.0) + 0.02)),
               ylabel="test accuracy", title=s.name)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    return fig
