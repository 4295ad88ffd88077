"""The shared compile cache of the dynamics kernels, and input handling (linearize, fixed points).

Kernels are plain functions ``kernel(F, *static, *arrays)`` of a cell function
``F(h [S], x [n_in]) -> [S]`` with its parameters bound; :func:`jitted` compiles one per
(cell function, static settings, float64 on/off) and caches it, holding F weakly.
:func:`fresh` wraps F for shape-only tracing, :func:`infer_n_inputs` finds the input size a
cell accepts, and :func:`resolve_inputs` turns the ``xs`` argument of the analyses (None, one
input, one input per point) into an array.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils._types import ArrayLike, StepFn

# Kernels are plain functions ``kernel(F, *static, *arrays)``; :func:`jitted` compiles one per
# (cell function, static settings, float64 on/off) and caches it, so that repeated calls do not
# re-trace. Why not ``jax.jit(kernel, static_argnums=0)``: with jax 0.10 that path reuses
# float32 constants closed over by F (numpy float64 arrays) in a later float64 trace, which
# then fails to compile. A fresh jitted closure per float64 mode does not.
_JITTED: weakref.WeakKeyDictionary[Any, dict[Hashable, Callable[..., Any]]] = (
    weakref.WeakKeyDictionary()
)


def jitted(kernel: Callable[..., Any], F: StepFn, *static: Hashable) -> Callable[..., Any]:
    """``jax.jit`` of ``lambda *arrays: kernel(F, *static, *arrays)``, cached per F.

    The cache holds F weakly (the compiled closure reaches F through a weak reference), so a
    cell and its parameters are freed when the caller drops them.
    """
    key = (kernel, static, bool(jax.config.read("jax_enable_x64")))
    try:
        F_ref = weakref.ref(F)
        table = _JITTED.setdefault(F, {})
    except TypeError:  # not weakly referenceable: compile without caching
        return _explained(jax.jit(lambda *arrays: kernel(F, *static, *arrays)))
    if key not in table:

        def call(*arrays: Any) -> Any:
            cell = F_ref()
            if cell is None:  # cannot happen while the caller holds F
                raise RuntimeError("the cell function was garbage collected")
            return kernel(cell, *static, *arrays)

        # named after the kernel, so that traces, compile logs and profiles say which one
        call.__name__ = call.__qualname__ = getattr(kernel, "__name__", "call")
        table[key] = jax.jit(call)
    return _explained(table[key])


_MIXED_PRECISION_HINT = (
    "JAX could not compile F in this precision. A known cause (jax 0.10): F closes over "
    "numpy float64 arrays and was traced before inside a loop (lax.scan / while_loop) with "
    "float64 switched the other way. Make F's constants float32 (jnp.asarray(a, jnp.float32)) "
    "— trained parameters already are."
)


def _explained(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``fn`` so that the obscure compile error above comes with the fix."""

    def call(*arrays: Any) -> Any:
        try:
            return fn(*arrays)
        except ValueError as error:
            if "verifier" in str(error):
                raise ValueError(_MIXED_PRECISION_HINT) from error
            raise

    return call


def fresh(F: StepFn) -> StepFn:
    """A new wrapper around ``F`` for ``jax.eval_shape``.

    ``jax.eval_shape(F, ...)`` caches the trace of ``F`` itself; if ``F`` closes over numpy
    float64 arrays, a later float64 trace (``jax.enable_x64``) then reuses float32 constants
    and fails to compile (seen with jax 0.10). A throw-away wrapper keeps ``F`` clean.
    """

    def wrapper(h: jax.Array, x: jax.Array) -> jax.Array:
        return F(h, x)

    return wrapper


def infer_n_inputs(F: StepFn, state_size: int, *, max_inputs: int = 4096) -> int:
    """Find the input size ``n_in`` that ``F(h [S], x [n_in])`` accepts, by shape-only tracing.

    Tries ``S`` first (a common choice), then ``1, 2, …, max_inputs``; returns the first size
    for which ``F`` traces and returns ``[S]``. Costs no FLOPs (``jax.eval_shape``) but can
    take a few seconds for large inputs: pass ``n_inputs`` explicitly when you know it.
    A cell that broadcasts a size-1 input elementwise would be accepted at size 1.
    """
    h_spec = jax.ShapeDtypeStruct((state_size,), jnp.float32)
    shape_only = fresh(F)
    for size in (state_size, *range(1, max_inputs + 1)):
        try:
            out = jax.eval_shape(shape_only, h_spec, jax.ShapeDtypeStruct((size,), jnp.float32))
        except Exception:  # noqa: BLE001 — any tracing failure means "wrong size"
            continue
        if getattr(out, "shape", None) == (state_size,):
            return size
    raise ValueError(
        f"could not infer the input size of F for state size {state_size}: "
        f"pass n_inputs=... (the embedding size) or an explicit x"
    )


def resolve_inputs(
    F: StepFn, hs: np.ndarray, xs: ArrayLike | None, n_inputs: int | None, dtype: Any
) -> tuple[np.ndarray, bool]:
    """Inputs as an array and whether they are per point.

    Args:
        hs: [n, S] states the inputs go with.
        xs: None (the zero input, P1's x* = 0), [n_in] (one input for every point) or
            [n, n_in] (one per point).
        n_inputs: input size, needed only with ``xs=None`` (inferred when None).
    Returns:
        (x, per_point): x [n_in] or [n, n_in] as a new array of ``dtype``.
    """
    if xs is None:
        if n_inputs is None:
            n_inputs = infer_n_inputs(F, hs.shape[-1])
        return np.zeros(n_inputs, dtype), False
    x = np.array(xs, dtype=dtype)  # a copy: the caller's array is never touched
    if x.ndim == 1:
        return x, False
    if x.ndim == 2 and x.shape[0] == hs.shape[0]:
        return x, True
    raise ValueError(f"x must be [n_in] or [n={hs.shape[0]}, n_in]; got shape {x.shape}")
