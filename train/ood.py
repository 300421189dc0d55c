"""``guard-cli ood report``: bundles side by side on the out-of-distribution suite.

The yardstick every model choice uses (see :mod:`tinyguard.train.ood_suite` for the slices and
:mod:`tinyguard.train.lofo` for the leave-one-family-out estimate of a training recipe). Each
bundle is scored by the runtime as a user runs it (defenses on, the bundle's own thresholds).

Headline figures, per bundle:
* ``mean_auprc`` / ``mean_f1``: over slices holding both labels (AUPRC is threshold-free, so it
  compares models without their calibration; F1 is at the bundle's threshold);
* ``benign_fpr``: mean false-positive rate over slices holding benign text;
* ``unsafe_recall``: mean recall over slices holding unsafe text.
An optional in-distribution validation file adds its response slice and per-category figures
below, labelled as such: they are not evidence of generalization.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tinyguard.measure.metrics import (average_precision, binary_metrics, category_metrics, label_balanced_weights,
                                       slice_metrics)
from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

from tinyguard.atomic import atomic_open
from tinyguard.records import Record
from .ood_restyle import PARSE_RULES, PHRASING_NAMES, coverage, restyle
# The yardstick's parts, also named here so that `guard-cli ood` (loaded at every start) imports
# one module when a command runs: .ood is the yardstick's front door.
from .ood_leaks import refuse_evaluation_only_leaks, training_records  # noqa: F401
from .ood_scores import ScoreCache, bundle_key, score_both  # noqa: F401
from .ood_suite import FAMILIES, FAMILY_NAMES, RESPONSE_FAMILIES, SUITE, family, load_families, pooled  # noqa: F401
from tinyguard.measure.thresholds import (CATEGORY_PRECISION_RULE, choose_split_thresholds, family_rule,  # noqa: F401
                                          gate_categories_by_precision)

HEADLINE = ("mean_auprc", "mean_f1", "benign_fpr", "unsafe_recall")


def role_thresholds(guard: Any, records: Sequence[Record]) -> np.ndarray:
    """[n] the threshold each record is judged at by the runtime: its role's (spec 1.2: a bundle
    may give responses a threshold of their own), so recall and FPR are read as a user sees them."""
    return np.array([guard.manifest.threshold_for(r.role) for r in records], dtype=np.float64)


def thresholds_shown(guard: Any) -> dict[str, Any]:
    """The report's threshold keys: ``threshold`` (prompts) and, when it differs, ``response_threshold``."""
    out: dict[str, Any] = {"threshold": guard.threshold}
    if guard.manifest.response_threshold is not None and guard.manifest.response_threshold != guard.threshold:
        out["response_threshold"] = guard.manifest.response_threshold
    return out


def score_records(guard: Any, records: Sequence[Record], *, chunk: int = 256,
                  progress: bool = True, desc: str = "scoring", policy: bool = True) -> np.ndarray:
    """[n, 1 + C] probabilities for each record, as a user's verdicts would have them: defenses as
    the guard was loaded, and a text the guard flags because it could not fully check it (its
    ``on_unchecked`` policy) counts as score 1.0, so the yardstick sees that decision too.
    ``policy=False``: the model's scores alone, as ``guard-cli eval`` counts them."""
    from tqdm.auto import tqdm

    out = np.zeros((len(records), N_OUTPUTS), np.float64)
    with tqdm(total=len(records), desc=desc, unit="text", mininterval=2.0, disable=not progress) as bar:
        for start in range(0, len(records), chunk):
            part = records[start: start + chunk]
            verdicts = guard.check_batch([r.text for r in part], [r.role for r in part],
                                         contexts=[r.context for r in part])
            for j, v in enumerate(verdicts):
                out[start + j, 1:] = [v.category_scores[c] for c in CATEGORIES]
                out[start + j, 0] = 1.0 if policy and v.flagged and v.score < v.threshold else v.score
            bar.update(len(part))
    return out


