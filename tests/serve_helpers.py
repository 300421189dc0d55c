"""What the serve tests share: a real ``guard-cli serve`` on a loopback port (a child process,
any free port), and plain HTTP to it."""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

GUARD_CLI = Path(sys.executable).parent / "guard-cli"
KEY = "test-key-7f3a"  # the API key of the keyed servers (in the environment variable KEY_ENV)
KEY_ENV = "TINYGUARD_TEST_API_KEY"
SERVE_PACKAGES = ("starlette", "uvicorn", "prometheus_client")


def start(*args: str, key: bool = False):  # -> ServerProcess
    """``guard-cli serve --port 0 ARGS`` running and ready (keyed with KEY when ``key``)."""
    from tinyguard.serve.process import ServerProcess

    env = {**os.environ, KEY_ENV: KEY}
    cmd = [str(GUARD_CLI), "serve", "--port", "0", *(["--api-key-env", KEY_ENV] if key else []), *args]
    server = ServerProcess(cmd, env=env)
    try:
        server.wait_ready()
    except BaseException:
        server.kill()
        raise
    return server


def call(url: str, method: str = "GET", body: Any = None, *, raw: bytes | None = None, key: str | None = KEY,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON answer or text) of one request with urllib."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    h = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, hdrs, text = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, dict(e.headers), e.read()
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text.decode("utf-8", "replace")


def assert_error(answer: Any, status: int, expected_status: int, code: str | None = None) -> dict[str, Any]:
    """``answer`` is OpenAI's error JSON with ``expected_status``; returns its ``error`` object."""
    assert status == expected_status, (status, answer)
    assert isinstance(answer, dict) and set(answer) == {"error"}, answer
    err = answer["error"]
    assert set(err) == {"message", "type", "param", "code"} and isinstance(err["message"], str) and err["message"]
    assert "Traceback" not in err["message"]
    if code is not None:
        assert err["code"] == code, err
    return err
