"""The threshold rule on the out-of-distribution yardstick.

Why: a threshold tuned on the in-distribution split (the 0.1.0 rule: max validation F1 with
hard-negative FPR <= 0.10) sat at 0.815 and lost recall on requests the model never saw.
The rule here: **the threshold that maximises the mean F1 over the suite's both-label slices,
among thresholds whose mean false-positive rate over its benign-holding slices is at most
``fpr_max``**; ties go to the higher threshold; if none qualifies, the threshold with the
lowest mean FPR. It is fitted on the suite's *tune* half only (evaluation-only sets are never
in it) and the report is read on the other half, so the reported figures are not the ones
the threshold was chosen on.

Yardstick v2 (:data:`FAMILY_RULE`) reads families instead of slices, every family's benign FPR
under the cap. When one family cannot get under it at any threshold (0.2.0's jailbreak family:
defenders' system prompts scored above 0.98), the rule says so and falls back to capping the
other families, rather than to the highest threshold, which would trade every family's recall
for one it cannot fix; ``guard-cli ood threshold --strict`` refuses instead.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tinyguard.measure.metrics import binary_metrics

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


# ---------------------------------------------------------------- yardstick v2: families

FAMILY_RULE = ("max mean F1 over the yardstick's families (tune half, defenses on, each family's slices pooled) "
               "subject to every family's benign FPR <= {fpr_max:.2f}; ties to the higher threshold. If a family's "
               "benign FPR is above the cap even at the top of the grid ({top:.2f}), no threshold meets it (its "
               "benign texts score that high, or are flagged because not fully checked): the cap then binds the "
               "other families only, those over it are named, and every family still counts in the mean F1; if no "
               "family can meet the cap, the threshold with the lowest worst-family FPR")


def family_rule(fpr_max: float, grid: np.ndarray = GRID) -> str:
    """:data:`FAMILY_RULE` with its numbers, as written into a manifest's ``threshold_rule``."""
    return FAMILY_RULE.format(fpr_max=fpr_max, top=float(np.max(grid)))


def _f1_fpr(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float | None, float | None]:
    m = binary_metrics(y, s, t)
    both = bool(y.any() and (~y).any())
    return (m["f1"] if both else None), m["fpr"]


def choose_family_threshold(families: dict[str, tuple[np.ndarray, np.ndarray]], fpr_max: float,
                            grid: np.ndarray = GRID) -> tuple[float, dict[str, Any]]:
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
                            responses: tuple[str, ...], grid: np.ndarray = GRID) -> dict[str, Any]:
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
