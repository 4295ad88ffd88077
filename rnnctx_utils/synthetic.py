"""The synthetic review language: English-like reviews whose sentiment follows a planted rule.

The book's offline default corpus. Its labels come from exactly the kind of mechanism P2 finds
inside trained RNNs (M9 in the paper notes), so every analysis can be checked against what was
planted:

    score(doc) = Σ_t p(t, T) · m_t · v(x_t)
    m_t        = Π_{j < t, x_j a modifier} (1 + (α_{x_j} − 1) · exp(−(t − j − 1) / τ_{x_j}))
    p(t, T)    = 1 + β_b · exp(−t / τ_b) + β_e · exp(−(T − 1 − t) / τ_e)
    label      = 1[score + s · ε > 0],  ε ~ Logistic(0, 1)

with t = 0 … T − 1 the token index (tokens as :func:`rnnctx_utils.text.tokenize` returns them),
v the planted valence of a word (0 for everything that is not a valence word), and α, τ the
planted gain and timescale of each modifier. A valence word right after a modifier (distance
d = t − j = 1) is multiplied by α; the factor relaxes back to 1 with timescale τ tokens.

Planted modifiers (:data:`MODIFIERS`):

- negators ``not``, ``n't``, ``never``: α < 0 and the longest timescales (τ = 2–3 tokens, as P2
  reports for "not");
- intensifiers ``very``, ``extremely``, ``really``, ``definitely``: α > 1, τ ≈ 1 token;
- diminishers ``somewhat``, ``slightly``: 0 < α < 1;
- the contrast word ``but``: *[ours]* the rule can only act forward in time, so a word that
  discounts what came *before* it is not expressible; ``but`` is therefore planted as a mild,
  slow intensifier of what *follows* (α = 1.5, τ = 3), which is the half of contrast the rule
  can express ("bad acting, but a great story" leans on the second clause).

Text is made of sentence templates ("the acting is not very good .", "i do n't like it .",
"i watched it at the cinema with my sister .") filled from word classes whose frequencies fall
off like Zipf's law. Each document has a latent polarity that most of its sentences follow;
negated templates pick a valence word of the opposite sign ("not bad" in a positive review),
so a plain bag-of-words model cannot tell what "good" or "not" contribute: the corpus needs
context. The planted rule is the same for every seed; the seed only drives the sampling.

Generation is vectorized with numpy and deterministic: the same seed gives the same corpus,
byte for byte. The grammar itself (word classes, modifiers, templates) is fixed data in
:mod:`rnnctx_utils.synthetic_grammar`, re-exported here; this module samples documents from it
and computes the planted rule.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from rnnctx_utils.synthetic_grammar import (
    _CLASS_NAMES,
    _SIGNED_CLASSES,
    AGREEMENT,
    ASPECTS,
    BODY,
    CREW,
    DAYS,
    DEFAULT_LABEL_NOISE,
    DEFAULT_POSITION,
    FILMS,
    MODIFIER_ROLES,
    MODIFIERS,
    NEGATIVE_ADJECTIVES,
    NEGATIVE_VERBS,
    NEUTRAL_VERBS,
    NUMBERS,
    OPENERS,
    OTHER_VALENCE,
    PAD,
    PEOPLE,
    PERIODS,
    PLACES,
    POSITIVE_ADJECTIVES,
    POSITIVE_VERBS,
    PUNCTUATION,
    ROLES,
    THINGS,
    ZIPF_OFFSET,
    ZIPF_S,
    Modifier,
    PositionWeights,
    _class_tables,
    _compile,
    _lexicon,
    _Templates,
)

# Public names, the grammar's included (rnnctx_utils.synthetic_grammar, re-exported).
__all__ = [
    "planted_contributions", "GroundTruth", "SyntheticCorpus", "generate", "ROLES", "Modifier",
    "PositionWeights", "POSITIVE_ADJECTIVES", "NEGATIVE_ADJECTIVES", "POSITIVE_VERBS",
    "NEGATIVE_VERBS", "OTHER_VALENCE", "MODIFIERS", "MODIFIER_ROLES", "ASPECTS", "FILMS", "THINGS",
    "PEOPLE", "DAYS", "PERIODS", "PLACES", "CREW", "NUMBERS", "NEUTRAL_VERBS", "OPENERS", "BODY",
    "AGREEMENT", "ZIPF_S", "ZIPF_OFFSET", "DEFAULT_LABEL_NOISE", "DEFAULT_POSITION", "PUNCTUATION",
    "PAD",
]


def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: indices [len(u)] with probabilities given by ``cdf``."""
    return np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1)


