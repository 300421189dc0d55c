"""Prometheus metrics of one server process (``GET /metrics``): counts and latencies, never text.

One registry per app (not prometheus-client's global one), so two apps in one process -- the
tests -- do not share counters. With ``--workers N`` each process answers for itself; scrape
each, or sum what a scrape of the shared port happens to reach.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from tinyguard.verdict import Verdict

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """The counters a server keeps; :meth:`render` is the ``/metrics`` answer."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("tinyguard_requests", "HTTP requests answered, by endpoint and status",
                                ["endpoint", "status"], registry=r)
        self.latency = Histogram("tinyguard_request_seconds", "Time to answer a request, by endpoint",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.texts = Counter("tinyguard_texts", "Texts checked, by served model", ["model"], registry=r)
        self.flagged = Counter("tinyguard_flagged", "Texts flagged, by served model", ["model"], registry=r)
        self.unchecked = Counter("tinyguard_not_fully_checked", "Texts not fully checked, by served model",
                                 ["model"], registry=r)
        self.batch = Histogram("tinyguard_batch_texts", "Texts per scoring run (micro-batching)",
                               buckets=BATCH_BUCKETS, registry=r)
        self.pending = Gauge("tinyguard_pending_requests", "Requests queued or being scored", registry=r)

    def answered(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def verdicts(self, model: str, verdicts: "list[Verdict]") -> None:
        self.texts.labels(model).inc(len(verdicts))
        self.flagged.labels(model).inc(sum(v.flagged for v in verdicts))
        self.unchecked.labels(model).inc(sum(bool(v.unchecked) for v in verdicts))

    def render(self) -> bytes:
        return generate_latest(self.registry)
