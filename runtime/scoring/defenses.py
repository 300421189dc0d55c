"""Defenses against cheap obfuscation: extra de-obfuscated "views" of a text.

Why views, not a new normalization: the model was trained on ``normalize(text)``; changing
what ``normalize`` returns would move its inputs away from training. Instead the guard scores
the normalized text *and* each view that differs from it, and keeps the max per column. A
view can only raise a score; it can raise the false-positive rate, which
``guard-cli robustness`` measures. One exception: a text spelled out letter by letter from
start to end is read back as words (:func:`read_text`) and that reading replaces it, because
the model scores almost any spaced-out text as unsafe.

Folds (each a pure, idempotent ``str -> str`` on normalized text; applied in the order
smuggling, despace, leet, homoglyphs, which keeps the composition idempotent too):

* ``smuggling``  regional-indicator and enclosed letters -> ASCII; emoji/symbols wedged between
                 letters removed (``b💣o💣m💣b``).
* ``despace``    runs of single characters split by spaces or punctuation joined
                 (``b o m b``, ``b.o.m.b``, ``b-o-m-b`` -> ``bomb``; :mod:`tinyguard.scoring.despace`).
* ``leet``       digits/symbols inside words -> letters (``b0mb``, ``h4ck``, ``k1ll``), and in a
                 text with such words, a lone ``1``/``4`` between words -> ``i``/``a``
                 ("h0w d0 1 m4k3 4 b0mb").
* ``homoglyphs`` look-alike letters -> ASCII letters via ``data/confusables.json`` (from
                 Unicode's confusables.txt; see ``tools/make_confusables.py``).

Decoders (``decode``, :mod:`tinyguard.scoring.decoders`): JSON/HTML escapes, hex, base64 and
URL-encoded runs anywhere in the text, nested once, and rot13 or reversed clauses, replaced
by their decoding. ``reveal``: tag characters, which :func:`tinyguard.text.normalize.normalize`
drops, are read from the raw text instead (a view), and text in right-to-left overrides is
read in the order it is displayed (see :func:`tinyguard.scoring.pieces.reading`).
``segments`` is not a view: it makes the guard also score each sentence alone
(:mod:`tinyguard.scoring.segments`).

``words`` (:mod:`tinyguard.scoring.words`): the folded text as an LLM reads it -- a filler word between
every word dropped, underscored, split and run-together words rejoined, typos fixed -- with the
model's own vocabulary (a view).

At most :data:`MAX_VIEWS` extra views per text: the revealed text, the folded text, the
reworded text, an alternative de-spacing when a run starts with the one-letter words "a"/"i" ("make a b o m b"),
the decoded text and its reworded reading. Views are built only when a fold changes something, so plain text costs
a few regex scans, each linear in the text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from tinyguard.scoring.decoders import decode_encodings, reveal_hidden
from tinyguard.scoring.despace import Lexicon, despace_keep_article, fold_despace, is_spelled_out, respace
from tinyguard.scoring.words import LexiconSource, changed_part, reword
from tinyguard.text.emoji import EMOJI_CLASS, ENCLOSED, ENCLOSED_CLASS
from tinyguard.text.normalize import normalize

MAX_VIEWS = 6


@dataclass(frozen=True)
class DefenseSettings:
    """Which defenses are on; stored in the bundle manifest under ``defenses`` (all on if absent)."""

    smuggling: bool = True
    despace: bool = True
    homoglyphs: bool = True
    leet: bool = True
    decode: bool = True
    reveal: bool = True  # tag characters and right-to-left overrides
    words: bool = True  # filler dropped, split and run-together words rejoined, typos fixed
    segments: bool = True  # score sentences and clauses alone too (not a view)

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
        """Read a manifest dict's optional ``defenses`` object (see :meth:`from_value`)."""
        return cls.from_value(raw.get("defenses"))

    @classmethod
    def from_value(cls, value: Any) -> "DefenseSettings":
        """A manifest's ``defenses`` value (``Manifest.defenses``; None when absent: all on);
        names left out are on.

        Raises ValueError on anything but an object of known names with boolean values.
        """
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

_ENCLOSED = ENCLOSED
_ENCLOSED_RE = re.compile(ENCLOSED_CLASS)
_EMOJI = EMOJI_CLASS
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


# ---------------------------------------------------------------- homoglyphs

@lru_cache(maxsize=1)
def confusables() -> dict[int, str]:
    """The folding table (code point -> ASCII character), loaded once from package data."""
    path = Path(__file__).resolve().parent.parent / "data" / "confusables.json"
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


