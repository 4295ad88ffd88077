"""GRU classifier training throughput: this package (JAX) against PyTorch's nn.GRU.

Same shapes (vocabulary 20,000, embedding 128, hidden 256, batch 64, length 256 by default),
same optimiser (global-norm clipping 1.0, Adam, L2 1e-5 on the gradient), same loss (logistic,
readout of the last state, trainable initial state). Each framework runs in its own fresh
process, one after the other, so that their peak memory is measured separately and neither
warms the other's caches; JAX runs once before and once after PyTorch, and the ratio uses the
mean of the two (a steady drift of the machine's speed cancels). Printed:

- tokens per second of training (and the JAX / PyTorch ratio);
- achieved GFLOP/s of the training step (recurrent and input products, forward and backward:
  18 · H · (H + E) floating-point operations per token) against the same machine's float32
  matrix-multiply GFLOP/s at the recurrent product's shape [B, H] x [H, 3H];
- peak memory of one training step: XLA's buffer analysis of the compiled step (JAX) and the
  growth of the process's peak resident memory over the timed steps (both frameworks);
- minor page faults per step: memory the step touched afresh (see
  :mod:`rnnctx_utils.allocator`, which ``import rnnctx_utils`` applies). For a like-for-like
  comparison PyTorch also runs with the same glibc settings, and JAX once without them.

PyTorch is a benchmark-only dependency (CPU build); without it the JAX half still runs.
The two GRUs differ in one detail: PyTorch applies the reset gate after the recurrent product
(r ⊙ (W h + b)); this package before it (W (r ⊙ h)). The operation count is the same.

    .venv/bin/python benchmarks/bench_training.py            # the issue's shapes
    .venv/bin/python benchmarks/bench_training.py --quick    # small shapes, seconds
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time
from typing import Any


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def flops_per_token(hidden: int, embed: int) -> float:
    """2 × multiply-adds of one token's recurrent + input products, forward and backward (×3)."""
    forward = 2 * (hidden * 3 * hidden + embed * 3 * hidden)
    return 3.0 * forward


def run_jax(shape: dict[str, int], steps: int, warmup: int) -> dict[str, Any]:
    import jax
    import numpy as np

    from rnnctx_utils import models, train

    vocab, embed, hidden = shape["vocab"], shape["embed"], shape["hidden"]
    batch, length = shape["batch"], shape["length"]
    params = models.init_classifier(jax.random.PRNGKey(0), "gru", vocab, embed, hidden)
    settings = train.TrainSettings(learning_rate=1e-3, grad_clip=1.0, l2=1e-5)
    trainer = train.flat_trainer(train._classifier_logits_fn("gru"), params, settings)
    theta = trainer.ravel(params)
    opt_state = trainer.optimizer.init(theta)
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, vocab, size=(batch, length)).astype(np.int32)
    lengths = np.full(batch, length, np.int32)
    labels = rng.integers(0, 2, size=batch).astype(np.float32)
    weights = np.ones(batch, np.float32)
    args = (theta, opt_state, tokens, lengths, labels, weights)
    start = time.perf_counter()
    compiled = trainer.step.lower(*args).compile()
    compile_seconds = time.perf_counter() - start
    memory = compiled.memory_analysis()
    step_bytes = None
    if memory is not None:
        step_bytes = (memory.temp_size_in_bytes + memory.argument_size_in_bytes
                      + memory.output_size_in_bytes - memory.alias_size_in_bytes)
    for _ in range(warmup):
        theta, opt_state, loss, _ = trainer.step(theta, opt_state, tokens, lengths, labels,
                                                 weights)
    jax.block_until_ready(theta)
    rss_before, faults_before = _max_rss_mib(), _minor_faults()
    start = time.perf_counter()
    for _ in range(steps):
        theta, opt_state, loss, _ = trainer.step(theta, opt_state, tokens, lengths, labels,
                                                 weights)
    jax.block_until_ready((theta, loss))
    seconds = time.perf_counter() - start
    return {
        "framework": "jax", "version": jax.__version__, "threads": "XLA default",
        "faults_per_step": (_minor_faults() - faults_before) / steps,
        "seconds_per_step": seconds / steps,
        "compile_seconds": compile_seconds, "step_buffer_mib": (step_bytes or 0) / 2**20,
        "peak_rss_mib": _max_rss_mib(), "rss_growth_mib": _max_rss_mib() - rss_before,
        "loss": float(loss),
    }


