"""``POST /v1/check``: what OpenAI's schema cannot say, answered with ``guard-cli check``'s JSON.

Request: one object with the fields of a ``guard-cli check --input`` JSON line -- ``text``,
optional ``role`` (``prompt``/``response``) and ``context`` (the prompt a response answers) --
plus an optional ``on_unchecked`` (``flag``/``report``/``pass``: what a text not fully checked
means, default the server's), or a list of such objects; ``?model=NAME`` picks a served tier.
Unknown fields are refused (a misspelt ``role`` must not quietly check a response as a prompt).

Response: the verdict object of ``guard-cli check`` for one object, a list of them, in order,
for a list (with ``"warning"`` where a lone surrogate was replaced, as ``check`` writes it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinyguard.inputs import Item, LineError, object_item, surrogate_note
from tinyguard.serve.errors import bad_request
from tinyguard.serve.validate import check_count, check_text, json_type
from tinyguard.verdict import UNCHECKED_POLICIES

if TYPE_CHECKING:
    from tinyguard.verdict import Verdict

FIELDS = ("text", "role", "context", "on_unchecked")


def parse_request(obj: Any, *, max_inputs: int, max_text_chars: int,
                  default_policy: str) -> tuple[list[Item], str, bool]:
    """(items, unchecked policy, whether the request was one object); 400 for a bad request.
    The items of one request share one policy (a list with different ones is refused)."""
    single = isinstance(obj, dict)
    if not single and not isinstance(obj, list):
        raise bad_request(f"the request body must be a JSON object or a list of objects, not {json_type(obj)}",
                          code="invalid_type")
    values = [obj] if single else obj
    check_count(len(values), "the request", max_inputs)
    items, policies = [], set()
    for i, value in enumerate(values):
        where = "" if single else f"[{i}]"
        if isinstance(value, dict):
            unknown = [k for k in value if k not in FIELDS]
            if unknown:
                raise bad_request(f"{where or 'the request'}: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})",
                                  param=f"{where}.{unknown[0]}".lstrip("."), code="unknown_parameter")
            check_text(value.get("text"), f"{where}.text".lstrip("."), max_text_chars)
            if value.get("context") is not None:
                check_text(value["context"], f"{where}.context".lstrip("."), max_text_chars, what="context")
            policy = value.get("on_unchecked", default_policy)
            if policy not in UNCHECKED_POLICIES:
                raise bad_request(f"{where}.on_unchecked must be one of {list(UNCHECKED_POLICIES)}, not {policy!r}"
                                  .lstrip("."), param=f"{where}.on_unchecked".lstrip("."))
            policies.add(policy)
        try:
            items.append(object_item(value, i, "prompt", ""))
        except LineError as e:
            raise bad_request(f"{where + ': ' if where else ''}{e}", param=where or None) from None
    if len(policies) > 1:
        raise bad_request(f"one on_unchecked per request, not {sorted(policies)}", param="on_unchecked")
    return items, policies.pop() if policies else default_policy, single


def response(items: list[Item], verdicts: list["Verdict"], single: bool) -> Any:
    out = []
    for item, v in zip(items, verdicts):
        record = v.to_dict()
        note = surrogate_note(item.text + item.context)
        if note:
            record["warning"] = note
        out.append(record)
    return out[0] if single else out
