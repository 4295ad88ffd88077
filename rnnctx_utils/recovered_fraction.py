"""The recovered fraction (M9): the share of the RNN's gain over bag-of-words that the augmented
bag-of-words model recovers, with a paired bootstrap interval over test documents.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnctx_utils._types import ArrayLike


def recovered_fraction(acc_aug: float, acc_bow: float, acc_rnn: float) -> float:
    """(acc_aug − acc_BoW) / (acc_RNN − acc_BoW): the share of the RNN's gain over plain
    bag-of-words that the augmented model recovers (M9; P2 reports > 0.9). nan when the RNN
    does not beat bag-of-words."""
    gap = acc_rnn - acc_bow
    return float((acc_aug - acc_bow) / gap) if gap != 0 else float("nan")


class RecoveredFraction(NamedTuple):
    """estimate on the full test set; low, high: bootstrap percentile interval; level."""

    estimate: float
    low: float
    high: float
    level: float


def bootstrap_recovered_fraction(
    correct_aug: ArrayLike,
    correct_bow: ArrayLike,
    correct_rnn: ArrayLike,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> RecoveredFraction:
    """Recovered fraction with a paired bootstrap interval over test documents.

    The same resampled documents are used for all three models (paired), so their shared
    difficulty cancels. Percentile interval; replicates where the RNN does not beat
    bag-of-words are dropped (nan).

    Args:
        correct_aug, correct_bow, correct_rnn: [n] bool, per-document correctness.
    Returns:
        RecoveredFraction(estimate, low, high, level).
    """
    c = np.stack(
        [np.asarray(correct_aug), np.asarray(correct_bow), np.asarray(correct_rnn)]
    ).astype(np.float64)
    n = c.shape[1]
    estimate = recovered_fraction(*c.mean(axis=1))
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    block = max(1, 2_000_000 // max(n, 1))  # bound the [replicates, n] index array
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        acc = c[:, idx].mean(axis=2)  # [3, replicates]
        gap = acc[2] - acc[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            samples[start:stop] = np.where(gap != 0, (acc[0] - acc[1]) / gap, np.nan)
    tail = 100 * (1 - level) / 2
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return RecoveredFraction(estimate, float(low), float(high), level)
