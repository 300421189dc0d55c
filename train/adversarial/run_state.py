"""What every part of an adversarial run shares: its inputs, the run folder's paths, the attacker
in memory and the stage wrapper. :class:`~.rounds.Rounds` combines the parts (attack stages,
retraining, measurement) that build on :class:`RunState`; the layout is in rounds.py's docstring.

The LoRA attacker is loaded only when run (``peft``/``torch``: the training extra), so reading a
finished run (``guard-cli adversarial --report-only``) never pays for it."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from tinyguard.records import Record, read_jsonl
from ..config import PipelineConfig
from ..stage import MANIFEST, Stage, hash_files
from .config import AdversarialConfig
from .rewards import Embed, LabelChecks, Scorer



@dataclass
class Inputs:
    """What a run reads, resolved from the config (the CLI) or given directly (tests)."""

    records: list[Record]  # seed data (both splits) plus curated synthetic records of the base run
    records_hash: str
    guard0: Path  # the bundle round 1 attacks
    verifier: Scorer  # the label voter: not the attacked guard
    embed: Embed  # texts -> L2-normalised embeddings (frozen MiniLM by default)
    embed_id: str
    make_attacker: Callable[[], Any] | None = None  # -> policy.Attacker; None when [attacker] is off
    judge: Any = None  # a generator for the judge prompt (rewards and curation round 4)
    data_dir: Path | None = None  # seed data folder (the OOD yardstick reads its slices there)
    # (round folder) -> the student's bundle, distilled from that round's teacher. Given by the
    # pipeline layer's command (distill sits above train in the one-way stack: train never imports it).
    make_student: Callable[[Path], Path] | None = None
    teacher0: Path | None = None  # the teacher folder behind guard 0 ([retrain] warm_start starts round 1 there)
    records_from: str = ""  # where ``records`` were read (the model card's account of the data)
    licence_classes: list[str] = field(default_factory=lambda: ["permissive"])
    # (seed, restyled) pairs of the base run, for a recipe with consistency_weight (train/consistency.py)
    pairs: list[tuple[Record, Record]] = field(default_factory=list)


def _mostly_ascii(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isascii() for ch in letters) >= 0.95 * len(letters)


def seed_pool(records: Sequence[Record], split: str, label: str, max_chars: int) -> list[Record]:
    """Short English prompts of one split and label (what a 135M model rewrites well)."""
    return [r for r in records if r.split == split and r.label == label and r.role == "prompt"
            and 10 <= len(r.text) <= max_chars and _mostly_ascii(r.text) and not r.source.startswith("synthetic-")]


def sample(pool: list[Record], k: int, seed: str) -> list[Record]:
    """``k`` seeds of a pool, the same ones for the same seed string (a resumed run attacks the same seeds)."""
    return random.Random(seed).sample(pool, min(k, len(pool)))


def bundle_hash(bundle: Path) -> str:
    """The bundle's manifest pins every file's sha256, so its hash names the model."""
    return hash_files([Path(bundle) / MANIFEST])


class RunState:
    """The state of one run (set by :class:`~.rounds.Rounds`) and what every stage of a round reads."""

    cfg: AdversarialConfig
    pipeline: PipelineConfig
    run_dir: Path
    inp: Inputs
    config_ref: str
    force: bool
    progress: bool
    echo: Callable[[str], None]
    checks: LabelChecks
    policy_seeds: dict[str, list[Record]]  # goal -> train-split seeds the LLM attacker rewrites
    bandit_seeds: dict[str, list[Record]]  # goal -> train-split seeds the bandit obfuscates
    eval_policy: dict[str, list[Record]]  # goal -> validation-split seeds attacker r is measured on
    eval_bandit: dict[str, list[Record]]
    validation: list[Record]
    _attacker: Any = None
    _initial: Any = None  # the fresh adapter's weights (attacker 0)

    def round_dir(self, r: int) -> Path:
        return self.run_dir / f"round{r}"

    def guard_path(self, r: int) -> Path:
        if r == 0:
            return Path(self.inp.guard0)
        base = self.round_dir(r)
        return base / "students" / self.cfg.student / "bundle" if self.cfg.student else base / "bundle"

    def stage(self, stage_dir: Path, name: str, inputs: dict[str, str], config: dict[str, Any],
              run: Callable[[], dict], *, outputs: tuple[str | Path, ...] = ()) -> dict:
        """:meth:`Stage.run` with the run's ``--force`` and the rounds' reuse line (stage and folder)."""
        return Stage(name, stage_dir, inputs, config, outputs).run(
            run, force=self.force, echo=self.echo, reused=f"      {name}: unchanged, reusing {stage_dir}")

    def attacker(self) -> Any:
        if self._attacker is None:
            if self.inp.make_attacker is None:
                raise ValueError("[attacker] is enabled but no attacker model was given")
            self._attacker = self.inp.make_attacker()
            self._initial = self._attacker.adapter_state()
        return self._attacker

    def load_attacker(self, r: int) -> None:
        """Attacker ``r`` into memory: the saved adapter of round r, or a fresh one for r = 0."""
        from peft import set_peft_model_state_dict

        att = self.attacker()
        if r == 0:
            set_peft_model_state_dict(att.peft, self._initial)
            att._prepare()
        else:
            att.load_adapter(self.round_dir(r) / "attacker")

    def attacker_hash(self, r: int) -> str:
        """Attacker r's files (adapter, bandit statistics), not its manifest's timestamp."""
        folder = self.round_dir(r) / "attacker"
        return hash_files(sorted(p for p in folder.iterdir() if p.is_file() and p.name != MANIFEST))

    def adversarial_records(self, r: int) -> list[Record]:
        """Curated adversarial records of rounds 1..r."""
        out: list[Record] = []
        for k in range(1, r + 1):
            path = self.round_dir(k) / "curate" / "curated.jsonl"
            if path.is_file():
                out += list(read_jsonl(path))
        return out
