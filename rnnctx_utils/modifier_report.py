"""Chapter 4's tables, readings and glued numbers, built from one modifier analysis.

Every function here formats what :func:`rnnctx_utils.modifiers.modifier_analysis` (and, for
the worked occurrence, :func:`rnnctx_utils.context.in_context_scores`) computed; none of them
computes a new measurement, so the chapter's code cells show the analysis calls and these
functions only lay their results out. ``truth`` is the synthetic corpus's
:class:`~rnnctx_utils.synthetic.GroundTruth`, or None on a real corpus (no planted roles).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import analysis, context, modifiers
from rnnctx_utils.modifier_discovery import ModifierAnalysis

NO_ROLE = "—"

JACOBIAN_HEADER = ["rank by ‖ΔJ‖_F", "token", "‖ΔJ_inp‖_F", "rank by s (ours)", "occurrences",
                   "planted role"]
TOP_HEADER = ["rank", "token", "score s", "rank by ‖ΔJ‖_F", "occurrences", "selected",
              "planted role"]
GAIN_HEADER = ["token", "gain g(0)", "group (measured)", "selected", "planted role"]
RECOVERY_HEADER = ["planted modifier", "role", "α", "rank by s", "rank by ‖ΔJ‖_F",
                   "rank by ‖wᵀΔJ‖", "selected", "measured group"]
CUT_HEADER = ["k", "selected", "precision", "recall",
              "tokens (in the order they enter; italic: not in the answer set)"]
PAPER_HEADER = ["quantity", "P2", "this book"]

#: Robust z-rule of the text: k scaled MADs above the median log-score (scale of a normal).
MAD_K = 4.0
MAD_SCALE = 1.4826
#: The k of exercise ch4-ex-cut, from strict to loose.
CUT_KS = (4.0, 3.0, 2.5, 2.0, 1.5)


def planted_role(truth: Any, word: str) -> str:
    """The planted role of ``word`` ("negator", "valence", ...), "—" without a ground truth."""
    return truth.roles.get(word, NO_ROLE) if truth is not None else NO_ROLE


def scoring_lines(found: ModifierAnalysis) -> list[str]:
    """How many tokens were scored, from how much text, and what the cut selected."""
    n_scorable = int(np.sum(found.counts >= found.settings.min_occurrences))
    return [f"{len(found.words)} tokens, {n_scorable} of them seen at least "
            f"{found.settings.min_occurrences} times in {found.n_scored_docs:,} documents "
            f"({found.n_occurrences:,} occurrences) and scored; cut: {found.selection.rule}",
            f"selected as modifiers ({len(found.modifiers)}): {', '.join(found.modifiers)}"]


def jacobian_order(found: ModifierAnalysis) -> np.ndarray:
    """[V] token indices by decreasing P2's score ‖ΔJ_inp‖_F (ties in vocabulary order)."""
    return np.argsort(-found.jacobian_scores, kind="stable")


def jacobian_marks(found: ModifierAnalysis, n: int = 5) -> dict[str, float]:
    """The ``n`` tokens with the highest ‖ΔJ_inp‖_F and their scores, for the histogram."""
    return {found.words[i]: float(found.jacobian_scores[i]) for i in jacobian_order(found)[:n]}


def jacobian_rows(found: ModifierAnalysis, truth: Any, n: int = 20) -> list[list[Any]]:
    """Rows of :data:`JACOBIAN_HEADER`: the top ``n`` tokens by P2's score, with their rank by
    the in-context score ("unscored" when seen too rarely to have one)."""
    rows = []
    for rank, i in enumerate(jacobian_order(found)[:n]):
        word = found.words[i]
        scored = found.counts[i] >= found.settings.min_occurrences
        rows.append([rank + 1, f"`{word}`", f"{found.jacobian_scores[i]:.3g}",
                     found.rank(word) if scored else "unscored", int(found.counts[i]),
                     planted_role(truth, word)])
    return rows


def jacobian_valence(found: ModifierAnalysis, truth: Any, n: int = 20) -> tuple[int, str]:
    """How many of the top ``n`` tokens by ‖ΔJ_inp‖_F are planted valence words, and the
    sentence that reads it (a real corpus has no planted roles)."""
    top = [found.words[i] for i in jacobian_order(found)[:n]
           if planted_role(truth, found.words[i]) == "valence"]
    if top:
        text = (f"{len(top)} of these 20 are planted valence words ({', '.join(top)}): a strong "
                "valence word also kicks the state off the line on this network, so P2's "
                "expectation that valence words score low holds only in part here")
    elif truth is not None:
        text = "none of these 20 is a planted valence word, as P2's reasoning expects"
    else:
        text = ("a real corpus has no planted roles; chapter 4's section on real reviews shows "
                "the English modifier words among them")
    return len(top), text


