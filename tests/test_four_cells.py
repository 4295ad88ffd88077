"""The appendix "One mechanism in four cells": its comparison functions on all four cells in the
fast configuration (trained once in the shared cache; about 2.5 minutes cold on 2 cores).

Measured on the fast configuration (32 units, 300 steps) when this test was written:

| cell    | test acc | slow PC1 | g(0) of "not" intact / ablated / random | "not" selected |
| vanilla | 0.59     | 1.00     | -0.09 / +3.61 / -0.28                    | no             |
| UGRNN   | 0.91     | 0.98     | -0.60 / +0.95 / -0.68                    | yes            |
| GRU     | 0.91     | 0.98     | -2.38 / +0.97 / -2.09                    | yes            |
| LSTM    | 0.87     | 0.97     | -0.82 / +1.25 / -0.85                    | yes            |

Sufficiency (chapter 6's "+ both" member with each cell's modifiers, 500 test documents, BoW
0.682 on test, 0.706 on validation), measured when the column was added:

| cell    | modifiers | augmented test / valid | recovered [95% CI]  | verdict        |
| vanilla | 1         | 0.702 / 0.714          | -0.22 [-0.80, 0.06] | not measurable |
| UGRNN   | 7         | 0.914 / 0.898          | 1.04 [0.92, 1.16]   | reproduced     |
| GRU     | 9         | 0.920 / 0.902          | 1.06 [0.96, 1.19]   | reproduced     |
| LSTM    | 4         | 0.898 / 0.882          | 1.11 [0.97, 1.30]   | reproduced     |
"""

from __future__ import annotations

import dataclasses

import pytest
from chapter_runner import run_chapter_fast

from rnnctx_utils import cells, context
from rnnctx_utils import cells_compare as cc
from rnnctx_utils import cells_tables as ct
from rnnctx_utils.config import config

GATED = ("ugrnn", "gru", "lstm")


@pytest.fixture(scope="module")
def results() -> dict[str, cc.CellResult]:
    cfg = config(fast=True)
    compared = cc.add_sufficiency(cfg, [cc.compare_cell(cfg, cell) for cell in cc.CELL_ORDER])
    return {r.cell: r for r in compared}


def test_book_cell_keeps_the_books_config_and_cache_entry():
    cfg = config(fast=True)
    assert cc.cell_config(cfg, cfg.cell) is cfg
    other = cc.cell_config(cfg, "lstm")
    assert other.cell == "lstm" and other.digest() != cfg.digest()
    assert other.n_steps <= cfg.n_steps  # REDUCED never lengthens the fast schedule
    assert other == dataclasses.replace(cfg, cell="lstm", n_steps=other.n_steps,
                                        n_fixed_point_seeds=other.n_fixed_point_seeds)


@pytest.mark.parametrize("cell", cc.CELL_ORDER)
def test_state_size_is_handled_everywhere(results, cell):
    r = results[cell]
    n = r.config.n_hidden
    S = cells.get_cell(cell).state_size(n)
    assert S == (2 * n if cell == "lstm" else n)  # the LSTM's state is [h; c]
    net = r.model.network
    assert net.h0.shape == (S,) and net.readout_w.shape == (S,)
    assert r.cloud.states.shape[1] == S and r.attractor.points.shape[1] == S
    assert r.modes.eigenvalues.shape[1] == S and r.modes.right_top.shape[1] == S
    assert r.found.subspace.basis.shape[0] == S
    assert int(r.numbers["state_size"]) == S


@pytest.mark.parametrize("cell", cc.CELL_ORDER)
def test_fixed_points_and_jacobians_are_the_cells(results, cell):
    r = results[cell]
    net = r.model.network
    roots = r.attractor.roots.points
    assert len(roots) >= 1
    # Exact roots converge in float64 (q < 1e-20); re-evaluated in float32 the residual was at
    # most 1e-6 (LSTM), so 1e-5 leaves a margin of 10 and still fails for a wrong-state F.
    assert cc.fixed_point_residual(net, roots) < 1e-5
    # float64 central differences with eps 1e-5: truncation error ~eps² |F'''| ~ 1e-10.
    assert r.numbers["jacobian_error"] < 1e-6
    other = r.attractor.points[0]
    assert cc.jacobian_error(net, other) < 1e-6


@pytest.mark.parametrize("cell", ("vanilla", "ugrnn", "gru"))
def test_slow_points_lie_on_one_line(results, cell):
    # 0.9 is chapter 3's and the appendix's criterion. Not asserted for the fast LSTM (its
    # reduced schedule): its slow-point geometry moves with the package build it is trained
    # with, though training is bit-reproducible within one build. When this test was written it
    # measured 0.97 on PC1; under jax 0.10.2 / numpy 2.4.6 (2026-12-07), the same code gives two
    # clusters, 0.87 on PC1 and 1.00 on two PCs. The appendix shows and judges the full-size one.
    assert results[cell].numbers["slow_pc1"] > 0.9


@pytest.mark.parametrize("cell", GATED)
def test_gated_cells_negate_through_the_modifier_subspace(results, cell):
    n = results[cell].numbers
    # Measured g(0) of "not": -0.60 (UGRNN) to -2.38 (GRU) intact, +0.95 to +1.25 with the
    # subspace removed, within 0.3 of the intact value with random subspaces removed.
    assert n["g_intact"] < -0.3 and n["g_ablated"] > 0.5 and n["g_random"] < -0.3
    assert ct.flips(n)
    assert "not" in results[cell].found.modifiers
    assert n["test"] > n["bow"] + 0.1  # measured +0.19 to +0.22


