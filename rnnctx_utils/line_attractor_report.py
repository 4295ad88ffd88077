"""Chapter 3's reporting: the numbers it quotes about the line attractor, and its tables.

Everything here reads finished analyses (:func:`rnnctx_utils.analysis.attractor_modes`,
:func:`~rnnctx_utils.analysis.alignment`, :func:`~rnnctx_utils.analysis.pca`) or, for the
planted roles, the input Jacobian at one slow point; values meant for ``glue`` come back as
``{key: value}`` dicts without the chapter prefix (the chapter adds ``ch3_``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils.attractor_modes import input_projections

#: |λ₁| within this distance of 1 counts as "at 1" (an integrator over the documents' lengths).
BAND = 0.02

#: The planted roles tabulated, in the table's order (valence split by sign).
ROLES = ("valence", "negator", "intensifier", "diminisher", "contrast", "neutral")


def top_mode_numbers(modes: Any, max_doc_len: int, band: float = BAND) -> dict[str, Any]:
    """The top mode along the line: |λ₁| range, how much of it is at 1, and time constants.

    ``modes``: :func:`~rnnctx_utils.analysis.attractor_modes` at P slow points
    (eigenvalues [P, S] sorted by |λ|, time_constants [P, S]). Keys: top_eig_min, top_eig_max,
    frac_band (|λ₁| within ``band`` of 1), frac_above_one, frac_tau_doc (τ₁ longer than a
    document of ``max_doc_len`` tokens), max_doc_len, tau1_median, tau2_median, tau5_median.
    """
    top_abs = np.abs(modes.eigenvalues[:, 0])
    tau1 = modes.time_constants[:, 0]
    return {"top_eig_min": float(top_abs.min()), "top_eig_max": float(top_abs.max()),
            "frac_band": float(np.mean(np.abs(top_abs - 1) < band)),
            "frac_above_one": float(np.mean(top_abs > 1)),
            "frac_tau_doc": float(np.mean(tau1 > max_doc_len)), "max_doc_len": max_doc_len,
            "tau1_median": float(np.median(tau1)),
            "tau2_median": float(np.median(modes.time_constants[:, 1])),
            "tau5_median": float(np.median(modes.time_constants[:, 4]))}


def top_mode_line(numbers: dict[str, Any], band: float = BAND) -> str:
    """One printed line of :func:`top_mode_numbers`."""
    return (f"|λ1| from {numbers['top_eig_min']:.4f} to {numbers['top_eig_max']:.4f}; within "
            f"±{band} of 1 at {numbers['frac_band']:.0%} of the points; median τ1 "
            f"{numbers['tau1_median']:.0f} tokens, τ2 {numbers['tau2_median']:.0f}, "
            f"τ5 {numbers['tau5_median']:.0f}")


class RolePushes(NamedTuple):
    """Mean push l₁ᵀ J_inp x along the integrating mode, per planted role (synthetic corpus).

    rows: [role, number of words, mean push as "+0.123"] per role with words in the
    vocabulary (valence split into "valence +" and "valence −"); push: role -> mean push;
    negator_ratio, intensifier_ratio: the role's mean push over the mean |push| of the two
    valence signs (NaN when the role has no words).
    """

    rows: list[list[Any]]
    push: dict[str, float]
    negator_ratio: float
    intensifier_ratio: float


def role_pushes(model: Any, truth: Any, left: np.ndarray, jacobian: np.ndarray) -> RolePushes:
    """The mean push of each planted role's words at one slow point (``left``: [S] the top
    left eigenvector there, ``jacobian``: [S, E] the input Jacobian there)."""
    rows, push = [], {}
    for role in ROLES:
        words = [x for x in truth.words_with_role(role) if x in model.vocab]
        if role == "valence":
            groups = [(name, [x for x in words if np.sign(truth.valence[x]) == sign])
                      for sign, name in ((1, "valence +"), (-1, "valence −"))]
        else:
            groups = [(role, words)] if words else []
        for name, chosen in groups:
            values = input_projections(model, left, jacobian, chosen)
            push[name] = float(np.mean(values))
            rows.append([name, len(chosen), f"{np.mean(values):+.3f}"])
    valence_scale = (abs(push["valence +"]) + abs(push["valence −"])) / 2
    return RolePushes(rows, push, push.get("negator", np.nan) / valence_scale,
                      push.get("intensifier", np.nan) / valence_scale)


def valence_correlation(model: Any, truth: Any, left: np.ndarray,
                        jacobian: np.ndarray) -> float:
    """Correlation, over the positive planted words in the vocabulary, of the planted valence
    with the push l₁ᵀ J_inp x (``left`` [S], ``jacobian`` [S, E] as in :func:`role_pushes`)."""
    positive_words = [x for x in truth.valence if truth.valence[x] > 0 and x in model.vocab]
    planted = np.array([truth.valence[x] for x in positive_words])
    projected = input_projections(model, left, jacobian, positive_words)
    return float(np.corrcoef(planted, projected)[0, 1])


def paper_rows(trained: Any, untrained: Any, slow_pca: Any, top: dict[str, Any],
               align_w: Any, align_m: Any, groups: dict[str, np.ndarray]) -> list[list[str]]:
    """Rows [quantity, P1, this book] of the chapter's comparison with the paper.

    trained, untrained, slow_pca: :func:`~rnnctx_utils.analysis.pca` of the trained and
    untrained networks' states and of the slow points; top: :func:`top_mode_numbers`;
    align_w, align_m: alignment of r₁ with the readout and the manifold direction; groups:
    the pushes l₁ᵀ J_inp x of the positive, negative and neutral words.
    """
    return [
        ["variance in top 2 / 3 PCs (trained)", "≈ 90%",
         f"{trained.cumulative(2):.1%} / {trained.cumulative(3):.1%}"],
        ["variance in top 3 PCs (untrained)", "much less", f"{untrained.cumulative(3):.1%}"],
        ["fixed points on a 1-D manifold", "yes",
         f"{slow_pca.cumulative(1):.1%} of slow-point variance on one PC"],
        ["|λ₁| along the manifold", "≈ 1", f"{top['top_eig_min']:.4f} – {top['top_eig_max']:.4f}"],
        ["τ₁ (tokens)", "hundreds to thousands", f"median {top['tau1_median']:.0f}"],
        ["r₁ vs readout: |cos| (null 99th pct.)", "aligned",
         f"{np.median(align_w.cosines):.3f} ({align_w.null_99:.3f})"],
        ["r₁ vs manifold: |cos|", "aligned", f"{np.median(align_m.cosines):.3f}"],
        ["l₁ᵀ J_inp x: positive / negative / neutral", "> 0 / < 0 / ≈ 0",
         " / ".join(f"{np.mean(groups[k]):+.3f}" for k in ("positive", "negative", "neutral"))]]
