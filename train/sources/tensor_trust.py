"""Tensor Trust (Toyer et al., 2023): prompt-injection attacks and the system prompts they attack.

Licence not stated: never in the default model's training data (opt-in class ``unknown``); the
out-of-distribution yardstick reads it for its *jailbreaks and prompt injections* family, because
no permissive set here has both attacks and the benign system prompts they target. Records:

* each distinct ``attack`` of the hijacking and extraction robustness sets -> unsafe ``jailbreak``
  (a player's input written to make the model say "Access Granted" or reveal its instructions);
* each distinct ``pre_prompt`` (the defender's system prompt) -> safe, a hard negative (it talks
  about passwords, instructions and refusing, as injections do, and asks for nothing harmful).

``post_prompt`` is not emitted (a short reminder that often repeats the pre-prompt), nor the
extraction-detection file (model outputs, not prompts). A text under both labels is skipped.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "tensor_trust"
LICENCE = "not stated"
LICENCE_CLASS = "unknown"

FILES: dict[str, str] = {"hijacking_robustness_dataset.jsonl": "hijacking",
                         "extraction_robustness_dataset.jsonl": "extraction"}
#: field -> (label, categories, hard negative)
FIELD_MAP: dict[str, tuple[str, list[str], bool]] = {
    "attack": ("unsafe", ["jailbreak"], False),
    "pre_prompt": ("safe", [], True),
}


def load(data_dir: Path) -> Iterator[Record]:
    found: dict[str, dict[str, str]] = {field: {} for field in FIELD_MAP}  # field -> text -> subset
    for file, subset in FILES.items():
        for line, row in iter_jsonl(Path(data_dir) / NAME / file):
            for field in FIELD_MAP:
                if not isinstance(row.get(field), str):
                    raise ValueError(f"{NAME}/{file}:{line}: no {field!r} string")
                text = row[field].strip()
                if text:
                    found[field].setdefault(text, subset)
    both = set(found["attack"]) & set(found["pre_prompt"])
    for field, (label, categories, hard) in FIELD_MAP.items():
        for text, subset in found[field].items():
            if text not in both:
                yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{subset}",
                             licence_class=LICENCE_CLASS, categories=list(categories), lang="en",
                             hard_negative=hard)
