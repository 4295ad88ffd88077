"""The trained-model cache: same model without retraining, retraining after a config or source
change, atomic writes, clear errors on damaged entries."""

import jax
import numpy as np
import pytest

from rnnctx_utils import artifacts, experiment, persistence, text
from rnnctx_utils.config import config


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("RNNCTX_CACHE", str(folder))
    return folder


@pytest.fixture
def fake_training(monkeypatch):
    """Replace training by a quick deterministic stand-in and count the calls."""
    calls = []

    def train_model(cfg, *, progress=True):
        calls.append(cfg)
        vocab = text.Vocab(("<pad>", "<unk>", "good", "bad", "not"))
        rng = np.random.default_rng(cfg.seed)  # numpy: no compilation in these tests
        params = {"embedding": rng.normal(size=(5, 4)).astype(np.float32),
                  "cell": {"A": rng.normal(size=(4, 9)), "W": rng.normal(size=(3, 9)),
                           "b": np.zeros(9)},
                  "h0": np.zeros(3), "readout_w": np.ones(3), "readout_b": np.float32(0.5)}
        bow = {"weights": np.arange(5.0), "bias": np.float64(-1.0)}
        metrics = {"test_accuracy": 0.5 + cfg.seed / 100, "valid_loss": float("nan")}
        history = {"step": [1.0, 2.0], "valid_accuracy": [0.5, 0.75]}
        return experiment.TrainedModel(params, vocab, cfg, metrics, history, bow,
                                       {"test_accuracy": 0.6})

    monkeypatch.setattr(experiment, "train_model", train_model)
    return calls


def leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def test_cache_folder_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("RNNCTX_CACHE", raising=False)
    assert artifacts.cache_dir() == artifacts.PACKAGE_DIR.parent / "_build" / "cache"
    monkeypatch.setenv("RNNCTX_CACHE", str(tmp_path))
    assert artifacts.cache_dir() == tmp_path


def test_flatten_roundtrip_and_source_digest(tmp_path):
    tree = {"a": np.arange(3.0), "cell": {"W": np.eye(2), "b": np.zeros(2)}}
    flat = artifacts.flatten_tree(tree)
    assert sorted(flat) == ["a", "cell/W", "cell/b"]
    back = artifacts.unflatten_tree(flat)
    np.testing.assert_array_equal(back["cell"]["W"], np.eye(2))
    # The source digest changes with any byte of a listed module, and only with those.
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "plots.py").write_text("ignored")
    first = artifacts.source_digest(tmp_path, ("a.py",))
    (tmp_path / "plots.py").write_text("changed")
    assert artifacts.source_digest(tmp_path, ("a.py",)) == first
    (tmp_path / "a.py").write_text("x = 2\n")
    assert artifacts.source_digest(tmp_path, ("a.py",)) != first
    assert len(first) == 16
    with pytest.raises(FileNotFoundError):
        artifacts.source_digest(tmp_path, ("a.py", "missing.py"))


def test_same_model_without_retraining(cache, fake_training, capsys):
    cfg = config(env={}, fast=True)
    first = experiment.trained_model(cfg)
    second = experiment.trained_model(cfg)
    assert len(fake_training) == 1
    assert "Loaded" in capsys.readouterr().out
    for a, b in zip(leaves(first.params), leaves(second.params), strict=True):
        np.testing.assert_array_equal(a, b)
    assert second.metrics["test_accuracy"] == 0.5
    assert np.isnan(second.metrics["valid_loss"])
    assert second.history == {"step": [1.0, 2.0], "valid_accuracy": [0.5, 0.75]}
    assert second.vocab.tokens == ("<pad>", "<unk>", "good", "bad", "not")
    assert second.config == cfg and second.bow_metrics == {"test_accuracy": 0.6}
    assert second.path.parent == cache
    assert [p.name for p in cache.iterdir()] == [second.path.name]  # no temporary left over


