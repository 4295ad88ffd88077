"""Chapter 5's reporting: which modifiers it follows, its tables, glued values and readings.

Everything here reads a finished :class:`~rnnctx_utils.modifier_timing.TimingAnalysis`
(computed by :func:`rnnctx_utils.modifiers.timing_analysis`); nothing runs the network, so the
chapter's numbers are those of the analysis, only arranged. Values meant for ``glue`` come back
as ``{key: value}`` dicts without the chapter prefix (the chapter adds ``ch5_``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils.plots.task import markdown_table
from rnnctx_utils.position import PositionSplit

#: P2's two examples: the chapter follows them whenever the vocabulary has them.
P2_WORDS = ("not", "extremely")


def followed_words(found: Any, truth: Any | None) -> tuple[str, ...]:
    """The modifiers chapter 5 follows, in order.

    Synthetic corpus (``truth`` given): every planted modifier in the vocabulary, so each
    planted value gets a measured one. Real corpus: the tokens chapter 4 selected, its three
    best-scoring ones and P2's "not" and "extremely" (when in the vocabulary), without repeats.
    """
    if truth is not None:
        return tuple(w for w in truth.modifiers if w in found.words)
    return tuple(dict.fromkeys([*found.modifiers, *(w for w, _ in found.top(3)),
                                *(w for w in P2_WORDS if w in found.words)]))


def _finite(x: float) -> float | None:
    """``x`` rounded to 4 decimals, None for NaN or ±inf (JSON has no NaN)."""
    return round(float(x), 4) if np.isfinite(x) else None


def tau_values(timing: Any, words: tuple[str, ...]) -> dict[str, Any]:
    """τ (distance) of "not" and "extremely" with their texts, and τ(not) − τ(extremely) with
    its bootstrap interval over the reference points (NaN and a dash where a word is missing).

    Keys: tau_not, tau_not_text, tau_extremely, tau_extremely_text, tau_diff, tau_diff_low,
    tau_diff_high, tau_diff_text.
    """
    values: dict[str, Any] = {}
    for name in P2_WORDS:
        value = timing.of(name)["tau_distance"] if name in words else float("nan")
        values[f"tau_{name}"] = value
        values[f"tau_{name}_text"] = (f"{value:.2f} tokens" if np.isfinite(value)
                                      else f"— (no \"{name}\" in the vocabulary)")
    if "not" in words and "extremely" in words:
        tau_diff = timing.tau_difference("not", "extremely")
        tau_diff_text = (f"{tau_diff[0]:+.2f} tokens (95% bootstrap interval over the reference "
                         f"points {tau_diff[1]:+.2f} to {tau_diff[2]:+.2f})")
    else:
        tau_diff = (float("nan"),) * 3
        tau_diff_text = "— (\"not\" or \"extremely\" is not in the vocabulary)"
    for name, value in zip(("", "_low", "_high"), tau_diff, strict=True):
        values[f"tau_diff{name}"] = value
    values["tau_diff_text"] = tau_diff_text
    return values


def word_timing(timing: Any, words: tuple[str, ...]) -> list[list[Any]]:
    """Per followed word [word, τ distance, g(0), τ gain] (4 decimals, None if not finite):
    the row the real-review summaries record."""
    return [[w, _finite(timing.tau_distance[i]), _finite(timing.alpha[i]),
             _finite(timing.tau_gain[i])] for i, w in enumerate(words)]


def timescale_table(timing: Any, words: tuple[str, ...]) -> str:
    """Markdown table, one row per modifier: g(0) and the four time constants."""
    return markdown_table(
        ["modifier", "g(0)", "τ distance", "τ gain", "τ linear", "τ modes (weighted)"],
        [[f"`{w}`", f"{timing.alpha[i]:+.2f}", f"{timing.tau_distance[i]:.2f}",
          f"{timing.tau_gain[i]:.2f}", f"{timing.tau_linear[i]:.2f}", f"{timing.mode_tau[i]:.2f}"]
         for i, w in enumerate(words)])


def linear_reading(r_linear: float) -> str:
    """Verdict on the correlation r between the measured τ and the linearization's τ
    (≥ 0.7: predicts, ≥ 0.3: loosely, below: not)."""
    if r_linear >= 0.7:
        return "the eigenmodes at the nearest attractor point predict which modifiers last longer"
    if r_linear >= 0.3:
        return "the eigenmodes at the nearest attractor point predict the ordering only loosely"
    return ("the eigenmodes at the nearest attractor point do not predict which modifiers last "
            "longer")


def excursion_reading(r_excursion: float, n_usable: int) -> str:
    """Verdict on the correlation r between an excursion's size and the linear τ's miss, over
    ``n_usable`` modifiers with both fits (fewer than 3: no test)."""
    if n_usable < 3:
        return "too few modifiers have both fits to test it"
    if r_excursion >= 0.3:
        return "larger excursions do go with larger misses, as this explanation expects"
    return ("the size of the excursion does not explain which modifiers the linearization misses, "
            "so this explanation remains a hypothesis on this network")


def linear_tau_checks(timing: Any) -> dict[str, Any]:
    """How well the eigenmodes explain the measured τ, across the M modifiers.

    Keys: tau_distance_linear_corr (r between τ distance and τ linear, [M] each), linear_reading,
    modes_slower (fraction of modifiers whose weighted τ_modes exceeds τ distance),
    excursion_miss_corr (r between the excursion's amplitude and |ln τ_linear / τ distance|,
    over the modifiers where both are finite; 0 with fewer than 3), excursion_reading.
    """
    r_linear = float(np.corrcoef(timing.tau_distance, timing.tau_linear)[0, 1])
    slower = float(np.mean(timing.mode_tau > timing.tau_distance))
    # does a larger excursion go with a worse linear τ? (tests the chapter's explanation)
    miss = np.abs(np.log(timing.tau_linear / timing.tau_distance))
    ok = np.isfinite(miss) & np.isfinite(timing.distance_amplitude)
    r_excursion = (float(np.corrcoef(timing.distance_amplitude[ok], miss[ok])[0, 1])
                   if ok.sum() >= 3 else 0.0)
    return {"tau_distance_linear_corr": r_linear, "linear_reading": linear_reading(r_linear),
            "modes_slower": slower, "excursion_miss_corr": r_excursion,
            "excursion_reading": excursion_reading(r_excursion, int(ok.sum()))}


def same_kind(measured: float, planted: float) -> bool:
    """Whether a measured gain g(0) is of the planted gain α's kind: same sign (flip or not)
    and on the same side of 1 (amplify or damp)."""
    return bool(np.sign(measured - 1) == np.sign(planted - 1)
                and np.sign(measured) == np.sign(planted))


class PlantedComparison(NamedTuple):
    """Chapter 5's planted-vs-measured check (synthetic corpus).

    table: markdown, one row per modifier (role, α and g(0), τ planted / gain / distance, kind).
    tau_spearman: rank correlation of the planted τ and τ distance over the M modifiers.
    negators_slower: every negator's τ distance above every intensifier's.
    right_kind: how many modifiers' g(0) has the planted kind (:func:`same_kind`).
    """

    table: str
    tau_spearman: float
    negators_slower: bool
    right_kind: int


def planted_comparison(timing: Any, words: tuple[str, ...], truth: Any) -> PlantedComparison:
    """Compare the measured gains and time constants with the planted ones (``truth``: the
    synthetic corpus's ground truth; ``words`` its modifiers, in ``timing``'s order)."""
    from scipy.stats import spearmanr  # noqa: PLC0415  (only the synthetic corpus needs it)

    planted = [truth.modifiers[w] for w in words]
    rows = [[f"`{w}`", truth.roles[w], f"{m.alpha:+.1f}", f"{timing.alpha[i]:+.2f}",
             f"{m.tau:.1f}", f"{timing.tau_gain[i]:.2f}", f"{timing.tau_distance[i]:.2f}",
             "yes" if same_kind(timing.alpha[i], m.alpha) else "no"]
            for i, (w, m) in enumerate(zip(words, planted, strict=True))]
    table = markdown_table(["modifier", "role", "α planted", "g(0) measured", "τ planted",
                            "τ gain", "τ distance", "same kind"], rows)
    rho = float(spearmanr(np.array([m.tau for m in planted]), timing.tau_distance).statistic)
    negators = [i for i, w in enumerate(words) if truth.roles[w] == "negator"]
    intensifiers = [i for i, w in enumerate(words) if truth.roles[w] == "intensifier"]
    separated = bool(timing.tau_distance[negators].min() > timing.tau_distance[intensifiers].max())
    return PlantedComparison(table, rho, separated, sum(r[-1] == "yes" for r in rows))


def position_table(split: PositionSplit, planted: PositionSplit) -> str:
    """Markdown table of the beginning and last-word weights, planted rule vs network (both
    read at the network's reference, ``split.settings``)."""
    if planted.settings != split.settings:
        raise ValueError(f"the planted rule's split was read with {planted.settings}, the "
                         f"network's with {split.settings}: pass settings=split.settings")
    before, after = split.settings.reference_before, split.settings.reference_after
    return markdown_table(
        ["position weight", "planted rule", "network"],
        [[f"first word vs the word after {before} fillers ({after} fillers after both)",
          f"{planted.first_weight:.2f}", f"{split.first_weight:.2f}"],
         [f"last word vs the word {after} tokens before the end",
          f"{planted.last_weight:.2f}", f"{split.last_weight:.2f}"]])


def paper_table(timing: Any, words: tuple[str, ...], split: PositionSplit, h0: Any) -> str:
    """Markdown table of P2's claims next to this network's numbers (a dash for a word not
    followed); ``h0``: the analysis's ``h0_projection``."""
    def value(word: str, key: str) -> str:
        return f"{timing.of(word)[key]:.2f}" if word in words else "—"

    return markdown_table(
        ["quantity", "P2", "this book"],
        [["τ of “not” (tokens)", "≈ 2", value("not", "tau_distance")],
         ["τ of “extremely” (tokens)", "≈ 1", value("extremely", "tau_distance")],
         ["gain of “not” on the next word", "< 0 (flip)", value("not", "alpha")],
         ["gain of “extremely” on the next word", "> 1", value("extremely", "alpha")],
         ["beginning weight (first word vs a later one, same tokens after)", "weighs more",
          f"{split.first_weight:.2f}×"],
         [f"last word vs a word {split.settings.reference_after} tokens before the end",
          "processed differently",
          f"{split.last_weight:.2f}×"],
         ["h₀ in the modifier subspace", "yes (intensifies)",
          f"{h0.fraction_in_subspace:.2f} of its deviation"]])


def single_length_reading(first_gains: list[float]) -> str:
    """Reading of the first-token gain measured in single documents of growing length
    (``first_gains``: one gain per length, shortest first): a spread above a factor 1.2 means
    the one-length measurement mixes in the drift between the word and the readout."""
    spread = max(first_gains) / min(first_gains)
    if spread > 1.2:
        return (f"The single-length first-token gain moves by a factor {spread:.1f} between 30 "
                f"and 120 tokens (from {first_gains[0]:.2f} to {first_gains[-1]:.2f}), so it is "
                f"not a weight of the first position: it also measures what the fillers between "
                f"the word and the readout do to its effect, and that changes with the length")
    return (f"The single-length first-token gain barely moves with the length "
            f"({first_gains[0]:.2f} to {first_gains[-1]:.2f}), so on this network the drift "
            f"between the word and the readout is small and the one-length measurement happens "
            f"to agree in direction")
