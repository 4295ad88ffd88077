"""The analyses' cache: results stored next to the network they were computed for.

A :class:`~rnnctx_utils.network.Network` with a ``cache_dir`` (the book's cached models have
one) gets its line attractor and modifier analysis stored there, so chapters 2–6 compute them
once. An entry's key is a digest of the analysis's name, of its arguments (the documents, the
settings objects: a frozen dataclass enters through its ``repr``) and of the sources of every
analysis module, so that an edit of the code or another setting never serves a stale result.

Entries are pickles stored by the package's one persistence helper
(:func:`rnnctx_utils.persistence.write_atomic`: written whole or not at all, flushed to the
disk, behind a header with their length and SHA-256), as the trained models and the fixed
points are. An entry that fails its checksum (truncated, altered) or does not unpickle is
treated as missing: recomputed and stored again.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from rnnctx_utils.network import as_network
from rnnctx_utils.persistence import DamagedFileError, read_verified, write_atomic

#: The modules whose sources enter every analysis cache key: every package module the analyses
#: import, except the training modules (those enter the model's own digest,
#: artifacts.TRAINING_MODULES, and so the path of its analysis cache); checked by
#: tests/test_package_structure.py.
ANALYSIS_MODULES = (
    "analysis", "analysis_cache", "analysis_settings", "states", "attractor_search",
    "linearized_dynamics", "attractor_modes",
    "fixed_points", "fixed_point_types", "fixed_point_solvers", "fixed_points_io", "linearize",
    "context", "position", "network",
    "modifiers", "modifier_probes", "modifier_discovery", "modifier_timing",
    # the shared helpers of fixed_points and linearize
    "_jit", "_blas", "nearest_points",
    # the methods context re-exports
    "_types", "attractor_geometry", "rollouts", "modifier_scores", "modifier_subspace", "timing",
    "gains", "recovered_fraction",
)

PACKAGE_DIR = Path(__file__).resolve().parent


def cache_key(name: str, *parts: Any) -> str:
    """Digest of ``name``, of the ``parts`` (arrays by their bytes, anything else, settings
    included, by its ``repr``) and of the analysis sources (so an edit invalidates the entry)."""
    digest = hashlib.sha256(name.encode())
    for module in ANALYSIS_MODULES:
        digest.update((PACKAGE_DIR / f"{module}.py").read_bytes())
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes() if isinstance(part, np.ndarray)
                      else repr(part).encode())
    return f"{name}-{digest.hexdigest()[:16]}"


def load_cached(model: Any, key: str | None) -> Any:
    """The entry ``key`` of the network's cache (None: no key, no cache folder, no entry, or a
    damaged one, which is then recomputed)."""
    folder = as_network(model).cache_dir
    if key is None or folder is None:
        return None
    try:
        data = read_verified(folder / f"{key}.pkl")
    except (FileNotFoundError, DamagedFileError):  # none yet, or damaged: recomputed
        return None
    try:
        return pickle.loads(data)  # noqa: S301  (our own cache file, checksum verified)
    except Exception:  # noqa: BLE001  (written by other code: recomputed)
        return None


def store_cached(model: Any, key: str | None, value: Any) -> None:
    """Store ``value`` as the entry ``key`` of the network's cache (nothing without a key or a
    cache folder), atomically (:func:`rnnctx_utils.persistence.write_atomic`), so that
    concurrent chapters never read half a file."""
    folder = as_network(model).cache_dir
    if key is None or folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / f"{key}.pkl", pickle.dumps(value))
