"""Re-execute the chapters when what they run on changes, not only when their code does.

Jupyter Book caches each chapter's outputs (jupyter-cache) under a hash of the chapter's code
cells alone. Without this extension, an unchanged chapter would keep outputs computed with an
older `rnnctx_utils`, another corpus (`RNNCTX_CORPUS` and the other `RNNCTX_*` settings), other
data under `book/data`, or other versions of the numerical packages: a page silently showing
numbers the current code would not produce.

At ``config-inited`` (before any chapter runs) this digests those inputs and compares the digest
with the one recorded next to the execution cache. When they differ, or when a cache exists
without a record, the execution cache is removed, so that every chapter runs again; the new
digest is recorded. Trained models and analyses (``_build/cache``) are keyed by their own
inputs and stay valid: a re-execution after editing a figure does not retrain anything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

# The distributions whose versions can change a chapter's numbers or figures.
DISTRIBUTIONS = ("jax", "jaxlib", "numpy", "scipy", "optax", "matplotlib", "datasets")
RECORD_SUFFIX = ".inputs"


def inputs_digest(
    root: Path,
    environ: Mapping[str, str] | None = None,
    distributions: Iterable[str] = DISTRIBUTIONS,
) -> str:
    """SHA-256 of the package sources, ``book/data``, ``RNNCTX_*`` variables and versions."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    files = sorted((root / "rnnctx_utils").rglob("*.py")) + sorted(
        p for p in (root / "book" / "data").rglob("*") if p.is_file()
    )
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for key in sorted(k for k in environ if k.startswith("RNNCTX_")):
        digest.update(f"env {key}={environ[key]}\0".encode())
    for name in distributions:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"dist {name}={version}\0".encode())
    return digest.hexdigest()


def refresh_execution_cache(cache: Path, digest: str) -> str | None:
    """Remove ``cache`` if it was filled under other inputs; record ``digest``.

    Returns why the cache was removed, or None when it was kept (or there was none).
    """
    record = cache.with_name(cache.name + RECORD_SUFFIX)
    recorded = record.read_text().strip() if record.is_file() else None
    reason = None
    if cache.exists() and recorded != digest:
        reason = ("no record of the inputs it was executed with" if recorded is None
                  else "the package, book data, RNNCTX_* settings or package versions changed")
        shutil.rmtree(cache)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(digest + "\n")
    return reason


def on_config_inited(app: Sphinx, config: Any) -> None:
    cache_setting = getattr(config, "nb_execution_cache_path", "") or ""
    cache = (Path(cache_setting) if cache_setting
             else Path(app.outdir).parent / ".jupyter_cache").resolve()
    reason = refresh_execution_cache(cache, inputs_digest(Path(app.srcdir)))
    # Sphinx re-reads only the pages whose sources changed; without this, an unchanged chapter
    # would keep the page rendered from its previous execution, stale outputs and all.
    app._rnnctx_rerun_all = bool(reason)  # type: ignore[attr-defined]
    if reason:
        LOGGER.info(f"execution cache {cache} removed ({reason}): every chapter runs again")


def on_env_get_outdated(app: Sphinx, env: Any, added: set[str], changed: set[str],
                        removed: set[str]) -> list[str]:
    """Every page, when the execution cache was removed: each is read (and run) again."""
    if getattr(app, "_rnnctx_rerun_all", False):
        return sorted(set(env.found_docs) - set(added) - set(changed))
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", on_config_inited)
    app.connect("env-get-outdated", on_env_get_outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
