"""The whole pipeline on a network the book did not train: no config, corpus or training code.

A reader's own RNN enters as a :class:`rnnctx_utils.network.Network`. Here it is hand-built, so
every answer is known. State h = (s, m₁, m₂), input x = (valence, negation, intensification):

    s'  = s + (1 − 2 m₁)(1 + 2 m₂) · x₀      (the line: every (s, 0, 0) is a fixed point)
    m₁' = λ₁ m₁ + x₁                         (negation, τ₁ = −1/ln λ₁)
    m₂' = λ₂ m₂ + x₂                         (intensification, τ₂ = −1/ln λ₂)

"not" = (0, 1, 0) reads the next valence word with gain −1, "very" = (0, 0, ½) with gain 2;
removing the (m₁, m₂) subspace leaves every word read with gain 1.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import analysis, modifiers, text
from rnnctx_utils import necessity_sufficiency as ns
from rnnctx_utils.network import Network

LAMBDA_NEG, LAMBDA_INT = 0.6, 0.3
# Slow points stop once q = ½‖F(h) − h‖² < tol, up to √(2 tol)/(1 − λ) off the line in each
# decaying mode (0.011 in m₁, 0.006 in m₂); a gain (1 − 2 m₁)(1 + 2 m₂) read there is off by at
# most 2 (0.011 + 0.006) ≈ 0.035.
SLOW_TOL = analysis.AttractorSettings().slow_tol
OFF_LINE = 2 * np.sqrt(2 * SLOW_TOL) * (1 / (1 - LAMBDA_NEG) + 1 / (1 - LAMBDA_INT))
WORDS = ("the", "a", "good", "great", "bad", "awful", "not", "very")
INPUTS = {"the": (0, 0, 0), "a": (0, 0, 0), "good": (1, 0, 0), "great": (1.5, 0, 0),
          "bad": (-1, 0, 0), "awful": (-1.5, 0, 0), "not": (0, 1, 0), "very": (0, 0, 0.5)}


def _step(h, x):
    s, m1, m2 = h[0], h[1], h[2]
    return jnp.stack([s + (1 - 2 * m1) * (1 + 2 * m2) * x[0], LAMBDA_NEG * m1 + x[1],
                      LAMBDA_INT * m2 + x[2]])


def _network() -> Network:
    vocab = text.Vocab(("<pad>", "<unk>", *WORDS))
    embedding = np.zeros((len(vocab), 3), np.float32)
    for word, x in INPUTS.items():
        embedding[vocab.id(word)] = x
    return Network(step=_step, h0=np.zeros(3, np.float32), readout_w=np.array([1.0, 0, 0]),
                   embedding=embedding, vocab=vocab)


def _documents(net: Network, n: int = 400, length: int = 12, seed: int = 0):
    """Random reviews over the vocabulary, labelled by the network's own sign."""
    rng = np.random.default_rng(seed)
    ids = np.asarray([net.token_id(w) for w in WORDS])
    weights = np.array([8, 8, 2, 1, 2, 1, 2, 2], float)
    tokens = rng.choice(ids, size=(n, length), p=weights / weights.sum()).astype(np.int32)
    lengths = np.full(n, length, np.int32)
    labels = (net.logits(tokens, lengths) > 0).astype(int)
    return tokens, lengths, labels


@pytest.fixture(scope="module")
def pipeline():
    net = _network()
    tokens, lengths, labels = _documents(net)
    cloud = analysis.state_cloud(net, tokens=tokens, lengths=lengths, labels=labels)
    attractor = analysis.line_attractor(net, cloud,
                                        settings=analysis.AttractorSettings(n_seeds=300))
    found = modifiers.modifier_analysis(
        net, attractor, cloud, settings=modifiers.ModifierSettings(min_occurrences=5))
    timing = modifiers.timing_analysis(net, attractor, found, words=("not", "very"))
    return net, cloud, attractor, found, timing


def test_the_network_runs_as_its_equations_say():
    net = _network()
    ids = np.asarray([[net.token_id(w) for w in ("not", "good", "the", "very", "bad")]])
    # "good" right after "not" counts −1; "bad" after "very" (m₂ = ½) and 3 tokens after "not"
    # (m₁ = λ₁³) counts −(1 − 2 λ₁³) · 2
    expected = -1.0 - (1 - 2 * LAMBDA_NEG**3) * 2
    states = net.states(ids, np.array([5]))[0]
    np.testing.assert_allclose(states[1], [-1.0, LAMBDA_NEG, 0.0], atol=1e-6)
    assert states[4, 0] == pytest.approx(expected, abs=1e-5)
    assert float(net.logits(ids, np.array([5]))[0]) == pytest.approx(expected, abs=1e-5)

