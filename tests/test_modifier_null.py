"""modifier_null: the capped occurrences, and the table and reading built from hand-made tests."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from rnnctx_utils import context, modifier_null
from rnnctx_utils.modifier_discovery import Occurrences


def test_capped_occurrences_keeps_at_most_cap_per_token_in_order():
    ids = np.array([5, 5, 7, 5, 7, 5, 9, 5])
    occ = Occurrences(np.arange(8.0)[:, None], ids, np.arange(8)[:, None])
    out = modifier_null.capped_occurrences(occ, cap=2, seed=1)
    assert np.bincount(out.token_ids, minlength=10)[[5, 7, 9]].tolist() == [2, 2, 1]
    rows = out.h_before[:, 0].astype(int)
    assert list(rows) == sorted(rows)  # original order
    np.testing.assert_array_equal(ids[rows], out.token_ids)  # the fields stay aligned
    np.testing.assert_array_equal(out.next_ids[:, 0], rows)


def _selection(kind: str, selected: tuple[str, ...], excess: dict[int, float]) -> object:
    e = np.zeros(12)
    for i, v in excess.items():
        e[i] = v
    test = context.NullTest(e, e * 10, e > 0, 3.0, 10)
    return modifier_null.NullSelection(kind, test, selected, 500, 100)


# vocabulary ids: 0 <pad>, 1 <unk>, then the words below (found.words = vocab[2:])
WORDS = ("not", "very", "the", "a", "of", "it", "is", "film", "good", "bad")
FOUND = SimpleNamespace(words=WORDS, modifiers=("not", "very"))


def test_null_rows_and_reading_count_from_the_selections():
    nulls = {
        "random": _selection("random", WORDS[:8], {i: 0.1 for i in range(2, 10)}),
        "shuffled": _selection("shuffled", ("not", "very", "the", "a", "of", "it", "is"),
                               {2: 0.8, 3: 0.6, 4: 0.02, 5: 0.04, 6: 0.03, 7: 0.05, 8: 0.01}),
    }
    rows = modifier_null.null_rows(nulls, FOUND, ("not", "very", "good"), ("not", "very", "is"))
    assert rows[1][:6] == ["shuffled", "10", "7", "2 of 2", "2 of 3", "3"]
    text = modifier_null.null_reading(nulls, FOUND, ("not", "very", "good"))
    # stricter null: shuffled (7 > 2·2 selected); its ordinary tokens the, a, of, it, is have
    # excess 0.02, 0.04, 0.03, 0.05, 0.01 (median 0.03), the cut's 0.8 and 0.6 (median 0.7)
    assert text.startswith("Against random kicks 8 of the 10 tested tokens pass (z > 3.00)")
    assert "median excess over the shuffled null is 0.030" in text
    assert "against 0.700 for the cut's modifiers" in text
    assert "neither null is a selection rule" in text


def test_null_reading_says_when_test_and_cut_agree():
    nulls = {"shuffled": _selection("shuffled", ("not", "very", "the"), {2: 0.8, 3: 0.6, 4: 0.1})}
    text = modifier_null.null_reading(nulls, FOUND, None)
    assert text.endswith("so on this network the null test and the cut roughly agree.")
    assert "planted" not in text
