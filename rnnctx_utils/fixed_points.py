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
:func:`save_fixed_points` / :func:`load_fixed_points` (npz plus JSON metadata).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

# NearestPoints, nearest_fixed_points and kth_neighbour_distances are re-exported: they lived
# here before linearize needed them too (rnnctx_utils.nearest_points).
from rnnctx_utils._blas import blas_threads
from rnnctx_utils._jit import CellFn, fresh, jitted, resolve_inputs
from rnnctx_utils.nearest_points import NearestPoints as NearestPoints
from rnnctx_utils.nearest_points import _squared_distances
from rnnctx_utils.nearest_points import kth_neighbour_distances as kth_neighbour_distances
from rnnctx_utils.nearest_points import nearest_fixed_points as nearest_fixed_points

ArrayLike = Any

METHODS = ("slow", "exact")


@dataclass(frozen=True)
class FixedPointOptions:
    """Settings of :func:`find_fixed_points`; the defaults work on a trained GRU as is.

    ``method="slow"`` (Adam descent on q, float32):
        learning_rate: initial Adam step size (state units per step), 1e-2 as the authors'.
        decay_steps, decay_rate: the learning rate is multiplied by ``decay_rate`` every
            ``decay_steps`` iterations (smoothly, ``optax.exponential_decay``), so that
            points still moving late take finer steps. Decaying faster hurts: on a trained
            GRU most seeds need a few hundred steps at full size to reach the slow manifold.
        min_learning_rate: floor of the decay.
        adam_b1, adam_b2, adam_eps: Adam's moment decays and denominator offset
            (b2 = 0.99 adapts faster than the usual 0.999 to the shrinking gradients).
        max_iterations: iterations at most; points not below tol by then are reported
            with ``converged=False``.

    ``method="exact"`` (trust-region Newton on r(h) = F(h, x) − h, float64; J = ∂r/∂h):
        exact_max_iterations: iterations at most.
        exact_radius_factor: the first trust radius is this times max(‖h‖, 1) (MINPACK's
            ``factor``, 100): the first Newton step is taken whole unless it is longer.
            Each step is the Newton step −J⁻¹r when it fits in the radius, else the
            dogleg point (the steepest-descent minimizer of ½‖r + Jp‖², then toward the
            Newton step) at the radius. The radius grows (x2) after a step the linear model
            predicted well and shrinks (to a quarter of the step) after a poor one.
        exact_min_decrease, exact_patience: a point stops as *stalled* after
            ``exact_patience`` iterations in a row that lower its q by less than the
            fraction ``exact_min_decrease`` (MINPACK's "not making good progress": 10%,
            5 in a row). Newton steps near a root lower q by far more; this is what happens
            at a local minimum of q with q > 0 (a slow point that is not a root, e.g. the
            "ghost" of a fixed point), where no root is within reach; it keeps
            ``converged=False``.

    Both:
        chunk_size: seeds per batch (memory of "exact": about 2 · chunk · S² float64).
    """

    learning_rate: float = 1e-2
    decay_steps: int = 2_000
    decay_rate: float = 0.5
    min_learning_rate: float = 1e-5
    adam_b1: float = 0.9
    adam_b2: float = 0.99
    adam_eps: float = 1e-10
    max_iterations: int = 5_000
    exact_max_iterations: int = 200
    exact_radius_factor: float = 100.0
    exact_min_decrease: float = 0.1
    exact_patience: int = 5
    chunk_size: int = 1024

    def __post_init__(self) -> None:
        for name in (
            "learning_rate",
            "decay_steps",
            "decay_rate",
            "max_iterations",
            "exact_max_iterations",
            "exact_radius_factor",
            "exact_patience",
            "chunk_size",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"FixedPointOptions.{name} must be > 0")
        if not 0 <= self.exact_min_decrease < 1:
            raise ValueError("need 0 <= exact_min_decrease < 1")


