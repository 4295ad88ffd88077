"""Real corpora on this CPU: training time, tokens per second, peak memory, GRU vs bag-of-words.

For each corpus given (any ``RNNCTX_CORPUS`` value: a hub name, a local file, or
``train=...,test=...`` entries), in a fresh process with an empty temporary cache: load and
encode the corpus, train the corpus's default GRU and the bag-of-words baseline exactly as the
book does (:func:`rnnctx_utils.experiment.train_model`), and print

- the splits, the documents truncated at ``max_len`` and the share of padding computed;
- wall time of the GRU's training loop (compilations and validation passes included), its
  tokens per second, and the whole job's wall and CPU time;
- the peak resident memory of the process (everything: data, vocabulary, both trainings);
- validation and test accuracy of the GRU and of bag-of-words, next to P1's Table 1.

Usage (about 10-30 minutes per corpus on a 2-core laptop; ``--steps`` shortens a trial)::

    .venv/bin/python benchmarks/bench_real_corpus.py ../shared/data/imdb_train.parquet
    .venv/bin/python benchmarks/bench_real_corpus.py \\
        "train=../shared/data/sst2_phrases_train.parquet,test=../shared/data/sst2_validation.parquet"

Other ``RNNCTX_*`` variables in the environment apply as in the book (e.g. ``RNNCTX_N_STEPS``).
On a shared machine the wall clock also measures the neighbours; the CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import tempfile
import time
from typing import Any

# P1 Table 1, test accuracy (%): (bag-of-words, GRU).
PAPER = {"imdb": (88.53, 86.86), "sst2": (79.74, 80.25), "yelp_polarity": (93.37, 95.84)}


def _paper_key(corpus: str) -> str | None:
    return next((key for key in PAPER if key.split("_")[0] in corpus.lower()), None)


def run(corpus: str, steps: int | None) -> dict[str, Any]:
    """Train the default GRU and bag-of-words for ``corpus`` in this process; return numbers."""
    os.environ["RNNCTX_CORPUS"] = corpus
    os.environ["RNNCTX_CACHE"] = tempfile.mkdtemp(prefix="rnnctx-bench-")
    if steps is not None:
        os.environ["RNNCTX_N_STEPS"] = str(steps)
    from rnnctx_utils import experiment
    from rnnctx_utils.config import config

    cfg = config()
    start, cpu = time.perf_counter(), time.process_time()
    model = experiment.train_model(cfg, progress=True)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    splits = experiment.encoded_splits(cfg, model.vocab)
    m, b = model.metrics, model.bow_metrics
    return {
        "corpus": corpus, "config": cfg.to_dict(),
        "sizes": [splits.train.data.n_docs, splits.valid.data.n_docs, splits.test.data.n_docs],
        "n_truncated": splits.train.n_truncated, "padding_fraction": m["padding_fraction"],
        "gru_train_seconds": m["train_seconds"], "tokens_per_second": m["tokens_per_second"],
        "best_step": m["best_step"], "job_wall_seconds": wall, "job_cpu_seconds": cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "gru_valid": m["valid_accuracy"], "gru_test": m["test_accuracy"],
        "bow_valid": b["valid_accuracy"], "bow_test": b["test_accuracy"],
    }


def _child(corpus: str, steps: int | None, queue: Any) -> None:
    queue.put(run(corpus, steps))


def report(r: dict[str, Any]) -> None:
    cfg = r["config"]
    print(f"\n== {r['corpus']}")
    print(f"splits train / valid / test: {' / '.join(f'{n:,}' for n in r['sizes'])}; "
          f"train documents truncated at {cfg['max_len']} tokens: {r['n_truncated']:,}; "
          f"padding {100 * r['padding_fraction']:.1f}% of computed token slots")
    print(f"{cfg['cell'].upper()} {cfg['n_hidden']} units, embedding {cfg['n_embed']}, "
          f"{cfg['n_steps']:,} steps of {cfg['batch_size']}: training loop "
          f"{r['gru_train_seconds'] / 60:.1f} min, {r['tokens_per_second']:,.0f} tokens/s, "
          f"best validation step {r['best_step']:,.0f}")
    print(f"whole job (load, encode, GRU, bag-of-words): wall {r['job_wall_seconds'] / 60:.1f} "
          f"min, CPU {r['job_cpu_seconds'] / 60:.1f} min; peak memory {r['peak_rss_mib']:,.0f} "
          f"MiB")
    key = _paper_key(r["corpus"])
    paper = PAPER.get(key) if key else None
    print("| model | validation (%) | test (%) | P1 test (%) |\n| --- | --- | --- | --- |")
    for name, valid, test, ref in (("GRU", r["gru_valid"], r["gru_test"], paper and paper[1]),
                                   ("bag-of-words", r["bow_valid"], r["bow_test"],
                                    paper and paper[0])):
        print(f"| {name} | {100 * valid:.2f} | {100 * test:.2f} | "
              f"{'—' if ref is None else f'{ref:.2f}'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+", help="RNNCTX_CORPUS values")
    parser.add_argument("--steps", type=int, default=None, help="override n_steps (trials)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    results = []
    context = mp.get_context("spawn")  # a fresh process per corpus: peak memory is its own
    for corpus in args.corpora:
        queue = context.Queue()
        process = context.Process(target=_child, args=(corpus, args.steps, queue))
        process.start()
        result = queue.get()
        process.join()
        report(result)
        results.append(result)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
