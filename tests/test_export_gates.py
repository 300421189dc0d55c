"""The threshold rule and the parity gate: real numbers in, enforced decisions out."""
from __future__ import annotations

import numpy as np
import pytest

from tinyguard.export.parity import ParityError, parity_gate
from tinyguard.export.thresholds import choose_threshold


def test_threshold_respects_hard_negative_fpr_bound():
    # 4 unsafe, 4 ordinary safe, 4 hard negatives scoring high (topic look-alikes).
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.array([.9, .8, .7, .6, .1, .1, .2, .2, .75, .65, .3, .3])
    hn = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], bool)
    t_free, _ = choose_threshold(y, s, np.zeros_like(hn), fpr_max=0.0)
    t_bound, rule = choose_threshold(y, s, hn, fpr_max=0.25)
    assert t_free == pytest.approx(0.45)  # all 4 unsafe, 2 false positives: F1 0.8
    assert t_bound == pytest.approx(0.675)  # only one of four hard negatives (0.75) may pass
    assert "hard-negative FPR <= 0.25" in rule
    assert ((s >= t_bound) & hn).sum() / hn.sum() <= 0.25


def test_threshold_falls_back_when_bound_is_unreachable():
    y = np.array([1, 0])
    s = np.array([0.5, 0.9])
    t, _ = choose_threshold(y, s, np.array([False, True]), fpr_max=0.0)
    assert t == pytest.approx(0.95)  # the only threshold that passes no hard negative


def test_parity_gate_passes_and_fails_loudly():
    a = np.array([0.1, 0.2, 0.9, 0.95])
    lines = []
    report = parity_gate("x", a, a + 0.01, 0.5, min_agreement=0.99, max_score_diff=0.05, echo=lines.append)
    assert report.passed and "PASS" in lines[0]
    with pytest.raises(ParityError, match="FAIL"):
        parity_gate("x", a, np.array([0.1, 0.6, 0.9, 0.95]), 0.5, min_agreement=0.99, max_score_diff=0.5,
                    echo=lines.append)
    with pytest.raises(ParityError):
        parity_gate("x", a, a[:2], 0.5, min_agreement=0.9, max_score_diff=0.1, echo=lines.append)