def run_torch(shape: dict[str, int], steps: int, warmup: int) -> dict[str, Any]:
    import torch

    if shape.get("threads"):
        torch.set_num_threads(shape["threads"])
    torch.manual_seed(0)
    vocab, embed, hidden = shape["vocab"], shape["embed"], shape["hidden"]
    batch, length = shape["batch"], shape["length"]

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, embed)
            self.gru = torch.nn.GRU(embed, hidden, batch_first=True)
            self.h0 = torch.nn.Parameter(torch.zeros(1, 1, hidden))
            self.readout = torch.nn.Linear(hidden, 1)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            h0 = self.h0.expand(1, tokens.shape[0], hidden).contiguous()
            _, h_last = self.gru(self.embedding(tokens), h0)
            return self.readout(h_last[0]).squeeze(-1)

    model = Classifier()
    # L2 added to the gradient before Adam, as in rnnctx_utils.train (torch's weight_decay).
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    tokens = torch.randint(2, vocab, (batch, length))
    labels = torch.randint(0, 2, (batch,)).float()

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(tokens), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    rss_before, faults_before = _max_rss_mib(), _minor_faults()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    seconds = time.perf_counter() - start
    return {
        "framework": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "faults_per_step": (_minor_faults() - faults_before) / steps,
        "seconds_per_step": seconds / steps, "peak_rss_mib": _max_rss_mib(),
        "rss_growth_mib": _max_rss_mib() - rss_before, "loss": loss,
    }


