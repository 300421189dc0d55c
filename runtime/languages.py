"""Which Latin-script stretches of a text are in a language the model was not trained on.

Why: script coverage (:func:`tinyguard.verdict.sentence_coverage`) sees Cyrillic or Chinese,
but German, Spanish or Vietnamese are written in the Latin letters the model reads, so it
scores them -- and scores noise (issue 21: a harmful German request caught 2 times in 10,
benign French flagged 6 times in 10). A sentence in a language outside the bundle's
``languages`` (manifest; English when absent) is therefore unread, like a script the model
cannot read.

Detector: CLD2 through ``pycld2`` (Apache-2.0, a C++ extension whose n-gram tables are compiled
in: no model file, no download, no unpickling; ~1.7 ms to import, ~15 us a sentence). Chosen
over CLD3 (``cld3-py``), which called 8% of English sentences of 20+ letters from gsm8k,
Alpaca and GPTeacher foreign, py3langid (0.66 s to load its model) and langdetect (2.8 ms a
text, 59% on Chinese). Measured figures: README, "Languages it reads".

Only confident calls count: a sentence of at least :data:`MIN_LETTERS` Latin letters with no
code-like character (CLD2 reads ``fahrenheit = (celsius * 9/5)`` as German), or the whole text
when its sentences are too short, that CLD2 marks reliable.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)  # a bundle whose manifest names none
MIN_LETTERS = 16  # Latin letters in a sentence for a language call
WHOLE_MIN_LETTERS = 40  # ... in a whole text whose sentences are each too short
CODE_SHARE = 0.01  # a whole text with more code-like characters than this is not called
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")
_CODE = re.compile(r"[{}()=;$<>\[\]_\\|#@*/`]")
_pycld2: Any = None


def _detector() -> Any:
    """``pycld2``, imported on first use (most calls of a process never need it)."""
    global _pycld2
    if _pycld2 is None:
        import pycld2

        _pycld2 = pycld2
    return _pycld2


def detect(text: str) -> str | None:
    """The ISO 639-1 code CLD2 gives ``text`` when it calls it reliably, else None."""
    cld2 = _detector()
    try:
        reliable, _, found = cld2.detect(text, isPlainText=True)
    except cld2.error:  # invalid UTF-8 (lone surrogates) and the like: no call
        return None
    code = found[0][1].split("-")[0] if found else "un"
    return code if reliable and code not in ("un", "xx") else None


def foreign_spans(text: str, spans: Sequence[tuple[int, int]], languages: Sequence[str]) -> list[tuple[int, int]]:
    """The ``spans`` (sentences of ``text``) written in a language outside ``languages``; the
    whole text when no sentence is long enough to call but the text is."""
    allowed = set(languages)
    out: list[tuple[int, int]] = []
    called = False
    for start, end in spans:
        sentence = text[start:end]
        if len(_LATIN_LETTER.findall(sentence)) < MIN_LETTERS or _CODE.search(sentence):
            continue
        called = True
        code = detect(sentence)
        if code is not None and code not in allowed:
            out.append((start, end))
    if not called and len(_LATIN_LETTER.findall(text)) >= WHOLE_MIN_LETTERS \
            and len(_CODE.findall(text)) <= CODE_SHARE * len(text):
        code = detect(text)
        if code is not None and code not in allowed:
            out.append((0, len(text)))
    return out
