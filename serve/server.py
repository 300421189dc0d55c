"""uvicorn under the app: the listening socket, ``--workers`` processes, draining on SIGTERM.

* The socket is bound here, before uvicorn starts, so ``--port 0`` (any free port) can be
  announced (``listening on http://HOST:PORT`` on stderr) and every worker shares it.
* SIGTERM (or Ctrl-C) stops accepting, lets the requests in flight finish (up to
  ``--drain-timeout`` seconds), stops the batchers, then exits 0. (uvicorn re-raises the signal
  after its own shutdown, which would end the process "killed by SIGTERM", exit status 143;
  :class:`DrainingServer` keeps the drain and drops the re-raise.)
* ``--workers N``: N processes, each with its own model copy and scoring thread, behind the one
  socket (uvicorn's supervisor). Processes share nothing, so scale-out is only that.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import os
import signal
import socket
import threading
from typing import Any, Iterator

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from tinyguard.bundle.folder import load_bundle
from tinyguard.cli.signing import trusted
from tinyguard.serve.app import build_app
from tinyguard.serve.settings import ENV, ServeSettings
from tinyguard.serve.tiers import load_tiers

log = logging.getLogger("tinyguard.serve")
FACTORY = "tinyguard.serve.server:app_from_environment"


class DrainingServer(uvicorn.Server):
    """uvicorn's server, ending normally (exit 0) once a SIGTERM or SIGINT drain is done."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("ready: answering requests (SIGTERM drains them and stops)")


def app_from_environment() -> Any:
    """The app of one ``--workers`` process, from the settings its parent put in :data:`ENV`."""
    settings = ServeSettings.from_json(os.environ[ENV])
    return build_app(load_tiers(settings), settings, settings.api_key())


def logging_config(settings: ServeSettings) -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["tinyguard.serve"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` (an address; ``localhost`` is 127.0.0.1, never looked up)."""
    address = "127.0.0.1" if host == "localhost" else host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def run(settings: ServeSettings) -> None:
    """Serve until SIGTERM/SIGINT, then drain and return. Raises ValueError/OSError/BundleError
    (one line each) before binding when the settings or a bundle are wrong."""
    settings.check_bind()
    key = settings.api_key()
    common: dict[str, Any] = dict(
        log_config=logging_config(settings), access_log=settings.access_log, limit_concurrency=settings.max_connections,
        timeout_graceful_shutdown=settings.drain_timeout_s, server_header=False, lifespan="on")
    if settings.workers == 1:
        tiers = load_tiers(settings)
        config = uvicorn.Config(build_app(tiers, settings, key), **common)
    else:
        for _, path in settings.models:  # fail here, once, rather than in every worker
            load_bundle(path, trusted_keys=trusted(settings.trusted_keys), allow_unsigned=settings.allow_unsigned)
        os.environ[ENV] = settings.to_json()  # the workers are spawned: they read their settings here
        config = uvicorn.Config(FACTORY, factory=True, workers=settings.workers, **common)
    sock = bind(settings.host, settings.port)
    log.info("listening on %s (%s; %d worker%s)", url_of(sock), ", ".join(f"{n}" for n, _ in settings.models),
             settings.workers, "s" if settings.workers > 1 else "")
    if settings.workers == 1:
        DrainingServer(config).run(sockets=[sock])
    else:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    log.info("stopped")
