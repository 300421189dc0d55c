"""Train a pipeline's teacher stage on an offline GPU machine, then finish the run here.

The teacher stage is the slow one on a laptop (31 min on 2 cores; 61–81 s on one H200). The GPU
box has torch/transformers/accelerate but neither the training data nor the encoder wheel, and a
call carries at most 64 MiB, so this script packs exactly what the stage needs:

    prepare  (here)  the teacher's training selection for each arm, in the exact order
                     ``select_training`` yields, the validation split, the robustness set, and the
                     all-MiniLM-L6-v2 encoder in fp16 (≈45 MB)
    train    (GPU)   ``train_teacher`` on each arm (the real code; its selection step is handed the
                     precomputed list), torch scores of every arm on validation / robustness set,
                     the first arm's weights back as fp16 shards
    finish   (here)  weights back to fp32 ``RUN_DIR/teacher/`` plus the stage manifest the
                     pipeline checks, so ``guard-cli pipeline`` continues with export and eval

Same data, order, config and seed as a CPU run; the arithmetic differs (GPU kernels, fp16
transfer of the weights), so the model is close to, not bit-identical with, a CPU-trained one.

    python scripts/train_teacher_gpu.py prepare --config synthetic --run-dir runs/synthetic \\
        --seed-run-dir runs/default --robustness-set runs/robustness.jsonl --out .gpu
    (device)  python3 scripts/train_teacher_gpu.py train --pack .gpu --out $OUT
    python scripts/train_teacher_gpu.py finish --config synthetic --run-dir runs/synthetic --from DIR
"""
from __future__ import annotations

import argparse
import lzma
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

SHARD_BYTES = 15 * 1024 * 1024
ENCODER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def _write_xz(records, path: Path) -> None:
    with lzma.open(path, "wt", encoding="utf-8", preset=9) as f:
        for r in records:
            f.write(r.to_json() + "\n")


def _read_xz(path: Path):
    from tinyguard.records import Record

    with lzma.open(path, "rt", encoding="utf-8") as f:
        return [Record.from_dict(json.loads(line)) for line in f if line.strip()]


def _arm_records(run_dir: Path) -> list:
    """What the pipeline hands train_teacher: records.jsonl plus the curated synthetic records."""
    from tinyguard.records import read_jsonl

    records = list(read_jsonl(run_dir / "data" / "records.jsonl"))
    curated = run_dir / "curate" / "curated.jsonl"
    return records + (list(read_jsonl(curated)) if curated.is_file() else [])


def prepare(args: argparse.Namespace) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from tinyguard.train.config import load_config
    from tinyguard.train.teacher import encoder_dir, select_training

    cfg = load_config(args.config)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "encoder").mkdir(parents=True)
    arms = {"synthetic": Path(args.run_dir)}
    if args.seed_run_dir:
        arms["seed"] = Path(args.seed_run_dir)
    for name, run_dir in arms.items():
        chosen = select_training(_arm_records(run_dir), cfg.teacher)
        _write_xz(chosen, out / f"{name}.jsonl.xz")
        print(f"{name}: {len(chosen)} training records")
    from tinyguard.records import read_jsonl

    _write_xz(read_jsonl(Path(args.run_dir) / "data" / "validation.jsonl"), out / "validation.jsonl.xz")
    _write_xz(read_jsonl(args.robustness_set), out / "robustness.jsonl.xz")
    src = encoder_dir()
    state = {k: v.to(torch.float16) for k, v in load_file(str(src / "model.safetensors")).items()}
    save_file(state, str(out / "encoder" / "model.fp16.safetensors"))
    for name in ENCODER_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, out / "encoder" / name)
    (out / "teacher_config.json").write_text(json.dumps(asdict(cfg.teacher)), encoding="utf-8")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"packed {out}: {total / 2**20:.1f} MiB")


