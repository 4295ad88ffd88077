"""Linearization of a recurrent cell around chosen points, and the eigenmodes of that linear map.

For any cell ``F(h [S], x [n_in]) -> h_next [S]`` (parameters already bound, e.g.
``models.bound_step(params, "gru")``), the first-order expansion around an expansion point
``(h*, x*)`` is (P1 M3)::

    F(h, x) ≈ F(h*, x*) + J_rec (h − h*) + J_inp (x − x*),
    J_rec = ∂F/∂h (h*, x*)  [S, S],    J_inp = ∂F/∂x (h*, x*)  [S, n_in].

At a fixed point ``F(h*, x*) = h*`` and this is ``Δh_t ≈ J_rec Δh_{t−1} + J_inp x_t``.
The recurrent Jacobian has the eigen-decomposition (P1 M4) ``J_rec = R Λ L`` with right
eigenvectors as the columns ``r_a`` of ``R``, left eigenvectors as the rows ``l_a`` of
``L = R⁻¹`` (so ``l_a · r_b = δ_ab``), eigenvalues sorted by ``|λ|``, largest first, and
time constants ``τ_a = |1 / ln|λ_a||`` in tokens.

Everything is batched: Jacobians of many points are one ``jit(vmap(jacfwd))`` call, the
eigen-decompositions NumPy's batched ``eig`` and ``inv`` (split over threads, each with a
single-threaded BLAS: NumPy's LAPACK releases the GIL). The compile cache of the kernels lives
in :mod:`rnnctx_utils._jit`, the BLAS thread control in :mod:`rnnctx_utils._blas` (both shared
with :mod:`rnnctx_utils.fixed_points`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import jax
import numpy as np

# The compile cache and input handling (rnnctx_utils._jit) and the BLAS thread control
# (rnnctx_utils._blas) are shared with fixed_points; re-exported here, where they were first.
from rnnctx_utils._blas import blas_threads as blas_threads
from rnnctx_utils._jit import fresh as fresh
from rnnctx_utils._jit import infer_n_inputs as infer_n_inputs
from rnnctx_utils._jit import jitted as jitted
from rnnctx_utils._jit import resolve_inputs as resolve_inputs
from rnnctx_utils._types import ArrayLike as ArrayLike
from rnnctx_utils._types import StepFn as StepFn
from rnnctx_utils.nearest_points import nearest_fixed_points

#: Default half-width of the band around ``|λ| = 1`` inside which a mode counts as marginal.
MARGINAL_TOL = 1e-3

#: Names returned by :func:`fixed_point_type`.
FIXED_POINT_TYPES = (
    "stable node",
    "stable spiral",
    "unstable node",
    "unstable spiral",
    "saddle",
    "center",
    "line attractor",
    "continuous attractor",
    "marginal",
)

# ---------------------------------------------------------------------------------------------
# Input handling


def _as_states(hs: ArrayLike, dtype: Any) -> tuple[np.ndarray, bool]:
    """[n, S] copy of ``hs`` (a single [S] state becomes [1, S]) and whether it was single."""
    h = np.array(hs, dtype=dtype)
    if h.ndim == 1:
        return h[None], True
    if h.ndim != 2:
        raise ValueError(f"states must be [S] or [n, S]; got shape {h.shape}")
    return h, False


def _float_dtype(float64: bool) -> type:
    return np.float64 if float64 else np.float32


# ---------------------------------------------------------------------------------------------
# Jacobians


def _batched_jacobian(
    F: StepFn, wrt: str, mode: str, per_point: bool, h: jax.Array, x: jax.Array
) -> jax.Array:
    jac = (jax.jacfwd if mode == "fwd" else jax.jacrev)(F, argnums=0 if wrt == "h" else 1)
    return jax.vmap(jac, in_axes=(0, 0 if per_point else None))(h, x)


def _linearized(F: StepFn, h0: jax.Array, x0: jax.Array, h1: jax.Array, x1: jax.Array) -> jax.Array:
    def one(a: jax.Array, b: jax.Array, c: jax.Array, d: jax.Array) -> jax.Array:
        value, tangent = jax.jvp(F, (a, b), (c - a, d - b))
        return value + tangent

    return jax.vmap(one)(h0, x0, h1, x1)


def _batched_step(F: StepFn, h: jax.Array, x: jax.Array) -> jax.Array:
    return jax.vmap(F)(h, x)


def _jacobians(
    F: StepFn,
    hs: ArrayLike,
    xs: ArrayLike | None,
    *,
    wrt: str,
    n_inputs: int | None,
    float64: bool,
    chunk_size: int,
) -> np.ndarray:
    dtype = _float_dtype(float64)
    with jax.enable_x64(float64):
        h, _ = _as_states(hs, dtype)
        x, per_point = resolve_inputs(F, h, xs, n_inputs, dtype)
        n_state, n_in = h.shape[1], x.shape[-1]
        # Forward mode costs one JVP per input column, reverse mode one VJP per output row:
        # pick the side with fewer.
        n_cols = n_state if wrt == "h" else n_in
        mode = "fwd" if n_cols <= n_state else "rev"
        out = []
        for start in range(0, h.shape[0], chunk_size):
            x_chunk = x[start : start + chunk_size] if per_point else x
            block = jitted(_batched_jacobian, F, wrt, mode, per_point)(
                h[start : start + chunk_size], x_chunk
            )
            out.append(np.asarray(block))
        return np.concatenate(out, axis=0)


def recurrent_jacobians(
    F: StepFn,
    hs: ArrayLike,
    xs: ArrayLike | None = None,
    *,
    n_inputs: int | None = None,
    float64: bool = False,
    chunk_size: int = 4096,
) -> np.ndarray:
    """J_rec = ∂F/∂h at many points.

    Args:
        F: cell ``F(h [S], x [n_in]) -> [S]`` with parameters bound.
        hs: [n, S] expansion states (fixed points, or any states).
        xs: [n, n_in], [n_in], or None for the zero input (then ``n_inputs`` or inference).
        float64: evaluate in float64 (``jax.enable_x64`` locally); float32 otherwise.
        chunk_size: points per compiled call (bounds memory: chunk · S² numbers).
    Returns:
        [n, S, S] with ``J[i, a, b] = ∂F_a/∂h_b`` at ``(hs[i], xs[i])``.
    """
    return _jacobians(F, hs, xs, wrt="h", n_inputs=n_inputs, float64=float64, chunk_size=chunk_size)


def input_jacobians(
    F: StepFn,
    hs: ArrayLike,
    xs: ArrayLike | None = None,
    *,
    n_inputs: int | None = None,
    float64: bool = False,
    chunk_size: int = 4096,
) -> np.ndarray:
    """J_inp = ∂F/∂x at many points.

    Args: as :func:`recurrent_jacobians`.
    Returns:
        [n, S, n_in] with ``J[i, a, k] = ∂F_a/∂x_k`` at ``(hs[i], xs[i])``.
    """
    return _jacobians(F, hs, xs, wrt="x", n_inputs=n_inputs, float64=float64, chunk_size=chunk_size)


# ---------------------------------------------------------------------------------------------
# Eigenmodes


class Eigenmodes(NamedTuple):
    """Eigen-decomposition ``J = R diag(λ) L`` of a batch of square matrices.

    eigenvalues: [n, k] complex, sorted by ``|λ|`` descending (a conjugate pair: +imag first).
    right: [n, S, k] complex, right eigenvectors as columns (unit norm): ``J r_a = λ_a r_a``.
    left: [n, k, S] complex, left eigenvectors as rows, the rows of ``L = R⁻¹`` of the full
        decomposition: ``l_a J = λ_a l_a`` and ``l_a · r_b = δ_ab``.
    time_constants: [n, k] float, ``τ_a = |1 / ln|λ_a||`` in steps (tokens).
    """

    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    time_constants: np.ndarray


def time_constants(eigenvalues: ArrayLike) -> np.ndarray:
    """τ = |1 / ln|λ|| in steps: how many steps a mode takes to decay (or grow) by a factor e.

    Args:
        eigenvalues: [...] complex or real.
    Returns:
        [...] float64; ``inf`` for ``|λ| = 1`` (a perfect integrator), ``0`` for ``λ = 0``.
    """
    magnitude = np.abs(np.asarray(eigenvalues)).astype(np.float64)
    with np.errstate(divide="ignore"):
        return np.abs(1.0 / np.log(magnitude))


def _sort_order(eigenvalues: np.ndarray) -> np.ndarray:
    """[n, S] indices sorting each row by |λ| descending, then +imag before −imag."""
    magnitude = np.abs(eigenvalues)
    # lexsort sorts by the last key first; negate for descending.
    return np.lexsort((-eigenvalues.imag, -magnitude), axis=-1)



def _decompose(jacobians: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full sorted decomposition of [m, S, S]: (λ [m, S], R [m, S, S], L = R⁻¹ [m, S, S]),
    with NumPy's batched LAPACK (in the matrices' precision)."""
    eigenvalues, right = np.linalg.eig(jacobians)
    order = _sort_order(eigenvalues)
    eigenvalues = np.take_along_axis(eigenvalues, order, axis=-1)
    right = np.take_along_axis(right, order[:, None, :], axis=-1)
    try:
        left = np.linalg.inv(right)
    except np.linalg.LinAlgError:
        # A defective matrix has no eigenbasis (R singular): the pseudo-inverse, the best
        # available, for those matrices only.
        left = np.empty_like(right)
        for i, r in enumerate(right):
            try:
                left[i] = np.linalg.inv(r)
            except np.linalg.LinAlgError:
                left[i] = np.linalg.pinv(r)
    return eigenvalues, right, left


