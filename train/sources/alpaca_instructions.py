"""Alpaca instructions as processed by andyrdt/refusal_direction: benign instructions.

Opt-in only: CC-BY-NC-4.0 (non-commercial). refusal_direction uses this file as its
*harmless* instruction set; each ``instruction`` is a safe prompt. Its ``category`` field
is null on every row; the table maps that null, and any real category value raises
(it would mean a different file with labels we have not read).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "alpaca_instructions"
LICENCE = "CC-BY-NC-4.0"
LICENCE_CLASS = "non-commercial"

#: ``category`` -> (label, categories). Only null occurs: the harmless set.
LABEL_MAP: dict[str | None, tuple[str, list[str]]] = {None: ("safe", [])}

FILE = "alpaca_instructions.json"


def load(data_dir: Path) -> Iterator[Record]:
    with open(Path(data_dir) / NAME / FILE, encoding="utf-8") as f:
        rows = json.load(f)
    for i, row in enumerate(rows):
        category = row.get("category")
        if category not in LABEL_MAP:
            raise ValueError(f"{NAME}: unmapped category {category!r} in {FILE}[{i}]")
        label, cats = LABEL_MAP[category]
        yield Record(text=row["instruction"].strip(), role="prompt", label=label, source=NAME,
                     licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
