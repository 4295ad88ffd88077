"""Corpora as train / validation / test splits of Hugging Face ``datasets.Dataset`` objects.

One code path for every source, each split with exactly two columns, ``text`` (str) and
``label`` (int64, 0 = negative, 1 = positive):

- ``"synthetic"``: the built-in synthetic review language (:mod:`rnnctx_utils.synthetic`),
  generated offline; splits come from distinct seeds derived from ``seed``, and the planted
  ground truth comes along.
- ``"imdb"`` (hub ``stanfordnlp/imdb``), ``"yelp_polarity"`` (hub ``fancyzhx/yelp_polarity``),
  ``"sst2"`` (hub ``stanfordnlp/sst2``, whose test labels are hidden: its validation split
  becomes our test split and validation is carved out of train).
- local files: a path or glob to parquet, CSV/TSV or JSON/JSON-lines files, a folder holding
  them, or a comma-separated list of those. A file's split comes from its name (``test``,
  ``valid``/``validation``/``val``/``dev``, anything else is train) or from an explicit
  ``split=path`` entry, e.g. ``train=sst2_phrases_train.parquet,test=sst2_validation.parquet``.

Missing validation or test splits are carved out of train (stratified by label, fixed seed);
caps (``n_train``, ``n_valid``, ``n_test``, 0 = no cap) take a stratified random subset. Every
real-corpus split is shuffled with the seed, so its first documents are a random sample (IMDB's
files are sorted by label).

Labels: integers 0/1, booleans, floats 0.0/1.0, and the strings "0"/"1", "neg"/"pos",
"negative"/"positive", "false"/"true" (any case) are accepted; anything else is an error.

Every failure raises :class:`CorpusError` with a message naming the problem and the fix.

The :class:`Corpus` container, label parsing and the carving / capping of splits live in
:mod:`rnnctx_utils.corpus_splits` (re-exported here); this module holds the sources.
"""

from __future__ import annotations

import glob
import json
import os
import re
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from rnnctx_utils import synthetic
from rnnctx_utils.corpus_splits import CARVE_FRACTION as CARVE_FRACTION
from rnnctx_utils.corpus_splits import SPLITS as SPLITS
from rnnctx_utils.corpus_splits import Corpus as Corpus
from rnnctx_utils.corpus_splits import CorpusError as CorpusError
from rnnctx_utils.corpus_splits import _arrange, _dataset, _derived_seed, _sizes, _Split
from rnnctx_utils.corpus_splits import binary_labels as binary_labels
from rnnctx_utils.corpus_splits import stratified_take as stratified_take

if TYPE_CHECKING:  # datasets is imported lazily: it is slow to import.
    import datasets

    from rnnctx_utils.config import Config

HUB_IDS: Mapping[str, str] = {
    "imdb": "stanfordnlp/imdb",
    "yelp_polarity": "fancyzhx/yelp_polarity",
    "sst2": "stanfordnlp/sst2",
}
# Synthetic split sizes used when a size is 0 (the book's default config).
SYNTHETIC_SIZES: Mapping[str, int] = {"train": 24_000, "validation": 3_000, "test": 3_000}
SUFFIXES: Mapping[str, str] = {
    ".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "tsv", ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst", ".zip")
LOCAL_HINT = (
    "load local files instead, e.g. RNNCTX_CORPUS=/path/to/imdb_train.parquet "
    "(parquet, CSV or JSON files with a 'text' and a 'label' column, label 0/1; or a folder "
    "with train/test files)"
)
_TRUE = ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------------------------
# Synthetic.


