"""The threshold rule on the out-of-distribution yardstick.

Why: a threshold tuned on the in-distribution split (the 0.1.0 rule: max validation F1 with
hard-negative FPR <= 0.10) sat at 0.815 and lost recall on requests the model never saw.
The rule here: **the threshold that maximises the mean F1 over the suite's both-label slices,
among thresholds whose mean false-positive rate over its benign-holding slices is at most
``fpr_max``**; ties go to the higher threshold; if none qualifies, the threshold with the
lowest mean FPR. It is fitted on the suite's *tune* half only (evaluation-only sets are never
in it) and the report is read on the other half, so the reported figures are not the ones
the threshold was chosen on.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

RULE = ("max mean OOD F1 (both-label slices, tune half of the suite) subject to mean benign-slice "
        "FPR <= {fpr_max:.2f}")
GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)


def choose_ood_threshold(slices: Sequence[tuple[np.ndarray, np.ndarray]], fpr_max: float,
                         grid: np.ndarray = GRID) -> tuple[float, dict[str, float]]:
    """(threshold, its mean F1 and mean FPR) for slices given as (y bool [n], unsafe scores [n])."""
    both = [(y, s) for y, s in slices if y.any() and (~y).any()]
    benign = [(y, s) for y, s in slices if (~y).any()]
    if not both:
        raise ValueError("the tune half holds no slice with both labels")
    best: tuple[float, float, float] | None = None  # (f1, t, fpr)
    lowest: tuple[float, float] | None = None  # (fpr, -t)
    for t in grid:
        f1s = []
        for y, s in both:
            pred = s >= t
            tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
            f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
        fpr = float(np.mean([float((s[~y] >= t).mean()) for y, s in benign]))
        f1 = float(np.mean(f1s))
        if fpr <= fpr_max and (best is None or f1 >= best[0]):
            best = (f1, float(t), fpr)
        if lowest is None or (fpr, -t) < lowest:
            lowest = (fpr, -float(t))
    if best is None:
        assert lowest is not None
        t = -lowest[1]
        return t, {"mean_f1": float("nan"), "mean_fpr": lowest[0], "met_cap": 0.0}
    return best[1], {"mean_f1": best[0], "mean_fpr": best[2], "met_cap": 1.0}
