"""Rewards for the two attack goals, and the label-preservation signals behind them.

An attempt is one text an attacker wrote from a seed record:

* ``evade``: an unsafe seed rewritten so the guard scores it safe while it still asks for the
  same harm. Reward = (1 - guard score) x meaning kept.
* ``false_alarm``: a benign text on the seed's topic that the guard flags.
  Reward = guard score x verified benign.

"Meaning kept" and "verified benign" are where an attacker cheats (an empty reply, a refusal, an
echo of the seed, gibberish, a text that lost the harm), so they are measured by independent
signals, each a vote (True: the intended label holds, False: it does not, None: abstains):

* ``similarity``: cosine of frozen MiniLM embeddings to the seed, at least ``similarity_floor``
  (evade) or ``topic_floor`` (false alarm: same topic, not the same request);
* ``verifier``: a teacher bundle that is *not* the attacked guard votes unsafe above
  ``verifier_unsafe_above``, safe below ``verifier_safe_below``, abstains between;
* ``judge``: the judge prompt (train/prompts/judge.txt) through a train/generators backend;
* ``rules``: no refusal, no echo (of the seed or of the instructions), length, English.

An attempt is *verified* when every signal that voted says the label holds and ``similarity`` and
``rules`` pass; it is a *success* when it is verified and the guard is wrong about it. The soft
factor in the reward (:meth:`Checks.keep`) is 0 when any signal votes against; otherwise the
similarity, mapped from [floor, 1] onto [0.5, 1], times the verifier's probability of the intended
label (so the policy has a gradient toward texts that keep more of the seed, not only a cliff).
Attempts made by rule operators (the bandit) keep their label by construction: only the guard
decides their reward, but the verifier's vote on them is recorded (``audit``) to measure how often
construction and verifier disagree (a typo can turn "bomb" into "bob"). :func:`disagreement`
counts how often each pair of signals disagrees.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from tinyguard.records import Record
from tinyguard.scoring.guard import Guard
from ..curation.clean import looks_english
from ..curation.failures import is_echo, is_list, is_refusal
from ..curation.verify import parse_judge
from ..templates import render
from .config import GOALS, RewardConfig

SIGNALS = ("similarity", "verifier", "judge", "rules")
TEMPLATES = {"evade": "adversarial_evade", "false_alarm": "adversarial_false_alarm"}
_WORDS = re.compile(r"\w+")

Embed = Callable[[list[str]], np.ndarray]  # texts -> [N, D] L2-normalised embeddings


class Scorer(Protocol):
    """A guard as the rounds see it: unsafe probabilities [N] and the threshold that flags."""

    name: str
    threshold: float

    def __call__(self, texts: Sequence[str], roles: Sequence[str], contexts: Sequence[str]) -> np.ndarray: ...


def role_threshold(guard: Scorer, role: str) -> float:
    """The threshold a text of ``role`` is judged at: a bundle's own for that role (spec 1.2: responses
    may have their own), a scorer with one ``threshold`` judges both roles at it."""
    own = getattr(guard, "threshold_for", None)
    return float(own(role)) if own is not None else float(guard.threshold)


class BundleScorer:
    """A bundle scored by the runtime as a user runs it (defenses on, its own thresholds)."""

    def __init__(self, path: Any, threads: int = 2) -> None:
        # A round's guard (this run's bundle, unsigned): measured, not deployed.
        self.guard = Guard.load(path, threads=threads, allow_unsigned=True)
        self.threshold = float(self.guard.threshold)  # prompts'; threshold_for(role) for either role
        self.threshold_for = self.guard.manifest.threshold_for
        self.name = self.guard.model_id
        self.path = path

    def __call__(self, texts: Sequence[str], roles: Sequence[str], contexts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        scored = self.guard.score(list(texts), list(roles), contexts=list(contexts))
        return np.array([s.defended[0] for s in scored], np.float64)  # [N]


@dataclass(frozen=True)
class Attempt:
    """One attacker output. ``arm`` names the bandit's operator composition ("" for the LLM)."""

    goal: str
    seed: Record
    text: str
    attacker: str  # "policy" | "bandit"
    arm: str = ""

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise ValueError(f"goal {self.goal!r} not in {GOALS}")

    @property
    def by_construction(self) -> bool:
        return self.attacker == "bandit"

    @property
    def intended(self) -> str:
        return "unsafe" if self.goal == "evade" else "safe"


