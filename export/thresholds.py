"""The documented threshold rule.

Pick the threshold that maximises F1 on the validation split **among thresholds whose
false-positive rate on the validation hard-negative slice is at most** ``fpr_max``.
Ties go to the higher threshold. If no threshold meets that FPR, take the lowest threshold
that reaches the smallest achievable hard-negative FPR. Candidates are midpoints between
neighbouring validation scores. Without a hard-negative slice, maximise F1 alone.
"""
from __future__ import annotations

import numpy as np

RULE = ("max validation F1 subject to hard-negative FPR <= {fpr_max:.2f} "
        "(fallback: lowest threshold at the minimum achievable hard-negative FPR)")


def choose_threshold(y: np.ndarray, scores: np.ndarray, hard_negative: np.ndarray,
                     fpr_max: float) -> tuple[float, str]:
    """Return (threshold, rule text). ``y`` is 1 for unsafe; ``hard_negative`` a bool mask."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    hn = np.asarray(hard_negative).astype(bool) & ~y
    u = np.unique(scores)
    # Midpoints between neighbouring scores: the decision is the same for any threshold in
    # that gap, and the midpoint leaves the most room for int8/fp32 score drift.
    candidates = np.concatenate([[u[0] / 2], (u[:-1] + u[1:]) / 2, [(u[-1] + 1) / 2]])
    best: tuple[float, float] | None = None  # (f1, threshold)
    hn_fprs = []
    for t in candidates:
        pred = scores >= t
        tp = int((pred & y).sum())
        fp = int((pred & ~y).sum())
        fn = int((~pred & y).sum())
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        hn_fpr = float(pred[hn].mean()) if hn.any() else 0.0
        hn_fprs.append(hn_fpr)
        if hn_fpr <= fpr_max and (best is None or f1 >= best[0]):  # ties: the higher threshold
            best = (f1, float(t))
    rule = RULE.format(fpr_max=fpr_max)
    if best is not None:
        return best[1], rule
    lowest = min(hn_fprs)
    idx = next(i for i, f in enumerate(hn_fprs) if f == lowest)
    return float(candidates[idx]), rule
