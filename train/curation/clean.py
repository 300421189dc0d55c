"""Round 1: normalize, exact dedup, length and language filters.

* Normalization is the runtime's own (:func:`tinyguard.text.normalize.normalize`: NFKC, invisible
  and control characters dropped) plus trimming, applied to text and context, so the stored
  text is what the model will see. A zero-width operator output therefore collapses onto its
  seed and is dropped as ``exact_dup_seed``: after normalization it teaches nothing new.
* Exact dedup against the seed texts (train and validation) and against earlier candidates.
  LLM outputs use the data stage's case/punctuation-insensitive key
  (:func:`tinyguard.train.dataset.dedup_key`); rule-operator outputs use the exact normalized
  text, because their casing or punctuation *is* the obfuscation (a ``casing`` copy differs
  from its seed only in case). Copies with conflicting intended labels are all dropped.
* Length: ``cfg.min_chars <= len(text) <= cfg.max_chars``.
* Language (:func:`looks_english`, no extra dependency): skipped for operator candidates,
  whose text is deliberately not plain language (base64, hex, leetspeak...).
"""
from __future__ import annotations

import re
from collections import defaultdict

from tinyguard.text.normalize import normalize

from ..candidates import RULE_METHODS, Candidate
from ..dataset import dedup_key
from tinyguard.records import Record
from .common import Decision, RoundContext, RoundOutput, exact_key, is_llm, with_text

NAME = "clean"
VERSION = 1
CONFIG_KEYS = ("min_chars", "max_chars", "languages")

# The most frequent English function words: running English text of a few words has some.
EN_STOPWORDS = frozenset("""
a about after all also an and any are as at be because been but by can could did do does for
from had has have he her his how i if in into is it its just me my no not of on or our out she
should so some than that the their them then there these they this to up us was we what when
where which who why will with would you your
""".split())
# Frequent function words of other Latin-script languages (es, fr, de, it, pt, nl) that are not
# English words (so no "die", "con", "van", "mit", "os"...): a hit is evidence against English.
FOREIGN_STOPWORDS = frozenset("""
el la los las del que por para una uno como pero les des est une sont avec pour dans pas qui
sur vous nous ich und der das ist nicht ein eine sich auch wie zu della che sono questo gli
een het niet zijn wat ook voor uma não mais
""".split())
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def looks_english(text: str) -> bool:
    """A documented heuristic, tuned to keep English and drop clearly other languages.

    Not English when (a) more than 20% of the letters are non-ASCII (another script:
    Cyrillic, CJK, Arabic...), or (b) among the words there are at least two frequent
    function words of another Latin-script language and more of them than English ones.
    Text with too few words to tell (and code, which has few function words of any language)
    counts as English: the filter only drops what it can recognise as foreign.
    """
    letters = _LETTER.findall(text)
    if not letters:
        return True
    if sum(not ch.isascii() for ch in letters) / len(letters) > 0.2:
        return False
    words = [w.lower() for w in _WORD.findall(text)]
    en = sum(w in EN_STOPWORDS for w in words)
    foreign = sum(w in FOREIGN_STOPWORDS for w in words)
    return not (foreign >= 2 and foreign > en)


def _lang_ok(c: Candidate, languages: tuple[str, ...]) -> bool:
    if not languages:
        return True
    if c.record.lang not in languages:
        return False
    if c.method in RULE_METHODS or set(languages) != {"en"}:
        # only English is recognisable without a language-id dependency; with other
        # languages allowed the record's own ``lang`` tag is all we check
        return True
    return looks_english(c.record.text)


def _seed_keys(seed: list[Record]) -> tuple[set[str], set[str]]:
    loose = {dedup_key(r) for r in seed}
    exact = {exact_key(r.role, normalize(r.text).strip()) for r in seed}
    return loose, exact


def candidate_key(c: Candidate) -> str:
    return dedup_key(c.record) if is_llm(c) else exact_key(c.record.role, c.record.text)


def seed_keys_for(c: Candidate, loose: set[str], exact: set[str]) -> bool:
    """True when the candidate repeats a seed text (by its method's notion of identity)."""
    return candidate_key(c) in (loose if is_llm(c) else exact)


def run(cands: list[Candidate], ctx: RoundContext) -> RoundOutput:
    cfg = ctx.cfg
    out = RoundOutput(kept=[])
    log = lambda action, reason, c, **kw: out.decisions.append(Decision.of(1, NAME, action, reason, c, **kw))  # noqa: E731
    loose, exact = _seed_keys(ctx.seed)

    survivors: list[Candidate] = []
    for c in cands:
        text = normalize(c.record.text).strip()
        if len(text) < cfg.min_chars:
            log("drop", "too_short", c, detail=f"{len(text)} chars")
            continue
        if len(text) > cfg.max_chars:
            log("drop", "too_long", c, detail=f"{len(text)} chars")
            continue
        c = with_text(c, text, normalize(c.record.context).strip())
        if not _lang_ok(c, tuple(cfg.languages)):
            log("drop", "wrong_language", c, detail=f"lang={c.record.lang}")
            continue
        if seed_keys_for(c, loose, exact):
            log("drop", "exact_dup_seed", c)
            continue
        survivors.append(c)

    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(survivors):
        groups[f"{'llm' if is_llm(c) else 'op'}:{candidate_key(c)}"].append(i)
    drop: dict[int, str] = {}
    for idx in groups.values():
        if len({survivors[i].record.label for i in idx}) > 1:
            drop.update({i: "exact_dup_label_conflict" for i in idx})
        else:
            drop.update({i: "exact_dup" for i in idx[1:]})
    for i, c in enumerate(survivors):
        if i in drop:
            log("drop", drop[i], c)
        else:
            out.kept.append(c)
    return out
