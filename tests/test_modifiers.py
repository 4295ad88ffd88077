"""The modifier pipeline on a hand-built network whose modifier effects are known exactly.

State h = (s, m₁, m₂), input x = (valence, negation, intensification, noise):

    s'  = s + (1 − 2 m₁)(1 + 2 m₂) · x₀        (integration, read with a context-dependent gain)
    m₁' = λ₁ m₁ + x₁ + x₃                       (the negation mode, τ₁ = −1/ln λ₁)
    m₂' = λ₂ m₂ + x₂                            (the intensification mode, τ₂ = −1/ln λ₂)

The line s-axis (m = 0) is a line attractor. "not" = (0, 1, 0, 0) sets m₁ = 1, so the next
valence word is read with gain 1 − 2 = −1 and the gain k tokens later is 1 − 2 λ₁^k; "very" =
(0, 0, ½, 0) sets m₂ = ½: gain 2, then 1 + λ₂^k. Neutral words nudge m₁ by tiny amounts; "the"
does nothing (the filler). Jacobian scores: ‖ΔJ_inp‖_F = 2 for "not", 1 for "very", 2ε for a
neutral word, 0 for a valence word (it moves the state along the line, where J_inp is
constant). The documents are "w good the" for every word w, so the in-context score (how
differently "good the" is read after w than from the nearest attractor point) is
|g_w − 1| · 1 with g_w the gain w puts on "good": again 2, 1, 2ε and 0.
"""

import dataclasses
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import analysis, modifier_discovery, modifiers, text
from rnnctx_utils.network import Network

LAMBDA_NEG, LAMBDA_INT = 0.6, 0.3
# more neutral words than the gap rule looks at (top 50), so the exact zeros of "the", "good"
# and "bad" stay out of its window
EPSILONS = np.geomspace(1e-3, 1e-2, 60)
H0_INTENSITY = 0.5
# every word occurs once: score them all (the default skips words seen < 20 times)
EVERY_WORD = modifiers.ModifierSettings(min_occurrences=1)


def _step(h, x):
    s, m1, m2 = h[0], h[1], h[2]
    return jnp.stack([
        s + (1 - 2 * m1) * (1 + 2 * m2) * x[0],
        LAMBDA_NEG * m1 + x[1] + x[3],
        LAMBDA_INT * m2 + x[2],
    ])


def _hand_built():
    words = ["the", "good", "bad", "not", "very"] + [f"word{i}" for i in range(len(EPSILONS))]
    vocab = text.Vocab(("<pad>", "<unk>", *words))
    embedding = np.zeros((len(vocab), 4), np.float32)
    embedding[vocab.id("good")] = [1, 0, 0, 0]
    embedding[vocab.id("bad")] = [-1, 0, 0, 0]
    embedding[vocab.id("not")] = [0, 1, 0, 0]
    embedding[vocab.id("very")] = [0, 0, 0.5, 0]
    for i, eps in enumerate(EPSILONS):
        embedding[vocab.id(f"word{i}")] = [0, 0, 0, eps]
    model = Network(step=_step, h0=np.array([0.0, 0.0, H0_INTENSITY], np.float32),
                    readout_w=np.array([1.0, 0.0, 0.0], np.float32), embedding=embedding,
                    vocab=vocab)
    s = np.linspace(-5, 5, 41)
    points = np.stack([s, np.zeros_like(s), np.zeros_like(s)], 1).astype(np.float32)
    attractor = SimpleNamespace(points=points, slow=SimpleNamespace(points=points), readout=s,
                                direction=np.array([1.0, 0.0, 0.0]))
    return model, attractor


def _hand_cloud(model):
    """The documents "w good the", one per word w."""
    vocab = model.vocab
    words = vocab.tokens[2:]
    tokens = np.array([[vocab.id(w), vocab.id("good"), vocab.id("the")] for w in words])
    return analysis.state_cloud(model, tokens=tokens, lengths=np.full(len(words), 3))


# the shared fixture compiles every kernel once (about 20 s on a busy 2-core machine)
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed():
    model, attractor = _hand_built()
    found = modifiers.modifier_analysis(model, attractor, _hand_cloud(model),
                                        settings=EVERY_WORD, more_text=False)
    timing = modifiers.timing_analysis(model, attractor, found, words=("not", "very"))
    return model, attractor, found, timing


