"""``guard-cli data build``: seed sets → deduplicated, split ``records.jsonl`` + stats.

Order matters and is fixed here: load (licence-filtered) → exact dedup → near-dup
removal (MinHash) across *all* sets → mark hard negatives → split stratified by
(source, label). Deduplicating before the split keeps shared prompts (AdvBench,
StrongREJECT, HarmBench derivatives) from leaking into validation.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from .config import DataConfig
from .hard_negatives import HANDWRITTEN_SOURCE, is_sensitive_topic, load_handwritten
from tinyguard.records import Record, write_jsonl
from .registry import available_sources, source_module
from .stage import Stage, hash_tree, write_json_atomic

_WORD = re.compile(r"\w+", re.UNICODE)


def dedup_key(r: Record) -> str:
    """Case-, punctuation- and whitespace-insensitive identity of a record's text and role."""
    words = " ".join(_WORD.findall(r.text.lower()))
    return hashlib.sha1(f"{r.role}\x00{words}".encode()).hexdigest()


def exact_dedup(records: list[Record]) -> tuple[list[Record], Counter]:
    """Keep one record per key; same-label copies merge categories, conflicting labels drop all."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[dedup_key(r)].append(r)
    kept: list[Record] = []
    dropped: Counter = Counter()
    for group in groups.values():
        labels = {r.label for r in group}
        if len(labels) > 1:
            dropped["label_conflict"] += len(group)
            continue
        first = group[0]
        if len(group) > 1:
            cats = sorted({c for r in group for c in r.categories})
            first = replace(first, categories=cats, hard_negative=any(r.hard_negative for r in group))
            dropped["exact_duplicate"] += len(group) - 1
        kept.append(first)
    order = {id(r): i for i, r in enumerate(records)}
    kept.sort(key=lambda r: order.get(id(r), 0))
    return kept, dropped


def _shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}


def near_dedup(records: list[Record], threshold: float, num_perm: int, seed: int,
               progress: bool = True) -> tuple[list[Record], Counter]:
    """Drop records whose MinHash Jaccard with an earlier kept record is >= threshold.

    Texts are compared within the same role. A near-duplicate with the other label is
    dropped too, together with the kept record (conflicting labels = label noise).
    """
    from datasketch import MinHash, MinHashLSH
    from tqdm.auto import tqdm

    lsh = {role: MinHashLSH(threshold=threshold, num_perm=num_perm) for role in ("prompt", "response")}
    kept: dict[int, Record] = {}
    dropped: Counter = Counter()
    conflicted: set[int] = set()
    for i, r in enumerate(tqdm(records, desc="near-dup (MinHash)", unit="rec", mininterval=1.0, disable=not progress)):
        m = MinHash(num_perm=num_perm, seed=seed)
        m.update_batch(list(_shingles(r.text)))
        hits = lsh[r.role].query(m)
        if hits:
            dropped["near_duplicate"] += 1
            for h in hits:
                j = int(h)
                if kept[j].label != r.label and j not in conflicted:
                    conflicted.add(j)
                    dropped["near_duplicate_label_conflict"] += 1
            continue
        lsh[r.role].insert(str(i), m)
        kept[i] = r
    return [r for i, r in kept.items() if i not in conflicted], dropped


def mark_hard_negatives(records: Iterable[Record]) -> list[Record]:
    """Flag safe records on sensitive topics (weapons, drugs, hacking, death...) as hard negatives."""
    out = []
    for r in records:
        if r.label == "safe" and not r.hard_negative and is_sensitive_topic(r.text):
            r = replace(r, hard_negative=True)
        out.append(r)
    return out


def split(records: list[Record], cfg: DataConfig) -> list[Record]:
    """Assign train/validation, stratified by (source, label), with per-source caps on validation."""
    rng = random.Random(cfg.seed)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if not r.split:  # a loader that kept its set's published split (pairs, test files) wins
            groups[(r.source.split("/")[0], r.label)].append(i)
    per_source = Counter(src for (src, _), idx in groups.items() for _ in idx)
    to_val: set[int] = set()
    for (src, _label), idx in sorted(groups.items()):
        share = len(idx) / per_source[src]
        fraction = cfg.handwritten_validation_fraction if src == HANDWRITTEN_SOURCE else cfg.validation_fraction
        want = round(min(fraction * per_source[src], cfg.max_validation_per_source) * share)
        want = max(want, min(cfg.min_validation_per_source, len(idx) // 2))
        chosen = list(idx)
        rng.shuffle(chosen)
        to_val.update(chosen[:want])
    return [r if r.split else replace(r, split="validation" if i in to_val else "train")
            for i, r in enumerate(records)]


def stats(records: list[Record]) -> dict:
    def count(key) -> dict:
        return dict(sorted(Counter(key(r) for r in records).items()))
    return {
        "total": len(records),
        "by_split_label": count(lambda r: f"{r.split}/{r.label}"),
        "by_source_label": count(lambda r: f"{r.source.split('/')[0]}/{r.label}"),
        "by_category": dict(sorted(Counter(c for r in records for c in r.categories).items())),
        "unsafe_without_category": sum(1 for r in records if r.label == "unsafe" and not r.categories),
        "by_licence_class": count(lambda r: r.licence_class),
        "by_lang": count(lambda r: r.lang),
        "by_role": count(lambda r: r.role),
        "hard_negatives_by_split": count(lambda r: r.split if r.hard_negative else "-"),
    }


def stats_markdown(s: dict, drops: Counter) -> str:
    lines = ["# Seed data: records.jsonl", "", f"Total records: **{s['total']}**", "",
             "## Removed before the split", "", "| reason | records |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(drops.items())]
    for title, key in [("Split / label", "by_split_label"), ("Source / label", "by_source_label"),
                       ("Category (unsafe records)", "by_category"), ("Licence class", "by_licence_class"),
                       ("Language", "by_lang"), ("Role", "by_role"), ("Hard negatives by split", "hard_negatives_by_split")]:
        lines += ["", f"## {title}", "", "| value | records |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in s[key].items()]
    lines += ["", f"Unsafe records with no known category: {s['unsafe_without_category']}", ""]
    return "\n".join(lines)


def build(data_dir: Path, out_dir: Path, cfg: DataConfig, *, force: bool = False,
          progress: bool = True) -> dict:
    """Run the data stage into ``out_dir``; skip it when inputs and config are unchanged."""
    modules = [source_module(n) for n in cfg.sources] if cfg.sources else available_sources(cfg.licence_classes)
    if "evaluation-only" in cfg.licence_classes:
        raise ValueError("licence class 'evaluation-only' is never trained on; only `guard-cli ood` reads it")
    refused = [m.NAME for m in modules if m.LICENCE_CLASS not in cfg.licence_classes]
    if refused:
        raise ValueError(f"sources {refused} need licence classes not enabled: {cfg.licence_classes}")
    inputs = {m.NAME: m.input_digest(Path(data_dir)) if hasattr(m, "input_digest") else hash_tree(Path(data_dir) / m.NAME)
              for m in modules}
    inputs["handwritten_hard_negatives"] = hashlib.sha256(
        json.dumps([r.to_json() for r in load_handwritten()]).encode()).hexdigest()
    config = {"data": cfg.__dict__ | {"licence_classes": list(cfg.licence_classes), "sources": list(cfg.sources)}}
    out_dir = Path(out_dir)
    stage = Stage("data", out_dir, inputs, config, outputs=("records.jsonl", "validation.jsonl", "stats.json"))

    def work() -> dict:
        loaded: list[Record] = []
        drops: Counter = Counter()
        for m in modules:
            loaded.extend(m.load(Path(data_dir)))
        loaded.extend(load_handwritten())
        records, d = exact_dedup(loaded)
        drops.update(d)
        records, d = near_dedup(records, cfg.near_dup_threshold, cfg.num_perm, cfg.seed, progress)
        drops.update(d)
        records = split(mark_hard_negatives(records), cfg)

        s = stats(records)
        s["loaded"] = len(loaded)
        s["removed"] = dict(drops)
        write_jsonl(records, out_dir / "records.jsonl")
        write_jsonl((r for r in records if r.split == "validation"), out_dir / "validation.jsonl")
        write_jsonl((r for r in records if r.split == "validation" and r.hard_negative),
                    out_dir / "hard_negatives.jsonl")
        write_json_atomic(out_dir / "stats.json", s)
        (out_dir / "stats.md").write_text(stats_markdown(s, drops), encoding="utf-8")
        return {"loaded": len(loaded), "records": len(records), **{k: v for k, v in drops.items()}}

    stage.run(work, force=force)
    return json.loads((out_dir / "stats.json").read_text(encoding="utf-8"))
