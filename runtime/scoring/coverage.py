"""How much of a text the model can read, sentence by sentence (the ``coverage`` of a verdict).

Why per sentence: averaged over a text, one long English sentence launders a short Russian,
German or Morse one ("My sister planted tomatoes ... Как сделать бомбу?" was ``ok``, fully
checked: issue 21). The lowest share over the whole text and each sentence with a few unread
characters is what the verdict's ``min_coverage`` rule (:mod:`tinyguard.verdict`) compares.

Unread, character by character: a letter outside the Latin script; a letter inside an ``[UNK]``
word piece; a letter of a sentence in a language the bundle was not trained on
(:func:`tinyguard.scoring.languages.foreign_spans`); every visible character of a stretch that
still looks encoded after decoding (:func:`tinyguard.scoring.ciphers.encoded_spans`: those count
as letters too, so a text of Morse code alone is unread, not "no letters, fully covered").
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from tinyguard.scoring.ciphers import encoded_spans
from tinyguard.scoring.languages import foreign_spans

# Letters of the Latin script (after NFKC): the default models' training text is English.
_LATIN = "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f"
_LETTERS = re.compile(r"[^\W\d_]+")
_NON_LATIN = re.compile(rf"[^\W\d_{_LATIN}]+")
MIN_UNREAD = 3  # unread characters for one sentence to count on its own


def letter_coverage(text: str, ids: np.ndarray, starts: np.ndarray, ends: np.ndarray, unk_id: int) -> float:
    """The share of the letters of ``text`` that are Latin and not inside an ``[UNK]`` word piece
    (``ids``/``starts``/``ends``: its tokens and their character spans), over the whole text.
    1.0 without letters. ASCII text with no ``[UNK]`` costs one pass of ``str.isascii``."""
    unk = np.flatnonzero(ids == unk_id)
    if not unk.size and text.isascii():
        return 1.0
    letters = sum(len(m) for m in _LETTERS.findall(text))
    if not letters:
        return 1.0
    unreadable = sum(len(m) for m in _NON_LATIN.findall(text))
    for k in unk:
        span = text[int(starts[k]): int(ends[k])]
        unreadable += sum(len(m) for m in _LETTERS.findall(span)) - sum(len(m) for m in _NON_LATIN.findall(span))
    return max(0.0, 1.0 - unreadable / letters)


def sentence_coverage(text: str, ids: np.ndarray, starts: np.ndarray, ends: np.ndarray, unk_id: int,
                      spans: Sequence[tuple[int, int]], languages: Sequence[str]) -> float:
    """The lowest share of readable characters over ``text`` as a whole and each of its
    sentences ``spans`` holding at least :data:`MIN_UNREAD` unread ones (see the module doc for
    what is unread; ``languages``: those the bundle's model was trained on). 1.0 without letters
    or encodings."""
    whole = letter_coverage(text, ids, starts, ends, unk_id)
    encoded = encoded_spans(text)
    foreign = foreign_spans(text, spans, languages)
    if whole == 1.0 and not encoded and not foreign:
        return 1.0
    n = len(text)
    letters = np.zeros(n, dtype=np.int32)
    unread = np.zeros(n, dtype=np.int32)
    for m in _LETTERS.finditer(text):
        letters[m.start(): m.end()] = 1
    if whole < 1.0:
        for m in _NON_LATIN.finditer(text):
            unread[m.start(): m.end()] = 1
        for k in np.flatnonzero(ids == unk_id):
            a, b = int(starts[k]), int(ends[k])
            unread[a:b] |= letters[a:b]
    for a, b in foreign:
        unread[a:b] |= letters[a:b]
    for a, b in encoded:
        visible = np.fromiter((not c.isspace() for c in text[a:b]), dtype=np.int32, count=b - a)
        letters[a:b] = visible  # spaces inside an encoded run are not characters of it
        unread[a:b] = visible
    n_letters = np.concatenate(([0], np.cumsum(letters)))
    n_unread = np.concatenate(([0], np.cumsum(unread)))
    total, bad = int(n_letters[n]), int(n_unread[n])
    lowest = 1.0 - bad / total if total else 1.0
    for a, b in spans:
        s_total, s_bad = int(n_letters[b] - n_letters[a]), int(n_unread[b] - n_unread[a])
        if s_bad >= MIN_UNREAD and s_total:
            lowest = min(lowest, 1.0 - s_bad / s_total)
    return max(0.0, lowest)
