"""Chapter 2's tolerance sweep: its seeds, the readout coverage of each tolerance, a printout.

The sweep itself is :func:`rnnctx_utils.fixed_points.tolerance_sweep`; this module draws its
seeds and reads its results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnctx_utils.attractor_search import readout_coverage
from rnnctx_utils.states import readout_values


def sample_states(states: np.ndarray, n: int = 200, seed: int = 0) -> np.ndarray:
    """``min(n, len(states))`` distinct rows of ``states`` [N, S], drawn without replacement
    with ``np.random.default_rng(seed)`` (the seeds of the sweep): [n, S]."""
    rng = np.random.default_rng(seed)
    return states[rng.choice(states.shape[0], size=min(n, states.shape[0]), replace=False)]


def sweep_coverage(model: Any, sweep: Any, visited_range: tuple[float, float]) -> list[float]:
    """Per tolerance of ``sweep``: the fraction of the visited readout range ``visited_range``
    that the converged points' readouts cover."""
    return [readout_coverage(readout_values(model, result.points[result.converged]),
                             visited_range) for result in sweep.results]


def sweep_lines(sweep: Any, coverage: list[float]) -> list[str]:
    """One printed line per tolerance: seeds converged, distinct points, coverage."""
    return [f"q < {tol:.0e}: {n_conv:4d} seeds converged, {n_dist:4d} distinct, "
            f"coverage {cov:.2f}"
            for tol, n_conv, n_dist, cov in zip(sweep.tolerances, sweep.n_converged,
                                                sweep.n_distinct, coverage, strict=True)]
