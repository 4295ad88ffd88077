"""Classifier and bag-of-words: padding invariance, states, readout, hand-run recurrences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import cells, models

VOCAB, EMBED, HIDDEN = 30, 6, 5


def make_params(cell_name, seed=0):
    params = models.init_classifier(jax.random.PRNGKey(seed), cell_name, VOCAB, EMBED, HIDDEN)
    # A non-zero h0 and bias, so that a bug reading the wrong state shows.
    rng = np.random.default_rng(seed)
    params["h0"] = jnp.asarray(rng.normal(size=params["h0"].shape) * 0.3, jnp.float32)
    params["readout_b"] = jnp.asarray(0.25, jnp.float32)
    return params


def random_docs(rng, n, max_len):
    lengths = rng.integers(1, max_len + 1, size=n).astype(np.int32)
    tokens = np.zeros((n, max_len), np.int32)
    for i, length in enumerate(lengths):
        tokens[i, :length] = rng.integers(2, VOCAB, size=length)
    return tokens, lengths


@pytest.mark.parametrize("cell_name", cells.CELL_NAMES)
def test_padded_batch_equals_each_document_alone(cell_name):
    params = make_params(cell_name)
    rng = np.random.default_rng(1)
    tokens, lengths = random_docs(rng, 6, 9)
    lengths[:] = [9, 4, 1, 4, 9, 1]  # few distinct lengths: few compilations of "alone"
    # Extra padding columns must not matter either.
    padded = np.concatenate([tokens, np.zeros((6, 7), np.int32)], axis=1)
    batch = np.asarray(models.classifier_logits(params, cell_name, padded, lengths))
    alone = [
        float(models.classifier_logits(params, cell_name, tokens[i:i + 1, :length],
                                       lengths[i:i + 1])[0])
        for i, length in enumerate(lengths)
    ]
    np.testing.assert_allclose(batch, alone, rtol=1e-5, atol=1e-5)
    assert np.ptp(batch) > 1e-3  # the documents do give different logits


@pytest.mark.parametrize("cell_name", ["gru", "lstm"])
def test_states_follow_the_step_function_and_repeat_after_the_end(cell_name):
    params = make_params(cell_name, seed=3)
    rng = np.random.default_rng(3)
    tokens, lengths = random_docs(rng, 3, 8)
    lengths[0] = 8
    states = np.asarray(models.classifier_states(params, cell_name, tokens, lengths))
    F = models.bound_step(params, cell_name)
    S = cells.get_cell(cell_name).state_size(HIDDEN)
    assert states.shape == (3, 8, S)
    for i in range(3):
        h = params["h0"]
        for t in range(lengths[i]):
            h = F(h, params["embedding"][tokens[i, t]])
            np.testing.assert_allclose(states[i, t], np.asarray(h), rtol=1e-5, atol=1e-6)
        # After the last valid token the state is held.
        for t in range(lengths[i], 8):
            np.testing.assert_array_equal(states[i, t], states[i, lengths[i] - 1])
    logits = np.asarray(models.classifier_logits(params, cell_name, tokens, lengths))
    np.testing.assert_allclose(logits, np.asarray(models.readout(params, states[:, -1])),
                               rtol=1e-5, atol=1e-6)
    final = np.asarray(models.final_states(params, cell_name, tokens, lengths))
    np.testing.assert_allclose(final, states[:, -1], rtol=1e-6, atol=1e-7)


def test_empty_document_reads_out_h0():
    params = make_params("gru")
    tokens = np.zeros((1, 4), np.int32)
    logit = float(models.classifier_logits(params, "gru", tokens, np.zeros(1, np.int32))[0])
    expected = float(np.asarray(params["h0"]) @ np.asarray(params["readout_w"]) + 0.25)
    assert logit == pytest.approx(expected, abs=1e-6)


def test_parameter_shapes():
    params = models.init_classifier(jax.random.PRNGKey(0), "lstm", VOCAB, EMBED, HIDDEN)
    shapes = {k: np.shape(v) for k, v in params.items() if k != "cell"}
    assert shapes == {"embedding": (VOCAB, EMBED), "h0": (2 * HIDDEN,),
                      "readout_w": (2 * HIDDEN,), "readout_b": ()}


def test_bow_logit_is_sum_of_token_weights_plus_bias():
    params = {"weights": jnp.arange(VOCAB, dtype=jnp.float32) * 0.1,
              "bias": jnp.asarray(-1.0, jnp.float32)}
    tokens = np.array([[3, 4, 4, 0, 0], [7, 2, 9, 5, 1]], np.int32)
    lengths = np.array([3, 5], np.int32)
    # Padding token 0 would add weight 0 anyway; make it count if it were not masked.
    params["weights"] = params["weights"].at[0].set(100.0)
    got = np.asarray(models.bow_logits(params, tokens, lengths))
    np.testing.assert_allclose(got, [1.1 - 1.0, 2.4 - 1.0], rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("cell", cells.CELL_NAMES)
def test_hand_written_backward_matches_autodiff(cell):
    # training_logits: same logits, and its custom reverse pass (gru_recurrence for the GRU,
    # product_recurrence for the others) gives the autodiff gradient of classifier_logits for
    # every parameter (float64, with padding and an empty document).
    with jax.enable_x64(True):
        params = jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float64),
                                        make_params(cell, seed=5))
        rng = np.random.default_rng(5)
        tokens = jnp.asarray(rng.integers(2, VOCAB, size=(4, 9)), jnp.int32)
        lengths = jnp.asarray([9, 3, 0, 6], jnp.int32)
        weights = jnp.asarray([1.0, -2.0, 0.5, 1.5])

        def loss(logits_fn):
            return lambda p: (logits_fn(p, cell, tokens, lengths) * weights).sum()

        value, fused = jax.jit(jax.value_and_grad(loss(models.training_logits)))(params)
        expected, autodiff = jax.jit(jax.value_and_grad(loss(models.classifier_logits)))(params)
    assert float(value) == pytest.approx(float(expected), abs=1e-12)
    for a, b in zip(jax.tree_util.tree_leaves(fused), jax.tree_util.tree_leaves(autodiff),
                    strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)
    assert np.abs(np.asarray(fused["cell"]["W"])).max() > 1e-3  # a gradient that is not trivial
