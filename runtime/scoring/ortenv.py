"""The one way tinyguard imports onnxruntime: with onnxruntime's telemetry switched off first.

Why: official onnxruntime wheels from 1.29 on start a telemetry uploader in native code when
the library loads (microsoft/onnxruntime#27379). On 1.32.0 a native thread resolved
``mobile.events.data.microsoft.com`` seconds after ``import onnxruntime`` and the library wrote
``~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db}`` and ``$TMPDIR/.ses``;
Python's ``socket`` never saw any of it. The documented opt-out, ``ORT_DISABLE_TELEMETRY``, is
read once when the library loads; ``onnxruntime.disable_telemetry_events()`` called after the
import came too late (measured on 1.32.0: the DNS queries and the files still appeared).

So every onnxruntime import in tinyguard (runtime, export, distill; a test checks there is no
other) goes through :func:`import_onnxruntime`, which sets ``ORT_DISABLE_TELEMETRY=1`` unless
the variable already has a value — a user's own choice, ``0`` included, is kept.

It is set at the first onnxruntime import and not at ``import tinyguard``: importing the package
edits no environment (a process that only reads the taxonomy is left alone), and the variable
matters only up to the moment onnxruntime loads. It stays set afterwards (child processes
inherit it), which is the one environment edit the runtime makes; docs/privacy.md says so.
"""
from __future__ import annotations

import os
import sys
import warnings
from types import ModuleType

TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


def disable_telemetry() -> bool:
    """Set ``ORT_DISABLE_TELEMETRY=1`` unless it is set already; True when this call set it.

    Only effective before onnxruntime is first imported in the process.
    """
    if os.environ.get(TELEMETRY_ENV):
        return False
    os.environ[TELEMETRY_ENV] = "1"
    return True


def import_onnxruntime() -> ModuleType:
    """``import onnxruntime``, with its telemetry disabled if this is the process's first import.

    If something imported onnxruntime earlier without the opt-out, its uploader is already
    running and cannot be stopped from here; that is said once with a RuntimeWarning rather
    than left silent.
    """
    if "onnxruntime" not in sys.modules:
        disable_telemetry()
    elif not os.environ.get(TELEMETRY_ENV):
        warnings.warn("onnxruntime was imported before tinyguard could switch its telemetry off; set "
                      f"{TELEMETRY_ENV}=1 before importing onnxruntime (see docs/privacy.md)",
                      RuntimeWarning, stacklevel=2)
    import onnxruntime

    return onnxruntime
