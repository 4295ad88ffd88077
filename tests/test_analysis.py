"""rnnctx_utils.analysis on systems whose answers are known analytically.

The toy "model" is a linear integrator: F(h, x) = A h + B x with A = diag(1, 0.5, 0.2),
so every point (a, 0, 0) is a fixed point with eigenvalues (1, 0.5, 0.2), the slow mode is
e₁, and the linearization is exact.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import analysis, analysis_cache, attractor_search, linearize, modifiers, text
from rnnctx_utils import fixed_points as fp
from rnnctx_utils.network import Network

A = np.diag([1.0, 0.5, 0.2])
SEEDS_40 = analysis.AttractorSettings(n_seeds=40)
B = np.array([[1.0], [0.3], [-0.2]])


def _model() -> Network:
    """The linear integrator as a Network (E = 1, S = 3); vocabulary: <pad>, <unk>, good (+1),
    bad (−1), meh (0)."""
    a, b = jnp.asarray(A, jnp.float32), jnp.asarray(B, jnp.float32)

    def F(h: jax.Array, x: jax.Array) -> jax.Array:
        return a @ h + b @ x

    embedding = np.asarray([[0.0], [0.0], [1.0], [-1.0], [0.0]], np.float32)
    return Network(step=F, h0=np.zeros(3, np.float32),
                   readout_w=np.asarray([1.0, 0.0, 0.0], np.float32), embedding=embedding,
                   vocab=text.Vocab(("<pad>", "<unk>", "good", "bad", "meh")))


def _cloud(model: Network) -> analysis.StateCloud:
    """Run the linear model by hand on random documents (the exact reference)."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 12, size=30).astype(np.int32)
    tokens = np.zeros((30, 12), np.int32)
    for i, n in enumerate(lengths):
        tokens[i, :n] = rng.integers(2, 5, size=n)
    emb = np.asarray(model.embedding, np.float64)
    states = np.zeros((30, 12, 3))
    for i, n in enumerate(lengths):
        h = np.zeros(3)
        for t in range(12):
            if t < n:
                h = A @ h + B @ emb[tokens[i, t]]
            states[i, t] = h
    mask = np.arange(12)[None, :] < lengths[:, None]
    doc, step = np.nonzero(mask)
    final = states[np.arange(30), lengths - 1]
    logits = final[:, 0]
    return analysis.StateCloud(states[mask], doc, step, final, logits,
                               (logits > 0).astype(np.int64), tokens, lengths, np.zeros(3))


def test_line_attractor_of_a_linear_integrator() -> None:
    model = _model()
    cloud = _cloud(model)
    att = analysis.line_attractor(model, cloud, settings=SEEDS_40, cache=False)
    # Every slow point lies on the line h₂ = h₃ = 0 up to the slow tolerance (speed² / 2 < 1e-5)
    assert len(att.slow) >= 10
    assert np.abs(att.points[:, 1:]).max() < 1e-2
    assert len(att.roots) >= 10 and np.abs(att.roots.points[:, 1:]).max() < 1e-9
    np.testing.assert_allclose(np.abs(att.direction), [1.0, 0.0, 0.0], atol=1e-3)
    assert att.direction[0] > 0  # sign: readout grows along it
    assert 0.6 < att.readout_coverage <= 1.0  # 40 seeds; the extremes are rare states
    refs = analysis.reference_points(att, 5)
    assert refs.shape[1] == 3 and np.all(np.diff(refs[:, 0]) > 0)


def test_attractor_modes_and_input_projections() -> None:
    model = _model()
    att = analysis.line_attractor(model, _cloud(model), settings=SEEDS_40, cache=False)
    modes = analysis.attractor_modes(model, att, n_points=5)
    n = len(modes.readout)
    np.testing.assert_allclose(np.abs(modes.eigenvalues), np.tile([1.0, 0.5, 0.2], (n, 1)),
                               atol=1e-5)
    assert np.all(modes.time_constants[:, 0] > 1e4)  # |λ₁| = 1: τ₁ = ∞ up to round-off
    np.testing.assert_allclose(modes.time_constants[:, 1], 1 / np.log(2), rtol=1e-4)
    np.testing.assert_allclose(modes.right_top, np.tile([1.0, 0, 0], (n, 1)), atol=1e-6)
    # l₁ᵀ J_inp x = B[0] x = ±1 for good / bad, 0 for meh
    values = analysis.input_projections(model, modes.left_top[0], modes.input_jacobians[0],
                                        ["good", "bad", "meh"])
    np.testing.assert_allclose(values, [1.0, -1.0, 0.0], atol=1e-5)


def test_linearized_system_of_a_linear_model_is_exact() -> None:
    model = _model()
    cloud = _cloud(model)
    att = analysis.line_attractor(model, cloud, settings=SEEDS_40, cache=False)
    result = analysis.linearized_accuracy(model, att, cloud)
    np.testing.assert_allclose(result.logits_linear, cloud.logits, atol=1e-4)
    assert result.agreement == 1.0 and result.accuracy_linear == result.accuracy_rnn == 1.0


def test_trajectory_transitions_rebuild_the_states() -> None:
    model = _model()
    cloud = _cloud(model)
    before, inputs = analysis.trajectory_transitions(model, cloud)
    after = before @ A.T + inputs @ B.T
    np.testing.assert_allclose(after, cloud.states, atol=1e-5)


def test_pca_recovers_planted_variances() -> None:
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    latent = rng.standard_normal((20_000, 3)) * np.array([3.0, 2.0, 1.0])
    result = analysis.pca(latent @ basis[:3] + 5.0)
    np.testing.assert_allclose(result.explained_variance_ratio[:3], [9 / 14, 4 / 14, 1 / 14],
                               atol=0.01)
    assert result.cumulative(3) == pytest.approx(1.0, abs=1e-9)
    assert abs(abs(result.components[0] @ basis[0]) - 1) < 1e-3


