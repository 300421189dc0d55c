"""Prompt templates for the generators and the judge: text files in ``train/prompts/``.

Prompts are data, not code: edit a ``.txt`` file to change what the LLM is asked. A template
names its fields as ``{field}``; :func:`render` fails on a missing or unexpected field
instead of sending a half-filled prompt.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

PROMPT_DIR = Path(__file__).parent / "prompts"


@lru_cache(maxsize=None)
def load_template(name: str) -> str:
    path = PROMPT_DIR / f"{name}.txt"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROMPT_DIR.glob("*.txt")))
        raise KeyError(f"no prompt template {name!r} in {PROMPT_DIR}; known: {known}")
    return path.read_text(encoding="utf-8").strip()


def template_fields(name: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(load_template(name)) if f}


def render(name: str, **fields: str) -> str:
    """The template with every ``{field}`` filled; missing or unknown fields are errors."""
    wanted = template_fields(name)
    missing, extra = wanted - set(fields), set(fields) - wanted
    if missing or extra:
        raise ValueError(f"template {name!r} needs fields {sorted(wanted)}; "
                         f"missing {sorted(missing)}, unexpected {sorted(extra)}")
    return load_template(name).format(**fields)
