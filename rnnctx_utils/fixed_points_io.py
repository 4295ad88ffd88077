"""Fixed-point results on disk: :func:`save_fixed_points` and :func:`load_fixed_points`.

One file per result: an ``.npz`` archive of its arrays plus a JSON string with the method,
tol, options and the caller's metadata, stored by :func:`rnnctx_utils.persistence.write_atomic`
(atomic, flushed to the disk, with a checksum), so that a truncated or altered file is refused
with a clear error instead of being read.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os

import numpy as np

from rnnctx_utils import persistence
from rnnctx_utils.fixed_point_types import FixedPointOptions, FixedPointResult

_ARRAY_FIELDS = ("points", "q", "seed_index", "n_iterations", "converged", "x")
_FORMAT = "rnnctx_fixed_points/2"


def save_fixed_points(
    path: str | os.PathLike[str], result: FixedPointResult, metadata: dict | None = None
) -> None:
    """Write ``result`` to one file: its arrays (``.npz``) plus a JSON string holding the
    method, tol, options and your ``metadata`` (JSON-serialisable). Written atomically, with a
    checksum (:func:`rnnctx_utils.persistence.write_atomic`)."""
    info = {
        "format": _FORMAT,
        "method": result.method,
        "tol": result.tol,
        "options": dataclasses.asdict(result.options),
        "metadata": metadata or {},
    }
    arrays = {name: getattr(result, name) for name in _ARRAY_FIELDS}
    arrays["metadata_json"] = np.array(json.dumps(info, sort_keys=True))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    persistence.write_atomic(path, buffer.getvalue())


def load_fixed_points(path: str | os.PathLike[str]) -> tuple[FixedPointResult, dict]:
    """Read a file written by :func:`save_fixed_points`: (result, your metadata).

    Raises:
        rnnctx_utils.persistence.DamagedFileError: the file is truncated or altered.
        ValueError: it is intact but holds something else than fixed points.
    """
    data = persistence.read_verified(path)
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        info = json.loads(str(archive["metadata_json"]))
        if info.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a fixed-point file ({info.get('format')!r})")
        arrays = {name: np.array(archive[name]) for name in _ARRAY_FIELDS}
    result = FixedPointResult(
        options=FixedPointOptions(**info["options"]),
        method=info["method"],
        tol=float(info["tol"]),
        **arrays,
    )
    return result, info["metadata"]