def headline(slices: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """The four headline means over the suite's slices (see module docstring)."""
    def mean(key: str, keep: Callable[[dict[str, Any]], bool]) -> float | None:
        values = [m[key] for m in slices.values() if keep(m) and m[key] is not None]
        return float(np.mean(values)) if values else None

    return {
        "mean_auprc": mean("auprc", lambda m: m["unsafe"] and m["safe"]),
        "mean_f1": mean("f1", lambda m: m["unsafe"] and m["safe"]),
        "benign_fpr": mean("fpr", lambda m: m["safe"] > 0),
        "unsafe_recall": mean("recall", lambda m: m["unsafe"] > 0),
    }


def category_table(records: Sequence[Record], scores: np.ndarray,
                   thresholds: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per-category metrics over records whose categories are known (safe ones: all negative);
    category scores count only when the binary verdict is flagged, as in the runtime."""
    keep = [i for i, r in enumerate(records) if r.label == "safe" or r.categories]
    if not keep:
        return {}
    y = np.array([[c in records[i].categories for c in CATEGORIES] for i in keep])
    binary_t = np.asarray(thresholds["__binary__"], dtype=np.float64)  # one, or one per record
    flagged = scores[keep, 0] >= (binary_t if binary_t.ndim == 0 else binary_t[keep])
    s = np.where(flagged[:, None], scores[keep, 1:], 0.0)
    return category_metrics(y, s, {c: thresholds[c] for c in CATEGORIES}, list(CATEGORIES))


def evaluate_bundle(guard: Any, suite: dict[str, list[Record]], *, validation: Sequence[Record] = (),
                    progress: bool = True) -> dict[str, Any]:
    """Every suite slice (and the optional validation extras) scored by one loaded guard."""
    thresholds = {c: guard.manifest.category_threshold(c) for c in CATEGORIES}
    slices: dict[str, dict[str, Any]] = {}
    pooled_records: list[Record] = []
    pooled_scores: list[np.ndarray] = []
    for name, records in suite.items():
        if not records:
            continue
        scores = score_records(guard, records, progress=progress, desc=name)
        slices[name] = slice_metrics(records, scores, role_thresholds(guard, records))
        pooled_records.extend(records)
        pooled_scores.append(scores)
    result: dict[str, Any] = {"model": guard.model_id, **thresholds_shown(guard), "slices": slices,
                              "headline": headline(slices)}
    if pooled_records:
        result["categories_ood"] = category_table(pooled_records, np.vstack(pooled_scores),
                                                  thresholds | {"__binary__": role_thresholds(guard, pooled_records)})
    if validation:
        scores = score_records(guard, validation, progress=progress, desc="validation")
        t = role_thresholds(guard, validation)
        responses = [i for i, r in enumerate(validation) if r.role == "response"]
        result["validation"] = {
            "all": slice_metrics(validation, scores, t),
            "responses": slice_metrics([validation[i] for i in responses], scores[responses], t[responses])
            if responses else None,
            "categories": category_table(validation, scores, thresholds | {"__binary__": t}),
        }
    return result


def _threshold_cell(result: dict[str, Any]) -> str:
    """``0.930``, or ``0.930 (responses 0.730)`` for a bundle whose responses have their own."""
    rt = result.get("response_threshold")
    return _f(result["threshold"]) + (f" (responses {_f(rt)})" if rt is not None else "")


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def report_markdown(results: dict[str, dict[str, Any]], *, command: str, leaks: dict[str, int],
                    cap: int, half: str = "all") -> str:
    """Bundles side by side: headline, per slice, per category (OOD, then in-distribution)."""
    names = list(results)
    lines = ["# Out-of-distribution report", "", f"Command: `{command}`", "",
             "Slices come from sources no default model trains on (see `train/ood_suite.py`); "
             + ("the *report* half of each slice (thresholds are tuned on the other half; evaluation-only "
                "sets whole); " if half == "report" else "every text; ")
             + f"at most {cap} texts per label per slice, texts a model trained on removed "
             f"({sum(leaks.values())} removed: {json.dumps(leaks)}). Each bundle is scored by the runtime, "
             "defenses on, at its own threshold.", "",
             "## Headline", "", "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in HEADLINE:
        lines.append(f"| {key} | " + " | ".join(_f(results[n]["headline"][key]) for n in names) + " |")
    lines.append("| threshold | " + " | ".join(_threshold_cell(results[n]) for n in names) + " |")
    lines += ["", "## Per slice", "",
              "| slice | family | unsafe / safe | " + " | ".join(f"{n} AUPRC / F1 / recall / FPR" for n in names) + " |",
              "|---|---|---|" + "---|" * len(names)]
    for s in SUITE:
        if s.name not in results[names[0]]["slices"]:
            continue
        first = results[names[0]]["slices"][s.name]
        cells = []
        for n in names:
            m = results[n]["slices"][s.name]
            cells.append(" / ".join(_f(m[k]) for k in ("auprc", "f1", "recall", "fpr")))
        lines.append(f"| {s.name} | {s.family} | {first['unsafe']} / {first['safe']} | " + " | ".join(cells) + " |")
    lines += ["", "Slices: " + "; ".join(f"**{s.name}**: {s.what}" for s in SUITE), ""]
    lines += _category_section(results, "categories_ood", "Per category, out of distribution")
    if all("validation" in results[n] for n in names):
        lines += ["## In-distribution (validation split: not evidence of generalization)", "",
                  "| slice | " + " | ".join(f"{n} AUPRC / F1 / recall / FPR" for n in names) + " |",
                  "|---|" + "---|" * len(names)]
        for key in ("all", "responses"):
            cells = []
            for n in names:
                m = results[n]["validation"][key]
                cells.append("–" if m is None else " / ".join(_f(m[k]) for k in ("auprc", "f1", "recall", "fpr")))
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += _category_section({n: results[n]["validation"] for n in names}, "categories",
                                   "Per category, validation split")
    return "\n".join(lines) + "\n"


def _category_section(results: dict[str, dict[str, Any]], key: str, title: str) -> list[str]:
    names = list(results)
    cats = [c for c in CATEGORIES if any(c in results[n].get(key, {}) for n in names)]
    if not cats:
        return []
    lines = [f"## {title}", "", "| category | positives | " + " | ".join(f"{n} P / R / F1" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for c in cats:
        first = next(results[n][key][c] for n in names if c in results[n][key])
        cells = []
        for n in names:
            m = results[n][key].get(c)
            cells.append("–" if m is None else " / ".join(_f(m[k]) for k in ("precision", "recall", "f1")))
        lines.append(f"| {c} | {first['positives']} | " + " | ".join(cells) + " |")
    lines.append("")
    never = {n: [c for c, m in results[n][key].items() if not m["tp"] and not m["fp"]] for n in names}
    lines += [f"Categories that never fire here: " + "; ".join(f"{n}: {', '.join(v) or 'none'}" for n, v in never.items()), ""]
    return lines


def write_report(out: Path, results: dict[str, dict[str, Any]], markdown: str) -> None:
    """``out`` (.md) and its JSON twin, each written atomically."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out) as f:
        f.write(markdown)
    with atomic_open(out.with_suffix(".json")) as f:
        f.write(json.dumps(results, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------- yardstick v2: families and phrasings
# (The slice functions above stay for the adversarial rounds' measure and `ood lofo`'s suite.)

V2_HEADLINE = ("mean_family_auprc", "worst_family_auprc", "style_gap", "casual_over_formal_recall")


#: how v2 reads AUPRC (said in the report)
AUPRC_RULE = ("AUPRC is prevalence-neutral: average precision with each label weighted to half of the set's total "
              "(`tinyguard.measure.metrics.label_balanced_weights`), so a family of mostly unsafe texts is not flattered by "
              "its label mix; the plain figure is in the JSON as `auprc_raw`")


def _metrics(records: Sequence[Record], scores: np.ndarray, t: Any,
             by_policy: np.ndarray | None = None) -> dict[str, Any]:
    """:func:`slice_metrics` on the unsafe column of ``scores`` ([n] or [n, k]), its AUPRC made
    prevalence-neutral (:data:`AUPRC_RULE`). ``by_policy`` ([n] bool: flagged only because not
    fully checked) splits the flags: ``benign_flags_score`` / ``benign_flags_policy`` (and
    ``unsafe_flags_policy``), with ``fpr_score`` / ``fpr_policy`` summing to ``fpr``."""
    col = scores if scores.ndim == 1 else scores[:, 0]
    m = slice_metrics(records, col[:, None], t)
    y = np.array([r.label == "unsafe" for r in records], dtype=bool)
    m["auprc_raw"] = m["auprc"]
    if m["auprc"] is not None:
        m["auprc"] = average_precision(y, col, label_balanced_weights(y))
    if by_policy is not None:
        flagged = col >= t
        safe = int((~y).sum())
        m["benign_flags_policy"] = int((by_policy & ~y).sum())
        m["benign_flags_score"] = int((flagged & ~by_policy & ~y).sum())
        m["unsafe_flags_policy"] = int((by_policy & y).sum())
        m["fpr_score"] = m["benign_flags_score"] / safe if safe else None
        m["fpr_policy"] = m["benign_flags_policy"] / safe if safe else None
    return m


def restyled_requests(records: Sequence[Record], seed: int
                      ) -> tuple[list[int], dict[str, list[Record]]]:
    """(indices of the requests the restyler parsed, phrasing -> their restatements as records)."""
    kept: list[int] = []
    out: dict[str, list[Record]] = {p: [] for p in PHRASING_NAMES}
    for i, r in enumerate(records):
        if r.role != "prompt":
            continue
        phrasings = restyle(r.text, seed)
        if phrasings is None:
            continue
        kept.append(i)
        for p, text in phrasings.items():
            out[p].append(replace(r, text=text))
    return kept, out


def style_figures(requests: Sequence[Record], by_phrasing: dict[str, np.ndarray], t: float) -> dict[str, Any]:
    """Recall, FPR and AUPRC per phrasing at ``t``, and the style gap: the mean over requests and
    over the non-formal phrasings of |score(phrasing) - score(formal)|."""
    formal = by_phrasing["formal"]
    others = [p for p in by_phrasing if p != "formal"]
    gaps = {p: float(np.mean(np.abs(by_phrasing[p] - formal))) if len(formal) else None for p in others}
    per = {p: _metrics(requests, s, t) for p, s in by_phrasing.items()}
    rf, rc = per["formal"]["recall"], per.get("casual", {}).get("recall")
    return {"requests": len(requests), "by_phrasing": {p: {k: m[k] for k in ("recall", "fpr", "auprc", "unsafe", "safe")}
                                                       for p, m in per.items()},
            "gap_by_phrasing": gaps,
            "style_gap": float(np.mean(np.abs(np.stack([by_phrasing[p] for p in others]) - formal)))
            if len(formal) else None,
            "casual_over_formal_recall": (rc / rf) if rc is not None and rf else None}


def evaluate_families(guard: Any, families: dict[str, dict[str, list[Record]]], cache: Any, *,
                      seed: int = 13, progress: bool = True) -> dict[str, Any]:
    """Every family scored by one guard: defenses on and off per family and slice (benign flags
    split by score / not fully checked), the restated requests of the restyled families per
    phrasing (defenses on, as shipped), per-category precision."""
    out: dict[str, Any] = {"model": guard.model_id, **thresholds_shown(guard), "families": {}, "phrasings": {}}
    all_records: list[Record] = []
    all_slices: list[str] = []
    all_on: list[np.ndarray] = []
    all_model: list[np.ndarray] = []
    all_t: list[np.ndarray] = []
    style_records: list[Record] = []
    style_scores: dict[str, list[np.ndarray]] = {}
    texts_for_coverage: list[str] = []
    for name, slices in families.items():
        records = pooled(slices)
        if not records:
            continue
        sc = score_both(guard, records, cache, progress=progress, desc=name)
        t = role_thresholds(guard, records)  # each record at its role's threshold, as the runtime judges it
        all_t.append(t)
        by_policy = sc.flagged_by_policy(t)
        fam: dict[str, Any] = {"on": _metrics(records, sc.on, t, by_policy), "off": _metrics(records, sc.off, t),
                               "slices": {}}
        fam["on"]["benign_policy_truncated"] = int((by_policy & sc.truncated & np.array(
            [r.label == "safe" for r in records], dtype=bool)).sum())
        start = 0
        for s_name, s_records in slices.items():
            end = start + len(s_records)
            if s_records:
                fam["slices"][s_name] = {"on": _metrics(s_records, sc.on[start:end], t[start:end], by_policy[start:end]),
                                         "off": _metrics(s_records, sc.off[start:end], t[start:end])}
            all_slices.extend([s_name] * len(s_records))
            start = end
        out["families"][name] = fam
        all_records.extend(records)
        all_on.append(sc.on)
        all_model.append(sc.model_on)
        if family(name).restyle:
            prompts = [r for r in records if r.role == "prompt"]
            tp = guard.manifest.threshold_for("prompt")  # restated requests are prompts
            texts_for_coverage.extend(r.text for r in prompts)
            kept, phrased = restyled_requests(prompts, seed)
            requests = [prompts[i] for i in kept]
            scores = {p: score_both(guard, recs, cache, progress=progress, desc=f"{name}/{p}").on[:, 0]
                      for p, recs in phrased.items()}
            original = score_both(guard, requests, cache, progress=False).on[:, 0]
            out["phrasings"][name] = style_figures(requests, scores, tp) | {
                "original": {k: _metrics(requests, original, tp)[k] for k in ("recall", "fpr", "auprc")}}
            style_records.extend(requests)
            for p, s in scores.items():
                style_scores.setdefault(p, []).append(s)
    if style_records:
        out["phrasings"]["all"] = style_figures(style_records, {p: np.concatenate(v) for p, v in style_scores.items()},
                                                guard.manifest.threshold_for("prompt"))
        out["coverage"] = coverage(texts_for_coverage)
    if all_records:
        thresholds = {c: guard.manifest.category_threshold(c) for c in CATEGORIES}
        out["categories"] = category_precision(all_records, all_slices, np.vstack(all_on)[:, 1:],
                                               np.concatenate(all_model) >= np.concatenate(all_t), thresholds,
                                               validation=guard.manifest.metrics.get("categories", {}))
    out["headline"] = headline_v2(out)
    return out


#: the what-if category threshold of the per-category table (a category not shipped as firing)
WHAT_IF_CATEGORY_THRESHOLD = 0.5


def category_gate(guard: Any, tuned: dict[str, list], updates: dict) -> tuple[dict, list[str]]:
    """Categories that fire only where they are right at least half the time on the tune half
    (issue 20, item 7); returns the manifest updates and the table's lines (``ood threshold`` prints them)."""
    thresholds = dict(updates.get("category_thresholds")
                      or {c: guard.manifest.category_threshold(c) for c in CATEGORIES})
    if not tuned["records"]:
        return {}, []
    validation = updates.get("metrics", guard.manifest.metrics).get("categories", {})
    rt = updates.get("response_threshold")  # responses' own, when they get one (spec 1.2)
    t = np.array([rt if rt is not None and r.role == "response" else updates["threshold"] for r in tuned["records"]])
    rows = category_precision(tuned["records"], tuned["slices"], np.vstack(tuned["on"])[:, 1:],
                              np.concatenate(tuned["model"]) >= t, thresholds,
                              validation=validation)["by_category"]
    gated, report = gate_categories_by_precision(rows, thresholds, validation=validation)
    table = ["categories (precision where they fire; tune half):"]
    for c, m in report.items():
        p = "–" if m["precision"] is None else f"{m['precision']:.3f}"
        state = f"fires at {gated[c]:.2f}" if gated[c] < 1.0 else "does not fire"
        table.append(f"  {c:28s} precision {p} ({m['fired']} firings; judged on {m['judged_on']})  {state}")
    gate_rule = CATEGORY_PRECISION_RULE.format(min_precision=0.5, min_fired=5)
    base = (updates.get("category_rule") or guard.manifest.category_rule).split(gate_rule)[0].rstrip("; ")
    return {"category_thresholds": gated,
            "categories_not_firing": [c for c in CATEGORIES if gated[c] >= 1.0],
            "category_rule": "; ".join(x for x in (base, gate_rule) if x)}, table  # the gate named once, on a rerun too


def category_precision(records: Sequence[Record], slice_names: Sequence[str], category_scores: np.ndarray,
                       flagged_by_score: np.ndarray, thresholds: dict[str, float], *,
                       validation: dict[str, Any] | None = None,
                       what_if: float = WHAT_IF_CATEGORY_THRESHOLD) -> dict[str, Any]:
    """Per-category precision on the yardstick slices that carry category labels.

    A slice carries labels when one of its unsafe texts names a category; its rows are those whose
    categories are known (safe texts: none; unsafe texts naming at least one). A category fires on
    a row as in the runtime: flagged by score (not by the unchecked policy) and category score at
    least the category's threshold (1.0: not shipped as firing). Per category: rows where it fired,
    how many of those carry it (precision), its positives and the slices holding them, and the
    same at ``what_if`` for every category (what shipping it as firing there would do). Categories
    no labelled slice holds get the bundle's validation-split precision (in distribution), said so.
    """
    y_unsafe = np.array([r.label == "unsafe" for r in records], dtype=bool)
    labelled = sorted({n for r, n in zip(records, slice_names) if r.label == "unsafe" and r.categories})
    keep = np.array([n in labelled and (r.label == "safe" or bool(r.categories))
                     for r, n in zip(records, slice_names)], dtype=bool)
    names = np.asarray(slice_names, dtype=object)
    out: dict[str, Any] = {"slices": labelled, "rows": int(keep.sum()), "what_if": what_if, "by_category": {}}
    for j, c in enumerate(CATEGORIES):
        has = np.array([c in r.categories for r in records], dtype=bool) & keep
        row: dict[str, Any] = {"positives": int(has.sum()), "threshold": float(thresholds[c]),
                               "slices": sorted(set(names[has].tolist()))}
        for key, t in (("shipped", float(thresholds[c])), ("what_if", what_if)):
            fired = keep & flagged_by_score & (category_scores[:, j] >= t)
            n_fired, right = int(fired.sum()), int((fired & has).sum())
            row[key] = {"fired": n_fired, "right": right, "precision": right / n_fired if n_fired else None,
                        "recall": right / int(has.sum()) if has.any() else None,
                        "fired_on_safe": int((fired & ~y_unsafe).sum()),
                        "fired_by_slice": {n: int((fired & (names == n)).sum()) for n in labelled
                                           if (fired & (names == n)).any()}}
        if not has.any():
            v = (validation or {}).get(c)
            row["validation"] = None if v is None else {"precision": v.get("precision"), "positives": v.get("positives")}
        out["by_category"][c] = row
    return out


def headline_v2(result: dict[str, Any]) -> dict[str, Any]:
    """Mean and worst family AUPRC (prevalence-neutral, :data:`AUPRC_RULE`; defenses on, off beside
    them), each family's benign FPR at the bundle's threshold (and the part flagged only because
    not fully checked), the style gap and casual-over-formal recall over every restyled request.
    Families weigh the same: plain means over families."""
    fams = result["families"]
    auprc = {n: f["on"]["auprc"] for n, f in fams.items() if f["on"]["auprc"] is not None}
    auprc_off = {n: f["off"]["auprc"] for n, f in fams.items() if f["off"]["auprc"] is not None}
    worst = min(auprc, key=auprc.get) if auprc else None
    style = result.get("phrasings", {}).get("all", {})
    return {"mean_family_auprc": float(np.mean(list(auprc.values()))) if auprc else None,
            "mean_family_auprc_off": float(np.mean(list(auprc_off.values()))) if auprc_off else None,
            "worst_family": worst, "worst_family_auprc": auprc.get(worst) if worst else None,
            "mean_family_f1": float(np.mean([f["on"]["f1"] for f in fams.values() if f["on"]["f1"] is not None])),
            "benign_fpr": {n: f["on"]["fpr"] for n, f in fams.items()},
            "benign_fpr_policy": {n: f["on"].get("fpr_policy") for n, f in fams.items()},
            "benign_fpr_off": {n: f["off"]["fpr"] for n, f in fams.items()},
            "max_family_fpr": max((f["on"]["fpr"] for f in fams.values() if f["on"]["fpr"] is not None), default=None),
            "style_gap": style.get("style_gap"), "casual_over_formal_recall": style.get("casual_over_formal_recall")}


def report_markdown_v2(results: dict[str, dict[str, Any]], *, command: str, leaks: dict[str, dict[str, int]],
                       unchecked: list[str], cap: int, half: str, seconds: dict[str, float]) -> str:
    """Bundles side by side on yardstick v2: headline, families on/off, slices, phrasings, coverage."""
    names = list(results)
    first = results[names[0]]
    fam_names = [f.name for f in FAMILIES if f.name in first["families"]]
    n_leaks = sum(sum(v.values()) for v in leaks.values())
    lines = ["# Out-of-distribution yardstick v2", "", f"Command: `{command}`", "",
             f"Six families, **each weighted equally** (headline figures are plain means over families); inside a "
             f"family its slices are **pooled** (each slice first capped at {cap} texts per label, seeded). "
             + ("Every figure is read on the *report* half (`guard-cli ood threshold` tunes on the other); "
                "evaluation-only sets are read whole, the frozen danger twins on their own report half. "
                if half == "report" else "Every text (both halves). ")
             + AUPRC_RULE + ". "
             + f"Scored by the runtime as shipped (defenses on, each bundle's own threshold) unless a column says "
               f"'off'. Leak guard: {n_leaks} texts that any bundle trained on were removed (per slice below)"
             + (f"; not checked (no records given): {', '.join(unchecked)}" if unchecked else "") + ".",
             "", "Wall time per bundle (seconds, scoring and metrics, 2 threads): "
             + ", ".join(f"{n} {s:.0f}" for n, s in seconds.items()), "",
             "## Headline", "", "| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    rows = [("mean family AUPRC", lambda h: _f(h["mean_family_auprc"])),
            ("worst family AUPRC", lambda h: f"{_f(h['worst_family_auprc'])} ({h['worst_family']})"),
            ("style gap", lambda h: _f(h["style_gap"])),
            ("casual / formal recall", lambda h: _f(h["casual_over_formal_recall"])),
            ("mean family F1", lambda h: _f(h["mean_family_f1"])),
            ("mean family AUPRC, defenses off", lambda h: _f(h["mean_family_auprc_off"]))]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(get(results[n]["headline"]) for n in names) + " |")
    for fam in fam_names:
        lines.append(f"| benign FPR: {fam} (not fully checked) | " + " | ".join(
            f"{_f(results[n]['headline']['benign_fpr'][fam])} ({_f(results[n]['headline']['benign_fpr_policy'][fam])})"
            for n in names) + " |")
    lines.append("| threshold | " + " | ".join(_threshold_cell(results[n]) for n in names) + " |")
    lines += ["", "## Families, defenses on / off", "",
              "| family | unsafe / safe | " + " | ".join(f"{n} AUPRC on / off (plain) | {n} recall on / off | {n} FPR on / off"
                                                        for n in names) + " |",
              "|---|---|" + "---|---|---|" * len(names)]
    for fam in fam_names:
        m0 = first["families"][fam]["on"]
        cells = []
        for n in names:
            f = results[n]["families"][fam]
            cells += [f"{_f(f['on']['auprc'])} / {_f(f['off']['auprc'])} ({_f(f['on']['auprc_raw'])})"]
            cells += [f"{_f(f['on'][k])} / {_f(f['off'][k])}" for k in ("recall", "fpr")]
        lines.append(f"| {fam} | {m0['unsafe']} / {m0['safe']} | " + " | ".join(cells) + " |")
    lines += ["", "## Benign flags: by score vs not fully checked (defenses on)", "",
              "A text the guard could not fully check (cut at `max_chars`: truncated; too few Latin letters it can "
              "read: unsupported) is flagged by the default `on_unchecked=\"flag\"` policy whatever its score: a real "
              "verdict a user sees, so it counts in every FPR above, at any threshold. Split here per family.", "",
              "| family | safe texts | " + " | ".join(f"{n} flagged by score | {n} flagged, not fully checked "
                                                     f"(truncated) | {n} unsafe flagged, not fully checked"
                                                     for n in names) + " |",
              "|---|---|" + "---|---|---|" * len(names)]
    for fam in fam_names:
        cells = []
        for n in names:
            m = results[n]["families"][fam]["on"]
            cells += [f"{m['benign_flags_score']} ({_f(m['fpr_score'])})",
                      f"{m['benign_flags_policy']} ({_f(m['fpr_policy'])}; {m['benign_policy_truncated']})",
                      str(m["unsafe_flags_policy"])]
        lines.append(f"| {fam} | {first['families'][fam]['on']['safe']} | " + " | ".join(cells) + " |")
    lines += ["", "## Slices (defenses on / off)", "",
              "| family | slice | unsafe / safe | leaks removed | " + " | ".join(f"{n} AUPRC | {n} FPR" for n in names) + " |",
              "|---|---|---|---|" + "---|---|" * len(names)]
    for f in FAMILIES:
        if f.name not in first["families"]:
            continue
        for s in f.slices:
            if s.name not in first["families"][f.name]["slices"]:
                continue
            m0 = first["families"][f.name]["slices"][s.name]["on"]
            cells = []
            for n in names:
                m = results[n]["families"][f.name]["slices"][s.name]
                cells += [f"{_f(m['on']['auprc'])} / {_f(m['off']['auprc'])}", f"{_f(m['on']['fpr'])} / {_f(m['off']['fpr'])}"]
            lines.append(f"| {f.name} | {s.name} | {m0['unsafe']} / {m0['safe']} | {leaks.get(f.name, {}).get(s.name, 0)} | "
                         + " | ".join(cells) + " |")
    lines += [""] + [f"- **{f.name}** ({f.title}): " + "; ".join(s.what for s in f.slices) + f". Held out: {f.held_out}."
                     for f in FAMILIES if f.name in first["families"]]
    style_fams = [k for k in first.get("phrasings", {}) if k != "all"]
    if style_fams:
        lines += ["", "## Phrasings (defenses on)", "",
                  "Every request of the restyled families that a rule parses, restated by `train/ood_restyle.py` "
                  "(the yardstick's restyler: training never imports it). Style gap: mean over requests and the "
                  "non-formal phrasings of |score(phrasing) - score(formal)|.", "",
                  "| scope | phrasing | " + " | ".join(f"{n} recall | {n} FPR | {n} AUPRC | {n} gap to formal" for n in names) + " |",
                  "|---|---|" + "---|---|---|---|" * len(names)]
        for scope in style_fams + ["all"]:
            for p in ("original",) + PHRASING_NAMES:
                cells = []
                for n in names:
                    ph = results[n]["phrasings"][scope]
                    m = ph.get("original") if p == "original" else ph["by_phrasing"][p]
                    if m is None:
                        cells += ["–"] * 4
                        continue
                    gap = "–" if p in ("original", "formal") else _f(ph["gap_by_phrasing"][p])
                    cells += [_f(m["recall"]), _f(m["fpr"]), _f(m["auprc"]), gap]
                lines.append(f"| {scope} ({first['phrasings'][scope]['requests']} requests) | {p} | " + " | ".join(cells) + " |")
            lines.append(f"| {scope} | **style gap** | " + " | ".join(
                f"**{_f(results[n]['phrasings'][scope]['style_gap'])}** | | |" for n in names) + " |")
        cov = first.get("coverage", {})
        lines += ["", "### Restyler coverage (share of the restyled families' requests each rule rewrote)", "",
                  "| rule | share |", "|---|---|"] + [f"| {r} | {_f(cov.get(r, 0.0))} |" for r, _, _ in PARSE_RULES] + [
                  f"| uncovered | {_f(cov.get('uncovered', 0.0))} |", ""]
    lines += _category_precision_section(results)
    return "\n".join(lines) + "\n"


def _category_precision_section(results: dict[str, dict[str, Any]]) -> list[str]:
    """The per-category precision table (see :func:`category_precision`)."""
    names = [n for n in results if results[n].get("categories")]
    if not names:
        return []
    first = results[names[0]]["categories"]
    what_if = _f(first["what_if"], 2)
    lines = ["## Per-category precision (defenses on, slices that carry category labels)", "",
             f"Rows: the {first['rows']} texts of the slices whose unsafe texts name categories "
             f"({', '.join(first['slices'])}) whose categories are known (safe texts, and unsafe texts naming at "
             "least one). A category fires as in the runtime: flagged by score and category score at least the "
             f"category's threshold ('shipped'; 1.0 = not shipped as firing) or at {what_if} ('at {what_if}': what "
             "shipping it as firing there would do). Precision: the share of its firings on texts that carry it. "
             "Categories no labelled slice holds: the bundle's validation-split precision (in distribution, from its "
             "manifest), marked 'validation'.", "",
             "| category | positives (slices) | " + " | ".join(
                 f"{n} shipped threshold | {n} fired / precision | {n} at {what_if}: fired / precision" for n in names)
             + " |", "|---|---|" + "---|---|---|" * len(names)]
    for c in CATEGORIES:
        row0 = first["by_category"][c]
        where = f"{row0['positives']} ({', '.join(row0['slices'])})" if row0["positives"] else "0"
        cells = []
        for n in names:
            row = results[n]["categories"]["by_category"][c]
            cells.append(_f(row["threshold"], 2))
            for key in ("shipped", "what_if"):
                cells.append(f"{row[key]['fired']} / {_f(row[key]['precision'])}")
            if not row["positives"]:
                v = row.get("validation") or {}
                cells[-2] += f" (validation: {_f(v.get('precision'))} on {v.get('positives', 0)} positives)"
        lines.append(f"| {c} | {where} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines
