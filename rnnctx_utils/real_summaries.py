"""The committed real-review summaries, ``book/data/real/<corpus>.json``, as tables and sentences.

``benchmarks/real_corpus_summary.py`` runs chapters 1–6 on SST-2 or IMDB from local files and
records every value the chapters glue. The default book is built on the synthetic corpus, where
P2's mechanism is planted; these files let every chapter show, next to its own synthetic
result, what the same code measured on natural text, without training on it at build time.

Nothing here computes a measurement: it reads recorded numbers and formats them, so a missing
number prints "—" and a reader sees which measurement found nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where the committed summaries live (the book's data folder, beside the package).
SUMMARY_DIR = Path(__file__).resolve().parents[1] / "book" / "data" / "real"
#: Corpus key -> display name, in the order the book shows them.
NAMES = {"sst2": "SST-2", "imdb": "IMDB"}
#: English negators, intensifiers, diminishers and contrastives: a *check* of what the method
#: selects, never an input of it.
CHECK_GROUPS: dict[str, tuple[str, ...]] = {
    "negators": ("not", "n't", "no", "never", "nothing", "without", "hardly"),
    "intensifiers": ("very", "extremely", "really", "so", "too", "quite", "pretty", "absolutely",
                     "incredibly", "highly", "most", "truly"),
    "contrastives": ("but", "though", "yet"),
    "diminishers": ("only", "just", "barely", "slightly", "somewhat"),
}
CHECK_LIST = tuple(word for words in CHECK_GROUPS.values() for word in words)
MISSING = "—"


@dataclass(frozen=True)
class RealSummary:
    """One corpus's recorded run of chapters 1–6.

    Attributes:
        corpus: the key (``"sst2"``, ``"imdb"``); name: its display name.
        description: where the splits come from.
        config: the configuration the chapters ran with (file names, no local paths).
        seconds: wall time of the whole run on the machine that wrote it.
        sources_digest: SHA-256 prefix of the package and chapter sources it ran.
        values: every glued value, by glue name.
    """

    corpus: str
    name: str
    description: str
    config: dict[str, Any]
    seconds: float
    sources_digest: str
    values: dict[str, Any] = field(repr=False)

    def get(self, key: str, default: Any = None) -> Any:
        """A recorded value, ``default`` when absent or not a finite number."""
        found = self.values.get(key, default)
        if isinstance(found, float) and not math.isfinite(found):
            return default
        return found

    def fmt(self, key: str, spec: str = "{:.2f}") -> str:
        """A recorded value formatted with ``spec``; "—" when the chapter recorded none."""
        found = self.get(key)
        if found is None:
            return MISSING
        try:
            return spec.format(found)
        except (ValueError, TypeError):
            return str(found)

    @property
    def rnn_gain(self) -> bool:
        """Whether the RNN beats bag-of-words on the test split (else nothing to recover)."""
        return bool(self.get("ch6_acc_rnn", 0.0) > self.get("ch6_acc_bow", 1.0))

    def recovered(self, member: str) -> str:
        """Chapter 6's recovered fraction of ``member`` with its 95% interval, or why none."""
        if not self.rnn_gain:
            return f"{MISSING} (the RNN does not beat bag-of-words: no gain to recover)"
        return (f"{self.fmt(f'ch6_recovered_{member}')} [{self.fmt(f'ch6_recovered_{member}_low')}"
                f", {self.fmt(f'ch6_recovered_{member}_high')}]")

    def on_check_list(self, key: str = "ch4_top20") -> list[str]:
        """Words of a recorded top-20 list (``ch4_top20``, ``ch4_top20_jacobian``) on the list."""
        return [row[0] for row in self.get(key, []) if row[0] in CHECK_LIST]


def load(folder: Path = SUMMARY_DIR) -> list[RealSummary]:
    """The summaries found in ``folder``, in :data:`NAMES` order; [] when there are none."""
    found = []
    for corpus, name in NAMES.items():
        path = folder / f"{corpus}.json"
        if not path.is_file():
            continue
        doc = json.loads(path.read_text())
        found.append(RealSummary(corpus, name, doc["description"], doc["config"],
                                 float(doc["seconds"]), doc["sources_digest"], doc["values"]))
    return found


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pipes in cells escaped)."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


