"""Round 3: generator failure filters (LLM methods only; operator candidates pass untouched).

The candidate's ``text`` is checked (``raw``, the generator's untouched output, only tells how
long the generation ran; an empty ``raw`` means the augmenter did not keep it and ``text`` is
used instead). First harmless wrappers are stripped and the candidate kept
(``wrapper_stripped``): outer quotes or ``**``, label prefixes such as ``Paraphrase:`` or
``Rewritten prompt 2:``, lead-ins such as ``Sure! Here is a paraphrase:``, a trailing
``(Note: this keeps the original meaning)``. Then, in order, a candidate is dropped as

* ``empty_output``: no letter or digit left;
* ``refusal``: the generator refused ("I'm sorry, but I can't", "I cannot help with that",
  "As an AI language model, I cannot fulfill this request"), unless its parent seed text is itself a refusal (a paraphrased
  refusal is then the intended output);
* ``echoed_instructions``: the text talks about the task ("here is a paraphrase",
  "rewritten version", "the original prompt"; for prompts also "As an AI"), or repeats any
  8 consecutive words of its prompt template (``train/prompts/<template>.txt``, placeholders
  removed);
* ``multiple_outputs``: a list of several texts when one was asked: >= 3 list-item lines
  making up >= 60% of the lines, or >= 2 numbered "Paraphrase 1:"/"Version 2:" lines,
  unless the parent seed text is such a list too;
* ``truncated``: no sentence-final punctuation and an output of at least
  ``cfg.truncation_min_tokens`` estimated tokens (characters / 4): it hit ``max_tokens``.

A stripped text is then checked again for length (``too_short``) and for an exact copy of a
seed text or of an earlier kept candidate (``exact_dup_seed`` / ``exact_dup``), since round 1
saw it with its wrapper.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..candidates import Candidate, text_id
from ..dataset import dedup_key
from ..templates import load_template, template_fields
from .common import Decision, RoundContext, RoundOutput, is_llm, with_text

NAME = "failures"
VERSION = 1
CONFIG_KEYS = ("truncation_min_tokens", "min_chars")

_TASK = r"(?:paraphras\w*|rephras\w*|rewrit\w*|re-?word\w*|reformulat\w*|version|variant|variation|alternative)"
_PROMPT_LABELS = r"(?:prompt|question|request|user|query|message)"
_RESPONSE_LABELS = r"(?:response|answer|reply|assistant)"
_LABEL = (r"(?:(?:new|final|revised|alternative|alternate)\s+)?(?:paraphras(?:e|ed|ing)|rephras(?:e|ed)|rewrit(?:e|ten)"
          r"|reworded|output|result|version|variant|variation|text|example)")
_LABEL_PREFIX = {
    role: re.compile(rf"^\s*(?:\*\*|__)?(?:{_LABEL}(?:\s+(?:{_TASK}|{labels}|text|sentence))?|{labels})"
                     rf"(?:\s*#?\d+)?\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*", re.IGNORECASE)
    for role, labels in (("prompt", _PROMPT_LABELS), ("response", _RESPONSE_LABELS))
}
# "Sure! Here is a paraphrase:" / "Here's the rewritten prompt:" up to a colon or line end. For
# prompts any "Sure/Certainly..." lead-in goes (users do not open with it); for responses, where
# "Sure, here is..." is ordinary assistant voice, only a lead-in that names the task.
_SURE = r"(?:sure|certainly|of course|absolutely)\b"
_HERE = r"(?:here(?:'s|’s| is| are)|below is)\b"


def _here(nouns: str) -> str:
    return rf"{_HERE}[^\n:]{{0,60}}?\b{nouns}\b[^\n:]{{0,30}}?(?::|\n)"


_LEAD_IN = {
    "prompt": re.compile(rf"^\s*(?:{_SURE}[^\n:]{{0,80}}?(?::|\n)|(?:{_SURE}[^\n:]{{0,20}}?)?"
                         + _here(rf"(?:{_TASK}|prompt|question|request|query|message|text|sentence|one|it)")
                         + r")\s*", re.IGNORECASE),
    "response": re.compile(rf"^\s*(?:{_SURE}[^\n:]{{0,20}}?)?" + _here(_TASK) + r"\s*", re.IGNORECASE),
}
_TRAILING_NOTE = re.compile(rf"\n\s*\(?\s*(?:\*\*)?note(?:\*\*)?\s*:[^\n]*\b(?:{_TASK}|original|meaning|intent|wording)"
                            rf"[^\n]*$", re.IGNORECASE)
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "`": "`", "„": "“"}

_REFUSAL_START = re.compile(
    r"^\s*(?:i'?m |i am )?sorry\s*,?\s*(?:but\s+)?i(?:'m| am)?\s+(?:can(?:no|')?t|can not|won'?t|will not|"
    r"(?:am )?(?:unable|not able)|must|do not|don'?t)\b"
    r"|^\s*(?:i'?m|i am) sorry\s*,?\s*but\b"
    r"|^\s*i apologi[sz]e\s*,?\s*but"
    r"|^\s*i (?:can(?:no|')?t|can not|won'?t|will not|am (?:unable|not able)|must decline)\s+"
    r"(?:help|assist|comply|fulfill|provide|create|generate|write|rewrite|paraphrase|complete|do that|engage)",
    re.IGNORECASE)
_REFUSAL_ANY = re.compile(
    r"\bi (?:can(?:no|')?t|can not|won'?t|will not|am (?:unable|not able) to|must decline to)\s+"
    r"(?:help|assist|comply|fulfill|provide|create|generate|write|rewrite|paraphrase|complete)"
    r"(?:\s+(?:you\s+)?with)?\s+(?:that|this|your|the|such|these|requests?)\b", re.IGNORECASE)
_ECHO = re.compile(
    rf"\b(?:here(?:'s|’s| is| are)|below is)\s+(?:a|an|the|my|your|some|two|three)?\s*(?:\w+\s+){{0,3}}{_TASK}"
    rf"|\b(?:paraphrased|rewritten|reworded|revised)\s+(?:version|text|prompt|request|question|sentence)\b"
    r"|\bthe original (?:prompt|text|request|sentence|question|response)\b"
    r"|\b(?:this|the above) (?:paraphrase|rewrite|version) (?:keeps|preserves|maintains)\b", re.IGNORECASE)
_AS_AN_AI = re.compile(r"\bas an ai\b|\bas a (?:large )?language model\b", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•]|\(?[a-h]\))\s+\S")
_NUMBERED_OUTPUT = re.compile(rf"^\s*(?:\*\*)?(?:{_TASK}|option|prompt|question|example)\s*#?\d+\s*(?:\*\*)?\s*[:.)]",
                              re.IGNORECASE)
_FINAL = set(".!?…\"'”’)]}»*:;>")
_WORDS = re.compile(r"\w+")
ECHO_NGRAM = 8


def strip_wrappers(text: str, role: str) -> str:
    """Remove harmless wrappers around a generated text (repeatedly: they nest)."""
    lead_in = _LEAD_IN[role]
    for _ in range(4):
        before = text
        text = text.strip()
        m = lead_in.match(text)
        if m and text[m.end():].strip():
            text = text[m.end():]
        text = _LABEL_PREFIX[role].sub("", text, count=1)
        text = _TRAILING_NOTE.sub("", text).strip()
        for fence in ("```", "**", "__"):
            if len(text) > 2 * len(fence) and text.startswith(fence) and text.endswith(fence):
                inner = text[len(fence):-len(fence)]
                if fence not in inner:
                    text = inner.strip("\n").strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
            inner = text[1:-1]
            if text[0] not in inner and _QUOTES[text[0]] not in inner:
                text = inner
        text = text.strip()
        if text == before:
            break
    return text


def is_refusal(text: str) -> bool:
    head = text[:300]
    return bool(_REFUSAL_START.search(head) or _REFUSAL_ANY.search(head))


def is_list(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if sum(bool(_NUMBERED_OUTPUT.match(ln)) for ln in lines) >= 2:
        return True
    items = sum(bool(_ITEM.match(ln)) for ln in lines)
    return items >= 3 and items >= 0.6 * len(lines)


@lru_cache(maxsize=64)
def _template_ngrams(name: str) -> frozenset[tuple[str, ...]]:
    """Word 8-grams of a template's fixed text (empty when the template is unknown)."""
    try:
        fixed = load_template(name)
        fields = template_fields(name)
    except (KeyError, ValueError):
        return frozenset()
    for field in fields:
        fixed = re.sub(r"\{" + re.escape(field) + r"[^{}]*\}", "\n", fixed)
    grams: set[tuple[str, ...]] = set()
    for chunk in fixed.split("\n"):  # n-grams never span a placeholder
        words = _WORDS.findall(chunk.lower())
        grams.update(tuple(words[i:i + ECHO_NGRAM]) for i in range(len(words) - ECHO_NGRAM + 1))
    return frozenset(grams)


