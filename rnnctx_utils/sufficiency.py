"""Chapter 6's sufficiency test (M9) [ours, in P2's spirit]: fit the augmented bag-of-words
family of :mod:`rnnctx_utils.augmented_bow` on the training split, choose how many top-ranked
tokens it treats as modifiers on validation, and ask which share of the RNN's test accuracy gain
over plain bag-of-words it recovers (:func:`rnnctx_utils.context.bootstrap_recovered_fraction`),
and where it falls short (residuals by token and by group of documents).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import augmented_bow as ab
from rnnctx_utils.analysis_settings import SufficiencySettings
from rnnctx_utils.necessity import documents_with
from rnnctx_utils.network import as_network


def baseline_l2(C: float, n_train: int) -> float:
    """The family's valence penalty that matches the baseline's objective.

    The baseline (:mod:`rnnctx_utils.bow`) minimises Σ_i loss_i + ‖w‖²/(2C); the family
    minimises the *mean* loss + l2 · ‖v‖², so the same penalty is l2 = 1 / (2 C N).
    """
    return 1.0 / (2.0 * C * n_train)


class FamilyFits(dict[str, ab.FitResult]):
    """variant -> :class:`augmented_bow.FitResult` of :func:`fit_family` (a dict, so the fits
    are used as before), recording how they were fitted: ``settings`` (the
    :class:`~rnnctx_utils.analysis_settings.SufficiencySettings`), ``l2`` (the valence penalty)
    and ``nested`` (whether every member started from the bag-of-words baseline)."""

    settings: SufficiencySettings
    l2: float
    nested: bool

    def __init__(self, fits: dict[str, ab.FitResult], *, settings: SufficiencySettings,
                 l2: float, nested: bool) -> None:
        super().__init__(fits)
        self.settings = settings
        self.l2 = l2
        self.nested = nested

    def __repr__(self) -> str:
        return (f"FamilyFits({dict.__repr__(self)}, settings={self.settings!r}, l2={self.l2!r}, "
                f"nested={self.nested!r})")


def fit_family(
    train_tokens: np.ndarray,
    train_lengths: np.ndarray,
    train_labels: np.ndarray,
    vocab_size: int,
    modifier_ids: Sequence[int],
    *,
    variants: Sequence[str] = ab.VARIANTS,
    settings: SufficiencySettings | None = None,
    baseline: tuple[np.ndarray, float] | None = None,
    valid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    l2: float = 1e-5,
) -> FamilyFits:
    """Fit each member of the augmented bag-of-words family on the same training split.

    Nested over the baseline (``baseline`` and ``valid`` given, as the book does): every member
    starts from the fitted bag-of-words baseline (its valences and bias, α = 1, β = 0, so its
    logits are the baseline's), is trained first with the valences held fixed, then all
    together with a smaller step, keeps the parameters that are best on ``valid`` (step 0
    included), and the ``"bow"`` member *is* the baseline. So no member is below the baseline
    on validation, by construction; on test it can be. ``best_step`` counts the steps of the
    stage it comes from.

    Args:
        train_tokens: [N, L]; train_lengths: [N]; train_labels: [N] in {0, 1}.
        modifier_ids: token ids given a gain and a timescale (the discovered modifiers).
        settings: :class:`~rnnctx_utils.analysis_settings.SufficiencySettings` (default: the
            book's): Adam steps per variant (``fit_steps``, random minibatches of 256), the
            lags of the modifier product (``window``, see :class:`augmented_bow.AugmentedBow`)
            and the minibatches' ``seed``.
        baseline: (valence [V], bias) of the fitted bag-of-words baseline (word counts).
        valid: (tokens [N_v, L_v], lengths [N_v], labels [N_v]) for the choice of the step.
        l2: penalty on the valences (use :func:`baseline_l2` to match the baseline's).
    Returns:
        :class:`FamilyFits`: variant -> :class:`augmented_bow.FitResult`, with ``settings``,
        ``l2`` and ``nested`` recorded in it.
    """
    settings = SufficiencySettings() if settings is None else settings
    n_steps, window, seed = settings.fit_steps, settings.window, settings.seed
    ids = tuple(int(i) for i in modifier_ids)
    fits = {}
    for variant in variants:
        model = ab.AugmentedBow(variant, vocab_size,
                                ids if variant in ("modifiers", "both", "backward") else (),
                                window)
        if baseline is None:
            fits[variant] = ab.train_augmented_bow(model, train_tokens, train_lengths,
                                                   train_labels, n_steps=n_steps, seed=seed,
                                                   valid=valid, l2=l2)
            continue
        init = ab.init_params(model, valence=baseline[0], bias=baseline[1])
        if variant == "bow":  # the baseline itself
            fits[variant] = ab.train_augmented_bow(model, train_tokens, train_lengths,
                                                   train_labels, n_steps=0, init=init,
                                                   valid=valid)
            continue
        # Stage 1: the baseline's valences held fixed, only b, α, τ and β learned (a few
        # parameters: fast and stable). Stage 2: everything, with a 10x smaller step, from the
        # best stage-1 point (Adam at full step from an optimum of 10^4 valences first undoes
        # the baseline: measured on SST-2, no member beat it on validation).
        first = ab.train_augmented_bow(model, train_tokens, train_lengths, train_labels,
                                       n_steps=n_steps, seed=seed, init=init, valid=valid,
                                       l2=l2, freeze_valence=True)
        second = ab.train_augmented_bow(model, train_tokens, train_lengths, train_labels,
                                        n_steps=n_steps // 2, seed=seed + 1, init=first.params,
                                        valid=valid, l2=l2, learning_rate=0.005)
        fits[variant] = second if second.valid_accuracy > first.valid_accuracy else first
    return FamilyFits(fits, settings=settings, l2=l2, nested=baseline is not None)


class CountScan(NamedTuple):
    """k, the number of top-ranked tokens treated as modifiers, chosen on validation.

    k_grid: [n] the candidates; valid_accuracy: [n] of the nested "+ modifiers" member with the
    top k tokens (valences held at the baseline's); baseline_valid: the baseline's; k: the
    chosen k (0 when no k beats the baseline on validation); settings: the
    :class:`~rnnctx_utils.analysis_settings.SufficiencySettings` of the scan.
    """

    k_grid: np.ndarray
    valid_accuracy: np.ndarray
    baseline_valid: float
    k: int
    settings: SufficiencySettings = SufficiencySettings()


def scan_modifier_count(
    ranked_ids: Sequence[int],
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray, np.ndarray],
    vocab_size: int,
    baseline: tuple[np.ndarray, float],
    *,
    settings: SufficiencySettings | None = None,
    l2: float = 1e-5,
) -> CountScan:
    """Choose how many of the best-ranked tokens to treat as modifiers, on validation [ours].

    For each k, the "+ modifiers" member with the top k tokens of ``ranked_ids`` (a ranking by
    a score of the network's dynamics, e.g. chapter 4's) is fitted on ``train`` with the
    baseline's valences held fixed, so only each token's gain α and timescale τ (and the bias)
    are learned. The chosen k is the smallest whose validation accuracy is within one standard
    error of the best one (the one-standard-error rule of model selection: larger sets keep
    gaining a little on validation, by fitting more parameters), SE = √(p(1 − p)/n) of the best
    accuracy p on n validation documents; 0 when no k beats the baseline on validation. Labels
    of the test split are never used.

    Args:
        ranked_ids: token ids, best first (at least max(settings.k_grid) of them, or all there
            are).
        train, valid: (tokens [N, L], lengths [N], labels [N]).
        baseline: (valence [V], bias) of the bag-of-words baseline.
        settings: :class:`~rnnctx_utils.analysis_settings.SufficiencySettings` (default: the
            book's): the candidate k (``k_grid``), Adam steps per k (``scan_steps``),
            ``window`` and ``seed``.
        l2: penalty on the valences.
    Returns:
        :class:`CountScan` (``settings`` recorded in it).
    """
    settings = SufficiencySettings() if settings is None else settings
    n_steps, window, seed = settings.scan_steps, settings.window, settings.seed
    grid = [k for k in settings.k_grid if k <= len(ranked_ids)]
    init_bow = ab.AugmentedBow("bow", vocab_size, (), window)
    base_valid = ab.accuracy(ab.init_params(init_bow, valence=baseline[0], bias=baseline[1]),
                             init_bow, *valid)
    scores = []
    for k in grid:
        model = ab.AugmentedBow("modifiers", vocab_size, tuple(int(i) for i in ranked_ids[:k]),
                                window)
        fit = ab.train_augmented_bow(
            model, *train, n_steps=n_steps, seed=seed, valid=valid, l2=l2, freeze_valence=True,
            init=ab.init_params(model, valence=baseline[0], bias=baseline[1]))
        scores.append(fit.valid_accuracy)
    k = 0
    if scores and max(scores) > base_valid:
        best = max(scores)
        standard_error = float(np.sqrt(best * (1 - best) / len(valid[2])))
        k = next(k for k, a in zip(grid, scores, strict=True)
                 if a >= best - standard_error and a > base_valid)
    return CountScan(np.asarray(grid), np.asarray(scores), float(base_valid), k, settings)


class Residual(NamedTuple):
    """Accuracy of two models on the test documents that contain a token (or none of them).

    token: the token ("(none)" for documents without any of the tokens); n_docs: how many;
    accuracy_rnn, accuracy_model: accuracies on them; gap: accuracy_rnn − accuracy_model;
    lost: gap · n_docs / n_total, the share of the whole test accuracy gap they account for
    (documents with several of the tokens count for each).
    """

    token: str
    n_docs: int
    accuracy_rnn: float
    accuracy_model: float
    gap: float
    lost: float


def residuals_by_token(
    correct_rnn: np.ndarray,
    correct_model: np.ndarray,
    tokens: np.ndarray,
    lengths: np.ndarray,
    token_ids: Sequence[int],
    token_names: Sequence[str],
) -> list[Residual]:
    """Where the augmented model falls short of the RNN: accuracies per modifier token.

    Args:
        correct_rnn, correct_model: [n] bool per-document correctness.
        tokens: [n, L]; lengths: [n].
        token_ids, token_names: the modifiers (ids and their strings).
    Returns:
        one :class:`Residual` per token, then one for documents with none of them.
    """
    a = np.asarray(correct_rnn, bool)
    b = np.asarray(correct_model, bool)
    n_total = a.size
    rows = []
    masks = [documents_with(tokens, lengths, [i]) for i in token_ids]
    none = ~np.any(masks, axis=0) if masks else np.ones(n_total, bool)
    for name, mask in [*zip(token_names, masks, strict=True), ("(none)", none)]:
        n = int(mask.sum())
        acc_a = float(a[mask].mean()) if n else float("nan")
        acc_b = float(b[mask].mean()) if n else float("nan")
        gap = acc_a - acc_b
        rows.append(Residual(name, n, acc_a, acc_b, gap, gap * n / n_total if n else 0.0))
    return rows


class AccuracyGap(NamedTuple):
    """RNN minus bag-of-words test accuracy, with a paired-bootstrap percentile interval."""

    estimate: float
    low: float
    high: float


def rnn_gain_interval(correct_rnn: np.ndarray, correct_bow: np.ndarray, *, n_boot: int = 2000,
                      seed: int = 0, level: float = 0.95) -> AccuracyGap:
    """The RNN's accuracy gain over bag-of-words on the test documents, with its interval.

    Sufficiency is a share of this gain; where the interval includes 0 there is no gain to
    share and the recovered fraction is a ratio of noise (P1's IMDB row: the GRU does not beat
    bag-of-words).

    Args:
        correct_rnn, correct_bow: [n] bool per-document correctness.
    """
    diff = np.asarray(correct_rnn, np.float64) - np.asarray(correct_bow, np.float64)
    rng = np.random.default_rng(seed)
    means = np.array([diff[rng.integers(0, diff.size, diff.size)].mean() for _ in range(n_boot)])
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return AccuracyGap(float(diff.mean()), float(low), float(high))


class GroupResidual(NamedTuple):
    """Per-document accuracies of several models on the test documents of one group.

    group: its name ("(none)": documents with none of the groups' words); n_docs: how many;
    accuracy: model name -> accuracy on those documents (nan when n_docs is 0).
    """

    group: str
    n_docs: int
    accuracy: dict[str, float]


def residuals_by_group(correct: dict[str, np.ndarray], tokens: np.ndarray, lengths: np.ndarray,
                       groups: dict[str, Sequence[int]]) -> list[GroupResidual]:
    """Which kinds of documents carry the RNN's gain, and which the augmented model misses.

    Args:
        correct: model name -> [n] bool per-document correctness (e.g. "rnn", "bow", "both").
        tokens: [n, L]; lengths: [n].
        groups: group name -> token ids (e.g. negators); a document belongs to every group one
            of whose tokens it contains.
    Returns:
        one :class:`GroupResidual` per group with at least one token id, then one for the
        documents in no group.
    """
    masks = {name: documents_with(tokens, lengths, ids) for name, ids in groups.items() if ids}
    n_total = len(next(iter(correct.values())))
    none = ~np.any(list(masks.values()), axis=0) if masks else np.ones(n_total, bool)
    return residuals_by_mask(correct, {**masks, "(none)": none})


def residuals_by_mask(correct: dict[str, np.ndarray],
                      masks: dict[str, np.ndarray]) -> list[GroupResidual]:
    """Accuracies of several models on named subsets of the test documents.

    Args:
        correct: model name -> [n] bool per-document correctness.
        masks: subset name -> [n] bool (e.g. :func:`rnnctx_utils.constructions.construction_masks`).
    Returns:
        one :class:`GroupResidual` per mask, in order (accuracies nan for an empty one).
    """
    rows = []
    for name, mask in masks.items():
        mask = np.asarray(mask, bool)
        n = int(mask.sum())
        rows.append(GroupResidual(name, n, {
            model: float(np.asarray(c, bool)[mask].mean()) if n else float("nan")
            for model, c in correct.items()}))
    return rows


def rnn_correct(model: Any, tokens: np.ndarray, lengths: np.ndarray, labels: np.ndarray,
                *, batch_size: int = 1000) -> np.ndarray:
    """[n] bool per-document correctness of a :class:`~rnnctx_utils.network.Network` (or the
    book's model)."""
    net = as_network(model)
    out = []
    for start in range(0, len(labels), batch_size):
        stop = start + batch_size
        out.append(np.asarray(net.logits(tokens[start:stop], lengths[start:stop])) > 0)
    return np.concatenate(out) == (np.asarray(labels) == 1)
