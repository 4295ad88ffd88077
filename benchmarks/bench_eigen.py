"""Batched eigen-decomposition: ``linearize.eigenmodes`` against plain batched NumPy.

``linearize.eigenmodes`` decomposes [n, S, S] Jacobians with NumPy's batched ``eig`` and ``inv``
(left eigenvectors L = R⁻¹), split into chunks over worker threads, each with a single-threaded
BLAS (``blas_threads``). The plain alternative is one batched ``np.linalg.eig`` + ``inv`` call,
with one BLAS thread or with NumPy's default threads. All run here, side by side, on the same
matrices (random maps with a slow mode near 1, as Jacobians along a line attractor), in float32
and float64; printed: seconds (median of repeats), ratios, the largest difference of |λ|, and
the NumPy build and BLAS.

History (issue 20): this package used to call LAPACK's ``?geev`` through ctypes. Measured with
this script's shapes in one run on 2 shared cores, it was 1.46x faster in float32 and 0.94x in
float64 than NumPy in the same two threads, below the 1.5x that would have kept 100 lines of
ctypes, so ``eigenmodes`` now uses NumPy.

    .venv/bin/python benchmarks/bench_eigen.py            # n = 1000, S = 128
    .venv/bin/python benchmarks/bench_eigen.py --quick    # n = 64, S = 32
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from rnnctx_utils import linearize


def jacobians(n: int, size: int, seed: int = 0) -> np.ndarray:
    """[n, S, S] real matrices with spectral radius ≈ 1 (one slow mode each)."""
    rng = np.random.default_rng(seed)
    mats = rng.standard_normal((n, size, size)) * (0.9 / np.sqrt(size))
    slow = rng.standard_normal((n, size))
    slow /= np.linalg.norm(slow, axis=1, keepdims=True)
    return mats + 0.5 * slow[:, :, None] * slow[:, None, :]


def numpy_eigenmodes(mats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(λ [n, S], R [n, S, S], L = R⁻¹ [n, S, S]) sorted by |λ| descending, batched NumPy."""
    eigenvalues, right = np.linalg.eig(mats)
    order = np.lexsort((-eigenvalues.imag, -np.abs(eigenvalues)), axis=-1)
    eigenvalues = np.take_along_axis(eigenvalues, order, axis=-1)
    right = np.take_along_axis(right, order[:, None, :], axis=-1)
    return eigenvalues, right, np.linalg.inv(right)


def timed(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: library loading, thread pools
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, size = (64, 32) if args.quick else (1000, 128)
    config = np.show_config(mode="dicts") or {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    print(f"numpy {np.__version__}, BLAS {blas.get('name', '?')} {blas.get('version', '')}, "
          f"{os.cpu_count()} CPUs; {n} matrices of {size} x {size}")
    print(f"{'precision':<10} {'eigenmodes (s)':>17} {'numpy, 1 BLAS thread (s)':>25} "
          f"{'ratio':>6} {'numpy, default threads (s)':>27} {'ratio':>6} {'max Δ|λ|':>9}")
    for dtype in (np.float32, np.float64):
        mats = jacobians(n, size).astype(dtype)
        ours = timed(lambda m=mats: linearize.eigenmodes(m), args.repeats)
        with linearize.blas_threads(1):  # NumPy's best setting for many small matrices
            single = timed(lambda m=mats: numpy_eigenmodes(m), args.repeats)
        default = timed(lambda m=mats: numpy_eigenmodes(m), max(1, args.repeats // 3))
        # conjugate pairs and near-ties may come in either order: compare the sorted moduli
        difference = np.abs(np.abs(linearize.eigenmodes(mats).eigenvalues)
                            - np.abs(numpy_eigenmodes(mats)[0])).max()
        print(f"{np.dtype(dtype).name:<10} {ours:>17.3f} {single:>25.3f} {single / ours:>5.2f}x "
              f"{default:>27.3f} {default / ours:>5.2f}x {difference:>9.1e}")


if __name__ == "__main__":
    main()