def _fill(codes: np.ndarray, signs: np.ndarray, polarity: np.ndarray | None,
          u: np.ndarray, signed: bool) -> np.ndarray:
    """Replace class codes by word ids.

    Args:
        codes: [n, K] template codes; only the class codes of the requested kind are filled.
        signs: [n, K] relative polarity of each slot.
        polarity: [n] sentence polarity (±1), needed when ``signed``.
        u: [n, K] uniform draws.
        signed: fill the signed classes (True) or the unsigned ones (False).

    Returns:
        [n, K] codes with those classes replaced by word ids (−1 for an empty optional slot).
    """
    out = codes.copy()
    tables = _class_tables()
    wanted = [c for c in tables if (_CLASS_NAMES[-2 - c] in _SIGNED_CLASSES) == signed]
    rows, cols = np.nonzero(np.isin(codes, wanted))
    slot_class = codes[rows, cols]
    # One scan of the array, then each class's slots are a contiguous run after sorting.
    order = np.argsort(slot_class, kind="stable")
    rows, cols, slot_class = rows[order], cols[order], slot_class[order]
    bounds = np.searchsorted(slot_class, sorted(wanted) + [0])
    for k, code in enumerate(sorted(wanted)):
        r, c = rows[bounds[k]:bounds[k + 1]], cols[bounds[k]:bounds[k + 1]]
        if r.size == 0:
            continue
        pos_ids, pos_cdf, neg_ids, neg_cdf = tables[code]
        uu = u[r, c]
        if signed:
            assert polarity is not None
            positive = polarity[r] * signs[r, c] > 0
            out[r, c] = np.where(positive, pos_ids[_draw(pos_cdf, uu)],
                                 neg_ids[_draw(neg_cdf, uu)])
        else:
            out[r, c] = pos_ids[_draw(pos_cdf, uu)]
    return out


