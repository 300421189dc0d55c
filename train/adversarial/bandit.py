"""The cheap attacker: a UCB1 bandit over compositions of the rule operators.

An arm is a composition: up to ``max_word_ops`` word-level operators of runtime/measure/operators.py
(typos, casing, spacing, punctuation, leetspeak, homoglyphs, zero-width, emoji), in registry
order, then at most one whole-text operator (an encoding or jailbreak wrapper of
runtime/measure/operators.py, or a padding / hidden-channel attack of tinyguard.measure.attacks). Word-level
changes come first because an encoding applied before them would no longer decode to the
request. Every operator keeps its text's label (that is their contract, and why curation
keeps operator candidates unasked), so the bandit is label-preserving by construction;
jailbreak wrappers are left out of false-alarm arms (around a benign text they are an attack).

Each pull draws a seed of the goal's pool, applies the arm with its own seeded rng, and the
guard's score is the reward: ``1 - score`` to evade (unsafe seeds), ``score`` for a false
alarm (safe seeds). UCB1 picks the arm with the best mean + c * sqrt(2 ln N / n); unpulled arms
first, in order. This is the baseline the LLM attacker must beat.
"""
from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tinyguard.atomic import atomic_write_text
from tinyguard.measure import operators
from tinyguard.measure.attacks import ATTACKS
from tinyguard.records import Record
from .config import BanditConfig
from .rewards import Attempt, Scorer

#: runtime/measure/operators.py operators that rewrite the whole text (the rest change chosen words)
WHOLE_TEXT_OPERATORS = ("base64", "hex", "rot13", "url", "jailbreak")
#: attacks left out unless named: a 1,000-word padding is slow to score and measured by guard-cli robustness
SLOW = ("pad_prefix_1000", "pad_suffix_1000")
SEP = "+"


def operator_pool() -> tuple[dict[str, Callable], list[str], list[str]]:
    """Every operator by name, and the word-level / whole-text names (registry order)."""
    ops = {**operators.OPERATORS, **ATTACKS}
    word = [n for n in operators.OPERATORS if n not in WHOLE_TEXT_OPERATORS]
    whole = [n for n in ops if n not in word]
    return ops, word, whole


def make_arms(goal: str, cfg: BanditConfig) -> list[str]:
    """Arm names ("typos+base64") for a goal: word-level combinations x (none | one whole-text op)."""
    ops, word, whole = operator_pool()
    chosen = list(cfg.operators) or [n for n in ops if n not in SLOW]
    unknown = [n for n in chosen if n not in ops]
    if unknown:
        raise ValueError(f"unknown operators {unknown} in [bandit]; known: {', '.join(ops)}")
    if goal == "false_alarm":
        chosen = [n for n in chosen if n not in operators.UNSAFE_ONLY]
    w = [n for n in word if n in chosen]
    t = [n for n in whole if n in chosen]
    arms = []
    for k in range(cfg.max_word_ops + 1):
        for combo in itertools.combinations(w, k):
            for last in [None, *t]:
                parts = [*combo, *([last] if last else [])]
                if parts:
                    arms.append(SEP.join(parts))
    return arms


def apply_arm(arm: str, text: str, rng: random.Random) -> str:
    ops, _, _ = operator_pool()
    for name in arm.split(SEP):
        text = ops[name](text, rng)
    return text


