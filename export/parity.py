"""Parity gates: two artifacts of one model must agree on the validation split.

A gate prints label agreement and the max score difference and raises
:class:`ParityError` when either misses its bound (bounds come from the export config).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ParityError(RuntimeError):
    """An exported artifact drifted from its reference beyond the configured bounds."""


@dataclass(frozen=True)
class ParityReport:
    name: str
    n: int
    agreement: float  # share of texts with the same flagged decision at the threshold
    max_score_diff: float  # max |score_a - score_b| on the unsafe column
    mean_score_diff: float
    min_agreement: float
    max_allowed_diff: float
    max_allowed_mean_diff: float = 1.0

    @property
    def passed(self) -> bool:
        return (self.agreement >= self.min_agreement and self.max_score_diff <= self.max_allowed_diff
                and self.mean_score_diff <= self.max_allowed_mean_diff)

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (f"parity {self.name}: {verdict} n={self.n} agreement={self.agreement:.4f} "
                f"(min {self.min_agreement}) max|Δscore|={self.max_score_diff:.4f} "
                f"(max {self.max_allowed_diff}) mean|Δscore|={self.mean_score_diff:.5f} "
                f"(max {self.max_allowed_mean_diff})")

    def to_dict(self) -> dict:
        return {"n": self.n, "agreement": round(self.agreement, 5), "max_score_diff": round(self.max_score_diff, 5),
                "mean_score_diff": round(self.mean_score_diff, 6), "min_agreement": self.min_agreement,
                "max_allowed_diff": self.max_allowed_diff, "max_allowed_mean_diff": self.max_allowed_mean_diff,
                "passed": self.passed}


def parity_gate(name: str, a: np.ndarray, b: np.ndarray, threshold: float, *,
                min_agreement: float, max_score_diff: float, max_mean_diff: float = 1.0,
                echo=print) -> ParityReport:
    """Compare unsafe scores ``a`` and ``b`` ([N] arrays); raise ParityError on failure."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape or a.size == 0:
        raise ParityError(f"parity {name}: score arrays differ in shape {a.shape} vs {b.shape} or are empty")
    diff = np.abs(a - b)
    report = ParityReport(name, int(a.size), float(((a >= threshold) == (b >= threshold)).mean()),
                          float(diff.max()), float(diff.mean()), min_agreement, max_score_diff, max_mean_diff)
    echo(report.line())
    if not report.passed:
        raise ParityError(report.line())
    return report
