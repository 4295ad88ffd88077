"""Fixed points and slow points of a recurrent cell (P1 M2), and what to do with them.

For a cell ``F(h [S], x [n_in]) -> h_next [S]`` with parameters bound, and a constant input
``x`` (default: the zero input, P1's "no input" point x* = 0), the *speed* of a state is::

    q(h) = ½ ‖F(h, x) − h‖²

A **fixed point** has q = 0; a **slow point** has a small q > 0 (the state barely moves in one
step). On a trained line attractor most of the "line" is made of slow points (q ~ 1e-5), and
only a few isolated exact roots exist: driving every seed to q → 0 collapses the cloud onto
those roots. The paper's pictures need the slow-point manifold; exactness needs the roots. So
:func:`find_fixed_points` offers both, by name:

- ``method="slow"``: Adam descent on q from each seed, each point stopping as soon as its own
  q < tol (a converged point stops moving). With tol ≈ 1e-4…1e-6 the stopped points trace the
  slow manifold and keep the spread of the seeds along it.
- ``method="exact"``: batched trust-region Newton (Powell's dogleg, the method of MINPACK's
  ``hybrj`` and ``scipy.optimize.root(method="hybr")``) on the residual F(h, x) − h in
  float64, reaching q < 1e-20 where a root exists (quadratic convergence near a regular root).

Then :func:`deduplicate` (keeps the lowest q of each cluster), :func:`remove_outliers`
(distance to the k-th nearest other point; counts reported), :func:`tolerance_sweep` (distinct
points per tolerance), :func:`manifold_coordinate` (order by readout, 1-D arclength) and
:func:`save_fixed_points` / :func:`load_fixed_points` (npz plus JSON metadata, atomic and
checksummed).

Where the parts live: the settings and result types in :mod:`rnnctx_utils.fixed_point_types`,
the two finders in :mod:`rnnctx_utils.fixed_point_solvers`, the files in
:mod:`rnnctx_utils.fixed_points_io`. This module runs the search and post-processes it, and
re-exports the public names of the other three.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

# NearestPoints, nearest_fixed_points and kth_neighbour_distances are re-exported: they lived
# here before linearize needed them too (rnnctx_utils.nearest_points); so are the types and the
# file functions, which lived here before the module was split.
from rnnctx_utils._blas import blas_threads
from rnnctx_utils._jit import fresh, jitted, resolve_inputs
from rnnctx_utils._types import StepFn
from rnnctx_utils.fixed_point_solvers import adam_descent, evaluate_q, trust_region_newton
from rnnctx_utils.fixed_point_types import ArrayLike as ArrayLike
from rnnctx_utils.fixed_point_types import FixedPointOptions as FixedPointOptions
from rnnctx_utils.fixed_point_types import FixedPointResult as FixedPointResult
from rnnctx_utils.fixed_points_io import load_fixed_points as load_fixed_points
from rnnctx_utils.fixed_points_io import save_fixed_points as save_fixed_points
from rnnctx_utils.nearest_points import NearestPoints as NearestPoints
from rnnctx_utils.nearest_points import _squared_distances
from rnnctx_utils.nearest_points import kth_neighbour_distances as kth_neighbour_distances
from rnnctx_utils.nearest_points import nearest_fixed_points as nearest_fixed_points

METHODS = ("slow", "exact")


# ---------------------------------------------------------------------------------------------
# The search


def find_fixed_points(
    F: StepFn,
    seeds: ArrayLike,
    x: ArrayLike | None = None,
    *,
    tol: float,
    method: str = "slow",
    options: FixedPointOptions | None = None,
    n_inputs: int | None = None,
) -> FixedPointResult:
    """Minimize q(h) = ½‖F(h, x) − h‖² from every seed, batched and jitted.

    Each point is optimized independently and stops as soon as its own q < tol (a
    converged point stops moving); the loop ends when every point has converged or the
    iteration budget is spent. The inputs are never modified.

    Args:
        F: cell ``F(h [S], x [n_in]) -> [S]`` with parameters bound (any cell; it must be
            traceable by JAX). Its constants should be float32 or JAX arrays, as trained
            parameters are: numpy float64 constants trip a jax 0.10 bug when the same F is
            traced with and without float64 (the error message then says so).
        seeds: [n, S] starting states, usually states visited on real documents.
        x: the constant input, [n_in] for all seeds or [n, n_in] one per seed; None means
            the zero input (P1's x* = 0), whose size comes from ``n_inputs`` or is inferred.
        tol: stop a point when q < tol. For ``"slow"`` 1e-4…1e-6 gives the slow-point
            manifold; for ``"exact"`` e.g. 1e-12…1e-20 (float64; the floor is set by
            round-off, ~1e-30 for states of order 1).
        method: ``"slow"`` (Adam on q, float32) or ``"exact"`` (trust-region Newton on
            F(h, x) − h, float64). See the module docstring.
        options: :class:`FixedPointOptions`; defaults when None.
        n_inputs: input size for ``x=None``.
    Returns:
        :class:`FixedPointResult` with one point per seed (same order, ``seed_index = arange``),
        q re-evaluated in float64, and ``converged = q < tol``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0; got {tol}")
    options = FixedPointOptions() if options is None else options
    float64 = method == "exact"
    dtype = np.float64 if float64 else np.float32
    h = np.array(seeds, dtype=dtype)  # a copy: the caller's seeds are never touched
    if h.ndim == 1:
        h = h[None]
    if h.ndim != 2:
        raise ValueError(f"seeds must be [n, S]; got shape {h.shape}")
    x_arr, per_point = resolve_inputs(F, h, x, n_inputs, dtype)
    out_shape = jax.eval_shape(
        fresh(F),
        jax.ShapeDtypeStruct(h.shape[1:], jnp.float32),
        jax.ShapeDtypeStruct(x_arr.shape[-1:], jnp.float32),
    ).shape
    if out_shape != h.shape[1:]:
        raise ValueError(f"F(h, x) must return the state shape {h.shape[1:]}; got {out_shape}")

    points, n_iter = [], []
    with jax.enable_x64(float64):
        for start in range(0, h.shape[0], options.chunk_size):
            stop = start + options.chunk_size
            chunk_x = x_arr[start:stop] if per_point else x_arr
            if method == "exact":
                with blas_threads(1):
                    p, k = trust_region_newton(F, options, h[start:stop], chunk_x, per_point, tol)
            else:
                runner = jitted(adam_descent, F, options, per_point)
                p, k = runner(h[start:stop], chunk_x, jnp.asarray(tol, dtype))
            points.append(np.asarray(p, np.float64))
            n_iter.append(np.asarray(k))
    points_all = np.concatenate(points) if points else np.zeros((0, h.shape[1]))
    q = evaluate_q(F, points_all, x_arr, per_point)
    return FixedPointResult(
        points=points_all,
        q=q,
        seed_index=np.arange(h.shape[0]),
        n_iterations=np.concatenate(n_iter) if n_iter else np.zeros(0, np.int32),
        converged=q < tol,
        options=options,
        method=method,
        tol=float(tol),
        x=x_arr.astype(np.float64),
    )


# ---------------------------------------------------------------------------------------------
# Post-processing


def unique_indices(
    points: ArrayLike, q: ArrayLike, *, radius: float, block: int = 2048
) -> np.ndarray:
    """Indices of a subset of ``points`` [n, S] no two of which are within ``radius``.

    Greedy in order of increasing ``q`` [n]: the lowest-q point of each cluster is kept and
    every point within ``radius`` of a kept point is dropped. On a continuous manifold of
    slow points this subsamples the manifold at spacing ≥ radius.
    Returns:
        [n_kept] indices into ``points``, sorted ascending.
    """
    pts = np.asarray(points, np.float64)
    order = np.argsort(np.asarray(q), kind="stable")
    ranked = pts[order]
    n = ranked.shape[0]
    # Neighbour lists from blocks of the pairwise distance matrix (never all n² at once).
    neighbours: list[np.ndarray] = []
    for start in range(0, n, block):
        close = _squared_distances(ranked[start : start + block], ranked) <= radius**2
        neighbours.extend(np.flatnonzero(row) for row in close)
    removed = np.zeros(n, bool)
    kept = []
    for i in range(n):
        if not removed[i]:
            kept.append(i)
            removed[neighbours[i]] = True
    return np.sort(order[np.asarray(kept, np.int64)])


def deduplicate(result: FixedPointResult, *, radius: float = 1e-3) -> FixedPointResult:
    """Drop points within ``radius`` (Euclidean, state units) of a point with lower q.

    Keeps the lowest-q point of each cluster; ``seed_index`` says which seed each survivor
    came from. See :func:`unique_indices`.
    """
    return result.subset(unique_indices(result.points, result.q, radius=radius))


class OutlierRemoval(NamedTuple):
    """Result of :func:`remove_outliers`.

    result: the kept points; n_kept, n_removed: counts; threshold: the distance cut-off;
    distances: [n] distance of every input point to its k-th nearest other point;
    removed_index: [n_removed] rows of the input that were dropped.
    """

    result: FixedPointResult
    n_kept: int
    n_removed: int
    threshold: float
    distances: np.ndarray
    removed_index: np.ndarray



def remove_outliers(
    result: FixedPointResult,
    *,
    k: int = 1,
    factor: float = 10.0,
    threshold: float | None = None,
) -> OutlierRemoval:
    """Drop points far from every other point (P1 M2) and report how many.

    A point is an outlier when its distance to its k-th nearest other point exceeds
    ``threshold``, by default ``factor`` × the median of those distances (a robust scale:
    a few far points do not move the median). Run it after :func:`deduplicate`, otherwise
    exact duplicates make every distance zero.

    Returns:
        :class:`OutlierRemoval` with the kept result, the counts and the threshold used.
    """
    distances = kth_neighbour_distances(result.points, k)
    cut = float(factor * np.median(distances)) if threshold is None else float(threshold)
    keep = distances <= cut
    return OutlierRemoval(
        result=result.subset(keep),
        n_kept=int(keep.sum()),
        n_removed=int((~keep).sum()),
        threshold=cut,
        distances=distances,
        removed_index=np.flatnonzero(~keep),
    )


class ToleranceSweep(NamedTuple):
    """Result of :func:`tolerance_sweep`, one entry per tolerance (in the order given).

    tolerances: [m]; n_converged: [m] seeds with q < tol; n_distinct: [m] converged points
    left after :func:`deduplicate` with ``radius``; results: the m finder results.
    """

    tolerances: np.ndarray
    n_converged: np.ndarray
    n_distinct: np.ndarray
    results: tuple[FixedPointResult, ...]


def tolerance_sweep(
    F: StepFn,
    seeds: ArrayLike,
    tolerances: Sequence[float],
    x: ArrayLike | None = None,
    *,
    radius: float = 1e-3,
    method: str = "slow",
    options: FixedPointOptions | None = None,
    n_inputs: int | None = None,
) -> ToleranceSweep:
    """How many distinct (slow or fixed) points there are at each tolerance.

    Runs the finder from the largest tolerance down, each run warm-started from the previous
    one's points (a point that reached q < 1e-4 continues from there toward 1e-5), so the
    sweep costs about as much as one run to the smallest tolerance.
    """
    tols = np.asarray(tolerances, np.float64)
    if tols.ndim != 1 or tols.size == 0:
        raise ValueError("tolerances must be a non-empty 1-D sequence")
    start_points: ArrayLike = seeds
    by_tol: dict[float, FixedPointResult] = {}
    for tol in sorted(set(tols.tolist()), reverse=True):
        found = find_fixed_points(
            F, start_points, x, tol=tol, method=method, options=options, n_inputs=n_inputs
        )
        by_tol[tol] = found
        start_points = found.points
    results = tuple(by_tol[float(t)] for t in tols)
    n_converged = np.array([r.n_converged for r in results])
    n_distinct = np.array([len(deduplicate(r.subset(r.converged), radius=radius)) for r in results])
    return ToleranceSweep(tols, n_converged, n_distinct, results)


class ManifoldCoordinate(NamedTuple):
    """A 1-D coordinate along a manifold of fixed / slow points (P1 M2).

    order: [n] indices sorting the points by readout value.
    readout: [n] readout value ``w · h + b`` of each point (input order).
    arclength: [n] cumulative Euclidean path length along the readout-sorted points, in
        state units (input order; 0 at the most negative readout).
    theta: [n] ``arclength`` divided by the total length, in [0, 1] (input order).
    """

    order: np.ndarray
    readout: np.ndarray
    arclength: np.ndarray
    theta: np.ndarray


def manifold_coordinate(
    points: ArrayLike, readout_w: ArrayLike, readout_b: float = 0.0
) -> ManifoldCoordinate:
    """Coordinate along the fixed-point manifold: sort by readout, then measure arclength.

    P1 uses locally linear embedding; sorting by the readout ``w · h* + b`` is the simpler
    choice of the book *[ours]*, right when the manifold is a curve that the readout
    traverses monotonically (true for a line attractor aligned with the readout).

    Args:
        points: [n, S] (or a ``FixedPointResult``); readout_w: [S]; readout_b: scalar.
    """
    pts = np.asarray(getattr(points, "points", points), np.float64)
    readout = pts @ np.asarray(readout_w, np.float64).reshape(-1) + float(readout_b)
    order = np.argsort(readout, kind="stable")
    steps = np.linalg.norm(np.diff(pts[order], axis=0), axis=1)
    sorted_length = np.concatenate([[0.0], np.cumsum(steps)])
    arclength = np.empty_like(sorted_length)
    arclength[order] = sorted_length
    total = sorted_length[-1] if sorted_length.size else 0.0
    theta = arclength / total if total > 0 else np.zeros_like(arclength)
    return ManifoldCoordinate(order, readout, arclength, theta)
