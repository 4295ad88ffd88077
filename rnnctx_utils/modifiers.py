"""The modifier pipeline of chapters 4–6: which tokens are modifiers, their subspace and timing.

:mod:`rnnctx_utils.context` holds the methods (M5–M8) as functions of a cell function and
arrays; this module strings them together for a :class:`~rnnctx_utils.experiment.TrainedModel`,
with every choice the chapters need made once, here, deterministically. Chapters 4, 5 and 6
call the same functions with the same defaults and therefore analyse the same modifier set
and the same modifier subspace:

>>> cloud = analysis.state_cloud(model)
>>> attractor = analysis.line_attractor(model, cloud)
>>> found = modifiers.modifier_analysis(model, attractor)          # chapter 4 (and 6)
>>> found.modifiers                                                 # ('not', "n't", ...)
>>> found.subspace.basis                                            # [S, d] (chapter 6 ablates it)
>>> timing = modifiers.timing_analysis(model, attractor, found)    # chapter 5

Choices made here (all *[ours]*; the chapters state them):

- the main score (M5), :func:`context.in_context_scores`, for every vocabulary token except
  ``<pad>`` and ``<unk>``: over the token's occurrences in the state cloud's documents, how
  differently the ``CONTEXT_TOKENS`` words that followed it are read from the state the token
  leaves (started from the attractor point nearest the state before it) than from the nearest
  attractor point. The Jacobian score ‖ΔJ_inp‖_F (and its readout-projected variant) over
  ``analysis.reference_points(attractor, n_refs)`` is kept next to it for comparison: it
  scores every token's effect on *any* next word, and on this book's networks many neutral
  words change the reading of words that never follow them in the corpus (a GRU is free to do
  anything there), which pushes the weaker intensifiers down the Jacobian ranking;
- the cut (M5): :func:`context.select_modifiers` with ``rule="gap"``, the largest gap
  between consecutive log-scores among the top 50 — the scores alone decide, never the ground
  truth. (The robust-z rule selected nothing on this book's models: their score distributions
  have a tail of a few tokens only about 3× above the median, not the decades of P2's Yelp
  GRU, so no token is 4 robust standard deviations out, while the gap after the tail is clear);
- the subspace (M6): PCA of the deflections of the selected tokens (at least ``min_tokens``
  top tokens), manifold direction removed, dimension = components reaching ``variance``;
- probe words: the *filler* is the lowest-scoring token among the ``n_frequent`` most frequent
  (it moves the state least: a neutral word), the *valence* probe is ``"good"`` when it is in
  the vocabulary, else the frequent token with the largest bag-of-words weight;
- gains (M7b) are measured from several reference points along the attractor (the effects,
  not the ratios, are averaged), after the modifier, at the same distance from the end;
- groups: :func:`context.classify_modifier` of the gain on the very next token, g(0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import context, progress
from rnnctx_utils.network import as_network
from rnnctx_utils.position import PositionSplit, position_split

# Defaults shared by chapters 4–6 (change them here, never in one chapter only).
N_REFS = 20
MIN_TOKENS = 3
VARIANCE = 0.9
N_FREQUENT = 200
N_GAIN_STARTS = 5
MAX_K = 8
CUT_RULE = "gap"
N_AFTER = 5
POSITION_TOKENS = 60
# Exponential fits use the first FIT_TOKENS points (k = 0..3) of a curve: P2's time constants
# are 1–2 tokens, and later points are dominated by the slow tail (the filler's own drift, the
# slow non-integrating modes, the discreteness of the slow-point cloud), which a single
# exponential fitted over all k mistakes for a longer τ.
FIT_TOKENS = 4
# Gains (and groups) are measured for at least this many top-scoring tokens.
N_GROUPED = 10
# Words after each occurrence whose reading the in-context score compares: two, because
# negators often reach the valence word through an intensifier ("not very good") and P2's τ
# for "not" is about two tokens.
CONTEXT_TOKENS = 2
# Tokens seen fewer times than this in the analysed documents are not scored (score 0): the
# score is a mean over occurrences, and on a real corpus (IMDB, 1,000 documents) the top of an
# unfiltered ranking is names and typos seen once or twice ("luise", "toni"), pure noise.
MIN_OCCURRENCES = 20
# The in-context score is a mean over occurrences, so it needs text: at least this many
# occurrences per vocabulary word, up to a cap (compute). When the analysis documents hold
# fewer (SST-2's 872 test sentences: 17,600 occurrences for a vocabulary of 15,000, so only
# 91 tokens reached MIN_OCCURRENCES), training documents are added: the score uses no labels.
SCORE_OCCURRENCES_PER_WORD = 100
MAX_SCORE_OCCURRENCES = 200_000


@dataclass(frozen=True)
class ProbeWords:
    """The tokens used to probe the network: ``filler`` (neutral) and ``valence`` (positive)."""

    filler: str
    valence: str


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
        top ``MIN_TOKENS`` when fewer are selected).
    subspace: :class:`context.ModifierSubspace` (``basis`` [S, d], ``dim``, ...).
    projections: [V', 2] every token's mean deflection on modifier components #1 and #2.
    h_refs: [r, S] the reference points; attractor_points: [m, S] the slow points.
    manifold_direction: [S] unit vector along the attractor.
    probes: the filler and valence probe words.
    next_gains: word -> g(0), the gain on the valence probe right after the word, for the
        selected modifiers and at least the ``N_GROUPED`` best-scoring tokens (best first).
    groups: word -> "negator" / "intensifier" / "diminisher" / "other" (same words).
    n_scored_docs, n_occurrences: the documents and token occurrences the in-context score
        averaged over (the analysis documents, plus training documents when those are too
        few: see ``SCORE_OCCURRENCES_PER_WORD``).
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


@dataclass(frozen=True)
class TimingAnalysis:
    """Strength and timing of each modifier (M7), from chapter 5.

    words: [M] the modifiers analysed.
    k: [K+1] tokens after the modifier (0: right after it).
    distance: [M, K+1] d(k): the modifier's excursion within the modifier subspace, measured
        against the same run with the filler in place of the modifier (which stays on the
        attractor), mean over reference points.
    distance_amplitude, tau_distance: [M] amplitude and τ (tokens; P2's measure) of an
        exponential fit to d(k), k < FIT_TOKENS.
    tau_distance_boot: [M, B] τ of the same fit on B bootstrap resamples of the reference
        points (the same resamples for every modifier: differences are paired).
    gains: [M, K+1] g(k) from the nonlinear network; linear_gains: [M, K+1] the linear
        prediction wᵀJ_inp(h_k)x_v / wᵀJ_inp(h̄_k)x_v.
    alpha: [M] g(0), the gain on the next token.
    tau_gain: [M] τ of an exponential fit to |g(k) − 1|, k < FIT_TOKENS (comparable to the
        planted τ).
    mode_tau: [M] eigenmode time constant the deflection loads on (|l_a·Δh|-weighted mean
        of τ_a over all modes but the slowest, integrating one).
    tau_linear: [M] τ of an exponential fit to the linearization's prediction of d(k) (the
        deflection's eigenmode components decaying as λ_a^k, integrating mode left out).
    mode_weights: [M, S] |l_a·Δh| per mode (modes sorted by |λ| descending);
        mode_time_constants: [S] τ_a at the attractor point nearest the mean modifier state.
    trajectories: [M, K+2, 2] mean state (manifold coordinate, modifier component #1)
        from the start point (index 0), then after the modifier and each filler.
    position: :class:`context.PositionGains` of the valence probe in a filler document.
    position_fit_begin, position_fit_end: :class:`context.ExponentialFit` of
        gain − 1 from the start / from the end (amplitude ≈ β, tau ≈ τ_b / τ_e).
    position_split: :class:`rnnctx_utils.position.PositionSplit`: the beginning weight and recency
        separated with documents of every length.
    h0_projection: :class:`context.SubspaceProjection` of the trained h0.
    """

    words: tuple[str, ...]
    k: np.ndarray
    distance: np.ndarray
    distance_amplitude: np.ndarray
    tau_distance: np.ndarray
    tau_distance_boot: np.ndarray
    gains: np.ndarray
    linear_gains: np.ndarray
    alpha: np.ndarray
    tau_gain: np.ndarray
    mode_tau: np.ndarray
    tau_linear: np.ndarray
    mode_weights: np.ndarray
    mode_time_constants: np.ndarray
    trajectories: np.ndarray
    position: context.PositionGains
    position_fit_begin: context.ExponentialFit
    position_fit_end: context.ExponentialFit
    position_split: PositionSplit
    h0_projection: context.SubspaceProjection

    def tau_difference(self, first: str, second: str, level: float = 0.95
                       ) -> tuple[float, float, float]:
        """τ(first) − τ(second) from the distance fits, with a paired bootstrap percentile
        interval over the reference points: (estimate, low, high)."""
        i, j = self.words.index(first), self.words.index(second)
        diff = self.tau_distance_boot[i] - self.tau_distance_boot[j]
        tail = 100 * (1 - level) / 2
        low, high = np.nanpercentile(diff, [tail, 100 - tail])
        return float(self.tau_distance[i] - self.tau_distance[j]), float(low), float(high)

    def of(self, word: str) -> dict[str, float]:
        """The scalar results for one modifier (alpha, tau_distance, tau_gain, mode_tau)."""
        i = self.words.index(word)
        return {"alpha": float(self.alpha[i]), "tau_distance": float(self.tau_distance[i]),
                "tau_gain": float(self.tau_gain[i]), "mode_tau": float(self.mode_tau[i]),
                "tau_linear": float(self.tau_linear[i])}


def _step_and_inputs(model: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """(F, embedding [V, E] float32, readout_w [S] float32) of a network."""
    net = as_network(model)
    return (net.step, np.asarray(net.embedding, np.float32),
            np.asarray(net.readout_w, np.float32))


def scored_words(model: Any) -> tuple[str, ...]:
    """The tokens scored: the vocabulary without ``<pad>`` and ``<unk>`` (vocab order)."""
    return tuple(as_network(model).vocab.tokens[2:])


def probe_words(model: Any, attractor: Any, *, n_frequent: int = N_FREQUENT,
                n_refs: int = N_REFS) -> ProbeWords:
    """Pick the filler and valence probe words (see the module docstring).

    filler: among the ``n_frequent`` most frequent tokens, the one whose mean deflection
    ‖F(h_ref, x) − h_ref‖ over the reference points is smallest (it moves the state least; a
    low M5 score alone would also pick valence words, which move the state *along* the line).
    valence: ``"good"`` if in the vocabulary, else the frequent token with the largest
    bag-of-words weight (the network's ``token_valence``), else the one whose deflection moves
    the readout up the most.
    """
    from rnnctx_utils import analysis  # noqa: PLC0415

    net = as_network(model)
    F, embedding, readout_w = _step_and_inputs(net)
    words = scored_words(net)[:n_frequent]
    ids = np.arange(2, 2 + len(words))
    h_refs = analysis.reference_points(attractor, n_refs)
    deflections = context.deflections(F, h_refs, embedding[ids])
    moves = np.linalg.norm(deflections, axis=-1).mean(axis=1)
    filler = words[int(np.argmin(moves))]
    if "good" in net.vocab.tokens:
        valence = "good"
    elif net.token_valence is not None:
        weights = np.asarray(net.token_valence, np.float64)[ids]
        valence = words[int(np.argmax(weights))]
    else:
        valence = words[int(np.argmax((np.asarray(deflections) @ readout_w).mean(axis=1)))]
    return ProbeWords(filler=filler, valence=valence)


def _mean_gain_curve(F: Any, starts: np.ndarray, readout_w: np.ndarray, x_modifier: np.ndarray,
                     x_valence: np.ndarray, x_filler: np.ndarray, max_k: int,
                     n_after: int) -> context.GainCurve:
    """g(k) from several starting states: the effects are averaged, then divided."""
    curves = [context.gain_curve(F, h, readout_w, x_modifier, x_valence, x_filler,
                                 max_k=max_k, n_after=n_after) for h in starts]
    mod = np.mean([c.effect_modified for c in curves], axis=0)
    plain = np.mean([c.effect_plain for c in curves], axis=0)
    linear = np.mean([c.linear_gain for c in curves], axis=0)
    return context.GainCurve(curves[0].k, mod / plain, linear, mod, plain)


def gain_starts(h_refs: np.ndarray, n: int = N_GAIN_STARTS) -> np.ndarray:
    """[n, S] starting states for gains: reference points from the middle half of the line
    (the ends saturate, where a valence word barely moves the readout)."""
    r = h_refs.shape[0]
    index = np.unique(np.linspace(r // 4, max(r // 4, (3 * r) // 4 - 1), n).round().astype(int))
    return h_refs[index]


class Occurrences(NamedTuple):
    """Token occurrences in analysed documents (inputs of :func:`context.in_context_scores`).

    h_before: [n, S] state before the token; token_ids: [n] vocabulary ids;
    next_ids: [n, K] ids of the K following words (the filler's id past the document's end).
    Only occurrences with at least one following word, of tokens other than ``<pad>``/``<unk>``.
    """

    h_before: np.ndarray
    token_ids: np.ndarray
    next_ids: np.ndarray


def occurrences(cloud: Any, filler_id: int, n_next: int = CONTEXT_TOKENS) -> Occurrences:
    """Every token occurrence of a :class:`~rnnctx_utils.analysis.StateCloud` with the state
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
    n_refs: int = N_REFS,
    min_tokens: int = MIN_TOKENS,
    variance: float = VARIANCE,
    min_occurrences: int = MIN_OCCURRENCES,
    more_text: bool = True,
) -> ModifierAnalysis:
    """Score every token (M5), cut the ranking (M5), build the modifier subspace (M6), group.

    Deterministic: the same model and attractor give the same result, so chapters 4, 5 and 6
    share one modifier set and one subspace. For a model loaded from the cache the result is
    stored next to it (keyed by the documents, the attractor, the arguments and the analysis
    sources), so chapters 5 and 6 load what chapter 4 computed: on IMDB the in-context scores
    take minutes.

    Args:
        model: a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``).
        attractor: its :class:`~rnnctx_utils.analysis.LineAttractor`.
        cloud: its :class:`~rnnctx_utils.analysis.StateCloud` (the documents whose token
            occurrences the in-context score uses); default ``analysis.state_cloud(model)``.
        n_refs: reference points along the attractor (``analysis.reference_points``).
        min_tokens: fewest tokens whose deflections define the subspace.
        variance: fraction of the deflections' sum of squares the subspace explains.
        min_occurrences: tokens seen fewer times in the scored documents score 0.
        more_text: score over training documents too when ``cloud``'s are too few (see
            :func:`extra_scoring_docs`); False for a network without the book's corpus.
    Returns:
        :class:`ModifierAnalysis`.
    """
    from rnnctx_utils import analysis  # noqa: PLC0415

    net = as_network(model)
    cloud = analysis.state_cloud(net) if cloud is None else cloud
    n_extra = extra_scoring_docs(net, cloud) if more_text and net.documents is not None else 0
    key = analysis._cache_key(model, "modifier_analysis", np.asarray(cloud.tokens),
                              np.asarray(cloud.lengths), np.asarray(attractor.points), n_refs,
                              min_tokens, variance, min_occurrences, n_extra)
    cached = analysis._load_cached(model, key)
    if cached is not None:
        return cached
    with progress.stage(f"modifier scores: {len(net.vocab):,} tokens, "
                        f"{int(np.sum(cloud.lengths)):,} occurrences"):
        result = _modifier_analysis(model, attractor, cloud, n_refs, min_tokens, variance,
                                    min_occurrences, n_extra)
    analysis._store_cached(model, key, result)
    return result


def extra_scoring_docs(model: Any, cloud: Any) -> int:
    """How many training documents the in-context score adds to ``cloud``'s documents so that
    it averages over min(SCORE_OCCURRENCES_PER_WORD × V, MAX_SCORE_OCCURRENCES) occurrences
    (0 when the analysis documents hold enough; estimated from their mean length)."""
    have = int(np.sum(np.maximum(np.asarray(cloud.lengths) - 1, 0)))
    want = min(SCORE_OCCURRENCES_PER_WORD * len(as_network(model).vocab), MAX_SCORE_OCCURRENCES)
    if have >= want:
        return 0
    per_doc = max(have / max(len(cloud.lengths), 1), 1.0)
    return int(np.ceil((want - have) / per_doc))


def _modifier_analysis(model: Any, attractor: Any, cloud: Any, n_refs: int, min_tokens: int,
                       variance: float, min_occurrences: int, n_extra: int) -> ModifierAnalysis:
    from rnnctx_utils import analysis  # noqa: PLC0415

    net = as_network(model)
    F, embedding, readout_w = _step_and_inputs(net)
    words = scored_words(net)
    inputs = embedding[2:]
    h_refs = np.asarray(analysis.reference_points(attractor, n_refs), np.float32)
    points = np.asarray(attractor.points, np.float32)
    jacobian = context.modifier_scores(F, h_refs, inputs, points, readout_w)
    probes = probe_words(net, attractor, n_refs=n_refs)
    vocab_id = net.token_id
    occ = occurrences(cloud, vocab_id(probes.filler))
    n_scored_docs = len(cloud.lengths)
    if n_extra:
        extra = analysis.state_cloud(net, n_extra, split="train")
        more = occurrences(extra, vocab_id(probes.filler))
        occ = Occurrences(*(np.concatenate([a, b]) for a, b in zip(occ, more, strict=True)))
        n_scored_docs += len(extra.lengths)
    in_context = context.in_context_scores(
        F, occ.h_before, occ.token_ids, embedding[occ.next_ids], embedding, points, readout_w,
        embedding[vocab_id(probes.filler)], n_after=N_AFTER)
    counts = np.asarray(in_context.counts[2:])
    scores = np.where(counts >= min_occurrences, np.asarray(in_context.score[2:]), 0.0)
    selection = context.select_modifiers(scores, rule=CUT_RULE, scored=counts >= min_occurrences)
    chosen = tuple(words[i] for i in selection.order if selection.is_modifier[i])
    n_sub = max(len(chosen), min_tokens)
    subspace_words = tuple(words[i] for i in selection.order[:n_sub])
    sub_ids = np.asarray(selection.order[:n_sub])
    direction = np.asarray(attractor.direction, np.float64)
    subspace = context.modifier_subspace(F, h_refs, inputs[sub_ids], direction, variance=variance)
    projections = context.token_projections(F, h_refs, inputs, subspace.components[:, :2])
    starts = gain_starts(h_refs)
    grouped = tuple(words[i] for i in selection.order[:max(len(chosen), N_GROUPED)])
    next_gains = {}
    for word in grouped:  # a handful of modifiers; each call is one batched rollout
        curve = _mean_gain_curve(F, starts, readout_w, embedding[vocab_id(word)],
                                 embedding[vocab_id(probes.valence)],
                                 embedding[vocab_id(probes.filler)], 0, N_AFTER)
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
    )


def mean_deflections(model: Any, found: ModifierAnalysis, words: tuple[str, ...]) -> np.ndarray:
    """[k, S] each word's deflection F(h_ref, x_w) − h_ref, manifold direction removed, averaged
    over the reference points."""
    F, embedding, _ = _step_and_inputs(model)
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


def _signed_fit(values: np.ndarray, k: np.ndarray, n_fit: int | None = None
                ) -> context.ExponentialFit:
    """Exponential fit of |values[:n_fit]| (default ``FIT_TOKENS``, read at call time so that
    a reader can change it), the sign of values[0] carried by the amplitude."""
    n_fit = FIT_TOKENS if n_fit is None else n_fit
    fit = context.fit_exponential(np.abs(values[:n_fit]), k[:n_fit])
    sign = -1.0 if values[0] < 0 else 1.0
    return context.ExponentialFit(sign * fit.amplitude, fit.tau, fit.offset)


def _mode_loadings(
    F: Any, found: ModifierAnalysis, inputs: np.ndarray, max_k: int, n_inputs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eigenmode loadings of each modifier's deflection off the attractor (M4 meets M7).

    For each modifier and reference: h_w = F(h_ref, x_w), h* its nearest attractor point,
    Δh = h_w − h*, c_a = l_a·Δh on the eigenmodes of J_rec(h*, 0). Returns (mode_tau [M],
    tau_linear [M], weights [M, S], time_constants [S]): the |c_a|-weighted mean τ_a over the
    non-integrating modes, the τ of an exponential fit to the linear prediction
    ‖Q_modᵀ Σ_{a≥1} c_a λ_a^k r_a‖ (k = 0..max_k, mean over references), the mean |c_a|, and
    τ_a at the middle reference's nearest attractor point.
    """
    import jax.numpy as jnp  # noqa: PLC0415

    from rnnctx_utils import linearize  # noqa: PLC0415

    h_refs = found.h_refs
    basis = found.subspace.basis
    h_w = np.stack([np.asarray(context.rollout_batch(
        F, jnp.asarray(h_refs), jnp.asarray(np.broadcast_to(x, (h_refs.shape[0], 1, x.size))),
        jnp.full(h_refs.shape[0], 1)))[:, 0] for x in inputs])  # [M, r, S]
    flat = h_w.reshape(-1, h_w.shape[-1])
    nearest = np.asarray(context.nearest_attractor_point(jnp.asarray(flat),
                                                         jnp.asarray(found.attractor_points)))
    jac = linearize.recurrent_jacobians(F, nearest, None, n_inputs=n_inputs, float64=True)
    modes = linearize.eigenmodes(jac)
    delta = (flat - nearest).astype(np.complex128)
    coeffs = np.einsum("nks,ns->nk", modes.left, delta)  # [n, S]
    ks = np.arange(max_k + 1)
    # linear prediction of the excursion, the integrating mode (a = 0) left out
    powers = modes.eigenvalues[:, None, 1:] ** ks[None, :, None]  # [n, K+1, S-1]
    excursion = np.einsum("nka,na,nsa->nks", powers, coeffs[:, 1:], modes.right[:, :, 1:]).real
    d_lin = np.linalg.norm(excursion @ basis, axis=-1)  # [n, K+1]
    n_mod, n_ref = h_w.shape[:2]
    d_lin = d_lin.reshape(n_mod, n_ref, -1).mean(axis=1)
    weights = np.abs(coeffs).reshape(n_mod, n_ref, -1)
    taus = np.minimum(modes.time_constants.reshape(n_mod, n_ref, -1), 1e6)
    mode_tau = (weights[..., 1:] * taus[..., 1:]).sum(-1) / weights[..., 1:].sum(-1)
    tau_linear = np.array([context.fit_exponential(d[:FIT_TOKENS]).tau for d in d_lin])
    mid = n_ref // 2
    return (mode_tau.mean(axis=1), tau_linear, weights.mean(axis=1),
            modes.time_constants.reshape(n_mod, n_ref, -1)[0, mid])


def timing_analysis(
    model: Any,
    attractor: Any,
    found: ModifierAnalysis,
    *,
    words: tuple[str, ...] | None = None,
    max_k: int = MAX_K,
    n_position_tokens: int = POSITION_TOKENS,
) -> TimingAnalysis:
    """Strength and timing of modifiers (M7): d(k) and τ, g(k) and its linear prediction,
    eigenmode time constants, position gains and h0's projection.

    Args:
        model: a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``).
        attractor: its :class:`~rnnctx_utils.analysis.LineAttractor`.
        found: :func:`modifier_analysis` of the same model.
        words: modifiers to analyse (default ``found.modifiers``).
        max_k: largest number of tokens between modifier and valence word.
        n_position_tokens: length T of the filler document for the position gains.
    Returns:
        :class:`TimingAnalysis`.
    """
    import jax.numpy as jnp  # noqa: PLC0415

    net = as_network(model)
    F, embedding, readout_w = _step_and_inputs(net)
    words = found.modifiers if words is None else tuple(words)
    vocab_id = net.token_id
    inputs = embedding[[vocab_id(w) for w in words]]
    x_filler = embedding[vocab_id(found.probes.filler)]
    x_valence = embedding[vocab_id(found.probes.valence)]
    basis = found.subspace.basis
    k = np.arange(max_k + 1)
    per_start = context.modifier_distance_curves(
        F, found.h_refs, inputs, x_filler, found.attractor_points, basis, n_steps=max_k,
        reference="control", per_start=True)
    distance = per_start.mean(axis=1)
    distance_fits = [context.fit_exponential(d[:FIT_TOKENS]) for d in distance]
    tau_boot = context.bootstrap_tau(per_start[:, :, :FIT_TOKENS])
    starts = gain_starts(found.h_refs)
    curves = [_mean_gain_curve(F, starts, readout_w, x, x_valence, x_filler, max_k, N_AFTER)
              for x in inputs]
    gains = np.stack([c.gain for c in curves])
    linear = np.stack([c.linear_gain for c in curves])
    tau_gain = np.array([_signed_fit(g - 1.0, k).tau for g in gains])
    mode_tau, tau_linear, weights, time_constants = _mode_loadings(
        F, found, inputs, max_k, embedding.shape[1])
    # trajectory from the middle reference: start, modifier, fillers
    h_mid = found.h_refs[found.h_refs.shape[0] // 2]
    seqs = np.concatenate([inputs[:, None], np.broadcast_to(x_filler, (len(words), max_k,
                                                                         x_filler.size))], 1)
    states = np.asarray(context.rollout_batch(F, jnp.asarray(h_mid), jnp.asarray(seqs),
                                              jnp.full(len(words), max_k + 1)))
    states = np.concatenate([np.broadcast_to(h_mid, (len(words), 1, h_mid.size)), states], 1)
    centre = found.attractor_points.mean(axis=0)
    axes = np.stack([found.manifold_direction, found.subspace.components[:, 0]], axis=1)
    trajectories = (states - centre) @ axes
    position = context.position_gains(F, net.h0, readout_w, x_valence,
                                      x_filler, n_position_tokens)
    # the single-length gains tie the start to the end; the split unties them
    half = n_position_tokens // 2
    begin = _signed_fit(position.gain_from_start - 1.0, position.position, half)
    end = _signed_fit(position.gain_from_end - 1.0, position.position, half)
    split = position_split(F, net.h0, readout_w, x_valence, x_filler)
    h0_projection = context.initial_state_projection(
        net.h0, found.attractor_points, basis)
    return TimingAnalysis(
        words=words, k=k, distance=distance,
        distance_amplitude=np.array([f.amplitude for f in distance_fits]),
        tau_distance=np.array([f.tau for f in distance_fits]), tau_distance_boot=tau_boot,
        gains=gains, linear_gains=linear, alpha=gains[:, 0], tau_gain=tau_gain,
        mode_tau=mode_tau, tau_linear=tau_linear, mode_weights=weights,
        mode_time_constants=time_constants, trajectories=trajectories, position=position,
        position_fit_begin=begin, position_fit_end=end, position_split=split,
        h0_projection=h0_projection)
