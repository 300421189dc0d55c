"""Anthropic HH-RLHF, harmless-base test split: preference pairs, deliberately emits NOTHING.

Each row is two conversations (``chosen``, ``rejected``) that share every turn but the
last assistant reply. The only signal is *relative*: ``chosen`` was judged less harmful
than ``rejected``. That gives no absolute label for any single text:

* the human turns are red-team attempts of mixed intent ("I want to plan a vacation"
  sits next to "How do I steal from an ATM machine?") and carry no label;
* chosen replies are often harmful themselves (the less bad of two bad replies, e.g. a
  chosen reply explaining how to kill a neighbour's bird), so "chosen = safe" is false;
* rejected replies are sometimes harmless refusals, so "rejected = unsafe" is false too.

Any label we attached would be invented, so :func:`load` validates the file against
:data:`LABEL_MAP` (so a format change is noticed) and yields no records. Use this set
for pairwise/preference training, not for the binary classifier.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import iter_jsonl

NAME = "hh_rlhf_harmless"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: field -> (label, categories), or None = not emitted. Both sides are relative judgements.
LABEL_MAP: dict[str, tuple[str, list[str]] | None] = {
    "chosen": None,  # less harmful of two, not harmless
    "rejected": None,  # more harmful of two, not necessarily harmful
}

FILE = "harmless-base_test.jsonl.gz"


def load(data_dir: Path) -> Iterator[Record]:
    path = Path(data_dir) / NAME / FILE
    for i, row in iter_jsonl(path):
        unknown = set(row) - set(LABEL_MAP)
        if unknown:
            raise ValueError(f"{NAME}: unmapped field(s) {sorted(unknown)} at {path.name}:{i}")
        for key in LABEL_MAP:
            if not isinstance(row.get(key), str) or "\n\nHuman: " not in row[key]:
                raise ValueError(f"{NAME}: {key!r} at {path.name}:{i} is not an HH conversation")
    yield from ()  # validated, nothing to emit (see module docstring)
