"""The cache of trained models: one folder per (config digest, package source digest).

A stale artifact must be impossible, not unlikely: the entry's name contains the digest of
every config field *and* of the bytes of every module that determines a trained model
(:data:`TRAINING_MODULES`), so any change to the configuration or to that code (a cell's
equations, the tokenizer, the training loop) selects a new entry and the model is trained
again, while editing an analysis or a figure does not.

Layout of an entry ``<cache>/<config digest>-<source digest>/``::

    arrays.npz      every parameter pytree, flattened: "params/cell/W", "bow_params/weights", …
    records.json    JSON records (config, vocab, metrics, history, …)
    manifest.json   format version, key and tree names; written last

``arrays.npz`` and ``records.json`` are stored by :func:`rnnctx_utils.persistence.write_atomic`
(behind a header with their length and SHA-256, flushed to the disk). The entry is written in a
temporary folder inside the cache folder and renamed into place (atomic on one file system), so
a reader never sees half an entry. A damaged entry (a file truncated or edited afterwards)
fails its checksum and raises :class:`CacheError` naming the folder to delete.

The cache folder is ``<repository>/_build/cache`` or the environment variable
``RNNCTX_CACHE``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rnnctx_utils import environment, persistence

CACHE_ENV = "RNNCTX_CACHE"
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
_FORMAT_VERSION = 2
_ARRAYS, _RECORDS, _MANIFEST = "arrays.npz", "records.json", "manifest.json"
_SEPARATOR = "/"


class CacheError(RuntimeError):
    """A cache entry is damaged or incompatible; the message names the folder and the fix."""


class Entry(NamedTuple):
    """A loaded cache entry: ``trees`` (name -> nested dict of numpy arrays), ``records``
    (name -> JSON value) and the entry's ``path``."""

    trees: dict[str, Any]
    records: dict[str, Any]
    path: Path


def cache_dir() -> Path:
    """The cache folder: ``$RNNCTX_CACHE`` or ``<repository>/_build/cache``."""
    override = environment.read(CACHE_ENV)
    return Path(override).expanduser() if override else REPO_ROOT / "_build" / "cache"


# The modules whose code determines the book's trained model: the corpus, its encoding, the
# cells, the model, the optimisation and how it is stored. Analysis and plotting modules are
# left out on purpose: editing a figure must not retrain the network. A module missing from this
# list that does influence training would make a stale model possible, so the list is checked
# by a test against the imports of experiment.py.
TRAINING_MODULES = (
    "__init__.py", "artifacts.py", "bow.py", "cells.py", "config.py", "corpora.py",
    "corpus_splits.py", "environment.py", "experiment.py", "models.py", "persistence.py",
    "progress.py", "synthetic.py", "synthetic_grammar.py", "text.py", "train.py",
    "train_batches.py",
)
# The toy language's model (chapter 7) has its own training code in the subpackage toy/ (the
# language, the settings, the model and the training loop), on cells.py and the shared readout
# of models.py: its own digest, so that editing the toy retrains only the toy, editing train.py
# only the book's model, and editing the toy's analyses or table strings (toy/dynamics.py,
# toy/probes.py, toy/analysis.py, toy/tables.py) neither (checked by a test against the toy's
# imports). toy/__init__.py only re-exports names and is left out likewise.
TOY_TRAINING_MODULES = (
    "__init__.py", "artifacts.py", "cells.py", "environment.py", "models.py", "persistence.py",
    "toy/language.py", "toy/model.py", "toy/settings.py", "toy/training.py",
)


def source_digest(package_dir: Path = PACKAGE_DIR,
                  modules: tuple[str, ...] = TRAINING_MODULES) -> str:
    """SHA-256 (16 hex characters) of the names and bytes of the training ``modules``.

    Every module in :data:`TRAINING_MODULES` (the code that determines a trained model), or
    another list such as :data:`TOY_TRAINING_MODULES`; a name is a path relative to
    ``package_dir`` with ``/`` between folders (``"toy/model.py"``) and enters the digest as
    written. A missing module is an error rather than silently hashed as absent.
    """
    digest = hashlib.sha256()
    for name in sorted(modules):
        path = package_dir.joinpath(*name.split("/"))
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def entry_key(config_digest: str, source: str | None = None) -> str:
    """Folder name of the entry for a config digest under a source digest (default: now)."""
    return f"{config_digest}-{source_digest() if source is None else source}"


