"""ToxiChat (Baheti et al., EMNLP 2021): Reddit threads and two chatbot replies, each turn Safe or Offensive.

Share-alike (CC-BY-SA-4.0): never in the default model's training data. It is read for
**measurement**: the out-of-distribution yardstick's *responses* family (every split: no model
here trains on any of it). Each thread's two final chatbot replies (``final_dgpt_response``,
``final_gpt3_response``) become records of role ``response``; ``context`` is the thread's last
turn, the message the reply answers (the encoder reads only the head of a context, so the
whole thread would be clipped to its title). The Reddit turns themselves are not emitted.

Mapping (:data:`LABEL_MAP`), by the response rule shared with DiaSafety: an ``Offensive`` chatbot
reply is unsafe, with no category (the crowd label is offence towards a person or group, not one
hazard); ``Safe`` -> safe. The published train / dev / test files are kept as splits.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "toxichat_reddit"
LICENCE = "CC-BY-SA-4.0"
LICENCE_CLASS = "share-alike"

FILES: dict[str, str] = {"train.jsonl": "train", "dev.jsonl": "validation", "test.jsonl": "test"}
REPLIES = ("final_dgpt_response", "final_gpt3_response")
LABEL_MAP: dict[str, str] = {"Safe": "safe", "Offensive": "unsafe"}


def load(data_dir: Path) -> Iterator[Record]:
    for file, split in FILES.items():
        for line, thread in iter_jsonl(Path(data_dir) / NAME / file):
            turns = thread.get("reddit_thread") or []
            if not turns:
                raise ValueError(f"{NAME}/{file}:{line}: a thread with no turns")
            context = " ".join(str(turns[-1].get("text", "")).split())
            for key in REPLIES:
                turn = thread.get(key) or {}
                label = turn.get("offense_label")
                if label not in LABEL_MAP:
                    raise ValueError(f"{NAME}/{file}:{line}: unmapped {key} offense_label {label!r}")
                text = " ".join(str(turn.get("text", "")).split())
                if text:
                    yield Record(text=text, role="response", label=LABEL_MAP[label], source=f"{NAME}/{split}",
                                 licence_class=LICENCE_CLASS, context=context, lang="en", split=split)
