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
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tinyguard.metrics import binary_metrics, category_metrics
from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

from tinyguard.atomic import atomic_open
from tinyguard.records import Record
from .ood_suite import SUITE

HEADLINE = ("mean_auprc", "mean_f1", "benign_fpr", "unsafe_recall")


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


def slice_metrics(records: Sequence[Record], scores: np.ndarray, threshold: float) -> dict[str, Any]:
    """Binary metrics at ``threshold`` plus the label counts; AUPRC/F1 only with both labels."""
    y = np.array([r.label == "unsafe" for r in records])
    m = binary_metrics(y, scores[:, 0], threshold)
    both = bool(y.any() and (~y).any())
    if not both:
        m["auprc"] = None
        m["f1"] = None
        m["precision"] = None
    m["unsafe"] = int(y.sum())
    m["safe"] = int((~y).sum())
    return m


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
    binary_t = thresholds["__binary__"]
    flagged = scores[keep, 0] >= binary_t
    s = np.where(flagged[:, None], scores[keep, 1:], 0.0)
    return category_metrics(y, s, {c: thresholds[c] for c in CATEGORIES}, list(CATEGORIES))


def evaluate_bundle(guard: Any, suite: dict[str, list[Record]], *, validation: Sequence[Record] = (),
                    progress: bool = True) -> dict[str, Any]:
    """Every suite slice (and the optional validation extras) scored by one loaded guard."""
    t = guard.threshold
    thresholds = {c: guard.manifest.category_threshold(c) for c in CATEGORIES} | {"__binary__": t}
    slices: dict[str, dict[str, Any]] = {}
    pooled_records: list[Record] = []
    pooled_scores: list[np.ndarray] = []
    for name, records in suite.items():
        if not records:
            continue
        scores = score_records(guard, records, progress=progress, desc=name)
        slices[name] = slice_metrics(records, scores, t)
        pooled_records.extend(records)
        pooled_scores.append(scores)
    result: dict[str, Any] = {"model": guard.model_id, "threshold": t, "slices": slices,
                              "headline": headline(slices)}
    if pooled_records:
        result["categories_ood"] = category_table(pooled_records, np.vstack(pooled_scores), thresholds)
    if validation:
        scores = score_records(guard, validation, progress=progress, desc="validation")
        responses = [i for i, r in enumerate(validation) if r.role == "response"]
        result["validation"] = {
            "all": slice_metrics(validation, scores, t),
            "responses": slice_metrics([validation[i] for i in responses], scores[responses], t)
            if responses else None,
            "categories": category_table(validation, scores, thresholds),
        }
    return result


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
    lines.append("| threshold | " + " | ".join(_f(results[n]["threshold"]) for n in names) + " |")
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
