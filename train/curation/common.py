"""Shared pieces of the curation rounds: decisions, reason codes, the round interface."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from ..candidates import LLM_METHODS, Candidate
from ..config import CurateConfig
from tinyguard.records import Record, write_json_lines

if TYPE_CHECKING:
    from ..generators.base import Generator

#: Every reason code a round may log, with the one line the report prints for it.
REASONS: dict[str, str] = {
    # round 1: clean
    "exact_dup": "same text (case/punctuation-insensitive; operators: exact) as an earlier candidate",
    "exact_dup_label_conflict": "same text as another candidate with the other intended label (all copies dropped)",
    "exact_dup_seed": "same text as a seed record (train or validation)",
    "too_short": "shorter than min_chars after normalization",
    "too_long": "longer than max_chars after normalization",
    "wrong_language": "not in cfg.languages (English heuristic: script + function words)",
    # round 2: near duplicates
    "near_dup": "MinHash Jaccard >= threshold with an earlier kept candidate",
    "near_dup_seed": "MinHash Jaccard >= threshold with a seed record (train or validation)",
    "validation_parent": "made from a validation seed record (would leak into validation)",
    # round 3: generator failures
    "empty_output": "nothing left once wrappers are stripped",
    "refusal": "the generator refused instead of writing the text",
    "echoed_instructions": "the output talks about the task or repeats the prompt template",
    "multiple_outputs": "a list of several texts where one was asked",
    "truncated": "long output cut off mid-sentence (hit max_tokens)",
    "wrapper_stripped": "quotes / 'Paraphrase:' / 'Sure, here is...' wrapper stripped (kept)",
    # round 4: label verification
    "verified": "every voter that voted agrees with the intended label",
    "relabelled_both_disagree": "teacher and judge both vote for the other label",
    "votes_split": "teacher and judge disagree",
    "kept_judge_over_teacher": "look-alike with a split vote: the judge agrees with the intended label",
    "judge_rejected": "look-alike with a split vote: the judge votes for the other label",
    "single_vote_disagrees": "the only voter that voted is for the other label",
    "no_votes": "no voter gave a vote (teacher unsure, judge absent or unparseable)",
    "label_by_construction": "rule candidate (operator, restyle): a rule rewrite keeps its seed's label",
    # round 5: label noise
    "label_issue": "cleanlab flags the intended label as likely wrong",
    # round 6: diversity
    "cluster_cap": "its embedding cluster already holds max_per_cluster candidates",
    "category_cap": "its (label, category) already holds max_per_category candidates",
}


TeacherScores = Callable[[list[Record]], np.ndarray]  # records -> [N] unsafe probabilities
Embed = Callable[[list[str]], np.ndarray]  # texts -> [N, D] sentence embeddings


@dataclass
class Decision:
    """One logged decision about a candidate: a drop, relabel, strip or a notable keep."""

    round: int
    round_name: str
    action: str  # "drop" | "relabel" | "strip" | "keep"
    reason: str  # a key of REASONS
    method: str
    template: str
    source: str
    label: str  # the label the candidate had when the round saw it
    categories: list[str]
    text: str  # the text the round saw
    after: str = ""  # strip: the new text; relabel: the new label
    detail: str = ""  # e.g. "teacher=0.93 judge=unsafe"

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown reason code {self.reason!r}")

    @classmethod
    def of(cls, rnd: int, name: str, action: str, reason: str, c: Candidate, *,
           after: str = "", detail: str = "") -> "Decision":
        r = c.record
        return cls(rnd, name, action, reason, c.method, c.template, r.source, r.label,
                   list(r.categories), r.text, after, detail)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RoundOutput:
    kept: list[Candidate]
    decisions: list[Decision] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)  # round-specific extras (kept reasons...)


@dataclass
class RoundContext:
    """Everything a round may read besides its input candidates."""

    seed: list[Record]
    cfg: CurateConfig
    teacher_scores: TeacherScores
    embed: Embed
    judge: Generator | None = None  # only .generate(prompts, max_tokens=, temperature=0.0) is used
    progress: bool = True
    extras_dir: Any = None  # Path of the round's folder, for side outputs (seed label issues)


def is_llm(c: Candidate) -> bool:
    return c.method in LLM_METHODS


def with_text(c: Candidate, text: str, context: str | None = None) -> Candidate:
    rec = replace(c.record, text=text, context=c.record.context if context is None else context)
    return replace(c, record=rec)


def with_label(c: Candidate, label: str) -> Candidate:
    """A relabel: to safe clears categories; to unsafe keeps (empty) categories and no hard negative."""
    cats = [] if label == "safe" else list(c.record.categories)
    hard = c.record.hard_negative if label == "safe" else False
    return replace(c, record=replace(c.record, label=label, categories=cats, hard_negative=hard))


def exact_key(role: str, text: str) -> str:
    """Case- and punctuation-sensitive identity (for rule operators, whose casing is the point)."""
    return hashlib.sha1(f"{role}\x00{text.strip()}".encode()).hexdigest()


def summarize(cands: list[Candidate]) -> dict[str, Any]:
    """Counts by method, source, label and (label, category); safe records count as "safe"."""
    return {
        "total": len(cands),
        "by_method": count(c.method for c in cands),
        "by_source": count(c.record.source for c in cands),
        "by_label": count(c.record.label for c in cands),
        "by_category": count(k for c in cands for k in category_keys(c.record)),
        "by_method_label": count(f"{c.method}/{c.record.label}" for c in cands),
    }


def category_keys(r: Record) -> list[str]:
    """The (label, category) buckets a record counts in: "safe", "unsafe/<cat>" or "unsafe/none"."""
    if r.label == "safe":
        return ["safe"]
    return [f"unsafe/{c}" for c in r.categories] or ["unsafe/none"]


def count(keys: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(keys).items()))


def write_rows(path: Path, rows: Iterable[dict]) -> int:
    """Write dicts as JSONL atomically (temp file + rename); return how many."""
    return write_json_lines(rows, path)


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
