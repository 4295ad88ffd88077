"""Jacobians, eigenmodes, stability classes and the linearized map, against known answers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from systems import N_IN, S, linear_system
from systems import line_attractor as integrator

from rnnctx_utils import fixed_points as fp
from rnnctx_utils import linearize as lin


def tiny_gru(seed: int = 0, scale: float = 0.8, bias: float = 0.3):
    keys = jax.random.split(jax.random.PRNGKey(seed), 7)
    Wu, Wr, Wc = (scale * jax.random.normal(k, (S, S)) for k in keys[:3])
    Au, Ar, Ac = (scale * jax.random.normal(k, (S, N_IN)) for k in keys[3:6])
    b = bias * jax.random.normal(keys[6], (3, S))

    def F(h, x):
        u = jax.nn.sigmoid(Wu @ h + Au @ x + b[0])
        r = jax.nn.sigmoid(Wr @ h + Ar @ x + b[1])
        c = jnp.tanh(Wc @ (r * h) + Ac @ x + b[2])
        return u * h + (1 - u) * c

    return F


def test_linear_jacobians_are_the_weights():
    F, A, B, _ = linear_system(spectral_radius=0.9)
    hs = np.random.default_rng(1).normal(size=(4, S))
    np.testing.assert_allclose(lin.recurrent_jacobians(F, hs, n_inputs=N_IN), [A] * 4, atol=1e-6)
    np.testing.assert_allclose(lin.input_jacobians(F, hs, np.ones(N_IN)), [B] * 4, atol=1e-6)


def central_differences(batched_F, h, x, wrt, eps=1e-6):
    """[S, n_wrt] Jacobian by central differences in float64 (all columns in one call of
    ``batched_F = jax.jit(jax.vmap(F))``)."""
    size = (h, x)[wrt].size
    steps = eps * np.eye(size)
    hs = np.broadcast_to(h, (2 * size, h.size)).copy()
    xs = np.broadcast_to(x, (2 * size, x.size)).copy()
    (hs, xs)[wrt][:] += np.vstack([steps, -steps])
    with jax.enable_x64(True):
        out = np.asarray(batched_F(jnp.asarray(hs), jnp.asarray(xs)))
    return ((out[:size] - out[size:]) / (2 * eps)).T


@pytest.mark.slow  # float64 compilations: a few seconds on a busy 2-core machine
def test_gru_jacobians_match_finite_differences():
    F = tiny_gru()
    rng = np.random.default_rng(2)
    hs, xs = 0.5 * rng.normal(size=(3, S)), rng.normal(size=(3, N_IN))
    J_rec = lin.recurrent_jacobians(F, hs, xs, float64=True)
    J_inp = lin.input_jacobians(F, hs, xs, float64=True)
    assert J_rec.shape == (3, S, S) and J_inp.shape == (3, S, N_IN)
    batched_F = jax.jit(jax.vmap(F))
    for i in range(3):
        for wrt, J in ((0, J_rec), (1, J_inp)):
            fd = central_differences(batched_F, hs[i], xs[i], wrt)
            np.testing.assert_allclose(J[i], fd, atol=1e-8)
    # float32 (the default) agrees to single precision.
    np.testing.assert_allclose(lin.recurrent_jacobians(F, hs, xs), J_rec, atol=1e-5)


def test_wide_input_uses_reverse_mode_and_agrees():
    """n_in > S picks jacrev; the answer must not change."""
    rng = np.random.default_rng(3)
    B = jnp.asarray(rng.normal(size=(2, 9)), jnp.float32)

    def F(h, x):
        return jnp.tanh(h + B @ x)

    hs, xs = rng.normal(size=(4, 2)), rng.normal(size=(4, 9))
    expected = (1 - np.tanh(hs + xs @ np.asarray(B, np.float64).T) ** 2)[:, :, None] * np.asarray(
        B, np.float64
    )
    np.testing.assert_allclose(lin.input_jacobians(F, hs, xs, float64=True), expected, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Eigenmodes


def test_eigenmodes_reconstruct_and_are_biorthogonal():
    mats = np.random.default_rng(4).normal(size=(20, 7, 7))
    modes = lin.eigenmodes(mats, n_threads=2)
    rebuilt = np.einsum("nik,nk,nkj->nij", modes.right, modes.eigenvalues, modes.left)
    np.testing.assert_allclose(rebuilt.real, mats, atol=1e-10)
    np.testing.assert_allclose(np.abs(rebuilt.imag), 0, atol=1e-10)
    eye = np.broadcast_to(np.eye(7), (20, 7, 7))
    np.testing.assert_allclose(modes.left @ modes.right, eye, atol=1e-10)
    # Right: J r = λ r; left: l J = λ l.
    np.testing.assert_allclose(
        mats @ modes.right, modes.right * modes.eigenvalues[:, None, :], atol=1e-10
    )
    np.testing.assert_allclose(
        modes.left @ mats, modes.left * modes.eigenvalues[:, :, None], atol=1e-10
    )
    magnitude = np.abs(modes.eigenvalues)
    assert (np.diff(magnitude, axis=1) <= 1e-12).all()
    np.testing.assert_allclose(np.linalg.norm(modes.right, axis=1), 1.0, atol=1e-12)
    # Same answer with or without worker threads.
    single = lin.eigenmodes(mats, n_threads=1)
    np.testing.assert_array_equal(single.eigenvalues, modes.eigenvalues)


def test_conjugate_pairs_come_positive_imaginary_first():
    theta = 0.3
    rotation = 0.9 * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    modes = lin.eigenmodes(rotation)
    assert modes.eigenvalues.shape == (1, 2)
    np.testing.assert_allclose(modes.eigenvalues[0], 0.9 * np.exp([1j * theta, -1j * theta]))


def test_top_k_is_the_head_of_the_full_decomposition():
    mats = np.random.default_rng(5).normal(size=(6, 8, 8))
    full, top = lin.eigenmodes(mats), lin.eigenmodes(mats, top_k=3)
    assert top.eigenvalues.shape == (6, 3) and top.right.shape == (6, 8, 3)
    assert top.left.shape == (6, 3, 8)
    np.testing.assert_array_equal(top.eigenvalues, full.eigenvalues[:, :3])
    np.testing.assert_array_equal(top.left, full.left[:, :3])
    with pytest.raises(ValueError, match="top_k"):
        lin.eigenmodes(mats, top_k=9)


def test_linear_spectrum_and_time_constants_are_exact():
    F, A, _, c = linear_system(spectral_radius=0.9)
    h_star = np.linalg.solve(np.eye(S) - A, c)
    modes = lin.eigenmodes(lin.recurrent_jacobians(F, h_star[None], n_inputs=N_IN, float64=True))
    truth = np.linalg.eigvals(A)
    truth = truth[np.lexsort((-truth.imag, -np.abs(truth)))]
    np.testing.assert_allclose(modes.eigenvalues[0], truth, atol=1e-12)
    np.testing.assert_allclose(modes.time_constants[0], np.abs(1 / np.log(np.abs(truth))))


def test_time_constants_known_values():
    tau = np.array([1.0, 10.0, 250.0])
    np.testing.assert_allclose(lin.time_constants(np.exp(-1 / tau)), tau)
    np.testing.assert_allclose(lin.time_constants(-np.exp(-1 / tau) * 1j), tau)  # phase-free
    np.testing.assert_allclose(lin.time_constants(np.exp(1 / tau)), tau)  # growth too
    assert lin.time_constants(1.0) == np.inf and lin.time_constants(0.0) == 0.0


def test_integrator_has_unit_eigenvalue_along_the_line():
    F, u = integrator()
    points = np.outer(np.linspace(-2, 2, 7), u)
    J = lin.recurrent_jacobians(F, points, n_inputs=1, float64=True)
    modes = lin.eigenmodes(J)
    np.testing.assert_allclose(modes.eigenvalues[:, 0], 1.0, atol=1e-12)
    assert (np.abs(modes.eigenvalues[:, 1]) < 0.61).all()
    assert (modes.time_constants[:, 0] > 1e10).all()
    # r_1 is the line direction (up to sign), and l_1 · r_1 = 1.
    along = modes.right[:, :, 0] @ u
    np.testing.assert_allclose(np.abs(along), 1.0, atol=1e-10)
    np.testing.assert_allclose((modes.left[:, 0, :] @ u) * along, 1.0, atol=1e-10)
    assert (lin.fixed_point_type(modes.eigenvalues) == "line attractor").all()


# ---------------------------------------------------------------------------------------------
# Stability


def test_stability_classes_use_the_band():
    values = np.array([0.5, 0.9995, 1.0005 * 1j, 1.5, 0.99])
    np.testing.assert_array_equal(
        lin.stability_classes(values, tol=1e-3),
        ["stable", "marginal", "marginal", "unstable", "stable"],
    )
    assert lin.stability_classes(0.99, tol=0.02) == "marginal"


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        (np.diag([0.9, 0.5]), "stable node"),
        (np.diag([1.5, 1.2]), "unstable node"),
        (np.diag([1.2, 0.5]), "saddle"),
        (np.diag([1.0, 0.5]), "line attractor"),
        (np.diag([1.0, 1.0]), "continuous attractor"),
        (np.diag([-1.0, 0.5]), "marginal"),
        (0.9 * np.array([[0.8, -0.6], [0.6, 0.8]]), "stable spiral"),
        (1.1 * np.array([[0.8, -0.6], [0.6, 0.8]]), "unstable spiral"),
        (np.array([[0.8, -0.6], [0.6, 0.8]]), "center"),
    ],
)
def test_fixed_point_type_of_2d_cartoons(matrix, expected):
    assert lin.fixed_point_type(np.linalg.eigvals(matrix)) == expected


def test_duffing_fixed_points_are_a_saddle_and_two_nodes():
    """The map h + dt (y, x − x³ − γ y): saddle at 0, stable nodes at (±1, 0) for γ = 3,
    stable spirals for γ = 0.5 (eigenvalues of the flow −γ/2 ± i √(2 − γ²/4))."""
    for gamma, outer in ((3.0, "stable node"), (0.5, "stable spiral")):
        g = jnp.float32(gamma)

        def F(h, x, g=g):
            return h + 0.1 * jnp.stack([h[1], h[0] - h[0] ** 3 - g * h[1]]) + 0.0 * jnp.sum(x)

        points = np.array([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
        modes = lin.eigenmodes(lin.recurrent_jacobians(F, points, n_inputs=1, float64=True))
        assert list(lin.fixed_point_type(modes.eigenvalues)) == [outer, "saddle", outer]
        saddle = np.sort(modes.eigenvalues[1].real)
        np.testing.assert_allclose(
            saddle,
            1
            + 0.1 * np.array([-gamma - np.sqrt(gamma**2 + 4), -gamma + np.sqrt(gamma**2 + 4)]) / 2,
            atol=1e-6,
        )


# ---------------------------------------------------------------------------------------------
# The linearized map


def test_linearized_step_is_exact_for_a_linear_system():
    F, A, B, c = linear_system(spectral_radius=0.9)
    rng = np.random.default_rng(6)
    h_star, x_star = rng.normal(size=(5, S)), rng.normal(size=N_IN)
    h, x = rng.normal(size=(5, S)), rng.normal(size=(5, N_IN))
    predicted = lin.linearized_step(F, h_star, x_star, h, x, float64=True)
    np.testing.assert_allclose(predicted, h @ A.T + x @ B.T + c, atol=1e-5)


def test_linearized_step_error_is_second_order():
    F = tiny_gru()
    rng = np.random.default_rng(7)
    h_star, x_star = 0.3 * rng.normal(size=S), rng.normal(size=N_IN)
    direction_h, direction_x = rng.normal(size=S), rng.normal(size=N_IN)

    def error(eps):
        h, x = h_star + eps * direction_h, x_star + eps * direction_x
        predicted = lin.linearized_step(F, h_star, x_star, h, x, float64=True)
        with jax.enable_x64(True):
            actual = np.asarray(F(jnp.asarray(h), jnp.asarray(x)))
        return np.linalg.norm(actual - predicted)

    ratio = error(1e-2) / error(1e-3)
    assert 80 < ratio < 120  # ~100: the remainder is O(eps²)
    # h* need not be a fixed point: the offset F(h*, x*) is part of the prediction.
    with jax.enable_x64(True):
        at_star = np.asarray(F(jnp.asarray(h_star), jnp.asarray(x_star)))
    np.testing.assert_allclose(
        lin.linearized_step(F, h_star, x_star, h_star, x_star, float64=True), at_star, atol=1e-14
    )


@pytest.mark.slow  # float64 compilations: a few seconds on a busy 2-core machine
def test_linearization_error_matches_its_definition():
    F = tiny_gru()
    rng = np.random.default_rng(8)
    fixed = fp.find_fixed_points(
        F, 0.3 * rng.normal(size=(4, S)), tol=1e-20, method="exact", n_inputs=N_IN
    )
    hs = fixed.points[[0, 0, 1]] + 0.05 * rng.normal(size=(3, S))
    xs = 0.1 * rng.normal(size=(3, N_IN))
    errors = lin.linearization_error(F, fixed, hs, xs, float64=True)
    nearest = fp.nearest_fixed_points(fixed.points, hs).indices
    for i in range(3):
        predicted = lin.linearized_step(
            F, fixed.points[nearest[i]], None, hs[i], xs[i], float64=True
        )
        with jax.enable_x64(True):
            actual = np.asarray(F(jnp.asarray(hs[i]), jnp.asarray(xs[i])))
        expected = np.linalg.norm(actual - predicted) / np.linalg.norm(actual)
        np.testing.assert_allclose(errors[i], expected, rtol=1e-10)
    change = lin.linearization_error(F, fixed, hs, xs, relative_to="change", float64=True)
    assert (change > errors).all()


def test_linearization_error_vanishes_for_a_linear_system():
    F, A, B, c = linear_system(spectral_radius=0.9)
    h_star = np.linalg.solve(np.eye(S) - A, c)
    rng = np.random.default_rng(9)
    errors = lin.linearization_error(
        F, h_star[None], rng.normal(size=(6, S)), rng.normal(size=(6, N_IN))
    )
    assert errors.max() < 1e-5


def _numpy_blas_name() -> str:
    config = np.show_config(mode="dicts")
    return str(config["Build Dependencies"]["blas"]["name"]).lower()


def test_blas_threads_sets_and_restores_numpys_blas():
    """NumPy's BLAS must be found (else ``blas_threads`` would be a silent no-op), the block
    must run at the requested count and the old count must come back, also after an error."""
    from threadpoolctl import threadpool_info

    def counts() -> list[int]:
        return [int(pool["num_threads"]) for pool in threadpool_info()
                if pool["user_api"] == "blas"]

    before = counts()
    assert before, f"threadpoolctl finds no BLAS under NumPy ({_numpy_blas_name()!r})"
    # a count different from the current one, so that the check inside the block has teeth
    wanted = 2 if all(b == 1 for b in before) else 1
    with lin.blas_threads(wanted):
        assert counts() == [wanted] * len(before)
    assert counts() == before
    with pytest.raises(RuntimeError), lin.blas_threads(wanted):
        raise RuntimeError
    assert counts() == before


def test_float32_left_vectors_are_biorthogonal():
    """Single precision (float32 input): left vectors l_a J = λ_a l_a, L R = I, J = R Λ L."""
    rng = np.random.default_rng(10)
    mats = (rng.normal(size=(40, 12, 12)) / np.sqrt(12)).astype(np.float32)
    modes = lin.eigenmodes(mats, n_threads=2)
    assert modes.eigenvalues.dtype == np.complex64 and modes.left.dtype == np.complex64
    eye = np.broadcast_to(np.eye(12), (40, 12, 12))
    np.testing.assert_allclose(modes.left @ modes.right, eye, atol=1e-4)
    np.testing.assert_allclose(
        modes.left @ mats, modes.left * modes.eigenvalues[:, :, None], atol=1e-4
    )
    rebuilt = np.einsum("nik,nk,nkj->nij", modes.right, modes.eigenvalues, modes.left)
    np.testing.assert_allclose(rebuilt.real, mats, atol=1e-4)
    # Same spectrum as the float64 decomposition of the same matrices, to single precision.
    double = lin.eigenmodes(mats, float64=True)
    assert double.eigenvalues.dtype == np.complex128
    np.testing.assert_allclose(modes.eigenvalues, double.eigenvalues, atol=1e-5)


def test_nearly_defective_matrix_falls_back_to_the_inverse():
    """[[1, 1], [δ², 1]]: λ = 1 ± δ, eigenvectors (1, ±δ) nearly parallel (u^H r ~ δ below
    √eps32), so the left vectors come from R⁻¹; L R = I still holds."""
    delta = 1e-4
    mat = np.array([[1.0, 1.0], [delta**2, 1.0]], np.float32)
    modes = lin.eigenmodes(mat)
    np.testing.assert_allclose(modes.eigenvalues[0].real, [1 + delta, 1 - delta], atol=2e-6)
    np.testing.assert_allclose(modes.left[0] @ modes.right[0], np.eye(2), atol=1e-3)
    np.testing.assert_allclose(modes.left[0], np.linalg.inv(modes.right[0]), rtol=1e-6)
