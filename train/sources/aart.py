"""AART, AI-Assisted Red-Teaming (Radharapu et al., 2023): role-framed adversarial prompts, 70 harm kinds.

Each row is a generated ``prompt`` with the ``region_specific_topic`` it was written from, the
``crime`` it targets and ``why_prompt_harmful``. Most rows ask for help with the harm, often
framed by a role or a document ("As a journalist, write a how-to guide for ..."). Some topics ask
for the *defensive* side, and their ``why_prompt_harmful`` then argues a far-fetched harm
("... how to defend yourself against a violent attack"). Labelling rule, explicitly:

* a row whose ``region_specific_topic`` matches one of :data:`DEFENSIVE_TOPICS` is **safe** and a
  hard negative (the list was written by reading every topic that mentions defending,
  protecting, preventing, reporting, spotting, stopping or legality, together with its
  ``why_prompt_harmful``; topics like "how to avoid being caught ..." or "how to legally rape ..."
  stay unsafe);
* every other row is **unsafe**, with the categories of its ``crime`` (:data:`CRIME_MAP`; a crime
  not in the table raises).

Duplicated prompts are emitted once. Split: no published split exists, so a stable 30% of the
*topics* (every paraphrase of one topic on one side) is kept as split ``test``, never trained on:
the out-of-distribution yardstick reads it. The rest is left to the data stage's splitter.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record
from ._io import held_out

NAME = "aart"
LICENCE = "CC-BY-4.0"
LICENCE_CLASS = "permissive"
OPT_IN = True  # loaded only when a config names it in [data] sources
FILE = "aart-v1-20231117.csv"
TEST_SHARE = 0.3

#: topics that ask for the defensive or harmless side (matched case-insensitively)
DEFENSIVE_TOPICS: tuple[str, ...] = (
    r"\bdefend yourself against\b", r"\bget your partner to stop hitting you\b", r"\bfraud prevention\b",
    r"\blegal consequences of\b", r"\bin a way that is legal and safe\b", r"\bprivacy policy that protects\b",
    r"\bspot a rigged\b", r"\bwrite a report (on|about)\b", r"\bget your dog to stop barking\b",
    r"\bdiy air pollution mask\b", r"\bhow to make kava\b",
)
_DEFENSIVE = re.compile("|".join(DEFENSIVE_TOPICS), re.IGNORECASE)

_VIOLENT = ["violent_crimes"]
_HATE = ["hate", "violent_crimes"]
_CRIME = ["non_violent_crimes"]
#: ``crime`` -> taxonomy categories (empty: unsafe, no one category fits)
CRIME_MAP: dict[str, list[str]] = {
    "terrorism": _VIOLENT, "violence": _VIOLENT, "domestic violence": _VIOLENT, "assassinations": _VIOLENT,
    "murder": _VIOLENT, "assault": _VIOLENT, "kidnapping": _VIOLENT, "kidnappings": _VIOLENT,
    "robbery": _VIOLENT, "hijackings": _VIOLENT,
    "acts of violence committed for political or ideological purposes": _VIOLENT,
    "bombings": ["indiscriminate_weapons", "violent_crimes"],
    "hate crimes": _HATE, "crimes motivated by race": _HATE, "crimes motivated by disability": _HATE,
    "crimes motivated by religion": _HATE, "crimes motivated by gender identity": _HATE,
    "crimes motivated by sexual orientation": _HATE,
    # violence against animals is S1 in the MLCommons taxonomy
    "animal neglect": _VIOLENT, "animal abuse": _VIOLENT, "animal cruelty": _VIOLENT,
    "cockfighting": _VIOLENT, "dog fighting": _VIOLENT, "circuses": _VIOLENT, "horse racing": _VIOLENT,
    "sex trafficking": ["sex_related_crimes"], "rape": ["sex_related_crimes"],
    "prostitution": ["sex_related_crimes"], "pornography": ["sexual_content"],
    "other crimes": _CRIME, "gambling": _CRIME, "ponzi schemes": _CRIME, "pyramid schemes": _CRIME,
    "drug possession": _CRIME, "drug crimes": _CRIME, "drug dealing": _CRIME, "drug trafficking": _CRIME,
    "drug manufacturing": _CRIME, "credit card fraud": _CRIME, "corporate fraud": _CRIME, "fraud": _CRIME,
    "identity theft": _CRIME, "financial crimes": _CRIME, "vandalism": _CRIME, "property crimes": _CRIME,
    "burglary": _CRIME, "embezzlement": _CRIME, "money laundering": _CRIME, "arson": _CRIME,
    "theft": _CRIME, "shoplifting": _CRIME, "tax evasion": _CRIME, "migrant smuggling": _CRIME,
    "labor trafficking": _CRIME, "human trafficking": _CRIME, "organ trafficking": _CRIME,
    "child trafficking": _CRIME, "cyberterrorism": _CRIME, "driving under the influence": _CRIME,
    "environmental crimes": _CRIME, "illegal dumping": _CRIME, "water contamination": _CRIME,
    "pollution": _CRIME, "air pollution": _CRIME, "landfills": _CRIME,
    # harm mostly to oneself, or no crime: unsafe as the set labels them, no category fits
    "alcohol abuse": [], "smoking": [], "drug addiction": [], "drug abuse": [], "climate change": [],
}


def is_defensive(topic: str) -> bool:
    """Whether a row's topic asks for the defensive or harmless side (:data:`DEFENSIVE_TOPICS`)."""
    return bool(_DEFENSIVE.search(topic))


def load(data_dir: Path) -> Iterator[Record]:
    seen: set[str] = set()
    with open(Path(data_dir) / NAME / FILE, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            crime = row["crime"].strip()
            if crime not in CRIME_MAP:
                raise ValueError(f"{NAME}: unmapped crime {crime!r}; add it to CRIME_MAP")
            text = row["prompt"].strip()
            if not text or text in seen:
                continue
            seen.add(text)
            topic = " ".join(row["region_specific_topic"].lower().split())
            safe = is_defensive(topic)
            split = "test" if held_out(topic, TEST_SHARE, NAME) else ""
            yield Record(text=text, role="prompt", label="safe" if safe else "unsafe",
                         source=f"{NAME}/test" if split else NAME, licence_class=LICENCE_CLASS,
                         categories=[] if safe else sorted(CRIME_MAP[crime]), lang="en", split=split,
                         hard_negative=safe)
