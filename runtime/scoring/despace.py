"""Spaced-out letters: join them (``b o m b`` -> ``bomb``) and, for a text spelled out letter by
letter from start to end, read it back as words.

Why two behaviours: a few spaced words inside normal text ("how to make a b o m b") are an
attack, and joining them gives a view that can only raise the score. A text spaced out *entirely*
("W h a t  i s  t h e  c a p i t a l ...") is a different case: the model never saw such input
and scores almost any of it as unsafe, so scoring the spaced form would flag benign text. For
those texts the guard scores their reading instead of the spaced form (:func:`respace`): words
split by wider gaps stay apart, and letters with no word gaps at all are split into words with
the model's own vocabulary (:class:`Lexicon`: the most likely words, a shortest path over the
letters).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping

_GAP = r"(?:[ \t]?[.\-_*|/\\·•~+^=:!]{1,2}[ \t]?|[ \t])"
_SPACED = re.compile(rf"(?<![^\W_])[^\W_](?:{_GAP}[^\W_](?![^\W_])){{2,}}")
_GAP_RE = re.compile(_GAP)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WIDE_GAP = re.compile(r"[ \t]{2,}|[ \t]*[/|][ \t]*")  # how letter-by-letter text keeps word breaks
# A run of single letters split by single spaces: its own "words" were never marked.
_SINGLE_SPACED = re.compile(r"(?<![^\W_])[^\W\d_](?: [^\W\d_](?![^\W_])){2,}")

MAX_WORD = 18  # longest word or word piece tried when splitting letters
SPACED_SHARE = 0.3  # letters in spaced runs, of all letters, for a text to count as spelled out
CONTINUATION_COST = 2.0  # extra cost of gluing a word piece to the previous one ("ron" + "##nie")
WIDE_LAYOUT = 0.5  # wide gaps per gap between spaced words for "words are split by wide gaps"


@dataclass(frozen=True)
class Lexicon:
    """Word costs for splitting letters into words: ``-log`` of a Zipf-like probability from each
    word's rank in a WordPiece vocabulary (ids follow frequency), for whole words and for
    continuation pieces (``##nie``). Built once per Guard from its tokenizer."""

    words: Mapping[str, float] = field(default_factory=dict)
    pieces: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_vocab(cls, vocab: Mapping[str, int]) -> "Lexicon":
        entries = sorted((i, w) for w, i in vocab.items() if w.isascii() and w.lstrip("#").isalpha())
        words = [w for _, w in entries if w.islower() and not w.startswith("#") and (len(w) > 1 or w in "ai")]
        pieces = [w[2:] for _, w in entries if w.startswith("##") and w[2:].islower()]
        scale = math.log(max(len(words), 2))
        cost = {w: math.log((r + 1) * scale) for r, w in enumerate(sorted(words, key=lambda w: (len(w) > 1, vocab[w])))}
        piece_cost = {w: math.log((r + 1) * scale) + CONTINUATION_COST for r, w in enumerate(pieces)}
        return cls(cost, piece_cost)

    def __bool__(self) -> bool:
        return bool(self.words)


def _join(run: str) -> str:
    """Remove a run's gaps. When letters are split by punctuation ("b.o.m.b w.e.n.t"), a gap of
    plain spaces is a word break and stays one space."""
    if any(not g.isspace() for g in _GAP_RE.findall(run)):
        return _GAP_RE.sub(lambda g: " " if g.group().isspace() else "", run)
    return _GAP_RE.sub("", run)


def fold_despace(text: str) -> str:
    """Join runs of >= 3 single characters split by one space or short punctuation."""
    return _SPACED.sub(lambda m: _join(m.group()), text)


def despace_keep_article(text: str) -> str:
    """Like :func:`fold_despace`, but a space-split run that starts with the word "a" or "i"
    keeps it apart ("make a b o m b" -> "make a bomb")."""
    def join(m: re.Match[str]) -> str:
        run = m.group()
        if run[0] in "aAiI" and run[1] in " \t" and len(_GAP_RE.sub("", run)) >= 4:
            return run[0] + " " + _join(run[2:])
        return _join(run)
    return _SPACED.sub(join, text)


def spaced_share(text: str) -> float:
    """The share of the letters of ``text`` that sit in spaced-out runs (0.0 without letters)."""
    letters = sum(len(m) for m in _LETTER_RUN.findall(text))
    if not letters:
        return 0.0
    spaced = sum(len(_GAP_RE.sub("", m.group())) for m in _SPACED.finditer(text))
    return spaced / letters


def is_spelled_out(text: str) -> bool:
    """True when most letters of ``text`` are spaced out one by one (see :data:`SPACED_SHARE`)."""
    return spaced_share(text) >= SPACED_SHARE


def respace(text: str, lexicon: Lexicon | None = None) -> str:
    """The reading of a spelled-out text. When wide gaps ("  ", " / ") split its spaced words,
    each part is one word. Otherwise each run of single-spaced letters is split into the most
    likely words of ``lexicon``. Other spaced runs as :func:`fold_despace`."""
    if _wide_layout(text):
        return " ".join(_read_word(p) for p in _WIDE_GAP.split(text) if p.strip())
    return fold_despace(_SINGLE_SPACED.sub(lambda m: split_words(m.group().replace(" ", ""), lexicon), text))


def _wide_layout(text: str) -> bool:
    """Wide gaps are the word breaks: at least half as many as the gaps between spaced words."""
    wide = len(_WIDE_GAP.findall(text))
    runs = sum(1 for _ in _SPACED.finditer(text))
    return wide >= 1 and wide >= WIDE_LAYOUT * (runs - 1)


def _read_word(part: str) -> str:
    """One word written with single spaces between its letters ("w h a t" -> "what")."""
    bits = part.split()
    return "".join(bits) if bits and all(len(b) == 1 for b in bits) else fold_despace(part)


def split_words(letters: str, lexicon: Lexicon | None) -> str:
    """``letters`` (no spaces) split into the most likely words of ``lexicon`` (a word may end in
    continuation pieces: "ronnie" = "ron" + "##nie"); letters nothing covers stay single.
    Linear: at most :data:`MAX_WORD` candidates per position."""
    if not lexicon:
        return letters
    low = letters.lower()
    n = len(low)
    unknown = max(lexicon.words.values(), default=10.0) + 5.0
    cost = [0.0] + [math.inf] * n
    back = [(0, True)] * (n + 1)  # (start, starts a new word)
    for j in range(1, n + 1):
        for i in range(max(0, j - MAX_WORD), j):
            if cost[i] == math.inf:
                continue
            w = low[i:j]
            c = lexicon.words.get(w)
            if c is not None and cost[i] + c < cost[j]:
                cost[j], back[j] = cost[i] + c, (i, True)
            c = lexicon.pieces.get(w) if i > 0 else None
            if c is not None and cost[i] + c < cost[j]:
                cost[j], back[j] = cost[i] + c, (i, False)
        if cost[j - 1] + unknown < cost[j]:
            cost[j], back[j] = cost[j - 1] + unknown, (j - 1, True)
    out: list[str] = []
    j = n
    while j > 0:
        i, new = back[j]
        out.append((" " if new and i > 0 else "") + letters[i:j])
        j = i
    return "".join(reversed(out))
