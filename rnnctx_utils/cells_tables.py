"""The appendix's tables and sentences, from :func:`rnnctx_utils.cells_compare.compare_cell`'s
results: rows of the accuracy, line-attractor and modifier tables, the criteria (line
attractor, negation, sufficiency) and the readings generated from the numbers (never a fixed
claim).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnctx_utils import necessity_sufficiency as ns
from rnnctx_utils.cells_compare import (
    CELL_LABELS,
    CELL_ORDER,
    FULL_SCHEDULE_ACCURACY,
    LAMBDA_BAND,
    P1_TABLE1,
    CellResult,
)
from rnnctx_utils.config import Config


def sufficiency_fits(results: list[CellResult]) -> str:
    """How many augmented fits the sufficiency column took, and which cells shared one."""
    measured = [r for r in results if r.sufficiency is not None]
    owners = [r.cell for r in measured if r.sufficiency is not None
              and not r.sufficiency.shared_with]
    reused: dict[str, list[str]] = {}
    for r in measured:
        if r.sufficiency is not None and r.sufficiency.shared_with:
            reused.setdefault(r.sufficiency.shared_with[0], []).append(r.cell)
    text = f"{len(owners)} augmented fit{'s' if len(owners) != 1 else ''} for {len(measured)} cells"
    if reused:
        text += " (" + "; ".join(
            " and ".join(f"the {CELL_LABELS[c]}" for c in cells)
            + f" reuse{'s' if len(cells) == 1 else ''} the {CELL_LABELS[owner]}'s: the same "
            "modifier set" for owner, cells in reused.items()) + ")"
    return text + "."


def schedule_reading(cfg: Config, results: list[CellResult]) -> str:
    """Which cells trained a shorter schedule than the book's ``cfg``, and how far their test
    accuracy is from the one recorded at the full schedule (when it was recorded for this
    config), as sentences."""
    short = [r for r in results if r.config.n_steps < cfg.n_steps]
    if not short:
        return f"Every cell trained the book's full schedule of {cfg.n_steps:,} steps."
    sentences = []
    for r in short:
        text = (f"The {CELL_LABELS[r.cell]} trained {r.config.n_steps:,} of the book's "
                f"{cfg.n_steps:,} steps, with {r.config.n_fixed_point_seeds:,} fixed-point seeds")
        full_cfg = dataclasses.replace(r.config, n_steps=cfg.n_steps,
                                       n_fixed_point_seeds=cfg.n_fixed_point_seeds)
        digest, full = FULL_SCHEDULE_ACCURACY.get(r.cell, ("", np.nan))
        if digest != full_cfg.digest():
            sentences.append(text + "; its accuracy at the full schedule was not measured.")
            continue
        gap = 100 * (r.numbers["test"] - full)
        sentences.append(
            text + f"; its test accuracy, {r.numbers['test']:.2%}, is {gap:+.2f} points from the "
            f"{full:.2%} recorded once at the full schedule (not recomputed in this build): "
            + ("within" if abs(gap) <= 2 else "outside") + " the 2 points the budget allows.")
    return " ".join(sentences)


def _f(value: float, spec: str) -> str:
    return format(value, spec) if np.isfinite(value) else "—"


def accuracy_rows(results: list[CellResult]) -> list[list[str]]:
    """P1 Table 1's layout: one row per cell (test accuracy %, BoW %, Bayes ceiling %, training
    steps), then P1's rows for reference (its accuracy of that cell on each corpus)."""
    rows = [[CELL_LABELS[r.cell], _f(100 * r.numbers["test"], ".2f"),
             _f(100 * r.numbers["bow"], ".2f"), _f(100 * r.numbers["bayes"], ".2f"),
             f"{r.config.n_steps:,}", " / ".join(f"{P1_TABLE1[c][CELL_ORDER.index(r.cell) + 1]:.2f}"
                                                 for c in P1_TABLE1)] for r in results]
    rows.append(["BoW (P1)", "—", " / ".join(f"{v[0]:.2f}" for v in P1_TABLE1.values()), "—",
                 "—", "—"])
    return rows


ACCURACY_HEADER = ["cell", "test accuracy (%)", "bag-of-words (%)", "Bayes ceiling (%)",
                   "training steps", "P1: Yelp / IMDB / SST (%)"]
LINE_HEADER = ["cell", "S", "top 2 / 3 PCs", "slow points (PC1 share)", "readout coverage",
               "|λ₁| along the line", "median τ₁ (tokens)", "|cos(r₁, w)| (null 99%)",
               "max |J − finite diff.|"]
MODIFIER_HEADER = ["cell", "modifiers found", "precision / recall", "subspace dim",
                   "cos(negators, intensifiers)", "τ(not)", "τ(extremely)",
                   "g(0) of not: intact / ablated / random",
                   "sufficiency: recovered fraction [95% CI]"]


