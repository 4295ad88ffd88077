"""Run a chapter script in-process in the fast configuration and return its namespace."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

import matplotlib

ROOT = Path(__file__).resolve().parents[1]
FAST_ENV = {"RNNCTX_FAST": "1", "MPLBACKEND": "Agg"}


def run_chapter_fast(script: str) -> dict[str, Any]:
    """Execute ``notebooks/<script>`` with RNNCTX_FAST=1 and return its global variables.

    The environment is restored afterwards and every figure closed, so tests stay independent.
    The fast model is trained once in the shared cache and reused by every chapter test.
    """
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    saved = {key: os.environ.get(key) for key in FAST_ENV}
    os.environ.update(FAST_ENV)
    try:
        return runpy.run_path(str(ROOT / "notebooks" / script))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        plt.close("all")