def test_alignment_null_matches_theory() -> None:
    size = 100
    target = np.eye(size)[0]
    res = analysis.alignment(np.stack([target, np.eye(size)[1]]), target, n_null=20_000)
    np.testing.assert_allclose(res.cosines, [1.0, 0.0], atol=1e-12)
    # |cos| of a random direction ≈ |N(0, 1/S)|: 99th percentile ≈ 2.576 / √S
    assert res.null_99 == pytest.approx(2.576 / np.sqrt(size), rel=0.05)
    assert res.fraction_above_null == 0.5


def test_readout_coverage_clips_to_the_visited_range() -> None:
    assert analysis.readout_coverage(np.array([-1.0, 0.0, 1.0]), (-2.0, 2.0)) == 0.5
    assert analysis.readout_coverage(np.array([-5.0, 5.0]), (-2.0, 2.0)) == 1.0
    assert analysis.readout_coverage(np.array([]), (-2.0, 2.0)) == 0.0


def test_readout_zero_line_has_zero_readout() -> None:
    model = Network(step=lambda h, x: h, h0=np.zeros(3), readout_w=np.array([1.0, 2.0, 0.5]),
                    readout_b=0.3)
    rng = np.random.default_rng(2)
    components = analysis.pca(rng.standard_normal((500, 3)) * [3, 2, 0.1])
    a, b = analysis.readout_zero_line(model, components, (-2.0, 2.0))
    pc1, pc2 = components.components[:2]
    points = components.mean + a[:, None] * pc1 + b[:, None] * pc2
    np.testing.assert_allclose(points @ model.readout_w + 0.3, 0.0, atol=1e-9)


def test_cartoon_systems_have_the_planted_fixed_points() -> None:
    systems = analysis.cartoon_systems()
    expected = {  # fixed point -> |eigenvalues| of the Euler map I + 0.1 Df
        "saddle": ([0.0, 0.0], [1.1, 0.9]),
        "oscillation": ([0.0, 0.0], [np.hypot(0.98, 0.1)] * 2),
        "line attractor": ([0.7, 0.5 * np.sin(0.7)], [1.0, 0.9]),
    }
    for name, (point, magnitudes) in expected.items():
        F = systems[name]
        found = fp.find_fixed_points(F, np.array([point]) + 1e-3, tol=1e-20, method="exact",
                                     n_inputs=1)
        if name != "line attractor":  # the line's root may slide along the line
            np.testing.assert_allclose(found.points[0], point, atol=1e-8)
        eig = linearize.eigenmodes(linearize.recurrent_jacobians(F, found.points, n_inputs=1,
                                                                 float64=True))
        np.testing.assert_allclose(np.abs(eig.eigenvalues[0]), magnitudes, atol=1e-6)
    saddle_types = linearize.fixed_point_type(linearize.eigenmodes(linearize.recurrent_jacobians(
        systems["saddle"], np.array([[0.0, 0.0], [1.0, 0.0]]), n_inputs=1)).eigenvalues)
    assert saddle_types.tolist() == ["saddle", "stable node"]


def test_class_size_counts_the_valence_tails():
    rng = np.random.default_rng(0)
    neutral = rng.uniform(-0.1, 0.1, 1000)  # the bulk: scaled MAD ≈ 0.074, no tail
    weights = np.concatenate([neutral, np.full(25, 2.0), np.full(20, -2.0)])
    assert analysis.class_size(weights) == 20  # the smaller tail, far beyond 3 MADs
    assert analysis.class_size(np.concatenate([neutral, np.full(3, 2.0), np.full(3, -2.0)])) == 10
    many = np.concatenate([neutral, np.full(150, 2.0), np.full(150, -2.0)])
    assert analysis.class_size(many) == 100


def test_changing_a_setting_changes_the_analysis_cache_key() -> None:
    def key(*settings: object) -> str:
        return analysis_cache.cache_key("modifier_analysis", np.arange(3), *settings)

    before = key(analysis.AttractorSettings(), modifiers.ModifierSettings())
    assert key(analysis.AttractorSettings(), modifiers.ModifierSettings()) == before
    assert key(analysis.AttractorSettings(slow_tol=1e-7), modifiers.ModifierSettings()) != before
    assert key(analysis.AttractorSettings(), modifiers.ModifierSettings(cut_rule="mad")) != before
    # a setting is a value: changed by making another one, never in place (which a cached
    # result's key would not see)
    with pytest.raises(dataclasses.FrozenInstanceError):
        modifiers.ModifierSettings().cut_rule = "mad"  # type: ignore[misc]


def test_the_line_attractor_is_cached_under_its_settings(tmp_path, monkeypatch) -> None:
    model = dataclasses.replace(_model(), cache_dir=tmp_path)
    cloud = _cloud(model)
    first = analysis.line_attractor(model, cloud, settings=SEEDS_40)
    assert first.settings == SEEDS_40 and first.n_seeds == 40

    def recompute(*args: object) -> None:
        raise AssertionError("recomputed instead of loading the cached attractor")

    monkeypatch.setattr(attractor_search, "_line_attractor", recompute)
    again = analysis.line_attractor(model, cloud, settings=SEEDS_40)
    np.testing.assert_array_equal(again.points, first.points)
    # another setting is another entry: computed, never served the one cached under the old
    for other in (dataclasses.replace(SEEDS_40, slow_tol=1e-7),
                  analysis.AttractorSettings(n_seeds=41)):
        with pytest.raises(AssertionError, match="recomputed"):
            analysis.line_attractor(model, cloud, settings=other)
