"""Beginning weight and recency (rnnctx_utils.position) on systems with known answers."""

import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import position, synthetic

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
    assert split.last_weight == pytest.approx(LEAK ** -position.REFERENCE_AFTER, rel=1e-4)
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


@pytest.mark.parametrize("kwargs", [{"before": ()}, {"before": (0, 30)}, {"after": -1},
                                    {"reference_before": 20}, {"reference_after": 30}])
def test_bad_settings_are_named(kwargs):
    with pytest.raises(ValueError, match="before|reference"):
        position.planted_split(synthetic.PositionWeights(), **kwargs)
