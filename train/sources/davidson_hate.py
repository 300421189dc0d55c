"""Davidson et al. (2017) tweets: hate speech / offensive language / neither (3+ annotators each).

The guard's ``hate`` is about demeaning people for protected characteristics, and plain
profanity is not a hazard in the MLCommons taxonomy, so only the hate class is unsafe and the
offensive and neither classes are safe. Davidson's offensive class still holds many slur uses
that some annotator called hate; to avoid teaching "slur = safe" from a split vote, a non-hate
tweet with any ``hate_speech`` vote is skipped. Offensive tweets are not marked hard negatives:
they are safe under the taxonomy but not benign. Known noise: about 2% of offensive tweets are
porn spam or explicit sexual text (S12 by our taxonomy) that Davidson's scheme files as merely
offensive; there is no column that separates them, so they stay safe.

Tweets are cleaned minimally: HTML entities are unescaped (``&amp;``, ``&#128514;``; twice, as
one tweet is escaped twice), retweet markers and @handles ("RT @user:", "@user") are removed
and whitespace is collapsed. Tweets left empty are skipped; URLs, hashtags, spelling are kept.
"""
from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "davidson_hate"
LICENCE = "MIT"
LICENCE_CLASS = "permissive"

#: ``class`` column (majority vote: 0 hate, 1 offensive, 2 neither) -> (label, categories).
CLASS_MAP: dict[str, tuple[str, list[str]]] = {
    "0": ("unsafe", ["hate"]),
    "1": ("safe", []),
    "2": ("safe", []),
}

#: Skip safe-class tweets that at least one annotator labelled hate (see module docstring).
SKIP_SAFE_WITH_HATE_VOTES = True

_RT = re.compile(r"\bRT\s+@\w+:?")
_HANDLE = re.compile(r"@\w+:?")
_SPACE = re.compile(r"\s+")


def clean_tweet(tweet: str) -> str:
    """Unescape HTML entities, drop retweet markers and @handles, collapse whitespace."""
    text = html.unescape(html.unescape(tweet))  # one tweet is escaped twice ("&amp;#9773;")
    text = _RT.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def load(data_dir: Path) -> Iterator[Record]:
    path = Path(data_dir) / NAME / "labeled_data.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            cls = row["class"]
            if cls not in CLASS_MAP:
                raise ValueError(f"{NAME}: unmapped class {cls!r}; add it to CLASS_MAP")
            label, categories = CLASS_MAP[cls]
            if label == "safe" and SKIP_SAFE_WITH_HATE_VOTES and int(row["hate_speech"]) > 0:
                continue
            text = clean_tweet(row["tweet"] or "")
            if text:
                yield Record(text=text, role="prompt", label=label, source=NAME,
                             licence_class=LICENCE_CLASS, categories=list(categories), lang="en")
