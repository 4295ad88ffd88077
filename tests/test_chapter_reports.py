"""The chapters' reporting functions (issue 20): exact outcomes on hand-made numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from rnnctx_utils import h0_causal, timing_report


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
