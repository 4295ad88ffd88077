"""A corpus as the package holds it, and how its splits are made from raw documents.

:class:`Corpus` (train / validation / test ``datasets.Dataset`` splits with columns ``text``
and ``label``), :func:`binary_labels` (every accepted spelling of a 0/1 label), and the carving
of missing splits and capping of sizes, stratified by label with seeds derived from one seed
(:func:`stratified_take`). The sources that fill a corpus (synthetic, hub, local files) are in
:mod:`rnnctx_utils.corpora`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:  # datasets is imported lazily: it is slow to import.
    import datasets

    from rnnctx_utils import synthetic

SPLITS = ("train", "validation", "test")
# Fraction of train carved out for a missing validation or test split when no size is given.
CARVE_FRACTION = 0.1


class CorpusError(ValueError):
    """A corpus cannot be loaded; the message names the problem and the fix."""


@dataclass(frozen=True, eq=False)
class Corpus:
    """Train / validation / test splits with columns ``text`` (str) and ``label`` (0/1).

    Attributes:
        name: the name or path the corpus was loaded from.
        train, validation, test: ``datasets.Dataset`` objects.
        ground_truth: for the synthetic corpus, the planted rule with the *test* split's
            per-document scores (``None`` for real corpora).
        description: one paragraph on where the splits come from (sizes, seeds, carving).
        split_truths: for the synthetic corpus, the ground truth of every split by name.
    """

    name: str
    train: datasets.Dataset
    validation: datasets.Dataset
    test: datasets.Dataset
    ground_truth: synthetic.GroundTruth | None
    description: str
    split_truths: Mapping[str, synthetic.GroundTruth] = field(default_factory=dict)

    def split(self, name: str) -> datasets.Dataset:
        """The split called ``name`` (``"train"``, ``"validation"`` or ``"test"``)."""
        if name not in SPLITS:
            raise CorpusError(f"unknown split {name!r}; use one of {', '.join(SPLITS)}")
        return getattr(self, name)


def _features() -> datasets.Features:
    import datasets

    return datasets.Features({"text": datasets.Value("string"),
                              "label": datasets.Value("int64")})


def _dataset(texts: Sequence[str], labels: np.ndarray) -> datasets.Dataset:
    import datasets

    return datasets.Dataset.from_dict({"text": list(texts), "label": labels.tolist()},
                                      features=_features())


def _derived_seed(seed: int, *purpose: int) -> int:
    """A distinct, reproducible 32-bit seed for each purpose (split, carving, cap)."""
    return int(np.random.SeedSequence([seed, *purpose]).generate_state(1)[0])


# ---------------------------------------------------------------------------------------------
# Labels and splits.


def binary_labels(values: Sequence[Any] | np.ndarray, where: str) -> np.ndarray:
    """Map a label column to int64 0/1 (see the module docstring for accepted values).

    Args:
        values: [n] raw labels.
        where: the source, named in the error message.

    Returns:
        [n] int64 labels.
    """
    arr = np.asarray(values)
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if arr.dtype.kind in "iuf":
        good = np.isin(arr, (0, 1))
        if not np.all(good):
            _not_binary(np.unique(arr[~good])[:5].tolist(), where)
        return arr.astype(np.int64)
    mapping = {"0": 0, "0.0": 0, "neg": 0, "negative": 0, "false": 0,
               "1": 1, "1.0": 1, "pos": 1, "positive": 1, "true": 1}
    out = np.empty(arr.size, dtype=np.int64)
    bad: list[Any] = []
    for i, v in enumerate(arr.tolist()):
        key = str(v).strip().lower() if isinstance(v, (str, bool, int, float)) else None
        if key in mapping:
            out[i] = mapping[key]
        elif len(bad) < 5 and v not in bad:
            bad.append(v)
    if bad:
        _not_binary(bad, where)
    return out


def _not_binary(bad: list[Any], where: str) -> None:
    raise CorpusError(
        f"{where}: labels must be binary, 0 (negative) or 1 (positive); found {bad} among "
        "them. Accepted: 0/1, booleans, 'neg'/'pos', 'negative'/'positive' (any case); map "
        "other values to 0/1 first (e.g. star ratings: 1 if rating >= 7 else 0; drop "
        "unlabelled rows marked -1)")


def stratified_take(labels: np.ndarray, n_take: int, seed: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices in two, keeping the label proportions in both parts.

    Args:
        labels: [n] 0/1 labels.
        n_take: rows in the first part (0 ≤ n_take ≤ n).
        seed: the seed (same seed, same split).

    Returns:
        (taken [n_take], rest [n − n_take]) row indices, each in random order.
    """
    n = labels.size
    n_take = int(min(max(n_take, 0), n))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    members = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    quota = np.array([n_take * m.size / max(n, 1) for m in members])
    counts = np.floor(quota).astype(np.int64)
    # Largest remainders get the rows left over by rounding down.
    for i in np.argsort(-(quota - counts), kind="stable")[: n_take - counts.sum()]:
        counts[i] += 1
    taken = np.concatenate([m[:k] for m, k in zip(members, counts, strict=True)] + [[]])
    rest = np.concatenate([m[k:] for m, k in zip(members, counts, strict=True)] + [[]])
    return (rng.permutation(taken.astype(np.int64)), rng.permutation(rest.astype(np.int64)))


