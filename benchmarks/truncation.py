"""Which end of a long review should the GRU read? First vs last ``max_len`` tokens, side by side.

The book's GRU reads at most ``max_len`` tokens (400 on IMDB, where 18% of the training reviews
are longer); bag-of-words always reads whole documents. Reviews often end with the verdict
("... 7/10, worth a look"), so the last tokens may carry more of the label. This script trains
the corpus's default GRU twice in fresh processes, exactly as the book does
(``benchmarks/bench_real_corpus.py``), with ``RNNCTX_TRUNCATE=first`` and ``=last`` on the same
file and splits, and prints validation and test accuracy of both. The book keeps the better on
validation as ``config.truncate``'s default.

Usage (two IMDB trainings: about 15 minutes on a 2-core laptop)::

    .venv/bin/python benchmarks/truncation.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
from pathlib import Path
from typing import Any
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_real_corpus  # noqa: E402  (a sibling script)


def train_in_fresh_process(corpus: str, truncate: str) -> dict[str, Any]:
    """bench_real_corpus.run in a spawned process (its own memory, its own empty cache), with
    ``RNNCTX_TRUNCATE=truncate`` (the child inherits the environment)."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    with patch.dict(os.environ, {"RNNCTX_TRUNCATE": truncate}):
        process = context.Process(target=bench_real_corpus._child, args=(corpus, None, queue))
        process.start()
    result = queue.get()
    process.join()
    return dict(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    source = args.data / "imdb_train.parquet"
    if not source.is_file():
        print(f"{source} not found; pass --data DIR")
        return 2
    results = {end: train_in_fresh_process(str(source.resolve()), end)
               for end in ("first", "last")}
    max_len = results["first"]["config"]["max_len"]
    print(f"\n{results['first']['n_truncated']:,} training reviews are longer than {max_len} "
          "tokens")
    print("| GRU reads | validation accuracy (%) | test accuracy (%) |\n| --- | --- | --- |")
    for name, r in results.items():
        print(f"| the {name} {max_len} tokens | {100 * r['gru_valid']:.2f} | "
              f"{100 * r['gru_test']:.2f} |")
    better = max(results, key=lambda n: results[n]["gru_valid"])
    print(f"\nbetter on validation: the {better} {max_len} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