def matmul_gflops(shape: dict[str, int], repeats: int = 300) -> dict[str, float]:
    """float32 GFLOP/s of [B, H] x [H, 3H] with numpy's BLAS and with jitted JAX (best of 5)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    batch, hidden = shape["batch"], shape["hidden"]
    rng = np.random.default_rng(0)
    a = rng.normal(size=(batch, hidden)).astype(np.float32)
    b = rng.normal(size=(hidden, 3 * hidden)).astype(np.float32)
    flops = 2.0 * batch * hidden * 3 * hidden
    out = {}
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            np.matmul(a, b)
        best = min(best, time.perf_counter() - start)
    out["numpy"] = flops * repeats / best / 1e9

    # A scan of dependent products, as in the recurrence (no per-call dispatch overhead).
    @jax.jit
    def chain(h: jax.Array, w: jax.Array) -> jax.Array:
        def body(h: jax.Array, _: Any) -> tuple[jax.Array, None]:
            return jnp.tanh(h @ w)[:, :hidden], None

        return jax.lax.scan(body, h, None, length=repeats)[0]

    jax.block_until_ready(chain(a, b))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        jax.block_until_ready(chain(a, b))
        best = min(best, time.perf_counter() - start)
    out["jax_scan"] = flops * repeats / best / 1e9
    return out


def _child(target: str, shape: dict[str, int], steps: int, warmup: int, queue: Any) -> None:
    if shape.get("threads"):  # before numpy / torch load their thread pools
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(shape["threads"])
    # glibc keeps freed memory (rnnctx_utils.allocator) unless malloc_reuse is 0: set before
    # anything imports rnnctx_utils or starts a thread pool.
    os.environ["RNNCTX_MALLOC_REUSE"] = str(shape.get("malloc_reuse", 1))
    from rnnctx_utils import allocator  # noqa: PLC0415

    malloc_reuse = allocator.keep_freed_memory()
    try:
        result = {"jax": run_jax, "torch": run_torch, "matmul": _matmul_child}[target](
            shape, steps, warmup)
    except ImportError as error:
        result = {"framework": target, "skipped": f"not installed ({error})"}
    queue.put(result | {"malloc_reuse": malloc_reuse})


def _matmul_child(shape: dict[str, int], steps: int, warmup: int) -> dict[str, Any]:
    return matmul_gflops(shape)


def in_fresh_process(target: str, shape: dict[str, int], steps: int, warmup: int) -> Any:
    from rnnctx_utils import allocator  # noqa: PLC0415

    # The child starts with glibc's tunables as `make book` sets them, or without any.
    os.environ.pop("GLIBC_TUNABLES", None)
    if shape.get("malloc_reuse", 1):
        os.environ["GLIBC_TUNABLES"] = allocator.GLIBC_TUNABLES
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, shape, steps, warmup, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=6, help="timed steps per framework")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps (PyTorch)")
    parser.add_argument("--jax-warmup", type=int, default=8,
                        help="untimed JAX steps: with freed memory kept, the heap grows over "
                             "the first ~5 steps, page faults then stop")
    parser.add_argument("--quick", action="store_true", help="small shapes (a smoke test)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    shape = {"vocab": 20_000, "embed": 128, "hidden": 256, "batch": 64, "length": 256}
    if args.quick:
        shape.update(embed=32, hidden=64, length=32)
    print(f"shapes: {shape}; {os.cpu_count()} CPU cores; {args.steps} timed steps each")
    tokens_per_step = shape["batch"] * shape["length"]
    flops_step = flops_per_token(shape["hidden"], shape["embed"]) * tokens_per_step
    matmul = in_fresh_process("matmul", shape, 0, 0)
    matmul_1 = in_fresh_process("matmul", shape | {"threads": 1}, 0, 0)
    matmul["numpy_1_thread"] = matmul_1["numpy"]
    peak = max(matmul.values())
    print(f"float32 matmul [{shape['batch']}, {shape['hidden']}] x [{shape['hidden']}, "
          f"{3 * shape['hidden']}]: numpy {matmul['numpy']:.1f} GFLOP/s (1 thread: "
          f"{matmul['numpy_1_thread']:.1f}), jax scan {matmul['jax_scan']:.1f} GFLOP/s")
    results: dict[str, Any] = {"shape": shape, "matmul_gflops": matmul}
    # PyTorch twice, with its default threads and with one (on a busy small machine its
    # thread pool can lose more to contention than it gains); the faster one is compared.
    # JAX runs before and after PyTorch and the two are averaged: the speed of a shared
    # machine drifts over the minutes PyTorch takes, and bracketing cancels a steady drift.
    # PyTorch with glibc's defaults (as its users run it) and with the settings this package
    # applies; JAX also once without them, to show what they are worth.
    runs = [("jax_before", shape), ("torch", shape | {"malloc_reuse": 0}),
            ("torch_1_thread", shape | {"threads": 1, "malloc_reuse": 0}),
            ("torch_malloc_reuse", shape), ("jax_glibc_default", shape | {"malloc_reuse": 0}),
            ("jax_after", shape)]
    for framework, run_shape in runs:
        target = framework.split("_")[0]
        warmup = args.jax_warmup if target == "jax" else args.warmup
        result = in_fresh_process(target, run_shape, args.steps, warmup)
        results[framework] = result
        if "skipped" in result:
            print(f"{framework}: skipped, {result['skipped']}")
            continue
        seconds = result["seconds_per_step"]
        result["tokens_per_second"] = tokens_per_step / seconds
        result["gflops"] = flops_step / seconds / 1e9
        memory = (f", step buffers {result['step_buffer_mib']:.0f} MiB (XLA)"
                  if "step_buffer_mib" in result else "")
        malloc = "reused" if result["malloc_reuse"] else "glibc default"
        print(f"{framework} {result['version']} ({result.get('threads', 'default')} threads, "
              f"malloc {malloc}): {seconds * 1e3:.0f} ms/step, "
              f"{result['faults_per_step']:,.0f} page faults/step, "
              f"{result['tokens_per_second']:,.0f} tokens/s, {result['gflops']:.1f} GFLOP/s "
              f"({100 * result['gflops'] / peak:.0f}% of matmul){memory}, peak RSS "
              f"{result['peak_rss_mib']:.0f} MiB (+{result['rss_growth_mib']:.0f} MiB over the "
              f"timed steps)")
    jax_runs = [results[name] for name in ("jax_before", "jax_after")]
    if all("seconds_per_step" in run for run in jax_runs):
        seconds = sum(run["seconds_per_step"] for run in jax_runs) / len(jax_runs)
        results["jax"] = {"seconds_per_step": seconds,
                          "tokens_per_second": tokens_per_step / seconds,
                          "gflops": flops_step / seconds / 1e9}
        print(f"jax, mean of the two runs: {seconds * 1e3:.0f} ms/step, "
              f"{tokens_per_step / seconds:,.0f} tokens/s, "
              f"{100 * flops_step / seconds / 1e9 / peak:.0f}% of matmul")
    torch_rates = [results[name]["tokens_per_second"]
                   for name in ("torch", "torch_1_thread", "torch_malloc_reuse")
                   if "tokens_per_second" in results[name]]
    if torch_rates and "tokens_per_second" in results.get("jax", {}):
        ratio = results["jax"]["tokens_per_second"] / max(torch_rates)
        results["ratio"] = ratio
        print(f"JAX / PyTorch (faster setting) training throughput: {ratio:.2f}x "
              f"(target >= 10x)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
