"""Teacher → student knowledge distillation.

Data: the teacher's own training selection (train split, capped per source and label; hard
labels known) plus up to ``unlabelled_max`` further benign train records, which teach only
through the teacher's scores. Every text is encoded exactly as the runtime encodes it
(first window, :class:`tinyguard.text.encoding.TextEncoder`).

Loss per example, with T the temperature and σ the sigmoid::

    kd   = T² · [ BCE(s₀/T, σ(t₀/T)) + λ_cat · mean_c BCE(s_c/T, σ(t_c/T)) ]
    hard = BCE(s₀, y₀; pos_weight) + λ_cat · masked BCE(s_c, y_c)       (labelled rows only)
    loss = α · kd + (1 − α) · hard          α = kd_weight, weights ×hard_negative_weight
         + β · MSE(pooled_s, pooled_t) / var_t   with β = hidden_weight > 0 (hidden-state matching)
         + γ · KL(A_t ‖ A_s)                     with γ = attention_weight > 0 (attention matching)

A_t, A_s: the last layer's self-attention distributions of teacher and student, per head and
query token (MiniLM's deep self-attention distillation). The teacher runs beside the student,
reading the student's tokens mapped back to its own vocabulary, so both maps have one shape.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from tinyguard.records import Record
from tinyguard.scoring.ortenv import import_onnxruntime
from tinyguard.text.encoding import TextEncoder
from ..train.config import TeacherConfig
from ..train.loop import train_steps
from ..train.register_swap import casual_rewrite, formal_rewrite
from ..train.teacher import Encoded, LengthGroupedBatches, encode_records, guard_loss, select_training
from .config import TrainConfig


@dataclass
class DistillData:
    records: list[Record]
    labelled: np.ndarray  # [N] bool: hard labels used


def select_data(records: list[Record], cfg: TrainConfig) -> DistillData:
    """Labelled teacher-style selection + unlabelled benign train records (seeded)."""
    labelled = select_training(records, TeacherConfig(
        max_per_source=cfg.max_per_source, seed=cfg.seed, source_temperature=cfg.source_temperature,
        examples_per_epoch=cfg.examples_per_epoch, max_repeat=cfg.max_repeat))
    chosen = {id(r) for r in labelled}
    rng = random.Random(cfg.seed + 1)
    extra = [r for r in records if r.split == "train" and id(r) not in chosen
             and (cfg.unlabelled_any_label or r.label == "safe")]
    rng.shuffle(extra)
    extra = extra[: cfg.unlabelled_max]
    restyled = restyled_transfer(records, cfg.restyled_max, cfg.seed) if cfg.restyled_max else []
    unlabelled = extra + restyled
    return DistillData(labelled + unlabelled, np.array([True] * len(labelled) + [False] * len(unlabelled)))


def restyled_transfer(records: list[Record], limit: int, seed: int) -> list[Record]:
    """Up to ``limit`` train prompts restated in the other register by the training restyler
    (formal -> casual and casual -> formal, train/register_swap.py), taught by the teacher's scores
    alone. Why: the student loses most where the phrasing changes (its style gap is ~0.06 above the
    teacher's); these are the texts on which the teacher can show it how little phrasing should move
    a score. Each keeps its seed's label and source (suffixed ``/restyled-transfer``); texts already
    in the records are skipped."""
    pool = [r for r in records if r.split == "train" and r.role == "prompt" and not r.context]
    random.Random(seed + 2).shuffle(pool)
    seen = {r.text for r in records}
    out: list[Record] = []
    for r in pool:
        if len(out) >= limit:
            break
        for rewrite in (casual_rewrite, formal_rewrite):
            rw = rewrite(r.text, seed + 1)  # another seed than augment's: other templates for the same seeds
            if rw is not None and rw.text not in seen:
                seen.add(rw.text)
                out.append(replace(r, text=rw.text, source=f"{r.source}/restyled-transfer", hard_negative=False))
    return out[:limit]


def _batches(lengths: list[int], batch_size: int):
    order = np.argsort(lengths, kind="stable")
    for s in range(0, len(order), batch_size):
        yield order[s: s + batch_size]


def _pad(rows: list[list[int]], types: list[list[int]], idx, pad_id: int):
    width = max(len(rows[i]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)  # [B, T]
    att = torch.zeros((len(idx), width), dtype=torch.long)
    tt = torch.zeros((len(idx), width), dtype=torch.long)
    for j, i in enumerate(idx):
        n = len(rows[i])
        ids[j, :n] = torch.tensor(rows[i])
        att[j, :n] = 1
        tt[j, :n] = torch.tensor(types[i])
    return ids, att, tt


@torch.inference_mode()
def predict_logits(model: nn.Module, data: Encoded, pad_id: int, batch_size: int = 64) -> np.ndarray:
    """[N, 16] logits of ``model`` on encoded first windows (length-sorted batches)."""
    model = model.eval()
    out = np.zeros((len(data.input_ids), data.y.shape[1]), np.float32)
    for idx in _batches([len(x) for x in data.input_ids], batch_size):
        out[idx] = model(*_pad(data.input_ids, data.token_type_ids, idx, pad_id)).float().numpy()
    return out


@torch.inference_mode()
def predict_logits_pooled(model: nn.Module, data: Encoded, pad_id: int,
                          batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """[N, 16] logits and [N, H] pooled vectors of a :class:`GuardModel` (one pass; for hidden-state matching)."""
    model = model.eval()
    hidden = model.head.in_features
    logits = np.zeros((len(data.input_ids), data.y.shape[1]), np.float32)
    pooled = np.zeros((len(data.input_ids), hidden), np.float32)
    for idx in _batches([len(x) for x in data.input_ids], batch_size):
        p = model.pool(*_pad(data.input_ids, data.token_type_ids, idx, pad_id))  # [b, H]
        pooled[idx] = p.float().numpy()
        logits[idx] = model.head(p).float().numpy()
    return logits, pooled


def predict_logits_onnx(model_path, data: Encoded, pad_id: int, threads: int = 2, batch_size: int = 64) -> np.ndarray:
    """Like :func:`predict_logits`, through onnxruntime (the teacher's fp32 ONNX is ~2x faster than torch)."""
    ort = import_onnxruntime()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    out = np.zeros((len(data.input_ids), data.y.shape[1]), np.float32)
    for idx in _batches([len(x) for x in data.input_ids], batch_size):
        ids, att, tt = (t.numpy() for t in _pad(data.input_ids, data.token_type_ids, idx, pad_id))
        feed = {k: v for k, v in (("input_ids", ids), ("attention_mask", att), ("token_type_ids", tt)) if k in names}
        out[idx] = session.run(["logits"], feed)[0]
    return out


def distill_loss(s: torch.Tensor, t: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor,
                 labelled: torch.Tensor, cfg: TrainConfig, pos_weight: float) -> torch.Tensor:
    """The loss in the module docstring. s, t, y, mask: [B, 16]; weight, labelled: [B]."""
    bce = nn.functional.binary_cross_entropy_with_logits
    temp = cfg.temperature
    soft = torch.sigmoid(t / temp)  # [B, 16]
    kd_all = bce(s / temp, soft, reduction="none") * temp * temp  # [B, 16]
    kd = kd_all[:, 0] + cfg.category_weight * kd_all[:, 1:].mean(1)  # [B]
    kd = (kd * weight).sum() / weight.sum()
    if cfg.kd_weight >= 1.0 or not bool(labelled.any()):
        return kd
    lab = labelled
    hard = guard_loss(s[lab], y[lab], mask[lab], weight[lab], pos_weight, cfg.category_weight)
    return cfg.kd_weight * kd + (1.0 - cfg.kd_weight) * hard


def hidden_loss(ps: torch.Tensor, pt: torch.Tensor, weight: torch.Tensor, scale: float) -> torch.Tensor:
    """Weighted mean over the batch of MSE(student pooled, teacher pooled) / ``scale`` (the teacher's
    mean per-dimension variance, so the term is ~1 for a student that knows nothing). ps, pt: [B, H]."""
    per = ((ps - pt) ** 2).mean(1) / scale  # [B]
    return (per * weight).sum() / weight.sum()


def attention_loss(a_s: torch.Tensor, a_t: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted mean over the batch of KL(teacher ‖ student) between attention distributions,
    averaged over heads and real query tokens. a_s, a_t: [B, heads, T, T] (rows sum to 1 over
    keys); mask: [B, T] 1 for real tokens; weight: [B]."""
    eps = 1e-8
    kl = (a_t * (torch.log(a_t + eps) - torch.log(a_s + eps))).sum(-1).mean(1)  # [B, T]
    m = mask.to(kl.dtype)
    per = (kl * m).sum(1) / m.sum(1).clamp(min=1.0)  # [B]
    return (per * weight).sum() / weight.sum()


def pool_and_attention(model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                       token_type_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A :class:`GuardModel`'s pooled vector [B, H] and its last layer's attention [B, heads, T, T]
    (one pass; transformers computes the maps in eager attention when asked for them)."""
    out = model.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                        output_attentions=True)
    m = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)  # [B, T, 1]
    pooled = (out.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1.0)
    return pooled, out.attentions[-1]


def train_student(model: nn.Module, data: Encoded, teacher_logits: np.ndarray, labelled: np.ndarray,
                  cfg: TrainConfig, pad_id: int, *, progress: bool = True,
                  teacher_pooled: np.ndarray | None = None, teacher: nn.Module | None = None,
                  teacher_ids: np.ndarray | None = None) -> dict:
    """Fit ``model`` to the teacher's logits (and hard labels where ``labelled``); in place. With
    ``cfg.hidden_weight`` its pooled vectors also match ``teacher_pooled`` [N, H]; with
    ``cfg.attention_weight`` its last attention maps match ``teacher``'s, which reads the student's
    token ids through ``teacher_ids`` (the teacher's id of each student id: the pruned vocabulary's keep)."""
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    n = len(data.input_ids)
    if teacher_logits.shape != (n, data.y.shape[1]) or labelled.shape != (n,):
        raise ValueError("teacher logits / labelled mask do not match the encoded data")
    lab_y = data.y[labelled, 0]
    n_pos = float(lab_y.sum())
    pos_weight = (lab_y.size - n_pos) / max(n_pos, 1.0)
    t_all = torch.from_numpy(teacher_logits.astype(np.float32))
    y_all, m_all = torch.from_numpy(data.y), torch.from_numpy(data.mask)
    w_all = torch.from_numpy(data.weight)  # hard negatives weigh more (set by encode)
    l_all = torch.from_numpy(labelled)
    match = cfg.hidden_weight > 0
    if match and (teacher_pooled is None or teacher_pooled.shape[0] != n):
        raise ValueError("hidden_weight > 0 needs the teacher's pooled vectors for every text")
    h_all = torch.from_numpy(teacher_pooled.astype(np.float32)) if match else None
    h_scale = float(teacher_pooled.var(0).mean()) if match else 1.0
    attend = cfg.attention_weight > 0
    if attend and (teacher is None or teacher_ids is None):
        raise ValueError("attention_weight > 0 needs the teacher model and the student-to-teacher id map")
    if attend:
        teacher = teacher.eval()
        id_map = torch.from_numpy(np.asarray(teacher_ids, dtype=np.int64))
        for module in model.modules():  # the maps come back after attention dropout, which zeroes whole keys
            if type(module).__name__.endswith("SelfAttention"):
                module.dropout.p = 0.0

    batches = LengthGroupedBatches([len(x) for x in data.input_ids], cfg.batch_size, cfg.seed)
    steps = math.ceil(len(batches) * cfg.epochs)
    if cfg.max_steps:
        steps = min(steps, cfg.max_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(steps * cfg.warmup_fraction), steps)

    def loss_of(idx: np.ndarray) -> torch.Tensor:
        it = torch.tensor(idx)
        batch = _pad(data.input_ids, data.token_type_ids, idx, pad_id)
        if not (match or attend):
            s = model(*batch)  # [B, 16]
            return distill_loss(s, t_all[it], y_all[it], m_all[it], w_all[it], l_all[it], cfg, pos_weight)
        if attend:
            ps, a_s = pool_and_attention(model, *batch)  # [B, H], [B, heads, T, T]
            with torch.no_grad():
                _, a_t = pool_and_attention(teacher, id_map[batch[0]], batch[1], batch[2])
        else:
            ps = model.pool(*batch)  # [B, H]
        s = model.head(model.dropout(ps))  # [B, 16]
        loss = distill_loss(s, t_all[it], y_all[it], m_all[it], w_all[it], l_all[it], cfg, pos_weight)
        if match:
            loss = loss + cfg.hidden_weight * hidden_loss(ps, h_all[it], w_all[it], h_scale)
        if attend:
            loss = loss + cfg.attention_weight * attention_loss(a_s, a_t, batch[1], w_all[it])
        return loss

    losses = train_steps(model, batches, loss_of, opt, sched, steps, desc="student", progress=progress)
    step = len(losses)
    model.eval()
    return {"steps": step, "pos_weight": round(pos_weight, 4), "hidden_scale": round(h_scale, 6) if match else None,
            "first_loss": round(float(np.mean(losses[:20])), 5) if losses else None,
            "final_loss": round(float(np.mean(losses[-50:])), 5) if losses else None}


def agreement(student_logits: np.ndarray, teacher_logits: np.ndarray) -> dict:
    """How closely the student follows the teacher on the same texts (at score 0.5)."""
    ps = 1 / (1 + np.exp(-student_logits[:, 0].astype(np.float64)))
    pt = 1 / (1 + np.exp(-teacher_logits[:, 0].astype(np.float64)))
    return {"label_agreement@0.5": round(float(((ps >= 0.5) == (pt >= 0.5)).mean()), 5),
            "mean_abs_score_diff": round(float(np.abs(ps - pt).mean()), 5)}


def encode(records: list[Record], encoder: TextEncoder, hard_negative_weight: float) -> Encoded:
    """Encode records as the teacher trainer does (first window, targets, masks, weights)."""
    return encode_records(records, encoder, hard_negative_weight)


def counts(data: DistillData) -> dict:
    lab = Counter(r.label for r, is_l in zip(data.records, data.labelled) if is_l)
    return {"labelled": int(data.labelled.sum()), "labelled_unsafe": lab["unsafe"],
            "unlabelled": int((~data.labelled).sum())}
