"""The one way the package stores bytes: atomic, flushed, checksummed; a damaged file is refused
with a message that names it and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnctx_utils import persistence

DATA = bytes(range(256)) * 40


def test_round_trip_and_no_temporary_left(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    persistence.write_atomic(path, DATA)
    assert persistence.read_verified(path) == DATA
    persistence.write_atomic(path, b"")  # replaces the file; empty data is data too
    assert persistence.read_verified(path) == b""
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(("damage", "reason"), [
    ("truncate", "truncated"),
    ("append", "afterwards"),
    ("flip_a_byte", "checksum"),
    ("header_only", "truncated"),
    ("cut_header", "header"),
    ("empty", "header"),
    ("not_ours", "header"),
])
def test_a_damaged_file_is_refused_with_its_name(tmp_path: Path, damage: str, reason: str) -> None:
    path = tmp_path / "blob.bin"
    persistence.write_atomic(path, DATA)
    blob = path.read_bytes()
    damaged = {
        "truncate": blob[:-1],
        "append": blob + b"\0",
        "flip_a_byte": blob[:100] + bytes([blob[100] ^ 1]) + blob[101:],
        "header_only": blob[:48],
        "cut_header": blob[:20],
        "empty": b"",
        "not_ours": DATA,
    }[damage]
    path.write_bytes(damaged)
    with pytest.raises(persistence.DamagedFileError, match=reason) as error:
        persistence.read_verified(path)
    assert str(path) in str(error.value) and "Delete it" in str(error.value)
    assert error.value.name == str(path)


def test_a_missing_file_is_not_reported_as_damaged(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        persistence.read_verified(tmp_path / "absent.bin")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "blob.bin"
    persistence.write_atomic(path, b"old")

    def failing_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(persistence.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        persistence.write_atomic(path, b"new")
    monkeypatch.undo()
    assert persistence.read_verified(path) == b"old"
    assert list(tmp_path.iterdir()) == [path]


def test_frame_layout() -> None:
    """Magic, 8-byte big-endian length, SHA-256, then the payload as is."""
    import hashlib

    framed = persistence.frame(b"abc")
    assert framed.startswith(persistence.MAGIC)
    assert framed[8:16] == (3).to_bytes(8, "big")
    assert framed[16:48] == hashlib.sha256(b"abc").digest()
    assert framed[48:] == b"abc"
    assert persistence.unframe(framed) == b"abc"
