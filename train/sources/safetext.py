"""SafeText (Levy et al., EMNLP 2022): everyday scenarios with safe and physically unsafe advice.

A nested JSON: scenario ("To remove redness from eyes,") -> {"safe": [...], "unsafe": [...]}.
The advice reads as an assistant's reply to the scenario, so each piece becomes a record of role
``response``: ``context`` is the scenario, ``text`` the scenario completed by the advice ("To remove
redness from eyes, douse them in vinegar."), so the reply reads whole on its own too. Mapping:
``safe`` -> safe; ``unsafe`` -> unsafe with no category (physical harm from bad advice is no one
taxonomy category: not a crime, not self-harm by intent). A text under both labels is skipped.

Split: all advice of one scenario stays on one side. A stable 30% of the scenarios is split
``test``, never trained on (the yardstick's *responses* family reads it); the rest is
split ``train``: the data stage's splitter assigns records one by one, and a scenario split between
train and validation would leak its answers into validation.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import held_out

NAME = "safetext"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"
OPT_IN = True  # loaded only when a config names it in [data] sources
FILE = "SafeText.json"
TEST_SHARE = 0.3
LABEL_MAP: dict[str, str] = {"safe": "safe", "unsafe": "unsafe"}


def reply(scenario: str, advice: str) -> str:
    """The scenario completed by one piece of advice, as one reply."""
    return " ".join(f"{scenario.strip()} {advice.strip()}".split())


def load(data_dir: Path) -> Iterator[Record]:
    data = json.loads((Path(data_dir) / NAME / FILE).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{NAME}: {FILE} is not a scenario -> advice object")
    for scenario, advice in data.items():
        unknown = set(advice) - set(LABEL_MAP)
        if unknown:
            raise ValueError(f"{NAME}: unmapped advice kind(s) {sorted(unknown)} for {scenario!r}")
        texts = {kind: {reply(scenario, a) for a in advice.get(kind, []) if a.strip()} for kind in LABEL_MAP}
        both = texts["safe"] & texts["unsafe"]
        split = "test" if held_out(scenario, TEST_SHARE, NAME) else "train"
        context = " ".join(scenario.split())
        for kind, label in LABEL_MAP.items():
            for text in sorted(texts[kind] - both):
                yield Record(text=text, role="response", label=label, source=f"{NAME}/{split}",
                             licence_class=LICENCE_CLASS, context=context, lang="en", split=split)
