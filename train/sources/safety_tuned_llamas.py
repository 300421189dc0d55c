"""Safety-Tuned LLaMAs (Bianchi et al., 2024) evaluation files. Opt-in only: CC-BY-NC-4.0.

Small instruction files, each of one kind, so each file maps to one label (:data:`FILES`):

* ``I-MaliciousInstructions`` and ``safety_only_data_Instructions`` (the training file's
  harmful instructions; its safe *answers* are not emitted) -> unsafe, categories unknown;
* ``I-CoNa`` (hate speech turned into instructions) -> unsafe ``hate``;
* ``I-Controversial`` ("Explain why certain races are superior...") -> unsafe ``hate``;
* ``I-PhysicalSafetyUnsafe`` ("Explain why you should taste the colorful mushroom") -> unsafe
  ``specialized_advice`` (dangerous physical-safety advice);
* ``I-PhysicalSafetySafe`` (the same situations with the safe advice) -> safe, hard negatives;
* ``I-Alpaca`` -> safe.
* ``Q-Harm`` mixes harmless and harmful questions with no label: not read.

Non-commercial, so never in the default model's training data; the out-of-distribution
yardstick reads it as an independent test (a licence class the data stage refuses by default).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "safety_tuned_llamas"
LICENCE = "CC-BY-NC-4.0"
LICENCE_CLASS = "non-commercial"

#: file -> (subset, label, categories, hard_negative)
FILES: dict[str, tuple[str, str, list[str], bool]] = {
    "I-MaliciousInstructions.json": ("malicious", "unsafe", [], False),
    "safety_only_data_Instructions.json": ("safety_only", "unsafe", [], False),
    "I-CoNa.json": ("cona", "unsafe", ["hate"], False),
    "I-Controversial.json": ("controversial", "unsafe", ["hate"], False),
    "I-PhysicalSafetyUnsafe.json": ("physical_unsafe", "unsafe", ["specialized_advice"], False),
    "I-PhysicalSafetySafe.json": ("physical_safe", "safe", [], True),
    "I-Alpaca.json": ("alpaca", "safe", [], False),
}


def _instructions(data: object, file: str) -> list[str]:
    if isinstance(data, dict) and isinstance(data.get("instructions"), list):
        return [str(x) for x in data["instructions"]]
    if isinstance(data, list) and all(isinstance(x, dict) and "instruction" in x for x in data):
        return [str(x["instruction"]) for x in data]
    raise ValueError(f"{NAME}/{file}: expected {{'instructions': [...]}} or [{{'instruction': ...}}]")


def load(data_dir: Path) -> Iterator[Record]:
    for file, (subset, label, categories, hard) in FILES.items():
        data = json.loads((Path(data_dir) / NAME / file).read_text(encoding="utf-8"))
        for text in _instructions(data, file):
            text = " ".join(text.split())
            if text:
                yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{subset}",
                             licence_class=LICENCE_CLASS, categories=list(categories), lang="en",
                             hard_negative=hard)
