"""tinyguard.metrics agrees with sklearn and stays defined on edge cases."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (average_precision_score, confusion_matrix, f1_score, precision_score,
                             recall_score)

from tinyguard.metrics import average_precision, binary_metrics, category_metrics


def _sklearn(y: np.ndarray, s: np.ndarray, t: float) -> dict:
    pred = s >= t
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": precision_score(y, pred, zero_division=0),
            "recall": recall_score(y, pred, zero_division=0),
            "f1": f1_score(y, pred, zero_division=0),
            "fpr": fp / (fp + tn), "auprc": average_precision_score(y, s)}


@pytest.mark.parametrize("seed", range(12))
def test_matches_sklearn_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1  # both classes present
    s = rng.random(n)
    if seed % 3 == 0:
        s = np.round(s, 1)  # many ties: average precision must group them like sklearn
    t = float(rng.choice([0.3, 0.5, 0.7]))
    got = binary_metrics(y, s, t)
    want = _sklearn(y, s, t)
    for key in ("tp", "fp", "tn", "fn"):
        assert got[key] == want[key], key
    for key in ("recall", "f1", "fpr", "auprc"):
        assert got[key] == pytest.approx(want[key], abs=1e-12), key
    if got["tp"] + got["fp"]:
        assert got["precision"] == pytest.approx(want["precision"], abs=1e-12)
    assert got["n"] == n and got["positives"] == int(y.sum()) and got["threshold"] == t


@pytest.mark.parametrize("scores", [[0.5, 0.5, 0.5, 0.5], [1.0, 0.0, 1.0, 0.0], [0.9, 0.8, 0.1, 0.2]])
def test_average_precision_on_ties_and_perfect_rankings(scores: list[float]) -> None:
    y = [1, 0, 1, 0]
    assert average_precision(y, scores) == pytest.approx(average_precision_score(y, scores), abs=1e-12)


def test_no_positives_is_none_not_a_crash() -> None:
    m = binary_metrics([0, 0, 0], [0.1, 0.7, 0.2], 0.5)
    assert m["recall"] is None and m["auprc"] is None
    assert m["positives"] == 0 and m["fp"] == 1 and m["fpr"] == pytest.approx(1 / 3)
    assert m["precision"] == 0.0 and m["f1"] == 0.0


def test_nothing_predicted_positive() -> None:
    m = binary_metrics([1, 0, 1], [0.1, 0.2, 0.3], 0.5)
    assert m["precision"] is None  # undefined, not 0
    assert m["recall"] == 0.0 and m["f1"] == 0.0 and m["fpr"] == 0.0
    assert m["auprc"] == pytest.approx(average_precision_score([1, 0, 1], [0.1, 0.2, 0.3]))


def test_only_positives_and_empty_input() -> None:
    m = binary_metrics([True, True], [0.9, 0.1], 0.5)
    assert m["fpr"] is None and m["recall"] == 0.5 and m["precision"] == 1.0 and m["auprc"] == 1.0
    empty = binary_metrics([], [], 0.5)
    assert empty["n"] == 0 and all(empty[k] is None for k in ("precision", "recall", "f1", "fpr", "auprc"))


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="0/1"):
        binary_metrics([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="items"):
        binary_metrics([0, 1], [0.1], 0.5)
    with pytest.raises(ValueError, match="finite"):
        binary_metrics([0, 1], [0.1, float("nan")], 0.5)


def test_category_metrics_skips_columns_without_positives() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros((50, 3), dtype=int)
    y[:20, 0] = 1
    y[rng.choice(50, 5, replace=False), 2] = 1
    s = rng.random((50, 3))
    out = category_metrics(y, s, {"a": 0.5, "b": 0.5, "c": 0.2}, ["a", "b", "c"])
    assert list(out) == ["a", "c"]
    assert out["c"]["threshold"] == 0.2
    assert out["a"]["auprc"] == pytest.approx(average_precision_score(y[:, 0], s[:, 0]))
    assert out["c"] == binary_metrics(y[:, 2], s[:, 2], 0.2)
    assert category_metrics(y, s, 0.5, ["a", "b", "c"])["a"] == binary_metrics(y[:, 0], s[:, 0], 0.5)
    with pytest.raises(ValueError):
        category_metrics(y, s, [0.5, 0.5], ["a", "b", "c"])
