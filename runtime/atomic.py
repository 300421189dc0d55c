"""Atomic file output: write to a temp file beside the target, fsync, rename over it, fsync
the folder. The one writer every layer uses for a file a reader may open.

Why: a reader (or a crashed run) must never see half a results file, and after a power cut the
rename must not be lost while the old name points at nothing (hence the folder fsync). On any
error the temp file is removed and the target is left as it was.

Signals: SIGINT raises KeyboardInterrupt, which the ``except`` below handles; SIGTERM's default
action ends the process with no Python cleanup at all, which left hidden ``.NAME.tmp-*`` files
behind. So every temp file (and temp folder: :func:`tinyguard.bundle.folder.write_bundle`) is
registered while it lives (:func:`temp_path`), and on first use this module installs a SIGTERM
and SIGINT handler -- only where the handler is still Python's default, in the main thread --
that removes them and then lets the signal do what it did before (SIGTERM: the process ends by
that signal; SIGINT: KeyboardInterrupt).
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

_LIVE: set[str] = set()  # temp files and folders that exist now, removed on SIGTERM/SIGINT
_installed = False


def _remove_live() -> None:
    for path in list(_LIVE):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
        _LIVE.discard(path)


def _on_signal(signum: int, frame: Any) -> None:
    _remove_live()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    signal.signal(signum, signal.SIG_DFL)  # end the way the signal would have: killed by it
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    """Install :func:`_on_signal` for SIGTERM and SIGINT where they still have Python's default
    handler (an application's own handler is left alone); main thread only, once."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    for signum, default in ((signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler)):
        try:
            if signal.getsignal(signum) is default:
                signal.signal(signum, _on_signal)
        except (ValueError, OSError):  # not the main interpreter, or a platform without it
            pass


@contextmanager
def temp_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Register ``path`` (a temp file or folder just created) for removal if SIGTERM or SIGINT
    arrives before the block ends; the block itself removes or renames it."""
    _install_handlers()
    p = os.fspath(path)
    _LIVE.add(p)
    try:
        yield p
    finally:
        _LIVE.discard(p)


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
    _install_handlers()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=parent)
    with temp_path(tmp):
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