def test_vanilla_rnn_has_not_learnt_the_task_in_the_fast_schedule(results):
    # 300 steps at 32 units leave the vanilla RNN below bag-of-words (measured 0.59 vs 0.68;
    # at full size it takes ~1,000 steps to leave chance): the page must not call it a success.
    n = results["vanilla"].numbers
    assert n["test"] < n["bow"] < results["gru"].numbers["test"]
    assert "does not beat bag-of-words" in ct.reading(results["vanilla"]) or not ct.flips(n)


@pytest.mark.parametrize("cell", cc.CELL_ORDER)
def test_sufficiency_is_nested_and_uses_the_cells_own_rnn(results, cell):
    n, suff = results[cell].numbers, results[cell].sufficiency
    assert suff is not None
    # Nested over the baseline and kept on validation: never below it there (by construction,
    # step 0 included; measured +0.008 for the vanilla RNN to +0.196 for the GRU).
    assert n["valid_aug"] >= n["valid_bow"]
    assert n["valid_bow"] == pytest.approx(results["gru"].numbers["valid_bow"])  # one baseline
    # The RNN's per-document correctness is this cell's (its gain is its test accuracy minus
    # the baseline's), and the column is chapter 6's formula applied to the three accuracies.
    assert n["rnn_gain"] == pytest.approx(n["test"] - n["bow"], abs=1e-9)
    assert n["recovered"] == pytest.approx(
        context.recovered_fraction(n["acc_aug"], n["bow"], n["test"]))
    assert n["recovered_low"] <= n["recovered"] <= n["recovered_high"]
    assert suff.modifier_words == (results[cell].found.modifiers
                                   or results[cell].found.subspace_words)


def test_sufficiency_of_the_gated_cells_and_not_of_the_vanilla_rnn(results):
    # The GRU's value is chapter 6's fast-mode "+ both" row (the same fit: same modifiers in
    # the same order, steps, seed and bootstrap), measured 1.0625 [0.96, 1.19]. One of the
    # 500 test documents moves it by 1 / (500 x 0.224) = 0.009, so ±0.1 allows ~11 documents
    # of numerical drift (another BLAS, another kept validation step) and no more.
    assert results["gru"].numbers["recovered"] == pytest.approx(1.0625, abs=0.1)
    for cell in GATED:  # measured 1.04 (UGRNN) to 1.11 (LSTM), lower bounds 0.92 to 0.97
        assert results[cell].numbers["recovered"] > 0.9
        assert ct.recovers(results[cell])
        assert "sufficiency reproduced" in ct.reading(results[cell])
    # The vanilla RNN is below bag-of-words in the fast schedule: nothing to recover, and the
    # page says so instead of reading a ratio of noise (measured gain -9.2 [-15.0, -3.8]).
    vanilla = results["vanilla"]
    assert vanilla.sufficiency is not None and vanilla.numbers["rnn_gain_high"] < 0
    assert vanilla.sufficiency.verdict.startswith("not measurable")
    assert "Sufficiency is not measurable" in ct.reading(vanilla)
    assert not ct.recovers(vanilla)


def test_cells_with_the_same_modifier_set_share_one_fit(results):
    cfg = config(fast=True)
    gru = results["gru"]
    twin = dataclasses.replace(results["lstm"], found=gru.found)  # the GRU's modifiers
    lstm, book = cc.add_sufficiency(cfg, [twin, gru])  # the book's cell is fitted first
    assert book.sufficiency is not None and lstm.sufficiency is not None
    assert book.sufficiency.shared_with == () and lstm.sufficiency.shared_with == ("gru",)
    assert lstm.sufficiency.fit is book.sufficiency.fit
    assert "1 augmented fit for 2 cells" in ct.sufficiency_fits([lstm, book])
    # the LSTM's own RNN and gain, the GRU's augmented accuracy
    assert lstm.numbers["acc_aug"] == book.numbers["acc_aug"] == gru.numbers["acc_aug"]
    assert lstm.numbers["rnn_gain"] == pytest.approx(results["lstm"].numbers["rnn_gain"])


def test_tables_have_one_row_per_cell(results):
    ordered = [results[cell] for cell in cc.CELL_ORDER]
    assert len(ct.accuracy_rows(ordered)) == 5  # four cells and P1's BoW row
    for rows, header in ((ct.line_rows(ordered), ct.LINE_HEADER),
                         (ct.modifier_rows(ordered), ct.MODIFIER_HEADER)):
        assert len(rows) == 4 and all(len(row) == len(header) for row in rows)


def test_chapter_runs_fast_and_says_what_the_numbers_say(results):
    # After the fixture every model and attractor is cached: the page only re-measures.
    page = run_chapter_fast("08_four_cells.py")
    assert [r.cell for r in page["results"]] == list(cc.CELL_ORDER)
    for r in page["results"]:
        assert r.numbers == pytest.approx(results[r.cell].numbers, rel=1e-6, abs=1e-9, nan_ok=True)
        sentence = ct.reading(r)
        assert ("shows a line attractor" in sentence) == ct.has_line(r.numbers)
        assert ("the negation mechanism is there" in sentence) == ct.flips(r.numbers)
    assert page["results"][2].sufficiency.shared_with == ()  # the GRU: fitted first
    caveat = ct.planted_sufficiency_reading(page["cfg"], page["results"])
    assert "partly true by construction" in caveat and "the GRU's set holds" in caveat
    summary = ct.summary_reading(page["results"])
    assert "for 3 of the 4 cells (UGRNN, GRU, LSTM)" in summary