def test_retrains_after_config_change(cache, fake_training):
    cfg = config(env={}, fast=True)
    experiment.trained_model(cfg)
    changed = experiment.trained_model(cfg.replace(seed=3))
    assert len(fake_training) == 2
    assert changed.metrics["test_accuracy"] == pytest.approx(0.53)
    experiment.trained_model(cfg)  # the first entry is still there
    assert len(fake_training) == 2


def test_retrains_after_source_change(cache, fake_training, monkeypatch):
    cfg = config(env={}, fast=True)
    experiment.trained_model(cfg)
    monkeypatch.setattr(artifacts, "source_digest", lambda: "0123456789abcdef")
    experiment.trained_model(cfg)
    assert len(fake_training) == 2
    assert sorted(p.name.split("-")[1] for p in cache.iterdir())[0] == "0123456789abcdef"


@pytest.mark.parametrize("damage", ["truncate_arrays", "truncate_records", "delete_manifest"])
def test_damaged_entry_raises_clear_error(cache, fake_training, damage):
    cfg = config(env={}, fast=True)
    path = experiment.trained_model(cfg).path
    if damage == "truncate_arrays":
        data = (path / "arrays.npz").read_bytes()
        (path / "arrays.npz").write_bytes(data[: len(data) // 2])
    elif damage == "truncate_records":
        data = (path / "records.json").read_bytes()
        (path / "records.json").write_bytes(data[:-1])
    else:
        (path / "manifest.json").unlink()
    with pytest.raises(artifacts.CacheError, match="Delete that folder") as error:
        experiment.trained_model(cfg)
    assert str(path) in str(error.value)
    assert len(fake_training) == 1  # never silently retrained over a damaged entry


def test_interrupted_write_leaves_nothing(cache, monkeypatch):
    written = []

    def failing_write(path, data):
        written.append(path.name)
        if len(written) == 2:
            raise OSError("disk full")
        path.write_bytes(data)

    monkeypatch.setattr(persistence, "write_atomic", failing_write)
    with pytest.raises(OSError, match="disk full"):
        artifacts.save_entry("abc", {"params": {"w": np.ones(2)}}, {"metrics": {}})
    assert list(cache.iterdir()) == []  # neither a partial entry nor a temporary folder
    assert artifacts.load_entry("abc") is None


@pytest.mark.slow
def test_end_to_end_tiny_config_trains_once_and_reloads(cache, capsys):
    cfg = config(env={}, fast=True, n_train=400, n_valid=100, n_test=100, min_doc_len=12,
                 max_doc_len=16, n_embed=8, n_hidden=8, n_steps=40, eval_every=40,
                 batch_size=32)
    trained = experiment.trained_model(cfg, progress=False)
    assert "training" in capsys.readouterr().out
    loaded = experiment.trained_model(cfg)
    assert "Loaded" in capsys.readouterr().out
    splits = experiment.encoded_splits(cfg, loaded.vocab)
    test = splits.test.data
    # The stored test accuracy is exactly what the reloaded parameters give.
    logits = np.asarray(loaded.logits(test.tokens, test.lengths))
    assert np.mean((logits > 0) == (test.labels == 1)) == pytest.approx(
        trained.metrics["test_accuracy"], abs=1e-12)
    # The baseline reads whole documents (no truncation); its stored accuracy is reproduced.
    bow_logits = loaded.bow_logits(splits.test.texts)
    assert np.mean((bow_logits > 0) == (test.labels == 1)) == pytest.approx(
        loaded.bow_metrics["test_accuracy"], abs=1e-12)
    truth = experiment.corpus(cfg).ground_truth
    assert loaded.metrics["bayes_accuracy"] == pytest.approx(truth.bayes_accuracy)
    assert 0.8 < loaded.metrics["rule_test_accuracy"] <= 1.0
    assert loaded.params["embedding"].shape == (len(loaded.vocab), 8)

