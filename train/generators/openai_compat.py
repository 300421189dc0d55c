"""Any OpenAI-compatible endpoint (vLLM, llama.cpp's server, ...), stdlib only: chat completions, and the
completions endpoint for few-shot patterns (``complete=True``).

``cfg.concurrency`` requests in flight, ``cfg.timeout_s`` per request, ``cfg.retries`` retries
with exponential backoff on connection errors, timeouts, HTTP 429 and 5xx; any other HTTP error
fails at once with the server's message.
"""
from __future__ import annotations

import http.client
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from ..config import GeneratorConfig
from .base import GeneratorError, Progress, check_prompts, first_line, message


class _Retryable(Exception):
    """One failed try that may succeed if repeated."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


def check_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slash, or a GeneratorError saying what is wrong."""
    if not base_url:
        raise GeneratorError("the openai backend needs a base URL, e.g. http://127.0.0.1:8000/v1 "
                             "(--base-url, or base_url in [augment.generator])")
    u = urllib.parse.urlsplit(base_url)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise GeneratorError(f"base URL {base_url!r} is not an http(s) URL such as http://127.0.0.1:8000/v1")
    return base_url.rstrip("/")


class OpenAIGenerator:
    """Chat completions from ``{base_url}/chat/completions``. An empty ``cfg.model`` asks the
    server's ``/models`` once and uses the first model it serves. ``backoff_s``: the first
    retry's wait, doubled each retry (capped at 30 s); a 429's Retry-After is honoured."""

    def __init__(self, cfg: GeneratorConfig, *, progress: bool = False, backoff_s: float = 0.5) -> None:
        self.base_url = check_base_url(cfg.base_url)
        if cfg.concurrency < 1:
            raise GeneratorError(f"concurrency must be at least 1, not {cfg.concurrency}")
        self.cfg, self._progress, self._backoff = cfg, progress, backoff_s
        self._model = cfg.model
        self._lock = threading.Lock()
        self._abort = threading.Event()  # set when one prompt failed: the others stop retrying
        self.name = f"openai:{cfg.model or '?'}@{self.base_url}"

    # ------------------------------------------------------------------ one request

    def _headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.cfg.api_key_env) if self.cfg.api_key_env else None
        if key:
            h["Authorization"] = f"Bearer {key}"
        return h

    def _try(self, url: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(url, data=data, headers=self._headers(), method="GET" if data is None else "POST")
        try:
            with urllib.request.urlopen(req, timeout=self.cfg.timeout_s) as r:
                body = r.read()
        except urllib.error.HTTPError as e:
            msg = _server_message(e)
            if e.code == 429 or e.code >= 500:
                raise _Retryable(f"HTTP {e.code}: {msg}", _retry_after(e)) from e
            raise GeneratorError(f"{url}: HTTP {e.code}: {msg}") from e
        except urllib.error.URLError as e:  # refused, DNS, or a timeout while connecting
            raise _Retryable(f"cannot reach the server: {message(e.reason)}") from e
        except (TimeoutError, OSError, http.client.HTTPException) as e:  # read timeout, reset, bad status
            what = f"no reply within {self.cfg.timeout_s:g} s" if isinstance(e, TimeoutError) else message(e) or type(e).__name__
            raise _Retryable(what) from e
        try:
            return json.loads(body)
        except ValueError as e:
            raise GeneratorError(f"{url}: the reply is not JSON: {message(body[:200])}") from e

    def _request(self, url: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        tries = max(0, self.cfg.retries) + 1
        for attempt in range(tries):
            if self._abort.is_set():
                raise GeneratorError("cancelled: another prompt failed")
            try:
                return self._try(url, payload)
            except _Retryable as e:
                if attempt + 1 == tries:
                    raise GeneratorError(f"{url}: {e} (gave up after {tries} tries)") from e
                wait_s = min(30.0, self._backoff * 2 ** attempt)
                self._abort.wait(max(wait_s, min(e.retry_after or 0.0, 60.0)))
        raise AssertionError("unreachable")

    def _model_name(self) -> str:
        with self._lock:
            if not self._model:
                data = self._request(f"{self.base_url}/models", None).get("data") or []
                if not data or not data[0].get("id"):
                    raise GeneratorError(f"{self.base_url}/models lists no model; give one with --model")
                self._model = str(data[0]["id"])
                self.name = f"openai:{self._model}@{self.base_url}"
            return self._model

    def _one(self, prompt: str, max_tokens: int, temperature: float, seed: int, complete: bool = False) -> str:
        how = {"model": self._model, "max_tokens": max_tokens, "temperature": temperature, "top_p": self.cfg.top_p,
               "seed": seed}
        if complete:  # a few-shot pattern: the legacy completions endpoint, cut at the first line break
            url = f"{self.base_url}/completions"
            reply = self._request(url, {**how, "prompt": prompt, "stop": ["\n"]})
        else:
            url = f"{self.base_url}/chat/completions"
            reply = self._request(url, {**how, "messages": [{"role": "user", "content": prompt}]})
        try:
            choice = reply["choices"][0]
            content = choice["text"] if complete else choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as e:
            raise GeneratorError(f"{url}: unexpected reply shape: {message(json.dumps(reply)[:200])}") from e
        return first_line(content or "") if complete else (content or "").strip()

    # ------------------------------------------------------------------ the interface

    def generate(self, prompts: Sequence[str], *, max_tokens: int | None = None,
                 temperature: float | None = None, seed: int | None = None, complete: bool = False) -> list[str]:
        prompts = check_prompts(prompts)
        if not prompts:
            return []
        self._abort.clear()
        self._model_name()
        base = self.cfg.seed if seed is None else seed
        mt = self.cfg.max_tokens if max_tokens is None else max_tokens
        temp = self.cfg.temperature if temperature is None else temperature
        out: list[str | None] = [None] * len(prompts)
        with Progress(len(prompts), self._progress, self.name) as bar, \
                ThreadPoolExecutor(max_workers=min(self.cfg.concurrency, len(prompts))) as pool:
            futures = {pool.submit(self._one, p, mt, temp, base + i, complete): i for i, p in enumerate(prompts)}
            futures_left = set(futures)
            while futures_left:
                done, futures_left = wait(futures_left, return_when=FIRST_EXCEPTION)
                for f in done:
                    if f.exception() is not None:
                        self._abort.set()
                        for g in futures_left:
                            g.cancel()
                        raise f.exception()  # type: ignore[misc]
                    out[futures[f]] = f.result()
                    bar.update()
        return [s or "" for s in out]

    def close(self) -> None:
        pass


def _server_message(e: urllib.error.HTTPError) -> str:
    """The ``error.message`` of an OpenAI-style error body, else the body, on one line."""
    try:
        raw = e.read().decode("utf-8", "replace")
    except OSError:
        raw = ""
    try:
        j = json.loads(raw)
        err = j.get("error", j) if isinstance(j, dict) else j
        msg = err.get("message") or err.get("detail") or raw if isinstance(err, dict) else err
    except ValueError:
        msg = raw
    return message(msg or e.reason or "")


def _retry_after(e: urllib.error.HTTPError) -> float | None:
    try:
        return float(e.headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
