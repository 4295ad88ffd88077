"""Contextual processing (P2): modifier tokens, their subspace, strength, timing and ablation.

A compatibility module: the methods live in modules with one job each, and every name is
re-exported here, so ``context.X`` keeps working.

- :mod:`rnnctx_utils.attractor_geometry`: the nearest attractor point, distances and
  coordinates off the attractor, the manifold direction, random control subspaces;
- :mod:`rnnctx_utils.rollouts`: rollouts and the ablated rollout of the necessity test (M8);
- :mod:`rnnctx_utils.modifier_scores`: modifier scores and the cut (M5);
- :mod:`rnnctx_utils.modifier_subspace`: deflections and the modifier subspace (M6);
- :mod:`rnnctx_utils.timing`: distance curves, exponential fits, time constants and the
  bootstrap of τ (M7a);
- :mod:`rnnctx_utils.gains`: gain curves, modifier groups and position gains (M7b);
- :mod:`rnnctx_utils.recovered_fraction`: the recovered fraction of the augmented
  bag-of-words and its bootstrap interval (M9).

Every function takes a cell function ``F(h [S], x [n_in]) -> [S]`` with its parameters bound
(for this book's models ``models.bound_step(params, cell_name)``), plus plain arrays, so it
applies to any recurrent network. The kernels are compiled once per ``F`` by the package's one
compile cache (:func:`rnnctx_utils._jit.jitted`, which holds ``F`` weakly): pass the same
function object again and nothing is recompiled.
"""

from __future__ import annotations

from rnnctx_utils._types import ArrayLike, StepFn
from rnnctx_utils.attractor_geometry import (
    SubspaceProjection,
    distance_from_attractor,
    initial_state_projection,
    manifold_direction,
    modifier_coordinates,
    nearest_attractor_point,
    random_subspace,
)
from rnnctx_utils.gains import (
    GainCurve,
    PositionGains,
    classify_modifier,
    gain_curve,
    position_gains,
)
from rnnctx_utils.modifier_scores import (
    InContextScores,
    ModifierScores,
    ModifierSelection,
    NullTest,
    in_context_scores,
    modifier_scores,
    null_test,
    random_kick_differences,
    select_modifiers,
)
from rnnctx_utils.modifier_subspace import (
    ModifierSubspace,
    deflections,
    modifier_subspace,
    token_projections,
)
from rnnctx_utils.recovered_fraction import (
    RecoveredFraction,
    bootstrap_recovered_fraction,
    recovered_fraction,
)
from rnnctx_utils.rollouts import (
    rollout,
    rollout_batch,
    rollout_projected,
    rollout_projected_batch,
)
from rnnctx_utils.timing import (
    ExponentialFit,
    ModifierTimescales,
    bootstrap_tau,
    fit_exponential,
    modifier_distance_curves,
    modifier_time_constants,
)

__all__ = [
    "ArrayLike",
    "ExponentialFit",
    "GainCurve",
    "InContextScores",
    "ModifierScores",
    "ModifierSelection",
    "NullTest",
    "ModifierSubspace",
    "ModifierTimescales",
    "PositionGains",
    "RecoveredFraction",
    "StepFn",
    "SubspaceProjection",
    "bootstrap_recovered_fraction",
    "bootstrap_tau",
    "classify_modifier",
    "deflections",
    "distance_from_attractor",
    "fit_exponential",
    "gain_curve",
    "in_context_scores",
    "null_test",
    "random_kick_differences",
    "initial_state_projection",
    "manifold_direction",
    "modifier_coordinates",
    "modifier_distance_curves",
    "modifier_scores",
    "modifier_subspace",
    "modifier_time_constants",
    "nearest_attractor_point",
    "position_gains",
    "random_subspace",
    "recovered_fraction",
    "rollout",
    "rollout_batch",
    "rollout_projected",
    "rollout_projected_batch",
    "select_modifiers",
    "token_projections",
]
