"""Shared pieces of the training-speed benchmarks (``bench_training.py``, ``bench_cells.py``).

One training step of the sentiment classifier (embedding → recurrent cell → linear readout of
the last state, logistic loss, global-norm clipping 1.0, Adam, L2 1e-5) in this package (JAX)
and in PyTorch, each run in a fresh process (:func:`in_fresh_process`), and the machine's
float32 matrix-multiply rate at a cell's recurrent shape (:func:`matmul_gflops`).

A run is described by a ``shape`` dict: ``vocab, embed, hidden, batch, length`` and optionally
``cell`` (one of ``rnnctx_utils.cells.CELL_NAMES``, default ``"gru"``), ``threads`` (PyTorch /
BLAS threads; default: the library's choice), ``malloc_reuse`` (0: glibc's defaults, see
:mod:`rnnctx_utils.allocator`), ``setting`` (the PyTorch variant, see :data:`TORCH_SETTINGS`),
``onednn`` (0: PyTorch without oneDNN), ``flush_denormal`` (1: PyTorch flushes float32
subnormals to zero, as XLA's CPU backend always does; see :func:`run_torch`), ``profile``
(JAX: also time the forward pass and the gradient alone) and ``budget`` (seconds of warm-up
and timed steps, after which a run stops early, keeping at least one timed step).

PyTorch is a benchmark-only dependency (CPU build); without it the PyTorch runs report
``skipped``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

# Column blocks of each cell's input and recurrent weights (A [E, k H], W [H, k H]).
GATE_BLOCKS = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}

# PyTorch variants: "module" is torch.nn.RNN / GRU / LSTM (the UGRNN has none); the UGRNN's
# hand-written loop runs as plain eager code, as a torch.jit.script function, or eager with its
# cell step compiled by torch.compile (the 256-step loop itself is not compiled: unrolled, it
# takes minutes to compile).
TORCH_SETTINGS = ("module", "eager", "script", "compile")


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def flops_per_token(hidden: int, embed: int, blocks: int = 3) -> float:
    """2 × multiply-adds of one token's recurrent + input products, forward and backward (×3).

    ``blocks`` is the cell's number of k H-wide gate blocks (:data:`GATE_BLOCKS`): the recurrent
    product is [H] x [H, k H] (the LSTM's too: its state [h; c] is 2H, only h is multiplied).
    """
    forward = 2 * (hidden * blocks * hidden + embed * blocks * hidden)
    return 3.0 * forward


def _timed(step: Callable[[], Any], steps: int, warmup: int,
           sync: Callable[[Any], Any] = lambda out: out,
           budget: float | None = None) -> dict[str, Any]:
    """Seconds per step of ``step()`` (each step waited for) after ``warmup`` untimed calls:
    the mean and the median (robust to a busy machine's spikes); page faults, RSS growth.

    With ``budget`` (seconds), warm-up and timing stop early once it is spent (at least one
    timed step): a variant that a busy machine slows tenfold does not hold the run up.
    """
    out = None
    began = time.perf_counter()

    def spent() -> bool:
        return budget is not None and time.perf_counter() - began > budget

    for _ in range(warmup):
        out = sync(step())
        if spent():
            break
    rss_before, faults_before = max_rss_mib(), minor_faults()
    times: list[float] = []
    for _ in range(steps):
        start = time.perf_counter()
        out = sync(step())
        times.append(time.perf_counter() - start)
        if spent():
            break
    steps = max(len(times), 1)
    return {"seconds_per_step": sum(times) / steps,
            "median_seconds_per_step": statistics.median(times) if times else 0.0,
            "step_seconds": times,
            "faults_per_step": (minor_faults() - faults_before) / steps,
            "peak_rss_mib": max_rss_mib(), "rss_growth_mib": max_rss_mib() - rss_before,
            "last": out}


# ---------------------------------------------------------------------------------------------
# JAX (this package)


def run_jax(shape: dict[str, Any], steps: int, warmup: int) -> dict[str, Any]:
    """The package's training step (``train.flat_trainer``, as ``train.fit`` uses it)."""
    import jax
    import numpy as np

    from rnnctx_utils import models, train

    cell = shape.get("cell", "gru")
    vocab, embed, hidden = shape["vocab"], shape["embed"], shape["hidden"]
    batch, length = shape["batch"], shape["length"]
    params = models.init_classifier(jax.random.PRNGKey(0), cell, vocab, embed, hidden)
    settings = train.TrainSettings(learning_rate=1e-3, grad_clip=1.0, l2=1e-5)
    logits_fn = train._classifier_logits_fn(cell)
    trainer = train.flat_trainer(logits_fn, params, settings)
    theta = trainer.ravel(params)
    opt_state = trainer.optimizer.init(theta)
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, vocab, size=(batch, length)).astype(np.int32)
    lengths = np.full(batch, length, np.int32)
    labels = rng.integers(0, 2, size=batch).astype(np.float32)
    weights = np.ones(batch, np.float32)
    start = time.perf_counter()
    compiled = trainer.step.lower(theta, opt_state, tokens, lengths, labels, weights).compile()
    compile_seconds = time.perf_counter() - start
    memory = compiled.memory_analysis()
    step_bytes = None
    if memory is not None:
        step_bytes = (memory.temp_size_in_bytes + memory.argument_size_in_bytes
                      + memory.output_size_in_bytes - memory.alias_size_in_bytes)
    state = [theta, opt_state, None]

    def step() -> Any:
        state[0], state[1], state[2], _ = trainer.step(state[0], state[1], tokens, lengths,
                                                       labels, weights)
        return state

    timing = _timed(step, steps, warmup, sync=jax.block_until_ready,
                    budget=shape.get("budget"))
    loss = timing.pop("last")[2]
    result = timing | {
        "framework": "jax", "version": jax.__version__, "threads": "XLA default",
        "compile_seconds": compile_seconds, "step_buffer_mib": (step_bytes or 0) / 2**20,
        "loss": float(loss),
    }
    if shape.get("profile"):
        result["profile"] = _jax_profile(trainer, state[0], (tokens, lengths, labels, weights),
                                         steps)
    return result


def _jax_profile(trainer: Any, theta: Any, batch: tuple[Any, ...], steps: int
                 ) -> dict[str, float]:
    """Seconds per call of the forward pass (logits) and of the loss gradient (forward +
    backward, no optimiser), each jitted on its own; the step's remainder is the optimiser."""
    import jax
    import optax

    tokens, lengths, labels, weights = batch

    def loss(theta: Any) -> Any:
        logits = trainer.logits(theta, tokens, lengths)
        return (weights * optax.sigmoid_binary_cross_entropy(logits, labels)).sum()

    gradient = jax.jit(jax.grad(loss))
    out = {}
    for name, function in (("forward", lambda: trainer.logits(theta, tokens, lengths)),
                           ("gradient", lambda: gradient(theta))):
        out[name] = _timed(function, steps, 2, sync=jax.block_until_ready)[
            "median_seconds_per_step"]
    return out


# ---------------------------------------------------------------------------------------------
# PyTorch


def torch_build() -> str:
    """PyTorch version, BLAS and oneDNN versions, CPU capability and thread counts, one line."""
    import torch

    config = torch.__config__.show()
    lines = [line.strip(" -") for line in config.splitlines()]
    blas = next((line for line in lines if "Math Kernel Library" in line or "OpenBLAS" in line),
                next((part for part in config.replace(",", "\n").split()
                      if part.startswith("BLAS_INFO=")), "BLAS unknown"))
    onednn = next((line.split("(Git")[0].strip() for line in lines if "MKL-DNN" in line
                   or "oneDNN" in line), "no oneDNN")
    capability = next((line for line in lines if line.startswith("CPU capability")), "")
    return (f"PyTorch {torch.__version__}: {blas}; {onednn} (enabled: "
            f"{torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled}); "
            f"{capability}; {torch.get_num_threads()} intra-op / "
            f"{torch.get_num_interop_threads()} inter-op threads")


def torch_build_child(shape: dict[str, Any], steps: int, warmup: int) -> dict[str, Any]:
    """:func:`torch_build` (for :func:`in_fresh_process`)."""
    return {"build": torch_build()}


def _ugrnn_cell(h: Any, px_t: Any, w: Any) -> Any:
    """UGRNN step, as ``rnnctx_utils.cells`` (blocks [c | u]): h' = u h + (1 − u) tanh(c)."""
    import torch

    pre_c, pre_u = torch.addmm(px_t, h, w).chunk(2, dim=-1)
    u = torch.sigmoid(pre_u)
    return u * h + (1.0 - u) * torch.tanh(pre_c)


def _ugrnn_loop(px: Any, h: Any, w: Any) -> Any:
    """Final state after the time-major projected inputs px [L, B, 2H] (eager)."""
    for t in range(px.shape[0]):
        h = _ugrnn_cell(h, px[t], w)
    return h


_UGRNN_SCRIPT = '''
def ugrnn_loop(px: torch.Tensor, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    for t in range(px.shape[0]):
        pre = torch.addmm(px[t], h, w).chunk(2, dim=-1)
        u = torch.sigmoid(pre[1])
        h = u * h + (1.0 - u) * torch.tanh(pre[0])
    return h
'''


def torch_classifier(torch: Any, shape: dict[str, Any]) -> Any:
    """The classifier of ``shape["cell"]`` as a torch.nn.Module (forward: tokens [B, L] -> [B]).

    Same function and parameter shapes as the package's, but for PyTorch's conventions: its
    RNN / GRU / LSTM modules carry two bias vectors (input and recurrent: b_ih + b_hh), its GRU
    applies the reset gate after the recurrent product (r ⊙ (W_c h + b_hc); the package:
    W_c (r ⊙ h)), its gate order differs. None changes the number of products; the LSTM is read
    out from [h; c] and starts from a trainable [h0; c0], as the package's 2H state.
    """
    cell, setting = shape.get("cell", "gru"), shape.get("setting", "module")
    vocab, embed, hidden = shape["vocab"], shape["embed"], shape["hidden"]
    state_size = 2 * hidden if cell == "lstm" else hidden
    if cell == "ugrnn":
        if setting == "module":
            raise ValueError("PyTorch has no UGRNN module: use setting eager, script or compile")
        loop = _ugrnn_loop
        if setting == "script":
            loop = torch.jit.CompilationUnit(_UGRNN_SCRIPT).ugrnn_loop
        elif setting == "compile":
            step = torch.compile(_ugrnn_cell, dynamic=False)

            def loop(px: Any, h: Any, w: Any) -> Any:
                for t in range(px.shape[0]):
                    h = step(h, px[t], w)
                return h
    elif setting != "module":
        raise ValueError(f"{cell}: PyTorch setting {setting!r} not available (module only)")

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, embed)
            if cell == "ugrnn":
                self.input = torch.nn.Linear(embed, 2 * hidden)  # A, b: blocks [c | u]
                self.weight_hh = torch.nn.Parameter(torch.empty(hidden, 2 * hidden))
                torch.nn.init.orthogonal_(self.weight_hh)
            else:
                module = {"vanilla": torch.nn.RNN, "gru": torch.nn.GRU,
                          "lstm": torch.nn.LSTM}[cell]
                self.rnn = module(embed, hidden)  # time-major, as the package's scan
            self.h0 = torch.nn.Parameter(torch.zeros(1, 1, state_size))
            self.readout = torch.nn.Linear(state_size, 1)

        def forward(self, tokens: Any) -> Any:
            x = self.embedding(tokens.t())  # [L, B, E]
            h0 = self.h0.expand(1, tokens.shape[0], state_size).contiguous()
            if cell == "ugrnn":
                h_last = loop(self.input(x), h0[0], self.weight_hh)
            elif cell == "lstm":
                _, (h_n, c_n) = self.rnn(x, (h0[..., :hidden].contiguous(),
                                             h0[..., hidden:].contiguous()))
                h_last = torch.cat([h_n[0], c_n[0]], dim=-1)
            else:
                h_last = self.rnn(x, h0)[1][0]
            return self.readout(h_last).squeeze(-1)

    return Classifier()


