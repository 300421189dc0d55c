"""AdvBench harmful behaviours: 520 harmful instructions (``goal``) with a target reply.

Only ``goal`` is a prompt; ``target`` ("Sure, here is ...") is an attack aid, not a model
output, so it is not emitted. AdvBench has no category column, so categories stay empty.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "advbench"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: file -> (label, categories). No per-row category exists: the goals mix cyber crime,
#: violence, fraud, weapons and misinformation, so the category is honestly unknown ([]).
FILE_MAP: dict[str, tuple[str, list[str]]] = {
    "harmful_behaviors.csv": ("unsafe", []),
}

COLUMNS = ("goal", "target")


def load(data_dir: Path) -> Iterator[Record]:
    for name, (label, categories) in FILE_MAP.items():
        path = Path(data_dir) / NAME / name
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise ValueError(f"{NAME}: unexpected columns {reader.fieldnames} in {name}; "
                                 f"expected {COLUMNS}")
            for row in reader:
                text = (row["goal"] or "").strip()
                if text:
                    yield Record(text=text, role="prompt", label=label, source=NAME,
                                 licence_class=LICENCE_CLASS, categories=list(categories), lang="en")
