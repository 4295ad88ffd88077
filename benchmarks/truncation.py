"""Which end of a long review should the GRU read? First vs last ``max_len`` tokens, side by side.

The book's GRU reads at most ``max_len`` tokens (400 on IMDB, where 13% of the reviews are
longer) and keeps the *first* ones; bag-of-words always reads whole documents. Reviews often
end with the verdict ("... 7/10, worth a look"), so the last tokens may carry more of the
label. This script trains the corpus's default GRU twice in fresh processes, exactly as the
book does (``benchmarks/bench_real_corpus.py``), once on the file as it is (the first
``max_len`` tokens kept) and once on a copy whose long documents keep only their last
``max_len`` tokens, with the same splits (the copy keeps row order and labels, and the splits
are carved with a fixed seed), and prints validation and test accuracy of both.

Usage (two IMDB trainings: about 15 minutes on a 2-core laptop)::

    .venv/bin/python benchmarks/truncation.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_real_corpus  # noqa: E402  (a sibling script)


def keep_last(data: Path, folder: Path, max_len: int) -> tuple[Path, int]:
    """A copy of ``imdb_train.parquet`` whose documents keep their last ``max_len`` tokens
    (the package's tokenizer, re-joined with spaces); its path and how many were cut."""
    import pandas as pd

    from rnnctx_utils import text

    frame = pd.read_parquet(data / "imdb_train.parquet")
    tokens = [text.tokenize(t) for t in frame["text"]]
    cut = sum(len(t) > max_len for t in tokens)
    frame["text"] = [" ".join(t[-max_len:]) for t in tokens]
    path = folder / "imdb_last_train.parquet"  # "imdb" in the name: IMDB's defaults
    frame[["text", "label"]].to_parquet(path)
    return path, cut


def train_in_fresh_process(corpus: str) -> dict[str, Any]:
    """bench_real_corpus.run in a spawned process (its own memory, its own empty cache)."""
    context = mp.get_context("spawn")
    queue = context.Queue()
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
    from rnnctx_utils.config import config

    max_len = config(corpus=str(source)).max_len
    with tempfile.TemporaryDirectory(prefix="rnnctx-trunc-") as folder:
        last, cut = keep_last(args.data, Path(folder), max_len)
        print(f"{cut:,} of the reviews are longer than {max_len} tokens", flush=True)
        results = {"first": train_in_fresh_process(str(source.resolve())),
                   "last": train_in_fresh_process(str(last))}
    print("\n| GRU reads | validation accuracy (%) | test accuracy (%) |\n| --- | --- | --- |")
    for name, r in results.items():
        print(f"| the {name} {max_len} tokens | {100 * r['gru_valid']:.2f} | "
              f"{100 * r['gru_test']:.2f} |")
    better = max(results, key=lambda n: results[n]["gru_valid"])
    print(f"\nbetter on validation: the {better} {max_len} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
