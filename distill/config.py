"""Distillation configuration: one TOML file per configuration (``distill/configs/NAME.toml``).

    name = "default"
    [train]              # defaults for every student (temperature, loss weights, steps, data)
    [gates]              # parity bounds the export enforces
    [students.micro]     # one table per student: kind = "micro" | "nano", plus overrides of [train]

``default.toml`` distills the real students; ``tiny.toml`` runs the same code in CI in seconds.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tinyguard.configfile import checked_values, read_toml

CONFIG_DIR = Path(__file__).parent / "configs"
KINDS = ("micro", "nano")


@dataclass(frozen=True)
class TrainConfig:
    """How a student learns. Every key may be overridden per student."""

    # data
    max_per_source: int = 2500  # labelled: train split, capped per (source, label) as for the teacher
    unlabelled_max: int = 20000  # extra benign train records, taught by the teacher's scores only
    unlabelled_any_label: bool = False  # True: extra train records of either label (still scores only)
    # up to this many train prompts restated in the other register by the training restyler
    # (train/register_swap.py), taught by the teacher's scores only (distill/train.py restyled_transfer)
    restyled_max: int = 0
    # source balancing of the labelled selection, as in the teacher's config (0 = flat cap)
    source_temperature: float = 0.0
    examples_per_epoch: int = 0
    max_repeat: float = 3.0
    max_length: int = 0  # 0 = the teacher's window length
    # loss: kd_weight * KD(teacher soft scores, temperature) + (1 - kd_weight) * hard-label BCE
    temperature: float = 2.0
    kd_weight: float = 0.8
    category_weight: float = 0.5  # weight of the 15 category columns against the unsafe column
    # hidden-state matching: + hidden_weight * MSE(student pooled vector, teacher pooled vector) / the
    # teacher's mean per-dimension variance; 0 = logits only. A 16-column logit is a thin signal for
    # a one-layer student; the 384-dim vector its head reads carries what the teacher knows.
    hidden_weight: float = 0.0
    # attention matching: + attention_weight * KL(teacher's last-layer attention maps || the student's),
    # per head and real query token (MiniLM's self-attention distillation; the teacher runs beside the
    # student, as the maps are too big to cache); 0 = off. Micro students only (same heads as the teacher).
    attention_weight: float = 0.0
    # A teacher ensemble as the soft-label source: other pipeline run folders (their torch teachers) or
    # bundle folders (their ONNX models, e.g. runtime/models/standard), relative to the working directory,
    # whose logits are averaged with this run's teacher's. They must read texts as this run's teacher
    # does (same encoding). hidden_weight still matches this run's teacher alone.
    ensemble: tuple[str, ...] = ()
    hard_negative_weight: float = 2.0
    # optimisation
    epochs: float = 2.0
    max_steps: int = 0  # 0 = no limit
    batch_size: int = 32
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    seed: int = 13
    threads: int = 2
    # vocabulary pruning (both kinds)
    vocab_min_count: int = 1  # keep tokens used at least this often in the training texts
    keep_single_chars: bool = True
    vocab_max_size: int = 0  # 0 = no cap; else the most frequent tokens up to this many rows
    # micro: a shallow BERT initialised from teacher layers
    layers: tuple[int, ...] = (0, 2, 5)  # teacher layer indices copied, in order
    type_agnostic: bool = True  # tie token-type rows (llama.cpp's BERT ignores token_type_ids)
    # nano: static token embeddings (model2vec-style) + linear head
    dim: int = 256  # PCA dimensions of the distilled token embeddings
    embed_batch: int = 512  # vocab tokens per teacher forward when building the table

    def stage_key(self) -> dict[str, Any]:
        """The fields a student stage is keyed on (``ensemble``, ``attention_weight`` and
        ``restyled_max`` only when set, so students trained before they existed are still reused)."""
        key = asdict(self)
        for late in ("ensemble", "attention_weight", "restyled_max"):
            if not key[late]:
                del key[late]
        return key

@dataclass(frozen=True)
class StudentConfig:
    name: str
    kind: str
    train: TrainConfig


@dataclass(frozen=True)
class GateConfig:
    """Parity bounds (label agreement at the tuned threshold, max |Δ unsafe score|)."""

    # As for the teacher (train/config.py): a few texts on the steep part of the sigmoid move a
    # lot under int8 while the mean barely moves, so agreement and mean bounds are the tight ones.
    fp32_int8_min_agreement: float = 0.99
    fp32_int8_max_score_diff: float = 0.30
    fp32_int8_max_mean_diff: float = 0.02
    ort_min_agreement: float = 0.999  # .ort must equal the int8 ONNX it was converted from
    ort_max_score_diff: float = 0.01
    ort_max_mean_diff: float = 0.001
    gguf_min_agreement: float = 0.98  # GGUF (llama.cpp) against the int8 ONNX bundle model
    gguf_max_score_diff: float = 0.30
    gguf_max_mean_diff: float = 0.02
    gguf_types: tuple[str, ...] = ("q8_0", "f16")  # written and gated
    bundle_gguf: tuple[str, ...] = ("q8_0",)  # of those, shipped in the bundle


@dataclass(frozen=True)
class DistillConfig:
    name: str = "default"
    version: str = "0.1.0"
    gates: GateConfig = field(default_factory=GateConfig)
    students: dict[str, StudentConfig] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def student(self, name: str) -> StudentConfig:
        if name not in self.students:
            raise ValueError(f"no student {name!r} in distill config {self.name!r}; "
                             f"students: {', '.join(self.students)}")
        return self.students[name]


def load_distill_config(name_or_path: str) -> DistillConfig:
    """Read a config by name (``tiny``, ``default``) or by path to a TOML file."""
    path, raw = read_toml(name_or_path, CONFIG_DIR, "distill config", {"name", "version", "train", "gates", "students"})
    base = TrainConfig(**checked_values(TrainConfig, raw.get("train", {}), "train"))
    students = {}
    for sname, table in (raw.get("students") or {}).items():
        table = dict(table)
        kind = table.pop("kind", None)
        if kind not in KINDS:
            raise ValueError(f"[students.{sname}] kind must be one of {KINDS}, not {kind!r}")
        students[sname] = StudentConfig(sname, kind, replace(base, **checked_values(TrainConfig, table, f"students.{sname}")))
    if not students:
        raise ValueError(f"{path} defines no [students.NAME] table")
    for s in students.values():
        if not 0.0 <= s.train.kd_weight <= 1.0 or s.train.temperature <= 0:
            raise ValueError(f"[students.{s.name}]: kd_weight must be in [0, 1] and temperature > 0")
        if s.train.hidden_weight < 0 or (s.train.hidden_weight and s.kind != "micro"):
            raise ValueError(f"[students.{s.name}]: hidden_weight must be >= 0, and only a micro student "
                             f"(same hidden size as the teacher) can match hidden states")
        if s.train.attention_weight < 0 or (s.train.attention_weight and s.kind != "micro"):
            raise ValueError(f"[students.{s.name}]: attention_weight must be >= 0, and only a micro student "
                             f"(the teacher's attention heads) can match attention maps")
    return DistillConfig(name=raw.get("name", path.stem), version=str(raw.get("version", "0.1.0")),
                         gates=GateConfig(**checked_values(GateConfig, raw.get("gates", {}), "gates")),
                         students=students)
