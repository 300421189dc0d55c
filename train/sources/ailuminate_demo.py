"""MLCommons AILuminate v1.0 demo prompt sets (en_US, fr_FR).

Every prompt was written to elicit a hazardous response in one MLCommons hazard, so each is
labelled unsafe with that hazard's category. Caveat: AILuminate is a response benchmark; a
minority of prompts (most visibly among the ``spc_*`` specialised-advice ones) read benign on
their own. They are kept as the set defines them.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "ailuminate_demo"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "permissive"

#: AILuminate hazard code -> taxonomy categories (the MLCommons v1.0 hazards are our S1-S13).
HAZARD_MAP: dict[str, list[str]] = {
    "vcr": ["violent_crimes"],
    "ncr": ["non_violent_crimes"],
    "src": ["sex_related_crimes"],
    "cse": ["child_sexual_exploitation"],
    "dfm": ["defamation"],
    "spc_fin": ["specialized_advice"],
    "spc_hlt": ["specialized_advice"],
    "spc_lgl": ["specialized_advice"],
    # AILuminate files elections under specialised advice; the taxonomy has its own S13.
    "spc_ele": ["elections"],
    "prv": ["privacy"],
    "ipv": ["intellectual_property"],
    "iwp": ["indiscriminate_weapons"],
    "hte": ["hate"],
    "ssh": ["suicide_self_harm"],
    "sxc_prn": ["sexual_content"],
}

#: The file's ``locale`` column -> ISO 639-1 language.
LOCALE_LANG: dict[str, str] = {"en_US": "en", "fr_FR": "fr"}

FILE_GLOB = "airr_official_1.0_demo_*_prompt_set_release.csv"


def load(data_dir: Path) -> Iterator[Record]:
    files = sorted((Path(data_dir) / NAME).glob(FILE_GLOB))
    if not files:
        raise FileNotFoundError(f"{NAME}: no {FILE_GLOB} under {Path(data_dir) / NAME}")
    for path in files:
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                text = (row["prompt_text"] or "").strip()
                if not text:
                    continue
                hazard, locale = row["hazard"], row["locale"]
                if hazard not in HAZARD_MAP:
                    raise ValueError(f"{NAME}: unmapped hazard {hazard!r} in {path.name}; "
                                     "add it to HAZARD_MAP")
                if locale not in LOCALE_LANG:
                    raise ValueError(f"{NAME}: unmapped locale {locale!r} in {path.name}; "
                                     "add it to LOCALE_LANG")
                yield Record(
                    text=text, role="prompt", label="unsafe", source=NAME,
                    licence_class=LICENCE_CLASS, categories=list(HAZARD_MAP[hazard]),
                    lang=LOCALE_LANG[locale],
                )
