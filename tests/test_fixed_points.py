"""Fixed-point finders and their post-processing, checked against analytic ground truth.

Systems (constants are float32, as trained parameters are):
- a linear RNN F = A h + B x + c, whose only fixed point is (I − A)⁻¹ (c + B x);
- a perfect 1-D integrator embedded in 5-D: every point s·u of a line is a fixed point;
- a GRU with zero biases, for which h = 0 is an exact fixed point;
- a 2-D damped Duffing map with a saddle at 0 and stable nodes at (±1, 0);
- a 1-D "ghost": F(h) = h + 0.1 (h² + 0.01) has no root, q has a minimum 5e-7 at h = 0.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from systems import N_IN, S, line_attractor, linear_system

from rnnctx_utils import fixed_point_solvers, persistence
from rnnctx_utils import fixed_points as fp


def tiny_gru(seed: int = 0, scale: float = 0.4):
    """A GRU (u, r gates; c = tanh(A x + W (r ⊙ h))) with all biases zero."""
    keys = jax.random.split(jax.random.PRNGKey(seed), 6)
    Wu, Wr, Wc = (scale * jax.random.normal(k, (S, S)) for k in keys[:3])
    Au, Ar, Ac = (scale * jax.random.normal(k, (S, N_IN)) for k in keys[3:])

    def F(h, x):
        u = jax.nn.sigmoid(Wu @ h + Au @ x)
        r = jax.nn.sigmoid(Wr @ h + Ar @ x)
        c = jnp.tanh(Wc @ (r * h) + Ac @ x)
        return u * h + (1 - u) * c

    return F


def duffing(gamma: float = 3.0, dt: float = 0.1):
    """Euler map of x'' = x − x³ − γ x': fixed points (0, 0) saddle, (±1, 0) stable."""
    g, step = jnp.float32(gamma), jnp.float32(dt)

    def F(h, x):
        velocity = jnp.stack([h[1], h[0] - h[0] ** 3 - g * h[1]])
        return h + step * velocity + 0.0 * jnp.sum(x)

    return F


def ghost(h, x):
    """No root: r = 0.1 (h² + 0.01) > 0; q has its minimum 5e-7 at h = 0."""
    return h + 0.1 * (h**2 + 0.01) + 0.0 * jnp.sum(x)


# ---------------------------------------------------------------------------------------------
# find_fixed_points


def test_exact_linear_fixed_point_to_machine_precision():
    F, A, B, c = linear_system()
    seeds = np.random.default_rng(1).normal(size=(20, S)) * 3
    x = np.array([0.5, -1.0, 2.0])
    result = fp.find_fixed_points(F, seeds, x, tol=1e-20, method="exact")
    truth = np.linalg.solve(np.eye(S) - A, c + B @ x)
    assert result.converged.all()
    assert result.q.max() < 1e-20
    np.testing.assert_allclose(result.points, np.broadcast_to(truth, (20, S)), atol=1e-10)
    # Gauss–Newton on a linear residual converges in very few iterations.
    assert result.n_iterations.max() <= 6


def test_slow_linear_fixed_point_within_tolerance():
    F, A, B, c = linear_system()
    seeds = np.random.default_rng(2).normal(size=(30, S))
    result = fp.find_fixed_points(F, seeds, tol=1e-8, n_inputs=N_IN)
    truth = np.linalg.solve(np.eye(S) - A, c)
    assert result.converged.all() and result.q.max() < 1e-8
    # q = ½‖(A − I)(h − h*)‖² < 1e-8 bounds the distance by √2e-8 / σ_min(A − I).
    bound = np.sqrt(2e-8) / np.linalg.svd(A - np.eye(S), compute_uv=False)[-1]
    assert np.linalg.norm(result.points - truth, axis=1).max() < bound


def test_per_seed_inputs_give_per_seed_fixed_points():
    F, A, B, c = linear_system()
    rng = np.random.default_rng(3)
    seeds, xs = rng.normal(size=(8, S)), rng.normal(size=(8, N_IN))
    result = fp.find_fixed_points(F, seeds, xs, tol=1e-20, method="exact")
    truth = np.linalg.solve(np.eye(S) - A, (c + xs @ B.T).T).T
    np.testing.assert_allclose(result.points, truth, atol=1e-10)
    assert result.x.shape == (8, N_IN)


def test_zero_input_size_is_inferred():
    F, A, B, c = linear_system()
    result = fp.find_fixed_points(F, np.zeros((2, S)), tol=1e-20, method="exact")
    assert result.x.shape == (N_IN,) and not result.x.any()
    np.testing.assert_allclose(result.points[0], np.linalg.solve(np.eye(S) - A, c), atol=1e-10)


