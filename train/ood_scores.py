"""A bundle's scores on yardstick texts, defenses on and off from one pass, cached on disk.

Why one pass: :meth:`tinyguard.Guard.score` returns for each text both the plain score (the
normalized text's windows: what ``Guard.load(defenses=False)`` gives) and the defended one (max
over those, the de-obfuscated views and the sentences alone), so the report's "defenses off"
column costs nothing extra. Why a cache: the report, the threshold rule and a rerun after a
report-only change score the same texts with the same model; the cache is keyed by everything
that changes a score (model and tokenizer hashes, encoding, defenses, text limits) and by text,
role and context, so a changed bundle never reads stale scores.

As in v1 (``score_records``), a text the guard flags because it could not fully check it (its
``on_unchecked`` policy, "flag" by default) counts as score 1.0, in both columns.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tinyguard.atomic import atomic_open
from tinyguard.records import Record
from tinyguard.taxonomy import N_OUTPUTS


def bundle_key(guard: Any) -> str:
    """A digest of everything about a loaded guard that changes its scores."""
    m = guard.manifest
    parts = {"files": m.files, "model_file": guard.model_file, "encoding": m.raw.get("encoding"),
             "normalization": m.normalization, "defenses": guard.defenses.to_dict(), "max_chars": guard.max_chars,
             "min_coverage": guard.min_coverage, "on_unchecked": guard.on_unchecked, "backend": guard.backend}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def text_key(r: Record) -> str:
    return hashlib.sha1(f"{r.role}\x00{r.context}\x00{r.text}".encode("utf-8")).hexdigest()


class ScoreCache:
    """Scores by :func:`text_key`: [2, N_OUTPUTS] per text (defenses on, then off), one ``.npz``
    per bundle key under ``folder`` (None: no cache, nothing written)."""

    def __init__(self, folder: Path | None, key: str):
        self.path = None if folder is None else Path(folder) / f"scores-{key}.npz"
        self.rows: dict[str, np.ndarray] = {}
        if self.path is not None and self.path.is_file():
            with np.load(self.path) as z:
                self.rows = dict(zip(z["keys"].tolist(), z["scores"]))

    def save(self) -> None:
        if self.path is None or not self.rows:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(self.path, binary=True) as f:
            np.savez(f, keys=np.array(list(self.rows)), scores=np.stack(list(self.rows.values())))


def score_both(guard: Any, records: Sequence[Record], cache: ScoreCache, *, chunk: int = 128,
               progress: bool = True, desc: str = "scoring") -> tuple[np.ndarray, np.ndarray]:
    """([n, N_OUTPUTS] defenses on, [n, N_OUTPUTS] defenses off) for ``records``, cached."""
    from tqdm.auto import tqdm

    keys = [text_key(r) for r in records]
    first = {k: i for i, k in reversed(list(enumerate(keys)))}  # each distinct text once
    todo = sorted(i for k, i in first.items() if k not in cache.rows)
    flag = guard.on_unchecked == "flag"
    with tqdm(total=len(todo), desc=desc, unit="text", mininterval=2.0, disable=not progress or not todo) as bar:
        for start in range(0, len(todo), chunk):
            part = [records[i] for i in todo[start: start + chunk]]
            scored = guard.score([r.text for r in part], [r.role for r in part], contexts=[r.context for r in part])
            for i, s in zip(todo[start: start + chunk], scored):
                row = np.stack([s.defended, s.plain]).astype(np.float64)
                if flag and s.unchecked:
                    row[:, 0] = 1.0
                cache.rows[keys[i]] = row
            bar.update(len(part))
    cache.save()
    out = np.stack([cache.rows[k] for k in keys]) if keys else np.zeros((0, 2, N_OUTPUTS))
    return out[:, 0, :], out[:, 1, :]
