"""Chapter 6's reporting functions on hand-made numbers: the verdicts, the readings and the
shares come out exactly as the chapter's rules say."""

import numpy as np
import pytest

from rnnctx_utils import ablation_report as ablation
from rnnctx_utils import claim_verdicts as claims
from rnnctx_utils import context
from rnnctx_utils import energetic_control as control
from rnnctx_utils import learned_vs_measured as compare
from rnnctx_utils import sufficiency_report as report
from rnnctx_utils.necessity import Spread


def test_words_with_probes_adds_not_and_extremely_once() -> None:
    assert ablation.words_with_probes(["but", "not"], ["not", "but", "extremely"]) == [
        "but", "not", "extremely"]
    assert ablation.words_with_probes(["but"], ["but", "good"]) == ["but"]


def test_negation_flips_judged_draw_by_draw() -> None:
    words = ["not", "very", "never"]
    gains = {"intact": np.array([-0.5, 1.4, -0.2]),
             "modifier subspace removed": np.array([0.1, 1.1, 0.0]),
             "random subspace removed": np.array([-0.45, 1.35, -0.15])}
    random_gains = np.array([[-0.4, 1.3, -0.1], [-0.5, 1.4, -0.2]])
    flips = ablation.negation_flips(words, gains, random_gains)
    assert flips.negators == ["not", "never"]
    assert flips.abolished is True and flips.control_keeps is True
    assert flips.g_not == {"intact": -0.5, "modifier subspace removed": 0.1,
                           "random subspace removed": -0.45}
    assert flips.not_random_std == pytest.approx(0.05)
    # one draw where "never" no longer flips: the control does not keep the flips
    random_gains[0, 2] = 0.01
    assert ablation.negation_flips(words, gains, random_gains).control_keeps is False
    # "never" still flipping after the ablation: not abolished
    gains["modifier subspace removed"][2] = -0.01
    assert ablation.negation_flips(words, gains, random_gains).abolished is False
    # no negator at all: nothing abolished, nothing kept; "not" untested gives nan
    none = ablation.negation_flips(["very"], {k: v[1:2] for k, v in gains.items()},
                                   random_gains[:, 1:2])
    assert (none.negators, none.abolished, none.control_keeps) == ([], False, False)
    assert np.isnan(none.g_not["intact"]) and np.isnan(none.not_random_std)
    assert set(ablation.negation_glue(none)) == {
        "ch6_not_gain_intact", "ch6_not_gain_ablated", "ch6_not_gain_random",
        "ch6_not_gain_random_std"}


def test_accuracy_glue_and_nomod_reading() -> None:
    assert ablation.nomod_reading(-0.01) == "they lose accuracy too"
    assert ablation.nomod_reading(0.01) == "they gain accuracy"
    assert ablation.nomod_reading(0.004) == "their accuracy barely changes"
    acc = {"all test documents": (0.9, 0.8, Spread(0.88, 0.01, np.array([0.87, 0.89]))),
           "with a modifier": (0.9, 0.6, Spread(0.89, 0.01, np.array([0.88, 0.90]))),
           "without": (0.9, 0.92, Spread(0.9, 0.0, np.array([0.9, 0.9])))}
    values = ablation.accuracy_glue(acc, np.array([True, False, False, True]), 2)
    assert values["ch6_acc_mod_ablated"] == 0.6 and values["ch6_acc_all_random"] == 0.88
    assert values["ch6_n_nomod"] == 2 and values["ch6_frac_with_modifier"] == 0.5
    assert values["ch6_nomod_reading"] == "they gain accuracy"
    assert values["ch6_n_random"] == 2


def test_energy_shares_on_axes() -> None:
    # deflections along x (energy 9 + 1) and y (energy 0 + 4) in S = 3
    deflected = {"ordinary": np.array([[[3.0, 0.0, 0.0]], [[1.0, 2.0, 0.0]]]),
                 "modifiers": np.array([[0.0, 0.0, 1.0]])}
    x, y = np.eye(3)[:, :1], np.eye(3)[:, 1:2]
    energy = control.energy_shares(deflected, {"x": x, "draws": [x, y]})
    assert energy[("x", "ordinary")] == pytest.approx(10 / 14)
    assert energy[("draws", "ordinary")] == pytest.approx((10 / 14 + 4 / 14) / 2)
    assert energy[("x", "modifiers")] == 0.0
    assert list(energy) == [("x", "ordinary"), ("x", "modifiers"), ("draws", "ordinary"),
                            ("draws", "modifiers")]


def test_frequent_ordinary_words_skip_modifiers_and_keep_ties_in_order() -> None:
    words = ["a", "not", "b", "c"]
    counts = np.array([5, 9, 5, 7])
    assert control.frequent_ordinary_words(words, counts, ["not"], n=3) == ["c", "a", "b"]
    assert control.frequent_ordinary_words(words, counts, ["not"], n=1) == ["c"]


