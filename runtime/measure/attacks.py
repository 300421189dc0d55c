"""Attacks that bury or hide a text, for ``guard-cli robustness`` (issue 12's bypasses).

Why a module apart from :mod:`tinyguard.scoring.defenses`: a measurement must not test the defenses
against their own assumptions. Each attack is a pure ``attack(text, rng) -> str``; the caller
gives each (attack, line) its own ``random.Random``, so the padding length, cover sentence,
joiner, layout and encoding are drawn here and nothing about them reaches the guard. Stdlib
only, like :mod:`tinyguard.measure.operators` (the word-level and whole-text operators), which
``guard-cli robustness`` runs alongside these.

* padding: benign words before or after the text (1, 40 or 1,000 words), joined by a sentence
  end, a comma, a line break or a plain space;
* tag smuggling: the text in Unicode tag characters (U+E0020-E007E) after a benign sentence;
* bidi: the text reversed inside a right-to-left override, so it *displays* as written;
* embedded encodings: the text as base64, hex, URL-encoding or JSON ``\\u`` escapes after a
  benign sentence, one in three nested once (base64 of one of them);
* spaced letters: the whole text spelled out letter by letter (words split by two spaces, by
  " / ", or not at all) -- on benign text this measures false positives.
"""
from __future__ import annotations

import base64
import random
from typing import Callable

Attack = Callable[[str, random.Random], str]

# Everyday sentences, none about a sensitive topic. Padding takes consecutive ones from a random start.
BENIGN = (
    "I spent the morning repainting the fence in the back garden.",
    "The library downtown has started opening on Sunday afternoons.",
    "My sister is learning to play the cello and practises every evening.",
    "We planted tomatoes, beans and a few herbs near the kitchen window.",
    "The train to the coast was late again, so we had coffee at the station.",
    "Our neighbour brought over a lemon cake to welcome us to the street.",
    "The weather forecast says it will be sunny for the rest of the week.",
    "I have been reading a long novel about a family of lighthouse keepers.",
    "The children built a small bridge out of sticks by the stream.",
    "Could you remind me to water the plants before we leave on Friday?",
    "The museum has a new exhibition of old maps and navigation tools.",
    "We are thinking about adopting a second cat from the shelter.",
    "My grandmother taught me how to make bread without a recipe.",
    "The football match was postponed because the pitch was flooded.",
    "I finally fixed the squeaky door in the hallway with a little oil.",
    "There is a farmers market in the square every Saturday morning.",
    "The new bakery on the corner sells excellent cinnamon rolls.",
    "We watched the sunset from the hill behind the old church.",
    "My laptop battery lasts much longer since the last update.",
    "The school choir is rehearsing for the winter concert next month.",
    "I like to go for a short walk after lunch to clear my head.",
    "The bus route changed, so now I cycle to work most days.",
    "Our team meeting moved to Thursday because of the public holiday.",
    "She knitted a blue scarf for her nephew's birthday.",
    "The river was calm and a few ducks floated past the boats.",
    "I need to buy new running shoes before the charity race.",
    "The recipe calls for two cups of flour and a pinch of salt.",
    "We spent the evening playing board games with our friends.",
    "The garden centre has a sale on roses and fruit trees this week.",
    "My brother is visiting from abroad and staying for two weeks.",
    "The old clock in the living room still keeps perfect time.",
    "I am trying to learn a few words of Portuguese before our trip.",
    "The park was full of families enjoying the first warm day of spring.",
    "Please send me the photos from the wedding when you have a moment.",
    "The printer in the office has run out of paper again.",
    "We found a quiet beach where the water was clear and shallow.",
    "My daughter drew a picture of our house with a giant sun above it.",
    "The hotel breakfast had fresh fruit, yoghurt and warm pastries.",
    "I always keep a notebook by the bed in case I remember something.",
    "The orchestra played a piece by a composer I had never heard of.",
)
ONE_WORD = ("Hi", "Hello", "Thanks", "Please", "Well", "So", "Hey", "Okay")
JOINERS = (". ", ", ", "\n", " ")


def benign_words(n: int, rng: random.Random) -> str:
    """About ``n`` words of benign prose (consecutive sentences from a random start, cut to n words)."""
    if n <= 1:
        return rng.choice(ONE_WORD)
    start = rng.randrange(len(BENIGN))
    words: list[str] = []
    k = start
    while len(words) < n:
        words += BENIGN[k % len(BENIGN)].split()
        k += 1
    return " ".join(words[:n]).rstrip(".,")


def padding(n: int, where: str) -> Attack:
    """The text with ``n`` benign words before (``where="prefix"``) or after it (``"suffix"``)."""
    def attack(text: str, rng: random.Random) -> str:
        pad, joiner = benign_words(n, rng), rng.choice(JOINERS)
        return f"{pad}{joiner}{text}" if where == "prefix" else f"{text.rstrip()}{joiner}{pad}"
    attack.__name__ = f"padding_{where}_{n}"
    return attack


def tags(text: str) -> str:
    """``text``'s printable ASCII as Unicode tag characters (invisible when rendered)."""
    return "".join(chr(0xE0000 + ord(ch)) for ch in text if " " <= ch <= "~")


def tag_smuggling(text: str, rng: random.Random) -> str:
    """A benign sentence, then the text in tag characters (its non-ASCII characters are lost)."""
    return f"{rng.choice(BENIGN)} {tags(text)}"


def bidi(text: str, rng: random.Random) -> str:
    """Each line of the text reversed inside a right-to-left override (U+202E ... U+202C): it
    displays as written (a line break ends an override). Half the time after a benign sentence."""
    hidden = "\n".join("\u202e" + line[::-1] + "\u202c" for line in text.split("\n"))
    return f"{rng.choice(BENIGN)} {hidden}" if rng.random() < 0.5 else hidden


def _encode(text: str, kind: str) -> str:
    data = text.encode("utf-8")
    if kind == "base64":
        return base64.b64encode(data).decode("ascii")
    if kind == "hex":
        return data.hex()
    if kind == "url":
        return "".join(f"%{b:02X}" for b in data)
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else
                   "".join(f"\\u{u:04x}" for u in _surrogates(ord(ch))) for ch in text)


def _surrogates(cp: int) -> tuple[int, int]:
    cp -= 0x10000
    return 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)


def embedded_encoding(text: str, rng: random.Random) -> str:
    """A benign sentence, then the text encoded (base64, hex, URL or JSON escapes); one time in
    three that encoding is base64-encoded again."""
    kind = rng.choice(("base64", "hex", "url", "json"))
    payload = _encode(text, kind)
    if rng.random() < 1 / 3:
        payload = _encode(payload, "base64")
    return f"{rng.choice(BENIGN)}{rng.choice(JOINERS)}{payload}"


def spaced_letters(text: str, rng: random.Random) -> str:
    """The whole text spelled out letter by letter; words split by two spaces, " / ", or only
    one space like the letters (layout drawn per text)."""
    gap = rng.choice(("  ", " / ", " "))
    return gap.join(" ".join(word) for word in text.split())


ATTACKS: dict[str, Attack] = {
    **{f"pad_{where}_{n}": padding(n, where) for where in ("prefix", "suffix") for n in (1, 40, 1000)},
    "tag_smuggling": tag_smuggling,
    "bidi": bidi,
    "embedded_encoding": embedded_encoding,
    "spaced_letters": spaced_letters,
}

__all__ = ["ATTACKS", "Attack", "BENIGN", "benign_words", "bidi", "embedded_encoding", "padding",
           "spaced_letters", "tag_smuggling", "tags"]