def test_line_attractor_keeps_the_spread_of_the_seeds():
    F, u = line_attractor()
    rng = np.random.default_rng(4)
    s_true = np.linspace(-2, 2, 25)
    seeds = s_true[:, None] * u + 0.05 * rng.normal(size=(25, 5))
    result = fp.find_fixed_points(F, seeds, tol=1e-20, method="exact", n_inputs=1)
    assert result.converged.all()
    off_line = result.points - np.outer(result.points @ u, u)
    assert np.abs(off_line).max() < 1e-10
    # Every point of the line is a root, so each seed lands near its own projection.
    np.testing.assert_allclose(result.points @ u, seeds @ u, atol=0.1)
    assert len(fp.deduplicate(result, radius=1e-3)) == 25


@pytest.mark.slow  # float64 compilations: a few seconds on a busy 2-core machine
def test_gru_with_zero_biases_has_the_origin_as_fixed_point():
    F = tiny_gru()
    assert float(jnp.abs(F(jnp.zeros(S), jnp.zeros(N_IN))).max()) == 0.0
    seeds = 0.3 * np.random.default_rng(5).normal(size=(10, S))
    # Near 0 there is no round-off floor on q, so the root is reached to ~1e-14.
    result = fp.find_fixed_points(F, seeds, tol=1e-28, method="exact", n_inputs=N_IN)
    assert result.converged.all()
    assert np.abs(result.points).max() < 1e-12


@pytest.mark.slow  # float64 compilations: a few seconds on a busy 2-core machine
def test_project_gru_with_zero_biases_has_the_origin_as_fixed_point():
    cells = pytest.importorskip("rnnctx_utils.cells")
    cell = cells.get_cell("gru")
    params = cell.init(jax.random.PRNGKey(0), N_IN, S)
    params = {k: (jnp.zeros_like(v) if k.startswith("b") else v) for k, v in params.items()}

    def F(h, x):
        return cell.step(params, h, x)

    seeds = 0.2 * np.random.default_rng(6).normal(size=(8, S))
    result = fp.find_fixed_points(F, seeds, tol=1e-28, method="exact", n_inputs=N_IN)
    assert result.q.max() < 1e-28
    assert np.abs(result.points).max() < 1e-12


def test_duffing_exact_finds_the_three_fixed_points():
    F = duffing()
    grid = np.stack(np.meshgrid(np.linspace(-1.5, 1.5, 7), np.linspace(-0.5, 0.5, 3)), -1)
    result = fp.find_fixed_points(F, grid.reshape(-1, 2), tol=1e-20, method="exact", n_inputs=1)
    assert result.converged.all()
    roots = fp.deduplicate(result, radius=1e-6)
    found = roots.points[np.argsort(roots.points[:, 0])]
    np.testing.assert_allclose(found, [[-1, 0], [0, 0], [1, 0]], atol=1e-10)


def test_ghost_is_a_slow_point_but_not_a_fixed_point():
    seeds = np.array([[-0.5], [0.3], [1.0]])
    exact = fp.find_fixed_points(ghost, seeds, tol=1e-20, method="exact", n_inputs=1)
    # No root: every point stalls near the minimum of q (5e-7 at h = 0), reported as not
    # converged. q(h) = 0.005 (h² + 0.01)², so q < 6.5e-7 means |h| < 0.045.
    assert not exact.converged.any()
    assert (exact.q >= 5e-7).all() and (exact.q < 6.5e-7).all()
    assert np.abs(exact.points).max() < 0.045
    assert exact.n_iterations.max() < exact.options.exact_max_iterations
    slow = fp.find_fixed_points(ghost, seeds, tol=1e-6, n_inputs=1)
    assert slow.converged.all() and (slow.q < 1e-6).all() and (slow.q >= 5e-7).all()


def test_dogleg_step_geometry():
    """J = diag(2, 0.5), r = (1, 1): Newton step −J⁻¹r = (−0.5, −2), |p_N| = 2.06; gradient
    g = Jᵀr = (2, 0.5), Cauchy point −(gᵀg / |Jg|²) g = −(4.25 / 16.0625) g, |p_C| = 0.545."""
    dogleg = fixed_point_solvers._dogleg
    J = np.diag([2.0, 0.5])
    r = np.array([1.0, 1.0])
    newton, g = -np.linalg.solve(J, r), J.T @ r
    cauchy = -(g @ g) / np.sum((J @ g) ** 2) * g
    args = (newton[None], g[None], (J @ g)[None])
    # Radius above |p_N|: the Newton step itself.
    np.testing.assert_allclose(dogleg(*args, np.array([3.0]))[0], [-0.5, -2.0])
    # Radius below |p_C|: steepest descent cut at the radius.
    np.testing.assert_allclose(
        dogleg(*args, np.array([0.3]))[0], -0.3 * g / np.linalg.norm(g)
    )
    # In between: on the segment from the Cauchy point to the Newton step, at the radius.
    step = dogleg(*args, np.array([1.0]))[0]
    assert np.linalg.norm(step) == pytest.approx(1.0)
    t = (step - cauchy) @ (newton - cauchy) / np.sum((newton - cauchy) ** 2)
    assert 0 < t < 1
    np.testing.assert_allclose(step, cauchy + t * (newton - cauchy), atol=1e-12)


