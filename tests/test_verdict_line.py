"""The one-line text verdict names only categories that fired (runtime/cli_output.verdict_line)."""
from __future__ import annotations

from tinyguard.cli.output import verdict_line
from tinyguard.verdict import Verdict


def _verdict(score: float, fired: dict[str, bool], scores: dict[str, float]) -> Verdict:
    return Verdict(flagged=score >= 0.8, score=score, threshold=0.8, categories=fired, category_scores=scores,
                   role="prompt", truncated=False, chunks=1, model="m@1", latency_ms=0.0)


def test_names_the_categories_that_fired_highest_first() -> None:
    v = _verdict(0.95, {"hate": True, "violent_crimes": True, "privacy": False},
                 {"hate": 0.7, "violent_crimes": 0.9, "privacy": 0.99})
    assert verdict_line(v) == "FLAGGED 0.950  violent_crimes 0.90, hate 0.70"


def test_a_top_category_that_did_not_fire_is_not_offered_as_the_reason() -> None:
    v = _verdict(0.95, {"hate": False, "privacy": False}, {"hate": 0.62, "privacy": 0.1})
    assert verdict_line(v) == "FLAGGED 0.950  no category fired"


def test_ok_lines_name_nothing() -> None:
    assert verdict_line(_verdict(0.01, {"hate": False}, {"hate": 0.9})) == "ok      0.010"
