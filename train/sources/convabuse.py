"""ConvAbuse (Cercas Curry et al., EMNLP 2021): what users wrote to three chatbots, rated for abuse.

Real user-to-chatbot traffic, the nearest thing in the seed data to what a deployed guard sees.
Each row carries every annotator's one-hot vote on a 5-point scale (``AnnotatorN_is_abuse.1``
not abusive, ``.0`` ambiguous, ``.-1``/``.-2``/``.-3`` mild/strong/very strong abuse) and, when
abusive, its type. Aggregation, explicitly:

* A row's votes are the annotators with a non-empty scale vote. Ambiguous (0) votes are kept
  out; the row is **abusive** when strictly more of the remaining votes are abusive (< 0) than
  not (1), **not abusive** when strictly fewer, and skipped on a tie or with no such vote.
* A type is the row's when at least half of the annotators who called it abusive ticked it.

Mapping onto the taxonomy (:data:`TYPE_MAP`): insulting a chatbot is not a hazard in the
MLCommons taxonomy, but demeaning people for a protected characteristic is ``hate`` (S10) and
sexual harassment is ``sexual_content`` (S12). So:

* not abusive -> safe;
* abusive with a protected-characteristic type -> unsafe ``hate``; with sexual harassment ->
  unsafe ``sexual_content`` (both when both);
* abusive with only the ``intellectual`` type or none (generic insults: "you are a stupid bot")
  -> NOT emitted: it is neither benign traffic nor a hazard, and either label would teach the
  wrong thing.

The text is the user's message (``user``); the agent's preceding turn is not a prompt the user
wrote, so it is not joined in. The dataset's own train / valid / test files are kept as our
train / validation / test splits (test is never trained on: the out-of-distribution yardstick
scores it).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "convabuse"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "permissive"

#: file -> our split
FILES: dict[str, str] = {
    "ConvAbuseEMNLPtrain.csv": "train",
    "ConvAbuseEMNLPvalid.csv": "validation",
    "ConvAbuseEMNLPtest.csv": "test",
}
SCALE = ("1", "0", "-1", "-2", "-3")
#: abuse type column suffix -> taxonomy category (types not listed map to nothing)
TYPE_MAP: dict[str, str] = {
    "ableist": "hate", "homophobic": "hate", "racist": "hate", "sexist": "hate",
    "transphobic": "hate", "sex_harassment": "sexual_content",
}
TYPES = ("ableist", "homophobic", "intellectual", "racist", "sexist", "sex_harassment", "transphobic")
MAX_ANNOTATORS = 8


def row_votes(row: dict[str, str]) -> list[tuple[int, str]]:
    """(annotator number, scale value) for each annotator who voted on the abuse scale."""
    votes = []
    for a in range(1, MAX_ANNOTATORS + 1):
        ticked = [s for s in SCALE if row.get(f"Annotator{a}_is_abuse.{s}", "") == "1"]
        if len(ticked) > 1:
            raise ValueError(f"{NAME}: annotator {a} ticked {ticked} on row {row.get('example_id')}")
        if ticked:
            votes.append((a, ticked[0]))
    return votes


def aggregate(row: dict[str, str]) -> tuple[str, list[str]] | None:
    """(label, categories) for one row, or None when it is not emitted (see module docstring)."""
    votes = row_votes(row)
    abusive = [a for a, s in votes if s.startswith("-")]
    not_abusive = sum(1 for _, s in votes if s == "1")
    if len(abusive) == not_abusive:
        return None  # tie, or only ambiguous votes
    if len(abusive) < not_abusive:
        return "safe", []
    types = [t for t in TYPES
             if 2 * sum(row.get(f"Annotator{a}_{t}", "") == "1" for a in abusive) >= len(abusive)]
    categories = sorted({TYPE_MAP[t] for t in types if t in TYPE_MAP})
    if not categories:
        return None  # generic abuse: neither benign nor a hazard
    return "unsafe", categories


def load(data_dir: Path) -> Iterator[Record]:
    for file, split in FILES.items():
        with open(Path(data_dir) / NAME / file, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join((row.get("user") or "").split())
                mapped = aggregate(row)
                if not text or mapped is None:
                    continue
                label, categories = mapped
                yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{split}",
                             licence_class=LICENCE_CLASS, categories=categories, lang="en", split=split)
