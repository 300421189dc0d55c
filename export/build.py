"""The export stage: trained teacher → int8 ONNX bundle with a chosen threshold, parity
gates, validation metrics, manifest and model card.

Scores used for the threshold and the metrics come from the runtime itself
(:class:`tinyguard.Guard` over a staging bundle), so ``guard-cli eval`` on the validation
split reproduces the model card's numbers exactly.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyguard.bundle import write_bundle
from tinyguard.metrics import binary_metrics, category_metrics
from tinyguard.normalize import SETTINGS as NORMALIZATION
from tinyguard.taxonomy import CATEGORIES, CATEGORY_TABLE

from ..train.config import ExportConfig
from ..train.records import Record
from .model_card import render_model_card
from .onnx_export import export_fp32, optimize_graph, quantize_int8
from .parity import parity_gate
from .thresholds import choose_threshold


def score_bundle(bundle: Path, records: list[Record], threads: int = 2) -> np.ndarray:
    """[N, 1 + C] scores of ``records`` from the runtime Guard (unsafe first, then categories)."""
    from tinyguard.guard import Guard

    guard = Guard.load(bundle, threads=threads)
    out = np.zeros((len(records), 1 + len(CATEGORIES)), np.float64)
    by_role: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_role.setdefault(r.role, []).append(i)
    for role, idx in by_role.items():
        verdicts = guard.check_batch([records[i].text for i in idx], role,
                                     contexts=[records[i].context for i in idx])
        for i, v in zip(idx, verdicts):
            out[i, 0] = v.score
            out[i, 1:] = [v.category_scores[c] for c in CATEGORIES]
    return out


def validation_metrics(records: list[Record], scores: np.ndarray, threshold: float,
                       category_threshold: float) -> dict[str, Any]:
    """The figures the model card quotes (same functions as ``guard-cli eval``)."""
    y = np.array([r.label == "unsafe" for r in records])
    hn = np.array([r.hard_negative and r.label == "safe" for r in records])
    val = binary_metrics(y, scores[:, 0], threshold)
    hard = binary_metrics(np.zeros(int(hn.sum()), bool), scores[hn, 0], threshold) if hn.any() else {}
    labelled = np.array([r.label == "safe" or bool(r.categories) for r in records])
    ycat = np.array([[c in r.categories for c in CATEGORIES] for r in records], bool)
    cats = category_metrics(ycat[labelled], scores[labelled, 1:], category_threshold, CATEGORIES)
    return {"validation": val, "hard_negatives": {"n": hard.get("n", 0), "fpr": hard.get("fpr"),
                                                   "fp": hard.get("fp", 0)},
            "categories": cats}


def base_manifest(cfg: ExportConfig, encoding: dict, model_file: str, threshold: float) -> dict[str, Any]:
    return {
        "schema_version": 1, "name": cfg.name, "version": cfg.version,
        "model_file": model_file, "tokenizer_file": "tokenizer.json",
        "labels": {"binary": "unsafe", "categories": list(CATEGORIES)},
        "taxonomy": [{"code": c, "name": n, "description": d} for c, n, d in CATEGORY_TABLE],
        "threshold": float(threshold),
        "category_thresholds": {c: cfg.category_threshold for c in CATEGORIES},
        "presets": {}, "encoding": encoding, "normalization": dict(NORMALIZATION),
        "created": dt.date.today().isoformat(),
    }


def presets_around(threshold: float) -> dict[str, float]:
    """strict / balanced / permissive operating points around the tuned threshold."""
    return {"strict": round(max(0.01, threshold / 2), 4), "balanced": round(threshold, 4),
            "permissive": round(min(0.99, (1 + threshold) / 2), 4)}


def data_summary(records: list[Record], used_for_training: Counter, licence_classes: list[str]) -> dict:
    from ..train.registry import source_module

    val = Counter(r.source.split("/")[0] for r in records if r.split == "validation")
    names = sorted(set(val) | set(used_for_training))
    sources = []
    for n in names:
        try:
            m = source_module(n)
            lic, cls = m.LICENCE, m.LICENCE_CLASS
        except KeyError:  # the hand-written hard negatives ship with the project
            lic, cls = "Apache-2.0 (this project)", "permissive"
        sources.append({"name": n, "licence": lic, "licence_class": cls,
                        "train": used_for_training.get(n, 0), "validation": val.get(n, 0)})
    return {"licence_classes": licence_classes, "sources": sources}


def export_bundle(teacher_dir: Path, records: list[Record], out_dir: Path, work_dir: Path,
                  cfg: ExportConfig, *, training: dict[str, Any], data: dict[str, Any],
                  reproduce: str, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Export, gate, tune, measure and write the final bundle to ``out_dir``."""
    from ..train.teacher import load_teacher

    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    model, encoder = load_teacher(teacher_dir)
    encoding = encoder.config.to_dict()
    fp32 = export_fp32(model, work_dir / "model.fp32.onnx")
    echo(f"exported {fp32} ({fp32.stat().st_size / 1e6:.1f} MB)")
    to_quantize = fp32
    if cfg.optimize_graph:
        cfgm = model.encoder.config
        to_quantize = optimize_graph(fp32, work_dir / "model.opt.onnx", cfgm.num_attention_heads, cfgm.hidden_size)
    int8 = quantize_int8(to_quantize, work_dir / "model.int8.onnx")
    echo(f"quantized {int8} ({int8.stat().st_size / 1e6:.1f} MB)")
    tokenizer = Path(teacher_dir) / "tokenizer.json"

    validation = [r for r in records if r.split == "validation"]
    staged = {}
    for tag, path in (("fp32", fp32), ("int8", int8)):
        bundle = work_dir / f"bundle-{tag}"
        write_bundle(bundle, {path.name: path, "tokenizer.json": tokenizer},
                     base_manifest(cfg, encoding, path.name, 0.5) | {"presets": presets_around(0.5)})
        staged[tag] = score_bundle(bundle, validation)
    y = np.array([r.label == "unsafe" for r in validation])
    hn = np.array([r.hard_negative for r in validation])
    threshold, rule = choose_threshold(y, staged["int8"][:, 0], hn, cfg.hard_negative_fpr_max)
    echo(f"threshold {threshold:.4f} ({rule})")
    parity = parity_gate("fp32-int8", staged["fp32"][:, 0], staged["int8"][:, 0], threshold,
                         min_agreement=cfg.parity_min_agreement, max_score_diff=cfg.parity_max_score_diff,
                         echo=echo)
    metrics = validation_metrics(validation, staged["int8"], threshold, cfg.category_threshold)
    metrics["parity"] = {"fp32-int8": parity.to_dict()}

    manifest = base_manifest(cfg, encoding, int8.name, threshold) | {
        "presets": presets_around(threshold), "threshold_rule": rule,
        "metrics": metrics, "training": training, "data": data,
    }
    card = work_dir / "MODEL_CARD.md"
    card.write_text(render_model_card(manifest, reproduce=reproduce), encoding="utf-8")
    write_bundle(out_dir, {int8.name: int8, "tokenizer.json": tokenizer, "MODEL_CARD.md": card}, manifest)
    (work_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return metrics
