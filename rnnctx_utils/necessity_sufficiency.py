"""Chapter 6's two tests of the modifier mechanism: necessity (M8) and sufficiency (M9).

Necessity [ours]: run the trained network while removing, after every token, the component of
the state's deviation from the line attractor that lies in the modifier subspace
(:func:`rnnctx_utils.context.rollout_projected_batch`), and compare with the same surgery on
random subspaces of the same dimension, orthogonal to the attractor (the control).

Sufficiency [ours, in P2's spirit]: fit the augmented bag-of-words family of
:mod:`rnnctx_utils.augmented_bow` on the training split and ask which share of the RNN's test
accuracy gain over plain bag-of-words it recovers
(:func:`rnnctx_utils.context.bootstrap_recovered_fraction`).

The two tests live in :mod:`rnnctx_utils.necessity` and :mod:`rnnctx_utils.sufficiency`
(settings: :class:`~rnnctx_utils.analysis_settings.SufficiencySettings`), re-exported here; this
module judges the paper's claims: the verdicts, and which claims the synthetic corpus plants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnctx_utils import context
from rnnctx_utils._types import StepFn
from rnnctx_utils.analysis_settings import SufficiencySettings
from rnnctx_utils.necessity import (
    Spread,
    documents_with,
    final_logits,
    next_token_gain,
    probe_logits,
    projected_step,
    spread,
)
from rnnctx_utils.sufficiency import (
    AccuracyGap,
    CountScan,
    FamilyFits,
    GroupResidual,
    Residual,
    baseline_l2,
    fit_family,
    residuals_by_group,
    residuals_by_mask,
    residuals_by_token,
    rnn_correct,
    rnn_gain_interval,
    scan_modifier_count,
)

__all__ = [
    "CLAIMS", "AccuracyGap", "CountScan", "FamilyFits", "GroupResidual", "Residual", "Spread",
    "StepFn",
    "SufficiencySettings", "baseline_l2", "documents_with", "final_logits", "fit_family",
    "line_memory_verdict", "next_token_gain", "planted_effects", "probe_logits",
    "projected_step", "residuals_by_group", "residuals_by_mask", "residuals_by_token",
    "rnn_correct", "rnn_gain_interval", "scan_modifier_count", "spread", "sufficiency_verdict",
    "verdict",
]


def sufficiency_verdict(recovered: context.RecoveredFraction, gain: AccuracyGap) -> str:
    """P2's sufficiency claim judged: 'reproduced' at a recovered fraction ≥ 0.9, 'partly' at
    ≥ 0.5 (or an interval reaching 0.9), 'not measurable' when the RNN's gain over
    bag-of-words is not above 0 at 95%."""
    if gain.low <= 0:
        return "not measurable (no RNN gain over bag-of-words)"
    return verdict(recovered.estimate, recovered.estimate >= 0.9,
                   recovered.high >= 0.9 or recovered.estimate >= 0.5)


def verdict(value: float, reproduced: bool, partly: bool) -> str:
    """'reproduced' / 'partly' / 'not reproduced' from two tests on a measured value (nan:
    'not measured')."""
    if not np.isfinite(value):
        return "not measured"
    if reproduced:
        return "reproduced"
    return "partly" if partly else "not reproduced"


def line_memory_verdict(top_eigenvalues: np.ndarray, mean_doc_len: float) -> tuple[str, float]:
    """P1's claim "|λ₁| ≈ 1 along the line, τ₁ of hundreds to thousands of tokens", judged.

    Args:
        top_eigenvalues: [m] |λ₁| of the recurrent Jacobian at each slow point.
        mean_doc_len: mean document length (tokens) of the corpus.
    Returns:
        (verdict, median τ₁ in tokens), τ₁ = −1/ln|λ₁|. Reproduced: median τ₁ ≥ 100 tokens and
        |λ₁| within 0.05 of 1 at ≥ 90% of the points; partly: τ₁ at least the mean document
        length (the line remembers a typical document) and ≥ 50% of the points near 1.
    """
    magnitude = np.minimum(np.abs(np.asarray(top_eigenvalues, np.float64)), 1 - 1e-12)
    tau1 = float(np.median(-1.0 / np.log(magnitude)))
    near_one = float(np.mean(np.abs(magnitude - 1) < 0.05))
    return verdict(tau1, tau1 >= 100 and near_one >= 0.9,
                   tau1 >= mean_doc_len and near_one >= 0.5), tau1


# ---------------------------------------------------------------------------------------------
# Planted or discovered: what the synthetic corpus guarantees by construction

#: Verdict keys of the claims the book measures (chapter 6's ``ch6_verdict_<key>``).
CLAIMS = ("rnn_vs_bow", "top_pcs", "line", "lambda1", "modifiers_found", "subspace_dim",
          "directions", "tau_order", "h0", "beginning", "end", "necessity", "sufficiency")


def planted_effects(modifiers: Any = None, position: Any = None) -> dict[str, str]:
    """The claims that the synthetic corpus's label rule makes true by construction, and why.

    Computed from the generator's own parameters (default: those the book's corpus is generated
    with, :data:`rnnctx_utils.synthetic.MODIFIERS` and ``DEFAULT_POSITION``), so the results
    page's planted/discovered marking follows the corpus. A claim not in the result is
    *discovered*: the rule says nothing about how a network implements it (a line attractor,
    a low-dimensional modifier subspace, opposite directions, ablation).

    Returns:
        claim key (of :data:`CLAIMS`) -> one sentence naming the planted parameter.
    """
    from rnnctx_utils import synthetic  # noqa: PLC0415

    modifiers = synthetic.MODIFIERS if modifiers is None else modifiers
    position = synthetic.DEFAULT_POSITION if position is None else position
    planted: dict[str, str] = {}
    if modifiers or position.beta_begin or position.beta_end:
        planted["rnn_vs_bow"] = "the rule has effects a bag of words lacks"
        planted["sufficiency"] = "the family has the rule's form"
    if modifiers:
        planted["modifiers_found"] = f"{len(modifiers)} modifier words"
    if "not" in modifiers and "extremely" in modifiers and (
            modifiers["not"].tau > modifiers["extremely"].tau):
        planted["tau_order"] = (f"τ(not) = {modifiers['not'].tau:g}, "
                                f"τ(extremely) = {modifiers['extremely'].tau:g}")
    if position.beta_begin > 0:
        planted["beginning"] = f"β_b = {position.beta_begin:g}"
        planted["h0"] = "the first-word weight (β_b); where h₀ lies is discovered"
    if position.beta_end != 0:
        planted["end"] = f"β_e = {position.beta_end:g}"
    return planted
