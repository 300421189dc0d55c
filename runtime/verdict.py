"""``Verdict`` and the one rule for text the guard could not fully check.

Why one rule: a guard that scores only part of a text, or a text its model cannot read, and
then answers "ok" fails open in silence. Every verdict therefore says whether the whole text
was checked (``unchecked``: the reasons it was not, empty when it was), and one policy decides
what such a verdict means:

* ``"flag"`` (default): it is flagged (``flagged`` true; ``score`` stays the model's score,
  categories stay off unless the score itself flags);
* ``"report"``: ``flagged`` reflects the score only; the CLI exits 3 when nothing was flagged
  but something was not fully checked;
* ``"pass"``: the old behaviour -- the reasons are reported, nothing else changes.

Reasons: ``"truncated"`` -- the text is longer than the guard's ``max_chars`` and its tail was
not scored; ``"unsupported"`` -- in some sentence (or in the whole text) less than
``min_coverage`` of the letters are in a script, vocabulary and language the model reads, or
a stretch still looks encoded (``coverage``, see :mod:`tinyguard.scoring.coverage`). Per
sentence, not averaged over the text: one English sentence must not launder a Russian one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNCHECKED_POLICIES = ("flag", "report", "pass")
TRUNCATED = "truncated"
UNSUPPORTED = "unsupported"

@dataclass(frozen=True)
class Verdict:
    """The guard's decision on one text (the usual moderation schema plus run details)."""

    flagged: bool
    score: float  # sigmoid of the binary logit, never clamped
    threshold: float
    categories: dict[str, bool]  # true iff the score flags and the category score >= its threshold
    category_scores: dict[str, float]
    role: str
    truncated: bool  # text beyond max_chars was not scored
    chunks: int
    model: str  # name@version
    latency_ms: float = field(compare=False)
    views: int = 0  # de-obfuscated views scored besides the text (0: none needed or defenses off)
    stopped: bool = False  # a stream stopped here because the text so far is unsafe
    view: str = "text"  # which view gave the top score: "text", "revealed", "folded", "despaced", "decoded"
    window: int = 0  # which window of that view (or of that segment) gave it (0-based)
    segment: int | None = None  # which segment of that view gave it (None: a full-text window)
    segments: int = 0  # segments scored alone, over the text and its views
    coverage: float = 1.0  # lowest share, over the text's sentences and the whole, of letters the model can read
    unchecked: tuple[str, ...] = ()  # why the text was not fully checked ("truncated", "unsupported")
    bundle_verified: bool = True  # False: the guard's bundle was loaded unverified (allow_unsigned)

    @property
    def fully_checked(self) -> bool:
        return not self.unchecked

    def to_dict(self) -> dict[str, Any]:
        """The moderation schema plus where the score came from (``view``, ``segment``, ``window``)
        and what was checked (``coverage``, ``unchecked``, ``bundle_verified``); ``views``, ``segments`` and
        ``stopped`` are Python-only details."""
        return {
            "flagged": self.flagged, "score": self.score, "threshold": self.threshold,
            "categories": dict(self.categories), "category_scores": dict(self.category_scores),
            "role": self.role, "truncated": self.truncated, "chunks": self.chunks,
            "model": self.model, "latency_ms": self.latency_ms, "view": self.view,
            "segment": self.segment, "window": self.window, "coverage": self.coverage,
            "unchecked": list(self.unchecked), "bundle_verified": self.bundle_verified,
        }


def check_policy(policy: Any) -> str:
    if policy not in UNCHECKED_POLICIES:
        raise ValueError(f"on_unchecked must be one of {list(UNCHECKED_POLICIES)}, not {policy!r}")
    return policy


def check_fraction(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must be a number in [0, 1], not {value!r}")
    return float(value)


def unchecked_reasons(truncated: bool, coverage: float, min_coverage: float) -> tuple[str, ...]:
    return ((TRUNCATED,) if truncated else ()) + ((UNSUPPORTED,) if coverage < min_coverage else ())


def check_str(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")


def check_threshold(threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"threshold must be a number, not {type(threshold).__name__}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], not {threshold}")
    return float(threshold)