class Occurrence(NamedTuple):
    """One occurrence of a token followed within two tokens by a strong valence word.

    word, word_id: the token; doc, step: where it occurs in the analysed documents;
    state_before: [S] the network's state just before it; next_ids: [K] the K =
    ``settings.context_tokens`` tokens after it whose reading the score compares.
    """

    word: str
    word_id: int
    doc: int
    step: int
    state_before: np.ndarray
    next_ids: np.ndarray


def example_word(found: ModifierAnalysis) -> str:
    """The worked example's token: "not", or the top-scoring token where there is no "not"."""
    return "not" if "not" in found.words else found.top(1)[0][0]


def example_occurrence(model: Any, cloud: Any, found: ModifierAnalysis) -> Occurrence | None:
    """The first occurrence of :func:`example_word` in the analysed documents followed within
    two tokens by a strong valence word (a bag-of-words weight beyond chapter 3's valence
    tails); None when there is none."""
    word = example_word(found)
    word_id = model.vocab.id(word)
    bow_w = np.asarray(model.bow_params["weights"])
    strong = np.abs(bow_w) >= np.sort(np.abs(bow_w[2:]))[-analysis.class_size(bow_w[2:])]
    toks, lens = np.asarray(cloud.tokens), np.asarray(cloud.lengths)
    at = next(((d, t) for d in range(len(lens)) for t in range(1, lens[d] - 2)
               if toks[d, t] == word_id and strong[toks[d, t + 1:t + 3]].any()), None)
    if at is None:
        return None
    d, t = at
    before = np.flatnonzero((cloud.doc_of_state == d) & (cloud.step_of_state == t - 1))[0]
    next_ids = toks[d, t + 1:t + 1 + found.settings.context_tokens]
    return Occurrence(word, word_id, d, t, cloud.states[before], next_ids)


def occurrence_rows(model: Any, cloud: Any, found: ModifierAnalysis, occurrence: Occurrence,
                    term: Any) -> list[list[str]]:
    """Rows of a (quantity, value) table: the text around ``occurrence``, the readout effects
    e(h_w) and e(h*(h_w)) of its next words (``term``: a one-occurrence
    :func:`~rnnctx_utils.context.in_context_scores` result), their difference and the token's
    mean over all its occurrences."""
    d, t, n_next = occurrence.doc, occurrence.step, len(occurrence.next_ids)
    toks = np.asarray(cloud.tokens)
    words = [model.vocab.tokens[i] for i in toks[d, max(0, t - 4):t + 1 + n_next]]
    e_w, e_star = float(term.effect[0]), float(term.effect_reference[0])
    example = occurrence.word
    return [["text around it", " ".join(words)],
            [f"e(h_w): readout change caused by the next {n_next} words, read "
             f"after \"{example}\"", f"{e_w:+.3f}"],
            ["e(h*(h_w)): the same words read from the nearest attractor point", f"{e_star:+.3f}"],
            ["this occurrence's term: the size of the difference of the two",
             f"{abs(e_w - e_star):.3f}"],
            [f"s({example}): the mean over its {int(found.counts[found.words.index(example)])} "
             "occurrences", f"{found.score(example):.3f}"]]


def score_marks(found: ModifierAnalysis) -> dict[str, float]:
    """The tokens marked on the score histogram: the selected modifiers (at most 8), or the top
    five tokens when none is selected."""
    return {w: found.score(w) for w in found.modifiers[:8] or [w for w, _ in found.top(5)]}


def top_rows(found: ModifierAnalysis, truth: Any, n: int = 20) -> list[list[Any]]:
    """Rows of :data:`TOP_HEADER`: the top ``n`` tokens by the in-context score."""
    return [[rank + 1, f"`{w}`", f"{s:.3g}", found.jacobian_rank(w),
             int(found.counts[found.words.index(w)]), "yes" if w in found.modifiers else "",
             planted_role(truth, w)] for rank, (w, s) in enumerate(found.top(n))]


def scored_mask(found: ModifierAnalysis) -> np.ndarray:
    """[V] bool: the tokens seen often enough to be scored."""
    return found.counts >= found.settings.min_occurrences


