"""Arena-Hard v0.1 (lm-sys/arena-hard-auto): 500 hard, benign real Chatbot-Arena prompts.

Each question's single user turn is a safe prompt. The table maps the file's
``category`` (one value); the 250 topic ``cluster`` names are not labels. A keyword
sweep found nothing harmful (one hit is the classic Unix question of reading another
user's password from the process list: security education, kept safe).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "arena_hard"
LICENCE = "Apache-2.0"
LICENCE_CLASS = "permissive"

#: ``category`` -> (label, categories).
CATEGORY_MAP: dict[str, tuple[str, list[str]]] = {
    "arena-hard-v0.1": ("safe", []),  # benchmark name: curated, benign user prompts
}

FILE = "data_arena-hard-v0.1_question.jsonl"


def load(data_dir: Path) -> Iterator[Record]:
    path = Path(data_dir) / NAME / FILE
    for _, row in iter_jsonl(path):
        if row["category"] not in CATEGORY_MAP:
            raise ValueError(f"{NAME}: unmapped category {row['category']!r} "
                             f"(question {row['question_id']})")
        label, cats = CATEGORY_MAP[row["category"]]
        yield Record(text=row["turns"][0]["content"].strip(), role="prompt", label=label,
                     source=NAME, licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
