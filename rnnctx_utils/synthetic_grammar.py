"""The synthetic review language's grammar: its words, its planted modifiers, its templates.

Every word class with its within-class frequencies (Zipf-like), the planted valences, the
planted modifiers (:data:`MODIFIERS`, each a :class:`Modifier` with gain α and timescale τ),
the position weights (:class:`PositionWeights`) and the sentence templates (:data:`OPENERS`,
:data:`BODY`) with their weights; then the same grammar compiled for sampling (templates as
integer codes, word classes as cumulative frequency tables). Fixed data: the sampling of
documents and the planted rule's scores are in :mod:`rnnctx_utils.synthetic`, which re-exports
the public names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

ROLES = ("neutral", "valence", "negator", "intensifier", "diminisher", "contrast",
         "punctuation")


@dataclass(frozen=True)
class Modifier:
    """A planted modifier: gain ``alpha`` right after it, relaxing to 1 with timescale ``tau``.

    The factor applied to a valence word ``distance`` tokens later (distance 1 = the next token)
    is ``1 + (alpha − 1) · exp(−(distance − 1) / tau)``.
    """

    alpha: float
    tau: float

    def gain(self, distance: np.ndarray | float) -> np.ndarray:
        """Multiplicative factor on a valence word ``distance`` (≥ 1) tokens after the modifier.

        Args:
            distance: [...] token distances, 1 for the next token.

        Returns:
            [...] factors (``alpha`` at distance 1, → 1 far away).
        """
        d = np.asarray(distance, dtype=np.float64)
        return 1.0 + (self.alpha - 1.0) * np.exp(-(d - 1.0) / self.tau)


@dataclass(frozen=True)
class PositionWeights:
    """Planted weight of a word by position: p(t, T) = 1 + β_b e^{−t/τ_b} + β_e e^{−(T−1−t)/τ_e}."""

    beta_begin: float = 1.0
    tau_begin: float = 6.0
    beta_end: float = 0.5
    tau_end: float = 4.0

    def __call__(self, t: np.ndarray | float, length: np.ndarray | float) -> np.ndarray:
        """Weights for token indices ``t`` [...] in documents of ``length`` [...] tokens."""
        t = np.asarray(t, dtype=np.float64)
        length = np.asarray(length, dtype=np.float64)
        return (1.0 + self.beta_begin * np.exp(-t / self.tau_begin)
                + self.beta_end * np.exp(-(length - 1.0 - t) / self.tau_end))


# ---------------------------------------------------------------------------------------------
# The planted lexicon. Lists are in decreasing frequency (Zipf-like draws within each class).

# Valence words with graded strength.
POSITIVE_ADJECTIVES = (
    ("good", 1.0), ("great", 1.5), ("nice", 0.8), ("fun", 1.0), ("awesome", 2.0),
    ("excellent", 2.0), ("amazing", 2.0), ("fine", 0.5), ("wonderful", 1.8),
    ("beautiful", 1.4), ("enjoyable", 1.0), ("decent", 0.6), ("solid", 0.8),
    ("brilliant", 2.2), ("superb", 2.2), ("perfect", 2.5),
)
NEGATIVE_ADJECTIVES = (
    ("bad", -1.0), ("boring", -1.5), ("awful", -2.0), ("terrible", -2.0), ("poor", -1.0),
    ("dull", -0.8), ("stupid", -1.4), ("horrible", -2.0), ("weak", -0.7), ("lame", -1.2),
    ("annoying", -1.0), ("mediocre", -0.6), ("disappointing", -1.3), ("bland", -0.7),
    ("pointless", -1.5), ("dreadful", -2.2),
)
POSITIVE_VERBS = (("like", 1.0), ("love", 1.6), ("enjoy", 1.2), ("adore", 1.8))
NEGATIVE_VERBS = (("hate", -1.6), ("dislike", -1.0), ("despise", -1.8), ("loathe", -2.0))
OTHER_VALENCE = (("recommend", 1.2),)

MODIFIERS: Mapping[str, Modifier] = {
    "not": Modifier(-1.5, 3.0),
    "n't": Modifier(-1.5, 2.0),
    "never": Modifier(-1.2, 2.5),
    "very": Modifier(2.0, 1.0),
    "extremely": Modifier(3.0, 1.0),
    "really": Modifier(1.6, 1.0),
    "definitely": Modifier(2.0, 1.5),
    "somewhat": Modifier(0.5, 1.5),
    "slightly": Modifier(0.6, 1.0),
    "but": Modifier(1.5, 3.0),
}
MODIFIER_ROLES: Mapping[str, str] = {
    "not": "negator", "n't": "negator", "never": "negator",
    "very": "intensifier", "extremely": "intensifier", "really": "intensifier",
    "definitely": "intensifier", "somewhat": "diminisher", "slightly": "diminisher",
    "but": "contrast",
}

# Neutral word classes (no valence).
ASPECTS = (
    "acting", "plot", "story", "ending", "script", "music", "cast", "dialogue", "direction",
    "humor", "pacing", "soundtrack", "writing", "cinematography", "editing", "premise",
    "atmosphere", "finale", "villain", "lead", "casting", "animation", "lighting", "tone",
    "twist", "climax", "photography", "setting", "design",
)
FILMS = (
    "movie", "film", "show", "sequel", "comedy", "drama", "thriller", "picture",
    "documentary", "remake", "series", "cartoon", "musical", "western",
)
THINGS = (
    "man", "woman", "family", "girl", "boy", "city", "town", "house", "war", "school", "car",
    "dog", "doctor", "soldier", "detective", "king", "teacher", "child", "island", "ship",
    "train", "farm", "hospital", "village", "river", "forest", "queen", "robot", "ghost",
    "lawyer", "pilot", "nurse", "farmer", "painter", "singer", "dancer", "student", "officer",
    "prince", "princess", "witch", "wizard", "dragon", "horse", "cat", "bird", "shark",
    "alien", "planet", "moon", "desert", "mountain", "ocean", "lake", "garden", "castle",
    "tower", "bridge", "road", "street", "market", "church", "museum", "office", "factory",
    "bank", "restaurant", "kitchen", "bedroom", "basement", "attic", "hotel", "circus", "camp",
    "party", "wedding", "funeral", "trial", "heist", "storm", "flood", "journey", "mission",
    "secret", "letter", "diary", "map", "key", "box", "ring", "sword", "clock", "mirror",
    "photo", "song", "book", "game", "dream", "plan", "job", "debt", "bet", "promise",
    "accident", "rumor", "stranger", "twin", "orphan", "widow", "priest", "chef", "thief",
    "spy", "sailor", "captain", "general", "president", "reporter", "scientist", "professor",
    "inventor", "banker", "gambler", "boxer", "hunter", "driver", "cowboy", "sheriff",
    "gangster", "vampire", "zombie", "puppet", "clown", "giant", "dwarf", "monk", "knight",
    "pirate", "mayor", "judge", "poet", "tailor", "baker", "miner", "fisherman", "butler",
)
PEOPLE = (
    "friend", "wife", "husband", "brother", "sister", "kids", "son", "daughter", "mother",
    "father", "girlfriend", "boyfriend", "parents", "cousin", "uncle", "aunt", "roommate",
    "dad", "mom", "grandmother", "grandfather", "neighbor", "coworkers", "classmates",
)
DAYS = ("friday", "saturday", "sunday", "monday", "tuesday", "wednesday", "thursday")
PERIODS = ("week", "night", "weekend", "month", "year", "summer", "winter", "spring")
PLACES = ("cinema", "theater", "festival", "library", "mall", "airport", "premiere",
          "screening", "hostel")
CREW = ("actor", "actress", "director", "writer", "producer", "composer", "star", "narrator",
        "comedian", "editor")
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
           "twelve")
NEUTRAL_VERBS = ("watched", "saw", "rented", "streamed", "bought", "caught", "recorded",
                 "borrowed", "found", "downloaded", "played")

# Word classes used by the templates: name -> (words, relative frequencies) for unsigned classes.
# "" is the empty word (an optional slot that stays empty).
_UNSIGNED_CLASSES: Mapping[str, tuple[tuple[str, ...], tuple[float, ...] | None]] = {
    "N": (ASPECTS, None), "F": (FILMS, None), "X": (THINGS, None), "P": (PEOPLE, None),
    "D": (DAYS, None), "W": (PERIODS, None), "L": (PLACES, None), "R": (CREW, None),
    "NUM": (NUMBERS, None), "NV": (NEUTRAL_VERBS, None),
    # Optional degree word before an adjective.
    "M": (("", "very", "really", "extremely", "somewhat", "slightly"),
          (0.48, 0.2, 0.1, 0.1, 0.06, 0.06)),
    # Optional degree word before a verb ("i really like it").
    "MV": (("", "really", "definitely"), (0.55, 0.25, 0.2)),
    # Optional degree word after "do n't" ("i don't really like it").
    "MR": (("", "really"), (0.7, 0.3)),
    # A required intensifier before an article ("it is definitely a good movie").
    "MI": (("definitely", "really"), (0.6, 0.4)),
    # Negation after "is"/"was" ("is not", "isn't", "was never").
    "NEG": (("not", "n't", "never"), (0.55, 0.3, 0.15)),
    # A required intensifier before an adjective ("very good and fun").
    "MA": (("very", "extremely", "really"), (0.5, 0.3, 0.2)),
}
# Signed classes: the word depends on the sentence's polarity (positive list, negative list).
_SIGNED_CLASSES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "A": (tuple(w for w, _ in POSITIVE_ADJECTIVES), tuple(w for w, _ in NEGATIVE_ADJECTIVES)),
    "V": (tuple(w for w, _ in POSITIVE_VERBS), tuple(w for w, _ in NEGATIVE_VERBS)),
    # "i would definitely recommend it" / "i would never recommend it".
    "SI": (("definitely", "really"), ("not", "never")),
}

# Sentence templates with relative weights. {C} is a slot of class C, {~C} a signed slot whose
# polarity is opposite to the sentence's (negated templates: "is not {~A}" says the sentence's
# polarity with a word of the other sign). Tokens are already as `text.tokenize` returns them.
OPENERS: tuple[tuple[str, float], ...] = (
    ("this {F} is {M} {A} .", 4.0),
    ("this {F} is {NEG} {M} {~A} .", 1.0),
    ("what a {M} {A} {F} .", 1.5),
    ("i {MV} {V} this {F} .", 1.5),
    ("i do n't {MR} {~V} this {F} .", 0.5),
    ("this is a {M} {A} {F} .", 1.5),
    ("this is not a {M} {~A} {F} .", 0.5),
    ("i {NV} this {F} on {D} .", 1.0),
    ("i {NV} this {F} last {W} .", 1.0),
)
BODY: tuple[tuple[str, float], ...] = (
    # plain valence
    ("the {N} is {M} {A} .", 4.0),
    ("the {N} was {M} {A} .", 3.0),
    ("it is {M} {A} .", 2.5),
    ("it was {M} {A} .", 1.5),
    ("i {MV} {V} it .", 2.5),
    ("i {MV} {V} the {N} .", 1.5),
    ("{M} {A} {N} .", 1.5),
    ("{M} {A} {N} and {M} {A} {N} .", 1.0),
    ("the {N} is {MA} {A} and {A} .", 1.0),
    ("it is {MI} a {A} {F} .", 1.0),
    ("i would {SI} recommend it .", 1.5),
    # negated valence: distances 1 to 5 after the negator
    ("the {N} is {NEG} {M} {~A} .", 2.0),
    ("the {N} was {NEG} {M} {~A} .", 1.0),
    ("it is {NEG} {M} {~A} .", 1.0),
    ("it is not a {M} {~A} {F} .", 0.75),
    ("it was never a {M} {~A} {F} .", 0.5),
    ("the {N} is not at all {~A} .", 0.5),
    ("i do n't {MR} {~V} it .", 1.25),
    ("i did n't {~V} the {N} .", 0.75),
    ("i do n't think it is {~A} .", 0.5),
    ("i do n't think the {N} is {~A} .", 0.5),
    ("i did n't find it {M} {~A} .", 0.75),
    ("it is not really a {~A} {F} .", 0.5),
    ("it is not at all a {~A} {F} .", 0.5),
    # contrast
    ("the {N} is {~A} but the {N} is {M} {A} .", 1.5),
    ("the {N} was {M} {~A} , but i {MV} {V} it .", 1.0),
    ("{~A} {N} , but {M} {A} {N} .", 1.0),
    # neutral
    ("i {NV} it at the {L} with my {P} .", 2.0),
    ("i {NV} it on {D} with my {P} .", 1.5),
    ("my {P} {NV} it last {W} .", 1.5),
    ("the {R} plays a {X} who lives in a {X} .", 2.0),
    ("it is a {F} about a {X} and a {X} .", 2.0),
    ("the {F} is about a {X} in the {X} .", 2.0),
    ("the {N} reminded me of a {X} .", 1.0),
    ("there is a {X} , a {X} and a {X} .", 1.0),
    ("the story takes place in a {X} near a {X} .", 1.0),
    ("i went with my {P} and my {P} .", 1.0),
    ("the {R} also made a {F} about a {X} .", 1.0),
    ("i saw it {NUM} times .", 1.0),
    ("it runs about {NUM} hours .", 0.5),
)

# Sentences follow their document's polarity with this probability (mixed reviews otherwise).
AGREEMENT = 0.8
# Zipf exponent of the within-class word frequencies: p(rank r) ∝ 1 / (r + ZIPF_OFFSET)^ZIPF_S.
ZIPF_S = 1.0
ZIPF_OFFSET = 1.0
# Logistic label-noise scale s: the Bayes accuracy of the default corpus (20–80 tokens) is ~95%.
DEFAULT_LABEL_NOISE = 0.9
DEFAULT_POSITION = PositionWeights()

PUNCTUATION = (".", ",")


class _Lexicon(NamedTuple):
    """Every word of the language with its role and valence, in a fixed order."""

    words: tuple[str, ...]
    ids: Mapping[str, int]
    roles: Mapping[str, str]
    valence: np.ndarray  # [V] float64, 0 for non-valence words


@functools.lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    valence_pairs = (POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES + POSITIVE_VERBS
                     + NEGATIVE_VERBS + OTHER_VALENCE)
    roles: dict[str, str] = {p: "punctuation" for p in PUNCTUATION}
    for words, _ in _UNSIGNED_CLASSES.values():
        for w in words:
            if w and w not in MODIFIERS:
                roles.setdefault(w, "neutral")
    for w, _ in valence_pairs:
        roles[w] = "valence"
    for w in MODIFIERS:
        roles[w] = MODIFIER_ROLES[w]
    for template, _ in OPENERS + BODY:
        for tok in template.split():
            if not tok.startswith("{"):
                roles.setdefault(tok, "neutral")
    words = tuple(roles)
    valence_of = dict(valence_pairs)
    valence = np.array([valence_of.get(w, 0.0) for w in words], dtype=np.float64)
    return _Lexicon(words, {w: i for i, w in enumerate(words)}, roles, valence)


# ---------------------------------------------------------------------------------------------
# The grammar compiled for sampling: templates as integer codes, classes as cumulative tables.


def _zipf(n: int) -> np.ndarray:
    """[n] Zipf-like probabilities for a list in decreasing frequency."""
    p = 1.0 / (np.arange(n) + 1.0 + ZIPF_OFFSET) ** ZIPF_S
    return p / p.sum()


class _Templates(NamedTuple):
    """Templates compiled to integer codes.

    codes: [n_templates, n_slots] int64: a word id (≥ 0), a class code (≤ −2), or −1 (pad).
    signs: [n_templates, n_slots] int8: +1, or −1 for a slot of opposite polarity.
    weights: [n_templates] float64 probabilities.
    """

    codes: np.ndarray
    signs: np.ndarray
    weights: np.ndarray


PAD = -1
_CLASS_NAMES: tuple[str, ...] = tuple(_UNSIGNED_CLASSES) + tuple(_SIGNED_CLASSES)


def _class_code(name: str) -> int:
    return -2 - _CLASS_NAMES.index(name)


@functools.lru_cache(maxsize=2)
def _compile(templates: tuple[tuple[str, float], ...]) -> _Templates:
    lex = _lexicon()
    n_slots = max(len(t.split()) for t, _ in templates)
    codes = np.full((len(templates), n_slots), PAD, dtype=np.int64)
    signs = np.ones((len(templates), n_slots), dtype=np.int8)
    for i, (template, _) in enumerate(templates):
        for k, tok in enumerate(template.split()):
            if tok.startswith("{"):
                name = tok.strip("{}")
                if name.startswith("~"):
                    name, signs[i, k] = name[1:], -1
                codes[i, k] = _class_code(name)
            else:
                codes[i, k] = lex.ids[tok]
    weights = np.array([w for _, w in templates], dtype=np.float64)
    return _Templates(codes, signs, weights / weights.sum())


@functools.lru_cache(maxsize=1)
def _class_tables() -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Class code -> (positive ids, positive cdf, negative ids, negative cdf); id −1 = empty."""
    lex = _lexicon()

    def ids(words: Sequence[str]) -> np.ndarray:
        return np.array([lex.ids[w] if w else PAD for w in words], dtype=np.int64)

    tables = {}
    for name, (words, probs) in _UNSIGNED_CLASSES.items():
        p = _zipf(len(words)) if probs is None else np.asarray(probs) / np.sum(probs)
        cdf = np.cumsum(p)
        tables[_class_code(name)] = (ids(words), cdf, ids(words), cdf)
    for name, (pos, neg) in _SIGNED_CLASSES.items():
        tables[_class_code(name)] = (ids(pos), np.cumsum(_zipf(len(pos))),
                                     ids(neg), np.cumsum(_zipf(len(neg))))
    return tables
