"""MT-Bench and Vicuna-Bench questions (lm-sys/FastChat): benign chat questions.

The first turn of each question is emitted as a safe prompt (a second turn such as
"Rewrite your previous response ..." only makes sense after an answer). The table maps
each benchmark ``category``. Two questions appear in both benchmarks; each text is
emitted once (MT-Bench first).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "mtbench_vicuna"
LICENCE = "Apache-2.0"
LICENCE_CLASS = "permissive"

_SAFE: tuple[str, list[str]] = ("safe", [])
#: ``category`` -> (label, categories): every benchmark category is an ordinary task.
CATEGORY_MAP: dict[str, tuple[str, list[str]]] = {
    # MT-Bench
    "writing": _SAFE, "roleplay": _SAFE, "reasoning": _SAFE, "math": _SAFE, "coding": _SAFE,
    "extraction": _SAFE, "stem": _SAFE, "humanities": _SAFE,
    # Vicuna-Bench (also uses writing, roleplay, coding, math)
    "generic": _SAFE, "knowledge": _SAFE, "common-sense": _SAFE, "fermi": _SAFE,
    "counterfactual": _SAFE,
}

FILES: dict[str, str] = {
    "fastchat_llm_judge_data_mt_bench_question.jsonl": "mt_bench",
    "fastchat_llm_judge_data_vicuna_bench_question.jsonl": "vicuna_bench",
}


def load(data_dir: Path) -> Iterator[Record]:
    seen: set[str] = set()
    for fname, subset in FILES.items():
        path = Path(data_dir) / NAME / fname
        for _, row in iter_jsonl(path):
            if row["category"] not in CATEGORY_MAP:
                raise ValueError(f"{NAME}: unmapped category {row['category']!r} "
                                 f"(question {row['question_id']} in {fname})")
            label, cats = CATEGORY_MAP[row["category"]]
            text = row["turns"][0].strip()
            if text in seen:
                continue
            seen.add(text)
            yield Record(text=text, role="prompt", label=label, source=f"{NAME}/{subset}",
                         licence_class=LICENCE_CLASS, categories=list(cats), lang="en")
