"""Generate ``runtime/data/confusables.json``: the homoglyph folding table used by
:mod:`tinyguard.scoring.defenses`.

Source: ``confusables.json`` shipped in the PyPI package ``confusable-homoglyphs`` 3.3.1
(MIT licence, (c) 2016-2018 Victor Felder, 2024 Elena Grandi), which is generated from
Unicode's ``confusables.txt`` (UTS #39, Unicode License v3). We keep only single code
points that are word characters (letters, digits: so folding never changes word boundaries),
look like an ASCII letter, and survive NFKC (the guard folds after
``tinyguard.text.normalize.normalize``, which already applies NFKC), and map each to that ASCII
character. A short project supplement adds lookalikes that confusables.txt does not list
(lowercase Cyrillic and Greek forms of capital-looking letters). Enclosed and
regional-indicator letters (symbols, not word characters) are folded by the smuggling
defense instead.

Regenerate (no network needed beyond the package registry):

    pip download --no-deps -d /tmp/cf confusable-homoglyphs==3.3.1
    cd /tmp/cf && python -m zipfile -e confusable_homoglyphs-3.3.1-py2.py3-none-any.whl .
    python tools/make_confusables.py /tmp/cf/confusable_homoglyphs/confusables.json
"""
from __future__ import annotations

import json
import re
import string
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "runtime" / "data" / "confusables.json"

# Lookalikes missing from confusables.txt that attackers use (project supplement, reviewed by hand).
SUPPLEMENT = {
    "м": "m", "к": "k", "т": "t", "н": "h", "в": "b", "п": "n", "г": "r", "ш": "w",  # Cyrillic
    "τ": "t", "κ": "k", "μ": "u", "ω": "w",  # Greek
    # issue 21: look-alikes of the robustness homoglyph attack the table missed (Ukrainian ie; Greek
    # final sigma, which NFKC makes of the lunate sigma symbol; Greek chi)
    "є": "e", "ς": "c", "χ": "x",
}


_WORD_CHAR = re.compile(r"[^\W_]\Z")


def build(source: Path) -> dict:
    data = json.loads(source.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for target in string.ascii_letters:  # letters only: a digit target would feed the leet fold
        for entry in data.get(target, []):
            c = entry["c"]
            if len(c) != 1 or c.isascii() or unicodedata.normalize("NFKC", c) != c \
                    or not _WORD_CHAR.match(c):
                continue
            if c in table and table[c] != target:
                raise SystemExit(f"{c!r} maps to both {table[c]!r} and {target!r}")
            table[c] = target
    for c, target in SUPPLEMENT.items():
        table.setdefault(c, target)
    return {
        "source": "confusable-homoglyphs 3.3.1 (PyPI) confusables.json, generated from Unicode "
                  "confusables.txt (UTS #39); plus a project supplement",
        "licence": "table data: Unicode License v3 (confusables.txt); confusable-homoglyphs: MIT; "
                   "supplement: Apache-2.0 (this project)",
        "generator": "tools/make_confusables.py",
        "rule": "single word-character code points that survive NFKC and are confusable with one "
                "ASCII letter",
        "count": len(table),
        "map": dict(sorted(table.items())),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    result = build(Path(sys.argv[1]))
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({result['count']} entries)")
