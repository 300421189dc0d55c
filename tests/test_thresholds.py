"""tinyguard.measure.thresholds: every rule against a brute-force loop over its candidates (the way each
rule was first written), on random data with ties, and F1/FPR from tinyguard.measure.metrics."""
from __future__ import annotations

import numpy as np
import pytest

from tinyguard.measure.metrics import binary_metrics, confusion_at, f1_at
from tinyguard.measure.thresholds import (CATEGORY_GRID, candidates, choose_threshold, fit_category_thresholds,
                                  lowest_threshold)


def _data(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    s = np.clip(np.where(y, rng.normal(0.7, 0.2, n), rng.normal(0.3, 0.2, n)), 0, 1)
    if seed % 2:
        s = np.round(s, 1)  # ties
    return y, s, ~y & (rng.random(n) < 0.3)


@pytest.mark.parametrize("seed", range(8))
def test_confusion_and_f1_match_binary_metrics_at_every_candidate(seed: int) -> None:
    y, s, _ = _data(seed)
    ts = candidates(s)
    tp, fp, fn, tn = confusion_at(y, s, ts)
    f1 = f1_at(y, s, ts)
    for k, t in enumerate(ts):
        m = binary_metrics(y, s, t)
        assert (tp[k], fp[k], fn[k], tn[k]) == (m["tp"], m["fp"], m["fn"], m["tn"])
        assert f1[k] == (m["f1"] or 0.0)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fpr_max", [0.0, 0.05, 0.2, 1.0])
def test_choose_threshold_is_the_brute_force_rule(seed: int, fpr_max: float) -> None:
    y, s, hn = _data(seed)
    best, fallback = None, None
    for t in candidates(s):  # ascending
        pred = s >= t
        f1 = 2 * (pred & y).sum() / max(2 * (pred & y).sum() + (pred & ~y).sum() + (~pred & y).sum(), 1)
        hn_fpr = pred[hn].mean() if hn.any() else 0.0
        if hn_fpr <= fpr_max and (best is None or f1 >= best[0]):
            best = (f1, t)
        if fallback is None or hn_fpr < fallback[0]:
            fallback = (hn_fpr, t)
    want = best[1] if best is not None else fallback[1]
    assert choose_threshold(y, s, hn, fpr_max)[0] == want


@pytest.mark.parametrize("seed", range(6))
def test_category_thresholds_are_the_brute_force_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, names = 400, ["a", "b", "c"]
    y = rng.random((n, 3)) < [0.2, 0.02, 0.5]
    s = np.clip(np.where(y, rng.normal(0.6, 0.25, (n, 3)), rng.normal(0.3, 0.25, (n, 3))), 0, 1)
    flagged = rng.random(n) < 0.6
    got, report = fit_category_thresholds(y, s, flagged, names)
    masked = np.where(flagged[:, None], s, 0.0)
    for j, name in enumerate(names):
        best_f1, best_t = 0.0, 1.0
        for t in CATEGORY_GRID:
            pred = masked[:, j] >= t
            tp = int((pred & y[:, j]).sum())
            f1 = 2 * tp / max(int(pred.sum()) + int(y[:, j].sum()), 1)
            if f1 >= best_f1 and tp:
                best_f1, best_t = f1, float(t)
        assert report[name]["f1"] == round(best_f1, 4)
        assert got[name] == (best_t if report[name]["fires"] else 1.0)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("target", [0.0, 0.01, 0.1, 0.5])
def test_lowest_threshold_is_the_lowest_candidate_within_the_fpr(seed: int, target: float) -> None:
    y, s, _ = _data(seed)
    ok = [t for t in candidates(s) if (s[~y] >= t).sum() <= target * (~y).sum() + 1e-9]
    assert lowest_threshold(y, s, target) == ok[0]


def test_lowest_threshold_refuses_what_it_cannot_meet() -> None:
    with pytest.raises(ValueError, match="needs safe lines"):
        lowest_threshold(np.array([True]), np.array([0.4]), 0.1)
    with pytest.raises(ValueError, match="1 safe line"):
        lowest_threshold(np.array([True, False]), np.array([1.0, 1.0]), 0.0)
