"""The modifier pipeline of chapters 4–6: which tokens are modifiers, their subspace and timing.

:mod:`rnnctx_utils.context` holds the methods (M5–M8) as functions of a cell function and
arrays; this module strings them together for a :class:`~rnnctx_utils.network.Network` (or
the book's ``TrainedModel``), with every choice the chapters need made once, deterministically,
from settings passed as arguments (:class:`ModifierSettings`, :class:`TimingSettings`; no
module-level switches). Chapters 4, 5 and 6 call the same functions with the same defaults and
therefore analyse the same modifier set and the same modifier subspace:

>>> cloud = analysis.state_cloud(model)
>>> attractor = analysis.line_attractor(model, cloud)
>>> found = modifiers.modifier_analysis(model, attractor)          # chapter 4 (and 6)
>>> found.modifiers                                                 # ('not', "n't", ...)
>>> found.subspace.basis                                            # [S, d] (chapter 6 ablates it)
>>> timing = modifiers.timing_analysis(model, attractor, found)    # chapter 5
>>> modifiers.timing_analysis(model, attractor, found, settings=TimingSettings(fit_tokens=9))

The pipeline lives in modules with one job each, re-exported here:
:mod:`rnnctx_utils.modifier_probes` (probe words, gain starts and curves),
:mod:`rnnctx_utils.modifier_discovery` (scores, cut, subspace, groups: :func:`modifier_analysis`)
and :mod:`rnnctx_utils.modifier_timing` (strength and timing: :func:`timing_analysis`); the
settings are in :mod:`rnnctx_utils.analysis_settings`.

Choices made (all *[ours]*; the chapters state them; the names in ``code`` are fields of
:class:`ModifierSettings`):

- the main score (M5), :func:`context.in_context_scores`, for every vocabulary token except
  ``<pad>`` and ``<unk>``: over the token's occurrences in the state cloud's documents, how
  differently the ``context_tokens`` words that followed it are read from the state the token
  leaves (started from the attractor point nearest the state before it) than from the nearest
  attractor point. The Jacobian score ‖ΔJ_inp‖_F (and its readout-projected variant) over
  ``analysis.reference_points(attractor, n_refs)`` is kept next to it for comparison: it
  scores every token's effect on *any* next word, and on this book's networks many neutral
  words change the reading of words that never follow them in the corpus (a GRU is free to do
  anything there), which pushes the weaker intensifiers down the Jacobian ranking;
- the cut (M5): :func:`context.select_modifiers` with ``cut_rule="gap"``, the largest gap
  between consecutive log-scores among the top 50 — the scores alone decide, never the ground
  truth. (The robust-z rule selected nothing on this book's models: their score distributions
  have a tail of a few tokens only about 3× above the median, not the decades of P2's Yelp
  GRU, so no token is 4 robust standard deviations out, while the gap after the tail is clear);
- the subspace (M6): PCA of the deflections of the selected tokens (at least ``min_tokens``
  top tokens), manifold direction removed, dimension = components reaching ``variance``;
- probe words: the *filler* is the lowest-scoring token among the ``n_frequent`` most frequent
  (it moves the state least: a neutral word), the *valence* probe is ``"good"`` when it is in
  the vocabulary, else the frequent token with the largest bag-of-words weight;
- gains (M7b) are measured from ``n_gain_starts`` reference points along the attractor (the
  effects, not the ratios, are averaged), after the modifier, at the same distance from the
  end (``n_after`` fillers after the valence word);
- groups: :func:`context.classify_modifier` of the gain on the very next token, g(0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnctx_utils import context
from rnnctx_utils.analysis_settings import ModifierSettings, TimingSettings
from rnnctx_utils.modifier_discovery import (
    ModifierAnalysis,
    Occurrences,
    extra_scoring_docs,
    modifier_analysis,
    occurrences,
)
from rnnctx_utils.modifier_probes import (
    ProbeWords,
    gain_starts,
    mean_gain_curve,
    probe_words,
    scored_words,
    step_and_inputs,
)
from rnnctx_utils.modifier_timing import TimingAnalysis, timing_analysis
from rnnctx_utils.network import as_network

__all__ = [
    "ModifierAnalysis", "ModifierSettings", "Occurrences", "ProbeWords", "Recovery",
    "TimingAnalysis", "TimingSettings", "extra_scoring_docs", "gain_starts", "group_cosine",
    "mean_deflections", "mean_gain_curve", "modifier_analysis", "occurrences", "probe_words",
    "recovery", "scored_words", "step_and_inputs", "timing_analysis",
]


@dataclass(frozen=True)
class Recovery:
    """Planted modifiers vs tokens selected by the method (synthetic corpus only).

    planted: the planted modifiers present in the vocabulary; found: the selected tokens;
    precision = |found ∩ planted| / |found|; recall = |found ∩ planted| / |planted|;
    missed: planted but not found; spurious: found but not planted.
    """

    planted: tuple[str, ...]
    found: tuple[str, ...]
    precision: float
    recall: float
    missed: tuple[str, ...]
    spurious: tuple[str, ...]


def mean_deflections(model: Any, found: ModifierAnalysis, words: tuple[str, ...]) -> np.ndarray:
    """[k, S] each word's deflection F(h_ref, x_w) − h_ref, manifold direction removed, averaged
    over the reference points."""
    F, embedding, _ = step_and_inputs(model)
    inputs = embedding[[as_network(model).token_id(w) for w in words]]
    return context.deflections(F, found.h_refs, inputs, found.manifold_direction).mean(axis=1)


def group_cosine(model: Any, found: ModifierAnalysis, first: str, second: str) -> float:
    """Cosine between the mean deflections of two measured groups (e.g. "negator" and
    "intensifier"; nan when a group is empty)."""
    directions = []
    for group in (first, second):
        members = tuple(w for w, g in found.groups.items() if g == group)
        if not members:
            return float("nan")
        directions.append(mean_deflections(model, found, members).mean(axis=0))
    a, b = directions
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def recovery(found: ModifierAnalysis, truth: Any) -> Recovery:
    """Precision and recall of the selected modifiers against a synthetic ground truth.

    Args:
        found: :func:`modifier_analysis` result.
        truth: a :class:`~rnnctx_utils.synthetic.GroundTruth` (``truth.modifiers``).
    """
    planted = tuple(w for w in truth.modifiers if w in found.words)
    hits = [w for w in found.modifiers if w in planted]
    precision = len(hits) / len(found.modifiers) if found.modifiers else float("nan")
    recall = len(hits) / len(planted) if planted else float("nan")
    return Recovery(
        planted=planted,
        found=found.modifiers,
        precision=float(precision),
        recall=float(recall),
        missed=tuple(w for w in planted if w not in found.modifiers),
        spurious=tuple(w for w in found.modifiers if w not in planted),
    )
