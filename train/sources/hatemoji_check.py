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

from tinyguard.records import Record

from .hatemoji_build import LABEL_MAP as HATEMOJI_LABEL_MAP, gold_label

NAME = "hatemoji_check"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "evaluation-only"

#: the label map is HatemojiBuild's (same annotation scheme): 1 -> unsafe ``hate``, 0 -> safe
LABEL_MAP = HATEMOJI_LABEL_MAP


def load(data_dir: Path) -> Iterator[Record]:
    with open(Path(data_dir) / NAME / "test.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("included_in_test_suite") != "1":
                continue
            label, categories = gold_label(row, NAME)
            text = " ".join(row["text"].split())
            if text:
                yield Record(text=text, role="prompt", label=label, source=NAME,
                             licence_class=LICENCE_CLASS, categories=categories, lang="en",
                             split="test")
