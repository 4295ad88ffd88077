"""The chapters' reporting functions (issue 20): exact outcomes on hand-made numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from rnnctx_utils import (
    h0_causal,
    line_attractor_report,
    task_report,
    timing_report,
    tolerance_report,
    toy,
)


def test_followed_words_synthetic_and_real() -> None:
    found = SimpleNamespace(words=("not", "very", "good", "extremely", "the"),
                            modifiers=("very",), top=lambda n: [("good", 3.0), ("very", 2.0),
                                                                ("the", 1.0)][:n])
    truth = SimpleNamespace(modifiers={"not": 0, "never": 0, "very": 0})
    assert timing_report.followed_words(found, truth) == ("not", "very")  # "never": no token
    # selected, then the top three (no repeats), then P2's words in the vocabulary
    assert timing_report.followed_words(found, None) == ("very", "good", "the", "not",
                                                         "extremely")


def _timing(words, tau_distance, tau_linear, mode_tau, amplitude, alpha):
    timing = SimpleNamespace(words=words, tau_distance=np.array(tau_distance),
                             tau_linear=np.array(tau_linear), mode_tau=np.array(mode_tau),
                             distance_amplitude=np.array(amplitude), alpha=np.array(alpha),
                             tau_gain=np.array(tau_distance) + 1)
    timing.of = lambda w: {"tau_distance": float(timing.tau_distance[words.index(w)]),
                           "alpha": float(timing.alpha[words.index(w)])}
    timing.tau_difference = lambda a, b: (timing.of(a)["tau_distance"]
                                          - timing.of(b)["tau_distance"], -1.0, 3.0)
    return timing


def test_tau_values_and_word_timing() -> None:
    words = ("not", "extremely")
    timing = _timing(words, [2.5, 1.0], [2.0, 1.0], [3.0, 0.5], [1.0, 2.0], [-1.5, np.nan])
    values = timing_report.tau_values(timing, words)
    assert values["tau_not"] == 2.5 and values["tau_not_text"] == "2.50 tokens"
    assert values["tau_diff"] == 1.5 and values["tau_diff_low"] == -1.0
    assert values["tau_diff_text"].startswith("+1.50 tokens (95% bootstrap interval")
    assert timing_report.word_timing(timing, words) == [["not", 2.5, -1.5, 3.5],
                                                        ["extremely", 1.0, None, 2.0]]
    missing = timing_report.tau_values(timing, ("not",))
    assert np.isnan(missing["tau_extremely"]) and np.isnan(missing["tau_diff_high"])
    assert missing["tau_extremely_text"] == '— (no "extremely" in the vocabulary)'


def test_linear_tau_checks() -> None:
    # τ linear = τ distance · (1, 2, 4): the misses |ln τ_linear / τ| are ln 1, ln 2, ln 4
    timing = _timing(("a", "b", "c"), [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [2.0, 1.0, 4.0],
                     [0.1, 0.2, 0.3], [1.0, 1.0, 1.0])
    timing.tau_linear = timing.tau_distance * np.array([1.0, 2.0, 4.0])
    checks = timing_report.linear_tau_checks(timing)
    r_linear = np.corrcoef([1, 2, 3], [1, 4, 12])[0, 1]
    assert checks["tau_distance_linear_corr"] == pytest.approx(r_linear)
    assert checks["modes_slower"] == pytest.approx(2 / 3)
    # amplitude rises linearly, miss = ln(1, 2, 4) also linearly: r = 1
    assert checks["excursion_miss_corr"] == pytest.approx(1.0)
    assert checks["excursion_reading"].startswith("larger excursions do go")
    assert timing_report.linear_reading(0.7).endswith("which modifiers last longer")
    assert timing_report.linear_reading(0.5).endswith("only loosely")
    assert "do not predict" in timing_report.linear_reading(0.29)
    assert timing_report.excursion_reading(0.9, 2).startswith("too few")


def test_same_kind_and_planted_comparison() -> None:
    assert timing_report.same_kind(-0.5, -1.5) and timing_report.same_kind(2.0, 1.5)
    assert not timing_report.same_kind(0.5, 1.5)  # damps where the plant amplifies
    assert not timing_report.same_kind(0.5, -0.5)  # no flip
    truth = SimpleNamespace(
        modifiers={"not": SimpleNamespace(alpha=-1.5, tau=3.0),
                   "very": SimpleNamespace(alpha=2.0, tau=1.0),
                   "quite": SimpleNamespace(alpha=0.5, tau=2.0)},
        roles={"not": "negator", "very": "intensifier", "quite": "diminisher"})
    words = ("not", "very", "quite")
    timing = _timing(words, [4.0, 1.0, 0.5], [1, 1, 1], [1, 1, 1], [1, 1, 1], [-1.0, 1.5, 1.2])
    result = timing_report.planted_comparison(timing, words, truth)
    assert result.right_kind == 2  # "quite" amplifies instead of damping
    assert result.negators_slower is True
    assert result.tau_spearman == pytest.approx(0.5)  # ranks (3, 1, 2) vs (3, 2, 1)
    assert "| `not` | negator | -1.5 | -1.00 | 3.0 | 5.00 | 4.00 | yes |" in result.table


def test_single_length_reading() -> None:
    assert "moves by a factor 1.5" in timing_report.single_length_reading([2.0, 2.5, 3.0])
    assert "barely moves" in timing_report.single_length_reading([2.0, 2.1, 2.2])


def test_altered_initial_states_and_causal_reading() -> None:
    # attractor points on the x axis, modifier subspace = the y axis (a non-normalised basis)
    found = SimpleNamespace(attractor_points=np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]),
                            subspace=SimpleNamespace(basis=np.array([[0.0], [3.0], [0.0]])))
    h0 = np.array([1.8, 0.5, 0.25])
    starts = h0_causal.altered_initial_states(h0, found)
    assert list(starts) == ["trained h₀", "h₀ moved to the nearest attractor point",
                            "h₀ without its modifier-subspace component"]
    np.testing.assert_allclose(starts["h₀ moved to the nearest attractor point"], [2.0, 0, 0])
    np.testing.assert_allclose(starts["h₀ without its modifier-subspace component"],
                               [1.8, 0.0, 0.25])
    weights = dict.fromkeys(starts, 0.0)
    weights.update({"trained h₀": 2.0, "h₀ without its modifier-subspace component": 1.4})
    assert "takes away most" in h0_causal.causal_reading(weights)  # 0.4 < 0.5 · 1.0
    weights["h₀ without its modifier-subspace component"] = 1.5  # 0.5, not below
    assert "does not take away" in h0_causal.causal_reading(weights)


def test_top_mode_numbers_and_line() -> None:
    # 4 slow points, |λ₁| = 0.99, 1.01, 0.95, 1.0 (τ₁ = -1/ln|λ₁| is given directly here)
    modes = SimpleNamespace(eigenvalues=np.array([[0.99, 0.5], [1.01j, 0.5], [0.95, 0.4],
                                                  [-1.0, 0.3]]),
                            time_constants=np.array([[100.0, 5, 4, 3, 2], [300.0, 6, 4, 3, 1],
                                                     [20.0, 2, 2, 2, 2], [1e4, 8, 4, 3, 3]]))
    top = line_attractor_report.top_mode_numbers(modes, max_doc_len=50)
    assert top["top_eig_min"] == 0.95 and top["top_eig_max"] == pytest.approx(1.01)
    assert top["frac_band"] == 0.75 and top["frac_above_one"] == 0.25
    assert top["frac_tau_doc"] == 0.75 and top["max_doc_len"] == 50
    assert (top["tau1_median"], top["tau2_median"], top["tau5_median"]) == (200.0, 5.5, 2.0)
    assert line_attractor_report.top_mode_line(top) == (
        "|λ1| from 0.9500 to 1.0100; within ±0.02 of 1 at 75% of the points; median τ1 200 "
        "tokens, τ2 6, τ5 2")


def test_role_pushes_and_valence_correlation(monkeypatch: pytest.MonkeyPatch) -> None:
    # the push of a word is a hand-made number per word (the network is not needed)
    push = {"good": 2.0, "great": 3.0, "bad": -1.0, "not": -0.5, "the": 0.1, "rare": 9.0}
    monkeypatch.setattr(line_attractor_report, "input_projections",
                        lambda model, left, jac, words: np.array([push[w] for w in words]))
    roles = {"valence": ["good", "great", "bad", "rare"], "negator": ["not"],
             "intensifier": [], "neutral": ["the"]}
    truth = SimpleNamespace(words_with_role=lambda role: roles.get(role, []),
                            valence={"good": 1.0, "great": 2.0, "bad": -1.0, "rare": 5.0})
    model = SimpleNamespace(vocab={"good", "great", "bad", "not", "the"})  # "rare": no token
    result = line_attractor_report.role_pushes(model, truth, np.zeros(2), np.zeros((2, 2)))
    assert result.rows == [["valence +", 2, "+2.500"], ["valence −", 1, "-1.000"],
                           ["negator", 1, "-0.500"], ["neutral", 1, "+0.100"]]
    assert result.negator_ratio == pytest.approx(-0.5 / 1.75)
    assert np.isnan(result.intensifier_ratio)  # no intensifier words
    corr = line_attractor_report.valence_correlation(model, truth, np.zeros(2), np.zeros((2, 2)))
    assert corr == pytest.approx(1.0)  # two positive words, pushes rise with valence


def test_task_report_rows_counts_and_texts() -> None:
    params = {"embedding": np.zeros((10, 4)), "h0": np.zeros(3), "readout_w": np.zeros(3),
              "cell": {"w": np.zeros((3, 7)), "b": np.zeros(3)}}
    assert task_report.parameter_counts(params) == {"embedding": 40, "h0": 3, "readout_w": 3,
                                                    "cell": 24}
    rows = task_report.accuracy_rows("synthetic", "gru", 0.91234, 0.8)
    assert rows[:3] == task_report.PAPER_ACCURACY
    assert rows[3] == ["synthetic (this book)", "80.00", "–", "–", "91.23", "–"]
    assert task_report.bayes_text(0.9512) == "95.12%"
    assert task_report.bayes_text(float("nan")) == "— (a real corpus has no planted rule)"


def test_tolerance_report_seeds_coverage_and_lines() -> None:
    states = np.arange(10.0)[:, None] * np.ones((1, 2))
    seeds = tolerance_report.sample_states(states, n=4, seed=0)
    expected = np.random.default_rng(0).choice(10, size=4, replace=False)
    np.testing.assert_array_equal(seeds[:, 0], expected)
    assert len(np.unique(seeds[:, 0])) == 4
    assert tolerance_report.sample_states(states, n=50).shape == (10, 2)  # at most all rows
    sweep = SimpleNamespace(tolerances=np.array([1e-3, 1e-8]), n_converged=np.array([200, 7]),
                            n_distinct=np.array([150, 3]))
    assert tolerance_report.sweep_lines(sweep, [0.95, 0.125]) == [
        "q < 1e-03:  200 seeds converged,  150 distinct, coverage 0.95",
        "q < 1e-08:    7 seeds converged,    3 distinct, coverage 0.12"]


def test_toy_attribution_text_flags_overshoots() -> None:
    ablation = toy.Ablation("not", [(0, 1), (2,)], np.array([0.5 + 0.5j, 0.2]), -1.0,
                            np.array([0.0, -0.5]), np.array([1.2, 0.3]), np.array([0, 1]))
    text = toy.attribution_text([ablation])
    assert text.startswith('In this book\'s model the effect is removed most for "not" by '
                           f"cutting a complex pair, λ = {toy.eigen_label(0.5 + 0.5j)} (120%).")
    assert "A removal above 100% (not) overshoots" in text
    full = {"not_ranking": [{"eigenvalue": "0.30", "removed_percent": 90.0}],
            "very_ranking": [{"eigenvalue": "0.10", "removed_percent": 110.0}]}
    both = toy.attribution_text([ablation], full)
    assert ('In the full schedule\'s model: "not" by cutting a real mode, λ = 0.30 (90%) and '
            '"very" by cutting a real mode, λ = 0.10 (110%).') in both
    assert "(not, very) overshoots" in both
    assert toy.full_schedule_summary(None).cells == dict.fromkeys(toy.TABLE_ROWS,
                                                                   "not available")
