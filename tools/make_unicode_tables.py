"""Generate the character tables a port of the runtime needs (``docs/bundle-spec.md``, section 2).

Why tables, not a second language's own Unicode properties: the reference runtime's regexes use
Python's ``re`` classes (``\\w``, ``\\d``, ``\\s``), ``str.isalpha``/``isprintable`` and
``unicodedata.name`` of *this* Python (Unicode 14.0 on 3.11), and its tokenizer (HF ``tokenizers``,
Rust) has its own, older category tables. A JavaScript engine ships another Unicode version, so
the port reads these tables instead and agrees character for character. Three files:

* ``runtime/data/unicode-classes.json``: code-point ranges of Python's ``str.isalnum``
  (``[^\\W_]``), ``isdecimal`` (``\\d``), ``isspace`` (``\\s``), ``isalpha``, ``isprintable`` and
  ``isdigit`` (the reworded view's leetspeak test);
* ``runtime/data/bert-chars.json``: what the bundles' ``BertNormalizer`` (clean_text,
  handle_chinese_chars, lowercase, accents stripped) does to each code point, and which code
  points ``BertPreTokenizer`` splits off as punctuation -- probed from the installed
  ``tokenizers`` itself, so the table *is* the reference's behaviour;
* ``runtime/data/emoji-names.json``: ``unicodedata.name`` of every pictograph
  :mod:`tinyguard.text.emoji` names.

Regenerate (a test checks the files match this Python and ``tokenizers``):

    .venv/bin/python tools/make_unicode_tables.py
"""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Callable, Iterator

DATA = Path(__file__).resolve().parent.parent / "runtime" / "data"
MAX = 0x110000


def _code_points() -> Iterator[int]:
    for cp in range(MAX):
        if not 0xD800 <= cp <= 0xDFFF:
            yield cp


def ranges(test: Callable[[str], bool]) -> list[list[int]]:
    """Inclusive [first, last] code-point ranges where ``test(chr(cp))`` holds."""
    out: list[list[int]] = []
    for cp in _code_points():
        if test(chr(cp)):
            if out and out[-1][1] == cp - 1:
                out[-1][1] = cp
            else:
                out.append([cp, cp])
    return out


def unicode_classes() -> dict:
    return {
        "generator": "tools/make_unicode_tables.py",
        "python": sys.version.split()[0], "unicode": unicodedata.unidata_version,
        "note": "inclusive code-point ranges; surrogates excluded",
        "alnum": ranges(str.isalnum), "decimal": ranges(str.isdecimal), "space": ranges(str.isspace),
        "alpha": ranges(str.isalpha), "printable": ranges(str.isprintable), "digit": ranges(str.isdigit),
    }


def bert_chars() -> dict:
    from tokenizers import normalizers, pre_tokenizers

    norm = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                      lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    mapped: dict[str, str] = {}
    removed: list[int] = []
    cjk: list[int] = []
    punct: list[int] = []
    for cp in _code_points():
        ch = chr(cp)
        out = norm.normalize_str(ch)
        if out == "":
            removed.append(cp)
        elif out == f" {ch} ":
            cjk.append(cp)
        elif out != ch and not (0xAC00 <= cp <= 0xD7A3):  # Hangul syllables: decomposed by rule
            mapped[str(cp)] = out
        parts = [p for p, _ in pre.pre_tokenize_str(f"a{ch}b")]
        if parts == ["a", ch, "b"]:
            punct.append(cp)
    return {
        "generator": "tools/make_unicode_tables.py",
        "tokenizers": __import__("tokenizers").__version__,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "note": ("removed: dropped by clean_text; cjk: padded with spaces; map: code point -> what one "
                 "code point becomes (NFD, nonspacing marks dropped, lower-cased; whitespace -> ' '); "
                 "Hangul syllables AC00-D7A3 not listed: their NFD jamo (Unicode's algorithm); "
                 "punct: split off alone by BertPreTokenizer"),
        "removed": _compress(removed), "cjk": _compress(cjk), "punct": _compress(punct), "map": mapped,
    }


def _compress(cps: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


# The pictographs tinyguard.text.emoji names (its EMOJI_CLASS, minus the dropped modifiers).
def emoji_names() -> dict:
    sys.path.insert(0, str(DATA.parent.parent))
    from tinyguard.text.emoji import EMOJI_CLASS

    pattern = re.compile(EMOJI_CLASS)
    names = {}
    for cp in _code_points():
        ch = chr(cp)
        if pattern.fullmatch(ch):
            name = unicodedata.name(ch, "")
            if name:
                names[str(cp)] = name.lower()
    return {"generator": "tools/make_unicode_tables.py", "unicode": unicodedata.unidata_version,
            "note": "code point -> lower-case Unicode name, for the pictographs tinyguard.text.emoji names; "
                    "a pictograph not listed has no name", "names": names}


def write(name: str, data: dict) -> None:
    path = DATA / name
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n",
                    encoding="utf-8")
    print(f"{path}: {path.stat().st_size:,} bytes")


def main() -> None:
    write("unicode-classes.json", unicode_classes())
    write("bert-chars.json", bert_chars())
    write("emoji-names.json", emoji_names())


if __name__ == "__main__":
    main()