def echoes_template(text: str, template: str) -> bool:
    grams = _template_ngrams(template) if template else frozenset()
    if not grams:
        return False
    words = _WORDS.findall(text.lower())
    return any(tuple(words[i:i + ECHO_NGRAM]) in grams for i in range(len(words) - ECHO_NGRAM + 1))


def is_echo(text: str, role: str, template: str) -> bool:
    return bool(_ECHO.search(text) or (role == "prompt" and _AS_AN_AI.search(text))
                or echoes_template(text, template))


def estimated_tokens(text: str) -> float:
    return len(text) / 4


def is_truncated(text: str, raw: str, min_tokens: int) -> bool:
    last = text.rstrip()[-1:]
    if not last or last in _FINAL or not (last.isalnum() or last in ",-–(&/"):
        return False  # ends on punctuation, or a symbol/emoji: not cut off mid-word
    return estimated_tokens(raw) >= min_tokens


def failure(c: Candidate, text: str, parents: dict[str, str], min_tokens: int) -> str | None:
    """The failure reason for a (wrapper-stripped) LLM candidate text, or None."""
    role = c.record.role
    parent = parents.get(c.parent, "")
    if not any(ch.isalnum() for ch in text):
        return "empty_output"
    if is_refusal(text) and not (parent and is_refusal(parent)):
        return "refusal"
    if is_echo(text, role, c.template):
        return "echoed_instructions"
    if is_list(text) and not (parent and is_list(parent)):
        return "multiple_outputs"
    raw = c.raw if c.raw.strip() else text
    if is_truncated(text, raw, min_tokens):
        return "truncated"
    return None


