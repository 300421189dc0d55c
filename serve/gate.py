"""What a request must pass before any work is done for it: the API key, the body limit and the
bound on requests in flight.

* The key is compared in constant time (``hmac.compare_digest``) as a bearer token, the way
  OpenAI's clients send theirs.
* The body is read as a stream and refused (413) as soon as it passes the limit, so a client
  cannot make the server hold more than ``max_body_bytes`` of one request; a ``Content-Length``
  over the limit is refused before reading at all.
* At most ``max_pending`` requests are queued or being scored; one more is answered 429 at once
  (with ``Retry-After``), so a burst never builds an unbounded queue. uvicorn's own bound on
  connections (``--max-connections``) backs this up with 503.
"""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from tinyguard.serve.errors import AUTH, RATE, ApiError

if TYPE_CHECKING:
    from starlette.requests import Request


def check_key(request: "Request", key: str | None) -> None:
    """401 unless the request carries ``Authorization: Bearer <key>`` (nothing to check without a key)."""
    if key is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing API key: send it as 'Authorization: Bearer KEY'", type=AUTH,
                       code="missing_api_key", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.strip().encode("utf-8", "surrogateescape"), key.encode("utf-8")):
        raise ApiError(401, "incorrect API key", type=AUTH, code="invalid_api_key",
                       headers={"WWW-Authenticate": "Bearer"})


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than this server's limit of {limit} bytes",
                    code="request_too_large")


async def read_body(request: "Request", limit: int) -> bytes:
    """The whole body, or 413 once it passes ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large(limit)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number", code="invalid_header") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class Pending:
    """Requests admitted and not yet answered (queued or being scored). Event-loop thread only."""

    def __init__(self, limit: int):
        self.limit = limit
        self.count = 0

    def enter(self) -> None:
        if self.count >= self.limit:
            raise ApiError(429, f"server busy: {self.limit} requests are already being checked; retry shortly",
                           type=RATE, code="server_busy", headers={"Retry-After": "1"})
        self.count += 1

    def leave(self) -> None:
        self.count -= 1
