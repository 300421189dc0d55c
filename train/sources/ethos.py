"""ETHOS binary (intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset): YouTube/Reddit comments.

Opt-in only: GPL-3.0 (copyleft). ``isHate`` is the share of annotators who judged the
comment hate speech. As the dataset's authors binarise it, ``isHate >= 0.5`` is hate
speech: unsafe ``["hate"]``; below is safe. The 74 comments at exactly 0.5 (a tie) are
unsafe by that rule. Only the binary file is read; the multi-label file re-annotates a
subset of the hateful comments (targets, violence) and adds no label for this schema.
Comments are user text, so role is "prompt".
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "ethos"
LICENCE = "GPL-3.0"
LICENCE_CLASS = "copyleft"

THRESHOLD = 0.5
#: binarised ``isHate`` score -> (label, categories).
LABEL_MAP: dict[str, tuple[str, list[str]]] = {
    "isHate>=0.5": ("unsafe", ["hate"]),
    "isHate<0.5": ("safe", []),
}

FILE = "Ethos_Dataset_Binary.csv"


def _bucket(raw: str) -> str:
    try:
        score = float(raw)
    except ValueError:
        raise ValueError(f"{NAME}: unmapped isHate value {raw!r} (not a number)") from None
    if math.isnan(score) or not 0.0 <= score <= 1.0:
        raise ValueError(f"{NAME}: unmapped isHate value {raw!r} (outside [0, 1])")
    return "isHate>=0.5" if score >= THRESHOLD else "isHate<0.5"


def load(data_dir: Path) -> Iterator[Record]:
    with open(Path(data_dir) / NAME / FILE, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter=";")
        if reader.fieldnames != ["comment", "isHate"]:
            raise ValueError(f"{NAME}: unexpected columns {reader.fieldnames} in {FILE}")
        for row in reader:
            if None in row or row["isHate"] is None:
                raise ValueError(f"{NAME}: malformed row {row!r} in {FILE}")
            label, cats = LABEL_MAP[_bucket(row["isHate"])]
            yield Record(text=row["comment"].strip(), role="prompt", label=label, source=NAME,
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
