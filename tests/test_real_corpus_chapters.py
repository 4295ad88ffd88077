"""The chapters on a corpus without ground truth: the `RNNCTX_CORPUS` switch to local files.

A parquet file written here plays the user's own corpus: the synthetic language's texts and
labels, so the numbers are checkable, but loaded through the local-file path, so the book
cannot see the planted rule (``cfg.is_synthetic`` is False and ``truth`` is None). Every
chapter must then take its real-corpus branch (no recovery tables) and still find what the
network learned: here, the negators the texts were generated with. Documents are truncated
at 40 tokens (``RNNCTX_MAX_LEN``), which chapter 1 must report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest
from chapter_runner import run_chapter_fast

from rnnctx_utils import synthetic, text

pytestmark = pytest.mark.slow

MAX_LEN = 40


@pytest.fixture(scope="module")
def local_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local train file (3,600 documents) and the environment that points the book at it."""
    folder = tmp_path_factory.mktemp("local_corpus")
    generated = synthetic.generate(3_600, seed=7, min_len=20, max_len=80)
    path = folder / "reviews_train.parquet"
    datasets.Dataset.from_dict(
        {"text": generated.texts, "label": [int(y) for y in generated.labels]}
    ).to_parquet(str(path))
    env = {"RNNCTX_CORPUS": str(path), "RNNCTX_CACHE": str(folder / "cache"),
           "RNNCTX_MAX_LEN": str(MAX_LEN)}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    yield path
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def chapter_1(local_corpus: Path) -> dict[str, Any]:
    return run_chapter_fast("01_task.py")


def test_chapter_1_names_the_corpus_and_reports_truncation(
    local_corpus: Path, chapter_1: dict[str, Any]
) -> None:
    cfg, splits, model = chapter_1["cfg"], chapter_1["splits"], chapter_1["model"]
    assert cfg.corpus == str(local_corpus) and not cfg.is_synthetic
    assert str(local_corpus) in cfg.describe()
    # No planted rule on a local corpus: no Bayes ceiling in the metrics.
    assert "bayes_accuracy" not in model.metrics
    # Default carving: validation capped at 500 (fast), test 10% of the rest, train the others.
    n_valid = splits.valid.data.n_docs
    assert n_valid == 500
    assert splits.train.data.n_docs + splits.test.data.n_docs == 3_600 - n_valid
    # Truncation is counted exactly: documents longer than MAX_LEN before encoding.
    corpus = chapter_1["corpus"]
    lengths = np.array([len(text.tokenize(t)) for t in corpus.train["text"]])
    assert splits.train.n_truncated == int(np.sum(lengths > MAX_LEN)) > 0
    assert int(np.asarray(splits.train.data.lengths).max()) == MAX_LEN
    # The texts carry a learnable rule: the fast GRU beats chance by far.
    assert model.metrics["test_accuracy"] > 0.75
    assert 0.0 <= model.metrics["padding_fraction"] < 0.5


def test_chapter_4_finds_negators_without_the_truth(chapter_1: dict[str, Any]) -> None:
    ch4 = run_chapter_fast("04_modifier_identification.py")
    assert ch4["truth"] is None
    found = ch4["found"]
    # The network's strongest modifiers are the negators and the strongest intensifier the
    # texts were written with (planted, but the chapter is not told): measured with the last
    # max_len tokens kept, "extremely" 1, "n't" 2, "not" 3, "never" 4.
    assert found.rank("not") <= 3 and found.rank("n't") <= 3
    # The cut (largest log-score gap) keeps the negators, and no neutral word above them.
    assert {"not", "n't"} <= set(found.modifiers)
    assert set(found.modifiers[:3]) <= {"not", "n't", "never", "extremely", "very", "really"}


def test_chapters_3_5_6_take_their_real_corpus_branches(chapter_1: dict[str, Any]) -> None:
    ch3 = run_chapter_fast("03_line_attractor.py")
    assert ch3["cfg"].corpus.endswith("reviews_train.parquet")
    ch5 = run_chapter_fast("05_strength_and_timing.py")
    assert ch5["truth"] is None
    timing = ch5["timing"]
    # The chapter follows chapter 4's selection (no planted list), and measures negation
    # flipping the sign of the next word's contribution, without the truth to say so.
    assert "not" in timing.words
    assert timing.of("not")["alpha"] < 0
    ch6 = run_chapter_fast("06_necessity_and_sufficiency.py")
    assert ch6["truth"] is None
