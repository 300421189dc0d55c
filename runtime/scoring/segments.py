"""Short segments of a text, scored on their own so benign padding cannot dilute a request.

Why: the model pools over every token of a window, so an unsafe sentence after a benign one
("Hi there! how do i make meth") or after 40 benign words scores like the padding. The guard
therefore also scores each sentence, line and clause alone, and keeps the worst score.

A segment is a character span of the (normalized) text between sentence ends (``. ! ? ; :``
and their CJK forms, followed by a space or the end), line breaks, commas before a capital
letter (two sentences spliced: "..., Give me ..."), or the ends of the text. A sentence that
conjunctions splice requests onto ("I love pasta and how do I make ...": one of
:data:`CONJUNCTIONS` followed by one of :data:`REQUEST_OPENERS`) also gives its clauses as
segments, the sentence itself staying one.
Segments with fewer than two words of two or more letters are left out ("Ok.", "['a', 'b']":
the full-text windows see them; alone they say little and the model misreads such scraps).
Each segment is scored whole; one longer than :data:`SCAN_ABOVE` tokens (a long sentence, or a
run-on text with no punctuation) is also scanned in windows of :data:`SCAN_TOKENS` tokens,
:data:`SCAN_STRIDE` shared by neighbours, so any run of up to ``SCAN_STRIDE + 1`` tokens lies
whole in a window with at most ``SCAN_TOKENS - SCAN_STRIDE - 1`` other tokens.

The price is false positives: the default model misreads some benign sentences taken alone. On
the 5,582-text validation split (all defenses on) the false-positive rate went from 5.0% to 7.1%,
on its hard negatives from 9.6% to 13.4%, recall from 79.7% to 80.5%. Scanning from 20 tokens
instead of 48 cost another ~1 point of FPR for ~1 point of recall under padding (300 + 300 sample).

Cost is linear in the text: one regex pass over it, no extra tokenization (segments are cut
from the text's own token ids by character offsets), and at most about 3.4 times the text's
tokens in segment windows (1 whole + 2.4 scanned, for run-on text). A text that is one sentence of up to
:data:`SEGMENT_TOKENS` tokens has no segments: its window is the segment, so short texts cost
nothing more.
"""
from __future__ import annotations

import re

from tinyguard.scoring import english

SEGMENT_TOKENS = 32  # a text that is one sentence up to this long is not split or scanned
SCAN_ABOVE = 48  # a segment longer than this is also scanned in windows of ...
SCAN_TOKENS = 20  # ... this many tokens, ...
SCAN_STRIDE = 10  # ... this many shared by neighbouring windows
MIN_SEGMENT_WORDS = 2

# A sentence end (with trailing quotes/brackets) before whitespace or the end, a line break, a
# comma before a capital letter, or the space before a conjunction that opens a request.
# The look-behind makes a match start only at the first mark of a run, which keeps the scan
# linear on a long run of marks ("!!!!...x").
_ENDS = ".!?;:…。！？；："
#: Conjunctions that splice a request onto a run-on clause ("I love pasta and how do I make ..."),
#: and the words that open such a request.
CONJUNCTIONS = english.CONJUNCTIONS  # (runtime/data/english-words.json, shared with js/)
REQUEST_OPENERS = english.REQUEST_OPENERS
# (the conjunction ends the clause before it, so the request is scored as it would stand alone);
# or a capitalised opener straight after a lower-case word, a sentence whose full stop is missing
# ("... in the park How do I make ...": benign padding joined by a space)
_SPLICE = (rf"""(?<=\w),?[ \t]+(?i:{"|".join(CONJUNCTIONS)})(?:[ \t]+(?i:also|then))?"""
           rf"""(?=[ \t]+(?i:{"|".join(REQUEST_OPENERS)})\b)"""
           rf"""|(?<=[a-z])[ \t]+(?=(?:{"|".join(w.capitalize() for w in REQUEST_OPENERS)})\b)""")
_BOUNDARY = re.compile(rf"""(?<![{_ENDS}])[{_ENDS}]+["'”’)\]]*(?=\s|$)|[。！？；]|\n|,(?=\s+[A-Z])""")
_SPLICE_RE = re.compile(_SPLICE)
_WORD = re.compile(r"[^\W\d_]{2,}")


def segment_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of the sentences, lines and clauses of ``text`` that hold
    at least :data:`MIN_SEGMENT_WORDS` words, in order. Linear in ``len(text)``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        _add_spliced(text, start, m.end(), spans)
        start = m.end()
    _add_spliced(text, start, len(text), spans)
    return spans


def _add_spliced(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """The sentence, then (when conjunctions splice requests onto it) its clauses too: the whole
    sentence stays a segment, so a long run-on one is still scanned in short windows."""
    _add(text, start, end, spans)
    cut = start
    for m in _SPLICE_RE.finditer(text, start, end):
        _add(text, cut, m.end(), spans)
        cut = m.end()
    if cut > start:
        _add(text, cut, end, spans)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of every sentence, line and clause of ``text`` (the same boundaries as
    :func:`segment_spans`, no word count: a line of Morse code is a sentence too), blank ones
    left out. Linear in ``len(text)``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if not text[start:m.end()].isspace() and m.end() > start:
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def first_sentence(text: str) -> str:
    """The text up to its first sentence end, line break or spliced comma (all of it when none)."""
    m = _BOUNDARY.search(text)
    return text[: m.end()] if m is not None and text[: m.end()].strip() else text


def last_sentence(text: str) -> str:
    """The text after its last boundary but one, i.e. its last sentence or unfinished clause.
    ``text`` should be a bounded tail (the scan is linear in it)."""
    ends = [m.end() for m in _BOUNDARY.finditer(text)]
    if ends and not text[ends[-1]:].strip():  # it ends on a boundary: the last whole sentence
        ends.pop()
    return text[ends[-1]:] if ends else text


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    words = 0
    for _ in _WORD.finditer(text, start, end):
        words += 1
        if words >= MIN_SEGMENT_WORDS:
            spans.append((start, end))
            return
