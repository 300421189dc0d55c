"""ToxiGen demonstration statements: hateful vs neutral sentences about 13 minority groups.

Files are named ``<group>__<label>_<target>...txt``, one statement a line. Hate files are unsafe
``hate``; neutral files are safe hard negatives (benign statements about protected groups, known
by construction). A file byte-identical to one already read is skipped: the copy here maps two
names to the same upstream file (``religion__neutral_muslim*.txt``).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "toxigen_demonstrations"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: Label word in the file name -> (label, categories).
LABEL_MAP: dict[str, tuple[str, list[str]]] = {
    "hate": ("unsafe", ["hate"]),
    "neutral": ("safe", []),
}

#: Group folders in the file names (checked, so a new group is reviewed before use).
GROUPS: frozenset[str] = frozenset({"disability", "nationality", "race", "religion", "sexual_orientation"})


def load(data_dir: Path) -> Iterator[Record]:
    files = sorted((Path(data_dir) / NAME).glob("*__*.txt"))
    if not files:
        raise FileNotFoundError(f"{NAME}: no <group>__<label>_*.txt under {Path(data_dir) / NAME}")
    seen: set[str] = set()
    for path in files:
        group, rest = path.stem.split("__", 1)
        word = rest.split("_", 1)[0]
        if group not in GROUPS:
            raise ValueError(f"{NAME}: unmapped group {group!r} ({path.name}); add it to GROUPS")
        if word not in LABEL_MAP:
            raise ValueError(f"{NAME}: unmapped label {word!r} ({path.name}); add it to LABEL_MAP")
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        label, categories = LABEL_MAP[word]
        for line in raw.decode("utf-8-sig").splitlines():
            text = line.strip()
            if text:
                yield Record(text=text, role="prompt", label=label, source=NAME, licence_class=LICENCE_CLASS,
                             categories=list(categories), lang="en", hard_negative=label == "safe")
