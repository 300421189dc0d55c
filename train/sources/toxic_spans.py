"""Toxic Spans (Pavlopoulos et al., ACL 2022): Civil Comments posts re-annotated by several crowd workers.

Every comment had been rated toxic by some raters before; here several workers each flag it
(``annotations.csv``: ``all toxic``, ``not toxic``) and mark toxic spans with a type
(``spans.csv``: Insult, Threat, Identity based Attack, Profane/Obscene, Other Toxicity).
The flags contradict each other on many rows (21,189 annotations carry both ``all toxic`` and
``not toxic``, almost all without a span), so workers are aggregated explicitly:

* a worker's **vote** is *toxic* when the annotation marks at least one span, or ``all toxic``
  without ``not toxic``; *not toxic* when ``not toxic`` is set and no span is marked; otherwise the
  worker abstains;
* a comment is **safe** (a hard negative: it looked toxic to someone) when strictly more than half
  of its workers voted *not toxic*, **toxic** when strictly more than half voted *toxic*, and is
  skipped otherwise;
* a toxic comment's **types** are those marked in a span by at least half of its toxic voters.

The taxonomy is about harm, not rudeness (:data:`TYPE_MAP`): ``Identity based Attack`` ->
``hate``, ``Threat`` -> ``violent_crimes``; a toxic comment with neither (insults, profanity, other
toxicity only) is NOT emitted, as ConvAbuse's generic insults are not.

A text posted more than once is emitted once, and not at all when its copies aggregate
differently. Split: no published split in these files, so a stable 30% of the texts is split
``test``, never trained on: the yardstick's *real user text* family reads it.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import held_out

NAME = "toxic_spans"
LICENCE = "CC0-1.0"
LICENCE_CLASS = "permissive"
OPT_IN = True  # loaded only when a config names it in [data] sources
TEST_SHARE = 0.3

#: span type -> taxonomy category (types not listed map to nothing: rudeness is not a hazard)
TYPE_MAP: dict[str, str] = {"Identity based Attack": "hate", "Threat": "violent_crimes"}
#: truncated type names in spans.csv, read as their full name
TYPE_ALIASES: dict[str, str] = {"Identity based ": "Identity based Attack", "Insu": "Insult"}
TYPES = ("Insult", "Threat", "Identity based Attack", "Profane/Obscene", "Other Toxicity", "")


def _flag(value: str, where: str) -> bool:
    if value not in ("True", "False"):
        raise ValueError(f"{NAME}: flag {value!r} is neither True nor False ({where})")
    return value == "True"


def vote(all_toxic: bool, not_toxic: bool, span_types: set[str]) -> str | None:
    """One worker's vote: "toxic", "not toxic", or None (abstains). See the module docstring."""
    if span_types or (all_toxic and not not_toxic):
        return "toxic"
    if not_toxic:
        return "not toxic"
    return None


def aggregate(votes: list[tuple[str | None, set[str]]]) -> tuple[str, list[str]] | None:
    """(label, categories) of a comment from its workers' (vote, span types), or None (skipped)."""
    n = len(votes)
    toxic = [types for v, types in votes if v == "toxic"]
    not_toxic = sum(1 for v, _ in votes if v == "not toxic")
    if 2 * not_toxic > n:
        return "safe", []
    if 2 * len(toxic) <= n:
        return None
    types = {t for ts in toxic for t in ts if 2 * sum(t in ts2 for ts2 in toxic) >= len(toxic)}
    categories = sorted({TYPE_MAP[t] for t in types if t in TYPE_MAP})
    return ("unsafe", categories) if categories else None


def load(data_dir: Path) -> Iterator[Record]:
    root = Path(data_dir) / NAME
    span_types: dict[str, set[str]] = defaultdict(set)
    with open(root / "spans.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            t = TYPE_ALIASES.get(row["type"], row["type"])
            if t not in TYPES:
                raise ValueError(f"{NAME}: unknown span type {row['type']!r}")
            span_types[row["annotation"]].add(t)
    votes: dict[str, list[tuple[str | None, set[str]]]] = defaultdict(list)
    with open(root / "annotations.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            where = f"annotation {row['annotation']}"
            types = span_types.get(row["annotation"], set())
            votes[row["comment_id"]].append(
                (vote(_flag(row["all toxic"], where), _flag(row["not toxic"], where), types), types))
    outcome: dict[str, tuple[str, list[str]] | None] = {}
    with open(root / "comments.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = " ".join(row["comment_text"].split())
            mapped = aggregate(votes.get(row["comment_id"], []))
            if text and text in outcome and outcome[text] != mapped:
                outcome[text] = None  # one text, two outcomes: neither is trusted
            elif text:
                outcome.setdefault(text, mapped)
    for text, mapped in outcome.items():
        if mapped is not None:
            label, categories = mapped
            split = "test" if held_out(text, TEST_SHARE, NAME) else ""
            yield Record(text=text, role="prompt", label=label, source=f"{NAME}/test" if split else NAME,
                         licence_class=LICENCE_CLASS, categories=categories, lang="en", split=split,
                         hard_negative=label == "safe")