def test_necessity_verdict_needs_both_controls() -> None:
    strong = dict(flips_abolished=True, control_keeps=True, g_not_intact=-0.5, g_energetic=-0.3,
                  drop_ablated=0.2, drop_random=0.01, drop_control=0.05)
    assert control.necessity_verdict(**strong) == "reproduced"
    # the energetic control abolishes the flip as well: only partly
    assert control.necessity_verdict(**{**strong, "g_energetic": 0.1}) == "partly"
    # the energetic control costs half as much accuracy: only partly
    assert control.necessity_verdict(**{**strong, "drop_control": 0.1}) == "partly"
    # a random drop below 0.005 counts as 0.005: 3 × 0.005 = 0.015 < 0.02
    assert control.necessity_verdict(**{**strong, "drop_ablated": 0.02, "drop_random": 0.0,
                                        "drop_control": 0.0}) == "reproduced"
    assert control.necessity_verdict(**{**strong, "flips_abolished": False,
                                        "drop_ablated": 0.001}) == "not reproduced"
    assert control.necessity_verdict(**{**strong, "drop_ablated": float("nan")}) == (
        "not measured")


def test_control_reading() -> None:
    assert control.control_reading(0.2, -1.0).startswith("\"not\" does not flip")
    assert control.control_reading(-0.5, 0.0).startswith("it abolishes the flip as well")
    assert control.control_reading(-0.5, -0.1).startswith("the flip survives it")


def _checks(**changes: object) -> claims.ClaimChecks:
    base = claims.ClaimChecks(
        acc_rnn=0.9, acc_bow=0.8, top3=0.9, line_pc1=0.95, lambda1_near_one=1.0,
        lambda1_verdict="reproduced", tau1_median=500.0, cosine=-0.8, tau_not=3.0,
        tau_extremely=1.0, tau_diff_low=0.5, h0_fraction=0.7, first_weight=1.5,
        last_weight=1.2)
    return base._replace(**changes)


def test_claim_verdicts_by_their_rules() -> None:
    kw = dict(n_modifiers=4, found_ok=True, found_partly=True, subspace_dim=2,
              necessity="reproduced", sufficiency="partly")
    v = claims.claim_verdicts(_checks(), **kw)
    assert list(v) == ["rnn_vs_bow", "top_pcs", "line", "lambda1", "modifiers_found",
                       "subspace_dim", "directions", "tau_order", "h0", "beginning", "end",
                       "necessity", "sufficiency"]
    assert all(x == "reproduced" for k, x in v.items() if k != "sufficiency")
    assert v["sufficiency"] == "partly"
    v = claims.claim_verdicts(_checks(acc_rnn=0.79, top3=0.5, line_pc1=0.8, cosine=0.6,
                                      tau_diff_low=-0.1, first_weight=1.05, last_weight=0.95),
                              **{**kw, "subspace_dim": 5, "found_ok": False})
    assert (v["rnn_vs_bow"], v["top_pcs"], v["line"], v["directions"], v["tau_order"]) == (
        "partly", "not reproduced", "partly", "partly", "partly")
    assert (v["h0"], v["beginning"], v["end"], v["subspace_dim"], v["modifiers_found"]) == (
        "reproduced", "partly", "partly", "partly", "partly")
    v = claims.claim_verdicts(_checks(tau_not=float("nan"), h0_fraction=0.2, first_weight=0.9,
                                      last_weight=1.01), **{**kw, "subspace_dim": 8})
    assert (v["tau_order"], v["h0"], v["beginning"], v["end"], v["subspace_dim"]) == (
        "not measured", "not reproduced", "not reproduced", "not reproduced", "not reproduced")


def test_planted_and_check_glue() -> None:
    real = claims.planted_glue(False)
    assert set(real.values()) == {"— (real corpus: nothing planted)"}
    assert len(real) == len(claims.ns.CLAIMS) + 1
    synthetic = claims.planted_glue(True)
    assert synthetic["ch6_planted_line"] == "discovered"
    assert synthetic["ch6_planted_other"] == "discovered"
    assert synthetic["ch6_planted_sufficiency"].startswith("planted: ")
    values = claims.check_glue(_checks())
    assert values["ch6_check_negator_intensifier_cosine"] == -0.8 and len(values) == 10


def test_sufficiency_texts_and_tables() -> None:
    correct = {"bow": np.array([1, 0, 0, 1], bool), "rnn": np.array([1, 1, 1, 1], bool),
               "both": np.array([1, 1, 0, 1], bool), "backward": np.array([1, 1, 0, 1], bool)}
    r = context.RecoveredFraction(0.5, 0.1, 0.9, 0.95)
    recovered = {"both": r, "backward": r}
    assert report.scan_text(0, recovered, correct).startswith("No k of chapter 4's ranking")
    assert report.extra_members_text(recovered, correct) == (
        "The backward member [ours] reaches 0.750 (recovered 0.50 [0.10, 0.90]).")
    table = report.family_table(report.member_labels(2), correct, recovered, "GRU", None)
    assert table.splitlines()[2] == "| bag-of-words | 0.500 | — |"
    assert table.splitlines()[-1] == "| RNN (GRU) | 1.000 | 1 (by definition) |"
    values = report.recovered_glue(recovered, correct, 4)
    assert values["ch6_recovered_both_low"] == 0.1 and values["ch6_acc_rnn"] == 1.0
    assert "ch6_acc_scan" not in values and values["ch6_n_test"] == 4


def test_alpha_correlation() -> None:
    alphas = {compare.LEARNED: np.array([-1.0, 2.0, 1.5]),
              compare.MEASURED: np.array([-0.5, 1.5, 1.2])}
    assert compare.alpha_correlation(alphas) == pytest.approx(
        float(np.corrcoef(alphas[compare.LEARNED], alphas[compare.MEASURED])[0, 1]))
    assert np.isnan(compare.alpha_correlation({k: v[:1] for k, v in alphas.items()}))
