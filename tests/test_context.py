"""rnnctx_utils.context on a hand-built network whose modifier effect is known analytically.

The network has state h = [s, n, i, z] (integrator, negator coordinate, intensifier
coordinate, spare) and input x = [val, neg, int, spare]:

    s' = s + g(n, i) · (1 − β tanh²(s)) · val,   g(n, i) = 1 + a_n tanh(n) + a_i tanh(i)
    n' = λ_n n + neg,   i' = λ_i i + int,   z' = ρ z + spare

The line attractor is the s axis (every point with n = i = z = 0 is a fixed point at zero
input). "not" = [0, 1, 0, 0] sets n = 1, so the next valence word is scaled by
g = 1 + a_n tanh(1) = −1 (a flip) and the effect decays as λ_n^k, i.e. τ = −1 / ln λ_n = 2
tokens; "very" = [0, 0, 1, 0] doubles the next word (g = 2) with τ = 1 token. The spare
coordinate z never affects s. The saturation β makes the input Jacobian vary slowly along the
attractor, so that valence words get small but non-zero scores.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import context

TAU_N, TAU_I = 2.0, 1.0
LAM_N, LAM_I = float(np.exp(-1 / TAU_N)), float(np.exp(-1 / TAU_I))
A_N, A_I = -2.0 / float(np.tanh(1.0)), 1.0 / float(np.tanh(1.0))
BETA, RHO = 0.2, 0.5


def F(h, x):
    s, n, i, z = h[0], h[1], h[2], h[3]
    g = 1.0 + A_N * jnp.tanh(n) + A_I * jnp.tanh(i)
    s_next = s + g * (1.0 - BETA * jnp.tanh(s) ** 2) * x[0]
    return jnp.stack([s_next, LAM_N * n + x[1], LAM_I * i + x[2], RHO * z + x[3]])


E_S, E_N, E_I, E_Z = np.eye(4, dtype=np.float32)
READOUT = E_S
GRID = np.linspace(-6.0, 6.0, 241)  # attractor cloud spacing 0.05
ATTRACTOR = np.zeros((GRID.size, 4), np.float32)
ATTRACTOR[:, 0] = GRID
H_REFS = np.zeros((20, 4), np.float32)
H_REFS[:, 0] = np.linspace(-3.0, 3.0, 20)

NAMED = {
    "the": [0, 0, 0, 0],
    "good": [1, 0, 0, 0],
    "great": [2, 0, 0, 0],
    "bad": [-1, 0, 0, 0],
    "awful": [-2, 0, 0, 0],
    "not": [0, 1, 0, 0],
    "very": [0, 0, 1, 0],
    "spare": [0, 0, 0, 1],
}
_rng = np.random.default_rng(0)
_random_words = np.zeros((199, 4))
_random_words[:, 0] = 0.05 * _rng.standard_normal(199)
_random_words[:, 3] = 0.5 * _rng.standard_normal(199)
WORDS = list(NAMED) + [f"w{i}" for i in range(199)]
EMBED = np.concatenate([np.array(list(NAMED.values()), float), _random_words]).astype(np.float32)
IDX = {w: i for i, w in enumerate(WORDS)}


def x(word):
    return EMBED[IDX[word]]


def analytic_scores(interpolate=False):
    """Mean over refs of |∂s'/∂val at h_w − ∂s'/∂val at h*(h_w)| (the only changing entry)."""
    s_ref = H_REFS[:, 0].astype(np.float64)[None, :]  # [1, r]
    val, neg, inten = (EMBED[:, j].astype(np.float64)[:, None] for j in range(3))
    s_w = s_ref + (1.0 - BETA * np.tanh(s_ref) ** 2) * val  # refs have n = i = 0
    if interpolate:
        s_star = s_w
    else:
        s_star = GRID[np.argmin(np.abs(s_w[..., None] - GRID), axis=-1)]
    g = 1.0 + A_N * np.tanh(neg) + A_I * np.tanh(inten)
    delta = g * (1.0 - BETA * np.tanh(s_w) ** 2) - (1.0 - BETA * np.tanh(s_star) ** 2)
    return np.abs(delta).mean(axis=1)


# ------------------------------------------------------------------------------------------
# rollouts


def test_rollout_matches_explicit_loop_and_batch_pads_with_last_state():
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((3, 7, 4)).astype(np.float32)
    h0 = np.array([0.1, 0.2, -0.3, 0.4], np.float32)
    h, expected = jnp.asarray(h0), []
    for t in range(7):
        h = F(h, xs[1, t])
        expected.append(h)
    expected = np.stack(expected)
    np.testing.assert_allclose(context.rollout(F, h0, xs[1]), expected, rtol=1e-6)
    lengths = np.array([7, 4, 1])
    batch = np.asarray(context.rollout_batch(F, h0, xs, lengths))
    np.testing.assert_allclose(batch[1, :4], expected[:4], rtol=1e-6)
    np.testing.assert_allclose(batch[1, 4:], np.broadcast_to(expected[3], (3, 4)), rtol=1e-6)
    np.testing.assert_allclose(batch[2], np.broadcast_to(F(h0, xs[2, 0]), (7, 4)), rtol=1e-6)
    # one initial state per document
    h0s = rng.standard_normal((3, 4)).astype(np.float32)
    per_doc = np.asarray(context.rollout_batch(F, h0s, xs, lengths))
    np.testing.assert_allclose(per_doc[2, 0], F(h0s[2], xs[2, 0]), rtol=1e-6)


def test_nearest_attractor_point_plain_and_interpolated():
    points = np.zeros((3, 4), np.float32)
    points[:, 0] = [0.0, 1.0, 2.0]
    query = np.array([[0.3, 0.5, 0.0, 0.0], [1.8, 0.0, -0.2, 0.0]], np.float32)
    plain = context.nearest_attractor_point(query, points)
    interp = context.nearest_attractor_point(query, points, interpolate=True)
    np.testing.assert_allclose(plain[:, 0], [0.0, 2.0])
    np.testing.assert_allclose(interp, [[0.3, 0, 0, 0], [1.8, 0, 0, 0]], atol=1e-6)
    d = context.distance_from_attractor(query, points, interpolate=True)
    np.testing.assert_allclose(d, [0.5, 0.2], rtol=1e-6)
    d_n = context.distance_from_attractor(query, points, basis=E_N, interpolate=True)
    np.testing.assert_allclose(d_n, [0.5, 0.0], atol=1e-7)


# ------------------------------------------------------------------------------------------
# M5: scores and the cut


@pytest.fixture(scope="module")
def scores():
    # chunks of 16 tokens: 13 chunks, the last one padded
    return context.modifier_scores(F, H_REFS, EMBED, ATTRACTOR, READOUT, chunk_size=16)


def test_modifier_scores_match_analytic_values_and_rank_modifiers_first(scores):
    expected = analytic_scores()
    np.testing.assert_allclose(scores.frobenius, expected, rtol=1e-3, atol=2e-6)
    # the readout is the integrator axis, the only row of J_inp that changes
    np.testing.assert_allclose(scores.readout, scores.frobenius, rtol=1e-5, atol=1e-7)
    order = np.argsort(-scores.frobenius)
    assert [WORDS[i] for i in order[:2]] == ["not", "very"]
    valence = [IDX[w] for w in ("good", "great", "bad", "awful")]
    assert scores.frobenius[valence].max() < 0.01 * scores.frobenius[IDX["very"]]
    # "spare" deflects the state off the attractor but leaves J_inp alone: it scores like the
    # filler (whose small score is the cloud's discreteness, 0.05 between points)
    assert abs(scores.frobenius[IDX["spare"]] - scores.frobenius[IDX["the"]]) < 1e-6
    # a readout on the negator coordinate sees no change: that row of J_inp is constant
    on_n = context.modifier_scores(F, H_REFS, EMBED, ATTRACTOR, E_N, chunk_size=16)
    np.testing.assert_allclose(on_n.readout, 0.0, atol=1e-7)
    np.testing.assert_allclose(on_n.frobenius, scores.frobenius, rtol=1e-6)


def test_modifier_scores_interpolated_leave_only_the_modifiers():
    scores = context.modifier_scores(F, H_REFS, EMBED, ATTRACTOR, interpolate=True)
    assert scores.readout is None
    expected = analytic_scores(interpolate=True)
    np.testing.assert_allclose(scores.frobenius, expected, rtol=1e-4, atol=2e-5)
    others = np.delete(scores.frobenius, [IDX["not"], IDX["very"]])
    assert others.max() < 2e-5


def test_in_context_scores_are_the_gain_changes_on_the_following_words():
    # occurrences (token, next word) from states near s = 0 (nearest attractor point s = 0):
    # "not good": −1 vs +1 -> 2; "not the": 0; "very great": 2·2 vs 2 -> 2; "spare good": z
    # never reaches s -> 0; "good good": moves along the line onto a cloud point -> 0
    pairs = [("not", "good"), ("not", "the"), ("very", "great"), ("spare", "good"),
             ("good", "good")]
    h_before = np.zeros((len(pairs), 4), np.float32)
    h_before[:, 0] = [0.01, -0.02, 0.0, 0.02, 0.0]  # snapped to s = 0 before the token
    ids = np.array([IDX[a] for a, _ in pairs])
    nexts = np.stack([[x(b)] for _, b in pairs])  # [n, K = 1, n_in]
    out = context.in_context_scores(F, h_before, ids, nexts, EMBED, ATTRACTOR, READOUT,
                                    x("the"), n_after=3, chunk_size=2)
    sat = 1.0 - BETA * np.tanh(1.0) ** 2  # the second "good" is read at s = 1
    np.testing.assert_allclose(out.effect, [-1, 0, 4, 1, sat], atol=1e-5)
    np.testing.assert_allclose(out.effect_reference, [1, 0, 2, 1, sat], atol=1e-5)
    assert out.counts[IDX["not"]] == 2 and out.counts[IDX["the"]] == 0
    np.testing.assert_allclose(out.score[[IDX[w] for w in ("not", "very", "spare", "good")]],
                               [1.0, 2.0, 0.0, 0.0], atol=1e-5)
    assert out.score[IDX["the"]] == 0.0


@pytest.mark.parametrize("rule", ["mad", "gap"])
def test_select_modifiers_cuts_exactly_the_planted_modifiers(rule, scores):
    selection = context.select_modifiers(scores.frobenius, rule=rule)
    assert sorted(WORDS[i] for i in np.flatnonzero(selection.is_modifier)) == ["not", "very"]
    assert selection.threshold == pytest.approx(scores.frobenius[IDX["very"]])


def test_select_modifiers_gap_rule_on_hand_numbers():
    scores = np.array([1e-3, 2e-3, 0.5, 1.5e-3, 0.3, 0.0, 1e-3])
    selection = context.select_modifiers(scores, rule="gap", top_n=6)
    np.testing.assert_array_equal(selection.is_modifier, scores >= 0.3)
    assert list(selection.order[:2]) == [2, 4]


def test_unscored_tokens_stay_out_of_the_robust_statistics():
    # 40 scored tokens spread over half a decade, 3 far above; 2,000 tokens seen too rarely to
    # be scored (score 0). Counted as floored log-scores, the unscored mass would become the
    # median and stretch the MAD over 27 decades, and the z-rule would select nothing.
    rng = np.random.default_rng(0)
    scores = np.zeros(2043)
    scores[:40] = 10 ** rng.uniform(-2.5, -2.0, 40)
    scores[40:43] = [0.5, 0.8, 1.0]
    selection = context.select_modifiers(scores, rule="mad", k=4.0)
    np.testing.assert_array_equal(np.flatnonzero(selection.is_modifier), [40, 41, 42])
    assert "median -5." in selection.rule  # ln of ~10^-2.25, the scored bulk
    # an explicit mask: a scored token with score 0 is scored, an unscored one never selected
    mask = np.zeros(2043, bool)
    mask[:41] = True
    chosen = context.select_modifiers(scores, rule="gap", scored=mask)
    np.testing.assert_array_equal(np.flatnonzero(chosen.is_modifier), [40])
    with pytest.raises(ValueError, match="no token has a score"):
        context.select_modifiers(np.zeros(5))


# ------------------------------------------------------------------------------------------
# M6: the modifier subspace


def test_manifold_direction_is_the_integrator_axis():
    direction = context.manifold_direction(ATTRACTOR, READOUT)
    np.testing.assert_allclose(direction, E_S, atol=1e-12)
    np.testing.assert_allclose(context.manifold_direction(ATTRACTOR, -READOUT), -E_S, atol=1e-12)


def test_modifier_subspace_spans_the_modifier_coordinates():
    top = np.stack([x("not"), x("very"), x("great")])
    sub = context.modifier_subspace(F, H_REFS, top, E_S, variance=0.9)
    assert sub.dim == 2
    np.testing.assert_allclose(sub.explained_variance_ratio[:3], [0.5, 0.5, 0.0], atol=1e-6)
    projector = sub.basis @ sub.basis.T
    np.testing.assert_allclose(projector, np.diag([0.0, 1.0, 1.0, 0.0]), atol=1e-6)
    # deflections: "not" -> e_n, "very" -> e_i, "great" -> along the manifold, removed
    np.testing.assert_allclose(np.linalg.norm(sub.projections, axis=1), [1, 1, 0], atol=1e-6)
    assert np.all(sub.projections[0] >= -1e-9)  # sign convention: top token non-negative
    capped = context.modifier_subspace(F, H_REFS, top, E_S, max_dim=1)
    assert capped.dim == 1 and capped.basis.shape == (4, 1)
    proj = context.token_projections(F, H_REFS, EMBED, sub.basis, chunk_size=50)
    np.testing.assert_allclose(np.abs(proj[IDX["not"]]).sum(), 1.0, atol=1e-6)
    others = np.delete(proj, [IDX["not"], IDX["very"]], axis=0)
    assert np.abs(others).max() < 1e-6  # valence and spare words never leave span{e_s, e_z}


@pytest.mark.parametrize(("variance", "dim"), [(0.79, 1), (0.81, 2), (0.94, 2), (0.96, 3)])
def test_modifier_subspace_ratios_and_dimension_are_the_planted_ones(variance, dim):
    # off the line, a token x = [0, a, b, c] deflects every reference by exactly (0, a, b, c):
    # kicks of squared sizes 0.8 : 0.15 : 0.05 along e_n, e_i, e_z give those ratios, and the
    # dimension is the fewest components whose cumulative ratio reaches ``variance`` (0.8,
    # 0.95 and 1; thresholds 0.01 away from them, as float32 kicks round the ratios by 1e-7)
    sizes = np.sqrt([0.8, 0.15, 0.05])
    top = np.zeros((3, 4), np.float32)
    top[[0, 1, 2], [1, 2, 3]] = sizes
    sub = context.modifier_subspace(F, H_REFS, top, E_S, variance=variance)
    np.testing.assert_allclose(sub.explained_variance_ratio, [0.8, 0.15, 0.05, 0.0], atol=1e-6)
    assert sub.dim == dim
    planted = np.eye(4)[:, [1, 2, 3][:dim]]  # e_n, then e_i, then e_z
    np.testing.assert_allclose(sub.basis @ sub.basis.T, planted @ planted.T, atol=1e-6)
    # each token's kick on its own component (signs: only the top token's is fixed, positive)
    diagonal = sub.projections[np.arange(3), np.arange(3)]
    np.testing.assert_allclose(np.abs(diagonal), sizes, rtol=1e-6)
    assert diagonal[0] > 0


def test_initial_state_projection_and_random_subspace():
    h0 = np.array([1.0, 0.0, 0.8, 0.0], np.float32)
    basis = np.stack([E_N, E_I], axis=1)
    proj = context.initial_state_projection(h0, ATTRACTOR, basis)
    np.testing.assert_allclose(proj.coordinates, [0.0, 0.8], atol=1e-6)
    assert proj.deviation_norm == pytest.approx(0.8, rel=1e-6)
    assert proj.fraction_in_subspace == pytest.approx(1.0, rel=1e-6)
    rand = context.random_subspace(3, 4, 1, exclude=np.stack([E_S, E_N, E_I], axis=1))
    np.testing.assert_allclose(np.abs(rand[:, 0]), E_Z, atol=1e-12)
    rand2 = context.random_subspace(3, 50, 4, exclude=np.eye(50)[:, 0])
    np.testing.assert_allclose(rand2.T @ rand2, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(rand2[0], 0.0, atol=1e-12)


# ------------------------------------------------------------------------------------------
# M7: timing and gains


def test_fit_exponential_recovers_planted_parameters():
    k = np.arange(12)
    fit = context.fit_exponential(3.0 * np.exp(-k / 2.5))
    assert fit.amplitude == pytest.approx(3.0, rel=1e-9)
    assert fit.tau == pytest.approx(2.5, rel=1e-9)
    fit_off = context.fit_exponential(3.0 * np.exp(-k / 2.5) + 0.2, offset=True)
    assert fit_off.tau == pytest.approx(2.5, rel=1e-4)
    assert fit_off.offset == pytest.approx(0.2, abs=1e-4)
    assert context.fit_exponential(np.ones(5)).tau == float("inf")


@pytest.mark.parametrize("reference", ["attractor", "control"])
def test_modifier_time_constants_match_eigenvalues(reference):
    starts = ATTRACTOR[::40]
    basis = np.stack([E_N, E_I], axis=1)
    mods = np.stack([x("not"), x("very")])
    result = context.modifier_time_constants(
        F, starts, mods, x("the"), ATTRACTOR, basis, n_steps=8, reference=reference
    )
    k = np.arange(9)
    np.testing.assert_allclose(result.curves[0], LAM_N**k, rtol=1e-4)
    np.testing.assert_allclose(result.curves[1], LAM_I**k, rtol=1e-4)
    np.testing.assert_allclose(result.tau, [TAU_N, TAU_I], rtol=0.05)
    np.testing.assert_allclose(result.tau, [TAU_N, TAU_I], rtol=1e-3)  # exact here
    np.testing.assert_allclose(result.amplitude, [1.0, 1.0], rtol=1e-3)


def test_gain_curve_matches_analytic_gain_and_linear_theory():
    k = np.arange(7)
    prefix = np.stack([x("the")] * 3)
    h0 = np.zeros(4, np.float32)
    for word, a, lam in (("not", A_N, LAM_N), ("very", A_I, LAM_I)):
        curve = context.gain_curve(
            F, h0, READOUT, x(word), x("good"), x("the"), prefix=prefix, max_k=6, n_after=2
        )
        expected = 1.0 + a * np.tanh(lam**k)
        np.testing.assert_array_equal(curve.k, k)
        np.testing.assert_allclose(curve.gain, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(curve.linear_gain, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(curve.effect_plain, 1.0, rtol=1e-6)
        assert (
            context.classify_modifier(curve.gain[0])
            == {"not": "negator", "very": "intensifier"}[word]
        )
    assert curve.gain[0] == pytest.approx(2.0, rel=1e-5)
    assert context.classify_modifier(0.5) == "diminisher"
    assert context.classify_modifier(1.05) == "other"


def test_position_gains_show_the_intensifying_initial_state():
    h0 = np.array([0.0, 0.0, 0.8, 0.0], np.float32)  # h0 in the intensifier direction
    n_tokens = 25
    gains = context.position_gains(F, h0, READOUT, x("good"), x("the"), n_tokens)
    t = np.arange(n_tokens)
    effect = 1.0 + A_I * np.tanh(0.8 * LAM_I**t)
    np.testing.assert_allclose(gains.effect, effect, rtol=1e-5)
    np.testing.assert_allclose(gains.gain_from_start, effect / effect[12], rtol=1e-5)
    assert gains.gain_from_start[0] > 1.6  # the beginning of the document weighs more
    np.testing.assert_allclose(gains.gain_from_end[:5], 1.0, atol=1e-5)  # no end effect here


# ------------------------------------------------------------------------------------------
# M8: necessity


def test_projected_rollout_abolishes_negation_but_random_control_does_not():
    h0 = np.zeros(4, np.float32)
    modifier_basis = context.modifier_subspace(
        F, H_REFS, np.stack([x("not"), x("very")]), E_S
    ).basis
    control_basis = context.random_subspace(0, 4, 1, exclude=np.stack([E_S, E_N, E_I], axis=1))
    # "the not good the" and "good good" (padded): negation probe and integration check
    xs = np.stack(
        [
            [x("the"), x("not"), x("good"), x("the")],
            [x("good"), x("good"), x("the"), x("the")],
        ]
    )
    lengths = np.array([4, 2])
    plain = np.asarray(context.rollout_batch(F, h0, xs, lengths)[:, -1] @ READOUT)
    ablated_states = context.rollout_projected_batch(F, h0, xs, lengths, ATTRACTOR, modifier_basis)
    ablated = np.asarray(ablated_states[:, -1] @ READOUT)
    control = np.asarray(
        context.rollout_projected_batch(F, h0, xs, lengths, ATTRACTOR, control_basis)[:, -1]
        @ READOUT
    )
    good_good = 1.0 + (1.0 - BETA * np.tanh(1.0) ** 2)
    np.testing.assert_allclose(plain, [-1.0, good_good], rtol=1e-5)  # "not good" flips
    np.testing.assert_allclose(ablated, [1.0, good_good], rtol=1e-5)  # flip abolished
    np.testing.assert_allclose(control, [-1.0, good_good], rtol=1e-5)  # spare: no change
    # the single-document version agrees, and padding repeats the last state
    single = context.rollout_projected(F, h0, xs[0], ATTRACTOR, modifier_basis)
    np.testing.assert_allclose(single, ablated_states[0], rtol=1e-6)
    np.testing.assert_allclose(ablated_states[1, 2:], ablated_states[1, 1:2].repeat(2, 0))


def test_projected_rollout_removes_the_initial_state_deviation():
    h0 = np.array([0.0, 0.0, 0.8, 0.3], np.float32)
    xs = np.stack([[x("good")] * 4, [x("the")] * 4])
    lengths = np.array([1, 1])
    basis = np.stack([E_N, E_I], axis=1)
    kept = context.rollout_projected_batch(
        F, h0, xs, lengths, ATTRACTOR, basis, project_initial_state=False
    )
    removed = context.rollout_projected_batch(F, h0, xs, lengths, ATTRACTOR, basis)
    assert float(kept[0, 0, 0]) == pytest.approx(1.0 + A_I * np.tanh(0.8), rel=1e-5)
    assert float(removed[0, 0, 0]) == pytest.approx(1.0, rel=1e-6)
    assert float(removed[0, 0, 3]) == pytest.approx(RHO * 0.3, rel=1e-6)  # z is left alone


# ------------------------------------------------------------------------------------------
# M9: recovered fraction


def test_recovered_fraction_on_hand_numbers():
    assert context.recovered_fraction(0.84, 0.80, 0.85) == pytest.approx(0.8)
    assert context.recovered_fraction(0.95, 0.90, 0.90) != context.recovered_fraction(
        0.95, 0.90, 0.90
    )  # nan: no gap to recover
    assert context.recovered_fraction(0.78, 0.80, 0.90) == pytest.approx(-0.2)


def test_bootstrap_interval_contains_estimate_and_narrows_with_n():
    def draw(n, seed):
        rng = np.random.default_rng(seed)
        u = rng.random(n)  # shared difficulty: the models are right on the easier documents
        return u < 0.88, u < 0.80, u < 0.90

    widths = []
    for n in (400, 4000):
        aug, bow, rnn = draw(n, n)
        result = context.bootstrap_recovered_fraction(aug, bow, rnn, n_boot=500, seed=1)
        assert result.estimate == pytest.approx(
            context.recovered_fraction(aug.mean(), bow.mean(), rnn.mean())
        )
        assert result.low <= result.estimate <= result.high
        widths.append(result.high - result.low)
    assert widths[1] < 0.5 * widths[0]  # about 1 / sqrt(10)
    aug, bow, rnn = draw(4000, 4000)
    assert abs(context.bootstrap_recovered_fraction(aug, bow, rnn, n_boot=500).estimate - 0.8) < 0.1


def test_bootstrap_tau_of_exact_exponentials_and_its_spread():
    k = np.arange(4.0)
    amplitudes = np.linspace(0.5, 2.0, 20)[:, None]
    # every start decays with τ = 2 (any amplitude): every replicate's τ is 2
    exact = np.stack([amplitudes * np.exp(-k / 2.0), amplitudes * np.exp(-k / 0.5)])
    boot = context.bootstrap_tau(exact, n_boot=200)
    assert boot.shape == (2, 200)
    np.testing.assert_allclose(boot, np.array([[2.0], [0.5]]) * np.ones((1, 200)), rtol=1e-9)
    # half the starts decay with τ = 1, half with τ = 4: replicates spread between them
    mixed = np.concatenate([np.exp(-k / 1.0) * np.ones((10, 1)),
                            np.exp(-k / 4.0) * np.ones((10, 1))])[None]
    spread = context.bootstrap_tau(mixed, n_boot=500)[0]
    assert 1.0 < spread.min() < np.median(spread) < spread.max() < 4.0
    full = context.fit_exponential(mixed[0].mean(axis=0)).tau
    assert abs(np.median(spread) - full) < 0.3


def _null_difference(h_before: np.ndarray, kick_norm: float, u: np.ndarray, nxt: str) -> float:
    """|e(h) − e(h*(h))| for the kicked state h = h_ref + kick_norm·u, read by ``nxt`` then
    fillers ("the" = zero input): e(h) = g(n, i)(1 − β tanh²(s))·val, the reference at the
    nearest cloud point (s on the 0.05 grid, n = i = z = 0)."""
    h_ref = np.array([GRID[np.argmin(np.abs(GRID - h_before[0]))], 0, 0, 0])
    h = h_ref + kick_norm * u
    val = x(nxt)[0]
    g = 1.0 + A_N * np.tanh(h[1]) + A_I * np.tanh(h[2])
    s_star = GRID[np.argmin(np.abs(GRID - h[0]))]
    return abs(g * (1 - BETA * np.tanh(h[0]) ** 2) * val - (1 - BETA * np.tanh(s_star) ** 2) * val)


@pytest.mark.parametrize("directions", ["random", "shuffled"])
def test_random_kick_null_moves_each_kick_to_another_direction(directions):
    # "not good" and "very great" from s = 0: kicks of norm 1 ("not" = e_n, "very" = e_i) and
    # 1 ("good" moves along the line); the null keeps the size and the context, changes the
    # direction: to a uniform one (reproduced from the seed) or to another occurrence's kick
    pairs = [("not", "good"), ("very", "great"), ("good", "good"), ("not", "bad")]
    h_before = np.zeros((len(pairs), 4), np.float32)
    ids = np.array([IDX[a] for a, _ in pairs])
    nexts = np.stack([[x(b)] for _, b in pairs])
    null = context.random_kick_differences(F, h_before, ids, nexts, EMBED, ATTRACTOR, READOUT,
                                           x("the"), n_after=3, directions=directions, seed=3)
    rng = np.random.default_rng(3)
    kicks = np.stack([x(a) for a, _ in pairs]).astype(np.float64)  # from s = 0: F(0, x) = x
    if directions == "random":
        u = rng.standard_normal((len(pairs), 4)).astype(np.float32).astype(np.float64)
    else:
        u = kicks[rng.permutation(len(pairs))]
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    expected = [_null_difference(h_before[j], float(np.linalg.norm(kicks[j])), u[j], b)
                for j, (_, b) in enumerate(pairs)]
    np.testing.assert_allclose(null, expected, atol=1e-5)
    # the token's own kicks give 2, 2, 0, 2 (in_context_scores' test): the null differs
    assert not np.allclose(null, [2.0, 2.0, 0.0, 2.0], atol=1e-3)


def test_null_test_is_a_paired_z_test_with_bonferroni():
    # token 1: 50 occurrences, differences 1 + ε above a null of 0.5: z = 0.5 / (sd/√50);
    # token 2: as many, no excess; token 3: 5 occurrences (untested)
    rng = np.random.default_rng(0)
    eps = rng.standard_normal(100)
    diffs = np.concatenate([1.0 + 0.2 * eps[:50], 0.5 + 0.2 * eps[50:], np.ones(5)])
    null = np.concatenate([np.full(50, 0.5), np.full(50, 0.5), np.zeros(5)])
    ids = np.repeat([1, 2, 3], [50, 50, 5])
    out = context.null_test(diffs, null, ids, 4, min_occurrences=20, alpha=0.05)
    paired = diffs - null
    for token, rows in ((1, slice(0, 50)), (2, slice(50, 100))):
        d = paired[rows]
        assert out.z[token] == pytest.approx(d.mean() / (d.std(ddof=1) / np.sqrt(d.size)))
        assert out.excess[token] == pytest.approx(d.mean())
    from scipy.stats import norm
    assert out.n_tested == 2 and out.z_threshold == pytest.approx(norm.isf(0.025))
    assert list(np.flatnonzero(out.is_modifier)) == [1] and out.z[3] == 0.0


def test_the_kernels_compile_once_per_cell_and_hold_it_weakly():
    """Rollouts and scores go through the package's one compile cache (_jit.jitted): one
    compiled kernel per (cell, static settings), reused by a second call, freed with the cell."""
    import gc
    import weakref

    from rnnctx_utils import _jit

    def cell(h, x):  # a cell of its own, so the cache starts empty for it
        return F(h, x)

    xs = np.broadcast_to(E_N, (3, 5, 4)).astype(np.float32)
    points = np.stack([GRID[::20], *np.zeros((3, GRID[::20].size))], axis=1).astype(np.float32)
    for _ in range(2):
        context.rollout_batch(cell, jnp.zeros(4), jnp.asarray(xs), jnp.full(3, 5))
        context.modifier_scores(cell, points[:4], np.eye(4, dtype=np.float32), points)
    table = _jit._JITTED[cell]
    assert {key[0].__name__ for key in table} == {"_rollout_batch", "_modifier_scores_kernel"}
    assert len(table) == 2  # the second round compiled nothing new
    for compiled in table.values():
        assert compiled._cache_size() == 1  # one trace each: same shapes, same statics
    context.modifier_scores(cell, points[:4], np.eye(4, dtype=np.float32), points,
                            interpolate=True)  # another static setting: another kernel
    assert len(_jit._JITTED[cell]) == 3
    ref = weakref.ref(cell)
    del cell, table
    gc.collect()
    assert ref() is None  # the cache did not keep the cell (and its parameters) alive