Row = tuple[str, str, Callable[[RealSummary], str]]


def _words(s: RealSummary, key: str) -> str:
    words = s.get(key) or []
    if isinstance(words, str):
        return words or MISSING
    return ", ".join(words) or "none"


def _timing_row(s: RealSummary) -> str:
    rows = s.get("ch5_word_timing") or []
    if not rows:
        return MISSING
    return "; ".join(f"{w} {'—' if tau is None else f'{tau:.1f}'}" for w, tau, *_ in rows[:6])


#: Per chapter: (quantity, P2's value on Yelp, how to read it from a summary).
CHAPTER_ROWS: dict[str, list[Row]] = {
    "ch3": [
        ("test accuracy: GRU / bag-of-words (%)", "Yelp 95.8 / 93.4 (P1)",
         lambda s: f"{s.fmt('ch1_rnn_accuracy')} / {s.fmt('ch1_bow_accuracy')}"),
        ("top 2 / 3 PCs of the states (variance; untrained 3)", "≈ 0.9",
         lambda s: f"{s.fmt('ch3_trained_top2')} / {s.fmt('ch3_trained_top3')} "
                   f"({s.fmt('ch3_untrained_top3')})"),
        ("slow points: how many, variance on one line", "a line",
         lambda s: f"{s.fmt('ch2_n_slow', '{:,}')}, {s.fmt('ch3_slow_pc1', '{:.3f}')}"),
        ("median τ₁ / τ₂ / τ₅ along the line (tokens)", "hundreds to thousands / ≈ 100 / fast",
         lambda s: f"{s.fmt('ch3_tau1_median', '{:.0f}')} / {s.fmt('ch3_tau2_median', '{:.1f}')}"
                   f" / {s.fmt('ch3_tau5_median', '{:.1f}')}"),
        ("median |cos(r₁, readout)| (random 99th pct.)", "aligned",
         lambda s: f"{s.fmt('ch3_align_readout_median')} ({s.fmt('ch3_null_99')})"),
        ("l₁ᵀ J_inp x: positive / negative / neutral words", "separated",
         lambda s: f"{s.fmt('ch3_proj_positive', '{:+.3f}')} / "
                   f"{s.fmt('ch3_proj_negative', '{:+.3f}')} / "
                   f"{s.fmt('ch3_proj_neutral', '{:+.3f}')}"),
    ],
    "ch4": [
        ("scorable tokens (seen ≥ 20 times) / documents scored", "—",
         lambda s: f"{s.fmt('ch4_n_scorable', '{:,}')} / {s.get('ch4_n_scored_docs', MISSING)}"),
        ("check-list words in the top 20: in-context score / ‖ΔJ_inp‖_F", "not, never, very, "
         "extremely, but (P2's examples)",
         lambda s: f"{len(s.on_check_list())} / {len(s.on_check_list('ch4_top20_jacobian'))}"),
        ("selected by the cut (scores alone)", "—",
         lambda s: f"{s.fmt('ch4_n_selected', '{:d}')}: {_words(s, 'ch4_modifiers')}"),
        ("modifier subspace dimension (variance of deflections)", "2 shown",
         lambda s: f"{s.fmt('ch4_subspace_dim', '{:d}')} ({s.fmt('ch4_subspace_variance')})"),
        ("cosine of negator and intensifier deflections", "opposite",
         lambda s: s.get("ch4_cosine_text") or MISSING),
    ],
    "ch5": [
        ("τ of \"not\" vs \"extremely\" (tokens)", "≈ 2 vs ≈ 1",
         lambda s: f"{s.fmt('ch5_tau_not')} vs {s.fmt('ch5_tau_extremely')}"),
        ("τ(not) − τ(extremely) [95% bootstrap interval]", "≈ +1",
         lambda s: f"{s.fmt('ch5_tau_diff', '{:+.2f}')} [{s.fmt('ch5_tau_diff_low', '{:+.2f}')}, "
                   f"{s.fmt('ch5_tau_diff_high', '{:+.2f}')}]"),
        ("τ (distance) of the followed words (tokens)", "1–2", _timing_row),
        ("linear prediction of g(0): median relative error", "—",
         lambda s: s.fmt("ch5_linear_gain_error")),
        ("beginning weight / last-word weight (start and end untied)", "> 1 / ≠ 1",
         lambda s: f"{s.fmt('ch5_first_weight')} / {s.fmt('ch5_last_weight')}"),
        ("h₀'s deviation in the modifier subspace (fraction)", "in the subspace",
         lambda s: s.fmt("ch5_h0_fraction")),
    ],
    "ch6": [
        ("\"not\": g(0) intact → subspace removed (random)", "flip abolished",
         lambda s: f"{s.fmt('ch6_not_gain_intact', '{:+.2f}')} → "
                   f"{s.fmt('ch6_not_gain_ablated', '{:+.2f}')} "
                   f"({s.fmt('ch6_not_gain_random', '{:+.2f}')})"),
        ("energy control *[ours]*: \"not\" g(0) with a frequent-word subspace ⟂ the modifier "
         "subspace removed (its share of ordinary words' deflection energy)", "—",
         lambda s: f"{s.fmt('ch6_not_gain_control', '{:+.2f}')} "
                   f"({s.fmt('ch6_energy_control_ordinary', '{:.3f}')})"),
        ("accuracy on documents with modifiers: intact → removed (random)", "drops to BoW",
         lambda s: f"{s.fmt('ch6_acc_mod_intact', '{:.3f}')} → "
                   f"{s.fmt('ch6_acc_mod_ablated', '{:.3f}')} "
                   f"({s.fmt('ch6_acc_mod_random', '{:.3f}')})"),
        ("test accuracy: BoW / + modifiers + position / RNN", "—",
         lambda s: f"{s.fmt('ch6_acc_bow', '{:.3f}')} / {s.fmt('ch6_acc_both', '{:.3f}')} / "
                   f"{s.fmt('ch6_acc_rnn', '{:.3f}')}"),
        ("sufficiency: recovered fraction [95% CI]", "> 0.9", lambda s: s.recovered("both")),
        ("top k of the ranking, k chosen on validation *[ours]*", "—",
         lambda s: f"k = {s.fmt('ch6_scan_k', '{:d}')}: {_words(s, 'ch6_scan_words')}"),
        ("… its test accuracy; recovered fraction [95% CI]", "—",
         lambda s: f"{s.fmt('ch6_acc_scan', '{:.3f}')}; {s.recovered('scan')}"),
        ("+ both + backward *[ours]*: test accuracy; recovered fraction", "—",
         lambda s: f"{s.fmt('ch6_acc_backward', '{:.3f}')}; {s.recovered('backward')}"),
        ("+ both, English modifier list (diagnosis): test accuracy; recovered", "—",
         lambda s: f"{s.fmt('ch6_acc_english', '{:.3f}')}; {s.recovered('english')}"),
    ],
}


