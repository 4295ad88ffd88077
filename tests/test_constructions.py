"""rnnctx_utils.constructions: chapter 6's residuals by construction, on hand-made documents
whose split is known."""

from __future__ import annotations

import numpy as np
import pytest

from rnnctx_utils import constructions as cs
from rnnctx_utils import real_summaries as rs
from rnnctx_utils import sufficiency as ns

GOOD, BAD, BUT, FILLER, NOT = 1, 2, 3, 4, 5
#: [20] weights: two strongly valenced words (ids 1 and 2), the rest 0 or nearly so
WEIGHTS = np.zeros(20)
WEIGHTS[[GOOD, BAD, FILLER]] = [2.0, -2.0, 0.01]


def _pad(docs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(d) for d in docs) + 1  # one padded column at least
    tokens = np.full((len(docs), width), BUT)  # padding filled with "but": must be ignored
    for i, d in enumerate(docs):
        tokens[i, :len(d)] = d
    return tokens, np.array([len(d) for d in docs])


def test_contrast_clauses_split_at_the_last_but() -> None:
    tokens, lengths = _pad([
        [GOOD, GOOD, BUT, BAD],          # +4 | -2: disagree, Y negative
        [GOOD, BUT, GOOD],               # agree
        [BUT, GOOD, BAD],                # nothing before "but"
        [GOOD, BAD, BUT],                # nothing after
        [GOOD, BUT, BAD, BUT, GOOD],     # the last "but": X sums to 0, so no disagreement
        [GOOD, BAD],                     # no "but" (its padding is "but")
    ])
    found = cs.contrast_clauses(tokens, lengths, [BUT], WEIGHTS)
    assert found.has.tolist() == [True, True, False, False, True, False]
    assert found.disagree.tolist() == [True, False, False, False, False, False]
    assert found.after_sign.tolist() == [-1, 1, 0, 0, 1, 0]


def test_negation_scope_measures_the_distance_to_the_next_valenced_word() -> None:
    # the 0.9 quantile of the 20 |w|: 0.01 + 0.1 · (2 − 0.01) (so FILLER is not valenced)
    assert cs.strong_threshold(WEIGHTS) == pytest.approx(0.209)
    tokens, lengths = _pad([
        [NOT, GOOD],                                   # distance 1: near
        [NOT, FILLER, FILLER, GOOD],                   # 3: near (≤ 3)
        [NOT, FILLER, FILLER, FILLER, BAD],            # 4: far
        [GOOD, NOT, FILLER],                           # nothing after: unreached
        [NOT, FILLER, FILLER, FILLER, FILLER, GOOD, NOT, BAD],  # the second one is near
        [GOOD, BAD],                                   # no negator
    ])
    scope = cs.negation_scope(tokens, lengths, [NOT], WEIGHTS)
    assert scope.near.tolist() == [True, True, False, False, True, False]
    assert scope.far.tolist() == [False, False, True, False, False, False]
    assert scope.unreached.tolist() == [False, False, False, True, False, False]
    wider = cs.negation_scope(tokens, lengths, [NOT], WEIGHTS, near=4)
    assert wider.near[2] and not wider.far.any()
    with pytest.raises(ValueError, match="near must be at least 1"):
        cs.negation_scope(tokens, lengths, [NOT], WEIGHTS, near=0)
    with pytest.raises(ValueError, match="quantile must lie in"):
        cs.strong_threshold(WEIGHTS, 1.0)


def test_construction_masks_rows_and_the_share_that_follows_y() -> None:
    tokens, lengths = _pad([
        [GOOD, GOOD, BUT, BAD],   # disagree, label negative: follows Y
        [BAD, BAD, BUT, GOOD],    # disagree, label negative: does not
        [GOOD, BUT, GOOD],        # agree
        [NOT, GOOD],              # negator near
        [FILLER, GOOD],           # neither
    ])
    labels = np.array([0, 0, 1, 0, 1])
    masks = cs.construction_masks(tokens, lengths, WEIGHTS, contrast_ids=[BUT],
                                  negator_ids=[NOT])
    assert {k: v.nonzero()[0].tolist() for k, v in masks.items()} == {
        "X but Y, clauses disagree": [0, 1], "X but Y, clauses agree": [2],
        "negator, valenced word ≤ 3 tokens after": [3],
        "negator, valenced word > 3 tokens after": [],
        "negator, no valenced word after": [], "neither": [4]}
    assert cs.label_follows_after(tokens, lengths, labels, [BUT], WEIGHTS) == (0.5, 2)
    nothing = cs.label_follows_after(tokens, lengths, labels, [], WEIGHTS)
    assert np.isnan(nothing[0]) and nothing[1] == 0
    correct = {"rnn": np.array([1, 1, 0, 1, 1], bool), "bow": np.array([0, 1, 0, 0, 1], bool)}
    rows = ns.residuals_by_mask(correct, masks)
    assert [(r.group, r.n_docs) for r in rows][:2] == [("X but Y, clauses disagree", 2),
                                                       ("X but Y, clauses agree", 1)]
    assert rows[0].accuracy == {"rnn": 1.0, "bow": 0.5}
    assert rows[4].n_docs == 0 and np.isnan(rows[4].accuracy["rnn"])


def test_construction_reading_names_the_largest_gain_and_the_share_following_y() -> None:
    rows = [["X but Y, clauses disagree", 57, 0.842, 0.649, 0.684],
            ["negator, valenced word > 3 tokens after", 54, 0.815, 0.667, 0.685],
            ["neither", 600, 0.9, 0.8, 0.8]]
    text = rs.construction_reading("SST-2", rows, ["rnn", "bow", "both"], 0.7368, 57)
    assert text.startswith("SST-2: the RNN's gain over bag-of-words is largest on \"X but Y, "
                           "clauses disagree\" (57 documents, +11; RNN 0.842, bag-of-words "
                           "0.649, + both 0.684)")
    assert text.endswith("in 74% of them.")
    behind = [["X but Y, clauses disagree", 10, 0.5, 0.6, 0.6]]
    assert "not ahead of bag-of-words on any construction" in rs.construction_reading(
        "IMDB", behind, ["rnn", "bow", "both"], float("nan"), 0)
