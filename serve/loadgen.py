"""A closed-loop load generator: N client threads, each on one keep-alive connection, send a
fixed list of requests (each exactly once) and check every answer against its own request.

Why the standard library's ``http.client`` and threads: the load must cost the machine as little
as possible (it shares the CPU with the server it measures), and the bench must run where only
the runtime and the serve extra are installed. A request's latency is from just before it is
sent to its whole answer read. The run stops by itself when the list is done.
"""
from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit


@dataclass
class Outcome:
    """What a run saw: per-request latencies (ms) of answered requests, statuses, and problems."""

    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # transport errors and non-200 answers (first 20)
    error_count: int = 0
    mismatched: list[int] = field(default_factory=list)  # request indexes whose answer was not theirs
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())


def drive(url: str, path: str, bodies: list[bytes], clients: int, *,
          check: Callable[[int, Any], bool] | None = None, headers: dict[str, str] | None = None,
          on_done: Callable[[int], None] | None = None, timeout_s: float = 60.0) -> Outcome:
    """POST ``bodies[i]`` to ``url + path`` once each from ``clients`` threads; ``check(i, json)``
    says whether answer i matches request i. ``on_done(n)`` is called (from a client thread)
    after every completed request with the count so far."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    send_headers = {"Content-Type": "application/json", **(headers or {})}
    order = itertools.count()
    out = Outcome()
    lock = threading.Lock()
    done = itertools.count(1)

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        try:
            while True:
                i = next(order)
                if i >= len(bodies):
                    return
                start = time.perf_counter()
                try:
                    conn.request("POST", path, body=bodies[i], headers=send_headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException) as e:
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
                    with lock:
                        out.error_count += 1
                        if len(out.errors) < 20:
                            out.errors.append(f"request {i}: {type(e).__name__}: {e}")
                    continue
                ms = (time.perf_counter() - start) * 1000.0
                ok = status == 200
                matched = True
                if ok and check is not None:
                    try:
                        matched = check(i, json.loads(data))
                    except (ValueError, KeyError, IndexError, TypeError):
                        matched = False
                with lock:
                    out.statuses[status] = out.statuses.get(status, 0) + 1
                    if ok:
                        out.latencies_ms.append(ms)
                    else:
                        out.error_count += 1
                        if len(out.errors) < 20:
                            out.errors.append(f"request {i}: HTTP {status}: {data[:200]!r}")
                    if not matched:
                        out.mismatched.append(i)
                if on_done is not None:
                    on_done(next(done))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, name=f"load-{k}", daemon=True) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.seconds = time.perf_counter() - start
    out.sent = len(bodies)
    return out
