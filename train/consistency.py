"""Counterfactual pairs and their consistency loss for the teacher (issue 20, shortcut-resistant training).

Why: the training restyler (train/register_swap.py) restates a seed request in the other register and
keeps its label, so the pair (seed, restyled) differs in phrasing only. Training each on its own label
teaches both to be right; it does not say they must score *alike*, and a model can still lean on the
register for the margin. The consistency loss penalises the squared difference of the pair's unsafe
probabilities, so the register alone cannot move a score (the pairs are drawn beside each batch,
``consistency_pairs`` of them per step, weighted by ``consistency_weight``).

The pairs come from the augment stage's provenance: a restyled candidate names its seed by
:func:`~tinyguard.train.candidates.text_id`, and a pair is kept only when both the seed (train split)
and the restyled text (kept by curation) are among the training records.
"""
from __future__ import annotations

from pathlib import Path

import torch

from tinyguard.records import Record

from .candidates import read_candidates, text_id


def restyle_pairs(records: list[Record], candidates_path: str | Path) -> list[tuple[Record, Record]]:
    """(seed, restyled) pairs among ``records`` (train split), from the augment stage's candidates."""
    seeds = {text_id(r.text): r for r in records if r.split == "train" and not r.source.startswith("synthetic-")}
    kept = {(r.text, r.role): r for r in records if r.split == "train" and r.source.startswith("synthetic-restyle")}
    pairs = []
    for c in read_candidates(candidates_path):
        if c.method != "restyle" or not c.parent:
            continue
        seed, restyled = seeds.get(c.parent), kept.get((c.record.text, c.record.role))
        if seed is not None and restyled is not None and seed.label == restyled.label:
            pairs.append((seed, restyled))
    return pairs


def consistency_loss(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the pairs' unsafe probabilities (column 0 of [P, 1 + C] logits)."""
    return (torch.sigmoid(logits_a[:, 0]) - torch.sigmoid(logits_b[:, 0])).pow(2).mean()
