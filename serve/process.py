"""A ``guard-cli serve`` in a child process: started, its URL read from its log, its memory
read, stopped with SIGTERM. Used by ``guard-cli bench --serve`` (and the tests), so the server
measured is the one users run, in a process of its own.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from http.client import HTTPConnection, HTTPException
from typing import Any, Sequence
from urllib.parse import urlsplit

LISTENING = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    """``cmd`` (a ``guard-cli serve --port 0 ...`` line) running; ``url`` once it listens."""

    def __init__(self, cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
                 start_timeout_s: float = 120.0):
        self.cmd = list(cmd)
        self.log: list[str] = []
        self._listening = threading.Event()
        self.url = ""
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._listening.wait(start_timeout_s) or not self.url:
            self.kill()
            raise RuntimeError(f"the server did not start (exit {self.proc.poll()}): {' '.join(self.log)[-1500:]}")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line.rstrip("\n"))
            m = LISTENING.search(line)
            if m and not self.url:
                self.url = m.group(1)
                self._listening.set()
        self._listening.set()  # exited before listening

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout_s: float = 120.0, headers: dict[str, str] | None = None) -> None:
        """Until ``GET /readyz`` answers 200."""
        deadline = time.monotonic() + timeout_s
        while True:
            # http.client, as the load generator: straight to the loopback port. urllib.request
            # would honour http_proxy from the environment and could send the poll elsewhere.
            where = urlsplit(self.url)
            conn = HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=5)
            try:
                conn.request("GET", "/readyz", headers=headers or {})
                if conn.getresponse().status == 200:
                    return
            except (OSError, HTTPException):
                pass
            finally:
                conn.close()
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server never became ready (exit {self.proc.poll()}): "
                                   f"{' '.join(self.log)[-1500:]}")
            time.sleep(0.1)

    def memory_mb(self) -> dict[str, float] | None:
        """The process's resident memory now and its peak (VmRSS, VmHWM; MiB); None off Linux."""
        return memory_mb(self.pid)

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM, then its exit status (it drains in-flight requests first)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError("the server did not stop within its drain time after SIGTERM") from None
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds the process has used (all its threads); None off Linux.
    Less sensitive than wall time to other work on a busy machine."""
    try:
        fields = open(f"/proc/{pid}/stat", encoding="utf-8").read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float] | None:
    try:
        text = open(f"/proc/{pid}/status", encoding="utf-8").read()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    try:
        return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "peak_rss_mb": int(fields["VmHWM"].split()[0]) / 1024}
    except (KeyError, ValueError):
        return None