# A whole whitespace-delimited token holding / = # or www. (URLs, paths, key=value). Anchored
# at token starts, so a long run without spaces is scanned once, not once per position.
_URL_LIKE = re.compile(r"(?<!\S)(?:\S*[/=#]|\S*?www\.)\S*")
# A lone 1 or 4 between two words ("d0 1 m4k3 4 b0mb", after the words are folded).
_LONE_DIGIT = re.compile(r"(?<=[^\W\d_] )[14](?= [^\W\d_])")


def _unleet_span(text: str) -> str:
    folded = _TOKEN.sub(_unleet, text)
    return _LONE_DIGIT.sub(lambda m: _LEET[m.group()], folded) if folded != text else folded


def fold_leet(text: str) -> str:
    """Digits and @$!| inside words that also hold letters -> letters ("b0mb" -> "bomb"); where
    that changed a word, a lone 1 or 4 between words too ("d0 1 m4k3" -> "do i make").
    URLs and path-like tokens (holding / = #) are left alone."""
    if not _MIXED.search(text):
        return text
    out, last = [], 0
    for m in _URL_LIKE.finditer(text):
        out.append(_unleet_span(text[last:m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(_unleet_span(text[last:]))
    return "".join(out)


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


def read_text(text: str, settings: DefenseSettings = DefenseSettings(),
              lexicon: Lexicon | Callable[[], Lexicon] | None = None) -> tuple[str, str]:
    """(name, text) the model should read for a normalized ``text``: ``("text", text)``, or for a
    text spelled out letter by letter, ``("despaced", its reading)`` (see :mod:`tinyguard.scoring.despace`;
    ``lexicon``, or a function that builds it when first needed: splits letters written without
    word gaps into words)."""
    if settings.despace and is_spelled_out(text):
        reading = normalize(respace(text, lexicon() if callable(lexicon) else lexicon))
        if reading.strip() and reading != text:
            return "despaced", reading
    return "text", text


def build_named_views(text: str, settings: DefenseSettings = DefenseSettings(), *,
                      raw: str | None = None, lexicon: LexiconSource = None,
                      has_word: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """(name, view) pairs for a normalized ``text``: distinct, different from it, normalized,
    not blank (at most :data:`MAX_VIEWS`). Names: ``revealed`` (the tag characters of ``raw``,
    the text before normalization, spelled out), ``folded`` (smuggling, de-spacing,
    leetspeak, homoglyphs), ``reworded`` (the lines or long lines' sentences of the folded text
    that change when filler is dropped, split and run-together words rejoined and typos fixed:
    :func:`tinyguard.scoring.words.reword` and :func:`~tinyguard.scoring.words.changed_part`, with ``lexicon``
    and ``has_word``; none without a lexicon), ``despaced`` (de-spacing that keeps
    one-letter words), ``decoded`` (escapes, hex, base64, URL-encoding, Morse, binary, A1Z26,
    Caesar shifts, reversed text) and its own ``reworded`` reading. Folds and decoders work on the revealed
    text when there is one. Empty when nothing in ``text`` needs folding."""
    if not settings.enabled:
        return []
    candidates: list[tuple[str, str]] = []
    base = text
    if settings.reveal and raw is not None:
        revealed = reveal_hidden(raw)
        if revealed is not None:
            base = normalize(revealed)
            candidates.append(("revealed", base))
    folded = fold_chars(base, settings)
    candidates.append(("folded", folded))
    if settings.words:
        # (from the unfolded text: the leet fold reads every "1" as i, the vocabulary picks i or l)
        reworded = fold_chars(reword(base, lexicon, has_word, leet=settings.leet), settings)
        candidates.append(("reworded", changed_part(folded, reworded)))
    if settings.despace:
        alt = despace_keep_article(base)
        if alt != fold_despace(base):
            candidates.append(("despaced", fold_chars(alt, settings)))
    if settings.decode:
        decoded = decode_encodings(base)
        if decoded != base:
            decoded = fold_chars(normalize(decoded), settings)
            candidates.append(("decoded", decoded))
            if settings.words:
                candidates.append(("reworded", changed_part(decoded, reword(decoded, lexicon, has_word,
                                                                            leet=settings.leet))))
    views: list[tuple[str, str]] = []
    for name, view in candidates:
        view = normalize(view)
        if view != text and view not in (v for _, v in views) and view.strip():
            views.append((name, view))
    return views[:MAX_VIEWS]


def build_views(text: str, settings: DefenseSettings = DefenseSettings(), *, raw: str | None = None) -> list[str]:
    """The views of :func:`build_named_views`, without their names."""
    return [view for _, view in build_named_views(text, settings, raw=raw)]
