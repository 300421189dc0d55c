"""Every threshold rule of tinyguard, side by side and named: a threshold is the one number that
decides every verdict, so how each one is chosen is written once, here.

- :func:`choose_threshold` (:data:`RULE`): a bundle's threshold at export. Max validation F1
  among thresholds whose false-positive rate on the validation hard-negative slice is at most
  ``fpr_max``; ties go to the higher threshold. If none meets that FPR, the lowest threshold at
  the smallest achievable hard-negative FPR. Without a hard-negative slice, max F1 alone.
- :func:`fit_category_thresholds` (:data:`CATEGORY_RULE`): a bundle's per-category thresholds.
- :func:`lowest_threshold` (:data:`CALIBRATE_RULE`): ``guard-cli calibrate`` on a user's data.
- The out-of-distribution rule of ``guard-cli ood threshold`` lives in
  ``tinyguard.train.ood_threshold`` (it needs the yardstick's slices).

Candidates (:func:`candidates`) are the midpoints between neighbouring distinct scores: any
threshold in such a gap makes the same decisions, and the midpoint leaves the most room for
int8/fp32 score drift. Every F1 and FPR comes from :mod:`tinyguard.measure.metrics`.
"""
from __future__ import annotations

import numpy as np

from tinyguard.measure.metrics import confusion_at, f1_at

RULE = ("max validation F1 subject to hard-negative FPR <= {fpr_max:.2f} "
        "(fallback: lowest threshold at the minimum achievable hard-negative FPR)")
CATEGORY_RULE = ("per category: max validation F1 of (flagged and category score >= t) over t in 0.05..0.95; "
                 "a category with fewer than {min_positives} validation positives, or best F1 below "
                 "{min_f1:.2f} or within 0.1 of calling every record that category, is not shipped as "
                 "firing (threshold 1.0)")
CALIBRATE_RULE = "lowest threshold with FPR on the file's safe lines <= {target_fpr:g}"
CATEGORY_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


def candidates(scores: np.ndarray) -> np.ndarray:
    """Midpoints between neighbouring distinct scores, plus one below the lowest and one above
    the highest (ascending)."""
    u = np.unique(np.asarray(scores, dtype=np.float64))
    return np.concatenate([[u[0] / 2], (u[:-1] + u[1:]) / 2, [(u[-1] + 1) / 2]])


def choose_threshold(y: np.ndarray, scores: np.ndarray, hard_negative: np.ndarray,
                     fpr_max: float) -> tuple[float, str]:
    """:data:`RULE`: (threshold, rule text). ``y`` is 1 for unsafe; ``hard_negative`` a bool mask."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    hn = np.asarray(hard_negative).astype(bool) & ~y
    ts = candidates(scores)
    f1 = f1_at(y, scores, ts)
    hn_fpr = confusion_at(np.zeros(int(hn.sum()), bool), scores[hn], ts)[1] / max(int(hn.sum()), 1)
    rule = RULE.format(fpr_max=fpr_max)
    ok = np.flatnonzero(hn_fpr <= fpr_max)
    if ok.size:
        return float(ts[ok[f1[ok] == f1[ok].max()][-1]]), rule  # ties: the higher threshold
    return float(ts[int(np.argmin(hn_fpr))]), rule  # argmin: the first, i.e. lowest, at the minimum


def fit_category_thresholds(y: np.ndarray, scores: np.ndarray, flagged: np.ndarray, names: list[str], *,
                            min_positives: int = 10, min_f1: float = 0.25
                            ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """:data:`CATEGORY_RULE`: per-category thresholds on held-out data, as the runtime decides a
    category (only when the text is flagged). ``y``/``scores``: [n, C] over records whose
    categories are known.

    Returns ({name: threshold}, {name: {positives, f1, threshold, fires}}); a category that cannot
    be fitted reliably gets threshold 1.0, so it never fires and the card says so.
    """
    y = np.asarray(y, bool)
    s = np.where(np.asarray(flagged, bool)[:, None], np.asarray(scores, np.float64), 0.0)
    thresholds: dict[str, float] = {}
    report: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        pos = int(y[:, j].sum())
        f1 = f1_at(y[:, j], s[:, j], CATEGORY_GRID)
        tp = confusion_at(y[:, j], s[:, j], CATEGORY_GRID)[0]
        usable = np.flatnonzero(tp > 0)
        best_f1, best_t = 0.0, 1.0
        if usable.size:
            top = usable[f1[usable] == f1[usable].max()][-1]  # ties: the higher threshold
            best_f1, best_t = float(f1[top]), float(CATEGORY_GRID[top])
        chance = 2 * pos / max(len(y) + pos, 1)  # F1 of calling every record this category
        fires = pos >= min_positives and best_f1 >= max(min_f1, chance + 0.1)
        thresholds[name] = best_t if fires else 1.0
        report[name] = {"positives": pos, "f1": round(best_f1, 4), "threshold": thresholds[name], "fires": fires}
    return thresholds, report


def lowest_threshold(y: np.ndarray, scores: np.ndarray, target_fpr: float) -> float:
    """:data:`CALIBRATE_RULE`: the lowest candidate threshold with FPR (safe scores >= t) <= ``target_fpr``."""
    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_safe = int((~y).sum())
    if n_safe == 0:
        raise ValueError("calibration needs safe lines (label safe/0) to measure the FPR")
    ts = candidates(scores)
    false_pos = confusion_at(y, scores, ts)[1]  # non-increasing in t
    ok = np.flatnonzero(false_pos <= target_fpr * n_safe + 1e-9)
    if ok.size == 0:  # the top candidate is above every score unless scores reach 1.0 exactly
        raise ValueError(f"no threshold in [0, 1] keeps the FPR at or below {target_fpr:g}: "
                         f"{int(np.sum(scores[~y] >= 1.0))} safe line(s) score 1.0")
    return float(ts[ok[0]])
