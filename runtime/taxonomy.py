"""The label taxonomy shared by training, export and runtime.

Binary ``unsafe`` plus per-category scores. Categories follow the MLCommons hazard
taxonomy used by Llama Guard 3 (S1-S14) plus ``jailbreak`` for prompt attacks.
The order of :data:`CATEGORIES` is the order of the model's category logits, so it
must never be reordered without bumping the bundle schema.
"""
from __future__ import annotations

from typing import Final

#: (code, name, one-line description), in logit order.
CATEGORY_TABLE: Final[tuple[tuple[str, str, str], ...]] = (
    ("S1", "violent_crimes", "violence against people or animals, terrorism, murder"),
    ("S2", "non_violent_crimes", "fraud, theft, hacking, drugs, weapons trade, cyber crime"),
    ("S3", "sex_related_crimes", "sex trafficking, sexual assault, harassment"),
    ("S4", "child_sexual_exploitation", "sexual content involving minors"),
    ("S5", "defamation", "verifiably false statements that injure a living person"),
    ("S6", "specialized_advice", "unqualified financial, medical or legal advice"),
    ("S7", "privacy", "exposing sensitive personal information, doxxing, surveillance"),
    ("S8", "intellectual_property", "piracy, infringing copyright or trademarks"),
    ("S9", "indiscriminate_weapons", "chemical, biological, radiological, nuclear, explosives"),
    ("S10", "hate", "demeaning people for protected characteristics"),
    ("S11", "suicide_self_harm", "suicide, self-injury, disordered eating"),
    ("S12", "sexual_content", "explicit sexual content"),
    ("S13", "elections", "false information about electoral processes"),
    ("S14", "code_interpreter_abuse", "abusing code execution: escapes, DoS, privilege escalation"),
    ("jailbreak", "jailbreak", "prompt attacks: jailbreak templates, prompt injection, hijacking"),
)

CATEGORIES: Final[tuple[str, ...]] = tuple(name for _, name, _ in CATEGORY_TABLE)
CODE_TO_NAME: Final[dict[str, str]] = {code: name for code, name, _ in CATEGORY_TABLE}
#: Width of every model's output (ONNX logits, GGUF head, teacher and student heads, score
#: arrays): column 0 is the binary ``unsafe`` logit, then one column per category in order.
N_OUTPUTS: Final[int] = 1 + len(CATEGORIES)
#: The name of each output column, in order.
OUTPUT_NAMES: Final[tuple[str, ...]] = ("unsafe", *CATEGORIES)

LABELS: Final[tuple[str, ...]] = ("safe", "unsafe")
ROLES: Final[tuple[str, ...]] = ("prompt", "response")


def check_categories(names: list[str] | tuple[str, ...]) -> list[str]:
    """Return ``names`` unchanged, raising ValueError on any name outside the taxonomy."""
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown:
        raise ValueError(f"unknown categories {unknown}; expected names from {list(CATEGORIES)}")
    return list(names)


# ---------------------------------------------------------------- OpenAI's moderation categories

#: OpenAI's moderation categories (``omni-moderation``), in the order its Python SDK lists them, each
#: with the categories of :data:`CATEGORIES` that answer for it. This is the one table between
#: the two taxonomies (``guard-cli serve`` reports through it; docs/server.md explains it).
#:
#: An OpenAI category is flagged when one of its categories fired, and its score is their highest
#: score. An empty tuple means the model has no counterpart: the category is reported ``false``
#: with score 0.0 and named in :data:`OPENAI_NOT_SCORED`, never given a score borrowed from a
#: neighbour (``hate`` is not ``hate/threatening``). The categories of this taxonomy with no
#: OpenAI counterpart (:data:`OPENAI_UNMAPPED`: defamation, jailbreak, ...) still count in the
#: verdict's ``flagged``, so an OpenAI answer may be flagged with no OpenAI category true.
OPENAI_CATEGORIES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("harassment", ()),
    ("harassment/threatening", ()),
    ("hate", ("hate",)),
    ("hate/threatening", ()),
    ("illicit", ("non_violent_crimes",)),
    ("illicit/violent", ("violent_crimes", "sex_related_crimes", "indiscriminate_weapons")),
    ("self-harm", ("suicide_self_harm",)),
    ("self-harm/instructions", ()),
    ("self-harm/intent", ()),
    ("sexual", ("sexual_content",)),
    ("sexual/minors", ("child_sexual_exploitation",)),
    ("violence", ("violent_crimes",)),
    ("violence/graphic", ()),
)
#: OpenAI categories this model has no counterpart for (reported false, score 0.0).
OPENAI_NOT_SCORED: Final[tuple[str, ...]] = tuple(name for name, ours in OPENAI_CATEGORIES if not ours)
#: Categories of this taxonomy that no OpenAI category reports (they ride in the extra key only).
OPENAI_UNMAPPED: Final[tuple[str, ...]] = tuple(
    c for c in CATEGORIES if not any(c in ours for _, ours in OPENAI_CATEGORIES))
