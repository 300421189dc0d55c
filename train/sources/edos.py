"""EDOS, Explainable Detection of Online Sexism (Kirk et al., SemEval-2023 Task 10): Reddit and Gab posts.

Real social-media text, labelled ``sexist`` / ``not sexist`` by three trained annotators with
expert adjudication (``label_sexist``), sexist posts also with one of four categories
(``label_category``). Sexism demeans people for a protected characteristic (sex, gender), which
is ``hate`` (S10) in the MLCommons taxonomy. Mapping (:data:`LABEL_MAP`), explicitly:

* ``not sexist`` -> safe (most of them are posts about women, dating and gender: benign text on a
  sensitive topic, which is why the set is here);
* ``sexist`` with category ``1. threats, plans to harm and incitement`` -> unsafe ``hate`` and
  ``violent_crimes``;
* ``sexist`` with ``2. derogation``, ``3. animosity`` or ``4. prejudiced discussions`` -> unsafe ``hate``.

Any other (label, category) pair raises. The dataset's own ``split`` column (train / dev / test)
is kept as our train / validation / test; the test split is never trained on (the
out-of-distribution yardstick's *real user text* family reads it).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "edos"
LICENCE = "CC0-1.0"
LICENCE_CLASS = "permissive"
OPT_IN = True  # loaded only when a config names it in [data] sources
FILE = "edos_labelled_aggregated.csv"

#: (label_sexist, label_category) -> (label, categories)
LABEL_MAP: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("not sexist", "none"): ("safe", []),
    ("sexist", "1. threats, plans to harm and incitement"): ("unsafe", ["hate", "violent_crimes"]),
    ("sexist", "2. derogation"): ("unsafe", ["hate"]),
    ("sexist", "3. animosity"): ("unsafe", ["hate"]),
    ("sexist", "4. prejudiced discussions"): ("unsafe", ["hate"]),
}
#: published split -> our split
SPLITS: dict[str, str] = {"train": "train", "dev": "validation", "test": "test"}


def load(data_dir: Path) -> Iterator[Record]:
    with open(Path(data_dir) / NAME / FILE, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key = (row["label_sexist"], row["label_category"])
            if key not in LABEL_MAP:
                raise ValueError(f"{NAME}: unmapped label {key!r} on row {row['rewire_id']}")
            if row["split"] not in SPLITS:
                raise ValueError(f"{NAME}: unknown split {row['split']!r} on row {row['rewire_id']}")
            text = " ".join(row["text"].split())
            if not text:
                continue
            label, categories = LABEL_MAP[key]
            split = SPLITS[row["split"]]
            yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{split}",
                         licence_class=LICENCE_CLASS, categories=sorted(categories), lang="en", split=split)