@dataclass(frozen=True, eq=False)
class FixedPointResult:
    """What :func:`find_fixed_points` found, with the settings it ran with.

    points: [n, S] float64, the final states.
    q: [n] float64, ½‖F(h, x) − h‖² at each point, evaluated in float64.
    seed_index: [n] int, row of the original seeds each point came from (kept through
        :func:`deduplicate` and :func:`remove_outliers`).
    n_iterations: [n] int, optimizer iterations each point took (0: the seed already had
        q < tol).
    converged: [n] bool, ``q < tol``.
    options: the :class:`FixedPointOptions` used; method: ``"slow"`` or ``"exact"``;
    tol: the stopping tolerance on q; x: [n_in] or [n, n_in], the constant input.
    """

    points: np.ndarray
    q: np.ndarray
    seed_index: np.ndarray
    n_iterations: np.ndarray
    converged: np.ndarray
    options: FixedPointOptions
    method: str
    tol: float
    x: np.ndarray

    def __len__(self) -> int:
        return int(self.points.shape[0])

    @property
    def n_converged(self) -> int:
        """How many points have q < tol."""
        return int(self.converged.sum())

    def subset(self, index: ArrayLike) -> FixedPointResult:
        """The points selected by ``index`` (bool mask [n] or integer indices), a new result."""
        idx = np.asarray(index)
        x = self.x[idx] if self.x.ndim == 2 else self.x
        return dataclasses.replace(
            self,
            points=self.points[idx],
            q=self.q[idx],
            seed_index=self.seed_index[idx],
            n_iterations=self.n_iterations[idx],
            converged=self.converged[idx],
            x=x,
        )

    def summary(self) -> str:
        """One line: method, tol, how many converged, q range."""
        if len(self) == 0:
            return f"{self.method} (tol {self.tol:g}): no points"
        return (
            f"{self.method} (tol {self.tol:g}): {self.n_converged}/{len(self)} converged, "
            f"q from {self.q.min():.2e} to {self.q.max():.2e}, "
            f"median {int(np.median(self.n_iterations))} iterations"
        )


# ---------------------------------------------------------------------------------------------
# The finders


def _speed(F: CellFn) -> Callable[[jax.Array, jax.Array], jax.Array]:
    def q(h: jax.Array, x: jax.Array) -> jax.Array:
        r = F(h, x) - h
        return 0.5 * jnp.sum(r * r)

    return q


