"""Type aliases shared by the analysis modules of the modifier pipeline (M5–M9).

``StepFn``: a cell function ``F(h [S], x [n_in]) -> [S]`` with its parameters bound (for this
book's models ``models.bound_step(params, cell_name)``). ``ArrayLike``: a JAX or NumPy array.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

StepFn = Callable[[jax.Array, jax.Array], jax.Array]
ArrayLike = jax.Array | np.ndarray
