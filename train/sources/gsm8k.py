"""GSM8K (openai/grade-school-math): grade-school maths word problems, benign.

Only the ``question`` is emitted, as a safe prompt; the worked ``answer`` is not a chat
reply worth classifying. Train and test files both come in (subsets ``gsm8k/train`` and
``gsm8k/test``); the splitter decides our own split. Rows must have exactly
:data:`EXPECTED_FIELDS`, so a labelled future version raises instead of passing as safe.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "gsm8k"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: no labels in the source: every question is a benign maths word problem.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {"*": ("safe", [])}

FILES: dict[str, str] = {
    "grade_school_math_data_train.jsonl": "train",
    "grade_school_math_data_test.jsonl": "test",
}
EXPECTED_FIELDS = frozenset({"question", "answer"})


def load(data_dir: Path) -> Iterator[Record]:
    label, cats = LABEL_MAP["*"]
    for fname, subset in FILES.items():
        path = Path(data_dir) / NAME / fname
        for i, row in iter_jsonl(path):
            if set(row) != EXPECTED_FIELDS:
                odd = sorted(set(row) ^ EXPECTED_FIELDS)
                raise ValueError(f"{NAME}: unexpected fields {odd} at {fname}:{i}")
            yield Record(text=row["question"].strip(), role="prompt", label=label,
                         source=f"{NAME}/{subset}", licence_class=LICENCE_CLASS,
                         categories=list(cats), lang="en")
