"""How many threads the BLAS underneath NumPy and SciPy may use, around a block of code.

:func:`blas_threads` limits every loaded BLAS (through ``threadpoolctl``) around batched calls
on many small matrices, which parallelize better over matrices than inside each one.

The ctypes ``?geev`` path that used to live here (LAPACK called with the GIL released, left
eigenvectors from the same Schur form) was measured against batched NumPy on 1,000 matrices of
128 x 128 in one run (``benchmarks/bench_eigen.py``, 2 shared cores): 1.46x faster in float32
and 0.94x in float64 than ``np.linalg.eig`` + ``np.linalg.inv`` in the same two worker threads
with one BLAS thread each. Below the 1.5x that would justify 100 lines of ctypes, so it went.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

# Batches of small matrices (S ~ 100) are best run one chunk per thread, each with a
# single-threaded BLAS. OpenBLAS's own threads busy-wait for each other; on a busy machine
# that made a batched 128 x 128 solve 10-50x slower than single-threaded (measured here on
# 2 shared cores: 8-29 s instead of 0.6 s for 500 matrices; bench_eigen.py: NumPy's batched
# eig with its default threads 3-9x slower than with one).


@contextlib.contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Run the block with every loaded BLAS (OpenBLAS, MKL, BLIS, …) limited to ``n`` threads,
    then restore the old settings (``threadpoolctl``; a no-op where it finds no BLAS)."""
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    with threadpool_limits(limits=int(n), user_api="blas"):
        yield
