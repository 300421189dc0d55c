"""The harvest: a round's verified successes, made diverse, as candidates for curation.

From every scored attempt of the round's attackers (rewards.py) the harvest keeps the
*successes* (label verified, guard wrong), best reward first, and drops

* ``seed_cap``: the (seed, goal) already has ``max_per_seed`` harvested texts, so one easy
  seed cannot fill the round;
* ``not_novel``: 1 - max cosine to every earlier harvest (all earlier rounds and this one so
  far) is under ``min_novelty``: the same trick a thousand times teaches the guard once.

The same distance, as :class:`NoveltyIndex`, is the novelty bonus in the attacker's reward.
Survivors become :class:`~tinyguard.train.candidates.Candidate` records for the existing
curation rounds: LLM evasions as ``rewrite`` (same request, other words; label unsafe, the
seed's categories), LLM false alarms as ``lookalike`` (benign text on a sensitive topic, a hard
negative; round 4 lets the judge decide split votes), bandit texts as ``operator`` (label by
construction). Their source is ``synthetic-adversarial/<goal>/r<round>``.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..candidates import Candidate, text_id
from tinyguard.records import Record
from .config import HarvestConfig
from .rewards import TEMPLATES, Scored

SOURCE = "synthetic-adversarial"


class NoveltyIndex:
    """L2-normalised embeddings of earlier harvests; novelty = 1 - max cosine (1 when empty)."""

    def __init__(self, vectors: np.ndarray | None = None) -> None:
        self.vectors = np.zeros((0, 0), np.float32) if vectors is None or not len(vectors) else \
            np.asarray(vectors, np.float32)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def __call__(self, emb: np.ndarray) -> np.ndarray:
        emb = np.asarray(emb, np.float32)  # [M, D]
        if not len(self):
            return np.ones(len(emb))
        return 1.0 - (emb @ self.vectors.T).max(axis=1)  # [M]

    def add(self, emb: np.ndarray) -> None:
        emb = np.asarray(emb, np.float32).reshape(len(emb), -1)
        self.vectors = emb if not len(self) else np.vstack([self.vectors, emb])

    @classmethod
    def from_files(cls, paths: Sequence[Path]) -> "NoveltyIndex":
        arrays = [np.load(p, allow_pickle=False) for p in paths if Path(p).is_file()]
        arrays = [a for a in arrays if len(a)]
        return cls(np.vstack(arrays) if arrays else None)


def select(scored: Sequence[Scored], cfg: HarvestConfig, index: NoveltyIndex,
           embed: Callable[[list[str]], np.ndarray]) -> tuple[list[Scored], np.ndarray, Counter]:
    """(kept successes, their embeddings [K, D], drop reasons). ``index`` grows with the kept ones."""
    wins = sorted((s for s in scored if s.success), key=lambda s: -s.reward)
    reasons: Counter = Counter()
    if not wins:
        return [], np.zeros((0, 0), np.float32), reasons
    emb = np.asarray(embed([s.attempt.text for s in wins]), np.float32)  # [W, D]
    per_seed: Counter = Counter()
    kept, vectors = [], []
    for s, e in zip(wins, emb):
        key = (s.attempt.seed.text, s.attempt.goal)
        if per_seed[key] >= cfg.max_per_seed:
            reasons["seed_cap"] += 1
            continue
        novelty = float(index(e[None])[0])
        if novelty < cfg.min_novelty:
            reasons["not_novel"] += 1
            continue
        s.novelty = novelty
        per_seed[key] += 1
        index.add(e[None])
        kept.append(s)
        vectors.append(e)
    return kept, (np.stack(vectors) if vectors else np.zeros((0, emb.shape[1]), np.float32)), reasons


def to_candidate(s: Scored, round_no: int) -> Candidate:
    """A harvested attempt as a curation candidate (see the module docstring)."""
    a, seed = s.attempt, s.attempt.seed
    evade = a.goal == "evade"
    record = Record(text=a.text, role=seed.role, label="unsafe" if evade else "safe",
                    source=f"{SOURCE}/{a.goal}/r{round_no}", licence_class=seed.licence_class,
                    categories=list(seed.categories) if evade else [], context=seed.context, lang=seed.lang,
                    split="train", hard_negative=(not evade) and (a.attacker == "policy" or seed.hard_negative))
    method = "operator" if a.by_construction else ("rewrite" if evade else "lookalike")
    template = a.arm if a.by_construction else TEMPLATES[a.goal]
    key = f"adversarial:r{round_no}:{a.goal}:{a.attacker}:{text_id(a.text)}"
    return Candidate(record, method, text_id(seed.text), f"adversarial-{a.attacker}", template, a.text, key)


def harvest_rows(scored: Sequence[Scored], kept: Sequence[Scored], round_no: int) -> list[dict[str, Any]]:
    """Every attempt as a JSON row (attempts.jsonl), with whether it was harvested and its key."""
    keys = {id(s): to_candidate(s, round_no).key for s in kept}
    return [{**s.to_dict(), "round": round_no, "harvested": id(s) in keys, "key": keys.get(id(s), "")}
            for s in scored]
