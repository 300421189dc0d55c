"""The distill stages of a run folder (``guard-cli distill``): the run's teacher → one student → its bundle.

Reads ``RUN/teacher`` and ``RUN/data/records.jsonl`` (written by ``guard-cli pipeline``) and
writes, per student NAME::

    RUN/students/.teacher-scores/   the teacher's logits on the distillation texts (cached .npy)
    RUN/students/NAME/student/      model.safetensors, student.json, pruned tokenizer.json, manifest.json
    RUN/students/NAME/export/       fp32 / int8 ONNX, .ort, GGUF, staging bundles, metrics.json
    RUN/students/NAME/bundle/       the bundle (runtime Guard loads it like the teacher's)

Each stage is a :class:`~tinyguard.train.stage.Stage`: skipped when its inputs' hashes and
config are unchanged, like the pipeline's. torch is imported at the top: the commands import
this module only after checking the training extra (``require_train_extra``).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from tinyguard.atomic import atomic_open
from tinyguard.bundle.folder import read_bundle
from tinyguard.bundle.manifest import BundleError
from tinyguard.records import read_jsonl
from tinyguard.text.emoji import name_emoji
from tinyguard.text.encoding import EncodingConfig, TextEncoder
from tinyguard.text.normalize import normalize
from ..export.config import ExportConfig
from ..export.student import export_student
from ..train import require_train_extra
from ..train.registry import data_summary
from ..train.stage import Stage, hash_files, recorded, write_json_atomic
from ..train.teacher import load_teacher
from .config import DistillConfig, StudentConfig
from .students import build_micro, build_nano, count_params, load_student, save_student
from .train import (agreement, counts, encode, predict_logits, predict_logits_onnx, predict_logits_pooled,
                    select_data, train_student)
from .vocab import prune_vocab


def _cached(run_dir: Path, key: dict, suffix: str, n: int, compute: Callable[[], np.ndarray],
            echo: Callable[[str], None], what: str) -> np.ndarray:
    """An array of ``n`` rows from RUN/students/.teacher-scores/<digest of key><suffix>, else ``compute()``d and saved."""
    path = run_dir / "students" / ".teacher-scores" / \
        f"{hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]}{suffix}"
    if path.is_file():
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == n:
            echo(f"      {what}: cached {path}")
            return cached
    start = time.perf_counter()
    out = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, binary=True) as f:
        np.save(f, out, allow_pickle=False)
    echo(f"      {what}: {len(out)} texts in {time.perf_counter() - start:.0f}s → {path}")
    return out


def _teacher_scores(run_dir: Path, teacher, t_encoder, records: list, key: dict, threads: int,
                    echo: Callable[[str], None], what: str = "teacher scores") -> np.ndarray:
    """Teacher logits [N, 16] on ``records``, cached in RUN/students/.teacher-scores by ``key``."""
    return _cached(run_dir, dict(key, encoding=t_encoder.config.to_dict()), ".npy", len(records),
                   lambda: _predict_teacher(run_dir, teacher, encode(records, t_encoder, 1.0), t_encoder.pad_id,
                                            threads), echo, what)


def _teacher_pooled(run_dir: Path, teacher, t_encoder, records: list, key: dict,
                    echo: Callable[[str], None]) -> np.ndarray:
    """The teacher's pooled vectors [N, H] on ``records`` (torch: the ONNX export has only logits),
    cached beside the scores by ``key``."""
    return _cached(run_dir, dict(key, encoding=t_encoder.config.to_dict(), what="pooled"), ".pooled.npy",
                   len(records), lambda: predict_logits_pooled(teacher, encode(records, t_encoder, 1.0),
                                                               t_encoder.pad_id)[1],
                   echo, "teacher pooled vectors")


def _soft_labels(run_dir: Path, teacher, t_encoder, records: list, key: dict, cfg, echo: Callable[[str], None],
                 what: str = "teacher scores") -> np.ndarray:
    """The soft labels [N, 16]: the run's teacher's logits, averaged with each ``cfg.ensemble`` member's
    (every member's scores cached in this run's RUN/students/.teacher-scores, keyed by its weights)."""
    logits = _teacher_scores(run_dir, teacher, t_encoder, records, key, cfg.threads, echo, what)
    if not cfg.ensemble:
        return logits
    total = logits.astype(np.float64)
    for member in map(Path, cfg.ensemble):
        weights, m_encoding, predict = _member(member, cfg.threads)
        m_encoder = TextEncoder.from_file(str(m_encoding[1]), replace(
            EncodingConfig.from_dict(m_encoding[0]), max_length=t_encoder.config.max_length))
        if m_encoder.config != t_encoder.config:
            raise ValueError(f"ensemble member {member} reads texts differently from {run_dir}'s teacher "
                             f"({m_encoder.config.to_dict()} vs {t_encoder.config.to_dict()})")
        m_key = dict(key, inputs=dict(key["inputs"], teacher=hash_files([weights])), encoding=t_encoder.config.to_dict())
        total += _cached(run_dir, m_key, ".npy", len(records),
                         lambda: predict(encode(records, m_encoder, 1.0), m_encoder.pad_id),  # only when not cached
                         echo, f"{what} of ensemble member {member}")
    return (total / (1 + len(cfg.ensemble))).astype(np.float32)


def member_weights(member: Path) -> Path:
    """The file an ensemble member's logits come from: a pipeline run folder's torch teacher, or a
    bundle folder's ONNX model (e.g. a shipped tier, whose torch weights this machine may not have)."""
    if (member / "teacher" / "model.safetensors").is_file():
        return member / "teacher" / "model.safetensors"
    if (member / "manifest.json").is_file():
        try:
            return member / read_bundle(member).model_file
        except (BundleError, OSError, ValueError) as e:
            raise FileNotFoundError(f"ensemble member {member} is not a readable bundle: {e}") from e
    raise FileNotFoundError(f"ensemble member {member} is neither a pipeline run folder with teacher/model.safetensors "
                            f"(run `guard-cli pipeline --run-dir {member}`) nor a bundle folder with manifest.json")


