"""Figures of chapter 1: the corpus, the training run and the readout over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils.plots.style import NEGATIVE, NEUTRAL, OURS, PAPER, POSITIVE, apply_style


def corpus_overview(lengths: np.ndarray, labels: np.ndarray) -> Figure:
    """Document lengths [n] by label [n] (histogram) and the label balance (bars)."""
    apply_style()
    fig, (ax_len, ax_bal) = plt.subplots(1, 2, figsize=(8.0, 3.2),
                                         gridspec_kw={"width_ratios": [3, 1]})
    bins = np.linspace(0, max(int(lengths.max()), 1) + 1, 30)
    for label, color, name in ((1, POSITIVE, "positive"), (0, NEGATIVE, "negative")):
        ax_len.hist(lengths[labels == label], bins=list(bins), alpha=0.6, color=color, label=name)
    ax_len.set(xlabel="document length (tokens)", ylabel="documents",
               title="Lengths of the training documents")
    ax_len.legend()
    counts = [int((labels == 0).sum()), int((labels == 1).sum())]
    ax_bal.bar(["negative", "positive"], counts, color=[NEGATIVE, POSITIVE])
    ax_bal.set(ylabel="documents", title="Label balance")
    fig.tight_layout()
    return fig


def position_weights(position: Any, length: int = 60) -> Figure:
    """The planted position weight p(t, T) for a document of ``length`` tokens."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    t = np.arange(length)
    ax.plot(t, position(t, length), color=OURS)
    ax.axhline(1.0, color=NEUTRAL, lw=0.8)
    ax.set(xlabel="position t (tokens)", ylabel="weight p(t, T)",
           title=f"Planted position weights (T = {length})")
    fig.tight_layout()
    return fig


def training_curves(history: dict[str, list[float]], bow_accuracy: float | None = None,
                    bayes_accuracy: float | None = None) -> Figure:
    """Loss and accuracy against training step, with the BoW and Bayes accuracies as lines."""
    apply_style()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8.0, 3.2))
    step = np.asarray(history["step"])
    ax_loss.plot(step, history["train_loss"], label="train", color=OURS)
    ax_loss.plot(step, history["valid_loss"], label="validation", color=PAPER)
    ax_loss.set(xlabel="training step", ylabel="cross-entropy (nats)", title="Loss")
    ax_loss.legend()
    ax_acc.plot(step, history["train_accuracy"], label="train", color=OURS)
    ax_acc.plot(step, history["valid_accuracy"], label="validation", color=PAPER)
    if bow_accuracy is not None:
        ax_acc.axhline(bow_accuracy, color=NEUTRAL, ls="--", label="bag-of-words (test)")
    if bayes_accuracy is not None:
        ax_acc.axhline(bayes_accuracy, color="k", ls=":", label="Bayes (planted rule)")
    ax_acc.set(xlabel="training step", ylabel="accuracy", title="Accuracy")
    ax_acc.legend()
    fig.tight_layout()
    return fig


def probe_readouts(probes: Sequence[Any], planted: Sequence[np.ndarray] | None = None) -> Figure:
    """P2's opening figure: the readout after each token, one panel per sentence
    (:class:`rnnctx_utils.analysis.ProbeReadout`); with ``planted`` ([T] contributions per
    sentence), the running planted score on a second axis (dashed)."""
    apply_style()
    fig, axes = plt.subplots(1, len(probes), figsize=(3.6 * len(probes), 3.4), sharey=True,
                             squeeze=False)
    twins = []
    for ax, i in zip(axes[0], range(len(probes)), strict=True):
        probe = probes[i]
        t = np.arange(len(probe.tokens) + 1)
        ax.plot(t, np.concatenate([[probe.logit_h0], probe.logits]), marker="o", ms=3,
                color=OURS, label="RNN readout")
        ax.axhline(0.0, color=NEUTRAL, lw=0.8)
        ax.set_xticks(t)
        ax.set_xticklabels(["h0", *probe.tokens], rotation=70, fontsize=8)
        ax.set_xlabel("tokens")
        ax.set_title(probe.sentence, fontsize=9)
        if planted is not None:
            twin = ax.twinx()
            twin.plot(t, np.concatenate([[0.0], np.cumsum(planted[i])]), ls="--", marker="s",
                      ms=2.5, color=PAPER, label="planted score")
            twin.set_ylabel("running planted score", color=PAPER)
            twin.grid(False)
            twins.append(twin)
    # Same zero on both axes: scale each planted axis by the ratio of the shared RNN limits.
    low, high = axes[0, 0].get_ylim()
    scale = 1e-9
    for twin in twins:  # one scale for all panels, so the planted curves compare too
        t_low, t_high = twin.get_ylim()
        scale = max(scale, t_high / high if high > 0 else 0.0, t_low / low if low < 0 else 0.0)
    for twin in twins:
        twin.set_ylim(low * scale, high * scale)
    axes[0, 0].set_ylabel("readout (logit)")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table string (display it with ``IPython.display.Markdown``); a "|" inside a
    cell (|λ₁|, |e − e*|) is escaped so that it does not split the cell."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """An HTML table for a notebook cell (``IPython.display.HTML``; cells are escaped).

    HTML rather than markdown: myst-nb renders ``text/markdown`` outputs as CommonMark by
    default, which has no tables.
    """
    import html  # noqa: PLC0415

    from IPython.display import HTML  # noqa: PLC0415

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
