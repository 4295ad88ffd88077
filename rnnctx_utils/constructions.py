"""Chapter 6's residuals by construction [ours]: which kinds of sentence carry the RNN's gain
over bag-of-words, and which of them P2's family can reach.

P2's modifier rescales the valence of the next few words. Two constructions need more:

- **"X but Y" whose clauses disagree**: the bag-of-words sums of the words before and after
  the last "but" have opposite signs. A reader follows Y; a sum of word valences adds X and Y.
  A forward modifier can strengthen Y, but X still counts in full.
- **Negation by scope**: the distance from a negator to the next strongly valenced word
  (|w| among the largest ``1 − strong_quantile`` of the baseline's weights). Within ``near``
  tokens a forward modifier with a timescale of a few tokens reaches the word; farther, or with
  no valenced word after, it cannot.

The masks are computed from the documents' tokens and the bag-of-words baseline's weights only
(no label, no model output), so they split the test documents before any model is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

#: Tokens within which a negator's next strongly valenced word counts as near (P2's τ of "not"
#: is ≈ 2 tokens: its effect is mostly gone after 3).
NEAR = 3
#: A word is strongly valenced when |w| is above this quantile of the baseline's |w|.
STRONG_QUANTILE = 0.9


class ContrastClauses(NamedTuple):
    """The documents with a "but" that has words on both sides (its last occurrence), [n] each.

    has: such a "but" occurs; disagree: the bag-of-words sums before and after it have
    opposite signs; after_sign: the sign of the sum after it (0 without such a "but").
    """

    has: np.ndarray
    disagree: np.ndarray
    after_sign: np.ndarray


def contrast_clauses(tokens: np.ndarray, lengths: np.ndarray, contrast_ids: Sequence[int],
                     weights: np.ndarray) -> ContrastClauses:
    """Split each document at its last contrastive token.

    Args:
        tokens: [n, L] token ids, padded; lengths: [n].
        contrast_ids: the contrastive token ids (the book passes "but").
        weights: [V] the bag-of-words baseline's word weights.
    """
    tokens, lengths = np.asarray(tokens), np.asarray(lengths)
    weights = np.asarray(weights, np.float64)
    n = len(lengths)
    has, disagree, after_sign = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, np.int8)
    ids = np.asarray(list(contrast_ids))
    for i in range(n):
        doc = tokens[i, :lengths[i]]
        where = np.flatnonzero(np.isin(doc, ids))
        if where.size == 0 or not 0 < where[-1] < doc.size - 1:
            continue
        split = where[-1]
        before, after = weights[doc[:split]].sum(), weights[doc[split + 1:]].sum()
        has[i] = True
        disagree[i] = np.sign(before) * np.sign(after) < 0
        after_sign[i] = np.sign(after)
    return ContrastClauses(has, disagree, after_sign)


class NegationScope(NamedTuple):
    """The documents with a negator, by how far its next strongly valenced word is, [n] each.

    near: some negator has one within ``near`` tokens after it; far: none does, but some
    negator has one farther on; unreached: every negator is followed by no strongly valenced
    word. The three are disjoint; their union is the documents with a negator.
    """

    near: np.ndarray
    far: np.ndarray
    unreached: np.ndarray


def strong_threshold(weights: np.ndarray, quantile: float = STRONG_QUANTILE) -> float:
    """|w| above which a word counts as strongly valenced: a quantile of the baseline's |w| [V]."""
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must lie in (0, 1), got {quantile}")
    return float(np.quantile(np.abs(np.asarray(weights, np.float64)), quantile))


def negation_scope(tokens: np.ndarray, lengths: np.ndarray, negator_ids: Sequence[int],
                   weights: np.ndarray, *, near: int = NEAR,
                   strong_quantile: float = STRONG_QUANTILE) -> NegationScope:
    """For each document with a negator, the distance to the next strongly valenced word.

    Args:
        tokens: [n, L] token ids, padded; lengths: [n].
        negator_ids: the negator token ids (never counted as valenced words themselves).
        weights: [V] the bag-of-words baseline's word weights.
        near: the largest distance (tokens) that counts as near, ≥ 1.
        strong_quantile: see :func:`strong_threshold`.
    """
    if near < 1:
        raise ValueError(f"near must be at least 1 token, got {near}")
    tokens, lengths = np.asarray(tokens), np.asarray(lengths)
    weights = np.asarray(weights, np.float64)
    strong = np.abs(weights) >= strong_threshold(weights, strong_quantile)  # [V]
    ids = np.asarray(list(negator_ids))
    n = len(lengths)
    is_near, is_far, unreached = (np.zeros(n, bool) for _ in range(3))
    for i in range(n):
        doc = tokens[i, :lengths[i]]
        negator = np.isin(doc, ids)
        if not negator.any():
            continue
        valenced = np.flatnonzero(strong[doc] & ~negator)
        # the next valenced word after each negator (searchsorted: the first index > k)
        nxt = np.searchsorted(valenced, np.flatnonzero(negator), side="right")
        reached = nxt < valenced.size
        distance = valenced[nxt[reached]] - np.flatnonzero(negator)[reached]
        if (distance <= near).any():
            is_near[i] = True
        elif distance.size:
            is_far[i] = True
        else:
            unreached[i] = True
    return NegationScope(is_near, is_far, unreached)


def construction_masks(tokens: np.ndarray, lengths: np.ndarray, weights: np.ndarray, *,
                       contrast_ids: Sequence[int], negator_ids: Sequence[int],
                       near: int = NEAR) -> dict[str, np.ndarray]:
    """The residual table's rows: name -> [n] bool, in the order the page shows them.

    A document can be in a "but" row and in a negator row; "neither" holds the documents in
    none of them.
    """
    contrast = contrast_clauses(tokens, lengths, contrast_ids, weights)
    scope = negation_scope(tokens, lengths, negator_ids, weights, near=near)
    masks = {
        "X but Y, clauses disagree": contrast.has & contrast.disagree,
        "X but Y, clauses agree": contrast.has & ~contrast.disagree,
        f"negator, valenced word ≤ {near} tokens after": scope.near,
        f"negator, valenced word > {near} tokens after": scope.far,
        "negator, no valenced word after": scope.unreached,
    }
    masks["neither"] = ~np.any(list(masks.values()), axis=0)
    return masks


def label_follows_after(tokens: np.ndarray, lengths: np.ndarray, labels: np.ndarray,
                        contrast_ids: Sequence[int], weights: np.ndarray) -> tuple[float, int]:
    """Among the "X but Y" documents whose clauses disagree, the share whose label has the sign
    of Y (the clause after "but"), and how many there are (nan, 0 when none)."""
    contrast = contrast_clauses(tokens, lengths, contrast_ids, weights)
    mask = contrast.has & contrast.disagree
    n = int(mask.sum())
    if not n:
        return float("nan"), 0
    positive = np.asarray(labels)[mask] == 1
    return float(np.mean(positive == (contrast.after_sign[mask] > 0))), n
