"""Chapters 4 and 5 run end to end in fast mode, and their key numbers match the planted truth.

Both chapter scripts run in this process (``runpy``), so the assertions read the objects the
pages computed (``found``, ``timing``, ...) rather than parsing printed output. The fast model
comes from the model cache (``$RNNCTX_CACHE`` or ``_build/cache``), trained there if missing.

What the fast model (GRU, 32 units, 300 steps) learns, and is asserted here: by the chapter's
in-context score (over its 200 test documents plus 843 training documents, to reach 100
occurrences per vocabulary word) the negators, "extremely" and "definitely" outrank every
neutral and valence word but two, and "very" and "really" are outranked by those two only,
"would" and "all" —
which in the corpus always precede a modifier ("i would never recommend it") or a negated
adjective ("not at all bad"), so the small network uses them as cues (it measures "all" as a
negator); the sign of every planted modifier's gain; negators outlasting intensifiers. On the
default model (GRU, 128 units) every planted negator and intensifier outranks every neutral
and valence word (ranks 1–7, best other word "would" at 8; by P2's ‖ΔJ_inp‖_F "really" ranked
30 and "horrible" 5); that model takes minutes to train, so it is not tested here. Not
asserted: the diminisher "slightly" being measured below 1.
"""

import numpy as np
import pytest
from chapter_runner import run_chapter_fast

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chapters():
    ch4 = run_chapter_fast("04_modifier_identification.py")
    ch5 = run_chapter_fast("05_strength_and_timing.py")
    return ch4, ch5


def test_negators_and_intensifiers_outrank_neutral_and_valence_words(chapters):
    ch4, _ = chapters
    found, truth = ch4["found"], ch4["truth"]
    plain = {w: found.rank(w) for w in found.words
             if truth.roles.get(w) in ("neutral", "valence")}
    cues = {"would", "all"}  # neutral words that precede modifiers in the corpus (docstring)
    strong = ("not", "n't", "never", "extremely", "definitely")
    assert max(found.rank(w) for w in strong) < min(r for w, r in plain.items()
                                                    if w not in cues)
    # "very" and "really" are beaten only by the two corpus cues named in the module docstring
    worst = max(found.rank(w) for w in truth.words_with_role("intensifier"))
    assert {w for w, r in plain.items() if r < worst} <= {"would", "all"}
    assert worst <= 9
    # the Jacobian score put "very" and "really" far lower on this model (ranks 66 and 114)
    assert found.jacobian_rank("really") > 50 and found.rank("really") < 10


def test_chapter_4_subspace_holds_the_planted_modifiers_kicks(chapters):
    """The subspace's algebra (orthonormal basis, dimension by variance) is tested on a planted
    network in test_context.py; here, what it must hold on the trained one. The planted
    negators (α = −1.5, −1.5, −1.2) play one role, so their kicks off the line point one way,
    and the subspace, whose dimension is chosen for 90% of the *pooled* sum of squares, holds
    each of them: measured on the fast model, cos ≥ 0.92 between negators, 94.5-97% of each
    negator's deflections inside (against 65-75% for the intensifiers), and every negator
    against every intensifier cos ≤ −0.69 (they move the next word's gain the other way)."""
    ch4, _ = chapters
    found, truth = ch4["found"], ch4["truth"]
    sub = found.subspace
    words = list(found.subspace_words)
    negators = [w for w in truth.words_with_role("negator") if w in words]
    intensifiers = [w for w in truth.words_with_role("intensifier") if w in words]
    assert len(negators) == 3 and len(intensifiers) >= 2
    kicks = sub.deflections.mean(axis=1)  # [k, S] mean deflection off the line per word
    unit = kicks / np.linalg.norm(kicks, axis=1, keepdims=True)
    cos = {(a, b): float(unit[words.index(a)] @ unit[words.index(b)])
           for a in words for b in words}
    # random directions in S = 32 dimensions: |cos| ≈ 0.18 (one sd)
    assert min(cos[a, b] for a in negators for b in negators) > 0.85
    assert max(cos[a, b] for a in negators for b in intensifiers) < -0.5
    inside = sub.basis @ sub.basis.T
    for word in negators:
        d = sub.deflections[words.index(word)]  # [r, S]
        assert np.sum((d @ inside) ** 2) / np.sum(d**2) > 0.9, word
    selected = {found.words[i] for i in np.flatnonzero(found.selection.is_modifier)}
    assert selected == set(found.modifiers)


def test_the_cut_finds_only_planted_modifiers(chapters):
    ch4, _ = chapters
    rec = ch4["planted"].recovery
    # the gap rule stops after the tail: the negators and the strongest intensifiers, plus at
    # most the two corpus cues "would" and "all" (precision 6/8 on the fast model)
    assert set(rec.found) >= {"not", "n't", "never", "extremely", "definitely"}
    assert set(rec.spurious) <= {"would", "all"}
    assert rec.precision >= 0.75


def test_gain_sign_right_for_every_planted_modifier(chapters):
    _, ch5 = chapters
    timing, truth = ch5["timing"], ch5["truth"]
    assert set(timing.words) == set(truth.modifiers)
    for word, gain in zip(timing.words, timing.alpha, strict=True):
        assert np.sign(gain) == np.sign(truth.modifiers[word].alpha), word
        if truth.roles[word] == "intensifier":
            assert gain > 1.0, word
    # the linear prediction agrees in sign with the network for every modifier
    assert np.all(np.sign(timing.linear_gains[:, 0]) == np.sign(timing.alpha))


