"""The fixed out-of-distribution suite: whole sources that no default model trains on.

Why: a random validation split shares sources (style, length, phrasing) with training, so it
flatters; a guard meets text from sources it never saw. Every slice below comes from a set the
default recipe cannot train on: an ``evaluation-only`` set (HatemojiCheck), the published test
split of a permissive set (ConvAbuse, HatemojiBuild: their loaders keep it as split "test"), or
a set whose licence class keeps it out of the default model (ETHOS, OLID, MaliciousInstruct,
Safety-Tuned LLaMAs, NQ-Open, Alpaca). Those are read here for measurement only and never
shipped; a model trained with them opted in, and its report says the suite overlaps its data.

Each slice names its family (what kind of text it probes). Slices with both labels carry the
threshold-free comparison (AUPRC) and F1 at the bundle's threshold; single-label slices are
judged at that operating point only (recall on unsafe, false-positive rate on benign).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .dataset import dedup_key
from tinyguard.records import Record
from .registry import source_module


@dataclass(frozen=True)
class Part:
    """Records of one loader: only these ``source`` subsets (empty: all) and this split (None: any)."""

    loader: str
    subsets: tuple[str, ...] = ()
    split: str | None = None

    def keeps(self, r: Record) -> bool:
        subset = r.source.split("/", 1)[1] if "/" in r.source else ""
        return (not self.subsets or subset in self.subsets) and (self.split is None or r.split == self.split)


@dataclass(frozen=True)
class Slice:
    name: str
    family: str
    parts: tuple[Part, ...]
    what: str  # one line for the report


SUITE: tuple[Slice, ...] = (
    Slice("requests", "harmful vs benign requests",
          (Part("malicious_instruct"), Part("safety_tuned_llamas", ("malicious", "safety_only")),
           Part("nq_open"), Part("alpaca_instructions")),
          "harmful instructions (MaliciousInstruct, Safety-Tuned LLaMAs) vs benign ones (NQ-Open, Alpaca)"),
    Slice("physical_safety", "benign-sensitive",
          (Part("safety_tuned_llamas", ("physical_safe", "physical_unsafe")),),
          "the same everyday situations asking for safe vs dangerous advice"),
    Slice("hate_instructions", "hateful requests",
          (Part("safety_tuned_llamas", ("cona", "controversial")),),
          "requests to argue for hateful claims (unsafe only: recall)"),
    Slice("hatemoji_check", "hateful social text", (Part("hatemoji_check"),),
          "emoji hate functional tests and their non-hateful contrasts (evaluation-only set)"),
    Slice("hatemoji_build_test", "hateful social text", (Part("hatemoji_build", split="test"),),
          "adversarial emoji hate with label-flipping pairs (published test split)"),
    Slice("ethos", "hateful social text", (Part("ethos"),),
          "YouTube/Reddit comments, hate or not"),
    Slice("convabuse_test", "user-to-chatbot traffic", (Part("convabuse", split="test"),),
          "what users wrote to chatbots: benign, hateful or sexually harassing (published test split)"),
    Slice("olid", "real social-media moderation", (Part("olid"),),
          "tweets, not offensive or untargeted profanity (benign only: false-positive rate)"),
)


def slice_records(s: Slice, data_dir: Path) -> list[Record]:
    """Every record of the slice's parts, in loader order."""
    out: list[Record] = []
    for part in s.parts:
        out.extend(r for r in source_module(part.loader).load(Path(data_dir)) if part.keeps(r))
    return out


def cap_per_label(records: list[Record], cap: int, seed: int) -> list[Record]:
    """At most ``cap`` records per label (0: no cap), a seeded sample in stable order."""
    if cap <= 0:
        return records
    rng = random.Random(seed)
    out: list[Record] = []
    for label in ("unsafe", "safe"):
        group = [r for r in records if r.label == label]
        if len(group) > cap:
            group = [group[i] for i in sorted(rng.sample(range(len(group)), cap))]
        out.extend(group)
    return out


def without_leaks(records: list[Record], trained: Iterable[Record]) -> tuple[list[Record], int]:
    """Drop suite records whose text (case/punctuation-insensitive) a model was trained on."""
    seen = {dedup_key(r) for r in trained}
    kept = [r for r in records if dedup_key(r) not in seen]
    return kept, len(records) - len(kept)


HALVES = ("report", "tune", "all")


def evaluation_only(s: Slice) -> bool:
    """A slice of an evaluation-only set: never tuned on, always reported whole."""
    return any(source_module(p.loader).LICENCE_CLASS == "evaluation-only" for p in s.parts)


def in_half(r: Record, half: str) -> bool:
    """A stable 50/50 split by text: ``tune`` (thresholds are chosen on it) vs ``report``."""
    if half == "all":
        return True
    odd = int(dedup_key(r)[-1], 16) % 2 == 1
    return odd if half == "tune" else not odd


def load_suite(data_dir: Path, *, cap: int = 1000, seed: int = 13, trained: Iterable[Record] = (),
               only: tuple[str, ...] = (), half: str = "all") -> tuple[dict[str, list[Record]], dict[str, int]]:
    """Slice name -> records (one half, capped per label, leaks removed) and slice -> leaks removed.

    ``half``: "tune" (for choosing a threshold: evaluation-only slices are left out), "report"
    (the other half; evaluation-only slices whole), or "all".
    """
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, not {half!r}")
    trained = list(trained)
    suite: dict[str, list[Record]] = {}
    leaks: dict[str, int] = {}
    for s in SUITE:
        if only and s.name not in only:
            continue
        if half == "tune" and evaluation_only(s):
            continue
        records, leaks[s.name] = without_leaks(slice_records(s, data_dir), trained)
        if not evaluation_only(s):
            records = [r for r in records if in_half(r, half)]
        suite[s.name] = cap_per_label(records, cap, seed)
    return suite, leaks
