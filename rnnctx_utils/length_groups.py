"""Documents split into groups of similar length, each padded only to its own longest one.

Chapter 6's fits draw minibatches of whole documents; a corpus with a long tail of lengths
(IMDB) padded to its longest document would spend most of every step on padding. Used by
:func:`rnnctx_utils.augmented_bow.train_augmented_bow` (groups) and its predictions (widths).
"""

from __future__ import annotations

import numpy as np

#: Long-tailed lengths (longest document over twice the mean, e.g. IMDB: mean 272, longest
#: 2,770 tokens) are split into at most this many groups of similar length, each padded only to
#: its own longest document; minibatches come from one group at a time, groups drawn in
#: proportion to their size (the loss's expectation is unchanged). Without it every minibatch
#: of an IMDB chapter 6 was padded to the longest review (measured: over 30 min, against
#: minutes). See :func:`length_groups` for where the groups split.
N_LENGTH_GROUPS = 4
WIDTH_STEP = 64


def rounded_width(longest: int, limit: int) -> int:
    """``longest`` rounded up to a multiple of 64 (few distinct shapes to compile), ≤ limit."""
    return int(min(limit, max(1, -(-longest // WIDTH_STEP) * WIDTH_STEP)))


def length_groups(lengths: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Documents split by length: [(indices, padded width)], one group when lengths are even.

    Long-tailed lengths: the groups are contiguous in length order and their cuts are those
    that pad least, Σ_groups size × padded width (the work of a minibatch, in expectation),
    among splits into at most :data:`N_LENGTH_GROUPS` groups; four equal quantile groups when
    no split pads strictly less than they do. Quantiles alone put IMDB's longest quarter,
    mostly reviews of 400-1,000 tokens, in one group padded to 2,770: an expected width of
    900 tokens per minibatch, against 426 with the least-padding cuts (the longest group then
    holds 145 of 18,000 reviews), the same 4 compiled widths.
    """
    lengths = np.asarray(lengths)
    limit = max(int(lengths.max(initial=1)), 1)
    if lengths.size == 0 or lengths.max() <= 2 * max(lengths.mean(), 1.0):
        return [(np.arange(lengths.size), limit)]
    order = np.argsort(lengths, kind="stable")
    widths = np.array([rounded_width(int(n), limit) for n in lengths[order]])
    quantile_cuts = np.cumsum([part.size for part in
                               np.array_split(order, N_LENGTH_GROUPS)])[:-1]
    cuts = _least_padding_cuts(widths, N_LENGTH_GROUPS)
    if padded_tokens(widths, cuts) >= padded_tokens(widths, quantile_cuts):
        cuts = quantile_cuts
    parts = np.split(order, cuts)
    return [(np.sort(p), rounded_width(int(lengths[p].max()), limit)) for p in parts if p.size]


def padded_tokens(widths: np.ndarray, cuts: np.ndarray) -> int:
    """Σ_groups size × padded width of the groups that ``cuts`` make of sorted ``widths``."""
    return sum(int(part.size * part[-1]) for part in np.split(widths, cuts) if part.size)


def _least_padding_cuts(widths: np.ndarray, n_groups: int) -> np.ndarray:
    """Cut indices splitting ascending ``widths`` [N] into at most ``n_groups`` contiguous
    groups with the least :func:`padded_tokens`: dynamic programming over the places where the
    width changes (a cut inside a run of equal widths never pads less)."""
    ends = np.r_[np.flatnonzero(np.diff(widths)) + 1, widths.size]  # end of each width run
    starts = np.r_[0, ends[:-1]]
    n_runs = ends.size
    # cost[k][j]: least padding of the first j runs in k groups; back[k][j]: where its last
    # group starts (a run index)
    cost = np.full((n_groups + 1, n_runs + 1), np.inf)
    cost[0, 0] = 0.0
    back = np.zeros((n_groups + 1, n_runs + 1), int)
    for k in range(1, n_groups + 1):
        for j in range(1, n_runs + 1):
            options = cost[k - 1, :j] + (ends[j - 1] - starts[:j]) * widths[ends[j - 1] - 1]
            back[k, j] = int(np.argmin(options))
            cost[k, j] = options[back[k, j]]
    k, j, cuts = int(np.argmin(cost[1:, n_runs])) + 1, n_runs, []
    while k > 1:
        j = back[k, j]
        cuts.append(int(starts[j]))
        k -= 1
    return np.array(sorted(cuts), int)
