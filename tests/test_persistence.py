"""The one way the package stores bytes: atomic, flushed, checksummed; a damaged file is refused
with a message that names it and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnctx_utils import analysis_cache, persistence
from rnnctx_utils.network import Network

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


def _cached_network(folder: Path) -> Network:
    return Network(step=lambda h, x: h, h0=np.zeros(2), readout_w=np.ones(2), cache_dir=folder)


def test_analysis_cache_entries_round_trip_and_a_damaged_one_is_recomputed(
    tmp_path: Path,
) -> None:
    """The analysis cache stores through persistence: an entry round-trips, and one with a
    flipped byte fails its checksum and reads as missing (None), so it is recomputed."""
    net = _cached_network(tmp_path / "analyses")
    key = analysis_cache.cache_key("line_attractor", np.arange(3), "settings")
    value = {"points": np.linspace(0.0, 1.0, 7), "words": ("not", "very"), "tau": 1.5}
    assert analysis_cache.load_cached(net, key) is None  # nothing stored yet
    analysis_cache.store_cached(net, key, value)
    loaded = analysis_cache.load_cached(net, key)
    assert loaded.keys() == value.keys() and loaded["words"] == value["words"]
    np.testing.assert_array_equal(loaded["points"], value["points"])
    assert loaded["tau"] == value["tau"]
    (entry,) = (tmp_path / "analyses").iterdir()  # one file, no temporary left behind
    blob = entry.read_bytes()
    assert blob.startswith(persistence.MAGIC)  # the helper's header, checksum included
    persistence.read_verified(entry)
    entry.write_bytes(blob[:-5] + bytes([blob[-5] ^ 1]) + blob[-4:])
    with pytest.raises(persistence.DamagedFileError):
        persistence.read_verified(entry)
    assert analysis_cache.load_cached(net, key) is None
    analysis_cache.store_cached(net, key, value)  # recomputed and stored again
    assert analysis_cache.load_cached(net, key)["tau"] == value["tau"]


def test_analysis_cache_without_a_folder_or_key_stores_nothing(tmp_path: Path) -> None:
    net = _cached_network(tmp_path / "analyses")
    analysis_cache.store_cached(net, None, 1)
    analysis_cache.store_cached(_cached_network(None), "key", 1)
    assert not (tmp_path / "analyses").exists()
    assert analysis_cache.load_cached(net, None) is None
