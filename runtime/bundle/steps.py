"""The steps a bundle's verdicts depend on (manifest key ``steps``, docs/bundle-spec.md section 5).

Why: a runtime that skips a step (a port without a new view, an older tinyguard reading a newer
bundle) is a weaker guard that nobody notices. A manifest may name every step its verdicts need;
a runtime that does not implement one of them must refuse the bundle, or -- a port, when asked --
load it and report the step in every verdict's ``unchecked`` (``step:NAME``), never skip it in
silence. Without the key a bundle needs the spec-1.0 steps implied by its ``defenses`` and
``encoding``, which every 1.0 runtime implements. Spec 1.2's ``role_thresholds`` (a response judged
at the manifest's ``response_threshold``) is named whenever that key is there, and only then: a
runtime that would judge responses at the prompt threshold refuses the bundle instead.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

#: Every step this runtime implements, named as in the spec (section 3). Spec 1.1 added
#: ``sentence_coverage`` (coverage per sentence, stretches still encoded count unread) and
#: ``language_id`` (Latin-script sentences in another language unread), always run.
CORE: tuple[str, ...] = ("normalize", "tokenize", "windows", "context", "score", "coverage",
                         "sentence_coverage", "language_id")
#: Switched by the manifest's ``defenses`` (names of :class:`tinyguard.scoring.defenses.DefenseSettings`);
#: ``words`` (the reworded view) is spec 1.1's.
DEFENSES: tuple[str, ...] = ("smuggling", "despace", "homoglyphs", "leet", "decode", "reveal", "words", "segments")
#: Spec 1.1 steps that run inside a defense: ``ciphers`` (Morse, binary, A1Z26, Caesar shifts)
#: with ``decode``, ``run_on`` (clauses spliced by a conjunction) with ``segments``.
WITHIN: dict[str, str] = {"ciphers": "decode", "run_on": "segments"}
#: Spec 1.2: responses judged at the manifest's ``response_threshold`` (named iff the key is there).
ROLE_THRESHOLDS = "role_thresholds"
#: ``reading`` runs when any defense is on; ``emoji_names`` with ``encoding.emoji_names``.
KNOWN: frozenset[str] = frozenset((*CORE, *DEFENSES, *WITHIN, "reading", "emoji_names", ROLE_THRESHOLDS))


def implied(defenses: Mapping[str, Any] | None, encoding: Mapping[str, Any], *,
            role_thresholds: bool = False) -> list[str]:
    """The known steps a bundle with these ``defenses`` (None: all on) and ``encoding`` needs;
    ``role_thresholds``: its manifest has a ``response_threshold``."""
    on = [d for d in DEFENSES if (defenses or {}).get(d, True) is not False]
    within = [step for step, defense in WITHIN.items() if defense in on]
    return [*CORE, *(["reading"] if on else []), *(["emoji_names"] if encoding.get("emoji_names") else []), *on,
            *within, *([ROLE_THRESHOLDS] if role_thresholds else [])]


def check(raw: Any, defenses: Mapping[str, Any] | None, encoding: Mapping[str, Any],
          known: Iterable[str] = KNOWN, *, role_thresholds: bool = False) -> list[str]:
    """The steps of the manifest's ``steps`` value that a runtime knowing ``known`` cannot run.

    ValueError when ``steps`` is not a list of distinct strings, or when its known steps are not
    exactly those its ``defenses``, ``encoding`` and ``response_threshold`` (``role_thresholds``)
    imply (a manifest that contradicts itself). A ``response_threshold`` without ``steps`` is
    refused too: a runtime older than spec 1.2 would read that bundle and judge its responses at
    the prompt threshold, so the key must come with the step name that makes it refuse."""
    if raw is None:
        if role_thresholds:
            raise ValueError(f"'response_threshold' needs 'steps' listing {ROLE_THRESHOLDS!r} (so that a "
                             "runtime without per-role thresholds refuses the bundle)")
        return []
    if not isinstance(raw, list) or not all(isinstance(s, str) and s for s in raw) or len(set(raw)) != len(raw):
        raise ValueError("'steps' must be a list of distinct step names")
    known = set(known)
    listed = {s for s in raw if s in KNOWN}
    want = {s for s in implied({k: v for k, v in (defenses or {}).items() if k in DEFENSES}, encoding,
                               role_thresholds=role_thresholds)}
    if listed != want:
        extra, lacking = sorted(listed - want), sorted(want - listed)
        raise ValueError(f"'steps' does not match 'defenses', 'encoding' and 'response_threshold' (listed but off: {extra}; "
                         f"on but not listed: {lacking})")
    return [s for s in raw if s not in known]
