"""Classification metrics in plain numpy: the one evaluation of a guard on labelled examples.

:func:`guard_metrics` is what ``guard-cli eval`` prints and what the export writes into a
bundle's manifest and model card, so the two agree by construction (same rows, same category
thresholds). Why not sklearn: the runtime must stay small. Undefined values (recall with no positives,
precision with nothing predicted positive) are ``None`` rather than 0 or a warning, so a
report never passes off "no data" as "bad model". ``auprc`` is average precision computed
step-wise exactly like ``sklearn.metrics.average_precision_score`` (sample weights included);
:func:`label_balanced_weights` makes it prevalence-neutral.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

if TYPE_CHECKING:
    from tinyguard.records import Record


def _ratio(num: int, den: int) -> float | None:
    return float(num) / float(den) if den else None


def _as_labels(y_true: Any) -> np.ndarray:
    y = np.asarray(y_true)
    if y.dtype != bool:
        if y.size and not np.isin(y, (0, 1)).all():
            raise ValueError("y_true must hold only 0/1 or booleans")
        y = y.astype(bool)
    return y


def _as_scores(scores: Any) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if s.size and not np.isfinite(s).all():
        raise ValueError("scores must be finite numbers")
    return s


def _as_weights(sample_weight: Any, n: int) -> np.ndarray:
    w = np.asarray(sample_weight, dtype=np.float64).ravel()
    if w.shape != (n,):
        raise ValueError(f"sample_weight has {w.size} items but y_true has {n}")
    if w.size and (not np.isfinite(w).all() or (w < 0).any()):
        raise ValueError("sample_weight must be finite and non-negative")
    return w


def average_precision(y_true: Any, scores: Any, sample_weight: Any = None) -> float | None:
    """Area under the precision-recall curve as a step sum: sum_k (R_k - R_{k-1}) * P_k,
    one step per distinct score (ties form one step). ``None`` when there are no positives
    (or they weigh nothing).

    ``sample_weight``: each text counts that many times in every precision and recall (as
    sklearn's ``sample_weight``); with :func:`label_balanced_weights` the figure no longer
    depends on how many positives the set holds."""
    y = _as_labels(y_true).ravel()
    s = _as_scores(scores).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true has {y.size} items but scores has {s.size}")
    w = np.ones(y.size) if sample_weight is None else _as_weights(sample_weight, y.size)
    positives = float(np.sum(w[y]))
    if not y.any() or positives <= 0.0:
        return None
    order = np.argsort(-s, kind="mergesort")
    y, s, w = y[order], s[order], w[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]  # index closing each distinct score
    tps = np.cumsum(w * y)[last_of_tie]
    predicted = np.cumsum(w)[last_of_tie]
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted > 0)
    recall = tps / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def label_balanced_weights(y_true: Any) -> np.ndarray:
    """Weights under which each label present carries half the total weight (1 / (2 * count)).

    Why: average precision depends on prevalence (a set with more positives scores higher for
    the same ranking); with these weights precision at each threshold is TPR / (TPR + FPR), so
    sets with different label mixes compare (their AP is that of a 50/50 set in expectation)."""
    y = _as_labels(y_true).ravel()
    pos, neg = int(y.sum()), int((~y).sum())
    return np.where(y, 0.5 / max(pos, 1), 0.5 / max(neg, 1))


def confusion_at(y_true: Any, scores: Any, thresholds: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tp, fp, fn, tn) of ``scores >= t`` for every ``t`` of ``thresholds``, as int arrays: one
    sort, not one pass over the data per threshold (threshold rules try hundreds)."""
    y = _as_labels(y_true).ravel()
    s = _as_scores(scores).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true has {y.size} items but scores has {s.size}")
    t = np.asarray(thresholds, dtype=np.float64)
    pos, neg = np.sort(s[y]), np.sort(s[~y])
    tp = pos.size - np.searchsorted(pos, t, side="left")
    fp = neg.size - np.searchsorted(neg, t, side="left")
    return tp, fp, pos.size - tp, neg.size - fp


def f1_at(y_true: Any, scores: Any, thresholds: Any) -> np.ndarray:
    """F1 of ``scores >= t`` for every ``t``; 0.0 where undefined (no positive and nothing
    flagged), because a threshold rule compares numbers (:func:`binary_metrics` says ``None``)."""
    tp, fp, fn, _ = confusion_at(y_true, scores, thresholds)
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def binary_metrics(y_true: Any, scores: Any, threshold: Any) -> dict[str, Any]:
    """Confusion counts and rates for ``scores >= threshold``; ``None`` where undefined.

    ``threshold``: one number, or one per row (each text at its role's threshold, spec 1.2); the
    ``threshold`` reported is then the one number they share, or None when they differ."""
    y = _as_labels(y_true).ravel()
    s = _as_scores(scores).ravel()
    t = np.asarray(threshold, dtype=np.float64)
    if t.ndim == 0:
        tp, fp, fn, tn = (int(c) for c in confusion_at(y, s, float(t)))
        shown: float | None = float(t)
    else:
        t = t.ravel()
        if t.shape != s.shape:
            raise ValueError(f"got {t.size} thresholds for {s.size} scores")
        flagged = s >= t
        tp, fp = int((flagged & y).sum()), int((flagged & ~y).sum())
        fn, tn = int(y.sum()) - tp, int((~y).sum()) - fp
        shown = float(t[0]) if t.size and (t == t[0]).all() else None
    return {
        "n": int(y.size), "positives": tp + fn, "threshold": shown,
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "fpr": _ratio(fp, fp + tn),
        "auprc": average_precision(y, s),
    }


def category_metrics(y_true_matrix: Any, score_matrix: Any,
                     thresholds: float | Sequence[float] | Mapping[str, float],
                     names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """:func:`binary_metrics` per column ([n, k] inputs), for columns with at least one positive.

    ``thresholds`` is one number, one per column, or a ``{name: threshold}`` mapping.
    """
    y = _as_labels(y_true_matrix)
    s = _as_scores(score_matrix)
    if y.ndim != 2 or y.shape != s.shape or y.shape[1] != len(names):
        raise ValueError(f"expected [n, {len(names)}] label and score matrices, got {y.shape} and {s.shape}")
    if isinstance(thresholds, Mapping):
        ts = [float(thresholds[n]) for n in names]
    elif isinstance(thresholds, (int, float)):
        ts = [float(thresholds)] * len(names)
    else:
        ts = [float(t) for t in thresholds]
        if len(ts) != len(names):
            raise ValueError(f"got {len(ts)} thresholds for {len(names)} categories")
    return {name: binary_metrics(y[:, j], s[:, j], ts[j])
            for j, name in enumerate(names) if y[:, j].any()}


def slice_metrics(records: Sequence["Record"], scores: Any, threshold: Any) -> dict[str, Any]:
    """One slice of labelled records at ``threshold``: :func:`binary_metrics` plus the label
    counts ``unsafe`` and ``safe``. F1, precision and AUPRC are ``None`` unless the slice holds
    both labels: on an all-unsafe slice precision is 1 by construction, on an all-safe one F1 is
    0 whatever the model does. ``scores``: the unsafe score per record ([N], or [N, K] whose
    column 0 it is); ``threshold``: one number or one per record (:func:`binary_metrics`)."""
    s = _as_scores(scores)
    y = np.array([r.label == "unsafe" for r in records], dtype=bool)
    m = binary_metrics(y, s[:, 0] if s.ndim == 2 else s, threshold)
    if not (y.any() and (~y).any()):
        m["auprc"] = m["f1"] = m["precision"] = None
    m["unsafe"], m["safe"] = int(y.sum()), int((~y).sum())
    return m


class Labels(NamedTuple):
    """The label side of labelled examples, as arrays (CATEGORIES order for ``categories``).

    An unsafe row with no category marked has unknown categories: it counts for the binary
    metrics but not in any category's row."""

    unsafe: np.ndarray  # [N] bool
    hard_negative: np.ndarray  # [N] bool: a safe text on a sensitive topic
    categories: np.ndarray  # [N, C] bool


def labels_of(records: Iterable["Record"]) -> Labels:
    """:class:`Labels` of :class:`~tinyguard.records.Record` s. Reads ``records`` once (a
    generator is fine) and keeps only the labels, never the texts."""
    unsafe: list[bool] = []
    hard: list[bool] = []
    cats: list[list[bool]] = []
    for r in records:
        unsafe.append(r.label == "unsafe")
        hard.append(bool(r.hard_negative) and r.label == "safe")
        cats.append([c in r.categories for c in CATEGORIES])
    return Labels(np.array(unsafe, dtype=bool), np.array(hard, dtype=bool),
                  np.array(cats, dtype=bool).reshape(len(cats), len(CATEGORIES)))


def guard_metrics(labels: Labels, scores: Any, threshold: Any,
                  category_thresholds: float | Mapping[str, float]) -> dict[str, Any]:
    """Binary, hard-negative and per-category metrics of a guard's scores on labelled examples.

    ``scores``: [N, N_OUTPUTS], the unsafe score then each category's (CATEGORIES order), as a
    Verdict's ``score`` and ``category_scores``. Binary rows flag ``score >= threshold``; the
    hard-negative FPR is the share of safe hard negatives so flagged. Category rows use the
    rows whose categories are known (safe ones, and unsafe ones marking at least one category)
    and compare each raw category score with that category's threshold:
    ``category_thresholds`` is one number for all, or ``{name: threshold}`` where a missing
    name uses ``threshold`` (then one number; else it may be one per row: each text at its
    role's threshold). Returns the manifest's ``metrics`` shape:
    ``{"validation": ..., "hard_negatives": {"n", "fp", "fpr"}, "categories": {...}}``.
    """
    s = _as_scores(scores)
    n = labels.unsafe.shape[0]
    if s.shape != (n, N_OUTPUTS):
        raise ValueError(f"expected [{n}, {N_OUTPUTS}] scores, got {s.shape}")
    if isinstance(category_thresholds, Mapping):
        cat_t = [float(category_thresholds.get(c, threshold)) for c in CATEGORIES]
    else:
        cat_t = [float(category_thresholds)] * len(CATEGORIES)
    hn = labels.hard_negative
    t = np.asarray(threshold, dtype=np.float64)
    hard = binary_metrics(np.zeros(int(hn.sum()), bool), s[hn, 0], t if t.ndim == 0 else t.ravel()[hn])
    known = ~labels.unsafe | labels.categories.any(axis=1)
    return {"validation": binary_metrics(labels.unsafe, s[:, 0], threshold),
            "hard_negatives": {"n": hard["n"], "fpr": hard["fpr"], "fp": hard["fp"]},
            "categories": category_metrics(labels.categories[known], s[known, 1:], cat_t, CATEGORIES)}
