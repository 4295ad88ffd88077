"""Small dynamical systems with analytic answers, shared by the toolkit tests."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

S, N_IN = 6, 3


def linear_system(
    seed: int = 0, spectral_radius: float = 0.8
) -> tuple[Callable[[jax.Array, jax.Array], jax.Array], np.ndarray, np.ndarray, np.ndarray]:
    """F = A h + B x + c with the given spectral radius, and A [S,S], B [S,N_IN], c [S] (float64).

    Its fixed point at input x is (I − A)⁻¹(c + B x) and its spectrum that of A.
    """
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(S, S))
    A = (spectral_radius * A / np.max(np.abs(np.linalg.eigvals(A)))).astype(np.float32)
    B = rng.normal(size=(S, N_IN)).astype(np.float32)
    c = rng.normal(size=S).astype(np.float32)
    Aj, Bj, cj = jnp.asarray(A), jnp.asarray(B), jnp.asarray(c)

    def F(h: jax.Array, x: jax.Array) -> jax.Array:
        return Aj @ h + Bj @ x + cj

    return F, A.astype(np.float64), B.astype(np.float64), c.astype(np.float64)


def line_attractor(
    seed: int = 0, size: int = 5
) -> tuple[Callable[[jax.Array, jax.Array], jax.Array], np.ndarray]:
    """F = P h + (I − P) tanh(K (I − P) h), P = u uᵀ: the line {s u} is made of fixed points.

    The Jacobian on the line is P + (I − P) K (I − P): eigenvalue exactly 1 along u.
    """
    rng = np.random.default_rng(seed)
    # A direction whose projector u uᵀ is exact in float32 (entries ±1/4), so the line is
    # exactly a line of fixed points of the float32 weights too.
    u = np.array([0.5, -0.5, 0.5, 0.5] + [0.0] * (size - 4))
    P = np.outer(u, u)
    K = rng.normal(size=(size, size))
    K = 0.6 * K / np.max(np.abs(np.linalg.eigvals(K)))
    Pj, Qj, Kj = (jnp.asarray(m, jnp.float32) for m in (P, np.eye(size) - P, K))

    def F(h: jax.Array, x: jax.Array) -> jax.Array:
        return Pj @ h + Qj @ jnp.tanh(Kj @ (Qj @ h)) + 0.0 * jnp.sum(x)

    return F, u