def _adam_descent(
    F: CellFn,
    options: FixedPointOptions,
    per_point: bool,
    seeds: jax.Array,
    x: jax.Array,
    tol: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """(seeds [n, S], x, tol) -> (points, n_iterations): Adam on q with per-point stopping."""
    schedule = optax.exponential_decay(
        init_value=options.learning_rate,
        transition_steps=options.decay_steps,
        decay_rate=options.decay_rate,
        end_value=options.min_learning_rate,
    )
    optimizer = optax.adam(schedule, b1=options.adam_b1, b2=options.adam_b2, eps=options.adam_eps)
    q_and_grad = jax.vmap(jax.value_and_grad(_speed(F)), in_axes=(0, 0 if per_point else None))
    n = seeds.shape[0]

    def cond(carry: tuple) -> jax.Array:
        step, _, _, _, done = carry
        return (step < options.max_iterations) & ~jnp.all(done)

    def body(carry: tuple) -> tuple:
        step, h, opt_state, n_iter, _ = carry
        q, grad = q_and_grad(h, x)
        # A point below tol stops here: it takes no update, now or later (its q
        # cannot change while it does not move).
        done = q < tol
        updates, opt_state = optimizer.update(grad, opt_state, h)
        h = h + jnp.where(done[:, None], 0.0, updates)
        return step + 1, h, opt_state, n_iter + (~done).astype(jnp.int32), done

    init = (jnp.int32(0), seeds, optimizer.init(seeds), jnp.zeros(n, jnp.int32), jnp.zeros(n, bool))
    _, h, _, n_iter, _ = jax.lax.while_loop(cond, body, init)
    return h, n_iter


def _residual_and_jacobian(
    F: CellFn, per_point: bool, h: jax.Array, x: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """r = F(h, x) − h [n, S] and its Jacobian ∂r/∂h [n, S, S], one forward-mode pass."""

    def one(v: jax.Array, u: jax.Array) -> tuple[jax.Array, jax.Array]:
        def with_aux(w: jax.Array) -> tuple[jax.Array, jax.Array]:
            r = F(w, u) - w
            return r, r

        jac, r = jax.jacfwd(with_aux, has_aux=True)(v)
        return r, jac

    return jax.vmap(one, in_axes=(0, 0 if per_point else None))(h, x)


def _residual(F: CellFn, per_point: bool, h: jax.Array, x: jax.Array) -> jax.Array:
    """r = F(h, x) − h [n, S]."""
    return jax.vmap(lambda v, u: F(v, u) - v, in_axes=(0, 0 if per_point else None))(h, x)


_BLOCK = 128


def _padded_call(fn: Callable, h: np.ndarray, x: np.ndarray, per_point: bool) -> Any:
    """``fn(h, x)`` in blocks of :data:`_BLOCK` rows, the last one padded: one compiled
    shape whatever the size of the shrinking active set (compiling a float64 Jacobian for
    every size took longer than the iterations themselves)."""
    n = h.shape[0]
    outputs = []
    for start in range(0, n, _BLOCK):
        block = h[start : start + _BLOCK]
        m = block.shape[0]
        if m < _BLOCK:
            block = np.concatenate([block, np.repeat(block[:1], _BLOCK - m, axis=0)])
        x_block = x
        if per_point:
            x_block = x[start : start + _BLOCK]
            if m < _BLOCK:
                x_block = np.concatenate([x_block, np.repeat(x_block[:1], _BLOCK - m, axis=0)])
        outputs.append(jax.tree.map(lambda a, m=m: np.asarray(a)[:m], fn(block, x_block)))
    return jax.tree.map(lambda *parts: np.concatenate(parts), *outputs)


def _newton_steps(jac: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Newton steps −J⁻¹r [m, S] of jac [m, S, S] and r [m, S], float64.

    One batched LU solve per half of the batch in two threads (numpy's LAPACK releases the
    GIL; the caller holds BLAS to one thread). An exactly singular J (e.g. a perfect
    integrator: λ = 1 exactly) gets the least-squares minimum-norm step instead.
    """

    def part(index: np.ndarray) -> np.ndarray:
        try:
            return np.linalg.solve(jac[index], -r[index][..., None])[..., 0]
        except np.linalg.LinAlgError:
            return np.stack([
                np.linalg.lstsq(jac[i], -r[i], rcond=None)[0] for i in index
            ]).reshape(len(index), r.shape[1])

    n = r.shape[0]
    if n < 64:
        return part(np.arange(n))
    with ThreadPoolExecutor(2) as pool:
        return np.concatenate(list(pool.map(part, np.array_split(np.arange(n), 2))))


def _dogleg(
    newton: np.ndarray, gradient: np.ndarray, j_gradient: np.ndarray, radius: np.ndarray
) -> np.ndarray:
    """Powell's dogleg steps [m, S] inside the trust radii [m].

    newton: −J⁻¹r [m, S]; gradient: Jᵀr [m, S] (the gradient of q); j_gradient: J Jᵀr.
    The Newton step if it fits; else the point at the radius on the path from h to the
    Cauchy point (the minimizer of ½‖r + Jp‖² along −Jᵀr) and on to the Newton step.
    """
    newton_norm = np.linalg.norm(newton, axis=1)
    g2 = np.sum(gradient * gradient, axis=1)
    cauchy = -(g2 / np.maximum(np.sum(j_gradient * j_gradient, axis=1), 1e-300))[:, None]
    cauchy = cauchy * gradient
    cauchy_norm = np.linalg.norm(cauchy, axis=1)
    finite = np.isfinite(newton_norm)
    use_newton = finite & (newton_norm <= radius)
    descent = ~use_newton & (~finite | (cauchy_norm >= radius))
    scale = np.minimum(radius, cauchy_norm) / np.sqrt(np.maximum(g2, 1e-300))
    steps = np.where(use_newton[:, None], newton, -scale[:, None] * gradient)
    between = ~use_newton & ~descent
    if between.any():
        a = cauchy[between]
        b = newton[between] - a
        ab, bb = np.sum(a * b, axis=1), np.sum(b * b, axis=1)
        excess = np.sum(a * a, axis=1) - radius[between] ** 2  # ≤ 0: the Cauchy point is inside
        t = (-ab + np.sqrt(np.maximum(ab * ab - bb * excess, 0.0))) / np.maximum(bb, 1e-300)
        steps[between] = a + t[:, None] * b
    return steps


def _trust_region_newton(
    F: CellFn,
    options: FixedPointOptions,
    seeds: np.ndarray,
    x: np.ndarray,
    per_point: bool,
    tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched trust-region Newton (dogleg) in float64 on r(h) = F(h, x) − h from every seed.

    Only the active points (not yet converged, not stalled) are worked on. A Jacobian and its
    Newton step (one LU solve) are computed once per accepted step; a rejected step only
    shrinks the radius and retries along the same dogleg path (no new factorization), which
    is what makes this cheaper than Levenberg–Marquardt (a new damped solve per try, and the
    normal equations JᵀJ). Call inside ``jax.enable_x64(True)``, with BLAS at one thread.

    Returns:
        points [n, S] and n_iterations [n].
    """
    n, size = seeds.shape
    jacobian_fn = jitted(_residual_and_jacobian, F, per_point)
    residual_fn = jitted(_residual, F, per_point)

    def rows(index: np.ndarray) -> np.ndarray:
        return x[index] if per_point else x

    def linearize(points: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, ...]:
        """r, J, Newton step, Jᵀr and J Jᵀr at points [m, S] (rows ``index`` of the batch)."""
        r, jac = _padded_call(jacobian_fn, points, rows(index), per_point)
        gradient = np.einsum("mij,mi->mj", jac, r)
        return r, jac, _newton_steps(jac, r), gradient, np.einsum("mij,mj->mi", jac, gradient)

    h = seeds.copy()
    r, jac, newton, gradient, j_gradient = linearize(h, np.arange(n))
    q = 0.5 * np.sum(r * r, axis=1)
    radius = options.exact_radius_factor * np.maximum(np.linalg.norm(h, axis=1), 1.0)
    n_iter = np.zeros(n, np.int64)
    stalled = np.zeros(n, np.int64)
    for _ in range(options.exact_max_iterations):
        idx = np.flatnonzero((q >= tol) & (stalled < options.exact_patience))
        if idx.size == 0:
            break
        steps = _dogleg(newton[idx], gradient[idx], j_gradient[idx], radius[idx])
        candidate = h[idx] + steps
        r_candidate = _padded_call(residual_fn, candidate, rows(idx), per_point)
        q_candidate = 0.5 * np.sum(r_candidate * r_candidate, axis=1)
        # ρ = actual / predicted decrease of q, the prediction from ½‖r + J p‖².
        model = r[idx] + np.einsum("mij,mj->mi", jac[idx], steps)
        predicted = q[idx] - 0.5 * np.sum(model * model, axis=1)
        rho = np.where(
            np.isfinite(q_candidate) & (predicted > 0),
            (q[idx] - q_candidate) / np.maximum(predicted, 1e-300),
            -1.0,
        )
        step_norm = np.linalg.norm(steps, axis=1)
        grow = (rho > 0.75) & (step_norm > 0.99 * radius[idx])
        radius[idx] = np.where(
            rho < 0.25, 0.25 * step_norm, np.where(grow, 2.0 * radius[idx], radius[idx])
        )
        accept = np.isfinite(q_candidate) & (q_candidate < q[idx])
        slow = ~(q_candidate < q[idx] * (1.0 - options.exact_min_decrease))
        stalled[idx] = np.where(slow, stalled[idx] + 1, 0)
        n_iter[idx] += 1
        moved = idx[accept]
        if moved.size:
            h[moved] = candidate[accept]
            r[moved], jac[moved], newton[moved], gradient[moved], j_gradient[moved] = (
                linearize(h[moved], moved)
            )
            q[moved] = 0.5 * np.sum(r[moved] * r[moved], axis=1)
    return h, n_iter


def _evaluate_q(F: CellFn, points: np.ndarray, x: np.ndarray, per_point: bool) -> np.ndarray:
    """q at every point, in float64 (one batched call)."""
    with jax.enable_x64(True):
        q = jitted(_batched_speed, F, per_point)(points.astype(np.float64), x.astype(np.float64))
        return np.asarray(q, np.float64)


def _batched_speed(F: CellFn, per_point: bool, h: jax.Array, x: jax.Array) -> jax.Array:
    return jax.vmap(_speed(F), in_axes=(0, 0 if per_point else None))(h, x)


def find_fixed_points(
    F: CellFn,
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
                    p, k = _trust_region_newton(F, options, h[start:stop], chunk_x, per_point, tol)
            else:
                runner = jitted(_adam_descent, F, options, per_point)
                p, k = runner(h[start:stop], chunk_x, jnp.asarray(tol, dtype))
            points.append(np.asarray(p, np.float64))
            n_iter.append(np.asarray(k))
    points_all = np.concatenate(points) if points else np.zeros((0, h.shape[1]))
    q = _evaluate_q(F, points_all, x_arr, per_point)
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
    F: CellFn,
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


# ---------------------------------------------------------------------------------------------
# Save / load

_ARRAY_FIELDS = ("points", "q", "seed_index", "n_iterations", "converged", "x")
_FORMAT = "rnnctx_fixed_points/1"


def save_fixed_points(
    path: str | os.PathLike[str], result: FixedPointResult, metadata: dict | None = None
) -> None:
    """Write ``result`` to one ``.npz`` file: its arrays plus a JSON string holding the
    method, tol, options and your ``metadata`` (JSON-serialisable). Written atomically."""
    info = {
        "format": _FORMAT,
        "method": result.method,
        "tol": result.tol,
        "options": dataclasses.asdict(result.options),
        "metadata": metadata or {},
    }
    arrays = {name: getattr(result, name) for name in _ARRAY_FIELDS}
    arrays["metadata_json"] = np.array(json.dumps(info, sort_keys=True))
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_fixed_points(path: str | os.PathLike[str]) -> tuple[FixedPointResult, dict]:
    """Read a file written by :func:`save_fixed_points`: (result, your metadata)."""
    with np.load(os.fspath(path), allow_pickle=False) as data:
        info = json.loads(str(data["metadata_json"]))
        if info.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a fixed-point file ({info.get('format')!r})")
        arrays = {name: np.array(data[name]) for name in _ARRAY_FIELDS}
    result = FixedPointResult(
        options=FixedPointOptions(**info["options"]),
        method=info["method"],
        tol=float(info["tol"]),
        **arrays,
    )
    return result, info["metadata"]