def _synthetic(n_train: int, n_valid: int, n_test: int, seed: int, min_doc_len: int,
               max_doc_len: int) -> Corpus:
    sizes = dict(zip(SPLITS, (n_train, n_valid, n_test), strict=True))
    splits, truths = {}, {}
    for i, name in enumerate(SPLITS):
        n = sizes[name] if sizes[name] > 0 else SYNTHETIC_SIZES[name]
        generated = synthetic.generate(n, _derived_seed(seed, i), min_len=min_doc_len,
                                       max_len=max_doc_len)
        splits[name] = _dataset(generated.texts, generated.labels)
        truths[name] = generated.truth
    truth = truths["test"]
    description = (
        f"Synthetic review language (rnnctx_utils.synthetic): {_sizes(splits)} of "
        f"{min_doc_len}–{max_doc_len} tokens, each split generated from its own seed derived "
        f"from seed {seed}. Labels follow the planted rule (modifiers with gain and timescale, "
        f"beginning/end weights) plus logistic noise of scale {truth.label_noise:g}; the rule "
        f"itself (Bayes) reaches {100 * truth.bayes_accuracy:.1f}% on the test split.")
    return Corpus("synthetic", splits["train"], splits["validation"], splits["test"], truth,
                  description, truths)


# ---------------------------------------------------------------------------------------------
# Hugging Face Hub.


def _offline_variables() -> list[str]:
    return [v for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
            if os.environ.get(v, "").strip().lower() in _TRUE]


def _probe_hub(timeout: float = 3.0) -> str | None:
    """None when the hub's host accepts a TCP connection within ``timeout``, else the reason.

    Skipped (None) behind a proxy, where only the proxy can tell.
    """
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return None
    except OSError as error:
        return f"{endpoint}: {error}"


def _hub(name: str, n_train: int, n_valid: int, n_test: int, seed: int) -> Corpus:
    hub_id = HUB_IDS[name]
    offline = _offline_variables()
    if offline:
        import datasets

        if not datasets.config.HF_HUB_OFFLINE:
            # The variable was set after `datasets` was imported, so the library would still
            # try the network; refuse rather than hang.
            raise CorpusError(
                f"cannot load {name!r} ({hub_id}): {', '.join(offline)} is set, so nothing is "
                f"downloaded (`make` sets it; RNNCTX_ONLINE=1 make ... downloads once); "
                f"{LOCAL_HINT}")
    else:
        problem = _probe_hub()
        if problem is not None:
            raise CorpusError(
                f"cannot reach the Hugging Face Hub to download {name!r} ({hub_id}): {problem}. "
                f"Check the network, or {LOCAL_HINT}. A copy already in the datasets cache "
                "loads with HF_DATASETS_OFFLINE=1")
    import datasets

    try:
        loaded = datasets.load_dataset(hub_id)
    except Exception as error:  # network, cache and hub errors all mean: use local files
        reason = ("offline mode is on and there is no cached copy (with a network, "
                  "RNNCTX_ONLINE=1 make ... downloads it once)" if offline
                  else f"{type(error).__name__}: {error}")
        raise CorpusError(f"cannot load {name!r} ({hub_id}) from the Hugging Face Hub: "
                          f"{reason}. {LOCAL_HINT}") from error
    if name == "sst2":
        # GLUE hides SST-2's test labels (all -1): the official validation split is our test.
        raw = {"train": loaded["train"], "test": loaded["validation"]}
        origin = ("SST-2 (Socher et al. 2013, hub stanfordnlp/sst2): its test labels are "
                  "hidden, so the official validation split is the test split and validation "
                  "is carved out of train.")
    else:
        raw = {"train": loaded["train"], "test": loaded["test"]}
        origin = {"imdb": "IMDB (Maas et al. 2011, hub stanfordnlp/imdb), official train and "
                          "test splits; validation carved out of train.",
                  "yelp_polarity": "Yelp review polarity (Zhang et al. 2015, hub "
                                   "fancyzhx/yelp_polarity), official train and test splits; "
                                   "validation carved out of train."}[name]
    parts = {s: _standardize(ds, f"{hub_id} [{s}]") for s, ds in raw.items()}
    splits, notes = _arrange(parts, n_train=n_train, n_valid=n_valid, n_test=n_test,
                             seed=seed, source=hub_id)
    description = f"{origin} {_sizes(splits)}. " + "; ".join(notes)
    return Corpus(name, splits["train"], splits["validation"], splits["test"], None,
                  description.strip())


