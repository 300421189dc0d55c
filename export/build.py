"""The export stage: trained teacher → int8 ONNX bundle with a chosen threshold, parity
gates, validation metrics, manifest and model card.

Scores used for the threshold and the metrics come from the runtime itself
(:class:`tinyguard.Guard` over a staging bundle), so ``guard-cli eval`` on the validation
split reproduces the model card's numbers exactly.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyguard.atomic import atomic_write_text
from tinyguard.bundle import steps
from tinyguard.bundle.folder import write_bundle
from tinyguard.bundle.manifest import Manifest, new_manifest
from tinyguard.measure import conformance
from tinyguard.measure.metrics import guard_metrics, labels_of
from tinyguard.measure.thresholds import choose_threshold
from tinyguard.records import Record
from tinyguard.scoring.guard import Guard
from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

from .config import ExportConfig
from .model_card import render_model_card
from .onnx_export import export_fp32, optimize_graph, quantize_int8
from .parity import parity_gate


def score_bundle(bundle: Path, records: list[Record], threads: int = 2) -> np.ndarray:
    """[N, 1 + C] scores of ``records`` from the runtime Guard (unsafe first, then categories)."""
    # The bundle this export just wrote: unsigned until guard-cli sign, scored to gate it, not to guard.
    return score_guard(Guard.load(bundle, threads=threads, allow_unsigned=True), records)


def score_guard(guard: Any, records: list[Record]) -> np.ndarray:
    """[N, 1 + C] scores of ``records`` from an opened Guard (any scoring backend)."""
    out = np.zeros((len(records), N_OUTPUTS), np.float64)
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


def validation_metrics(records: list[Record], scores: np.ndarray, threshold: Any,
                       category_threshold: float | dict[str, float]) -> dict[str, Any]:
    """The figures the model card quotes: the runtime's one metrics function
    (:func:`tinyguard.measure.metrics.guard_metrics`, which ``guard-cli eval`` prints too)."""
    return guard_metrics(labels_of(records), scores, threshold, category_threshold)


def base_manifest(cfg: ExportConfig, encoding: dict, model_file: str, threshold: float, **optional: Any) -> Manifest:
    """The export's manifest (files left for write_bundle): one threshold for every category,
    presets around ``threshold``, the steps its verdicts need (every defense on; a runtime that
    lacks one refuses the bundle or reports it); ``optional``: metrics, training, data, ... (checked)."""
    return new_manifest(name=cfg.name, version=cfg.version, model_file=model_file, encoding=encoding,
                        threshold=threshold, category_threshold=cfg.category_threshold,
                        presets=presets_around(threshold), steps=steps.implied(None, encoding), **optional)


def presets_around(threshold: float) -> dict[str, float]:
    """strict / balanced / permissive operating points around the tuned threshold."""
    return {"strict": round(max(0.01, threshold / 2), 4), "balanced": round(threshold, 4),
            "permissive": round(min(0.99, (1 + threshold) / 2), 4)}


def export_onnx_pair(model, work_dir: Path, *, optimize: bool, echo: Callable[[str], None] = print) -> tuple[Path, Path]:
    """torch model → ``model.fp32.onnx`` → (BERT-fused when ``optimize``) → ``model.int8.onnx``."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    fp32 = export_fp32(model, work_dir / "model.fp32.onnx")
    echo(f"exported {fp32} ({fp32.stat().st_size / 1e6:.1f} MB)")
    to_quantize = fp32
    if optimize:
        cfgm = model.encoder.config
        to_quantize = optimize_graph(fp32, work_dir / "model.opt.onnx", cfgm.num_attention_heads, cfgm.hidden_size)
    int8 = quantize_int8(to_quantize, work_dir / "model.int8.onnx")
    echo(f"quantized {int8} ({int8.stat().st_size / 1e6:.1f} MB)")
    return fp32, int8


def stage_bundle(bundle: Path, model_path: Path, tokenizer: Path, cfg: ExportConfig, encoding: dict) -> Path:
    """A throw-away bundle around one model file (threshold 0.5), so the runtime can score it."""
    return write_bundle(bundle, {model_path.name: model_path, "tokenizer.json": tokenizer},
                        base_manifest(cfg, encoding, model_path.name, 0.5))


def score_staged(work_dir: Path, models: dict[str, Path], tokenizer: Path, cfg: ExportConfig, encoding: dict,
                 validation: list[Record]) -> dict[str, np.ndarray]:
    """{tag: [N, 1 + C] runtime scores} for each model file, via a staging bundle per tag."""
    out = {}
    for tag, path in models.items():
        bundle = stage_bundle(Path(work_dir) / f"bundle-{tag}", path, tokenizer, cfg, encoding)
        out[tag] = score_bundle(bundle, validation)
    return out