def _member(member: Path, threads: int):
    """(weights file, (encoding dict, tokenizer path), predict(encoded, pad_id) -> logits) of one member."""
    weights = member_weights(member)
    if weights.suffix == ".safetensors":
        meta = json.loads((member / "teacher" / "teacher.json").read_text(encoding="utf-8"))
        return weights, (meta["encoding"], member / "teacher" / "tokenizer.json"), \
            lambda enc, pad_id: _predict_teacher(member, load_teacher(member / "teacher")[0], enc, pad_id, threads)
    # its model's raw logits, no runtime defenses: the view a teacher gives. File hashes are checked, the
    # signature is not: a soft-label source is a training input, often a run's own unsigned bundle
    bundle = read_bundle(member)
    return weights, (bundle.encoding, member / bundle.tokenizer_file), \
        lambda enc, pad_id: predict_logits_onnx(weights, enc, pad_id, threads or 2)


def _predict_teacher(run_dir: Path, teacher, enc, pad_id: int, threads: int) -> np.ndarray:
    """Teacher logits: the run's fp32 ONNX export when present (faster), else torch."""
    for name in ("model.opt.onnx", "model.fp32.onnx"):
        path = run_dir / "export" / name
        if path.is_file() and path.stat().st_mtime >= (run_dir / "teacher" / "model.safetensors").stat().st_mtime:
            return predict_logits_onnx(path, enc, pad_id, threads or 2)
    return predict_logits(teacher, enc, pad_id)