@slow
def test_scores_are_the_analytic_gain_changes(analysed):
    _, _, found, _ = analysed
    # the in-context score: |g − 1| on the valence word that follows
    assert found.score("not") == pytest.approx(2.0, rel=1e-5)
    assert found.score("very") == pytest.approx(1.0, rel=1e-5)
    neutral = np.array([found.score(f"word{i}") for i in range(len(EPSILONS))])
    np.testing.assert_allclose(neutral, 2 * EPSILONS, rtol=1e-3)
    assert found.score("good") == pytest.approx(0.0, abs=1e-6)
    assert found.top(2) == [("not", pytest.approx(2.0, rel=1e-5)),
                            ("very", pytest.approx(1.0, rel=1e-5))]
    # every word occurs once with a following word, except "good" (also inside each document)
    assert found.counts[found.words.index("not")] == 1
    assert found.counts[found.words.index("good")] == len(found.words) + 1


@slow
def test_rare_words_are_not_scored(analysed):
    model, attractor, found, _ = analysed
    n_good = int(found.counts[found.words.index("good")])
    rare = modifiers.modifier_analysis(
        model, attractor, _hand_cloud(model),
        settings=modifiers.ModifierSettings(min_occurrences=n_good), more_text=False)
    # only "good" is seen often enough; its score (0 here) is kept, everything else is zeroed
    assert np.count_nonzero(rare.scores) == 0
    assert rare.score("not") == 0.0 and found.score("not") > 1.9


@slow
def test_jacobian_scores_are_the_analytic_jacobian_changes(analysed):
    _, _, found, _ = analysed
    jac = dict(zip(found.words, found.jacobian_scores, strict=True))
    assert jac["not"] == pytest.approx(2.0, rel=1e-5)
    assert jac["very"] == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose([jac[f"word{i}"] for i in range(len(EPSILONS))], 2 * EPSILONS,
                               rtol=1e-3)
    assert found.jacobian_rank("not") == 1 and found.jacobian_rank("very") == 2


@slow
def test_the_cut_selects_exactly_the_modifiers(analysed):
    _, _, found, _ = analysed
    assert found.modifiers == ("not", "very")
    assert found.rank("not") == 1 and found.rank("very") == 2


@slow
def test_probe_words_and_groups(analysed):
    _, _, found, _ = analysed
    assert found.probes == modifiers.ProbeWords(filler="the", valence="good")
    assert found.next_gains["not"] == pytest.approx(-1.0, abs=1e-5)
    assert found.next_gains["very"] == pytest.approx(2.0, abs=1e-5)
    assert found.groups["not"] == "negator" and found.groups["very"] == "intensifier"


@slow
def test_subspace_is_spanned_by_the_two_modes(analysed):
    _, _, found, _ = analysed
    sub = found.subspace
    assert sub.dim == 2
    # deflection power: "not" 1, "very" ¼, the third token ε² (negligible): ratios 0.8, 0.2
    np.testing.assert_allclose(sub.explained_variance_ratio[:2], [0.8, 0.2], atol=1e-4)
    projector = sub.basis @ sub.basis.T
    np.testing.assert_allclose(projector, np.diag([0.0, 1.0, 1.0]), atol=1e-5)


