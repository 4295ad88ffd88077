"""Benchmark: the dynamics toolkit against an Adam-only finder and a per-matrix numpy loop.

Run: ``.venv/bin/python benchmarks/bench_fixed_points.py`` (about 8–10 minutes on 2 busy CPU
cores, 3 of them training; ``--save m.npz`` then ``--model m.npz`` skips the training).

All contenders work on the same trained 128-unit GRU line attractor and the same 1,000 seeds,
side by side in one run:

1. Train a GRU to integrate word valence: 24 random "words" with fixed random embeddings and
   valences in {−2, −1, 0, +1, +2}. Default task ``sum`` (as P2's toy language): the readout
   ``w·h_t + b`` regresses the running valence sum / 5 at every step (MSE), which trains a
   line attractor across the whole range. Task ``sign``: logistic loss on the sign of the
   final sum only; such a network tends to push states away from the decision boundary
   (no slow points near readout 0), a bistable rather than a line-like system.
2. Seeds: 1,000 states visited on 400 random sequences. All finders and Jacobians use the
   "no word" input x* = mean embedding of the neutral words (P1: the same results as x* = 0
   in their networks; here x = 0 was never seen in training, and at x = 0 this network has
   no root near its states, only slow regions where q stalls above 0 (the roots it has lie
   outside the visited states), shown by a side run on 200 seeds).
3. Baseline finder, written here like the authors' (renn / tutorial): plain Adam with learning
   rate 0.01 on the MEAN of q over all seeds, stopped when the mean q < tol or after a fixed
   budget; float32.
4. ``find_fixed_points(method="slow")``: per-point stopping, decaying Adam.
5. ``find_fixed_points(method="exact")``: batched trust-region Newton (dogleg), float64.
6. Jacobians + eigen-decomposition with left eigenvectors at 1,000 points: batched
   (``recurrent_jacobians`` + ``eigenmodes``) against a per-matrix loop
   (jitted single-point Jacobian, ``np.linalg.eig``, ``np.linalg.pinv``).

Every timing includes compilation, as a reader would experience it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnctx_utils import cells
from rnnctx_utils import fixed_points as fp
from rnnctx_utils import linearize as lin

N_HIDDEN = 128
N_EMBED = 32
N_WORDS = 24
SEQ_LEN = 40


# ---------------------------------------------------------------------------------------------
# 1. A trained GRU line attractor


def make_task(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Word embeddings [N_WORDS, N_EMBED] (fixed, random) and valences [N_WORDS]."""
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(N_WORDS, N_EMBED)).astype(np.float32) / np.sqrt(N_EMBED)
    valence = np.array([-2, -1, 1, 2] * 3 + [0] * 12, np.float32)
    return embeddings, valence


