"""Progress lines for analysis steps that take more than a few seconds.

Training has its own progress bar (:mod:`rnnctx_utils.train`). The analyses (running the network
over the analysis documents, finding fixed points, scoring the vocabulary, fitting models) print
one line when they start and one with the elapsed time when they end, so that a reader who
points the book at a large corpus sees where the time goes::

    with stage("fixed points: 1,000 seeds, slow and exact"):
        ...
    # fixed points: 1,000 seeds, slow and exact ...
    # fixed points: 1,000 seeds, slow and exact: done in 41.2 s

Loops report every ``every`` items with :func:`report_loop`. Set ``RNNCTX_QUIET=1`` to silence
both (the tests of the package do not need it: the lines go to standard output).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rnnctx_utils import environment

T = TypeVar("T")


def _quiet() -> bool:
    return bool(environment.read("RNNCTX_QUIET"))


@contextmanager
def stage(description: str) -> Iterator[None]:
    """Print ``description ...`` now and ``description: done in X s`` when the block ends."""
    if _quiet():
        yield
        return
    print(f"{description} ...", flush=True)
    start = time.perf_counter()
    yield
    print(f"{description}: done in {time.perf_counter() - start:.1f} s", flush=True)


def report_loop(items: Iterable[T], total: int, description: str, every_seconds: float = 10.0
                ) -> Iterator[T]:
    """Yield ``items``; print ``description: i/total`` at most every ``every_seconds``."""
    start = last = time.perf_counter()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.perf_counter()
        if not _quiet() and now - last >= every_seconds and done < total:
            print(f"{description}: {done:,}/{total:,} ({now - start:.0f} s)", flush=True)
            last = now