def run(cands: list[Candidate], ctx: RoundContext) -> RoundOutput:
    cfg = ctx.cfg
    out = RoundOutput(kept=[])
    parents = {text_id(r.text): r.text for r in ctx.seed}
    seed_keys = {dedup_key(r) for r in ctx.seed}
    seen = {dedup_key(c.record) for c in cands if is_llm(c)}  # round 1 left these unique
    for c in cands:
        if not is_llm(c):
            out.kept.append(c)
            continue
        text = strip_wrappers(c.record.text, c.record.role)
        reason = failure(c, text, parents, cfg.truncation_min_tokens)
        if reason:
            out.decisions.append(Decision.of(3, NAME, "drop", reason, c))
            continue
        if text != c.record.text:
            stripped = with_text(c, text)
            key = dedup_key(stripped.record)
            if len(text) < cfg.min_chars:
                out.decisions.append(Decision.of(3, NAME, "drop", "too_short", c, after=text))
                continue
            if key != dedup_key(c.record) and (key in seed_keys or key in seen):
                reason = "exact_dup_seed" if key in seed_keys else "exact_dup"
                out.decisions.append(Decision.of(3, NAME, "drop", reason, c, after=text))
                continue
            seen.add(key)
            out.decisions.append(Decision.of(3, NAME, "strip", "wrapper_stripped", c, after=text))
            c = stripped
        out.kept.append(c)
    return out
