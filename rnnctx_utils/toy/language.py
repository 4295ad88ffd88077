"""The toy language of P2 §4: twelve symbols and the running-sum target.

Six noise words (``and a the for it while``, valence 0), four valence words (``good`` +1,
``bad`` −1, ``awesome`` +2, ``awful`` −2) and two modifiers: ``not`` flips the sign of the
contributions of the next :data:`NOT_WINDOW` = 4 tokens, ``very`` doubles the contribution of
the next :data:`VERY_WINDOW` = 1 token. The target at every step is the running sum of the
contributions (see the package docstring for overlapping modifiers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

NOISE_WORDS = ("and", "a", "the", "for", "it", "while")
VALENCE_WORDS = ("good", "bad", "awesome", "awful")
VOCABULARY: tuple[str, ...] = NOISE_WORDS + VALENCE_WORDS + ("not", "very")
N_SYMBOLS = len(VOCABULARY)
WORD_ID = {word: i for i, word in enumerate(VOCABULARY)}
NOT_ID = WORD_ID["not"]
VERY_ID = WORD_ID["very"]
VALENCE = {"good": 1.0, "bad": -1.0, "awesome": 2.0, "awful": -2.0}
# valence of every symbol, indexed by token id: [N_SYMBOLS]
VALENCE_TABLE = np.array([VALENCE.get(word, 0.0) for word in VOCABULARY], np.float32)
NOT_WINDOW = 4
VERY_WINDOW = 1
VERY_GAIN = 2.0
_VALENCE_INT8 = VALENCE_TABLE.astype(np.int8)


def encode(words: str | Sequence[str]) -> np.ndarray:
    """Token ids of a sentence: ``encode("not good")`` → [T] int32 (unknown word: KeyError)."""
    if isinstance(words, str):
        words = words.split()
    return np.array([WORD_ID[w] for w in words], np.int32)


def decode(tokens: Iterable[int]) -> str:
    """The sentence of token ids [T] (inverse of :func:`encode`)."""
    return " ".join(VOCABULARY[int(t)] for t in tokens)


def generate_tokens(n_sequences: int, seq_len: int, seed: int) -> np.ndarray:
    """Random sequences with every symbol equally likely: tokens [n_sequences, seq_len] int32.

    One vectorised draw (100,000 × 50 in a few milliseconds).
    """
    rng = np.random.default_rng(seed)
    return rng.integers(0, N_SYMBOLS, size=(n_sequences, seq_len), dtype=np.int32)


def _follows(mask: np.ndarray, window: int) -> np.ndarray:
    """[..., T] bool: True at t when mask is True somewhere in t − window … t − 1."""
    recent = np.zeros_like(mask)
    for lag in range(1, window + 1):
        recent[..., lag:] |= mask[..., :-lag]
    return recent


def contributions(tokens: np.ndarray) -> np.ndarray:
    """Each token's contribution to the sentiment: [..., T] float32 for tokens [..., T].

    valence · (−1 if a ``not`` is among the previous 4 tokens) · (2 if the previous token is
    ``very``); see the module docstring for overlapping modifiers.
    """
    return _integer_contributions(np.asarray(tokens)).astype(np.float32)


def _integer_contributions(tokens: np.ndarray) -> np.ndarray:
    """contributions() in int8 arithmetic (valences and gains are small integers: 5× faster)."""
    values = _VALENCE_INT8[tokens]
    np.negative(values, out=values, where=_follows(tokens == NOT_ID, NOT_WINDOW))
    np.multiply(values, np.int8(VERY_GAIN), out=values,
                where=_follows(tokens == VERY_ID, VERY_WINDOW))
    return values


def targets(tokens: np.ndarray) -> np.ndarray:
    """Running sum of contributions, the regression target at every step: [..., T] float32."""
    # |sum| <= 4 per token, so int16 holds any sequence shorter than 8,000 tokens exactly.
    sums = np.cumsum(_integer_contributions(np.asarray(tokens)), axis=-1, dtype=np.int16)
    return sums.astype(np.float32)


def one_hot(tokens: np.ndarray | jax.Array) -> jax.Array:
    """[..., T] int → [..., T, N_SYMBOLS] float32 inputs."""
    return jax.nn.one_hot(tokens, N_SYMBOLS, dtype=jnp.float32)


def word_vector(word: str) -> jax.Array:
    """The one-hot input vector of a word: [N_SYMBOLS]."""
    return one_hot(jnp.asarray(WORD_ID[word]))
