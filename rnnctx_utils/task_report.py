"""Chapter 1's reporting: the model's size and training summary, and the accuracy table.

Reads a trained model's parameters and recorded metrics; computes nothing new.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The cells of P1's accuracy table, in its column order.
CELLS = ("vanilla", "ugrnn", "gru", "lstm")

#: P1's test accuracies (%): dataset, BoW, then one column per cell of :data:`CELLS`.
PAPER_ACCURACY: list[list[Any]] = [["Yelp 2015 (P1)", 93.37, 92.96, 95.67, 95.84, 95.05],
                                   ["IMDB (P1)", 88.53, 87.08, 87.96, 86.86, 86.93],
                                   ["SST binary (P1)", 79.74, 78.09, 77.74, 80.25, 80.09]]


def parameter_counts(params: dict[str, Any]) -> dict[str, int]:
    """Number of parameters per block: embedding [V, E], h0 [S], readout_w [S] and the cell
    (the sum over its weight arrays)."""
    sizes = {name: int(np.size(params[name])) for name in ("embedding", "h0", "readout_w")}
    sizes["cell"] = sum(int(np.size(v)) for v in params["cell"].values())
    return sizes


def training_lines(model: Any, cell: str, n_embed: int) -> list[str]:
    """Three printed lines: the network's size, its training run (from ``model.metrics``) and
    the bag-of-words baseline (from ``model.bow_metrics``)."""
    m, b = model.metrics, model.bow_metrics
    padding = f"{100 * m['padding_fraction']:.1f}%" if "padding_fraction" in m else "n/a"
    return [f"{cell.upper()}: E = {n_embed}, S = {model.params['h0'].shape[0]}; "
            f"parameters: {parameter_counts(model.params)}",
            f"training: {m['n_steps']:,.0f} steps in {m['train_seconds'] / 60:.1f} min "
            f"({m['tokens_per_second']:,.0f} tokens/s; {padding} of computed token slots were "
            f"padding); best validation step {m['best_step']:,.0f}",
            f"bag-of-words baseline: word {model.bow_kind}, C = {b['C']:.3g} (chosen on "
            f"validation: {100 * b['valid_accuracy']:.2f}%), test "
            f"{100 * b['test_accuracy']:.2f}%"]


def accuracy_rows(corpus: str, cell: str, rnn_accuracy: float,
                  bow_accuracy: float) -> list[list[Any]]:
    """P1's accuracy rows and ours (accuracies as fractions; ours fills its cell's column
    and leaves the others as "–")."""
    ours = ["–"] * len(CELLS)
    ours[CELLS.index(cell)] = f"{100 * rnn_accuracy:.2f}"
    return [*PAPER_ACCURACY, [f"{corpus} (this book)", f"{100 * bow_accuracy:.2f}", *ours]]


def bayes_text(bayes: float) -> str:
    """The Bayes accuracy (a fraction; NaN on a real corpus) as the chapter writes it."""
    return f"{100 * bayes:.2f}%" if np.isfinite(bayes) else "— (a real corpus has no planted rule)"
