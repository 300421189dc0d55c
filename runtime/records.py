"""The one record schema every data source is turned into, and its JSONL I/O.

A record is one text to classify. Responses keep the prompt they answer in
``context`` so the guard can judge a reply in the light of its question.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from tinyguard.atomic import atomic_open
from tinyguard.taxonomy import CATEGORIES, LABELS, ROLES

T = TypeVar("T")

LICENCE_CLASSES = (
    "permissive", "share-alike", "non-commercial", "copyleft", "unknown", "research-only",
    "evaluation-only",  # never trained, tuned or selected on: only the OOD yardstick reads it
)
TRAINABLE_LICENCE_CLASSES = LICENCE_CLASSES[:-1]
#: "test": published test splits a loader keeps apart; never trained on, only the OOD yardstick scores them
SPLITS = ("train", "validation", "test", "")


@dataclass
class Record:
    """One labelled text. ``categories`` may be empty (unknown) even when unsafe."""

    text: str
    role: str  # "prompt" | "response"
    label: str  # "safe" | "unsafe"
    source: str  # data set name, e.g. "advbench"; may carry a subset, "coconot/eval"
    licence_class: str
    categories: list[str] = field(default_factory=list)
    context: str = ""  # for responses: the prompt being answered
    lang: str = "en"
    split: str = ""  # the splitter fills "train" | "validation"; a loader may keep its set's own split
    hard_negative: bool = False  # benign text on a sensitive topic (see hard_negatives.py)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"empty text in a record from {self.source!r}")
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r} not in {ROLES}")
        if self.label not in LABELS:
            raise ValueError(f"label {self.label!r} not in {LABELS}")
        if self.licence_class not in LICENCE_CLASSES:
            raise ValueError(f"licence class {self.licence_class!r} not in {LICENCE_CLASSES}")
        bad = [c for c in self.categories if c not in CATEGORIES]
        if bad:
            raise ValueError(f"categories {bad} not in the taxonomy")
        if self.label == "safe" and self.categories:
            raise ValueError("a safe record carries no categories")
        if self.split not in SPLITS:
            raise ValueError(f"split {self.split!r} not in {SPLITS}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Record":
        return cls(**d)


def write_jsonl(records: Iterable[Record], path: str | os.PathLike) -> int:
    """Write records atomically (temp file + rename); return how many were written."""
    return write_json_lines((asdict(r) for r in records), path)


def write_json_lines(rows: Iterable[dict], path: str | os.PathLike) -> int:
    """Write dicts as JSONL atomically, creating the folder; return how many were written."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with atomic_open(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_objects(path: str | os.PathLike, parse: Callable[[dict], T]) -> Iterator[T]:
    """``parse`` of each non-blank JSON line of ``path``; a bad line raises ValueError naming it."""
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield parse(json.loads(line))
                except (ValueError, TypeError, KeyError) as e:
                    raise ValueError(f"{path}:{i}: {e}") from e


def read_jsonl(path: str | os.PathLike) -> Iterator[Record]:
    return read_objects(path, Record.from_dict)
