"""The results page's planted/discovered marking and the line-memory verdict rule."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from rnnctx_utils import necessity_sufficiency as ns
from rnnctx_utils import synthetic

ROOT = Path(__file__).resolve().parents[1]


def test_planted_flags_follow_the_generator() -> None:
    planted = ns.planted_effects()
    assert set(planted) <= set(ns.CLAIMS)
    # the corpus plants τ(not) = 3 > τ(extremely) = 1, a beginning and an end weight
    assert synthetic.MODIFIERS["not"].tau > synthetic.MODIFIERS["extremely"].tau
    assert {"tau_order", "beginning", "end", "sufficiency", "rnn_vs_bow"} <= set(planted)
    # how the network implements the rule is never planted
    assert not {"top_pcs", "line", "lambda1", "subspace_dim", "directions",
                "necessity"} & set(planted)
    # change the generator and the flags change with it
    swapped = dict(synthetic.MODIFIERS)
    swapped["not"], swapped["extremely"] = swapped["extremely"], swapped["not"]
    assert "tau_order" not in ns.planted_effects(modifiers=swapped)
    flat = synthetic.PositionWeights(beta_begin=0.0, beta_end=0.0)
    assert not {"beginning", "end", "h0"} & set(ns.planted_effects(position=flat))


def test_every_verdict_row_of_the_results_page_shows_its_planted_flag() -> None:
    page = (ROOT / "book" / "results.md").read_text()
    rows = [line for line in page.splitlines() if "ch6_verdict_" in line]
    assert len(rows) >= 12
    for row in rows:
        key = re.search(r"ch6_verdict_([a-z0-9_]+):s", row).group(1)
        assert f"ch6_planted_{key}:s" in row, key
        assert key in ns.CLAIMS


def test_line_memory_verdict_asks_for_the_memory_not_only_lambda_near_one() -> None:
    # |λ₁| = 0.985 everywhere: within 0.05 of 1, but τ₁ = 66 tokens
    verdict, tau1 = ns.line_memory_verdict(np.full(50, 0.985), mean_doc_len=50.0)
    assert tau1 == -1 / np.log(0.985) and verdict == "partly"
    assert ns.line_memory_verdict(np.full(50, 0.985), mean_doc_len=80.0)[0] == "not reproduced"
    verdict, tau1 = ns.line_memory_verdict(np.full(50, 0.999), mean_doc_len=50.0)
    assert verdict == "reproduced" and 999 < tau1 < 1000
    # one stable direction is not a line: most points far from 1
    assert ns.line_memory_verdict(np.r_[np.full(10, 0.999), np.full(40, 0.5)],
                                  50.0)[0] == "not reproduced"


def test_every_claim_row_has_its_real_review_columns() -> None:
    from rnnctx_utils import real_summaries

    page = (ROOT / "book" / "results.md").read_text()
    rows = [line for line in page.splitlines() if "ch6_planted_" in line]
    keys = [re.search(r"real_sst2_([a-z0-9_]+):s", row).group(1) for row in rows]
    assert keys == list(real_summaries.RESULT_CELLS)  # one row each, in the table's order
    for row, key in zip(rows, keys, strict=True):
        assert f"real_imdb_{key}:s" in row
    # each ⚙ claim's real-corpus cell carries that corpus's verdict for the same claim
    judged = {v for _, v in real_summaries.RESULT_CELLS.values() if v is not None}
    assert judged == set(ns.CLAIMS) == set(real_summaries.VERDICT_CLAIMS)
