"""Training: a planted task is learned, runs are bit-for-bit reproducible, divergence is
reported, the best-on-validation parameters are the ones returned."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import train

VOCAB = 20


def planted_task(n, seed, min_len=3, max_len=10):
    # Lengths within one bucket (12): one compilation per run; compiling dominates tiny runs.
    """Documents of random tokens; label = sign of the summed planted valences of the tokens."""
    rng = np.random.default_rng(seed)
    valence = np.random.default_rng(123).normal(size=VOCAB)
    valence[:2] = 0.0  # <pad>, <unk>
    lengths = rng.integers(min_len, max_len + 1, size=n).astype(np.int32)
    tokens = np.zeros((n, max_len), np.int32)
    for i, length in enumerate(lengths):
        tokens[i, :length] = rng.integers(2, VOCAB, size=length)
    score = np.take(valence, tokens).sum(axis=1)  # padding has valence 0
    return train.LabelledData(tokens, lengths, (score > 0).astype(np.int32)), valence


def test_bucket_length():
    got = [train.bucket_length(n) for n in (1, 8, 9, 16, 17, 32, 33, 64, 65, 129, 400)]
    assert got == [4, 8, 12, 16, 20, 32, 48, 64, 80, 160, 448]


def test_decay_mask_spares_biases_and_initial_state():
    params = {"embedding": 0, "cell": {"A": 0, "W": 0, "b": 0}, "h0": 0, "readout_w": 0,
              "readout_b": 0}
    assert train.decay_mask(params) == {"embedding": True, "cell": {"A": True, "W": True,
                                        "b": False}, "h0": False, "readout_w": True,
                                        "readout_b": False}


def test_bow_recovers_planted_valences_and_keeps_the_best_parameters(capsys):
    data, valence = planted_task(2_000, seed=0)
    valid, _ = planted_task(500, seed=1)
    settings = train.TrainSettings(n_steps=400, batch_size=64, learning_rate=0.05, l2=0.0,
                                   eval_every=10)
    result = train.train_bow(data, valid, settings, vocab_size=VOCAB, test=valid)
    # The planted rule is a bag of words: accuracy near 1, weights ∝ valences.
    assert result.metrics["valid_accuracy"] > 0.95
    weights = np.asarray(result.params["weights"])[2:]
    assert np.corrcoef(weights, valence[2:])[0, 1] > 0.97
    # Best-on-validation: the returned parameters score the best validation accuracy seen.
    assert result.metrics["valid_accuracy"] == pytest.approx(
        max(result.history["valid_accuracy"]), abs=1e-12)
    assert result.metrics["test_accuracy"] == result.metrics["valid_accuracy"]
    # One width (bucket 12, the longest document is 10) for this short job; mean length 6.5;
    # 2,000 documents fill 32 batches of 64 (2,048 rows): padding = 1 − 6.5 / 12 · 2000 / 2048
    # ≈ 0.471.
    assert result.metrics["padding_fraction"] == pytest.approx(0.471, abs=0.02)
    # Exponential decay: rate · decay^(step / 1000) at the first step of each interval.
    assert result.history["learning_rate"][1] == pytest.approx(0.05 * 0.7 ** (10 / 1000),
                                                                rel=1e-6)
    # 40 evaluations, at most ~10 printed lines (plain text: pytest's stderr is no terminal).
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("BoW")]
    assert 5 <= len(lines) <= 11


@pytest.mark.slow
def test_tiny_gru_learns_the_planted_task_and_is_deterministic():
    data, _ = planted_task(1_200, seed=2)
    valid, _ = planted_task(300, seed=3)
    settings = train.TrainSettings(n_steps=250, batch_size=32, learning_rate=1e-2,
                                   eval_every=50, seed=5)
    kwargs = dict(cell_name="gru", vocab_size=VOCAB, n_embed=8, n_hidden=16, progress=False)
    first = train.train_classifier(data, valid, settings, **kwargs)
    # Chance is loss log 2 = 0.693, accuracy 0.5.
    assert first.metrics["train_loss"] < 0.25
    assert first.metrics["valid_accuracy"] > 0.88
    again = train.train_classifier(data, valid, settings, **kwargs)
    for a, b in zip(_leaves(first.params), _leaves(again.params), strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit
    assert again.history["train_loss"] == first.history["train_loss"]
    other = train.train_classifier(data, valid, settings.__class__(
        **{**settings.__dict__, "seed": 6, "n_steps": 50}), **kwargs)
    assert not np.array_equal(np.asarray(other.params["h0"]), np.asarray(first.params["h0"]))


def _leaves(tree):
    import jax

    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


def test_divergence_raises_with_step_and_fix():
    # logit = sqrt(p): labels 0 push p down; with learning rate 1 Adam steps p from 1 to ≈0 to
    # < 0, where sqrt is NaN: the loss of step 3 is the first non-finite one.
    data, _ = planted_task(64, seed=4)
    data = data._replace(labels=np.zeros_like(data.labels))

    def logits_fn(params, tokens, lengths):
        return jnp.sqrt(params["p"]) * jnp.ones(tokens.shape[0])

    settings = train.TrainSettings(n_steps=20, batch_size=16, learning_rate=1.0, eval_every=20)
    with pytest.raises(train.TrainingError, match=r"step 3 .*Lower the learning rate"):
        train.fit({"p": jnp.asarray(1.0)}, logits_fn, data, data, settings, progress=False)


def test_evaluate_matches_direct_computation():
    data, valence = planted_task(300, seed=7)
    params = {"weights": jnp.asarray(valence, jnp.float32), "bias": jnp.asarray(0.1)}
    from rnnctx_utils import models

    logits = np.asarray(models.bow_logits(params, data.tokens, data.lengths), np.float64)
    loss = np.mean(np.logaddexp(0, logits) - data.labels * logits)
    accuracy = np.mean((logits > 0) == (data.labels == 1))
    got_loss, got_accuracy = train.evaluate(models.bow_logits, params, data, batch_size=64)
    assert got_loss == pytest.approx(loss, rel=1e-5)
    assert got_accuracy == pytest.approx(accuracy, abs=1e-12)
    assert not math.isnan(got_loss)
