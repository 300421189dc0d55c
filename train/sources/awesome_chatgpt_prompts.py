"""awesome-chatgpt-prompts (f/awesome-chatgpt-prompts): "act as ..." role and task prompts.

Benign by the set's purpose: they are the persona/role-play prompts a jailbreak imitates
("I want you to act as a linux terminal", "ignore your generic assistant instructions,
your new identity is ..."), so each is a safe prompt AND a hard negative for jailbreak
look-alikes. The table maps the ``type`` column. This copy is a recent snapshot with
agent "skills", JSON image specs and some non-English text; the set has no language
field and is English-first, so ``lang`` is "en" throughout.

A keyword sweep (jailbreak, DAN, nsfw, bypass, ...) plus reading the hits found four
contributions that are not benign; :data:`EXCLUDED_ACTS` drops them rather than
teaching "safe" on them (the jailbreak sets cover DAN-style prompts). Exact duplicate
prompt texts are emitted once.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "awesome_chatgpt_prompts"
LICENCE = "CC0-1.0"
LICENCE_CLASS = "permissive"

#: ``type`` column -> (label, categories).
LABEL_MAP: dict[str, tuple[str, list[str]]] = {
    "TEXT": ("safe", []),
    "STRUCTURED": ("safe", []),  # JSON/YAML prompt specs
    "IMAGE": ("safe", []),  # text-to-image prompts
}

#: ``act`` values not emitted, with why.
EXCLUDED_ACTS: dict[str, str] = {
    "Unconstrained AI model DAN": "the classic DAN jailbreak",
    "Aaa": "mass account-registration bot with proxy rotation and bot-detection evasion",
    "Random Girl": "companion persona that escalates to NSFW with 'no resistance'",
    "Compile a Curated Compendium of Niche Adult Relationship Dynamics": "racialised fetish-site list",
}

FILE = "prompts.csv"
FIELDS = ["act", "prompt", "for_devs", "type", "contributor"]


def load(data_dir: Path) -> Iterator[Record]:
    path = Path(data_dir) / NAME / FILE
    # some prompts are over csv's default 128 KiB field limit
    csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, 2**31 - 1)))
    seen: set[str] = set()
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != FIELDS:
            raise ValueError(f"{NAME}: unexpected columns {reader.fieldnames} in {FILE}")
        for row in reader:
            if row["type"] not in LABEL_MAP:
                raise ValueError(f"{NAME}: unmapped type {row['type']!r} (act {row['act']!r})")
            label, cats = LABEL_MAP[row["type"]]
            text = row["prompt"].strip()
            if row["act"] in EXCLUDED_ACTS or not text or text in seen:
                continue
            seen.add(text)
            yield Record(text=text, role="prompt", label=label, source=NAME,
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en",
                         hard_negative=True)