MODEL_NAMES = {"rnn": "RNN", "bow": "BoW", "both": "+ both", "backward": "+ backward",
               "english": "+ both, English list"}


def residual_table(s: RealSummary, key: str = "ch6_residual_groups",
                   first: str = "documents with") -> str:
    """Chapter 6's test accuracies by the kind of modifier word a document contains
    (``key`` "ch6_construction_rows", ``first`` "construction": by construction, see
    :mod:`rnnctx_utils.constructions`)."""
    rows, models = s.get(key) or [], s.get("ch6_residual_models") or []
    if not rows or not isinstance(rows, list):
        return f"{s.name}: no residual table recorded."
    body = []
    for group, n, *accuracies in rows:
        acc = dict(zip(models, accuracies, strict=True))
        gain = (f"{round((acc['rnn'] - acc['bow']) * n):+d}"
                if n and acc.get("rnn") is not None and acc.get("bow") is not None else MISSING)
        body.append([group, n, *(MISSING if a is None else f"{a:.3f}" for a in accuracies),
                     gain])
    return markdown_table([first, "n", *(MODEL_NAMES.get(m, m) for m in models),
                           "RNN − BoW (documents)"], body)


def chapter_table(chapter: str, summaries: Sequence[RealSummary]) -> str:
    """Chapter ``chapter``'s (``"ch3"``…``"ch6"``) quantities: P2 | one column per corpus."""
    if chapter not in CHAPTER_ROWS:
        raise ValueError(f"unknown chapter {chapter!r}; use one of {', '.join(CHAPTER_ROWS)}")
    rows = [[quantity, paper, *(read(s) for s in summaries)]
            for quantity, paper, read in CHAPTER_ROWS[chapter]]
    return markdown_table(["quantity", "P2 (Yelp)", *(s.name for s in summaries)], rows)


