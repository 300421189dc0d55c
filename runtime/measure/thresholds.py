"""Every threshold rule of tinyguard, side by side and named: a threshold is the one number that
decides every verdict, so how each one is chosen is written once, here.

- :func:`choose_threshold` (:data:`RULE`): a bundle's threshold at export. Max validation F1
  among thresholds whose false-positive rate on the validation hard-negative slice is at most
  ``fpr_max``; ties go to the higher threshold. If none meets that FPR, the lowest threshold at
  the smallest achievable hard-negative FPR. Without a hard-negative slice, max F1 alone.
- :func:`fit_category_thresholds` (:data:`CATEGORY_RULE`): a bundle's per-category thresholds.
- :func:`gate_categories_by_precision` (:data:`CATEGORY_PRECISION_RULE`): which categories ship as
  firing, judged on the yardstick's tune half (a category is only worth naming when it is right).
- :func:`lowest_threshold` (:data:`CALIBRATE_RULE`): ``guard-cli calibrate`` on a user's data.
- :func:`choose_ood_threshold` (:data:`OOD_RULE`), yardstick v1, and :func:`choose_family_threshold`
  / :func:`choose_split_thresholds` (:data:`FAMILY_RULE`), yardstick v2: ``guard-cli ood
  threshold`` on the out-of-distribution yardstick's slices or families (see below).

Candidates (:func:`candidates`) are the midpoints between neighbouring distinct scores: any
threshold in such a gap makes the same decisions, and the midpoint leaves the most room for
int8/fp32 score drift. Every F1 and FPR comes from :mod:`tinyguard.measure.metrics`.
"""
from __future__ import annotations

import numpy as np

from typing import Any, Sequence

from tinyguard.measure.metrics import binary_metrics, confusion_at, f1_at

RULE = ("max validation F1 subject to hard-negative FPR <= {fpr_max:.2f} "
        "(fallback: lowest threshold at the minimum achievable hard-negative FPR)")
CATEGORY_RULE = ("per category: max validation F1 of (flagged and category score >= t) over t in 0.05..0.95; "
                 "a category with fewer than {min_positives} validation positives, or best F1 below "
                 "{min_f1:.2f} or within 0.1 of calling every record that category, is not shipped as "
                 "firing (threshold 1.0)")
CATEGORY_PRECISION_RULE = ("a category fires only if it is right at least {min_precision:.2f} of the time: its precision "
                           "on the yardstick tune half's category-labelled slices where it fired at least {min_fired} "
                           "times there, else on the validation split; below that it is not shipped as firing "
                           "(threshold 1.0)")
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


def gate_categories_by_precision(by_category: dict[str, dict[str, Any]], thresholds: dict[str, float], *,
                                 validation: dict[str, dict[str, Any]] | None = None,
                                 min_precision: float = 0.5, min_fired: int = 5
                                 ) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """:data:`CATEGORY_PRECISION_RULE` over ``by_category`` (rows of ``train.ood.category_precision``
    at ``thresholds``; ``validation``: the manifest's per-category validation metrics): returns (thresholds with the imprecise categories at 1.0, {name: {precision,
    fired, judged_on, fires}}). A category with no evidence either way keeps its threshold and is
    reported as judged on nothing."""
    out, report = dict(thresholds), {}
    for name, t in thresholds.items():
        if t >= 1.0:
            report[name] = {"precision": None, "fired": 0, "judged_on": "not firing before", "fires": False}
            continue
        row = by_category.get(name, {})
        shipped = row.get("shipped", {})
        val = (validation or {}).get(name) or row.get("validation") or {}
        if shipped.get("fired", 0) >= min_fired:
            precision, judged_on = shipped["precision"], "yardstick tune half"
        elif val.get("precision") is not None:
            precision, judged_on = val["precision"], "validation split"
        else:
            precision, judged_on = None, "nothing (too few firings, no validation figure)"
        fires = precision is None or precision >= min_precision
        if not fires:
            out[name] = 1.0
        report[name] = {"precision": precision, "fired": int(shipped.get("fired", 0)), "judged_on": judged_on,
                        "fires": fires}
    return out, report


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


# ------------------------------------------------------------ the out-of-distribution yardstick
#The threshold rule on the out-of-distribution yardstick.
#
# Why: a threshold tuned on the in-distribution split (the 0.1.0 rule: max validation F1 with
# hard-negative FPR <= 0.10) sat at 0.815 and lost recall on requests the model never saw.
# The rule here: **the threshold that maximises the mean F1 over the suite's both-label slices,
# among thresholds whose mean false-positive rate over its benign-holding slices is at most
# ``fpr_max``**; ties go to the higher threshold; if none qualifies, the threshold with the
# lowest mean FPR. It is fitted on the suite's *tune* half only (evaluation-only sets are never
# in it) and the report is read on the other half, so the reported figures are not the ones
# the threshold was chosen on.
#
# Yardstick v2 (:data:`FAMILY_RULE`) reads families instead of slices, every family's benign FPR
# under the cap. When one family cannot get under it at any threshold (0.2.0's jailbreak family:
# defenders' system prompts scored above 0.98), the rule says so and falls back to capping the
# other families, rather than to the highest threshold, which would trade every family's recall
# for one it cannot fix; ``guard-cli ood threshold --strict`` refuses instead.

OOD_RULE = ("max mean OOD F1 (both-label slices, tune half of the suite) subject to mean benign-slice "
        "FPR <= {fpr_max:.2f}")
OOD_GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)


