"""Classic ciphers an LLM decodes on request: Morse, binary bytes, A1Z26 numbers, Caesar shifts;
and the stretches that look like an encoding but did not decode.

Why apart from :mod:`tinyguard.scoring.decoders`: those read machine encodings (escapes, hex, base64)
that either decode to bytes or do not; these read hand ciphers whose decoding must also *read
as language* before it is trusted ("- - - -" is a divider, "1 2 3 4" a list). A decoding is
accepted when it holds common English words (:func:`common_hits`) or, lacking word breaks,
English letter frequencies (:func:`english_logp`).

:func:`encoded_spans` finds what is still encoded after decoding (dots and dashes, runs of
binary digits, long hex, many letter numbers): the guard counts those characters as unread
(:mod:`tinyguard.verdict`), since a model that sees ``.... --- .--`` has not read it.

Every pattern is anchored by a look-behind and has no trailing look-ahead, so a scan is linear
(``tests/test_linear_time.py``); a match is checked in its callback instead.
"""
from __future__ import annotations

import math
import re

from tinyguard.scoring import english

# ---------------------------------------------------------------- reads as English?

_ALPHA_WORD = re.compile(r"[A-Za-z]+")
# The most frequent English words; shifted or reversed text has few of them, its decoding many.
# (the lists live in runtime/data/english-words.json, which js/ reads too: tinyguard.scoring.english)
COMMON = frozenset(english.COMMON_WORDS)  # without "a" and "i": rot13 makes these from "n'" and "v"

# English letter frequencies (percent).
_LETTER_FREQ = english.LETTER_FREQ
_LETTER_LOGP = {k: math.log(v / 100) for k, v in _LETTER_FREQ.items()}
ENGLISH_LOGP = -3.05  # mean log-probability per letter above which letters without word breaks read as English


def common_hits(text: str, limit: int = 400) -> tuple[int, int]:
    """(common English words, words) among the first ``limit`` words of ``text``."""
    hits = words = 0
    for m in _ALPHA_WORD.finditer(text):
        if words >= limit:
            break
        words += 1
        hits += m.group().lower() in COMMON
    return hits, words


def english_logp(text: str, limit: int = 2000) -> tuple[float, int]:
    """Mean log-probability per ASCII letter under English letter frequencies, and the count."""
    logps = [_LETTER_LOGP[c] for c in text[: limit * 2].lower() if c in _LETTER_LOGP][:limit]
    return (sum(logps) / len(logps), len(logps)) if logps else (0.0, 0)


def reads_as_english(text: str) -> bool:
    """Words: at least two common ones and a fifth of all; one run of letters: English frequencies."""
    hits, words = common_hits(text)
    if words >= 2:
        return hits >= 2 and hits >= 0.2 * words
    logp, letters = english_logp(text)
    return letters >= 8 and logp >= ENGLISH_LOGP and len(set(text.lower())) >= 5


def _on_own_line(decoded: str) -> str:
    return f"\n{decoded}\n"


# ---------------------------------------------------------------- Caesar / ROT-N

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_SHIFTS = [str.maketrans(_LOWER + _LOWER.upper(), _LOWER[k:] + _LOWER[:k] + (_LOWER[k:] + _LOWER[:k]).upper())
           for k in range(26)]
CAESAR_MIN_WORDS = 3


def shift(text: str, k: int) -> str:
    """``text`` with each ASCII letter moved ``k`` places on (``shift(t, 13)`` is rot13)."""
    return text.translate(_SHIFTS[k % 26])


def best_shift(clause: str) -> tuple[int, int, int]:
    """(shift, its common words, words) of the shift 1..25 whose reading holds the most common
    English words (ties: the smaller shift). Costs 25 translations of the clause."""
    best = (0, -1, 0)
    for k in range(1, 26):
        hits, words = common_hits(shift(clause, k))
        if hits > best[1]:
            best = (k, hits, words)
    return best


