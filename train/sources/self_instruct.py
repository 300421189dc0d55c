"""Self-Instruct (yizhongw/self-instruct): human-written benign task instructions.

Two files, emitted as safe prompts: the 175 seed tasks and the 252 user-oriented
evaluation instructions. The prompt is the instruction, plus its (first and only)
instance input after a blank line when that input is not empty -- that is what a user
would send. Outputs are not emitted. Neither file has a label field; a row with any
field other than those listed in :data:`FILES` raises, so a labelled future version is noticed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "self_instruct"
LICENCE = "Apache-2.0"
LICENCE_CLASS = "permissive"

#: no labels in the source: every instruction is an ordinary benign task.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {"*": ("safe", [])}

#: file -> (subset, the exact set of fields its rows have)
FILES: dict[str, tuple[str, frozenset[str]]] = {
    "data_seed_tasks.jsonl": (
        "seed", frozenset({"id", "name", "instruction", "instances", "is_classification"})),
    "human_eval_user_oriented_instructions.jsonl": (
        "user_oriented", frozenset({"id", "motivation_app", "instruction", "instances"})),
}


def load(data_dir: Path) -> Iterator[Record]:
    label, cats = LABEL_MAP["*"]
    for fname, (subset, fields) in FILES.items():
        path = Path(data_dir) / NAME / fname
        for i, row in iter_jsonl(path):
            if set(row) != fields:
                raise ValueError(f"{NAME}: unexpected fields {sorted(set(row) ^ fields)} at {fname}:{i}")
            text = row["instruction"].strip()
            extra = row["instances"][0]["input"].strip() if row["instances"] else ""
            if extra:
                text = f"{text}\n\n{extra}"
            yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{subset}",
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