def eigenmodes(
    jacobians: ArrayLike,
    top_k: int | None = None,
    *,
    n_threads: int | None = None,
    float64: bool | None = None,
) -> Eigenmodes:
    """Batched eigen-decomposition with right and left eigenvectors, sorted by |λ|.

    Args:
        jacobians: [n, S, S] real (or [S, S] for one matrix, then the batch axis is kept
            as n = 1).
        top_k: keep only the k slowest modes (largest |λ|); the left eigenvectors are still
            the rows of the inverse of the *full* right-eigenvector matrix.
        n_threads: worker threads over chunks of the batch (NumPy's LAPACK releases the GIL), each
            with a single-threaded BLAS (see :func:`blas_threads`); default
            ``min(os.cpu_count(), 8)``; 1 runs in the calling thread.
        float64: decompose in double precision; None (default) follows the input: float32
            Jacobians (what :func:`recurrent_jacobians` returns by default) in single
            precision, float64 ones (``float64=True`` there) in double.
    Returns:
        :class:`Eigenmodes` with eigenvalues [n, k], right [n, S, k], left [n, k, S]
        (complex64 in single, complex128 in double precision), time_constants [n, k].
    """
    mats = np.asarray(jacobians)
    # Precision follows the input by default. Single-precision LAPACK is about 1.5x faster
    # here (measured, 128 x 128), and a float32 Jacobian already carries float32 rounding:
    # its eigenvalues are only known to about κ·eps32 whatever the precision of the
    # decomposition. τ = |1/ln|λ|| of a slow mode is sensitive to |λ| (dτ = τ² d|λ|): where
    # that matters, compute the Jacobians in float64 (then everything stays float64).
    if float64 is None:
        float64 = mats.dtype not in (np.float32, np.complex64)
    mats = mats.astype(np.result_type(mats.dtype, np.float64 if float64 else np.float32))
    if mats.ndim == 2:
        mats = mats[None]
    if mats.ndim != 3 or mats.shape[1] != mats.shape[2]:
        raise ValueError(f"jacobians must be [n, S, S]; got shape {mats.shape}")
    n, size = mats.shape[0], mats.shape[1]
    k = size if top_k is None else int(top_k)
    if not 1 <= k <= size:
        raise ValueError(f"top_k must be in 1..{size}; got {top_k}")

    threads = min(os.cpu_count() or 1, 8) if n_threads is None else max(1, int(n_threads))
    # Chunks of at least 16 matrices keep the per-call overhead negligible.
    n_chunks = max(1, min(threads, n // 16))
    chunks = np.array_split(np.arange(n), n_chunks)
    with blas_threads(1):
        if n_chunks == 1:
            parts = [_decompose(mats)]
        else:
            with ThreadPoolExecutor(n_chunks) as pool:
                parts = list(pool.map(lambda idx: _decompose(mats[idx]), chunks))
    eigenvalues = np.concatenate([p[0][:, :k] for p in parts])
    right = np.concatenate([p[1][:, :, :k] for p in parts])
    left = np.concatenate([p[2][:, :k, :] for p in parts])
    return Eigenmodes(eigenvalues, right, left, time_constants(eigenvalues))


# ---------------------------------------------------------------------------------------------
# Stability


def stability_classes(eigenvalues: ArrayLike, *, tol: float = MARGINAL_TOL) -> np.ndarray:
    """Per-mode class: ``"stable"`` (|λ| < 1 − tol), ``"marginal"`` (| |λ| − 1 | ≤ tol) or
    ``"unstable"`` (|λ| > 1 + tol), for a discrete-time map ``h_{t+1} = F(h_t)``.

    Args:
        eigenvalues: [...] complex or real.
        tol: half-width of the marginal band around the unit circle. A trained line
            attractor has |λ_1| ≈ 1 only approximately (P1: τ_1 of hundreds to thousands of
            tokens, i.e. 1 − |λ_1| ~ 1e-3); choose tol accordingly.
    Returns:
        [...] array of str.
    """
    magnitude = np.abs(np.asarray(eigenvalues))
    classes = np.full(magnitude.shape, "marginal", dtype="<U8")
    classes[magnitude < 1.0 - tol] = "stable"
    classes[magnitude > 1.0 + tol] = "unstable"
    return classes


def _point_type(eigenvalues: np.ndarray, tol: float) -> str:
    magnitude = np.abs(eigenvalues)
    is_real = np.abs(eigenvalues.imag) <= tol
    stable = magnitude < 1.0 - tol
    unstable = magnitude > 1.0 + tol
    marginal = ~(stable | unstable)
    if marginal.any():
        if unstable.any():
            return "saddle"
        near_one = is_real & (np.abs(eigenvalues.real - 1.0) <= tol)
        if near_one[marginal].all():  # every marginal mode is λ ≈ +1: integration
            return "line attractor" if marginal.sum() == 1 else "continuous attractor"
        if not (marginal & is_real).any():
            return "center"
        return "marginal"
    if stable.all() or unstable.all():
        # The dominant mode (largest |λ|: the slowest to decay, or the fastest to grow)
        # decides how trajectories look: rotating if that mode is complex.
        shape = "node" if is_real[np.argmax(magnitude)] else "spiral"
        return ("stable " if stable.all() else "unstable ") + shape
    return "saddle"


def fixed_point_type(eigenvalues: ArrayLike, *, tol: float = MARGINAL_TOL) -> np.ndarray:
    """Classify fixed points from their recurrent Jacobian's eigenvalues (discrete time).

    The cartoons of P2's slide, generalised to any dimension:

    - ``"stable node"`` / ``"unstable node"``: all modes stable / unstable, the dominant
      (largest |λ|) real; ``"stable spiral"`` / ``"unstable spiral"``: dominant mode complex
      (oscillation while converging / diverging);
    - ``"saddle"``: some modes stable, some unstable;
    - ``"center"``: the only marginal modes form complex pairs on the unit circle, the rest
      stable (sustained oscillation);
    - ``"line attractor"``: exactly one marginal mode, real, λ ≈ 1, the rest stable;
      ``"continuous attractor"``: several such modes;
    - ``"marginal"``: any other marginal case (e.g. λ ≈ −1).

    Args:
        eigenvalues: [k] or [n, k] complex.
        tol: half-width of the marginal band, as :func:`stability_classes`.
    Returns:
        [] or [n] array of str, one of :data:`FIXED_POINT_TYPES`.
    """
    values = np.asarray(eigenvalues).astype(np.complex128)
    flat = values.reshape(-1, values.shape[-1])
    types = np.array([_point_type(row, tol) for row in flat], dtype="<U20")
    return types.reshape(values.shape[:-1])


# ---------------------------------------------------------------------------------------------
# The linearized map and its error


def _broadcast_rows(a: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(a, (n, a.shape[-1])) if a.ndim == 1 else a


def linearized_step(
    F: StepFn,
    h_star: ArrayLike,
    x_star: ArrayLike | None,
    h: ArrayLike,
    x: ArrayLike,
    *,
    float64: bool = False,
) -> np.ndarray:
    """First-order prediction of ``F(h, x)`` from the expansion point ``(h*, x*)``:
    ``F(h*, x*) + J_rec (h − h*) + J_inp (x − x*)``.

    The offset ``F(h*, x*) − h*`` is kept, so the formula is also right when ``h*`` is only a
    slow point (``F(h*, x*) ≠ h*``). Computed with one Jacobian-vector product per point
    (``jax.jvp``); the Jacobians are never formed.

    Args:
        h_star: [S] or [n, S] expansion states.
        x_star: [n_in], [n, n_in] or None (the zero input).
        h: [S] or [n, S] states; x: [n_in] or [n, n_in] inputs.
    Returns:
        [n, S] (or [S] when every argument is a single vector).
    """
    dtype = _float_dtype(float64)
    with jax.enable_x64(float64):
        arrays: list[np.ndarray] = [np.array(a, dtype=dtype) for a in (h_star, h, x)]
        x_arr = arrays[2]
        x_star_arr: np.ndarray = (
            np.zeros(x_arr.shape[-1], dtype) if x_star is None else np.array(x_star, dtype=dtype)
        )
        single = all(a.ndim == 1 for a in (*arrays, x_star_arr))
        n = max([a.shape[0] for a in (*arrays, x_star_arr) if a.ndim == 2], default=1)
        hs_star, hs, xs = (_broadcast_rows(a, n) for a in arrays)
        xs_star = _broadcast_rows(x_star_arr, n)

        out = np.asarray(jitted(_linearized, F)(hs_star, xs_star, hs, xs))
    return out[0] if single else out


def linearization_error(
    F: StepFn,
    fixed_points: ArrayLike,
    hs: ArrayLike,
    xs: ArrayLike,
    *,
    x_star: ArrayLike | None = None,
    relative_to: str = "state",
    float64: bool = False,
) -> np.ndarray:
    """One-step relative error of the linearization around the nearest fixed point (P1 M3).

    For each transition ``h_{t+1} = F(h_t, x_t)`` along a real trajectory, expand around the
    fixed point ``h*`` nearest to ``h_t`` (Euclidean) at input ``x*`` and compare::

        error_t = ‖F(h_t, x_t) − h_lin‖ / ‖F(h_t, x_t)‖           (relative_to="state", P1)
        error_t = ‖F(h_t, x_t) − h_lin‖ / ‖F(h_t, x_t) − h_t‖     (relative_to="change")

    with ``h_lin`` from :func:`linearized_step`. P1 reports about 10% along real trajectories.

    Args:
        fixed_points: [m, S] points to expand around (or a ``FixedPointResult``).
        hs: [n, S] states *before* each token; xs: [n, n_in] the tokens' inputs.
        x_star: input of the expansion point, [n_in] or None (zero, P1's choice).
        relative_to: ``"state"`` (P1's definition) or ``"change"`` (stricter: relative to
            the size of the update itself).
    Returns:
        [n] relative errors.
    """
    points = np.asarray(getattr(fixed_points, "points", fixed_points))
    states = np.array(hs, dtype=np.float64)
    inputs = np.array(xs, dtype=np.float64)
    nearest = nearest_fixed_points(points, states).indices
    predicted = linearized_step(F, points[nearest], x_star, states, inputs, float64=float64).astype(
        np.float64
    )
    dtype = _float_dtype(float64)
    with jax.enable_x64(float64):
        actual = np.asarray(
            jitted(_batched_step, F)(states.astype(dtype), inputs.astype(dtype))
        ).astype(np.float64)
    if relative_to == "state":
        scale = np.linalg.norm(actual, axis=-1)
    elif relative_to == "change":
        scale = np.linalg.norm(actual - states, axis=-1)
    else:
        raise ValueError(f"relative_to must be 'state' or 'change'; got {relative_to!r}")
    return np.linalg.norm(actual - predicted, axis=-1) / scale
