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
  :mod:`rnnctx_utils.allocator`, which each benchmark process opts into). For a like-for-like
  comparison PyTorch also runs with the same glibc settings, and JAX once without them.

PyTorch is a benchmark-only dependency (CPU build); without it the JAX half still runs.
The two GRUs differ in one detail: PyTorch applies the reset gate after the recurrent product
(r ⊙ (W h + b)); this package before it (W (r ⊙ h)). The operation count is the same.
The steps, processes and matmul rate are shared with ``bench_cells.py`` (all four cells), in
``_common.py``.

    .venv/bin/python benchmarks/bench_training.py            # the issue's shapes
    .venv/bin/python benchmarks/bench_training.py --quick    # small shapes, seconds
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import _common
from _common import flops_per_token, matmul_gflops, run_jax, run_torch  # noqa: F401

_TARGETS = {"jax": run_jax, "torch": run_torch, "matmul": _common.matmul_child}


def in_fresh_process(target: str, shape: dict[str, Any], steps: int, warmup: int) -> Any:
    """``target`` ("jax", "torch" or "matmul") in a fresh process (see :mod:`_common`)."""
    return _common.in_fresh_process(_TARGETS[target], shape, steps, warmup)


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
    # applies; JAX also once without them, to show what they are worth. PyTorch exactly as
    # installed keeps subnormal floats, which made its GRU step ~10x slower here; XLA flushes
    # them, so the other PyTorch runs do too (_common.run_torch).
    flush = {"flush_denormal": 1}
    runs = [("jax_before", shape), ("torch", shape | {"malloc_reuse": 0}),
            ("torch_flushed", shape | flush | {"malloc_reuse": 0}),
            ("torch_flushed_1_thread", shape | flush | {"threads": 1, "malloc_reuse": 0}),
            ("torch_flushed_malloc_reuse", shape | flush),
            ("jax_glibc_default", shape | {"malloc_reuse": 0}), ("jax_after", shape)]
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
        malloc += ", denormals flushed" if result.get("flush_denormal") else ""
        print(f"{framework} {result['version']} ({result.get('threads', 'default')} threads, "
              f"malloc {malloc}): {seconds * 1e3:.0f} ms/step, "
              f"{result['faults_per_step']:,.0f} page faults/step, "
              f"{result['tokens_per_second']:,.0f} tokens/s, {result['gflops']:.1f} GFLOP/s "
              f"({100 * result['gflops'] / peak:.0f}% of matmul){memory}, peak RSS "
              f"{result['peak_rss_mib']:.0f} MiB (+{result['rss_growth_mib']:.0f} MiB over the "
              f"timed steps)")
    builds = [run["build"] for run in results.values()
              if isinstance(run, dict) and "build" in run]
    if builds:
        print(builds[0])
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
                   for name in ("torch", "torch_flushed", "torch_flushed_1_thread",
                                "torch_flushed_malloc_reuse")
                   if "tokens_per_second" in results[name]]
    if torch_rates and "tokens_per_second" in results.get("jax", {}):
        ratio = results["jax"]["tokens_per_second"] / max(torch_rates)
        results["ratio"] = ratio
        print(f"JAX / PyTorch (faster setting) training throughput: {ratio:.2f}x "
              f"(target >= 1.5x)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
