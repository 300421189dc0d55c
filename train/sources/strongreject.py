"""StrongREJECT forbidden prompts (313), six categories; all prompts are harmful requests."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "strongreject"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: StrongREJECT category -> taxonomy categories (every prompt is unsafe).
CATEGORY_MAP: dict[str, list[str]] = {
    # Fraud, defamation, election lies, plagiarism, propaganda, fake reviews: no single S-code.
    "Disinformation and deception": [],
    # Mostly demeaning protected groups; a few rows are plain harassment.
    "Hate, harassment and discrimination": ["hate"],
    # Drugs, guns, counterfeit money: S2 covers drug and weapons crime.
    "Illegal goods and services": ["non_violent_crimes"],
    "Non-violent crimes": ["non_violent_crimes"],
    # Mixes explicit-content requests (S12) with sex crimes (S3) and minors (S4): unknown.
    "Sexual content": [],
    "Violence": ["violent_crimes"],
}


def load(data_dir: Path) -> Iterator[Record]:
    path = Path(data_dir) / NAME / "strongreject_dataset.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            text = (row["forbidden_prompt"] or "").strip()
            if not text:
                continue
            category = row["category"]
            if category not in CATEGORY_MAP:
                raise ValueError(f"{NAME}: unmapped category {category!r}; add it to CATEGORY_MAP")
            yield Record(text=text, role="prompt", label="unsafe", source=NAME,
                         licence_class=LICENCE_CLASS, categories=list(CATEGORY_MAP[category]), lang="en")
