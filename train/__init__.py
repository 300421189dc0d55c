"""Training side: data registry, seed-data loaders, teacher fine-tuning.

Needs the ``train`` extra; :func:`require_train_extra` fails early with the exact fix.
"""
from __future__ import annotations

import importlib.util

INSTALL_HINT = "pip install torch==2.13.0 && pip install 'tinyguard[train]'  (from a checkout: pip install '.[train]')"


def require_train_extra(*modules: str) -> None:
    """Raise a one-line error naming the install command when a training library is missing."""
    wanted = modules or ("torch", "transformers", "safetensors", "datasketch", "sklearn")
    missing = [m for m in wanted if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(f"training needs {', '.join(missing)}; install it with: {INSTALL_HINT}")
