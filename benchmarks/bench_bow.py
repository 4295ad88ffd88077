"""The bag-of-words baseline against scikit-learn's LogisticRegression, same features, one run.

For each corpus: the book's baseline (:func:`rnnctx_utils.bow.fit_baseline`: word counts on whole
documents, C chosen on validation over ``bow.C_GRID``) and scikit-learn's ``LogisticRegression``
(lbfgs, the same objective) fitted over the same grid on the same sparse features. Prints the
selected C, validation and test accuracy of both, the largest weight difference at the common
C, the wall time of the whole grid for each and their ratio, and scikit-learn's version and BLAS.
Word presence is reported beside counts (the book uses counts: see ``bow.BOOK_FEATURES``).

Usage::

    python benchmarks/bench_bow.py [--corpus synthetic] [--corpus PATH ...]

Without ``--corpus``: the synthetic corpus, plus ``../shared/data``'s IMDB and SST-2 files when
present. scikit-learn is not a dependency of the book: ``.venv/bin/pip install scikit-learn``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from rnnctx_utils import bow, experiment, text
from rnnctx_utils.config import config

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def default_corpora() -> list[str]:
    corpora = ["synthetic"]
    if (SHARED / "imdb_train.parquet").exists():
        corpora.append(str(SHARED / "imdb_train.parquet"))
    if (SHARED / "sst2_phrases_train.parquet").exists():
        corpora.append(f"train={SHARED / 'sst2_phrases_train.parquet'},"
                       f"test={SHARED / 'sst2_validation.parquet'}")
    return corpora


def run(corpus: str) -> None:
    from sklearn.linear_model import LogisticRegression

    cfg = config(corpus=corpus)
    data = experiment.corpus(cfg)
    vocab = text.build_vocab(list(data.train["text"]), cfg.vocab_size, cfg.min_count)
    splits = [(text.encode_ids(list(d["text"]), vocab), np.asarray(d["label"]))
              for d in (data.train, data.validation, data.test)]
    (train, y_train), (valid, y_valid), (test, y_test) = splits
    print(f"\n== {corpus}: train / validation / test {len(train):,} / {len(valid):,} / "
          f"{len(test):,} documents (whole), vocabulary {len(vocab):,}")
    for kind in bow.FEATURE_KINDS:
        start = time.perf_counter()
        ours = bow.fit_baseline(train, y_train, valid, y_valid, len(vocab), test, y_test,
                                kinds=(kind,))
        ours_s = time.perf_counter() - start
        X = [bow.features(ids, len(vocab), kind) for ids in (train, valid, test)]
        start = time.perf_counter()
        best = None
        for C in bow.C_GRID:
            reference = LogisticRegression(C=C, max_iter=5_000, tol=1e-6).fit(X[0], y_train)
            score = reference.score(X[1], y_valid)
            if best is None or score > best[0]:
                best = (score, C, reference)
        sk_s = time.perf_counter() - start
        assert best is not None
        sk_valid, sk_C, sk_model = best
        same_C = LogisticRegression(C=ours.C, max_iter=5_000, tol=1e-8).fit(X[0], y_train)
        gap = float(np.max(np.abs(same_C.coef_[0] - ours.weights)))
        print(f"word {kind:8s} ours:    C = {ours.C:<7.3g} valid {100 * ours.valid_accuracy:.2f}  "
              f"test {100 * ours.test_accuracy:.2f}  grid of {len(bow.C_GRID)} in "
              f"{ours_s:6.1f} s")
        print(f"{'':13s} sklearn: C = {sk_C:<7.3g} valid {100 * sk_valid:.2f}  "
              f"test {100 * sk_model.score(X[2], y_test):.2f}  grid of {len(bow.C_GRID)} in "
              f"{sk_s:6.1f} s  -> ours {sk_s / ours_s:.2f}x; max |Δw| at the same C {gap:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="a corpus (repeatable)")
    args = parser.parse_args()
    try:
        import sklearn
        from threadpoolctl import threadpool_info
    except ImportError:
        print("bench_bow skipped: it needs scikit-learn (.venv/bin/pip install scikit-learn)")
        return
    blas = {(i["internal_api"], i.get("version")) for i in threadpool_info()}
    print(f"scikit-learn {sklearn.__version__}; thread pools {sorted(blas)}; "
          f"{os.cpu_count()} cores")
    os.environ.setdefault("RNNCTX_QUIET", "1")
    for corpus in args.corpus or default_corpora():
        run(corpus)


if __name__ == "__main__":
    main()
