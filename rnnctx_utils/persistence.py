"""Files written whole or not at all, and read back only when intact.

The one way this package stores bytes on disk (trained models, fixed points; analysis results
later): :func:`write_atomic` writes the bytes behind a short header holding their length and
SHA-256, into a temporary file in the target's folder, flushes it to the disk (``fsync``) and
renames it into place, so a reader sees the old file or the new one, never half of one.
:func:`read_verified` checks the header and raises :class:`DamagedFileError`, naming the file
and the fix, when the file is truncated, altered afterwards or was not written here.

Layout: ``MAGIC`` (8 bytes), the payload's length (8 bytes, big-endian), its SHA-256
(32 bytes), the payload.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

MAGIC = b"RNNCTX1\n"
_LENGTH_BYTES = 8
_HEADER_BYTES = len(MAGIC) + _LENGTH_BYTES + hashlib.sha256().digest_size

PathLike = str | os.PathLike[str]


class DamagedFileError(ValueError):
    """A file read with :func:`read_verified` is truncated, altered or not one of ours; the
    message names the file and the fix. ``name``: the file; ``reason``: what is wrong."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} is damaged: {reason}. Delete it and run again to "
                         "recompute it.")
        self.name = name
        self.reason = reason


def frame(data: bytes) -> bytes:
    """``data`` behind its header (magic, length, SHA-256): what :func:`write_atomic` stores."""
    return (MAGIC + len(data).to_bytes(_LENGTH_BYTES, "big")
            + hashlib.sha256(data).digest() + data)


def unframe(blob: bytes, name: str = "the data") -> bytes:
    """The payload of a :func:`frame`, verified; ``name`` is the file the message names.

    Raises:
        DamagedFileError: wrong magic, wrong length (truncated) or wrong checksum.
    """
    if len(blob) < _HEADER_BYTES or not blob.startswith(MAGIC):
        raise _damaged(name, "it does not start with this package's header (a truncated file, "
                             "or one not written by rnnctx_utils)")
    length = int.from_bytes(blob[len(MAGIC):len(MAGIC) + _LENGTH_BYTES], "big")
    data = blob[_HEADER_BYTES:]
    if len(data) != length:
        what = "truncated?" if len(data) < length else "written to afterwards?"
        raise _damaged(name, f"it holds {len(data)} bytes of data, its header says {length} "
                             f"({what})")
    if hashlib.sha256(data).digest() != blob[len(MAGIC) + _LENGTH_BYTES:_HEADER_BYTES]:
        raise _damaged(name, "its data does not match its checksum")
    return data


def write_synced(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` as is and flush it to the disk (no header, not atomic)."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_atomic(path: PathLike, data: bytes) -> None:
    """Store ``data`` at ``path`` with its length and checksum, atomically.

    Written to a temporary file in the same folder, flushed to the disk, then renamed over
    ``path`` (atomic on one file system); the temporary file is removed if anything fails.
    The folder must exist. Read it back with :func:`read_verified`.
    """
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                     suffix=".tmp")
    os.close(fd)
    try:
        write_synced(temporary, frame(data))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_folder(target.parent)


def read_verified(path: PathLike) -> bytes:
    """The bytes stored by :func:`write_atomic` at ``path``, checked against their checksum.

    Raises:
        FileNotFoundError: there is no such file.
        DamagedFileError: the file is truncated, altered or was not written by
            :func:`write_atomic`.
    """
    return unframe(Path(path).read_bytes(), os.fspath(path))


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to the disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _damaged(name: str, reason: str) -> DamagedFileError:
    return DamagedFileError(name, reason)
