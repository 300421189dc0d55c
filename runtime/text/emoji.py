"""Emoji and pictographs as words, so the model reads what its vocabulary cannot.

Why: the MiniLM word-piece vocabulary has no emoji; every pictograph became ``[UNK]`` and took
the word it touched with it ("🚯means no 💩" read as ``[UNK] no [UNK]``). Hateful text written in
emoji ("I want to 🔪 all women", "🐀 like you") was read with its key word missing. With
``EncodingConfig.emoji_names`` on, :class:`~tinyguard.text.encoding.TextEncoder` tokenizes each
pictograph as its Unicode name ("kitchen knife", "rat"), enclosed and regional-indicator letters
as the letters they show (🅿 -> p), and drops skin-tone modifiers. Training and runtime share the
encoder, so the model learns from the names it is later shown. Only the tokenizer's input
changes: token offsets are mapped back to the text, so segments and views are unaffected.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

#: Enclosed and regional-indicator letters -> a-z (they spell words: 🅿r🅾 -> "pro").
ENCLOSED: dict[int, str] = {}
for _i in range(26):
    ENCLOSED[0x1F1E6 + _i] = chr(0x61 + _i)  # REGIONAL INDICATOR SYMBOL LETTER A..Z
    ENCLOSED[0x1F150 + _i] = chr(0x61 + _i)  # NEGATIVE CIRCLED LATIN CAPITAL LETTER A..Z
    ENCLOSED[0x1F170 + _i] = chr(0x61 + _i)  # NEGATIVE SQUARED LATIN CAPITAL LETTER A..Z
ENCLOSED_CLASS = "[\U0001F1E6-\U0001F1FF\U0001F150-\U0001F169\U0001F170-\U0001F189]"
#: Emoji and pictographic symbols (not letters, not the enclosed letters above).
EMOJI_CLASS = ("[\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
               "\U0001F000-\U0001F14F\U0001F18A-\U0001F1E5\U0001F200-\U0001FAFF]")
#: Skin-tone modifiers and the combining keycap: they carry no meaning the model can use.
_DROPPED = frozenset(range(0x1F3FB, 0x1F400)) | {0x20E3}
#: Unicode names that would mislead (the name is not what the picture shows).
_RENAMED = {0x1F52A: "kitchen knife"}  # HOCHO
_PICTOGRAPH = re.compile(f"{ENCLOSED_CLASS}|{EMOJI_CLASS}|\u20e3")


def emoji_word(ch: str) -> str:
    """What the model reads for one pictograph: a letter, a lower-case name, or ''."""
    cp = ord(ch)
    if cp in ENCLOSED:
        return ENCLOSED[cp]
    if cp in _DROPPED:
        return ""
    if cp in _RENAMED:
        return f" {_RENAMED[cp]} "
    name = unicodedata.name(ch, "")
    return f" {name.lower()} " if name else " "


def name_emoji(text: str) -> tuple[str, np.ndarray | None]:
    """(``text`` with pictographs written as words, ``source``): ``source[i]`` is the index in
    ``text`` of output character ``i`` (every character of an inserted name points at its
    pictograph), with ``source[len(out)] == len(text)``. ``None`` when nothing changed."""
    if text.isascii() or not _PICTOGRAPH.search(text):
        return text, None
    parts: list[str] = []
    sources: list[np.ndarray] = []
    last = 0
    for m in _PICTOGRAPH.finditer(text):
        start = m.start()
        if start > last:
            parts.append(text[last:start])
            sources.append(np.arange(last, start, dtype=np.int64))
        word = emoji_word(m.group())
        if word:
            parts.append(word)
            sources.append(np.full(len(word), start, dtype=np.int64))
        last = m.end()
    parts.append(text[last:])
    sources.append(np.arange(last, len(text) + 1, dtype=np.int64))
    return "".join(parts), np.concatenate(sources)
