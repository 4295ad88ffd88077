"""rnnctx_utils.allocator: freed memory is reused (no fresh page faults), and can be turned off.

Each case runs in a fresh interpreter: glibc's settings are per process and must be made
before any thread takes an arena; ``import rnnctx_utils`` alone changes nothing (opt-in).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from rnnctx_utils import allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
BLOCK_PAGES = 65_536  # a 256 MiB block of 4 KiB pages

# Allocate a 256 MiB block in a worker thread (as XLA does), write every page, free it; twice.
# Prints whether the settings are in force and the minor page faults of the second round.
PROBE = """
import ctypes, resource, threading
import rnnctx_utils
from rnnctx_utils import allocator
applied = allocator.keep_freed_memory()  # the opt-in, before any thread allocates
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
size = 256 * 2**20
faults = []
def round_trip():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
for _ in range(2):
    worker = threading.Thread(target=round_trip)
    worker.start()
    worker.join()
print(applied, faults[1])
"""

# Only imports the package: a library must leave its importer's allocator as it found it.
IMPORT_ONLY_PROBE = PROBE.replace(
    "applied = allocator.keep_freed_memory()", "applied = allocator._applied is not None")


# A process that already runs threads which allocated (a Jupyter kernel) before the import.
BUSY_PROBE = """
import threading, time
ready = threading.Barrier(4)
def chatter():
    blocks = [bytearray(4096) for _ in range(100)]
    ready.wait()
    time.sleep(60)
for _ in range(3):
    threading.Thread(target=chatter, daemon=True).start()
ready.wait()
""" + PROBE


def _probe(setting: str | None, tunables: bool = False, script: str = PROBE) -> tuple[str, int]:
    env = dict(os.environ)
    for variable in (allocator.ENV_VARIABLE, "GLIBC_TUNABLES"):  # make test sets the latter
        env.pop(variable, None)
    if setting is not None:
        env[allocator.ENV_VARIABLE] = setting
    if tunables:
        env["GLIBC_TUNABLES"] = allocator.GLIBC_TUNABLES
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    applied, faults = result.stdout.split()
    return applied, int(faults)


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_freed_block_is_reused_without_page_faults() -> None:
    applied, faults = _probe(None)
    assert applied == "True"
    # The second block reuses the first one's pages: a handful of faults, not one per page.
    assert faults < BLOCK_PAGES // 20


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_importing_the_package_leaves_the_allocator_alone() -> None:
    applied, faults = _probe(None, script=IMPORT_ONLY_PROBE)
    assert applied == "False"
    # glibc's default: the thread arena maps a fresh block and every page faults once.
    assert faults >= 0.9 * BLOCK_PAGES


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_turned_off_every_block_faults_every_page() -> None:
    applied, faults = _probe("0")
    assert applied == "False"
    # glibc's default: the thread arena maps a fresh block and every page faults once.
    assert faults >= 0.9 * BLOCK_PAGES


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_tunables_hold_in_a_process_that_already_runs_threads() -> None:
    applied, faults = _probe(None, tunables=True, script=BUSY_PROBE)
    assert applied == "True"
    assert faults < BLOCK_PAGES // 20


def test_makefile_starts_processes_with_the_same_tunables() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert f"GLIBC_TUNABLES={allocator.GLIBC_TUNABLES}\n" in makefile
    # pytest, jupyter-book, benchmarks, jupyter lab, the two real-review summary targets
    assert makefile.count("$(MALLOC) $(BIN)/") == 6
    how_to_use = (Path(__file__).resolve().parents[1] / "book" / "how_to_use.md").read_text()
    assert f"GLIBC_TUNABLES={allocator.GLIBC_TUNABLES} " in how_to_use


def test_bad_setting_is_a_clear_error() -> None:
    env = dict(os.environ, **{allocator.ENV_VARIABLE: "yes"})
    script = "from rnnctx_utils import allocator; allocator.keep_freed_memory()"
    result = subprocess.run([sys.executable, "-c", script], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "RNNCTX_MALLOC_REUSE='yes': use 1" in result.stderr