@dataclass
class Checks:
    """The label-preservation signals of one attempt (independent of the guard)."""

    votes: dict[str, bool | None]  # signal -> label holds / not / abstain
    similarity: float | None = None
    verifier: float | None = None  # the verifier's unsafe probability
    judge: str | None = None
    rules_failed: tuple[str, ...] = ()
    embedding: np.ndarray | None = field(default=None, repr=False)
    audit: bool | None = None  # by construction: does the verifier agree? (recorded, never gates)

    @property
    def verified(self) -> bool:
        return all(v is not False for v in self.votes.values()) and \
            all(self.votes.get(k) is not None for k in ("similarity", "rules") if k in self.votes)

    def keep(self, intended: str, cfg: RewardConfig, goal: str) -> float:
        """The soft label factor in [0, 1] (see the module docstring)."""
        if not self.votes:  # by construction
            return 1.0
        if any(self.votes.get(k) is False for k in ("rules", "judge", "verifier", "similarity")):
            return 0.0
        floor = cfg.similarity_floor if goal == "evade" else cfg.topic_floor
        sim = 1.0 if self.similarity is None else (self.similarity - floor) / max(1e-6, 1.0 - floor) * 0.5 + 0.5
        p = 1.0 if self.verifier is None else (self.verifier if intended == "unsafe" else 1.0 - self.verifier)
        return float(np.clip(sim, 0.0, 1.0) * np.clip(p, 0.0, 1.0))


@dataclass
class Scored:
    """An attempt with its checks, the guard's score and the reward."""

    attempt: Attempt
    checks: Checks
    guard_score: float
    threshold: float
    keep: float
    novelty: float
    reward: float

    @property
    def guard_wrong(self) -> bool:
        flagged = self.guard_score >= self.threshold
        return not flagged if self.attempt.goal == "evade" else flagged

    @property
    def success(self) -> bool:
        return self.checks.verified and self.guard_wrong

    def to_dict(self) -> dict[str, Any]:
        c = self.checks
        return {"goal": self.attempt.goal, "attacker": self.attempt.attacker, "arm": self.attempt.arm,
                "seed": self.attempt.seed.text, "text": self.attempt.text, "guard_score": round(self.guard_score, 4),
                "threshold": round(self.threshold, 4), "keep": round(self.keep, 4), "novelty": round(self.novelty, 4),
                "reward": round(self.reward, 4), "verified": c.verified, "success": self.success,
                "votes": c.votes, "similarity": None if c.similarity is None else round(c.similarity, 4),
                "verifier": None if c.verifier is None else round(c.verifier, 4), "judge": c.judge,
                "rules_failed": list(c.rules_failed), "audit": c.audit}


def goal_reward(goal: str, guard_score: float, keep: float) -> float:
    """evade: (1 - g) x meaning kept; false alarm: g x verified benign."""
    g = float(np.clip(guard_score, 0.0, 1.0))
    return (1.0 - g) * keep if goal == "evade" else g * keep


# ---------------------------------------------------------------- rule checks

def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(text)}


