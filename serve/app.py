"""The Starlette app: routes, their handlers, and the scoring service behind them.

Every handler runs the same steps: the API key (:mod:`~tinyguard.serve.gate`), the body read
within its limit, JSON and the endpoint's schema checked, a place among the requests in flight,
then the texts queued for the micro-batcher (:mod:`~tinyguard.serve.batching`), which scores
them on its own thread. Every error, ours or Starlette's (404, 405), leaves as OpenAI's error
JSON; an unexpected exception is a 500 with no traceback in the answer, and the log names only
its type unless ``--log-text`` was given (an exception message may quote a text).

Routes: ``POST /v1/moderations`` (OpenAI), ``POST /v1/check`` (native), ``GET /v1/models``
(and ``/v1/models/{name}``), ``GET /healthz`` (the process answers), ``GET /readyz`` (every
bundle loaded and verified, the batchers running), ``GET /metrics`` (Prometheus). All but the
two probes need the API key when the server has one.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tinyguard.scoring.languages import identifier as language_model

from tinyguard.serve import native_schema, openai_schema
from tinyguard.serve.batching import Batcher
from tinyguard.serve.errors import SERVER, ApiError
from tinyguard.serve.gate import Pending, check_key, read_body
from tinyguard.serve.metrics import Metrics
from tinyguard.serve.settings import ServeSettings
from tinyguard.serve.tiers import Tier, Tiers
from tinyguard.serve.validate import parse_json

log = logging.getLogger("tinyguard.serve")
Handler = Callable[[Request], Awaitable[Response]]


def error_response(e: ApiError) -> JSONResponse:
    return JSONResponse(e.body(), status_code=e.status, headers=e.headers)


class Service:
    """What the routes share: the tiers, their batchers, the limits, the key and the metrics."""

    def __init__(self, tiers: Tiers, settings: ServeSettings, api_key: str | None):
        self.tiers = tiers
        self.settings = settings
        self.key = api_key
        self.metrics = Metrics()
        self.pending = Pending(settings.max_pending)
        self.batchers: dict[str, Batcher] = {}
        self.executor: ThreadPoolExecutor | None = None
        self.ready = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        # One scoring thread: a run already uses --threads onnxruntime threads; more processes: --workers.
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="tinyguard-score")
        s = self.settings
        for tier in self.tiers.all:
            b = Batcher(tier.guard, self.executor, max_batch=s.max_batch, wait_s=s.batch_wait_ms / 1000.0,
                        model_batch=s.model_batch, on_batch=lambda _r, n: self.metrics.batch.observe(n))
            b.start()
            self.batchers[tier.name] = b
        # the language model loads on the first text that needs it (~0.5 s): here, before /readyz says ready
        await asyncio.get_running_loop().run_in_executor(self.executor, language_model)
        self.ready = True

    async def stop(self) -> None:
        """After uvicorn has drained the connections: stop the batchers and the scoring thread."""
        self.ready = False
        for b in self.batchers.values():
            await b.close()
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    # ------------------------------------------------------------ the shared steps

    def endpoint(self, name: str, fn: Handler, *, auth: bool = True) -> Handler:
        async def handle(request: Request) -> Response:
            start = time.perf_counter()
            try:
                if auth:
                    check_key(request, self.key)
                response = await fn(request)
            except ApiError as e:
                response = error_response(e)
            except ClientDisconnect:
                response = error_response(ApiError(400, "the client went away before sending its body"))
            except Exception as e:  # noqa: BLE001 - the contract: an error object, never a traceback
                if self.settings.log_text:
                    log.exception("internal error answering %s", name)
                else:
                    log.error("internal error answering %s: %s (--log-text logs the traceback)", name,
                              type(e).__name__)
                response = error_response(ApiError(500, "internal error; the server's log names it",
                                                   type=SERVER, code="internal_error"))
            self.metrics.answered(name, response.status_code, time.perf_counter() - start)
            return response
        return handle

    async def body(self, request: Request) -> Any:
        return parse_json(await read_body(request, self.settings.max_body_bytes))

    async def score(self, tier: Tier, texts: list[str], roles: list[str], contexts: list[str],
                    policy: str, endpoint: str) -> list[Any]:
        self.pending.enter()
        self.metrics.pending.inc()
        try:
            if self.settings.log_text:
                log.info("%s to %s: %s", endpoint, tier.name, json.dumps(texts, ensure_ascii=False))
            verdicts = await self.batchers[tier.name].check(texts, roles, contexts, policy)
        except (ValueError, TypeError) as e:  # the guard refused a text the checks let through
            raise ApiError(400, f"the input could not be checked: {' '.join(str(e).split())}") from None
        except RuntimeError as e:
            raise ApiError(503, f"not accepting work: {e}", type=SERVER, code="unavailable") from None
        finally:
            self.pending.leave()
            self.metrics.pending.dec()
        self.metrics.verdicts(tier.name, verdicts)
        return verdicts

    # ------------------------------------------------------------ the routes

    async def moderations(self, request: Request) -> Response:
        s = self.settings
        texts, model = openai_schema.parse_request(await self.body(request), max_inputs=s.max_inputs,
                                                   max_text_chars=s.max_text_chars)
        tier = self.tiers.resolve(model)
        verdicts = await self.score(tier, texts, ["prompt"] * len(texts), [""] * len(texts), s.on_unchecked,
                                    "moderations")
        return JSONResponse(openai_schema.response(tier.guard.model_id, texts, verdicts))

    async def check(self, request: Request) -> Response:
        s = self.settings
        items, policy, single = native_schema.parse_request(
            await self.body(request), max_inputs=s.max_inputs, max_text_chars=s.max_text_chars,
            default_policy=s.on_unchecked)
        tier = self.tiers.resolve(request.query_params.get("model"))
        verdicts = await self.score(tier, [i.text for i in items], [i.role for i in items],
                                    [i.context for i in items], policy, "check")
        return JSONResponse(native_schema.response(items, verdicts, single))

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": self.tiers.describe()})

    async def model(self, request: Request) -> Response:
        name = request.path_params["name"]
        for entry in self.tiers.describe():
            if entry["id"] == name:
                return JSONResponse(entry)
        raise ApiError(404, f"the model '{name}' is not served here; GET /v1/models lists them",
                       param="model", code="model_not_found")

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        if not self.ready:
            raise ApiError(503, "not ready: the models are loading or the server is stopping", type=SERVER,
                           code="not_ready")
        return JSONResponse({"status": "ready", "models": [t.guard.model_id for t in self.tiers.all]})

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=self.metrics.content_type)


def build_app(tiers: Tiers, settings: ServeSettings, api_key: str | None) -> Starlette:
    """The ASGI app serving ``tiers``; loading happened before (bundles verified by Guard.load)."""
    svc = Service(tiers, settings, api_key)
    e = svc.endpoint
    routes = [
        Route("/v1/moderations", e("moderations", svc.moderations), methods=["POST"]),
        Route("/v1/check", e("check", svc.check), methods=["POST"]),
        Route("/v1/models", e("models", svc.models), methods=["GET"]),
        Route("/v1/models/{name:path}", e("models", svc.model), methods=["GET"]),
        Route("/healthz", e("healthz", svc.healthz, auth=False), methods=["GET"]),
        Route("/readyz", e("readyz", svc.readyz, auth=False), methods=["GET"]),
        Route("/metrics", e("metrics", svc.prometheus), methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await svc.start()
        try:
            yield
        finally:
            await svc.stop()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        message = {404: f"no such endpoint: {request.url.path}",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        return error_response(ApiError(exc.status_code, message, code=code, headers=dict(exc.headers or {})))

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error})
    app.state.service = svc
    return app