def test_exactly_singular_jacobian_takes_the_least_squares_step():
    """F(h) = diag(1, 0.5) h + (0, 1): J_r = diag(0, −0.5) is exactly singular (a line of
    fixed points h = (a, 2)); the minimum-norm Newton step lands on it in one step."""
    def F(h: jax.Array, x: jax.Array) -> jax.Array:
        return jnp.array([h[0], 0.5 * h[1] + 1.0]) + 0.0 * x[0]

    result = fp.find_fixed_points(F, np.array([[3.0, -1.0]]), tol=1e-20, method="exact",
                                  n_inputs=1)
    assert result.converged.all() and result.n_iterations[0] == 1
    np.testing.assert_allclose(result.points[0], [3.0, 2.0], atol=1e-12)


def test_converged_points_stop_moving():
    F, A, B, c = linear_system()
    truth = np.linalg.solve(np.eye(S) - A, c).astype(np.float32)
    far = np.random.default_rng(7).normal(size=(3, S)).astype(np.float32)
    seeds = np.vstack([truth, far])
    result = fp.find_fixed_points(F, seeds, tol=1e-6, n_inputs=N_IN)
    assert result.n_iterations[0] == 0
    np.testing.assert_array_equal(result.points[0], truth.astype(np.float64))
    assert (result.n_iterations[1:] > 0).all()
    # A point stops at the first iteration it is below tol: q just under tol, not far below.
    assert (result.q[1:] < 1e-6).all() and (result.q[1:] > 1e-9).all()


def test_inputs_are_never_mutated():
    F, *_ = linear_system()
    seeds = np.random.default_rng(8).normal(size=(5, S))
    x = np.ones(N_IN)
    seeds_copy, x_copy = seeds.copy(), x.copy()
    for method, tol in (("slow", 1e-6), ("exact", 1e-20)):
        result = fp.find_fixed_points(F, seeds, x, tol=tol, method=method)
        np.testing.assert_array_equal(seeds, seeds_copy)
        np.testing.assert_array_equal(x, x_copy)
        assert not np.shares_memory(result.points, seeds)
        result.points[:] = 0.0  # the caller may edit the result freely
        np.testing.assert_array_equal(seeds, seeds_copy)


def test_result_records_its_settings():
    F, *_ = linear_system()
    options = fp.FixedPointOptions(max_iterations=7)
    result = fp.find_fixed_points(F, np.zeros((4, S)), tol=1e-30, options=options, n_inputs=N_IN)
    assert result.options == options and result.method == "slow" and result.tol == 1e-30
    assert (result.n_iterations == 7).all() and not result.converged.any()
    np.testing.assert_array_equal(result.seed_index, np.arange(4))


def test_bad_arguments_raise():
    F, *_ = linear_system()
    with pytest.raises(ValueError, match="method"):
        fp.find_fixed_points(F, np.zeros((2, S)), tol=1e-6, method="fast", n_inputs=N_IN)
    with pytest.raises(ValueError, match="x must be"):
        fp.find_fixed_points(F, np.zeros((2, S)), np.zeros((3, N_IN)), tol=1e-6)
    with pytest.raises(ValueError, match="must be > 0"):
        fp.FixedPointOptions(max_iterations=0)


# ---------------------------------------------------------------------------------------------
# Post-processing


def planted_result(points: np.ndarray, q: np.ndarray) -> fp.FixedPointResult:
    n = len(points)
    return fp.FixedPointResult(
        points=points,
        q=q,
        seed_index=np.arange(n) + 100,
        n_iterations=np.zeros(n, int),
        converged=np.ones(n, bool),
        options=fp.FixedPointOptions(),
        method="slow",
        tol=1.0,
        x=np.zeros(2),
    )


def test_deduplicate_keeps_the_lowest_q_of_each_cluster():
    rng = np.random.default_rng(9)
    centers = np.array([[0.0, 0, 0], [1, 0, 0], [0, 5, 0]])
    points = np.repeat(centers, 4, axis=0) + 1e-5 * rng.normal(size=(12, 3))
    q = rng.uniform(size=12)
    unique = fp.deduplicate(planted_result(points, q), radius=1e-3)
    assert len(unique) == 3
    for k in range(3):
        best = 4 * k + np.argmin(q[4 * k : 4 * k + 4])
        assert best + 100 in unique.seed_index
    np.testing.assert_allclose(np.sort(unique.q), np.sort(q.reshape(3, 4).min(1)))