def section(chapter: str, summaries: Sequence[RealSummary]) -> str:
    """A chapter's "On real reviews" body: its table and the generated reading, or a note
    saying that no summary is committed."""
    if not summaries:
        return no_summaries_note()
    return chapter_table(chapter, summaries) + "\n\n" + reading(chapter, summaries)


def no_summaries_note(folder: Path = SUMMARY_DIR) -> str:
    """What to say when no summary is committed beside the package."""
    return (f"No real-review summary found in `{folder.name}/` (run "
            "`make real-summaries` with SST-2 or IMDB files to write one).")


#: Chapter 6's ⚙ verdicts (``ch6_verdict_<key>``), one row each on the results page.
VERDICT_CLAIMS = {
    "rnn_vs_bow": "A GRU classifies at least as well as bag-of-words",
    "top_pcs": "The top 2–3 PCs explain about 90% of the states' variance",
    "line": "The slow points lie on a line",
    "lambda1": "|λ₁| ≈ 1 along the line (τ₁ of hundreds of tokens or more)",
    "modifiers_found": "A few tokens modify how the next words are read",
    "subspace_dim": "Modifiers move the state into a low-dimensional subspace",
    "directions": "Negators and intensifiers deflect in opposite directions",
    "tau_order": "\"not\" lasts longer than \"extremely\"",
    "h0": "h₀ lies in the modifier subspace",
    "beginning": "The beginning of a document weighs more",
    "end": "The end of a document is processed differently",
    "necessity": "Necessity: removing the modifier subspace abolishes negation",
    "sufficiency": "Sufficiency: bag-of-words + modifiers + position recovers the RNN's gain",
}


def verdict_table(summaries: Sequence[RealSummary]) -> str:
    """Each ⚙ claim with chapter 6's verdict on every corpus (nothing is planted in them)."""
    rows = [[claim, *(s.get(f"ch6_verdict_{key}") or MISSING for s in summaries)]
            for key, claim in VERDICT_CLAIMS.items()]
    return markdown_table(["claim", *(f"{s.name} verdict" for s in summaries)], rows)


def _join(words: Sequence[str]) -> str:
    return ", ".join(words) if words else "none"


def _reading_ch3(s: RealSummary) -> str:
    top3, untrained, pc1, tau1 = (s.get(k) for k in ("ch3_trained_top3", "ch3_untrained_top3",
                                                      "ch3_slow_pc1", "ch3_tau1_median"))
    if None in (top3, untrained, pc1, tau1):
        return "chapter 3 recorded no line attractor numbers."
    kind = ("P1's line attractor" if pc1 > 0.9 and tau1 >= 100 else
            "a line, with a shorter memory than P1's" if pc1 > 0.9 else "no clear line")
    return (f"the top 3 PCs hold {top3:.2f} of the states' variance (untrained network "
            f"{untrained:.2f}); the slow points put {pc1:.3f} of their variance on one line, with "
            f"a median τ₁ of {tau1:.0f} tokens: {kind}.")


