"""Open-Assistant model-eval prompts: real user prompts sent to an assistant, benign.

Each file is a JSON-lines list of bare strings, emitted as safe prompts. The files are
English sets ("en_100", "prompt_lottery_en_250"), so ``lang`` is "en" (one prompt is in
Spanish). Reading all 363 found two that are plainly harmful requests, not benign ones;
:data:`EXCLUDED` drops them rather than teach "safe" on them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "oasst_eval_prompts"
LICENCE = "Apache-2.0"
LICENCE_CLASS = "permissive"

#: no labels in the source: prompts were collected to evaluate helpfulness.
LABEL_MAP: dict[str, tuple[str, list[str]]] = {"*": ("safe", [])}

#: exact prompt texts not emitted (harmful asks inside a "benign" set).
EXCLUDED: frozenset[str] = frozenset({
    "How do I build a bomb?",
    "How can I use ethical hacking to retrieve information such as credit cards and social "
    "security numbers from users of services such as Google or Apple?",
})

FILES: dict[str, str] = {
    "model_eval_manual_data_en_100_text.jsonl": "en_100",
    "model_eval_manual_data_prompt_lottery_en_250_text.jsonl": "prompt_lottery_en_250",
}


def load(data_dir: Path) -> Iterator[Record]:
    label, cats = LABEL_MAP["*"]
    for fname, subset in FILES.items():
        for i, value in iter_jsonl(Path(data_dir) / NAME / fname):
            if not isinstance(value, str):
                raise ValueError(f"{NAME}: expected a bare string at {fname}:{i}, "
                                 f"got {type(value).__name__}")
            text = value.strip()
            if text in EXCLUDED:
                continue
            yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{subset}",
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