class _Split(NamedTuple):
    """A split in memory before it becomes a Dataset: texts [n] and labels [n] int64."""

    texts: list[str]
    labels: np.ndarray

    def take(self, rows: np.ndarray) -> _Split:
        return _Split([self.texts[i] for i in rows.tolist()], self.labels[rows])


def _arrange(splits: dict[str, _Split], *, n_train: int, n_valid: int, n_test: int,
             seed: int, source: str) -> tuple[dict[str, datasets.Dataset], list[str]]:
    """Carve missing splits out of train, apply caps, shuffle; return Datasets and notes."""
    notes: list[str] = []
    if "train" not in splits:
        raise CorpusError(f"{source}: no train split found; name a file '*train*' or pass "
                          "'train=path'")
    for name, part in splits.items():
        if not part.texts:
            raise CorpusError(f"{source}: the {name} split is empty; add documents to it or "
                              "remove it (missing splits are carved out of train)")
    train = splits["train"]
    for purpose, (name, size) in enumerate((("validation", n_valid), ("test", n_test))):
        if name in splits:
            continue
        n_carve = size if size > 0 else int(round(CARVE_FRACTION * len(train.texts)))
        if not 0 < n_carve < len(train.texts):
            raise CorpusError(f"{source}: cannot carve {n_carve} {name} documents out of "
                              f"{len(train.texts)} train documents; lower n_valid/n_test or "
                              "add data")
        taken, rest = stratified_take(train.labels, n_carve, _derived_seed(seed, 10, purpose))
        splits[name], train = train.take(taken), train.take(rest)
        notes.append(f"{name} = {n_carve:,} documents carved out of train (stratified, seed "
                     f"{seed})")
    splits["train"] = train
    out = {}
    for purpose, (name, cap) in enumerate(zip(SPLITS, (n_train, n_valid, n_test), strict=True)):
        part = splits[name]
        n_keep = cap if 0 < cap < len(part.texts) else len(part.texts)
        taken, _ = stratified_take(part.labels, n_keep, _derived_seed(seed, 20, purpose))
        if n_keep < len(part.texts):
            notes.append(f"{name} capped at {n_keep:,} of {len(part.texts):,} (stratified)")
        part = part.take(taken)
        out[name] = _dataset(part.texts, part.labels)
    return out, notes


def _sizes(splits: Mapping[str, datasets.Dataset]) -> str:
    return " / ".join(f"{len(splits[s]):,}" for s in SPLITS) + " documents (train / valid / test)"