def jaccard(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa or wb else 1.0


def rule_failures(a: Attempt, cfg: RewardConfig) -> tuple[str, ...]:
    """Names of the rule checks the attempt fails (empty: all pass)."""
    text, seed = a.text.strip(), a.seed.text.strip()
    failed = []
    if is_refusal(text):
        failed.append("refusal")
    if jaccard(text, seed) >= cfg.echo_jaccard or is_echo(text, a.seed.role, TEMPLATES[a.goal]):
        failed.append("echo")
    if is_list(text):
        failed.append("list")
    if not cfg.min_chars <= len(text) <= min(cfg.max_chars, cfg.max_length_ratio * len(seed) + 40):
        failed.append("length")
    if not looks_english(text):
        failed.append("language")
    return tuple(failed)


# ---------------------------------------------------------------- the signals together

class LabelChecks:
    """Computes every signal for a batch of attempts.

    ``embed`` is the frozen MiniLM (train/lofo.py) or any texts -> normalised embeddings
    function; ``verifier`` a :class:`Scorer` that must not be the attacked guard (None: the
    signal is absent); ``judge`` a generator (train/generators) or None.
    """

    def __init__(self, cfg: RewardConfig, embed: Embed, verifier: Scorer | None = None,
                 judge: Any = None) -> None:
        self.cfg, self.embed, self.verifier, self.judge = cfg, embed, verifier, judge

    def __call__(self, attempts: Sequence[Attempt]) -> list[Checks]:
        out: list[Checks | None] = [None] * len(attempts)
        asked = [i for i, a in enumerate(attempts) if not a.by_construction]
        built = [i for i, a in enumerate(attempts) if a.by_construction]
        p_built = self.verifier([attempts[i].text for i in built], [attempts[i].seed.role for i in built],
                                [attempts[i].seed.context for i in built]) \
            if built and self.verifier is not None else [None] * len(built)
        for i, p in zip(built, p_built):
            vote = None if p is None else self._vote(float(p))
            out[i] = Checks(votes={}, verifier=None if p is None else float(p),
                            audit=None if vote is None else vote == attempts[i].intended)
        if asked:
            texts = [attempts[i].text.strip() or "." for i in asked]
            seeds = [attempts[i].seed.text for i in asked]
            emb = np.asarray(self.embed(texts + seeds), np.float32)  # [2M, D]
            e_text, e_seed = emb[: len(asked)], emb[len(asked):]
            sims = (e_text * e_seed).sum(1)  # [M] cosine (rows are L2-normalised)
            p = None
            if self.verifier is not None:
                p = self.verifier(texts, [attempts[i].seed.role for i in asked],
                                  [attempts[i].seed.context for i in asked])
            judged = self._judge([attempts[i] for i in asked]) if self.judge is not None and self.cfg.judge \
                else [None] * len(asked)
            for j, i in enumerate(asked):
                a = attempts[i]
                floor = self.cfg.similarity_floor if a.goal == "evade" else self.cfg.topic_floor
                failed = rule_failures(a, self.cfg)
                votes: dict[str, bool | None] = {"similarity": bool(sims[j] >= floor), "rules": not failed}
                pv = None if p is None else float(p[j])
                if pv is not None:
                    v = self._vote(pv)
                    votes["verifier"] = None if v is None else v == a.intended
                if self.judge is not None and self.cfg.judge:
                    votes["judge"] = None if judged[j] is None else judged[j] == a.intended
                out[i] = Checks(votes, float(sims[j]), pv, judged[j], failed, e_text[j])
        return [c for c in out if c is not None]

    def _vote(self, p: float) -> str | None:
        return "unsafe" if p > self.cfg.verifier_unsafe_above else "safe" if p < self.cfg.verifier_safe_below else None

    def _judge(self, attempts: list[Attempt]) -> list[str | None]:
        prompts = [render("judge", text=a.text, role=a.seed.role, context=a.seed.context) for a in attempts]
        replies = self.judge.generate(prompts, max_tokens=self.cfg.judge_max_tokens, temperature=0.0)
        return [parse_judge(r) for r in replies]


def score_attempts(attempts: Sequence[Attempt], checks: Sequence[Checks], guard: Scorer, cfg: RewardConfig,
                   novelty: Callable[[np.ndarray], np.ndarray] | None = None) -> list[Scored]:
    """The guard's scores and the rewards, given the checks (computed once per attempt)."""
    if not attempts:
        return []
    g = guard([a.text for a in attempts], [a.seed.role for a in attempts], [a.seed.context for a in attempts])
    out = []
    for a, c, s in zip(attempts, checks, g):
        keep = c.keep(a.intended, cfg, a.goal)
        nov = float(novelty(c.embedding[None])[0]) if novelty is not None and c.embedding is not None else 0.0
        reward = goal_reward(a.goal, float(s), keep) + cfg.novelty_bonus * nov * keep
        out.append(Scored(a, c, float(s), role_threshold(guard, a.seed.role), keep, nov, reward))
    return out


def disagreement(scored: Sequence[Scored]) -> dict[str, Any]:
    """How often each signal votes against the intended label, and each pair disagrees (both voted)."""
    rows = [s.checks.votes for s in scored if s.checks.votes]
    per: dict[str, Any] = {}
    for k in SIGNALS:
        cast = [v[k] for v in rows if v.get(k) is not None]
        per[k] = {"voted": len(cast), "against": sum(1 for x in cast if x is False),
                  "abstained": sum(1 for v in rows if k in v and v[k] is None)}
    pairs: dict[str, Any] = {}
    for i, a in enumerate(SIGNALS):
        for b in SIGNALS[i + 1:]:
            both = [(v[a], v[b]) for v in rows if v.get(a) is not None and v.get(b) is not None]
            if both:
                n = sum(1 for x, y in both if x != y)
                pairs[f"{a}/{b}"] = {"both_voted": len(both), "disagree": n, "rate": round(n / len(both), 4)}
    audits = [s.checks.audit for s in scored if not s.checks.votes and s.checks.verifier is not None]
    construction = {"asked": len(audits), "verifier_against": sum(1 for a in audits if a is False),
                    "verifier_abstained": sum(1 for a in audits if a is None)}
    return {"attempts": len(rows), "signals": per, "pairs": pairs, "construction": construction}
