"""A null for the in-context score (M5 [ours], tested): is a token's kick special?

Chapter 4's cut decides from the scores alone, and on real text it keeps few words. A natural
alternative is a statistical test: call a token a modifier when its kicks change the reading of
the words that follow it more than a *null* kick of the same size, in the same contexts, does
(:func:`rnnctx_utils.modifier_scores.random_kick_differences` and
:func:`~rnnctx_utils.modifier_scores.null_test`). Two nulls:

- ``"random"``: a direction drawn uniformly on the sphere;
- ``"shuffled"``: the direction of another occurrence's kick (the directions the network's
  inputs actually use, in the proportions of the text).

Chapter 4 runs both on its own occurrences and reports what they select; the book keeps the
cut, for the reasons the chapter measures (a significance test selects by the number of
occurrences as much as by the size of the effect).

>>> nulls = {kind: null_selection(model, attractor, cloud, found, directions=kind)
...          for kind in NULLS}
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import context
from rnnctx_utils.modifier_discovery import Occurrences, extra_scoring_docs, occurrences
from rnnctx_utils.modifier_probes import step_and_inputs
from rnnctx_utils.network import as_network
from rnnctx_utils.states import state_cloud

NULLS = ("random", "shuffled")
#: Occurrences per token entering the test (drawn at random, seed 0): enough for a z-test, and
#: it keeps the most frequent tokens from winning by sample size alone; also bounds the cost.
CAP = 100


class NullSelection(NamedTuple):
    """One null's verdict on every scored token.

    directions: "random" or "shuffled"; test: the per-token :class:`context.NullTest`
    (arrays [V] over the whole vocabulary, ids as in ``network.vocab``); selected: the tokens
    above the Bonferroni cut, by decreasing z; n_occurrences: occurrences tested (at most
    ``cap`` per token); cap: that bound.
    """

    directions: str
    test: context.NullTest
    selected: tuple[str, ...]
    n_occurrences: int
    cap: int


def capped_occurrences(occ: Occurrences, cap: int, seed: int = 0) -> Occurrences:
    """At most ``cap`` occurrences of each token, drawn at random (in the original order)."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(occ.token_ids)
    keep = np.sort(np.concatenate(
        [rng.permutation(np.flatnonzero(ids == t))[:cap] for t in np.unique(ids)]))
    return Occurrences(*(np.asarray(a)[keep] for a in occ))


def null_selection(model: Any, attractor: Any, cloud: Any, found: Any, *,
                   directions: str = "shuffled", cap: int = CAP, seed: int = 0) -> NullSelection:
    """Test every token scored by chapter 4 (``found``) against a null kick.

    The occurrences are chapter 4's (the documents of ``cloud``, plus the same number of
    training documents when it added them), capped at ``cap`` per token; the following words,
    fillers and settings are ``found``'s. The paired test is
    :func:`context.null_test` at ``found.settings.min_occurrences``.

    Returns:
        :class:`NullSelection`.
    """
    net = as_network(model)
    settings = found.settings
    F, embedding, readout_w = step_and_inputs(net)
    filler = net.token_id(found.probes.filler)
    occ = occurrences(cloud, filler, settings.context_tokens)
    n_extra = extra_scoring_docs(net, cloud, settings) if net.documents is not None else 0
    if n_extra:  # the same documents as chapter 4's score (state_cloud is deterministic)
        more = occurrences(state_cloud(net, n_extra, split="train"), filler,
                           settings.context_tokens)
        occ = Occurrences(*(np.concatenate([a, b]) for a, b in zip(occ, more, strict=True)))
    occ = capped_occurrences(occ, cap, seed)
    args = (F, occ.h_before, occ.token_ids, embedding[occ.next_ids], embedding,
            np.asarray(attractor.points, np.float32), readout_w, embedding[filler])
    own = context.in_context_scores(*args, n_after=settings.n_after)
    null = context.random_kick_differences(*args, n_after=settings.n_after,
                                           directions=directions, seed=seed)
    test = context.null_test(np.abs(own.effect - own.effect_reference), null, occ.token_ids,
                             embedding.shape[0], min_occurrences=settings.min_occurrences)
    order = np.argsort(-test.z, kind="stable")
    tokens = net.vocab.tokens
    selected = tuple(tokens[i] for i in order if test.is_modifier[i])
    return NullSelection(directions, test, selected, int(occ.token_ids.size), cap)


def null_rows(nulls: dict[str, NullSelection], found: Any, planted: tuple[str, ...] | None,
              check_list: tuple[str, ...]) -> list[list[str]]:
    """One table row per null: tokens tested and selected, the cut's modifiers among them,
    the planted modifiers among them (or "—"), the English check list's words among them, and
    the five selected tokens with the largest z."""
    rows = []
    for kind, n in nulls.items():
        chosen = set(n.selected)
        row = [kind, f"{n.test.n_tested}", f"{len(n.selected)}",
               f"{sum(w in chosen for w in found.modifiers)} of {len(found.modifiers)}",
               "—" if planted is None else f"{sum(w in chosen for w in planted)} of {len(planted)}",
               f"{sum(w in chosen for w in check_list)}",
               ", ".join(f"`{w}`" for w in n.selected[:5])]
        rows.append(row)
    return rows


NULL_HEADER = ["null kick", "tokens tested", "selected", "the cut's modifiers among them",
               "planted modifiers among them", "English check-list words among them",
               "largest z"]


def null_reading(nulls: dict[str, NullSelection], found: Any,
                 planted: tuple[str, ...] | None) -> str:
    """What the nulls show, as sentences generated from their numbers."""
    parts = []
    for kind, n in nulls.items():
        plain = [w for w in n.selected if w not in found.modifiers
                 and (planted is None or w not in planted)]
        text = (f"against {kind} kicks {len(n.selected)} of the {n.test.n_tested} tested tokens "
                f"pass (z > {n.test.z_threshold:.2f})")
        if planted is not None:
            text += (f", {sum(w in n.selected for w in planted)} of the {len(planted)} planted "
                     f"modifiers among them")
        if plain:
            text += f", with {len(plain)} other tokens such as " + ", ".join(
                f"\"{w}\"" for w in plain[:4])
        parts.append(text)
    text = "; ".join(parts)
    strict = min(nulls.values(), key=lambda n: len(n.selected))  # the stricter null
    vocab = list(found.words)
    excess = {w: float(strict.test.excess[vocab.index(w) + 2]) for w in strict.selected
              if w in vocab}  # test arrays are over the vocabulary ids, words start at id 2
    ordinary = [e for w, e in excess.items()
                if w not in found.modifiers and (planted is None or w not in planted)]
    if len(strict.selected) > 2 * max(len(found.modifiers), 1) and ordinary:
        cut = [excess[w] for w in found.modifiers if w in excess]
        verdict = (f"so neither null is a selection rule here. A modifier's kick is special, "
                   f"but by this test so is the kick of many ordinary words: the median excess "
                   f"over the {strict.directions} null is {np.median(ordinary):.3f} readout "
                   f"units for the ordinary tokens it selects"
                   + (f" against {np.median(cut):.3f} for the cut's modifiers" if cut else "")
                   + ", small but consistent over the occurrences, which is all a significance "
                   "test asks. The cut on the size of the score remains the book's rule")
    else:
        verdict = "so on this network the null test and the cut roughly agree"
    return text[:1].upper() + text[1:] + f": {verdict}."
