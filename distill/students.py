"""Student architectures, built from the teacher, saved as safetensors + JSON (no pickles).

Both take ``(input_ids, attention_mask, token_type_ids)`` [B, T] and return logits [B, 16]
(column 0 unsafe, then the categories), exactly like the teacher, so export and the runtime
treat them alike.

* **micro**: the teacher's BERT with only some of its layers (``layers``, copied from the
  teacher), the word embedding rows of the pruned vocabulary, position embeddings cut to the
  window length, and the teacher's head. With ``type_agnostic`` both token-type rows are the
  teacher's row 0 and frozen, because llama.cpp's BERT adds row 0 to every token; the GGUF
  then computes the same function as the ONNX.
* **nano**: model2vec-style static embeddings. Each kept token is run through the teacher
  alone (``[CLS] tok [SEP]``), its output vector taken, the table reduced by PCA to ``dim``;
  the head starts as ``W_teacher · Pᵀ`` so the untrained student already approximates the
  teacher's head on mean-pooled vectors. Inference is Gather → masked mean → MatMul.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

from ..train.teacher import GuardModel

STUDENT_JSON = "student.json"


class NanoStudent(nn.Module):
    """Static token vectors → masked mean → Linear(dim, 16)."""

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.type_embed = nn.Embedding(2, dim)  # context segment vs text segment
        nn.init.zeros_(self.type_embed.weight)
        self.head = nn.Linear(dim, N_OUTPUTS)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        h = self.embed(input_ids) + self.type_embed(token_type_ids)  # [B, T, D]
        m = attention_mask.unsqueeze(-1).to(h.dtype)  # [B, T, 1]
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # [B, D]
        return self.head(pooled)  # [B, 16]


def count_params(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))


# ---------------------------------------------------------------- micro

def build_micro(teacher: GuardModel, keep: np.ndarray, layers: tuple[int, ...], max_length: int,
                type_agnostic: bool = True) -> GuardModel:
    """A shallow copy of the teacher: chosen layers, pruned vocab rows, cut positions."""
    tcfg = teacher.encoder.config
    bad = [i for i in layers if not 0 <= i < tcfg.num_hidden_layers]
    if not layers or bad or len(set(layers)) != len(layers):
        raise ValueError(f"layers must be distinct teacher layer indices in 0..{tcfg.num_hidden_layers - 1}, "
                         f"not {list(layers)}")
    from transformers import BertModel

    cfg = copy.deepcopy(tcfg)
    cfg.num_hidden_layers = len(layers)
    cfg.vocab_size = int(keep.size)
    cfg.max_position_embeddings = int(max_length)
    enc = BertModel(cfg, add_pooling_layer=False)
    src = teacher.encoder.state_dict()
    state = {}
    for key, value in src.items():
        if key.startswith("encoder.layer."):
            idx = int(key.split(".")[2])
            if idx not in layers:
                continue
            key = key.replace(f"encoder.layer.{idx}.", f"encoder.layer.{layers.index(idx)}.", 1)
        elif key == "embeddings.word_embeddings.weight":
            value = value[torch.from_numpy(keep)]
        elif key == "embeddings.position_embeddings.weight":
            value = value[:max_length]
        elif key == "embeddings.position_ids":
            value = value[:, :max_length]
        elif key == "embeddings.token_type_embeddings.weight" and type_agnostic:
            value = value[:1].repeat(value.shape[0], 1)
        state[key] = value.clone()
    missing, unexpected = enc.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids") and not k.endswith("token_type_ids")]
    if missing or unexpected:
        raise RuntimeError(f"micro init: missing {missing}, unexpected {unexpected}")
    model = GuardModel(enc, cfg.hidden_size, teacher.dropout.p)
    model.head.load_state_dict(teacher.head.state_dict())
    if type_agnostic:
        enc.embeddings.token_type_embeddings.weight.requires_grad_(False)
    return model


# ---------------------------------------------------------------- nano

@torch.inference_mode()
def token_vectors(teacher: GuardModel, keep: np.ndarray, cls_id: int, sep_id: int, batch: int = 512) -> np.ndarray:
    """[V, H] teacher output vector of each kept token, run alone as ``[CLS] tok [SEP]``."""
    teacher = teacher.eval()
    out = []
    for s in range(0, keep.size, batch):
        ids = torch.from_numpy(keep[s: s + batch]).long()
        x = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], 1)  # [b, 3]
        h = teacher.encoder(input_ids=x, attention_mask=torch.ones_like(x),
                            token_type_ids=torch.zeros_like(x)).last_hidden_state  # [b, 3, H]
        out.append(h[:, 1].float().numpy())
    return np.concatenate(out)


def build_nano(teacher: GuardModel, keep: np.ndarray, cls_id: int, sep_id: int, dim: int,
               batch: int = 512) -> tuple[NanoStudent, dict]:
    """Distill static embeddings: token vectors → PCA(dim) → head folded through the PCA."""
    x = token_vectors(teacher, keep, cls_id, sep_id, batch).astype(np.float64)  # [V, H]
    if not 0 < dim <= min(x.shape):
        raise ValueError(f"nano dim must be in 1..{min(x.shape)}, not {dim}")
    mu = x.mean(0)  # [H]
    _, sing, vt = np.linalg.svd(x - mu, full_matrices=False)
    p = vt[:dim]  # [dim, H] principal directions
    z = (x - mu) @ p.T  # [V, dim]
    explained = float((sing[:dim] ** 2).sum() / (sing ** 2).sum())
    w = teacher.head.weight.detach().double().numpy()  # [16, H]
    b = teacher.head.bias.detach().double().numpy()  # [16]
    model = NanoStudent(int(keep.size), dim)
    with torch.no_grad():
        model.embed.weight.copy_(torch.from_numpy(z))
        model.head.weight.copy_(torch.from_numpy(w @ p.T))  # [16, dim]
        model.head.bias.copy_(torch.from_numpy(b + w @ mu))  # mean vector folded into the bias
    return model, {"pca_explained_variance": round(explained, 4)}


# ---------------------------------------------------------------- save / load

def save_student(model: nn.Module, kind: str, out_dir: Path, meta: dict) -> None:
    """``model.safetensors`` + ``student.json`` (+ the encoder config for micro)."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out_dir / "model.safetensors"))
    info = dict(meta, kind=kind, categories=list(CATEGORIES))
    if kind == "micro":
        info["encoder_config"] = model.encoder.config.to_dict()
        info["dropout"] = model.dropout.p
    else:
        info["vocab_size"], info["dim"] = (int(s) for s in model.embed.weight.shape)
    (out_dir / STUDENT_JSON).write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")


def load_student(student_dir: Path) -> tuple[nn.Module, dict]:
    """Rebuild a saved student (eval mode) and return it with its ``student.json``."""
    from safetensors.torch import load_file

    student_dir = Path(student_dir)
    info = json.loads((student_dir / STUDENT_JSON).read_text(encoding="utf-8"))
    if info["categories"] != list(CATEGORIES):
        raise ValueError(f"{student_dir} was trained with another taxonomy; distill it again")
    if info["kind"] == "micro":
        from transformers import BertConfig, BertModel

        cfg = BertConfig.from_dict(info["encoder_config"])
        model: nn.Module = GuardModel(BertModel(cfg, add_pooling_layer=False), cfg.hidden_size, info["dropout"])
    elif info["kind"] == "nano":
        model = NanoStudent(info["vocab_size"], info["dim"])
    else:
        raise ValueError(f"{student_dir}: unknown student kind {info['kind']!r}")
    missing, unexpected = model.load_state_dict(load_file(str(student_dir / "model.safetensors")), strict=False)
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]  # buffers
    if missing or unexpected:
        raise ValueError(f"{student_dir}: weights do not fit the student (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]})")
    return model.eval(), info
