"""The analyses' settings: frozen dataclasses with documented defaults, no global state.

Every analysis takes its settings as an argument (``settings=``, default: the class's default
instance), records them in its result (a ``settings`` field) and, where it is cached, in its
cache key (:func:`rnnctx_utils.analysis_cache.cache_key`). A reader who wants another value
passes another instance, e.g. ``timing_analysis(model, attractor, found,
settings=TimingSettings(fit_tokens=9))``; nothing is changed for anyone else.

The defaults are the book's: chapters 2–6 use them, and share one attractor and one modifier
set because they do.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass


@dataclass(frozen=True)
class AttractorSettings:
    """How the line attractor is found (P1 M2, :func:`rnnctx_utils.analysis.line_attractor`).

    n_seeds: visited states used as seeds; None: the book's configured number
        (``TrainedModel.config.n_fixed_point_seeds``), else ``fallback_seeds``.
    fallback_seeds: seeds when neither ``n_seeds`` nor the book's configuration gives a number
        (a reader's own network): 1000.
    slow_tol: q below which a point is a slow point. 1e-5 keeps points whose speed
        ‖F(h) − h‖ is below ~4.5e-3 per token, slow enough that the state stays put for
        hundreds of tokens, while still covering the readout range of the visited states
        (tighter tolerances shrink the cloud onto the few exact roots; see chapter 2's
        tolerance sweep and paper.md M5).
    exact_tol: q below which a point is an exact fixed point (float64 Newton): 1e-20.
    dedup_radius: points closer than this are one point: 1e-3.
    seed: of the seeds' draw from the state cloud and of their nudge: 0.
    """

    n_seeds: int | None = None
    fallback_seeds: int = 1000
    slow_tol: float = 1e-5
    exact_tol: float = 1e-20
    dedup_radius: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class ModifierSettings:
    """How modifiers are scored, cut, spanned and grouped (chapter 4, M5–M6, M7b's g(0)).

    Chapters 4, 5 and 6 use one instance (the default), so they analyse the same modifier set
    and the same subspace; :func:`rnnctx_utils.modifiers.modifier_analysis` records it in its
    result (``found.settings``), and the gains measured later (chapter 5's timing, chapter 6's
    ablation) read ``n_after`` and ``n_gain_starts`` from there, so g(0) is measured the same
    way everywhere.

    n_refs: reference points along the attractor (``analysis.reference_points``): 20.
    min_tokens: fewest top tokens whose deflections define the subspace: 3.
    variance: fraction of the deflections' sum of squares the subspace explains: 0.9.
    n_frequent: the filler probe is chosen among this many most frequent tokens: 200.
    cut_rule: the rule of :func:`rnnctx_utils.context.select_modifiers`: "gap", the largest
        gap between consecutive log-scores among the top 50 (the robust-z rule "mad" selected
        nothing on this book's models: see the modifiers module).
    context_tokens: words after each occurrence whose reading the in-context score compares:
        2, because negators often reach the valence word through an intensifier ("not very
        good") and P2's τ for "not" is about two tokens.
    n_after: filler tokens after the valence word before its effect on the readout is read
        (in-context score and gains): 5.
    min_occurrences: tokens seen fewer times than this in the analysed documents are not
        scored (score 0): 20. The score is a mean over occurrences, and on a real corpus
        (IMDB, 1,000 documents) the top of an unfiltered ranking is names and typos seen once
        or twice ("luise", "toni"), pure noise.
    score_occurrences_per_word, max_score_occurrences: the in-context score needs text, at
        least 100 occurrences per vocabulary word, up to a cap of 200,000 (compute). When the
        analysis documents hold fewer (SST-2's 872 test sentences: 17,600 occurrences for a
        vocabulary of 15,000, so only 91 tokens reached ``min_occurrences``), training
        documents are added: the score uses no labels.
    n_grouped: gains (and groups) are measured for at least this many top-scoring tokens: 10.
    n_gain_starts: reference points from the middle half of the line the gains start from: 5.
    """

    n_refs: int = 20
    min_tokens: int = 3
    variance: float = 0.9
    n_frequent: int = 200
    cut_rule: str = "gap"
    context_tokens: int = 2
    n_after: int = 5
    min_occurrences: int = 20
    score_occurrences_per_word: int = 100
    max_score_occurrences: int = 200_000
    n_grouped: int = 10
    n_gain_starts: int = 5


@dataclass(frozen=True)
class PositionSettings:
    """Where the beginning weight and the recency are read (chapter 5, M7 [ours]:
    :func:`rnnctx_utils.position.position_split` and ``planted_split``). The probe documents
    hold max(before) + after + 1 tokens.

    before: numbers M of fillers before the word that define "not at the beginning", each ≥ 1:
        (10, 30, 60), several, to show that the answer does not hinge on one.
    after: largest number k of fillers after the word, ≥ 0: 20, far enough for a kick to
        settle, short of the filler document's slow drift.
    reference_before: the M of the headline weights (first_weight, last_weight), one of
        ``before``: 30.
    reference_after: the k of the headline weights, 0 ≤ k ≤ ``after``: 10.

    Raises:
        ValueError: a value outside these ranges (a non-integer count included).
    """

    before: tuple[int, ...] = (10, 30, 60)
    after: int = 20
    reference_before: int = 30
    reference_after: int = 10

    def __post_init__(self) -> None:
        try:  # counts as plain ints (a list or numpy integers accepted), so the repr is stable
            before = tuple(operator.index(m) for m in self.before)
            counts = [operator.index(getattr(self, name))
                      for name in ("after", "reference_before", "reference_after")]
        except TypeError as error:
            raise ValueError(f"PositionSettings: the numbers of fillers must be integers, got "
                             f"{self!r}") from error
        after, reference_before, reference_after = counts
        for name, value in zip(("before", "after", "reference_before", "reference_after"),
                               (before, *counts), strict=True):
            object.__setattr__(self, name, value)
        if not before or min(before) < 1 or after < 0:
            raise ValueError(f"PositionSettings: needs fillers before ≥ 1 (at least one M) and "
                             f"after ≥ 0, got before={before}, after={after}")
        if reference_before not in before or not 0 <= reference_after <= after:
            raise ValueError(f"PositionSettings: the reference (before={reference_before}, "
                             f"after={reference_after}) must be one of before={before} and "
                             f"at most after={after}")

    @property
    def n_tokens(self) -> int:
        """Length N of the longest probe document: max(before) + after + 1."""
        return max(self.before) + self.after + 1


@dataclass(frozen=True)
class TimingSettings:
    """How strength and timing are measured (chapter 5, M7:
    :func:`rnnctx_utils.modifiers.timing_analysis`). The gain curves use the modifier
    analysis's ``n_after`` and ``n_gain_starts`` (:class:`ModifierSettings`), so that α = g(0)
    is chapter 4's.

    max_k: largest number of filler tokens between the modifier and the valence word: 8.
    fit_tokens: exponential fits use the first 4 points (k = 0..3) of a curve: P2's time
        constants are 1–2 tokens, and later points are dominated by the slow tail (the
        filler's own drift, the slow non-integrating modes, the discreteness of the slow-point
        cloud), which a single exponential fitted over all k mistakes for a longer τ.
    position_tokens: length T of the filler document of the position gains: 60.
    position_split: where the beginning weight and the recency of the result's
        ``position_split`` are read (:class:`PositionSettings`, default: the book's).
    """

    max_k: int = 8
    fit_tokens: int = 4
    position_tokens: int = 60
    position_split: PositionSettings = PositionSettings()


@dataclass(frozen=True)
class SufficiencySettings:
    """How the augmented bag-of-words family is fitted (chapter 6, M9:
    :func:`rnnctx_utils.necessity_sufficiency.fit_family` and ``scan_modifier_count``).

    fit_steps: Adam steps per member (random minibatches of 256): 2000 (nested over the
        baseline: the valences-fixed stage; the second stage takes half as many).
    scan_steps: Adam steps per k of the modifier-count scan: 1000.
    k_grid: the numbers of top-ranked tokens the scan tries: 1, 2, 4, …, 32.
    window: lags of the modifier product (``augmented_bow.AugmentedBow``): 10; None: the
        whole document.
    seed: of the minibatches: 0.
    """

    fit_steps: int = 2000
    scan_steps: int = 1000
    k_grid: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    window: int | None = 10
    seed: int = 0
