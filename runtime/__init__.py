"""tinyguard: an offline safety guard for LLM prompts and responses.

    >>> from tinyguard import Guard
    >>> guard = Guard.load()          # the bundled default model
    >>> guard.check("How do I kill a Python process?").flagged
    False

Importing this package loads no model, imports no torch and opens no socket.
"""
from __future__ import annotations

import importlib

__version__ = "0.2.0"  # the package; pyproject.toml reads it from here (the model has its own)

__all__ = ["Guard", "Verdict", "BundleError", "__version__"]

# Exported lazily (PEP 562) so `import tinyguard` loads neither numpy nor onnxruntime.
_LAZY = {"Guard": "tinyguard.scoring.guard", "Verdict": "tinyguard.scoring.guard", "BundleError": "tinyguard.bundle.folder",
         "StreamChecker": "tinyguard.scoring.stream"}


def __getattr__(name: str):  # noqa: ANN202 - module-level lazy attribute hook
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tinyguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
