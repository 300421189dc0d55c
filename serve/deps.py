"""The ``serve`` extra (Starlette, uvicorn, prometheus-client), imported here only and only when
a server starts, so ``import tinyguard`` and every other command stay light.

Why Starlette on uvicorn: both are small, widely used and well kept (the base of FastAPI); the
routes here need no validation framework, the body can be read as a stream (so its limit is
enforced while reading), and uvicorn brings the rest: HTTP/1.1 keep-alive, ``--workers``
processes sharing one socket, and a graceful shutdown that lets in-flight requests finish.
"""
from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = "pip install 'tinyguard[serve]' (from a checkout: pip install -e '.[serve]')"
MODULES = ("starlette", "uvicorn", "prometheus_client")


def require() -> dict[str, ModuleType]:
    """The extra's modules by name; ImportError naming the install line when one is missing."""
    out = {}
    for name in MODULES:
        try:
            out[name] = importlib.import_module(name)
        except ImportError:
            raise ImportError(f"guard-cli serve needs the serve extra ({name} is missing): {INSTALL_HINT}") from None
    return out
