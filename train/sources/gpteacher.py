"""GPTeacher (teknium1/GPTeacher): GPT-4-written code and role-play instructions with answers.

Both files (Codegen, Roleplay) are benign. Each row gives a safe prompt (the
instruction, plus its ``input`` after a blank line when present) and a safe response
(the GPT-4 answer, ``context`` = that prompt). Nothing is capped; the lead balances.
The files carry no label, so rows must have exactly :data:`EXPECTED_FIELDS`: a labelled
future version raises instead of passing as safe.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "gpteacher"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: no labels in the source: benign coding and fiction/role-play tasks and their answers.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {"*": ("safe", [])}

FILES: dict[str, str] = {
    "Codegen_codegen-instruct.json": "codegen",
    "Roleplay_roleplay-simple-deduped-roleplay-instruct.json": "roleplay",
}
EXPECTED_FIELDS = frozenset({"instruction", "input", "response"})


def load(data_dir: Path) -> Iterator[Record]:
    label, cats = LABEL_MAP["*"]
    for fname, subset in FILES.items():
        with open(Path(data_dir) / NAME / fname, encoding="utf-8") as f:
            rows = json.load(f)
        for i, row in enumerate(rows):
            if set(row) != EXPECTED_FIELDS:
                odd = sorted(set(row) ^ EXPECTED_FIELDS)
                raise ValueError(f"{NAME}: unexpected fields {odd} in {fname}[{i}]")
            prompt = row["instruction"].strip()
            if row["input"].strip():
                prompt = f"{prompt}\n\n{row['input'].strip()}"
            source = f"{NAME}/{subset}"
            yield Record(text=prompt, role="prompt", label=label, source=source,
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
            yield Record(text=row["response"].strip(), role="response", label=label, source=source,
                         licence_class=LICENCE_CLASS, categories=list(cats), context=prompt, lang="en")
