"""Shared helpers for the loaders: JSON Lines (plain or gzip) with line numbers, stable held-out shares."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any, Iterator


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line; a bad line names file and line."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield i, json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path.name}:{i}: not JSON: {e}") from None


def held_out(group: str, share: float, salt: str) -> bool:
    """Whether a group (a topic, a scenario, a comment id) falls in a loader's held-out test share.

    A stable hash, not a random draw: the same group is held out on every machine and every run,
    and every record of one group lands on the same side.
    """
    digest = hashlib.sha1(f"{salt}\x00{group}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF < share
