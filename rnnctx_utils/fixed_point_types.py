"""The settings and the result of the fixed-point finders (:mod:`rnnctx_utils.fixed_points`).

:class:`FixedPointOptions` holds every tunable of the two methods, with the defaults that work
on a trained GRU; :class:`FixedPointResult` is what a search returns (one point per seed, its
q, whether it converged, and the settings it ran with). Shared by the finders
(:mod:`rnnctx_utils.fixed_point_solvers`), the post-processing in
:mod:`rnnctx_utils.fixed_points` and the files of :mod:`rnnctx_utils.fixed_points_io`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from rnnctx_utils._types import ArrayLike


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
