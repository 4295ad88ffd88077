"""Chapter 6's sufficiency test read out: the augmented bag-of-words members fitted on shared
data, their test correctness, recovered fractions, tables and the sentences the page glues.

The fits and the statistics are :mod:`rnnctx_utils.sufficiency` and
:func:`rnnctx_utils.context.bootstrap_recovered_fraction`; this module holds what every fit of
the chapter shares (:class:`FamilySetup`) and arranges the results for the page. Member keys as
in the chapter: "bow", "position", "modifiers", "both", "scan", "backward", "oracle",
"english", and "rnn" for the network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnctx_utils import augmented_bow as ab
from rnnctx_utils import context
from rnnctx_utils.analysis_settings import SufficiencySettings
from rnnctx_utils.sufficiency import (
    CountScan,
    FamilyFits,
    GroupResidual,
    baseline_l2,
    fit_family,
)


@dataclasses.dataclass(frozen=True)
class FamilySetup:
    """What every fit of the chapter shares, so that each member differs only in its modifier
    set and variant (nested over the same baseline, validated on the same split).

    train, test: splits of whole documents with ``tokens`` [N, L], ``lengths`` [N], ``labels``
    [N]; valid: (tokens, lengths, labels) of the validation split; vocab_size: V; baseline:
    (valence [V], bias) of the bag-of-words baseline; l2: the matching valence penalty
    (:func:`sufficiency.baseline_l2`); settings: the fits' steps, window and seed.
    """

    train: Any
    valid: tuple[np.ndarray, np.ndarray, np.ndarray]
    test: Any
    vocab_size: int
    baseline: tuple[np.ndarray, float]
    l2: float
    settings: SufficiencySettings

    def fit(self, modifier_ids: Sequence[int],
            variants: Sequence[str] = ab.VARIANTS) -> FamilyFits:
        """variant -> fit, by :func:`sufficiency.fit_family` on the shared data (its settings
        and penalty recorded in the result)."""
        return fit_family(self.train.tokens, self.train.lengths, self.train.labels,
                          self.vocab_size, modifier_ids, variants=variants,
                          settings=self.settings, baseline=self.baseline, valid=self.valid,
                          l2=self.l2)

    def test_correct(self, fit: ab.FitResult) -> np.ndarray:
        """[N_test] bool: the fitted member is right on each test document."""
        return ab.predict_correct(fit.params, fit.model, self.test.tokens, self.test.lengths,
                                  self.test.labels)


def nested_family(model: Any, train: Any, valid: Any, test: Any,
                  settings: SufficiencySettings) -> FamilySetup:
    """The book's setup: every member nested over the trained model's bag-of-words baseline
    (``model.bow_params`` weights [V] and bias; its C gives the matching penalty), validated
    on ``valid``, scored on ``test`` (splits with tokens, lengths, labels; ``train.n_docs``)."""
    baseline = (np.asarray(model.bow_params["weights"]), float(model.bow_params["bias"]))
    return FamilySetup(train, (valid.tokens, valid.lengths, valid.labels), test,
                       len(model.vocab), baseline,
                       baseline_l2(model.bow_metrics["C"], train.n_docs), settings)


def fit_summary(correct: dict[str, np.ndarray], fits: dict[str, ab.FitResult]) -> str:
    """Two lines: each member's test accuracy, and its validation accuracy at the kept step."""
    test = {k: round(float(c.mean()), 4) for k, c in correct.items()}
    valid = {v: f"{f.valid_accuracy:.4f} ({f.best_step})" for v, f in fits.items()}
    return f"{test}\nvalidation accuracy (kept step): {valid}"


def scan_rows(scan: CountScan) -> list[list[Any]]:
    """Rows (k, validation accuracy) of the modifier-count scan, k = 0 being bag-of-words."""
    return ([["0 (bag-of-words)", f"{scan.baseline_valid:.4f}"]]
            + [[k, f"{a:.4f}"] for k, a in zip(scan.k_grid, scan.valid_accuracy, strict=True)])


SCAN_HEADER = ["k (top tokens of chapter 4's ranking)", "validation accuracy, + modifiers"]


def member_labels(scan_k: int) -> dict[str, str]:
    """Member key -> its name on the page, in the order of the figure and the table."""
    return {"bow": "bag-of-words", "position": "+ position", "modifiers": "+ modifiers",
            "both": "+ both", "scan": f"+ both, top {scan_k} of the ranking (k on validation)",
            "backward": "+ both + backward [ours]",
            "oracle": "+ both, planted modifiers (oracle)",
            "english": "+ both, English modifier list (diagnosis)"}


