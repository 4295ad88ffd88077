"""The book's chapters run on a real corpus, summarised in a small committed JSON file.

The default book is built on the synthetic corpus, where P2's mechanism is planted. This script
executes the chapters themselves (the same notebooks, the same analysis calls) on a corpus from
local files and records every number the chapters glue, in ``book/data/real/<name>.json``, with
the configuration and a digest of the package and chapter sources. The page *On real reviews*
renders those files, so the default book shows what the method finds on natural text without
training on it at build time.

Usage::

    python benchmarks/real_corpus_summary.py sst2 [--data ../shared/data]   # writes the JSON
    python benchmarks/real_corpus_summary.py sst2 --check                    # CI: compare
    python benchmarks/real_corpus_summary.py sst2 --prepare DIR/sst2          # splits only

``--check`` recomputes and fails (exit 1) when a headline number differs from the committed
file by more than its tolerance (:data:`TOLERANCES`), so committed numbers cannot go stale.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest.mock import patch

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "book" / "data" / "real"
DEFAULT_DATA = REPO.parent / "shared" / "data"
CHAPTERS = ("01_task", "02_linearization", "03_line_attractor", "04_modifier_identification",
            "05_strength_and_timing", "06_necessity_and_sufficiency")
#: name -> (files, RNNCTX_CORPUS template, what the splits are). SST-2's template names the files
#: that :func:`prepare_sst2` writes (``{data}`` is then its working folder, not the data folder).
CORPORA = {
    "sst2": (("sst2_phrases_train.parquet", "sst2_train.parquet", "sst2_validation.parquet"),
             "train={data}/train.parquet,validation={data}/validation.parquet,"
             "test={data}/test.parquet",
             "SST-2: trained on the phrases of 90% of the training trees, validated on the "
             "whole sentences of the other 10% (grouped by tree: no phrase of a validation "
             "tree is trained on), tested on the 872 dev sentences"),
    "imdb": (("imdb_train.parquet",),
             "{data}/imdb_train.parquet",
             "IMDB: the official train split, 18,000 / 5,000 / 2,000 (train / validation / "
             "held-out test, stratified, seed 0)"),
}
#: Fraction of SST-2's training trees held out as sentence-level validation.
SST2_VALID_FRACTION = 0.1


def prepare_sst2(data: Path, folder: Path, seed: int = 0,
                 fraction: float = SST2_VALID_FRACTION) -> dict[str, int]:
    """Write SST-2's train / validation / test parquet files into ``folder``; their sizes.

    Validation must look like the test split (whole sentences) for the choices made on it
    (bag-of-words C, chapter 6's k and L2) to carry over, and must not leak into training: a
    stratified ``fraction`` of the training *sentences* is held out, and every phrase of their
    trees (``tree_line``) or equal to one of them is dropped from the training phrases.
    """
    import numpy as np
    import pandas as pd

    phrases = pd.read_parquet(data / "sst2_phrases_train.parquet")
    sentences = pd.read_parquet(data / "sst2_train.parquet")
    test = pd.read_parquet(data / "sst2_validation.parquet")
    rng = np.random.default_rng(seed)
    held = []
    for _, group in sentences.groupby("label"):
        n = int(round(fraction * len(group)))
        held.extend(rng.choice(group.index.to_numpy(), size=n, replace=False).tolist())
    validation = sentences.loc[sorted(held)]
    leaks = phrases["tree_line"].isin(validation["tree_line"]) | phrases["text"].isin(
        validation["text"])
    train = phrases[~leaks]
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("train", train), ("validation", validation), ("test", test)):
        frame[["text", "label"]].reset_index(drop=True).to_parquet(folder / f"{name}.parquet")
    return {"train": len(train), "validation": len(validation), "test": len(test),
            "dropped_phrases": int(leaks.sum())}


#: Headline numbers and how far a recomputation may move them (absolute) before --check fails.
#: Training is deterministic on one machine; the tolerances allow another CPU's arithmetic.
TOLERANCES: dict[str, float] = {
    "ch1_rnn_accuracy": 1.0, "ch1_bow_accuracy": 0.2,
    "ch4_n_selected": 2, "ch5_tau_not": 1.0, "ch6_acc_bow": 0.002, "ch6_acc_rnn": 0.01,
    "ch6_acc_both": 0.02, "ch6_recovered_both": 0.3, "ch6_not_gain_intact": 1.5,
}
_NUMPY_SCALAR = re.compile(r"np\.(?:float|int|bool_?)\d*\((.*)\)")


def parse_record(text: str) -> Any:
    """A glued value from its ``text/plain`` form (``1.5``, ``np.float64(1.5)``, ``'a'``, lists)."""
    cleaned = _NUMPY_SCALAR.sub(r"\1", text)
    try:
        return ast.literal_eval(cleaned)
    except (ValueError, SyntaxError):
        return text  # a repr that is not a literal (an object): kept as text


def glued_values(notebook: Any) -> dict[str, Any]:
    """Every value a notebook glued: name -> value (Markdown glue as its markdown text)."""
    values: dict[str, Any] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if not record:
                continue
            prefix, data = record["mime_prefix"], output["data"]
            if prefix + "text/markdown" in data:
                values[record["name"]] = data[prefix + "text/markdown"]
            elif prefix + "text/plain" in data:
                values[record["name"]] = parse_record(data[prefix + "text/plain"])
    return values


def snapshot_package(folder: Path) -> Path:
    """Copy the package (and the committed data it reads, ``book/data``) into ``folder``, so
    that the kernels, which import the package when each chapter starts, run the sources as
    they were when the run began, whatever is edited meanwhile. Returns the folder to put
    first on ``PYTHONPATH``."""
    shutil.copytree(REPO / "rnnctx_utils", folder / "rnnctx_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "book" / "data", folder / "book" / "data")
    return folder


def run_chapters(corpus: str, chapters: tuple[str, ...], cache: Path, fast: bool = False,
                 timeout: int = 3600, package: Path | None = None) -> dict[str, Any]:
    """Execute the chapters in order (fresh kernel each) on ``corpus``; their glued values.
    ``package``: a :func:`snapshot_package` folder the kernels import the package from."""
    import jupytext
    import nbclient

    env = {"RNNCTX_CORPUS": corpus, "RNNCTX_CACHE": str(cache), "MPLBACKEND": "Agg",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "RNNCTX_QUIET": "1"}
    if fast:
        env["RNNCTX_FAST"] = "1"
    if package is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(package), os.environ.get("PYTHONPATH", "")) if p)
    values: dict[str, Any] = {}
    # every chapter read now: the run executes one state of the sources, whatever is edited
    # while it runs (the package too, when it runs from a snapshot)
    notebooks = {chapter: jupytext.read(REPO / "notebooks" / f"{chapter}.py")
                 for chapter in chapters}
    with patch.dict(os.environ, env):  # the kernels inherit this process's environment
        for chapter, notebook in notebooks.items():
            start = time.perf_counter()
            nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(REPO / "notebooks")}}
                                    ).execute()
            found = glued_values(notebook)
            values.update(found)
            print(f"{chapter}: {len(found)} values in {time.perf_counter() - start:.0f} s",
                  flush=True)
    return values


def sources_digest() -> str:
    """SHA-256 (16 hex) of the package and chapter sources the numbers were computed with."""
    digest = hashlib.sha256()
    paths = [*(REPO / "rnnctx_utils").rglob("*.py"), *(REPO / "notebooks").glob("*.py")]
    for path in sorted(paths):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def summary(name: str, values: dict[str, Any], seconds: float, corpus: str,
            digest: str) -> dict[str, Any]:
    """The JSON document: what was run (``corpus``: the ``RNNCTX_CORPUS`` the chapters ran
    with, whose configuration is recorded; ``digest``: :func:`sources_digest` when the run
    started), on what, and every glued value."""
    from rnnctx_utils.config import config

    files, _, description = CORPORA[name]
    cfg = config(corpus=corpus).to_dict()
    cfg["corpus"] = f"{name}: " + ", ".join(files)  # file names only: no local paths
    return {"corpus": name, "description": description, "config": cfg,
            "sources_digest": digest, "seconds": round(seconds),
            "values": values}


def without_paths(value: Any, folder: str) -> Any:
    """``value`` with the local data folder's path replaced by ``DATA`` (strings, nested lists)."""
    if isinstance(value, str):
        return value.replace(folder, "DATA")
    if isinstance(value, list):
        return [without_paths(v, folder) for v in value]
    return value


def compare(committed: dict[str, Any], fresh: dict[str, Any],
            tolerances: dict[str, float] = TOLERANCES) -> list[str]:
    """Headline numbers of ``fresh`` that moved beyond their tolerance from ``committed``."""
    problems = []
    for key, tolerance in tolerances.items():
        old, new = committed["values"].get(key), fresh["values"].get(key)
        if old is None or new is None:
            problems.append(f"{key}: committed {old!r}, recomputed {new!r} (missing)")
        elif abs(float(new) - float(old)) > tolerance:
            problems.append(f"{key}: committed {old}, recomputed {new} (tolerance {tolerance})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=sorted(CORPORA))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--check", action="store_true",
                        help="recompute and compare with the committed file instead of writing")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--prepare", type=Path, metavar="DIR",
                        help="SST-2 only: write the tree-grouped splits to DIR, print the "
                             "RNNCTX_CORPUS that builds the book on them, and stop")
    args = parser.parse_args()
    files, template, _ = CORPORA[args.corpus]
    missing = [f for f in files if not (args.data / f).is_file()]
    if missing:
        print(f"{args.corpus}: {', '.join(missing)} not in {args.data}; pass --data DIR")
        return 2
    if args.prepare is not None:
        if args.corpus != "sst2":
            parser.error("--prepare is for sst2 (IMDB's splits are carved by the loader)")
        print("SST-2 splits:", prepare_sst2(args.data, args.prepare))
        print("RNNCTX_CORPUS=" + template.format(data=args.prepare.resolve()))
        return 0
    start, digest = time.perf_counter(), sources_digest()
    with tempfile.TemporaryDirectory(prefix="rnnctx-real-") as work:
        folder = args.data.resolve()
        if args.corpus == "sst2":
            folder = Path(work) / "sst2"  # the folder's name gives the config SST-2's sizes
            print("SST-2 splits:", prepare_sst2(args.data, folder), flush=True)
        corpus = template.format(data=folder)
        package = snapshot_package(Path(work) / "src")
        values = run_chapters(corpus, CHAPTERS, Path(work) / "cache", package=package)
        values = {k: without_paths(v, str(folder)) for k, v in values.items()}
    fresh = summary(args.corpus, values, time.perf_counter() - start, corpus, digest)
    path = args.out / f"{args.corpus}.json"
    if args.check:
        committed = json.loads(path.read_text())
        problems = compare(committed, fresh)
        for problem in problems:
            print("DRIFT:", problem)
        print(f"{args.corpus}: {len(TOLERANCES)} headline numbers checked against {path.name}; "
              f"{len(problems)} moved beyond tolerance")
        return 1 if problems else 0
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(REPO)} ({len(values)} values, {fresh['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
