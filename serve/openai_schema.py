"""OpenAI's moderation API: the request read into texts, verdicts written as its response.

Request (``POST /v1/moderations``): ``input`` is a string, a list of strings, or a list of
``{"type": "text", "text": ...}`` parts (one input, its parts read as one text joined by
newlines, as OpenAI answers one result for them); ``model`` picks a served tier (see
:mod:`tinyguard.serve.tiers`). Image parts are refused (this guard reads text only: silently
skipping them would fail open). Unknown fields are refused, as OpenAI does.

Response: ``id``, ``model`` (the bundle that answered, ``name@version``) and one result per
input with ``flagged`` (the guard's verdict), ``categories``, ``category_scores`` and
``category_applied_input_types`` under OpenAI's category names, through the one table
:data:`tinyguard.taxonomy.OPENAI_CATEGORIES`. tinyguard's own answer -- the whole verdict of
``guard-cli check`` (score, every category of its taxonomy, what was not fully checked), the
categories that fired and the OpenAI categories it has no counterpart for -- rides under the one
extra key ``"tinyguard"``, which OpenAI's clients ignore.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tinyguard.inputs import surrogate_note
from tinyguard.serve.errors import bad_request
from tinyguard.serve.validate import check_count, check_text, json_type
from tinyguard.taxonomy import OPENAI_CATEGORIES, OPENAI_NOT_SCORED

if TYPE_CHECKING:
    from tinyguard.verdict import Verdict

FIELDS = ("input", "model")
EXTRA_KEY = "tinyguard"


def parse_request(obj: Any, *, max_inputs: int, max_text_chars: int) -> tuple[list[str], Any]:
    """(texts, requested model name or None); 400 for anything OpenAI's schema does not allow."""
    if not isinstance(obj, dict):
        raise bad_request(f"the request body must be a JSON object, not {json_type(obj)}", code="invalid_type")
    for key in obj:
        if key not in FIELDS:
            raise bad_request(f"unrecognized request argument supplied: {key}", param=key,
                              code="unknown_parameter")
    if "input" not in obj:
        raise bad_request("missing required parameter: 'input'", param="input", code="missing_required_parameter")
    model = obj.get("model")
    if model is not None and not isinstance(model, str):
        raise bad_request(f"model must be a string, not {json_type(model)}", param="model", code="invalid_type")
    value = obj["input"]
    if isinstance(value, str):
        return [check_text(value, "input", max_text_chars)], model
    if not isinstance(value, list):
        raise bad_request(f"input must be a string, a list of strings or a list of text parts, not "
                          f"{json_type(value)}", param="input", code="invalid_type")
    check_count(len(value), "input", max_inputs)
    if all(isinstance(v, dict) for v in value):
        return [check_text(_parts_text(value), "input", max_text_chars)], model
    if not all(isinstance(v, str) for v in value):
        bad = next(i for i, v in enumerate(value) if not isinstance(v, str))
        raise bad_request(f"input[{bad}] must be a string like the rest of the list, not {json_type(value[bad])}",
                          param=f"input[{bad}]", code="invalid_type")
    return [check_text(v, f"input[{i}]", max_text_chars) for i, v in enumerate(value)], model


def _parts_text(parts: list[dict[str, Any]]) -> str:
    texts = []
    for i, part in enumerate(parts):
        where = f"input[{i}]"
        kind = part.get("type")
        if kind == "image_url":
            raise bad_request(f"{where} is an image; this server checks text only", param=where,
                              code="unsupported_input_type")
        if kind != "text":
            raise bad_request(f"{where}.type must be \"text\", not {kind!r}", param=f"{where}.type",
                              code="invalid_value")
        unknown = sorted(set(part) - {"type", "text"})
        if unknown:
            raise bad_request(f"{where} has unknown fields {unknown}", param=where, code="unknown_parameter")
        if not isinstance(part.get("text"), str):
            raise bad_request(f"{where}.text must be a string, not {json_type(part.get('text'))}",
                              param=f"{where}.text", code="invalid_type")
        texts.append(part["text"])
    return "\n".join(texts)


def result(v: "Verdict", text: str) -> dict[str, Any]:
    """One input's result: OpenAI's fields, then tinyguard's verdict under :data:`EXTRA_KEY`."""
    categories, scores, applied = {}, {}, {}
    for name, ours in OPENAI_CATEGORIES:
        categories[name] = any(v.categories[c] for c in ours)
        scores[name] = max((v.category_scores[c] for c in ours), default=0.0)
        applied[name] = ["text"] if ours else []
    extra = {**v.to_dict(), "categories_fired": [c for c, on in v.categories.items() if on],
             "openai_categories_not_scored": list(OPENAI_NOT_SCORED)}
    note = surrogate_note(text)
    if note:
        extra["warning"] = note
    return {"flagged": v.flagged, "categories": categories, "category_scores": scores,
            "category_applied_input_types": applied, EXTRA_KEY: extra}


def response(model_id: str, texts: list[str], verdicts: list["Verdict"]) -> dict[str, Any]:
    return {"id": f"modr-{uuid.uuid4().hex}", "model": model_id,
            "results": [result(v, t) for v, t in zip(verdicts, texts)]}
