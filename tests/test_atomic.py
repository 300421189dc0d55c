"""The one atomic writer (tinyguard.atomic): all or nothing, synced, in text and binary."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from tinyguard import atomic
from tinyguard.atomic import atomic_open, atomic_write_bytes, atomic_write_text


def test_text_appears_whole_and_readable(tmp_path: Path) -> None:
    out = atomic_write_text(tmp_path / "r.md", "a\nb\n")
    assert out.read_text(encoding="utf-8") == "a\nb\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_open(out) as f:
            f.write("half")
            raise RuntimeError("crash mid-write")
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_binary_writers_take_the_file(tmp_path: Path) -> None:
    with atomic_open(tmp_path / "a.npz", binary=True) as f:
        np.savez(f, keys=np.array(["x"]), vectors=np.ones((1, 2), np.float32))
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert z["vectors"].shape == (1, 2)
    assert atomic_write_bytes(tmp_path / "b.bin", b"\x00\xff").read_bytes() == b"\x00\xff"


def test_file_and_folder_are_synced(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else str(fd))
        real(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    atomic_write_text(tmp_path / "r.md", "x")
    assert len(synced) == 2  # the temp file's data, then the folder holding the rename
    if os.path.exists("/proc/self/fd"):
        assert Path(synced[0]).name.startswith(".r.md.tmp-") and Path(synced[1]) == tmp_path


def test_a_missing_folder_or_a_folder_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        atomic_write_text(tmp_path / "no" / "r.md", "x")
    with pytest.raises(IsADirectoryError):
        atomic_write_text(tmp_path, "x")
