"""Every limit and switch of a server, in one checked value (``guard-cli serve``'s options).

Why one dataclass: the click command, the app and each ``--workers`` process must agree on
them; workers are fresh interpreters, so the settings travel to them as JSON in an environment
variable (:data:`ENV`) and are checked again there by the same code. The API key itself never
travels in the settings: only the name of the variable that holds it.
"""
from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

ENV = "TINYGUARD_SERVE_SETTINGS"  # the settings of a --workers process, as JSON
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB
DEFAULT_MAX_INPUTS = 64  # texts per request
DEFAULT_MAX_TEXT_CHARS = 100_000  # characters per text, as sent (the guard reads 100,000 normalized)
DEFAULT_MAX_PENDING = 256  # requests queued or being scored; more are answered 429 at once
DEFAULT_MAX_BATCH = 64  # texts per scoring run
DEFAULT_MAX_CONNECTIONS = 1024  # uvicorn's own bound (connections and tasks): beyond it, 503


@dataclass(frozen=True)
class ServeSettings:
    """What a server binds, serves and refuses. ``models``: (name, bundle folder or None for the
    installed default), the first is the default tier."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    models: tuple[tuple[str, str | None], ...] = (("default", None),)
    backend: str = "auto"
    trusted_keys: tuple[str, ...] = ()
    allow_unsigned: bool = False
    defenses: bool = True
    api_key_env: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_inputs: int = DEFAULT_MAX_INPUTS
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    max_pending: int = DEFAULT_MAX_PENDING
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    threads: int = 1
    max_batch: int = DEFAULT_MAX_BATCH
    batch_wait_ms: float = 0.0
    model_batch: int = 1
    max_chars: int = 100_000
    min_coverage: float = 0.5
    on_unchecked: str = "flag"
    workers: int = 1
    drain_timeout_s: float = 30.0
    log_text: bool = False
    access_log: bool = False

    def __post_init__(self) -> None:
        for name in ("port",):
            _int(self, name, 0, 65535)
        for name in ("max_body_bytes", "max_inputs", "max_text_chars", "max_pending", "max_connections",
                     "threads", "max_batch", "model_batch", "max_chars", "workers"):
            _int(self, name, 1, None)
        if not isinstance(self.batch_wait_ms, (int, float)) or not 0 <= self.batch_wait_ms <= 1000:
            raise ValueError(f"batch_wait_ms must be in [0, 1000], not {self.batch_wait_ms!r}")
        if not isinstance(self.drain_timeout_s, (int, float)) or self.drain_timeout_s < 0:
            raise ValueError(f"drain_timeout_s must be >= 0, not {self.drain_timeout_s!r}")
        if not self.models:
            raise ValueError("no model to serve")
        names = [n for n, _ in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must differ: {names}")

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def api_key(self) -> str | None:
        """The key from ``api_key_env``; ValueError when that variable is unset or empty."""
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key.strip():
            raise ValueError(f"--api-key-env {self.api_key_env}: that environment variable is unset or empty")
        return key

    def check_bind(self) -> None:
        """Refuse to listen beyond this machine without an API key."""
        if not self.loopback and self.api_key_env is None:
            raise ValueError(f"refusing to bind {self.host} (not a loopback address) without an API key: "
                             f"pass --api-key-env NAME (the variable holding the key clients send as a bearer token)")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "ServeSettings":
        raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown settings {unknown}")
        raw["models"] = tuple((str(n), p) for n, p in raw.get("models", ()))
        raw["trusted_keys"] = tuple(raw.get("trusted_keys", ()))
        return cls(**raw)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address. Names other than ``localhost`` are not looked up
    (that would be a DNS query): they count as not loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _int(s: ServeSettings, name: str, low: int, high: int | None) -> None:
    v = getattr(s, name)
    if isinstance(v, bool) or not isinstance(v, int) or v < low or (high is not None and v > high):
        raise ValueError(f"{name} must be an integer >= {low}{'' if high is None else f' and <= {high}'}, not {v!r}")
