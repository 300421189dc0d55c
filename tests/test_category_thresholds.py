"""Per-category thresholds that differ: each category is decided by its own threshold.

The fixture model scores "bomb" at ~1.0 on unsafe and indiscriminate_weapons and at exactly
sigmoid(-4) = 0.017986 on every other category. With thresholds alternating just below and just
above that score, a verdict that used one shared threshold, or the thresholds of the wrong
columns, gets some category wrong.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from fixtures_bundle import sign_for_tests
from tinyguard import Guard
from tinyguard.bundle.folder import load_bundle, rewrite_manifest
from tinyguard.taxonomy import CATEGORIES

BASE = 1.0 / (1.0 + math.exp(4.0))  # 0.017986: every column "bomb" does not push
BELOW, ABOVE = 0.0179, 0.0181


def _thresholds() -> dict[str, float]:
    out = {c: (BELOW if i % 2 else ABOVE) for i, c in enumerate(CATEGORIES)}
    out["indiscriminate_weapons"] = 0.5
    return out


@pytest.fixture()
def guard(fresh_bundle: Path) -> Guard:
    sign_for_tests(rewrite_manifest(fresh_bundle, {"category_thresholds": _thresholds()}).path)
    return Guard.load(fresh_bundle, threads=1)


def test_each_category_uses_its_own_threshold(guard: Guard) -> None:
    wanted = _thresholds()
    assert {c: guard.manifest.category_threshold(c) for c in CATEGORIES} == wanted
    v = guard.check("bomb")
    assert v.flagged and v.categories["indiscriminate_weapons"]
    for c in CATEGORIES:
        if c != "indiscriminate_weapons":
            assert v.category_scores[c] == pytest.approx(BASE, abs=1e-6), c
        assert v.categories[c] is (v.category_scores[c] >= wanted[c]), (c, v.category_scores[c], wanted[c])
    fired = sorted(c for c, on in v.categories.items() if on)
    # exactly the low-threshold columns fire, besides the one the text pushes: some do, some do not
    assert fired == sorted(["indiscriminate_weapons", *(c for i, c in enumerate(CATEGORIES) if i % 2)])


def test_categories_still_need_the_flag(guard: Guard) -> None:
    v = guard.check("write a poem about cats")  # unflagged: no category fires, however low its threshold
    assert not v.flagged and not any(v.categories.values())
    assert v.category_scores[CATEGORIES[1]] >= BELOW  # ... although its score is over that threshold


def test_a_category_left_out_of_the_manifest_uses_the_main_threshold(fresh_bundle: Path) -> None:
    thresholds = _thresholds()
    del thresholds[CATEGORIES[1]]  # BELOW would fire it; the main threshold (0.5) does not
    sign_for_tests(rewrite_manifest(fresh_bundle, {"category_thresholds": thresholds}).path)
    m = load_bundle(fresh_bundle)
    assert m.category_threshold(CATEGORIES[1]) == m.threshold == 0.5
    v = Guard.load(fresh_bundle, threads=1).check("bomb")
    assert not v.categories[CATEGORIES[1]] and v.categories[CATEGORIES[3]]
