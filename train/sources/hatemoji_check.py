"""HatemojiCheck (Kirk et al., 2021): a functional test suite of emoji-based hate. EVALUATION ONLY.

3,930 short template cases (seven functionalities: verb/identity/descriptor swaps, emoji
leetspeak, positive confounders...), gold label by majority of three annotators. Its licence
(CC-BY-4.0) would allow training, but its value is that nothing was fitted to it, so its
licence class here is ``evaluation-only``: the data stage refuses it, and only the
out-of-distribution yardstick (``guard-cli ood``) reads it. Mapping (:data:`LABEL_MAP`):
1 -> unsafe ``hate``; 0 -> safe. Rows outside the published suite
(``included_in_test_suite`` != 1) are skipped.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.train.records import Record

NAME = "hatemoji_check"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "evaluation-only"

LABEL_MAP: dict[str, tuple[str, list[str]]] = {"1": ("unsafe", ["hate"]), "0": ("safe", [])}


def load(data_dir: Path) -> Iterator[Record]:
    with open(Path(data_dir) / NAME / "test.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("included_in_test_suite") != "1":
                continue
            gold = row["label_gold"]
            if gold not in LABEL_MAP:
                raise ValueError(f"{NAME}: unmapped label_gold {gold!r}; add it to LABEL_MAP")
            label, categories = LABEL_MAP[gold]
            text = " ".join(row["text"].split())
            if text:
                yield Record(text=text, role="prompt", label=label, source=NAME,
                             licence_class=LICENCE_CLASS, categories=list(categories), lang="en",
                             split="test")
