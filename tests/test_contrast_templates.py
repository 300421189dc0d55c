"""The generated contrast source: deterministic, all benign hard negatives, opt-in only."""
from __future__ import annotations

from collections import Counter

from tinyguard.train.registry import available_sources, source_module
from tinyguard.train.sources import contrast_templates as ct


def test_every_template_expands_and_the_set_is_deterministic():
    for family, templates in ct.TEMPLATES.items():
        for template, slots in templates:
            texts = ct.expand(template, slots)  # a slot missing from the dict would raise here
            assert texts and all("{" not in t for t in texts), template
    first = [r.text for r in ct.load(None)]
    assert first == [r.text for r in ct.load(None)]
    assert len(first) == len(set(first)) == 1130
    assert max(Counter(r.source for r in ct.load(None)).values()) <= ct.MAX_PER_FAMILY


def test_records_are_safe_hard_negatives_and_opt_in():
    records = list(ct.load(None))
    assert {(r.label, r.hard_negative, r.role, r.licence_class) for r in records} == {
        ("safe", True, "prompt", "permissive")}
    assert {r.source.split("/")[1] for r in records} == set(ct.TEMPLATES)
    assert "contrast_templates" not in {m.NAME for m in available_sources()}  # default configs unchanged
    assert source_module("contrast_templates") is ct
    assert ct.input_digest(None) == ct.input_digest(None)
