"""The numbers and table strings of the toy chapter, and the full-schedule report it reads.

:func:`headline_numbers` turns a :class:`~rnnctx_utils.toy.analysis.ToyAnalysis` into the
plain values the chapter glues and tabulates; :func:`table_cells` formats one column of its
"authors vs this book" table; :func:`load_full_schedule` reads the report that
benchmarks/toy_full_schedule.py writes for the authors' 40,000-step schedule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rnnctx_utils.analysis import pca
from rnnctx_utils.toy.analysis import LINE_FRACTION, ToyAnalysis
from rnnctx_utils.toy.probes import Ablation

N_RANKED_MODES = 5  # ablation ranking entries kept per modifier


def eigen_label(value: complex) -> str:
    """An eigenvalue as text: "0.93" or "0.52 ± 0.31i" (a conjugate pair as one label)."""
    if abs(value.imag) < 1e-6:
        return f"{value.real:.2f}"
    return f"{value.real:.2f} ± {abs(value.imag):.2f}i"


def _readout_range(readouts: np.ndarray) -> str:
    return f"{readouts.min():+.1f} … {readouts.max():+.1f}"


def _complex_pair(value: complex) -> list[float]:
    """[re, im] of an eigenvalue (JSON has no complex numbers)."""
    return [float(np.real(value)), float(np.imag(value))]


def _ranking(ablation: Ablation, top: int = N_RANKED_MODES) -> list[dict[str, Any]]:
    """The ``top`` mode groups that remove most of the modifier's effect, most first."""
    return [{"eigenvalue": eigen_label(ablation.eigenvalues[g]),
             "value": _complex_pair(ablation.eigenvalues[g]),
             "modes": [int(m) for m in ablation.groups[g]],
             "removed_percent": float(100 * ablation.removed[g])}
            for g in ablation.ranking[:top]]


def headline_numbers(analysis: ToyAnalysis) -> dict[str, Any]:
    """The numbers the chapter states and tabulates, as plain JSON-serialisable values.

    Keys (the chapter glues each scalar as ``toy_<key>``; percentages are 0–100):
    eval_mse; n_fixed_points, n_fp_seeds, n_fp_converged, line_fraction (% of variance on
    PC 1), on_a_line (line_fraction ≥ 100·:data:`LINE_FRACTION`), fp_readout_range,
    n_noise_fixed_points, fp_noise_readout_range, visited_readout_range (5th–95th
    percentile); anchor, anchor_readout; lambda1 (|λ₁|), top_eigenvalues ([re, im] of the
    four largest); not_pair / very_mode (labels of the closest mode (pair)), not_value /
    very_value ([re, im]), not_is_complex_pair, not_rotation (degrees per token), very_abs,
    very_rank (modes with smaller |λ|), n_modes; probe_linear_error / probe_rule_error
    (largest |linear − true| / |true − rule| over the 16 probes), probe_correlation
    (Pearson r of linear vs true), probe_true_change / probe_linear_prediction ([4][4]);
    for m in not, very: m_gain_intact, m_removed (% removed by the top-ranked group),
    m_top_is_closest (the top-ranked group is the closest mode (pair)), m_ranking.
    """
    fixed, fixed_noise, spec, probes = (analysis.fixed, analysis.fixed_noise, analysis.spec,
                                        analysis.probes)
    line = pca(fixed.points).cumulative(1) if len(fixed.points) > 1 else 1.0
    low, high = np.percentile(analysis.visited_readouts, [5, 95])
    not_value = spec.eigenvalues[analysis.closest["not"][0]]
    very_value = spec.eigenvalues[analysis.closest["very"][0]]
    true, linear = probes.true_change.ravel(), probes.linear_prediction.ravel()
    numbers: dict[str, Any] = {
        "eval_mse": float(analysis.evaluation_mse),
        "n_fixed_points": len(fixed.points),
        "n_fp_seeds": int(fixed.n_seeds),
        "n_fp_converged": int(fixed.n_below_tolerance),
        "line_fraction": float(100 * line),
        "on_a_line": bool(line >= LINE_FRACTION),
        "fp_readout_range": _readout_range(fixed.readouts),
        "n_noise_fixed_points": len(fixed_noise.points),
        "fp_noise_readout_range": _readout_range(fixed_noise.readouts),
        "visited_readout_range": f"{low:+.1f} … {high:+.1f}",
        "anchor": int(analysis.anchor),
        "anchor_readout": float(fixed.readouts[analysis.anchor]),
        "lambda1": float(abs(spec.eigenvalues[0])),
        "top_eigenvalues": [_complex_pair(v) for v in spec.eigenvalues[:4]],
        "not_pair": eigen_label(not_value),
        "not_value": _complex_pair(not_value),
        "not_is_complex_pair": len(analysis.closest["not"]) == 2,
        "not_rotation": float(np.degrees(abs(np.angle(not_value)))),
        "very_mode": eigen_label(very_value),
        "very_value": _complex_pair(very_value),
        "very_abs": float(abs(very_value)),
        "very_rank": int(np.sum(np.abs(spec.eigenvalues) < abs(very_value))),
        "n_modes": len(spec.eigenvalues),
        "probe_linear_error": float(np.abs(linear - true).max()),
        "probe_rule_error": float(np.abs(true - probes.target.ravel()).max()),
        "probe_correlation": float(np.corrcoef(linear, true)[0, 1]),
        "probe_true_change": probes.true_change.tolist(),
        "probe_linear_prediction": probes.linear_prediction.tolist(),
    }
    for ablation in analysis.ablations:
        word, best = ablation.modifier, ablation.ranking[0]
        numbers[f"{word}_gain_intact"] = float(ablation.gain_intact)
        numbers[f"{word}_removed"] = float(100 * ablation.removed[best])
        numbers[f"{word}_top_is_closest"] = (
            set(ablation.groups[best]) == set(analysis.closest[word]))
        numbers[f"{word}_ranking"] = _ranking(ablation)
    return numbers