def score_summary(found: ModifierAnalysis) -> dict[str, Any]:
    """Chapter 4's glued numbers about the scores, by glue name: the vocabulary size, the number
    selected, the decades the nonzero scores span, the top five tokens, the top-20 tables by
    either score and the histograms (log10 edges and counts over the scored tokens) that the
    real-review summaries keep, and the robust z-rule of the text (the scaled MAD of the scored
    log-scores, the factor over the median that k = 4 asks for, and what it selects)."""
    seen = found.scores[found.scores > 0]  # rare tokens score 0
    jacobian_top = jacobian_order(found)[:20]
    scored = scored_mask(found)
    log_scores = np.log(found.scores[scored])
    mad = MAD_SCALE * float(np.median(np.abs(log_scores - np.median(log_scores))))
    z_cut = context.select_modifiers(found.scores, rule="mad", k=MAD_K, scored=scored)
    z_chosen = [found.words[i] for i in z_cut.order if z_cut.is_modifier[i]]
    values: dict[str, Any] = {
        "ch4_n_tokens": len(found.words),
        "ch4_n_selected": len(found.modifiers),
        "ch4_score_decades": float(np.log10(seen.max() / seen.min())),
        "ch4_top_tokens": ", ".join(w for w, _ in found.top(5)),
        "ch4_top20": [[w, float(s), found.jacobian_rank(w),
                       int(found.counts[found.words.index(w)])] for w, s in found.top(20)],
        "ch4_top20_jacobian": [[found.words[i], float(found.jacobian_scores[i]),
                                found.rank(found.words[i]), int(found.counts[i])]
                               for i in jacobian_top],
        "ch4_modifiers": list(found.modifiers),
        "ch4_mad": mad,
        "ch4_mad_factor": float(np.exp(MAD_K * mad)),
        "ch4_mad_selected": (f"{len(z_chosen)} tokens ({', '.join(z_chosen)})" if z_chosen
                             else "nothing"),
    }
    for key, score in (("ch4_hist_score", found.scores),
                       ("ch4_hist_jacobian", found.jacobian_scores)):
        counts, edges = np.histogram(np.log10(score[scored & (score > 0)]), bins=30)
        values[key] = [[round(float(e), 4) for e in edges], [int(c) for c in counts]]
    values["ch4_n_scorable"] = int(np.sum(found.scores > 0))
    return values


def scatter_words(found: ModifierAnalysis, truth: Any) -> list[str]:
    """The tokens labelled on the subspace scatter: the first 12 selected, a few reference words
    and, on the synthetic corpus, the planted modifiers (each once, in that order)."""
    words = list(found.modifiers[:12]) + [w for w in ("but", "the", ".", found.probes.valence)
                                          if w in found.words]
    if truth is not None:
        words += [w for w in truth.modifiers if w in found.words]
    return list(dict.fromkeys(words))


def gain_rows(found: ModifierAnalysis, truth: Any) -> list[list[Any]]:
    """Rows of :data:`GAIN_HEADER`: each grouped token's g(0) and measured group."""
    return [[f"`{w}`", f"{found.next_gains[w]:+.2f}", found.groups[w],
             "yes" if w in found.modifiers else "", planted_role(truth, w)]
            for w in found.next_gains]


def cosine_text(cosine: float) -> str:
    """The negator/intensifier cosine for the text, or why it is undefined."""
    return (f"{cosine:+.2f}" if np.isfinite(cosine)
            else "undefined (one of the two groups is empty on this model)")


def cosine_line(cosine: float) -> str:
    """The negator/intensifier cosine for the cell's output, or why it is undefined."""
    return (f"cosine(negators, intensifiers) = {cosine:+.2f}" if np.isfinite(cosine) else
            "cosine(negators, intensifiers): undefined, one of the two measured groups is empty")


class PlantedRecovery(NamedTuple):
    """Chapter 4's check against the planted modifiers.

    recovery: precision and recall (None on a real corpus); rows: rows of
    :data:`RECOVERY_HEADER` (empty on a real corpus); line: the cell's printed summary;
    glued: the glued numbers by name (nan without a planted truth); text: the paragraph below.
    """

    recovery: modifiers.Recovery | None
    rows: list[list[Any]]
    line: str
    glued: dict[str, Any]
    text: str


