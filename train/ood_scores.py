"""A bundle's scores on yardstick texts, defenses on and off from one pass, cached on disk.

Why one pass: :meth:`tinyguard.Guard.score` returns for each text both the plain score (the
normalized text's windows: what ``Guard.load(defenses=False)`` gives) and the defended one (max
over those, the de-obfuscated views and the sentences alone), so the report's "defenses off"
column costs nothing extra. Why a cache: the report, the threshold rule and a rerun after a
report-only change score the same texts with the same model; the cache is keyed by everything
that changes a score (model and tokenizer hashes, encoding, defenses, text limits) and by text,
role and context, so a changed bundle never reads stale scores.

As in v1 (``score_records``), a text the guard flags because it could not fully check it (its
``on_unchecked`` policy, "flag" by default) counts as score 1.0, in both columns: a user sees that
verdict. :class:`Scored` also keeps which texts were flagged that way and the model's own score,
so a report can tell "flagged by score" from "flagged because not fully checked".
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import numpy as np

from tinyguard.atomic import atomic_open
from tinyguard.records import Record
from tinyguard.taxonomy import N_OUTPUTS
from tinyguard.verdict import TRUNCATED, UNSUPPORTED


#: bumped when a cached row changes shape (2: a third row holds the not-fully-checked flag)
CACHE_FORMAT = 2


def bundle_key(guard: Any) -> str:
    """A digest of everything about a loaded guard that changes its scores (and the cache format)."""
    m = guard.manifest
    parts = {"cache_format": CACHE_FORMAT, "files": m.files, "model_file": guard.model_file, "encoding": m.raw.get("encoding"),
             "normalization": m.normalization, "defenses": guard.defenses.to_dict(), "max_chars": guard.max_chars,
             "min_coverage": guard.min_coverage, "on_unchecked": guard.on_unchecked, "backend": guard.backend}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def text_key(r: Record) -> str:
    return hashlib.sha1(f"{r.role}\x00{r.context}\x00{r.text}".encode("utf-8")).hexdigest()


class ScoreCache:
    """Scores by :func:`text_key`: [3, N_OUTPUTS] per text (the model's scores with defenses on,
    then off, then the not-fully-checked flags: any reason, truncated, unsupported), one ``.npz`` per bundle key under
    ``folder`` (None: no cache, nothing written)."""

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


class Scored(NamedTuple):
    """A bundle's scores on records, as a user's verdicts would have them."""

    on: np.ndarray  # [n, N_OUTPUTS] defenses on; unsafe column 1.0 where the policy flags
    off: np.ndarray  # [n, N_OUTPUTS] defenses off; likewise
    policy: np.ndarray  # [n] bool: flagged by the on_unchecked policy (not fully checked, "flag")
    model_on: np.ndarray  # [n] the model's own unsafe score, defenses on, before the policy
    truncated: np.ndarray  # [n] bool: not fully checked because cut at max_chars (else: unsupported script)

    def flagged_by_policy(self, threshold: float) -> np.ndarray:
        """[n] bool: flagged only because not fully checked (the model's score is under ``threshold``)."""
        return self.policy & (self.model_on < threshold)


def score_both(guard: Any, records: Sequence[Record], cache: ScoreCache, *, chunk: int = 128,
               progress: bool = True, desc: str = "scoring") -> Scored:
    """:class:`Scored` for ``records`` (defenses on and off from one pass), cached."""
    from tqdm.auto import tqdm

    keys = [text_key(r) for r in records]
    first = {k: i for i, k in reversed(list(enumerate(keys)))}  # each distinct text once
    todo = sorted(i for k, i in first.items() if k not in cache.rows)
    with tqdm(total=len(todo), desc=desc, unit="text", mininterval=2.0, disable=not progress or not todo) as bar:
        for start in range(0, len(todo), chunk):
            part = [records[i] for i in todo[start: start + chunk]]
            scored = guard.score([r.text for r in part], [r.role for r in part], contexts=[r.context for r in part])
            for i, s in zip(todo[start: start + chunk], scored):
                unchecked = np.zeros(N_OUTPUTS)  # any reason, truncated, unsupported
                unchecked[:3] = [bool(s.unchecked), TRUNCATED in s.unchecked, UNSUPPORTED in s.unchecked]
                cache.rows[keys[i]] = np.stack([s.defended, s.plain, unchecked]).astype(np.float64)
            bar.update(len(part))
    cache.save()
    rows = np.stack([cache.rows[k] for k in keys]) if keys else np.zeros((0, 3, N_OUTPUTS))
    policy = (rows[:, 2, 0] > 0) & (guard.on_unchecked == "flag")
    on, off = rows[:, 0, :].copy(), rows[:, 1, :].copy()
    on[policy, 0] = 1.0
    off[policy, 0] = 1.0
    return Scored(on, off, policy, rows[:, 0, 0].copy(), rows[:, 2, 1] > 0)
