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

import hashlib
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


#: sources whose records carry their own tune/report half as split ``validation`` / ``test``
#: (a frozen set whose pairs must be read on one side: see train/sources/danger_twins.py)
HALVES_BY_SPLIT: frozenset[str] = frozenset({"danger_twins"})


def in_half(r: Record, half: str) -> bool:
    """A stable 50/50 split: ``tune`` (thresholds are chosen on it) vs ``report``. By text, except
    that a response goes with its context (one conversation or scenario, one side) and a source
    of :data:`HALVES_BY_SPLIT` keeps the half it was frozen with."""
    if half == "all":
        return True
    if r.source.split("/")[0] in HALVES_BY_SPLIT:
        return (r.split == "validation") == (half == "tune")
    if r.role == "response" and r.context:
        key = hashlib.sha1(" ".join(r.context.lower().split()).encode("utf-8")).hexdigest()
    else:
        key = dedup_key(r)
    odd = int(key[-1], 16) % 2 == 1
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


# ---------------------------------------------------------------- yardstick v2: families


@dataclass(frozen=True)
class Family:
    """What a guard meets, judged as one: its slices are *pooled* (each capped per label first, so
    no slice outweighs the others by size alone), and every family weighs the same in the headline."""

    name: str
    title: str
    slices: tuple[Slice, ...]
    restyle: bool  # its requests are restated in every phrasing (train/ood_restyle.py)
    held_out: str  # why no default model trains on it (one line for the report)


def _s(name: str, parts: tuple[Part, ...], what: str) -> Slice:
    return Slice(name, "", parts, what)


_V1 = {s.name: s for s in SUITE}

#: The families of yardstick v2, in report order.
FAMILIES: tuple[Family, ...] = (
    Family("requests", "harmful vs benign requests", (
        _V1["requests"], _V1["hate_instructions"],
        _s("aart_test", (Part("aart", split="test"),),
           "role-framed and document-framed harmful requests, 70 harm kinds (AART held-out topics)"),
    ), True, "MaliciousInstruct (licence unknown), Safety-Tuned LLaMAs and Alpaca (non-commercial), NQ-Open "
             "(share-alike); AART's held-out 30% of topics (split test, never trained)"),
    Family("sounds_dangerous", "benign requests that sound dangerous vs their harmful twins", (
        _V1["physical_safety"],
        _s("danger_twins", (Part("danger_twins"),),
           "security, medicine, homonyms, history, fiction, harm reduction, parenting: benign vs harmful twin "
           "(frozen here, evaluation-only)"),
    ), True, "Safety-Tuned LLaMAs (non-commercial); danger_twins is evaluation-only (refused by the data stage)"),
    Family("jailbreaks", "jailbreaks and prompt injections vs benign system prompts", (
        _s("tensor_trust", (Part("tensor_trust"),),
           "prompt-injection attacks vs the defenders' system prompts they target (Tensor Trust)"),
    ), False, "Tensor Trust (licence unknown). No unseen benign role-play/persona set exists here: role-framed "
              "benign requests are measured by the restyler's 'role' phrasing instead"),
    Family("real_user_text", "real user text: chatbot users and social posts", (
        _V1["convabuse_test"],
        _s("edos_test", (Part("edos", split="test"),), "Reddit/Gab posts on gender, sexist or not (published test split)"),
        _s("toxic_spans_test", (Part("toxic_spans", split="test"),),
           "news comments: near-miss benign vs identity attacks and threats (held-out 30%)"),
    ), False, "published test splits of ConvAbuse and EDOS; Toxic Spans' held-out 30% (split test)"),
    Family("responses", "responses judged in context", (
        _s("diasafety_test", (Part("diasafety", split="test"),),
           "chatbot replies unsafe in the context of the user's message (published test split)"),
        _s("toxichat_reddit", (Part("toxichat_reddit"),), "chatbot replies to Reddit threads, offensive or not"),
        _s("safetext_test", (Part("safetext", split="test"),),
           "safe vs physically unsafe advice as replies to everyday scenarios (held-out 30% of scenarios)"),
    ), False, "DiaSafety's published test split, ToxiChat (share-alike), SafeText's held-out scenarios"),
    Family("hateful_social", "hateful and abusive social text", (
        _V1["hatemoji_check"], _V1["hatemoji_build_test"], _V1["ethos"], _V1["olid"],
    ), False, "HatemojiCheck (evaluation-only), HatemojiBuild's test split, ETHOS (copyleft), OLID (licence unknown)"),
)
FAMILY_NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES)
#: the families whose benign side may get a threshold of its own (they are judged as responses)
RESPONSE_FAMILIES: tuple[str, ...] = ("responses",)


def family(name: str) -> Family:
    for f in FAMILIES:
        if f.name == name:
            return f
    raise ValueError(f"unknown family {name!r}; known: {', '.join(FAMILY_NAMES)}")


def load_families(data_dir: Path, *, cap: int = 300, seed: int = 13, trained: Iterable[Record] = (),
                  only: tuple[str, ...] = (), half: str = "report"
                  ) -> tuple[dict[str, dict[str, list[Record]]], dict[str, dict[str, int]]]:
    """Family -> slice -> records (one half, capped per label, leaks removed), and the leaks removed.

    ``half``: "tune" (evaluation-only slices left out, except the tune half of a set frozen with
    its own halves), "report" (evaluation-only slices whole) or "all". Capping happens after the half is taken, so tune and report never share a text.
    """
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, not {half!r}")
    seen = {dedup_key(r) for r in trained}
    out: dict[str, dict[str, list[Record]]] = {}
    leaks: dict[str, dict[str, int]] = {}
    for f in FAMILIES:
        if only and f.name not in only:
            continue
        out[f.name], leaks[f.name] = {}, {}
        for s in f.slices:
            own_halves = s.parts[0].loader in HALVES_BY_SPLIT  # frozen with its halves: its tune half is tunable
            if half == "tune" and evaluation_only(s) and not own_halves:
                continue
            records = slice_records(s, data_dir)
            kept = [r for r in records if dedup_key(r) not in seen]
            leaks[f.name][s.name] = len(records) - len(kept)
            if not evaluation_only(s) or own_halves:
                kept = [r for r in kept if in_half(r, half)]
            out[f.name][s.name] = cap_per_label(kept, cap, seed)
    return out, leaks


def pooled(slices: dict[str, list[Record]]) -> list[Record]:
    """A family's records: its slices pooled, in slice order."""
    return [r for records in slices.values() for r in records]