# The rows of the chapter's "authors vs this book" table that :func:`table_cells` fills.
TABLE_ROWS = ("eval_mse", "fixed_points", "noise_fixed_points", "lambda1", "not_mode",
              "very_mode", "probes", "not_removed", "very_removed")


def _removed_cell(numbers: dict[str, Any], word: str) -> str:
    top = numbers[f"{word}_ranking"][0]
    return f"{numbers[f'{word}_removed']:.0f}% (λ = {top['eigenvalue']})"


def table_cells(numbers: dict[str, Any]) -> dict[str, str]:
    """One column of the chapter's "authors vs this book" table from :func:`headline_numbers`,
    keyed by :data:`TABLE_ROWS` (the same text for every model, so the columns cannot be
    formatted differently)."""
    return {
        "eval_mse": f"{numbers['eval_mse']:.4f}",
        "fixed_points": (f"{numbers['n_fixed_points']}, {numbers['line_fraction']:.0f}% of "
                         f"variance on one line, readouts {numbers['fp_readout_range']}"),
        "noise_fixed_points": f"readouts {numbers['fp_noise_readout_range']}",
        "lambda1": f"{numbers['lambda1']:.3f}",
        "not_mode": numbers["not_pair"],
        "very_mode": numbers["very_mode"],
        "probes": (f"largest gap {numbers['probe_linear_error']:.2f} "
                   f"(r = {numbers['probe_correlation']:.3f})"),
        "not_removed": _removed_cell(numbers, "not"),
        "very_removed": _removed_cell(numbers, "very"),
    }


# The full 40,000-step schedule is run once, outside the book build, by
# benchmarks/toy_full_schedule.py; the chapter reads its numbers from this file.
FULL_SCHEDULE_PATH = (Path(__file__).resolve().parents[2] / "book" / "data"
                      / "toy_full_schedule.json")
# What the chapter reads from it: the table's numbers and the provenance of the run.
FULL_SCHEDULE_KEYS = ("numbers", "settings", "train_seconds", "trained_on", "machine",
                      "git_commit")


def load_full_schedule(path: Path | str | None = None) -> dict[str, Any] | None:
    """The full-schedule report written by benchmarks/toy_full_schedule.py, or None when the
    file does not exist (default :data:`FULL_SCHEDULE_PATH`)."""
    path = FULL_SCHEDULE_PATH if path is None else Path(path)
    if not path.exists():
        return None
    report: dict[str, Any] = json.loads(path.read_text())
    missing = [key for key in FULL_SCHEDULE_KEYS if key not in report]
    if missing:
        raise ValueError(f"{path} lacks {missing}; rerun benchmarks/toy_full_schedule.py")
    return report