def sample_batch(
    rng: np.random.Generator, valence: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random word sequences [n, SEQ_LEN] and labels [n] (sign of the valence sum; ties −)."""
    words = rng.integers(0, N_WORDS, size=(n, SEQ_LEN))
    labels = (valence[words].sum(1) > 0).astype(np.float32)
    return words, labels


def train_gru(seed: int = 0, n_steps: int = 600, task: str = "sum") -> dict[str, Any]:
    """Train the integrator; returns params, embeddings, valence, accuracy (sign of the final
    readout against the sign of the sum) and seconds."""
    cell = cells.get_cell("gru")
    embeddings, valence = make_task(seed)
    key = jax.random.PRNGKey(seed)
    params = {
        "cell": cell.init(key, N_EMBED, N_HIDDEN),
        "h0": jnp.zeros(N_HIDDEN),
        "w": jax.random.normal(jax.random.fold_in(key, 1), (N_HIDDEN,)) / np.sqrt(N_HIDDEN),
        "b": jnp.zeros(()),
    }
    emb = jnp.asarray(embeddings)

    def all_states(p: dict, words: jax.Array) -> jax.Array:
        xs = cell.project_inputs(p["cell"], emb[words])  # [T, 3n]

        def body(h: jax.Array, px: jax.Array) -> tuple[jax.Array, jax.Array]:
            h = cell.recur(p["cell"], h, px)
            return h, h

        return jax.lax.scan(body, p["h0"], xs)[1]  # [T, S]

    def final_state(p: dict, words: jax.Array) -> jax.Array:
        return all_states(p, words)[-1]

    val = jnp.asarray(valence)

    def loss_fn(p: dict, words: jax.Array, labels: jax.Array) -> jax.Array:
        if task == "sum":
            readout = jax.vmap(all_states, in_axes=(None, 0))(p, words) @ p["w"] + p["b"]
            target = jnp.cumsum(val[words], axis=1) / 5.0
            return jnp.mean((readout - target) ** 2)
        logits = jax.vmap(final_state, in_axes=(None, 0))(p, words) @ p["w"] + p["b"]
        return optax.sigmoid_binary_cross_entropy(logits, labels).mean()

    optimizer = optax.chain(
        optax.clip_by_global_norm(1.0),
        optax.adam(optax.exponential_decay(3e-3, 1000, 0.3)),
    )
    opt_state = optimizer.init(params)

    @jax.jit
    def update(p: dict, s: Any, words: jax.Array, labels: jax.Array) -> tuple:
        loss, grads = jax.value_and_grad(loss_fn)(p, words, labels)
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s, loss

    rng = np.random.default_rng(seed + 1)
    start = time.perf_counter()
    for _ in range(n_steps):
        words, labels = sample_batch(rng, valence, 128)
        params, opt_state, _ = update(params, opt_state, words, labels)
    seconds = time.perf_counter() - start
    words, labels = sample_batch(np.random.default_rng(seed + 2), valence, 2000)
    logits = (
        jax.vmap(final_state, in_axes=(None, 0))(params, jnp.asarray(words)) @ params["w"]
        + params["b"]
    )
    accuracy = float(((np.asarray(logits) > 0) == (labels > 0.5)).mean())
    return {
        "params": jax.tree.map(np.asarray, params),
        "embeddings": embeddings,
        "valence": valence,
        "accuracy": accuracy,
        "seconds": seconds,
    }


def visited_states(model: dict, n_sequences: int, seed: int) -> np.ndarray:
    """States [n_sequences * SEQ_LEN, S] visited on random sequences."""
    cell = cells.get_cell("gru")
    p = jax.tree.map(jnp.asarray, model["params"])
    words, _ = sample_batch(np.random.default_rng(seed), model["valence"], n_sequences)
    xs = jnp.asarray(model["embeddings"])[words]

    def run(x_seq: jax.Array) -> jax.Array:
        def body(h: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
            h = cell.step(p["cell"], h, x)
            return h, h

        return jax.lax.scan(body, p["h0"], x_seq)[1]

    return np.asarray(jax.jit(jax.vmap(run))(xs)).reshape(-1, N_HIDDEN)


def cell_function(model: dict) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """F(h, x) with the trained parameters bound (float32 jax arrays)."""
    cell = cells.get_cell("gru")
    cell_params = jax.tree.map(jnp.asarray, model["params"]["cell"])

    def F(h: jax.Array, x: jax.Array) -> jax.Array:
        return cell.step(cell_params, h, x)

    return F


def save_model(path: str, model: dict) -> None:
    """Write the trained model to an npz (to rerun the benchmark without training)."""
    params = model["params"]
    np.savez(
        path,
        **{f"cell_{k}": v for k, v in params["cell"].items()},
        h0=params["h0"],
        w=params["w"],
        b=params["b"],
        embeddings=model["embeddings"],
        valence=model["valence"],
        accuracy=model["accuracy"],
        seconds=model["seconds"],
    )


def load_model(path: str) -> dict:
    """Read a model written by :func:`save_model`."""
    with np.load(path) as data:
        cell = {k[5:]: data[k] for k in data.files if k.startswith("cell_")}
        params = {"cell": cell, "h0": data["h0"], "w": data["w"], "b": data["b"]}
        return {
            "params": params,
            "embeddings": data["embeddings"],
            "valence": data["valence"],
            "accuracy": float(data["accuracy"]),
            "seconds": float(data["seconds"]),
        }


# ---------------------------------------------------------------------------------------------
# 3. The baseline finder: Adam 0.01 on the mean of q, stopped when the mean q < tol


def baseline_finder(
    F: Callable,
    seeds: np.ndarray,
    x_star: np.ndarray,
    *,
    tol: float = 1e-8,
    learning_rate: float = 0.01,
    max_iterations: int = 5_000,
    check_every: int = 100,
) -> dict[str, Any]:
    """Adam on mean q, float32, checked every ``check_every`` iterations (like a training
    loop that prints its loss); returns the points at the best mean q and the time it took
    to get there."""
    x = jnp.asarray(x_star, jnp.float32)
    optimizer = optax.adam(learning_rate)

    def speeds(h: jax.Array) -> jax.Array:
        r = jax.vmap(F, in_axes=(0, None))(h, x) - h
        return 0.5 * jnp.sum(r * r, axis=1)

    @jax.jit
    def run(h: jax.Array, state: Any) -> tuple[jax.Array, Any, jax.Array]:
        def body(_: int, carry: tuple) -> tuple:
            h, state = carry
            grads = jax.grad(lambda v: speeds(v).mean())(h)
            updates, state = optimizer.update(grads, state)
            return h + updates, state

        h, state = jax.lax.fori_loop(0, check_every, body, (h, state))
        return h, state, speeds(h)

    start = time.perf_counter()
    h = jnp.asarray(seeds, jnp.float32)
    state = optimizer.init(h)
    best: dict[str, Any] = {"mean_q": np.inf}
    iterations = 0
    while iterations < max_iterations:
        h, state, q = run(h, state)
        iterations += check_every
        q = np.asarray(q, np.float64)
        if q.mean() < best["mean_q"]:
            best = {
                "mean_q": float(q.mean()),
                "points": np.asarray(h),
                "q": q,
                "seconds": time.perf_counter() - start,
                "iterations": iterations,
            }
        if q.mean() < tol:
            break
    best["total_seconds"] = time.perf_counter() - start
    best["total_iterations"] = iterations
    return best


# ---------------------------------------------------------------------------------------------
# 6. The per-matrix baseline for Jacobians + eigen-decomposition


def baseline_eigen(F: Callable, points: np.ndarray, x_star: np.ndarray) -> float:
    """Seconds for: per point, a jitted Jacobian, ``np.linalg.eig`` and ``np.linalg.pinv``."""
    x = jnp.asarray(x_star, jnp.float32)
    jacobian = jax.jit(jax.jacfwd(lambda h: F(h, x)))
    start = time.perf_counter()
    for h in points:
        J = np.asarray(jacobian(jnp.asarray(h, jnp.float32)))
        eigenvalues, right = np.linalg.eig(J)
        order = np.argsort(-np.abs(eigenvalues))
        right = right[:, order]
        np.linalg.pinv(right)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# Metrics


def readout_coverage(
    points: np.ndarray, w: np.ndarray, b: float, low: float, high: float, n_bins: int = 20
) -> tuple[float, float]:
    """(fraction of n_bins equal bins of [low, high] holding a point, span of the points'
    readouts divided by high − low)."""
    if len(points) == 0:
        return 0.0, 0.0
    readout = points @ w + b
    edges = np.linspace(low, high, n_bins + 1)
    hit = np.unique(
        np.clip(np.searchsorted(edges, readout) - 1, 0, n_bins - 1)[
            (readout >= low) & (readout <= high)
        ]
    )
    span = (min(readout.max(), high) - max(readout.min(), low)) / (high - low)
    return len(hit) / n_bins, max(span, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--train-steps", type=int, default=600)
    parser.add_argument("--task", choices=("sum", "sign"), default="sum")
    parser.add_argument("--model", default="", help="load a trained model (npz) instead")
    parser.add_argument("--save", default="", help="save the trained model to this npz")
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--baseline-iterations", type=int, default=5000)
    parser.add_argument("--zero-seeds", type=int, default=200, help="seeds for the x = 0 run")
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []
    if args.model:
        model = load_model(args.model)
    else:
        model = train_gru(n_steps=args.train_steps, task=args.task)
        if args.save:
            save_model(args.save, model)
    print(
        f"GRU {N_HIDDEN} units: accuracy {model['accuracy']:.3f}, "
        f"trained in {model['seconds']:.0f} s",
        flush=True,
    )
    F = cell_function(model)
    w, b = model["params"]["w"].astype(np.float64), float(model["params"]["b"])
    states = visited_states(model, 400, seed=3)
    seeds = states[np.random.default_rng(0).choice(len(states), args.seeds, replace=False)]
    visited_readout = states @ w + b
    low, high = np.percentile(visited_readout, [1, 99])
    print(f"visited readout 1-99%: [{low:.1f}, {high:.1f}]", flush=True)

    # The "no word" input: P1 expands around x* = 0 and notes that the mean embedding gives
    # the same results. Here every step of training had a word, and the neutral words'
    # mean embedding is what the network integrates over when nothing happens; at x = 0
    # this network has no root near its states (checked below).
    x_star = model["embeddings"][model["valence"] == 0].mean(0)

    # 3. baseline
    base = baseline_finder(F, seeds, x_star, max_iterations=args.baseline_iterations)
    q_base = base["q"]
    cov_base_8 = readout_coverage(base["points"][q_base < 1e-8], w, b, low, high)
    cov_base_4 = readout_coverage(base["points"][q_base < 1e-4], w, b, low, high)
    print(
        f"baseline: best mean q {base['mean_q']:.2e} after {base['iterations']} it, "
        f"{base['seconds']:.1f} s (ran {base['total_seconds']:.1f} s)",
        flush=True,
    )

    # 4. slow
    start = time.perf_counter()
    slow = fp.find_fixed_points(F, seeds, x_star, tol=1e-4, method="slow")
    t_slow = time.perf_counter() - start
    cov_slow = readout_coverage(slow.points[slow.converged], w, b, low, high)
    cov_seeds = readout_coverage(seeds, w, b, low, high)
    print(f"slow: {slow.summary()} in {t_slow:.1f} s", flush=True)

    # 5. exact
    start = time.perf_counter()
    exact = fp.find_fixed_points(F, seeds, x_star, tol=1e-20, method="exact")
    t_exact = time.perf_counter() - start
    roots = fp.deduplicate(exact.subset(exact.converged), radius=1e-6)
    print(f"exact: {exact.summary()} in {t_exact:.1f} s", flush=True)

    # The same at x = 0 on a subset: is a stalled point a root the finder missed, or a
    # minimum of q that is no root (|J_r^T r| = 0 with r != 0, J_r singular)?
    zero = np.zeros(N_EMBED)
    start = time.perf_counter()
    at_zero = fp.find_fixed_points(F, seeds[: args.zero_seeds], zero, tol=1e-20, method="exact")
    t_zero = time.perf_counter() - start
    ghost_note = f"x = 0, {len(at_zero)} seeds, {t_zero:.1f} s: {at_zero.summary()}"
    found = at_zero.subset(at_zero.converged)
    if len(found):
        # Roots do exist at x = 0, but away from what the network visits.
        nearest = np.sqrt(((found.points[:, None] - states[None]) ** 2).sum(-1)).min(1)
        ghost_note += (
            f"\n  roots found: readout {np.unique(np.round(found.points @ w + b, 2))} "
            f"(visited 1-99%: [{low:.1f}, {high:.1f}]), distance to the nearest visited state "
            f"{nearest.min():.2f}"
        )
    stalled = at_zero.subset(~at_zero.converged)
    if len(stalled):
        ghost = stalled.points[np.argmin(stalled.q)]
        J = lin.recurrent_jacobians(F, ghost[None], zero, float64=True)[0]
        with jax.enable_x64(True):
            r = np.asarray(F(jnp.asarray(ghost), jnp.asarray(zero))) - ghost
        jr = J - np.eye(N_HIDDEN)
        sigma = np.linalg.svd(jr, compute_uv=False)
        # cos of the angle between r and J_r's range: ~0 at a minimum of q with r != 0.
        cosine = np.linalg.norm(jr.T @ r) / (np.linalg.norm(r) * sigma[0])
        ghost_note += (
            f"\n  stalled: q = {stalled.q.min():.2e}..{stalled.q.max():.2e}; at the lowest "
            f"|r| = {np.linalg.norm(r):.1e}, |J_r^T r| / (|J_r| |r|) = {cosine:.1e}, "
            f"smallest singular value of J_r = {sigma[-1]:.1e}: q stopped falling where J_r "
            f"is near-singular and r nearly outside its range (toward a 'ghost', a minimum "
            f"of q that is not a root)"
        )

    # 6. Jacobians + eigenmodes of 1,000 points (the slow points). The machine's load
    # drifts, so the contenders alternate over 5 blocks of points and the times add up:
    # ours, the loop with single-threaded BLAS, the loop with numpy's default BLAS threads.
    points = slow.points
    # Ours: float32 Jacobians (the default) decomposed in single precision (eigenmodes
    # follows the input's precision), left vectors from the same LAPACK call.
    ours_blocks, loop_blocks, default_blocks = [], [], []
    tau1 = []
    for block in np.array_split(np.arange(len(points)), 5):
        start = time.perf_counter()
        modes = lin.eigenmodes(lin.recurrent_jacobians(F, points[block], x_star))
        ours_blocks.append(time.perf_counter() - start)
        tau1.append(modes.time_constants[:, 0])
        with lin.blas_threads(1):
            loop_blocks.append(baseline_eigen(F, points[block], x_star))
        default_blocks.append(baseline_eigen(F, points[block], x_star))
    t_ours, t_loop_single = sum(ours_blocks), sum(loop_blocks)
    t_loop_default = sum(default_blocks)
    block_ratio = float(np.median(np.array(loop_blocks) / np.array(ours_blocks)))
    block_ratio_default = float(np.median(np.array(default_blocks) / np.array(ours_blocks)))
    tau1_median = float(np.median(np.concatenate(tau1)))

    def frac(mask: np.ndarray) -> str:
        return f"{100 * np.mean(mask):.1f}%"

    rows = [
        (
            "baseline Adam 0.01, mean q",
            f"{base['seconds']:.1f} s to best mean q "
            f"{base['mean_q']:.1e} ({base['iterations']} it)",
            f"q<1e-8: {frac(q_base < 1e-8)}, q<1e-12: {frac(q_base < 1e-12)}; readout bins "
            f"covered (q<1e-8) {cov_base_8[0]:.0%}, (q<1e-4) {cov_base_4[0]:.0%}",
        ),
        (
            "(the seeds themselves)",
            "",
            f"readout bins covered {cov_seeds[0]:.0%}, span {cov_seeds[1]:.0%}",
        ),
        (
            "slow, tol 1e-4",
            f"{t_slow:.1f} s",
            f"converged {frac(slow.converged)}; readout bins covered {cov_slow[0]:.0%}, "
            f"span {cov_slow[1]:.0%}",
        ),
        (
            "exact (Newton, float64), tol 1e-20",
            f"{t_exact:.1f} s",
            f"q<1e-12: {frac(exact.q < 1e-12)}, q<1e-20: {frac(exact.q < 1e-20)}, "
            f"distinct roots {len(roots)}, not converged {frac(~exact.converged)}",
        ),
        (
            f"Jacobians+eig+left, {len(points)} pts",
            f"{t_ours:.1f} s",
            f"loop eig+pinv: {t_loop_single:.1f} s (BLAS 1 thread) = "
            f"{t_loop_single / t_ours:.1f}x (median of 5 interleaved blocks {block_ratio:.1f}x); "
            f"{t_loop_default:.1f} s (default BLAS threads) = {t_loop_default / t_ours:.1f}x "
            f"(median {block_ratio_default:.1f}x); median tau_1 {tau1_median:.0f}",
        ),
    ]
    print()
    print(f"{'contender':34s} | {'wall time':36s} | result")
    print("-" * 140)
    for name, t, result in rows:
        print(f"{name:34s} | {t:36s} | {result}")
    print(ghost_note)
    print(
        f"exact faster than baseline's time to its best q: {t_exact < base['seconds']}; "
        f"slow within baseline time: {t_slow <= base['seconds']}"
    )


if __name__ == "__main__":
    main()