def line_rows(results: list[CellResult]) -> list[list[str]]:
    """Chapter 3's line-attractor numbers, one row per cell."""
    return [[CELL_LABELS[r.cell], str(int(n["state_size"])),
             f"{n['top2']:.1%} / {n['top3']:.1%}", f"{int(n['n_slow'])} ({n['slow_pc1']:.1%})",
             f"{n['coverage']:.2f}", f"{n['lam_min']:.3f} – {n['lam_max']:.3f}",
             f"{n['tau1']:.0f}", f"{n['align_w']:.2f} ({n['null_99']:.2f})",
             f"{n['jacobian_error']:.1e}"] for r in results for n in [r.numbers]]


def modifier_rows(results: list[CellResult]) -> list[list[str]]:
    """Chapters 4-6's modifier numbers, one row per cell (the last column, chapter 6's
    sufficiency, once :func:`add_sufficiency` has run)."""
    return [[CELL_LABELS[r.cell], str(int(n["n_modifiers"])),
             f"{_f(n.get('precision', np.nan), '.2f')} / {_f(n.get('recall', np.nan), '.2f')}",
             str(int(n["dim"])), _f(n["cosine"], "+.2f"), _f(n["tau_not"], ".2f"),
             _f(n["tau_extremely"], ".2f"),
             " / ".join(_f(n.get(k, np.nan), "+.2f") for k in ("g_intact", "g_ablated",
                                                                "g_random")),
             _recovered_cell(n)]
            for r in results for n in [r.numbers]]


def _recovered_cell(n: dict[str, float]) -> str:
    """"0.97 [0.90, 1.04]", or "—" before :func:`add_sufficiency`."""
    if not np.isfinite(n.get("recovered", np.nan)):
        return "—"
    return f"{n['recovered']:.2f} [{n['recovered_low']:.2f}, {n['recovered_high']:.2f}]"


def has_line(n: dict[str, float]) -> bool:
    """The line-attractor criterion of the appendix: slow points on one line (PC1 share ≥ 0.9),
    at least half of them with |λ₁| within :data:`LAMBDA_BAND` of 1, and r₁ aligned with the
    readout beyond the random null's 99th percentile."""
    return n["slow_pc1"] >= 0.9 and n["lam_band"] >= 0.5 and n["align_w"] > n["null_99"]


def flips(n: dict[str, float]) -> bool:
    """The negation criterion: "not" flips the next word (g(0) < 0), removing the modifier
    subspace abolishes the flip (g ≥ 0) and random subspaces do not (mean g < 0)."""
    g = [n.get(k, np.nan) for k in ("g_intact", "g_ablated", "g_random")]
    return bool(np.all(np.isfinite(g)) and g[0] < 0 <= g[1] and g[2] < 0)


def reading(r: CellResult) -> str:
    """One sentence per cell, generated from its numbers (never a fixed claim)."""
    n, name = r.numbers, CELL_LABELS[r.cell]
    acc = (f"test accuracy {n['test']:.1%} against {n['bow']:.1%} for bag-of-words"
           + (f" and a ceiling of {n['bayes']:.1%}" if np.isfinite(n["bayes"]) else ""))
    evidence = (f"{n['slow_pc1']:.0%} of the slow points' variance on one PC, "
                f"{n['lam_band']:.0%} of them with |λ₁| within {LAMBDA_BAND} of 1, median τ₁ "
                f"{n['tau1']:.0f} tokens against documents of {n['mean_len']:.0f} tokens on "
                f"average, |cos(r₁, w)| {n['align_w']:.2f} against a null of {n['null_99']:.2f}"
                + (": its slowest mode forgets within a document" if n["tau1"] < n["mean_len"]
                   else ""))
    line = (f"**{name}** ({acc}) shows a line attractor ({evidence})" if has_line(n) else
            f"**{name}** ({acc}) does not pass the line-attractor criterion ({evidence})")
    suff = sufficiency_reading(r)
    if not np.isfinite(n.get("g_intact", np.nan)):
        return (line + "; \"not\" is not in its vocabulary, so the ablation is not measured."
                + suff)
    if flips(n):
        mod = (f"\"not\" flips the next word (g(0) = {n['g_intact']:+.2f}), removing the "
               f"modifier subspace abolishes the flip ({n['g_ablated']:+.2f}) and random "
               f"subspaces do not ({n['g_random']:+.2f}): the negation mechanism is there")
        if n["test"] <= n["bow"]:
            mod += (", although the cell does not beat bag-of-words, so the flip is too weak "
                    "to pay off in accuracy")
    elif n["g_intact"] < 0:
        mod = (f"\"not\" flips the next word (g(0) = {n['g_intact']:+.2f}), but the ablation "
               f"does not single out the modifier subspace (removed: {n['g_ablated']:+.2f}, "
               f"random: {n['g_random']:+.2f})")
    else:
        mod = (f"\"not\" does not flip the next word (g(0) = {n['g_intact']:+.2f}): no "
               "negation mechanism to find")
    return f"{line}; {mod}.{suff}"


