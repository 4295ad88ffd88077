"""P2's toy language: the target rule, the data, the cache, the analysis helpers and, on the
fast schedule, the dynamics the chapter reports (line attractor, the "not" pair)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import cells, toy


def contribution_of_last(sentence: str) -> float:
    return float(toy.contributions(toy.encode(sentence))[-1])


# ---------------------------------------------------------------------------------------------
# The rule


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("good", 1.0), ("bad", -1.0), ("awesome", 2.0), ("awful", -2.0), ("the", 0.0),
        ("not good", -1.0), ("very awesome", 4.0), ("very awful", -4.0), ("not awful", 2.0),
        # overlapping modifiers: a second "not" restarts the window, it does not cancel
        ("not not good", -1.0), ("not very good", -2.0), ("very not good", -1.0),
        ("very very bad", -2.0),
    ],
)
def test_contribution_of_hand_made_sentences(sentence: str, expected: float) -> None:
    assert contribution_of_last(sentence) == expected


def test_not_window_is_four_tokens() -> None:
    # "good" at distance 1..4 after "not" is flipped, at distance 5 and 6 it is not.
    gains = [contribution_of_last("not " + "the " * gap + "good") for gap in range(6)]
    assert gains == [-1.0, -1.0, -1.0, -1.0, 1.0, 1.0]


def test_very_window_is_one_token() -> None:
    gains = [contribution_of_last("very " + "and " * gap + "awesome") for gap in range(3)]
    assert gains == [4.0, 2.0, 2.0]


def test_targets_are_running_sums() -> None:
    np.testing.assert_array_equal(toy.targets(toy.encode("good not bad the the very awesome")),
                                  [1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 6.0])
    # one "the" fewer puts "awesome" inside the "not" window: flipped and doubled
    np.testing.assert_array_equal(toy.targets(toy.encode("good not bad the very awesome")),
                                  [1.0, 1.0, 2.0, 2.0, 2.0, -2.0])


def _loop_targets(tokens: np.ndarray) -> np.ndarray:
    """Reference: the rule as the authors' counters (a modifier sets a counter that each
    following token decrements), one token at a time."""
    out = np.zeros(tokens.shape, np.float32)
    for row, sequence in enumerate(tokens):
        not_left = very_left = 0
        total = 0.0
        for t, token in enumerate(sequence):
            value = toy.VALENCE_TABLE[token]
            if not_left > 0:
                value, not_left = -value, not_left - 1
            if very_left > 0:
                value, very_left = 2 * value, very_left - 1
            if token == toy.NOT_ID:
                not_left = toy.NOT_WINDOW
            if token == toy.VERY_ID:
                very_left = toy.VERY_WINDOW
            total += value
            out[row, t] = total
    return out


def test_vectorised_targets_match_a_token_by_token_loop() -> None:
    tokens = toy.generate_tokens(300, 50, seed=3)
    np.testing.assert_array_equal(toy.targets(tokens), _loop_targets(tokens))


# ---------------------------------------------------------------------------------------------
# The data


def test_generated_tokens_are_uniform_and_reproducible() -> None:
    tokens = toy.generate_tokens(100_000, 50, seed=0)
    assert tokens.shape == (100_000, 50) and tokens.dtype == np.int32
    frequencies = np.bincount(tokens.ravel(), minlength=toy.N_SYMBOLS) / tokens.size
    # 5e6 draws: the standard error of each frequency is 1.2e-4, so 1e-3 is about 8 sigma
    np.testing.assert_allclose(frequencies, 1 / 12, atol=1e-3)
    np.testing.assert_array_equal(tokens[:5], toy.generate_tokens(5, 50, seed=0))
    assert not np.array_equal(tokens[:5], toy.generate_tokens(5, 50, seed=1))


def test_vocabulary_has_twelve_symbols_with_the_papers_valences() -> None:
    assert toy.N_SYMBOLS == 12 and len(set(toy.VOCABULARY)) == 12
    assert toy.VALENCE_TABLE.sum() == 0.0 and np.abs(toy.VALENCE_TABLE).sum() == 6.0
    assert toy.decode(toy.encode("not very good")) == "not very good"


def test_compressed_schedule_keeps_first_and_last_learning_rate() -> None:
    short = toy.AUTHORS_SETTINGS.compressed(4_000)
    authors_final = 0.04 * 0.99995**40_000
    assert short.n_steps == 4_000
    assert short.learning_rate * short.lr_decay**4_000 == pytest.approx(authors_final, rel=1e-9)
    schedule = toy.optimizer(short)  # builds without error; the decay is the one above
    assert schedule is not None


# ---------------------------------------------------------------------------------------------
# The network


def test_rollout_equals_the_cell_step_applied_token_by_token() -> None:
    settings = toy.ToySettings(n_hidden=8)
    params = toy.init_params(jax.random.PRNGKey(0), settings)
    params["h0"] = jnp.linspace(-0.5, 0.5, 8)
    tokens = toy.encode("not good the very awful")
    states = toy.rollout(params, jnp.asarray(tokens)[None])[0]
    gru = cells.get_cell("gru")
    h = params["h0"]
    for t, token in enumerate(tokens):
        h = gru.step(params["cell"], h, toy.one_hot(jnp.asarray(token)))
        np.testing.assert_allclose(states[t], h, rtol=1e-5, atol=1e-6)


def test_update_gate_bias_is_set() -> None:
    params = toy.init_params(jax.random.PRNGKey(0), toy.ToySettings(n_hidden=5))
    np.testing.assert_array_equal(params["cell"]["b"][:5], np.full(5, 0.5, np.float32))


@pytest.mark.slow
def test_cache_returns_the_trained_parameters(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RNNCTX_CACHE", str(tmp_path))
    settings = toy.ToySettings(n_hidden=4, n_train=64, seq_len=4, batch_size=32, n_steps=2)
    first = toy.trained_toy_model(settings)
    second = toy.trained_toy_model(settings)
    for a, b in zip(jax.tree_util.tree_leaves(first.params),
                    jax.tree_util.tree_leaves(second.params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(first.history["mse"], second.history["mse"])
    assert len(list(tmp_path.glob("toy-*"))) == 1
    other = toy.trained_toy_model(settings.replace(seed=1))
    assert not np.array_equal(np.asarray(other.params["h0"]), np.asarray(first.params["h0"]))
    assert len(list(tmp_path.glob("toy-*"))) == 2


# ---------------------------------------------------------------------------------------------
# Analysis helpers on planted matrices


def _planted_spectrum(seed: int = 0) -> toy.ToySpectrum:
    rng = np.random.default_rng(seed)
    right = rng.normal(size=(5, 5))
    eigenvalues = np.array([1.0, 0.5 + 0.4j, 0.5 - 0.4j, 0.2, 0.05])
    # a real matrix with this spectrum: rotate the columns of the pair into a complex pair
    complex_right = right.astype(complex)
    complex_right[:, 1] = right[:, 1] + 1j * right[:, 2]
    complex_right[:, 2] = right[:, 1] - 1j * right[:, 2]
    left = np.linalg.inv(complex_right)
    return toy.ToySpectrum(np.zeros(5), eigenvalues, complex_right, left, np.zeros(5))


def test_conjugate_groups_pair_complex_modes() -> None:
    spec = _planted_spectrum()
    assert toy.conjugate_groups(spec.eigenvalues) == [(0,), (1, 2), (3,), (4,)]


def test_ablate_removes_exactly_the_chosen_mode_coefficients() -> None:
    spec = _planted_spectrum()
    vector = np.array([0.3, -1.0, 2.0, 0.5, 1.5])
    ablated = toy.ablate(vector, spec, (1, 2))
    assert np.isrealobj(ablated)
    coefficients, kept = spec.left @ vector, spec.left @ ablated
    np.testing.assert_allclose(kept[[1, 2]], 0.0, atol=1e-12)
    np.testing.assert_allclose(kept[[0, 3, 4]], coefficients[[0, 3, 4]], atol=1e-12)
    np.testing.assert_allclose(toy.ablate(vector, spec, ()), vector)


def test_mode_angles_are_zero_along_and_ninety_across() -> None:
    spec = _planted_spectrum()
    along = np.real(spec.left[3])
    angles = toy.mode_angles(along, spec.left)
    assert angles[3] == pytest.approx(0.0, abs=1e-5)
    # a vector orthogonal to l_3 makes 90 degrees with it
    across = np.linalg.svd(along[None])[2][1]
    assert toy.mode_angles(across, spec.left)[3] == pytest.approx(90.0, abs=1e-5)


def test_line_fit_of_points_on_a_line() -> None:
    direction = np.array([3.0, 4.0, 0.0]) / 5
    points = np.linspace(-2, 2, 11)[:, None] * direction + np.array([1.0, 1.0, 1.0])
    fraction, pc1 = toy.line_fit(points)
    assert fraction == pytest.approx(1.0)
    assert abs(pc1 @ direction) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# The trained network on the fast schedule


@pytest.fixture(scope="module")
def fast_model() -> toy.ToyModel:
    return toy.train(toy.FAST_SETTINGS, log_every=500)


@pytest.fixture(scope="module")
def fast_analysis(fast_model: toy.ToyModel) -> tuple[toy.ToyFixedPoints, toy.ToySpectrum]:
    fixed = toy.toy_fixed_points(fast_model.params, n_seeds=300)
    anchor = toy.anchor_index(fast_model.params, fixed)
    return fixed, toy.spectrum(fast_model.params, fixed.points[anchor])


@pytest.mark.slow
def test_fast_model_learns_the_running_sum(fast_model: toy.ToyModel) -> None:
    mse = toy.evaluation_mse(fast_model.params, n_sequences=500, seq_len=25)
    # predicting 0 everywhere would give the targets' variance, about 17 on 25 tokens
    assert mse < 0.1
    params, h0 = fast_model.params, np.asarray(fast_model.params["h0"])
    probes = toy.probe_effects(params, h0, contexts=("", "not", "very"), words=("good",))
    np.testing.assert_allclose(probes.true_change[:, 0], [1.0, -1.0, 2.0], atol=0.35)
    np.testing.assert_allclose(probes.linear_prediction, probes.true_change, atol=0.35)


@pytest.mark.slow
def test_fast_model_has_a_line_attractor(fast_model, fast_analysis) -> None:
    _, spec = fast_analysis
    assert abs(abs(spec.eigenvalues[0]) - 1.0) < 0.1
    assert abs(spec.eigenvalues[1]) < 0.95  # the integration mode stands alone
    # under noise words the fixed points form a line through the sentiment range the
    # sentences use: no gap wider than half a unit of readout between -2.5 and +2.5
    line = toy.toy_fixed_points(fast_model.params, n_seeds=300, x_star=toy.NOISE_INPUT)
    inside = line.readouts[(line.readouts > -2.5) & (line.readouts < 2.5)]
    assert np.diff(np.concatenate([[-2.5], inside, [2.5]])).max() < 0.5


@pytest.mark.slow
def test_not_deflection_uses_a_complex_pair(fast_model, fast_analysis) -> None:
    _, spec = fast_analysis
    first, second = spec.eigenvalues[toy.closest_modes(fast_model.params, spec, "not")]
    assert abs(first.imag) > 0.1
    assert second == pytest.approx(np.conj(first), abs=1e-6)
    ablation = toy.mode_ablation(fast_model.params, spec, "not",
                                 h_start=np.asarray(fast_model.params["h0"]))
    assert ablation.gain_intact == pytest.approx(-1.0, abs=0.3)
    top = ablation.groups[ablation.ranking[0]]
    assert len(top) == 2 and set(top) == set(toy.closest_modes(fast_model.params, spec, "not"))
    assert ablation.removed[ablation.ranking[0]] > 0.5


# ---------------------------------------------------------------------------------------------
# The chapter's numbers, shared with benchmarks/toy_full_schedule.py

# Small enough for a test; the chapter and the script use the toy module's defaults.
_SMALL_ANALYSIS = {"n_seeds": 300, "n_noise_seeds": 100, "n_eval_sequences": 500}


def _full_schedule_script():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "toy_full_schedule.py"
    spec = importlib.util.spec_from_file_location("toy_full_schedule", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fast_report(fast_model: toy.ToyModel) -> dict:
    """What benchmarks/toy_full_schedule.py writes for the fast model (small analysis)."""
    return _full_schedule_script().report(fast_model, "2026-01-01", **_SMALL_ANALYSIS)


@pytest.mark.slow
def test_script_numbers_are_the_chapters_step_by_step_quantities(
    fast_model, fast_analysis, fast_report
) -> None:
    """The script's numbers (toy.analyse + toy.headline_numbers, as the chapter) equal the
    chapter's quantities computed one call at a time with the chapter's arguments."""
    params, h0 = fast_model.params, np.asarray(fast_model.params["h0"])
    numbers = fast_report["numbers"]
    fixed, spec = fast_analysis  # toy_fixed_points(n_seeds=300), spectrum at the anchor
    assert numbers["eval_mse"] == toy.evaluation_mse(params, n_sequences=500, seq_len=25)
    assert numbers["n_fixed_points"] == len(fixed.points) >= 1
    assert numbers["line_fraction"] == pytest.approx(100 * toy.line_fit(fixed.points)[0])
    assert numbers["lambda1"] == pytest.approx(abs(spec.eigenvalues[0]), rel=1e-6)
    closest = toy.closest_group(spec, toy.deflection(params, h0, "not"))
    assert numbers["not_pair"] == toy.eigen_label(spec.eigenvalues[closest[0]])
    assert numbers["not_is_complex_pair"] == (len(closest) == 2)
    probes = toy.probe_effects(params, h0)
    gap = np.abs(probes.linear_prediction - probes.true_change).max()
    assert numbers["probe_linear_error"] == pytest.approx(gap, abs=1e-6)
    ablation = toy.mode_ablation(params, spec, "not", h_start=h0)
    assert numbers["not_removed"] == pytest.approx(100 * ablation.removed.max(), abs=1e-4)
    assert numbers["not_ranking"][0]["modes"] == list(ablation.groups[ablation.ranking[0]])


@pytest.mark.slow
def test_script_report_is_json_with_what_the_chapter_reads(fast_model, fast_report,
                                                           tmp_path) -> None:
    path = tmp_path / "toy_full_schedule.json"
    path.write_text(json.dumps(fast_report, ensure_ascii=False))
    loaded = toy.load_full_schedule(path)
    assert loaded is not None and loaded["numbers"] == fast_report["numbers"]
    assert loaded["settings"] == toy.FAST_SETTINGS.to_dict()
    assert loaded["train_seconds"] == pytest.approx(fast_model.train_seconds)
    assert loaded["machine"]["cores"] >= 1 and isinstance(loaded["git_commit"]["dirty"], bool)
    cells = toy.table_cells(loaded["numbers"])
    assert tuple(cells) == toy.TABLE_ROWS
    assert cells["eval_mse"] == f"{fast_report['numbers']['eval_mse']:.4f}"
    assert toy.load_full_schedule(tmp_path / "absent.json") is None


def test_saved_model_round_trips_through_the_script_pickle(tmp_path) -> None:
    script = _full_schedule_script()
    settings = toy.ToySettings(n_hidden=3)
    params = toy.init_params(jax.random.PRNGKey(1), settings)
    model = toy.ToyModel(params, settings, {"step": np.array([1, 2]),
                                            "mse": np.array([0.5, 0.25])}, 12.5)
    script.save_model(model, tmp_path / "m.pkl")
    loaded, trained_on = script.load_model(tmp_path / "m.pkl")
    assert loaded.settings == settings and loaded.train_seconds == 12.5
    np.testing.assert_array_equal(loaded.params["cell"]["W"], params["cell"]["W"])
    np.testing.assert_array_equal(loaded.history["mse"], [0.5, 0.25])
    assert len(trained_on) == 10 and trained_on[:2] == "20"


def test_committed_full_schedule_numbers_are_plausible() -> None:
    """book/data/toy_full_schedule.json, when committed, holds what the chapter reads."""
    report = toy.load_full_schedule()  # raises when a key the chapter reads is missing
    if report is None:
        pytest.skip("benchmarks/toy_full_schedule.py has not been run")
    numbers = report["numbers"]
    assert report["settings"] == toy.AUTHORS_SETTINGS.to_dict()
    assert math.isfinite(numbers["eval_mse"]) and 0 < numbers["eval_mse"] < 1.0
    assert numbers["n_fixed_points"] >= 1 and 0 < numbers["line_fraction"] <= 100
    assert 0.5 < numbers["lambda1"] < 1.5
    assert len(numbers["probe_true_change"]) == len(toy.PROBE_CONTEXTS)
    assert report["train_seconds"] > 0 and report["machine"]["cores"] >= 1
    assert len(report["history"]["step"]) == len(report["history"]["mse"]) >= 1
    assert report["history"]["step"][-1] == toy.AUTHORS_SETTINGS.n_steps
    assert tuple(toy.table_cells(numbers)) == toy.TABLE_ROWS