def run_torch(shape: dict[str, Any], steps: int, warmup: int) -> dict[str, Any]:
    import torch

    if shape.get("threads"):
        torch.set_num_threads(shape["threads"])
    if shape.get("onednn") == 0:
        torch.backends.mkldnn.enabled = False
    # XLA's CPU backend runs with subnormal floats flushed to zero (FTZ/DAZ); PyTorch keeps them
    # by default. A recurrent backward pass makes many (products of saturated gate derivatives),
    # and arithmetic on subnormals is slow in hardware: measured here, PyTorch 2.14's nn.GRU and
    # nn.LSTM steps took 3.4-3.8 s with them and 0.3-0.4 s flushed, the same code.
    flush_denormal = bool(shape.get("flush_denormal")) and torch.set_flush_denormal(True)
    torch.manual_seed(0)
    vocab, batch, length = shape["vocab"], shape["batch"], shape["length"]
    model = torch_classifier(torch, shape)
    # L2 added to the gradient before Adam (torch's weight_decay), on the weights only: not on
    # biases nor the initial state, as rnnctx_utils.train's decay mask.
    decay = [p for name, p in model.named_parameters() if "bias" not in name and name != "h0"]
    no_decay = [p for name, p in model.named_parameters() if "bias" in name or name == "h0"]
    optimizer = torch.optim.Adam([{"params": decay, "weight_decay": 1e-5},
                                  {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
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

    start = time.perf_counter()
    step()  # the first step: TorchScript profiling / torch.compile compilation happen here
    first_seconds = time.perf_counter() - start
    timing = _timed(step, steps, max(warmup - 1, 0), budget=shape.get("budget"))
    loss = timing.pop("last")
    return timing | {
        "framework": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "flush_denormal": flush_denormal, "first_step_seconds": first_seconds, "loss": loss,
        "build": torch_build(),
    }


# ---------------------------------------------------------------------------------------------
# The machine's matrix-multiply rate


def matmul_gflops(shape: dict[str, Any], repeats: int = 300) -> dict[str, float]:
    """float32 GFLOP/s of [B, H] x [H, k H] (k = ``shape.get("blocks", 3)``) with numpy's BLAS
    and with jitted JAX (a scan of dependent products, as in the recurrence), best of 5."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    batch, hidden, blocks = shape["batch"], shape["hidden"], shape.get("blocks", 3)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(batch, hidden)).astype(np.float32)
    b = rng.normal(size=(hidden, blocks * hidden)).astype(np.float32)
    flops = 2.0 * batch * hidden * blocks * hidden
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


def matmul_child(shape: dict[str, Any], steps: int, warmup: int) -> dict[str, Any]:
    """:func:`matmul_gflops` (for :func:`in_fresh_process`); with ``shape["blocks_list"]``, a
    dict of them by number of blocks."""
    if "blocks_list" not in shape:
        return matmul_gflops(shape)
    return {"by_blocks": {k: matmul_gflops(shape | {"blocks": k}) for k in shape["blocks_list"]}}


# ---------------------------------------------------------------------------------------------
# Fresh processes


def _child(function: Callable[..., dict[str, Any]], shape: dict[str, Any], steps: int,
           warmup: int, queue: Any) -> None:
    if shape.get("threads"):  # before numpy / torch load their thread pools
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(shape["threads"])
    # glibc keeps freed memory (rnnctx_utils.allocator) unless malloc_reuse is 0: set before
    # anything imports rnnctx_utils or starts a thread pool.
    os.environ["RNNCTX_MALLOC_REUSE"] = str(shape.get("malloc_reuse", 1))
    from rnnctx_utils import allocator  # noqa: PLC0415

    malloc_reuse = allocator.keep_freed_memory()
    try:
        result = function(shape, steps, warmup)
    except ImportError as error:
        result = {"skipped": f"not installed ({error})"}
    except Exception as error:  # noqa: BLE001 - one failed variant must not end the benchmark
        result = {"skipped": f"failed: {type(error).__name__}: {str(error)[:300]}"}
    queue.put(result | {"malloc_reuse": malloc_reuse})


def in_fresh_process(function: Callable[..., dict[str, Any]], shape: dict[str, Any],
                     steps: int, warmup: int) -> Any:
    """``function(shape, steps, warmup)`` (a module-level function) in a new process started
    with glibc's tunables as ``make book`` sets them (or without, if ``malloc_reuse`` is 0)."""
    from rnnctx_utils import allocator  # noqa: PLC0415

    os.environ.pop("GLIBC_TUNABLES", None)
    if shape.get("malloc_reuse", 1):
        os.environ["GLIBC_TUNABLES"] = allocator.GLIBC_TUNABLES
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(function, shape, steps, warmup, queue))
    process.start()
    result = queue.get()
    process.join()
    return result