def best_logp_shift(clause: str) -> tuple[int, float]:
    """(shift, mean log-probability per letter) of the shift 1..25 whose letters read most like English."""
    best = (0, -99.0)
    for k in range(1, 26):
        logp, _ = english_logp(shift(clause, k))
        if logp > best[1]:
            best = (k, logp)
    return best


# ---------------------------------------------------------------- Morse

MORSE = english.MORSE
_DOT, _DASH = ".·•∙", "-_−–—"
_CODE = rf"[{re.escape(_DOT + _DASH)}]{{1,7}}"
_MORSE_SEP = r"(?:[ \t]+/?|/)[ \t]*"  # letters: spaces; words: " / ", "/" or two or more spaces
# A run of at least four codes, starting after a space, a slash or the start.
_MORSE_RUN = re.compile(rf"(?<![^\s/|]){_CODE}(?:{_MORSE_SEP}{_CODE}){{3,}}")
_TO_MORSE = str.maketrans({**{c: "." for c in _DOT}, **{c: "-" for c in _DASH}})
_WORD_BREAK = re.compile(r"[ \t]*/[ \t]*|[ \t]{2,}")
MORSE_MIN_LETTERS = 4


def _morse(m: re.Match[str]) -> str:
    run = m.group()
    end = m.end()
    if end < len(m.string) and m.string[end].isalnum():
        return run  # glued to a word: not Morse
    words = []
    for word in _WORD_BREAK.split(run.strip()):
        letters = [MORSE.get(code.translate(_TO_MORSE)) for code in word.split()]
        if not letters or None in letters:
            return run
        words.append("".join(letters))  # type: ignore[arg-type]
    decoded = " ".join(words)
    if sum(ch.isalpha() for ch in decoded) < MORSE_MIN_LETTERS or len(set(decoded) - {" "}) < 3:
        return run
    return _on_own_line(decoded)


def decode_morse(text: str) -> str:
    """Runs of Morse code (``.`` or ``·`` for dots, ``-``, ``_`` or dashes for dashes; letters
    split by spaces, words by ``/`` or two spaces) replaced by their letters on their own line.
    Every code must be valid and the reading hold at least four letters, three of them distinct."""
    if "." not in text and "-" not in text and not any(c in text for c in "·•∙_−–—"):
        return text
    return _MORSE_RUN.sub(_morse, text)


# ---------------------------------------------------------------- binary bytes

_BINARY_RUN = re.compile(r"(?<![\w.])[01]{7,8}(?:[ \t,;]+[01]{7,8}){3,}|(?<![\w.])[01]{32,}")


def _binary(m: re.Match[str]) -> str:
    run = m.group()
    groups = run.replace(",", " ").replace(";", " ").split()
    if len(groups) == 1:  # one contiguous run: bytes of eight
        if len(run) % 8:
            return run
        groups = [run[i: i + 8] for i in range(0, len(run), 8)]
    try:
        data = bytes(int(g, 2) for g in groups)
        decoded = data.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return run
    printable = sum(ch.isprintable() or ch in "\n\t" for ch in decoded)
    letters = sum(ch.isalpha() for ch in decoded)
    if printable < len(decoded) or letters < 0.5 * len(decoded):
        return run
    return _on_own_line(decoded)


def decode_binary(text: str) -> str:
    """Runs of at least four bytes written in binary (``01101000 01101111``, 7 or 8 digits each,
    or one run of 32+ digits) replaced by the UTF-8 text they spell, when it is printable words."""
    if "0000" not in text and "01" not in text:
        return text
    return _BINARY_RUN.sub(_binary, text)


# ---------------------------------------------------------------- A1Z26

_NUM = r"\d{1,2}(?!\d)"
_A1Z26_RUN = re.compile(rf"(?<![\w.,-]){_NUM}(?:(?:[ \t]*[-/][ \t]*|[ \t]+){_NUM}){{3,}}")
A1Z26_MIN_LETTERS = 5