def train_one(run_dir: Path, student: StudentConfig, *, progress: bool, echo: Callable[[str], None]) -> dict:
    """Build and distill one student into ``RUN/students/NAME/student``; returns its counts."""


    cfg = student.train
    teacher_dir = run_dir / "teacher"
    records_path = run_dir / "data" / "records.jsonl"
    out = run_dir / "students" / student.name / "student"
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)

    teacher, t_encoder = load_teacher(teacher_dir)
    if cfg.max_length:
        t_encoder = TextEncoder.from_file(str(teacher_dir / "tokenizer.json"),
                                          replace(t_encoder.config, max_length=cfg.max_length))
    encoding: EncodingConfig = t_encoder.config
    records = list(read_jsonl(records_path))
    data = select_data(records, cfg)
    inputs = {"teacher": hash_files([teacher_dir / "model.safetensors"]), "records": hash_files([records_path])}
    key = {"inputs": inputs, "max_per_source": cfg.max_per_source, "unlabelled_max": cfg.unlabelled_max,
           "seed": cfg.seed}
    if cfg.source_temperature or cfg.unlabelled_any_label:  # older caches keep their keys
        key |= {"source_temperature": cfg.source_temperature, "examples_per_epoch": cfg.examples_per_epoch,
                "max_repeat": cfg.max_repeat, "unlabelled_any_label": cfg.unlabelled_any_label}
    if cfg.restyled_max:
        key |= {"restyled_max": cfg.restyled_max}
    t_logits = _soft_labels(run_dir, teacher, t_encoder, data.records, key, cfg, echo)
    t_pooled = _teacher_pooled(run_dir, teacher, t_encoder, data.records, key, echo) if cfg.hidden_weight else None

    texts = [normalize(r.text) for r in data.records] + [normalize(r.context) for r in data.records if r.context]
    if encoding.emoji_names:  # the student must keep the pieces of the names the encoder writes
        texts = [name_emoji(t)[0] for t in texts]
    out.mkdir(parents=True, exist_ok=True)
    vocab = prune_vocab(teacher_dir / "tokenizer.json", texts, out / "tokenizer.json",
                        min_count=cfg.vocab_min_count, keep_single_chars=cfg.keep_single_chars,
                        max_size=cfg.vocab_max_size)
    echo(f"      vocabulary: {vocab.size} of {vocab.old_to_new.size} tokens kept")
    s_encoder = TextEncoder.from_file(str(out / "tokenizer.json"), encoding)

    if student.kind == "micro":
        model = build_micro(teacher, vocab.keep, tuple(cfg.layers), encoding.max_length, cfg.type_agnostic)
        extra = {"layers": list(cfg.layers), "type_agnostic": cfg.type_agnostic}
    else:
        model, extra = build_nano(teacher, vocab.keep, t_encoder.cls_id, t_encoder.sep_id, cfg.dim, cfg.embed_batch)
        extra |= {"dim": cfg.dim}
    s_data = encode(data.records, s_encoder, cfg.hard_negative_weight)

    validation = [r for r in records if r.split == "validation"]
    v_teacher = _soft_labels(run_dir, teacher, t_encoder, validation, {"inputs": inputs, "split": "validation"},
                             cfg, echo, "teacher scores on validation")  # agreement: with what it was taught
    v_enc = encode(validation, s_encoder, 1.0)
    at_init = agreement(predict_logits(model, v_enc, s_encoder.pad_id), v_teacher)
    echo(f"      {student.kind} at init vs teacher on validation: {at_init}")
    if not cfg.attention_weight:
        del teacher  # attention matching runs it beside the student
    start = time.perf_counter()
    fit = train_student(model, s_data, t_logits, data.labelled, cfg, s_encoder.pad_id, progress=progress,
                        teacher_pooled=t_pooled, teacher=teacher if cfg.attention_weight else None,
                        teacher_ids=vocab.keep if cfg.attention_weight else None)
    seconds = round(time.perf_counter() - start, 1)
    trained = agreement(predict_logits(model, v_enc, s_encoder.pad_id), v_teacher)
    echo(f"      trained {fit['steps']} steps in {seconds}s; vs teacher on validation: {trained}")
    result = counts(data) | fit | {
        "train_seconds": seconds, "params": count_params(model), "vocab_size": vocab.size,
        "teacher_agreement_at_init": at_init, "teacher_agreement": trained,
        "sources": dict(Counter(r.source.split("/")[0] for r in data.records)),
    }
    save_student(model, student.kind, out, {"name": student.name, "encoding": encoding.to_dict(), **extra})
    return result


