"""HatemojiBuild (Kirk et al., 2021): adversarial emoji-based hate with label-flipping pairs.

Each original text (``set`` = original) has a minimal perturbation (``matched_text``,
``matched_id``) that often flips the gold label (majority of three annotators: 1 hateful,
0 not). Mapping (:data:`LABEL_MAP`): 1 -> unsafe ``hate``; 0 -> safe, and a hard negative
(it was written to look like the hateful half of its pair).

Pairs must stay in one split or validation leaks: the published train/validation/test files
do NOT keep them together (1,964 texts have their partner in another file). So records are
grouped into connected components over ``matched_id`` and each component takes the latest
split any member was published in (test > validation > train): a pair touching the test file
is entirely test, and never trained on.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "hatemoji_build"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "permissive"

#: file -> our split, in increasing precedence
FILES: dict[str, str] = {"train.csv": "train", "validation.csv": "validation", "test.csv": "test"}
#: ``label_gold`` -> (label, categories)
LABEL_MAP: dict[str, tuple[str, list[str]]] = {"1": ("unsafe", ["hate"]), "0": ("safe", [])}


def gold_label(row: dict[str, str], source: str) -> tuple[str, list[str]]:
    """(label, categories) of a Hatemoji row's ``label_gold`` (shared with HatemojiCheck)."""
    gold = row["label_gold"]
    if gold not in LABEL_MAP:
        raise ValueError(f"{source}: unmapped label_gold {gold!r}; add it to LABEL_MAP")
    label, categories = LABEL_MAP[gold]
    return label, list(categories)


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def pair_splits(rows: dict[str, tuple[str, dict[str, str]]]) -> dict[str, str]:
    """entry_id -> split, where every component of matched pairs gets its latest split."""
    parent = {k: k for k in rows}
    for k, (_split, row) in rows.items():
        m = row.get("matched_id", "")
        if m in parent:
            parent[_find(parent, k)] = _find(parent, m)
    order = list(FILES.values())
    best: dict[str, str] = {}
    for k, (split, _row) in rows.items():
        root = _find(parent, k)
        if root not in best or order.index(split) > order.index(best[root]):
            best[root] = split
    return {k: best[_find(parent, k)] for k in rows}


def load(data_dir: Path) -> Iterator[Record]:
    rows: dict[str, tuple[str, dict[str, str]]] = {}
    for file, split in FILES.items():
        with open(Path(data_dir) / NAME / file, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["entry_id"] in rows:
                    raise ValueError(f"{NAME}: entry_id {row['entry_id']} appears twice")
                rows[row["entry_id"]] = (split, row)
    splits = pair_splits(rows)
    for k, (_published, row) in rows.items():
        label, categories = gold_label(row, NAME)
        text = " ".join(row["text"].split())
        if text:
            split = splits[k]
            yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{split}",
                         licence_class=LICENCE_CLASS, categories=categories, lang="en",
                         split=split, hard_negative=label == "safe")
