"""The one call chapters use: the trained model for a config, trained at most once.

>>> from rnnctx_utils import config, experiment
>>> model = experiment.trained_model(config())        # loads from the cache, or trains
>>> F = model.step_function()                         # F(h [S], x [E]) -> [S]
>>> splits = experiment.encoded_splits(model.config, model.vocab)

:func:`trained_model` trains the RNN and the bag-of-words baseline only when the cache
(:mod:`rnnctx_utils.artifacts`) holds no entry for this config under the current package source,
and prints which of the two happened.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils import artifacts, cells, models, train
from rnnctx_utils.config import Config
from rnnctx_utils.network import Network


@dataclass(frozen=True)
class TrainedModel:
    """A trained classifier and its bag-of-words baseline.

    params: RNN parameters (see :func:`rnnctx_utils.models.init_classifier`).
    vocab: the :class:`rnnctx_utils.text.Vocab` the model was trained with.
    config: the :class:`~rnnctx_utils.config.Config` it was trained under.
    metrics: RNN ``{train,valid,test}_{accuracy,loss}``, ``best_step``, ``train_seconds``,
        ``tokens_per_second``, ``total_seconds`` and, for the synthetic corpus,
        ``bayes_accuracy`` (the planted rule's expected accuracy, the best any classifier can
        do) and ``rule_test_accuracy`` (the planted rule's accuracy on these test labels).
    history: RNN training curves (see :class:`rnnctx_utils.train.TrainResult`).
    bow_params: the bag-of-words baseline ``{"weights": [V], "bias": []}``
        (:mod:`rnnctx_utils.bow`: logistic regression on whole documents).
    bow_metrics: its ``valid_accuracy``, ``test_accuracy``, the selected ``C`` and
        ``uses_counts`` (1: word counts, 0: word presence; chosen on validation).
    path: the cache entry it lives in.
    """

    params: dict[str, Any]
    vocab: Any
    config: Config
    metrics: dict[str, float]
    history: dict[str, list[float]]
    bow_params: dict[str, Any]
    bow_metrics: dict[str, float]
    path: Path | None = None

    @property
    def bow_kind(self) -> str:
        """The baseline's features: ``"counts"`` or ``"presence"`` (chosen on validation)."""
        return "counts" if self.bow_metrics.get("uses_counts", 1.0) else "presence"

    def bow_logits(self, texts: list[str]) -> np.ndarray:
        """The bag-of-words baseline's logits [n_docs] for whole documents (not truncated)."""
        from rnnctx_utils import bow, text  # noqa: PLC0415

        ids = text.encode_ids(texts, self.vocab)
        return bow.logits(np.asarray(self.bow_params["weights"], np.float64),
                          float(self.bow_params["bias"]), ids, self.bow_kind)

    @property
    def cell(self) -> cells.Cell:
        """The cell's functions (:func:`rnnctx_utils.cells.get_cell`)."""
        return cells.get_cell(self.config.cell)

    @functools.cached_property
    def _bound_step(self) -> Callable[[jax.Array, jax.Array], jax.Array]:
        return models.bound_step(self.params, self.config.cell)

    def step_function(self) -> Callable[[jax.Array, jax.Array], jax.Array]:
        """``F(h [S], x [E]) -> h_next [S]`` with the trained parameters bound.

        The same function object on every call: the analysis kernels are jitted with ``F``
        static (hashed by identity), so a new closure per call would compile them again."""
        return self._bound_step

    @functools.cached_property
    def network(self) -> Network:
        """The trained classifier as the analyses see it (:class:`~rnnctx_utils.network.Network`):
        its bound step, h0, readout, embedding, vocabulary, bag-of-words weights, the analysis
        cache folder next to the cached model, its fast forward pass and its corpus's
        documents. One object per model, so the step function is bound once."""
        return Network(
            step=self.step_function(), h0=np.asarray(self.params["h0"]),
            readout_w=np.asarray(self.params["readout_w"]),
            readout_b=float(self.params["readout_b"]),
            embedding=np.asarray(self.params["embedding"]), vocab=self.vocab,
            token_valence=np.asarray(self.bow_params["weights"]),
            cache_dir=None if self.path is None else self.path.parent / "analysis" / self.path.name,
            states_fn=self.states, logits_fn=self.logits, documents=self.documents)

    def documents(self, split: str, n_docs: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first ``n_docs`` non-empty documents of a split of the model's corpus (default
        ``config.n_analysis_docs``): ``"test"`` (the validation split when there is no test
        split) or ``"train"``. Returns (tokens [n, L] int32, lengths [n], labels [n])."""
        if split not in ("test", "train"):
            raise ValueError(f"unknown split {split!r}; use 'test' or 'train'")
        n_docs = self.config.n_analysis_docs if n_docs is None else n_docs
        splits = encoded_splits(self.config, self.vocab)
        data = (splits.train.data if split == "train"
                else splits.test.data if splits.test.data.n_docs else splits.valid.data)
        keep = np.flatnonzero(np.asarray(data.lengths) > 0)[:n_docs]
        return (np.asarray(data.tokens)[keep], np.asarray(data.lengths)[keep],
                np.asarray(data.labels)[keep])

    def embed(self, words: list[str]) -> jax.Array:
        """Embedding vectors [len(words), E] (unknown words get the ``<unk>`` row)."""
        return self.params["embedding"][jnp.asarray([self.vocab.id(w) for w in words])]

    def logits(self, tokens: Any, lengths: Any) -> jax.Array:
        """RNN logits [B] of tokens [B, L] with lengths [B]."""
        return models.classifier_logits(self.params, self.config.cell, jnp.asarray(tokens),
                                        jnp.asarray(lengths))

    def states(self, tokens: Any, lengths: Any) -> jax.Array:
        """RNN states after each token [B, L, S] (see :func:`models.classifier_states`)."""
        return models.classifier_states(self.params, self.config.cell, jnp.asarray(tokens),
                                        jnp.asarray(lengths))


class Split(NamedTuple):
    """One encoded split: ``texts`` (list of str), ``data`` (tokens [n, L], lengths [n],
    labels [n]; :class:`rnnctx_utils.train.LabelledData`), ``n_truncated`` (documents cut at
    ``max_len``)."""

    texts: list[str]
    data: train.LabelledData
    n_truncated: int


class Splits(NamedTuple):
    """The train / validation / test splits, encoded with one vocabulary."""

    train: Split
    valid: Split
    test: Split


@functools.lru_cache(maxsize=4)
def corpus(cfg: Config) -> Any:
    """The corpus of a config (:func:`rnnctx_utils.corpora.corpus_for`), loaded once."""
    from rnnctx_utils import corpora  # noqa: PLC0415  (loads datasets: heavy, on use)

    return corpora.corpus_for(cfg)


def _encode(texts: list[str], labels: Any, vocab: Any, max_len: int, keep: str) -> Split:
    from rnnctx_utils import text  # noqa: PLC0415

    encoded = text.encode_texts(texts, vocab, max_len, keep=keep)
    return Split(texts, train.LabelledData.from_encoded(encoded, labels),
                 int(encoded.n_truncated))


def encoded_splits(cfg: Config, vocab: Any, *, whole_documents: bool = False) -> Splits:
    """The config's corpus encoded with ``vocab``: documents cut to ``cfg.max_len`` tokens,
    the first or the last ones (``cfg.truncate``; what the RNN reads), or whole
    (``whole_documents``: what the bag-of-words models read)."""
    data = corpus(cfg)
    parts = []
    for dataset in (data.train, data.validation, data.test):
        texts = list(dataset["text"]) if len(dataset) else []
        labels = np.asarray(list(dataset["label"]) if len(dataset) else [], np.int32)
        max_len = 10**9 if whole_documents else cfg.max_len
        parts.append(_encode(texts, labels, vocab, max_len, cfg.truncate))
    return Splits(*parts)


def trained_model(cfg: Config, *, progress: bool = True) -> TrainedModel:
    """The trained model for ``cfg``: from the cache, or trained now and cached.

    Raises:
        rnnctx_utils.artifacts.CacheError: the cache entry exists but is damaged (the message
            names the folder to delete).
    """
    source = artifacts.source_digest()  # of the code about to train, before it runs
    entry = artifacts.load_entry(cfg.digest(), source)
    if entry is not None:
        model = _from_entry(entry, cfg)
        # The entry's name, not its folder: a rendered page shows no path of the build machine.
        print(f"Loaded the trained {cfg.cell.upper()} from the cache: entry {entry.path.name}")
        return model
    print(f"No cached model for this config (cache: RNNCTX_CACHE or _build/cache): training "
          f"a {cfg.cell.upper()} ({cfg.n_steps} steps) and the bag-of-words baseline.")
    model = train_model(cfg, progress=progress)
    path = artifacts.save_entry(
        cfg.digest(),
        trees={"params": model.params, "bow_params": model.bow_params},
        records={"config": cfg.to_dict(), "vocab": model.vocab.to_json(),
                 "metrics": model.metrics, "history": model.history,
                 "bow_metrics": model.bow_metrics},
        source=source,
    )
    print(f"Saved to the cache: entry {path.name}")
    return _from_entry(artifacts.read_entry(path), cfg)


def train_model(cfg: Config, *, progress: bool = True) -> TrainedModel:
    """Train the RNN and the bag-of-words baseline for ``cfg`` (no cache involved)."""
    from rnnctx_utils import text  # noqa: PLC0415

    start = time.perf_counter()
    data = corpus(cfg)
    vocab = text.build_vocab(list(data.train["text"]), cfg.vocab_size, cfg.min_count)
    splits = encoded_splits(cfg, vocab)
    settings = train.TrainSettings.from_config(cfg)
    test = splits.test.data if splits.test.data.n_docs else None
    rnn = train.train_classifier(
        splits.train.data, splits.valid.data, settings, cell_name=cfg.cell,
        vocab_size=len(vocab), n_embed=cfg.n_embed, n_hidden=cfg.n_hidden, test=test,
        progress=progress,
    )
    bow_params, bow_metrics = fit_bow_baseline(data, vocab)
    metrics = dict(rnn.metrics)
    truth = getattr(data, "ground_truth", None)
    if truth is not None:  # synthetic corpus: the planted rule on the same test documents
        metrics["bayes_accuracy"] = float(truth.bayes_accuracy)
        metrics["rule_test_accuracy"] = float(
            np.mean((np.asarray(truth.scores) > 0) == (splits.test.data.labels == 1)))
    metrics["total_seconds"] = time.perf_counter() - start
    return TrainedModel(rnn.params, vocab, cfg, metrics, rnn.history, bow_params, bow_metrics)


def fit_bow_baseline(data: Any, vocab: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """The book's one bag-of-words baseline (:func:`rnnctx_utils.bow.fit_baseline`) on the
    corpus's whole documents: features and C chosen on validation.

    Returns:
        ``({"weights": [V] float32, "bias": [] float32}, metrics)`` as in :class:`TrainedModel`.
    """
    from rnnctx_utils import bow, progress, text  # noqa: PLC0415

    ids = [text.encode_ids(list(d["text"]) if len(d) else [], vocab)
           for d in (data.train, data.validation, data.test)]
    labels = [np.asarray(list(d["label"]) if len(d) else [], np.int32)
              for d in (data.train, data.validation, data.test)]
    with progress.stage(f"bag-of-words baseline: word {', '.join(bow.BOOK_FEATURES)}, "
                        f"{len(bow.C_GRID)} values of C, chosen on validation"):
        fit = bow.fit_baseline(ids[0], labels[0], ids[1], labels[1], len(vocab),
                               ids[2] if len(ids[2]) else None, labels[2],
                               kinds=bow.BOOK_FEATURES)
    params = {"weights": np.asarray(fit.weights, np.float32),
              "bias": np.asarray(fit.bias, np.float32)}
    metrics = {"valid_accuracy": fit.valid_accuracy, "test_accuracy": fit.test_accuracy,
               "C": fit.C, "uses_counts": float(fit.kind == "counts")}
    return params, metrics


def _from_entry(entry: artifacts.Entry, cfg: Config) -> TrainedModel:
    """Build a TrainedModel from a verified cache entry, checking it belongs to ``cfg``."""
    from rnnctx_utils import text  # noqa: PLC0415

    records = entry.records
    try:
        stored_config = Config(**records["config"])
        vocab = text.Vocab.from_json(records["vocab"])
        fields = {name: records[name] for name in ("metrics", "history", "bow_metrics")}
        params, bow_params = entry.trees["params"], entry.trees["bow_params"]
    except (KeyError, TypeError, ValueError) as error:
        raise artifacts.CacheError(
            f"the cached model in {entry.path} is incompatible with this code ({error!r}). "
            f"Delete that folder and run again to retrain it."
        ) from None
    if stored_config != cfg:
        raise artifacts.CacheError(
            f"the cached model in {entry.path} was trained under another config; delete "
            f"that folder and run again to retrain it."
        )
    to_jax = functools.partial(jax.tree_util.tree_map, jnp.asarray)
    return TrainedModel(
        to_jax(params), vocab, stored_config, _floats(fields["metrics"]),
        fields["history"], to_jax(bow_params), _floats(fields["bow_metrics"]), entry.path,
    )


def _floats(metrics: dict[str, Any]) -> dict[str, float]:
    return {key: (math.nan if value is None else float(value)) for key, value in metrics.items()}
