"""OLID / OffensEval 2019 (via bertav6/Project-in-Language-Technology): offensive tweets.

Opt-in only: licence not stated. OLID annotates *offensiveness* (profanity or a
targeted insult/threat), not harm, and no OLID label means any taxonomy category:

* ``NOT`` (not offensive) -> safe.
* ``OFF``/``UNT`` (untargeted profanity, "WHAT THE FUCK") -> safe: profanity is not a
  hazard in our taxonomy. Hard negatives: offensive-looking but benign by construction.
* ``OFF``/``TIN`` (targeted insult or threat) at any target -> NOT emitted. ``GRP`` is not
  ``hate``: it covers political affiliation and "something else" as well as protected
  groups; ``IND`` is mostly insults of one person, sometimes a threat. Neither "safe"
  nor one taxonomy name is true of all of them, so they are left out rather than guessed.

Train rows carry labels inline; test labels live in ``labels-level{a,b,c}.csv`` (the b
and c files use old-Mac CR line ends), joined by tweet id. A tweet text that occurs more
than once is emitted once, and not at all when its occurrences map differently.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "olid"
LICENCE = "not stated"
LICENCE_CLASS = "unknown"

#: (subtask_a, subtask_b, subtask_c) -> (label, categories), or None = not emitted.
LABEL_MAP: dict[tuple[str, str, str], tuple[str, list[str]] | None] = {
    ("NOT", "NULL", "NULL"): ("safe", []),
    ("OFF", "UNT", "NULL"): ("safe", []),  # untargeted profanity
    ("OFF", "TIN", "IND"): None,  # insult/threat to a person: not a taxonomy category as such
    ("OFF", "TIN", "GRP"): None,  # group incl. political: not necessarily hate
    ("OFF", "TIN", "OTH"): None,  # organisation, event, issue
}
#: safe keys whose texts look offensive: hard negatives.
HARD_NEGATIVE: frozenset[tuple[str, str, str]] = frozenset({("OFF", "UNT", "NULL")})


def _read(path: Path) -> list[dict[str, str]]:
    delimiter = "\t" if path.suffix == ".tsv" else ","
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter, quoting=csv.QUOTE_NONE))


def _labelled(root: Path) -> Iterator[tuple[str, tuple[str, str, str]]]:
    for row in _read(root / "olid-training-v1.0.tsv"):
        yield row["tweet"], (row["subtask_a"], row["subtask_b"], row["subtask_c"])
    levels = [{r["id"]: r[f"subtask_{x}"] for r in _read(root / f"labels-level{x}.csv")} for x in "abc"]
    for row in _read(root / "testset-levela.tsv"):
        a, b, c = (level.get(row["id"], "NULL") for level in levels)
        yield row["tweet"], (a, b, c)


def load(data_dir: Path) -> Iterator[Record]:
    outcome: dict[str, tuple[str, list[str], bool] | None] = {}
    conflicted: set[str] = set()
    for tweet, key in _labelled(Path(data_dir) / NAME):
        if key not in LABEL_MAP:
            raise ValueError(f"{NAME}: unmapped label combination {key!r} for tweet {tweet[:60]!r}")
        mapped = LABEL_MAP[key]
        result = None if mapped is None else (mapped[0], mapped[1], key in HARD_NEGATIVE)
        text = tweet.strip()
        if text in outcome and outcome[text] != result:
            conflicted.add(text)
        outcome.setdefault(text, result)
    for text, result in outcome.items():
        if result is None or text in conflicted or not text:
            continue
        label, cats, hard = result
        yield Record(text=text, role="prompt", label=label, source=NAME,
                     licence_class=LICENCE_CLASS, categories=list(cats), lang="en",
                     hard_negative=hard)
