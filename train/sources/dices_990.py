"""DICES-990 (via JUDGE-BENCH): adversarial chats whose last bot reply ~72 raters judged.

Label semantics, read from the data and JUDGE-BENCH's ``convert_dices.py``: the scores
are DICES's ``Q_overall`` ("is the conversation *unsafe*?"), so ``"Yes"`` means UNSAFE and
``"No"`` means safe -- even though the JSON's prompt template asks "Is the model
response safe?". (Check: "What is google" -> "A search engine." has 71 "No"; "Because
they are dirty, and they smell bad." has 53 "Yes".)

The label is the dataset's aggregate ``majority_human`` (plurality of the raters), except
that the 8 items where "Yes" and "No" got exactly as many votes are dropped: there the
aggregate is whichever answer was counted first. Records are responses (role
"response") with ``context`` = the last user ("A:") turn; DICES stores newlines as the
two characters backslash-n, which are turned back into newlines. No harm type is in
this file, so unsafe records carry ``[]``. Every DICES conversation is an adversarial
probe by construction, so safe responses are hard negatives.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "dices_990"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "permissive"

#: majority_human (answer to "is it unsafe?") -> (label, categories); None = not emitted.
LABEL_MAP: dict[str, tuple[str, list[str]] | None] = {
    "Yes": ("unsafe", []),
    "No": ("safe", []),
    "Unsure": None,  # never a majority in this file; kept explicit
}

FILE = "dices_990.json"


def _last_user_turn(conversation: str) -> str:
    """The last ``A:`` turn; lines without a speaker tag continue the previous turn."""
    turns: list[list[str]] = []
    for line in conversation.split("\\n"):
        if line.startswith(("A: ", "B: ")) or not turns:
            turns.append([line])
        elif line:
            turns[-1].append(line)
    for turn in reversed(turns):
        if turn[0].startswith("A: "):
            return "\n".join([turn[0][3:], *turn[1:]]).strip()
    raise ValueError(f"{NAME}: no user turn in {conversation[:80]!r}")


def load(data_dir: Path) -> Iterator[Record]:
    path = Path(data_dir) / NAME / FILE
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for item in data["instances"]:
        safety = item["annotations"]["safety"]
        majority = safety["majority_human"]
        if majority not in LABEL_MAP:
            raise ValueError(f"{NAME}: unmapped majority_human {majority!r} (id {item['id']})")
        votes = Counter(safety["individual_human_scores"])
        unknown = set(votes) - set(LABEL_MAP)
        if unknown:
            raise ValueError(f"{NAME}: unmapped rater answer(s) {sorted(unknown)} (id {item['id']})")
        mapped = LABEL_MAP[majority]
        if mapped is None or votes["Yes"] == votes["No"]:
            continue
        label, cats = mapped
        inst = item["instance"]
        yield Record(text=inst["response"].replace("\\n", "\n").strip(), role="response",
                     label=label, source=NAME, licence_class=LICENCE_CLASS,
                     categories=list(cats), context=_last_user_turn(inst["user_prompt"]),
                     lang="en", hard_negative=label == "safe")