def choose_ood_threshold(slices: Sequence[tuple[np.ndarray, np.ndarray]], fpr_max: float,
                         grid: np.ndarray = OOD_GRID) -> tuple[float, dict[str, float]]:
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
            f1s.append(float(f1_at(y, s, t)))
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


# ---------------------------------------------------------------- yardstick v2: families

FAMILY_RULE = ("max mean F1 over the yardstick's families (tune half, defenses on, each family's slices pooled) "
               "subject to every family's benign FPR <= {fpr_max:.2f}; ties to the higher threshold. If a family's "
               "benign FPR is above the cap even at the top of the grid ({top:.2f}), no threshold meets it (its "
               "benign texts score that high, or are flagged because not fully checked): the cap then binds the "
               "other families only, those over it are named, and every family still counts in the mean F1; if no "
               "family can meet the cap, the threshold with the lowest worst-family FPR")


def family_rule(fpr_max: float, grid: np.ndarray = OOD_GRID) -> str:
    """:data:`FAMILY_RULE` with its numbers, as written into a manifest's ``threshold_rule``."""
    return FAMILY_RULE.format(fpr_max=fpr_max, top=float(np.max(grid)))


def _f1_fpr(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float | None, float | None]:
    m = binary_metrics(y, s, t)
    both = bool(y.any() and (~y).any())
    return (m["f1"] if both else None), m["fpr"]


def choose_family_threshold(families: dict[str, tuple[np.ndarray, np.ndarray]], fpr_max: float,
                            grid: np.ndarray = OOD_GRID) -> tuple[float, dict[str, Any]]:
    """(threshold, stats) by :data:`FAMILY_RULE` for families given as (y bool [n], unsafe scores [n]).

    Each family weighs the same: the mean is over families, never over texts. ``stats`` holds the
    mean F1, the worst family FPR, each family's FPR and F1 at the threshold and its ``fpr_floor``
    (its FPR at the grid's top: no threshold on the grid does better), ``met_cap`` (every family
    under the cap), ``over_cap`` (the families no threshold brings under it) and ``fallback``
    (None, "cap on the other families" or "lowest worst-family FPR")."""
    if not any(y.any() and (~y).any() for y, _ in families.values()):
        raise ValueError("no family holds both labels")
    top = float(np.max(grid))
    floors = {name: _f1_fpr(y, s, top)[1] for name, (y, s) in families.items()}
    over = [n for n, f in floors.items() if f is not None and f > fpr_max]  # FPR only falls as t rises
    capped = [n for n in families if n not in over]
    best: tuple[float, float] | None = None  # (mean f1, t)
    lowest: tuple[float, float] | None = None  # (worst fpr, -t)
    for t in grid:
        per = {name: _f1_fpr(y, s, float(t)) for name, (y, s) in families.items()}
        f1s = [f1 for f1, _ in per.values() if f1 is not None]
        fprs = [fpr for _, fpr in per.values() if fpr is not None]
        worst = max(fprs) if fprs else 0.0
        worst_capped = max((per[n][1] for n in capped if per[n][1] is not None), default=0.0)
        mean_f1 = float(np.mean(f1s))
        if capped and worst_capped <= fpr_max and (best is None or mean_f1 >= best[0]):
            best = (mean_f1, float(t))
        if lowest is None or (worst, -t) < lowest:
            lowest = (worst, -float(t))
    assert lowest is not None
    t = best[1] if best is not None else -lowest[1]
    per = {name: _f1_fpr(y, s, t) for name, (y, s) in families.items()}
    fprs = [fpr for _, fpr in per.values() if fpr is not None]
    fallback = None if not over else "cap on the other families" if best is not None else "lowest worst-family FPR"
    return t, {"mean_f1": float(np.mean([f1 for f1, _ in per.values() if f1 is not None])),
               "worst_fpr": max(fprs) if fprs else 0.0, "met_cap": not over, "over_cap": over,
               "fallback": fallback, "grid_top": top,
               "per_family": {n: {"f1": f1, "fpr": fpr, "fpr_floor": floors[n]} for n, (f1, fpr) in per.items()}}


def choose_split_thresholds(families: dict[str, tuple[np.ndarray, np.ndarray]], fpr_max: float,
                            responses: tuple[str, ...], grid: np.ndarray = OOD_GRID) -> dict[str, Any]:
    """The rule once over all families, and once with the ``responses`` families given a threshold
    of their own (each part by the same rule); ``own_response_threshold`` says whether the second
    measures better (higher mean F1 over all families, every family's FPR still under the cap)."""
    t, stats = choose_family_threshold(families, fpr_max, grid)
    out: dict[str, Any] = {"threshold": t, "stats": stats, "response_threshold": None,
                           "own_response_threshold": False}
    prompts = {n: v for n, v in families.items() if n not in responses}
    resp = {n: v for n, v in families.items() if n in responses}
    if not prompts or not resp or not any(y.any() and (~y).any() for y, _ in resp.values()):
        return out
    tp, sp = choose_family_threshold(prompts, fpr_max, grid)
    tr, sr = choose_family_threshold(resp, fpr_max, grid)
    per = sp["per_family"] | sr["per_family"]
    f1s = [m["f1"] for m in per.values() if m["f1"] is not None]
    mean_f1 = float(np.mean(f1s))
    better = sp["met_cap"] and sr["met_cap"] and (mean_f1 > stats["mean_f1"] or not stats["met_cap"])
    out["split"] = {"threshold": tp, "response_threshold": tr, "mean_f1": mean_f1, "per_family": per}
    if better:
        out.update(threshold=tp, response_threshold=tr, own_response_threshold=True)
    return out
