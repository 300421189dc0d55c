"""The regression suite: harvested attacks the final guard catches, frozen into a JSONL file.

Why: a later model (a new recipe, a new student) must not silently reopen a hole an
adversarial round closed. :func:`freeze` keeps the curated adversarial records that the final
guard gets right (an evasion flagged, a false alarm passed) as plain labelled records;
:func:`reopened` lists those a guard gets wrong. No suite is shipped yet: the real run that
copies RUN/regression.jsonl to :data:`SHIPPED` (together with the default bundle it produced)
adds the test that scores the bundled default model on it.
``guard-cli eval FILE`` scores any bundle on it too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from tinyguard.records import Record, read_jsonl, write_jsonl
from .rewards import Scorer

SHIPPED = Path(__file__).parent / "regression.jsonl"


def _right(records: Sequence[Record], guard: Scorer) -> list[tuple[Record, float, bool]]:
    scores = guard([r.text for r in records], [r.role for r in records], [r.context for r in records])
    return [(r, float(s), (float(s) >= guard.threshold) == (r.label == "unsafe")) for r, s in zip(records, scores)]


def freeze(records: Sequence[Record], guard: Scorer, path: Path) -> int:
    """Write the records ``guard`` gets right to ``path`` (atomically); return how many."""
    return write_jsonl([r for r, _, ok in _right(records, guard) if ok], path)


def reopened(path: Path, guard: Scorer) -> list[tuple[Record, float]]:
    """(record, score) for every frozen attack ``guard`` now gets wrong."""
    records = list(read_jsonl(path))
    return [(r, s) for r, s, ok in _right(records, guard) if not ok] if records else []