def _standardize(ds: datasets.Dataset, where: str) -> _Split:
    """Texts and 0/1 labels of a hub split (hub SST-2 calls the text column ``sentence``)."""
    text_column = "sentence" if "text" not in ds.column_names else "text"
    _require_columns([c if c != text_column else "text" for c in ds.column_names], where)
    return _Split(list(ds[text_column]), binary_labels(np.asarray(ds["label"]), where))


def _require_columns(columns: Sequence[str], where: str) -> None:
    for column, what in (("text", "the review text"), ("label", "the 0/1 sentiment label")):
        if column not in columns:
            raise CorpusError(
                f"{where}: no {column!r} column (columns: {', '.join(map(str, columns))}); "
                f"rename the column holding {what} to {column!r}")


# ---------------------------------------------------------------------------------------------
# Local files.


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for c in COMPRESSIONS:
        if name.endswith(c):
            name = name[: -len(c)]
    return SUFFIXES.get(Path(name).suffix)


def _split_of(path: Path) -> str:
    words = re.split(r"[^a-z]+", path.as_posix().lower().rsplit(".", 1)[0].split("/")[-1])
    if "test" in words:
        return "test"
    if {"valid", "validation", "val", "dev"} & set(words):
        return "validation"
    return "train"


def looks_like_path(name: str) -> bool:
    """Whether ``name`` is meant as a file path / glob (rather than a corpus name)."""
    return (any(ch in name for ch in "/\\*?[,=") or _format_of(Path(name)) is not None
            or os.path.exists(name))


def _files(entry: str) -> list[Path]:
    """Data files named by one entry: a file, a folder, or a glob."""
    path = Path(os.path.expanduser(entry))
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and _format_of(p))
        if not found:
            raise CorpusError(f"folder {str(path)!r} holds no parquet, CSV or JSON files; put "
                              "train/test files there or point to the files themselves")
        return found
    if path.is_file():
        if _format_of(path) is None:
            raise CorpusError(f"{str(path)!r}: unsupported file type; use parquet, CSV/TSV or "
                              "JSON/JSON lines (.parquet, .csv, .tsv, .json, .jsonl)")
        return [path]
    matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(entry), recursive=True))
    matches = [p for p in matches if p.is_file() and _format_of(p)]
    if not matches:
        raise CorpusError(
            f"file not found: nothing matches {entry!r} (relative paths start at "
            f"{os.getcwd()}); check the path or glob, or use a built-in corpus name: "
            f"synthetic, {', '.join(HUB_IDS)}")
    return matches


def _read_file(path: Path) -> tuple[list[Any], list[Any]]:
    """(texts, raw labels) of one data file, checking the columns."""
    fmt = _format_of(path)
    where = str(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            _require_columns(pq.read_schema(path).names, where)
            table = pq.read_table(path, columns=["text", "label"])
            return table.column("text").to_pylist(), table.column("label").to_pylist()
        if fmt in ("csv", "tsv"):
            import pandas as pd

            frame = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", dtype=str,
                                keep_default_na=False)
            _require_columns(list(frame.columns), where)
            return frame["text"].tolist(), frame["label"].tolist()
        records = _read_json(path, fmt == "jsonl")
    except CorpusError:
        raise
    except Exception as error:
        raise CorpusError(f"{where}: cannot read it as {fmt} ({type(error).__name__}: "
                          f"{error}); check the file") from error
    columns = sorted({k for r in records for k in r}) if records else []
    _require_columns(columns, where)
    missing = sum(1 for r in records if "text" not in r or "label" not in r)
    if missing:
        raise CorpusError(f"{where}: {missing} records lack 'text' or 'label'; fill or drop them")
    return [r["text"] for r in records], [r["label"] for r in records]


def _read_json(path: Path, lines: bool) -> list[dict[str, Any]]:
    """Records of a JSON file: JSON lines, a list of records, or a dict of columns."""
    import pandas as pd

    if not lines:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8")) if not str(
                path).endswith(COMPRESSIONS) else None
        except json.JSONDecodeError:
            data = None  # many ".json" files are JSON lines
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            if "data" in data and isinstance(data["data"], list):
                return data["data"]
            frame = pd.DataFrame(data)
            return frame.to_dict("records")
    frame = pd.read_json(path, lines=True, dtype=False)
    return frame.to_dict("records")


