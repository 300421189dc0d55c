"""Environment defaults for the training commands: no library reaches a network unless asked, and
none writes into the user's home.

The training code loads every model from a local path (``local_files_only=True``), so it needs no
model hub; these defaults make sure no library default reaches one either: Hugging Face's hub
client stays offline and sends no usage telemetry, and onnxruntime's telemetry is off
(:mod:`tinyguard.scoring.ortenv`). The one network the training side uses is the one a user names: the
``openai`` generator backend's ``--base-url`` (plain ``urllib``, untouched by these variables).

Measured (strace, fresh HOME, importing torch, transformers, peft, accelerate, onnx,
scikit-learn, matplotlib, cleanlab, datasketch, gguf, sentence-transformers): no library sends
anything at import. urllib3 (under huggingface_hub) binds a socket to ``::1`` to probe IPv6 and
matplotlib writes its font cache under ``~/.cache/matplotlib``; ``datasets`` is not used.

matplotlib (the curation and adversarial reports' plots) would write its font cache under
``~/.cache/matplotlib``: ``MPLCONFIGDIR`` points it at a folder of its own in the system's temporary
folder instead (kept between commands, so the cache is built once).

Set only where unset (``HF_HUB_OFFLINE=0`` in the environment still lets a user download), and
only when a training command runs: never at import, never by the runtime.
"""
from __future__ import annotations

import functools
import os
import tempfile
from typing import Any, Callable

from tinyguard.scoring.ortenv import disable_telemetry

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",  # huggingface_hub (and transformers through it): no HTTP call at all
    "TRANSFORMERS_OFFLINE": "1",  # the older transformers spelling of the same
    "HF_DATASETS_OFFLINE": "1",  # datasets, should a plugin or notebook pull it in
    "HF_HUB_DISABLE_TELEMETRY": "1",  # no usage pings even when a user turns HF_HUB_OFFLINE off
    "DO_NOT_TRACK": "1",  # the cross-tool convention (huggingface_hub honours it too)
}


def offline_env() -> dict[str, str]:
    """Set every :data:`OFFLINE_ENV` variable (and ``ORT_DISABLE_TELEMETRY``) that is unset; returns what it set."""
    applied = {}
    for name, value in OFFLINE_ENV.items():
        if not os.environ.get(name):
            os.environ[name] = applied[name] = value
    if not os.environ.get("MPLCONFIGDIR"):
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        os.environ["MPLCONFIGDIR"] = applied["MPLCONFIGDIR"] = \
            os.path.join(tempfile.gettempdir(), f"tinyguard-matplotlib-{user}")
    if disable_telemetry():
        applied["ORT_DISABLE_TELEMETRY"] = "1"
    return applied


def offline(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command's function (below the click decorators) to call :func:`offline_env` first.

    A group's callback runs before any of its subcommands, so decorating a group covers them all.
    """
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        offline_env()
        return callback(*args, **kwargs)

    run.offline_env = True  # type: ignore[attr-defined]  # for the test that every command has it
    return run
