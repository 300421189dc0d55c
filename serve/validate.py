"""The checks every text passes before it queues: a string, not blank once normalized, not
longer than the server's limit. Both endpoints use them, so a text that would make the guard
refuse a whole batch never reaches one.
"""
from __future__ import annotations

import json
from typing import Any

from tinyguard.serve.errors import ApiError, bad_request
from tinyguard.text.normalize import normalize


def parse_json(body: bytes) -> Any:
    """The body as JSON; 400 with why when it is not (never a traceback)."""
    if not body.strip():
        raise bad_request("the request body is empty; send a JSON object", code="invalid_json")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise bad_request("the request body is not valid UTF-8", code="invalid_json") from None
    except json.JSONDecodeError as e:
        raise bad_request(f"the request body is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})",
                          code="invalid_json") from None
    except RecursionError:
        raise bad_request("the request body is not valid JSON (nested too deeply)", code="invalid_json") from None


def json_type(value: Any) -> str:
    return {type(None): "null", dict: "an object", list: "a list", bool: "a boolean", int: "a number",
            float: "a number", str: "a string"}.get(type(value), type(value).__name__)


def check_text(text: Any, where: str, max_chars: int, *, what: str = "text") -> str:
    """``text`` when it can be checked; 400 naming ``where`` (never quoting the text) when not."""
    if not isinstance(text, str):
        raise bad_request(f"{where} must be a string, not {json_type(text)}", param=where, code="invalid_type")
    if len(text) > max_chars:
        raise ApiError(400, f"{where} is {len(text)} characters long; this server's limit is {max_chars}",
                       param=where, code="text_too_long")
    if what == "text" and (not text.strip() or not normalize(text).strip()):
        raise bad_request(f"{where} is empty (nothing to check once normalized)", param=where, code="empty_input")
    return text


def check_count(n: int, where: str, max_inputs: int) -> None:
    if n == 0:
        raise bad_request(f"{where} is an empty list; send at least one text", param=where, code="empty_input")
    if n > max_inputs:
        raise bad_request(f"{where} holds {n} texts; this server's limit is {max_inputs} per request",
                          param=where, code="too_many_inputs")