def _reading_ch4(s: RealSummary) -> str:
    listed, by_jacobian = s.on_check_list(), s.on_check_list("ch4_top20_jacobian")
    selected = list(s.get("ch4_modifiers") or [])
    outside = [w for w in selected if w not in CHECK_LIST]
    return (f"{len(listed)} of the top 20 by the in-context score are on the English list "
            f"({_join(listed)}), {len(by_jacobian)} of the top 20 by P2's ‖ΔJ_inp‖_F "
            f"({_join(by_jacobian)}); the cut keeps {len(selected)} ({_join(selected)})"
            + (f"; {_join(outside)} {'is' if len(outside) == 1 else 'are'} not on the list"
               if outside else "")
            + (" (\"ca\" is the first half of \"can't\", which the Penn Treebank tokenization "
               "of SST splits into \"ca n't\")" if "ca" in outside else "") + ".")


def _reading_ch5(s: RealSummary) -> str:
    tau_not, tau_ext = s.get("ch5_tau_not"), s.get("ch5_tau_extremely")
    if tau_not is None or tau_ext is None:
        return ("\"not\" or \"extremely\" is missing from the vocabulary, so P2's pair is not "
                "measured.")
    order = ("lasts longer than" if tau_not > tau_ext else "does not last longer than")
    low, high = s.get("ch5_tau_diff_low"), s.get("ch5_tau_diff_high")
    interval = ("" if low is None or high is None else
                f" (difference {tau_not - tau_ext:+.2f}, 95% bootstrap interval {low:+.2f} to "
                f"{high:+.2f}: " + ("its sign does not depend on where along the line the words "
                                   "are read" if low > 0 or high < 0 else
                                   "the interval includes 0") + ")")
    return (f"\"not\" (τ {tau_not:.2f} tokens) {order} \"extremely\" (τ {tau_ext:.2f})"
            f"{interval}; P2 reports ≈ 2 vs ≈ 1.")


def _reading_ch6(s: RealSummary) -> str:
    acc_bow, acc_rnn, acc_both = (s.get(f"ch6_acc_{k}") for k in ("bow", "rnn", "both"))
    if None in (acc_bow, acc_rnn, acc_both):
        return "chapter 6 recorded no accuracies."
    text = f"bag-of-words {acc_bow:.3f}, augmented {acc_both:.3f}, RNN {acc_rnn:.3f}; "
    verdict = s.get("ch6_verdict_sufficiency") or MISSING
    if not s.rnn_gain or verdict.startswith("not measurable"):
        text += ("the RNN's gain over bag-of-words is not above 0, so sufficiency (a share of "
                 "that gain) cannot be measured here")
    else:
        text += (f"the augmented model recovers {s.recovered('both')} of the RNN's gain "
                 f"(verdict: {verdict})")
    scan = s.get("ch6_acc_scan")
    if scan is not None:
        k = s.get("ch6_scan_k")
        top = "word" if k == 1 else "words"
        text += (f"; with the top {s.fmt('ch6_scan_k', '{:d}')} {top} of the ranking (k chosen "
                 f"on validation) it reaches {scan:.3f}")
    backward, english = s.get("ch6_acc_backward"), s.get("ch6_acc_english")
    if backward is not None:
        text += f"; with the backward member *[ours]* {backward:.3f}"
    if english is not None:
        text += (f"; with the English modifier list instead of the discovered modifiers "
                 f"(diagnosis) {english:.3f}")
    return text + "."


READINGS: dict[str, Callable[[RealSummary], str]] = {
    "ch3": _reading_ch3, "ch4": _reading_ch4, "ch5": _reading_ch5, "ch6": _reading_ch6}


def reading(chapter: str, summaries: Sequence[RealSummary]) -> str:
    """Chapter ``chapter``'s recorded real-review result in words, one paragraph per corpus,
    generated from the numbers (so the sentences say what the numbers say)."""
    return "\n\n".join(f"**{s.name}**: {READINGS[chapter](s)}" for s in summaries)