def distill_student(run_dir: Path, cfg: DistillConfig, name: str, *, config_ref: str, force: bool = False,
                    progress: bool = True, echo: Callable[[str], None] = print) -> dict:
    """Train (or reuse) student ``name`` and export its bundle; returns the bundle metrics."""
    require_train_extra("torch", "transformers", "safetensors", "onnx")
    run_dir = Path(run_dir)
    student = cfg.student(name)
    teacher_dir = run_dir / "teacher"
    records_path = run_dir / "data" / "records.jsonl"
    for need in (teacher_dir / "model.safetensors", teacher_dir / "manifest.json", records_path):
        if not need.is_file():
            raise FileNotFoundError(f"{need} is missing: run `guard-cli pipeline --run-dir {run_dir}` first")
    base = run_dir / "students" / name
    export_cfg = _export_config(run_dir, cfg, student)  # the run's stages are read before minutes of training
    licence_classes = _licence_classes(run_dir)

    echo(f"[1/2] student {name} ({student.kind}) → {base / 'student'}")
    s_inputs = {"teacher": hash_files([teacher_dir / "model.safetensors"]), "records": hash_files([records_path])}
    for member in map(Path, student.train.ensemble):  # a retrained member retrains the student
        s_inputs[f"ensemble:{member}"] = hash_files([member_weights(member)])
    s_stage = Stage("student", base / "student", s_inputs, {"kind": student.kind, "train": student.train.stage_key()},
                    outputs=("model.safetensors", "tokenizer.json"))
    s_stage.run(lambda: train_one(run_dir, student, progress=progress, echo=echo), force=force, echo=echo)
    s_counts = s_stage.counts()

    echo(f"[2/2] export → {base / 'bundle'}")
    e_inputs = {"student": hash_files([base / "student" / "model.safetensors", base / "student" / "tokenizer.json"]),
                "records": s_inputs["records"]}
    e_stage = Stage("export", base / "export", e_inputs, {"export": asdict(export_cfg), "gates": asdict(cfg.gates)},
                    outputs=("metrics.json", "../bundle/manifest.json"))

    def export() -> dict:
        records = list(read_jsonl(records_path))
        training = {k: v for k, v in s_counts.items() if k != "sources"} | {
            "student": student.kind, "config": cfg.name, "seed": student.train.seed,
            "base_model": f"distilled from {_teacher_id(run_dir)} ({_describe(student)})",
            "distillation": {"temperature": student.train.temperature, "kd_weight": student.train.kd_weight,
                             "category_weight": student.train.category_weight},
        }
        reproduce = f"guard-cli distill --run-dir {run_dir} --student {name} --config {config_ref}"
        data = data_summary(records, Counter(s_counts["sources"]), licence_classes)
        metrics = export_trained_student(base / "student", records, base / "bundle", base / "export", export_cfg,
                                         cfg.gates, training=training, data=data, reproduce=reproduce, echo=echo)
        return {"validation": metrics["validation"]["n"]}

    e_stage.run(export, force=force, echo=echo)
    metrics = json.loads((base / "export" / "metrics.json").read_text(encoding="utf-8"))
    v = metrics["validation"]
    echo(f"      {name}: validation F1 {v['f1']:.4f}  AUPRC {v['auprc']:.4f}  FPR {v['fpr']:.4f}  "
         f"hard-negative FPR {metrics['hard_negatives']['fpr']:.4f}")
    write_json_atomic(base / "summary.json", {"student": name, "kind": student.kind, "metrics": metrics})
    return metrics


def _describe(s: StudentConfig) -> str:
    t = s.train
    if s.kind == "micro":
        return f"micro: BERT layers {list(t.layers)} of the teacher, hidden 384, pruned vocabulary"
    return f"nano: static token embeddings, PCA {t.dim} dims, masked mean + linear head, pruned vocabulary"


def _teacher_id(run_dir: Path) -> str:
    try:
        return read_bundle(run_dir / "bundle", verify=False).model_id
    except BundleError:
        return "the run's teacher"


def _licence_classes(run_dir: Path) -> list[str]:
    """The licence classes the run's data stage was built with (the card states them)."""
    return list(recorded(run_dir / "data", "config", "data", "licence_classes"))


def _export_config(run_dir: Path, cfg: DistillConfig, student: StudentConfig):
    """The teacher's export settings (threshold rule, category threshold) with the student's name and gates."""
    raw = recorded(run_dir / "export", "config", "export")
    try:
        base = ExportConfig(**raw)
    except TypeError as e:  # a run exported by another version of tinyguard
        raise ValueError(f"{run_dir / 'export'}: its export config does not fit this tinyguard: {e}") from None
    return replace(base, name=f"tinyguard-{student.name}", version=cfg.version,
                   parity_min_agreement=cfg.gates.fp32_int8_min_agreement,
                   parity_max_score_diff=cfg.gates.fp32_int8_max_score_diff,
                   parity_max_mean_diff=cfg.gates.fp32_int8_max_mean_diff)


def export_trained_student(student_dir: Path, records: list, out_dir: Path, work_dir: Path, export_cfg, gates,
                           **kwargs) -> dict:
    """Load a trained student from its folder and hand it to the export layer (which never
    imports distill); keyword arguments go to :func:`tinyguard.export.student.export_student`."""
    model, info = load_student(student_dir)
    return export_student(model, info, Path(student_dir) / "tokenizer.json", records, out_dir, work_dir,
                          export_cfg, gates, **kwargs)