def tune_threshold(validation: list[Record], scores: np.ndarray, cfg: ExportConfig,
                   echo: Callable[[str], None] = print) -> tuple[float, str]:
    """The documented threshold rule (tinyguard.measure.thresholds.choose_threshold) on the shipped model's scores."""
    y = np.array([r.label == "unsafe" for r in validation])
    hn = np.array([r.hard_negative for r in validation])
    threshold, rule = choose_threshold(y, scores[:, 0], hn, cfg.hard_negative_fpr_max)
    echo(f"threshold {threshold:.4f} ({rule})")
    return threshold, rule


def finish_bundle(out_dir: Path, work_dir: Path, cfg: ExportConfig, *, encoding: dict, model_path: Path,
                  tokenizer: Path, validation: list[Record], scores: np.ndarray, threshold: float, rule: str,
                  parity: dict[str, Any], training: dict[str, Any], data: dict[str, Any], reproduce: str,
                  extra_files: dict[str, Path] | None = None,
                  extra_manifest: dict[str, Any] | None = None,
                  conformance_seeds: Path = conformance.SEEDS_FILE, conformance_plain: int = conformance.PLAIN,
                  echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Metrics, manifest, model card, golden vectors, and the atomic bundle write. Returns the metrics.

    Every exported bundle carries its own golden vectors (``conformance.jsonl.gz``, pinned in the
    manifest like every file, so a signature made afterwards covers them): a port of the runtime
    (``js/``) must pass them. They are computed by the runtime on the finished bundle (staged in
    ``work_dir`` first), since the verdicts depend on its manifest's thresholds and defenses."""
    metrics = validation_metrics(validation, scores, threshold, cfg.category_threshold)
    metrics["parity"] = dict(parity)
    manifest = base_manifest(cfg, encoding, model_path.name, threshold, threshold_rule=rule, metrics=metrics,
                             training=training, data=data, reproduce=reproduce, **dict(extra_manifest or {}))
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    card = work_dir / "MODEL_CARD.md"
    card.write_text(render_model_card(manifest, reproduce=reproduce), encoding="utf-8")
    files = {model_path.name: model_path, "tokenizer.json": tokenizer, "MODEL_CARD.md": card} | dict(extra_files or {})
    staged = write_bundle(work_dir / "bundle-final", files, manifest)
    vectors = work_dir / conformance.FILE_NAME
    n, size = conformance.export(Guard.load(staged, threads=1, allow_unsigned=True), vectors, seeds=conformance_seeds,
                                 plain=conformance_plain)
    echo(f"golden vectors: {n} cases, {size:,} bytes ({conformance.FILE_NAME}, pinned in the manifest)")
    write_bundle(out_dir, files | {conformance.FILE_NAME: vectors}, manifest)
    atomic_write_text(work_dir / "metrics.json", json.dumps(metrics, indent=2))
    return metrics


def export_bundle(model: Any, encoder: Any, tokenizer: Path, records: list[Record], out_dir: Path,
                  work_dir: Path, cfg: ExportConfig, *, training: dict[str, Any], data: dict[str, Any],
                  reproduce: str, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Export, gate, tune, measure and write the final (teacher) bundle to ``out_dir``.

    ``model`` is the trained torch model (one ``logits`` output), ``encoder`` its
    :class:`~tinyguard.text.encoding.TextEncoder` and ``tokenizer`` the tokenizer.json to ship; the
    caller loads them (train/teacher.py), so this layer never imports the training side."""
    encoding = encoder.config.to_dict()
    fp32, int8 = export_onnx_pair(model, work_dir, optimize=cfg.optimize_graph, echo=echo)
    validation = [r for r in records if r.split == "validation"]
    staged = score_staged(work_dir, {"fp32": fp32, "int8": int8}, tokenizer, cfg, encoding, validation)
    threshold, rule = tune_threshold(validation, staged["int8"], cfg, echo)
    parity = parity_gate("fp32-int8", staged["fp32"][:, 0], staged["int8"][:, 0], threshold,
                         min_agreement=cfg.parity_min_agreement, max_score_diff=cfg.parity_max_score_diff,
                         max_mean_diff=cfg.parity_max_mean_diff,
                         echo=echo)
    return finish_bundle(out_dir, work_dir, cfg, encoding=encoding, model_path=int8, tokenizer=tokenizer,
                         validation=validation, scores=staged["int8"], threshold=threshold, rule=rule,
                         parity={"fp32-int8": parity.to_dict()}, training=training, data=data,
                         reproduce=reproduce, echo=echo)