def _sentences(rng: np.random.Generator, templates: _Templates, n: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` sentences with their unsigned slots filled.

    Returns:
        codes [n, K] (signed slots still as class codes), signs [n, K], u [n, K] uniforms for
        the signed slots, lengths [n] in tokens.
    """
    which = _draw(np.cumsum(templates.weights), rng.random(n))
    codes, signs = templates.codes[which], templates.signs[which]
    filled = _fill(codes, signs, None, rng.random(codes.shape), signed=False)
    lengths = (filled != PAD).sum(axis=1)
    return filled, signs, rng.random(codes.shape), lengths


def _doc_lengths_target(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """[n] target lengths, log-uniform on [lo, hi] (more short reviews than long ones)."""
    t = np.exp(rng.uniform(np.log(lo), np.log(hi + 1), size=n))
    return np.clip(np.floor(t).astype(np.int64), lo, hi)


# ---------------------------------------------------------------------------------------------
# The planted rule.


def _rule_arrays(modifiers: Mapping[str, Modifier]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per word id: is_modifier [V] bool, alpha [V], tau [V] (1 where not a modifier)."""
    lex = _lexicon()
    is_mod = np.zeros(len(lex.words), dtype=bool)
    alpha = np.ones(len(lex.words))
    tau = np.ones(len(lex.words))
    for w, mod in modifiers.items():
        i = lex.ids[w]
        is_mod[i], alpha[i], tau[i] = True, mod.alpha, mod.tau
    return is_mod, alpha, tau


# A modifier's factor 1 + (α − 1)e^{−k/τ} rounds to exactly 1.0 in float64 once the deviation is
# below this, so stopping there gives the same product as M9's product over *all* earlier
# modifiers.
_NEGLIGIBLE = 1e-17


def planted_contributions(ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                          valence: np.ndarray, is_modifier: np.ndarray, alpha: np.ndarray,
                          tau: np.ndarray, position: PositionWeights) -> np.ndarray:
    """Per-token contributions p(t, T) · m_t · v(x_t) of M9 for a flat batch of documents.

    Args:
        ids: [N] word ids of all documents concatenated.
        starts: [n_docs] index in ``ids`` where each document starts.
        lengths: [n_docs] tokens per document (T).
        valence, is_modifier, alpha, tau: [V] per word id.
        position: the planted beginning/end weights.

    Returns:
        [N] float64 contributions; a document's score is the sum over its tokens.
    """
    n = ids.size
    doc = np.repeat(np.arange(lengths.size), lengths)
    t = np.arange(n) - starts[doc]
    p = position(t, lengths[doc])
    gain = np.ones(n)
    mod_at = np.flatnonzero(is_modifier[ids])
    end = (starts + lengths)[doc[mod_at]]
    a = alpha[ids[mod_at]] - 1.0
    tau_m = tau[ids[mod_at]]
    k = 1  # distance to the modified token
    while mod_at.size:
        deviation = a * np.exp(-(k - 1) / tau_m)
        target = mod_at + k
        live = (target < end) & (np.abs(deviation) >= _NEGLIGIBLE)
        # Distinct modifiers hit distinct targets at the same k, so the fancy-index update is safe.
        gain[target[live]] *= 1.0 + deviation[live]
        mod_at, end, a, tau_m = mod_at[live], end[live], a[live], tau_m[live]
        k += 1
    return p * gain * valence[ids]


# ---------------------------------------------------------------------------------------------
# Public objects.


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The planted rule of a synthetic corpus and its value on each document.

    Attributes:
        words: every word of the language (tuple of str).
        roles: word -> one of :data:`ROLES`.
        valence: word -> planted valence v (valence words only).
        modifiers: word -> :class:`Modifier` (gain α, timescale τ).
        position: the planted :class:`PositionWeights`.
        scores: [n_docs] planted score of each document.
        contributions: list of [T_i] per-token contributions p·m·v, aligned with
            ``text.tokenize(texts[i])``.
        noise: [n_docs] the label noise drawn for each document (label = score + noise > 0).
        label_noise: the logistic noise scale s.
        bayes_accuracy: mean over documents of sigmoid(|score| / s), the accuracy of the
            planted rule itself (the best any classifier can do in expectation).
    """

    words: tuple[str, ...]
    roles: Mapping[str, str]
    valence: Mapping[str, float]
    modifiers: Mapping[str, Modifier]
    position: PositionWeights
    scores: np.ndarray
    contributions: list[np.ndarray] = field(repr=False)
    noise: np.ndarray = field(repr=False)
    label_noise: float
    bayes_accuracy: float

    def words_with_role(self, role: str) -> tuple[str, ...]:
        """The words planted with ``role`` (e.g. ``"negator"``), in lexicon order."""
        return tuple(w for w in self.words if self.roles[w] == role)

    def score_tokens(self, tokens: Sequence[str]) -> tuple[float, np.ndarray]:
        """Planted score of any token list (unknown words are neutral, valence 0).

        Args:
            tokens: [T] tokens as :func:`rnnctx_utils.text.tokenize` returns them.

        Returns:
            (score, contributions [T]).
        """
        lex = _lexicon()
        unknown = len(lex.words)
        ids = np.array([lex.ids.get(w, unknown) for w in tokens], dtype=np.int64)
        is_mod, alpha, tau = _rule_arrays(self.modifiers)
        valence = np.array([self.valence.get(w, 0.0) for w in lex.words] + [0.0])
        contributions = planted_contributions(
            ids, np.zeros(1, np.int64), np.array([ids.size]), valence,
            np.append(is_mod, False), np.append(alpha, 1.0), np.append(tau, 1.0), self.position)
        return float(contributions.sum()), contributions


@dataclass(frozen=True, eq=False)
class SyntheticCorpus:
    """Generated documents: ``texts`` (list of str), ``labels`` [n] int64 0/1, ``truth``."""

    texts: list[str] = field(repr=False)
    labels: np.ndarray = field(repr=False)
    truth: GroundTruth


def _render(words: Sequence[str], ids: np.ndarray, offsets: np.ndarray) -> list[str]:
    """Token ids -> review-like text ("This movie is awesome. I don't like it.").

    Inverse of :func:`rnnctx_utils.text.tokenize` on this vocabulary: punctuation and "n't"
    attach to the previous word, sentences start with a capital, "i" is written "I".

    Args:
        words: [V] the lexicon.
        ids: [N] word ids of all documents concatenated.
        offsets: [n_docs + 1] document boundaries in ``ids``.
    """
    n_words = len(words)
    # Four surface forms per word: (lower | capitalized) x (no space | space before).
    forms = []
    for w in words:
        lower = "I" if w == "i" else w
        forms += [lower, " " + lower, w[:1].upper() + w[1:], " " + w[:1].upper() + w[1:]]
    table = np.array(forms, dtype=object)
    attach = np.zeros(n_words + 1, dtype=bool)
    for w in (".", ",", "n't"):
        attach[words.index(w)] = True
    doc_start = np.zeros(ids.size, dtype=bool)
    doc_start[offsets[:-1][offsets[:-1] < ids.size]] = True
    after_stop = np.zeros(ids.size, dtype=bool)
    after_stop[1:] = ids[:-1] == words.index(".")
    capital = doc_start | after_stop
    space = ~(doc_start | attach[ids])
    pieces = table[4 * ids + 2 * capital + space].tolist()
    return ["".join(pieces[a:b]) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def generate(n_docs: int, seed: int, *, min_len: int = 20, max_len: int = 80,
             label_noise: float = DEFAULT_LABEL_NOISE,
             position: PositionWeights = DEFAULT_POSITION,
             modifiers: Mapping[str, Modifier] | None = None) -> SyntheticCorpus:
    """Generate ``n_docs`` reviews of the synthetic language with their planted ground truth.

    Args:
        n_docs: number of documents.
        seed: the only source of randomness (same seed, same corpus byte for byte).
        min_len, max_len: document length range in tokens. Target lengths are log-uniform;
            documents end at a sentence boundary when ``max_len − min_len`` is at least the
            longest template (12 tokens), otherwise the last sentence is cut at the target.
        label_noise: scale s of the logistic label noise.
        position: planted beginning/end-of-document weights.
        modifiers: planted gains and timescales that replace those of :data:`MODIFIERS` for
            the words given (only words of :data:`MODIFIERS`; α = 1 switches one off).

    Returns:
        :class:`SyntheticCorpus` with ``texts``, ``labels`` [n_docs] int64 and ``truth``.
    """
    if n_docs < 0:
        raise ValueError(f"n_docs must be >= 0, got {n_docs}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    if label_noise <= 0:
        raise ValueError(f"label_noise must be positive, got {label_noise}")
    modifiers = {**MODIFIERS, **(modifiers or {})}
    unknown = sorted(set(modifiers) - set(MODIFIERS))
    if unknown:
        raise ValueError(f"only the planted modifier words can be given, not {unknown}; "
                         f"choose among {sorted(MODIFIERS)}")
    lex = _lexicon()
    rng = np.random.default_rng(seed)
    openers, body = _compile(OPENERS), _compile(BODY)
    longest = max(openers.codes.shape[1], body.codes.shape[1])

    # Target lengths; whole sentences when the range allows it (see docstring).
    whole = max_len - min_len >= longest
    lo = min_len + longest - 1 if whole else min_len
    target = _doc_lengths_target(rng, n_docs, lo, max_len)

    # One opener per document, then a stream of body sentences cut into documents.
    o_codes, o_signs, o_u, o_len = _sentences(rng, openers, n_docs)
    remaining = target - o_len
    # Enough body tokens for every document even in the worst case, drawn in chunks.
    needed = int(np.sum(np.maximum(remaining, 0))) + n_docs * longest + 1
    chunks = [_sentences(rng, body, needed // 5 + 16)]
    while sum(int(c[3].sum()) for c in chunks) < needed:
        chunks.append(_sentences(rng, body, needed // 20 + 16))
    b_codes, b_signs, b_u, b_len = (np.concatenate(parts) for parts in zip(*chunks,
                                                                           strict=True))
    n_body = b_len.size
    # Sequential by nature (each document starts where the previous one ended); a bisect per
    # document keeps it at well under a microsecond per document.
    cum = np.concatenate([[0], np.cumsum(b_len)]).tolist()
    stop = np.empty(n_docs, dtype=np.int64)
    cursor = 0
    for i, r in enumerate(remaining.tolist()):
        goal = cum[cursor] + r
        # whole: the most sentences that fit; cut: the fewest that reach the target.
        end = bisect.bisect_right(cum, goal) - 1 if whole else bisect.bisect_left(cum, goal)
        cursor = stop[i] = max(end, cursor)

    # Polarity: a latent one per document; sentences agree with it with probability AGREEMENT.
    doc_polarity = np.where(rng.random(n_docs) < 0.5, 1, -1)
    agree = np.where(rng.random(n_docs + n_body) < AGREEMENT, 1, -1)
    # Documents consume the stream in order, so the used body sentences are 0 … cursor − 1.
    body_doc = np.repeat(np.arange(n_docs), np.diff(np.concatenate([[0], stop])))
    body_index = np.arange(cursor)
    o_ids = _fill(o_codes, o_signs, doc_polarity * agree[:n_docs], o_u, signed=True)
    b_ids = _fill(b_codes[body_index], b_signs[body_index],
                  doc_polarity[body_doc] * agree[n_docs + body_index], b_u[body_index],
                  signed=True)

    # Flatten: each document is its opener followed by its body sentences.
    sentence_doc = np.concatenate([np.arange(n_docs), body_doc])
    order = np.argsort(sentence_doc, kind="stable")
    width = max(o_ids.shape[1], b_ids.shape[1])
    all_ids = np.concatenate([_pad_to(o_ids, width), _pad_to(b_ids, width)])[order]
    flat = all_ids[all_ids != PAD]
    lengths = (all_ids != PAD).sum(axis=1)
    doc_len = np.bincount(sentence_doc[order], weights=lengths, minlength=n_docs).astype(np.int64)
    if not whole:
        flat, doc_len = _cut(flat, doc_len, target)
    offsets = np.concatenate([[0], np.cumsum(doc_len)]).astype(np.int64)

    # Planted scores and labels.
    is_mod, alpha, tau = _rule_arrays(modifiers)
    contrib = planted_contributions(flat, offsets[:-1], doc_len, lex.valence, is_mod, alpha,
                                    tau, position)
    scores = np.add.reduceat(contrib, offsets[:-1]) if n_docs else np.zeros(0)
    noise = label_noise * rng.logistic(size=n_docs)
    labels = (scores + noise > 0).astype(np.int64)
    bayes = float(np.mean(expit(np.abs(scores) / label_noise))) if n_docs else float("nan")

    texts = _render(lex.words, flat, offsets) if n_docs else []
    truth = GroundTruth(
        words=lex.words,
        roles=dict(lex.roles),
        valence={w: float(v) for w, v in zip(lex.words, lex.valence, strict=True) if v != 0},
        modifiers=modifiers,
        position=position,
        scores=scores,
        contributions=np.split(contrib, offsets[1:-1]) if n_docs else [],
        noise=noise,
        label_noise=float(label_noise),
        bayes_accuracy=bayes,
    )
    return SyntheticCorpus(texts=texts, labels=labels, truth=truth)


def _pad_to(ids: np.ndarray, width: int) -> np.ndarray:
    """[n, K] -> [n, width] padded with PAD."""
    return np.pad(ids, ((0, 0), (0, width - ids.shape[1])), constant_values=PAD)


def _cut(flat: np.ndarray, doc_len: np.ndarray, target: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Cut each document of a flat token array to at most ``target`` tokens."""
    starts = np.concatenate([[0], np.cumsum(doc_len)[:-1]])
    new_len = np.minimum(doc_len, target)
    keep = np.arange(flat.size) - np.repeat(starts, doc_len) < np.repeat(new_len, doc_len)
    return flat[keep], new_len