def recovered_fractions(correct: dict[str, np.ndarray], labels: dict[str, str],
                        n_boot: int) -> dict[str, context.RecoveredFraction]:
    """Member -> recovered fraction of the RNN's gain over bag-of-words, with its paired
    bootstrap interval, for every fitted member but bag-of-words (in ``labels`` order)."""
    return {v: context.bootstrap_recovered_fraction(correct[v], correct["bow"], correct["rnn"],
                                                    n_boot=n_boot)
            for v in labels if v in correct and v != "bow"}


def family_table(labels: dict[str, str], correct: dict[str, np.ndarray],
                 recovered: dict[str, context.RecoveredFraction], rnn_name: str,
                 rule_accuracy: float | None) -> str:
    """Markdown table: test accuracy and recovered fraction of each fitted member, the RNN
    and (rule_accuracy not None: synthetic corpus) the planted rule."""
    rows = ["| model | test accuracy | recovered fraction [95% CI] |", "| --- | --- | --- |"]
    for v, name in labels.items():
        if v in correct:
            r = recovered.get(v)
            cell = "—" if r is None else f"{r.estimate:.2f} [{r.low:.2f}, {r.high:.2f}]"
            rows.append(f"| {name} | {correct[v].mean():.3f} | {cell} |")
    rows.append(f"| RNN ({rnn_name}) | {correct['rnn'].mean():.3f} | 1 (by definition) |")
    if rule_accuracy is not None:
        rows.append(f"| planted rule (ceiling) | {rule_accuracy:.3f} | — |")
    return "\n".join(rows)


def recovered_glue(recovered: dict[str, context.RecoveredFraction],
                   correct: dict[str, np.ndarray], n_test: int) -> dict[str, Any]:
    """The chapter's glued ch6_recovered_<member>[_low, _high], ch6_acc_<member> and
    ch6_n_test."""
    values: dict[str, Any] = {}
    for v, r in recovered.items():
        values |= {f"ch6_recovered_{v}": r.estimate, f"ch6_recovered_{v}_low": r.low,
                   f"ch6_recovered_{v}_high": r.high}
    for v in ("bow", "position", "modifiers", "both", "scan", "backward", "english", "rnn"):
        if v in correct:
            values[f"ch6_acc_{v}"] = float(correct[v].mean())
    values["ch6_n_test"] = n_test
    return values


def scan_text(scan_k: int, recovered: dict[str, context.RecoveredFraction],
              correct: dict[str, np.ndarray]) -> str:
    """The sentence on the member with the top k tokens of the ranking (or on its absence)."""
    if "scan" not in recovered:
        return ("No k of chapter 4's ranking beats bag-of-words on validation, so the scan "
                "adds no member.")
    r = recovered["scan"]
    return (f"With the top {scan_k} tokens of chapter 4's ranking as modifiers (k chosen on "
            f"validation), the \"+ both\" member reaches {correct['scan'].mean():.3f} and "
            f"recovers {r.estimate:.2f} [{r.low:.2f}, {r.high:.2f}] of the RNN's gain.")


def extra_members_text(recovered: dict[str, context.RecoveredFraction],
                       correct: dict[str, np.ndarray]) -> str:
    """The sentence on the members outside P2's family: backward, and the English list."""
    r = recovered["backward"]
    text = (f"The backward member [ours] reaches {correct['backward'].mean():.3f} "
            f"(recovered {r.estimate:.2f} [{r.low:.2f}, {r.high:.2f}])")
    if "english" in recovered:
        r = recovered["english"]
        text += (f"; with the English modifier list in place of the discovered modifiers "
                 f"(diagnosis), \"+ both\" reaches {correct['english'].mean():.3f} "
                 f"(recovered {r.estimate:.2f} [{r.low:.2f}, {r.high:.2f}])")
    return text + "."


def gamma_glue(mod_words: Sequence[str], gammas: np.ndarray) -> list[list[Any]]:
    """[[word, γ rounded to 3 digits], ...]: the backward member's learned factors."""
    return [[w, round(float(g), 3)] for w, g in zip(mod_words, gammas, strict=True)]


def group_table_rows(by_group: Sequence[GroupResidual], shown: Sequence[str]) -> list[list[Any]]:
    """Rows of the residual table by group: n, each shown model's accuracy, and the RNN's
    gain over bag-of-words in documents (rounded; "—" for an empty group)."""
    return [[r.group, r.n_docs, *(f"{r.accuracy[v]:.3f}" for v in shown),
             f"{round((r.accuracy['rnn'] - r.accuracy['bow']) * r.n_docs):+d}"
             if r.n_docs else "—"] for r in by_group]


def group_glue(by_group: Sequence[GroupResidual], shown: Sequence[str]) -> list[list[Any]]:
    """[[group, n, accuracy of each shown model (4 digits; None for an empty group)], ...]."""
    return [[r.group, r.n_docs, *(round(r.accuracy[v], 4) if r.n_docs else None
                                  for v in shown)] for r in by_group]
