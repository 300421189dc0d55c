"""English word lists and letter frequencies of the reading steps (docs/bundle-spec.md 3.6, 3.7,
3.14, 3.15): which decoding reads as English, which short words are words, which conjunctions
splice a request onto a clause, Morse code.

Why a data file: the TypeScript runtime (``js/``) must test against the very same lists; one copy,
``runtime/data/english-words.json``, read by both, cannot drift the way two literals would.
"""
from __future__ import annotations

import json
from pathlib import Path

_DATA = json.loads((Path(__file__).resolve().parent.parent / "data" / "english-words.json").read_text(encoding="utf-8"))

#: The most frequent English words ("a" and "i" left out: rot13 makes them from "n'" and "v").
COMMON_WORDS: tuple[str, ...] = tuple(_DATA["common_words"])
#: English letter frequencies (percent).
LETTER_FREQ: dict[str, float] = dict(_DATA["letter_freq"])
#: English words of one or two letters.
SHORT_WORDS: tuple[str, ...] = tuple(_DATA["short_words"])
#: International Morse code -> character.
MORSE: dict[str, str] = dict(_DATA["morse"])
#: Conjunctions that splice a request onto a run-on clause, and the words that open such a request.
CONJUNCTIONS: tuple[str, ...] = tuple(_DATA["conjunctions"])
REQUEST_OPENERS: tuple[str, ...] = tuple(_DATA["request_openers"])