def test_negators_outlast_intensifiers(chapters):
    _, ch5 = chapters
    timing, truth = ch5["timing"], ch5["truth"]
    roles = np.array([truth.roles[w] for w in timing.words])
    strong = [i for i, w in enumerate(timing.words) if roles[i] in ("negator", "intensifier")]
    planted = {i: truth.modifiers[timing.words[i]].tau for i in strong}
    # The gain-based τ orders every pair of negators and intensifiers as planted (fast model:
    # not 4.2 > never 2.9 > n't 2.6 > definitely 1.4 > very, really, extremely ≈ 0.9-1.2).
    for i in strong:
        for j in strong:
            if planted[i] > planted[j]:
                assert timing.tau_gain[i] > timing.tau_gain[j], (timing.words[i], timing.words[j])
    # The distance-based τ depends on the modifier subspace (built from the selected tokens);
    # it separates the groups on average (n't 1.7 and definitely 1.8 overlap on this model).
    tau = timing.tau_distance
    assert tau[roles == "negator"].mean() > tau[roles == "intensifier"].mean() + 0.3


def test_chapter_5_paper_numbers_are_finite(chapters):
    _, ch5 = chapters
    timing = ch5["timing"]
    for word in ("not", "extremely"):
        assert 0.3 < timing.of(word)["tau_distance"] < 10.0
    assert np.all(np.isfinite(timing.position.gain_from_start))
    assert 0.0 <= timing.h0_projection.fraction_in_subspace <= 1.0 + 1e-9


def test_chapter_5_tau_ordering_interval_and_h0_causal_test(chapters):
    _, ch5 = chapters
    timing = ch5["timing"]
    estimate, low, high = timing.tau_difference("not", "extremely")
    assert estimate == pytest.approx(timing.of("not")["tau_distance"]
                                     - timing.of("extremely")["tau_distance"])
    assert low < high and low <= estimate + 1e-9 and estimate - 1e-9 <= high
    # planted τ(not) = 3 > τ(extremely) = 1: the fast model orders them robustly
    assert low > 0
    # the causal test reruns the page's position probe: from the trained h0 it is the same weight
    weights = ch5["first_weight"]
    assert list(weights)[0] == "trained h₀"
    assert weights["trained h₀"] == pytest.approx(timing.position_split.first_weight, rel=1e-5)
    assert all(np.isfinite(g) for g in weights.values())
    # the planted rule (β_b = 1, τ_b = 6; β_e = 0.5, τ_e = 4) favours the first word ≈ 1.95x and
    # the last ≈ 1.44x; the network learns both directions (default model: 1.47 and 1.26)
    assert timing.position_split.first_weight > 1.1
    assert timing.position_split.last_weight > 1.05


def test_chapter_4_nulls_test_every_scored_token_and_pass_the_planted_negators(chapters):
    # the null tests run on chapter 4's own scored tokens; the negators' kicks (a flip of the
    # next word) beat both a random and a shuffled kick of their size on the planted corpus
    ch4, _ = chapters
    found, nulls = ch4["found"], ch4["nulls"]
    n_scored = int(np.sum(found.counts >= found.settings.min_occurrences))
    for kind, n in nulls.items():
        assert n.test.n_tested == n_scored, kind
        ids = [ch4["model"].vocab.tokens.index(w) for w in n.selected]
        assert np.all(n.test.z[ids] > n.test.z_threshold)
        assert {"not", "n't", "never"} <= set(n.selected), kind
    # uniformly random directions barely move the readout: that null passes more tokens
    assert len(nulls["random"].selected) >= len(nulls["shuffled"].selected)


def test_chapter_4_report_matches_independent_computations(chapters):
    """modifier_report lays out chapter 4's analysis; its numbers, recomputed another way."""
    import dataclasses

    from scipy.stats import median_abs_deviation

    from rnnctx_utils import modifier_report

    ch4, _ = chapters
    found, truth, model, cloud = ch4["found"], ch4["truth"], ch4["model"], ch4["cloud"]
    hits = set(found.modifiers) & set(truth.modifiers)
    planted = [w for w in truth.modifiers if w in found.words]
    assert ch4["planted"].glued["ch4_precision"] == pytest.approx(len(hits) / len(found.modifiers))
    assert ch4["planted"].glued["ch4_recall"] == pytest.approx(len(hits) / len(planted))
    # the robust z-rule on scores with a known spread and one far outlier
    log_scores = np.linspace(-1.0, 1.0, len(found.words))
    log_scores[3] = 30.0
    fake = dataclasses.replace(found, scores=np.exp(log_scores),
                               counts=np.full(len(found.words), found.settings.min_occurrences))
    summary = modifier_report.score_summary(fake)
    assert summary["ch4_mad"] == pytest.approx(
        median_abs_deviation(log_scores, scale="normal"), rel=1e-4)
    assert summary["ch4_mad_selected"] == f"1 tokens ({found.words[3]})"
    assert summary["ch4_score_decades"] == pytest.approx((30.0 + 1.0) / np.log(10.0))
    assert modifier_report.cut_rows(fake, {found.words[3]}, (4.0,))[0][:4] == [4.0, 1, "1.00",
                                                                               "1.00"]
    # the worked occurrence: the state before it, stepped on the token, is the state after it
    occurrence = modifier_report.example_occurrence(model, cloud, found)
    assert occurrence is not None and occurrence.word == "not"
    after = np.flatnonzero((cloud.doc_of_state == occurrence.doc)
                           & (cloud.step_of_state == occurrence.step))[0]
    emb = np.asarray(model.params["embedding"])
    stepped = model.step_function()(occurrence.state_before, emb[occurrence.word_id])
    np.testing.assert_allclose(np.asarray(stepped), cloud.states[after], atol=1e-5)
    assert np.asarray(cloud.tokens)[occurrence.doc, occurrence.step] == occurrence.word_id