def _score(model, records, max_length: int):
    """Unsafe probabilities of the first window (training layout), fp32 torch on the GPU."""
    import numpy as np
    import torch

    from tinyguard.text.encoding import EncodingConfig, TextEncoder
    from tinyguard.train.teacher import encode_records

    enc = TextEncoder.from_file(os.environ["TINYGUARD_ENCODER_DIR"] + "/tokenizer.json",
                                EncodingConfig(max_length=max_length))
    data = encode_records(records, enc, 1.0)
    out = np.zeros(len(records), np.float32)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.eval().to(device)
    order = np.argsort([len(x) for x in data.input_ids])
    with torch.inference_mode():
        for s in range(0, len(order), 256):
            idx = order[s:s + 256]
            width = max(len(data.input_ids[i]) for i in idx)
            ids = torch.full((len(idx), width), enc.pad_id, dtype=torch.long)
            tt = torch.zeros_like(ids)
            for j, i in enumerate(idx):
                ids[j, :len(data.input_ids[i])] = torch.tensor(data.input_ids[i])
                tt[j, :len(data.token_type_ids[i])] = torch.tensor(data.token_type_ids[i])
            att = (ids != enc.pad_id).long()
            logits = model(ids.to(device), att.to(device), tt.to(device))
            out[idx] = torch.sigmoid(logits[:, 0].float()).cpu().numpy()
    return out


def _metrics(records, scores, threshold: float = 0.5) -> dict:
    import numpy as np

    from tinyguard.measure.metrics import binary_metrics

    y = np.array([r.label == "unsafe" for r in records])
    m = binary_metrics(y, scores, threshold)
    return {k: m.get(k) for k in ("n", "f1", "auprc", "fpr", "recall", "precision")}


