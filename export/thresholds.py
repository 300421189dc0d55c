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


CATEGORY_RULE = ("per category: max validation F1 of (flagged and category score >= t) over t in 0.05..0.95; "
                 "a category with fewer than {min_positives} validation positives, or best F1 below "
                 "{min_f1:.2f} or within 0.1 of calling every record that category, is not shipped as "
                 "firing (threshold 1.0)")


def fit_category_thresholds(y: np.ndarray, scores: np.ndarray, flagged: np.ndarray, names: list[str], *,
                            min_positives: int = 10, min_f1: float = 0.25
                            ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per-category thresholds on held-out data, as the runtime decides a category (only when the
    text is flagged). ``y``/``scores``: [n, C] over records whose categories are known.

    Returns ({name: threshold}, {name: {positives, f1, threshold, fires}}); a category that cannot
    be fitted reliably gets threshold 1.0, so it never fires and the card says so.
    """
    y = np.asarray(y, bool)
    s = np.where(np.asarray(flagged, bool)[:, None], np.asarray(scores, np.float64), 0.0)
    grid = np.round(np.arange(0.05, 0.951, 0.05), 2)
    thresholds: dict[str, float] = {}
    report: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        pos = int(y[:, j].sum())
        best_f1, best_t = 0.0, 1.0
        for t in grid:
            pred = s[:, j] >= t
            tp = int((pred & y[:, j]).sum())
            f1 = 2 * tp / max(int(pred.sum()) + pos, 1)
            if f1 >= best_f1 and tp:
                best_f1, best_t = f1, float(t)
        chance = 2 * pos / max(len(y) + pos, 1)  # F1 of calling every record this category
        fires = pos >= min_positives and best_f1 >= max(min_f1, chance + 0.1)
        thresholds[name] = best_t if fires else 1.0
        report[name] = {"positives": pos, "f1": round(best_f1, 4), "threshold": thresholds[name], "fires": fires}
    return thresholds, report