def test_cloud_and_line_attractor(pipeline):
    net, cloud, attractor, _, _ = pipeline
    assert cloud.accuracy == 1.0  # labelled by the network itself
    # every slow point lies on the s axis (m₁ = m₂ = 0) up to what the speed tolerance allows:
    # q = ½‖F(h) − h‖² < tol leaves |m₁| ≤ √(2 tol) / (1 − λ₁) off the line
    bound = np.sqrt(2 * SLOW_TOL) / (1 - LAMBDA_NEG)
    assert np.abs(attractor.points[:, 1:]).max() <= bound
    # the exact roots are on it
    np.testing.assert_allclose(attractor.roots.points[:, 1:], 0.0, atol=1e-6)
    assert abs(attractor.direction[0]) == pytest.approx(1.0, abs=1e-4)
    lo, hi = attractor.readout.min(), attractor.readout.max()
    visited = net.readout(cloud.states)
    assert lo <= np.quantile(visited, 0.05) and hi >= np.quantile(visited, 0.95)


def test_modifier_scores_cut_and_subspace(pipeline):
    _, _, _, found, _ = pipeline
    assert found.modifiers == ("not", "very")
    # P2's score ‖ΔJ_inp‖_F: the valence row of J_inp is scaled by (1 − 2 m₁)(1 + 2 m₂). The
    # reference points are slow points, up to √(2 tol)/(1 − λ) off the line (0.011 in m₁,
    # 0.006 in m₂), which moves that factor by at most 2 (0.011 + 0.006) ≈ 0.035.
    off_line = OFF_LINE
    jacobian = dict(zip(found.words, found.jacobian_scores, strict=True))
    assert jacobian["not"] == pytest.approx(2.0, abs=off_line)  # m₁ = 1: 1 → −1
    assert jacobian["very"] == pytest.approx(1.0, abs=off_line)  # m₂ = ½: 1 → 2
    # the in-context score averages over the words that really follow (mostly fillers here),
    # so its size is the corpus's; words that stay on the line score (nearly) 0
    for word in ("the", "a", "good", "great", "bad", "awful"):
        assert jacobian[word] < off_line
        assert found.score(word) < 0.01
    assert found.score("not") > found.score("very") > 0.1
    assert found.groups["not"] == "negator" and found.groups["very"] == "intensifier"
    assert {found.groups[w] for w in found.groups if w not in ("not", "very")} == {"other"}
    assert found.probes == modifiers.ProbeWords(filler="the", valence="good")
    assert found.subspace.dim == 2
    projector = found.subspace.basis @ found.subspace.basis.T
    # the (m₁, m₂) plane; the slow points' offset from the line tilts it by < 1e-3 (6e-4 seen)
    np.testing.assert_allclose(projector, np.diag([0.0, 1.0, 1.0]), atol=1e-3)


def test_timing(pipeline):
    _, _, _, _, timing = pipeline
    tau = -1 / np.log([LAMBDA_NEG, LAMBDA_INT])
    np.testing.assert_allclose(timing.tau_distance, tau, rtol=1e-3)
    np.testing.assert_allclose(timing.alpha, [-1.0, 2.0], atol=1e-4)
    np.testing.assert_allclose(timing.gains[0], 1 - 2 * LAMBDA_NEG ** timing.k, atol=1e-4)
    # h0 = 0: no beginning weight, and s never leaks: no recency
    assert timing.position_split.first_weight == pytest.approx(1.0, abs=1e-5)
    assert timing.position_split.last_weight == pytest.approx(1.0, abs=1e-5)


def test_ablation_removes_negation_and_keeps_the_line(pipeline):
    net, cloud, attractor, found, _ = pipeline
    starts = found.h_refs[::4]
    x = {w: net.inputs([w])[0] for w in ("not", "good", "the")}
    intact = ns.next_token_gain(net.step, starts, net.readout_w, x["not"], x["good"], x["the"])
    ablated_step = ns.projected_step(net.step, attractor.points, found.subspace.basis)
    ablated = ns.next_token_gain(ablated_step, starts, net.readout_w, x["not"], x["good"],
                                 x["the"])
    assert intact == pytest.approx(-1.0, abs=1e-4)
    # ablated, m is reset to that of the nearest slow point, not exactly 0 (see OFF_LINE)
    assert ablated == pytest.approx(1.0, abs=OFF_LINE)
    # ablated, the network is a bag of words: the logit is the sum of the valences
    logits = ns.final_logits(net.step, net.h0, net.readout_w, net.readout_b, net.embedding,
                             cloud.tokens, cloud.lengths, attractor.points,
                             found.subspace.basis)
    per_token = net.embedding[:, 0][cloud.tokens]
    error = np.abs(logits - per_token.sum(axis=1))
    # each word's gain is 1 up to OFF_LINE, so the sum is off by at most OFF_LINE Σ|v|, plus
    # < 1e-3 per modifier from the subspace's tilt (12 tokens: 0.01); without the ablation,
    # negated words flip and the logits are far from that sum
    assert np.all(error <= OFF_LINE * np.abs(per_token).sum(axis=1) + 0.01)
    assert np.mean(np.abs(cloud.logits - per_token.sum(axis=1)) > 0.5) > 0.2