def entry_path(config_digest: str, source: str | None = None) -> Path:
    """Where the entry for a config digest lives (it may not exist yet)."""
    return cache_dir() / entry_key(config_digest, source)


# ---------------------------------------------------------------------------------------------
# Flattening parameter pytrees (nested dicts of arrays) to named arrays and back


def flatten_tree(tree: Mapping[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    """Nested dict of arrays -> ``{"a/b/c": array}`` (keys must not contain ``/``)."""
    flat: dict[str, np.ndarray] = {}
    for key, value in tree.items():
        if _SEPARATOR in key:
            raise ValueError(f"parameter name {key!r} contains {_SEPARATOR!r}")
        name = f"{prefix}{_SEPARATOR}{key}" if prefix else key
        if isinstance(value, Mapping):
            flat.update(flatten_tree(value, name))
        else:
            flat[name] = np.asarray(value)
    return flat


def unflatten_tree(flat: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Inverse of :func:`flatten_tree`."""
    tree: dict[str, Any] = {}
    for name, value in flat.items():
        *parents, leaf = name.split(_SEPARATOR)
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return tree


# ---------------------------------------------------------------------------------------------
# Save / load


def save_entry(
    config_digest: str, trees: Mapping[str, Any], records: Mapping[str, Any],
    *, source: str | None = None,
) -> Path:
    """Write an entry atomically and return its folder.

    Args:
        config_digest: :meth:`rnnctx_utils.config.Config.digest` of the config trained.
        trees: name -> nested dict of arrays (e.g. ``{"params": ..., "bow_params": ...}``).
        records: name -> JSON-serialisable value (config, vocab, metrics, history, …).
        source: the source digest of the code that trained it, taken when training started
            (default: now), so that a file edited during training cannot mislabel the entry.
    """
    final = entry_path(config_digest, source)
    final.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for tree_name, tree in trees.items():
        arrays.update(flatten_tree({tree_name: tree}))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    payload = {
        _ARRAYS: buffer.getvalue(),
        _RECORDS: json.dumps(dict(records), sort_keys=True, allow_nan=True).encode(),
    }
    manifest = {"format_version": _FORMAT_VERSION, "key": final.name, "trees": sorted(trees)}
    temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    try:
        for name, data in payload.items():
            persistence.write_atomic(temporary / name, data)
        persistence.write_synced(temporary / _MANIFEST, json.dumps(manifest, indent=1).encode())
        if final.exists():  # another process finished the same entry first: keep theirs
            shutil.rmtree(temporary)
        else:
            os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final


def load_entry(config_digest: str, source: str | None = None) -> Entry | None:
    """The entry for a config digest under a source digest (default: the current source), or
    None if there is none.

    Raises:
        CacheError: the entry exists but is damaged (missing file, wrong size or checksum,
            unreadable content) or was written by an incompatible format version.
    """
    path = entry_path(config_digest, source)
    if not path.exists():
        return None
    return read_entry(path)


def read_entry(path: Path) -> Entry:
    """Read and verify the entry in folder ``path`` (see :func:`load_entry`)."""
    manifest_path = path / _MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
        version = manifest["format_version"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _damaged(path, f"its manifest is unreadable ({error})") from None
    if version != _FORMAT_VERSION:
        raise _damaged(path, f"it has format version {version}, this code reads "
                             f"{_FORMAT_VERSION}")
    data: dict[str, bytes] = {}
    for name in (_ARRAYS, _RECORDS):
        try:
            data[name] = persistence.read_verified(path / name)
        except persistence.DamagedFileError as error:
            raise _damaged(path, f"{name}: {error.reason}") from None
        except OSError as error:
            raise _damaged(path, f"{name} cannot be read ({error})") from None
    try:
        with np.load(io.BytesIO(data[_ARRAYS]), allow_pickle=False) as archive:
            flat = {name: archive[name] for name in archive.files}
        records = json.loads(data[_RECORDS])
    except (OSError, ValueError) as error:
        raise _damaged(path, f"its content cannot be decoded ({error})") from None
    return Entry(unflatten_tree(flat), records, path)


def _damaged(path: Path, reason: str) -> CacheError:
    return CacheError(
        f"the cached model in {path} is damaged: {reason}. Delete that folder "
        f"(rm -r '{path}') and run again to retrain it."
    )
