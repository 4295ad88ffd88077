"""Chapter 6 (necessity and sufficiency): hand-made checks of its helpers, and the chapter run
end to end in fast mode with its key claims asserted.

The chapter script runs in this process (``runpy``, as tests/test_chapters_4_5.py does), so the
assertions read the objects the page computed. The fast model comes from the model cache
(``$RNNCTX_CACHE`` or ``_build/cache``), trained there if missing.

What the fast model (GRU, 32 units, 300 steps) reliably shows and is asserted: the negators
flip the next word; removing the modifier subspace turns that flip into no flip while every
random subspace of the same dimension keeps it; the ablation costs far more accuracy on the
documents with modifiers than the random control; the augmented bag-of-words beats plain
bag-of-words on the test split by a wide margin.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from chapter_runner import run_chapter_fast

from rnnctx_utils import context
from rnnctx_utils import necessity_sufficiency as ns

# ---------------------------------------------------------------------------------------------
# Helpers on hand-made numbers (fast)


def test_recovered_fraction_hand_made():
    # (0.85 − 0.70) / (0.90 − 0.70) = 0.75
    assert context.recovered_fraction(0.85, 0.70, 0.90) == pytest.approx(0.75)
    # the augmented model above the RNN: more than 1
    assert context.recovered_fraction(0.95, 0.70, 0.90) == pytest.approx(1.25)
    # per-document correctness: 10 documents, BoW right on 6, RNN on 9, augmented on 8 -> 2/3
    bow = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    rnn = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], bool)
    aug = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], bool)
    r = context.bootstrap_recovered_fraction(aug, bow, rnn, n_boot=500, seed=1)
    assert r.estimate == pytest.approx(2 / 3)
    assert r.low <= r.estimate <= r.high


def test_documents_with_respects_lengths():
    tokens = np.array([[5, 7, 0, 0], [3, 3, 3, 9], [2, 9, 9, 0]])
    lengths = np.array([2, 3, 1])
    # document 1 has token 9 only at position 3, past its length; document 2 only in padding
    np.testing.assert_array_equal(ns.documents_with(tokens, lengths, [7, 9]), [True, False, False])
    np.testing.assert_array_equal(ns.documents_with(tokens, lengths, [3]), [False, True, False])


def test_residuals_by_token_hand_made():
    tokens = np.array([[4, 1], [4, 2], [5, 1], [1, 1]])
    lengths = np.array([2, 2, 2, 2])
    rnn = np.array([True, True, True, False])
    model = np.array([False, True, True, True])
    rows = ns.residuals_by_token(rnn, model, tokens, lengths, [4, 5], ["not", "very"])
    assert [r.token for r in rows] == ["not", "very", "(none)"]
    assert [r.n_docs for r in rows] == [2, 1, 1]
    assert rows[0].accuracy_rnn == 1.0 and rows[0].accuracy_model == 0.5
    assert rows[0].gap == pytest.approx(0.5) and rows[0].lost == pytest.approx(0.25)
    assert rows[2].gap == pytest.approx(-1.0)


def test_projected_step_matches_projected_rollout():
    # a linear cell h' = A h + x on S = 3: the step-wise projection wrapped into F' must give
    # the same states as context.rollout_projected_batch (which also projects h0)
    a = jnp.array([[0.9, 0.2, 0.0], [0.0, 0.5, 0.3], [0.1, 0.0, 0.7]])

    def cell(h, x):
        return a @ h + x

    points = np.stack([np.linspace(-1, 1, 9), np.zeros(9), np.zeros(9)], axis=1)  # a line
    basis = np.array([[0.0], [1.0], [0.0]])
    h0 = jnp.array([0.1, 0.4, -0.2])
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(1, 6, 3)) * 0.3, jnp.float32)
    expected = context.rollout_projected_batch(cell, h0, xs, jnp.array([6]),
                                               jnp.asarray(points), jnp.asarray(basis))
    step = ns.projected_step(cell, points, basis)
    h0_projected = h0.at[1].set(0.0)  # the cloud has y = 0: projecting h0 zeroes its y
    got = context.rollout_batch(step, h0_projected, xs, jnp.array([6]))
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=1e-6)
    # the removed coordinate is exactly zero after every step (the line has y = 0)
    np.testing.assert_allclose(np.asarray(got)[0, :, 1], 0.0, atol=1e-7)


def test_verdict_and_spread():
    assert ns.verdict(0.95, True, True) == "reproduced"
    assert ns.verdict(0.6, False, True) == "partly"
    assert ns.verdict(0.1, False, False) == "not reproduced"
    assert ns.verdict(float("nan"), True, True) == "not measured"
    s = ns.spread([1.0, 2.0, 3.0])
    assert s.mean == 2.0 and s.std == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# The chapter in fast mode


@pytest.fixture(scope="module")
def chapter():
    return run_chapter_fast("06_necessity_and_sufficiency.py")


@pytest.mark.slow
def test_ablation_changes_negation_far_more_than_random_control(chapter):
    words, gains, random_gains = chapter["gain_words"], chapter["gains"], chapter["random_gains"]
    i = words.index("not")
    intact, ablated = gains["intact"][i], gains["modifier subspace removed"][i]
    assert intact < 0  # "not" flips the next word in the intact network
    assert ablated >= 0  # ... and no longer does with the modifier subspace removed
    assert np.all(random_gains[:, i] < 0)  # every random control keeps the flip
    change_ablated = abs(ablated - intact)
    change_random = np.abs(random_gains[:, i] - intact).max()
    assert change_ablated > 3 * change_random
    assert chapter["flips_abolished"] and chapter["control_keeps"]


@pytest.mark.slow
def test_ablation_costs_accuracy_on_modifier_documents_more_than_random(chapter):
    intact, ablated, random = chapter["acc"]["with a modifier"]
    assert intact - ablated > 0.1
    assert intact - ablated > 3 * max(intact - random.mean, 0.01)
    assert chapter["necessity_verdict"] == "reproduced"


@pytest.mark.slow
def test_augmented_model_beats_bag_of_words_on_held_out_data(chapter):
    correct = chapter["correct"]
    acc = {k: float(v.mean()) for k, v in correct.items()}
    assert acc["both"] > acc["bow"] + 0.1
    assert acc["modifiers"] > acc["bow"] + 0.1
    # the recovered fraction of the page is the formula applied to these accuracies
    r = chapter["recovered"]["both"]
    assert r.estimate == pytest.approx(
        context.recovered_fraction(acc["both"], acc["bow"], acc["rnn"]))
    assert r.low <= r.estimate <= r.high


@pytest.mark.slow
def test_learned_negator_gains_are_negative(chapter):
    words, learned, truth = chapter["mod_words"], chapter["learned"], chapter["truth"]
    for word, alpha in zip(words, learned.alpha, strict=True):
        if truth.roles.get(word) == "negator":
            assert alpha < 0, word


def test_residuals_by_group_split_documents_by_the_words_they_contain() -> None:
    tokens = np.array([[1, 2, 0], [3, 1, 0], [4, 4, 4], [2, 3, 9]])
    lengths = np.array([2, 2, 3, 2])  # the 9 of the last document is padding
    correct = {"rnn": np.array([1, 1, 0, 1], bool), "bow": np.array([0, 1, 0, 0], bool)}
    rows = ns.residuals_by_group(correct, tokens, lengths, {"two": [2], "three or nine": [3, 9],
                                                            "empty": []})
    assert [(r.group, r.n_docs) for r in rows] == [("two", 2), ("three or nine", 2),
                                                   ("(none)", 1)]
    assert rows[0].accuracy == {"rnn": 1.0, "bow": 0.0}
    assert rows[1].accuracy == {"rnn": 1.0, "bow": 0.5}
    assert rows[2].accuracy == {"rnn": 0.0, "bow": 0.0}


def test_sufficiency_is_not_measurable_without_an_rnn_gain() -> None:
    rng = np.random.default_rng(0)
    bow = rng.random(2000) < 0.8
    better = bow.copy()
    better[:200] = True  # the RNN right on 200 more documents, 10% of them wrong for BoW
    gain = ns.rnn_gain_interval(better, bow)
    assert gain.estimate == pytest.approx(float(better.mean() - bow.mean()))
    assert 0 < gain.low < gain.estimate < gain.high
    strong = context.RecoveredFraction(0.95, 0.9, 1.0, 0.95)
    assert ns.sufficiency_verdict(strong, gain) == "reproduced"
    same = ns.rnn_gain_interval(bow, bow)
    assert same.low == same.high == 0.0
    assert ns.sufficiency_verdict(strong, same).startswith("not measurable")


@pytest.mark.slow
def test_backward_member_and_residual_groups(chapter):
    correct, gammas = chapter["correct"], chapter["gammas"]
    assert len(gammas) == len(chapter["mod_words"]) and np.all(gammas > 0)
    assert correct["backward"].shape == correct["both"].shape
    # the groups cover every test document at least once (the "(none)" row holds the rest)
    rows = chapter["by_group"]
    none = next(r for r in rows if r.group == "(none)")
    assert none.n_docs < correct["rnn"].size
    assert sum(r.n_docs for r in rows) >= correct["rnn"].size
    assert "english" not in correct  # the English-list diagnosis runs on real corpora only


@pytest.mark.slow
def test_energy_control_is_orthogonal_and_holds_more_than_a_random_subspace(chapter):
    energetic, basis, energy = chapter["energetic"], chapter["basis"], chapter["energy"]
    assert energetic.shape == basis.shape
    np.testing.assert_allclose(energetic.T @ basis, 0.0, atol=1e-6)  # ⟂ the modifier subspace
    np.testing.assert_allclose(energetic.T @ energetic, np.eye(basis.shape[1]), atol=1e-6)
    assert all(0.0 <= v <= 1.0 + 1e-9 for v in energy.values())
    # energetic for ordinary words (far above a random subspace), not for the modifiers
    assert energy[("control", "ordinary")] > 2 * energy[("random", "ordinary")]
    assert energy[("control", "modifiers")] < energy[("modifier", "modifiers")]
    assert np.isfinite(chapter["g_energetic"]) and 0.0 <= chapter["acc_energetic"] <= 1.0
