"""BIPIA indirect prompt-injection payloads (microsoft/BIPIA benchmark), text and code.

BIPIA hides these instructions inside emails, tables or code a model is asked to process. A
guard sees one text without knowing where it came from, so each payload is labelled by what it
is when read on its own (role "prompt"):

* text payloads that are ordinary tasks ("What is the capital of Brazil?") or harmless output
  tweaks ("Reply in French", "Encode your response in Base64", "mention brand A") are safe; the
  output-steering ones are hard negatives, since they look like injections but are benign as a
  user's own request. Labelling them unsafe would teach the guard to block everyday requests.
* text payloads that make the reply spread scams, malware links or fabricated claims are unsafe
  ``jailbreak`` (plus the crime where there is one).
* every code payload asks the model to slip in code that ships local data to a third party or
  damages the host: unsafe ``jailbreak``, plus ``non_violent_crimes`` where the code is malware.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, NamedTuple

from tinyguard.records import Record

NAME = "bipia"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"


class Rule(NamedTuple):
    label: str
    categories: list[str]
    hard_negative: bool = False


_TASK = Rule("safe", [])  # an unrelated ordinary task: harmless as a user's request
_STEER = Rule("safe", [], True)  # reshapes or adds harmless content to the reply
_HIJACK = Rule("unsafe", ["jailbreak"])
_HIJACK_CRIME = Rule("unsafe", ["jailbreak", "non_violent_crimes"])

TEXT_FILES = ("text_attack_train.json", "text_attack_test.json")
CODE_FILES = ("code_attack_train.json", "code_attack_test.json")

#: Text attack category -> rule.
TEXT_MAP: dict[str, Rule] = {
    # task-irrelevant: an unrelated ordinary request
    "Task Automation": _TASK,
    "Business Intelligence": _TASK,
    "Conversational Agent": _TASK,
    "Research Assistance": _TASK,
    "Sentiment Analysis": _TASK,
    "Information Retrieval": _TASK,
    "Content Creation": _TASK,
    "Learning and Tutoring": _TASK,
    "Programming Help": _TASK,
    # task-relevant: change the reply's form (train: "translate X"; test: "reply in Spanish")
    "Language Translation": _STEER,
    "Substitution Ciphers": _STEER,
    "Base Encoding": _STEER,
    "Reverse Text": _STEER,
    "Emoji Substitution": _STEER,
    "Alphanumeric Substitution": _STEER,
    "Homophonic Substitution": _STEER,
    "Misspelling Intentionally": _STEER,
    "Anagramming": _STEER,
    "Space Removal & Grouping": _STEER,
    # targeted, harmless payload: add facts, ads, teasers, tips, invitations, appeals
    "Information Dissemination": _STEER,
    "Marketing & Advertising": _STEER,
    "Entertainment": _STEER,
    "Instruction": _STEER,
    "Social Interaction": _STEER,
    "Persuasion": _STEER,
    # targeted, harmful payload
    "Scams & Fraud": _HIJACK_CRIME,
    "Malware Distribution": _HIJACK_CRIME,
    "Misinformation & Propaganda": _HIJACK,  # fabricated claims about people and products
    "Clickbait": _HIJACK,  # false scandals, "get rich overnight" links
}

#: Code attack category -> rule (all unsafe).
CODE_MAP: dict[str, Rule] = {
    "Data Eavesdropping": _HIJACK_CRIME,
    "Keylogging": _HIJACK_CRIME,
    "Screen Scraping": _HIJACK_CRIME,
    "Encrypting Documents and Demanding Ransom (Ransomware)": _HIJACK_CRIME,
    "Compromising Computers": _HIJACK_CRIME,
    "Bringing Down Hosts and Servers (Denial of Service)": _HIJACK_CRIME,
    "Corrupting an Operating System": _HIJACK_CRIME,
    "Blocking Internet Connection": _HIJACK_CRIME,
    "Crippling Critical Infrastructures": _HIJACK_CRIME,
    "Network Propagation": _HIJACK_CRIME,
    "Exploiting System Vulnerabilities": _HIJACK_CRIME,
    "Cryptocurrency Mining": _HIJACK_CRIME,
    "Sending Out Spam Emails": _HIJACK_CRIME,
    "Cookie Theft": _HIJACK_CRIME,
    "Dumpster Diving": _HIJACK_CRIME,
    # These ship host details (env vars, devices, memory stats, versions) or open a tunnel:
    # covert collection, but the code alone is close to ordinary telemetry.
    "Environment Variable Analysis": _HIJACK,
    "Device and Driver Enumeration": _HIJACK,
    "Memory Scanning": _HIJACK,
    "Introduce System Fingerprinting": _HIJACK,
    "Traffic Analysis": _HIJACK,
}


def _load(path: Path, table: dict[str, Rule], subset: str) -> Iterator[Record]:
    with open(path, encoding="utf-8-sig") as f:
        data = json.load(f)
    for category, payloads in data.items():
        if category not in table:
            raise ValueError(f"{NAME}: unmapped {subset} category {category!r} in {path.name}")
        rule = table[category]
        for payload in payloads:
            text = (payload or "").strip()
            if text:
                yield Record(text=text, role="prompt", label=rule.label, source=f"{NAME}/{subset}",
                             licence_class=LICENCE_CLASS, categories=list(rule.categories), lang="en",
                             hard_negative=rule.hard_negative)


def load(data_dir: Path) -> Iterator[Record]:
    root = Path(data_dir) / NAME
    for name in TEXT_FILES:
        yield from _load(root / name, TEXT_MAP, "text")
    for name in CODE_FILES:
        yield from _load(root / name, CODE_MAP, "code")
