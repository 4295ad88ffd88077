"""The toy chapter's sentences: the full schedule's summary and the mode attribution.

Both read finished results (the report of benchmarks/toy_full_schedule.py, read by
:func:`~rnnctx_utils.toy.tables.load_full_schedule`, and the chapter's
:class:`~rnnctx_utils.toy.probes.Ablation` results) and write the text the chapter glues.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from rnnctx_utils.toy.probes import Ablation
from rnnctx_utils.toy.tables import TABLE_ROWS, eigen_label, table_cells


class FullScheduleSummary(NamedTuple):
    """What the chapter glues about the full 40,000-step schedule.

    text: a markdown paragraph (its numbers, or how to produce the missing file);
    provenance: the table column's header note; cells: the column, one string per
    :data:`~rnnctx_utils.toy.tables.TABLE_ROWS` entry.
    """

    text: str
    provenance: str
    cells: dict[str, str]


def full_schedule_summary(full: dict[str, Any] | None) -> FullScheduleSummary:
    """Summarise the full-schedule report ``full`` (None: the file is not in this copy)."""
    if full is None:
        return FullScheduleSummary(
            "The file is not present in this copy, so the full schedule's numbers are not "
            "available; `.venv/bin/python benchmarks/toy_full_schedule.py` produces it (about "
            "80 minutes on two CPU cores).",
            "not run for this edition", dict.fromkeys(TABLE_ROWS, "not available"))
    numbers = full["numbers"]
    minutes = full["train_seconds"] / 60
    provenance = (f"run once, {full['trained_on']}, {minutes:.0f} min of training "
                  f"on {full['machine']['cores']} CPU cores")
    text = (
        f"It was run on {full['trained_on']} ({full['settings']['n_steps']:,} steps in "
        f"{minutes:.0f} minutes on {full['machine']['cores']} cores, "
        f"{full['machine']['cpu_model']}, commit `{full['git_commit']['commit'][:7]}`) and "
        f"reaches an evaluation MSE of {numbers['eval_mse']:.4f} (P2: ≈ 0.006), "
        f"{numbers['n_fixed_points']} unique fixed points at x* = 0 "
        f"({numbers['line_fraction']:.0f}% of their variance on one line; P2: 74), "
        f"|λ₁| = {numbers['lambda1']:.3f}, the \"not\" kick closest to "
        f"λ = {numbers['not_pair']} and the \"very\" kick closest to "
        f"λ = {numbers['very_mode']}; cutting the top-ranked mode (pair) from each "
        f"kick removes {numbers['not_removed']:.0f}% of \"not\" (λ = "
        f"{numbers['not_ranking'][0]['eigenvalue']}) and "
        f"{numbers['very_removed']:.0f}% of \"very\" (λ = "
        f"{numbers['very_ranking'][0]['eigenvalue']}); the linear prediction misses the "
        f"16 probes by at most {numbers['probe_linear_error']:.2f}.")
    # the column is formatted exactly as the book's own
    return FullScheduleSummary(text, provenance, table_cells(numbers))


def mode_kind(label: str) -> str:
    """"a complex pair" for an eigenvalue label with "±" (:func:`eigen_label`), else "a real
    mode"."""
    return "a complex pair" if "±" in label else "a real mode"


def attribution(name: str, label: str, percent: float) -> str:
    """One modifier's attribution: the mode (pair) whose cut removes most of its effect."""
    return f"\"{name}\" by cutting {mode_kind(label)}, λ = {label} ({percent:.0f}%)"


def attribution_text(ablations: Sequence[Ablation],
                     full_numbers: dict[str, Any] | None = None) -> str:
    """Which mode carries each modifier, in this book's model and (``full_numbers``: the full
    schedule's headline numbers) in the full schedule's, against P2's attribution; a removal
    above 105% is flagged as an overshoot (other modes partly cancel that mode)."""
    book_parts = [attribution(a.modifier, eigen_label(a.eigenvalues[a.ranking[0]]),
                              100 * a.removed[a.ranking[0]]) for a in ablations]
    overshoots = [a.modifier for a in ablations if a.removed[a.ranking[0]] > 1.05]
    text = "In this book's model the effect is removed most for " + " and ".join(book_parts) + "."
    if full_numbers is not None:
        top = {word: full_numbers[f"{word}_ranking"][0] for word in ("not", "very")}
        full_parts = [attribution(word, best["eigenvalue"], best["removed_percent"])
                      for word, best in top.items()]
        text += " In the full schedule's model: " + " and ".join(full_parts) + "."
        overshoots += [w for w, best in top.items() if best["removed_percent"] > 105]
    text += (" P2 attributes \"not\" to a complex pair and \"very\" to a real mode with λ ≈ 0: "
             "which kind of mode carries which modifier depends on the training run here, so "
             "the attribution is a property of one network, not of the task.")
    if overshoots:
        text += (" A removal above 100% (" + ", ".join(sorted(set(overshoots))) + ") overshoots: "
                 "without that mode the modifier's effect reverses, so the mode carries more "
                 "than the net effect and other modes partly cancel it.")
    return text
