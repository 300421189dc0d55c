"""SAP200 role-play attack prompts: 8 harm categories x 200 generated cases.

Each ``Attack Prompt`` casts the model in a persona ("You are a con artist ...") to extract
harmful content, so every prompt is unsafe ``jailbreak`` plus the harm of its category. The
``Explanation`` field describes the attack and is not emitted.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "sap200"
LICENCE = "Apache-2.0"
LICENCE_CLASS = "permissive"

FILE_PREFIX, FILE_SUFFIX = "datasets_SAP200_", "_generated_cases.json"

#: SAP category (from the file name) -> taxonomy categories; every prompt is unsafe.
CATEGORY_MAP: dict[str, list[str]] = {
    "fraud": ["non_violent_crimes", "jailbreak"],
    # Smears, voter suppression, foreign influence, propaganda: mixed, role-play only is sure.
    "politics": ["jailbreak"],
    # Adult explicit requests and sexualised minors; all request sexual content.
    "pornography_sexual_minors": ["sexual_content", "jailbreak"],
    "race": ["hate", "jailbreak"],
    # Cult recruitment, holy war, self-mutilation doctrines: not mainly hate, so role-play only.
    "religion": ["jailbreak"],
    "suicide": ["suicide_self_harm", "jailbreak"],
    "terrorism": ["violent_crimes", "jailbreak"],
    "violence": ["violent_crimes", "jailbreak"],
}


def load(data_dir: Path) -> Iterator[Record]:
    files = sorted((Path(data_dir) / NAME).glob(f"{FILE_PREFIX}*{FILE_SUFFIX}"))
    if not files:
        raise FileNotFoundError(f"{NAME}: no {FILE_PREFIX}*{FILE_SUFFIX} under {Path(data_dir) / NAME}")
    for path in files:
        category = path.name[len(FILE_PREFIX):-len(FILE_SUFFIX)]
        if category not in CATEGORY_MAP:
            raise ValueError(f"{NAME}: unmapped category {category!r} ({path.name}); add it to CATEGORY_MAP")
        with open(path, encoding="utf-8-sig") as f:
            cases = json.load(f)
        for case in cases:
            text = (case["Attack Prompt"] or "").strip()
            if text:
                yield Record(text=text, role="prompt", label="unsafe", source=NAME,
                             licence_class=LICENCE_CLASS, categories=list(CATEGORY_MAP[category]), lang="en")