def train(args: argparse.Namespace) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from tinyguard.train import teacher as teacher_mod
    from tinyguard.train.config import TeacherConfig

    pack, out = Path(args.pack), Path(args.out)
    enc_dir = Path("/tmp/tinyguard-encoder")
    shutil.rmtree(enc_dir, ignore_errors=True)
    shutil.copytree(pack / "encoder", enc_dir)
    fp16 = enc_dir / "model.fp16.safetensors"
    save_file({k: v.float() for k, v in load_file(str(fp16)).items()}, str(enc_dir / "model.safetensors"))
    fp16.unlink()
    os.environ["TINYGUARD_ENCODER_DIR"] = str(enc_dir)
    cfg = TeacherConfig(**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in json.loads((pack / "teacher_config.json").read_text()).items()})
    limit = None
    if args.smoke:  # this script end to end on a CPU in a minute: few records, two steps
        cfg, limit = replace(cfg, max_steps=2), 200
    print(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}, "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}", flush=True)
    validation = _read_xz(pack / "validation.jsonl.xz")[:limit]
    hard = [r for r in validation if r.hard_negative and r.label == "safe"]
    robustness = _read_xz(pack / "robustness.jsonl.xz")[:limit]
    report: dict = {"device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                    "torch": torch.__version__, "arms": {}}
    arms = [a for a in ("synthetic", "seed") if (pack / f"{a}.jsonl.xz").is_file()]
    for arm in arms:
        chosen = _read_xz(pack / f"{arm}.jsonl.xz")[:limit]
        teacher_mod.select_training = lambda records, cfg, _c=chosen: list(_c)  # the order prepared here
        arm_dir = Path("/tmp/teacher") / arm
        t0 = time.time()
        counts = teacher_mod.train_teacher(chosen, arm_dir, cfg, progress=False)
        seconds = time.time() - t0
        model, _ = teacher_mod.load_teacher(arm_dir)
        row = {"counts": counts, "train_seconds": round(seconds, 1),
               "validation@0.5": _metrics(validation, _score(model, validation, cfg.max_length)),
               "hard_negatives@0.5": _metrics(hard, _score(model, hard, cfg.max_length)),
               "robustness@0.5": _metrics(robustness, _score(model, robustness, cfg.max_length))}
        report["arms"][arm] = row
        print(arm, json.dumps(row), flush=True)
        if arm == arms[0]:
            state = load_file(str(arm_dir / "model.safetensors"))
            _save_shards({k: v.to(torch.float16) for k, v in state.items()}, out)
            shutil.copy2(arm_dir / "encoder_config.json", out / "encoder_config.json")
            shutil.copy2(arm_dir / "teacher.json", out / "teacher.json")
    (out / "gpu_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


def _save_shards(state: dict, out: Path) -> None:
    """fp16 tensors in files under SHARD_BYTES (the device returns files of at most 16 MiB);
    a tensor larger than that (the word embeddings) is cut into row blocks ``name::k``."""
    from safetensors.torch import save_file

    pieces = []
    for name in sorted(state):
        t = state[name].contiguous()
        row_bytes = max(1, t[0].numel() * t.element_size()) if t.dim() else t.element_size()
        if t.dim() and t.numel() * t.element_size() > SHARD_BYTES:
            rows = max(1, SHARD_BYTES // row_bytes)
            pieces += [(f"{name}::{k}", t[s:s + rows].clone()) for k, s in enumerate(range(0, t.shape[0], rows))]
        else:
            pieces.append((name, t))
    shard, size, k = {}, 0, 0
    for name, t in pieces:
        nbytes = t.numel() * t.element_size()
        if shard and size + nbytes > SHARD_BYTES:
            save_file(shard, str(out / f"weights-{k}.safetensors"))
            shard, size, k = {}, 0, k + 1
        shard[name], size = t, size + nbytes
    save_file(shard, str(out / f"weights-{k}.safetensors"))


def _load_shards(src: Path) -> dict:
    """Inverse of :func:`_save_shards`, as fp32."""
    import torch
    from safetensors.torch import load_file

    flat: dict = {}
    for shard in sorted(src.glob("weights-*.safetensors")):
        flat.update(load_file(str(shard)))
    state, parts = {}, {}
    for name, t in flat.items():
        base, sep, k = name.partition("::")
        if sep:
            parts.setdefault(base, {})[int(k)] = t
        else:
            state[name] = t
    for base, blocks in parts.items():
        state[base] = torch.cat([blocks[k] for k in sorted(blocks)])
    return {k: v.to(torch.float32) for k, v in state.items()}


def finish(args: argparse.Namespace) -> None:
    from safetensors.torch import save_file

    from tinyguard.train.config import load_config
    from tinyguard.pipeline.run import teacher_stage
    from tinyguard.train.teacher import encoder_dir

    cfg = load_config(args.config)
    run_dir, src = Path(args.run_dir), Path(args.source)
    state = _load_shards(src)
    if not state:
        sys.exit(f"no weights-*.safetensors under {src}")
    stage = teacher_stage(cfg, run_dir)  # the stage guard-cli pipeline then finds current
    stage.begin()
    tdir = stage.dir
    save_file(state, str(tdir / "model.safetensors"))
    shutil.copy2(src / "encoder_config.json", tdir / "encoder_config.json")
    shutil.copy2(src / "teacher.json", tdir / "teacher.json")
    shutil.copy2(encoder_dir() / "tokenizer.json", tdir / "tokenizer.json")
    report = json.loads((src / "gpu_report.json").read_text(encoding="utf-8"))
    shutil.copy2(src / "gpu_report.json", tdir / "gpu_report.json")
    stage.finish(dict(report["arms"]["synthetic"]["counts"], trained_on=report["device"]))
    print(f"wrote {tdir} (trained on {report['device']}); continue with guard-cli pipeline --config "
          f"{args.config} --run-dir {run_dir}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--config", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--seed-run-dir", default="")
    p.add_argument("--robustness-set", required=True)
    p.add_argument("--out", required=True)
    t = sub.add_parser("train")
    t.add_argument("--pack", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--smoke", action="store_true", help="Two steps on 200 records per arm (test on a CPU).")
    f = sub.add_parser("finish")
    f.add_argument("--config", required=True)
    f.add_argument("--run-dir", required=True)
    f.add_argument("--from", dest="source", required=True)
    args = ap.parse_args()
    from tinyguard.train.offline import offline_env

    offline_env()  # the hub stays offline, telemetry off (unless already set): see train/offline.py
    {"prepare": prepare, "train": train, "finish": finish}[args.cmd](args)


if __name__ == "__main__":
    main()