@dataclass
class Bandit:
    """UCB1 statistics of one goal's arms (``n`` pulls, ``total`` reward per arm)."""

    goal: str
    arms: list[str]
    exploration: float = 1.0
    n: list[int] = field(default_factory=list)
    total: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.arms:
            raise ValueError(f"no bandit arms for goal {self.goal!r}")
        self.n = self.n or [0] * len(self.arms)
        self.total = self.total or [0.0] * len(self.arms)

    @property
    def pulls(self) -> int:
        return sum(self.n)

    def means(self) -> np.ndarray:
        n = np.array(self.n, np.float64)
        return np.divide(self.total, n, out=np.zeros_like(n), where=n > 0)  # [A]

    def select(self, k: int) -> list[int]:
        """``k`` arms for one batch: UCB1, each pick counted as pending (at its current mean)."""
        n = np.array(self.n, np.float64)
        mean = self.means()
        picks = []
        for _ in range(k):
            unpulled = np.flatnonzero(n == 0)
            if unpulled.size:
                i = int(unpulled[0])
            else:
                ucb = mean + self.exploration * np.sqrt(2.0 * math.log(n.sum()) / n)
                i = int(np.argmax(ucb))
            picks.append(i)
            n[i] += 1
        return picks

    def update(self, arm: int, reward: float) -> None:
        self.n[arm] += 1
        self.total[arm] += float(reward)

    def best(self, k: int = 1, min_pulls: int = 1) -> list[str]:
        """The ``k`` arms with the best mean among those pulled at least ``min_pulls`` times."""
        mean = self.means()
        order = [i for i in np.argsort(-mean, kind="stable") if self.n[i] >= min_pulls]
        return [self.arms[i] for i in order[:k]]

    def to_dict(self) -> dict[str, Any]:
        return {"goal": self.goal, "arms": self.arms, "exploration": self.exploration, "n": self.n,
                "total": [round(t, 6) for t in self.total]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Bandit":
        return cls(d["goal"], list(d["arms"]), d["exploration"], list(d["n"]), list(d["total"]))


def pull_reward(goal: str, score: float) -> float:
    return 1.0 - score if goal == "evade" else score


def train_bandit(bandit: Bandit, seeds: Sequence[Record], guard: Scorer, pulls: int, *, seed: int,
                 batch: int = 16, progress: bool = False) -> list[dict[str, Any]]:
    """``pulls`` pulls against ``guard``, ``batch`` texts per guard call; returns the pull log."""
    from tqdm.auto import tqdm

    if not seeds:
        raise ValueError(f"no seeds for the {bandit.goal} bandit")
    rng = random.Random(f"{seed}:bandit:{bandit.goal}")
    log: list[dict[str, Any]] = []
    with tqdm(total=pulls, desc=f"bandit {bandit.goal}", unit="pull", disable=not progress, mininterval=1.0) as bar:
        done = 0
        while done < pulls:
            picks = bandit.select(min(batch, pulls - done))
            chosen = [rng.choice(seeds) for _ in picks]
            texts = [apply_arm(bandit.arms[i], s.text, random.Random(f"{seed}:{bandit.pulls + j}:{bandit.arms[i]}"))
                     for j, (i, s) in enumerate(zip(picks, chosen))]
            scores = guard(texts, [s.role for s in chosen], [s.context for s in chosen])
            for i, s, text, g in zip(picks, chosen, texts, scores):
                r = pull_reward(bandit.goal, float(g))
                bandit.update(i, r)
                log.append({"arm": bandit.arms[i], "reward": round(r, 4), "score": round(float(g), 4)})
            done += len(picks)
            bar.update(len(picks))
    return log


def bandit_attempts(bandit: Bandit, seeds: Sequence[Record], arms: int, *, seed: int) -> list[Attempt]:
    """The best ``arms`` arms applied to every seed (seeded per seed and arm)."""
    out = []
    for arm in bandit.best(arms):
        for s in seeds:
            text = apply_arm(arm, s.text, random.Random(f"{seed}:{arm}:{s.text}"))
            out.append(Attempt(bandit.goal, s, text, "bandit", arm))
    return out


def save_bandits(bandits: dict[str, Bandit], path: Path) -> None:
    atomic_write_text(path, json.dumps({g: b.to_dict() for g, b in bandits.items()}, indent=1) + "\n")


def load_bandits(path: Path) -> dict[str, Bandit]:
    return {g: Bandit.from_dict(d) for g, d in json.loads(Path(path).read_text(encoding="utf-8")).items()}
