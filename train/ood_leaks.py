"""The yardstick's leak guard: which texts a bundle was trained on, and what that does to the yardstick.

Why: a family is only out of distribution for a model that never saw its texts. Two sources of
truth, used together:

* the bundle's own manifest: ``data.sources`` names every source its training split came from, so
  those sources are loaded again here (every record except a loader's published or held-out
  ``test`` split, which no recipe trains on; validation records count too, to be safe);
* optionally a run's ``records.jsonl`` (its ``train`` split), which also holds the curated synthetic
  records a manifest can only name.

A yardstick text whose dedup key (case-, punctuation- and space-insensitive) is among them is
removed from its family for every bundle of the report, and the counts are printed. Training on an
evaluation-only set itself, or on any text of the danger twins written here, is worse than a leak:
:func:`refuse_evaluation_only_leaks` stops the report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from tinyguard.bundle.manifest import Manifest
from tinyguard.records import Record, read_jsonl
from .dataset import dedup_key
from .hard_negatives import HANDWRITTEN_SOURCE, load_handwritten
from .registry import SOURCE_NAMES, source_module


class LeakError(ValueError):
    """A bundle was trained on text the yardstick keeps for evaluation only."""


def manifest_training_records(manifest: Manifest, data_dir: Path) -> tuple[list[Record], list[str]]:
    """Records of every source ``manifest.data`` says the bundle trained on, and the names it could
    not reload (synthetic records: give their run's records.jsonl)."""
    out: list[Record] = []
    unchecked: list[str] = []
    for entry in manifest.data.get("sources", []):
        name = str(entry.get("name", ""))
        if not entry.get("train"):
            continue
        if name == HANDWRITTEN_SOURCE:
            out.extend(load_handwritten())
        elif name in SOURCE_NAMES:
            out.extend(r for r in source_module(name).load(Path(data_dir)) if r.split != "test")
        else:
            unchecked.append(name)
    return out, unchecked


def training_records(manifests: Iterable[Manifest], data_dir: Path, records: Path | None = None
                     ) -> tuple[list[Record], list[str]]:
    """Every text any of the bundles trained on (see the module docstring), and what was not checked."""
    out: list[Record] = []
    unchecked: set[str] = set()
    loaded: set[str] = set()
    for m in manifests:
        names = tuple(sorted(str(e.get("name")) for e in m.data.get("sources", []) if e.get("train")))
        if names in loaded:  # two bundles of one recipe: read the sources once
            continue
        loaded.add(names)
        recs, missing = manifest_training_records(m, data_dir)
        out.extend(recs)
        unchecked.update(missing)
    if records is not None:
        out.extend(r for r in read_jsonl(records) if r.split == "train")
        unchecked = {n for n in unchecked if not n.startswith("synthetic-")}
    return out, sorted(unchecked)


#: evaluation-only sets written by this project: any of their texts in training data was copied from them
WRITTEN_HERE: tuple[str, ...] = ("danger_twins",)


def refuse_evaluation_only_leaks(trained: Iterable[Record], data_dir: Path) -> None:
    """Raise :class:`LeakError` when training data holds records *of* an evaluation-only set, or any
    text of a set written here (:data:`WRITTEN_HERE`). A public evaluation-only set's text that
    also occurs in a public training set (HatemojiCheck shares 400 texts with HatemojiBuild) is
    an ordinary leak: it is removed from the family and counted, not refused."""
    trained = list(trained)
    evaluation_only = {n for n in SOURCE_NAMES if source_module(n).LICENCE_CLASS == "evaluation-only"}
    direct = [r for r in trained if r.source.split("/")[0] in evaluation_only]
    if direct:
        raise LeakError(f"{len(direct)} training record(s) come from the evaluation-only set "
                        f"{direct[0].source.split('/')[0]!r}; such a model cannot be measured on the yardstick")
    keys = {dedup_key(r) for r in trained}
    for name in WRITTEN_HERE:
        hits = [r.text for r in source_module(name).load(Path(data_dir)) if dedup_key(r) in keys]
        if hits:
            raise LeakError(f"{len(hits)} text(s) of the frozen evaluation set {name!r} are in a bundle's training "
                            f"data (first: {hits[0][:80]!r}); such a model cannot be measured on the yardstick")
