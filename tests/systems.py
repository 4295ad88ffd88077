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