def _with_verdict(text: str, s: RealSummary, key: str | None) -> str:
    if key is None:
        return text
    return f"{text}; ⚙ {s.get(f'ch6_verdict_{key}') or MISSING}"


#: The results page's SST-2 and IMDB columns: row key -> (the value's text, its ⚙ verdict key).
RESULT_CELLS: dict[str, tuple[Callable[[RealSummary], str], str | None]] = {
    "rnn_vs_bow": (lambda s: f"GRU {s.fmt('ch1_rnn_accuracy', '{:.1f}')}, "
                             f"BoW {s.fmt('ch1_bow_accuracy', '{:.1f}')}", "rnn_vs_bow"),
    "top_pcs": (lambda s: f"{s.fmt('ch3_trained_top2')} / {s.fmt('ch3_trained_top3')}",
                "top_pcs"),
    "line": (lambda s: f"{s.fmt('ch3_slow_pc1')} on one line", "line"),
    "linearization": (lambda s: f"median {s.fmt('ch2_error_median', '{:.3f}')}", None),
    "lambda1": (lambda s: f"median τ₁ {s.fmt('ch3_tau1_median', '{:.0f}')}", "lambda1"),
    "slow_modes": (lambda s: f"τ₂ {s.fmt('ch3_tau2_median', '{:.1f}')}, "
                             f"τ₅ {s.fmt('ch3_tau5_median', '{:.1f}')}", None),
    "alignment": (lambda s: f"{s.fmt('ch3_align_readout_median')} "
                            f"(null {s.fmt('ch3_null_99')})", None),
    "projection": (lambda s: f"{s.fmt('ch3_proj_positive', '{:+.3f}')} / "
                             f"{s.fmt('ch3_proj_negative', '{:+.3f}')} / "
                             f"{s.fmt('ch3_proj_neutral', '{:+.3f}')}", None),
    "modifiers_found": (lambda s: f"{s.fmt('ch4_n_selected', '{:d}')} selected: "
                                  f"{_words(s, 'ch4_modifiers')}", "modifiers_found"),
    "subspace_dim": (lambda s: f"dimension {s.fmt('ch4_subspace_dim', '{:d}')}",
                     "subspace_dim"),
    "directions": (lambda s: f"cosine {s.get('ch4_cosine_text') or MISSING}", "directions"),
    "tau_order": (lambda s: f"{s.fmt('ch5_tau_not')} vs {s.fmt('ch5_tau_extremely')}"
                            + (f" (difference {s.fmt('ch5_tau_diff', '{:+.2f}')} "
                               f"[{s.fmt('ch5_tau_diff_low', '{:+.2f}')}, "
                               f"{s.fmt('ch5_tau_diff_high', '{:+.2f}')}])"
                               if s.get("ch5_tau_diff") is not None else ""), "tau_order"),
    "h0": (lambda s: f"{s.fmt('ch5_h0_fraction')} in the subspace", "h0"),
    "beginning": (lambda s: f"beginning weight {s.fmt('ch5_first_weight')}", "beginning"),
    "end": (lambda s: f"last-word weight {s.fmt('ch5_last_weight')}", "end"),
    "necessity": (lambda s: f"\"not\" g(0) {s.fmt('ch6_not_gain_intact', '{:+.2f}')} → "
                            f"{s.fmt('ch6_not_gain_ablated', '{:+.2f}')}", "necessity"),
    "sufficiency": (lambda s: (s.recovered("both") if s.rnn_gain else
                               f"BoW {s.fmt('ch6_acc_bow', '{:.3f}')} ≥ RNN "
                               f"{s.fmt('ch6_acc_rnn', '{:.3f}')}"), "sufficiency"),
}


def result_cell(s: RealSummary, row: str) -> str:
    """The results page's cell for ``row`` (a :data:`RESULT_CELLS` key) on corpus ``s``."""
    text, verdict_key = RESULT_CELLS[row]
    return _with_verdict(text(s), s, verdict_key)


