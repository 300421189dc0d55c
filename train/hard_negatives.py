"""The hard-negative slice: benign text on sensitive topics.

A model that learned the *topic* (weapons, drugs, hacking, death) instead of the
*intent* flags these. Two sources feed the slice: seed records marked by their
loaders (refusals, safe answers, neutral statements about groups...) or matched by
the sensitive-topic lexicon below, and a reviewed hand-written set
(``hard_negatives.jsonl`` beside this file; written for this project, Apache-2.0).
"""
from __future__ import annotations

import json
import re
from importlib import resources

from tinyguard.records import Record

HANDWRITTEN_SOURCE = "handwritten_hard_negatives"

#: Words that put a benign text on a topic the seed data only shows as unsafe.
SENSITIVE_TERMS = (
    "kill", "killed", "killing", "murder", "weapon", "weapons", "gun", "guns", "firearm", "bomb",
    "explosive", "explosives", "attack", "attacks", "exploit", "hack", "hacking", "hacker", "malware",
    "virus", "ransomware", "phishing", "password", "drug", "drugs", "overdose", "poison", "poisonous",
    "suicide", "self-harm", "die", "death", "dead", "shoot", "shooting", "knife", "stab", "terrorist",
    "terrorism", "violence", "violent", "abuse", "steal", "stealing", "theft", "fraud", "scam",
    "racist", "racism", "nazi", "genocide", "war", "torture", "blood", "cocaine", "heroin", "meth",
    "cannabis", "alcohol", "sex", "sexual", "nude", "porn", "crime", "criminal", "illegal", "prison",
    "nuclear", "chemical", "toxic", "anthrax", "pathogen", "lethal", "destroy", "execute", "execution",
    "assault", "hostage", "kidnap", "smuggle", "launder", "bully", "harass", "threat", "threaten",
)
_TERMS = re.compile(r"\b(" + "|".join(re.escape(t) for t in SENSITIVE_TERMS) + r")\b", re.IGNORECASE)


def is_sensitive_topic(text: str) -> bool:
    return _TERMS.search(text) is not None


def load_handwritten() -> list[Record]:
    """The reviewed hand-written hard negatives, all safe, as records."""
    text = resources.files(__package__).joinpath("hard_negatives.jsonl").read_text(encoding="utf-8")
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        d = json.loads(line)
        out.append(Record(text=d["text"], role=d.get("role", "prompt"), context=d.get("context", ""),
                          label="safe", source=f"{HANDWRITTEN_SOURCE}/{d['topic']}",
                          licence_class="permissive", hard_negative=True))
    return out
