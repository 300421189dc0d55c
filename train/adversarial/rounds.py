"""``guard-cli adversarial``: rounds of attack -> harvest -> curation -> retrain, resumable.

Round r: the attackers (the LoRA policy, continuing from attacker r-1, and a fresh bandit)
train against guard r-1; they attack train-split seeds and the verified, novel successes are
harvested; the six curation rounds check them; the guard is retrained (teacher by
``train_teacher`` on seed + synthetic + every round's curated adversarial records, exported by
``export_bundle``; a student by ``distill_student`` when ``student`` is set) and becomes guard r.
Then attacker r is measured on validation-split seeds against guard r-1 and guard r, with the
robustness set, the benign false-positive rates and (when configured) the out-of-distribution
yardstick. Layout of the run folder::

    round0/eval/metrics.json        guard 0 measured the same way (the baseline)
    roundR/attacker/                adapter_model.safetensors + adapter_config.json (attacker R),
                                    bandits.json, train_log.jsonl, bandit_log.jsonl
    roundR/harvest/                 attempts.jsonl (every scored attempt), harvest.jsonl (candidates),
                                    embeddings.npy (for later rounds' novelty)
    roundR/curate/                  the six curation rounds (train/curation), curated.jsonl
    roundR/data/                    records.jsonl + validation.jsonl the guard is trained on
    roundR/teacher/ export/ bundle/ guard R (students/NAME/bundle when a student is attacked)
    roundR/eval/                    metrics.json, attempts.jsonl (the measured attacks)
    roundR/manifest.json            written last: the round is finished
    report.md, curves.png, summary.json, regression.jsonl

Every stage folder has a manifest (inputs' hashes and config, train/stage.py) and is reused
when they are unchanged, so an interrupted run continues at the first unfinished stage of the
first unfinished round.

The parts of a run live in their own modules: run_state.py (inputs, paths, the attacker in
memory), attack_stages.py (attack, harvest, curate), retrain.py (guard r), measure.py (eval).
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from ..config import PipelineConfig
from ..stage import Stage, hash_files, write_json_atomic
from .attack_stages import AttackStages
from .config import GOALS, AdversarialConfig
from .measure import MeasureStages
from .regression import freeze
from .report import write_report
from .retrain import RetrainStages, name_adversarial_rounds  # noqa: F401 - the pipeline's --name-rounds imports it here
from .rewards import BundleScorer, LabelChecks
from .run_state import MANIFEST, Inputs, bundle_hash, sample, seed_pool

CONFIG_FILE = "adversarial-config.json"
SETUP_FILE = "setup.json"  # the models and data a run used (the report's setup paragraph)


class Rounds(AttackStages, RetrainStages, MeasureStages):
    """One adversarial run: ``run()`` does every round that is not finished, then the report."""

    def __init__(self, cfg: AdversarialConfig, pipeline: PipelineConfig, run_dir: Path, inputs: Inputs, *,
                 config_ref: str = "", force: bool = False, progress: bool = True,
                 echo: Callable[[str], None] = print) -> None:
        self.cfg, self.pipeline, self.run_dir, self.inp = cfg.check(), pipeline, Path(run_dir), inputs
        self.config_ref, self.force, self.progress, self.echo = config_ref or cfg.name, force, progress, echo
        h = cfg.harvest
        records = inputs.records
        unsafe_train = seed_pool(records, "train", "unsafe", h.max_seed_chars)
        safe_train = seed_pool(records, "train", "safe", h.max_seed_chars)
        if not unsafe_train or not safe_train:
            raise ValueError("the seed records hold no short English train-split prompts of both labels to attack")
        # the LLM writes false alarms on the topic of an unsafe seed; the bandit obfuscates benign seeds
        self.policy_seeds = {"evade": unsafe_train, "false_alarm": unsafe_train}
        self.bandit_seeds = {"evade": unsafe_train, "false_alarm": safe_train}
        self.eval_policy = {g: sample(seed_pool(records, "validation", "unsafe", h.max_seed_chars),
                                      h.eval_seeds_per_goal, f"{cfg.seed}:eval:{g}") for g in GOALS}
        self.eval_bandit = {"evade": self.eval_policy["evade"],
                            "false_alarm": sample(seed_pool(records, "validation", "safe", h.max_seed_chars),
                                                  h.eval_seeds_per_goal, f"{cfg.seed}:eval:bandit")}
        self.validation = [r for r in records if r.split == "validation"]
        if cfg.retrain.examples_per_epoch and pipeline.teacher.source_temperature <= 0:
            raise ValueError(f"[retrain] examples_per_epoch needs source balancing, and pipeline {pipeline.name!r} "
                             "has source_temperature = 0: set [retrain] epochs or max_steps instead")
        init = self.init_teacher(1)  # checked now, not after the first round's attack
        if init is not None and not (init / "model.safetensors").is_file():
            raise FileNotFoundError(f"[retrain] warm_start: {init} holds no trained teacher (model.safetensors)")
        self.checks = LabelChecks(cfg.rewards, inputs.embed, inputs.verifier, inputs.judge)
        self._attacker: Any = None
        self._initial: Any = None
        self._suite: Any = None
        self.config_hash = json.loads(json.dumps({k: v for k, v in cfg.to_dict().items() if k != "rounds"}))

    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.run_dir / CONFIG_FILE, cfg.to_dict())  # what --report-only reads back
        write_json_atomic(self.run_dir / SETUP_FILE, self.setup())
        self.echo(f"[round 0] measuring guard 0: {self.guard_path(0)}")
        g0 = BundleScorer(self.guard_path(0), self.cfg.threads)
        if g0.name == self.inp.verifier.name:
            self.echo(f"      warning: the verifier is the attacked guard ({g0.name}); LLM evasions cannot be verified in round 1")
        self.measure(0)
        for r in range(1, cfg.rounds + 1):
            self.run_round(r)
        return self.finish()

    def run_round(self, r: int) -> None:
        rdir, prev = self.round_dir(r), self.guard_path(r - 1)
        inputs = {"guard": bundle_hash(prev), "records": self.inp.records_hash,
                  "previous": hash_files([self.round_dir(r - 1) / MANIFEST]) if r > 1 else ""}
        config = {"adversarial": self.config_hash, "round": r, "teacher": asdict(self.teacher_config()),
                  "export": asdict(self.pipeline.export)}
        stage = Stage(f"adversarial-round-{r}", rdir, inputs, config, outputs=(self.guard_path(r).relative_to(rdir),))
        stage.run(lambda: self.round_work(r, prev, inputs["guard"]), force=self.force, echo=self.echo,
                  reused=f"[round {r}/{self.cfg.rounds}] finished before, reusing {rdir}")

    def round_work(self, r: int, prev: Path, guard_hash: str) -> dict[str, Any]:
        """Round ``r``: attack guard r-1, harvest, curate, retrain, measure; returns its counts."""
        self.echo(f"[round {r}/{self.cfg.rounds}] attacking guard {r - 1}: {prev}")
        guard = BundleScorer(prev, self.cfg.threads)
        a = self.train_attackers(r, guard, guard_hash)
        h = self.harvest(r, guard, self.attacker_hash(r))
        curated = self.curate(r)
        trained = self.retrain(r, curated)
        m = self.measure(r)
        return {"attacker": a, "harvest": h, "curated": len(curated), "guard": trained, "eval": m["summary"]}

    def setup(self) -> dict[str, Any]:
        """What the run attacks and with what, for the report (the config holds the sizes)."""
        judge = getattr(self.inp.judge, "name", None) if self.inp.judge is not None else None
        return {"guard0": str(self.inp.guard0), "verifier": self.inp.verifier.name, "embed": self.inp.embed_id,
                "judge": judge if self.cfg.rewards.judge else None,
                "curation_judge": judge if self.cfg.curate.judge else None,
                "pipeline": self.pipeline.name, "retrain": self.retrain_recipe(),
                "warm_start": self.cfg.retrain.warm_start, "records": len(self.inp.records),
                "records_hash": self.inp.records_hash,
                "seed_pools": {"train_unsafe": len(self.policy_seeds["evade"]),
                               "train_safe": len(self.bandit_seeds["false_alarm"]),
                               "eval_per_goal": len(self.eval_policy["evade"])}}

    def finish(self) -> dict[str, Any]:
        final = self.guard_path(self.cfg.rounds)
        n = freeze(self.adversarial_records(self.cfg.rounds), BundleScorer(final, self.cfg.threads),
                   self.run_dir / "regression.jsonl")
        summary = write_report(self.run_dir, self.cfg, command=f"guard-cli adversarial --config {self.config_ref} "
                               f"--run-dir {self.run_dir}")
        summary["regression"] = {"file": str(self.run_dir / "regression.jsonl"), "attacks": n, "guard": str(final)}
        write_json_atomic(self.run_dir / "summary.json", summary)
        self.echo(f"wrote {self.run_dir / 'report.md'} and {self.run_dir / 'curves.png'}; "
                  f"{n} caught attacks frozen into {self.run_dir / 'regression.jsonl'}")
        return summary
