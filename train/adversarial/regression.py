"""The regression suite: harvested attacks the final guard catches, frozen into a JSONL file.

Why: a later model (a new recipe, a new student) must not silently reopen a hole an
adversarial round closed. :func:`freeze` keeps the curated adversarial records that the final
guard gets right (an evasion flagged, a false alarm passed) as plain labelled records;
:func:`reopened` lists those a guard gets wrong. A run freezes against its own final guard
(RUN/regression.jsonl); :func:`freeze_run` (``guard-cli adversarial --run-dir RUN --freeze
BUNDLE``) freezes a finished run against any bundle, e.g. the student distilled from the run
that becomes the default. The file that ships is :data:`SHIPPED`;
tests/test_adversarial_regression.py scores the bundled default model on it.
``guard-cli eval FILE`` scores any bundle on it too.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from tinyguard.records import Record, read_jsonl, write_jsonl
from .rewards import Scorer, role_threshold

SHIPPED = Path(__file__).parent / "regression.jsonl"


def _right(records: Sequence[Record], guard: Scorer) -> list[tuple[Record, float, bool]]:
    scores = guard([r.text for r in records], [r.role for r in records], [r.context for r in records])
    return [(r, float(s), (float(s) >= role_threshold(guard, r.role)) == (r.label == "unsafe"))
            for r, s in zip(records, scores)]


def freeze(records: Sequence[Record], guard: Scorer, path: Path) -> int:
    """Write the records ``guard`` gets right to ``path`` (atomically); return how many."""
    return write_jsonl([r for r, _, ok in _right(records, guard) if ok], path)


def reopened(path: Path, guard: Scorer) -> list[tuple[Record, float]]:
    """(record, score) for every frozen attack ``guard`` now gets wrong."""
    records = list(read_jsonl(path))
    return [(r, s) for r, s, ok in _right(records, guard) if not ok] if records else []


def run_records(run_dir: Path) -> list[Record]:
    """The curated adversarial records of every round of a finished run (what its guards trained on)."""
    run_dir = Path(run_dir)
    if not (run_dir / "summary.json").is_file():
        raise FileNotFoundError(f"{run_dir} holds no finished adversarial run (no summary.json): "
                                f"finish it with `guard-cli adversarial --run-dir {run_dir}` first")
    out: list[Record] = []
    k = 1
    while (run_dir / f"round{k}").is_dir():
        path = run_dir / f"round{k}" / "curate" / "curated.jsonl"
        if path.is_file():
            out += list(read_jsonl(path))
        k += 1
    return out


def default_out(run_dir: Path, model_id: str) -> Path:
    """RUN/regression-<model id>.jsonl (RUN/regression.jsonl is the run's own, against its final guard)."""
    return Path(run_dir) / f"regression-{re.sub(r'[^A-Za-z0-9._-]+', '_', model_id)}.jsonl"


def freeze_run(run_dir: Path, guard: Scorer, path: Path) -> tuple[int, int]:
    """Freeze a finished run's adversarial records that ``guard`` gets right; (frozen, offered)."""
    records = run_records(run_dir)
    if not records:
        raise ValueError(f"{run_dir}: its rounds curated no adversarial records, there is nothing to freeze")
    return freeze(records, guard, path), len(records)
