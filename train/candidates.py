"""Synthetic candidates: a generated record plus where it came from, before curation.

``guard-cli augment`` writes ``candidates.jsonl`` (one :class:`Candidate` per line); the
curation rounds read it, drop or relabel candidates with a reason code, and hand the
survivors to training as plain :class:`~tinyguard.records.Record` objects.
Synthetic records always carry ``split="train"``, a source named ``synthetic-<method>/...``
(so the teacher's per-source cap treats each method as its own set), and the licence
class of the seed they came from.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

from tinyguard.records import Record, read_objects, write_json_lines

METHODS = ("paraphrase", "rewrite", "lookalike", "expansion", "operator", "restyle")
#: written by deterministic rules: each keeps its label by construction (curation does not vote on it)
RULE_METHODS = ("operator", "restyle")
LLM_METHODS = ("paraphrase", "rewrite", "lookalike", "expansion")  # written by a generator


def text_id(text: str) -> str:
    """A short stable id for a seed text (candidates name their parent by it)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Candidate:
    """One generated example: the intended record and its provenance."""

    record: Record  # intended label, categories and role
    method: str  # one of METHODS
    parent: str = ""  # text_id of the seed record; "" for topic-only prompts
    generator: str = ""  # backend/model that wrote it, or "rules"
    template: str = ""  # prompt template name (LLM methods) or operator name
    raw: str = ""  # the generator's output before cleaning (failure filters read it)
    key: str = ""  # the augmentation task that made it (resume skips keys already written)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r} not in {METHODS}")

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Candidate":
        d = dict(d)
        d["record"] = Record.from_dict(d["record"])
        return cls(**d)


def read_candidates(path: str | os.PathLike) -> Iterator[Candidate]:
    return read_objects(path, Candidate.from_dict)


def append_candidates(candidates: Iterable[Candidate], path: str | os.PathLike) -> int:
    """Append and flush (augmentation resumes from what is already on disk)."""
    n = 0
    with open(path, "a", encoding="utf-8") as f:
        for c in candidates:
            f.write(c.to_json() + "\n")
            n += 1
        f.flush()
        os.fsync(f.fileno())
    return n


def write_candidates(candidates: Iterable[Candidate], path: str | os.PathLike) -> int:
    """Write atomically (temp file + rename)."""
    return write_json_lines((asdict(c) for c in candidates), path)