@slow
def test_distance_and_gain_time_constants(analysed):
    _, _, _, timing = analysed
    k = timing.k
    np.testing.assert_allclose(timing.distance[0], LAMBDA_NEG**k, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(timing.distance[1], 0.5 * LAMBDA_INT**k, rtol=1e-4, atol=1e-7)
    tau = -1 / np.log([LAMBDA_NEG, LAMBDA_INT])
    np.testing.assert_allclose(timing.tau_distance, tau, rtol=1e-3)
    np.testing.assert_allclose(timing.gains[0], 1 - 2 * LAMBDA_NEG**k, atol=1e-4)
    np.testing.assert_allclose(timing.gains[1], 1 + LAMBDA_INT**k, atol=1e-4)
    np.testing.assert_allclose(timing.linear_gains, timing.gains, atol=1e-4)
    np.testing.assert_allclose(timing.tau_gain, tau, rtol=1e-3)
    np.testing.assert_allclose(timing.alpha, [-1.0, 2.0], atol=1e-4)


@slow
def test_eigenmode_time_constants(analysed):
    _, _, _, timing = analysed
    tau = -1 / np.log([LAMBDA_NEG, LAMBDA_INT])
    # each deflection loads on exactly one decaying mode
    np.testing.assert_allclose(timing.mode_tau, tau, rtol=1e-4)
    np.testing.assert_allclose(timing.tau_linear, tau, rtol=1e-3)


@slow
def test_position_gains_and_initial_state(analysed):
    _, _, _, timing = analysed
    t = timing.position.position
    # h0 has m₂ = ½: the word at t is read with gain 1 + λ₂^t relative to the middle (≈ 1)
    middle = 1 + LAMBDA_INT ** timing.position.reference
    np.testing.assert_allclose(timing.position.gain_from_start, (1 + LAMBDA_INT**t) / middle,
                               rtol=1e-4)
    assert timing.h0_projection.fraction_in_subspace == pytest.approx(1.0, abs=1e-5)
    assert timing.h0_projection.deviation_norm == pytest.approx(H0_INTENSITY, rel=1e-5)
    assert timing.position_fit_begin.tau == pytest.approx(-1 / np.log(LAMBDA_INT), rel=1e-2)
    # untied: the word after m fillers has gain 1 + λ₂^m whatever follows, and s never leaks, so
    # b(k) = 2 / (1 + λ₂^M) at every k and the recency is exactly 1
    split = timing.position_split
    np.testing.assert_allclose(split.begin, np.broadcast_to(
        (2 / (1 + LAMBDA_INT ** split.before))[:, None], split.begin.shape), rtol=1e-4)
    np.testing.assert_allclose(split.recency, 1.0, rtol=1e-4)
    assert split.last_weight == pytest.approx(1.0, rel=1e-4)


@slow
def test_results_record_their_settings_and_follow_them(analysed):
    model, attractor, found, timing = analysed
    assert found.settings == EVERY_WORD and timing.settings == modifiers.TimingSettings()
    short = modifiers.timing_analysis(model, attractor, found, words=("not",),
                                      settings=modifiers.TimingSettings(max_k=3, fit_tokens=3))
    assert short.settings.max_k == 3 and short.k.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(short.distance[0], LAMBDA_NEG ** short.k, rtol=1e-4, atol=1e-7)
    assert short.tau_distance[0] == pytest.approx(-1 / np.log(LAMBDA_NEG), rel=1e-3)


def test_recovery_counts():
    found = SimpleNamespace(words=("not", "very", "the", "good"), modifiers=("not", "the"))
    truth = SimpleNamespace(modifiers={"not": None, "very": None, "absent": None})
    rec = modifiers.recovery(found, truth)  # type: ignore[arg-type]
    assert rec.planted == ("not", "very")
    assert rec.precision == 0.5 and rec.recall == 0.5
    assert rec.missed == ("very",) and rec.spurious == ("the",)


def test_modifier_analysis_is_cached_next_to_a_cached_model(tmp_path, monkeypatch):
    model, attractor = _hand_built()
    cloud = _hand_cloud(model)
    # where analyses of a network may be stored (the book's cached models give one)
    model = dataclasses.replace(model, cache_dir=tmp_path / "analysis" / "entry")
    first = modifiers.modifier_analysis(model, attractor, cloud, settings=EVERY_WORD,
                                        more_text=False)
    assert len(list((tmp_path / "analysis" / "entry").glob("modifier_analysis-*.pkl"))) == 1

    def recompute(*args, **kwargs):
        raise AssertionError("recomputed instead of loading the cached analysis")

    monkeypatch.setattr(modifier_discovery, "_modifier_analysis", recompute)
    again = modifiers.modifier_analysis(model, attractor, cloud, settings=EVERY_WORD,
                                        more_text=False)
    np.testing.assert_array_equal(again.scores, first.scores)
    assert again.modifiers == first.modifiers
    # other settings: another entry, computed (here: the patched function raises), never the
    # result cached under the old ones
    for other in (modifiers.ModifierSettings(min_occurrences=2),
                  dataclasses.replace(EVERY_WORD, cut_rule="mad"),
                  dataclasses.replace(EVERY_WORD, n_after=4)):
        with pytest.raises(AssertionError, match="recomputed"):
            modifiers.modifier_analysis(model, attractor, cloud, settings=other,
                                        more_text=False)


def _network_with_vocabulary(size: int) -> Network:
    vocab = text.Vocab(("<pad>", "<unk>", *(f"w{i}" for i in range(size - 2))))
    return Network(step=_step, h0=np.zeros(3), readout_w=np.ones(3),
                   embedding=np.zeros((size, 4)), vocab=vocab)


def test_extra_scoring_docs_reach_the_occurrence_target():
    model = _network_with_vocabulary(500)  # wants 100 x 500 = 50,000 occurrences
    cloud = SimpleNamespace(lengths=np.full(100, 11))  # 10 scorable occurrences per document
    assert modifiers.extra_scoring_docs(model, cloud) == (50_000 - 1_000) // 10
    huge_vocab = _network_with_vocabulary(10_000)  # capped at 200,000
    assert modifiers.extra_scoring_docs(huge_vocab, cloud) == (200_000 - 1_000) // 10
    enough = SimpleNamespace(lengths=np.full(1_000, 51))
    assert modifiers.extra_scoring_docs(model, enough) == 0
    fewer = modifiers.ModifierSettings(score_occurrences_per_word=20)  # 20 x 500 = 10,000
    assert modifiers.extra_scoring_docs(model, cloud, fewer) == (10_000 - 1_000) // 10
