"""NQ-Open (google-research-datasets/natural-questions): real Google search questions, benign.

Opt-in only: CC-BY-SA-3.0 (share-alike). Each ``question`` is a safe prompt (lower-case
search phrasing: "when was the last time anyone was on the moon"). The dev file has
answers, the two EfficientQA files do not; answers are not emitted. No file has a label,
so a row with a field outside :data:`FILES` raises instead of passing as safe.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "nq_open"
LICENCE = "CC-BY-SA-3.0"
LICENCE_CLASS = "share-alike"

#: no labels in the source: encyclopaedic questions real users typed into Google.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {"*": ("safe", [])}

#: file -> (subset, allowed fields)
FILES: dict[str, tuple[str, frozenset[str]]] = {
    "nq_open_NQ-open.dev.jsonl": ("dev", frozenset({"question", "answer"})),
    "nq_open_NQ-open.efficientqa.dev.1.1.no-annotations.jsonl": ("efficientqa_dev", frozenset({"question"})),
    "nq_open_NQ-open.efficientqa.test.1.1.no-annotations.jsonl": (
        "efficientqa_test", frozenset({"question"})),
}


def load(data_dir: Path) -> Iterator[Record]:
    label, cats = LABEL_MAP["*"]
    for fname, (subset, fields) in FILES.items():
        for i, row in iter_jsonl(Path(data_dir) / NAME / fname):
            if set(row) != fields:
                raise ValueError(f"{NAME}: unexpected fields {sorted(set(row) ^ fields)} at {fname}:{i}")
            yield Record(text=row["question"].strip(), role="prompt", label=label,
                         source=f"{NAME}/{subset}", licence_class=LICENCE_CLASS,
                         categories=list(cats), lang="en")
