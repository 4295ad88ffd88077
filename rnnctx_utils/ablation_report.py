"""Chapter 6's necessity test read out: the gain g(0) of each modifier and the test accuracy
under each ablation, pooled over the random draws, judged and tabled.

The ablation itself (the projected cell, the logits, the next-token gain) is
:mod:`rnnctx_utils.necessity`; this module only arranges its results for the page. The
conditions are named as in the chapter: ``"intact"``, ``"modifier subspace removed"`` and
``"random subspace removed"`` (the mean over the random draws, whose individual values are kept
apart so that the control can be judged draw by draw).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils._types import StepFn
from rnnctx_utils.analysis_settings import ModifierSettings
from rnnctx_utils.necessity import Spread, next_token_gain

INTACT, ABLATED, RANDOM = "intact", "modifier subspace removed", "random subspace removed"


def words_with_probes(mod_words: Sequence[str], vocabulary: Iterable[str]) -> list[str]:
    """The modifiers, then "not" and "extremely" where the vocabulary has them and they are not
    among the modifiers already (the two words every chapter reports, selected or not)."""
    vocabulary = set(vocabulary)
    return list(dict.fromkeys([*mod_words, *(t for t in ("not", "extremely") if t in vocabulary)]))


def gains_by_condition(
    steps: dict[str, StepFn],
    starts: np.ndarray,
    readout: np.ndarray,
    token_inputs: Sequence[np.ndarray],
    x_valence: np.ndarray,
    x_filler: np.ndarray,
    settings: ModifierSettings,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """g(0) of every token under every cell function, the random draws pooled.

    Args:
        steps: condition -> cell function; the random draws are the keys that start with
            ``"random "`` (``"random 0"``, ``"random 1"``, ...), in draw order.
        starts: [r, S] states on the attractor the effects are averaged over; readout: [S].
        token_inputs: k embeddings [E], one per tested token; x_valence, x_filler: [E].
    Returns:
        (gains, random_gains): condition -> [k] g(0), with the draws replaced by their mean
        under ``"random subspace removed"``; and [n_random, k], each draw's g(0) ([0, k] and
        no mean when there is no draw).
    """
    gains = {name: np.array([next_token_gain(G, starts, readout, x, x_valence, x_filler,
                                             settings=settings) for x in token_inputs])
             for name, G in steps.items()}
    draws = [name for name in gains if name.startswith("random ")]
    if not draws:  # e.g. the exercise's own conditions: nothing to pool
        return gains, np.empty((0, len(token_inputs)))
    random_gains = np.stack([gains.pop(name) for name in draws])
    gains[RANDOM] = random_gains.mean(0)
    return gains, random_gains


def gain_table(words: Sequence[str], gains: dict[str, np.ndarray],
               random_gains: np.ndarray) -> str:
    """Markdown table of g(0) per token: intact, ablated, and random as mean ± std over draws
    (gains and random_gains as returned by :func:`gains_by_condition`)."""
    rows = ["| token | g(0) intact | modifier subspace removed | random subspace removed "
            "(mean ± std) |", "| --- | --- | --- | --- |"]
    for i, t in enumerate(words):
        rows.append(f"| {t} | {gains[INTACT][i]:+.2f} | {gains[ABLATED][i]:+.2f}"
                    f" | {random_gains[:, i].mean():+.2f} ± {random_gains[:, i].std():.2f} |")
    return "\n".join(rows)


class NegationFlips(NamedTuple):
    """What the ablation does to the negators' flip of the next word [ours].

    negators: the tokens with g(0) < 0 in the intact network; abolished: the modifier-subspace
    ablation leaves every one of them at g(0) ≥ 0 (False when there is none); control_keeps:
    every random draw leaves every one of them at g(0) < 0; g_not: condition -> g(0) of "not"
    (nan where it is not tested); not_random_std: its standard deviation over the draws.
    """

    negators: list[str]
    abolished: bool
    control_keeps: bool
    g_not: dict[str, float]
    not_random_std: float


def negation_flips(words: Sequence[str], gains: dict[str, np.ndarray],
                   random_gains: np.ndarray) -> NegationFlips:
    """Judge the flips from g(0) [k] per condition and [n_random, k] per draw (see
    :class:`NegationFlips`)."""
    words = list(words)
    negators = [t for i, t in enumerate(words) if gains[INTACT][i] < 0]
    neg_idx = [words.index(t) for t in negators]
    # bool(neg_idx) first: with no negator there is no flip to abolish or to keep
    abolished = bool(neg_idx) and bool(np.all(gains[ABLATED][neg_idx] >= 0))
    control_keeps = bool(neg_idx) and bool(np.all(random_gains[:, neg_idx] < 0))
    g_not = {k: float(v[words.index("not")]) if "not" in words else float("nan")
             for k, v in gains.items()}
    not_random_std = (float(random_gains[:, words.index("not")].std()) if "not" in words
                      else float("nan"))
    return NegationFlips(negators, abolished, control_keeps, g_not, not_random_std)


def negation_glue(flips: NegationFlips) -> dict[str, float]:
    """The chapter's glued g(0) of "not": ch6_not_gain_{intact, ablated, random, random_std}."""
    values = {f"ch6_not_gain_{name}": flips.g_not[key]
              for key, name in [(INTACT, "intact"), (ABLATED, "ablated"), (RANDOM, "random")]}
    values["ch6_not_gain_random_std"] = flips.not_random_std
    return values