def planted_recovery(found: ModifierAnalysis, truth: Any, corpus: str) -> PlantedRecovery:
    """Precision and recall against the planted modifiers, the rank of each planted modifier by
    the three scores, and the best rank of any neutral or valence word (the bar they must
    clear); on a real corpus (``truth`` None) the reason there is nothing to report."""
    names = ("ch4_precision", "ch4_recall", "ch4_best_plain_rank",
             "ch4_best_plain_rank_jacobian", "ch4_worst_strong_rank")
    if truth is None:
        glued: dict[str, Any] = {name: float("nan") for name in names}
        glued["ch4_planted_text"] = "— (no planted truth on this corpus)"
        return PlantedRecovery(
            None, [], "real corpus: no planted modifiers; see the ranked table above", glued,
            f"This book was built on {corpus}, which has no planted modifiers, so there is no "
            "precision or recall to report: read the ranked table above instead, and compare "
            "it with the English negators and intensifiers you know.")
    rec = modifiers.recovery(found, truth)
    plain_words = [w for w in found.words if planted_role(truth, w) in ("neutral", "valence")]
    plain = [found.rank(w) for w in plain_words]
    plain_jacobian = [found.jacobian_rank(w) for w in plain_words]
    rows: list[list[Any]] = [
        [f"`{w}`", planted_role(truth, w), f"{truth.modifiers[w].alpha:+.1f}", found.rank(w),
         found.jacobian_rank(w), found.readout_rank(w),
         "yes" if w in found.modifiers else "no", found.groups.get(w, NO_ROLE)]
        for w in rec.planted]
    rows.append(["best neutral or valence word", "", "", min(plain), min(plain_jacobian),
                 min(found.readout_rank(w) for w in plain_words), "", ""])
    strong = [found.rank(w) for w in rec.planted
              if planted_role(truth, w) in ("negator", "intensifier")]
    line = (f"precision {rec.precision:.2f}, recall {rec.recall:.2f}; best-ranked neutral or "
            f"valence word: rank {min(plain)} by s, {min(plain_jacobian)} by ‖ΔJ‖_F; worst "
            f"negator or intensifier: rank {max(strong)}; missed: "
            f"{', '.join(rec.missed) or 'none'}; spurious: {', '.join(rec.spurious) or 'none'}")
    glued = dict(zip(names, (rec.precision, rec.recall, min(plain), min(plain_jacobian),
                             max(strong)), strict=True))
    glued["ch4_planted_text"] = (f"against the planted set: precision {rec.precision:.2f}, "
                                 f"recall {rec.recall:.2f}")
    text = (f"Precision {rec.precision:.2f} and recall {rec.recall:.2f}; the worst planted "
            f"negator or intensifier ranks {max(strong)} by our score, the best neutral or "
            f"valence word {min(plain)} (by ‖ΔJ‖_F the best neutral or valence word ranks "
            f"{min(plain_jacobian)}).")
    return PlantedRecovery(rec, rows, line, glued, text)


def paper_rows(found: ModifierAnalysis, decades: float, cosine: float,
               planted: PlantedRecovery) -> list[list[str]]:
    """Rows of :data:`PAPER_HEADER`: P2's chapter-4 findings next to this network's."""
    sub, rec = found.subspace, planted.recovery
    return [["score range (decades)", "≈ 4 (1e-4 to 1)", f"{decades:.1f}"],
            ["score", "‖ΔJ_inp‖_F at x₀ = 0", "in-context s (K = 2 following words)"],
            ["tokens in the heavy tail", "not, never, extremely, very, …",
             ", ".join(found.modifiers[:6]) or "none selected"],
            ["modifier subspace dimension", "low (2 shown)",
             f"{sub.dim} ({np.sum(sub.explained_variance_ratio[:sub.dim]):.2f} of variance)"],
            ["negators vs intensifiers", "different directions", f"cosine {cosine:+.2f}"],
            ["planted modifiers recovered (precision / recall)", "—",
             "—" if rec is None else f"{rec.precision:.2f} / {rec.recall:.2f}"]]


def cut_rows(found: ModifierAnalysis, answer: set[str],
             ks: tuple[float, ...] = CUT_KS) -> list[list[Any]]:
    """Rows of :data:`CUT_HEADER`: what the robust z-rule selects at each k, with its precision
    and recall against ``answer`` (the planted modifiers, or the English check list on a real
    corpus)."""
    rows: list[list[Any]] = []
    for k in ks:
        sel = context.select_modifiers(found.scores, rule="mad", k=k, scored=scored_mask(found))
        chosen = [found.words[i] for i in sel.order if sel.is_modifier[i]]
        hits = set(chosen) & answer
        rows.append([k, len(chosen), f"{len(hits) / max(len(chosen), 1):.2f}",
                     f"{len(hits) / max(len(answer), 1):.2f}",
                     ", ".join(w if w in answer else f"*{w}*" for w in chosen) or "—"])
    return rows
