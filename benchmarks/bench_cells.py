"""Training throughput of each recurrent cell: this package (JAX) against PyTorch, side by side.

For every cell of :mod:`rnnctx_utils.cells` (the names ``RNNCTX_CELL`` takes), the classifier's
training step (embedding → cell → readout of the last state, logistic loss, global-norm
clipping 1.0, Adam, L2 1e-5 on the weights) at the same shapes as ``bench_training.py``
(vocabulary 20,000, embedding 128, hidden 256, batch 64, length 256), against PyTorch:

=========  ====================================================================================
vanilla    ``torch.nn.RNN`` (tanh)
gru        ``torch.nn.GRU``. PyTorch applies the reset gate after the recurrent product,
           r ⊙ (W_c h + b); the package before it, W_c (r ⊙ h) (two dependent products per
           step instead of one). Same operation count.
lstm       ``torch.nn.LSTM`` (oneDNN's RNN kernel where PyTorch has it, and without it), read out
           from [h; c] with a trainable [h0; c0]: the package's 2H state
ugrnn      no PyTorch module: a hand-written loop of torch ops (one ``addmm`` per step, the input
           half A x + b computed for the whole sequence first, as the package does), run eager,
           as a ``torch.jit.script`` function, and eager with the cell step compiled by
           ``torch.compile``
=========  ====================================================================================

PyTorch's modules carry two bias vectors (b_ih + b_hh); otherwise every pair computes the same
function with the same products: 18 · H · (H + E) · k / 3 floating-point operations per token
for a cell of k gate blocks (vanilla 1, UGRNN 2, GRU 3, LSTM 4), forward and backward.

Each run is a fresh process (``_common.in_fresh_process``) and reports the median of its timed
steps (a shared machine's load comes in spikes; the load average is printed with each run; a
run stops early after ``--budget`` seconds: two-thread PyTorch slows tenfold and more when
other processes hold the cores). Per
cell, JAX runs before and after the PyTorch variants and the mean of the two medians is compared
with the fastest PyTorch variant (:data:`TORCH_VARIANTS`: PyTorch exactly as installed, then
with float32 subnormals flushed to zero as XLA runs, default threads or one, glibc's malloc or
this package's settings, see ``bench_training.py``). Flushing subnormals is what makes PyTorch
fast here: as installed, its recurrent backward passes ran about ten times slower on them.
Printed per cell: ms per step, tokens/s, JAX / PyTorch ratio, achieved GFLOP/s and its
fraction of the machine's float32 matmul rate at the cell's recurrent shape [B, H] x [H, k H]
(best of numpy's BLAS with default and one thread and a jitted JAX scan). ``--profile`` also
times the JAX forward pass and the loss gradient alone (backward = gradient − forward; the rest
of the step is the optimiser).

PyTorch is a benchmark-only dependency (``.venv/bin/pip install torch``, the CPU build where the
index has it); without it the JAX half runs and says so.

    .venv/bin/python benchmarks/bench_cells.py                    # the issue's shapes, all cells
    .venv/bin/python benchmarks/bench_cells.py --quick            # small shapes, seconds
    .venv/bin/python benchmarks/bench_cells.py --cells gru,lstm --profile
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from _common import (
    GATE_BLOCKS,
    flops_per_token,
    in_fresh_process,
    matmul_child,
    run_jax,
    run_torch,
    torch_build_child,
)

CELLS = ("vanilla", "ugrnn", "gru", "lstm")
TARGET_RATIO = 1.5
TARGET_MATMUL_FRACTION = 0.8  # the GRU's

# (label, changes to the run's shape). PyTorch runs with glibc's malloc defaults (as its users
# run it) unless "malloc reuse" (this package's glibc settings, rnnctx_utils.allocator) says
# otherwise: with glibc's defaults its [B, k H] temporaries are mmap'ed afresh at every step.
# "denormals flushed": subnormal floats flushed to zero, as XLA always runs (see
# _common.run_torch: PyTorch's default keeps them, which made its steps about ten times slower
# here). The first variant is PyTorch exactly as installed; the ratio uses the fastest.
_FLUSH = {"flush_denormal": 1}
_REUSE = _FLUSH | {"malloc_reuse": 1}
_MODULE_VARIANTS = [("nn module, PyTorch defaults", {}),
                    ("nn module, denormals flushed", _FLUSH),
                    ("nn module, denormals flushed, malloc reuse", _REUSE),
                    ("nn module, denormals flushed, malloc reuse, 1 thread",
                     _REUSE | {"threads": 1})]
TORCH_VARIANTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "vanilla": _MODULE_VARIANTS,
    "gru": _MODULE_VARIANTS,
    "lstm": _MODULE_VARIANTS + [("nn module without oneDNN, denormals flushed, malloc reuse",
                                 _REUSE | {"onednn": 0})],
    "ugrnn": [("eager loop, PyTorch defaults", {"setting": "eager"}),
              ("eager loop, denormals flushed, malloc reuse", _REUSE | {"setting": "eager"}),
              ("eager loop, denormals flushed, malloc reuse, 1 thread",
               _REUSE | {"setting": "eager", "threads": 1}),
              ("jit.script loop, denormals flushed, malloc reuse",
               _REUSE | {"setting": "script"}),
              ("compiled cell step, denormals flushed, malloc reuse",
               _REUSE | {"setting": "compile"})],
}


def _load() -> str:
    """The 1-minute load average against the core count (a shared machine skews timings)."""
    return f"{os.getloadavg()[0]:.1f}/{os.cpu_count()}"


def _parse_cells(text: str) -> list[str]:
    cells = [name for part in text.split(",") for name in part.split() if name]
    unknown = [name for name in cells if name not in CELLS]
    if unknown or not cells:
        raise argparse.ArgumentTypeError(f"unknown cell(s) {unknown}; choose from {CELLS}")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=_parse_cells, default=list(CELLS),
                        help=f"comma-separated, from {','.join(CELLS)} (default: all)")
    parser.add_argument("--steps", type=int, default=6, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed PyTorch steps (the first compiles script / compile)")
    parser.add_argument("--jax-warmup", type=int, default=8,
                        help="untimed JAX steps: with freed memory kept, the heap grows over "
                             "the first ~5 steps, page faults then stop")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds of warm-up and timed steps per run, after which the run "
                             "stops early (at least one timed step; 0: no limit)")
    parser.add_argument("--quick", action="store_true", help="small shapes (a smoke test)")
    parser.add_argument("--profile", action="store_true",
                        help="time the JAX forward pass and gradient alone (second JAX run)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    shape: dict[str, Any] = {"vocab": 20_000, "embed": 128, "hidden": 256, "batch": 64,
                             "length": 256}
    if args.quick:
        shape.update(embed=32, hidden=64, length=32)
    run_settings = {"budget": args.budget} if args.budget > 0 else {}
    tokens_per_step = shape["batch"] * shape["length"]
    print(f"shapes: {shape}; {os.cpu_count()} CPU cores (load average {_load()}); "
          f"{args.steps} timed steps per run (median reported); cells: {', '.join(args.cells)}")
    build = in_fresh_process(torch_build_child, shape | {"malloc_reuse": 0}, 0, 0)
    have_torch = "build" in build
    print(build["build"] if have_torch else f"PyTorch: {build['skipped']}; JAX only")

    blocks_list = sorted({GATE_BLOCKS[cell] for cell in args.cells})
    rates = in_fresh_process(matmul_child, shape | {"blocks_list": blocks_list}, 0, 0)
    rates_1 = in_fresh_process(matmul_child, shape | {"blocks_list": blocks_list,
                                                      "threads": 1}, 0, 0)
    peaks: dict[int, float] = {}
    for k in blocks_list:
        rate = rates["by_blocks"][k] | {"numpy_1_thread": rates_1["by_blocks"][k]["numpy"]}
        peaks[k] = max(rate.values())
        print(f"float32 matmul [{shape['batch']}, {shape['hidden']}] x [{shape['hidden']}, "
              f"{k * shape['hidden']}]: numpy {rate['numpy']:.1f} GFLOP/s (1 thread: "
              f"{rate['numpy_1_thread']:.1f}), jax scan {rate['jax_scan']:.1f} GFLOP/s")
    results: dict[str, Any] = {"shape": shape, "matmul_gflops": rates, "matmul_gflops_1": rates_1,
                               "torch_build": build.get("build")}

    def describe(label: str, run: dict[str, Any], flops_step: float, peak: float) -> None:
        if "skipped" in run:
            print(f"  {label}: skipped, {run['skipped']}")
            return
        seconds = run["median_seconds_per_step"]
        run["tokens_per_second"] = tokens_per_step / seconds
        run["gflops"] = flops_step / seconds / 1e9
        extra = (f", compile {run['compile_seconds']:.1f} s" if "compile_seconds" in run else
                 f", first step {run['first_step_seconds']:.1f} s")
        if len(run["step_seconds"]) < args.steps:
            extra += f", {len(run['step_seconds'])} of {args.steps} steps (budget)"
        denormals = ", denormals flushed" if run.get("flush_denormal") else ""
        print(f"  {label} ({run['threads']} threads, malloc "
              f"{'reused' if run['malloc_reuse'] else 'glibc default'}{denormals}): "
              f"{seconds * 1e3:.0f} ms/step, {run['tokens_per_second']:,.0f} tokens/s, "
              f"{run['gflops']:.1f} GFLOP/s ({100 * run['gflops'] / peak:.0f}% of matmul), "
              f"{run['faults_per_step']:,.0f} page faults/step, peak RSS "
              f"{run['peak_rss_mib']:.0f} MiB{extra}; load {_load()}")

    rows = []
    for cell in args.cells:
        k = GATE_BLOCKS[cell]
        flops_step = flops_per_token(shape["hidden"], shape["embed"], k) * tokens_per_step
        peak = peaks[k]
        cell_shape = shape | run_settings | {"cell": cell}
        print(f"{cell} ({flops_step / 1e9:.1f} GFLOP per step; matmul rate {peak:.1f} GFLOP/s)")
        runs: dict[str, Any] = {}
        runs["jax_before"] = in_fresh_process(run_jax, cell_shape, args.steps, args.jax_warmup)
        describe("jax (before)", runs["jax_before"], flops_step, peak)
        for label, changes in TORCH_VARIANTS[cell] if have_torch else []:
            run_shape = cell_shape | {"malloc_reuse": 0} | changes
            runs[f"torch: {label}"] = run = in_fresh_process(run_torch, run_shape, args.steps,
                                                             args.warmup)
            describe(f"torch {label}", run, flops_step, peak)
        runs["jax_after"] = in_fresh_process(run_jax, cell_shape | {"profile": args.profile},
                                             args.steps, args.jax_warmup)
        describe("jax (after)", runs["jax_after"], flops_step, peak)
        results[cell] = runs
        jax_runs = [runs["jax_before"], runs["jax_after"]]
        row: dict[str, Any] = {"cell": cell, "peak": peak}
        if all("seconds_per_step" in run for run in jax_runs):
            row["jax"] = sum(run["median_seconds_per_step"] for run in jax_runs) / len(jax_runs)
        torch_runs = {label.removeprefix("torch: "): run for label, run in runs.items()
                      if label.startswith("torch") and "seconds_per_step" in run}
        if torch_runs:
            row["torch_setting"] = min(torch_runs,
                                       key=lambda name: torch_runs[name][
                                           "median_seconds_per_step"])
            row["torch"] = torch_runs[row["torch_setting"]]["median_seconds_per_step"]
        row["flops_step"] = flops_step
        profile = runs["jax_after"].get("profile")
        if profile:
            step = runs["jax_after"]["median_seconds_per_step"]
            row["profile"] = {"step": step, "forward": profile["forward"],
                              "backward": profile["gradient"] - profile["forward"],
                              "optimiser": step - profile["gradient"]}
        rows.append(row)

    print(f"\nper cell, median step (JAX: mean of its two runs' medians; PyTorch: its fastest "
          f"variant; load average now {_load()}; % of the matmul "
          f"rate at [{shape['batch']}, {shape['hidden']}] x [{shape['hidden']}, k "
          f"{shape['hidden']}])")
    header = (f"{'cell':8} {'JAX ms':>7} {'tokens/s':>9} {'GFLOP/s':>8} {'%mm':>4} | "
              f"{'torch ms':>8} {'tokens/s':>9} {'%mm':>4} {'setting':52} | {'ratio':>6}")
    print(header)
    print("-" * len(header))

    def cols(row: dict[str, Any], seconds: float | None) -> tuple[str, str, str, str]:
        if seconds is None:
            return "-", "-", "-", "-"
        gflops = row["flops_step"] / seconds / 1e9
        return (f"{seconds * 1e3:.0f}", f"{tokens_per_step / seconds:,.0f}",
                f"{gflops:.1f}", f"{100 * gflops / row['peak']:.0f}")

    for row in rows:
        jax_ms, jax_tok, jax_gf, jax_mm = cols(row, row.get("jax"))
        torch_ms, torch_tok, _, torch_mm = cols(row, row.get("torch"))
        ratio = (f"{row['torch'] / row['jax']:.2f}x" if "jax" in row and "torch" in row
                 else "-")
        row["ratio"] = row["torch"] / row["jax"] if ratio != "-" else None
        print(f"{row['cell']:8} {jax_ms:>7} {jax_tok:>9} {jax_gf:>8} {jax_mm:>4} | "
              f"{torch_ms:>8} {torch_tok:>9} {torch_mm:>4} {row.get('torch_setting', '-'):52} | "
              f"{ratio:>6}")
    print(f"targets: JAX >= {TARGET_RATIO}x the fastest PyTorch variant for every cell; the GRU "
          f"at >= {100 * TARGET_MATMUL_FRACTION:.0f}% of the matmul rate")
    for row in rows:
        misses = []
        if row.get("ratio") is not None and row["ratio"] < TARGET_RATIO:
            misses.append(f"ratio {row['ratio']:.2f}x < {TARGET_RATIO}x")
        if row["cell"] == "gru" and "jax" in row:
            fraction = row["flops_step"] / row["jax"] / 1e9 / row["peak"]
            if fraction < TARGET_MATMUL_FRACTION:
                misses.append(f"{100 * fraction:.0f}% of matmul < "
                              f"{100 * TARGET_MATMUL_FRACTION:.0f}%")
        if row.get("ratio") is None:
            misses.append("no PyTorch ratio")
        print(f"  {row['cell']}: {'not met: ' + '; '.join(misses) if misses else 'met'}")
    profiled = [row for row in rows if "profile" in row]
    if profiled:
        print("\nJAX step split (second run): forward (logits), backward (loss gradient − "
              "forward), optimiser and the rest (step − gradient), ms and % of the step")
        for row in profiled:
            parts = row["profile"]
            print(f"  {row['cell']:8} step {parts['step'] * 1e3:.0f} ms: " + ", ".join(
                f"{name} {parts[name] * 1e3:.0f} ({100 * parts[name] / parts['step']:.0f}%)"
                for name in ("forward", "backward", "optimiser")))
    results["rows"] = rows
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1, default=str)


if __name__ == "__main__":
    main()