def _largest_gain(rows: Sequence[Sequence[Any]], models: Sequence[str], rest: str
                  ) -> tuple[int, str, int, dict[str, Any], str] | None:
    """The residual row (``[name, n, accuracy of each model]``, the catch-all row ``rest``
    skipped) where the RNN is most documents ahead of bag-of-words: (gain in documents, name,
    n, model -> accuracy, the other members' accuracies as text); None without such a row."""
    gains = []
    for name, n, *accuracies in rows:
        acc = dict(zip(models, accuracies, strict=True))
        if n and name != rest and acc.get("rnn") is not None:
            gains.append((round((acc["rnn"] - acc["bow"]) * n), name, n, acc))
    if not gains:
        return None
    gain, name, n, acc = max(gains, key=lambda row: row[0])
    members = ", ".join(f"{MODEL_NAMES.get(m, m)} {acc[m]:.3f}" for m in models
                        if m not in ("rnn", "bow") and acc.get(m) is not None)
    return gain, name, n, acc, members


def residual_reading(s: RealSummary) -> str:
    """Chapter 6's residual table in words: where the RNN's gain is, and what closes it."""
    rows, models = s.get("ch6_residual_groups") or [], s.get("ch6_residual_models") or []
    if not isinstance(rows, list) or "rnn" not in models or "bow" not in models:
        return f"{s.name}: no residual table recorded."
    largest = _largest_gain(rows, models, "(none)")
    if largest is None:
        return f"{s.name}: no document contains a word of the list."
    gain, group, n, acc, members = largest
    if gain <= 0:
        return (f"{s.name}: the RNN is not ahead of bag-of-words in any group (closest: the {n} "
                f"documents with {group}, {gain:+d} documents; RNN {acc['rnn']:.3f}, "
                f"bag-of-words {acc['bow']:.3f}, augmented members {members}).")
    return (f"{s.name}: the RNN's gain over bag-of-words is largest on the {n} documents with "
            f"{group} ({gain:+d} documents; RNN {acc['rnn']:.3f}, bag-of-words {acc['bow']:.3f}); "
            f"there the augmented members reach {members}.")


def construction_reading(name: str, rows: Sequence[Sequence[Any]], models: Sequence[str],
                         follows_after: float | None, n_disagree: int | None) -> str:
    """Chapter 6's residuals by construction in words, from the glued rows
    (``[[construction, n, accuracy of each model in models], ...]``): where the RNN's gain over
    bag-of-words is largest, what the augmented members reach there, and how often a
    disagreeing "X but Y" follows Y."""
    largest = _largest_gain(rows, models, "neither")
    if largest is None:
        return f"{name}: no test document has one of these constructions."
    gain, construction, n, acc, members = largest
    if gain <= 0:
        text = (f"{name}: the RNN is not ahead of bag-of-words on any construction (closest: "
                f"{construction}, {n} documents, {gain:+d})")
    else:
        text = (f"{name}: the RNN's gain over bag-of-words is largest on \"{construction}\" "
                f"({n} documents, {gain:+d}; RNN {acc['rnn']:.3f}, bag-of-words "
                f"{acc['bow']:.3f}, {members})")
    if n_disagree and follows_after is not None and math.isfinite(follows_after):
        text += (f". In the {n_disagree} \"X but Y\" documents whose clauses disagree, the label "
                 f"has the sign of Y, the clause after \"but\", in {follows_after:.0%} of them")
    return text + "."


def construction_summary_reading(s: RealSummary) -> str:
    """:func:`construction_reading` of a recorded summary."""
    rows, models = s.get("ch6_construction_rows"), s.get("ch6_residual_models") or []
    if not rows or not isinstance(rows, list) or "rnn" not in models or "bow" not in models:
        return f"{s.name}: no residuals by construction recorded."
    return construction_reading(s.name, rows, models, s.get("ch6_but_follows_after"),
                                s.get("ch6_but_disagree"))
