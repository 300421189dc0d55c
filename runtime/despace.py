"""Spaced-out letters: join them (``b o m b`` -> ``bomb``) and, for a text spelled out letter by
letter from start to end, read it back as words.

Why two behaviours: a few spaced words inside normal text ("how to make a b o m b") are an
attack, and joining them gives a view that can only raise the score. A text spaced out *entirely*
("W h a t  i s  t h e  c a p i t a l ...") is a different case: the model never saw such input
and scores almost any of it as unsafe, so scoring the spaced form would flag benign text. For
those texts the guard scores their reading instead of the spaced form (:func:`respace`): words
split by wider gaps stay apart, and letters with no word gaps at all are split into words with
the model's own vocabulary (fewest words, a shortest-path over the letters).
"""
from __future__ import annotations

import re
from typing import Collection

_GAP = r"(?:[ \t]?[.\-_*|/\\·•~+^=:!]{1,2}[ \t]?|[ \t])"
_SPACED = re.compile(rf"(?<![^\W_])[^\W_](?:{_GAP}[^\W_](?![^\W_])){{2,}}")
_GAP_RE = re.compile(_GAP)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WIDE_GAP = re.compile(r"[ \t]{2,}|[ \t]*[/|][ \t]*")  # how letter-by-letter text keeps word breaks
# A run of single letters split by single spaces: its own "words" were never marked.
_SINGLE_SPACED = re.compile(r"(?<![^\W_])[^\W\d_](?: [^\W\d_](?![^\W_])){2,}")

SPACED_SHARE = 0.6  # letters in spaced runs, of all letters, for a text to count as spelled out
MAX_WORD = 24
LONG_WORD = 14  # a joined part longer than this may be several words
ONE_LETTER_WORDS = frozenset("ai")


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


def respace(text: str, lexicon: Collection[str] = ()) -> str:
    """The reading of a spelled-out text. Wide gaps ("  ", " / ") mark word breaks: each part is
    joined into one word. Without them, a run of single-spaced letters is split into words of
    ``lexicon`` (lowercase words; fewest words wins). Other spaced runs as :func:`fold_despace`."""
    if _WIDE_GAP.search(text):
        return " ".join(_read_word(p, lexicon) for p in _WIDE_GAP.split(text) if p.strip())
    return fold_despace(_SINGLE_SPACED.sub(lambda m: split_words(m.group().replace(" ", ""), lexicon), text))


def _read_word(part: str, lexicon: Collection[str]) -> str:
    """One word written with single spaces between its letters ("w h a t" -> "what"); a long
    joined part that is not one known word is split into words."""
    bits = part.split()
    if not bits or not all(len(b) == 1 for b in bits):
        return fold_despace(part)
    joined = "".join(bits)
    if len(joined) <= LONG_WORD or joined.lower() in lexicon or not joined.isalpha():
        return joined
    return split_words(joined, lexicon)


def split_words(letters: str, lexicon: Collection[str]) -> str:
    """``letters`` (no spaces) split into the fewest words of ``lexicon``; letters no word covers
    stay single. Linear: at most :data:`MAX_WORD` candidates per position."""
    if not lexicon:
        return letters
    low = letters.lower()
    n = len(low)
    inf = float("inf")
    cost = [0.0] + [inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - MAX_WORD), j):
            if cost[i] == inf:
                continue
            w = low[i:j]
            if j - i == 1:
                c = 1.0 if w in ONE_LETTER_WORDS else 3.0
            elif w in lexicon:
                c = 1.0
            else:
                continue
            if cost[i] + c < cost[j]:
                cost[j], back[j] = cost[i] + c, i
    words = []
    j = n
    while j > 0:
        words.append(letters[back[j]:j])
        j = back[j]
    return " ".join(reversed(words))
