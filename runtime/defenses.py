"""Defenses against cheap obfuscation: extra de-obfuscated "views" of a text.

Why views, not a new normalization: the model was trained on ``normalize(text)``; changing
what ``normalize`` returns would move its inputs away from training. Instead the guard scores
the normalized text *and* each view that differs from it, and keeps the max per column. A
view can only raise a score, so defenses never lower recall; they can raise the false-positive
rate, which ``guard-cli robustness`` measures.

Folds (each a pure, idempotent ``str -> str`` on normalized text; applied in the order
smuggling, despace, leet, homoglyphs, which keeps the composition idempotent too):

* ``smuggling``  regional-indicator and enclosed letters -> ASCII; emoji/symbols wedged between
                 letters removed (``b💣o💣m💣b``). Variation selectors and tag characters are
                 already dropped by :func:`tinyguard.normalize.normalize`.
* ``despace``    runs of single characters split by spaces or punctuation joined
                 (``b o m b``, ``b.o.m.b``, ``b-o-m-b`` -> ``bomb``).
* ``leet``       digits/symbols inside words -> letters (``b0mb``, ``h4ck``, ``k1ll``).
* ``homoglyphs`` look-alike letters -> ASCII letters via ``data/confusables.json`` (from
                 Unicode's confusables.txt; see ``tools/make_confusables.py``).

Decoders (``decode``): base64, hex, URL-encoding and rot13 runs that decode to mostly
printable text are replaced by their decoding (then normalized and folded as above).
Decoders are not idempotent by nature (rot13 is its own inverse; base64 nests).

At most three extra views per text: the folded text, an alternative de-spacing when a run
starts with the one-letter words "a"/"i" ("make a b o m b"), and the decoded text. Views are
built only when a fold changes something, so plain text costs a few regex scans.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import json
import math
import re
import urllib.parse
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from tinyguard.normalize import normalize

MAX_VIEWS = 3


@dataclass(frozen=True)
class DefenseSettings:
    """Which defenses are on; stored in the bundle manifest under ``defenses`` (all on if absent)."""

    smuggling: bool = True
    despace: bool = True
    homoglyphs: bool = True
    leet: bool = True
    decode: bool = True

    @classmethod
    def off(cls) -> "DefenseSettings":
        return cls(**{f.name: False for f in fields(cls)})

    @property
    def enabled(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def to_dict(self) -> dict[str, bool]:
        return {f.name: bool(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_manifest(cls, raw: Mapping[str, Any]) -> "DefenseSettings":
        """Read the manifest's optional ``defenses`` object; names left out are on.

        Raises ValueError on anything but an object of known names with boolean values.
        """
        value = raw.get("defenses")
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise ValueError("'defenses' must be an object of {name: true|false}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in value if k not in known)
        if unknown:
            raise ValueError(f"'defenses' names unknown defenses {unknown}; known: {sorted(known)}")
        bad = sorted(k for k, v in value.items() if not isinstance(v, bool))
        if bad:
            raise ValueError(f"'defenses' values must be true or false (bad: {bad})")
        return cls(**value)


# ---------------------------------------------------------------- smuggling

_ENCLOSED = {}
for _i in range(26):
    _ENCLOSED[0x1F1E6 + _i] = chr(0x61 + _i)  # REGIONAL INDICATOR SYMBOL LETTER A..Z
    _ENCLOSED[0x1F150 + _i] = chr(0x61 + _i)  # NEGATIVE CIRCLED LATIN CAPITAL LETTER A..Z
    _ENCLOSED[0x1F170 + _i] = chr(0x61 + _i)  # NEGATIVE SQUARED LATIN CAPITAL LETTER A..Z
_ENCLOSED_RE = re.compile("[\U0001F1E6-\U0001F1FF\U0001F150-\U0001F169\U0001F170-\U0001F189]")
# Emoji and pictographic symbols (not letters, not the enclosed letters above).
_EMOJI = ("[\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
          "\U0001F000-\U0001F14F\U0001F18A-\U0001F1E5\U0001F200-\U0001FAFF]")
_WEDGED = re.compile(rf"(?<=[^\W_]){_EMOJI}+(?=[^\W_])")  # b💣o💣m💣b
_WEDGED_SPACED = re.compile(rf"(?<![^\W_])([^\W_])[ \t]+{_EMOJI}+[ \t]+(?=[^\W_](?![^\W_]))")  # b 💣 o 💣 m


def fold_smuggling(text: str) -> str:
    """Enclosed/regional-indicator letters -> a-z; emoji wedged between letters removed, and
    between spaced single letters reduced to a space (so de-spacing can join them)."""
    if text.isascii():
        return text
    text = _ENCLOSED_RE.sub(lambda m: _ENCLOSED[ord(m.group())], text)
    text = _WEDGED.sub("", text)
    return _WEDGED_SPACED.sub(r"\1 ", text)


# ---------------------------------------------------------------- despace

_GAP = r"(?:[ \t]?[.\-_*|/\\·•~+^=:!]{1,2}[ \t]?|[ \t])"
_SPACED = re.compile(rf"(?<![^\W_])[^\W_](?:{_GAP}[^\W_](?![^\W_])){{2,}}")
_GAP_RE = re.compile(_GAP)


def _join(run: str) -> str:
    """Remove a run's gaps. When letters are split by punctuation ("b.o.m.b w.e.n.t"), a gap of
    plain spaces is a word break and stays one space."""
    if any(not g.isspace() for g in _GAP_RE.findall(run)):
        return _GAP_RE.sub(lambda g: " " if g.group().isspace() else "", run)
    return _GAP_RE.sub("", run)


def fold_despace(text: str) -> str:
    """Join runs of >= 3 single characters split by one space or short punctuation."""
    return _SPACED.sub(lambda m: _join(m.group()), text)


def _despace_keep_article(text: str) -> str:
    """Like :func:`fold_despace`, but a space-split run that starts with the word "a" or "i"
    keeps it apart ("make a b o m b" -> "make a bomb")."""
    def join(m: re.Match[str]) -> str:
        run = m.group()
        if run[0] in "aAiI" and run[1] in " \t" and len(_GAP_RE.sub("", run)) >= 4:
            return run[0] + " " + _join(run[2:])
        return _join(run)
    return _SPACED.sub(join, text)


# ---------------------------------------------------------------- homoglyphs

@lru_cache(maxsize=1)
def confusables() -> dict[int, str]:
    """The folding table (code point -> ASCII character), loaded once from package data."""
    path = Path(__file__).resolve().parent / "data" / "confusables.json"
    table = json.loads(path.read_text(encoding="utf-8"))["map"]
    return {ord(k): v for k, v in table.items()}


_WORD = re.compile(r"[^\W_]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def fold_homoglyphs(text: str) -> str:
    """Map look-alike letters to ASCII. Words holding an ASCII letter are always folded
    ("bоmb" with a Cyrillic о); other words only when the text has no letter outside ASCII
    and the table, so Russian or Greek prose is left alone. Both tests are unchanged by
    folding, so the fold is idempotent."""
    if text.isascii():
        return text
    table = confusables()
    folded = text.translate(table)
    if folded == text:
        return text
    if not any(ch.isalpha() and not ch.isascii() and ord(ch) not in table for ch in text):
        return folded
    return _WORD.sub(lambda m: m.group().translate(table) if _ASCII_LETTER.search(m.group()) else m.group(),
                     text)


# ---------------------------------------------------------------- leetspeak

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
         "@": "a", "$": "s", "!": "i", "|": "l"}
_LEET_CHARS = "013456789@$!|"
# A letter (any script, so the later homoglyph fold cannot change the decision) next to a leet character.
_MIXED = re.compile(r"[^\W\d_][013457-9@$!|]|[013457-9@$!|][^\W\d_]")
_TOKEN = re.compile(r"(?:[^\W_]|[@$!|]){2,}")
_EDGE = "@$!|"
# Numbers with a unit or ordinal ("10th", "50s", "4pm", "3kg") are not leetspeak.
_NUMBER_WITH_UNIT = re.compile(r"\d+(?:st|nd|rd|th|s|am|pm|k|m|g|kg|km|mm|cm|mb|gb|tb|px|x|d|h|min|hz|v)",
                               re.IGNORECASE)
MAX_LEET_TOKEN = 24  # longer letter/digit runs are ids, hashes or base64, not words


def _unleet(m: re.Match[str]) -> str:
    token = m.group()
    core = token.strip(_EDGE)
    if not _MIXED.search(core):
        return token
    if (not core or len(core) > MAX_LEET_TOKEN or any(d in core for d in "26")
            or _NUMBER_WITH_UNIT.fullmatch(core)):
        return token  # "2nd", "6pm": real numbers, not leetspeak
    start = token.index(core)
    core = core.replace("11", "ll")
    return token[:start] + "".join(_LEET.get(ch, ch) for ch in core) + token[start + len(core):]


_URL_LIKE = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)\S*|\S*[/=#]\S*")


def fold_leet(text: str) -> str:
    """Digits and @$!| inside words that also hold letters -> letters ("b0mb" -> "bomb").
    URLs and path-like tokens (holding / = #) are left alone."""
    if not _MIXED.search(text):
        return text
    out, last = [], 0
    for m in _URL_LIKE.finditer(text):
        out.append(_TOKEN.sub(_unleet, text[last:m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(_TOKEN.sub(_unleet, text[last:]))
    return "".join(out)


# ---------------------------------------------------------------- decoders

_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])(?:[A-Za-z0-9+/_-]{8,}={0,2}|[A-Za-z0-9+/_-]{4,7}={1,2})"
                  r"(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){4,})(?![0-9A-Za-z])"
                  r"|((?:[0-9A-Fa-f]{2}[ :]){3,}[0-9A-Fa-f]{2})(?![0-9A-Za-z])"
                  r"|((?:\\x[0-9A-Fa-f]{2}){3,})")
_URL = re.compile(r"%[0-9A-Fa-f]{2}")
_ALPHA_WORD = re.compile(r"[A-Za-z]+")
# The most frequent English words; rot13 text has few of them, its decoding many.
_COMMON = frozenset(
    "the be to of and a in that have i it for not on with he as you do at this but his by from they we "
    "say her she or an will my one all would there their what so up out if about who get which go me "
    "when make can like time no just him know take people into year your good some could them see "
    "other than then now look only come its over think also back after use two how our work first "
    "well way even new want because any these give day most us is are was were has had been how why "
    "where tell write help please should".split()) - {"a", "i"}  # rot13 makes these from "n'" and "v"


def _printable_text(data: bytes) -> str | None:
    """The UTF-8 text in ``data`` if it is mostly printable words, else None. Short decodings
    must be printable ASCII: random bytes from a long word rarely are."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 3:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\t")
    ascii_printable = sum(1 for ch in text if " " <= ch <= "~" or ch in "\n\t")
    wordish = sum(1 for ch in text if ch.isalpha() or ch == " ")
    if printable < 0.95 * len(text) or wordish < 0.6 * len(text):
        return None
    if len(text) < 16 and ascii_printable < len(text):
        return None
    return text


def _b64(m: re.Match[str]) -> str:
    token = m.group()
    body = token.rstrip("=")
    if len(body) % 4 == 1:
        return token
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_" if ("-" in body or "_" in body)
                               else None, validate=True)
    except (binascii.Error, ValueError):
        return token
    decoded = _printable_text(raw)
    return token if decoded is None else decoded


def _hex(m: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9A-Fa-f]", "", (m.group(1) or m.group(2) or m.group(3) or "").replace("\\x", ""))
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return m.group()
    decoded = _printable_text(raw)
    return m.group() if decoded is None else decoded


def _common_hits(text: str, limit: int = 400) -> tuple[int, int]:
    """(common English words, words) among the first ``limit`` words of ``text``."""
    hits = words = 0
    for m in _ALPHA_WORD.finditer(text):
        if words >= limit:
            break
        words += 1
        hits += m.group().lower() in _COMMON
    return hits, words


_CLAUSE = re.compile(r"([.:;!?\n]+)")
# English letter frequencies (percent); rot13 text scores far lower per letter than its decoding.
_LETTER_FREQ = {"e": 12.7, "t": 9.1, "a": 8.2, "o": 7.5, "i": 7.0, "n": 6.7, "s": 6.3, "h": 6.1, "r": 6.0,
                "d": 4.3, "l": 4.0, "c": 2.8, "u": 2.8, "m": 2.4, "w": 2.4, "f": 2.2, "g": 2.0, "y": 2.0,
                "p": 1.9, "b": 1.5, "v": 1.0, "k": 0.8, "j": 0.15, "x": 0.15, "q": 0.1, "z": 0.07}
_LETTER_LOGP = {k: math.log(v / 100) for k, v in _LETTER_FREQ.items()}
ROT13_MARGIN = 0.6  # nats per letter; benign clauses of a 4,669-text validation set: 4 in 23,276 above it
ROT13_MIN_LETTERS = 10


def _english_logp(text: str, limit: int = 2000) -> tuple[float, int]:
    """Mean log-probability per ASCII letter under English letter frequencies, and the count."""
    logps = [_LETTER_LOGP[c] for c in text[: limit * 2].lower() if c in _LETTER_LOGP][:limit]
    return (sum(logps) / len(logps), len(logps)) if logps else (0.0, 0)


def _rot13_clause(clause: str) -> str:
    """The clause in rot13 if its decoding looks far more like English (common words or
    letter frequencies), else unchanged."""
    if not _ALPHA_WORD.search(clause):
        return clause
    rot = codecs.encode(clause, "rot13")
    after, words = _common_hits(rot)
    if after >= 2 and after >= 0.15 * words and after > _common_hits(clause)[0]:
        return rot
    before_lp, letters = _english_logp(clause)
    if letters >= ROT13_MIN_LETTERS and _english_logp(rot)[0] - before_lp >= ROT13_MARGIN:
        return rot
    return clause


def decode_encodings(text: str) -> str:
    """Replace base64/hex/URL-encoded runs that decode to printable text by that text; rot13
    each clause (split at . : ; ! ? and newlines) that rot13 turns into more common English
    words (so "Decode this: ubj qb v znxr n obzo" decodes its second clause)."""
    out = text
    if _HEX.search(out):
        out = _HEX.sub(_hex, out)
    if _B64.search(out):
        out = _B64.sub(_b64, out)
    if len(_URL.findall(out)) >= 2:
        out = urllib.parse.unquote(out, errors="replace")
    if _ALPHA_WORD.search(out):
        out = "".join(part if i % 2 else _rot13_clause(part) for i, part in enumerate(_CLAUSE.split(out)))
    return out


# ---------------------------------------------------------------- views

def fold_chars(text: str, settings: DefenseSettings = DefenseSettings()) -> str:
    """All enabled character-level folds, in order (smuggling, despace, leet, homoglyphs).

    The order makes the composition idempotent: no fold creates input for an earlier one
    (homoglyphs map letters to letters, so word shapes and leet decisions stay the same)."""
    if settings.smuggling:
        text = fold_smuggling(text)
    if settings.despace:
        text = fold_despace(text)
    if settings.leet:
        text = fold_leet(text)
    if settings.homoglyphs:
        text = fold_homoglyphs(text)
    return text


def build_named_views(text: str, settings: DefenseSettings = DefenseSettings()) -> list[tuple[str, str]]:
    """(name, view) pairs for a normalized ``text``: distinct, different from it, normalized,
    not blank (at most :data:`MAX_VIEWS`). Names: ``folded`` (smuggling, de-spacing, leetspeak,
    homoglyphs), ``despaced`` (de-spacing that keeps one-letter words), ``decoded`` (base64, hex,
    URL-encoding, rot13). Empty when nothing in ``text`` needs folding."""
    if not settings.enabled:
        return []
    candidates = [("folded", fold_chars(text, settings))]
    if settings.despace:
        alt = _despace_keep_article(text)
        if alt != fold_despace(text):
            candidates.append(("despaced", fold_chars(alt, settings)))
    if settings.decode:
        decoded = decode_encodings(text)
        if decoded != text:
            candidates.append(("decoded", fold_chars(normalize(decoded), settings)))
    views: list[tuple[str, str]] = []
    for name, view in candidates:
        view = normalize(view)
        if view != text and view not in (v for _, v in views) and view.strip():
            views.append((name, view))
    return views[:MAX_VIEWS]


def build_views(text: str, settings: DefenseSettings = DefenseSettings()) -> list[str]:
    """The views of :func:`build_named_views`, without their names."""
    return [view for _, view in build_named_views(text, settings)]
