"""OpenAI's error JSON, the one shape every error of the server takes.

``{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`` is what OpenAI's API
answers and what its clients parse (``openai.BadRequestError`` and friends read it), so a client
pointed at this server reports our errors the way it reports OpenAI's. Messages never quote a
request's text: they name where the problem is (``input[3]``) and what was wrong.
"""
from __future__ import annotations

from typing import Any

INVALID = "invalid_request_error"
AUTH = "authentication_error"
RATE = "rate_limit_error"
SERVER = "server_error"


class ApiError(Exception):
    """An error answer: HTTP ``status`` and the fields of OpenAI's error object."""

    def __init__(self, status: int, message: str, *, type: str = INVALID, param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def bad_request(message: str, param: str | None = None, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)
