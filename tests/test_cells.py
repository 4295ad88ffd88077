"""Cells: one step against the equations written out in numpy; Jacobians against finite
differences (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import cells

N_IN, N_HIDDEN = 5, 4


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_step(name, p, h, x):
    """The docstring equations, block by block, in numpy."""
    A, W, b = (np.asarray(p[k], np.float64) for k in ("A", "W", "b"))
    n = N_HIDDEN

    def block(i):
        return A[:, i * n:(i + 1) * n], W[:, i * n:(i + 1) * n], b[i * n:(i + 1) * n]

    if name == "vanilla":
        return np.tanh(x @ A + h @ W + b)
    if name == "ugrnn":
        (Ac, Wc, bc), (Au, Wu, bu) = block(0), block(1)
        c = np.tanh(x @ Ac + h @ Wc + bc)
        u = sigmoid(x @ Au + h @ Wu + bu)
        return u * h + (1 - u) * c
    if name == "gru":
        (Au, Wu, bu), (Ar, Wr, br), (Ac, Wc, bc) = block(0), block(1), block(2)
        u = sigmoid(x @ Au + h @ Wu + bu)
        r = sigmoid(x @ Ar + h @ Wr + br)
        c = np.tanh(x @ Ac + (r * h) @ Wc + bc)
        return u * h + (1 - u) * c
    if name == "lstm":
        hh, cc = h[:n], h[n:]
        (Ai, Wi, bi), (Af, Wf, bf), (Ao, Wo, bo), (Ag, Wg, bg) = (block(i) for i in range(4))
        i = sigmoid(x @ Ai + hh @ Wi + bi)
        f = sigmoid(x @ Af + hh @ Wf + bf)
        o = sigmoid(x @ Ao + hh @ Wo + bo)
        g = np.tanh(x @ Ag + hh @ Wg + bg)
        c_next = f * cc + i * g
        return np.concatenate([o * np.tanh(c_next), c_next])
    raise AssertionError(name)


def random_params(name, seed=0):
    cell = cells.get_cell(name)
    params = cell.init(jax.random.PRNGKey(seed), N_IN, N_HIDDEN)
    # Random biases too, so that every term of the equations is exercised.
    rng = np.random.default_rng(seed)
    params["b"] = jnp.asarray(rng.normal(size=params["b"].shape), jnp.float32)
    return cell, params, rng


@pytest.mark.parametrize("name", cells.CELL_NAMES)
def test_step_matches_hand_computed_equations(name):
    cell, params, rng = random_params(name)
    S = cell.state_size(N_HIDDEN)
    h = rng.normal(size=S).astype(np.float32)
    x = rng.normal(size=N_IN).astype(np.float32)
    expected = numpy_step(name, params, h.astype(np.float64), x.astype(np.float64))
    got = np.asarray(cell.step(params, jnp.asarray(h), jnp.asarray(x)))
    assert got.shape == (S,)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", cells.CELL_NAMES)
def test_recur_of_projected_inputs_equals_step_batched(name):
    cell, params, rng = random_params(name, seed=1)
    S = cell.state_size(N_HIDDEN)
    hs = jnp.asarray(rng.normal(size=(7, S)), jnp.float32)
    xs = jnp.asarray(rng.normal(size=(7, N_IN)), jnp.float32)
    batched = cell.recur(params, hs, cell.project_inputs(params, xs))  # batch via broadcasting
    mapped = jax.vmap(cell.step, in_axes=(None, 0, 0))(params, hs, xs)
    np.testing.assert_allclose(np.asarray(batched), np.asarray(mapped), rtol=1e-6, atol=1e-6)


def finite_difference_jacobian(f, z, eps=1e-6):
    """Central differences of f at z [d] -> [out, d]; f is evaluated on a batch of 2d points."""
    steps = np.eye(z.shape[0]) * eps
    values = np.asarray(jax.jit(jax.vmap(f))(jnp.asarray(np.concatenate([z + steps, z - steps]))))
    plus, minus = values[: z.shape[0]], values[z.shape[0]:]
    return ((plus - minus) / (2 * eps)).T


@pytest.mark.parametrize("name", cells.CELL_NAMES)
def test_jacobians_match_finite_differences(name):
    cell, params32, rng = random_params(name, seed=2)
    S = cell.state_size(N_HIDDEN)
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64) for k, v in params32.items()}
        h = rng.normal(size=S) * 0.5
        x = rng.normal(size=N_IN)
        recurrent = np.asarray(jax.jacfwd(cell.step, argnums=1)(params, jnp.asarray(h),
                                                                jnp.asarray(x)))
        inputs = np.asarray(jax.jacrev(cell.step, argnums=2)(params, jnp.asarray(h),
                                                             jnp.asarray(x)))
        recurrent_fd = finite_difference_jacobian(lambda z: cell.step(params, z, x), h)
        inputs_fd = finite_difference_jacobian(lambda z: cell.step(params, h, z), x)
    assert recurrent.shape == (S, S) and inputs.shape == (S, N_IN)
    np.testing.assert_allclose(recurrent, recurrent_fd, atol=1e-8)
    np.testing.assert_allclose(inputs, inputs_fd, atol=1e-8)


def test_gru_update_gate_one_keeps_the_state():
    # With a huge update-gate bias u = 1, so h' = h whatever the input (the "remember" limit).
    cell = cells.get_cell("gru")
    params = cell.init(jax.random.PRNGKey(0), N_IN, N_HIDDEN, update_bias=60.0)
    h = jnp.asarray([0.3, -0.2, 0.9, 0.0])
    out = cell.step(params, h, jnp.ones(N_IN))
    np.testing.assert_allclose(np.asarray(out), np.asarray(h), atol=1e-6)


def test_state_sizes_and_unknown_cell():
    assert [cells.get_cell(n).state_size(8) for n in cells.CELL_NAMES] == [8, 8, 8, 16]
    with pytest.raises(ValueError, match="vanilla, ugrnn, gru, lstm"):
        cells.get_cell("transformer")


def test_scan_ready_gru_gives_the_same_step_and_gradient():
    cell, params, rng = random_params("gru", seed=4)
    h = jnp.asarray(rng.normal(size=N_HIDDEN), jnp.float32)
    x = jnp.asarray(rng.normal(size=N_IN), jnp.float32)
    ready = cells.scan_ready("gru", params)
    assert set(ready) == {"A", "W", "b", "W_gates", "W_candidate"}
    np.testing.assert_allclose(np.asarray(cell.step(ready, h, x)),
                               np.asarray(cell.step(params, h, x)), rtol=1e-6, atol=1e-7)

    def grad_w(prepare):
        return jax.grad(lambda p: cell.step(prepare(p), h, x).sum())(params)["W"]

    np.testing.assert_allclose(np.asarray(grad_w(lambda p: cells.scan_ready("gru", p))),
                               np.asarray(grad_w(lambda p: p)), rtol=1e-5, atol=1e-7)
    assert cells.scan_ready("lstm", params) is params
