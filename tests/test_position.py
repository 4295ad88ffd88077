"""Beginning weight and recency (rnnctx_utils.position) on systems with known answers."""

import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import position, synthetic, timing_report
from rnnctx_utils.analysis_settings import PositionSettings, TimingSettings

LEAK, START_DECAY, START_GAIN = 0.9, 0.5, 1.5


def _leaky_with_start_flag(h, x):
    """h = (a, s): a' = λ a + x (1 + g s), s' = ρ s. From h0 = (0, 1) the word after m
    fillers is read with weight 1 + g ρ^m and then leaks as λ^k:
    effect(m, k) = (x_v − x_f)(1 + g ρ^m) λ^k."""
    a, s = h[0], h[1]
    return jnp.stack([LEAK * a + x[0] * (1 + START_GAIN * s), START_DECAY * s])


def test_split_of_a_leaky_integrator_with_a_start_flag():
    split = position.position_split(_leaky_with_start_flag, np.array([0.0, 1.0]),
                                    np.array([1.0, 0.0]), np.array([2.0]), np.array([0.5]))
    m = np.arange(split.effect.shape[0])[:, None]
    k = np.arange(split.effect.shape[1])[None, :]
    exact = 1.5 * (1 + START_GAIN * START_DECAY ** m) * LEAK ** k
    valid = np.isfinite(split.effect)
    assert valid.sum() == split.effect.shape[0] * (split.effect.shape[0] + 1) // 2
    # float32 rollouts: readouts of a few units differ by ~1e-6 (λ^80 leaves 3e-4 of an effect)
    np.testing.assert_allclose(split.effect[valid], np.broadcast_to(exact, valid.shape)[valid],
                               rtol=1e-5, atol=3e-6)
    begin = (1 + START_GAIN) / (1 + START_GAIN * START_DECAY ** split.before)
    np.testing.assert_allclose(split.begin, np.broadcast_to(begin[:, None], split.begin.shape),
                               rtol=1e-4)
    np.testing.assert_allclose(split.recency, np.broadcast_to(LEAK ** split.after,
                                                              split.recency.shape), rtol=1e-4)
    assert split.first_weight == pytest.approx(begin[list(split.before).index(30)], rel=1e-4)
    assert split.settings == PositionSettings()  # recorded: the book's default
    assert split.last_weight == pytest.approx(LEAK ** -split.settings.reference_after, rel=1e-4)
    text = position.reading(split)
    assert "first position is favoured" in text and "last words weigh more" in text


def test_planted_split_applies_the_definitions_to_the_rule():
    rule = synthetic.PositionWeights(beta_begin=1.0, tau_begin=6.0, beta_end=0.5, tau_end=4.0)
    split = position.planted_split(rule)
    end_term = 0.5 * np.exp(-10 / 4)  # the word 10 tokens before the end, both documents
    first = (2 + end_term) / (1 + np.exp(-30 / 6) + end_term)
    last = (1 + np.exp(-30 / 6) + 0.5) / (1 + np.exp(-30 / 6) + end_term)
    assert split.first_weight == pytest.approx(first, rel=1e-12)
    assert split.last_weight == pytest.approx(last, rel=1e-12)
    flat = position.planted_split(synthetic.PositionWeights(beta_begin=0.0, beta_end=0.0))
    assert flat.first_weight == 1.0 and flat.last_weight == 1.0
    assert "not special" in position.reading(flat, split)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"before": ()}, "before ≥ 1"), ({"before": (0, 30)}, "before ≥ 1"),
    ({"after": -1}, "after ≥ 0"), ({"reference_before": 20}, "reference"),
    ({"reference_after": 30}, "reference"), ({"after": 2.5}, "integers"),
    ({"before": (10, "30")}, "integers"),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=f"PositionSettings: .*{match}"):
        PositionSettings(**kwargs)


def test_the_default_settings_are_the_books():
    default = PositionSettings()
    assert (default.before, default.after) == ((10, 30, 60), 20)
    assert (default.reference_before, default.reference_after) == (30, 10)
    assert default.n_tokens == 81
    assert TimingSettings().position_split == default
    # counts are normalised to plain ints, so equal settings have one repr (the cache key's)
    assert PositionSettings(before=[np.int64(10), 30, 60]) == default
    assert repr(PositionSettings(before=[np.int64(10), 30, 60])) == repr(default)
    with pytest.raises(TypeError, match="PositionSettings"):
        position.planted_split(synthetic.PositionWeights(), settings={"after": 5})


def test_another_setting_changes_the_result_and_is_recorded():
    rule = synthetic.PositionWeights(beta_begin=1.0, tau_begin=6.0, beta_end=0.5, tau_end=4.0)
    other = PositionSettings(before=(5, 20), after=12, reference_before=20, reference_after=4)
    split = position.planted_split(rule, settings=other)
    assert split.settings == other
    assert split.effect.shape == (other.n_tokens, other.n_tokens) == (33, 33)
    assert list(split.before) == [5, 20] and list(split.after) == list(range(13))
    end_term = 0.5 * np.exp(-4 / 4)  # the word 4 tokens before the end, both documents
    first = (2 + end_term) / (1 + np.exp(-20 / 6) + end_term)
    assert split.first_weight == pytest.approx(first, rel=1e-12)
    assert split.first_weight != position.planted_split(rule).first_weight
    # the network's split reads its settings too
    net = position.position_split(_leaky_with_start_flag, np.array([0.0, 1.0]),
                                  np.array([1.0, 0.0]), np.array([2.0]), np.array([0.5]),
                                  settings=other)
    assert net.settings == other and net.effect.shape == (33, 33)
    assert net.last_weight == pytest.approx(LEAK ** -4, rel=1e-4)
    # the report names the reference that was used, and refuses two different ones
    table = timing_report.position_table(net, split)
    assert "after 20 fillers (4 fillers after both)" in table and "4 tokens before" in table
    with pytest.raises(ValueError, match="settings=split.settings"):
        timing_report.position_table(net, position.planted_split(rule))