def test_unique_indices_subsample_a_line_at_the_radius():
    points = np.outer(np.arange(10) * 0.1, [1.0, 0.0])
    kept = fp.unique_indices(points, np.arange(10.0), radius=0.25)
    np.testing.assert_array_equal(kept, [0, 3, 6, 9])


def test_kth_neighbour_distances_match_brute_force():
    points = np.random.default_rng(10).normal(size=(40, 4))
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    for k in (1, 3):
        np.testing.assert_allclose(
            fp.kth_neighbour_distances(points, k, block=7), np.sort(d, axis=1)[:, k - 1]
        )


def test_remove_outliers_reports_what_it_removed():
    line = np.outer(np.arange(50) * 0.01, [1.0, 0.0])
    far = np.array([[5.0, 5.0], [-5.0, 3.0]])
    result = planted_result(np.vstack([line, far]), np.zeros(52))
    removal = fp.remove_outliers(result)
    assert removal.n_removed == 2 and removal.n_kept == 50
    np.testing.assert_array_equal(removal.removed_index, [50, 51])
    np.testing.assert_allclose(removal.threshold, 10 * 0.01)
    assert len(removal.result) == 50 and removal.result.seed_index.max() == 149


def test_tolerance_sweep_counts_distinct_roots():
    F = duffing()
    seeds = np.random.default_rng(11).uniform(-1.5, 1.5, size=(12, 2))
    sweep = fp.tolerance_sweep(F, seeds, [1e-20, 1e-10], method="exact", radius=1e-2, n_inputs=1)
    np.testing.assert_array_equal(sweep.tolerances, [1e-20, 1e-10])
    np.testing.assert_array_equal(sweep.n_converged, [12, 12])
    np.testing.assert_array_equal(sweep.n_distinct, [3, 3])
    assert [r.tol for r in sweep.results] == [1e-20, 1e-10]


def test_tolerance_sweep_on_a_slow_approach():
    F, A, B, c = linear_system()
    seeds = np.random.default_rng(12).normal(size=(10, S))
    sweep = fp.tolerance_sweep(F, seeds, [1e-2, 1e-8], radius=1e-3, n_inputs=N_IN)
    # At q < 1e-2 the points are still spread around the fixed point; at 1e-8 they are
    # within ~1e-4 of it, i.e. one point for radius 1e-3.
    assert sweep.n_distinct[0] > 1 and sweep.n_distinct[1] == 1
    np.testing.assert_array_equal(sweep.n_converged, [10, 10])


def test_manifold_coordinate_of_a_line():
    u = np.array([0.6, 0.8, 0.0])
    s = np.array([0.3, -1.0, 2.0, 0.5])
    coordinate = fp.manifold_coordinate(s[:, None] * u, readout_w=2 * u, readout_b=1.0)
    np.testing.assert_array_equal(coordinate.order, [1, 0, 3, 2])
    np.testing.assert_allclose(coordinate.readout, 2 * s + 1)
    np.testing.assert_allclose(coordinate.arclength, s + 1.0)
    np.testing.assert_allclose(coordinate.theta, (s + 1.0) / 3.0)


def test_nearest_fixed_points():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    states = np.array([[0.9, 0.1], [0.1, 1.5], [-1.0, 0.0]])
    nearest = fp.nearest_fixed_points(points, states, block=2)
    np.testing.assert_array_equal(nearest.indices, [1, 2, 0])
    np.testing.assert_allclose(nearest.distances, [np.sqrt(0.02), np.sqrt(0.26), 1.0])


def test_save_and_load_round_trip(tmp_path):
    F, *_ = linear_system()
    options = fp.FixedPointOptions(learning_rate=3e-3)
    result = fp.find_fixed_points(F, np.ones((3, S)), tol=1e-5, options=options, n_inputs=N_IN)
    path = tmp_path / "points.npz"
    fp.save_fixed_points(path, result, metadata={"model": "linear", "n": 3})
    loaded, metadata = fp.load_fixed_points(path)
    assert metadata == {"model": "linear", "n": 3}
    for field in dataclasses.fields(result):
        a, b = getattr(result, field.name), getattr(loaded, field.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize("damage", ["truncate", "flip_a_byte", "not_ours"])
def test_damaged_fixed_point_file_raises_a_clear_error(tmp_path, damage):
    F, *_ = linear_system()
    result = fp.find_fixed_points(F, np.ones((2, S)), tol=1e-5, n_inputs=N_IN)
    path = tmp_path / "points.npz"
    fp.save_fixed_points(path, result)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) - 100])
    elif damage == "flip_a_byte":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])
    else:  # a plain npz, as the format before the checksum wrote
        np.savez(path, points=result.points)
    with pytest.raises(persistence.DamagedFileError, match=r"points\.npz is damaged.*Delete it"):
        fp.load_fixed_points(path)