def recovers(r: CellResult) -> bool:
    """The sufficiency criterion (chapter 6's verdict "reproduced"): the cell beats
    bag-of-words at 95% and the augmented family recovers ≥ 0.9 of that gain."""
    return r.sufficiency is not None and r.sufficiency.verdict == "reproduced"


def sufficiency_reading(r: CellResult) -> str:
    """" Sufficiency: …" (with a leading space), or "" before :func:`add_sufficiency`."""
    s = r.sufficiency
    if s is None:
        return ""
    n = r.numbers
    words = ", ".join(f"\"{w}\"" for w in s.modifier_words[:4]) + (
        f" and {len(s.modifier_words) - 4} more" if len(s.modifier_words) > 4 else "")
    gain = (f"the cell's gain over bag-of-words is {100 * n['rnn_gain']:+.1f} points "
            f"[{100 * n['rnn_gain_low']:+.1f}, {100 * n['rnn_gain_high']:+.1f}]")
    if n["rnn_gain_low"] <= 0:
        return (f" Sufficiency is not measurable: {gain}, so there is no gain to recover "
                f"(the augmented family with its modifiers, {words}, reaches "
                f"{n['acc_aug']:.1%}).")
    return (f" With its modifiers ({words}) the augmented bag-of-words reaches "
            f"{n['acc_aug']:.1%} and recovers {n['recovered']:.2f} "
            f"[{n['recovered_low']:.2f}, {n['recovered_high']:.2f}] of the cell's gain "
            f"({gain}): sufficiency {s.verdict}.")
def planted_sufficiency_reading(cfg: Config, results: list[CellResult]) -> str:
    """The planted-versus-discovered caveat of the sufficiency column, from the numbers: on a
    synthetic corpus the family has the planted rule's form (``ns.planted_effects``), so what
    the column tests is whether each cell's *discovered* modifiers suffice."""
    measured = [r for r in results if r.sufficiency is not None]
    if not measured:
        return ""
    planted = ns.planted_effects()
    if not cfg.is_synthetic or "sufficiency" not in planted:
        return ("On this corpus nothing is planted: the sufficiency column measures how much "
                "of each cell's gain over bag-of-words a bag of words with that cell's "
                "discovered modifiers and a position weight explains.")
    parts = []
    for r in measured:
        s = r.sufficiency
        assert s is not None and s.planted is not None
        held = [w for w in s.planted if w in s.modifier_words]
        missed = [w for w in s.planted if w not in s.modifier_words]
        value = (f"recovers {r.numbers['recovered']:.2f}" if r.numbers["rnn_gain_low"] > 0
                 else "has no gain to recover")
        parts.append(f"the {CELL_LABELS[r.cell]}'s set holds {len(held)} of the "
                     f"{len(s.planted)} planted modifiers"
                     + (f" (missing: {', '.join(missed)})" if missed else "") + f" and {value}")
    return ("**Sufficiency is planted too.** The synthetic labels come from a rule of the "
            "augmented family's own form (chapter 1), so the family fitted with the planted "
            "modifiers *is* the rule, and a recovered fraction "
            "near 1 on this corpus is partly true by construction (above 1, the family beats "
            "a cell that falls short of the rule). What is not planted is which modifiers "
            "each cell's analysis discovered, and whether those are enough: "
            + "; ".join(parts) + ". A planted modifier that a cell's cut misses costs the "
            "family only the documents where it matters, so a high value despite missed "
            "modifiers says they are rare or weak in the test documents. On real reviews "
            "nothing is planted (chapter 6's last section).")


def summary_reading(results: list[CellResult]) -> str:
    """Which cells pass the line-attractor and the negation criteria, as a sentence."""
    def names(cells: list[CellResult]) -> str:
        return ", ".join(CELL_LABELS[r.cell] for r in cells) or "none"

    line = [r for r in results if has_line(r.numbers)]
    negation = [r for r in results if flips(r.numbers)]
    both = [r for r in line if r in negation]
    text = (f"{len(line)} of the {len(results)} cells pass the line-attractor criterion "
            f"({names(line)}) and {len(negation)} the negation criterion ({names(negation)}); "
            f"{len(both)} show both halves of P2's picture ({names(both)}).")
    measured = [r for r in results if r.sufficiency is not None]
    if not measured:
        return text
    recovered = [r for r in measured if recovers(r)]
    unmeasurable = [r for r in measured if r.numbers["rnn_gain_low"] <= 0]
    short = [r for r in measured if r not in recovered and r not in unmeasurable]
    text += (f" The augmented bag-of-words family, fitted with each cell's own modifiers, "
             f"recovers at least 90% of the cell's gain over bag-of-words for "
             f"{len(recovered)} of the {len(measured)} cells ({names(recovered)})")
    if short:
        text += (", less for " + ", ".join(
            f"the {CELL_LABELS[r.cell]} ({r.numbers['recovered']:.2f})" for r in short))
    if unmeasurable:
        text += (f"; for {names(unmeasurable)} the gain is not above 0 at 95%, so there is "
                 "nothing to recover")
    return text + "."
