"""Text to integer arrays: tokenizer, vocabulary, encoding, length-bucketed batches.

The tokenizer is deliberately simple and documented, since the analyses talk about single
tokens ("not", "n't", "very"):

- HTML tags (IMDB's ``<br />``, ``<i>``) become spaces and entities (``&amp;``) are decoded;
- Unicode is NFKC-normalized, curly apostrophes become ``'``, text is lower-cased;
- negation clitics split off as their own token, Penn-Treebank style: "don't" -> "do", "n't"
  ("can't" -> "ca", "n't"); so do "'s", "'re", "'ve", "'ll", "'d", "'m";
- words are runs of letters and digits; every other non-space character is its own token,
  and a run of the same punctuation character counts once ("!!!" -> "!", "..." -> ".").

Already PTB-tokenized text (SST: "does n't", "it 's") gives the same tokens.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

import numpy as np

# A tag starts with a letter (or "/" and a letter), so "i <3 it" or "a < b" survive.
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")
_APOSTROPHES = re.compile("[\u2018\u2019\u201b\u02bc\u00b4`]")
_NEGATION = re.compile(r"(?<=\w)n't\b")
_REPEATS = re.compile(r"([^\w\s]|_)\1+")
_TOKEN = re.compile(r"n't\b|'(?:s|re|ve|ll|d|m)\b|[^\W_]+|[^\w\s]|_")


def tokenize(text: str) -> list[str]:
    """Split a review into lower-case tokens (see the module docstring for the rules).

    Examples:
        >>> tokenize("I don't like it.<br /><br />Really!!!")
        ['i', 'do', "n't", 'like', 'it', '.', 'really', '!']
    """
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = _APOSTROPHES.sub("'", unicodedata.normalize("NFKC", text))
    text = text.lower()
    if "n't" in text:
        text = _NEGATION.sub(" n't", text)
    # findall without groups returns the strings directly (twice as fast as finditer).
    return _TOKEN.findall(_REPEATS.sub(r"\1", text))


def _as_tokens(doc: str | Sequence[str]) -> Sequence[str]:
    return tokenize(doc) if isinstance(doc, str) else doc


@dataclass(frozen=True)
class Vocab:
    """Token <-> id map with ``<pad>`` = 0 and ``<unk>`` = 1.

    Attributes:
        tokens: all tokens by id (``tokens[0] == "<pad>"``, ``tokens[1] == "<unk>"``).
    """

    tokens: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    PAD: ClassVar[str] = "<pad>"
    UNK: ClassVar[str] = "<unk>"
    PAD_ID: ClassVar[int] = 0
    UNK_ID: ClassVar[int] = 1

    def __post_init__(self) -> None:
        tokens = tuple(self.tokens)
        if tokens[:2] != (self.PAD, self.UNK):
            raise ValueError("a Vocab's first two tokens must be '<pad>' and '<unk>'")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a Vocab's tokens must be unique")
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def id(self, token: str) -> int:
        """Id of ``token``, or ``UNK_ID`` when it is not in the vocabulary."""
        return self._index.get(token, self.UNK_ID)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of ``tokens`` [T] (unknown tokens -> ``UNK_ID``)."""
        get = self._index.get
        return [get(t, 1) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids`` (padding included as ``<pad>``)."""
        return [self.tokens[int(i)] for i in ids]

    def to_json(self) -> str:
        """Serialise to a JSON string (round-trips through :meth:`from_json`)."""
        return json.dumps({"format": "rnnctx-vocab/1", "tokens": list(self.tokens)},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, payload: str) -> Vocab:
        """Inverse of :meth:`to_json`."""
        data = json.loads(payload)
        if data.get("format") != "rnnctx-vocab/1":
            raise ValueError("not an rnnctx vocabulary (missing format 'rnnctx-vocab/1')")
        return cls(tuple(data["tokens"]))


def build_vocab(texts: Iterable[str | Sequence[str]], max_size: int = 20_000,
                min_count: int = 1) -> Vocab:
    """Vocabulary of the most frequent tokens (build it on the train split only).

    Args:
        texts: documents, as raw strings or as token lists.
        max_size: size cap *including* ``<pad>`` and ``<unk>`` (at least 2).
        min_count: tokens seen fewer times are left out (they encode as ``<unk>``).

    Returns:
        A :class:`Vocab` ordered by count (descending), ties alphabetical, so the same texts
        give the same ids on every machine.
    """
    if max_size < 2:
        raise ValueError(f"max_size must be at least 2 (<pad>, <unk>), got {max_size}")
    counts: Counter[str] = Counter()
    for doc in texts:
        counts.update(_as_tokens(doc))
    kept = sorted((t for t, c in counts.items() if c >= min_count),
                  key=lambda t: (-counts[t], t))
    return Vocab((Vocab.PAD, Vocab.UNK, *kept[: max_size - 2]))


class Encoded(NamedTuple):
    """Documents as padded id arrays.

    tokens: [n_docs, L] int32 ids, zero-padded on the right; L = the longest kept length
        (at least 1, at most ``max_len``).
    lengths: [n_docs] int32 tokens kept per document (0 for an empty document).
    n_truncated: documents longer than ``max_len`` (``max_len`` of their tokens are kept).
    """

    tokens: np.ndarray
    lengths: np.ndarray
    n_truncated: int


def encode_ids(texts: Sequence[str | Sequence[str]], vocab: Vocab) -> list[list[int]]:
    """Whole documents as token-id lists (no truncation, no padding): [n_docs] lists."""
    return [vocab.encode(_as_tokens(doc)) for doc in texts]


def encode_texts(texts: Sequence[str | Sequence[str]], vocab: Vocab, max_len: int,
                 *, keep: str = "first") -> Encoded:
    """Tokenize and encode documents, truncating explicitly.

    Args:
        texts: [n_docs] raw strings or token lists.
        vocab: the vocabulary (unknown tokens -> ``<unk>``).
        max_len: documents longer than this keep ``max_len`` tokens; how many were cut is
            returned as ``n_truncated`` (never a silent drop).
        keep: ``"first"`` or ``"last"``: which ``max_len`` tokens a longer document keeps.

    Returns:
        :class:`Encoded` with ``tokens`` [n_docs, L] int32, ``lengths`` [n_docs] int32.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be positive, got {max_len}")
    if keep not in ("first", "last"):
        raise ValueError(f"keep must be 'first' or 'last', got {keep!r}")
    ids = [vocab.encode(_as_tokens(doc)) for doc in texts]
    full = np.fromiter((len(d) for d in ids), dtype=np.int64, count=len(ids))
    if keep == "last":
        ids = [d[-max_len:] for d in ids]
    lengths = np.minimum(full, max_len)
    width = int(max(1, lengths.max(initial=0)))
    tokens = np.zeros((len(ids), width), dtype=np.int32)
    flat = [i for d, n in zip(ids, lengths.tolist(), strict=True) for i in d[:n]]
    # Row-major boolean assignment fills each row's first `length` cells in order.
    tokens[np.arange(width) < lengths[:, None]] = flat
    return Encoded(tokens, lengths.astype(np.int32), int(np.sum(full > max_len)))


class Batch(NamedTuple):
    """One batch of documents of similar length.

    tokens: [B, L_b] int32 (L_b = longest length in the batch rounded up, at most L).
    lengths: [B] int32; labels: [B] int32; rows: [B] int64 rows of the encoded arrays.
    """

    tokens: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    rows: np.ndarray


def batches(encoded: Encoded, labels: Sequence[int] | np.ndarray, batch_size: int, seed: int,
            shuffle: bool = True, *, length_multiple: int = 8, pool_batches: int = 50,
            drop_last: bool = False) -> Iterator[Batch]:
    """One pass over the documents in batches of similar length.

    With ``shuffle``, documents are shuffled, cut into pools of ``pool_batches`` batches, sorted
    by length inside each pool and batched, and the batches are shuffled: random batches with
    little padding. Without it, documents go in order of length (for evaluation: use
    ``Batch.rows`` to put results back in place). Every document appears exactly once
    (unless ``drop_last`` drops a short final batch).

    Args:
        encoded: the :class:`Encoded` documents.
        labels: [n_docs] 0/1 labels.
        batch_size: documents per batch (the last batch may be smaller).
        seed: seed of the shuffle (e.g. ``seed + epoch``).
        shuffle: shuffle (training) or sort by length (evaluation).
        length_multiple: round each batch's width up to a multiple of this, so that jitted
            code sees few distinct shapes (1 = no rounding).
        pool_batches: batches per sorting pool (larger: less padding, less randomness).
        drop_last: drop a final batch smaller than ``batch_size``.

    Yields:
        :class:`Batch` objects.
    """
    if batch_size < 1 or length_multiple < 1 or pool_batches < 1:
        raise ValueError("batch_size, length_multiple and pool_batches must be positive")
    lengths = np.asarray(encoded.lengths)
    labels_arr = np.asarray(labels)
    if labels_arr.shape != lengths.shape:
        raise ValueError(f"labels {labels_arr.shape} and documents {lengths.shape} differ")
    n, width = encoded.tokens.shape
    if shuffle:
        rng = np.random.default_rng(seed)
        perm = rng.permutation(n)
        pool = batch_size * pool_batches
        order = np.concatenate(
            [p[np.argsort(lengths[p], kind="stable")] for p in
             (perm[i:i + pool] for i in range(0, n, pool))]) if n else perm
        groups = [order[i:i + batch_size] for i in range(0, n, batch_size)]
        groups = [groups[i] for i in rng.permutation(len(groups))]
    else:
        order = np.argsort(lengths, kind="stable")
        groups = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    for idx in groups:
        if drop_last and idx.size < batch_size:
            continue
        longest = int(max(1, lengths[idx].max()))
        width_b = min(width, -(-longest // length_multiple) * length_multiple)
        yield Batch(encoded.tokens[idx, :width_b], lengths[idx].astype(np.int32),
                    labels_arr[idx].astype(np.int32), idx.astype(np.int64))
