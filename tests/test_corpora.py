"""Corpora: the synthetic corpus, local files, hub names (offline), and every error path."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnctx_utils import corpora, synthetic
from rnnctx_utils.config import config
from rnnctx_utils.corpora import CorpusError, load_corpus, stratified_take


def _frame(n: int, seed: int = 0, positive: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < positive).astype(int)
    texts = [f"review {i} is {'good' if y else 'bad'}" for i, y in enumerate(labels)]
    return pd.DataFrame({"text": texts, "label": labels, "extra": np.arange(n)})


def _pairs(ds) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return set(zip(ds["text"], ds["label"], strict=True))


def test_synthetic_splits_come_from_derived_seeds() -> None:
    c = load_corpus("synthetic", n_train=300, n_valid=60, n_test=50, seed=3, max_doc_len=50)
    assert (len(c.train), len(c.validation), len(c.test)) == (300, 60, 50)
    assert c.train.column_names == ["text", "label"]
    assert str(c.train.features["label"].dtype) == "int64"
    expected = synthetic.generate(300, corpora._derived_seed(3, 0), max_len=50)
    assert list(c.train["text"]) == expected.texts
    assert list(c.train["label"]) == expected.labels.tolist()
    assert not set(c.train["text"]) & set(c.test["text"])
    assert c.ground_truth is c.split_truths["test"]
    assert c.ground_truth is not None and c.ground_truth.scores.shape == (50,)
    assert np.array_equal((c.ground_truth.scores + c.ground_truth.noise > 0).astype(int),
                          c.test["label"])
    assert "Bayes" in c.description and "300 / 60 / 50" in c.description
    again = load_corpus("synthetic", n_train=300, n_valid=60, n_test=50, seed=3, max_doc_len=50)
    assert list(again.test["text"]) == list(c.test["text"])
    other = load_corpus("synthetic", n_train=300, n_valid=60, n_test=50, seed=4, max_doc_len=50)
    assert list(other.test["text"]) != list(c.test["text"])


def test_corpus_for_maps_the_config(tmp_path: Path) -> None:
    path = tmp_path / "reviews.parquet"
    _frame(200).to_parquet(path)
    cfg = config(env={}, corpus=str(path), n_train=100, n_valid=30, n_test=20, seed=5)
    c = corpora.corpus_for(cfg)
    assert (len(c.train), len(c.validation), len(c.test)) == (100, 30, 20)
    direct = load_corpus(str(path), n_train=100, n_valid=30, n_test=20, seed=5)
    assert list(c.train["text"]) == list(direct.train["text"])
    syn = corpora.corpus_for(config(env={}, fast=True, n_train=40, n_valid=10, n_test=10))
    assert len(syn.train) == 40 and syn.ground_truth is not None


def test_stratified_take_keeps_proportions() -> None:
    labels = np.array([0] * 70 + [1] * 30)
    taken, rest = stratified_take(labels, 10, seed=0)
    assert sorted(np.concatenate([taken, rest]).tolist()) == list(range(100))
    assert labels[taken].sum() == 3 and labels[rest].sum() == 27
    again, _ = stratified_take(labels, 10, seed=0)
    assert np.array_equal(taken, again)
    assert stratified_take(labels, 0, seed=0)[0].size == 0


def test_local_parquet_round_trip_with_carved_splits(tmp_path: Path) -> None:
    frame = _frame(500)
    path = tmp_path / "imdb_train.parquet"
    frame.to_parquet(path)
    c = load_corpus(str(path), n_valid=100, seed=1)
    # Test and validation are carved out of train; nothing lost, nothing duplicated.
    assert (len(c.train), len(c.validation), len(c.test)) == (360, 100, 40)
    everything = _pairs(c.train) | _pairs(c.validation) | _pairs(c.test)
    assert everything == set(zip(frame["text"], frame["label"], strict=True))
    positive = frame["label"].mean()
    for split, n in ((c.validation, 100), (c.test, 40)):
        assert sum(split["label"]) == round(positive * n)  # stratified
    assert "carved" in c.description and c.ground_truth is None
    capped = load_corpus(str(path), n_train=50, n_valid=100, n_test=40, seed=1)
    assert len(capped.train) == 50 and _pairs(capped.train) <= _pairs(c.train)
    assert list(load_corpus(str(path), n_valid=100, seed=1).test["text"]) == list(c.test["text"])
    assert list(load_corpus(str(path), n_valid=100, seed=2).test["text"]) != list(c.test["text"])


def test_local_csv_json_jsonl_folder_glob_and_explicit_splits(tmp_path: Path) -> None:
    train, test = _frame(120, seed=1), _frame(40, seed=2)
    test["text"] = test["text"] + " (test)"
    folder = tmp_path / "corpus"
    folder.mkdir()
    train.to_csv(folder / "train.csv", index=False)
    records = test[["text", "label"]].to_dict("records")
    (folder / "test.json").write_text(json.dumps(records))
    c = load_corpus(str(folder), n_valid=20)
    assert (len(c.train), len(c.validation), len(c.test)) == (100, 20, 40)
    assert _pairs(c.test) == set(zip(test["text"], test["label"], strict=True))
    # JSON lines with string and boolean labels; a glob; explicit "split=path" entries.
    lines = tmp_path / "reviews_train.jsonl"
    lines.write_text("\n".join(json.dumps({"text": t, "label": "pos" if y else "neg"})
                               for t, y in zip(train["text"], train["label"], strict=True)))
    bools = tmp_path / "held_out.json"
    bools.write_text(json.dumps({"text": list(test["text"]),
                                 "label": [bool(y) for y in test["label"]]}))
    c = load_corpus(f"{tmp_path}/reviews_*.jsonl,test={bools}", n_valid=20)
    assert _pairs(c.train) | _pairs(c.validation) == set(
        zip(train["text"], train["label"], strict=True))
    assert _pairs(c.test) == set(zip(test["text"], test["label"], strict=True))
    tsv = tmp_path / "dev_data.tsv"
    test.to_csv(tsv, sep="\t", index=False)
    c = load_corpus(f"{folder / 'train.csv'},{tsv}")
    assert len(c.validation) == 40 and len(c.test) == 12  # test carved: 10% of 120
    assert "carved" in c.description


def test_unknown_name_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="unknown corpus 'imbd'.*RNNCTX_CORPUS"):
        load_corpus("imbd")
    with pytest.raises(CorpusError, match="file not found.*missing.parquet"):
        load_corpus(str(tmp_path / "missing.parquet"))
    with pytest.raises(CorpusError, match="nothing matches"):
        load_corpus(f"{tmp_path}/*.csv")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CorpusError, match="unsupported file type"):
        load_corpus(str(tmp_path / "notes.txt"))
    with pytest.raises(CorpusError, match="holds no parquet"):
        load_corpus(str(tmp_path))


def test_bad_columns_labels_and_empty_splits(tmp_path: Path) -> None:
    frame = _frame(50)
    no_text = tmp_path / "a_train.parquet"
    frame.rename(columns={"text": "review"}).to_parquet(no_text)
    with pytest.raises(CorpusError, match="no 'text' column.*review.*rename"):
        load_corpus(str(no_text))
    no_label = tmp_path / "b_train.csv"
    frame.drop(columns="label").to_csv(no_label, index=False)
    with pytest.raises(CorpusError, match="no 'label' column"):
        load_corpus(str(no_label))
    for bad, shown in (([1, 2] * 25, "[2]"), ([0, -1] * 25, "[-1]"), (["pos", "meh"] * 25,
                                                                     "'meh'")):
        path = tmp_path / "c_train.json"
        path.write_text(json.dumps([{"text": "x", "label": y} for y in bad]))
        with pytest.raises(CorpusError, match="labels must be binary") as info:
            load_corpus(str(path))
        assert shown in str(info.value)
    missing = tmp_path / "d_train.jsonl"
    missing.write_text('{"text": "fine", "label": 1}\n{"text": null, "label": 0}\n')
    with pytest.raises(CorpusError, match="1 rows have no text"):
        load_corpus(str(missing))
    folder = tmp_path / "e"
    folder.mkdir()
    frame.to_parquet(folder / "train.parquet")
    frame.iloc[:0].to_parquet(folder / "test.parquet")
    with pytest.raises(CorpusError, match="test split is empty"):
        load_corpus(str(folder))
    with pytest.raises(CorpusError, match="cannot carve 50"):
        load_corpus(str(folder / "train.parquet"), n_valid=50)
    with pytest.raises(CorpusError, match="n_train must be >= 0"):
        load_corpus("synthetic", n_train=-1)


def test_hub_name_fails_fast_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    # An empty datasets cache, so that a copy cached on this machine cannot load.
    original = datasets.load_dataset
    monkeypatch.setattr(datasets, "load_dataset",
                        lambda hub_id: original(hub_id, cache_dir=str(tmp_path)))
    for name in ("imdb", "yelp_polarity", "sst2"):
        start = time.perf_counter()
        with pytest.raises(CorpusError, match=r"offline|HF_HUB_OFFLINE") as info:
            load_corpus(name)
        assert time.perf_counter() - start < 5.0
        assert "RNNCTX_CORPUS=/path/to/imdb_train.parquet" in str(info.value)


def test_hub_name_fails_fast_when_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY",
                "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: refused at once
    start = time.perf_counter()
    with pytest.raises(CorpusError, match="cannot reach the Hugging Face Hub.*RNNCTX_CORPUS"):
        load_corpus("imdb")
    assert time.perf_counter() - start < 5.0


def test_hub_code_path_with_a_stand_in_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    def fake_load_dataset(hub_id: str) -> datasets.DatasetDict:
        assert hub_id == "stanfordnlp/sst2"
        rng = np.random.default_rng(0)
        train_labels = rng.integers(0, 2, 200).tolist()

        def split(n: int, labels: list[int], tag: str) -> datasets.Dataset:
            return datasets.Dataset.from_dict(
                {"idx": list(range(n)), "sentence": [f"{tag} {i}" for i in range(n)],
                 "label": labels})

        return datasets.DatasetDict({
            "train": split(200, train_labels, "train"),
            "validation": split(30, [0, 1] * 15, "validation"),
            "test": split(40, [-1] * 40, "test"),  # GLUE hides the test labels
        })

    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(corpora, "_probe_hub", lambda timeout=3.0: None)
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    c = load_corpus("sst2", n_valid=25, seed=0)
    assert (len(c.train), len(c.validation), len(c.test)) == (175, 25, 30)
    assert all(t.startswith("validation") for t in c.test["text"])
    assert all(t.startswith("train") for t in c.validation["text"])
    assert "validation split is the test split" in c.description
    assert c.train.column_names == ["text", "label"]
