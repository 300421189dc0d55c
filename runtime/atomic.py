"""Atomic file output: write to a temp file beside the target, fsync, rename over it, fsync
the folder. The one writer every layer uses for a file a reader may open.

Why: a reader (or a crashed run) must never see half a results file, and after a power cut the
rename must not be lost while the old name points at nothing (hence the folder fsync). On any
error the temp file is removed and the target is left as it was.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


@contextmanager
def atomic_open(path: str | os.PathLike[str], encoding: str = "utf-8", *,
                binary: bool = False) -> Iterator[IO[Any]]:
    """Open a file for writing that appears at ``path`` only when the block ends cleanly.

    Text (``newline="\\n"``) by default; ``binary=True`` gives a bytes file for writers that take
    one (``np.save``, ``np.savez``, ``fig.savefig(f, format=...)``)."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"output path is a folder: {target}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"output folder does not exist: {parent}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=parent)
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline="\n")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    with atomic_open(path) as f:
        f.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, binary=True) as f:
        f.write(data)
    return Path(path)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a written file's data to disk (a file copied into place, say)."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a folder's entries to disk, so a rename inside it survives a power cut.

    Best effort: Windows cannot open a folder, and some file systems refuse to fsync one; the
    renamed file's own data was synced before the rename either way."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