def _local(name: str, n_train: int, n_valid: int, n_test: int, seed: int) -> Corpus:
    by_split: dict[str, list[Path]] = {}
    for entry in (e.strip() for e in name.split(",") if e.strip()):
        split, sep, target = entry.partition("=")
        explicit = sep and split.strip().lower() in ("train", "validation", "valid", "test")
        if not explicit:
            target = entry
        for path in _files(target.strip()):
            key = ({"valid": "validation"}.get(split.strip().lower(), split.strip().lower())
                   if explicit else _split_of(path))
            by_split.setdefault(key, []).append(path)
    splits: dict[str, _Split] = {}
    for split, paths in by_split.items():
        texts: list[Any] = []
        raw_labels: list[Any] = []
        for path in paths:
            t, lab = _read_file(path)
            bad = sum(1 for x in t if not isinstance(x, str))
            if bad:
                raise CorpusError(f"{path}: {bad} rows have no text (missing or not a string); "
                                  "drop or fill them")
            texts += t
            raw_labels += lab
        where = ", ".join(map(str, paths))
        splits[split] = _Split(texts, binary_labels(raw_labels, where))
    source = ", ".join(f"{s}: {', '.join(p.name for p in ps)}" for s, ps in by_split.items())
    arranged, notes = _arrange(splits, n_train=n_train, n_valid=n_valid, n_test=n_test,
                               seed=seed, source=name)
    description = (f"Local files ({source}); {_sizes(arranged)}. " + "; ".join(notes)).strip()
    return Corpus(name, arranged["train"], arranged["validation"], arranged["test"], None,
                  description)


# ---------------------------------------------------------------------------------------------
# Entry points.


def load_corpus(name: str = "synthetic", *, n_train: int = 0, n_valid: int = 0,
                n_test: int = 0, seed: int = 0, min_doc_len: int = 20,
                max_doc_len: int = 80) -> Corpus:
    """Load a corpus as train / validation / test ``datasets.Dataset`` splits.

    Args:
        name: ``"synthetic"``, ``"imdb"``, ``"yelp_polarity"``, ``"sst2"``, or local files
            (a path, glob, folder, or comma-separated list; see the module docstring).
        n_train, n_valid, n_test: documents per split: generated counts for the synthetic
            corpus (0 = :data:`SYNTHETIC_SIZES`), caps for real corpora (0 = no cap; a carved
            split of size 0 takes :data:`CARVE_FRACTION` of train).
        seed: seed of generation (synthetic) or of carving, capping and shuffling (real).
        min_doc_len, max_doc_len: synthetic document lengths in tokens.

    Returns:
        A :class:`Corpus`.

    Raises:
        CorpusError: unknown name, hub unreachable or offline, file not found, missing
            ``text``/``label`` column, labels not binary, or an empty split.
    """
    for label, value in (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)):
        if value < 0:
            raise CorpusError(f"{label} must be >= 0 (0 = default/no cap), got {value}")
    if name == "synthetic":
        return _synthetic(n_train, n_valid, n_test, seed, min_doc_len, max_doc_len)
    if name in HUB_IDS:
        return _hub(name, n_train, n_valid, n_test, seed)
    if looks_like_path(name):
        return _local(name, n_train, n_valid, n_test, seed)
    raise CorpusError(
        f"unknown corpus {name!r}; use 'synthetic', one of {', '.join(map(repr, HUB_IDS))}, or "
        "a path/glob to parquet, CSV or JSON files "
        "(e.g. RNNCTX_CORPUS=/path/to/imdb_train.parquet)")


def corpus_for(cfg: Config) -> Corpus:
    """The corpus a :class:`rnnctx_utils.config.Config` asks for."""
    return load_corpus(cfg.corpus, n_train=cfg.n_train, n_valid=cfg.n_valid, n_test=cfg.n_test,
                       seed=cfg.seed, min_doc_len=cfg.min_doc_len, max_doc_len=cfg.max_doc_len)
