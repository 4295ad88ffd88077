"""Let glibc keep and reuse freed memory, so that jitted calls do not page-fault afresh.

XLA's CPU runtime allocates the temporary buffers of every call to a jitted function anew, in
one block (about 210 MB for a GRU training step at the training benchmark's shapes), and frees
it when the call ends. XLA allocates from its worker threads, and glibc serves a block that
large to a worker thread's arena with ``mmap`` and returns it with ``munmap`` (a thread arena
holds at most 64 MB, whatever the ``M_MMAP_MAX`` setting). So every call touches some 55,000
fresh pages, and the kernel zeroes each on its first write: measured 57,000 minor page faults
and about 100 ms of a 560 ms training step.

Three ``mallopt`` settings make glibc reuse the memory instead: one arena for all threads (the
main arena grows with ``brk``), no ``mmap`` for large blocks, and no trimming of the heap's free
top below 2 GB. Measured on the training step: 57,000 → under 10,000 page faults per step and
560 → 465 ms (median of 8 steps); training on IMDB (1,500 steps) 6.5 → 5.2 min. The price:
the process keeps freed memory instead of returning it to the system, and large blocks of
changing sizes leave holes in the one heap (IMDB training peaks at 2.5 GB instead of 1.5 GB);
all threads share one arena's lock (a few allocations per jitted call here).

:func:`keep_freed_memory` is an opt-in: importing ``rnnctx_utils`` does not call it (a library
must not change its importer's allocator). A script calls it before its first JAX computation;
it takes effect only for
threads that allocate for the first time after it, and only while the process has had few
threads: JAX's worker threads must not have started (no JAX computation before the import), and
a process that already runs other threads (a Jupyter kernel) hands new threads its existing
arenas in turn. A process started with :data:`GLIBC_TUNABLES` in its environment has the same
settings from its first instruction, in every thread; ``make book``, ``make test``,
``make benchmarks`` and ``make lab`` start their processes so (measured in a process with 3
threads before the call: 57,000 page faults per step with the call alone, none with the
variable).
``RNNCTX_MALLOC_REUSE=0`` turns both off. glibc (Linux) only; elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import platform
import sys

from rnnctx_utils import environment

# mallopt parameter numbers, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
# mallopt takes a C int: the largest trim threshold it can set (2 GB - 1).
_TRIM_THRESHOLD = 2**31 - 1
ENV_VARIABLE = "RNNCTX_MALLOC_REUSE"
#: The same settings as glibc tunables, for a process's environment (``GLIBC_TUNABLES=...``).
GLIBC_TUNABLES = (
    f"glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold={_TRIM_THRESHOLD}"
)

_applied: bool | None = None


def _wanted() -> bool:
    return bool(environment.read(ENV_VARIABLE))


def keep_freed_memory() -> bool:
    """Set glibc's allocator to keep freed memory (see the module docstring), once.

    Returns:
        True when the settings are in force: glibc, and not turned off by
        ``RNNCTX_MALLOC_REUSE=0``. False otherwise (another C library, or turned off).
    """
    global _applied
    if _applied is None:
        _applied = _wanted() and _set_glibc_options()
    return _applied


def _set_glibc_options() -> bool:
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    settings = ((_M_ARENA_MAX, 1), (_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    return all(libc.mallopt(parameter, value) == 1 for parameter, value in settings)