def _a1z26(m: re.Match[str]) -> str:
    run = m.group().strip()
    if "-" in run:  # "8-15-23 4-15": dashes join letters, spaces (or "/") split words
        groups = [w.split("-") for w in re.split(r"[ \t]*/[ \t]*|[ \t]+", re.sub(r"[ \t]*-[ \t]*", "-", run))]
    else:  # "8 15 23 / 4 15": spaces join letters, "/" or two spaces split words
        groups = [w.split() for w in _WORD_BREAK.split(run)]
    words = []
    for group in groups:
        numbers = [int(p) for p in group if p]
        if not numbers or any(not 1 <= n <= 26 for n in numbers):
            return m.group()
        words.append("".join(chr(96 + n) for n in numbers))
    decoded = " ".join(words)
    if sum(ch.isalpha() for ch in decoded) < A1Z26_MIN_LETTERS:
        return m.group()
    # Dashes inside words and spaces between them ("8-15-23 4-15") are a layout nothing else
    # uses; bare numbers must also read as English ("3 5 7 9 11" is a list).
    dashed = "-" in run and len(words) >= 2 and sum(len(w) > 1 for w in words) >= 2
    if not dashed and not reads_as_english(decoded):
        return m.group()
    return _on_own_line(decoded)


def decode_a1z26(text: str) -> str:
    """Runs of letter numbers (a=1 ... z=26; letters joined by ``-`` with words split by spaces,
    or split by spaces with words split by ``/`` or two spaces) replaced by their letters: the
    dashed layout always, bare numbers when the reading holds common English words (or, without
    word breaks, English letter frequencies)."""
    if not any(ch.isdigit() for ch in text):
        return text
    return _A1Z26_RUN.sub(_a1z26, text)


def decode_ciphers(text: str) -> str:
    """Morse, binary and A1Z26 runs decoded (see each decoder)."""
    return decode_a1z26(decode_binary(decode_morse(text)))


# ---------------------------------------------------------------- what is still encoded

# Dots and dashes (both) in at least six codes; binary digits in four groups or 24 in a row; hex
# of 48+ digits in a row (not a 64- or 128-digit hash) or 12+ separated byte pairs; 8+ letter numbers.
_STILL_MORSE = re.compile(rf"(?<![^\s/|]){_CODE}(?:{_MORSE_SEP}{_CODE}){{5,}}")
_STILL_BINARY = re.compile(r"(?<![\w.])[01]{5,8}(?:[ \t,;]+[01]{5,8}){3,}|(?<![\w.])[01]{24,}")
_STILL_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{48,}|(?<![0-9A-Za-z])[0-9A-Fa-f]{2}(?:[ :][0-9A-Fa-f]{2}){11,}")
_STILL_NUMBERS = re.compile(rf"(?<![\w.,-]){_NUM}(?:[ \t]*[-/][ \t]*{_NUM}|[ \t]+{_NUM}){{7,}}")
HASH_LENGTHS = (64, 128)  # sha256, sha512: ids that nobody decodes


def encoded_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` that look like an encoding a reader would have to decode
    (Morse, binary, long hex, many numbers of 1..26 only). Ordinary numbers, code, URLs, hashes
    and formulas are not such spans. Cheap when the text has no digit, dot or dash run."""
    spans: list[tuple[int, int]] = []
    for m in _STILL_MORSE.finditer(text):
        run = m.group().translate(_TO_MORSE)
        if "." in run and "-" in run and sum(c in ".-" for c in run) >= 8:
            spans.append(m.span())
    if "0" in text and "1" in text:
        spans += [m.span() for m in _STILL_BINARY.finditer(text)]
    for m in _STILL_HEX.finditer(text):
        run = m.group()
        if (" " in run or ":" in run or len(run) not in HASH_LENGTHS) and any(c.isdigit() for c in run) \
                and any(c.isalpha() for c in run):
            spans.append(m.span())
    for m in _STILL_NUMBERS.finditer(text):
        numbers = [int(n) for n in re.findall(r"\d+", m.group())]
        if all(1 <= n <= 26 for n in numbers):
            spans.append(m.span())
    return spans
