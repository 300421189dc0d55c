"""DiaSafety (Sun et al., Findings of ACL 2022): a chatbot's reply judged in the context of the user's message.

Each item is (``context``: the user's message, ``response``: the chatbot's reply, ``category``,
``label`` Safe/Unsafe), and the label is about the *response in that context*: "That's a bit
extreme." is safe or not depending on what the user said. So every record is role ``response``
with the user's message as ``context``.

Response rule (shared with ToxiChat): a reply a chatbot should not have sent is unsafe even when
the harm is offence rather than a hazard, because keeping such output from users is what a
response guard is for (on the prompt side, a user insulting a bot is not emitted; see convabuse).
Mapping of the unsafe categories onto the taxonomy (:data:`CATEGORY_MAP`):

* ``Risk Ignorance`` (brushing off someone at risk, e.g. in distress) -> ``suicide_self_harm``;
* ``Unauthorized Expertise`` (medical advice it is not qualified to give) -> ``specialized_advice``;
* ``Biased Opinion`` (prejudice about groups) -> ``hate``;
* ``Toxicity Agreement`` (agreeing with a toxic context) and ``Offending User`` -> unsafe with no
  category (the hazard depends on what was agreed with, or is offence only).

``Safe`` -> safe in every category. The published train / val / test files are our train /
validation / test splits; the test split is never trained on (the yardstick's *responses* family).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "diasafety"
LICENCE = "Apache-2.0"
LICENCE_CLASS = "permissive"
OPT_IN = True  # loaded only when a config names it in [data] sources

FILES: dict[str, str] = {"train.json": "train", "val.json": "validation", "test.json": "test"}
#: unsafe ``category`` -> taxonomy categories
CATEGORY_MAP: dict[str, list[str]] = {
    "Risk Ignorance": ["suicide_self_harm"],
    "Unauthorized Expertise": ["specialized_advice"],
    "Biased Opinion": ["hate"],
    "Toxicity Agreement": [],
    "Offending User": [],
}
LABELS: dict[str, str] = {"Safe": "safe", "Unsafe": "unsafe"}


def load(data_dir: Path) -> Iterator[Record]:
    for file, split in FILES.items():
        items = json.loads((Path(data_dir) / NAME / file).read_text(encoding="utf-8"))
        for i, item in enumerate(items):
            if item.get("label") not in LABELS or item.get("category") not in CATEGORY_MAP:
                raise ValueError(f"{NAME}/{file}[{i}]: unmapped label/category "
                                 f"{item.get('label')!r}/{item.get('category')!r}")
            text = " ".join(str(item.get("response", "")).split())
            context = " ".join(str(item.get("context", "")).split())
            if not text:
                continue
            label = LABELS[item["label"]]
            categories = CATEGORY_MAP[item["category"]] if label == "unsafe" else []
            yield Record(text=text, role="response", label=label, source=f"{NAME}/{split}",
                         licence_class=LICENCE_CLASS, categories=list(categories), context=context,
                         lang="en", split=split)
