"""Chapter 6's comparison of the gains α and timescales τ the augmented bag-of-words learns
with those chapter 5 measures inside the network (and, on the synthetic corpus, the planted
ones)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LEARNED, MEASURED, PLANTED = "augmented BoW", "RNN (chapter 5)", "planted"


def gains_and_timescales(mod_words: Sequence[str], learned: Any, timing: Any,
                         timing_words: Sequence[str], truth: Any = None
                         ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(alphas, taus): source -> [k] values for the k modifiers, sources in display order.

    Args:
        mod_words: the k modifiers.
        learned: :func:`augmented_bow.learned_modifiers` of the "+ both" fit (``alpha``,
            ``tau`` [k]).
        timing: chapter 5's :class:`~rnnctx_utils.modifier_timing.TimingAnalysis` over
            ``timing_words`` (a superset of mod_words): α = g(0), τ = ``tau_gain``.
        truth: the synthetic corpus's ground truth (adds "planted", nan for a discovered
            modifier that was not planted), or None.
    """
    sel = [list(timing_words).index(t) for t in mod_words]
    alphas = {LEARNED: learned.alpha, MEASURED: timing.alpha[sel]}
    taus = {LEARNED: learned.tau, MEASURED: timing.tau_gain[sel]}
    if truth is not None:
        nan = float("nan")
        alphas[PLANTED] = np.array([truth.modifiers[t].alpha if t in truth.modifiers else nan
                                    for t in mod_words])
        taus[PLANTED] = np.array([truth.modifiers[t].tau if t in truth.modifiers else nan
                                  for t in mod_words])
    return alphas, taus


def parameter_table(mod_words: Sequence[str], alphas: dict[str, np.ndarray],
                    taus: dict[str, np.ndarray]) -> str:
    """Markdown table: per modifier, α and τ from every source of
    :func:`gains_and_timescales`."""
    head = " | ".join(f"α {k} | τ {k}" for k in alphas)
    rows = [f"| modifier | {head} |", "| --- " * (1 + 2 * len(alphas)) + "|"]
    rows += ["| " + t + " | " + " | ".join(f"{alphas[k][i]:+.2f} | {taus[k][i]:.2f}"
                                           for k in alphas)
             + " |" for i, t in enumerate(mod_words)]
    return "\n".join(rows)


def alpha_correlation(alphas: dict[str, np.ndarray]) -> float:
    """Pearson r between the learned and the measured gains across the modifiers (nan with
    fewer than two)."""
    if len(alphas[MEASURED]) <= 1:  # one per modifier
        return float("nan")
    return float(np.corrcoef(alphas[LEARNED], alphas[MEASURED])[0, 1])
