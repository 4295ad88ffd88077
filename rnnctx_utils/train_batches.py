"""Batches for training and evaluation: padded to few shapes, so that ``jit`` compiles little.

A split ready for training is a :class:`LabelledData` (tokens, lengths, labels). A batch's
length is rounded up to a bucket (:func:`bucket_length`); short jobs use a single width for
every batch (:func:`single_width`); a short last batch is padded with empty rows that carry
zero weight in the loss (:func:`_pad_batch`). :func:`_endless_batches` feeds the training loop
of :mod:`rnnctx_utils.train` epoch after epoch, each shuffled with its own seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

BatchFn = Callable[..., Iterable[Any]]

# Below this many padded tokens, a run (or an evaluation) uses one width for all its batches:
# compiling another width (seconds) would cost more than the padding it saves.
_SINGLE_WIDTH_TOKENS = 4_000_000


class LabelledData(NamedTuple):
    """A split ready for training: tokens [n, L] int32 (zero-padded), lengths [n], labels [n]."""

    tokens: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray

    @classmethod
    def from_encoded(cls, encoded: Any, labels: Any) -> LabelledData:
        """From a :class:`rnnctx_utils.text.Encoded` (``.tokens``, ``.lengths``) and labels."""
        return cls(
            np.asarray(encoded.tokens, np.int32),
            np.asarray(encoded.lengths, np.int32),
            np.asarray(labels, np.int32),
        )

    @property
    def n_docs(self) -> int:
        """Number of documents (``len()`` of a NamedTuple counts its fields)."""
        return int(self.tokens.shape[0])


def bucket_length(length: int) -> int:
    """Round a batch length up to a bucket: multiples of 4 up to 32, of 16 up to 128, then 4
    per doubling.

    4, 8, …, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, … : each distinct length
    is one more compilation of the training step (seconds each on a small CPU), so few
    buckets; fine ones at the short end, where SST-2's phrases (median 7 tokens) would
    otherwise be half padding (measured: 51% of token slots with a smallest bucket of 16,
    20% with these).
    """
    if length <= 32:
        return max(4, 4 * math.ceil(length / 4))
    quantum = max(16, 2 ** (int(math.log2(length - 1)) - 2))
    return int(math.ceil(length / quantum) * quantum)


def _pad_batch(
    tokens: np.ndarray, lengths: np.ndarray, labels: np.ndarray, batch_size: int,
    width: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pad rows to ``batch_size`` (zero weight) and columns to ``width`` or a length bucket.

    Returns tokens [B, L_bucket], lengths [B], labels [B] (float32), weights [B].
    """
    n, length = tokens.shape
    used = int(lengths.max()) if n else 1
    target = width if width is not None else bucket_length(max(used, 1))
    out_tokens = np.zeros((batch_size, target), np.int32)
    width = min(length, target)
    out_tokens[:n, :width] = tokens[:, :width]
    out_lengths = np.zeros(batch_size, np.int32)
    out_lengths[:n] = np.minimum(lengths, target)
    out_labels = np.zeros(batch_size, np.float32)
    out_labels[:n] = labels
    weights = np.zeros(batch_size, np.float32)
    weights[:n] = 1.0
    return out_tokens, out_lengths, out_labels, weights


def _default_batches(data: LabelledData, batch_size: int, seed: int) -> Iterable[Any]:
    """One shuffled epoch from :func:`rnnctx_utils.text.batches` (length-bucketed)."""
    from rnnctx_utils import text  # noqa: PLC0415  (helper module, imported on use)

    encoded = text.Encoded(data.tokens, data.lengths, 0)
    return text.batches(encoded, data.labels, batch_size, seed, shuffle=True)


def single_width(data: LabelledData, n_tokens: int) -> int | None:
    """One width for every batch of a job of ``n_tokens`` padded tokens, or None (buckets).

    Short jobs (the fast configuration, tests, evaluating a few thousand documents) pad every
    batch to the longest document's bucket and compile once.
    """
    if data.n_docs == 0:
        return None
    width = bucket_length(max(int(data.lengths.max()), 1))
    return width if n_tokens * width <= _SINGLE_WIDTH_TOKENS else None


def _endless_batches(
    data: LabelledData, batch_size: int, seed: int, batch_fn: BatchFn | None,
    width: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Padded batches, epoch after epoch, each epoch shuffled with its own seed."""
    epoch = 0
    while True:
        source = (batch_fn or _default_batches)(data, batch_size, seed + 1_000_003 * epoch)
        empty = True
        for batch in source:
            empty = False
            yield _pad_batch(
                np.asarray(batch.tokens), np.asarray(batch.lengths), np.asarray(batch.labels),
                batch_size, width,
            )
        if empty:
            raise ValueError("the training split gave no batches; is it empty?")
        epoch += 1
