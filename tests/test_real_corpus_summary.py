"""benchmarks/real_corpus_summary.py: glued values read back exactly, and the CI drift check."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import datasets
import nbformat
import pytest

from rnnctx_utils import synthetic

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "real_corpus_summary", ROOT / "benchmarks" / "real_corpus_summary.py")
assert _spec is not None and _spec.loader is not None
summary_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary_script)


def test_parse_record_reads_what_glue_writes() -> None:
    assert summary_script.parse_record("1.5") == 1.5
    assert summary_script.parse_record("np.float64(0.9312)") == pytest.approx(0.9312)
    assert summary_script.parse_record("np.int64(7)") == 7
    assert summary_script.parse_record("'not, very'") == "not, very"
    assert summary_script.parse_record("[['not', 0.5, 3, 41]]") == [["not", 0.5, 3, 41]]
    assert summary_script.parse_record("<Figure size 640x480>") == "<Figure size 640x480>"


def test_glued_values_come_from_scrapbook_outputs_only() -> None:
    prefix = "application/papermill.record/"
    cell = nbformat.v4.new_code_cell("...")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={prefix + "text/plain": "np.float64(2.5)"},
                               metadata={"scrapbook": {"name": "a", "mime_prefix": prefix}}),
        nbformat.v4.new_output("display_data", data={prefix + "text/markdown": "**b**"},
                               metadata={"scrapbook": {"name": "b", "mime_prefix": prefix}}),
        nbformat.v4.new_output("display_data", data={"text/plain": "9"}),  # not glued
        nbformat.v4.new_output("stream", name="stdout", text="c = 3\n"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert summary_script.glued_values(notebook) == {"a": 2.5, "b": "**b**"}


def _summary(**values: float) -> dict:
    base = {key: 1.0 for key in summary_script.TOLERANCES}
    return {"values": base | values}


def test_drift_check_fails_on_a_tampered_summary() -> None:
    committed = _summary()
    assert summary_script.compare(committed, copy.deepcopy(committed)) == []
    key, tolerance = next(iter(summary_script.TOLERANCES.items()))
    within = _summary(**{key: 1.0 + 0.9 * tolerance})
    assert summary_script.compare(committed, within) == []
    tampered = _summary(**{key: 1.0 + 1.1 * tolerance})
    problems = summary_script.compare(committed, tampered)
    assert len(problems) == 1 and problems[0].startswith(f"{key}: committed 1.0")
    missing = {"values": {k: v for k, v in committed["values"].items() if k != key}}
    assert "missing" in summary_script.compare(committed, missing)[0]


def test_paths_are_removed_from_recorded_text() -> None:
    folder = "/home/someone/data"
    value = ["built on /home/someone/data/imdb.parquet", 3, ["/home/someone/data/x"]]
    assert summary_script.without_paths(value, folder) == [
        "built on DATA/imdb.parquet", 3, ["DATA/x"]]


def test_committed_summaries_have_the_headline_numbers() -> None:
    for path in sorted((ROOT / "book" / "data" / "real").glob("*.json")):
        document = json.loads(path.read_text())
        assert document["corpus"] == path.stem and document["corpus"] in summary_script.CORPORA
        missing = set(summary_script.TOLERANCES) - set(document["values"])
        assert not missing, f"{path.name} lacks {missing}"
        assert "/" not in document["config"]["corpus"].split(": ", 1)[1]  # file names only


@pytest.mark.slow
def test_summary_of_a_tiny_local_corpus_matches_the_model(tmp_path: Path) -> None:
    generated = synthetic.generate(1_500, seed=11, min_len=20, max_len=50)
    corpus = tmp_path / "reviews_train.parquet"
    datasets.Dataset.from_dict({"text": generated.texts,
                                "label": [int(y) for y in generated.labels]}
                               ).to_parquet(str(corpus))
    cache = tmp_path / "cache"
    package = summary_script.snapshot_package(tmp_path / "src")
    values = summary_script.run_chapters(str(corpus), ("01_task",), cache, fast=True,
                                         package=package)
    # the chapter's glued numbers are exactly those of the model it trained and cached
    from rnnctx_utils import experiment
    from rnnctx_utils.config import config

    with patch.dict(os.environ, {"RNNCTX_CACHE": str(cache), "RNNCTX_CORPUS": str(corpus)}):
        model = experiment.trained_model(config(fast=True), progress=False)
    assert values["ch1_rnn_accuracy"] == pytest.approx(100 * model.metrics["test_accuracy"])
    assert values["ch1_bow_accuracy"] == pytest.approx(100 * model.bow_metrics["test_accuracy"])
    assert values["ch1_bayes_text"].startswith("—")  # a local corpus has no planted rule


def test_sst2_validation_is_whole_sentences_of_held_out_trees(tmp_path: Path) -> None:
    import pandas as pd

    # 20 trees: sentence i (label i % 2) with two phrases of its own and one shared word
    sentences = pd.DataFrame({"text": [f"sentence {i} is here" for i in range(20)],
                              "label": [i % 2 for i in range(20)], "tree_line": range(20)})
    phrases = pd.concat([sentences.assign(text=sentences.text),
                         sentences.assign(text=[f"phrase {i}" for i in range(20)]),
                         pd.DataFrame({"text": ["is"], "label": [1], "tree_line": [0]})])
    data = tmp_path / "data"
    data.mkdir()
    phrases.to_parquet(data / "sst2_phrases_train.parquet")
    sentences.to_parquet(data / "sst2_train.parquet")
    sentences.head(3).to_parquet(data / "sst2_validation.parquet")
    sizes = summary_script.prepare_sst2(data, tmp_path / "sst2", fraction=0.2)
    train = pd.read_parquet(tmp_path / "sst2" / "train.parquet")
    valid = pd.read_parquet(tmp_path / "sst2" / "validation.parquet")
    assert sizes == {"train": 41 - 8, "validation": 4, "test": 3, "dropped_phrases": 8}
    assert sorted(valid.label) == [0, 0, 1, 1]  # stratified: 20% of each class
    held = {int(t.split()[1]) for t in valid.text}
    trained = {int(t.split()[1]) for t in train.text if t != "is"}
    assert not held & trained and len(trained) == 16  # no phrase of a held-out tree is trained
    assert list(train.columns) == ["text", "label"]


def test_kernels_import_the_package_snapshot(tmp_path: Path) -> None:
    """Edits made while a summary runs cannot reach it: its kernels import a copy."""
    folder = summary_script.snapshot_package(tmp_path / "src")
    assert (folder / "book" / "data" / "real" / "sst2.json").is_file()
    out = subprocess.run(
        [sys.executable, "-c", "import rnnctx_utils; print(rnnctx_utils.__file__)"],
        env={**os.environ, "PYTHONPATH": str(folder)}, cwd=tmp_path, capture_output=True,
        text=True, check=True).stdout
    assert Path(out.strip()) == folder / "rnnctx_utils" / "__init__.py"
