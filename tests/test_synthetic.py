"""The synthetic review language: determinism, the planted rule (M9) and its Bayes accuracy."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from scipy.special import expit, log_expit

from rnnctx_utils import synthetic
from rnnctx_utils.synthetic import Modifier, PositionWeights
from rnnctx_utils.text import tokenize


@pytest.fixture(scope="module")
def corpus() -> synthetic.SyntheticCorpus:
    return synthetic.generate(1_500, seed=11)


def _digest(c: synthetic.SyntheticCorpus) -> str:
    h = hashlib.sha256("\n".join(c.texts).encode())
    h.update(c.labels.tobytes())
    h.update(c.truth.scores.tobytes())
    return h.hexdigest()


def naive_m9(tokens: list[str], truth: synthetic.GroundTruth) -> np.ndarray:
    """M9 written out literally: p(t, T) · Π_{j<t} (1 + (α_j − 1) e^{−(t−j−1)/τ_j}) · v(x_t)."""
    pos, T = truth.position, len(tokens)
    out = np.zeros(T)
    for t, word in enumerate(tokens):
        m = 1.0
        for j in range(t):
            if tokens[j] in truth.modifiers:
                mod = truth.modifiers[tokens[j]]
                m *= 1.0 + (mod.alpha - 1.0) * math.exp(-(t - j - 1) / mod.tau)
        p = (1.0 + pos.beta_begin * math.exp(-t / pos.tau_begin)
             + pos.beta_end * math.exp(-(T - 1 - t) / pos.tau_end))
        out[t] = p * m * truth.valence.get(word, 0.0)
    return out


def test_same_seed_same_corpus_byte_for_byte() -> None:
    a, b = synthetic.generate(400, seed=3), synthetic.generate(400, seed=3)
    assert a.texts == b.texts
    assert np.array_equal(a.labels, b.labels) and a.labels.dtype == np.int64
    assert a.truth.scores.tobytes() == b.truth.scores.tobytes()
    c = synthetic.generate(400, seed=4)
    assert sum(x != y for x, y in zip(a.texts, c.texts, strict=True)) > 390
    # Another interpreter with another string-hash seed gives the same bytes.
    code = ("import hashlib,sys;from rnnctx_utils import synthetic as s;"
            "c=s.generate(400, seed=3);h=hashlib.sha256('\\n'.join(c.texts).encode());"
            "h.update(c.labels.tobytes());h.update(c.truth.scores.tobytes());"
            "sys.stdout.write(h.hexdigest())")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout == _digest(a)


def test_texts_tokenize_back_to_the_scored_tokens(corpus: synthetic.SyntheticCorpus) -> None:
    truth = corpus.truth
    lengths = []
    for text, contrib in zip(corpus.texts, truth.contributions, strict=True):
        tokens = tokenize(text)
        assert len(tokens) == contrib.shape[0]
        assert set(tokens) <= set(truth.words)
        lengths.append(len(tokens))
    assert min(lengths) >= 20 and max(lengths) <= 80
    # Log-uniform targets: more short documents than long ones, mean well inside the range.
    assert 35 < np.mean(lengths) < 60
    assert len(corpus.texts) == 1_500 and corpus.labels.shape == (1_500,)


def test_ground_truth_reproduces_every_score_and_label(
        corpus: synthetic.SyntheticCorpus) -> None:
    truth = corpus.truth
    for i in range(300):
        tokens = tokenize(corpus.texts[i])
        reference = naive_m9(tokens, truth)
        np.testing.assert_allclose(truth.contributions[i], reference, rtol=1e-12, atol=1e-12)
        score, contrib = truth.score_tokens(tokens)
        np.testing.assert_allclose(contrib, reference, rtol=1e-12, atol=1e-12)
        assert score == pytest.approx(truth.scores[i], abs=1e-10)
    assert np.allclose(truth.scores, [c.sum() for c in truth.contributions], atol=1e-12)
    # The label is exactly the sign of score + the recorded noise.
    assert np.array_equal(corpus.labels, (truth.scores + truth.noise > 0).astype(np.int64))
    # Labels are balanced (no planted bias).
    assert abs(corpus.labels.mean() - 0.5) < 0.04


def test_probe_sentences_score_as_planted() -> None:
    truth = synthetic.generate(1, seed=0).truth
    pos = truth.position
    mods = truth.modifiers

    def p(t: int, T: int) -> float:
        return (1 + pos.beta_begin * math.exp(-t / pos.tau_begin)
                + pos.beta_end * math.exp(-(T - 1 - t) / pos.tau_end))

    v = truth.valence
    plain = tokenize("This movie is awesome. I like it.")
    assert plain == ["this", "movie", "is", "awesome", ".", "i", "like", "it", "."]
    score, contrib = truth.score_tokens(plain)
    assert score == pytest.approx(p(3, 9) * v["awesome"] + p(6, 9) * v["like"], rel=1e-12)
    assert contrib[0] == 0.0 and contrib[3] == pytest.approx(p(3, 9) * v["awesome"])

    negated = tokenize("This movie is not awesome. I don't like it.")
    assert negated[7:9] == ["do", "n't"]
    score, _ = truth.score_tokens(negated)
    like_gain = (1 + (mods["not"].alpha - 1) * math.exp(-5 / mods["not"].tau)) * mods["n't"].alpha
    expected = p(4, 12) * mods["not"].alpha * v["awesome"] + p(9, 12) * like_gain * v["like"]
    assert score == pytest.approx(expected, rel=1e-12) and score < 0

    intensified = tokenize("This movie is extremely awesome. I definitely like it.")
    score, _ = truth.score_tokens(intensified)
    like_gain = ((1 + (mods["extremely"].alpha - 1) * math.exp(-4 / mods["extremely"].tau))
                 * mods["definitely"].alpha)
    expected = (p(4, 11) * mods["extremely"].alpha * v["awesome"]
                + p(8, 11) * like_gain * v["like"])
    assert score == pytest.approx(expected, rel=1e-12)

    # Unknown words are neutral.
    known, _ = truth.score_tokens(["the", "film", "is", "good"])
    unknown, contrib = truth.score_tokens(["the", "zyzzyva", "is", "good"])
    assert unknown == known and contrib[1] == 0.0
    assert truth.score_tokens([])[0] == 0.0


def test_planted_roles_follow_the_paper() -> None:
    truth = synthetic.generate(1, seed=0).truth
    negators = truth.words_with_role("negator")
    intensifiers = truth.words_with_role("intensifier")
    diminishers = truth.words_with_role("diminisher")
    assert {"not", "never", "n't"} <= set(negators)
    assert {"very", "extremely", "definitely"} <= set(intensifiers)
    assert {"somewhat", "slightly"} <= set(diminishers)
    assert truth.words_with_role("contrast") == ("but",)
    assert all(truth.modifiers[w].alpha < 0 for w in negators)
    assert all(truth.modifiers[w].alpha > 1 for w in intensifiers)
    assert all(0 < truth.modifiers[w].alpha < 1 for w in diminishers)
    # Negators last longer than intensifiers (P2: "not" ~2 tokens, "extremely" ~1).
    assert min(truth.modifiers[w].tau for w in negators) >= 2.0
    assert max(truth.modifiers[w].tau for w in intensifiers) <= 1.5
    assert truth.modifiers["not"].tau > truth.modifiers["extremely"].tau
    graded = sorted({abs(x) for x in truth.valence.values()})
    assert len(graded) >= 8 and graded[0] <= 0.6 and graded[-1] >= 2.2
    probe = "this movie is awesome . i like it not do n't extremely definitely very never but"
    assert set(probe.split()) <= set(truth.words)
    assert 200 <= len(truth.words) <= 2_000
    assert set(truth.roles.values()) <= set(synthetic.ROLES)


def test_modifier_and_position_formulas() -> None:
    mod = Modifier(alpha=-1.5, tau=2.0)
    assert mod.gain(1) == pytest.approx(-1.5)
    assert mod.gain(3) == pytest.approx(1 - 2.5 * math.exp(-1.0))
    assert mod.gain(200) == pytest.approx(1.0, abs=1e-15)
    w = PositionWeights(beta_begin=1.0, tau_begin=2.0, beta_end=0.5, tau_end=3.0)
    assert w(0, 10) == pytest.approx(2.0 + 0.5 * math.exp(-3.0))
    assert w(9, 10) == pytest.approx(1.0 + math.exp(-4.5) + 0.5)


def test_zipf_like_frequencies_and_modifier_distances(
        corpus: synthetic.SyntheticCorpus) -> None:
    counts: dict[str, int] = {}
    after: dict[str, np.ndarray] = {w: np.zeros(6, int) for w in ("not", "n't", "very")}
    for text in corpus.texts:
        tokens = tokenize(text)
        for j, w in enumerate(tokens):
            counts[w] = counts.get(w, 0) + 1
            if w in after:
                for d in range(1, 6):
                    if j + d < len(tokens) and corpus.truth.roles[tokens[j + d]] == "valence":
                        after[w][d] += 1
    freq = np.sort(np.array(list(counts.values())))[::-1][:200]
    slope = np.polyfit(np.log(np.arange(1, freq.size + 1)), np.log(freq), 1)[0]
    assert -1.6 < slope < -0.7
    # Negators are followed by valence words at distances 1 to 4 (so τ is identifiable).
    n_docs = len(corpus.texts)
    for d in range(1, 5):
        assert after["not"][d] + after["n't"][d] > 0.03 * n_docs, d
    assert after["very"][1] > 0.3 * n_docs
    assert counts["not"] + counts["n't"] + counts["never"] > 0.8 * n_docs


def test_bayes_accuracy_equals_planted_rule_accuracy() -> None:
    c = synthetic.generate(20_000, seed=5)
    s = c.truth.label_noise
    assert c.truth.bayes_accuracy == pytest.approx(np.mean(expit(np.abs(c.truth.scores) / s)))
    empirical = np.mean((c.truth.scores > 0) == (c.labels == 1))
    # Binomial standard error at 95% and n = 20,000 is 0.0015; allow ~4 standard errors.
    assert abs(empirical - c.truth.bayes_accuracy) < 0.006
    assert 0.93 <= c.truth.bayes_accuracy <= 0.96


def _bag_of_words_accuracy(train: synthetic.SyntheticCorpus,
                           test: synthetic.SyntheticCorpus, l2: float = 1e-3) -> float:
    """Plain bag-of-words (token counts) logistic regression, fitted with L-BFGS."""
    index = {w: i for i, w in enumerate(train.truth.words)}

    def counts(c: synthetic.SyntheticCorpus) -> scipy.sparse.csr_matrix:
        rows, cols = [], []
        for i, text in enumerate(c.texts):
            ids = [index[w] for w in tokenize(text)]
            rows += [i] * len(ids)
            cols += ids
        return scipy.sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                       shape=(len(c.texts), len(index)))

    x_train, x_test = counts(train), counts(test)
    sign = 2.0 * train.labels - 1.0

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x_train @ w[:-1] + w[-1]
        g = -sign * expit(-sign * z) / z.size
        value = -np.mean(log_expit(sign * z)) + 0.5 * l2 * w[:-1] @ w[:-1]
        return value, np.append(x_train.T @ g + l2 * w[:-1], g.sum())

    w = scipy.optimize.minimize(loss, np.zeros(len(index) + 1), jac=True,
                                method="L-BFGS-B").x
    return float(np.mean((x_test @ w[:-1] + w[-1] > 0) == (test.labels == 1)))


@pytest.mark.slow
def test_corpus_needs_context_bag_of_words_stays_well_below_the_rule() -> None:
    train, test = synthetic.generate(8_000, seed=1), synthetic.generate(3_000, seed=2)
    bow = _bag_of_words_accuracy(train, test)
    planted = np.mean((test.truth.scores > 0) == (test.labels == 1))
    # Bag-of-words learns something, but context (negation, intensity, position) is needed.
    assert 0.6 < bow < planted - 0.12
    assert planted > 0.92


def test_switching_a_modifier_off_and_lengths_and_errors() -> None:
    base = synthetic.generate(300, seed=9)
    off = synthetic.generate(300, seed=9, modifiers={"not": Modifier(1.0, 1.0)})
    assert off.texts == base.texts
    assert off.truth.score_tokens(["not", "good"])[0] == pytest.approx(
        off.truth.score_tokens(["the", "good"])[0])
    assert base.truth.score_tokens(["not", "good"])[0] < 0
    long = synthetic.generate(100, seed=1, min_len=100, max_len=300)
    long_lengths = [len(c) for c in long.truth.contributions]
    assert min(long_lengths) >= 100 and max(long_lengths) <= 300
    short = synthetic.generate(100, seed=1, min_len=5, max_len=8)
    assert {len(tokenize(t)) for t in short.texts} <= set(range(5, 9))
    assert synthetic.generate(0, seed=1).texts == []
    with pytest.raises(ValueError, match="min_len"):
        synthetic.generate(5, seed=0, min_len=50, max_len=20)
    with pytest.raises(ValueError, match="planted modifier"):
        synthetic.generate(5, seed=0, modifiers={"good": Modifier(2.0, 1.0)})
    with pytest.raises(ValueError, match="label_noise"):
        synthetic.generate(5, seed=0, label_noise=0.0)
