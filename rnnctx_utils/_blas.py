"""The native BLAS/LAPACK underneath NumPy and SciPy, reached through ctypes.

:func:`blas_threads` limits OpenBLAS's threads around batched calls on many small matrices;
:func:`_geev` runs LAPACK's ``?geev`` on a batch of real matrices with the GIL released, and
:func:`_complex_vectors` turns LAPACK's real storage of eigenvectors into complex columns
(both used by :func:`rnnctx_utils.linearize.eigenmodes`).
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------------
# BLAS threads

# Batches of small matrices (S ~ 100) are best run one matrix per thread, each with a
# single-threaded BLAS. OpenBLAS's own threads busy-wait for each other; on a busy machine
# that made a batched 128 x 128 solve 10-50x slower than single-threaded (measured here on
# 2 shared cores: 8-29 s instead of 0.6 s for 500 matrices).


def _openblas_thread_controls() -> list[tuple[Any, Any]]:
    """(get_num_threads, set_num_threads) of every OpenBLAS loaded in this process (Linux;
    empty elsewhere, where nothing is changed)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted(
                {
                    line.split()[-1]
                    for line in maps
                    if "openblas" in line.lower() and line.split()[-1].startswith("/")
                }
            )
    except OSError:
        return []
    controls = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{name}_get_num_threads{suffix}", None)
                set_ = getattr(lib, f"{name}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    controls.append((get, set_))
                    break
            else:
                continue
            break
    return controls


@contextlib.contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Run the block with OpenBLAS limited to ``n`` threads, then restore the old setting.

    Used around batched LAPACK calls on many small matrices (eigen-decompositions, solves),
    which parallelize better over matrices than inside each one. A no-op where OpenBLAS
    cannot be found (other BLAS libraries, other systems).
    """
    controls = _openblas_thread_controls()
    previous = [get() for get, _ in controls]
    for _, set_ in controls:
        set_(int(n))
    try:
        yield
    finally:
        for (_, set_), old in zip(controls, previous, strict=True):
            set_(int(old))


# ---------------------------------------------------------------------------------------------
# LAPACK ?geev

# LAPACK's ?geev through the function pointers scipy exports (``scipy.linalg.cython_lapack``),
# called with ctypes: unlike the f2py wrappers, a ctypes call releases the GIL, so the worker
# threads of :func:`rnnctx_utils.linearize.eigenmodes` run LAPACK truly in parallel, and there
# is no per-call wrapper overhead. Signature (Fortran, every argument a pointer): jobvl, jobvr,
# n, a, lda, wr, wi, vl, ldvl, vr, ldvr, work, lwork, info.
_GEEV: dict[Any, Callable[..., None]] = {}


def _geev_function(dtype: Any) -> Callable[..., None]:
    """ctypes function for ``sgeev`` (float32) or ``dgeev`` (float64), loaded once."""
    key = np.dtype(dtype).type
    if key not in _GEEV:
        from scipy.linalg import cython_lapack  # scipy only when decomposing

        capsule = cython_lapack.__pyx_capi__["sgeev" if key is np.float32 else "dgeev"]
        api = ctypes.pythonapi
        api.PyCapsule_GetName.restype = ctypes.c_char_p
        api.PyCapsule_GetName.argtypes = [ctypes.py_object]
        api.PyCapsule_GetPointer.restype = ctypes.c_void_p
        api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        pointer = api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))
        _GEEV[key] = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * 14))(pointer)
    return _GEEV[key]


def _geev(mats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues and left and right eigenvectors of [m, S, S] real matrices, one LAPACK
    ``?geev`` call per matrix (in the matrices' precision).

    Returns:
        (wr [m, S], wi [m, S], vl [m, S, S], vr [m, S, S]) as LAPACK stores them: real and
        imaginary parts of λ; vectors as columns, unit Euclidean norm, a complex pair
        (wi[j] > 0, wi[j + 1] < 0) as the real part in column j, the imaginary part in j + 1.
        Left vectors u satisfy ``u^H J = λ u^H``.
    """
    geev = _geev_function(mats.dtype)
    m, size = mats.shape[0], mats.shape[1]
    # Fortran order: row-major J^T is column-major J, and column-major outputs come back
    # transposed in row-major buffers.
    a_all = np.ascontiguousarray(mats.transpose(0, 2, 1))
    wr = np.empty((m, size), mats.dtype)
    wi = np.empty((m, size), mats.dtype)
    vl = np.empty((m, size, size), mats.dtype)
    vr = np.empty((m, size, size), mats.dtype)
    jobv = ctypes.create_string_buffer(b"V")
    n_ = np.array([size], np.int32)
    info = np.zeros(1, np.int32)
    query = np.zeros(1, mats.dtype)
    lwork = np.array([-1], np.int32)
    step_vec, step_mat = size * mats.dtype.itemsize, size * size * mats.dtype.itemsize

    def call(i: int, work: np.ndarray) -> None:
        """?geev on matrix i (addresses into the batch buffers); lwork = -1 only queries."""
        geev(
            *(jobv, jobv, n_.ctypes.data),
            *(a_all.ctypes.data + i * step_mat, n_.ctypes.data),
            *(wr.ctypes.data + i * step_vec, wi.ctypes.data + i * step_vec),
            *(vl.ctypes.data + i * step_mat, n_.ctypes.data),
            *(vr.ctypes.data + i * step_mat, n_.ctypes.data),
            *(work.ctypes.data, lwork.ctypes.data, info.ctypes.data),
        )

    call(0, query)
    lwork[0] = max(int(query[0]), 4 * size)  # optimal size: blocked Hessenberg reduction
    work = np.empty(lwork[0], mats.dtype)
    for i in range(m):
        call(i, work)
        if info[0] != 0:
            raise np.linalg.LinAlgError(f"?geev did not converge for matrix {i} (info {info[0]})")
    return wr, wi, vl.transpose(0, 2, 1), vr.transpose(0, 2, 1)


def _complex_vectors(wi: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """LAPACK's real storage of eigenvectors [m, S, S] as complex columns [m, S, S]."""
    out = vectors.astype(np.result_type(vectors.dtype, np.complex64))
    mat, col = np.nonzero(wi > 0)  # first column of each conjugate pair
    real, imag = vectors[mat, :, col], vectors[mat, :, col + 1]
    out[mat, :, col] = real + 1j * imag
    out[mat, :, col + 1] = real - 1j * imag
    return out
