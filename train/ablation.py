"""The synthetic-data ablation: bundles side by side on validation, hard negatives and a
robustness set, so synthetic data has to earn its place by measurement.

The robustness set is built once from the validation split with the rule operators
(runtime/measure/operators.py): a seeded sample per label, each text obfuscated by every operator
(jailbreak wrappers on unsafe texts only), labels kept. Every bundle is scored by the
runtime Guard (defenses on, as shipped) at its own tuned threshold.
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from tinyguard.atomic import atomic_write_text
from tinyguard.bundle.folder import read_bundle
from tinyguard.measure import operators
from tinyguard.measure.metrics import slice_metrics
from tinyguard.records import Record, read_jsonl, write_jsonl
from ..export.build import score_bundle
from .stage import hash_files

SLICES = ("validation", "hard_negatives", "robustness")


def build_robustness_set(validation: Sequence[Record], per_label: int, seed: int = 13,
                         names: Sequence[str] | None = None) -> list[Record]:
    """``per_label`` validation texts of each label, each through every operator."""
    names = list(names or operators.OPERATORS)
    rng = random.Random(f"{seed}:robustness-set")
    out: list[Record] = []
    for label in ("unsafe", "safe"):
        pool = [r for r in validation if r.label == label]
        for r in rng.sample(pool, min(per_label, len(pool))):
            for name in names:
                if label == "safe" and name in operators.UNSAFE_ONLY:
                    continue
                text = operators.apply(name, r.text, f"{seed}:{r.text}")
                out.append(Record(**{**asdict(r), "text": text, "source": f"robustness/{name}",
                                     "split": "validation"}))
    return out


def per_operator(records: Sequence[Record], scores: np.ndarray, threshold: float | np.ndarray) -> dict[str, dict]:
    """Recall and FPR per operator on the robustness set (``threshold``: one, or one per record)."""
    t = np.asarray(threshold, dtype=np.float64)
    out: dict[str, dict] = {}
    for name in sorted({r.source.split("/", 1)[1] for r in records}):
        idx = [i for i, r in enumerate(records) if r.source == f"robustness/{name}"]
        m = slice_metrics([records[i] for i in idx], scores[idx], t if t.ndim == 0 else t[idx])
        out[name] = {"recall": m["recall"], "fpr": m["fpr"]}
    return out


def _fingerprint(bundle: Path, validation_path: Path, robustness_path: Path) -> str:
    return hash_files([Path(bundle) / "manifest.json", Path(validation_path), Path(robustness_path)])


def run_ablation(bundles: dict[str, Path], validation_path: Path, robustness_path: Path, *,
                 score: Callable[[Path, list[Record]], np.ndarray] | None = None,
                 previous: dict | None = None, echo: Callable[[str], None] = print) -> dict:
    """Score every bundle on the three slices; returns {name: {slice: metrics}}.

    A row of ``previous`` (an earlier result) whose bundle manifest and data files are
    unchanged is reused instead of rescored (scoring a teacher takes minutes per bundle).
    """
    score = score or (lambda b, recs: score_bundle(b, recs)[:, 0])
    validation = list(read_jsonl(validation_path))
    slices = {"validation": validation,
              "hard_negatives": [r for r in validation if r.hard_negative and r.label == "safe"],
              "robustness": list(read_jsonl(robustness_path))}
    result: dict = {}
    for name, bundle in bundles.items():
        fp = _fingerprint(bundle, validation_path, robustness_path)
        if previous and previous.get(name, {}).get("fingerprint") == fp:
            echo(f"reusing {name} ({bundle}): unchanged since the last report")
            result[name] = previous[name]
            continue
        manifest = read_bundle(bundle)
        t = manifest.threshold
        echo(f"scoring {name} ({bundle}, threshold {t:.3f})")
        row: dict = {"bundle": str(bundle), "threshold": t, "fingerprint": fp}
        for sname, recs in slices.items():
            s = score(Path(bundle), recs)
            at = np.array([manifest.threshold_for(r.role) for r in recs])  # each at its role's (spec 1.2)
            row[sname] = slice_metrics(recs, s, at)
            if sname == "robustness":
                row["robustness_per_operator"] = per_operator(recs, s, at)
        result[name] = row
    return result


def _f(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def ablation_markdown(result: dict, command: str) -> str:
    lines = ["# Synthetic-data ablation", "",
             "Same teacher config and seed; each bundle at its own tuned threshold (same rule), "
             "scored by the runtime with defenses on.", "",
             "| configuration | slice | n | F1 | AUPRC | FPR | recall | precision |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in result.items():
        for sname in SLICES:
            m = row[sname]
            lines.append(f"| {name} | {sname} | {m['n']} | {_f(m['f1'])} | {_f(m['auprc'])} | {_f(m['fpr'])} | "
                         f"{_f(m['recall'])} | {_f(m['precision'])} |")
    names = list(result)
    ops = sorted(next(iter(result.values()))["robustness_per_operator"])
    lines += ["", "Robustness set per operator (recall on unsafe / FPR on safe):", "",
              "| operator | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for op in ops:
        cells = [f"{_f(result[n]['robustness_per_operator'][op]['recall'])} / "
                 f"{_f(result[n]['robustness_per_operator'][op]['fpr'])}" for n in names]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines += ["", f"Reproduce: `{command}`", ""]
    return "\n".join(lines)


def write_report(result: dict, out: Path, command: str) -> None:
    out = Path(out)
    atomic_write_text(out, ablation_markdown(result, command))
    atomic_write_text(out.with_suffix(".json"), json.dumps(result, indent=2, sort_keys=True) + "\n")


def write_robustness_set(validation_path: Path, out: Path, per_label: int, seed: int) -> int:
    return write_jsonl(build_robustness_set(list(read_jsonl(validation_path)), per_label, seed), out)
