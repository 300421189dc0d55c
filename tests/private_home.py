"""Tests never write under the user's home: the session runs with a home of its own, and a test
that writes anything there fails.

Why: tinyguard promises that it writes no stray file (docs/privacy.md), and the suite
once broke that promise itself: run without ``CI``, two telemetry tests left onnxruntime's
``~/.cache/Microsoft/DeveloperTools/.onnxruntime/`` in the developer's real home.

How: before any test module is imported, ``HOME`` (and the XDG folders, which would otherwise
name the real ones) points to an empty temporary folder. After every test that folder must still
be empty; anything in it fails that test by name, and is removed so that the next test starts
clean. matplotlib's own folder (its font cache, which the training reports' first plot writes:
train/offline.py) goes to a second temporary folder (``MPLCONFIGDIR``); rustup's and cargo's
installations (``RUSTUP_HOME``, ``CARGO_HOME``: a build may probe ``rustc``) stay where they are. pip keeps reading the
user's own settings (``PIP_CONFIG_FILE``: the package index), read only. A process that found the
real home some other way than ``HOME`` is not seen; onnxruntime, Hugging Face, matplotlib and pip
all go through ``HOME`` or ``XDG_CACHE_HOME``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_ENV = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PIP_CONFIG_FILE",
        "MPLCONFIGDIR", "RUSTUP_HOME", "CARGO_HOME")
#: tool installations found through the home (rustup's proxies on PATH look there for their
#: toolchains, and write a settings file where they find none): kept where they are.
_TOOL_HOMES = {"RUSTUP_HOME": ".rustup", "CARGO_HOME": ".cargo"}
_saved: dict[str, str | None] = {}
_root: Path | None = None


def private_home() -> Path:
    """The home every test runs with (set by :func:`enter`)."""
    if _root is None:
        raise RuntimeError("private_home.enter() has not run (conftest.py's pytest_configure)")
    return _root / "home"


def _user_pip_config() -> Path | None:
    """The user's own pip settings file, where pip would find it with the real home."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    for path in (Path(xdg) / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"):
        if path.is_file():
            return path
    return None


def enter() -> None:
    """Point ``HOME`` and the XDG folders at a fresh temporary folder for this session."""
    global _root
    _saved.update({k: os.environ.get(k) for k in _ENV})
    pip_config = os.environ.get("PIP_CONFIG_FILE") or _user_pip_config()
    tools = {k: os.environ.get(k) or str(Path.home() / sub) for k, sub in _TOOL_HOMES.items()}
    _root = Path(tempfile.mkdtemp(prefix="tinyguard-tests-"))
    home = _root / "home"
    home.mkdir()
    os.environ["HOME"] = str(home)
    for name, sub in (("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"),
                      ("XDG_DATA_HOME", ".local/share"), ("XDG_STATE_HOME", ".local/state")):
        os.environ[name] = str(home / sub)
    os.environ["MPLCONFIGDIR"] = str(_root / "matplotlib")
    if pip_config:
        os.environ["PIP_CONFIG_FILE"] = str(pip_config)
    for name, path in tools.items():
        if Path(path).is_dir():
            os.environ[name] = path


def leave() -> None:
    """Restore the environment and remove the session's folders."""
    for k, v in _saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    if _root is not None:
        shutil.rmtree(_root, ignore_errors=True)


def written(home: Path) -> list[str]:
    """Everything under ``home`` (relative paths, sorted)."""
    return sorted(str(p.relative_to(home)) for p in home.rglob("*"))


@pytest.fixture(autouse=True)
def home_stays_empty() -> Iterator[None]:
    """Fail the test that wrote under the home folder, naming what it wrote."""
    yield
    home = private_home()
    left = written(home)
    if left:
        for rel in sorted(left, reverse=True):  # children before their folders
            path = home / rel
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        pytest.fail(f"the test wrote under the user's home (HOME): {', '.join(left[:10])}"
                    f"{' ...' if len(left) > 10 else ''}; write into tmp_path instead", pytrace=False)
