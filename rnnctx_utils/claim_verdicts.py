"""The verdicts of the book's results page: each headline claim of P1 and P2 judged from the
quantity that decides it, by a stated rule [ours: the papers give no tolerances].

:func:`measure_checks` computes the deciding quantities from the same objects and package
functions chapters 3–5 use; :func:`claim_verdicts` applies the rules (see its docstring and
chapter 6's text) to them; the rest arranges them for the page (glue names ``ch6_verdict_*``,
``ch6_planted_*``, ``ch6_check_*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import analysis, linearize, modifiers
from rnnctx_utils import necessity_sufficiency as ns


class ClaimChecks(NamedTuple):
    """The quantities that decide the claims.

    acc_rnn, acc_bow: test accuracies; top3: variance share of the state cloud's top three
    PCs; line_pc1: of the slow points' first PC; lambda1_near_one: share of slow points with
    |λ₁| within 0.05 of 1; lambda1_verdict, tau1_median: :func:`ns.line_memory_verdict`;
    cosine: between the negator and intensifier deflections; tau_not, tau_extremely: their
    distance timescales (nan if not measured); tau_diff_low: low end of the 95% interval of
    τ(not) − τ(extremely); h0_fraction: share of h₀'s excursion in the modifier subspace;
    first_weight, last_weight: chapter 5's beginning and end weights.
    """

    acc_rnn: float
    acc_bow: float
    top3: float
    line_pc1: float
    lambda1_near_one: float
    lambda1_verdict: str
    tau1_median: float
    cosine: float
    tau_not: float
    tau_extremely: float
    tau_diff_low: float
    h0_fraction: float
    first_weight: float
    last_weight: float


def measure_checks(correct: dict[str, np.ndarray], cloud: Any, attractor: Any, F: Any,
                   n_inputs: int, mean_doc_len: float, model: Any, found: Any, timing: Any,
                   timing_words: Sequence[str]) -> ClaimChecks:
    """The deciding quantities, each computed as the chapter that reports it does.

    Args:
        correct: member -> [n] bool test correctness ("rnn", "bow" used).
        cloud: the state cloud (``states`` [N, S]); attractor: the line attractor (``points``
            [m, S]); F: the cell; n_inputs: E; mean_doc_len: mean test document length.
        found: chapter 4's modifier analysis; timing: chapter 5's timing analysis over
            timing_words.
    """
    nan = float("nan")
    top3 = analysis.pca(cloud.states).cumulative(3)  # as chapter 3
    line_pc1 = analysis.pca(attractor.points).cumulative(1)  # as chapter 3
    jac = linearize.recurrent_jacobians(F, attractor.points, n_inputs=n_inputs)
    lambda1 = np.abs(np.linalg.eigvals(jac)).max(axis=1)  # [m] |λ₁| per slow point
    lambda1_verdict, tau1 = ns.line_memory_verdict(lambda1, mean_doc_len)
    tau_not, tau_ext = (float(timing.tau_distance[timing_words.index(t)]) if t in timing_words
                        else nan for t in ("not", "extremely"))
    tau_diff_low = (timing.tau_difference("not", "extremely")[1]
                    if {"not", "extremely"} <= set(timing_words) else nan)
    # first- and last-word weights with the start and the end untied (chapter 5)
    return ClaimChecks(
        float(correct["rnn"].mean()), float(correct["bow"].mean()), top3, line_pc1,
        float(np.mean(np.abs(lambda1 - 1) < 0.05)), lambda1_verdict, tau1,
        modifiers.group_cosine(model, found, "negator", "intensifier"), tau_not, tau_ext,
        tau_diff_low, timing.h0_projection.fraction_in_subspace,
        timing.position_split.first_weight, timing.position_split.last_weight)


def modifiers_found(found: Any, truth: Any) -> tuple[bool, bool]:
    """(reproduced, partly) for "the modifiers are found": on the synthetic corpus precision and
    recall ≥ 0.8 against the planted set (partly: recall > 0); on a real one (truth None) "not"
    and an intensifier among the selected (partly: any selected)."""
    if truth is not None:
        rec = modifiers.recovery(found, truth)
        return rec.precision >= 0.8 and rec.recall >= 0.8, rec.recall > 0
    return ("not" in found.modifiers and bool({"very", "extremely"} & set(found.modifiers)),
            bool(found.modifiers))


def claim_verdicts(c: ClaimChecks, *, n_modifiers: int, found_ok: bool, found_partly: bool,
                   subspace_dim: int, necessity: str, sufficiency: str) -> dict[str, str]:
    """Claim key (:data:`ns.CLAIMS` order) -> 'reproduced' / 'partly' / 'not reproduced' /
    'not measured', by the rules stated in chapter 6."""
    return {
        "rnn_vs_bow": ns.verdict(c.acc_rnn, c.acc_rnn >= c.acc_bow,
                                 c.acc_rnn >= c.acc_bow - 0.02),
        "top_pcs": ns.verdict(c.top3, c.top3 >= 0.85, c.top3 >= 0.6),
        "line": ns.verdict(c.line_pc1, c.line_pc1 >= 0.9, c.line_pc1 >= 0.7),
        # P1's claim is |λ₁| ≈ 1 with τ₁ of hundreds to thousands of tokens: the rule asks for
        # the memory, not only for |λ₁| near 1 (|λ₁| = 0.985 is "near 1" and forgets in 67
        # tokens).
        "lambda1": c.lambda1_verdict,
        "modifiers_found": ns.verdict(float(n_modifiers), found_ok, found_partly),
        "subspace_dim": ns.verdict(subspace_dim, subspace_dim <= 3, subspace_dim <= 6),
        "directions": ns.verdict(c.cosine, c.cosine < 0.5, c.cosine < 0.9),
        "tau_order": ns.verdict(c.tau_not - c.tau_extremely, c.tau_diff_low > 0,
                                c.tau_not > c.tau_extremely),
        "h0": ns.verdict(c.h0_fraction, c.h0_fraction >= 0.5 and c.first_weight > 1,
                         c.h0_fraction >= 0.5 or c.first_weight > 1),
        "beginning": ns.verdict(c.first_weight, c.first_weight > 1.1, c.first_weight > 1.0),
        "end": ns.verdict(c.last_weight, abs(c.last_weight - 1) > 0.1,
                          abs(c.last_weight - 1) > 0.03),
        "necessity": necessity, "sufficiency": sufficiency,
    }


def planted_glue(synthetic: bool) -> dict[str, str]:
    """ch6_planted_<claim> (and _other): "planted: <why>" where the synthetic corpus's rule
    makes a claim true by construction, "discovered" for the rest; a real corpus plants
    nothing."""
    planted = ns.planted_effects() if synthetic else {}
    other = "discovered" if synthetic else "— (real corpus: nothing planted)"
    values = {f"ch6_planted_{name}": ("planted: " + planted[name]) if name in planted else other
              for name in ns.CLAIMS}
    values["ch6_planted_other"] = other
    return values


def check_glue(c: ClaimChecks) -> dict[str, float]:
    """ch6_check_<name>: the deciding quantities the results page prints."""
    values = {"top3": c.top3, "line_pc1": c.line_pc1, "lambda1_near_one": c.lambda1_near_one,
              "tau1_median": c.tau1_median, "negator_intensifier_cosine": c.cosine,
              "tau_not": c.tau_not, "tau_extremely": c.tau_extremely,
              "h0_fraction": c.h0_fraction, "first_weight": c.first_weight,
              "last_weight": c.last_weight}
    return {f"ch6_check_{name}": float(value) for name, value in values.items()}


def verdict_table(verdicts: dict[str, str]) -> str:
    """Markdown table claim | verdict."""
    return "\n".join(["| claim | verdict |", "| --- | --- |"]
                     + [f"| {k} | {v} |" for k, v in verdicts.items()])
