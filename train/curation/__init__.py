"""Curation of synthetic candidates: six rounds, each logging a reason code per decision.

1. ``clean``      normalize (the runtime's normalizer), exact dedup vs itself and the seed,
                  length and language filters (:mod:`.clean`)
2. ``near_dup``   MinHash LSH near-duplicates vs itself and the seed, both splits (:mod:`.near_dup`)
3. ``failures``   generator failures: refusals, echoed instructions, lists, truncation;
                  harmless wrappers stripped (:mod:`.failures`)
4. ``verify``     label verification: teacher + LLM judge votes (:mod:`.verify`)
5. ``noise``      label noise with cleanlab over seed + synthetic (:mod:`.noise`)
6. ``diversity``  k-means cluster caps and per-category caps (:mod:`.diversity`)

:func:`curate` runs them (resumable, one folder and manifest per round) and writes
``curated.jsonl``, ``decisions.jsonl``, ``counts.json`` and ``report.md`` with plots.
:data:`REASONS` lists every reason code with its meaning.
"""
from __future__ import annotations

from .common import REASONS, Decision
from .run import ROUNDS, CurationResult, curate

__all__ = ["REASONS", "ROUNDS", "CurationResult", "Decision", "curate"]