def accuracy_by_group(
    accuracy: Callable[[np.ndarray, np.ndarray], float],
    z_intact: np.ndarray,
    z_ablated: np.ndarray,
    z_random: Sequence[np.ndarray],
    groups: dict[str, np.ndarray],
    spread: Callable[[Sequence[float]], Spread],
) -> dict[str, tuple[float, float, Spread]]:
    """group -> (intact, ablated, random spread over draws) test accuracy.

    Args:
        accuracy: (logits [n], mask [n]) -> accuracy on the masked documents.
        z_intact, z_ablated: [n] final logits; z_random: one [n] per random draw.
        groups: group name -> [n] bool mask of its documents.
        spread: mean and std of the draws' accuracies (:func:`necessity.spread`).
    """
    return {g: (accuracy(z_intact, m), accuracy(z_ablated, m),
                spread([accuracy(z, m) for z in z_random])) for g, m in groups.items()}


def accuracy_table(acc: dict[str, tuple[float, float, Spread]],
                   groups: dict[str, np.ndarray]) -> str:
    """Markdown table of :func:`accuracy_by_group`, with each group's number of documents."""
    rows = ["| documents | n | intact | modifier subspace removed | random subspace removed |",
            "| --- | --- | --- | --- | --- |"]
    rows += [f"| {g} | {int(groups[g].sum())} | {a[0]:.3f} | {a[1]:.3f} | "
             f"{a[2].mean:.3f} ± {a[2].std:.3f} |" for g, a in acc.items()]
    return "\n".join(rows)


#: short names of the accuracy groups in the glue names (ch6_acc_<short>_<condition>)
GROUP_NAMES = {"all test documents": "all", "with a modifier": "mod", "without": "nomod"}


def nomod_reading(change: float) -> str:
    """Words for the ablation's accuracy change on the documents without a modifier (a change
    within ±0.005, one document in 200, reads as no change)."""
    if change < -0.005:
        return "they lose accuracy too"
    return "they gain accuracy" if change > 0.005 else "their accuracy barely changes"


def accuracy_glue(acc: dict[str, tuple[float, float, Spread]], with_modifier: np.ndarray,
                  n_random: int) -> dict[str, Any]:
    """The chapter's glued accuracies (ch6_acc_<group>_<condition>), the draws, and the
    documents with ([n] bool ``with_modifier``) and without a modifier."""
    values: dict[str, Any] = {}
    for g, (a_int, a_abl, a_rand) in acc.items():
        values[f"ch6_acc_{GROUP_NAMES[g]}_intact"] = a_int
        values[f"ch6_acc_{GROUP_NAMES[g]}_ablated"] = a_abl
        values[f"ch6_acc_{GROUP_NAMES[g]}_random"] = a_rand.mean
        values[f"ch6_acc_{GROUP_NAMES[g]}_random_std"] = a_rand.std
    values["ch6_n_random"] = n_random
    values["ch6_frac_with_modifier"] = float(with_modifier.mean())
    values["ch6_n_nomod"] = int((~with_modifier).sum())
    values["ch6_nomod_reading"] = nomod_reading(acc["without"][1] - acc["without"][0])
    return values
