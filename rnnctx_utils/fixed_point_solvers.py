"""The two fixed-point finders behind :func:`rnnctx_utils.fixed_points.find_fixed_points`.

- :func:`adam_descent` (``method="slow"``): Adam descent on q(h) = ½‖F(h, x) − h‖², batched
  in one jitted ``while_loop``, each point stopping once its own q < tol.
- :func:`trust_region_newton` (``method="exact"``): batched trust-region Newton (Powell's
  dogleg, as MINPACK's ``hybrj``) on the residual F(h, x) − h in float64.

Both take a cell ``F(h [S], x [n_in]) -> [S]`` with its parameters bound, a chunk of seeds and
the constant input; :func:`evaluate_q` gives q in float64 for the result.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnctx_utils._jit import jitted
from rnnctx_utils._types import StepFn
from rnnctx_utils.fixed_point_types import FixedPointOptions


def _speed(F: StepFn) -> Callable[[jax.Array, jax.Array], jax.Array]:
    def q(h: jax.Array, x: jax.Array) -> jax.Array:
        r = F(h, x) - h
        return 0.5 * jnp.sum(r * r)

    return q


def adam_descent(
    F: StepFn,
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
    F: StepFn, per_point: bool, h: jax.Array, x: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """r = F(h, x) − h [n, S] and its Jacobian ∂r/∂h [n, S, S], one forward-mode pass."""

    def one(v: jax.Array, u: jax.Array) -> tuple[jax.Array, jax.Array]:
        def with_aux(w: jax.Array) -> tuple[jax.Array, jax.Array]:
            r = F(w, u) - w
            return r, r

        jac, r = jax.jacfwd(with_aux, has_aux=True)(v)
        return r, jac

    return jax.vmap(one, in_axes=(0, 0 if per_point else None))(h, x)


def _residual(F: StepFn, per_point: bool, h: jax.Array, x: jax.Array) -> jax.Array:
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


def trust_region_newton(
    F: StepFn,
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


def evaluate_q(F: StepFn, points: np.ndarray, x: np.ndarray, per_point: bool) -> np.ndarray:
    """q at every point, in float64 (one batched call)."""
    with jax.enable_x64(True):
        q = jitted(_batched_speed, F, per_point)(points.astype(np.float64), x.astype(np.float64))
        return np.asarray(q, np.float64)


def _batched_speed(F: StepFn, per_point: bool, h: jax.Array, x: jax.Array) -> jax.Array:
    return jax.vmap(_speed(F), in_axes=(0, 0 if per_point else None))(h, x)
