"""Throughput of the corpus pipeline: synthetic generation, and tokenize + encode on IMDB.

Usage::

    python benchmarks/bench_corpora.py [--imdb PATH] [--n-docs 50000]

PATH defaults to ``../shared/data/imdb_train.parquet`` relative to the repository root; the
IMDB part is skipped (with a message) when the file is absent.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from rnnctx_utils import corpora, synthetic, text

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMDB = REPO.parent / "shared" / "data" / "imdb_train.parquet"


def _timed(label: str, n_docs: int, fn):  # type: ignore[no-untyped-def]
    # CPU time too: on a shared machine the wall clock also measures the neighbours.
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<46} wall {seconds:6.2f} s {n_docs / seconds:>9,.0f} docs/s | "
          f"cpu {cpu:6.2f} s {n_docs / cpu:>9,.0f} docs/s")
    return result


def bench_synthetic(n_docs: int) -> None:
    corpus = _timed(f"synthetic.generate({n_docs:,}, 20-80 tokens)", n_docs,
                    lambda: synthetic.generate(n_docs, seed=0))
    n_tokens = sum(c.size for c in corpus.truth.contributions)
    print(f"  {n_tokens:,} tokens, Bayes accuracy {corpus.truth.bayes_accuracy:.4f}")
    _timed("synthetic.generate(5,000, 100-300 tokens)", 5_000,
           lambda: synthetic.generate(5_000, seed=0, min_len=100, max_len=300))


def bench_imdb(path: Path, max_len: int) -> None:
    if not path.exists():
        print(f"IMDB benchmark skipped: {path} not found (pass --imdb PATH)")
        return
    corpus = _timed("load_corpus(imdb_train.parquet)", 25_000,
                    lambda: corpora.load_corpus(str(path), n_valid=5_000))
    texts = [t for split in ("train", "validation", "test") for t in corpus.split(split)["text"]]
    n = len(texts)
    tokens = _timed(f"tokenize ({n:,} IMDB reviews)", n,
                    lambda: [text.tokenize(t) for t in texts])
    lengths = np.array([len(t) for t in tokens])
    print(f"  {lengths.sum():,} tokens, mean {lengths.mean():.0f}, "
          f"90th percentile {np.percentile(lengths, 90):.0f}, max {lengths.max():,}")
    vocab = _timed("build_vocab (train split, raw text)", len(corpus.train),
                   lambda: text.build_vocab(corpus.train["text"], max_size=20_000, min_count=5))
    encoded = _timed(f"encode_texts (tokenize + encode, max_len {max_len})", n,
                     lambda: text.encode_texts(texts, vocab, max_len=max_len))
    print(f"  {encoded.n_truncated:,} of {n:,} documents truncated at {max_len} tokens; "
          f"unknown-token rate {np.mean(encoded.tokens[encoded.tokens > 0] == 1):.3f}")
    labels = np.zeros(n, dtype=np.int64)
    out = _timed("batches (one epoch, batch 64)", n,
                 lambda: list(text.batches(encoded, labels, batch_size=64, seed=0)))
    padded = sum(b.tokens.size for b in out)
    print(f"  padding overhead {padded / encoded.lengths.sum() - 1:.3f} of the real tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imdb", type=Path, default=DEFAULT_IMDB)
    parser.add_argument("--n-docs", type=int, default=50_000)
    parser.add_argument("--max-len", type=int, default=400)
    args = parser.parse_args()
    bench_synthetic(args.n_docs)
    bench_imdb(args.imdb, args.max_len)


if __name__ == "__main__":
    main()
