"""Chapter 4's pipeline: score every token (M5), cut the ranking (M5), build the modifier
subspace (M6) and group the modifiers by their gain on the next word (M7b's g(0)).

:func:`modifier_analysis` makes every choice once, deterministically, from
:class:`~rnnctx_utils.analysis_settings.ModifierSettings` (the choices are listed in
:mod:`rnnctx_utils.modifiers`), and caches its result next to the network, so that chapters 4,
5 and 6 analyse the same modifier set and the same subspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import context, progress
from rnnctx_utils.analysis_cache import cache_key, load_cached, store_cached
from rnnctx_utils.analysis_settings import ModifierSettings
from rnnctx_utils.attractor_search import reference_points
from rnnctx_utils.modifier_probes import (
    ProbeWords,
    gain_starts,
    mean_gain_curve,
    probe_words,
    scored_words,
    step_and_inputs,
)
from rnnctx_utils.network import as_network
from rnnctx_utils.states import state_cloud


@dataclass(frozen=True)
class ModifierAnalysis:
    """Everything chapter 4 finds, and chapters 5–6 reuse.

    words: [V'] the scored tokens (the vocabulary without ``<pad>``/``<unk>``), vocab order.
    scores: [V'] the main M5 score, :func:`context.in_context_scores` (mean over occurrences).
    counts: [V'] occurrences of each token in the analysed documents (fewer than
        ``min_occurrences``: score 0).
    jacobian_scores: [V'] the Jacobian score ‖ΔJ_inp‖_F (mean over references).
    readout_scores: [V'] its readout-projected variant ‖wᵀΔJ_inp‖.
    selection: :class:`context.ModifierSelection` over ``words`` (the method's own cut).
    modifiers: the selected tokens, best score first.
    subspace_words: the tokens whose deflections define the subspace (``modifiers``, or the
        top ``settings.min_tokens`` when fewer are selected).
    subspace: :class:`context.ModifierSubspace` (``basis`` [S, d], ``dim``, ...).
    projections: [V', 2] every token's mean deflection on modifier components #1 and #2.
    h_refs: [r, S] the reference points; attractor_points: [m, S] the slow points.
    manifold_direction: [S] unit vector along the attractor.
    probes: the filler and valence probe words.
    next_gains: word -> g(0), the gain on the valence probe right after the word, for the
        selected modifiers and at least the ``settings.n_grouped`` best-scoring tokens (best
        first).
    groups: word -> "negator" / "intensifier" / "diminisher" / "other" (same words).
    n_scored_docs, n_occurrences: the documents and token occurrences the in-context score
        averaged over (the analysis documents, plus training documents when those are too
        few: see ``settings.score_occurrences_per_word``).
    settings: the :class:`~rnnctx_utils.analysis_settings.ModifierSettings` it was computed with.
    """

    words: tuple[str, ...]
    scores: np.ndarray
    counts: np.ndarray
    jacobian_scores: np.ndarray
    readout_scores: np.ndarray
    selection: context.ModifierSelection
    modifiers: tuple[str, ...]
    subspace_words: tuple[str, ...]
    subspace: context.ModifierSubspace
    projections: np.ndarray
    h_refs: np.ndarray
    attractor_points: np.ndarray
    manifold_direction: np.ndarray
    probes: ProbeWords
    next_gains: dict[str, float]
    groups: dict[str, str]
    n_scored_docs: int = 0
    n_occurrences: int = 0
    settings: ModifierSettings = field(default_factory=ModifierSettings)

    def rank(self, word: str) -> int:
        """1-based rank of ``word`` by score (1 = largest)."""
        index = self.words.index(word)
        return int(np.flatnonzero(self.selection.order == index)[0]) + 1

    def readout_rank(self, word: str) -> int:
        """1-based rank of ``word`` by the readout-projected score ‖wᵀΔJ_inp‖."""
        order = np.argsort(-self.readout_scores, kind="stable")
        return int(np.flatnonzero(order == self.words.index(word))[0]) + 1

    def jacobian_rank(self, word: str) -> int:
        """1-based rank of ``word`` by the Jacobian score ‖ΔJ_inp‖_F."""
        order = np.argsort(-self.jacobian_scores, kind="stable")
        return int(np.flatnonzero(order == self.words.index(word))[0]) + 1

    def score(self, word: str) -> float:
        """Main (in-context) M5 score of ``word``."""
        return float(self.scores[self.words.index(word)])

    def top(self, n: int) -> list[tuple[str, float]]:
        """The ``n`` best-scoring tokens with their scores."""
        return [(self.words[i], float(self.scores[i])) for i in self.selection.order[:n]]


class Occurrences(NamedTuple):
    """Token occurrences in analysed documents (inputs of :func:`context.in_context_scores`).

    h_before: [n, S] state before the token; token_ids: [n] vocabulary ids;
    next_ids: [n, K] ids of the K following words (the filler's id past the document's end).
    Only occurrences with at least one following word, of tokens other than ``<pad>``/``<unk>``.
    """

    h_before: np.ndarray
    token_ids: np.ndarray
    next_ids: np.ndarray


def occurrences(cloud: Any, filler_id: int, n_next: int) -> Occurrences:
    """Every token occurrence of a :class:`~rnnctx_utils.states.StateCloud` with the state
    before it (h0 for the first token) and its ``n_next`` following words."""
    doc, step = np.asarray(cloud.doc_of_state), np.asarray(cloud.step_of_state)
    lengths, states = np.asarray(cloud.lengths), np.asarray(cloud.states)
    tokens = np.asarray(cloud.tokens)
    index = np.arange(step.size)
    keep = (step + 1 < lengths[doc]) & (tokens[doc, step] >= 2)
    index, doc, step = index[keep], doc[keep], step[keep]
    # states are concatenated document by document: the state before step t > 0 is the previous
    h_before = np.where((step > 0)[:, None], states[np.maximum(index - 1, 0)],
                        np.asarray(cloud.h0)[None])
    after = step[:, None] + 1 + np.arange(n_next)[None]
    inside = after < lengths[doc][:, None]
    next_ids = np.where(inside, tokens[doc[:, None], np.minimum(after, tokens.shape[1] - 1)],
                        filler_id)
    return Occurrences(h_before.astype(np.float32), tokens[doc, step], next_ids)


def modifier_analysis(
    model: Any,
    attractor: Any,
    cloud: Any = None,
    *,
    settings: ModifierSettings | None = None,
    more_text: bool = True,
) -> ModifierAnalysis:
    """Score every token (M5), cut the ranking (M5), build the modifier subspace (M6), group.

    Deterministic: the same model, attractor and settings give the same result, so chapters 4,
    5 and 6 share one modifier set and one subspace. For a model loaded from the cache the
    result is stored next to it (keyed by the documents, the attractor, the settings and the
    analysis sources), so chapters 5 and 6 load what chapter 4 computed: on IMDB the
    in-context scores take minutes.

    Args:
        model: a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``).
        attractor: its :class:`~rnnctx_utils.attractor_search.LineAttractor`.
        cloud: its :class:`~rnnctx_utils.states.StateCloud` (the documents whose token
            occurrences the in-context score uses); default ``analysis.state_cloud(model)``.
        settings: :class:`~rnnctx_utils.analysis_settings.ModifierSettings` (default: the
            book's): reference points, the cut, the subspace's variance, the fewest
            occurrences a scored token needs, ...
        more_text: score over training documents too when ``cloud``'s are too few (see
            :func:`extra_scoring_docs`); False for a network without the book's corpus.
    Returns:
        :class:`ModifierAnalysis` (``settings`` recorded in it).
    """
    settings = ModifierSettings() if settings is None else settings
    net = as_network(model)
    cloud = state_cloud(net) if cloud is None else cloud
    n_extra = (extra_scoring_docs(net, cloud, settings) if more_text and net.documents is not None
               else 0)
    key = cache_key("modifier_analysis", np.asarray(cloud.tokens), np.asarray(cloud.lengths),
                    np.asarray(attractor.points), settings, n_extra)
    cached = load_cached(model, key)
    if cached is not None:
        return cached
    with progress.stage(f"modifier scores: {len(net.vocab):,} tokens, "
                        f"{int(np.sum(cloud.lengths)):,} occurrences"):
        result = _modifier_analysis(model, attractor, cloud, settings, n_extra)
    store_cached(model, key, result)
    return result


def extra_scoring_docs(model: Any, cloud: Any, settings: ModifierSettings | None = None) -> int:
    """How many training documents the in-context score adds to ``cloud``'s documents so that
    it averages over min(score_occurrences_per_word × V, max_score_occurrences) occurrences
    (``settings``; 0 when the analysis documents hold enough; estimated from their mean
    length)."""
    settings = ModifierSettings() if settings is None else settings
    have = int(np.sum(np.maximum(np.asarray(cloud.lengths) - 1, 0)))
    want = min(settings.score_occurrences_per_word * len(as_network(model).vocab),
               settings.max_score_occurrences)
    if have >= want:
        return 0
    per_doc = max(have / max(len(cloud.lengths), 1), 1.0)
    return int(np.ceil((want - have) / per_doc))


def _modifier_analysis(model: Any, attractor: Any, cloud: Any, settings: ModifierSettings,
                       n_extra: int) -> ModifierAnalysis:
    net = as_network(model)
    F, embedding, readout_w = step_and_inputs(net)
    words = scored_words(net)
    inputs = embedding[2:]
    h_refs = np.asarray(reference_points(attractor, settings.n_refs), np.float32)
    points = np.asarray(attractor.points, np.float32)
    jacobian = context.modifier_scores(F, h_refs, inputs, points, readout_w)
    probes = probe_words(net, attractor, settings=settings)
    vocab_id = net.token_id
    occ = occurrences(cloud, vocab_id(probes.filler), settings.context_tokens)
    n_scored_docs = len(cloud.lengths)
    if n_extra:
        extra = state_cloud(net, n_extra, split="train")
        more = occurrences(extra, vocab_id(probes.filler), settings.context_tokens)
        occ = Occurrences(*(np.concatenate([a, b]) for a, b in zip(occ, more, strict=True)))
        n_scored_docs += len(extra.lengths)
    in_context = context.in_context_scores(
        F, occ.h_before, occ.token_ids, embedding[occ.next_ids], embedding, points, readout_w,
        embedding[vocab_id(probes.filler)], n_after=settings.n_after)
    counts = np.asarray(in_context.counts[2:])
    scored = counts >= settings.min_occurrences
    scores = np.where(scored, np.asarray(in_context.score[2:]), 0.0)
    selection = context.select_modifiers(scores, rule=settings.cut_rule, scored=scored)
    chosen = tuple(words[i] for i in selection.order if selection.is_modifier[i])
    n_sub = max(len(chosen), settings.min_tokens)
    subspace_words = tuple(words[i] for i in selection.order[:n_sub])
    sub_ids = np.asarray(selection.order[:n_sub])
    direction = np.asarray(attractor.direction, np.float64)
    subspace = context.modifier_subspace(F, h_refs, inputs[sub_ids], direction,
                                         variance=settings.variance)
    projections = context.token_projections(F, h_refs, inputs, subspace.components[:, :2])
    starts = gain_starts(h_refs, settings)
    grouped = tuple(words[i] for i in selection.order[:max(len(chosen), settings.n_grouped)])
    next_gains = {}
    for word in grouped:  # a handful of modifiers; each call is one batched rollout
        curve = mean_gain_curve(F, starts, readout_w, embedding[vocab_id(word)],
                                embedding[vocab_id(probes.valence)],
                                embedding[vocab_id(probes.filler)], 0, settings.n_after)
        next_gains[word] = float(curve.gain[0])
    groups = {word: context.classify_modifier(g) for word, g in next_gains.items()}
    return ModifierAnalysis(
        words=words,
        scores=np.asarray(scores, np.float64),
        counts=counts,
        jacobian_scores=np.asarray(jacobian.frobenius, np.float64),
        readout_scores=np.asarray(jacobian.readout, np.float64),
        selection=selection,
        modifiers=chosen,
        subspace_words=subspace_words,
        subspace=subspace,
        projections=projections,
        h_refs=h_refs,
        attractor_points=points,
        manifold_direction=direction,
        probes=probes,
        next_gains=next_gains,
        groups=groups,
        n_scored_docs=n_scored_docs,
        n_occurrences=int(occ.token_ids.size),
        settings=settings,
    )
